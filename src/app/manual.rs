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

pub(super) fn man(out: &mut dyn Write) -> Result<Outcome, AppError> {
    let page = clap_mangen::Man::new(Cli::command());
    let mut text = Vec::new();
    page.render(&mut text)
        .map_err(|e| AppError::Usage(format!("cannot render the man page: {e}")))?;
    let _ = out.write_all(&text);
    Ok(Outcome::Clean)
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
