//! Model files: the bundled models against the hand-written rates and steps, the tape's
//! optimisations, the removable singularities, the generated WGSL, and every kind of bad input.

use super::eval::{Inputs, evaluate};
use super::lower::{Lowered, derivative_tape, exp_euler_tape, rate_tape};
use super::{BUNDLED, Model};
use crate::integrate::exp_euler_hh;
use crate::model::{Params, Precision, Real, State};

fn value<R: Real>(lowered: &Lowered, inputs: &Inputs<R>, name: &str) -> R {
    let values = evaluate(&lowered.tape, inputs);
    let (_, id) = lowered
        .outputs
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no output {name}"));
    values[*id]
}

fn params_of(model: &Model) -> Vec<f64> {
    model.parameters.iter().map(|&(_, x)| x).collect()
}

fn inputs(model: &Model, state: &[f64], dt: f64, drive: f64) -> Inputs<f64> {
    Inputs {
        states: state.to_vec(),
        params: params_of(model),
        dt,
        current: drive,
        extra_conductance: 0.0,
        extra_drive: drive,
    }
}

/// Relative difference, against a floor of 1 for values near zero (gates, rates).
fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * a.abs().max(b.abs()).max(1.0)
}

/// The hand-written models and the bundled files describe the same neurons: rates, steady
/// states, one exponential-Euler step and the derivatives agree over −100…60 mV.
#[test]
fn bundled_traub_and_hh_reproduce_the_hand_written_models() {
    for (name, params) in [("traub", Params::traub()), ("hh", Params::classic())] {
        let model = Model::bundled(name).unwrap();
        let rates = rate_tape(&model);
        let step = exp_euler_tape(&model, true, true);
        let derivatives = derivative_tape(&model, true, true);
        let mut v = -100.0;
        while v <= 60.0 {
            let at = Inputs::at_rest(&model, &params_of(&model), v);
            let r = params.rates(v);
            let want = [
                ("alpha of gate m", r.alpha_m),
                ("beta of gate m", r.beta_m),
                ("alpha of gate h", r.alpha_h),
                ("beta of gate h", r.beta_h),
                ("alpha of gate n", r.alpha_n),
                ("beta of gate n", r.beta_n),
            ];
            for (rate, expected) in want {
                let got = value(&rates, &at, rate);
                // 1e-13: the file shares exponentials differently (e.g. βh's as 1/e^(βm's
                // argument)), a few roundings of f64 apart.
                assert!(
                    close(got, expected, 1e-13),
                    "{name} {rate} at {v}: {got} vs {expected}"
                );
            }
            let s = State {
                v,
                m: 0.3,
                h: 0.6,
                n: 0.4,
            };
            let next = exp_euler_hh(&params, &s, 0.0, 5.0, 0.05);
            let d = params.derivatives(&s, 5.0);
            let state = [s.v, s.m, s.h, s.n];
            for (k, var) in ["v", "m", "h", "n"].into_iter().enumerate() {
                let got = value(&step, &inputs(&model, &state, 0.05, 5.0), var);
                let want = [next.v, next.m, next.h, next.n][k];
                assert!(
                    close(got, want, 1e-13),
                    "{name} step {var} at {v}: {got} vs {want}"
                );
                let got = value(&derivatives, &inputs(&model, &state, 0.05, 5.0), var);
                let want = [d.v, d.m, d.h, d.n][k];
                // Derivatives scale with the conductances (up to 2e4 nS · 100 mV / 200 pF).
                assert!(
                    close(got, want, 1e-11),
                    "{name} d{var}/dt at {v}: {got} vs {want}"
                );
            }
            v += 0.7;
        }
    }
}

/// Exponentials per exponential-Euler step; the Traub file needs no more than the hand-tuned
/// kernel: 4 for the six rates, one per gate, one for V.
#[test]
fn exp_counts_per_step() {
    let count = |name: &str| {
        exp_euler_tape(&Model::bundled(name).unwrap(), true, true)
            .tape
            .exp_count()
    };
    assert_eq!(count("traub"), 8);
    // hh: 4 for the rates, 3 gates, V, and the temperature factor 3^((T − 6.3)/10).
    assert_eq!(count("hh"), 9);
    for (name, _) in BUNDLED {
        let unshared = exp_euler_tape(&Model::bundled(name).unwrap(), true, false)
            .tape
            .exp_count();
        assert!(
            count(name) < unshared,
            "{name}: sharing saves nothing ({unshared})"
        );
    }
}

