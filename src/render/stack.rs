//! Renders the stack: the base objects, and for each optional layer the config switches on,
//! its extra objects and its strategic-merge patches. One function per part of the stack.

use super::context::{checksum, value, Renderer};
use super::object::{change_each, Object};
use super::patch::set_namespace;
use super::per_worker::per_worker;
use super::templates::{RenderError, ALERT_RULES};
use crate::config::model::{Config, Password, PodSettings, Scratch};
use crate::k8s::resid::ResId;
use minijinja::value::Value as JinjaValue;
use serde_json::{json, Map, Value};

/// The optional layers, in the order they apply (a later layer may patch an earlier one's objects).
pub const LAYERS: [&str; 9] = [
    "private-registry",
    "per-queue",
    "ephemeral-scratch",
    "gvisor",
    "scheduling",
    "network-policy",
    "autoscaling",
    "alerts",
    "disruption-budget",
];

/// One rendered object, or one patch, and the template it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub id: ResId,
    pub object: Object,
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
    let deployments = per_worker(&c.workers, |w| {
        r.worker(DEPLOYMENT, w, std::slice::from_ref(&pod_annotations))
    })?;
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
    if let Some(layer) = autoscaling_layer(&r)? {
        layers.push(layer);
    }
    if let Some(layer) = alerts_layer(&r)? {
        layers.push(layer);
    }
    if c.drain.disruption_budget.is_some() {
        // One budget per executor Deployment, selecting its pods only, through the one path
        // for per-worker objects: its name and selector are the worker's.
        layers.push(Layer {
            name: "disruption-budget",
            resources: per_worker(&c.workers, |w| {
                r.worker(
                    "overlays/disruption-budget/executor.PodDisruptionBudget.yaml.j2",
                    w,
                    &[],
                )
            })?,
            patches: Vec::new(),
        });
    }
    add_common_annotations(c, &mut base, &mut layers);
    if let Some(ns) = &c.namespace {
        place_in_namespace(ns, &mut base, &mut layers);
    }
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
    // The native chart's Service; the dind chart dropped it (chart #876).
    if c.kubernetes.is_some() {
        templates.push("templates/executor.Service.yaml.j2");
    }
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
fn pod_annotations(c: &Config, base: &[Rendered]) -> (&'static str, JinjaValue) {
    let config_maps: Vec<_> = base
        .iter()
        .filter(|o| o.id.kind == "ConfigMap")
        .map(|o| o.object.tree())
        .collect();
    let config_maps: Vec<&serde_yaml::Value> = config_maps.iter().map(|o| o.as_ref()).collect();
    let mut annotations = Map::new();
    annotations.insert("checksum/config".into(), json!(checksum(&config_maps)));
    annotations.insert(
        "kubectl.kubernetes.io/default-container".into(),
        json!("executor"),
    );
    if c.drain.do_not_disrupt {
        // Node autoscalers keep the node of a pod that may be running a job.
        annotations.insert(
            "cluster-autoscaler.kubernetes.io/safe-to-evict".into(),
            json!("false"),
        );
        annotations.insert("karpenter.sh/do-not-disrupt".into(), json!("true"));
    }
    for (k, v) in &c.pods.annotations {
        annotations.insert(k.clone(), json!(v));
    }
    ("pod_annotations", value(&Value::Object(annotations)))
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
            Ok(Layer {
                name,
                resources: Vec::new(),
                patches: per_worker(&c.workers, |w| r.worker(template, w, &[]))?,
            })
        })
        .collect()
}

/// One KEDA ScaledObject per executor Deployment that autoscales, through the one path for
/// per-worker objects (each worker's query names its own queues, so each is rendered for
/// its worker).
fn autoscaling_layer(r: &Renderer<'_>) -> Result<Option<Layer>, RenderError> {
    const TEMPLATE: &str = "overlays/autoscaling/executor.ScaledObject.yaml.j2";
    let c = r.config();
    let Some(autoscaling) = &c.autoscaling else {
        return Ok(None);
    };
    let extra = [("autoscaling", value(autoscaling))];
    let scaled: Vec<_> = c
        .workers
        .iter()
        .filter(|w| w.scaling.is_some())
        .cloned()
        .collect();
    let resources = per_worker(&scaled, |w| r.worker(TEMPLATE, w, &extra))?;
    Ok(Some(Layer {
        name: "autoscaling",
        resources,
        patches: Vec::new(),
    }))
}

/// The fleet's alerting rules: a rules file for the bundled Prometheus, or a PrometheusRule.
fn alerts_layer(r: &Renderer<'_>) -> Result<Option<Layer>, RenderError> {
    let Some(alerts) = &r.config().alerts else {
        return Ok(None);
    };
    let resource = if alerts.prometheus_operator {
        let rules: serde_yaml::Value =
            serde_yaml::from_str(ALERT_RULES).map_err(|e| RenderError::NotAnObject {
                template: "overlays/alerts/executors_rules.yml".into(),
                message: e.to_string(),
            })?;
        r.render(
            "overlays/alerts/executor.PrometheusRule.yaml.j2",
            &[("groups", value(&rules["groups"]))],
        )?
    } else {
        r.render(
            "overlays/alerts/executor-alert-rules.ConfigMap.yaml.j2",
            &[("rules", value(&ALERT_RULES))],
        )?
    };
    Ok(Some(Layer {
        name: "alerts",
        resources: vec![resource],
        patches: Vec::new(),
    }))
}

