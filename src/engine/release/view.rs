//! What a release shows: read-only accessors for the screen, headless output and tests.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

use super::Release;
use crate::engine::data::{self, DataStatus};
use crate::engine::effect::LogEntry;
use crate::engine::gate::{GateStatus, Rest, Watch};
use crate::engine::judging::{JudgeRun, JudgeState, Judgement};
use crate::engine::live::LiveState;
use crate::engine::metric::MetricState;
use crate::engine::phase::{HoldReason, PhaseName, Step};
use crate::engine::progress::StageProgress;
use crate::engine::rollout_state::RolloutState;
use crate::plan::{Bounds, Plan, Span, Weight};

impl Release {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn phase(&self) -> PhaseName {
        self.phase
    }

    pub fn stage(&self) -> usize {
        self.stage
    }

    pub fn step(&self) -> Step {
        self.step
    }

    pub fn holds(&self) -> &[HoldReason] {
        &self.holds
    }

    pub fn progress(&self, stage: usize) -> Option<&StageProgress> {
        self.progress.get(stage)
    }

    pub fn desired_weight(&self) -> Weight {
        self.desired
    }

    pub fn actual_weight(&self) -> Option<Weight> {
        self.actual
    }

    pub fn manual_weight(&self) -> Option<Weight> {
        self.manual_weight
    }

    pub fn router_error(&self) -> Option<&str> {
        self.router_error.as_deref()
    }

    pub fn metric(&self, index: usize) -> Option<&MetricState> {
        self.metrics.get(index)
    }

    /// The canary judge's state, when the plan has a judge.
    pub fn judge(&self) -> Option<&JudgeRun> {
        self.judge.as_ref()
    }

    /// The judgement made at the current weight of the current stage, if any yet.
    pub fn stage_judgement(&self) -> Option<&Judgement> {
        // While a new weight is on its way, the last verdict was about the old one.
        if self.step != Step::Holding {
            return None;
        }
        self.judge.as_ref()?.current(self.stage, self.moments.holding_since)
    }

    /// The verdict at this weight when the data it was made from has since gone stale or
    /// missing: history, not the canary's state now.
    pub fn stale_verdict(&self, now: DateTime<Utc>) -> Option<&Judgement> {
        let verdict = self.stage_judgement()?;
        let (_, health) = self.data_health(now);
        (!matches!(health, DataStatus::Fresh { .. })).then_some(verdict)
    }

    /// Whether the judge decides the current stage: it has a metric to judge, and there is
    /// traffic on both versions to compare (none on the canary at 0%, none on the baseline
    /// at 100%).
    pub fn judge_active(&self) -> bool {
        self.judge.is_some()
            && self.desired > Weight::ZERO
            && self.desired < Weight::FULL
            && (0..self.plan.metrics.len()).any(|m| self.metric_analysed(m))
    }

    /// Whether the current stage analyses metric `index` (all metrics when it names none).
    pub fn metric_analysed(&self, index: usize) -> bool {
        let name = &self.plan.metrics[index].name;
        match &self.plan.stages[self.stage].analyse {
            None => true,
            Some(list) => list.iter().any(|m| m == name),
        }
    }

    pub fn gate(&self, index: usize) -> Option<&Watch> {
        self.gates.get(index)
    }

    pub fn trigger(&self, index: usize) -> Option<&Watch> {
        self.triggers.get(index)
    }

    pub fn log(&self) -> &VecDeque<LogEntry> {
        &self.log
    }

    /// How many entries have been recorded since the start: changes whenever the log
    /// does, even once the in-memory log is full.
    pub fn recorded(&self) -> u64 {
        self.recorded
    }

