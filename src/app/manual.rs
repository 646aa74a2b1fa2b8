//! What the tool says about itself, generated from its own definitions: the JSON Schema of
//! the config (`schema`).

use super::{AppError, Outcome};
use std::io::Write;

pub(super) fn schema(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let schema = crate::config::schema::schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    let _ = writeln!(out, "{text}");
    Ok(Outcome::Clean)
}
