//! The check of a model's parameters before a run: over [`CHECKED_VOLTAGES`], every rate is
//! finite and has no pole between the points it is sampled at, rates and conductances are
//! ≥ 0, steady states lie in [0, 1], and time constants, the capacitance and the rate factor
//! are > 0. It runs on every distinct parameter row a run uses (after `--set`, per sweep cell,
//! per network group), reduced to the parameters the checked expressions read.

use super::eval::{Batch, BatchInputs, Inputs, evaluate};
use super::lower::{Bound, CheckPart, Lowered, check_tape};
use super::tape::Op;
use crate::kernel::golden_max;
use crate::model::Model;
use std::collections::HashSet;

/// Rates must be finite and physical over this range of V [mV].
pub const CHECKED_VOLTAGES: (f64, f64) = (-100.0, 60.0);

/// Sampling step of [`CHECKED_VOLTAGES`] [mV]; a pole between samples is found by the sign
/// change of its denominator.
const CHECK_STEP_MV: f64 = 0.1;

/// How far above 1 a steady state may reach: published fits are not exact at the ends of
/// their range (the Connor–Stevens A-current's a∞ of `hh_a` reaches 1.013 at +60 mV), and
/// what this check is for are expressions that are plainly wrong (a sign, a missing division).
const UNIT_SLACK: f64 = 0.05;

/// A model's checked expressions, lowered once for every row it checks: the kinetics and the
/// membrane apart, since they read different parameters (a sweep of a conductance checks the
/// membrane once per value and the kinetics once).
pub struct ParameterCheck {
    parts: [Part; 2],
}

struct Part {
    lowered: Lowered,
    bounds: Vec<Bound>,
    /// The parameters these expressions read: rows equal on these check alike.
    reads: Vec<usize>,
    voltages: Vec<f64>,
}

impl ParameterCheck {
    pub fn new(model: &Model) -> Self {
        ParameterCheck {
            parts: [CheckPart::Kinetics, CheckPart::Membrane].map(|p| Part::new(model, p)),
        }
    }

    /// Checks each distinct row (as the checked expressions see it) once; a failure comes with
    /// the index of its row among `rows`.
    pub fn rows<R: AsRef<[f64]>>(
        &self,
        rows: impl IntoIterator<Item = R> + Clone,
    ) -> Result<(), (usize, String)> {
        self.parts
            .iter()
            .try_for_each(|part| part.rows(rows.clone()))
    }

    /// Whether the checked expressions read parameter `k` (rows that differ only in others
    /// check alike).
    pub fn reads(&self, k: usize) -> bool {
        self.parts.iter().any(|p| p.reads.contains(&k))
    }

    /// Checks one row of parameters; the error says which expression fails where.
    pub fn row(&self, params: &[f64]) -> Result<(), String> {
        let mut batch = Batch::default();
        self.parts
            .iter()
            .try_for_each(|part| part.row(&mut batch, params))
    }
}

impl Part {
    fn new(model: &Model, part: CheckPart) -> Self {
        let (lowered, bounds) = check_tape(model, part);
        let reads = lowered.tape.parameters_read();
        let (low, high) = CHECKED_VOLTAGES;
        let steps = ((high - low) / CHECK_STEP_MV).round() as usize;
        let voltages = (0..=steps)
            .map(|k| low + k as f64 * CHECK_STEP_MV)
            .collect();
        Part {
            lowered,
            bounds,
            reads,
            voltages,
        }
    }

    fn rows<R: AsRef<[f64]>>(
        &self,
        rows: impl IntoIterator<Item = R>,
    ) -> Result<(), (usize, String)> {
        let mut seen: HashSet<Vec<u64>> = HashSet::new();
        let mut batch = Batch::default();
        for (index, row) in rows.into_iter().enumerate() {
            let row = row.as_ref();
            let key = self.reads.iter().map(|&k| row[k].to_bits()).collect();
            if seen.insert(key) {
                self.row(&mut batch, row).map_err(|e| (index, e))?;
            }
        }
        Ok(())
    }

