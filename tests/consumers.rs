//! The component as admins consume it: a kustomization of their own lists it and applies
//! the transformers they use (namePrefix, nameSuffix, namespace, labels with and without
//! includeSelectors, commonAnnotations, images, replicas, strategic-merge and JSON patches),
//! or lists two stacks side by side. The real `kubectl kustomize` builds it, and
//! `sg-executor-gen check` must find the result still wired, in both modes; a patch that
//! breaks the wiring must be caught with a message that says what broke.
//!
//! kubectl is on this kind of machine; `.ci/run` installs it where it is missing. Set
//! `KUBECTL` to use another one. A missing kubectl fails the test: it never passes unchecked.

use crate::common;

use common::{run_tool, run_tool_in, scratch_dir, Run};
use serde::Deserialize;
use serde_yaml::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const DIND: &str = "\
apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata: {name: executor}
spec:
  executor:
    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
    frontendExistingSecret: executor-frontend
    queueName: batches
";

const K8S: &str = "\
apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata: {name: executor}
spec:
  mode: kubernetes
  executor:
    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
    frontendExistingSecret: executor-frontend
    queueName: batches
    storageSize: 10Gi
";

/// A workspace with the stack's component built in `components/<name>`.
struct Workspace {
    root: PathBuf,
}

impl Workspace {
    fn new(stacks: &[(&str, &str)]) -> Workspace {
        let root = scratch_dir("consumer");
        std::fs::create_dir_all(root.join("components")).unwrap();
        for (name, config) in stacks {
            std::fs::write(root.join(format!("{name}.yaml")), config).unwrap();
            let built = run_tool_in(
                &root,
                &[
                    "build",
                    "-f",
                    &format!("{name}.yaml"),
                    "-o",
                    &format!("components/{name}"),
                ],
                None,
            );
            assert_eq!(built.code, 0, "{}", built.stderr);
        }
        Workspace { root }
    }

    /// `kubectl kustomize` of a consumer kustomization with `body` and the listed stacks'
    /// components, and extra files beside it.
    fn kustomize(&self, stacks: &[&str], body: &str, files: &[(&str, &str)]) -> String {
        let app = self.root.join("app");
        let _ = std::fs::remove_dir_all(&app);
        std::fs::create_dir_all(&app).unwrap();
        let components: String = stacks
            .iter()
            .map(|s| format!("  - ../components/{s}\n"))
            .collect();
        std::fs::write(
            app.join("kustomization.yaml"),
            format!("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{body}\ncomponents:\n{components}"),
        )
        .unwrap();
        for (name, text) in files {
            std::fs::write(app.join(name), text).unwrap();
        }
        kubectl_kustomize(&app)
    }
}

fn kubectl_kustomize(dir: &Path) -> String {
    common::kubectl_kustomize(dir).unwrap_or_else(|e| panic!("{e}"))
}

/// `sg-executor-gen check -f -` on a stream.
fn check(stream: &str) -> Run {
    run_tool(&["check", "-f", "-"], Some(stream))
}

fn assert_wired(stream: &str, what: &str) {
    let run = check(stream);
    assert_eq!(
        run.code, 0,
        "{what}: check found problems:\n{}\n{stream}",
        run.stderr
    );
    assert!(
        run.stderr.contains(" 0 problem(s)"),
        "{what}: {}",
        run.stderr
    );
}

fn objects(stream: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(stream)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn get<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind}/{name}"))
}

#[test]
fn name_prefix_and_suffix_rename_the_names_inside_values_too() {
    let ws = Workspace::new(&[("dind", DIND), ("k8s", K8S)]);
    for body in [
        "namePrefix: prod-",
        "nameSuffix: -x",
        "namePrefix: prod-\nnameSuffix: -x",
    ] {
        let (prefix, suffix) = match body {
            "namePrefix: prod-" => ("prod-", ""),
            "nameSuffix: -x" => ("", "-x"),
            _ => ("prod-", "-x"),
        };
        let stream = ws.kustomize(&["dind"], body, &[]);
        assert_wired(&stream, body);
        let all = objects(&stream);
        let registry = format!("{prefix}executor-registry{suffix}");
        get(&all, "Service", &registry);
        let docker = get(
            &all,
            "ConfigMap",
            &format!("{prefix}executor-docker-config{suffix}"),
        );
        assert_eq!(
            docker["data"]["sg-executor-gen.registry-service"].as_str(),
            Some(registry.as_str()),
            "{body}"
        );
        let stream = ws.kustomize(&["k8s"], body, &[]);
        assert_wired(&stream, body);
        let all = objects(&stream);
        let claim = format!("{prefix}executor-data{suffix}");
        get(&all, "PersistentVolumeClaim", &claim);
        let config = get(
            &all,
            "ConfigMap",
            &format!("{prefix}executor-config{suffix}"),
        );
        assert_eq!(
            config["data"]["EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME"].as_str(),
            Some(claim.as_str()),
            "{body}"
        );
    }
}

