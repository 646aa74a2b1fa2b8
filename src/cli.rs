//! The command line: the subcommands and their flags. Parsing only; `app` runs them.

use crate::config::strvals::SetKind;
use crate::config::Mode;
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use std::path::PathBuf;

/// The version `--version` and the man pages print: the package's, with the commit it was
/// built from when built from a git checkout (`build.rs`).
pub const VERSION: &str = env!("SG_EXECUTOR_GEN_VERSION");

#[derive(Debug, Parser)]
#[command(
    name = "sg-executor-gen",
    version = VERSION,
    about = "Generate checked Kubernetes manifests for Sourcegraph executors (docker-in-docker or native Kubernetes)",
    after_help = "Exit status: 0 success (no drift, no problem), 1 drift found by `diff`, problems found by `check` or an error result from `fn`, 2 error."
)]
pub struct Cli {
    /// When to colour messages and diffs: auto (on a terminal, unless NO_COLOR is set),
    /// always or never
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print every manifest as one multi-document YAML stream
    Render {
        #[command(flatten)]
        input: Input,
        /// Write the stream to FILE instead of standard output, atomically: a reader sees the
        /// old file or the whole new one, and nothing is left behind on an error. As with
        /// kubectl, `-o yaml` and `-o json` choose the format on standard output instead
        /// (`-o ./json` writes a file named json)
        #[arg(short = 'o', long = "output", value_name = "FILE", value_hint = ValueHint::FilePath)]
        output: Option<PathBuf>,
        /// The stream's format: yaml (documents separated by ---) or json (one kubectl List)
        #[arg(long = "output-format", value_enum, value_name = "FORMAT")]
        format: Option<StreamFormat>,
    },
    /// Write a Kustomize Component directory (base plus one sub-component per layer)
    Build {
        #[command(flatten)]
        input: Input,
        /// The component directory to write into (created if missing); only the files the
        /// tool generated there, listed in DIR/.sg-executor-gen, are replaced or deleted
        #[arg(short = 'o', long = "output", value_name = "DIR", value_hint = ValueHint::DirPath)]
        output: PathBuf,
        /// Replace generated files even if they were edited by hand (never foreign files; a
        /// listed file no longer generated is deleted only when it is as the tool wrote it)
        #[arg(long)]
        force: bool,
    },
    /// Compare what `build` would write with a golden directory; exit 1 on drift
    Diff {
        #[command(flatten)]
        input: Input,
        /// The golden component directory
        #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        golden: PathBuf,
        /// Rewrite the golden directory to the generated tree instead of comparing (every
        /// generated path is written, header or not; other files are never touched)
        #[arg(long)]
        update: bool,
        /// Show the values of Secrets in the diff; by default they are hidden (`***`), since
        /// CI logs are read widely
        #[arg(long)]
        show_secrets: bool,
    },
    /// Check any manifest stream (e.g. `kubectl kustomize` output) as `render` checks its own:
    /// typed objects and their wiring; exit 1 on problems
    Check(CheckArgs),
    /// Run as a KRM function: read a ResourceList on standard input, its functionConfig the
    /// config, and write it back with the stack's objects in its items (for kpt)
    Fn,
    /// Print the JSON Schema of the config (both forms, both charts' keys), for editors
    Schema,
    /// Print a commented starter config in the KRM form, ready to render
    Init(InitArgs),
    /// Explain a config key: what it does, its default, what it becomes, where we differ
    /// from the chart (without KEY: every key)
    Explain {
        /// A key path such as executor.frontendUrl (a leading `spec.` is fine)
        key: Option<String>,
    },
    /// Print shell completions for SHELL
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a manual page in roff (`sg-executor-gen man | man -l -`): the tool's, or a
    /// subcommand's; with --dir, write every page into a directory
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The subcommand whose page to print, e.g. render (without it: the tool's own page)
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
    pub subcommand: Option<String>,
    /// Write every page (sg-executor-gen.1, sg-executor-gen-render.1, and so on) into DIR, created
    /// if missing, e.g. ~/.local/share/man/man1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Manifests: a multi-document YAML stream (`kind: List` and `*List` are expanded), a
    /// directory (its *.yaml, *.yml and *.json files, recursively, in name order), or `-` for
    /// standard input; repeat for several
    #[arg(
        short = 'f',
        long = "file",
        value_name = "MANIFESTS",
        value_hint = ValueHint::AnyPath,
        required = true
    )]
    pub files: Vec<PathBuf>,
    /// Pass when there is nothing to check; without it an empty stream is an error, since
    /// it is most often a command before the pipe that failed
    #[arg(long)]
    pub allow_empty: bool,
    /// Turn warnings (references to objects outside the stream, objects of kinds it cannot
    /// check) into problems
    #[arg(long)]
    pub strict: bool,
    /// The report: text (one line a problem, on standard error), json or junit (JUnit XML
    /// for CI test reports), both on standard output
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub output: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The Sourcegraph frontend the executors talk to
    #[arg(
        long,
        value_name = "URL",
        default_value = "http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080"
    )]
    pub frontend_url: String,
    /// A queue to pull jobs from (repeat for several): batches, codeintel
    #[arg(long = "queue", value_name = "QUEUE", default_value = "batches")]
    pub queues: Vec<String>,
    /// The Secret holding the key EXECUTOR_FRONTEND_PASSWORD
    #[arg(long, value_name = "SECRET", default_value = "executor-frontend")]
    pub existing_secret: String,
    /// Executor flavour
    #[arg(long, value_enum, default_value = "dind")]
    pub mode: ModeArg,
    /// The stack's name (every object is named after it)
    #[arg(long, value_name = "NAME", default_value = crate::config::defaults::STACK_NAME)]
    pub name: String,
    /// The namespace of every object
    #[arg(short = 'n', long, value_name = "NS", value_hint = ValueHint::Other)]
    pub namespace: Option<String>,
    /// Where the editor finds the schema (the modeline's `$schema=`)
    #[arg(
        long,
        value_name = "URL",
        default_value = "sg-executor-gen.schema.json"
    )]
    pub schema: String,
    /// Values set on the starter as on a config (`--set executor.maximumNumJobs=2`): each
    /// set key is written in place of its commented default, and what is printed is
    /// checked as `render` would read it
    #[command(flatten)]
    pub sets: SetArgs,
}

