//! What keeps a running job alive when its pod stops, on any stream (after a consumer's
//! patches too): the pod's grace period is not below the runtime its executor gives a job
//! (`EXECUTOR_MAXIMUM_RUNTIME_PER_JOB`, read from the executor's environment, its `envFrom`
//! ConfigMap included); the executor's workspaces are mounted in another container (dockerd,
//! which runs the jobs, must see them); a `restartPolicy` only on an init container (which
//! makes it a native sidecar) and a `startupProbe` only where Kubernetes accepts one.

use super::executor::environment;
use super::index::Index;
use super::typed::{PodFinding, PodTemplate};
use super::Reporter;
use crate::k8s::duration;
use k8s_openapi::api::core::v1::PodSpec;

const BASE: &str = "spec.template.spec";
/// What the executor gives a job when the variable is unset.
const EXECUTOR_DEFAULT_RUNTIME: &str = "30m";
/// Kubernetes' grace period when the pod sets none.
const KUBERNETES_DEFAULT_GRACE: i64 = 30;

/// Restart policies and startup probes Kubernetes accepts only on some containers; read
/// with the full pod spec at hand (see `typed::Pod::lifecycle`).
pub(super) fn lifecycle(spec: &PodSpec) -> Vec<PodFinding> {
    let mut out = Vec::new();
    for (i, c) in spec.containers.iter().enumerate() {
        if c.restart_policy.as_deref() == Some("Always") {
            out.push(PodFinding {
                field: format!("{BASE}.containers[{i}].restartPolicy"),
                message: format!("container {} is a regular container, where restartPolicy: Always does not make a sidecar; move it to initContainers to run it as a native sidecar", c.name),
            });
        }
    }
    for (i, c) in spec.init_containers.iter().flatten().enumerate() {
        let sidecar = c.restart_policy.as_deref() == Some("Always");
        if !sidecar && c.startup_probe.is_some() {
            out.push(PodFinding {
                field: format!("{BASE}.initContainers[{i}].startupProbe"),
                message: format!("init container {} runs to completion before the pod starts, and the API server refuses a startupProbe on it; set restartPolicy: Always to run it as a native sidecar, or remove the probe", c.name),
            });
        }
    }
    out
}

/// The pod's drain-safety, for each executor container in it (one whose environment has
/// `EXECUTOR_FRONTEND_URL`).
pub(super) fn drain_safe(template: &PodTemplate, index: &Index<'_>, r: &mut Reporter<'_>) {
    let Some(spec) = &template.spec else {
        return;
    };
    for f in &spec.lifecycle {
        r.found(&f.field, f.message.clone());
    }
    for (ci, c) in spec.containers.iter().enumerate() {
        let env = environment(c, index);
        if !env.contains_key("EXECUTOR_FRONTEND_URL") {
            continue;
        }
        let runtime = match env.get("EXECUTOR_MAXIMUM_RUNTIME_PER_JOB") {
            Some(Some(v)) => v.to_string(),
            // A value the check cannot know (a Secret, a field): nothing to compare.
            Some(None) => continue,
            None => EXECUTOR_DEFAULT_RUNTIME.to_string(),
        };
        let Ok(nanos) = duration::parse(&runtime) else {
            continue;
        };
        let runtime_seconds = nanos / 1_000_000_000 + i64::from(nanos % 1_000_000_000 > 0);
        let grace = spec
            .termination_grace_period_seconds
            .unwrap_or(KUBERNETES_DEFAULT_GRACE);
        if grace < runtime_seconds {
            r.found(
                &format!("{BASE}.terminationGracePeriodSeconds"),
                format!("the pod gets {grace} s to stop, less than the {runtime} its executor (container {}) gives a job: a rollout, scale-in or node drain would kill running jobs; set it to at least {runtime_seconds}, or drop the patch that lowers it", c.name),
            );
        }
        if env.contains_key("DOCKER_HOST") {
            workspaces_shared(ci, c, &env, spec, r);
        }
    }
}

/// In dind mode the executor writes each job's workspace under `TMPDIR` and dockerd
/// bind-mounts it into the job's containers: the same volume must be mounted, at the same
/// path, in another container of the pod (the dind sidecar).
fn workspaces_shared(
    ci: usize,
    c: &super::typed::PodContainer,
    env: &super::executor::Env<'_>,
    spec: &super::typed::Pod,
    r: &mut Reporter<'_>,
) {
    let Some(Some(tmp)) = env.get("TMPDIR") else {
        return;
    };
    let tmp = tmp.trim_end_matches('/');
    let Some(mount) = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path.trim_end_matches('/') == tmp)
    else {
        r.found(
            &format!("{BASE}.containers[{ci}].volumeMounts"),
            format!("the executor's TMPDIR {tmp} is not a mounted volume, so dockerd cannot see the jobs' workspaces; mount the scratch volume there"),
        );
        return;
    };
    // Any other container or init container (dind runs as a native sidecar).
    let this = format!("containers[{ci}]");
    let shared = spec.all_containers().any(|(field, other)| {
        field != this
            && other
                .volume_mounts
                .iter()
                .flatten()
                .any(|m| m.name == mount.name && m.mount_path.trim_end_matches('/') == tmp)
    });
    if !shared {
        r.found(
            &format!("{BASE}.containers[{ci}].volumeMounts"),
            format!("no other container mounts volume {} at {tmp}: dockerd, which runs the jobs, would not see their workspaces; keep the dind sidecar's mount of it", mount.name),
        );
    }
}
