//! `diff`: compares what `build` would write with a golden directory, or rewrites it.

use super::input::generate;
use super::{AppError, Outcome};
use crate::cli::Input;
use crate::component::layout::{provenance, Provenance, Tree};
use crate::component::output_dir;
use crate::component::tree_diff;
use std::io::Write;
use std::path::Path;

pub(super) fn diff(
    input: &Input,
    golden: &Path,
    update: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Result<Outcome, AppError> {
    let (name, generated) = generate(input, err)?;
    let tree = generated.component(&name);
    if update {
        // Updating golden files is meant to discard their hand edits.
        let written = output_dir::write_tree(golden, &tree, &name, true)?;
        let what = if written { "updated" } else { "unchanged:" };
        let _ = writeln!(err, "{what} {} ({} files)", golden.display(), tree.len());
        return Ok(Outcome::Clean);
    }
    if golden.is_file() {
        return Err(AppError::Output(output_dir::OutputError::NotADirectory {
            path: golden.to_path_buf(),
        }));
    }
    if !golden.is_dir() {
        return Err(AppError::NoGolden(golden.display().to_string()));
    }
    // Only this config's files are compared; anything else in the directory
    // (notes, other components) is not ours to judge, and --update never touches it.
    let listing = output_dir::read_tree(golden)?;
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
        let _ = writeln!(
            err,
            "ignored {ignored} file(s) in {} not generated from {name}",
            golden.display()
        );
    }
    let drift = tree_diff::compare(&existing, &tree);
    if drift.is_empty() {
        let _ = writeln!(
            err,
            "no drift: {} matches {}",
            golden.display(),
            input.file.display()
        );
        return Ok(Outcome::Clean);
    }
    for d in &drift {
        let text = if color {
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
        golden.display(),
        input.file.display(),
        golden.display()
    );
    Ok(Outcome::Drift)
}
