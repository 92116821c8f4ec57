//! Networks described in Python (`hhsim.Network`): groups of Traub–Miles neurons and projections
//! between them, handed over as JSON, built by hhsim's `NetworkBuilder` and run like `cobahh`.

use super::{NetworkResult, NetworkRun, run_detached};
use hhsim::backend::network::{NetConfig, NetResult};
use hhsim::backend::{BackendChoice, Engine};
use hhsim::cli::Host;
use hhsim::cli::cobahh::{GroupSummary, group_summaries, write_network_files};
use hhsim::cli::model_choice::{apply_file_overrides, apply_file_settings, model_file};
use hhsim::error::{Error, Result};
use hhsim::integrate::Method;
use hhsim::kernel::Precision;
use hhsim::monitor::{SpikeList, SpikeSink, Spikes};
use hhsim::network::cobahh::{EXCITATORY, INHIBITORY};
use hhsim::network::{
    Connectivity, Group, InitValue, NetworkBuilder, NormalInit, Projection, Weight,
};
use hhsim::output::OutputDir;
use hhsim::output::spike_file::SpikeFile;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    seed: u64,
    /// `--model`'s names: `traub` (the default), a bundled model file or the path of one.
    model: String,
    /// Parameter overrides of every group, by the model's names.
    set: Vec<(String, f64)>,
    synapses: Synapses,
    groups: Vec<GroupSpec>,
    projections: Vec<ProjectionSpec>,
    run: RunSpec,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Synapses {
    tau_e: Option<f64>,
    tau_i: Option<f64>,
    e_e: Option<f64>,
    e_i: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    name: String,
    size: usize,
    /// (mean, sd) of V [mV], and of ge and gi [nS] where given (else 0 ± 0 where the model has
    /// them, drawn as COBA-HH draws them).
    v: (f64, f64),
    ge: Option<(f64, f64)>,
    gi: Option<(f64, f64)>,
    /// Fixed m, h, n, else the model's initial values.
    gates: Option<(f64, f64, f64)>,
    /// Any variable: one value (fixed) or (mean, sd) (drawn).
    init: Vec<(String, Vec<f64>)>,
    /// Parameter overrides of this group, after the network's.
    set: Vec<(String, f64)>,
    refractory: f64,
    current: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectionSpec {
    pre: usize,
    post: usize,
    p: Option<f64>,
    in_degree: Option<usize>,
    /// One weight [nS], or (low, high) drawn uniformly per synapse.
    weight: Vec<f64>,
    receptor: String,
    autapses: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSpec {
    duration: f64,
    dt: f64,
    method: String,
    precision: String,
    backend: String,
    record_v: Vec<usize>,
    record_every: usize,
}

/// A choice by its command-line name, or a ValueError listing the names.
fn choice<T: clap::ValueEnum>(name: &'static str, value: &str) -> Result<T> {
    T::from_str(value, false).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        Error::invalid(name, value, format!("one of {}", names.join(", ")))
    })
}

/// What summary.json records about a network built in Python.
#[derive(Clone, Serialize)]
pub struct Summary {
    command: &'static str,
    n_neurons: usize,
    n_synapses: usize,
    groups: Vec<GroupSummary>,
    total_spikes: u64,
    backend: &'static str,
    adapter: Option<String>,
    precision: Precision,
    method: Method,
    dt_ms: f64,
    duration_ms: f64,
    n_steps: usize,
    seed: u64,
    wall_s: f64,
    build_s: f64,
    simulate_s: f64,
    neuron_steps_per_s: f64,
}

/// A finished run of a network built in Python.
pub struct BuiltRun {
    pub result: NetResult,
    pub groups: Vec<(String, Range<usize>)>,
    summary: Summary,
    started: Instant,
}

impl BuiltRun {
    pub fn summary(&self) -> Summary {
        Summary {
            wall_s: self.started.elapsed().as_secs_f64(),
            ..self.summary.clone()
        }
    }

