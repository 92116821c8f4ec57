//! `--model`: a built-in model (`hh`, `traub`: the bundled files of those names behind the
//! built-in option set, e.g. `--gna`, `--temperature`) or a model file (a bundled one by name,
//! e.g. `traub_km`, or a path), and `--set` on a model file's parameters.

use super::shared_args::ModelArg;
use crate::error::{Error, Result};
use crate::model_file::{BUNDLED, Model};
use std::path::Path;

/// What `--model` names.
#[derive(Clone, Debug)]
pub enum ModelChoice {
    BuiltIn(ModelArg),
    File(Box<Model>),
}

impl ModelChoice {
    /// `hh` and `traub` are the built-in models; other bundled names and paths load a file.
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "hh" => return Ok(ModelChoice::BuiltIn(ModelArg::Hh)),
            "traub" => return Ok(ModelChoice::BuiltIn(ModelArg::Traub)),
            _ => {}
        }
        if BUNDLED.iter().any(|(name, _)| *name == text) {
            return Ok(ModelChoice::File(Box::new(Model::bundled(text)?)));
        }
        let path = Path::new(text);
        if path.is_file() {
            return Ok(ModelChoice::File(Box::new(Model::load(path)?)));
        }
        let names: Vec<&str> = BUNDLED.iter().map(|(n, _)| *n).collect();
        Err(Error::invalid(
            "--model",
            text,
            format!(
                "hh, traub, a bundled model ({}) or the path of a model file",
                names[2..].join(", ")
            ),
        ))
    }
}

/// The model file `--model` names, for commands that run every model from its file (networks,
/// the analysis): `traub` and `hh` are the bundled files of the built-in models.
pub fn model_file(text: &str) -> Result<Model> {
    match ModelChoice::parse(text)? {
        ModelChoice::BuiltIn(ModelArg::Traub) => Model::bundled("traub"),
        ModelChoice::BuiltIn(ModelArg::Hh) => Model::bundled("hh"),
        ModelChoice::File(model) => Ok(*model),
    }
}

/// Applies `--set NAME=VALUE` items to a model file: its parameters (by the file's names), and
/// `threshold`, the spike threshold [mV], unless the file has a parameter of that name.
pub fn apply_file_settings(model: &mut Model, params: &mut [f64], items: &[String]) -> Result<()> {
    let is_threshold = |item: &String| {
        item.split_once('=').map(|(name, _)| name.trim()) == Some("threshold")
            && model.parameter("threshold").is_none()
    };
    let (threshold, others): (Vec<String>, Vec<String>) =
        items.iter().cloned().partition(is_threshold);
    apply_file_overrides(model, params, &others)?;
    for item in threshold {
        let value = item
            .split_once('=')
            .and_then(|(_, v)| v.trim().parse::<f64>().ok());
        model.threshold = value
            .filter(|v| v.is_finite())
            .ok_or_else(|| Error::invalid("--set", &item, "threshold=VALUE with a finite VALUE"))?;
    }
    Ok(())
}

/// Applies `--set NAME=VALUE` items to a model file's parameters (by the file's names).
pub fn apply_file_overrides(model: &Model, params: &mut [f64], items: &[String]) -> Result<()> {
    for item in items {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE, e.g. gl=0.3"))?;
        let Some(k) = model.parameters.iter().position(|(n, _)| n == name.trim()) else {
            let names: Vec<&str> = model.parameters.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::invalid(
                "--set",
                item,
                format!(
                    "NAME=VALUE with NAME a parameter of {}: {}",
                    model.name,
                    names.join(", ")
                ),
            ));
        };
        params[k] = value
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| Error::invalid("--set", item, "NAME=VALUE with a finite VALUE"))?;
    }
    // The values the run will use must give physical rates, as the file's own do.
    if items.is_empty() {
        Ok(())
    } else {
        model.check_parameters([&*params], None)
    }
}
