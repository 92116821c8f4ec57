//! The op tape: a model's computation as a list of single assignments, each op reading only
//! earlier ones. The builder merges common subexpressions (an op already on the tape is not
//! pushed again) and shares exponentials whose arguments differ by a constant or a sign:
//! e^(L + b) = e^(L + c)·e^(b − c) and e^(−L + b) = e^(b + c)/e^(L + c), so a rate set written
//! rate by rate costs no more `exp` than a hand-tuned kernel.

use std::collections::HashMap;

/// An op's index on the tape.
pub type Id = usize;

/// What a tape reads besides constants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Input {
    /// State variable k (0 is v).
    State(usize),
    /// Parameter k, in file order.
    Param(usize),
    /// The time step [ms].
    Dt,
    /// Injected current, summed from every source.
    Current,
    /// Conductance added to the membrane (synapses) and its driving term g·E.
    ExtraConductance,
    ExtraDrive,
}

#[derive(Clone, Copy, Debug)]
pub enum Op {
    Const(f64),
    Input(Input),
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    Neg(Id),
    Exp(Id),
    Log(Id),
    Sqrt(Id),
    /// x/(eˣ − 1) given x and eˣ (a removable singularity at 0).
    XOverExpm1(Id, Id),
    /// (eˣ − 1)/x (a removable singularity at 0); computes its own eˣ.
    Exprel(Id),
}

/// The key under which an op is merged with an equal one (constants by their bits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Const(u64),
    Input(Input),
    Add(Id, Id),
    Sub(Id, Id),
    Mul(Id, Id),
    Div(Id, Id),
    Neg(Id),
    Exp(Id),
    Log(Id),
    Sqrt(Id),
    XOverExpm1(Id, Id),
    Exprel(Id),
}

fn key(op: Op) -> Key {
    match op {
        Op::Const(x) => Key::Const(x.to_bits()),
        Op::Input(i) => Key::Input(i),
        Op::Add(a, b) => Key::Add(a, b),
        Op::Sub(a, b) => Key::Sub(a, b),
        Op::Mul(a, b) => Key::Mul(a, b),
        Op::Div(a, b) => Key::Div(a, b),
        Op::Neg(a) => Key::Neg(a),
        Op::Exp(a) => Key::Exp(a),
        Op::Log(a) => Key::Log(a),
        Op::Sqrt(a) => Key::Sqrt(a),
        Op::XOverExpm1(a, b) => Key::XOverExpm1(a, b),
        Op::Exprel(a) => Key::Exprel(a),
    }
}

/// A sum of inputs with constant coefficients plus a constant: the form in which exponentials'
/// arguments are compared. Terms are sorted by input and have non-zero coefficients.
#[derive(Clone, Debug, PartialEq)]
pub struct Affine {
    pub terms: Vec<(Input, f64)>,
    pub constant: f64,
}

impl Affine {
    pub fn constant(c: f64) -> Self {
        Affine {
            terms: Vec::new(),
            constant: c,
        }
    }

    pub fn input(i: Input) -> Self {
        Affine {
            terms: vec![(i, 1.0)],
            constant: 0.0,
        }
    }

    pub fn scale(&self, k: f64) -> Self {
        Affine {
            terms: self.terms.iter().map(|&(i, c)| (i, c * k)).collect(),
            constant: self.constant * k,
        }
    }

    pub fn add(&self, other: &Affine) -> Self {
        let mut terms = self.terms.clone();
        for &(i, c) in &other.terms {
            match terms.iter_mut().find(|(j, _)| *j == i) {
                Some((_, d)) => *d += c,
                None => terms.push((i, c)),
            }
        }
        terms.retain(|&(_, c)| c != 0.0);
        terms.sort_by_key(|&(i, _)| input_order(i));
        Affine {
            terms,
            constant: self.constant + other.constant,
        }
    }

