//! What a judge setting may be. One set of rules and words for the plan check, the engine
//! and `shipdeck judge`, so whatever one accepts the others can use.

use super::JudgeConfig;

/// Samples beyond this magnitude cannot be judged: the differences the shift search takes
/// between them would overflow.
pub const LARGEST_VALUE: f64 = 1e300;

pub fn confidence_problem(confidence: f64) -> Option<String> {
    (!(confidence > 0.0 && confidence < 1.0))
        .then(|| format!("confidence {confidence} must be strictly between 0 and 1 (e.g. 0.98)"))
}

pub fn tolerance_problem(tolerance: f64) -> Option<String> {
    // The interval holds the shift itself, so its near end can never clear |shift| or more:
    // from 1 up, nothing could ever be High or Low.
    let advice = "the interval's near end must clear tolerance × |shift|, so give at least 0 and under 1 \
                  (0.25 is usual)";
    if !tolerance.is_finite() {
        return Some(format!("tolerance {tolerance} is not a finite number: {advice}"));
    }
    (!(0.0..1.0).contains(&tolerance)).then(|| format!("tolerance {tolerance} cannot be used: {advice}"))
}

pub fn outlier_problem(factor: f64) -> Option<String> {
    if !factor.is_finite() {
        return Some(format!(
            "outlier fence factor {factor} is not a finite number: give one above 0 (3 is usual)"
        ));
    }
    (factor <= 0.0).then(|| format!("outlier fence factor {factor} must be above 0 (3 is usual)"))
}

impl JudgeConfig {
    /// The first setting that cannot be used, and why.
    pub fn problem(&self) -> Option<String> {
        confidence_problem(self.confidence)
            .or_else(|| tolerance_problem(self.tolerance))
            .or_else(|| self.outlier_factor.and_then(outlier_problem))
            .or_else(|| {
                [(true, self.allowed_increase), (false, self.allowed_decrease)]
                    .into_iter()
                    .find_map(|(increase, limit)| self.effect.limit_problem(increase, limit?))
            })
    }
}

/// Why samples cannot be judged as they are, if they cannot.
pub fn samples_problem(control: &[f64], experiment: &[f64]) -> Option<String> {
    let too_large = |values: &[f64]| values.iter().any(|v| v.is_finite() && v.abs() > LARGEST_VALUE);
    let which = match (too_large(control), too_large(experiment)) {
        (false, false) => return None,
        (true, false) => "control holds",
        (false, true) => "experiment holds",
        (true, true) => "control and experiment hold",
    };
    Some(format!(
        "{which} values beyond ±{LARGEST_VALUE:e}, too large to compare without overflow: give them in a larger unit"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_cannot_be_used_say_why() {
        let ok = JudgeConfig::default();
        assert_eq!(ok.problem(), None);
        let nan_tolerance = JudgeConfig {
            tolerance: f64::NAN,
            ..ok.clone()
        };
        assert!(
            nan_tolerance
                .problem()
                .unwrap()
                .starts_with("tolerance NaN is not a finite number")
        );
        for t in [-0.1, 1.0, 3.0] {
            let bad = JudgeConfig {
                tolerance: t,
                ..ok.clone()
            };
            let why = bad.problem().unwrap();
            assert!(why.contains("at least 0 and under 1"), "{t}: {why}");
        }
        for k in [-1.0, 0.0] {
            let bad = JudgeConfig {
                outlier_factor: Some(k),
                ..ok.clone()
            };
            assert!(bad.problem().unwrap().contains("must be above 0"), "{k}");
        }
        let nan_fence = JudgeConfig {
            outlier_factor: Some(f64::NAN),
            ..ok.clone()
        };
        assert!(nan_fence.problem().unwrap().contains("not a finite number"));
        assert_eq!(
            samples_problem(&[1.0, -1e308], &[2.0]).unwrap().split(" values").next(),
            Some("control holds")
        );
        assert_eq!(samples_problem(&[1e299], &[f64::INFINITY]), None);
    }
}
