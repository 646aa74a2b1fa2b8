//! From a config file's text to a validated `Config`: the first phase of the pipeline.
//!
//! Decides between the two accepted forms (KRM wrapper or bare Helm values) and runs one
//! code path for both, so every problem, from YAML syntax to a queue name, comes back in
//! one list, located and sorted. A config in layers (several files, `--set`) is merged
//! first (`layers`), into one tree that remembers which source set each value.

use crate::config::docs;
use crate::config::layers::{merge_layers, Layer};
use crate::config::main_chart;
use crate::config::node_de::collect_errors;
use crate::config::raw::{RawKrm, RawSpec};
use crate::config::source::{path_to_string, Node, Segment};
use crate::config::validate::{validate, Checker, Overrides};
use crate::config::Config;
use crate::diagnostic::{self, Problem, Severity, MAX_SHOWN};

/// A config that passed, with the warnings it earned.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Problem>,
    /// Warnings found beyond the `MAX_SHOWN` in `warnings`.
    pub not_shown: usize,
}

/// The first `MAX_SHOWN` problems found, errors and warnings, in file order, and how many
/// more there were.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the config", problems.len() + not_shown)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
    pub not_shown: usize,
    /// Set when reading stopped early, so there may be more than `not_shown`.
    pub at_least: bool,
}

/// Reads, checks and defaults one config file's text.
pub fn load(text: &str, overrides: &Overrides) -> Result<Loaded, ConfigError> {
    load_layers(&[Layer::File(text)], overrides, &mut |_| {
        Err("no files are read here".into())
    })
}

/// Reads, merges (`layers`), checks and defaults a config given in layers; `read` reads
/// the files `--set-file` names. Every problem is located in the source that set the value.
pub fn load_layers(
    layers: &[Layer<'_>],
    overrides: &Overrides,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Loaded, ConfigError> {
    let merged = merge_layers(layers, read_file).map_err(|refused| {
        let mut problems = refused.problems;
        diagnostic::sort(&mut problems);
        ConfigError {
            problems,
            not_shown: refused.not_shown,
            at_least: false,
        }
    })?;
    let mut root = merged.root;
    let mut found = Found {
        problems: merged.problems,
        not_shown: merged.not_shown,
        ..Found::default()
    };
    // A shared override's sections of the main chart: ignored as Helm ignores them, said once.
    let values_at = if merged.krm {
        vec![Segment::Key("spec".into())]
    } else {
        Vec::new()
    };
    found
        .problems
        .extend(main_chart::set_aside(&mut root, &values_at));
    let (krm, spec, prefix) = if merged.krm {
        match read::<RawKrm>(&root, &mut found, true) {
            Some(mut krm) => {
                if krm.spec.is_none() {
                    let mut p = Problem::error("the config has no `spec`")
                        .at(root.at)
                        .path("spec")
                        .hint("put the Helm chart values under `spec:`");
                    p.missing = vec!["spec".into()];
                    found.problems.push(p);
                }
                let spec = krm.spec.take().unwrap_or_default();
                (Some(krm), spec, vec![Segment::Key("spec".into())])
            }
            None => (None, RawSpec::default(), Vec::new()),
        }
    } else {
        let spec = read::<RawSpec>(&root, &mut found, false).unwrap_or_default();
        (None, spec, Vec::new())
    };
    let Found {
        mut problems,
        meant,
        mut not_shown,
        at_least,
    } = found;
    let mut checker = Checker::new(&root, prefix);
    // A wrong key or type leaves the rest of the file readable; check it too so nothing is hidden.
    let config = validate(krm.as_ref(), &spec, overrides, &mut checker);
    // A typo of a required key, a key (or block) in the wrong place, or a block of the
    // wrong type is reported once, as the cause, not also as the keys it leaves missing.
    let under = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.starts_with(['.', '[']))
    };
    // Missing because of what was meant there, or because an entry of it was left out.
    let consequence = |missing: &str| {
        meant.iter().any(|m| {
            missing == m
                || under(missing, m)
                || under(m, missing) && m[missing.len()..].starts_with('[')
        })
    };
    problems.extend(checker.problems);
    problems.retain(|p| !p.missing.iter().any(|m| consequence(m)));
    problems.dedup();
    diagnostic::sort(&mut problems);
    // Whatever the parse or the read did not show is an error (a character, a key).
    let failed = not_shown > 0 || problems.iter().any(|p| p.severity == Severity::Error);
    not_shown += problems.len().saturating_sub(MAX_SHOWN);
    problems.truncate(MAX_SHOWN);
    match config {
        Some(config) if !failed => Ok(Loaded {
            config,
            warnings: problems,
            not_shown,
        }),
        _ => Err(ConfigError {
            problems,
            not_shown,
            at_least,
        }),
    }
}

/// What reading found besides the value: a problem for each bad entry, for each unknown
/// key the paths of the keys it was likely meant to be, and how many were not shown.
#[derive(Default)]
struct Found {
    problems: Vec<Problem>,
    meant: Vec<String>,
    not_shown: usize,
    at_least: bool,
}

