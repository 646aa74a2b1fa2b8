//! The estimate object by object: which objects the config renders, each template's fixed
//! size, and which config key each part of an object comes from, so that a limit gone over
//! is blamed on the key that adds the most. Apart from the limits and their reports, which
//! only read the estimated objects.

use super::measure::{item_size, json_size, list_size, opt_json, pairs_size, text};
use super::Size;
use crate::config::model::{
    Config, DataVolume, Dind, Kubernetes, Password, PodSettings, Registry, Scratch, StorageClass,
    Worker,
};
use crate::config::validate::Checker;

/// The config key a part of an object comes from, dotted (`sourcegraph.labels`); keys under
/// `metadata.` are the KRM wrapper's, the others the spec's.
pub(super) type Key = &'static str;

/// An object being estimated: its parts by the key they come from, the bytes of its
/// annotations (its own, and its pod template's) by key, and for a ConfigMap or Secret the
/// bytes of its data.
pub(super) struct Object {
    pub(super) kind: &'static str,
    pub(super) name: String,
    pub(super) parts: Vec<(Key, Size)>,
    pub(super) annotations: [Vec<(Key, u64)>; 2],
    pub(super) data: Vec<(Key, u64)>,
}

/// Which annotations of an object: its own, or its pod template's.
const OWN: usize = 0;
const POD: usize = 1;

impl Object {
    fn new(kind: &'static str, name: impl Into<String>, base: Size) -> Self {
        Object {
            kind,
            name: name.into(),
            parts: vec![("", base)],
            annotations: [Vec::new(), Vec::new()],
            data: Vec::new(),
        }
    }

    fn add(&mut self, key: Key, size: Size) -> &mut Self {
        if size != Size::default() {
            self.parts.push((key, size));
        }
        self
    }

    fn add_all(&mut self, parts: &[(Key, Size)]) -> &mut Self {
        for &(key, size) in parts {
            self.add(key, size);
        }
        self
    }

    /// Annotations, in the object's own metadata or its pod template's.
    fn annotations(&mut self, key: Key, set: usize, pairs: Pairs) -> &mut Self {
        self.add(key, pairs.size);
        self.annotations[set].push((key, pairs.bytes));
        self
    }

    pub(super) fn size(&self) -> Size {
        self.parts.iter().map(|(_, s)| *s).sum()
    }

    /// The key that adds the most to the object (its fixed text aside).
    pub(super) fn largest(&self) -> Key {
        largest(&self.parts, |s| s.bytes)
    }
}

/// The key with the most, by `by`.
pub(super) fn largest<T: Copy>(parts: &[(Key, T)], by: impl Fn(T) -> u64) -> Key {
    parts
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .max_by_key(|(_, s)| by(*s))
        .map_or("", |(k, _)| *k)
}

/// The fixed text and values of each template (with the tool's own labels), measured on
/// the default config and rounded up; `tests/size_estimate.rs` keeps them honest.
mod base {
    use super::Size;
    const fn size(bytes: u64, values: u64) -> Size {
        Size { bytes, values }
    }
    pub const EXECUTOR_CONFIG: Size = size(1024, 49);
    pub const DOCKER_CONFIG: Size = size(384, 24);
    pub const SECRET: Size = size(384, 24);
    pub const SERVICE: Size = size(768, 49);
    pub const DEPLOYMENT_DIND: Size = size(4096, 310);
    /// dind without native sidecars: its preStop hook and readiness probe.
    pub const LEGACY_DIND: Size = size(448, 28);
    pub const DEPLOYMENT_KUBERNETES: Size = size(2688, 184);
    pub const REGISTRY_DEPLOYMENT: Size = size(1792, 124);
    pub const REGISTRY_SERVICE: Size = size(640, 44);
    pub const CLAIM: Size = size(512, 39);
    pub const SERVICE_ACCOUNT: Size = size(384, 24);
    pub const ROLE: Size = size(768, 64);
    pub const ROLE_BINDING: Size = size(640, 39);
    pub const STORAGE_CLASS: Size = size(512, 29);
    pub const NETWORK_POLICY: Size = size(640, 44);
    pub const DISRUPTION_BUDGET: Size = size(640, 40);
    /// What the scheduling, gVisor and ephemeral-scratch layers add to a Deployment.
    pub const SCHEDULING: Size = size(128, 12);
    pub const GVISOR: Size = size(512, 29);
    pub const EPHEMERAL: Size = size(768, 54);
    /// A ScaledObject without its name, query and address; the alerting rules, either form.
    pub const SCALED_OBJECT: Size = size(1280, 96);
    pub const ALERT_RULES_CONFIG_MAP: Size = size(5376, 28);
    pub const PROMETHEUS_RULE: Size = size(5376, 140);
}

