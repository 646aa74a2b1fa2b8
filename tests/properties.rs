//! Property tests. The examples, golden trees and transcripts pin a few dozen hand-picked
//! inputs; these properties search the space between them. They generate valid configs
//! across the charts' knobs (both modes, both config forms, one or several queues, every
//! optional layer), fill every free-form value with strings built to break YAML (newlines,
//! `---`, `kind: Secret`, quotes, YAML 1.1 booleans, number-like text, unicode), and check the
//! README's promises for each: a valid config renders; user strings come out exactly as
//! written and never add, drop or reshape an object; the same config gives the same bytes;
//! the component tree builds (read the way kustomize reads it, and with the real
//! `kubectl kustomize`) to exactly the objects `render` prints. Another property feeds
//! arbitrary bytes and YAML-shaped junk to the binary and the library: never a panic, exit 0
//! or 2, nothing on stdout after an error. The last ones pin, each on its own, the inputs
//! these properties found the tool mishandling, so a regression names itself.
//!
//! Case counts: `PROPTEST_CASES` (default 64) for the two main library properties, the
//! arbitrary-input one and the equal-quantities one; an eighth of that (at least one) for
//! the `kubectl kustomize` ones; at most 16 for the other edge cases. A missing kubectl fails
//! the kubectl properties, never skips them (`KUBECTL` names another binary). Failures are
//! not persisted to a regressions file; proptest prints the minimal input and the config.

mod common;

use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde::Deserialize;
use serde_yaml::{Mapping, Value};
use sg_executor_gen::config::Mode;
use sg_executor_gen::config::Overrides;
use sg_executor_gen::pipeline::{generate, Generated, PipelineError};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(64)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        // Keep the source tree clean; a failure prints its minimal input instead.
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases.max(1))
    }
}

/// The chart's registry name, which the tool no longer uses but a config may still hold.
const CHART_REGISTRY: &str = "private-docker-registry";
const QUEUES: [&str; 2] = ["batches", "codeintel"];

/// Environment variables the tool sets itself (`MANAGED_ENV` in validate.rs), plus the
/// registry's own default, which a user entry would replace rather than add to.
#[rustfmt::skip]
const MANAGED_ENV: &[&str] = &[
    "EXECUTOR_FRONTEND_URL", "EXECUTOR_FRONTEND_PASSWORD", "EXECUTOR_QUEUE_NAME",
    "EXECUTOR_QUEUE_NAMES", "EXECUTOR_MAXIMUM_NUM_JOBS", "EXECUTOR_MAXIMUM_RUNTIME_PER_JOB",
    "SRC_LOG_LEVEL", "SRC_LOG_FORMAT", "SRC_TRACE_LOG", "EXECUTOR_DOCKER_ADD_HOST_GATEWAY",
    "EXECUTOR_KEEP_WORKSPACES", "EXECUTOR_USE_FIRECRACKER", "DOCKER_HOST", "TMPDIR",
    "EXECUTOR_KUBERNETES_NAMESPACE", "EXECUTOR_KUBERNETES_CONFIG_PATH",
    "KUBERNETES_JOB_DEADLINE", "KUBERNETES_KEEP_JOBS",
    "EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME", "EXECUTOR_KUBERNETES_NODE_NAME",
    "EXECUTOR_KUBERNETES_NODE_SELECTOR", "EXECUTOR_KUBERNETES_NODE_TOLERATIONS",
    "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
    "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
    "EXECUTOR_KUBERNETES_POD_AFFINITY", "EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY",
    "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU",
    "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY", "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU",
    "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY", "KUBERNETES_RUN_AS_USER",
    "KUBERNETES_RUN_AS_GROUP", "KUBERNETES_FS_GROUP", "REGISTRY_PROXY_REMOTEURL",
];

/// Label keys the tool sets on objects and pods; a user label there is a different test.
const TOOL_LABEL_KEYS: &[&str] = &[
    "app",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "deploy",
    "sourcegraph-resource-requires",
];
/// Pod annotations the tool sets itself.
const TOOL_ANNOTATION_KEYS: &[&str] =
    &["checksum/config", "kubectl.kubernetes.io/default-container"];
/// daemon.json keys the tool sets or checks.
#[rustfmt::skip]
const DAEMON_KEYS: &[&str] = &[
    "hosts", "mtu", "tls", "registry-mirrors", "insecure-registries", "features",
    "ip6tables", "iptables", "storage-driver", "labels",
];

// ---------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------

/// What the tool accepts in a value: no control characters but tab and newline, none of
/// the line separators, the byte-order mark or the noncharacters U+FFFE and U+FFFF (refused
/// on purpose, see source.rs; `noncharacters_in_values_render_or_are_refused` covers those).
fn allowed_char(c: char) -> bool {
    let refused = (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        );
    !refused
}

/// Strings chosen to break a YAML writer or reader, or a template.
#[rustfmt::skip]
const HOSTILE: &[&str] = &[
    "", " ", "  leading spaces", "trailing space ", "\n", "\n\n", " \n", "\n ", "\t",
    "tab\there", "a\nb", "a\n\n\nb\n\n", "\nleading newline", "  \nindented first line",
    "x\n---\nkind: Secret\nmetadata:\n  name: evil\n", "\"\n---\n", "---", "--- !!str",
    "...", "kind: Secret", "apiVersion: v1\nkind: Secret", "{a: b}", "[1, 2]",
    "{{ c.name }}", "{% if true %}x{% endif %}", "{# comment #}", "'single'", "\"double\"",
    "''", "\"\"", "# comment", "a #b", "a: b", "key:", ":", "-", "- item", "-- x", "? q",
    "yes", "no", "on", "off", "Yes", "NO", "y", "n", "true", "False", "null", "Null", "~",
    "0", "-1", "+12", "007", "0x1F", "0o17", "0b101", "1e3", "1E-3", ".5", "+.inf", ".NaN",
    "1_000", "1:20", "12:30:45", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5", "<<", "=", "&a", "*a", "!tag", "!!binary aGk=",
    "%YAML 1.2", "@x", "`x`", "|", ">", "|-\n  x", "x: |\n  y", "\\", "a\\nb", "\\u0041",
    "é", "日本語", "🦀", "𝕏", "\u{a0}nbsp", "\u{fffd}\u{fdd0}\u{10ffff}", "\u{3000}",
    "zero\u{200b}width", "$(rm -rf /)", "${HOME}", "%s %d", "50GB", "tcp://0.0.0.0:2375",
    "-_0", "+_1_0",
];

fn filtered(s: String) -> String {
    s.chars().filter(|c| allowed_char(*c)).collect()
}

fn hostile() -> BoxedStrategy<String> {
    let piece = prop_oneof![
        select(HOSTILE).prop_map(str::to_string),
        any::<char>().prop_map(|c| filtered(c.to_string())),
        "[ a-zA-Z0-9:#{}\\[\\]'\"\n\t,&*!|>%@`~-]{1,6}",
    ];
    prop_oneof![
        2 => select(HOSTILE).prop_map(str::to_string),
        3 => vec(piece, 0..6).prop_map(|p| p.concat()),
        1 => "\\PC{0,24}".prop_map(filtered),
    ]
    // An object annotation that starts with a tab and spans lines is refused on purpose:
    // kubectl kustomize cannot build it (characters.rs, and a test in consumers.rs).
    .prop_map(|s| {
        if s.starts_with('\t') && s.contains('\n') {
            format!("x{s}")
        } else {
            s
        }
    })
    .boxed()
}

fn non_empty(s: BoxedStrategy<String>) -> BoxedStrategy<String> {
    s.prop_map(|s| if s.is_empty() { "x".into() } else { s })
        .boxed()
}

fn dns_label() -> BoxedStrategy<String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?".boxed()
}

fn subdomain() -> BoxedStrategy<String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?){0,2}".boxed()
}

fn key_name() -> BoxedStrategy<String> {
    "[A-Za-z0-9]([A-Za-z0-9_.-]{0,16}[A-Za-z0-9])?".boxed()
}

/// A label or annotation key: `[prefix/]name`.
fn qualified_key() -> BoxedStrategy<String> {
    prop_oneof![
        select(
            &[
                "team",
                "example.com/owner",
                "prometheus.io/scrape",
                "cluster-autoscaler.kubernetes.io/safe-to-evict",
                "a",
            ][..]
        )
        .prop_map(str::to_string),
        key_name(),
        (subdomain(), key_name()).prop_map(|(p, n)| format!("{p}/{n}")),
    ]
    .boxed()
}

/// An annotation key: a qualified name that YAML does not read as a number or boolean
/// (kubectl kustomize cannot build those, so the tool refuses them). YAML 1.1 readers
/// count too: `00` is a string to serde_yaml but an octal number to kustomize, so the
/// tool's own rule decides.
fn annotation_key() -> BoxedStrategy<String> {
    qualified_key()
        .prop_filter("reads as a YAML scalar", |k| {
            let v: serde_yaml::Value = serde_yaml::from_str(k).unwrap_or(Value::Null);
            matches!(v, Value::String(_)) && sg_executor_gen::config::node_de::is_plain_string(k)
        })
        .boxed()
}

