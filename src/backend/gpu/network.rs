//! Networks on the GPU: the lowered network lives on the device; a chunk of steps is one
//! command buffer of one `network_update` dispatch per step (which also delivers the step's
//! spikes), each step selecting its `StepUniform` by dynamic offset, then one
//! `network_chunk_end` that adds the chunk's spike count to the run's; no host round trip
//! happens inside a chunk. On llvmpipe, small networks instead run a chunk in a few long
//! `network_coop` dispatches (see [`Stepping::Cooperative`]). After each chunk the host drains
//! the spike ring and the trace.

use super::GpuContext;
use crate::backend::network::{self as net, ChunkRecords, Finished, NetEngine, NetLowered};
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::kernel::layout::{CoopHeader, CoopProgress, NONE, StepUniform, WORKGROUP_SIZE, counter};
use crate::kernel::shader::Kernel;
use crate::kernel::{Precision, Real};
use std::mem::size_of;
use wgpu::util::DeviceExt;

/// Storage buffers the network kernels bind (bindings 2–11 and 13–15).
const STORAGE_BINDINGS: u32 = 13;

/// Loop passes network_coop leaves unused of the driver's limit, for the few it does not count.
const COOP_BUDGET_MARGIN: u64 = 64;

/// Networks up to this size run cooperatively on llvmpipe. Beyond it a dispatch holds only a
/// few steps before the loop limit and a dispatch per step is faster; on 2 threads the
/// crossover lay between 100 000 and 200 000 neurons (`hhsim bench --workload cobahh --scales
/// 25,50` measures it again).
const COOP_MAX_NEURONS: u32 = 100_000;

/// Steps per dispatch below which network_coop hands a chunk over to a dispatch per step. With
/// its worker threads running, a dispatch holds about 130 steps of COBA-HH at 4000 neurons; when
/// other work shares the CPU cores, a workgroup mostly waits for one that is not running, and a
/// dispatch holds two or three: far slower than a dispatch per step.
const COOP_MIN_STEPS_PER_DISPATCH: u32 = 16;

/// Mappable buffers a chunk's records are copied into.
struct Staging {
    counters: wgpu::Buffer,
    ring: wgpu::Buffer,
    trace: wgpu::Buffer,
}

impl Staging {
    fn new<R>(
        device: &wgpu::Device,
        u: &crate::kernel::layout::NetUniforms<R>,
        state_bytes: usize,
    ) -> Self {
        let buffer = |label, size: usize| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(4) as u64,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        Staging {
            counters: buffer("staging counters", counter::LEN * 4),
            ring: buffer("staging ring", u.ring_capacity as usize * 8),
            trace: buffer("staging trace", u.trace_capacity as usize * state_bytes),
        }
    }
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

pub struct GpuNetEngine<'a, R> {
    ctx: &'a GpuContext,
    update: wgpu::ComputePipeline,
    chunk_end: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    step_buffer: wgpu::Buffer,
    step_stride: u64,
    /// Every neuron's variables as the kernels hold them, padded to whole vec4s.
    states: wgpu::Buffer,
    /// Variables per neuron.
    width: usize,
    acc: wgpu::Buffer,
    counters: wgpu::Buffer,
    ring: wgpu::Buffer,
    trace: wgpu::Buffer,
    n_neurons: u32,
    n_recorded: usize,
    ring_capacity: usize,
    trace_capacity: usize,
    /// Host-readable copies of each half's counters, ring and trace.
    staging: [Staging; 2],
    pending: Option<Pending>,
    stepping: Stepping,
    coop: Option<Coop>,
    _real: std::marker::PhantomData<R>,
}

fn layout_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
    dynamic: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: dynamic,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The network kernels' bind group layout (bindings as in shaders/network.wgsl, 13–15 for
