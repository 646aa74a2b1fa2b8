//! The `dind` section: the docker-in-docker sidecar's image, command and resources, dockerd's
//! daemon.json (kept on loopback, with the registry mirror), and the gVisor sandbox.

use super::daemon_json;
use super::dockerd_args::{self, Handoff};
use super::executor::scratch;
use super::mirrors::{self, mirrors, Carrier};
use super::{registry_image, Checker};
use crate::config::model::*;
use crate::config::raw::{RawDind, RawExecutor, RawGVisor, RawPerJob, RawSpec};
use crate::config::source::Segment;
use crate::k8s::quantity::{self, Min};
use k8s_openapi::api::core::v1 as core;
use serde_json::{json, Map, Value};

/// Helm's map merge: maps merge key by key, a null removes the key, anything else replaces.
pub(super) fn merge_json(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(k);
                } else if let Some(existing) = b.get_mut(k) {
                    merge_json(existing, v);
                } else {
                    b.insert(k.clone(), v.clone());
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

pub(super) fn yaml_map(
    value: Option<&serde_yaml::Value>,
    p: &[Segment],
    checker: &mut Checker<'_>,
) -> Value {
    match value.map(serde_json::to_value) {
        None => Value::Object(Map::new()),
        Some(Ok(v @ Value::Object(_))) => v,
        Some(Ok(Value::Null)) => Value::Object(Map::new()),
        Some(_) => {
            checker.error(
                p,
                "must be a mapping of dockerd settings",
                "write it like the keys of daemon.json",
            );
            Value::Object(Map::new())
        }
    }
}

pub(super) fn dind(
    spec: &RawSpec,
    ex: &RawExecutor,
    jobs: u32,
    registry: Option<&str>,
    namespace: Option<&str>,
    checker: &mut Checker<'_>,
) -> Dind {
    let default_dind = RawDind::default();
    let raw = spec.dind.as_ref().unwrap_or(&default_dind);
    let image = dind_image(raw, checker);
    let gvisor_raw = raw.g_visor.as_ref().filter(|g| g.enabled.unwrap_or(false));
    let command = non_empty_command(
        raw.command.clone(),
        vec![crate::config::defaults::DIND_COMMAND.into()],
        &path!["dind", "command"],
        checker,
    );
    let gvisor_command = gvisor_raw.map(|g| {
        non_empty_command(
            g.command.clone(),
            gvisor_command(),
            &path!["dind", "gVisor", "command"],
            checker,
        )
    });
    let mut daemon = daemon_config(raw, gvisor_raw, checker);
    daemon_json::check(&daemon, gvisor_raw.is_some(), checker);
    let handoffs: Vec<_> = std::iter::once(&command)
        .chain(&gvisor_command)
        .map(|c| dockerd_args::handoff(c))
        .collect();
    let carrier = mirrors::carrier(registry, &handoffs);
    let mirror_flags = mirrors(&mut daemon, registry, namespace, &carrier, checker);
    let daemon_json = serde_json::to_string_pretty(&daemon).unwrap_or_default() + "\n";
    refuse_daemon_flags(&command, &daemon, &path!["dind", "command"], checker);
    let args = handed_on(&command, &mirror_flags);
    let gvisor = gvisor_raw
        .zip(gvisor_command)
        .and_then(|(g, command)| gvisor(g, command, &daemon, &mirror_flags, checker));
    let per_job = per_job(raw, checker);
    let jobs_disk = quantity::times(&per_job.disk, jobs);
    let resources = match &raw.resources {
        Some(v) => {
            let written = checker
                .resources(v, &path!["dind", "resources"])
                .unwrap_or_default();
            warn_when_too_small_for_jobs(&written, &per_job, jobs, checker);
            written
        }
        None => crate::config::defaults::dind_resources(jobs, &per_job.cpu, &per_job.memory),
    };
    let docker_storage_limit = if gvisor.is_some() {
        None
    } else {
        docker_storage(raw, &per_job, checker)
    };
    Dind {
        image,
        command,
        args,
        registry_service: registry
            .filter(|_| carrier == Carrier::Flags)
            .map(str::to_string),
        daemon_json,
        resources,
        scratch: scratch(ex, jobs_disk.as_deref(), checker),
        docker_storage_limit,
        gvisor,
    }
}

/// The dind container's args for a command: dockerd's mirror flags, after a `$0` for a
/// `sh -c` script that has none (the shell takes the first argument as `$0`, not as one of
/// `"$@"`). Only called with flags for a command that hands them on (`mirrors::carrier`).
fn handed_on(command: &[String], flags: &[String]) -> Vec<String> {
    if flags.is_empty() {
        return Vec::new();
    }
    let zero = match dockerd_args::handoff(command) {
        Some(Handoff::Script { needs_zero: true }) => Some("sh".to_string()),
        _ => None,
    };
    zero.into_iter().chain(flags.iter().cloned()).collect()
}

/// `dind.resourcesPerJob`: what one job needs, the sizing guide's figures by default.
struct PerJob {
    cpu: String,
    memory: String,
    disk: String,
}

fn per_job(raw: &RawDind, checker: &mut Checker<'_>) -> PerJob {
    let default = RawPerJob::default();
    let written = raw.resources_per_job.as_ref().unwrap_or(&default);
    let mut one = |value: &Option<String>, default: &str, key: &str| match value {
        Some(v) => {
            let ok = checker
                .quantity(v, &path!["dind", "resourcesPerJob", key], Min::AboveZero)
                .is_some();
            if ok {
                v.clone()
            } else {
                default.to_string()
            }
        }
        None => default.to_string(),
    };
    PerJob {
        cpu: one(&written.cpu, crate::config::defaults::JOB_CPU, "cpu"),
        memory: one(
            &written.memory,
            crate::config::defaults::JOB_MEMORY,
            "memory",
        ),
        disk: one(&written.disk, crate::config::defaults::JOB_DISK, "disk"),
    }
}

/// Explicit `dind.resources` win; said once when their limits cannot hold the jobs.
fn warn_when_too_small_for_jobs(
    written: &Value,
    per_job: &PerJob,
    jobs: u32,
    checker: &mut Checker<'_>,
) {
    for (resource, each) in [("cpu", &per_job.cpu), ("memory", &per_job.memory)] {
        let Some(limit) = written["limits"][resource].as_str() else {
            continue;
        };
        let Some(needed) = quantity::times(each, jobs) else {
            continue;
        };
        let (Ok(l), Ok(n)) = (quantity::parse(limit), quantity::parse(&needed)) else {
            continue;
        };
        if l < n {
            checker.warn(
                &path!["dind", "resources", "limits", resource],
                format!("a {resource} limit of {limit} cannot hold {jobs} job(s) of {each} each ({needed}): jobs share the dind container's limits and would be throttled or killed"),
                "raise the limit, lower executor.maximumNumJobs, or remove dind.resources to get dind.resourcesPerJob times the jobs",
            );
        }
    }
}

/// `dind.dockerStorageSize`: the `/var/lib/docker` emptyDir's limit outside gVisor.
fn docker_storage(raw: &RawDind, per_job: &PerJob, checker: &mut Checker<'_>) -> Option<String> {
    let p = path!["dind", "dockerStorageSize"];
    match raw.docker_storage_size.as_deref() {
        None => Some(crate::config::defaults::DOCKER_STORAGE_SIZE.to_string()),
        Some("") => {
            checker.warn(
                &p,
                "dockerd's /var/lib/docker emptyDir has no size limit",
                "set dind.dockerStorageSize so images and job containers cannot fill the node's disk",
            );
            None
        }
        Some(size) => {
            let written = checker.quantity(size, &p, Min::Zero)?;
            let one_job = quantity::parse(&per_job.disk).ok();
            if one_job.is_some_and(|one| written < one) {
                checker.warn(
                    &p,
                    format!("{size} for dockerd's images is less than one job's disk ({}, dind.resourcesPerJob.disk)", per_job.disk),
                    "raise it: a full emptyDir evicts the pod with all its jobs",
                );
            }
            Some(size.to_string())
        }
    }
}

/// `dind.image`: pinned by default.
fn dind_image(raw: &RawDind, checker: &mut Checker<'_>) -> String {
    let image_raw = raw.image.as_ref();
    if image_raw.is_some_and(|i| i.tag.is_some() && i.repository.is_none()) {
        checker.warn(
            &path!["dind", "image", "tag"],
            format!("the tag applies to the default repository {DEFAULT_DIND_REGISTRY}/{DEFAULT_DIND_REPOSITORY} (the chart's default is docker)"),
            "set dind.image.repository too",
        );
    }
    registry_image(
        image_raw,
        (
            DEFAULT_DIND_REGISTRY,
            DEFAULT_DIND_REPOSITORY,
            DEFAULT_DIND_TAG,
        ),
        &path!["dind", "image"],
        checker,
    )
}

/// daemon.json: our defaults, the admin's `dind.daemonConfig` (and gVisor's) merged over
/// them as Helm merges maps, then checked: loopback only, no TLS.
fn daemon_config(
    raw: &RawDind,
    gvisor_raw: Option<&RawGVisor>,
    checker: &mut Checker<'_>,
) -> Value {
    let mut daemon = crate::config::defaults::daemon_config();
    let user = yaml_map(
        raw.daemon_config.as_ref(),
        &path!["dind", "daemonConfig"],
        checker,
    );
    merge_json(&mut daemon, &user);
    if let Some(g) = gvisor_raw {
        let mut extra = json!({"features": {"containerd-snapshotter": false}, "ip6tables": false, "iptables": false, "storage-driver": "vfs"});
        let own = yaml_map(
            g.daemon_config.as_ref(),
            &path!["dind", "gVisor", "daemonConfig"],
            checker,
        );
        // As in Helm, the admin's gVisor settings merge over the chart's, not replace them.
        merge_json(&mut extra, &own);
        merge_json(&mut daemon, &extra);
    }
    check_daemon_hosts(&daemon, checker);
    for key in ["tls", "tlsverify"] {
        if daemon.get(key) == Some(&Value::Bool(true)) {
            checker.error(
                &path!["dind", "daemonConfig", key],
                "dockerd would require TLS, but no certificates are mounted and the executor connects in plain TCP over loopback",
                "leave TLS off: dockerd listens on the pod's loopback only",
            );
        }
    }
    daemon
}

/// The gVisor sandbox (`dind.gVisor`): its command and the capabilities that replace
/// `privileged`.
fn gvisor(
    g: &RawGVisor,
    command: Vec<String>,
    daemon: &Value,
    mirror_flags: &[String],
    checker: &mut Checker<'_>,
) -> Option<GVisor> {
    refuse_daemon_flags(
        &command,
        daemon,
        &path!["dind", "gVisor", "command"],
        checker,
    );
    let security_context = match &g.security_context {
        Some(sc) => checker.k8s::<core::SecurityContext>(
            sc,
            &path!["dind", "gVisor", "securityContext"],
            "a security context",
        )?,
        None => default_gvisor_security_context(),
    };
    let p = path!["dind", "gVisor", "storageSize"];
    let storage_size_limit = match &g.storage_size {
        None => Some(crate::config::defaults::GVISOR_STORAGE_SIZE.to_string()),
        Some(s) if s.is_empty() => None,
        Some(s) => {
            checker.quantity(s, &p, Min::Zero);
            Some(s.clone())
        }
    };
    let args = (!mirror_flags.is_empty()).then(|| handed_on(&command, mirror_flags));
    Some(GVisor {
        command,
        args,
        security_context,
        storage_size_limit,
    })
}

pub(super) fn non_empty_command(
    command: Option<Vec<String>>,
    default: Vec<String>,
    p: &[Segment],
    checker: &mut Checker<'_>,
) -> Vec<String> {
    match command {
        Some(c) if c.is_empty() => {
            checker.error(
                p,
                "the command is empty",
                "leave the key out to use the default",
            );
            default
        }
        Some(c) => c,
        None => default,
    }
}

/// Keeps dockerd's settings in the daemon.json the tool writes and checks. A host flag
/// would listen past the loopback check and `--config-file` would read another file, so
/// both are refused in any argument and any word of a script, whatever precedes them: a
/// `--`, a flag that would take them as its value, a shell's `$0` position, since a script
/// can still hand them on. A script that names `/etc/docker` or `daemon.json` could write
/// its own file, and is refused too. A flag for a setting daemon.json also has would stop
/// dockerd (it refuses a setting given both ways, even the same list twice), so it is
/// refused where dockerd would read it: in its own arguments, and in what a script hands it
/// (`"$@"` being the command's arguments after the script's `$0`).
pub(super) fn refuse_daemon_flags(
    command: &[String],
    daemon: &Value,
    path: &[Segment],
    checker: &mut Checker<'_>,
) {
    let in_file: Vec<String> = daemon
        .as_object()
        .map(|m| {
            daemon_json::directives(m)
                .into_iter()
                .filter_map(|(keys, _)| keys.last().cloned())
                .collect()
        })
        .unwrap_or_default();
    let scripts = dockerd_args::shell_scripts(command);
    for (i, written) in host_or_config_words(command, 1) {
        refuse_host_or_config_file(&written, &[path, &path![i]].concat(), checker);
    }
    for &(_, script_at) in &scripts {
        let script = &command[script_at];
        let at = [path, &path![script_at]].concat();
        let words = dockerd_args::all_words(script);
        let names_config = std::iter::once(script.as_str())
            .chain(words.iter().map(String::as_str))
            .find_map(|w| {
                ["/etc/docker", "daemon.json"]
                    .into_iter()
                    .find(|n| w.contains(n))
            });
        if let Some(name) = names_config {
            checker.error(
                &at,
                format!("the script names `{name}`, so it could write its own daemon.json past the checks"),
                "configure dockerd in dind.daemonConfig; the script may not touch /etc/docker",
            );
        }
        let mut seen = Vec::new();
        for (_, written) in host_or_config_words(&words, 0) {
            if !seen.contains(&written) {
                refuse_host_or_config_file(&written, &at, checker);
                seen.push(written);
            }
        }
        for run in dockerd_args::script_dockerd_args(command, script_at) {
            let run: Vec<&str> = run.iter().map(String::as_str).collect();
            for flag in dockerd_args::flags(&run) {
                refuse_conflict(&flag, &in_file, &at, checker);
            }
        }
    }
    // dockerd's own arguments: the command up to a shell, whose words are its script's.
    let direct_end = scripts.first().map_or(command.len(), |(shell, _)| *shell);
    let direct: Vec<&str> = command
        .get(1..direct_end)
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .collect();
    for flag in dockerd_args::flags(&direct) {
        refuse_conflict(
            &flag,
            &in_file,
            &[path, &path![flag.at + 1]].concat(),
            checker,
        );
    }
}

/// The words, from index `from`, that give dockerd a host or a config file, each with its
/// index and as written (with the next word when that is its value).
fn host_or_config_words(words: &[String], from: usize) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut i = from;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        if dockerd_args::host_or_config_file(word).is_none() {
            continue;
        }
        let value_follows = !word.contains('=')
            && (matches!(word.as_str(), "--host" | "--config-file")
                || (!word.starts_with("--") && word.ends_with('H')));
        match words.get(i).filter(|_| value_follows) {
            Some(value) => {
                out.push((i - 1, format!("{word} {value}")));
                i += 1;
            }
            None => out.push((i - 1, word.clone())),
        }
    }
    out
}

