//! The gNa × I sweep from Rust: a grid spec, a run, an ndarray of spike counts.
//!
//! cargo run --release --example sweep

use hhsim::backend::{BackendChoice, Engine};
use hhsim::sweep::grid::Grid;

fn main() -> hhsim::Result<()> {
    // Brian2's job (300 × 300 cells, 1 s), here on a 60 × 60 grid for a quick look.
    let mut spec = Grid::brian2_gna_current();
    for axis in &mut spec.axes {
        axis.count = 60;
    }
    let engine = Engine::select(BackendChoice::Auto, spec.precision, spec.method)?;
    let counts = spec.run(&engine)?; // rows = current, columns = gNa

    let duration_s = spec.n_steps as f64 * spec.dt_ms / 1000.0;
    let rates = counts.mapv(|c| c as f64 / duration_s);
    let gna = spec.axes[0].values();
    let current = spec.axes[1].values();
    let (row, col) = (current.len() - 1, gna.len() - 1);
    println!(
        "{} cells on {}",
        spec.n_cells(),
        engine.adapter_name().unwrap_or("the CPU".into())
    );
    println!(
        "rate at gNa = {} mS/cm², I = {} pA: {} Hz",
        gna[col],
        current[row],
        rates[[row, col]]
    );
    println!(
        "silent cells: {}",
        counts.iter().filter(|&&c| c == 0).count()
    );
    Ok(())
}
