//! Renders the stack from the embedded minijinja templates: the base objects, and for each
//! optional layer its extra objects and strategic-merge patches.
//!
//! Every `{{ … }}` is written as a JSON scalar, list or mapping (a custom formatter), so a
//! user's string can never break out of its YAML scalar: a newline, `---` or a quote in an
//! annotation comes out as exactly that string. Templates are compiled in through one list,
//! which is also the inventory of what the tool can emit.

use crate::config::{
    Config, Password, Scratch, Worker, DOCKER_HOST, METRICS_PORT, REGISTRY_PORT, REGISTRY_SERVICE,
};
use crate::resid::ResId;
use minijinja::value::{Serde, Value as JinjaValue};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// Every template, by the path it has in the repository.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "templates/executor-config.ConfigMap.yaml.j2",
        include_str!("../templates/executor-config.ConfigMap.yaml.j2"),
    ),
    (
        "templates/docker-config.ConfigMap.yaml.j2",
        include_str!("../templates/docker-config.ConfigMap.yaml.j2"),
    ),
    (
        "templates/executor.Secret.yaml.j2",
        include_str!("../templates/executor.Secret.yaml.j2"),
    ),
    (
        "templates/executor.Service.yaml.j2",
        include_str!("../templates/executor.Service.yaml.j2"),
    ),
    (
        "templates/executor.Deployment.yaml.j2",
        include_str!("../templates/executor.Deployment.yaml.j2"),
    ),
    (
        "templates/executor.ServiceAccount.yaml.j2",
        include_str!("../templates/executor.ServiceAccount.yaml.j2"),
    ),
    (
        "templates/executor.Role.yaml.j2",
        include_str!("../templates/executor.Role.yaml.j2"),
    ),
    (
        "templates/executor.RoleBinding.yaml.j2",
        include_str!("../templates/executor.RoleBinding.yaml.j2"),
    ),
    (
        "templates/storage-class.StorageClass.yaml.j2",
        include_str!("../templates/storage-class.StorageClass.yaml.j2"),
    ),
    (
        "templates/executor-data.PersistentVolumeClaim.yaml.j2",
        include_str!("../templates/executor-data.PersistentVolumeClaim.yaml.j2"),
    ),
    (
        "overlays/private-registry/private-docker-registry.PersistentVolumeClaim.yaml.j2",
        include_str!(
            "../overlays/private-registry/private-docker-registry.PersistentVolumeClaim.yaml.j2"
        ),
    ),
    (
        "overlays/private-registry/private-docker-registry.Service.yaml.j2",
        include_str!("../overlays/private-registry/private-docker-registry.Service.yaml.j2"),
    ),
    (
        "overlays/private-registry/private-docker-registry.Deployment.yaml.j2",
        include_str!("../overlays/private-registry/private-docker-registry.Deployment.yaml.j2"),
    ),
    (
        "overlays/ephemeral-scratch/patches/executor.Deployment.yaml.j2",
        include_str!("../overlays/ephemeral-scratch/patches/executor.Deployment.yaml.j2"),
    ),
    (
        "overlays/gvisor/patches/executor.Deployment.yaml.j2",
        include_str!("../overlays/gvisor/patches/executor.Deployment.yaml.j2"),
    ),
    (
        "overlays/scheduling/patches/workload.Deployment.yaml.j2",
        include_str!("../overlays/scheduling/patches/workload.Deployment.yaml.j2"),
    ),
];

/// The optional layers, in the order they apply (a later layer may patch an earlier one's objects).
pub const LAYERS: [&str; 5] = [
    "private-registry",
    "per-queue",
    "ephemeral-scratch",
    "gvisor",
    "scheduling",
];

/// The scratch volume shared by the executor and dind at the same path.
const SCRATCH_PATH: &str = "/scratch";

/// A bug in a template or in the context given to it: the tool's fault, never the admin's.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("internal error: template {template} failed: {message}; please file an issue")]
    Template { template: String, message: String },
    #[error("internal error: template {template} did not produce one YAML mapping: {message}; please file an issue")]
    NotAnObject { template: String, message: String },
}

