//! The value rules the API server applies that a schema (kubectl's, or the typed read) does
//! not: quantities as apimachinery parses them (and refused where it would mishandle them),
//! a request above its limit, image pull policies, label keys and values. `check` applies
//! them to every object of a stream, of any kind that has a pod template or a claim, since
//! the tool's own config validation is not there to catch them in a consumer's patches.

use crate::k8s::quantity::{self, Min, Quantity};
use crate::k8s::syntax::{is_label_value, is_qualified_name};
use serde_yaml::Value;
use std::collections::BTreeMap;

/// The pull policies Kubernetes accepts.
const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];

/// One finding: the field's path in the object and what is wrong there.
pub type ValueFinding = (String, String);

/// Every value rule on one object.
pub fn check(kind: &str, object: &Value) -> Vec<ValueFinding> {
    let mut found = Vec::new();
    labels(object, "metadata", &mut found);
    let template = match kind {
        "Pod" => Some("spec"),
        "CronJob" => Some("spec.jobTemplate.spec.template.spec"),
        "PodTemplate" => Some("template.spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => Some("spec.template.spec"),
        _ => None,
    };
    if let Some(spec_path) = template {
        if let Some(meta) = spec_path
            .strip_suffix(".spec")
            .map(|t| format!("{t}.metadata"))
        {
            labels(object, &meta, &mut found);
        }
        if let Some(spec) = get(object, spec_path) {
            pod(spec, spec_path, &mut found);
        }
    }
    if kind == "PersistentVolumeClaim" {
        if let Some(storage) = get(object, "spec.resources.requests.storage") {
            quantity_at(
                storage,
                "spec.resources.requests.storage",
                Min::AboveZero,
                &mut found,
            );
        }
    }
    if kind == "StatefulSet" {
        let claims = get(object, "spec.volumeClaimTemplates").and_then(Value::as_sequence);
        for (i, claim) in claims.into_iter().flatten().enumerate() {
            let path = format!("spec.volumeClaimTemplates[{i}].spec.resources.requests.storage");
            if let Some(storage) = get(claim, "spec.resources.requests.storage") {
                quantity_at(storage, &path, Min::AboveZero, &mut found);
            }
        }
    }
    found
}

/// The value at a dotted path of keys.
fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn pod(spec: &Value, base: &str, found: &mut Vec<ValueFinding>) {
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let containers = spec.get(list).and_then(Value::as_sequence);
        for (i, c) in containers.into_iter().flatten().enumerate() {
            container(c, &format!("{base}.{list}[{i}]"), found);
        }
    }
    let volumes = spec.get("volumes").and_then(Value::as_sequence);
    for (i, v) in volumes.into_iter().flatten().enumerate() {
        if let Some(limit) = get(v, "emptyDir.sizeLimit") {
            quantity_at(
                limit,
                &format!("{base}.volumes[{i}].emptyDir.sizeLimit"),
                Min::Zero,
                found,
            );
        }
    }
    if let Some(overhead) = spec.get("overhead").and_then(Value::as_mapping) {
        for (name, q) in overhead {
            let name = name.as_str().unwrap_or_default();
            quantity_at(q, &format!("{base}.overhead.{name}"), Min::Zero, found);
        }
    }
}

fn container(c: &Value, path: &str, found: &mut Vec<ValueFinding>) {
    if let Some(policy) = c.get("imagePullPolicy") {
        let text = policy.as_str().unwrap_or_default();
        if !PULL_POLICIES.contains(&text) {
            let shown = policy.as_str().map_or_else(|| show(policy), str::to_string);
            found.push((
                format!("{path}.imagePullPolicy"),
                format!(
                    "`{shown}` is not an image pull policy; use one of {}",
                    PULL_POLICIES.join(", ")
                ),
            ));
        }
    }
    let mut parsed: BTreeMap<(&str, String), Quantity> = BTreeMap::new();
    for part in ["limits", "requests"] {
        let values = get(c, &format!("resources.{part}")).and_then(Value::as_mapping);
        for (name, q) in values.into_iter().flatten() {
            let name = name.as_str().unwrap_or_default().to_string();
            let at = format!("{path}.resources.{part}.{name}");
            if let Some(q) = quantity_at(q, &at, Min::Zero, found) {
                parsed.insert((part, name), q);
            }
        }
    }
    for ((part, name), request) in &parsed {
        if *part != "requests" {
            continue;
        }
        if let Some(limit) = parsed.get(&("limits", name.clone())) {
            if request > limit {
                found.push((
                    format!("{path}.resources.requests.{name}"),
                    format!("the {name} request is above its limit, which Kubernetes refuses; raise the limit or lower the request"),
                ));
            }
        }
    }
}

