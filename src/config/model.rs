//! The validated config: every default filled, every rule checked, in the form the
//! templates need. Nothing downstream looks at `RawSpec` or re-checks a value.
//!
//! Kubernetes sub-objects (resources, affinity, …) are kept as canonical JSON produced by
//! their `k8s-openapi` types, so templates can place them without knowing their structure.

use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

pub use crate::config::raw::Mode;

/// Images pinned by default: Sourcegraph 6.2.1106 as the upstream Kustomize component pins it.
pub const DEFAULT_IMAGE_REPOSITORY: &str = "index.docker.io/sourcegraph";
pub const DEFAULT_EXECUTOR_TAG: &str =
    "6.2.1106@sha256:1363cce32f2002594cad461380b223670e17de1f4466edee956a3404c7bbd172";
pub const DEFAULT_EXECUTOR_KUBERNETES_TAG: &str =
    "6.2.1106@sha256:6b9967ae0a57ccd54bb85347929692f709f921880e1ee4366f5114d8d6f0b59c";
pub const DEFAULT_DIND_REGISTRY: &str = "index.docker.io";
pub const DEFAULT_DIND_REPOSITORY: &str = "sourcegraph/dind";
pub const DEFAULT_DIND_TAG: &str =
    "6.2.1106@sha256:c64b5efff14ccd82cd6957283b116ef195d374ec911ea7fe56787b93143810fd";
pub const DEFAULT_REGISTRY_REGISTRY: &str = "index.docker.io";
pub const DEFAULT_REGISTRY_REPOSITORY: &str = "registry";
pub const DEFAULT_REGISTRY_TAG: &str =
    "3@sha256:1be55279f18a2fe1a74edf2664cac61c1bea305b7b4642dab412e7affdcb3e33";

/// Where dockerd listens and the executor connects: loopback only, never the pod IP.
pub const DOCKER_HOST: &str = "tcp://127.0.0.1:2375";
/// The registry's port; its objects are named `NAME-registry`, one registry per stack.
pub const REGISTRY_PORT: u16 = 5000;
/// The chart's name for its registry, which a chart's `dind.daemonConfig` may still name.
pub const CHART_REGISTRY_SERVICE: &str = "private-docker-registry";
/// The dind container's variable that holds exactly the registry Service's name, read from
/// the docker ConfigMap's key below; dockerd's mirror flags are built from it, so a
/// consumer's namePrefix, which kustomize carries into that key, renames the mirror too.
pub const MIRROR_ENV: &str = "REGISTRY_MIRROR_SERVICE";
pub const MIRROR_CONFIG_KEY: &str = "sg-executor-gen.registry-service";
/// The native chart's `http-debug` port and its Service. The executor serves nothing there
/// (the last public source starts no debug server; it pushes its metrics to Sourcegraph
/// with each heartbeat), so nothing asks Prometheus to scrape it; the dind chart dropped it.
pub const DEBUG_PORT: u16 = 6060;
/// The executor's health server (`EXECUTOR_HEALTH_SERVER_ADDR`), probed at `/healthz`.
pub const HEALTH_PORT: u16 = 8080;
/// The native chart's shared RBAC: one stack creates them, every other stack reuses them.
pub const SERVICE_ACCOUNT: &str = "sg-executor";
pub const ROLE: &str = "sg-executor-role";
pub const ROLE_BINDING: &str = "sg-executor-role-binding";
/// The queues an executor can pull from.
pub const QUEUES: [&str; 2] = ["batches", "codeintel"];

