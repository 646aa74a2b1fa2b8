//! The knob tests for Native Kubernetes mode.

use super::*;

#[test]
fn executor_configure_rbac_renders_service_account_role_and_binding() {
    let out = render(K8S);
    // The chart's shared names: one stack creates them, every other stack reuses them.
    assert!(out.has("ServiceAccount", "sg-executor"));
    assert_eq!(
        out.get("Role", "sg-executor-role")["rules"],
        yaml(
            "
- {apiGroups: [batch], resources: [jobs], verbs: [create, delete]}
- {apiGroups: [''], resources: [pods, pods/log], verbs: [get, list, watch]}
- {apiGroups: [''], resources: [secrets, persistentvolumeclaims], verbs: [get, list, create, delete]}
"
        )
    );
    let binding = out.get("RoleBinding", "sg-executor-role-binding");
    assert_eq!(
        binding["roleRef"],
        yaml("{apiGroup: rbac.authorization.k8s.io, kind: Role, name: sg-executor-role}")
    );
    assert_eq!(binding["subjects"][0]["kind"], yaml("ServiceAccount"));
    assert_eq!(binding["subjects"][0]["name"], yaml("sg-executor"));
    assert_eq!(
        out.pod_spec("executor")["serviceAccountName"],
        yaml("sg-executor")
    );
    // No stack identity on them: a second stack renders the very same objects.
    let other = render(
        "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {name: codeintel}\nspec:\n  mode: kubernetes\n  executor:\n    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n    frontendExistingSecret: executor-frontend\n    queueName: codeintel\n",
    );
    for (kind, name) in [
        ("ServiceAccount", "sg-executor"),
        ("Role", "sg-executor-role"),
        ("RoleBinding", "sg-executor-role-binding"),
    ] {
        assert_eq!(out.get(kind, name), other.get(kind, name), "{kind}/{name}");
        assert!(out.get(kind, name)["metadata"]["labels"]
            .get("app.kubernetes.io/instance")
            .is_none());
    }
}

#[test]
fn executor_configure_rbac_binding_subject_is_in_the_rendered_namespace() {
    let flag = render_with(
        K8S,
        &Overrides {
            namespace: Some("tools".into()),
            ..Overrides::default()
        },
    );
    let krm = render(
        "apiVersion: sg-executor-gen/v1alpha1\nkind: ExecutorDeployment\nmetadata: {name: executor, namespace: sg}\nspec:\n  mode: kubernetes\n  executor:\n    frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080\n    frontendExistingSecret: executor-frontend\n    queueName: batches\n",
    );
    for (out, ns) in [(&flag, "tools"), (&krm, "sg")] {
        let binding = out.get("RoleBinding", "sg-executor-role-binding");
        assert_eq!(binding["metadata"]["namespace"], yaml(ns));
        assert_eq!(binding["subjects"][0]["namespace"], yaml(ns));
        assert_eq!(
            out.get("ServiceAccount", "sg-executor")["metadata"]["namespace"],
            yaml(ns)
        );
    }
}

#[test]
fn executor_configure_rbac_without_a_namespace_binds_the_bindings_own_namespace() {
    // As in the chart: no subject namespace, which Kubernetes reads as the binding's own,
    // so `kubectl apply -n NS` binds NS/sg-executor, not default/sg-executor.
    let out = render(K8S);
    let subject = &out.get("RoleBinding", "sg-executor-role-binding")["subjects"][0];
    assert!(subject.get("namespace").is_none(), "{subject:?}");
    assert_eq!(subject["name"], yaml("sg-executor"));
}

#[test]
fn executor_configure_rbac_false_renders_no_rbac_and_warns() {
    let out = render(&with(K8S, "executor: {configureRbac: false}"));
    for kind in ["ServiceAccount", "Role", "RoleBinding"] {
        assert!(out.names_of(kind).is_empty(), "{kind}");
    }
    let w = out.warning_at("executor.configureRbac").expect("a warning");
    assert!(
        w.message.contains("sg-executor, which must exist"),
        "{}",
        w.message
    );
    assert!(
        w.hint
            .as_deref()
            .unwrap_or_default()
            .contains("exactly one stack"),
        "{w:?}"
    );
    // The pod still runs as the shared ServiceAccount another stack creates.
    assert_eq!(
        out.pod_spec("executor")["serviceAccountName"],
        yaml("sg-executor")
    );
}

