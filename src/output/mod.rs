//! Result files: an output directory that one run owns, that never holds a partial file and
//! that a failed run leaves as it found it; and the `.npy`/`.npz`, JSON and PNG writers on top.

pub mod arrays;
pub mod diagram;
pub mod plot;
pub mod spike_file;

use crate::error::{Error, Result};
use std::cell::RefCell;
use std::fs::File;
use std::path::{Component, Path, PathBuf};

/// The lock file that marks a directory as owned by a running hhsim process (its pid inside).
pub const LOCK_FILE: &str = ".hhsim.lock";

/// How often taking the lock is tried again when the lock file was replaced between opening and
/// locking it (its holder finished and removed it): each try either locks the file in place or
/// finds a live holder, so a few are plenty.
const LOCK_ATTEMPTS: usize = 8;

/// The `--out` directory of a run. Every file is written under a temporary name in the
/// directory and renamed into place once complete, so a reader never sees a partial file.
///
/// One run owns the directory: [`OutputDir::create`] takes an exclusive lock that is held until
/// the value is dropped, and a second run on the same directory is refused. A run that does not
/// reach [`OutputDir::finish`] (an error returned early, a panic) removes on drop every file it
/// wrote and the directory itself if it made it.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    /// This run made the directory (and so removes it again when it fails).
    created: bool,
    /// The lock file, locked for as long as this run owns the directory; `None` for a
    /// sub-directory, which its parent's lock covers.
    lock: Option<File>,
    /// Files and sub-directories this run wrote, oldest first.
    written: RefCell<Vec<PathBuf>>,
    finished: bool,
}

impl OutputDir {
    /// Creates the directory (and its parents) if needed and takes it for this run. Called
    /// before the run starts, so that a directory that cannot be made or is in use is reported
    /// before any work is done.
    pub fn create(path: &Path) -> Result<Self> {
        let mut dir = Self::make(path)?;
        match lock(path) {
            Ok(file) => dir.lock = Some(file),
            Err(e) => {
                dir.finished = true;
                if dir.created {
                    let _ = std::fs::remove_dir(path);
                }
                return Err(e);
            }
        }
        Ok(dir)
    }

    fn make(path: &Path) -> Result<Self> {
        let fail = |reason: String| Error::OutputDir {
            path: path.to_owned(),
            reason,
        };
        if path.exists() && !path.is_dir() {
            return Err(fail("it exists and is not a directory".into()));
        }
        let created = !path.exists();
        std::fs::create_dir_all(path).map_err(|e| fail(e.to_string()))?;
        Ok(OutputDir {
            path: path.to_owned(),
            created,
            lock: None,
            written: RefCell::new(Vec::new()),
            finished: false,
        })
    }

