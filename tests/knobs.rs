//! One test per chart knob: each starts from a minimal valid config (dind, or the same with
//! `mode: kubernetes`), sets that one knob, renders it through `pipeline::generate`, and
//! asserts the knob's effect on the rendered objects, parsed back from the YAML stream
//! `render` prints (and, where it helps, that the default without the knob differs).
//! Knobs the README marks as fixing a chart bug are asserted with the fixed behaviour.
//! expects where the tool currently does something else.

use serde::Deserialize;
use serde_yaml::Value;
use sg_executor_gen::config::Mode;
use sg_executor_gen::config::Overrides;
use sg_executor_gen::diagnostic::{Problem, Severity};
use sg_executor_gen::pipeline::{generate, PipelineError};
use std::collections::BTreeMap;

const DIND: &str = "\
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

    fn container(&self, deployment: &str, name: &str) -> &Value {
        seq(&self.pod_spec(deployment)["containers"])
            .iter()
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

// ---------------------------------------------------------------------------------------
// The minimal configs
// ---------------------------------------------------------------------------------------

#[test]
fn minimal_dind_config_renders_the_executor_its_config_and_the_registry() {
    let out = render(DIND);
    assert_eq!(
        out.ids(),
        [
            "ConfigMap/executor-config",
            "ConfigMap/executor-docker-config",
            "Deployment/executor",
            "Deployment/private-docker-registry",
            "PersistentVolumeClaim/private-docker-registry",
            "Service/executor",
            "Service/private-docker-registry",
        ]
    );
    assert_eq!(out.layers, ["private-registry"]);
    assert_eq!(out.container_names("executor"), ["executor", "dind"]);
    assert_eq!(
        out.container("executor", "dind")["securityContext"],
        yaml("privileged: true")
    );
    assert_eq!(
        out.config("DOCKER_HOST").as_deref(),
        Some("tcp://127.0.0.1:2375")
    );
    assert_eq!(out.config("TMPDIR").as_deref(), Some("/scratch"));
    assert_eq!(
        out.get("Deployment", "executor")["spec"]["replicas"],
        yaml("1")
    );
}

#[test]
fn mode_kubernetes_renders_native_executors_with_rbac_and_no_dind() {
    let out = render(K8S);
    assert_eq!(
        out.ids(),
        [
            "ConfigMap/executor-config",
            "Deployment/executor",
            "Role/executor",
            "RoleBinding/executor",
            "Service/executor",
            "ServiceAccount/executor",
        ]
    );
    assert!(out.layers.is_empty(), "{:?}", out.layers);
    assert_eq!(out.container_names("executor"), ["executor"]);
    assert_eq!(
        out.pod_spec("executor")["serviceAccountName"],
        yaml("executor")
    );
    assert!(!out.stream.contains("privileged: true"), "{}", out.stream);
    assert!(s(&out.container("executor", "executor")["image"]).starts_with(EXECUTOR_K8S_IMAGE));
    assert_eq!(out.config("DOCKER_HOST"), None);
    assert_eq!(out.config("TMPDIR"), None);
    // --mode on the command line does the same as the key.
    let flag = render_with(
        DIND,
        &Overrides {
            mode: Some(Mode::Kubernetes),
            ..Overrides::default()
        },
    );
    assert_eq!(flag.stream, out.stream);
}

#[test]
fn mode_refuses_keys_of_the_other_chart() {
    refused_at(&with(K8S, "dind: {command: [dockerd]}"), "dind");
    refused_at(
        &with(K8S, "executor: {env: {A: {value: b}}}"),
        "executor.env",
    );
    refused_at(
        &with(DIND, "executor: {storageSize: 10Gi}"),
        "executor.storageSize",
    );
    refused_at(
        &with(DIND, "executor: {configureRbac: true}"),
        "executor.configureRbac",
    );
}

// ---------------------------------------------------------------------------------------
// sourcegraph.*
// ---------------------------------------------------------------------------------------

#[test]
fn sourcegraph_image_repository_prefixes_the_executor_image() {
    let out = render(&with(
        DIND,
        "sourcegraph: {image: {repository: my.registry/sourcegraph}}",
    ));
    let image = s(&out.container("executor", "executor")["image"]);
    assert!(
        image.starts_with("my.registry/sourcegraph/executor:6.2.1106@sha256:"),
        "{image}"
    );
    // dind and the registry have their own image keys.
    assert!(s(&out.container("executor", "dind")["image"]).starts_with(DIND_IMAGE));
    assert!(
        s(&out.container("private-docker-registry", "registry")["image"])
            .starts_with(REGISTRY_IMAGE)
    );

    let k8s = render(&with(
        K8S,
        "sourcegraph: {image: {repository: my.registry/sourcegraph}}",
    ));
    let image = s(&k8s.container("executor", "executor")["image"]);
    assert!(
        image.starts_with("my.registry/sourcegraph/executor-kubernetes:6.2.1106@sha256:"),
        "{image}"
    );
}

#[test]
fn sourcegraph_image_pull_policy_reaches_every_container() {
    let default = render(DIND);
    assert_eq!(
        default.container("executor", "executor")["imagePullPolicy"],
        yaml("IfNotPresent")
    );
    let out = render(&with(DIND, "sourcegraph: {image: {pullPolicy: Always}}"));
    for (deployment, container) in [
        ("executor", "executor"),
        ("executor", "dind"),
        ("private-docker-registry", "registry"),
    ] {
        assert_eq!(
            out.container(deployment, container)["imagePullPolicy"],
            yaml("Always"),
            "{deployment}/{container}"
        );
    }
    let p = refused_at(
        &with(DIND, "sourcegraph: {image: {pullPolicy: always}}"),
        "sourcegraph.image.pullPolicy",
    );
    assert!(p.hint.unwrap_or_default().contains("Always"));
}

#[test]
fn sourcegraph_image_default_tag_applies_only_with_use_global_tag_as_default() {
    let ignored = render(&with(DIND, "sourcegraph: {image: {defaultTag: 9.9.9}}"));
    assert!(s(&ignored.container("executor", "executor")["image"]).starts_with(EXECUTOR_IMAGE));

    let out = render(&with(
        DIND,
        "sourcegraph: {image: {defaultTag: 9.9.9, useGlobalTagAsDefault: true}}\nexecutor: {image: {defaultTag: 1.2.3}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["image"],
        yaml("index.docker.io/sourcegraph/executor:9.9.9")
    );
}

#[test]
fn sourcegraph_image_pull_secrets_are_on_executor_and_registry_pods() {
    assert!(render(DIND)
        .pod_spec("executor")
        .get("imagePullSecrets")
        .is_none());
    let out = render(&with(
        DIND,
        "sourcegraph: {imagePullSecrets: [{name: regcred}, {name: other}]}",
    ));
    for deployment in ["executor", "private-docker-registry"] {
        assert_eq!(
            out.pod_spec(deployment)["imagePullSecrets"],
            yaml("[{name: regcred}, {name: other}]"),
            "{deployment}"
        );
    }
}

#[test]
fn sourcegraph_labels_are_on_every_object() {
    let dind = render(&with(
        DIND,
        "sourcegraph: {labels: {team: infra}}\nstorageClass: {create: true, name: fast}\nexecutor: {frontendExistingSecret: '', frontendPassword: pw, storage: {type: ephemeral, size: 50Gi}}",
    ));
    let k8s = render(&with(
        K8S,
        "sourcegraph: {labels: {team: infra}}\nexecutor: {storageSize: 10Gi}",
    ));
    assert!(dind.has("Secret", "executor-secret") && dind.has("StorageClass", "fast"));
    assert!(
        k8s.has("RoleBinding", "executor") && k8s.has("PersistentVolumeClaim", "executor-data")
    );
    for out in [&dind, &k8s] {
        for ((kind, name), object) in &out.objects {
            assert_eq!(
                object["metadata"]["labels"]["team"],
                yaml("infra"),
                "{kind}/{name}"
            );
        }
    }
    // Without the knob, no object has it.
    for ((kind, name), object) in &render(DIND).objects {
        assert!(
            object["metadata"]["labels"].get("team").is_none(),
            "{kind}/{name}"
        );
    }
}

#[test]
fn sourcegraph_pod_labels_are_on_executor_and_registry_pods_not_selectors() {
    let out = render(&with(DIND, "sourcegraph: {podLabels: {tier: ci}}"));
    for deployment in ["executor", "private-docker-registry"] {
        let d = out.get("Deployment", deployment);
        assert_eq!(
            d["spec"]["template"]["metadata"]["labels"]["tier"],
            yaml("ci"),
            "{deployment}"
        );
        assert!(
            d["spec"]["selector"]["matchLabels"].get("tier").is_none(),
            "{deployment}"
        );
        assert!(
            d["metadata"]["labels"].get("tier").is_none(),
            "{deployment}"
        );
    }
    refused_at(
        &with(DIND, "sourcegraph: {podLabels: {app: x}}"),
        "sourcegraph.podLabels.app",
    );
}

#[test]
fn sourcegraph_pod_annotations_are_on_executor_and_registry_pods() {
    let out = render(&with(
        DIND,
        "sourcegraph: {podAnnotations: {example.com/note: hello}}",
    ));
    for deployment in ["executor", "private-docker-registry"] {
        assert_eq!(
            out.pod(deployment)["metadata"]["annotations"]["example.com/note"],
            yaml("hello"),
            "{deployment}"
        );
    }
    // The executor pod keeps its own annotations next to the admin's.
    let annotations = &out.pod("executor")["metadata"]["annotations"];
    assert!(annotations.get("checksum/config").is_some());
    assert_eq!(
        annotations["kubectl.kubernetes.io/default-container"],
        yaml("executor")
    );
    assert!(render(DIND).pod("private-docker-registry")["metadata"]
        .get("annotations")
        .is_none());
}

#[test]
fn sourcegraph_node_selector_is_on_executor_and_registry_pods() {
    assert!(!render(DIND).has_layer("scheduling"));
    let out = render(&with(
        DIND,
        "sourcegraph: {nodeSelector: {pool: executors}}",
    ));
    assert!(out.has_layer("scheduling"));
    for deployment in ["executor", "private-docker-registry"] {
        assert_eq!(
            out.pod_spec(deployment)["nodeSelector"],
            yaml("{pool: executors}"),
            "{deployment}"
        );
    }
}

#[test]
fn sourcegraph_affinity_is_on_executor_and_registry_pods() {
    let affinity = "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [executors]}]}]}}}";
    let out = render(&with(
        DIND,
        &format!("sourcegraph: {{affinity: {affinity}}}"),
    ));
    for deployment in ["executor", "private-docker-registry"] {
        assert_eq!(
            out.pod_spec(deployment)["affinity"],
            yaml(affinity),
            "{deployment}"
        );
    }
    assert!(render(DIND).pod_spec("executor").get("affinity").is_none());
}

#[test]
fn sourcegraph_tolerations_are_on_executor_and_registry_pods() {
    let tolerations = "[{key: dedicated, operator: Equal, value: executors, effect: NoSchedule}]";
    let out = render(&with(
        DIND,
        &format!("sourcegraph: {{tolerations: {tolerations}}}"),
    ));
    for deployment in ["executor", "private-docker-registry"] {
        assert_eq!(
            out.pod_spec(deployment)["tolerations"],
            yaml(tolerations),
            "{deployment}"
        );
    }
    assert!(render(DIND)
        .pod_spec("executor")
        .get("tolerations")
        .is_none());
}

#[test]
fn sourcegraph_priority_class_name_is_on_executor_and_registry_pods() {
    let out = render(&with(DIND, "sourcegraph: {priorityClassName: executors}"));
    for deployment in ["executor", "private-docker-registry"] {
        assert_eq!(
            out.pod_spec(deployment)["priorityClassName"],
            yaml("executors"),
            "{deployment}"
        );
    }
    assert!(render(DIND)
        .pod_spec("executor")
        .get("priorityClassName")
        .is_none());
}

#[test]
fn sourcegraph_name_override_has_no_effect_and_warns() {
    let out = render(&with(DIND, "sourcegraph: {nameOverride: other}"));
    assert_eq!(out.ids(), render(DIND).ids());
    assert!(
        out.warning_at("sourcegraph.nameOverride").is_some(),
        "{:?}",
        out.warnings
    );
}

#[test]
fn sourcegraph_local_dev_mode_drops_the_kubernetes_executor_resources() {
    assert!(render(K8S)
        .container("executor", "executor")
        .get("resources")
        .is_some());
    let out = render(&with(K8S, "sourcegraph: {localDevMode: true}"));
    assert!(out
        .container("executor", "executor")
        .get("resources")
        .is_none());
}

// ---------------------------------------------------------------------------------------
// storageClass.*
// ---------------------------------------------------------------------------------------

#[test]
fn storage_class_name_sets_the_registry_claim_class() {
    let out = render(&with(DIND, "storageClass: {name: fast-ssd}"));
    let claim = out.get("PersistentVolumeClaim", "private-docker-registry");
    assert_eq!(claim["spec"]["storageClassName"], yaml("fast-ssd"));
    // Naming a class does not create one.
    assert!(out.names_of("StorageClass").is_empty());
}

#[test]
fn storage_class_absent_leaves_the_registry_claim_on_the_cluster_default() {
    // The chart asks for a class named `sourcegraph`, which usually does not exist.
    let out = render(DIND);
    let claim = out.get("PersistentVolumeClaim", "private-docker-registry");
    assert!(claim["spec"].get("storageClassName").is_none(), "{claim:?}");
    assert!(!out.stream.contains("storageClassName"));
}

#[test]
fn storage_class_create_renders_a_storage_class() {
    let out = render(&with(DIND, "storageClass: {create: true, name: fast}"));
    let sc = out.get("StorageClass", "fast");
    assert_eq!(sc["provisioner"], yaml("kubernetes.io/gce-pd"));
    assert_eq!(sc["parameters"], yaml("{type: pd-ssd}"));
    assert_eq!(
        out.get("PersistentVolumeClaim", "private-docker-registry")["spec"]["storageClassName"],
        yaml("fast")
    );

    let custom = render(&with(
        DIND,
        "storageClass: {create: true, name: gp3, provisioner: ebs.csi.aws.com, type: gp3, parameters: {iops: '3000'}, allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]}]}",
    ));
    let sc = custom.get("StorageClass", "gp3");
    assert_eq!(sc["provisioner"], yaml("ebs.csi.aws.com"));
    assert_eq!(sc["parameters"], yaml("{iops: '3000', type: gp3}"));
    assert_eq!(
        sc["allowedTopologies"],
        yaml(
            "[{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [us-east-1a]}]}]"
        )
    );
}

#[test]
fn storage_class_name_sets_the_kubernetes_data_claim_class() {
    let out = render(&with(
        K8S,
        "storageClass: {name: fast}\nexecutor: {storageSize: 100Gi}",
    ));
    assert_eq!(
        out.get("PersistentVolumeClaim", "executor-data")["spec"]["storageClassName"],
        yaml("fast")
    );
    let default = render(&with(K8S, "executor: {storageSize: 100Gi}"));
    assert!(
        default.get("PersistentVolumeClaim", "executor-data")["spec"]
            .get("storageClassName")
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------
// queues[]
// ---------------------------------------------------------------------------------------

const QUEUES_BASE: &str = "\
executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
";

#[test]
fn queues_render_one_deployment_per_entry_and_no_single_deployment() {
    let out = render(&with(
        QUEUES_BASE,
        "queues: [{name: batches}, {name: codeintel}]",
    ));
    assert!(out.has_layer("per-queue"));
    assert!(!out.has("Deployment", "executor"));
    assert_eq!(
        out.names_of("Deployment"),
        [
            "executor-batches",
            "executor-codeintel",
            "private-docker-registry"
        ]
    );
    for d in ["executor-batches", "executor-codeintel"] {
        assert_eq!(out.container_names(d), ["executor", "dind"]);
    }
    assert!(!render(DIND).has_layer("per-queue"));
}

#[test]
fn queues_replica_count_and_resources_are_per_entry() {
    let out = render(&with(
        QUEUES_BASE,
        "executor: {resources: {limits: {cpu: '3', memory: 6Gi}, requests: {cpu: '1', memory: 1Gi}}}\nqueues:\n- {name: codeintel, replicaCount: 2, resources: {limits: {cpu: '4', memory: 8Gi}, requests: {cpu: '2', memory: 4Gi}}}\n- {name: batches}",
    ));
    assert_eq!(
        out.get("Deployment", "executor-codeintel")["spec"]["replicas"],
        yaml("2")
    );
    assert_eq!(
        out.get("Deployment", "executor-batches")["spec"]["replicas"],
        yaml("1")
    );
    assert_eq!(
        out.container("executor-codeintel", "executor")["resources"],
        yaml("{limits: {cpu: '4', memory: 8Gi}, requests: {cpu: '2', memory: 4Gi}}")
    );
    // An entry without resources gets executor.resources.
    assert_eq!(
        out.container("executor-batches", "executor")["resources"],
        yaml("{limits: {cpu: '3', memory: 6Gi}, requests: {cpu: '1', memory: 1Gi}}")
    );
}

#[test]
fn queues_env_merges_over_executor_env_and_the_entry_wins() {
    let out = render(&with(
        QUEUES_BASE,
        "executor: {env: {SHARED: {value: base}, OVERRIDDEN: {value: base}}}\nqueues:\n- {name: codeintel, env: {OVERRIDDEN: {value: mine}, OWN: {valueFrom: {secretKeyRef: {name: s, key: k}}}}}\n- {name: batches}",
    ));
    assert_eq!(
        out.exec_env("executor-codeintel", "SHARED").as_deref(),
        Some("base")
    );
    assert_eq!(
        out.exec_env("executor-codeintel", "OVERRIDDEN").as_deref(),
        Some("mine")
    );
    assert_eq!(
        out.env("executor-codeintel", "executor", "OWN").unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: s, key: k}}")
    );
    assert_eq!(
        out.exec_env("executor-batches", "OVERRIDDEN").as_deref(),
        Some("base")
    );
    assert!(out.env("executor-batches", "executor", "OWN").is_none());
    // One entry per name, never a duplicate.
    let names = out.env_names("executor-codeintel", "executor");
    assert_eq!(
        names.iter().filter(|n| *n == "OVERRIDDEN").count(),
        1,
        "{names:?}"
    );
}

#[test]
fn queues_queue_names_win_over_queue_name_which_defaults_to_the_entry_name() {
    let out = render(&with(
        QUEUES_BASE,
        "queues:\n- {name: codeintel}\n- {name: fast, queueName: batches}\n- {name: both, queueName: codeintel, queueNames: [batches, codeintel]}",
    ));
    assert_eq!(
        out.exec_env("executor-codeintel", "EXECUTOR_QUEUE_NAME")
            .as_deref(),
        Some("codeintel")
    );
    assert_eq!(
        out.exec_env("executor-fast", "EXECUTOR_QUEUE_NAME")
            .as_deref(),
        Some("batches")
    );
    assert_eq!(
        out.exec_env("executor-both", "EXECUTOR_QUEUE_NAMES")
            .as_deref(),
        Some("batches,codeintel")
    );
    assert!(out
        .env("executor-both", "executor", "EXECUTOR_QUEUE_NAME")
        .is_none());
}

#[test]
fn queues_deployments_never_select_each_others_pods() {
    let out = render(&with(
        QUEUES_BASE,
        "queues: [{name: batches}, {name: codeintel}]",
    ));
    let names = [
        "executor-batches",
        "executor-codeintel",
        "private-docker-registry",
    ];
    for a in names {
        let selector = &out.get("Deployment", a)["spec"]["selector"]["matchLabels"];
        for b in names {
            let labels = &out.pod(b)["metadata"]["labels"];
            assert_eq!(
                selects(selector, labels),
                a == b,
                "{a} selecting {b}'s pods"
            );
        }
    }
    // The metrics Service selects every executor pod, and no registry pod.
    let service = &out.get("Service", "executor")["spec"]["selector"];
    assert!(selects(
        service,
        &out.pod("executor-batches")["metadata"]["labels"]
    ));
    assert!(selects(
        service,
        &out.pod("executor-codeintel")["metadata"]["labels"]
    ));
    assert!(!selects(
        service,
        &out.pod("private-docker-registry")["metadata"]["labels"]
    ));
}

// ---------------------------------------------------------------------------------------
// executor.* (both modes)
// ---------------------------------------------------------------------------------------

#[test]
fn executor_frontend_url_reaches_the_executor() {
    let out = render(&with(
        DIND,
        "executor: {frontendUrl: 'https://sourcegraph.example.com'}",
    ));
    assert_eq!(
        out.config("EXECUTOR_FRONTEND_URL").as_deref(),
        Some("https://sourcegraph.example.com")
    );
    assert_eq!(
        render(DIND).config("EXECUTOR_FRONTEND_URL").as_deref(),
        Some("http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080")
    );
}

#[test]
fn executor_frontend_url_empty_or_missing_is_refused() {
    // The chart renders an empty URL and the executor fails at start.
    refused_at(
        &with(DIND, "executor: {frontendUrl: ''}"),
        "executor.frontendUrl",
    );
    refused_at(
        "executor: {frontendExistingSecret: executor-frontend, queueName: batches}\n",
        "executor.frontendUrl",
    );
    refused_at(
        &with(K8S, "executor: {frontendUrl: ''}"),
        "executor.frontendUrl",
    );
}

#[test]
fn executor_frontend_existing_secret_is_referenced_not_rendered() {
    let out = render(DIND);
    assert_eq!(
        out.env("executor", "executor", "EXECUTOR_FRONTEND_PASSWORD")
            .unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: executor-frontend, key: EXECUTOR_FRONTEND_PASSWORD}}")
    );
    assert!(out.names_of("Secret").is_empty());
    assert_eq!(out.config("EXECUTOR_FRONTEND_PASSWORD"), None);
}

