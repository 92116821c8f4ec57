//! What a model computes, on every engine alike: the numerics every kernel shares (precisions,
//! the software exponential, `exprel`), the op tape a model lowers to ([`lower`], [`tape`]),
//! its interpreter, which is the CPU twin of the generated code ([`eval`], [`step`]), the
//! numeric checks of a model and its parameters ([`check`]), steady states ([`steady`]), and
//! the WGSL: the model's functions ([`wgsl`]), assembled with the fixed kernels of `shaders/`
//! ([`shader`]) whose structs [`layout`] mirrors.

pub mod check;
pub mod eval;
mod exprel;
mod golden;
pub mod layout;
pub mod lower;
mod real;
pub mod shader;
pub mod soft_exp;
pub mod steady;
pub mod step;
pub mod tape;
pub mod wgsl;

pub use exprel::{exprel, exprel_given, x_over_expm1};
pub use golden::golden_max;
pub use real::{Precision, Real};

#[cfg(test)]
mod tests;
