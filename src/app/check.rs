//! `check`: reads manifest streams (files, directories of them, standard input) and reports
//! what the typed, wiring and value checks find: one located line a problem and a summary
//! on stderr, or a JSON or JUnit report on stdout. Problems are a result (exit 1), like
//! drift. A stream with nothing to check is an error (exit 2) unless `--allow-empty`: in CI
//! it is almost always the command before the pipe that failed.

use super::input::{is_stdin, plain_io, read_text};
use super::{AppError, Outcome};
use crate::check::report;
use crate::check::stream::{check_streams, StreamReport};
use crate::cli::{CheckArgs, ReportFormat};
use crate::diagnostic::{Origin, Origins, Problem};
use crate::yaml::MAX_STREAM_BYTES;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The extensions of manifest files in a directory.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

pub(super) fn check(
    args: &CheckArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Result<Outcome, AppError> {
    let mut paths = Vec::new();
    for given in &args.files {
        expand(given, &mut paths)?;
    }
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err(AppError::one(
            "-f",
            Problem::error("standard input is given twice").hint("read it once"),
        ));
    }
    let mut texts = Vec::with_capacity(paths.len());
    let mut origins = Vec::with_capacity(paths.len());
    let too_large = "check the manifests of a few stacks at a time";
    let mut total = 0u64;
    for path in &paths {
        let (shown, text) = read_text(path, MAX_STREAM_BYTES, too_large)?;
        total += text.len() as u64;
        if total > MAX_STREAM_BYTES {
            return Err(AppError::one(
                shown,
                Problem::error(format!(
                    "the manifests together are larger than {} MiB",
                    MAX_STREAM_BYTES >> 20
                ))
                .hint(too_large),
            ));
        }
        origins.push(Origin::File(shown));
        texts.push(text);
    }
    let origins = Origins(origins);
    let borrowed: Vec<&str> = texts.iter().map(String::as_str).collect();
    let report = check_streams(&borrowed).map_err(|e| AppError::Config {
        origins: origins.clone(),
        problems: vec![e.problem],
        not_shown: 0,
        at_least: false,
    })?;
    if report.checked() == 0 && !args.allow_empty {
        return Err(AppError::one(
            sources(&origins, &paths),
            nothing_checked(&report),
        ));
    }
    // The verdict is the report's, whatever happens to the printing.
    let passed = report::passed(&report, args.strict);
    match args.output {
        ReportFormat::Text => text(&report, &origins, args.strict, err, color),
        ReportFormat::Json => {
            let _ = out.write_all(report::json(&report, &origins, args.strict).as_bytes());
        }
        ReportFormat::Junit => {
            let _ = out.write_all(report::junit(&report, &origins, args.strict).as_bytes());
        }
    }
    Ok(if passed {
        Outcome::Clean
    } else {
        Outcome::Drift
    })
}

/// The text report: notes, problems, what could not be checked, and a summary.
fn text(report: &StreamReport, origins: &Origins, strict: bool, err: &mut dyn Write, color: bool) {
    for l in report.outside.iter().chain(&report.problems) {
        let mut p = l.problem.clone();
        if strict {
            p.severity = crate::diagnostic::Severity::Error;
        }
        let _ = writeln!(err, "{}", p.display_in(origins, color));
    }
    let unchecked: usize = report.unchecked.iter().map(|(_, n)| n).sum();
    if unchecked > 0 {
        let kinds: Vec<String> = report
            .unchecked
            .iter()
            .map(|(kind, n)| format!("{kind} ({n})"))
            .collect();
        let level = if strict { "error" } else { "note" };
        let _ = writeln!(
            err,
            "{level}: {unchecked} object(s) of kinds it cannot check, not counted as checked: {}",
            kinds.join(", ")
        );
    }
    let _ = writeln!(
        err,
        "checked {} object(s) in {} namespace(s): {} problem(s), {} reference(s) outside the stream",
        report.checked(),
        report.namespaces,
        report.problems.len(),
        report.outside.len()
    );
}

/// Why a stream with nothing checked fails, and what to do.
fn nothing_checked(report: &StreamReport) -> Problem {
    let fix = "pass --allow-empty if an empty stream is expected";
    if report.documents == 0 {
        Problem::error("the stream is empty: nothing was checked").hint(format!(
            "the command writing it most likely failed (without `set -o pipefail` a shell loses its exit status); run it alone to see why, or {fix}"
        ))
    } else {
        let kinds: Vec<String> = report
            .unchecked
            .iter()
            .map(|(kind, n)| format!("{kind} ({n})"))
            .collect();
        Problem::error(format!(
            "nothing was checked: the stream holds only objects of kinds it cannot check: {}",
            kinds.join(", ")
        ))
        .hint(format!(
            "check a stream with the executor's objects, or {fix}"
        ))
    }
}

/// The sources in one name, for a problem about all of them.
fn sources(origins: &Origins, paths: &[PathBuf]) -> String {
    match paths.len() {
        1 => origins.primary().to_string(),
        0 => "check".into(),
        n => format!("{} and {} more", origins.primary(), n - 1),
    }
}

/// A `-f` argument as the files it names: a file, `-`, or a directory's manifest files,
/// recursively, in name order. A directory without any is an error, like an empty stream.
fn expand(given: &Path, paths: &mut Vec<PathBuf>) -> Result<(), AppError> {
    if is_stdin(given) || !given.is_dir() {
        paths.push(given.to_path_buf());
        return Ok(());
    }
    let before = paths.len();
    walk(given, paths)?;
    if paths.len() == before {
        return Err(AppError::one(
            given.display().to_string(),
            Problem::error("the directory holds no *.yaml, *.yml or *.json file")
                .hint("give the directory of the manifests, or the files themselves"),
        ));
    }
    Ok(())
}

fn walk(dir: &Path, paths: &mut Vec<PathBuf>) -> Result<(), AppError> {
    let cannot = |e: std::io::Error| {
        AppError::one(
            dir.display().to_string(),
            Problem::error(format!("cannot read the directory: {}", plain_io(&e)))
                .hint("check its permissions"),
        )
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(dir)
        .map_err(cannot)?
        .map(|e| e.and_then(|e| Ok((e.path(), e.file_type()?))))
        .collect::<Result<_, _>>()
        .map_err(cannot)?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in entries {
        if kind.is_dir() {
            // A link to a directory is not followed: it could lead back up the tree.
            walk(&path, paths)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| MANIFEST_EXTENSIONS.contains(&e))
        {
            paths.push(path);
        }
    }
    Ok(())
}
