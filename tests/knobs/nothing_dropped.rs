//! Nothing in the file is silently dropped or silently turned into something else: the
//! mode comes from the chart's keys, KRM labels and annotations reach every object, the
//! tool's own labels are refused, and risky values are refused or warned about.

use super::*;

const KRM_HEAD: &str = "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\n";

/// The minimal dind config in the KRM form, with `metadata` as given.
fn krm(metadata: &str) -> String {
    let spec: String = DIND.lines().map(|l| format!("  {l}\n")).collect();
    format!("{KRM_HEAD}metadata: {metadata}\nspec:\n{spec}")
}

#[test]
fn a_native_chart_override_renders_native_executors_without_mode() {
    let override_file = "\
executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
  queueName: batches
  configureRbac: true
  kubernetesJob: {deadline: 600}
";
    let out = render(override_file);
    assert!(out.has("ServiceAccount", "sg-executor"));
    assert_eq!(out.container_names("executor"), ["executor"]);
    assert_eq!(
        out.config("KUBERNETES_JOB_DEADLINE").as_deref(),
        Some("600")
    );
    // A dind override stays dind.
    assert_eq!(
        render(&with(DIND, "dind: {command: [dockerd]}")).init_container_names("executor"),
        ["dind"]
    );
}

#[test]
fn keys_of_both_charts_without_a_mode_name_one_key_of_each() {
    let p = refused_at(
        &DIND.replace("mode: dind\n", "").replace(
            "  queueName: batches\n",
            "  queueName: batches\n  extraEnv: []\n  storage: {size: 10Gi}\n",
        ),
        "executor.extraEnv",
    );
    assert!(
        p.message.contains("native Kubernetes chart") && p.message.contains("executor.storage"),
        "{}",
        p.message
    );
    assert!(
        p.hint.as_deref().unwrap_or_default().contains("mode:"),
        "{p:?}"
    );
}

#[test]
fn krm_labels_and_annotations_go_on_every_object() {
    let out = render(&krm(
        "{name: executor, labels: {team: ci}, annotations: {example.com/owner: platform, config.kubernetes.io/local-config: 'true', internal.config.kubernetes.io/path: x.yaml}}",
    ));
    for ((kind, name), object) in &out.objects {
        let meta = &object["metadata"];
        assert_eq!(meta["labels"]["team"], yaml("ci"), "{kind}/{name}");
        assert_eq!(
            meta["annotations"]["example.com/owner"],
            yaml("platform"),
            "{kind}/{name}"
        );
        // What kpt and kustomize say about the config file stays off the objects.
        assert!(
            meta["annotations"]
                .get("config.kubernetes.io/local-config")
                .is_none(),
            "{kind}/{name}"
        );
        assert!(
            meta["annotations"]
                .get("internal.config.kubernetes.io/path")
                .is_none(),
            "{kind}/{name}"
        );
    }
    // As commonAnnotations: on pod templates too.
    for d in out.names_of("Deployment") {
        assert_eq!(
            out.pod(&d)["metadata"]["annotations"]["example.com/owner"],
            yaml("platform"),
            "{d}"
        );
    }
}

#[test]
fn a_krm_annotation_or_label_that_another_key_sets_otherwise_is_refused() {
    let text = with(
        &krm("{name: executor, annotations: {note: krm}}"),
        "spec: {sourcegraph: {podAnnotations: {note: pods}}}",
    );
    let p = refused_at(&text, "metadata.annotations.note");
    assert!(p.message.contains("pod annotations"), "{}", p.message);
    let text = with(
        &krm("{name: executor, labels: {team: a}}"),
        "spec: {sourcegraph: {labels: {team: b}}}",
    );
    refused_at(&text, "metadata.labels.team");
    // The same value twice is fine.
    render(&with(
        &krm("{name: executor, labels: {team: a}}"),
        "spec: {sourcegraph: {labels: {team: a}}}",
    ));
    refused_at(
        &krm("{name: executor, annotations: {checksum/config: x}}"),
        "metadata.annotations.checksum/config",
    );
}

