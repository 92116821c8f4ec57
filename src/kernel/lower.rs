//! Lowering a checked model to op tapes: expressions (with removable singularities rewritten to
//! `x_over_expm1` and the rate shapes expanded), the gates' kinetics, and the integration that
//! follows from the structure: a gate advances by x∞ + (x − x∞)·e^(−dt/τ), V by exponential
//! Euler's exprel form, and RK4 takes the derivatives.

use super::tape::{Builder, Id, Input, Op, Tape};
use crate::model::expr::{BinOp, Expr, ExprKind};
use crate::model::{Kinetics, Model};

/// A tape and the ids of what it computes, by name.
#[derive(Clone, Debug)]
pub struct Lowered {
    pub tape: Tape,
    pub outputs: Vec<(String, Id)>,
}

/// Lowers expressions of one model onto a builder.
struct Lowerer<'a> {
    model: &'a Model,
    b: Builder,
}

impl Lowerer<'_> {
    fn name(&mut self, name: &str) -> Id {
        if name == "v" {
            return self.b.input(Input::State(0));
        }
        let k = self
            .model
            .parameters
            .iter()
            .position(|(n, _)| n == name)
            .expect("names are checked before lowering");
        self.b.input(Input::Param(k))
    }

    fn expr(&mut self, e: &Expr) -> Id {
        match &e.kind {
            ExprKind::Number(x) => self.b.constant(*x),
            ExprKind::Name(n) => self.name(n),
            ExprKind::Neg(a) => {
                let a = self.expr(a);
                self.b.push(Op::Neg(a))
            }
            ExprKind::Binary(BinOp::Div, n, d) => {
                if let Some(id) = self.removable_singularity(n, d) {
                    return id;
                }
                let (n, d) = (self.expr(n), self.expr(d));
                self.b.push(Op::Div(n, d))
            }
            ExprKind::Binary(BinOp::Pow, a, p) => self.power(a, p),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.expr(a), self.expr(b));
                self.b.push(match op {
                    BinOp::Add => Op::Add(a, b),
                    BinOp::Sub => Op::Sub(a, b),
                    BinOp::Mul => Op::Mul(a, b),
                    BinOp::Div | BinOp::Pow => unreachable!("handled above"),
                })
            }
            ExprKind::Call(f, args) => self.call(f, args),
        }
    }

    /// a ** p: repeated products for a whole exponent 1…6, e^(p·ln a) otherwise.
    fn power(&mut self, a: &Expr, p: &Expr) -> Id {
        let base = self.expr(a);
        if let ExprKind::Number(n) = p.kind
            && n.fract() == 0.0
            && (1.0..=6.0).contains(&n)
        {
            return self.integer_power(base, n as u32);
        }
        let p = self.expr(p);
        let ln = self.b.push(Op::Log(base));
        let arg = self.b.push(Op::Mul(p, ln));
        self.b.exp(arg)
    }

    /// The factors of xⁿ, with x² shared: x, x·x, x·x·x, x²·x², x²·x²·x, x²·x²·x².
    fn power_factors(&mut self, x: Id, n: u32) -> Vec<Id> {
        if n <= 3 {
            return vec![x; n as usize];
        }
        let x2 = self.b.push(Op::Mul(x, x));
        let mut factors = vec![x2; (n / 2) as usize];
        if n % 2 == 1 {
            factors.push(x);
        }
        factors
    }

    fn integer_power(&mut self, x: Id, n: u32) -> Id {
        let factors = self.power_factors(x, n);
        factors[1..]
            .iter()
            .fold(factors[0], |acc, &f| self.b.push(Op::Mul(acc, f)))
    }

    /// N/(eʸ − 1) or N/(1 − eʸ) with N = k·y: ±k·x_over_expm1(y, eʸ), finite at y = 0.
    fn removable_singularity(&mut self, n: &Expr, d: &Expr) -> Option<Id> {
        let ExprKind::Binary(BinOp::Sub, first, second) = &d.kind else {
            return None;
        };
        let exp_arg = |e: &Expr| match &e.kind {
            ExprKind::Call(f, args) if f == "exp" => Some(args[0].clone()),
            _ => None,
        };
        let one = |e: &Expr| e.kind == ExprKind::Number(1.0);
        let (y, sign) = match (exp_arg(first), exp_arg(second)) {
            (Some(y), None) if one(second) => (y, 1.0),
            (None, Some(y)) if one(first) => (y, -1.0),
            _ => return None,
        };
        let numerator = self.expr(n);
        let y = self.expr(&y);
        let (nf, yf) = (self.b.affine(numerator)?, self.b.affine(y)?);
        let k = nf.ratio_of_terms(yf)?;
        let scale = nf.constant.abs().max((k * yf.constant).abs());
        if (nf.constant - k * yf.constant).abs() > 1e-12 * scale {
            return None;
        }
        let e = self.b.exp(y);
        let ratio = self.b.push(Op::XOverExpm1(y, e));
        let factor = sign * k;
        if factor == 1.0 {
            return Some(ratio);
        }
        let factor = self.b.constant(factor);
        Some(self.b.push(Op::Mul(factor, ratio)))
    }

    fn call(&mut self, f: &str, args: &[Expr]) -> Id {
        let mut arg = |k: usize| self.expr(&args[k]);
        match f {
            "exp" => {
                let x = arg(0);
                self.b.exp(x)
            }
            "log" => {
                let x = arg(0);
                self.b.push(Op::Log(x))
            }
            "sqrt" => {
                let x = arg(0);
                self.b.push(Op::Sqrt(x))
            }
            "exprel" => {
                let x = arg(0);
                self.b.push(Op::Exprel(x))
            }
            // r·e^((v − mid)/s)
            "exp_rate" => {
                let (r, x) = self.shape_argument(args, 1.0);
                let e = self.b.exp(x);
                self.b.push(Op::Mul(r, e))
            }
            // r/(1 + e^((mid − v)/s))
            "sigmoid" => {
                let (r, x) = self.shape_argument(args, -1.0);
                let e = self.b.exp(x);
                let one = self.b.constant(1.0);
                let d = self.b.push(Op::Add(one, e));
                self.b.push(Op::Div(r, d))
            }
            // r·x/(1 − e^(−x)) = r·x_over_expm1(−x, e^(−x)), x = (v − mid)/s
            "exp_linear" => {
                let (r, minus_x) = self.shape_argument(args, -1.0);
                let e = self.b.exp(minus_x);
                let ratio = self.b.push(Op::XOverExpm1(minus_x, e));
                self.b.push(Op::Mul(r, ratio))
            }
            _ => unreachable!("functions are checked before lowering"),
        }
    }

    /// NeuroML's rate shapes (r, mid, s): r and ±(v − mid)/s.
    fn shape_argument(&mut self, args: &[Expr], sign: f64) -> (Id, Id) {
        let r = self.expr(&args[0]);
        let mid = self.expr(&args[1]);
        let s = self.expr(&args[2]);
        let v = self.b.input(Input::State(0));
        let offset = if sign > 0.0 {
            self.b.push(Op::Sub(v, mid))
        } else {
            self.b.push(Op::Sub(mid, v))
        };
        (r, self.b.push(Op::Div(offset, s)))
    }

    fn rate_factor(&mut self) -> Option<Id> {
        let model = self.model;
        model.rate_factor.as_ref().map(|e| self.expr(e))
    }

    /// α or β with the rate factor applied.
    fn rate(&mut self, e: &Expr, factor: Option<Id>) -> Id {
        let x = self.expr(e);
        match factor {
            Some(f) => self.b.push(Op::Mul(f, x)),
            None => x,
        }
    }

    /// A gate's x∞ and 1/τ (α + β for α/β gates) at the tape's v.
    fn steady_and_rate(&mut self, kinetics: &Kinetics, factor: Option<Id>) -> (Id, Option<Id>) {
        match kinetics {
            Kinetics::AlphaBeta { alpha, beta } => {
                let a = self.rate(alpha, factor);
                let b = self.rate(beta, factor);
                let sum = self.b.push(Op::Add(a, b));
                (self.b.push(Op::Div(a, sum)), Some(sum))
            }
            Kinetics::InfTau { inf, tau } => {
                let inf = self.expr(inf);
                let tau = self.expr(tau);
                let one = self.b.constant(1.0);
                let rate = self.b.push(Op::Div(one, tau));
                let rate = match factor {
                    Some(f) => self.b.push(Op::Mul(f, rate)),
                    None => rate,
                };
                (inf, Some(rate))
            }
            Kinetics::Instantaneous { inf } => (self.expr(inf), None),
        }
    }

    /// The capacitance parameter, `C` or `c`.
    fn capacitance(&mut self) -> Id {
        let k = self
            .model
            .parameters
            .iter()
            .position(|(n, _)| n == "C" || n == "c")
            .expect("models are checked to have a capacitance");
        self.b.input(Input::Param(k))
    }

    /// Each channel's open conductance g·Π xᵖ and reversal, with the state index of each gate.
    fn conductances(&mut self, gate_values: &[Id]) -> Vec<(Id, Id)> {
        let model = self.model;
        let mut next_gate = 0;
        let mut out = Vec::new();
        for channel in &model.channels {
            let mut g = self.expr(&channel.conductance);
            for gate in &channel.gates {
                for f in self.power_factors(gate_values[next_gate], gate.power) {
                    g = self.b.push(Op::Mul(g, f));
                }
                next_gate += 1;
            }
            let e = self.expr(&channel.reversal);
            out.push((g, e));
        }
        out
    }

    /// Every gate's value for the conductances: its state, or x∞ when instantaneous.
    fn gate_values(&mut self) -> Vec<Id> {
        let model = self.model;
        let mut state = 1;
        let mut values = Vec::new();
        for gate in model.channels.iter().flat_map(|c| &c.gates) {
            if let Kinetics::Instantaneous { inf } = &gate.kinetics {
                values.push(self.expr(inf));
            } else {
                values.push(self.b.input(Input::State(state)));
                state += 1;
            }
        }
        values
    }

    fn sum(&mut self, terms: &[Id]) -> Id {
        if terms.is_empty() {
            return self.b.constant(0.0);
        }
        terms[1..]
            .iter()
            .fold(terms[0], |acc, &t| self.b.push(Op::Add(acc, t)))
    }

    /// The tape without the ops no output needs (e.g. a numerator that a removable singularity
    /// replaced), so neither the kernel nor its twin computes them, in [`by_level`] order.
    fn finish(self, outputs: Vec<(String, Id)>) -> Lowered {
        let ops = self.b.tape.ops;
        let mut live = vec![false; ops.len()];
        for &(_, id) in &outputs {
            live[id] = true;
        }
        mark_operands(&ops, &mut live);
        let order = by_level(&ops, &live);
        let mut new_id = vec![usize::MAX; ops.len()];
        let mut kept = Vec::with_capacity(order.len());
        for id in order {
            new_id[id] = kept.len();
            kept.push(renumbered(ops[id], &new_id));
        }
        Lowered {
            tape: Tape { ops: kept },
            outputs: outputs
                .into_iter()
                .map(|(name, id)| (name, new_id[id]))
                .collect(),
        }
    }
}

