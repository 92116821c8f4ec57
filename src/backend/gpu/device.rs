//! Finding, ranking and opening a wgpu adapter. Honours wgpu's environment variables
//! (`WGPU_BACKEND`, `WGPU_DEBUG`, …) and `WGPU_ADAPTER_NAME` (a case-insensitive part of the
//! name), requests only the features a run needs, and turns every failure into an `Err`.

use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// One adapter as `hhsim devices` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub f64: bool,
    /// Subgroup operations in compute shaders (the network kernel then walks rows by subgroup).
    pub subgroups: bool,
    /// The subgroup size where the adapter has one fixed size (lavapipe: 8).
    pub subgroup_size: Option<u32>,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_storage_buffers_per_shader_stage: u32,
}

fn summarize(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    let limits = adapter.limits();
    AdapterSummary {
        name: info.name,
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        f64: adapter.features().contains(wgpu::Features::SHADER_F64),
        subgroups: adapter.features().contains(wgpu::Features::SUBGROUP),
        subgroup_size: (adapter.features().contains(wgpu::Features::SUBGROUP)
            && info.subgroup_min_size == info.subgroup_max_size)
            .then_some(info.subgroup_min_size),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
    }
}

/// Real GPUs before virtual and software ones, native APIs before GL, and with f64 when asked.
fn rank(adapter: &wgpu::Adapter, need_f64: bool) -> (bool, u8, bool) {
    let info = adapter.get_info();
    let type_rank = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    };
    let lacks_f64 = need_f64 && !adapter.features().contains(wgpu::Features::SHADER_F64);
    (lacks_f64, type_rank, info.backend == wgpu::Backend::Gl)
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Every adapter, best first, with the reason the first one is picked.
fn ranked_adapters(need_f64: bool) -> (Vec<wgpu::Adapter>, String) {
    let mut adapters = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    let mut why = String::from(
        "the best-ranked adapter (discrete > integrated > virtual > CPU; Vulkan/Metal/DX12 before GL)",
    );
    if let Ok(wanted) = std::env::var("WGPU_ADAPTER_NAME") {
        let wanted = wanted.to_lowercase();
        adapters.retain(|a| a.get_info().name.to_lowercase().contains(&wanted));
        why = format!("the best adapter whose name contains WGPU_ADAPTER_NAME={wanted:?}");
    }
    adapters.sort_by_key(|a| rank(a, need_f64));
    if need_f64 {
        why += ", with f64 first";
    }
    (adapters, why)
}

/// All adapters and the index of the one `--backend auto` picks (f32 runs), with the reason.
pub fn list_adapters() -> (Vec<AdapterSummary>, Option<usize>, String) {
    let (adapters, why) = ranked_adapters(false);
    let picked = (!adapters.is_empty()).then_some(0);
    (adapters.iter().map(summarize).collect(), picked, why)
}

/// An open device and queue, with what the kernels need to know about them.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter: AdapterSummary,
    /// The limits the device was opened with (the adapter's own).
    pub limits: wgpu::Limits,
    /// Errors wgpu reported outside any error scope; checked after each submission.
    uncaptured: Arc<Mutex<Option<String>>>,
    /// Every compute pipeline compiled on this device, so that a kernel (a model file's
    /// generated one too) compiles once per process however often it runs.
    pipelines: Mutex<HashMap<PipelineKey, wgpu::ComputePipeline>>,
    /// The network kernels' bind group and pipeline layouts, made once: the cached network
    /// pipelines then fit every network engine's bind group.
    network_layout: OnceLock<(wgpu::BindGroupLayout, wgpu::PipelineLayout)>,
}

/// What a compiled pipeline depends on: its entry point, WGSL source, explicit layout (by
/// identity) and pipeline constants (by bits).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct PipelineKey {
    entry_point: String,
    source: String,
    layout: Option<wgpu::PipelineLayout>,
    constants: Vec<(String, u64)>,
}

/// Loop iterations lavapipe (llvmpipe) allows one shader invocation in all, counting every loop
/// together; beyond them every loop exits early, silently (Mesa's gallivm
/// `LP_MAX_TGSI_LOOP_ITERATIONS`, measured: a kernel looping over steps and synapses stopped
/// after 65 535 iterations of its loops together).
pub const LLVMPIPE_LOOP_ITERATIONS: u64 = 65_535;

/// The device [`GpuContext::shared`] hands out, with the process that opened it.
static SHARED: Mutex<Option<(u32, Arc<GpuContext>)>> = Mutex::new(None);
/// How many devices [`GpuContext::shared`] has opened in this process (1 once one is open).
static SHARED_OPENED: AtomicUsize = AtomicUsize::new(0);

