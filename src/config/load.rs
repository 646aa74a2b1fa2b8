//! From a config file's text to a validated `Config`: the first phase of the pipeline.
//!
//! Decides between the two accepted forms (KRM wrapper or bare Helm values) and runs one
//! code path for both, so every problem, from YAML syntax to a queue name, comes back in
//! one list, located and sorted.

use crate::config::node_de::collect_errors;
use crate::config::raw::{RawKrm, RawSpec};
use crate::config::source::{parse_document, path_to_string, Node, NodeValue, Segment};
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
    let parsed = parse_document(text).map_err(|refused| ConfigError {
        problems: refused.problems,
        not_shown: refused.not_shown,
        at_least: false,
    })?;
    let root = parsed.root;
    let mut found = Found {
        problems: parsed.problems,
        not_shown: parsed.not_shown,
        ..Found::default()
    };
    let is_krm = matches!(&root.value, NodeValue::Map(entries)
        if entries.iter().any(|(k, _)| matches!(k.name.as_str(), "apiVersion" | "kind" | "metadata" | "spec")));
    let (krm, spec, prefix) = if is_krm {
        match read::<RawKrm>(&root, &mut found) {
            Some(mut krm) => {
                if krm.spec.is_none() {
                    found.problems.push(
                        Problem::error("the config has no `spec`")
                            .at(root.at)
                            .path("spec")
                            .hint("put the Helm chart values under `spec:`"),
                    );
                }
                let spec = krm.spec.take().unwrap_or_default();
                (Some(krm), spec, vec![Segment::Key("spec".into())])
            }
            None => (None, RawSpec::default(), Vec::new()),
        }
    } else {
        if !matches!(root.value, NodeValue::Map(_)) {
            found.problems.push(
                Problem::error("the config must be a YAML mapping")
                    .at(root.at)
                    .hint("start from examples/basic.yaml"),
            );
            return Err(ConfigError {
                problems: found.problems,
                not_shown: found.not_shown,
                at_least: found.at_least,
            });
        }
        let spec = read::<RawSpec>(&root, &mut found).unwrap_or_default();
        (None, spec, Vec::new())
    };
    let Found {
        mut problems,
        meant,
        mut not_shown,
        at_least,
    } = found;
    let mut checker = Checker::new(&root, prefix);
    // Shape errors leave the rest of the file readable; check it too so nothing is hidden.
    let config = validate(krm.as_ref(), &spec, overrides, &mut checker);
    // A typo of a required key is reported once, as the typo, not also as a missing key.
    problems.extend(
        checker
            .problems
            .into_iter()
            .filter(|p| !p.missing.iter().any(|m| meant.contains(m))),
    );
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
/// key the path of the key it was likely meant to be, and how many were not shown.
#[derive(Default)]
struct Found {
    problems: Vec<Problem>,
    meant: Vec<String>,
    not_shown: usize,
    at_least: bool,
}

/// The typed form, read from what is left of the tree; what was wrong goes into `found`.
fn read<T: serde::de::DeserializeOwned>(root: &Node, found: &mut Found) -> Option<T> {
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
        if let (Some(near), Some((_, parent))) = (&e.suggestion, e.path.split_last()) {
            let mut p = parent.to_vec();
            p.push(Segment::Key(near.clone()));
            found.meant.push(path_to_string(&p));
        }
        let mut p = Problem::error(e.message)
            .at(at)
            .path(path_to_string(&e.path));
        p.hint = e
            .hint
            .or_else(|| Some("see the chart's values.yaml for the expected form".into()));
        found.problems.push(p);
    }
    found.not_shown += collected.not_shown;
    found.at_least |= collected.at_least;
    collected.value
}
