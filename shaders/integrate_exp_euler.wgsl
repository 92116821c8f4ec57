// Exponential Euler (Brian2's `exponential_euler`) for independent neurons, many steps per
// dispatch. Twin: `integrate_exp_euler` in src/backend/cpu/mod.rs.

fn method_step(p: NeuronParams, s: State, i_ext: Real, dt: Real) -> State {
    return exp_euler_hh(p, s, 0.0, i_ext, dt);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn integrate_exp_euler(@builtin(global_invocation_id) gid: vec3<u32>) {
    integrate_neuron(gid.x);
}
