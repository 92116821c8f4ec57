//! Populations of independent neurons of a model file, on the GPU (the generated kernel of
//! [`super::wgsl::population_kernel`]) or on its CPU twin ([`integrate_model`]), which runs the
//! same tapes in the same order. Inputs are the built-in models' (a constant current per neuron,
//! the shared stimulus, seeded noise); results are spikes, counts and a trace of every state.

use super::Model;
use super::step::NeuronStep;
use crate::backend::Engine;
use crate::backend::gpu::GpuContext;
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::layout::{PopulationRun, WORKGROUP_SIZE};
use crate::memory::{self, Estimate};
use crate::model::{Precision, Real};
use crate::monitor::Spikes;
use ndarray::Array2;
use std::mem::size_of;
use wgpu::util::DeviceExt;

/// Neurons of one model file, each with its own parameters, initial state and current.
#[derive(Clone, Debug)]
pub struct FilePopulation {
    pub model: Model,
    /// Parameter values per neuron, in the model's order.
    pub params: Vec<Vec<f64>>,
    /// Initial state per neuron, in the model's order.
    pub init: Vec<Vec<f64>>,
    /// Constant injected current per neuron.
    pub current: Vec<f64>,
    /// Spike threshold per neuron (upward crossing) [mV]; usually the model's.
    pub threshold: Vec<f64>,
    pub stimulus: Stimulus,
    /// Neuron j draws noise from stream `first_index + j` (a sweep's cell index).
    pub first_index: usize,
}

/// How a population of a model file is run.
#[derive(Clone, Copy, Debug)]
pub struct FileRunConfig {
    pub method: Method,
    pub dt_ms: f64,
    pub n_steps: usize,
    /// Record every state every this many steps (0: no trace).
    pub record_every: usize,
    /// Keep the step of each spike (else only counts, as a sweep needs).
    pub spike_steps: bool,
}

/// What a run produces.
#[derive(Clone, Debug, PartialEq)]
pub struct FileResult {
    pub spikes: Spikes,
    pub spike_counts: Vec<u32>,
    /// True when some neuron spiked more often than the spike buffer holds: the counts are exact
    /// but `spikes` lacks the late ones.
    pub spikes_truncated: bool,
    /// Sample steps and, per state, neurons × samples.
    pub trace: Option<(Vec<u64>, Vec<Array2<f64>>)>,
    /// The state after the last step (neurons × states), widened to f64.
    pub final_states: Array2<f64>,
    pub n_steps: usize,
}

/// Budget for the spike-step buffer [bytes]; within it every spike is kept.
const SPIKE_BUFFER_BYTES: usize = 64 << 20;
/// Budget for one chunk's noise and trace buffers [bytes].
const CHUNK_BUFFER_BYTES: usize = 32 << 20;

/// Steps per chunk: at most [`crate::backend::MAX_POPULATION_CHUNK_STEPS`] (lavapipe's loop limit), within
/// the noise and trace budgets, and a multiple of the recording interval so that every chunk
/// starts on a sample.
fn chunk_steps(cfg: &FileRunConfig, n: usize, ns: usize, noise: bool, real: usize) -> usize {
    let mut steps = cfg.n_steps.min(crate::backend::MAX_POPULATION_CHUNK_STEPS);
    if noise {
        steps = steps.min(CHUNK_BUFFER_BYTES / (n * real));
    }
    if cfg.record_every > 0 {
        let every = cfg.record_every;
        let samples = (CHUNK_BUFFER_BYTES / (n * ns * real)).max(1);
        steps = steps.min(samples * every);
        steps -= steps % every;
        steps = steps.max(every);
    }
    steps.max(1)
}

/// What sets a population run's memory.
struct Sizes {
    neurons: usize,
    states: usize,
    /// Per neuron: the parameters and the threshold.
    params: usize,
    spike_slots: usize,
    chunk_steps: usize,
    noise: bool,
    samples_per_chunk: usize,
    /// Trace samples of the whole run.
    samples: usize,
    /// Bytes per real number of the run's precision.
    real: usize,
}

/// What to change when a population's neurons take too much memory.
const FEWER_NEURONS: &str = "the number of neurons (currents, grid cells per chunk, values)";
/// What to change when the trace takes too much memory.
const FEWER_SAMPLES: &str =
    "the samples (a larger --record-every, a shorter --duration, fewer neurons)";

