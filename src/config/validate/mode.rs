//! Which chart the config is for: `--mode`, `mode`, or else the keys the file uses; and
//! the keys only the other chart has, which are refused rather than silently ignored.

use super::Checker;
use crate::config::model::Mode;
use crate::config::raw::{RawExecutor, RawSourcegraph, RawSpec};
use crate::config::source::{path_to_string, Segment};

/// The keys only the dind chart has, that the file sets.
fn dind_only(spec: &RawSpec, ex: &RawExecutor) -> Vec<Vec<Segment>> {
    [
        (spec.dind.is_some(), path!["dind"]),
        (
            spec.private_docker_registry.is_some(),
            path!["privateDockerRegistry"],
        ),
        (spec.queues.is_some(), path!["queues"]),
        (ex.storage.is_some(), path!["executor", "storage"]),
        (ex.env.is_some(), path!["executor", "env"]),
    ]
    .into_iter()
    .filter_map(|(set, p)| set.then_some(p))
    .collect()
}

/// The keys only the native Kubernetes chart has, that the file sets.
fn kubernetes_only(sg: &RawSourcegraph, ex: &RawExecutor) -> Vec<Vec<Segment>> {
    [
        (
            ex.configure_rbac.is_some(),
            path!["executor", "configureRbac"],
        ),
        (
            ex.kubernetes_job.is_some(),
            path!["executor", "kubernetesJob"],
        ),
        (ex.extra_env.is_some(), path!["executor", "extraEnv"]),
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
            ex.container_security_context.is_some(),
            path!["executor", "containerSecurityContext"],
        ),
        (ex.affinity.is_some(), path!["executor", "affinity"]),
        (
            ex.node_selector.is_some(),
            path!["executor", "nodeSelector"],
        ),
        (ex.tolerations.is_some(), path!["executor", "tolerations"]),
        (
            ex.service_annotations.is_some(),
            path!["executor", "serviceAnnotations"],
        ),
        (
            ex.service_labels.is_some(),
            path!["executor", "serviceLabels"],
        ),
        (ex.service_type.is_some(), path!["executor", "serviceType"]),
        (ex.storage_size.is_some(), path!["executor", "storageSize"]),
        (
            sg.local_dev_mode.is_some(),
            path!["sourcegraph", "localDevMode"],
        ),
    ]
    .into_iter()
    .filter_map(|(set, p)| set.then_some(p))
    .collect()
}

/// Keys only the native chart has that are accepted in dind mode too (they mean something
/// to an executor there): evidence of the mode when nothing points at the dind chart.
fn kubernetes_hints(ex: &RawExecutor) -> Vec<Vec<Segment>> {
    let debug = ex.debug.as_ref();
    [
        (
            debug.is_some_and(|d| d.keep_jobs.is_some()),
            path!["executor", "debug", "keepJobs"],
        ),
        (
            debug.is_some_and(|d| d.keep_workspaces.is_some()),
            path!["executor", "debug", "keepWorkspaces"],
        ),
        (
            ex.log.as_ref().is_some_and(|l| l.trace.is_some()),
            path!["executor", "log", "trace"],
        ),
        (
            ex.docker_add_host_gateway.is_some(),
            path!["executor", "dockerAddHostGateway"],
        ),
    ]
    .into_iter()
    .filter_map(|(set, p)| set.then_some(p))
    .collect()
}

/// The mode: the command line's, else the file's `mode`, else the chart whose own keys the
/// file uses (a k8s chart override renders native executors without `--mode`). Keys of both
/// charts without a `mode` are an error naming one of each; a file with only the keys both
/// charts share renders dind mode with a warning that says so and how to choose.
pub(super) fn mode(
    flag: Option<Mode>,
    spec: &RawSpec,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> Mode {
    let dind = dind_only(spec, ex);
    let kubernetes = kubernetes_only(sg, ex);
    if let Some(mode) = flag.or(spec.mode) {
        let (wrong, this, other) = match mode {
            Mode::Dind => (&kubernetes, "dind", "kubernetes"),
            Mode::Kubernetes => (&dind, "kubernetes", "dind"),
        };
        for p in wrong {
            checker.error(
                p,
                format!("this key belongs to the {other} chart, but the mode is {this}"),
                format!("remove it, or set `mode: {other}` (or `--mode {other}`)"),
            );
        }
        return mode;
    }
    match (dind.first(), kubernetes.first()) {
        (Some(d), Some(k)) => {
            let (d, k) = (path_to_string(d), path_to_string(k));
            checker.error(
                &kubernetes[0],
                format!("this key belongs to the native Kubernetes chart, but `{d}` belongs to the dind chart"),
                format!("keep the keys of one chart, or say which you mean with `mode: dind` or `mode: kubernetes` (then `{k}` or `{d}` is refused)"),
            );
            Mode::Dind
        }
        (None, Some(_)) => Mode::Kubernetes,
        (Some(_), None) => Mode::Dind,
        (None, None) => match kubernetes_hints(ex).first() {
            Some(hint) => {
                checker.warn(
                    hint,
                    format!("only the native Kubernetes chart has `{}`, so this renders native Kubernetes executors (jobs as Kubernetes Jobs, with RBAC)", path_to_string(hint)),
                    "add `mode: kubernetes` to say so, or `mode: dind` for the dind chart's executors",
                );
                Mode::Kubernetes
            }
            None => {
                checker.warn(
                    &path!["mode"],
                    "no key says which chart this override is for (it sets only keys both charts share), so this renders the dind chart's executors: a privileged docker-in-docker sidecar with a registry",
                    "add `mode: dind` to say so, or `mode: kubernetes` (or `--mode kubernetes`) for native Kubernetes executors",
                );
                Mode::Dind
            }
        },
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