/// One rendered object, or one patch, and the template it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub id: ResId,
    pub object: serde_yaml::Value,
}

/// An optional part of the stack: extra objects and patches to the objects before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub name: &'static str,
    pub resources: Vec<Rendered>,
    pub patches: Vec<Rendered>,
}

/// The stack before patching: what `build` lays out as a base plus one sub-component a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub base: Vec<Rendered>,
    pub layers: Vec<Layer>,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("the default delimiters are valid");
    env.set_syntax(syntax);
    // Every value is written as JSON, which YAML reads back as exactly the same value.
    env.set_formatter(|out, _state, value| {
        if value.is_safe() {
            out.write_str(value.as_str().unwrap_or_default())
                .map_err(minijinja::Error::from)?;
            return Ok(());
        }
        let json = serde_json::to_string(value).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
        })?;
        out.write_str(&json).map_err(minijinja::Error::from)
    });
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("embedded templates parse (checked by unit test)");
    }
    env
}

/// Names of the stack's objects, derived from the stack's name.
#[derive(Debug, Serialize)]
struct Names {
    config: String,
    docker_config: String,
    service: String,
    password_secret: String,
    registry: &'static str,
    scratch_volume: &'static str,
    docker_config_volume: &'static str,
    service_account: String,
    role: String,
    role_binding: String,
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
        registry: REGISTRY_SERVICE,
        scratch_volume: "executor-scratch",
        docker_config_volume: "docker-config",
        service_account: c.name.clone(),
        role: c.name.clone(),
        role_binding: c.name.clone(),
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

/// Labels on objects: the upstream set, our identity, then the admin's `sourcegraph.labels`.
fn object_labels(c: &Config, component: &str, requires: &str) -> Value {
    let ours = [
        ("app.kubernetes.io/component", component),
        ("app.kubernetes.io/instance", c.name.as_str()),
        ("app.kubernetes.io/managed-by", "sg-executor-gen"),
        ("deploy", "sourcegraph"),
        ("sourcegraph-resource-requires", requires),
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

fn pod_labels(c: &Config, app: &str, component: &str) -> Value {
    let mut labels = selector(c, app, component);
    let extra =
        map(pairs(&c.pods.labels).chain([("deploy".to_string(), "sourcegraph".to_string())]));
    if let (Value::Object(l), Value::Object(e)) = (&mut labels, extra) {
        for (k, v) in e {
            l.entry(k).or_insert(v);
        }
    }
    labels
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

struct Renderer<'c> {
    env: Environment<'static>,
    c: &'c Config,
    base_context: Map<String, Value>,
}

impl Renderer<'_> {
    fn render(&self, template: &str, extra: &[(&str, Value)]) -> Result<Rendered, RenderError> {
        let mut ctx = self.base_context.clone();
        for (k, v) in extra {
            ctx.insert((*k).to_string(), v.clone());
        }
        let tmpl = self
            .env
            .get_template(template)
            .map_err(|e| RenderError::Template {
                template: template.into(),
                message: e.to_string(),
            })?;
        let text =
            tmpl.render(JinjaValue::from(Serde(&ctx)))
                .map_err(|e| RenderError::Template {
                    template: template.into(),
                    message: format!("{e:#}"),
                })?;
        let object: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| {
            let line = e
                .location()
                .and_then(|l| text.lines().nth(l.line().saturating_sub(1)))
                .unwrap_or_default();
            RenderError::NotAnObject {
                template: template.into(),
                message: format!("{e} in `{}`", line.trim()),
            }
        })?;
        let id = ResId::of(&object).ok_or_else(|| RenderError::NotAnObject {
            template: template.into(),
            message: "no kind or metadata.name".into(),
        })?;
        Ok(Rendered { id, object })
    }

    fn worker(
        &self,
        template: &str,
        worker: &Worker,
        extra: &[(&str, Value)],
    ) -> Result<Rendered, RenderError> {
        let with = |key: &str, name: &str, value: Value| {
            let mut merged = self
                .base_context
                .get(key)
                .cloned()
                .unwrap_or_else(|| json!({}));
            merged[name] = value;
            merged
        };
        let mut all = vec![
            ("worker", serde_json::to_value(worker).unwrap_or_default()),
            (
                "selectors",
                with(
                    "selectors",
                    "worker",
                    selector(self.c, &worker.name, "executor"),
                ),
            ),
            (
                "pod_labels",
                with(
                    "pod_labels",
                    "worker",
                    pod_labels(self.c, &worker.name, "executor"),
                ),
            ),
        ];
        all.extend(extra.iter().cloned());
        self.render(template, &all)
    }
}

/// Renders the base and every layer the config switches on.
pub fn render_stack(c: &Config) -> Result<Stack, RenderError> {
    let names = names(c);
    let scratch_empty_dir = match c.dind.as_ref().map(|d| &d.scratch) {
        Some(Scratch::EmptyDir {
            size_limit: Some(limit),
        }) => json!({"sizeLimit": limit}),
        _ => json!({}),
    };
    let base_context: Map<String, Value> = [
        ("c", serde_json::to_value(c).unwrap_or_default()),
        ("names", serde_json::to_value(&names).unwrap_or_default()),
        (
            "labels",
            json!({
                "executor": object_labels(c, "executor", "no-cluster-admin"),
                "registry": object_labels(c, "private-docker-registry", "no-cluster-admin"),
                "rbac": object_labels(c, "executor", "cluster-admin"),
            }),
        ),
        (
            "selectors",
            json!({
                "executors": map([
                    ("app.kubernetes.io/component".to_string(), "executor".to_string()),
                    ("app.kubernetes.io/instance".to_string(), c.name.clone()),
                ]),
                // One registry serves every stack in the namespace, so its selector leaves out
                // the stack: a second stack's apply must not try to change an immutable selector.
                "registry": map([
                    ("app".to_string(), REGISTRY_SERVICE.to_string()),
                    ("app.kubernetes.io/component".to_string(), "private-docker-registry".to_string()),
                ]),
            }),
        ),
        (
            "pod_labels",
            json!({"registry": pod_labels(c, REGISTRY_SERVICE, "private-docker-registry")}),
        ),
        ("docker_host", json!(DOCKER_HOST)),
        ("scratch_path", json!(SCRATCH_PATH)),
        ("scratch_empty_dir", scratch_empty_dir),
        ("metrics_port", json!(METRICS_PORT)),
        ("registry_port", json!(REGISTRY_PORT)),
        (
            "subject_namespace",
            json!(c.namespace.clone().unwrap_or_else(|| "default".into())),
        ),
        ("node_selector", map(pairs(&c.pods.node_selector))),
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
        ("registry_pod_annotations", map(pairs(&c.pods.annotations))),
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
    .collect();
    let r = Renderer {
        env: environment(),
        c,
        base_context,
    };

    let mut base = Vec::new();
    if c.storage_class.is_some() {
        base.push(r.render("templates/storage-class.StorageClass.yaml.j2", &[])?);
    }
    if let Some(k) = &c.kubernetes {
        if k.configure_rbac {
            base.push(r.render("templates/executor.ServiceAccount.yaml.j2", &[])?);
            base.push(r.render("templates/executor.Role.yaml.j2", &[])?);
            base.push(r.render("templates/executor.RoleBinding.yaml.j2", &[])?);
        }
    }
    base.push(r.render("templates/executor-config.ConfigMap.yaml.j2", &[])?);
    if c.dind.is_some() {
        base.push(r.render("templates/docker-config.ConfigMap.yaml.j2", &[])?);
    }
    if matches!(c.password, Password::Literal { .. }) {
        base.push(r.render("templates/executor.Secret.yaml.j2", &[])?);
    }
    base.push(r.render("templates/executor.Service.yaml.j2", &[])?);
    if c.kubernetes
        .as_ref()
        .is_some_and(|k| k.data_volume.is_some())
    {
        base.push(r.render("templates/executor-data.PersistentVolumeClaim.yaml.j2", &[])?);
    }

    // Pods carry a digest of the ConfigMaps they read, so `kubectl apply` of a new config rolls them.
    let config_maps: Vec<&serde_yaml::Value> = base
        .iter()
        .filter(|o| o.id.kind == "ConfigMap")
        .map(|o| &o.object)
        .collect();
    let mut annotations = Map::new();
    annotations.insert("checksum/config".into(), json!(checksum(&config_maps)));
    annotations.insert(
        "kubectl.kubernetes.io/default-container".into(),
        json!("executor"),
    );
    for (k, v) in &c.pods.annotations {
        annotations.insert(k.clone(), json!(v));
    }
    let pod_annotations = ("pod_annotations", Value::Object(annotations));

    let deployment = "templates/executor.Deployment.yaml.j2";
    let mut layers = Vec::new();
    if c.per_queue {
        let resources = c
            .workers
            .iter()
            .map(|w| r.worker(deployment, w, std::slice::from_ref(&pod_annotations)))
            .collect::<Result<_, _>>()?;
        layers.push(Layer {
            name: "per-queue",
            resources,
            patches: Vec::new(),
        });
    } else {
        for w in &c.workers {
            base.push(r.worker(deployment, w, std::slice::from_ref(&pod_annotations))?);
        }
    }
    if c.registry.is_some() {
        let resources = [
            "overlays/private-registry/private-docker-registry.PersistentVolumeClaim.yaml.j2",
            "overlays/private-registry/private-docker-registry.Service.yaml.j2",
            "overlays/private-registry/private-docker-registry.Deployment.yaml.j2",
        ]
        .iter()
        .map(|t| r.render(t, &[]))
        .collect::<Result<_, _>>()?;
        layers.insert(
            0,
            Layer {
                name: "private-registry",
                resources,
                patches: Vec::new(),
            },
        );
    }
    if let Some(d) = &c.dind {
        if matches!(d.scratch, Scratch::Ephemeral { .. }) {
            let patches = c
                .workers
                .iter()
                .map(|w| {
                    r.worker(
                        "overlays/ephemeral-scratch/patches/executor.Deployment.yaml.j2",
                        w,
                        &[],
                    )
                })
                .collect::<Result<_, _>>()?;
            layers.push(Layer {
                name: "ephemeral-scratch",
                resources: Vec::new(),
                patches,
            });
        }
        if d.gvisor.is_some() {
            let patches = c
                .workers
                .iter()
                .map(|w| {
                    r.worker(
                        "overlays/gvisor/patches/executor.Deployment.yaml.j2",
                        w,
                        &[],
                    )
                })
                .collect::<Result<_, _>>()?;
            layers.push(Layer {
                name: "gvisor",
                resources: Vec::new(),
                patches,
            });
        }
    }
    if c.pods.constrains_scheduling() {
        let mut targets: Vec<String> = c.workers.iter().map(|w| w.name.clone()).collect();
        if c.registry.is_some() {
            targets.push(REGISTRY_SERVICE.to_string());
        }
        let patches = targets
            .iter()
            .map(|t| {
                r.render(
                    "overlays/scheduling/patches/workload.Deployment.yaml.j2",
                    &[("target", json!(t))],
                )
            })
            .collect::<Result<_, _>>()?;
        layers.push(Layer {
            name: "scheduling",
            resources: Vec::new(),
            patches,
        });
    }
    debug_assert!(layers
        .windows(2)
        .all(|w| LAYERS.iter().position(|l| *l == w[0].name)
            < LAYERS.iter().position(|l| *l == w[1].name)));
    Ok(Stack { base, layers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn inventory_matches_the_files_on_disk() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut on_disk = Vec::new();
        for dir in ["templates", "overlays"] {
            let mut stack = vec![std::path::PathBuf::from(root).join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "j2") {
                        on_disk.push(
                            path.strip_prefix(root)
                                .unwrap()
                                .to_string_lossy()
                                .into_owned(),
                        );
                    }
                }
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = TEMPLATES.iter().map(|(n, _)| n.to_string()).collect();
        listed.sort();
        assert_eq!(on_disk, listed);
    }
}
