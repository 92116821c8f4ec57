//! The built-in model names `traub` and `hh`: their bundled files, and what the command line's
//! options for those names mean on the files. An alias table, not a model of its own:
//!
//! - `hh`: `temperature` (as `--temperature`, a `--set` or an axis) is the file's `T` [°C];
//!   initial states `brainpy` (the file's `[initial]`) and `rest` (BrainPy's documented
//!   resting state).
//! - `traub`: initial states `sweep` (V at EL, every gate closed) and `rest` (V at EL, every
//!   gate at its steady state there). Its rows reach the kernel with each `gX * area` formed on
//!   the host in f64 and `area` = 1, the conductances in nS the model had before its file.
//! - Both: a grid's cells start at V = EL with every gate closed, and names are matched in
//!   lower case as well (`gNa`).

use crate::error::{Error, Result};
use crate::kernel::steady;
use crate::model::Model;
use serde::{Deserialize, Serialize};

/// A built-in model name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BuiltIn {
    /// Traub & Miles (1991) as written in Brian2's COBAHH example (pA, nS, pF).
    Traub,
    /// Hodgkin & Huxley (1952) in the form of `brainpy.neurons.HH` (µA/cm², mS/cm², µF/cm²).
    Hh,
}

/// A named initial state of a built-in model (`--init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InitialState {
    /// hh: V −65 mV, m 0.5, h 0.6, n 0.32 (BrainPy's tutorials; the file's `[initial]`).
    Brainpy,
    /// hh: V −70.68 mV, m 0.0266, h 0.772, n 0.235 (BrainPy's docs). traub: V at EL with every
    /// gate at its steady state there.
    Rest,
    /// traub: V at EL, m = h = n = 0, the start of the gNa × I sweep.
    Sweep,
}

impl InitialState {
    pub fn name(self) -> &'static str {
        match self {
            InitialState::Brainpy => "brainpy",
            InitialState::Rest => "rest",
            InitialState::Sweep => "sweep",
        }
    }
}

/// The traub file's conductances, each multiplied by its `area` parameter in the file.
const TRAUB_CONDUCTANCES_PER_AREA: [&str; 3] = ["gna", "gk", "gl"];

impl BuiltIn {
    /// `traub` or `hh`; any other name is not built in.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "traub" => Some(BuiltIn::Traub),
            "hh" => Some(BuiltIn::Hh),
            _ => None,
        }
    }

    /// The name on the command line, which is also its bundled file's.
    pub fn name(self) -> &'static str {
        match self {
            BuiltIn::Traub => "traub",
            BuiltIn::Hh => "hh",
        }
    }

    /// The name `validate` reports its checks under.
    pub fn label(self) -> &'static str {
        match self {
            BuiltIn::Traub => "traub",
            BuiltIn::Hh => "classic",
        }
    }

    /// The bundled file.
    pub fn model(self) -> Model {
        Model::bundled(self.name()).expect("the bundled files parse")
    }

    /// The file's parameter a command-line name means: `temperature` is hh's `T`; other
    /// names are the file's, also in lower case.
    pub fn parameter<'a>(self, model: &'a Model, name: &str) -> Option<&'a str> {
        let lower = name.to_lowercase();
        let name = match (self, lower.as_str()) {
            (BuiltIn::Hh, "temperature") => "T",
            (BuiltIn::Hh, "t") => "T",
            _ => lower.as_str(),
        };
        model
            .parameters
            .iter()
            .map(|(n, _)| n.as_str())
            .find(|n| *n == name)
    }

    /// The constant current a neuron gets by default [pA | µA/cm²].
    pub fn default_current(self) -> f64 {
        match self {
            BuiltIn::Traub => 20.0,
            BuiltIn::Hh => 10.0,
        }
    }

    pub fn default_init(self) -> InitialState {
        match self {
            BuiltIn::Traub => InitialState::Sweep,
            BuiltIn::Hh => InitialState::Brainpy,
        }
    }

    /// The row of parameters the kernel gets for the file's parameters `row` (see the module
    /// comment): equal for hh, with the areas folded in for traub.
    pub fn kernel_row(self, model: &Model, row: &[f64]) -> Vec<f64> {
        let mut row = row.to_vec();
        if self == BuiltIn::Traub {
            let at = |name: &str| index(model, name);
            let area = row[at("area")];
            for name in TRAUB_CONDUCTANCES_PER_AREA {
                row[at(name)] *= area;
            }
            row[at("area")] = 1.0;
        }
        row
    }

    /// The state `init` for neurons with the file's parameters `row`, or an error naming the
    /// states this model has.
    pub fn initial(self, init: InitialState, model: &Model, row: &[f64]) -> Result<Vec<f64>> {
        let el = row[index(model, "el")];
        match (self, init) {
            (BuiltIn::Hh, InitialState::Brainpy) => Ok(steady::initial_state(model, row)),
            (BuiltIn::Hh, InitialState::Rest) => Ok(vec![-70.68, 0.0266, 0.772, 0.235]),
            (BuiltIn::Traub, InitialState::Rest) => {
                Ok(steady::steady_states(model, &[row.to_vec()], el).remove(0))
            }
            (BuiltIn::Traub, InitialState::Sweep) => Ok(self.grid_start(model, row)),
            _ => Err(Error::invalid(
                "--init",
                init.name(),
                match self {
                    BuiltIn::Hh => "brainpy or rest for this model",
                    BuiltIn::Traub => "sweep or rest for this model",
                },
            )),
        }
    }

    /// Where a grid's cell with the file's parameters `row` starts: V at EL, every gate closed.
    pub fn grid_start(self, model: &Model, row: &[f64]) -> Vec<f64> {
        let mut state = vec![0.0; model.states.len()];
        state[0] = row[index(model, "el")];
        state
    }

    /// The unit of a quantity an axis or a figure names, for labels.
    pub fn unit(self, name: &str) -> Option<&'static str> {
        Some(match (self, name) {
            (_, "gna" | "gk" | "gl") => "mS/cm²",
            (BuiltIn::Traub, "current") => "pA",
            (BuiltIn::Hh, "current") => "µA/cm²",
            (BuiltIn::Hh, "T" | "temperature") => "°C",
            (BuiltIn::Traub, "c") => "pF",
            (BuiltIn::Hh, "c") => "µF/cm²",
            (BuiltIn::Traub, "area") => return None,
            _ => "mV",
        })
    }
}

