//! The knob tests for dind.*.

use super::*;

#[test]
fn dind_image_sets_the_dind_image() {
    assert!(s(&render(DIND).container("executor", "dind")["image"]).starts_with(DIND_IMAGE));
    let out = render(&with(
        DIND,
        "dind: {image: {registry: my.registry, repository: mirror/docker, tag: 27-dind}}",
    ));
    assert_eq!(
        out.container("executor", "dind")["image"],
        yaml("my.registry/mirror/docker:27-dind")
    );
    // A tag alone applies to the pinned default repository, and warns.
    let tag_only = render(&with(DIND, "dind: {image: {tag: '27'}}"));
    assert_eq!(
        tag_only.container("executor", "dind")["image"],
        yaml("index.docker.io/sourcegraph/dind:27")
    );
    assert!(tag_only.warning_at("dind.image.tag").is_some());
}

#[test]
fn dind_command_replaces_dockerd() {
    assert_eq!(
        render(DIND).container("executor", "dind")["command"],
        yaml("[dockerd]")
    );
    let out = render(&with(DIND, "dind: {command: [dockerd, --debug]}"));
    assert_eq!(
        out.container("executor", "dind")["command"],
        yaml("[dockerd, --debug]")
    );
    refused_at(&with(DIND, "dind: {command: []}"), "dind.command");
}

#[test]
fn dind_daemon_config_merges_over_the_defaults() {
    let default = render(DIND).daemon_json();
    assert_eq!(default["mtu"], serde_json::json!(1200));
    assert_eq!(
        default["hosts"],
        serde_json::json!(["tcp://127.0.0.1:2375"])
    );
    assert_eq!(default["tls"], serde_json::json!(false));

    let out = render(&with(
        DIND,
        "dind: {daemonConfig: {debug: true, mtu: null, log-level: warn}}",
    ));
    let daemon = out.daemon_json();
    assert_eq!(daemon["debug"], serde_json::json!(true));
    assert_eq!(daemon["log-level"], serde_json::json!("warn"));
    assert!(
        daemon.get("mtu").is_none(),
        "null removes a default key: {daemon}"
    );
    assert_eq!(daemon["hosts"], serde_json::json!(["tcp://127.0.0.1:2375"]));
    assert_eq!(daemon["tls"], serde_json::json!(false));
    // dockerd must stay on loopback.
    refused_at(
        &with(
            DIND,
            "dind: {daemonConfig: {hosts: ['tcp://0.0.0.0:2375']}}",
        ),
        "dind.daemonConfig.hosts[0]",
    );
}

#[test]
fn dind_daemon_config_change_rolls_the_pods() {
    let base = render(DIND).checksum("executor");
    let changed = render(&with(DIND, "dind: {daemonConfig: {mtu: 1400}}")).checksum("executor");
    let same = render(&with(DIND, "dind: {daemonConfig: {mtu: 1200}}")).checksum("executor");
    assert_ne!(base, changed);
    assert_eq!(base, same);
}

#[test]
fn dind_resources_set_the_dind_container_resources() {
    assert_eq!(
        render(DIND).container("executor", "dind")["resources"],
        yaml("{limits: {cpu: '4', memory: 12Gi}, requests: {cpu: '4', memory: 12Gi}}")
    );
    let out = render(&with(
        DIND,
        "dind: {resources: {limits: {cpu: '8', memory: 16Gi}, requests: {cpu: '2', memory: 8Gi}}}",
    ));
    assert_eq!(
        out.container("executor", "dind")["resources"],
        yaml("{limits: {cpu: '8', memory: 16Gi}, requests: {cpu: '2', memory: 8Gi}}")
    );
    // The executor container keeps its own.
    assert_eq!(
        out.container("executor", "executor")["resources"],
        render(DIND).container("executor", "executor")["resources"]
    );
}

