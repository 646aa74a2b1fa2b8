//! Renders the stack: the base objects, and for each optional layer the config switches on,
//! its extra objects and its strategic-merge patches. One function per part of the stack.

use super::context::{checksum, Renderer};
use super::templates::RenderError;
use crate::config::model::{Config, Password, PodSettings, Scratch};
use crate::k8s::resid::ResId;
use serde_json::{json, Map, Value};

/// The optional layers, in the order they apply (a later layer may patch an earlier one's objects).
pub const LAYERS: [&str; 6] = [
    "private-registry",
    "per-queue",
    "ephemeral-scratch",
    "gvisor",
    "scheduling",
    "network-policy",
];

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

const DEPLOYMENT: &str = "templates/executor.Deployment.yaml.j2";

/// Renders the base and every layer the config switches on.
pub fn render_stack(c: &Config) -> Result<Stack, RenderError> {
    let r = Renderer::new(c);
    let mut base = base_objects(&r)?;
    let pod_annotations = pod_annotations(c, &base);
    let deployments = c
        .workers
        .iter()
        .map(|w| r.worker(DEPLOYMENT, w, std::slice::from_ref(&pod_annotations)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut layers = Vec::new();
    if c.registry.is_some() {
        layers.push(registry_layer(&r)?);
    }
    if c.per_queue {
        layers.push(Layer {
            name: "per-queue",
            resources: deployments,
            patches: Vec::new(),
        });
    } else {
        base.extend(deployments);
    }
    layers.extend(dind_layers(&r)?);
    if let Some(layer) = scheduling_layer(&r)? {
        layers.push(layer);
    }
    if c.network_policy {
        layers.push(Layer {
            name: "network-policy",
            resources: vec![r.render(
                "overlays/network-policy/executor.NetworkPolicy.yaml.j2",
                &[],
            )?],
            patches: Vec::new(),
        });
    }
    add_common_annotations(c, &mut base, &mut layers);
    debug_assert!(layers
        .windows(2)
        .all(|w| LAYERS.iter().position(|l| *l == w[0].name)
            < LAYERS.iter().position(|l| *l == w[1].name)));
    Ok(Stack { base, layers })
}

/// The objects every stack of this mode has, before its Deployments.
fn base_objects(r: &Renderer<'_>) -> Result<Vec<Rendered>, RenderError> {
    let c = r.config();
    let mut templates = Vec::new();
    if c.storage_class.is_some() {
        templates.push("templates/storage-class.StorageClass.yaml.j2");
    }
    if c.kubernetes.as_ref().is_some_and(|k| k.configure_rbac) {
        templates.extend([
            "templates/executor.ServiceAccount.yaml.j2",
            "templates/executor.Role.yaml.j2",
            "templates/executor.RoleBinding.yaml.j2",
        ]);
    }
    templates.push("templates/executor-config.ConfigMap.yaml.j2");
    if c.dind.is_some() {
        templates.push("templates/docker-config.ConfigMap.yaml.j2");
    }
    if matches!(c.password, Password::Literal { .. }) {
        templates.push("templates/executor.Secret.yaml.j2");
    }
    templates.push("templates/executor.Service.yaml.j2");
    if c.kubernetes
        .as_ref()
        .is_some_and(|k| k.data_volume.is_some())
    {
        templates.push("templates/executor-data.PersistentVolumeClaim.yaml.j2");
    }
    templates.iter().map(|t| r.render(t, &[])).collect()
}

/// The executor pods' annotations. Pods carry a digest of the ConfigMaps they read, so
/// `kubectl apply` of a new config rolls them.
fn pod_annotations(c: &Config, base: &[Rendered]) -> (&'static str, Value) {
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
    ("pod_annotations", Value::Object(annotations))
}

/// The pull-through registry: its claim, Service and Deployment.
fn registry_layer(r: &Renderer<'_>) -> Result<Layer, RenderError> {
    let resources = [
        "overlays/private-registry/executor-registry.PersistentVolumeClaim.yaml.j2",
        "overlays/private-registry/executor-registry.Service.yaml.j2",
        "overlays/private-registry/executor-registry.Deployment.yaml.j2",
    ]
    .iter()
    .map(|t| r.render(t, &[]))
    .collect::<Result<_, _>>()?;
    Ok(Layer {
        name: "private-registry",
        resources,
        patches: Vec::new(),
    })
}

/// The dind layers that patch every executor Deployment: ephemeral scratch and gVisor.
fn dind_layers(r: &Renderer<'_>) -> Result<Vec<Layer>, RenderError> {
    let c = r.config();
    let Some(d) = &c.dind else {
        return Ok(Vec::new());
    };
    let mut wanted = Vec::new();
    if matches!(d.scratch, Scratch::Ephemeral { .. }) {
        wanted.push((
            "ephemeral-scratch",
            "overlays/ephemeral-scratch/patches/executor.Deployment.yaml.j2",
        ));
    }
    if d.gvisor.is_some() {
        wanted.push((
            "gvisor",
            "overlays/gvisor/patches/executor.Deployment.yaml.j2",
        ));
    }
    wanted
        .into_iter()
        .map(|(name, template)| {
            let patches = c
                .workers
                .iter()
                .map(|w| r.worker(template, w, &[]))
                .collect::<Result<_, _>>()?;
            Ok(Layer {
                name,
                resources: Vec::new(),
                patches,
            })
        })
        .collect()
}

/// Where the pods may run: one patch per workload whose pods are constrained.
fn scheduling_layer(r: &Renderer<'_>) -> Result<Option<Layer>, RenderError> {
    let c = r.config();
    let mut targets: Vec<(&str, &PodSettings)> = Vec::new();
    if c.pods.constrains_scheduling() {
        targets.extend(c.workers.iter().map(|w| (w.name.as_str(), &c.pods)));
    }
    if let Some(registry) = c
        .registry
        .as_ref()
        .filter(|r| r.pods.constrains_scheduling())
    {
        targets.push((registry.name.as_str(), &registry.pods));
    }
    if targets.is_empty() {
        return Ok(None);
    }
    let patches = targets
        .iter()
        .map(|(target, pods)| {
            r.render(
                "overlays/scheduling/patches/workload.Deployment.yaml.j2",
                &[
                    ("target", json!(target)),
                    ("pods", serde_json::to_value(pods).unwrap_or_default()),
                    (
                        "node_selector",
                        Value::Object(
                            pods.node_selector
                                .iter()
                                .map(|(k, v)| (k.clone(), json!(v)))
                                .collect(),
                        ),
                    ),
                ],
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(Layer {
        name: "scheduling",
        resources: Vec::new(),
        patches,
    }))
}

/// The KRM `metadata.annotations`, on every object and pod template, as a Kustomization's
/// `commonAnnotations` puts them.
fn add_common_annotations(c: &Config, base: &mut [Rendered], layers: &mut [Layer]) {
    if c.annotations.is_empty() {
        return;
    }
    let objects = base
        .iter_mut()
        .chain(layers.iter_mut().flat_map(|l| l.resources.iter_mut()));
    for r in objects {
        add_annotations(&mut r.object, &["metadata"], &c.annotations);
        if r.object.get("kind").and_then(|k| k.as_str()) == Some("Deployment") {
            add_annotations(
                &mut r.object,
                &["spec", "template", "metadata"],
                &c.annotations,
            );
        }
    }
}

/// Sets `annotations` in the mapping at `path`, creating what is missing.
fn add_annotations(
    object: &mut serde_yaml::Value,
    path: &[&str],
    annotations: &[(String, String)],
) {
    let mut node = object;
    for key in path.iter().chain(&["annotations"]) {
        let serde_yaml::Value::Mapping(m) = node else {
            return;
        };
        node = m
            .entry(serde_yaml::Value::from(*key))
            .or_insert_with(|| serde_yaml::Value::Mapping(Default::default()));
    }
    if let serde_yaml::Value::Mapping(m) = node {
        for (k, v) in annotations {
            m.insert(k.as_str().into(), v.as_str().into());
        }
    }
}
