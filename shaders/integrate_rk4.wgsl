// Classic fourth-order Runge–Kutta for independent neurons, many steps per dispatch.
// Twin: `integrate_rk4` in src/backend/cpu/mod.rs.

fn method_step(p: NeuronParams, s: State, i_ext: Real, dt: Real) -> State {
    let half = dt * 0.5;
    let k1 = derivatives(p, s, i_ext);
    let k2 = derivatives(p, add_scaled(s, half, k1), i_ext);
    let k3 = derivatives(p, add_scaled(s, half, k2), i_ext);
    let k4 = derivatives(p, add_scaled(s, dt, k3), i_ext);
    return rk4_combine(s, dt, k1, k2, k3, k4);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn integrate_rk4(@builtin(global_invocation_id) gid: vec3<u32>) {
    integrate_neuron(gid.x);
}