    /// `k` with `self`'s varying part = k·`other`'s, when the two are proportional (to 1e-12
    /// relative); the constant parts are not compared.
    pub fn ratio_of_terms(&self, other: &Affine) -> Option<f64> {
        if self.terms.len() != other.terms.len() || self.terms.is_empty() {
            return None;
        }
        let k = self.terms[0].1 / other.terms[0].1;
        let agree = self
            .terms
            .iter()
            .zip(&other.terms)
            .all(|(&(i, a), &(j, b))| i == j && (a - k * b).abs() <= 1e-12 * a.abs());
        agree.then_some(k)
    }
}

fn input_order(i: Input) -> (u8, usize) {
    match i {
        Input::State(k) => (0, k),
        Input::Param(k) => (1, k),
        Input::Dt => (2, 0),
        Input::Current => (3, 0),
        Input::ExtraConductance => (4, 0),
        Input::ExtraDrive => (5, 0),
    }
}

/// An exponential already on the tape, with its argument's affine form.
struct SharedExp {
    form: Affine,
    id: Id,
}

/// The tape and what it computes, by name.
impl Op {
    /// The ops this op reads.
    pub fn operands(self) -> Vec<Id> {
        match self {
            Op::Const(_) | Op::Input(_) => vec![],
            Op::Neg(a) | Op::Exp(a) | Op::Log(a) | Op::Sqrt(a) | Op::Exprel(a) => vec![a],
            Op::Add(a, b)
            | Op::Sub(a, b)
            | Op::Mul(a, b)
            | Op::Div(a, b)
            | Op::XOverExpm1(a, b) => vec![a, b],
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Tape {
    pub ops: Vec<Op>,
}

impl Tape {
    /// For each op, whether its value depends on the parameters, dt and constants only (not on
    /// the states or the inputs), so that it stays the same over a neuron's steps: the twin
    /// computes such ops once per batch of neurons.
    pub fn invariant(&self) -> Vec<bool> {
        let mut invariant = Vec::with_capacity(self.ops.len());
        for op in &self.ops {
            let value = match *op {
                Op::Const(_) | Op::Input(Input::Param(_)) | Op::Input(Input::Dt) => true,
                Op::Input(_) => false,
                op => op.operands().iter().all(|&a| invariant[a]),
            };
            invariant.push(value);
        }
        invariant
    }

    /// The parameters the tape reads, in order, each once.
    pub fn parameters_read(&self) -> Vec<usize> {
        let mut read: Vec<usize> = (self.ops.iter())
            .filter_map(|op| match op {
                Op::Input(Input::Param(k)) => Some(*k),
                _ => None,
            })
            .collect();
        read.sort_unstable();
        read.dedup();
        read
    }

    /// How many exponentials one evaluation computes (`Exprel` computes one).
    pub fn exp_count(&self) -> usize {
        self.ops
            .iter()
            .filter(|op| matches!(op, Op::Exp(_) | Op::Exprel(_)))
            .count()
    }
}

/// Builds a tape; `merge` and `share_exp` switch the two optimisations (off only to test that
/// they do not change results).
pub struct Builder {
    pub tape: Tape,
    merged: HashMap<Key, Id>,
    exps: Vec<SharedExp>,
    /// The affine form of every op that has one.
    forms: HashMap<Id, Affine>,
    pub merge: bool,
    pub share_exp: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            tape: Tape::default(),
            merged: HashMap::new(),
            exps: Vec::new(),
            forms: HashMap::new(),
            merge: true,
            share_exp: true,
        }
    }
}

impl Builder {
    /// Pushes `op`, or returns the equal op already on the tape; an op on constants only is
    /// computed now (in f64) and pushed as a constant.
    pub fn push(&mut self, op: Op) -> Id {
        let op = self.folded(op).map_or(op, Op::Const);
        let k = key(op);
        if self.merge
            && let Some(&id) = self.merged.get(&k)
        {
            return id;
        }
        let id = self.tape.ops.len();
        self.tape.ops.push(op);
        self.merged.insert(k, id);
        if let Some(form) = self.form_of(op) {
            self.forms.insert(id, form);
        }
        id
    }

