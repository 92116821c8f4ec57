// One network neuron's step, shared by both network_update kernels: take in last step's
// synaptic input, integrate, detect a spike (upward threshold crossing outside the refractory
// window) and record it. Delivering the spike is the kernels' part.
// Twin: `network_update` in src/backend/cpu/network.rs; the step itself: src/network/step.rs.

// 0: exponential Euler, 1: RK4.
override METHOD: u32;
// Whether every group has the same parameters (then read from `shared_params`).
override SHARED_PARAMS: bool;
// Every neuron's refractory window in steps, where all groups have the same one; otherwise
// NONE and each neuron's is read from its flags.
override SHARED_REFRACTORY: u32;
// Whether update_neuron records a spike itself. network_coop records spikes while delivering
// them instead, once per spike: on llvmpipe a branch not taken still runs its stores masked, so
// recording in the step costs every batch of neurons the stores of the rare spike.
override RECORD_IN_STEP: bool = true;
// Whether any neuron's state is recorded. lavapipe runs the stores of a branch not taken too
// (masked), so without this a run that records nothing would pay for the trace every step.
override RECORD_TRACE: bool;

fn net_exp_euler(p: NeuronParams, s: NetState, dt: Real) -> NetState {
    let hh = exp_euler_hh(p, State(s.v, s.m, s.h, s.n), s.ge + s.gi,
        s.ge * net.e_e + s.gi * net.e_i + p.i_const, dt);
    return NetState(hh.v, hh.m, hh.h, hh.n, s.ge * net.decay_e, s.gi * net.decay_i);
}

fn syn_derivatives(p: NeuronParams, x: State, ge: Real, gi: Real) -> State {
    return derivatives(p, x, ge * (net.e_e - x.v) + gi * (net.e_i - x.v) + p.i_const);
}

fn net_rk4(p: NeuronParams, s: NetState, dt: Real) -> NetState {
    let hh = State(s.v, s.m, s.h, s.n);
    let half = dt * 0.5;
    let ge_half = s.ge * net.decay_e_half;
    let gi_half = s.gi * net.decay_i_half;
    let ge_end = s.ge * net.decay_e;
    let gi_end = s.gi * net.decay_i;
    let k1 = syn_derivatives(p, hh, s.ge, s.gi);
    let k2 = syn_derivatives(p, add_scaled(hh, half, k1), ge_half, gi_half);
    let k3 = syn_derivatives(p, add_scaled(hh, half, k2), ge_half, gi_half);
    let k4 = syn_derivatives(p, add_scaled(hh, dt, k3), ge_end, gi_end);
    let next = rk4_combine(hh, dt, k1, k2, k3, k4);
    return NetState(next.v, next.m, next.h, next.n, ge_end, gi_end);
}

// Steps neuron i (< net.n_neurons) through step `su`; returns whether it spiked.
fn update_neuron(i: u32, su: StepUniform) -> bool {
    let f = 4u * i;
    var p: NeuronParams;
    if (SHARED_PARAMS) {
        p = shared_params;
    } else {
        p = net_params[flags[f + FLAG_GROUP]];
    }
    var s = load_state(i);
    // Input from the spikes of the previous step, exact in integers, converted once.
    let input = su.parity * 2u * net.n_neurons;
    s.ge = s.ge + Real(atomicExchange(&acc[input + i], 0u)) * net.quantum;
    s.gi = s.gi + Real(atomicExchange(&acc[input + net.n_neurons + i], 0u)) * net.quantum;
    if (RECORD_TRACE && su.sample != NONE) {
        let slot = flags[f + FLAG_RECORD_SLOT];
        if (slot != NONE) {
            net_trace[su.half * net.trace_capacity + su.sample * net.n_recorded + slot] = s;
        }
    }
    var next: NetState;
    if (METHOD == 1u) {
        next = net_rk4(p, s, net.dt);
    } else {
        next = net_exp_euler(p, s, net.dt);
    }
    let step = su.step;
    var refractory = SHARED_REFRACTORY;
    if (SHARED_REFRACTORY == NONE) {
        refractory = flags[f + FLAG_REFRACTORY];
    }
    let last_spike = flags[f + FLAG_LAST_SPIKE];
    let rested = last_spike == 0u || step - (last_spike - 1u) >= refractory;
    let spiked = s.v < p.v_th && next.v >= p.v_th && rested;
    if (RECORD_IN_STEP && spiked) {
        record_spike(i, su);
    }
    store_state(i, next);
    return spiked;
}

// Records neuron i's spike in step `su`: an entry (step, i) in the ring, and its last spike.
fn record_spike(i: u32, su: StepUniform) {
    let r = atomicAdd(&counters[COUNTER_RING + su.half], 1u);
    if (r < net.ring_capacity) {
        ring[su.half * net.ring_capacity + r] = vec2<u32>(su.step, i);
    }
    flags[4u * i + FLAG_LAST_SPIKE] = su.step + 1u;
}

// Where the spikes of step `su` go: the accumulator block of the next step's parity.
fn output_block(su: StepUniform) -> u32 {
    return (1u - su.parity) * 2u * net.n_neurons;
}