#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub mode: Mode,
    /// The stack's name: the executor Deployment's, and the prefix of its other objects.
    pub name: String,
    pub namespace: Option<String>,
    pub frontend_url: String,
    pub password: Password,
    /// One Deployment each: the single executor, or one per `queues[]` entry. Not in the
    /// templates' shared context: each worker's render gets its own.
    #[serde(skip)]
    pub workers: Vec<Worker>,
    /// True when the workers come from `queues[]` (the per-queue layer).
    pub per_queue: bool,
    /// Jobs one executor pod runs at once (`EXECUTOR_MAXIMUM_NUM_JOBS`); read it through
    /// `jobs_per_pod`.
    pub max_jobs: u32,
    pub max_runtime: String,
    pub log_level: String,
    pub log_format: String,
    pub log_trace: Option<bool>,
    pub keep_workspaces: Option<bool>,
    pub docker_add_host_gateway: Option<bool>,
    pub executor_image: String,
    pub pull_policy: String,
    pub pod_security_context: Option<Value>,
    pub container_security_context: Option<Value>,
    /// The executor pods: `sourcegraph.*` pod settings with `executor.*` over them.
    pub pods: PodSettings,
    /// Labels on every object: `sourcegraph.labels`, the KRM `metadata.labels`, and
    /// `app.kubernetes.io/name` from `nameOverride`.
    pub labels: Vec<(String, String)>,
    /// Annotations on every object and pod template: the KRM `metadata.annotations`.
    pub annotations: Vec<(String, String)>,
    /// `executor.labels`: on the executor Deployments only, as in the chart.
    pub workload_labels: Vec<(String, String)>,
    pub dind: Option<Dind>,
    pub registry: Option<Registry>,
    pub kubernetes: Option<Kubernetes>,
    pub storage_class: Option<StorageClass>,
    /// The `network-policy` layer: only the metrics port reaches the executor pods.
    pub network_policy: bool,
    /// How executor pods stop without losing a running job.
    pub drain: Drain,
    /// `kubernetesVersion`, as written.
    pub kubernetes_version: String,
    /// The `autoscaling` layer: what every ScaledObject shares; `None` when no worker scales.
    pub autoscaling: Option<Autoscaling>,
    /// The `alerts` layer.
    pub alerts: Option<Alerts>,
}

/// What the ScaledObjects of a stack share (each worker's own part is its `Scaling`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Autoscaling {
    /// The Prometheus the trigger queries (KEDA's operator does, from its own namespace).
    pub server_address: String,
    pub authentication_ref: Option<AuthenticationRef>,
    pub polling_interval: u32,
    /// Seconds from the last demand to zero replicas: never below the job runtime.
    pub cooldown_period: u32,
    /// Jobs per pod (`executor.maximumNumJobs`): one pod per this much demand.
    pub threshold: u32,
    /// The HPA's scale-down: a window and a period of at least the job runtime (capped at
    /// the HPA's maxima, 3600 s and 1800 s), one pod per period.
    pub scale_down_window: u32,
    pub scale_down_period: u32,
}

/// A KEDA `TriggerAuthentication` or `ClusterTriggerAuthentication` the trigger uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuthenticationRef {
    pub name: String,
    pub kind: String,
}

/// One executor Deployment's scaling: its ScaledObject's own fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaling {
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Replicas while the demand cannot be read (Prometheus or the worker down).
    pub fallback_replicas: u32,
    /// Demand: queued plus running jobs of exactly this Deployment's queues.
    pub query: String,
}

/// The `alerts` layer: rules for the executor fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alerts {
    /// The rules as a `PrometheusRule` (Prometheus Operator) instead of a rules file for
    /// the bundled Prometheus' `prometheus` ConfigMap.
    pub prometheus_operator: bool,
}

impl Config {
    /// How many jobs one executor pod runs at once: what its resources are sized for, and
    /// the unit an autoscaler divides the demand by.
    pub fn jobs_per_pod(&self) -> u32 {
        self.max_jobs
    }
}

/// What lets an executor pod finish its jobs when it is stopped (rollout, scale-in, drain).
#[derive(Debug, Clone, Serialize)]
pub struct Drain {
    /// `terminationGracePeriodSeconds` of every executor pod: at least the longest job.
    pub grace_seconds: i64,
    /// The node autoscalers' annotations that keep a running executor's node.
    pub do_not_disrupt: bool,
    /// `maxUnavailable` of a PodDisruptionBudget per executor Deployment, when asked for.
    pub disruption_budget: Option<i64>,
    /// dind runs as a native sidecar (Kubernetes 1.29 and later): an init container with
    /// `restartPolicy: Always`, started before the executor and stopped after it.
    pub native_sidecar: bool,
}
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Password {
    /// An admin-managed Secret holding `EXECUTOR_FRONTEND_PASSWORD`; we only reference it.
    ExistingSecret { name: String },
    /// A literal from the config; rendered into our own Secret and nowhere else.
    Literal { secret_name: String, base64: String },
}

#[derive(Debug, Clone, Serialize)]
pub struct Worker {
    /// The Deployment's name; also the `app` label its selector matches.
    pub name: String,
    /// `EXECUTOR_QUEUE_NAME` or `EXECUTOR_QUEUE_NAMES`.
    pub queue_var: &'static str,
    pub queue_value: String,
    /// `None` when KEDA owns the replica count (`scaling`): an applied count would reset it.
    pub replicas: Option<u32>,
    /// The worker's ScaledObject, when it autoscales.
    pub scaling: Option<Scaling>,
    /// Shared by the workers that do not set their own (a thousand queues, one copy).
    pub resources: Arc<Value>,
    /// Extra environment, sorted by name: `executor.env` with the queue's own on top;
    /// shared like `resources`.
    pub env: Arc<Vec<Value>>,
}

