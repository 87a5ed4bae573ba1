//! Property tests of the canary judge's classification.

use proptest::prelude::*;
use shipdeck::analysis::judge::prepare::prepare;
use shipdeck::analysis::judge::{Classification, Direction, EffectKind, JudgeConfig, NanStrategy, judge};

fn mirrored(c: Classification) -> Classification {
    match c {
        Classification::High => Classification::Low,
        Classification::Low => Classification::High,
        other => other,
    }
}

/// Positive samples (metrics such as latency), sometimes with ties, sometimes shifted.
fn sample() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec(1.0f64..1000.0, 1..80),
        prop::collection::vec((1u32..20).prop_map(f64::from), 1..80),
    ]
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::Increase),
        Just(Direction::Decrease),
        Just(Direction::Either)
    ]
}

fn effect() -> impl Strategy<Value = EffectKind> {
    prop_oneof![Just(EffectKind::MeanRatio), Just(EffectKind::Cles)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn swapping_mirrors_high_and_low(c in sample(), e in sample(), shift in 0.0f64..600.0,
                                     dir in direction(), eff in effect()) {
        let e: Vec<f64> = e.iter().map(|v| v + shift).collect();
        let cfg = JudgeConfig { direction: dir, effect: eff, ..JudgeConfig::default() };
        let swapped = JudgeConfig { direction: dir.mirrored(), ..cfg.clone() };
        let a = judge(&c, &e, &cfg);
        let b = judge(&e, &c, &swapped);
        prop_assert_eq!(mirrored(a.classification), b.classification, "{:?}\n{:?}", a, b);
    }

    #[test]
    fn scaling_keeps_the_classification(c in sample(), e in sample(), shift in 0.0f64..600.0,
                                        k in prop_oneof![1e-7f64..1e-4, 0.01f64..0.1, 0.1f64..10.0, 10.0f64..1000.0],
                                        dir in direction(), eff in effect()) {
        let e: Vec<f64> = e.iter().map(|v| v + shift).collect();
        let cfg = JudgeConfig { direction: dir, effect: eff, ..JudgeConfig::default() };
        let a = judge(&c, &e, &cfg);
        let cs: Vec<f64> = c.iter().map(|v| v * k).collect();
        let es: Vec<f64> = e.iter().map(|v| v * k).collect();
        let b = judge(&cs, &es, &cfg);
        prop_assert_eq!(a.classification, b.classification, "k = {}\n{:?}\n{:?}", k, a, b);
    }
}

/// Any finite value, with the corners of the total order: both zeros, subnormals, extremes.
fn any_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
        prop::sample::select(vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE
        ]),
        (0u8..4).prop_map(f64::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Preparation sorts exactly as `sort_unstable_by(f64::total_cmp)` does, bit for bit (the
    /// order of -0.0 and 0.0 included): the means and quantiles see the same sequence.
    #[test]
    fn preparation_sorts_in_total_order(raw in prop::collection::vec(any_value(), 0..300)) {
        let mut sorted = raw.clone();
        sorted.sort_unstable_by(f64::total_cmp);
        let want: Vec<u64> = sorted.iter().map(|x| x.to_bits()).collect();
        let got: Vec<u64> = prepare(&raw, NanStrategy::Remove, None).values.iter().map(|x| x.to_bits()).collect();
        prop_assert_eq!(got, want);
    }
}
