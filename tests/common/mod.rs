//! Helpers shared by the integration tests.
#![allow(dead_code)]

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
