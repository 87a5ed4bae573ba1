//! What a person asks for, carried out once `refusals.rs` allows it: checklists,
//! approvals, advancing, a manual weight, abort.

use chrono::{DateTime, Duration, Utc};

use super::Release;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::{Actor, Command};
use crate::engine::phase::{PhaseName, Step};
use crate::engine::progress::Signed;
use crate::format::fmt_duration;
use crate::format::fmt_score;
use crate::plan::Weight;

impl Release {
    pub(in crate::engine) fn on_command(
        &mut self,
        command: Command,
        actor: Actor,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        if let Some(why) = self.refusal(&command) {
            return self.refuse(fx, now, actor, why);
        }
        match command {
            Command::Rollback => self.start_rollback(actor, "manual rollback".into(), now, fx),
            Command::Note(text) => self.record(fx, now, actor, EventKind::Note, text),
            Command::Abort => self.abort(actor, now, fx),
            Command::Pause => {
                self.phase = PhaseName::Paused;
                let mut msg = format!("paused at stage {} ({})", self.stage + 1, self.stage_name());
                // A target that moves by itself is paused too, or it would go on without us.
                if self.plan.target.sets_own_weights() {
                    fx.push(Effect::PauseTarget(true));
                    msg.push_str("; the Rollout is paused too");
                }
                self.record(fx, now, actor, EventKind::Paused, msg);
            }
            Command::Resume => {
                // The phase is recomputed by `reconcile`; Running is the neutral start.
                self.phase = PhaseName::Running;
                let mut msg = "resumed".to_string();
                if self.plan.target.sets_own_weights() {
                    fx.push(Effect::PauseTarget(false));
                    msg.push_str("; the Rollout resumes its steps");
                }
                self.record(fx, now, actor, EventKind::Resumed, msg);
            }
            Command::ToggleItem { item } => self.toggle_item(item, actor, now, fx),
            Command::Approve { role } => self.approve(role, actor, now, fx),
            Command::Advance { .. } => self.manual_advance(actor, now, fx),
            Command::SetWeight { weight, .. } => self.set_manual_weight(weight, actor, now, fx),
        }
    }

    pub(in crate::engine) fn editable_stage(&self) -> Result<(), String> {
        if self.phase.is_over() || !self.phase.is_live() {
            return Err(format!("release is {}", self.phase));
        }
        if self.step != Step::Preparing {
            return Err(format!("stage {} has already gone ahead", self.stage_name()));
        }
        Ok(())
    }

    pub(in crate::engine) fn toggle_item(
        &mut self,
        item: usize,
        actor: Actor,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(text) = self.plan.checklist_of(self.stage).get(item).cloned() else {
            return;
        };
        let slot = &mut self.progress[self.stage].items[item];
        let (kind, msg) = if slot.is_some() {
            *slot = None;
            (EventKind::ItemUnticked, format!("unticked: {text}"))
        } else {
            *slot = Some(Signed {
                by: actor.clone(),
                at: now,
            });
            (EventKind::ItemTicked, format!("ticked: {text}"))
        };
        self.record(fx, now, actor, kind, msg);
    }

    pub(in crate::engine) fn approve(&mut self, role: String, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let progress = &mut self.progress[self.stage];
        let Some(slot) = progress.approvals.iter_mut().find(|(r, _)| *r == role) else {
            return;
        };
        slot.1 = Some(Signed {
            by: actor.clone(),
            at: now,
        });
        let msg = format!("{role} approval signed by {actor}");
        self.record(fx, now, actor, EventKind::Approved, msg);
    }

    pub(in crate::engine) fn manual_advance(&mut self, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let remaining = self.hold_remaining().unwrap_or_else(Duration::zero);
        let mut msg = if remaining > Duration::zero() {
            format!("advanced by hand, hold cut short by {}", fmt_duration(remaining))
        } else {
            "advanced by hand".to_string()
        };
        if let Some(latch) = self.judge.as_ref().and_then(|j| j.latch.as_ref()) {
            msg.push_str(&format!(
                " past a marginal canary judgement (score {})",
                fmt_score(latch.score)
            ));
        }
        self.record(fx, now, actor.clone(), EventKind::Advanced, msg);
        self.advance_stage(now, actor, fx);
    }

    pub(in crate::engine) fn set_manual_weight(
        &mut self,
        weight: Weight,
        actor: Actor,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let bound = self.plan.stages[self.stage].weight;
        self.manual_weight = Some(weight);
        self.request_weight(weight, fx);
        self.step = Step::Shifting;
        let msg = format!("manual weight {weight} (stage {bound})");
        self.record(fx, now, actor, EventKind::WeightRequested, msg);
    }

    pub(in crate::engine) fn abort(&mut self, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        self.phase = PhaseName::Aborted;
        self.finished_at = Some(now);
        self.manual_weight = None;
        self.stop_deploy(fx);
        self.request_weight(Weight::ZERO, fx);
        let msg = format!(
            "aborted at stage {}: all traffic to {}",
            self.stage_name(),
            self.plan.release.stable
        );
        self.record(fx, now, actor, EventKind::Aborted, msg);
    }

    pub(in crate::engine) fn request_weight(&mut self, weight: Weight, fx: &mut Vec<Effect>) {
        self.desired = weight;
        fx.push(Effect::SetWeight(weight));
    }
}
