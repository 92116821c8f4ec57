//! The CPU twins of the network kernels (`network_update`, `network_update_subgroup` and
//! `network_coop`, which differ only in how they walk the spike rows and how many steps a
//! dispatch holds, and `network_chunk_end`), over the same buffers, and the CPU engine that runs
//! them step by step.

use crate::backend::network::{ChunkRecords, Finished, NetEngine, NetLowered, SteppingReport};
use crate::error::Result;
use crate::kernel::Real;
use crate::kernel::layout::{NONE, NetUniforms, NeuronFlags, StepUniform, counter};
use crate::kernel::step::NeuronStep;

/// The buffers of shaders/network.wgsl.
pub struct NetBuffers<R> {
    /// Every neuron's variables, `width` each (the kernels pad them to whole vec4s).
    pub states: Vec<R>,
    pub width: usize,
    /// Per group: parameters then current (`GroupParams` in the generated code), `per_group`
    /// values each.
    pub params: Vec<R>,
    pub per_group: usize,
    pub synapses: Vec<[R; 4]>,
    pub flags: Vec<NeuronFlags>,
    /// Two blocks of (synapses · n) (one per step parity), as in the kernel.
    pub acc: Vec<u32>,
    pub counters: [u32; counter::LEN],
    pub ring: Vec<[u32; 2]>,
    pub trace: Vec<R>,
    pub row_start: Vec<u32>,
    pub target: Vec<u32>,
    pub weight_q: Vec<u32>,
}

/// Neurons the twin steps together ([`NeuronStep::step`] interprets each op once per batch).
const BATCH: usize = 64;

/// Twin of `network_update` (and of one step of `network_coop`): every neuron, in index order
/// (the GPU's order differs, which changes only the order of the ring and of the integer
/// additions, never a sum), a batch at a time. A step's spikes go into the other parity's
/// accumulators, so a batch may take in its input before any of it is stepped.
pub fn network_update<R: Real>(
    neuron: &mut NeuronStep<R>,
    net: &NetUniforms<R>,
    step_u: &StepUniform,
    b: &mut NetBuffers<R>,
) {
    let n = net.n_neurons as usize;
    let (width, n_syn, per_group) = (b.width, b.synapses.len(), b.per_group);
    let input = step_u.parity as usize * n_syn * n;
    let output = (1 - step_u.parity as usize) * n_syn * n;
    for first in (0..n).step_by(BATCH) {
        let neurons = first..(first + BATCH).min(n);
        let mut states = Vec::with_capacity(neurons.len() * width);
        let mut params = Vec::with_capacity(neurons.len() * (per_group - 1));
        let mut current = Vec::with_capacity(neurons.len());
        for i in neurons.clone() {
            let group = b.flags[i].group as usize;
            let p = &b.params[group * per_group..(group + 1) * per_group];
            params.extend_from_slice(&p[..per_group - 1]);
            current.push(p[per_group - 1]);
            let s = &mut b.states[i * width..(i + 1) * width];
            for k in 0..n_syn {
                let taken = std::mem::take(&mut b.acc[input + k * n + i]);
                let g = &mut s[width - n_syn + k];
                *g = *g + R::of(f64::from(taken)) * net.quantum;
            }
            let f = &b.flags[i];
            if step_u.sample != NONE && f.record_slot != NONE {
                let at = (step_u.half * net.trace_capacity
                    + step_u.sample * net.n_recorded
                    + f.record_slot) as usize
                    * width;
                b.trace[at..at + width].copy_from_slice(s);
            }
            states.extend_from_slice(s);
        }
        let next = neuron.step(
            &params,
            per_group - 1,
            &current,
            &states,
            &b.synapses,
            net.dt,
        );
        for (lane, i) in neurons.enumerate() {
            let (before, after) = (states[lane * width], next[lane * width]);
            let f = &mut b.flags[i];
            let step = step_u.step;
            let rested = f.last_spike == 0 || step - (f.last_spike - 1) >= f.refractory_steps;
            if before < net.threshold && after >= net.threshold && rested {
                let ring = counter::RING + step_u.half as usize;
                let r = b.counters[ring];
                b.counters[ring] += 1;
                if r < net.ring_capacity {
                    b.ring[(step_u.half * net.ring_capacity + r) as usize] = [step, i as u32];
                }
                f.last_spike = step + 1;
                for k in b.row_start[i] as usize..b.row_start[i + 1] as usize {
                    let target = output + b.target[k] as usize;
                    b.acc[target] = b.acc[target].wrapping_add(b.weight_q[k]);
                }
            }
            b.states[i * width..(i + 1) * width]
                .copy_from_slice(&next[lane * width..(lane + 1) * width]);
        }
    }
}

