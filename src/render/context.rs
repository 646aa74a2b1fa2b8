//! What the templates are given: the names of the stack's objects, their labels and
//! selectors, and the values computed once per stack; and the `Renderer` that renders one
//! template with them into one object.

use super::object::Object;
use super::stack::Rendered;
use super::template_yaml;
use super::templates::{environment, RenderError};
use crate::config::model::{
    Config, Mode, Password, PodSettings, Scratch, Worker, DEBUG_PORT, DOCKER_HOST, HEALTH_PORT,
    MIRROR_CONFIG_KEY, MIRROR_ENV, REGISTRY_PORT, ROLE, ROLE_BINDING, SERVICE_ACCOUNT,
};
use crate::k8s::resid::ResId;
use minijinja::value::{merge_maps, Serde, Value as JinjaValue};
use minijinja::Environment;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The scratch volume shared by the executor and dind at the same path.
const SCRATCH_PATH: &str = "/scratch";

/// Names of the stack's objects, derived from the stack's name.
#[derive(Debug, Serialize)]
struct Names {
    config: String,
    docker_config: String,
    service: String,
    password_secret: String,
    registry: String,
    scratch_volume: &'static str,
    docker_config_volume: &'static str,
    service_account: &'static str,
    role: &'static str,
    role_binding: &'static str,
}

fn names(c: &Config) -> Names {
    let password_secret = match &c.password {
        Password::ExistingSecret { name } => name.clone(),
        Password::Literal { secret_name, .. } => secret_name.clone(),
    };
    Names {
        config: format!("{}-config", c.name),
        docker_config: format!("{}-docker-config", c.name),
        service: c.name.clone(),
        password_secret,
        registry: c
            .registry
            .as_ref()
            .map_or_else(String::new, |r| r.name.clone()),
        scratch_volume: "executor-scratch",
        docker_config_volume: "docker-config",
        service_account: SERVICE_ACCOUNT,
        role: ROLE,
        role_binding: ROLE_BINDING,
    }
}

fn map(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect::<Map<_, _>>(),
    )
}

fn pairs(list: &[(String, String)]) -> impl Iterator<Item = (String, String)> + '_ {
    list.iter().cloned()
}

/// Labels on objects: the admin's (`sourcegraph.labels`, KRM `metadata.labels`), the
/// upstream set, our identity, and `extra` (a workload's own labels).
fn object_labels(c: &Config, component: &str, requires: &str, extra: &[(String, String)]) -> Value {
    let ours = [
        ("app.kubernetes.io/component", component),
        ("app.kubernetes.io/instance", c.name.as_str()),
        ("app.kubernetes.io/managed-by", "sg-executor-gen"),
        ("deploy", "sourcegraph"),
        ("sourcegraph-resource-requires", requires),
    ];
    map(pairs(&c.labels)
        .chain(ours.iter().map(|(k, v)| (k.to_string(), v.to_string())))
        .chain(pairs(extra)))
}

/// Labels on the native chart's shared RBAC objects: no stack identity, so every stack
/// that renders them renders the same objects, and applying a second stack changes nothing.
fn rbac_labels(c: &Config) -> Value {
    let ours = [
        ("app.kubernetes.io/component", "executor"),
        ("app.kubernetes.io/managed-by", "sg-executor-gen"),
        ("category", "rbac"),
        ("deploy", "sourcegraph"),
        ("sourcegraph-resource-requires", "cluster-admin"),
    ];
    map(pairs(&c.labels).chain(ours.iter().map(|(k, v)| (k.to_string(), v.to_string()))))
}

fn selector(c: &Config, app: &str, component: &str) -> Value {
    map([
        ("app".to_string(), app.to_string()),
        (
            "app.kubernetes.io/component".to_string(),
            component.to_string(),
        ),
        ("app.kubernetes.io/instance".to_string(), c.name.clone()),
    ])
}

/// The chart's `app.kubernetes.io/name`: `nameOverride`, else the chart's own name.
fn chart_name(c: &Config) -> String {
    let overridden = c.labels.iter().find(|(k, _)| k == "app.kubernetes.io/name");
    match (overridden, c.mode) {
        (Some((_, v)), _) => v.clone(),
        (None, Mode::Dind) => "sourcegraph-executor-dind".into(),
        (None, Mode::Kubernetes) => "sourcegraph-executor-k8s".into(),
    }
}

