//! `diff`: compares what `build` would write with a golden directory, or rewrites it.
//! The comparison is by path: at every path the tool generates, the golden file there,
//! header or not; and the files the golden manifest lists that are no longer generated.

use super::input::generate;
use super::{AppError, Outcome};
use crate::cli::Input;
use crate::component::output_dir::{self, Claim, OutputError};
use crate::component::tree_diff;
use std::io::Write;
use std::path::Path;

pub(super) fn diff(
    input: &Input,
    golden: &Path,
    update: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: super::Colors,
) -> Result<Outcome, AppError> {
    let generated = generate(input, err, color.err)?;
    let tree = generated.component();
    if update {
        let written = output_dir::write_tree(golden, &tree, Claim::EveryGeneratedPath)?;
        let what = if written { "updated" } else { "unchanged:" };
        let _ = writeln!(err, "{what} {} ({} files)", golden.display(), tree.len());
        return Ok(Outcome::Clean);
    }
    if golden.is_file() {
        return Err(OutputError::NotADirectory {
            path: golden.to_path_buf(),
        }
        .into());
    }
    if !golden.is_dir() {
        return Err(AppError::NoGolden(golden.display().to_string()));
    }
    // Anything else in the directory (notes, other components) is not ours to judge,
    // and --update never touches it.
    let found = output_dir::read_golden(golden, &tree)?;
    if found.ignored > 0 {
        let _ = writeln!(
            err,
            "ignored {} file(s) in {} not generated from {}",
            found.ignored,
            golden.display(),
            sources(input)
        );
    }
    let drift = tree_diff::compare(&found.files, &tree);
    if drift.is_empty() {
        let _ = writeln!(
            err,
            "no drift: {} matches {}",
            golden.display(),
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
        golden.display(),
        arguments(input),
        golden.display()
    );
    Ok(Outcome::Drift)
}

/// The config's sources in words: `a.yaml`, `a.yaml, b.yaml and --set`.
fn sources(input: &Input) -> String {
    let mut names: Vec<String> = input
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    if !(input.set.is_empty() && input.set_string.is_empty() && input.set_file.is_empty()) {
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
        args.push(format!("-f {}", quote(&f.display().to_string())));
    }
    for (flag, values) in [
        ("--set", &input.set),
        ("--set-string", &input.set_string),
        ("--set-file", &input.set_file),
    ] {
        for v in values {
            args.push(format!("{flag} {}", quote(v)));
        }
    }
    args.join(" ")
}

/// `text` as one shell word.
fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=,:@+".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}
