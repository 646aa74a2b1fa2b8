//! What autoscaling and alerting objects need of the stack around them: a KEDA
//! `ScaledObject` targets a Deployment of its own namespace that carries no replica count,
//! its trigger's query parses as PromQL, reads an empty result as an error (not as no
//! work), and its threshold is the jobs per pod its Deployment runs; every rule of a
//! `PrometheusRule`, or of a rules file (`*_rules.yml`) in a ConfigMap, parses.
//!
//! These kinds have no `k8s-openapi` type: their shapes are checked against the upstream
//! CRD schemas in the tests; here they are read as trees, the few fields the checks need.

use super::index::Indexes;
use super::typed::PodContainer;
use super::Report;
use crate::k8s::resid::ResId;
use crate::render::object::Object;
use serde_yaml::Value;
use std::collections::HashMap;

/// The executor's own default when `EXECUTOR_MAXIMUM_NUM_JOBS` is not set.
const DEFAULT_JOBS_PER_POD: f64 = 1.0;

/// The checks, over the objects in their order; nothing is read unless such kinds are there.
pub(super) fn check(objects: &[(&ResId, &Object)], indexes: &Indexes<'_>, report: &mut Report) {
    let interesting = |k: &str| matches!(k, "ScaledObject" | "PrometheusRule" | "ConfigMap");
    if !objects
        .iter()
        .any(|(id, _)| id.kind == "ScaledObject" || id.kind == "PrometheusRule")
        && !objects
            .iter()
            .any(|(id, o)| id.kind == "ConfigMap" && has_rules_file(o))
    {
        return;
    }
    // Deployments by namespace and name: whether each carries the replica count KEDA must
    // own. Read one after another, so a thousand workers' copies cost their strings.
    let carries_replicas: HashMap<(Option<&str>, &str), bool> = objects
        .iter()
        .filter(|(id, _)| id.kind == "Deployment")
        .map(|(id, o)| {
            let replicas = o.with_tree(|t| t.get("spec").and_then(|s| s.get("replicas")).is_some());
            ((id.namespace.as_deref(), id.name.as_str()), replicas)
        })
        .collect();
    let mut queries = Queries::default();
    for (id, object) in objects.iter().filter(|(id, _)| interesting(&id.kind)) {
        object.with_tree(|tree| match id.kind.as_str() {
            "ScaledObject" => {
                scaled_object(id, tree, &carries_replicas, indexes, &mut queries, report)
            }
            "PrometheusRule" => {
                let groups = tree.get("spec").and_then(|s| s.get("groups"));
                rules(id, "spec.groups", groups, &mut queries, report);
            }
            _ => {
                for (key, text) in rules_files(tree) {
                    let field = format!("data.{key}");
                    match serde_yaml::from_str::<Value>(text) {
                        Ok(file) => rules(
                            id,
                            &format!("{field}: groups"),
                            file.get("groups"),
                            &mut queries,
                            report,
                        ),
                        Err(e) => report.found(id, &field, format!("not a rules file: {e}")),
                    }
                }
            }
        });
    }
}

/// PromQL expressions parsed so far, each once: a thousand workers' ScaledObjects often
/// share one demand query.
#[derive(Default)]
struct Queries(HashMap<String, Result<(), String>>);

impl Queries {
    fn parse(&mut self, query: &str) -> Result<(), String> {
        if let Some(parsed) = self.0.get(query) {
            return parsed.clone();
        }
        let parsed = parse(query);
        self.0.insert(query.to_string(), parsed.clone());
        parsed
    }
}

fn has_rules_file(o: &Object) -> bool {
    o.with_tree(|t| !rules_files(t).is_empty())
}

/// A ConfigMap's keys that Prometheus loads as rules (`rule_files: *_rules.yml`).
fn rules_files(tree: &Value) -> Vec<(&str, &str)> {
    let Some(Value::Mapping(data)) = tree.get("data") else {
        return Vec::new();
    };
    data.iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
        .filter(|(k, _)| k.ends_with("_rules.yml") || k.ends_with("_rules.yaml"))
        .collect()
}

/// Every `expr` of every rule of `groups` parses as PromQL.
fn rules(
    id: &ResId,
    field: &str,
    groups: Option<&Value>,
    queries: &mut Queries,
    report: &mut Report,
) {
    let Some(Value::Sequence(groups)) = groups else {
        report.found(id, field, "no rule groups".into());
        return;
    };
    for (g, group) in groups.iter().enumerate() {
        let Some(Value::Sequence(rules)) = group.get("rules") else {
            continue;
        };
        for (r, rule) in rules.iter().enumerate() {
            let at = format!("{field}[{g}].rules[{r}].expr");
            match rule.get("expr").and_then(Value::as_str) {
                Some(expr) => {
                    if let Err(e) = queries.parse(expr) {
                        report.found(id, &at, e);
                    }
                }
                None => report.found(id, &at, "a rule without an expression".into()),
            }
        }
    }
}

