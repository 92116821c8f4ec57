//! `hhsim bench` through the binary: repeated runs taken in turn, the median reported, and the
//! bad-input contract.

use crate::common;

use std::process::Command;

#[test]
fn bench_repeats_each_configuration_and_reports_the_median() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bench");
    // A tiny network for 20 ms: the point is the bookkeeping, not the timings.
    let o = Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args([
            "bench",
            "--workload",
            "cobahh",
            "--scales",
            "0.05",
            "--duration",
            "20",
            "--repeat",
            "3",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("the hhsim binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rows: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    let rows = rows.as_array().unwrap();
    assert!(rows.iter().any(|r| r["backend"] == "cpu"), "no CPU row");
    for row in rows {
        let mut walls: Vec<f64> = row["walls_s"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_f64().unwrap())
            .collect();
        assert_eq!(walls.len(), 3, "{row}");
        walls.sort_by(f64::total_cmp);
        assert_eq!(row["wall_s"].as_f64().unwrap(), walls[1], "{row}");
    }
}

#[test]
fn bench_refuses_zero_repeats() {
    common::assert_refused(&["bench", "--repeat", "0"], "--repeat");
}