    pub fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }

    /// Where a metric's live evidence begins: the baseline's at the release's start, the
    /// canary's at its current exposure (the release's start while it serves nothing).
    /// What came before is history: drawn, never deciding (see `evidence`).
    pub fn evidence_since(&self, canary: bool) -> DateTime<Utc> {
        match self.moments.exposed_since {
            Some(since) if canary => since,
            _ => self.started_at,
        }
    }

    pub fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.finished_at
    }

    pub fn rollback_reason(&self) -> Option<&str> {
        self.rollback_reason.as_deref()
    }

    /// The Argo Rollout as last watched, for a release that drives one.
    pub fn rollout(&self) -> Option<&RolloutState> {
        self.rollout.as_deref()
    }

    /// What the cluster's watches say the objects hold.
    pub fn live(&self) -> &LiveState {
        &self.live
    }

    /// The current stage's deploy, while its weight waits for the pods.
    pub fn deploying(&self) -> Option<&super::Deploying> {
        self.deploying.as_ref()
    }

    /// Why the journal cannot be written, once it failed.
    pub fn journal_failure(&self) -> Option<&str> {
        self.journal_failure.as_deref()
    }

    /// Whether a manual weight would be accepted now: after go, while the release is in
    /// flight, once the stage has gone ahead.
    pub fn can_set_weight(&self) -> bool {
        matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Paused) && self.step != Step::Preparing
    }

    /// Approvals needed before the first traffic shift.
    pub fn release_approvals(&self) -> &[String] {
        &self.release_approvals
    }

    pub fn rollback_window(&self) -> Span {
        self.plan
            .rollback
            .window
            .unwrap_or_else(|| self.plan.release.kind.default_rollback_window())
    }

    /// Time left before the current stage may auto-advance, while it is holding.
    pub fn hold_remaining(&self) -> Option<Duration> {
        if self.step != Step::Holding || self.phase.is_over() {
            return None;
        }
        let hold = self.plan.stages[self.stage].hold.to_chrono();
        Some((hold - self.hold_elapsed).max(Duration::zero()))
    }

    /// How usable metric `index`'s data is at `now`.
    pub fn data_status(&self, index: usize, now: DateTime<Utc>) -> DataStatus {
        let stale_after = self.plan.analysis.stale_after.to_chrono();
        self.metrics.get(index).map_or(DataStatus::Nothing, |state| {
            data::status_of(state, self.moments.exposed_since, stale_after, now)
        })
    }

    /// The worst data status over all metrics, and which metric has it: what the header
    /// shows.
    pub fn data_health(&self, now: DateTime<Utc>) -> (Option<usize>, DataStatus) {
        (0..self.metrics.len())
            .map(|m| (Some(m), self.data_status(m, now)))
            .reduce(|a, b| if b.1.is_worse_than(&a.1) { b } else { a })
            .unwrap_or((None, DataStatus::Nothing))
    }

    /// Whether the gate decides the current stage.
    pub fn gate_analysed(&self, gate: usize) -> bool {
        let metric = &self.plan.gates[gate].metric;
        let named = match &self.plan.stages[self.stage].analyse {
            None => true,
            Some(list) => list.iter().any(|m| m == metric),
        };
        named && self.judgeable(self.plan.gates[gate].bounds()).is_some()
    }

    /// The part of `bounds` that can be judged at the current weight, if any. Ratios and
    /// sigma bands compare with the baseline's traffic, and at 100% there is none: only
    /// absolute bounds still apply.
    pub fn judgeable(&self, bounds: Bounds) -> Option<Bounds> {
        let bounds = if self.desired == Weight::FULL {
            Bounds {
                max_ratio: None,
                min_ratio: None,
                sigma: None,
                ..bounds
            }
        } else {
            bounds
        };
        (!bounds.is_empty()).then_some(bounds)
    }

    /// Why the stage does not move on by itself now, if anything stops it.
    pub fn waiting_on(&self) -> Option<String> {
        self.advance_blocker(false)
    }

    /// Where the judge stands for the current stage; `metric` narrows it to one metric.
    pub fn judge_state(&self, metric: Option<usize>) -> JudgeState {
        let Some(judge) = &self.judge else {
            return JudgeState::Off;
        };
        match self.phase {
            p @ (PhaseName::RollingBack | PhaseName::RolledBack | PhaseName::Aborted) => {
                return JudgeState::Stopped(p);
            }
            PhaseName::Done => return JudgeState::AtFull,
            _ => {}
        }
        if self.desired == Weight::ZERO {
            return JudgeState::AtZero;
        }
        if self.desired == Weight::FULL {
            return JudgeState::AtFull;
        }
        if metric.is_some_and(|m| !self.metric_analysed(m)) || !self.judge_active() {
            return JudgeState::NotAnalysed;
        }
        match judge.next_at {
            Some(at) if self.step == Step::Holding => JudgeState::Next(at),
            _ => JudgeState::NotHolding,
        }
    }

    /// Why gate `gate` is not judging now, if it is not.
    pub fn gate_rest(&self, gate: usize) -> Option<Rest> {
        let watch = self.gates.get(gate)?;
        if !matches!(watch.status, GateStatus::Idle | GateStatus::Waiting) {
            return None;
        }
        Some(if self.judgeable(self.plan.gates[gate].bounds()).is_none() {
            Rest::NoBaselineAtFull
        } else if !self.gate_analysed(gate) {
            Rest::NotAnalysed
        } else if self.desired == Weight::ZERO {
            Rest::NoCanaryTraffic
        } else {
            Rest::WaitingForSample
        })
    }

    /// Why rollback trigger `trigger` is not judging now, if it is not.
    pub fn trigger_rest(&self, trigger: usize) -> Option<Rest> {
        let watch = self.triggers.get(trigger)?;
        if watch.status != GateStatus::Idle {
            return None;
        }
        Some(
            if self.judgeable(self.plan.rollback.triggers[trigger].bounds()).is_none() {
                Rest::NoBaselineAtFull
            } else if self.moments.exposed_since.is_none() {
                Rest::NoCanaryTraffic
            } else {
                Rest::WaitingForSample
            },
        )
    }
}
