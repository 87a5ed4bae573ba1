//! A bounded time series: memory stays constant however long the release runs.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

/// Keeps the newest `capacity` points; a missing sample is stored as a gap (None).
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

    pub fn push(&mut self, at: DateTime<Utc>, value: Option<f64>) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back((at, value));
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn last(&self) -> Option<(DateTime<Utc>, Option<f64>)> {
        self.points.back().copied()
    }

    /// The newest `n` points, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = Option<f64>> + '_ {
        self.points
            .iter()
            .skip(self.points.len().saturating_sub(n))
            .map(|p| p.1)
    }
}

#[cfg(test)]
mod tests {
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
}
