//! One test per chart knob: each starts from a minimal valid config (dind, or the same with
//! `mode: kubernetes`), sets that one knob, renders it through `pipeline::generate`, and
//! asserts the knob's effect on the rendered objects, parsed back from the YAML stream
//! `render` prints (and, where it helps, that the default without the knob differs).
//! Knobs `docs/keys.md` marks as fixing a chart bug are asserted with the fixed behaviour.

use serde::Deserialize;
use serde_yaml::Value;
use sg_executor_gen::config::Mode;
use sg_executor_gen::config::Overrides;
use sg_executor_gen::diagnostic::{Problem, Severity};
use sg_executor_gen::pipeline::{generate, PipelineError};
use std::collections::BTreeMap;

const DIND: &str = "\
mode: dind
executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
  queueName: batches
";

const K8S: &str = "\
mode: kubernetes
executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
  queueName: batches
";

const EXECUTOR_IMAGE: &str = "index.docker.io/sourcegraph/executor:6.2.1106@sha256:";
const EXECUTOR_K8S_IMAGE: &str = "index.docker.io/sourcegraph/executor-kubernetes:6.2.1106@sha256:";
const DIND_IMAGE: &str = "index.docker.io/sourcegraph/dind:6.2.1106@sha256:";
const REGISTRY_IMAGE: &str = "index.docker.io/registry:3@sha256:";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("bad test YAML: {e}\n{text}"))
}

/// Helm-style: mappings merge key by key, anything else (including `null`) replaces.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Mapping(b), Value::Mapping(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// `base` with `extra` merged over it: the one knob a test sets.
fn with(base: &str, extra: &str) -> String {
    let mut v = yaml(base);
    merge(&mut v, &yaml(extra));
    serde_yaml::to_string(&v).unwrap()
}

fn describe(e: &PipelineError) -> String {
    match e {
        PipelineError::Config(c) => c
            .problems
            .iter()
            .map(|p| p.display("config").to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        other => other.to_string(),
    }
}

/// What one config renders to: the objects by (kind, name), the stream, warnings, layers.
struct Out {
    objects: BTreeMap<(String, String), Value>,
    stream: String,
    warnings: Vec<Problem>,
    layers: Vec<String>,
}

fn render(config: &str) -> Out {
    render_with(config, &Overrides::default())
}

/// With `SG_DUMP_CASES=DIR`, every config a test renders is also written to DIR, so
/// `.ci/run` can check each one with strict schemas and the kustomize round trip.
fn dump_case(config: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    if let Some(dir) = std::env::var_os("SG_DUMP_CASES") {
        let test = std::thread::current()
            .name()
            .unwrap_or("case")
            .replace("::", "-");
        let n = N.fetch_add(1, Ordering::SeqCst);
        std::fs::write(
            std::path::Path::new(&dir).join(format!("{test}-{n}.yaml")),
            config,
        )
        .expect("the dump directory is writable");
    }
}

fn render_with(config: &str, overrides: &Overrides) -> Out {
    dump_case(config);
    let g = generate(config, overrides)
        .unwrap_or_else(|e| panic!("config refused:\n{}\n---\n{config}", describe(&e)));
    let stream = g.stream();
    // `render` and `check` agree: what `check` calls a problem on the tool's own output,
    // `render` refuses first.
    let report = sg_executor_gen::check::stream::check_stream(&stream)
        .unwrap_or_else(|e| panic!("check cannot read the rendered stream: {e}"));
    assert!(
        report.problems.is_empty(),
        "check finds problems in what render printed:\n{}\n---\n{config}",
        report
            .problems
            .iter()
            .map(|p| p.problem.display("stream").to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let mut objects = BTreeMap::new();
    for doc in serde_yaml::Deserializer::from_str(&stream) {
        let v = Value::deserialize(doc).expect("the stream parses");
        let kind = v["kind"].as_str().expect("kind").to_string();
        let name = v["metadata"]["name"].as_str().expect("name").to_string();
        assert!(
            objects.insert((kind.clone(), name.clone()), v).is_none(),
            "{kind}/{name} rendered twice"
        );
    }
    Out {
        objects,
        stream,
        warnings: g.warnings,
        layers: g.stack.layers.iter().map(|l| l.name.to_string()).collect(),
    }
}

/// The errors of a config that must be refused.
fn refused(config: &str) -> Vec<Problem> {
    match generate(config, &Overrides::default()) {
        Err(PipelineError::Config(e)) => e
            .problems
            .into_iter()
            .filter(|p| p.severity == Severity::Error)
            .collect(),
        Err(other) => panic!("expected a config error, got: {other}"),
        Ok(_) => panic!("expected the config to be refused:\n{config}"),
    }
}

/// The error located at `path`; fails if the config renders or the error is elsewhere.
fn refused_at(config: &str, path: &str) -> Problem {
    let problems = refused(config);
    problems
        .iter()
        .find(|p| p.path == path)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no error at {path}; errors: {:?}",
                problems
                    .iter()
                    .map(|p| p.display("config").to_string())
                    .collect::<Vec<_>>()
            )
        })
}

