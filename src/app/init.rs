//! `init`: prints the starter config (`config::starter`) for the flags given, after running
//! it through the pipeline exactly as `render` would, so what it prints renders as it is.

use super::{AppError, Outcome};
use crate::cli::InitArgs;
use crate::config::starter::{self, Starter};
use crate::config::Overrides;
use crate::pipeline::{self, PipelineError};
use std::io::Write;

pub(super) fn init(args: &InitArgs, out: &mut dyn Write) -> Result<Outcome, AppError> {
    let text = starter::text(&Starter {
        mode: args.mode.into(),
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        frontend_url: args.frontend_url.clone(),
        existing_secret: args.existing_secret.clone(),
        queues: args.queues.clone(),
        schema: args.schema.clone(),
    });
    match pipeline::generate(&text, &Overrides::default()) {
        Ok(_) => {}
        Err(PipelineError::Config(e)) => {
            return Err(AppError::Config {
                origins: crate::diagnostic::Origins::file("init"),
                // The lines are the printed text's, which was not printed: the key path
                // names the flag.
                problems: e
                    .problems
                    .into_iter()
                    .map(|mut p| {
                        p.at = None;
                        p
                    })
                    .collect(),
                not_shown: e.not_shown,
                at_least: e.at_least,
            });
        }
        Err(other) => return Err(AppError::Internal(other)),
    }
    let _ = out.write_all(text.as_bytes());
    Ok(Outcome::Clean)
}
