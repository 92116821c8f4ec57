// Evaluates the prelude's exp_real on every element, to measure the f64 software exp against
// the host's. Twin: `exp_check` in src/backend/cpu/mod.rs (f64::exp).

@group(0) @binding(0) var<storage, read> exp_args: array<Real>;
@group(0) @binding(1) var<storage, read_write> exp_values: array<Real>;

@compute @workgroup_size(64)
fn exp_check(@builtin(global_invocation_id) gid: vec3<u32>) {
    if (gid.x < arrayLength(&exp_args)) {
        exp_values[gid.x] = exp_real(exp_args[gid.x]);
    }
}
