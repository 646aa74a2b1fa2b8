//! What the executor needs to run jobs the way Sourcegraph's own chart runs them (its
//! `_helpers.tpl`): the dind runtime variables, the job resource bounds, the health server
//! and its probes, and pods that carry no Service links nor an API token they do not use.

use super::*;

const MULTI: &str = "\
executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
queues:
  - name: batches
  - name: codeintel
";

/// Every executor Deployment of a rendered stack.
fn executors(out: &Out) -> Vec<String> {
    out.names_of("Deployment")
        .into_iter()
        .filter(|n| n != "executor-registry")
        .collect()
}

#[test]
fn dind_executors_never_detect_kubernetes_and_jobs_are_bounded_by_dind() {
    for config in [DIND, MULTI] {
        let out = render(config);
        assert_eq!(
            out.config("EXECUTOR_USE_KUBERNETES").as_deref(),
            Some("false")
        );
        assert_eq!(out.config("EXECUTOR_JOB_NUM_CPUS").as_deref(), Some("0"));
        assert_eq!(out.config("EXECUTOR_JOB_MEMORY").as_deref(), Some("0"));
        // Every dind executor container reads that ConfigMap.
        for d in executors(&out) {
            assert_eq!(
                out.container(&d, "executor")["envFrom"][0]["configMapRef"]["name"],
                yaml("executor-config"),
                "{d}"
            );
        }
    }
    // Native executors are Kubernetes executors: none of it.
    let k8s = render(K8S);
    for key in [
        "EXECUTOR_USE_KUBERNETES",
        "EXECUTOR_JOB_NUM_CPUS",
        "EXECUTOR_JOB_MEMORY",
        "EXECUTOR_HEALTH_SERVER_ADDR",
    ] {
        assert_eq!(k8s.config(key), None, "{key}");
    }
}

#[test]
fn job_bounds_are_set_through_env_per_stack_or_per_queue() {
    let out = render(&with(
        MULTI,
        "executor: {env: {EXECUTOR_JOB_NUM_CPUS: {value: '2'}, EXECUTOR_JOB_MEMORY: {value: 8g}}}\nqueues: [{name: batches}, {name: codeintel, env: {EXECUTOR_JOB_MEMORY: {value: 16G}}}]",
    ));
    // A container's env wins over its envFrom: the ConfigMap keeps the chart's 0.
    assert_eq!(out.config("EXECUTOR_JOB_MEMORY").as_deref(), Some("0"));
    assert_eq!(
        out.exec_env("executor-batches", "EXECUTOR_JOB_NUM_CPUS")
            .as_deref(),
        Some("2")
    );
    assert_eq!(
        out.exec_env("executor-batches", "EXECUTOR_JOB_MEMORY")
            .as_deref(),
        Some("8g")
    );
    assert_eq!(
        out.exec_env("executor-codeintel", "EXECUTOR_JOB_MEMORY")
            .as_deref(),
        Some("16G")
    );
    let p = refused_at(
        &with(
            DIND,
            "executor: {env: {EXECUTOR_JOB_NUM_CPUS: {value: 500m}}}",
        ),
        "executor.env.EXECUTOR_JOB_NUM_CPUS",
    );
    assert!(p.message.contains("whole number"), "{}", p.message);
    refused_at(
        &with(
            DIND,
            "executor: {env: {EXECUTOR_JOB_MEMORY: {value: 12Gx}}}",
        ),
        "executor.env.EXECUTOR_JOB_MEMORY",
    );
    refused_at(
        &with(DIND, "executor: {env: {EXECUTOR_JOB_MEMORY: {value: ''}}}"),
        "executor.env.EXECUTOR_JOB_MEMORY",
    );
}

