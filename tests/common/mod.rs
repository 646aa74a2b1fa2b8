//! Helpers shared by the integration tests: run the real binary, make scratch directories.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The smallest valid config, in the bare values form.
pub const CONFIG: &str = "mode: dind\nexecutor:\n  frontendUrl: http://sourcegraph-frontend:30080\n  frontendExistingSecret: fe\n  queueName: batches\n";

/// Configs whose trees differ in every way a build changes a directory: files replaced,
/// created in a new layer directory (gVisor, ephemeral scratch), and deleted with their
/// emptied directory (the registry switched off).
pub fn configs_that_differ() -> [String; 3] {
    [
        CONFIG.to_string(),
        format!(
            "{}dind:\n  gVisor:\n    enabled: true\nprivateDockerRegistry:\n  enabled: false\n",
            CONFIG.replace("batches", "codeintel")
        ),
        format!("{CONFIG}  storage:\n    type: ephemeral\n    size: 10Gi\n"),
    ]
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `sg-executor-gen` with `args`, feeding `stdin` if given.
pub fn run_tool(args: &[&str], stdin: Option<&str>) -> Run {
    run_tool_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, stdin)
}

pub fn run_tool_in(cwd: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let out = run_tool_raw(cwd, args, stdin.unwrap_or_default().as_bytes());
    Run {
        code: out.code.unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: out.stderr,
    }
}

/// What the binary did, byte for byte; `code` is `None` when a signal ended it.
pub struct RawRun {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

/// Runs the binary on arbitrary input bytes. The input is written from its own thread:
/// the tool may stop reading early (too large, not UTF-8), and a closed pipe is fine.
pub fn run_tool_raw(cwd: &Path, args: &[&str], stdin: &[u8]) -> RawRun {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sg-executor-gen"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("the binary finishes");
    writer.join().expect("the writer thread");
    RawRun {
        code: out.status.code(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The kubectl the tests run: `$KUBECTL`, else `kubectl` on the PATH.
pub fn kubectl() -> String {
    std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

/// What `kubectl kustomize DIR` prints, or why it could not build.
pub fn kubectl_kustomize(dir: &Path) -> Result<String, String> {
    let kubectl = kubectl();
    let out = Command::new(&kubectl)
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|e| {
            format!("cannot run `{kubectl} kustomize` ({e}); install kubectl or set KUBECTL")
        })?;
    if !out.status.success() {
        return Err(format!(
            "kubectl kustomize failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

/// A new empty directory for one test, under the target directory.
pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every bundled example config, sorted.
pub fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    all.sort();
    assert!(all.len() >= 5, "the bundled examples are missing: {all:?}");
    all
}

/// Every file under `dir`, by path relative to it, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                pending.push(p);
            } else {
                files.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// What `build` must leave alone about a file, directory or link, read without following
/// links: the same inode with the same owner, mode, times, links and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untouched {
    pub ino: u64,
    pub uid: u32,
    pub gid: u32,
    /// With the setuid, setgid and sticky bits and the file type.
    pub mode: u32,
    pub nlink: u64,
    /// Disk blocks: a sparse file copied or rewritten becomes dense.
    pub blocks: u64,
    pub mtime: (i64, i64),
    /// Changes with any change to the inode: chmod, chown, a new link, a write.
    pub ctime: (i64, i64),
    /// A file's bytes, a link's target; nothing for a directory.
    pub content: Vec<u8>,
}

pub fn untouched(path: &Path) -> Untouched {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let content = if m.file_type().is_symlink() {
        std::fs::read_link(path)
            .unwrap()
            .as_os_str()
            .as_bytes()
            .to_vec()
    } else if m.is_file() {
        std::fs::read(path).unwrap()
    } else {
        Vec::new()
    };
    Untouched {
        ino: m.ino(),
        uid: m.uid(),
        gid: m.gid(),
        mode: m.mode(),
        nlink: m.nlink(),
        blocks: m.blocks(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ctime: (m.ctime(), m.ctime_nsec()),
        content,
    }
}

/// `untouched` for `root` and everything under it, by path relative to `root`'s parent
/// directory; links are recorded, never followed.
pub fn untouched_tree(root: &Path) -> std::collections::BTreeMap<String, Untouched> {
    let base = root.parent().unwrap();
    let mut all = std::collections::BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(p) = pending.pop() {
        let entry = untouched(&p);
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                pending.push(e.unwrap().path());
            }
        }
        all.insert(p.strip_prefix(base).unwrap().display().to_string(), entry);
    }
    all
}

/// Whether the process may chown files to another user (CI runs as root).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    // A file we create is owned by our effective uid.
    let probe = scratch_dir("whoami").join("probe");
    std::fs::write(&probe, "").unwrap();
    std::fs::metadata(&probe).unwrap().uid() == 0
}

/// The executor's required keys, for configs built in a test (no queue).
pub const EXECUTOR: &str = "executor:
  frontendUrl: http://sourcegraph-frontend.sourcegraph.svc.cluster.local:30080
  frontendExistingSecret: executor-frontend
";

/// `head` (a bare values file without `queues`) with `n` queue entries `q0`, `q1`, … on the
/// batches queue.
pub fn with_queues(head: &str, n: usize) -> String {
    let mut text = format!("{head}queues:\n");
    for i in 0..n {
        text.push_str(&format!("- {{name: q{i}, queueName: batches}}\n"));
    }
    text
}

/// A small deterministic generator for bounded random loops; print the seed, so a failure
/// can be replayed.
pub struct XorShift(pub u64);

impl XorShift {
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The text between `begin` and `end` in the repository's file `doc` (the rest of it, and
/// the block): a block generated from the tool's own data.
pub fn generated_block(doc: &str, begin: &str, end: &str) -> (String, String, String) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap();
    let (head, rest) = text
        .split_once(begin)
        .unwrap_or_else(|| panic!("{doc} has the BEGIN marker {begin}"));
    let (block, tail) = rest
        .split_once(end)
        .unwrap_or_else(|| panic!("{doc} has the END marker {end}"));
    (head.to_string(), block.to_string(), tail.to_string())
}

/// Fails unless `doc`'s block is `generated`; with `SG_UPDATE_DOCS=1` rewrites it instead
/// (`rerun` is the command that does, named in the failure).
pub fn assert_generated_block(doc: &str, begin: &str, end: &str, generated: &str, rerun: &str) {
    let (head, block, tail) = generated_block(doc, begin, end);
    if block == generated {
        return;
    }
    if std::env::var_os("SG_UPDATE_DOCS").is_some_and(|v| v == "1") {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(doc);
        std::fs::write(path, format!("{head}{begin}{generated}{end}{tail}")).unwrap();
        eprintln!("rewrote the generated block in {doc}");
        return;
    }
    let first = block
        .lines()
        .zip(generated.lines())
        .find(|(a, b)| a != b)
        .map(|(a, b)| format!("{doc}: {a}\ngenerated: {b}"))
        .unwrap_or_else(|| "they differ in length".into());
    panic!("{doc}'s generated block is not what the tool generates; run `SG_UPDATE_DOCS=1 {rerun}` and review the diff\n{first}");
}
