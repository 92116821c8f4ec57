// A chunk of network steps in a few long dispatches, for llvmpipe, where a dispatch per step
// costs about as much as the step: with worker threads, llvmpipe wakes them and waits for them on
// every dispatch. Here a dispatch has one workgroup per worker thread, each a single subgroup
// owning a contiguous range of batches of `lanes` neurons, and the workgroups wait for each other
// at every step boundary through `coop.arrivals`. A workgroup steps its neurons batch by batch,
// listing the spikes, then delivers them: the same integer additions as network_update_subgroup,
// so the results are bit-identical to it and to the twin (`network_update` in
// src/backend/cpu/network.rs).
//
// Nothing waits unboundedly. llvmpipe ends every loop of an invocation silently after 65 535
// passes in all, so the kernel counts its passes as llvmpipe does (measured): every pass of a
// loop counts, the exiting one included, and a loop that runs no time still makes one pass, in
// which its body runs masked off, nested loops included (one pass each). It stops at a batch or
// a spike boundary while the worst case of one more still fits LOOP_BUDGET; a workgroup waiting
// for another likewise leaves when its budget runs low or the other has left. It saves where it
// stopped in `coop.progress` and the host dispatches again until every workgroup has done the
// chunk, so a driver running the workgroups one after another gets there too, slowly.
// What crosses workgroups goes through atomics, which llvmpipe makes sequentially consistent:
// the arrival that ends a step is ordered after its deliveries. What crosses lanes without
// atomics (the spike list, a listed neuron's last spike) stays within one subgroup, which
// llvmpipe runs as one SIMD program in order. The host uses this kernel only on llvmpipe, with
// subgroups of at most 32 lanes (src/backend/gpu/network.rs).

struct CoopState {
    // The chunk's first step and its number of steps, written by the host per chunk.
    first: u32,
    count: u32,
    // Steps completed, summed over the workgroups, since the run began: every workgroup has
    // completed s steps exactly when arrivals ≥ groups · s, as none gets two steps ahead.
    arrivals: atomic<u32>,
    // Dispatches in which workgroup 0 did any work, for the host to size the next submission.
    working_dispatches: atomic<u32>,
    // The latest dispatch (see `dispatch_id`) a workgroup left with work undone; the host
    // clears it before each submission.
    departed: atomic<u32>,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
    // Per workgroup: steps completed; the next step's batches stepped, spikes listed and spikes
    // delivered.
    progress: array<atomic<u32>>,
}

@group(0) @binding(13) var<storage, read> coop_steps: array<StepUniform>;
@group(0) @binding(14) var<storage, read_write> coop: CoopState;
// Per workgroup, the neurons of its current step that spiked (batches · lanes entries each).
@group(0) @binding(15) var<storage, read_write> coop_spikes: array<u32>;

// Loop passes one invocation may run: the driver's limit less a margin.
override LOOP_BUDGET: u32;
// The most passes one batch or the delivery of one spike can take (the longest row).
override UNIT_WORST: u32;
// The adapter's subgroup size: a workgroup is one subgroup.
override COOP_LANES: u32;

const PROGRESS_WORDS: u32 = 4u;

// Whether coop.arrivals has reached `wanted`, read a few times: a longer pass of the waiting loop
// spends less of the loop budget on a long wait.
fn arrivals_reached(wanted: u32) -> bool {
    var seen = atomicLoad(&coop.arrivals);
    seen = max(seen, atomicLoad(&coop.arrivals));
    seen = max(seen, atomicLoad(&coop.arrivals));
    seen = max(seen, atomicLoad(&coop.arrivals));
    seen = max(seen, atomicLoad(&coop.arrivals));
    seen = max(seen, atomicLoad(&coop.arrivals));
    seen = max(seen, atomicLoad(&coop.arrivals));
    seen = max(seen, atomicLoad(&coop.arrivals));
    return seen >= wanted;
}

