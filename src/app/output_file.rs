//! `render -o FILE`: the stream written whole or not at all, and only ever to a regular file.
//! It goes to a new temporary file beside FILE, is synced, and is renamed over FILE, so a
//! reader (or `kubectl apply` in a loop) sees the old file or the complete new one; on any
//! error the temporary file is removed and FILE is as it was. `0644`, or `0600` when the
//! stream holds a Secret. A device node, FIFO or socket at FILE is refused, never replaced
//! (as root, `-o /dev/null` would otherwise replace the system's `/dev/null`).
//!
//! The temporary file is `.FILE.PID.sg-executor-gen-tmp`, locked while it is written. A
//! run killed mid-write leaves it; the next run to FILE removes every such file whose
//! process is gone and whose lock nobody holds.

use super::AppError;
use crate::cli::StreamFormat;
use crate::component::dir_handle::{self, DirHandle, Kind};
use crate::component::output_dir::{io_error, shown};
use crate::pipeline::Generated;
use std::io::Write;
use std::path::Path;

pub(super) fn write(
    path: &Path,
    generated: &Generated,
    format: StreamFormat,
) -> Result<(), AppError> {
    let has_secret = generated.bundle.ids().any(|id| id.kind == "Secret");
    let mode = if has_secret { 0o600 } else { 0o644 };
    let mut stream = Vec::new();
    // Writing into memory cannot fail.
    let _ = match format {
        StreamFormat::Yaml => generated.bundle.write_stream(&mut stream),
        StreamFormat::Json => generated.bundle.write_json_list(&mut stream),
    };
    write_atomically(path, &stream, mode)
}

const TEMP_SUFFIX: &str = ".sg-executor-gen-tmp";

fn write_atomically(path: &Path, content: &[u8], mode: u32) -> Result<(), AppError> {
    let not_a_file = || {
        usage(
            path,
            "is a directory; give a file name, e.g. -o executors.yaml",
        )
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return match path.file_name() {
            None => Err(not_a_file()),
            Some(_) => Err(usage(path, "is not UTF-8; give a file name that is")),
        };
    };
    // The directory is looked up once, following the links the path names on the way;
    // FILE itself is then only ever reached through its handle.
    let dir = DirHandle::open_following(parent(path)).map_err(io_error(path, "cannot write"))?;
    refuse_anything_but_a_file(&dir, name, path)?;
    remove_stale_temps(&dir, name);
    let temp = format!(".{name}.{}{TEMP_SUFFIX}", std::process::id());
    let mut file = dir
        .create_new(&temp, mode)
        .map_err(io_error(path, "cannot write"))?;
    let written = (|| {
        dir_handle::try_lock(&file)?;
        file.write_all(content)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = dir.remove_file(&temp);
        return Err(io_error(path, "cannot write")(e).into());
    }
    // Looked at once more just before the rename: whatever came meanwhile is not replaced.
    if let Err(e) = refuse_anything_but_a_file(&dir, name, path) {
        let _ = dir.remove_file(&temp);
        return Err(e);
    }
    if let Err(e) = dir.rename(&temp, name) {
        let _ = dir.remove_file(&temp);
        return Err(io_error(path, "cannot replace")(e).into());
    }
    // The rename is durable once the directory is synced; a failure here changes nothing.
    let _ = dir.sync();
    Ok(())
}

/// Accepts a regular file or nothing at `name`; anything else is refused, naming its kind.
fn refuse_anything_but_a_file(dir: &DirHandle, name: &str, path: &Path) -> Result<(), AppError> {
    let entry = dir.entry(name).map_err(io_error(path, "cannot read"))?;
    match entry.map(|e| e.kind) {
        None | Some(Kind::File) => Ok(()),
        Some(Kind::Dir) => Err(usage(
            path,
            "is a directory; give a file name, e.g. -o executors.yaml",
        )),
        Some(Kind::Symlink) => Err(usage(
            path,
            "is a symbolic link; the tool never writes through one: give the real path",
        )),
        Some(kind) => Err(usage(
            path,
            &format!(
                "is {}; render -o writes only to a regular file and never replaces anything else: give a file name",
                kind.described()
            ),
        )),
    }
}

/// Removes the temporary files of runs to `name` that were killed: named for a process
/// that is gone (or for this one, which has made none yet), a regular file of this user,
/// and locked by no one.
fn remove_stale_temps(dir: &DirHandle, name: &str) {
    let Ok(names) = dir.names() else {
        return;
    };
    let prefix = format!(".{name}.");
    let own = std::process::id();
    for (entry, _) in names {
        let Some(entry) = entry.to_str() else {
            continue;
        };
        let Some(pid) = entry
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(TEMP_SUFFIX))
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != own && dir_handle::process_alive(pid) {
            continue;
        }
        let Ok(Some((file, found))) = dir.open_file(entry) else {
            continue;
        };
        if found.uid != dir_handle::effective_uid() {
            continue;
        }
        if matches!(dir_handle::try_lock(&file), Ok(true)) {
            let _ = dir.remove_file(entry);
        }
    }
}

fn usage(path: &Path, what: &str) -> AppError {
    AppError::Usage(format!("{}: {what}", shown(path)))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
