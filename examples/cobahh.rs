//! COBA-HH (Brette et al. 2007) in a few lines, like Brian2's `examples/COBAHH.py`:
//! 3200 excitatory and 800 inhibitory Traub–Miles neurons, 1 s at dt 0.1 ms.
//!
//! cargo run --release --example cobahh

use hhsim::backend::BackendChoice;
use hhsim::backend::network::NetConfig;
use hhsim::backend::simulate;
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::network::cobahh::{self, Variant};

fn main() -> hhsim::Result<()> {
    let net = cobahh::CobaHh::new(Variant::Brian2, 1.0, 42).build()?;
    let config = NetConfig {
        method: Method::ExpEuler,
        dt_ms: 0.1,
        duration_ms: 1000.0,
        record: vec![0, 3200],
        record_every: 1,
    };
    let (run, spikes) = simulate(&net, &config, BackendChoice::Auto, Precision::F32)?;

    let (e, i) = (&net.ranges[0], &net.ranges[1]);
    println!(
        "{} neurons, {} synapses, {} spikes (the first at {:?} ms)",
        net.n_neurons(),
        net.n_synapses(),
        spikes.len(),
        spikes.times_ms(config.dt_ms).first()
    );
    println!(
        "E rate {:.1} Hz, I rate {:.1} Hz",
        run.tally.group_rate_hz(e, config.duration_ms),
        run.tally.group_rate_hz(i, config.duration_ms)
    );
    Ok(())
}
