//! Turns the config as written (`RawSpec`) into the `Config` the templates use, applying
//! the charts' defaults and every rule, and collecting all problems rather than stopping
//! at the first. Each problem is located in the file through the key path it concerns.
//!
//! One file per section of the charts' values, each owning its keys, defaults and rules;
//! `checker` holds what they share. Where a chart default is one of its known bugs, the
//! default here is the fixed one; the chart-key table in `docs/keys.md` lists each such difference.

// `path!` builds a Vec so a path can be stored, extended and joined like any other.
#![allow(clippy::useless_vec)]

/// Builds a key path: `path!["executor", "queueName"]`.
macro_rules! path {
    ($($seg:expr),* $(,)?) => { vec![$(crate::config::source::Segment::from($seg)),*] };
}

mod autoscaling;
mod checker;
mod daemon_json;
mod dind;
mod dockerd_args;
mod drain;
mod env;
mod executor;
pub mod kubernetes;
mod metadata;
mod mirrors;
mod mode;
mod queues;
mod registry;
mod risks;
mod scheduling;
pub mod size;
mod sourcegraph;
mod storage_class;

pub use checker::Checker;
use checker::{non_empty, object_labels, one_of, owned_pod_labels, registry_image};

use crate::config::model::{Config, Dind, Kubernetes, Mode, Registry, Scratch, Worker};
use crate::config::raw::{RawExecutor, RawKrm, RawSourcegraph, RawSpec};
use crate::diagnostic::Severity;

/// What the command line adds to the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub namespace: Option<String>,
    pub mode: Option<Mode>,
}

/// Labels the tool puts on pods to select them; user labels must not replace them.
pub const SELECTOR_LABELS: [&str; 3] = [
    "app",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
];

/// The checks, section by section, in file order as far as possible: the table of
/// contents, one call per section, then the `Config`.
pub fn validate(
    krm: Option<&RawKrm>,
    spec: &RawSpec,
    overrides: &Overrides,
    checker: &mut Checker<'_>,
) -> Option<Config> {
    let meta = metadata::metadata(krm, checker);
    let name = meta.name;
    let namespace = overrides.namespace.clone().or(meta.namespace);

    let default_sg = RawSourcegraph::default();
    let sg = spec.sourcegraph.as_ref().unwrap_or(&default_sg);
    let default_exec = RawExecutor::default();
    let ex = spec.executor.as_ref().unwrap_or(&default_exec);

    let mode = mode::mode(overrides.mode, spec, sg, ex, checker);
    sourcegraph::warn_about_name_override(sg, checker);
    mode::refuse_replicas_in_kubernetes_mode(mode, ex, checker);

    let frontend_url = executor::frontend_url(ex, checker);
    let password = executor::password(&name, ex, checker);
    let pods = executor::pod_settings(mode, sg, ex, checker);
    let labels = sourcegraph::labels(sg, spec.name_override.as_deref(), meta.labels, checker);
    let workload_labels = executor::workload_labels(ex, checker);
    let pull_policy = sourcegraph::pull_policy(sg, checker);
    let executor_image = sourcegraph::executor_image(mode, sg, ex, checker);
    let (max_jobs, max_runtime) = executor::job_limits(ex, checker);
    let runtime_seconds = crate::config::defaults::duration_seconds(&max_runtime);
    let (drain, kubernetes_version) = drain::drain(mode, spec, ex, runtime_seconds, checker);
    let log = executor::log(mode, ex, checker);
    let (pod_security_context, container_security_context) =
        executor::security_contexts(mode, ex, checker);

    let local_dev = mode == Mode::Kubernetes && sg.local_dev_mode.unwrap_or(false);
    let mut workers = workers(&name, spec, ex, local_dev, checker);
    let autoscaling = autoscaling::autoscaling(
        &name,
        mode,
        spec,
        ex,
        max_jobs,
        &max_runtime,
        &frontend_url,
        &mut workers,
        checker,
    );

    let registry = registry::registry(mode, &name, spec, sg, checker);
    registry::refuse_registry_name_clash(registry.as_ref(), &workers, checker);
    let storage_class = storage_class::storage_class(mode, spec, checker);
    let (dind, kubernetes) = runtime(
        mode,
        spec,
        ex,
        (max_jobs, runtime_seconds),
        registry.as_ref(),
        (&name, namespace.as_deref()),
        checker,
    );

    let scratch_class = dind.as_ref().and_then(|d| match &d.scratch {
        Scratch::Ephemeral { class, .. } => class.as_deref(),
        Scratch::EmptyDir { .. } => None,
    });
    storage_class::warn_about_chart_default_name(
        mode,
        storage_class.as_ref(),
        &[
            registry.as_ref().and_then(|r| r.storage_class.as_deref()),
            scratch_class,
            kubernetes
                .as_ref()
                .and_then(|k| k.data_volume.as_ref())
                .and_then(|v| v.class.as_deref()),
        ],
        checker,
    );
    metadata::refuse_conflicting_annotations(
        &meta.annotations,
        &pods,
        registry.as_ref(),
        kubernetes.as_ref(),
        checker,
    );
    if has_errors(checker) {
        return None;
    }
    risks::warn_about_risks(
        ex,
        &workers,
        dind.as_ref(),
        &frontend_url,
        local_dev,
        checker,
    );
    let config = Config {
        mode,
        name,
        namespace,
        frontend_url,
        password: password?,
        per_queue: spec.queues.as_ref().is_some_and(|q| !q.is_empty()),
        workers,
        max_jobs,
        max_runtime,
        log_level: log.level,
        log_format: log.format,
        log_trace: log.trace,
        keep_workspaces: ex.debug.as_ref().and_then(|d| d.keep_workspaces),
        docker_add_host_gateway: ex.docker_add_host_gateway,
        executor_image,
        pull_policy,
        pod_security_context,
        container_security_context,
        pods,
        labels,
        annotations: meta.annotations,
        workload_labels,
        dind,
        registry,
        kubernetes,
        storage_class,
        network_policy: network_policy(spec),
        autoscaling,
        alerts: alerts(spec),
        drain,
        kubernetes_version,
    };
    // Before anything is rendered: refuse an output Kubernetes or this tool cannot take.
    size::check(&config, checker);
    (!has_errors(checker)).then_some(config)
}

