//! The documentation against the tool. Every relative link and `#anchor` in `README.md` and
//! `docs/*.md` resolves to a file and a heading, and so does every `docs/FILE.md, "Heading"`
//! reference (the form `explain` prints). The README's two set-up commands and a newcomer's
//! commands (the first render, the first component, the CI gate, the drift check) run as
//! written, in a scratch directory, against the debug binary; only the steps that need a
//! cluster are left out. The limits and defaults the docs state as numbers are the constants
//! the code uses.

use crate::common::{kubectl, scratch_dir};
use sg_executor_gen::component::tree_diff;
use sg_executor_gen::config::{defaults, source, validate::size};
use sg_executor_gen::k8s::limits;
use sg_executor_gen::yaml;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// `README.md` and every `docs/*.md`, by path relative to the repository.
fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(Path::new(ROOT).join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.strip_prefix(ROOT).unwrap().to_path_buf())
        .collect();
    docs.sort();
    assert!(docs.len() >= 10, "docs/ is missing its pages: {docs:?}");
    files.extend(docs);
    files
}

fn read(rel: &Path) -> String {
    fs::read_to_string(Path::new(ROOT).join(rel)).unwrap()
}

/// The lines of a markdown text that are prose: fenced and indented code blocks left out,
/// inline code spans blanked, so that a `[x](y)` in an example is not taken for a link.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || line.starts_with("    ") {
            continue;
        }
        let mut prose = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
            } else if !in_code {
                prose.push(c);
            }
        }
        out.push((i + 1, prose));
    }
    out
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-` and `_` dropped,
/// each space a `-`; a repeated heading gets `-1`, `-2`, ….
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every heading of a markdown text, as written and as its anchor.
fn headings(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut fenced = false;
    let mut titles = BTreeSet::new();
    let mut anchors = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(title) = line
            .strip_prefix('#')
            .map(|t| t.trim_start_matches('#'))
            .and_then(|t| t.strip_prefix(' '))
        else {
            continue;
        };
        if fenced {
            continue;
        }
        let title = title.trim();
        titles.insert(title.to_string());
        let base = slug(title);
        let n = seen.entry(base.clone()).or_default();
        anchors.insert(if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        *n += 1;
    }
    (titles, anchors)
}

/// The targets of the inline links `[text](target)` in one line of prose.
fn link_targets(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let Some(end) = after.find(')') else { break };
        targets.push(after[..end].trim().to_string());
        rest = &after[end..];
    }
    targets
}

/// Where a relative link in `from` points: the file (none for a same-page anchor) and anchor.
fn resolve(from: &Path, target: &str) -> (Option<PathBuf>, Option<String>) {
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a.to_string())),
        None => (target, None),
    };
    if path.is_empty() {
        return (None, anchor);
    }
    let dir = from.parent().unwrap_or(Path::new(""));
    (Some(normalise(&dir.join(path))), anchor)
}

/// `a/../b` as `b`, without touching the file system.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with the links of every page: one line per broken link.
fn broken_links() -> Vec<String> {
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = read(&file);
        for (line, prose) in prose_lines(&text) {
            for target in link_targets(&prose) {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let here = format!("{}:{line}: `{target}`", file.display());
                let (path, anchor) = resolve(&file, &target);
                let page = path.clone().unwrap_or_else(|| file.clone());
                let full = Path::new(ROOT).join(&page);
                if !full.exists() {
                    broken.push(format!("{here}: no such file {}", page.display()));
                    continue;
                }
                let Some(anchor) = anchor else { continue };
                if full.extension().is_none_or(|e| e != "md") {
                    broken.push(format!(
                        "{here}: an anchor into a file that is not markdown"
                    ));
                    continue;
                }
                let (_, anchors) = headings(&fs::read_to_string(&full).unwrap());
                if !anchors.contains(&anchor) {
                    broken.push(format!(
                        "{here}: {} has no heading #{anchor} (it has {anchors:?})",
                        page.display()
                    ));
                }
            }
        }
    }
    broken
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let broken = broken_links();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_link_checker_sees_a_broken_link_and_a_broken_anchor() {
    let (_, anchors) = headings(
        "# Chart keys\n## Reports for CI: `-o json`, `-o junit`\n## `check` in CI\n## A\n## A\n",
    );
    for a in [
        "chart-keys",
        "reports-for-ci--o-json--o-junit",
        "check-in-ci",
        "a",
        "a-1",
    ] {
        assert!(anchors.contains(a), "{a} not in {anchors:?}");
    }
    let prose =
        prose_lines("see [x](a.md#b) and `[y](c.md)`\n```\n[z](d.md)\n```\n    [w](e.md)\n");
    let targets: Vec<String> = prose.iter().flat_map(|(_, l)| link_targets(l)).collect();
    assert_eq!(targets, ["a.md#b"]);
    assert_eq!(
        resolve(Path::new("docs/keys.md"), "../README.md#install"),
        (Some(PathBuf::from("README.md")), Some("install".into()))
    );
}

/// `docs/FILE.md, "Heading"`, the form the key table (and so `explain`) uses for a fact
/// kept elsewhere: the file exists and has that heading.
#[test]
fn every_docs_reference_by_heading_resolves() {
    let mut found = 0;
    let mut broken = Vec::new();
    for file in doc_files() {
        let text = read(&file).replace("\\\"", "\"");
        let mut rest = text.as_str();
        while let Some(at) = rest.find("docs/") {
            rest = &rest[at + 5..];
            let Some((name, after)) = rest.split_once(".md, \"") else {
                continue;
            };
            if name.contains(|c: char| !(c.is_ascii_lowercase() || c == '-')) {
                continue;
            }
            let Some((heading, _)) = after.split_once('"') else {
                continue;
            };
            found += 1;
            let page = Path::new("docs").join(format!("{name}.md"));
            let full = Path::new(ROOT).join(&page);
            let titles = fs::read_to_string(&full).map(|t| headings(&t).0);
            if !titles.as_ref().is_ok_and(|t| t.contains(heading)) {
                broken.push(format!(
                    "{}: {}, \"{heading}\"",
                    file.display(),
                    page.display()
                ));
            }
        }
    }
    assert!(
        found >= 2,
        "the key table no longer names facts kept elsewhere; found {found}"
    );
    assert!(
        broken.is_empty(),
        "references to headings that do not exist:\n{}",
        broken.join("\n")
    );
}

/// The README's sections, by their `## ` heading.
fn readme_sections() -> BTreeMap<String, String> {
    let readme = read(Path::new("README.md"));
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in readme.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            if let Some((t, body)) = current.take() {
                sections.insert(t, body);
            }
            current = Some((title.to_string(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    if let Some((t, body)) = current {
        sections.insert(t, body);
    }
    sections
}

fn section(sections: &BTreeMap<String, String>, title: &str) -> String {
    sections
        .get(title)
        .unwrap_or_else(|| panic!("README.md has no section `## {title}`"))
        .clone()
}

/// The indented code lines of a section (commands and sample output, not fenced blocks).
fn indented(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("    "))
        .map(str::to_string)
        .collect()
}

/// The fenced blocks of a text, in order: (info string, body).
fn fenced(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(info) = line.strip_prefix("```") {
            match open.take() {
                Some(block) => blocks.push(block),
                None => open = Some((info.trim().to_string(), String::new())),
            }
        } else if let Some((_, body)) = open.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    assert!(open.is_none(), "an unclosed ``` block");
    blocks
}

/// A scratch copy of what a newcomer has after cloning: the examples, and a `bin` directory
/// whose `sg-executor-gen` is the debug binary (and `kubectl` the one the tests run).
fn newcomer_dir() -> (PathBuf, String) {
    let dir = scratch_dir("docs-newcomer");
    let examples = dir.join("examples");
    fs::create_dir(&examples).unwrap();
    for e in crate::common::examples() {
        fs::copy(&e, examples.join(e.file_name().unwrap())).unwrap();
    }
    let bin = dir.join(".bin");
    fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_sg-executor-gen"),
        bin.join("sg-executor-gen"),
    )
    .unwrap();
    let kubectl = kubectl();
    if kubectl != "kubectl" {
        std::os::unix::fs::symlink(&kubectl, bin.join("kubectl")).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

/// Runs a README block as a CI step runs it: `bash -e`, without `pipefail` unless the block
/// sets it.
fn run_block(dir: &Path, path: &str, script: &str) -> Output {
    Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash runs")
}

fn describe(script: &str, out: &Output) -> String {
    format!(
        "`{script}` exited {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The commands left out of the newcomer run: they need a cluster.
const NEEDS_A_CLUSTER: [&str; 2] = ["kubectl apply", "kubectl create"];

#[test]
fn the_readme_set_up_commands_run() {
    let sections = readme_sections();
    let setup = indented(&section(&sections, "Set up on a fresh machine"));
    assert_eq!(
        setup.len(),
        2,
        "the README must give exactly two set-up commands (the main job, the tests): {setup:?}"
    );
    // The main job on the bundled example: `cargo run --release -- ARGS` is the binary
    // with ARGS, here the debug build, in a clone's layout.
    let args = setup[0]
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| {
            panic!(
                "the first set-up command is not `cargo run --release -- …`: {}",
                setup[0]
            )
        });
    assert!(
        args.contains("examples/"),
        "the main job runs on a bundled example: {args}"
    );
    let (dir, path) = newcomer_dir();
    let out = run_block(&dir, &path, &format!("sg-executor-gen {args}"));
    assert!(out.status.success(), "{}", describe(args, &out));
    let stream = String::from_utf8(out.stdout).unwrap();
    assert!(
        stream.contains("\nkind: Deployment\n"),
        "no Deployment in:\n{stream}"
    );
    // The tests: this is the run that is reading it. What can still break it is a lock file
    // that `--locked` refuses; cargo says so without building anything.
    assert_eq!(setup[1], "cargo test --locked");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let meta = Command::new(cargo)
        .args(["tree", "--locked", "--offline", "--depth", "0"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(
        meta.status.success(),
        "Cargo.lock is not what `--locked` needs:\n{}",
        String::from_utf8_lossy(&meta.stderr)
    );
}

#[test]
fn a_newcomer_following_the_readme_renders_builds_and_passes_the_ci_gate() {
    let sections = readme_sections();
    let (dir, path) = newcomer_dir();
    let mut ran: Vec<String> = Vec::new();
    let mut gate = None;
    let mut drift = None;
    for title in ["Your first render", "Your first component, and the CI gate"] {
        for (info, body) in fenced(&section(&sections, title)) {
            match info.as_str() {
                "yaml" => {
                    // A file to write: its first line names it (`# app/kustomization.yaml`).
                    let name = body.lines().next().and_then(|l| l.strip_prefix("# "));
                    let name = name.unwrap_or_else(|| {
                        panic!("a yaml block without its file name as its first line:\n{body}")
                    });
                    let file = dir.join(name.trim());
                    fs::create_dir_all(file.parent().unwrap()).unwrap();
                    fs::write(file, &body).unwrap();
                }
                "sh" => {
                    let script: Vec<&str> = body
                        .lines()
                        .filter(|l| !NEEDS_A_CLUSTER.iter().any(|c| l.starts_with(c)))
                        .collect();
                    if script.is_empty() {
                        continue;
                    }
                    let script = script.join("\n");
                    let out = run_block(&dir, &path, &script);
                    assert!(out.status.success(), "{}", describe(&script, &out));
                    if script.contains("sg-executor-gen check") {
                        gate = Some((script.clone(), out));
                    } else if script.contains("sg-executor-gen diff") {
                        drift = Some(script.clone());
                    }
                    ran.push(script);
                }
                other => {
                    panic!("a ```{other} block in `{title}`: the test runs sh and writes yaml")
                }
            }
        }
    }
    let all = ran.join("\n");
    for step in [
        "sg-executor-gen render -f examples/basic.yaml",
        "sg-executor-gen init",
        "sg-executor-gen build -f",
        "sg-executor-gen diff -f",
    ] {
        assert!(
            all.contains(step),
            "the README no longer runs `{step}`:\n{all}"
        );
    }

    // The gate: pipefail, kustomize into check, and check passed on objects it checked.
    let (gate, out) = gate.expect("the README has no CI gate running `sg-executor-gen check`");
    assert!(
        gate.contains("set -o pipefail"),
        "the CI gate must set pipefail:\n{gate}"
    );
    assert!(
        gate.contains("kubectl kustomize") && gate.contains("| sg-executor-gen check -f -"),
        "{gate}"
    );
    let report = String::from_utf8_lossy(&out.stderr);
    let checked: usize = report
        .split("checked ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no `checked N object(s)` in:\n{report}"));
    assert!(
        checked >= 7 && report.contains(": 0 problem(s)"),
        "{report}"
    );

    // It cannot pass on nothing: with a kustomization that does not build, the same step fails.
    let kustomization = dir.join("app/kustomization.yaml");
    let good = fs::read_to_string(&kustomization).unwrap();
    fs::write(
        &kustomization,
        good.replace("../executors", "../no-such-component"),
    )
    .unwrap();
    let broken = run_block(&dir, &path, &gate);
    assert!(
        !broken.status.success(),
        "the gate passed on a kustomization that does not build"
    );
    fs::write(&kustomization, good).unwrap();

    // The drift check: exit 1 once the committed component differs from the config.
    let drift = drift.expect("the README has no `sg-executor-gen diff` step");
    let deployment = dir.join("executors/executor.Deployment.yaml");
    let text = fs::read_to_string(&deployment).unwrap();
    fs::write(&deployment, format!("{text}# edited by hand\n")).unwrap();
    let out = run_block(&dir, &path, &drift);
    assert_eq!(out.status.code(), Some(1), "{}", describe(&drift, &out));
}

/// What the README says the bundled example renders, and the error it shows for a typo.
#[test]
fn the_readme_first_render_says_what_the_tool_does() {
    let render = section(&readme_sections(), "Your first render");
    let (dir, path) = newcomer_dir();
    let out = run_block(&dir, &path, "sg-executor-gen render -f examples/basic.yaml");
    let stream = String::from_utf8(out.stdout).unwrap();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for line in stream.lines() {
        if let Some(kind) = line.strip_prefix("kind: ") {
            *kinds.entry(kind).or_default() += 1;
        }
    }
    // "a ConfigMap for the executor's settings, one for dockerd's daemon.json, the executor
    // Deployment (without a Service), the registry cache (Deployment, Service, claim) and a
    // NetworkPolicy"
    let said = [
        ("ConfigMap", 2),
        ("Deployment", 2),
        ("NetworkPolicy", 1),
        ("PersistentVolumeClaim", 1),
        ("Service", 1),
    ];
    assert_eq!(
        kinds,
        BTreeMap::from(said),
        "update the README's list of objects"
    );
    assert!(render.contains("a ConfigMap for the executor's settings, one for dockerd's"));

    // The typo sample, from the config `init` wrote as the README says.
    let sample = indented(&render);
    let sample = sample
        .iter()
        .find(|l| l.starts_with("executor.yaml:"))
        .expect("the README shows the error for a misspelt key");
    let init = run_block(
        &dir,
        &path,
        "sg-executor-gen init --frontend-url http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080 | sed 's/queueName:/queueNmae:/' > executor.yaml && sg-executor-gen render -f executor.yaml",
    );
    assert_eq!(init.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&init.stderr).lines().next(),
        Some(sample.as_str())
    );
}

/// `1_000_000` as the docs write it, `1,000,000`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A page with its whitespace folded, so that a phrase wrapped over two lines still matches.
fn folded(rel: &str) -> String {
    read(Path::new(rel))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn states(page: &str, text: &str, phrase: &str) -> Option<String> {
    (!text.contains(phrase)).then(|| format!("{page} does not say `{phrase}`"))
}

#[test]
fn the_limits_the_docs_state_are_the_ones_the_code_uses() {
    const MIB: u64 = 1 << 20;
    let security = folded("docs/security.md");
    let stream = yaml::Limits::STREAM;
    let mut wrong = Vec::new();
    let phrases = [
        // A config file.
        format!("over {} MiB;", source::MAX_FILE_BYTES / MIB),
        format!("more than {} nodes or", thousands(source::MAX_NODES as u64)),
        format!(
            "{} MiB once aliases are expanded",
            source::MAX_EXPANDED_BYTES as u64 / MIB
        ),
        format!("nesting deeper than {})", source::MAX_DEPTH),
        // A manifest stream or a ResourceList.
        format!(
            "at most {} MiB (the largest output",
            yaml::MAX_STREAM_BYTES / MIB
        ),
        format!("at most {} documents", thousands(stream.documents as u64)),
        format!(
            "`check` reads at most {} objects",
            thousands(stream.documents as u64)
        ),
        format!("nesting at most {} deep", stream.depth),
        format!(
            "for every {} bytes of text, plus {},",
            stream.bytes_per_value,
            thousands(stream.free_values as u64)
        ),
        format!("and {} million in all", stream.values / 1_000_000),
        // What a render may make.
        format!(
            "a ConfigMap's data over {} MiB",
            limits::MAX_CONFIG_MAP_DATA / MIB
        ),
        format!("annotations over {} KiB", limits::MAX_ANNOTATIONS >> 10),
        format!(
            "etcd's default {} MiB",
            limits::MAX_OBJECT as f64 / MIB as f64
        ),
        format!(
            "over {} MiB or {} million values",
            size::MAX_OUTPUT_BYTES / MIB,
            size::MAX_OUTPUT_VALUES / 1_000_000
        ),
        format!(
            "An object over {} KiB only warns",
            size::APPLY_ANNOTATION >> 10
        ),
        // What diff reads of a golden file.
        format!(
            "A golden file is read up to {} MiB",
            tree_diff::READ_LIMIT / MIB
        ),
    ];
    wrong.extend(
        phrases
            .iter()
            .filter_map(|p| states("docs/security.md", &security, p)),
    );

    let operations = folded("docs/operations.md");
    let runtime_minutes: i64 = defaults::MAXIMUM_RUNTIME_PER_JOB
        .strip_suffix('m')
        .and_then(|m| m.parse().ok())
        .expect("the default runtime is in minutes");
    let phrases = [
        format!(
            "`maximumRuntimePerJob` plus {} s for reporting and teardown ({} s by default)",
            defaults::DRAIN_MARGIN_SECONDS,
            runtime_minutes * 60 + defaults::DRAIN_MARGIN_SECONDS
        ),
        format!(
            "From Kubernetes 1.{} (`kubernetesVersion`, default {})",
            defaults::NATIVE_SIDECAR_MINOR,
            defaults::KUBERNETES_VERSION
        ),
        format!(
            "{} CPU and {} per job",
            defaults::JOB_CPU,
            defaults::JOB_MEMORY
        ),
        format!("({} per job)", defaults::JOB_DISK),
        format!(
            "`dind.dockerStorageSize` ({};",
            defaults::DOCKER_STORAGE_SIZE
        ),
        format!(
            "at most `maxUnavailable` ({}) of its pods",
            defaults::DISRUPTION_BUDGET_MAX_UNAVAILABLE
        ),
    ];
    wrong.extend(
        phrases
            .iter()
            .filter_map(|p| states("docs/operations.md", &operations, p)),
    );
    assert!(
        wrong.is_empty(),
        "a number in the docs is not the code's (fix the page, or this test's phrase if it was reworded):\n{}",
        wrong.join("\n")
    );
}

/// The Rust version the README and the install page ask for is `rust-version` in Cargo.toml,
/// and the quantity exponents the config page states are the parser's.
#[test]
fn the_versions_and_bounds_the_pages_state_are_the_code_s() {
    let manifest = read(Path::new("Cargo.toml"));
    let rust = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("Cargo.toml has a rust-version");
    let mut wrong = Vec::new();
    for page in ["README.md", "docs/install.md"] {
        wrong.extend(states(
            page,
            &folded(page),
            &format!("Rust {rust} or later"),
        ));
    }
    let exponent = sg_executor_gen::k8s::quantity::MAX_EXPONENT;
    wrong.extend(states(
        "docs/config.md",
        &folded("docs/config.md"),
        &format!("an exponent outside -{exponent}..{exponent}"),
    ));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn thousands_are_written_as_the_docs_write_them() {
    assert_eq!(thousands(100_000), "100,000");
    assert_eq!(thousands(250_000), "250,000");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000), "1,000");
}
