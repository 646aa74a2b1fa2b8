//! How large the output would be, estimated from the validated config before anything is
//! rendered, so that a small config that asks for a huge output (labels and annotations
//! copied onto every object, env onto every worker) is refused quickly and in bounded
//! memory, and an object Kubernetes would refuse is refused here, at the key to blame.
//!
//! The estimate is an upper bound, object by object, of both the YAML `render` prints and
//! the JSON the API server receives, and of the number of values (keys, entries, scalars)
//! in it: each template's fixed text, plus the size of every config value it takes, as
//! the YAML writer would write it at its depth. `tests/size_estimate.rs` holds it against
//! the rendered objects. The limits:
//!
//! - a ConfigMap's data: 1 MiB (`core.MaxSecretSize`, the API server's validation);
//! - one object's annotations, keys and values: 256 KiB (`TotalAnnotationSizeLimitB`);
//! - one object: 1.5 MiB, etcd's default `--max-request-bytes`;
//! - the whole output: 64 MiB and 5,000,000 values. Ten thousand queues, a Deployment of
//!   about 4 KB and 300 values each, come to about 40 MB and 3 million values, and still
//!   render; the renderer holds every value several times over (template context, YAML
//!   tree, typed object), a few hundred bytes each, so the values bound is what bounds its
//!   memory, to a few GB at the very worst.
//!
//! An object over 256 KiB is a warning: client-side `kubectl apply` keeps the whole object
//! in an annotation, which the API server caps at 256 KiB.

use super::Checker;
use crate::config::model::{Config, Password, PodSettings, Scratch, Worker};
use crate::config::source::Segment;
use crate::diagnostic::Problem;
use serde_json::Value;
use std::collections::BTreeMap;

pub const MAX_CONFIG_MAP_DATA: u64 = 1 << 20;
pub const MAX_ANNOTATIONS: u64 = 256 << 10;
pub const MAX_OBJECT: u64 = 3 << 19;
pub const APPLY_ANNOTATION: u64 = 256 << 10;
pub const MAX_OUTPUT_BYTES: u64 = 64 << 20;
pub const MAX_OUTPUT_VALUES: u64 = 5_000_000;

/// Bytes and values.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub bytes: u64,
    pub values: u64,
}

impl std::ops::Add for Size {
    type Output = Size;
    fn add(self, o: Size) -> Size {
        Size {
            bytes: self.bytes + o.bytes,
            values: self.values + o.values,
        }
    }
}

impl std::ops::AddAssign for Size {
    fn add_assign(&mut self, o: Size) {
        *self = *self + o;
    }
}

impl std::iter::Sum for Size {
    fn sum<I: Iterator<Item = Size>>(iter: I) -> Size {
        iter.fold(Size::default(), |a, b| a + b)
    }
}

/// One object's estimate.
#[derive(Debug, Clone)]
pub struct Estimated {
    pub kind: &'static str,
    pub name: String,
    pub size: Size,
}

/// The config key a part of an object comes from, dotted (`sourcegraph.labels`); keys under
/// `metadata.` are the KRM wrapper's, the others the spec's.
type Key = &'static str;

/// An object being estimated: its parts by the key they come from, the bytes of its
/// annotations (its own, and its pod template's) by key, and for a ConfigMap or Secret the
/// bytes of its data.
struct Object {
    kind: &'static str,
    name: String,
    parts: Vec<(Key, Size)>,
    annotations: [Vec<(Key, u64)>; 2],
    data: Vec<(Key, u64)>,
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

    /// Annotations, in the object's own metadata or its pod template's.
    fn annotations(&mut self, key: Key, set: usize, pairs: Pairs) -> &mut Self {
        self.add(key, pairs.size);
        self.annotations[set].push((key, pairs.bytes));
        self
    }

    fn size(&self) -> Size {
        self.parts.iter().map(|(_, s)| *s).sum()
    }

    /// The key that adds the most to the object (its fixed text aside).
    fn largest(&self) -> Key {
        largest(&self.parts, |s| s.bytes)
    }
}

/// The key with the most, by `by`.
fn largest<T: Copy>(parts: &[(Key, T)], by: impl Fn(T) -> u64) -> Key {
    parts
        .iter()
        .filter(|(k, _)| !k.is_empty())
        .max_by_key(|(_, s)| by(*s))
        .map_or("", |(k, _)| *k)
}

