//! The config exactly as the admin wrote it: the Helm charts' value names, every key
//! optional, unknown keys refused. Nothing here is checked beyond its keys and types; `config`
//! turns it into the `Config` the rest of the tool uses.
//!
//! Values that are Kubernetes objects in their own right (`resources`, `affinity`,
//! `tolerations`, security contexts, `valueFrom`) are kept as plain YAML values and checked
//! against their `k8s-openapi` types by `config`, which knows where they stood in the file.
//!
//! The JSON Schema (`config::schema`) is derived from these types (schemars), so it has the
//! same keys and types; such a value is an open object or list there.

use crate::config::schema::{open_list, open_map};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_yaml::Value;

/// The KRM form: `apiVersion: sg-executor-gen/v1alpha1`, `kind: ExecutorDeployment`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawKrm {
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub metadata: Option<RawMetadata>,
    pub spec: Option<RawSpec>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMetadata {
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// Accepted so the file can serve as a KRM function config (kpt adds annotations).
    pub annotations: Option<IndexMap<String, String>>,
    pub labels: Option<IndexMap<String, String>>,
}

/// The chart values, shared by the dind and the native Kubernetes chart.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawSpec {
    /// Ours, not the charts': `dind` (default) or `kubernetes`.
    pub mode: Option<Mode>,
    /// Both charts read the top-level key (not `sourcegraph.nameOverride`) into the
    /// `app.kubernetes.io/name` label.
    pub name_override: Option<String>,
    pub sourcegraph: Option<RawSourcegraph>,
    pub storage_class: Option<RawStorageClass>,
    pub queues: Option<Vec<RawQueue>>,
    pub executor: Option<RawExecutor>,
    pub dind: Option<RawDind>,
    pub private_docker_registry: Option<RawRegistry>,
    /// Ours, not the charts': the `network-policy` layer.
    pub network_policy: Option<RawNetworkPolicy>,
    /// Ours, not the charts': the oldest Kubernetes version the output must run on
    /// (`1.29` and later run dind as a native sidecar).
    pub kubernetes_version: Option<String>,
    /// Ours, not the charts': the `autoscaling` layer (KEDA ScaledObjects).
    pub autoscaling: Option<RawAutoscaling>,
    /// Ours, not the charts': the `alerts` layer (Prometheus rules).
    pub alerts: Option<RawAlerts>,
}

/// KEDA scaling of the executor Deployments on their queue's demand.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawAutoscaling {
    pub enabled: Option<bool>,
    pub min_replica_count: Option<i64>,
    pub max_replica_count: Option<i64>,
    pub fallback_replica_count: Option<i64>,
    pub polling_interval: Option<i64>,
    pub cooldown_period: Option<i64>,
    pub server_address: Option<String>,
    pub authentication_ref: Option<RawAuthenticationRef>,
    pub query: Option<String>,
}

/// A KEDA `TriggerAuthentication` (or `ClusterTriggerAuthentication`) the trigger uses.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAuthenticationRef {
    pub name: Option<String>,
    pub kind: Option<String>,
}

/// One `queues[]` entry's own scaling, over `autoscaling`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawQueueAutoscaling {
    pub enabled: Option<bool>,
    pub min_replica_count: Option<i64>,
    pub max_replica_count: Option<i64>,
    pub fallback_replica_count: Option<i64>,
    pub query: Option<String>,
}

