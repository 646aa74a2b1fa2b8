//! Phase 2, rendering: the validated `Config` through the embedded minijinja templates into
//! a `Stack` of objects (the base plus one part per optional layer), assembled into the
//! `Bundle` (`bundle`: the layers' patches applied, as kustomize does, `patch`), and
//! written as YAML that every consumer reads back unchanged (`yaml_out`).
//!
//! Per-worker objects are copies of a prototype (`per_worker`, `object`): that is render's
//! own matter, and every other phase reads an `Object` as the plain tree it is.

pub mod bundle;
mod context;
pub mod object;
pub mod patch;
mod per_worker;
pub mod stack;
mod template_yaml;
pub mod templates;
pub mod yaml_out;
