//! The `autoscaling` layer as an admin meets it: which Deployments KEDA scales and on what,
//! the keys refused beside it, and `check` on streams that break what a ScaledObject needs;
//! under a consumer's namePrefix, nameSuffix and namespace (the real `kubectl kustomize`)
//! each ScaledObject still aims at its own Deployment.

use crate::common::{self, run_tool, scratch_dir};
use serde::Deserialize;
use serde_yaml::Value;

const HEAD: &str = "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {name: executor, namespace: sg}\nspec:\n  executor:\n    frontendUrl: http://sourcegraph-frontend.sg.svc.cluster.local:30080\n    frontendExistingSecret: fe\n";

fn objects(stream: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(stream)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn render(config: &str) -> Vec<Value> {
    let run = run_tool(&["render", "-f", "-"], Some(config));
    assert_eq!(run.code, 0, "{}\n{config}", run.stderr);
    objects(&run.stdout)
}

fn refused(config: &str) -> String {
    let run = run_tool(&["render", "-f", "-"], Some(config));
    assert_eq!(run.code, 2, "rendered:\n{config}");
    run.stderr
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

#[test]
fn each_scaled_deployment_gets_a_scaled_object_on_its_own_queues_and_no_replicas() {
    let objects = render(&format!(
        "{HEAD}    maximumNumJobs: 3\n    maximumRuntimePerJob: 1h\n  autoscaling: {{enabled: true, maxReplicaCount: 6}}\n  queues:\n    - name: batches\n      autoscaling: {{minReplicaCount: 0}}\n    - name: both\n      queueNames: [codeintel, batches]\n    - name: fixed\n      queueName: codeintel\n      replicaCount: 2\n      autoscaling: {{enabled: false}}\n"
    ));
    let scaled = of_kind(&objects, "ScaledObject");
    let names: Vec<&str> = scaled
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["executor-batches", "executor-both"]);
    for s in &scaled {
        let spec = &s["spec"];
        assert_eq!(spec["scaleTargetRef"]["name"], s["metadata"]["name"]);
        assert_eq!(spec["maxReplicaCount"], 6);
        assert_eq!(spec["cooldownPeriod"], 3600, "never below the job runtime");
        let down = &spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"];
        assert_eq!(down["stabilizationWindowSeconds"], 3600);
        assert_eq!(down["policies"][0]["value"], 1);
        assert_eq!(
            down["policies"][0]["periodSeconds"], 1800,
            "the HPA's largest period"
        );
        let meta = &spec["triggers"][0]["metadata"];
        assert_eq!(meta["threshold"], "3", "one pod per maximumNumJobs jobs");
        assert_eq!(meta["ignoreNullValues"], "false");
        assert_eq!(
            meta["serverAddress"],
            "http://prometheus.sg.svc.cluster.local:30090"
        );
        assert!(spec["fallback"]["replicas"].as_u64().unwrap() >= 1);
    }
    assert_eq!(scaled[0]["spec"]["minReplicaCount"], 0);
    assert_eq!(scaled[1]["spec"]["minReplicaCount"], 1);
    let both = scaled[1]["spec"]["triggers"][0]["metadata"]["query"]
        .as_str()
        .unwrap();
    assert!(
        both.contains(r#"queue=~"batches|codeintel""#)
            && both.contains(r#"queue="batches_codeintel""#),
        "{both}"
    );
    for d in of_kind(&objects, "Deployment") {
        let name = d["metadata"]["name"].as_str().unwrap();
        let replicas = d["spec"].get("replicas");
        match name {
            "executor-batches" | "executor-both" => {
                assert!(replicas.is_none(), "{name} carries replicas")
            }
            "executor-fixed" => assert_eq!(replicas, Some(&Value::from(2))),
            _ => {}
        }
    }
}

#[test]
fn replica_counts_beside_autoscaling_are_refused_at_their_keys() {
    let err = refused(&format!(
        "{HEAD}    queueName: batches\n    replicaCount: 3\n  autoscaling: {{enabled: true}}\n"
    ));
    assert!(
        err.contains("executor.replicaCount") && err.contains("KEDA owns the replica count"),
        "{err}"
    );
    let err = refused(&format!("{HEAD}  autoscaling: {{enabled: true}}\n  queues:\n    - name: batches\n      replicaCount: 2\n"));
    assert!(err.contains("queues[0].replicaCount"), "{err}");
}

#[test]
fn native_mode_refuses_autoscaling_and_says_what_scales_instead() {
    let err = refused(&format!(
        "{HEAD}    queueName: batches\n  mode: kubernetes\n  autoscaling: {{enabled: true}}\n"
    ));
    assert!(
        err.contains("autoscaling.enabled") && err.contains("scale the cluster's nodes"),
        "{err}"
    );
}

#[test]
fn settings_that_would_lose_jobs_or_read_no_metric_as_no_work_are_refused() {
    let err = refused(&format!(
        "{HEAD}    queueName: batches\n  autoscaling: {{enabled: true, cooldownPeriod: 60}}\n"
    ));
    assert!(
        err.contains("autoscaling.cooldownPeriod") && err.contains("shorter than a job may run"),
        "{err}"
    );
    let err = refused(&format!(
        "{HEAD}    queueName: batches\n  autoscaling: {{enabled: true, fallbackReplicaCount: 0}}\n"
    ));
    assert!(err.contains("autoscaling.fallbackReplicaCount"), "{err}");
    let err = refused(&format!("{HEAD}    queueName: batches\n  autoscaling: {{enabled: true, minReplicaCount: 5, maxReplicaCount: 2}}\n"));
    assert!(err.contains("autoscaling.maxReplicaCount"), "{err}");
    let external = HEAD.replace(
        "http://sourcegraph-frontend.sg.svc.cluster.local:30080",
        "https://sg.example.com",
    );
    let err = refused(&format!(
        "{external}    queueName: batches\n  autoscaling: {{enabled: true}}\n"
    ));
    assert!(err.contains("autoscaling.serverAddress"), "{err}");
}

#[test]
fn a_replaced_query_gets_the_queues_put_in() {
    let objects = render(&format!(
        "{HEAD}    queueNames: [codeintel, batches]\n  autoscaling:\n    enabled: true\n    query: 'sum(src_workerutil_queue_depth{{domain=~\"executors_(${{queues}})\"}})'\n    authenticationRef: {{name: prom-auth}}\n"
    ));
    let s = of_kind(&objects, "ScaledObject")[0];
    let t = &s["spec"]["triggers"][0];
    assert_eq!(
        t["metadata"]["query"],
        r#"sum(src_workerutil_queue_depth{domain=~"executors_(batches|codeintel)"})"#
    );
    assert_eq!(t["authenticationRef"]["name"], "prom-auth");
    assert_eq!(t["authenticationRef"]["kind"], "TriggerAuthentication");
}

/// A stream with one scaled Deployment, for `check`; `edit` breaks it.
fn checked(edit: impl FnOnce(&mut Vec<Value>)) -> String {
    let mut objects = render(&format!(
        "{HEAD}    queueName: batches\n  autoscaling: {{enabled: true}}\n"
    ));
    edit(&mut objects);
    let stream: String = objects
        .iter()
        .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
        .collect();
    let run = run_tool(&["check", "-f", "-"], Some(&stream));
    run.stderr
}

fn scaled_object(objects: &mut [Value]) -> &mut Value {
    objects
        .iter_mut()
        .find(|o| o["kind"] == "ScaledObject")
        .unwrap()
}

#[test]
fn check_reads_what_a_scaled_object_needs() {
    assert!(checked(|_| {}).contains(" 0 problem(s)"));
    let err =
        checked(|o| o.retain(|o| o["kind"] != "Deployment" || o["metadata"]["name"] != "executor"));
    assert!(
        err.contains("Deployment executor is not among the objects"),
        "{err}"
    );
    let err = checked(|o| {
        let d = o
            .iter_mut()
            .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "executor")
            .unwrap();
        d["metadata"]["namespace"] = "elsewhere".into();
    });
    assert!(err.contains("is in namespace elsewhere"), "{err}");
    let err = checked(|o| {
        let d = o
            .iter_mut()
            .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "executor")
            .unwrap();
        d["spec"]["replicas"] = 2.into();
    });
    assert!(err.contains("still carries spec.replicas"), "{err}");
    let err = checked(|o| {
        scaled_object(o)["spec"]["triggers"][0]["metadata"]["query"] =
            "sum(src_executor_total{queue=}".into()
    });
    assert!(
        err.contains("metadata.query: does not parse as PromQL"),
        "{err}"
    );
    let err =
        checked(|o| scaled_object(o)["spec"]["triggers"][0]["metadata"]["threshold"] = "4".into());
    assert!(err.contains("does not match the 1 job(s) per pod"), "{err}");
    let err = checked(|o| {
        scaled_object(o)["spec"]["triggers"][0]["metadata"]["ignoreNullValues"] = "true".into()
    });
    assert!(err.contains("ignoreNullValues"), "{err}");
}

/// Many ScaledObjects share a query, which `check` parses once: a broken one is still
/// reported on each of them.
#[test]
fn a_broken_query_shared_by_several_scaled_objects_is_reported_on_each() {
    let mut objects = render(&format!(
        "{HEAD}  autoscaling: {{enabled: true}}\n  queues:\n    - {{name: a, queueName: batches}}\n    - {{name: b, queueName: batches}}\n"
    ));
    for o in objects.iter_mut().filter(|o| o["kind"] == "ScaledObject") {
        o["spec"]["triggers"][0]["metadata"]["query"] = "sum(src_executor_total{queue=}".into();
    }
    let stream: String = objects
        .iter()
        .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
        .collect();
    let err = run_tool(&["check", "-f", "-"], Some(&stream)).stderr;
    for name in ["executor-a", "executor-b"] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("ScaledObject/{name} ")))
            .unwrap_or_else(|| panic!("no finding for {name}:\n{err}"));
        assert!(line.contains("does not parse as PromQL"), "{line}");
    }
}