/// Alerting rules for the executor fleet.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawAlerts {
    pub enabled: Option<bool>,
    pub prometheus_operator: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNetworkPolicy {
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Dind,
    Kubernetes,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawSourcegraph {
    pub image: Option<RawGlobalImage>,
    pub image_pull_secrets: Option<Vec<RawLocalObjectReference>>,
    pub labels: Option<IndexMap<String, String>>,
    pub name_override: Option<String>,
    #[schemars(schema_with = "open_map")]
    pub affinity: Option<Value>,
    pub node_selector: Option<IndexMap<String, String>>,
    #[schemars(schema_with = "open_list")]
    pub tolerations: Option<Value>,
    pub pod_annotations: Option<IndexMap<String, String>>,
    pub pod_labels: Option<IndexMap<String, String>>,
    pub priority_class_name: Option<String>,
    /// Native Kubernetes chart only: drop every resources stanza.
    pub local_dev_mode: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawGlobalImage {
    pub default_tag: Option<String>,
    pub pull_policy: Option<String>,
    pub repository: Option<String>,
    pub use_global_tag_as_default: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLocalObjectReference {
    pub name: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawStorageClass {
    pub create: Option<bool>,
    pub name: Option<String>,
    pub provisioner: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub parameters: Option<IndexMap<String, String>>,
    #[schemars(schema_with = "open_list")]
    pub allowed_topologies: Option<Value>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawQueue {
    pub name: Option<String>,
    pub queue_name: Option<String>,
    pub queue_names: Option<Vec<String>>,
    pub replica_count: Option<i64>,
    #[schemars(schema_with = "open_map")]
    pub resources: Option<Value>,
    pub env: Option<IndexMap<String, RawEnvValue>>,
    /// Ours, not the charts': this entry's scaling, over `autoscaling`.
    pub autoscaling: Option<RawQueueAutoscaling>,
}

/// One entry of an `env` map: `{value: …}` or `{valueFrom: …}`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawEnvValue {
    pub value: Option<String>,
    #[schemars(schema_with = "open_map")]
    pub value_from: Option<Value>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawExecutor {
    pub frontend_url: Option<String>,
    pub frontend_password: Option<String>,
    pub frontend_existing_secret: Option<String>,
    pub queue_name: Option<String>,
    pub queue_names: Option<Vec<String>>,
    pub maximum_num_jobs: Option<i64>,
    pub maximum_runtime_per_job: Option<String>,
    pub log: Option<RawLog>,
    #[schemars(schema_with = "open_map")]
    pub resources: Option<Value>,
    pub image: Option<RawServiceImage>,
    pub replica_count: Option<i64>,
    pub env: Option<IndexMap<String, RawEnvValue>>,
    pub storage: Option<RawStorage>,
    #[schemars(schema_with = "open_map")]
    pub pod_security_context: Option<Value>,
    // Read by both charts' templates though neither values.yaml declares them.
    pub labels: Option<IndexMap<String, String>>,
    pub pod_labels: Option<IndexMap<String, String>>,
    pub pod_annotations: Option<IndexMap<String, String>>,
    pub priority_class_name: Option<String>,
    // The native Kubernetes chart's keys.
    pub configure_rbac: Option<bool>,
    pub namespace: Option<String>,
    pub kubeconfig_path: Option<String>,
    pub security_context: Option<RawLegacySecurityContext>,
    pub kubernetes_job: Option<RawKubernetesJob>,
    pub debug: Option<RawDebug>,
    #[schemars(schema_with = "open_map")]
    pub affinity: Option<Value>,
    pub node_selector: Option<IndexMap<String, String>>,
    #[schemars(schema_with = "open_list")]
    pub tolerations: Option<Value>,
    #[schemars(schema_with = "open_list")]
    pub extra_env: Option<Value>,
    pub docker_add_host_gateway: Option<bool>,
    #[schemars(schema_with = "open_map")]
    pub container_security_context: Option<Value>,
    /// The old native chart's shared `/data` volume size; no volume unless set.
    pub storage_size: Option<String>,
    // The native chart's Service template reads these, undeclared in its values.yaml.
    pub service_annotations: Option<IndexMap<String, String>>,
    pub service_labels: Option<IndexMap<String, String>>,
    pub service_type: Option<String>,
    /// Ours, not the charts': how long a stopping pod may drain its jobs.
    pub termination_grace_period_seconds: Option<i64>,
    /// Ours, not the charts': the node autoscalers' do-not-evict annotations.
    pub do_not_disrupt: Option<bool>,
    /// Ours, not the charts': a PodDisruptionBudget per executor Deployment.
    pub pod_disruption_budget: Option<RawDisruptionBudget>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawDisruptionBudget {
    pub enabled: Option<bool>,
    pub max_unavailable: Option<i64>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    pub level: Option<String>,
    pub format: Option<String>,
    pub trace: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawServiceImage {
    pub default_tag: Option<String>,
    pub name: Option<String>,
    /// The chart's image helper reads it too: it wins over every default tag.
    pub tag: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStorage {
    #[serde(rename = "type")]
    pub type_: Option<StorageType>,
    pub size: Option<String>,
    pub class: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum StorageType {
    #[serde(rename = "emptyDir")]
    EmptyDir,
    #[serde(rename = "ephemeral")]
    Ephemeral,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawLegacySecurityContext {
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    pub privileged: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawKubernetesJob {
    pub deadline: Option<i64>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    pub resources: Option<RawJobResources>,
    pub node: Option<RawJobNode>,
    pub pod: Option<RawJobPod>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawJobResources {
    pub requests: Option<RawCpuMemory>,
    pub limits: Option<RawCpuMemory>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCpuMemory {
    pub cpu: Option<String>,
    pub memory: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawJobNode {
    pub name: Option<String>,
    pub selector: Option<String>,
    pub tolerations: Option<String>,
    pub required_affinity_match_expressions: Option<String>,
    pub required_affinity_match_fields: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawJobPod {
    pub affinity: Option<String>,
    pub anti_affinity: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawDebug {
    pub keep_jobs: Option<bool>,
    pub keep_workspaces: Option<bool>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawDind {
    pub image: Option<RawRegistryImage>,
    pub command: Option<Vec<String>>,
    #[schemars(schema_with = "open_map")]
    pub daemon_config: Option<Value>,
    #[serde(rename = "gVisor")]
    pub g_visor: Option<RawGVisor>,
    /// Ours, not the chart's: requests and limits for the dind sidecar.
    #[schemars(schema_with = "open_map")]
    pub resources: Option<Value>,
    /// Ours, not the chart's: what one job needs, which the dind sidecar and the scratch
    /// volume are sized by (times `executor.maximumNumJobs`).
    pub resources_per_job: Option<RawPerJob>,
    /// Ours, not the chart's: the size limit of dockerd's `/var/lib/docker` emptyDir.
    pub docker_storage_size: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPerJob {
    pub cpu: Option<String>,
    pub memory: Option<String>,
    pub disk: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRegistryImage {
    pub registry: Option<String>,
    pub repository: Option<String>,
    pub tag: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawGVisor {
    pub enabled: Option<bool>,
    #[schemars(schema_with = "open_map")]
    pub daemon_config: Option<Value>,
    #[schemars(schema_with = "open_map")]
    pub security_context: Option<Value>,
    pub command: Option<Vec<String>>,
    /// Ours, not the chart's: the size limit of the `/var/lib/docker` emptyDir.
    pub storage_size: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RawRegistry {
    pub enabled: Option<bool>,
    pub image: Option<RawRegistryImage>,
    pub storage_size: Option<String>,
    pub env: Option<IndexMap<String, RawEnvValue>>,
    /// Read by the chart's Service template (which then renders invalid YAML).
    pub service_annotations: Option<IndexMap<String, String>>,
    /// Ours, not the chart's: requests and limits for the registry container.
    #[schemars(schema_with = "open_map")]
    pub resources: Option<Value>,
    // Read by the chart's StatefulSet template, undeclared in its values.yaml.
    pub labels: Option<IndexMap<String, String>>,
    pub pod_labels: Option<IndexMap<String, String>>,
    pub pod_annotations: Option<IndexMap<String, String>>,
    pub priority_class_name: Option<String>,
}
