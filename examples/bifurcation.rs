//! The classic model's bifurcation diagram in the injected current, with the 1952 textbook leak:
//! equilibria, Hopf points, and the stable cycles of an up- and a down-sweep.
//!
//! cargo run --release --example bifurcation

use hhsim::analysis::{BifurcationSpec, CycleSearch, Parameter, System, bifurcation};
use hhsim::backend::{BackendChoice, Engine};
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::model::Model;

fn main() -> hhsim::Result<()> {
    let hh = System::new(Model::bundled("hh")?, 0.0);
    let base = hh.with(hh.parameter("gl")?, 0.3);
    let search = CycleSearch {
        method: Method::ExpEuler,
        precision: Precision::F64,
        dt_ms: 0.01,
        transient_ms: 300.0,
        window_ms: 100.0,
    };
    let spec = BifurcationSpec {
        base,
        param: Parameter::Current,
        values: (0..=400).map(|k| k as f64 * 0.5).collect(),
        search,
    };
    let engine = Engine::select(BackendChoice::Auto, search.precision, search.method)?;
    let d = bifurcation(&engine, &spec, |stage| eprintln!("{stage}"))?;
    for h in &d.hopf {
        println!(
            "Hopf point at I = {:.6} µA/cm², onset {:.1} Hz",
            h.value, h.frequency_hz
        );
    }
    for f in &d.cycle_fold {
        println!(
            "{:?}-sweep cycles end at I = {:.6} µA/cm² ({})",
            f.direction, f.value, f.located_by
        );
    }
    Ok(())
}