#[test]
fn dind_executors_serve_health_on_a_declared_port_and_are_probed_there() {
    for config in [DIND, MULTI] {
        let out = render(config);
        assert_eq!(
            out.config("EXECUTOR_HEALTH_SERVER_ADDR").as_deref(),
            Some(":8080")
        );
        for d in executors(&out) {
            let c = out.container(&d, "executor");
            let ports = seq(&c["ports"]);
            assert!(
                ports.contains(&yaml("{name: health, containerPort: 8080, protocol: TCP}")),
                "{d}: {ports:?}"
            );
            // Nothing else: the executor serves nothing on 6060 (the dind chart dropped
            // that port's Service).
            assert_eq!(ports.len(), 1, "{d}: {ports:?}");
            assert_eq!(
                c["livenessProbe"],
                yaml("{httpGet: {path: /healthz, port: health, scheme: HTTP}, initialDelaySeconds: 60, timeoutSeconds: 5}")
            );
            assert_eq!(
                c["readinessProbe"],
                yaml("{httpGet: {path: /healthz, port: health, scheme: HTTP}, periodSeconds: 5, timeoutSeconds: 5}")
            );
        }
        assert!(
            !out.has("Service", "executor"),
            "the dind chart has no executor Service"
        );
    }
    // The health server's variable is the tool's to set.
    refused_at(
        &with(
            DIND,
            "executor: {env: {EXECUTOR_HEALTH_SERVER_ADDR: {value: ':9090'}}}",
        ),
        "executor.env.EXECUTOR_HEALTH_SERVER_ADDR",
    );
    refused_at(
        &with(
            DIND,
            "executor: {env: {EXECUTOR_USE_KUBERNETES: {value: 'true'}}}",
        ),
        "executor.env.EXECUTOR_USE_KUBERNETES",
    );
}

#[test]
fn no_pod_gets_service_links_and_only_native_executors_get_an_api_token() {
    let dind = render(DIND);
    let multi = render(MULTI);
    let k8s = render(K8S);
    for out in [&dind, &multi, &k8s] {
        for d in out.names_of("Deployment") {
            assert_eq!(out.pod_spec(&d)["enableServiceLinks"], yaml("false"), "{d}");
        }
    }
    for out in [&dind, &multi] {
        for d in out.names_of("Deployment") {
            assert_eq!(
                out.pod_spec(&d)["automountServiceAccountToken"],
                yaml("false"),
                "{d}"
            );
        }
    }
    // The native executor creates jobs through the API: it keeps its token.
    assert!(k8s
        .pod_spec("executor")
        .get("automountServiceAccountToken")
        .is_none());
}

/// The executor serves nothing on 6060 (its last public source starts no debug server and
/// pushes its metrics to Sourcegraph with each heartbeat): no Prometheus target that is
/// always down. dind mode follows the dind chart, which dropped the Service (chart #876);
/// native mode keeps the native chart's Service, as the chart renders it, unannotated.
#[test]
fn nothing_asks_prometheus_to_scrape_the_executor_in_either_mode() {
    let dind = render(DIND);
    assert!(!dind.has("Service", "executor"));
    assert!(!dind.stream.contains("6060"), "{}", dind.stream);
    assert!(!dind.stream.contains("scrape"), "{}", dind.stream);

    let native = render(K8S);
    let service = native.get("Service", "executor");
    assert!(
        service["metadata"].get("annotations").is_none(),
        "{service:?}"
    );
    assert_eq!(
        service["spec"]["ports"],
        yaml("[{name: http-debug, port: 6060, targetPort: http-debug}]")
    );
    assert!(
        seq(&native.container("executor", "executor")["ports"]).contains(&yaml(
            "{name: http-debug, containerPort: 6060, protocol: TCP}"
        ))
    );
    assert!(!native.stream.contains("scrape"), "{}", native.stream);

    // A chart override that asks for a scrape keeps it (the chart renders it), with a
    // warning at the annotation that the target is always down.
    let asked = render(&with(
        K8S,
        "executor: {serviceAnnotations: {prometheus.io/scrape: 'true'}}",
    ));
    assert_eq!(
        asked.get("Service", "executor")["metadata"]["annotations"],
        yaml("{prometheus.io/scrape: 'true'}")
    );
    let w = asked
        .warning_at("executor.serviceAnnotations.prometheus.io/scrape")
        .expect("a warning at the annotation");
    assert!(w.message.contains("serves nothing"), "{}", w.message);
    assert!(render(K8S)
        .warnings
        .iter()
        .all(|p| !p.message.contains("serves nothing")));
}
