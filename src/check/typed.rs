//! Reads each object into its `k8s-openapi` type, keeping what the wiring checks look at.
//! Keys that do not survive the round trip are unknown fields, reported by path.

use crate::k8s::roundtrip;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EnvFromSource, EnvVar, Namespace,
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, PodTemplateSpec, Secret, Service,
    ServiceAccount, Volume, VolumeMount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::BTreeMap;

// Short-lived, one per object during a check: size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    Workload {
        selector: LabelSelector,
        template: PodTemplate,
    },
    Service(Service),
    ConfigMap(ConfigMap),
    Secret(Secret),
    RoleBinding(RoleBinding),
    NetworkPolicy(NetworkPolicy),
    Other,
}

/// The apiVersion each kind the tool knows is read with.
const KINDS: [(&str, &str); 15] = [
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
    // Custom resources: read as trees by `scaling`, their shapes checked against the CRDs.
    ("ScaledObject", "keda.sh/v1alpha1"),
    ("PrometheusRule", "monitoring.coreos.com/v1"),
    ("PodDisruptionBudget", "policy/v1"),
];

/// Whether the tool has a type for this kind at this apiVersion.
pub fn known(kind: &str, api_version: &str) -> bool {
    KINDS.contains(&(kind, api_version))
}

/// How a value is read into its type.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Every key the type does not know is reported (the round trip).
    Strict,
    /// Only read: an object of the same shape passed the round trip (`shape`).
    ShapeChecked,
}

/// Reads a value as a `T`; strictly, every key it does not know is reported.
fn typed<T: serde::de::DeserializeOwned + serde::Serialize>(
    v: &serde_yaml::Value,
    how: Read,
) -> Result<T, Vec<roundtrip::Lost>> {
    match how {
        Read::Strict => roundtrip::strict::<T, _>(v).map(|(t, _)| t),
        Read::ShapeChecked => T::deserialize(v).map_err(|e| {
            vec![roundtrip::Lost {
                path: String::new(),
                message: format!("does not fit the Kubernetes type: {e}"),
            }]
        }),
    }
}

/// The object as its kind's type, reduced to what the wiring checks need.
pub fn read(kind: &str, v: &serde_yaml::Value, how: Read) -> Result<Typed, Vec<roundtrip::Lost>> {
    let workload = |selector, template| Typed::Workload { selector, template };
    Ok(match kind {
        "Deployment" => {
            let d: Deployment = typed(v, how)?;
            let spec = d.spec.unwrap_or_default();
            workload(spec.selector, for_wiring(spec.template))
        }
        "StatefulSet" => {
            let s: StatefulSet = typed(v, how)?;
            let spec = s.spec.unwrap_or_default();
            workload(spec.selector, for_wiring(spec.template))
        }
        "Service" => Typed::Service(typed(v, how)?),
        "ConfigMap" => Typed::ConfigMap(typed(v, how)?),
        "Secret" => Typed::Secret(typed(v, how)?),
        "RoleBinding" => Typed::RoleBinding(typed(v, how)?),
        "NetworkPolicy" => Typed::NetworkPolicy(typed(v, how)?),
        "Role" => typed::<Role>(v, how).map(|_| Typed::Other)?,
        "ServiceAccount" => typed::<ServiceAccount>(v, how).map(|_| Typed::Other)?,
        "PersistentVolumeClaim" => typed::<PersistentVolumeClaim>(v, how).map(|_| Typed::Other)?,
        "StorageClass" => typed::<StorageClass>(v, how).map(|_| Typed::Other)?,
        "Namespace" => typed::<Namespace>(v, how).map(|_| Typed::Other)?,
        "ScaledObject" | "PrometheusRule" => Typed::Other,
        "PodDisruptionBudget" => typed::<PodDisruptionBudget>(v, how).map(|_| Typed::Other)?,
        other => {
            return Err(vec![roundtrip::Lost {
                path: "kind".into(),
                message: format!("the tool has no type for kind {other}"),
            }])
        }
    })
}

/// The part of a pod template the checks between objects look at. Every workload is kept
/// until all are read, and `k8s-openapi`'s containers and volumes take 2 and 3 KiB each, so
/// only this is kept once its round trip has passed.
#[derive(Debug, Clone, PartialEq)]
pub struct PodTemplate {
    pub labels: BTreeMap<String, String>,
    pub spec: Option<Pod>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    pub containers: Vec<PodContainer>,
    /// Kept and checked exactly as `containers`: a native sidecar (`restartPolicy: Always`)
    /// such as dind runs beside them, and any init container mounts, reads and runs alike.
    pub init_containers: Vec<PodContainer>,
    pub volumes: Vec<PodVolume>,
    pub service_account_name: Option<String>,
    /// How long a stopping pod may drain; Kubernetes' default (30 s) when unset.
    pub termination_grace_period_seconds: Option<i64>,
    /// What `drain::lifecycle` found wrong with the containers' probes and restart policies,
    /// read while the full types are at hand.
    pub lifecycle: Vec<PodFinding>,
}

