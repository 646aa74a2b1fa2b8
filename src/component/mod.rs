//! Phase 4, the component: the stack laid out as a Kustomize Component tree (`layout`),
//! with the manifest of the files that are the tool's (`manifest`), written to a directory
//! without touching what is not ours (`output_dir`), or compared with a golden directory
//! (`tree_diff`).

pub mod dir_handle;
pub mod layout;
pub mod manifest;
pub mod output_dir;
pub mod secret_mask;
pub mod tree_diff;
