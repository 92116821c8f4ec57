//! `hhsim models`: the bundled model files, listed with their states, parameters and cost, or
//! one of them printed as TOML (a starting point for a model of one's own).

use crate::error::Result;
use crate::model::Precision;
use crate::model_file::{BUNDLED, Model, lower, wgsl};
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct ModelsArgs {
    /// Print this bundled model's file (e.g. `hhsim models traub > mine.toml`).
    name: Option<String>,
}

pub fn run(args: ModelsArgs) -> Result<()> {
    if let Some(name) = &args.name {
        Model::bundled(name)?;
        let (_, text) = BUNDLED
            .iter()
            .find(|(n, _)| n == name)
            .expect("checked above");
        print!("{text}");
        return Ok(());
    }
    println!(
        "{:<10} {:<8} {:<16} {:>9} {:>14}  parameters",
        "model", "units", "states", "exp/step", "WGSL ms (f32)"
    );
    for (name, _) in BUNDLED {
        let model = Model::bundled(name)?;
        let exps = lower::exp_euler_tape(&model, true, true).tape.exp_count();
        // Generating the functions and validating them with naga, as a run would.
        let started = Instant::now();
        let source = wgsl::module(&model, Precision::F32);
        crate::backend::gpu::shader::validate(&source).map_err(|message| crate::Error::Gpu {
            context: format!("validating the generated shader of {name}"),
            message,
        })?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let params: Vec<&str> = model.parameters.iter().map(|(n, _)| n.as_str()).collect();
        println!(
            "{name:<10} {:<8} {:<16} {exps:>9} {ms:>14.1}  {}",
            format!("{:?}", model.units).to_lowercase(),
            model.states.join(","),
            params.join(" ")
        );
    }
    println!("\n`hhsim models NAME` prints a model's file.");
    Ok(())
}
