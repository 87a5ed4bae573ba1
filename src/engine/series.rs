//! A bounded time series: memory stays constant however long the release runs.

use std::collections::VecDeque;
use std::ops::RangeBounds;

use chrono::{DateTime, Utc};

/// Keeps the newest `capacity` points in time order, whatever order they arrive in (history
/// read at start may come after the first live samples; a slow poll may answer late). A
/// missing sample is stored as a gap (None). A value the source returned but that is not a
/// number (NaN, ±Inf) is kept as it came: the judge's NaN strategy decides about it, and
/// readers that plot see a gap.
#[derive(Debug, Clone)]
pub struct Series {
    points: VecDeque<(DateTime<Utc>, Option<f64>)>,
    capacity: usize,
}

impl Series {
    pub fn new(capacity: usize) -> Series {
        Series {
            points: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
        }
    }

    /// Adds a point at its place in time, after any point of the same instant. When full,
    /// the oldest point goes; a point older than all of a full series is not kept.
    pub fn push(&mut self, at: DateTime<Utc>, value: Option<f64>) {
        let mut place = match self.points.back() {
            Some(&(newest, _)) if at < newest => self.points.partition_point(|&(t, _)| t <= at),
            _ => self.points.len(),
        };
        if self.points.len() == self.capacity {
            if place == 0 {
                return;
            }
            self.points.pop_front();
            place -= 1;
        }
        self.points.insert(place, (at, value));
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The newest point, a non-finite value read as a gap.
    pub fn last(&self) -> Option<(DateTime<Utc>, Option<f64>)> {
        self.points.back().map(|&(at, v)| (at, v.filter(|v| v.is_finite())))
    }

    /// When the newest point that carried a value was taken, among those taken after
    /// `after`: any value, or (`finite`) only a finite one.
    pub fn newest_value_at(&self, finite: bool, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.points
            .iter()
            .rev()
            .take_while(|(at, _)| *at > after)
            .find(|(_, v)| v.is_some_and(|v| !finite || v.is_finite()))
            .map(|(at, _)| *at)
    }

    /// The values the source returned for samples taken in `range`, oldest first,
    /// non-finite ones included (points are kept in time order, late ones at their own
    /// time). Gaps are left out: a source that did not answer never becomes a
    /// value (not even the 0 of a NaN strategy).
    pub fn values_in(&self, range: impl RangeBounds<DateTime<Utc>>) -> Vec<f64> {
        self.points
            .iter()
            .filter(|(at, _)| range.contains(at))
            .filter_map(|(_, v)| *v)
            .collect()
    }

    /// The newest `n` points, oldest first, a non-finite value read as a gap.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = Option<f64>> + '_ {
        self.tail_points(n).map(|(_, v)| v)
    }

    /// The newest `n` points with their times, oldest first, a non-finite value read as a gap.
    pub fn tail_points(&self, n: usize) -> impl Iterator<Item = (DateTime<Utc>, Option<f64>)> + '_ {
        self.points
            .iter()
            .skip(self.points.len().saturating_sub(n))
            .map(|&(at, v)| (at, v.filter(|v| v.is_finite())))
    }
}

#[cfg(test)]
mod tests {
    use std::ops::Bound::{Excluded, Included};

    use super::*;

    #[test]
    fn keeps_only_the_newest_points() {
        let mut s = Series::new(3);
        let t = DateTime::<Utc>::UNIX_EPOCH;
        for i in 0..10 {
            s.push(t, Some(i as f64));
        }
        assert_eq!(s.len(), 3);
        assert_eq!(s.tail(5).collect::<Vec<_>>(), vec![Some(7.0), Some(8.0), Some(9.0)]);
    }

    #[test]
    fn points_keep_time_order_whatever_order_they_arrive_in() {
        let t = |s: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(s);
        let mut s = Series::new(4);
        s.push(t(10), Some(10.0));
        s.push(t(20), Some(20.0));
        // History read after the first live samples, and a late poll, slot in by time.
        s.push(t(5), Some(5.0));
        s.push(t(15), Some(15.0));
        assert_eq!(
            s.tail(4).collect::<Vec<_>>(),
            vec![Some(5.0), Some(10.0), Some(15.0), Some(20.0)]
        );
        // Full: a newer point pushes out the oldest; one older than everything kept is dropped.
        s.push(t(25), Some(25.0));
        s.push(t(1), Some(1.0));
        assert_eq!(
            s.tail(4).collect::<Vec<_>>(),
            vec![Some(10.0), Some(15.0), Some(20.0), Some(25.0)]
        );
        // One in the middle of a full series pushes out the oldest too.
        s.push(t(12), Some(12.0));
        assert_eq!(
            s.tail(4).collect::<Vec<_>>(),
            vec![Some(12.0), Some(15.0), Some(20.0), Some(25.0)]
        );
        assert_eq!(s.newest_value_at(true, t(0)), Some(t(25)));
        assert_eq!(s.newest_value_at(true, t(25)), None, "only points after the bound");
    }

    #[test]
    fn values_in_a_range_keep_what_the_source_returned_and_skip_gaps() {
        let t = |s: i64| DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(s);
        let mut s = Series::new(10);
        s.push(t(0), Some(1.0));
        s.push(t(5), None);
        s.push(t(10), Some(f64::NAN));
        s.push(t(15), Some(4.0));
        let got = s.values_in((Excluded(t(0)), Included(t(15))));
        assert_eq!(got.len(), 2, "after 0 s, up to and including 15 s, no gap: {got:?}");
        assert!(got[0].is_nan() && got[1] == 4.0);
        let got = s.values_in((Excluded(t(0)), Excluded(t(15))));
        assert_eq!(got.len(), 1, "after 0 s and before 15 s: {got:?}");
        // Plotting readers see the NaN as a gap.
        assert_eq!(s.tail(2).collect::<Vec<_>>(), vec![None, Some(4.0)]);
    }
}
