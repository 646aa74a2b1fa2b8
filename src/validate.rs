//! Turns the config as written (`RawSpec`) into the `Config` the templates use, applying
//! the charts' defaults and every rule, and collecting all problems rather than stopping
//! at the first. Each problem is located in the file through the key path it concerns.
//!
//! Where a chart default is one of its known bugs, the default here is the fixed one; the
//! README's chart-key table lists each such difference.

// `path!` builds a Vec so a path can be stored, extended and joined like any other.
#![allow(clippy::useless_vec)]

use crate::config::*;
use crate::diagnostic::{did_you_mean, Problem};
use crate::k8s_syntax::*;
use crate::raw_config::*;
use crate::roundtrip;
use crate::source::{path_to_string, Node, Segment};
use indexmap::IndexMap;
use k8s_openapi::api::core::v1 as core;
use serde_json::{json, Map, Value};

/// Builds a key path: `path!["executor", "queueName"]`.
macro_rules! path {
    ($($seg:expr),* $(,)?) => { vec![$(Segment::from($seg)),*] };
}

impl From<&str> for Segment {
    fn from(s: &str) -> Self {
        Segment::Key(s.to_string())
    }
}

impl From<&String> for Segment {
    fn from(s: &String) -> Self {
        Segment::Key(s.clone())
    }
}

impl From<usize> for Segment {
    fn from(i: usize) -> Self {
        Segment::Index(i)
    }
}

/// What the command line adds to the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub namespace: Option<String>,
    pub mode: Option<Mode>,
}

/// Collects located problems while the config is checked.
pub struct Checker<'a> {
    root: &'a Node,
    /// `["spec"]` for the KRM form, empty for a bare values file.
    prefix: Vec<Segment>,
    pub problems: Vec<Problem>,
}

impl<'a> Checker<'a> {
    pub fn new(root: &'a Node, prefix: Vec<Segment>) -> Self {
        Checker {
            root,
            prefix,
            problems: Vec::new(),
        }
    }

    fn full(&self, path: &[Segment]) -> Vec<Segment> {
        self.prefix.iter().chain(path).cloned().collect()
    }

    fn problem(&self, base: Problem, path: &[Segment]) -> Problem {
        let full = self.full(path);
        base.at(self.root.locate(&full)).path(path_to_string(&full))
    }

    pub fn error(&mut self, path: &[Segment], message: impl Into<String>, hint: impl Into<String>) {
        let p = self.problem(Problem::error(message).hint(hint), path);
        self.problems.push(p);
    }

    /// An error that some key is missing; `keys` are the keys (relative, like `path`) that
    /// would each resolve it.
    pub fn error_missing(
        &mut self,
        path: &[Segment],
        keys: &[Vec<Segment>],
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let mut p = self.problem(Problem::error(message).hint(hint), path);
        p.missing = keys.iter().map(|k| path_to_string(&self.full(k))).collect();
        self.problems.push(p);
    }

    /// Runs `f` with paths taken from the top of the file (for `apiVersion`, `metadata`),
    /// not from under `spec`.
    fn top_level<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = std::mem::take(&mut self.prefix);
        let result = f(self);
        self.prefix = saved;
        result
    }

    /// An error about a key itself (its spelling, its name), located at the key.
    pub fn error_key(
        &mut self,
        path: &[Segment],
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let full = self.full(path);
        let p = Problem::error(message)
            .hint(hint)
            .at(self.root.locate_key(&full))
            .path(path_to_string(&full));
        self.problems.push(p);
    }

    pub fn warn(&mut self, path: &[Segment], message: impl Into<String>, hint: impl Into<String>) {
        let p = self.problem(Problem::warning(message).hint(hint), path);
        self.problems.push(p);
    }

    /// Reads a Kubernetes sub-object through its `k8s-openapi` type; unknown keys are errors.
    fn k8s<T>(&mut self, value: &serde_yaml::Value, path: &[Segment], what: &str) -> Option<Value>
    where
        T: serde::de::DeserializeOwned + serde::Serialize,
    {
        let json = match serde_json::to_value(value) {
            Ok(v) => v,
            Err(e) => {
                self.error(
                    path,
                    format!("cannot be read as {what}: {e}"),
                    "write it as a YAML mapping or list",
                );
                return None;
            }
        };
        match roundtrip::strict::<T>(&json) {
            Ok((_, canonical)) => Some(canonical),
            Err(lost) => {
                for l in lost {
                    let mut p = path.to_vec();
                    p.extend(inner_path(&l.path));
                    self.error(
                        &p,
                        format!("{} in {what}", l.message),
                        "check the spelling against the Kubernetes API reference",
                    );
                }
                None
            }
        }
    }

    fn quantity(&mut self, value: &str, path: &[Segment]) -> Option<f64> {
        let q = parse_quantity(value);
        if q.is_none() {
            self.error(
                path,
                format!("`{value}` is not a Kubernetes quantity"),
                "use a number with an optional suffix such as 500m, 10Gi or 20G (not GB)",
            );
        }
        q
    }

    /// `resources`: requests and limits, every quantity valid, no request above its limit.
    fn resources(&mut self, value: &serde_yaml::Value, path: &[Segment]) -> Option<Value> {
        let value = quantities_as_strings(value);
        let mut ok = true;
        let mut parsed: IndexMap<(String, String), Exact> = IndexMap::new();
        for side in ["requests", "limits"] {
            let Some(serde_yaml::Value::Mapping(m)) = value.get(side) else {
                continue;
            };
            for (res, q) in m {
                let res = res.as_str().unwrap_or_default().to_string();
                let q = q.as_str().unwrap_or_default();
                match self
                    .quantity(q, &[path, &path![side, &res]].concat())
                    .and(exact_quantity(q))
                {
                    Some(n) => {
                        parsed.insert((side.to_string(), res), n);
                    }
                    None => ok = false,
                }
            }
        }
        for ((side, res), request) in &parsed {
            let limit = parsed.get(&("limits".to_string(), res.clone()));
            let above = limit.and_then(|limit| compare_exact(*request, *limit))
                == Some(std::cmp::Ordering::Greater);
            if side == "requests" && above {
                ok = false;
                self.error(
                    &[path, &path!["requests", res]].concat(),
                    format!("the {res} request is above its limit"),
                    "Kubernetes refuses such a pod; lower the request or raise the limit",
                );
            }
        }
        let canonical = self.k8s::<core::ResourceRequirements>(&value, path, "resources");
        canonical.filter(|_| ok)
    }

    fn labels(
        &mut self,
        map: &IndexMap<String, String>,
        path: &[Segment],
        values_are_labels: bool,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, v) in map {
            let p = [path, &path![k]].concat();
            if !is_qualified_name(k) {
                self.error_key(&p, format!("`{k}` is not a valid Kubernetes key"), "use [prefix/]name with letters, digits, `-`, `_` and `.`, at most 63 characters in the name");
                continue;
            }
            if values_are_labels && !is_label_value(v) {
                self.error(&p, format!("`{v}` is not a valid label value"), "use at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit");
                continue;
            }
            out.push((k.clone(), v.clone()));
        }
        out.sort();
        out
    }

    fn image(&mut self, image: String, path: &[Segment]) -> String {
        if !is_image_reference(&image) {
            self.error(
                path,
                format!("`{image}` is not a valid image reference"),
                "use [registry/]repository[:tag][@sha256:digest], lowercase",
            );
        }
        image
    }

    fn dns_label(&mut self, value: &str, path: &[Segment], what: &str) -> bool {
        let ok = is_dns1123_label(value);
        if !ok {
            self.error(
                path,
                format!("`{value}` is not a valid {what}"),
                "use at most 63 lowercase letters, digits and `-`, starting and ending with a letter or digit",
            );
        }
        ok
    }

    fn dns_subdomain(&mut self, value: &str, path: &[Segment], what: &str) -> bool {
        let ok = is_dns1123_subdomain(value);
        if !ok {
            self.error(
                path,
                format!("`{value}` is not a valid {what}"),
                "use lowercase letters, digits, `-` and `.`",
            );
        }
        ok
    }

    fn count(&mut self, value: Option<i64>, default: u32, min: i64, path: &[Segment]) -> u32 {
        match value {
            None => default,
            Some(n) if n < min || n > i64::from(i32::MAX) => {
                self.error(
                    path,
                    format!("{n} is out of range"),
                    format!("use a whole number from {min} up"),
                );
                default
            }
            Some(n) => n as u32,
        }
    }
}

