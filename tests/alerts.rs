//! The alerting rules and the demand queries under the real Prometheus rule engine
//! (`promtool`, Debian package `prometheus`), on synthetic series: each query parses
//! (`promtool check rules`, annotation templates included); the demand query is queued +
//! running for exactly its Deployment's queues and is empty (never 0) when the worker's
//! series is missing; each alert fires when it should and resolves, including when no
//! executor reports at all.
//!
//! promtool compares annotations too; the rules are tested without them (the same
//! expressions, durations and labels), their templates are checked by `check rules`.

use serde_yaml::Value;
use sg_executor_gen::config::Overrides;
use sg_executor_gen::pipeline;
use std::path::Path;
use std::process::Command;

const RULES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/overlays/alerts/executors_rules.yml"
);

fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new(std::env::var("PROMTOOL").unwrap_or_else(|_| "promtool".into()))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs (Debian package prometheus; .ci/run installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "sg-executor-gen-alerts-{name}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The rules file without its annotations, written into `dir`.
fn rules_without_annotations(dir: &Path) -> String {
    let mut rules: Value = serde_yaml::from_str(&std::fs::read_to_string(RULES).unwrap()).unwrap();
    for group in rules["groups"].as_sequence_mut().unwrap() {
        for rule in group["rules"].as_sequence_mut().unwrap() {
            rule.as_mapping_mut().unwrap().remove("annotations");
        }
    }
    let path = dir.join("rules.yml");
    std::fs::write(&path, serde_yaml::to_string(&rules).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn every_rule_parses_and_its_templates_expand() {
    let (ok, out) = promtool(&["check", "rules", RULES], Path::new("."));
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS: 6 rules found"), "{out}");
}

/// The demand queries of the example's ScaledObjects, by ScaledObject name.
fn demand_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/autoscaling.yaml"
    ))
    .unwrap();
    let generated = pipeline::generate(&text, &Overrides::default()).unwrap();
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&generated.stream()) {
        let o: Value = serde::Deserialize::deserialize(doc).unwrap();
        if o["kind"] == "ScaledObject" {
            let q = o["spec"]["triggers"][0]["metadata"]["query"]
                .as_str()
                .unwrap()
                .to_string();
            out.push((o["metadata"]["name"].as_str().unwrap().to_string(), q));
        }
    }
    out
}

