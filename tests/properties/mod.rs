//! Property tests. The examples, golden trees and transcripts pin a few dozen hand-picked
//! inputs; these properties search the space between them. They generate valid configs
//! across the charts' knobs (both modes, both config forms, one or several queues, every
//! optional layer), fill every free-form value with strings built to break YAML (newlines,
//! `---`, `kind: Secret`, quotes, YAML 1.1 booleans, number-like text, unicode), and check the
//! docs' promises for each: a valid config renders; user strings come out exactly as
//! written and never add, drop or reshape an object; the same config gives the same bytes;
//! the component tree builds (read the way kustomize reads it, and with the real
//! `kubectl kustomize`) to exactly the objects `render` prints. Another property feeds
//! arbitrary bytes and YAML-shaped junk to the binary and the library: never a panic, exit 0
//! or 2, nothing on stdout after an error. The last ones pin, each on its own, the inputs
//! these properties found the tool mishandling, so a regression names itself.
//!
//! Case counts: `PROPTEST_CASES` (default 64) for the two main library properties, the
//! arbitrary-input one and the equal-quantities one; an eighth of that (at least one) for
//! the `kubectl kustomize` ones; at most 16 for the other edge cases. A missing kubectl fails
//! the kubectl properties, never skips them (`KUBECTL` names another binary). Failures are
//! not persisted to a regressions file; proptest prints the minimal input and the config.
//!
//! This file holds the run configuration and the properties. The modules hold what they
//! draw on: strings.rs and quantities.rs the values, model.rs the config model and its
//! generators, expected.rs the text a case writes and what it must render to, output.rs
//! the reading and checking of the output, run.rs the binary and kubectl, arbitrary.rs
//! input that need not be a config, and edge_cases.rs the edge-case generators.

use crate::common;

mod arbitrary;
mod edge_cases;
mod expected;
mod model;
mod output;
mod quantities;
mod run;
mod strings;

use arbitrary::{arbitrary_input, arbitrary_overrides, check_arbitrary};
use common::kubectl;
use edge_cases::{
    equal_request_and_limit, newline_parameter_key, noncharacter_case, registry_collision,
    renders_or_is_refused, request_above_limit, timestamp, with_annotation,
};
use model::{valid_case, Case};
use output::{check_valid, describe, explain};
use proptest::prelude::*;
use run::check_with_kubectl;
use sg_executor_gen::pipeline::{generate, PipelineError};
use std::process::Command;

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(64)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        // Keep the source tree clean; a failure prints its minimal input instead.
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases.max(1))
    }
}

/// The chart's registry name, which the tool no longer uses but a config may still hold.
const CHART_REGISTRY: &str = "private-docker-registry";
const QUEUES: [&str; 2] = ["batches", "codeintel"];

/// Environment variables the tool sets itself (`MANAGED_ENV` in validate.rs), plus the
/// registry's own default, which a user entry would replace rather than add to.
#[rustfmt::skip]
const MANAGED_ENV: &[&str] = &[
    "EXECUTOR_FRONTEND_URL", "EXECUTOR_FRONTEND_PASSWORD", "EXECUTOR_QUEUE_NAME",
    "EXECUTOR_QUEUE_NAMES", "EXECUTOR_MAXIMUM_NUM_JOBS", "EXECUTOR_MAXIMUM_RUNTIME_PER_JOB",
    "SRC_LOG_LEVEL", "SRC_LOG_FORMAT", "SRC_TRACE_LOG", "EXECUTOR_DOCKER_ADD_HOST_GATEWAY",
    "EXECUTOR_KEEP_WORKSPACES", "EXECUTOR_USE_FIRECRACKER", "DOCKER_HOST", "TMPDIR",
    "EXECUTOR_KUBERNETES_NAMESPACE", "EXECUTOR_KUBERNETES_CONFIG_PATH",
    "KUBERNETES_JOB_DEADLINE", "KUBERNETES_KEEP_JOBS",
    "EXECUTOR_KUBERNETES_PERSISTENCE_VOLUME_NAME", "EXECUTOR_KUBERNETES_NODE_NAME",
    "EXECUTOR_KUBERNETES_NODE_SELECTOR", "EXECUTOR_KUBERNETES_NODE_TOLERATIONS",
    "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_EXPRESSIONS",
    "EXECUTOR_KUBERNETES_NODE_REQUIRED_AFFINITY_MATCH_FIELDS",
    "EXECUTOR_KUBERNETES_POD_AFFINITY", "EXECUTOR_KUBERNETES_POD_ANTI_AFFINITY",
    "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_CPU",
    "EXECUTOR_KUBERNETES_RESOURCE_REQUEST_MEMORY", "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_CPU",
    "EXECUTOR_KUBERNETES_RESOURCE_LIMIT_MEMORY", "KUBERNETES_RUN_AS_USER",
    "KUBERNETES_RUN_AS_GROUP", "KUBERNETES_FS_GROUP", "REGISTRY_PROXY_REMOTEURL",
];

