// After the last step of a chunk: add the chunk's spike count (its half's ring counter) to the
// run's total, so the device keeps its own count of every spike without a second atomic per
// spike in network_update. One invocation.
// Twin: `network_chunk_end` in src/backend/cpu/network.rs.

@compute @workgroup_size(1)
fn network_chunk_end() {
    let chunk = atomicLoad(&counters[COUNTER_RING + step_u.half]);
    atomicAdd(&counters[COUNTER_TOTAL], chunk);
}