/// A mapping of strings (labels, annotations) as written, and its keys' and values' bytes.
#[derive(Clone, Copy)]
struct Pairs {
    size: Size,
    bytes: u64,
}

fn pairs(list: &[(String, String)], indent: u64) -> Pairs {
    Pairs {
        size: pairs_size(list, indent),
        bytes: list.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum(),
    }
}

/// What a pod template takes from its pod settings, computed once for all its copies.
struct PodParts {
    parts: Vec<(Key, Size)>,
    annotations: Pairs,
    annotations_key: Key,
}

impl PodParts {
    fn new(pods: &PodSettings, keys: (Key, Key)) -> Self {
        let mut parts = vec![
            (keys.0, pairs_size(&pods.labels, 8)),
            (
                "sourcegraph.imagePullSecrets",
                list_size(&pods.image_pull_secrets, 8),
            ),
            (
                "sourcegraph.priorityClassName",
                text(pods.priority_class_name.as_deref().unwrap_or(""), 6),
            ),
        ];
        if pods.constrains_scheduling() {
            parts.extend([
                ("", base::SCHEDULING),
                (
                    "sourcegraph.nodeSelector",
                    pairs_size(&pods.node_selector, 8),
                ),
                ("sourcegraph.affinity", opt_json(pods.affinity.as_ref(), 8)),
                (
                    "sourcegraph.tolerations",
                    opt_json(pods.tolerations.as_ref(), 8),
                ),
            ]);
        }
        PodParts {
            parts,
            annotations: pairs(&pods.annotations, 8),
            annotations_key: keys.1,
        }
    }
}

/// What the config puts into many objects, computed once: the common labels and KRM
/// annotations, the stack's name where it is repeated and the namespace, the pod settings.
struct Shared {
    labels_key: Key,
    names: Size,
    labels: Size,
    /// The common labels again, deeper: in an ephemeral claim's template.
    claim_labels: Size,
    krm: Pairs,
    krm_in_pods: Pairs,
}

impl Shared {
    fn new(c: &Config, keys: &Keys) -> Self {
        Shared {
            labels_key: keys.labels,
            names: Size {
                bytes: 8 * c.name.len() as u64
                    + c.namespace.as_ref().map_or(0, |n| n.len() as u64 + 16),
                values: 3,
            },
            labels: pairs_size(&c.labels, 4),
            claim_labels: pairs_size(&c.labels, 18),
            krm: pairs(&c.annotations, 4),
            krm_in_pods: pairs(&c.annotations, 8),
        }
    }

    fn object(
        &self,
        kind: &'static str,
        name: &str,
        base: Size,
        own_labels: (Key, Size),
    ) -> Object {
        let mut o = Object::new(kind, name, base);
        o.add("metadata.name", text(name, 2) + self.names)
            .add(self.labels_key, self.labels)
            .add(own_labels.0, own_labels.1)
            .annotations("metadata.annotations", OWN, self.krm);
        o
    }

    /// An object with no labels of its own, only the stack's.
    fn plain(&self, kind: &'static str, name: &str, base: Size) -> Object {
        self.object(kind, name, base, ("", Size::default()))
    }

    /// A pod template's labels, annotations (KRM annotations included), pull secrets,
    /// priority class and scheduling.
    fn pod_template(&self, o: &mut Object, pods: &PodParts) {
        o.parts.extend(pods.parts.iter().copied());
        o.annotations(pods.annotations_key, POD, pods.annotations)
            .annotations("metadata.annotations", POD, self.krm_in_pods);
    }
}