impl GpuContext {
    /// The process's one device, opened on first use (with f64 where the adapter has it) and
    /// reused by every later call: opening several devices crashes some drivers. A forked child
    /// opens its own and leaves its parent's untouched.
    pub fn shared(need_f64: bool) -> Result<Arc<GpuContext>> {
        let mut slot = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        let pid = std::process::id();
        if let Some((owner, ctx)) = slot.take() {
            if owner != pid {
                // The parent's driver state is not ours to free in a forked child.
                std::mem::forget(ctx);
            } else {
                let has_f64 = ctx.device.features().contains(wgpu::Features::SHADER_F64);
                let ctx = slot.insert((owner, ctx)).1.clone();
                if need_f64 && !has_f64 {
                    return Err(Error::NoF64 {
                        adapter: format!("{} ({})", ctx.adapter.name, ctx.adapter.backend),
                    });
                }
                return Ok(ctx);
            }
        }
        let ctx = match GpuContext::new(true) {
            Ok(ctx) => ctx,
            Err(_) if !need_f64 => GpuContext::new(false)?,
            Err(e) => return Err(e),
        };
        SHARED_OPENED.fetch_add(1, Ordering::Relaxed);
        Ok(slot.insert((pid, Arc::new(ctx))).1.clone())
    }

    /// How many devices [`GpuContext::shared`] has opened in this process (for tests that
    /// check that runs reuse one).
    pub fn shared_devices_opened() -> usize {
        SHARED_OPENED.load(Ordering::Relaxed)
    }

    /// The most loop iterations one invocation may run, where the driver has a limit.
    pub fn loop_iteration_limit(&self) -> Option<u64> {
        self.adapter
            .name
            .contains("llvmpipe")
            .then_some(LLVMPIPE_LOOP_ITERATIONS)
    }

