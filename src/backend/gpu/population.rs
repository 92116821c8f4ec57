//! Independent neurons on the GPU: the lowered buffers live on the device, each chunk is one
//! dispatch per slice of at most the adapter's workgroup limit, with many steps looped inside
//! the kernel (state in registers). Kernels: shaders/integrate_exp_euler.wgsl and
//! shaders/integrate_rk4.wgsl; twins in src/backend/cpu/mod.rs.

use super::GpuContext;
use super::shader::Kernel;
use crate::backend::{FinalBuffers, Lowered, PopulationEngine, PopulationResult, lower, run_on};
use crate::error::{Error, Result};
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::layout::{RunUniforms, WORKGROUP_SIZE};
use crate::model::{Precision, Real, State};
use crate::population::{Population, RunConfig};
use std::mem::size_of;
use wgpu::util::DeviceExt;

/// The WGSL kernel for `method`, or an error for methods the CPU reference alone has.
pub fn kernel_for(method: Method) -> Result<Kernel> {
    match method {
        Method::ExpEuler => Ok(Kernel::IntegrateExpEuler),
        Method::Rk4 => Ok(Kernel::IntegrateRk4),
        other => Err(Error::invalid(
            "--method",
            other.name(),
            "exp-euler or rk4 on the GPU backend (euler and rk2 run with --backend cpu)",
        )),
    }
}

fn precision_of<R: Real>() -> Precision {
    if size_of::<R>() == 8 {
        Precision::F64
    } else {
        Precision::F32
    }
}

/// Buffers sized by the first chunk (the largest), made when it arrives.
struct ChunkBuffers {
    shared: wgpu::Buffer,
    noise: wgpu::Buffer,
    trace: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

struct GpuEngine<'a, R> {
    ctx: &'a GpuContext,
    pipeline: wgpu::ComputePipeline,
    uniforms: wgpu::Buffer,
    states: wgpu::Buffer,
    params: wgpu::Buffer,
    spike_count: wgpu::Buffer,
    spike_steps: wgpu::Buffer,
    status: wgpu::Buffer,
    chunk: Option<ChunkBuffers>,
    n_neurons: usize,
    /// Workgroups per dispatch at most; a larger population takes several dispatches.
    max_workgroups: u32,
    _real: std::marker::PhantomData<R>,
}

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl<'a, R: Real> GpuEngine<'a, R> {
    fn new(
        ctx: &'a GpuContext,
        kernel: Kernel,
        lowered: &Lowered<R>,
        stimulus: &Stimulus,
        max_workgroups: u32,
    ) -> Result<Self> {
        let n = lowered.params.len();
        let spike_slots = (n * lowered.spike_capacity as usize).max(1);
        let largest = (spike_slots * 4).max(n * size_of::<State<R>>());
        let limit = ctx.limits.max_storage_buffer_binding_size as usize;
        if largest > limit {
            return Err(Error::Gpu {
                context: format!("allocating buffers for {n} neurons"),
                message: format!(
                    "a buffer needs {largest} bytes but {} binds at most {limit}; run fewer neurons at once",
                    ctx.adapter.name
                ),
            });
        }
        let flag = |on: bool| f64::from(u8::from(on));
        let constants = [
            ("MODEL", f64::from(lowered.model)),
            ("RECORD_TRACE", flag(lowered.record_every > 0)),
            ("HAS_NOISE", flag(stimulus.noise.is_some())),
            ("RECORD_SPIKE_STEPS", flag(lowered.spike_capacity > 0)),
            ("HAS_SHARED_INPUT", flag(stimulus.has_shared())),
        ];
        let pipeline = ctx.compute_pipeline(
            kernel.entry_point(),
            super::shader::assemble(kernel, precision_of::<R>()),
            None,
            &constants,
        )?;
        ctx.checked("building the population kernel", || {
            let device = &ctx.device;
            let init = |label, contents: &[u8], usage| {
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents,
                    usage,
                })
            };
            GpuEngine {
                ctx,
                pipeline,
                uniforms: init(
                    "uniforms",
                    bytemuck::bytes_of(&RunUniforms::<R>::default()),
                    wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                ),
                states: init("states", bytemuck::cast_slice(&lowered.init), STORAGE),
                params: init("params", bytemuck::cast_slice(&lowered.params), STORAGE),
                spike_count: init("spike_count", bytemuck::cast_slice(&vec![0u32; n]), STORAGE),
                spike_steps: init(
                    "spike_steps",
                    bytemuck::cast_slice(&vec![0u32; spike_slots]),
                    STORAGE,
                ),
                status: init("status", bytemuck::cast_slice(&vec![0u32; n]), STORAGE),
                chunk: None,
                n_neurons: n,
                max_workgroups,
                _real: std::marker::PhantomData,
            }
        })
    }

    fn chunk_buffers(
        &self,
        shared_len: usize,
        noise_len: usize,
        trace_len: usize,
    ) -> Result<ChunkBuffers> {
        let ctx = self.ctx;
        ctx.checked("allocating chunk buffers", || {
            let buffer = |label, size: usize| {
                ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: size as u64,
                    usage: STORAGE,
                    mapped_at_creation: false,
                })
            };
            let real = size_of::<R>();
            // Unused bindings still need a non-empty buffer.
            let shared = buffer("shared_input", shared_len.max(1) * real);
            let noise = buffer("noise", noise_len.max(1) * real);
            let trace = buffer("trace", trace_len.max(1) * size_of::<State<R>>());
            let buffers = [
                &self.uniforms,
                &self.states,
                &self.params,
                &shared,
                &noise,
                &self.spike_count,
                &self.spike_steps,
                &trace,
                &self.status,
            ];
            let entries: Vec<wgpu::BindGroupEntry> = buffers
                .iter()
                .enumerate()
                .map(|(binding, b)| wgpu::BindGroupEntry {
                    binding: binding as u32,
                    resource: b.as_entire_binding(),
                })
                .collect();
            let bind_group = ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("population"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &entries,
            });
            ChunkBuffers {
                shared,
                noise,
                trace,
                bind_group,
            }
        })
    }
}

