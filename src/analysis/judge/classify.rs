//! From interval and effect size to a classification.
//!
//! High: the whole interval lies above the tolerance band around zero *and* the effect size
//! exceeds the allowed increase. Low: symmetrically below, effect under the allowed decrease.
//! Otherwise Pass. The direction then says which of High and Low is bad; the other one is
//! reported as Pass with a reason saying so.

/// Which way of change is bad for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Higher is worse (latency, errors).
    Increase,
    /// Lower is worse (throughput, success rate).
    Decrease,
    /// Any significant change is bad (default).
    #[default]
    Either,
}

impl Direction {
    /// The direction of the same metric with control and experiment swapped.
    pub fn mirrored(self) -> Direction {
        match self {
            Direction::Increase => Direction::Decrease,
            Direction::Decrease => Direction::Increase,
            Direction::Either => Direction::Either,
        }
    }
}

/// Outcome for one metric in one interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Classification {
    /// No significant, large enough change in a bad direction.
    Pass,
    /// The experiment is significantly higher than the control.
    High,
    /// The experiment is significantly lower than the control.
    Low,
    /// A sample is empty (and the metric does not require data).
    NoData,
    /// The judgement could not be made (missing required data, failed computation).
    Error,
}

impl Classification {
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Pass => "Pass",
            Classification::High => "High",
            Classification::Low => "Low",
            Classification::NoData => "NoData",
            Classification::Error => "Error",
        }
    }
}

/// Inputs of the decision, all in the units of the samples except the effect size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    pub ci_low: f64,
    pub ci_high: f64,
    /// Half-width of the band around zero inside which a shift does not count (>= 0).
    pub band: f64,
    pub effect_size: f64,
    pub allowed_increase: f64,
    pub allowed_decrease: f64,
}

/// Classifies; returns the classification and a one-line reason.
pub fn classify(ev: &Evidence, direction: Direction) -> (Classification, String) {
    let above = ev.ci_low > ev.band;
    let below = ev.ci_high < -ev.band;
    let raw = if above && ev.effect_size > ev.allowed_increase {
        Classification::High
    } else if below && ev.effect_size < ev.allowed_decrease {
        Classification::Low
    } else {
        Classification::Pass
    };
    let interval = format!("[{}, {}]", fmt(ev.ci_low), fmt(ev.ci_high));
    let band = format!("±{}", fmt(ev.band));
    match raw {
        Classification::High if direction == Direction::Decrease => (
            Classification::Pass,
            format!("increase {interval} above band {band}, but only a decrease is bad"),
        ),
        Classification::Low if direction == Direction::Increase => (
            Classification::Pass,
            format!("decrease {interval} below band {band}, but only an increase is bad"),
        ),
        Classification::High => (
            Classification::High,
            format!(
                "interval {interval} lies above band {band} and effect size {} exceeds {}",
                fmt(ev.effect_size),
                fmt(ev.allowed_increase)
            ),
        ),
        Classification::Low => (
            Classification::Low,
            format!(
                "interval {interval} lies below band {band} and effect size {} is under {}",
                fmt(ev.effect_size),
                fmt(ev.allowed_decrease)
            ),
        ),
        _ => {
            let why = if above {
                format!(
                    "interval {interval} lies above band {band}, but effect size {} is within {}",
                    fmt(ev.effect_size),
                    fmt(ev.allowed_increase)
                )
            } else if below {
                format!(
                    "interval {interval} lies below band {band}, but effect size {} is within {}",
                    fmt(ev.effect_size),
                    fmt(ev.allowed_decrease)
                )
            } else {
                format!("interval {interval} overlaps band {band}")
            };
            (Classification::Pass, why)
        }
    }
}

/// Compact number for reasons: 4 significant digits, enough to compare an interval with a
/// band by eye (the JSON output carries the full values).
pub(crate) fn fmt(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let s = format!("{v:.3e}");
    let parsed: f64 = s.parse().unwrap_or(v);
    if (1e-4..1e9).contains(&parsed.abs()) {
        let digits = (3 - parsed.abs().log10().floor() as i32).max(0) as usize;
        let t = format!("{parsed:.digits$}");
        if t.contains('.') {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            t
        }
    } else {
        format!("{parsed:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(lo: f64, hi: f64, effect: f64) -> Evidence {
        Evidence {
            ci_low: lo,
            ci_high: hi,
            band: 0.5,
            effect_size: effect,
            allowed_increase: 1.0,
            allowed_decrease: 1.0,
        }
    }

    #[test]
    fn high_low_pass() {
        assert_eq!(classify(&ev(1.0, 2.0, 1.5), Direction::Either).0, Classification::High);
        assert_eq!(classify(&ev(-2.0, -1.0, 0.5), Direction::Either).0, Classification::Low);
        assert_eq!(classify(&ev(-1.0, 1.0, 1.5), Direction::Either).0, Classification::Pass);
        // inside the band
        assert_eq!(classify(&ev(0.1, 0.4, 1.5), Direction::Either).0, Classification::Pass);
        // effect too small
        let (c, why) = classify(&ev(1.0, 2.0, 0.9), Direction::Either);
        assert_eq!(c, Classification::Pass);
        assert!(why.contains("effect size"), "{why}");
    }

    #[test]
    fn direction_filters() {
        let (c, why) = classify(&ev(1.0, 2.0, 1.5), Direction::Decrease);
        assert_eq!(c, Classification::Pass);
        assert!(why.contains("only a decrease is bad"), "{why}");
        assert_eq!(
            classify(&ev(-2.0, -1.0, 0.5), Direction::Increase).0,
            Classification::Pass
        );
        assert_eq!(
            classify(&ev(-2.0, -1.0, 0.5), Direction::Decrease).0,
            Classification::Low
        );
        assert_eq!(
            classify(&ev(1.0, 2.0, 1.5), Direction::Increase).0,
            Classification::High
        );
    }

    #[test]
    fn fmt_is_compact() {
        assert_eq!(fmt(1.0), "1");
        assert_eq!(fmt(0.123456789), "0.1235");
        assert_eq!(fmt(1234.6), "1235");
        assert_eq!(fmt(56.2704), "56.27");
        assert_eq!(fmt(1e-7), "1e-7");
    }
}