/// Whether the YAML writer surely writes `s` plain, and JSON as `"s"`: a word of letters,
/// digits, `-`, `_`, `.` and `/` that starts with a letter and is no YAML keyword.
fn surely_plain(s: &str) -> bool {
    const KEYWORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "inf", "nan", "infinity",
    ];
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && (s.len() > 8 || !KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(s)))
}

/// How many bytes the YAML writer writes, at most, for the string `s` at `indent`: plain,
/// quoted with escapes, or a literal block whose every line is indented.
fn yaml_str(s: &str, indent: u64) -> u64 {
    if surely_plain(s) {
        return s.len() as u64;
    }
    let quoted = json_str(s);
    let lines = s.matches('\n').count() as u64;
    let block = s.len() as u64 + (lines + 1) * (indent + 2) + 4;
    if lines > 0 {
        quoted.max(block)
    } else {
        quoted
    }
}

/// How many bytes a string takes quoted with escapes, in JSON or in YAML.
fn json_str(s: &str) -> u64 {
    if s.is_ascii() {
        let escapes = s
            .bytes()
            .filter(|b| matches!(b, b'"' | b'\\' | b'\n' | b'\t' | b'\r'))
            .count();
        return (s.len() + 2 + escapes) as u64;
    }
    let escapes: usize = s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\t' | '\r' => 1,
            c if !c.is_ascii() && !c.is_alphanumeric() => 5,
            _ => 0,
        })
        .sum();
    (s.len() + 2 + escapes) as u64
}

/// A string value on its own line at `indent`, in YAML or in JSON, whichever is longer.
fn text(s: &str, indent: u64) -> Size {
    Size {
        bytes: yaml_str(s, indent).max(json_str(s)) + 1,
        values: 1,
    }
}

/// One `key: value` entry at `indent`: `indent key: value\n` or `"key":"value",`.
fn entry_bytes(k: &str, v: &str, indent: u64) -> u64 {
    let yaml = indent + yaml_str(k, indent) + 2 + yaml_str(v, indent + 2) + 1;
    let json = json_str(k) + json_str(v) + 2;
    yaml.max(json)
}

/// A mapping of strings at `indent` (labels, annotations, data).
fn pairs_size(pairs: &[(String, String)], indent: u64) -> Size {
    if pairs.is_empty() {
        return Size::default();
    }
    let bytes: u64 = pairs.iter().map(|(k, v)| entry_bytes(k, v, indent)).sum();
    Size {
        bytes: bytes + indent + 16,
        values: 2 * pairs.len() as u64 + 2,
    }
}

/// A JSON value written as block YAML at `indent`, or as JSON, whichever is longer.
pub fn json_size(v: &Value, indent: u64) -> Size {
    match v {
        Value::Object(m) => {
            let mut size = Size {
                bytes: 2,
                values: 1,
            };
            for (k, v) in m {
                size += match v {
                    Value::String(s) => Size {
                        bytes: entry_bytes(k, s, indent),
                        values: 2,
                    },
                    v => {
                        Size {
                            bytes: (indent + yaml_str(k, indent) + 2).max(json_str(k) + 2),
                            values: 1,
                        } + json_size(v, indent + 2)
                    }
                };
            }
            size
        }
        Value::Array(items) => {
            items
                .iter()
                .map(|item| item_size(item, indent))
                .sum::<Size>()
                + Size {
                    bytes: 2,
                    values: 1,
                }
        }
        Value::String(s) => text(s, indent),
        other => Size {
            bytes: other.to_string().len() as u64 + 3,
            values: 1,
        },
    }
}

/// One item of a list at `indent`: `- ` and the item (a mapping's first key takes the
/// place of its indentation), or in JSON the item and its comma.
fn item_size(item: &Value, indent: u64) -> Size {
    let dash = if item.is_object() { 2 } else { indent + 2 };
    json_size(item, indent + 2)
        + Size {
            bytes: dash,
            values: 0,
        }
}

fn list_size(items: &[String], indent: u64) -> Size {
    items
        .iter()
        .map(|s| {
            text(s, indent + 2)
                + Size {
                    bytes: indent + 2,
                    values: 0,
                }
        })
        .sum::<Size>()
        + Size {
            bytes: 4,
            values: 1,
        }
}

