//! The executors to run: one Deployment for `executor.queueName(s)`, or one per `queues[]`
//! entry with its own queue, replicas, resources and environment.

use super::checker::choose_from;
use super::env::env_map;
use super::{size, Checker};
use crate::config::model::{Worker, QUEUES};
use crate::config::raw::{RawExecutor, RawQueue, RawSpec};
use crate::config::source::Segment;
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

/// The queue names one executor pulls from, checked against the queues that exist.
pub(super) fn queue_setting(
    queue_name: Option<&String>,
    queue_names: Option<&Vec<String>>,
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> Option<(&'static str, String)> {
    let name = queue_name.filter(|s| !s.is_empty());
    let names = queue_names.filter(|v| !v.is_empty());
    let check = |q: &str, p: &[Segment], checker: &mut Checker<'_>| -> bool {
        if QUEUES.contains(&q) {
            return true;
        }
        checker.error(p, format!("unknown queue `{q}`"), choose_from(q, &QUEUES));
        false
    };
    match (name, names) {
        (Some(_), Some(_)) => {
            checker.error(
                &[path, &path!["queueNames"]].concat(),
                "both queueName and queueNames are set",
                "keep one: queueName for one queue, queueNames for several",
            );
            None
        }
        (Some(q), None) => check(q, &[path, &path!["queueName"]].concat(), checker)
            .then(|| ("EXECUTOR_QUEUE_NAME", q.clone())),
        (None, Some(qs)) => {
            let mut ok = true;
            for (i, q) in qs.iter().enumerate() {
                let p = [path, &path!["queueNames", i]].concat();
                ok &= check(q, &p, checker);
                if qs[..i].contains(q) {
                    checker.error(
                        &p,
                        format!("queue `{q}` is listed twice"),
                        "list each queue once",
                    );
                    ok = false;
                }
            }
            ok.then(|| ("EXECUTOR_QUEUE_NAMES", qs.join(",")))
        }
        (None, None) => None,
    }
}

/// The shared settings every worker starts from.
struct Shared<'a> {
    stack: &'a str,
    env: &'a IndexMap<String, Value>,
    /// `env`'s values, for the workers without their own.
    env_values: Arc<Vec<Value>>,
    resources: Option<Arc<Value>>,
    /// `executor.replicaCount`, every entry's default as in the chart.
    replicas: u32,
}

pub(super) fn workers(
    name: &str,
    spec: &RawSpec,
    ex: &RawExecutor,
    executor_env: &IndexMap<String, Value>,
    executor_resources: Option<Value>,
    checker: &mut Checker<'_>,
) -> Vec<Worker> {
    let shared = Shared {
        stack: name,
        env: executor_env,
        env_values: Arc::new(executor_env.values().cloned().collect()),
        resources: executor_resources.map(Arc::new),
        replicas: checker.count(
            ex.replica_count,
            crate::config::defaults::REPLICA_COUNT,
            0,
            &path!["executor", "replicaCount"],
        ),
    };
    let queues = spec.queues.as_deref().unwrap_or_default();
    if queues.is_empty() {
        return single_worker(&shared, ex, checker).into_iter().collect();
    }
    warn_about_ignored_executor_keys(ex, checker);
    // Every entry gets its own copy of the shared env and resources: refuse before copying.
    let shared_values: u64 = shared
        .env
        .values()
        .chain(shared.resources.as_deref())
        .map(|v| size::json_size(v, 0).values)
        .sum();
    if size::refuse_copies(queues.len(), shared_values, &path!["queues"], checker) {
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, q) in queues.iter().enumerate() {
        if let Some(worker) = queue_worker(i, q, &shared, &mut seen, checker) {
            out.push(worker);
        }
    }
    out
}

