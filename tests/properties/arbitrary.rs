//! Input that need not be a config: bytes, text, YAML syntax soup, YAML-shaped documents
//! with the charts' keys, valid configs with one node replaced, added or removed, and
//! overrides of any kind. `check_arbitrary` holds the binary and the library to what they
//! promise for all of it: no panic, exit 0 or 2, nothing on stdout after an error, and,
//! where both read the same text, the same answer from both.

use super::expected::map;
use super::model::any_case;
use super::output::{describe, parse_stream};
use super::run::run_tool;
use super::strings::{dns_label, hostile};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde_yaml::Value;
use sg_executor_gen::config::{Mode, Overrides};
use sg_executor_gen::pipeline::{generate, Generated};

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
pub(super) struct Input(pub(super) Vec<u8>);

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Input({:?})", String::from_utf8_lossy(&self.0))
    }
}

pub(super) fn arbitrary_input() -> BoxedStrategy<Input> {
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

pub(super) fn arbitrary_overrides() -> BoxedStrategy<Overrides> {
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

pub(super) fn check_arbitrary(input: &[u8], overrides: &Overrides) -> Result<(), String> {
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
