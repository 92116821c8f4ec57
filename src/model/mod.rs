//! Neuron models from TOML files: HH-type channels with gates written as α/β or x∞/τ rates,
//! parameters that become sweep axes, synapses and a spike condition. A file is parsed and its
//! names and structure checked here; what it computes (lowering, the numeric checks, steady
//! states, the generated WGSL) is the kernel's (`crate::kernel`).

pub mod expr;
mod source;

use crate::error::{Error, Result};
use expr::{Expr, ExprKind};
use serde::Deserialize;
use source::{Located, Source};
use std::collections::HashSet;

/// Unit families: every number of a file is in one of them, with potentials in mV and times
/// in ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Units {
    /// nS, pF, pA (a whole cell, as the Traub–Miles neuron).
    Absolute,
    /// mS/cm², µF/cm², µA/cm² (per membrane area, as the 1952 model).
    Density,
}

impl Units {
    /// The unit of injected currents.
    pub fn current_unit(self) -> &'static str {
        match self {
            Units::Absolute => "pA",
            Units::Density => "µA/cm²",
        }
    }
}

/// How a gate's kinetics are written.
#[derive(Clone, Debug)]
pub enum Kinetics {
    /// Opening and closing rates [1/ms].
    AlphaBeta { alpha: Expr, beta: Expr },
    /// Steady state [1] and time constant [ms].
    InfTau { inf: Expr, tau: Expr },
    /// Always at its steady state: not a state variable.
    Instantaneous { inf: Expr },
}

#[derive(Clone, Debug)]
pub struct Gate {
    pub name: String,
    pub power: u32,
    pub kinetics: Kinetics,
}

/// An ionic current g·(gates)·(V − E).
#[derive(Clone, Debug)]
pub struct Channel {
    pub name: String,
    pub conductance: Expr,
    pub reversal: Expr,
    pub gates: Vec<Gate>,
}

/// An exponential conductance with a reversal potential, incremented by spikes.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Synapse {
    pub name: String,
    pub tau_ms: f64,
    pub reversal_mv: f64,
}

/// A checked model.
#[derive(Clone, Debug)]
pub struct Model {
    pub name: String,
    pub units: Units,
    /// Names and default values, in file order (the order of the parameter buffer).
    pub parameters: Vec<(String, f64)>,
    /// The state variables: `v`, then every gate that is not instantaneous, in file order.
    pub states: Vec<String>,
    /// The initial value of each state; `None`: the gate's steady state at the initial v.
    pub initial: Vec<Option<f64>>,
    pub channels: Vec<Channel>,
    pub synapses: Vec<Synapse>,
    /// Multiplies every α and β and divides every τ.
    pub rate_factor: Option<Expr>,
    /// Spike threshold, crossed upwards [mV].
    pub threshold: f64,
    /// No spike within this long after one [ms]; 0: one spike per crossing.
    pub refractory_ms: f64,
    /// The text the model was read from, so that a record of a run can rebuild it (changes
    /// made to the fields afterwards are not in it).
    pub source: String,
    /// Where the text came from (a path, or `models/NAME.toml`), named in errors.
    pub origin: String,
}

/// The models that ship with hhsim (`models/*.toml`), by name.
pub const BUNDLED: [(&str, &str); 4] = [
    ("traub", include_str!("../../models/traub.toml")),
    ("hh", include_str!("../../models/hh.toml")),
    ("traub_km", include_str!("../../models/traub_km.toml")),
    ("hh_a", include_str!("../../models/hh_a.toml")),
];

/// The functions expressions may call, with their arity.
pub const FUNCTIONS: [(&str, usize); 7] = [
    ("exp", 1),
    ("log", 1),
    ("sqrt", 1),
    ("exprel", 1),
    ("exp_rate", 3),
    ("sigmoid", 3),
    ("exp_linear", 3),
];

