//! What someone else who may write in a component directory can do to `build` and
//! `diff --update`, as attacks in bounded loops: swap a subdirectory, or the directory itself,
//! for a link to a directory outside while builds write and delete; list a file of theirs in
//! the manifest; put a directory where the tool writes its temporary file. Nothing outside
//! the directory is ever written or deleted, a file the tool did not write is never deleted,
//! and a build refuses before it writes anything.

use crate::common;

use common::{run_tool_in, scratch_dir, untouched, untouched_tree, with_queues, XorShift, CONFIG};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Builds per attack: the unfixed tool wrote or deleted outside in about one build in ten.
const ROUNDS: usize = 50;
/// Queues, so a build writes (or deletes) one file per queue in the swapped directory.
const QUEUES: usize = 20;

fn build(work: &Path, config: &str, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sg-executor-gen"))
        .args(["build", "-f", config, "-o", "out"])
        .args(extra)
        .current_dir(work)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Until stopped, moves `path` aside, puts a link to `outside` in its place for a moment,
/// and moves it back: what a user who may write in the directory can do during a build.
fn swap_in_a_loop(
    path: PathBuf,
    outside: PathBuf,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let aside = path.with_extension("aside");
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            if fs::rename(&path, &aside).is_ok() {
                if symlink(&outside, &path).is_ok() {
                    swaps += 1;
                }
                std::thread::sleep(Duration::from_micros(rng.below(400)));
                let _ = fs::remove_file(&path);
                if fs::rename(&aside, &path).is_err() {
                    // The build made a new directory there meanwhile: keep the newer one.
                    let _ = fs::remove_dir_all(&aside);
                }
            }
            std::thread::sleep(Duration::from_micros(rng.below(400)));
        }
        swaps
    })
}

/// Runs builds alternating between `configs` while `swapped` (relative to the work
/// directory) is swapped for a link to `outside`; after every build, `outside` must be
/// exactly as it was.
fn builds_during_swaps(
    work: &Path,
    configs: [&str; 2],
    swapped: &str,
    outside: &Path,
    rounds: usize,
) {
    let before = untouched_tree(outside);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = swap_in_a_loop(work.join(swapped), outside.to_path_buf(), stop.clone());
    let mut failed = 0;
    for i in 0..rounds {
        let out = build(work, configs[i % 2], &["--force"]);
        failed += usize::from(!out.status.success());
        let changed = changes(&before, &untouched_tree(outside));
        assert!(
            changed.is_empty(),
            "round {i}: the build wrote or deleted outside the directory through a link: {changed:?}; {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = swapper.join().unwrap();
    println!("{rounds} builds, {failed} refused a link, {swaps} swaps");
    assert!(swaps > 0, "the swapper never swapped");
}

/// The paths added, removed or changed between two snapshots.
fn changes(
    before: &BTreeMap<String, common::Untouched>,
    after: &BTreeMap<String, common::Untouched>,
) -> Vec<String> {
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter(|p| before.get(*p) != after.get(*p))
        .map(|p| match (before.contains_key(p), after.contains_key(p)) {
            (true, false) => format!("deleted {p}"),
            (false, true) => format!("created {p}"),
            _ => format!("changed {p}"),
        })
        .collect()
}

/// A directory outside the component holding a file at every path `dir` does, so a write or
/// a delete through a link to it shows.
fn mirror(dir: &Path, outside: &Path) {
    fs::create_dir_all(outside).unwrap();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let to = outside.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            mirror(&entry.path(), &to);
        } else {
            fs::write(
                &to,
                format!("outside: {}\n", entry.file_name().to_string_lossy()),
            )
            .unwrap();
        }
    }
}

/// Builds `texts[0]` into `out` in a new work directory, mirrors `swapped` (relative to the
/// work directory) in `outside`, and runs `builds_during_swaps`.
fn attack(name: &str, texts: [String; 2], swapped: &str) {
    let work = scratch_dir(name);
    let configs = ["a.yaml", "b.yaml"];
    for (name, text) in configs.iter().zip(&texts) {
        fs::write(work.join(name), text).unwrap();
    }
    let built = build(&work, configs[0], &[]);
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let outside = work.join("outside");
    mirror(&work.join(swapped), &outside);
    builds_during_swaps(&work, configs, swapped, &outside, ROUNDS);
}

/// Configs whose builds rewrite every queue's file.
fn queue_renamed() -> [String; 2] {
    let batches = with_queues(common::EXECUTOR, QUEUES);
    let codeintel = batches.replace("batches", "codeintel");
    [batches, codeintel]
}

#[test]
fn a_subdirectory_swapped_for_a_link_during_builds_is_never_written_through() {
    attack("swap-subdir", queue_renamed(), "out/per-queue");
}

#[test]
fn the_directory_swapped_for_a_link_during_builds_is_never_written_through() {
    attack("swap-dir", queue_renamed(), "out");
}

