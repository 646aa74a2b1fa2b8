//! Inputs a transcript cannot hold: a named pipe, and configs generated large on purpose.
//! Each must be refused at once, with its located message, in bounded time and memory;
//! the binary runs under a deadline, so a hang fails the test instead of blocking it.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How one run of the binary ended.
struct Timed {
    code: Option<i32>,
    stderr: String,
    elapsed: Duration,
    /// Peak resident memory, when `/usr/bin/time` is there to measure it.
    max_rss_kib: Option<u64>,
}

/// Runs the binary with `args` in `cwd`, killing it after `deadline`.
fn run_with_deadline(cwd: &Path, args: &[&str], deadline: Duration) -> Timed {
    let time = Path::new("/usr/bin/time");
    let bin = env!("CARGO_BIN_EXE_sg-executor-gen");
    let measured = cwd.join("time.out");
    let mut command = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-f").arg("%M").arg("-o").arg(&measured).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let mut child = command
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            let mut stderr = String::new();
            std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            let max_rss_kib = std::fs::read_to_string(&measured)
                .ok()
                .and_then(|t| t.lines().last()?.trim().parse().ok());
            return Timed {
                code: status.code(),
                stderr,
                elapsed: started.elapsed(),
                max_rss_kib,
            };
        }
        if started.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sg-executor-gen {args:?} still ran after {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A directory of the system's temporary directory, removed when dropped: a FIFO left in
/// the shared test directory would trip other tests that read it. Each is its own: tests
/// run in parallel, and two that shared `sg-refused-PID` ran each other's configs.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pid = std::process::id();
        let dir = TempDir(std::env::temp_dir().join(format!("sg-{tag}-{pid}-{n}")));
        std::fs::create_dir_all(&dir.0).unwrap();
        dir
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A pipe is read (`-f <(sops -d …)`), but a named pipe nobody writes to does not hang the
/// run: it is opened without waiting for a writer, and reads as nothing.
#[test]
fn a_named_pipe_without_a_writer_is_refused_without_waiting() {
    let dir = TempDir::new("fifo");
    let dir = &dir.0;
    let made = Command::new("mkfifo")
        .arg(dir.join("config.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let run = run_with_deadline(
        dir,
        &["render", "-f", "config.yaml"],
        Duration::from_secs(10),
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "config.yaml: error: is a pipe, and nothing came through it; check the command that writes to it (its error is above), or that something writes to the named pipe\n"
    );
}

#[test]
fn a_large_file_without_aliases_is_not_called_an_alias_bomb() {
    // 100,001 list items: more nodes than a config may have, in 200 KB and no alias.
    let stderr = refused_quickly(&format!("queues: [{}0]\n", "0,".repeat(100_000)));
    assert!(
        stderr.starts_with("config.yaml:1:")
            && stderr.contains(": error: the document holds more than 100000 nodes, too large for a config; a config is a few KiB; check that this is the right file")
            && !stderr.contains("alias"),
        "{stderr}"
    );
}

/// Fails unless the run took less than `time` and, where it was measured, `kib` of memory.
fn assert_bounded(run: &Timed, time: Duration, kib: u64) {
    assert!(run.elapsed < time, "took {:?}", run.elapsed);
    if let Some(rss) = run.max_rss_kib {
        assert!(rss < kib, "used {rss} KiB at its peak");
    }
}

/// `queues` queue entries, and as many `labels` in `sourcegraph.labels`, which go on every
/// object: a small file that asks for a huge output.
fn amplifying(queues: usize, labels: usize) -> String {
    let labels: String = (0..labels).map(|i| format!("    l{i}: v\n")).collect();
    let head = format!("{}sourcegraph:\n  labels:\n{labels}", common::EXECUTOR);
    common::with_queues(&head, queues)
}

/// Runs `render` on `config`, which must be refused within 5 s and 100 MiB; its stderr.
fn refused_quickly(config: &str) -> String {
    let dir = TempDir::new("refused");
    std::fs::write(dir.0.join("config.yaml"), config).unwrap();
    let run = run_with_deadline(
        &dir.0,
        &["render", "-f", "config.yaml"],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_bounded(&run, Duration::from_secs(5), 100 << 10);
    run.stderr
}

#[test]
fn labels_copied_onto_every_object_are_refused_before_rendering() {
    // 0.3 MB of config asked for 56 MB of output and took 3 GB and 34 s (release build);
    // 0.6 MB died. Now both are refused from the estimate, in the time the file takes to read.
    for (queues, labels) in [(200, 20_000), (400, 40_000)] {
        let stderr = refused_quickly(&amplifying(queues, labels));
        assert!(
            stderr.starts_with(
                "config.yaml:5:3: error: sourcegraph.labels: the output would hold about "
            ) && stderr.contains(" values, more than the 5 million sg-executor-gen renders"),
            "{stderr}"
        );
    }
}

#[test]
fn env_copied_onto_every_queue_is_refused_before_it_is_copied() {
    // Each queue entry gets its own copy of executor.env in the validated config already:
    // 5,000 queues × 400 variables would be two million copies before any rendering.
    let env: String = (0..400)
        .map(|i| format!("    V{i}: {{value: x}}\n"))
        .collect();
    let head = format!("{}  env:\n{env}", common::EXECUTOR);
    let stderr = refused_quickly(&common::with_queues(&head, 5_000));
    assert!(
        stderr.contains(": error: queues: 5000 queues would each get a copy of "),
        "{stderr}"
    );
}

#[test]
fn a_config_file_name_with_a_newline_never_reaches_a_generated_file() {
    let dir = TempDir::new("name");
    let name = "evil\nkind: Secret\n.yaml";
    std::fs::write(
        dir.0.join(name),
        format!("{}  queueName: batches\n", common::EXECUTOR),
    )
    .unwrap();
    let run = run_with_deadline(
        &dir.0,
        &["build", "-f", name, "-o", "out"],
        Duration::from_secs(30),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let files = common::files_under(&dir.0.join("out"));
    assert!(files.len() > 3, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(dir.0.join("out").join(&file)).unwrap();
        // Headers name the config's digest, never its file name.
        assert!(!text.contains("evil"), "{}", file.display());
        assert!(
            !text.lines().any(|l| l == "kind: Secret"),
            "{}",
            file.display()
        );
        if file.extension().is_some_and(|e| e == "yaml") {
            let header = text.lines().next().unwrap();
            assert!(
                header.starts_with("# Generated by sg-executor-gen (digest "),
                "{}: {header}",
                file.display()
            );
        }
    }
}