/// Marks every operand of a marked op: operands come before the ops that read them, so one
/// backward pass marks them all.
fn mark_operands(ops: &[Op], marked: &mut [bool]) {
    for id in (0..ops.len()).rev() {
        if marked[id] {
            for operand in ops[id].operands() {
                marked[operand] = true;
            }
        }
    }
}

/// The live ops by level (the longest chain of ops from the inputs), in tape order within a
/// level. Independent chains, such as the gates' exponentials, then sit side by side, and the
/// shader compiler, which schedules close to source order, overlaps them; in the order the
/// lowering writes them (one gate after the other) it cannot, and the step is slower on
/// lavapipe (`hhsim bench` measures it).
fn by_level(ops: &[Op], live: &[bool]) -> Vec<Id> {
    let mut level = vec![0usize; ops.len()];
    for id in 0..ops.len() {
        for operand in ops[id].operands() {
            level[id] = level[id].max(level[operand] + 1);
        }
    }
    let mut order: Vec<Id> = (0..ops.len()).filter(|&id| live[id]).collect();
    order.sort_by_key(|&id| (level[id], id));
    order
}

/// `op` reading its operands under their new ids.
fn renumbered(op: Op, new_id: &[Id]) -> Op {
    let n = |id: Id| new_id[id];
    match op {
        Op::Const(_) | Op::Input(_) => op,
        Op::Neg(a) => Op::Neg(n(a)),
        Op::Exp(a) => Op::Exp(n(a)),
        Op::Log(a) => Op::Log(n(a)),
        Op::Sqrt(a) => Op::Sqrt(n(a)),
        Op::Exprel(a) => Op::Exprel(n(a)),
        Op::Add(a, b) => Op::Add(n(a), n(b)),
        Op::Sub(a, b) => Op::Sub(n(a), n(b)),
        Op::Mul(a, b) => Op::Mul(n(a), n(b)),
        Op::Div(a, b) => Op::Div(n(a), n(b)),
        Op::XOverExpm1(a, e) => Op::XOverExpm1(n(a), n(e)),
    }
}

