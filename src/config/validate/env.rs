//! Extra environment for the executor and the registry (`executor.env`, `queues[].env`,
//! `privateDockerRegistry.env`, the native chart's `executor.extraEnv`), and the variables
//! the tool sets itself, which no extra environment may replace.

use super::Checker;
use crate::config::raw::RawEnvValue;
use crate::config::source::Segment;
use crate::k8s::syntax::is_env_var_name;
use indexmap::IndexMap;
use k8s_openapi::api::core::v1 as core;
use serde_json::{json, Value};

/// Environment variables the tool sets itself, with the key that controls each.
pub(super) const MANAGED_ENV: &[(&str, &str)] = &[
    ("EXECUTOR_FRONTEND_URL", "executor.frontendUrl"),
    (
        "EXECUTOR_FRONTEND_PASSWORD",
        "executor.frontendPassword or executor.frontendExistingSecret",
    ),
    (
        "EXECUTOR_QUEUE_NAME",
        "executor.queueName (or queues[].queueName)",
    ),
    (
        "EXECUTOR_QUEUE_NAMES",
        "executor.queueNames (or queues[].queueNames)",
    ),
    ("EXECUTOR_MAXIMUM_NUM_JOBS", "executor.maximumNumJobs"),
    (
        "EXECUTOR_MAXIMUM_RUNTIME_PER_JOB",
        "executor.maximumRuntimePerJob",
    ),
    ("SRC_LOG_LEVEL", "executor.log.level"),
    ("SRC_LOG_FORMAT", "executor.log.format"),
    ("SRC_TRACE_LOG", "executor.log.trace"),
    (
        "EXECUTOR_DOCKER_ADD_HOST_GATEWAY",
        "executor.dockerAddHostGateway",
    ),
    ("EXECUTOR_KEEP_WORKSPACES", "executor.debug.keepWorkspaces"),
    (
        "EXECUTOR_USE_FIRECRACKER",
        "remove it: executors on Kubernetes never use Firecracker",
    ),
    (
        "EXECUTOR_USE_KUBERNETES",
        "remove it: the mode sets it (false in dind mode, where jobs run in the dind sidecar)",
    ),
    (
        "EXECUTOR_HEALTH_SERVER_ADDR",
        "remove it: the executor's probes ask its health server on :8080",
    ),
    (
        "DOCKER_HOST",
        "remove it: the executor connects to dockerd at tcp://127.0.0.1:2375, which dind.daemonConfig.hosts must keep",
    ),
    ("TMPDIR", "remove it: it must be the shared /scratch volume"),
    ("EXECUTOR_KUBERNETES_NAMESPACE", "executor.namespace"),
    ("EXECUTOR_KUBERNETES_CONFIG_PATH", "executor.kubeconfigPath"),
    ("KUBERNETES_JOB_DEADLINE", "executor.kubernetesJob.deadline"),
    ("KUBERNETES_KEEP_JOBS", "executor.debug.keepJobs"),
    (
        "EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME",
        "remove it; set executor.storageSize to get the shared /data volume",
    ),
    (
        "EXECUTOR_KUBERNETES_NODE_NAME",
        "executor.kubernetesJob.node.name",
    ),
    (
        "EXECUTOR_KUBERNETES_NODE_SELECTOR",
        "executor.kubernetesJob.node.selector",
    ),
    (
        "EXECUTOR_KUBERNETES_NODE_TOLERATIONS",
        "executor.kubernetesJob.node.tolerations",
    ),
    (
        "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
        "executor.kubernetesJob.node.requiredAffinityMatchExpressions",
    ),
    (
        "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
        "executor.kubernetesJob.node.requiredAffinityMatchFields",
    ),
    (
        "EXECUTOR_KUBERNETES_POD_AFFINITY",
        "executor.kubernetesJob.pod.affinity",
    ),
    (
        "EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY",
        "executor.kubernetesJob.pod.antiAffinity",
    ),
    (
        "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU",
        "executor.kubernetesJob.resources.requests.cpu",
    ),
    (
        "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY",
        "executor.kubernetesJob.resources.requests.memory",
    ),
    (
        "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU",
        "executor.kubernetesJob.resources.limits.cpu",
    ),
    (
        "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY",
        "executor.kubernetesJob.resources.limits.memory",
    ),
    ("KUBERNETES_RUN_AS_USER", "executor.kubernetesJob.runAsUser"),
    (
        "KUBERNETES_RUN_AS_GROUP",
        "executor.kubernetesJob.runAsGroup",
    ),
    ("KUBERNETES_FS_GROUP", "executor.kubernetesJob.fsGroup"),
];

