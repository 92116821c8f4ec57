//! `hhsim models`: the bundled model files, listed with their states, parameters and cost, or
//! one of them printed as TOML (a starting point for a model of one's own).

use crate::backend::Engine;
use crate::backend::gpu::GpuContext;
use crate::backend::population::{Population, RunConfig};
use crate::error::Result;
use crate::input::Stimulus;
use crate::integrate::Method;
use crate::kernel::check::check_model;
use crate::kernel::{Precision, lower, steady};
use crate::model::{BUNDLED, Model};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct ModelsArgs {
    /// Print this bundled model's file (e.g. `hhsim models traub > mine.toml`), or check the
    /// model file at this path and print it.
    name: Option<String>,
    /// Also time each model's first run on the GPU adapter: one neuron, one exponential-Euler
    /// step, in f32 and (where the adapter has it) f64, from the model to the step's result.
    /// That is the generated kernel's generation, validation and compile (drivers such as
    /// llvmpipe finish compiling at the first dispatch) plus one small dispatch. A driver's
    /// on-disk shader cache (Mesa's, e.g.) can serve a kernel compiled by an earlier process;
    /// `MESA_SHADER_CACHE_DISABLE=true` measures cold compiles there.
    #[arg(long, conflicts_with = "name")]
    compile: bool,
}

pub fn run(args: ModelsArgs) -> Result<()> {
    if let Some(name) = &args.name {
        // A bundled model by name, or a model file by path (checked, as a run would read it).
        let model = match std::path::Path::new(name).is_file() {
            true if !BUNDLED.iter().any(|(n, _)| n == name) => {
                Model::load(std::path::Path::new(name))?
            }
            _ => Model::bundled(name)?,
        };
        check_model(&model)?;
        print!("{}", model.source);
        return Ok(());
    }
    // f64 where the adapter has it, else f32 alone.
    let gpu = match args.compile {
        true => Some(Arc::new(
            GpuContext::new(true).or_else(|_| GpuContext::new(false))?,
        )),
        false => None,
    };
    let compile_columns = match &gpu {
        Some(ctx) => {
            println!("adapter: {} ({})", ctx.adapter.name, ctx.adapter.backend);
            format!(" {:>18} {:>18}", "first step ms f32", "first step ms f64")
        }
        None => String::new(),
    };
    println!(
        "{:<10} {:<8} {:<16} {:>9} {:>14}{compile_columns}  parameters",
        "model", "units", "states", "exp/step", "WGSL ms (f32)"
    );
    for (name, _) in BUNDLED {
        let model = Model::bundled(name)?;
        let exps = lower::exp_euler_tape(&model, true, true).tape.exp_count();
        // Generating the functions and validating them with naga, as a run would.
        let started = Instant::now();
        let source = crate::kernel::shader::model_module(&model, Precision::F32);
        crate::kernel::shader::validate(&source).map_err(|message| crate::Error::Gpu {
            context: format!("validating the generated shader of {name}"),
            message,
        })?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let mut compiled = String::new();
        if let Some(ctx) = &gpu {
            for precision in [Precision::F32, Precision::F64] {
                if precision == Precision::F64 && !ctx.adapter.f64 {
                    compiled += &format!(" {:>18}", "-");
                    continue;
                }
                let ms = first_step_ms(&Engine::Gpu(ctx.clone()), &model, precision)?;
                compiled += &format!(" {ms:>18.1}");
            }
        }
        let params: Vec<&str> = model.parameters.iter().map(|(n, _)| n.as_str()).collect();
        println!(
            "{name:<10} {:<8} {:<16} {exps:>9} {ms:>14.1}{compiled}  {}",
            format!("{:?}", model.units).to_lowercase(),
            model.states.join(","),
            params.join(" ")
        );
    }
    println!("\n`hhsim models NAME` prints a model's file.");
    Ok(())
}

/// Milliseconds from `model` to the result of one exponential-Euler step of one neuron on
/// `engine`: for a model not run before in this process, the kernel's generation, validation
/// and compile, and one dispatch.
fn first_step_ms(engine: &Engine, model: &Model, precision: Precision) -> Result<f64> {
    let params = model.default_parameters();
    let pop = Population {
        init: vec![steady::initial_state(model, &params)],
        params: vec![params],
        current: vec![0.0],
        threshold: vec![model.threshold],
        stimulus: Stimulus::default(),
        first_index: 0,
        model: model.clone(),
    };
    let cfg = RunConfig {
        method: Method::ExpEuler,
        dt_ms: 0.01,
        n_steps: 1,
        record_every: 0,
        spike_steps: false,
    };
    let started = Instant::now();
    engine.run_population(precision, &pop, &cfg)?;
    Ok(started.elapsed().as_secs_f64() * 1e3)
}
