//! A directory opened once and then reached only through its handle, never again by its
//! path: every name below it is looked up in the handle (`openat`, `fstatat`, `mkdirat`,
//! `renameat`, `unlinkat`) one component at a time, and a link is never followed. So a
//! directory (or the directory itself) swapped for a link while a build runs cannot send a
//! write or a delete outside: the lookup of the link fails, or the handle still names the
//! directory that was opened. The system calls come from `rustix`.

use rustix::fs::{self as sys, AtFlags, FileType, FlockOperation, Mode, OFlags};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// What a name in a directory is, read without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
    Unknown,
}

impl Kind {
    /// The kind as a user would name it in a message.
    pub fn described(self) -> &'static str {
        match self {
            Kind::File => "a regular file",
            Kind::Dir => "a directory",
            Kind::Symlink => "a symbolic link",
            Kind::CharDevice => "a character device",
            Kind::BlockDevice => "a block device",
            Kind::Fifo => "a FIFO (named pipe)",
            Kind::Socket => "a socket",
            Kind::Unknown => "not a regular file",
        }
    }

    fn of(file_type: FileType) -> Kind {
        match file_type {
            FileType::RegularFile => Kind::File,
            FileType::Directory => Kind::Dir,
            FileType::Symlink => Kind::Symlink,
            FileType::CharacterDevice => Kind::CharDevice,
            FileType::BlockDevice => Kind::BlockDevice,
            FileType::Fifo => Kind::Fifo,
            FileType::Socket => Kind::Socket,
            FileType::Unknown => Kind::Unknown,
        }
    }
}

/// Which file an entry is: the same id later means the same file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

/// A name's metadata, read without following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    /// The permission bits (with setuid, setgid and sticky).
    pub mode: u32,
    pub size: u64,
    pub uid: u32,
    pub id: FileId,
}

impl Entry {
    // The fields' types differ from one platform to another.
    #[allow(clippy::unnecessary_cast)]
    fn of(st: &sys::Stat) -> Entry {
        Entry {
            kind: Kind::of(FileType::from_raw_mode(st.st_mode as _)),
            mode: st.st_mode as u32 & 0o7777,
            size: st.st_size as u64,
            uid: st.st_uid,
            id: FileId {
                dev: st.st_dev as u64,
                ino: st.st_ino as u64,
            },
        }
    }
}

/// A regular file's bytes, or its size when it holds more than the reader asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capped {
    Whole(Vec<u8>),
    TooLarge(u64),
}

/// An open directory. Names given to its methods are single components (no `/`).
#[derive(Debug)]
pub struct DirHandle {
    file: File,
}