fn opt_json(v: Option<&Value>, indent: u64) -> Size {
    v.map(|v| json_size(v, indent)).unwrap_or_default()
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
    pub const DEPLOYMENT_DIND: Size = size(4096, 275);
    pub const DEPLOYMENT_KUBERNETES: Size = size(2560, 174);
    pub const REGISTRY_DEPLOYMENT: Size = size(1792, 124);
    pub const REGISTRY_SERVICE: Size = size(640, 44);
    pub const CLAIM: Size = size(512, 39);
    pub const SERVICE_ACCOUNT: Size = size(384, 24);
    pub const ROLE: Size = size(768, 64);
    pub const ROLE_BINDING: Size = size(640, 39);
    pub const STORAGE_CLASS: Size = size(512, 29);
    pub const NETWORK_POLICY: Size = size(640, 44);
    /// What the scheduling, gVisor and ephemeral-scratch layers add to a Deployment.
    pub const SCHEDULING: Size = size(128, 12);
    pub const GVISOR: Size = size(512, 29);
    pub const EPHEMERAL: Size = size(768, 54);
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
        own_labels: (Key, &[(String, String)]),
    ) -> Object {
        let mut o = Object::new(kind, name, base);
        o.add("metadata.name", text(name, 2) + self.names)
            .add(self.labels_key, self.labels)
            .add(own_labels.0, pairs_size(own_labels.1, 4))
            .annotations("metadata.annotations", OWN, self.krm);
        o
    }

    /// A pod template's labels, annotations (KRM annotations included), pull secrets,
    /// priority class and scheduling.
    fn pod_template(&self, o: &mut Object, pods: &PodParts) {
        o.parts.extend(pods.parts.iter().copied());
        o.annotations(pods.annotations_key, POD, pods.annotations)
            .annotations("metadata.annotations", POD, self.krm_in_pods);
    }
}

/// Calls `each` with every object the config renders, estimated.
fn objects(c: &Config, keys: &Keys, each: &mut dyn FnMut(Object)) {
    let shared = Shared::new(c, keys);
    let none: &[(String, String)] = &[];
    if let Some(k) = &c.kubernetes {
        if k.configure_rbac {
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
                each(shared.object(kind, name, base, ("", none)));
            }
        }
    }
    if let Some(sc) = &c.storage_class {
        let mut o = shared.object("StorageClass", &sc.name, base::STORAGE_CLASS, ("", none));
        o.add("storageClass.provisioner", text(&sc.provisioner, 0))
            .add("storageClass.parameters", pairs_size(&sc.parameters, 2))
            .add(
                "storageClass.allowedTopologies",
                opt_json(sc.allowed_topologies.as_ref(), 2),
            );
        each(o);
    }
    each(executor_config(c, &shared));
    if let Some(d) = &c.dind {
        let mut o = shared.object(
            "ConfigMap",
            &format!("{}-docker-config", c.name),
            base::DOCKER_CONFIG,
            ("", none),
        );
        o.add("dind.daemonConfig", text(&d.daemon_json, 2));
        o.data
            .push(("dind.daemonConfig", d.daemon_json.len() as u64));
        each(o);
    }
    if let Password::Literal {
        secret_name,
        base64,
    } = &c.password
    {
        let mut o = shared.object("Secret", secret_name, base::SECRET, ("", none));
        o.add("executor.frontendPassword", text(base64, 2));
        o.data
            .push(("executor.frontendPassword", base64.len() as u64 / 4 * 3));
        each(o);
    }
    let service = c.kubernetes.as_ref().map(|k| &k.service);
    let mut o = shared.object(
        "Service",
        &c.name,
        base::SERVICE,
        (
            "executor.serviceLabels",
            service.map_or(none, |s| &s.labels),
        ),
    );
    o.annotations(
        "executor.serviceAnnotations",
        OWN,
        pairs(service.map_or(none, |s| &s.annotations), 4),
    );
    each(o);
    if let Some(v) = c.kubernetes.as_ref().and_then(|k| k.data_volume.as_ref()) {
        let mut o = shared.object(
            "PersistentVolumeClaim",
            &v.claim_name,
            base::CLAIM,
            ("", none),
        );
        o.add("executor.storageSize", text(&v.size, 6)).add(
            "storageClass.name",
            text(v.class.as_deref().unwrap_or(""), 2),
        );
        each(o);
    }
    if c.network_policy {
        each(shared.object("NetworkPolicy", &c.name, base::NETWORK_POLICY, ("", none)));
    }
    let pods = PodParts::new(&c.pods, (keys.pod_labels, keys.pod_annotations));
    for w in &c.workers {
        each(deployment(c, &shared, &pods, keys, w));
    }
    if let Some(r) = &c.registry {
        let name = r.name.as_str();
        let mut o = shared.object("Service", name, base::REGISTRY_SERVICE, ("", none));
        o.annotations(
            "privateDockerRegistry.serviceAnnotations",
            OWN,
            pairs(&r.service_annotations, 4),
        );
        each(o);
        let mut o = shared.object("PersistentVolumeClaim", name, base::CLAIM, ("", none));
        o.add(
            "privateDockerRegistry.storageSize",
            text(&r.storage_size, 6),
        )
        .add(
            "storageClass.name",
            text(r.storage_class.as_deref().unwrap_or(""), 2),
        );
        each(o);
        let mut o = shared.object(
            "Deployment",
            name,
            base::REGISTRY_DEPLOYMENT,
            ("privateDockerRegistry.labels", &r.workload_labels),
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
        each(o);
    }
}

