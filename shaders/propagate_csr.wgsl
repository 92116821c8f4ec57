// Delivers this step's spikes: each invocation walks the CSR row of one spiking neuron and adds
// the synapses' integer weights to their targets' accumulators (exact, so the order of the
// atomics cannot change the result). Also clears the other parity's spike counter for the next
// step. Twin: `propagate_csr` in src/backend/cpu/network.rs.

@compute @workgroup_size(WORKGROUP_SIZE)
fn propagate_csr(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    let parity = step_u.parity;
    if (t == 0u) {
        atomicStore(&counters[1u - parity], 0u);
    }
    if (t >= atomicLoad(&counters[parity])) {
        return;
    }
    let pre = spike_list[parity * net.n_neurons + t];
    for (var k = row_start[pre]; k < row_start[pre + 1u]; k++) {
        atomicAdd(&acc[syn_target[k]], syn_weight[k]);
    }
}
