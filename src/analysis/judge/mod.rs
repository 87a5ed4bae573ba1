//! The canary judge: per-metric statistical comparison of an experiment (canary) sample with
//! a control (baseline) sample collected over the same analysis interval.
//!
//! Pipeline ([`judge`]): [`prepare`] (NaN strategy, optional interquartile outlier fences) ->
//! [`ranksum`] (two-sided Wilcoxon rank-sum test, normal approximation with tie and
//! continuity correction) -> [`hodges_lehmann`] (shift estimate of experiment minus control and
//! its confidence interval, exactly as R's `wilcox.test(exact = FALSE, correct = TRUE,
//! conf.int = TRUE)`) -> [`effect`] (mean ratio or common-language effect size) ->
//! [`classify`] (High / Low / Pass against a tolerance band and the direction).
//!
//! Defined outcomes for degenerate input:
//! - a sample empty after preparation: `NoData`, or `Error` when the metric must have data;
//! - every observation of both samples equal (identical constant series): `Pass`, p = 1,
//!   estimate 0, interval [0, 0] (R stops with an error here);
//! - each sample constant but at different values: estimate and both interval ends are the
//!   exact difference, the p-value is the normal approximation, classification as usual
//!   (R stops with an error here too);
//! - identical non-constant samples: computed normally (p = 1, interval around 0): `Pass`;
//! - an invalid confidence level or a failed root search: `Error`, with the reason.
//!
//! The band the interval must clear is `tolerance × |estimate|` (see [`band`]): relative to
//! the shift itself, so scaling both samples leaves the classification unchanged, and
//! symmetric in the two samples, so swapping them mirrors High and Low. A plan may widen it
//! to a minimum practical shift (`min_shift`).

pub mod band;
pub mod check;
pub mod classify;
pub mod effect;
pub mod hodges_lehmann;
pub mod prepare;
pub mod ranksum;
pub mod score;
mod shift_evaluator;

pub use band::{Band, BandSource, MinShift};
pub use classify::{Classification, Direction};
pub use effect::EffectKind;
pub use prepare::{DEFAULT_OUTLIER_FACTOR, NanStrategy};

use crate::format::fmt_precise;
use classify::Evidence;
use hodges_lehmann::{R_TOL_ROOT, Shift};

/// Default confidence level of the shift interval.
pub const DEFAULT_CONFIDENCE: f64 = 0.98;
/// Default band, as a share of the shift's own size (see [`band`]).
pub const DEFAULT_TOLERANCE: f64 = 0.25;

/// How one metric is judged.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeConfig {
    pub direction: Direction,
    pub nan: NanStrategy,
    /// An empty sample is an `Error` instead of `NoData`.
    pub must_have_data: bool,
    /// Drop values outside `[Q1 - k IQR, Q3 + k IQR]` of each sample; `None` keeps all.
    /// [`DEFAULT_OUTLIER_FACTOR`] (3) is the usual `k`.
    pub outlier_factor: Option<f64>,
    pub effect: EffectKind,
    /// High needs the effect size above this; `None` is the effect's neutral value
    /// (mean ratio 1, CLES 0.5).
    pub allowed_increase: Option<f64>,
    /// Low needs the effect size below this; `None` is the neutral value.
    pub allowed_decrease: Option<f64>,
    /// The band a shift's interval must clear, as a share of the shift's own size (>= 0).
    pub tolerance: f64,
    /// A minimum practical shift the band is never narrower than; none by default.
    pub min_shift: Option<MinShift>,
    /// Confidence level of the interval, strictly between 0 and 1.
    pub confidence: f64,
    /// Root-finding tolerance in data units (R's `tol.root`, 1e-4); the search tightens it
    /// for small data (see [`root_tolerance`]).
    pub root_tolerance: f64,
}

impl Default for JudgeConfig {
    fn default() -> Self {
        JudgeConfig {
            direction: Direction::default(),
            nan: NanStrategy::default(),
            must_have_data: false,
            outlier_factor: None,
            effect: EffectKind::default(),
            allowed_increase: None,
            allowed_decrease: None,
            tolerance: DEFAULT_TOLERANCE,
            min_shift: None,
            confidence: DEFAULT_CONFIDENCE,
            root_tolerance: R_TOL_ROOT,
        }
    }
}

/// Root-finding tolerances at most this share of the shift range searched.
const RELATIVE_ROOT_TOLERANCE: f64 = 1e-6;

