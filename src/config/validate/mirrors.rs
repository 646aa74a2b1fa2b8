//! dockerd's registry mirrors (`registry-mirrors`, `insecure-registries` in
//! `dind.daemonConfig`).
//!
//! The stack's own registry is given to dockerd as flags built from a variable that holds
//! exactly the registry Service's name, read from a ConfigMap key: kustomize renames that
//! key's value with the Service (a `nameReference` the component declares), so a consuming
//! kustomization's `namePrefix` cannot leave the mirror pointing at a name that is gone. A
//! short name resolves in the pod's namespace, so it follows `namespace:` too. dockerd
//! refuses a directive given both as a flag and in daemon.json, so while the registry runs,
//! every mirror is a flag. Without it, any mirror the admin writes is used as written, with
//! the `insecure-registries` entry a plain-HTTP mirror needs.

use super::Checker;
use crate::config::model::{CHART_REGISTRY_SERVICE, MIRROR_ENV, REGISTRY_PORT};
use serde_json::{json, Value};

const LISTS: [(&str, &str); 2] = [
    ("registry-mirrors", "--registry-mirror"),
    ("insecure-registries", "--insecure-registry"),
];

/// Settles the mirrors in `daemon`; returns dockerd's mirror flags (none without a registry).
pub(super) fn mirrors(
    daemon: &mut Value,
    own_registry: Option<&str>,
    namespace: Option<&str>,
    checker: &mut Checker<'_>,
) -> Vec<String> {
    for (key, _) in LISTS {
        if daemon.get(key).is_some_and(|v| !v.is_array()) {
            checker.error(
                &path!["dind", "daemonConfig", key],
                "must be a list",
                format!("write `{key}: [ ... ]`"),
            );
        }
    }
    let Some(service) = own_registry else {
        add_insecure_entries_for_http_mirrors(daemon);
        return Vec::new();
    };
    let mut args = vec![
        format!("--registry-mirror=http://$({MIRROR_ENV}):{REGISTRY_PORT}"),
        format!("--insecure-registry=$({MIRROR_ENV}):{REGISTRY_PORT}"),
    ];
    let Some(settings) = daemon.as_object_mut() else {
        return args;
    };
    for (key, flag) in LISTS {
        let Some(Value::Array(items)) = settings.remove(key) else {
            continue;
        };
        for item in items.iter().filter_map(Value::as_str) {
            // The chart's default daemonConfig names its own registry; ours replaces it.
            if !names_registry(item, service, namespace) {
                args.push(format!("{flag}={item}"));
            }
        }
    }
    args
}

/// A plain-HTTP mirror is only used when dockerd also lists it as insecure.
fn add_insecure_entries_for_http_mirrors(daemon: &mut Value) {
    let hosts: Vec<String> = daemon
        .get("registry-mirrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|m| m.strip_prefix("http://"))
        .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
        .filter(|h| !h.is_empty())
        .collect();
    if hosts.is_empty() {
        return;
    }
    let Some(settings) = daemon.as_object_mut() else {
        return;
    };
    let list = settings
        .entry("insecure-registries")
        .or_insert_with(|| json!([]));
    if let Value::Array(items) = list {
        for h in hosts {
            if !items.iter().any(|v| v.as_str() == Some(h.as_str())) {
                items.push(json!(h));
            }
        }
    }
}

/// Whether a mirror entry names the stack's own registry: its Service (or the chart's
/// `private-docker-registry`) by short name, or by an in-cluster name in the stack's
/// namespace, on the registry's port.
fn names_registry(entry: &str, service: &str, namespace: Option<&str>) -> bool {
    let rest = entry
        .strip_prefix("http://")
        .or_else(|| entry.strip_prefix("https://"))
        .unwrap_or(entry);
    let authority = rest.split('/').next().unwrap_or_default();
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, ""));
    if !(port.is_empty() || port == REGISTRY_PORT.to_string()) {
        return false;
    }
    let (name, domain) = host.split_once('.').unwrap_or((host, ""));
    if name != service && name != CHART_REGISTRY_SERVICE {
        return false;
    }
    if domain.is_empty() {
        return true;
    }
    let (ns, suffix) = domain.split_once('.').unwrap_or((domain, ""));
    matches!(suffix, "" | "svc" | "svc.cluster.local") && namespace.is_none_or(|n| n == ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_own_registry_is_recognised_by_short_name_and_same_namespace_names() {
        for entry in [
            "http://executor-registry:5000",
            "executor-registry:5000",
            "http://private-docker-registry:5000",
            "http://executor-registry.sourcegraph.svc.cluster.local:5000",
            "executor-registry.sourcegraph.svc:5000",
        ] {
            assert!(
                names_registry(entry, "executor-registry", Some("sourcegraph")),
                "{entry}"
            );
        }
        for entry in [
            "http://executor-registry.other.svc.cluster.local:5000",
            "http://executor-registry:5001",
            "https://mirror.gcr.io",
            "http://executor-registry.example.com:5000",
        ] {
            assert!(
                !names_registry(entry, "executor-registry", Some("sourcegraph")),
                "{entry}"
            );
        }
    }
}
