//! The gNa × I sweep: GPU against the CPU reference cell by cell, shards that merge into the
//! unsharded result, resume after a kill, the heat map, and the bad-input contract.

use crate::common;

use hhsim::backend::Engine;
use hhsim::builtin::BuiltIn;
use hhsim::kernel::Precision;
use hhsim::sweep::grid::{Axis, Grid};
use ndarray::{Array1, ArrayD};
use ndarray_npy::ReadNpyExt;
use std::fs::File;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The published job on a 40 × 40 grid over the default ranges, 1 s.
fn grid_40(precision: Precision) -> Grid {
    let mut spec = Grid::brian2_gna_current();
    for axis in &mut spec.axes {
        axis.count = 40;
    }
    spec.precision = precision;
    spec
}

#[test]
fn f64_gpu_sweep_counts_equal_the_cpu_in_every_cell() {
    let Some(ctx) = common::gpu(true) else { return };
    let spec = grid_40(Precision::F64);
    let gpu = spec.run(&Engine::Gpu(std::sync::Arc::new(ctx))).unwrap();
    let cpu = spec.run(&Engine::Cpu).unwrap();
    assert_eq!(gpu.shape(), &[40, 40]);
    assert!(
        cpu.iter().any(|&c| c > 0) && cpu.iter().any(|&c| c == 0),
        "the grid spans silent and firing cells"
    );
    assert_eq!(gpu, cpu);
}

#[test]
fn f32_gpu_sweep_counts_are_within_one_of_f64_cpu() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let gpu = grid_40(Precision::F32)
        .run(&Engine::Gpu(std::sync::Arc::new(ctx)))
        .unwrap();
    let cpu = grid_40(Precision::F64).run(&Engine::Cpu).unwrap();
    // f32 rounding shifts spike times by a fraction of a step; a spike can slip past 1 s.
    let worst = gpu
        .iter()
        .zip(&cpu)
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    assert!(worst <= 1, "a cell differs by {worst} spikes");
}

#[test]
fn a_single_axis_gives_an_f_i_curve() {
    let mut spec = Grid::brian2_gna_current();
    let current = Axis::parse(&spec.model, Some(BuiltIn::Traub), "current=0:100:11");
    spec.axes = vec![current.unwrap()];
    spec.n_steps = 2000;
    let counts = spec.run(&Engine::Cpu).unwrap();
    assert_eq!(counts.shape(), &[11]);
    // More drive, more spikes: the f–I curve of the Traub neuron does not fall.
    assert!(
        counts.as_slice().unwrap().windows(2).all(|w| w[1] >= w[0]),
        "{counts}"
    );
}

fn hhsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(args)
        .output()
        .expect("the hhsim binary runs")
}

fn read_counts(dir: &Path) -> ArrayD<u32> {
    ArrayD::<u32>::read_npy(File::open(dir.join("spike_counts.npy")).unwrap()).unwrap()
}

/// A small, quick grid on the CPU: 12 × 10 cells (100 ms unless `extra` says otherwise).
fn sweep_args<'a>(out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "sweep",
        "--gna",
        "10:100:12",
        "--current",
        "0:20:10",
        "--backend",
        "cpu",
        "--precision",
        "f64",
    ];
    if !extra.contains(&"--duration") {
        args.extend(["--duration", "100"]);
    }
    args.extend(extra);
    args.extend(["--out", out.to_str().unwrap()]);
    args
}

fn sweep(out: &Path, extra: &[&str]) -> Output {
    hhsim(&sweep_args(out, extra))
}