impl Out {
    fn ids(&self) -> Vec<String> {
        self.objects
            .keys()
            .map(|(k, n)| format!("{k}/{n}"))
            .collect()
    }

    fn has(&self, kind: &str, name: &str) -> bool {
        self.objects
            .contains_key(&(kind.to_string(), name.to_string()))
    }

    fn get(&self, kind: &str, name: &str) -> &Value {
        self.objects
            .get(&(kind.to_string(), name.to_string()))
            .unwrap_or_else(|| panic!("no {kind}/{name}; rendered: {:?}", self.ids()))
    }

    fn names_of(&self, kind: &str) -> Vec<String> {
        self.objects
            .keys()
            .filter(|(k, _)| k == kind)
            .map(|(_, n)| n.clone())
            .collect()
    }

    fn pod(&self, deployment: &str) -> &Value {
        &self.get("Deployment", deployment)["spec"]["template"]
    }

    fn pod_spec(&self, deployment: &str) -> &Value {
        &self.pod(deployment)["spec"]
    }

    fn container_names(&self, deployment: &str) -> Vec<String> {
        seq(&self.pod_spec(deployment)["containers"])
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }

    fn init_container_names(&self, deployment: &str) -> Vec<String> {
        seq(&self.pod_spec(deployment)["initContainers"])
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// A container or init container (dind is a native sidecar) by name.
    fn container(&self, deployment: &str, name: &str) -> &Value {
        let spec = self.pod_spec(deployment);
        seq(&spec["containers"])
            .iter()
            .chain(seq(&spec["initContainers"]))
            .find(|c| c["name"].as_str() == Some(name))
            .unwrap_or_else(|| {
                panic!(
                    "no container {name} in {deployment}: {:?}",
                    self.container_names(deployment)
                )
            })
    }

    /// The env entry (`{name, value}` or `{name, valueFrom}`) of a container.
    fn env(&self, deployment: &str, container: &str, var: &str) -> Option<&Value> {
        seq(&self.container(deployment, container)["env"])
            .iter()
            .find(|e| e["name"].as_str() == Some(var))
    }

    fn env_names(&self, deployment: &str, container: &str) -> Vec<String> {
        seq(&self.container(deployment, container)["env"])
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// The literal value of an executor container variable.
    fn exec_env(&self, deployment: &str, var: &str) -> Option<String> {
        self.env(deployment, "executor", var).map(|e| {
            e["value"]
                .as_str()
                .unwrap_or_else(|| panic!("{var} is not a literal: {e:?}"))
                .to_string()
        })
    }

    /// A key of the executor's ConfigMap (read through envFrom).
    fn config(&self, key: &str) -> Option<String> {
        let data = &self.get("ConfigMap", "executor-config")["data"];
        data.get(key).map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("{key} is not a string: {v:?}"))
                .to_string()
        })
    }

    fn daemon_json(&self) -> serde_json::Value {
        let text = self.get("ConfigMap", "executor-docker-config")["data"]["daemon.json"]
            .as_str()
            .expect("daemon.json is a string");
        serde_json::from_str(text).expect("daemon.json is JSON")
    }

    fn volume(&self, deployment: &str, name: &str) -> Option<&Value> {
        seq(&self.pod_spec(deployment)["volumes"])
            .iter()
            .find(|v| v["name"].as_str() == Some(name))
    }

    fn mount(&self, deployment: &str, container: &str, path: &str) -> Option<&Value> {
        seq(&self.container(deployment, container)["volumeMounts"])
            .iter()
            .find(|m| m["mountPath"].as_str() == Some(path))
    }

    fn checksum(&self, deployment: &str) -> String {
        self.pod(deployment)["metadata"]["annotations"]["checksum/config"]
            .as_str()
            .expect("checksum/config")
            .to_string()
    }

    fn warning_at(&self, path: &str) -> Option<&Problem> {
        self.warnings
            .iter()
            .find(|p| p.severity == Severity::Warning && p.path == path)
    }

    fn has_layer(&self, layer: &str) -> bool {
        self.layers.iter().any(|l| l == layer)
    }
}

fn seq(v: &Value) -> &[Value] {
    match v {
        Value::Sequence(s) => s,
        Value::Null => &[],
        other => panic!("not a list: {other:?}"),
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// Whether every label of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let Value::Mapping(sel) = selector else {
        panic!("selector is not a mapping: {selector:?}")
    };
    sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

mod dind;
mod drain;
mod executor;
mod kubernetes;
mod minimal;
mod network_policy;
mod nothing_dropped;
mod queues;
mod registry;
mod runtime;
mod shared_override;
mod sourcegraph;
mod storage_class;
mod undeclared;
