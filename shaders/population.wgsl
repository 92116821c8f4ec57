// Bindings and the step loop of the kernels for independent neurons (integrate_*.wgsl).
// Keep RunUniforms in sync with src/layout.rs.

// Pipeline constants: the host builds a pipeline per combination so that the step loop carries
// no code for features a run does not use (lavapipe runs both sides of every branch; measured
// 29 % faster without trace and noise, 8 % without spike steps, 13 % without shared input).
// The CPU twin reads the same facts from `run.record_every`, `run.has_noise` and
// `run.spike_capacity`, and adds the shared input, which is zero when there is none.
override RECORD_TRACE: bool;
override HAS_NOISE: bool;
override RECORD_SPIKE_STEPS: bool;
override HAS_SHARED_INPUT: bool;

struct RunUniforms {
    n_neurons: u32,
    first_neuron: u32,
    n_steps: u32,
    first_step: u32,
    model: u32,
    record_every: u32,
    spike_capacity: u32,
    has_noise: u32,
    dt: Real,
}

@group(0) @binding(0) var<uniform> run: RunUniforms;
@group(0) @binding(1) var<storage, read_write> states: array<State>;
@group(0) @binding(2) var<storage, read> params: array<NeuronParams>;
@group(0) @binding(3) var<storage, read> shared_input: array<Real>;
@group(0) @binding(4) var<storage, read> noise: array<Real>;
@group(0) @binding(5) var<storage, read_write> spike_count: array<u32>;
@group(0) @binding(6) var<storage, read_write> spike_steps: array<u32>;
@group(0) @binding(7) var<storage, read_write> trace: array<State>;
@group(0) @binding(8) var<storage, read_write> status: array<u32>;

// Integrates neuron `run.first_neuron + gid` over the chunk's steps with the kernel's
// `method_step`; twin: src/backend/cpu/mod.rs `integrate_steps`.
fn integrate_neuron(gid: u32) {
    let i = run.first_neuron + gid;
    if (i >= run.n_neurons || status[i] != 0u) {
        return;
    }
    let p = params[i];
    var s = states[i];
    var count = spike_count[i];
    // Stored once after the loop: a store inside it costs every step on lavapipe.
    var failed_at = 0u;
    for (var k = 0u; k < run.n_steps; k++) {
        let step = run.first_step + k;
        if (RECORD_TRACE && k % run.record_every == 0u) {
            trace[(k / run.record_every) * run.n_neurons + i] = s;
        }
        var i_ext = p.i_const;
        if (HAS_SHARED_INPUT) {
            i_ext = i_ext + shared_input[k];
        }
        if (HAS_NOISE) {
            i_ext = i_ext + noise[k * run.n_neurons + i];
        }
        let next = method_step(p, s, i_ext, run.dt);
        if (!state_is_finite(next)) {
            failed_at = step + 1u;
            break;
        }
        if (s.v < p.v_th && next.v >= p.v_th) {
            if (RECORD_SPIKE_STEPS && count < run.spike_capacity) {
                spike_steps[i * run.spike_capacity + count] = step;
            }
            count = count + 1u;
        }
        s = next;
    }
    states[i] = s;
    spike_count[i] = count;
    if (failed_at != 0u) {
        status[i] = failed_at;
    }
}
