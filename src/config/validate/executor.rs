//! The `executor` section's own keys: the frontend URL and password, job limits, logging,
//! resources, security contexts and the scratch storage.

use super::scheduling::{self, OwnPodKeys};
use super::{object_labels, one_of, Checker};
use crate::config::model::*;
use crate::config::raw::{RawExecutor, RawSourcegraph, RawStorage, StorageType};
use crate::k8s::duration::{self, DurationError};
use crate::k8s::quantity::Min;
use k8s_openapi::api::core::v1 as core;
use serde_json::{json, Map, Value};

/// What the executor's logging library (sourcegraph/log, `Level.Parse`) reads: its own
/// names and the older ones the charts document; anything else it silently reads as `warn`.
pub(super) const LOG_LEVELS: [&str; 8] = [
    "debug", "dbug", "info", "warn", "error", "eror", "crit", "none",
];

/// What sourcegraph/log's `output.ParseFormat` reads; anything else it reads as `json`.
pub(super) const LOG_FORMATS: [&str; 5] = ["json", "json_gcp", "console", "condensed", "logfmt"];

pub(super) fn frontend_url(ex: &RawExecutor, checker: &mut Checker<'_>) -> String {
    let p = path!["executor", "frontendUrl"];
    let url = ex.frontend_url.clone().unwrap_or_default();
    if url.trim().is_empty() {
        checker.error_missing(
            &p,
            std::slice::from_ref(&p),
            "the frontend URL is missing",
            "set it to your Sourcegraph URL, e.g. http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080",
        );
        return url;
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        checker.error(
            &p,
            format!("`{url}` has no scheme"),
            format!("write it as http://{url} or https://{url}"),
        );
        return url;
    };
    if scheme != "http" && scheme != "https" {
        checker.error(
            &p,
            format!("unsupported scheme `{scheme}`"),
            "use http:// or https://",
        );
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        checker.error(
            &p,
            "the frontend URL holds credentials, which would be written into a ConfigMap",
            "remove the `user:password@` part: the executor authenticates with the frontend password (executor.frontendExistingSecret)",
        );
        return url;
    }
    let host = authority;
    let host_ok = !host.is_empty()
        && !host.contains(char::is_whitespace)
        && host
            .rsplit_once(':')
            .is_none_or(|(h, port)| !h.is_empty() && port.parse::<u16>().is_ok());
    if !host_ok || url.contains(char::is_control) {
        checker.error(
            &p,
            format!("`{}` is not a valid URL", url.escape_debug()),
            "write it as scheme://host[:port][/path]",
        );
    }
    url
}

