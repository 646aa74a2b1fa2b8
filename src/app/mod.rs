//! The edge: runs one subcommand, doing all the reading and writing, and maps the outcome
//! to the exit code (0 success, 1 drift, 2 error). Nothing reaches stdout unless the whole
//! run succeeded, so a failed `render` never feeds half a stream to `kubectl apply`. The
//! printing never decides the verdict: a closed pipe (`diff | head`) only stops it.

mod check;
mod diff;
mod explain;
mod init;
mod input;
mod krm;
mod manual;
mod output_file;
mod stray;

use crate::cli::{Cli, ColorChoice, Command, StreamFormat};
use crate::component::output_dir::{self, Claim, OutputError};
use crate::diagnostic::{self, Origins, Problem};
use crate::pipeline::{Generated, PipelineError};
use clap::Parser;
use input::generate;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The config could not be read or is not valid; every problem, one a line, each named
    /// by its source, then how many more were found.
    #[error("{}", diagnostic::report(.origins, .problems, *.not_shown, *.at_least, false))]
    Config {
        origins: Origins,
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
    #[error("{0}")]
    Usage(String),
}

impl AppError {
    /// One problem with a file (or a flag, named as the file).
    fn one(file: impl Into<String>, problem: Problem) -> Self {
        AppError::Config {
            origins: Origins::file(file),
            problems: vec![problem],
            not_shown: 0,
            at_least: false,
        }
    }

    /// The error as it is printed, in colour when `color`.
    fn shown(&self, color: bool) -> String {
        match self {
            AppError::Config {
                origins,
                problems,
                not_shown,
                at_least,
            } => diagnostic::report(origins, problems, *not_shown, *at_least, color),
            other => other.to_string(),
        }
    }
}

/// Whether to colour a stream: `--color`, else a terminal without `NO_COLOR` set.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// How a successful run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Clean,
    Drift,
}

/// Parses the arguments, runs, and turns the result into an exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let e = stray::refuse(&e, &args).unwrap_or(e);
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let stdout = io::stdout();
    let color = Colors {
        out: use_color(cli.color, stdout.is_terminal()),
        err: use_color(cli.color, io::stderr().is_terminal()),
    };
    let stream_is_the_product = matches!(cli.command, Command::Render { .. } | Command::Fn);
    let mut out = Printer::new(stdout.lock());
    let mut err = Printer::new(io::stderr().lock());
    let verdict = run(cli, &mut out, &mut err, color);
    let _ = out.flush();
    match (verdict, out.failure) {
        (Err(Reported), _) => ExitCode::from(2),
        // `render`'s stream is what the user asked for: cut short by anything but a closed
        // pipe (`render | head` is fine), it is an error.
        (Ok(_), Some(e)) if stream_is_the_product && e.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(err, "sg-executor-gen: error: cannot write the output: {e}");
            ExitCode::from(2)
        }
        // For `diff` and `build` the printing is a report: the verdict stands without it.
        (Ok(Outcome::Clean), _) => ExitCode::SUCCESS,
        (Ok(Outcome::Drift), _) => ExitCode::from(1),
    }
}

/// A run stopped by an error, which was written to `err`.
#[derive(Debug)]
pub struct Reported;

/// An output stream that stops printing at its first write error and keeps it, so that a
/// closed pipe (`diff | head`) ends the printing, never the run or its verdict.
pub struct Printer<W> {
    inner: W,
    pub failure: Option<io::Error>,
}

impl<W: Write> Printer<W> {
    pub fn new(inner: W) -> Self {
        Printer {
            inner,
            failure: None,
        }
    }
}

impl<W: Write> Write for Printer<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failure.is_none() {
            self.failure = self.inner.write_all(buf).err();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.failure.is_none() {
            self.failure = self.inner.flush().err();
        }
        Ok(())
    }
}

/// Whether each output stream is coloured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Colors {
    pub out: bool,
    pub err: bool,
}

/// Runs a parsed command line; an error is written to `err` and ends as `Reported`.
/// Writing to `out` or `err` never fails the run: give it `Printer`s.
pub fn run(
    cli: Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: Colors,
) -> Result<Outcome, Reported> {
    execute(cli, out, err, color).map_err(|e| {
        let _ = writeln!(err, "{}", e.shown(color.err));
        Reported
    })
}