@compute @workgroup_size(COOP_LANES)
fn network_coop(
    @builtin(workgroup_id) wg: vec3<u32>,
    @builtin(num_workgroups) n_wg: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(subgroup_size) lanes: u32,
) {
    let w = wg.x;
    let groups = n_wg.x;
    let end = coop.first + coop.count;
    let batches = (net.n_neurons + groups * lanes - 1u) / (groups * lanes);
    let list = w * batches * lanes;
    // Each dispatch binds a different entry of the step table: its step is this dispatch's id.
    let dispatch_id = step_u.step + 1u;
    // Written before the dispatch, so every lane reads the same values.
    let at = PROGRESS_WORDS * w;
    var done = atomicLoad(&coop.progress[at]);
    var batch = atomicLoad(&coop.progress[at + 1u]);
    var listed = atomicLoad(&coop.progress[at + 2u]);
    var delivered = atomicLoad(&coop.progress[at + 3u]);
    let started_at = vec4<u32>(done, batch, listed, delivered);
    var passes = 0u;
    loop {
        passes += 1u;
        // done < first: an earlier chunk is unfinished, which the host does not let happen.
        if (done >= end || done < coop.first) {
            break;
        }
        // The waiting loop's pass when it is skipped (its body masked off).
        passes += 1u;
        if (batch == 0u) {
            // Wait until every workgroup has completed `done` steps.
            var ready = false;
            loop {
                passes += 1u;
                // Lanes may read different values; the votes keep them together.
                ready = subgroupAll(arrivals_reached(groups * done));
                let hopeless = subgroupAny(atomicLoad(&coop.departed) == dispatch_id);
                if (ready || hopeless || passes + UNIT_WORST + 8u > LOOP_BUDGET) {
                    break;
                }
            }
            if (!ready) {
                break;
            }
        }
        let su = coop_steps[done - coop.first];
        // Step the batches, listing the spikes.
        loop {
            passes += 1u;
            if (batch >= batches || passes + UNIT_WORST > LOOP_BUDGET) {
                break;
            }
            let i = (w * batches + batch) * lanes + lane;
            var spiked = false;
            if (i < net.n_neurons) {
                spiked = update_neuron(i, su);
            }
            let slot = listed + subgroupExclusiveAdd(u32(spiked));
            if (spiked) {
                coop_spikes[list + slot] = i;
            }
            listed += subgroupAdd(u32(spiked));
            batch += 1u;
        }
        // The delivery loop's pass when it is skipped, with its row loop's.
        passes += 2u;
        if (batch < batches) {
            break;
        }
        // Record the listed spikes (RECORD_IN_STEP is off) and deliver them, the lanes sharing
        // each row (lane k adds synapses k, k + lanes, …); the listed neuron is the same in every
        // lane, so its row bounds are uniform loads (one per subgroup on llvmpipe, not one per
        // lane).
        let output = output_block(su);
        loop {
            passes += 1u;
            if (delivered >= listed || passes + UNIT_WORST > LOOP_BUDGET) {
                break;
            }
            let source = coop_spikes[list + delivered];
            if (lane == 0u) {
                record_spike(source, su);
            }
            let row_first = row_start[source];
            let row_end = row_start[source + 1u];
            for (var k = row_first + lane; k < row_end; k += lanes) {
                atomicAdd(&acc[output + syn_target[k]], syn_weight[k]);
            }
            passes += 1u + (row_end - row_first + lanes - 1u) / lanes;
            delivered += 1u;
        }
        if (delivered < listed) {
            break;
        }
        batch = 0u;
        listed = 0u;
        delivered = 0u;
        done += 1u;
        if (lane == 0u) {
            atomicAdd(&coop.arrivals, 1u);
        }
    }
    let now = vec4<u32>(done, batch, listed, delivered);
    if (lane == 0u) {
        atomicStore(&coop.progress[at], done);
        atomicStore(&coop.progress[at + 1u], batch);
        atomicStore(&coop.progress[at + 2u], listed);
        atomicStore(&coop.progress[at + 3u], delivered);
        if (done < end) {
            atomicMax(&coop.departed, dispatch_id);
        }
        if (w == 0u && any(now != started_at)) {
            atomicAdd(&coop.working_dispatches, 1u);
        }
    }
}
