//! What `build` promises about files it did not generate, checked on generated foreign
//! trees: files with every kind of mode (setuid, setgid, sticky, none at all), another
//! owner (when the tests run as root, as in CI), hard links, sparse files, FIFOs, symbolic
//! links (inside, outside, dangling), empty and populated directories, files inside a
//! layer's directory, names that look like the tool's temporary files, and components built
//! from other configs in subdirectories. After a sequence of builds that create, replace
//! and delete generated files around them, every one keeps its inode, owner, mode, times,
//! link count, block count and contents: the tool never touched them.
//!
//! Case count: a quarter of `PROPTEST_CASES` (default 64), at least 8.

use crate::common;

use common::{configs_that_differ, is_root, scratch_dir, untouched, untouched_tree, Untouched};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use sg_executor_gen::config::Overrides;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{chown, lchown, symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

#[derive(Debug, Clone)]
enum LinkTarget {
    FileInside,
    FileOutside,
    DirOutside,
    Dangling,
}

#[derive(Debug, Clone)]
enum Kind {
    File {
        mode: u32,
        bytes: Vec<u8>,
    },
    /// 8 MiB with one byte written: a copy would make it dense.
    Sparse,
    /// A file and a second name for it.
    HardLinked,
    Link(LinkTarget),
    Dir {
        mode: u32,
        files: usize,
    },
    Fifo,
    /// A component built from `configs_that_differ()[n]`.
    Component(usize),
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    /// In the admin's own directory `user-dir`.
    InOwnDir,
    /// In `private-registry/`, a layer's directory the builds create and delete.
    InLayerDir,
}

#[derive(Debug, Clone, Copy)]
enum Name {
    Plain,
    Hidden,
    /// Looks like the tool's temporary file of a path it does not generate.
    LikeATemporaryFile,
}

#[derive(Debug, Clone)]
struct Entry {
    kind: Kind,
    place: Place,
    name: Name,
    other_owner: bool,
}

#[rustfmt::skip]
const MODES: &[u32] = &[0o644, 0o600, 0o755, 0o4755, 0o2755, 0o6711, 0o444, 0o640, 0o000, 0o1777, 0o707];

fn kind() -> BoxedStrategy<Kind> {
    prop_oneof![
        4 => (select(MODES), vec(any::<u8>(), 0..64)).prop_map(|(mode, bytes)| Kind::File { mode, bytes }),
        1 => Just(Kind::Sparse),
        2 => Just(Kind::HardLinked),
        2 => select(vec![LinkTarget::FileInside, LinkTarget::FileOutside, LinkTarget::DirOutside, LinkTarget::Dangling]).prop_map(Kind::Link),
        2 => (select(MODES), 0usize..3).prop_map(|(mode, files)| Kind::Dir { mode, files }),
        1 => Just(Kind::Fifo),
        2 => (0usize..3).prop_map(Kind::Component),
    ]
    .boxed()
}

fn entry() -> BoxedStrategy<Entry> {
    (
        kind(),
        select(vec![
            Place::Top,
            Place::Top,
            Place::InOwnDir,
            Place::InLayerDir,
        ]),
        select(vec![
            Name::Plain,
            Name::Plain,
            Name::Hidden,
            Name::LikeATemporaryFile,
        ]),
        any::<bool>(),
    )
        .prop_map(|(kind, place, name, other_owner)| Entry {
            kind,
            place,
            name,
            other_owner,
        })
        .boxed()
}

/// A scene: the foreign entries, the mode of the admin's directory, the configs built in
/// turn, and whether the foreign tree is there before the first build or only after it.
#[derive(Debug, Clone)]
struct Scene {
    entries: Vec<Entry>,
    own_dir_mode: u32,
    builds: Vec<usize>,
    foreign_first: bool,
}

fn scene() -> BoxedStrategy<Scene> {
    (
        vec(entry(), 1..10),
        select(vec![0o700, 0o755, 0o2775, 0o1777, 0o500]),
        vec(0usize..3, 1..4),
        any::<bool>(),
    )
        .prop_map(|(entries, own_dir_mode, builds, foreign_first)| Scene {
            entries,
            own_dir_mode,
            builds,
            foreign_first,
        })
        .boxed()
}

fn run_build(work: &Path, config: &Path, out: &Path) -> Result<(), TestCaseError> {
    let run = Command::new(env!("CARGO_BIN_EXE_sg-executor-gen"))
        .arg("build")
        .arg("-f")
        .arg(config)
        .arg("-o")
        .arg(out)
        .current_dir(work)
        .output()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(
        run.status.success(),
        "build {} -o {}: {}",
        config.display(),
        out.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    Ok(())
}

/// Without root, every mode keeps the owner's access, so the test can read what it made.
fn usable(mode: u32, dir: bool, root: bool) -> u32 {
    match (root, dir) {
        (true, _) => mode,
        (false, true) => mode | 0o700,
        (false, false) => mode | 0o600,
    }
}

/// Makes the foreign entries in `out`; returns the paths to watch (relative to `work`).
fn make_foreign(work: &Path, scene: &Scene, root: bool) -> Result<Vec<String>, TestCaseError> {
    let out = work.join("out");
    let fail = |e: std::io::Error| TestCaseError::fail(e.to_string());
    fs::create_dir_all(out.join("user-dir")).map_err(fail)?;
    fs::create_dir_all(out.join("private-registry")).map_err(fail)?;
    let mut watched = Vec::new();
    let mut last_file = None;
    for (i, e) in scene.entries.iter().enumerate() {
        let name = match e.name {
            Name::Plain => format!("user-{i}"),
            Name::Hidden => format!(".user-{i}"),
            Name::LikeATemporaryFile => format!(".user-{i}.yaml.sg-executor-gen-tmp"),
        };
        let rel = match e.place {
            Place::Top => name,
            Place::InOwnDir => format!("user-dir/{name}"),
            Place::InLayerDir => format!("private-registry/{name}"),
        };
        let path = out.join(&rel);
        match &e.kind {
            Kind::File { mode, bytes } => {
                fs::write(&path, bytes).map_err(fail)?;
                last_file = Some(path.clone());
                if e.other_owner && root {
                    chown(&path, Some(4242), Some(4243)).map_err(fail)?;
                }
                fs::set_permissions(
                    &path,
                    fs::Permissions::from_mode(usable(*mode, false, root)),
                )
                .map_err(fail)?;
            }
            Kind::Sparse => {
                let f = fs::File::create(&path).map_err(fail)?;
                f.set_len(8 << 20).map_err(fail)?;
                std::os::unix::fs::FileExt::write_at(&f, b"x", 4 << 20).map_err(fail)?;
            }
            Kind::HardLinked => {
                fs::write(&path, format!("linked {i}\n")).map_err(fail)?;
                let second = format!("user-{i}-second-name");
                fs::hard_link(&path, out.join(&second)).map_err(fail)?;
                watched.push(format!("out/{second}"));
            }
            Kind::Link(target) => {
                let to = match target {
                    LinkTarget::FileInside => match &last_file {
                        Some(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                        None => "user-missing".into(),
                    },
                    LinkTarget::FileOutside => work.join("outside.txt").display().to_string(),
                    LinkTarget::DirOutside => work.join("outside").display().to_string(),
                    LinkTarget::Dangling => "nowhere/at/all".into(),
                };
                symlink(&to, &path).map_err(fail)?;
                if e.other_owner && root {
                    lchown(&path, Some(4242), Some(4243)).map_err(fail)?;
                }
            }
            Kind::Dir { mode, files } => {
                fs::create_dir(&path).map_err(fail)?;
                for n in 0..*files {
                    fs::write(path.join(format!("kustomization-{n}.yaml")), "x: 1\n")
                        .map_err(fail)?;
                }
                if e.other_owner && root {
                    chown(&path, Some(4242), Some(4243)).map_err(fail)?;
                }
                fs::set_permissions(&path, fs::Permissions::from_mode(usable(*mode, true, root)))
                    .map_err(fail)?;
            }
            Kind::Fifo => {
                let made = Command::new("mkfifo").arg(&path).status().map_err(fail)?;
                prop_assert!(made.success(), "mkfifo {}", path.display());
            }
            Kind::Component(n) => {
                run_build(
                    work,
                    Path::new(&format!("config-{n}.yaml")),
                    &Path::new("out").join(&rel),
                )?;
            }
        }
        watched.push(format!("out/{rel}"));
    }
    fs::set_permissions(
        out.join("user-dir"),
        fs::Permissions::from_mode(usable(scene.own_dir_mode, true, root)),
    )
    .map_err(fail)?;
    watched.extend([
        "out/user-dir".to_string(),
        "outside.txt".into(),
        "outside".into(),
    ]);
    Ok(watched)
}

/// Everything about the watched paths (a directory with all it holds), without following
/// links.
fn watch(work: &Path, watched: &[String]) -> BTreeMap<String, Untouched> {
    let mut all = BTreeMap::new();
    for rel in watched {
        let path = work.join(rel);
        if fs::symlink_metadata(&path).unwrap().is_dir() {
            for (p, u) in untouched_tree(&path) {
                all.insert(
                    format!("{}/{p}", Path::new(rel).parent().unwrap().display()),
                    u,
                );
            }
        } else {
            all.insert(rel.clone(), untouched(&path));
        }
    }
    all
}

fn check_scene(scene: &Scene) -> Result<(), TestCaseError> {
    let root = is_root();
    let work = scratch_dir("foreign-trees");
    let configs = configs_that_differ();
    for (n, c) in configs.iter().enumerate() {
        fs::write(work.join(format!("config-{n}.yaml")), c).unwrap();
    }
    fs::write(work.join("outside.txt"), "outside\n").unwrap();
    fs::create_dir(work.join("outside")).unwrap();
    fs::write(work.join("outside/inside.txt"), "inside\n").unwrap();
    let mut builds = scene.builds.iter();
    if !scene.foreign_first {
        let n = builds.next().unwrap();
        run_build(
            &work,
            Path::new(&format!("config-{n}.yaml")),
            Path::new("out"),
        )?;
    }
    let watched = make_foreign(&work, scene, root)?;
    let before = watch(&work, &watched);
    let mut last = None;
    for n in builds {
        run_build(
            &work,
            Path::new(&format!("config-{n}.yaml")),
            Path::new("out"),
        )?;
        last = Some(*n);
    }
    let after = watch(&work, &watched);
    for (path, was) in &before {
        prop_assert_eq!(Some(was), after.get(path), "{} changed", path);
    }
    prop_assert_eq!(before.len(), after.len());
    if let Some(n) = last {
        let tree = sg_executor_gen::pipeline::generate(&configs[n], &Overrides::default())
            .unwrap()
            .component();
        for (rel, content) in &tree {
            let got = fs::read_to_string(work.join("out").join(rel)).unwrap_or_default();
            prop_assert!(&got == content, "out/{} is not the last build's", rel);
        }
    }
    let _ = fs::set_permissions(work.join("out/user-dir"), fs::Permissions::from_mode(0o755));
    let _ = fs::remove_dir_all(&work);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(
            (std::env::var("PROPTEST_CASES").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(64u32) / 4).max(8)
        )
    })]

    #[test]
    fn builds_leave_every_foreign_file_directory_and_link_untouched(scene in scene()) {
        check_scene(&scene)?;
    }
}
