// One step of every network neuron (network_neuron.wgsl), each spiking invocation then walking
// its own CSR row and adding the integer weights into the accumulators of the next step's
// parity. Integers make the sum independent of the order of the atomics, and the parity blocks
// keep a delivery out of this step's input, so the effect is felt from the next step, as in
// Brian2, with one dispatch per step. For adapters without subgroup operations; see
// network_update_subgroup.wgsl for the faster walk.
// Twin: `network_update` in src/backend/cpu/network.rs.

@compute @workgroup_size(WORKGROUP_SIZE)
fn network_update(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if (i < net.n_neurons && update_neuron(i, step_u)) {
        let output = output_block(step_u);
        for (var k = row_start[i]; k < row_start[i + 1u]; k++) {
            atomicAdd(&acc[output + syn_target[k]], syn_weight[k]);
        }
    }
}
