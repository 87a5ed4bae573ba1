//! Why a release is not moving on: its hold reasons, and what blocks an advance.

use chrono::{DateTime, Utc};

use super::Release;
use crate::analysis::judge::score::Outcome;
use crate::engine::gate::GateStatus;
use crate::engine::judging::Judgement;
use crate::engine::phase::{HoldReason, Step};
use crate::engine::release::gate_label;
use crate::plan::Weight;

impl Release {
    pub(in crate::engine) fn hold_reasons(&self, now: DateTime<Utc>) -> Vec<HoldReason> {
        let mut reasons = Vec::new();
        if let Some(message) = &self.journal_failure {
            reasons.push(HoldReason::JournalFailing {
                message: message.clone(),
            });
        }
        if let Some(message) = &self.lease_problem {
            reasons.push(HoldReason::LeaseLost {
                message: message.clone(),
            });
        }
        // A latched verdict holds the stage until someone decides it, whatever the weight
        // does meanwhile: dialling the weight is not a decision.
        match self.judge.as_ref().and_then(|j| j.latch.as_ref()) {
            Some(latch) if latch.outcome == Outcome::Fail => reasons.push(HoldReason::JudgeFailed {
                score: latch.score,
                why: latch.reason.clone(),
            }),
            Some(latch) => reasons.push(HoldReason::JudgeMarginal { score: latch.score }),
            None => {}
        }
        match self.step {
            Step::Preparing => {
                let progress = &self.progress[self.stage];
                if progress.open_items() > 0 {
                    reasons.push(HoldReason::ChecklistOpen {
                        open: progress.open_items(),
                    });
                }
                let roles = progress.pending_roles();
                if !roles.is_empty() {
                    reasons.push(HoldReason::ApprovalPending { roles });
                }
            }
            // A rollout takes its time; one that fails or outlasts the plan's timeout holds.
            Step::Deploying => reasons.extend(self.deploy_holds()),
            // Waiting for an answer is normal; a router that fails to answer holds.
            Step::Shifting => {
                if let Some(message) = &self.router_error {
                    reasons.push(HoldReason::RouterFailing {
                        message: message.clone(),
                    });
                }
            }
            Step::Holding => {
                // A manual weight means the operator has taken the wheel: the stage no
                // longer moves on by itself, and the screen must say so.
                if let Some(weight) = self.manual_weight {
                    reasons.push(HoldReason::ManualWeight {
                        weight,
                        stage: self.plan.stages[self.stage].weight,
                    });
                }
                reasons.extend(self.mismatch_hold(now));
                let latched = self.judge.as_ref().is_some_and(|j| j.latch.is_some());
                if let Some(j) = self.stage_judgement()
                    && !latched
                    && j.outcome() == Outcome::NoData
                {
                    reasons.push(HoldReason::JudgeNoData {
                        why: j.score.reason.clone(),
                        judged_at: j.at,
                    });
                }
                for (g, watch) in self.gates.iter().enumerate() {
                    let metric = self.plan.gates[g].metric.clone();
                    match watch.status {
                        GateStatus::Fail => reasons.push(HoldReason::GateFailing {
                            gate: gate_label(&self.plan, g),
                        }),
                        GateStatus::NoData => reasons.push(HoldReason::NoData {
                            metric,
                            why: watch.detail.clone(),
                        }),
                        GateStatus::Stale => {
                            let last = self.gate_metric[g].and_then(|m| self.metrics[m].last_at);
                            let age = last.map_or(0, |at| (now - at).num_seconds());
                            reasons.push(HoldReason::Stale { metric, age_secs: age });
                        }
                        _ => {}
                    }
                }
            }
        }
        // A trigger without fresh data cannot protect the release: hold, as for a gate.
        for (t, watch) in self.triggers.iter().enumerate() {
            let trigger = &self.plan.rollback.triggers[t];
            match watch.status {
                GateStatus::Fail => reasons.push(HoldReason::TriggerFired {
                    trigger: trigger.name.clone(),
                }),
                GateStatus::NoData => reasons.push(HoldReason::NoData {
                    metric: trigger.metric.clone(),
                    why: watch.detail.clone(),
                }),
                GateStatus::Stale => {
                    // The age the staleness rule went by: of this exposure's newest sample,
                    // or of the exposure itself when none came.
                    let last = self.trigger_metric[t]
                        .and_then(|m| self.metrics[m].last_since(self.moments.exposed_since))
                        .or(self.moments.exposed_since);
                    let age_secs = last.map_or(0, |at| (now - at).num_seconds());
                    reasons.push(HoldReason::Stale {
                        metric: trigger.metric.clone(),
                        age_secs,
                    });
                }
                _ => {}
            }
        }
        // Gates and triggers on one metric give the same no-data or stale reason: say it
        // once per metric.
        let mut unique: Vec<HoldReason> = Vec::with_capacity(reasons.len());
        for reason in reasons {
            let seen = unique.iter().any(|u| u == &reason || same_data_problem(u, &reason));
            if !seen {
                unique.push(reason);
            }
        }
        unique
    }

    /// Why the stage may not move on now, if anything stops it. The `operator` may move
    /// past a marginal judgement: deciding it is what the hold asks them for.
    pub(in crate::engine) fn advance_blocker(&self, operator: bool) -> Option<String> {
        let decided = |h: &&HoldReason| {
            operator && matches!(h, HoldReason::JudgeMarginal { .. } | HoldReason::ManualWeight { .. })
        };
        if let Some(reason) = self.holds.iter().find(|h| !decided(h)) {
            return Some(reason.to_string());
        }
        if let Some(g) = (0..self.gates.len())
            .find(|&g| self.gate_analysed(g) && self.desired > Weight::ZERO && self.gates[g].status != GateStatus::Pass)
        {
            return Some(format!(
                "gate {} is {}",
                gate_label(&self.plan, g),
                self.gates[g].status.label()
            ));
        }
        if self.judge_active() {
            let judge = self.judge.as_ref()?;
            return match self.stage_judgement().map(Judgement::outcome) {
                None => Some("the canary judge has not judged an interval at this weight yet".into()),
                Some(Outcome::Pass) => None,
                Some(Outcome::Marginal)
                    if operator && judge.latch.as_ref().is_some_and(|l| l.outcome == Outcome::Marginal) =>
                {
                    None
                }
                Some(outcome) => Some(format!("the canary judge's last verdict is {}", outcome.label())),
            };
        }
        None
    }
}

/// Whether two hold reasons report the same metric's missing or stale data.
fn same_data_problem(a: &HoldReason, b: &HoldReason) -> bool {
    match (a, b) {
        (HoldReason::NoData { metric: x, .. }, HoldReason::NoData { metric: y, .. })
        | (HoldReason::Stale { metric: x, .. }, HoldReason::Stale { metric: y, .. }) => x == y,
        _ => false,
    }
}
