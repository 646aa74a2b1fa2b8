//! The knob tests for privateDockerRegistry.*.

use super::*;

#[test]
fn private_docker_registry_enabled_false_drops_the_registry_and_its_mirror() {
    let on = render(DIND);
    // The mirror is dockerd's flags, built from the registry Service's name, which the docker
    // ConfigMap holds exactly (kustomize renames it with the Service), not daemon.json.
    let dind = on.container("executor", "dind");
    assert_eq!(
        dind["args"],
        yaml("['--registry-mirror=http://$(REGISTRY_MIRROR_SERVICE):5000', '--insecure-registry=$(REGISTRY_MIRROR_SERVICE):5000']")
    );
    assert_eq!(
        on.env("executor", "dind", "REGISTRY_MIRROR_SERVICE").unwrap()["valueFrom"],
        yaml("{configMapKeyRef: {name: executor-docker-config, key: sg-executor-gen.registry-service}}")
    );
    assert_eq!(
        on.get("ConfigMap", "executor-docker-config")["data"]["sg-executor-gen.registry-service"],
        yaml("executor-registry")
    );
    assert!(on.daemon_json().get("registry-mirrors").is_none());
    let out = render(&with(DIND, "privateDockerRegistry: {enabled: false}"));
    assert!(!out.has_layer("private-registry"));
    assert!(!out.stream.contains("executor-registry"), "{}", out.stream);
    assert!(out.container("executor", "dind").get("args").is_none());
    let daemon = out.daemon_json();
    assert!(daemon.get("registry-mirrors").is_none(), "{daemon}");
    assert!(daemon.get("insecure-registries").is_none(), "{daemon}");
}

#[test]
fn a_mirror_at_a_registry_the_stack_does_not_run_is_used_as_written() {
    // Another namespace's registry, by its in-cluster name: plain HTTP, so insecure too.
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {enabled: false}\ndind: {daemonConfig: {registry-mirrors: ['http://executor-registry.sourcegraph.svc.cluster.local:5000', 'https://mirror.gcr.io']}}",
    ));
    let daemon = out.daemon_json();
    assert_eq!(
        daemon["registry-mirrors"],
        serde_json::json!([
            "http://executor-registry.sourcegraph.svc.cluster.local:5000",
            "https://mirror.gcr.io"
        ])
    );
    assert_eq!(
        daemon["insecure-registries"],
        serde_json::json!(["executor-registry.sourcegraph.svc.cluster.local:5000"])
    );
}

#[test]
fn with_the_registry_on_every_mirror_is_a_flag_and_the_charts_default_is_ours() {
    // The chart's values.yaml names its own registry; ours takes its place.
    let chart_default = render(&with(
        DIND,
        "dind: {daemonConfig: {registry-mirrors: ['http://private-docker-registry:5000'], insecure-registries: ['private-docker-registry:5000']}}",
    ));
    assert_eq!(
        chart_default.container("executor", "dind")["args"],
        render(DIND).container("executor", "dind")["args"]
    );
    // Another mirror is passed as a flag too: dockerd refuses a directive given both ways.
    let more = render(&with(
        DIND,
        "dind: {daemonConfig: {registry-mirrors: ['https://mirror.gcr.io']}}",
    ));
    let args: Vec<&str> = seq(&more.container("executor", "dind")["args"])
        .iter()
        .map(s)
        .collect();
    assert!(
        args.contains(&"--registry-mirror=https://mirror.gcr.io"),
        "{args:?}"
    );
    assert!(more.daemon_json().get("registry-mirrors").is_none());
    // An FQDN at our own registry in our namespace is ours, and follows --namespace.
    let fqdn = render_with(
        &with(
            DIND,
            "dind: {daemonConfig: {registry-mirrors: ['http://executor-registry.sourcegraph.svc.cluster.local:5000']}}",
        ),
        &Overrides {
            namespace: Some("sourcegraph".into()),
            ..Overrides::default()
        },
    );
    assert_eq!(
        seq(&fqdn.container("executor", "dind")["args"]).len(),
        2,
        "no second flag for our own registry"
    );
}

#[test]
fn a_custom_gvisor_script_must_pass_the_mirror_on() {
    let p = refused_at(
        &with(
            DIND,
            "dind: {gVisor: {enabled: true, command: [/bin/sh, -c, 'exec dockerd']}}",
        ),
        "dind.gVisor.command[2]",
    );
    assert!(
        p.hint.as_deref().unwrap_or_default().contains("\"$@\""),
        "{p:?}"
    );
    let ok = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, command: [/bin/sh, -c, 'exec dockerd \"$@\"']}}",
    ));
    let args: Vec<&str> = seq(&ok.container("executor", "dind")["args"])
        .iter()
        .map(s)
        .collect();
    assert_eq!(args[0], "sh");
    assert!(args[1].starts_with("--registry-mirror="), "{args:?}");
}

