//! Where and how pods run (`sourcegraph.*` pod settings, and the native chart's `executor.*`
//! scheduling keys): pod labels and annotations, node selector, affinity, tolerations,
//! priority class, image pull secrets.

use super::{non_empty, Checker, SELECTOR_LABELS};
use crate::config::model::{Mode, PodSettings};
use crate::config::raw::{RawExecutor, RawSourcegraph};
use crate::config::source::Segment;
use k8s_openapi::api::core::v1 as core;

pub(super) fn pod_settings(
    mode: Mode,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> PodSettings {
    let mut pods = PodSettings::default();
    pod_metadata(sg, &mut pods, checker);
    scheduling(mode, sg, ex, &mut pods, checker);
    image_pull_secrets(sg, &mut pods, checker);
    pods
}

/// `sourcegraph.podLabels` and `.podAnnotations`, except the ones the tool owns.
fn pod_metadata(sg: &RawSourcegraph, pods: &mut PodSettings, checker: &mut Checker<'_>) {
    pods.labels = sg
        .pod_labels
        .as_ref()
        .map(|l| checker.labels(l, &path!["sourcegraph", "podLabels"], true))
        .unwrap_or_default();
    pods.annotations = sg
        .pod_annotations
        .as_ref()
        .map(|a| checker.labels(a, &path!["sourcegraph", "podAnnotations"], false))
        .unwrap_or_default();
    for (k, _) in &pods.annotations {
        if k == "checksum/config" {
            checker.error_key(
                &path!["sourcegraph", "podAnnotations", k],
                "`checksum/config` is the annotation that rolls the pods when their config changes",
                "choose another annotation key",
            );
        }
    }
    for (k, _) in &pods.labels {
        if SELECTOR_LABELS.contains(&k.as_str()) {
            checker.error(
                &path!["sourcegraph", "podLabels", k],
                format!("`{k}` is a label the Deployments select on"),
                "choose another label key",
            );
        }
    }
}

/// The setting under `executor` when the native chart has it set there, else `sourcegraph`'s,
/// with the path it was read from.
fn scoped<'v, T>(
    executor_scoped: bool,
    own: &'v Option<T>,
    global: &'v Option<T>,
    key: &str,
) -> Option<(&'v T, Vec<Segment>)> {
    if executor_scoped && own.is_some() {
        own.as_ref().map(|v| (v, path!["executor", key]))
    } else {
        global.as_ref().map(|v| (v, path!["sourcegraph", key]))
    }
}

/// Node selector, affinity, tolerations and priority class.
fn scheduling(
    mode: Mode,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    pods: &mut PodSettings,
    checker: &mut Checker<'_>,
) {
    // The native chart has its own scheduling keys under `executor`; they win over the global ones.
    let executor_scoped = mode == Mode::Kubernetes;
    if let Some((n, p)) = scoped(
        executor_scoped,
        &ex.node_selector,
        &sg.node_selector,
        "nodeSelector",
    ) {
        pods.node_selector = checker.labels(n, &p, true);
    }
    if let Some((a, p)) = scoped(executor_scoped, &ex.affinity, &sg.affinity, "affinity") {
        pods.affinity = checker
            .k8s::<core::Affinity>(a, &p, "an affinity")
            .filter(non_empty);
    }
    if let Some((t, p)) = scoped(
        executor_scoped,
        &ex.tolerations,
        &sg.tolerations,
        "tolerations",
    ) {
        pods.tolerations = checker
            .k8s::<Vec<core::Toleration>>(t, &p, "a list of tolerations")
            .filter(non_empty);
    }
    if let Some(pc) = sg.priority_class_name.clone().filter(|s| !s.is_empty()) {
        checker.dns_subdomain(
            &pc,
            &path!["sourcegraph", "priorityClassName"],
            "PriorityClass name",
        );
        pods.priority_class_name = Some(pc);
    }
}

/// `sourcegraph.imagePullSecrets`, on every pod.
fn image_pull_secrets(sg: &RawSourcegraph, pods: &mut PodSettings, checker: &mut Checker<'_>) {
    for (i, secret) in sg.image_pull_secrets.iter().flatten().enumerate() {
        let p = path!["sourcegraph", "imagePullSecrets", i, "name"];
        match &secret.name {
            Some(n) if checker.dns_subdomain(n, &p, "Secret name") => {
                pods.image_pull_secrets.push(n.clone())
            }
            Some(_) => {}
            None => checker.error(
                &p,
                "an image pull secret needs a name",
                "write `- name: my-registry-secret`",
            ),
        }
    }
}