/// A PromQL expression as Prometheus parses it; the message says where it stops.
pub fn parse(query: &str) -> Result<(), String> {
    promql_parser::parser::parse(query)
        .map(|_| ())
        .map_err(|e| format!("does not parse as PromQL: {e}; fix the query"))
}

fn scaled_object(
    id: &ResId,
    tree: &Value,
    carries_replicas: &HashMap<(Option<&str>, &str), bool>,
    indexes: &Indexes<'_>,
    queries: &mut Queries,
    report: &mut Report,
) {
    let spec = tree.get("spec");
    let target = spec.and_then(|s| s.get("scaleTargetRef"));
    let kind = target
        .and_then(|t| t.get("kind"))
        .and_then(Value::as_str)
        .unwrap_or("Deployment");
    let Some(name) = target.and_then(|t| t.get("name")).and_then(Value::as_str) else {
        report.found(id, "spec.scaleTargetRef.name", "no target to scale".into());
        return;
    };
    let index = indexes.of(id);
    let field = "spec.scaleTargetRef.name";
    let Some(workload) = index.workload(kind, name) else {
        let elsewhere: Vec<&str> = indexes
            .all()
            .iter()
            .flat_map(|i| i.workloads.iter())
            .filter(|w| w.id.kind == kind && w.id.name == name)
            .map(|w| w.id.namespace.as_deref().unwrap_or("(none)"))
            .collect();
        let message = if elsewhere.is_empty() {
            format!("{kind} {name} is not among the objects: KEDA would scale nothing; build the ScaledObject with its Deployment")
        } else {
            format!(
                "{kind} {name} is in namespace {}, not in the ScaledObject's: KEDA scales only its own namespace; put both in one namespace",
                elsewhere.join(", ")
            )
        };
        report.found(id, field, message);
        return;
    };
    if carries_replicas.get(&(id.namespace.as_deref(), name)) == Some(&true) {
        report.found(
            id,
            field,
            format!("{kind} {name} still carries spec.replicas: every apply would reset KEDA's scale; remove it"),
        );
    }
    let jobs = jobs_per_pod(
        workload.template.spec.iter().flat_map(|p| &p.containers),
        index,
    );
    let Some(Value::Sequence(triggers)) = spec.and_then(|s| s.get("triggers")) else {
        report.found(
            id,
            "spec.triggers",
            "no trigger: KEDA would have nothing to scale on".into(),
        );
        return;
    };
    for (i, t) in triggers.iter().enumerate() {
        if t.get("type").and_then(Value::as_str) != Some("prometheus") {
            continue;
        }
        let at = |k: &str| format!("spec.triggers[{i}].metadata.{k}");
        let meta = t.get("metadata");
        let get = |k: &str| meta.and_then(|m| m.get(k)).and_then(Value::as_str);
        match get("query") {
            Some(q) => {
                if let Err(e) = queries.parse(q) {
                    report.found(id, &at("query"), e);
                }
            }
            None => report.found(id, &at("query"), "no query".into()),
        }
        if get("ignoreNullValues") != Some("false") {
            report.found(
                id,
                &at("ignoreNullValues"),
                "an empty result would read as no work and scale the executors away while Prometheus or the worker is down; set it to \"false\" (fallback applies then)".into(),
            );
        }
        let threshold = get("threshold").and_then(|t| t.parse::<f64>().ok());
        match (threshold, jobs) {
            (None, _) => report.found(id, &at("threshold"), "no numeric threshold".into()),
            (Some(t), Some(jobs)) if t != jobs => report.found(
                id,
                &at("threshold"),
                format!("{t} does not match the {jobs} job(s) per pod {kind} {name} runs (EXECUTOR_MAXIMUM_NUM_JOBS): KEDA would start one pod per {t} jobs; set it to {jobs}"),
            ),
            _ => {}
        }
    }
}

/// The jobs per pod of the `executor` container: `EXECUTOR_MAXIMUM_NUM_JOBS` from its env or
/// a ConfigMap of the namespace it reads whole; `None` when it cannot be told.
fn jobs_per_pod<'c>(
    containers: impl IntoIterator<Item = &'c PodContainer>,
    index: &super::index::Index<'_>,
) -> Option<f64> {
    const VAR: &str = "EXECUTOR_MAXIMUM_NUM_JOBS";
    let executor = containers.into_iter().find(|c| c.name == "executor")?;
    if let Some(v) = executor.env.iter().flatten().find(|e| e.name == VAR) {
        return v.value.as_deref()?.parse().ok();
    }
    for from in executor.env_from.iter().flatten() {
        let name = from.config_map_ref.as_ref().map(|r| r.name.as_str())?;
        let config_map = index.config_maps.get(name)?;
        if let Some(v) = config_map.data.as_ref().and_then(|d| d.get(VAR)) {
            return v.parse().ok();
        }
    }
    Some(DEFAULT_JOBS_PER_POD)
}
