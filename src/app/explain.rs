//! `explain KEY`: a key's documentation from `config::docs`, the same that `docs/keys.md`'s
//! table and the schema show. A near miss is an error (exit 2) with "did you mean".

use super::{AppError, Outcome};
use crate::config::docs::{self, Explained};
use std::io::Write;

pub(super) fn explain(key: Option<&str>, out: &mut dyn Write) -> Result<Outcome, AppError> {
    let Some(key) = key else {
        for (k, row) in docs::keys() {
            let _ = writeln!(out, "{:<58} {}", k.path, row.chart.cell().trim_matches('*'));
        }
        return Ok(Outcome::Clean);
    };
    match docs::explain(key) {
        Explained::Text(text) => {
            let _ = out.write_all(text.as_bytes());
            Ok(Outcome::Clean)
        }
        Explained::Unknown {
            asked: key,
            suggestion,
        } => Err(AppError::Usage(match suggestion {
            Some(s) => format!("error: `{key}` is not a config key; did you mean `{s}`?"),
            None => format!(
                "error: `{key}` is not a config key; `sg-executor-gen explain` lists them all"
            ),
        })),
    }
}
