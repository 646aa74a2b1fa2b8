//! The knob tests for The minimal configs.

use super::*;

#[test]
fn minimal_dind_config_renders_the_executor_its_config_and_the_registry() {
    let out = render(DIND);
    assert_eq!(
        out.ids(),
        [
            "ConfigMap/executor-config",
            "ConfigMap/executor-docker-config",
            "Deployment/executor",
            "Deployment/executor-registry",
            "NetworkPolicy/executor",
            "PersistentVolumeClaim/executor-registry",
            "Service/executor-registry",
        ]
    );
    assert_eq!(out.layers, ["private-registry", "network-policy"]);
    assert_eq!(out.container_names("executor"), ["executor"]);
    assert_eq!(out.init_container_names("executor"), ["dind"]);
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
            "NetworkPolicy/executor",
            "Role/sg-executor-role",
            "RoleBinding/sg-executor-role-binding",
            "Service/executor",
            "ServiceAccount/sg-executor",
        ]
    );
    assert_eq!(out.layers, ["network-policy"]);
    assert_eq!(out.container_names("executor"), ["executor"]);
    assert_eq!(
        out.pod_spec("executor")["serviceAccountName"],
        yaml("sg-executor")
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
        &with(DIND, "mode: dind\nexecutor: {storageSize: 10Gi}"),
        "executor.storageSize",
    );
    refused_at(
        &with(DIND, "mode: dind\nexecutor: {configureRbac: true}"),
        "executor.configureRbac",
    );
}
