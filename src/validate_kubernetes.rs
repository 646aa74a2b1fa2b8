//! The native Kubernetes mode's own keys (`sourcegraph-executor-k8s` chart): the job
//! settings the executor reads from `EXECUTOR_KUBERNETES_*` / `KUBERNETES_*` variables.

use crate::config::Kubernetes;
use crate::raw_config::RawExecutor;
use crate::validate::Checker;

pub fn kubernetes(
    ex: &RawExecutor,
    namespace: Option<&str>,
    checker: &mut Checker<'_>,
) -> Kubernetes {
    let _ = (namespace, &checker);
    Kubernetes {
        configure_rbac: ex.configure_rbac.unwrap_or(true),
        job_namespace: ex.namespace.clone(),
        settings: Vec::new(),
        data_volume: None,
    }
}