/// The executor's ConfigMap: its settings, as data.
fn executor_config(c: &Config, shared: &Shared) -> Object {
    let mut o = shared.object(
        "ConfigMap",
        &format!("{}-config", c.name),
        base::EXECUTOR_CONFIG,
        ("", &[]),
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

/// One executor Deployment.
fn deployment(c: &Config, shared: &Shared, pods: &PodParts, keys: &Keys, w: &Worker) -> Object {
    let base = if c.dind.is_some() {
        base::DEPLOYMENT_DIND
    } else {
        base::DEPLOYMENT_KUBERNETES
    };
    let mut o = shared.object(
        "Deployment",
        &w.name,
        base,
        ("executor.labels", &c.workload_labels),
    );
    // The worker's name is its selector and pod label too; the stack's name is in both.
    o.add(
        keys.queues,
        text(&w.name, 8) + text(&w.name, 8) + text(&w.queue_value, 14),
    );
    shared.pod_template(&mut o, pods);
    o.add(keys.image, text(&c.executor_image, 10))
        .add(
            "executor.podSecurityContext",
            opt_json(c.pod_security_context.as_ref(), 8),
        )
        .add(
            "executor.containerSecurityContext",
            opt_json(c.container_security_context.as_ref(), 12),
        )
        .add(keys.env, w.env.iter().map(|e| item_size(e, 12)).sum())
        .add(keys.resources, json_size(&w.resources, 12));
    if let Password::ExistingSecret { name } = &c.password {
        o.add("executor.frontendExistingSecret", text(name, 18));
    }
    if let Some(k) = &c.kubernetes {
        o.add(
            "executor.namespace",
            text(k.job_namespace.as_deref().unwrap_or(""), 14),
        );
        if let Some(v) = &k.data_volume {
            o.add("executor.storageSize", text(&v.claim_name, 12));
        }
    }
    if let Some(d) = &c.dind {
        o.add("dind.image", text(&d.image, 10))
            .add("dind.command", list_size(&d.command, 10))
            .add("dind.resources", json_size(&d.resources, 12));
        match &d.scratch {
            Scratch::EmptyDir { size_limit } => {
                o.add(
                    "executor.storage.size",
                    text(size_limit.as_deref().unwrap_or(""), 12),
                );
            }
            Scratch::Ephemeral { size, class } => {
                // The claim template carries the stack's labels again.
                o.add("", base::EPHEMERAL)
                    .add(keys.labels, shared.claim_labels)
                    .add("executor.storage.size", text(size, 22))
                    .add(
                        "executor.storage.class",
                        text(class.as_deref().unwrap_or(""), 18),
                    );
            }
        }
        if let Some(g) = &d.gvisor {
            o.add("", base::GVISOR)
                .add("dind.gVisor.command", list_size(&g.command, 10))
                .add(
                    "dind.gVisor.securityContext",
                    json_size(&g.security_context, 12),
                )
                .add(
                    "dind.gVisor.storageSize",
                    text(g.storage_size_limit.as_deref().unwrap_or(""), 12),
                );
        }
    }
    o
}

/// Where the parts that more than one key can set are blamed: the key the config uses.
#[derive(Default)]
struct Keys {
    labels: Key,
    pod_labels: Key,
    pod_annotations: Key,
    image: Key,
    env: Key,
    resources: Key,
    queues: Key,
}

impl Keys {
    fn new(checker: &Checker<'_>) -> Self {
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

/// Every object the config would render, estimated; for the tests that hold the estimate
/// against the rendered objects.
pub fn estimate(c: &Config) -> Vec<Estimated> {
    let mut out = Vec::new();
    objects(c, &Keys::default(), &mut |o| {
        out.push(Estimated {
            kind: o.kind,
            name: o.name.clone(),
            size: o.size(),
        })
    });
    out
}

/// What went over one limit: the first object, how many more, and the size it reached.
struct Over {
    first: String,
    more: usize,
    size: u64,
}

/// Refuses a config whose output would be too large for Kubernetes or for this tool, at
/// the key that adds the most; warns when an object is too large for client-side apply.
pub(super) fn check(c: &Config, checker: &mut Checker<'_>) {
    let keys = Keys::new(checker);
    let mut total = Size::default();
    let mut by_key: BTreeMap<Key, (Size, usize)> = BTreeMap::new();
    // (limit, key) → what went over it.
    let mut over: BTreeMap<(Limit, Key), Over> = BTreeMap::new();
    let mut note = |limit: Limit, key: Key, what: String, size: u64| {
        over.entry((limit, key))
            .and_modify(|o| o.more += 1)
            .or_insert(Over {
                first: what,
                more: 0,
                size,
            });
    };
    objects(c, &keys, &mut |o| {
        let size = o.size();
        total += size;
        for (key, part) in &o.parts {
            let entry = by_key.entry(key).or_default();
            entry.0 += *part;
            entry.1 += 1;
        }
        let what = format!("{} `{}`", o.kind, o.name);
        let data: u64 = o.data.iter().map(|(_, b)| b).sum();
        if data > MAX_CONFIG_MAP_DATA {
            note(Limit::Data, largest(&o.data, |b| b), what.clone(), data);
        }
        // The object's own annotations and its pod template's are limited each.
        let largest_set = o
            .annotations
            .iter()
            .map(|set| (set, set.iter().map(|(_, b)| b).sum::<u64>()))
            .max_by_key(|(_, bytes)| *bytes);
        if let Some((set, bytes)) = largest_set.filter(|(_, b)| *b > MAX_ANNOTATIONS) {
            note(Limit::Annotations, largest(set, |b| b), what.clone(), bytes);
        }
        if size.bytes > MAX_OBJECT {
            note(Limit::Object, o.largest(), what, size.bytes);
        } else if size.bytes > APPLY_ANNOTATION {
            note(Limit::Apply, o.largest(), what, size.bytes);
        }
    });
    // An object over a hard limit needs no word about client-side apply too.
    let hard = over.keys().any(|(limit, _)| *limit != Limit::Apply)
        || total.values > MAX_OUTPUT_VALUES
        || total.bytes > MAX_OUTPUT_BYTES;
    for ((limit, key), o) in &over {
        if !(hard && *limit == Limit::Apply) {
            limit.report(key, o, checker);
        }
    }
    let blame = |by: fn(&Size) -> u64| {
        let parts: Vec<(Key, Size)> = by_key.iter().map(|(k, (s, _))| (*k, *s)).collect();
        let key = largest(&parts, |s| by(&s));
        let (size, objects) = by_key.get(key).copied().unwrap_or_default();
        (key, by(&size), objects)
    };
    // The count of values is the closer estimate, and what bounds the renderer's memory.
    let over_total = if total.values > MAX_OUTPUT_VALUES {
        let (key, values, objects) = blame(|s| s.values);
        Some((key, format!(
            "the output would hold about {} values, more than the {} sg-executor-gen renders; {} of them come from this key, copied onto {objects} objects",
            millions(total.values),
            millions(MAX_OUTPUT_VALUES),
            millions(values)
        )))
    } else if total.bytes > MAX_OUTPUT_BYTES {
        let (key, bytes, objects) = blame(|s| s.bytes);
        Some((key, format!(
            "the output would be about {}, more than the {} sg-executor-gen writes; {} of it comes from this key, on {objects} objects",
            human(total.bytes),
            human(MAX_OUTPUT_BYTES),
            human(bytes)
        )))
    } else {
        None
    };
    if let Some((key, message)) = over_total {
        let hint = "make it smaller, or split the queues across configs";
        report(checker, key, Problem::error(message).hint(hint));
    }
}

/// The limits an object can go over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Limit {
    Data,
    Annotations,
    Object,
    Apply,
}

impl Limit {
    fn report(self, key: Key, o: &Over, checker: &mut Checker<'_>) {
        let what = match o.more {
            0 => o.first.clone(),
            n => format!("{} (and {n} more)", o.first),
        };
        let (message, hint) = match self {
            Limit::Data => (
                format!("the data of {what} would take {}, more than the {} Kubernetes allows in a ConfigMap", human(o.size), human(MAX_CONFIG_MAP_DATA)),
                "make this key's value smaller".to_string(),
            ),
            Limit::Annotations => (
                format!("the annotations of {what} would take {}, more than the {} Kubernetes allows on an object (keys and values together)", human(o.size), human(MAX_ANNOTATIONS)),
                "use fewer or shorter annotations here".to_string(),
            ),
            Limit::Object => (
                format!("{what} would be about {}, more than the {} etcd stores by default", human(o.size), human(MAX_OBJECT)),
                "make this key's value smaller: it is copied into the object".to_string(),
            ),
            Limit::Apply => {
                let p = Problem::warning(format!("{what} would be about {}; client-side `kubectl apply` keeps a copy of each object in an annotation, which Kubernetes limits to {}", human(o.size), human(APPLY_ANNOTATION)))
                    .hint("apply it with `kubectl apply --server-side`, or make this key's value smaller");
                report(checker, key, p);
                return;
            }
        };
        report(checker, key, Problem::error(message).hint(hint));
    }
}

/// The key's path, as the checker takes it.
fn checker_path(key: Key) -> Vec<Segment> {
    key.split('.')
        .filter(|s| !s.is_empty())
        .map(|s| Segment::Key(s.to_string()))
        .collect()
}

/// Adds `problem` at `key`, from the top of the file for the KRM wrapper's keys.
fn report(checker: &mut Checker<'_>, key: Key, problem: Problem) {
    let p = checker_path(key);
    let located = if key.starts_with("metadata.") {
        checker.top_level(|checker| checker.problem(problem, &p))
    } else {
        checker.problem(problem, &p)
    };
    checker.problems.push(located);
}

/// `1.5 MiB`, `1.56 MiB`, `300 KiB`, `12 bytes`: rounded up, so a size over a limit never
/// reads as the limit.
fn human(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB {
        let hundredths = (bytes * 100).div_ceil(MIB);
        match hundredths % 100 {
            0 => format!("{} MiB", hundredths / 100),
            h if h % 10 == 0 => format!("{}.{} MiB", hundredths / 100, h / 10),
            h => format!("{}.{h:02} MiB", hundredths / 100),
        }
    } else if bytes >= 1 << 10 {
        format!("{} KiB", bytes.div_ceil(1 << 10))
    } else {
        format!("{bytes} bytes")
    }
}

/// `8.2 million`, `5 million`, `40000`.
fn millions(n: u64) -> String {
    if n >= 1_000_000 {
        let tenths = n / 100_000;
        if tenths.is_multiple_of(10) {
            format!("{} million", tenths / 10)
        } else {
            format!("{}.{} million", tenths / 10, tenths % 10)
        }
    } else {
        n.to_string()
    }
}

/// Refuses a config that would copy `values` values onto each of `copies` workers when
/// that alone is more than the output may hold, before the copies are made.
pub(super) fn refuse_copies(
    copies: usize,
    values: u64,
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> bool {
    let total = copies as u64 * values;
    if total <= MAX_OUTPUT_VALUES {
        return false;
    }
    checker.error(
        path,
        format!(
            "{copies} queues would each get a copy of {values} values of executor.env and executor.resources, about {} in all, more than the {} sg-executor-gen renders",
            millions(total),
            millions(MAX_OUTPUT_VALUES)
        ),
        "use fewer queues or a smaller executor.env, or split the queues across configs",
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human(3 << 19), "1.5 MiB");
        assert_eq!(human((3 << 19) + 1), "1.51 MiB");
        assert_eq!(human(256 << 10), "256 KiB");
        assert_eq!(human(64 << 20), "64 MiB");
        assert_eq!(human(12), "12 bytes");
        assert_eq!(millions(8_200_000), "8.2 million");
        assert_eq!(millions(5_000_000), "5 million");
    }

    #[test]
    fn a_block_string_costs_its_indentation_per_line() {
        assert_eq!(yaml_str("abc", 4), 3);
        assert_eq!(json_str("abc"), 5);
        assert_eq!(yaml_str("yes", 4), 5);
        assert!(yaml_str(&"a\n".repeat(100), 8) >= 200 + 100 * 8);
    }
}
