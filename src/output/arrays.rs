//! NumPy files: `trace.npz` (`t` ms; `v`, `m`, `h`, `n` shaped neurons × samples), `.npy`
//! arrays and npz archives of named arrays (`spikes.npz` is streamed: see `spike_file`).

use super::OutputDir;
use crate::error::Result;
use ndarray_npy::{NpzWriter, WriteNpyExt};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

/// Writes an `.npz` archive of named arrays at `path`.
fn write_npz(path: &Path, arrays: &[(&str, &dyn WriteNpyArray)]) -> Result<(), String> {
    let file = File::create(path).map_err(|e| e.to_string())?;
    let mut npz = NpzWriter::new(FirstError::new(file));
    for (name, array) in arrays {
        array.add_to(&mut npz, name)?;
    }
    let written = npz.finish().map_err(|e| e.to_string())?;
    written.into_result().map_err(|e| e.to_string())
}

/// A file that keeps its first write error and takes later writes as done. The zip writer
/// beneath an npz writer then never fails part-way (a failed one reports again from its drop,
/// on stderr), and the error is returned once, after the archive is finished.
pub struct FirstError {
    file: File,
    error: Option<std::io::Error>,
}

impl FirstError {
    pub fn new(file: File) -> Self {
        FirstError { file, error: None }
    }

    /// The first write error, if any.
    pub fn into_result(self) -> std::io::Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

impl Write for FirstError {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_none() {
            match self.file.write(buf) {
                Ok(n) => return Ok(n),
                Err(e) => self.error = Some(e),
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.file.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

impl Seek for FirstError {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.file.seek(to)
    }
}

/// An array of any element type and shape that can go into an npz archive.
pub trait WriteNpyArray {
    fn add_to(&self, npz: &mut NpzWriter<FirstError>, name: &str) -> Result<(), String>;
}

impl<T: WriteNpyExt> WriteNpyArray for T {
    fn add_to(&self, npz: &mut NpzWriter<FirstError>, name: &str) -> Result<(), String> {
        npz.add_array(name, self).map_err(|e| e.to_string())
    }
}

/// Writes one array as a `.npy` file.
pub fn write_npy(dir: &OutputDir, name: &str, array: &impl WriteNpyExt) -> Result<()> {
    dir.write(name, |tmp| {
        let file = File::create(tmp).map_err(|e| e.to_string())?;
        array.write_npy(file).map_err(|e| e.to_string())
    })
}

/// Writes named arrays of any element type and shape as one `.npz` file.
pub fn write_npz_arrays(
    dir: &OutputDir,
    name: &str,
    arrays: &[(&str, &dyn WriteNpyArray)],
) -> Result<()> {
    dir.write(name, |tmp| write_npz(tmp, arrays))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array1;

    #[test]
    fn a_full_disk_is_one_error() {
        // /dev/full takes the file's creation and fails every write with ENOSPC.
        let t = Array1::from(vec![1.0f64; 100_000]);
        let e = write_npz(Path::new("/dev/full"), &[("t", &t)]).unwrap_err();
        assert!(e.contains("No space left"), "{e}");
    }
}
