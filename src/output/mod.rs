//! Result files: an output directory that never holds a partial file, and the `.npy`/`.npz`,
//! JSON and PNG writers on top of it.

pub mod arrays;
pub mod diagram;
pub mod plot;

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// The `--out` directory of a run. Every file is written under a temporary name in the
/// directory and renamed into place once complete, so a reader never sees a partial file.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    created: bool,
}

impl OutputDir {
    /// Creates the directory (and its parents) if needed. Called before the run starts, so that
    /// a directory that cannot be made is reported before any work is done.
    pub fn create(path: &Path) -> Result<Self> {
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
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` by calling `write` with a temporary path in the directory (ending in the
    /// same extension, for writers that choose a format by it), then renaming it to `name`.
    pub fn write(&self, name: &str, write: impl FnOnce(&Path) -> Result<(), String>) -> Result<()> {
        let target = self.path.join(name);
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
        Ok(())
    }

    /// Writes `value` as pretty-printed JSON.
    pub fn write_json(&self, name: &str, value: &impl serde::Serialize) -> Result<()> {
        self.write(name, |tmp| {
            let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
            std::fs::write(tmp, text + "\n").map_err(|e| e.to_string())
        })
    }

    /// Removes the directory again if this run created it and nothing was written into it:
    /// a failed run leaves nothing behind.
    pub fn discard_if_empty(self) {
        if self.created {
            // remove_dir refuses a non-empty directory, which is what we want.
            let _ = std::fs::remove_dir(&self.path);
        }
    }
}
