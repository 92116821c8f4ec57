//! The CPU reference backend. Each `integrate_*` function is the twin of the WGSL kernel of the
//! same name (`shaders/integrate_*.wgsl`), over the same buffers (`Bindings`, mirroring the
//! binding table of `shaders/population.wgsl`); Euler and RK2 exist on the CPU only.

pub mod network;

use super::{FinalBuffers, PopulationEngine, PopulationResult, lower, run_on};
use crate::error::Result;
use crate::integrate::{Method, step};
use crate::layout::{NeuronParams, RunUniforms};
use crate::model::{ModelKind, Real, State};
use crate::population::{Population, RunConfig};

/// The buffers of one dispatch, as `shaders/population.wgsl` binds them.
pub struct Bindings<'a, R> {
    pub run: &'a RunUniforms<R>,
    pub states: &'a mut [State<R>],
    pub params: &'a [NeuronParams<R>],
    pub shared_input: &'a [R],
    pub noise: &'a [R],
    pub spike_count: &'a mut [u32],
    pub spike_steps: &'a mut [u32],
    pub trace: &'a mut [State<R>],
    pub status: &'a mut [u32],
}

/// Twin of `integrate_exp_euler` in shaders/integrate_exp_euler.wgsl.
pub fn integrate_exp_euler<R: Real>(b: Bindings<R>) {
    integrate_steps(Method::ExpEuler, b)
}

/// Twin of `integrate_rk4` in shaders/integrate_rk4.wgsl.
pub fn integrate_rk4<R: Real>(b: Bindings<R>) {
    integrate_steps(Method::Rk4, b)
}

/// Twin of `exp_check` in shaders/exp_check.wgsl.
pub fn exp_check(args: &[f64]) -> Vec<f64> {
    args.iter().map(|x| x.exp()).collect()
}

/// Twin of `integrate_neuron` in shaders/population.wgsl, for every neuron of the dispatch.
/// Spikes are upward crossings of the threshold, v_old < θ ≤ v_new; a neuron whose state stops
/// being finite records 1 + that step in `status` and is not integrated further.
pub fn integrate_steps<R: Real>(method: Method, b: Bindings<R>) {
    let run = b.run;
    let kind = if run.model == 0 {
        ModelKind::Traub
    } else {
        ModelKind::Classic
    };
    let cap = run.spike_capacity as usize;
    let n = run.n_neurons as usize;
    for i in run.first_neuron as usize..n {
        if b.status[i] != 0 {
            continue;
        }
        let np = &b.params[i];
        let p = np.model(kind);
        let mut s = b.states[i];
        let mut count = b.spike_count[i];
        for k in 0..run.n_steps as usize {
            let global_step = run.first_step + k as u32;
            if run.record_every != 0 && k % run.record_every as usize == 0 {
                b.trace[(k / run.record_every as usize) * n + i] = s;
            }
            let mut i_ext = np.i_const + b.shared_input[k];
            if run.has_noise != 0 {
                i_ext = i_ext + b.noise[k * n + i];
            }
            let next = step(method, &p, &s, i_ext, run.dt);
            if next.first_non_finite().is_some() {
                b.status[i] = global_step + 1;
                break;
            }
            if s.v < p.v_th && next.v >= p.v_th {
                if (count as usize) < cap {
                    b.spike_steps[i * cap + count as usize] = global_step;
                }
                count += 1;
            }
            s = next;
        }
        b.states[i] = s;
        b.spike_count[i] = count;
    }
}

/// The CPU engine: the lowered buffers in host memory, advanced by the twins.
struct CpuEngine<R> {
    method: Method,
    params: Vec<NeuronParams<R>>,
    buffers: FinalBuffers<R>,
}

impl<R: Real> PopulationEngine<R> for CpuEngine<R> {
    fn run_chunk(
        &mut self,
        run: &RunUniforms<R>,
        shared: &[R],
        noise: &[R],
    ) -> Result<Vec<State<R>>> {
        let n = run.n_neurons as usize;
        let samples = run.trace_samples();
        let mut trace = vec![State::default(); samples * n];
        let b = &mut self.buffers;
        integrate_steps(
            self.method,
            Bindings {
                run,
                states: &mut b.states,
                params: &self.params,
                shared_input: shared,
                noise,
                spike_count: &mut b.spike_count,
                spike_steps: &mut b.spike_steps,
                trace: &mut trace,
                status: &mut b.status,
            },
        );
        Ok(trace)
    }

    fn finish(&mut self) -> Result<FinalBuffers<R>> {
        Ok(std::mem::take(&mut self.buffers))
    }
}

/// Runs every neuron of `pop` for `cfg.n_steps()` steps in precision `R` on the CPU, with any
/// method. `pop` and `cfg` must be validated.
pub fn run_population<R: Real>(pop: &Population, cfg: &RunConfig) -> Result<PopulationResult> {
    let lowered = lower::<R>(pop, cfg)?;
    let n = lowered.params.len();
    let mut engine = CpuEngine {
        method: cfg.method,
        params: lowered.params.clone(),
        buffers: FinalBuffers {
            states: lowered.init.clone(),
            spike_count: vec![0; n],
            spike_steps: vec![0; n * lowered.spike_capacity as usize],
            status: vec![0; n],
        },
    };
    run_on(pop, cfg, &lowered, &mut engine)
}
