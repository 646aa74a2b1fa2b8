//! Every default validation applies to a chart key, named once. Validation (`validate/*`)
//! fills a missing key from here, and the key documentation (`docs`), and through it
//! `explain`, the JSON Schema and the key table in `docs/keys.md`, shows the very same value, so a
//! documented default cannot drift from the one the tool uses. The pinned images live in
//! `model`, with the other facts the templates need.

use crate::config::model::DOCKER_HOST;
use serde_json::{json, Value};

/// `metadata.name`: the stack's name, and the prefix of its objects' names.
pub const STACK_NAME: &str = "executor";
/// `sourcegraph.image.pullPolicy`: images are pinned by digest, so pulling again is waste.
pub const PULL_POLICY: &str = "IfNotPresent";
/// `executor.image.name`, per mode.
pub const EXECUTOR_IMAGE_NAME: &str = "executor";
pub const EXECUTOR_KUBERNETES_IMAGE_NAME: &str = "executor-kubernetes";
/// `executor.maximumNumJobs`: what the dind chart really runs (it never renders the key),
/// and the executor's own default.
pub const MAXIMUM_NUM_JOBS: u32 = 1;
/// `dind.resourcesPerJob`: Sourcegraph's sizing guide, per concurrent job.
pub const JOB_CPU: &str = "4";
pub const JOB_MEMORY: &str = "12Gi";
pub const JOB_DISK: &str = "20Gi";
/// `dind.dockerStorageSize`: dockerd's images and job containers, shared by the jobs.
pub const DOCKER_STORAGE_SIZE: &str = "50Gi";
/// What a stopping executor needs after its last job's runtime: reporting, teardown.
pub const DRAIN_MARGIN_SECONDS: i64 = 300;
/// `executor.doNotDisrupt`.
pub const DO_NOT_DISRUPT: bool = true;
/// `executor.podDisruptionBudget.maxUnavailable`, when enabled.
pub const DISRUPTION_BUDGET_MAX_UNAVAILABLE: i64 = 1;
/// `kubernetesVersion`: the oldest minor version EKS, GKE and AKS still support in
/// December 2026 (EKS: 14 months standard plus 12 extended).
pub const KUBERNETES_VERSION: &str = "1.32";
/// The first Kubernetes minor version that runs native sidecars by default.
pub const NATIVE_SIDECAR_MINOR: u32 = 29;

/// `executor.terminationGracePeriodSeconds` for a runtime of `runtime_seconds`.
pub fn grace_seconds(runtime_seconds: i64) -> i64 {
    runtime_seconds.saturating_add(DRAIN_MARGIN_SECONDS)
}

/// Seconds of a Go duration the validation has accepted, rounded up.
pub fn duration_seconds(text: &str) -> i64 {
    crate::k8s::duration::parse(text).map_or(0, |nanos| {
        nanos / 1_000_000_000 + i64::from(nanos % 1_000_000_000 > 0)
    })
}
/// `executor.maximumRuntimePerJob`.
pub const MAXIMUM_RUNTIME_PER_JOB: &str = "30m";
/// `executor.log.level`.
pub const LOG_LEVEL: &str = "warn";
/// `executor.log.format`, per mode (the charts' own defaults).
pub const LOG_FORMAT_DIND: &str = "json";
pub const LOG_FORMAT_KUBERNETES: &str = "condensed";
/// `executor.replicaCount`, and each queue's.
pub const REPLICA_COUNT: u32 = 1;
/// `dind.command`: dockerd, configured by daemon.json.
pub const DIND_COMMAND: &str = "dockerd";
/// `dind.gVisor.storageSize`: gVisor's dockerd keeps images on the vfs driver, a full copy
/// per layer, in an emptyDir on the node's disk; bounded so one executor cannot fill it.
pub const GVISOR_STORAGE_SIZE: &str = "50Gi";
/// `privateDockerRegistry.enabled`.
pub const REGISTRY_ENABLED: bool = true;
/// `privateDockerRegistry.storageSize`.
pub const REGISTRY_STORAGE_SIZE: &str = "10Gi";
/// `networkPolicy.enabled`.
pub const NETWORK_POLICY_ENABLED: bool = true;
/// `executor.configureRbac`.
pub const CONFIGURE_RBAC: bool = true;
/// `executor.kubernetesJob.deadline`, in seconds: the chart's, unless the runtime is longer.
pub const JOB_DEADLINE: i64 = 1200;