/// Names that hhsim's outputs and options already use: output files and their keys (a sweep
/// writes `NAME.npy` per axis; `trace.npz` holds `t`, `neuron` and one array per state) and
/// the axes every model has.
pub const RESERVED_NAMES: [&str; 13] = [
    "t",
    "i",
    "neuron",
    "current",
    "threshold",
    "spike_counts",
    "spike_counts_part",
    "summary",
    "sweep",
    "rates",
    "trace",
    "spikes",
    "chunks",
];

/// The most parameters a model may have.
pub const MAX_PARAMETERS: usize = 1024;

/// The longest name a model file may give (names become file names and array keys).
pub const MAX_NAME_LEN: usize = 64;

/// Ok if `name` is an identifier (`[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_NAME_LEN`] bytes)
/// that no output of hhsim uses already; else why not.
pub fn check_identifier(name: &str) -> std::result::Result<(), String> {
    let mut chars = name.chars();
    let well_formed = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        return Err("expected an identifier: a letter or _, then letters, digits or _".into());
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!("longer than {MAX_NAME_LEN} characters"));
    }
    if RESERVED_NAMES.contains(&name) {
        return Err(format!(
            "reserved: hhsim's outputs and options use {}",
            RESERVED_NAMES.join(", ")
        ));
    }
    Ok(())
}

// The file as written; every table refuses keys it does not know.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    model: RawHeader,
    #[serde(default)]
    parameters: toml::Table,
    initial: toml::Spanned<toml::Table>,
    #[serde(default, rename = "channel")]
    channels: Vec<RawChannel>,
    #[serde(default, rename = "synapse")]
    synapses: Vec<RawSynapse>,
    spike: RawSpike,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: String,
    units: Units,
    rate_factor: Option<toml::Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    name: toml::Spanned<String>,
    conductance: toml::Spanned<String>,
    reversal: Option<toml::Spanned<String>>,
    #[serde(default)]
    gates: Vec<RawGate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    name: toml::Spanned<String>,
    power: toml::Spanned<i64>,
    alpha: Option<toml::Spanned<String>>,
    beta: Option<toml::Spanned<String>>,
    inf: Option<toml::Spanned<String>>,
    tau: Option<toml::Spanned<String>>,
    instantaneous: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSynapse {
    name: toml::Spanned<String>,
    tau: f64,
    reversal: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpike {
    threshold: f64,
    #[serde(default)]
    refractory: f64,
}

/// Checks names and calls of expressions against the model's parameters.
struct Checker<'a> {
    source: &'a Source<'a>,
    names: HashSet<String>,
}

impl Checker<'_> {
    /// Parses `raw` (a TOML string value) and checks every name and call in it.
    fn expression(&self, raw: &toml::Spanned<String>) -> Result<Expr> {
        let located = Located::from_toml(self.source.text, raw.get_ref().clone(), raw.span());
        let expr = expr::parse(&located.text)
            .map_err(|e| self.source.error_in(&located, e.offset, e.message))?;
        self.check(&located, &expr)?;
        Ok(expr)
    }

    fn check(&self, at: &Located, e: &Expr) -> Result<()> {
        match &e.kind {
            ExprKind::Number(_) => Ok(()),
            ExprKind::Name(name) => {
                if self.names.contains(name) {
                    return Ok(());
                }
                let mut known: Vec<&str> = self.names.iter().map(String::as_str).collect();
                known.sort_unstable();
                Err(self.source.error_in(
                    at,
                    e.span.0,
                    format!("unknown name '{name}'; known names: {}", known.join(", ")),
                ))
            }
            ExprKind::Neg(a) => self.check(at, a),
            ExprKind::Binary(_, a, b) => {
                self.check(at, a)?;
                self.check(at, b)
            }
            ExprKind::Call(f, args) => {
                let Some(&(_, arity)) = FUNCTIONS.iter().find(|(name, _)| name == f) else {
                    let known: Vec<&str> = FUNCTIONS.iter().map(|(n, _)| *n).collect();
                    return Err(self.source.error_in(
                        at,
                        e.span.0,
                        format!(
                            "unknown function '{f}'; known functions: {}",
                            known.join(", ")
                        ),
                    ));
                };
                if args.len() != arity {
                    return Err(self.source.error_in(
                        at,
                        e.span.0,
                        format!("{f} takes {arity} argument(s), not {}", args.len()),
                    ));
                }
                args.iter().try_for_each(|a| self.check(at, a))
            }
        }
    }
}

