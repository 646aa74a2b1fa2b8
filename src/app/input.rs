//! Reading the config: every `-f` file (a regular file, standard input, or a pipe such as
//! `<(sops -d values.yaml)`), within the size limit, as UTF-8, then `--set`, `--set-string`
//! and `--set-file` in Helm's order; then the pipeline, with its warnings written as they
//! come (or, with `--strict`, refused as errors).

use super::AppError;
use crate::cli::Input;
use crate::config::layers::Layer;
use crate::config::source::MAX_FILE_BYTES;
use crate::config::Overrides;
use crate::diagnostic::{self, Origin, Origins, Problem, Severity};
use crate::pipeline::{self, Generated, PipelineError};
use std::io::{self, Read, Write};
use std::path::Path;

/// What to do when a config file is too large.
const CONFIG_TOO_LARGE: &str = "a config is a few KiB; check that this is the right file";

/// Reads the config and runs the pipeline; warnings go to `err` right away.
pub(super) fn generate(
    input: &Input,
    err: &mut dyn Write,
    color: bool,
) -> Result<Generated, AppError> {
    let mut texts = Vec::with_capacity(input.files.len());
    let mut origins = Vec::new();
    let mut stdin_used = false;
    for path in &input.files {
        if is_stdin(path) {
            if stdin_used {
                return Err(AppError::one(
                    "-f",
                    Problem::error("standard input is given twice")
                        .hint("read it once; give the other layers as files"),
                ));
            }
            stdin_used = true;
        }
        let (shown, text) = read_text(path, MAX_FILE_BYTES, CONFIG_TOO_LARGE)?;
        origins.push(Origin::File(shown));
        texts.push(text);
    }
    let mut layers: Vec<Layer<'_>> = texts.iter().map(|t| Layer::File(t)).collect();
    // Helm's order: the files, then every --set, every --set-string, every --set-file.
    for (arg, kind) in input.sets.in_order() {
        origins.push(Origin::Argument(format!("{} {arg}", kind.flag())));
        layers.push(Layer::Set(arg, kind));
    }
    let origins = Origins(origins);
    let overrides = Overrides {
        namespace: input.namespace.clone(),
        mode: input.mode.map(Into::into),
    };
    if let Some(ns) = &overrides.namespace {
        if !crate::k8s::syntax::is_dns1123_label(ns) {
            return Err(AppError::one(
                "--namespace",
                Problem::error(format!("`{ns}` is not a valid namespace"))
                    .hint("use lowercase letters, digits and `-`, at most 63"),
            ));
        }
    }
    match pipeline::generate_layered(&layers, &overrides, &mut read_set_file) {
        Ok(g) if input.strict && !g.warnings.is_empty() => Err(AppError::Config {
            origins,
            problems: g
                .warnings
                .into_iter()
                .map(|mut p| {
                    p.severity = Severity::Error;
                    p
                })
                .collect(),
            not_shown: g.warnings_not_shown,
            at_least: false,
        }),
        Ok(g) => {
            if !g.warnings.is_empty() {
                let report =
                    diagnostic::report(&origins, &g.warnings, g.warnings_not_shown, false, color);
                let _ = writeln!(err, "{report}");
            }
            Ok(g)
        }
        Err(PipelineError::Config(e)) => Err(AppError::Config {
            origins,
            problems: e.problems,
            not_shown: e.not_shown,
            at_least: e.at_least,
        }),
        Err(other) => Err(AppError::Internal(other)),
    }
}

/// The text of a file `--set-file` names, or why it cannot be read (the message alone: the
/// problem is reported at the argument).
pub(super) fn read_set_file(path: &str) -> Result<String, String> {
    read_text(
        Path::new(path),
        MAX_FILE_BYTES,
        "--set-file reads a few KiB",
    )
    .map(|(_, text)| text)
    .map_err(|e| match e {
        AppError::Config { problems, .. } => problems
            .into_iter()
            .map(|p| p.message)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })
}

/// `-`, or a name of standard input.
pub(super) fn is_stdin(path: &Path) -> bool {
    path == Path::new("-") || path == Path::new("/dev/stdin")
}

/// Reads a file (or stdin for `-`) as UTF-8 text of at most `max` bytes; returns the name
/// to show in messages, and the text. `too_large` says what to do when it is larger.
///
/// A regular file or a pipe is read: a pipe is what `-f <(sops -d …)` and `-f /dev/stdin`
/// give. A named pipe is opened without waiting for a writer, so one nobody writes to reads
/// as empty instead of hanging. A device, a socket or a directory is refused.
pub(super) fn read_text(
    path: &Path,
    max: u64,
    too_large: &str,
) -> Result<(String, String), AppError> {
    let shown = if path == Path::new("-") {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    };
    let fail = |message: String, hint: &str| {
        AppError::one(shown.clone(), Problem::error(message).hint(hint))
    };
    let refuse_unless_readable = |meta: &std::fs::Metadata| {
        match not_readable(&meta.file_type()) {
        Some(what) => Err(fail(
            format!("is {what}, not a file or a pipe"),
            "give a YAML file with -f (`sg-executor-gen init > executor.yaml` writes a config), or `-f -` for standard input",
        )),
        None => Ok(()),
    }
    };
    let cannot_read = |e: io::Error| {
        fail(
            format!("cannot read: {}", plain_io(&e)),
            "check the path and its permissions",
        )
    };
    let mut bytes = Vec::new();
    let mut pipe = false;
    if path == Path::new("-") {
        io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                fail(
                    format!("cannot read standard input: {}", plain_io(&e)),
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
        refuse_unless_readable(&meta)?;
        pipe = is_pipe(&meta.file_type());
        let file = open(path, pipe).map_err(cannot_read)?;
        // The path may have been replaced since; what was opened must be readable too.
        refuse_unless_readable(&file.metadata().map_err(cannot_read)?)?;
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    }
    if bytes.len() as u64 > max {
        return Err(fail(format!("larger than {} KiB", max / 1024), too_large));
    }
    if pipe && bytes.is_empty() {
        return Err(fail(
            "is a pipe, and nothing came through it".into(),
            "check the command that writes to it (its error is above), or that something writes to the named pipe",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        AppError::one(
            shown.clone(),
            Problem::error("the file is not UTF-8 text")
                .at(crate::diagnostic::Location::new(line, column))
                .hint("save it as UTF-8"),
        )
    })?;
    Ok((shown, text))
}

/// Opens a file for reading; a pipe without waiting for a writer (a named pipe nobody writes
/// to then reads as empty), then in blocking mode, so the read waits for the writer to end.
fn open(path: &Path, pipe: bool) -> io::Result<std::fs::File> {
    #[cfg(unix)]
    if pipe {
        use std::os::unix::fs::OpenOptionsExt;
        use std::os::unix::io::AsRawFd;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)?;
        // SAFETY: fcntl on a descriptor this function owns, with flags it just read.
        unsafe {
            let fd = file.as_raw_fd();
            let flags = libc::fcntl(fd, libc::F_GETFL);
            if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        return Ok(file);
    }
    let _ = pipe;
    std::fs::File::open(path)
}

fn is_pipe(t: &std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        t.is_fifo()
    }
    #[cfg(not(unix))]
    {
        let _ = t;
        false
    }
}

/// What a path is when it is neither a regular file nor a pipe (after following symlinks).
fn not_readable(t: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return None;
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    if t.is_dir() {
        Some("a directory")
    } else if t.is_file() {
        None
    } else {
        Some("not a regular file")
    }
}

/// An I/O error without Rust's "(os error N)" suffix.
pub(super) fn plain_io(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_lowercase(),
        None => s,
    }
}