#[test]
fn labels_the_tool_owns_are_refused_never_dropped() {
    for key in [
        "deploy",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/managed-by",
        "app.kubernetes.io/component",
        "sourcegraph-resource-requires",
    ] {
        let p = refused_at(
            &with(DIND, &format!("sourcegraph: {{labels: {{{key}: x}}}}")),
            &format!("sourcegraph.labels.{key}"),
        );
        assert!(p.message.contains("sets on every object"), "{}", p.message);
        refused_at(
            &krm(&format!("{{name: executor, labels: {{{key}: x}}}}")),
            &format!("metadata.labels.{key}"),
        );
    }
    for key in ["app", "deploy", "app.kubernetes.io/component"] {
        refused_at(
            &with(DIND, &format!("sourcegraph: {{podLabels: {{{key}: x}}}}")),
            &format!("sourcegraph.podLabels.{key}"),
        );
    }
}

#[test]
fn an_annotation_key_kustomize_reads_as_a_number_is_refused() {
    for key in ["'0'", "'1e3'", "'true'"] {
        refused_at(
            &with(
                DIND,
                &format!("sourcegraph: {{podAnnotations: {{{key}: x}}}}"),
            ),
            &format!("sourcegraph.podAnnotations.{}", key.trim_matches('\'')),
        );
    }
}

#[test]
fn credentials_in_the_frontend_url_are_refused() {
    for url in [
        "http://user:pass@sourcegraph-frontend:30080",
        "https://token@sourcegraph.example.com",
    ] {
        let p = refused_at(
            &with(DIND, &format!("executor: {{frontendUrl: '{url}'}}")),
            "executor.frontendUrl",
        );
        assert!(p.message.contains("credentials"), "{}", p.message);
    }
}

#[test]
fn a_literal_secret_in_extra_environment_warns_and_shows_value_from() {
    let out = render(&with(
        DIND,
        "executor: {env: {GITHUB_TOKEN: {value: abc}, SRC_HEADER_X_TEAM: {value: ci}}}\nprivateDockerRegistry: {env: {REGISTRY_PROXY_PASSWORD: {value: hunter2}}}",
    ));
    for path in [
        "executor.env.GITHUB_TOKEN",
        "privateDockerRegistry.env.REGISTRY_PROXY_PASSWORD",
    ] {
        let w = out
            .warning_at(path)
            .unwrap_or_else(|| panic!("no warning at {path}"));
        assert!(
            w.hint
                .as_deref()
                .unwrap_or_default()
                .contains("valueFrom: {secretKeyRef"),
            "{w:?}"
        );
    }
    assert!(out.warning_at("executor.env.SRC_HEADER_X_TEAM").is_none());
    let k8s = render(&with(
        K8S,
        "executor: {extraEnv: [{name: MY_SECRET, value: s3cr3t}]}",
    ));
    assert!(
        k8s.warning_at("executor.extraEnv[0]").is_some(),
        "{:?}",
        k8s.warnings
    );
}

#[test]
fn the_charts_default_storage_class_name_warns_unless_created() {
    let out = render(&with(DIND, "storageClass: {name: sourcegraph}"));
    let w = out.warning_at("storageClass.name").expect("a warning");
    assert!(w.message.contains("`sourcegraph`"), "{}", w.message);
    let created = render(&with(
        DIND,
        "storageClass: {name: sourcegraph, create: true}",
    ));
    assert!(created.warning_at("storageClass.name").is_none());
    assert!(render(&with(DIND, "storageClass: {name: fast}"))
        .warning_at("storageClass.name")
        .is_none());
}

#[test]
fn gvisor_docker_storage_has_a_size_limit_or_a_warning() {
    let out = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, storageSize: 80Gi}}",
    ));
    assert_eq!(
        out.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{sizeLimit: 80Gi}")
    );
    let unlimited = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, storageSize: ''}}",
    ));
    assert_eq!(
        unlimited.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{}")
    );
    assert!(unlimited.warning_at("dind.gVisor.storageSize").is_some());
    refused_at(
        &with(DIND, "dind: {gVisor: {enabled: true, storageSize: 80GB}}"),
        "dind.gVisor.storageSize",
    );
}
