//! Named initial states: the two that BrainPy's documentation and tutorials use for the classic
//! model, and the sweep's start for Traub (V at EL, every gate closed).

use super::{ModelKind, Params, State};
use serde::Serialize;

/// A named initial state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum InitialState {
    /// Classic model: V −65 mV, m 0.5, h 0.6, n 0.32 (BrainPy's tutorials).
    Brainpy,
    /// Classic model: the resting state V −70.68 mV, m 0.0266, h 0.772, n 0.235 (BrainPy's docs).
    /// Traub: V at EL with every gate at its steady state there.
    Rest,
    /// Traub: V at EL, m = h = n = 0, the start of the gNa × I sweep.
    Sweep,
}

impl InitialState {
    /// The default for each model: the tutorial state for Classic, the sweep's start for Traub.
    pub fn default_for(kind: ModelKind) -> Self {
        match kind {
            ModelKind::Classic => InitialState::Brainpy,
            ModelKind::Traub => InitialState::Sweep,
        }
    }

    /// The state for neurons with parameters `p`, or `None` when this state is not defined
    /// for `p`'s model.
    pub fn state(self, p: &Params<f64>) -> Option<State<f64>> {
        match (self, p.kind) {
            (InitialState::Brainpy, ModelKind::Classic) => Some(State {
                v: -65.0,
                m: 0.5,
                h: 0.6,
                n: 0.32,
            }),
            (InitialState::Rest, ModelKind::Classic) => Some(State {
                v: -70.68,
                m: 0.0266,
                h: 0.772,
                n: 0.235,
            }),
            (InitialState::Rest, ModelKind::Traub) => {
                let model =
                    crate::model_file::Model::bundled("traub").expect("the bundled file parses");
                let params = crate::population::file_parameters(&model, p);
                let x = model.steady_states(&[params], p.e_l).remove(0);
                Some(State {
                    v: x[0],
                    m: x[1],
                    h: x[2],
                    n: x[3],
                })
            }
            (InitialState::Sweep, ModelKind::Traub) => Some(State {
                v: p.e_l,
                ..State::default()
            }),
            _ => None,
        }
    }

    /// The states this model accepts, for error messages.
    pub fn valid_for(kind: ModelKind) -> &'static str {
        match kind {
            ModelKind::Classic => "brainpy or rest",
            ModelKind::Traub => "sweep or rest",
        }
    }
}