/// The tapes come ordered by level (the longest chain from the inputs), which lets the shader
/// compiler overlap independent chains; every operand still comes before the op that reads it.
#[test]
fn tapes_are_ordered_by_level() {
    for (name, _) in BUNDLED {
        let model = Model::bundled(name).unwrap();
        for lowered in [
            exp_euler_tape(&model, true, true),
            derivative_tape(&model, true, true),
        ] {
            let mut level = Vec::new();
            for (id, &op) in lowered.tape.ops.iter().enumerate() {
                let reads = op.operands();
                assert!(
                    reads.iter().all(|&o| o < id),
                    "{name}: op {id} reads a later op"
                );
                level.push(reads.iter().map(|&o| level[o] + 1).max().unwrap_or(0));
            }
            assert!(level.is_sorted(), "{name}: levels out of order: {level:?}");
        }
    }
}

/// Merging common subexpressions changes no bit; sharing exponentials changes only roundings.
#[test]
fn cse_and_exp_sharing_do_not_change_results() {
    for (name, _) in BUNDLED {
        let model = Model::bundled(name).unwrap();
        let n = model.states.len();
        let full = exp_euler_tape(&model, true, true);
        let unmerged = exp_euler_tape(&model, false, true);
        let unshared = exp_euler_tape(&model, true, false);
        assert!(
            full.tape.ops.len() < unmerged.tape.ops.len(),
            "{name}: nothing merged"
        );
        for k in 0..40 {
            let v = -90.0 + 3.7 * k as f64;
            let mut state = vec![0.35; n];
            state[0] = v;
            let at = inputs(&model, &state, 0.1, 2.0);
            for (var, _) in &full.outputs {
                let a = value(&full, &at, var);
                assert_eq!(
                    a.to_bits(),
                    value(&unmerged, &at, var).to_bits(),
                    "{name} {var} at {v}"
                );
                let b = value(&unshared, &at, var);
                // 1e-13: e^(a)·e^(b − c) against e^(a + b − c), a few roundings apart.
                assert!(close(a, b, 1e-13), "{name} {var} at {v}: {a} vs {b}");
            }
        }
    }
}

/// Every rate with a removable singularity is finite at the singular voltage and continuous
/// across it, in f32 and f64.
#[test]
fn singular_voltages_are_finite_and_continuous() {
    // Traub (VT −63): αm at V − VT = 13, βm at 40, αn at 15; hh: αm at −40, αn at −55.
    let cases = [
        ("traub", "alpha of gate m", -50.0),
        ("traub", "beta of gate m", -23.0),
        ("traub", "alpha of gate n", -48.0),
        ("hh", "alpha of gate m", -40.0),
        ("hh", "alpha of gate n", -55.0),
    ];
    for (name, rate, v) in cases {
        let model = Model::bundled(name).unwrap();
        let rates = rate_tape(&model);
        let params = params_of(&model);
        let at = |v: f64| Inputs::at_rest(&model, &params, v);
        let f64_at = |v: f64| value(&rates, &at(v), rate);
        let f32_at = |v: f64| {
            let a = at(v);
            let a32 = Inputs {
                states: a.states.iter().map(|&x| x as f32).collect(),
                params: a.params.iter().map(|&x| x as f32).collect(),
                dt: 0.0f32,
                current: 0.0,
                extra_conductance: 0.0,
                extra_drive: 0.0,
            };
            value(&rates, &a32, rate) as f64
        };
        let evaluations: [&dyn Fn(f64) -> f64; 2] = [&f64_at, &f32_at];
        for at_v in evaluations {
            let centre = at_v(v);
            assert!(
                centre.is_finite() && centre > 0.0,
                "{name} {rate} at {v}: {centre}"
            );
            for dv in [-1e-6, 1e-6] {
                // The rates' slopes are below 1/ms per mV: 1e-6 mV moves them by < 1e-6; 1e-5
                // leaves room for f32 rounding of values near 1.
                let side = at_v(v + dv);
                assert!(
                    (side - centre).abs() < 1e-5,
                    "{name} {rate} at {v}{dv:+}: {side} vs {centre}"
                );
            }
        }
    }
}

