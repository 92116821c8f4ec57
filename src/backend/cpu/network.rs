//! The CPU twins of the network kernels (`network_update`, `network_update_subgroup` and
//! `network_coop`, which differ only in how they walk the spike rows and how many steps a
//! dispatch holds, and `network_chunk_end`), over the same buffers, and the CPU engine that runs
//! them step by step.

use crate::error::Result;
use crate::integrate::Method;
use crate::layout::{NONE, NetUniforms, NeuronFlags, NeuronParams, StepUniform, counter};
use crate::model::{ModelKind, Real};
use crate::network::NetState;
use crate::network::sim::{ChunkRecords, Finished, NetEngine, NetLowered, SteppingReport};
use crate::network::step::{SynConsts, network_step};

/// The buffers of shaders/network.wgsl.
pub struct NetBuffers<R> {
    pub states: Vec<NetState<R>>,
    pub params: Vec<NeuronParams<R>>,
    pub flags: Vec<NeuronFlags>,
    /// Two blocks of 2n (one per step parity), as in the kernel.
    pub acc: Vec<u32>,
    pub counters: [u32; counter::LEN],
    pub ring: Vec<[u32; 2]>,
    pub trace: Vec<NetState<R>>,
    pub row_start: Vec<u32>,
    pub target: Vec<u32>,
    pub weight_q: Vec<u32>,
}

/// Twin of `network_update` (and of one step of `network_coop`): every neuron, in index order
/// (the GPU's order differs, which changes only the order of the ring and of the integer
/// additions, never a sum).
pub fn network_update<R: Real>(
    method: Method,
    net: &NetUniforms<R>,
    step_u: &StepUniform,
    b: &mut NetBuffers<R>,
) {
    let n = net.n_neurons as usize;
    let kind = if net.model == 0 {
        ModelKind::Traub
    } else {
        ModelKind::Classic
    };
    let c = SynConsts {
        e_e: net.e_e,
        e_i: net.e_i,
        decay_e: net.decay_e,
        decay_i: net.decay_i,
        decay_e_half: net.decay_e_half,
        decay_i_half: net.decay_i_half,
    };
    let input = step_u.parity as usize * 2 * n;
    let output = (1 - step_u.parity as usize) * 2 * n;
    for i in 0..n {
        let np = &b.params[b.flags[i].group as usize];
        let p = np.model(kind);
        let mut s = b.states[i];
        s.ge = s.ge + R::of(f64::from(std::mem::take(&mut b.acc[input + i]))) * net.quantum;
        s.gi = s.gi + R::of(f64::from(std::mem::take(&mut b.acc[input + n + i]))) * net.quantum;
        let f = &mut b.flags[i];
        if step_u.sample != NONE && f.record_slot != NONE {
            b.trace[(step_u.half * net.trace_capacity
                + step_u.sample * net.n_recorded
                + f.record_slot) as usize] = s;
        }
        let next = network_step(method, &p, &s, &c, np.i_const, net.dt);
        let step = step_u.step;
        let rested = f.last_spike == 0 || step - (f.last_spike - 1) >= f.refractory_steps;
        if s.v < p.v_th && next.v >= p.v_th && rested {
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
        b.states[i] = next;
    }
}

/// Twin of `network_chunk_end`: adds the chunk's ring count to the run's total.
pub fn network_chunk_end<R>(half: usize, b: &mut NetBuffers<R>) {
    b.counters[counter::TOTAL] += b.counters[counter::RING + half];
}

/// The CPU engine for networks.
pub struct CpuNetEngine<R> {
    method: Method,
    uniforms: NetUniforms<R>,
    buffers: NetBuffers<R>,
}

impl<R: Real> CpuNetEngine<R> {
    pub fn new(lowered: &NetLowered<R>) -> Self {
        let u = lowered.uniforms;
        let n = u.n_neurons as usize;
        CpuNetEngine {
            method: lowered.method,
            uniforms: u,
            buffers: NetBuffers {
                states: lowered.init.clone(),
                params: lowered.params.clone(),
                flags: lowered.flags.clone(),
                acc: vec![0; 4 * n],
                counters: [0; counter::LEN],
                ring: vec![[0; 2]; 2 * u.ring_capacity as usize],
                trace: vec![NetState::default(); 2 * u.trace_capacity as usize],
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
            network_update(self.method, u, step_u, b);
        }
        network_chunk_end(half, b);
        let count = b.counters[counter::RING + half];
        let ring_start = half * u.ring_capacity as usize;
        let trace_start = half * u.trace_capacity as usize;
        Ok(vec![ChunkRecords {
            spikes: b.ring[ring_start..ring_start + count.min(u.ring_capacity) as usize].to_vec(),
            ring_count: count,
            trace: b.trace[trace_start..trace_start + n_samples * u.n_recorded as usize].to_vec(),
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