/// Pod-level settings shared by executor and registry pods (`sourcegraph.*`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PodSettings {
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
    pub node_selector: Vec<(String, String)>,
    pub affinity: Option<Value>,
    pub tolerations: Option<Value>,
    pub priority_class_name: Option<String>,
    pub image_pull_secrets: Vec<String>,
}

impl PodSettings {
    /// Whether any scheduling constraint is set (the `scheduling` layer).
    pub fn constrains_scheduling(&self) -> bool {
        !self.node_selector.is_empty()
            || self.affinity.is_some()
            || self.tolerations.is_some()
            || self.priority_class_name.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Dind {
    pub image: String,
    /// dockerd, configured by daemon.json; the gVisor layer replaces it.
    pub command: Vec<String>,
    /// The dind container's args: dockerd's mirror flags (after a `$0` for a `sh -c` script
    /// that needs one), when the stack runs its registry and the command hands them on;
    /// then every mirror is a flag, since dockerd refuses a directive given both as a flag
    /// and in daemon.json. Otherwise the mirrors are in daemon.json.
    pub args: Vec<String>,
    /// The registry Service's name when the mirror flags are built from it, for the docker
    /// ConfigMap's key `MIRROR_CONFIG_KEY`.
    pub registry_service: Option<String>,
    /// The final daemon.json, pretty-printed with sorted keys.
    pub daemon_json: String,
    pub resources: Value,
    pub scratch: Scratch,
    /// The size limit of dockerd's `/var/lib/docker` emptyDir outside gVisor; `None` is
    /// unlimited.
    pub docker_storage_limit: Option<String>,
    /// Set when `dind.gVisor.enabled`: the capabilities that replace `privileged`.
    pub gvisor: Option<GVisor>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GVisor {
    /// Replaces the dind container's command: sets up networking gVisor leaves undone.
    pub command: Vec<String>,
    /// Replaces the dind container's args when the mirror is given as flags: the flags,
    /// after `sh` as a script's `$0` where it needs one; the script passes them on with
    /// `"$@"`.
    pub args: Option<Vec<String>>,
    /// Replaces `privileged: true` with the capabilities gVisor grants inside its sandbox.
    pub security_context: Value,
    /// The `/var/lib/docker` emptyDir's size limit; `None` is unlimited.
    pub storage_size_limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Scratch {
    EmptyDir { size_limit: Option<String> },
    Ephemeral { size: String, class: Option<String> },
}

#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    /// The name of its Deployment, Service and claim: `NAME-registry`.
    pub name: String,
    pub image: String,
    /// The registry pod: `sourcegraph.*` pod settings with `privateDockerRegistry.*` over them.
    pub pods: PodSettings,
    /// `privateDockerRegistry.labels`: on the registry Deployment only, as in the chart.
    pub workload_labels: Vec<(String, String)>,
    pub storage_size: String,
    /// `None`: the cluster's default StorageClass.
    pub storage_class: Option<String>,
    pub env: Vec<Value>,
    pub resources: Value,
    pub service_annotations: Vec<(String, String)>,
}

/// A StorageClass the config asks us to create (`storageClass.create`).
#[derive(Debug, Clone, Serialize)]
pub struct StorageClass {
    pub name: String,
    pub provisioner: String,
    pub parameters: Vec<(String, String)>,
    pub allowed_topologies: Option<Value>,
}

/// Native Kubernetes mode: jobs run as Kubernetes Jobs instead of in dind.
#[derive(Debug, Clone, Serialize)]
pub struct Kubernetes {
    pub configure_rbac: bool,
    /// The metrics Service: `executor.serviceType`, `.serviceLabels`, `.serviceAnnotations`.
    pub service: ServiceSettings,
    /// Where job pods run; defaults to the stack's own namespace.
    pub job_namespace: Option<String>,
    /// `EXECUTOR_KUBERNETES_*` / `KUBERNETES_*` variables, in a fixed order.
    pub settings: Vec<(String, String)>,
    /// The old chart's shared `/data` volume, only when `executor.storageSize` asks for it.
    pub data_volume: Option<DataVolume>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceSettings {
    #[serde(rename = "type")]
    pub type_: String,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DataVolume {
    pub claim_name: String,
    pub size: String,
    pub class: Option<String>,
}