/// The same gate written as α/β and as the equivalent x∞ = α/(α+β), τ = 1/(α+β) advances the
/// same way.
#[test]
fn alpha_beta_and_inf_tau_forms_agree() {
    let text = BUNDLED[0].1;
    let alpha = "0.032 * (15 - (v - vt)) / (exp((15 - (v - vt)) / 5) - 1)";
    let beta = "0.5 * exp((10 - (v - vt)) / 40)";
    let rewritten = text.replace(
        &format!("alpha = \"{alpha}\",\n    beta = \"{beta}\""),
        &format!("inf = \"({alpha}) / (({alpha}) + ({beta}))\",\n    tau = \"1 / (({alpha}) + ({beta}))\""),
    );
    assert_ne!(rewritten, text, "the n gate's rates were found");
    let (ab, it) = (
        Model::bundled("traub").unwrap(),
        Model::parse(&rewritten, "inf_tau.toml").unwrap(),
    );
    let (step_ab, step_it) = (
        exp_euler_tape(&ab, true, true),
        exp_euler_tape(&it, true, true),
    );
    for k in 0..50 {
        let state = [-95.0 + 3.1 * k as f64, 0.2, 0.5, 0.45];
        let at = inputs(&ab, &state, 0.1, 20.0);
        let (a, b) = (value(&step_ab, &at, "n"), value(&step_it, &at, "n"));
        // α/(α+β) and 1/(α+β) take one more rounding each than the α/β form's path.
        assert!(close(a, b, 1e-14), "n at {}: {a} vs {b}", state[0]);
    }
}

/// Every bundled model's generated functions pass naga in both precisions.
#[test]
fn generated_wgsl_validates() {
    for (name, _) in BUNDLED {
        let model = Model::bundled(name).unwrap();
        for precision in [Precision::F32, Precision::F64] {
            let source = super::wgsl::module(&model, precision);
            crate::backend::gpu::shader::validate(&source)
                .unwrap_or_else(|e| panic!("{name} {precision:?}:\n{e}"));
        }
    }
}

/// Bad input: each kind gives one message naming the place (and a caret for expressions).
#[test]
fn bad_model_files_are_refused_with_their_place() {
    let good = BUNDLED[0].1;
    let cases: Vec<(String, &str)> = vec![
        ("not toml = = 1".into(), "models/x.toml:1:"),
        (
            good.replace("[spike]", "[spikes]"),
            "unknown field `spikes`",
        ),
        (
            good.replace("threshold = -20.0", "threshold = -20.0\nslope = 1"),
            "unknown field `slope`",
        ),
        (
            good.replace("\"0.128 * exp(", "\"0.128 * * exp("),
            "expected a number, a name or '('",
        ),
        (
            good.replace("0.128 * exp(", "0.128 * expo("),
            "unknown function 'expo'; known functions: exp, log",
        ),
        (
            good.replace("conductance = \"gna * area\"", "conductance = \"gNa\""),
            "unknown name 'gNa'; known names: area, c, ek",
        ),
        (
            good.replace("exp((17 - (v - vt)) / 18)", "exp((17 - (v - vt)), 18)"),
            "exp takes 1 argument(s), not 2",
        ),
        (
            good.replace("name = \"h\"", "name = \"m\""),
            "duplicate name 'm'",
        ),
        (
            good.replace("gl = 0.05", "gl = 0.05\nv = 3.0"),
            "duplicate name 'v'",
        ),
        (
            good.replace("power = 4", "power = 7"),
            "power 7 is outside 1–6",
        ),
        (
            good.replace("beta = \"0.5 * exp", "inf = \"0.5 * exp"),
            "exactly one form",
        ),
        (
            good.replace("n = 0.0", "q = 0.0"),
            "[initial] q: no state of that name",
        ),
        (
            good.replace(
                "alpha = \"0.128 * exp((17 - (v - vt)) / 18)\"",
                "alpha = \"0.128 / (v + 30)\"",
            ),
            "rate alpha of gate h is inf at v = -30.0 mV",
        ),
        (
            good.replace("c = 200.0", "cm = 200.0"),
            "membrane capacitance",
        ),
    ];
    for (text, mentions) in cases {
        let e = Model::parse(&text, "models/x.toml").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let message = e.to_string();
        assert!(
            message.contains(mentions),
            "{mentions:?} not in:\n{message}"
        );
        assert!(message.starts_with("models/x.toml"), "{message}");
        assert!(
            message.lines().count() == 1 || message.lines().count() == 3,
            "{message}"
        );
    }
    // An expression error points into the file: line, column, and a caret under the name.
    let text = good.replace("conductance = \"gna * area\"", "conductance = \"2 * gNa\"");
    let message = Model::parse(&text, "m.toml").unwrap_err().to_string();
    let line = text.lines().position(|l| l.contains("2 * gNa")).unwrap() + 1;
    let column = text.lines().nth(line - 1).unwrap().find("gNa").unwrap() + 1;
    assert!(
        message.starts_with(&format!("m.toml:{line}:{column}: unknown name 'gNa'")),
        "{message}"
    );
    assert!(message.ends_with("    2 * gNa\n        ^"), "{message}");
}

