//! Helpers shared by the integration tests.

use hhsim::backend::gpu::GpuContext;

/// A GPU context, or `None` (the test then skips with a note) when no adapter is present.
/// With HHSIM_REQUIRE_GPU=1, as CI sets it, a missing adapter fails the test instead.
pub fn gpu(need_f64: bool) -> Option<GpuContext> {
    match GpuContext::new(need_f64) {
        Ok(ctx) => Some(ctx),
        Err(e) if std::env::var("HHSIM_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("HHSIM_REQUIRE_GPU=1 but no usable adapter: {e}")
        }
        Err(e) => {
            eprintln!("skipping: {e}");
            None
        }
    }
}

/// Runs `hhsim ARGS --out DIR` with a fresh DIR and checks the bad-input contract: exit status
/// 2, exactly one line on stderr that contains `mentions`, no panic, and no output directory.
pub fn assert_refused(args: &[&str], mentions: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hhsim"))
        .args(args)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("the hhsim binary runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{args:?}: status {:?}, stderr {stderr}",
        o.status
    );
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{args:?}: expected one line, got {stderr}");
    assert!(
        lines[0].contains(mentions),
        "{args:?}: {:?} does not mention {mentions:?}",
        lines[0]
    );
    assert!(!stderr.contains("panicked"));
    assert!(!out.exists(), "{args:?} left {}", out.display());
}
