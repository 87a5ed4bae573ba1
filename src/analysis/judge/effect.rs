//! Effect size of the experiment (canary) relative to the control (baseline).

/// Which effect size gates High/Low (the interval alone says "significant", the effect size
/// says "large enough to care").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EffectKind {
    /// Mean of the experiment divided by mean of the control (default). Meant for
    /// non-negative metrics (latency, error rate, CPU); neutral value 1.
    #[default]
    MeanRatio,
    /// Common-language effect size: probability that a random experiment value exceeds a
    /// random control value, ties counting one half (`W / (n_x n_y)`); neutral value 0.5.
    Cles,
}

impl EffectKind {
    /// The value meaning "no effect": the default allowed increase and decrease.
    pub fn neutral(self) -> f64 {
        match self {
            EffectKind::MeanRatio => 1.0,
            EffectKind::Cles => 0.5,
        }
    }

    /// Why `limit` cannot be this effect's allowed increase (`increase`) or decrease, if it
    /// cannot. A limit on the wrong side of neutral, or one the effect can never pass (a
    /// CLES above 1, a ratio under 0), would leave the metric unable to fail that way.
    pub fn limit_problem(self, increase: bool, limit: f64) -> Option<String> {
        let (ok, rule) = match (self, increase) {
            (EffectKind::MeanRatio, true) => (
                limit >= 1.0,
                "1 or more for the mean ratio (1.2 = canary mean 20% above baseline)",
            ),
            (EffectKind::MeanRatio, false) => (
                limit > 0.0 && limit <= 1.0,
                "above 0 and at most 1 for the mean ratio (0.8 = canary mean 20% below baseline)",
            ),
            (EffectKind::Cles, true) => (
                (0.5..1.0).contains(&limit),
                "at least 0.5 and under 1 for cles, which runs from 0 to 1 with 0.5 for no change",
            ),
            (EffectKind::Cles, false) => (
                limit > 0.0 && limit <= 0.5,
                "above 0 and at most 0.5 for cles, which runs from 0 to 1 with 0.5 for no change",
            ),
        };
        let field = if increase {
            "allowed_increase"
        } else {
            "allowed_decrease"
        };
        (!(ok && limit.is_finite())).then(|| format!("{field} {limit} must be {rule}"))
    }
}

/// Arithmetic mean; `None` for an empty sample.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        None
    } else {
        Some(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// `experiment_mean / control_mean`; a zero control mean gives 1 when the experiment mean is
/// zero too and ±infinity otherwise.
pub fn mean_ratio(experiment_mean: f64, control_mean: f64) -> f64 {
    if control_mean == 0.0 {
        if experiment_mean == 0.0 {
            1.0
        } else {
            f64::INFINITY.copysign(experiment_mean)
        }
    } else {
        experiment_mean / control_mean
    }
}

/// Common-language effect size from the rank-sum statistic `W` of the experiment.
pub fn cles(w: f64, n_experiment: usize, n_control: usize) -> f64 {
    w / (n_experiment as f64 * n_control as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_must_be_ones_the_effect_can_pass() {
        use EffectKind::*;
        for (kind, increase, limit) in [
            (MeanRatio, true, 1.2),
            (MeanRatio, false, 0.8),
            (Cles, true, 0.7),
            (Cles, false, 0.3),
        ] {
            assert_eq!(kind.limit_problem(increase, limit), None, "{kind:?} {increase} {limit}");
        }
        assert_eq!(
            Cles.limit_problem(true, 1.2).as_deref(),
            Some(
                "allowed_increase 1.2 must be at least 0.5 and under 1 for cles, which runs from 0 to 1 with 0.5 for no change"
            )
        );
        for (kind, increase, limit) in [
            (MeanRatio, true, 0.9),
            (MeanRatio, false, 0.0),
            (MeanRatio, false, 1.5),
            (Cles, false, 0.6),
            (Cles, true, 1.0),
            (MeanRatio, true, f64::NAN),
            (MeanRatio, true, f64::INFINITY),
        ] {
            assert!(
                kind.limit_problem(increase, limit).is_some(),
                "{kind:?} {increase} {limit}"
            );
        }
    }

    #[test]
    fn ratio_cases() {
        assert_eq!(mean_ratio(2.0, 1.0), 2.0);
        assert_eq!(mean_ratio(0.0, 0.0), 1.0);
        assert_eq!(mean_ratio(0.5, 0.0), f64::INFINITY);
    }

    #[test]
    fn cles_is_u_over_pairs() {
        assert_eq!(cles(6.0, 3, 4), 0.5);
        assert_eq!(cles(12.0, 3, 4), 1.0);
    }

    #[test]
    fn mean_of_empty_is_none() {
        assert_eq!(mean(&[]), None);
        assert_eq!(mean(&[1.0, 2.0]), Some(1.5));
    }
}