impl<R: Real> PopulationEngine<R> for GpuEngine<'_, R> {
    fn run_chunk(
        &mut self,
        run: &RunUniforms<R>,
        shared: &[R],
        noise: &[R],
    ) -> Result<Vec<State<R>>> {
        let n = self.n_neurons;
        let samples = run.trace_samples();
        if self.chunk.is_none() {
            self.chunk = Some(self.chunk_buffers(shared.len(), noise.len(), samples * n)?);
        }
        let ctx = self.ctx;
        let chunk = self.chunk.as_ref().expect("made above");
        ctx.queue
            .write_buffer(&chunk.shared, 0, bytemuck::cast_slice(shared));
        if !noise.is_empty() {
            ctx.queue
                .write_buffer(&chunk.noise, 0, bytemuck::cast_slice(noise));
        }
        let groups_total = (n as u32).div_ceil(WORKGROUP_SIZE);
        let mut first_group = 0;
        while first_group < groups_total {
            let groups = (groups_total - first_group).min(self.max_workgroups);
            let slice = RunUniforms {
                first_neuron: first_group * WORKGROUP_SIZE,
                ..*run
            };
            ctx.queue
                .write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&slice));
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, &chunk.bind_group, &[]);
                pass.dispatch_workgroups(groups, 1, 1);
            }
            ctx.queue.submit([encoder.finish()]);
            first_group += groups;
        }
        if samples == 0 {
            ctx.wait("integrating a chunk")?;
            return Ok(Vec::new());
        }
        let mut trace: Vec<State<R>> = ctx.read_buffer(&chunk.trace, "reading the trace")?;
        trace.truncate(samples * n);
        Ok(trace)
    }

    fn finish(&mut self) -> Result<FinalBuffers<R>> {
        let ctx = self.ctx;
        Ok(FinalBuffers {
            states: ctx.read_buffer(&self.states, "reading the final state")?,
            spike_count: ctx.read_buffer(&self.spike_count, "reading spike counts")?,
            spike_steps: ctx.read_buffer(&self.spike_steps, "reading spike steps")?,
            status: ctx.read_buffer(&self.status, "reading the status")?,
        })
    }
}

/// Runs `pop` on the GPU in precision `R` (f64 needs a context opened with f64).
/// `pop` and `cfg` must be validated.
pub fn run_population<R: Real>(
    ctx: &GpuContext,
    pop: &Population,
    cfg: &RunConfig,
) -> Result<PopulationResult> {
    run_population_split::<R>(
        ctx,
        pop,
        cfg,
        ctx.limits.max_compute_workgroups_per_dimension,
    )
}

/// As [`run_population`], with at most `max_workgroups` workgroups per dispatch: tests use a
/// small value to exercise the split that populations beyond the adapter's limit take.
pub fn run_population_split<R: Real>(
    ctx: &GpuContext,
    pop: &Population,
    cfg: &RunConfig,
    max_workgroups: u32,
) -> Result<PopulationResult> {
    let kernel = kernel_for(cfg.method)?;
    let lowered = lower::<R>(pop, cfg)?;
    let mut engine = GpuEngine::new(ctx, kernel, &lowered, &pop.stimulus, max_workgroups.max(1))?;
    run_on(pop, cfg, &lowered, &mut engine)
}