/// Twin of `network_chunk_end`: adds the chunk's ring count to the run's total.
pub fn network_chunk_end<R>(half: usize, b: &mut NetBuffers<R>) {
    b.counters[counter::TOTAL] += b.counters[counter::RING + half];
}

/// The CPU engine for networks.
pub struct CpuNetEngine<R> {
    neuron: NeuronStep<R>,
    uniforms: NetUniforms<R>,
    buffers: NetBuffers<R>,
}

impl<R: Real> CpuNetEngine<R> {
    pub fn new(lowered: &NetLowered<R>) -> Self {
        let u = lowered.uniforms;
        let n = u.n_neurons as usize;
        let width = lowered.n_variables;
        CpuNetEngine {
            neuron: NeuronStep::new(&lowered.model, lowered.method),
            uniforms: u,
            buffers: NetBuffers {
                states: lowered.init.clone(),
                width,
                params: lowered.params.clone(),
                per_group: lowered.params_per_group(),
                synapses: lowered.synapses.clone(),
                flags: lowered.flags.clone(),
                acc: vec![0; 2 * lowered.synapses.len() * n],
                counters: [0; counter::LEN],
                ring: vec![[0; 2]; 2 * u.ring_capacity as usize],
                trace: vec![R::zero(); 2 * u.trace_capacity as usize * width],
                row_start: lowered.row_start.clone(),
                target: lowered.target.clone(),
                weight_q: lowered.weight_q.clone(),
            },
        }
    }

    /// The buffers, for tests that set up or inspect a step.
    pub fn buffers_mut(&mut self) -> &mut NetBuffers<R> {
        &mut self.buffers
    }
}

impl<R: Real> NetEngine<R> for CpuNetEngine<R> {
    fn stepping(&self) -> SteppingReport {
        SteppingReport {
            description: "the CPU reference, one step after another".into(),
            extra_bytes_per_neuron: 0,
        }
    }

    fn run_chunk(
        &mut self,
        steps: &[StepUniform],
        n_samples: usize,
    ) -> Result<Vec<ChunkRecords<R>>> {
        let u = &self.uniforms;
        let b = &mut self.buffers;
        let half = steps.first().map_or(0, |s| s.half) as usize;
        b.counters[counter::RING + half] = 0;
        for step_u in steps {
            network_update(&mut self.neuron, u, step_u, b);
        }
        network_chunk_end(half, b);
        let count = b.counters[counter::RING + half];
        let ring_start = half * u.ring_capacity as usize;
        let trace_start = half * u.trace_capacity as usize;
        Ok(vec![ChunkRecords {
            spikes: b.ring[ring_start..ring_start + count.min(u.ring_capacity) as usize].to_vec(),
            ring_count: count,
            trace: b.trace[trace_start * b.width
                ..(trace_start + n_samples * u.n_recorded as usize) * b.width]
                .to_vec(),
        }])
    }

    fn finish(&mut self) -> Result<Finished<R>> {
        Ok(Finished {
            last: Vec::new(),
            states: self.buffers.states.clone(),
            spike_total: self.buffers.counters[counter::TOTAL],
        })
    }
}
