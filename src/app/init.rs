//! `init`: prints the starter config (`config::starter`) for the flags given, after running
//! it through the pipeline exactly as `render` would, so what it prints renders as it is.
//! With `--set`, the set keys are written into the starter in place of their commented
//! defaults; a problem names the `--set` argument, and what is printed must render exactly
//! as the starter with the sets does.

use super::input::read_set_file;
use super::{AppError, Outcome};
use crate::cli::InitArgs;
use crate::config::layers::{self, Layer};
use crate::config::starter::{self, Starter};
use crate::config::{strvals, Overrides};
use crate::diagnostic::{Origin, Origins, Problem};
use crate::pipeline::{self, Generated, PipelineError};
use std::io::Write;

pub(super) fn init(
    args: &InitArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    color: bool,
) -> Result<Outcome, AppError> {
    let starter = Starter {
        mode: args.mode.into(),
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        frontend_url: args.frontend_url.clone(),
        existing_secret: args.existing_secret.clone(),
        queues: args.queues.clone(),
        schema: args.schema.clone(),
    };
    let plain = starter::text(&starter);
    let mut layers = vec![Layer::File(&plain)];
    // The lines are the printed text's, which was not printed: a problem's key path names
    // the flag, and one a --set argument made points into that argument.
    let mut origins = vec![Origin::File("init".into())];
    for (arg, kind) in args.sets.in_order() {
        origins.push(Origin::Argument(format!("{} {arg}", kind.flag())));
        layers.push(Layer::Set(arg, kind));
    }
    let origins = Origins(origins);
    let mut read_file = read_set_file;
    let with_sets = checked(
        pipeline::generate_layered(&layers, &Overrides::default(), &mut read_file),
        &origins,
    )?;
    // Warnings are the starter's with these values, which is what is printed.
    if !with_sets.warnings.is_empty() {
        let report = crate::diagnostic::report(
            &origins,
            &without_starter_lines(with_sets.warnings.clone()),
            with_sets.warnings_not_shown,
            false,
            color,
        );
        let _ = writeln!(err, "{report}");
    }
    if layers.len() == 1 {
        let _ = out.write_all(plain.as_bytes());
        return Ok(Outcome::Clean);
    }
    let merged =
        layers::merge_layers(&layers, &mut read_file).map_err(|refused| AppError::Config {
            origins: origins.clone(),
            problems: refused.problems,
            not_shown: refused.not_shown,
            at_least: false,
        })?;
    let assignments: Vec<strvals::Assignment> = args
        .sets
        .in_order()
        .filter_map(|(arg, _)| strvals::parse(arg).ok())
        .flatten()
        .collect();
    let text = starter::text_with(
        &starter,
        &starter::values_set(&starter, &merged.root, &assignments),
    );
    // What is printed must be what was checked: the same objects, byte for byte.
    let printed = checked(
        pipeline::generate(&text, &Overrides::default()),
        &Origins::file("init"),
    )?;
    if printed.stream() != with_sets.stream() {
        return Err(AppError::one(
            "init",
            Problem::error("the starter with these --set values cannot be written as one file")
                .hint("write the starter without --set, then edit it (or layer a values file with -f when rendering)"),
        ));
    }
    let _ = out.write_all(text.as_bytes());
    Ok(Outcome::Clean)
}

/// The pipeline's result, or its config problems as the app reports them.
fn checked(
    result: Result<Generated, PipelineError>,
    origins: &Origins,
) -> Result<Generated, AppError> {
    match result {
        Ok(generated) => Ok(generated),
        Err(PipelineError::Config(e)) => Err(AppError::Config {
            origins: origins.clone(),
            problems: without_starter_lines(e.problems),
            not_shown: e.not_shown,
            at_least: e.at_least,
        }),
        Err(other) => Err(AppError::Internal(other)),
    }
}

/// The starter's lines were not printed (and move with the sets): a problem there is shown
/// by its key path alone; one in a --set argument keeps its column.
fn without_starter_lines(problems: Vec<Problem>) -> Vec<Problem> {
    problems
        .into_iter()
        .map(|mut p| {
            if p.at.is_some_and(|at| at.source == 0) {
                p.at = None;
            }
            p
        })
        .collect()
}
