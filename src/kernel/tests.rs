//! Model files through the kernel: the bundled models against the textbook equations, the tape's
//! optimisations, the removable singularities, the generated WGSL, and every kind of bad input.

use super::check::{check_model, check_parameters};
use super::eval::{Inputs, evaluate};
use super::lower::{Lowered, derivative_tape, exp_euler_tape, rate_tape};
use super::steady::initial_state;
use crate::kernel::{Precision, Real};
use crate::model::{BUNDLED, Model};

/// A model file as every command reads one: parsed, then checked for the kernel.
fn read(text: &str, origin: &str) -> crate::Result<Model> {
    let model = Model::parse(text, origin)?;
    check_model(&model)?;
    Ok(model)
}

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

/// x/(eˣ − 1) through libm's `exp_m1`, accurate to an ulp or two everywhere: the yardstick of
/// the generated singularity-safe forms.
fn x_over_expm1_libm(x: f64) -> f64 {
    if x == 0.0 { 1.0 } else { x / x.exp_m1() }
}

/// The textbook rates αm, βm, αh, βh, αn, βn [1/ms] at `v`, written out plainly and
/// independently of the files: Traub–Miles as in Brian2's COBAHH example (VT = −63 mV), the
/// 1952 model as `brainpy.neurons.HH` writes it (at 6.3 °C).
fn textbook_rates(model: &str, v: f64) -> [f64; 6] {
    let f = x_over_expm1_libm;
    match model {
        "traub" => {
            let u = v + 63.0;
            [
                0.32 * 4.0 * f((13.0 - u) / 4.0),
                0.28 * 5.0 * f((u - 40.0) / 5.0),
                0.128 * ((17.0 - u) / 18.0).exp(),
                4.0 / (1.0 + ((40.0 - u) / 5.0).exp()),
                0.032 * 5.0 * f((15.0 - u) / 5.0),
                0.5 * ((10.0 - u) / 40.0).exp(),
            ]
        }
        _ => [
            f(-(v + 40.0) / 10.0),
            4.0 * (-(v + 65.0) / 18.0).exp(),
            0.07 * (-(v + 65.0) / 20.0).exp(),
            1.0 / (1.0 + (-(v + 35.0) / 10.0).exp()),
            0.1 * f(-(v + 55.0) / 10.0),
            0.125 * (-(v + 65.0) / 80.0).exp(),
        ],
    }
}

/// The textbook membrane: C, then (g, E) of Na, K and leak, in the files' units.
fn textbook_membrane(model: &str) -> (f64, [(f64, f64); 3]) {
    match model {
        // 20 000 µm²: 200 pF, and 200 nS per mS/cm².
        "traub" => (200.0, [(20_000.0, 50.0), (6_000.0, -90.0), (10.0, -60.0)]),
        _ => (1.0, [(120.0, 50.0), (36.0, -77.0), (0.03, -54.387)]),
    }
}