    /// A sub-directory `name` for this run's files (e.g. a sweep's checkpoints), covered by this
    /// directory's lock; removed with this run's other files if the run fails.
    pub fn subdir(&self, name: &str) -> Result<OutputDir> {
        let path = self.path.join(plain_file_name(name)?);
        let mut sub = Self::make(&path)?;
        // The parent removes it (and what is in it) when the run fails.
        sub.finished = true;
        if sub.created {
            self.written.borrow_mut().push(path);
        }
        Ok(sub)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` by calling `write` with a temporary path in the directory (ending in the
    /// same extension, for writers that choose a format by it), then renaming it to `name`.
    /// `name` must be a plain file name: results never land outside the directory.
    pub fn write(&self, name: &str, write: impl FnOnce(&Path) -> Result<(), String>) -> Result<()> {
        let target = self.path.join(plain_file_name(name)?);
        let fail = |reason: String| Error::Write {
            path: target.clone(),
            reason,
        };
        let suffix = Path::new(name)
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        builder.prefix(".partial-").suffix(&suffix);
        // Result files are ordinary files for whoever reads them, not private temporaries.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
        let tmp = builder
            .tempfile_in(&self.path)
            .map_err(|e| fail(e.to_string()))?;
        write(tmp.path()).map_err(fail)?;
        tmp.persist(&target).map_err(|e| fail(e.to_string()))?;
        self.written.borrow_mut().push(target);
        Ok(())
    }

    /// Writes `value` as pretty-printed JSON.
    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<()> {
        self.write(name, |tmp| {
            let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
            std::fs::write(tmp, text + "\n").map_err(|e| e.to_string())
        })
    }

    /// The run succeeded: its files stay. (Dropping the directory without this removes them.)
    pub fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.finished {
            for path in self.written.borrow().iter().rev() {
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(path)
                } else {
                    std::fs::remove_file(path)
                };
            }
        }
        if self.lock.take().is_some() {
            // Removed while still locked: a run that opened it meanwhile finds, once it holds
            // the lock, that the file is no longer the one at this path, and tries again.
            let _ = std::fs::remove_file(self.path.join(LOCK_FILE));
        }
        if !self.finished && self.created {
            // remove_dir refuses a directory that holds files this run did not write.
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}

/// `name` if it is one plain file name (no separator, no `..`, not hidden), else an error:
/// whatever a name comes from, a result file stays inside its directory.
fn plain_file_name(name: &str) -> Result<&str> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) if !name.starts_with('.') && !name.contains('\\') => {
            Ok(name)
        }
        _ => Err(Error::invalid(
            "output file name",
            format!("'{name}'"),
            "a plain file name inside the output directory",
        )),
    }
}

/// Takes the exclusive lock of `dir`, writing this process's pid into the lock file; refused,
/// naming the holder's pid, while another run holds it.
fn lock(dir: &Path) -> Result<File> {
    use std::io::Write;
    let path = dir.join(LOCK_FILE);
    let fail = |reason: String| Error::OutputDir {
        path: dir.to_owned(),
        reason,
    };
    for _ in 0..LOCK_ATTEMPTS {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| fail(format!("cannot open its lock file: {e}")))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                let holder = if holder.is_empty() { "unknown" } else { holder };
                return Err(fail(format!(
                    "another hhsim run (pid {holder}) is writing into it; wait for it to finish or choose another --out"
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(fail(format!("cannot lock it: {e}")));
            }
        }
        if !same_file(&file, &path) {
            continue;
        }
        file.set_len(0)
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(|e| fail(format!("cannot write its lock file: {e}")))?;
        return Ok(file);
    }
    Err(fail(
        "its lock file keeps changing hands; another hhsim run is using it".into(),
    ))
}

/// Whether `file` is still the file at `path` (not removed or replaced since it was opened).
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_owner_is_refused_naming_the_first() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let first = OutputDir::create(&out).unwrap();
        let e = OutputDir::create(&out).unwrap_err().to_string();
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        assert_eq!(
            Error::OutputDir {
                path: out.clone(),
                reason: e
            }
            .exit_code(),
            2
        );
        first.finish();
        // Released with the first owner: the directory can be taken again.
        OutputDir::create(&out).unwrap().finish();
        assert!(
            !out.join(LOCK_FILE).exists(),
            "the lock file goes with its run"
        );
    }

    #[test]
    fn a_failed_run_removes_what_it_wrote_and_keeps_what_was_there() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("fresh");
        let dir = OutputDir::create(&fresh).unwrap();
        dir.write_json("a.json", &1).unwrap();
        dir.subdir("chunks")
            .unwrap()
            .write_json("b.json", &2)
            .unwrap();
        drop(dir);
        assert!(!fresh.exists(), "a directory this run made goes with it");

        let old = root.path().join("old");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("mine.txt"), "kept").unwrap();
        let dir = OutputDir::create(&old).unwrap();
        dir.write_json("a.json", &1).unwrap();
        drop(dir);
        let left: Vec<_> = std::fs::read_dir(&old)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("mine.txt")]);
    }

    #[test]
    fn names_that_would_leave_the_directory_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let dir = OutputDir::create(root.path()).unwrap();
        for name in [
            "../escaped.npy",
            "/tmp/x.npy",
            "a/b.npy",
            ".hidden",
            "..",
            "",
        ] {
            let e = dir.write(name, |_| Ok(())).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{name}: {e}");
        }
        dir.finish();
    }
}
