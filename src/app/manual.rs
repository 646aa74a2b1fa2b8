//! What the tool says about itself, generated from its own definitions: the JSON Schema of
//! the config (`schema`), shell completions and the man page from the clap command line.

use super::{AppError, Outcome};
use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;

pub(super) fn schema(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let schema = crate::config::schema::schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    let _ = writeln!(out, "{text}");
    Ok(Outcome::Clean)
}

pub(super) fn completions(
    shell: clap_complete::Shell,
    out: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "sg-executor-gen", out);
    Ok(Outcome::Clean)
}

pub(super) fn man(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut text = Vec::new();
    page.render(&mut text)
        .map_err(|e| AppError::Usage(format!("cannot render the man page: {e}")))?;
    let _ = out.write_all(&text);
    Ok(Outcome::Clean)
}
