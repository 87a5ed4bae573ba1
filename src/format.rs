//! Numbers, shares, scores and durations as people read them. One place, so a value reads
//! the same in the engine's reasons, the journal, headless output and every pane.

use chrono::Duration;

use crate::duration::Span;

/// Compact number for panes and messages: 3 significant digits (`176`, `5.90`, `0.020`).
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

/// Number for the judge's reasons: 4 significant digits, enough to compare an interval
/// with a band by eye (the JSON output carries the full values).
pub fn fmt_precise(v: f64) -> String {
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

/// `+5.90`, `-0.020`, `0`: a shift with its sign.
pub fn fmt_signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_num(v))
    } else {
        fmt_num(v)
    }
}

/// A share as a percentage with up to two decimals: 0.995 is "99.5", never "100".
pub fn fmt_share(share: f64) -> String {
    let text = format!("{:.2}", share * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A p-value as people read it: three decimals, or `< 0.001`.
pub fn fmt_p_value(p: f64) -> String {
    if p.is_nan() {
        "—".into()
    } else if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
}

/// A score 0-100: whole numbers as they are, others with one decimal rounded down, so a
/// score just under a threshold never reads as the threshold (94.96 is "94.9", not "95").
pub fn fmt_score(score: f64) -> String {
    if (score - score.round()).abs() < 1e-9 {
        format!("{score:.0}")
    } else {
        format!("{:.1}", (score * 10.0).floor() / 10.0)
    }
}

/// A figure with its unit: `0.5%` (a percent sign sits on the number), `184 ms`, or the
/// figure alone for a metric without a unit. Every pane, reason and threshold uses this.
pub fn with_unit(text: &str, unit: &str) -> String {
    match unit {
        "" => text.to_string(),
        "%" => format!("{text}%"),
        _ => format!("{text} {unit}"),
    }
}

/// `4m5s`, `1h2m30s`, `12s`, `5m`: as plans write durations, so an age, a countdown and a
/// plan's hold read alike ("2m of 5m").
pub fn fmt_duration(d: Duration) -> String {
    Span::secs(d.num_seconds().max(0) as u64).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_compactly_or_precisely() {
        assert_eq!(fmt_num(176.4), "176");
        assert_eq!(fmt_num(5.9), "5.90");
        assert_eq!(fmt_num(0.02), "0.020");
        assert_eq!(fmt_num(0.00002), "2.0e-5");
        assert_eq!(fmt_precise(7.3344), "7.334");
        assert_eq!(fmt_precise(26.9612), "26.96");
        assert_eq!(fmt_precise(0.0), "0");
        assert_eq!(fmt_signed(-0.02), "-0.020");
        assert_eq!(fmt_signed(0.0), "0");
    }

    #[test]
    fn shares_scores_and_p_values_never_round_up_to_a_threshold() {
        assert_eq!(fmt_share(0.995), "99.5");
        assert_eq!(fmt_share(0.98), "98");
        assert_eq!(fmt_score(94.96), "94.9");
        assert_eq!(fmt_score(60.0), "60");
        assert_eq!(fmt_score(59.999_999_999_99), "60");
        assert_eq!(fmt_p_value(0.0004), "< 0.001");
        assert_eq!(fmt_p_value(0.0412), "0.041");
    }

    #[test]
    fn durations_read_as_plans_write_them() {
        assert_eq!(fmt_duration(Duration::seconds(12)), "12s");
        assert_eq!(fmt_duration(Duration::seconds(245)), "4m5s");
        assert_eq!(fmt_duration(Duration::seconds(120)), "2m");
        assert_eq!(fmt_duration(Duration::seconds(3750)), "1h2m30s");
        assert_eq!(fmt_duration(Duration::seconds(-3)), "0s");
    }
}