/// Calls `each` with every object the config renders, estimated, in the order they are
/// rendered (the first object over a limit is the one a report names).
pub(super) fn objects(c: &Config, keys: &Keys, each: &mut dyn FnMut(Object)) {
    let shared = Shared::new(c, keys);
    if let Some(k) = &c.kubernetes {
        if k.configure_rbac {
            rbac(&shared, each);
        }
    }
    if let Some(sc) = &c.storage_class {
        each(storage_class(sc, &shared));
    }
    stack_objects(c, &shared, each);
    let executor = ExecutorParts::new(c, &shared, keys);
    for w in &c.workers {
        each(deployment(&shared, &executor, keys, w));
    }
    if let Some(r) = &c.registry {
        registry(r, &shared, each);
    }
    if c.drain.disruption_budget.is_some() {
        for w in &c.workers {
            // Its name again in the selector.
            let mut o = shared.plain("PodDisruptionBudget", &w.name, base::DISRUPTION_BUDGET);
            o.add("queues", text(&w.name, 6));
            each(o);
        }
    }
    if let Some(a) = &c.autoscaling {
        for (w, scaling) in c
            .workers
            .iter()
            .filter_map(|w| Some((w, w.scaling.as_ref()?)))
        {
            let mut o = shared.plain("ScaledObject", &w.name, base::SCALED_OBJECT);
            o.add("metadata.name", text(&w.name, 2))
                .add("autoscaling.query", text(&scaling.query, 4))
                .add("autoscaling.serverAddress", text(&a.server_address, 4));
            each(o);
        }
    }
    match &c.alerts {
        Some(a) if a.prometheus_operator => {
            each(shared.plain("PrometheusRule", &c.name, base::PROMETHEUS_RULE));
        }
        Some(_) => {
            let base = base::ALERT_RULES_CONFIG_MAP;
            let mut o = shared.plain("ConfigMap", &format!("{}-alert-rules", c.name), base);
            o.data.push(("alerts.enabled", base.bytes));
            each(o);
        }
        None => {}
    }
}

/// The native chart's ServiceAccount, Role and RoleBinding.
fn rbac(shared: &Shared, each: &mut dyn FnMut(Object)) {
    for (kind, name, base) in [
        (
            "ServiceAccount",
            crate::config::model::SERVICE_ACCOUNT,
            base::SERVICE_ACCOUNT,
        ),
        ("Role", crate::config::model::ROLE, base::ROLE),
        (
            "RoleBinding",
            crate::config::model::ROLE_BINDING,
            base::ROLE_BINDING,
        ),
    ] {
        each(shared.plain(kind, name, base));
    }
}

/// The StorageClass the config asks the stack to create.
fn storage_class(sc: &StorageClass, shared: &Shared) -> Object {
    let mut o = shared.plain("StorageClass", &sc.name, base::STORAGE_CLASS);
    o.add("storageClass.provisioner", text(&sc.provisioner, 0))
        .add("storageClass.parameters", pairs_size(&sc.parameters, 2))
        .add(
            "storageClass.allowedTopologies",
            opt_json(sc.allowed_topologies.as_ref(), 2),
        );
    o
}

/// The stack's own objects besides its workloads: the ConfigMaps, the password's Secret,
/// the native chart's Service, the job claim and the NetworkPolicy.
fn stack_objects(c: &Config, shared: &Shared, each: &mut dyn FnMut(Object)) {
    each(executor_config(c, shared));
    if let Some(d) = &c.dind {
        each(docker_config(c, d, shared));
    }
    if let Password::Literal {
        secret_name,
        base64,
    } = &c.password
    {
        each(password_secret(secret_name, base64, shared));
    }
    if let Some(k) = &c.kubernetes {
        each(service(&c.name, k, shared));
    }
    if let Some(v) = c.kubernetes.as_ref().and_then(|k| k.data_volume.as_ref()) {
        each(job_claim(v, shared));
    }
    if c.network_policy {
        each(shared.plain("NetworkPolicy", &c.name, base::NETWORK_POLICY));
    }
}

/// The executor's ConfigMap: its settings, as data.
fn executor_config(c: &Config, shared: &Shared) -> Object {
    let mut o = shared.plain(
        "ConfigMap",
        &format!("{}-config", c.name),
        base::EXECUTOR_CONFIG,
    );
    o.add("executor.frontendUrl", text(&c.frontend_url, 2))
        .add("executor.maximumRuntimePerJob", text(&c.max_runtime, 2));
    // The fixed settings: every value at most a few bytes, and DOCKER_HOST's 20.
    let fixed = 64 + c.log_level.len() + c.log_format.len();
    o.data.push(("", fixed as u64));
    o.data
        .push(("executor.frontendUrl", c.frontend_url.len() as u64));
    o.data
        .push(("executor.maximumRuntimePerJob", c.max_runtime.len() as u64));
    if let Some(k) = &c.kubernetes {
        o.add("executor.kubernetesJob", pairs_size(&k.settings, 2));
        let bytes: u64 = k.settings.iter().map(|(_, v)| v.len() as u64).sum();
        o.data.push(("executor.kubernetesJob", bytes));
    }
    o
}