#[test]
fn executor_frontend_password_goes_into_a_secret_and_nowhere_else() {
    let password = "s3cr3t-Token!";
    for base in [DIND, K8S] {
        let config = with(
            base,
            &format!("executor: {{frontendExistingSecret: '', frontendPassword: '{password}'}}"),
        );
        let out = render(&config);
        let secret = out.get("Secret", "executor-secret");
        assert_eq!(secret["type"], yaml("Opaque"));
        // base64 of the password, as Kubernetes expects in `data`.
        assert_eq!(
            secret["data"],
            yaml("{EXECUTOR_FRONTEND_PASSWORD: czNjcjN0LVRva2VuIQ==}")
        );
        assert_eq!(
            out.env("executor", "executor", "EXECUTOR_FRONTEND_PASSWORD")
                .unwrap()["valueFrom"],
            yaml("{secretKeyRef: {name: executor-secret, key: EXECUTOR_FRONTEND_PASSWORD}}")
        );
        assert!(
            !out.stream.contains(password),
            "the password is in plain text"
        );
        assert!(out.warning_at("executor.frontendPassword").is_some());
        for w in &out.warnings {
            assert!(
                !w.message.contains(password)
                    && !w.hint.clone().unwrap_or_default().contains(password)
            );
        }
    }
}