fn run_tests(name: &str, tests: &str) {
    let dir = scratch(name);
    let rules = rules_without_annotations(&dir);
    let file = format!("rule_files: [{rules:?}]\nevaluation_interval: 1m\ntests:\n{tests}");
    std::fs::write(dir.join("tests.yml"), &file).unwrap();
    let (ok, out) = promtool(&["test", "rules", "tests.yml"], &dir);
    assert!(ok, "{out}\n{file}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn demand_is_queued_plus_running_and_empty_without_the_worker() {
    let queries = demand_queries();
    let q = |name: &str| {
        let q = &queries.iter().find(|(n, _)| n == name).unwrap().1;
        serde_json::to_string(q).unwrap()
    };
    let (batches, shared) = (q("executor-batches"), q("executor-shared"));
    let tests = format!(
        r#"  # Queued (seen by two worker replicas) + running; the shared pool's and another
  # queue's jobs are not counted for batches.
  - interval: 1m
    input_series:
      - {{series: 'src_executor_total{{queue="batches", instance="worker-0"}}', values: '3x10'}}
      - {{series: 'src_executor_total{{queue="batches", instance="worker-1"}}', values: '3x10'}}
      - {{series: 'src_executor_total{{queue="codeintel", instance="worker-0"}}', values: '2x10'}}
      - {{series: 'src_executor_processor_handlers{{queue="batches", sg_instance="a"}}', values: '2x10'}}
      - {{series: 'src_executor_processor_handlers{{queue="batches", sg_instance="b"}}', values: '1x10'}}
      - {{series: 'src_executor_processor_handlers{{queue="batches_codeintel", sg_instance="c"}}', values: '4x10'}}
      - {{series: 'src_executor_processor_handlers{{queue="codeintel", sg_instance="d"}}', values: '9x10'}}
    promql_expr_test:
      - {{expr: {batches}, eval_time: 5m, exp_samples: [{{labels: '{{}}', value: 6}}]}}
      - {{expr: {shared}, eval_time: 5m, exp_samples: [{{labels: '{{}}', value: 9}}]}}
  # Scaled to zero: no executor reports, the queue's jobs are the demand.
  - interval: 1m
    input_series:
      - {{series: 'src_executor_total{{queue="batches"}}', values: '4x10'}}
    promql_expr_test:
      - {{expr: {batches}, eval_time: 5m, exp_samples: [{{labels: '{{}}', value: 4}}]}}
  # The worker's series is missing (Prometheus or the worker down): empty, not 0, though
  # executors still report.
  - interval: 1m
    input_series:
      - {{series: 'src_executor_processor_handlers{{queue="batches", sg_instance="a"}}', values: '2x10'}}
    promql_expr_test:
      - {{expr: {batches}, eval_time: 5m, exp_samples: []}}
"#
    );
    run_tests("demand", &tests);
}

#[test]
fn each_alert_fires_and_resolves() {
    let tests = r#"  # No executor at all: the queue with work alerts, and stops once one reports.
  - interval: 1m
    input_series:
      - {series: 'src_executor_total{queue="batches"}', values: '2x30'}
      - {series: 'src_executor_total{queue="codeintel"}', values: '0x30'}
      - {series: 'src_executor_processor_handlers{queue="batches", sg_instance="a"}', values: '_x14 1x15'}
    alert_rule_test:
      - {eval_time: 3m, alertname: ExecutorQueueWithoutExecutor, exp_alerts: []}
      - eval_time: 10m
        alertname: ExecutorQueueWithoutExecutor
        exp_alerts: [{exp_labels: {queue: batches, level: critical}}]
      - {eval_time: 20m, alertname: ExecutorQueueWithoutExecutor, exp_alerts: []}
  # An executor of both queues counts for each of them.
  - interval: 1m
    input_series:
      - {series: 'src_executor_total{queue="batches"}', values: '2x30'}
      - {series: 'src_executor_total{queue="codeintel"}', values: '5x30'}
      - {series: 'src_executor_processor_handlers{queue="batches_codeintel", sg_instance="a"}', values: '1x30'}
    alert_rule_test:
      - {eval_time: 20m, alertname: ExecutorQueueWithoutExecutor, exp_alerts: []}
  # Jobs waiting for 30 minutes, then the queue empties.
  - interval: 1m
    input_series:
      - {series: 'src_executor_total{queue="codeintel"}', values: '1x40 0x20'}
    alert_rule_test:
      - {eval_time: 20m, alertname: ExecutorJobsWaiting, exp_alerts: []}
      - eval_time: 35m
        alertname: ExecutorJobsWaiting
        exp_alerts: [{exp_labels: {queue: codeintel, level: warning}}]
      - {eval_time: 45m, alertname: ExecutorJobsWaiting, exp_alerts: []}
  # Half the jobs fail, then none; no jobs at all is no alert.
  - interval: 1m
    input_series:
      - {series: 'src_executor_processor_total{queue="batches"}', values: '0+10x60'}
      - {series: 'src_executor_processor_errors_total{queue="batches"}', values: '0+5x30 150x30'}
      - {series: 'src_executor_processor_total{queue="codeintel"}', values: '0x60'}
      - {series: 'src_executor_processor_errors_total{queue="codeintel"}', values: '0x60'}
    alert_rule_test:
      - {eval_time: 10m, alertname: ExecutorHighErrorRate, exp_alerts: []}
      - eval_time: 30m
        alertname: ExecutorHighErrorRate
        exp_alerts: [{exp_labels: {queue: batches, level: warning}}]
      - {eval_time: 55m, alertname: ExecutorHighErrorRate, exp_alerts: []}
  # kube-state-metrics: a dind container not ready for 15 minutes, then ready.
  - interval: 1m
    input_series:
      - {series: 'kube_pod_container_status_ready{namespace="sg", pod="executor-a", container="dind"}', values: '0x20 1x20'}
      - {series: 'kube_pod_container_status_ready{namespace="sg", pod="executor-a", container="executor"}', values: '1x40'}
    alert_rule_test:
      - {eval_time: 10m, alertname: ExecutorPodNotReady, exp_alerts: []}
      - eval_time: 18m
        alertname: ExecutorPodNotReady
        exp_alerts: [{exp_labels: {namespace: sg, pod: executor-a, container: dind, level: warning}}]
      - {eval_time: 30m, alertname: ExecutorPodNotReady, exp_alerts: []}
  # kube-state-metrics: dind restarted after an OOM kill; a restart for another reason is not.
  - interval: 1m
    input_series:
      - {series: 'kube_pod_container_status_restarts_total{namespace="sg", pod="executor-a", container="dind"}', values: '0x10 1x30'}
      - {series: 'kube_pod_container_status_last_terminated_reason{namespace="sg", pod="executor-a", container="dind", reason="OOMKilled"}', values: '0x10 1x30'}
      - {series: 'kube_pod_container_status_restarts_total{namespace="sg", pod="executor-b", container="dind"}', values: '0x10 1x30'}
      - {series: 'kube_pod_container_status_last_terminated_reason{namespace="sg", pod="executor-b", container="dind", reason="Error"}', values: '0x10 1x30'}
    alert_rule_test:
      - {eval_time: 5m, alertname: ExecutorDindOOMKilled, exp_alerts: []}
      - eval_time: 12m
        alertname: ExecutorDindOOMKilled
        exp_alerts: [{exp_labels: {namespace: sg, pod: executor-a, level: warning}}]
      - {eval_time: 35m, alertname: ExecutorDindOOMKilled, exp_alerts: []}
  # KEDA cannot read a ScaledObject's demand for 10 minutes, then can (either metric name).
  - interval: 1m
    input_series:
      - {series: 'keda_scaled_object_errors_total{namespace="sg", scaledObject="executor-batches"}', values: '0+1x20 20x20'}
      - {series: 'keda_scaled_object_errors{namespace="sg", scaledObject="executor-codeintel"}', values: '0x40'}
    alert_rule_test:
      - {eval_time: 5m, alertname: ExecutorScalerErrors, exp_alerts: []}
      - eval_time: 15m
        alertname: ExecutorScalerErrors
        exp_alerts: [{exp_labels: {namespace: sg, scaledObject: executor-batches, level: warning}}]
      - {eval_time: 35m, alertname: ExecutorScalerErrors, exp_alerts: []}
"#;
    run_tests("alerts", tests);
}