/// The one executor Deployment of a config without `queues`.
fn single_worker(
    shared: &Shared<'_>,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> Option<Worker> {
    let queue = queue_setting(
        ex.queue_name.as_ref(),
        ex.queue_names.as_ref(),
        &path!["executor"],
        checker,
    );
    if queue.is_none()
        && ex.queue_name.as_deref().unwrap_or_default().is_empty()
        && ex.queue_names.as_ref().is_none_or(|v| v.is_empty())
    {
        checker.error_missing(
            &path!["executor", "queueName"],
            &[
                path!["executor", "queueName"],
                path!["executor", "queueNames"],
                path!["queues"],
            ],
            "no queue: the executor would not start",
            "set executor.queueName (batches or codeintel), executor.queueNames, or list queues",
        );
    }
    let (queue_var, queue_value) = queue?;
    Some(Worker {
        name: shared.stack.to_string(),
        queue_var,
        queue_value,
        replicas: Some(shared.replicas),
        scaling: None,
        resources: shared.resources.clone()?,
        env: Arc::clone(&shared.env_values),
    })
}

fn warn_about_ignored_executor_keys(ex: &RawExecutor, checker: &mut Checker<'_>) {
    if ex.queue_name.as_deref().is_some_and(|q| !q.is_empty())
        || ex.queue_names.as_ref().is_some_and(|q| !q.is_empty())
    {
        let key = if ex.queue_name.as_deref().is_some_and(|q| !q.is_empty()) {
            "queueName"
        } else {
            "queueNames"
        };
        checker.warn(
            &path!["executor", key],
            "ignored when queues is set",
            "set the queue on each queues[] entry",
        );
    }
}

/// One `queues[]` entry's Deployment: `NAME-<entry>`, its queue, replicas, resources and
/// environment (the entry's own over `executor.env`).
fn queue_worker<'q>(
    i: usize,
    q: &'q RawQueue,
    shared: &Shared<'_>,
    seen: &mut HashSet<&'q str>,
    checker: &mut Checker<'_>,
) -> Option<Worker> {
    let p = path!["queues", i];
    let Some(qname) = q.name.as_deref() else {
        checker.error_missing(
            &p,
            &[[&p[..], &path!["name"]].concat()],
            "a queue entry needs a name",
            "add `name: batches` (the Deployment is named after it)",
        );
        return None;
    };
    let np = [&p[..], &path!["name"]].concat();
    if !checker.dns_label(qname, &np, "queue entry name") {
        return None;
    }
    let deployment = format!("{}-{qname}", shared.stack);
    if deployment.len() > 63 {
        checker.error(
            &np,
            format!("the Deployment name `{deployment}` is longer than 63 characters"),
            "use a shorter name",
        );
    }
    if !seen.insert(qname) {
        checker.error(
            &np,
            format!("queue entry `{qname}` is listed twice"),
            "give each entry its own name",
        );
    }
    let default_name = q.queue_name.clone().or_else(|| Some(qname.to_string()));
    let names = q.queue_names.as_ref().filter(|v| !v.is_empty());
    if names.is_none() && q.queue_name.as_deref() == Some("") {
        // Else the entry would have no queue and no Deployment, and nothing would say so.
        checker.error(
            &[&p[..], &path!["queueName"]].concat(),
            "empty queue name: this entry would run no executor",
            if QUEUES.contains(&qname) {
                format!(
                    "name a queue ({}), or leave queueName out to use the entry's name",
                    QUEUES.join(" or ")
                )
            } else {
                format!("name a queue: {}", QUEUES.join(" or "))
            },
        );
    }
    // queueNames takes precedence over queueName, which defaults to the entry's name.
    let queue = if names.is_some() {
        queue_setting(None, names, &p, checker)
    } else {
        queue_setting(default_name.as_ref(), None, &p, checker)
    };
    let replicas = checker.count(
        q.replica_count,
        shared.replicas,
        0,
        &[&p[..], &path!["replicaCount"]].concat(),
    );
    let resources = match &q.resources {
        Some(r) => checker
            .resources(r, &[&p[..], &path!["resources"]].concat())
            .map(Arc::new),
        None => shared.resources.clone(),
    };
    let env = match &q.env {
        Some(own) => {
            let mut env = shared.env.clone();
            env.extend(env_map(own, &[&p[..], &path!["env"]].concat(), checker));
            env.sort_keys();
            Arc::new(env.into_values().collect())
        }
        None => Arc::clone(&shared.env_values),
    };
    let (queue_var, queue_value) = queue?;
    Some(Worker {
        name: deployment,
        queue_var,
        queue_value,
        replicas: Some(replicas),
        scaling: None,
        resources: resources?,
        env,
    })
}