#[test]
fn executor_frontend_existing_secret_wins_over_frontend_password() {
    let out = render(&with(DIND, "executor: {frontendPassword: hunter2}"));
    assert!(out.names_of("Secret").is_empty());
    assert!(!out.stream.contains("hunter2"));
    assert!(out.warning_at("executor.frontendPassword").is_some());
}

#[test]
fn executor_queue_name_reaches_the_executor() {
    let out = render(&with(DIND, "executor: {queueName: codeintel}"));
    assert_eq!(
        out.exec_env("executor", "EXECUTOR_QUEUE_NAME").as_deref(),
        Some("codeintel")
    );
    assert!(out
        .env("executor", "executor", "EXECUTOR_QUEUE_NAMES")
        .is_none());
    refused_at(
        &with(DIND, "executor: {queueName: batchs}"),
        "executor.queueName",
    );
}

#[test]
fn executor_queue_names_reach_the_executor_comma_separated() {
    let config = "executor:\n  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n  frontendExistingSecret: executor-frontend\n  queueNames: [batches, codeintel]\n";
    let out = render(config);
    assert_eq!(
        out.exec_env("executor", "EXECUTOR_QUEUE_NAMES").as_deref(),
        Some("batches,codeintel")
    );
    assert!(out
        .env("executor", "executor", "EXECUTOR_QUEUE_NAME")
        .is_none());
    // Both at once is an error.
    refused_at(
        &with(DIND, "executor: {queueNames: [codeintel]}"),
        "executor.queueNames",
    );
}

