//! The checks between objects of a namespace: selectors match pod labels, Services reach a
//! declared port, NetworkPolicies select pods, references resolve, and no two workloads
//! select each other's pods. What a pod needs of the objects around it is in `pod`, what
//! an executor needs in `executor`.

use super::index::{matches, Indexes, NO_LABELS};
use super::pod::pod_spec;
use super::typed::{PodTemplate, Typed};
use super::{drain, executor};
use super::{Report, Reporter};
use crate::k8s::resid::ResId;
use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::RoleBinding;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// Labels as a selector is written on kubectl's command line: `` `app=a,tier=b` ``.
pub(super) fn labels_text<'m>(
    labels: impl IntoIterator<Item = (&'m String, &'m String)>,
) -> String {
    let pairs: Vec<String> = labels
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if pairs.is_empty() {
        "(none)".into()
    } else {
        format!("`{}`", pairs.join(","))
    }
}

/// A port as written in a manifest: `` `http` `` or `8080`.
pub(super) fn port_text(port: &IntOrString) -> String {
    match port {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(name) => format!("`{name}`"),
    }
}

/// The checks of one object against the others.
pub(super) fn object(id: &ResId, t: &Typed, indexes: &Indexes<'_>, r: &mut Reporter<'_>) {
    if id.name.is_empty() {
        r.found("metadata.name", "empty name".into());
    }
    match t {
        Typed::Workload { selector, template } => {
            workload(selector, template, r);
            pod_spec(template, indexes.of(id), r);
            executor::needs(id, template, indexes, r);
            drain::drain_safe(template, indexes.of(id), r);
        }
        Typed::Service(s) => service(s, indexes.of(id), r),
        Typed::RoleBinding(rb) => role_binding(rb, indexes.of(id), r),
        Typed::NetworkPolicy(np) => network_policy(np, indexes.of(id), r),
        _ => {}
    }
}

fn workload(selector: &LabelSelector, template: &PodTemplate, r: &mut Reporter<'_>) {
    let sel = selector.match_labels.as_ref().unwrap_or(&NO_LABELS);
    let pod_labels = &template.labels;
    if selector.match_expressions.is_some() {
        r.found(
            "spec.selector.matchExpressions",
            "the tool only checks matchLabels selectors".into(),
        );
    }
    if !matches(sel, pod_labels) {
        r.found(
            "spec.selector",
            format!(
                "the selector {} does not match the pod template's labels {}",
                labels_text(sel),
                labels_text(pod_labels)
            ),
        );
    }
}

/// A Service selects pods, and each port's target is declared by every selected workload.
fn service(s: &Service, index: &super::index::Index<'_>, r: &mut Reporter<'_>) {
    let spec = s.spec.as_ref();
    let sel = spec.and_then(|s| s.selector.as_ref()).unwrap_or(&NO_LABELS);
    let selected = index.selected(sel);
    if selected.is_empty() {
        r.found(
            "spec.selector",
            format!(
                "selects no pod of any workload (selector {})",
                labels_text(sel)
            ),
        );
    }
    let ports = spec.and_then(|s| s.ports.as_deref()).unwrap_or_default();
    for (i, port) in ports.iter().enumerate() {
        let target = port
            .target_port
            .clone()
            .unwrap_or(IntOrString::Int(port.port));
        for w in &selected {
            // As Kubernetes finds a named port: in the containers and the native sidecars.
            let declared = w.template.spec.as_ref().is_some_and(|p| {
                p.running_containers()
                    .flat_map(|c| c.ports.iter().flatten())
                    .any(|cp| match &target {
                        IntOrString::Int(n) => cp.container_port == *n,
                        IntOrString::String(name) => cp.name.as_deref() == Some(name.as_str()),
                    })
            });
            if !declared {
                r.found(
                    &format!("spec.ports[{i}].targetPort"),
                    format!(
                        "port {} is not declared by any container of {}, so the Service has no endpoints",
                        port_text(&target),
                        w.id
                    ),
                );
            }
        }
    }
}

fn role_binding(rb: &RoleBinding, index: &super::index::Index<'_>, r: &mut Reporter<'_>) {
    if !index.exists(&rb.role_ref.kind, &rb.role_ref.name) {
        r.missing(
            "roleRef",
            &format!("{} {}", rb.role_ref.kind, rb.role_ref.name),
            true,
        );
    }
    for (i, s) in rb.subjects.iter().flatten().enumerate() {
        if s.kind == "ServiceAccount" && !index.exists("ServiceAccount", &s.name) {
            r.missing(
                &format!("subjects[{i}]"),
                &format!("ServiceAccount {}", s.name),
                true,
            );
        }
    }
}

/// A NetworkPolicy that selects no pod protects nothing: a consumer's label change or
/// patch has probably moved the pods out from under it.
fn network_policy(np: &NetworkPolicy, index: &super::index::Index<'_>, r: &mut Reporter<'_>) {
    let selector = np
        .spec
        .as_ref()
        .and_then(|s| s.pod_selector.as_ref())
        .and_then(|s| s.match_labels.as_ref())
        .unwrap_or(&NO_LABELS);
    if !selector.is_empty() && index.selected(selector).is_empty() {
        r.found(
            "spec.podSelector",
            format!(
                "selects no pod of any workload (selector {})",
                labels_text(selector)
            ),
        );
    }
}

/// No two workloads may select each other's pods: a Deployment would adopt or kill them.
pub(super) fn overlapping_workloads(indexes: &Indexes<'_>, report: &mut Report) {
    for index in indexes.all() {
        for a in &index.workloads {
            for b in index.selected(a.selector) {
                if a.id != b.id {
                    report.found(
                        a.id,
                        "spec.selector",
                        format!("also selects the pods of {}", b.id),
                    );
                }
            }
        }
    }
}