/// network_coop) and the pipeline layout of it.
fn network_layouts(device: &wgpu::Device) -> (wgpu::BindGroupLayout, wgpu::PipelineLayout) {
    use wgpu::BufferBindingType::{Storage, Uniform};
    let mut entries = vec![
        layout_entry(0, Uniform, false),
        layout_entry(1, Uniform, true),
    ];
    for b in 2..=11 {
        let read_only = matches!(b, 3 | 9 | 10 | 11);
        entries.push(layout_entry(b, Storage { read_only }, false));
    }
    entries.push(layout_entry(12, Uniform, false));
    entries.push(layout_entry(13, Storage { read_only: true }, false));
    entries.push(layout_entry(14, Storage { read_only: false }, false));
    entries.push(layout_entry(15, Storage { read_only: false }, false));
    entries.push(layout_entry(16, Uniform, false));
    let bind_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("network"),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some("network"),
        bind_group_layouts: &[Some(&bind_layout)],
        immediate_size: 0,
    });
    (bind_layout, pipeline_layout)
}

/// Each neuron's variables padded to whole vec4s, as `load_state` reads them.
fn padded<R: Real>(lowered: &NetLowered<R>) -> Vec<R> {
    let width = lowered.n_variables;
    let stride = width.next_multiple_of(4);
    let mut out = vec![R::zero(); lowered.init.len() / width.max(1) * stride];
    for (to, from) in out.chunks_mut(stride).zip(lowered.init.chunks(width)) {
        to[..width].copy_from_slice(from);
    }
    out
}

/// Whether the per-neuron buffers of a network of `n` neurons fit the adapter's binding limit,
/// each refused in one line (checked before the network is built, and again with it).
pub fn check_neuron_buffers(
    ctx: &GpuContext,
    n: usize,
    n_variables: usize,
    synapse_kinds: usize,
    real: usize,
) -> Result<()> {
    let n = n as f64;
    let limit = ctx.limits.max_storage_buffer_binding_size;
    let fewer = "the number of neurons (--scale)";
    for (what, bytes) in [
        (
            "network state",
            n * (n_variables.next_multiple_of(4) * real) as f64,
        ),
        ("synaptic input", n * (2 * synapse_kinds * 4) as f64),
        ("CSR row starts", (n + 1.0) * 4.0),
    ] {
        crate::memory::check_binding(what, bytes, limit, fewer)?;
    }
    Ok(())
}

/// Whether a network whose CSR rows start at `row_start` fits the adapter: enough storage
/// bindings, the synapse arrays within one binding, and every row within the driver's loop limit
/// (a spiking neuron walks its row in one loop).
pub fn check_limits(
    ctx: &GpuContext,
    row_start: &[u32],
    n_variables: usize,
    synapse_kinds: usize,
    real: usize,
) -> Result<()> {
    let n_synapses = row_start.last().copied().unwrap_or(0) as usize;
    let n = row_start.len().saturating_sub(1);
    check_neuron_buffers(ctx, n, n_variables, synapse_kinds, real)?;
    if ctx.limits.max_storage_buffers_per_shader_stage < STORAGE_BINDINGS {
        return Err(Error::Gpu {
            context: "building the network kernels".into(),
            message: format!(
                "{} allows {} storage buffers per stage; the network kernels need {STORAGE_BINDINGS}",
                ctx.adapter.name, ctx.limits.max_storage_buffers_per_shader_stage
            ),
        });
    }
    let limit = ctx.limits.max_storage_buffer_binding_size;
    let synapse_bytes = (n_synapses * 4) as u64;
    if synapse_bytes > limit {
        return Err(Error::Gpu {
            context: format!("allocating {n_synapses} synapses"),
            message: format!(
                "the synapse targets need {synapse_bytes} bytes but {} binds at most {limit}; use --backend cpu or a smaller network",
                ctx.adapter.name
            ),
        });
    }
    let longest = longest_row(row_start);
    if let Some(limit) = ctx.loop_iteration_limit()
        && u64::from(longest) >= limit
    {
        return Err(Error::Gpu {
            context: "building the network kernels".into(),
            message: format!(
                "a neuron has {longest} synapses but {} ends a kernel after {limit} loop iterations; use --backend cpu or fewer synapses per neuron",
                ctx.adapter.name
            ),
        });
    }
    Ok(())
}

