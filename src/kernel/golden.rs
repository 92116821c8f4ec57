//! Golden-section search for the maximum of a unimodal function on an interval, shared by the
//! parameter check (the bottom of a denominator's dip) and the analysis (a fold's hump).

/// Shrinkings after which the search stops whatever `f` returns (NaN included): 0.618¹⁰⁰⁰ of
/// any f64 interval is far below its resolution, and finite functions stop long before.
const MAX_SHRINKINGS: usize = 1000;

/// The maximum of a unimodal `f` on [a, b], narrowed to 1e-12 of (1 + |a|).
pub fn golden_max(f: impl Fn(f64) -> f64, mut a: f64, mut b: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let (mut c, mut d) = (b - r * (b - a), a + r * (b - a));
    let (mut fc, mut fd) = (f(c), f(d));
    for _ in 0..MAX_SHRINKINGS {
        if (b - a).abs() <= 1e-12 * (1.0 + a.abs()) {
            break;
        }
        if fc > fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - r * (b - a);
            fc = f(c);
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + r * (b - a);
            fd = f(d);
        }
    }
    0.5 * (a + b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_peak_of_a_parabola_and_stops_on_nan() {
        let peak = super::golden_max(|x| -(x - 0.3).powi(2), -2.0, 5.0);
        assert!((peak - 0.3).abs() < 1e-6, "{peak}");
        // NaN compares false: the search still ends, somewhere in the interval.
        let x = super::golden_max(|_| f64::NAN, 0.0, 1.0);
        assert!((0.0..=1.0).contains(&x));
    }
}