    /// The value of an op whose operands are all constants.
    fn folded(&self, op: Op) -> Option<f64> {
        use crate::kernel::{Real, exprel_given, x_over_expm1};
        let c = |id: Id| match self.tape.ops[id] {
            Op::Const(c) => Some(c),
            _ => None,
        };
        let value = match op {
            Op::Const(_) | Op::Input(_) => return None,
            Op::Add(a, b) => c(a)? + c(b)?,
            Op::Sub(a, b) => c(a)? - c(b)?,
            Op::Mul(a, b) => c(a)? * c(b)?,
            Op::Div(a, b) => c(a)? / c(b)?,
            Op::Neg(a) => -c(a)?,
            Op::Exp(a) => c(a)?.exp_twin(),
            Op::Log(a) => c(a)?.ln_twin(),
            Op::Sqrt(a) => c(a)?.sqrt(),
            Op::XOverExpm1(a, e) => x_over_expm1(c(a)?, c(e)?),
            Op::Exprel(a) => exprel_given(c(a)?, c(a)?.exp_twin()),
        };
        // A constant that is not finite stays an op, so that the rate check reports it.
        value.is_finite().then_some(value)
    }

    fn form_of(&self, op: Op) -> Option<Affine> {
        let f = |id: Id| self.forms.get(&id);
        let constant = |id: Id| match self.tape.ops[id] {
            Op::Const(c) => Some(c),
            _ => None,
        };
        match op {
            Op::Const(c) => Some(Affine::constant(c)),
            Op::Input(i) => Some(Affine::input(i)),
            Op::Add(a, b) => Some(f(a)?.add(f(b)?)),
            Op::Sub(a, b) => Some(f(a)?.add(&f(b)?.scale(-1.0))),
            Op::Neg(a) => Some(f(a)?.scale(-1.0)),
            Op::Mul(a, b) => match (constant(a), constant(b)) {
                (Some(k), _) => Some(f(b)?.scale(k)),
                (_, Some(k)) => Some(f(a)?.scale(k)),
                _ => None,
            },
            Op::Div(a, b) => constant(b).and_then(|k| Some(f(a)?.scale(1.0 / k))),
            _ => None,
        }
    }

    /// The affine form of an op, where it has one.
    pub fn affine(&self, id: Id) -> Option<&Affine> {
        self.forms.get(&id)
    }

    pub fn constant(&mut self, c: f64) -> Id {
        self.push(Op::Const(c))
    }

    pub fn input(&mut self, i: Input) -> Id {
        self.push(Op::Input(i))
    }

    /// e^x, as a product with or quotient of an exponential already on the tape when the
    /// arguments differ by a constant or a sign.
    pub fn exp(&mut self, x: Id) -> Id {
        let Some(form) = self.forms.get(&x).cloned().filter(|f| !f.terms.is_empty()) else {
            return self.push(Op::Exp(x));
        };
        if self.share_exp {
            for shared in &self.exps {
                let Some(k) = form.ratio_of_terms(&shared.form) else {
                    continue;
                };
                let (id, c) = (shared.id, shared.form.constant);
                if k == 1.0 {
                    // e^(L + b) = e^(L + c)·e^(b − c)
                    let factor = (form.constant - c).exp();
                    if factor == 1.0 {
                        return id;
                    }
                    let factor = self.constant(factor);
                    return self.push(Op::Mul(id, factor));
                }
                if k == -1.0 {
                    // e^(−L + b) = e^(b + c)/e^(L + c)
                    let factor = self.constant((form.constant + c).exp());
                    return self.push(Op::Div(factor, id));
                }
            }
        }
        let id = self.push(Op::Exp(x));
        self.exps.push(SharedExp { form, id });
        id
    }
}
