//! Helpers shared by the integration tests.

use hhsim::backend::Engine;
use hhsim::backend::gpu::GpuContext;
use hhsim::backend::population::{Population, RunConfig};
use hhsim::builtin::{BuiltIn, InitialState};
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use std::sync::Arc;

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

/// An engine a population runs on, in one precision.
pub struct EngineCase {
    pub engine: Engine,
    pub precision: Precision,
    /// E.g. `gpu f32`, for messages.
    pub label: String,
}

impl EngineCase {
    pub fn is_cpu(&self) -> bool {
        matches!(self.engine, Engine::Cpu)
    }
}

/// Every engine a population runs on: the CPU twin and the GPU, each in f32 and f64, for the
/// tests whose claim holds on all of them. Without an adapter the GPU's are left out with a
/// note (with HHSIM_REQUIRE_GPU=1, a failure, as [`gpu`] does).
pub fn every_engine() -> Vec<EngineCase> {
    let mut engines = Vec::new();
    let gpu = gpu(true).map(Arc::new);
    for precision in [Precision::F32, Precision::F64] {
        let name = precision.name();
        engines.push(EngineCase {
            engine: Engine::Cpu,
            precision,
            label: format!("cpu {name}"),
        });
        if let Some(ctx) = &gpu {
            engines.push(EngineCase {
                engine: Engine::Gpu(ctx.clone()),
                precision,
                label: format!("gpu {name}"),
            });
        }
    }
    engines
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

/// Neurons of a built-in model at its file's parameters `params` (`None`: the defaults), from
/// the named initial state, one per current, as the command line runs them.
pub fn builtin_population(
    builtin: BuiltIn,
    params: Option<&[f64]>,
    init: InitialState,
    currents: &[f64],
) -> Population {
    let model = builtin.model();
    let params = params.map_or(model.default_parameters(), <[f64]>::to_vec);
    let state = builtin.initial(init, &model, &params).unwrap();
    let row = builtin.kernel_row(&model, &params);
    Population::uniform(model, row, state, currents.to_vec())
}

/// A run of `duration_ms` in steps of `dt_ms` that keeps spike steps and records nothing.
pub fn run_config(method: Method, dt_ms: f64, duration_ms: f64) -> RunConfig {
    RunConfig::for_duration(method, dt_ms, duration_ms).unwrap()
}
