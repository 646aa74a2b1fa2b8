//! sg-executor-gen: one small config in, checked Kubernetes manifests for Sourcegraph
//! executors out, as a YAML stream (`render`), a Kustomize Component (`build`), or a diff
//! against golden files (`diff`). See ARCHITECTURE.md for the pipeline and its modules.

// Errors here carry a located, explained problem for an admin; they are built once per
// bad input, so their size does not matter and boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod bundle;
pub mod check;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod digest;
pub mod k8s_syntax;
pub mod layout;
pub mod load;
pub mod node_de;
pub mod output_dir;
pub mod patch;
pub mod pipeline;
pub mod raw_config;
pub mod resid;
pub mod roundtrip;
pub mod source;
pub mod templates;
pub mod tree_diff;
pub mod validate;
pub mod validate_kubernetes;
pub mod yaml_out;
