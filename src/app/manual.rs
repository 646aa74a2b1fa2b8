//! What the tool says about itself, generated from its own definitions: the JSON Schema of
//! the config (`schema`), shell completions and the man pages (the tool's and one per
//! subcommand) from the clap command line.

use super::{AppError, Outcome};
use crate::cli::{Cli, ManArgs};
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

pub(super) fn man(
    args: &ManArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, AppError> {
    let pages = pages();
    if let Some(dir) = &args.dir {
        let failed = |e: std::io::Error| {
            AppError::Usage(format!(
                "error: cannot write the man pages into {}: {e}; give a directory you can write to",
                dir.display()
            ))
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        for page in &pages {
            std::fs::write(dir.join(&page.file), &page.text).map_err(failed)?;
        }
        let _ = writeln!(
            err,
            "wrote {} man pages into {}",
            pages.len(),
            dir.display()
        );
        return Ok(Outcome::Clean);
    }
    let wanted = match &args.subcommand {
        None => TOOL.to_string(),
        Some(sub) => format!("{TOOL}-{sub}"),
    };
    match pages.iter().find(|p| p.name == wanted) {
        Some(page) => {
            let _ = out.write_all(&page.text);
            Ok(Outcome::Clean)
        }
        None => {
            let asked = args.subcommand.as_deref().unwrap_or_default();
            let known: Vec<&str> = pages
                .iter()
                .filter_map(|p| p.name.strip_prefix(TOOL)?.strip_prefix('-'))
                .collect();
            Err(AppError::Usage(
                match crate::diagnostic::did_you_mean(asked, known.iter().copied()) {
                    Some(s) => format!("error: `{asked}` is not a subcommand; did you mean `{s}`?"),
                    None => format!(
                        "error: `{asked}` is not a subcommand; pages exist for {}",
                        known.join(", ")
                    ),
                },
            ))
        }
    }
}

const TOOL: &str = "sg-executor-gen";

/// One manual page: its name (`sg-executor-gen-render`), file name and roff text.
struct Page {
    name: String,
    file: String,
    text: Vec<u8>,
}

/// The tool's page and one per subcommand, each from the clap definition; a subcommand's
/// page points back at the tool's, whose SUBCOMMANDS section names every subcommand's page.
fn pages() -> Vec<Page> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let source = format!("{TOOL} {}", crate::cli::VERSION);
    let page = |cmd: clap::Command, see_also: bool| {
        let man = clap_mangen::Man::new(cmd)
            .source(source.clone())
            .manual("sg-executor-gen manual");
        let mut text = Vec::new();
        // Rendering into memory cannot fail.
        let _ = man.render(&mut text);
        if see_also {
            let mut roff = clap_mangen::roff::Roff::new();
            roff.control("SH", ["SEE ALSO"]).text([
                clap_mangen::roff::bold(TOOL),
                clap_mangen::roff::roman("(1)"),
            ]);
            text.extend_from_slice(roff.to_roff().as_bytes());
        }
        let name = man.get_filename();
        Page {
            name: name.strip_suffix(".1").unwrap_or(&name).to_string(),
            file: name,
            text,
        }
    };
    let mut pages = vec![page(cmd.clone(), false)];
    pages.extend(
        cmd.get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| page(s.clone(), true)),
    );
    pages
}