/// R's `tol.root` is in data units: 1e-4 is nothing for latencies in ms, but for an error
/// rate given as a fraction (0.0005) it is as wide as the tolerance band, and the verdict
/// would depend on the unit. The search is tightened to a millionth of the shift range it
/// covers; where that is wider than `tol` (ranges above 100 units), R's own tolerance stands,
/// and R's answers are matched to it either way.
fn root_tolerance(x: &[f64], y: &[f64], tol: f64) -> f64 {
    let range = (x[x.len() - 1] - y[0]) - (x[0] - y[y.len() - 1]);
    if range.is_finite() && range > 0.0 {
        tol.min(range * RELATIVE_ROOT_TOLERANCE)
    } else {
        tol
    }
}

/// What was judged on one side.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SampleSummary {
    /// Values used (after NaN strategy and outlier removal).
    pub n: usize,
    pub mean: Option<f64>,
    pub dropped_nan: usize,
    pub dropped_outliers: usize,
}

/// The judgement of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub classification: Classification,
    /// Two-sided p-value of the rank-sum test.
    pub p_value: Option<f64>,
    /// Hodges-Lehmann shift, experiment minus control, in data units.
    pub estimate: Option<f64>,
    /// Confidence interval of the shift at `JudgeConfig::confidence`.
    pub ci: Option<(f64, f64)>,
    pub effect_size: Option<f64>,
    /// The band the interval had to clear, once the shift is known.
    pub band: Option<Band>,
    pub control: SampleSummary,
    pub experiment: SampleSummary,
    pub reason: String,
}

impl Verdict {
    /// The `shipdeck judge --json` object. Missing or non-finite numbers are `null`.
    pub fn to_json(&self) -> serde_json::Value {
        let num = |v: Option<f64>| {
            v.filter(|x| x.is_finite())
                .map_or(serde_json::Value::Null, |x| x.into())
        };
        let side = |s: &SampleSummary| serde_json::json!({ "n": s.n, "mean": num(s.mean) });
        serde_json::json!({
            "classification": self.classification.as_str(),
            "p_value": num(self.p_value),
            "estimate": num(self.estimate),
            "ci": self.ci.map_or(serde_json::Value::Null, |(l, h)| serde_json::json!([num(Some(l)), num(Some(h))])),
            "effect_size": num(self.effect_size),
            "band": num(self.band.map(|b| b.width)),
            "band_from": self.band.map_or(serde_json::Value::Null, |b| b.origin().into()),
            "control": side(&self.control),
            "experiment": side(&self.experiment),
            "reason": self.reason,
        })
    }
}

fn summary(p: &prepare::Prepared) -> SampleSummary {
    SampleSummary {
        n: p.values.len(),
        mean: effect::mean(&p.values),
        dropped_nan: p.dropped_nan,
        dropped_outliers: p.dropped_outliers,
    }
}

/// Judges one metric: `control` is the baseline sample, `experiment` the canary sample.
pub fn judge(control: &[f64], experiment: &[f64], cfg: &JudgeConfig) -> Verdict {
    judge_keeping_samples(control, experiment, cfg).verdict
}

/// A verdict with the samples it was made on, as prepared (NaN strategy, outlier fences),
/// sorted: what an analysis view draws, without preparing them again.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub verdict: Verdict,
    pub control: Vec<f64>,
    pub experiment: Vec<f64>,
}

/// [`judge`], keeping the prepared samples.
pub fn judge_keeping_samples(control: &[f64], experiment: &[f64], cfg: &JudgeConfig) -> Judged {
    let c = prepare::prepare(control, cfg.nan, cfg.outlier_factor);
    let e = prepare::prepare(experiment, cfg.nan, cfg.outlier_factor);
    let verdict = decide(&c, &e, cfg);
    Judged {
        verdict,
        control: c.values,
        experiment: e.values,
    }
}

