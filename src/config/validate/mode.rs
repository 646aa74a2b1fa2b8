//! Which chart the config is for: `mode` (or `--mode`), and the keys only the other chart has.

use super::Checker;
use crate::config::model::Mode;
use crate::config::raw::{RawExecutor, RawSpec};
use crate::config::source::Segment;

pub(super) fn refuse_keys_of_other_mode(
    mode: Mode,
    spec: &RawSpec,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) {
    let dind_only: [(bool, Vec<Segment>); 5] = [
        (spec.dind.is_some(), path!["dind"]),
        (
            spec.private_docker_registry.is_some(),
            path!["privateDockerRegistry"],
        ),
        (spec.queues.is_some(), path!["queues"]),
        (ex.storage.is_some(), path!["executor", "storage"]),
        (ex.env.is_some(), path!["executor", "env"]),
    ];
    let kubernetes_only: [(bool, Vec<Segment>); 11] = [
        (ex.storage_size.is_some(), path!["executor", "storageSize"]),
        (
            ex.configure_rbac.is_some(),
            path!["executor", "configureRbac"],
        ),
        (ex.namespace.is_some(), path!["executor", "namespace"]),
        (
            ex.kubeconfig_path.is_some(),
            path!["executor", "kubeconfigPath"],
        ),
        (
            ex.security_context.is_some(),
            path!["executor", "securityContext"],
        ),
        (
            ex.kubernetes_job.is_some(),
            path!["executor", "kubernetesJob"],
        ),
        (ex.affinity.is_some(), path!["executor", "affinity"]),
        (
            ex.node_selector.is_some(),
            path!["executor", "nodeSelector"],
        ),
        (ex.tolerations.is_some(), path!["executor", "tolerations"]),
        (ex.extra_env.is_some(), path!["executor", "extraEnv"]),
        (
            ex.container_security_context.is_some(),
            path!["executor", "containerSecurityContext"],
        ),
    ];
    let (wrong, this, other): (&[(bool, Vec<Segment>)], &str, &str) = match mode {
        Mode::Dind => (&kubernetes_only, "dind", "kubernetes"),
        Mode::Kubernetes => (&dind_only, "kubernetes", "dind"),
    };
    for (set, p) in wrong {
        if *set {
            checker.error(
                p,
                format!("this key belongs to the {other} chart, but the mode is {this}"),
                format!("remove it, or set `mode: {other}` (or `--mode {other}`)"),
            );
        }
    }
}

/// The native chart runs one executor; more replicas would contend for its job settings.
pub(super) fn refuse_replicas_in_kubernetes_mode(
    mode: Mode,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) {
    if mode == Mode::Kubernetes && ex.replica_count.is_some_and(|n| n != 1) {
        checker.error(
            &path!["executor", "replicaCount"],
            "the native Kubernetes executor runs as a single replica",
            "remove replicaCount; raise executor.maximumNumJobs for more parallel jobs",
        );
    }
}