/// The bundled files and the textbook equations describe the same neurons: rates, one
/// exponential-Euler step and the derivatives agree over −100…60 mV.
#[test]
fn bundled_traub_and_hh_reproduce_the_textbook_equations() {
    for name in ["traub", "hh"] {
        let model = Model::bundled(name).unwrap();
        let rates = rate_tape(&model);
        let step = exp_euler_tape(&model, true, true);
        let derivatives = derivative_tape(&model, true, true);
        let (c, [(g_na, e_na), (g_k, e_k), (g_l, e_l)]) = textbook_membrane(name);
        let (dt, current) = (0.05, 5.0);
        let mut v = -100.0;
        while v <= 60.0 {
            let at = Inputs::at_rest(&model, &params_of(&model), v);
            let r = textbook_rates(name, v);
            let names = ["alpha", "beta"]
                .map(|kind| ["m", "h", "n"].map(|g| format!("{kind} of gate {g}")));
            for (k, expected) in r.into_iter().enumerate() {
                let rate = &names[k % 2][k / 2];
                let got = value(&rates, &at, rate);
                // 1e-13: the file shares exponentials (e.g. βh's as 1/e^(βm's argument)) and
                // uses the kernels' software exp and series, a few roundings of f64 from libm.
                assert!(
                    close(got, expected, 1e-13),
                    "{name} {rate} at {v}: {got} vs {expected}"
                );
            }
            let x = [v, 0.3, 0.6, 0.4];
            let (m, h, n) = (x[1], x[2], x[3]);
            let g = [g_na * m * m * m * h, g_k * n.powi(4), g_l];
            let e = [e_na, e_k, e_l];
            let g_total: f64 = g.iter().sum();
            let driven: f64 = g.iter().zip(e).map(|(g, e)| g * e).sum::<f64>() + current;
            let dv = (driven - g_total * v) / c;
            // V by the exprel form of exponential Euler, each gate exactly with α, β frozen.
            let y = -g_total * dt / c;
            let exprel = if y == 0.0 { 1.0 } else { y.exp_m1() / y };
            let gate = |x: f64, a: f64, b: f64| {
                let inf = a / (a + b);
                (
                    inf + (x - inf) * (-(a + b) * dt).exp(),
                    a * (1.0 - x) - b * x,
                )
            };
            let gates = [
                gate(m, r[0], r[1]),
                gate(h, r[2], r[3]),
                gate(n, r[4], r[5]),
            ];
            let next = [v + dv * dt * exprel, gates[0].0, gates[1].0, gates[2].0];
            let d = [dv, gates[0].1, gates[1].1, gates[2].1];
            for (k, var) in ["v", "m", "h", "n"].into_iter().enumerate() {
                let got = value(&step, &inputs(&model, &x, dt, current), var);
                assert!(
                    close(got, next[k], 1e-13),
                    "{name} step {var} at {v}: {got} vs {}",
                    next[k]
                );
                let got = value(&derivatives, &inputs(&model, &x, dt, current), var);
                // Derivatives scale with the conductances (up to 2e4 nS · 100 mV / 200 pF),
                // summed in another order here.
                assert!(
                    close(got, d[k], 1e-11),
                    "{name} d{var}/dt at {v}: {got} vs {}",
                    d[k]
                );
            }
            v += 0.7;
        }
    }
}

