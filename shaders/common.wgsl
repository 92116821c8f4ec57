// What every kernel shares: the workgroup size and the singularity-safe functions the generated
// model code calls. Keep WORKGROUP_SIZE in sync with src/kernel/layout.rs (a test compares them).

const WORKGROUP_SIZE: u32 = 64u;

// (e^x − 1)/x with a series branch near 0; the twin is src/model/exprel.rs.
fn exprel(x: Real) -> Real {
    if (abs(x) < EXPREL_SERIES_BELOW) {
        return 1.0 + x * (1.0 / 2.0 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0
            + x * (1.0 / 720.0 + x * (1.0 / 5040.0))))));
    }
    return (exp_real(x) - 1.0) / x;
}

// x/(e^x − 1) given e = e^x (shared with other rates), with a series branch near 0;
// the twin is src/model/exprel.rs.
fn x_over_expm1(x: Real, e: Real) -> Real {
    if (abs(x) < EXPREL_SERIES_BELOW) {
        let x2 = x * x;
        return 1.0 + x * (-1.0 / 2.0 + x * (1.0 / 12.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 30240.0))));
    }
    return x / (e - 1.0);
}