impl Sizes {
    /// Host memory: the buffers, the trace as recorded and as returned (f64 arrays), and one
    /// chunk's input.
    fn host(&self) -> Estimate {
        let (n, real) = (self.neurons as f64, self.real as f64);
        let mut e = Estimate::new();
        e.add(
            "states, parameters and results",
            n,
            // states twice (buffer and final f64 array), parameters, current, counts, status
            real * (self.states + self.params + 1) as f64 + 8.0 * self.states as f64 + 8.0,
            FEWER_NEURONS,
        )
        .add(
            "spike steps",
            self.spike_slots as f64,
            4.0 + 12.0,
            FEWER_NEURONS,
        )
        .add(
            "trace",
            self.samples as f64 * n * self.states as f64,
            real + 8.0,
            FEWER_SAMPLES,
        )
        .add(
            "one chunk's input",
            self.chunk_steps as f64 * if self.noise { n + 1.0 } else { 1.0 },
            real,
            FEWER_NEURONS,
        );
        e
    }

    /// Each GPU buffer against the adapter's limit on a storage binding.
    fn check_bindings(&self, limit: u64) -> Result<()> {
        let (n, real) = (self.neurons as f64, self.real as f64);
        let noise = if self.noise { n } else { 0.0 };
        let trace = self.samples_per_chunk as f64 * n * self.states as f64;
        for (what, bytes, option) in [
            ("states", n * self.states as f64 * real, FEWER_NEURONS),
            ("parameters", n * self.params as f64 * real, FEWER_NEURONS),
            ("spike steps", self.spike_slots as f64 * 4.0, FEWER_NEURONS),
            ("trace of a chunk", trace * real, FEWER_SAMPLES),
            (
                "noise of a chunk",
                self.chunk_steps as f64 * noise * real,
                FEWER_NEURONS,
            ),
            (
                "input of a chunk",
                self.chunk_steps as f64 * real,
                "--record-every",
            ),
        ] {
            memory::check_binding(what, bytes, limit, option)?;
        }
        Ok(())
    }
}

/// The buffers the kernel and its twin share.
#[derive(Clone, Debug, Default)]
pub struct Buffers<R> {
    pub states: Vec<R>,
    pub spike_count: Vec<u32>,
    pub spike_steps: Vec<u32>,
    pub status: Vec<u32>,
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

/// The generated kernel on the device, with its buffers.
struct GpuKernel<'a> {
    ctx: &'a GpuContext,
    pipeline: wgpu::ComputePipeline,
    uniforms: wgpu::Buffer,
    buffers: Vec<wgpu::Buffer>,
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl<'a> GpuKernel<'a> {
    #[allow(
        clippy::too_many_arguments,
        reason = "the kernel's inputs, one argument each, as the WGSL declares them"
    )]
    fn new<R: Real>(
        ctx: &'a GpuContext,
        source: &str,
        states: &[R],
        params: &[R],
        current: &[R],
        spike_slots: usize,
        chunk: (usize, usize, usize),
        features: [bool; 4],
    ) -> Result<Self> {
        let n = current.len();
        let flag = |on: bool| f64::from(u8::from(on));
        let constants = [
            ("RECORD_TRACE", flag(features[0])),
            ("HAS_NOISE", flag(features[1])),
            ("HAS_SHARED_INPUT", flag(features[2])),
            ("RECORD_SPIKE_STEPS", flag(features[3])),
        ];
        // Compiled once per process for each model structure, method and precision.
        let pipeline =
            ctx.compute_pipeline("integrate_model", source.to_string(), None, &constants)?;
        ctx.checked("building the model file's kernel", || {
            let device = &ctx.device;
            let init = |label, contents: &[u8]| {
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage: STORAGE,
                })
            };
            let empty = |label, bytes: usize| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: bytes.max(16) as u64,
                    usage: STORAGE,
                    mapped_at_creation: false,
                })
            };
            let real = size_of::<R>();
            let (shared_len, noise_len, trace_len) = chunk;
            let buffers = vec![
                init("states", bytemuck::cast_slice(states)),
                init("params", bytemuck::cast_slice(params)),
                init("current", bytemuck::cast_slice(current)),
                empty("shared_input", shared_len * real),
                empty("noise", noise_len * real),
                init("spike_count", bytemuck::cast_slice(&vec![0u32; n])),
                init(
                    "spike_steps",
                    bytemuck::cast_slice(&vec![0u32; spike_slots.max(4)]),
                ),
                empty("trace", trace_len * real),
                init("status", bytemuck::cast_slice(&vec![0u32; n])),
            ];
            let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("run"),
                size: 64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            GpuKernel {
                ctx,
                pipeline,
                uniforms,
                buffers,
            }
        })
    }

    fn bind_group(&self) -> wgpu::BindGroup {
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: self.uniforms.as_entire_binding(),
        }];
        entries.extend(
            self.buffers
                .iter()
                .enumerate()
                .map(|(k, b)| wgpu::BindGroupEntry {
                    binding: k as u32 + 1,
                    resource: b.as_entire_binding(),
                }),
        );
        self.ctx
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("integrate_model"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &entries,
            })
    }
}

