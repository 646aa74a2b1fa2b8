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

/// How to run: compare or `update`, show Secret values or not.
pub(super) struct How {
    pub update: bool,
    pub show_secrets: bool,
}

pub(super) fn diff(
    input: &Input,
    golden: &Path,
    how: How,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: super::Colors,
) -> Result<Outcome, AppError> {
    let generated = generate(input, err, color.err)?;
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
            sources(input)
        );
    }
    let drift = tree_diff::compare(&found.files, &tree, how.show_secrets);
    if drift.is_empty() {
        let _ = writeln!(
            err,
            "no drift: {} matches {}",
            shown(golden),
            sources(input)
        );
        return Ok(Outcome::Clean);
    }
    for d in &drift {
        let text = if color.out {
            tree_diff::colorize(&d.diff)
        } else {
            d.diff.clone()
        };
        let _ = out.write_all(text.as_bytes());
    }
    let (added, removed) = tree_diff::stats(&drift);
    let _ = writeln!(
        err,
        "drift: {} file(s) differ from {} (+{added} -{removed}); run `sg-executor-gen diff {} --golden {} --update` if the change is intended",
        drift.len(),
        shown(golden),
        arguments(input),
        shell_word(golden.as_os_str().as_bytes()),
    );
    Ok(Outcome::Drift)
}

/// The config's sources in words: `a.yaml`, `a.yaml, b.yaml and --set`.
fn sources(input: &Input) -> String {
    let mut names: Vec<String> = input.files.iter().map(|f| shown(f)).collect();
    if !(input.sets.set.is_empty()
        && input.sets.set_string.is_empty()
        && input.sets.set_file.is_empty())
    {
        names.push("--set".into());
    }
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// The config's flags, to repeat them in a command (quoted for a shell where needed).
fn arguments(input: &Input) -> String {
    let mut args = Vec::new();
    for f in &input.files {
        args.push(format!("-f {}", shell_word(f.as_os_str().as_bytes())));
    }
    for (flag, values) in [
        ("--set", &input.sets.set),
        ("--set-string", &input.sets.set_string),
        ("--set-file", &input.sets.set_file),
    ] {
        for v in values {
            args.push(format!("{flag} {}", shell_word(v.as_bytes())));
        }
    }
    args.join(" ")
}
