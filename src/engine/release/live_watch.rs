//! What the cluster's watches report: kept for the traffic pane, a broken watch said once
//! (and its return), and traffic the router's object routes otherwise than this release
//! set, for longer than a watch event takes to arrive, held on as someone else's change.

use chrono::{DateTime, Duration, Utc};

use super::Release;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::live::{LiveChange, LiveFact, LiveSource};
use crate::engine::phase::{HoldReason, Step};

/// How long the object may disagree with the confirmed weight before it counts: a watch
/// event may arrive after the write's own answer.
pub const MISMATCH_GRACE: i64 = 10;

impl Release {
    pub(in crate::engine) fn on_live(
        &mut self,
        source: LiveSource,
        fact: LiveFact,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        match self.live.apply(source, fact, now) {
            LiveChange::Lost(why) => {
                let msg = format!("watch on {source} lost ({why}): what it showed is stale until it is back");
                self.record(fx, now, Actor::system(), EventKind::WatchLost, msg);
            }
            LiveChange::Back => {
                let msg = format!("watch on {source} is back");
                self.record(fx, now, Actor::system(), EventKind::Note, msg);
            }
            LiveChange::News | LiveChange::Nothing => {}
        }
        self.track_mismatch(now);
    }

    /// Notes when the router's object began to route otherwise than the confirmed weight.
    pub(in crate::engine) fn track_mismatch(&mut self, now: DateTime<Utc>) {
        let differs = match (self.live.weight(), self.actual) {
            (Some(live), Some(actual)) => live != actual && self.step == Step::Holding,
            _ => false,
        };
        self.live_mismatch_since = match (differs, self.live_mismatch_since) {
            (true, since) => Some(since.unwrap_or(now)),
            (false, _) => None,
        };
    }

    /// The hold for traffic changed by someone else, once it has lasted past the grace.
    pub(in crate::engine) fn mismatch_hold(&self, now: DateTime<Utc>) -> Option<HoldReason> {
        let since = self.live_mismatch_since?;
        if now - since < Duration::seconds(MISMATCH_GRACE) {
            return None;
        }
        Some(HoldReason::ChangedElsewhere {
            holds: self.live.weight()?,
            set: self.actual?,
        })
    }
}
