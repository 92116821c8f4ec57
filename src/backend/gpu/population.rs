//! The population kernel `integrate_model` (generated from a model file) on the device: its
//! pipeline, buffers and dispatches.

use super::GpuContext;
use crate::backend::population::{
    Buffers, MAX_POPULATION_CHUNK_STEPS, PopulationEngine, PopulationSetup, gpu_method,
};
use crate::error::Result;
use crate::kernel::Real;
use crate::kernel::layout::{PopulationRun, WORKGROUP_SIZE};
use std::mem::size_of;
use wgpu::util::DeviceExt;

// A chunk is one dispatch's step loop: it must stay within lavapipe's loop budget.
const _: () = assert!(MAX_POPULATION_CHUNK_STEPS as u64 <= super::device::LLVMPIPE_LOOP_ITERATIONS);

/// The kernel set up for one run.
pub struct GpuPopulationEngine<'a> {
    kernel: GpuKernel<'a>,
    bind_group: wgpu::BindGroup,
}

impl<'a> GpuPopulationEngine<'a> {
    pub fn new<R: Real>(ctx: &'a GpuContext, setup: PopulationSetup<'_, R>) -> Result<Self> {
        gpu_method(setup.method)?;
        (setup.sizes).check_bindings(ctx.limits.max_storage_buffer_binding_size)?;
        let source =
            crate::kernel::shader::assemble_population(setup.model, setup.method, R::PRECISION);
        let kernel = GpuKernel::new::<R>(ctx, &source, &setup)?;
        let bind_group = kernel.bind_group();
        Ok(GpuPopulationEngine { kernel, bind_group })
    }
}

impl<R: Real> PopulationEngine<R> for GpuPopulationEngine<'_> {
    fn run_chunk(
        &mut self,
        run: &PopulationRun<R>,
        shared: &[R],
        noise: &[R],
        n_samples: usize,
    ) -> Result<Vec<R>> {
        let kernel = &self.kernel;
        let ctx = kernel.ctx;
        ctx.queue.write_buffer(
            &kernel.buffers[SHARED_INPUT],
            0,
            bytemuck::cast_slice(shared),
        );
        if !noise.is_empty() {
            ctx.queue
                .write_buffer(&kernel.buffers[NOISE], 0, bytemuck::cast_slice(noise));
        }
        let n = run.n_neurons;
        let groups_total = n.div_ceil(WORKGROUP_SIZE);
        let max_groups = ctx.limits.max_compute_workgroups_per_dimension;
        let mut first_group = 0;
        while first_group < groups_total {
            let groups = (groups_total - first_group).min(max_groups);
            let slice = PopulationRun {
                first_neuron: first_group * WORKGROUP_SIZE,
                ..*run
            };
            ctx.queue
                .write_buffer(&kernel.uniforms, 0, &slice.uniform_bytes());
            let mut encoder = ctx.device.create_command_encoder(&Default::default());
            {
                let mut pass = encoder.begin_compute_pass(&Default::default());
                pass.set_pipeline(&kernel.pipeline);
                pass.set_bind_group(0, &self.bind_group, &[]);
                pass.dispatch_workgroups(groups, 1, 1);
            }
            ctx.queue.submit([encoder.finish()]);
            first_group += groups;
        }
        if n_samples > 0 {
            let ns = kernel.states_per_neuron;
            let bytes = (n_samples * n as usize * ns * size_of::<R>()) as u64;
            ctx.read_prefix::<R>(&kernel.buffers[TRACE], bytes, "reading the trace")
        } else {
            ctx.wait("integrating a chunk")?;
            Ok(Vec::new())
        }
    }

    fn finish(&mut self) -> Result<Buffers<R>> {
        let kernel = &self.kernel;
        let ctx = kernel.ctx;
        Ok(Buffers {
            states: ctx.read_buffer(&kernel.buffers[STATES], "reading the final state")?,
            spike_count: ctx.read_buffer(&kernel.buffers[SPIKE_COUNT], "reading spike counts")?,
            spike_steps: ctx.read_buffer(&kernel.buffers[SPIKE_STEPS], "reading spike steps")?,
            status: ctx.read_buffer(&kernel.buffers[STATUS], "reading the status")?,
        })
    }
}

/// The generated kernel on the device, with its buffers.
struct GpuKernel<'a> {
    ctx: &'a GpuContext,
    /// State variables per neuron (the trace's width).
    states_per_neuron: usize,
    pipeline: wgpu::ComputePipeline,
    uniforms: wgpu::Buffer,
    buffers: Vec<wgpu::Buffer>,
}

// The storage buffers in `GpuKernel::buffers`, in binding order (binding k + 1; binding 0 is
// the uniforms), as the generated kernel declares them.
const STATES: usize = 0;
const SHARED_INPUT: usize = 3;
const NOISE: usize = 4;
const SPIKE_COUNT: usize = 5;
const SPIKE_STEPS: usize = 6;
const TRACE: usize = 7;
const STATUS: usize = 8;

const STORAGE: wgpu::BufferUsages = wgpu::BufferUsages::STORAGE
    .union(wgpu::BufferUsages::COPY_SRC)
    .union(wgpu::BufferUsages::COPY_DST);

impl<'a> GpuKernel<'a> {
    fn new<R: Real>(
        ctx: &'a GpuContext,
        source: &str,
        setup: &PopulationSetup<'_, R>,
    ) -> Result<Self> {
        let (states, params, current) = (&setup.init, &setup.params, &setup.current);
        let n = current.len();
        let ns = setup.model.states.len();
        let chunk = setup.chunk_steps;
        let f = setup.features;
        let flag = |on: bool| f64::from(u8::from(on));
        let constants = [
            ("RECORD_TRACE", flag(f.record_trace)),
            ("HAS_NOISE", flag(f.noise)),
            ("HAS_SHARED_INPUT", flag(f.shared_input)),
            ("RECORD_SPIKE_STEPS", flag(f.spike_steps)),
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
            let (shared_len, trace_len) = (chunk, setup.samples_per_chunk * n * ns);
            let noise_len = if f.noise { chunk * n } else { 0 };
            let spike_slots = n * setup.spike_capacity;
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
                states_per_neuron: ns,
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