/// Label keys the tool sets on objects and pods; a user label there is a different test.
const TOOL_LABEL_KEYS: &[&str] = &[
    "app",
    "app.kubernetes.io/component",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/managed-by",
    "deploy",
    "sourcegraph-resource-requires",
];
/// Pod annotations the tool sets itself.
const TOOL_ANNOTATION_KEYS: &[&str] =
    &["checksum/config", "kubectl.kubernetes.io/default-container"];

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(cases()))]

    /// A valid config renders; user strings land exactly where they belong and never change
    /// the objects; the output is byte-stable; the component tree builds to the stream.
    #[test]
    fn valid_configs_render_check_and_lay_out(case in valid_case()) {
        check_valid(&case).map_err(|m| explain(&case, m))?;
    }

    /// No input makes the binary or the library panic; the binary exits 0 or 2, prints
    /// nothing on stdout after an error, and agrees with the library.
    #[test]
    fn arbitrary_bytes_never_panic(
        input in arbitrary_input(),
        overrides in arbitrary_overrides(),
    ) {
        check_arbitrary(&input.0, &overrides).map_err(|m| TestCaseError::fail(format!(
            "{m}\n--- input ({} bytes) ---\n{}\n--- overrides ---\n{overrides:?}",
            input.0.len(),
            String::from_utf8_lossy(&input.0)
        )))?;
    }

    /// A request equal to its limit is accepted however the two are spelled (`700m` and
    /// `0.7`, `1Gi` and `1024Mi`).
    #[test]
    fn a_request_equal_to_its_limit_is_accepted_in_any_spelling(
        case in equal_request_and_limit()
    ) {
        check_valid(&case).map_err(|m| explain(&case, m))?;
    }
}

/// Fails at once, outside proptest (which would retry and shrink), when kubectl is missing.
fn require_kubectl() {
    let out = Command::new(kubectl())
        .args(["version", "--client"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "`{} version --client` failed: {}",
            kubectl(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!(
            "cannot run `{}` ({e}); install kubectl or set KUBECTL: the kustomize properties never pass unchecked",
            kubectl()
        ),
    }
}

/// Runs one kubectl property: an eighth of the cases, at least one.
fn kubectl_property(strategy: BoxedStrategy<Case>) {
    require_kubectl();
    let mut runner = proptest::test_runner::TestRunner::new(config((cases() / 8).max(1)));
    if let Err(e) = runner.run(&strategy, |case| {
        check_with_kubectl(&case).map_err(|m| explain(&case, m))
    }) {
        panic!("{e}\n{runner}");
    }
}

/// The real `kubectl kustomize` builds the component tree to exactly what `render` prints,
/// and the binary prints the library's stream.
#[test]
fn component_builds_with_kubectl_kustomize_to_the_stream() {
    kubectl_property(valid_case());
}

/// A pod annotation that YAML 1.1 reads as a timestamp is that exact string after
/// `kubectl kustomize`.
#[test]
fn yaml_1_1_timestamps_survive_kubectl_kustomize() {
    kubectl_property(with_annotation(valid_case(), timestamp()));
}

/// A pod annotation like `-_0` (a sign, underscores, a number) is that exact string after
/// `kubectl kustomize`.
#[test]
fn yaml_1_1_underscored_numbers_survive_kubectl_kustomize() {
    kubectl_property(with_annotation(
        valid_case(),
        "[-+]_{1,2}[0-9]{1,3}(_[0-9])?".boxed(),
    ));
}

proptest! {
    #![proptest_config(config(cases().min(16)))]

    /// A stack named like the chart's registry, or a queue Deployment `NAME-QUEUE` named like
    /// the stack's registry, renders or is refused as a config error; never an internal error.
    #[test]
    fn names_that_collide_with_the_registry_are_refused_or_rendered(
        case in registry_collision()
    ) {
        renders_or_is_refused(&case)?;
    }

    /// StorageClass parameters are free-form, keys included: a key with a newline comes out
    /// as exactly that key.
    #[test]
    fn parameter_keys_with_newlines_read_back_exactly(case in newline_parameter_key()) {
        check_valid(&case).map_err(|m| explain(&case, m))?;
    }

    /// U+FFFE and U+FFFF are not control characters; a value holding one comes out exactly,
    /// or is refused as a config error; never an internal error.
    #[test]
    fn noncharacters_in_values_render_or_are_refused(case in noncharacter_case()) {
        renders_or_is_refused(&case)?;
    }

    /// A request above its limit is refused, however close the two are: Kubernetes compares
    /// quantities exactly and refuses such a pod.
    #[test]
    fn a_request_above_its_limit_is_refused((case, memory) in request_above_limit()) {
        let what = if memory { "memory" } else { "cpu" };
        let refused = |e: &sg_executor_gen::config::ConfigError| {
            let expected = format!("the {what} request is above its limit");
            e.problems
                .iter()
                .any(|p| p.display("config.yaml").to_string().contains(&expected))
        };
        match generate(&case.text(), &case.overrides()) {
            Err(PipelineError::Config(e)) if refused(&e) => {}
            Ok(_) => {
                return Err(explain(&case, format!("a {what} request above its limit was accepted")))
            }
            Err(e) => {
                return Err(explain(&case, format!("not refused for the {what} request: {}", describe(&e))))
            }
        }
    }
}
