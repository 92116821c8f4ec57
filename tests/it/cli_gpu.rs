//! The GPU path through the binary: `neuron --backend gpu` reproduces the CPU's spikes in f64,
//! `devices` and `validate` report, and missing adapters or f64 give exit status 1 with advice.

use crate::common;

use ndarray::Array1;
use ndarray_npy::NpzReader;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Output};

fn hhsim(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hhsim"));
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the hhsim binary runs")
}

fn spikes(dir: &Path) -> (Array1<u32>, Array1<f64>) {
    let mut npz = NpzReader::new(File::open(dir.join("spikes.npz")).unwrap()).unwrap();
    (npz.by_name("i").unwrap(), npz.by_name("t").unwrap())
}

#[test]
fn neuron_on_the_gpu_in_f64_writes_the_cpu_spikes() {
    if common::gpu(true).is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let run = |backend: &str| {
        let out = tmp.path().join(backend);
        let args = [
            "neuron",
            "--model",
            "traub",
            "--current",
            "0,5,10,20,40",
            "--noise",
            "2",
            "--pulses",
            "20,60",
            "--duration",
            "200",
            "--dt",
            "0.1",
            "--backend",
            backend,
            "--precision",
            "f64",
            "--out",
            out.to_str().unwrap(),
        ];
        let o = hhsim(&args, &[]);
        assert!(
            o.status.success(),
            "{backend}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out
    };
    let (gpu, cpu) = (run("gpu"), run("cpu"));
    let (gi, gt) = spikes(&gpu);
    assert!(!gi.is_empty());
    assert_eq!((gi, gt), spikes(&cpu));
    let summary: serde_json::Value =
        serde_json::from_reader(File::open(gpu.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["backend"], "gpu");
    assert!(summary["adapter"].as_str().is_some_and(|a| !a.is_empty()));
}

#[test]
fn devices_lists_the_adapter_auto_picks() {
    if common::gpu(false).is_none() {
        return;
    }
    let o = hhsim(&["devices"], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(text.contains("--backend auto picks #0"), "{text}");
    assert!(text.contains("f64"), "{text}");
}

#[test]
fn validate_passes_on_this_adapter() {
    if common::gpu(false).is_none() {
        return;
    }
    let o = hhsim(&["validate", "--neurons", "100", "--duration", "200"], &[]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("9 checks, 0 failed"), "{text}");
    // A model file's checks: its generated kernel against its twin, both methods.
    let o = hhsim(
        &[
            "validate",
            "--model",
            "hh_a",
            "--set",
            "ga=60",
            "--neurons",
            "20",
            "--duration",
            "50",
        ],
        &[],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("hh_a rk4: spike steps GPU = CPU"), "{text}");
    assert!(text.contains("5 checks, 0 failed"), "{text}");
}

#[test]
fn gpu_backend_without_any_adapter_fails_with_advice() {
    // No Metal on this platform: wgpu restricted to it finds no adapter.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = hhsim(
        &["neuron", "--backend", "gpu", "--out", out.to_str().unwrap()],
        &[("WGPU_BACKEND", "metal")],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no GPU adapter") && stderr.contains("mesa-vulkan-drivers"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn f64_on_an_adapter_without_f64_names_the_adapter() {
    // GL adapters have no f64 in wgpu; skip where no GL adapter exists.
    let listing = hhsim(&["devices"], &[("WGPU_BACKEND", "gl")]);
    if !String::from_utf8_lossy(&listing.stdout).contains("Gl") {
        eprintln!("skipping: no GL adapter here");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = hhsim(
        &[
            "neuron",
            "--backend",
            "gpu",
            "--precision",
            "f64",
            "--out",
            out.to_str().unwrap(),
        ],
        &[("WGPU_BACKEND", "gl")],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("has no f64") && stderr.contains("--precision f32"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn nan_parameters_are_refused_before_any_gpu_work() {
    for args in [
        ["--current", "1,nan"],
        ["--threshold", "NaN"],
        ["--temperature", "nan"],
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let mut all = vec!["neuron", "--backend", "gpu"];
        all.extend(args);
        all.extend(["--out", out.to_str().unwrap()]);
        let o = hhsim(&all, &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.to_lowercase().contains("nan"), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(!out.exists());
    }
}

/// A GPU buffer over the adapter's binding limit is refused before anything is built, in one
/// line naming the buffer and what to change (lavapipe binds at most 128 MiB: 5 million cells
/// in one f64 chunk need 160 MB of states). The CPU backend runs what memory holds.
#[test]
fn a_buffer_over_the_adapters_binding_limit_is_refused() {
    let Some(ctx) = common::gpu(true) else { return };
    let cells = ctx.limits.max_storage_buffer_binding_size / 32 + 1;
    let axis = format!("current=0:20:{cells}");
    let chunk = cells.to_string();
    common::assert_refused(
        &[
            "sweep",
            "--axis",
            &axis,
            "--chunk-cells",
            &chunk,
            "--precision",
            "f64",
            "--duration",
            "0.1",
            "--backend",
            "gpu",
        ],
        "the adapter binds at most",
    );
}

/// A network whose state would exceed one binding is refused before it is built: one line, at
/// once, not after building gigabytes of synapses.
#[test]
fn a_network_beyond_the_binding_limit_is_refused_before_it_is_built() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    // Traub with two synapses: 6 f32 variables, padded to 32 bytes a neuron.
    let neurons = ctx.limits.max_storage_buffer_binding_size / 32 + 1;
    let scale = (neurons as f64 / 4000.0).ceil().to_string();
    common::assert_refused(
        &[
            "cobahh",
            "--scale",
            &scale,
            "--in-degree",
            "0",
            "--backend",
            "gpu",
            "--duration",
            "1",
        ],
        "GPU buffer of the network state",
    );
}