#[test]
fn executor_missing_queue_is_refused() {
    // The chart renders an empty queue name and the executor refuses to start.
    let config = "executor:\n  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n  frontendExistingSecret: executor-frontend\n";
    let p = refused_at(config, "executor.queueName");
    assert!(p.hint.unwrap_or_default().contains("queueNames"));
    refused_at(
        &with(DIND, "executor: {queueName: ''}"),
        "executor.queueName",
    );
    refused_at(&format!("mode: kubernetes\n{config}"), "executor.queueName");
}

#[test]
fn executor_maximum_num_jobs_reaches_the_executor() {
    // The dind chart drops it; the default is the chart's 10.
    assert_eq!(
        render(DIND).config("EXECUTOR_MAXIMUM_NUM_JOBS").as_deref(),
        Some("10")
    );
    let out = render(&with(DIND, "executor: {maximumNumJobs: 4}"));
    assert_eq!(
        out.config("EXECUTOR_MAXIMUM_NUM_JOBS").as_deref(),
        Some("4")
    );
    let k8s = render(&with(K8S, "executor: {maximumNumJobs: 4}"));
    assert_eq!(
        k8s.config("EXECUTOR_MAXIMUM_NUM_JOBS").as_deref(),
        Some("4")
    );
    refused_at(
        &with(DIND, "executor: {maximumNumJobs: 0}"),
        "executor.maximumNumJobs",
    );
}

#[test]
fn executor_maximum_runtime_per_job_reaches_the_executor() {
    assert_eq!(
        render(DIND)
            .config("EXECUTOR_MAXIMUM_RUNTIME_PER_JOB")
            .as_deref(),
        Some("30m")
    );
    let out = render(&with(DIND, "executor: {maximumRuntimePerJob: 1h30m}"));
    assert_eq!(
        out.config("EXECUTOR_MAXIMUM_RUNTIME_PER_JOB").as_deref(),
        Some("1h30m")
    );
    refused_at(
        &with(DIND, "executor: {maximumRuntimePerJob: forever}"),
        "executor.maximumRuntimePerJob",
    );
}

#[test]
fn executor_log_level_reaches_the_executor() {
    assert_eq!(
        render(DIND).config("SRC_LOG_LEVEL").as_deref(),
        Some("warn")
    );
    let out = render(&with(DIND, "executor: {log: {level: dbug}}"));
    assert_eq!(out.config("SRC_LOG_LEVEL").as_deref(), Some("dbug"));
    refused_at(
        &with(DIND, "executor: {log: {level: debug}}"),
        "executor.log.level",
    );
}

#[test]
fn executor_log_format_reaches_the_executor() {
    assert_eq!(
        render(DIND).config("SRC_LOG_FORMAT").as_deref(),
        Some("json")
    );
    assert_eq!(
        render(K8S).config("SRC_LOG_FORMAT").as_deref(),
        Some("condensed")
    );
    let out = render(&with(DIND, "executor: {log: {format: logfmt}}"));
    assert_eq!(out.config("SRC_LOG_FORMAT").as_deref(), Some("logfmt"));
    refused_at(
        &with(DIND, "executor: {log: {format: text}}"),
        "executor.log.format",
    );
}

#[test]
fn executor_log_trace_reaches_the_executor() {
    assert_eq!(render(DIND).config("SRC_TRACE_LOG"), None);
    // The chart's values write it as a string.
    let out = render(&with(DIND, "executor: {log: {trace: 'true'}}"));
    assert_eq!(out.config("SRC_TRACE_LOG").as_deref(), Some("true"));
    let k8s = render(&with(K8S, "executor: {log: {trace: 'false'}}"));
    assert_eq!(k8s.config("SRC_TRACE_LOG").as_deref(), Some("false"));
}

