//! Dynamics analysis of one neuron model: equilibria and their stability, bifurcation diagrams
//! (Hopf points, folds of equilibria, limit cycles found by batched simulation on the engine and
//! the folds where they end), f–I curves with hysteresis, and the phase plane of V and one gate. The host
//! solves for equilibria in f64 from the model file's own tapes; the engine (the GPU when there
//! is one) simulates every parameter value and start of a cycle search as one population of the
//! model's generated kernel.

mod bifurcation;
pub mod cycles;
mod equilibria;
mod phase_plane;
mod shooting;
mod system;

pub use bifurcation::{
    Bifurcation, BifurcationSpec, CycleFold, CyclePoint, Effort, FiCurve, FoldPoint, HopfPoint,
    MIN_VALUES, bifurcation, equilibrium_branches, fi_curve,
};
pub use cycles::{Cycle, CycleSearch, Direction};
pub use equilibria::{
    Equilibrium, EquilibriumPoint, RESIDUAL_TOLERANCE, equilibria, equilibria_along, newton,
};
pub use phase_plane::{FixedPoint, PhasePlane, PhasePlaneSpec, Reduction, phase_plane};
pub use system::{Parameter, System};