/// How an engine advances a chunk of steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stepping {
    /// One dispatch per step, one invocation per neuron, rows walked as given.
    PerStep(RowWalk),
    /// `network_coop`: a chunk in as few dispatches as llvmpipe's loop limit allows, each of
    /// `groups` single-subgroup workgroups (one per worker thread) that wait for each other at
    /// every step. llvmpipe hands each dispatch to its worker threads and waits for them, which
    /// costs about as much as a step of a few thousand neurons; waiting in the kernel lasts only
    /// while another workgroup is behind. Needs subgroups of one fixed size.
    Cooperative { groups: u32 },
}

/// The cooperative kernel's own buffers and how many dispatches a chunk gets.
struct Coop {
    groups: u32,
    steps: wgpu::Buffer,
    state: wgpu::Buffer,
    spikes: wgpu::Buffer,
    /// Dispatches per submission, sized from the last chunk's needs.
    dispatches: u32,
    /// `working_dispatches` as last read.
    working_seen: u32,
    /// A dispatch per step (the best row walk), for the rest of a chunk that does not go well.
    per_step: wgpu::ComputePipeline,
    /// Steps run by `per_step` so far.
    per_step_steps: u64,
}

impl Coop {
    /// `CoopState` with every workgroup having completed `steps` steps.
    fn state_at(&self, steps: u32) -> Vec<u8> {
        let header = CoopHeader {
            arrivals: self.groups * steps,
            working_dispatches: self.working_seen,
            ..Default::default()
        };
        let progress = CoopProgress {
            done: steps,
            ..Default::default()
        };
        let mut state = bytemuck::bytes_of(&header).to_vec();
        for _ in 0..self.groups {
            state.extend_from_slice(bytemuck::bytes_of(&progress));
        }
        state
    }
}

/// Loop passes `network_coop` may need for its next unit of work at worst: a batch takes one,
/// delivering a spike two and one per `lanes` synapses of the longest row.
fn coop_unit_worst(lanes: u32, longest_row: u32) -> u64 {
    2 + u64::from(longest_row).div_ceil(u64::from(lanes))
}

/// Worker threads llvmpipe uses: `LP_NUM_THREADS` or, as Mesa does, one per CPU; counted up to
/// 16, the most workgroups network_coop is given (more would only wait on one counter).
fn llvmpipe_threads() -> u32 {
    std::env::var("LP_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32))
        .min(16)
}

/// How `GpuNetEngine::new` steps a network on this adapter: cooperatively on llvmpipe with
/// two or more worker threads and a network small enough to gain, else a dispatch per step
/// with the best row walk the adapter has.
pub fn default_stepping<R>(ctx: &GpuContext, lowered: &NetLowered<R>) -> Stepping {
    let n = lowered.uniforms.n_neurons;
    let threads = llvmpipe_threads();
    if let (Some(limit), Some(lanes)) = (ctx.loop_iteration_limit(), ctx.adapter.subgroup_size)
        && n <= COOP_MAX_NEURONS
        && lanes <= 32
        && threads >= 2
        // A dispatch should hold many units of work, not a few of the longest rows.
        && coop_unit_worst(lanes, longest_row(&lowered.row_start)) * 64 <= limit
    {
        return Stepping::Cooperative {
            groups: threads.min(n.div_ceil(lanes)).max(1),
        };
    }
    Stepping::PerStep(best_row_walk(ctx))
}

/// The row walk of the per-step kernels that the adapter runs best.
fn best_row_walk(ctx: &GpuContext) -> RowWalk {
    if ctx.adapter.subgroups {
        RowWalk::Subgroup
    } else {
        RowWalk::Lane
    }
}

fn longest_row(row_start: &[u32]) -> u32 {
    row_start.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
}

/// How a step's spiking invocations walk their CSR rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowWalk {
    /// Each spiking invocation walks its own row (`network_update`).
    Lane,
    /// The lanes of a subgroup walk each spiking lane's row together (`network_update_subgroup`).
    Subgroup,
}

impl RowWalk {
    fn kernel(self) -> Kernel {
        match self {
            RowWalk::Lane => Kernel::NetworkUpdate,
            RowWalk::Subgroup => Kernel::NetworkUpdateSubgroup,
        }
    }
}

