//! Inputs a transcript cannot hold: a named pipe, configs generated large on purpose, and
//! streams built to exhaust a YAML reader (alias bombs, deep nesting, a million tiny
//! documents, dense values, more than the size limit) for every reader of untrusted YAML:
//! `check`, `fn` and the config. Each must be refused at once, with its located message,
//! in bounded time and memory: the binary runs under a deadline (a hang fails the test
//! instead of blocking it) and an address-space limit (`prlimit`), and its peak memory is
//! measured (`/usr/bin/time`) against the bound `docs/security.md` states.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How one run of the binary ended.
struct Timed {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    /// Peak resident memory, when `/usr/bin/time` is there to measure it.
    max_rss_kib: Option<u64>,
}

/// Runs the binary with `args` in `cwd`, killing it after `deadline`.
fn run_with_deadline(cwd: &Path, args: &[&str], deadline: Duration) -> Timed {
    run_bounded(cwd, args, None, deadline, None)
}

/// Runs the binary with `args` in `cwd`, standard input from `stdin` (else none), killing
/// it after `deadline`; with `address_space`, under that limit (`prlimit --as`), so an
/// unbounded reader dies instead of taking the machine's memory.
fn run_bounded(
    cwd: &Path,
    args: &[&str],
    stdin: Option<&Path>,
    deadline: Duration,
    address_space: Option<u64>,
) -> Timed {
    let time = Path::new("/usr/bin/time");
    let bin = env!("CARGO_BIN_EXE_sg-executor-gen");
    let measured = cwd.join("time.out");
    let mut words: Vec<String> = Vec::new();
    if time.exists() {
        words.extend(["/usr/bin/time", "-f", "%M", "-o"].map(String::from));
        words.push(measured.display().to_string());
    }
    if let Some(bytes) = address_space {
        assert!(
            Command::new("prlimit").arg("--version").output().is_ok(),
            "prlimit (util-linux) is needed to bound the tool's memory"
        );
        words.extend(["prlimit".to_string(), format!("--as={bytes}"), "--".into()]);
    }
    words.push(bin.to_string());
    let mut command = Command::new(&words[0]);
    command.args(&words[1..]);
    let stdout_path = cwd.join("stdout.out");
    let mut child = command
        .args(args)
        .current_dir(cwd)
        .stdin(match stdin {
            Some(path) => Stdio::from(std::fs::File::open(path).unwrap()),
            None => Stdio::null(),
        })
        .stdout(Stdio::from(std::fs::File::create(&stdout_path).unwrap()))
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
            // /usr/bin/time reports a signal as exit status 128 + N.
            let code = status.code().filter(|c| !(time.exists() && *c > 128));
            return Timed {
                code,
                stdout: std::fs::read_to_string(&stdout_path).unwrap_or_default(),
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

// ---------------------------------------------------------------------------------------
// Streams built to exhaust a YAML reader
// ---------------------------------------------------------------------------------------

/// The bound `docs/security.md` states on peak memory for a stream of `len` bytes: 24 times
/// its size, plus 32 MiB (the worst measured is about 18 times, plus the binary's own 30 MiB).
fn memory_bound_kib(len: usize) -> u64 {
    (24 * len as u64 + (32 << 20)) / 1024
}

/// An address-space limit that an unbounded reader hits long before the machine does.
const ADDRESS_SPACE: u64 = 2 << 30;

/// Runs `args` on `text`, under the address-space limit: from a file (`-f FILE` added),
/// or, for `fn` and a `-f -`, from standard input. The run must end with `code`, say
/// `message` (on stderr, or in the results `fn` prints) and stay within the memory bound.
fn assert_refused_within_bounds(what: &str, args: &[&str], text: &str, code: i32, message: &str) {
    let dir = TempDir::new("stream");
    let file = dir.0.join("input.yaml");
    std::fs::write(&file, text).unwrap();
    let from_stdin = args[0] == "fn" || args.contains(&"-");
    let mut args: Vec<&str> = args.to_vec();
    if !from_stdin {
        args.extend(["-f", "input.yaml"]);
    }
    let stdin = from_stdin.then_some(file.as_path());
    let run = run_bounded(
        &dir.0,
        &args,
        stdin,
        Duration::from_secs(300),
        Some(ADDRESS_SPACE),
    );
    let said = format!("{}{}", run.stderr, run.stdout);
    assert_eq!(
        run.code,
        Some(code),
        "{what}: {args:?} ended with {:?} after {:?}: {}",
        run.code,
        run.elapsed,
        said.chars().take(2000).collect::<String>()
    );
    assert!(said.contains(message), "{what}: {said}");
    let bound = memory_bound_kib(text.len());
    let rss = run
        .max_rss_kib
        .expect("/usr/bin/time measures the peak memory");
    eprintln!(
        "{what}: {} bytes, refused in {:?}, peak {} KiB (bound {bound} KiB)",
        text.len(),
        run.elapsed,
        rss
    );
    assert!(
        rss <= bound,
        "{what}: peak {rss} KiB, more than {bound} KiB"
    );
}

/// An anchor of `n` scalars, then `aliases` aliases of it: about 2 bytes a copy of `n`.
fn alias_bomb(indent: &str, n: usize, aliases: usize) -> String {
    format!(
        "{indent}a: &a [{}x]\n{indent}b: [{}*a]\n",
        "x,".repeat(n - 1),
        "*a,".repeat(aliases - 1)
    )
}

const OBJECT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";

fn list(items: &str) -> String {
    format!(
        "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: x}}\n  data:\n{items}functionConfig: {{kind: ExecutorDeployment}}\n"
    )
}

/// 1 MB of aliases asked `check` for 2.9 GB and `fn` for more than 4 GB: an alias now
/// costs what it copies, and the copies may add no more than the text writes out.
#[test]
fn an_alias_bomb_is_refused_within_bounds_by_every_reader() {
    let copies = "its aliases copy more than the stream writes out";
    let check = format!("{OBJECT}data:\n{}", alias_bomb("  ", 100_000, 300_000));
    assert_refused_within_bounds("check", &["check"], &check, 2, copies);
    let items = list(&alias_bomb("    ", 100_000, 300_000));
    assert_refused_within_bounds("fn", &["fn"], &items, 1, copies);
    // The config reader had its limits already; they hold.
    let config = format!("{}{}", common::CONFIG, alias_bomb("", 10_000, 100_000));
    assert_refused_within_bounds("render", &["render"], &config, 2, "expands to more than");
}

/// Nesting cost the square of its depth: 200 KB took 29 s. It is refused at depth 100,
/// before the parser reads deeper.
#[test]
fn deep_nesting_is_refused_at_once_by_every_reader() {
    let flow = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let block: String = (0..600).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
    for (shape, text) in [("flow", &flow), ("block", &block)] {
        let what = format!("check, {shape}");
        assert_refused_within_bounds(&what, &["check"], text, 2, "nests deeper than 100 levels");
        let items = format!(
            "    x:\n{}",
            text.lines()
                .map(|l| format!("      {l}\n"))
                .collect::<String>()
        );
        let what = format!("fn, {shape}");
        assert_refused_within_bounds(
            &what,
            &["fn"],
            &list(&items),
            1,
            "nests deeper than 100 levels",
        );
        let what = format!("render, {shape}");
        assert_refused_within_bounds(
            &what,
            &["render"],
            &format!("{}{text}", common::CONFIG),
            2,
            "nesting deeper than",
        );
    }
}

/// A million tiny documents (61 MB) took 4 GB: a stream holds at most 100,000 documents,
/// and every document's values count against the stream's.
#[test]
fn a_million_tiny_documents_are_refused_within_bounds() {
    let text = format!("{OBJECT}---\n").repeat(1_000_000);
    assert_refused_within_bounds("check", &["check"], &text, 2, "more than 100000 documents");
    let tiny = "a: 1\n---\n".repeat(1_000_000);
    assert_refused_within_bounds(
        "check, tinier",
        &["check", "-f", "-"],
        &tiny,
        2,
        "more than 100000 documents",
    );
}

/// Values cost memory whatever their text: a stream may hold one for every 8 bytes of its
/// text (plus 250,000), so memory stays a multiple of the text.
#[test]
fn dense_values_are_refused_within_bounds() {
    let dense = format!("a: [{}x]\n", "x,".repeat(2_000_000));
    let maps = "- {a: b}\n".repeat(500_000);
    let too_many = "too many for its size";
    assert_refused_within_bounds("check, a dense list", &["check"], &dense, 2, too_many);
    assert_refused_within_bounds("check, small mappings", &["check"], &maps, 2, too_many);
    let items: String = format!("    a: [{}x]\n", "x,".repeat(2_000_000));
    assert_refused_within_bounds("fn, a dense list", &["fn"], &list(&items), 1, too_many);
}

/// 256 MiB of input was accepted; a stream is at most 64 MiB now, the largest output
/// `render` makes, and no more is read.
#[test]
fn a_stream_larger_than_64_mib_is_refused_without_reading_it_all() {
    let text = "# padding\n".repeat((64 << 20) / 10 + 1);
    assert_refused_within_bounds("check", &["check"], &text, 2, "larger than 65536 KiB");
    assert_refused_within_bounds("fn", &["fn"], &text, 2, "larger than 65536 KiB");
}

/// A `List` holds objects of its own: 100,001 tiny ConfigMaps in one (6 MB) were checked
/// in 454 MiB, each item copied out of the list, and a million would have taken gigabytes
/// past the documents limit. `check` reads at most 100,000 objects, items counted one by
/// one, and moves each out of its list.
#[test]
fn a_list_of_more_than_100000_objects_is_refused_within_bounds() {
    let items: String = (0..100_001)
        .map(|i| format!("- {{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{i}}}}}\n"))
        .collect();
    let text = format!("apiVersion: v1\nkind: List\nitems:\n{items}");
    assert_refused_within_bounds(
        "check, a List",
        &["check"],
        &text,
        2,
        "more than 100000 objects (a List's items counted one by one)",
    );
}

// ---------------------------------------------------------------------------------------
// Streams that are read: memory within the bound, time growing linearly
// ---------------------------------------------------------------------------------------

/// The bound `docs/security.md` states on what `check` holds besides the text it read: each
/// object also held in its type while it is checked, 8 KiB at most (the worst measured, many
/// small objects, is about 3 KiB).
const CHECKED_OBJECT_KIB: u64 = 8;

/// `objects` ConfigMaps, one document each, as kubectl writes them (block style).
fn configmaps(objects: usize) -> String {
    (0..objects)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i:06}\ndata:\n  key: value\n"))
        .collect()
}

/// Runs `args` on `text` as `assert_refused_within_bounds` does; how it ended, and the
/// fastest of `runs` runs (the machine is shared: the fastest is the least disturbed).
fn fastest(args: &[&str], text: &str, runs: usize) -> Timed {
    let dir = TempDir::new("grows");
    let file = dir.0.join("input.yaml");
    std::fs::write(&file, text).unwrap();
    let from_stdin = args[0] == "fn";
    let mut args: Vec<&str> = args.to_vec();
    if !from_stdin {
        args.extend(["-f", "input.yaml"]);
    }
    let stdin = from_stdin.then_some(file.as_path());
    (0..runs)
        .map(|_| {
            run_bounded(
                &dir.0,
                &args,
                stdin,
                Duration::from_secs(300),
                Some(ADDRESS_SPACE),
            )
        })
        .min_by_key(|run| run.elapsed)
        .unwrap()
}

/// Ten times the input takes at most 25 times as long (linear growth is 10 times, the
/// square of it 100 times); times under 50 ms, mostly the process starting, count as 50 ms.
fn assert_grows_linearly(what: &str, small: &Timed, large: &Timed) {
    let floor = Duration::from_millis(50);
    eprintln!(
        "{what}: {:?} for the smaller input, {:?} for ten times it",
        small.elapsed, large.elapsed
    );
    assert!(
        large.elapsed <= small.elapsed.max(floor) * 25,
        "{what}: {:?} for ten times the input of one that took {:?}",
        large.elapsed,
        small.elapsed
    );
}

/// A stream of many small objects, which `check` reads in full, stays within the bound:
/// the text's, plus what each object costs while checked.
#[test]
fn many_small_objects_are_checked_within_the_memory_bound() {
    let objects = 20_000;
    let text = configmaps(objects);
    let run = fastest(&["check"], &text, 1);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("checked {objects} object(s)")),
        "{}",
        run.stderr
    );
    let rss = run
        .max_rss_kib
        .expect("/usr/bin/time measures the peak memory");
    let bound = memory_bound_kib(text.len()) + CHECKED_OBJECT_KIB * objects as u64;
    eprintln!(
        "check, {objects} ConfigMaps: {} bytes in {:?}, peak {rss} KiB (bound {bound} KiB)",
        text.len(),
        run.elapsed
    );
    assert!(rss <= bound, "peak {rss} KiB, more than {bound} KiB");
}

