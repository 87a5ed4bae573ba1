//! Effect size of the experiment (canary) relative to the control (baseline).

/// Which effect size gates High/Low (the interval alone says "significant", the effect size
/// says "large enough to care").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
