//! The CPU reference backend: the twins of the network kernels ([`network`]), of the population
//! kernel generated from a model file ([`population`]) and of the software exp check.

pub mod network;
pub mod population;

/// Twin of `exp_check` in shaders/exp_check.wgsl.
pub fn exp_check(args: &[f64]) -> Vec<f64> {
    args.iter().map(|x| x.exp()).collect()
}