fn label_value() -> BoxedStrategy<String> {
    "([A-Za-z0-9]([A-Za-z0-9_.-]{0,16}[A-Za-z0-9])?)?".boxed()
}

fn env_name() -> BoxedStrategy<String> {
    prop_oneof![
        select(&["SRC_HEADER_X_TEAM", "HTTP_PROXY", "no_proxy", "A", "x.y-z"][..])
            .prop_map(str::to_string),
        "[A-Za-z_][A-Za-z0-9_.-]{0,15}",
    ]
    .prop_filter("managed by the tool", |n| {
        !MANAGED_ENV.contains(&n.as_str())
    })
    .boxed()
}

// ---------------------------------------------------------------------------------------
// Quantities and resources
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Qty {
    text: String,
    /// The exact amount in thousandths, to order requests below limits.
    millis: u128,
    /// Written as a YAML number instead of a string.
    as_int: bool,
}

impl Qty {
    fn value(&self) -> Value {
        if self.as_int {
            Value::Number(self.text.parse::<u64>().expect("an integer").into())
        } else {
            Value::String(self.text.clone())
        }
    }
}

fn cpu_qty() -> BoxedStrategy<Qty> {
    (0u8..5, 1u128..=16_000, 1u128..=16, 1u128..=160)
        .prop_map(|(form, m, cores, tenths)| match form {
            0 => Qty {
                text: format!("{m}m"),
                millis: m,
                as_int: false,
            },
            1 => Qty {
                text: cores.to_string(),
                millis: cores * 1000,
                as_int: true,
            },
            2 => Qty {
                text: cores.to_string(),
                millis: cores * 1000,
                as_int: false,
            },
            3 => Qty {
                text: format!("{}.{}", tenths / 10, tenths % 10),
                millis: tenths * 100,
                as_int: false,
            },
            _ => Qty {
                text: format!("{}m", tenths * 100),
                millis: tenths * 100,
                as_int: false,
            },
        })
        .boxed()
}

const MEM_UNITS: &[(&str, u128)] = &[
    ("Ki", 1 << 10),
    ("Mi", 1 << 20),
    ("Gi", 1 << 30),
    ("k", 1_000),
    ("M", 1_000_000),
    ("G", 1_000_000_000),
    ("", 1),
    ("e6", 1_000_000),
];

fn mem_qty() -> BoxedStrategy<Qty> {
    (1u128..=4096, 0..MEM_UNITS.len(), any::<bool>())
        .prop_map(|(n, unit, as_int)| {
            let (suffix, factor) = MEM_UNITS[unit];
            let n = match suffix {
                "" => n << 20,
                "Ki" | "k" => n << 10,
                _ => n,
            };
            Qty {
                text: format!("{n}{suffix}"),
                millis: n * factor * 1000,
                as_int: as_int && suffix.is_empty(),
            }
        })
        .boxed()
}

fn mem_text() -> BoxedStrategy<String> {
    mem_qty().prop_map(|q| q.text).boxed()
}

/// Every way to write the same amount: `700m` and `0.7`, `1Gi` and `1024Mi`, `1k` and `1e3`.
fn spellings(q: &Qty, memory: bool) -> Vec<Qty> {
    let m = q.millis;
    let mut out = Vec::new();
    let mut add = |text: String, as_int: bool| {
        out.push(Qty {
            text,
            millis: m,
            as_int,
        })
    };
    if memory {
        let b = m / 1000;
        add(b.to_string(), false);
        add(b.to_string(), true);
        for (suffix, factor) in MEM_UNITS.iter().filter(|(s, _)| !s.is_empty()) {
            if b.is_multiple_of(*factor) {
                add(format!("{}{suffix}", b / factor), false);
            }
        }
        if b.is_multiple_of(1000) {
            add(format!("{}e3", b / 1000), false);
        }
    } else {
        add(format!("{m}m"), false);
        add(format!("{}.{:03}", m / 1000, m % 1000), false);
        if m.is_multiple_of(100) {
            add(format!("{}.{}", m / 1000, (m % 1000) / 100), false);
        }
        if m.is_multiple_of(1000) {
            add((m / 1000).to_string(), false);
            add((m / 1000).to_string(), true);
        }
    }
    out
}

/// A request and a limit for one resource, the request never above the limit; sometimes
/// equal, in different spellings.
fn qty_pair(q: BoxedStrategy<Qty>, memory: bool) -> BoxedStrategy<(Option<Qty>, Option<Qty>)> {
    (0u8..6, q.clone(), q, any::<prop::sample::Index>())
        .prop_map(move |(which, a, b, pick)| {
            let (lo, hi) = if a.millis <= b.millis { (a, b) } else { (b, a) };
            match which {
                0 => (None, None),
                1 => (Some(lo), None),
                2 => (None, Some(hi)),
                3 => (Some(lo), Some(hi)),
                _ => {
                    let alt = pick.get(&spellings(&lo, memory)).clone();
                    if which == 4 {
                        (Some(lo), Some(alt))
                    } else {
                        (Some(alt), Some(lo))
                    }
                }
            }
        })
        .boxed()
}

#[derive(Debug, Clone)]
struct Resources {
    cpu: (Option<Qty>, Option<Qty>),
    memory: (Option<Qty>, Option<Qty>),
}

fn resources() -> BoxedStrategy<Resources> {
    (qty_pair(cpu_qty(), false), qty_pair(mem_qty(), true))
        .prop_map(|(cpu, memory)| Resources { cpu, memory })
        .boxed()
}

impl Resources {
    fn value(&self) -> Value {
        let mut requests = Mapping::new();
        let mut limits = Mapping::new();
        for (name, (req, lim)) in [("cpu", &self.cpu), ("memory", &self.memory)] {
            if let Some(q) = req {
                requests.insert(name.into(), q.value());
            }
            if let Some(q) = lim {
                limits.insert(name.into(), q.value());
            }
        }
        let mut m = Mapping::new();
        if !requests.is_empty() {
            m.insert("requests".into(), Value::Mapping(requests));
        }
        if !limits.is_empty() {
            m.insert("limits".into(), Value::Mapping(limits));
        }
        Value::Mapping(m)
    }
}

