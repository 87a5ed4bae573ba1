//! The live state of one gate or rollback trigger: its last outcome and how long it has
//! been breached.

use chrono::{DateTime, Utc};

use crate::analysis::bounds::{self, BaselineStats, Outcome};
use crate::duration::Span;
use crate::format::fmt_num;
use crate::plan::{Bounds, Direction};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateStatus {
    /// Not analysed at this stage (no canary traffic, or the stage leaves it out).
    Idle,
    /// Waiting for the first sample taken at the current weight.
    Waiting,
    Pass,
    /// Breached, but not yet for the gate's `for` duration.
    Warn,
    Fail,
    NoData,
    Stale,
}

impl GateStatus {
    pub fn label(self) -> &'static str {
        match self {
            GateStatus::Idle => "idle",
            GateStatus::Waiting => "wait",
            GateStatus::Pass => "PASS",
            GateStatus::Warn => "WARN",
            GateStatus::Fail => "FAIL",
            GateStatus::NoData => "NO DATA",
            GateStatus::Stale => "STALE",
        }
    }
}

/// Why a gate or a trigger is not judging now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rest {
    /// Its bounds all compare with the baseline, which serves nothing at 100%.
    NoBaselineAtFull,
    /// The current stage does not analyse its metric.
    NotAnalysed,
    /// The canary serves no traffic.
    NoCanaryTraffic,
    /// Waiting for the first sample taken at the current weight.
    WaitingForSample,
}

/// Tracks one bound over time: a breach must last `sustain` seconds to count.
#[derive(Debug, Clone)]
pub struct Watch {
    pub status: GateStatus,
    pub breach_since: Option<DateTime<Utc>>,
    /// Why the status is what it is, for the operator ("0.62 > max 0.5").
    pub detail: String,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            status: GateStatus::Idle,
            breach_since: None,
            detail: String::new(),
        }
    }
}

impl Watch {
    pub fn reset(&mut self, status: GateStatus) {
        self.status = status;
        self.breach_since = None;
        self.detail.clear();
    }

    /// Folds in one sample taken at `at`; returns true when the status changed. `bad` is
    /// the metric's bad direction (the side of a sigma band that counts).
    pub fn observe(
        &mut self,
        bounds: &Bounds,
        bad: Direction,
        sustain_secs: u64,
        canary: Result<f64, &str>,
        baseline: &BaselineStats,
        at: DateTime<Utc>,
    ) -> bool {
        let before = self.status;
        match canary {
            Err(why) => {
                // A gap does not reset a running breach: missing data never helps a canary.
                self.status = GateStatus::NoData;
                self.detail = why.to_string();
            }
            Ok(value) => match bounds::check(bounds, bad, value, baseline) {
                Outcome::Within => {
                    self.status = GateStatus::Pass;
                    self.breach_since = None;
                    self.detail = format!("{} within bounds", fmt_num(value));
                }
                Outcome::NeedsBaseline(why) => {
                    self.status = GateStatus::NoData;
                    self.detail = why;
                }
                Outcome::Breached(why) => {
                    let since = *self.breach_since.get_or_insert(at);
                    let held = (at - since).num_seconds().max(0) as u64;
                    self.status = if held >= sustain_secs {
                        GateStatus::Fail
                    } else {
                        GateStatus::Warn
                    };
                    self.detail = if self.status == GateStatus::Warn {
                        // As the plan writes durations, so it reads like the threshold.
                        format!("{why} for {} of {}", Span::secs(held), Span::secs(sustain_secs))
                    } else {
                        why
                    };
                }
            },
        }
        self.status != before
    }
}