#[derive(Debug, Args)]
pub struct Input {
    /// A config file: KRM form or bare Helm values (`-` or /dev/stdin reads standard input;
    /// a pipe such as <(sops -d values.yaml) works too). Repeat to layer files as Helm
    /// does: later files win, mappings merge, lists are replaced, `null` deletes a key
    #[arg(
        short = 'f',
        long = "file",
        value_name = "CONFIG",
        value_hint = ValueHint::FilePath,
        required_unless_present_any = ["set", "set_string", "set_file"]
    )]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub sets: SetArgs,
    /// Put every object in this namespace (overrides metadata.namespace)
    #[arg(short = 'n', long, value_name = "NS", value_hint = ValueHint::Other)]
    pub namespace: Option<String>,
    /// Executor flavour (overrides spec.mode); `k8s` is kubernetes
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Turn the config's warnings into errors
    #[arg(long)]
    pub strict: bool,
}

/// `--set`, `--set-string` and `--set-file`, as Helm reads them: `render`, `build`, `diff`
/// and `init` take the same flags.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// Set values on the command line, after the files, as with helm: a.b=c, a[0].b=c,
    /// lists {x,y}; `\` escapes `,` `.` `=`; true/false, null (delete) and whole numbers are
    /// typed. Keys are the Helm value names (under `spec` in the KRM form); repeatable
    #[arg(long = "set", value_name = "KEY=VALUE", value_hint = ValueHint::Other)]
    pub set: Vec<String>,
    /// Like --set, every value a string (applied after --set)
    #[arg(long = "set-string", value_name = "KEY=VALUE", value_hint = ValueHint::Other)]
    pub set_string: Vec<String>,
    /// Like --set, each value the text of a file (applied last)
    #[arg(long = "set-file", value_name = "KEY=PATH", value_hint = ValueHint::Other)]
    pub set_file: Vec<String>,
}

impl SetArgs {
    /// Every argument in Helm's order: every --set, then every --set-string, then every
    /// --set-file.
    pub fn in_order(&self) -> impl Iterator<Item = (&str, SetKind)> {
        let typed = self.set.iter().map(|a| (a.as_str(), SetKind::Typed));
        let strings = self
            .set_string
            .iter()
            .map(|a| (a.as_str(), SetKind::String));
        let files = self.set_file.iter().map(|a| (a.as_str(), SetKind::File));
        typed.chain(strings).chain(files)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    Dind,
    #[value(alias = "k8s")]
    Kubernetes,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Dind => Mode::Dind,
            ModeArg::Kubernetes => Mode::Kubernetes,
        }
    }
}