#[test]
fn executor_namespace_sets_the_job_namespace() {
    let default = render(K8S);
    assert_eq!(
        default
            .env("executor", "executor", "EXECUTOR_KUBERNETES_NAMESPACE")
            .unwrap()["valueFrom"],
        yaml("{fieldRef: {apiVersion: v1, fieldPath: metadata.namespace}}")
    );
    let out = render(&with(K8S, "executor: {namespace: jobs}"));
    let var = out
        .env("executor", "executor", "EXECUTOR_KUBERNETES_NAMESPACE")
        .unwrap();
    assert_eq!(var["value"], yaml("jobs"));
    assert!(var.get("valueFrom").is_none());
    assert_eq!(out.config("EXECUTOR_KUBERNETES_NAMESPACE"), None);
}

#[test]
fn executor_kubeconfig_path_reaches_the_executor_only_when_set() {
    assert_eq!(render(K8S).config("EXECUTOR_KUBERNETES_CONFIG_PATH"), None);
    assert_eq!(
        render(&with(K8S, "executor: {kubeconfigPath: ''}"))
            .config("EXECUTOR_KUBERNETES_CONFIG_PATH"),
        None
    );
    let out = render(&with(K8S, "executor: {kubeconfigPath: /etc/kube/config}"));
    assert_eq!(
        out.config("EXECUTOR_KUBERNETES_CONFIG_PATH").as_deref(),
        Some("/etc/kube/config")
    );
}

/// Renders the k8s config with `extra` and returns ConfigMap key `var`, and its default.
fn job_setting(extra: &str, var: &str) -> (Option<String>, Option<String>) {
    let out = render(&with(K8S, extra));
    // Job settings are never on the pod spec directly.
    assert!(out.env("executor", "executor", var).is_none());
    (out.config(var), render(K8S).config(var))
}

#[test]
fn executor_kubernetes_job_deadline_reaches_the_executor() {
    // The chart writes it as a string.
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {deadline: '1800'}}",
        "KUBERNETES_JOB_DEADLINE",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("1800"), Some("1800"))
    );
    refused_at(
        &with(K8S, "executor: {kubernetesJob: {deadline: 0}}"),
        "executor.kubernetesJob.deadline",
    );
}

#[test]
fn executor_kubernetes_job_run_as_user_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {runAsUser: 1001}}",
        "KUBERNETES_RUN_AS_USER",
    );
    assert_eq!((set.as_deref(), default), (Some("1001"), None));
}

#[test]
fn executor_kubernetes_job_run_as_group_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {runAsGroup: 1002}}",
        "KUBERNETES_RUN_AS_GROUP",
    );
    assert_eq!((set.as_deref(), default), (Some("1002"), None));
}

#[test]
fn executor_kubernetes_job_run_as_minus_one_means_unset() {
    let out = render(&with(
        K8S,
        "executor: {kubernetesJob: {runAsUser: -1, runAsGroup: -1}}",
    ));
    assert_eq!(out.config("KUBERNETES_RUN_AS_USER"), None);
    assert_eq!(out.config("KUBERNETES_RUN_AS_GROUP"), None);
}

#[test]
fn executor_kubernetes_job_fs_group_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {fsGroup: '2000'}}",
        "KUBERNETES_FS_GROUP",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("2000"), Some("1000"))
    );
}

#[test]
fn executor_kubernetes_job_resources_requests_cpu_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {requests: {cpu: '1'}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU",
    );
    assert_eq!((set.as_deref(), default), (Some("1"), None));
}

#[test]
fn executor_kubernetes_job_resources_requests_memory_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {requests: {memory: 2Gi}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("2Gi"), Some("1Gi"))
    );
}

#[test]
fn executor_kubernetes_job_resources_limits_cpu_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {limits: {cpu: '2'}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU",
    );
    assert_eq!((set.as_deref(), default), (Some("2"), None));
}

