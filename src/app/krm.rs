//! `fn`: the KRM function's edge. Reads the `ResourceList` from standard input and prints
//! what `krm::run` makes of it; exit 1 when it holds an error result, as kpt expects.

use super::input::read_text;
use super::{AppError, Outcome};
use crate::krm::{self, MAX_INPUT_BYTES};
use std::io::Write;
use std::path::Path;

pub(super) fn run(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let (_, text) = read_text(
        Path::new("-"),
        MAX_INPUT_BYTES,
        "run the function on a smaller package",
    )?;
    let run = krm::run(&text);
    let _ = out.write_all(run.output.as_bytes());
    Ok(if run.failed {
        Outcome::Drift
    } else {
        Outcome::Clean
    })
}
