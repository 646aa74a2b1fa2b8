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
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut script);
    let script = String::from_utf8(script).map_err(|e| {
        AppError::Usage(format!(
            "internal error: the completions are not UTF-8: {e}"
        ))
    })?;
    let script = match shell {
        clap_complete::Shell::Bash => bash_states(&script, BIN).map_err(AppError::Usage)?,
        _ => script,
    };
    let _ = out.write_all(script.as_bytes());
    Ok(Outcome::Clean)
}

const BIN: &str = "sg-executor-gen";

/// Repairs clap_complete's bash script for a binary name with a hyphen (clap issues #6421,
/// #6529): its loop over the words spells the state for `render` `sg__executor__gen__subcmd__render`,
/// but the `case` that completes each state spells its labels with every hyphen of the
/// binary's name as the subcommand separator (`sg__subcmd__executor__subcmd__gen__subcmd__render`),
/// so no label matches and nothing after a subcommand completes. Each label is respelled as
/// the loop spells it; a label that then names no state the loop can reach is an error, so
/// a change upstream cannot leave a script that silently completes nothing. A fixed upstream
/// leaves nothing to respell.
fn bash_states(script: &str, bin: &str) -> Result<String, String> {
    let state = |line: &str| {
        let line = line.trim();
        line.strip_prefix("cmd=\"")?
            .strip_suffix('"')
            .map(str::to_string)
    };
    let states: std::collections::HashSet<String> = script.lines().filter_map(state).collect();
    let wrong = bin.replace('-', "__subcmd__");
    let right = bin.replace('-', "__");
    let mut out = String::with_capacity(script.len());
    let mut in_dispatch = false;
    for line in script.split_inclusive('\n') {
        if line.trim() == "case \"${cmd}\" in" {
            in_dispatch = true;
        }
        let label = line
            .strip_prefix("        ")
            .and_then(|l| l.trim_end().strip_suffix(')'))
            .filter(|l| in_dispatch && !l.is_empty() && !l.contains([' ', '"', '*']));
        match label {
            Some(label) => {
                let fixed = match label.strip_prefix(&wrong) {
                    Some(rest) if !states.contains(label) => format!("{right}{rest}"),
                    _ => label.to_string(),
                };
                if !states.contains(&fixed) {
                    return Err(format!("internal error: the bash completions have a case `{label}` that no command line reaches; please file an issue"));
                }
                out.push_str(&format!("        {fixed})\n"));
            }
            None => out.push_str(line),
        }
    }
    Ok(out)
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
        None => BIN.to_string(),
        Some(sub) => format!("{BIN}-{sub}"),
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
                .filter_map(|p| p.name.strip_prefix(BIN)?.strip_prefix('-'))
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
    let source = format!("{BIN} {}", crate::cli::VERSION);
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
                clap_mangen::roff::bold(BIN),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_labels_are_spelled_as_the_loop_spells_its_states() {
        let mut cmd = Cli::command();
        let mut script = Vec::new();
        clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, BIN, &mut script);
        let fixed = bash_states(&String::from_utf8(script).unwrap(), BIN).unwrap();
        assert!(
            fixed.contains("\n        sg__executor__gen__subcmd__render)\n"),
            "{fixed}"
        );
        assert!(!fixed.contains("sg__subcmd__executor"), "{fixed}");
    }

    #[test]
    fn a_label_no_state_matches_is_an_error() {
        let script = "    for i in x\n    do\n        case \"${cmd},${i}\" in\n            \",$1\")\n                cmd=\"a__b\"\n                ;;\n        esac\n    done\n    case \"${cmd}\" in\n        a__b)\n            ;;\n        a__c)\n            ;;\n    esac\n";
        assert!(bash_states(script, "a-b").unwrap_err().contains("`a__c`"));
    }
}
