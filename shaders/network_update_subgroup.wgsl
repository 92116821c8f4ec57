// network_update with the rows walked by whole subgroups: the lanes of a subgroup take its
// spiking invocations' rows one after another and share each row, lane k adding synapses k,
// k + lanes, … A lone spiking lane walking 80 synapses keeps the others idle; on lavapipe every
// idle lane still costs a masked turn of each load and atomic, on a GPU a divergent loop. The
// additions are the same integers as network_update's, so the accumulators are bit-identical.
// Twin: `network_update` in src/backend/cpu/network.rs.

@compute @workgroup_size(WORKGROUP_SIZE)
fn network_update_subgroup(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(subgroup_size) lanes: u32,
) {
    let i = gid.x;
    var spiked = false;
    if (i < net.n_neurons) {
        spiked = update_neuron(i, step_u);
    }
    // Subgroup operations below need every lane, so no invocation has returned early.
    var first = 0u;
    var end = 0u;
    if (spiked) {
        first = row_start[i];
        end = row_start[i + 1u];
    }
    let output = output_block(step_u);
    let ballot = subgroupBallot(spiked);
    for (var word = 0u; word < (lanes + 31u) / 32u; word++) {
        var pending = ballot[word];
        while (pending != 0u) {
            let source = word * 32u + firstTrailingBit(pending);
            pending &= pending - 1u;
            let row_end = subgroupShuffle(end, source);
            for (var k = subgroupShuffle(first, source) + lane; k < row_end; k += lanes) {
                atomicAdd(&acc[output + syn_target[k]], syn_weight[k]);
            }
        }
    }
}