/// Whether any problem found so far is an error.
fn has_errors(checker: &Checker<'_>) -> bool {
    checker
        .problems
        .iter()
        .any(|p| p.severity == Severity::Error)
}

/// The workers: the executor's env and resources, then a copy of them per queue.
fn workers(
    name: &str,
    spec: &RawSpec,
    ex: &RawExecutor,
    local_dev: bool,
    checker: &mut Checker<'_>,
) -> Vec<Worker> {
    let executor_env = env::executor_env(ex, checker);
    let executor_resources = executor::resources(ex, local_dev, checker);
    queues::workers(name, spec, ex, &executor_env, executor_resources, checker)
}

/// `networkPolicy.enabled`, or its default.
fn network_policy(spec: &RawSpec) -> bool {
    spec.network_policy
        .as_ref()
        .and_then(|n| n.enabled)
        .unwrap_or(crate::config::defaults::NETWORK_POLICY_ENABLED)
}

/// `alerts.enabled`, and the form the rules take.
fn alerts(spec: &RawSpec) -> Option<crate::config::model::Alerts> {
    let a = spec.alerts.as_ref()?;
    a.enabled
        .unwrap_or(crate::config::defaults::ALERTS_ENABLED)
        .then(|| crate::config::model::Alerts {
            prometheus_operator: a.prometheus_operator.unwrap_or(false),
        })
}

/// The mode's own runtime: the dind sidecar, or the native chart's job settings.
fn runtime(
    mode: Mode,
    spec: &RawSpec,
    ex: &RawExecutor,
    (jobs, runtime_seconds): (u32, i64),
    registry: Option<&Registry>,
    (name, namespace): (&str, Option<&str>),
    checker: &mut Checker<'_>,
) -> (Option<Dind>, Option<Kubernetes>) {
    match mode {
        Mode::Dind => (
            Some(dind::dind(
                spec,
                ex,
                jobs,
                registry.map(|r| r.name.as_str()),
                namespace,
                checker,
            )),
            None,
        ),
        Mode::Kubernetes => (
            None,
            Some(kubernetes::kubernetes(
                ex,
                spec.storage_class.as_ref(),
                name,
                runtime_seconds,
                checker,
            )),
        ),
    }
}