#[test]
fn dind_gvisor_enabled_runs_dind_in_the_sandbox() {
    let plain = render(DIND);
    let out = render(&with(DIND, "dind: {gVisor: {enabled: true}}"));
    assert!(out.has_layer("gvisor") && !plain.has_layer("gvisor"));
    assert_eq!(out.pod_spec("executor")["runtimeClassName"], yaml("gvisor"));
    assert!(plain.pod_spec("executor").get("runtimeClassName").is_none());

    let dind = out.container("executor", "dind");
    let sc = &dind["securityContext"];
    assert!(sc.get("privileged").is_none(), "{sc:?}");
    let caps: Vec<&str> = seq(&sc["capabilities"]["add"]).iter().map(s).collect();
    for cap in ["SYS_ADMIN", "NET_ADMIN"] {
        assert!(caps.contains(&cap), "{caps:?}");
    }
    assert!(
        !out.stream.contains("privileged"),
        "nothing is privileged under gVisor"
    );

    let command: Vec<&str> = seq(&dind["command"]).iter().map(s).collect();
    assert_eq!(&command[..2], ["/bin/sh", "-c"]);
    assert!(
        command[2].trim_end().ends_with("exec dockerd \"$@\""),
        "{}",
        command[2]
    );

    let daemon = out.daemon_json();
    assert_eq!(daemon["storage-driver"], serde_json::json!("vfs"));
    assert_eq!(daemon["iptables"], serde_json::json!(false));
    assert!(plain.daemon_json().get("storage-driver").is_none());

    // vfs keeps a full copy of every layer: bounded by default, like /scratch.
    assert_eq!(
        out.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{sizeLimit: 50Gi}")
    );
    assert_eq!(
        out.mount("executor", "dind", "/var/lib/docker").unwrap()["name"],
        yaml("docker")
    );
    // Without gVisor /var/lib/docker is bounded too, by its own key (`knobs::drain`).
    assert_eq!(
        plain.volume("executor", "docker").unwrap()["emptyDir"],
        yaml("{sizeLimit: 50Gi}")
    );

    assert_ne!(out.checksum("executor"), plain.checksum("executor"));
    let tuned = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true}, daemonConfig: {debug: true}}",
    ));
    assert_ne!(tuned.checksum("executor"), out.checksum("executor"));
}

#[test]
fn dind_gvisor_command_and_security_context_replace_the_defaults() {
    let out = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, command: [dockerd, --debug], securityContext: {capabilities: {add: [SYS_ADMIN]}}}}",
    ));
    let dind = out.container("executor", "dind");
    assert_eq!(dind["command"], yaml("[dockerd, --debug]"));
    assert_eq!(
        dind["securityContext"],
        yaml("{capabilities: {add: [SYS_ADMIN]}}")
    );
}

#[test]
fn dind_command_flags_that_daemon_json_also_sets_are_refused() {
    // dockerd refuses to start when a setting is both a flag and in daemon.json.
    refused_at(
        &with(
            DIND,
            "dind: {command: [dockerd, \"--host=tcp://0.0.0.0:2375\"]}",
        ),
        "dind.command[1]",
    );
    refused_at(
        &with(DIND, "dind: {command: [sh, -c, \"dockerd --mtu=1400\"]}"),
        "dind.command[2]",
    );
    refused_at(
        &with(
            DIND,
            "dind: {gVisor: {enabled: true, command: [dockerd, --iptables=false]}}",
        ),
        "dind.gVisor.command[1]",
    );
}

#[test]
fn dind_gvisor_daemon_config_merges_over_the_gvisor_defaults() {
    let out = render(&with(
        DIND,
        "dind: {gVisor: {enabled: true, daemonConfig: {debug: true}}}",
    ));
    let daemon = out.daemon_json();
    assert_eq!(daemon["debug"], serde_json::json!(true));
    // dockerd cannot run under gVisor without these.
    assert_eq!(
        daemon["storage-driver"],
        serde_json::json!("vfs"),
        "{daemon}"
    );
    assert_eq!(daemon["iptables"], serde_json::json!(false), "{daemon}");
}

#[test]
fn dind_command_host_and_config_file_flags_are_refused_in_any_form() {
    // As dockerd reads its flags: combined short flags, the value in the next argument.
    let problems = refused(&with(
        DIND,
        "dind: {command: [dockerd, '--config-file=/tmp/d.json', -DH, 'tcp://0.0.0.0:2375']}",
    ));
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        ["dind.command[1]", "dind.command[2]"],
        "{problems:?}"
    );
    assert!(problems[1].message.contains("`-DH tcp://0.0.0.0:2375`"));
    for command in [
        "[dockerd, -Htcp://0.0.0.0:2375]",
        "[dockerd, -H=tcp://0.0.0.0:2375]",
        "[dockerd, --host, 'tcp://0.0.0.0:2375']",
        "[dockerd, --config-file, /tmp/d.json]",
        // A wrapper's `--` does not hide the dockerd after it.
        "[tini, --, dockerd, -H, 'tcp://0.0.0.0:2375']",
    ] {
        let problems = refused(&with(DIND, &format!("dind: {{command: {command}}}")));
        assert!(
            problems.iter().all(|p| p.path.starts_with("dind.command[")),
            "{command}: {problems:?}"
        );
    }
    // The gVisor command is read the same way.
    refused_at(
        &with(
            DIND,
            "dind: {gVisor: {enabled: true, command: [dockerd, -DH, 'tcp://0.0.0.0:2375']}}",
        ),
        "dind.gVisor.command[1]",
    );
}

