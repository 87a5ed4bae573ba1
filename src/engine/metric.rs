//! One metric's samples as the release holds them: both sides' series (history and live,
//! in time order) and the newest live reading of each side.

use chrono::{DateTime, Utc};

use super::event::Reading;
use super::series::Series;
use crate::plan::SAMPLES_KEPT;

/// The newest samples of one metric, and its history for sparklines.
#[derive(Debug, Clone)]
pub struct MetricState {
    pub canary: Series,
    pub baseline: Series,
    /// The newest live sample's readings and time: what the data's age is measured from.
    /// History and late samples never change them (see `evidence`).
    pub last_canary: Option<Reading>,
    pub last_baseline: Option<Reading>,
    pub last_at: Option<DateTime<Utc>>,
    /// A sample stamped ahead of the engine's clock was reported, and no usable one has
    /// come since: the report is not repeated for every such sample.
    pub(super) ahead_reported: bool,
}

impl Default for MetricState {
    fn default() -> Self {
        MetricState {
            canary: Series::new(SAMPLES_KEPT),
            baseline: Series::new(SAMPLES_KEPT),
            last_canary: None,
            last_baseline: None,
            last_at: None,
            ahead_reported: false,
        }
    }
}

impl MetricState {
    /// Keeps a sample's values at their time in both series, without making it the newest.
    pub fn keep(&mut self, at: DateTime<Utc>, canary: Option<f64>, baseline: Option<f64>) {
        self.canary.push(at, canary);
        self.baseline.push(at, baseline);
    }

    /// Takes a live sample as the metric's newest.
    pub fn take_live(&mut self, at: DateTime<Utc>, canary: Reading, baseline: Reading) {
        self.keep(at, canary.raw(), baseline.raw());
        self.last_at = Some(at);
        self.last_canary = Some(canary);
        self.last_baseline = Some(baseline);
        self.ahead_reported = false;
    }

    /// When the newest live sample was taken, if at or after `since`: with `since` the
    /// start of the canary's exposure, the newest sample that says what the canary does.
    pub fn last_since(&self, since: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        let since = since?;
        self.last_at.filter(|at| *at >= since)
    }
}