/// Where the pods may run: one patch per workload whose pods are constrained, rendered once
/// for all the executors (they share their pod settings) and once for the registry.
fn scheduling_layer(r: &Renderer<'_>) -> Result<Option<Layer>, RenderError> {
    const TEMPLATE: &str = "overlays/scheduling/patches/workload.Deployment.yaml.j2";
    let c = r.config();
    let patch = |target: &str, pods: &PodSettings| {
        let node_selector: Map<String, Value> = pods
            .node_selector
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        r.render(
            TEMPLATE,
            &[
                ("target", value(&target)),
                ("pods", value(pods)),
                ("node_selector", value(&node_selector)),
            ],
        )
    };
    let mut patches = Vec::new();
    if c.pods.constrains_scheduling() {
        patches = per_worker(&c.workers, |w| patch(&w.name, &c.pods))?;
    }
    if let Some(registry) = c
        .registry
        .as_ref()
        .filter(|r| r.pods.constrains_scheduling())
    {
        patches.push(patch(&registry.name, &registry.pods)?);
    }
    if patches.is_empty() {
        return Ok(None);
    }
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
    change_each(objects.map(|r| &mut r.object), |object| {
        add_annotations(object, &["metadata"], &c.annotations);
        if object.get("kind").and_then(|k| k.as_str()) == Some("Deployment") {
            add_annotations(object, &["spec", "template", "metadata"], &c.annotations);
        }
    });
}

/// Puts every namespaced object and patch into the config's namespace, once, so the bundle
/// and the component tree share them as they are.
fn place_in_namespace(namespace: &str, base: &mut [Rendered], layers: &mut [Layer]) {
    let all = base.iter_mut().chain(
        layers
            .iter_mut()
            .flat_map(|l| l.resources.iter_mut().chain(l.patches.iter_mut())),
    );
    let namespaced = all.filter(|r| r.id.is_namespaced()).map(|r| {
        r.id.namespace = Some(namespace.to_string());
        &mut r.object
    });
    change_each(namespaced, |object| set_namespace(object, namespace));
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::config::load::load;
    use crate::render::object::tests::{N, Q};

    /// A config: the KRM `metadata` (a flow mapping), the frontend and more `spec` keys
    /// (lines indented by four go on `executor`, by two make sections of their own), and
    /// `queues` (list items indented by four).
    pub(in crate::render) fn config(metadata: &str, spec: &str, queues: &str) -> Config {
        let text = format!(
            "apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata: {metadata}
spec:
  executor:
    frontendUrl: https://sg.example.com
    frontendExistingSecret: executor-frontend
{spec}  queues:
{queues}"
        );
        load(&text, &Default::default()).expect("loads").config
    }

    /// Alike workers keep one tree between them, through the namespace and the common
    /// annotations, and each still reads as its own Deployment.
    #[test]
    fn alike_workers_share_one_tree() {
        let queues: String = (0..50)
            .map(|i| {
                format!(
                    "    - {{name: q{i}, queueName: {}}}\n",
                    ["batches", "codeintel"][i % 2]
                )
            })
            .collect();
        let config = config(
            "{name: executor, namespace: sg, annotations: {team: code}}",
            "",
            &queues,
        );
        let stack = render_stack(&config).expect("renders");
        let workers: Vec<&Rendered> = stack
            .base
            .iter()
            .chain(stack.layers.iter().flat_map(|l| &l.resources))
            .filter(|r| r.id.kind == "Deployment" && r.id.name.starts_with("executor-q"))
            .collect();
        assert_eq!(workers.len(), 50);
        assert!(workers
            .iter()
            .all(|w| w.object.same_prototype(&workers[0].object)));
        for (i, w) in workers.iter().enumerate() {
            let tree = w.object.tree();
            assert_eq!(tree["metadata"]["name"], w.id.name.as_str());
            assert_eq!(tree["metadata"]["namespace"], "sg");
            assert_eq!(tree["metadata"]["annotations"]["team"], "code");
            let env = tree["spec"]["template"]["spec"]["containers"][0]["env"].clone();
            let queue = ["batches", "codeintel"][i % 2];
            assert!(
                serde_yaml::to_string(&env).unwrap().contains(queue),
                "{} runs {queue}",
                w.id.name
            );
        }
    }

    /// An annotation whose value happens to be a stand-in stays that value on every worker
    /// (its prototype is not shared then), as it would if each were rendered on its own.
    #[test]
    fn a_config_value_equal_to_a_stand_in_is_kept_as_written() {
        let config = config(
            r#"{name: executor, annotations: {n: "\uF8FFsg-executor-gen worker name\uF8FF", q: "\uF8FFsg-executor-gen worker queue\uF8FF"}}"#,
            "",
            "    - {name: a, queueName: batches}\n    - {name: b, queueName: batches}\n",
        );
        let stack = render_stack(&config).expect("renders");
        let workers: Vec<&Rendered> = stack
            .base
            .iter()
            .chain(stack.layers.iter().flat_map(|l| &l.resources))
            .filter(|r| {
                r.id.kind == "Deployment"
                    && ["executor-a", "executor-b"].contains(&r.id.name.as_str())
            })
            .collect();
        assert_eq!(workers.len(), 2);
        for w in workers {
            let tree = w.object.tree();
            for at in [&tree["metadata"], &tree["spec"]["template"]["metadata"]] {
                assert_eq!(at["annotations"]["n"], N, "{}", w.id);
                assert_eq!(at["annotations"]["q"], Q, "{}", w.id);
            }
            assert_eq!(tree["metadata"]["name"], w.id.name.as_str());
        }
    }
}