#[test]
fn executor_resources_set_the_executor_container_resources() {
    assert_eq!(
        render(DIND).container("executor", "executor")["resources"],
        yaml("{limits: {cpu: '1', memory: 4Gi}, requests: {cpu: 500m, memory: 200Mi}}")
    );
    let out = render(&with(
        DIND,
        "executor: {resources: {limits: {cpu: '2', memory: 8Gi}, requests: {cpu: '1', memory: 2Gi}}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["resources"],
        yaml("{limits: {cpu: '2', memory: 8Gi}, requests: {cpu: '1', memory: 2Gi}}")
    );
    refused_at(
        &with(DIND, "executor: {resources: {limits: {memory: 50GB}}}"),
        "executor.resources.limits.memory",
    );
}

#[test]
fn executor_image_name_and_default_tag_set_the_executor_image() {
    let out = render(&with(
        DIND,
        "executor: {image: {name: my-executor, defaultTag: 1.2.3}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["image"],
        yaml("index.docker.io/sourcegraph/my-executor:1.2.3")
    );
}

#[test]
fn executor_image_tag_wins_over_every_default_tag() {
    let out = render(&with(
        DIND,
        "executor: {image: {defaultTag: 1.2.3, tag: 4.5.6}}\nsourcegraph: {image: {defaultTag: 9.9.9, useGlobalTagAsDefault: true}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["image"],
        yaml("index.docker.io/sourcegraph/executor:4.5.6")
    );
}

#[test]
fn executor_replica_count_sets_the_dind_replicas() {
    let out = render(&with(DIND, "executor: {replicaCount: 3}"));
    assert_eq!(
        out.get("Deployment", "executor")["spec"]["replicas"],
        yaml("3")
    );
    let zero = render(&with(DIND, "executor: {replicaCount: 0}"));
    assert_eq!(
        zero.get("Deployment", "executor")["spec"]["replicas"],
        yaml("0")
    );
    refused_at(
        &with(DIND, "executor: {replicaCount: -1}"),
        "executor.replicaCount",
    );
}

#[test]
fn executor_replica_count_other_than_one_is_refused_in_kubernetes_mode() {
    refused_at(
        &with(K8S, "executor: {replicaCount: 2}"),
        "executor.replicaCount",
    );
    let one = render(&with(K8S, "executor: {replicaCount: 1}"));
    assert_eq!(
        one.get("Deployment", "executor")["spec"]["replicas"],
        yaml("1")
    );
}

#[test]
fn executor_env_value_and_value_from_reach_the_executor_sorted() {
    let out = render(&with(
        DIND,
        "executor: {env: {ZED: {value: last}, EXECUTOR_DOCKER_AUTH_CONFIG: {valueFrom: {secretKeyRef: {name: executor-docker-auth, key: config.json}}}, ALPHA: {value: '1'}}}",
    ));
    assert_eq!(out.exec_env("executor", "ZED").as_deref(), Some("last"));
    assert_eq!(out.exec_env("executor", "ALPHA").as_deref(), Some("1"));
    assert_eq!(
        out.env("executor", "executor", "EXECUTOR_DOCKER_AUTH_CONFIG")
            .unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: executor-docker-auth, key: config.json}}")
    );
    let names = out.env_names("executor", "executor");
    let extra: Vec<&String> = names
        .iter()
        .filter(|n| ["ZED", "ALPHA", "EXECUTOR_DOCKER_AUTH_CONFIG"].contains(&n.as_str()))
        .collect();
    assert_eq!(extra, ["ALPHA", "EXECUTOR_DOCKER_AUTH_CONFIG", "ZED"]);
    assert!(render(DIND).env("executor", "executor", "ZED").is_none());
}

#[test]
fn executor_env_managed_variable_is_refused_naming_the_key() {
    for (var, key) in [
        ("EXECUTOR_MAXIMUM_NUM_JOBS", "executor.maximumNumJobs"),
        ("EXECUTOR_FRONTEND_URL", "executor.frontendUrl"),
        ("SRC_LOG_LEVEL", "executor.log.level"),
        ("DOCKER_HOST", "dind.daemonConfig.hosts"),
    ] {
        let config = with(DIND, &format!("executor: {{env: {{{var}: {{value: x}}}}}}"));
        match generate(&config, &Overrides::default()) {
            Err(PipelineError::Config(e)) => {
                let p = e
                    .problems
                    .iter()
                    .find(|p| p.path == format!("executor.env.{var}"))
                    .unwrap_or_else(|| {
                        panic!("no problem at executor.env.{var}: {:?}", e.problems)
                    });
                assert_eq!(p.severity, Severity::Error);
                let text = format!("{} {}", p.message, p.hint.clone().unwrap_or_default());
                assert!(text.contains(key), "{var}: {text}");
            }
            Err(other) => panic!("{var}: expected a config error, got {other}"),
            Ok(_) => panic!("{var} was accepted"),
        }
    }
}

#[test]
fn executor_storage_empty_dir_size_sets_the_scratch_size_limit() {
    assert_eq!(
        render(DIND).volume("executor", "executor-scratch").unwrap()["emptyDir"],
        yaml("{sizeLimit: 20Gi}")
    );
    let out = render(&with(
        DIND,
        "executor: {storage: {type: emptyDir, size: 5Gi}}",
    ));
    assert_eq!(
        out.volume("executor", "executor-scratch").unwrap()["emptyDir"],
        yaml("{sizeLimit: 5Gi}")
    );
    // An empty size means unlimited, and warns.
    let unlimited = render(&with(DIND, "executor: {storage: {size: ''}}"));
    assert_eq!(
        unlimited.volume("executor", "executor-scratch").unwrap()["emptyDir"],
        yaml("{}")
    );
    assert!(
        unlimited.warning_at("executor.storage").is_some(),
        "{:?}",
        unlimited.warnings
    );
    // Both containers share the volume at /scratch.
    for c in ["executor", "dind"] {
        assert_eq!(
            out.mount("executor", c, "/scratch").unwrap()["name"],
            yaml("executor-scratch")
        );
    }
}

#[test]
fn executor_storage_ephemeral_puts_scratch_on_a_per_pod_claim() {
    let out = render(&with(
        DIND,
        "executor: {storage: {type: ephemeral, size: 50Gi, class: premium-rwo}}",
    ));
    assert!(out.has_layer("ephemeral-scratch"));
    let volume = out.volume("executor", "executor-scratch").unwrap();
    assert!(volume.get("emptyDir").is_none(), "{volume:?}");
    let claim = &volume["ephemeral"]["volumeClaimTemplate"]["spec"];
    assert_eq!(claim["resources"]["requests"]["storage"], yaml("50Gi"));
    assert_eq!(claim["storageClassName"], yaml("premium-rwo"));
    assert_eq!(claim["accessModes"], yaml("[ReadWriteOnce]"));
    for c in ["executor", "dind"] {
        assert!(out.mount("executor", c, "/scratch").is_some(), "{c}");
    }
    // No class: the cluster default.
    let default_class = render(&with(
        DIND,
        "executor: {storage: {type: ephemeral, size: 50Gi}}",
    ));
    let spec = &default_class
        .volume("executor", "executor-scratch")
        .unwrap()["ephemeral"]["volumeClaimTemplate"]["spec"];
    assert!(spec.get("storageClassName").is_none());
    // No size: refused.
    refused_at(
        &with(DIND, "executor: {storage: {type: ephemeral}}"),
        "executor.storage.size",
    );
    assert!(!render(DIND).has_layer("ephemeral-scratch"));
}

#[test]
fn executor_pod_security_context_defaults_to_fs_group_101_in_dind() {
    assert_eq!(
        render(DIND).pod_spec("executor")["securityContext"],
        yaml("{fsGroup: 101}")
    );
    let custom = render(&with(
        DIND,
        "executor: {podSecurityContext: {runAsUser: 1000, fsGroup: 2000}}",
    ));
    assert_eq!(
        custom.pod_spec("executor")["securityContext"],
        yaml("{runAsUser: 1000, fsGroup: 2000}")
    );
}

#[test]
fn executor_pod_security_context_empty_removes_it() {
    let out = render(&with(DIND, "executor: {podSecurityContext: {}}"));
    assert!(out.pod_spec("executor").get("securityContext").is_none());
}

// ---------------------------------------------------------------------------------------
// dind.*
// ---------------------------------------------------------------------------------------

#[test]
fn dind_image_sets_the_dind_image() {
    assert!(s(&render(DIND).container("executor", "dind")["image"]).starts_with(DIND_IMAGE));
    let out = render(&with(
        DIND,
        "dind: {image: {registry: my.registry, repository: mirror/docker, tag: 27-dind}}",
    ));
    assert_eq!(
        out.container("executor", "dind")["image"],
        yaml("my.registry/mirror/docker:27-dind")
    );
    // A tag alone applies to the pinned default repository, and warns.
    let tag_only = render(&with(DIND, "dind: {image: {tag: '27'}}"));
    assert_eq!(
        tag_only.container("executor", "dind")["image"],
        yaml("index.docker.io/sourcegraph/dind:27")
    );
    assert!(tag_only.warning_at("dind.image.tag").is_some());
}

#[test]
fn dind_command_replaces_dockerd() {
    assert_eq!(
        render(DIND).container("executor", "dind")["command"],
        yaml("[dockerd]")
    );
    let out = render(&with(DIND, "dind: {command: [dockerd, --debug]}"));
    assert_eq!(
        out.container("executor", "dind")["command"],
        yaml("[dockerd, --debug]")
    );
    refused_at(&with(DIND, "dind: {command: []}"), "dind.command");
}

#[test]
fn dind_daemon_config_merges_over_the_defaults() {
    let default = render(DIND).daemon_json();
    assert_eq!(default["mtu"], serde_json::json!(1200));
    assert_eq!(
        default["hosts"],
        serde_json::json!(["tcp://127.0.0.1:2375"])
    );
    assert_eq!(default["tls"], serde_json::json!(false));

    let out = render(&with(
        DIND,
        "dind: {daemonConfig: {debug: true, mtu: null, log-level: warn}}",
    ));
    let daemon = out.daemon_json();
    assert_eq!(daemon["debug"], serde_json::json!(true));
    assert_eq!(daemon["log-level"], serde_json::json!("warn"));
    assert!(
        daemon.get("mtu").is_none(),
        "null removes a default key: {daemon}"
    );
    assert_eq!(daemon["hosts"], serde_json::json!(["tcp://127.0.0.1:2375"]));
    assert_eq!(daemon["tls"], serde_json::json!(false));
    // dockerd must stay on loopback.
    refused_at(
        &with(
            DIND,
            "dind: {daemonConfig: {hosts: ['tcp://0.0.0.0:2375']}}",
        ),
        "dind.daemonConfig.hosts[0]",
    );
}

#[test]
fn dind_daemon_config_change_rolls_the_pods() {
    let base = render(DIND).checksum("executor");
    let changed = render(&with(DIND, "dind: {daemonConfig: {mtu: 1400}}")).checksum("executor");
    let same = render(&with(DIND, "dind: {daemonConfig: {mtu: 1200}}")).checksum("executor");
    assert_ne!(base, changed);
    assert_eq!(base, same);
}

#[test]
fn dind_resources_set_the_dind_container_resources() {
    assert_eq!(
        render(DIND).container("executor", "dind")["resources"],
        yaml("{limits: {cpu: '4', memory: 12Gi}, requests: {cpu: '1', memory: 4Gi}}")
    );
    let out = render(&with(
        DIND,
        "dind: {resources: {limits: {cpu: '8', memory: 16Gi}, requests: {cpu: '2', memory: 8Gi}}}",
    ));
    assert_eq!(
        out.container("executor", "dind")["resources"],
        yaml("{limits: {cpu: '8', memory: 16Gi}, requests: {cpu: '2', memory: 8Gi}}")
    );
    // The executor container keeps its own.
    assert_eq!(
        out.container("executor", "executor")["resources"],
        render(DIND).container("executor", "executor")["resources"]
    );
}

#[test]
fn dind_gvisor_enabled_runs_dind_in_the_sandbox() {
    let plain = render(DIND);
    let out = render(&with(DIND, "dind: {gVisor: {enabled: true}}"));
    assert!(out.has_layer("gvisor") && !plain.has_layer("gvisor"));
    assert_eq!(out.pod_spec("executor")["runtimeClassName"], yaml("gvisor"));
    assert!(plain.pod_spec("executor").get("runtimeClassName").is_none());

    let dind = out.container("executor", "dind");
    let sc = &dind["securityContext"];
    assert!(sc.get("privileged").is_none(), "{sc:?}");
    let caps: Vec<&str> = seq(&sc["capabilities"]["add"]).iter().map(s).collect();
    for cap in ["SYS_ADMIN", "NET_ADMIN"] {
        assert!(caps.contains(&cap), "{caps:?}");
    }
    assert!(
        !out.stream.contains("privileged"),
        "nothing is privileged under gVisor"
    );

    let command: Vec<&str> = seq(&dind["command"]).iter().map(s).collect();
    assert_eq!(&command[..2], ["/bin/sh", "-c"]);
    assert!(
        command[2].trim_end().ends_with("exec dockerd"),
        "{}",
        command[2]
    );

    let daemon = out.daemon_json();
    assert_eq!(daemon["storage-driver"], serde_json::json!("vfs"));
    assert_eq!(daemon["iptables"], serde_json::json!(false));
    assert!(plain.daemon_json().get("storage-driver").is_none());

    assert_eq!(
        out.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{}")
    );
    assert_eq!(
        out.mount("executor", "dind", "/var/lib/docker").unwrap()["name"],
        yaml("docker")
    );
    assert!(plain.volume("executor", "docker").is_none());

    assert_ne!(out.checksum("executor"), plain.checksum("executor"));
    let tuned = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true}, daemonConfig: {debug: true}}",
    ));
    assert_ne!(tuned.checksum("executor"), out.checksum("executor"));
}

