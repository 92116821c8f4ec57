//! The engines that run a described population or network: the drivers ([`population`],
//! [`network`]) plan chunks and call a backend's kernels through a trait
//! (`PopulationEngine`, `NetEngine`), which [`cpu`] and [`gpu`] implement alike; [`Engine`]
//! picks the backend.

pub mod cpu;
mod engine;
pub mod gpu;
pub mod network;
pub mod population;

pub use engine::{Engine, simulate};

use serde::Serialize;

/// Which engine runs a simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A GPU adapter if there is one, otherwise the CPU with a notice.
    Auto,
    Gpu,
    Cpu,
}
