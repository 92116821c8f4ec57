//! The engines that run a described population. The CPU reference is the specification every
//! other backend is checked against.

pub mod cpu;

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
