//! Runs the `exp_check` kernel (shaders/exp_check.wgsl): the f64 prelude's software `exp` on a
//! list of arguments, so that it can be measured against the host's `f64::exp` (its twin,
//! `backend::cpu::exp_check`).

use super::GpuContext;
use crate::error::Result;
use crate::kernel::Precision;
use crate::kernel::shader::Kernel;
use wgpu::util::DeviceExt;

/// exp of every argument, computed on the GPU in f64. The context must have f64.
pub fn exp_check(ctx: &GpuContext, args: &[f64]) -> Result<Vec<f64>> {
    let kernel = Kernel::ExpCheck;
    let pipeline = ctx.compute_pipeline(
        kernel.entry_point(),
        crate::kernel::shader::assemble(kernel, Precision::F64),
        None,
        &[],
    )?;
    let (pipeline, bind_group, values) = ctx.checked("building the exp_check kernel", || {
        let device = &ctx.device;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC;
        let input = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("exp_args"),
            contents: bytemuck::cast_slice(args),
            usage,
        });
        let values = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("exp_values"),
            contents: bytemuck::cast_slice(args),
            usage,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("exp_check"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: input.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: values.as_entire_binding(),
                },
            ],
        });
        (pipeline, bind_group, values)
    })?;
    let mut encoder = ctx.device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups((args.len() as u32).div_ceil(64), 1, 1);
    }
    ctx.queue.submit([encoder.finish()]);
    ctx.read_buffer(&values, "reading exp_check results")
}