/// Variables that make the executor exit once it is done, which only a pod that is meant to
/// complete can use: in a Deployment's pod the container restarts in place, forever.
const EXITS_WHEN_DONE: [(&str, &str); 2] = [
    ("EXECUTOR_NUM_TOTAL_JOBS", "after that many jobs"),
    ("EXECUTOR_MAX_ACTIVE_TIME", "after that long"),
];

/// Refuses, at `p`, a variable that would make the executor exit when done.
fn refuse_exit_when_done(name: &str, p: &[Segment], checker: &mut Checker<'_>) -> bool {
    let Some((_, when)) = EXITS_WHEN_DONE.iter().find(|(n, _)| *n == name) else {
        return false;
    };
    checker.error_key(
        p,
        format!("{name} makes the executor exit {when}, and in a Deployment's pod its container would restart in place, again and again"),
        "remove it: executors here run as Deployments; scale them with replicaCount or an autoscaler",
    );
    true
}

/// What to do instead of setting a managed variable by hand.
pub(super) fn managed_hint(key: &str) -> String {
    if key.starts_with("remove it") {
        key.to_string()
    } else {
        format!("use {key} instead")
    }
}

pub(super) fn env_map(
    map: &IndexMap<String, RawEnvValue>,
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> IndexMap<String, Value> {
    let mut out = IndexMap::new();
    for (name, entry) in map {
        let p = [path, &path![name]].concat();
        if !is_env_var_name(name) {
            checker.error_key(
                &p,
                format!("`{name}` is not a valid environment variable name"),
                "use letters, digits, `_`, `-` and `.`, not starting with a digit",
            );
            continue;
        }
        if refuse_exit_when_done(name, &p, checker) {
            continue;
        }
        if let Some((_, key)) = MANAGED_ENV.iter().find(|(n, _)| *n == name) {
            checker.error_key(
                &p,
                format!("{name} is set by sg-executor-gen"),
                managed_hint(key),
            );
            continue;
        }
        match (&entry.value, &entry.value_from) {
            (Some(v), None) => {
                check_literal(name, v, &p, checker);
                out.insert(name.clone(), json!({"name": name, "value": v}));
            }
            (None, Some(from)) => {
                if let Some(src) = checker.k8s::<core::EnvVarSource>(
                    from,
                    &[&p[..], &path!["valueFrom"]].concat(),
                    "a valueFrom",
                ) {
                    out.insert(name.clone(), json!({"name": name, "valueFrom": src}));
                }
            }
            (Some(_), Some(_)) => checker.error(&p, "both value and valueFrom are set", "keep one"),
            (None, None) => checker.error(
                &p,
                "neither value nor valueFrom is set",
                "write `{value: ...}` or `{valueFrom: ...}`",
            ),
        }
    }
    out.sort_keys();
    out
}

/// The native chart's `executor.extraEnv`: a list of EnvVar, unlike dind's map.
pub(super) fn extra_env(
    list: &serde_yaml::Value,
    checker: &mut Checker<'_>,
) -> IndexMap<String, Value> {
    let p = path!["executor", "extraEnv"];
    let mut out = IndexMap::new();
    let Some(Value::Array(vars)) =
        checker.k8s::<Vec<core::EnvVar>>(list, &p, "a list of environment variables")
    else {
        return out;
    };
    for (i, var) in vars.into_iter().enumerate() {
        let name = var
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let vp = [&p[..], &path![i, "name"]].concat();
        if refuse_exit_when_done(&name, &vp, checker) {
            continue;
        }
        if let Some((_, key)) = MANAGED_ENV.iter().find(|(n, _)| *n == name) {
            checker.error(
                &vp,
                format!("{name} is set by sg-executor-gen"),
                managed_hint(key),
            );
        } else if !is_env_var_name(&name) {
            checker.error(
                &vp,
                format!("`{name}` is not a valid environment variable name"),
                "use letters, digits, `_`, `-` and `.`",
            );
        } else {
            if let Some(v) = var.get("value").and_then(Value::as_str) {
                check_literal(&name, v, &[&p[..], &path![i]].concat(), checker);
            }
            if out.insert(name.clone(), var).is_some() {
                checker.error(&vp, format!("{name} is listed twice"), "keep one");
            }
        }
    }
    out.sort_keys();
    out
}

/// What a literal value may not be: a secret in plain text in the config (and so in the pod
/// spec), or a job resource bound the executor cannot parse.
fn check_literal(name: &str, value: &str, path: &[Segment], checker: &mut Checker<'_>) {
    let upper = name.to_ascii_uppercase();
    if ["PASSWORD", "TOKEN", "SECRET"]
        .iter()
        .any(|w| upper.contains(w))
        && !value.is_empty()
    {
        checker.warn(
            path,
            format!("{name} holds a literal value, which ends up in plain text in the pod spec"),
            format!("create a Secret and write `{name}: {{valueFrom: {{secretKeyRef: {{name: SECRET, key: KEY}}}}}}`"),
        );
    }
    match name {
        "EXECUTOR_JOB_NUM_CPUS" if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) => checker.error(
            path,
            format!("`{value}` is not a whole number of CPUs"),
            "write a whole number such as 2 (the executor passes it to docker run --cpus); 0 bounds each job by the dind container only",
        ),
        "EXECUTOR_JOB_MEMORY" if !is_docker_memory(value) => checker.error(
            path,
            format!("`{value}` is not a memory size docker understands"),
            "write it like 8g or 512m (the executor passes it to docker run --memory); 0 bounds each job by the dind container only",
        ),
        _ => {}
    }
}

