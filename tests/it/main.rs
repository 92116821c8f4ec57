//! The integration tests, as modules of one test binary so that the crate and its
//! dependencies (wgpu, naga, plotters, nalgebra) are linked once, not once per file.

mod common;

mod analysis;
mod cli_analyze;
mod cli_bench;
mod cli_cobahh;
mod cli_gpu;
mod cli_models;
mod cli_neuron;
mod convergence;
mod gpu_population;
mod imports;
mod model_files;
mod network;
mod physics;
mod sweep;
