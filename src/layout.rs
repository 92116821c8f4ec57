//! `#[repr(C)]` mirrors of the WGSL structs in `shaders/common.wgsl` (keep in sync with it; the
//! `layout_matches_wgsl` test compares sizes and offsets through naga) and the lowering of a
//! described population into them.

use crate::model::{ModelKind, Params, Real, State};
use bytemuck::{Pod, Zeroable};

/// Invocations per workgroup of the population kernels (`WORKGROUP_SIZE` in common.wgsl).
pub const WORKGROUP_SIZE: u32 = 64;

/// One neuron's parameters as the kernels read them: `NeuronParams` in common.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NeuronParams<R> {
    pub c: R,
    pub g_na: R,
    pub g_k: R,
    pub g_l: R,
    pub e_na: R,
    pub e_k: R,
    pub e_l: R,
    pub vt: R,
    pub phi: R,
    pub v_th: R,
    /// The neuron's constant injected current.
    pub i_const: R,
}

// SAFETY: repr(C), every field is the same float type, so there is no padding; all-zero bits and
// every bit pattern are valid floats.
unsafe impl<R: Real> Zeroable for NeuronParams<R> {}
unsafe impl<R: Real> Pod for NeuronParams<R> {}

impl<R: Real> NeuronParams<R> {
    /// Lowers a neuron's parameters and constant current to precision `R`.
    pub fn lower(p: &Params<f64>, current: f64) -> Self {
        let q = p.cast::<R>();
        NeuronParams {
            c: q.c,
            g_na: q.g_na,
            g_k: q.g_k,
            g_l: q.g_l,
            e_na: q.e_na,
            e_k: q.e_k,
            e_l: q.e_l,
            vt: q.vt,
            phi: q.phi,
            v_th: q.v_th,
            i_const: R::of(current),
        }
    }

    /// The model parameters again, for the CPU twins' rate functions.
    pub fn model(&self, kind: ModelKind) -> Params<R> {
        Params {
            kind,
            c: self.c,
            g_na: self.g_na,
            g_k: self.g_k,
            g_l: self.g_l,
            e_na: self.e_na,
            e_k: self.e_k,
            e_l: self.e_l,
            vt: self.vt,
            phi: self.phi,
            v_th: self.v_th,
        }
    }
}

/// One chunk's settings: `RunUniforms` in population.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunUniforms<R> {
    pub n_neurons: u32,
    /// The first neuron of this dispatch (populations beyond one dispatch's limit are split).
    pub first_neuron: u32,
    /// Steps in this chunk.
    pub n_steps: u32,
    /// The global index of the chunk's first step.
    pub first_step: u32,
    /// `MODEL_TRAUB` or `MODEL_CLASSIC`.
    pub model: u32,
    /// Record the state every this many steps of the chunk (from its first); 0 records nothing.
    pub record_every: u32,
    /// Spike steps kept per neuron; spikes beyond are counted only.
    pub spike_capacity: u32,
    /// Whether `noise` holds a value per neuron and step.
    pub has_noise: u32,
    /// Time step [ms].
    pub dt: R,
}

// SAFETY: repr(C); eight u32 then one float aligned to its size (offset 32), so no padding for
// f32 (36 bytes) or f64 (40 bytes); every bit pattern is valid.
unsafe impl<R: Real> Zeroable for RunUniforms<R> {}
unsafe impl<R: Real> Pod for RunUniforms<R> {}

/// `MODEL_TRAUB` / `MODEL_CLASSIC` of common.wgsl.
pub fn model_code(kind: ModelKind) -> u32 {
    match kind {
        ModelKind::Traub => 0,
        ModelKind::Classic => 1,
    }
}

// SAFETY: State is repr(C) with four fields of one float type: no padding, any bits valid.
unsafe impl<R: Real> Zeroable for State<R> {}
unsafe impl<R: Real> Pod for State<R> {}
