//! The knob tests for queues[].

use super::*;

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
            "executor-registry"
        ]
    );
    for d in ["executor-batches", "executor-codeintel"] {
        assert_eq!(out.container_names(d), ["executor"]);
        assert_eq!(out.init_container_names(d), ["dind"]);
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
        "executor-registry",
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
    // The NetworkPolicy selects every executor pod, and no registry pod.
    let service = &out.get("NetworkPolicy", "executor")["spec"]["podSelector"]["matchLabels"];
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
        &out.pod("executor-registry")["metadata"]["labels"]
    ));
}

#[test]
fn executor_replica_count_is_each_queues_default_as_in_the_chart() {
    let out = render(&with(
        DIND,
        "executor: {replicaCount: 3}\nqueues:\n- {name: batches}\n- {name: codeintel, replicaCount: 1}",
    ));
    assert_eq!(
        out.get("Deployment", "executor-batches")["spec"]["replicas"],
        yaml("3")
    );
    assert_eq!(
        out.get("Deployment", "executor-codeintel")["spec"]["replicas"],
        yaml("1")
    );
    assert!(out.warning_at("executor.replicaCount").is_none());
}
