//! dockerd's registry mirrors (`registry-mirrors`, `insecure-registries` in
//! `dind.daemonConfig`): where the stack's own registry reaches dockerd, and every other
//! mirror as written.
//!
//! Whatever `dind.command` is, dockerd must use the stack's registry, so it goes where the
//! command surely hands it on. When appended arguments surely reach dockerd's flags (the
//! command is dockerd, or a `sh -c` script whose every dockerd run passes `"$@"`), the
//! mirror is a flag built from a variable that holds exactly the registry Service's name,
//! read from a ConfigMap key: kustomize renames that key's value with the Service (a
//! `nameReference` the component declares), so a consuming kustomization's `namePrefix`
//! cannot leave the mirror pointing at a name that is gone. dockerd refuses a directive given
//! both as a flag and in daemon.json, so then every mirror is a flag. With any other command
//! (a wrapper, a script that runs dockerd without `"$@"`) the mirror is in daemon.json, as
//! the chart has it, which every form of the command reads; kustomize cannot rename a name
//! inside it, and `check` says so. A short name resolves in the pod's namespace, so either
//! way it follows `namespace:`. Without a registry, any mirror the admin writes is used as
//! written, with the `insecure-registries` entry a plain-HTTP mirror needs.

use super::dockerd_args::Handoff;
use super::Checker;
use crate::config::model::{CHART_REGISTRY_SERVICE, MIRROR_ENV, REGISTRY_PORT};
use serde_json::{json, Value};

const LISTS: [(&str, &str); 2] = [
    ("registry-mirrors", "--registry-mirror"),
    ("insecure-registries", "--insecure-registry"),
];

/// Where the stack's own registry reaches dockerd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Carrier {
    /// No registry: daemon.json holds what the admin wrote.
    None,
    /// dockerd's flags, from the registry Service's name.
    Flags,
    /// daemon.json, by the registry Service's name as rendered.
    DaemonJson,
}

/// Where the mirror goes, given how each command the container may run hands on its
/// arguments (the dind command, and gVisor's when it replaces it).
pub(super) fn carrier(own_registry: Option<&str>, handoffs: &[Option<Handoff>]) -> Carrier {
    match own_registry {
        None => Carrier::None,
        Some(_) if handoffs.iter().all(Option::is_some) => Carrier::Flags,
        Some(_) => Carrier::DaemonJson,
    }
}

/// Settles the mirrors in `daemon`; returns dockerd's mirror flags (none unless
/// `Carrier::Flags`).
pub(super) fn mirrors(
    daemon: &mut Value,
    own_registry: Option<&str>,
    namespace: Option<&str>,
    carrier: &Carrier,
    checker: &mut Checker<'_>,
) -> Vec<String> {
    // A list that is not one is `daemon_json::check`'s to report.
    let Some(service) = own_registry else {
        warn_about_a_registry_that_is_not_run(daemon, namespace, checker);
        add_insecure_entries_for_http_mirrors(daemon);
        return Vec::new();
    };
    let Some(settings) = daemon.as_object_mut() else {
        return Vec::new();
    };
    // The stack's own registry first, then the admin's other entries; the chart's default
    // daemonConfig names its own registry, which ours replaces.
    let own = |key: &str| match (carrier, key) {
        (Carrier::Flags, "registry-mirrors") => format!("http://$({MIRROR_ENV}):{REGISTRY_PORT}"),
        (Carrier::Flags, _) => format!("$({MIRROR_ENV}):{REGISTRY_PORT}"),
        (_, "registry-mirrors") => format!("http://{service}:{REGISTRY_PORT}"),
        _ => format!("{service}:{REGISTRY_PORT}"),
    };
    let [mut mirrors, mut insecure] = LISTS.map(|(key, _)| {
        let written = match settings.remove(key) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        std::iter::once(own(key))
            .chain(
                written
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|item| !names_registry(item, service, namespace))
                    .map(str::to_string),
            )
            .collect::<Vec<String>>()
    });
    for host in http_hosts(&mirrors[1..]) {
        if !insecure.contains(&host) {
            insecure.push(host);
        }
    }
    let mut args = Vec::new();
    for ((key, flag), entries) in LISTS.into_iter().zip([&mut mirrors, &mut insecure]) {
        match carrier {
            Carrier::Flags => args.extend(entries.iter().map(|e| format!("{flag}={e}"))),
            _ => {
                settings.insert(key.into(), json!(std::mem::take(entries)));
            }
        }
    }
    args
}

/// The hosts of plain-HTTP mirrors, which dockerd uses only when they are also insecure.
fn http_hosts<'a>(mirrors: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    mirrors
        .into_iter()
        .filter_map(|m| m.strip_prefix("http://"))
        .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
        .filter(|h| !h.is_empty())
        .collect()
}

/// A mirror at the chart's registry (or the one this stack would run) while the stack runs
/// none: dockerd tries it before every pull and falls back to Docker Hub, so nothing is
/// cached, and `check` on the output says the Service is not there.
fn warn_about_a_registry_that_is_not_run(
    daemon: &Value,
    namespace: Option<&str>,
    checker: &mut Checker<'_>,
) {
    let mirrors = daemon.get("registry-mirrors").and_then(Value::as_array);
    for (i, m) in mirrors.into_iter().flatten().enumerate() {
        let Some(m) = m.as_str() else { continue };
        if names_registry(m, CHART_REGISTRY_SERVICE, namespace) {
            checker.warn(
                &path!["dind", "daemonConfig", "registry-mirrors", i],
                format!("`{m}` is the chart's registry, and this stack runs none (privateDockerRegistry.enabled is false): unless that Service still exists, dockerd tries it before every pull and then pulls from Docker Hub"),
                "remove the entry, set privateDockerRegistry.enabled: true, or point it at a registry that runs (another stack's NAME-registry)",
            );
        }
    }
}

/// A plain-HTTP mirror is only used when dockerd also lists it as insecure.
fn add_insecure_entries_for_http_mirrors(daemon: &mut Value) {
    let written: Vec<String> = daemon
        .get("registry-mirrors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let hosts = http_hosts(&written);
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

    #[test]
    fn the_mirror_goes_where_every_command_surely_hands_it_on() {
        let direct = Some(Handoff::Direct);
        assert_eq!(carrier(None, &[direct]), Carrier::None);
        assert_eq!(carrier(Some("r"), &[direct]), Carrier::Flags);
        assert_eq!(carrier(Some("r"), &[direct, None]), Carrier::DaemonJson);
    }
}
