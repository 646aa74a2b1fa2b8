//! The typed check: every object the tool emits is read into its `k8s-openapi` type (keys
//! that do not survive the round trip are unknown fields), its required fields are checked,
//! and the objects are checked against each other: selectors match pod labels, Services
//! reach a declared port, mounted volumes exist, `subPath` keys exist in their ConfigMap,
//! referenced objects exist, and no two workloads select each other's pods.
//!
//! A finding here is a bug in the tool, not in the admin's config: it is reported as an
//! internal error naming the object and the field.

use crate::resid::ResId;
use crate::roundtrip;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolumeClaim, PodTemplateSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: ResId,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.id, self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("internal error: the generated manifests failed the typed check; please file an issue with your config\n{}", .findings.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n"))]
pub struct CheckError {
    pub findings: Vec<Finding>,
}

// Short-lived, one per object during a check: size does not matter.
#[allow(clippy::large_enum_variant)]
enum Typed {
    Workload {
        selector: LabelSelector,
        template: PodTemplateSpec,
    },
    Service(Service),
    ConfigMap(ConfigMap),
    Secret(Secret),
    RoleBinding(RoleBinding),
    Other,
}

/// Checks the final objects; `Ok` means they are safe to print.
pub fn check(objects: &[(ResId, serde_yaml::Value)]) -> Result<(), CheckError> {
    let mut findings = Vec::new();
    let mut typed = Vec::new();
    for (id, object) in objects {
        let mut found = |field: &str, message: String| {
            findings.push(Finding {
                id: id.clone(),
                field: field.into(),
                message,
            })
        };
        let json = match serde_json::to_value(object) {
            Ok(v) => v,
            Err(e) => {
                found("", format!("not representable as JSON: {e}"));
                continue;
            }
        };
        match read(&id.kind, &json) {
            Ok(t) => typed.push((id, t)),
            Err(lost) => {
                for l in lost {
                    found(&l.path, l.message);
                }
            }
        }
    }
    wiring(&typed, &mut findings);
    if findings.is_empty() {
        Ok(())
    } else {
        Err(CheckError { findings })
    }
}

fn strict<T: serde::de::DeserializeOwned + serde::Serialize>(
    v: &serde_json::Value,
) -> Result<T, Vec<roundtrip::Lost>> {
    roundtrip::strict::<T>(v).map(|(t, _)| t)
}

fn read(kind: &str, v: &serde_json::Value) -> Result<Typed, Vec<roundtrip::Lost>> {
    let workload = |selector, template| Typed::Workload { selector, template };
    Ok(match kind {
        "Deployment" => {
            let d: Deployment = strict(v)?;
            let spec = d.spec.unwrap_or_default();
            workload(spec.selector, spec.template)
        }
        "StatefulSet" => {
            let s: StatefulSet = strict(v)?;
            let spec = s.spec.unwrap_or_default();
            workload(spec.selector, spec.template)
        }
        "Service" => Typed::Service(strict(v)?),
        "ConfigMap" => Typed::ConfigMap(strict(v)?),
        "Secret" => Typed::Secret(strict(v)?),
        "RoleBinding" => Typed::RoleBinding(strict(v)?),
        "Role" => strict::<Role>(v).map(|_| Typed::Other)?,
        "ServiceAccount" => strict::<ServiceAccount>(v).map(|_| Typed::Other)?,
        "PersistentVolumeClaim" => strict::<PersistentVolumeClaim>(v).map(|_| Typed::Other)?,
        "StorageClass" => strict::<StorageClass>(v).map(|_| Typed::Other)?,
        "Namespace" => strict::<Namespace>(v).map(|_| Typed::Other)?,
        other => {
            return Err(vec![roundtrip::Lost {
                path: "kind".into(),
                message: format!("the tool has no type for kind {other}"),
            }])
        }
    })
}

fn matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

fn exists(typed: &[(&ResId, Typed)], kind: &str, name: &str) -> bool {
    typed
        .iter()
        .any(|(id, _)| id.kind == kind && id.name == name)
}

fn wiring(typed: &[(&ResId, Typed)], findings: &mut Vec<Finding>) {
    let config_maps: BTreeMap<&str, &ConfigMap> = typed
        .iter()
        .filter_map(|(id, t)| match t {
            Typed::ConfigMap(c) => Some((id.name.as_str(), c)),
            _ => None,
        })
        .collect();
    let secrets: BTreeMap<&str, &Secret> = typed
        .iter()
        .filter_map(|(id, t)| match t {
            Typed::Secret(s) => Some((id.name.as_str(), s)),
            _ => None,
        })
        .collect();
    let workloads: Vec<(&ResId, BTreeMap<String, String>, &PodTemplateSpec)> = typed
        .iter()
        .filter_map(|(id, t)| match t {
            Typed::Workload {
                selector, template, ..
            } => Some((
                *id,
                selector.match_labels.clone().unwrap_or_default(),
                template,
            )),
            _ => None,
        })
        .collect();

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
                    found("spec.selector", format!("selector {sel:?} does not match the pod template labels {pod_labels:?}"));
                }
                pod_spec(template, &config_maps, &secrets, typed, &mut found);
            }
            Typed::Service(s) => {
                let spec = s.spec.clone().unwrap_or_default();
                let sel = spec.selector.unwrap_or_default();
                let selected: Vec<_> = workloads
                    .iter()
                    .filter(|(_, _, t)| {
                        matches(
                            &sel,
                            &t.metadata
                                .as_ref()
                                .and_then(|m| m.labels.clone())
                                .unwrap_or_default(),
                        )
                    })
                    .collect();
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
                    for (wid, _, template) in &selected {
                        let declared = template.spec.as_ref().is_some_and(|p| {
                            p.containers
                                .iter()
                                .flat_map(|c| c.ports.iter().flatten())
                                .any(|cp| match &target {
                                    IntOrString::Int(n) => cp.container_port == *n,
                                    IntOrString::String(name) => {
                                        cp.name.as_deref() == Some(name.as_str())
                                    }
                                })
                        });
                        if !declared {
                            found(
                                &format!("spec.ports[{i}].targetPort"),
                                format!("{target:?} is not declared by any container of {wid}, so the Service has no endpoints"),
                            );
                        }
                    }
                }
            }
            Typed::RoleBinding(rb) => {
                if !exists(typed, &rb.role_ref.kind, &rb.role_ref.name) {
                    found(
                        "roleRef",
                        format!(
                            "{} {} is not in the bundle",
                            rb.role_ref.kind, rb.role_ref.name
                        ),
                    );
                }
                for (i, s) in rb.subjects.iter().flatten().enumerate() {
                    if s.kind == "ServiceAccount" && !exists(typed, "ServiceAccount", &s.name) {
                        found(
                            &format!("subjects[{i}]"),
                            format!("ServiceAccount {} is not in the bundle", s.name),
                        );
                    }
                }
            }
            _ => {}
        }
    }

    // No two workloads may select each other's pods: a Deployment would adopt or kill them.
    for (a, sel_a, _) in &workloads {
        for (b, _, template_b) in &workloads {
            let labels_b = template_b
                .metadata
                .as_ref()
                .and_then(|m| m.labels.clone())
                .unwrap_or_default();
            if a != b && matches(sel_a, &labels_b) {
                findings.push(Finding {
                    id: (*a).clone(),
                    field: "spec.selector".into(),
                    message: format!("also selects the pods of {b}"),
                });
            }
        }
    }
}