impl<'a, R: Real> GpuNetEngine<'a, R> {
    /// The engine with the fastest stepping the adapter supports ([`default_stepping`]).
    pub fn new(ctx: &'a GpuContext, lowered: &NetLowered<R>) -> Result<Self> {
        Self::with_stepping(ctx, lowered, default_stepping(ctx, lowered))
    }

    /// The engine with a dispatch per step and a chosen row walk (`Subgroup` needs an adapter
    /// with subgroups).
    pub fn with_row_walk(
        ctx: &'a GpuContext,
        lowered: &NetLowered<R>,
        walk: RowWalk,
    ) -> Result<Self> {
        Self::with_stepping(ctx, lowered, Stepping::PerStep(walk))
    }

    /// The engine with a chosen stepping. `Cooperative` needs subgroups of one fixed size up
    /// to 32 lanes; any number of groups gives the same results (more groups than the driver
    /// runs at once take turns, until the engine hands the chunk to a dispatch per step).
    pub fn with_stepping(
        ctx: &'a GpuContext,
        lowered: &NetLowered<R>,
        stepping: Stepping,
    ) -> Result<Self> {
        check_limits(
            ctx,
            &lowered.row_start,
            lowered.n_variables,
            lowered.synapses.len(),
            size_of::<R>(),
        )?;
        if let Stepping::Cooperative { groups } = stepping
            && (groups == 0 || ctx.adapter.subgroup_size.is_none_or(|l| l > 32))
        {
            return Err(Error::Gpu {
                context: "building the network kernels".into(),
                message: format!(
                    "cooperative stepping with {groups} workgroups needs at least one and subgroups of one size up to 32 lanes, which {} lacks",
                    ctx.adapter.name
                ),
            });
        }
        let precision = if size_of::<R>() == 8 {
            Precision::F64
        } else {
            Precision::F32
        };
        let method = if lowered.method == Method::Rk4 {
            1.0
        } else {
            0.0
        };
        let u = lowered.uniforms;
        let n = u.n_neurons as usize;
        let step_stride = (size_of::<StepUniform>() as u64)
            .next_multiple_of(u64::from(ctx.limits.min_uniform_buffer_offset_alignment));
        ctx.checked("building the network kernels", || -> Result<Self> {
            let device = &ctx.device;
            let (bind_layout, pipeline_layout) = ctx.network_layout(network_layouts);
            let pipeline = |kernel: Kernel, constants: &[(&str, f64)]| {
                let source = crate::kernel::shader::assemble_for(kernel, precision, &lowered.model);
                let layout = Some(&pipeline_layout);
                ctx.compute_pipeline(kernel.entry_point(), source, layout, constants)
            };
            let per_group = lowered.params_per_group();
            let group_params: Vec<&[R]> = lowered.params.chunks(per_group).collect();
            let shared_params = group_params.iter().all(|p| *p == group_params[0]);
            let refractory = lowered.flags.first().map_or(0, |f| f.refractory_steps);
            let shared_refractory = if lowered
                .flags
                .iter()
                .all(|f| f.refractory_steps == refractory)
            {
                refractory
            } else {
                NONE
            };
            let neuron_constants = [
                ("METHOD", method),
                ("SHARED_PARAMS", f64::from(u8::from(shared_params))),
                ("RECORD_TRACE", f64::from(u8::from(u.n_recorded > 0))),
                ("SHARED_REFRACTORY", f64::from(shared_refractory)),
            ];
            let mut constants = neuron_constants.to_vec();
            let kernel = match stepping {
                Stepping::PerStep(walk) => walk.kernel(),
                Stepping::Cooperative { .. } => {
                    let limit = ctx.loop_iteration_limit().unwrap_or(u64::from(u32::MAX));
                    let lanes = ctx.adapter.subgroup_size.unwrap_or(0);
                    let worst = coop_unit_worst(lanes, longest_row(&lowered.row_start));
                    constants.extend([
                        ("LOOP_BUDGET", (limit - COOP_BUDGET_MARGIN) as f64),
                        ("UNIT_WORST", worst as f64),
                        ("COOP_LANES", f64::from(lanes)),
                        ("RECORD_IN_STEP", 0.0),
                    ]);
                    Kernel::NetworkCoop
                }
            };
            let update = pipeline(kernel, &constants)?;
            let per_step = matches!(stepping, Stepping::Cooperative { .. })
                .then(|| pipeline(best_row_walk(ctx).kernel(), &neuron_constants))
                .transpose()?;
            let chunk_end = pipeline(Kernel::NetworkChunkEnd, &[])?;
            let init = |label, contents: &[u8], usage| {
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage,
                })
            };
            // Empty arrays still need a non-empty binding.
            let at_least_one = |v: &[u32]| if v.is_empty() { vec![0u32] } else { v.to_vec() };
            let uniforms = init(
                "net_uniforms",
                bytemuck::bytes_of(&u),
                wgpu::BufferUsages::UNIFORM,
            );
            let step_buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("step_uniforms"),
                size: step_stride * lowered.chunk_steps as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            // Padded to a multiple of 16 bytes, as some drivers want of uniform buffers.
            let uniform_bytes = |values: &[u8]| {
                let mut bytes = values.to_vec();
                bytes.resize(bytes.len().next_multiple_of(16).max(16), 0);
                bytes
            };
            let shared_bytes = uniform_bytes(bytemuck::cast_slice(group_params[0]));
            let shared = init("shared_params", &shared_bytes, wgpu::BufferUsages::UNIFORM);
            let syn_bytes = uniform_bytes(bytemuck::cast_slice(&lowered.synapses));
            let synapses = init("synapses", &syn_bytes, wgpu::BufferUsages::UNIFORM);
            let states = init("states", bytemuck::cast_slice(&padded(lowered)), STORAGE);
            let params = init("params", bytemuck::cast_slice(&lowered.params), STORAGE);
            let flags = init("flags", bytemuck::cast_slice(&lowered.flags), STORAGE);
            let accumulators = (2 * lowered.synapses.len() * n).max(1);
            let acc = init(
                "acc",
                bytemuck::cast_slice(&vec![0u32; accumulators]),
                STORAGE,
            );
            let counters = init(
                "counters",
                bytemuck::cast_slice(&[0u32; counter::LEN]),
                STORAGE,
            );
            let ring = init(
                "ring",
                bytemuck::cast_slice(&vec![0u32; 2 * 2 * (u.ring_capacity as usize).max(1)]),
                STORAGE,
            );
            // At least one NetState, as the binding's type demands.
            let trace_len = (2 * u.trace_capacity as usize).max(1) * lowered.n_variables;
            let trace = init(
                "trace",
                bytemuck::cast_slice(&vec![R::zero(); trace_len]),
                STORAGE,
            );
            let row_start = init(
                "row_start",
                bytemuck::cast_slice(&lowered.row_start),
                STORAGE,
            );
            let target = init(
                "target",
                bytemuck::cast_slice(&at_least_one(&lowered.target)),
                STORAGE,
            );
            let weight = init(
                "weight",
                bytemuck::cast_slice(&at_least_one(&lowered.weight_q)),
                STORAGE,
            );
            let coop = match stepping {
                Stepping::Cooperative { groups } => Some(Coop {
                    groups,
                    steps: device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("coop_steps"),
                        size: (size_of::<StepUniform>() * lowered.chunk_steps.max(1)) as u64,
                        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    }),
                    state: init(
                        "coop_state",
                        &vec![
                            0u8;
                            size_of::<CoopHeader>() + size_of::<CoopProgress>() * groups as usize
                        ],
                        STORAGE,
                    ),
                    // Each group's batches · lanes neurons.
                    spikes: {
                        let lanes = ctx.adapter.subgroup_size.unwrap_or(1);
                        let per_group = u.n_neurons.div_ceil(groups * lanes) * lanes;
                        init(
                            "coop_spikes",
                            bytemuck::cast_slice(&vec![0u32; (groups * per_group) as usize]),
                            STORAGE,
                        )
                    },
                    dispatches: 2,
                    working_seen: 0,
                    per_step: per_step.expect("built for cooperative stepping"),
                    per_step_steps: 0,
                }),
                Stepping::PerStep(_) => None,
            };
            // Bindings 13–15 exist in every pipeline's layout; only network_coop reads them.
            let unused = || init("unused", &[0u8; 64], STORAGE);
            let (coop_steps, coop_state, coop_spikes) = match &coop {
                Some(c) => (c.steps.clone(), c.state.clone(), c.spikes.clone()),
                None => (unused(), unused(), unused()),
            };
            let step_binding = wgpu::BufferBinding {
                buffer: &step_buffer,
                offset: 0,
                size: wgpu::BufferSize::new(size_of::<StepUniform>() as u64),
            };
            let buffers = [
                &uniforms,
                &step_buffer,
                &states,
                &params,
                &flags,
                &acc,
                &counters,
                &ring,
                &trace,
                &row_start,
                &target,
                &weight,
                &shared,
                &coop_steps,
                &coop_state,
                &coop_spikes,
                &synapses,
            ];
            let entries: Vec<wgpu::BindGroupEntry> = buffers
                .iter()
                .enumerate()
                .map(|(b, buf)| wgpu::BindGroupEntry {
                    binding: b as u32,
                    resource: if b == 1 {
                        wgpu::BindingResource::Buffer(step_binding.clone())
                    } else {
                        buf.as_entire_binding()
                    },
                })
                .collect();
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("network"),
                layout: &bind_layout,
                entries: &entries,
            });
            Ok(GpuNetEngine {
                ctx,
                update,
                chunk_end,
                bind_group,
                step_buffer,
                step_stride,
                states,
                width: lowered.n_variables,
                acc,
                counters,
                ring,
                trace,
                n_neurons: u.n_neurons,
                n_recorded: u.n_recorded as usize,
                ring_capacity: u.ring_capacity as usize,
                trace_capacity: u.trace_capacity as usize,
                staging: [0, 1]
                    .map(|_| Staging::new(device, &u, lowered.n_variables * size_of::<R>())),
                pending: None,
                stepping,
                coop,
                _real: std::marker::PhantomData,
            })
        })?
    }

    /// The integer accumulators, both parities' blocks: for comparing a step's deliveries with
    /// the twin's.
    pub fn read_accumulators(&self) -> Result<Vec<u32>> {
        self.ctx.read_buffer(&self.acc, "reading the accumulators")
    }
}

