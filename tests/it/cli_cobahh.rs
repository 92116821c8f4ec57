//! `hhsim cobahh` through the binary: its files, and one clear line with exit status 2 and
//! nothing written for each kind of bad input.

use crate::common;

use ndarray::{Array1, Array2};
use ndarray_npy::NpzReader;
use std::fs::File;
use std::process::{Command, Output};

fn hhsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(args)
        .output()
        .expect("the hhsim binary runs")
}

#[test]
fn cobahh_writes_spikes_raster_trace_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    // A quarter-size network for 200 ms on the CPU reference keeps this quick.
    let args = [
        "cobahh",
        "--scale",
        "0.25",
        "--duration",
        "200",
        "--backend",
        "cpu",
        "--precision",
        "f64",
        "--record-v",
        "0,900",
        "--record-every",
        "10",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = hhsim(&args);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut spikes = NpzReader::new(File::open(out.join("spikes.npz")).unwrap()).unwrap();
    let i: Array1<u32> = spikes.by_name("i").unwrap();
    let t: Array1<f64> = spikes.by_name("t").unwrap();
    assert!(i.len() > 1000 && i.len() == t.len());
    assert!(
        t.iter().zip(t.iter().skip(1)).all(|(a, b)| a <= b),
        "spikes not sorted by time"
    );
    assert!(i.iter().all(|&k| k < 1000));
    let mut trace = NpzReader::new(File::open(out.join("trace.npz")).unwrap()).unwrap();
    let v: Array2<f64> = trace.by_name("v").unwrap();
    let ge: Array2<f64> = trace.by_name("ge").unwrap();
    assert_eq!(v.dim(), (2, 200));
    assert_eq!(ge.dim(), (2, 200));
    let png = std::fs::read(out.join("raster.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let summary: serde_json::Value =
        serde_json::from_reader(File::open(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["total_spikes"].as_u64().unwrap() as usize, i.len());
    // The group counts, gathered as the run went, are those of the written list.
    let excitatory = i.iter().filter(|&&k| k < 800).count();
    assert_eq!(
        summary["groups"][0]["spikes"].as_u64(),
        Some(excitatory as u64)
    );
    assert_eq!(
        summary["groups"][1]["spikes"].as_u64(),
        Some((i.len() - excitatory) as u64)
    );
    // The spikes went through temporary files while the run lasted; none is left.
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["raster.png", "spikes.npz", "summary.json", "trace.npz"]
    );
    assert_eq!(
        summary["device_spike_total"].as_u64().unwrap() as usize,
        i.len()
    );
    for key in [
        "n_synapses",
        "mean_isi_cv",
        "wall_s",
        "build_s",
        "simulate_s",
        "synaptic_events_per_s",
    ] {
        assert!(!summary[key].is_null(), "summary.json lacks {key}");
    }
    // Memory as accounted on the device and as measured for the process (which holds the
    // device's buffers too on a software adapter, and more besides).
    let device = summary["device_bytes"].as_u64().unwrap();
    let peak = summary["host_peak_bytes"].as_u64().unwrap();
    assert!(
        device > 0 && peak > device,
        "device {device} B, peak {peak} B"
    );
    let e_rate = summary["groups"][0]["rate_hz"].as_f64().unwrap();
    assert!(e_rate > 1.0, "E rate {e_rate} Hz");
}

/// `hhsim cobahh --duration 10 ARGS` must be refused as bad input.
fn assert_refused(args: &[&str], mentions: &str) {
    let mut all = vec!["cobahh", "--duration", "10"];
    all.extend(args);
    common::assert_refused(&all, mentions);
}

#[test]
fn bad_network_input_is_refused() {
    assert_refused(&["--p", "1.5"], "probability 1.5");
    assert_refused(&["--p", "NaN"], "probability NaN");
    assert_refused(&["--scale", "0.0001"], "--scale 0.0001");
    assert_refused(&["--we", "-1"], "weight");
    assert_refused(&["--tau-i", "-10"], "--tau-i -10");
    // The bundled 1952 model has no synapses for the projections to name.
    assert_refused(&["--model", "hh"], "synapse ge (E → E)");
    assert_refused(&["--set", "gq=1"], "gna, gk");
    assert_refused(&["--record-v", "4000"], "recorded neuron 4000");
    assert_refused(&["--scale", "100000"], "of memory (synapses:");
    // The limit as the user gave it, with why.
    assert_refused(
        &["--in-degree", "5000"],
        "--in-degree 5000: expected at most 4001",
    );
    // Memory is estimated before anything is built: 4e8 neurons, a trace of 4000 neurons for
    // 10 ms at 10 ns steps. (Both were killed for memory when only the synapses were counted.)
    assert_refused(&["--scale", "100000", "--p", "0"], "neurons:");
    let all: String = (0..4000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_refused(&["--record-v", &all, "--dt", "0.00001"], "trace:");
}

/// `--model` takes a model file for the network's neurons; the trace holds its variables.
#[test]
fn cobahh_runs_a_model_file_and_traces_its_variables() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("km");
    let o = hhsim(&[
        "cobahh",
        "--model",
        "traub_km",
        "--scale",
        "0.1",
        "--duration",
        "50",
        "--backend",
        "cpu",
        "--record-v",
        "0",
        "--set",
        "gm=0.5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut trace = NpzReader::new(File::open(out.join("trace.npz")).unwrap()).unwrap();
    // traub_km.toml's M-current gate p starts at its steady state, strictly between 0 and 1.
    let p: Array2<f64> = trace.by_name("p").unwrap();
    assert_eq!(p.dim(), (1, 500));
    assert!(p.iter().all(|&x| x > 0.0 && x < 1.0), "p left (0, 1)");
}
