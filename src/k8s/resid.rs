//! The identity of a Kubernetes object (kind, name, namespace), used as the key of the
//! bundle and in every message about an object, and the fixed kind order that makes the
//! output byte-stable.

use std::cmp::Ordering;
use std::fmt;

/// Kinds in the order they are applied: what others refer to comes first.
const KIND_ORDER: [&str; 15] = [
    "Namespace",
    "StorageClass",
    "ServiceAccount",
    "Role",
    "RoleBinding",
    "ConfigMap",
    "Secret",
    "Service",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "ScaledObject",
    "PrometheusRule",
];

/// Kinds that live outside any namespace.
const CLUSTER_SCOPED: [&str; 2] = ["Namespace", "StorageClass"];

/// Whether two apiVersions of one kind name the same resource on the API server: the
/// same group, whatever the version, or a group the kind moved between (a Deployment of
/// `extensions/v1beta1` is the Deployment of `apps/v1` of that name).
pub fn same_resource(kind: &str, api_version: &str, other: &str) -> bool {
    let group = |v: &str| v.rsplit_once('/').map_or("", |(g, _)| g).to_string();
    let (a, b) = (group(api_version), group(other));
    if a == b {
        return true;
    }
    let moved: &[&str] = match kind {
        "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet" => &["apps", "extensions"],
        "NetworkPolicy" | "Ingress" => &["networking.k8s.io", "extensions"],
        "PodSecurityPolicy" => &["policy", "extensions"],
        _ => &[],
    };
    moved.contains(&a.as_str()) && moved.contains(&b.as_str())
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResId {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

impl ResId {
    /// Reads the identity of a parsed object; `None` when it has no kind or name.
    pub fn of(object: &serde_yaml::Value) -> Option<ResId> {
        let kind = object.get("kind")?.as_str()?.to_string();
        let meta = object.get("metadata")?;
        let name = meta.get("name")?.as_str()?.to_string();
        let namespace = meta
            .get("namespace")
            .and_then(|n| n.as_str())
            .map(str::to_string);
        Some(ResId {
            kind,
            name,
            namespace,
        })
    }

    pub fn is_namespaced(&self) -> bool {
        !CLUSTER_SCOPED.contains(&self.kind.as_str())
    }

    /// The file this object is written to in a component: `<name>.<Kind>.yaml`, as upstream.
    pub fn file_name(&self) -> String {
        format!("{}.{}.yaml", self.name, self.kind)
    }

    fn rank(&self) -> usize {
        KIND_ORDER
            .iter()
            .position(|k| *k == self.kind)
            .unwrap_or(KIND_ORDER.len())
    }
}

impl Ord for ResId {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.rank(), &self.kind, &self.namespace, &self.name).cmp(&(
            other.rank(),
            &other.kind,
            &other.namespace,
            &other.name,
        ))
    }
}

impl PartialOrd for ResId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ResId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind, self.name)?;
        if let Some(ns) = &self.namespace {
            write!(f, " (namespace {ns})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_api_versions_name_the_same_resource() {
        assert!(same_resource("Deployment", "apps/v1", "extensions/v1beta1"));
        assert!(same_resource("Deployment", "apps/v1", "apps/v1beta2"));
        assert!(same_resource(
            "NetworkPolicy",
            "networking.k8s.io/v1",
            "extensions/v1beta1"
        ));
        assert!(same_resource(
            "Role",
            "rbac.authorization.k8s.io/v1",
            "rbac.authorization.k8s.io/v1beta1"
        ));
        assert!(!same_resource("Service", "v1", "serving.knative.dev/v1"));
        assert!(!same_resource("Deployment", "apps/v1", "example.com/v1"));
    }

    fn id(kind: &str, name: &str) -> ResId {
        ResId {
            kind: kind.into(),
            name: name.into(),
            namespace: None,
        }
    }

    #[test]
    fn referenced_kinds_sort_first_then_by_name() {
        let mut ids = [
            id("Deployment", "b"),
            id("Service", "a"),
            id("ConfigMap", "z"),
            id("Deployment", "a"),
            id("Widget", "x"),
        ];
        ids.sort();
        let order: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            order,
            [
                "ConfigMap/z",
                "Service/a",
                "Deployment/a",
                "Deployment/b",
                "Widget/x"
            ]
        );
    }
}
