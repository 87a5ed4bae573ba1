//! The canary judge as a plan sets it: the interval settings and each metric's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::located::located;
use crate::analysis::judge::{Direction, EffectKind, MinShift, NanStrategy};
use crate::duration::Span;

/// The canary judge: each `every`, the canary's and the baseline's samples over the last
/// `window` of the current stage are compared metric by metric (rank-sum test), and the
/// weighted share of passing metrics scores the interval.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JudgeSettings {
    /// How often an interval is judged.
    #[serde(default = "default_judge_every", deserialize_with = "located")]
    pub every: Span,
    /// How far back one judgement's samples reach (never before the stage's weight was in place).
    #[serde(default = "default_judge_window", deserialize_with = "located")]
    pub window: Span,
    /// Samples each side needs for a metric to be judged; fewer is no data.
    #[serde(default = "default_min_samples")]
    pub min_samples: usize,
    /// A score at or above this passes.
    #[serde(default = "default_pass_score")]
    pub pass: f64,
    /// A score at or above this (and below `pass`) is marginal: hold and ask.
    #[serde(default = "default_marginal_score")]
    pub marginal: f64,
    /// What a failing interval does.
    #[serde(default)]
    pub on_fail: JudgeOnFail,
    /// Confidence level of each metric's shift interval.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Weight of each metric group in the score; equal weights when absent.
    #[serde(default)]
    pub groups: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JudgeOnFail {
    /// Hold and ask the operator to roll back.
    #[default]
    Ask,
    /// Roll back without asking.
    Rollback,
}

fn default_judge_every() -> Span {
    Span::minutes(1)
}

fn default_judge_window() -> Span {
    Span::minutes(2)
}

fn default_min_samples() -> usize {
    10
}

fn default_pass_score() -> f64 {
    95.0
}

fn default_marginal_score() -> f64 {
    75.0
}

fn default_confidence() -> f64 {
    0.98
}

impl Default for JudgeSettings {
    fn default() -> Self {
        JudgeSettings {
            every: default_judge_every(),
            window: default_judge_window(),
            min_samples: default_min_samples(),
            pass: default_pass_score(),
            marginal: default_marginal_score(),
            on_fail: JudgeOnFail::default(),
            confidence: default_confidence(),
            groups: BTreeMap::new(),
        }
    }
}

/// How the judge treats one metric. Every field has a default, so `judge: {}` is the
/// judge's defaults with the metric's own `bad` direction.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricJudge {
    /// The group the metric scores in.
    #[serde(default)]
    pub group: Option<String>,
    /// A critical metric that fails fails the whole interval.
    #[serde(default)]
    pub critical: bool,
    /// Which change is bad; the metric's `bad` when absent.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Missing and non-finite values: dropped (`remove`) or counted as 0 (`replace`).
    #[serde(default)]
    pub nan: NanStrategy,
    /// No data is an error (a failing metric) instead of no data.
    #[serde(default)]
    pub must_have_data: bool,
    /// Drop values outside the interquartile fences: `true` (factor 3) or the factor.
    #[serde(default)]
    pub outliers: Option<Outliers>,
    #[serde(default)]
    pub effect: EffectKind,
    /// High needs the effect size above this (mean ratio: 1.2 = 20% higher).
    #[serde(default)]
    pub allowed_increase: Option<f64>,
    /// Low needs the effect size below this.
    #[serde(default)]
    pub allowed_decrease: Option<f64>,
    /// How far the interval's near end must clear zero, as a share of the shift's own size
    /// (0.25 when absent).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// A minimum practical shift: `10%` of the baseline mean, or a number in the metric's
    /// unit. Shifts smaller than this never count. None when absent.
    #[serde(default)]
    pub min_shift: Option<MinShift>,
}

impl MetricJudge {
    /// The group name the score uses: the metric's own group, or `default`.
    pub fn group_name(&self) -> &str {
        self.group.as_deref().unwrap_or(DEFAULT_JUDGE_GROUP)
    }
}

/// The group of a metric that names none.
pub const DEFAULT_JUDGE_GROUP: &str = "default";

/// `outliers: true` (fence factor 3), `outliers: false`, or `outliers: 2.5`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Outliers {
    Enabled(bool),
    Factor(f64),
}

impl Outliers {
    /// The fence factor, when outliers are removed.
    pub fn factor(self) -> Option<f64> {
        match self {
            Outliers::Enabled(true) => Some(3.0),
            Outliers::Enabled(false) => None,
            Outliers::Factor(k) => Some(k),
        }
    }
}
