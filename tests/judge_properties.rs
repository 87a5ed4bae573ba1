//! Property tests of the canary judge's classification.

use proptest::prelude::*;
use shipdeck::analysis::judge::{Classification, Direction, EffectKind, JudgeConfig, judge};

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
                                        k in prop_oneof![0.01f64..0.1, 0.1f64..10.0, 10.0f64..1000.0],
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

/// `cargo test --release --test judge_properties -- --ignored --nocapture`
#[test]
#[ignore = "timing, run in release"]
fn time_per_metric_600_600() {
    let mut state = 0x9e3779b97f4a7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let control: Vec<f64> = (0..600).map(|_| 200.0 + 40.0 * next()).collect();
    let experiment: Vec<f64> = (0..600).map(|_| 205.0 + 40.0 * next()).collect();
    let cfg = JudgeConfig::default();
    let runs = 2000;
    let start = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..runs {
        n += judge(std::hint::black_box(&control), std::hint::black_box(&experiment), &cfg)
            .control
            .n;
    }
    let per = start.elapsed() / runs;
    eprintln!("judge 600/600: {per:?} per metric ({n})");
}
