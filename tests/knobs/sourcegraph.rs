//! The knob tests for sourcegraph.*.

use super::*;

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
        s(&out.container("executor-registry", "private-docker-registry")["image"])
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
        ("executor-registry", "private-docker-registry"),
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
    for deployment in ["executor", "executor-registry"] {
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
        k8s.has("RoleBinding", "sg-executor-role-binding")
            && k8s.has("PersistentVolumeClaim", "executor-data")
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
    for deployment in ["executor", "executor-registry"] {
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
    for deployment in ["executor", "executor-registry"] {
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
    assert!(render(DIND).pod("executor-registry")["metadata"]
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
    for deployment in ["executor", "executor-registry"] {
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
    for deployment in ["executor", "executor-registry"] {
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
    for deployment in ["executor", "executor-registry"] {
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
    for deployment in ["executor", "executor-registry"] {
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

#[test]
fn a_global_tag_the_executor_does_not_run_is_said_aloud() {
    for (base, image) in [
        (DIND, "sourcegraph/executor"),
        (K8S, "sourcegraph/executor-kubernetes"),
    ] {
        let out = render(&with(
            base,
            "sourcegraph: {image: {useGlobalTagAsDefault: true}}",
        ));
        let w = out
            .warning_at("sourcegraph.image.useGlobalTagAsDefault")
            .unwrap_or_else(|| panic!("{:?}", out.warnings));
        assert!(w.message.contains("6.2.1106"), "{w:?}");
        assert!(out.stream.contains(&format!("{image}:6.2.1106@")));
        let out = render(&with(base, "sourcegraph: {image: {defaultTag: 6.1.0}}"));
        assert!(out.warning_at("sourcegraph.image.defaultTag").is_some());
        assert!(out.stream.contains(&format!("{image}:6.2.1106@")));
        // Honoured as the charts do.
        let out = render(&with(
            base,
            "sourcegraph: {image: {defaultTag: 6.1.0, useGlobalTagAsDefault: true}}",
        ));
        assert!(
            out.stream.contains(&format!("{image}:6.1.0\n")),
            "{}",
            out.stream
        );
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
}

#[test]
fn pods_keep_the_charts_labels_and_the_registry_its_container_name() {
    for (base, name) in [
        (DIND, "sourcegraph-executor-dind"),
        (K8S, "sourcegraph-executor-k8s"),
    ] {
        let out = render(base);
        let labels = &out.pod("executor")["metadata"]["labels"];
        assert_eq!(labels["app.kubernetes.io/name"], yaml(name));
        assert_eq!(
            labels["sourcegraph-resource-requires"],
            yaml("no-cluster-admin")
        );
        assert_eq!(labels["deploy"], yaml("sourcegraph"));
        assert_eq!(labels["app.kubernetes.io/component"], yaml("executor"));
        // The documented difference: our selectors read `app`, so it is the Deployment's
        // name (the chart's is `executor-<queue>`).
        assert_eq!(labels["app"], yaml("executor"));
    }
    let out = render(&with(DIND, "nameOverride: executors"));
    assert_eq!(
        out.pod("executor")["metadata"]["labels"]["app.kubernetes.io/name"],
        yaml("executors")
    );
    let registry = &out.pod("executor-registry")["metadata"]["labels"];
    assert_eq!(registry["app.kubernetes.io/name"], yaml("executors"));
    assert_eq!(
        render(DIND).container_names("executor-registry"),
        ["private-docker-registry"]
    );
}
