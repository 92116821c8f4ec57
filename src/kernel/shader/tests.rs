//! naga checks that need no GPU: every assembled shader validates, and the Rust mirrors of the
//! WGSL structs agree with naga's layout of them.

use super::*;
use crate::kernel::layout::{
    CoopHeader, CoopProgress, NetUniforms, NeuronFlags, PopulationRun, StepUniform, WORKGROUP_SIZE,
};
use std::mem::{offset_of, size_of};

#[test]
fn every_kernel_validates_in_both_precisions() {
    for kernel in Kernel::ALL {
        for precision in [Precision::F32, Precision::F64] {
            let source = assemble(kernel, precision);
            let (module, _) =
                validate(&source).unwrap_or_else(|e| panic!("{kernel:?} {precision:?}:\n{e}"));
            assert!(
                module
                    .entry_points
                    .iter()
                    .any(|e| e.name == kernel.entry_point()),
                "{kernel:?} lacks entry point {}",
                kernel.entry_point()
            );
        }
    }
}

/// Size and member offsets of the WGSL struct `name`.
fn wgsl_layout(module: &naga::Module, name: &str) -> (u32, Vec<(String, u32)>) {
    let ty = module
        .types
        .iter()
        .find(|(_, t)| t.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no struct {name}"))
        .1;
    match &ty.inner {
        naga::TypeInner::Struct { members, span } => (
            *span,
            members
                .iter()
                .map(|m| (m.name.clone().unwrap(), m.offset))
                .collect(),
        ),
        other => panic!("{name} is not a struct: {other:?}"),
    }
}

macro_rules! assert_mirror {
    ($module:expr, $wgsl:literal, $rust:ty, [$($field:ident),*]) => {{
        let (span, members) = wgsl_layout($module, $wgsl);
        assert_eq!(span as usize, size_of::<$rust>(), "size of {}", $wgsl);
        let rust: Vec<(String, u32)> = vec![$((stringify!($field).to_string(), offset_of!($rust, $field) as u32)),*];
        assert_eq!(members, rust, "members of {}", $wgsl);
    }};
}

#[test]
fn workgroup_size_matches_wgsl() {
    let traub = Model::bundled("traub").unwrap();
    let population = crate::kernel::shader::assemble_population(
        &traub,
        crate::integrate::Method::ExpEuler,
        Precision::F32,
    );
    let kernels = [Kernel::NetworkUpdate, Kernel::NetworkUpdateSubgroup]
        .map(|k| (assemble(k, Precision::F32), k.entry_point()));
    for (source, entry_point) in kernels.into_iter().chain([(population, "integrate_model")]) {
        let (module, _) = validate(&source).unwrap();
        let entry = module
            .entry_points
            .iter()
            .find(|e| e.name == entry_point)
            .unwrap();
        assert_eq!(
            entry.workgroup_size,
            [WORKGROUP_SIZE, 1, 1],
            "{entry_point}"
        );
    }
}

/// The literal of `const NAME: Type = literal;` in `source`.
fn wgsl_literal<'a>(source: &'a str, name: &str) -> &'a str {
    let line = source
        .lines()
        .find(|l| l.starts_with(&format!("const {name}:")))
        .unwrap_or_else(|| panic!("no constant {name}"));
    line.split('=').nth(1).unwrap().trim().trim_end_matches(';')
}

/// The value of `const NAME: Real = literal;` in `source`.
fn wgsl_const(source: &str, name: &str) -> f64 {
    let literal = wgsl_literal(source, name);
    literal
        .parse()
        .unwrap_or_else(|e| panic!("{name} = {literal}: {e}"))
}

/// The value of `const NAME: u32 = literalu;` in `source`.
fn wgsl_const_u32(source: &str, name: &str) -> u32 {
    let literal = wgsl_literal(source, name);
    literal
        .trim_end_matches('u')
        .parse()
        .unwrap_or_else(|e| panic!("{name} = {literal}: {e}"))
}

#[test]
fn exprel_threshold_matches_the_preludes() {
    use crate::kernel::Real;
    for (precision, want) in [
        (Precision::F32, f32::EXPREL_SERIES_BELOW as f64),
        (Precision::F64, f64::EXPREL_SERIES_BELOW),
    ] {
        let value = wgsl_const(prelude(precision), "EXPREL_SERIES_BELOW");
        // The WGSL literal is rounded to the prelude's Real, as the Rust constant is.
        let value = if precision == Precision::F32 {
            value as f32 as f64
        } else {
            value
        };
        assert_eq!(value, want, "{precision:?}");
    }
}

