// Exponential Euler (Brian2's `exponential_euler`) for independent neurons, many steps per
// dispatch. Twin: `integrate_exp_euler` in src/backend/cpu/mod.rs.

// x + dt·(a + b·x)·exprel(b·dt) with dx/dt = a + b·x frozen at the start of the step.
fn advance(x: Real, a: Real, b: Real, dt: Real) -> Real {
    return x + dt * (a + b * x) * exprel(b * dt);
}

fn method_step(model: u32, p: NeuronParams, s: State, i_ext: Real, dt: Real) -> State {
    let r = rates(model, p, s.v);
    let n2 = s.n * s.n;
    let g_na = p.g_na * s.m * s.m * s.m * s.h;
    let g_k = p.g_k * n2 * n2;
    let g_total = g_na + g_k + p.g_l;
    let driven = g_na * p.e_na + g_k * p.e_k + p.g_l * p.e_l + i_ext;
    return State(
        advance(s.v, driven / p.c, -g_total / p.c, dt),
        advance(s.m, r.alpha_m, -(r.alpha_m + r.beta_m), dt),
        advance(s.h, r.alpha_h, -(r.alpha_h + r.beta_h), dt),
        advance(s.n, r.alpha_n, -(r.alpha_n + r.beta_n), dt),
    );
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn integrate_exp_euler(@builtin(global_invocation_id) gid: vec3<u32>) {
    integrate_neuron(gid.x);
}
