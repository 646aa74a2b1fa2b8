//! Phase 4, the component: the stack laid out as a Kustomize Component tree (`layout`),
//! written to a directory without touching what is not ours (`output_dir`), or compared
//! with a golden directory (`tree_diff`).

pub mod layout;
pub mod output_dir;
pub mod tree_diff;
