//! Backend tasks. Each owns one backend, never blocks the UI, and reports back as
//! observations. A slow or dead backend only delays its own answers.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::{MissedTickBehavior, timeout};

use crate::backend::{MetricsSource, TrafficRouter};
use crate::clock::Clock;
use crate::engine::{Observation, Reading};
use crate::plan::{Metric, Weight};

const CALL_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Applies the newest desired weight; a newer request replaces an older one that has not
/// been applied yet (rollback never queues behind a slider move). Failures are retried
/// with backoff until the router acknowledges.
pub async fn router_task(
    mut router: Box<dyn TrafficRouter>,
    mut desired: watch::Receiver<Option<Weight>>,
    restore: mpsc::Receiver<String>,
    out: mpsc::Sender<Observation>,
) {
    let mut restore = restore;
    loop {
        tokio::select! {
            changed = desired.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            version = restore.recv() => {
                let Some(version) = version else { return };
                let obs = match timeout(CALL_TIMEOUT, router.restore_previous(&version)).await {
                    Ok(Ok(())) => Observation::PreviousRestored,
                    Ok(Err(message)) => Observation::RouterFailed { message: format!("restore {version}: {message}") },
                    Err(_) => Observation::RouterFailed { message: format!("restore {version}: timed out") },
                };
                if out.send(obs).await.is_err() {
                    return;
                }
                continue;
            }
        }
        let mut backoff = Duration::from_millis(100);
        loop {
            let Some(weight) = *desired.borrow_and_update() else {
                break;
            };
            let obs = match timeout(CALL_TIMEOUT, router.apply(weight)).await {
                Ok(Ok(actual)) => Observation::WeightApplied { actual },
                Ok(Err(message)) => Observation::RouterFailed { message },
                Err(_) => Observation::RouterFailed {
                    message: format!("no answer within {}s", CALL_TIMEOUT.as_secs()),
                },
            };
            let failed = matches!(obs, Observation::RouterFailed { .. });
            if out.send(obs).await.is_err() {
                return;
            }
            if !failed {
                break;
            }
            // Retry the newest wish after a pause, or at once if a new one arrives.
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                changed = desired.changed() => if changed.is_err() { return },
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Samples every metric once per analysis interval (virtual time), all metrics at once,
/// each call bounded by `limit` so one slow query cannot hold up the others. At start,
/// past samples fill the sparklines (sources with history only).
pub async fn metrics_task(
    source: Box<dyn MetricsSource>,
    metrics: Vec<Metric>,
    interval: Duration,
    limit: Duration,
    clock: Clock,
    out: mpsc::Sender<Observation>,
) {
    if let Ok(history) = timeout(limit, source.backfill(&metrics, clock.now())).await {
        for observation in history {
            if out.send(observation).await.is_err() {
                return;
            }
        }
    }
    let mut ticker = tokio::time::interval(clock.real(interval));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        let at = clock.now();
        let source = &source;
        let round = metrics.iter().enumerate().map(|(index, metric)| async move {
            let (canary, baseline) = match timeout(limit, source.sample(index, metric, at)).await {
                Ok(readings) => readings,
                Err(_) => {
                    let why = format!("no answer within {}s", limit.as_secs());
                    (Reading::NoData(why.clone()), Reading::NoData(why))
                }
            };
            Observation::Sample {
                metric: index,
                canary,
                baseline,
                at,
            }
        });
        for observation in futures::future::join_all(round).await {
            if out.send(observation).await.is_err() {
                return;
            }
        }
    }
}
