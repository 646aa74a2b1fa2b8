//! Phase 2, rendering: the validated `Config` through the embedded minijinja templates into
//! a `Stack` of objects (the base plus one part per optional layer), and the two things
//! every later phase does to objects: kustomize's patch and namespace transforms (`patch`)
//! and writing them as YAML that every consumer reads back unchanged (`yaml_out`).

mod context;
pub mod object;
pub mod patch;
pub mod stack;
mod template_yaml;
pub mod templates;
pub mod yaml_out;
