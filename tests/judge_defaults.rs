//! The judge's default rule (Kayenta's: the interval must clear `0.25 × |shift|`, and the
//! effect must exceed its limit, 1.0 for the mean ratio) on samples drawn here: a clear,
//! significant regression fails by default however small it is relative to the metric's
//! level, and samples drawn alike pass at the rate the confidence level promises.

use shipdeck::analysis::judge::{Classification, Direction, JudgeConfig, MinShift, judge};

/// xorshift64*: the same seed draws the same samples on every machine.
struct Draw(u64);

impl Draw {
    fn new(seed: u64) -> Draw {
        Draw(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// Box-Muller.
    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        mean + sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn normals(&mut self, n: usize, mean: f64, sd: f64) -> Vec<f64> {
        (0..n).map(|_| self.normal(mean, sd)).collect()
    }

    fn lognormals(&mut self, n: usize, median: f64, sigma: f64) -> Vec<f64> {
        (0..n).map(|_| median * self.normal(0.0, sigma).exp()).collect()
    }
}

fn round_to(values: Vec<f64>, step: f64) -> Vec<f64> {
    values.into_iter().map(|v| (v / step).round() * step).collect()
}

fn defaults(direction: Direction) -> JudgeConfig {
    JudgeConfig {
        direction,
        ..JudgeConfig::default()
    }
}

#[track_caller]
fn assert_class(control: &[f64], experiment: &[f64], direction: Direction, want: Classification) {
    let v = judge(control, experiment, &defaults(direction));
    assert_eq!(v.classification, want, "{}\n{v:?}", v.reason);
}

#[test]
fn a_clear_shift_up_or_down_counts_by_default() {
    let mut d = Draw::new(1);
    // Latency 13% up, 30 samples a side (the case the old mean-relative band passed).
    let (c, e) = (d.normals(30, 100.0, 10.0), d.normals(30, 113.0, 10.0));
    assert_class(&c, &e, Direction::Increase, Classification::High);
    assert_class(&c, &e, Direction::Either, Classification::High);
    // Lognormal latencies 28% slower, 200 a side.
    let (c, e) = (d.lognormals(200, 50.0, 0.4), d.lognormals(200, 64.0, 0.4));
    assert_class(&c, &e, Direction::Increase, Classification::High);
    // 10 canary samples against 200 baseline samples, 20% slower.
    let (c, e) = (d.normals(200, 180.0, 8.0), d.normals(10, 216.0, 8.0));
    assert_class(&c, &e, Direction::Increase, Classification::High);
    // A metric rounded to one decimal, 21% up.
    let (c, e) = (
        round_to(d.normals(60, 4.0, 0.3), 0.1),
        round_to(d.normals(60, 4.84, 0.3), 0.1),
    );
    assert_class(&c, &e, Direction::Increase, Classification::High);
    // An error rate as a fraction, doubled.
    let (c, e) = (d.normals(60, 0.002, 0.0004), d.normals(60, 0.004, 0.0004));
    assert_class(&c, &e, Direction::Increase, Classification::High);
    // The same kinds of shift downwards: Low where a drop is bad.
    let (c, e) = (d.lognormals(200, 64.0, 0.4), d.lognormals(200, 50.0, 0.4));
    assert_class(&c, &e, Direction::Decrease, Classification::Low);
    assert_class(&c, &e, Direction::Increase, Classification::Pass);
    let (c, e) = (d.normals(200, 216.0, 8.0), d.normals(10, 180.0, 8.0));
    assert_class(&c, &e, Direction::Decrease, Classification::Low);
    // 200 canary samples against 10 baseline samples, both ways.
    let (c, e) = (d.normals(10, 180.0, 8.0), d.normals(200, 216.0, 8.0));
    assert_class(&c, &e, Direction::Increase, Classification::High);
    let (c, e) = (d.normals(10, 216.0, 8.0), d.normals(200, 180.0, 8.0));
    assert_class(&c, &e, Direction::Either, Classification::Low);
    let (c, e) = (
        round_to(d.normals(60, 4.84, 0.3), 0.1),
        round_to(d.normals(60, 4.0, 0.3), 0.1),
    );
    assert_class(&c, &e, Direction::Decrease, Classification::Low);
    // A success rate as a fraction, halved.
    let (c, e) = (d.normals(60, 0.004, 0.0004), d.normals(60, 0.002, 0.0004));
    assert_class(&c, &e, Direction::Decrease, Classification::Low);
    // Drops of 12% to 34% with direction either: Low.
    for drop in [0.12, 0.2, 0.34] {
        let (c, e) = (d.normals(40, 500.0, 30.0), d.normals(40, 500.0 * (1.0 - drop), 30.0));
        assert_class(&c, &e, Direction::Either, Classification::Low);
        assert_class(&c, &e, Direction::Decrease, Classification::Low);
        assert_class(&c, &e, Direction::Increase, Classification::Pass);
    }
}

#[test]
fn the_thirteen_percent_case_is_high_and_its_reason_names_the_rule() {
    let read = |side: &str| -> Vec<f64> {
        std::fs::read_to_string(format!("tests/judge/latency_13pct/{side}.txt"))
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect()
    };
    let (c, e) = (read("control"), read("experiment"));
    let v = judge(&c, &e, &JudgeConfig::default());
    assert_eq!(v.classification, Classification::High, "{v:?}");
    assert!(
        v.reason
            .starts_with("interval [7.1, 18.6] lies above the band ±3.175 (0.25 × |shift +12.7|)")
            && v.reason.ends_with("and effect size 1.133 exceeds 1"),
        "{}",
        v.reason
    );
    // A plan that wants shifts under 15% of the baseline's level ignored says so.
    let tolerant = JudgeConfig {
        min_shift: Some(MinShift::OfBaseline(0.15)),
        ..JudgeConfig::default()
    };
    let v = judge(&c, &e, &tolerant);
    assert_eq!(v.classification, Classification::Pass, "{v:?}");
    assert!(
        v.reason
            .contains("does not clear the band ±15.1 (min_shift 15% of the baseline mean 100.7)"),
        "{}",
        v.reason
    );
}

/// Samples drawn from one distribution: a significant shift turns up about once in 50
/// intervals at 98% confidence (either direction); at least 95% of 200 trials pass.
#[test]
fn samples_drawn_alike_pass_at_the_rate_the_confidence_promises() {
    for (name, draw) in [
        (
            "normal",
            Box::new(|d: &mut Draw| d.normals(30, 100.0, 10.0)) as Box<dyn Fn(&mut Draw) -> Vec<f64>>,
        ),
        ("lognormal", Box::new(|d: &mut Draw| d.lognormals(60, 50.0, 0.5))),
        (
            "rounded",
            Box::new(|d: &mut Draw| round_to(d.normals(24, 4.0, 0.3), 0.1)),
        ),
    ] {
        let passed = (0..200u64)
            .filter(|&seed| {
                let mut d = Draw::new(1000 + seed);
                let (c, e) = (draw(&mut d), draw(&mut d));
                judge(&c, &e, &defaults(Direction::Either)).classification == Classification::Pass
            })
            .count();
        assert!(passed >= 190, "{name}: {passed} of 200 passed");
        println!("{name}: {passed} of 200 samples drawn alike pass");
    }
}
