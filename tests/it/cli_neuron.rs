//! `hhsim neuron` end to end through the binary: the files it writes, and one clear line with
//! exit status 2 and nothing written for each kind of bad input.

use crate::common;

use ndarray::{Array1, Array2};
use ndarray_npy::NpzReader;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Output};

fn hhsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(args)
        .output()
        .expect("the hhsim binary runs")
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn neuron_writes_traces_spikes_figure_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = hhsim(&[
        "neuron",
        "--current",
        "1,2,4,8,10,15",
        "--duration",
        "50",
        "--record-every",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut trace = NpzReader::new(File::open(out.join("trace.npz")).unwrap()).unwrap();
    let t: Array1<f64> = trace.by_name("t").unwrap();
    let v: Array2<f64> = trace.by_name("v").unwrap();
    // 50 ms at dt 0.01 ms is 5000 steps, sampled every 10th from step 0.
    assert_eq!(t.len(), 500);
    assert_eq!(v.dim(), (6, 500));
    assert!((t[1] - 0.1).abs() < 1e-12);
    for name in ["m", "h", "n"] {
        let x: Array2<f64> = trace.by_name(name).unwrap();
        assert!(
            x.iter().all(|g| (0.0..=1.0).contains(g)),
            "gate {name} left [0, 1]"
        );
    }

    let mut spikes = NpzReader::new(File::open(out.join("spikes.npz")).unwrap()).unwrap();
    let i: Array1<u32> = spikes.by_name("i").unwrap();
    let ts: Array1<f64> = spikes.by_name("t").unwrap();
    assert_eq!(i.len(), ts.len());
    assert!(!i.is_empty());
    assert!(i.iter().all(|&k| k < 6));
    let sorted = ts
        .iter()
        .zip(&i)
        .collect::<Vec<_>>()
        .windows(2)
        .all(|w| (w[0].0, w[0].1) <= (w[1].0, w[1].1));
    assert!(sorted, "spikes not sorted by time, then index");
    // Every spike is a V crossing of 20 mV: the trace there is near the top of an action potential.
    let counts = (0..6)
        .map(|k| i.iter().filter(|&&x| x == k).count())
        .collect::<Vec<_>>();
    assert!(
        counts[5] > counts[0],
        "15 µA/cm² should fire more than 1 µA/cm²: {counts:?}"
    );

    assert_eq!(
        png_size(&out.join("trace.png")),
        hhsim::output::plot::trace_figure_size(6)
    );

    let summary: serde_json::Value =
        serde_json::from_reader(File::open(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "backend",
        "precision",
        "method",
        "dt_ms",
        "duration_ms",
        "n_neurons",
        "wall_s",
        "setup_s",
        "simulate_s",
    ] {
        assert!(summary.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(summary["spike_counts"].as_array().unwrap().len(), 6);
    assert_eq!(
        summary["spike_counts"][5].as_u64().unwrap() as usize,
        counts[5]
    );
    // No temporary file is left beside the results.
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with(".partial")),
        "{names:?}"
    );
}

/// `hhsim neuron ARGS` must be refused as bad input (see `common::assert_refused`).
fn assert_refused(args: &[&str], mentions: &str) {
    let mut all = vec!["neuron"];
    all.extend_from_slice(args);
    common::assert_refused(&all, mentions);
}

#[test]
fn bad_time_steps_are_refused() {
    assert_refused(&["--dt", "0"], "--dt 0");
    assert_refused(&["--dt", "-0.1"], "--dt -0.1");
    assert_refused(&["--dt", "NaN"], "--dt NaN");
    assert_refused(&["--dt", "5", "--duration", "1"], "--dt 5");
}

#[test]
fn bad_durations_are_refused() {
    assert_refused(&["--duration", "0"], "--duration 0");
    assert_refused(&["--duration", "-10"], "--duration -10");
}

#[test]
fn unknown_model_method_and_precision_are_refused() {
    assert_refused(
        &["--model", "izhikevich"],
        "--model izhikevich: expected a bundled model (traub, hh, traub_km, hh_a)",
    );
    assert_refused(&["--method", "leapfrog"], "leapfrog");
    assert_refused(&["--precision", "f16"], "f16");
}

#[test]
fn sections_of_different_lengths_are_refused() {
    assert_refused(
        &["--sections", "0,1,2", "--section-durations", "10,2"],
        "--sections has 3 values but --section-durations has 2",
    );
}

#[test]
fn negative_pulse_width_is_refused() {
    assert_refused(
        &["--pulses", "10,20", "--pulse-width", "-1"],
        "--pulse-width -1",
    );
}

#[test]
fn a_current_that_is_not_a_number_is_refused() {
    assert_refused(&["--current", "1,two,3"], "'two' is not a number");
}

#[test]
fn an_output_directory_that_cannot_be_created_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("plain-file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("sub");
    let o = hhsim(&["neuron", "--out", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains(out.to_str().unwrap()), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn a_trace_too_large_for_memory_is_refused() {
    // 2000 neurons × 10⁶ samples × 64 bytes is far beyond the trace limit.
    let currents = vec!["1"; 2000].join(",");
    assert_refused(
        &["--current", &currents, "--duration", "10000"],
        "--record-every 1",
    );
}

#[test]
fn a_diverging_run_fails_with_status_1_and_leaves_nothing() {
    // Forward Euler at 0.5 ms is far outside its stability region for a spiking HH neuron.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = hhsim(&[
        "neuron",
        "--method",
        "euler",
        "--dt",
        "0.5",
        "--current",
        "40",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("non-finite") && stderr.contains("neuron 0"),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// `--model traub` is the bundled file: every parameter can be set by the file's name (in
/// lower case too), `c` included, and the run equals the file's run by path with the same
/// settings spike for spike (in f64 the host's `gX * area` is the kernel's product).
#[test]
fn every_parameter_of_the_traub_file_can_be_set_and_runs_as_the_file_does() {
    let tmp = tempfile::tempdir().unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/models/traub.toml");
    let run = |model: &str, gna: &str, dir: &str| {
        let out = tmp.path().join(dir);
        let o = hhsim(&[
            "neuron",
            "--model",
            model,
            "--duration",
            "50",
            "--dt",
            "0.05",
            "--current",
            "20",
            "--set",
            gna,
            "--set",
            "c=170",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let mut npz = NpzReader::new(File::open(out.join("spikes.npz")).unwrap()).unwrap();
        let t: Array1<f64> = npz.by_name("t").unwrap();
        (summary, t)
    };
    let (summary, spikes) = run("traub", "gNa=50", "alias");
    assert_eq!(summary["params"]["gna"], 50.0);
    assert_eq!(summary["params"]["c"], 170.0);
    // The rest keep the file's defaults.
    assert_eq!(summary["params"]["gk"], 30.0);
    assert_eq!(summary["init_state"], "sweep");
    let (_, by_path) = run(file, "gna=50", "path");
    assert!(!spikes.is_empty());
    assert_eq!(spikes, by_path);
}

#[test]
fn bad_overrides_are_refused() {
    assert_refused(&["--set", "gl"], "--set gl: expected NAME=VALUE");
    assert_refused(&["--set", "gl=abc"], "--set gl=abc");
    assert_refused(&["--set", "current=3"], "--set current=3");
    assert_refused(
        &["--model", "traub", "--set", "temperature=20"],
        "--set temperature=20",
    );
}

/// A model file starts from its own `[initial]` (so `--init` choices of the built-in models
/// are refused for it), and a file with a fifth state writes that state's trace too.
#[test]
fn a_model_file_starts_from_its_initial_state_and_records_every_state() {
    let tmp = tempfile::tempdir().unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/models/traub.toml");
    let refused = tmp.path().join("refused");
    let o = hhsim(&[
        "neuron",
        "--model",
        file,
        "--init",
        "sweep",
        "--out",
        refused.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--init sweep"));

    let out = tmp.path().join("km");
    let o = hhsim(&[
        "neuron",
        "--model",
        "traub_km",
        "--current",
        "150",
        "--set",
        "gm=0.25",
        "--dt",
        "0.05",
        "--duration",
        "100",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut trace = NpzReader::new(File::open(out.join("trace.npz")).unwrap()).unwrap();
    let p: Array2<f64> = trace.by_name("p").unwrap();
    assert_eq!(p.dim(), (1, 2000));
    // The M-current's gate starts at its steady state and opens with every spike.
    assert!(
        p[[0, 1999]] > p[[0, 0]],
        "{} vs {}",
        p[[0, 1999]],
        p[[0, 0]]
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["params"]["gm"], 0.25);
    assert_eq!(
        summary["states"],
        serde_json::json!(["v", "m", "h", "n", "p"])
    );
}

/// Sizes beyond what a run can hold are refused before any work, by the step counter's range
/// or the memory estimate (never by trying to allocate).
#[test]
fn runs_too_long_or_too_large_are_refused_before_any_work() {
    assert_refused(
        &["--duration", "1e12", "--backend", "cpu"],
        "steps are counted in 32 bits",
    );
    // 1e9 neurons × two engines' descriptions: far beyond any machine of this kind.
    let o = hhsim(&["validate", "--neurons", "1000000000"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("reduce --neurons") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let mut sweep = vec!["sweep", "--axis", "current=0:20:1", "--duration", "1e9"];
    common::assert_refused(&sweep, "steps are counted in 32 bits");
    sweep.truncate(3);
    sweep.extend([
        "--axis",
        "gna=10:100:1000000000",
        "--chunk-cells",
        "1000000000",
    ]);
    common::assert_refused(&sweep, "--chunk-cells");
}

/// A sample interval longer than the run records the state at t = 0 alone, on every backend,
/// and plots it (the plot of one sample overflowed the drawing's range).
#[test]
fn a_sample_interval_longer_than_the_run_records_the_start() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let o = hhsim(&[
        "neuron",
        "--record-every",
        "1000000000000",
        "--duration",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut trace = NpzReader::new(File::open(out.join("trace.npz")).unwrap()).unwrap();
    let t: Array1<f64> = trace.by_name("t").unwrap();
    assert_eq!(t.to_vec(), vec![0.0]);
    assert!(png_size(&out.join("trace.png")).0 > 0);
}

/// `--set` values pass the model's rate check as the file's own do: a rate that overflows,
/// a capacitance of zero.
#[test]
fn overrides_that_make_rates_unphysical_are_refused() {
    let refuse = |set: &str, mentions: &str| {
        assert_refused(&["--model", "hh_a", "--set", set], mentions);
    };
    refuse("T=1e6", "every rate must be finite");
    refuse("c=0", "capacitance is 0");
    refuse("gna=-5", "conductance of channel na is -5");
}
