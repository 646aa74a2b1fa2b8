//! The `privateDockerRegistry` section: the pull-through cache dockerd uses as its mirror.

use super::env::env_map;
use super::scheduling::{pod_settings, OwnPodKeys};
use super::{object_labels, registry_image, Checker};
use crate::config::model::*;
use crate::config::raw::{RawRegistry, RawSourcegraph, RawSpec};
use crate::config::source::Segment;
use crate::k8s::quantity::Min;
use indexmap::IndexMap;
use serde_json::{json, Value};

pub(super) fn registry(
    mode: Mode,
    stack: &str,
    spec: &RawSpec,
    sg: &RawSourcegraph,
    checker: &mut Checker<'_>,
) -> Option<Registry> {
    let raw = spec.private_docker_registry.as_ref();
    if mode != Mode::Dind
        || !raw
            .and_then(|r| r.enabled)
            .unwrap_or(crate::config::defaults::REGISTRY_ENABLED)
    {
        return None;
    }
    let default_raw = RawRegistry::default();
    let own = raw.unwrap_or(&default_raw);
    let pods = pod_settings(
        sg,
        &OwnPodKeys {
            section: "privateDockerRegistry",
            labels: own.pod_labels.as_ref(),
            annotations: own.pod_annotations.as_ref(),
            priority_class_name: own.priority_class_name.as_ref(),
            node_selector: None,
            affinity: None,
            tolerations: None,
        },
        checker,
    );
    let workload_labels = object_labels(
        own.labels.as_ref(),
        &path!["privateDockerRegistry", "labels"],
        checker,
    );
    let p = path!["privateDockerRegistry"];
    let image = registry_image(
        raw.and_then(|r| r.image.as_ref()),
        (
            DEFAULT_REGISTRY_REGISTRY,
            DEFAULT_REGISTRY_REPOSITORY,
            DEFAULT_REGISTRY_TAG,
        ),
        &[&p[..], &path!["image"]].concat(),
        checker,
    );
    let storage_size = raw
        .and_then(|r| r.storage_size.clone())
        .unwrap_or_else(|| crate::config::defaults::REGISTRY_STORAGE_SIZE.into());
    checker.quantity(
        &storage_size,
        &[&p[..], &path!["storageSize"]].concat(),
        Min::AboveZero,
    );
    let storage_class = claim_class(spec, checker);
    let env = registry_env(raw, &p, checker);
    let resources = match raw.and_then(|r| r.resources.as_ref()) {
        Some(v) => checker
            .resources(v, &[&p[..], &path!["resources"]].concat())
            .unwrap_or_default(),
        None => crate::config::defaults::registry_resources(),
    };
    let service_annotations = raw
        .and_then(|r| r.service_annotations.as_ref())
        .map(|a| {
            checker.labels(
                a,
                &path!["privateDockerRegistry", "serviceAnnotations"],
                false,
            )
        })
        .unwrap_or_default();
    Some(Registry {
        name: format!("{stack}-registry"),
        image,
        pods,
        workload_labels,
        storage_size,
        storage_class,
        env,
        resources,
        service_annotations,
    })
}

/// The class of the registry's claim. The chart defaults to a class named `sourcegraph` even
/// when none exists; we use the cluster default unless the admin names one.
fn claim_class(spec: &RawSpec, checker: &mut Checker<'_>) -> Option<String> {
    let storage_class = spec
        .storage_class
        .as_ref()
        .and_then(|s| s.name.clone())
        .filter(|s| !s.is_empty());
    if let Some(class) = &storage_class {
        checker.dns_subdomain(class, &path!["storageClass", "name"], "StorageClass name");
    }
    storage_class
}

/// The registry's env: the Docker Hub it caches, then the config's own, sorted by name.
fn registry_env(raw: Option<&RawRegistry>, p: &[Segment], checker: &mut Checker<'_>) -> Vec<Value> {
    let mut env: IndexMap<String, Value> = IndexMap::new();
    env.insert(
        "REGISTRY_PROXY_REMOTEURL".into(),
        json!({"name": "REGISTRY_PROXY_REMOTEURL", "value": "https://registry-1.docker.io"}),
    );
    if let Some(own) = raw.and_then(|r| r.env.as_ref()) {
        env.extend(env_map(own, &[p, &path!["env"]].concat(), checker));
    }
    env.sort_keys();
    env.into_values().collect()
}

/// The registry's objects are named `NAME-registry`; a queue entry named `registry` would
/// give its Deployment the same name.
pub(super) fn refuse_registry_name_clash(
    registry: Option<&Registry>,
    workers: &[Worker],
    checker: &mut Checker<'_>,
) {
    let Some(registry) = registry else {
        return;
    };
    for (i, w) in workers.iter().enumerate() {
        if w.name == registry.name {
            checker.error(
                &path!["queues", i, "name"],
                format!(
                    "the Deployment would be named `{}`, the private registry's name",
                    w.name
                ),
                "choose another name for the queue entry, or disable privateDockerRegistry",
            );
        }
    }
}
