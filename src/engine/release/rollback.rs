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
        self.restore_pending = self.plan.target.undoes_on_rollback();
        fx.push(Effect::RestorePrevious {
            version: stable.clone(),
        });
        let mut msg = format!("ROLLBACK by {actor}: {reason}; all traffic to {stable}");
        if past_window {
            msg.push_str(" (past the rollback window: check the previous version is still deployed)");
        }
        self.record(fx, now, actor, EventKind::RollbackStarted, msg);
    }

    /// The previous version is back (or could not be put back): the rollback ends if the
    /// canary is at 0% too.
    pub(in crate::engine) fn restored(&mut self, failure: Option<String>, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        self.restore_pending = false;
        let stable = &self.plan.release.stable;
        let (kind, msg) = match failure {
            None => (EventKind::Note, format!("previous version {stable} restored")),
            Some(why) => (
                EventKind::RouterFailed,
                format!("{why}: the previous version could not be put back"),
            ),
        };
        self.record(fx, now, Actor::system(), kind, msg);
        if self.phase == PhaseName::RollingBack && self.actual == Some(Weight::ZERO) {
            self.finish_rollback(now, fx);
        }
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
