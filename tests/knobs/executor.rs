//! The knob tests for executor.* (both modes).

use super::*;

#[test]
fn executor_frontend_url_reaches_the_executor() {
    let out = render(&with(
        DIND,
        "executor: {frontendUrl: 'https://sourcegraph.example.com'}",
    ));
    assert_eq!(
        out.config("EXECUTOR_FRONTEND_URL").as_deref(),
        Some("https://sourcegraph.example.com")
    );
    assert_eq!(
        render(DIND).config("EXECUTOR_FRONTEND_URL").as_deref(),
        Some("http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080")
    );
}

#[test]
fn executor_frontend_url_empty_or_missing_is_refused() {
    // The chart renders an empty URL and the executor fails at start.
    refused_at(
        &with(DIND, "executor: {frontendUrl: ''}"),
        "executor.frontendUrl",
    );
    refused_at(
        "executor: {frontendExistingSecret: executor-frontend, queueName: batches}\n",
        "executor.frontendUrl",
    );
    refused_at(
        &with(K8S, "executor: {frontendUrl: ''}"),
        "executor.frontendUrl",
    );
}

#[test]
fn executor_frontend_existing_secret_is_referenced_not_rendered() {
    let out = render(DIND);
    assert_eq!(
        out.env("executor", "executor", "EXECUTOR_FRONTEND_PASSWORD")
            .unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: executor-frontend, key: EXECUTOR_FRONTEND_PASSWORD}}")
    );
    assert!(out.names_of("Secret").is_empty());
    assert_eq!(out.config("EXECUTOR_FRONTEND_PASSWORD"), None);
}

#[test]
fn executor_frontend_password_goes_into_a_secret_and_nowhere_else() {
    let password = "s3cr3t-Token!";
    for base in [DIND, K8S] {
        let config = with(
            base,
            &format!("executor: {{frontendExistingSecret: '', frontendPassword: '{password}'}}"),
        );
        let out = render(&config);
        let secret = out.get("Secret", "executor-secret");
        assert_eq!(secret["type"], yaml("Opaque"));
        // base64 of the password, as Kubernetes expects in `data`.
        assert_eq!(
            secret["data"],
            yaml("{EXECUTOR_FRONTEND_PASSWORD: czNjcjN0LVRva2VuIQ==}")
        );
        assert_eq!(
            out.env("executor", "executor", "EXECUTOR_FRONTEND_PASSWORD")
                .unwrap()["valueFrom"],
            yaml("{secretKeyRef: {name: executor-secret, key: EXECUTOR_FRONTEND_PASSWORD}}")
        );
        assert!(
            !out.stream.contains(password),
            "the password is in plain text"
        );
        assert!(out.warning_at("executor.frontendPassword").is_some());
        for w in &out.warnings {
            assert!(
                !w.message.contains(password)
                    && !w.hint.clone().unwrap_or_default().contains(password)
            );
        }
    }
}

#[test]
fn executor_frontend_existing_secret_wins_over_frontend_password() {
    let out = render(&with(DIND, "executor: {frontendPassword: hunter2}"));
    assert!(out.names_of("Secret").is_empty());
    assert!(!out.stream.contains("hunter2"));
    assert!(out.warning_at("executor.frontendPassword").is_some());
}

#[test]
fn executor_queue_name_reaches_the_executor() {
    let out = render(&with(DIND, "executor: {queueName: codeintel}"));
    assert_eq!(
        out.exec_env("executor", "EXECUTOR_QUEUE_NAME").as_deref(),
        Some("codeintel")
    );
    assert!(out
        .env("executor", "executor", "EXECUTOR_QUEUE_NAMES")
        .is_none());
    refused_at(
        &with(DIND, "executor: {queueName: batchs}"),
        "executor.queueName",
    );
}

#[test]
fn executor_queue_names_reach_the_executor_comma_separated() {
    let config = "executor:\n  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n  frontendExistingSecret: executor-frontend\n  queueNames: [batches, codeintel]\n";
    let out = render(config);
    assert_eq!(
        out.exec_env("executor", "EXECUTOR_QUEUE_NAMES").as_deref(),
        Some("batches,codeintel")
    );
    assert!(out
        .env("executor", "executor", "EXECUTOR_QUEUE_NAME")
        .is_none());
    // Both at once is an error.
    refused_at(
        &with(DIND, "executor: {queueNames: [codeintel]}"),
        "executor.queueNames",
    );
}

#[test]
fn executor_missing_queue_is_refused() {
    // The chart renders an empty queue name and the executor refuses to start.
    let config = "executor:\n  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n  frontendExistingSecret: executor-frontend\n";
    let p = refused_at(config, "executor.queueName");
    assert!(p.hint.unwrap_or_default().contains("queueNames"));
    refused_at(
        &with(DIND, "executor: {queueName: ''}"),
        "executor.queueName",
    );
    refused_at(&format!("mode: kubernetes\n{config}"), "executor.queueName");
}

