//! `#[repr(C)]` mirrors of the WGSL structs of the kernels (keep in sync with
//! shaders/network*.wgsl and the population kernel generated in `kernel::wgsl`; the
//! `*_layout_matches_wgsl` tests compare sizes and offsets through naga).

use crate::kernel::Real;
use bytemuck::{Pod, Zeroable};

/// Invocations per workgroup of every kernel (`WORKGROUP_SIZE` in common.wgsl).
pub const WORKGROUP_SIZE: u32 = 64;

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

// SAFETY: repr(C); four u32 (16 bytes) then four floats aligned to their size: no padding,
// and all zeros is a valid value.
unsafe impl<R: Real> Zeroable for NetUniforms<R> {}
// SAFETY: as above; every bit pattern of u32 and of a float is a valid value.
unsafe impl<R: Real> Pod for NetUniforms<R> {}

/// The uniforms of one dispatch of a population kernel (`integrate_model`, generated from a
/// model file): `PopulationRun` in its WGSL.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PopulationRun<R> {
    pub n_neurons: u32,
    /// The first neuron of this dispatch (a population larger than one dispatch's workgroups
    /// takes several).
    pub first_neuron: u32,
    pub n_steps: u32,
    pub first_step: u32,
    /// Record the state every this many steps (0: no trace).
    pub record_every: u32,
    /// Spike steps kept per neuron and chunk.
    pub spike_capacity: u32,
    /// 1 when the chunk has a noise buffer.
    pub has_noise: u32,
    pub _pad: u32,
    /// [ms]
    pub dt: R,
}

// SAFETY: repr(C); eight u32 (32 bytes) then one float aligned to its size: no padding, and
// all zeros is a valid value.
unsafe impl<R: Real> Zeroable for PopulationRun<R> {}
// SAFETY: as above; every bit pattern of u32 and of a float is a valid value.
unsafe impl<R: Real> Pod for PopulationRun<R> {}

impl<R: Real> PopulationRun<R> {
    /// The bytes of the uniform buffer: uniform buffers are bound in multiples of 16 bytes.
    pub fn uniform_bytes(&self) -> Vec<u8> {
        let mut bytes = bytemuck::bytes_of(self).to_vec();
        bytes.resize(bytes.len().next_multiple_of(16), 0);
        bytes
    }
}

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
