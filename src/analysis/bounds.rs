//! Checking one canary value (and its baseline) against a gate's or trigger's bounds.

use crate::analysis::judge::Direction;
use crate::duration::Span;
use crate::format::{fmt_num, with_unit};

/// Bounds on a metric. Absolute bounds compare the canary value; ratio bounds compare the
/// canary with the baseline over the same window (`canary <= baseline * max_ratio`); a
/// `sigma` band compares it with the baseline's own recent history (mean ± sigma × sd, on
/// the side the metric's `bad` direction names).
/// (Gates and triggers spell these fields out: serde's flatten cannot reject unknown keys.)
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bounds {
    pub max: Option<f64>,
    pub min: Option<f64>,
    pub max_ratio: Option<f64>,
    pub min_ratio: Option<f64>,
    pub sigma: Option<f64>,
}

impl Bounds {
    /// The bounds as the operator reads them: `max 0.5%, max base×1.5`.
    pub fn describe(&self, unit: &str) -> String {
        let mut parts = Vec::with_capacity(5);
        if let Some(v) = self.max {
            parts.push(format!("max {}", with_unit(&v.to_string(), unit)));
        }
        if let Some(v) = self.min {
            parts.push(format!("min {}", with_unit(&v.to_string(), unit)));
        }
        if let Some(v) = self.max_ratio {
            parts.push(format!("max base×{v}"));
        }
        if let Some(v) = self.min_ratio {
            parts.push(format!("min base×{v}"));
        }
        if let Some(v) = self.sigma {
            parts.push(format!("{v}σ band"));
        }
        parts.join(", ")
    }

    pub fn is_empty(&self) -> bool {
        self.max.is_none()
            && self.min.is_none()
            && self.max_ratio.is_none()
            && self.min_ratio.is_none()
            && self.sigma.is_none()
    }
}

/// A sigma band needs at least this many finite baseline points in its history.
pub const MIN_HISTORY_POINTS: usize = 3;

/// Why a value is outside its bounds, in words for the operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Within,
    Breached(String),
    /// A ratio bound needs a baseline value, or a sigma band a baseline history, and there
    /// is none: why, in words.
    NeedsBaseline(String),
}

/// What the bounds compare a canary value with: the baseline's value in the same sample
/// (ratios) and the mean and sample standard deviation of its finite values over the
/// history window (sigma bands).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineStats {
    /// The baseline's value in this sample, when it is a finite number.
    pub latest: Option<f64>,
    /// Finite baseline values in the history window.
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1); 0 below two points.
    pub sd: f64,
    /// The history window, for messages.
    pub history: Span,
}

impl BaselineStats {
    /// Stats over `history_values` (non-finite values are skipped), one pass (Welford).
    pub fn new(latest: Option<f64>, history_values: impl IntoIterator<Item = f64>, history: Span) -> BaselineStats {
        let (mut n, mut mean, mut m2) = (0usize, 0.0f64, 0.0f64);
        for x in history_values.into_iter().filter(|x| x.is_finite()) {
            n += 1;
            let delta = x - mean;
            mean += delta / n as f64;
            m2 += delta * (x - mean);
        }
        let sd = if n >= 2 {
            (m2 / (n - 1) as f64).max(0.0).sqrt()
        } else {
            0.0
        };
        BaselineStats {
            latest: latest.filter(|v| v.is_finite()),
            n,
            mean,
            sd,
            history,
        }
    }

    /// Only the latest value: no history (enough for absolute and ratio bounds).
    pub fn latest_only(latest: Option<f64>) -> BaselineStats {
        BaselineStats::new(latest, [], Span::ZERO)
    }
}

/// Checks `canary` against every bound it can judge. A breach anywhere wins; otherwise a
/// bound that lacks its baseline makes the whole check unjudgeable: missing data never
/// helps a canary. `bad` names the side of a sigma band that counts.
pub fn check(bounds: &Bounds, bad: Direction, canary: f64, baseline: &BaselineStats) -> Outcome {
    if let Some(max) = bounds.max
        && canary > max
    {
        return Outcome::Breached(format!("{} > max {}", fmt_num(canary), fmt_num(max)));
    }
    if let Some(min) = bounds.min
        && canary < min
    {
        return Outcome::Breached(format!("{} < min {}", fmt_num(canary), fmt_num(min)));
    }
    let mut missing = Vec::new();
    if bounds.max_ratio.is_some() || bounds.min_ratio.is_some() {
        match baseline.latest {
            None => missing.push("baseline has no data".to_string()),
            Some(base) => {
                if let Some(r) = bounds.max_ratio
                    && canary > base * r
                {
                    return Outcome::Breached(format!(
                        "{} > baseline {} × {}",
                        fmt_num(canary),
                        fmt_num(base),
                        fmt_num(r)
                    ));
                }
                if let Some(r) = bounds.min_ratio
                    && canary < base * r
                {
                    return Outcome::Breached(format!(
                        "{} < baseline {} × {}",
                        fmt_num(canary),
                        fmt_num(base),
                        fmt_num(r)
                    ));
                }
            }
        }
    }
    if let Some(k) = bounds.sigma {
        if baseline.n < MIN_HISTORY_POINTS {
            let points = if baseline.n == 1 { "point" } else { "points" };
            missing.push(format!(
                "baseline has {} {points} in its {} history, needs {MIN_HISTORY_POINTS}",
                baseline.n, baseline.history
            ));
        } else if let Some(why) = sigma_breach(k, bad, canary, baseline) {
            return Outcome::Breached(why);
        }
    }
    if missing.is_empty() {
        Outcome::Within
    } else {
        Outcome::NeedsBaseline(missing.join("; "))
    }
}

