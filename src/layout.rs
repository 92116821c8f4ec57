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
    /// `MODEL_TRAUB` or `MODEL_CLASSIC`; the kernels receive it as the pipeline constant `MODEL`.
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

impl<R> RunUniforms<R> {
    /// Trace samples this chunk records: its steps 0, k, 2k, … for `record_every` = k.
    pub fn trace_samples(&self) -> usize {
        if self.record_every == 0 {
            0
        } else {
            (self.n_steps as usize).div_ceil(self.record_every as usize)
        }
    }
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

/// Network constants: `NetUniforms` in shaders/network.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NetUniforms<R> {
    pub n_neurons: u32,
    pub n_recorded: u32,
    /// Spike records the ring holds per chunk.
    pub ring_capacity: u32,
    /// Trace records each half of the trace buffer holds.
    pub trace_capacity: u32,
    /// [ms]
    pub dt: R,
    /// [nS] per unit of the integer accumulators.
    pub quantum: R,
    /// The model's spike threshold [mV].
    pub threshold: R,
    pub _pad: R,
}

// SAFETY: repr(C); four u32 (16 bytes) then four floats aligned to their size: no padding.
unsafe impl<R: Real> Zeroable for NetUniforms<R> {}
unsafe impl<R: Real> Pod for NetUniforms<R> {}

/// One step's settings, bound at a dynamic offset: `StepUniform` in shaders/network.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct StepUniform {
    /// The global step index.
    pub step: u32,
    /// step % 2: which block of accumulators the step takes its input from; its spikes go into
    /// the other.
    pub parity: u32,
    /// The trace sample this step records, or `NONE`.
    pub sample: u32,
    /// Which half of the ring, trace and ring counters the chunk fills (chunk index % 2): the
    /// host drains one half while the device fills the other.
    pub half: u32,
}

/// `StepUniform::sample` when the step records nothing; `NeuronFlags::record_slot` likewise.
pub const NONE: u32 = u32::MAX;

/// Per-neuron integers: `flags` in shaders/network.wgsl, four words per neuron in field order
/// (its `FLAG_*` constants).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct NeuronFlags {
    /// No spike within this many steps after one.
    pub refractory_steps: u32,
    /// Index among the recorded neurons, or `NONE`.
    pub record_slot: u32,
    /// 1 + the step of the last spike; 0 before the first.
    pub last_spike: u32,
    /// The neuron's group: its index into the (per-group) parameters.
    pub group: u32,
}

/// The fixed part of `CoopState` in shaders/network_coop.wgsl, which a `CoopProgress` per
/// workgroup follows.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct CoopHeader {
    /// The chunk's first step and number of steps.
    pub first: u32,
    pub count: u32,
    /// Steps completed, summed over the workgroups, since the run began.
    pub arrivals: u32,
    /// Dispatches in which workgroup 0 did any work.
    pub working_dispatches: u32,
    /// The latest dispatch a workgroup left with work undone (cleared per submission).
    pub departed: u32,
    pub _pad0: u32,
    pub _pad1: u32,
    pub _pad2: u32,
}

/// Where one workgroup of `network_coop` stands.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct CoopProgress {
    /// Steps completed.
    pub done: u32,
    /// Of the next step: batches stepped, spikes listed, spikes delivered.
    pub batch: u32,
    pub listed: u32,
    pub delivered: u32,
}

/// Indices of `counters` in shaders/network.wgsl.
pub mod counter {
    /// Spike records written to each half of the ring in its chunk.
    pub const RING: usize = 0;
    /// Spikes since the start of the run, kept on the device (`network_chunk_end` adds each
    /// chunk's ring count).
    pub const TOTAL: usize = 2;
    pub const LEN: usize = 3;
}
