//! hhsim: Hodgkin–Huxley neurons and networks on any GPU through wgpu, with a CPU reference
//! path that validates every GPU result.
//!
//! A run is described (models, populations, stimuli, [`backend::population::RunConfig`]), validated, and
//! handed to a backend; both backends produce the same [`monitor`] records.

pub mod analysis;
pub mod backend;
pub mod builtin;
pub mod cli;
pub mod error;
pub mod input;
pub mod integrate;
pub mod layout;
pub mod memory;
pub mod model;
pub mod model_file;
pub mod monitor;
pub mod network;
pub mod notes;
pub mod output;
pub mod sweep;
pub mod validate;

pub use error::{Error, Result};