#[test]
fn executor_maximum_num_jobs_reaches_the_executor() {
    // The dind chart documents 10 but never renders it: its executors run one job.
    assert_eq!(
        render(DIND).config("EXECUTOR_MAXIMUM_NUM_JOBS").as_deref(),
        Some("1")
    );
    let out = render(&with(DIND, "executor: {maximumNumJobs: 4}"));
    assert_eq!(
        out.config("EXECUTOR_MAXIMUM_NUM_JOBS").as_deref(),
        Some("4")
    );
    let k8s = render(&with(K8S, "executor: {maximumNumJobs: 4}"));
    assert_eq!(
        k8s.config("EXECUTOR_MAXIMUM_NUM_JOBS").as_deref(),
        Some("4")
    );
    refused_at(
        &with(DIND, "executor: {maximumNumJobs: 0}"),
        "executor.maximumNumJobs",
    );
}

#[test]
fn executor_maximum_runtime_per_job_reaches_the_executor() {
    assert_eq!(
        render(DIND)
            .config("EXECUTOR_MAXIMUM_RUNTIME_PER_JOB")
            .as_deref(),
        Some("30m")
    );
    let out = render(&with(DIND, "executor: {maximumRuntimePerJob: 1h30m}"));
    assert_eq!(
        out.config("EXECUTOR_MAXIMUM_RUNTIME_PER_JOB").as_deref(),
        Some("1h30m")
    );
    refused_at(
        &with(DIND, "executor: {maximumRuntimePerJob: forever}"),
        "executor.maximumRuntimePerJob",
    );
}

#[test]
fn executor_log_level_reaches_the_executor() {
    assert_eq!(
        render(DIND).config("SRC_LOG_LEVEL").as_deref(),
        Some("warn")
    );
    let out = render(&with(DIND, "executor: {log: {level: dbug}}"));
    assert_eq!(out.config("SRC_LOG_LEVEL").as_deref(), Some("dbug"));
    refused_at(
        &with(DIND, "executor: {log: {level: verbose}}"),
        "executor.log.level",
    );
}

#[test]
fn executor_log_format_reaches_the_executor() {
    assert_eq!(
        render(DIND).config("SRC_LOG_FORMAT").as_deref(),
        Some("json")
    );
    assert_eq!(
        render(K8S).config("SRC_LOG_FORMAT").as_deref(),
        Some("condensed")
    );
    let out = render(&with(DIND, "executor: {log: {format: logfmt}}"));
    assert_eq!(out.config("SRC_LOG_FORMAT").as_deref(), Some("logfmt"));
    refused_at(
        &with(DIND, "executor: {log: {format: text}}"),
        "executor.log.format",
    );
}

#[test]
fn executor_log_trace_reaches_the_executor() {
    assert_eq!(render(DIND).config("SRC_TRACE_LOG"), None);
    // The chart's values write it as a string.
    let out = render(&with(DIND, "executor: {log: {trace: 'true'}}"));
    assert_eq!(out.config("SRC_TRACE_LOG").as_deref(), Some("true"));
    let k8s = render(&with(K8S, "executor: {log: {trace: 'false'}}"));
    assert_eq!(k8s.config("SRC_TRACE_LOG").as_deref(), Some("false"));
}

