//! The native Kubernetes mode's own keys (`sourcegraph-executor-k8s` chart): how job pods
//! are created, as the `EXECUTOR_KUBERNETES_*` / `KUBERNETES_*` variables the executor reads.
//!
//! The chart writes every key, empty or not; an empty `KUBERNETES_RUN_AS_USER` makes the
//! executor fail its own config check. Here a setting is written only when it has a value,
//! and JSON-valued settings are checked against their Kubernetes types.

use super::{object_labels, Checker};
use crate::config::model::{
    DataVolume, Kubernetes, ServiceSettings, DEBUG_PORT, ROLE, ROLE_BINDING, SERVICE_ACCOUNT,
};
use crate::config::raw::{RawExecutor, RawKubernetesJob, RawStorageClass};
use crate::k8s::quantity::Min;
use crate::k8s::roundtrip;
use crate::k8s::syntax::{
    is_dns1123_label, is_dns1123_subdomain, is_label_value, is_qualified_name,
};
use k8s_openapi::api::core::v1 as core;

/// Checks a JSON-valued setting against its Kubernetes type.
type JsonCheck = fn(&serde_json::Value) -> Result<(), Vec<roundtrip::Lost>>;

/// Pod affinity terms as the executor validates them: each needs a topologyKey.
fn pod_affinity_terms(v: &serde_json::Value) -> Result<(), Vec<roundtrip::Lost>> {
    let (terms, _) = roundtrip::strict::<Vec<core::PodAffinityTerm>, _>(v)?;
    let missing: Vec<roundtrip::Lost> = terms
        .iter()
        .enumerate()
        .filter(|(_, t)| t.topology_key.is_empty())
        .map(|(i, _)| roundtrip::Lost {
            path: format!("[{i}]"),
            message: "has no topologyKey".into(),
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

/// The native chart's job settings, as the variables the executor reads, in a fixed order.
pub fn kubernetes(
    ex: &RawExecutor,
    storage_class: Option<&RawStorageClass>,
    name: &str,
    runtime_seconds: i64,
    checker: &mut Checker<'_>,
) -> Kubernetes {
    let job = ex.kubernetes_job.as_ref();
    let mut settings: Vec<(String, String)> = Vec::new();
    let job_namespace = job_namespace(ex, &mut settings, checker);
    node_settings(job, &mut settings, checker);
    json_settings(job, &mut settings, checker);
    resource_settings(job, &mut settings, checker);
    deadline_and_ids(ex, runtime_seconds, &mut settings, checker);
    let data_volume = data_volume(ex, storage_class, name, &mut settings, checker);
    let configure_rbac = ex
        .configure_rbac
        .unwrap_or(crate::config::defaults::CONFIGURE_RBAC);
    warn_about_rbac(configure_rbac, job_namespace.as_deref(), checker);
    let service = service(ex, checker);
    Kubernetes {
        configure_rbac,
        service,
        job_namespace,
        settings,
        data_volume,
    }
}

/// Adds one `VARIABLE=value` setting.
fn set(settings: &mut Vec<(String, String)>, key: &str, value: String) {
    settings.push((key.to_string(), value));
}

/// `executor.namespace` (where job pods run) and `executor.kubeconfigPath`.
fn job_namespace(
    ex: &RawExecutor,
    settings: &mut Vec<(String, String)>,
    checker: &mut Checker<'_>,
) -> Option<String> {
    let job_namespace = ex.namespace.clone().filter(|n| !n.is_empty());
    if let Some(ns) = &job_namespace {
        if !is_dns1123_label(ns) {
            checker.error(
                &path!["executor", "namespace"],
                format!("`{ns}` is not a valid namespace"),
                "use lowercase letters, digits and `-`",
            );
        }
    }
    if let Some(path) = ex.kubeconfig_path.clone().filter(|s| !s.is_empty()) {
        set(settings, "EXECUTOR_KUBERNETES_CONFIG_PATH", path);
    }

    job_namespace
}

/// `executor.kubernetesJob.node.name` and `.selector`.
fn node_settings(
    job: Option<&RawKubernetesJob>,
    settings: &mut Vec<(String, String)>,
    checker: &mut Checker<'_>,
) {
    let node = job.and_then(|j| j.node.as_ref());
    if let Some(n) = node.and_then(|n| n.name.clone()).filter(|s| !s.is_empty()) {
        if !is_dns1123_subdomain(&n) {
            checker.error(
                &path!["executor", "kubernetesJob", "node", "name"],
                format!("`{n}` is not a valid node name"),
                "use the node's name as `kubectl get nodes` shows it",
            );
        }
        set(settings, "EXECUTOR_KUBERNETES_NODE_NAME", n);
    }
    if let Some(sel) = node
        .and_then(|n| n.selector.clone())
        .filter(|s| !s.is_empty())
    {
        let ok = sel.split(',').all(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| is_qualified_name(k.trim()) && is_label_value(v.trim()))
        });
        if !ok {
            checker.error(
                &path!["executor", "kubernetesJob", "node", "selector"],
                format!("`{sel}` is not a node selector"),
                "write it as key=value,key2=value2",
            );
        }
        set(settings, "EXECUTOR_KUBERNETES_NODE_SELECTOR", sel);
    }
}

/// The settings whose values are JSON, each checked against its Kubernetes type.
fn json_settings(
    job: Option<&RawKubernetesJob>,
    settings: &mut Vec<(String, String)>,
    checker: &mut Checker<'_>,
) {
    let node = job.and_then(|j| j.node.as_ref());
    let json_settings: [(&str, Option<String>, &str, JsonCheck, &str); 5] = [
        (
            "EXECUTOR_KUBERNETES_NODE_TOLERATIONS",
            node.and_then(|n| n.tolerations.clone()),
            "tolerations",
            |v| roundtrip::strict::<Vec<core::Toleration>, _>(v).map(|_| ()),
            "a JSON list of tolerations",
        ),
        (
            "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
            node.and_then(|n| n.required_affinity_match_expressions.clone()),
            "requiredAffinityMatchExpressions",
            |v| roundtrip::strict::<Vec<core::NodeSelectorRequirement>, _>(v).map(|_| ()),
            "a JSON list of node selector requirements",
        ),
        (
            "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
            node.and_then(|n| n.required_affinity_match_fields.clone()),
            "requiredAffinityMatchFields",
            |v| roundtrip::strict::<Vec<core::NodeSelectorRequirement>, _>(v).map(|_| ()),
            "a JSON list of node selector requirements",
        ),
        (
            "EXECUTOR_KUBERNETES_POD_AFFINITY",
            job.and_then(|j| j.pod.as_ref())
                .and_then(|pd| pd.affinity.clone()),
            "affinity",
            pod_affinity_terms,
            "a JSON list of pod affinity terms",
        ),
        (
            "EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY",
            job.and_then(|j| j.pod.as_ref())
                .and_then(|pd| pd.anti_affinity.clone()),
            "antiAffinity",
            pod_affinity_terms,
            "a JSON list of pod affinity terms",
        ),
    ];
    for (var, value, key, check, what) in json_settings {
        let Some(value) = value.filter(|s| !s.is_empty()) else {
            continue;
        };
        let parent = if var.contains("_POD_") { "pod" } else { "node" };
        let path = path!["executor", "kubernetesJob", parent, key];
        // The chart's documented form escapes its quotes (`[{\"key\":\"foo\"}]`), which its
        // template reads back inside a double-quoted YAML scalar: the executor gets the JSON.
        let value = match serde_json::from_str::<serde_json::Value>(&value) {
            Err(_) => chart_unescaped(&value).unwrap_or(value),
            Ok(_) => value,
        };
        match serde_json::from_str::<serde_json::Value>(&value) {
            Err(e) => checker.error(
                &path,
                format!("not valid JSON: {e}"),
                format!("write {what}, e.g. [{{\"key\": \"foo\", \"operator\": \"Exists\"}}]"),
            ),
            Ok(v) => {
                if let Err(lost) = check(&v) {
                    let detail = lost
                        .iter()
                        .map(|l| format!("{} {}", l.path, l.message))
                        .collect::<Vec<_>>()
                        .join(", ");
                    checker.error(
                        &path,
                        format!("not {what}: {detail}"),
                        "check the field names against the Kubernetes API reference",
                    );
                }
            }
        }
        set(settings, var, value);
    }
}

/// A value as the chart's template reads it, `"{{ value }}"` in a ConfigMap: a
/// double-quoted YAML scalar, so `\"` is a quote; `None` unless that makes it JSON.
fn chart_unescaped(value: &str) -> Option<String> {
    let text: String = serde_yaml::from_str(&format!("\"{value}\"")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?;
    Some(text)
}

/// `executor.kubernetesJob.resources`: each job pod's requests and limits.
fn resource_settings(
    job: Option<&RawKubernetesJob>,
    settings: &mut Vec<(String, String)>,
    checker: &mut Checker<'_>,
) {
    let resources = job.and_then(|j| j.resources.as_ref());
    let quantities = [
        (
            "requests",
            "cpu",
            "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU",
            resources
                .and_then(|r| r.requests.as_ref())
                .and_then(|q| q.cpu.clone()),
            None,
        ),
        (
            "requests",
            "memory",
            "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY",
            resources
                .and_then(|r| r.requests.as_ref())
                .and_then(|q| q.memory.clone()),
            Some(crate::config::defaults::JOB_REQUEST_MEMORY),
        ),
        (
            "limits",
            "cpu",
            "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU",
            resources
                .and_then(|r| r.limits.as_ref())
                .and_then(|q| q.cpu.clone()),
            None,
        ),
        (
            "limits",
            "memory",
            "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY",
            resources
                .and_then(|r| r.limits.as_ref())
                .and_then(|q| q.memory.clone()),
            Some(crate::config::defaults::JOB_LIMIT_MEMORY),
        ),
    ];
    for (side, res, var, value, default) in quantities {
        let value = match value {
            Some(v) => v,
            None => default.map(str::to_string).unwrap_or_default(),
        };
        if value.is_empty() {
            continue;
        }
        checker.quantity(
            &value,
            &path!["executor", "kubernetesJob", "resources", side, res],
            Min::Zero,
        );
        set(settings, var, value);
    }
}

/// `executor.kubernetesJob.deadline`, the job pods' user, group and fsGroup, and
/// `executor.debug.keepJobs`.
fn deadline_and_ids(
    ex: &RawExecutor,
    runtime_seconds: i64,
    settings: &mut Vec<(String, String)>,
    checker: &mut Checker<'_>,
) {
    let job = ex.kubernetes_job.as_ref();
    let p = path!["executor", "kubernetesJob", "deadline"];
    // The chart's 1200 s would end a job the executor still gives time (30m by default).
    let deadline = job
        .and_then(|j| j.deadline)
        .unwrap_or_else(|| crate::config::defaults::job_deadline(runtime_seconds));
    if deadline <= 0 {
        checker.error(
            &p,
            format!("{deadline} is not a positive number of seconds"),
            "use e.g. 1800",
        );
    } else if deadline < runtime_seconds {
        checker.warn(
            &p,
            format!("job pods are stopped after {deadline} s, before the {runtime_seconds} s executor.maximumRuntimePerJob gives a job"),
            format!("raise it to at least {runtime_seconds}, or remove it to follow the runtime"),
        );
    }
    set(settings, "KUBERNETES_JOB_DEADLINE", deadline.to_string());
    let ids = [
        (
            "runAsUser",
            "KUBERNETES_RUN_AS_USER",
            job.and_then(|j| j.run_as_user),
        ),
        (
            "runAsGroup",
            "KUBERNETES_RUN_AS_GROUP",
            job.and_then(|j| j.run_as_group),
        ),
        (
            "fsGroup",
            "KUBERNETES_FS_GROUP",
            Some(
                job.and_then(|j| j.fs_group)
                    .unwrap_or(crate::config::defaults::JOB_FS_GROUP),
            ),
        ),
    ];
    for (key, var, value) in ids {
        // -1 is the older chart's default and the executor's own word for "not set".
        if let Some(id) = value.filter(|id| *id != -1) {
            if !(0..=i64::from(i32::MAX)).contains(&id) {
                checker.error(
                    &path!["executor", "kubernetesJob", key],
                    format!("{id} is out of range"),
                    "use an ID from 0 to 2147483647, or leave it out",
                );
            }
            set(settings, var, id.to_string());
        }
    }
    if let Some(keep) = ex.debug.as_ref().and_then(|d| d.keep_jobs) {
        set(settings, "KUBERNETES_KEEP_JOBS", keep.to_string());
    }
}

/// The old chart's shared `/data` volume, only when `executor.storageSize` asks for it.
fn data_volume(
    ex: &RawExecutor,
    storage_class: Option<&RawStorageClass>,
    name: &str,
    settings: &mut Vec<(String, String)>,
    checker: &mut Checker<'_>,
) -> Option<DataVolume> {
    let data_volume = ex
        .storage_size
        .clone()
        .filter(|s| !s.is_empty())
        .map(|size| {
            checker.quantity(&size, &path!["executor", "storageSize"], Min::AboveZero);
            let class = storage_class
                .and_then(|s| s.name.clone())
                .filter(|s| !s.is_empty());
            DataVolume {
                claim_name: format!("{name}-data"),
                size,
                class,
            }
        });
    if let Some(v) = &data_volume {
        set(
            settings,
            "EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME",
            v.claim_name.clone(),
        );
    }

    data_volume
}

fn warn_about_rbac(configure_rbac: bool, job_namespace: Option<&str>, checker: &mut Checker<'_>) {
    if let (true, Some(ns)) = (configure_rbac, job_namespace) {
        checker.warn(
            &path!["executor", "namespace"],
            format!("jobs run in `{ns}`, but the Role rendered here grants rights in the executor's own namespace"),
            format!("create the same Role in `{ns}`, bound to the ServiceAccount {SERVICE_ACCOUNT} of this namespace"),
        );
    }
    if !configure_rbac {
        checker.warn(
            &path!["executor", "configureRbac"],
            format!("no RBAC is rendered: the pod runs as the ServiceAccount {SERVICE_ACCOUNT}, which must exist in the namespace with the Role {ROLE} and the RoleBinding {ROLE_BINDING}"),
            "let exactly one stack in the namespace keep configureRbac: true (it creates them, the chart's way), or create them yourself",
        );
    }
}

/// The Service types a Service with a selector can have.
const SERVICE_TYPES: [&str; 3] = ["ClusterIP", "NodePort", "LoadBalancer"];

/// Annotations that ask a Prometheus to scrape a Service.
const SCRAPE_ANNOTATIONS: [&str; 2] = ["prometheus.io/scrape", "sourcegraph.prometheus/scrape"];

/// The native chart's Service: `executor.serviceType`, `.serviceLabels`, `.serviceAnnotations`.
fn service(ex: &RawExecutor, checker: &mut Checker<'_>) -> ServiceSettings {
    let type_ = ex
        .service_type
        .clone()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| crate::config::defaults::SERVICE_TYPE.into());
    if !SERVICE_TYPES.contains(&type_.as_str()) {
        checker.error(
            &path!["executor", "serviceType"],
            format!("`{type_}` is not a type this Service can have"),
            format!("use one of {}", SERVICE_TYPES.join(", ")),
        );
    }
    let labels = object_labels(
        ex.service_labels.as_ref(),
        &path!["executor", "serviceLabels"],
        checker,
    );
    let annotations = ex
        .service_annotations
        .as_ref()
        .map(|a| checker.labels(a, &path!["executor", "serviceAnnotations"], false))
        .unwrap_or_default();
    // Rendered as written, as the chart does, but a scrape of it finds nothing.
    if let Some(key) = ex
        .service_annotations
        .iter()
        .flat_map(|a| a.keys())
        .find(|k| SCRAPE_ANNOTATIONS.contains(&k.as_str()))
    {
        checker.warn(
            &path!["executor", "serviceAnnotations", key.as_str()],
            format!("Prometheus would scrape port {DEBUG_PORT}, where the executor serves nothing: it pushes its metrics to Sourcegraph with each heartbeat, and Prometheus reads them from Sourcegraph's worker"),
            "remove the annotation, so that Prometheus has no target that is always down",
        );
    }
    ServiceSettings {
        type_,
        labels,
        annotations,
    }
}
