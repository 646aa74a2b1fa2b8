//! Where and how pods run: pod labels and annotations, node selector, affinity,
//! tolerations, priority class and image pull secrets. The `sourcegraph.*` keys apply to
//! every pod; a workload's own section (`executor.*`, `privateDockerRegistry.*`) adds to
//! them and wins where both set one, as the charts' templates read them.

use super::checker::refuse_checksum_annotation;
use super::{non_empty, owned_pod_labels, Checker};
use crate::config::model::PodSettings;
use crate::config::raw::RawSourcegraph;
use crate::config::source::Segment;
use indexmap::IndexMap;
use k8s_openapi::api::core::v1 as core;

/// A workload's own pod keys, read over the `sourcegraph.*` ones.
pub(super) struct OwnPodKeys<'a> {
    /// The section they live in: `executor` or `privateDockerRegistry`.
    pub section: &'static str,
    pub labels: Option<&'a IndexMap<String, String>>,
    pub annotations: Option<&'a IndexMap<String, String>>,
    pub priority_class_name: Option<&'a String>,
    /// Only the native chart reads these under `executor`; `None` elsewhere.
    pub node_selector: Option<&'a IndexMap<String, String>>,
    pub affinity: Option<&'a serde_yaml::Value>,
    pub tolerations: Option<&'a serde_yaml::Value>,
}

pub(super) fn pod_settings(
    sg: &RawSourcegraph,
    own: &OwnPodKeys<'_>,
    checker: &mut Checker<'_>,
) -> PodSettings {
    let mut pods = PodSettings::default();
    pod_metadata(sg, own, &mut pods, checker);
    scheduling(sg, own, &mut pods, checker);
    image_pull_secrets(sg, &mut pods, checker);
    pods
}

/// Pod labels and annotations, `sourcegraph.*` then the workload's own over them, except
/// the ones the tool owns.
fn pod_metadata(
    sg: &RawSourcegraph,
    own: &OwnPodKeys<'_>,
    pods: &mut PodSettings,
    checker: &mut Checker<'_>,
) {
    let sources = [
        (
            "sourcegraph",
            sg.pod_labels.as_ref(),
            sg.pod_annotations.as_ref(),
        ),
        (own.section, own.labels, own.annotations),
    ];
    for (section, labels, annotations) in sources {
        if let Some(l) = labels {
            let p = path![section, "podLabels"];
            owned_pod_labels(l, &p, checker);
            merge(&mut pods.labels, checker.labels(l, &p, true));
        }
        if let Some(a) = annotations {
            let p = path![section, "podAnnotations"];
            if a.contains_key("checksum/config") {
                refuse_checksum_annotation(
                    &path![section, "podAnnotations", "checksum/config"],
                    checker,
                );
            }
            merge(&mut pods.annotations, checker.labels(a, &p, false));
        }
    }
}

/// Adds `over` to `base`, replacing entries with the same key; keeps `base` sorted. Through
/// a map, so tens of thousands of labels cost what they weigh.
fn merge(base: &mut Vec<(String, String)>, over: Vec<(String, String)>) {
    let mut merged: std::collections::BTreeMap<String, String> =
        std::mem::take(base).into_iter().collect();
    merged.extend(over);
    *base = merged.into_iter().collect();
}

/// The workload's own setting when it has one, else `sourcegraph`'s, with the path it was
/// read from.
fn scoped<'v, T>(
    own: Option<&'v T>,
    section: &str,
    global: Option<&'v T>,
    key: &str,
) -> Option<(&'v T, Vec<Segment>)> {
    match own {
        Some(v) => Some((v, path![section, key])),
        None => global.map(|v| (v, path!["sourcegraph", key])),
    }
}

/// Node selector, affinity, tolerations and priority class.
fn scheduling(
    sg: &RawSourcegraph,
    own: &OwnPodKeys<'_>,
    pods: &mut PodSettings,
    checker: &mut Checker<'_>,
) {
    let section = own.section;
    if let Some((n, p)) = scoped(
        own.node_selector,
        section,
        sg.node_selector.as_ref(),
        "nodeSelector",
    ) {
        pods.node_selector = checker.labels(n, &p, true);
    }
    if let Some((a, p)) = scoped(own.affinity, section, sg.affinity.as_ref(), "affinity") {
        pods.affinity = checker
            .k8s::<core::Affinity>(a, &p, "an affinity")
            .filter(non_empty);
    }
    if let Some((t, p)) = scoped(
        own.tolerations,
        section,
        sg.tolerations.as_ref(),
        "tolerations",
    ) {
        pods.tolerations = checker
            .k8s::<Vec<core::Toleration>>(t, &p, "a list of tolerations")
            .filter(non_empty);
    }
    let own_class = own.priority_class_name.filter(|s| !s.is_empty());
    let global_class = sg.priority_class_name.as_ref().filter(|s| !s.is_empty());
    if let Some((pc, p)) = scoped(own_class, section, global_class, "priorityClassName") {
        checker.dns_subdomain(pc, &p, "PriorityClass name");
        pods.priority_class_name = Some(pc.clone());
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
