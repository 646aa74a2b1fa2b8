//! The keys both charts' templates read although neither values.yaml declares them:
//! `executor.labels`, `.podLabels`, `.podAnnotations`, `.priorityClassName`, the same under
//! `privateDockerRegistry`, the native chart's `executor.serviceAnnotations`,
//! `.serviceLabels`, `.serviceType`, and the top-level `nameOverride`.

use super::*;

#[test]
fn executor_labels_go_on_the_executor_deployments_only() {
    let out = render(&with(DIND, "executor: {labels: {team: ci}}"));
    assert_eq!(
        out.get("Deployment", "executor")["metadata"]["labels"]["team"],
        yaml("ci")
    );
    for (kind, name) in [
        ("Deployment", "executor-registry"),
        ("ConfigMap", "executor-config"),
    ] {
        assert!(
            out.get(kind, name)["metadata"]["labels"]
                .get("team")
                .is_none(),
            "{kind}/{name}"
        );
    }
    // Not on the pods: that is podLabels.
    assert!(out.pod("executor")["metadata"]["labels"]
        .get("team")
        .is_none());
    refused_at(
        &with(DIND, "executor: {labels: {deploy: mine}}"),
        "executor.labels.deploy",
    );
}

#[test]
fn executor_pod_labels_and_annotations_go_over_the_global_ones_on_executor_pods() {
    for base in [DIND, K8S] {
        let out = render(&with(
            base,
            "sourcegraph: {podLabels: {tier: global, zone: a}, podAnnotations: {note: global}}\nexecutor: {podLabels: {tier: executor}, podAnnotations: {note: executor, extra: x}}",
        ));
        let pod = &out.pod("executor")["metadata"];
        assert_eq!(pod["labels"]["tier"], yaml("executor"));
        assert_eq!(pod["labels"]["zone"], yaml("a"));
        assert_eq!(pod["annotations"]["note"], yaml("executor"));
        assert_eq!(pod["annotations"]["extra"], yaml("x"));
        // Selectors never take pod labels.
        assert!(
            out.get("Deployment", "executor")["spec"]["selector"]["matchLabels"]
                .get("tier")
                .is_none()
        );
    }
    let out = render(&with(DIND, "executor: {podLabels: {tier: executor}}"));
    assert!(out.pod("executor-registry")["metadata"]["labels"]
        .get("tier")
        .is_none());
    refused_at(
        &with(DIND, "executor: {podLabels: {app: x}}"),
        "executor.podLabels.app",
    );
    refused_at(
        &with(DIND, "executor: {podAnnotations: {checksum/config: x}}"),
        "executor.podAnnotations.checksum/config",
    );
}

#[test]
fn a_workload_priority_class_wins_over_the_global_one() {
    let out = render(&with(
        DIND,
        "sourcegraph: {priorityClassName: low}\nexecutor: {priorityClassName: high}",
    ));
    assert_eq!(out.pod_spec("executor")["priorityClassName"], yaml("high"));
    assert_eq!(
        out.pod_spec("executor-registry")["priorityClassName"],
        yaml("low")
    );
    let registry_only = render(&with(
        DIND,
        "privateDockerRegistry: {priorityClassName: cache}",
    ));
    assert_eq!(
        registry_only.pod_spec("executor-registry")["priorityClassName"],
        yaml("cache")
    );
    assert!(registry_only
        .pod_spec("executor")
        .get("priorityClassName")
        .is_none());
    assert!(registry_only.has_layer("scheduling"));
    let k8s = render(&with(K8S, "executor: {priorityClassName: high}"));
    assert_eq!(k8s.pod_spec("executor")["priorityClassName"], yaml("high"));
}

#[test]
fn registry_labels_pod_labels_and_annotations_stay_on_the_registry() {
    let out = render(&with(
        DIND,
        "sourcegraph: {podAnnotations: {note: global}}\nprivateDockerRegistry: {labels: {team: cache}, podLabels: {tier: cache}, podAnnotations: {note: cache}}",
    ));
    let registry = out.get("Deployment", "executor-registry");
    assert_eq!(registry["metadata"]["labels"]["team"], yaml("cache"));
    let pod = &out.pod("executor-registry")["metadata"];
    assert_eq!(pod["labels"]["tier"], yaml("cache"));
    assert_eq!(pod["annotations"]["note"], yaml("cache"));
    assert_eq!(
        out.pod("executor")["metadata"]["annotations"]["note"],
        yaml("global")
    );
    assert!(out.pod("executor")["metadata"]["labels"]
        .get("tier")
        .is_none());
    assert!(out.get("Deployment", "executor")["metadata"]["labels"]
        .get("team")
        .is_none());
    refused_at(
        &with(
            DIND,
            "privateDockerRegistry: {podLabels: {app.kubernetes.io/instance: x}}",
        ),
        "privateDockerRegistry.podLabels.app.kubernetes.io/instance",
    );
}

#[test]
fn native_service_type_labels_and_annotations() {
    let out = render(&with(
        K8S,
        "executor: {serviceType: NodePort, serviceLabels: {exposed: 'yes'}, serviceAnnotations: {example.com/lb: internal}}",
    ));
    let service = out.get("Service", "executor");
    assert_eq!(service["spec"]["type"], yaml("NodePort"));
    assert_eq!(service["metadata"]["labels"]["exposed"], yaml("'yes'"));
    assert_eq!(
        service["metadata"]["annotations"]["example.com/lb"],
        yaml("internal")
    );
    // Only the config's annotations: the executor serves no metrics there.
    assert_eq!(
        service["metadata"]["annotations"],
        yaml("{example.com/lb: internal}")
    );
    assert_eq!(
        render(K8S).get("Service", "executor")["spec"]["type"],
        yaml("ClusterIP")
    );
    refused_at(
        &with(K8S, "executor: {serviceType: ExternalName}"),
        "executor.serviceType",
    );
    // They are the native chart's keys: a dind config says `mode: dind` to be refused.
    refused_at(
        &with(DIND, "mode: dind\nexecutor: {serviceType: NodePort}"),
        "executor.serviceType",
    );
}

#[test]
fn name_override_sets_the_app_kubernetes_io_name_label_on_every_object() {
    for base in [DIND, K8S] {
        let out = render(&with(base, "nameOverride: sourcegraph-executor"));
        for ((kind, name), object) in &out.objects {
            assert_eq!(
                object["metadata"]["labels"]["app.kubernetes.io/name"],
                yaml("sourcegraph-executor"),
                "{kind}/{name}"
            );
        }
        // Not in a selector: selectors are immutable, and the name may change.
        assert!(
            out.get("Deployment", "executor")["spec"]["selector"]["matchLabels"]
                .get("app.kubernetes.io/name")
                .is_none()
        );
    }
    refused_at(&with(DIND, "nameOverride: 'not a label'"), "nameOverride");
    // `sourcegraph.nameOverride`, which no template reads, only warns.
    let out = render(&with(DIND, "sourcegraph: {nameOverride: x}"));
    assert!(out.warning_at("sourcegraph.nameOverride").is_some());
}
