//! What the backends report: router confirmations and failures, the canary's exposure,
//! the history read at start, a failing journal. Samples are `watch`'s.

use chrono::{DateTime, Utc};

use super::Release;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::{Actor, History, Observation};
use crate::engine::gate::GateStatus;
use crate::engine::phase::PhaseName;
use crate::plan::Weight;

impl Release {
    pub(in crate::engine) fn on_observe(&mut self, observation: Observation, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        match observation {
            Observation::Sample {
                metric,
                canary,
                baseline,
                at,
            } => self.on_sample(metric, canary, baseline, at, now, fx),
            Observation::History(history) => self.on_history(history, now, fx),
            Observation::WeightApplied { actual } => {
                let changed = self.actual != Some(actual);
                self.actual = Some(actual);
                self.router_error = None;
                self.track_exposure(actual, now);
                if changed {
                    let msg = format!("router confirms canary weight {actual} (desired {})", self.desired);
                    self.record(fx, now, Actor::system(), EventKind::WeightApplied, msg);
                }
                if self.phase == PhaseName::RollingBack && actual == Weight::ZERO && !self.restore_pending {
                    self.finish_rollback(now, fx);
                }
            }
            // Only news before any confirmation: a confirmation says more, and later.
            Observation::WeightFound { actual } if self.actual.is_none() => {
                self.actual = Some(actual);
                self.track_exposure(actual, now);
                let msg = format!("router serves canary weight {actual} at start, before anything changed");
                self.record(fx, now, Actor::system(), EventKind::WeightApplied, msg);
            }
            Observation::WeightFound { .. } => {}
            Observation::RouterFailed { message } => {
                if self.router_error.as_deref() != Some(message.as_str()) {
                    self.record(
                        fx,
                        now,
                        Actor::system(),
                        EventKind::RouterFailed,
                        format!("router: {message}"),
                    );
                }
                self.router_error = Some(message);
            }
            Observation::PreviousRestored => self.restored(None, now, fx),
            Observation::RestoreFailed { message } => self.restored(Some(message), now, fx),
            Observation::LeaseLost { message } => {
                if self.lease_problem.as_deref() != Some(message.as_str()) {
                    self.record(fx, now, Actor::system(), EventKind::LeaseLost, message.clone());
                    self.lease_problem = Some(message);
                }
            }
            Observation::Live { source, fact } => self.on_live(source, fact, now, fx),
            Observation::Rollout(state) => self.rollout = Some(state),
            Observation::DeployProgress { stage, progress } => self.on_deploy_progress(stage, progress, now, fx),
            Observation::DeployFailed { stage, message } => self.on_deploy_failed(stage, message, now, fx),
            Observation::LeaseHeld => {
                if self.lease_problem.take().is_some() {
                    let msg = "the target's Lease is renewed again: this release drives the target".to_string();
                    self.record(fx, now, Actor::system(), EventKind::Note, msg);
                }
            }
            Observation::JournalFailed { message } => {
                if self.journal_failure.is_none() {
                    let msg = format!(
                        "{message}: the release is no longer recorded; holding: only a rollback or an abort \
                         moves traffic now"
                    );
                    self.journal_failure = Some(message);
                    self.record(fx, now, Actor::system(), EventKind::JournalFailed, msg);
                }
            }
        }
    }

    /// The canary's exposure starts when the router first confirms a weight above 0% after
    /// go, and ends at 0%. A trigger's breach clock restarts with each exposure: its `for`
    /// counts only samples of the canary serving traffic now. A fired trigger stays fired.
    pub(in crate::engine) fn track_exposure(&mut self, actual: Weight, now: DateTime<Utc>) {
        let exposed = actual > Weight::ZERO && self.go_at.is_some();
        if exposed == self.moments.exposed_since.is_some() {
            return;
        }
        self.moments.exposed_since = exposed.then_some(now);
        for watch in &mut self.triggers {
            if watch.status != GateStatus::Fail {
                watch.reset(GateStatus::Idle);
            }
        }
    }

    /// The past read at start fills the series as history, in one event with one entry:
    /// nothing in it is evidence (see `evidence`). The release's own time is left to the
    /// live samples.
    pub(in crate::engine) fn on_history(&mut self, history: History, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let mut kept = vec![0usize; self.metrics.len()];
        for point in history.points {
            if point.at >= self.started_at {
                continue;
            }
            if let Some(state) = self.metrics.get_mut(point.metric) {
                state.keep(point.at, point.canary, point.baseline);
                kept[point.metric] += 1;
            }
        }
        if kept.iter().all(|&n| n == 0)
            && let Some(problem) = &history.problem
        {
            let msg = format!("no backfill ({problem}): the sparklines start with the live samples");
            self.record(fx, now, Actor::system(), EventKind::Backfilled, msg);
            return;
        }
        let counts = match kept.as_slice() {
            [first, rest @ ..] if rest.iter().all(|n| n == first) => format!("{first} samples per metric"),
            _ => {
                let each: Vec<String> = self
                    .plan
                    .metrics
                    .iter()
                    .zip(&kept)
                    .map(|(m, n)| format!("{} {n}", m.name))
                    .collect();
                format!("samples per metric: {}", each.join(", "))
            }
        };
        let mut msg = format!(
            "backfilled {}: {counts}, shown as history, never used to decide",
            history.span
        );
        if let Some(problem) = history.problem {
            msg.push_str(&format!(" ({problem})"));
        }
        self.record(fx, now, Actor::system(), EventKind::Backfilled, msg);
    }
}
