//! Every custom resource the tool emits (KEDA `ScaledObject`, Prometheus Operator
//! `PrometheusRule`) validates against its project's CRD schema (`tests/data/crds/`, with
//! provenance), turned into a JSON Schema as the API server reads it: `int-or-string` is
//! either, and an object whose schema lists its properties and does not keep unknown
//! fields refuses any other key (the server would prune it silently: a typo would vanish).

use serde::Deserialize;
use serde_json::{json, Map, Value as Json};
use sg_executor_gen::config::Overrides;
use sg_executor_gen::pipeline;

/// The CRD's structural schema as a JSON Schema (draft 2020-12) that refuses unknown keys.
fn json_schema(crd: &Json) -> Json {
    match crd {
        Json::Object(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                if k.starts_with("x-kubernetes-") || k == "nullable" || k == "format" {
                    continue;
                }
                let v = match k.as_str() {
                    "properties" | "patternProperties" => Json::Object(
                        v.as_object()
                            .unwrap()
                            .iter()
                            .map(|(p, s)| (p.clone(), json_schema(s)))
                            .collect(),
                    ),
                    _ => json_schema(v),
                };
                out.insert(k.clone(), v);
            }
            if m.get("x-kubernetes-int-or-string") == Some(&json!(true)) {
                out.remove("type");
                out.insert(
                    "anyOf".into(),
                    json!([{"type": "integer"}, {"type": "string"}]),
                );
            }
            let keeps_unknown = m.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
            if m.contains_key("properties")
                && !m.contains_key("additionalProperties")
                && !keeps_unknown
            {
                out.insert("additionalProperties".into(), json!(false));
            }
            if m.get("nullable") == Some(&json!(true)) {
                if let Some(t) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
            }
            Json::Object(out)
        }
        Json::Array(a) => Json::Array(a.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

struct Schemas {
    schemas: boon::Schemas,
    by_kind: Vec<(&'static str, boon::SchemaIndex)>,
}

fn schemas() -> Schemas {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let mut by_kind = Vec::new();
    for (kind, file) in [
        ("ScaledObject", "keda.sh_scaledobjects.v1alpha1.json"),
        (
            "PrometheusRule",
            "monitoring.coreos.com_prometheusrules.v1.json",
        ),
    ] {
        let path = format!("{}/tests/data/crds/{file}", env!("CARGO_MANIFEST_DIR"));
        let crd: Json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut schema = json_schema(&crd);
        schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        let url = format!("https://sg-executor-gen.invalid/{file}");
        compiler.add_resource(&url, schema).unwrap();
        let index = compiler
            .compile(&url, &mut schemas)
            .unwrap_or_else(|e| panic!("{file} does not compile: {e:#}"));
        by_kind.push((kind, index));
    }
    Schemas { schemas, by_kind }
}

/// Renders `config` and validates each custom resource; returns how many of each kind.
fn validate(schemas: &Schemas, config: &str) -> Vec<(&'static str, usize)> {
    let generated = pipeline::generate(config, &Overrides::default())
        .unwrap_or_else(|e| panic!("{config}\ndoes not render: {e:?}"));
    let mut counts: Vec<(&'static str, usize)> =
        schemas.by_kind.iter().map(|(k, _)| (*k, 0)).collect();
    for doc in serde_yaml::Deserializer::from_str(&generated.stream()) {
        let object: Json =
            serde_json::to_value(serde_yaml::Value::deserialize(doc).unwrap()).unwrap();
        let kind = object["kind"].as_str().unwrap_or_default();
        for ((k, index), count) in schemas.by_kind.iter().zip(counts.iter_mut()) {
            if *k == kind {
                count.1 += 1;
                if let Err(e) = schemas.schemas.validate(&object, *index) {
                    panic!(
                        "{kind} {} does not validate: {e:#}\n{object:#}",
                        object["metadata"]["name"]
                    );
                }
            }
        }
    }
    counts
}

const HEAD: &str = "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {name: executor, namespace: sg}\nspec:\n  executor:\n    frontendUrl: http://sourcegraph-frontend.sg.svc.cluster.local:30080\n    frontendExistingSecret: fe\n";

#[test]
fn every_scaled_object_and_rule_validates_against_its_crd() {
    let s = schemas();
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/autoscaling.yaml"
    ))
    .unwrap();
    let cases = [
        (example, 3, 0),
        // One queue, the single Deployment.
        (format!("{HEAD}    queueName: batches\n  autoscaling: {{enabled: true}}\n"), 1, 0),
        // Several queues, alerts for the Prometheus Operator, credentials for Prometheus.
        (format!("{HEAD}  autoscaling: {{enabled: true, authenticationRef: {{name: prom-auth}}, serverAddress: https://prom.example.com}}\n  alerts: {{enabled: true, prometheusOperator: true}}\n  queues:\n    - name: batches\n    - name: codeintel\n"), 2, 1),
        // A Deployment of two queues, scaled to zero.
        (format!("{HEAD}    queueNames: [batches, codeintel]\n  autoscaling: {{enabled: true, minReplicaCount: 0}}\n"), 1, 0),
        // Only one entry opts in.
        (format!("{HEAD}  queues:\n    - name: batches\n      autoscaling: {{enabled: true, minReplicaCount: 0, maxReplicaCount: 2}}\n    - name: codeintel\n"), 1, 0),
    ];
    for (config, scaled, rules) in cases {
        let counts = validate(&s, &config);
        assert_eq!(
            counts,
            [("ScaledObject", scaled), ("PrometheusRule", rules)],
            "{config}"
        );
    }
}

/// The conversion is strict: a key KEDA does not know is refused, as is a wrong type.
#[test]
fn the_schema_refuses_an_unknown_key_and_a_wrong_type() {
    let s = schemas();
    let (_, index) = s.by_kind[0];
    let good = json!({"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"name": "x"}, "triggers": [{"type": "prometheus", "metadata": {"query": "1"}}]}});
    assert!(s.schemas.validate(&good, index).is_ok());
    let mut typo = good.clone();
    typo["spec"]["minReplicas"] = json!(0);
    assert!(
        s.schemas.validate(&typo, index).is_err(),
        "unknown key accepted"
    );
    let mut wrong = good.clone();
    wrong["spec"]["triggers"][0]["metadata"]["threshold"] = json!(1);
    assert!(
        s.schemas.validate(&wrong, index).is_err(),
        "a number where KEDA wants a string accepted"
    );
}
