//! The integration tests, as one test crate with a module per topic: one binary links
//! `k8s-openapi` and the library once instead of once per topic (as just builds its tests).
//! Run one topic with `cargo test --test suite <module>::`, e.g. `cargo test --test suite kpt::`.

mod common;

mod alerts;
mod architecture;
mod autoscaling;
mod chart_keys;
mod check_as_kubectl;
mod check_stream;
mod cli;
mod completions;
mod component;
mod consumers;
mod crd_schemas;
mod diff;
mod distribution;
mod docs;
mod foreign_trees;
mod hostile_inputs;
mod interrupted_and_concurrent;
mod key_defaults;
mod knobs;
mod kpt;
mod kustomize_roundtrip;
mod layers;
mod migration;
mod native_sidecars;
mod properties;
mod schema;
mod size_estimate;
mod tooling;
mod untrusted_directory;
