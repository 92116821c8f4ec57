//! The CPU twin of the population kernel `integrate_model` (generated from a model file): the
//! model's tapes interpreted for a batch of neurons at once, in the kernel's order.

use crate::backend::population::{Buffers, PopulationEngine, PopulationSetup};
use crate::error::Result;
use crate::kernel::Real;
use crate::kernel::layout::PopulationRun;
use crate::kernel::step::NeuronStep;

/// The twin set up for one run: a stepper per thread, the run's inputs and buffers.
pub struct CpuPopulationEngine<R: Real> {
    steppers: Vec<NeuronStep<R>>,
    params: Vec<R>,
    current: Vec<R>,
    buffers: Buffers<R>,
}

impl<R: Real> CpuPopulationEngine<R> {
    pub fn new(setup: PopulationSetup<'_, R>) -> Self {
        let n = setup.current.len();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        CpuPopulationEngine {
            steppers: (0..threads)
                .map(|_| NeuronStep::new(setup.model, setup.method))
                .collect(),
            buffers: Buffers {
                states: setup.init,
                spike_count: vec![0; n],
                spike_steps: vec![0; n * setup.spike_capacity],
                status: vec![0; n],
            },
            params: setup.params,
            current: setup.current,
        }
    }
}

impl<R: Real> PopulationEngine<R> for CpuPopulationEngine<R> {
    fn run_chunk(
        &mut self,
        run: &PopulationRun<R>,
        shared: &[R],
        noise: &[R],
        n_samples: usize,
    ) -> Result<Vec<R>> {
        let mut trace = vec![R::zero(); n_samples * self.buffers.states.len()];
        integrate_model(
            &mut self.steppers,
            run,
            &self.params,
            &self.current,
            shared,
            noise,
            &mut self.buffers,
            &mut trace,
        );
        Ok(trace)
    }

    fn finish(&mut self) -> Result<Buffers<R>> {
        Ok(std::mem::take(&mut self.buffers))
    }
}

/// Neurons the twin steps together ([`NeuronStep::step`] interprets each op once per batch).
const BATCH: usize = 64;

/// One thread's share of a chunk: a contiguous run of neurons, from `first`, with their parts
/// of the buffers and of every trace sample.
struct Lanes<'a, R> {
    first: usize,
    states: &'a mut [R],
    spike_count: &'a mut [u32],
    spike_steps: &'a mut [u32],
    status: &'a mut [u32],
    /// Per sample of the chunk, these neurons' states.
    trace: Vec<&'a mut [R]>,
}

/// Twin of the generated kernel `integrate_model`: every neuron of the chunk over its steps, a
/// batch of neurons at a time, the neurons split into one contiguous share per stepper, each
/// on a thread of its own (neurons are independent, so the split changes no value). A neuron
/// whose state stops being finite keeps its last finite state and its status records the step,
/// as in the kernel.
#[allow(
    clippy::too_many_arguments,
    reason = "the kernel's bindings, one argument each, as the WGSL declares them"
)]
pub fn integrate_model<R: Real>(
    steppers: &mut [NeuronStep<R>],
    run: &PopulationRun<R>,
    params: &[R],
    current: &[R],
    shared: &[R],
    noise: &[R],
    b: &mut Buffers<R>,
    trace: &mut [R],
) {
    debug_assert_eq!(run.first_neuron, 0, "the twin runs a chunk's neurons whole");
    let n = run.n_neurons as usize;
    let ns = b.states.len() / n;
    let cap = run.spike_capacity as usize;
    // At least a batch per thread: fewer neurons gain nothing from another.
    let parts = steppers.len().min(n.div_ceil(BATCH)).max(1);
    let per = n.div_ceil(parts);
    let (mut states, mut counts) = (b.states.as_mut_slice(), b.spike_count.as_mut_slice());
    let (mut steps, mut status) = (b.spike_steps.as_mut_slice(), b.status.as_mut_slice());
    let mut rows: Vec<&mut [R]> = trace.chunks_mut(n * ns).collect();
    let mut shares = Vec::with_capacity(parts);
    for first in (0..n).step_by(per) {
        let len = per.min(n - first);
        shares.push(Lanes {
            first,
            states: split_off(&mut states, len * ns),
            spike_count: split_off(&mut counts, len),
            spike_steps: split_off(&mut steps, len * cap),
            status: split_off(&mut status, len),
            trace: rows
                .iter_mut()
                .map(|row| split_off(row, len * ns))
                .collect(),
        });
    }
    let inputs = ChunkInputs {
        run,
        params,
        current,
        shared,
        noise,
    };
    if shares.len() == 1 {
        let share = shares.pop().expect("one share");
        return integrate_share(&mut steppers[0], inputs, share);
    }
    std::thread::scope(|scope| {
        for (share, stepper) in shares.into_iter().zip(steppers.iter_mut()) {
            scope.spawn(move || integrate_share(stepper, inputs, share));
        }
    });
}

