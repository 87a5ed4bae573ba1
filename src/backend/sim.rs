//! The simulator as backends: router and metrics source share one simulated world.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::BoxFuture;

use super::{MetricsSource, RouterError, TrafficRouter};
use crate::clock::Clock;
use crate::engine::Reading;
use crate::plan::{Metric, Weight};
use crate::sim::SimWorld;

pub type SharedWorld = Arc<Mutex<SimWorld>>;

pub struct SimRouter {
    pub world: SharedWorld,
    pub clock: Clock,
}

impl TrafficRouter for SimRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        let now = self.clock.now();
        let result = self
            .world
            .lock()
            .map(|mut w| w.set_weight(weight, now))
            .map_err(|_| RouterError::Unavailable("simulator state poisoned".to_string()));
        async move { result }.boxed()
    }
}

pub struct SimMetrics {
    pub world: SharedWorld,
}

impl MetricsSource for SimMetrics {
    fn sample<'a>(&'a self, index: usize, metric: &'a Metric, at: DateTime<Utc>) -> BoxFuture<'a, (Reading, Reading)> {
        let reading = match self.world.lock() {
            Ok(world) => world.sample(index, metric, at),
            Err(_) => (
                Reading::NoData("simulator state poisoned".into()),
                Reading::NoData("simulator state poisoned".into()),
            ),
        };
        async move { reading }.boxed()
    }
}
