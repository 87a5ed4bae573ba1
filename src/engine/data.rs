//! How usable a metric's data is right now: what the header and the metrics pane show
//! next to "data". A sample that carried no value is not fresh data.

use chrono::{DateTime, Duration, Utc};

use super::event::Reading;
use super::metric::MetricState;

#[derive(Debug, Clone, PartialEq)]
pub enum DataStatus {
    /// The newest sample carried values, `age` ago.
    Fresh { age: Duration },
    /// The newest sample is older than the plan's `stale_after`.
    Stale { age: Duration },
    /// The newest sample carried no value for the side that matters, and why.
    NoData { why: String },
    /// No sample has arrived yet.
    Nothing,
}

impl DataStatus {
    /// Worse statuses sort higher: the header shows the worst metric.
    fn severity(&self) -> u8 {
        match self {
            DataStatus::Fresh { .. } => 0,
            DataStatus::Nothing => 1,
            DataStatus::Stale { .. } => 2,
            DataStatus::NoData { .. } => 3,
        }
    }

    /// Whether this status is worse than `other` (of equal kind: older).
    pub fn is_worse_than(&self, other: &DataStatus) -> bool {
        let age = |s: &DataStatus| match s {
            DataStatus::Fresh { age } | DataStatus::Stale { age } => *age,
            _ => Duration::zero(),
        };
        (self.severity(), age(self)) > (other.severity(), age(other))
    }
}

/// The status of one metric. While the canary serves traffic (since `exposed_since`) its
/// reading must carry a value, and only a sample of this exposure says anything about it;
/// before that, the baseline's reading must carry a value.
pub fn status_of(
    state: &MetricState,
    exposed_since: Option<DateTime<Utc>>,
    stale_after: Duration,
    now: DateTime<Utc>,
) -> DataStatus {
    let Some(at) = state.last_at else {
        return DataStatus::Nothing;
    };
    let canary_exposed = exposed_since.is_some();
    if state.last_since(exposed_since).is_none() && canary_exposed {
        return DataStatus::Nothing;
    }
    let reading = if canary_exposed {
        &state.last_canary
    } else {
        &state.last_baseline
    };
    let why = match reading {
        Some(Reading::NoData(why)) => Some(why.clone()),
        Some(Reading::Value(v)) if !v.is_finite() => Some(format!("value is {v}")),
        Some(Reading::Value(_)) => None,
        None => Some("no reading".into()),
    };
    let side = if canary_exposed { "canary" } else { "baseline" };
    let age = (now - at).max(Duration::zero());
    match why {
        Some(why) => DataStatus::NoData {
            why: format!("{side}: {why}"),
        },
        None if age > stale_after => DataStatus::Stale { age },
        None => DataStatus::Fresh { age },
    }
}