fn refuse_host_or_config_file(written: &str, at: &[Segment], checker: &mut Checker<'_>) {
    let first = written.split(' ').next().unwrap_or_default();
    match dockerd_args::host_or_config_file(first) {
        Some("host") => checker.error(
            at,
            format!("`{written}` sets where dockerd listens on the command line, past the loopback check"),
            "remove it: dockerd listens where dind.daemonConfig.hosts says, on loopback only",
        ),
        _ => checker.error(
            at,
            format!("`{written}` makes dockerd read another daemon.json than the one sg-executor-gen writes and checks"),
            "remove it, and put the settings in dind.daemonConfig",
        ),
    }
}

/// Flags whose setting the tool owns whether or not the final daemon.json has it: the
/// loopback and TLS checks read daemon.json, and the chart's `mtu` lives there.
const OWNED_FLAGS: [&str; 4] = ["hosts", "tls", "tlsverify", "mtu"];

/// A flag for a directive daemon.json also sets, which stops dockerd.
fn refuse_conflict(
    flag: &dockerd_args::Flag,
    in_file: &[String],
    at: &[Segment],
    checker: &mut Checker<'_>,
) {
    if matches!(flag.name.as_str(), "host" | "config-file" | "add-runtime") {
        return;
    }
    let key = daemon_json::named(&flag.name).unwrap_or(&flag.name);
    if in_file.iter().any(|k| k == key) || OWNED_FLAGS.contains(&key) {
        let written = &flag.written;
        checker.error(
            at,
            format!("`{written}` sets `{key}`, which daemon.json sets too; dockerd refuses to start with both"),
            format!("remove the flag and set `{key}` in dind.daemonConfig"),
        );
    }
}

