//! The one error type of hhsim. User mistakes are caught while a run is described (exit status 2);
//! failures while it runs (I/O, a state that stops being finite) give exit status 1.

use std::path::PathBuf;

/// Everything that can go wrong, with the offending values as fields.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value the user gave is outside what the simulator accepts.
    #[error("invalid {name} {value}: expected {expected}")]
    InvalidValue {
        name: &'static str,
        value: String,
        expected: String,
    },
    /// Two lists that must pair up element by element have different lengths.
    #[error(
        "{first} has {first_len} values but {second} has {second_len}: they must have the same length"
    )]
    LengthMismatch {
        first: &'static str,
        first_len: usize,
        second: &'static str,
        second_len: usize,
    },
    /// The output directory could not be created or is not a directory.
    #[error("cannot create output directory {path}: {reason}")]
    OutputDir { path: PathBuf, reason: String },
    /// Writing a result file failed after the run.
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
    /// The integration produced NaN or infinity.
    #[error(
        "state became non-finite in neuron {neuron} at step {step}; try a smaller --dt or another --method"
    )]
    NonFinite { neuron: usize, step: u64 },
    /// The integration of a sweep's grid cell produced NaN or infinity.
    #[error(
        "state became non-finite in grid cell {cell} (row-major) at step {step}; try a smaller --dt or another --method"
    )]
    NonFiniteCell { cell: usize, step: u64 },
    /// A sweep failed after some of its chunks were kept on disk.
    #[error(
        "{error}; {kept} finished chunk(s) kept in {dir}: continue with the same command and --resume"
    )]
    Checkpointed {
        error: Box<Error>,
        kept: usize,
        dir: PathBuf,
    },
    /// No GPU adapter could be found or opened.
    #[error(
        "no GPU adapter{detail}; on a machine without a GPU install Mesa's software Vulkan driver (apt-get install -y mesa-vulkan-drivers), or use --backend cpu"
    )]
    NoAdapter { detail: String },
    /// f64 was asked for on an adapter without SHADER_F64.
    #[error(
        "adapter {adapter} has no f64 shader support; use --precision f32, or Mesa's Vulkan driver lavapipe (apt-get install -y mesa-vulkan-drivers), which has it"
    )]
    NoF64 { adapter: String },
    /// wgpu reported a failure (shader, validation, out of memory, device lost).
    #[error("GPU error while {context}: {message}")]
    Gpu { context: String, message: String },
    /// A run that would need more memory than the machine or the adapter has.
    #[error("{message}")]
    TooLarge { message: String },
    /// A run outgrew the memory it may take while it ran (its size was not known before).
    #[error("{message}")]
    OutOfMemory { message: String },
    /// A model file that cannot be used: where, what, and for an expression a caret under it.
    #[error("{message}")]
    Model { message: String },
    /// The caller asked the run to stop (a progress callback refused to go on, e.g. Ctrl-C in
    /// Python); nothing was written.
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// The process exit status for this error: 2 for bad input, 1 for run-time failures.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidValue { .. }
            | Error::LengthMismatch { .. }
            | Error::OutputDir { .. }
            | Error::TooLarge { .. }
            | Error::Model { .. } => 2,
            Error::Write { .. }
            | Error::NonFinite { .. }
            | Error::NonFiniteCell { .. }
            | Error::OutOfMemory { .. }
            | Error::NoAdapter { .. }
            | Error::NoF64 { .. }
            | Error::Gpu { .. } => 1,
            // 128 + SIGINT, as shells report an interrupted command.
            Error::Interrupted => 130,
            Error::Checkpointed { error, .. } => error.exit_code(),
        }
    }

    /// This error of a population whose neuron 0 is grid cell `first_cell`, naming the cell.
    pub fn in_grid(self, first_cell: usize) -> Self {
        match self {
            Error::NonFinite { neuron, step } => Error::NonFiniteCell {
                cell: first_cell + neuron,
                step,
            },
            other => other,
        }
    }

    /// Shorthand for [`Error::InvalidValue`].
    pub fn invalid(name: &'static str, value: impl ToString, expected: impl ToString) -> Self {
        Error::InvalidValue {
            name,
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