#[test]
fn files_deleted_while_a_subdirectory_is_swapped_are_never_deleted_through_the_link() {
    // Every other build removes all queues but two, so it deletes their files.
    let texts = [
        with_queues(common::EXECUTOR, QUEUES),
        with_queues(common::EXECUTOR, 2),
    ];
    attack("swap-delete", texts, "out/per-queue");
}

fn append_to_manifest(work: &Path, line: &str) {
    let path = work.join("out/.sg-executor-gen");
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(line);
    text.push('\n');
    fs::write(&path, text).unwrap();
}

#[test]
fn a_tampered_manifest_listing_your_file_never_deletes_it() {
    let work = scratch_dir("tampered-manifest");
    fs::write(work.join("config.yaml"), CONFIG).unwrap();
    let built = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "out"], None);
    assert_eq!(built.code, 0, "{}", built.stderr);
    fs::write(work.join("out/notes.md"), "our notes\n").unwrap();
    fs::create_dir(work.join("out/docs")).unwrap();
    fs::write(work.join("out/docs/runbook.md"), "steps\n").unwrap();
    // A generated file edited by hand, then no longer generated (the registry switched off).
    let edited = work.join("out/private-registry/executor-registry.Service.yaml");
    let text = fs::read_to_string(&edited).unwrap();
    fs::write(&edited, text.replace("port: 5000", "port: 5001")).unwrap();
    append_to_manifest(&work, "notes.md");
    append_to_manifest(&work, "docs/runbook.md");
    fs::write(
        work.join("config.yaml"),
        format!("{CONFIG}privateDockerRegistry:\n  enabled: false\n"),
    )
    .unwrap();
    let kept = [
        untouched(&work.join("out/notes.md")),
        untouched(&work.join("out/docs/runbook.md")),
        untouched(&edited),
    ];
    let forced = run_tool_in(
        &work,
        &["build", "-f", "config.yaml", "-o", "out", "--force"],
        None,
    );
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    let now = |w: &Path| {
        [
            untouched(&w.join("out/notes.md")),
            untouched(&w.join("out/docs/runbook.md")),
            untouched(&w.join("out/private-registry/executor-registry.Service.yaml")),
        ]
    };
    assert_eq!(now(&work), kept);
    for name in [
        "out/notes.md",
        "out/docs/runbook.md",
        "out/private-registry/executor-registry.Service.yaml",
    ] {
        assert!(
            forced.stderr.contains(&format!("{name}: warning: kept: ")),
            "{name}: {}",
            forced.stderr
        );
    }
    // No longer listed: a later build leaves them alone without a word.
    let manifest = fs::read_to_string(work.join("out/.sg-executor-gen")).unwrap();
    assert!(
        !manifest.contains("notes.md") && !manifest.contains("runbook"),
        "{manifest}"
    );
    let again = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "out"], None);
    assert_eq!(
        (again.code, again.stderr.contains("kept")),
        (0, false),
        "{}",
        again.stderr
    );

    // `diff --update` the same.
    append_to_manifest(&work, "notes.md");
    let update = run_tool_in(
        &work,
        &["diff", "-f", "config.yaml", "--golden", "out", "--update"],
        None,
    );
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert_eq!(now(&work), kept);
    assert!(
        update.stderr.contains("out/notes.md: warning: kept: "),
        "{}",
        update.stderr
    );
}

#[test]
fn a_directory_or_a_file_of_yours_at_a_temporary_path_is_refused_before_anything_is_written() {
    let work = scratch_dir("temp-squatted");
    fs::write(work.join("config.yaml"), CONFIG).unwrap();
    let built = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "out"], None);
    assert_eq!(built.code, 0, "{}", built.stderr);
    // A new frontend URL changes the ConfigMap and, after it in path order, the Deployment.
    let temp = "out/.executor.Deployment.yaml.sg-executor-gen-tmp";
    for (i, port) in ["30081", "30082"].into_iter().enumerate() {
        if i == 0 {
            fs::create_dir(work.join(temp)).unwrap();
            fs::write(work.join(temp).join("mine"), "x\n").unwrap();
        } else {
            fs::write(work.join(temp), "my draft\n").unwrap();
        }
        fs::write(work.join("config.yaml"), CONFIG.replace("30080", port)).unwrap();
        let before = untouched_tree(&work.join("out"));
        let refused = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "out"], None);
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(
            refused.stderr.starts_with(&format!("{temp}: ")),
            "{}",
            refused.stderr
        );
        let changed = changes(&before, &untouched_tree(&work.join("out")));
        assert!(
            changed.is_empty(),
            "{temp}: changed before refusing: {changed:?}"
        );
        if i == 0 {
            fs::remove_dir_all(work.join(temp)).unwrap();
        } else {
            fs::remove_file(work.join(temp)).unwrap();
        }
        let rebuilt = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "out"], None);
        assert_eq!(rebuilt.code, 0, "{}", rebuilt.stderr);
    }
}
