//! `spikes.npz` written as a run goes: each chunk's spikes are appended to two unnamed temporary
//! files in the output directory, and the archive is assembled from them at the end, so a run's
//! spikes never have to fit in memory. The archive equals the one NumPy's `savez` would write:
//! `i` (neuron index, u32) and `t` (ms, f64), sorted by time then index, stored uncompressed.

use super::OutputDir;
use super::arrays::FirstError;
use crate::error::{Error, Result};
use crate::monitor::{SpikeSink, Spikes};
use ndarray_npy::{WritableElement, write_zeroed_npy};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

pub const SPIKES_FILE: &str = "spikes.npz";

/// Spikes read back from the temporary files per block: 12 bytes each.
const READ_BLOCK: usize = 1 << 16;

/// A run's spikes on their way to `spikes.npz` (see the module's comment).
pub struct SpikeFile {
    /// Steps as little-endian u64, and neuron indices as little-endian u32, in order.
    steps: BufWriter<File>,
    neurons: BufWriter<File>,
    len: u64,
    /// Where the archive goes, for messages.
    target: std::path::PathBuf,
}

impl SpikeFile {
    /// Opens the temporary files in `dir`; they vanish with this value, whatever happens.
    pub fn new(dir: &OutputDir) -> Result<Self> {
        let target = dir.path().join(SPIKES_FILE);
        let spill = || {
            tempfile::tempfile_in(dir.path())
                .map(BufWriter::new)
                .map_err(|e| write_error(&target, e.to_string()))
        };
        Ok(SpikeFile {
            steps: spill()?,
            neurons: spill()?,
            len: 0,
            target: target.clone(),
        })
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes `spikes.npz` into `dir`, with times `step · dt_ms`.
    pub fn write_npz(&mut self, dir: &OutputDir, dt_ms: f64) -> Result<()> {
        self.flush()?;
        let len = self.len;
        let (steps, neurons) = (self.steps.get_mut(), self.neurons.get_mut());
        dir.write(SPIKES_FILE, |tmp| {
            write_archive(tmp, len, steps, neurons, dt_ms).map_err(|e| e.to_string())
        })?;
        self.seek_to_end()
    }

    /// Calls `f(step, neuron)` for every spike, in order, reading them back from the files.
    pub fn for_each(&mut self, mut f: impl FnMut(u64, u32)) -> Result<()> {
        self.flush()?;
        let target = self.target.clone();
        let fail = |e: std::io::Error| write_error(&target, e.to_string());
        let steps = rewound(self.steps.get_mut()).map_err(fail)?;
        let neurons = rewound(self.neurons.get_mut()).map_err(fail)?;
        let (mut steps, mut neurons) = (BufReader::new(steps), BufReader::new(neurons));
        let mut left = self.len as usize;
        let (mut s, mut n) = (vec![0u8; 8 * READ_BLOCK], vec![0u8; 4 * READ_BLOCK]);
        while left > 0 {
            let k = left.min(READ_BLOCK);
            steps.read_exact(&mut s[..8 * k]).map_err(fail)?;
            neurons.read_exact(&mut n[..4 * k]).map_err(fail)?;
            for (step, neuron) in s[..8 * k].chunks_exact(8).zip(n[..4 * k].chunks_exact(4)) {
                f(
                    u64::from_le_bytes(step.try_into().expect("8 bytes")),
                    u32::from_le_bytes(neuron.try_into().expect("4 bytes")),
                );
            }
            left -= k;
        }
        self.seek_to_end()
    }

    /// Back to the end of the files after reading them, for spikes still to come.
    fn seek_to_end(&mut self) -> Result<()> {
        let target = &self.target;
        let end = |file: &mut File| file.seek(SeekFrom::End(0)).map(|_| ());
        end(self.steps.get_mut())
            .and_then(|()| end(self.neurons.get_mut()))
            .map_err(|e| write_error(target, e.to_string()))
    }

    fn flush(&mut self) -> Result<()> {
        let target = &self.target;
        self.steps
            .flush()
            .and_then(|()| self.neurons.flush())
            .map_err(|e| write_error(target, e.to_string()))
    }
}

impl SpikeSink for SpikeFile {
    fn take(&mut self, chunk: &Spikes) -> Result<()> {
        let write = |file: &mut BufWriter<File>, bytes: &[u8]| file.write_all(bytes);
        for (&step, &neuron) in chunk.step.iter().zip(&chunk.neuron) {
            write(&mut self.steps, &step.to_le_bytes())
                .and_then(|()| write(&mut self.neurons, &neuron.to_le_bytes()))
                .map_err(|e| write_error(&self.target, e.to_string()))?;
        }
        self.len += chunk.len() as u64;
        Ok(())
    }
}

/// Writes `spikes.npz` at `path` from the spilled steps and neurons.
fn write_archive(
    path: &Path,
    len: u64,
    steps: &mut File,
    neurons: &mut File,
    dt_ms: f64,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let mut zip = ZipWriter::new(FirstError::new(File::create(path)?));
    // ZIP64 only where a member needs it, so that smaller archives are plain zip files.
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(len * 8 + 1024 > u64::from(u32::MAX));
    zip.start_file("i.npy", options)?;
    zip.write_all(&npy_header::<u32>(len)?)?;
    std::io::copy(&mut rewound(neurons)?, &mut zip)?;
    zip.start_file("t.npy", options)?;
    zip.write_all(&npy_header::<f64>(len)?)?;
    let mut steps = BufReader::new(rewound(steps)?);
    let mut t = BufWriter::new(&mut zip);
    let mut step = [0u8; 8];
    for _ in 0..len {
        steps.read_exact(&mut step)?;
        let t_ms = u64::from_le_bytes(step) as f64 * dt_ms;
        t.write_all(&t_ms.to_le_bytes())?;
    }
    t.flush()?;
    drop(t);
    zip.finish()?.into_result()?;
    Ok(())
}

/// The header of a `.npy` file of `len` elements of type `A`, as ndarray-npy writes it.
fn npy_header<A: WritableElement>(
    len: u64,
) -> std::result::Result<Vec<u8>, Box<dyn std::error::Error>> {
    // The zeroed file is sparse: only its header takes space.
    let mut file = tempfile::tempfile()?;
    write_zeroed_npy::<A, _>(&file, len as usize)?;
    let header_len = file.stream_position()?;
    let mut header = vec![0; header_len as usize];
    rewound(&mut file)?.read_exact(&mut header)?;
    Ok(header)
}

fn rewound(file: &mut File) -> std::io::Result<&mut File> {
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

fn write_error(target: &Path, reason: String) -> Error {
    Error::Write {
        path: target.to_owned(),
        reason,
    }
}

/// Writes in-memory `spikes` as `spikes.npz` in `dir` (times `step · dt_ms`).
pub fn write_spikes(dir: &OutputDir, spikes: &Spikes, dt_ms: f64) -> Result<()> {
    let mut file = SpikeFile::new(dir)?;
    file.take(spikes)?;
    file.write_npz(dir, dt_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::arrays::write_npz_arrays;
    use ndarray::Array1;

    fn chunk(pairs: &[(u64, u32)]) -> Spikes {
        Spikes {
            step: pairs.iter().map(|p| p.0).collect(),
            neuron: pairs.iter().map(|p| p.1).collect(),
        }
    }

    /// The streamed archive, taken in several chunks, is byte for byte the one ndarray-npy
    /// writes from the whole arrays in memory, and reads back in order.
    #[test]
    fn the_streamed_archive_equals_the_in_memory_one() {
        let root = tempfile::tempdir().unwrap();
        let dir = OutputDir::create(&root.path().join("o")).unwrap();
        let chunks = [
            vec![(0, 3), (0, 7), (2, 1)],
            vec![],
            vec![(1000, 0), (4_000_000_000, 9)],
        ];
        let mut file = SpikeFile::new(&dir).unwrap();
        for c in &chunks {
            file.take(&chunk(c)).unwrap();
        }
        let dt = 0.1;
        file.write_npz(&dir, dt).unwrap();
        let all: Vec<(u64, u32)> = chunks.concat();
        let i = Array1::from_iter(all.iter().map(|p| p.1));
        let t = Array1::from_iter(all.iter().map(|p| p.0 as f64 * dt));
        write_npz_arrays(&dir, "reference.npz", &[("i", &i), ("t", &t)]).unwrap();
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(read(SPIKES_FILE), read("reference.npz"));
        let mut back = Vec::new();
        file.for_each(|step, i| back.push((step, i))).unwrap();
        assert_eq!(back, all);
        // Spikes taken after a read-back are appended, not written over it.
        file.take(&chunk(&[(4_000_000_001, 2)])).unwrap();
        back.clear();
        file.for_each(|step, i| back.push((step, i))).unwrap();
        assert_eq!(back.len(), all.len() + 1);
        assert_eq!(back[..all.len()], all[..]);
        dir.finish();
    }

    #[test]
    fn no_spikes_give_empty_arrays() {
        let root = tempfile::tempdir().unwrap();
        let dir = OutputDir::create(root.path()).unwrap();
        write_spikes(&dir, &Spikes::default(), 0.1).unwrap();
        let empty = Array1::<u32>::zeros(0);
        let none = Array1::<f64>::zeros(0);
        write_npz_arrays(&dir, "reference.npz", &[("i", &empty), ("t", &none)]).unwrap();
        let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(read(SPIKES_FILE), read("reference.npz"));
        dir.finish();
    }
}
