//! The rows of the chart-key table, in `docs/keys.md`'s order. Each key's default is built from
//! `config::defaults` or the pinned images in `config::model`, the values validation uses;
//! `becomes` says where the key ends up, and `tests/key_defaults.rs` renders each default to
//! check that it really does.

use super::Becomes::{Env, Field, Layer, PartOf};
use super::Default::{ByMode, Dind, Kubernetes, Value as Same, Words};
use super::{key, place, Chart, Row};
use crate::config::defaults as d;
use crate::config::model as m;
use serde_json::json;

pub static ROWS: &[Row] = &[
    Row {
        keys: &[key("mode")],
        chart: Chart::Ours,
        what: "`dind` or `kubernetes`; also `--mode`. Without either, the chart whose own keys the file uses: a k8s chart override renders native executors (`executor.debug.*`, `executor.log.trace`, `executor.dockerAddHostGateway` count too, with a warning); a file with only the keys both charts share renders dind mode with a warning saying so",
        differs: "keys of both charts in one file without a mode are an error naming one of each, not silently ignored",
    },
    Row {
        keys: &[key("nameOverride")],
        chart: Chart::Both,
        what: "the `app.kubernetes.io/name` label on every object",
        differs: "the charts also put it into their selectors; ours stay fixed, since a selector cannot change",
    },
    Row {
        keys: &[
            key("sourcegraph.image.repository")
                .default(Same(|| json!(m::DEFAULT_IMAGE_REPOSITORY)))
                .becomes(PartOf(place("Deployment", "NAME", "spec/template/spec/containers[executor]/image"))),
            key("sourcegraph.image.defaultTag"),
            key("sourcegraph.image.useGlobalTagAsDefault")
                .default(Same(|| json!(false))),
        ],
        chart: Chart::Both,
        what: "executor image `REPOSITORY/NAME:TAG`",
        differs: "our default tag (`executor.image.defaultTag`) is the Kustomize component's, 6.2.1106 pinned by digest; the charts pin 6.0.0. `useGlobalTagAsDefault: true` without a `defaultTag` would run the chart's own version (5.11.0) there and here runs our pin, with a warning; a `defaultTag` without it is ignored, as in the charts, with a warning",
    },
    Row {
        keys: &[
            key("sourcegraph.image.pullPolicy")
                .default(Same(|| json!(d::PULL_POLICY)))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/containers[executor]/imagePullPolicy"))),
        ],
        chart: Chart::Both,
        what: "every container's pull policy",
        differs: "checked against `Always`, `IfNotPresent`, `Never`",
    },
    Row {
        keys: &[
            key("sourcegraph.imagePullSecrets"),
            key("sourcegraph.imagePullSecrets[].name"),
        ],
        chart: Chart::Both,
        what: "on every pod",
        differs: "",
    },
    Row {
        keys: &[key("sourcegraph.labels")],
        chart: Chart::Dind,
        what: "on every object, with the KRM `metadata.labels`",
        differs: "the dind chart puts them on its two workloads only, the k8s chart nowhere; a label the tool sets itself (`deploy`, `app.kubernetes.io/instance`, …) is refused instead of silently dropped",
    },
    Row {
        keys: &[
            key("sourcegraph.podLabels"),
            key("sourcegraph.podAnnotations"),
        ],
        chart: Chart::Both,
        what: "on every pod; a workload's own `podLabels`/`podAnnotations` add to them and win",
        differs: "a selector label or `deploy` is refused; so is an annotation key YAML reads as a number or boolean (`kubectl kustomize` cannot build it)",
    },
    Row {
        keys: &[
            key("sourcegraph.nodeSelector"),
            key("sourcegraph.affinity"),
            key("sourcegraph.tolerations"),
        ],
        chart: Chart::Dind,
        what: "the `scheduling` layer, on every pod (in k8s mode `executor.*` wins)",
        differs: "the k8s chart declares them but never reads them; we apply them",
    },
    Row {
        keys: &[key("sourcegraph.priorityClassName")],
        chart: Chart::Both,
        what: "every pod's priority class, unless its workload sets its own",
        differs: "",
    },
    Row {
        keys: &[key("sourcegraph.nameOverride")],
        chart: Chart::Declared,
        what: "no effect (warning)",
        differs: "both charts declare it but read the top-level `nameOverride`",
    },
    Row {
        keys: &[
            key("sourcegraph.localDevMode")
                .default(Kubernetes(|| json!(false))),
        ],
        chart: Chart::K8s,
        what: "drops the executor's resources",
        differs: "",
    },
    Row {
        keys: &[key("storageClass.name")],
        chart: Chart::Dind,
        what: "the class of the registry's claim (and of the k8s `/data` claim), only when set",
        differs: "the chart asks for a class named `sourcegraph`, which usually does not exist, so its claim stays Pending: we use the cluster's default class, and warn when a claim asks for `sourcegraph` and nothing creates it (in kubernetes mode the main chart of a shared override may)",
    },
    Row {
        keys: &[
            key("storageClass.create")
                .default(Same(|| json!(false))),
            key("storageClass.provisioner")
                .default(Dind(|| json!(d::STORAGE_CLASS_PROVISIONER)))
                .becomes(Field(super::Place { kind: "StorageClass", name: None, path: "provisioner" }))
                .when("{storageClass: {create: true, name: fast}}"),
            key("storageClass.type")
                .default(Dind(|| json!(d::STORAGE_CLASS_TYPE)))
                .becomes(Field(super::Place { kind: "StorageClass", name: None, path: "parameters/type" }))
                .when("{storageClass: {create: true, name: fast}}"),
            key("storageClass.parameters"),
            key("storageClass.allowedTopologies"),
        ],
        chart: Chart::Declared,
        what: "with `create: true`, a StorageClass of that name",
        differs: "the dind chart declares these but renders nothing; in kubernetes mode they are ignored with a warning, as the native chart has none (in an override shared with the main chart they are that chart's, whose release owns the class)",
    },
    Row {
        keys: &[
            key("queues"),
            key("queues[].name"),
            key("queues[].queueName"),
            key("queues[].queueNames"),
            key("queues[].replicaCount")
                .default(Words("`executor.replicaCount`")),
            key("queues[].resources")
                .default(Words("`executor.resources`")),
            key("queues[].env"),
        ],
        chart: Chart::Dind,
        what: "the `per-queue` layer: one Deployment `NAME-<name>` per entry (the single one is not rendered); `queueNames` over `queueName` over the entry's name; env merged over `executor.env` (the entry wins)",
        differs: "the chart names them `executor-<name>` and falls back to `executor.*` even for an explicit `replicaCount: 0` or `resources: {}`, which we take as written",
    },
    Row {
        keys: &[
            key("executor.frontendUrl")
                .becomes(Env("EXECUTOR_FRONTEND_URL")),
        ],
        chart: Chart::Both,
        what: "`EXECUTOR_FRONTEND_URL`",
        differs: "required, with a scheme; credentials (`user:pass@`) are refused, since they would land in a ConfigMap; an in-cluster URL without a port warns (the frontend Service listens on 30080; upstream Helm PR #897)",
    },
    Row {
        keys: &[key("executor.frontendExistingSecret")],
        chart: Chart::Both,
        what: "the Secret whose `EXECUTOR_FRONTEND_PASSWORD` key the executor reads; in kubernetes mode every key of it becomes a variable (`envFrom`), as in the k8s chart",
        differs: "the k8s chart ignores the name and reads a Secret `executor-<queue>`",
    },
    Row {
        keys: &[key("executor.frontendPassword")],
        chart: Chart::Both,
        what: "rendered into a Secret `NAME-secret`; warns that the file holds a password",
        differs: "the dind chart puts it in plain text in the pod spec",
    },
    Row {
        keys: &[
            key("executor.queueName")
                .becomes(Env("EXECUTOR_QUEUE_NAME")),
            key("executor.queueNames")
                .becomes(Env("EXECUTOR_QUEUE_NAMES")),
        ],
        chart: Chart::Both,
        what: "`EXECUTOR_QUEUE_NAME` / `EXECUTOR_QUEUE_NAMES`, exactly one",
        differs: "none or both is an error, and only `batches`, `codeintel` are accepted; the charts render an empty name (and the k8s chart both variables)",
    },
    Row {
        keys: &[
            key("executor.maximumNumJobs")
                .default(Same(|| json!(d::MAXIMUM_NUM_JOBS)))
                .becomes(Env("EXECUTOR_MAXIMUM_NUM_JOBS")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_MAXIMUM_NUM_JOBS`: the jobs one executor pod runs at once, which its dind sidecar and scratch volume are sized for (`dind.resourcesPerJob` times this) and an autoscaler divides the demand by",
        differs: "unset, 1, which is what every dind chart install runs: the chart documents 10 but never renders it (and refuses it in `executor.env`); set it and the pod is sized for it",
    },
    Row {
        keys: &[
            key("executor.maximumRuntimePerJob")
                .default(Same(|| json!(d::MAXIMUM_RUNTIME_PER_JOB)))
                .becomes(Env("EXECUTOR_MAXIMUM_RUNTIME_PER_JOB")),
        ],
        chart: Chart::Both,
        what: "`EXECUTOR_MAXIMUM_RUNTIME_PER_JOB`; also how long a stopping pod may drain (`executor.terminationGracePeriodSeconds`) and, in native mode, the job pods' deadline",
        differs: "checked as Go's `time.ParseDuration` reads it: positive, at most `2562047h47m16.854775807s`",
    },
    Row {
        keys: &[
            key("executor.terminationGracePeriodSeconds")
                .default(Same(|| json!(d::grace_seconds(d::duration_seconds(d::MAXIMUM_RUNTIME_PER_JOB)))))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/terminationGracePeriodSeconds"))),
        ],
        chart: Chart::Ours,
        what: "how long a stopping executor pod may finish its jobs (rollout, scale-in, node drain): on SIGTERM the executor stops dequeuing and waits for its running jobs, with no timeout of its own. The default is `maximumRuntimePerJob` plus 300 s for reporting and teardown; rollouts keep every old pod until its replacement is ready (`maxUnavailable: 0`)",
        differs: "the charts leave Kubernetes' 30 s, after which running jobs are killed and requeued (or fail after three resets); shorter than `maximumRuntimePerJob` is an error",
    },
    Row {
        keys: &[
            key("executor.doNotDisrupt")
                .default(Same(|| json!(d::DO_NOT_DISRUPT))),
        ],
        chart: Chart::Ours,
        what: "the pod annotations `cluster-autoscaler.kubernetes.io/safe-to-evict: \"false\"` and `karpenter.sh/do-not-disrupt: \"true\"`: node autoscalers do not remove a node an executor runs on. Trade-off: an idle executor holds its node as much as a busy one, so scale the executors in (replicas, an autoscaler) to free nodes",
        differs: "the charts set neither",
    },
    Row {
        keys: &[
            key("executor.podDisruptionBudget.enabled")
                .default(Same(|| json!(false)))
                .becomes(Layer("disruption-budget")),
            key("executor.podDisruptionBudget.maxUnavailable")
                .default(Same(|| json!(d::DISRUPTION_BUDGET_MAX_UNAVAILABLE))),
        ],
        chart: Chart::Ours,
        what: "the `disruption-budget` layer: a PodDisruptionBudget per executor Deployment, so a node drain evicts at most `maxUnavailable` of its pods at a time (each still gets its grace period). `0` blocks every voluntary eviction: a drain or a managed node upgrade then waits until you scale the executors in, idle ones included",
        differs: "the charts have none",
    },
    Row {
        keys: &[
            key("kubernetesVersion")
                .default(Same(|| json!(d::KUBERNETES_VERSION))),
        ],
        chart: Chart::Ours,
        what: "the oldest Kubernetes minor version the output runs on. From 1.29 dind is a native sidecar (an init container with `restartPolicy: Always` and a startup probe on the Docker API): the executor starts once dockerd answers, and dockerd stops only after the executor has drained its jobs. Below 1.29 dind is a regular container with a `preStop` hook that holds dockerd while the executor answers or job containers run, bounded by the grace period (a warning says so)",
        differs: "the default is the oldest version EKS, GKE and AKS still support (December 2026); the charts run dind as a regular container, stopped with the executor",
    },
    Row {
        keys: &[
            key("executor.log.level")
                .default(Same(|| json!(d::LOG_LEVEL)))
                .becomes(Env("SRC_LOG_LEVEL")),
            key("executor.log.format")
                .default(ByMode { dind: || json!(d::LOG_FORMAT_DIND), kubernetes: || json!(d::LOG_FORMAT_KUBERNETES) })
                .becomes(Env("SRC_LOG_FORMAT")),
            key("executor.log.trace")
                .becomes(Env("SRC_TRACE_LOG")),
        ],
        chart: Chart::Both,
        what: "`SRC_LOG_LEVEL`, `SRC_LOG_FORMAT`, `SRC_TRACE_LOG` (`trace`: k8s chart)",
        differs: "checked against what the executor's logging library (sourcegraph/log) reads: levels `debug`, `info`, `warn`, `error`, `none` and the charts' `dbug`, `eror`, `crit`; formats `json`, `json_gcp`, `console`, `condensed`, `logfmt`; anything else it would silently read as `warn` or `json`",
    },
    Row {
        keys: &[
            key("executor.resources")
                .default(Same(d::executor_resources))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/containers[executor]/resources"))),
        ],
        chart: Chart::Both,
        what: "executor container resources",
        differs: "the dind chart has none; no limits warns",
    },
    Row {
        keys: &[
            key("executor.image.name")
                .default(ByMode { dind: || json!(d::EXECUTOR_IMAGE_NAME), kubernetes: || json!(d::EXECUTOR_KUBERNETES_IMAGE_NAME) })
                .becomes(PartOf(place("Deployment", "NAME", "spec/template/spec/containers[executor]/image"))),
            key("executor.image.defaultTag")
                .default(ByMode { dind: || json!(m::DEFAULT_EXECUTOR_TAG), kubernetes: || json!(m::DEFAULT_EXECUTOR_KUBERNETES_TAG) })
                .becomes(PartOf(place("Deployment", "NAME", "spec/template/spec/containers[executor]/image"))),
            key("executor.image.tag"),
        ],
        chart: Chart::Both,
        what: "executor image",
        differs: "`tag` is read by both templates, declared by neither",
    },
    Row {
        keys: &[
            key("executor.replicaCount")
                .default(Same(|| json!(d::REPLICA_COUNT)))
                .becomes(Field(place("Deployment", "NAME", "spec/replicas"))),
        ],
        chart: Chart::Dind,
        what: "replicas (dind), and each queue's default; k8s mode must stay 1",
        differs: "negative is an error",
    },
    Row {
        keys: &[key("executor.env")],
        chart: Chart::Dind,
        what: "extra variables `{NAME: {value}}` or `{NAME: {valueFrom}}`, sorted by name; `EXECUTOR_JOB_NUM_CPUS` and `EXECUTOR_JOB_MEMORY` set here bound each job (see docs/output.md, \"What you get (dind mode)\")",
        differs: "a variable the tool manages is refused, naming the key to use (the chart refuses ten and renders the others twice); a literal value for a `*PASSWORD*`, `*TOKEN*` or `*SECRET*` variable warns and shows the `valueFrom` form",
    },
    Row {
        keys: &[
            key("executor.storage.type")
                .default(Dind(|| json!("emptyDir"))),
            key("executor.storage.size")
                .default(Dind(|| json!(d::JOB_DISK)))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/volumes[executor-scratch]/emptyDir/sizeLimit"))),
            key("executor.storage.class"),
        ],
        chart: Chart::Dind,
        what: "`/scratch`: an emptyDir (`sizeLimit` from `size`) or, with `ephemeral`, the `ephemeral-scratch` layer's per-pod claim (`size` required, no class means the cluster default)",
        differs: r#"an emptyDir is limited by default to `dind.resourcesPerJob.disk` times `executor.maximumNumJobs` (20Gi for one job) where the chart leaves it unlimited; a size below that warns; `size: ""` is unlimited and warns"#,
    },
    Row {
        keys: &[
            key("executor.podSecurityContext")
                .default(Dind(d::dind_pod_security_context))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/securityContext"))),
        ],
        chart: Chart::Both,
        what: "pod security context (dind mode's default `fsGroup` makes ephemeral scratch writable)",
        differs: "`{}` removes it",
    },
    Row {
        keys: &[key("executor.labels")],
        chart: Chart::Both,
        what: "on the executor Deployments",
        differs: "",
    },
    Row {
        keys: &[
            key("executor.podLabels"),
            key("executor.podAnnotations"),
        ],
        chart: Chart::Both,
        what: "on the executor pods, over `sourcegraph.*`",
        differs: "as for `sourcegraph.podLabels`",
    },
    Row {
        keys: &[key("executor.priorityClassName")],
        chart: Chart::Both,
        what: "the executor pods' priority class, over `sourcegraph.priorityClassName`",
        differs: "",
    },
    Row {
        keys: &[
            key("dind.image.registry")
                .default(Dind(|| json!(m::DEFAULT_DIND_REGISTRY)))
                .becomes(PartOf(place("Deployment", "NAME", "spec/template/spec/initContainers[dind]/image"))),
            key("dind.image.repository")
                .default(Dind(|| json!(m::DEFAULT_DIND_REPOSITORY)))
                .becomes(PartOf(place("Deployment", "NAME", "spec/template/spec/initContainers[dind]/image"))),
            key("dind.image.tag")
                .default(Dind(|| json!(m::DEFAULT_DIND_TAG)))
                .becomes(PartOf(place("Deployment", "NAME", "spec/template/spec/initContainers[dind]/image"))),
        ],
        chart: Chart::Dind,
        what: "dind image",
        differs: "the default is the Kustomize component's pin, not the chart's `docker:29.5.3-dind`; a `tag` without `repository` warns",
    },
    Row {
        keys: &[
            key("dind.command")
                .default(Dind(|| json!([d::DIND_COMMAND])))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/initContainers[dind]/command"))),
        ],
        chart: Chart::Dind,
        what: "dind command, read as dockerd reads its flags and as `sh -c` hands a script its arguments (the first after the script is its `$0`); any form gets the registry mirror (see docs/output.md, \"The registry mirror\")",
        differs: "a host flag (`-H`, `-DH`, `--host=…`) or `--config-file` is refused in any argument and any word of a `sh -c` script, whatever precedes it (a `--`, `$0`'s place), and so is a script that names `/etc/docker` or `daemon.json`: dockerd listens only where the checked daemon.json says; a flag for a setting daemon.json also has is refused, since dockerd would not start; what a script can still do: see docs/security.md, \"What a dind command script can still do\"",
    },
    Row {
        keys: &[
            key("dind.daemonConfig")
                .default(Dind(d::daemon_config))
                .becomes(Field(place("ConfigMap", "NAME-docker-config", "data/daemon.json"))),
        ],
        chart: Chart::Dind,
        what: "merged over the default as Helm merges maps (`null` removes a key) into `daemon.json`, checked as dockerd 25 to 29 read it: a directive none of them knows, a value of the wrong type, a mirror or insecure registry that is not one, a label that is not `key=value` stop the render with dockerd's reason; the stack's registry is the first mirror, as dockerd's flags when the command hands them on, else in daemon.json",
        differs: "a host off loopback is an error (other pods would get the Docker API); the registry mirror is added only when the registry is deployed, where the chart always points at it; the chart's `private-docker-registry` names ours, and warns when the registry is off",
    },
    Row {
        keys: &[
            key("dind.resources")
                .default(Dind(|| d::dind_resources(d::MAXIMUM_NUM_JOBS, d::JOB_CPU, d::JOB_MEMORY)))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/initContainers[dind]/resources"))),
        ],
        chart: Chart::Ours,
        what: "dind container resources, where every job's containers run: by default requests and limits of `dind.resourcesPerJob` times `executor.maximumNumJobs`",
        differs: "the chart has none; set explicitly they win, with a warning when their limits cannot hold the jobs",
    },
    Row {
        keys: &[
            key("dind.resourcesPerJob.cpu")
                .default(Dind(|| json!(d::JOB_CPU))),
            key("dind.resourcesPerJob.memory")
                .default(Dind(|| json!(d::JOB_MEMORY))),
            key("dind.resourcesPerJob.disk")
                .default(Dind(|| json!(d::JOB_DISK))),
        ],
        chart: Chart::Ours,
        what: "what one job needs (Sourcegraph's sizing guide: about 4 CPU, 12 GB memory, 20 GB disk): the dind sidecar's requests and limits and the scratch volume's size limit are this times `executor.maximumNumJobs`",
        differs: "the charts size the pod for one job whatever the jobs",
    },
    Row {
        keys: &[
            key("dind.dockerStorageSize")
                .default(Dind(|| json!(d::DOCKER_STORAGE_SIZE)))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/volumes[docker]/emptyDir/sizeLimit"))),
        ],
        chart: Chart::Ours,
        what: "the size limit of the emptyDir at dockerd's `/var/lib/docker` (images and job containers, shared by the jobs); under gVisor `dind.gVisor.storageSize` sets it instead",
        differs: r#"the chart keeps it in the container's writable layer, on the node's disk outside any limit; below one job's disk it warns, `""` is unlimited and warns"#,
    },
    Row {
        keys: &[
            key("dind.gVisor.enabled")
                .default(Dind(|| json!(false)))
                .becomes(Layer("gvisor")),
            key("dind.gVisor.daemonConfig"),
            key("dind.gVisor.securityContext"),
            key("dind.gVisor.command"),
        ],
        chart: Chart::Dind,
        what: "the `gvisor` layer: `runtimeClassName: gvisor`, the capabilities instead of `privileged`, the gVisor command, the daemon.json merge (vfs, no iptables), a `/var/lib/docker` volume",
        differs: "`.command` is checked like `dind.command`; the chart's, which runs `exec dockerd` without `\"$@\"`, gets the mirror in daemon.json",
    },
    Row {
        keys: &[
            key("dind.gVisor.storageSize")
                .default(Dind(|| json!(d::GVISOR_STORAGE_SIZE)))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/volumes[docker]/emptyDir/sizeLimit")))
                .when("{dind: {gVisor: {enabled: true}}}"),
        ],
        chart: Chart::Ours,
        what: "the size limit of gVisor's `/var/lib/docker` emptyDir",
        differs: r#"the chart's is unlimited, and vfs keeps a full copy of every layer; `""` is unlimited and warns"#,
    },
    Row {
        keys: &[
            key("privateDockerRegistry.enabled")
                .default(Dind(|| json!(d::REGISTRY_ENABLED)))
                .becomes(Layer("private-registry")),
        ],
        chart: Chart::Dind,
        what: "the `private-registry` layer: Deployment, Service on 5000, claim",
        differs: "the chart runs a StatefulSet with an unpinned `registry:3`",
    },
    Row {
        keys: &[
            key("privateDockerRegistry.image.registry")
                .default(Dind(|| json!(m::DEFAULT_REGISTRY_REGISTRY)))
                .becomes(PartOf(place("Deployment", "NAME-registry", "spec/template/spec/containers[private-docker-registry]/image"))),
            key("privateDockerRegistry.image.repository")
                .default(Dind(|| json!(m::DEFAULT_REGISTRY_REPOSITORY)))
                .becomes(PartOf(place("Deployment", "NAME-registry", "spec/template/spec/containers[private-docker-registry]/image"))),
            key("privateDockerRegistry.image.tag")
                .default(Dind(|| json!(m::DEFAULT_REGISTRY_TAG)))
                .becomes(PartOf(place("Deployment", "NAME-registry", "spec/template/spec/containers[private-docker-registry]/image"))),
        ],
        chart: Chart::Dind,
        what: "registry image, pinned by digest by default",
        differs: "",
    },
    Row {
        keys: &[
            key("privateDockerRegistry.storageSize")
                .default(Dind(|| json!(d::REGISTRY_STORAGE_SIZE)))
                .becomes(Field(place("PersistentVolumeClaim", "NAME-registry", "spec/resources/requests/storage"))),
        ],
        chart: Chart::Dind,
        what: "the claim's size",
        differs: "",
    },
    Row {
        keys: &[key("privateDockerRegistry.env")],
        chart: Chart::Dind,
        what: "registry environment (`valueFrom` for proxy credentials)",
        differs: "a literal secret warns",
    },
    Row {
        keys: &[key("privateDockerRegistry.serviceAnnotations")],
        chart: Chart::Dind,
        what: "annotations on the registry Service",
        differs: "the chart's template indents them wrongly and renders invalid YAML",
    },
    Row {
        keys: &[
            key("privateDockerRegistry.labels"),
            key("privateDockerRegistry.podLabels"),
            key("privateDockerRegistry.podAnnotations"),
            key("privateDockerRegistry.priorityClassName"),
        ],
        chart: Chart::Dind,
        what: "on the registry Deployment, on its pod (over `sourcegraph.*`), its priority class",
        differs: "",
    },
    Row {
        keys: &[
            key("privateDockerRegistry.resources")
                .default(Dind(d::registry_resources))
                .becomes(Field(place("Deployment", "NAME-registry", "spec/template/spec/containers[private-docker-registry]/resources"))),
        ],
        chart: Chart::Ours,
        what: "registry resources",
        differs: "",
    },
    Row {
        keys: &[
            key("networkPolicy.enabled")
                .default(Same(|| json!(d::NETWORK_POLICY_ENABLED)))
                .becomes(Layer("network-policy")),
        ],
        chart: Chart::Ours,
        what: "the `network-policy` layer: a NetworkPolicy that admits no other pod to the stack's executor pods, which serve nothing to them (they push their metrics to Sourcegraph with each heartbeat), so even a dockerd that listens off loopback is unreachable (the node, and so the kubelet's probes, is always admitted)",
        differs: "the charts have none",
    },
    Row {
        keys: &[
            key("autoscaling.enabled")
                .default(Same(|| json!(d::AUTOSCALING_ENABLED)))
                .becomes(Layer("autoscaling")),
            key("queues[].autoscaling.enabled")
                .default(Words("`autoscaling.enabled`")),
        ],
        chart: Chart::Ours,
        what: "the `autoscaling` layer (dind mode; needs KEDA and a Prometheus that scrapes Sourcegraph's worker): one KEDA ScaledObject per executor Deployment, on its queues' demand (queued + running jobs), one pod per `executor.maximumNumJobs` jobs; the Deployment then carries no `replicas`, and a `replicaCount` beside it is refused. A queue entry can opt in or out",
        differs: "the charts never scale executors; native mode refuses it (its one controller must not be scaled: scale the nodes)",
    },
    Row {
        keys: &[
            key("autoscaling.minReplicaCount")
                .default(Words("1; 0 scales to zero (the first job then waits for a pod to start)")),
            key("autoscaling.maxReplicaCount")
                .default(Words("10")),
            key("autoscaling.fallbackReplicaCount")
                .default(Words("max(minReplicaCount, 1)")),
            key("queues[].autoscaling.minReplicaCount")
                .default(Words("`autoscaling.minReplicaCount`")),
            key("queues[].autoscaling.maxReplicaCount")
                .default(Words("`autoscaling.maxReplicaCount`")),
            key("queues[].autoscaling.fallbackReplicaCount")
                .default(Words("`autoscaling.fallbackReplicaCount`")),
        ],
        chart: Chart::Ours,
        what: "each ScaledObject's `minReplicaCount` (0: scale to zero), `maxReplicaCount`, and `fallback.replicas`, which KEDA holds while the demand cannot be read (Prometheus or the worker down: an empty result is an error, never \"no work\"), at least 1",
        differs: "",
    },
    Row {
        keys: &[
            key("autoscaling.pollingInterval")
                .default(Words("30 (seconds)")),
            key("autoscaling.cooldownPeriod")
                .default(Words("`executor.maximumRuntimePerJob` in seconds, at least 300")),
        ],
        chart: Chart::Ours,
        what: "how often KEDA reads the demand, and how long after the last demand it scales to zero; a cooldown shorter than a job may run is refused. Scale-down is one pod per job runtime, after a window of one job runtime (capped at the HPA's 1800 s and 3600 s)",
        differs: "",
    },
    Row {
        keys: &[
            key("autoscaling.serverAddress")
                .default(Words("`http://prometheus.NAMESPACE.svc.cluster.local:30090`, the bundled Prometheus in the namespace `executor.frontendUrl` names (`NAME.NAMESPACE.svc…`); without one, required")),
            key("autoscaling.authenticationRef.name"),
            key("autoscaling.authenticationRef.kind")
                .default(Words("`TriggerAuthentication`")),
        ],
        chart: Chart::Ours,
        what: "the Prometheus KEDA's operator queries (from its own namespace, so the address names Prometheus' namespace, Sourcegraph's, and does not follow the executors' namespace), and the KEDA TriggerAuthentication (or ClusterTriggerAuthentication) with its credentials",
        differs: "",
    },
    Row {
        keys: &[
            key("autoscaling.query")
                .default(Words("queued + running: `sum(max by (queue) (src_executor_total{queue=~\"${queues}\"})) + (sum(max by (sg_instance) (src_executor_processor_handlers{queue=\"${label}\"})) or vector(0))`")),
            key("queues[].autoscaling.query")
                .default(Words("`autoscaling.query`")),
        ],
        chart: Chart::Ours,
        what: "the demand query; `${queues}` becomes the Deployment's queues as a regex (`batches|codeintel`), `${label}` the label its executors report under (the names sorted, joined by `_`). It must return nothing, not 0, when the worker's series is missing",
        differs: "",
    },
    Row {
        keys: &[
            key("alerts.enabled")
                .default(Same(|| json!(d::ALERTS_ENABLED)))
                .becomes(Layer("alerts")),
            key("alerts.prometheusOperator")
                .default(Words("false: a ConfigMap with `executors_rules.yml` for the bundled Prometheus")),
        ],
        chart: Chart::Ours,
        what: "the `alerts` layer: rules for the executor fleet (a queue with work and no executor, jobs waiting, errors, pods not ready, dind OOM-killed, KEDA scaler errors), routed by `level`; as a rules file to merge into the bundled Prometheus' `prometheus` ConfigMap, or as a PrometheusRule",
        differs: "the charts have none",
    },
    Row {
        keys: &[
            key("executor.configureRbac")
                .default(Kubernetes(|| json!(d::CONFIGURE_RBAC))),
        ],
        chart: Chart::K8s,
        what: "the ServiceAccount `sg-executor`, Role `sg-executor-role` and RoleBinding `sg-executor-role-binding`, the chart's shared names; the pod always runs as `sg-executor`",
        differs: "`false` warns that they must exist: one stack per namespace keeps `true` and creates them, every other stack reuses them",
    },
    Row {
        keys: &[
            key("executor.namespace")
                .default(Words("the executor's own namespace, through the downward API (kubernetes mode)"))
                .becomes(Env("EXECUTOR_KUBERNETES_NAMESPACE")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_KUBERNETES_NAMESPACE`",
        differs: "the chart's default is the namespace `default`",
    },
    Row {
        keys: &[
            key("executor.kubeconfigPath")
                .becomes(Env("EXECUTOR_KUBERNETES_CONFIG_PATH")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_KUBERNETES_CONFIG_PATH`, only when set",
        differs: "the chart writes it empty",
    },
    Row {
        keys: &[
            key("executor.kubernetesJob.deadline")
                .default(Kubernetes(|| json!(d::job_deadline(d::duration_seconds(d::MAXIMUM_RUNTIME_PER_JOB)))))
                .becomes(Env("KUBERNETES_JOB_DEADLINE")),
            key("executor.kubernetesJob.runAsUser")
                .becomes(Env("KUBERNETES_RUN_AS_USER")),
            key("executor.kubernetesJob.runAsGroup")
                .becomes(Env("KUBERNETES_RUN_AS_GROUP")),
            key("executor.kubernetesJob.fsGroup")
                .default(Kubernetes(|| json!(d::JOB_FS_GROUP)))
                .becomes(Env("KUBERNETES_FS_GROUP")),
        ],
        chart: Chart::K8s,
        what: "`KUBERNETES_JOB_DEADLINE`, `KUBERNETES_RUN_AS_USER`, `KUBERNETES_RUN_AS_GROUP`, `KUBERNETES_FS_GROUP`",
        differs: "`runAsUser` and `runAsGroup` are written only when set: the chart writes an empty `KUBERNETES_RUN_AS_USER`, which fails the executor's config check. Without `deadline`, the longer of the chart's 1200 s and `maximumRuntimePerJob` (the chart's 1200 s would stop a 30m job at 20 minutes); a deadline shorter than the runtime warns",
    },
    Row {
        keys: &[
            key("executor.kubernetesJob.resources.requests.cpu")
                .becomes(Env("EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU")),
            key("executor.kubernetesJob.resources.requests.memory")
                .default(Kubernetes(|| json!(d::JOB_REQUEST_MEMORY)))
                .becomes(Env("EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU`, `_MEMORY`",
        differs: "checked as quantities",
    },
    Row {
        keys: &[
            key("executor.kubernetesJob.resources.limits.cpu")
                .becomes(Env("EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU")),
            key("executor.kubernetesJob.resources.limits.memory")
                .default(Kubernetes(|| json!(d::JOB_LIMIT_MEMORY)))
                .becomes(Env("EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU`, `_MEMORY`",
        differs: "checked as quantities",
    },
    Row {
        keys: &[
            key("executor.kubernetesJob.node.name")
                .becomes(Env("EXECUTOR_KUBERNETES_NODE_NAME")),
            key("executor.kubernetesJob.node.selector")
                .becomes(Env("EXECUTOR_KUBERNETES_NODE_SELECTOR")),
            key("executor.kubernetesJob.node.tolerations")
                .becomes(Env("EXECUTOR_KUBERNETES_NODE_TOLERATIONS")),
            key("executor.kubernetesJob.node.requiredAffinityMatchExpressions")
                .becomes(Env("EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS")),
            key("executor.kubernetesJob.node.requiredAffinityMatchFields")
                .becomes(Env("EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_KUBERNETES_NODE_*`",
        differs: "JSON values are checked against their Kubernetes types; the chart's own escaped form (`[{\\\"key\\\":…}]`, as its values.yaml documents it) is read as its template reads it, into the JSON the executor gets",
    },
    Row {
        keys: &[
            key("executor.kubernetesJob.pod.affinity")
                .becomes(Env("EXECUTOR_KUBERNETES_POD_AFFINITY")),
            key("executor.kubernetesJob.pod.antiAffinity")
                .becomes(Env("EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_KUBERNETES_POD_AFFINITY`, `_ANTI_AFFINITY`",
        differs: "checked as pod affinity terms; the chart's escaped form is read as its template reads it",
    },
    Row {
        keys: &[
            key("executor.debug.keepJobs")
                .becomes(Env("KUBERNETES_KEEP_JOBS")),
            key("executor.debug.keepWorkspaces")
                .becomes(Env("EXECUTOR_KEEP_WORKSPACES")),
        ],
        chart: Chart::K8s,
        what: "`KUBERNETES_KEEP_JOBS`, `EXECUTOR_KEEP_WORKSPACES`",
        differs: "",
    },
    Row {
        keys: &[
            key("executor.dockerAddHostGateway")
                .becomes(Env("EXECUTOR_DOCKER_ADD_HOST_GATEWAY")),
        ],
        chart: Chart::K8s,
        what: "`EXECUTOR_DOCKER_ADD_HOST_GATEWAY`",
        differs: "accepted in dind mode too, where jobs run in Docker",
    },
    Row {
        keys: &[
            key("executor.nodeSelector"),
            key("executor.affinity"),
            key("executor.tolerations"),
        ],
        chart: Chart::K8s,
        what: "the `scheduling` layer, for the executor pod",
        differs: "",
    },
    Row {
        keys: &[key("executor.extraEnv")],
        chart: Chart::K8s,
        what: "a list of `EnvVar`",
        differs: "managed variables are refused; a literal secret warns",
    },
    Row {
        keys: &[
            key("executor.securityContext.runAsUser"),
            key("executor.securityContext.runAsGroup"),
            key("executor.securityContext.fsGroup"),
        ],
        chart: Chart::K8s,
        what: "pod `runAsUser`/`runAsGroup`/`fsGroup` when `podSecurityContext` is unset",
        differs: "warns that the key is deprecated",
    },
    Row {
        keys: &[key("executor.securityContext.privileged")],
        chart: Chart::Declared,
        what: "`true` is refused",
        differs: "the k8s chart declares but ignores it; we never turn it into a privileged container",
    },
    Row {
        keys: &[
            key("executor.containerSecurityContext")
                .default(Kubernetes(d::kubernetes_container_security_context))
                .becomes(Field(place("Deployment", "NAME", "spec/template/spec/containers[executor]/securityContext"))),
        ],
        chart: Chart::K8s,
        what: "container security context",
        differs: "",
    },
    Row {
        keys: &[
            key("executor.serviceType")
                .default(Kubernetes(|| json!(d::SERVICE_TYPE)))
                .becomes(Field(place("Service", "NAME", "spec/type"))),
            key("executor.serviceLabels"),
            key("executor.serviceAnnotations"),
        ],
        chart: Chart::K8s,
        what: "the type, labels and annotations of the chart's Service on the executor's port 6060 (`http-debug`), where the executor serves nothing: its metrics reach Prometheus through Sourcegraph's worker",
        differs: "`ExternalName` is refused: the Service selects pods; a scrape annotation is rendered but warned about, as its target is always down",
    },
    Row {
        keys: &[key("executor.storageSize")],
        chart: Chart::OldK8s,
        what: "a `NAME-data` claim mounted at `/data`",
        differs: "no such volume unless asked for",
    },
];
