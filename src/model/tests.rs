use super::*;

#[test]
fn temperature_factor_is_one_at_6_3_and_triples_per_10_degrees() {
    assert_eq!(phi_from_temperature(CLASSIC_REFERENCE_TEMPERATURE_C), 1.0);
    assert!((phi_from_temperature(16.3) - 3.0).abs() < 1e-12);
}
