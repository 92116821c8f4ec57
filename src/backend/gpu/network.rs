//! Networks on the GPU: the lowered network lives on the device; a chunk of steps is one
//! command buffer of one `network_update` dispatch per step (which also delivers the step's
//! spikes), each step selecting its `StepUniform` by dynamic offset, then one
//! `network_chunk_end` that adds the chunk's spike count to the run's; no host round trip
//! happens inside a chunk. After each chunk the host drains the spike ring and the trace.

use super::GpuContext;
use super::shader::Kernel;
use crate::error::{Error, Result};
use crate::integrate::Method;
use crate::layout::{StepUniform, WORKGROUP_SIZE, counter};
use crate::model::{Precision, Real};
use crate::network::NetState;
use crate::network::sim::{ChunkRecords, Finished, NetEngine, NetLowered};
use std::mem::size_of;
use wgpu::util::DeviceExt;

/// Storage buffers the network kernel binds (bindings 2–11).
const STORAGE_BINDINGS: u32 = 10;

/// Mappable buffers a chunk's records are copied into.
struct Staging {
    counters: wgpu::Buffer,
    ring: wgpu::Buffer,
    trace: wgpu::Buffer,
}

impl Staging {
    fn new<R>(
        device: &wgpu::Device,
        u: &crate::layout::NetUniforms<R>,
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
    states: wgpu::Buffer,
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

/// Whether a network whose CSR rows start at `row_start` fits the adapter: enough storage
/// bindings, the synapse arrays within one binding, and every row within the driver's loop limit
/// (a spiking neuron walks its row in one loop).
pub fn check_limits(ctx: &GpuContext, row_start: &[u32]) -> Result<()> {
    let n_synapses = row_start.last().copied().unwrap_or(0) as usize;
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
    let longest = row_start.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
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

/// How a step's spiking invocations walk their CSR rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowWalk {
    /// Each spiking invocation walks its own row (`network_update`).
    Lane,
    /// The lanes of a subgroup walk each spiking lane's row together (`network_update_subgroup`).
    Subgroup,
}

impl<'a, R: Real> GpuNetEngine<'a, R> {
    /// The engine with the fastest row walk the adapter supports.
    pub fn new(ctx: &'a GpuContext, lowered: &NetLowered<R>) -> Result<Self> {
        let walk = if ctx.adapter.subgroups {
            RowWalk::Subgroup
        } else {
            RowWalk::Lane
        };
        Self::with_row_walk(ctx, lowered, walk)
    }

    /// The engine with a chosen row walk (`Subgroup` needs an adapter with subgroups).
    pub fn with_row_walk(
        ctx: &'a GpuContext,
        lowered: &NetLowered<R>,
        walk: RowWalk,
    ) -> Result<Self> {
        check_limits(ctx, &lowered.row_start)?;
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
        ctx.checked("building the network kernels", || {
            let device = &ctx.device;
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
            let bind_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("network"),
                entries: &entries,
            });
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("network"),
                bind_group_layouts: &[Some(&bind_layout)],
                immediate_size: 0,
            });
            let pipeline = |kernel, constants: &[(&str, f64)]| {
                ctx.compute_pipeline(kernel, precision, Some(&pipeline_layout), constants)
            };
            let shared_params = lowered.params.iter().all(|p| *p == lowered.params[0]);
            let kernel = match walk {
                RowWalk::Lane => Kernel::NetworkUpdate,
                RowWalk::Subgroup => Kernel::NetworkUpdateSubgroup,
            };
            let update = pipeline(
                kernel,
                &[
                    ("METHOD", method),
                    ("MODEL", f64::from(u.model)),
                    ("SHARED_PARAMS", f64::from(u8::from(shared_params))),
                    ("RECORD_TRACE", f64::from(u8::from(u.n_recorded > 0))),
                ],
            );
            // common.wgsl's MODEL has no default, so every kernel that includes it needs a value.
            let chunk_end = pipeline(Kernel::NetworkChunkEnd, &[("MODEL", f64::from(u.model))]);
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
            let mut shared_bytes = bytemuck::bytes_of(&lowered.params[0]).to_vec();
            shared_bytes.resize(shared_bytes.len().next_multiple_of(16), 0);
            let shared = init("shared_params", &shared_bytes, wgpu::BufferUsages::UNIFORM);
            let states = init("states", bytemuck::cast_slice(&lowered.init), STORAGE);
            let params = init("params", bytemuck::cast_slice(&lowered.params), STORAGE);
            let flags = init("flags", bytemuck::cast_slice(&lowered.flags), STORAGE);
            let acc = init("acc", bytemuck::cast_slice(&vec![0u32; 4 * n]), STORAGE);
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
            let trace_len = (2 * u.trace_capacity as usize).max(1);
            let trace = init(
                "trace",
                bytemuck::cast_slice(&vec![NetState::<R>::default(); trace_len]),
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
            GpuNetEngine {
                ctx,
                update,
                chunk_end,
                bind_group,
                step_buffer,
                step_stride,
                states,
                acc,
                counters,
                ring,
                trace,
                n_neurons: u.n_neurons,
                n_recorded: u.n_recorded as usize,
                ring_capacity: u.ring_capacity as usize,
                trace_capacity: u.trace_capacity as usize,
                staging: [0, 1].map(|_| Staging::new(device, &u, size_of::<NetState<R>>())),
                pending: None,
                _real: std::marker::PhantomData,
            }
        })
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
        let mut trace: Vec<NetState<R>> = if trace_len > 0 {
            ctx.map_read(
                &staging.trace,
                (trace_len * size_of::<NetState<R>>()) as u64,
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
        let groups = self.n_neurons.div_ceil(WORKGROUP_SIZE);
        let mut encoder = ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.update);
            for k in 0..steps.len() {
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
        let trace_half = (self.trace_capacity * size_of::<NetState<R>>()) as u64;
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
        let states = self
            .ctx
            .read_buffer(&self.states, "reading the final state")?;
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
