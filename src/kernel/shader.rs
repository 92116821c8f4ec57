//! Assembling the WGSL sources: a precision prelude (`alias Real = f32|f64` and its `exp_real`)
//! followed by the shared files a kernel builds on (`common.wgsl`, then `network.wgsl` and, for
//! the network steps, `network_neuron.wgsl`), the code generated from the neuron's model file,
//! and the kernel's own file (`population.wgsl` for [`assemble_population`]). naga parses and
//! validates each assembled module; wgpu receives exactly that text.

use crate::kernel::Precision;
use crate::model::Model;

/// A compute kernel: one WGSL file, one entry point of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    ExpCheck,
    NetworkUpdate,
    /// `NetworkUpdate` with subgroups walking the rows; needs the adapter's subgroup feature.
    NetworkUpdateSubgroup,
    NetworkChunkEnd,
    /// A chunk of network steps in a few long dispatches whose workgroups wait for each other;
    /// for llvmpipe, needs the adapter's subgroup feature.
    NetworkCoop,
}

impl Kernel {
    pub const ALL: [Kernel; 5] = [
        Kernel::ExpCheck,
        Kernel::NetworkUpdate,
        Kernel::NetworkUpdateSubgroup,
        Kernel::NetworkChunkEnd,
        Kernel::NetworkCoop,
    ];

    /// The entry point, which is also the file's name and the CPU twin's name.
    pub fn entry_point(self) -> &'static str {
        match self {
            Kernel::ExpCheck => "exp_check",
            Kernel::NetworkUpdate => "network_update",
            Kernel::NetworkUpdateSubgroup => "network_update_subgroup",
            Kernel::NetworkChunkEnd => "network_chunk_end",
            Kernel::NetworkCoop => "network_coop",
        }
    }

    fn body(self) -> &'static str {
        match self {
            Kernel::ExpCheck => include_str!("../../shaders/exp_check.wgsl"),
            Kernel::NetworkUpdate => include_str!("../../shaders/network_update.wgsl"),
            Kernel::NetworkUpdateSubgroup => {
                include_str!("../../shaders/network_update_subgroup.wgsl")
            }
            Kernel::NetworkChunkEnd => include_str!("../../shaders/network_chunk_end.wgsl"),
            Kernel::NetworkCoop => include_str!("../../shaders/network_coop.wgsl"),
        }
    }

    /// The shared files the kernel builds on, after the prelude.
    fn includes(self) -> &'static [&'static str] {
        match self {
            Kernel::ExpCheck => &[],
            Kernel::NetworkUpdate | Kernel::NetworkUpdateSubgroup | Kernel::NetworkCoop => {
                &[COMMON, NETWORK, NETWORK_NEURON]
            }
            Kernel::NetworkChunkEnd => &[COMMON, NETWORK],
        }
    }
}

const COMMON: &str = include_str!("../../shaders/common.wgsl");
const POPULATION: &str = include_str!("../../shaders/population.wgsl");
const NETWORK: &str = include_str!("../../shaders/network.wgsl");
const NETWORK_NEURON: &str = include_str!("../../shaders/network_neuron.wgsl");

fn prelude(precision: Precision) -> &'static str {
    match precision {
        Precision::F32 => include_str!("../../shaders/prelude_f32.wgsl"),
        Precision::F64 => include_str!("../../shaders/prelude_f64.wgsl"),
    }
}

/// The complete WGSL source of `kernel` in `precision`; the network kernels step neurons of
/// `network_model` (the others ignore it).
pub fn assemble_for(kernel: Kernel, precision: Precision, network_model: &Model) -> String {
    let mut source = String::from(prelude(precision));
    for include in kernel.includes() {
        source += include;
    }
    if kernel.includes().contains(&NETWORK) {
        source += &crate::kernel::wgsl::network_part(network_model);
    }
    source += kernel.body();
    source
}

/// A complete module around a model's functions (the precision prelude and the shared
/// `exprel`/`x_over_expm1`), for naga to validate.
pub fn model_module(model: &Model, precision: Precision) -> String {
    String::from(prelude(precision)) + COMMON + &crate::kernel::wgsl::functions(model)
}

/// The complete population kernel of a model file for `method` in `precision`.
pub fn assemble_population(
    model: &Model,
    method: crate::integrate::Method,
    precision: Precision,
) -> String {
    model_module(model, precision)
        + &crate::kernel::wgsl::population_functions(model, method)
        + POPULATION
}

/// [`assemble_for`] with the network's default neuron, the bundled Traub model.
pub fn assemble(kernel: Kernel, precision: Precision) -> String {
    let traub = Model::bundled("traub").expect("the bundled models parse");
    assemble_for(kernel, precision, &traub)
}

/// Parses and validates WGSL with naga (f64 and subgroup operations allowed), returning the
/// module or a readable error.
pub fn validate(source: &str) -> Result<(naga::Module, naga::valid::ModuleInfo), String> {
    let module = naga::front::wgsl::parse_str(source).map_err(|e| e.emit_to_string(source))?;
    let info = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::FLOAT64 | naga::valid::Capabilities::SUBGROUP,
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(source))?;
    Ok((module, info))
}

#[cfg(test)]
mod tests;
