//! The simulator's stories: what the canary does once it gets traffic.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scenario {
    /// The canary behaves like the baseline.
    #[default]
    Healthy,
    /// Errors climb once the canary serves 25% or more.
    BadCanary,
    /// Canary p99 creeps up a few percent a minute.
    SlowBurn,
    /// The metrics source drops out for a while.
    FlakyMetrics,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Healthy,
        Scenario::BadCanary,
        Scenario::SlowBurn,
        Scenario::FlakyMetrics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Healthy => "healthy",
            Scenario::BadCanary => "bad-canary",
            Scenario::SlowBurn => "slow-burn",
            Scenario::FlakyMetrics => "flaky-metrics",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL.into_iter().find(|sc| sc.name() == s).ok_or_else(|| {
            let names: Vec<_> = Scenario::ALL.iter().map(|s| s.name()).collect();
            format!("unknown scenario {s:?}: expected one of {}", names.join(", "))
        })
    }
}