/// The position of a parameter every built-in file has.
fn index(model: &Model, name: &str) -> usize {
    model
        .parameters
        .iter()
        .position(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("the bundled {} file has a parameter {name}", model.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The traub row the kernel gets has the conductances in nS: 100 mS/cm² over 20 000 µm².
    #[test]
    fn traub_rows_reach_the_kernel_in_ns_with_unit_area() {
        let model = BuiltIn::Traub.model();
        let row = BuiltIn::Traub.kernel_row(&model, &model.default_parameters());
        let value = |name: &str| row[index(&model, name)];
        assert_eq!(value("area"), 1.0);
        assert_eq!(value("gna"), 20_000.0);
        assert_eq!(value("gk"), 6_000.0);
        assert_eq!(value("gl"), 0.05 * 200.0);
        assert_eq!(value("c"), 200.0);
    }

    #[test]
    fn temperature_is_the_hh_files_t_and_names_match_in_lower_case() {
        let hh = BuiltIn::Hh.model();
        assert_eq!(BuiltIn::Hh.parameter(&hh, "temperature"), Some("T"));
        assert_eq!(BuiltIn::Hh.parameter(&hh, "gNa"), Some("gna"));
        let traub = BuiltIn::Traub.model();
        assert_eq!(BuiltIn::Traub.parameter(&traub, "temperature"), None);
        assert_eq!(BuiltIn::Traub.parameter(&traub, "c"), Some("c"));
    }

    /// Traub's `rest` is a fixed point of the gates: each at its steady state at EL, which the
    /// sweep start (gates closed) is not.
    #[test]
    fn initial_states_are_the_named_ones_and_wrong_names_are_refused() {
        let traub = BuiltIn::Traub.model();
        let row = traub.default_parameters();
        let rest = BuiltIn::Traub
            .initial(InitialState::Rest, &traub, &row)
            .unwrap();
        assert_eq!(rest[0], -60.0);
        assert!(rest[1..].iter().all(|&x| x > 0.0 && x < 1.0), "{rest:?}");
        let sweep = BuiltIn::Traub
            .initial(InitialState::Sweep, &traub, &row)
            .unwrap();
        assert_eq!(sweep, vec![-60.0, 0.0, 0.0, 0.0]);
        assert!(
            BuiltIn::Traub
                .initial(InitialState::Brainpy, &traub, &row)
                .is_err()
        );
        let hh = BuiltIn::Hh.model();
        let row = hh.default_parameters();
        let brainpy = BuiltIn::Hh
            .initial(InitialState::Brainpy, &hh, &row)
            .unwrap();
        assert_eq!(brainpy, vec![-65.0, 0.5, 0.6, 0.32]);
        assert!(BuiltIn::Hh.initial(InitialState::Sweep, &hh, &row).is_err());
    }
}