#[test]
fn namespace_labels_annotations_images_and_replicas_keep_the_wiring() {
    let ws = Workspace::new(&[("dind", DIND), ("k8s", K8S)]);
    let transformers = [
        "namespace: tenant",
        "labels:\n  - pairs: {team: platform}",
        "labels:\n  - pairs: {team: platform}\n    includeSelectors: true",
        "labels:\n  - pairs: {team: platform}\n    includeTemplates: true",
        "commonAnnotations: {owner: platform}",
        "replicas:\n  - name: executor\n    count: 3",
    ];
    for stack in ["dind", "k8s"] {
        for body in transformers {
            let stream = ws.kustomize(&[stack], body, &[]);
            assert_wired(&stream, &format!("{stack}: {body}"));
        }
    }
    // images: by the full name as the tool prints it.
    let stream = ws.kustomize(
        &["dind"],
        "images:\n  - name: index.docker.io/sourcegraph/executor\n    newTag: 6.3.0\n  - name: index.docker.io/sourcegraph/dind\n    newName: registry.example.com/dind\n  - name: index.docker.io/registry\n    newTag: '3.0.0'",
        &[],
    );
    assert_wired(&stream, "images");
    assert!(
        stream.contains("image: index.docker.io/sourcegraph/executor:6.3.0\n"),
        "{stream}"
    );
    assert!(
        stream.contains("image: registry.example.com/dind:6.2.1106@sha256:"),
        "{stream}"
    );
    let stream = ws.kustomize(
        &["k8s"],
        "images:\n  - name: index.docker.io/sourcegraph/executor-kubernetes\n    newTag: 6.3.0",
        &[],
    );
    assert_wired(&stream, "images (k8s)");
    assert!(stream.contains("executor-kubernetes:6.3.0\n"), "{stream}");
    let namespaced = objects(&ws.kustomize(&["k8s"], "namespace: tenant", &[]));
    let binding = get(&namespaced, "RoleBinding", "sg-executor-role-binding");
    assert_eq!(binding["subjects"][0]["namespace"].as_str(), Some("tenant"));
}

#[test]
fn consumer_patches_keep_the_wiring_and_a_broken_one_is_caught() {
    // (A hostPath volume has a source `check` once did not count, and was reported.)
    let ws = Workspace::new(&[("dind", DIND), ("k8s", K8S)]);
    // An env variable, and the node's CA certificates mounted from a hostPath volume.
    let smp = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: executor}\nspec:\n  template:\n    spec:\n      containers:\n        - name: executor\n          env:\n            - {name: SRC_HEADER_X_TEAM, value: platform}\n          volumeMounts:\n            - {name: node-ca, mountPath: /etc/ssl/node, readOnly: true}\n      volumes:\n        - name: node-ca\n          hostPath: {path: /etc/ssl/certs, type: Directory}\n";
    let json = "- op: replace\n  path: /spec/replicas\n  value: 2\n";
    for stack in ["dind", "k8s"] {
        let stream = ws.kustomize(
            &[stack],
            "namePrefix: prod-\npatches:\n  - path: smp.yaml\n    target: {kind: Deployment, name: executor}\n  - path: json.yaml\n    target: {kind: Deployment, name: executor}",
            &[("smp.yaml", smp), ("json.yaml", json)],
        );
        assert_wired(&stream, &format!("{stack} patches"));
        let all = objects(&stream);
        assert_eq!(
            get(&all, "Deployment", "prod-executor")["spec"]["replicas"],
            Value::from(2)
        );
    }
    // A patch that points dockerd's mirror somewhere that does not exist.
    let broken =
        "- op: replace\n  path: /data/sg-executor-gen.registry-service\n  value: nowhere\n";
    let stream = ws.kustomize(
        &["dind"],
        "patches:\n  - path: broken.yaml\n    target: {kind: ConfigMap, name: executor-docker-config}",
        &[("broken.yaml", broken)],
    );
    let run = check(&stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dockerd's mirror `http://nowhere:5000` names the Service nowhere"),
        "{}",
        run.stderr
    );
    // A patch that renames the native executor's port: the chart's Service loses its endpoints.
    let port =
        "- op: replace\n  path: /spec/template/spec/containers/0/ports/0/name\n  value: metrics\n";
    let stream = ws.kustomize(
        &["k8s"],
        "patches:\n  - path: port.yaml\n    target: {kind: Deployment, name: executor}",
        &[("port.yaml", port)],
    );
    let run = check(&stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("Service/executor spec.ports[0].targetPort"),
        "{}",
        run.stderr
    );
}

