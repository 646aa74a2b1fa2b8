//! Inputs a transcript cannot hold: a named pipe, and configs generated large on purpose.
//! Each must be refused at once, with its located message, in bounded time and memory;
//! the binary runs under a deadline, so a hang fails the test instead of blocking it.

mod common;

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
/// the shared test directory would trip other tests that read it.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_named_pipe_is_refused_without_waiting_for_a_writer() {
    let dir = TempDir(std::env::temp_dir().join(format!("sg-fifo-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
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
        "config.yaml: error: is a named pipe (FIFO), not a config file; name the YAML file, e.g. -f examples/basic.yaml\n"
    );
}

#[test]
fn a_large_file_without_aliases_is_not_called_an_alias_bomb() {
    let dir = common::scratch_dir("large");
    // 100,001 list items: more nodes than a config may have, in 200 KB and no alias.
    let text = format!("queues: [{}0]\n", "0,".repeat(100_000));
    std::fs::write(dir.join("config.yaml"), text).unwrap();
    let run = run_with_deadline(
        &dir,
        &["render", "-f", "config.yaml"],
        Duration::from_secs(20),
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.starts_with("config.yaml:1:")
            && run.stderr.contains(": error: the document holds more than 100000 nodes, too large for a config; a config is a few KiB; check that this is the right file")
            && !run.stderr.contains("alias"),
        "{}",
        run.stderr
    );
    assert_bounded(&run, Duration::from_secs(5), 100 << 10);
}

/// Fails unless the run took less than `time` and, where it was measured, `kib` of memory.
fn assert_bounded(run: &Timed, time: Duration, kib: u64) {
    assert!(run.elapsed < time, "took {:?}", run.elapsed);
    if let Some(rss) = run.max_rss_kib {
        assert!(rss < kib, "used {rss} KiB at its peak");
    }
}
