// Classic fourth-order Runge–Kutta for independent neurons, many steps per dispatch.
// Twin: `integrate_rk4` in src/backend/cpu.rs.

fn method_step(model: u32, p: NeuronParams, s: State, i_ext: Real, dt: Real) -> State {
    let half = dt * 0.5;
    let k1 = derivatives(model, p, s, i_ext);
    let k2 = derivatives(model, p, add_scaled(s, half, k1), i_ext);
    let k3 = derivatives(model, p, add_scaled(s, half, k2), i_ext);
    let k4 = derivatives(model, p, add_scaled(s, dt, k3), i_ext);
    let sixth = dt / 6.0;
    return State(
        s.v + sixth * (k1.v + 2.0 * (k2.v + k3.v) + k4.v),
        s.m + sixth * (k1.m + 2.0 * (k2.m + k3.m) + k4.m),
        s.h + sixth * (k1.h + 2.0 * (k2.h + k3.h) + k4.h),
        s.n + sixth * (k1.n + 2.0 * (k2.n + k3.n) + k4.n),
    );
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn integrate_rk4(@builtin(global_invocation_id) gid: vec3<u32>) {
    integrate_neuron(gid.x);
}
