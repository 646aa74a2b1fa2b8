//! `autoscaling` and `queues[].autoscaling`: which executor Deployments KEDA scales, on
//! which demand query, between which bounds, and how slowly it may scale them in. A
//! Deployment KEDA scales carries no replica count (each apply would reset the scale), so
//! a `replicaCount` beside it is refused; the native chart's controller is never scaled.

use super::Checker;
use crate::config::defaults as d;
use crate::config::model::{AuthenticationRef, Autoscaling, Mode, Scaling, Worker};
use crate::config::raw::{RawAutoscaling, RawExecutor, RawQueueAutoscaling, RawSpec};
use crate::config::source::Segment;
use crate::k8s::duration;
use std::collections::HashMap;

/// The HPA's largest scale-down stabilization window and policy period, in seconds.
const MAX_WINDOW: u32 = 3600;
const MAX_PERIOD: u32 = 1800;

/// Sets each scaled worker's `scaling` (and drops its replica count); the shared settings,
/// or `None` when no worker scales.
#[allow(clippy::too_many_arguments)]
pub(super) fn autoscaling(
    stack: &str,
    mode: Mode,
    spec: &RawSpec,
    ex: &RawExecutor,
    max_jobs: u32,
    max_runtime: &str,
    frontend_url: &str,
    workers: &mut [Worker],
    checker: &mut Checker<'_>,
) -> Option<Autoscaling> {
    let default = RawAutoscaling::default();
    let global = spec.autoscaling.as_ref().unwrap_or(&default);
    let on = global.enabled.unwrap_or(d::AUTOSCALING_ENABLED);
    let queues = spec.queues.as_deref().unwrap_or_default();
    let any_queue_on = queues
        .iter()
        .any(|q| q.autoscaling.as_ref().and_then(|a| a.enabled) == Some(true));
    if !on && !any_queue_on {
        return None;
    }
    if mode == Mode::Kubernetes {
        checker.error(
            &path!["autoscaling", "enabled"],
            "native Kubernetes executors are not scaled by replicas: Sourcegraph's docs run one controller, which starts a Kubernetes Job per executor job",
            "turn autoscaling off; scale the cluster's nodes instead (cluster autoscaler, Karpenter) and bound the job pods with executor.maximumNumJobs and executor.kubernetesJob.resources",
        );
        return None;
    }
    if on && ex.replica_count.is_some() {
        refuse_replica_count(&path!["executor", "replicaCount"], checker);
    }
    let runtime = runtime_seconds(max_runtime);
    let global_scaling = bounds(
        global.min_replica_count,
        global.max_replica_count,
        global.fallback_replica_count,
        None,
        &path!["autoscaling"],
        checker,
    );
    let global_query = global.query.as_deref().unwrap_or(d::DEMAND_QUERY);
    if let Some(q) = &global.query {
        refuse_empty_query(q, &path!["autoscaling", "query"], checker);
    }
    let scaled = |q: Option<&RawQueueAutoscaling>| q.and_then(|a| a.enabled).unwrap_or(on);
    if queues.is_empty() {
        if let (Some(w), Some(b)) = (workers.first_mut(), global_scaling) {
            scale(w, b, global_query);
        }
    } else {
        // Workers by Deployment name (the first of each), so a thousand queues find theirs
        // without a search each.
        let mut by_name: HashMap<String, usize> = HashMap::with_capacity(workers.len());
        for (i, w) in workers.iter().enumerate() {
            by_name.entry(w.name.clone()).or_insert(i);
        }
        for (i, q) in queues.iter().enumerate() {
            let p = path!["queues", i];
            let own = q.autoscaling.as_ref();
            if !scaled(own) {
                continue;
            }
            if q.replica_count.is_some() {
                refuse_replica_count(&[&p[..], &path!["replicaCount"]].concat(), checker);
            }
            let ap = [&p[..], &path!["autoscaling"]].concat();
            let own_default = RawQueueAutoscaling::default();
            let own = own.unwrap_or(&own_default);
            let b = bounds(
                own.min_replica_count.or(global.min_replica_count),
                own.max_replica_count.or(global.max_replica_count),
                own.fallback_replica_count.or(global.fallback_replica_count),
                global_scaling,
                &ap,
                checker,
            );
            if let Some(query) = &own.query {
                refuse_empty_query(query, &[&ap[..], &path!["query"]].concat(), checker);
            }
            let query = own.query.as_deref().unwrap_or(global_query);
            let name = q.name.as_deref().unwrap_or_default();
            let deployment = format!("{stack}-{name}");
            if let (Some(&w), Some(b)) = (by_name.get(&deployment), b) {
                scale(&mut workers[w], b, query);
            }
        }
    }
    let polling_interval = checker.count(
        global.polling_interval,
        d::AUTOSCALING_POLLING_INTERVAL,
        1,
        &path!["autoscaling", "pollingInterval"],
    );
    let least_cooldown = runtime.max(d::AUTOSCALING_MIN_COOLDOWN);
    let cooldown_period = match global.cooldown_period {
        Some(c) if c < i64::from(runtime) => {
            checker.error(
                &path!["autoscaling", "cooldownPeriod"],
                format!("{c} seconds is shorter than a job may run ({max_runtime}, executor.maximumRuntimePerJob)"),
                format!("use at least {runtime}, or leave it out for {least_cooldown}"),
            );
            least_cooldown
        }
        c => checker.count(
            c,
            least_cooldown,
            0,
            &path!["autoscaling", "cooldownPeriod"],
        ),
    };
    let server_address = server_address(global, frontend_url, checker);
    let authentication_ref = authentication_ref(global, checker);
    Some(Autoscaling {
        server_address,
        authentication_ref,
        polling_interval,
        cooldown_period,
        threshold: max_jobs,
        scale_down_window: runtime.clamp(1, MAX_WINDOW),
        scale_down_period: runtime.clamp(1, MAX_PERIOD),
    })
}