/// A finding about one pod, by its field under `spec.template.spec`.
#[derive(Debug, Clone, PartialEq)]
pub struct PodFinding {
    pub field: String,
    pub message: String,
}

impl Pod {
    /// Every container with its field path under the pod spec: `containers[i]`, then
    /// `initContainers[i]`.
    pub fn all_containers(&self) -> impl Iterator<Item = (String, &PodContainer)> {
        let at = |list: &'static str| move |(i, c)| (format!("{list}[{i}]"), c);
        (self.containers.iter().enumerate().map(at("containers"))).chain(
            self.init_containers
                .iter()
                .enumerate()
                .map(at("initContainers")),
        )
    }

    /// The containers that run as long as the pod: its containers and its native sidecars.
    pub fn running_containers(&self) -> impl Iterator<Item = &PodContainer> {
        self.containers
            .iter()
            .chain(self.init_containers.iter().filter(|c| c.is_sidecar()))
    }
}

/// A container's names, image, ports, mounts, environment and command line.
#[derive(Debug, Clone, PartialEq)]
pub struct PodContainer {
    pub name: String,
    /// `Always` makes an init container a native sidecar.
    pub restart_policy: Option<String>,
    pub image: Option<String>,
    pub ports: Option<Vec<ContainerPort>>,
    pub volume_mounts: Option<Vec<VolumeMount>>,
    pub env_from: Option<Vec<EnvFromSource>>,
    pub env: Option<Vec<EnvVar>>,
    pub command: Option<Vec<String>>,
    pub args: Option<Vec<String>>,
}

/// A volume's name, how many sources it names, and the ones other objects provide.
#[derive(Debug, Clone, PartialEq)]
pub struct PodVolume {
    pub name: String,
    pub sources: usize,
    pub config_map: Option<ConfigMapVolumeSource>,
    pub persistent_volume_claim: Option<PersistentVolumeClaimVolumeSource>,
}

impl PodContainer {
    /// Whether it is an init container that runs beside the others (a native sidecar).
    pub fn is_sidecar(&self) -> bool {
        self.restart_policy.as_deref() == Some("Always")
    }
}

/// The containers of one list, reduced to what the checks read.
fn for_wiring_containers(list: Vec<Container>) -> Vec<PodContainer> {
    // Collected into a new vector (`Vec::from_iter` would keep the large one's memory).
    std::iter::empty()
        .chain(list)
        .map(|c| PodContainer {
            name: c.name,
            restart_policy: c.restart_policy,
            image: c.image,
            ports: c.ports,
            volume_mounts: c.volume_mounts,
            env_from: c.env_from,
            env: c.env,
            command: c.command,
            args: c.args,
        })
        .collect()
}

fn for_wiring(template: PodTemplateSpec) -> PodTemplate {
    let labels = template.metadata.and_then(|m| m.labels).unwrap_or_default();
    // Collected into new vectors (`Vec::from_iter` would keep the large ones' memory).
    let spec = template.spec.map(|spec| Pod {
        lifecycle: super::drain::lifecycle(&spec),
        termination_grace_period_seconds: spec.termination_grace_period_seconds,
        containers: for_wiring_containers(spec.containers),
        init_containers: for_wiring_containers(spec.init_containers.unwrap_or_default()),
        volumes: std::iter::empty()
            .chain(spec.volumes.unwrap_or_default())
            .map(|v| PodVolume {
                sources: sources(&v),
                name: v.name,
                config_map: v.config_map,
                persistent_volume_claim: v.persistent_volume_claim,
            })
            .collect(),
        service_account_name: spec.service_account_name,
    });
    PodTemplate { labels, spec }
}

/// How many of its sources a volume names (Kubernetes wants exactly one).
fn sources(v: &Volume) -> usize {
    [
        v.aws_elastic_block_store.is_some(),
        v.azure_disk.is_some(),
        v.azure_file.is_some(),
        v.cephfs.is_some(),
        v.cinder.is_some(),
        v.config_map.is_some(),
        v.csi.is_some(),
        v.downward_api.is_some(),
        v.empty_dir.is_some(),
        v.ephemeral.is_some(),
        v.fc.is_some(),
        v.flex_volume.is_some(),
        v.flocker.is_some(),
        v.gce_persistent_disk.is_some(),
        v.git_repo.is_some(),
        v.glusterfs.is_some(),
        v.host_path.is_some(),
        v.image.is_some(),
        v.iscsi.is_some(),
        v.nfs.is_some(),
        v.persistent_volume_claim.is_some(),
        v.photon_persistent_disk.is_some(),
        v.portworx_volume.is_some(),
        v.projected.is_some(),
        v.quobyte.is_some(),
        v.rbd.is_some(),
        v.scale_io.is_some(),
        v.secret.is_some(),
        v.storageos.is_some(),
        v.vsphere_volume.is_some(),
    ]
    .into_iter()
    .filter(|set| *set)
    .count()
}
