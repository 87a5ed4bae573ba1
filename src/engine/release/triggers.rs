//! The rollback triggers: where an automatic rollback on a metric is decided. A trigger
//! watches the live samples taken while the canary serves traffic (paused or not); once
//! breached for its `for`, an `auto` trigger rolls back at once and a `manual` one holds
//! the release and asks for a person. (The judge's failed interval is the other automatic
//! rollback: `judge.rs`.)

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::Release;
use crate::analysis::bounds::BaselineStats;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::gate::GateStatus;
use crate::engine::phase::PhaseName;
use crate::plan::TriggerAction;

/// An automatic rollback that will happen unless the canary recovers: an `auto` trigger
/// breached, but not yet for its `for`.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackComing {
    pub trigger: String,
    /// Until the breach has lasted the trigger's `for` (zero when due at the next sample).
    pub remaining: Duration,
    /// What is breached, and for how long so far ("0.723 > max 0.500 for 15s of 1m").
    pub detail: String,
}

impl Release {
    /// The automatic rollback nearest to firing, if a trigger is counting down to one.
    pub fn rollback_coming(&self, now: DateTime<Utc>) -> Option<RollbackComing> {
        if !matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Paused) {
            return None;
        }
        self.plan
            .rollback
            .triggers
            .iter()
            .zip(&self.triggers)
            .filter(|(trigger, watch)| trigger.action == TriggerAction::Auto && watch.status == GateStatus::Warn)
            .filter_map(|(trigger, watch)| {
                let since = watch.breach_since?;
                let remaining = (trigger.sustain.to_chrono() - (now - since)).max(Duration::zero());
                Some(RollbackComing {
                    trigger: trigger.name.clone(),
                    remaining,
                    detail: watch.detail.clone(),
                })
            })
            .min_by_key(|coming| coming.remaining)
    }

    /// The triggers on `metric` take a live sample taken at `at`.
    pub(in crate::engine) fn evaluate_triggers(
        &mut self,
        metric: usize,
        canary_value: &Result<f64, String>,
        baseline_stats: &BaselineStats,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let bad = self.plan.metrics[metric].bad;
        let exposed = self.moments.for_triggers(at);
        let watching = matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Paused);
        let plan = Arc::clone(&self.plan);
        for (t, trigger) in plan.rollback.triggers.iter().enumerate() {
            if self.trigger_metric[t] != Some(metric) || !exposed || !watching {
                continue;
            }
            let Some(bounds) = self.judgeable(trigger.bounds()) else {
                continue;
            };
            let before = self.triggers[t].status;
            if before == GateStatus::Fail && canary_value.is_err() {
                // A fired trigger stays fired through missing data: only a sample back
                // within bounds (or a rollback) ends it.
                continue;
            }
            let value = canary_value.as_ref().map(|v| *v).map_err(String::as_str);
            self.triggers[t].observe(&bounds, bad, trigger.sustain.as_secs(), value, baseline_stats, at);
            let after = self.triggers[t].status;
            if after == GateStatus::NoData && before != GateStatus::NoData {
                let msg = format!(
                    "rollback trigger {}: no data ({}): it cannot protect the release",
                    trigger.name, self.triggers[t].detail
                );
                self.record(fx, now, Actor::system(), EventKind::GateWarning, msg);
            }
            if after == GateStatus::Fail && before != GateStatus::Fail {
                let detail = self.triggers[t].detail.clone();
                match trigger.action {
                    TriggerAction::Auto => {
                        let who = Actor {
                            name: format!("trigger {}", trigger.name),
                            origin: None,
                        };
                        let reason = format!("trigger {} fired: {detail} for {}", trigger.name, trigger.sustain);
                        self.start_rollback(who, reason, now, fx);
                        return;
                    }
                    TriggerAction::Manual => {
                        let msg = format!(
                            "trigger {} fired: {detail}; rollback recommended, a person decides",
                            trigger.name
                        );
                        self.record(fx, now, Actor::system(), EventKind::TriggerFired, msg);
                    }
                }
            }
        }
    }
}
