//! Whether a command can run now, and if not, why. The one answer the engine acts on and
//! the cockpit shows: the footer, the header's advice and the dialogs offer only what this
//! allows, and a refused key says this reason where the operator is looking.

use super::Release;
use crate::engine::event::Command;
use crate::engine::phase::{PhaseName, Step};
use crate::plan::Weight;

impl Release {
    /// `None` when `command` would run now; otherwise the reason the engine refuses it.
    pub fn refusal(&self, command: &Command) -> Option<String> {
        match command {
            Command::Rollback | Command::Note(_) => None,
            Command::Abort => match self.phase {
                PhaseName::Done => {
                    Some("cannot abort: already promoted; a rollback still can take the release back".into())
                }
                PhaseName::Aborted | PhaseName::RollingBack | PhaseName::RolledBack => {
                    Some(format!("cannot abort: release is {}", self.phase))
                }
                _ => None,
            },
            Command::Pause => (!matches!(self.phase, PhaseName::Pending | PhaseName::Running | PhaseName::Held))
                .then(|| format!("cannot pause: release is {}", self.phase)),
            Command::Resume => {
                (self.phase != PhaseName::Paused).then(|| format!("cannot resume: release is {}", self.phase))
            }
            Command::ToggleItem { item } => {
                if let Err(why) = self.editable_stage() {
                    return Some(format!("cannot change the checklist: {why}"));
                }
                (*item >= self.plan.checklist_of(self.stage).len()).then(|| format!("no checklist item {}", item + 1))
            }
            Command::Approve { role } => {
                if let Err(why) = self.editable_stage() {
                    return Some(format!("cannot approve: {why}"));
                }
                match self.progress[self.stage].approvals.iter().find(|(r, _)| r == role) {
                    None => Some(format!(
                        "no {role} approval is asked for at stage {}",
                        self.stage_name()
                    )),
                    Some((_, Some(signed))) => Some(format!("{role} approval already signed by {}", signed.by)),
                    Some((_, None)) => None,
                }
            }
            Command::Advance { from } | Command::SetWeight { stage: from, .. } if *from != self.stage => Some(format!(
                "refused: asked at stage {} ({}), but the release has moved on to stage {} ({})",
                from + 1,
                self.plan.stages.get(*from).map_or("?", |s| s.name.as_str()),
                self.stage + 1,
                self.stage_name()
            )),
            Command::Advance { .. } => self.advance_refusal(),
            Command::SetWeight { weight, .. } => self.weight_refusal(*weight),
        }
    }

    fn advance_refusal(&self) -> Option<String> {
        if !matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Pending) {
            return Some(format!("cannot advance: release is {}", self.phase));
        }
        if self.step != Step::Holding {
            let why = self
                .holds
                .first()
                .map_or_else(|| self.step.label().to_string(), |h| h.to_string());
            return Some(format!("cannot advance: {why}"));
        }
        self.advance_blocker(true)
            .map(|blocker| format!("cannot advance: {blocker}"))
    }

    fn weight_refusal(&self, weight: Weight) -> Option<String> {
        if self.plan.target.sets_own_weights() {
            return Some(
                "cannot set weight: the Argo Rollout sets its own weights by its steps; advance promotes it, abort \
                 aborts it"
                    .into(),
            );
        }
        if self.step == Step::Deploying && weight > Weight::ZERO {
            return Some(format!(
                "cannot set weight {weight}: stage {} is deploying; its weight waits for the pods",
                self.stage_name()
            ));
        }
        if !self.can_set_weight() {
            let live = matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Paused);
            let why = if live {
                "the stage has not gone ahead yet".to_string()
            } else {
                format!("release is {}", self.phase)
            };
            return Some(format!("cannot set weight: {why}"));
        }
        if let Some(failure) = &self.journal_failure
            && weight > Weight::ZERO
        {
            return Some(format!(
                "cannot set weight {weight}: {failure}: only 0% may be set unrecorded"
            ));
        }
        let bound = self.plan.stages[self.stage].weight;
        (weight > bound).then(|| {
            format!(
                "cannot set weight {weight}: stage {} allows at most {bound}; advance instead",
                self.stage_name()
            )
        })
    }
}
