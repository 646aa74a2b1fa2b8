//! `build` killed at any instruction, and two builds of one directory at once, in bounded
//! loops. A killed build leaves the directory in place, every file in it the old or the new
//! version whole (only the tool's recognisable temporary files may be partial), nothing in
//! the directory's parent, and a state the next build completes to exactly the new tree.
//! Concurrent builds take turns: the last one's tree, whole, and a foreign file kept.

use crate::common;

use common::{configs_that_differ, scratch_dir, untouched, Untouched, XorShift};
use sg_executor_gen::component::layout::Tree;
use sg_executor_gen::component::manifest;
use sg_executor_gen::config::Overrides;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: usize = 200;
const KILLS_OF_MANY: usize = 60;
const RACES: usize = 60;
const TEMP_SUFFIX: &str = ".sg-executor-gen-tmp";

/// The first two differ in every way a build changes a directory.
fn configs() -> [String; 2] {
    let [a, b, _] = configs_that_differ();
    [a, b]
}

fn tree_of(config: &str) -> Tree {
    sg_executor_gen::pipeline::generate(config, &Overrides::default())
        .expect("the test configs are valid")
        .component()
}

fn build(work: &Path, config: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sg-executor-gen"));
    cmd.args(["build", "-f", config, "-o", "out"])
        .current_dir(work)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn build_to_the_end(work: &Path, config: &str) {
    let out = build(work, config).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every file under `dir` (not following links) with its bytes, and every directory.
fn files_and_dirs(dir: &Path) -> (BTreeMap<String, Vec<u8>>, Vec<String>) {
    let mut files = BTreeMap::new();
    let mut dirs = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                dirs.push(rel);
                pending.push(path);
            } else {
                files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    (files, dirs)
}

/// Asserts `dir` holds exactly `tree` and the foreign file, no temporary file and no empty
/// directory.
fn assert_exactly(dir: &Path, tree: &Tree, notes: &Untouched) {
    let (mut files, dirs) = files_and_dirs(dir);
    assert_eq!(&untouched(&dir.join("NOTES.md")), notes);
    files.remove("NOTES.md");
    let want: BTreeMap<String, Vec<u8>> = tree
        .iter()
        .map(|(p, c)| (p.clone(), c.as_bytes().to_vec()))
        .collect();
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert!(files == want, "a file differs from the tree");
    for d in dirs {
        assert!(
            fs::read_dir(dir.join(&d)).unwrap().next().is_some(),
            "{d} is left empty"
        );
    }
}

/// What a kill left, for the summary: how many kills landed in the middle of the writes.
#[derive(Debug, Default)]
struct Landed {
    before_any_write: usize,
    mid_write: usize,
    after_the_last_write: usize,
    temporary_files: usize,
}

/// Checks the directory after a kill: in place, every file the old or new version whole
/// (the manifest also as the union of both), nothing beside it in its parent.
fn check_after_kill(work: &Path, old: &Tree, new: &Tree, notes: &Untouched, landed: &mut Landed) {
    let dir = work.join("out");
    assert!(dir.is_dir(), "the directory disappeared");
    let mut beside: Vec<String> = fs::read_dir(work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert!(
        beside.iter().all(|n| n == "out" || n.ends_with(".yaml")),
        "left in the parent: {beside:?}"
    );
    let union = manifest::text(old.keys().chain(new.keys()).map(String::as_str));
    let (files, _) = files_and_dirs(&dir);
    let (mut as_old, mut as_new, mut temps) = (0, 0, 0);
    for (rel, bytes) in &files {
        if rel == "NOTES.md" {
            assert_eq!(&untouched(&dir.join(rel)), notes);
            continue;
        }
        if rel.ends_with(TEMP_SUFFIX) {
            temps += 1;
            continue;
        }
        let is = |t: &Tree| t.get(rel).is_some_and(|c| c.as_bytes() == bytes.as_slice());
        let is_union = rel == manifest::FILE_NAME && union.as_bytes() == bytes.as_slice();
        assert!(is(old) || is(new) || is_union, "{rel} is neither version");
        as_old += usize::from(is(old) && !is(new));
        as_new += usize::from(is(new) && !is(old));
    }
    let stale_left = old
        .keys()
        .filter(|p| !new.contains_key(*p))
        .any(|p| files.contains_key(p));
    landed.temporary_files += usize::from(temps > 0);
    if as_new == 0 && temps == 0 && files.len() == old.len() + 1 {
        landed.before_any_write += 1;
    } else if as_old == 0 && temps == 0 && !stale_left && files.len() == new.len() + 1 {
        landed.after_the_last_write += 1;
    } else {
        landed.mid_write += 1;
    }
}

#[test]
fn a_build_killed_at_any_point_is_completed_by_the_next() {
    killed_at_any_point("killed", configs(), KILLS, 0);
}

/// Past 64 files the files are written on several threads at once (`parallel::map_io`).
#[test]
fn a_build_of_many_files_killed_at_any_point_is_completed_by_the_next() {
    let registry_off = format!(
        "{}privateDockerRegistry:\n  enabled: false\n",
        common::EXECUTOR
    );
    let configs = [
        common::with_queues(common::EXECUTOR, 70),
        common::with_queues(&registry_off, 80),
    ];
    assert!(tree_of(&configs[0]).len() > 64 && tree_of(&configs[1]).len() > 64);
    // Rendering many queues takes most of a build; the writes come in its last part.
    killed_at_any_point("killed-many", configs, KILLS_OF_MANY, 60);
}

/// Builds `configs[0]`, then kills builds that alternate between the two at random points
/// of a whole build's time (from `earliest_percent` of it), checking the directory after
/// each kill and after the next build.
fn killed_at_any_point(name: &str, configs: [String; 2], kills: usize, earliest_percent: u64) {
    let work = scratch_dir(name);
    let trees = configs.each_ref().map(|c| tree_of(c));
    fs::write(work.join("config.yaml"), &configs[0]).unwrap();
    build_to_the_end(&work, "config.yaml");
    fs::write(work.join("out/NOTES.md"), "kept\n").unwrap();
    let notes = untouched(&work.join("out/NOTES.md"));
    // Kill anywhere from the start to the end of a whole build, timed once.
    fs::write(work.join("config.yaml"), &configs[1]).unwrap();
    let start = Instant::now();
    build_to_the_end(&work, "config.yaml");
    let whole = start.elapsed().as_micros() as u64;
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}, a whole build takes {whole} µs");
    let mut rng = XorShift(seed);
    let mut landed = Landed::default();
    for i in 0..kills {
        let (old, new) = (&trees[(i + 1) % 2], &trees[i % 2]);
        fs::write(work.join("config.yaml"), &configs[i % 2]).unwrap();
        let mut child = build(&work, "config.yaml").spawn().unwrap();
        let earliest = whole * earliest_percent / 100;
        std::thread::sleep(Duration::from_micros(
            earliest + rng.below(whole - earliest + 1),
        ));
        let _ = child.kill();
        child.wait().unwrap();
        check_after_kill(&work, old, new, &notes, &mut landed);
        build_to_the_end(&work, "config.yaml");
        assert_exactly(&work.join("out"), new, &notes);
    }
    println!("{kills} kills: {landed:?}");
    assert!(
        landed.mid_write > 0,
        "no kill landed while the build was writing: {landed:?}"
    );
}

#[test]
fn concurrent_builds_of_one_directory_take_turns() {
    let work = scratch_dir("concurrent");
    let configs = configs();
    let trees = configs.each_ref().map(|c| tree_of(c));
    for (name, config) in ["a.yaml", "b.yaml"].iter().zip(&configs) {
        fs::write(work.join(name), config).unwrap();
    }
    build_to_the_end(&work, "a.yaml");
    fs::write(work.join("out/NOTES.md"), "kept\n").unwrap();
    let notes = untouched(&work.join("out/NOTES.md"));
    for i in 0..RACES {
        // Different configs most of the time; the same one now and then.
        let second = if i % 4 == 3 { "a.yaml" } else { "b.yaml" };
        let runs = [
            build(&work, "a.yaml").spawn().unwrap(),
            build(&work, second).spawn().unwrap(),
        ];
        for run in runs {
            let out = run.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {i}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (files, _) = files_and_dirs(&work.join("out"));
        let is_b = files.get("kustomization.yaml").map(Vec::as_slice)
            == Some(trees[1]["kustomization.yaml"].as_bytes());
        assert_exactly(&work.join("out"), &trees[usize::from(is_b)], &notes);
    }
}