#[test]
fn sweep_writes_counts_axes_heat_map_and_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("whole");
    let o = sweep(&out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read_counts(&out).shape(), &[10, 12]);
    let gna = Array1::<f64>::read_npy(File::open(out.join("gna.npy")).unwrap()).unwrap();
    let current = Array1::<f64>::read_npy(File::open(out.join("current.npy")).unwrap()).unwrap();
    assert_eq!((gna.len(), gna[0], gna[11]), (12, 10.0, 100.0));
    assert_eq!((current.len(), current[9]), (10, 20.0));
    let png = std::fs::read(out.join("rates.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), hhsim::output::plot::RATE_FIGURE_SIZE);
    let summary: serde_json::Value =
        serde_json::from_reader(File::open(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "backend",
        "wall_s",
        "setup_s",
        "simulate_s",
        "neuron_steps_per_s",
        "shape",
    ] {
        assert!(!summary[key].is_null(), "summary.json lacks {key}");
    }
    assert!(
        !out.join("chunks").exists(),
        "checkpoints are removed after success"
    );
}

#[test]
fn three_shards_merge_into_the_unsharded_result() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    assert!(sweep(&whole, &[]).status.success());
    let shards: Vec<_> = (1..=3)
        .map(|k| tmp.path().join(format!("part{k}")))
        .collect();
    for (k, dir) in shards.iter().enumerate() {
        let o = sweep(dir, &["--shard", &format!("{}/3", k + 1)]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let merged = tmp.path().join("merged");
    // Given out of order: merge sorts them.
    let o = hhsim(&[
        "merge",
        shards[2].to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read_counts(&merged), read_counts(&whole));
    assert!(merged.join("rates.png").exists());
}

fn assert_merge_refused(dirs: &[&Path], mentions: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("merged");
    let mut args = vec!["merge"];
    args.extend(dirs.iter().map(|d| d.to_str().unwrap()));
    args.extend(["--out", out.to_str().unwrap()]);
    let o = hhsim(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains(mentions),
        "{stderr} does not mention {mentions}"
    );
    assert!(!out.exists());
}

#[test]
fn merge_refuses_overlapping_missing_and_mismatched_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let part = |name: &str, shard: &str, extra: &[&str]| {
        let dir = tmp.path().join(name);
        let mut args = vec!["--shard", shard];
        args.extend(extra);
        assert!(sweep(&dir, &args).status.success());
        dir
    };
    let (a, b) = (part("a", "1/2", &[]), part("b", "2/2", &[]));
    let again = part("again", "2/2", &[]);
    let other = part("other", "2/2", &["--dt", "0.05"]);
    let of_three = part("three", "2/3", &[]);
    assert_merge_refused(&[&a, &b, &again], "both hold shard 2/2");
    assert_merge_refused(&[&a], "missing shard 2");
    assert_merge_refused(&[&a, &other], "same sweep");
    assert_merge_refused(&[&a, &of_three], "a shard of 2");
}

#[test]
fn a_killed_sweep_resumes_to_the_uninterrupted_result() {
    let tmp = tempfile::tempdir().unwrap();
    // Noise makes every cell's input depend on its index: a chunked, resumed run must
    // reproduce the single-chunk run exactly.
    let whole = tmp.path().join("whole");
    assert!(
        sweep(&whole, &["--duration", "1000", "--noise", "5"])
            .status
            .success()
    );
    let long = ["--duration", "1000", "--noise", "5", "--chunk-cells", "4"];

    let out = tmp.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(sweep_args(&out, &long))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once a few of its 30 chunks are on disk (a chunk's checksum is written last).
    let deadline = Instant::now() + Duration::from_secs(60);
    let chunks = out.join("chunks");
    while std::fs::read_dir(&chunks).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".crc32")
        })
        .count()
    }) < 3
    {
        assert!(Instant::now() < deadline, "no chunks appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !out.join("spike_counts.npy").exists(),
        "the run finished before it could be killed"
    );
    // A checkpoint zeroed on disk (same length) is caught by its checksum and computed again.
    let first = chunks.join("cells-0000000000-0000000004.npy");
    let length = std::fs::metadata(&first).unwrap().len() as usize;
    std::fs::write(&first, vec![0u8; length]).unwrap();

    let mut resume = long.to_vec();
    resume.push("--resume");
    let o = sweep(&out, &resume);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("checksum does not match"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_reader(File::open(out.join("summary.json")).unwrap()).unwrap();
    // Three were whole; the zeroed one was computed again.
    assert!(
        summary["resumed_chunks"].as_u64().unwrap() >= 2,
        "{summary}"
    );
    assert_eq!(read_counts(&out), read_counts(&whole));
    // Resuming a finished sweep says so instead of computing it again.
    let o = sweep(&out, &resume);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("this one is complete"));
}