fn lowerer(model: &Model, merge: bool, share_exp: bool) -> Lowerer<'_> {
    let mut b = Builder::default();
    b.merge = merge;
    b.share_exp = share_exp;
    Lowerer { model, b }
}

/// Every gate's rates at the tape's v: `alpha of gate m`, `beta of gate m`, or `inf`/`tau`,
/// plus `steady state of gate m` (for initial states).
pub fn rate_tape(model: &Model) -> Lowered {
    let mut l = lowerer(model, true, true);
    let factor = l.rate_factor();
    let mut outputs = Vec::new();
    for gate in model.channels.iter().flat_map(|c| &c.gates) {
        let named = |what: &str| format!("{what} of gate {}", gate.name);
        match &gate.kinetics {
            Kinetics::AlphaBeta { alpha, beta } => {
                outputs.push((named("alpha"), l.rate(alpha, factor)));
                outputs.push((named("beta"), l.rate(beta, factor)));
            }
            Kinetics::InfTau { inf, tau } => {
                outputs.push((named("inf"), l.expr(inf)));
                outputs.push((named("tau"), l.expr(tau)));
            }
            Kinetics::Instantaneous { inf } => outputs.push((named("inf"), l.expr(inf))),
        }
        let (steady, _) = l.steady_and_rate(&gate.kinetics, factor);
        outputs.push((named("steady state"), steady));
    }
    l.finish(outputs)
}