fn number(source: &Source, section: &str, key: &str, value: &toml::Value) -> Result<f64> {
    let x = match value {
        toml::Value::Float(x) => *x,
        toml::Value::Integer(i) => *i as f64,
        other => {
            return Err(source.error_at(
                None,
                format!("[{section}] {key} = {other}: expected a number"),
            ));
        }
    };
    if !x.is_finite() {
        return Err(source.error_at(
            None,
            format!("[{section}] {key} = {x}: expected a finite number"),
        ));
    }
    Ok(x)
}

impl Model {
    /// Reads and checks a model file; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Model> {
        let source = Source { origin, text };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            source.error_at(e.span().map(|s| s.start), message)
        })?;
        let mut taken: HashSet<String> = HashSet::new();
        let mut claim = |name: &str, offset: Option<usize>, what: &str| -> Result<()> {
            check_identifier(name).map_err(|why| {
                source.error_at(
                    offset,
                    format!("{what} name '{}': {why}", name.escape_debug()),
                )
            })?;
            let reserved = name == "v" || FUNCTIONS.iter().any(|(f, _)| *f == name);
            if reserved || !taken.insert(name.to_string()) {
                return Err(source.error_at(
                    offset,
                    format!("duplicate name '{name}' ({what}): names of parameters, gates, channels and synapses must differ from each other, from v and from the functions"),
                ));
            }
            Ok(())
        };
        let mut parameters = Vec::new();
        for (name, value) in &raw.parameters {
            claim(name, None, "parameter")?;
            parameters.push((name.clone(), number(&source, "parameters", name, value)?));
        }
        if !parameters.iter().any(|(n, _)| n == "C" || n == "c") {
            return Err(source.error_at(
                None,
                "[parameters] needs the membrane capacitance, named C (or c)",
            ));
        }
        let mut names: HashSet<String> = parameters.iter().map(|(n, _)| n.clone()).collect();
        names.insert("v".into());
        let checker = Checker {
            source: &source,
            names,
        };
        let rate_factor = raw
            .model
            .rate_factor
            .as_ref()
            .map(|e| checker.expression(e))
            .transpose()?;

        let mut states = vec!["v".to_string()];
        let mut channels = Vec::new();
        for c in &raw.channels {
            claim(c.name.get_ref(), Some(c.name.span().start), "channel")?;
            let mut gates = Vec::new();
            for g in &c.gates {
                let gate_name = g.name.get_ref().clone();
                claim(&gate_name, Some(g.name.span().start), "gate")?;
                let power = *g.power.get_ref();
                if !(1..=6).contains(&power) {
                    return Err(source.error_at(
                        Some(g.power.span().start),
                        format!("gate {gate_name}: power {power} is outside 1–6"),
                    ));
                }
                let expr = |e: &Option<toml::Spanned<String>>| {
                    e.as_ref().map(|e| checker.expression(e)).transpose()
                };
                let (alpha, beta, inf, tau) = (
                    expr(&g.alpha)?,
                    expr(&g.beta)?,
                    expr(&g.inf)?,
                    expr(&g.tau)?,
                );
                let instantaneous = g.instantaneous.unwrap_or(false);
                let kinetics = match (alpha, beta, inf, tau, instantaneous) {
                    (Some(alpha), Some(beta), None, None, false) => {
                        Kinetics::AlphaBeta { alpha, beta }
                    }
                    (None, None, Some(inf), Some(tau), false) => Kinetics::InfTau { inf, tau },
                    (None, None, Some(inf), None, true) => Kinetics::Instantaneous { inf },
                    _ => {
                        return Err(source.error_at(
                            Some(g.name.span().start),
                            format!("gate {gate_name}: expected alpha and beta, or inf and tau, or inf with instantaneous = true (exactly one form)"),
                        ));
                    }
                };
                if !matches!(kinetics, Kinetics::Instantaneous { .. }) {
                    states.push(gate_name.clone());
                }
                gates.push(Gate {
                    name: gate_name,
                    power: power as u32,
                    kinetics,
                });
            }
            let Some(reversal) = &c.reversal else {
                return Err(source.error_at(
                    Some(c.name.span().start),
                    format!(
                        "channel {}: expected a reversal potential",
                        c.name.get_ref()
                    ),
                ));
            };
            channels.push(Channel {
                name: c.name.get_ref().clone(),
                conductance: checker.expression(&c.conductance)?,
                reversal: checker.expression(reversal)?,
                gates,
            });
        }
        let mut synapses = Vec::new();
        for s in &raw.synapses {
            claim(s.name.get_ref(), Some(s.name.span().start), "synapse")?;
            if !(s.tau > 0.0 && s.tau.is_finite() && s.reversal.is_finite()) {
                return Err(source.error_at(
                    Some(s.name.span().start),
                    format!(
                        "synapse {}: expected tau > 0 ms and a finite reversal",
                        s.name.get_ref()
                    ),
                ));
            }
            synapses.push(Synapse {
                name: s.name.get_ref().clone(),
                tau_ms: s.tau,
                reversal_mv: s.reversal,
            });
        }
        let mut initial = vec![None; states.len()];
        for (name, value) in raw.initial.get_ref() {
            let Some(k) = states.iter().position(|s| s == name) else {
                return Err(source.error_at(
                    Some(raw.initial.span().start),
                    format!(
                        "[initial] {name}: no state of that name; the states are {}",
                        states.join(", ")
                    ),
                ));
            };
            initial[k] = Some(number(&source, "initial", name, value)?);
        }
        if initial[0].is_none() {
            return Err(source.error_at(
                Some(raw.initial.span().start),
                "[initial] needs v, the initial membrane potential in mV",
            ));
        }
        let spike = &raw.spike;
        if !(spike.threshold.is_finite() && spike.refractory >= 0.0 && spike.refractory.is_finite())
        {
            return Err(source.error_at(
                None,
                "[spike]: expected a finite threshold (mV) and a refractory period ≥ 0 ms",
            ));
        }
        let model = Model {
            name: raw.model.name,
            units: raw.model.units,
            parameters,
            states,
            initial,
            channels,
            synapses,
            rate_factor,
            threshold: spike.threshold,
            refractory_ms: spike.refractory,
            source: text.to_string(),
            origin: origin.to_string(),
        };
        model.check_size(&source)?;
        Ok(model)
    }

    /// A bundled model by name, or an error listing them.
    pub fn bundled(name: &str) -> Result<Model> {
        let (_, text) = BUNDLED.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
            Error::invalid(
                "model",
                name,
                format!("one of {}, or a path to a model file", names.join(", ")),
            )
        })?;
        Model::parse(text, &format!("models/{name}.toml"))
    }

    /// Reads a model file.
    pub fn load(path: &std::path::Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid(
                "model file",
                path.display(),
                format!("a readable TOML file ({e})"),
            )
        })?;
        Model::parse(&text, &path.display().to_string())
    }

    /// The parameters' default values, in order.
    pub fn default_parameters(&self) -> Vec<f64> {
        self.parameters.iter().map(|&(_, x)| x).collect()
    }

    /// The value of parameter `name`.
    pub fn parameter(&self, name: &str) -> Option<f64> {
        self.parameters
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, x)| x)
    }

    /// At most [`MAX_PARAMETERS`] parameters, or an error at the file: every neuron's row of
    /// parameters holds them all.
    fn check_size(&self, source: &Source) -> Result<()> {
        if self.parameters.len() > MAX_PARAMETERS {
            return Err(source.error_at(
                None,
                format!(
                    "{} parameters; at most {MAX_PARAMETERS} (every neuron's row holds them all)",
                    self.parameters.len()
                ),
            ));
        }
        Ok(())
    }
}