fn pod_spec(
    template: &PodTemplateSpec,
    config_maps: &BTreeMap<&str, &ConfigMap>,
    secrets: &BTreeMap<&str, &Secret>,
    typed: &[(&ResId, Typed)],
    found: &mut impl FnMut(&str, String),
) {
    let Some(spec) = &template.spec else {
        found("spec.template.spec", "missing".into());
        return;
    };
    let base = "spec.template.spec";
    let volumes = spec.volumes.clone().unwrap_or_default();
    let mut volume_names = Vec::new();
    for (i, v) in volumes.iter().enumerate() {
        if volume_names.contains(&v.name.as_str()) {
            found(
                &format!("{base}.volumes[{i}].name"),
                format!("volume {} is declared twice", v.name),
            );
        }
        volume_names.push(v.name.as_str());
        let sources = [
            v.empty_dir.is_some(),
            v.config_map.is_some(),
            v.persistent_volume_claim.is_some(),
            v.ephemeral.is_some(),
            v.secret.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            found(
                &format!("{base}.volumes[{i}]"),
                format!("volume {} needs exactly one source", v.name),
            );
        }
        if let Some(cm) = &v.config_map {
            if !config_maps.contains_key(cm.name.as_str()) {
                found(
                    &format!("{base}.volumes[{i}].configMap.name"),
                    format!("ConfigMap {} is not in the bundle", cm.name),
                );
            }
        }
        if let Some(pvc) = &v.persistent_volume_claim {
            if !exists(typed, "PersistentVolumeClaim", &pvc.claim_name) {
                found(
                    &format!("{base}.volumes[{i}].persistentVolumeClaim"),
                    format!(
                        "PersistentVolumeClaim {} is not in the bundle",
                        pvc.claim_name
                    ),
                );
            }
        }
    }
    let mut mounted = Vec::new();
    if spec.containers.is_empty() {
        found(&format!("{base}.containers"), "no containers".into());
    }
    for (ci, c) in spec.containers.iter().enumerate() {
        let cpath = format!("{base}.containers[{ci}]");
        if c.name.is_empty() {
            found(&format!("{cpath}.name"), "empty container name".into());
        }
        if c.image.as_deref().unwrap_or_default().is_empty() {
            found(&format!("{cpath}.image"), "no image".into());
        }
        for (mi, m) in c.volume_mounts.iter().flatten().enumerate() {
            let mpath = format!("{cpath}.volumeMounts[{mi}]");
            if m.mount_path.is_empty() {
                found(&format!("{mpath}.mountPath"), "empty mount path".into());
            }
            let Some(volume) = volumes.iter().find(|v| v.name == m.name) else {
                found(
                    &format!("{mpath}.name"),
                    format!("mounts volume {}, which the pod does not declare", m.name),
                );
                continue;
            };
            mounted.push(m.name.as_str());
            if let (Some(sub), Some(cm)) = (&m.sub_path, &volume.config_map) {
                let has_key = config_maps
                    .get(cm.name.as_str())
                    .is_some_and(|c| c.data.as_ref().is_some_and(|d| d.contains_key(sub)));
                if !has_key {
                    found(
                        &format!("{mpath}.subPath"),
                        format!("ConfigMap {} has no key {sub}", cm.name),
                    );
                }
            }
        }
        for (ei, e) in c.env_from.iter().flatten().enumerate() {
            if let Some(r) = &e.config_map_ref {
                if !config_maps.contains_key(r.name.as_str()) {
                    found(
                        &format!("{cpath}.envFrom[{ei}]"),
                        format!("ConfigMap {} is not in the bundle", r.name),
                    );
                }
            }
        }
        let mut env_names = Vec::new();
        for (ei, e) in c.env.iter().flatten().enumerate() {
            if env_names.contains(&e.name.as_str()) {
                found(
                    &format!("{cpath}.env[{ei}]"),
                    format!("{} is set twice", e.name),
                );
            }
            env_names.push(e.name.as_str());
            // A Secret we render must hold the key; an admin's existing Secret is theirs to fill.
            if let Some(key_ref) = e
                .value_from
                .as_ref()
                .and_then(|f| f.secret_key_ref.as_ref())
            {
                if let Some(secret) = secrets.get(key_ref.name.as_str()) {
                    let has = secret
                        .data
                        .as_ref()
                        .is_some_and(|d| d.contains_key(&key_ref.key))
                        || secret
                            .string_data
                            .as_ref()
                            .is_some_and(|d| d.contains_key(&key_ref.key));
                    if !has {
                        found(
                            &format!("{cpath}.env[{ei}]"),
                            format!("Secret {} has no key {}", key_ref.name, key_ref.key),
                        );
                    }
                }
            }
        }
    }
    for v in &volumes {
        if !mounted.contains(&v.name.as_str()) {
            found(
                &format!("{base}.volumes"),
                format!("volume {} is declared but never mounted", v.name),
            );
        }
    }
}
