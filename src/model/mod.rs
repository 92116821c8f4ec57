//! The numerics every model shares: precisions, the software exponential, `exprel`, and the
//! golden-section search of the rate check.

mod exprel;
mod golden;
mod real;
pub mod soft_exp;

pub use exprel::{exprel, exprel_given, x_over_expm1};
pub use golden::golden_max;
pub use real::{Precision, Real};
