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

/// What dockerd receives when the dind container starts (gVisor's patch applied, as
/// `render` prints it): its command and args run by the real `/bin/sh`, with a stand-in `dockerd` on the PATH that prints its arguments, and
/// `$(VAR)` expanded from the docker ConfigMap as Kubernetes would.
fn dockerd_receives(out: &Out) -> Vec<String> {
    let dind = out.container("executor", "dind");
    let words = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .map(|s| s.iter().map(|w| w.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let (mut command, mut args) = (words(&dind["command"]), words(&dind["args"]));
    let service = out.get("ConfigMap", "executor-docker-config")["data"]
        ["sg-executor-gen.registry-service"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for w in command.iter_mut().chain(args.iter_mut()) {
        *w = w.replace("$(REGISTRY_MIRROR_SERVICE)", &service);
    }
    let dir = crate::common::scratch_dir("dockerd-receives");
    let printed = dir.join("args");
    let stand_in = dir.join("dockerd");
    std::fs::write(
        &stand_in,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\n",
            printed.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stand_in, std::fs::Permissions::from_mode(0o755)).unwrap();
    command[0] = match command[0].as_str() {
        "dockerd" => stand_in.display().to_string(),
        other => other.to_string(),
    };
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new(&command[0])
        .args(&command[1..])
        .args(&args)
        .env("PATH", path)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("the command runs");
    assert!(status.success(), "{command:?} {args:?}");
    let text = std::fs::read_to_string(&printed).expect("dockerd ran");
    text.lines().map(str::to_string).collect()
}

#[test]
fn every_form_of_the_dind_command_gets_the_registry_mirror() {
    let flag = "--registry-mirror=http://executor-registry:5000".to_string();
    // Forms that hand appended arguments to dockerd get the mirror as flags, which follow a
    // namePrefix; a script's first argument is its `$0`, so the tool gives it one.
    for (command, gets) in [
        ("[dockerd]", vec![flag.clone()]),
        (
            "['/bin/sh', '-c', 'exec dockerd \"$@\"']",
            vec![flag.clone()],
        ),
        (
            "[sh, -c, 'mkdir -p /tmp/x; exec dockerd \"$@\"', --, --debug]",
            vec!["--debug".to_string(), flag.clone()],
        ),
    ] {
        let out = render(&with(DIND, &format!("dind: {{command: {command}}}")));
        let received = dockerd_receives(&out);
        for g in &gets {
            assert!(received.contains(g), "{command}: dockerd got {received:?}");
        }
        assert!(out.daemon_json().get("registry-mirrors").is_none());
    }
    // Any other form gets it in daemon.json, as the chart has it, which every form reads.
    for command in [
        "[sh, -c, 'exec dockerd --debug']",
        "[tini, --, dockerd]",
        "[dockerd-entrypoint.sh]",
    ] {
        let out = render(&with(DIND, &format!("dind: {{command: {command}}}")));
        let dind = out.container("executor", "dind");
        assert!(dind.get("args").is_none(), "{command}: {dind:?}");
        assert!(
            out.env("executor", "dind", "REGISTRY_MIRROR_SERVICE")
                .is_none(),
            "{command}"
        );
        let daemon = out.daemon_json();
        assert_eq!(
            daemon["registry-mirrors"],
            serde_json::json!(["http://executor-registry:5000"]),
            "{command}"
        );
        assert_eq!(
            daemon["insecure-registries"],
            serde_json::json!(["executor-registry:5000"])
        );
        let docker = out.get("ConfigMap", "executor-docker-config");
        assert!(docker["data"]
            .get("sg-executor-gen.registry-service")
            .is_none());
    }
    let received = dockerd_receives(&render(&with(
        DIND,
        "dind: {command: [sh, -c, 'exec dockerd --debug']}",
    )));
    assert_eq!(received, ["--debug"]);
}

#[test]
fn the_gvisor_command_gets_the_mirror_in_either_form() {
    // The chart's own gVisor command runs `exec dockerd` without "$@": daemon.json.
    let chart = "dind: {gVisor: {enabled: true, command: [/bin/sh, -c, 'ip link del docker0 2>/dev/null || true\nexec dockerd\n']}}";
    let out = render(&with(DIND, chart));
    assert!(out.container("executor", "dind").get("args").is_none());
    assert_eq!(
        out.daemon_json()["registry-mirrors"],
        serde_json::json!(["http://executor-registry:5000"])
    );
    // Ours passes "$@" on: flags, after the script's $0.
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
    let received = dockerd_receives(&ok);
    assert!(
        received.contains(&"--registry-mirror=http://executor-registry:5000".to_string()),
        "{received:?}"
    );
}

#[test]
fn a_mirror_at_the_charts_registry_while_the_stack_runs_none_warns_and_check_agrees() {
    let out = render(&with(
        DIND,
        "privateDockerRegistry: {enabled: false}\ndind: {daemonConfig: {registry-mirrors: ['http://private-docker-registry:5000'], insecure-registries: ['private-docker-registry:5000']}}",
    ));
    let warning = out
        .warning_at("dind.daemonConfig.registry-mirrors[0]")
        .unwrap_or_else(|| panic!("{:?}", out.warnings));
    assert!(warning.message.contains("runs none"), "{warning:?}");
    // `check` on the same output notes the Service as one that must exist, not a problem
    // (render_with asserts that it finds none).
    let report = sg_executor_gen::check::stream::check_stream(&out.stream).unwrap();
    assert!(
        report.outside.iter().any(|p| p
            .problem
            .message
            .contains("Service private-docker-registry")),
        "{:?}",
        report.outside
    );
    // docs/component.md's way to share one registry: another stack's, by its short name.
    let shared = render(&with(
        DIND,
        "privateDockerRegistry: {enabled: false}\ndind: {daemonConfig: {registry-mirrors: ['http://executor-batches-registry:5000']}}",
    ));
    assert!(shared.warnings.is_empty(), "{:?}", shared.warnings);
}
