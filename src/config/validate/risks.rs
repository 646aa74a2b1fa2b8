//! Warnings that look across sections: a frontend URL likely to hang, containers without
//! limits, scratch space without a size limit.

use super::Checker;
use crate::config::model::*;
use crate::config::raw::RawExecutor;
use serde_json::Value;

pub(super) fn warn_about_risks(
    ex: &RawExecutor,
    workers: &[Worker],
    dind: Option<&Dind>,
    url: &str,
    local_dev: bool,
    checker: &mut Checker<'_>,
) {
    let authority = url.split_once("://").map_or("", |(_, r)| {
        r.split(['/', '?', '#']).next().unwrap_or_default()
    });
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let has_port = host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    if !has_port && host.contains("sourcegraph-frontend") {
        checker.warn(
            &path!["executor", "frontendUrl"],
            "no port in the frontend URL, but the sourcegraph-frontend Service listens on 30080",
            "add :30080, or the executor hangs without an error (upstream Helm issue #897)",
        );
    } else if !has_port
        && (!host.contains('.') || host.ends_with(".svc") || host.ends_with(".cluster.local"))
    {
        // An in-cluster Service name without a port: Services rarely listen on 80.
        checker.warn(
            &path!["executor", "frontendUrl"],
            "no port in an in-cluster frontend URL",
            "add the Service's port (sourcegraph-frontend listens on 30080), or the executor hangs (upstream Helm issue #897)",
        );
    }
    let no_limits = |r: &Value| {
        r.get("limits")
            .and_then(Value::as_object)
            .is_none_or(|m| m.is_empty())
    };
    // With localDevMode the admin asked for no resources at all.
    if !local_dev && workers.iter().any(|w| no_limits(&w.resources)) {
        let p = if ex.resources.is_some() {
            path!["executor", "resources"]
        } else {
            path!["queues"]
        };
        checker.warn(
            &p,
            "an executor container has no resource limits",
            "set limits so one job cannot starve the node",
        );
    }
    if let Some(d) = dind {
        if no_limits(&d.resources) {
            checker.warn(
                &path!["dind", "resources"],
                "the dind container has no resource limits",
                "set dind.resources.limits",
            );
        }
        if d.scratch == (Scratch::EmptyDir { size_limit: None }) {
            checker.warn(
                &path!["executor", "storage"],
                "the emptyDir scratch volume has no size limit",
                "set executor.storage.size so jobs cannot fill the node's disk",
            );
        }
        if d.gvisor
            .as_ref()
            .is_some_and(|g| g.storage_size_limit.is_none())
        {
            checker.warn(
                &path!["dind", "gVisor", "storageSize"],
                "gVisor's /var/lib/docker emptyDir has no size limit",
                "set dind.gVisor.storageSize so images cannot fill the node's disk",
            );
        }
    }
}
