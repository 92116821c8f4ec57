// Bindings of the network kernels (network_update*.wgsl, network_chunk_end.wgsl). Keep the
// structs in sync with src/kernel/layout.rs. `step_u` is bound at a dynamic offset per step, so a chunk
// of many steps is one command buffer. The neuron's types (`NetState`, `GroupParams`) and
// constants (`N_SYN`, `SYN_SLOTS`) are generated from its model file.

struct NetUniforms {
    n_neurons: u32,
    n_recorded: u32,
    ring_capacity: u32,
    trace_capacity: u32,
    dt: Real,
    quantum: Real,
    threshold: Real,
    _pad: Real,
}

struct StepUniform {
    step: u32,
    parity: u32,
    sample: u32,
    half: u32,
}

const NONE: u32 = 0xffffffffu;
const COUNTER_RING: u32 = 0u;
const COUNTER_TOTAL: u32 = 2u;

@group(0) @binding(0) var<uniform> net: NetUniforms;
@group(0) @binding(1) var<uniform> step_u: StepUniform;
// Each neuron's NetState padded to whole vec4s (`load_state`, `store_state`): lavapipe loops over
// the lanes once per load or store, whatever its width, so fewer and wider accesses are cheaper.
@group(0) @binding(2) var<storage, read_write> net_state: array<vec4<Real>>;
// One entry per group: every neuron of a group shares its parameters and current.
@group(0) @binding(3) var<storage, read> net_params: array<GroupParams>;
// NeuronFlags as four words per neuron (FLAG_* below), read one by one: a step needs only
// last_spike from every neuron, the other words only where the run differs between groups or
// records a trace (network_neuron.wgsl).
@group(0) @binding(4) var<storage, read_write> flags: array<u32>;
const FLAG_REFRACTORY: u32 = 0u;
const FLAG_RECORD_SLOT: u32 = 1u;
const FLAG_LAST_SPIKE: u32 = 2u;
const FLAG_GROUP: u32 = 3u;
// Integer conductance inputs in units of net.quantum, one block of N_SYN·n per step parity: a
// step takes its input from its parity's block ([k·n, (k + 1)·n) for synapse k) and delivers its
// spikes into the other's, which nothing reads until the next step.
@group(0) @binding(5) var<storage, read_write> acc: array<atomic<u32>>;
@group(0) @binding(6) var<storage, read_write> counters: array<atomic<u32>, 3>;
// (step, neuron) of every spike of a chunk, in two halves: the host drains one while the next
// chunk fills the other. The trace is split the same way.
@group(0) @binding(7) var<storage, read_write> ring: array<vec2<u32>>;
@group(0) @binding(8) var<storage, read_write> net_trace: array<NetState>;
// Pre→post CSR; targets index a parity's block of `acc` (synapse k's are offset by k·n).
@group(0) @binding(9) var<storage, read> row_start: array<u32>;
@group(0) @binding(10) var<storage, read> syn_target: array<u32>;
@group(0) @binding(11) var<storage, read> syn_weight: array<u32>;
// net_params[0] again, read instead of net_params when every group has the same entry: a uniform
// read costs nothing per neuron, a storage read a loop over lanes on lavapipe.
@group(0) @binding(12) var<uniform> shared_params: GroupParams;
// Per synapse of the model: (reversal, e^(−dt/τ), e^(−dt/(2τ)), 0).
@group(0) @binding(16) var<uniform> syn: array<vec4<Real>, SYN_SLOTS>;