#[test]
fn executor_kubernetes_job_resources_limits_memory_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {resources: {limits: {memory: 8Gi}}}}",
        "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY",
    );
    assert_eq!(
        (set.as_deref(), default.as_deref()),
        (Some("8Gi"), Some("12Gi"))
    );
    refused_at(
        &with(
            K8S,
            "executor: {kubernetesJob: {resources: {limits: {memory: 8GB}}}}",
        ),
        "executor.kubernetesJob.resources.limits.memory",
    );
}

#[test]
fn executor_kubernetes_job_node_name_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {node: {name: node-1}}}",
        "EXECUTOR_KUBERNETES_NODE_NAME",
    );
    assert_eq!((set.as_deref(), default), (Some("node-1"), None));
}

#[test]
fn executor_kubernetes_job_node_selector_reaches_the_executor() {
    let (set, default) = job_setting(
        "executor: {kubernetesJob: {node: {selector: 'pool=executors,disk=ssd'}}}",
        "EXECUTOR_KUBERNETES_NODE_SELECTOR",
    );
    assert_eq!(
        (set.as_deref(), default),
        (Some("pool=executors,disk=ssd"), None)
    );
    refused_at(
        &with(K8S, "executor: {kubernetesJob: {node: {selector: 'pool'}}}"),
        "executor.kubernetesJob.node.selector",
    );
}

