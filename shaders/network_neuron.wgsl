// One network neuron's step, shared by the network_update kernels: take in last step's
// synaptic input, integrate, detect a spike (upward threshold crossing outside the refractory
// window) and record it. Delivering the spike is the kernels' part. The model's part
// (`NetState`, `GroupParams`, `load_state`, `take_input`, `net_exp_euler`, `net_rk4`, ...) is
// generated from its model file (src/kernel/wgsl.rs, `network_functions`).
// Twin: `network_update` in src/backend/cpu/network.rs; the step itself: src/network/neuron.rs.

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

// Steps neuron i (< net.n_neurons) through step `su`; returns whether it spiked.
fn update_neuron(i: u32, su: StepUniform) -> bool {
    let f = 4u * i;
    var p: GroupParams;
    if (SHARED_PARAMS) {
        p = shared_params;
    } else {
        p = net_params[flags[f + FLAG_GROUP]];
    }
    var s = load_state(i);
    // Input from the spikes of the previous step, exact in integers, converted once.
    s = take_input(i, su.parity * N_SYN * net.n_neurons, s);
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
    let spiked = s.x0 < net.threshold && next.x0 >= net.threshold && rested;
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
    return (1u - su.parity) * N_SYN * net.n_neurons;
}