    /// Opens the best adapter; with `need_f64`, one with SHADER_F64 or an error naming the
    /// adapter that lacks it.
    pub fn new(need_f64: bool) -> Result<Self> {
        let (adapters, _) = ranked_adapters(need_f64);
        let Some(adapter) = adapters.into_iter().next() else {
            let detail = match std::env::var("WGPU_ADAPTER_NAME") {
                Ok(name) => format!(" whose name contains WGPU_ADAPTER_NAME={name:?}"),
                Err(_) => String::new(),
            };
            return Err(Error::NoAdapter { detail });
        };
        let summary = summarize(&adapter);
        if need_f64 && !summary.f64 {
            return Err(Error::NoF64 {
                adapter: format!("{} ({})", summary.name, summary.backend),
            });
        }
        let mut features = wgpu::Features::empty();
        if need_f64 {
            features |= wgpu::Features::SHADER_F64;
        }
        if summary.subgroups {
            features |= wgpu::Features::SUBGROUP;
        }
        let limits = adapter.limits();
        let descriptor = wgpu::DeviceDescriptor {
            label: Some("hhsim"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        };
        let (device, queue) =
            pollster::block_on(adapter.request_device(&descriptor)).map_err(|e| Error::Gpu {
                context: format!("opening {}", summary.name),
                message: e.to_string(),
            })?;
        let uncaptured = Arc::new(Mutex::new(None));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().get_or_insert_with(|| e.to_string());
        }));
        Ok(GpuContext {
            device,
            queue,
            adapter: summary,
            limits,
            uncaptured,
            pipelines: Mutex::new(HashMap::new()),
            network_layout: OnceLock::new(),
        })
    }

    /// The compute pipeline of entry point `entry_point` in `source`, with the pipeline
    /// constants given and either an explicit layout or one derived from the shader: compiled
    /// on first use, then taken from this device's cache. A pipeline that fails to compile is
    /// not kept.
    pub fn compute_pipeline(
        &self,
        entry_point: &str,
        source: String,
        layout: Option<&wgpu::PipelineLayout>,
        constants: &[(&str, f64)],
    ) -> Result<wgpu::ComputePipeline> {
        let key = PipelineKey {
            entry_point: entry_point.to_string(),
            source,
            layout: layout.cloned(),
            constants: constants
                .iter()
                .map(|&(name, value)| (name.to_string(), value.to_bits()))
                .collect(),
        };
        let cache = || self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(pipeline) = cache().get(&key) {
            return Ok(pipeline.clone());
        }
        let pipeline = self.checked(&format!("compiling {entry_point}"), || {
            let module = self
                .device
                .create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(entry_point),
                    source: wgpu::ShaderSource::Wgsl(key.source.as_str().into()),
                });
            self.device
                .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry_point),
                    layout,
                    module: &module,
                    entry_point: Some(entry_point),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants,
                        ..Default::default()
                    },
                    cache: None,
                })
        })?;
        cache().insert(key, pipeline.clone());
        Ok(pipeline)
    }

    /// How many pipelines this device has compiled (each once).
    pub fn compiled_pipelines(&self) -> usize {
        self.pipelines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// The network kernels' layouts, made by `make` on first use.
    pub fn network_layout(
        &self,
        make: impl FnOnce(&wgpu::Device) -> (wgpu::BindGroupLayout, wgpu::PipelineLayout),
    ) -> (wgpu::BindGroupLayout, wgpu::PipelineLayout) {
        self.network_layout
            .get_or_init(|| make(&self.device))
            .clone()
    }

    /// Runs `make` inside validation and out-of-memory error scopes, turning what they catch
    /// into an `Err` that names `context`.
    pub fn checked<T>(&self, context: &str, make: impl FnOnce() -> T) -> Result<T> {
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let value = make();
        let errors = [
            pollster::block_on(validation.pop()),
            pollster::block_on(oom.pop()),
        ];
        match errors.into_iter().flatten().next() {
            Some(e) => Err(Error::Gpu {
                context: context.to_string(),
                message: e.to_string(),
            }),
            None => Ok(value),
        }
    }

    /// Waits for all submitted work and reports any error wgpu raised meanwhile.
    pub fn wait(&self, context: &str) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .map_err(|e| Error::Gpu {
                context: context.to_string(),
                message: e.to_string(),
            })?;
        match self.uncaptured.lock().unwrap().take() {
            Some(message) => Err(Error::Gpu {
                context: context.to_string(),
                message,
            }),
            None => Ok(()),
        }
    }

    /// Maps the first `bytes` of a MAP_READ buffer once `submission` is done and copies them out.
    pub fn map_read<T: bytemuck::Pod>(
        &self,
        staging: &wgpu::Buffer,
        bytes: u64,
        submission: &wgpu::SubmissionIndex,
        context: &str,
    ) -> Result<Vec<T>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let fail = |message: String| Error::Gpu {
            context: context.to_string(),
            message,
        };
        let mapped = Arc::new(Mutex::new(None));
        let sink = mapped.clone();
        staging.map_async(wgpu::MapMode::Read, ..bytes, move |r| {
            *sink.lock().unwrap() = Some(r)
        });
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: Some(submission.clone()),
                timeout: None,
            })
            .map_err(|e| fail(e.to_string()))?;
        // The map callback runs during a poll; the one above may have returned before it.
        while mapped.lock().unwrap().is_none() {
            self.device
                .poll(wgpu::PollType::Wait {
                    submission_index: None,
                    timeout: None,
                })
                .map_err(|e| fail(e.to_string()))?;
        }
        if let Some(message) = self.uncaptured.lock().unwrap().take() {
            return Err(fail(message));
        }
        match mapped.lock().unwrap().take() {
            Some(Ok(())) => {}
            other => {
                return Err(fail(format!(
                    "mapping the read-back buffer failed: {other:?}"
                )));
            }
        }
        let view = staging
            .get_mapped_range(..bytes)
            .map_err(|e| fail(e.to_string()))?;
        let data = bytemuck::pod_collect_to_vec::<u8, T>(&view);
        drop(view);
        staging.unmap();
        Ok(data)
    }

    /// Copies `buffer` back to the host.
    pub fn read_buffer<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        context: &str,
    ) -> Result<Vec<T>> {
        self.read_prefix(buffer, buffer.size(), context)
    }

    /// Copies the first `bytes` of `buffer` (a multiple of 4) back to the host.
    pub fn read_prefix<T: bytemuck::Pod>(
        &self,
        buffer: &wgpu::Buffer,
        bytes: u64,
        context: &str,
    ) -> Result<Vec<T>> {
        let size = bytes.max(4);
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.queue.submit([encoder.finish()]);
        let mapped = Arc::new(Mutex::new(None));
        let sink = mapped.clone();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            *sink.lock().unwrap() = Some(r)
        });
        self.wait(context)?;
        match mapped.lock().unwrap().take() {
            Some(Ok(())) => {}
            other => {
                return Err(Error::Gpu {
                    context: context.to_string(),
                    message: format!("mapping the read-back buffer failed: {other:?}"),
                });
            }
        }
        let view = staging.get_mapped_range(..).map_err(|e| Error::Gpu {
            context: context.to_string(),
            message: e.to_string(),
        })?;
        // Collecting copies into a Vec<T>, which is aligned for T whatever the mapping's alignment.
        let data = bytemuck::pod_collect_to_vec::<u8, T>(&view);
        drop(view);
        staging.unmap();
        Ok(data)
    }
}
