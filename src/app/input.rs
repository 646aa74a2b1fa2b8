//! Reading the config: from a file or standard input, within the size limit, as UTF-8;
//! then the pipeline, with its warnings written as they come.

use super::AppError;
use crate::cli::Input;
use crate::config::source::MAX_FILE_BYTES;
use crate::config::Overrides;
use crate::diagnostic::{self, Problem};
use crate::pipeline::{self, Generated, PipelineError};
use std::io::{self, Read, Write};
use std::path::Path;

/// Reads the config and runs the pipeline; warnings go to `err` right away.
pub(super) fn generate(input: &Input, err: &mut dyn Write) -> Result<Generated, AppError> {
    let (shown, text) = read_text(
        &input.file,
        MAX_FILE_BYTES,
        "a config is a few KiB; check that this is the right file",
    )?;
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
    match pipeline::generate(&text, &overrides) {
        Ok(g) => {
            if !g.warnings.is_empty() {
                let report = diagnostic::report(&shown, &g.warnings, g.warnings_not_shown, false);
                let _ = writeln!(err, "{report}");
            }
            Ok(g)
        }
        Err(PipelineError::Config(e)) => Err(AppError::Config {
            file: shown,
            problems: e.problems,
            not_shown: e.not_shown,
            at_least: e.at_least,
        }),
        Err(other) => Err(AppError::Internal(other)),
    }
}

/// Reads a file (or stdin for `-`) as UTF-8 text of at most `max` bytes; returns the name
/// to show in messages, and the text. `too_large` says what to do when it is larger. Only a
/// regular file is opened: opening a FIFO waits for a writer, a device may never end.
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
    let refuse_unless_file = |meta: &std::fs::Metadata| match not_a_file(&meta.file_type()) {
        Some(what) => Err(fail(
            format!("is {what}, not a config file"),
            "name the YAML file, e.g. -f examples/basic.yaml",
        )),
        None => Ok(()),
    };
    let cannot_read = |e: io::Error| {
        fail(
            format!("cannot read: {}", plain_io(&e)),
            "check the path and its permissions",
        )
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        io::stdin()
            .lock()
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| {
                fail(
                    format!("cannot read standard input: {e}"),
                    "pipe a config file in",
                )
            })?;
    } else {
        // Only a regular file is opened: opening a FIFO waits for a writer, a device may
        // never end, and neither is a config.
        let meta = std::fs::metadata(path).map_err(|e| {
            fail(
                format!("cannot read: {}", plain_io(&e)),
                "check the path given to -f",
            )
        })?;
        refuse_unless_file(&meta)?;
        let file = std::fs::File::open(path).map_err(cannot_read)?;
        // The path may have been replaced since; what was opened must be a file too.
        refuse_unless_file(&file.metadata().map_err(cannot_read)?)?;
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    }
    if bytes.len() as u64 > max {
        return Err(fail(format!("larger than {} KiB", max / 1024), too_large));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let column = good.iter().rev().take_while(|b| **b != b'\n').count() + 1;
        AppError::one(
            shown.clone(),
            Problem::error("the file is not UTF-8 text")
                .at(crate::diagnostic::Location { line, column })
                .hint("save it as UTF-8"),
        )
    })?;
    Ok((shown, text))
}

/// What a path is when it is not a regular file (after following symlinks), in words.
fn not_a_file(t: &std::fs::FileType) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a named pipe (FIFO)");
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
fn plain_io(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_lowercase(),
        None => s,
    }
}