#[test]
fn two_stacks_build_side_by_side_each_with_its_own_registry() {
    let batches = DIND.replace("name: executor}", "name: executor-batches}");
    let codeintel = DIND
        .replace("name: executor}", "name: executor-codeintel}")
        .replace("queueName: batches", "queueName: codeintel");
    let ws = Workspace::new(&[("batches", &batches), ("codeintel", &codeintel)]);
    for body in ["", "namePrefix: prod-\nnamespace: tenant"] {
        let stream = ws.kustomize(&["batches", "codeintel"], body, &[]);
        assert_wired(&stream, &format!("two stacks: {body}"));
        let all = objects(&stream);
        let prefix = if body.is_empty() { "" } else { "prod-" };
        for stack in ["executor-batches", "executor-codeintel"] {
            let docker = get(&all, "ConfigMap", &format!("{prefix}{stack}-docker-config"));
            assert_eq!(
                docker["data"]["sg-executor-gen.registry-service"].as_str(),
                Some(format!("{prefix}{stack}-registry").as_str())
            );
        }
    }
}

#[test]
fn two_native_stacks_that_both_create_rbac_are_told_what_to_do() {
    let codeintel = K8S
        .replace("name: executor}", "name: codeintel}")
        .replace("queueName: batches", "queueName: codeintel");
    let ws = Workspace::new(&[("batches", K8S), ("codeintel", &codeintel)]);
    // Concatenated renders (what applying both does): check names the fix.
    let batches = ws.kustomize(&["batches"], "", &[]);
    let other = ws.kustomize(&["codeintel"], "", &[]);
    let run = check(&format!("{batches}---\n{other}"));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("set executor.configureRbac: false in all but one"),
        "{}",
        run.stderr
    );
    // With configureRbac: false in the second, both build and check together.
    let reuse = codeintel.replace(
        "    storageSize: 10Gi\n",
        "    storageSize: 10Gi\n    configureRbac: false\n",
    );
    let ws = Workspace::new(&[("batches", K8S), ("codeintel", &reuse)]);
    let stream = ws.kustomize(&["batches", "codeintel"], "namespace: tenant", &[]);
    assert_wired(&stream, "two native stacks, one RBAC");
}

/// Why the tool refuses an object annotation that starts with a tab and spans lines
/// (config/characters.rs): kubectl kustomize cannot build an object that carries one, while
/// the same value in a pod template's annotations or a ConfigMap's data builds. When a
/// kubectl release fixes it, this test fails and the refusal can go.
#[test]
fn kubectl_kustomize_cannot_build_an_object_annotation_that_starts_with_a_tab_and_spans_lines() {
    let kubectl = common::kubectl();
    let builds = |object: &str| {
        let dir = scratch_dir("tab-annotation");
        std::fs::write(dir.join("kustomization.yaml"), "resources: [object.yaml]\n").unwrap();
        std::fs::write(dir.join("object.yaml"), object).unwrap();
        let out = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&dir)
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{kubectl} kustomize` ({e})"));
        out.status.success()
    };
    let value = "\"\\tx\\ny\"";
    assert!(!builds(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  annotations: {{k: {value}}}\n"
    )));
    assert!(builds(&format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\ndata: {{k: {value}}}\n"
    )));
    assert!(builds(&format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: a}}\nspec:\n  selector: {{matchLabels: {{a: b}}}}\n  template:\n    metadata:\n      labels: {{a: b}}\n      annotations: {{k: {value}}}\n    spec: {{containers: [{{name: c, image: i}}]}}\n"
    )));
}

#[test]
fn a_mirror_in_daemon_json_is_checked_and_a_rename_it_did_not_follow_is_caught() {
    // A dind.command that does not hand dockerd its arguments: the mirror is in daemon.json.
    let script = format!("{DIND}  dind:\n    command: [sh, -c, 'exec dockerd --debug']\n");
    let ws = Workspace::new(&[("dind", &script)]);
    for body in ["", "namespace: tenant"] {
        assert_wired(&ws.kustomize(&["dind"], body, &[]), body);
    }
    for body in ["namePrefix: prod-", "nameSuffix: -x"] {
        let run = check(&ws.kustomize(&["dind"], body, &[]));
        assert_eq!(run.code, 1, "{body}: {}", run.stderr);
        assert!(
            run.stderr.contains("dockerd's mirror `http://executor-registry:5000` names the Service executor-registry, which is not in its namespace, where the registry is the Service"),
            "{body}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("metadata.name"), "{}", run.stderr);
    }
}

