//! The CPU reference backend: the twins of the network kernels ([`network`]) and of the
//! software exp check. Populations run on the twin of their model file's generated kernel
//! ([`crate::model_file::run::integrate_model`]).

pub mod network;

/// Twin of `exp_check` in shaders/exp_check.wgsl.
pub fn exp_check(args: &[f64]) -> Vec<f64> {
    args.iter().map(|x| x.exp()).collect()
}