/// A batch of neurons through the tape gives every lane exactly what the one-neuron evaluation
/// gives it, also when the ops of parameters alone keep their values from an evaluation at
/// other states (as the twin does over a batch's steps).
#[test]
fn batch_evaluation_equals_one_neuron_at_a_time() {
    use super::eval::{Batch, BatchInputs};
    for (name, text) in BUNDLED {
        let model = Model::parse(text, name).unwrap();
        let (ns, np) = (model.states.len(), model.parameters.len());
        let params = params_of(&model);
        for tape in [
            exp_euler_tape(&model, true, true),
            derivative_tape(&model, true, true),
        ] {
            let lanes = 5;
            // V from −90 to 30 mV, gates spread over (0, 1), and distinct inputs per lane.
            let states: Vec<f64> = (0..lanes * ns)
                .map(|at| match at % ns {
                    0 => -90.0 + 30.0 * (at / ns) as f64,
                    k => (k + at / ns) as f64 / (ns + lanes) as f64,
                })
                .collect();
            let all_params: Vec<f64> = (0..lanes).flat_map(|_| params.clone()).collect();
            let current: Vec<f64> = (0..lanes).map(|l| l as f64 * 3.0).collect();
            let g: Vec<f64> = (0..lanes).map(|l| l as f64 * 0.5).collect();
            let drive: Vec<f64> = (0..lanes).map(|l| 7.0 - l as f64).collect();
            let inputs = BatchInputs {
                lanes,
                states: &states,
                state_stride: ns,
                params: &all_params,
                param_stride: np,
                dt: 0.05,
                current: &current,
                extra_conductance: &g,
                extra_drive: &drive,
            };
            let invariant = tape.tape.invariant();
            assert!(invariant.contains(&true) && invariant.contains(&false));
            let elsewhere: Vec<f64> = states.iter().map(|x| 0.5 * x).collect();
            let mut batch = Batch::default();
            let inputs_elsewhere = BatchInputs {
                states: &elsewhere,
                ..inputs
            };
            batch.evaluate(&tape.tape, &inputs_elsewhere, None);
            batch.evaluate(&tape.tape, &inputs, Some(&invariant));
            for l in 0..lanes {
                let one = Inputs {
                    states: states[l * ns..(l + 1) * ns].to_vec(),
                    params: params.clone(),
                    dt: 0.05,
                    current: current[l],
                    extra_conductance: g[l],
                    extra_drive: drive[l],
                };
                let values = evaluate(&tape.tape, &one);
                for &(ref output, id) in &tape.outputs {
                    let (a, b) = (batch.values(id)[l], values[id]);
                    assert!(
                        a.to_bits() == b.to_bits(),
                        "{name} {output} lane {l}: {a} vs {b}"
                    );
                }
            }
        }
    }
}
