//! `diff` as CI uses it, step by step like a terminal session: no drift on a fresh build,
//! a unified diff and exit 1 after a hand edit or against an empty directory, and no drift
//! again after `--update`. Files are compared by path, header or not, and the exit status
//! is the verdict whatever happens to stdout.

use crate::common;

use common::{files_under, run_tool_in, scratch_dir, untouched, untouched_tree, Run, CONFIG};
use std::fs;
use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn session() -> PathBuf {
    let work = scratch_dir("diff");
    fs::write(work.join("config.yaml"), CONFIG).unwrap();
    let built = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "golden"], None);
    assert_eq!(built.code, 0, "{}", built.stderr);
    work
}

/// What a teammate might do: change a generated file instead of the config.
fn edit_log_level_by_hand(work: &Path) {
    let path = work.join("golden/executor-config.ConfigMap.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("SRC_LOG_LEVEL: warn", "SRC_LOG_LEVEL: dbug"),
    )
    .unwrap();
}

fn diff(work: &Path, golden: &str, extra: &[&str]) -> Run {
    let mut args = vec!["diff", "-f", "config.yaml", "--golden", golden];
    args.extend(extra);
    run_tool_in(work, &args, None)
}

#[test]
fn no_drift_on_a_fresh_build() {
    let work = session();
    let run = diff(&work, "golden", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    assert_eq!(run.stderr, "no drift: golden matches config.yaml\n");
}

#[test]
fn a_hand_edit_shows_as_a_unified_diff_from_golden_to_generated() {
    let work = session();
    edit_log_level_by_hand(&work);
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        r#"--- a/executor-config.ConfigMap.yaml
+++ b/executor-config.ConfigMap.yaml
@@ -14,7 +14,7 @@
   EXECUTOR_MAXIMUM_NUM_JOBS: "1"
   EXECUTOR_MAXIMUM_RUNTIME_PER_JOB: 30m
   EXECUTOR_USE_FIRECRACKER: "false"
-  SRC_LOG_LEVEL: dbug
+  SRC_LOG_LEVEL: warn
   SRC_LOG_FORMAT: json
   DOCKER_HOST: tcp://127.0.0.1:2375
   TMPDIR: /scratch
"#
    );
    assert_eq!(
        run.stderr,
        "drift: 1 file(s) differ from golden (+1 -1); run `sg-executor-gen diff -f config.yaml --golden golden --update` if the change is intended\n"
    );
}

#[test]
fn an_empty_golden_directory_lists_every_file_as_missing() {
    let work = session();
    fs::create_dir(work.join("empty")).unwrap();
    let run = diff(&work, "empty", &[]);
    assert_eq!(run.code, 1);
    let headers: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("+++ ") || l.starts_with("--- "))
        .collect();
    let generated: Vec<String> = files_under(&work.join("golden"))
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let expected: Vec<String> = generated
        .iter()
        .flat_map(|f| ["--- /dev/null".to_string(), format!("+++ b/{f}")])
        .collect();
    assert_eq!(headers, expected);
}

#[test]
fn a_stale_generated_file_is_drift() {
    let work = session();
    // The registry layer is switched off after the golden tree was built with it.
    fs::write(
        work.join("config.yaml"),
        format!("{CONFIG}privateDockerRegistry:\n  enabled: false\n"),
    )
    .unwrap();
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 1);
    let removed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("--- a/private-registry/"))
        .collect();
    assert_eq!(removed.len(), 4, "{}", run.stdout);
    assert!(run.stdout.contains("+++ /dev/null"), "{}", run.stdout);
    assert_eq!(diff(&work, "golden", &["--update"]).code, 0);
    assert_eq!(diff(&work, "golden", &[]).code, 0);
    assert!(!work.join("golden/private-registry").exists());
}

