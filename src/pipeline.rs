//! The pure pipeline, from config text to everything the subcommands print or write:
//! config → validated config → templates → typed check → bundle and component tree.
//! No I/O here, so tests drive it directly.

use crate::check::{self, CheckError};
use crate::component::layout::{self, Tree};
use crate::config::layers::Layer;
use crate::config::load::{self, ConfigError};
use crate::config::validate::Overrides;
use crate::diagnostic::Problem;
use crate::render::bundle::{self, Bundle};
use crate::render::stack::{self, Stack};
use crate::render::templates::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// Everything generated from one config.
#[derive(Debug)]
pub struct Generated {
    pub warnings: Vec<Problem>,
    /// Warnings found beyond those in `warnings`.
    pub warnings_not_shown: usize,
    pub stack: Stack,
    pub bundle: Bundle,
}

impl Generated {
    /// The multi-document stream `render` prints.
    pub fn stream(&self) -> String {
        self.bundle.to_stream()
    }

    /// The component tree `build` writes, with its manifest.
    pub fn component(&self) -> Tree {
        layout::component(&self.stack)
    }
}

pub fn generate(text: &str, overrides: &Overrides) -> Result<Generated, PipelineError> {
    generate_layered(&[Layer::File(text)], overrides, &mut |_| {
        Err("no files are read here".into())
    })
}

/// `generate` for a config in layers (several files, `--set`; see `config::layers`);
/// `read_file` reads the files `--set-file` names.
pub fn generate_layered(
    layers: &[Layer<'_>],
    overrides: &Overrides,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Generated, PipelineError> {
    let loaded = load::load_layers(layers, overrides, read_file)?;
    let stack = stack::render_stack(&loaded.config)?;
    let bundle = bundle::assemble(&stack)?;
    // Nothing is printed or written unless it passed.
    check::check(bundle.iter())?;
    Ok(Generated {
        warnings: loaded.warnings,
        warnings_not_shown: loaded.not_shown,
        stack,
        bundle,
    })
}