pub(super) fn check_daemon_hosts(daemon: &Value, checker: &mut Checker<'_>) {
    let p = path!["dind", "daemonConfig", "hosts"];
    let Some(hosts) = daemon.get("hosts") else {
        checker.error(
            &p,
            "dockerd has no hosts to listen on",
            format!("include {DOCKER_HOST}; the executor connects there"),
        );
        return;
    };
    // Not a list: `daemon_json::check` says what dockerd reads.
    let Some(hosts) = hosts.as_array() else {
        return;
    };
    let mut reaches_executor = false;
    for (i, h) in hosts.iter().enumerate() {
        let h = h.as_str().unwrap_or_default();
        let addr = h
            .strip_prefix("tcp://")
            .map(|a| a.rsplit_once(':').map_or(a, |(host, _)| host));
        match addr {
            None if h.starts_with("unix://") || h.starts_with("fd://") => {}
            Some("127.0.0.1" | "localhost" | "[::1]") => {
                reaches_executor |= h == DOCKER_HOST || h == "tcp://localhost:2375"
            }
            _ => {
                // One complaint is enough: a wildcard address on the port covers loopback too.
                reaches_executor |= h.ends_with(":2375");
                checker.error(
                    &[&p[..], &path![i]].concat(),
                    format!("dockerd would listen on `{h}`, reachable from other pods"),
                    format!("listen on loopback only, {DOCKER_HOST}: anyone reaching the Docker API controls the node"),
                );
            }
        }
    }
    if !reaches_executor {
        checker.error(
            &p,
            format!("dockerd does not listen on {DOCKER_HOST}"),
            format!("add {DOCKER_HOST}: the executor's DOCKER_HOST points there"),
        );
    }
}

