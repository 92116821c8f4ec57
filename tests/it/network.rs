//! COBA-HH on both backends: f64 GPU spike-for-spike with the f64 CPU reference, f32 statistics
//! against f64 over five seeds, a stress network that loses no spike, and the delivery of spikes
//! in isolation against the twin.

use crate::common;

use hhsim::backend::Engine;
use hhsim::backend::cpu::network::CpuNetEngine;
use hhsim::backend::gpu::GpuContext;
use hhsim::backend::gpu::network::{GpuNetEngine, RowWalk, Stepping};
use hhsim::backend::network::{NetConfig, NetResult, lower, run_network};
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::monitor::{SpikeList, SpikeSink, Spikes};
use hhsim::network::Network;
use hhsim::network::cobahh::{CobaHh, Variant};

fn config(duration_ms: f64) -> NetConfig {
    NetConfig {
        method: Method::ExpEuler,
        dt_ms: 0.1,
        duration_ms,
        record: vec![],
        record_every: 1,
    }
}

/// A run's result and its spikes, kept in memory.
struct Ran {
    result: NetResult,
    spikes: Spikes,
}

fn kept(run: impl FnOnce(&mut dyn SpikeSink) -> hhsim::Result<NetResult>) -> Ran {
    let mut list = SpikeList::new();
    let result = run(&mut list).unwrap();
    Ran {
        result,
        spikes: list.spikes,
    }
}

fn run(engine: &Engine, precision: Precision, net: &Network, cfg: &NetConfig) -> Ran {
    cfg.validate(net).unwrap();
    kept(|spikes| engine.run_network(precision, net, cfg, spikes, |_| Ok(())))
}

fn gpu_engine(need_f64: bool) -> Option<Engine> {
    common::gpu(need_f64).map(|ctx| Engine::Gpu(std::sync::Arc::new(ctx)))
}

#[test]
fn f64_gpu_network_spikes_equal_the_cpu_for_both_variants() {
    let Some(gpu) = gpu_engine(true) else { return };
    for variant in [Variant::Brian2, Variant::Brainpy] {
        let net = CobaHh::new(variant, 1.0, 7).build().unwrap();
        let cfg = config(1000.0);
        let g = run(&gpu, Precision::F64, &net, &cfg);
        // The fixture is the CPU's list for Brian2's variant (the CPU reference is slow in f64).
        let c = match variant {
            Variant::Brian2 => seed7_fixture(),
            Variant::Brainpy => run(&Engine::Cpu, Precision::F64, &net, &cfg).spikes,
        };
        eprintln!(
            "{variant:?}: {} spikes on the CPU, {} on the GPU",
            c.len(),
            g.spikes.len()
        );
        assert!(c.len() > 100_000, "{variant:?}: only {} spikes", c.len());
        assert_eq!(g.spikes, c, "{variant:?}: spike lists differ");
        assert_eq!(g.result.device_spike_total, g.spikes.len() as u64);
    }
}

/// The spikes of the Brian2 variant, seed 7, 1000 ms in f64 with exponential Euler, recorded as
/// (step, neuron) rows from the hand-written Traub kernels (`hhsim cobahh --seed 7 --precision
/// f64 --backend cpu`): the network must keep giving exactly these whatever generates its code.
fn seed7_fixture() -> hhsim::monitor::Spikes {
    use ndarray_npy::ReadNpyExt;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cobahh_seed7_brian2_f64_spikes.npy"
    );
    let rows = ndarray::Array2::<u32>::read_npy(std::fs::File::open(path).unwrap()).unwrap();
    hhsim::monitor::Spikes {
        step: rows.column(0).iter().map(|&s| u64::from(s)).collect(),
        neuron: rows.column(1).to_vec(),
    }
}