/// The typed form, read from what is left of the tree; what was wrong goes into `found`.
/// `krm`: the tree is in the KRM form, Helm values under `spec`.
fn read<T: serde::de::DeserializeOwned>(root: &Node, found: &mut Found, krm: bool) -> Option<T> {
    let collected = match collect_errors::<T>(root, MAX_SHOWN) {
        Ok(v) => return Some(v),
        Err(c) => c,
    };
    for e in collected.errors {
        let at = match (&e.path[..], e.unknown_key) {
            ([], _) => e.at.unwrap_or(root.at),
            (path, true) => root.locate_key(path),
            (path, false) => root.locate(path),
        };
        let mut hint = e.hint;
        let misplaced = if e.unknown_key {
            misplaced(&e.path, krm)
        } else {
            None
        };
        if let Some(m) = misplaced {
            hint = Some(m.hint);
            found.meant.extend(m.meant);
        } else if let (Some(near), Some((_, parent))) = (&e.suggestion, e.path.split_last()) {
            let mut p = parent.to_vec();
            p.push(Segment::Key(near.clone()));
            found.meant.push(path_to_string(&p));
        } else if !e.unknown_key && !e.path.is_empty() {
            // A value of the wrong type is left out; the keys under it are not also missing.
            found.meant.push(path_to_string(&e.path));
        }
        let mut p = Problem::error(e.message)
            .at(at)
            .path(path_to_string(&e.path));
        p.hint = hint.or_else(|| Some(expected_form(&e.path, krm)));
        found.problems.push(p);
    }
    found.not_shown += collected.not_shown;
    found.at_least |= collected.at_least;
    collected.value
}

/// Where a misplaced key belongs, and the full paths it stands for there.
struct Misplaced {
    hint: String,
    meant: Vec<String>,
}

/// An unknown key that is a key of the config elsewhere (`queueName` dedented out of
/// `executor:`, `privateDockerRegistry` nested in it, Helm's top-level `replicaCount`, a KRM
/// config's `executor:` beside `spec:`): where it belongs, from the key table.
fn misplaced(path: &[Segment], krm: bool) -> Option<Misplaced> {
    let (Segment::Key(name), parent) = path.split_last()? else {
        return None;
    };
    let (parent, at_krm_top) = match (krm, parent.first()) {
        (false, _) => (parent, false),
        (true, None) => (parent, true),
        (true, Some(Segment::Key(k))) if k == "spec" => (&parent[1..], false),
        (true, Some(_)) => return None,
    };
    let places = docs::places(name);
    let here = docs::normalize(&path_to_string(
        &[parent, &[Segment::Key(name.clone())]].concat(),
    ));
    if places.is_empty() || (!at_krm_top && places.contains(&here)) {
        return None;
    }
    let full = |p: &str| {
        if krm {
            format!("spec.{p}")
        } else {
            p.to_string()
        }
    };
    let meant: Vec<String> = places.iter().map(|p| full(p)).collect();
    let under = |p: &str| match p.rsplit_once('.') {
        Some((parent, _)) => format!("under `{}:`", full(parent)),
        None if krm => "directly under `spec:`".to_string(),
        None => "at the top level".to_string(),
    };
    // A key of a list's entries (`queues[].queueName`) is the other place, not the likely one.
    let (single, in_lists): (Vec<&String>, Vec<&String>) =
        places.iter().partition(|p| !p.contains("[]"));
    let hint = match (single.as_slice(), places.as_slice()) {
        ([one], _) if at_krm_top && *one == name => {
            format!(
                "`{name}` is a Helm value: it belongs {}, with the others",
                under(one)
            )
        }
        ([one], _) => {
            let now = match parent.split_last() {
                None if at_krm_top => " (beside `spec:`)".to_string(),
                None => String::new(),
                Some(_) => format!(", not under `{}:`", full(&path_to_string(parent))),
            };
            let as_path = if one.contains('.') {
                format!(" (`{}`)", full(one))
            } else {
                String::new()
            };
            let also: Vec<String> = in_lists
                .iter()
                .filter_map(|p| p.split_once("[]"))
                .map(|(list, _)| format!("`{}` entry", full(list)))
                .collect();
            let also = if also.is_empty() {
                String::new()
            } else {
                format!("; it is also a key of each {}", also.join(" and each "))
            };
            format!("`{name}` belongs {}{now}{as_path}{also}", under(one))
        }
        (_, many) => {
            let shown: Vec<String> = many
                .iter()
                .take(4)
                .map(|p| format!("`{}`", full(p)))
                .collect();
            let more = if many.len() > 4 {
                format!(" and {} more", many.len() - 4)
            } else {
                String::new()
            };
            format!(
                "`{name}` belongs at {}{more}; `sg-executor-gen explain {name}` lists them",
                shown.join(" or ")
            )
        }
    };
    let mut meant = meant;
    if at_krm_top {
        meant.push("spec".into());
    }
    Some(Misplaced { hint, meant })
}

/// What a value of the wrong type should look like: an example from the key table (its
/// default), or where `explain` shows it.
fn expected_form(path: &[Segment], krm: bool) -> String {
    let text = path_to_string(path);
    let in_spec = !krm || text == "spec" || text.starts_with("spec.");
    if !in_spec {
        return "`sg-executor-gen init` prints a config in the KRM form to compare with".into();
    }
    let key = docs::normalize(&text);
    let key = key.trim_end_matches("[]");
    match docs::find(key) {
        Some((k, _)) => {
            let last = k.path.rsplit('.').next().unwrap_or(k.path);
            match k.default_value() {
                Some(v) => format!(
                    "for example `{last}: {}`; `sg-executor-gen explain {}` says more",
                    docs::flow(&v, true),
                    k.path
                ),
                None => format!(
                    "`sg-executor-gen explain {}` shows the expected form",
                    k.path
                ),
            }
        }
        None => match docs::explain(key) {
            docs::Explained::Text(_) => {
                format!("`sg-executor-gen explain {key}` shows the expected form")
            }
            docs::Explained::Unknown { .. } => {
                "`sg-executor-gen explain` lists every key with what it takes".into()
            }
        },
    }
}
