//! The edge: runs one subcommand, doing all the reading and writing, and maps the outcome
//! to the exit code (0 success, 1 drift, 2 error). Nothing reaches stdout unless the whole
//! run succeeded, so a failed `render` never feeds half a stream to `kubectl apply`.

use crate::cli::{Cli, Command, Input};
use crate::diagnostic::Problem;
use crate::layout::{provenance, Provenance, Tree};
use crate::output_dir::{self, OutputError};
use crate::pipeline::{self, Generated, PipelineError};
use crate::source::MAX_FILE_BYTES;
use crate::tree_diff;
use crate::validate::Overrides;
use clap::Parser;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The config could not be read or is not valid; every problem, one a line.
    #[error("{}", .problems.iter().map(|p| p.display(.file).to_string()).collect::<Vec<_>>().join("\n"))]
    Config {
        file: String,
        problems: Vec<Problem>,
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
        } => {
            let (name, generated) = generate(&input, err)?;
            let tree = generated.component(&name);
            if update {
                // Updating golden files is meant to discard their hand edits.
                let written = output_dir::write_tree(&golden, &tree, &name, true)?;
                let what = if written { "updated" } else { "unchanged:" };
                writeln!(err, "{what} {} ({} files)", golden.display(), tree.len())?;
                return Ok(Outcome::Clean);
            }
            if golden.is_file() {
                return Err(AppError::Output(output_dir::OutputError::NotADirectory {
                    path: golden.clone(),
                })
                .into());
            }
            if !golden.is_dir() {
                return Err(AppError::NoGolden(golden.display().to_string()).into());
            }
            // Only this config's files are compared; anything else in the directory
            // (notes, other components) is not ours to judge, and --update never touches it.
            let listing = output_dir::read_tree(&golden)?;
            let mut ignored = listing.other_files.len();
            let existing: Tree = listing
                .texts
                .into_iter()
                .filter(|(_, content)| {
                    let ours = provenance(content, &name) != Provenance::Foreign;
                    ignored += usize::from(!ours);
                    ours
                })
                .collect();
            if ignored > 0 {
                writeln!(
                    err,
                    "ignored {ignored} file(s) in {} not generated from {name}",
                    golden.display()
                )?;
            }
            let drift = tree_diff::compare(&existing, &tree);
            if drift.is_empty() {
                writeln!(
                    err,
                    "no drift: {} matches {}",
                    golden.display(),
                    input.file.display()
                )?;
                return Ok(Outcome::Clean);
            }
            for d in &drift {
                let text = if color {
                    tree_diff::colorize(&d.diff)
                } else {
                    d.diff.clone()
                };
                out.write_all(text.as_bytes())?;
            }
            let (added, removed) = tree_diff::stats(&drift);
            writeln!(
                err,
                "drift: {} file(s) differ from {} (+{added} -{removed}); run `sg-executor-gen diff -f {} --golden {} --update` if the change is intended",
                drift.len(),
                golden.display(),
                input.file.display(),
                golden.display()
            )?;
            Ok(Outcome::Drift)
        }
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

/// Reads the config and runs the pipeline; warnings go to `err` right away.
fn generate(input: &Input, err: &mut dyn Write) -> Result<(String, Generated), Failure> {
    let (shown, text) = read_config(&input.file)?;
    let overrides = Overrides {
        namespace: input.namespace.clone(),
        mode: input.mode.map(Into::into),
    };
    if let Some(ns) = &overrides.namespace {
        if !crate::k8s_syntax::is_dns1123_label(ns) {
            return Err(AppError::Config {
                file: "--namespace".into(),
                problems: vec![Problem::error(format!("`{ns}` is not a valid namespace"))
                    .hint("use lowercase letters, digits and `-`, at most 63")],
            }
            .into());
        }
    }
    match pipeline::generate(&text, &overrides) {
        Ok(g) => {
            for w in &g.warnings {
                writeln!(err, "{}", w.display(&shown))?;
            }
            let name = config_name(&input.file);
            Ok((name, g))
        }
        Err(PipelineError::Config(e)) => Err(AppError::Config {
            file: shown,
            problems: e.problems,
        }
        .into()),
        Err(other) => Err(AppError::Internal(other).into()),
    }
}

/// The config's file name, as it appears in generated headers: stable wherever it is run from.
fn config_name(path: &Path) -> String {
    if path == Path::new("-") {
        return "stdin".into();
    }
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn read_config(path: &Path) -> Result<(String, String), AppError> {
    let shown = if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let fail = |message: String, hint: &str| AppError::Config {
        file: shown.clone(),
        problems: vec![Problem::error(message).hint(hint)],
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin()
            .lock()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                fail(
                    format!("cannot read standard input: {e}"),
                    "pipe a config file in",
                )
            })?;
    } else {
        let meta = std::fs::metadata(path).map_err(|e| {
            fail(
                format!("cannot read: {}", plain_io(&e)),
                "check the path given to -f",
            )
        })?;
        if meta.is_dir() {
            return Err(fail(
                "is a directory, not a config file".into(),
                "name the YAML file, e.g. -f examples/basic.yaml",
            ));
        }
        let file = std::fs::File::open(path).map_err(|e| {
            fail(
                format!("cannot read: {}", plain_io(&e)),
                "check the path and its permissions",
            )
        })?;
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                fail(
                    format!("cannot read: {}", plain_io(&e)),
                    "check the path and its permissions",
                )
            })?;
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(
            format!("larger than {} KiB", MAX_FILE_BYTES / 1024),
            "a config is a few KiB; check that this is the right file",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        AppError::Config {
            file: shown.clone(),
            problems: vec![Problem::error("the file is not UTF-8 text")
                .at(crate::diagnostic::Location { line, column })
                .hint("save it as UTF-8")],
        }
    })?;
    Ok((shown, text))
}

/// An I/O error without Rust's "(os error N)" suffix.
fn plain_io(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_lowercase(),
        None => s,
    }
}
