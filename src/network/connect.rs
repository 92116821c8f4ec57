//! Sampling connectivity on the host in time proportional to the number of synapses:
//! fixed connection probability by geometric skips, fixed in-degree by Floyd's sampling.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;
use std::collections::HashSet;

/// Each (pre, post) pair independently with probability `p`; `same_group` excludes pre == post
/// unless `autapses`. Calls `edge(pre, post)` in pre-major order.
pub fn fixed_probability(
    rng: &mut Pcg64Mcg,
    n_pre: usize,
    n_post: usize,
    p: f64,
    no_self: bool,
    mut edge: impl FnMut(usize, usize),
) {
    if p <= 0.0 || n_pre == 0 || n_post == 0 {
        return;
    }
    let total = n_pre as u64 * n_post as u64;
    if p >= 1.0 {
        for k in 0..total {
            let (pre, post) = ((k / n_post as u64) as usize, (k % n_post as u64) as usize);
            if !(no_self && pre == post) {
                edge(pre, post);
            }
        }
        return;
    }
    // The gap to the next chosen pair is geometric: floor(ln U / ln(1 − p)) pairs are skipped.
    let log_q = (1.0 - p).ln();
    let mut k: u64 = 0;
    loop {
        let u: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
        let skip = (u.ln() / log_q).floor();
        if skip >= (total - k) as f64 {
            return;
        }
        k += skip as u64;
        let (pre, post) = ((k / n_post as u64) as usize, (k % n_post as u64) as usize);
        if !(no_self && pre == post) {
            edge(pre, post);
        }
        k += 1;
        if k >= total {
            return;
        }
    }
}

/// Exactly `k` distinct presynaptic neurons for every postsynaptic one (excluding itself when
/// `no_self`). Calls `edge(pre, post)`. The caller checks that `k` pres exist.
pub fn fixed_in_degree(
    rng: &mut Pcg64Mcg,
    n_pre: usize,
    n_post: usize,
    k: usize,
    no_self: bool,
    mut edge: impl FnMut(usize, usize),
) {
    let mut chosen = HashSet::with_capacity(2 * k);
    for post in 0..n_post {
        chosen.clear();
        // Floyd's algorithm over the candidates, with `post` itself removed by index shifting.
        let candidates = if no_self && post < n_pre {
            n_pre - 1
        } else {
            n_pre
        };
        for j in (candidates - k)..candidates {
            let t = rng.random_range(0..=j);
            let pick = if chosen.contains(&t) { j } else { t };
            chosen.insert(pick);
            let pre = if no_self && post < n_pre && pick >= post {
                pick + 1
            } else {
                pick
            };
            edge(pre, post);
        }
    }
}
