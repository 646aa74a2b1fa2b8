//! The config model: a `Case` is one config as the generators build it, across the charts'
//! knobs (both modes, the plain and the KRM form, YAML or JSON, one or several queues,
//! every optional layer), with the strategies that build it: `any_case` for all of them,
//! `valid_case` for those the docs call valid. The text a case writes and what it must
//! render to are in expected.rs.

use super::expected::{collides_with_registry, map};
use super::quantities::{cpu_qty, mem_text, resources, Resources};
use super::strings::{
    annotation_key, dns_label, env_name, hostile, label_value, non_empty, qualified_key, subdomain,
};
use super::{QUEUES, TOOL_ANNOTATION_KEYS, TOOL_LABEL_KEYS};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde_yaml::{Mapping, Value};
use sg_executor_gen::config::Mode;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum EnvVal {
    Value(String),
    Secret { name: String, key: String },
}

/// Variables with literal values, as `EnvVal`s.
pub(super) fn literal_env(vars: &BTreeMap<String, String>) -> BTreeMap<String, EnvVal> {
    vars.iter()
        .map(|(k, v)| (k.clone(), EnvVal::Value(v.clone())))
        .collect()
}

fn env_val() -> BoxedStrategy<EnvVal> {
    prop_oneof![
        4 => hostile().prop_map(EnvVal::Value),
        1 => (subdomain(), "[-._a-zA-Z0-9]{1,12}")
            .prop_map(|(name, key)| EnvVal::Secret { name, key }),
    ]
    .boxed()
}

fn env_map() -> BoxedStrategy<BTreeMap<String, EnvVal>> {
    btree_map(env_name(), env_val(), 0..4).boxed()
}