#[test]
fn dind_gvisor_command_and_security_context_replace_the_defaults() {
    let out = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, command: [dockerd, --debug], securityContext: {capabilities: {add: [SYS_ADMIN]}}}}",
    ));
    let dind = out.container("executor", "dind");
    assert_eq!(dind["command"], yaml("[dockerd, --debug]"));
    assert_eq!(
        dind["securityContext"],
        yaml("{capabilities: {add: [SYS_ADMIN]}}")
    );
}

#[test]
fn dind_command_flags_that_daemon_json_also_sets_are_refused() {
    // dockerd refuses to start when a setting is both a flag and in daemon.json.
    refused_at(
        &with(
            DIND,
            "dind: {command: [dockerd, \"--host=tcp://0.0.0.0:2375\"]}",
        ),
        "dind.command[1]",
    );
    refused_at(
        &with(DIND, "dind: {command: [sh, -c, \"dockerd --mtu=1400\"]}"),
        "dind.command[2]",
    );
    refused_at(
        &with(
            DIND,
            "dind: {gVisor: {enabled: true, command: [dockerd, --iptables=false]}}",
        ),
        "dind.gVisor.command[1]",
    );
}

#[test]
fn dind_gvisor_daemon_config_merges_over_the_gvisor_defaults() {
    let out = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, daemonConfig: {debug: true}}}",
    ));
    let daemon = out.daemon_json();
    assert_eq!(daemon["debug"], serde_json::json!(true));
    // dockerd cannot run under gVisor without these.
    assert_eq!(
        daemon["storage-driver"],
        serde_json::json!("vfs"),
        "{daemon}"
    );
    assert_eq!(daemon["iptables"], serde_json::json!(false), "{daemon}");
}

// ---------------------------------------------------------------------------------------
// privateDockerRegistry.*
// ---------------------------------------------------------------------------------------

#[test]
fn private_docker_registry_enabled_false_drops_the_registry_and_its_mirror() {
    let on = render(DIND);
    assert_eq!(
        on.daemon_json()["registry-mirrors"],
        serde_json::json!(["http://private-docker-registry:5000"])
    );
    assert_eq!(
        on.daemon_json()["insecure-registries"],
        serde_json::json!(["private-docker-registry:5000"])
    );
    let out = render(&with(DIND, "privateDockerRegistry: {enabled: false}"));
    assert!(!out.has_layer("private-registry"));
    assert!(
        !out.stream.contains("private-docker-registry"),
        "{}",
        out.stream
    );
    let daemon = out.daemon_json();
    assert!(daemon.get("registry-mirrors").is_none(), "{daemon}");
    assert!(daemon.get("insecure-registries").is_none(), "{daemon}");
    // A mirror pointing at the registry that is not deployed is an error.
    refused_at(
        &with(
            DIND,
            "privateDockerRegistry: {enabled: false}\ndind: {daemonConfig: {registry-mirrors: ['http://private-docker-registry:5000']}}",
        ),
        "dind.daemonConfig.registry-mirrors",
    );
}

#[test]
fn private_docker_registry_image_sets_the_registry_image() {
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {image: {registry: ghcr.io, repository: me/registry, tag: '2.8'}}",
    ));
    assert_eq!(
        out.container("private-docker-registry", "registry")["image"],
        yaml("ghcr.io/me/registry:2.8")
    );
}

#[test]
fn private_docker_registry_storage_size_sets_the_claim_size() {
    let claim = |out: &Out| {
        out.get("PersistentVolumeClaim", "private-docker-registry")["spec"]["resources"]["requests"]
            ["storage"]
            .clone()
    };
    assert_eq!(claim(&render(DIND)), yaml("10Gi"));
    assert_eq!(
        claim(&render(&with(
            DIND,
            "privateDockerRegistry: {storageSize: 100Gi}"
        ))),
        yaml("100Gi")
    );
}

#[test]
fn private_docker_registry_env_passes_value_from_through() {
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {env: {REGISTRY_PROXY_USERNAME: {value: bot}, REGISTRY_PROXY_PASSWORD: {valueFrom: {secretKeyRef: {name: dockerhub, key: password}}}}}",
    ));
    let d = "private-docker-registry";
    assert_eq!(
        out.env(d, "registry", "REGISTRY_PROXY_PASSWORD").unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: dockerhub, key: password}}")
    );
    assert_eq!(
        out.env(d, "registry", "REGISTRY_PROXY_USERNAME").unwrap()["value"],
        yaml("bot")
    );
    assert_eq!(
        out.env(d, "registry", "REGISTRY_PROXY_REMOTEURL").unwrap()["value"],
        yaml("https://registry-1.docker.io")
    );
}

#[test]
fn private_docker_registry_resources_set_the_registry_resources() {
    assert_eq!(
        render(DIND).container("private-docker-registry", "registry")["resources"],
        yaml("{limits: {cpu: '1', memory: 1Gi}, requests: {cpu: 100m, memory: 256Mi}}")
    );
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {resources: {limits: {cpu: '2', memory: 2Gi}, requests: {cpu: '1', memory: 1Gi}}}",
    ));
    assert_eq!(
        out.container("private-docker-registry", "registry")["resources"],
        yaml("{limits: {cpu: '2', memory: 2Gi}, requests: {cpu: '1', memory: 1Gi}}")
    );
}

/// `[prefix/]name`, the name at most 63 characters of alphanumerics, `-`, `_`, `.`.
fn is_qualified_key(key: &str) -> bool {
    let (prefix, name) = key
        .rsplit_once('/')
        .map_or((None, key), |(p, n)| (Some(p), n));
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
    });
    name_ok && prefix_ok
}

fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

#[test]
fn private_docker_registry_service_metadata_is_valid() {
    let out = render(&with(
        DIND,
        "sourcegraph: {labels: {enabled: 'true', version: '1.10', example.com/team: infra}}",
    ));
    for name in ["private-docker-registry", "executor"] {
        let service = out.get("Service", name);
        // Typed: labels and annotations are maps of strings, ports are numbers.
        let json = serde_json::to_value(service).unwrap();
        let typed: k8s_openapi::api::core::v1::Service =
            serde_json::from_value(json).unwrap_or_else(|e| panic!("Service/{name}: {e}"));
        let meta = typed.metadata;
        for (k, v) in meta.labels.iter().flatten() {
            assert!(
                is_qualified_key(k) && is_label_value(v),
                "Service/{name} label {k}={v}"
            );
        }
        for (k, _) in meta.annotations.iter().flatten() {
            assert!(is_qualified_key(k), "Service/{name} annotation {k}");
        }
        let labels = meta.labels.unwrap();
        assert_eq!(labels["enabled"], "true");
        assert_eq!(labels["version"], "1.10");
        assert_eq!(labels["example.com/team"], "infra");
    }
    let registry = out.get("Service", "private-docker-registry");
    assert_eq!(
        registry["spec"]["ports"],
        yaml("[{name: http, port: 5000, targetPort: http, protocol: TCP}]")
    );
    assert!(selects(
        &registry["spec"]["selector"],
        &out.pod("private-docker-registry")["metadata"]["labels"]
    ));
    assert_eq!(
        out.get("Service", "executor")["metadata"]["annotations"]["prometheus.io/port"],
        yaml("'6060'")
    );
}

// ---------------------------------------------------------------------------------------
// Native Kubernetes mode
// ---------------------------------------------------------------------------------------