/// Both variants' rates must land in the published range with E ≈ I; f32 and f64 runs of the
/// same five networks must agree on the first 5 ms exactly (before rounding differences can
/// grow in a chaotic network) and on the mean rates within 5 %. The f64 runs are the GPU's,
/// which equal the CPU reference's spike for spike (the test above) in a fraction of its time.
#[test]
fn f32_gpu_network_statistics_match_f64_over_five_seeds() {
    let Some(gpu) = gpu_engine(true) else { return };
    for variant in [Variant::Brian2, Variant::Brainpy] {
        let (mut e32, mut i32_, mut e64, mut i64_) = (0.0, 0.0, 0.0, 0.0);
        for seed in 1..=5 {
            let net = CobaHh::new(variant, 1.0, seed).build().unwrap();
            let cfg = config(1000.0);
            let g = run(&gpu, Precision::F32, &net, &cfg);
            let c = run(&gpu, Precision::F64, &net, &cfg);
            let early = |r: &Ran| {
                r.spikes
                    .neuron
                    .iter()
                    .zip(&r.spikes.step)
                    .filter(|&(_, &s)| s < 50)
                    .map(|(&i, &s)| (i, s))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                early(&g),
                early(&c),
                "{variant:?} seed {seed}: first 5 ms differ"
            );
            let rate = |r: &Ran, g: usize| r.result.tally.group_rate_hz(&net.ranges[g], 1000.0);
            e32 += rate(&g, 0) / 5.0;
            i32_ += rate(&g, 1) / 5.0;
            e64 += rate(&c, 0) / 5.0;
            i64_ += rate(&c, 1) / 5.0;
        }
        eprintln!("{variant:?}: f32 E {e32:.2} I {i32_:.2} Hz; f64 E {e64:.2} I {i64_:.2} Hz");
        assert!(
            (e32 - e64).abs() <= 0.05 * e64 && (i32_ - i64_).abs() <= 0.05 * i64_,
            "{variant:?}: f32 and f64 rates differ by more than 5 %"
        );
        for (name, rate) in [("E", e64), ("I", i64_), ("E f32", e32), ("I f32", i32_)] {
            assert!(
                (30.0..=42.0).contains(&rate),
                "{variant:?}: {name} rate {rate} Hz outside 30–42"
            );
        }
        // E and I cells are identical and receive the same input statistics: their rates differ
        // by sampling noise only, a few percent at 4000 neurons.
        assert!(
            (e64 - i64_).abs() <= 0.1 * e64,
            "{variant:?}: E {e64} vs I {i64_} Hz"
        );
    }
}

#[test]
fn a_stress_network_loses_no_spike() {
    // Strong drive (3 nA), no refractory window and a coarse step (1 ms): every neuron fires
    // about every 8 steps, over three chunks of 1000 steps, with weak synapses so that the
    // delivery still walks every row.
    let model = CobaHh {
        current: 3000.0,
        w_e: 0.1,
        w_i: 0.1,
        ..CobaHh::new(Variant::Brainpy, 0.5, 3)
    };
    let net = model.build().unwrap();
    let cfg = NetConfig {
        dt_ms: 1.0,
        duration_ms: 3000.0,
        ..config(0.0)
    };
    let mut engines = vec![(Engine::Cpu, Precision::F64)];
    if let Some(gpu) = gpu_engine(false) {
        engines.push((gpu, Precision::F32));
    }
    for (engine, precision) in engines {
        let r = run(&engine, precision, &net, &cfg);
        let per_neuron = r.spikes.len() as f64 / net.n_neurons() as f64;
        eprintln!(
            "{}: {} spikes, {per_neuron:.0} per neuron in {} steps",
            engine.backend_name(),
            r.spikes.len(),
            r.result.n_steps
        );
        assert!(
            per_neuron > r.result.n_steps as f64 / 10.0,
            "not a stress: {per_neuron} spikes per neuron"
        );
        assert_eq!(
            r.spikes.len() as u64,
            r.result.device_spike_total,
            "spikes read back ≠ spikes counted on the device"
        );
        // The tally gathered chunk by chunk counts what the list holds.
        let counts: Vec<u64> = (r.spikes.counts(net.n_neurons()).iter())
            .map(|&c| u64::from(c))
            .collect();
        assert_eq!(r.result.tally.counts(), &counts[..]);
    }
}

/// The delivery of spikes in isolation: one step in which every third neuron is made to spike,
/// on both backends from the same state; the integer accumulators (both parity blocks) must be
/// equal bit for bit, with every stepping of the GPU engine.
#[test]
fn spike_delivery_increments_equal_the_twin_bit_for_bit() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let net = CobaHh::new(Variant::Brian2, 1.0, 11).build().unwrap();
    let cfg = config(0.1);
    let mut lowered = lower::<f32>(&net, &cfg);
    // (v, m, h, n, ge, gi)
    let resting = [-70.0, 0.0, 1.0, 0.0, 0.0, 0.0];
    // Just below the threshold with every Na channel open, V rises by hundreds of mV within a
    // step: a certain spike on both backends. Many deliveries land on the same targets.
    let about_to_spike = [-20.5, 1.0, 1.0, 0.0, 0.0, 0.0];
    for (i, s) in lowered.init.chunks_mut(6).enumerate() {
        s.copy_from_slice(if i % 3 == 0 {
            &about_to_spike
        } else {
            &resting
        });
    }
    let mut cpu = CpuNetEngine::new(&lowered);
    let on_cpu = kept(|s| run_network(&cfg, &lowered, &mut cpu, s, |_| Ok(())));
    let chosen: Vec<u32> = (0..net.n_neurons() as u32).step_by(3).collect();
    assert_eq!(
        on_cpu.spikes.neuron, chosen,
        "the chosen neurons did not spike"
    );
    let acc = &cpu.buffers_mut().acc;
    assert!(
        acc.iter().filter(|&&a| a > 0).count() > net.n_neurons(),
        "few targets reached"
    );
    let mut steppings = vec![Stepping::PerStep(RowWalk::Lane)];
    if ctx.adapter.subgroups {
        steppings.push(Stepping::PerStep(RowWalk::Subgroup));
    }
    if ctx.adapter.subgroup_size.is_some_and(|lanes| lanes <= 32) {
        steppings.push(Stepping::Cooperative { groups: 2 });
    }
    for stepping in steppings {
        let mut gpu = GpuNetEngine::with_stepping(&ctx as &GpuContext, &lowered, stepping).unwrap();
        let on_gpu = kept(|s| run_network(&cfg, &lowered, &mut gpu, s, |_| Ok(())));
        assert!(
            on_gpu.spikes == on_cpu.spikes,
            "{stepping:?}: spikes differ"
        );
        assert!(
            gpu.read_accumulators().unwrap() == *acc,
            "{stepping:?}: accumulators differ"
        );
    }
}