/// The first `len` items of `rest`, which keeps the others.
fn split_off<'a, T>(rest: &mut &'a mut [T], len: usize) -> &'a mut [T] {
    let (mine, others) = std::mem::take(rest).split_at_mut(len);
    *rest = others;
    mine
}

/// What every share of a chunk reads.
#[derive(Clone, Copy)]
struct ChunkInputs<'a, R> {
    run: &'a PopulationRun<R>,
    /// Every neuron's row: its parameters, then its threshold.
    params: &'a [R],
    current: &'a [R],
    /// The shared input per step.
    shared: &'a [R],
    /// The noise per step and neuron.
    noise: &'a [R],
}

/// [`integrate_model`] for one share of the neurons.
fn integrate_share<R: Real>(
    neuron: &mut NeuronStep<R>,
    inputs: ChunkInputs<'_, R>,
    share: Lanes<'_, R>,
) {
    let ChunkInputs {
        run,
        params,
        current,
        shared,
        noise,
    } = inputs;
    let n = run.n_neurons as usize;
    let Lanes {
        first,
        states,
        spike_count,
        spike_steps,
        status,
        mut trace,
    } = share;
    let ns = states.len() / spike_count.len().max(1);
    let row = params.len() / n;
    let cap = run.spike_capacity as usize;
    // Local indices into the share's buffers; neuron `first + j` in the chunk's inputs.
    let active: Vec<usize> = (0..status.len()).filter(|&j| status[j] == 0).collect();
    for batch in active.chunks(BATCH) {
        let mut s: Vec<R> = batch
            .iter()
            .flat_map(|&j| states[j * ns..(j + 1) * ns].iter().copied())
            .collect();
        let p: Vec<R> = batch
            .iter()
            .flat_map(|&j| {
                params[(first + j) * row..(first + j + 1) * row]
                    .iter()
                    .copied()
            })
            .collect();
        let mut running = vec![true; batch.len()];
        let mut i_ext = vec![R::zero(); batch.len()];
        for k in 0..run.n_steps as usize {
            let step = run.first_step + k as u32;
            for (lane, &j) in batch.iter().enumerate() {
                let i = first + j;
                if running[lane] && run.record_every != 0 && k % run.record_every as usize == 0 {
                    let sample = &mut trace[k / run.record_every as usize];
                    sample[j * ns..(j + 1) * ns].copy_from_slice(&s[lane * ns..(lane + 1) * ns]);
                }
                i_ext[lane] = current[i] + shared[k];
                if run.has_noise != 0 {
                    i_ext[lane] = i_ext[lane] + noise[k * n + i];
                }
            }
            let next = neuron.step(&p, row, &i_ext, &s, &[], run.dt);
            for (lane, &j) in batch.iter().enumerate() {
                if !running[lane] {
                    continue;
                }
                let new = &next[lane * ns..(lane + 1) * ns];
                if new.iter().any(|x| !x.is_finite()) {
                    status[j] = step + 1;
                    running[lane] = false;
                    continue;
                }
                let threshold = params[(first + j) * row + row - 1];
                if s[lane * ns] < threshold && new[0] >= threshold {
                    let count = spike_count[j] as usize;
                    if count < cap {
                        spike_steps[j * cap + count] = step;
                    }
                    spike_count[j] += 1;
                }
                s[lane * ns..(lane + 1) * ns].copy_from_slice(new);
            }
            if !running.iter().any(|&r| r) {
                break;
            }
        }
        for (lane, &j) in batch.iter().enumerate() {
            states[j * ns..(j + 1) * ns].copy_from_slice(&s[lane * ns..(lane + 1) * ns]);
        }
    }
}
