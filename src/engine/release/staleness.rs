//! Time and stale data: hold time counts only while holding cleanly on fresh data, and
//! data older than `stale_after` stops counting for gates and triggers.

use chrono::{DateTime, Duration, Utc};

use super::Release;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::gate::GateStatus;
use crate::engine::phase::{PhaseName, Step};
use crate::engine::release::gate_label;

impl Release {
    /// Counts the time since the last event towards the hold, if the stage was holding
    /// cleanly through it: paused or held time never counts.
    pub(in crate::engine) fn pass_time(&mut self, now: DateTime<Utc>) {
        let dt = now - self.last_seen;
        if dt > Duration::zero() {
            if self.holding_cleanly() {
                // Only up to the moment the data went stale, even when no event came
                // then: a late event must not count unanalysed time towards the hold.
                let until = self.fresh_until().map_or(now, |fresh| fresh.min(now));
                if until > self.last_seen {
                    self.hold_elapsed += until - self.last_seen;
                }
            }
            self.last_seen = now;
        }
    }

    /// When the data behind the analysed gates goes stale (see `mark_stale`), if any
    /// gate is watching: the hold counts no further than this.
    pub(in crate::engine) fn fresh_until(&self) -> Option<DateTime<Utc>> {
        let stale_after = self.plan.analysis.stale_after.to_chrono();
        (0..self.gates.len())
            .filter_map(|g| match self.gates[g].status {
                GateStatus::Pass | GateStatus::Warn => {
                    let last = self.gate_metric[g].and_then(|m| self.metrics[m].last_at);
                    last.map(|last| last + stale_after)
                }
                GateStatus::Waiting => self.moments.holding_since.map(|since| since + stale_after),
                _ => None,
            })
            .min()
    }

    /// Holding with nothing wrong: the only state in which hold time counts.
    pub(in crate::engine) fn holding_cleanly(&self) -> bool {
        let phase_ok = self.phase == PhaseName::Running || (self.phase == PhaseName::Pending && self.holds.is_empty());
        phase_ok && self.step == Step::Holding
    }

    /// Data older than `stale_after` stops counting: gates and triggers go STALE, and
    /// the change is recorded like any other. A fired trigger stays fired.
    pub(in crate::engine) fn mark_stale(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let stale_after = self.plan.analysis.stale_after.to_chrono();
        let mut changes = Vec::new();
        for g in 0..self.gates.len() {
            let last = self.gate_metric[g].and_then(|m| self.metrics[m].last_at);
            let before = self.gates[g].status;
            let watch = &mut self.gates[g];
            match before {
                GateStatus::Pass | GateStatus::Warn | GateStatus::Fail | GateStatus::NoData => {
                    if let Some(last) = last
                        && now - last > stale_after
                    {
                        watch.status = GateStatus::Stale;
                        watch.detail = format!("last sample {}s ago", (now - last).num_seconds());
                    }
                }
                GateStatus::Waiting => {
                    if self
                        .moments
                        .holding_since
                        .is_some_and(|since| now - since > stale_after)
                    {
                        watch.status = GateStatus::NoData;
                        watch.detail = format!("no sample for {}s at this weight", stale_after.num_seconds());
                    }
                }
                GateStatus::Idle | GateStatus::Stale => {}
            }
            if watch.status != before {
                changes.push(format!(
                    "gate {}: {} -> {} ({})",
                    gate_label(&self.plan, g),
                    before.label(),
                    watch.status.label(),
                    watch.detail
                ));
            }
        }
        let exposed = self.moments.exposed_since.is_some();
        let silent_since_shift = self
            .moments
            .holding_since
            .is_some_and(|since| now - since > stale_after);
        for t in 0..self.triggers.len() {
            // Only a sample of this exposure tells a trigger anything.
            let last = self.trigger_metric[t].and_then(|m| self.metrics[m].last_since(self.moments.exposed_since));
            let judged = self.judgeable(self.plan.rollback.triggers[t].bounds()).is_some();
            let watch = &mut self.triggers[t];
            if !judged {
                // Nothing it can judge at this weight (a ratio at 100%): it neither
                // protects nor holds. A fired trigger stays fired.
                if watch.status != GateStatus::Fail {
                    watch.reset(GateStatus::Idle);
                }
                continue;
            }
            // A trigger that never heard from its metric while the canary served traffic
            // is as blind as one whose data went stale.
            if watch.status == GateStatus::Idle
                && exposed
                && silent_since_shift
                && last.is_none_or(|l| now - l > stale_after)
            {
                watch.status = GateStatus::NoData;
                watch.detail = format!("no sample for {}s with canary traffic", stale_after.num_seconds());
                changes.push(format!(
                    "rollback trigger {}: no data ({}): it cannot protect the release",
                    self.plan.rollback.triggers[t].name, watch.detail
                ));
                continue;
            }
            if matches!(watch.status, GateStatus::Pass | GateStatus::Warn | GateStatus::NoData)
                && let Some(last) = last
                && now - last > stale_after
            {
                let before = watch.status;
                watch.status = GateStatus::Stale;
                watch.detail = format!("last sample {}s ago", (now - last).num_seconds());
                changes.push(format!(
                    "rollback trigger {}: {} -> STALE ({}): it cannot protect the release",
                    self.plan.rollback.triggers[t].name,
                    before.label(),
                    watch.detail
                ));
            }
        }
        for message in changes {
            self.record(fx, now, Actor::system(), EventKind::GateWarning, message);
        }
    }
}