#[test]
fn recorded_traces_match_across_chunks_in_f64() {
    let Some(gpu) = gpu_engine(true) else { return };
    let net = CobaHh::new(Variant::Brian2, 0.25, 4).build().unwrap();
    // 3000 steps: three chunks, so both halves of the ring and trace buffers are drained.
    let cfg = NetConfig {
        record: vec![0, 5, 999],
        record_every: 7,
        ..config(300.0)
    };
    let g = run(&gpu, Precision::F64, &net, &cfg);
    let c = run(&Engine::Cpu, Precision::F64, &net, &cfg);
    assert_eq!(g.spikes, c.spikes);
    let (gt, ct) = (g.result.trace.unwrap(), c.result.trace.unwrap());
    assert_eq!(gt.steps, ct.steps);
    let variable = |t: &hhsim::backend::network::NetTrace, name| t.variable(name).unwrap().clone();
    assert_eq!(variable(&gt, "v").dim(), (3, 3000usize.div_ceil(7)));
    // ulp-level differences of the f64 exp over 300 ms: the bound of the population checks.
    let worst = ["v", "ge"]
        .iter()
        .flat_map(|&name| {
            let (a, b) = (variable(&gt, name), variable(&ct, name));
            a.iter()
                .zip(b.iter())
                .map(|(a, b)| (a - b).abs())
                .collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    assert!(
        worst <= hhsim::validate::V_AGREEMENT_F64_MV,
        "traces differ by {worst}"
    );
}

/// Groups with different parameters and refractory windows take the per-group path of the
/// kernel (identical groups read one shared copy): f64 GPU spikes must still equal the CPU's.
/// Run with the one-lane row walk.
#[test]
fn groups_with_different_parameters_match_in_f64() {
    let Some(ctx) = common::gpu(true) else { return };
    let net = CobaHh::new(Variant::Brian2, 0.25, 5).build().unwrap();
    let cfg = config(300.0);
    let mut lowered = lower::<f64>(&net, &cfg);
    // 100 pA more into the inhibitory group only, and a longer refractory window (5 ms, not
    // 3), so that every neuron's window is read from its flags.
    let per_group = lowered.params_per_group();
    lowered.params[2 * per_group - 1] += 100.0;
    assert_ne!(lowered.params[..per_group], lowered.params[per_group..]);
    for f in lowered.flags.iter_mut().filter(|f| f.group == 1) {
        f.refractory_steps = 50;
    }
    let mut gpu =
        GpuNetEngine::with_row_walk(&ctx as &GpuContext, &lowered, RowWalk::Lane).unwrap();
    let g = kept(|s| run_network(&cfg, &lowered, &mut gpu, s, |_| Ok(())));
    let mut cpu = CpuNetEngine::new(&lowered);
    let c = kept(|s| run_network(&cfg, &lowered, &mut cpu, s, |_| Ok(())));
    assert!(c.spikes.len() > 1000, "only {} spikes", c.spikes.len());
    assert!(g.spikes == c.spikes, "spike lists differ");
}

/// Every way the GPU engine can step a network gives the twin's spikes in f64: a dispatch per
/// step with either row walk, and the cooperative kernel with 1, 2, 3 and 5 workgroups. With
/// more workgroups than llvmpipe has threads the workgroups take turns: they wait, leave their
/// dispatch and resume in the next, mid-step too, until the engine sees too few steps per
/// dispatch and hands the rest of the chunk to a dispatch per step at a step boundary.
#[test]
fn every_stepping_matches_the_twin_in_f64() {
    let Some(ctx) = common::gpu(true) else { return };
    let net = CobaHh::new(Variant::Brian2, 0.5, 8).build().unwrap();
    let cfg = config(200.0);
    let lowered = lower::<f64>(&net, &cfg);
    let mut cpu = CpuNetEngine::new(&lowered);
    let c = kept(|s| run_network(&cfg, &lowered, &mut cpu, s, |_| Ok(())));
    assert!(c.spikes.len() > 5000, "only {} spikes", c.spikes.len());
    let mut steppings = vec![Stepping::PerStep(RowWalk::Lane)];
    if ctx.adapter.subgroups {
        steppings.push(Stepping::PerStep(RowWalk::Subgroup));
    }
    if ctx.adapter.subgroup_size.is_some_and(|lanes| lanes <= 32) {
        steppings.extend([1, 2, 3, 5].map(|groups| Stepping::Cooperative { groups }));
    }
    for stepping in steppings {
        let started = std::time::Instant::now();
        let mut gpu = GpuNetEngine::with_stepping(&ctx as &GpuContext, &lowered, stepping).unwrap();
        let g = kept(|s| run_network(&cfg, &lowered, &mut gpu, s, |_| Ok(())));
        eprintln!(
            "{stepping:?}: {:.2} s, {}",
            started.elapsed().as_secs_f64(),
            g.result.stepping.description
        );
        assert!(g.spikes == c.spikes, "{stepping:?}: spikes differ");
        assert_eq!(
            g.result.device_spike_total,
            c.spikes.len() as u64,
            "{stepping:?}"
        );
    }
}

/// On lavapipe every loop of a kernel invocation shares one budget of iterations; a CSR row
/// longer than it would be cut short silently, so the GPU engine refuses it.
#[test]
fn rows_beyond_the_driver_loop_limit_are_refused() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let row_start = [0, 70_000, 70_010];
    let checked = hhsim::backend::gpu::network::check_limits(&ctx, &row_start, 6, 2, 4);
    match ctx.loop_iteration_limit() {
        Some(_) => {
            let message = checked.unwrap_err().to_string();
            assert!(message.contains("70000 synapses"), "{message}");
        }
        None => checked.unwrap(),
    }
}

/// A network whose per-neuron buffers exceed the adapter's binding limit is refused before
/// any buffer is made, in one line naming the buffer (it was a page of wgpu validation errors).
#[test]
fn neuron_buffers_beyond_the_binding_limit_are_refused() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    // Six f32 variables pad to 8 × 4 bytes a neuron: one neuron too many for one binding.
    let n = (ctx.limits.max_storage_buffer_binding_size / 32 + 1) as u32;
    let row_start = vec![0u32; n as usize + 1];
    let e = hhsim::backend::gpu::network::check_limits(&ctx, &row_start, 6, 2, 4).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("GPU buffer of the network state"),
        "{e}"
    );
}