/// A pod's labels: its selector, the admin's pod labels, then the chart's own pod labels
/// with the chart's values (`app.kubernetes.io/name`, `deploy`, and on executor pods
/// `sourcegraph-resource-requires`), none of which a selector reads, so that what selected
/// the chart's pods selects these.
fn pod_labels(c: &Config, pods: &PodSettings, app: &str, component: &str) -> Value {
    let mut labels = selector(c, app, component);
    let requires = (component == "executor").then(|| {
        (
            "sourcegraph-resource-requires".to_string(),
            "no-cluster-admin".to_string(),
        )
    });
    let extra = map(pairs(&pods.labels)
        .chain([
            ("app.kubernetes.io/name".to_string(), chart_name(c)),
            ("deploy".to_string(), "sourcegraph".to_string()),
        ])
        .chain(requires));
    if let (Value::Object(l), Value::Object(e)) = (&mut labels, extra) {
        for (k, v) in e {
            l.entry(k).or_insert(v);
        }
    }
    labels
}

/// The native chart's Service's annotations: `executor.serviceAnnotations`, and no scrape
/// settings of ours, since the executor serves no metrics on its port.
fn service_annotations(c: &Config) -> Value {
    map(c
        .kubernetes
        .iter()
        .flat_map(|k| pairs(&k.service.annotations)))
}

/// A short, stable digest of the executor's ConfigMaps, so a config change rolls the pods.
pub fn checksum(objects: &[&serde_yaml::Value]) -> String {
    let texts: Vec<String> = objects
        .iter()
        .map(|o| {
            serde_yaml::to_string(o.get("data").unwrap_or(&serde_yaml::Value::Null))
                .unwrap_or_default()
        })
        .collect();
    crate::digest::digest(texts.iter().map(String::as_str))
}

/// dind's `preStop` where it cannot be a native sidecar: dockerd waits while the executor's
/// health server answers (it drains, then exits) or a job's container runs; the grace
/// period bounds it.
fn dind_pre_stop() -> String {
    format!(
        "while wget -q -T 2 -O /dev/null http://127.0.0.1:{HEALTH_PORT}/healthz || [ -n \"$(docker --host {DOCKER_HOST} ps -q)\" ]; do sleep 2; done"
    )
}

