//! `check`: reads a manifest stream and reports what the typed and wiring checks find, one
//! located line a problem, then a summary. Problems are a result (exit 1), like drift.

use super::input::read_text;
use super::{AppError, Outcome};
use crate::check::stream::check_stream;
use std::io::Write;
use std::path::Path;

/// The largest stream read: ten thousand executor Deployments are about 60 MB.
const MAX_STREAM_BYTES: u64 = 256 << 20;

pub(super) fn check(file: &Path, err: &mut dyn Write) -> Result<Outcome, AppError> {
    let (shown, text) = read_text(
        file,
        MAX_STREAM_BYTES,
        "check the manifests of a few stacks at a time",
    )?;
    let report = check_stream(&text).map_err(|e| AppError::one(shown.clone(), e.problem))?;
    // The verdict is the report's, whatever happens to the printing.
    for p in report.outside.iter().chain(&report.problems) {
        let _ = writeln!(err, "{}", p.display(&shown));
    }
    let _ = writeln!(
        err,
        "checked {} object(s) in {} namespace(s): {} problem(s), {} reference(s) outside the stream",
        report.objects,
        report.namespaces,
        report.problems.len(),
        report.outside.len()
    );
    Ok(if report.problems.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Drift
    })
}
