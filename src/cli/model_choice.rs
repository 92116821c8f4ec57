//! `--model`: a model file (a bundled one by name, e.g. `traub_km`, or a path), where the
//! built-in names `traub` and `hh` are their bundled files with the alias table of
//! [`crate::builtin`]; and `--set` on its parameters.

use crate::builtin::BuiltIn;
use crate::error::{Error, Result};
use crate::kernel::check::{check_model, check_parameters};
use crate::model::{BUNDLED, Model};
use std::path::Path;

/// What `--model` names: a model file, and whether it was named by a built-in name.
#[derive(Clone, Debug)]
pub struct ModelChoice {
    pub model: Model,
    pub builtin: Option<BuiltIn>,
}

impl ModelChoice {
    /// A bundled model by name, or the path of a model file.
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(builtin) = BuiltIn::parse(text) {
            return Ok(ModelChoice {
                model: builtin.model(),
                builtin: Some(builtin),
            });
        }
        let model = if BUNDLED.iter().any(|(name, _)| *name == text) {
            Model::bundled(text)?
        } else if Path::new(text).is_file() {
            Model::load(Path::new(text))?
        } else {
            let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
            return Err(Error::invalid(
                "--model",
                text,
                format!(
                    "a bundled model ({}) or the path of a model file",
                    names.join(", ")
                ),
            ));
        };
        check_model(&model)?;
        Ok(ModelChoice {
            model,
            builtin: None,
        })
    }

    /// Applies `--temperature` [°C]: hh's T; refused for other models.
    pub fn apply_temperature(&self, params: &mut [f64], temperature: Option<f64>) -> Result<()> {
        let Some(t) = temperature else { return Ok(()) };
        let refusal = match self.builtin {
            Some(BuiltIn::Hh) if !t.is_finite() => "a finite temperature in °C",
            Some(BuiltIn::Hh) => {
                let k = parameter_index(&self.model, self.builtin, "temperature");
                params[k.expect("hh has a temperature")] = t;
                return Ok(());
            }
            Some(BuiltIn::Traub) => {
                "nothing with --model traub, whose rates have no temperature factor"
            }
            None => {
                "nothing with a model file (set its temperature parameter with --set, e.g. T=20)"
            }
        };
        Err(Error::invalid("--temperature", t, refusal))
    }

    /// Applies `--set NAME=VALUE` items: to the model's parameters `params` by name (through
    /// the built-in alias table for `traub` and `hh`), and to `threshold`, the spike threshold
    /// [mV], unless the model has a parameter of that name.
    pub fn apply_settings(&mut self, params: &mut [f64], items: &[String]) -> Result<()> {
        apply(&mut self.model, self.builtin, params, items, true)
    }
}

/// [`ModelChoice::apply_settings`] for a model file.
pub fn apply_file_settings(model: &mut Model, params: &mut [f64], items: &[String]) -> Result<()> {
    apply(model, None, params, items, true)
}

/// `--set` on a model file's parameters alone (no threshold).
pub fn apply_file_overrides(model: &Model, params: &mut [f64], items: &[String]) -> Result<()> {
    apply(&mut model.clone(), None, params, items, false)
}

/// The position of the parameter a command-line name means.
pub fn parameter_index(model: &Model, builtin: Option<BuiltIn>, name: &str) -> Option<usize> {
    let name = match builtin {
        Some(builtin) => builtin.parameter(model, name)?,
        None => name,
    };
    model.parameters.iter().position(|(n, _)| n == name)
}

/// The parameters' names, for messages.
pub fn parameter_names(model: &Model) -> String {
    let names: Vec<&str> = model.parameters.iter().map(|(n, _)| n.as_str()).collect();
    names.join(", ")
}

/// The one `--set` parser: each item is NAME=VALUE with a finite VALUE, NAME a parameter (or,
/// where `threshold` allows, the spike threshold); the values must then give physical rates,
/// as the file's own do.
fn apply(
    model: &mut Model,
    builtin: Option<BuiltIn>,
    params: &mut [f64],
    items: &[String],
    threshold: bool,
) -> Result<()> {
    for item in items {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE, e.g. gl=0.3"))?;
        let name = name.trim();
        let value: f64 = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE with a finite VALUE"))?;
        match parameter_index(model, builtin, name) {
            Some(k) => params[k] = value,
            None if threshold && name == "threshold" => model.threshold = value,
            None => {
                let what = if threshold {
                    "threshold or a parameter"
                } else {
                    "a parameter"
                };
                return Err(Error::invalid(
                    "--set",
                    item,
                    format!(
                        "NAME=VALUE with NAME {what} of {}: {}",
                        model.name,
                        parameter_names(model)
                    ),
                ));
            }
        }
    }
    if items.is_empty() {
        Ok(())
    } else {
        check_parameters(model, [&*params], None)
    }
}

/// The model file `--model` names, for commands that take every model as its file (networks,
/// the analysis).
pub fn model_file(text: &str) -> Result<Model> {
    ModelChoice::parse(text).map(|choice| choice.model)
}
