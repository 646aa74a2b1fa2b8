//! Reads each object into its `k8s-openapi` type, keeping what the wiring checks look at.
//! Keys that do not survive the round trip are unknown fields, reported by path.

use crate::k8s::roundtrip;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, Container, Namespace, PersistentVolumeClaim, PodSpec, PodTemplateSpec, Secret,
    Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

// Short-lived, one per object during a check: size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Typed {
    Workload {
        selector: LabelSelector,
        template: PodTemplateSpec,
    },
    Service(Service),
    ConfigMap(ConfigMap),
    Secret(Secret),
    RoleBinding(RoleBinding),
    NetworkPolicy(NetworkPolicy),
    Other,
}

/// The apiVersion each kind the tool knows is read with.
const KINDS: [(&str, &str); 12] = [
    ("Deployment", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("Service", "v1"),
    ("ConfigMap", "v1"),
    ("Secret", "v1"),
    ("ServiceAccount", "v1"),
    ("PersistentVolumeClaim", "v1"),
    ("Namespace", "v1"),
    ("Role", "rbac.authorization.k8s.io/v1"),
    ("RoleBinding", "rbac.authorization.k8s.io/v1"),
    ("StorageClass", "storage.k8s.io/v1"),
    ("NetworkPolicy", "networking.k8s.io/v1"),
];

/// Whether the tool has a type for this kind at this apiVersion.
pub fn known(kind: &str, api_version: &str) -> bool {
    KINDS.contains(&(kind, api_version))
}

/// Reads a value as a `T`, every key it does not know reported.
fn strict<T: serde::de::DeserializeOwned + serde::Serialize>(
    v: &serde_yaml::Value,
) -> Result<T, Vec<roundtrip::Lost>> {
    roundtrip::strict::<T, _>(v).map(|(t, _)| t)
}

/// The object as its kind's type, reduced to what the wiring checks need.
pub fn read(kind: &str, v: &serde_yaml::Value) -> Result<Typed, Vec<roundtrip::Lost>> {
    let workload = |selector, template| Typed::Workload { selector, template };
    Ok(match kind {
        "Deployment" => {
            let d: Deployment = strict(v)?;
            let spec = d.spec.unwrap_or_default();
            workload(spec.selector, for_wiring(spec.template))
        }
        "StatefulSet" => {
            let s: StatefulSet = strict(v)?;
            let spec = s.spec.unwrap_or_default();
            workload(spec.selector, for_wiring(spec.template))
        }
        "Service" => Typed::Service(strict(v)?),
        "ConfigMap" => Typed::ConfigMap(strict(v)?),
        "Secret" => Typed::Secret(strict(v)?),
        "RoleBinding" => Typed::RoleBinding(strict(v)?),
        "NetworkPolicy" => Typed::NetworkPolicy(strict(v)?),
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

/// The part of a pod template the checks between objects look at: its labels, containers'
/// names, images, ports, mounts, environment and commands, its volumes and ServiceAccount.
/// Every workload is kept until all are read, so the rest (probes, resources, scheduling)
/// is dropped once its round trip has passed.
fn for_wiring(template: PodTemplateSpec) -> PodTemplateSpec {
    let labels = template.metadata.and_then(|m| m.labels);
    let spec = template.spec.map(|spec| PodSpec {
        containers: spec
            .containers
            .into_iter()
            .map(|c| Container {
                name: c.name,
                image: c.image,
                ports: c.ports,
                volume_mounts: c.volume_mounts,
                env_from: c.env_from,
                env: c.env,
                command: c.command,
                args: c.args,
                ..Container::default()
            })
            .collect(),
        volumes: spec.volumes,
        service_account_name: spec.service_account_name,
        ..PodSpec::default()
    });
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels,
            ..ObjectMeta::default()
        }),
        spec,
    }
}