/// A replica count KEDA would fight: each apply would set it back.
fn refuse_replica_count(path: &[Segment], checker: &mut Checker<'_>) {
    checker.error(
        path,
        "replicaCount beside autoscaling: KEDA owns the replica count, and every apply would reset it",
        "remove replicaCount; bound the scale with autoscaling.minReplicaCount and maxReplicaCount",
    );
}

/// `executor.maximumRuntimePerJob` in whole seconds (rounded up); an invalid one was
/// reported by its own section.
fn runtime_seconds(max_runtime: &str) -> u32 {
    let ns = duration::parse(max_runtime).unwrap_or(0).max(0);
    u32::try_from(ns / 1_000_000_000 + i64::from(ns % 1_000_000_000 != 0)).unwrap_or(u32::MAX)
}

/// Minimum, maximum and fallback replicas, defaults from `inherited` (the global ones).
fn bounds(
    min: Option<i64>,
    max: Option<i64>,
    fallback: Option<i64>,
    inherited: Option<(u32, u32, u32)>,
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> Option<(u32, u32, u32)> {
    let at = |key: &str| [path, &path![key]].concat();
    let (dmin, dmax) = inherited.map_or(
        (d::AUTOSCALING_MIN_REPLICAS, d::AUTOSCALING_MAX_REPLICAS),
        |(a, b, _)| (a, b),
    );
    let min = checker.count(min, dmin, 0, &at("minReplicaCount"));
    let max = checker.count(max, dmax.max(min), 1, &at("maxReplicaCount"));
    if min > max {
        checker.error(
            &at("maxReplicaCount"),
            format!("maxReplicaCount {max} is below minReplicaCount {min}"),
            "raise maxReplicaCount or lower minReplicaCount",
        );
        return None;
    }
    let fallback_default = min.max(1);
    let fallback = match fallback {
        Some(0) => {
            checker.error(
                &at("fallbackReplicaCount"),
                "0 fallback replicas: a missing metric (Prometheus or the worker down) would scale every executor away",
                "use at least 1, or leave it out for max(minReplicaCount, 1)",
            );
            return None;
        }
        Some(f) if f > i64::from(max) => {
            checker.error(
                &at("fallbackReplicaCount"),
                format!("{f} fallback replicas is above maxReplicaCount {max}"),
                "use a count between 1 and maxReplicaCount",
            );
            return None;
        }
        f => checker.count(f, fallback_default, 1, &at("fallbackReplicaCount")),
    };
    Some((min, max, fallback))
}

/// Hands the worker to KEDA: its bounds and demand query, and no replica count.
fn scale(w: &mut Worker, (min, max, fallback): (u32, u32, u32), query: &str) {
    w.replicas = None;
    w.scaling = Some(Scaling {
        min_replicas: min,
        max_replicas: max,
        fallback_replicas: fallback,
        query: demand_query(query, &w.queue_value),
    });
}

/// The query with `${queues}` (a regex of the queues) and `${label}` (the names sorted and
/// joined by `_`, the `queue` label a multi-queue executor reports) put in.
pub fn demand_query(query: &str, queue_value: &str) -> String {
    let mut names: Vec<&str> = queue_value.split(',').collect();
    names.sort_unstable();
    query
        .replace("${queues}", &names.join("|"))
        .replace("${label}", &names.join("_"))
}

fn refuse_empty_query(query: &str, path: &[Segment], checker: &mut Checker<'_>) {
    if query.trim().is_empty() {
        checker.error(
            path,
            "empty query: KEDA would have no demand to scale on",
            "leave it out for queued + running jobs, or write a PromQL query (`${queues}` and `${label}` are put in)",
        );
    }
}

/// The bundled Prometheus, in Sourcegraph's namespace as the frontend URL names it, unless
/// the config names another. Not the executors' namespace: KEDA's operator queries it from
/// its own, and Prometheus stays with Sourcegraph when a consumer moves the executors.
fn server_address(
    global: &RawAutoscaling,
    frontend_url: &str,
    checker: &mut Checker<'_>,
) -> String {
    let p = path!["autoscaling", "serverAddress"];
    if let Some(address) = &global.server_address {
        let ok = ["http://", "https://"]
            .iter()
            .any(|s| address.strip_prefix(s).is_some_and(|rest| !rest.is_empty()))
            && !address.contains(char::is_whitespace);
        if !ok {
            checker.error(
                &p,
                format!("`{}` is not an http(s) URL", address.escape_debug()),
                "write it as http://prometheus.NAMESPACE.svc.cluster.local:30090 (KEDA's operator queries it from its own namespace)",
            );
        }
        return address.clone();
    }
    match sourcegraph_namespace(frontend_url) {
        Some(ns) => format!(
            "http://prometheus.{ns}.svc.cluster.local:{}",
            d::PROMETHEUS_PORT
        ),
        None => {
            checker.error_missing(
                &path!["autoscaling"],
                &[path!["autoscaling", "serverAddress"]],
                "no address for Prometheus: executor.frontendUrl is not a Service's in-cluster name (NAME.NAMESPACE.svc…), so the bundled Prometheus' namespace is unknown",
                "set autoscaling.serverAddress, e.g. http://prometheus.sourcegraph.svc.cluster.local:30090",
            );
            String::new()
        }
    }
}

/// The namespace in a frontend URL of the form `scheme://NAME.NAMESPACE.svc[.…][:port][/…]`.
fn sourcegraph_namespace(frontend_url: &str) -> Option<&str> {
    let rest = frontend_url.split_once("://")?.1;
    let host = rest.split(['/', ':', '?', '#']).next()?;
    let mut labels = host.split('.');
    let (_name, namespace, svc) = (labels.next()?, labels.next()?, labels.next()?);
    (svc == "svc" && !namespace.is_empty()).then_some(namespace)
}

fn authentication_ref(
    global: &RawAutoscaling,
    checker: &mut Checker<'_>,
) -> Option<AuthenticationRef> {
    let r = global.authentication_ref.as_ref()?;
    let p = path!["autoscaling", "authenticationRef"];
    let Some(name) = r.name.clone().filter(|n| !n.is_empty()) else {
        checker.error_missing(
            &p,
            &[[&p[..], &path!["name"]].concat()],
            "an authenticationRef needs a name",
            "name the TriggerAuthentication that holds Prometheus' credentials",
        );
        return None;
    };
    checker.dns_subdomain(
        &name,
        &[&p[..], &path!["name"]].concat(),
        "TriggerAuthentication name",
    );
    let kind = r
        .kind
        .clone()
        .unwrap_or_else(|| "TriggerAuthentication".into());
    const KINDS: [&str; 2] = ["TriggerAuthentication", "ClusterTriggerAuthentication"];
    if !KINDS.contains(&kind.as_str()) {
        checker.error(
            &[&p[..], &path!["kind"]].concat(),
            format!("unknown kind `{kind}`"),
            super::checker::choose_from(&kind, &KINDS),
        );
    }
    Some(AuthenticationRef { name, kind })
}

#[cfg(test)]
mod tests {
    use super::{demand_query, sourcegraph_namespace};

    #[test]
    fn prometheus_is_found_in_the_namespace_the_frontend_url_names() {
        let ns = |u| sourcegraph_namespace(u);
        assert_eq!(
            ns("http://sourcegraph-frontend.sg.svc.cluster.local:30080"),
            Some("sg")
        );
        assert_eq!(ns("http://sourcegraph-frontend.sg.svc:30080/"), Some("sg"));
        assert_eq!(ns("http://sourcegraph-frontend:30080"), None);
        assert_eq!(ns("https://sourcegraph.example.com"), None);
    }

    #[test]
    fn a_multi_queue_executor_is_found_under_its_sorted_joined_label() {
        let q = demand_query(crate::config::defaults::DEMAND_QUERY, "codeintel,batches");
        assert!(
            q.contains(r#"src_executor_total{queue=~"batches|codeintel"}"#),
            "{q}"
        );
        assert!(
            q.contains(r#"src_executor_processor_handlers{queue="batches_codeintel"}"#),
            "{q}"
        );
    }
}
