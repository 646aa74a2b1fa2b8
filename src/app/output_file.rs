//! `render -o FILE`: the stream written whole or not at all. It goes to a new temporary
//! file beside FILE, is synced, and is renamed over FILE, so a reader (or `kubectl apply`
//! in a loop) sees the old file or the complete new one; on any error the temporary file
//! is removed and FILE is as it was. `0644`, or `0600` when the stream holds a Secret.

use super::AppError;
use crate::cli::StreamFormat;
use crate::component::output_dir::{self, io_error};
use crate::pipeline::Generated;
use std::fs;
use std::path::{Path, PathBuf};

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

fn write_atomically(path: &Path, content: &[u8], mode: u32) -> Result<(), AppError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            return Err(usage(
                path,
                "is a directory; give a file name, e.g. -o executors.yaml",
            ))
        }
        Ok(m) if m.file_type().is_symlink() => {
            return Err(usage(
                path,
                "is a symbolic link; the tool never writes through one: give the real path",
            ))
        }
        _ => {}
    }
    let temp = temp_path(path);
    output_dir::write_new_file(&temp, content, mode).map_err(io_error(path, "cannot write"))?;
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(io_error(path, "cannot replace")(e).into());
    }
    // The rename is durable once the directory is synced; a failure here changes nothing.
    if let Ok(dir) = fs::File::open(parent(path)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

fn usage(path: &Path, what: &str) -> AppError {
    AppError::Usage(format!("{}: {what}", path.display()))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `.NAME.PID.sg-executor-gen-tmp` beside the target: the same filesystem, so the rename is
/// atomic; hidden; and the process id keeps two runs apart.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    parent(path).join(format!(
        ".{name}.{}.sg-executor-gen-tmp",
        std::process::id()
    ))
}
