//! hhsim: Hodgkin–Huxley neurons and networks on any GPU through wgpu, with a CPU reference
//! path that validates every GPU result.
//!
//! The crate is built in floors, each importing only from those below it: a model is
//! described ([`model`], [`input`], [`integrate`], [`monitor`]), the [`kernel`] says what it
//! computes (the op tape, its CPU twin, the generated WGSL), the engines run it ([`network`]
//! sampling, the [`backend`] drivers and their CPU and GPU kernels), and the jobs and front
//! ends ([`sweep`], [`validate`], [`analysis`], [`output`], [`cli`]) ask for runs. Both backends
//! produce the same [`monitor`] records.

pub mod analysis;
pub mod backend;
pub mod builtin;
pub mod cli;
pub mod error;
pub mod input;
pub mod integrate;
pub mod kernel;
pub mod memory;
pub mod model;
pub mod monitor;
pub mod network;
pub mod notes;
pub mod output;
pub mod sweep;
pub mod validate;

pub use error::{Error, Result};
