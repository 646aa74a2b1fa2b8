//! `diff`: compares what `build` would write with a golden directory, or rewrites it.
//! The comparison is by path: at every path the tool generates, the golden file there,
//! header or not; and the files the golden manifest lists that are no longer generated.
//! Secret values are hidden unless asked for; every name printed is escaped, and the
//! suggested command is quoted for a shell.

use super::input::generate;
use super::{AppError, Outcome};
use crate::cli::Input;
use crate::component::output_dir::{self, shown, Claim, OutputError};
use crate::component::tree_diff;
use crate::diagnostic::shell_word;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// How to run: compare or `update`, show Secret values or not, colour or not.
pub(super) struct How {
    pub update: bool,
    pub show_secrets: bool,
    pub color: bool,
}

pub(super) fn diff(
    input: &Input,
    golden: &Path,
    how: How,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let generated = generate(input, err)?;
    let tree = generated.component();
    if how.update {
        let written = output_dir::write_tree(golden, &tree, Claim::EveryGeneratedPath)?;
        super::report_kept(&written, err);
        let what = if written.changed {
            "updated"
        } else {
            "unchanged:"
        };
        let _ = writeln!(err, "{what} {} ({} files)", shown(golden), tree.len());
        return Ok(Outcome::Clean);
    }
    if golden.is_file() {
        return Err(OutputError::NotADirectory {
            path: golden.to_path_buf(),
        }
        .into());
    }
    if !golden.is_dir() {
        return Err(AppError::NoGolden(shown(golden)));
    }
    // Anything else in the directory (notes, other components) is not ours to judge,
    // and --update never touches it.
    let found = output_dir::read_golden(golden, &tree)?;
    if found.ignored > 0 {
        let _ = writeln!(
            err,
            "ignored {} file(s) in {} not generated from {}",
            found.ignored,
            shown(golden),
            shown(&input.file)
        );
    }
    let drift = tree_diff::compare(&found.files, &tree, how.show_secrets);
    if drift.is_empty() {
        let _ = writeln!(
            err,
            "no drift: {} matches {}",
            shown(golden),
            shown(&input.file)
        );
        return Ok(Outcome::Clean);
    }
    for d in &drift {
        let text = if how.color {
            tree_diff::colorize(&d.diff)
        } else {
            d.diff.clone()
        };
        let _ = out.write_all(text.as_bytes());
    }
    let (added, removed) = tree_diff::stats(&drift);
    let _ = writeln!(
        err,
        "drift: {} file(s) differ from {} (+{added} -{removed}); run `sg-executor-gen diff -f {} --golden {} --update` if the change is intended",
        drift.len(),
        shown(golden),
        shell_word(input.file.as_os_str().as_bytes()),
        shell_word(golden.as_os_str().as_bytes()),
    );
    Ok(Outcome::Drift)
}
