//! How executor pods stop without losing a running job: `kubernetesVersion` (which decides
//! whether dind runs as a native sidecar), `executor.terminationGracePeriodSeconds` (at
//! least the longest job, plus a margin), `executor.doNotDisrupt` (the node autoscalers'
//! annotations) and `executor.podDisruptionBudget`.

use super::Checker;
use crate::config::defaults as d;
use crate::config::model::{Drain, Mode};
use crate::config::raw::{RawExecutor, RawSpec};

/// The drain settings, and `kubernetesVersion` as written.
pub(super) fn drain(
    mode: Mode,
    spec: &RawSpec,
    ex: &RawExecutor,
    runtime_seconds: i64,
    checker: &mut Checker<'_>,
) -> (Drain, String) {
    let (version, minor) = kubernetes_version(spec, checker);
    let native_sidecar = minor >= d::NATIVE_SIDECAR_MINOR;
    if mode == Mode::Dind && !native_sidecar {
        checker.warn(
            &path!["kubernetesVersion"],
            format!("Kubernetes {version} cannot run dind as a native sidecar: dockerd gets SIGTERM with the executor, and only a preStop hook holds it while the executor answers or a job's container runs"),
            "upgrade to 1.29 or later and raise kubernetesVersion",
        );
    }
    let p = path!["executor", "terminationGracePeriodSeconds"];
    let grace_seconds = match ex.termination_grace_period_seconds {
        None => d::grace_seconds(runtime_seconds),
        Some(g) if g < runtime_seconds => {
            checker.error(
                &p,
                format!("{g} s is shorter than executor.maximumRuntimePerJob ({runtime_seconds} s): a rollout, scale-in or drain would kill running jobs"),
                format!("remove it to get the runtime plus {} s, or set at least {runtime_seconds}", d::DRAIN_MARGIN_SECONDS),
            );
            g
        }
        Some(g) => g,
    };
    let budget = ex.pod_disruption_budget.as_ref();
    let disruption_budget = budget.filter(|b| b.enabled.unwrap_or(false)).map(|b| {
        let max = b
            .max_unavailable
            .unwrap_or(d::DISRUPTION_BUDGET_MAX_UNAVAILABLE);
        if max < 0 {
            checker.error(
                &path!["executor", "podDisruptionBudget", "maxUnavailable"],
                format!("{max} is negative"),
                "use 0 (no voluntary eviction at all) or more",
            );
        }
        max
    });
    if budget.is_some_and(|b| b.max_unavailable.is_some() && !b.enabled.unwrap_or(false)) {
        checker.warn(
            &path!["executor", "podDisruptionBudget", "maxUnavailable"],
            "ignored: the budget is not enabled",
            "set executor.podDisruptionBudget.enabled: true, or remove it",
        );
    }
    let drain = Drain {
        grace_seconds,
        do_not_disrupt: ex.do_not_disrupt.unwrap_or(d::DO_NOT_DISRUPT),
        disruption_budget,
        native_sidecar,
    };
    (drain, version)
}

/// `kubernetesVersion`: `1.MINOR`, as written, and its minor version.
fn kubernetes_version(spec: &RawSpec, checker: &mut Checker<'_>) -> (String, u32) {
    let version = spec
        .kubernetes_version
        .clone()
        .unwrap_or_else(|| d::KUBERNETES_VERSION.into());
    let minor = version
        .strip_prefix("1.")
        .filter(|m| !m.starts_with('0') || *m == "0")
        .and_then(|m| m.parse::<u32>().ok());
    match minor {
        Some(minor) => (version, minor),
        None => {
            checker.error(
                &path!["kubernetesVersion"],
                format!("`{version}` is not a Kubernetes minor version"),
                format!(
                    "write it like {}, the oldest version your clusters run",
                    d::KUBERNETES_VERSION
                ),
            );
            (version, u32::MAX)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::defaults as d;

    #[test]
    fn grace_is_the_runtime_plus_the_margin() {
        assert_eq!(d::grace_seconds(1800), 1800 + d::DRAIN_MARGIN_SECONDS);
        assert_eq!(d::duration_seconds("30m"), 1800);
        assert_eq!(d::duration_seconds("1.5s"), 2);
    }
}
