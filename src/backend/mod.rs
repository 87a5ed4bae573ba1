//! What the runtime needs from the outside world: a traffic router and a metrics source.
//! Each backend runs in its own task; results come back to the engine as observations.

pub mod haproxy;
pub mod prometheus;
pub mod sim;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

use crate::engine::{Observation, Reading};
use crate::plan::{Metric, Weight};

/// Moves traffic between the stable version and the canary.
pub trait TrafficRouter: Send + 'static {
    /// Applies the canary weight and returns the weight the router reports afterwards.
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, String>>;
    /// Puts the previous version back in place (a no-op for pure traffic routers).
    fn restore_previous(&mut self, version: &str) -> BoxFuture<'_, Result<(), String>>;
}

/// Answers metric queries for the canary and the baseline.
pub trait MetricsSource: Send + Sync + 'static {
    /// Past samples for the sparklines at start (oldest first), so the baseline shows at
    /// once. Sources without history return none.
    fn backfill<'a>(&'a self, _metrics: &'a [Metric], _until: DateTime<Utc>) -> BoxFuture<'a, Vec<Observation>> {
        Box::pin(async { Vec::new() })
    }

    fn sample<'a>(&'a self, index: usize, metric: &'a Metric, at: DateTime<Utc>) -> BoxFuture<'a, (Reading, Reading)>;
}