#[test]
fn dind_command_shell_scripts_may_not_set_hosts_or_write_daemon_json() {
    for script in [
        "exec dockerd -DHtcp://0.0.0.0:2375",
        "dockerd \"--host=tcp://0.0.0.0:2375\"",
        "eval 'dockerd -H tcp://0.0.0.0:2375'",
        "exec dockerd --config-file=/tmp/d.json",
        "echo '{\"hosts\": [\"tcp://0.0.0.0:2375\"]}' > /etc/docker/daemon.json; exec dockerd",
        "cp /tmp/x /etc/do''cker/daemon.js''on && exec dockerd",
    ] {
        let config = with(
            DIND,
            &format!(
                "dind: {{command: [/bin/bash, -ec, {}]}}",
                serde_json::json!(script)
            ),
        );
        refused_at(&config, "dind.command[2]");
    }
    // A flag for a setting daemon.json has stops dockerd, in a script too.
    refused_at(
        &with(DIND, "dind: {command: [sh, -c, 'exec dockerd --mtu=1500']}"),
        "dind.command[2]",
    );
    refused_at(
        &with(
            DIND,
            "dind: {gVisor: {enabled: true, command: [sh, -c, 'dockerd -H tcp://0.0.0.0:2375']}}",
        ),
        "dind.gVisor.command[2]",
    );
    // What the script does besides is its own business.
    let out = render(&with(
        DIND,
        "dind: {command: [sh, -c, 'mkdir -p /var/lib/docker && exec dockerd --debug -l info']}",
    ));
    assert_eq!(s(&out.container("executor", "dind")["command"][0]), "sh");
    render(&with(
        DIND,
        "dind: {command: [dockerd, -D, --log-level, debug]}",
    ));
    render(&with(DIND, "dind: {gVisor: {enabled: true}}"));
}

