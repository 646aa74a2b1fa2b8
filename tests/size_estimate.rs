//! The size estimate (`config/validate/size/`) against what is rendered: for every object,
//! the estimate must not be below the YAML `render` prints, the JSON the API server gets,
//! or the number of values, and not far above them, for the bundled examples and for
//! configs that make every copied part large.

use crate::common;

use serde_yaml::Value;
use sg_executor_gen::config::validate::size::{estimate, Size};
use sg_executor_gen::config::{load, Overrides};
use sg_executor_gen::pipeline::generate;
use sg_executor_gen::render::yaml_out::to_yaml;
use std::collections::BTreeMap;

fn values(v: &Value) -> u64 {
    match v {
        Value::Mapping(m) => 1 + m.iter().map(|(_, v)| 1 + values(v)).sum::<u64>(),
        Value::Sequence(s) => 1 + s.iter().map(values).sum::<u64>(),
        Value::Tagged(t) => values(&t.value),
        _ => 1,
    }
}

/// (kind, name) → (estimate, YAML bytes, JSON bytes, values).
fn compare(
    config: &str,
    overrides: &Overrides,
) -> BTreeMap<(String, String), (Size, u64, u64, u64)> {
    let loaded = load(config, overrides).unwrap_or_else(|e| panic!("{:?}", e.problems));
    let estimated: BTreeMap<(String, String), Size> = estimate(&loaded.config)
        .into_iter()
        .map(|e| ((e.kind.to_string(), e.name), e.size))
        .collect();
    let generated = generate(config, overrides).expect("renders");
    let mut out = BTreeMap::new();
    for (id, object) in generated.bundle.objects() {
        let key = (id.kind.clone(), id.name.clone());
        let size = *estimated.get(&key).unwrap_or_else(|| {
            panic!("no estimate for {key:?}; estimated: {:?}", estimated.keys())
        });
        let yaml = to_yaml(&object).len() as u64;
        let json = serde_json::to_string(&object).unwrap().len() as u64;
        out.insert(key, (size, yaml, json, values(&object)));
    }
    assert_eq!(
        out.len(),
        estimated.len(),
        "every estimated object is rendered"
    );
    out
}

/// The estimate is an upper bound, within `slack` times the real size plus 2 KiB.
fn assert_bounds(config: &str, overrides: &Overrides, slack: f64) {
    for ((kind, name), (est, yaml, json, vals)) in compare(config, overrides) {
        let real = yaml.max(json);
        if std::env::var_os("SIZE_TABLE").is_some() {
            eprintln!(
                "{kind:<22} {name:<28} est {:>6} {:>4}  real {:>6} {:>4}  ratio {:.2} {:.2}",
                est.bytes,
                est.values,
                real,
                vals,
                est.bytes as f64 / real as f64,
                est.values as f64 / vals as f64
            );
            continue;
        }
        assert!(
            est.bytes >= real && est.values >= vals,
            "{kind}/{name}: estimated {est:?}, rendered {yaml} bytes of YAML, {json} of JSON, {vals} values\n{config}"
        );
        assert!(
            (est.bytes as f64) <= real as f64 * slack + 2048.0
                && (est.values as f64) <= vals as f64 * slack + 64.0,
            "{kind}/{name}: estimated {est:?}, far above {real} bytes and {vals} values\n{config}"
        );
    }
}

#[test]
fn the_estimate_bounds_every_example() {
    for example in common::examples() {
        let text = std::fs::read_to_string(&example).unwrap();
        assert_bounds(&text, &Overrides::default(), 1.6);
        assert_bounds(
            &text,
            &Overrides {
                namespace: Some("a-namespace-with-a-rather-long-name-for-the-test".into()),
                mode: None,
            },
            1.6,
        );
    }
}

/// `n` lines `PREFIXi: VALUE`, indented by `indent` spaces.
fn many(indent: usize, prefix: &str, n: usize, value: &str) -> String {
    (0..n)
        .map(|i| format!("{:indent$}{prefix}{i}: {value}\n", ""))
        .collect()
}

