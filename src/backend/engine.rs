//! Turning a backend choice and a precision into an engine, and running a population of
//! independent neurons or a network on it.

use super::cpu::network::CpuNetEngine;
use super::gpu::network::GpuNetEngine;
use super::gpu::{self, GpuContext};
use super::{BackendChoice, PopulationResult, cpu};
use crate::error::Result;
use crate::integrate::Method;
use crate::model::Precision;
use crate::network::Network;
use crate::network::sim::{self, NetConfig, NetResult};
use crate::population::{Population, RunConfig};

/// Where a run goes.
pub enum Engine {
    Cpu,
    Gpu(Box<GpuContext>),
}

impl Engine {
    /// `--backend gpu` fails without a usable adapter; `auto` falls back to the CPU with a note
    /// (also for methods only the CPU has).
    pub fn select(choice: BackendChoice, precision: Precision, method: Method) -> Result<Engine> {
        let need_f64 = precision == Precision::F64;
        match choice {
            BackendChoice::Cpu => Ok(Engine::Cpu),
            BackendChoice::Gpu => {
                gpu::population::kernel_for(method)?;
                Ok(Engine::Gpu(Box::new(GpuContext::new(need_f64)?)))
            }
            BackendChoice::Auto => {
                if gpu::population::kernel_for(method).is_err() {
                    eprintln!(
                        "note: --method {} runs on the CPU reference backend only",
                        method.name()
                    );
                    return Ok(Engine::Cpu);
                }
                match GpuContext::new(need_f64) {
                    Ok(ctx) => Ok(Engine::Gpu(Box::new(ctx))),
                    Err(e) => {
                        eprintln!("note: running on the CPU reference backend: {e}");
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

    /// Runs a validated population.
    pub fn run(
        &self,
        precision: Precision,
        pop: &Population,
        cfg: &RunConfig,
    ) -> Result<PopulationResult> {
        match (self, precision) {
            (Engine::Cpu, Precision::F32) => cpu::run_population::<f32>(pop, cfg),
            (Engine::Cpu, Precision::F64) => cpu::run_population::<f64>(pop, cfg),
            (Engine::Gpu(ctx), Precision::F32) => gpu::run_population::<f32>(ctx, pop, cfg),
            (Engine::Gpu(ctx), Precision::F64) => gpu::run_population::<f64>(ctx, pop, cfg),
        }
    }

    /// Runs a network (validated with `cfg`) on this engine; `progress` gets the steps done.
    pub fn run_network(
        &self,
        precision: Precision,
        net: &Network,
        cfg: &NetConfig,
        progress: impl FnMut(usize),
    ) -> Result<NetResult> {
        fn on<R: crate::model::Real>(
            engine: &Engine,
            net: &Network,
            cfg: &NetConfig,
            progress: impl FnMut(usize),
        ) -> Result<NetResult> {
            let lowered = sim::lower::<R>(net, cfg);
            match engine {
                Engine::Cpu => {
                    sim::run_network(cfg, &lowered, &mut CpuNetEngine::new(&lowered), progress)
                }
                Engine::Gpu(ctx) => sim::run_network(
                    cfg,
                    &lowered,
                    &mut GpuNetEngine::new(ctx, &lowered)?,
                    progress,
                ),
            }
        }
        match precision {
            Precision::F32 => on::<f32>(self, net, cfg, progress),
            Precision::F64 => on::<f64>(self, net, cfg, progress),
        }
    }
}