/// The network kernels generated from every bundled model with the network's synapses, with
/// both methods: f64 GPU spikes equal the CPU twin's, and so do the final states to the bound
/// of the population checks (ulp-level differences of the f64 exp).
#[test]
fn generated_network_neurons_match_the_twin_in_f64_with_both_methods() {
    use hhsim::model::Model;
    let Some(gpu) = gpu_engine(true) else { return };
    for name in ["traub", "traub_km"] {
        let model = Model::bundled(name).unwrap();
        // RK4 at 0.1 ms is unstable for these cells; 0.05 ms is not.
        for (method, dt_ms) in [(Method::ExpEuler, 0.1), (Method::Rk4, 0.05)] {
            let net = CobaHh {
                params: model.default_parameters(),
                model: std::sync::Arc::new(model.clone()),
                ..CobaHh::new(Variant::Brian2, 0.25, 2)
            }
            .build()
            .unwrap();
            let cfg = NetConfig {
                method,
                dt_ms,
                ..config(100.0)
            };
            let g = run(&gpu, Precision::F64, &net, &cfg);
            let c = run(&Engine::Cpu, Precision::F64, &net, &cfg);
            assert!(
                c.spikes.len() > 500,
                "{name} {method:?}: {} spikes",
                c.spikes.len()
            );
            assert!(
                g.spikes == c.spikes,
                "{name} {method:?}: spike lists differ"
            );
            let worst = (&g.result.final_states - &c.result.final_states)
                .iter()
                .fold(0.0_f64, |w, d| w.max(d.abs()));
            assert!(
                worst <= hhsim::validate::V_AGREEMENT_F64_MV,
                "{name} {method:?}: final states differ by {worst}"
            );
        }
    }
}
