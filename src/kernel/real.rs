//! The floating-point type a simulation runs in: f32 (the GPU default) or f64 (the reference).

use num_traits::{Float, FromPrimitive};

/// A float the models and integrators are generic over.
pub trait Real:
    Float + FromPrimitive + Default + bytemuck::Pod + Send + Sync + std::fmt::Debug + 'static
{
    /// Below this |x|, `exprel` uses its Taylor series. The value balances the cancellation error
    /// of (eˣ − 1)/x, about ε/|x|, against the series' truncation error |x|⁷/8!.
    const EXPREL_SERIES_BELOW: Self;
    /// "f32" or "f64", as the command line and summaries spell it.
    const NAME: &'static str;
    /// The precision this type is.
    const PRECISION: Precision;

    /// Converts a reference (f64) value, rounding to nearest for f32.
    fn of(x: f64) -> Self {
        Self::from_f64(x).expect("every f64 converts to f32 or f64")
    }

    /// e^x as the GPU kernels compute it: the hardware exp in f32, the software exp of
    /// `prelude_f64.wgsl` in f64 (ported in [`super::soft_exp`]).
    fn exp_twin(self) -> Self;

    /// ln x as the GPU kernels compute it (`log_real`; in f64 [`super::soft_exp::ln_f64`]).
    fn ln_twin(self) -> Self;

    /// Widens to f64 for output.
    fn wide(self) -> f64 {
        self.to_f64().expect("f32 and f64 widen to f64")
    }
}

impl Real for f32 {
    const EXPREL_SERIES_BELOW: f32 = 0.3;
    const NAME: &'static str = "f32";
    const PRECISION: Precision = Precision::F32;

    fn exp_twin(self) -> f32 {
        self.exp()
    }

    fn ln_twin(self) -> f32 {
        self.ln()
    }
}

impl Real for f64 {
    const EXPREL_SERIES_BELOW: f64 = 0.02;
    const NAME: &'static str = "f64";
    const PRECISION: Precision = Precision::F64;

    fn exp_twin(self) -> f64 {
        super::soft_exp::exp_f64(self)
    }

    fn ln_twin(self) -> f64 {
        super::soft_exp::ln_f64(self)
    }
}

/// The precision a run is asked for on the command line.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// Bytes of one number in this precision.
    pub fn bytes(self) -> usize {
        match self {
            Precision::F32 => 4,
            Precision::F64 => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::F32 => "f32",
            Precision::F64 => "f64",
        }
    }
}
