//! Backend tasks. Each owns one backend, never blocks the UI, and reports back as
//! observations. A slow or dead backend only delays its own answers.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::time::{MissedTickBehavior, timeout};

use crate::backend::kube::lease::{RENEW_EVERY, TargetLease};
use crate::backend::{MetricsSource, RouterError, TrafficRouter};
use crate::clock::Clock;
use crate::engine::{History, Observation, Reading};
use crate::plan::{Metric, Weight};

const CALL_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// What the router task does besides moving the weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Aside {
    /// Put the previous version back (a rollback).
    Restore(String),
    /// Pause or resume a target that moves by itself.
    Pause(bool),
}

/// Applies the newest desired weight; a newer request replaces an older one that has not
/// been applied yet (rollback never queues behind a slider move). Failures are retried
/// with backoff until the router acknowledges.
pub async fn router_task(
    mut router: Box<dyn TrafficRouter>,
    mut desired: watch::Receiver<Option<Weight>>,
    asides: mpsc::Receiver<Aside>,
    out: mpsc::Sender<Observation>,
) {
    let mut asides = asides;
    // What the router serves before anything changes, unless a wish comes first (a read
    // dropped halfway changes nothing).
    tokio::select! {
        biased;
        changed = desired.changed() => {
            if changed.is_err() {
                return;
            }
            desired.mark_changed();
        }
        read = timeout(CALL_TIMEOUT, router.current()) => {
            if let Ok(Ok(Some(actual))) = read
                && out.send(Observation::WeightFound { actual }).await.is_err()
            {
                return;
            }
        }
    }
    loop {
        tokio::select! {
            changed = desired.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            aside = asides.recv() => {
                let Some(aside) = aside else { return };
                let obs = match aside {
                    Aside::Restore(version) => match timeout(CALL_TIMEOUT, router.restore_previous(&version)).await {
                        Ok(Ok(())) => Some(Observation::PreviousRestored),
                        Ok(Err(e)) => Some(Observation::RestoreFailed { message: format!("restore {version}: {e}") }),
                        Err(_) => Some(Observation::RestoreFailed { message: format!("restore {version}: timed out") }),
                    },
                    Aside::Pause(paused) => {
                        let what = if paused { "pause" } else { "resume" };
                        match timeout(CALL_TIMEOUT, router.pause(paused)).await {
                            Ok(Ok(())) => None,
                            Ok(Err(e)) => Some(Observation::RouterFailed { message: format!("{what}: {e}") }),
                            Err(_) => Some(Observation::RouterFailed { message: format!("{what}: timed out") }),
                        }
                    }
                };
                if let Some(obs) = obs
                    && out.send(obs).await.is_err()
                {
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
            // While the call runs, a new wish of 0 (rollback, abort) cancels it and is applied
            // at once. Dropping the call is safe: HAProxy is only ever sent absolute weights,
            // so the next apply overwrites whatever part was written, and a weight counts only
            // once a finished apply has read it back. Any other new wish waits for the call.
            let limit = router.call_limit();
            let call = timeout(limit, router.apply(weight));
            tokio::pin!(call);
            let (mut watching, mut newer) = (true, false);
            let result = loop {
                tokio::select! {
                    result = &mut call => break Some(result),
                    changed = desired.changed(), if watching => match changed {
                        Err(_) => watching = false,
                        Ok(()) if weight != Weight::ZERO && *desired.borrow() == Some(Weight::ZERO) => break None,
                        Ok(()) => newer = true,
                    },
                }
            };
            let Some(result) = result else {
                continue;
            };
            if newer {
                // Seen above, but not applied yet: let the code below pick it up as before.
                desired.mark_changed();
            }
            let failure = match result {
                Ok(Ok(actual)) => {
                    if out.send(Observation::WeightApplied { actual }).await.is_err() {
                        return;
                    }
                    break;
                }
                Ok(Err(e)) => e,
                Err(_) => RouterError::Unavailable(format!("no answer within {}s", limit.as_secs())),
            };
            // A move to 0% is tried until the router takes it, whatever the error: rollback
            // must not give up. Any other move stops at an error trying again cannot fix,
            // until a new weight is asked for.
            let give_up = !failure.retry_helps() && weight != Weight::ZERO;
            let message = if give_up {
                format!("{failure} (not tried again until the weight is asked for again)")
            } else {
                failure.to_string()
            };
            if out.send(Observation::RouterFailed { message }).await.is_err() {
                return;
            }
            if give_up {
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

/// Samples every metric once per analysis interval (virtual time), each metric on a beat of
/// its own and each call bounded by `limit`, so one slow query delays no other metric's
/// samples. Beside the
/// first samples, the source's history before `started` (the release's start) is read once
/// and sent as one observation: it never delays a live sample.
pub async fn metrics_task(
    source: Box<dyn MetricsSource>,
    metrics: Vec<Metric>,
    interval: Duration,
    limit: Duration,
    clock: Clock,
    started: DateTime<Utc>,
    out: mpsc::Sender<Observation>,
) {
    let history = async {
        match timeout(limit, source.backfill(&metrics, started)).await {
            Ok(Some(history)) => {
                let _ = out.send(Observation::History(history)).await;
            }
            Ok(None) => {}
            Err(_) => {
                // Said once, like an answered backfill: the sparklines start with live samples.
                let problem = format!("no answer within {}s", limit.as_secs());
                let nothing = History {
                    problem: Some(problem),
                    ..History::default()
                };
                let _ = out.send(Observation::History(nothing)).await;
            }
        }
    };
    // Each metric keeps its own beat: a query that is slow (up to `limit`) delays only its
    // own samples, never the other metrics' of the same round.
    let source = &source;
    let out = &out;
    let live = futures::future::join_all(metrics.iter().enumerate().map(|(index, metric)| async move {
        let mut ticker = tokio::time::interval(clock.real(interval));
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        loop {
            ticker.tick().await;
            let at = clock.now();
            let (canary, baseline) = match timeout(limit, source.sample(index, metric, at)).await {
                Ok(readings) => readings,
                Err(_) => {
                    let why = format!("no answer within {}s", limit.as_secs());
                    (Reading::NoData(why.clone()), Reading::NoData(why))
                }
            };
            let sample = Observation::Sample {
                metric: index,
                canary,
                baseline,
                at,
            };
            if out.send(sample).await.is_err() {
                return;
            }
        }
    }));
    futures::join!(history, live);
}

/// Renews the target's Lease every `RENEW_EVERY` while the release runs. A renewal that
/// fails (the API server away, another shipdeck holding it now) is said to the engine,
/// which holds the release forward (a rollback goes on regardless), and so is the first
/// renewal that works again.
pub async fn lease_task(lease: std::sync::Arc<TargetLease>, out: mpsc::Sender<Observation>) {
    let mut lost = false;
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let said = match lease.renew().await {
            Err(message) => {
                lost = true;
                Observation::LeaseLost { message }
            }
            Ok(()) if lost => {
                lost = false;
                Observation::LeaseHeld
            }
            Ok(()) => continue,
        };
        if out.send(said).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use futures::FutureExt;
    use futures::future::BoxFuture;
    use tokio::sync::Notify;

    use super::*;

    /// Records every call; apply(0) answers at once, any other weight waits for `gate`.
    struct GatedRouter {
        calls: mpsc::UnboundedSender<Weight>,
        gate: Arc<Notify>,
        dropped_unfinished: Arc<AtomicBool>,
    }

    struct DropFlag(Arc<AtomicBool>);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    impl TrafficRouter for GatedRouter {
        fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
            self.calls.send(weight).unwrap();
            let (gate, flag) = (self.gate.clone(), DropFlag(self.dropped_unfinished.clone()));
            async move {
                if weight != Weight::ZERO {
                    gate.notified().await;
                }
                std::mem::forget(flag);
                Ok(weight)
            }
            .boxed()
        }
    }

    struct Harness {
        desired: watch::Sender<Option<Weight>>,
        _restore: mpsc::Sender<Aside>,
        calls: mpsc::UnboundedReceiver<Weight>,
        out: mpsc::Receiver<Observation>,
        gate: Arc<Notify>,
        dropped_unfinished: Arc<AtomicBool>,
    }

    fn start() -> Harness {
        let (calls_tx, calls) = mpsc::unbounded_channel();
        let gate = Arc::new(Notify::new());
        let dropped_unfinished = Arc::new(AtomicBool::new(false));
        let router = GatedRouter {
            calls: calls_tx,
            gate: gate.clone(),
            dropped_unfinished: dropped_unfinished.clone(),
        };
        let (desired, desired_rx) = watch::channel(None);
        let (restore, restore_rx) = mpsc::channel(1);
        let (out_tx, out) = mpsc::channel(8);
        tokio::spawn(router_task(Box::new(router), desired_rx, restore_rx, out_tx));
        Harness {
            desired,
            _restore: restore,
            calls,
            out,
            gate,
            dropped_unfinished,
        }
    }

    fn w(percent: u8) -> Weight {
        Weight::new(percent).unwrap()
    }

    #[tokio::test]
    async fn rollback_cancels_a_hanging_move_instead_of_queueing_behind_it() {
        let mut h = start();
        h.desired.send(Some(w(50))).unwrap();
        assert_eq!(h.calls.recv().await, Some(w(50)));
        // The move to 50% never finishes; the rollback must not wait for it (or its timeout).
        h.desired.send(Some(Weight::ZERO)).unwrap();
        assert_eq!(h.calls.recv().await, Some(Weight::ZERO));
        assert_eq!(
            h.out.recv().await,
            Some(Observation::WeightApplied { actual: Weight::ZERO })
        );
        assert!(
            h.dropped_unfinished.load(Ordering::SeqCst),
            "the move to 50% was not cancelled"
        );
    }

    #[tokio::test]
    async fn a_new_move_waits_for_the_call_in_flight_then_applies_the_newest() {
        let mut h = start();
        h.desired.send(Some(w(50))).unwrap();
        assert_eq!(h.calls.recv().await, Some(w(50)));
        h.desired.send(Some(w(20))).unwrap();
        h.desired.send(Some(w(30))).unwrap();
        tokio::task::yield_now().await;
        h.gate.notify_one();
        assert_eq!(h.out.recv().await, Some(Observation::WeightApplied { actual: w(50) }));
        assert_eq!(h.calls.recv().await, Some(w(30)));
        h.gate.notify_one();
        assert_eq!(h.out.recv().await, Some(Observation::WeightApplied { actual: w(30) }));
        assert!(!h.dropped_unfinished.load(Ordering::SeqCst));
    }

    /// Answers every call with a setup error, but takes 0% on the third try.
    struct Broken {
        calls: mpsc::UnboundedSender<Weight>,
        zero_tries: usize,
    }

    impl TrafficRouter for Broken {
        fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
            self.calls.send(weight).unwrap();
            if weight == Weight::ZERO {
                self.zero_tries += 1;
            }
            let ok = weight == Weight::ZERO && self.zero_tries >= 3;
            async move {
                if ok {
                    Ok(weight)
                } else {
                    Err(RouterError::Misconfigured(
                        "haproxy: backend app has no server c9".into(),
                    ))
                }
            }
            .boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_move_stops_at_a_setup_error_but_a_rollback_keeps_trying() {
        let (calls_tx, mut calls) = mpsc::unbounded_channel();
        let (desired, desired_rx) = watch::channel(None);
        let (_restore, restore_rx) = mpsc::channel(1);
        let (out_tx, mut out) = mpsc::channel(8);
        let router = Broken {
            calls: calls_tx,
            zero_tries: 0,
        };
        tokio::spawn(router_task(Box::new(router), desired_rx, restore_rx, out_tx));
        desired.send(Some(w(50))).unwrap();
        assert_eq!(calls.recv().await, Some(w(50)));
        let Some(Observation::RouterFailed { message }) = out.recv().await else {
            panic!("a failure is reported")
        };
        assert!(
            message.ends_with("(not tried again until the weight is asked for again)"),
            "{message}"
        );
        // Given up: however long it waits, the move is not tried again.
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(calls.try_recv().is_err(), "a setup error was retried");

        desired.send(Some(Weight::ZERO)).unwrap();
        for _ in 0..3 {
            assert_eq!(calls.recv().await, Some(Weight::ZERO));
        }
        assert!(matches!(out.recv().await, Some(Observation::RouterFailed { .. })));
        assert!(matches!(out.recv().await, Some(Observation::RouterFailed { .. })));
        assert_eq!(
            out.recv().await,
            Some(Observation::WeightApplied { actual: Weight::ZERO })
        );
    }

    /// Answers metric 0 at once and keeps metric 1 waiting (a slow query).
    struct OneSlow;

    impl MetricsSource for OneSlow {
        fn sample<'a>(&'a self, index: usize, _: &'a Metric, _: DateTime<Utc>) -> BoxFuture<'a, (Reading, Reading)> {
            async move {
                if index == 1 {
                    std::future::pending::<()>().await;
                }
                (Reading::Value(1.0), Reading::Value(1.0))
            }
            .boxed()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_query_delays_no_other_metric_s_samples() {
        let metric = |name: &str| -> Metric {
            serde_yaml::from_str(&format!("{{ name: {name}, canary: q, baseline: q }}")).unwrap()
        };
        let (out_tx, mut out) = mpsc::channel(64);
        let clock = Clock::new(1.0);
        let start = tokio::time::Instant::now();
        tokio::spawn(metrics_task(
            Box::new(OneSlow),
            vec![metric("fast"), metric("slow")],
            Duration::from_secs(5),
            Duration::from_secs(12),
            clock,
            clock.now(),
            out_tx,
        ));
        // Three beats of 5 s while the slow query has not answered: the fast metric's
        // samples arrive on time, each beat.
        let mut fast = 0;
        for _ in 0..3 {
            match out.recv().await {
                Some(Observation::Sample { metric: 0, .. }) => fast += 1,
                other => panic!("only the fast metric answers within its beat: {other:?}"),
            }
        }
        assert_eq!(fast, 3);
        assert!(start.elapsed() < Duration::from_secs(12), "before the slow one's limit");
    }
}