pub(super) fn gvisor_command() -> Vec<String> {
    let script = [
        "ip link del docker0 2>/dev/null || true",
        "echo 1 > /proc/sys/net/ipv4/ip_forward",
        "dev=$(ip route show default | awk '{for(i=1;i<=NF;i++) if($i==\"dev\"){print $(i+1); exit}}')",
        "addr=$(ip addr show dev \"$dev\" | awk '/inet /{gsub(/\\/.*/, \"\", $2); print $2; exit}')",
        "iptables-legacy -t nat -A POSTROUTING -o \"$dev\" -j SNAT --to-source \"$addr\" -p tcp || true",
        "iptables-legacy -t nat -A POSTROUTING -o \"$dev\" -j SNAT --to-source \"$addr\" -p udp || true",
        "exec dockerd \"$@\"",
    ];
    vec!["/bin/sh".into(), "-c".into(), script.join("\n") + "\n"]
}

pub(super) fn default_gvisor_security_context() -> Value {
    let caps = [
        "NET_ADMIN",
        "SYS_ADMIN",
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
        "SYS_PTRACE",
    ];
    json!({"capabilities": {"add": caps}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_merge_replaces_lists_and_null_removes() {
        let mut base = json!({"hosts": ["a"], "mtu": 1200, "tls": false});
        merge_json(
            &mut base,
            &json!({"hosts": ["b"], "mtu": null, "debug": true}),
        );
        assert_eq!(base, json!({"hosts": ["b"], "tls": false, "debug": true}));
    }
}