#[test]
fn executor_configure_rbac_renders_service_account_role_and_binding() {
    let out = render(K8S);
    assert!(out.has("ServiceAccount", "executor"));
    assert_eq!(
        out.get("Role", "executor")["rules"],
        yaml(
            "
- {apiGroups: [batch], resources: [jobs], verbs: [create, delete]}
- {apiGroups: [''], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [''], resources: [secrets, persistentvolumeclaims], verbs: [get, list, create, delete]}
"
        )
    );
    let binding = out.get("RoleBinding", "executor");
    assert_eq!(
        binding["roleRef"],
        yaml("{apiGroup: rbac.authorization.k8s.io, kind: Role, name: executor}")
    );
    assert_eq!(binding["subjects"][0]["kind"], yaml("ServiceAccount"));
    assert_eq!(binding["subjects"][0]["name"], yaml("executor"));
    assert_eq!(
        out.pod_spec("executor")["serviceAccountName"],
        yaml("executor")
    );
}

#[test]
fn executor_configure_rbac_binding_subject_is_in_the_rendered_namespace() {
    let flag = render_with(
        K8S,
        &Overrides {
            namespace: Some("tools".into()),
            ..Overrides::default()
        },
    );
    let krm = render(
        "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {name: executor, namespace: sg}\nspec:\n  mode: kubernetes\n  executor:\n    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n    frontendExistingSecret: executor-frontend\n    queueName: batches\n",
    );
    for (out, ns) in [(&flag, "tools"), (&krm, "sg")] {
        let binding = out.get("RoleBinding", "executor");
        assert_eq!(binding["metadata"]["namespace"], yaml(ns));
        assert_eq!(binding["subjects"][0]["namespace"], yaml(ns));
        assert_eq!(
            out.get("ServiceAccount", "executor")["metadata"]["namespace"],
            yaml(ns)
        );
    }
}

#[test]
fn executor_configure_rbac_without_a_namespace_warns_that_the_binding_assumes_default() {
    let out = render(K8S);
    let subject_ns = &out.get("RoleBinding", "executor")["subjects"][0]["namespace"];
    assert!(
        subject_ns.is_null()
            || out
                .warnings
                .iter()
                .any(|w| w.message.contains("namespace") || w.path.contains("namespace")),
        "subject namespace {subject_ns:?} with no warning: {:?}",
        out.warnings
    );
}

#[test]
fn executor_configure_rbac_false_renders_no_rbac_and_warns() {
    let out = render(&with(K8S, "executor: {configureRbac: false}"));
    for kind in ["ServiceAccount", "Role", "RoleBinding"] {
        assert!(out.names_of(kind).is_empty(), "{kind}");
    }
    let w = out.warning_at("executor.configureRbac").expect("a warning");
    assert!(w.message.contains("must already exist"), "{}", w.message);
    // The pod still runs as the ServiceAccount that must exist.
    assert_eq!(
        out.pod_spec("executor")["serviceAccountName"],
        yaml("executor")
    );
}

#[test]
fn executor_namespace_sets_the_job_namespace() {
    let default = render(K8S);
    assert_eq!(
        default
            .env("executor", "executor", "EXECUTOR_KUBERNETES_NAMESPACE")
            .unwrap()["valueFrom"],
        yaml("{fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}")
    );
    let out = render(&with(K8S, "executor: {namespace: jobs}"));
    let var = out
        .env("executor", "executor", "EXECUTOR_KUBERNETES_NAMESPACE")
        .unwrap();
    assert_eq!(var["value"], yaml("jobs"));
    assert!(var.get("valueFrom").is_none());
    assert_eq!(out.config("EXECUTOR_KUBERNETES_NAMESPACE"), None);
}

#[test]
fn executor_kubeconfig_path_reaches_the_executor_only_when_set() {
    assert_eq!(render(K8S).config("EXECUTOR_KUBERNETES_CONFIG_PATH"), None);
    assert_eq!(
        render(&with(K8S, "executor: {kubeconfigPath: ''}"))
            .config("EXECUTOR_KUBERNETES_CONFIG_PATH"),
        None
    );
    let out = render(&with(K8S, "executor: {kubeconfigPath: /etc/kube/config}"));
    assert_eq!(
        out.config("EXECUTOR_KUBERNETES_CONFIG_PATH").as_deref(),
        Some("/etc/kube/config")
    );
}

/// Renders the k8s config with `extra` and returns ConfigMap key `var`, and its default.
fn job_setting(extra: &str, var: &str) -> (Option<String>, Option<String>) {
    let out = render(&with(K8S, extra));
    // Job settings are never on the pod spec directly.
    assert!(out.env("executor", "executor", var).is_none());
    (out.config(var), render(K8S).config(var))
}

#[test]
fn executor_kubernetes_job_deadline_reaches_the_executor() {
    // The chart writes it as a string.
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {deadline: '1800'}}",
        "KUBERNETES_JOB_DEADLINE",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("1800"), Some("1200"))
    );
    refused_at(
        &with(K8S, "executor: {kubernetesJob: {deadline: 0}}"),
        "executor.kubernetesJob.deadline",
    );
}

#[test]
fn executor_kubernetes_job_run_as_user_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {runAsUser: 1001}}",
        "KUBERNETES_RUN_AS_USER",
    );
    assert_eq!((set.as_deref(), default), (Some("1001"), None));
}

#[test]
fn executor_kubernetes_job_run_as_group_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {runAsGroup: 1002}}",
        "KUBERNETES_RUN_AS_GROUP",
    );
    assert_eq!((set.as_deref(), default), (Some("1002"), None));
}

#[test]
fn executor_kubernetes_job_run_as_minus_one_means_unset() {
    let out = render(&with(
        K8S,
        "executor: {kubernetesJob: {runAsUser: -1, runAsGroup: -1}}",
    ));
    assert_eq!(out.config("KUBERNETES_RUN_AS_USER"), None);
    assert_eq!(out.config("KUBERNETES_RUN_AS_GROUP"), None);
}

#[test]
fn executor_kubernetes_job_fs_group_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {fsGroup: '2000'}}",
        "KUBERNETES_FS_GROUP",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("2000"), Some("1000"))
    );
}

#[test]
fn executor_kubernetes_job_resources_requests_cpu_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {requests: {cpu: '1'}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU",
    );
    assert_eq!((set.as_deref(), default), (Some("1"), None));
}

#[test]
fn executor_kubernetes_job_resources_requests_memory_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {requests: {memory: 2Gi}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("2Gi"), Some("1Gi"))
    );
}

#[test]
fn executor_kubernetes_job_resources_limits_cpu_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {limits: {cpu: '2'}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU",
    );
    assert_eq!((set.as_deref(), default), (Some("2"), None));
}

#[test]
fn executor_kubernetes_job_resources_limits_memory_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {limits: {memory: 8Gi}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("8Gi"), Some("12Gi"))
    );
    refused_at(
        &with(
            K8S,
            "executor: {kubernetesJob: {resources: {limits: {memory: 8GB}}}}",
        ),
        "executor.kubernetesJob.resources.limits.memory",
    );
}

#[test]
fn executor_kubernetes_job_node_name_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {node: {name: node-1}}}",
        "EXECUTOR_KUBERNETES_NODE_NAME",
    );
    assert_eq!((set.as_deref(), default), (Some("node-1"), None));
}

#[test]
fn executor_kubernetes_job_node_selector_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {node: {selector: 'pool=executors,disk=ssd'}}}",
        "EXECUTOR_KUBERNETES_NODE_SELECTOR",
    );
    assert_eq!(
        (set.as_deref(), default),
        (Some("pool=executors,disk=ssd"), None)
    );
    refused_at(
        &with(K8S, "executor: {kubernetesJob: {node: {selector: 'pool'}}}"),
        "executor.kubernetesJob.node.selector",
    );
}