#[test]
fn private_docker_registry_image_sets_the_registry_image() {
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {image: {registry: ghcr.io, repository: me/registry, tag: '2.8'}}",
    ));
    assert_eq!(
        out.container("executor-registry", "registry")["image"],
        yaml("ghcr.io/me/registry:2.8")
    );
}

#[test]
fn private_docker_registry_storage_size_sets_the_claim_size() {
    let claim = |out: &Out| {
        out.get("PersistentVolumeClaim", "executor-registry")["spec"]["resources"]["requests"]
            ["storage"]
            .clone()
    };
    assert_eq!(claim(&render(DIND)), yaml("10Gi"));
    assert_eq!(
        claim(&render(&with(
            DIND,
            "privateDockerRegistry: {storageSize: 100Gi}"
        ))),
        yaml("100Gi")
    );
}

#[test]
fn private_docker_registry_env_passes_value_from_through() {
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {env: {REGISTRY_PROXY_USERNAME: {value: bot}, REGISTRY_PROXY_PASSWORD: {valueFrom: {secretKeyRef: {name: dockerhub, key: password}}}}}",
    ));
    let d = "executor-registry";
    assert_eq!(
        out.env(d, "registry", "REGISTRY_PROXY_PASSWORD").unwrap()["valueFrom"],
        yaml("{secretKeyRef: {name: dockerhub, key: password}}")
    );
    assert_eq!(
        out.env(d, "registry", "REGISTRY_PROXY_USERNAME").unwrap()["value"],
        yaml("bot")
    );
    assert_eq!(
        out.env(d, "registry", "REGISTRY_PROXY_REMOTEURL").unwrap()["value"],
        yaml("https://registry-1.docker.io")
    );
}

#[test]
fn private_docker_registry_resources_set_the_registry_resources() {
    assert_eq!(
        render(DIND).container("executor-registry", "registry")["resources"],
        yaml("{limits: {cpu: '1', memory: 1Gi}, requests: {cpu: 100m, memory: 256Mi}}")
    );
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {resources: {limits: {cpu: '2', memory: 2Gi}, requests: {cpu: '1', memory: 1Gi}}}",
    ));
    assert_eq!(
        out.container("executor-registry", "registry")["resources"],
        yaml("{limits: {cpu: '2', memory: 2Gi}, requests: {cpu: '1', memory: 1Gi}}")
    );
}

/// `[prefix/]name`, the name at most 63 characters of alphanumerics, `-`, `_`, `.`.
fn is_qualified_key(key: &str) -> bool {
    let (prefix, name) = key
        .rsplit_once('/')
        .map_or((None, key), |(p, n)| (Some(p), n));
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-.".contains(c))
    });
    name_ok && prefix_ok
}

fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

#[test]
fn private_docker_registry_service_metadata_is_valid() {
    let out = render(&with(
        DIND,
        "sourcegraph: {labels: {enabled: 'true', version: '1.10', example.com/team: infra}}",
    ));
    for name in ["executor-registry", "executor"] {
        let service = out.get("Service", name);
        // Typed: labels and annotations are maps of strings, ports are numbers.
        let json = serde_json::to_value(service).unwrap();
        let typed: k8s_openapi::api::core::v1::Service =
            serde_json::from_value(json).unwrap_or_else(|e| panic!("Service/{name}: {e}"));
        let meta = typed.metadata;
        for (k, v) in meta.labels.iter().flatten() {
            assert!(
                is_qualified_key(k) && is_label_value(v),
                "Service/{name} label {k}={v}"
            );
        }
        for (k, _) in meta.annotations.iter().flatten() {
            assert!(is_qualified_key(k), "Service/{name} annotation {k}");
        }
        let labels = meta.labels.unwrap();
        assert_eq!(labels["enabled"], "true");
        assert_eq!(labels["version"], "1.10");
        assert_eq!(labels["example.com/team"], "infra");
    }
    let registry = out.get("Service", "executor-registry");
    assert_eq!(
        registry["spec"]["ports"],
        yaml("[{name: http, port: 5000, targetPort: http, protocol: TCP}]")
    );
    assert!(selects(
        &registry["spec"]["selector"],
        &out.pod("executor-registry")["metadata"]["labels"]
    ));
    assert_eq!(
        out.get("Service", "executor")["metadata"]["annotations"]["prometheus.io/port"],
        yaml("'6060'")
    );
}
