//! Turning a backend choice and a precision into an engine, and running a population of
//! independent neurons or a network on it.

use super::BackendChoice;
use super::cpu::network::CpuNetEngine;
use super::cpu::population::CpuPopulationEngine;
use super::gpu::GpuContext;
use super::gpu::network::GpuNetEngine;
use super::gpu::population::GpuPopulationEngine;
use super::population::{self, Population, PopulationResult, RunConfig};
use crate::backend::network::{self as net, NetConfig, NetResult};
use crate::error::Result;
use crate::integrate::Method;
use crate::kernel::Precision;
use crate::monitor::SpikeSink;
use crate::network::Network;
use std::sync::Arc;

/// Where a run goes.
pub enum Engine {
    Cpu,
    Gpu(Arc<GpuContext>),
}

impl Engine {
    /// `--backend gpu` fails without a usable adapter; `auto` falls back to the CPU with a note
    /// (also for methods only the CPU has). Opens a device of its own.
    pub fn select(choice: BackendChoice, precision: Precision, method: Method) -> Result<Engine> {
        Self::select_with(choice, precision, method, |need_f64| {
            GpuContext::new(need_f64).map(Arc::new)
        })
    }

    /// As [`Engine::select`], but on the process's one shared device
    /// ([`GpuContext::shared`]): for hosts that run many jobs in one process.
    pub fn select_shared(
        choice: BackendChoice,
        precision: Precision,
        method: Method,
    ) -> Result<Engine> {
        Self::select_with(choice, precision, method, GpuContext::shared)
    }

    fn select_with(
        choice: BackendChoice,
        precision: Precision,
        method: Method,
        open: impl Fn(bool) -> Result<Arc<GpuContext>>,
    ) -> Result<Engine> {
        let need_f64 = precision == Precision::F64;
        match choice {
            BackendChoice::Cpu => Ok(Engine::Cpu),
            BackendChoice::Gpu => {
                population::gpu_method(method)?;
                Ok(Engine::Gpu(open(need_f64)?))
            }
            BackendChoice::Auto => {
                if population::gpu_method(method).is_err() {
                    crate::notes::note(&format!(
                        "--method {} runs on the CPU reference backend only",
                        method.name()
                    ));
                    return Ok(Engine::Cpu);
                }
                match open(need_f64) {
                    Ok(ctx) => Ok(Engine::Gpu(ctx)),
                    Err(e) => {
                        crate::notes::note(&format!("running on the CPU reference backend: {e}"));
                        Ok(Engine::Cpu)
                    }
                }
            }
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Engine::Cpu => "cpu",
            Engine::Gpu(_) => "gpu",
        }
    }

    pub fn adapter_name(&self) -> Option<String> {
        match self {
            Engine::Cpu => None,
            Engine::Gpu(ctx) => Some(format!("{} ({})", ctx.adapter.name, ctx.adapter.backend)),
        }
    }

    /// Runs a population of a model file on this engine in `precision`: the generated kernel,
    /// or its CPU twin.
    pub fn run_population(
        &self,
        precision: Precision,
        pop: &Population,
        cfg: &RunConfig,
    ) -> Result<PopulationResult> {
        fn on<R: crate::kernel::Real>(
            engine: &Engine,
            pop: &Population,
            cfg: &RunConfig,
        ) -> Result<PopulationResult> {
            population::run_population::<R>(pop, cfg, |setup| match engine {
                Engine::Cpu => Ok(Box::new(CpuPopulationEngine::new(setup))),
                Engine::Gpu(ctx) => Ok(Box::new(GpuPopulationEngine::new(ctx, setup)?)),
            })
        }
        match precision {
            Precision::F32 => on::<f32>(self, pop, cfg),
            Precision::F64 => on::<f64>(self, pop, cfg),
        }
    }

    /// Runs a network (validated with `cfg`) on this engine; its spikes go to `spikes` chunk by
    /// chunk and `progress` gets the steps done.
    pub fn run_network(
        &self,
        precision: Precision,
        net: &Network,
        cfg: &NetConfig,
        spikes: &mut dyn SpikeSink,
        progress: impl FnMut(usize) -> Result<()>,
    ) -> Result<NetResult> {
        fn on<R: crate::kernel::Real>(
            engine: &Engine,
            net: &Network,
            cfg: &NetConfig,
            spikes: &mut dyn SpikeSink,
            progress: impl FnMut(usize) -> Result<()>,
        ) -> Result<NetResult> {
            let lowered = net::lower::<R>(net, cfg);
            match engine {
                Engine::Cpu => {
                    let mut cpu = CpuNetEngine::new(&lowered);
                    net::run_network(cfg, &lowered, &mut cpu, spikes, progress)
                }
                Engine::Gpu(ctx) => {
                    let mut gpu = GpuNetEngine::new(ctx, &lowered)?;
                    net::run_network(cfg, &lowered, &mut gpu, spikes, progress)
                }
            }
        }
        match precision {
            Precision::F32 => on::<f32>(self, net, cfg, spikes, progress),
            Precision::F64 => on::<f64>(self, net, cfg, spikes, progress),
        }
    }
}

/// Runs `net` with `cfg` on the backend chosen as `hhsim --backend` would choose it, keeping
/// its spikes in memory.
pub fn simulate(
    net: &crate::network::Network,
    cfg: &crate::backend::network::NetConfig,
    backend: BackendChoice,
    precision: crate::kernel::Precision,
) -> Result<(crate::backend::network::NetResult, crate::monitor::Spikes)> {
    cfg.validate(net)?;
    let engine = Engine::select(backend, precision, cfg.method)?;
    let mut spikes = crate::monitor::SpikeList::new();
    let result = engine.run_network(precision, net, cfg, &mut spikes, |_| Ok(()))?;
    Ok((result, spikes.spikes))
}