/// The parameters the model's steps read (exponential Euler's and the derivatives), in
/// order: a parameter no step reads need not reach a kernel.
pub fn used_parameters(model: &Model) -> Vec<usize> {
    let mut used = exp_euler_tape(model, true, true).tape.parameters_read();
    used.extend(derivative_tape(model, true, true).tape.parameters_read());
    used.sort_unstable();
    used.dedup();
    used
}

/// What [`check_tape`]'s outputs must be over the checked voltages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    /// ≥ 0: an opening or closing rate, a conductance.
    NonNegative,
    /// In [0, 1]: a steady state.
    Unit,
    /// > 0: a time constant, the capacitance, the rate factor.
    Positive,
}

/// Which of a model's checked expressions [`check_tape`] lowers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckPart {
    /// Every gate's rates and steady state (as [`rate_tape`] names them) and the `rate factor`.
    Kinetics,
    /// Each channel's conductance (`conductance of channel na`) and the `capacitance`.
    Membrane,
}

/// The expressions of `part` that a run's parameters must make physical, each with its bound.
pub fn check_tape(model: &Model, part: CheckPart) -> (Lowered, Vec<Bound>) {
    let mut l = lowerer(model, true, true);
    let mut outputs = Vec::new();
    let mut bounds = Vec::new();
    let mut push = |name: String, id: Id, bound: Bound| {
        outputs.push((name, id));
        bounds.push(bound);
    };
    match part {
        CheckPart::Kinetics => {
            let factor = l.rate_factor();
            for gate in model.channels.iter().flat_map(|c| &c.gates) {
                let named = |what: &str| format!("{what} of gate {}", gate.name);
                match &gate.kinetics {
                    Kinetics::AlphaBeta { alpha, beta } => {
                        push(named("alpha"), l.rate(alpha, factor), Bound::NonNegative);
                        push(named("beta"), l.rate(beta, factor), Bound::NonNegative);
                    }
                    Kinetics::InfTau { inf, tau } => {
                        push(named("inf"), l.expr(inf), Bound::Unit);
                        push(named("tau"), l.expr(tau), Bound::Positive);
                    }
                    Kinetics::Instantaneous { inf } => push(named("inf"), l.expr(inf), Bound::Unit),
                }
                let (steady, _) = l.steady_and_rate(&gate.kinetics, factor);
                push(named("steady state"), steady, Bound::Unit);
            }
            if let Some(f) = factor {
                push("rate factor".into(), f, Bound::Positive);
            }
        }
        CheckPart::Membrane => {
            for channel in &model.channels {
                let g = l.expr(&channel.conductance);
                let name = format!("conductance of channel {}", channel.name);
                push(name, g, Bound::NonNegative);
            }
            let c = l.capacitance();
            push("capacitance".into(), c, Bound::Positive);
        }
    }
    (l.finish(outputs), bounds)
}