#[test]
fn files_not_generated_from_this_config_are_ignored_and_kept() {
    let work = session();
    fs::write(work.join("golden/NOTES.md"), "reviewed by us\n").unwrap();
    // Another component beside this one, generated from another config: not ours either.
    fs::write(work.join("other.yaml"), CONFIG).unwrap();
    let other = run_tool_in(
        &work,
        &["build", "-f", "other.yaml", "-o", "golden/nested"],
        None,
    );
    assert_eq!(other.code, 0, "{}", other.stderr);
    let run = diff(&work, "golden", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("ignored 13 file(s) in golden not generated from config.yaml\n"),
        "{}",
        run.stderr
    );
    let update = diff(&work, "golden", &["--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert_eq!(
        fs::read_to_string(work.join("golden/NOTES.md")).unwrap(),
        "reviewed by us\n"
    );
    assert_eq!(
        files_under(&work.join("golden/nested")).len(),
        12,
        "the other component is untouched"
    );
}

#[test]
fn update_then_diff_has_no_drift() {
    let work = session();
    edit_log_level_by_hand(&work);
    let update = diff(&work, "golden", &["--update"]);
    assert_eq!(
        (update.code, update.stdout.as_str()),
        (0, ""),
        "{}",
        update.stderr
    );
    assert_eq!(update.stderr, "updated golden (12 files)\n");
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn a_missing_golden_directory_is_an_error_not_drift() {
    let work = session();
    let run = diff(&work, "nowhere", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert!(
        run.stderr.contains("nowhere: no such directory"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_colour_outside_a_terminal() {
    let work = session();
    edit_log_level_by_hand(&work);
    let run = diff(&work, "golden", &[]);
    assert!(!run.stdout.contains('\x1b'));
}

/// Runs `diff` under a pseudo-terminal (util-linux `script`), as an admin at a shell would.
fn diff_on_a_terminal(work: &Path, no_color: bool) -> String {
    let bin = env!("CARGO_BIN_EXE_sg-executor-gen");
    let mut cmd = std::process::Command::new("script");
    cmd.args([
        "-qec",
        &format!("{bin} diff -f config.yaml --golden golden"),
        "/dev/null",
    ])
    .current_dir(work);
    cmd.env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd
        .output()
        .expect("util-linux `script` runs the tool under a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn colour_on_a_terminal_unless_no_color() {
    let work = session();
    edit_log_level_by_hand(&work);
    let coloured = diff_on_a_terminal(&work, false);
    assert!(
        coloured.contains("\x1b[31m-  SRC_LOG_LEVEL: dbug\x1b[0m"),
        "{coloured:?}"
    );
    let plain = diff_on_a_terminal(&work, true);
    assert!(
        plain.contains("-  SRC_LOG_LEVEL: dbug") && !plain.contains('\x1b'),
        "{plain:?}"
    );
}

fn tool(work: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sg-executor-gen"));
    cmd.args(args)
        .current_dir(work)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Runs `diff` as `diff | head -1` does: reads one line of stdout, then closes it.
fn diff_read_one_line(work: &Path) -> (Option<i32>, String) {
    let mut child = tool(work, &["diff", "-f", "config.yaml", "--golden", "golden"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    drop(stdout);
    (child.wait().unwrap().code(), line)
}

#[test]
fn the_exit_status_is_the_verdict_when_stdout_is_closed_early() {
    let work = session();
    assert_eq!(diff_read_one_line(&work), (Some(0), String::new()));
    // A drift far larger than a pipe holds, so the tool is still printing when the pipe
    // closes and its next write fails.
    let path = work.join("golden/executor.Deployment.yaml");
    let header = fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    fs::write(&path, format!("{header}\n{}\n", "x".repeat(4 << 20))).unwrap();
    assert_eq!(
        diff_read_one_line(&work),
        (Some(1), "--- a/executor.Deployment.yaml\n".to_string())
    );
}

#[test]
fn an_unwritable_stdout_changes_the_verdict_only_where_stdout_is_the_product() {
    let work = session();
    let with_stdout =
        |args: &[&str], stdout: Stdio| tool(&work, args).stdout(stdout).status().unwrap().code();
    let full = || Stdio::from(fs::File::create("/dev/full").unwrap());
    let closed = || {
        // The read end is dropped at once: the tool's first write fails with EPIPE.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        Stdio::from(writer)
    };
    let diff = ["diff", "-f", "config.yaml", "--golden", "golden"];
    let render = ["render", "-f", "config.yaml"];
    assert_eq!(with_stdout(&diff, full()), Some(0));
    assert_eq!(
        with_stdout(&render, closed()),
        Some(0),
        "render | head is fine"
    );
    assert_eq!(with_stdout(&render, full()), Some(2), "a stream cut short");
    edit_log_level_by_hand(&work);
    assert_eq!(with_stdout(&diff, full()), Some(1));
    assert_eq!(with_stdout(&diff, closed()), Some(1));
    let build = ["build", "-f", "config.yaml", "-o", "golden"];
    assert_eq!(
        with_stdout(&build, closed()),
        Some(2),
        "a hand edit needs --force"
    );
}

#[test]
fn a_golden_file_that_lost_its_header_differs_by_that_line_and_update_restores_it() {
    let work = session();
    let path = work.join("golden/executor-config.ConfigMap.yaml");
    let generated = fs::read_to_string(&path).unwrap();
    let (header, body) = generated.split_once('\n').unwrap();
    fs::write(
        &path,
        body.replace("SRC_LOG_LEVEL: warn", "SRC_LOG_LEVEL: dbug"),
    )
    .unwrap();
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let changed: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        [
            format!("+{header}").as_str(),
            "-  SRC_LOG_LEVEL: dbug",
            "+  SRC_LOG_LEVEL: warn"
        ]
    );
    let update = diff(&work, "golden", &["--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert_eq!(fs::read_to_string(&path).unwrap(), generated);
    assert_eq!(diff(&work, "golden", &[]).code, 0);
}

#[test]
fn update_writes_every_generated_path_and_nothing_else() {
    let work = session();
    let generated = fs::read_to_string(work.join("golden/kustomization.yaml")).unwrap();
    fs::write(work.join("golden/kustomization.yaml"), "# ours now\n").unwrap();
    fs::write(work.join("golden/NOTES.md"), "reviewed\n").unwrap();
    fs::write(
        work.join("other.yaml"),
        CONFIG.replace("batches", "codeintel"),
    )
    .unwrap();
    let nested = run_tool_in(
        &work,
        &["build", "-f", "other.yaml", "-o", "golden/nested"],
        None,
    );
    assert_eq!(nested.code, 0, "{}", nested.stderr);
    let notes = untouched(&work.join("golden/NOTES.md"));
    let other = untouched_tree(&work.join("golden/nested"));
    assert_eq!(diff(&work, "golden", &[]).code, 1);
    let update = diff(&work, "golden", &["--update"]);
    assert_eq!(update.code, 0, "{}", update.stderr);
    assert_eq!(
        fs::read_to_string(work.join("golden/kustomization.yaml")).unwrap(),
        generated
    );
    assert_eq!(notes, untouched(&work.join("golden/NOTES.md")));
    assert_eq!(other, untouched_tree(&work.join("golden/nested")));
    assert_eq!(diff(&work, "golden", &[]).code, 0);
}

/// A session whose config holds a literal password, so the tree holds a Secret.
fn session_with_a_secret(password: &str) -> PathBuf {
    let work = scratch_dir("diff-secret");
    let config = CONFIG.replace(
        "frontendExistingSecret: fe",
        &format!("frontendPassword: {password}"),
    );
    fs::write(work.join("config.yaml"), config).unwrap();
    let built = run_tool_in(&work, &["build", "-f", "config.yaml", "-o", "golden"], None);
    assert_eq!(built.code, 0, "{}", built.stderr);
    work
}

#[test]
fn secret_values_are_hidden_in_old_and_new_text_unless_asked_for() {
    let work = session_with_a_secret("hunter2");
    let golden_digest = fs::read_to_string(work.join("golden/executor-secret.Secret.yaml"))
        .unwrap()
        .split("(digest ")
        .nth(1)
        .unwrap()[..16]
        .to_string();
    let text = fs::read_to_string(work.join("config.yaml")).unwrap();
    fs::write(
        work.join("config.yaml"),
        text.replace("hunter2", "swordfish"),
    )
    .unwrap();
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let secret_diff: String = run
        .stdout
        .split_inclusive('\n')
        .skip_while(|l| !l.starts_with("--- a/executor-secret.Secret.yaml"))
        .take_while(|l| !l.starts_with("--- a/executor.Deployment.yaml"))
        .collect();
    assert_eq!(
        secret_diff,
        "--- a/executor-secret.Secret.yaml
+++ b/executor-secret.Secret.yaml
@@ -1,4 +1,4 @@
-# Generated by sg-executor-gen (digest *** (before)); edit the config and rebuild, not this file.
+# Generated by sg-executor-gen (digest *** (after)); edit the config and rebuild, not this file.
 apiVersion: v1
 kind: Secret
 metadata:
@@ -11,4 +11,4 @@
     sourcegraph-resource-requires: no-cluster-admin
 type: Opaque
 data:
-  EXECUTOR_FRONTEND_PASSWORD: *** (before)
+  EXECUTOR_FRONTEND_PASSWORD: *** (after)
"
    );
    // base64 of each password, and the digest of the old file's body.
    for leak in ["aHVudGVyMg==", "c3dvcmRmaXNo", golden_digest.as_str()] {
        assert!(!run.stdout.contains(leak), "{leak} shown:\n{}", run.stdout);
    }
    let shown = diff(&work, "golden", &["--show-secrets"]);
    assert_eq!(shown.code, 1);
    assert!(
        shown
            .stdout
            .contains("-  EXECUTOR_FRONTEND_PASSWORD: aHVudGVyMg==\n")
            && shown
                .stdout
                .contains("+  EXECUTOR_FRONTEND_PASSWORD: c3dvcmRmaXNo\n"),
        "{}",
        shown.stdout
    );
}

#[test]
fn a_golden_secret_others_may_read_is_drift_until_updated() {
    let work = session_with_a_secret("hunter2");
    let secret = work.join("golden/executor-secret.Secret.yaml");
    // What a git checkout makes of it: git keeps no mode but the executable bit.
    fs::set_permissions(&secret, fs::Permissions::from_mode(0o644)).unwrap();
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "old mode 0644 a/executor-secret.Secret.yaml\nnew mode 0600 b/executor-secret.Secret.yaml (others may read the golden file; build makes it readable by its owner only)\n"
    );
    assert_eq!(diff(&work, "golden", &["--update"]).code, 0);
    assert_eq!(
        fs::metadata(&secret).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(diff(&work, "golden", &[]).code, 0);
}

#[test]
fn escape_sequences_and_control_characters_of_a_golden_file_never_reach_the_terminal() {
    let work = session();
    let path = work.join("golden/executor-config.ConfigMap.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace(
            "SRC_LOG_LEVEL: warn",
            "SRC_LOG_LEVEL: \x1b]0;owned\x07\x1b[2J\x1b[31mred\u{202e}txt\r",
        ),
    )
    .unwrap();
    let run = diff(&work, "golden", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains(
            "-  SRC_LOG_LEVEL: \\u{001b}]0;owned\\u{0007}\\u{001b}[2J\\u{001b}[31mred\\u{202e}txt\\r\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains(['\x1b', '\x07', '\u{202e}', '\r']),
        "{:?}",
        run.stdout
    );
}

#[test]
fn names_in_status_lines_are_escaped_and_the_suggested_command_is_shell_quoted() {
    let work = session();
    let golden = "my golden\n$(touch pwned)";
    fs::rename(work.join("golden"), work.join(golden)).unwrap();
    fs::rename(work.join("config.yaml"), work.join("it's.yaml")).unwrap();
    let path = work.join(golden).join("executor-config.ConfigMap.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replace("SRC_LOG_LEVEL: warn", "SRC_LOG_LEVEL: dbug"),
    )
    .unwrap();
    let run = run_tool_in(
        &work,
        &["diff", "-f", "it's.yaml", "--golden", golden],
        None,
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "drift: 1 file(s) differ from my golden\\n$(touch pwned) (+1 -1); run `sg-executor-gen diff -f 'it'\\''s.yaml' --golden $'my golden\\n$(touch pwned)' --update` if the change is intended\n"
    );
}

#[test]
fn a_huge_sparse_golden_file_is_drift_reported_by_its_size_without_reading_it() {
    let work = session();
    let path = work.join("golden/executor.Deployment.yaml");
    fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&path)
        .unwrap()
        .set_len(512 << 20)
        .unwrap();
    // A smaller one of NULs is read, and is binary.
    fs::write(
        work.join("golden/executor-config.ConfigMap.yaml"),
        vec![0u8; 1 << 20],
    )
    .unwrap();
    let measured = work.join("rss");
    let time = Path::new("/usr/bin/time");
    let bin = env!("CARGO_BIN_EXE_sg-executor-gen");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M", "-o"]).arg(&measured).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let out = cmd
        .args(["diff", "-f", "config.yaml", "--golden", "golden"])
        .current_dir(&work)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "Binary files a/executor-config.ConfigMap.yaml and b/executor-config.ConfigMap.yaml differ\nFile a/executor.Deployment.yaml is 536870912 bytes, larger than the 16777216 bytes diff reads: not shown, and it differs from b/executor.Deployment.yaml\n"
    );
    if let Some(kib) = fs::read_to_string(&measured)
        .ok()
        .and_then(|t| t.lines().last()?.trim().parse::<u64>().ok())
    {
        assert!(kib < 100 << 10, "peak memory {kib} KiB");
    }
}
