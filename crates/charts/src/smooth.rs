//! Smoothing: TensorBoard's debiased exponential moving average.

use runlens_core::MetricValue;

/// The largest smoothing weight: at 1 the line would never move.
pub const MAX_WEIGHT: f64 = 0.999;

/// A weight as the chart uses it: clamped to 0..=[`MAX_WEIGHT`], NaN read as 0.
pub fn clamp_weight(weight: f64) -> f64 {
    if weight.is_nan() {
        0.0
    } else {
        weight.clamp(0.0, MAX_WEIGHT)
    }
}

/// Smooths values in order with a debiased EMA: `s_n = ema_n / (1 - w^n)`, where
/// `ema_n = w * ema_{n-1} + (1 - w) * v_n` and `ema_0 = 0`. Debiasing keeps the start of the line
/// where the data is instead of pulling it towards 0.
///
/// Non-finite values (NaN, ±inf, and ±f64::MAX, which SQL stores write for ±inf) pass through
/// unsmoothed and are left out of the average, so one NaN does not poison the rest of the line.
/// Each output is a weighted mean of the finite values so far, so it is clamped to their range:
/// the clamp only removes rounding (a constant series stays exactly constant).
pub fn ema(values: &[f64], weight: f64) -> Vec<f64> {
    let w = clamp_weight(weight);
    let mut out = Vec::with_capacity(values.len());
    let mut last = 0.0_f64;
    let mut w_pow_n = 1.0_f64;
    let mut seen: Option<(f64, f64)> = None;
    for &v in values {
        if !MetricValue(v).is_finite_value() {
            out.push(v);
            continue;
        }
        last = last * w + (1.0 - w) * v;
        w_pow_n *= w;
        let (lo, hi) = seen.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)));
        seen = Some((lo, hi));
        let smoothed = last / (1.0 - w_pow_n);
        out.push(if smoothed.is_nan() { v } else { smoothed.clamp(lo, hi) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn weight_zero_is_the_identity_and_debiasing_starts_at_the_data() {
        assert_eq!(ema(&[3.0, 1.0, 2.0], 0.0), vec![3.0, 1.0, 2.0]);
        let s = ema(&[10.0, 10.0, 0.0], 0.5);
        assert_eq!(s[0], 10.0);
        assert_eq!(s[1], 10.0);
        // ema = 0.5*7.5 + 0 = 3.75 ; debias 1 - 0.125 = 0.875
        assert!((s[2] - 3.75 / 0.875).abs() < 1e-12);
    }

    #[test]
    fn non_finite_values_pass_through_and_do_not_poison() {
        let nan = f64::NAN;
        let s = ema(&[1.0, nan, f64::INFINITY, 3.0, f64::MAX, f64::NEG_INFINITY, 5.0], 0.6);
        let clean = ema(&[1.0, 3.0, 5.0], 0.6);
        assert!(s[1].is_nan());
        assert_eq!(s[2], f64::INFINITY);
        assert_eq!(s[4], f64::MAX);
        assert_eq!(s[5], f64::NEG_INFINITY);
        assert_eq!([s[0], s[3], s[6]], [clean[0], clean[1], clean[2]]);
    }

    #[test]
    fn weights_are_clamped() {
        assert_eq!(clamp_weight(f64::NAN), 0.0);
        assert_eq!(clamp_weight(-1.0), 0.0);
        assert_eq!(clamp_weight(1.0), MAX_WEIGHT);
        assert_eq!(ema(&[1.0, 2.0], f64::INFINITY), ema(&[1.0, 2.0], MAX_WEIGHT));
    }

    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => -1e12f64..1e12,
            1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(f64::MAX), Just(f64::MIN)],
            1 => prop_oneof![Just(1e300), Just(-1e300), Just(1.7e308), Just(-1.7e308), Just(0.0)],
        ]
    }

    proptest! {
        #[test]
        fn smoothed_values_stay_within_the_finite_values_seen(
            values in prop::collection::vec(value(), 0..300),
            weight in -0.5f64..1.5,
        ) {
            let s = ema(&values, weight);
            prop_assert_eq!(s.len(), values.len());
            let mut lo = f64::INFINITY;
            let mut hi = f64::NEG_INFINITY;
            for (v, out) in values.iter().zip(&s) {
                if MetricValue(*v).is_finite_value() {
                    lo = lo.min(*v);
                    hi = hi.max(*v);
                    prop_assert!(out.is_finite() && *out >= lo && *out <= hi, "{out} outside {lo}..{hi}");
                    prop_assert!(MetricValue(*out).is_finite_value());
                } else {
                    prop_assert!(MetricValue(*v) == MetricValue(*out));
                }
            }
        }

        #[test]
        fn non_finite_values_change_nothing_else(
            values in prop::collection::vec(-1e6f64..1e6, 1..200),
            inserts in prop::collection::vec((0usize..200, prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::MIN)]), 0..20),
            weight in 0.0f64..0.999,
        ) {
            let mut mixed = values.clone();
            for (at, v) in inserts {
                mixed.insert(at.min(mixed.len()), v);
            }
            let clean = ema(&values, weight);
            let finite: Vec<f64> = ema(&mixed, weight).into_iter().filter(|v| MetricValue(*v).is_finite_value()).collect();
            prop_assert_eq!(finite, clean);
        }

        #[test]
        fn constant_series_stay_constant(c in -1e300f64..1e300, n in 1usize..100, weight in 0.0f64..1.0) {
            prop_assert!(ema(&vec![c; n], weight).iter().all(|v| *v == c));
        }
    }
}