/// Splits a path inside a value (`limits.cpu`, `items[0].key`) into segments.
fn inner_path(s: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in s.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            out.push(Segment::Key(rest[..i].to_string()));
            rest = &rest[i..];
            while let Some(end) = rest.find(']') {
                if let Ok(n) = rest[1..end].parse() {
                    out.push(Segment::Index(n));
                }
                rest = &rest[end + 1..];
            }
        } else {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

/// Kubernetes reads `cpu: 2` as a quantity; the typed structs want a string.
fn quantities_as_strings(value: &serde_yaml::Value) -> serde_yaml::Value {
    let mut v = value.clone();
    if let serde_yaml::Value::Mapping(m) = &mut v {
        for (_, side) in m.iter_mut() {
            if let serde_yaml::Value::Mapping(q) = side {
                for (_, amount) in q.iter_mut() {
                    if let serde_yaml::Value::Number(n) = amount {
                        *amount = serde_yaml::Value::String(n.to_string());
                    }
                }
            }
        }
    }
    v
}

/// Environment variables the tool sets itself, with the key that controls each.
const MANAGED_ENV: &[(&str, &str)] = &[
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

/// What to do instead of setting a managed variable by hand.
fn managed_hint(key: &str) -> String {
    if key.starts_with("remove it") {
        key.to_string()
    } else {
        format!("use {key} instead")
    }
}

const LOG_LEVELS: [&str; 5] = ["dbug", "info", "warn", "eror", "crit"];
const LOG_FORMATS: [&str; 4] = ["json", "json_gcp", "condensed", "logfmt"];
const PULL_POLICIES: [&str; 3] = ["Always", "IfNotPresent", "Never"];

/// Labels the tool puts on pods to select them; user labels must not replace them.
pub const SELECTOR_LABELS: [&str; 3] = [
    "app",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
];

/// The checks, in file order as far as possible.
pub fn validate(
    krm: Option<&RawKrm>,
    spec: &RawSpec,
    overrides: &Overrides,
    checker: &mut Checker<'_>,
) -> Option<Config> {
    let (name, file_namespace) = metadata(krm, checker);
    let namespace = overrides.namespace.clone().or(file_namespace);
    let mode = overrides.mode.or(spec.mode).unwrap_or(Mode::Dind);

    let default_sg = RawSourcegraph::default();
    let sg = spec.sourcegraph.as_ref().unwrap_or(&default_sg);
    let default_exec = RawExecutor::default();
    let ex = spec.executor.as_ref().unwrap_or(&default_exec);

    refuse_keys_of_other_mode(mode, spec, ex, checker);
    if sg.name_override.as_deref().is_some_and(|n| !n.is_empty()) {
        checker.warn(
            &path!["sourcegraph", "nameOverride"],
            "has no effect here (the chart ignores it too)",
            "name the stack with metadata.name in the KRM form",
        );
    }
    if mode == Mode::Kubernetes && ex.replica_count.is_some_and(|n| n != 1) {
        checker.error(
            &path!["executor", "replicaCount"],
            "the native Kubernetes executor runs as a single replica",
            "remove replicaCount; raise executor.maximumNumJobs for more parallel jobs",
        );
    }

    let frontend_url = frontend_url(ex, checker);
    let password = password(&name, ex, checker);
    let pods = pod_settings(mode, sg, ex, checker);
    let labels = sg
        .labels
        .as_ref()
        .map(|l| checker.labels(l, &path!["sourcegraph", "labels"], true))
        .unwrap_or_default();

    let pull_policy = sg
        .image
        .as_ref()
        .and_then(|i| i.pull_policy.clone())
        .unwrap_or_else(|| "IfNotPresent".into());
    if !PULL_POLICIES.contains(&pull_policy.as_str()) {
        let hint = match did_you_mean(&pull_policy, PULL_POLICIES) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("use one of {}", PULL_POLICIES.join(", ")),
        };
        checker.error(
            &path!["sourcegraph", "image", "pullPolicy"],
            format!("unknown pull policy `{pull_policy}`"),
            hint,
        );
    }
    let executor_image = executor_image(mode, sg, ex, checker);

    let max_jobs = checker.count(
        ex.maximum_num_jobs,
        10,
        1,
        &path!["executor", "maximumNumJobs"],
    );
    let max_runtime = ex
        .maximum_runtime_per_job
        .clone()
        .unwrap_or_else(|| "30m".into());
    if !is_go_duration(&max_runtime) {
        checker.error(
            &path!["executor", "maximumRuntimePerJob"],
            format!("`{max_runtime}` is not a duration"),
            "write it like 30m, 1h or 1h30m",
        );
    }
    let log = ex.log.as_ref();
    let log_level = one_of(
        checker,
        log.and_then(|l| l.level.clone()),
        "warn",
        &LOG_LEVELS,
        &path!["executor", "log", "level"],
    );
    let default_format = if mode == Mode::Kubernetes {
        "condensed"
    } else {
        "json"
    };
    let log_format = one_of(
        checker,
        log.and_then(|l| l.format.clone()),
        default_format,
        &LOG_FORMATS,
        &path!["executor", "log", "format"],
    );
    let log_trace = log.and_then(|l| l.trace.as_deref()).and_then(|t| match t {
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

    let pod_security_context = match &ex.pod_security_context {
        None if mode == Mode::Dind => Some(json!({"fsGroup": 101})),
        None => legacy_pod_security_context(ex, checker),
        Some(v) => checker
            .k8s::<core::PodSecurityContext>(
                v,
                &path!["executor", "podSecurityContext"],
                "a pod security context",
            )
            .filter(|v| v.as_object().is_some_and(|m| !m.is_empty())),
    };
    let container_security_context = match &ex.container_security_context {
        Some(v) => checker.k8s::<core::SecurityContext>(
            v,
            &path!["executor", "containerSecurityContext"],
            "a security context",
        ),
        // The native chart's default: say plainly that the executor is not privileged.
        None if mode == Mode::Kubernetes => Some(json!({
            "privileged": ex.security_context.as_ref().and_then(|s| s.privileged).unwrap_or(false)
        })),
        None => None,
    };

    let executor_env = match (&ex.env, &ex.extra_env) {
        (Some(e), _) => env_map(e, &path!["executor", "env"], checker),
        (None, Some(list)) => extra_env(list, checker),
        (None, None) => IndexMap::new(),
    };
    let local_dev = mode == Mode::Kubernetes && sg.local_dev_mode.unwrap_or(false);
    let executor_resources = match &ex.resources {
        _ if local_dev => Some(json!({})),
        Some(v) => checker.resources(v, &path!["executor", "resources"]),
        None => Some(default_executor_resources()),
    };
    let workers = workers(
        &name,
        spec,
        ex,
        &executor_env,
        executor_resources.clone(),
        checker,
    );

    let registry = registry(mode, spec, checker);
    if registry.is_some() {
        refuse_registry_name_clash(&name, &workers, spec, checker);
    }
    let storage_class = storage_class(spec, checker);
    let dind = match mode {
        Mode::Dind => dind(spec, ex, registry.is_some(), checker),
        Mode::Kubernetes => None,
    };
    let kubernetes = match mode {
        Mode::Kubernetes => Some(crate::validate_kubernetes::kubernetes(
            ex,
            namespace.as_deref(),
            spec.storage_class.as_ref(),
            &name,
            checker,
        )),
        Mode::Dind => None,
    };

    if checker
        .problems
        .iter()
        .any(|p| p.severity == crate::diagnostic::Severity::Error)
    {
        return None;
    }
    warn_about_risks(
        mode,
        ex,
        &workers,
        dind.as_ref(),
        &frontend_url,
        local_dev,
        checker,
    );
    Some(Config {
        mode,
        name,
        namespace,
        frontend_url,
        password: password?,
        per_queue: spec.queues.as_ref().is_some_and(|q| !q.is_empty()),
        workers,
        max_jobs,
        max_runtime,
        log_level,
        log_format,
        log_trace,
        keep_workspaces: ex.debug.as_ref().and_then(|d| d.keep_workspaces),
        docker_add_host_gateway: ex.docker_add_host_gateway,
        executor_image,
        pull_policy,
        pod_security_context,
        container_security_context,
        pods,
        labels,
        dind,
        registry,
        kubernetes,
        storage_class,
    })
}

fn metadata(krm: Option<&RawKrm>, checker: &mut Checker<'_>) -> (String, Option<String>) {
    let Some(krm) = krm else {
        return ("executor".into(), None);
    };
    // The KRM prefix is `spec`; metadata lives beside it, so locate from the top.
    checker.top_level(|checker| metadata_checks(krm, checker))
}

fn metadata_checks(krm: &RawKrm, checker: &mut Checker<'_>) -> (String, Option<String>) {
    match krm.api_version.as_deref() {
        Some("sg-executor-gen/v1alpha1") => {}
        other => checker.error(
            &path!["apiVersion"],
            format!("unsupported apiVersion `{}`", other.unwrap_or("")),
            "use `apiVersion: sg-executor-gen/v1alpha1`, or drop apiVersion, kind and metadata to use a bare Helm values file",
        ),
    }
    match krm.kind.as_deref() {
        Some("ExecutorDeployment") => {}
        other => checker.error(
            &path!["kind"],
            format!("unsupported kind `{}`", other.unwrap_or("")),
            "use `kind: ExecutorDeployment`",
        ),
    }
    let meta = krm.metadata.as_ref();
    let name = meta
        .and_then(|m| m.name.clone())
        .unwrap_or_else(|| "executor".into());
    if checker.dns_label(&name, &path!["metadata", "name"], "name") && name.len() > 40 {
        checker.error(
            &path!["metadata", "name"],
            "the name is longer than 40 characters",
            "object names are derived from it and must stay within 63",
        );
    }
    let namespace = meta.and_then(|m| m.namespace.clone());
    if let Some(ns) = &namespace {
        checker.dns_label(ns, &path!["metadata", "namespace"], "namespace");
    }
    (name, namespace)
}

/// The registry's objects are named `private-docker-registry`; no executor object may be.
fn refuse_registry_name_clash(
    name: &str,
    workers: &[Worker],
    spec: &RawSpec,
    checker: &mut Checker<'_>,
) {
    let hint = "choose another name, or disable privateDockerRegistry";
    if name == REGISTRY_SERVICE {
        checker.top_level(|checker| {
            checker.error(
                &path!["metadata", "name"],
                format!("`{name}` is the private registry's name"),
                hint,
            )
        });
        return;
    }
    for (i, w) in workers.iter().enumerate() {
        if w.name == REGISTRY_SERVICE && spec.queues.as_ref().is_some_and(|q| !q.is_empty()) {
            checker.error(
                &path!["queues", i, "name"],
                format!(
                    "the Deployment would be named `{}`, the private registry's name",
                    w.name
                ),
                hint,
            );
        }
    }
}

fn refuse_keys_of_other_mode(
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

fn one_of(
    checker: &mut Checker<'_>,
    value: Option<String>,
    default: &str,
    allowed: &[&str],
    p: &[Segment],
) -> String {
    let v = value.unwrap_or_else(|| default.to_string());
    if !allowed.contains(&v.as_str()) {
        let hint = match did_you_mean(&v, allowed.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("use one of {}", allowed.join(", ")),
        };
        checker.error(p, format!("unknown value `{v}`"), hint);
    }
    v
}

fn frontend_url(ex: &RawExecutor, checker: &mut Checker<'_>) -> String {
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
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
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

fn password(name: &str, ex: &RawExecutor, checker: &mut Checker<'_>) -> Option<Password> {
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

fn base64(bytes: &[u8]) -> String {
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

fn executor_image(
    mode: Mode,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> String {
    let global = sg.image.as_ref();
    let repository = global
        .and_then(|g| g.repository.clone())
        .unwrap_or_else(|| DEFAULT_IMAGE_REPOSITORY.into());
    let own = ex.image.as_ref();
    let default_name = if mode == Mode::Kubernetes {
        "executor-kubernetes"
    } else {
        "executor"
    };
    let name = own
        .and_then(|i| i.name.clone())
        .unwrap_or_else(|| default_name.into());
    let default_tag = if mode == Mode::Kubernetes {
        DEFAULT_EXECUTOR_KUBERNETES_TAG
    } else {
        DEFAULT_EXECUTOR_TAG
    };
    let use_global = global
        .and_then(|g| g.use_global_tag_as_default)
        .unwrap_or(false);
    let global_tag = global.and_then(|g| g.default_tag.clone());
    let tag = match (own.and_then(|i| i.tag.clone()), use_global, global_tag) {
        (Some(t), _, _) => t,
        // The chart's own default is a Helm template for its version: use our pinned one.
        (None, true, Some(t)) if t.contains("{{") => default_tag.to_string(),
        (None, true, Some(t)) => t,
        _ => own
            .and_then(|i| i.default_tag.clone())
            .unwrap_or_else(|| default_tag.into()),
    };
    // Point at the key most likely to hold the mistake.
    let p = if own.is_some_and(|i| i.tag.is_some()) {
        path!["executor", "image", "tag"]
    } else if own.is_some_and(|i| i.default_tag.is_some()) {
        path!["executor", "image", "defaultTag"]
    } else if own.is_some_and(|i| i.name.is_some()) {
        path!["executor", "image", "name"]
    } else if global.is_some_and(|g| g.repository.is_some()) {
        path!["sourcegraph", "image", "repository"]
    } else {
        path!["sourcegraph", "image", "defaultTag"]
    };
    checker.image(
        format!("{}/{name}:{tag}", repository.trim_end_matches('/')),
        &p,
    )
}

fn pod_settings(
    mode: Mode,
    sg: &RawSourcegraph,
    ex: &RawExecutor,
    checker: &mut Checker<'_>,
) -> PodSettings {
    let mut pods = PodSettings {
        labels: sg
            .pod_labels
            .as_ref()
            .map(|l| checker.labels(l, &path!["sourcegraph", "podLabels"], true))
            .unwrap_or_default(),
        annotations: sg
            .pod_annotations
            .as_ref()
            .map(|a| checker.labels(a, &path!["sourcegraph", "podAnnotations"], false))
            .unwrap_or_default(),
        ..PodSettings::default()
    };
    for (k, _) in &pods.annotations {
        if k == "checksum/config" {
            checker.error_key(
                &path!["sourcegraph", "podAnnotations", k],
                "`checksum/config` is the annotation that rolls the pods when their config changes",
                "choose another annotation key",
            );
        }
    }
    for (k, _) in &pods.labels {
        if SELECTOR_LABELS.contains(&k.as_str()) {
            checker.error(
                &path!["sourcegraph", "podLabels", k],
                format!("`{k}` is a label the Deployments select on"),
                "choose another label key",
            );
        }
    }
    // The native chart has its own scheduling keys under `executor`; they win over the global ones.
    let executor_scoped = mode == Mode::Kubernetes;
    let node_selector = if executor_scoped && ex.node_selector.is_some() {
        ex.node_selector
            .as_ref()
            .map(|n| (n, path!["executor", "nodeSelector"]))
    } else {
        sg.node_selector
            .as_ref()
            .map(|n| (n, path!["sourcegraph", "nodeSelector"]))
    };
    if let Some((n, p)) = node_selector {
        pods.node_selector = checker.labels(n, &p, true);
    }
    let affinity = if executor_scoped && ex.affinity.is_some() {
        ex.affinity
            .as_ref()
            .map(|a| (a, path!["executor", "affinity"]))
    } else {
        sg.affinity
            .as_ref()
            .map(|a| (a, path!["sourcegraph", "affinity"]))
    };
    if let Some((a, p)) = affinity {
        pods.affinity = checker
            .k8s::<core::Affinity>(a, &p, "an affinity")
            .filter(non_empty);
    }
    let tolerations = if executor_scoped && ex.tolerations.is_some() {
        ex.tolerations
            .as_ref()
            .map(|t| (t, path!["executor", "tolerations"]))
    } else {
        sg.tolerations
            .as_ref()
            .map(|t| (t, path!["sourcegraph", "tolerations"]))
    };
    if let Some((t, p)) = tolerations {
        pods.tolerations = checker
            .k8s::<Vec<core::Toleration>>(t, &p, "a list of tolerations")
            .filter(non_empty);
    }
    if let Some(pc) = sg.priority_class_name.clone().filter(|s| !s.is_empty()) {
        checker.dns_subdomain(
            &pc,
            &path!["sourcegraph", "priorityClassName"],
            "PriorityClass name",
        );
        pods.priority_class_name = Some(pc);
    }
    for (i, secret) in sg.image_pull_secrets.iter().flatten().enumerate() {
        let p = path!["sourcegraph", "imagePullSecrets", i, "name"];
        match &secret.name {
            Some(n) if checker.dns_subdomain(n, &p, "Secret name") => {
                pods.image_pull_secrets.push(n.clone())
            }
            Some(_) => {}
            None => checker.error(
                &p,
                "an image pull secret needs a name",
                "write `- name: my-registry-secret`",
            ),
        }
    }
    pods
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    }
}

fn env_map(
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

/// The native chart's deprecated `executor.securityContext`, used when podSecurityContext is unset.
fn legacy_pod_security_context(ex: &RawExecutor, checker: &mut Checker<'_>) -> Option<Value> {
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

/// The native chart's `executor.extraEnv`: a list of EnvVar, unlike dind's map.
fn extra_env(list: &serde_yaml::Value, checker: &mut Checker<'_>) -> IndexMap<String, Value> {
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
        } else if out.insert(name.clone(), var).is_some() {
            checker.error(&vp, format!("{name} is listed twice"), "keep one");
        }
    }
    out.sort_keys();
    out
}

fn default_executor_resources() -> Value {
    json!({"limits": {"cpu": "1", "memory": "4Gi"}, "requests": {"cpu": "500m", "memory": "200Mi"}})
}

fn default_dind_resources() -> Value {
    json!({"limits": {"cpu": "4", "memory": "12Gi"}, "requests": {"cpu": "1", "memory": "4Gi"}})
}

fn default_registry_resources() -> Value {
    json!({"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "100m", "memory": "256Mi"}})
}

/// The queue names one executor pulls from, checked against the queues that exist.
fn queue_setting(
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
        let hint = match did_you_mean(q, QUEUES) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("use one of {}", QUEUES.join(", ")),
        };
        checker.error(p, format!("unknown queue `{q}`"), hint);
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

fn workers(
    name: &str,
    spec: &RawSpec,
    ex: &RawExecutor,
    executor_env: &IndexMap<String, Value>,
    executor_resources: Option<Value>,
    checker: &mut Checker<'_>,
) -> Vec<Worker> {
    let env_list = |env: &IndexMap<String, Value>| env.values().cloned().collect::<Vec<_>>();
    let queues = spec.queues.as_deref().unwrap_or_default();
    if queues.is_empty() {
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
                &[path!["executor", "queueName"], path!["executor", "queueNames"], path!["queues"]],
                "no queue: the executor would not start",
                "set executor.queueName (batches or codeintel), executor.queueNames, or list queues",
            );
        }
        let replicas = checker.count(ex.replica_count, 1, 0, &path!["executor", "replicaCount"]);
        return match (queue, executor_resources) {
            (Some((var, value)), Some(resources)) => vec![Worker {
                name: name.to_string(),
                queue_var: var,
                queue_value: value,
                replicas,
                resources,
                env: env_list(executor_env),
            }],
            _ => Vec::new(),
        };
    }
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
    if ex.replica_count.is_some() {
        checker.warn(
            &path!["executor", "replicaCount"],
            "ignored when queues is set",
            "set replicaCount on each queues[] entry",
        );
    }
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, q) in queues.iter().enumerate() {
        let p = path!["queues", i];
        let Some(qname) = q.name.as_deref() else {
            checker.error_missing(
                &p,
                &[[&p[..], &path!["name"]].concat()],
                "a queue entry needs a name",
                "add `name: batches` (the Deployment is named after it)",
            );
            continue;
        };
        let np = [&p[..], &path!["name"]].concat();
        if !checker.dns_label(qname, &np, "queue entry name") {
            continue;
        }
        let deployment = format!("{name}-{qname}");
        if deployment.len() > 63 {
            checker.error(
                &np,
                format!("the Deployment name `{deployment}` is longer than 63 characters"),
                "use a shorter name",
            );
        }
        if seen.contains(&qname) {
            checker.error(
                &np,
                format!("queue entry `{qname}` is listed twice"),
                "give each entry its own name",
            );
        }
        seen.push(qname);
        let default_name = q.queue_name.clone().or_else(|| Some(qname.to_string()));
        let names = q.queue_names.as_ref().filter(|v| !v.is_empty());
        // queueNames takes precedence over queueName, which defaults to the entry's name.
        let queue = if names.is_some() {
            queue_setting(None, names, &p, checker)
        } else {
            queue_setting(default_name.as_ref(), None, &p, checker)
        };
        let replicas = checker.count(
            q.replica_count,
            1,
            0,
            &[&p[..], &path!["replicaCount"]].concat(),
        );
        let resources = match &q.resources {
            Some(r) => checker.resources(r, &[&p[..], &path!["resources"]].concat()),
            None => executor_resources.clone(),
        };
        let mut env = executor_env.clone();
        if let Some(own) = &q.env {
            env.extend(env_map(own, &[&p[..], &path!["env"]].concat(), checker));
            env.sort_keys();
        }
        if let (Some((var, value)), Some(resources)) = (queue, resources) {
            out.push(Worker {
                name: deployment,
                queue_var: var,
                queue_value: value,
                replicas,
                resources,
                env: env_list(&env),
            });
        }
    }
    out
}

fn registry_image(
    raw: Option<&RawRegistryImage>,
    defaults: (&str, &str, &str),
    path: &[Segment],
    checker: &mut Checker<'_>,
) -> String {
    let registry = raw
        .and_then(|i| i.registry.clone())
        .unwrap_or_else(|| defaults.0.into());
    let repository = raw
        .and_then(|i| i.repository.clone())
        .unwrap_or_else(|| defaults.1.into());
    let tag = raw
        .and_then(|i| i.tag.clone())
        .unwrap_or_else(|| defaults.2.into());
    let image = if registry.is_empty() {
        format!("{repository}:{tag}")
    } else {
        format!("{}/{repository}:{tag}", registry.trim_end_matches('/'))
    };
    checker.image(image, path)
}

fn registry(mode: Mode, spec: &RawSpec, checker: &mut Checker<'_>) -> Option<Registry> {
    let raw = spec.private_docker_registry.as_ref();
    if mode != Mode::Dind || !raw.and_then(|r| r.enabled).unwrap_or(true) {
        return None;
    }
    let p = path!["privateDockerRegistry"];
    let image = registry_image(
        raw.and_then(|r| r.image.as_ref()),
        (
            DEFAULT_REGISTRY_REGISTRY,
            DEFAULT_REGISTRY_REPOSITORY,
            DEFAULT_REGISTRY_TAG,
        ),
        &[&p[..], &path!["image"]].concat(),
        checker,
    );
    let storage_size = raw
        .and_then(|r| r.storage_size.clone())
        .unwrap_or_else(|| "10Gi".into());
    checker.quantity(&storage_size, &[&p[..], &path!["storageSize"]].concat());
    // The chart defaults to a class named `sourcegraph` even when none exists; we use the
    // cluster default unless the admin names one.
    let storage_class = spec
        .storage_class
        .as_ref()
        .and_then(|s| s.name.clone())
        .filter(|s| !s.is_empty());
    if let Some(class) = &storage_class {
        checker.dns_subdomain(class, &path!["storageClass", "name"], "StorageClass name");
    }
    let mut env: IndexMap<String, Value> = IndexMap::new();
    env.insert(
        "REGISTRY_PROXY_REMOTEURL".into(),
        json!({"name": "REGISTRY_PROXY_REMOTEURL", "value": "https://registry-1.docker.io"}),
    );
    if let Some(own) = raw.and_then(|r| r.env.as_ref()) {
        env.extend(env_map(own, &[&p[..], &path!["env"]].concat(), checker));
    }
    env.sort_keys();
    let resources = match raw.and_then(|r| r.resources.as_ref()) {
        Some(v) => checker
            .resources(v, &[&p[..], &path!["resources"]].concat())
            .unwrap_or_default(),
        None => default_registry_resources(),
    };
    let service_annotations = raw
        .and_then(|r| r.service_annotations.as_ref())
        .map(|a| {
            checker.labels(
                a,
                &path!["privateDockerRegistry", "serviceAnnotations"],
                false,
            )
        })
        .unwrap_or_default();
    Some(Registry {
        image,
        storage_size,
        storage_class,
        env: env.into_values().collect(),
        resources,
        service_annotations,
    })
}

fn storage_class(spec: &RawSpec, checker: &mut Checker<'_>) -> Option<StorageClass> {
    let raw = spec.storage_class.as_ref()?;
    if !raw.create.unwrap_or(false) {
        return None;
    }
    let p = path!["storageClass"];
    let Some(name) = raw.name.clone().filter(|n| !n.is_empty()) else {
        checker.error(
            &[&p[..], &path!["name"]].concat(),
            "storageClass.create needs a name",
            "set storageClass.name",
        );
        return None;
    };
    checker.dns_subdomain(
        &name,
        &[&p[..], &path!["name"]].concat(),
        "StorageClass name",
    );
    let provisioner = raw
        .provisioner
        .clone()
        .unwrap_or_else(|| "kubernetes.io/gce-pd".into());
    let mut parameters: Vec<(String, String)> = raw
        .parameters
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let disk_type = raw.type_.clone().unwrap_or_else(|| "pd-ssd".into());
    if !disk_type.is_empty() && !parameters.iter().any(|(k, _)| k == "type") {
        parameters.push(("type".into(), disk_type));
    }
    parameters.sort();
    let allowed_topologies = raw.allowed_topologies.as_ref().and_then(|t| {
        checker
            .k8s::<Vec<core::TopologySelectorTerm>>(
                t,
                &[&p[..], &path!["allowedTopologies"]].concat(),
                "a list of topology terms",
            )
            .filter(non_empty)
    });
    Some(StorageClass {
        name,
        provisioner,
        parameters,
        allowed_topologies,
    })
}

/// Helm's map merge: maps merge key by key, a null removes the key, anything else replaces.
fn merge_json(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else if let Some(existing) = b.get_mut(k) {
                    merge_json(existing, v);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

fn yaml_map(value: Option<&serde_yaml::Value>, p: &[Segment], checker: &mut Checker<'_>) -> Value {
    match value.map(serde_json::to_value) {
        None => Value::Object(Map::new()),
        Some(Ok(v @ Value::Object(_))) => v,
        Some(Ok(Value::Null)) => Value::Object(Map::new()),
        Some(_) => {
            checker.error(
                p,
                "must be a mapping of dockerd settings",
                "write it like the keys of daemon.json",
            );
            Value::Object(Map::new())
        }
    }
}

fn dind(
    spec: &RawSpec,
    ex: &RawExecutor,
    registry_on: bool,
    checker: &mut Checker<'_>,
) -> Option<Dind> {
    let default_dind = RawDind::default();
    let raw = spec.dind.as_ref().unwrap_or(&default_dind);
    let image_raw = raw.image.as_ref();
    if image_raw.is_some_and(|i| i.tag.is_some() && i.repository.is_none()) {
        checker.warn(
            &path!["dind", "image", "tag"],
            format!("the tag applies to the default repository {DEFAULT_DIND_REGISTRY}/{DEFAULT_DIND_REPOSITORY} (the chart's default is docker)"),
            "set dind.image.repository too",
        );
    }
    let image = registry_image(
        image_raw,
        (
            DEFAULT_DIND_REGISTRY,
            DEFAULT_DIND_REPOSITORY,
            DEFAULT_DIND_TAG,
        ),
        &path!["dind", "image"],
        checker,
    );
    let gvisor_raw = raw.g_visor.as_ref().filter(|g| g.enabled.unwrap_or(false));

    let mut daemon = json!({"hosts": [DOCKER_HOST], "mtu": 1200, "tls": false});
    let user = yaml_map(
        raw.daemon_config.as_ref(),
        &path!["dind", "daemonConfig"],
        checker,
    );
    merge_json(&mut daemon, &user);
    if let Some(g) = gvisor_raw {
        let mut extra = json!({"features": {"containerd-snapshotter": false}, "ip6tables": false, "iptables": false, "storage-driver": "vfs"});
        let own = yaml_map(
            g.daemon_config.as_ref(),
            &path!["dind", "gVisor", "daemonConfig"],
            checker,
        );
        // As in Helm, the admin's gVisor settings merge over the chart's, not replace them.
        merge_json(&mut extra, &own);
        merge_json(&mut daemon, &extra);
    }
    check_daemon_hosts(&daemon, checker);
    for key in ["tls", "tlsverify"] {
        if daemon.get(key) == Some(&Value::Bool(true)) {
            checker.error(
                &path!["dind", "daemonConfig", key],
                "dockerd would require TLS, but no certificates are mounted and the executor connects in plain TCP over loopback",
                "leave TLS off: dockerd listens on the pod's loopback only",
            );
        }
    }
    let mirror = format!("http://{REGISTRY_SERVICE}:{REGISTRY_PORT}");
    let insecure = format!("{REGISTRY_SERVICE}:{REGISTRY_PORT}");
    if registry_on {
        add_to_list(&mut daemon, "registry-mirrors", &mirror);
        add_to_list(&mut daemon, "insecure-registries", &insecure);
    } else {
        for key in ["registry-mirrors", "insecure-registries"] {
            let mentions = daemon.get(key).and_then(Value::as_array).is_some_and(|l| {
                l.iter()
                    .any(|v| v.as_str().is_some_and(|s| s.contains(REGISTRY_SERVICE)))
            });
            if mentions {
                checker.error(
                    &path!["dind", "daemonConfig", key],
                    format!("points at {REGISTRY_SERVICE}, but privateDockerRegistry is disabled"),
                    "remove the entry, or enable privateDockerRegistry",
                );
            }
        }
    }
    let daemon_json = serde_json::to_string_pretty(&daemon).unwrap_or_default() + "\n";

    let command = non_empty_command(
        raw.command.clone(),
        vec!["dockerd".into()],
        &path!["dind", "command"],
        checker,
    );
    refuse_daemon_flags(&command, &daemon, &path!["dind", "command"], checker);
    let gvisor = gvisor_raw.and_then(|g| {
        let command = non_empty_command(
            g.command.clone(),
            gvisor_command(),
            &path!["dind", "gVisor", "command"],
            checker,
        );
        refuse_daemon_flags(
            &command,
            &daemon,
            &path!["dind", "gVisor", "command"],
            checker,
        );
        let security_context = match &g.security_context {
            Some(sc) => checker.k8s::<core::SecurityContext>(
                sc,
                &path!["dind", "gVisor", "securityContext"],
                "a security context",
            )?,
            None => default_gvisor_security_context(),
        };
        Some(GVisor {
            command,
            security_context,
        })
    });
    let resources = match &raw.resources {
        Some(v) => checker
            .resources(v, &path!["dind", "resources"])
            .unwrap_or_default(),
        None => default_dind_resources(),
    };
    Some(Dind {
        image,
        command,
        daemon_json,
        resources,
        scratch: scratch(ex, checker),
        gvisor,
    })
}

fn non_empty_command(
    command: Option<Vec<String>>,
    default: Vec<String>,
    p: &[Segment],
    checker: &mut Checker<'_>,
) -> Vec<String> {
    match command {
        Some(c) if c.is_empty() => {
            checker.error(
                p,
                "the command is empty",
                "leave the key out to use the default",
            );
            default
        }
        Some(c) => c,
        None => default,
    }
}

/// dockerd refuses to start when a setting is both a flag and in daemon.json, and a flag
/// would also slip past the loopback check; so settings belong in dind.daemonConfig.
fn refuse_daemon_flags(
    command: &[String],
    daemon: &Value,
    path: &[Segment],
    checker: &mut Checker<'_>,
) {
    let in_file: Vec<&str> = daemon
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let flag_key = |flag: &str| -> Option<String> {
        let name = flag.strip_prefix("--")?.split('=').next()?;
        let key = match name {
            "host" => "hosts",
            "registry-mirror" => "registry-mirrors",
            "insecure-registry" => "insecure-registries",
            other => other,
        };
        (in_file.contains(&key) || matches!(key, "hosts" | "tls" | "tlsverify" | "mtu"))
            .then(|| key.to_string())
    };
    for (i, arg) in command.iter().enumerate() {
        // Flags may also hide in a shell script (`sh -c "dockerd --host=…"`).
        for word in arg.split_whitespace() {
            let key = if word == "-H"
                || word.starts_with("-H=")
                || (word.starts_with("-H") && word.len() > 2 && !word.starts_with("--"))
            {
                Some("hosts".to_string())
            } else {
                flag_key(word)
            };
            if let Some(key) = key {
                checker.error(
                    &[path, &path![i]].concat(),
                    format!("`{word}` sets `{key}`, which daemon.json sets too; dockerd refuses to start with both"),
                    format!("remove the flag and set `{key}` in dind.daemonConfig"),
                );
            }
        }
    }
}

fn add_to_list(daemon: &mut Value, key: &str, item: &str) {
    let list = daemon
        .as_object_mut()
        .expect("daemon.json is a mapping")
        .entry(key)
        .or_insert_with(|| json!([]));
    match list {
        Value::Array(items) if !items.iter().any(|v| v == item) => items.push(json!(item)),
        Value::Array(_) => {}
        other => *other = json!([item]),
    }
}

fn check_daemon_hosts(daemon: &Value, checker: &mut Checker<'_>) {
    let p = path!["dind", "daemonConfig", "hosts"];
    let Some(hosts) = daemon.get("hosts").and_then(Value::as_array) else {
        checker.error(
            &p,
            "dockerd has no hosts to listen on",
            format!("include {DOCKER_HOST}; the executor connects there"),
        );
        return;
    };
    let mut reaches_executor = false;
    for (i, h) in hosts.iter().enumerate() {
        let h = h.as_str().unwrap_or_default();
        let addr = h
            .strip_prefix("tcp://")
            .map(|a| a.rsplit_once(':').map_or(a, |(host, _)| host));
        match addr {
            None if h.starts_with("unix://") || h.starts_with("fd://") => {}
            Some("127.0.0.1" | "localhost" | "[::1]") => {
                reaches_executor |= h == DOCKER_HOST || h == "tcp://localhost:2375"
            }
            _ => {
                // One complaint is enough: a wildcard address on the port covers loopback too.
                reaches_executor |= h.ends_with(":2375");
                checker.error(
                    &[&p[..], &path![i]].concat(),
                    format!("dockerd would listen on `{h}`, reachable from other pods"),
                    format!("listen on loopback only, {DOCKER_HOST}: anyone reaching the Docker API controls the node"),
                );
            }
        }
    }
    if !reaches_executor {
        checker.error(
            &p,
            format!("dockerd does not listen on {DOCKER_HOST}"),
            format!("add {DOCKER_HOST}: the executor's DOCKER_HOST points there"),
        );
    }
}

fn gvisor_command() -> Vec<String> {
    let script = [
        "ip link del docker0 2>/dev/null || true",
        "echo 1 > /proc/sys/net/ipv4/ip_forward",
        "dev=$(ip route show default | awk '{for(i=1;i<=NF;i++) if($i==\"dev\"){print $(i+1); exit}}')",
        "addr=$(ip addr show dev \"$dev\" | awk '/inet /{gsub(/\\/.*/, \"\", $2); print $2; exit}')",
        "iptables-legacy -t nat -A POSTROUTING -o \"$dev\" -j SNAT --to-source \"$addr\" -p tcp || true",
        "iptables-legacy -t nat -A POSTROUTING -o \"$dev\" -j SNAT --to-source \"$addr\" -p udp || true",
        "exec dockerd",
    ];
    vec!["/bin/sh".into(), "-c".into(), script.join("\n") + "\n"]
}

fn default_gvisor_security_context() -> Value {
    let caps = [
        "NET_ADMIN",
        "SYS_ADMIN",
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
        "SYS_PTRACE",
    ];
    json!({"capabilities": {"add": caps}})
}

fn scratch(ex: &RawExecutor, checker: &mut Checker<'_>) -> Scratch {
    let default_storage = RawStorage::default();
    let s = ex.storage.as_ref().unwrap_or(&default_storage);
    let size = s.size.clone().filter(|v| !v.is_empty());
    let sp = path!["executor", "storage", "size"];
    if let Some(size) = &size {
        checker.quantity(size, &sp);
    }
    match s.type_.unwrap_or(StorageType::EmptyDir) {
        StorageType::EmptyDir => {
            if s.class.as_deref().is_some_and(|c| !c.is_empty()) {
                checker.warn(
                    &path!["executor", "storage", "class"],
                    "ignored for an emptyDir scratch volume",
                    "remove it, or set type: ephemeral",
                );
            }
            // Upstream caps scratch at 20Gi; the chart leaves it unlimited, which risks disk pressure.
            let size_limit = if s.size.is_some() {
                size
            } else {
                Some("20Gi".into())
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

fn warn_about_risks(
    mode: Mode,
    ex: &RawExecutor,
    workers: &[Worker],
    dind: Option<&Dind>,
    url: &str,
    local_dev: bool,
    checker: &mut Checker<'_>,
) {
    let authority = url.split_once("://").map_or("", |(_, r)| {
        r.split(['/', '?', '#']).next().unwrap_or_default()
    });
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    if !has_port && host.contains("sourcegraph-frontend") {
        checker.warn(
            &path!["executor", "frontendUrl"],
            "no port in the frontend URL, but the sourcegraph-frontend Service listens on 30080",
            "add :30080, or the executor hangs without an error (upstream Helm issue #897)",
        );
    } else if !has_port
        && (!host.contains('.') || host.ends_with(".svc") || host.ends_with(".cluster.local"))
    {
        // An in-cluster Service name without a port: Services rarely listen on 80.
        checker.warn(
            &path!["executor", "frontendUrl"],
            "no port in an in-cluster frontend URL",
            "add the Service's port (sourcegraph-frontend listens on 30080), or the executor hangs (upstream Helm issue #897)",
        );
    }
    let no_limits = |r: &Value| {
        r.get("limits")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty())
    };
    // With localDevMode the admin asked for no resources at all.
    if !local_dev && workers.iter().any(|w| no_limits(&w.resources)) {
        let p = if ex.resources.is_some() {
            path!["executor", "resources"]
        } else {
            path!["queues"]
        };
        checker.warn(
            &p,
            "an executor container has no resource limits",
            "set limits so one job cannot starve the node",
        );
    }
    if let Some(d) = dind {
        if no_limits(&d.resources) {
            checker.warn(
                &path!["dind", "resources"],
                "the dind container has no resource limits",
                "set dind.resources.limits",
            );
        }
        if d.scratch == (Scratch::EmptyDir { size_limit: None }) {
            checker.warn(
                &path!["executor", "storage"],
                "the emptyDir scratch volume has no size limit",
                "set executor.storage.size so jobs cannot fill the node's disk",
            );
        }
    }
    let _ = mode;
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

    #[test]
    fn helm_merge_replaces_lists_and_null_removes() {
        let mut base = json!({"hosts": ["a"], "mtu": 1200, "tls": false});
        merge_json(
            &mut base,
            &json!({"hosts": ["b"], "mtu": null, "debug": true}),
        );
        assert_eq!(base, json!({"hosts": ["b"], "tls": false, "debug": true}));
    }

    #[test]
    fn inner_paths_split_keys_and_indices() {
        assert_eq!(
            inner_path("a.b[2].c"),
            vec![
                Segment::Key("a".into()),
                Segment::Key("b".into()),
                Segment::Index(2),
                Segment::Key("c".into())
            ]
        );
    }
}