/// One run owns its --out: a second sweep on it (here with another seed) is refused while
/// the first runs, naming the first's pid, and the first's result is the same as alone.
#[test]
fn a_second_run_on_the_same_out_is_refused_and_the_first_is_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |seed: &'static str| {
        [
            "--duration",
            "1000",
            "--noise",
            "5",
            "--chunk-cells",
            "4",
            "--seed",
            seed,
        ]
    };
    let alone = tmp.path().join("alone");
    assert!(sweep(&alone, &args("3")).status.success());

    let out = tmp.path().join("shared");
    let mut first = Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(sweep_args(&out, &args("3")))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !out.join("sweep.json").exists() {
        assert!(Instant::now() < deadline, "the first run wrote nothing");
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = sweep(&out, &args("4"));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(first.wait().unwrap().success());
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("another hhsim run (pid {})", first.id())),
        "{stderr}"
    );
    assert_eq!(read_counts(&out), read_counts(&alone));
    assert!(!out.join(".hhsim.lock").exists());
}

/// A run that goes non-finite names the grid cell (not its place in the chunk) and leaves
/// nothing: its checkpoints would fail the same way on resume.
#[test]
fn a_diverging_sweep_names_its_grid_cell_and_leaves_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    // RK4 at 0.2 ms with 50 nA diverges in a few steps; cell 1 is chunk 1's first neuron.
    let o = hhsim(&[
        "sweep",
        "--axis",
        "current=0:100000:3",
        "--method",
        "rk4",
        "--dt",
        "0.2",
        "--duration",
        "5",
        "--chunk-cells",
        "1",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("non-finite in grid cell 1 "), "{stderr}");
    assert!(
        !out.exists(),
        "left {:?}",
        std::fs::read_dir(&out).map(|d| d.count())
    );
}

/// Names in a model file never become paths outside --out, nor replace result files: the
/// file is refused when read.
#[test]
fn model_file_names_cannot_reach_outside_the_output_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let traub = hhsim::model::BUNDLED[0].1;
    for name in ["\"../escaped\"", "\"/tmp/abs\"", "spike_counts", "\"a/b\""] {
        let path = tmp.path().join("esc.toml");
        std::fs::write(
            &path,
            traub.replace("gl = 0.05", &format!("gl = 0.05\n{name} = 1.0")),
        )
        .unwrap();
        let axis = format!("{}=0:1:3", name.trim_matches('"'));
        let out = tmp.path().join("out");
        let o = hhsim(&[
            "sweep",
            "--model",
            path.to_str().unwrap(),
            "--axis",
            &axis,
            "--out",
            out.to_str().unwrap(),
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("parameter name"), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["esc.toml"], "{name}");
    }
}

#[test]
fn resume_refuses_a_directory_of_another_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    assert!(sweep(&out, &[]).status.success());
    let o = sweep(&out, &["--resume", "--dt", "0.05"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A `sweep.json` of a built-in model's grid as versions before model files wrote it (with its
/// `spec`) is refused by `--resume` and `merge` in one line that says to run the sweep again,
/// and the directory is left as it was.
#[test]
fn an_old_built_in_sweep_json_is_refused_with_how_to_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let old = tmp.path().join("old");
    std::fs::create_dir(&old).unwrap();
    let key = r#"{"spec":{"base":{"kind":"traub"},"axes":[]},"shard":{"k":1,"n":2},"cells":[0,2],"chunk_cells":2}"#;
    std::fs::write(old.join("sweep.json"), key).unwrap();
    let merged = tmp.path().join("merged");
    for args in [
        vec!["sweep", "--resume", "--out", old.to_str().unwrap()],
        vec![
            "merge",
            old.to_str().unwrap(),
            "--out",
            merged.to_str().unwrap(),
        ],
    ] {
        let o = hhsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains("run that sweep again"), "{stderr}");
        let left: Vec<_> = std::fs::read_dir(&old)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["sweep.json"], "{args:?}");
        assert!(!merged.exists());
    }
}

/// `hhsim sweep ARGS` must be refused as bad input.
fn assert_sweep_refused(args: &[&str], mentions: &str) {
    let mut all = vec!["sweep"];
    all.extend(args);
    common::assert_refused(&all, mentions);
}

