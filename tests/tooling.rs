//! The commands around the main job, as an admin meets them: `init | render -f -`, shell
//! completions and the man page from the command line's own definition, and `render -o`,
//! which writes the stream whole or leaves the file as it was, only ever to a regular file,
//! and cleans up after a run that was killed.

use crate::common;

use common::{run_tool, run_tool_in, scratch_dir, CONFIG};
use std::os::unix::fs::PermissionsExt;

const SUBCOMMANDS: [&str; 10] = [
    "render",
    "build",
    "diff",
    "check",
    "fn",
    "schema",
    "init",
    "explain",
    "completions",
    "man",
];

#[test]
fn what_init_prints_renders_as_it_is() {
    for args in [
        &["init"][..],
        &["init", "--mode", "kubernetes"],
        &[
            "init",
            "--queue",
            "batches",
            "--queue",
            "codeintel",
            "-n",
            "sourcegraph",
        ],
        &[
            "init",
            "--frontend-url",
            "https://sourcegraph.example.com",
            "--existing-secret",
            "fe",
            "--schema",
            "https://example.com/s.json",
        ],
    ] {
        let init = run_tool(args, None);
        assert_eq!(init.code, 0, "{args:?}: {}", init.stderr);
        assert!(
            init.stdout.starts_with("# yaml-language-server: $schema="),
            "{args:?}: no modeline\n{}",
            init.stdout
        );
        let render = run_tool(&["render", "-f", "-"], Some(&init.stdout));
        assert_eq!(
            render.code, 0,
            "{args:?}: {}\n{}",
            render.stderr, init.stdout
        );
        assert!(render.stdout.contains("kind: Deployment"));
    }
}

#[test]
fn init_in_kubernetes_mode_shows_the_native_charts_keys() {
    let init = run_tool(&["init", "--mode", "kubernetes"], None);
    for key in [
        "mode: kubernetes",
        "# configureRbac: true",
        "kubernetesJob:",
        "# deadline: 1800",
    ] {
        assert!(init.stdout.contains(key), "{key}:\n{}", init.stdout);
    }
}

#[test]
fn init_refuses_flags_that_would_not_render() {
    let init = run_tool(&["init", "--queue", "batchs"], None);
    assert_eq!(init.code, 2);
    assert!(init.stdout.is_empty());
    assert!(
        init.stderr.contains("spec.executor.queueName") && init.stderr.contains("batches"),
        "{}",
        init.stderr
    );
}

#[test]
fn completions_for_each_shell_know_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = run_tool(&["completions", shell], None);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for sub in SUBCOMMANDS {
            assert!(run.stdout.contains(sub), "{shell} completions lack `{sub}`");
        }
    }
    assert_eq!(run_tool(&["completions", "tcsh"], None).code, 2);
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let run = run_tool(&["man"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(".ie"),
        "{}",
        &run.stdout[..80.min(run.stdout.len())]
    );
    assert!(run.stdout.contains(".TH sg-executor-gen"), "no title");
    for sub in SUBCOMMANDS {
        assert!(
            run.stdout
                .contains(&format!("sg\\-executor\\-gen\\-{sub}(1)")),
            "the man page does not point at sg-executor-gen-{sub}(1)"
        );
    }
}