/// Checks that the GPU kernels have `method` (exponential Euler and RK4; Euler and RK2 exist on
/// the CPU only).
pub fn gpu_method(method: Method) -> Result<()> {
    match method {
        Method::ExpEuler | Method::Rk4 => Ok(()),
        _ => Err(Error::invalid(
            "--method",
            method.name(),
            "exp-euler or rk4 on the GPU backend (euler and rk2 run with --backend cpu)",
        )),
    }
}

/// Runs a population of a model file on `engine` in `precision`.
pub fn run_population(
    engine: &Engine,
    precision: Precision,
    pop: &FilePopulation,
    cfg: &FileRunConfig,
) -> Result<FileResult> {
    match precision {
        Precision::F32 => run_as::<f32>(engine, pop, cfg),
        Precision::F64 => run_as::<f64>(engine, pop, cfg),
    }
}

fn run_as<R: Real>(
    engine: &Engine,
    pop: &FilePopulation,
    cfg: &FileRunConfig,
) -> Result<FileResult> {
    let model = &pop.model;
    // A sample every n_steps or more steps is the one at step 0 alone: the same trace, and a
    // chunk no longer than the run.
    let cfg = &FileRunConfig {
        record_every: cfg.record_every.min(cfg.n_steps),
        ..*cfg
    };
    let neuron = |i: usize| format!("neuron {}", pop.first_index + i);
    model.check_parameters(&pop.params, Some(&neuron))?;
    let n = pop.current.len();
    let ns = model.states.len();
    let np = model.parameters.len().max(1);
    let flat = |rows: &[Vec<f64>], width: usize| -> Vec<R> {
        rows.iter()
            .flat_map(|r| (0..width).map(|k| R::of(r.get(k).copied().unwrap_or(0.0))))
            .collect()
    };
    // A row per neuron: its parameters, then its threshold (as the kernel reads them).
    let params: Vec<R> = flat(&pop.params, np)
        .chunks(np)
        .zip(&pop.threshold)
        .flat_map(|(row, &threshold)| row.iter().copied().chain([R::of(threshold)]))
        .collect();
    let current: Vec<R> = pop.current.iter().map(|&c| R::of(c)).collect();
    let mut noise_streams: Vec<_> = (0..n)
        .filter_map(|j| pop.stimulus.noise_for(pop.first_index + j))
        .collect();
    // A crossing needs a step below and one above: at most ⌈steps/2⌉ spikes per neuron.
    let spike_capacity = if cfg.spike_steps {
        (cfg.n_steps / 2 + 1).min((SPIKE_BUFFER_BYTES / 4 / n.max(1)).max(1))
    } else {
        0
    };
    let chunk = chunk_steps(cfg, n, ns, !noise_streams.is_empty(), size_of::<R>());
    let samples_per_chunk = if cfg.record_every == 0 {
        0
    } else {
        chunk.div_ceil(cfg.record_every)
    };
    let sizes = Sizes {
        neurons: n,
        states: ns,
        params: np + 1,
        spike_slots: n * spike_capacity,
        chunk_steps: chunk,
        noise: !noise_streams.is_empty(),
        samples_per_chunk,
        samples: if cfg.record_every == 0 {
            0
        } else {
            cfg.n_steps.div_ceil(cfg.record_every)
        },
        real: size_of::<R>(),
    };
    sizes.host().check()?;
    if let Engine::Gpu(ctx) = engine {
        sizes.check_bindings(ctx.limits.max_storage_buffer_binding_size)?;
    }
    let mut buffers = Buffers {
        states: flat(&pop.init, ns),
        spike_count: vec![0; n],
        spike_steps: vec![0; n * spike_capacity],
        status: vec![0; n],
    };
    // One stepper per thread the CPU twin may use (the GPU path uses none).
    let threads = match engine {
        Engine::Cpu => std::thread::available_parallelism().map_or(1, |t| t.get()),
        Engine::Gpu(_) => 0,
    };
    let mut steppers: Vec<NeuronStep<R>> = (0..threads)
        .map(|_| NeuronStep::new(model, cfg.method))
        .collect();
    let gpu = match engine {
        Engine::Gpu(ctx) => {
            gpu_method(cfg.method)?;
            let source = super::wgsl::population_module(model, cfg.method, R::PRECISION);
            Some(GpuKernel::new::<R>(
                ctx,
                &source,
                &buffers.states,
                &params,
                &current,
                n * spike_capacity,
                (
                    chunk,
                    if noise_streams.is_empty() {
                        0
                    } else {
                        chunk * n
                    },
                    samples_per_chunk * n * ns,
                ),
                [
                    cfg.record_every > 0,
                    !noise_streams.is_empty(),
                    pop.stimulus.has_shared(),
                    spike_capacity > 0,
                ],
            )?)
        }
        Engine::Cpu => None,
    };
    let bind_group = gpu.as_ref().map(GpuKernel::bind_group);
    let mut samples: Vec<R> = Vec::new();
    let mut noise = Vec::new();
    let mut first = 0;
    while first < cfg.n_steps {
        let steps = chunk.min(cfg.n_steps - first);
        crate::backend::fill_noise(&mut noise, &mut noise_streams, steps);
        let run = PopulationRun {
            n_neurons: n as u32,
            first_neuron: 0,
            n_steps: steps as u32,
            first_step: first as u32,
            record_every: cfg.record_every as u32,
            spike_capacity: spike_capacity as u32,
            has_noise: u32::from(!noise.is_empty()),
            _pad: 0,
            dt: R::of(cfg.dt_ms),
        };
        let n_samples = if cfg.record_every == 0 {
            0
        } else {
            steps.div_ceil(cfg.record_every)
        };
        let shared: Vec<R> = (pop.stimulus)
            .shared_steps(cfg.dt_ms, cfg.n_steps, first..first + steps)
            .into_iter()
            .map(R::of)
            .collect();
        let chunk_shared = shared.as_slice();
        match (&gpu, &bind_group) {
            (Some(kernel), Some(bind_group)) => {
                let ctx = kernel.ctx;
                ctx.queue
                    .write_buffer(&kernel.buffers[3], 0, bytemuck::cast_slice(chunk_shared));
                if !noise.is_empty() {
                    ctx.queue
                        .write_buffer(&kernel.buffers[4], 0, bytemuck::cast_slice(&noise));
                }
                let groups_total = (n as u32).div_ceil(WORKGROUP_SIZE);
                let max_groups = ctx.limits.max_compute_workgroups_per_dimension;
                let mut first_group = 0;
                while first_group < groups_total {
                    let groups = (groups_total - first_group).min(max_groups);
                    let slice = PopulationRun {
                        first_neuron: first_group * WORKGROUP_SIZE,
                        ..run
                    };
                    ctx.queue
                        .write_buffer(&kernel.uniforms, 0, &slice.uniform_bytes());
                    let mut encoder = ctx.device.create_command_encoder(&Default::default());
                    {
                        let mut pass = encoder.begin_compute_pass(&Default::default());
                        pass.set_pipeline(&kernel.pipeline);
                        pass.set_bind_group(0, bind_group, &[]);
                        pass.dispatch_workgroups(groups, 1, 1);
                    }
                    ctx.queue.submit([encoder.finish()]);
                    first_group += groups;
                }
                if n_samples > 0 {
                    let bytes = (n_samples * n * ns * size_of::<R>()) as u64;
                    samples.extend(ctx.read_prefix::<R>(
                        &kernel.buffers[7],
                        bytes,
                        "reading the trace",
                    )?);
                } else {
                    ctx.wait("integrating a chunk")?;
                }
            }
            _ => {
                let mut trace = vec![R::zero(); n_samples * n * ns];
                integrate_model(
                    &mut steppers,
                    &run,
                    &params,
                    &current,
                    chunk_shared,
                    &noise,
                    &mut buffers,
                    &mut trace,
                );
                samples.extend(trace);
            }
        }
        first += steps;
    }
    if let Some(kernel) = &gpu {
        let ctx = kernel.ctx;
        buffers.states = ctx.read_buffer(&kernel.buffers[0], "reading the final state")?;
        buffers.spike_count = ctx.read_buffer(&kernel.buffers[5], "reading spike counts")?;
        buffers.spike_steps = ctx.read_buffer(&kernel.buffers[6], "reading spike steps")?;
        buffers.status = ctx.read_buffer(&kernel.buffers[8], "reading the status")?;
    }
    crate::backend::check_status(&buffers.status)?;
    let pairs =
        crate::backend::spike_pairs(&buffers.spike_count, &buffers.spike_steps, spike_capacity);
    let trace = (cfg.record_every > 0).then(|| {
        let n_samples = samples.len() / (n * ns);
        let steps = (0..n_samples)
            .map(|k| (k * cfg.record_every) as u64)
            .collect();
        let columns = (0..ns)
            .map(|j| {
                Array2::from_shape_fn((n, n_samples), |(i, k)| {
                    samples[(k * n + i) * ns + j].wide()
                })
            })
            .collect();
        (steps, columns)
    });
    Ok(FileResult {
        spikes_truncated: buffers
            .spike_count
            .iter()
            .any(|&c| c as usize > spike_capacity),
        spikes: Spikes::from_pairs(pairs),
        spike_counts: buffers.spike_count,
        trace,
        final_states: Array2::from_shape_fn((n, ns), |(i, j)| buffers.states[i * ns + j].wide()),
        n_steps: cfg.n_steps,
    })
}
