//! From interval and effect size to a classification.
//!
//! High: the interval's lower end lies above the band around zero (see `band`: by default
//! `tolerance × |estimate|`) *and* the effect size exceeds the allowed increase. Low:
//! symmetrically, the upper end below minus the band and the effect under the allowed
//! decrease. Otherwise Pass. The direction then says which of High and Low is bad; the other
//! one is reported as Pass with a reason saying so. Every reason gives the numbers that
//! decided: the interval, the band and where its width came from, the effect and its limit.

use super::band::Band;
use crate::format::fmt_precise;

/// Which way of change is bad for the metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
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
    /// The band around zero inside which a shift does not count.
    pub band: Band,
    pub effect_size: f64,
    pub allowed_increase: f64,
    pub allowed_decrease: f64,
}

/// Classifies; returns the classification and a one-line reason.
pub fn classify(ev: &Evidence, direction: Direction) -> (Classification, String) {
    let width = ev.band.width;
    let above = ev.ci_low > width;
    let below = ev.ci_high < -width;
    let raw = if above && ev.effect_size > ev.allowed_increase {
        Classification::High
    } else if below && ev.effect_size < ev.allowed_decrease {
        Classification::Low
    } else {
        Classification::Pass
    };
    let interval = format!("[{}, {}]", fmt_precise(ev.ci_low), fmt_precise(ev.ci_high));
    let band = format!("the band ±{} ({})", fmt_precise(width), ev.band.origin());
    let effect = fmt_precise(ev.effect_size);
    match raw {
        Classification::High if direction == Direction::Decrease => (
            Classification::Pass,
            format!("increase {interval} lies above {band}, but only a decrease is bad"),
        ),
        Classification::Low if direction == Direction::Increase => (
            Classification::Pass,
            format!("decrease {interval} lies below {band}, but only an increase is bad"),
        ),
        Classification::High => (
            Classification::High,
            format!(
                "interval {interval} lies above {band} and effect size {effect} exceeds {}",
                fmt_precise(ev.allowed_increase)
            ),
        ),
        Classification::Low => (
            Classification::Low,
            format!(
                "interval {interval} lies below {band} and effect size {effect} is under {}",
                fmt_precise(ev.allowed_decrease)
            ),
        ),
        _ => {
            let why = if above {
                format!(
                    "interval {interval} lies above {band}, but effect size {effect} is within {}",
                    fmt_precise(ev.allowed_increase)
                )
            } else if below {
                format!(
                    "interval {interval} lies below {band}, but effect size {effect} is within {}",
                    fmt_precise(ev.allowed_decrease)
                )
            } else {
                format!("interval {interval} does not clear {band}")
            };
            (Classification::Pass, why)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(lo: f64, hi: f64, effect: f64) -> Evidence {
        Evidence {
            ci_low: lo,
            ci_high: hi,
            band: Band::new(0.25, 2.0, None, 0.0),
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
    fn reasons_give_the_numbers_that_decided() {
        let (_, why) = classify(&ev(1.0, 2.0, 1.5), Direction::Increase);
        assert_eq!(
            why,
            "interval [1, 2] lies above the band ±0.5 (0.25 × |shift +2|) and effect size 1.5 exceeds 1"
        );
        let (_, why) = classify(&ev(-1.0, 2.0, 1.5), Direction::Increase);
        assert_eq!(why, "interval [-1, 2] does not clear the band ±0.5 (0.25 × |shift +2|)");
    }

    #[test]
    fn fmt_is_compact() {
        assert_eq!(fmt_precise(1.0), "1");
        assert_eq!(fmt_precise(0.123456789), "0.1235");
        assert_eq!(fmt_precise(1234.6), "1235");
        assert_eq!(fmt_precise(56.2704), "56.27");
        assert_eq!(fmt_precise(1e-7), "1e-7");
    }
}