#[test]
fn check_parses_every_alerting_rule() {
    let mut objects = render(&format!(
        "{HEAD}    queueName: batches\n  alerts: {{enabled: true}}\n"
    ));
    let run = run_tool(
        &["check", "-f", "-"],
        Some(
            &objects
                .iter()
                .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
                .collect::<String>(),
        ),
    );
    assert!(run.stderr.contains(" 0 problem(s)"), "{}", run.stderr);
    let rules = objects
        .iter_mut()
        .find(|o| o["metadata"]["name"] == "executor-alert-rules")
        .unwrap();
    let text = rules["data"]["executors_rules.yml"]
        .as_str()
        .unwrap()
        .replacen("> 0", "> > 0", 1);
    rules["data"]["executors_rules.yml"] = text.into();
    let stream: String = objects
        .iter()
        .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
        .collect();
    let run = run_tool(&["check", "-f", "-"], Some(&stream));
    assert!(
        run.stderr
            .contains("rules[0].expr: does not parse as PromQL"),
        "{}",
        run.stderr
    );
}

#[test]
fn under_a_consumer_prefix_suffix_and_namespace_each_scaled_object_keeps_its_deployment() {
    let dir = scratch_dir("autoscaling-consumer");
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/autoscaling.yaml");
    let component = dir.join("component");
    let run = run_tool(
        &["build", "-f", example, "-o", component.to_str().unwrap()],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let consumer = dir.join("consumer");
    std::fs::create_dir_all(&consumer).unwrap();
    std::fs::write(
        consumer.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamePrefix: prod-\nnameSuffix: -x\nnamespace: tenant\ncomponents:\n  - ../component\n",
    )
    .unwrap();
    let stream = common::kubectl_kustomize(&consumer).unwrap_or_else(|e| panic!("{e}"));
    let objects = objects(&stream);
    let scaled = of_kind(&objects, "ScaledObject");
    assert_eq!(scaled.len(), 3);
    for s in scaled {
        let name = s["metadata"]["name"].as_str().unwrap();
        assert!(
            name.starts_with("prod-executor-") && name.ends_with("-x"),
            "{name}"
        );
        assert_eq!(s["metadata"]["namespace"], "tenant");
        assert_eq!(
            s["spec"]["scaleTargetRef"]["name"], name,
            "aimed at its own Deployment"
        );
        // Prometheus stays where Sourcegraph runs it: KEDA queries it from its own namespace.
        assert_eq!(
            s["spec"]["triggers"][0]["metadata"]["serverAddress"],
            "http://prometheus.sourcegraph.svc.cluster.local:30090"
        );
    }
    let run = run_tool(&["check", "-f", "-"], Some(&stream));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains(" 0 problem(s)"), "{}", run.stderr);
}