fn decide(c: &prepare::Prepared, e: &prepare::Prepared, cfg: &JudgeConfig) -> Verdict {
    let mut v = Verdict {
        classification: Classification::Error,
        p_value: None,
        estimate: None,
        ci: None,
        effect_size: None,
        band: None,
        control: summary(c),
        experiment: summary(e),
        reason: String::new(),
    };
    // Settings first: a bad outlier factor would otherwise empty the samples, and read as
    // no data.
    if let Some(problem) = cfg.problem() {
        v.reason = problem;
        return v;
    }
    if c.values.is_empty() || e.values.is_empty() {
        let which = match (c.values.is_empty(), e.values.is_empty()) {
            (true, true) => "control and experiment have",
            (true, false) => "control has",
            _ => "experiment has",
        };
        let dropped = c.dropped_nan + e.dropped_nan + c.dropped_outliers + e.dropped_outliers;
        let extra = if dropped > 0 {
            format!(" ({dropped} non-finite or outlying values dropped)")
        } else {
            String::new()
        };
        v.classification = if cfg.must_have_data {
            Classification::Error
        } else {
            Classification::NoData
        };
        v.reason = format!("{which} no data{extra}");
        if cfg.must_have_data {
            v.reason.push_str("; the metric must have data");
        }
        return v;
    }
    if let Some(problem) = check::samples_problem(&c.values, &e.values) {
        v.reason = problem;
        return v;
    }
    let (x, y) = (&e.values, &c.values);
    let (me, mc) = (v.experiment.mean.unwrap_or(0.0), v.control.mean.unwrap_or(0.0));
    let Some(rs) = ranksum::rank_sum(x, y) else {
        v.reason = "a sample is empty after preparation".into();
        return v;
    };
    let effect_size = match cfg.effect {
        EffectKind::MeanRatio => effect::mean_ratio(me, mc),
        EffectKind::Cles => effect::cles(rs.w, x.len(), y.len()),
    };
    v.effect_size = Some(effect_size);

    let x_const = x[0] == x[x.len() - 1];
    let y_const = y[0] == y[y.len() - 1];
    let shift = if x_const && y_const && x[0] == y[0] {
        v.p_value = Some(1.0);
        v.estimate = Some(0.0);
        v.ci = Some((0.0, 0.0));
        v.classification = Classification::Pass;
        v.reason = format!("all {} observations equal {}", x.len() + y.len(), fmt_precise(x[0]));
        return v;
    } else if x_const && y_const {
        let d = x[0] - y[0];
        Shift {
            estimate: d,
            ci_low: d,
            ci_high: d,
        }
    } else {
        match hodges_lehmann::shift(x, y, cfg.confidence, root_tolerance(x, y, cfg.root_tolerance)) {
            Ok(s) => s,
            Err(err) => {
                v.p_value = Some(rs.p_value).filter(|p| !p.is_nan());
                v.reason = format!("cannot estimate the shift: {err}");
                return v;
            }
        }
    };
    v.p_value = Some(rs.p_value);
    v.estimate = Some(shift.estimate);
    v.ci = Some((shift.ci_low, shift.ci_high));
    if effect_size.is_nan() || rs.p_value.is_nan() {
        v.reason = "effect size or p-value is not a number".to_string();
        return v;
    }
    let neutral = cfg.effect.neutral();
    let band = Band::new(cfg.tolerance, shift.estimate, cfg.min_shift, mc);
    v.band = Some(band);
    let ev = Evidence {
        ci_low: shift.ci_low,
        ci_high: shift.ci_high,
        band,
        effect_size,
        allowed_increase: cfg.allowed_increase.unwrap_or(neutral),
        allowed_decrease: cfg.allowed_decrease.unwrap_or(neutral),
    };
    let (class, reason) = classify::classify(&ev, cfg.direction);
    v.classification = class;
    v.reason = reason;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> JudgeConfig {
        JudgeConfig::default()
    }

    fn series(start: f64, step: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| start + step * ((i * 7919) % n) as f64).collect()
    }

    #[test]
    fn a_limit_the_effect_can_never_pass_is_an_error() {
        let bad = JudgeConfig {
            effect: EffectKind::Cles,
            allowed_increase: Some(1.2),
            ..cfg()
        };
        let v = judge(&series(100.0, 1.0, 30), &series(300.0, 1.0, 30), &bad);
        assert_eq!(v.classification, Classification::Error);
        assert!(
            v.reason.starts_with("allowed_increase 1.2 must be at least 0.5"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn clear_regression_is_high() {
        let control = series(100.0, 1.0, 50);
        let experiment = series(200.0, 1.0, 50);
        let v = judge(&control, &experiment, &cfg());
        assert_eq!(v.classification, Classification::High, "{v:?}");
        let (lo, hi) = v.ci.unwrap();
        assert!(
            lo <= 100.0 && 100.0 <= hi && (v.estimate.unwrap() - 100.0).abs() < 1e-3,
            "{v:?}"
        );
        assert!(v.effect_size.unwrap() > 1.5);
    }

    #[test]
    fn clear_improvement_is_low_unless_only_increase_is_bad() {
        let control = series(200.0, 1.0, 50);
        let experiment = series(100.0, 1.0, 50);
        assert_eq!(judge(&control, &experiment, &cfg()).classification, Classification::Low);
        let inc = JudgeConfig {
            direction: Direction::Increase,
            ..cfg()
        };
        assert_eq!(judge(&control, &experiment, &inc).classification, Classification::Pass);
    }

    #[test]
    fn same_distribution_passes() {
        let control = series(100.0, 1.0, 60);
        let experiment = series(100.5, 1.0, 60);
        assert_eq!(
            judge(&control, &experiment, &cfg()).classification,
            Classification::Pass
        );
    }

    #[test]
    fn identical_samples_pass_with_p_one() {
        let s = series(10.0, 0.5, 30);
        let v = judge(&s, &s, &cfg());
        assert_eq!(v.classification, Classification::Pass);
        assert_eq!(v.p_value, Some(1.0));
        let (lo, hi) = v.ci.unwrap();
        assert!(lo < 0.0 && hi > 0.0, "{v:?}");
    }

    #[test]
    fn identical_constant_samples_pass() {
        let v = judge(&[3.0; 20], &[3.0; 20], &cfg());
        assert_eq!(v.classification, Classification::Pass);
        assert_eq!((v.p_value, v.estimate, v.ci), (Some(1.0), Some(0.0), Some((0.0, 0.0))));
        assert!(v.reason.contains("all 40 observations equal 3"), "{}", v.reason);
    }

    #[test]
    fn different_constant_samples_use_the_exact_difference() {
        let v = judge(&[5.0; 20], &[7.0; 20], &cfg());
        assert_eq!(v.classification, Classification::High, "{v:?}");
        assert_eq!((v.estimate, v.ci), (Some(2.0), Some((2.0, 2.0))));
        assert!(v.p_value.unwrap() < 1e-6);
        // A 2% shift is certain here, so by default it counts; a plan that tolerates small
        // shifts says so with an effect limit or a minimum shift.
        let v = judge(&[5.0; 20], &[5.1; 20], &cfg());
        assert_eq!(v.classification, Classification::High, "{v:?}");
        let tolerant = JudgeConfig {
            allowed_increase: Some(1.05),
            ..cfg()
        };
        assert_eq!(
            judge(&[5.0; 20], &[5.1; 20], &tolerant).classification,
            Classification::Pass
        );
        let min_shift = JudgeConfig {
            min_shift: Some(MinShift::OfBaseline(0.05)),
            ..cfg()
        };
        let v = judge(&[5.0; 20], &[5.1; 20], &min_shift);
        assert_eq!(v.classification, Classification::Pass, "inside the 5% minimum: {v:?}");
        assert!(v.reason.contains("min_shift 5% of the baseline mean 5"), "{}", v.reason);
    }

    #[test]
    fn empty_samples_are_no_data_or_error() {
        let v = judge(&[], &[1.0], &cfg());
        assert_eq!(v.classification, Classification::NoData);
        assert_eq!(v.reason, "control has no data");
        let v = judge(
            &[1.0, f64::NAN],
            &[f64::NAN],
            &JudgeConfig {
                must_have_data: true,
                ..cfg()
            },
        );
        assert_eq!(v.classification, Classification::Error);
        assert!(
            v.reason.contains("experiment has no data") && v.reason.contains("must have data"),
            "{}",
            v.reason
        );
    }

    #[test]
    fn nan_replace_counts_zeros() {
        let control = vec![1.0; 10];
        let experiment = vec![f64::NAN; 10];
        let v = judge(
            &control,
            &experiment,
            &JudgeConfig {
                nan: NanStrategy::Replace,
                ..cfg()
            },
        );
        assert_eq!(v.experiment.n, 10);
        assert_eq!(v.classification, Classification::Low, "{v:?}");
    }

    #[test]
    fn bad_confidence_is_an_error() {
        let v = judge(
            &[1.0, 2.0],
            &[3.0, 4.0],
            &JudgeConfig {
                confidence: 1.5,
                ..cfg()
            },
        );
        assert_eq!(v.classification, Classification::Error);
        assert!(v.reason.contains("confidence"));
    }

    #[test]
    fn cles_effect() {
        let control = series(100.0, 1.0, 50);
        let experiment = series(200.0, 1.0, 50);
        let v = judge(
            &control,
            &experiment,
            &JudgeConfig {
                effect: EffectKind::Cles,
                ..cfg()
            },
        );
        assert_eq!(v.effect_size, Some(1.0));
        assert_eq!(v.classification, Classification::High);
    }

    #[test]
    fn outliers_removed_when_asked() {
        let mut control = series(100.0, 1.0, 50);
        control.push(1e9);
        let v = judge(
            &control,
            &series(100.0, 1.0, 50),
            &JudgeConfig {
                outlier_factor: Some(DEFAULT_OUTLIER_FACTOR),
                ..cfg()
            },
        );
        assert_eq!(v.control.dropped_outliers, 1);
        assert_eq!(v.control.n, 50);
    }

    #[test]
    fn json_shape() {
        let v = judge(&[1.0, 2.0, 3.0], &[1.5, 2.5, 3.5], &cfg());
        let j = v.to_json();
        for key in [
            "classification",
            "p_value",
            "estimate",
            "ci",
            "effect_size",
            "control",
            "experiment",
            "reason",
        ] {
            assert!(j.get(key).is_some(), "{key} missing in {j}");
        }
        assert_eq!(j["control"]["n"], 3);
        assert_eq!(j["ci"].as_array().unwrap().len(), 2);
    }
}