#[test]
fn executor_kubernetes_job_node_tolerations_reach_the_executor() {
    let json = r#"[{"key": "executors", "operator": "Exists", "effect": "NoSchedule"}]"#;
    let (set, default) = job_setting(
        &format!("executor: {{kubernetesJob: {{node: {{tolerations: '{json}'}}}}}}"),
        "EXECUTOR_KUBERNETES_NODE_TOLERATIONS",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
    refused_at(
        &with(
            K8S,
            "executor: {kubernetesJob: {node: {tolerations: '[{\"kee\": \"x\"}]'}}}",
        ),
        "executor.kubernetesJob.node.tolerations",
    );
}

#[test]
fn executor_kubernetes_job_node_required_affinity_match_expressions_reach_the_executor() {
    let json = r#"[{"key": "foo", "operator": "In", "values": ["bar"]}]"#;
    let (set, default) = job_setting(
        &format!(
            "executor: {{kubernetesJob: {{node: {{requiredAffinityMatchExpressions: '{json}'}}}}}}"
        ),
        "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
}

#[test]
fn executor_kubernetes_job_node_required_affinity_match_fields_reach_the_executor() {
    let json = r#"[{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]"#;
    let (set, default) = job_setting(
        &format!(
            "executor: {{kubernetesJob: {{node: {{requiredAffinityMatchFields: '{json}'}}}}}}"
        ),
        "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
}

#[test]
fn executor_kubernetes_job_pod_affinity_reaches_the_executor() {
    let json = r#"[{"labelSelector": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}, "topologyKey": "kubernetes.io/hostname"}]"#;
    let (set, default) = job_setting(
        &format!("executor: {{kubernetesJob: {{pod: {{affinity: '{json}'}}}}}}"),
        "EXECUTOR_KUBERNETES_POD_AFFINITY",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
    refused_at(
        &with(
            K8S,
            "executor: {kubernetesJob: {pod: {affinity: 'not json'}}}",
        ),
        "executor.kubernetesJob.pod.affinity",
    );
}

#[test]
fn executor_kubernetes_job_pod_anti_affinity_reaches_the_executor() {
    let json = r#"[{"labelSelector": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["baz"]}]}, "topologyKey": "kubernetes.io/hostname"}]"#;
    let (set, default) = job_setting(
        &format!("executor: {{kubernetesJob: {{pod: {{antiAffinity: '{json}'}}}}}}"),
        "EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY",
    );
    assert_eq!((set.as_deref(), default), (Some(json), None));
}

#[test]
fn executor_debug_keep_jobs_reaches_the_executor() {
    // The chart writes it as a string.
    let (set, default) = job_setting(
        "executor: {debug: {keepJobs: 'true'}}",
        "KUBERNETES_KEEP_JOBS",
    );
    assert_eq!((set.as_deref(), default), (Some("true"), None));
}

#[test]
fn executor_debug_keep_workspaces_reaches_the_executor() {
    assert_eq!(render(K8S).config("EXECUTOR_KEEP_WORKSPACES"), None);
    let k8s = render(&with(K8S, "executor: {debug: {keepWorkspaces: 'true'}}"));
    assert_eq!(
        k8s.config("EXECUTOR_KEEP_WORKSPACES").as_deref(),
        Some("true")
    );
    let dind = render(&with(DIND, "executor: {debug: {keepWorkspaces: true}}"));
    assert_eq!(
        dind.config("EXECUTOR_KEEP_WORKSPACES").as_deref(),
        Some("true")
    );
}

#[test]
fn executor_docker_add_host_gateway_reaches_the_executor() {
    assert_eq!(render(K8S).config("EXECUTOR_DOCKER_ADD_HOST_GATEWAY"), None);
    let out = render(&with(K8S, "executor: {dockerAddHostGateway: 'true'}"));
    assert_eq!(
        out.config("EXECUTOR_DOCKER_ADD_HOST_GATEWAY").as_deref(),
        Some("true")
    );
    let off = render(&with(K8S, "executor: {dockerAddHostGateway: false}"));
    assert_eq!(
        off.config("EXECUTOR_DOCKER_ADD_HOST_GATEWAY").as_deref(),
        Some("false")
    );
}

#[test]
fn executor_node_selector_affinity_tolerations_schedule_the_kubernetes_executor() {
    let affinity = "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: In, values: [executors]}]}]}}}";
    let out = render(&with(
        K8S,
        &format!("executor: {{nodeSelector: {{pool: executors}}, tolerations: [{{key: executors, operator: Exists, effect: NoSchedule}}], affinity: {affinity}}}"),
    ));
    assert!(out.has_layer("scheduling"));
    let spec = out.pod_spec("executor");
    assert_eq!(spec["nodeSelector"], yaml("{pool: executors}"));
    assert_eq!(
        spec["tolerations"],
        yaml("[{key: executors, operator: Exists, effect: NoSchedule}]")
    );
    assert_eq!(spec["affinity"], yaml(affinity));
    // The executor's own keys win over sourcegraph.*.
    let both = render(&with(
        K8S,
        "sourcegraph: {nodeSelector: {pool: global}}\nexecutor: {nodeSelector: {pool: mine}}",
    ));
    assert_eq!(
        both.pod_spec("executor")["nodeSelector"],
        yaml("{pool: mine}")
    );
    assert!(render(K8S)
        .pod_spec("executor")
        .get("nodeSelector")
        .is_none());
}

#[test]
fn executor_extra_env_reaches_the_kubernetes_executor() {
    let out = render(&with(
        K8S,
        "executor: {extraEnv: [{name: MY_ENV, value: my_value}, {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}]}",
    ));
    assert_eq!(
        out.exec_env("executor", "MY_ENV").as_deref(),
        Some("my_value")
    );
    assert_eq!(
        out.env("executor", "executor", "FROM_SECRET").unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: s, key: k}}")
    );
    let p = refused_at(
        &with(
            K8S,
            "executor: {extraEnv: [{name: KUBERNETES_JOB_DEADLINE, value: '1'}]}",
        ),
        "executor.extraEnv[0].name",
    );
    assert!(p
        .hint
        .unwrap_or_default()
        .contains("executor.kubernetesJob.deadline"));
}

#[test]
fn executor_container_security_context_sets_the_kubernetes_executor_container() {
    assert_eq!(
        render(K8S).container("executor", "executor")["securityContext"],
        yaml("{privileged: false}")
    );
    let out = render(&with(
        K8S,
        "executor: {containerSecurityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}}",
    ));
    assert_eq!(
        out.container("executor", "executor")["securityContext"],
        yaml("{runAsNonRoot: true, allowPrivilegeEscalation: false}")
    );
}

#[test]
fn executor_pod_security_context_sets_the_kubernetes_executor_pod() {
    assert!(render(K8S)
        .pod_spec("executor")
        .get("securityContext")
        .is_none());
    let out = render(&with(
        K8S,
        "executor: {podSecurityContext: {fsGroup: 3000}}",
    ));
    assert_eq!(
        out.pod_spec("executor")["securityContext"],
        yaml("{fsGroup: 3000}")
    );
}

#[test]
fn executor_security_context_legacy_fills_the_pod_security_context_and_warns() {
    let out = render(&with(
        K8S,
        "executor: {securityContext: {runAsUser: 1000, runAsGroup: 1001, fsGroup: 1002}}",
    ));
    assert_eq!(
        out.pod_spec("executor")["securityContext"],
        yaml("{runAsUser: 1000, runAsGroup: 1001, fsGroup: 1002}")
    );
    assert!(
        out.warning_at("executor.securityContext").is_some(),
        "{:?}",
        out.warnings
    );
    // The chart ignores `privileged`; it never becomes a privileged container.
    let p = refused_at(
        &with(K8S, "executor: {securityContext: {privileged: true}}"),
        "executor.securityContext.privileged",
    );
    assert!(p.message.contains("chart ignores"), "{}", p.message);
    let not = render(&with(
        K8S,
        "executor: {securityContext: {privileged: false}}",
    ));
    assert_eq!(
        not.container("executor", "executor")["securityContext"],
        yaml("{privileged: false}")
    );
    // podSecurityContext wins over the legacy key.
    let both = render(&with(
        K8S,
        "executor: {securityContext: {runAsUser: 1000}, podSecurityContext: {fsGroup: 5}}",
    ));
    assert_eq!(
        both.pod_spec("executor")["securityContext"],
        yaml("{fsGroup: 5}")
    );
}

#[test]
fn executor_storage_size_mounts_a_data_claim() {
    let none = render(K8S);
    assert!(none.names_of("PersistentVolumeClaim").is_empty());
    assert!(none.mount("executor", "executor", "/data").is_none());
    assert_eq!(
        none.config("EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME"),
        None
    );

    let out = render(&with(K8S, "executor: {storageSize: 100Gi}"));
    let claim = out.get("PersistentVolumeClaim", "executor-data");
    assert_eq!(
        claim["spec"]["resources"]["requests"]["storage"],
        yaml("100Gi")
    );
    assert_eq!(
        out.mount("executor", "executor", "/data").unwrap()["name"],
        yaml("data")
    );
    assert_eq!(
        out.volume("executor", "data").unwrap()["persistentVolumeClaim"],
        yaml("{claimName: executor-data}")
    );
    assert_eq!(
        out.config("EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME")
            .as_deref(),
        Some("executor-data")
    );
}

#[test]
fn the_charts_escaped_json_forms_are_read_as_the_chart_reads_them() {
    // The k8s chart's values.yaml documents these with escaped quotes, in single quotes.
    let toleration =
        r#"[{\"key\":\"foo\",\"operator\":\"Equal\",\"value\":\"bar\",\"effect\":\"NoSchedule\"}]"#;
    let expression = r#"[{\"key\":\"foo\",\"operator\":\"In\",\"values\":[\"bar\"]}]"#;
    let term = r#"[{\"labelSelector\": {\"matchExpressions\": [{\"key\": \"foo\",\"operator\": \"In\",\"values\": [\"bar\"]}]},\"topologyKey\": \"kubernetes.io/hostname\"}]"#;
    let out = render(&with(
        K8S,
        &format!(
            "executor: {{kubernetesJob: {{node: {{tolerations: '{toleration}', requiredAffinityMatchExpressions: '{expression}', requiredAffinityMatchFields: '{expression}'}}, pod: {{affinity: '{term}', antiAffinity: '{term}'}}}}}}"
        ),
    ));
    let data = &out.get("ConfigMap", "executor-config")["data"];
    for (var, escaped) in [
        ("EXECUTOR_KUBERNETES_NODE_TOLERATIONS", toleration),
        (
            "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
            expression,
        ),
        (
            "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
            expression,
        ),
        ("EXECUTOR_KUBERNETES_POD_AFFINITY", term),
        ("EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY", term),
    ] {
        // What the executor gets is the JSON the chart's ConfigMap holds.
        assert_eq!(
            data[var].as_str(),
            Some(escaped.replace("\\\"", "\"").as_str()),
            "{var}"
        );
    }
}
