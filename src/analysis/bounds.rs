//! Checking one canary value (and its baseline) against a gate's or trigger's bounds.

use crate::plan::Bounds;

/// Why a value is outside its bounds, in words for the operator.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Within,
    Breached(String),
    /// A ratio bound needs a baseline value and there is none.
    NeedsBaseline,
}

pub fn check(bounds: &Bounds, canary: f64, baseline: Option<f64>) -> Outcome {
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
    if bounds.max_ratio.is_none() && bounds.min_ratio.is_none() {
        return Outcome::Within;
    }
    let Some(base) = baseline else {
        return Outcome::NeedsBaseline;
    };
    if let Some(r) = bounds.max_ratio
        && canary > base * r
    {
        return Outcome::Breached(format!(
            "{} > baseline {} x {}",
            fmt_num(canary),
            fmt_num(base),
            fmt_num(r)
        ));
    }
    if let Some(r) = bounds.min_ratio
        && canary < base * r
    {
        return Outcome::Breached(format!(
            "{} < baseline {} x {}",
            fmt_num(canary),
            fmt_num(base),
            fmt_num(r)
        ));
    }
    Outcome::Within
}

/// Compact number formatting for messages and panes: 3 significant digits.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        let s = format!("{v:.3}");
        if s == "0.000" || s == "-0.000" {
            format!("{v:.1e}")
        } else {
            s
        }
    }
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

    #[test]
    fn absolute_and_ratio_bounds() {
        assert_eq!(check(&b(Some(1.0), None), 0.5, None), Outcome::Within);
        assert!(matches!(check(&b(Some(1.0), None), 1.5, None), Outcome::Breached(_)));
        assert_eq!(check(&b(None, Some(1.1)), 1.0, None), Outcome::NeedsBaseline);
        assert_eq!(check(&b(None, Some(1.1)), 1.05, Some(1.0)), Outcome::Within);
        let Outcome::Breached(why) = check(&b(None, Some(1.1)), 1.2, Some(1.0)) else {
            panic!()
        };
        assert_eq!(why, "1.20 > baseline 1.00 x 1.10");
    }

    #[test]
    fn min_bounds() {
        let bounds = Bounds {
            min: Some(99.0),
            min_ratio: Some(0.9),
            ..Bounds::default()
        };
        assert!(matches!(check(&bounds, 98.0, Some(99.5)), Outcome::Breached(_)));
        assert_eq!(check(&bounds, 99.5, Some(99.5)), Outcome::Within);
    }

    #[test]
    fn formats_numbers_compactly() {
        assert_eq!(fmt_num(0.00042), "4.2e-4");
        assert_eq!(fmt_num(0.25), "0.250");
        assert_eq!(fmt_num(182.4), "182");
        assert_eq!(fmt_num(12.34), "12.3");
    }
}
