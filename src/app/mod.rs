//! The edge: runs one subcommand, doing all the reading and writing, and maps the outcome
//! to the exit code (0 success, 1 drift, 2 error). Nothing reaches stdout unless the whole
//! run succeeded, so a failed `render` never feeds half a stream to `kubectl apply`.

mod diff;
mod input;

use crate::cli::{Cli, Command};
use crate::component::output_dir::{self, OutputError};
use crate::diagnostic::{self, Problem};
use crate::pipeline::{Generated, PipelineError};
use clap::Parser;
use input::generate;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The config could not be read or is not valid; every problem, one a line, then how
    /// many more were found.
    #[error("{}", diagnostic::report(.file, .problems, *.not_shown, *.at_least))]
    Config {
        file: String,
        problems: Vec<Problem>,
        not_shown: usize,
        at_least: bool,
    },
    #[error("{0}")]
    Internal(PipelineError),
    #[error("{0}")]
    Output(#[from] OutputError),
    #[error("{0}: no such directory; create the golden tree with `diff --update` or `build`")]
    NoGolden(String),
}

/// How a successful run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Drift,
}

/// Parses the arguments, runs, and turns the result into an exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = stdout.lock();
    let mut err = io::stderr().lock();
    let result = run(cli, &mut out, &mut err, color);
    let flushed = result.and_then(|outcome| out.flush().map(|()| outcome).map_err(Stop::Write));
    match flushed {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Drift) => ExitCode::from(1),
        // `sg-executor-gen render | head` closes the pipe early; that is not a failure.
        Err(Stop::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Stop::Write(e)) => {
            let _ = writeln!(err, "sg-executor-gen: error: cannot write the output: {e}");
            ExitCode::from(2)
        }
        Err(Stop::Reported) => ExitCode::from(2),
    }
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum Stop {
    /// The error was written to `err`.
    Reported,
    /// Writing the output failed (a closed pipe, a full disk).
    Write(io::Error),
}

/// Runs a parsed command line; errors are written to `err` and end as `Stop::Reported`.
pub fn run(
    cli: Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Result<Outcome, Stop> {
    match execute(cli, out, err, color) {
        Ok(outcome) => Ok(outcome),
        Err(Failure::Write(e)) => Err(Stop::Write(e)),
        Err(Failure::App(e)) => {
            writeln!(err, "{e}").map_err(Stop::Write)?;
            Err(Stop::Reported)
        }
    }
}

enum Failure {
    App(AppError),
    Write(io::Error),
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Failure::App(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Write(e)
    }
}

impl From<OutputError> for Failure {
    fn from(e: OutputError) -> Self {
        Failure::App(AppError::Output(e))
    }
}

fn execute(
    cli: Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Result<Outcome, Failure> {
    match cli.command {
        Command::Render(input) => {
            let (_, generated) = generate(&input, err)?;
            out.write_all(generated.stream().as_bytes())?;
            Ok(Outcome::Clean)
        }
        Command::Build {
            input,
            output,
            force,
        } => {
            let (name, generated) = generate(&input, err)?;
            let tree = generated.component(&name);
            let written = output_dir::write_tree(&output, &tree, &name, force)?;
            let what = if written { "wrote" } else { "unchanged:" };
            writeln!(
                err,
                "{what} {} ({} files; layers: {})",
                output.display(),
                tree.len(),
                layers(&generated)
            )?;
            Ok(Outcome::Clean)
        }
        Command::Diff {
            input,
            golden,
            update,
        } => diff::diff(&input, &golden, update, out, err, color),
    }
}

fn layers(g: &Generated) -> String {
    let names: Vec<&str> = g.stack.layers.iter().map(|l| l.name).collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}