/// A size as `docker run --memory` reads it (go-units' RAMInBytes): a number with an
/// optional fraction, an optional space, then an optional unit k, m, g, t or p, an
/// optional `i` and an optional `b`, in either case.
fn is_docker_memory(value: &str) -> bool {
    let number_end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(number_end);
    let number_ok = !number.is_empty()
        && !number.starts_with('.')
        && !number.ends_with('.')
        && number.matches('.').count() <= 1;
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let unit = unit
        .strip_prefix(['k', 'm', 'g', 't', 'p'])
        .unwrap_or(&unit);
    let unit = unit.strip_prefix('i').unwrap_or(unit);
    let unit = unit.strip_prefix('b').unwrap_or(unit);
    number_ok && unit.is_empty()
}

/// The executor's extra environment: the dind chart's `executor.env` map, or the native
/// chart's `executor.extraEnv` list.
pub(super) fn executor_env(
    ex: &crate::config::raw::RawExecutor,
    checker: &mut Checker<'_>,
) -> IndexMap<String, Value> {
    match (&ex.env, &ex.extra_env) {
        (Some(e), _) => env_map(e, &path!["executor", "env"], checker),
        (None, Some(list)) => extra_env(list, checker),
        (None, None) => IndexMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_memory_sizes_follow_go_units() {
        for ok in [
            "0", "512m", "8g", "12G", "12GB", "1.5g", "16Gi", "1 g", "100",
        ] {
            assert!(is_docker_memory(ok), "{ok}");
        }
        for bad in ["", "12Gx", "g", ".5g", "1..2g", "1.2.3g", "-1g", "12 GiBs"] {
            assert!(!is_docker_memory(bad), "{bad}");
        }
    }
}