/// `CoopState` is a `CoopHeader` followed by an array of `CoopProgress` (read by the host as
/// words), and `progress` is read four words per workgroup.
#[test]
fn cooperative_state_layout_matches_wgsl() {
    let module = validate(&assemble(Kernel::NetworkCoop, Precision::F32))
        .unwrap()
        .0;
    let (_, members) = wgsl_layout(&module, "CoopState");
    let header: Vec<(String, u32)> = [
        ("first", offset_of!(CoopHeader, first)),
        ("count", offset_of!(CoopHeader, count)),
        ("arrivals", offset_of!(CoopHeader, arrivals)),
        (
            "working_dispatches",
            offset_of!(CoopHeader, working_dispatches),
        ),
        ("departed", offset_of!(CoopHeader, departed)),
        ("_pad0", offset_of!(CoopHeader, _pad0)),
        ("_pad1", offset_of!(CoopHeader, _pad1)),
        ("_pad2", offset_of!(CoopHeader, _pad2)),
        ("progress", size_of::<CoopHeader>()),
    ]
    .into_iter()
    .map(|(name, offset)| (name.to_string(), offset as u32))
    .collect();
    assert_eq!(members, header);
    let words = wgsl_const_u32(Kernel::NetworkCoop.body(), "PROGRESS_WORDS");
    assert_eq!(words as usize * 4, size_of::<CoopProgress>());
}

#[test]
fn population_layout_matches_wgsl() {
    let traub = Model::bundled("traub").unwrap();
    for method in [
        crate::integrate::Method::ExpEuler,
        crate::integrate::Method::Rk4,
    ] {
        let module = |precision| {
            let source = crate::kernel::shader::assemble_population(&traub, method, precision);
            validate(&source).unwrap().0
        };
        assert_mirror!(
            &module(Precision::F32),
            "PopulationRun",
            PopulationRun<f32>,
            [
                n_neurons,
                first_neuron,
                n_steps,
                first_step,
                record_every,
                spike_capacity,
                has_noise,
                _pad,
                dt
            ]
        );
        assert_mirror!(
            &module(Precision::F64),
            "PopulationRun",
            PopulationRun<f64>,
            [
                n_neurons,
                first_neuron,
                n_steps,
                first_step,
                record_every,
                spike_capacity,
                has_noise,
                _pad,
                dt
            ]
        );
    }
}

#[test]
fn network_layout_matches_wgsl() {
    let f32_module = validate(&assemble(Kernel::NetworkUpdate, Precision::F32))
        .unwrap()
        .0;
    let f64_module = validate(&assemble(Kernel::NetworkUpdate, Precision::F64))
        .unwrap()
        .0;
    // The generated NetState and GroupParams are packed scalars, as the host's flat arrays of
    // the trace and of the group parameters are, for every bundled model.
    for (name, text) in crate::model::BUNDLED {
        let model = Model::parse(text, name).unwrap();
        for (precision, real) in [(Precision::F32, 4), (Precision::F64, 8)] {
            let source = assemble_for(Kernel::NetworkUpdate, precision, &model);
            let module = validate(&source).unwrap().0;
            let width = crate::network::variables(&model).len();
            let (span, members) = wgsl_layout(&module, "NetState");
            assert_eq!(
                (span, members.len()),
                ((width * real) as u32, width),
                "{name}"
            );
            let per_group = model.parameters.len().max(1) + 1;
            assert_eq!(
                wgsl_layout(&module, "GroupParams").0,
                (per_group * real) as u32
            );
        }
    }
    assert_mirror!(
        &f32_module,
        "NetUniforms",
        NetUniforms<f32>,
        [
            n_neurons,
            n_recorded,
            ring_capacity,
            trace_capacity,
            dt,
            quantum,
            threshold,
            _pad
        ]
    );
    assert_mirror!(
        &f64_module,
        "NetUniforms",
        NetUniforms<f64>,
        [
            n_neurons,
            n_recorded,
            ring_capacity,
            trace_capacity,
            dt,
            quantum,
            threshold,
            _pad
        ]
    );
    for module in [&f32_module, &f64_module] {
        assert_mirror!(
            module,
            "StepUniform",
            StepUniform,
            [step, parity, sample, half]
        );
    }
    // The kernel reads NeuronFlags as four words per neuron, word FLAG_* for each field.
    assert_eq!(size_of::<NeuronFlags>(), 16);
    for (name, offset) in [
        ("FLAG_REFRACTORY", offset_of!(NeuronFlags, refractory_steps)),
        ("FLAG_RECORD_SLOT", offset_of!(NeuronFlags, record_slot)),
        ("FLAG_LAST_SPIKE", offset_of!(NeuronFlags, last_spike)),
        ("FLAG_GROUP", offset_of!(NeuronFlags, group)),
    ] {
        assert_eq!(4 * wgsl_const_u32(NETWORK, name) as usize, offset, "{name}");
    }
}