pub(super) fn password(
    name: &str,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> Option<Password> {
    let existing = ex
        .frontend_existing_secret
        .clone()
        .filter(|s| !s.is_empty());
    let literal = ex.frontend_password.clone().filter(|s| !s.is_empty());
    match (existing, literal) {
        (Some(secret), literal) => {
            if literal.is_some() {
                checker.warn(
                    &path!["executor", "frontendPassword"],
                    "ignored because frontendExistingSecret is set (as in the chart)",
                    "remove the literal password from the file",
                );
            }
            checker
                .dns_subdomain(
                    &secret,
                    &path!["executor", "frontendExistingSecret"],
                    "Secret name",
                )
                .then_some(Password::ExistingSecret { name: secret })
        }
        (None, Some(literal)) => {
            checker.warn(
                &path!["executor", "frontendPassword"],
                "a literal password in a config file that is likely committed to git",
                "create a Secret with key EXECUTOR_FRONTEND_PASSWORD and set executor.frontendExistingSecret instead",
            );
            Some(Password::Literal {
                secret_name: format!("{name}-secret"),
                base64: base64(literal.as_bytes()),
            })
        }
        (None, None) => {
            checker.error_missing(
                &path!["executor", "frontendExistingSecret"],
                &[path!["executor", "frontendExistingSecret"], path!["executor", "frontendPassword"]],
                "no frontend password: set frontendExistingSecret or frontendPassword",
                "create a Secret with key EXECUTOR_FRONTEND_PASSWORD (the site config's executors.accessToken) and name it in executor.frontendExistingSecret",
            );
            None
        }
    }
}

pub(super) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The native chart's deprecated `executor.securityContext`, used when podSecurityContext is unset.
pub(super) fn legacy_pod_security_context(
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> Option<Value> {
    let legacy = ex.security_context.as_ref()?;
    checker.warn(
        &path!["executor", "securityContext"],
        "deprecated in the chart",
        "use executor.podSecurityContext and executor.containerSecurityContext",
    );
    let mut m = Map::new();
    for (key, value) in [
        ("fsGroup", legacy.fs_group),
        ("runAsGroup", legacy.run_as_group),
        ("runAsUser", legacy.run_as_user),
    ] {
        if let Some(v) = value {
            m.insert(key.into(), json!(v));
        }
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// The scratch volume; an emptyDir is limited to `jobs_disk` (the jobs' disk) unless its
/// size is set, which should hold them.
pub(super) fn scratch(
    ex: &RawExecutor,
    jobs_disk: Option<&str>,
    checker: &mut Checker<'_>,
) -> Scratch {
    let default_storage = RawStorage::default();
    let s = ex.storage.as_ref().unwrap_or(&default_storage);
    let size = s.size.clone().filter(|v| !v.is_empty());
    let sp = path!["executor", "storage", "size"];
    let kind = s.type_.unwrap_or(StorageType::EmptyDir);
    if let Some(size) = &size {
        // An emptyDir's size limit may be 0; a claim needs a size.
        let min = match kind {
            StorageType::EmptyDir => Min::Zero,
            StorageType::Ephemeral => Min::AboveZero,
        };
        let written = checker.quantity(size, &sp, min);
        let needed = jobs_disk.and_then(|d| crate::k8s::quantity::parse(d).ok());
        if let (Some(written), Some(needed)) = (written, needed) {
            if written < needed {
                checker.warn(
                    &sp,
                    format!("{size} of scratch cannot hold the workspaces of the jobs one pod runs ({} in all, dind.resourcesPerJob.disk times executor.maximumNumJobs)", jobs_disk.unwrap_or_default()),
                    "raise it, or remove it to get the jobs' size; a full emptyDir evicts the pod with all its jobs",
                );
            }
        }
    }
    match kind {
        StorageType::EmptyDir => {
            if s.class.as_deref().is_some_and(|c| !c.is_empty()) {
                checker.warn(
                    &path!["executor", "storage", "class"],
                    "ignored for an emptyDir scratch volume",
                    "remove it, or set type: ephemeral",
                );
            }
            // The chart leaves scratch unlimited, which risks disk pressure: sized for the jobs.
            let size_limit = if s.size.is_some() {
                size
            } else {
                Some(
                    jobs_disk
                        .unwrap_or(crate::config::defaults::JOB_DISK)
                        .into(),
                )
            };
            Scratch::EmptyDir { size_limit }
        }
        StorageType::Ephemeral => {
            let class = s.class.clone().filter(|c| !c.is_empty());
            if let Some(c) = &class {
                checker.dns_subdomain(
                    c,
                    &path!["executor", "storage", "class"],
                    "StorageClass name",
                );
            }
            match size {
                Some(size) => Scratch::Ephemeral { size, class },
                None => {
                    checker.error_missing(
                        &sp,
                        std::slice::from_ref(&sp),
                        "an ephemeral scratch volume needs a size",
                        "set executor.storage.size, e.g. 50Gi",
                    );
                    Scratch::Ephemeral {
                        size: String::new(),
                        class,
                    }
                }
            }
        }
    }
}

/// `executor.maximumNumJobs` and `executor.maximumRuntimePerJob`.
pub(super) fn job_limits(ex: &RawExecutor, checker: &mut Checker<'_>) -> (u32, String) {
    let max_jobs = checker.count(
        ex.maximum_num_jobs,
        crate::config::defaults::MAXIMUM_NUM_JOBS,
        1,
        &path!["executor", "maximumNumJobs"],
    );
    let max_runtime = ex
        .maximum_runtime_per_job
        .clone()
        .unwrap_or_else(|| crate::config::defaults::MAXIMUM_RUNTIME_PER_JOB.into());
    let p = path!["executor", "maximumRuntimePerJob"];
    match duration::parse(&max_runtime) {
        Ok(d) if d <= 0 => checker.error(
            &p,
            format!("`{max_runtime}` is not a positive duration"),
            "the executor stops each job after this long; write it like 30m, 1h or 1h30m",
        ),
        Ok(_) => {}
        Err(e @ DurationError::Overflow) => checker.error(
            &p,
            format!("`{max_runtime}` {e}"),
            "the executor would not start; use a shorter duration, e.g. 24h",
        ),
        Err(e) => checker.error(
            &p,
            format!("`{max_runtime}` {e}"),
            "write it as Go does, like 30m, 1h or 1h30m (units ns, us, ms, s, m, h)",
        ),
    }
    (max_jobs, max_runtime)
}

/// The executor's logging (`executor.log`).
pub(super) struct Log {
    pub level: String,
    pub format: String,
    pub trace: Option<bool>,
}

pub(super) fn log(mode: Mode, ex: &RawExecutor, checker: &mut Checker<'_>) -> Log {
    let log = ex.log.as_ref();
    let level = one_of(
        checker,
        log.and_then(|l| l.level.clone()),
        crate::config::defaults::LOG_LEVEL,
        &LOG_LEVELS,
        &path!["executor", "log", "level"],
    );
    let default_format = if mode == Mode::Kubernetes {
        crate::config::defaults::LOG_FORMAT_KUBERNETES
    } else {
        crate::config::defaults::LOG_FORMAT_DIND
    };
    let format = one_of(
        checker,
        log.and_then(|l| l.format.clone()),
        default_format,
        &LOG_FORMATS,
        &path!["executor", "log", "format"],
    );
    let trace = log.and_then(|l| l.trace.as_deref()).and_then(|t| match t {
        "true" => Some(true),
        "false" => Some(false),
        other => {
            checker.error(
                &path!["executor", "log", "trace"],
                format!("`{other}` is not true or false"),
                "write true or false",
            );
            None
        }
    });
    Log {
        level,
        format,
        trace,
    }
}

/// The executor pod's and container's security contexts.
pub(super) fn security_contexts(
    mode: Mode,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> (Option<Value>, Option<Value>) {
    let pod = match &ex.pod_security_context {
        None if mode == Mode::Dind => Some(crate::config::defaults::dind_pod_security_context()),
        None => legacy_pod_security_context(ex, checker),
        Some(v) => checker
            .k8s::<core::PodSecurityContext>(
                v,
                &path!["executor", "podSecurityContext"],
                "a pod security context",
            )
            .filter(|v| v.as_object().is_some_and(|m| !m.is_empty())),
    };
    let container = match &ex.container_security_context {
        Some(v) => checker.k8s::<core::SecurityContext>(
            v,
            &path!["executor", "containerSecurityContext"],
            "a security context",
        ),
        // The native chart's default: say plainly that the executor is not privileged.
        None if mode == Mode::Kubernetes => {
            Some(crate::config::defaults::kubernetes_container_security_context())
        }
        None => None,
    };
    if ex
        .security_context
        .as_ref()
        .is_some_and(|s| s.privileged == Some(true))
    {
        checker.error(
            &path!["executor", "securityContext", "privileged"],
            "the chart ignores this key, and a privileged executor could take over its node",
            "remove it: native Kubernetes executors run jobs as pods and need no privilege; set executor.containerSecurityContext if you really mean it",
        );
    }
    (pod, container)
}

/// `executor.resources`; none at all with the native chart's `localDevMode`.
pub(super) fn resources(
    ex: &RawExecutor,
    local_dev: bool,
    checker: &mut Checker<'_>,
) -> Option<Value> {
    match &ex.resources {
        _ if local_dev => Some(json!({})),
        Some(v) => checker.resources(v, &path!["executor", "resources"]),
        None => Some(crate::config::defaults::executor_resources()),
    }
}

/// The executor pods' settings: `sourcegraph.*` with `executor.*` over them (the native
/// chart also reads its scheduling keys there).
pub(super) fn pod_settings(
    mode: Mode,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> PodSettings {
    let native = mode == Mode::Kubernetes;
    let own = OwnPodKeys {
        section: "executor",
        labels: ex.pod_labels.as_ref(),
        annotations: ex.pod_annotations.as_ref(),
        priority_class_name: ex.priority_class_name.as_ref(),
        node_selector: ex.node_selector.as_ref().filter(|_| native),
        affinity: ex.affinity.as_ref().filter(|_| native),
        tolerations: ex.tolerations.as_ref().filter(|_| native),
    };
    scheduling::pod_settings(sg, &own, checker)
}

/// `executor.labels`: on the executor Deployments, as in the chart.
pub(super) fn workload_labels(
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> Vec<(String, String)> {
    object_labels(ex.labels.as_ref(), &path!["executor", "labels"], checker)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