fn execute(
    cli: Cli,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: Colors,
) -> Result<Outcome, AppError> {
    match cli.command {
        Command::Render {
            input,
            output,
            format,
        } => {
            let (file, format) = render_output(output, format)?;
            let generated = generate(&input, err, color.err)?;
            match file {
                Some(path) => output_file::write(&path, &generated, format)?,
                None => {
                    // One buffered writer for the whole stream; a failed write is the
                    // Printer's to keep.
                    let mut buffered = io::BufWriter::with_capacity(1 << 16, &mut *out);
                    let _ = match format {
                        StreamFormat::Yaml => generated.bundle.write_stream(&mut buffered),
                        StreamFormat::Json => generated.bundle.write_json_list(&mut buffered),
                    }
                    .and_then(|()| buffered.flush());
                }
            }
            // The run ends here: freeing thousands of objects one by one costs more than the
            // operating system reclaiming the process's memory at once.
            std::mem::forget(generated);
            Ok(Outcome::Clean)
        }
        Command::Build {
            input,
            output,
            force,
        } => {
            let generated = generate(&input, err, color.err)?;
            let tree = generated.component();
            let written = output_dir::write_tree(&output, &tree, Claim::Listed { force })?;
            report_kept(&written, err);
            let what = if written.changed {
                "wrote"
            } else {
                "unchanged:"
            };
            let _ = writeln!(
                err,
                "{what} {} ({} files; layers: {})",
                output_dir::shown(&output),
                tree.len(),
                layers(&generated)
            );
            Ok(Outcome::Clean)
        }
        Command::Diff {
            input,
            golden,
            update,
            show_secrets,
        } => {
            let how = diff::How {
                update,
                show_secrets,
            };
            diff::diff(&input, &golden, how, out, err, color)
        }
        Command::Check(args) => check::check(&args, out, err, color.err),
        Command::Fn => krm::run(out),
        Command::Schema => manual::schema(out),
        Command::Init(args) => init::init(&args, out, err, color.err),
        Command::Explain { key } => explain::explain(key.as_deref(), out),
        Command::Completions { shell } => manual::completions(shell, out),
        Command::Man(args) => manual::man(&args, out, err),
    }
}

/// Warns about each listed file a write kept instead of deleting.
fn report_kept(written: &output_dir::Written, err: &mut dyn Write) {
    for path in &written.kept {
        let _ = writeln!(
            err,
            "{}: warning: kept: listed as the tool's but not as it wrote it (edited, or never generated), so it was not deleted and is no longer listed; delete it yourself if it is not needed",
            output_dir::shown(path)
        );
    }
}

/// Where `render` writes and in which format. `-o yaml` and `-o json` are formats, as with
/// kubectl; kubectl's other output formats are refused with the fix rather than taken as a
/// file name.
fn render_output(
    output: Option<std::path::PathBuf>,
    format: Option<StreamFormat>,
) -> Result<(Option<std::path::PathBuf>, StreamFormat), AppError> {
    let Some(path) = output else {
        return Ok((None, format.unwrap_or(StreamFormat::Yaml)));
    };
    let named = match path.to_str() {
        Some("yaml") => Some(StreamFormat::Yaml),
        Some("json") => Some(StreamFormat::Json),
        _ => None,
    };
    match (named, format) {
        (Some(named), Some(format)) if named != format => Err(AppError::Usage(format!(
            "error: `-o {}` and `--output-format` disagree; to write a file named {}, give `-o ./{}`",
            path.display(),
            path.display(),
            path.display()
        ))),
        (Some(named), _) => Ok((None, named)),
        (None, format) => {
            let text = path.to_string_lossy();
            let kubectl = ["name", "wide"].contains(&text.as_ref())
                || ["jsonpath", "go-template", "custom-columns", "template"]
                    .iter()
                    .any(|f| text.starts_with(f) && text[f.len()..].starts_with(['=', '-']));
            if kubectl {
                return Err(AppError::Usage(format!(
                    "error: `-o {text}` is a kubectl output format; render prints yaml (`-o yaml`, the default) or json (`-o json`), and `-o FILE` writes a file (`-o ./{text}` for a file of that name)"
                )));
            }
            Ok((Some(path), format.unwrap_or(StreamFormat::Yaml)))
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