fn not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// `path` without a trailing `/` or inner `.`, so the last component is the directory
/// itself (a trailing slash would make the system follow a link there).
fn normalized(path: &Path) -> PathBuf {
    let p: PathBuf = path.components().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

impl DirHandle {
    /// Opens the directory at `path`; a link at its last component is not followed (the
    /// error is then `ELOOP` or `ENOTDIR`: see `Kind` through `entry_at`).
    pub fn open(path: &Path) -> io::Result<DirHandle> {
        let fd = sys::open(
            normalized(path).as_path(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(DirHandle {
            file: File::from(fd),
        })
    }

    /// Opens the directory at `path`, following links on the way as the user named it.
    pub fn open_following(path: &Path) -> io::Result<DirHandle> {
        let fd = sys::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(DirHandle {
            file: File::from(fd),
        })
    }

    /// What is at `path` itself, not following a link there; `None` when nothing is.
    pub fn entry_at(path: &Path) -> io::Result<Option<Entry>> {
        match sys::lstat(normalized(path).as_path()) {
            Ok(st) => Ok(Some(Entry::of(&st))),
            Err(e) => none_if_missing(e.into()),
        }
    }

    /// The directory's own metadata.
    pub fn metadata(&self) -> io::Result<Entry> {
        Ok(Entry::of(&sys::fstat(&self.file)?))
    }

    /// What `name` is, not following a link; `None` when nothing is there.
    pub fn entry(&self, name: &(impl AsRef<OsStr> + ?Sized)) -> io::Result<Option<Entry>> {
        match sys::statat(&self.file, name.as_ref(), AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(Entry::of(&st))),
            Err(e) => none_if_missing(e.into()),
        }
    }

    /// Opens the subdirectory `name`; fails on a link or anything but a directory.
    pub fn open_dir(&self, name: &(impl AsRef<OsStr> + ?Sized)) -> io::Result<DirHandle> {
        let fd = sys::openat(
            &self.file,
            name.as_ref(),
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(DirHandle {
            file: File::from(fd),
        })
    }

    /// Creates the subdirectory `name` (the umask applies); true when it was created,
    /// false when something already had that name.
    pub fn create_dir(&self, name: &(impl AsRef<OsStr> + ?Sized)) -> io::Result<bool> {
        match sys::mkdirat(&self.file, name.as_ref(), Mode::from_raw_mode(0o777)) {
            Ok(()) => Ok(true),
            Err(rustix::io::Errno::EXIST) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens the regular file `name` for reading, not following a link and never
    /// blocking (a FIFO swapped in does not hang the reader); `None` when what is there is
    /// not a regular file.
    pub fn open_file(
        &self,
        name: &(impl AsRef<OsStr> + ?Sized),
    ) -> io::Result<Option<(File, Entry)>> {
        let fd = sys::openat(
            &self.file,
            name.as_ref(),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let file = File::from(fd);
        let entry = Entry::of(&sys::fstat(&file)?);
        Ok((entry.kind == Kind::File).then_some((file, entry)))
    }

    /// The bytes of the regular file `name`, up to `limit`: more is `TooLarge` with the
    /// size, without reading it. `None` when what is there is not a regular file.
    pub fn read_file(
        &self,
        name: &(impl AsRef<OsStr> + ?Sized),
        limit: u64,
    ) -> io::Result<Option<Capped>> {
        let Some((file, entry)) = self.open_file(name)? else {
            return Ok(None);
        };
        if entry.size > limit {
            return Ok(Some(Capped::TooLarge(entry.size)));
        }
        let mut bytes = Vec::with_capacity(entry.size as usize);
        // The file may grow while it is read: never past the limit.
        file.take(limit + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Ok(Some(Capped::TooLarge(bytes.len() as u64)));
        }
        Ok(Some(Capped::Whole(bytes)))
    }

    /// Creates the file `name`, which must not exist (not even as a link), with exactly
    /// `mode` whatever the umask, open for writing.
    pub fn create_new(&self, name: &(impl AsRef<OsStr> + ?Sized), mode: u32) -> io::Result<File> {
        let fd = sys::openat(
            &self.file,
            name.as_ref(),
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::from_raw_mode(mode as _),
        )?;
        // Set while the file is still empty: the umask may have taken bits away.
        sys::fchmod(&fd, Mode::from_raw_mode(mode as _))?;
        Ok(File::from(fd))
    }

    /// Renames `from` to `to`, both in this directory; `to` is replaced (a link there is
    /// replaced, never followed).
    pub fn rename(
        &self,
        from: &(impl AsRef<OsStr> + ?Sized),
        to: &(impl AsRef<OsStr> + ?Sized),
    ) -> io::Result<()> {
        Ok(sys::renameat(
            &self.file,
            from.as_ref(),
            &self.file,
            to.as_ref(),
        )?)
    }

    /// Removes the name `name` (a file or a link, never what a link points to).
    pub fn remove_file(&self, name: &(impl AsRef<OsStr> + ?Sized)) -> io::Result<()> {
        Ok(sys::unlinkat(&self.file, name.as_ref(), AtFlags::empty())?)
    }

    /// Removes the empty subdirectory `name`.
    pub fn remove_dir(&self, name: &(impl AsRef<OsStr> + ?Sized)) -> io::Result<()> {
        Ok(sys::unlinkat(
            &self.file,
            name.as_ref(),
            AtFlags::REMOVEDIR,
        )?)
    }

    /// Every name in the directory (not `.` and `..`) with its kind where the file system
    /// tells it without another lookup.
    pub fn names(&self) -> io::Result<Vec<(OsString, Option<Kind>)>> {
        let mut names = Vec::new();
        for entry in sys::Dir::read_from(&self.file)? {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = Kind::of(entry.file_type());
            let kind = (kind != Kind::Unknown).then_some(kind);
            names.push((OsString::from_vec(name.to_vec()), kind));
        }
        Ok(names)
    }

    /// Waits until the directory's entries are on disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_all()
    }

    /// Locks the directory, exclusively or shared, for as long as the handle is open.
    pub fn lock(&self, exclusive: bool) -> io::Result<()> {
        let op = if exclusive {
            FlockOperation::LockExclusive
        } else {
            FlockOperation::LockShared
        };
        Ok(sys::flock(&self.file, op)?)
    }
}

fn none_if_missing<T>(e: io::Error) -> io::Result<Option<T>> {
    if not_found(&e) {
        Ok(None)
    } else {
        Err(e)
    }
}

/// Whether an open of a directory failed because a link or something other than a
/// directory was there.
pub fn is_not_a_directory(e: &io::Error) -> bool {
    let code = e.raw_os_error();
    code == Some(rustix::io::Errno::LOOP.raw_os_error())
        || code == Some(rustix::io::Errno::NOTDIR.raw_os_error())
}

/// Whether the process `pid` is alive (or not ours to ask about, which counts as alive).
pub fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

/// The user this process acts as.
pub fn effective_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Takes an exclusive lock on an open file without waiting: false when another process
/// holds one.
pub fn try_lock(file: &File) -> io::Result<bool> {
    match sys::flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dir-handle-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_link_is_never_followed() {
        let root = scratch("links");
        std::fs::create_dir(root.join("real")).unwrap();
        std::os::unix::fs::symlink("real", root.join("link")).unwrap();
        std::os::unix::fs::symlink("real", root.join("dirlink")).unwrap();
        assert!(DirHandle::open(&root.join("link")).is_err());
        assert!(
            DirHandle::open(&root.join("link/")).is_err(),
            "a trailing slash"
        );
        let dir = DirHandle::open(&root).unwrap();
        assert!(dir.open_dir("link").is_err());
        assert_eq!(dir.entry("link").unwrap().unwrap().kind, Kind::Symlink);
        assert!(dir.create_new("link", 0o644).is_err());
        assert!(dir.read_file("link", 10).is_err());
        assert_eq!(dir.entry("missing").unwrap(), None);
        let sub = dir.open_dir("real").unwrap();
        let mut f = sub.create_new("f", 0o600).unwrap();
        f.write_all(b"hello").unwrap();
        assert_eq!(sub.entry("f").unwrap().unwrap().mode, 0o600);
        assert_eq!(
            sub.read_file("f", 5).unwrap(),
            Some(Capped::Whole(b"hello".to_vec()))
        );
        assert_eq!(sub.read_file("f", 4).unwrap(), Some(Capped::TooLarge(5)));
        sub.rename("f", "g").unwrap();
        let mut names = sub.names().unwrap();
        names.sort();
        assert_eq!(names, [(OsString::from("g"), Some(Kind::File))]);
        dir.remove_file("link").unwrap();
        assert!(
            root.join("real/g").exists(),
            "the link went, not its target"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
