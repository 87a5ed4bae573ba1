//! Sample preparation before the test: the per-metric NaN strategy and optional outlier
//! removal with interquartile fences.

/// What to do with values that are not finite numbers (NaN, and also ±Inf, which a metric
/// query produces on division by zero and which no rank or mean can use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum NanStrategy {
    /// Drop the value (default).
    #[default]
    Remove,
    /// Count the value as 0.
    Replace,
}

/// Default fence factor for outlier removal: Q1 - 3 IQR .. Q3 + 3 IQR.
pub const DEFAULT_OUTLIER_FACTOR: f64 = 3.0;

/// A sample after preparation, sorted ascending, with what was dropped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Prepared {
    pub values: Vec<f64>,
    /// Non-finite values removed (0 with [`NanStrategy::Replace`]).
    pub dropped_nan: usize,
    /// Values outside the interquartile fences.
    pub dropped_outliers: usize,
}

/// Applies the NaN strategy, sorts, then (with `outlier_factor = Some(k)`) drops values
/// outside `[Q1 - k IQR, Q3 + k IQR]` (quantiles as R's default type 7).
pub fn prepare(raw: &[f64], nan: NanStrategy, outlier_factor: Option<f64>) -> Prepared {
    let mut values: Vec<f64> = match nan {
        NanStrategy::Remove => raw.iter().copied().filter(|v| v.is_finite()).collect(),
        NanStrategy::Replace => raw.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect(),
    };
    let dropped_nan = raw.len() - values.len();
    sort_total(&mut values);
    let mut dropped_outliers = 0;
    // With an IQR of 0 (most samples equal, as an error rate of mostly zeros), the fences
    // would drop every other value, the errors themselves: nothing is an outlier then.
    if let Some(k) = outlier_factor
        && !values.is_empty()
        && quantile(&values, 0.75) > quantile(&values, 0.25)
    {
        let (lo, hi) = fences(&values, k);
        let before = values.len();
        values.retain(|&v| v >= lo && v <= hi);
        dropped_outliers = before - values.len();
    }
    Prepared {
        values,
        dropped_nan,
        dropped_outliers,
    }
}

/// `values.sort_unstable_by(f64::total_cmp)`, bit for bit, about twice as fast on metric
/// samples: the values map to integers in the same order (the sign bit flipped for positive
/// values, all bits for negative ones), which sort with cheap integer comparisons.
fn sort_total(values: &mut [f64]) {
    let mut keys: Vec<u64> = values
        .iter()
        .map(|v| {
            let b = v.to_bits();
            b ^ ((((b as i64) >> 63) as u64) | (1 << 63))
        })
        .collect();
    keys.sort_unstable();
    for (v, k) in values.iter_mut().zip(keys) {
        *v = f64::from_bits(if k >> 63 == 1 { k ^ (1 << 63) } else { !k });
    }
}

/// Quantile of a sorted, non-empty sample, R's type 7: `x[h] + (h - floor h)(x[h+1] - x[h])`
/// with `h = (n - 1) p` (0-based).
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Interquartile fences `(Q1 - k IQR, Q3 + k IQR)` of a sorted, non-empty sample.
pub fn fences(sorted: &[f64], k: f64) -> (f64, f64) {
    let q1 = quantile(sorted, 0.25);
    let q3 = quantile(sorted, 0.75);
    let iqr = q3 - q1;
    (q1 - k * iqr, q3 + k * iqr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_removed_by_default() {
        let p = prepare(&[3.0, f64::NAN, 1.0, f64::INFINITY], NanStrategy::default(), None);
        assert_eq!(p.values, vec![1.0, 3.0]);
        assert_eq!(p.dropped_nan, 2);
    }

    #[test]
    fn nan_replaced_with_zero() {
        let p = prepare(&[3.0, f64::NAN, 1.0, f64::NEG_INFINITY], NanStrategy::Replace, None);
        assert_eq!(p.values, vec![0.0, 0.0, 1.0, 3.0]);
        assert_eq!(p.dropped_nan, 0);
    }

    #[test]
    fn a_zero_iqr_drops_nothing() {
        // Mostly zeros with a few errors: Q1 = Q3 = 0, so the fences are [0, 0].
        let raw = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 5.0];
        let p = prepare(&raw, NanStrategy::Remove, Some(DEFAULT_OUTLIER_FACTOR));
        assert_eq!(p.dropped_outliers, 0);
        assert_eq!(p.values.len(), raw.len());
    }

    #[test]
    fn quantile_type7() {
        // R: quantile(c(1,2,3,4,10), c(.25,.75)) -> 2, 4
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(quantile(&s, 0.25), 2.0);
        assert_eq!(quantile(&s, 0.75), 4.0);
        // R: quantile(c(1,2,3,4), .25) -> 1.75
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
        assert_eq!(quantile(&[7.0], 0.75), 7.0);
    }

    #[test]
    fn outliers_outside_fences_dropped() {
        // Q1 = 2, Q3 = 4, IQR = 2, k = 3 -> fences [-4, 10]: 11 and -5 go, 10 stays.
        let p = prepare(
            &[1.0, 2.0, 3.0, 4.0, 10.0, 11.0, -5.0, 2.0, 3.0, 4.0],
            NanStrategy::Remove,
            Some(3.0),
        );
        assert!(!p.values.contains(&11.0) && !p.values.contains(&-5.0), "{p:?}");
        assert!(p.values.contains(&10.0));
        assert_eq!(p.dropped_outliers, 2);
    }

    #[test]
    fn constant_sample_keeps_everything() {
        let p = prepare(&[5.0; 4], NanStrategy::Remove, Some(DEFAULT_OUTLIER_FACTOR));
        assert_eq!(p.values, vec![5.0; 4]);
    }
}
