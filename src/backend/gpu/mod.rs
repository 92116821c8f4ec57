//! The GPU backend: the only place that talks to wgpu. `device` finds and opens an adapter,
//! `shader` assembles and validates the WGSL, `population` runs independent neurons.

pub mod device;
pub mod exp_check;
pub mod network;
pub mod population;
pub mod shader;

pub use device::{AdapterSummary, GpuContext, list_adapters};
pub use population::run_population;
