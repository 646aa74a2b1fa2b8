//! The KRM form's own keys: `apiVersion`, `kind`, `metadata`: the stack's name and
//! namespace, and the labels and annotations that go on every object, as a Kustomization's
//! `labels` and `commonAnnotations` would put them.

use super::checker::refuse_checksum_annotation;
use super::{object_labels, Checker};
use crate::config::model::{Kubernetes, PodSettings, Registry};
use crate::config::raw::{RawKrm, RawMetadata};
use crate::k8s::syntax::is_dns1035_label;
use std::collections::HashMap;

/// What the KRM wrapper says about the stack.
pub(super) struct Metadata {
    pub name: String,
    pub namespace: Option<String>,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

/// Annotations that describe the config file itself for kpt and kustomize (its path, its
/// index, `local-config`); they are not meant for the stack's objects.
const TOOL_ANNOTATION_PREFIXES: [&str; 5] = [
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kpt.dev/",
    "kustomize.config.k8s.io/",
];

pub(super) fn metadata(krm: Option<&RawKrm>, checker: &mut Checker<'_>) -> Metadata {
    let Some(krm) = krm else {
        return Metadata {
            name: crate::config::defaults::STACK_NAME.into(),
            namespace: None,
            labels: Vec::new(),
            annotations: Vec::new(),
        };
    };
    // The KRM prefix is `spec`; metadata lives beside it, so locate from the top.
    checker.top_level(|checker| {
        api_version_and_kind(krm, checker);
        metadata_checks(krm.metadata.as_ref(), checker)
    })
}

fn api_version_and_kind(krm: &RawKrm, checker: &mut Checker<'_>) {
    match krm.api_version.as_deref() {
        Some("sg-executor-gen/v1alpha1") => {}
        other => checker.error(
            &path!["apiVersion"],
            format!("unsupported apiVersion `{}`", other.unwrap_or("")),
            "use `apiVersion: sg-executor-gen/v1alpha1`, or drop apiVersion, kind and metadata to use a bare Helm values file",
        ),
    }
    match krm.kind.as_deref() {
        Some("ExecutorDeployment") => {}
        other => checker.error(
            &path!["kind"],
            format!("unsupported kind `{}`", other.unwrap_or("")),
            "use `kind: ExecutorDeployment`",
        ),
    }
}

fn metadata_checks(meta: Option<&RawMetadata>, checker: &mut Checker<'_>) -> Metadata {
    let name = meta
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| crate::config::defaults::STACK_NAME.into());
    // The name is the Service's too, and a Service's name must start with a letter.
    let p = path!["metadata", "name"];
    let valid = checker.dns_label(&name, &p, "name");
    if valid && !is_dns1035_label(&name) {
        checker.error(
            &p,
            format!("`{name}` does not start with a letter, and it names the stack's Service"),
            "start it with a lowercase letter: a Service name is a DNS-1035 label",
        );
    }
    if valid && name.len() > 40 {
        checker.error(
            &path!["metadata", "name"],
            "the name is longer than 40 characters",
            "object names are derived from it and must stay within 63",
        );
    }
    let namespace = meta.and_then(|m| m.namespace.clone());
    if let Some(ns) = &namespace {
        checker.dns_label(ns, &path!["metadata", "namespace"], "namespace");
    }
    let labels = object_labels(
        meta.and_then(|m| m.labels.as_ref()),
        &path!["metadata", "labels"],
        checker,
    );
    let annotations = meta
        .and_then(|m| m.annotations.as_ref())
        .map(|a| checker.labels(a, &path!["metadata", "annotations"], false))
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !TOOL_ANNOTATION_PREFIXES.iter().any(|p| k.starts_with(p)))
        .collect();
    Metadata {
        name,
        namespace,
        labels,
        annotations,
    }
}

/// A KRM annotation goes on every object and pod template, so another key of the config
/// that gives the same annotation another value would be silently overridden: refused,
/// like `checksum/config`, which rolls the pods.
pub(super) fn refuse_conflicting_annotations(
    annotations: &[(String, String)],
    pods: &PodSettings,
    registry: Option<&Registry>,
    kubernetes: Option<&Kubernetes>,
    checker: &mut Checker<'_>,
) {
    let none = Vec::new();
    let others: [(&str, HashMap<&str, &str>); 4] = [
        ("the executor's pod annotations", by_key(&pods.annotations)),
        (
            "the registry's pod annotations",
            by_key(registry.map_or(&none, |r| &r.pods.annotations)),
        ),
        (
            "privateDockerRegistry.serviceAnnotations",
            by_key(registry.map_or(&none, |r| &r.service_annotations)),
        ),
        (
            "executor.serviceAnnotations",
            by_key(kubernetes.map_or(&none, |k| &k.service.annotations)),
        ),
    ];
    for (k, v) in annotations {
        let p = path!["metadata", "annotations", k];
        if k == "checksum/config" {
            checker.top_level(|checker| refuse_checksum_annotation(&p, checker));
            continue;
        }
        for (key, pairs) in &others {
            if let Some(other) = pairs.get(k.as_str()).filter(|other| **other != v.as_str()) {
                checker.top_level(|checker| {
                    checker.error(
                        &p,
                        format!("`{k}` is `{other}` in {key}, and the two would apply to the same object"),
                        "keep one of the two, or give both the same value",
                    )
                });
            }
        }
    }
}

/// Pairs by key, so each annotation finds its namesakes without a scan.
fn by_key(pairs: &[(String, String)]) -> HashMap<&str, &str> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
