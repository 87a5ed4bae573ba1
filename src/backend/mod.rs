//! What the runtime needs from the outside world: a traffic router and a metrics source.
//! Each backend runs in its own task; results come back to the engine as observations.

pub mod error;
pub mod haproxy;
pub mod kube;
pub mod prometheus;
pub mod sim;
pub mod wiring;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;

pub use self::error::{RouterError, SetupError};
use tokio::sync::mpsc;

use crate::engine::{DeployOrder, History, Observation, Reading, RolloutProgress};
use crate::plan::{Metric, Weight};

/// Moves traffic between the stable version and the canary.
pub trait TrafficRouter: Send + 'static {
    /// Applies the canary weight and returns the weight the router reports afterwards.
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>>;
    /// Puts the previous version back in place after a rollback. Every router so far keeps
    /// both versions deployed (servers, Services, Deployments or a colour kept running), so
    /// moving the weight to 0% is the whole rollback and there is nothing more to do.
    fn restore_previous(&mut self, _version: &str) -> BoxFuture<'_, Result<(), RouterError>> {
        Box::pin(async { Ok(()) })
    }
    /// The weight the router serves now, read without changing anything: shown at start,
    /// before anything moves. `None` from a router that cannot say (the simulator).
    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(async { Ok(None) })
    }
    /// Pauses (or resumes) a target that moves by itself; nothing for one that moves only
    /// when told.
    fn pause(&mut self, _paused: bool) -> BoxFuture<'_, Result<(), RouterError>> {
        Box::pin(async { Ok(()) })
    }
    /// The longest one `apply` may take before the router task says there was no answer:
    /// a write and its read-back, except for a router that waits for pods to roll.
    fn call_limit(&self) -> std::time::Duration {
        std::time::Duration::from_secs(5)
    }
    /// Reads what the router would drive and says what it found, changing nothing: the
    /// preflight's look at the target before anything moves.
    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(async { Ok("not inspected before a release (nothing to read ahead)".into()) })
    }
}

/// Watches that report what the cluster's objects hold (`Observation::Live`), run until
/// the receiver is gone.
pub type Watches = Box<dyn FnOnce(mpsc::Sender<Observation>) -> BoxFuture<'static, ()> + Send>;

/// Rolls a new image out on a workload (a stage's `deploy`) and reads how far it is.
pub trait Deployer: Send + 'static {
    /// Sets the order's image; setting the image already there changes nothing.
    fn set_image<'a>(&'a mut self, order: &'a DeployOrder) -> BoxFuture<'a, Result<(), RouterError>>;
    /// The rollout of `deployment` as its status says now.
    fn progress<'a>(&'a mut self, deployment: &'a str) -> BoxFuture<'a, Result<RolloutProgress, RouterError>>;
}

/// Answers metric queries for the canary and the baseline.
pub trait MetricsSource: Send + Sync + 'static {
    /// What the source holds of the time before `until` (the release's start), for the
    /// sparklines and the baseline's sigma bands: never evidence. `None` from sources
    /// without history, or when the plan asks for none.
    fn backfill<'a>(&'a self, _metrics: &'a [Metric], _until: DateTime<Utc>) -> BoxFuture<'a, Option<History>> {
        Box::pin(async { None })
    }

    fn sample<'a>(&'a self, index: usize, metric: &'a Metric, at: DateTime<Utc>) -> BoxFuture<'a, (Reading, Reading)>;
}