// ---------------------------------------------------------------------------------------
// The config model
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum EnvVal {
    Value(String),
    Secret { name: String, key: String },
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
    fn config_value(&self) -> Value {
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
enum QueueSel {
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
    fn insert(&self, m: &mut Mapping) {
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
struct QueueEntry {
    name: String,
    sel: Option<QueueSel>,
    replicas: Option<i64>,
    resources: Option<Resources>,
    env: BTreeMap<String, EnvVal>,
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
enum Password {
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
struct Pods {
    labels: BTreeMap<String, String>,
    pod_labels: BTreeMap<String, String>,
    pod_annotations: BTreeMap<String, String>,
    node_selector: BTreeMap<String, String>,
    tolerations: Vec<Value>,
    affinity: Option<Value>,
    priority_class: Option<String>,
    pull_secrets: Vec<String>,
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
struct StorageClass {
    name: String,
    create: bool,
    /// Parameters of a created class; keys and values are free-form strings.
    parameters: BTreeMap<String, String>,
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
struct Common {
    frontend_url: String,
    password: Password,
    queue: QueueSel,
    max_jobs: Option<i64>,
    runtime: Option<&'static str>,
    log_level: Option<&'static str>,
    log_format: Option<&'static str>,
    resources: Option<Resources>,
    pods: Pods,
    storage_class: Option<StorageClass>,
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
enum Storage {
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

#[derive(Debug, Clone)]
struct DindKnobs {
    queues: Option<Vec<QueueEntry>>,
    replica_count: Option<i64>,
    env: BTreeMap<String, EnvVal>,
    registry: Option<bool>,
    registry_env: BTreeMap<String, String>,
    registry_resources: Option<Resources>,
    registry_storage: Option<String>,
    gvisor: Option<bool>,
    storage: Storage,
    dind_resources: Option<Resources>,
    daemon_labels: Option<Vec<String>>,
    daemon_extra: BTreeMap<String, String>,
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
        option::of(vec(hostile(), 0..3)),
        btree_map(free_key(), hostile(), 0..3),
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
                daemon_labels,
                mut daemon_extra,
            )| {
                daemon_extra.retain(|k, _| !DAEMON_KEYS.contains(&k.as_str()));
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
                }
            },
        )
        .boxed()
}

#[derive(Debug, Clone)]
struct K8sKnobs {
    configure_rbac: Option<bool>,
    job_namespace: Option<String>,
    kubeconfig_path: Option<String>,
    storage_size: Option<String>,
    deadline: Option<i64>,
    ids: (Option<i64>, Option<i64>, Option<i64>),
    job_resources: [Option<String>; 4],
    node_name: Option<String>,
    node_selector: Option<String>,
    node_tolerations: Option<String>,
    pod_affinity: Option<String>,
    debug: (Option<bool>, Option<bool>),
    extra_env: BTreeMap<String, String>,
    local_dev: Option<bool>,
    /// Put nodeSelector and tolerations under `executor` (the native chart's keys).
    executor_scheduling: bool,
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
enum ModeVia {
    /// No `mode` anywhere (dind only).
    Default,
    Spec,
    Override,
}

#[derive(Debug, Clone)]
struct Case {
    krm: bool,
    json: bool,
    name: Option<String>,
    file_namespace: Option<String>,
    override_namespace: Option<String>,
    krm_annotations: BTreeMap<String, String>,
    mode: Mode,
    mode_via: ModeVia,
    common: Common,
    dind: DindKnobs,
    k8s: K8sKnobs,
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

fn any_case() -> BoxedStrategy<Case> {
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

/// Configs the README calls valid. A stack or queue Deployment named like the registry's
/// objects is refused (a located config error), so it is left to its own property.
fn valid_case() -> BoxedStrategy<Case> {
    any_case()
        .prop_filter("named like the registry", |c| !collides_with_registry(c))
        .boxed()
}

// ---------------------------------------------------------------------------------------
// The model: the config text and what it must render to
// ---------------------------------------------------------------------------------------

fn map<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    Value::Mapping(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn string_map(m: &BTreeMap<String, String>) -> Value {
    Value::Mapping(
        m.iter()
            .map(|(k, v)| (Value::from(k.clone()), Value::from(v.clone())))
            .collect(),
    )
}

fn env_config(m: &BTreeMap<String, EnvVal>) -> Value {
    Value::Mapping(
        m.iter()
            .map(|(k, v)| (Value::from(k.clone()), v.config_value()))
            .collect(),
    )
}

struct Worker {
    name: String,
    env: BTreeMap<String, EnvVal>,
}

impl Case {
    fn stack(&self) -> String {
        match (&self.name, self.krm) {
            (Some(n), true) => n.clone(),
            _ => "executor".into(),
        }
    }

    fn namespace(&self) -> Option<String> {
        let file = self.file_namespace.clone().filter(|_| self.krm);
        self.override_namespace.clone().or(file)
    }

    fn overrides(&self) -> Overrides {
        Overrides {
            namespace: self.override_namespace.clone(),
            mode: (self.mode_via == ModeVia::Override).then_some(self.mode),
        }
    }

    fn dind(&self) -> bool {
        self.mode == Mode::Dind
    }

    fn registry_on(&self) -> bool {
        self.dind() && self.dind.registry != Some(false)
    }

    fn per_queue(&self) -> bool {
        self.dind() && self.dind.queues.is_some()
    }

    fn literal_password(&self) -> Option<&str> {
        match &self.common.password {
            Password::Literal(p) => Some(p),
            _ => None,
        }
    }

    fn workers(&self) -> Vec<Worker> {
        let n = self.stack();
        if !self.dind() {
            let env = self
                .k8s
                .extra_env
                .iter()
                .map(|(k, v)| (k.clone(), EnvVal::Value(v.clone())))
                .collect();
            return vec![Worker { name: n, env }];
        }
        match &self.dind.queues {
            None => vec![Worker {
                name: n,
                env: self.dind.env.clone(),
            }],
            Some(qs) => qs
                .iter()
                .map(|q| {
                    let mut env = self.dind.env.clone();
                    env.extend(q.env.clone());
                    Worker {
                        name: format!("{n}-{}", q.name),
                        env,
                    }
                })
                .collect(),
        }
    }

    /// Every object (kind, name) the config must render, and nothing else.
    /// The stack's registry: `NAME-registry`.
    fn registry(&self) -> String {
        format!("{}-registry", self.stack())
    }

    fn expected_ids(&self) -> BTreeSet<(String, String)> {
        let n = self.stack();
        let mut ids = BTreeSet::new();
        let mut add = |kind: &str, name: String| {
            ids.insert((kind.to_string(), name));
        };
        add("ConfigMap", format!("{n}-config"));
        add("Service", n.clone());
        add("NetworkPolicy", n.clone());
        if self.literal_password().is_some() {
            add("Secret", format!("{n}-secret"));
        }
        for w in self.workers() {
            add("Deployment", w.name);
        }
        if let Some(sc) = self.common.storage_class.as_ref().filter(|s| s.create) {
            add("StorageClass", sc.name.clone());
        }
        if self.dind() {
            add("ConfigMap", format!("{n}-docker-config"));
            if self.registry_on() {
                for kind in ["Deployment", "Service", "PersistentVolumeClaim"] {
                    add(kind, self.registry());
                }
            }
        } else {
            // The chart's shared names, whatever the stack is called.
            if self.k8s.configure_rbac != Some(false) {
                add("ServiceAccount", "sg-executor".into());
                add("Role", "sg-executor-role".into());
                add("RoleBinding", "sg-executor-role-binding".into());
            }
            if self.k8s.storage_size.is_some() {
                add("PersistentVolumeClaim", format!("{n}-data"));
            }
        }
        ids
    }

    fn spec(&self) -> Value {
        let c = &self.common;
        let dind = self.dind();
        let mut spec = Mapping::new();
        if self.mode_via == ModeVia::Spec {
            let mode = if dind { "dind" } else { "kubernetes" };
            spec.insert("mode".into(), mode.into());
        }

        let mut sg = Mapping::new();
        let p = &c.pods;
        for (key, m) in [
            ("labels", &p.labels),
            ("podLabels", &p.pod_labels),
            ("podAnnotations", &p.pod_annotations),
        ] {
            if !m.is_empty() {
                sg.insert(key.into(), string_map(m));
            }
        }
        let mut scheduling = Mapping::new();
        if !p.node_selector.is_empty() {
            scheduling.insert("nodeSelector".into(), string_map(&p.node_selector));
        }
        if !p.tolerations.is_empty() {
            scheduling.insert("tolerations".into(), Value::Sequence(p.tolerations.clone()));
        }
        if let Some(a) = &p.affinity {
            sg.insert("affinity".into(), a.clone());
        }
        if let Some(pc) = &p.priority_class {
            sg.insert("priorityClassName".into(), pc.clone().into());
        }
        if !p.pull_secrets.is_empty() {
            let secrets = p
                .pull_secrets
                .iter()
                .map(|s| map([("name", s.clone().into())]))
                .collect();
            sg.insert("imagePullSecrets".into(), Value::Sequence(secrets));
        }
        let executor_scheduling = !dind && self.k8s.executor_scheduling;
        if !executor_scheduling {
            sg.extend(scheduling.clone());
        }
        if !dind {
            if let Some(l) = self.k8s.local_dev {
                sg.insert("localDevMode".into(), l.into());
            }
        }
        if !sg.is_empty() {
            spec.insert("sourcegraph".into(), Value::Mapping(sg));
        }

        if let Some(sc) = &c.storage_class {
            let mut m = Mapping::new();
            m.insert("name".into(), sc.name.clone().into());
            if sc.create {
                m.insert("create".into(), true.into());
                if !sc.parameters.is_empty() {
                    m.insert("parameters".into(), string_map(&sc.parameters));
                }
            }
            spec.insert("storageClass".into(), Value::Mapping(m));
        }

        let mut ex = Mapping::new();
        ex.insert("frontendUrl".into(), c.frontend_url.clone().into());
        match &c.password {
            Password::Existing(s) => {
                ex.insert("frontendExistingSecret".into(), s.clone().into());
            }
            Password::Literal(p) => {
                ex.insert("frontendPassword".into(), p.clone().into());
            }
            Password::Both(s, p) => {
                ex.insert("frontendExistingSecret".into(), s.clone().into());
                ex.insert("frontendPassword".into(), p.clone().into());
            }
        }
        if !self.per_queue() {
            c.queue.insert(&mut ex);
        }
        if let Some(n) = c.max_jobs {
            ex.insert("maximumNumJobs".into(), n.into());
        }
        if let Some(r) = c.runtime {
            ex.insert("maximumRuntimePerJob".into(), r.into());
        }
        let mut log = Mapping::new();
        if let Some(l) = c.log_level {
            log.insert("level".into(), l.into());
        }
        if let Some(f) = c.log_format {
            log.insert("format".into(), f.into());
        }
        if !log.is_empty() {
            ex.insert("log".into(), Value::Mapping(log));
        }
        if let Some(r) = &c.resources {
            ex.insert("resources".into(), r.value());
        }

        if dind {
            let d = &self.dind;
            if let (Some(n), false) = (d.replica_count, self.per_queue()) {
                ex.insert("replicaCount".into(), n.into());
            }
            if !d.env.is_empty() {
                ex.insert("env".into(), env_config(&d.env));
            }
            let storage = match &d.storage {
                Storage::Default => None,
                Storage::EmptyDir(size) => {
                    let mut m = Mapping::new();
                    m.insert("type".into(), "emptyDir".into());
                    if let Some(s) = size {
                        m.insert("size".into(), s.clone().into());
                    }
                    Some(m)
                }
                Storage::Ephemeral { size, class } => {
                    let mut m = Mapping::new();
                    m.insert("type".into(), "ephemeral".into());
                    m.insert("size".into(), size.clone().into());
                    if let Some(c) = class {
                        m.insert("class".into(), c.clone().into());
                    }
                    Some(m)
                }
            };
            if let Some(s) = storage {
                ex.insert("storage".into(), Value::Mapping(s));
            }
            spec.insert("executor".into(), Value::Mapping(ex));

            if let Some(qs) = &d.queues {
                let entries = qs
                    .iter()
                    .map(|q| {
                        let mut m = Mapping::new();
                        m.insert("name".into(), q.name.clone().into());
                        if let Some(s) = &q.sel {
                            s.insert(&mut m);
                        }
                        if let Some(n) = q.replicas {
                            m.insert("replicaCount".into(), n.into());
                        }
                        if let Some(r) = &q.resources {
                            m.insert("resources".into(), r.value());
                        }
                        if !q.env.is_empty() {
                            m.insert("env".into(), env_config(&q.env));
                        }
                        Value::Mapping(m)
                    })
                    .collect();
                spec.insert("queues".into(), Value::Sequence(entries));
            }

            let mut dm = Mapping::new();
            if let Some(g) = d.gvisor {
                dm.insert("gVisor".into(), map([("enabled", g.into())]));
            }
            if let Some(r) = &d.dind_resources {
                dm.insert("resources".into(), r.value());
            }
            let mut daemon = Mapping::new();
            if let Some(labels) = &d.daemon_labels {
                let labels = labels.iter().cloned().map(Value::from).collect();
                daemon.insert("labels".into(), Value::Sequence(labels));
            }
            for (k, v) in &d.daemon_extra {
                daemon.insert(k.clone().into(), v.clone().into());
            }
            if !daemon.is_empty() {
                dm.insert("daemonConfig".into(), Value::Mapping(daemon));
            }
            if !dm.is_empty() {
                spec.insert("dind".into(), Value::Mapping(dm));
            }

            let mut reg = Mapping::new();
            if let Some(e) = d.registry {
                reg.insert("enabled".into(), e.into());
            }
            if !d.registry_env.is_empty() {
                let env = d
                    .registry_env
                    .iter()
                    .map(|(k, v)| (k.clone(), EnvVal::Value(v.clone())))
                    .collect();
                reg.insert("env".into(), env_config(&env));
            }
            if let Some(r) = &d.registry_resources {
                reg.insert("resources".into(), r.value());
            }
            if let Some(s) = &d.registry_storage {
                reg.insert("storageSize".into(), s.clone().into());
            }
            if !reg.is_empty() {
                spec.insert("privateDockerRegistry".into(), Value::Mapping(reg));
            }
        } else {
            let k = &self.k8s;
            if let Some(b) = k.configure_rbac {
                ex.insert("configureRbac".into(), b.into());
            }
            if let Some(ns) = &k.job_namespace {
                ex.insert("namespace".into(), ns.clone().into());
            }
            if let Some(p) = &k.kubeconfig_path {
                ex.insert("kubeconfigPath".into(), p.clone().into());
            }
            if let Some(s) = &k.storage_size {
                ex.insert("storageSize".into(), s.clone().into());
            }
            let mut job = Mapping::new();
            if let Some(d) = k.deadline {
                job.insert("deadline".into(), d.into());
            }
            for (key, v) in [
                ("runAsUser", k.ids.0),
                ("runAsGroup", k.ids.1),
                ("fsGroup", k.ids.2),
            ] {
                if let Some(v) = v {
                    job.insert(key.into(), v.into());
                }
            }
            let mut res = Mapping::new();
            for (side, cpu, mem) in [
                ("requests", &k.job_resources[0], &k.job_resources[1]),
                ("limits", &k.job_resources[2], &k.job_resources[3]),
            ] {
                let mut m = Mapping::new();
                if let Some(c) = cpu {
                    m.insert("cpu".into(), c.clone().into());
                }
                if let Some(c) = mem {
                    m.insert("memory".into(), c.clone().into());
                }
                if !m.is_empty() {
                    res.insert(side.into(), Value::Mapping(m));
                }
            }
            if !res.is_empty() {
                job.insert("resources".into(), Value::Mapping(res));
            }
            let mut node = Mapping::new();
            for (key, v) in [
                ("name", &k.node_name),
                ("selector", &k.node_selector),
                ("tolerations", &k.node_tolerations),
            ] {
                if let Some(v) = v {
                    node.insert(key.into(), v.clone().into());
                }
            }
            if !node.is_empty() {
                job.insert("node".into(), Value::Mapping(node));
            }
            if let Some(a) = &k.pod_affinity {
                job.insert("pod".into(), map([("affinity", a.clone().into())]));
            }
            if !job.is_empty() {
                ex.insert("kubernetesJob".into(), Value::Mapping(job));
            }
            let mut debug = Mapping::new();
            if let Some(b) = k.debug.0 {
                debug.insert("keepJobs".into(), b.into());
            }
            if let Some(b) = k.debug.1 {
                debug.insert("keepWorkspaces".into(), b.into());
            }
            if !debug.is_empty() {
                ex.insert("debug".into(), Value::Mapping(debug));
            }
            if !k.extra_env.is_empty() {
                let list = k
                    .extra_env
                    .iter()
                    .map(|(n, v)| map([("name", n.clone().into()), ("value", v.clone().into())]))
                    .collect();
                ex.insert("extraEnv".into(), Value::Sequence(list));
            }
            if executor_scheduling {
                ex.extend(scheduling);
            }
            spec.insert("executor".into(), Value::Mapping(ex));
        }
        Value::Mapping(spec)
    }

    fn document(&self) -> Value {
        if !self.krm {
            return self.spec();
        }
        let mut meta = Mapping::new();
        if let Some(n) = &self.name {
            meta.insert("name".into(), n.clone().into());
        }
        if let Some(ns) = &self.file_namespace {
            meta.insert("namespace".into(), ns.clone().into());
        }
        if !self.krm_annotations.is_empty() {
            meta.insert("annotations".into(), string_map(&self.krm_annotations));
        }
        let mut doc = Mapping::new();
        doc.insert("apiVersion".into(), "sg-executor-gen/v1alpha1".into());
        doc.insert("kind".into(), "ExecutorDeployment".into());
        if !meta.is_empty() {
            doc.insert("metadata".into(), Value::Mapping(meta));
        }
        doc.insert("spec".into(), self.spec());
        Value::Mapping(doc)
    }

    /// The config file: YAML as serde_yaml writes it, or JSON (which YAML 1.2 reads too).
    fn text(&self) -> String {
        let doc = self.document();
        if self.json {
            serde_json::to_string_pretty(&doc).expect("the config is JSON")
        } else {
            serde_yaml::to_string(&doc).expect("the config is YAML")
        }
    }
}

/// The stack's Service or a Deployment takes a registry object's name.
fn collides_with_registry(c: &Case) -> bool {
    c.registry_on() && c.workers().iter().any(|w| w.name == c.registry())
}

// ---------------------------------------------------------------------------------------
// Reading the output
// ---------------------------------------------------------------------------------------

type Key = (String, String);

fn key_of(v: &Value) -> Key {
    let s = |x: Option<&Value>| x.and_then(Value::as_str).unwrap_or_default().to_string();
    (
        s(v.get("kind")),
        s(v.get("metadata").and_then(|m| m.get("name"))),
    )
}

fn parse_stream(stream: &str, what: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(stream) {
        let v = Value::deserialize(doc).map_err(|e| format!("{what} is not YAML: {e}"))?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

fn index(objects: Vec<Value>, what: &str) -> Result<BTreeMap<Key, Value>, String> {
    let mut out = BTreeMap::new();
    for o in objects {
        let k = key_of(&o);
        if out.insert(k.clone(), o).is_some() {
            return Err(format!("{what}: {k:?} appears twice"));
        }
    }
    Ok(out)
}

fn yaml_file(tree: &BTreeMap<String, String>, path: &str) -> Result<Value, String> {
    let text = tree
        .get(path)
        .ok_or_else(|| format!("the component has no {path}"))?;
    if !text.starts_with("# Generated by sg-executor-gen (digest ") {
        return Err(format!("{path} has no header"));
    }
    serde_yaml::from_str(text).map_err(|e| format!("{path} is not YAML: {e}"))
}

fn string_list(k: &Value, field: &str) -> Vec<String> {
    k.get(field)
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Builds the component tree's objects the way kustomize does: the top resources, then each
/// listed sub-component in order, its resources added and its patches applied. Also checks
/// every file of the tree is used exactly once.
fn rebuild(tree: &BTreeMap<String, String>) -> Result<Vec<Value>, String> {
    // The manifest lists the generated files for the next build; kustomize never reads it.
    let mut used = BTreeSet::from([".sg-executor-gen".to_string()]);
    let mut objects: Vec<Value> = Vec::new();
    let top = yaml_file(tree, "kustomization.yaml")?;
    used.insert("kustomization.yaml".to_string());
    if top.get("kind").and_then(Value::as_str) != Some("Component") {
        return Err("kustomization.yaml is not a Component".into());
    }
    for r in string_list(&top, "resources") {
        objects.push(yaml_file(tree, &r)?);
        used.insert(r);
    }
    // Transformer configurations are not objects; kustomize only reads them.
    for c in string_list(&top, "configurations") {
        yaml_file(tree, &c)?;
        used.insert(c);
    }
    for comp in string_list(&top, "components") {
        let kpath = format!("{comp}/kustomization.yaml");
        let k = yaml_file(tree, &kpath)?;
        used.insert(kpath);
        for r in string_list(&k, "resources") {
            let path = format!("{comp}/{r}");
            objects.push(yaml_file(tree, &path)?);
            used.insert(path);
        }
        let patches = k
            .get("patches")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for p in patches {
            let rel = p.get("path").and_then(Value::as_str).unwrap_or_default();
            let path = format!("{comp}/{rel}");
            let patch = yaml_file(tree, &path)?;
            used.insert(path.clone());
            let want = key_of(&patch);
            let target = objects
                .iter_mut()
                .find(|o| key_of(o) == want)
                .ok_or_else(|| format!("{path} patches {want:?}, which is not there"))?;
            sg_executor_gen::render::patch::apply(target, &patch);
        }
    }
    let all: BTreeSet<String> = tree.keys().cloned().collect();
    if all != used {
        return Err(format!(
            "files not listed in any kustomization: {:?}",
            all.difference(&used).collect::<Vec<_>>()
        ));
    }
    Ok(objects)
}

/// Where two values differ, as `path: left vs right` lines (at most a dozen).
fn differences(a: &Value, b: &Value) -> String {
    fn walk(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
        if out.len() >= 12 || a == b {
            return;
        }
        match (a, b) {
            (Value::Mapping(x), Value::Mapping(y)) => {
                let keys: Vec<&Value> = x
                    .keys()
                    .chain(y.keys().filter(|k| !x.contains_key(*k)))
                    .collect();
                for k in keys {
                    let name = match k {
                        Value::String(s) => format!("{path}.{s:?}"),
                        other => format!("{path}.{other:?}"),
                    };
                    match (x.get(k), y.get(k)) {
                        (Some(l), Some(r)) => walk(l, r, &name, out),
                        (l, r) => out.push(format!("{name}: {l:?} vs {r:?}")),
                    }
                }
            }
            (Value::Sequence(x), Value::Sequence(y)) if x.len() == y.len() => {
                for (i, (l, r)) in x.iter().zip(y).enumerate() {
                    walk(l, r, &format!("{path}[{i}]"), out);
                }
            }
            _ => out.push(format!("{path}: {a:?} vs {b:?}")),
        }
    }
    let mut out = Vec::new();
    walk(a, b, "", &mut out);
    out.join("\n  ")
}

fn same_objects(
    want: &BTreeMap<Key, Value>,
    got: &BTreeMap<Key, Value>,
    what: &str,
) -> Result<(), String> {
    if want.keys().ne(got.keys()) {
        return Err(format!(
            "{what}: objects differ\n  render: {:?}\n  {what}: {:?}",
            want.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>()
        ));
    }
    for (k, v) in want {
        if got.get(k) != Some(v) {
            return Err(format!(
                "{what}: {k:?} differs (render vs {what}):\n  {}",
                differences(v, &got[k])
            ));
        }
    }
    Ok(())
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn container<'a>(deployment: &'a Value, name: &str) -> Option<&'a Value> {
    get(deployment, &["spec", "template", "spec", "containers"])?
        .as_sequence()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
}

fn check_env(
    deployment: &Value,
    container_name: &str,
    want: &BTreeMap<String, EnvVal>,
) -> Result<(), String> {
    let (_, dname) = key_of(deployment);
    let c = container(deployment, container_name)
        .ok_or_else(|| format!("{dname}: no container {container_name}"))?;
    let env = c
        .get("env")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    for (name, val) in want {
        let found: Vec<&Value> = env
            .iter()
            .filter(|e| e.get("name").and_then(Value::as_str) == Some(name))
            .collect();
        let [entry] = found[..] else {
            return Err(format!(
                "{dname}/{container_name}: env {name} appears {} times",
                found.len()
            ));
        };
        let ok = match val {
            EnvVal::Value(v) => {
                entry.get("value") == Some(&Value::String(v.clone()))
                    && entry.get("valueFrom").is_none()
            }
            EnvVal::Secret { name: s, key } => {
                entry.get("value").is_none()
                    && get(entry, &["valueFrom", "secretKeyRef", "name"])
                        == Some(&Value::String(s.clone()))
                    && get(entry, &["valueFrom", "secretKeyRef", "key"])
                        == Some(&Value::String(key.clone()))
            }
        };
        if !ok {
            return Err(format!(
                "{dname}/{container_name}: env {name} should be {val:?}, is {}",
                serde_yaml::to_string(entry).unwrap_or_default()
            ));
        }
    }
    Ok(())
}

fn check_pairs(
    object: &Value,
    path: &[&str],
    want: &BTreeMap<String, String>,
) -> Result<(), String> {
    let (kind, name) = key_of(object);
    for (k, v) in want {
        let got = get(object, path).and_then(|m| m.get(k.as_str()));
        if got != Some(&Value::String(v.clone())) {
            return Err(format!(
                "{kind}/{name}: {}[{k:?}] should be {v:?}, is {got:?}",
                path.join(".")
            ));
        }
    }
    Ok(())
}

fn data<'a>(objects: &'a BTreeMap<Key, Value>, name: &str, key: &str) -> Option<&'a Value> {
    objects
        .get(&("ConfigMap".to_string(), name.to_string()))
        .and_then(|cm| get(cm, &["data", key]))
}

/// Every promise about one valid config; `Err` says which one broke.
fn check_valid(case: &Case) -> Result<(), String> {
    let text = case.text();
    // The test's own premise: the text says what the model says.
    let reread: Value = serde_yaml::from_str(&text).map_err(|e| format!("test bug: {e}"))?;
    if reread != case.document() {
        return Err("test bug: the config text does not read back as the model".into());
    }
    let overrides = case.overrides();
    let generated = generate(&text, &overrides).map_err(|e| describe(&e))?;
    let stream = generated.stream();

    // Byte-stable: a second run gives the same stream and the same tree.
    let again = generate(&text, &overrides).map_err(|e| format!("second run: {}", describe(&e)))?;
    if again.stream() != stream {
        return Err("two renders of the same config differ".into());
    }
    if again.component() != generated.component() {
        return Err("two component trees of the same config differ".into());
    }

    // The stream reads back as exactly the bundle's objects, in order.
    let docs = parse_stream(&stream, "the stream")?;
    let bundle: Vec<&Value> = generated.bundle.objects().map(|(_, v)| v).collect();
    if docs.len() != bundle.len() {
        return Err(format!(
            "{} documents for {} objects",
            docs.len(),
            bundle.len()
        ));
    }
    for (doc, object) in docs.iter().zip(&bundle) {
        if doc != *object {
            return Err(format!(
                "{:?} does not read back as written (bundle vs stream):\n  {}",
                key_of(object),
                differences(object, doc)
            ));
        }
    }
    let objects = index(docs, "the stream")?;

    // User strings never add, drop or reshape an object.
    let ids: BTreeSet<Key> = objects.keys().cloned().collect();
    let expected = case.expected_ids();
    if ids != expected {
        return Err(format!("objects: expected {expected:?}\n got {ids:?}"));
    }
    let namespace = case.namespace();
    for (k, o) in &objects {
        let ns = get(o, &["metadata", "namespace"]).and_then(Value::as_str);
        let want = namespace.as_deref().filter(|_| k.0 != "StorageClass");
        if ns != want {
            return Err(format!("{k:?}: namespace {ns:?}, expected {want:?}"));
        }
        check_pairs(o, &["metadata", "labels"], &case.common.pods.labels)?;
        // The KRM metadata.annotations go on every object, as commonAnnotations would.
        let common_annotations = if case.krm {
            case.krm_annotations.clone()
        } else {
            BTreeMap::new()
        };
        check_pairs(o, &["metadata", "annotations"], &common_annotations)?;
        if k.0 == "Deployment" {
            check_pairs(
                o,
                &["spec", "template", "metadata", "annotations"],
                &common_annotations,
            )?;
        }
    }

    // Every user string lands exactly where it belongs.
    let n = case.stack();
    let pods = &case.common.pods;
    let deployment = |name: &str| {
        objects
            .get(&("Deployment".to_string(), name.to_string()))
            .ok_or_else(|| format!("no Deployment {name}"))
    };
    for w in case.workers() {
        let d = deployment(&w.name)?;
        check_pairs(
            d,
            &["spec", "template", "metadata", "annotations"],
            &pods.pod_annotations,
        )?;
        check_pairs(
            d,
            &["spec", "template", "metadata", "labels"],
            &pods.pod_labels,
        )?;
        check_env(d, "executor", &w.env)?;
    }
    if case.registry_on() {
        let d = deployment(&case.registry())?;
        check_pairs(
            d,
            &["spec", "template", "metadata", "annotations"],
            &pods.pod_annotations,
        )?;
        check_pairs(
            d,
            &["spec", "template", "metadata", "labels"],
            &pods.pod_labels,
        )?;
        let env = case
            .dind
            .registry_env
            .iter()
            .map(|(k, v)| (k.clone(), EnvVal::Value(v.clone())))
            .collect();
        check_env(d, "registry", &env)?;
    }
    let url = data(&objects, &format!("{n}-config"), "EXECUTOR_FRONTEND_URL");
    if url != Some(&Value::String(case.common.frontend_url.clone())) {
        return Err(format!("EXECUTOR_FRONTEND_URL is {url:?}"));
    }
    if let Some(p) = case.literal_password() {
        let secret = &objects[&("Secret".to_string(), format!("{n}-secret"))];
        let got = get(secret, &["data", "EXECUTOR_FRONTEND_PASSWORD"]);
        if got != Some(&Value::String(base64(p.as_bytes()))) {
            return Err(format!("the Secret holds {got:?}, not the password {p:?}"));
        }
    }
    if let Some(sc) = case.common.storage_class.as_ref().filter(|s| s.create) {
        let o = &objects[&("StorageClass".to_string(), sc.name.clone())];
        check_pairs(o, &["parameters"], &sc.parameters)?;
    }
    if case.dind() {
        let daemon = data(&objects, &format!("{n}-docker-config"), "daemon.json")
            .and_then(Value::as_str)
            .ok_or("no daemon.json")?;
        let daemon: serde_json::Value =
            serde_json::from_str(daemon).map_err(|e| format!("daemon.json: {e}"))?;
        if let Some(labels) = &case.dind.daemon_labels {
            if daemon.get("labels") != Some(&serde_json::json!(labels)) {
                return Err(format!("daemon.json labels: {:?}", daemon.get("labels")));
            }
        }
        for (k, v) in &case.dind.daemon_extra {
            if daemon.get(k) != Some(&serde_json::json!(v)) {
                return Err(format!("daemon.json {k:?}: {:?}", daemon.get(k)));
            }
        }
    } else {
        let k = &case.k8s;
        let cm = format!("{n}-config");
        for (var, want) in [
            ("EXECUTOR_KUBERNETES_CONFIG_PATH", &k.kubeconfig_path),
            ("EXECUTOR_KUBERNETES_NODE_SELECTOR", &k.node_selector),
            ("EXECUTOR_KUBERNETES_NODE_TOLERATIONS", &k.node_tolerations),
            ("EXECUTOR_KUBERNETES_POD_AFFINITY", &k.pod_affinity),
        ] {
            let want = want.clone().filter(|s| !s.is_empty()).map(Value::String);
            let got = data(&objects, &cm, var).cloned();
            if got != want {
                return Err(format!("{var} is {got:?}, expected {want:?}"));
            }
        }
    }

    // The component tree builds, the way kustomize reads it, to what render prints.
    let tree = generated.component();
    let rebuilt = index(rebuild(&tree)?, "the component")?;
    same_objects(&objects, &rebuilt, "the component tree")?;
    Ok(())
}

fn describe(e: &PipelineError) -> String {
    match e {
        PipelineError::Config(c) => format!(
            "refused:\n{}",
            c.problems
                .iter()
                .map(|p| format!("  {}", p.display("config.yaml")))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => format!("internal error: {other}: {other:?}"),
    }
}

fn explain(case: &Case, message: String) -> TestCaseError {
    TestCaseError::fail(format!(
        "{message}\n--- config ---\n{}\n--- overrides ---\n{:?}",
        case.text(),
        case.overrides()
    ))
}

// ---------------------------------------------------------------------------------------
// Running the binary and kubectl
// ---------------------------------------------------------------------------------------

fn run_tool(args: &[&str], stdin: &[u8]) -> common::RawRun {
    common::run_tool_raw(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

fn kubectl() -> String {
    std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

fn scratch_dir(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("properties-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Writes the tree and a consumer Kustomization listing it under `components:`, and
/// returns what `kubectl kustomize` builds from the consumer.
fn kustomize(tree: &BTreeMap<String, String>) -> Result<String, String> {
    let dir = scratch_dir("kustomize");
    let build = || -> Result<String, String> {
        for (path, content) in tree {
            let p = dir.join("component").join(path);
            std::fs::create_dir_all(p.parent().expect("a parent")).map_err(|e| e.to_string())?;
            std::fs::write(&p, content).map_err(|e| e.to_string())?;
        }
        std::fs::create_dir_all(dir.join("consumer")).map_err(|e| e.to_string())?;
        std::fs::write(
            dir.join("consumer/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncomponents:\n  - ../component\n",
        )
        .map_err(|e| e.to_string())?;
        let out = Command::new(kubectl())
            .arg("kustomize")
            .arg(dir.join("consumer"))
            .output()
            .map_err(|e| format!("cannot run `{} kustomize`: {e}", kubectl()))?;
        if !out.status.success() {
            return Err(format!(
                "kubectl kustomize failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        String::from_utf8(out.stdout).map_err(|e| e.to_string())
    };
    let result = build();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn check_with_kubectl(case: &Case) -> Result<(), String> {
    let text = case.text();
    let overrides = case.overrides();
    let generated = generate(&text, &overrides).map_err(|e| describe(&e))?;
    let stream = generated.stream();

    // The binary prints exactly the library's stream.
    let mut args = vec!["render", "-f", "-"];
    if let Some(ns) = &overrides.namespace {
        args.extend(["--namespace", ns]);
    }
    match overrides.mode {
        Some(Mode::Dind) => args.extend(["--mode", "dind"]),
        Some(Mode::Kubernetes) => args.extend(["--mode", "kubernetes"]),
        None => {}
    }
    let run = run_tool(&args, text.as_bytes());
    if run.code != Some(0) || run.stdout != stream.as_bytes() {
        return Err(format!(
            "the binary (exit {:?}) does not print the library's stream; stderr:\n{}",
            run.code, run.stderr
        ));
    }

    let want = index(parse_stream(&stream, "the stream")?, "the stream")?;
    let built = kustomize(&generated.component())?;
    let got = index(
        parse_stream(&built, "kubectl kustomize output")?,
        "kubectl kustomize",
    )?;
    same_objects(&want, &got, "kubectl kustomize")
}

// ---------------------------------------------------------------------------------------
// Arbitrary input
// ---------------------------------------------------------------------------------------

#[rustfmt::skip]
const CHART_KEYS: &[&str] = &[
    "apiVersion", "kind", "metadata", "spec", "name", "namespace", "annotations", "labels",
    "mode", "sourcegraph", "storageClass", "queues", "executor", "dind",
    "privateDockerRegistry", "image", "imagePullSecrets", "nameOverride", "affinity",
    "nodeSelector", "tolerations", "podAnnotations", "podLabels", "priorityClassName",
    "localDevMode", "defaultTag", "pullPolicy", "repository", "useGlobalTagAsDefault",
    "create", "provisioner", "type", "parameters", "allowedTopologies", "queueName",
    "queueNames", "replicaCount", "resources", "env", "value", "valueFrom", "frontendUrl",
    "frontendPassword", "frontendExistingSecret", "maximumNumJobs", "maximumRuntimePerJob",
    "log", "storage", "podSecurityContext", "configureRbac", "kubeconfigPath",
    "securityContext", "kubernetesJob", "debug", "extraEnv", "dockerAddHostGateway",
    "containerSecurityContext", "storageSize", "level", "format", "trace", "tag", "size",
    "class", "runAsUser", "runAsGroup", "fsGroup", "privileged", "deadline", "node", "pod",
    "requests", "limits", "cpu", "memory", "selector", "requiredAffinityMatchExpressions",
    "requiredAffinityMatchFields", "antiAffinity", "keepJobs", "keepWorkspaces", "registry",
    "command", "daemonConfig", "gVisor", "enabled", "hosts", "registry-mirrors",
    "insecure-registries", "mtu", "secretKeyRef", "fieldRef", "key", "operator", "effect",
    "capabilities", "add", "nodeAffinity", "matchExpressions", "values", "<<",
];

#[rustfmt::skip]
const SCALARS: &[&str] = &[
    "batches", "codeintel", "dind", "kubernetes", "emptyDir", "ephemeral",
    "sg-executor-gen/v1alpha1", "ExecutorDeployment", "http://x:30080", "http://x",
    "https://sourcegraph-frontend", "tcp://0.0.0.0:2375", "tcp://127.0.0.1:2375",
    "unix:///var/run/docker.sock", "http://private-docker-registry:5000", "10Gi", "500m",
    "50GB", "-1", "0", "true", "Always", "IfNotPresent", "30m", "json", "info", "x", "",
    "executor", "private-docker-registry", "[{\"key\": \"a\", \"operator\": \"Exists\"}]",
    "{\"a\": ", "Exists", "NoSchedule",
];

fn yaml_key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(CHART_KEYS).prop_map(str::to_string),
        1 => "[a-zA-Z]{1,10}",
        1 => hostile(),
    ]
    .boxed()
}

fn yaml_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(|n| Value::Number(n.into())),
        1 => select(&[-1i64, 0, 1, 2, 10, 65536, 2_147_483_648, i64::MIN][..])
            .prop_map(|n| Value::Number(n.into())),
        1 => any::<f64>().prop_map(|f| Value::Number(f.into())),
        3 => select(SCALARS).prop_map(|s| Value::String(s.into())),
        2 => hostile().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            1 => vec(inner.clone(), 0..5).prop_map(Value::Sequence),
            3 => vec((yaml_key(), inner), 0..6).prop_map(|kv| {
                Value::Mapping(kv.into_iter().map(|(k, v)| (Value::String(k), v)).collect())
            }),
        ]
    })
    .boxed()
}

/// Junk built from YAML's own syntax, to reach the parser's corners.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "executor:", "queueName:", " batches", "spec:", "apiVersion: sg-executor-gen/v1alpha1",
    "kind: ExecutorDeployment", "- ", "  ", "    ", "\n", "\n", "\n", "&a ", "*a", "<<: *a",
    "{", "}", "[", "]", ", ", ": ", ":", "!!str ", "!!map ", "!!binary ", "!!int ", "!x ",
    "---\n", "...\n", "? ", "|\n", ">-\n", "|2\n", "'", "\"", "# c", "\t", "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n", "\\", "\\u", "\\x", "~", "null", "0x", "1e999", "-.inf", "é",
    "日本", "\u{feff}", "\u{85}", "\u{2028}", "\r", "\0", "\u{7f}", "frontendUrl: http://x:1",
    "frontendExistingSecret: s", "queues:", "dind:", "daemonConfig:", "hosts:",
];

fn token_soup() -> BoxedStrategy<String> {
    vec(select(TOKENS), 0..60).prop_map(|t| t.concat()).boxed()
}

/// Replaces, adds or removes one node of a valid config.
fn mutate(doc: &mut Value, pick: usize, op: u8, key: String, new: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Mapping(m) => m.values().map(count).sum(),
            Value::Sequence(s) => s.iter().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, n: &mut usize, op: u8, key: &str, new: &Value) -> bool {
        if *n == 0 {
            match (op, &mut *v) {
                (1, Value::Mapping(m)) => {
                    m.insert(key.into(), new.clone());
                }
                (1, Value::Sequence(s)) => s.push(new.clone()),
                (2, Value::Mapping(m)) if !m.is_empty() => {
                    let k = m.keys().nth(key.len() % m.len()).cloned().expect("a key");
                    m.remove(&k);
                }
                (2, Value::Sequence(s)) if !s.is_empty() => {
                    s.remove(key.len() % s.len());
                }
                _ => *v = new.clone(),
            }
            return true;
        }
        *n -= 1;
        match v {
            Value::Mapping(m) => m.values_mut().any(|c| walk(c, n, op, key, new)),
            Value::Sequence(s) => s.iter_mut().any(|c| walk(c, n, op, key, new)),
            _ => false,
        }
    }
    let mut n = pick % count(doc);
    walk(doc, &mut n, op, &key, &new);
}

fn mutated_config() -> BoxedStrategy<String> {
    (any_case(), any::<usize>(), 0u8..3, yaml_key(), yaml_value())
        .prop_map(|(case, pick, op, key, new)| {
            let mut doc = case.document();
            mutate(&mut doc, pick, op, key, new);
            serde_yaml::to_string(&doc).unwrap_or_default()
        })
        .boxed()
}

fn yaml_shaped() -> BoxedStrategy<String> {
    let top = prop_oneof![
        yaml_value(),
        vec(
            (select(CHART_KEYS).prop_map(str::to_string), yaml_value()),
            0..6
        )
        .prop_map(|kv| {
            Value::Mapping(kv.into_iter().map(|(k, v)| (Value::String(k), v)).collect())
        }),
        yaml_value().prop_map(|spec| map([
            ("apiVersion", "sg-executor-gen/v1alpha1".into()),
            ("kind", "ExecutorDeployment".into()),
            ("spec", spec),
        ])),
    ];
    top.prop_map(|v| serde_yaml::to_string(&v).unwrap_or_default())
        .boxed()
}

/// Input bytes, shown as escaped text when proptest prints a failing case.
#[derive(Clone)]
struct Input(Vec<u8>);

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Input({:?})", String::from_utf8_lossy(&self.0))
    }
}

fn arbitrary_input() -> BoxedStrategy<Input> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..512),
        1 => "\\PC{0,200}".prop_map(String::into_bytes),
        2 => token_soup().prop_map(String::into_bytes),
        3 => yaml_shaped().prop_map(String::into_bytes),
        3 => mutated_config().prop_map(String::into_bytes),
    ]
    .prop_map(Input)
    .boxed()
}

fn arbitrary_overrides() -> BoxedStrategy<Overrides> {
    (
        option::of(prop_oneof![
            dns_label(),
            Just("Not_A-Namespace".to_string())
        ]),
        option::of(select(&[Mode::Dind, Mode::Kubernetes][..])),
    )
        .prop_map(|(namespace, mode)| Overrides { namespace, mode })
        .boxed()
}

fn check_arbitrary(input: &[u8], overrides: &Overrides) -> Result<(), String> {
    let mut args = vec!["render".to_string(), "-f".into(), "-".into()];
    if let Some(ns) = &overrides.namespace {
        args.extend(["--namespace".into(), ns.clone()]);
    }
    match overrides.mode {
        Some(Mode::Dind) => args.extend(["--mode".into(), "dind".into()]),
        Some(Mode::Kubernetes) => args.extend(["--mode".into(), "kubernetes".into()]),
        None => {}
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_tool(&args, input);
    match run.code {
        Some(0) | Some(2) => {}
        other => {
            return Err(format!(
                "exit {other:?} (None: killed by a signal); stderr:\n{}",
                run.stderr
            ))
        }
    }
    if run.stderr.contains("panicked") {
        return Err(format!("the binary panicked:\n{}", run.stderr));
    }
    if run.code == Some(2) && !run.stdout.is_empty() {
        return Err(format!(
            "exit 2 with output on stdout:\n{}",
            String::from_utf8_lossy(&run.stdout)
        ));
    }

    let text = String::from_utf8_lossy(input).into_owned();
    let library = std::panic::catch_unwind(|| {
        generate(&text, overrides).map(|g: Generated| (g.stream(), g.component()))
    })
    .map_err(|_| "the library panicked (see the message above)".to_string())?;

    // Where both read the same text, they agree. `--namespace` is checked by the binary's
    // edge (app.rs), not by `generate`, so an invalid one is the binary's business alone.
    let namespace_ok = overrides.namespace.as_deref().is_none_or(|ns| {
        !ns.is_empty()
            && ns.len() <= 63
            && ns
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !ns.starts_with('-')
            && !ns.ends_with('-')
    });
    if std::str::from_utf8(input).is_ok() && namespace_ok {
        match (&library, run.code) {
            (Ok((stream, _)), Some(0)) if run.stdout == stream.as_bytes() => {}
            // An internal error is a bug, but the valid-config properties hunt those.
            (Err(_), Some(2)) => {}
            (Ok(_), Some(0)) => {
                return Err("the binary and the library print different streams".into())
            }
            (lib, code) => {
                return Err(format!(
                    "the library says {}, the binary exits {code:?}:\n{}",
                    match lib {
                        Ok(_) => "Ok".to_string(),
                        Err(e) => describe(e),
                    },
                    run.stderr
                ))
            }
        }
    }
    if let Ok((stream, _)) = &library {
        parse_stream(stream, "the stream")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Edge cases: inputs the properties above found the tool mishandling. Each has its own
// property, so a regression names itself, and the broad generators need not lean on them.
// ---------------------------------------------------------------------------------------

/// Forces the stack's Service or a Deployment onto a registry's name: the chart's, or ours.
fn registry_collision() -> BoxedStrategy<Case> {
    (any_case(), 0u8..3)
        .prop_map(|(mut c, how)| {
            c.mode = Mode::Dind;
            if c.mode_via == ModeVia::Default {
                c.mode_via = ModeVia::Spec;
            }
            c.dind.registry = None;
            c.krm = true;
            let (stack, queue) = match how {
                0 => (CHART_REGISTRY, None),
                1 => ("executor", Some("registry")),
                _ => ("private", Some("docker-registry")),
            };
            c.name = Some(stack.into());
            c.dind.queues = queue.map(|q| {
                vec![QueueEntry {
                    name: q.into(),
                    sel: Some(QueueSel::Name("batches")),
                    replicas: None,
                    resources: None,
                    env: BTreeMap::new(),
                }]
            });
            c
        })
        .boxed()
}

/// A created StorageClass with a parameter key holding a newline.
fn newline_parameter_key() -> BoxedStrategy<Case> {
    (valid_case(), hostile(), hostile(), hostile())
        .prop_map(|(mut c, before, after, value)| {
            let mut sc = c.common.storage_class.take().unwrap_or(StorageClass {
                name: "fast".into(),
                create: true,
                parameters: BTreeMap::new(),
            });
            sc.create = true;
            sc.parameters.insert(format!("{before}\n{after}"), value);
            c.common.storage_class = Some(sc);
            c
        })
        .boxed()
}

/// A valid config with U+FFFE or U+FFFF in a pod annotation value.
fn noncharacter_case() -> BoxedStrategy<Case> {
    (
        valid_case(),
        hostile(),
        select(&['\u{fffe}', '\u{ffff}'][..]),
        hostile(),
    )
        .prop_map(|(mut c, before, nonchar, after)| {
            c.common.pods.pod_annotations.insert(
                "example.com/nonchar".into(),
                format!("{before}{nonchar}{after}"),
            );
            c
        })
        .boxed()
}

/// Executor resources whose request equals the limit, in two spellings of the same amount.
fn equal_request_and_limit() -> BoxedStrategy<Case> {
    (
        valid_case(),
        any::<bool>(),
        1u128..=2000,
        1u128..=4096,
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut c, memory, tenths, mib, a, b)| {
            let base = if memory {
                Qty {
                    text: format!("{mib}Mi"),
                    millis: (mib << 20) * 1000,
                    as_int: false,
                }
            } else {
                Qty {
                    text: format!("{}m", tenths * 100),
                    millis: tenths * 100,
                    as_int: false,
                }
            };
            let forms = spellings(&base, memory);
            let pair = (Some(a.get(&forms).clone()), Some(b.get(&forms).clone()));
            c.common.resources = Some(if memory {
                Resources {
                    cpu: (None, None),
                    memory: pair,
                }
            } else {
                Resources {
                    cpu: pair,
                    memory: (None, None),
                }
            });
            c
        })
        .boxed()
}

/// Executor resources with a request strictly above its limit: any two amounts, or two a
/// hair apart (`4Ti` and one byte more, `1` CPU and `1000000001n`). True for memory.
fn request_above_limit() -> BoxedStrategy<(Case, bool)> {
    let far = (any::<bool>(), cpu_qty(), cpu_qty(), mem_qty(), mem_qty()).prop_filter_map(
        "two different amounts",
        |(memory, c1, c2, m1, m2)| {
            let (a, b) = if memory { (m1, m2) } else { (c1, c2) };
            match a.millis.cmp(&b.millis) {
                std::cmp::Ordering::Less => Some((memory, b, a)),
                std::cmp::Ordering::Greater => Some((memory, a, b)),
                std::cmp::Ordering::Equal => None,
            }
        },
    );
    let near = (any::<bool>(), 1u128..=4096, 1u128..=1000).prop_map(|(memory, n, d)| {
        if memory {
            let bytes = n << 30;
            let limit = Qty {
                text: format!("{n}Gi"),
                millis: bytes * 1000,
                as_int: false,
            };
            let request = Qty {
                text: (bytes + d).to_string(),
                millis: (bytes + d) * 1000,
                as_int: false,
            };
            (true, request, limit)
        } else {
            let cores = n % 64 + 1;
            let limit = Qty {
                text: cores.to_string(),
                millis: cores * 1000,
                as_int: false,
            };
            // `millis` cannot hold the nanocores; only the order matters here.
            let request = Qty {
                text: format!("{}n", cores * 1_000_000_000 + d),
                millis: cores * 1000 + 1,
                as_int: false,
            };
            (false, request, limit)
        }
    });
    (valid_case(), prop_oneof![far, near])
        .prop_map(|(mut c, (memory, request, limit))| {
            // localDevMode drops (and so never checks) the executor's resources, on purpose.
            c.k8s.local_dev = None;
            let pair = (Some(request), Some(limit));
            c.common.resources = Some(if memory {
                Resources {
                    cpu: (None, None),
                    memory: pair,
                }
            } else {
                Resources {
                    cpu: pair,
                    memory: (None, None),
                }
            });
            (c, memory)
        })
        .boxed()
}

/// A timestamp in a YAML 1.1 spelling that kustomize reads as a time and writes back
/// normalised (lowercase `t` with a zone, or a space and no zone).
fn timestamp() -> BoxedStrategy<String> {
    (
        1970u32..2100,
        1u32..13,
        1u32..29,
        0u32..24,
        0u32..60,
        option::of("[0-9]{1,4}"),
        prop_oneof![
            select(&["Z", "-05:00", "+01:00"][..]).prop_map(|z| ("t", z)),
            Just((" ", "")),
        ],
    )
        .prop_map(|(y, mo, d, h, mi, frac, (sep, zone))| {
            let frac = frac.map(|f| format!(".{f}")).unwrap_or_default();
            format!("{y}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:00{frac}{zone}")
        })
        .boxed()
}

/// A valid config with `value` as one more pod annotation.
fn with_annotation(base: BoxedStrategy<Case>, value: BoxedStrategy<String>) -> BoxedStrategy<Case> {
    (base, value)
        .prop_map(|(mut c, v)| {
            c.common
                .pods
                .pod_annotations
                .insert("example.com/edge".into(), v);
            c
        })
        .boxed()
}

/// Renders, or is refused as a config error; never an internal error.
fn renders_or_is_refused(case: &Case) -> Result<(), TestCaseError> {
    match generate(&case.text(), &case.overrides()) {
        Ok(_) => check_valid(case).map_err(|m| explain(case, m)),
        Err(PipelineError::Config(_)) => Ok(()),
        Err(e) => Err(explain(case, describe(&e))),
    }
}

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(cases()))]

    /// A valid config renders; user strings land exactly where they belong and never change
    /// the objects; the output is byte-stable; the component tree builds to the stream.
    #[test]
    fn valid_configs_render_check_and_lay_out(case in valid_case()) {
        check_valid(&case).map_err(|m| explain(&case, m))?;
    }

    /// No input makes the binary or the library panic; the binary exits 0 or 2, prints
    /// nothing on stdout after an error, and agrees with the library.
    #[test]
    fn arbitrary_bytes_never_panic(
        input in arbitrary_input(),
        overrides in arbitrary_overrides(),
    ) {
        check_arbitrary(&input.0, &overrides).map_err(|m| TestCaseError::fail(format!(
            "{m}\n--- input ({} bytes) ---\n{}\n--- overrides ---\n{overrides:?}",
            input.0.len(),
            String::from_utf8_lossy(&input.0)
        )))?;
    }

    /// A request equal to its limit is accepted however the two are spelled (`700m` and
    /// `0.7`, `1Gi` and `1024Mi`).
    #[test]
    fn a_request_equal_to_its_limit_is_accepted_in_any_spelling(
        case in equal_request_and_limit()
    ) {
        check_valid(&case).map_err(|m| explain(&case, m))?;
    }
}

/// Fails at once, outside proptest (which would retry and shrink), when kubectl is missing.
fn require_kubectl() {
    let out = Command::new(kubectl())
        .args(["version", "--client"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`{} version --client` failed: {}",
            kubectl(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "cannot run `{}` ({e}); install kubectl or set KUBECTL: the kustomize properties never pass unchecked",
            kubectl()
        ),
    }
}

/// Runs one kubectl property: an eighth of the cases, at least one.
fn kubectl_property(strategy: BoxedStrategy<Case>) {
    require_kubectl();
    let mut runner = proptest::test_runner::TestRunner::new(config((cases() / 8).max(1)));
    if let Err(e) = runner.run(&strategy, |case| {
        check_with_kubectl(&case).map_err(|m| explain(&case, m))
    }) {
        panic!("{e}\n{runner}");
    }
}

/// The real `kubectl kustomize` builds the component tree to exactly what `render` prints,
/// and the binary prints the library's stream.
#[test]
fn component_builds_with_kubectl_kustomize_to_the_stream() {
    kubectl_property(valid_case());
}

/// A pod annotation that YAML 1.1 reads as a timestamp is that exact string after
/// `kubectl kustomize`.
#[test]
fn yaml_1_1_timestamps_survive_kubectl_kustomize() {
    kubectl_property(with_annotation(valid_case(), timestamp()));
}

/// A pod annotation like `-_0` (a sign, underscores, a number) is that exact string after
/// `kubectl kustomize`.
#[test]
fn yaml_1_1_underscored_numbers_survive_kubectl_kustomize() {
    kubectl_property(with_annotation(
        valid_case(),
        "[-+]_{1,2}[0-9]{1,3}(_[0-9])?".boxed(),
    ));
}

proptest! {
    #![proptest_config(config(cases().min(16)))]

    /// A stack named like the chart's registry, or a queue Deployment `NAME-QUEUE` named like
    /// the stack's registry, renders or is refused as a config error; never an internal error.
    #[test]
    fn names_that_collide_with_the_registry_are_refused_or_rendered(
        case in registry_collision()
    ) {
        renders_or_is_refused(&case)?;
    }

    /// StorageClass parameters are free-form, keys included: a key with a newline comes out
    /// as exactly that key.
    #[test]
    fn parameter_keys_with_newlines_read_back_exactly(case in newline_parameter_key()) {
        check_valid(&case).map_err(|m| explain(&case, m))?;
    }

    /// U+FFFE and U+FFFF are not control characters; a value holding one comes out exactly,
    /// or is refused as a config error; never an internal error.
    #[test]
    fn noncharacters_in_values_render_or_are_refused(case in noncharacter_case()) {
        renders_or_is_refused(&case)?;
    }

    /// A request above its limit is refused, however close the two are: Kubernetes compares
    /// quantities exactly and refuses such a pod.
    #[test]
    fn a_request_above_its_limit_is_refused((case, memory) in request_above_limit()) {
        let what = if memory { "memory" } else { "cpu" };
        let refused = |e: &sg_executor_gen::config::ConfigError| {
            let expected = format!("the {what} request is above its limit");
            e.problems
                .iter()
                .any(|p| p.display("config.yaml").to_string().contains(&expected))
        };
        match generate(&case.text(), &case.overrides()) {
            Err(PipelineError::Config(e)) if refused(&e) => {}
            Ok(_) => {
                return Err(explain(&case, format!("a {what} request above its limit was accepted")))
            }
            Err(e) => {
                return Err(explain(&case, format!("not refused for the {what} request: {}", describe(&e))))
            }
        }
    }
}