#[test]
fn a_host_or_config_file_after_a_scripts_zero_or_a_double_dash_is_refused() {
    // `--` in `$0`'s place is the script's name, not the end of dockerd's flags: "$@" hands
    // the next argument to dockerd.
    for (command, at) in [
        (
            r#"[sh, -c, 'mkdir -p /scratch; exec dockerd "$@"', --, --config-file=/scratch/x.json]"#,
            "dind.command[4]",
        ),
        (
            r#"[sh, -c, 'exec dockerd "$@"', --, -H, 'tcp://0.0.0.0:2375']"#,
            "dind.command[4]",
        ),
        (
            r#"[sh, -c, 'exec dockerd "$@"', --, '--host=tcp://0.0.0.0:2375']"#,
            "dind.command[4]",
        ),
        (r#"[sh, -c, 'exec dockerd "$0"', -H]"#, "dind.command[3]"),
        // Whatever precedes it: a `--`, a flag that would take it as its value.
        ("[dockerd, --, -H, 'tcp://0.0.0.0:2375']", "dind.command[2]"),
        ("[dockerd, -p, -H, 'tcp://0.0.0.0:2375']", "dind.command[2]"),
        // A script that sets its own parameters first.
        (
            r#"[sh, -c, 'set -- -H tcp://0.0.0.0:2375; exec dockerd "$@"']"#,
            "dind.command[2]",
        ),
    ] {
        let p = refused_at(&with(DIND, &format!("dind: {{command: {command}}}")), at);
        assert!(
            p.message.contains("sets where dockerd listens")
                || p.message.contains("another daemon.json"),
            "{command}: {p:?}"
        );
    }
    refused_at(
        &with(
            DIND,
            r#"dind: {gVisor: {enabled: true, command: [sh, -c, 'exec dockerd "$@"', --, --config-file=/scratch/x.json]}}"#,
        ),
        "dind.gVisor.command[4]",
    );
}

#[test]
fn a_setting_a_script_hands_dockerd_through_its_parameters_is_read_as_dockerd_reads_it() {
    // `--mtu` reaches dockerd through "$@" after the `--` that is `$0`; daemon.json has mtu.
    let p = refused_at(
        &with(
            DIND,
            r#"dind: {command: [sh, -c, 'exec dockerd "$@"', --, --mtu=1400]}"#,
        ),
        "dind.command[2]",
    );
    assert!(p.message.contains("`--mtu=1400` sets `mtu`"), "{p:?}");
    // A parameter the script never hands on is nobody's business.
    render(&with(
        DIND,
        r#"dind: {command: [sh, -c, 'exec dockerd --debug', --, --mtu=1400]}"#,
    ));
}

#[test]
fn a_daemon_config_dockerd_would_refuse_to_start_with_is_refused_with_the_reason() {
    for (config, at, says) in [
        (
            "dind: {daemonConfig: {dbug: true}}",
            "dind.daemonConfig.dbug",
            "does not know the directive `dbug`",
        ),
        (
            "dind: {daemonConfig: {proxies: {http-proxyy: 'http://p:3128'}}}",
            "dind.daemonConfig.proxies.http-proxyy",
            "does not know the directive `http-proxyy`",
        ),
        (
            "dind: {daemonConfig: {mtu: '1400'}}",
            "dind.daemonConfig.mtu",
            "reads `mtu` as a whole number",
        ),
        (
            "dind: {daemonConfig: {debug: 'yes'}}",
            "dind.daemonConfig.debug",
            "reads `debug` as true or false",
        ),
        (
            "dind: {daemonConfig: {log-opts: {max-file: 3}}}",
            "dind.daemonConfig.log-opts",
            "a mapping of strings",
        ),
        (
            "privateDockerRegistry: {enabled: false}\ndind: {daemonConfig: {registry-mirrors: ['\"https://mirror.gcr.io\"']}}",
            "dind.daemonConfig.registry-mirrors[0]",
            "is not a URL",
        ),
        (
            "dind: {daemonConfig: {registry-mirrors: ['https://\"mirror.gcr.io\"']}}",
            "dind.daemonConfig.registry-mirrors[0]",
            "is not a host name",
        ),
        (
            "dind: {daemonConfig: {registry-mirrors: [mirror.gcr.io]}}",
            "dind.daemonConfig.registry-mirrors[0]",
            "has no scheme",
        ),
        (
            "dind: {daemonConfig: {insecure-registries: ['ftp://r:5000']}}",
            "dind.daemonConfig.insecure-registries[0]",
            "scheme other than http",
        ),
        (
            "dind: {daemonConfig: {labels: [team]}}",
            "dind.daemonConfig.labels[0]",
            "not key=value",
        ),
        (
            "dind: {daemonConfig: {log-level: verbose}}",
            "dind.daemonConfig.log-level",
            "not a log level",
        ),
        (
            "dind: {gVisor: {enabled: true, daemonConfig: {storage-driver: [vfs]}}}",
            "dind.gVisor.daemonConfig.storage-driver",
            "reads `storage-driver` as a string",
        ),
    ] {
        let p = refused_at(&with(DIND, config), at);
        assert!(p.message.contains(says), "{config}: {p:?}");
    }
    // A flag's own name is accepted by dockerd and ignored: a warning says what to write.
    let out = render(&with(
        DIND,
        "dind: {daemonConfig: {registry-mirror: 'https://mirror.gcr.io'}}",
    ));
    let w = out
        .warning_at("dind.daemonConfig.registry-mirror")
        .unwrap_or_else(|| panic!("{:?}", out.warnings));
    assert!(
        w.hint.as_deref() == Some("write `registry-mirrors` instead"),
        "{w:?}"
    );
    // What dockerd accepts renders.
    render(&with(
        DIND,
        "dind: {daemonConfig: {debug: true, log-level: warn, features: {buildkit: true}, log-opts: {max-size: 10m}, proxies: {https-proxy: 'http://p:3128'}, default-address-pools: [{base: 10.10.0.0/16, size: 24}], default-shm-size: 128M, dns: [10.0.0.10]}}",
    ));
}