    /// spikes.npz (from `spikes`), raster.png, summary.json and, when neurons were recorded,
    /// trace.npz.
    pub fn save(&self, out: &Path, spikes: &Spikes) -> Result<()> {
        let dir = OutputDir::create(out)?;
        let mut file = SpikeFile::new(&dir)?;
        file.take(spikes)?;
        let title = format!("network of {} neurons", self.summary.n_neurons);
        let dt = self.summary.dt_ms;
        write_network_files(&dir, &mut file, &self.result, &self.groups, title, dt)?;
        dir.write_json("summary.json", &self.summary())?;
        dir.finish();
        Ok(())
    }
}

fn run(spec: Spec, host: &Host, started: Instant) -> Result<(BuiltRun, Spikes)> {
    let method: Method = choice("method", &spec.run.method)?;
    let precision: Precision = choice("precision", &spec.run.precision)?;
    let backend: BackendChoice = choice("backend", &spec.run.backend)?;
    let mut model = model_file(&spec.model)?;
    let s = &spec.synapses;
    for (name, what, value) in [
        (EXCITATORY, "tau_e", s.tau_e),
        (INHIBITORY, "tau_i", s.tau_i),
        (EXCITATORY, "e_e", s.e_e),
        (INHIBITORY, "e_i", s.e_i),
    ] {
        let Some(value) = value else { continue };
        let Some(synapse) = model.synapses.iter_mut().find(|syn| syn.name == name) else {
            return Err(Error::invalid(
                what,
                value,
                format!("nothing: model {} has no synapse {name}", model.name),
            ));
        };
        match what {
            "tau_e" | "tau_i" => synapse.tau_ms = value,
            _ => synapse.reversal_mv = value,
        }
    }
    let has = |name: &str| model.synapses.iter().any(|syn| syn.name == name);
    let (has_ge, has_gi) = (has(EXCITATORY), has(INHIBITORY));
    let as_items = |set: &[(String, f64)]| -> Vec<String> {
        set.iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    };
    let mut base = model.default_parameters();
    apply_file_settings(&mut model, &mut base, &as_items(&spec.set))?;
    let normal = |(mean, sd): (f64, f64)| InitValue::Normal(NormalInit { mean, sd });
    let mut groups = Vec::new();
    for g in &spec.groups {
        let mut params = base.clone();
        apply_file_overrides(&model, &mut params, &as_items(&g.set))?;
        let mut init = vec![("v".to_string(), normal(g.v))];
        if let Some((m, h, n)) = g.gates {
            for (name, x) in [("m", m), ("h", h), ("n", n)] {
                init.push((name.into(), InitValue::Fixed(x)));
            }
        }
        for (name, given, present) in [(EXCITATORY, g.ge, has_ge), (INHIBITORY, g.gi, has_gi)] {
            if given.is_some() || present {
                init.push((name.into(), normal(given.unwrap_or((0.0, 0.0)))));
            }
        }
        for (name, values) in &g.init {
            let value = match values[..] {
                [x] => InitValue::Fixed(x),
                [mean, sd] => normal((mean, sd)),
                _ => {
                    return Err(Error::invalid(
                        "initial value",
                        format!("{name}={values:?}"),
                        "one number, or (mean, sd)",
                    ));
                }
            };
            init.retain(|(n, _)| n != name);
            init.push((name.clone(), value));
        }
        groups.push(Group {
            name: g.name.clone(),
            size: g.size,
            params,
            init,
            refractory_ms: g.refractory,
            current: g.current,
        });
    }
    let mut builder = NetworkBuilder::new(Arc::new(model), spec.seed);
    for group in groups {
        builder.group(group);
    }
    for p in &spec.projections {
        let connectivity = match (p.p, p.in_degree) {
            (Some(p_connect), None) => Connectivity::FixedProb {
                p: p_connect,
                autapses: p.autapses,
            },
            (None, Some(k)) => Connectivity::FixedInDegree {
                k,
                autapses: p.autapses,
            },
            _ => {
                return Err(Error::invalid(
                    "projection",
                    format!("p={:?}, in_degree={:?}", p.p, p.in_degree),
                    "exactly one of p and in_degree",
                ));
            }
        };
        let weight = match p.weight[..] {
            [w] => Weight::Constant(w),
            [low, high] => Weight::Uniform { low, high },
            _ => {
                return Err(Error::invalid(
                    "weight",
                    format!("{:?}", p.weight),
                    "one weight in nS, or (low, high)",
                ));
            }
        };
        // The model's synapse by name; the Traub model's two also by their roles.
        let synapse = match p.receptor.as_str() {
            "excitatory" | "e" => EXCITATORY,
            "inhibitory" | "i" => INHIBITORY,
            name => name,
        };
        builder.connect(Projection {
            pre: p.pre,
            post: p.post,
            connectivity,
            weight,
            synapse: synapse.to_string(),
        });
    }
    let net = builder.build()?;
    let cfg = NetConfig {
        method,
        dt_ms: spec.run.dt,
        duration_ms: spec.run.duration,
        record: spec.run.record_v.clone(),
        record_every: spec.run.record_every,
    };
    cfg.validate(&net)?;
    let build_s = started.elapsed().as_secs_f64();
    let mut engine = host.engine(backend, precision, method)?;
    if let (BackendChoice::Auto, Engine::Gpu(ctx)) = (backend, &engine)
        && let Err(e) = hhsim::backend::gpu::network::check_limits(
            ctx,
            &net.csr.row_start,
            net.n_variables(),
            net.model.synapses.len(),
            precision.bytes(),
        )
    {
        hhsim::notes::note(&format!("running on the CPU reference backend: {e}"));
        engine = Engine::Cpu;
    }
    let n_steps = cfg.n_steps();
    let progress = host.progress(n_steps as u64, "{bar:40} {pos}/{len} steps  eta {eta}");
    let sim_start = Instant::now();
    let mut spikes = SpikeList::new();
    let result = engine.run_network(precision, &net, &cfg, &mut spikes, |done| {
        progress.set(done as u64)
    })?;
    progress.finish();
    let simulate_s = sim_start.elapsed().as_secs_f64();
    let duration_ms = n_steps as f64 * cfg.dt_ms;
    let groups: Vec<(String, Range<usize>)> = net
        .groups
        .iter()
        .zip(&net.ranges)
        .map(|(g, r)| (g.name.clone(), r.clone()))
        .collect();
    let summary = Summary {
        command: "network",
        n_neurons: net.n_neurons(),
        n_synapses: net.n_synapses(),
        groups: group_summaries(&result.tally, &groups, duration_ms),
        total_spikes: result.tally.total(),
        backend: engine.backend_name(),
        adapter: engine.adapter_name(),
        precision,
        method,
        dt_ms: cfg.dt_ms,
        duration_ms,
        n_steps,
        seed: spec.seed,
        wall_s: 0.0,
        build_s,
        simulate_s,
        neuron_steps_per_s: (net.n_neurons() * n_steps) as f64 / simulate_s,
    };
    let run = BuiltRun {
        result,
        groups,
        summary,
        started,
    };
    Ok((run, spikes.spikes))
}

/// Builds and runs the network that `spec` (JSON from `hhsim.Network`) describes.
#[pyfunction]
#[pyo3(signature = (spec, progress=None))]
pub fn run_network(
    py: Python<'_>,
    spec: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<NetworkResult> {
    let started = Instant::now();
    let spec: Spec = serde_json::from_str(spec)
        .map_err(|e| PyValueError::new_err(format!("invalid network description: {e}")))?;
    let (run, spikes) = run_detached(py, progress, |host| run(spec, host, started))?;
    let dt = run.summary.dt_ms;
    Ok(NetworkResult::new(NetworkRun::Built(run), spikes, dt))
}