#[test]
fn executor_resources_set_the_executor_container_resources() {
    assert_eq!(
        render(DIND).container("executor", "executor")["resources"],
        yaml("{limits: {cpu: '1', memory: 4Gi}, requests: {cpu: 500m, memory: 200Mi}}")
    );
    let out = render(&with(
        DIND,
        "executor: {resources: {limits: {cpu: '2', memory: 8Gi}, requests: {cpu: '1', memory: 2Gi}}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["resources"],
        yaml("{limits: {cpu: '2', memory: 8Gi}, requests: {cpu: '1', memory: 2Gi}}")
    );
    refused_at(
        &with(DIND, "executor: {resources: {limits: {memory: 50GB}}}"),
        "executor.resources.limits.memory",
    );
}

#[test]
fn executor_image_name_and_default_tag_set_the_executor_image() {
    let out = render(&with(
        DIND,
        "executor: {image: {name: my-executor, defaultTag: 1.2.3}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["image"],
        yaml("index.docker.io/sourcegraph/my-executor:1.2.3")
    );
}

#[test]
fn executor_image_tag_wins_over_every_default_tag() {
    let out = render(&with(
        DIND,
        "executor: {image: {defaultTag: 1.2.3, tag: 4.5.6}}\nsourcegraph: {image: {defaultTag: 9.9.9, useGlobalTagAsDefault: true}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["image"],
        yaml("index.docker.io/sourcegraph/executor:4.5.6")
    );
}

#[test]
fn executor_replica_count_sets_the_dind_replicas() {
    let out = render(&with(DIND, "executor: {replicaCount: 3}"));
    assert_eq!(
        out.get("Deployment", "executor")["spec"]["replicas"],
        yaml("3")
    );
    let zero = render(&with(DIND, "executor: {replicaCount: 0}"));
    assert_eq!(
        zero.get("Deployment", "executor")["spec"]["replicas"],
        yaml("0")
    );
    refused_at(
        &with(DIND, "executor: {replicaCount: -1}"),
        "executor.replicaCount",
    );
}

#[test]
fn executor_replica_count_other_than_one_is_refused_in_kubernetes_mode() {
    refused_at(
        &with(K8S, "executor: {replicaCount: 2}"),
        "executor.replicaCount",
    );
    let one = render(&with(K8S, "executor: {replicaCount: 1}"));
    assert_eq!(
        one.get("Deployment", "executor")["spec"]["replicas"],
        yaml("1")
    );
}

#[test]
fn executor_env_value_and_value_from_reach_the_executor_sorted() {
    let out = render(&with(
        DIND,
        "executor: {env: {ZED: {value: last}, EXECUTOR_DOCKER_AUTH_CONFIG: {valueFrom: {secretKeyRef: {name: executor-docker-auth, key: config.json}}}, ALPHA: {value: '1'}}}",
    ));
    assert_eq!(out.exec_env("executor", "ZED").as_deref(), Some("last"));
    assert_eq!(out.exec_env("executor", "ALPHA").as_deref(), Some("1"));
    assert_eq!(
        out.env("executor", "executor", "EXECUTOR_DOCKER_AUTH_CONFIG")
            .unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: executor-docker-auth, key: config.json}}")
    );
    let names = out.env_names("executor", "executor");
    let extra: Vec<&String> = names
        .iter()
        .filter(|n| ["ZED", "ALPHA", "EXECUTOR_DOCKER_AUTH_CONFIG"].contains(&n.as_str()))
        .collect();
    assert_eq!(extra, ["ALPHA", "EXECUTOR_DOCKER_AUTH_CONFIG", "ZED"]);
    assert!(render(DIND).env("executor", "executor", "ZED").is_none());
}

#[test]
fn executor_env_managed_variable_is_refused_naming_the_key() {
    for (var, key) in [
        ("EXECUTOR_MAXIMUM_NUM_JOBS", "executor.maximumNumJobs"),
        ("EXECUTOR_FRONTEND_URL", "executor.frontendUrl"),
        ("SRC_LOG_LEVEL", "executor.log.level"),
        ("DOCKER_HOST", "dind.daemonConfig.hosts"),
    ] {
        let config = with(DIND, &format!("executor: {{env: {{{var}: {{value: x}}}}}}"));
        match generate(&config, &Overrides::default()) {
            Err(PipelineError::Config(e)) => {
                let p = e
                    .problems
                    .iter()
                    .find(|p| p.path == format!("executor.env.{var}"))
                    .unwrap_or_else(|| {
                        panic!("no problem at executor.env.{var}: {:?}", e.problems)
                    });
                assert_eq!(p.severity, Severity::Error);
                let text = format!("{} {}", p.message, p.hint.clone().unwrap_or_default());
                assert!(text.contains(key), "{var}: {text}");
            }
            Err(other) => panic!("{var}: expected a config error, got {other}"),
            Ok(_) => panic!("{var} was accepted"),
        }
    }
}

#[test]
fn executor_storage_empty_dir_size_sets_the_scratch_size_limit() {
    assert_eq!(
        render(DIND).volume("executor", "executor-scratch").unwrap()["emptyDir"],
        yaml("{sizeLimit: 20Gi}")
    );
    let out = render(&with(
        DIND,
        "executor: {storage: {type: emptyDir, size: 5Gi}}",
    ));
    assert_eq!(
        out.volume("executor", "executor-scratch").unwrap()["emptyDir"],
        yaml("{sizeLimit: 5Gi}")
    );
    // An empty size means unlimited, and warns.
    let unlimited = render(&with(DIND, "executor: {storage: {size: ''}}"));
    assert_eq!(
        unlimited.volume("executor", "executor-scratch").unwrap()["emptyDir"],
        yaml("{}")
    );
    assert!(
        unlimited.warning_at("executor.storage").is_some(),
        "{:?}",
        unlimited.warnings
    );
    // Both containers share the volume at /scratch.
    for c in ["executor", "dind"] {
        assert_eq!(
            out.mount("executor", c, "/scratch").unwrap()["name"],
            yaml("executor-scratch")
        );
    }
}

#[test]
fn executor_storage_ephemeral_puts_scratch_on_a_per_pod_claim() {
    let out = render(&with(
        DIND,
        "executor: {storage: {type: ephemeral, size: 50Gi, class: premium-rwo}}",
    ));
    assert!(out.has_layer("ephemeral-scratch"));
    let volume = out.volume("executor", "executor-scratch").unwrap();
    assert!(volume.get("emptyDir").is_none(), "{volume:?}");
    let claim = &volume["ephemeral"]["volumeClaimTemplate"]["spec"];
    assert_eq!(claim["resources"]["requests"]["storage"], yaml("50Gi"));
    assert_eq!(claim["storageClassName"], yaml("premium-rwo"));
    assert_eq!(claim["accessModes"], yaml("[ReadWriteOnce]"));
    for c in ["executor", "dind"] {
        assert!(out.mount("executor", c, "/scratch").is_some(), "{c}");
    }
    // No class: the cluster default.
    let default_class = render(&with(
        DIND,
        "executor: {storage: {type: ephemeral, size: 50Gi}}",
    ));
    let spec = &default_class
        .volume("executor", "executor-scratch")
        .unwrap()["ephemeral"]["volumeClaimTemplate"]["spec"];
    assert!(spec.get("storageClassName").is_none());
    // No size: refused.
    refused_at(
        &with(DIND, "executor: {storage: {type: ephemeral}}"),
        "executor.storage.size",
    );
    assert!(!render(DIND).has_layer("ephemeral-scratch"));
}

#[test]
fn executor_pod_security_context_defaults_to_fs_group_101_in_dind() {
    assert_eq!(
        render(DIND).pod_spec("executor")["securityContext"],
        yaml("{fsGroup: 101}")
    );
    let custom = render(&with(
        DIND,
        "executor: {podSecurityContext: {runAsUser: 1000, fsGroup: 2000}}",
    ));
    assert_eq!(
        custom.pod_spec("executor")["securityContext"],
        yaml("{runAsUser: 1000, fsGroup: 2000}")
    );
}

#[test]
fn executor_pod_security_context_empty_removes_it() {
    let out = render(&with(DIND, "executor: {podSecurityContext: {}}"));
    assert!(out.pod_spec("executor").get("securityContext").is_none());
}

#[test]
fn executor_log_levels_and_formats_the_logging_library_reads_are_accepted_in_both_modes() {
    for base in [DIND, K8S] {
        for level in ["debug", "error", "none", "dbug", "crit"] {
            let out = render(&with(
                base,
                &format!("executor: {{log: {{level: {level}}}}}"),
            ));
            assert_eq!(
                out.get("ConfigMap", "executor-config")["data"]["SRC_LOG_LEVEL"],
                yaml(level)
            );
        }
        let out = render(&with(base, "executor: {log: {format: console}}"));
        assert_eq!(
            out.get("ConfigMap", "executor-config")["data"]["SRC_LOG_FORMAT"],
            yaml("console")
        );
        refused_at(
            &with(base, "executor: {log: {level: verbose}}"),
            "executor.log.level",
        );
    }
}

#[test]
fn an_override_with_only_shared_keys_says_which_mode_it_assumed() {
    let bare = DIND.replace("mode: dind\n", "");
    let out = render(&bare);
    assert!(out.has("Deployment", "executor"));
    let w = out
        .warning_at("mode")
        .unwrap_or_else(|| panic!("{:?}", out.warnings));
    assert!(w.message.contains("dind chart's executors"), "{w:?}");
    assert!(w
        .hint
        .as_deref()
        .unwrap_or_default()
        .contains("mode: kubernetes"));
    // Keys only the native chart has are evidence of it, with a word.
    for key in [
        "executor: {debug: {keepJobs: true}}",
        "executor: {debug: {keepWorkspaces: true}}",
        "executor: {log: {trace: 'true'}}",
    ] {
        let out = render(&with(&bare, key));
        assert!(out.has("Role", "sg-executor-role"), "{key}");
        assert!(
            out.warnings
                .iter()
                .any(|w| w.message.contains("only the native Kubernetes chart has")),
            "{key}: {:?}",
            out.warnings
        );
    }
    // A mode said plainly says nothing more.
    assert!(render(DIND).warning_at("mode").is_none());
    assert!(render(K8S).warning_at("mode").is_none());
}

#[test]
fn native_mode_reads_every_key_of_the_password_secret_as_the_chart_does() {
    let out = render(K8S);
    let from = &out.container("executor", "executor")["envFrom"];
    assert_eq!(
        from[1],
        yaml("{secretRef: {name: executor-frontend}}"),
        "{from:?}"
    );
    // dind mode, like its chart, reads only the password.
    assert_eq!(
        seq(&render(DIND).container("executor", "executor")["envFrom"]).len(),
        1
    );
}