/// The context every template shares, built once per stack.
fn base_context(c: &Config) -> Map<String, Value> {
    let names = names(c);
    let service = c.kubernetes.as_ref().map(|k| &k.service);
    let registry_pods = c.registry.as_ref();
    let scratch_empty_dir = match c.dind.as_ref().map(|d| &d.scratch) {
        Some(Scratch::EmptyDir {
            size_limit: Some(limit),
        }) => json!({"sizeLimit": limit}),
        _ => json!({}),
    };
    [
        ("c", serde_json::to_value(c).unwrap_or_default()),
        ("names", serde_json::to_value(&names).unwrap_or_default()),
        (
            "labels",
            json!({
                "executor": object_labels(c, "executor", "no-cluster-admin", &[]),
                "executor_workload": object_labels(c, "executor", "no-cluster-admin", &c.workload_labels),
                "service": object_labels(c, "executor", "no-cluster-admin", service.map_or(&[], |s| &s.labels)),
                "registry": object_labels(c, "private-docker-registry", "no-cluster-admin", &[]),
                "registry_workload": object_labels(c, "private-docker-registry", "no-cluster-admin", registry_pods.map_or(&[], |r| &r.workload_labels)),
                "rbac": rbac_labels(c),
            }),
        ),
        ("service_annotations", service_annotations(c)),
        ("service_type", json!(service.map_or("ClusterIP", |s| s.type_.as_str()))),
        (
            "selectors",
            json!({
                "executors": map([
                    ("app.kubernetes.io/component".to_string(), "executor".to_string()),
                    ("app.kubernetes.io/instance".to_string(), c.name.clone()),
                ]),
                "registry": selector(c, &names.registry, "private-docker-registry"),
            }),
        ),
        (
            "pod_labels",
            json!({"registry": registry_pods.map_or(Value::Null, |r| pod_labels(c, &r.pods, &r.name, "private-docker-registry"))}),
        ),
        ("health_port", json!(HEALTH_PORT)),
        ("mirror_env", json!(MIRROR_ENV)),
        ("mirror_config_key", json!(MIRROR_CONFIG_KEY)),
        ("docker_host", json!(DOCKER_HOST)),
        ("scratch_path", json!(SCRATCH_PATH)),
        ("scratch_empty_dir", scratch_empty_dir),
        (
            "docker_empty_dir",
            match c.dind.as_ref().and_then(|d| d.docker_storage_limit.as_ref()) {
                Some(limit) => json!({"sizeLimit": limit}),
                None => json!({}),
            },
        ),
        ("dind_pre_stop", json!(dind_pre_stop())),
        ("debug_port", json!(DEBUG_PORT)),
        ("registry_port", json!(REGISTRY_PORT)),
        (
            "storage_class_parameters",
            map(c.storage_class.iter().flat_map(|s| pairs(&s.parameters))),
        ),
        (
            "registry_service_annotations",
            map(c
                .registry
                .iter()
                .flat_map(|r| pairs(&r.service_annotations))),
        ),
        (
            "registry_pod_annotations",
            map(registry_pods.iter().flat_map(|r| pairs(&r.pods.annotations))),
        ),
        (
            "gvisor_docker_empty_dir",
            match c.dind.as_ref().and_then(|d| d.gvisor.as_ref()).and_then(|g| g.storage_size_limit.as_ref()) {
                Some(limit) => json!({"sizeLimit": limit}),
                None => json!({}),
            },
        ),
        (
            "gvisor_security_context",
            c.dind
                .as_ref()
                .and_then(|d| d.gvisor.as_ref())
                .map_or(Value::Null, |g| {
                    let mut sc = g.security_context.clone();
                    // A strategic-merge null removes the base's `privileged: true`.
                    if let Value::Object(m) = &mut sc {
                        m.entry("privileged").or_insert(Value::Null);
                    }
                    sc
                }),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Renders templates with the shared context, converted once per stack; a render adds only
/// its own few values over it, so a stack of many Deployments costs what they cost.
pub struct Renderer<'c> {
    env: Environment<'static>,
    c: &'c Config,
    base: JinjaValue,
}

/// Values one render adds over the shared context.
pub type Extra<'a> = &'a [(&'a str, JinjaValue)];

/// A value for a template, from anything serde can serialize.
pub fn value<T: Serialize>(v: &T) -> JinjaValue {
    JinjaValue::from(Serde(v))
}

impl<'c> Renderer<'c> {
    pub fn new(c: &'c Config) -> Self {
        Renderer {
            env: environment(),
            c,
            base: value(&base_context(c)),
        }
    }

    pub fn config(&self) -> &'c Config {
        self.c
    }

    pub fn render(&self, template: &str, extra: Extra<'_>) -> Result<Rendered, RenderError> {
        let ctx = if extra.is_empty() {
            self.base.clone()
        } else {
            let own: BTreeMap<String, JinjaValue> = extra
                .iter()
                .map(|(k, v)| ((*k).to_string(), v.clone()))
                .collect();
            merge_maps([self.base.clone(), JinjaValue::from(own)])
        };
        let tmpl = self
            .env
            .get_template(template)
            .map_err(|e| RenderError::Template {
                template: template.into(),
                message: e.to_string(),
            })?;
        let text = tmpl.render(ctx).map_err(|e| RenderError::Template {
            template: template.into(),
            message: format!("{e:#}"),
        })?;
        let general = || {
            serde_yaml::from_str::<serde_yaml::Value>(&text).map_err(|e| {
                let line = e
                    .location()
                    .and_then(|l| text.lines().nth(l.line().saturating_sub(1)))
                    .unwrap_or_default();
                RenderError::NotAnObject {
                    template: template.into(),
                    message: format!("{e} in `{}`", line.trim()),
                }
            })
        };
        let object = match template_yaml::read(&text) {
            Some(fast) => {
                // Every test runs in a debug build: each render is read both ways there.
                debug_assert_eq!(Some(&fast), general().ok().as_ref(), "{template}:\n{text}");
                fast
            }
            None => {
                // The templates only print the dialect; a template that stops doing so is
                // slower, never wrong, and every test (a debug build) says which one.
                debug_assert!(
                    false,
                    "{template} printed YAML outside the fast reader's dialect:\n{text}"
                );
                general()?
            }
        };
        let id = ResId::of(&object).ok_or_else(|| RenderError::NotAnObject {
            template: template.into(),
            message: "no kind or metadata.name".into(),
        })?;
        Ok(Rendered {
            id,
            object: Object::new(object),
        })
    }

    /// A template about one worker: the worker, its selector and its pods' labels over the
    /// shared context.
    pub fn worker(
        &self,
        template: &str,
        worker: &Worker,
        extra: Extra<'_>,
    ) -> Result<Rendered, RenderError> {
        let mut all = vec![
            ("worker", value(worker)),
            (
                "worker_selector",
                value(&selector(self.c, &worker.name, "executor")),
            ),
            (
                "worker_pod_labels",
                value(&pod_labels(self.c, &self.c.pods, &worker.name, "executor")),
            ),
        ];
        all.extend(extra.iter().cloned());
        self.render(template, &all)
    }
}
