//! sg-executor-gen: one small config in, checked Kubernetes manifests for Sourcegraph
//! executors out, as a YAML stream (`render`), a Kustomize Component (`build`), a diff
//! against golden files (`diff`), or items added to a kpt package (`fn`, a KRM function).
//! See ARCHITECTURE.md for the pipeline and its modules.

// Errors here carry a located, explained problem for an admin; they are built once per
// bad input, so their size does not matter and boxing them would only add noise.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod check;
pub mod cli;
pub mod component;
pub mod config;
pub mod diagnostic;
pub mod digest;
pub mod k8s;
pub mod krm;
pub mod parallel;
pub mod pipeline;
pub mod render;
pub mod yaml;