/// Nesting cost the square of its depth (200 KB, 100,000 levels, took 29 s): ten times
/// the depth now takes no more than ten times as long (it is refused at level 100).
#[test]
fn time_grows_linearly_with_the_depth_of_nesting() {
    let nested = |depth: usize| {
        format!(
            "{OBJECT}data:\n  a: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    let items = |depth: usize| {
        list(&format!(
            "    a: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ))
    };
    for (what, args, text) in [
        ("check", ["check"], &nested as &dyn Fn(usize) -> String),
        ("fn", ["fn"], &items),
    ] {
        let small = fastest(&args, &text(10_000), 3);
        let large = fastest(&args, &text(100_000), 3);
        for run in [&small, &large] {
            let said = format!("{}{}", run.stderr, run.stdout);
            assert!(
                said.contains("nests deeper than 100 levels"),
                "{what}: {said}"
            );
        }
        assert_grows_linearly(
            &format!("{what}, nesting 10,000 → 100,000 deep"),
            &small,
            &large,
        );
    }
}

/// Ten times the documents, or ten times the aliases, take no more than ten times as long.
#[test]
fn time_grows_linearly_with_documents_and_aliases() {
    let small = fastest(&["check"], &configmaps(2_000), 3);
    let large = fastest(&["check"], &configmaps(20_000), 3);
    assert_eq!(
        (small.code, large.code),
        (Some(0), Some(0)),
        "{}",
        large.stderr
    );
    assert_grows_linearly("check, 2,000 → 20,000 ConfigMaps", &small, &large);
    let bomb = |n: usize| format!("{OBJECT}data:\n{}", alias_bomb("  ", n, 3 * n));
    let small = fastest(&["check"], &bomb(10_000), 3);
    let large = fastest(&["check"], &bomb(100_000), 3);
    assert!(
        large.stderr.contains("its aliases copy more"),
        "{}",
        large.stderr
    );
    assert_grows_linearly("check, an alias bomb of 0.1 → 1 MB", &small, &large);
}