/// dockerd's ConfigMap: its daemon.json, as data.
fn docker_config(c: &Config, d: &Dind, shared: &Shared) -> Object {
    let mut o = shared.plain(
        "ConfigMap",
        &format!("{}-docker-config", c.name),
        base::DOCKER_CONFIG,
    );
    o.add("dind.daemonConfig", text(&d.daemon_json, 2));
    o.data
        .push(("dind.daemonConfig", d.daemon_json.len() as u64));
    o
}

/// The Secret that holds the frontend password the config gives.
fn password_secret(name: &str, base64: &str, shared: &Shared) -> Object {
    let mut o = shared.plain("Secret", name, base::SECRET);
    o.add("executor.frontendPassword", text(base64, 2));
    o.data
        .push(("executor.frontendPassword", base64.len() as u64 / 4 * 3));
    o
}

/// The native chart's Service, with its labels and annotations.
fn service(name: &str, k: &Kubernetes, shared: &Shared) -> Object {
    let mut o = shared.object(
        "Service",
        name,
        base::SERVICE,
        ("executor.serviceLabels", pairs_size(&k.service.labels, 4)),
    );
    o.annotations(
        "executor.serviceAnnotations",
        OWN,
        pairs(&k.service.annotations, 4),
    );
    o
}

/// The native chart's claim for its jobs' data.
fn job_claim(v: &DataVolume, shared: &Shared) -> Object {
    let mut o = shared.plain("PersistentVolumeClaim", &v.claim_name, base::CLAIM);
    o.add("executor.storageSize", text(&v.size, 6)).add(
        "storageClass.name",
        text(v.class.as_deref().unwrap_or(""), 2),
    );
    o
}

/// What every executor Deployment takes from the config, measured once for all the
/// workers, in the order `deployment` adds it (the last of equal parts is blamed).
struct ExecutorParts {
    base: Size,
    labels: Size,
    pods: PodParts,
    /// The image and security contexts, before the worker's env and resources.
    before: Vec<(Key, Size)>,
    /// The rest of the pod: the Secret's name, the job settings, dind and gVisor.
    after: Vec<(Key, Size)>,
}

impl ExecutorParts {
    fn new(c: &Config, shared: &Shared, keys: &Keys) -> Self {
        let base = if c.dind.is_some() {
            base::DEPLOYMENT_DIND
        } else {
            base::DEPLOYMENT_KUBERNETES
        };
        let before = vec![
            (keys.image, text(&c.executor_image, 10)),
            (
                "executor.podSecurityContext",
                opt_json(c.pod_security_context.as_ref(), 8),
            ),
            (
                "executor.containerSecurityContext",
                opt_json(c.container_security_context.as_ref(), 12),
            ),
        ];
        let mut after = Vec::new();
        if let Password::ExistingSecret { name } = &c.password {
            after.push(("executor.frontendExistingSecret", text(name, 18)));
        }
        if let Some(k) = &c.kubernetes {
            after.push((
                "executor.namespace",
                text(k.job_namespace.as_deref().unwrap_or(""), 14),
            ));
            if let Some(v) = &k.data_volume {
                after.push(("executor.storageSize", text(&v.claim_name, 12)));
            }
        }
        if let Some(d) = &c.dind {
            if !c.drain.native_sidecar {
                after.push(("kubernetesVersion", base::LEGACY_DIND));
            }
            after.extend([
                ("dind.image", text(&d.image, 10)),
                ("dind.command", list_size(&d.command, 10)),
                ("dind.resources", json_size(&d.resources, 12)),
            ]);
            match &d.scratch {
                Scratch::EmptyDir { size_limit } => after.push((
                    "executor.storage.size",
                    text(size_limit.as_deref().unwrap_or(""), 12),
                )),
                // The claim template carries the stack's labels again.
                Scratch::Ephemeral { size, class } => after.extend([
                    ("", base::EPHEMERAL),
                    (keys.labels, shared.claim_labels),
                    ("executor.storage.size", text(size, 22)),
                    (
                        "executor.storage.class",
                        text(class.as_deref().unwrap_or(""), 18),
                    ),
                ]),
            }
            if let Some(g) = &d.gvisor {
                after.extend([
                    ("", base::GVISOR),
                    ("dind.gVisor.command", list_size(&g.command, 10)),
                    (
                        "dind.gVisor.securityContext",
                        json_size(&g.security_context, 12),
                    ),
                    (
                        "dind.gVisor.storageSize",
                        text(g.storage_size_limit.as_deref().unwrap_or(""), 12),
                    ),
                ]);
            }
        }
        ExecutorParts {
            base,
            labels: pairs_size(&c.workload_labels, 4),
            pods: PodParts::new(&c.pods, (keys.pod_labels, keys.pod_annotations)),
            before,
            after,
        }
    }
}

