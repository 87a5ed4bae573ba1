//! Times as the cockpit shows them to people: ages and wall-clock times of day.

use chrono::{DateTime, Duration, Utc};

use crate::format::fmt_duration;

/// How long ago `at` was: `3s`, `4m05s`, `1h02m`.
pub fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    fmt_duration((now - at).max(Duration::zero()))
}

/// Wall time as the log shows it: `04:36:47`.
pub fn time_of_day(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}