/// One exponential-Euler step (Brian2's `exponential_euler`): every state's next value, named
/// by the state. Reads the extra conductance and its drive (synapses, and the injected current
/// as drive).
pub fn exp_euler_tape(model: &Model, merge: bool, share_exp: bool) -> Lowered {
    let mut l = lowerer(model, merge, share_exp);
    let factor = l.rate_factor();
    let gates = l.gate_values();
    let channels = l.conductances(&gates);
    let g_extra = l.b.input(Input::ExtraConductance);
    let drive_extra = l.b.input(Input::ExtraDrive);
    let mut g_terms: Vec<Id> = channels.iter().map(|&(g, _)| g).collect();
    g_terms.push(g_extra);
    let g_total = l.sum(&g_terms);
    let mut drive_terms: Vec<Id> = channels
        .iter()
        .map(|&(g, e)| l.b.push(Op::Mul(g, e)))
        .collect();
    drive_terms.push(drive_extra);
    let driven = l.sum(&drive_terms);
    let dt = l.b.input(Input::Dt);
    let c = l.capacitance();
    let v = l.b.input(Input::State(0));
    let dt_over_c = l.b.push(Op::Div(dt, c));
    // v + (driven − g·v)·(dt/C)·exprel(−g·dt/C)
    let gv = l.b.push(Op::Mul(g_total, v));
    let net = l.b.push(Op::Sub(driven, gv));
    let scaled = l.b.push(Op::Mul(net, dt_over_c));
    let minus_g = l.b.push(Op::Neg(g_total));
    let arg = l.b.push(Op::Mul(minus_g, dt_over_c));
    let relative = l.b.push(Op::Exprel(arg));
    let step = l.b.push(Op::Mul(scaled, relative));
    let v_next = l.b.push(Op::Add(v, step));
    let mut outputs = vec![("v".to_string(), v_next)];
    let mut state = 1;
    for gate in model.channels.iter().flat_map(|c| &c.gates) {
        let (steady, rate) = l.steady_and_rate(&gate.kinetics, factor);
        let Some(rate) = rate else { continue };
        // x∞ + (x − x∞)·e^(−dt/τ)
        let x = l.b.input(Input::State(state));
        let minus_rate = l.b.push(Op::Neg(rate));
        let arg = l.b.push(Op::Mul(minus_rate, dt));
        let decay = l.b.exp(arg);
        let gap = l.b.push(Op::Sub(x, steady));
        let decayed = l.b.push(Op::Mul(gap, decay));
        outputs.push((gate.name.clone(), l.b.push(Op::Add(steady, decayed))));
        state += 1;
    }
    l.finish(outputs)
}

/// The right-hand side dX/dt of every state under the injected current, named by the state.
pub fn derivative_tape(model: &Model, merge: bool, share_exp: bool) -> Lowered {
    let mut l = lowerer(model, merge, share_exp);
    let factor = l.rate_factor();
    let gates = l.gate_values();
    let channels = l.conductances(&gates);
    let v = l.b.input(Input::State(0));
    // Σ g·(E − v) + I, over C
    let terms: Vec<Id> = channels
        .iter()
        .map(|&(g, e)| {
            let d = l.b.push(Op::Sub(e, v));
            l.b.push(Op::Mul(g, d))
        })
        .collect();
    let i_ion = l.sum(&terms);
    let current = l.b.input(Input::Current);
    let total = l.b.push(Op::Add(i_ion, current));
    let c = l.capacitance();
    let mut outputs = vec![("v".to_string(), l.b.push(Op::Div(total, c)))];
    let mut state = 1;
    for gate in model.channels.iter().flat_map(|c| &c.gates) {
        let x = l.b.input(Input::State(state));
        let d = match &gate.kinetics {
            Kinetics::Instantaneous { .. } => continue,
            // α(1 − x) − βx
            Kinetics::AlphaBeta { alpha, beta } => {
                let a = l.rate(alpha, factor);
                let b = l.rate(beta, factor);
                let one = l.b.constant(1.0);
                let closed = l.b.push(Op::Sub(one, x));
                let opening = l.b.push(Op::Mul(a, closed));
                let closing = l.b.push(Op::Mul(b, x));
                l.b.push(Op::Sub(opening, closing))
            }
            // (x∞ − x)/τ, times the rate factor
            Kinetics::InfTau { .. } => {
                let (steady, rate) = l.steady_and_rate(&gate.kinetics, factor);
                let gap = l.b.push(Op::Sub(steady, x));
                l.b.push(Op::Mul(gap, rate.expect("inf/tau gates have a rate")))
            }
        };
        outputs.push((gate.name.clone(), d));
        state += 1;
    }
    l.finish(outputs)
}
