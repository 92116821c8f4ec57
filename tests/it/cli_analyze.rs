//! `hhsim analyze`: the files each subcommand writes, and the refusal of bad input.

use crate::common;

use common::assert_refused;
use std::process::Command;

fn analyze(args: &[&str], out: &std::path::Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .arg("analyze")
        .args(args)
        .args(["--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn analyze_writes_json_npz_and_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bif");
    analyze(
        &[
            "bifurcation",
            "--param",
            "current=0:20:5",
            "--backend",
            "cpu",
            "--transient",
            "100",
        ],
        &out,
    );
    let json = read_json(&out.join("bifurcation.json"));
    for key in [
        "param",
        "values",
        "equilibria",
        "hopf",
        "fold",
        "cycle_fold",
        "cycles",
    ] {
        assert!(json.get(key).is_some(), "bifurcation.json lacks {key}");
    }
    assert_eq!(json["param"], "current");
    let eq = &json["equilibria"][0];
    for key in ["value", "v", "stable", "eigenvalues"] {
        assert!(eq.get(key).is_some(), "an equilibrium lacks {key}");
    }
    let cycle = &json["cycles"][0];
    for key in ["value", "v_min", "v_max", "frequency_hz", "direction"] {
        assert!(cycle.get(key).is_some(), "a cycle lacks {key}");
    }
    assert!(out.join("bifurcation.npz").is_file() && out.join("bifurcation.png").is_file());

    let out = tmp.path().join("fi");
    analyze(
        &[
            "fi",
            "--param",
            "current=0:20:3",
            "--backend",
            "cpu",
            "--transient",
            "100",
        ],
        &out,
    );
    for name in ["fi.json", "fi.npz", "fi.png"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    let out = tmp.path().join("pp");
    analyze(&["phase-plane", "--set", "gl=0.3", "--current", "5"], &out);
    for name in ["phase_plane.json", "phase_plane.npz", "phase_plane.png"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    // A model file with a fifth state, on the plane of its M-current gate.
    let out = tmp.path().join("pp_km");
    analyze(
        &[
            "phase-plane",
            "--model",
            "traub_km",
            "--gate",
            "p",
            "--set",
            "gm=0.1",
            "--duration",
            "5",
        ],
        &out,
    );
    let json = read_json(&out.join("phase_plane.json"));
    assert_eq!(json["gate"], "p");
    assert_eq!(json["model"], "traub_km");
}

#[test]
fn analyze_refuses_bad_input() {
    assert_refused(&["analyze", "bifurcation", "--param", "vt=0:1:5"], "vt");
    assert_refused(
        &[
            "analyze",
            "fi",
            "--model",
            "traub",
            "--param",
            "temperature=0:10:5",
        ],
        "temperature",
    );
    assert_refused(
        &["analyze", "bifurcation", "--param", "current=0:10:2"],
        "COUNT ≥ 3",
    );
    assert_refused(&["analyze", "bifurcation", "--param", "current"], "--param");
    assert_refused(
        &[
            "analyze",
            "bifurcation",
            "--param",
            "gl=0:1:5",
            "--set",
            "bogus=1",
        ],
        "bogus",
    );
    assert_refused(&["analyze", "phase-plane", "--current", "1e9"], "--current");
    assert_refused(&["analyze", "phase-plane", "--start", "-50,2"], "--start");
    let km_plane = ["analyze", "phase-plane", "--model", "traub_km", "--gate"];
    assert_refused(&[&km_plane[..], &["q"]].concat(), "--gate");
    let rinzel_off_n = [&km_plane[..], &["p", "--reduction", "rinzel"]].concat();
    assert_refused(&rinzel_off_n, "rinzel");
    // Rates that overflow (3^((T − 6.3)/10) at T = 7000) are refused before any search, in
    // every analysis; these spun forever when nothing checked them.
    let hot = ["--set", "T=7000"];
    for kind in ["bifurcation", "fi"] {
        let args = [&["analyze", kind, "--param", "current=0:1:3"][..], &hot].concat();
        assert_refused(&args, "every rate must be finite");
    }
    assert_refused(
        &[&["analyze", "phase-plane"][..], &hot].concat(),
        "every rate must be finite",
    );
    assert_refused(
        &[
            "analyze",
            "bifurcation",
            "--param",
            "current=0:10:100000000",
        ],
        "COUNT ≤ 100000",
    );
}
