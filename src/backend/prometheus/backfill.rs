//! Backfill at start: the range each metric side is queried over, and the canary and
//! baseline series lined up by timestamp into the history the engine draws.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::engine::{PastPoint, Reading};
use crate::plan::Span;

/// `start..=end` every `step`: the instants a range query evaluates at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub step: Duration,
}

impl Window {
    /// The last `span` before `until`, one step per analysis interval; `None` when the
    /// plan asks for no backfill.
    pub fn before(until: DateTime<Utc>, span: Span, interval: Span) -> Option<Window> {
        (span.as_secs() > 0).then(|| Window {
            start: until - span.to_chrono(),
            end: until,
            step: Duration::from_secs(interval.as_secs().max(1)),
        })
    }
}

/// One side's range result: its points oldest first, or why it has none at all.
pub type SidePoints = Result<Vec<(DateTime<Utc>, Reading)>, String>;

/// One point per instant that either side has a point for, oldest first. A side with no
/// value at that instant (its own failure, a gap, NaN) is `None` there. When neither side has
/// any point there is nothing to show and nothing is returned.
pub fn align(metric: usize, canary: &SidePoints, baseline: &SidePoints) -> Vec<PastPoint> {
    let mut steps: BTreeMap<DateTime<Utc>, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for (at, reading) in canary.iter().flatten() {
        steps.entry(*at).or_default().0 = reading.raw();
    }
    for (at, reading) in baseline.iter().flatten() {
        steps.entry(*at).or_default().1 = reading.raw();
    }
    steps
        .into_iter()
        .map(|(at, (canary, baseline))| PastPoint {
            metric,
            at,
            canary,
            baseline,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap()
    }

    fn point(at: DateTime<Utc>, canary: Option<f64>, baseline: Option<f64>) -> PastPoint {
        PastPoint {
            metric: 1,
            at,
            canary,
            baseline,
        }
    }

    #[test]
    fn window_spans_the_backfill_in_interval_steps() {
        let w = Window::before(at(1000), Span::minutes(10), Span::secs(5)).unwrap();
        assert_eq!((w.start, w.end, w.step), (at(400), at(1000), Duration::from_secs(5)));
        assert_eq!(Window::before(at(1000), Span::ZERO, Span::secs(5)), None);
    }

    #[test]
    fn sides_are_joined_by_time_and_gaps_are_empty() {
        let canary = Ok(vec![(at(10), Reading::Value(1.0)), (at(20), Reading::Value(2.0))]);
        let baseline = Ok(vec![
            (at(0), Reading::Value(9.0)),
            (at(20), Reading::Value(8.0)),
            (at(30), Reading::NoData("NaN".into())),
        ]);
        assert_eq!(
            align(1, &canary, &baseline),
            vec![
                point(at(0), None, Some(9.0)),
                point(at(10), Some(1.0), None),
                point(at(20), Some(2.0), Some(8.0)),
                point(at(30), None, None),
            ]
        );
    }

    #[test]
    fn a_failed_side_is_empty_and_two_failed_sides_give_nothing() {
        let baseline = Ok(vec![(at(0), Reading::Value(9.0))]);
        let canary: SidePoints = Err("no data (empty result)".into());
        assert_eq!(align(1, &canary, &baseline), vec![point(at(0), None, Some(9.0))]);
        assert!(align(1, &canary, &canary).is_empty());
    }
}