/// Exponential Euler's step is consistent with the equations: over a tiny step the change per
/// unit time tends to the derivatives (the error is O(dt)), for every bundled model.
#[test]
fn exp_euler_step_follows_the_derivatives() {
    for (name, _) in BUNDLED {
        let model = Model::bundled(name).unwrap();
        let step = exp_euler_tape(&model, true, true);
        let derivatives = derivative_tape(&model, true, true);
        let mut x = initial_state(&model, &params_of(&model));
        x[0] = -58.0;
        let dt = 1e-7;
        for var in &model.states {
            let next = value(&step, &inputs(&model, &x, dt, 3.0), var);
            let now = x[model.states.iter().position(|s| s == var).unwrap()];
            let got = (next - now) / dt;
            let want = value(&derivatives, &inputs(&model, &x, dt, 3.0), var);
            // O(dt) from the method (|d²x/dt²|·dt ≲ 1e3·1e-7) plus rounding of a 1e-7 step
            // (ε·|x|/dt ≈ 1e-14·60/1e-7 ≈ 1e-6): 1e-4 relative to the derivative plus 1e-4.
            assert!(
                (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                "{name} {var}: {got} vs {want}"
            );
        }
    }
}

/// Exponentials per exponential-Euler step, with the shared ones counted once: the Traub file
/// needs 4 for the six rates, one per gate, one for V.
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

/// Every bundled model passes the kernel's checks (they are not checked when read), and its
/// generated functions pass naga in both precisions.
#[test]
fn bundled_models_pass_the_checks_and_their_wgsl_validates() {
    for (name, _) in BUNDLED {
        let model = Model::bundled(name).unwrap();
        check_model(&model).unwrap_or_else(|e| panic!("{name}: {e}"));
        for precision in [Precision::F32, Precision::F64] {
            let source = super::shader::model_module(&model, precision);
            crate::kernel::shader::validate(&source)
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
        // A pole between the samples of V (every 0.1 mV): found by the denominator's sign.
        (
            good.replace(
                "alpha = \"0.128 * exp((17 - (v - vt)) / 18)\"",
                "alpha = \"0.128 / (v + 30.25) ** 2\"",
            ),
            "has a pole between v = -30.3 and -30.2 mV",
        ),
        (
            good.replace(
                "alpha = \"0.128 * exp((17 - (v - vt)) / 18)\"",
                "alpha = \"0.128 * (v + 40)\"",
            ),
            "alpha of gate h is -7.68 at v = -100.0 mV; it must be ≥ 0",
        ),
        (
            good.replace("c = 200.0", "c = -1.0"),
            "capacitance is -1; it must be > 0",
        ),
        (
            BUNDLED[2]
                .1
                .replace("inf = \"1 / (1 + exp(-(v + 35) / 10))\"", "inf = \"2\""),
            "inf of gate p is 2; it must be within [0, 1]",
        ),
        (
            BUNDLED[2]
                .1
                .replace("tau = \"tau_max / (", "tau = \"-tau_max / ("),
            "tau of gate p is -",
        ),
        (
            good.replace("conductance = \"gna * area\"", "conductance = \"-gna\""),
            "conductance of channel na is -100; it must be ≥ 0",
        ),
        (
            good.replace("name = \"h\"", "name = \"t\""),
            "gate name 't': reserved",
        ),
        (
            good.replace("gl = 0.05", "gl = 0.05\n\"../escaped\" = 1.0"),
            "parameter name '../escaped': expected an identifier",
        ),
        (
            good.replace("gl = 0.05", "gl = 0.05\nspike_counts = 1.0"),
            "parameter name 'spike_counts': reserved",
        ),
        (
            good.replace(
                "conductance = \"gna * area\"",
                &format!(
                    "conductance = \"{}gna{}\"",
                    "(".repeat(300),
                    ")".repeat(300)
                ),
            ),
            "nests deeper than 256 levels",
        ),
    ];
    for (text, mentions) in cases {
        let e = read(&text, "models/x.toml").unwrap_err();
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
    let message = read(&text, "m.toml").unwrap_err().to_string();
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

/// Values a run sets (`--set`, sweep cells, network groups) pass the same check as the file's
/// own, row by row, each distinct row once, and a failure names its row.
#[test]
fn the_parameters_a_run_uses_are_checked_like_the_files() {
    let model = Model::bundled("hh_a").unwrap();
    let t = model.parameters.iter().position(|(n, _)| n == "T").unwrap();
    let c = model.parameters.iter().position(|(n, _)| n == "c").unwrap();
    let base = model.default_parameters();
    let with = |k: usize, x: f64| {
        let mut p = base.clone();
        p[k] = x;
        p
    };
    let row = |i: usize| format!("row {i}");
    // Rates scale by 3^((T − 6.3)/10): at T = 1e6 they overflow.
    let rows = [base.clone(), with(t, 20.0), with(t, 1e6)];
    let e = check_parameters(&model, &rows, Some(&row)).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string().contains("(row 2)") && e.to_string().contains("inf"),
        "{e}"
    );
    let e = check_parameters(&model, [with(c, 0.0)], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("capacitance is 0"), "{e}");
    check_parameters(&model, [&base, &with(t, 30.0)], None).unwrap();
}

#[test]
fn models_beyond_the_size_limits_are_refused() {
    let good = BUNDLED[0].1;
    let params: String = (0..1100).map(|k| format!("u{k} = 1.0\n")).collect();
    let e = Model::parse(
        &good.replace("gl = 0.05", &format!("gl = 0.05\n{params}")),
        "x",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("1109 parameters; at most 1024"), "{e}");
    // 11 channels of 50 distinct exponentials each: 550 per step.
    let channels: String = (0..11)
        .map(|c| {
            let terms: Vec<String> = (0..50).map(|j| format!("exp(v / {})", 1000 + 50 * c + j)).collect();
            format!("[[channel]]\nname = \"x{c}\"\nconductance = \"1e-6 * ({})\"\nreversal = \"-60\"\n\n", terms.join(" + "))
        })
        .collect();
    let e = read(&good.replace("[spike]", &format!("{channels}[spike]")), "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("at most 512"), "{e}");
}

/// Parameters that no step reads never reach the generated code.
#[test]
fn unused_parameters_stay_out_of_the_kernel() {
    let good = BUNDLED[0].1;
    let model = Model::parse(
        &good.replace("gl = 0.05", "gl = 0.05\nunused_one = 1.0"),
        "x",
    )
    .unwrap();
    let k = model
        .parameters
        .iter()
        .position(|(n, _)| n == "unused_one")
        .unwrap();
    let source =
        super::shader::assemble_population(&model, crate::integrate::Method::Rk4, Precision::F32);
    assert!(
        !source.contains(&format!("q{k}")),
        "parameter {k} reached the kernel"
    );
    assert!(source.contains("q0"), "the used ones do");
    crate::kernel::shader::validate(&source).unwrap();
}

mod reader_fuzz {
    //! The model-file reader over generated files: random TOML structure, random expressions
    //! (deep nesting included) and random names. Whatever it reads, it returns a model or a
    //! bad-input error (exit status 2) that starts with the file's name, and never panics.
    use super::read;
    use proptest::prelude::*;

    fn expression() -> impl Strategy<Value = String> {
        // Mostly names the file defines, so that many files get past the name check.
        let leaf = prop_oneof![
            4 => Just("v".to_string()),
            2 => Just("gna".to_string()),
            2 => Just("vt".to_string()),
            1 => "[a-z_]{1,4}",
            4 => (-1e3f64..1e3).prop_map(|x| format!("{x}")),
            1 => Just("1e308".to_string()),
            1 => Just("0".to_string()),
        ];
        leaf.prop_recursive(8, 64, 3, |inner| {
            prop_oneof![
                (inner.clone(), "[-+*/]|\\*\\*", inner.clone())
                    .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                inner.clone().prop_map(|a| format!("({a})")),
                inner.clone().prop_map(|a| format!("-{a}")),
                (
                    prop_oneof![
                        Just("exp"),
                        Just("log"),
                        Just("sqrt"),
                        Just("exprel"),
                        Just("nope")
                    ],
                    inner.clone()
                )
                    .prop_map(|(f, a)| format!("{f}({a})")),
                (inner.clone(), inner.clone(), inner)
                    .prop_map(|(a, b, c)| format!("sigmoid({a}, {b}, {c})")),
                (
                    1usize..2000,
                    prop_oneof![Just("("), Just("-"), Just("exp(")]
                )
                    .prop_map(|(n, open)| {
                        let close = if open == "-" { "" } else { ")" };
                        format!("{}v{}", open.repeat(n), close.repeat(n))
                    }),
            ]
        })
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            40 => "[a-z][a-z0-9_]{0,6}",
            1 => Just("v".to_string()),
            1 => Just("t".to_string()),
            1 => Just("../x".to_string()),
            1 => Just("a/b".to_string()),
            1 => Just("".to_string()),
            1 => "\\PC{0,8}",
        ]
    }

    fn file() -> impl Strategy<Value = String> {
        let gate = (name(), 0i64..8, expression(), expression(), any::<bool>()).prop_map(
            |(n, p, a, b, inf_tau)| {
                let (ka, kb) = if inf_tau {
                    ("inf", "tau")
                } else {
                    ("alpha", "beta")
                };
                format!("{{ name = {n:?}, power = {p}, {ka} = {a:?}, {kb} = {b:?} }}")
            },
        );
        let channel = (name(), expression(), expression(), prop::collection::vec(gate, 0..3))
            .prop_map(|(n, g, e, gates)| {
                format!(
                    "[[channel]]\nname = {n:?}\nconductance = {g:?}\nreversal = {e:?}\ngates = [{}]\n",
                    gates.join(", ")
                )
            });
        let parameters = prop::collection::vec((name(), -1e3f64..1e3), 0..5);
        (
            parameters,
            prop::collection::vec(channel, 0..3),
            prop::option::of(expression()),
            prop::collection::vec("[\\[\\]{}=\",a-z0-9 \n]{0,12}", 0..2).prop_filter("mostly none", |j| j.is_empty() || j[0].len() % 3 == 0),
        )
            .prop_map(|(params, channels, factor, junk)| {
                let params: String = params.iter().map(|(n, x)| format!("{n:?} = {x}\n")).collect();
                let factor = factor.map_or(String::new(), |f| format!("rate_factor = {f:?}\n"));
                format!(
                    "[model]\nname = \"fuzz\"\nunits = \"absolute\"\n{factor}\n[parameters]\nc = 100.0\ngna = 20.0\nvt = -63.0\n{params}\n[initial]\nv = -60.0\n\n{}\n[spike]\nthreshold = -20.0\n{}",
                    channels.join("\n"),
                    junk.join("\n")
                )
            })
    }

    proptest! {
        // Bounded for CI: each case parses, checks and lowers one file.
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn any_file_is_read_or_refused_as_bad_input(text in file()) {
            match read(&text, "fuzz.toml") {
                Ok(model) => {
                    prop_assert!(!model.states.is_empty());
                }
                Err(e) => {
                    prop_assert_eq!(e.exit_code(), 2);
                    prop_assert!(e.to_string().starts_with("fuzz.toml"), "{}", e);
                }
            }
        }
    }
}
