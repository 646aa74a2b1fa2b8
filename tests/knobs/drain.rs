//! The knob tests for sizing and drain-safety: jobs per pod and what the pod is sized for,
//! dockerd's storage, the grace period, dind as a native sidecar (or the legacy layout),
//! rollouts, the node autoscalers' annotations and the disruption budget.

use super::*;

/// The grace period of a Deployment's pods.
fn grace(out: &Out, deployment: &str) -> i64 {
    out.pod_spec(deployment)["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("terminationGracePeriodSeconds is set")
}

#[test]
fn jobs_per_pod_size_the_dind_sidecar_and_the_scratch_volume() {
    for (jobs, cpu, memory, disk) in [
        (1, "4", "12Gi", "20Gi"),
        (4, "16", "48Gi", "80Gi"),
        (10, "40", "120Gi", "200Gi"),
    ] {
        let out = render(&with(
            DIND,
            &format!("executor: {{maximumNumJobs: {jobs}}}"),
        ));
        assert_eq!(
            out.config("EXECUTOR_MAXIMUM_NUM_JOBS"),
            Some(jobs.to_string())
        );
        let each = yaml(&format!("{{cpu: '{cpu}', memory: {memory}}}"));
        let dind = out.container("executor", "dind");
        assert_eq!(dind["resources"]["limits"], each, "{jobs} jobs");
        assert_eq!(dind["resources"]["requests"], each, "{jobs} jobs");
        assert_eq!(
            out.volume("executor", "executor-scratch").unwrap()["emptyDir"]["sizeLimit"],
            yaml(disk)
        );
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
    // The per-job figures are a key of their own.
    let out = render(&with(
        DIND,
        "executor: {maximumNumJobs: 3}\ndind: {resourcesPerJob: {cpu: 1500m, memory: 2Gi, disk: 5Gi}}",
    ));
    assert_eq!(
        out.container("executor", "dind")["resources"]["limits"],
        yaml("{cpu: 4500m, memory: 6Gi}")
    );
    assert_eq!(
        out.volume("executor", "executor-scratch").unwrap()["emptyDir"]["sizeLimit"],
        yaml("15Gi")
    );
    refused_at(
        &with(DIND, "dind: {resourcesPerJob: {memory: 0}}"),
        "dind.resourcesPerJob.memory",
    );
}

#[test]
fn explicit_resources_win_with_a_warning_when_they_cannot_hold_the_jobs() {
    let out = render(&with(
        DIND,
        "executor: {maximumNumJobs: 4, storage: {size: 20Gi}}\ndind: {resources: {limits: {cpu: '8', memory: 48Gi}}}",
    ));
    assert_eq!(
        out.container("executor", "dind")["resources"]["limits"],
        yaml("{cpu: '8', memory: 48Gi}")
    );
    let cpu = out
        .warning_at("dind.resources.limits.cpu")
        .unwrap_or_else(|| panic!("{:?}", out.warnings));
    assert!(cpu.message.contains("16"), "{}", cpu.message);
    assert!(out.warning_at("dind.resources.limits.memory").is_none());
    assert!(out.warning_at("executor.storage.size").is_some());
}

#[test]
fn var_lib_docker_is_a_bounded_empty_dir_in_every_dind_mode() {
    let out = render(DIND);
    assert_eq!(
        out.mount("executor", "dind", "/var/lib/docker").unwrap()["name"],
        yaml("docker")
    );
    assert_eq!(
        out.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{sizeLimit: 50Gi}")
    );
    let set = render(&with(DIND, "dind: {dockerStorageSize: 100Gi}"));
    assert_eq!(
        set.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{sizeLimit: 100Gi}")
    );
    let small = render(&with(DIND, "dind: {dockerStorageSize: 5Gi}"));
    assert!(small.warning_at("dind.dockerStorageSize").is_some());
    let unlimited = render(&with(DIND, "dind: {dockerStorageSize: ''}"));
    assert_eq!(
        unlimited.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{}")
    );
    assert!(unlimited.warning_at("dind.dockerStorageSize").is_some());
    // gVisor keeps its own size, on the same volume, mounted once.
    let gvisor = render(&with(DIND, "dind: {gVisor: {enabled: true}}"));
    assert_eq!(
        gvisor.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{sizeLimit: 50Gi}")
    );
    let mounts = seq(&gvisor.container("executor", "dind")["volumeMounts"]);
    assert_eq!(
        mounts
            .iter()
            .filter(|m| m["mountPath"].as_str() == Some("/var/lib/docker"))
            .count(),
        1
    );
}

#[test]
fn the_grace_period_covers_the_longest_job_plus_a_margin() {
    for base in [DIND, K8S] {
        assert_eq!(grace(&render(base), "executor"), 1800 + 300);
        let long = render(&with(base, "executor: {maximumRuntimePerJob: 2h}"));
        assert_eq!(grace(&long, "executor"), 7200 + 300);
        let set = render(&with(
            base,
            "executor: {terminationGracePeriodSeconds: 3600}",
        ));
        assert_eq!(grace(&set, "executor"), 3600);
        let p = refused_at(
            &with(base, "executor: {terminationGracePeriodSeconds: 30}"),
            "executor.terminationGracePeriodSeconds",
        );
        assert!(p.message.contains("1800"), "{}", p.message);
    }
    // Every queue's Deployment.
    let queues = render(&with(
        DIND,
        "queues: [{name: b, queueName: batches}, {name: c, queueName: codeintel}]",
    ));
    for d in ["executor-b", "executor-c"] {
        assert_eq!(grace(&queues, d), 2100);
    }
}

#[test]
fn dind_is_a_native_sidecar_that_gates_the_executor_on_the_docker_api() {
    let out = render(DIND);
    let dind = out.container("executor", "dind");
    assert_eq!(out.init_container_names("executor"), ["dind"]);
    assert_eq!(dind["restartPolicy"], yaml("Always"));
    assert_eq!(
        dind["startupProbe"]["exec"]["command"],
        yaml("[docker, --host, 'tcp://127.0.0.1:2375', version]")
    );
    assert!(dind.get("lifecycle").is_none());
    assert!(out.warning_at("kubernetesVersion").is_none());
    // gVisor patches the sidecar, not a second container of the same name.
    let gvisor = render(&with(DIND, "dind: {gVisor: {enabled: true}}"));
    assert_eq!(gvisor.container_names("executor"), ["executor"]);
    assert_eq!(gvisor.init_container_names("executor"), ["dind"]);
}

#[test]
fn below_kubernetes_1_29_dind_holds_dockerd_with_a_pre_stop_hook() {
    let out = render(&with(DIND, "kubernetesVersion: '1.27'"));
    assert_eq!(out.container_names("executor"), ["executor", "dind"]);
    assert!(out.init_container_names("executor").is_empty());
    let dind = out.container("executor", "dind");
    assert!(dind.get("restartPolicy").is_none());
    assert!(dind.get("startupProbe").is_none());
    let script = dind["lifecycle"]["preStop"]["exec"]["command"][2]
        .as_str()
        .expect("a preStop script");
    assert!(script.contains("127.0.0.1:8080/healthz"), "{script}");
    assert!(script.contains("ps -q"), "{script}");
    assert!(out.warning_at("kubernetesVersion").is_some());
    // Native mode has no sidecar and no warning.
    let k8s = render(&with(K8S, "kubernetesVersion: '1.27'"));
    assert!(k8s.warning_at("kubernetesVersion").is_none());
    refused_at(&with(DIND, "kubernetesVersion: '1.x'"), "kubernetesVersion");
}

#[test]
fn rollouts_keep_capacity_and_autoscalers_keep_a_busy_node() {
    for base in [DIND, K8S] {
        let out = render(base);
        let d = out.get("Deployment", "executor");
        assert_eq!(
            d["spec"]["strategy"]["rollingUpdate"],
            yaml("{maxSurge: 1, maxUnavailable: 0}")
        );
        let annotations = &out.pod("executor")["metadata"]["annotations"];
        assert_eq!(
            annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"],
            yaml("'false'")
        );
        assert_eq!(annotations["karpenter.sh/do-not-disrupt"], yaml("'true'"));
        let off = render(&with(base, "executor: {doNotDisrupt: false}"));
        let annotations = &off.pod("executor")["metadata"]["annotations"];
        assert!(annotations
            .get("cluster-autoscaler.kubernetes.io/safe-to-evict")
            .is_none());
        assert!(annotations.get("karpenter.sh/do-not-disrupt").is_none());
    }
}

#[test]
fn variables_that_end_the_executor_are_refused_on_a_deployment() {
    for var in ["EXECUTOR_NUM_TOTAL_JOBS", "EXECUTOR_MAX_ACTIVE_TIME"] {
        let p = refused_at(
            &with(
                DIND,
                &format!("executor: {{env: {{{var}: {{value: '5'}}}}}}"),
            ),
            &format!("executor.env.{var}"),
        );
        assert!(p.message.contains("restart in place"), "{}", p.message);
        // The native chart's list form too.
        refused_at(
            &with(
                K8S,
                &format!("executor: {{extraEnv: [{{name: {var}, value: '5'}}]}}"),
            ),
            "executor.extraEnv[0].name",
        );
    }
}

#[test]
fn native_job_deadline_follows_the_runtime_and_warns_when_shorter() {
    let long = render(&with(K8S, "executor: {maximumRuntimePerJob: 1h}"));
    assert_eq!(
        long.config("KUBERNETES_JOB_DEADLINE").as_deref(),
        Some("3600")
    );
    let short = render(&with(K8S, "executor: {kubernetesJob: {deadline: 1200}}"));
    assert_eq!(
        short.config("KUBERNETES_JOB_DEADLINE").as_deref(),
        Some("1200")
    );
    assert!(short
        .warning_at("executor.kubernetesJob.deadline")
        .is_some());
    assert!(render(K8S)
        .warning_at("executor.kubernetesJob.deadline")
        .is_none());
}

#[test]
fn a_disruption_budget_per_executor_deployment_on_request() {
    assert!(!render(DIND).has_layer("disruption-budget"));
    let out = render(&with(
        DIND,
        "executor: {podDisruptionBudget: {enabled: true}}\nqueues: [{name: b, queueName: batches}, {name: c, queueName: codeintel}]",
    ));
    assert!(out.has_layer("disruption-budget"));
    for d in ["executor-b", "executor-c"] {
        let pdb = out.get("PodDisruptionBudget", d);
        assert_eq!(pdb["spec"]["maxUnavailable"], yaml("1"));
        assert!(selects(
            &pdb["spec"]["selector"]["matchLabels"],
            &out.pod(d)["metadata"]["labels"]
        ));
    }
    // Each selects its own Deployment's pods only.
    assert!(!selects(
        &out.get("PodDisruptionBudget", "executor-b")["spec"]["selector"]["matchLabels"],
        &out.pod("executor-c")["metadata"]["labels"]
    ));
    let zero = render(&with(
        K8S,
        "executor: {podDisruptionBudget: {enabled: true, maxUnavailable: 0}}",
    ));
    assert_eq!(
        zero.get("PodDisruptionBudget", "executor")["spec"]["maxUnavailable"],
        yaml("0")
    );
    refused_at(
        &with(
            DIND,
            "executor: {podDisruptionBudget: {enabled: true, maxUnavailable: -1}}",
        ),
        "executor.podDisruptionBudget.maxUnavailable",
    );
}