/// A quantity, as apimachinery reads it; a finding when it is not one.
fn quantity_at(v: &Value, path: &str, min: Min, found: &mut Vec<ValueFinding>) -> Option<Quantity> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            found.push((
                path.into(),
                format!("`{}` is not a Kubernetes quantity; use a number with an optional suffix such as 500m or 10Gi", show(other)),
            ));
            return None;
        }
    };
    match quantity::parse(&text).and_then(|q| q.at_least(min)) {
        Ok(q) => Some(q),
        Err(e) => {
            found.push((path.into(), format!("`{text}` {e}; {}", e.hint())));
            None
        }
    }
}

/// Label keys and values under `{meta}.labels`, annotation keys under `{meta}.annotations`.
fn labels(object: &Value, meta: &str, found: &mut Vec<ValueFinding>) {
    let key_rule = "use [prefix/]name: at most 63 letters, digits, `-`, `_` or `.` in the name, starting and ending with a letter or digit";
    for (field, values_are_labels) in [("labels", true), ("annotations", false)] {
        let map = get(object, &format!("{meta}.{field}")).and_then(Value::as_mapping);
        for (k, v) in map.into_iter().flatten() {
            let key = k.as_str().map_or_else(|| show(k), str::to_string);
            let path = format!("{meta}.{field}.{key}");
            if !is_qualified_name(&key) {
                found.push((
                    path,
                    format!(
                        "`{key}` is not a valid {} key; {key_rule}",
                        &field[..field.len() - 1]
                    ),
                ));
                continue;
            }
            if values_are_labels {
                let value = v.as_str().map_or_else(|| show(v), str::to_string);
                if !is_label_value(&value) {
                    found.push((path, format!("`{value}` is not a valid label value; use at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit")));
                }
            }
        }
    }
}

/// A value as it would be written in YAML, on one line.
fn show(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(yaml: &str) -> Vec<String> {
        let v: Value = serde_yaml::from_str(yaml).unwrap();
        let kind = v["kind"].as_str().unwrap().to_string();
        check(&kind, &v)
            .into_iter()
            .map(|(p, m)| format!("{p}: {m}"))
            .collect()
    }

    #[test]
    fn quantities_pull_policies_and_requests_above_limits() {
        let found = found(
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        imagePullPolicy: always\n        resources:\n          limits: {cpu: 500m, memory: 50GB}\n          requests: {cpu: '1'}\n      volumes:\n      - name: s\n        emptyDir: {sizeLimit: -1Gi}\n",
        );
        assert_eq!(
            found,
            [
                "spec.template.spec.containers[0].imagePullPolicy: `always` is not an image pull policy; use one of Always, IfNotPresent, Never",
                "spec.template.spec.containers[0].resources.limits.memory: `50GB` is not a Kubernetes quantity; use a number with an optional suffix such as 500m, 10Gi or 20G (not GB)",
                "spec.template.spec.containers[0].resources.requests.cpu: the cpu request is above its limit, which Kubernetes refuses; raise the limit or lower the request",
                "spec.template.spec.volumes[0].emptyDir.sizeLimit: `-1Gi` is negative; Kubernetes refuses a negative value here; use 0 or more",
            ]
        );
    }

    #[test]
    fn labels_claims_and_cron_jobs() {
        assert_eq!(
            found("kind: PersistentVolumeClaim\nmetadata:\n  labels: {'bad key!': x, ok: 'not ok'}\nspec:\n  resources: {requests: {storage: '0'}}\n"),
            [
                "metadata.labels.bad key!: `bad key!` is not a valid label key; use [prefix/]name: at most 63 letters, digits, `-`, `_` or `.` in the name, starting and ending with a letter or digit",
                "metadata.labels.ok: `not ok` is not a valid label value; use at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit",
                "spec.resources.requests.storage: `0` is not above zero; Kubernetes refuses a claim without a size; use e.g. 10Gi",
            ]
        );
        assert_eq!(
            found("kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: [{name: a, imagePullPolicy: Sometimes}]\n"),
            ["spec.jobTemplate.spec.template.spec.containers[0].imagePullPolicy: `Sometimes` is not an image pull policy; use one of Always, IfNotPresent, Never"]
        );
        assert!(found("kind: Foo\nspec: {containers: [{imagePullPolicy: x}]}\n").is_empty());
    }
}
