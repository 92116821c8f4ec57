//! A model file from Rust: load it, see what it costs, and run a population of it; prints the
//! time to generate the kernel (WGSL from the op tape), validate it with naga and compile it
//! into a GPU pipeline.
//!
//! cargo run --release --example model_file [-- models/traub_km.toml]

use hhsim::backend::population::{Population, RunConfig};
use hhsim::backend::{BackendChoice, Engine};
use hhsim::input::Stimulus;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::kernel::steady;
use hhsim::kernel::{lower, shader};
use hhsim::model::Model;
use std::time::Instant;

fn main() -> hhsim::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or("models/traub_km.toml".into());
    let model = Model::load(std::path::Path::new(&path))?;
    hhsim::kernel::check::check_model(&model)?;
    let tape = lower::exp_euler_tape(&model, true, true).tape;
    println!(
        "{}: states {}, {} ops and {} exp per exponential-Euler step",
        model.name,
        model.states.join(", "),
        tape.ops.len(),
        tape.exp_count()
    );

    let started = Instant::now();
    let source = shader::assemble_population(&model, Method::ExpEuler, Precision::F32);
    let generated = started.elapsed();
    hhsim::kernel::shader::validate(&source).expect("generated kernels validate");
    let validated = started.elapsed();
    println!(
        "kernel: generated in {:.2} ms, validated by naga in {:.2} ms",
        generated.as_secs_f64() * 1e3,
        (validated - generated).as_secs_f64() * 1e3
    );

    let engine = Engine::select(BackendChoice::Auto, Precision::F32, Method::ExpEuler)?;
    let params = model.default_parameters();
    let n = 1000;
    let pop = Population {
        init: vec![steady::initial_state(&model, &params); n],
        params: vec![params; n],
        current: (0..n).map(|k| 300.0 * k as f64 / n as f64).collect(),
        threshold: vec![model.threshold; n],
        stimulus: Stimulus::default(),
        first_index: 0,
        model,
    };
    // A one-step run times the pipeline compilation (and one dispatch) on this adapter.
    let short = RunConfig {
        method: Method::ExpEuler,
        dt_ms: 0.1,
        n_steps: 1,
        record_every: 0,
        spike_steps: true,
    };
    let started = Instant::now();
    engine.run_population(Precision::F32, &pop, &short)?;
    println!(
        "pipeline compiled and one step run in {:.1} ms on {}",
        started.elapsed().as_secs_f64() * 1e3,
        engine.adapter_name().unwrap_or("the CPU".into())
    );
    // Each run compiles its pipeline again: the difference of a 2 s and a 1 s run is the cost
    // of one simulated second alone.
    let mut seconds = Vec::new();
    for n_steps in [10_000, 20_000] {
        let cfg = RunConfig { n_steps, ..short };
        let started = Instant::now();
        let result = engine.run_population(Precision::F32, &pop, &cfg)?;
        seconds.push(started.elapsed().as_secs_f64());
        println!(
            "{n} neurons × {} s: {} spikes in {:.3} s",
            n_steps / 10_000,
            result.spikes.len(),
            seconds[seconds.len() - 1]
        );
    }
    let marginal = seconds[1] - seconds[0];
    println!(
        "one simulated second: {marginal:.3} s ({:.3e} neuron-steps/s)",
        (n * 10_000) as f64 / marginal
    );
    Ok(())
}
