//! A config or manifest file given without `-f` (`render examples/basic.yaml`), as a helm
//! user types `helm template NAME CHART`: clap's bare "unexpected argument" said again with
//! the command that works, in clap's own form.

use crate::cli::Cli;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::CommandFactory;
use std::ffi::OsString;

/// The subcommands that read their input from `-f`, and what they call it.
const READS_F: [(&str, &str); 4] = [
    ("render", "config"),
    ("build", "config"),
    ("diff", "config"),
    ("check", "manifests"),
];

/// `error` again, with the fix, when it is about a file given without `-f`.
pub(super) fn refuse(error: &clap::Error, args: &[OsString]) -> Option<clap::Error> {
    if error.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(stray)) = error.get(ContextKind::InvalidArg) else {
        return None;
    };
    if stray.starts_with('-') {
        return None;
    }
    let (name, what) = args
        .iter()
        .skip(1)
        .find_map(|a| READS_F.iter().find(|(n, _)| a.to_str() == Some(n)))?;
    let mut cmd = Cli::command();
    cmd.build();
    let sub = cmd.find_subcommand_mut(name)?;
    Some(sub.error(
        ErrorKind::UnknownArgument,
        format!(
            "unexpected argument '{stray}': {name} reads its {what} from -f\n\n  tip: sg-executor-gen {name} -f {stray}"
        ),
    ))
}
