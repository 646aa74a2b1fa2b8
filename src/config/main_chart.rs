//! The main Sourcegraph chart's sections in an override shared with an executor chart
//! (Sourcegraph's docs suggest one `override.yaml` for both): the executor charts ignore
//! them, as Helm ignores any value no template reads, so they are set aside before the
//! config is read, with one warning that names them. Any other unknown key stays an error
//! with its "did you mean".

use crate::config::source::{path_to_string, Node, NodeValue, Segment};
use crate::diagnostic::Problem;

/// The top-level sections of the main chart's `values.yaml` (`sourcegraph/deploy-sourcegraph-helm`,
/// `charts/sourcegraph/values.yaml`) that no executor chart has. `sourcegraph` and
/// `storageClass` are the executor charts' too, so they are read as theirs.
pub const SECTIONS: &[&str] = &[
    "alpine",
    "blobstore",
    "cadvisor",
    "codeInsightsDB",
    "codeIntelDB",
    "embeddings",
    "extraResources",
    "frontend",
    "gitserver",
    "grafana",
    "indexedSearch",
    "indexedSearchIndexer",
    "jaeger",
    "migrator",
    "nodeExporter",
    "openTelemetry",
    "pgsql",
    "postgresExporter",
    "preciseCodeIntel",
    "priorityClasses",
    "prometheus",
    "qdrant",
    "redisCache",
    "redisExporter",
    "redisStore",
    "repoUpdater",
    "searcher",
    "symbols",
    "syntectServer",
    "worker",
];

/// The keys of the main chart's `sourcegraph:` section that the executor charts do not have.
pub const SOURCEGRAPH_KEYS: &[&str] = &["revisionHistoryLimit", "serviceLabels"];

/// Removes the main chart's sections from the Helm values at `prefix` (`spec` in the KRM
/// form) and returns one warning naming them, at the first; `None` when there are none.
pub fn set_aside(root: &mut Node, prefix: &[Segment]) -> Option<Problem> {
    let values = root.at_path(prefix)?;
    let mut found: Vec<Vec<Segment>> = Vec::new();
    if let NodeValue::Map(entries) = &values.value {
        for (key, node) in entries {
            if SECTIONS.contains(&key.name.as_str()) {
                found.push(vec![Segment::Key(key.name.clone())]);
            } else if key.name == "sourcegraph" {
                if let NodeValue::Map(inner) = &node.value {
                    found.extend(
                        inner
                            .iter()
                            .filter(|(k, _)| SOURCEGRAPH_KEYS.contains(&k.name.as_str()))
                            .map(|(k, _)| {
                                vec![Segment::Key(key.name.clone()), Segment::Key(k.name.clone())]
                            }),
                    );
                }
            }
        }
    }
    let full = |p: &[Segment]| [prefix, p].concat();
    let first = full(found.first()?);
    let at = root.locate_key(&first);
    let names: Vec<String> = found
        .iter()
        .map(|p| format!("`{}`", path_to_string(p)))
        .collect();
    for p in &found {
        root.remove(&full(p));
    }
    let (them, configure) = if found.len() == 1 {
        ("it", "configures")
    } else {
        ("them", "configure")
    };
    Some(
        Problem::warning(format!(
            "ignored, as the executor charts ignore {them}: {} {configure} the main Sourcegraph chart, and nothing here reads {them}",
            names.join(", ")
        ))
        .at(at)
        .path(path_to_string(&first))
        .hint(format!(
            "nothing to do if this override is shared with the sourcegraph chart; otherwise remove {them}"
        )),
    )
}
