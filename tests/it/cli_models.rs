//! `hhsim models`: the list of bundled models, one printed as a file that loads again, a
//! clear refusal of an unknown name, and the first-step timing of every model's kernel.

use crate::common;

use hhsim::model::Model;
use std::process::{Command, Output};

fn hhsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(args)
        .output()
        .expect("the hhsim binary runs")
}

#[test]
fn models_lists_the_bundled_files_and_prints_one_that_loads() {
    let o = hhsim(&["models"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = String::from_utf8_lossy(&o.stdout);
    for name in ["traub", "hh", "traub_km", "hh_a"] {
        assert!(
            list.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{list}"
        );
    }
    let o = hhsim(&["models", "traub_km"]);
    assert!(o.status.success());
    let model = Model::parse(&String::from_utf8_lossy(&o.stdout), "stdout").unwrap();
    assert_eq!(model.states, ["v", "m", "h", "n", "p"]);
    let o = hhsim(&["models", "izhikevich"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("one of traub, hh, traub_km, hh_a"),
        "{stderr}"
    );
}

/// `--compile` runs each bundled model's generated kernel once on the adapter and reports a
/// positive time per precision the adapter has (lavapipe has f64).
#[test]
fn models_compile_times_every_bundled_kernel() {
    let Some(ctx) = common::gpu(false) else {
        return;
    };
    let o = hhsim(&["models", "--compile"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(list.contains(&ctx.adapter.name), "{list}");
    for name in ["traub", "hh", "traub_km", "hh_a"] {
        let row = list
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}: {list}"));
        // model, units, states, exp/step, WGSL ms, then the two first-step times.
        let columns: Vec<&str> = row.split_whitespace().collect();
        for (k, precision_present) in [(5, true), (6, ctx.adapter.f64)] {
            match columns[k].parse::<f64>() {
                Ok(ms) => assert!(precision_present && ms > 0.0, "{row}"),
                Err(_) => assert!(!precision_present && columns[k] == "-", "{row}"),
            }
        }
    }
}

/// A model file that cannot be used stops `neuron` before any work: exit status 2, its place
/// and a caret, and no output directory.
#[test]
fn a_bad_model_file_is_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let text = hhsim::model::BUNDLED[0]
        .1
        .replace("conductance = \"gk * area\"", "conductance = \"gk * gx\"");
    let path = tmp.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let out = tmp.path().join("out");
    let o = hhsim(&[
        "neuron",
        "--model",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    assert!(
        lines[0].contains("bad.toml:") && lines[0].contains("unknown name 'gx'"),
        "{stderr}"
    );
    assert_eq!(lines[1].trim(), "gk * gx");
    assert_eq!(lines[2].find('^'), lines[1].find("gx"), "{stderr}");
    assert!(!out.exists());
}

/// `models PATH` checks a model file and prints it; one that cannot be used is refused there.
#[test]
fn models_checks_a_model_file_by_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good.toml");
    std::fs::write(&good, hhsim::model::BUNDLED[0].1).unwrap();
    let o = hhsim(&["models", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        hhsim::model::BUNDLED[0].1
    );
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        hhsim::model::BUNDLED[0]
            .1
            .replace("name = \"h\"", "name = \"../h\""),
    )
    .unwrap();
    let o = hhsim(&["models", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("gate name '../h'"));
}

/// An expression nested far beyond the limit (these overflowed the stack and aborted) is
/// refused by every command that reads a model file: exit status 2, its place, no panic and
/// no output directory.
#[test]
fn deeply_nested_expressions_are_refused_by_every_command() {
    let tmp = tempfile::tempdir().unwrap();
    let deep = format!("{}gk{}", "(".repeat(10_000), ")".repeat(10_000));
    let text = hhsim::model::BUNDLED[0].1.replace(
        "conductance = \"gk * area\"",
        &format!("conductance = \"{deep}\""),
    );
    let path = tmp.path().join("deep.toml");
    std::fs::write(&path, text).unwrap();
    let model = path.to_str().unwrap();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        vec!["neuron", "--model", model, "--out", out],
        vec!["cobahh", "--model", model, "--out", out],
        vec![
            "analyze",
            "fi",
            "--model",
            model,
            "--param",
            "current=0:1:3",
            "--out",
            out,
        ],
        vec!["validate", "--model", model],
    ] {
        let o = hhsim(&args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("deep.toml:") && stderr.contains("nests deeper than 256"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("panicked") && stderr.lines().count() == 3,
            "{stderr}"
        );
        assert!(
            !std::path::Path::new(out).exists(),
            "{args:?} left its output directory"
        );
    }
}
