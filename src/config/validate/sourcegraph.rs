//! The `sourcegraph` section: the global image settings and the labels on every object.

use super::checker::choose_from;
use super::{object_labels, Checker};
use crate::config::model::*;
use crate::config::raw::{RawExecutor, RawSourcegraph};
use crate::k8s::syntax::is_label_value;

pub(super) const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];

pub(super) fn executor_image(
    mode: Mode,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> String {
    let global = sg.image.as_ref();
    let repository = global
        .and_then(|g| g.repository.clone())
        .unwrap_or_else(|| DEFAULT_IMAGE_REPOSITORY.into());
    let own = ex.image.as_ref();
    let default_name = if mode == Mode::Kubernetes {
        crate::config::defaults::EXECUTOR_KUBERNETES_IMAGE_NAME
    } else {
        crate::config::defaults::EXECUTOR_IMAGE_NAME
    };
    let name = own
        .and_then(|i| i.name.clone())
        .unwrap_or_else(|| default_name.into());
    let default_tag = if mode == Mode::Kubernetes {
        DEFAULT_EXECUTOR_KUBERNETES_TAG
    } else {
        DEFAULT_EXECUTOR_TAG
    };
    let use_global = global
        .and_then(|g| g.use_global_tag_as_default)
        .unwrap_or(false);
    let global_tag = global.and_then(|g| g.default_tag.clone());
    let tag = match (own.and_then(|i| i.tag.clone()), use_global, global_tag) {
        (Some(t), _, _) => t,
        // The chart's own default is a Helm template for its version: use our pinned one.
        (None, true, Some(t)) if t.contains("{{") => default_tag.to_string(),
        (None, true, Some(t)) => t,
        _ => own
            .and_then(|i| i.default_tag.clone())
            .unwrap_or_else(|| default_tag.into()),
    };
    warn_about_global_tag(
        own.and_then(|i| i.tag.as_deref()),
        use_global,
        global.and_then(|g| g.default_tag.as_deref()),
        &tag,
        checker,
    );
    // Point at the key most likely to hold the mistake.
    let p = if own.is_some_and(|i| i.tag.is_some()) {
        path!["executor", "image", "tag"]
    } else if own.is_some_and(|i| i.default_tag.is_some()) {
        path!["executor", "image", "defaultTag"]
    } else if own.is_some_and(|i| i.name.is_some()) {
        path!["executor", "image", "name"]
    } else if global.is_some_and(|g| g.repository.is_some()) {
        path!["sourcegraph", "image", "repository"]
    } else {
        path!["sourcegraph", "image", "defaultTag"]
    };
    checker.image(
        format!("{}/{name}:{tag}", repository.trim_end_matches('/')),
        &p,
    )
}

/// `sourcegraph.image.defaultTag` and `.useGlobalTagAsDefault` as the charts read them,
/// said aloud where the version that runs is not the one the admin may expect: the chart's
/// own default for the global tag is its version (`{{ .Chart.AppVersion }}`, 5.11.0 for the
/// charts this tool follows), which the tool does not have.
fn warn_about_global_tag(
    own_tag: Option<&str>,
    use_global: bool,
    global_tag: Option<&str>,
    tag: &str,
    checker: &mut Checker<'_>,
) {
    if own_tag.is_some() {
        return;
    }
    let version = tag.split('@').next().unwrap_or(tag);
    match (use_global, global_tag) {
        (true, None) => checker.warn(
            &path!["sourcegraph", "image", "useGlobalTagAsDefault"],
            format!("the charts would run their own version here (their appVersion, 5.11.0 for the charts this tool follows); sg-executor-gen has no chart version and runs its pinned executor {version}"),
            "set sourcegraph.image.defaultTag (or executor.image.tag) to the Sourcegraph version you run",
        ),
        (true, Some(t)) if t.contains("{{") => checker.warn(
            &path!["sourcegraph", "image", "defaultTag"],
            format!("a Helm template, which only the chart can fill in (with its version); sg-executor-gen runs its pinned executor {version}"),
            "write the Sourcegraph version you run, such as 6.2.1106",
        ),
        (false, Some(t)) if !t.contains("{{") => checker.warn(
            &path!["sourcegraph", "image", "defaultTag"],
            format!("ignored unless sourcegraph.image.useGlobalTagAsDefault is true (as in the charts); the executor runs {version}"),
            "set useGlobalTagAsDefault: true to use it, or set executor.image.tag",
        ),
        _ => {}
    }
}

/// The label the charts set from the top-level `nameOverride`.
const NAME_LABEL: &str = "app.kubernetes.io/name";

/// `sourcegraph.nameOverride` is declared in both charts' values but read by neither; the
/// templates read the top-level `nameOverride`.
pub(super) fn warn_about_name_override(sg: &RawSourcegraph, checker: &mut Checker<'_>) {
    if sg.name_override.as_deref().is_some_and(|n| !n.is_empty()) {
        checker.warn(
            &path!["sourcegraph", "nameOverride"],
            "has no effect here (the charts ignore it too; they read the top-level nameOverride)",
            "name the stack with metadata.name in the KRM form, or set the top-level nameOverride for the app.kubernetes.io/name label",
        );
    }
}

/// The labels on every object: `sourcegraph.labels`, the KRM `metadata.labels` (which may
/// not give a key another value), and `app.kubernetes.io/name` from `nameOverride`.
pub(super) fn labels(
    sg: &RawSourcegraph,
    name_override: Option<&str>,
    metadata_labels: Vec<(String, String)>,
    checker: &mut Checker<'_>,
) -> Vec<(String, String)> {
    let mut labels = object_labels(sg.labels.as_ref(), &path!["sourcegraph", "labels"], checker);
    let written: std::collections::HashMap<String, String> = labels.iter().cloned().collect();
    for (k, v) in metadata_labels {
        match written.get(&k) {
            Some(other) if *other != v => checker.top_level(|checker| {
                checker.error(
                    &path!["metadata", "labels", &k],
                    format!("`{k}` is `{other}` in sourcegraph.labels"),
                    "keep one of the two, or give both the same value",
                )
            }),
            Some(_) => {}
            None => labels.push((k, v)),
        }
    }
    if let Some(name) = name_override.filter(|n| !n.is_empty()) {
        let p = path!["nameOverride"];
        if is_label_value(name) {
            labels.retain(|(k, _)| k != NAME_LABEL);
            labels.push((NAME_LABEL.to_string(), name.to_string()));
        } else {
            checker.error(
                &p,
                format!("`{name}` is not a valid label value"),
                "use at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
            );
        }
    }
    labels.sort();
    labels
}

/// `sourcegraph.image.pullPolicy`: every container's.
pub(super) fn pull_policy(sg: &RawSourcegraph, checker: &mut Checker<'_>) -> String {
    let pull_policy = sg
        .image
        .as_ref()
        .and_then(|i| i.pull_policy.clone())
        .unwrap_or_else(|| crate::config::defaults::PULL_POLICY.into());
    if !PULL_POLICIES.contains(&pull_policy.as_str()) {
        checker.error(
            &path!["sourcegraph", "image", "pullPolicy"],
            format!("unknown pull policy `{pull_policy}`"),
            choose_from(&pull_policy, &PULL_POLICIES),
        );
    }
    pull_policy
}
