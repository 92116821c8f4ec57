// The population kernel: `integrate_model` integrates neuron `run.first_neuron + gid` over a
// chunk of steps, over flat arrays of `Real` (states × neurons; the parameters and the spike
// threshold × neurons). The model's part is generated from its model file (src/kernel/wgsl.rs,
// `population_functions`): `ModelState`, `ModelParams`, `N_STATES`, `N_PARAMS`, loading,
// storing and recording a state, and `method_step`. Keep `PopulationRun` in sync with
// src/kernel/layout.rs (a test compares them). Twin: backend/cpu/population.rs, `integrate_model`.

struct PopulationRun {
    n_neurons: u32,
    first_neuron: u32,
    n_steps: u32,
    first_step: u32,
    record_every: u32,
    spike_capacity: u32,
    has_noise: u32,
    _pad: u32,
    dt: Real,
}

// Pipeline constants: the kernel carries no code for features a run does not use (lavapipe runs
// both sides of every branch). The twin reads the same facts from the run's uniforms.
override RECORD_TRACE: bool;
override HAS_NOISE: bool;
override HAS_SHARED_INPUT: bool;
override RECORD_SPIKE_STEPS: bool;

@group(0) @binding(0) var<uniform> run: PopulationRun;
@group(0) @binding(1) var<storage, read_write> states: array<Real>;
@group(0) @binding(2) var<storage, read> params: array<Real>;
@group(0) @binding(3) var<storage, read> current: array<Real>;
@group(0) @binding(4) var<storage, read> shared_input: array<Real>;
@group(0) @binding(5) var<storage, read> noise: array<Real>;
@group(0) @binding(6) var<storage, read_write> spike_count: array<u32>;
@group(0) @binding(7) var<storage, read_write> spike_steps: array<u32>;
@group(0) @binding(8) var<storage, read_write> trace: array<Real>;
@group(0) @binding(9) var<storage, read_write> status: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn integrate_model(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = run.first_neuron + gid.x;
    if (i >= run.n_neurons || status[i] != 0u) {
        return;
    }
    var s = load_state(i);
    let p = load_params(i);
    // Read once: a storage read inside the loop costs every step.
    let i_const = current[i];
    let dt = run.dt;
    // A row of parameters per neuron: the model's, then the spike threshold.
    let threshold = params[i * (N_PARAMS + 1u) + N_PARAMS];
    var count = spike_count[i];
    var failed_at = 0u;
    for (var k = 0u; k < run.n_steps; k++) {
        let step = run.first_step + k;
        if (RECORD_TRACE && k % run.record_every == 0u) {
            record_state(((k / run.record_every) * run.n_neurons + i) * N_STATES, s);
        }
        var i_ext = i_const;
        if (HAS_SHARED_INPUT) {
            i_ext = i_ext + shared_input[k];
        }
        if (HAS_NOISE) {
            i_ext = i_ext + noise[k * run.n_neurons + i];
        }
        let next = method_step(s, p, i_ext, dt);
        if (!state_is_finite(next)) {
            failed_at = step + 1u;
            break;
        }
        if (s.x0 < threshold && next.x0 >= threshold) {
            if (RECORD_SPIKE_STEPS && count < run.spike_capacity) {
                spike_steps[i * run.spike_capacity + count] = step;
            }
            count = count + 1u;
        }
        s = next;
    }
    store_state(i, s);
    spike_count[i] = count;
    if (failed_at != 0u) {
        status[i] = failed_at;
    }
}