/// One executor Deployment: the parts all share, and the worker's own.
fn deployment(shared: &Shared, executor: &ExecutorParts, keys: &Keys, w: &Worker) -> Object {
    let mut o = shared.object(
        "Deployment",
        &w.name,
        executor.base,
        ("executor.labels", executor.labels),
    );
    // The worker's name is its selector and pod label too; the stack's name is in both.
    o.add(
        keys.queues,
        text(&w.name, 8) + text(&w.name, 8) + text(&w.queue_value, 14),
    );
    shared.pod_template(&mut o, &executor.pods);
    o.add_all(&executor.before)
        .add(keys.env, w.env.iter().map(|e| item_size(e, 12)).sum())
        .add(keys.resources, json_size(&w.resources, 12))
        .add_all(&executor.after);
    o
}

/// The private registry: its Service, its claim and its Deployment.
fn registry(r: &Registry, shared: &Shared, each: &mut dyn FnMut(Object)) {
    let name = r.name.as_str();
    let mut o = shared.plain("Service", name, base::REGISTRY_SERVICE);
    o.annotations(
        "privateDockerRegistry.serviceAnnotations",
        OWN,
        pairs(&r.service_annotations, 4),
    );
    each(o);
    let mut o = shared.plain("PersistentVolumeClaim", name, base::CLAIM);
    o.add(
        "privateDockerRegistry.storageSize",
        text(&r.storage_size, 6),
    )
    .add(
        "storageClass.name",
        text(r.storage_class.as_deref().unwrap_or(""), 2),
    );
    each(o);
    each(registry_deployment(r, shared));
}

/// The private registry's Deployment, with its own pod settings.
fn registry_deployment(r: &Registry, shared: &Shared) -> Object {
    let mut o = shared.object(
        "Deployment",
        &r.name,
        base::REGISTRY_DEPLOYMENT,
        (
            "privateDockerRegistry.labels",
            pairs_size(&r.workload_labels, 4),
        ),
    );
    let pods = PodParts::new(
        &r.pods,
        (
            "privateDockerRegistry.podLabels",
            "privateDockerRegistry.podAnnotations",
        ),
    );
    shared.pod_template(&mut o, &pods);
    o.add("privateDockerRegistry.image", text(&r.image, 10))
        .add(
            "privateDockerRegistry.env",
            r.env.iter().map(|e| item_size(e, 10)).sum(),
        )
        .add(
            "privateDockerRegistry.resources",
            json_size(&r.resources, 12),
        );
    o
}

/// Where the parts that more than one key can set are blamed: the key the config uses.
#[derive(Default)]
pub(super) struct Keys {
    labels: Key,
    pod_labels: Key,
    pod_annotations: Key,
    image: Key,
    env: Key,
    resources: Key,
    queues: Key,
}

impl Keys {
    pub(super) fn new(checker: &Checker<'_>) -> Self {
        let pick = |keys: &[Key]| -> Key {
            keys.iter()
                .copied()
                .find(|k| checker.present(k))
                .unwrap_or(keys[keys.len() - 1])
        };
        Keys {
            labels: pick(&["sourcegraph.labels", "metadata.labels", "nameOverride"]),
            pod_labels: pick(&["executor.podLabels", "sourcegraph.podLabels"]),
            pod_annotations: pick(&["executor.podAnnotations", "sourcegraph.podAnnotations"]),
            image: pick(&["executor.image", "sourcegraph.image"]),
            env: pick(&["executor.env", "executor.extraEnv", "queues"]),
            resources: pick(&["executor.resources", "queues"]),
            queues: pick(&["queues", "executor.queueName"]),
        }
    }
}
