//! The rules re-checked after every event: go, holding, advancing, promotion.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::Release;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::gate::GateStatus;
use crate::engine::phase::{PhaseName, Step};
use crate::plan::Weight;

impl Release {
    pub(in crate::engine) fn reconcile(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        if self.phase.is_over() {
            self.holds.clear();
            return;
        }
        // A paused release moves no traffic, even when its last approval arrives; nor does
        // one that can no longer record what it does.
        if self.step == Step::Preparing
            && self.phase != PhaseName::Paused
            && self.journal_failure.is_none()
            && self.progress[self.stage].complete()
        {
            self.go_ahead(now, fx);
        }
        if self.step == Step::Shifting && self.weight_reached(now, fx) {
            self.step = Step::Holding;
            self.moments.holding_since = Some(now);
            self.reset_gates();
            let active = self.judge_active();
            if let Some(judge) = &mut self.judge {
                judge.next_at = active.then(|| now + judge.settings.every.to_chrono());
                judge.previous_outcome = None;
            }
        }
        self.check_deploy_time(now, fx);
        self.track_mismatch(now);
        self.mark_stale(now, fx);
        self.run_judge(now, fx);
        if self.phase.is_over() {
            // The judge rolled back.
            self.holds.clear();
            return;
        }
        self.holds = self.hold_reasons(now);

        let next = if self.phase == PhaseName::Paused {
            PhaseName::Paused
        } else if self.go_at.is_none() {
            PhaseName::Pending
        } else if self.holds.is_empty() {
            PhaseName::Running
        } else {
            PhaseName::Held
        };
        if next != self.phase {
            let before = self.phase;
            self.phase = next;
            match next {
                PhaseName::Held => {
                    let why = self
                        .holds
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ");
                    self.record(fx, now, Actor::system(), EventKind::Held, format!("held: {why}"));
                }
                PhaseName::Running if before == PhaseName::Held => {
                    self.record(fx, now, Actor::system(), EventKind::Resumed, "hold cleared".into());
                }
                _ => {}
            }
        }

        // A manual weight means the operator has taken the wheel: only they move on.
        if self.holding_cleanly()
            && self.manual_weight.is_none()
            && self.hold_elapsed >= self.plan.stages[self.stage].hold.to_chrono()
            && self.advance_blocker(false).is_none()
        {
            self.advance_stage(now, Actor::system(), fx);
            // The new stage's rules apply at once: its holds (approvals, router) and the
            // phase they imply must not wait for the next event. Terminates: a stage is
            // never Holding right after it is entered unless its weight is already in
            // place, and the stage index only grows.
            self.reconcile(now, fx);
        }
    }

    /// Whether the router holds the desired weight. A rollout in batches may go past it
    /// (the controller starts pods in steps of its own choosing before the pause lands):
    /// that counts, said once, and the gates judge the share reached.
    fn weight_reached(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) -> bool {
        let Some(actual) = self.actual else {
            return false;
        };
        if actual == self.desired {
            return true;
        }
        let moves_itself = self.plan.target.rolls_in_batches() || self.plan.target.sets_own_weights();
        let past = moves_itself && self.desired > Weight::ZERO && actual > self.desired;
        if past && self.manual_weight.is_none() {
            let msg = format!(
                "the rollout went past the stage's weight: the new version has {actual}, {} was asked (the \
                 controller moves in steps of its own); the gates judge {actual}",
                self.desired
            );
            self.record(fx, now, Actor::system(), EventKind::GateWarning, msg);
            return true;
        }
        false
    }

    /// Entry requirements are met: deploy the stage's image, if it has one, then apply
    /// its weight.
    pub(in crate::engine) fn go_ahead(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let plan = Arc::clone(&self.plan);
        let stage = &plan.stages[self.stage];
        if self.go_at.is_none() && self.stage >= self.go_stage {
            self.go_at = Some(now);
            let msg = format!(
                "GO: {} {} starts with {}",
                self.plan.release.name, self.plan.release.version, stage.name
            );
            self.record(fx, now, Actor::system(), EventKind::Go, msg);
        }
        self.manual_weight = None;
        if !self.start_deploy(now, fx) {
            self.shift_to_stage_weight(now, fx);
        }
    }

    /// Asks for the stage's weight (unless the router already confirmed it).
    pub(in crate::engine) fn shift_to_stage_weight(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let plan = Arc::clone(&self.plan);
        let stage = &plan.stages[self.stage];
        let weight = stage.weight;
        if self.desired != weight || self.actual != Some(weight) {
            self.request_weight(weight, fx);
            let msg = format!("stage {}: canary weight {weight} requested", stage.name);
            self.record(fx, now, Actor::system(), EventKind::WeightRequested, msg);
        }
        self.step = Step::Shifting;
    }

    pub(in crate::engine) fn advance_stage(&mut self, now: DateTime<Utc>, actor: Actor, fx: &mut Vec<Effect>) {
        if self.stage + 1 >= self.plan.stages.len() {
            self.phase = PhaseName::Done;
            self.finished_at = Some(now);
            self.holds.clear();
            let msg = format!(
                "PROMOTED: {} {} serves all traffic; rollback window {}",
                self.plan.release.name,
                self.plan.release.version,
                self.rollback_window()
            );
            self.record(fx, now, actor, EventKind::Promoted, msg);
            return;
        }
        self.stage += 1;
        self.step = Step::Preparing;
        self.hold_elapsed = Duration::zero();
        self.moments.holding_since = None;
        self.reset_gates();
        if let Some(judge) = &mut self.judge {
            judge.latch = None;
            judge.next_at = None;
        }
        let stage = &self.plan.stages[self.stage];
        let msg = format!(
            "stage {}/{}: {} (weight {}, hold {})",
            self.stage + 1,
            self.plan.stages.len(),
            stage.name,
            stage.weight,
            stage.hold
        );
        self.record(fx, now, actor, EventKind::StageEntered, msg);
        if self.progress[self.stage].complete() {
            self.go_ahead(now, fx);
        }
    }

    pub(in crate::engine) fn reset_gates(&mut self) {
        for g in 0..self.gates.len() {
            let status = if self.desired > Weight::ZERO && self.gate_analysed(g) {
                GateStatus::Waiting
            } else {
                GateStatus::Idle
            };
            self.gates[g].reset(status);
        }
    }
}
