//! The GPU backend: the only place that talks to wgpu. `device` finds and opens an adapter,
//! `population` and `network` run the kernels (their WGSL is assembled in
//! `crate::kernel::shader`).

pub mod device;
pub mod exp_check;
pub mod network;
pub mod population;

pub use device::{AdapterSummary, GpuContext, list_adapters};
