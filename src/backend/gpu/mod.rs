//! The GPU backend: the only place that talks to wgpu. `device` finds and opens an adapter,
//! `shader` assembles and validates the WGSL, `network` runs networks; populations run in
//! [`crate::model_file::run`].

pub mod device;
pub mod exp_check;
pub mod network;
pub mod shader;

pub use device::{AdapterSummary, GpuContext, list_adapters};
