//! Phase 1, the config: from a file's text to a validated `Config`, every problem located
//! by line, column and key path. The text, its characters checked (`characters`), becomes a
//! located YAML tree (`source`), the tree the typed config as written (`node_de` into
//! `raw`), and that the `Config` the templates use (`validate` into `model`), one code path
//! for the KRM and the bare-values form (`load`).

pub mod characters;
pub mod defaults;
pub mod docs;
pub mod keys;
pub mod layers;
pub mod load;
pub mod main_chart;
pub mod model;
pub mod node_de;
pub mod raw;
pub mod schema;
pub mod source;
pub mod starter;
pub mod strvals;
pub mod validate;

pub use load::{load, load_layers, ConfigError, Loaded};
pub use model::{Config, Mode};
pub use validate::Overrides;
