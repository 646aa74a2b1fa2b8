//! The version `--version` and the man pages print: the package's version, and the commit it
//! was built from when it was built from a git checkout (`0.1.0 (abc1234def)`), so a binary
//! found on a machine says which source made it. Outside git (a source tarball), or without
//! a `git` to ask, it is the version alone.
//!
//! Cargo reruns this only when the commit can have moved: when this worktree's `HEAD` or its
//! reflog changes (every commit, checkout, reset and rebase appends to it), or, without a
//! reflog, the branch's ref. Every path watched exists, because Cargo treats a missing one as
//! always changed and would rebuild the crate on every run; the shared `refs/heads`
//! directory is not watched, so another worktree's commit does not rebuild this one.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let commit = if Path::new(".git").exists() {
        watch_git();
        git(&["rev-parse", "--short=10", "HEAD"])
    } else {
        None
    };
    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version,
    };
    println!("cargo:rustc-env=SG_EXECUTOR_GEN_VERSION={full}");
}

/// What `git ARGS` prints, trimmed, when it succeeds with something to say.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// Reruns the build script when `HEAD` can point at another commit.
fn watch_git() {
    let path = |name: &str| git(&["rev-parse", "--git-path", name]);
    let mut watched = Vec::new();
    watched.extend(path("HEAD"));
    match path("logs/HEAD").filter(|p| Path::new(p).exists()) {
        Some(reflog) => watched.push(reflog),
        None => {
            if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
                watched.extend(path(&branch));
            }
            watched.extend(path("packed-refs"));
        }
    }
    for p in watched.iter().filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={p}");
    }
}