#[test]
fn a_patched_executor_stays_drain_safe_and_a_short_grace_period_is_caught() {
    let ws = Workspace::new(&[("dind", DIND), ("k8s", K8S)]);
    // An env variable and another executor image: the pod is still drain-safe.
    let smp = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: executor}\nspec:\n  template:\n    spec:\n      containers:\n        - name: executor\n          env:\n            - {name: SRC_HEADER_X_TEAM, value: platform}\n";
    for stack in ["dind", "k8s"] {
        let stream = ws.kustomize(
            &[stack],
            "images:\n  - name: index.docker.io/sourcegraph/executor\n    newTag: 6.3.0\npatches:\n  - path: smp.yaml\n    target: {kind: Deployment, name: executor}",
            &[("smp.yaml", smp)],
        );
        assert_wired(&stream, &format!("{stack} patched"));
        let all = objects(&stream);
        let pod = &get(&all, "Deployment", "executor")["spec"]["template"]["spec"];
        assert!(pod["terminationGracePeriodSeconds"].as_i64() >= Some(1800 + 300));
        if stack == "dind" {
            let dind = &pod["initContainers"][0];
            assert_eq!(dind["name"].as_str(), Some("dind"));
            assert_eq!(dind["restartPolicy"].as_str(), Some("Always"));
            assert!(dind["startupProbe"]["exec"]["command"].is_sequence());
            assert_eq!(
                pod["containers"].as_sequence().map(Vec::len),
                Some(1),
                "the patch added no second dind: {pod:?}"
            );
        }
    }
    // A patch back to Kubernetes' 30 s: running jobs would be killed.
    let short =
        "- op: replace\n  path: /spec/template/spec/terminationGracePeriodSeconds\n  value: 30\n";
    for stack in ["dind", "k8s"] {
        let stream = ws.kustomize(
            &[stack],
            "patches:\n  - path: short.yaml\n    target: {kind: Deployment, name: executor}",
            &[("short.yaml", short)],
        );
        let run = check(&stream);
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains("Deployment/executor spec.template.spec.terminationGracePeriodSeconds")
                && run
                    .stderr
                    .contains("the pod gets 30 s to stop, less than the 30m"),
            "{}",
            run.stderr
        );
    }
    // A patch that turns the sidecar into a plain init container keeps its probe: refused
    // by the API server, and by `check`.
    let plain = "- op: remove\n  path: /spec/template/spec/initContainers/0/restartPolicy\n";
    let stream = ws.kustomize(
        &["dind"],
        "patches:\n  - path: plain.yaml\n    target: {kind: Deployment, name: executor}",
        &[("plain.yaml", plain)],
    );
    let run = check(&stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("spec.template.spec.initContainers[0].startupProbe"),
        "{}",
        run.stderr
    );
    // A patch that drops the sidecar's scratch mount: dockerd would not see the workspaces.
    let unmounted = "- op: remove\n  path: /spec/template/spec/initContainers/0/volumeMounts/0\n";
    let stream = ws.kustomize(
        &["dind"],
        "patches:\n  - path: unmounted.yaml\n    target: {kind: Deployment, name: executor}",
        &[("unmounted.yaml", unmounted)],
    );
    let run = check(&stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no other container mounts volume executor-scratch at /scratch"),
        "{}",
        run.stderr
    );
}