#[test]
fn executor_kubernetes_job_node_tolerations_reach_the_executor() {
    let json = r#"[{"key": "executors", "operator": "Exists", "effect": "NoSchedule"}]"#;
    let (set, default) = job_setting(
        &format!("executor: {{kubernetesJob: {{node: {{tolerations: '{json}'}}}}}}"),
        "EXECUTOR_KUBERNETES_NODE_TOLERATIONS",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
    refused_at(
        &with(
            K8S,
            "executor: {kubernetesJob: {node: {tolerations: '[{\"kee\": \"x\"}]'}}}",
        ),
        "executor.kubernetesJob.node.tolerations",
    );
}

#[test]
fn executor_kubernetes_job_node_required_affinity_match_expressions_reach_the_executor() {
    let json = r#"[{"key": "foo", "operator": "In", "values": ["bar"]}]"#;
    let (set, default) = job_setting(
        &format!(
            "executor: {{kubernetesJob: {{node: {{requiredAffinityMatchExpressions: '{json}'}}}}}}"
        ),
        "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
}

#[test]
fn executor_kubernetes_job_node_required_affinity_match_fields_reach_the_executor() {
    let json = r#"[{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]"#;
    let (set, default) = job_setting(
        &format!(
            "executor: {{kubernetesJob: {{node: {{requiredAffinityMatchFields: '{json}'}}}}}}"
        ),
        "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
}

#[test]
fn executor_kubernetes_job_pod_affinity_reaches_the_executor() {
    let json = r#"[{"labelSelector": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}, "topologyKey": "kubernetes.io/hostname"}]"#;
    let (set, default) = job_setting(
        &format!("executor: {{kubernetesJob: {{pod: {{affinity: '{json}'}}}}}}"),
        "EXECUTOR_KUBERNETES_POD_AFFINITY",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
    refused_at(
        &with(
            K8S,
            "executor: {kubernetesJob: {pod: {affinity: 'not json'}}}",
        ),
        "executor.kubernetesJob.pod.affinity",
    );
}

#[test]
fn executor_kubernetes_job_pod_anti_affinity_reaches_the_executor() {
    let json = r#"[{"labelSelector": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["baz"]}]}, "topologyKey": "kubernetes.io/hostname"}]"#;
    let (set, default) = job_setting(
        &format!("executor: {{kubernetesJob: {{pod: {{antiAffinity: '{json}'}}}}}}"),
        "EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
}

#[test]
fn executor_debug_keep_jobs_reaches_the_executor() {
    // The chart writes it as a string.
    let (set, default) = job_setting(
        "executor: {debug: {keepJobs: 'true'}}",
        "KUBERNETES_KEEP_JOBS",
    );
    assert_eq!((set.as_deref(), default), (Some("true"), None));
}

#[test]
fn executor_debug_keep_workspaces_reaches_the_executor() {
    assert_eq!(render(K8S).config("EXECUTOR_KEEP_WORKSPACES"), None);
    let k8s = render(&with(K8S, "executor: {debug: {keepWorkspaces: 'true'}}"));
    assert_eq!(
        k8s.config("EXECUTOR_KEEP_WORKSPACES").as_deref(),
        Some("true")
    );
    let dind = render(&with(DIND, "executor: {debug: {keepWorkspaces: true}}"));
    assert_eq!(
        dind.config("EXECUTOR_KEEP_WORKSPACES").as_deref(),
        Some("true")
    );
}

#[test]
fn executor_docker_add_host_gateway_reaches_the_executor() {
    assert_eq!(render(K8S).config("EXECUTOR_DOCKER_ADD_HOST_GATEWAY"), None);
    let out = render(&with(K8S, "executor: {dockerAddHostGateway: 'true'}"));
    assert_eq!(
        out.config("EXECUTOR_DOCKER_ADD_HOST_GATEWAY").as_deref(),
        Some("true")
    );
    let off = render(&with(K8S, "executor: {dockerAddHostGateway: false}"));
    assert_eq!(
        off.config("EXECUTOR_DOCKER_ADD_HOST_GATEWAY").as_deref(),
        Some("false")
    );
}

#[test]
fn executor_node_selector_affinity_tolerations_schedule_the_kubernetes_executor() {
    let affinity = "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [executors]}]}]}}}";
    let out = render(&with(
        K8S,
        &format!("executor: {{nodeSelector: {{pool: executors}}, tolerations: [{{key: executors, operator: Exists, effect: NoSchedule}}], affinity: {affinity}}}"),
    ));
    assert!(out.has_layer("scheduling"));
    let spec = out.pod_spec("executor");
    assert_eq!(spec["nodeSelector"], yaml("{pool: executors}"));
    assert_eq!(
        spec["tolerations"],
        yaml("[{key: executors, operator: Exists, effect: NoSchedule}]")
    );
    assert_eq!(spec["affinity"], yaml(affinity));
    // The executor's own keys win over sourcegraph.*.
    let both = render(&with(
        K8S,
        "sourcegraph: {nodeSelector: {pool: global}}\nexecutor: {nodeSelector: {pool: mine}}",
    ));
    assert_eq!(
        both.pod_spec("executor")["nodeSelector"],
        yaml("{pool: mine}")
    );
    assert!(render(K8S)
        .pod_spec("executor")
        .get("nodeSelector")
        .is_none());
}

#[test]
fn executor_extra_env_reaches_the_kubernetes_executor() {
    let out = render(&with(
        K8S,
        "executor: {extraEnv: [{name: MY_ENV, value: my_value}, {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}]}",
    ));
    assert_eq!(
        out.exec_env("executor", "MY_ENV").as_deref(),
        Some("my_value")
    );
    assert_eq!(
        out.env("executor", "executor", "FROM_SECRET").unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: s, key: k}}")
    );
    let p = refused_at(
        &with(
            K8S,
            "executor: {extraEnv: [{name: KUBERNETES_JOB_DEADLINE, value: '1'}]}",
        ),
        "executor.extraEnv[0].name",
    );
    assert!(p
        .hint
        .unwrap_or_default()
        .contains("executor.kubernetesJob.deadline"));
}

#[test]
fn executor_container_security_context_sets_the_kubernetes_executor_container() {
    assert_eq!(
        render(K8S).container("executor", "executor")["securityContext"],
        yaml("{privileged: false}")
    );
    let out = render(&with(
        K8S,
        "executor: {containerSecurityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["securityContext"],
        yaml("{runAsNonRoot: true, allowPrivilegeEscalation: false}")
    );
}

#[test]
fn executor_pod_security_context_sets_the_kubernetes_executor_pod() {
    assert!(render(K8S)
        .pod_spec("executor")
        .get("securityContext")
        .is_none());
    let out = render(&with(
        K8S,
        "executor: {podSecurityContext: {fsGroup: 3000}}",
    ));
    assert_eq!(
        out.pod_spec("executor")["securityContext"],
        yaml("{fsGroup: 3000}")
    );
}

#[test]
fn executor_security_context_legacy_fills_the_pod_security_context_and_warns() {
    let out = render(&with(
        K8S,
        "executor: {securityContext: {runAsUser: 1000, runAsGroup: 1001, fsGroup: 1002}}",
    ));
    assert_eq!(
        out.pod_spec("executor")["securityContext"],
        yaml("{runAsUser: 1000, runAsGroup: 1001, fsGroup: 1002}")
    );
    assert!(
        out.warning_at("executor.securityContext").is_some(),
        "{:?}",
        out.warnings
    );
    // `privileged` goes to the container.
    let privileged = render(&with(
        K8S,
        "executor: {securityContext: {privileged: true}}",
    ));
    assert_eq!(
        privileged.container("executor", "executor")["securityContext"],
        yaml("{privileged: true}")
    );
    // podSecurityContext wins over the legacy key.
    let both = render(&with(
        K8S,
        "executor: {securityContext: {runAsUser: 1000}, podSecurityContext: {fsGroup: 5}}",
    ));
    assert_eq!(
        both.pod_spec("executor")["securityContext"],
        yaml("{fsGroup: 5}")
    );
}

#[test]
fn executor_storage_size_mounts_a_data_claim() {
    let none = render(K8S);
    assert!(none.names_of("PersistentVolumeClaim").is_empty());
    assert!(none.mount("executor", "executor", "/data").is_none());
    assert_eq!(
        none.config("EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME"),
        None
    );

    let out = render(&with(K8S, "executor: {storageSize: 100Gi}"));
    let claim = out.get("PersistentVolumeClaim", "executor-data");
    assert_eq!(
        claim["spec"]["resources"]["requests"]["storage"],
        yaml("100Gi")
    );
    assert_eq!(
        out.mount("executor", "executor", "/data").unwrap()["name"],
        yaml("data")
    );
    assert_eq!(
        out.volume("executor", "data").unwrap()["persistentVolumeClaim"],
        yaml("{claimName: executor-data}")
    );
    assert_eq!(
        out.config("EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME")
            .as_deref(),
        Some("executor-data")
    );
}