    fn row(&self, batch: &mut Batch<f64>, params: &[f64]) -> Result<(), String> {
        let lanes = self.voltages.len();
        let zeros = vec![0.0; lanes];
        // Every lane reads the same row (stride 0); the tape reads no state but v.
        batch.evaluate(
            &self.lowered.tape,
            &BatchInputs {
                lanes,
                states: &self.voltages,
                state_stride: 1,
                params,
                param_stride: 0,
                dt: 0.0,
                current: &zeros,
                extra_conductance: &zeros,
                extra_drive: &zeros,
            },
            None,
        );
        let (low, high) = CHECKED_VOLTAGES;
        let outputs = &self.lowered.outputs;
        for (name, id) in outputs {
            let values = batch.values(*id);
            if let Some((k, x)) = values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
                return Err(format!(
                    "rate {name} is {x} at v = {:.1} mV; every rate must be finite over {low}…{high} mV",
                    self.voltages[k]
                ));
            }
        }
        for ((name, id), bound) in outputs.iter().zip(&self.bounds) {
            let values = batch.values(*id);
            let (fails, expected) = match bound {
                Bound::NonNegative => (values.iter().position(|x| *x < 0.0), "≥ 0"),
                Bound::Unit => (
                    values
                        .iter()
                        .position(|x| !(0.0..=1.0 + UNIT_SLACK).contains(x)),
                    "within [0, 1]",
                ),
                Bound::Positive => (values.iter().position(|x| *x <= 0.0), "> 0"),
            };
            if let Some(k) = fails {
                // Where the value does not depend on v (a conductance, the capacitance), no v.
                let at = if values.iter().all(|x| *x == values[k]) {
                    String::new()
                } else {
                    format!(" at v = {:.1} mV", self.voltages[k])
                };
                return Err(format!(
                    "{name} is {}{at}; it must be {expected} over {low}…{high} mV",
                    values[k]
                ));
            }
        }
        self.poles(batch, params)
    }

    /// A division whose denominator changes sign between two samples has a pole between them;
    /// so has one whose denominator's magnitude dips to zero between samples (an even power:
    /// each dip is followed down by golden-section search).
    fn poles(&self, batch: &Batch<f64>, params: &[f64]) -> Result<(), String> {
        let ops = &self.lowered.tape.ops;
        for (at, op) in ops.iter().enumerate() {
            let Op::Div(_, d) = *op else { continue };
            let values = batch.values(d);
            let crossing = values.windows(2).position(|w| (w[0] < 0.0) != (w[1] < 0.0));
            let Some(k) = crossing.or_else(|| self.touching_zero(d, values, params)) else {
                continue;
            };
            let (a, b) = (self.voltages[k], self.voltages[k + 1]);
            return Err(format!(
                "{} has a pole between v = {a:.1} and {b:.1} mV (a denominator changes sign there); every rate must be finite over {}…{} mV",
                self.output_reading(at),
                CHECKED_VOLTAGES.0,
                CHECKED_VOLTAGES.1
            ));
        }
        Ok(())
    }

    /// The sample before the first dip of |op `d`| (a local minimum among the samples) whose
    /// bottom, found by golden-section search between its neighbours, is zero to rounding.
    fn touching_zero(&self, d: usize, values: &[f64], params: &[f64]) -> Option<usize> {
        let scale = values.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let at = |v: f64| {
            let inputs = Inputs {
                states: vec![v],
                params: params.to_vec(),
                dt: 0.0,
                current: 0.0,
                extra_conductance: 0.0,
                extra_drive: 0.0,
            };
            evaluate::<f64>(&self.lowered.tape, &inputs)[d].abs()
        };
        (1..values.len() - 1)
            .filter(|&k| {
                let (l, m, r) = (values[k - 1].abs(), values[k].abs(), values[k + 1].abs());
                m <= l && m <= r && m < l.max(r)
            })
            .find_map(|k| {
                let v = golden_max(|v| -at(v), self.voltages[k - 1], self.voltages[k + 1]);
                // Zero relative to the denominator's range, as far as f64 can resolve V.
                (at(v) <= scale * 1e-12).then(|| if v < self.voltages[k] { k - 1 } else { k })
            })
    }

    /// The first output that reads op `target`, for messages.
    fn output_reading(&self, target: usize) -> String {
        let ops = &self.lowered.tape.ops;
        for (name, id) in &self.lowered.outputs {
            let mut needed = vec![false; ops.len()];
            needed[*id] = true;
            for at in (0..=*id).rev() {
                if needed[at] {
                    for operand in ops[at].operands() {
                        needed[operand] = true;
                    }
                }
            }
            if needed[target] {
                return format!("rate {name}");
            }
        }
        "a rate".into()
    }
}

/// The most distinct exponentials one step may compute: lavapipe compiled a step of 400 in
/// 1.6 s and one of 800 in 11 s (f64, software `exp`); the bundled models need 8–17.
pub const MAX_EXP_PER_STEP: usize = 512;
/// The most operations one step may take (the bundled models' take under 200).
pub const MAX_OPS_PER_STEP: usize = 20_000;

/// Whether the kernel can run `model`, or an error at its file: its steps stay within
/// [`MAX_EXP_PER_STEP`] and [`MAX_OPS_PER_STEP`] (beyond, GPU drivers take minutes to compile
/// the kernel) and its default parameters pass [`ParameterCheck`]. Every model a user names is
/// checked so when it is read; the bundled ones pass (tested).
pub fn check_model(model: &Model) -> crate::Result<()> {
    let at_file = |message: String| crate::Error::Model {
        message: format!("{}: {message}", model.origin),
    };
    ParameterCheck::new(model)
        .row(&model.default_parameters())
        .map_err(at_file)?;
    for lowered in [
        super::lower::exp_euler_tape(model, true, true),
        super::lower::derivative_tape(model, true, true),
    ] {
        let exps = lowered.tape.exp_count();
        if exps > MAX_EXP_PER_STEP || lowered.tape.ops.len() > MAX_OPS_PER_STEP {
            return Err(at_file(format!(
                "a step needs {exps} exponentials and {} operations; at most {MAX_EXP_PER_STEP} and {MAX_OPS_PER_STEP} (a GPU driver's compile time grows faster than the kernel)",
                lowered.tape.ops.len()
            )));
        }
    }
    Ok(())
}

/// Checks the parameter rows a run uses (see [`ParameterCheck`]); `row_name` names a failing
/// row by its index (a grid cell, a neuron, a value), `None` for a single row.
pub fn check_parameters<R: AsRef<[f64]>>(
    model: &Model,
    rows: impl IntoIterator<Item = R> + Clone,
    row_name: Option<&dyn Fn(usize) -> String>,
) -> crate::Result<()> {
    ParameterCheck::new(model)
        .rows(rows)
        .map_err(|(index, message)| {
            let at = row_name.map_or(String::new(), |name| format!(" ({})", name(index)));
            crate::Error::Model {
                message: format!("model {}{at}: {message}", model.name),
            }
        })
}