/// groff's warnings about a page (`-ww`: all of them), or what stopped it.
fn groff_warnings(page: &[u8]) -> String {
    let mut child = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("groff runs (Debian's groff-base; man-db needs it too)");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(page).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "groff failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn every_subcommand_has_a_man_page_that_groff_renders_without_warnings() {
    let dir = scratch_dir("man-pages");
    let run = run_tool(&["man", "--dir", dir.join("man1").to_str().unwrap()], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let mut names: Vec<String> = std::fs::read_dir(dir.join("man1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = SUBCOMMANDS
        .iter()
        .map(|s| format!("sg-executor-gen-{s}.1"))
        .chain(["sg-executor-gen.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(names, expected, "one page per subcommand and the tool's");
    for name in &names {
        let page = std::fs::read(dir.join("man1").join(name)).unwrap();
        assert_eq!(groff_warnings(&page), "", "{name}");
        let title = format!(".TH {} 1 ", name.trim_end_matches(".1"));
        assert!(
            String::from_utf8_lossy(&page).contains(&title),
            "{name} is not titled {title}"
        );
    }
    for sub in SUBCOMMANDS {
        let printed = run_tool(&["man", sub], None);
        assert_eq!(printed.code, 0, "man {sub}: {}", printed.stderr);
        let file = std::fs::read(dir.join(format!("man1/sg-executor-gen-{sub}.1"))).unwrap();
        assert_eq!(printed.stdout.as_bytes(), file, "man {sub} prints its page");
        assert!(printed.stdout.contains(".SH \"SEE ALSO\""), "{sub}");
    }
    // Each page documents its own flags.
    let render = run_tool(&["man", "render"], None).stdout;
    assert!(render.contains("\\-\\-namespace") && render.contains("\\-\\-output"));
    let near_miss = run_tool(&["man", "rendr"], None);
    assert_eq!(near_miss.code, 2);
    assert!(
        near_miss.stderr.contains("did you mean `render`?"),
        "{}",
        near_miss.stderr
    );
}

#[test]
fn groff_reports_a_broken_page() {
    // The check above can fail: groff -ww does warn, on stderr.
    assert!(groff_warnings(b".TH x 1\n.SH NAME\nx \\- y\n.XX oops\n").contains("XX"));
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let run = run_tool(&["--version"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let version = env!("CARGO_PKG_VERSION");
    if root.join(".git").exists() {
        let head = std::process::Command::new("git")
            .args(["rev-parse", "--short=10", "HEAD"])
            .current_dir(root)
            .output()
            .expect("git runs in a git checkout");
        let head = String::from_utf8(head.stdout).unwrap();
        assert_eq!(
            run.stdout,
            format!("sg-executor-gen {version} ({})\n", head.trim())
        );
    } else {
        assert_eq!(run.stdout, format!("sg-executor-gen {version}\n"));
    }
}

#[test]
fn render_to_a_file_writes_what_it_would_print() {
    let dir = scratch_dir("render-o");
    std::fs::write(dir.join("c.yaml"), CONFIG).unwrap();
    let printed = run_tool_in(&dir, &["render", "-f", "c.yaml"], None);
    std::fs::write(dir.join("out.yaml"), "old\n").unwrap();
    let run = run_tool_in(&dir, &["render", "-f", "c.yaml", "-o", "out.yaml"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.join("out.yaml")).unwrap(),
        printed.stdout
    );
    let mode = std::fs::metadata(dir.join("out.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(
        common::files_under(&dir).len(),
        2,
        "a temporary file was left"
    );
}

/// kubectl's habit: `-o json` and `-o yaml` are formats, printed; never a file named `json`.
#[test]
fn render_o_json_prints_a_kubectl_list_of_the_same_objects() {
    let dir = scratch_dir("render-o-json");
    std::fs::write(dir.join("c.yaml"), CONFIG).unwrap();
    let yaml = run_tool_in(&dir, &["render", "-f", "c.yaml"], None);
    let as_yaml = run_tool_in(&dir, &["render", "-f", "c.yaml", "-o", "yaml"], None);
    assert_eq!(as_yaml.stdout, yaml.stdout);
    let json = run_tool_in(&dir, &["render", "-f", "c.yaml", "-o", "json"], None);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(common::files_under(&dir).len(), 1, "a file was written");
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (&list["apiVersion"], &list["kind"]),
        (&"v1".into(), &"List".into())
    );
    let objects: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(&yaml.stdout)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    assert_eq!(list["items"].as_array().unwrap(), &objects);
    // The explicit flag, into a file; and a file really named json.
    let run = run_tool_in(
        &dir,
        &[
            "render",
            "-f",
            "c.yaml",
            "--output-format",
            "json",
            "-o",
            "out.json",
        ],
        None,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("out.json")).unwrap(),
        json.stdout
    );
    let run = run_tool_in(&dir, &["render", "-f", "c.yaml", "-o", "./json"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("json")).unwrap(),
        yaml.stdout
    );
    let clash = run_tool_in(
        &dir,
        &[
            "render",
            "-f",
            "c.yaml",
            "-o",
            "json",
            "--output-format",
            "yaml",
        ],
        None,
    );
    assert_eq!(clash.code, 2);
}

#[test]
fn mode_k8s_is_kubernetes() {
    let k8s = run_tool(&["render", "-f", "-", "--mode", "k8s"], Some(CONFIG));
    let kubernetes = run_tool(&["render", "-f", "-", "--mode", "kubernetes"], Some(CONFIG));
    assert_eq!(k8s.code, 0, "{}", k8s.stderr);
    assert_eq!(k8s.stdout, kubernetes.stdout);
    assert!(k8s.stdout.contains("executor-kubernetes"));
}

#[test]
fn render_to_a_file_keeps_a_secret_private() {
    let dir = scratch_dir("render-o-secret");
    let config = CONFIG.replace("frontendExistingSecret: fe", "frontendPassword: hunter2");
    let run = run_tool_in(
        &dir,
        &["render", "-f", "-", "-o", "out.yaml"],
        Some(&config),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mode = std::fs::metadata(dir.join("out.yaml"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn render_to_a_file_leaves_it_as_it_was_on_any_error() {
    let dir = scratch_dir("render-o-errors");
    std::fs::write(dir.join("out.yaml"), "old\n").unwrap();
    // A bad config: nothing written.
    let bad = run_tool_in(
        &dir,
        &["render", "-f", "-", "-o", "out.yaml"],
        Some("executor: {queueNmae: x}\n"),
    );
    assert_eq!(bad.code, 2);
    assert_eq!(
        std::fs::read_to_string(dir.join("out.yaml")).unwrap(),
        "old\n"
    );
    // A directory that cannot be written (unless root, who can write anywhere): no file, no
    // temporary file.
    let locked = dir.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    let run = run_tool_in(
        &dir,
        &["render", "-f", "-", "-o", "locked/out.yaml"],
        Some(CONFIG),
    );
    if !common::is_root() {
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("locked/out.yaml"), "{}", run.stderr);
        assert!(std::fs::read_dir(&locked).unwrap().next().is_none());
    }
    let _ = std::fs::remove_file(locked.join("out.yaml"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A missing parent directory, a directory, a link: refused, nothing left behind.
    std::os::unix::fs::symlink("out.yaml", dir.join("link.yaml")).unwrap();
    for target in ["missing/out.yaml", "locked", "link.yaml"] {
        let run = run_tool_in(&dir, &["render", "-f", "-", "-o", target], Some(CONFIG));
        assert_eq!(run.code, 2, "{target}: {}", run.stderr);
        assert!(run.stderr.contains(target), "{target}: {}", run.stderr);
    }
    assert_eq!(
        std::fs::read_to_string(dir.join("out.yaml")).unwrap(),
        "old\n"
    );
    let mut names: Vec<String> = common::files_under(&dir)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["link.yaml", "out.yaml"],
        "something was left behind"
    );
}

#[test]
fn render_to_a_device_fifo_or_socket_is_refused_naming_the_kind_and_never_replaces_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch_dir("render-o-special");
    let status = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let _socket = std::os::unix::net::UnixListener::bind(dir.join("socket")).unwrap();
    let mut cases = vec![
        ("pipe", "is a FIFO (named pipe)"),
        ("socket", "is a socket"),
    ];
    // A character device like /dev/null, made here: only root may.
    if common::is_root() {
        let made = std::process::Command::new("mknod")
            .args([dir.join("null").to_str().unwrap(), "c", "1", "3"])
            .status()
            .unwrap();
        assert!(made.success());
        cases.push(("null", "is a character device"));
    }
    for (name, kind) in cases {
        let before = common::untouched(&dir.join(name));
        let run = run_tool_in(&dir, &["render", "-f", "-", "-o", name], Some(CONFIG));
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert_eq!(
            run.stderr,
            format!("{name}: {kind}; render -o writes only to a regular file and never replaces anything else: give a file name\n")
        );
        assert_eq!(
            common::untouched(&dir.join(name)),
            before,
            "{name} was replaced"
        );
        let file_type = std::fs::symlink_metadata(dir.join(name))
            .unwrap()
            .file_type();
        assert!(file_type.is_fifo() || file_type.is_socket() || file_type.is_char_device());
    }
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        if common::is_root() { 3 } else { 2 },
        "a temporary file was left"
    );
}

/// The pid of a process that has ended.
fn a_dead_pid() -> u32 {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn a_temporary_file_a_killed_render_left_is_removed_by_the_next() {
    let dir = scratch_dir("render-o-stale");
    let dead = format!(".out.yaml.{}.sg-executor-gen-tmp", a_dead_pid());
    // Named for this test's own process, which is alive: perhaps still writing it.
    let live = format!(".out.yaml.{}.sg-executor-gen-tmp", std::process::id());
    let other = ".other.yaml.1.sg-executor-gen-tmp";
    for name in [&dead, &live, other] {
        std::fs::write(dir.join(name), "apiVersion: v1\nkind: Con").unwrap();
    }
    let run = run_tool_in(&dir, &["render", "-f", "-", "-o", "out.yaml"], Some(CONFIG));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut left: Vec<String> = common::files_under(&dir)
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    left.sort();
    let mut want = vec![live, other.to_string(), "out.yaml".to_string()];
    want.sort();
    assert_eq!(left, want);
}
