//! Rollback: never refused, from any state, all traffic back to the stable version.

use chrono::{DateTime, Utc};

use super::Release;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::phase::PhaseName;
use crate::plan::Weight;

impl Release {
    /// Rollback is never refused: from any state it sends all traffic to the stable version.
    pub(in crate::engine) fn start_rollback(
        &mut self,
        actor: Actor,
        reason: String,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let stable = self.plan.release.stable.clone();
        if matches!(self.phase, PhaseName::RollingBack | PhaseName::RolledBack) {
            self.request_weight(Weight::ZERO, fx);
            let msg = format!("rollback requested again by {actor}: weight 0 re-sent");
            self.record(fx, now, actor, EventKind::RollbackStarted, msg);
            return;
        }
        let past_window = self
            .finished_at
            .filter(|_| self.phase == PhaseName::Done)
            .is_some_and(|done| now - done > self.rollback_window().to_chrono());
        // Before go this release moved no traffic; 0% is still sent (a router may hold
        // an earlier attempt's weight), and the record says what was, and was not, undone.
        let reason = if self.go_at.is_none() {
            format!("{reason} (before go: this release had moved no traffic)")
        } else {
            reason
        };
        self.phase = PhaseName::RollingBack;
        self.manual_weight = None;
        self.stop_deploy(fx);
        self.rollback_reason = Some(reason.clone());
        self.request_weight(Weight::ZERO, fx);
        fx.push(Effect::RestorePrevious {
            version: stable.clone(),
        });
        let mut msg = format!("ROLLBACK by {actor}: {reason}; all traffic to {stable}");
        if past_window {
            msg.push_str(" (past the rollback window: check the previous version is still deployed)");
        }
        self.record(fx, now, actor, EventKind::RollbackStarted, msg);
    }

    pub(in crate::engine) fn finish_rollback(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        self.phase = PhaseName::RolledBack;
        self.finished_at = Some(now);
        let msg = format!(
            "rolled back: canary at 0%, {} serves all traffic",
            self.plan.release.stable
        );
        self.record(fx, now, Actor::system(), EventKind::RolledBack, msg);
    }
}