#[test]
fn bad_sweep_input_is_refused() {
    assert_sweep_refused(&["--gna", "10:100"], "gna=10:100");
    assert_sweep_refused(&["--gna", "a:b:c"], "gna=a:b:c");
    assert_sweep_refused(&["--current", "0:20:0"], "current=0:20:0");
    assert_sweep_refused(&["--gna", "100:10:5"], "gna=100:10:5");
    assert_sweep_refused(
        &["--axis", "gx=1:2:3"],
        "a parameter of traub: area, c, gna",
    );
    assert_sweep_refused(
        &["--axis", "gna=10:100:50000", "--axis", "current=0:20:50000"],
        "--shard",
    );
    assert_sweep_refused(&["--shard", "3/2"], "--shard 3/2");
    assert_sweep_refused(&["--shard", "0/2"], "--shard 0/2");
    assert_sweep_refused(&["--axis", "temperature=6:30:5"], "temperature");
}

/// A model file's sweep shards, merges and resumes like a built-in model's: sweep.json keeps
/// the model's text, so the merge needs neither the file nor its path. The shards' grid is
/// read from a copy of the file that is deleted before the merge.
#[test]
fn a_model_file_sweep_shards_merge_and_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("km.toml");
    let o = hhsim(&["models", "traub_km"]);
    std::fs::write(&file, &o.stdout).unwrap();
    // The grid over gm = 0…`gm_max` (6 values) × 5 currents, into `out`.
    let run = |out: &Path, gm_max: &str, extra: &[&str]| {
        let gm = format!("gm=0:{gm_max}:6");
        let mut args = vec![
            "sweep",
            "--model",
            file.to_str().unwrap(),
            "--axis",
            &gm,
            "--axis",
            "current=50:250:5",
            "--duration",
            "100",
            "--backend",
            "cpu",
            "--precision",
            "f64",
            "--chunk-cells",
            "7",
        ];
        args.extend(extra);
        args.extend(["--out", out.to_str().unwrap()]);
        hhsim(&args)
    };
    let grid = |out: &Path, extra: &[&str]| {
        let o = run(out, "0.2", extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let whole = tmp.path().join("whole");
    grid(&whole, &[]);
    let parts: Vec<_> = (1..=2)
        .map(|k| tmp.path().join(format!("part{k}")))
        .collect();
    grid(&parts[0], &["--shard", "1/2"]);
    grid(&parts[1], &["--shard", "2/2"]);
    // --resume accepts the directory of the same sweep (its key read back from sweep.json
    // equals the new one: finished, it says so) and refuses that of another.
    let complete = |o: Output| {
        let stderr = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        stderr.contains("this one is complete")
    };
    assert!(complete(run(
        &parts[1],
        "0.2",
        &["--shard", "2/2", "--resume"]
    )));
    let other = run(&parts[1], "0.3", &["--shard", "2/2", "--resume"]);
    assert!(!complete(other));
    // The spike threshold set off the axes is part of the grid: a resume with another one is
    // refused, and a threshold above ENa (50 mV, which V never exceeds) counts no spike.
    let other = run(
        &parts[1],
        "0.2",
        &["--shard", "2/2", "--resume", "--set", "threshold=0"],
    );
    assert!(!complete(other));
    let high = tmp.path().join("high");
    grid(&high, &["--set", "threshold=55"]);
    assert!(read_counts(&high).iter().all(|&c| c == 0));
    // A sweep.json written before the threshold was kept still resumes: its grid ran at the
    // file's.
    let key_path = parts[1].join("sweep.json");
    let mut key: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&key_path).unwrap()).unwrap();
    let file_key = key["file"].as_object_mut().unwrap();
    assert!(file_key.remove("threshold").is_some());
    std::fs::write(&key_path, key.to_string()).unwrap();
    assert!(complete(run(
        &parts[1],
        "0.2",
        &["--shard", "2/2", "--resume"]
    )));
    let summary = std::fs::read_to_string(parts[1].join("summary.json")).unwrap();
    assert!(summary.contains("\"model\": \"traub_km\""), "{summary}");
    std::fs::remove_file(&file).unwrap();
    let merged = tmp.path().join("merged");
    let o = hhsim(&[
        "merge",
        parts[1].to_str().unwrap(),
        parts[0].to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(read_counts(&merged), read_counts(&whole));
    assert!(read_counts(&whole).iter().any(|&c| c > 0));
    assert!(merged.join("gm.npy").exists() && merged.join("current.npy").exists());
}