#[test]
fn the_estimate_bounds_configs_with_large_copied_parts() {
    let long = "v".repeat(60);
    let multi_line = "\"line one\\nline two\\n  indented\\n\\ttab \\\"quoted\\\" é\\n\"";
    let dind = format!(
        "apiVersion: sg-executor-gen/v1alpha1
kind: ExecutorDeployment
metadata:
  name: exec
  namespace: ns
  labels:
{labels}  annotations:
{annotations}spec:
  sourcegraph:
    labels:
{sg_labels}    podLabels:
{pod_labels}    podAnnotations:
{pod_annotations}    imagePullSecrets: [{{name: a}}, {{name: b}}]
    nodeSelector: {{disk: ssd}}
    tolerations: [{{key: k, operator: Exists, effect: NoSchedule}}]
    affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: a, operator: In, values: [x, y]}}]}}]}}}}}}
  executor:
    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080/{long}
    frontendPassword: {long}
    storage: {{type: ephemeral, size: 50Gi, class: fast}}
    labels: {{team: {long}}}
    env:
{env}  queues:
    - {{name: batches}}
    - {{name: codeintel, resources: {{limits: {{cpu: '2', memory: 8Gi}}}}}}
  dind:
    command: [sh, -c, 'exec dockerd --debug']
    gVisor: {{enabled: true}}
    daemonConfig:
      features:
{daemon}  privateDockerRegistry:
    serviceAnnotations: {{a: {long}}}
    env: {{PROXY: {{value: x}}}}
",
        labels = many(4, "l", 30, "v"),
        annotations = many(4, "example.com/a", 20, multi_line),
        sg_labels = many(6, "s", 30, &long),
        pod_labels = many(6, "p", 10, "v"),
        pod_annotations = many(6, "example.com/p", 20, &long),
        env = (0..40)
            .map(|i| format!("      VAR_{i}: {{value: {multi_line}}}\n"))
            .collect::<String>(),
        daemon = many(8, "feature-", 5, "true"),
    );
    assert_bounds(&dind, &Overrides::default(), 1.6);

    let k8s = format!(
        "mode: kubernetes
storageClass: {{create: true, name: fast, provisioner: x.example.com, parameters: {{a: {long}}}}}
executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
  queueName: batches
  storageSize: 100Gi
  namespace: jobs
  serviceLabels: {{a: b}}
  serviceAnnotations:
{annotations}  extraEnv: [{{name: A, value: {long}}}]
  kubernetesJob:
    node: {{selector: 'a=b,c=d', tolerations: '[{{\"key\": \"k\", \"operator\": \"Exists\"}}]'}}
",
        annotations = many(4, "example.com/s", 20, &long),
    );
    assert_bounds(&k8s, &Overrides::default(), 1.6);
}

/// A config with `n` queue entries, and `env` variables of about 50 bytes each.
fn queues(n: usize, env: usize) -> String {
    let mut head = String::from(
        "executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
  env:
",
    );
    for i in 0..env {
        head.push_str(&format!(
            "    SOME_SETTING_{i:02}: {{value: a-value-of-about-thirty-bytes}}\n"
        ));
    }
    common::with_queues(&head, n)
}

#[test]
fn ten_thousand_queues_are_within_the_bounds() {
    use sg_executor_gen::config::validate::size::{MAX_OUTPUT_BYTES, MAX_OUTPUT_VALUES};
    // Four queues first: the estimate is held against the rendering.
    assert_bounds(&queues(4, 20), &Overrides::default(), 1.3);
    for env in [0, 20] {
        let text = queues(10_000, env);
        let loaded = load(&text, &Overrides::default()).unwrap_or_else(|e| {
            panic!("10,000 queues with {env} variables: {:?}", &e.problems[..1])
        });
        let total: Size = estimate(&loaded.config).into_iter().map(|e| e.size).sum();
        eprintln!("10,000 queues, {env} variables: about {total:?}");
        assert!(total.bytes < MAX_OUTPUT_BYTES && total.values < MAX_OUTPUT_VALUES);
    }
}

#[test]
fn the_estimate_bounds_the_alerts_for_the_prometheus_operator() {
    let text = format!(
        "{}  queueName: batches\nautoscaling: {{enabled: true}}\nalerts: {{enabled: true, prometheusOperator: true}}\n",
        common::EXECUTOR
    );
    assert_bounds(&text, &Overrides::default(), 1.6);
}
