//! A metric: its canary and baseline queries and which change is bad.

use serde::{Deserialize, Serialize};

use super::judge::MetricJudge;
use crate::analysis::judge::Direction;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    /// Query for the canary; `{{version}}` is replaced by the canary version.
    pub canary: String,
    /// Query for the baseline; `{{version}}` is replaced by the stable version.
    pub baseline: String,
    /// Which direction of change is bad (an increase when absent).
    #[serde(default = "increase_is_bad")]
    pub bad: Direction,
    /// How the canary judge treats this metric (with `analysis.judge` set).
    #[serde(default)]
    pub judge: MetricJudge,
}

fn increase_is_bad() -> Direction {
    Direction::Increase
}

/// Where a query takes the version it is about.
pub const VERSION_PLACEHOLDER: &str = "{{version}}";

impl Metric {
    /// The canary and baseline queries with their versions filled in.
    pub fn resolved(&self, canary_version: &str, stable_version: &str) -> (String, String) {
        (
            self.canary.replace(VERSION_PLACEHOLDER, canary_version),
            self.baseline.replace(VERSION_PLACEHOLDER, stable_version),
        )
    }
}