/// A chunk submitted whose records are still on the device.
struct Pending {
    half: usize,
    n_samples: usize,
    submission: wgpu::SubmissionIndex,
}

impl<R: Real> GpuNetEngine<'_, R> {
    /// Runs `steps` with network_coop, submitting dispatches until every workgroup has done
    /// them all, and returns how many it ran: all of them, or the first few when the dispatches
    /// hold too few steps (see COOP_MIN_STEPS_PER_DISPATCH), leaving the rest to a dispatch per
    /// step. Unlike a chunk of per-step dispatches this waits for the chunk: how many dispatches
    /// it takes is only known on the device.
    fn run_cooperatively(&mut self, steps: &[StepUniform]) -> Result<usize> {
        let ctx = self.ctx;
        let Some(coop) = self.coop.as_mut() else {
            return Ok(0);
        };
        let (Some(head), count) = (steps.first(), steps.len() as u32) else {
            return Ok(0);
        };
        ctx.queue
            .write_buffer(&coop.steps, 0, bytemuck::cast_slice(steps));
        ctx.queue
            .write_buffer(&coop.state, 0, bytemuck::cast_slice(&[head.step, count]));
        let mut end = head.step + count;
        let bytes = size_of::<CoopHeader>() + size_of::<CoopProgress>() * coop.groups as usize;
        let mut last_progress: Option<Vec<CoopProgress>> = None;
        loop {
            // A dispatch's id is the step of the table entry it binds, so at most one dispatch
            // per step of the chunk; ids repeat across submissions, hence the reset.
            let dispatches = coop.dispatches.min(count);
            ctx.queue.write_buffer(
                &coop.state,
                std::mem::offset_of!(CoopHeader, departed) as u64,
                bytemuck::bytes_of(&0u32),
            );
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&self.update);
                for d in 0..dispatches {
                    let offset = (u64::from(d) * self.step_stride) as u32;
                    pass.set_bind_group(0, &self.bind_group, &[offset]);
                    pass.dispatch_workgroups(coop.groups, 1, 1);
                }
            }
            ctx.queue.submit([encoder.finish()]);
            let state: Vec<u8> = ctx.read_prefix(
                &coop.state,
                bytes as u64,
                "reading the cooperative kernel's progress",
            )?;
            let (header, progress) = state.split_at(size_of::<CoopHeader>());
            let header: CoopHeader = bytemuck::pod_read_unaligned(header);
            let progress: Vec<CoopProgress> = bytemuck::pod_collect_to_vec(progress);
            if progress.iter().all(|p| p.done >= end) {
                // Next time, as many dispatches as this chunk worked in, and a quarter more.
                let working = header.working_dispatches.wrapping_sub(coop.working_seen);
                coop.working_seen = header.working_dispatches;
                coop.dispatches = (working + working / 4 + 1).clamp(1, count);
                return Ok((end - head.step) as usize);
            }
            // Each dispatch lets some workgroup step a batch or deliver a spike, so a
            // submission without progress means the kernel cannot go on.
            if last_progress.as_ref() == Some(&progress) {
                return Err(Error::Gpu {
                    context: format!("running steps {} to {end}", head.step),
                    message: format!(
                        "the cooperative network kernel made no progress (at {progress:?})"
                    ),
                });
            }
            // Every dispatch of an unfinished submission worked; if they held too few steps,
            // stop at the next step boundary every workgroup can reach and hand over.
            let slowest = |p: &[CoopProgress]| p.iter().map(|p| p.done).min().unwrap_or(0);
            let before = last_progress.as_deref().map_or(head.step, slowest);
            let advanced = slowest(&progress) - before;
            if end == head.step + count && advanced < dispatches * COOP_MIN_STEPS_PER_DISPATCH {
                let mid_step = |p: &CoopProgress| p.batch + p.listed + p.delivered > 0;
                end = progress
                    .iter()
                    .map(|p| p.done + u32::from(mid_step(p)))
                    .max()
                    .unwrap_or(end)
                    .min(end);
                ctx.queue.write_buffer(
                    &coop.state,
                    std::mem::offset_of!(CoopHeader, count) as u64,
                    bytemuck::bytes_of(&(end - head.step)),
                );
            }
            last_progress = Some(progress);
            coop.dispatches = (coop.dispatches * 2).min(count);
        }
    }

    /// Waits for `p` and copies its counters, ring half and trace half to the host.
    fn drain(&self, p: Pending) -> Result<ChunkRecords<R>> {
        let ctx = self.ctx;
        let half = p.half;
        let staging = &self.staging[half];
        let counters: Vec<u32> = ctx.map_read(
            &staging.counters,
            (counter::LEN * 4) as u64,
            &p.submission,
            "reading the spike counters",
        )?;
        let count = counters[counter::RING + half];
        let kept = (count as usize).min(self.ring_capacity);
        let mut spikes: Vec<[u32; 2]> = ctx.map_read(
            &staging.ring,
            (kept * 8) as u64,
            &p.submission,
            "draining the spike ring",
        )?;
        spikes.truncate(kept);
        let trace_len = p.n_samples * self.n_recorded;
        let trace_len = trace_len * self.width;
        let mut trace: Vec<R> = if trace_len > 0 {
            ctx.map_read(
                &staging.trace,
                (trace_len * size_of::<R>()) as u64,
                &p.submission,
                "reading the trace",
            )?
        } else {
            Vec::new()
        };
        trace.truncate(trace_len);
        Ok(ChunkRecords {
            spikes,
            ring_count: count,
            trace,
        })
    }
}