/// `canary` outside `mean ± k·sd` on a side `bad` counts, in words; None inside the band.
fn sigma_breach(k: f64, bad: Direction, canary: f64, b: &BaselineStats) -> Option<String> {
    let (upper, lower) = (b.mean + k * b.sd, b.mean - k * b.sd);
    let above = canary > upper && matches!(bad, Direction::Increase | Direction::Either);
    let below = canary < lower && matches!(bad, Direction::Decrease | Direction::Either);
    if !above && !below {
        return None;
    }
    let side = match bad {
        Direction::Either => format!("outside baseline {} ±", fmt_num(b.mean)),
        _ if above => format!("> baseline {} +", fmt_num(b.mean)),
        _ => format!("< baseline {} -", fmt_num(b.mean)),
    };
    let sd = if b.sd == 0.0 {
        "σ = 0".to_string()
    } else {
        format!("σ {}", fmt_num(b.sd))
    };
    Some(format!("{} {side} {k}σ ({sd}, {} pts)", fmt_num(canary), b.n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(max: Option<f64>, max_ratio: Option<f64>) -> Bounds {
        Bounds {
            max,
            max_ratio,
            ..Bounds::default()
        }
    }

    fn latest(v: Option<f64>) -> BaselineStats {
        BaselineStats::latest_only(v)
    }

    #[test]
    fn absolute_and_ratio_bounds() {
        let up = Direction::Increase;
        assert_eq!(check(&b(Some(1.0), None), up, 0.5, &latest(None)), Outcome::Within);
        assert!(matches!(
            check(&b(Some(1.0), None), up, 1.5, &latest(None)),
            Outcome::Breached(_)
        ));
        assert_eq!(
            check(&b(None, Some(1.1)), up, 1.0, &latest(None)),
            Outcome::NeedsBaseline("baseline has no data".into())
        );
        assert_eq!(
            check(&b(None, Some(1.1)), up, 1.05, &latest(Some(1.0))),
            Outcome::Within
        );
        let Outcome::Breached(why) = check(&b(None, Some(1.1)), up, 1.2, &latest(Some(1.0))) else {
            panic!()
        };
        assert_eq!(why, "1.20 > baseline 1.00 × 1.10");
    }

    #[test]
    fn min_bounds() {
        let bounds = Bounds {
            min: Some(99.0),
            min_ratio: Some(0.9),
            ..Bounds::default()
        };
        let up = Direction::Increase;
        assert!(matches!(
            check(&bounds, up, 98.0, &latest(Some(99.5))),
            Outcome::Breached(_)
        ));
        assert_eq!(check(&bounds, up, 99.5, &latest(Some(99.5))), Outcome::Within);
    }

    fn sigma(k: f64) -> Bounds {
        Bounds {
            sigma: Some(k),
            ..Bounds::default()
        }
    }

    /// 300 ± 10 alternating: mean 300, sample sd 10 * sqrt(n / (n - 1)).
    fn noisy(n: usize) -> BaselineStats {
        let values = (0..n).map(|i| if i % 2 == 0 { 290.0 } else { 310.0 });
        BaselineStats::new(Some(300.0), values, Span::minutes(10))
    }

    #[test]
    fn stats_are_the_mean_and_the_sample_standard_deviation_of_finite_values() {
        let s = BaselineStats::new(
            Some(3.0),
            [2.0, 4.0, f64::NAN, 4.0, 4.0, f64::INFINITY, 5.0, 5.0, 7.0, 9.0],
            Span::ZERO,
        );
        assert_eq!(s.n, 8);
        assert!((s.mean - 5.0).abs() < 1e-12);
        // Population sd is 2; the sample sd is sqrt(32 / 7).
        assert!((s.sd - (32.0f64 / 7.0).sqrt()).abs() < 1e-12, "{}", s.sd);
        assert_eq!(BaselineStats::new(None, [1.0], Span::ZERO).sd, 0.0);
        assert_eq!(BaselineStats::new(Some(f64::NAN), [], Span::ZERO).latest, None);
    }

    #[test]
    fn sigma_band_on_an_increase_metric_counts_only_values_above() {
        let base = noisy(120);
        let sd = base.sd;
        assert!((sd - 10.0 * (120.0f64 / 119.0).sqrt()).abs() < 1e-9);
        let up = Direction::Increase;
        assert_eq!(check(&sigma(3.0), up, 300.0 + 2.9 * sd, &base), Outcome::Within);
        assert_eq!(
            check(&sigma(3.0), up, 300.0 + 3.0 * sd, &base),
            Outcome::Within,
            "the edge is inside"
        );
        assert_eq!(
            check(&sigma(3.0), up, 100.0, &base),
            Outcome::Within,
            "lower is not bad"
        );
        let Outcome::Breached(why) = check(&sigma(3.0), up, 412.0, &base) else {
            panic!()
        };
        assert_eq!(why, "412 > baseline 300 + 3σ (σ 10.0, 120 pts)");
        // 2σ is narrower: 325 breaches it but not 3σ.
        assert!(matches!(check(&sigma(2.0), up, 325.0, &base), Outcome::Breached(w) if w.contains("+ 2σ")));
        assert_eq!(check(&sigma(3.0), up, 325.0, &base), Outcome::Within);
    }

    #[test]
    fn sigma_band_on_a_decrease_metric_counts_only_values_below() {
        let base = noisy(120);
        let down = Direction::Decrease;
        assert_eq!(
            check(&sigma(3.0), down, 500.0, &base),
            Outcome::Within,
            "higher is not bad"
        );
        assert_eq!(check(&sigma(3.0), down, 280.0, &base), Outcome::Within);
        let Outcome::Breached(why) = check(&sigma(3.0), down, 250.0, &base) else {
            panic!()
        };
        assert_eq!(why, "250 < baseline 300 - 3σ (σ 10.0, 120 pts)");
    }

    #[test]
    fn sigma_band_on_an_either_metric_counts_both_sides() {
        let base = noisy(120);
        let either = Direction::Either;
        assert_eq!(check(&sigma(3.0), either, 320.0, &base), Outcome::Within);
        assert_eq!(check(&sigma(3.0), either, 280.0, &base), Outcome::Within);
        let Outcome::Breached(high) = check(&sigma(3.0), either, 400.0, &base) else {
            panic!()
        };
        assert_eq!(high, "400 outside baseline 300 ± 3σ (σ 10.0, 120 pts)");
        assert!(
            matches!(check(&sigma(3.0), either, 200.0, &base), Outcome::Breached(w) if w.starts_with("200 outside"))
        );
    }

    #[test]
    fn a_constant_baseline_has_a_zero_width_band_and_says_so() {
        let base = BaselineStats::new(Some(0.1), [0.1; 50], Span::minutes(10));
        assert_eq!(base.sd, 0.0);
        let up = Direction::Increase;
        assert_eq!(
            check(&sigma(3.0), up, 0.1, &base),
            Outcome::Within,
            "on the mean is inside"
        );
        assert_eq!(check(&sigma(3.0), up, 0.05, &base), Outcome::Within);
        let Outcome::Breached(why) = check(&sigma(3.0), up, 0.2, &base) else {
            panic!()
        };
        assert_eq!(why, "0.200 > baseline 0.100 + 3σ (σ = 0, 50 pts)");
        let Outcome::Breached(why) = check(&sigma(3.0), Direction::Either, 0.2, &base) else {
            panic!()
        };
        assert_eq!(why, "0.200 outside baseline 0.100 ± 3σ (σ = 0, 50 pts)");
    }

    #[test]
    fn too_few_history_points_cannot_be_judged_whatever_the_value() {
        let two = BaselineStats::new(Some(300.0), [290.0, f64::NAN, 310.0], Span::minutes(10));
        assert_eq!(two.n, 2);
        let want = Outcome::NeedsBaseline("baseline has 2 points in its 10m history, needs 3".into());
        assert_eq!(check(&sigma(3.0), Direction::Increase, 300.0, &two), want);
        assert_eq!(
            check(&sigma(3.0), Direction::Increase, 1e9, &two),
            want,
            "never a breach from no history"
        );
        // An absolute bound still judges alongside it.
        let both = Bounds {
            max: Some(500.0),
            ..sigma(3.0)
        };
        assert!(matches!(check(&both, Direction::Increase, 600.0, &two), Outcome::Breached(w) if w == "600 > max 500"));
        assert_eq!(check(&both, Direction::Increase, 400.0, &two), want);
        // Three points are enough.
        let three = BaselineStats::new(Some(300.0), [290.0, 300.0, 310.0], Span::minutes(10));
        assert_eq!(check(&sigma(3.0), Direction::Increase, 300.0, &three), Outcome::Within);
    }

    #[test]
    fn a_sigma_breach_counts_even_when_the_ratio_lacks_its_baseline_value() {
        let history = BaselineStats::new(None, [290.0, 300.0, 310.0, 300.0], Span::minutes(10));
        let bounds = Bounds {
            max_ratio: Some(1.2),
            ..sigma(3.0)
        };
        assert!(
            matches!(check(&bounds, Direction::Increase, 500.0, &history), Outcome::Breached(w) if w.contains("3σ"))
        );
        assert_eq!(
            check(&bounds, Direction::Increase, 300.0, &history),
            Outcome::NeedsBaseline("baseline has no data".into())
        );
    }

    #[test]
    fn formats_numbers_compactly() {
        assert_eq!(fmt_num(0.00042), "4.2e-4");
        assert_eq!(fmt_num(0.25), "0.250");
        assert_eq!(fmt_num(182.4), "182");
        assert_eq!(fmt_num(12.34), "12.3");
    }
}