/// `executor.kubernetesJob.deadline` for a runtime of `runtime_seconds`.
pub fn job_deadline(runtime_seconds: i64) -> i64 {
    JOB_DEADLINE.max(runtime_seconds)
}
/// `executor.kubernetesJob.fsGroup`.
pub const JOB_FS_GROUP: i64 = 1000;
/// `executor.kubernetesJob.resources.requests.memory` and `.limits.memory`.
pub const JOB_REQUEST_MEMORY: &str = "1Gi";
pub const JOB_LIMIT_MEMORY: &str = "12Gi";
/// `executor.serviceType`.
pub const SERVICE_TYPE: &str = "ClusterIP";
/// `storageClass.provisioner` and `.type`, with `storageClass.create: true`.
pub const STORAGE_CLASS_PROVISIONER: &str = "kubernetes.io/gce-pd";
pub const STORAGE_CLASS_TYPE: &str = "pd-ssd";

/// `executor.resources`.
pub fn executor_resources() -> Value {
    json!({"limits": {"cpu": "1", "memory": "4Gi"}, "requests": {"cpu": "500m", "memory": "200Mi"}})
}

/// `dind.resources` for `jobs` at once: `dind.resourcesPerJob` times the jobs, requested
/// as much as limited so the scheduler places a pod only where its jobs fit.
pub fn dind_resources(jobs: u32, cpu: &str, memory: &str) -> Value {
    let times = |q: &str| crate::k8s::quantity::times(q, jobs).unwrap_or_else(|| q.to_string());
    let each = json!({"cpu": times(cpu), "memory": times(memory)});
    json!({"limits": each, "requests": each})
}

/// `privateDockerRegistry.resources`.
pub fn registry_resources() -> Value {
    json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "256Mi"}})
}

/// `dind.daemonConfig`: what the admin's daemon.json is merged over.
pub fn daemon_config() -> Value {
    json!({"hosts": [DOCKER_HOST], "mtu": 1200, "tls": false})
}

/// `executor.podSecurityContext` in dind mode: without it ephemeral scratch is not writable.
pub fn dind_pod_security_context() -> Value {
    json!({"fsGroup": 101})
}

/// `executor.containerSecurityContext` in native Kubernetes mode (the chart's default).
pub fn kubernetes_container_security_context() -> Value {
    json!({"privileged": false})
}
/// `autoscaling.enabled` and `alerts.enabled`: layers a cluster needs KEDA or Prometheus for.
pub const AUTOSCALING_ENABLED: bool = false;
pub const ALERTS_ENABLED: bool = false;
/// `autoscaling.minReplicaCount`: one pod waits for the first job; 0 scales to zero.
pub const AUTOSCALING_MIN_REPLICAS: u32 = 1;
/// `autoscaling.maxReplicaCount`.
pub const AUTOSCALING_MAX_REPLICAS: u32 = 10;
/// `autoscaling.pollingInterval`, in seconds (KEDA's own default).
pub const AUTOSCALING_POLLING_INTERVAL: u32 = 30;
/// The least `autoscaling.cooldownPeriod`, in seconds (KEDA's own default); never below
/// `executor.maximumRuntimePerJob`.
pub const AUTOSCALING_MIN_COOLDOWN: u32 = 300;
/// The bundled Prometheus' port, in `http://prometheus.NAMESPACE.svc.cluster.local:PORT`.
pub const PROMETHEUS_PORT: u16 = 30090;
/// `autoscaling.query`: demand = queued + running jobs of one Deployment's queues.
/// `${queues}` becomes its queues as a regex (`batches|codeintel`), `${label}` the label
/// its executors report under (the names sorted, joined by `_`). The queued part is the
/// worker's gauge (one series per queue, deduplicated over worker replicas): when it is
/// missing the whole query is empty, which KEDA (`ignoreNullValues: "false"`) reads as an
/// error, not as no work. The running part is 0 when no executor reports (scaled to zero).
pub const DEMAND_QUERY: &str = r#"sum(max by (queue) (src_executor_total{queue=~"${queues}"})) + (sum(max by (sg_instance) (src_executor_processor_handlers{queue="${label}"})) or vector(0))"#;
