//! The checks between objects: selectors match pod labels, Services reach a declared port,
//! referenced objects exist, and no two workloads select each other's pods. What a pod
//! needs of the objects around it (volumes, ConfigMap keys, Secrets) is in `pod`.
//!
//! Every lookup goes through an index built once (by name, by pod label), so the cost
//! grows with the number of objects, not with its square.

use super::pod::pod_spec;
use super::typed::Typed;
use super::Finding;
use crate::k8s::resid::ResId;
use k8s_openapi::api::core::v1::{ConfigMap, PodTemplateSpec, Secret, Service};
use k8s_openapi::api::rbac::v1::RoleBinding;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::{BTreeMap, HashMap, HashSet};

type Labels = BTreeMap<String, String>;

/// A workload's pods, as the selectors see them.
pub(super) struct Workload<'a> {
    id: &'a ResId,
    selector: Labels,
    pod_labels: Labels,
    template: &'a PodTemplateSpec,
}

/// The objects of one check, indexed for the lookups the checks make.
pub(super) struct Index<'a> {
    pub config_maps: HashMap<&'a str, &'a ConfigMap>,
    pub secrets: HashMap<&'a str, &'a Secret>,
    names: HashSet<(&'a str, &'a str)>,
    workloads: Vec<Workload<'a>>,
    /// Workloads (by position) whose pods carry a label, by label.
    by_pod_label: HashMap<(&'a str, &'a str), Vec<usize>>,
}

impl<'a> Index<'a> {
    fn new(typed: &'a [(&'a ResId, Typed)]) -> Self {
        let mut index = Index {
            config_maps: HashMap::new(),
            secrets: HashMap::new(),
            names: HashSet::new(),
            workloads: Vec::new(),
            by_pod_label: HashMap::new(),
        };
        for (id, t) in typed {
            index.names.insert((id.kind.as_str(), id.name.as_str()));
            match t {
                Typed::ConfigMap(c) => {
                    index.config_maps.insert(id.name.as_str(), c);
                }
                Typed::Secret(s) => {
                    index.secrets.insert(id.name.as_str(), s);
                }
                Typed::Workload { selector, template } => {
                    index.add_workload(id, selector, template)
                }
                _ => {}
            }
        }
        index
    }

    fn add_workload(
        &mut self,
        id: &'a ResId,
        selector: &LabelSelector,
        template: &'a PodTemplateSpec,
    ) {
        let pod_labels = template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let position = self.workloads.len();
        for (k, v) in template
            .metadata
            .iter()
            .flat_map(|m| m.labels.iter().flatten())
        {
            self.by_pod_label
                .entry((k.as_str(), v.as_str()))
                .or_default()
                .push(position);
        }
        self.workloads.push(Workload {
            id,
            selector: selector.match_labels.clone().unwrap_or_default(),
            pod_labels,
            template,
        });
    }

    /// Whether an object of this kind and name is among the checked ones.
    pub fn exists(&self, kind: &str, name: &str) -> bool {
        self.names.contains(&(kind, name))
    }

    /// The workloads whose pods `selector` selects, in the order they were given.
    fn selected(&self, selector: &Labels) -> Vec<&Workload<'a>> {
        let Some((k, v)) = selector.iter().next() else {
            return Vec::new();
        };
        self.by_pod_label
            .get(&(k.as_str(), v.as_str()))
            .into_iter()
            .flatten()
            .map(|&i| &self.workloads[i])
            .filter(|w| matches(selector, &w.pod_labels))
            .collect()
    }
}

fn matches(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub fn wiring(typed: &[(&ResId, Typed)], findings: &mut Vec<Finding>) {
    let index = Index::new(typed);
    for (id, t) in typed {
        let mut found = |field: &str, message: String| {
            findings.push(Finding {
                id: (*id).clone(),
                field: field.into(),
                message,
            })
        };
        if id.name.is_empty() {
            found("metadata.name", "empty name".into());
        }
        match t {
            Typed::Workload { selector, template } => {
                workload(selector, template, &index, &mut found)
            }
            Typed::Service(s) => service(s, &index, &mut found),
            Typed::RoleBinding(rb) => role_binding(rb, &index, &mut found),
            _ => {}
        }
    }
    // No two workloads may select each other's pods: a Deployment would adopt or kill them.
    for a in &index.workloads {
        for b in index.selected(&a.selector) {
            if a.id != b.id {
                findings.push(Finding {
                    id: a.id.clone(),
                    field: "spec.selector".into(),
                    message: format!("also selects the pods of {}", b.id),
                });
            }
        }
    }
}

fn workload(
    selector: &LabelSelector,
    template: &PodTemplateSpec,
    index: &Index<'_>,
    found: &mut impl FnMut(&str, String),
) {
    let sel = selector.match_labels.clone().unwrap_or_default();
    let pod_labels = template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    if selector.match_expressions.is_some() {
        found(
            "spec.selector.matchExpressions",
            "the tool only emits matchLabels selectors".into(),
        );
    }
    if !matches(&sel, &pod_labels) {
        found(
            "spec.selector",
            format!("selector {sel:?} does not match the pod template labels {pod_labels:?}"),
        );
    }
    pod_spec(template, index, found);
}

/// A Service selects pods, and each port's target is declared by every selected workload.
fn service(s: &Service, index: &Index<'_>, found: &mut impl FnMut(&str, String)) {
    let spec = s.spec.clone().unwrap_or_default();
    let sel = spec.selector.unwrap_or_default();
    let selected = index.selected(&sel);
    if selected.is_empty() {
        found(
            "spec.selector",
            format!("selects no pod of any workload: {sel:?}"),
        );
    }
    for (i, port) in spec.ports.unwrap_or_default().iter().enumerate() {
        let target = port
            .target_port
            .clone()
            .unwrap_or(IntOrString::Int(port.port));
        for w in &selected {
            let declared = w.template.spec.as_ref().is_some_and(|p| {
                p.containers
                    .iter()
                    .flat_map(|c| c.ports.iter().flatten())
                    .any(|cp| match &target {
                        IntOrString::Int(n) => cp.container_port == *n,
                        IntOrString::String(name) => cp.name.as_deref() == Some(name.as_str()),
                    })
            });
            if !declared {
                found(
                    &format!("spec.ports[{i}].targetPort"),
                    format!(
                        "{target:?} is not declared by any container of {}, so the Service has no endpoints",
                        w.id
                    ),
                );
            }
        }
    }
}

fn role_binding(rb: &RoleBinding, index: &Index<'_>, found: &mut impl FnMut(&str, String)) {
    if !index.exists(&rb.role_ref.kind, &rb.role_ref.name) {
        found(
            "roleRef",
            format!(
                "{} {} is not in the bundle",
                rb.role_ref.kind, rb.role_ref.name
            ),
        );
    }
    for (i, s) in rb.subjects.iter().flatten().enumerate() {
        if s.kind == "ServiceAccount" && !index.exists("ServiceAccount", &s.name) {
            found(
                &format!("subjects[{i}]"),
                format!("ServiceAccount {} is not in the bundle", s.name),
            );
        }
    }
}