impl<R: Real> NetEngine<R> for GpuNetEngine<'_, R> {
    fn stepping(&self) -> net::SteppingReport {
        match self.stepping {
            Stepping::PerStep(RowWalk::Lane) => net::SteppingReport {
                description: "a dispatch per step, each spiking lane walking its row".into(),
                extra_bytes_per_neuron: 0,
            },
            Stepping::PerStep(RowWalk::Subgroup) => net::SteppingReport {
                description: "a dispatch per step, subgroups walking the spiking rows".into(),
                extra_bytes_per_neuron: 0,
            },
            Stepping::Cooperative { groups } => net::SteppingReport {
                description: format!(
                    "cooperative (network_coop, workgroups: {groups}), each chunk in a few dispatches; steps handed to a dispatch per step because the workgroups did not run at once: {}",
                    self.coop.as_ref().map_or(0, |c| c.per_step_steps)
                ),
                // The per-workgroup spike lists.
                extra_bytes_per_neuron: 4,
            },
        }
    }

    fn run_chunk(
        &mut self,
        steps: &[StepUniform],
        n_samples: usize,
    ) -> Result<Vec<ChunkRecords<R>>> {
        let ctx = self.ctx;
        let half = steps.first().map_or(0, |s| s.half) as usize;
        let mut table = vec![0u8; self.step_stride as usize * steps.len()];
        for (k, s) in steps.iter().enumerate() {
            let at = k * self.step_stride as usize;
            table[at..at + size_of::<StepUniform>()].copy_from_slice(bytemuck::bytes_of(s));
        }
        // Queue writes are ordered after the chunk already submitted, which still reads them.
        ctx.queue.write_buffer(&self.step_buffer, 0, &table);
        ctx.queue.write_buffer(
            &self.counters,
            ((counter::RING + half) * 4) as u64,
            bytemuck::bytes_of(&0u32),
        );
        // The steps network_coop ran; a dispatch per step runs the rest.
        let done = self.run_cooperatively(steps)?;
        let per_step = match &mut self.coop {
            Some(coop) => {
                if done < steps.len() {
                    coop.per_step_steps += (steps.len() - done) as u64;
                    // network_coop takes over again with every workgroup at the chunk's end.
                    let end = steps[0].step + steps.len() as u32;
                    ctx.queue.write_buffer(&coop.state, 0, &coop.state_at(end));
                }
                &coop.per_step
            }
            None => &self.update,
        };
        let groups = self.n_neurons.div_ceil(WORKGROUP_SIZE);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(per_step);
            for k in done..steps.len() {
                let offset = (k as u64 * self.step_stride) as u32;
                pass.set_bind_group(0, &self.bind_group, &[offset]);
                pass.dispatch_workgroups(groups, 1, 1);
            }
            // Its step uniform only tells it the chunk's half.
            pass.set_pipeline(&self.chunk_end);
            pass.set_bind_group(0, &self.bind_group, &[0]);
            pass.dispatch_workgroups(1, 1, 1);
        }
        // This chunk's half of the ring and trace goes to its own staging buffers.
        let staging = &self.staging[half];
        let ring_half = (self.ring_capacity * 8) as u64;
        let trace_half = (self.trace_capacity * self.width * size_of::<R>()) as u64;
        encoder.copy_buffer_to_buffer(
            &self.counters,
            0,
            &staging.counters,
            0,
            (counter::LEN * 4) as u64,
        );
        if ring_half > 0 {
            encoder.copy_buffer_to_buffer(
                &self.ring,
                half as u64 * ring_half,
                &staging.ring,
                0,
                ring_half,
            );
        }
        if n_samples > 0 {
            encoder.copy_buffer_to_buffer(
                &self.trace,
                half as u64 * trace_half,
                &staging.trace,
                0,
                trace_half,
            );
        }
        let submission = ctx.queue.submit([encoder.finish()]);
        // Drain the previous chunk while this one runs.
        let previous = self.pending.replace(Pending {
            half,
            n_samples,
            submission,
        });
        previous.map(|p| self.drain(p)).into_iter().collect()
    }

    fn finish(&mut self) -> Result<Finished<R>> {
        let last: Vec<ChunkRecords<R>> = self
            .pending
            .take()
            .map(|p| self.drain(p))
            .into_iter()
            .collect::<Result<_>>()?;
        let padded: Vec<R> = self
            .ctx
            .read_buffer(&self.states, "reading the final state")?;
        let stride = self.width.next_multiple_of(4);
        let states = padded
            .chunks(stride)
            .flat_map(|s| s[..self.width].iter().copied())
            .collect();
        let counters: Vec<u32> = self
            .ctx
            .read_buffer(&self.counters, "reading the spike counters")?;
        Ok(Finished {
            last,
            states,
            spike_total: counters[counter::TOTAL],
        })
    }
}