impl EnvVal {
    pub(super) fn config_value(&self) -> Value {
        match self {
            EnvVal::Value(v) => map([("value", Value::String(v.clone()))]),
            EnvVal::Secret { name, key } => map([(
                "valueFrom",
                map([(
                    "secretKeyRef",
                    map([
                        ("name", Value::String(name.clone())),
                        ("key", Value::String(key.clone())),
                    ]),
                )]),
            )]),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) enum QueueSel {
    Name(&'static str),
    Names(Vec<&'static str>),
}

fn queue_sel() -> BoxedStrategy<QueueSel> {
    prop_oneof![
        select(&QUEUES[..]).prop_map(QueueSel::Name),
        select(vec![
            vec!["batches"],
            vec!["codeintel"],
            vec!["batches", "codeintel"],
            vec!["codeintel", "batches"],
        ])
        .prop_map(QueueSel::Names),
    ]
    .boxed()
}

impl QueueSel {
    pub(super) fn insert(&self, m: &mut Mapping) {
        match self {
            QueueSel::Name(q) => {
                m.insert("queueName".into(), (*q).into());
            }
            QueueSel::Names(qs) => {
                m.insert(
                    "queueNames".into(),
                    Value::Sequence(qs.iter().map(|q| (*q).into()).collect()),
                );
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct QueueEntry {
    pub(super) name: String,
    pub(super) sel: Option<QueueSel>,
    pub(super) replicas: Option<i64>,
    pub(super) resources: Option<Resources>,
    pub(super) env: BTreeMap<String, EnvVal>,
}

fn queue_entry_name() -> BoxedStrategy<String> {
    prop_oneof![
        select(
            &[
                "batches",
                "codeintel",
                "registry",
                "docker-registry",
                "config",
                "secret",
                "a"
            ][..]
        )
        .prop_map(str::to_string),
        dns_label(),
    ]
    .boxed()
}

fn queue_entries() -> BoxedStrategy<Vec<QueueEntry>> {
    btree_map(
        queue_entry_name(),
        (
            option::of(queue_sel()),
            option::of(0i64..5),
            option::of(resources()),
            env_map(),
        ),
        1..=3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|(name, (sel, replicas, resources, env))| {
                // The entry's name is its queue unless it names one.
                let sel = match sel {
                    None if !QUEUES.contains(&name.as_str()) => Some(QueueSel::Name("batches")),
                    sel => sel,
                };
                QueueEntry {
                    name,
                    sel,
                    replicas,
                    resources,
                    env,
                }
            })
            .collect::<Vec<_>>()
    })
    .prop_shuffle()
    .boxed()
}

#[derive(Debug, Clone)]
pub(super) enum Password {
    Existing(String),
    Literal(String),
    /// Both set: the existing Secret wins and the literal is ignored (with a warning).
    Both(String, String),
}

fn password() -> BoxedStrategy<Password> {
    prop_oneof![
        3 => subdomain().prop_map(Password::Existing),
        2 => non_empty(hostile()).prop_map(Password::Literal),
        1 => (subdomain(), non_empty(hostile())).prop_map(|(s, p)| Password::Both(s, p)),
    ]
    .boxed()
}

fn frontend_url() -> BoxedStrategy<String> {
    (
        select(&["http", "https"][..]),
        select(
            &[
                "sourcegraph-frontend.sourcegraph.svc.cluster.local",
                "sourcegraph-frontend",
                "sourcegraph.example.com",
                "10.0.0.1",
            ][..],
        ),
        option::of(1u16..=65535),
        option::of(hostile()),
    )
        .prop_map(|(scheme, host, port, path)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            // Tabs and newlines are control characters, which a URL may not hold.
            let path = path
                .map(|p| format!("/{}", p.replace(['\n', '\t'], "")))
                .unwrap_or_default();
            // Credentials (`user@`) are refused: they would land in a ConfigMap.
            format!("{scheme}://{host}{port}{path}")
        })
        .boxed()
}

fn toleration() -> BoxedStrategy<Value> {
    (
        qualified_key(),
        option::of(label_value()),
        select(&["", "NoSchedule", "PreferNoSchedule", "NoExecute"][..]),
        option::of(0i64..3600),
    )
        .prop_map(|(key, value, effect, seconds)| {
            let mut m = Mapping::new();
            m.insert("key".into(), key.into());
            match value {
                Some(v) => {
                    m.insert("operator".into(), "Equal".into());
                    m.insert("value".into(), v.into());
                }
                None => {
                    m.insert("operator".into(), "Exists".into());
                }
            }
            if !effect.is_empty() {
                m.insert("effect".into(), effect.into());
            }
            if let (Some(s), "NoExecute") = (seconds, effect) {
                m.insert("tolerationSeconds".into(), s.into());
            }
            Value::Mapping(m)
        })
        .boxed()
}

fn affinity() -> BoxedStrategy<Value> {
    (qualified_key(), vec(label_value(), 1..3))
        .prop_map(|(key, values)| {
            let expr = map([
                ("key", key.into()),
                ("operator", "In".into()),
                (
                    "values",
                    Value::Sequence(values.into_iter().map(Value::from).collect()),
                ),
            ]);
            map([(
                "nodeAffinity",
                map([(
                    "requiredDuringSchedulingIgnoredDuringExecution",
                    map([(
                        "nodeSelectorTerms",
                        Value::Sequence(vec![map([(
                            "matchExpressions",
                            Value::Sequence(vec![expr]),
                        )])]),
                    )]),
                )]),
            )])
        })
        .boxed()
}

#[derive(Debug, Clone)]
pub(super) struct Pods {
    pub(super) labels: BTreeMap<String, String>,
    pub(super) pod_labels: BTreeMap<String, String>,
    pub(super) pod_annotations: BTreeMap<String, String>,
    pub(super) node_selector: BTreeMap<String, String>,
    pub(super) tolerations: Vec<Value>,
    pub(super) affinity: Option<Value>,
    pub(super) priority_class: Option<String>,
    pub(super) pull_secrets: Vec<String>,
}

fn tool_label(k: &str) -> bool {
    TOOL_LABEL_KEYS.contains(&k)
}

fn pods() -> BoxedStrategy<Pods> {
    (
        btree_map(qualified_key(), label_value(), 0..3),
        btree_map(qualified_key(), label_value(), 0..3),
        btree_map(annotation_key(), hostile(), 0..5),
        btree_map(qualified_key(), label_value(), 0..3),
        vec(toleration(), 0..3),
        option::of(affinity()),
        option::of(subdomain()),
        vec(subdomain(), 0..2),
    )
        .prop_map(
            |(
                mut labels,
                mut pod_labels,
                mut pod_annotations,
                node_selector,
                tolerations,
                affinity,
                priority_class,
                pull_secrets,
            )| {
                labels.retain(|k, _| !tool_label(k));
                pod_labels.retain(|k, _| !tool_label(k));
                pod_annotations.retain(|k, _| !TOOL_ANNOTATION_KEYS.contains(&k.as_str()));
                Pods {
                    labels,
                    pod_labels,
                    pod_annotations,
                    node_selector,
                    tolerations,
                    affinity,
                    priority_class,
                    pull_secrets,
                }
            },
        )
        .boxed()
}

#[derive(Debug, Clone)]
pub(super) struct StorageClass {
    pub(super) name: String,
    pub(super) create: bool,
    /// Parameters of a created class; keys and values are free-form strings.
    pub(super) parameters: BTreeMap<String, String>,
}

/// A free-form mapping key. `<<` is refused on purpose (merge keys), even quoted.
fn free_key() -> BoxedStrategy<String> {
    non_empty(hostile())
        .prop_filter("a merge key", |k| k != "<<")
        .boxed()
}

fn storage_class() -> BoxedStrategy<StorageClass> {
    (
        subdomain(),
        any::<bool>(),
        btree_map(free_key(), hostile(), 0..3),
    )
        .prop_map(|(name, create, parameters)| StorageClass {
            name,
            create,
            parameters,
        })
        .boxed()
}

#[derive(Debug, Clone)]
pub(super) struct Common {
    pub(super) frontend_url: String,
    pub(super) password: Password,
    pub(super) queue: QueueSel,
    pub(super) max_jobs: Option<i64>,
    pub(super) runtime: Option<&'static str>,
    pub(super) log_level: Option<&'static str>,
    pub(super) log_format: Option<&'static str>,
    pub(super) resources: Option<Resources>,
    pub(super) pods: Pods,
    pub(super) storage_class: Option<StorageClass>,
}

fn common() -> BoxedStrategy<Common> {
    (
        frontend_url(),
        password(),
        queue_sel(),
        option::of(1i64..64),
        option::of(select(&["30m", "1h", "1h30m", "90s", "2h45m10s"][..])),
        option::of(select(&["dbug", "info", "warn", "eror", "crit"][..])),
        option::of(select(&["json", "json_gcp", "condensed", "logfmt"][..])),
        option::of(resources()),
        pods(),
        option::of(storage_class()),
    )
        .prop_map(
            |(
                frontend_url,
                password,
                queue,
                max_jobs,
                runtime,
                log_level,
                log_format,
                resources,
                pods,
                storage_class,
            )| Common {
                frontend_url,
                password,
                queue,
                max_jobs,
                runtime,
                log_level,
                log_format,
                resources,
                pods,
                storage_class,
            },
        )
        .boxed()
}

#[derive(Debug, Clone)]
pub(super) enum Storage {
    Default,
    /// `Some("")` means unlimited.
    EmptyDir(Option<String>),
    Ephemeral {
        size: String,
        class: Option<String>,
    },
}

fn storage() -> BoxedStrategy<Storage> {
    prop_oneof![
        Just(Storage::Default),
        option::of(prop_oneof![3 => mem_text(), 1 => Just(String::new())])
            .prop_map(Storage::EmptyDir),
        (mem_text(), option::of(subdomain()))
            .prop_map(|(size, class)| Storage::Ephemeral { size, class }),
    ]
    .boxed()
}

/// daemon.json directives whose strings dockerd takes as they come (daemon.json allows only
/// the directives dockerd knows).
const FREE_STRING_DIRECTIVES: &[&str] = &[
    "containerd-namespace",
    "containerd-plugins-namespace",
    "no-proxy",
    "swarm-default-advertise-addr",
];

#[derive(Debug, Clone)]
pub(super) struct DindKnobs {
    pub(super) queues: Option<Vec<QueueEntry>>,
    pub(super) replica_count: Option<i64>,
    pub(super) env: BTreeMap<String, EnvVal>,
    pub(super) registry: Option<bool>,
    pub(super) registry_env: BTreeMap<String, String>,
    pub(super) registry_resources: Option<Resources>,
    pub(super) registry_storage: Option<String>,
    pub(super) gvisor: Option<bool>,
    pub(super) storage: Storage,
    pub(super) dind_resources: Option<Resources>,
    pub(super) daemon_labels: Option<Vec<String>>,
    /// String directives dockerd does not read further, with any value.
    pub(super) daemon_extra: BTreeMap<String, String>,
    /// `features`, whose names dockerd takes as they come.
    pub(super) daemon_features: BTreeMap<String, bool>,
}

fn dind_knobs() -> BoxedStrategy<DindKnobs> {
    (
        option::of(queue_entries()),
        option::of(0i64..5),
        env_map(),
        option::of(any::<bool>()),
        btree_map(env_name(), hostile(), 0..3),
        option::of(resources()),
        option::of(mem_text()),
        option::of(any::<bool>()),
        storage(),
        option::of(resources()),
        (
            option::of(vec(hostile().prop_map(|v| format!("x={v}")), 0..3)),
            btree_map(select(FREE_STRING_DIRECTIVES), hostile(), 0..3),
            btree_map(free_key(), any::<bool>(), 0..3),
        ),
    )
        .prop_map(
            |(
                queues,
                replica_count,
                env,
                registry,
                registry_env,
                registry_resources,
                registry_storage,
                gvisor,
                storage,
                dind_resources,
                (daemon_labels, daemon_extra, mut daemon_features),
            )| {
                // gVisor's own feature, which its daemonConfig sets over the admin's.
                daemon_features.remove("containerd-snapshotter");
                let daemon_extra = daemon_extra
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect();
                DindKnobs {
                    queues,
                    replica_count,
                    env,
                    registry,
                    registry_env,
                    registry_resources,
                    registry_storage,
                    gvisor,
                    storage,
                    dind_resources,
                    daemon_labels,
                    daemon_extra,
                    daemon_features,
                }
            },
        )
        .boxed()
}

#[derive(Debug, Clone)]
pub(super) struct K8sKnobs {
    pub(super) configure_rbac: Option<bool>,
    pub(super) job_namespace: Option<String>,
    pub(super) kubeconfig_path: Option<String>,
    pub(super) storage_size: Option<String>,
    pub(super) deadline: Option<i64>,
    pub(super) ids: (Option<i64>, Option<i64>, Option<i64>),
    pub(super) job_resources: [Option<String>; 4],
    pub(super) node_name: Option<String>,
    pub(super) node_selector: Option<String>,
    pub(super) node_tolerations: Option<String>,
    pub(super) pod_affinity: Option<String>,
    pub(super) debug: (Option<bool>, Option<bool>),
    pub(super) extra_env: BTreeMap<String, String>,
    pub(super) local_dev: Option<bool>,
    /// Put nodeSelector and tolerations under `executor` (the native chart's keys).
    pub(super) executor_scheduling: bool,
}

fn k8s_knobs() -> BoxedStrategy<K8sKnobs> {
    let cpu_text = || cpu_qty().prop_map(|q| q.text);
    (
        (
            option::of(any::<bool>()),
            option::of(dns_label()),
            option::of(hostile()),
            option::of(mem_text()),
            option::of(1i64..100_000),
            (
                option::of(0i64..65536),
                option::of(0i64..65536),
                option::of(0i64..65536),
            ),
        ),
        (
            option::of(cpu_text()),
            option::of(mem_text()),
            option::of(cpu_text()),
            option::of(mem_text()),
        ),
        (
            option::of(subdomain()),
            option::of(btree_map(qualified_key(), label_value(), 1..3)),
            option::of(vec(toleration(), 0..3)),
            option::of((qualified_key(), label_value())),
        ),
        (
            (option::of(any::<bool>()), option::of(any::<bool>())),
            btree_map(env_name(), hostile(), 0..4),
            option::of(any::<bool>()),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (configure_rbac, job_namespace, kubeconfig_path, storage_size, deadline, ids),
                (rc, rm, lc, lm),
                (node_name, selector, tolerations, pod_affinity),
                (debug, extra_env, local_dev, executor_scheduling),
            )| K8sKnobs {
                configure_rbac,
                job_namespace,
                kubeconfig_path,
                storage_size,
                deadline,
                ids,
                job_resources: [rc, rm, lc, lm],
                node_name,
                node_selector: selector.map(|s| {
                    s.iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(",")
                }),
                node_tolerations: tolerations
                    .map(|t| serde_json::to_string(&t).expect("tolerations are JSON")),
                pod_affinity: pod_affinity.map(|(k, v)| {
                    serde_json::json!([{
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {k: v}}
                    }])
                    .to_string()
                }),
                debug,
                extra_env,
                local_dev,
                executor_scheduling,
            },
        )
        .boxed()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ModeVia {
    /// No `mode` anywhere (dind only).
    Default,
    Spec,
    Override,
}

#[derive(Debug, Clone)]
pub(super) struct Case {
    pub(super) krm: bool,
    pub(super) json: bool,
    pub(super) name: Option<String>,
    pub(super) file_namespace: Option<String>,
    pub(super) override_namespace: Option<String>,
    pub(super) krm_annotations: BTreeMap<String, String>,
    pub(super) mode: Mode,
    pub(super) mode_via: ModeVia,
    pub(super) common: Common,
    pub(super) dind: DindKnobs,
    pub(super) k8s: K8sKnobs,
}

fn stack_name() -> BoxedStrategy<String> {
    prop_oneof![
        select(
            &[
                "executor",
                "private-docker",
                "private",
                "x",
                "sg-executor",
                "executor-1234567890123456789012345678901"
            ][..]
        )
        .prop_map(str::to_string),
        "[a-z]([a-z0-9-]{0,14}[a-z0-9])?",
    ]
    .boxed()
}

pub(super) fn any_case() -> BoxedStrategy<Case> {
    (
        (
            any::<bool>(),
            prop::bool::weighted(0.2),
            option::of(stack_name()),
            option::of(dns_label()),
            option::of(dns_label()),
            btree_map(annotation_key(), hostile(), 0..2),
        ),
        (
            select(&[Mode::Dind, Mode::Kubernetes][..]),
            select(&[ModeVia::Default, ModeVia::Spec, ModeVia::Override][..]),
        ),
        common(),
        dind_knobs(),
        k8s_knobs(),
    )
        .prop_map(
            |(
                (krm, json, name, file_namespace, override_namespace, krm_annotations),
                (mode, mode_via),
                common,
                dind,
                k8s,
            )| {
                let mode_via = match (mode, mode_via) {
                    (Mode::Kubernetes, ModeVia::Default) => ModeVia::Spec,
                    (_, via) => via,
                };
                // An annotation the KRM metadata and a pod annotation both set, to two
                // values, is a refusal; its own property is the transcripts'.
                let mut krm_annotations = krm_annotations;
                krm_annotations
                    .retain(|k, v| common.pods.pod_annotations.get(k).is_none_or(|p| p == v));
                Case {
                    krm,
                    json,
                    name,
                    file_namespace,
                    override_namespace,
                    krm_annotations,
                    mode,
                    mode_via,
                    common,
                    dind,
                    k8s,
                }
            },
        )
        .boxed()
}

/// Configs the docs call valid. A stack or queue Deployment named like the registry's
/// objects is refused (a located config error), so it is left to its own property.
pub(super) fn valid_case() -> BoxedStrategy<Case> {
    any_case()
        .prop_filter("named like the registry", |c| !collides_with_registry(c))
        .boxed()
}
