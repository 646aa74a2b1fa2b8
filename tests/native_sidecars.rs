//! `check` reads a pod's init containers, native sidecars (`restartPolicy: Always`) among
//! them, exactly as its containers: what dind needs (its volumes, its `daemon.json` key, the
//! Service its registry mirror names) is checked wherever it runs, on any stream.

use crate::common::{run_tool, Run};

/// `sg-executor-gen check -f -` on a stream.
fn check(stream: &str) -> Run {
    run_tool(&["check", "-f", "-"], Some(stream))
}

/// A Deployment whose pod runs `executor` and, as a native sidecar, `dind` with `sidecar`
/// (indented as a container's keys); `volumes` is the pod's own list, if any.
fn deployment(sidecar: &str, volumes: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata: {{name: executor}}
spec:
  selector: {{matchLabels: {{app: executor}}}}
  template:
    metadata: {{labels: {{app: executor}}}}
    spec:
      containers:
        - name: executor
          image: sourcegraph/executor:6.0.0
          volumeMounts:
            - {{name: scratch, mountPath: /scratch}}
      initContainers:
        - name: dind
          image: docker:27-dind
          restartPolicy: Always
{sidecar}      volumes:
        - {{name: scratch, emptyDir: {{}}}}
{volumes}"
    )
}

const DOCKER_CONFIG: &str = "apiVersion: v1
kind: ConfigMap
metadata: {name: executor-docker-config}
data:
  daemon.json: '{\"registry-mirrors\": [\"http://executor-registry:5000\"]}'
";

/// The registry the mirror names: its Deployment and Service.
const REGISTRY: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: executor-registry}
spec:
  selector: {matchLabels: {app: executor-registry}}
  template:
    metadata: {labels: {app: executor-registry}}
    spec: {containers: [{name: registry, image: 'registry:2', ports: [{containerPort: 5000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: executor-registry}
spec:
  selector: {app: executor-registry}
  ports: [{port: 5000, targetPort: 5000}]
";

/// The line of each problem `check` printed: `<stdin>:LINE:COL: error: PATH: message`.
fn errors(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter(|l| l.contains(": error: "))
        .collect()
}

#[test]
fn a_native_sidecar_that_mounts_an_undeclared_volume_fails_the_check() {
    let stream = deployment(
        "          volumeMounts:\n            - {name: scratch, mountPath: /scratch}\n            - {name: docker-cache, mountPath: /var/lib/docker}\n",
        "",
    );
    let run = check(&stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        errors(&run),
        ["<stdin>:20:16: error: Deployment/executor spec.template.spec.initContainers[0].volumeMounts[1].name: mounts volume docker-cache, which the pod does not declare"],
        "{}",
        run.stderr
    );
}

#[test]
fn a_native_sidecar_dockerd_whose_mirror_names_a_missing_service_fails_the_check() {
    // On the command line, built from a variable as the stack's own mirror is…
    let stream = deployment(
        "          env: [{name: REGISTRY, value: executor-registry}]\n          args: [--registry-mirror=http://$(REGISTRY):5000]\n",
        "",
    );
    let run = check(&stream);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = errors(&run);
    assert_eq!(found.len(), 1, "{}", run.stderr);
    assert!(
        found[0].starts_with("<stdin>:")
            && found[0].contains(": error: Deployment/executor spec.template.spec.initContainers[0].args[0]: dockerd's mirror `http://executor-registry:5000` names the Service executor-registry, which is not in its namespace"),
        "{}",
        run.stderr
    );
    // …and in the daemon.json it mounts: a mirror written there is the admin's, so a
    // missing Service is noted (it may live in the cluster), and the key must be there.
    for (sub_path, code, expected) in [
        ("daemon.json", 0, "warning: Deployment/executor spec.template.spec.initContainers[0].volumeMounts (daemon.json registry-mirrors[0]): Service executor-registry in its namespace, which dockerd's mirror `http://executor-registry:5000` names, is not in the stream"),
        ("daemon.jsn", 1, "error: Deployment/executor spec.template.spec.initContainers[0].volumeMounts[0].subPath: ConfigMap executor-docker-config has no key daemon.jsn"),
    ] {
        let stream = format!(
            "{}---\n{DOCKER_CONFIG}",
            deployment(
                &format!("          volumeMounts:\n            - {{name: docker-config, mountPath: /etc/docker/daemon.json, subPath: {sub_path}}}\n"),
                "        - {name: docker-config, configMap: {name: executor-docker-config}}\n",
            )
        );
        let run = check(&stream);
        assert_eq!(run.code, code, "{}", run.stderr);
        assert!(
            run.stderr.lines().any(|l| l.starts_with("<stdin>:") && l.contains(expected)),
            "{expected}\n{}",
            run.stderr
        );
    }
}

/// With its volume, its ConfigMap key and its mirror's Service there, the same sidecar
/// passes; a Service may reach a port only a native sidecar declares, not a port of an init
/// container that has exited.
#[test]
fn a_wired_native_sidecar_passes_and_serves_its_ports() {
    let sidecar = "          args: [--registry-mirror=http://executor-registry:5000]\n          ports: [{name: docker, containerPort: 2375}]\n          volumeMounts:\n            - {name: docker-config, mountPath: /etc/docker/daemon.json, subPath: daemon.json}\n";
    let volumes = "        - {name: docker-config, configMap: {name: executor-docker-config}}\n";
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: docker}\nspec:\n  selector: {app: executor}\n  ports: [{port: 2375, targetPort: docker}]\n";
    let wired = format!(
        "{}---\n{DOCKER_CONFIG}---\n{REGISTRY}---\n{service}",
        deployment(sidecar, volumes)
    );
    let run = check(&wired);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let init_only = wired.replace("          restartPolicy: Always\n", "");
    let run = check(&init_only);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        errors(&run),
        ["<stdin>:52:24: error: Service/docker spec.ports[0].targetPort: port `docker` is not declared by any container of Deployment/executor, so the Service has no endpoints"],
        "{}",
        run.stderr
    );
}
