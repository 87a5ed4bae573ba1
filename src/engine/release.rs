//! The release state machine: where every go, hold, promotion and rollback is decided.
//! Pure: it takes events and the current time, and returns effects. No I/O, no clock.

use std::collections::VecDeque;
use std::ops::Bound::{Excluded, Included};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::data::{self, DataStatus};
use super::effect::{Effect, EventKind, LogEntry};
use super::event::{Actor, Command, Event, History, Observation, Reading};
use super::evidence::{self, Moments, Standing};
use super::gate::{GateStatus, Watch};
use super::judging::{JudgeRun, Judgement, Latch};
use super::metric::MetricState;
use super::phase::{HoldReason, PhaseName, Step};
use crate::analysis::bounds::BaselineStats;
use crate::analysis::judge::score::{Outcome, score_text};
use crate::plan::{Bounds, JudgeOnFail, Plan, Span, Weight};

/// Log lines kept in memory; the journal on disk keeps all of them.
pub const LOG_CAPACITY: usize = 5000;

/// Who did something, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    pub by: Actor,
    pub at: DateTime<Utc>,
}

/// Progress on one stage's entry requirements.
#[derive(Debug, Clone, Default)]
pub struct StageProgress {
    pub items: Vec<Option<Signed>>,
    pub approvals: Vec<(String, Option<Signed>)>,
}

impl StageProgress {
    pub fn open_items(&self) -> usize {
        self.items.iter().filter(|i| i.is_none()).count()
    }

    pub fn pending_roles(&self) -> Vec<String> {
        self.approvals
            .iter()
            .filter(|(_, s)| s.is_none())
            .map(|(r, _)| r.clone())
            .collect()
    }

    fn complete(&self) -> bool {
        self.open_items() == 0 && self.approvals.iter().all(|(_, s)| s.is_some())
    }
}

#[derive(Debug, Clone)]
pub struct Release {
    plan: Arc<Plan>,
    release_approvals: Vec<String>,
    go_stage: usize,
    phase: PhaseName,
    stage: usize,
    step: Step,
    holds: Vec<HoldReason>,
    hold_elapsed: Duration,
    /// When the canary's exposure and the current weight's hold began: which live samples
    /// count for gates and triggers (see `evidence`).
    moments: Moments,
    started_at: DateTime<Utc>,
    go_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    last_seen: DateTime<Utc>,
    progress: Vec<StageProgress>,
    desired: Weight,
    actual: Option<Weight>,
    manual_weight: Option<Weight>,
    router_error: Option<String>,
    metrics: Vec<MetricState>,
    gates: Vec<Watch>,
    triggers: Vec<Watch>,
    /// The metric each gate and trigger watches, resolved once: samples and ticks then
    /// compare indices, not names.
    gate_metric: Vec<Option<usize>>,
    trigger_metric: Vec<Option<usize>>,
    /// The canary judge, when the plan has one.
    judge: Option<JudgeRun>,
    rollback_reason: Option<String>,
    /// The journal failed: nothing but a move to 0% may happen unrecorded.
    journal_failure: Option<String>,
    log: VecDeque<LogEntry>,
    /// Entries recorded since the start, including those the bounded log has dropped.
    recorded: u64,
}

impl Release {
    /// A release at its first stage. Returns the journal entry for its start.
    pub fn new(plan: Arc<Plan>, now: DateTime<Utc>) -> (Release, Vec<Effect>) {
        let release_approvals = plan
            .approvals
            .clone()
            .unwrap_or_else(|| plan.release.kind.default_approvals());
        let go_stage = plan.stages.iter().position(|s| s.weight > Weight::ZERO).unwrap_or(0);
        let progress = plan
            .stages
            .iter()
            .enumerate()
            .map(|(i, stage)| {
                let items = plan.checklist_of(i).len();
                let mut roles: Vec<String> = stage.approvals.clone();
                if i == go_stage {
                    for role in &release_approvals {
                        if !roles.contains(role) {
                            roles.push(role.clone());
                        }
                    }
                }
                StageProgress {
                    items: vec![None; items],
                    approvals: roles.into_iter().map(|r| (r, None)).collect(),
                }
            })
            .collect();
        let metrics = plan.metrics.iter().map(|_| MetricState::default()).collect();
        let metric_index = |name: &str| plan.metrics.iter().position(|m| m.name == name);
        let gate_metric = plan.gates.iter().map(|g| metric_index(&g.metric)).collect();
        let trigger_metric = plan.rollback.triggers.iter().map(|t| metric_index(&t.metric)).collect();
        let mut release = Release {
            judge: JudgeRun::of(&plan),
            gate_metric,
            trigger_metric,
            gates: vec![Watch::default(); plan.gates.len()],
            triggers: vec![Watch::default(); plan.rollback.triggers.len()],
            plan,
            release_approvals,
            go_stage,
            phase: PhaseName::Pending,
            stage: 0,
            step: Step::Preparing,
            holds: Vec::new(),
            hold_elapsed: Duration::zero(),
            moments: Moments::default(),
            started_at: now,
            go_at: None,
            finished_at: None,
            last_seen: now,
            progress,
            desired: Weight::ZERO,
            actual: None,
            manual_weight: None,
            router_error: None,
            metrics,
            rollback_reason: None,
            journal_failure: None,
            log: VecDeque::new(),
            recorded: 0,
        };
        let mut fx = Vec::new();
        let info = &release.plan.release;
        let msg = format!(
            "release {} {} ({}, stable {}) loaded: {} stages",
            info.name,
            info.version,
            info.kind.as_str(),
            info.stable,
            release.plan.stages.len()
        );
        release.record(&mut fx, now, Actor::system(), EventKind::Started, msg);
        release.reconcile(now, &mut fx);
        release.stamp_state(&mut fx);
        (release, fx)
    }

    /// Applies one event at time `now` and returns what the runtime must do.
    pub fn handle(&mut self, event: Event, now: DateTime<Utc>) -> Vec<Effect> {
        let mut fx = Vec::new();
        self.pass_time(now);
        // Data that went stale since the last event must not count for this one (a
        // manual advance, say): staleness is a fact of `now`, not of the next reconcile.
        self.mark_stale(now, &mut fx);
        match event {
            Event::Tick => {}
            Event::Command(command, actor) => self.on_command(command, actor, now, &mut fx),
            Event::Observe(observation) => self.on_observe(observation, now, &mut fx),
        }
        self.reconcile(now, &mut fx);
        self.stamp_state(&mut fx);
        fx
    }

    /// Every entry recorded while handling one event carries the state the release is
    /// left in (`LogEntry::state`), in the effects and in the in-memory log alike.
    fn stamp_state(&mut self, fx: &mut [Effect]) {
        let phase = self.phase;
        let mut stamped = 0;
        for effect in fx.iter_mut() {
            if let Effect::Record(entry) = effect {
                entry.state = phase;
                stamped += 1;
            }
        }
        for entry in self.log.iter_mut().rev().take(stamped) {
            entry.state = phase;
        }
    }

    // ----- read-only view -------------------------------------------------------------

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

    // ----- time -----------------------------------------------------------------------

    /// Counts the time since the last event towards the hold, if the stage was holding
    /// cleanly through it: paused or held time never counts.
    fn pass_time(&mut self, now: DateTime<Utc>) {
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
    fn fresh_until(&self) -> Option<DateTime<Utc>> {
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
    fn holding_cleanly(&self) -> bool {
        let phase_ok = self.phase == PhaseName::Running || (self.phase == PhaseName::Pending && self.holds.is_empty());
        phase_ok && self.step == Step::Holding
    }

    // ----- commands -------------------------------------------------------------------

    fn on_command(&mut self, command: Command, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        match command {
            Command::Rollback => self.start_rollback(actor, "manual rollback".into(), now, fx),
            Command::Note(text) => self.record(fx, now, actor, EventKind::Note, text),
            Command::Abort => self.abort(actor, now, fx),
            Command::Pause => {
                if matches!(self.phase, PhaseName::Pending | PhaseName::Running | PhaseName::Held) {
                    self.phase = PhaseName::Paused;
                    let msg = format!("paused at stage {} ({})", self.stage + 1, self.stage_name());
                    self.record(fx, now, actor, EventKind::Paused, msg);
                } else {
                    self.refuse(fx, now, actor, format!("cannot pause: release is {}", self.phase));
                }
            }
            Command::Resume => {
                if self.phase == PhaseName::Paused {
                    // The phase is recomputed by `reconcile`; Running is the neutral start.
                    self.phase = PhaseName::Running;
                    self.record(fx, now, actor, EventKind::Resumed, "resumed".into());
                } else {
                    self.refuse(fx, now, actor, format!("cannot resume: release is {}", self.phase));
                }
            }
            Command::ToggleItem { item } => self.toggle_item(item, actor, now, fx),
            Command::Approve { role } => self.approve(role, actor, now, fx),
            Command::Advance { from } | Command::SetWeight { stage: from, .. } if from != self.stage => {
                let msg = format!(
                    "refused: asked at stage {} ({}), but the release has moved on to stage {} ({})",
                    from + 1,
                    self.plan.stages.get(from).map_or("?", |s| s.name.as_str()),
                    self.stage + 1,
                    self.stage_name()
                );
                self.refuse(fx, now, actor, msg);
            }
            Command::Advance { .. } => self.manual_advance(actor, now, fx),
            Command::SetWeight { weight, .. } => self.set_manual_weight(weight, actor, now, fx),
        }
    }

    fn editable_stage(&self) -> Result<(), String> {
        if self.phase.is_over() || !self.phase.is_live() {
            return Err(format!("release is {}", self.phase));
        }
        if self.step != Step::Preparing {
            return Err(format!("stage {} has already gone ahead", self.stage_name()));
        }
        Ok(())
    }

    fn toggle_item(&mut self, item: usize, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        if let Err(why) = self.editable_stage() {
            return self.refuse(fx, now, actor, format!("cannot change the checklist: {why}"));
        }
        let Some(text) = self.plan.checklist_of(self.stage).get(item).cloned() else {
            return self.refuse(fx, now, actor, format!("no checklist item {}", item + 1));
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

    fn approve(&mut self, role: String, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        if let Err(why) = self.editable_stage() {
            return self.refuse(fx, now, actor, format!("cannot approve: {why}"));
        }
        let progress = &mut self.progress[self.stage];
        let Some(slot) = progress.approvals.iter_mut().find(|(r, _)| *r == role) else {
            let msg = format!("no {role} approval is asked for at stage {}", self.stage_name());
            return self.refuse(fx, now, actor, msg);
        };
        if let Some(signed) = &slot.1 {
            let msg = format!("{role} approval already signed by {}", signed.by);
            return self.refuse(fx, now, actor, msg);
        }
        slot.1 = Some(Signed {
            by: actor.clone(),
            at: now,
        });
        let msg = format!("{role} approval signed by {actor}");
        self.record(fx, now, actor, EventKind::Approved, msg);
    }

    fn manual_advance(&mut self, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        if !matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Pending) {
            return self.refuse(fx, now, actor, format!("cannot advance: release is {}", self.phase));
        }
        if self.step != Step::Holding {
            let why = self
                .holds
                .first()
                .map_or_else(|| self.step.label().to_string(), |h| h.to_string());
            return self.refuse(fx, now, actor, format!("cannot advance: {why}"));
        }
        if let Some(blocker) = self.advance_blocker(true) {
            return self.refuse(fx, now, actor, format!("cannot advance: {blocker}"));
        }
        let remaining = self.hold_remaining().unwrap_or_else(Duration::zero);
        let mut msg = if remaining > Duration::zero() {
            format!("advanced by hand, hold cut short by {}", fmt_duration(remaining))
        } else {
            "advanced by hand".to_string()
        };
        if let Some(latch) = self.judge.as_ref().and_then(|j| j.latch.as_ref()) {
            msg.push_str(&format!(
                " past a marginal canary judgement (score {})",
                score_text(latch.score)
            ));
        }
        self.record(fx, now, actor.clone(), EventKind::Advanced, msg);
        self.advance_stage(now, actor, fx);
    }

    fn set_manual_weight(&mut self, weight: Weight, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        if !self.can_set_weight() {
            let live = matches!(self.phase, PhaseName::Running | PhaseName::Held | PhaseName::Paused);
            let why = if live {
                "the stage has not gone ahead yet".to_string()
            } else {
                format!("release is {}", self.phase)
            };
            return self.refuse(fx, now, actor, format!("cannot set weight: {why}"));
        }
        if let Some(failure) = &self.journal_failure
            && weight > Weight::ZERO
        {
            let msg = format!("cannot set weight {weight}: {failure}: only 0% may be set unrecorded");
            return self.refuse(fx, now, actor, msg);
        }
        let bound = self.plan.stages[self.stage].weight;
        if weight > bound {
            let msg = format!(
                "cannot set weight {weight}: stage {} allows at most {bound}; advance instead",
                self.stage_name()
            );
            return self.refuse(fx, now, actor, msg);
        }
        self.manual_weight = Some(weight);
        self.request_weight(weight, fx);
        self.step = Step::Shifting;
        let msg = format!("manual weight {weight} (stage {bound})");
        self.record(fx, now, actor, EventKind::WeightRequested, msg);
    }

    fn abort(&mut self, actor: Actor, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        match self.phase {
            PhaseName::Done => self.refuse(
                fx,
                now,
                actor,
                "cannot abort: already promoted; press R to roll back".into(),
            ),
            PhaseName::Aborted | PhaseName::RollingBack | PhaseName::RolledBack => {
                self.refuse(fx, now, actor, format!("cannot abort: release is {}", self.phase))
            }
            _ => {
                self.phase = PhaseName::Aborted;
                self.finished_at = Some(now);
                self.manual_weight = None;
                self.request_weight(Weight::ZERO, fx);
                let msg = format!(
                    "aborted at stage {}: all traffic to {}",
                    self.stage_name(),
                    self.plan.release.stable
                );
                self.record(fx, now, actor, EventKind::Aborted, msg);
            }
        }
    }

    /// Rollback is never refused: from any state it sends all traffic to the stable version.
    fn start_rollback(&mut self, actor: Actor, reason: String, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
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
        self.phase = PhaseName::RollingBack;
        self.manual_weight = None;
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

    fn finish_rollback(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        self.phase = PhaseName::RolledBack;
        self.finished_at = Some(now);
        let msg = format!(
            "rolled back: canary at 0%, {} serves all traffic",
            self.plan.release.stable
        );
        self.record(fx, now, Actor::system(), EventKind::RolledBack, msg);
    }

    fn request_weight(&mut self, weight: Weight, fx: &mut Vec<Effect>) {
        self.desired = weight;
        fx.push(Effect::SetWeight(weight));
    }

    // ----- observations ---------------------------------------------------------------

    fn on_observe(&mut self, observation: Observation, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        match observation {
            Observation::Sample {
                metric,
                canary,
                baseline,
                at,
            } => self.on_sample(metric, canary, baseline, at, now, fx),
            Observation::History(history) => self.on_history(history, now, fx),
            Observation::WeightApplied { actual } => {
                let changed = self.actual != Some(actual);
                self.actual = Some(actual);
                self.router_error = None;
                self.track_exposure(actual, now);
                if changed {
                    let msg = format!("router confirms canary weight {actual} (desired {})", self.desired);
                    self.record(fx, now, Actor::system(), EventKind::WeightApplied, msg);
                }
                if self.phase == PhaseName::RollingBack && actual == Weight::ZERO {
                    self.finish_rollback(now, fx);
                }
            }
            Observation::RouterFailed { message } => {
                if self.router_error.as_deref() != Some(message.as_str()) {
                    self.record(
                        fx,
                        now,
                        Actor::system(),
                        EventKind::RouterFailed,
                        format!("router: {message}"),
                    );
                }
                self.router_error = Some(message);
            }
            Observation::PreviousRestored => {
                let msg = format!("previous version {} restored", self.plan.release.stable);
                self.record(fx, now, Actor::system(), EventKind::Note, msg);
            }
            Observation::JournalFailed { message } => {
                if self.journal_failure.is_none() {
                    let msg = format!(
                        "{message}: the release is no longer recorded; holding: only a rollback or an abort \
                         moves traffic now"
                    );
                    self.journal_failure = Some(message);
                    self.record(fx, now, Actor::system(), EventKind::JournalFailed, msg);
                }
            }
        }
    }

    /// The canary's exposure starts when the router first confirms a weight above 0% after
    /// go, and ends at 0%. A trigger's breach clock restarts with each exposure: its `for`
    /// counts only samples of the canary serving traffic now. A fired trigger stays fired.
    fn track_exposure(&mut self, actual: Weight, now: DateTime<Utc>) {
        let exposed = actual > Weight::ZERO && self.go_at.is_some();
        if exposed == self.moments.exposed_since.is_some() {
            return;
        }
        self.moments.exposed_since = exposed.then_some(now);
        for watch in &mut self.triggers {
            if watch.status != GateStatus::Fail {
                watch.reset(GateStatus::Idle);
            }
        }
    }

    /// The past read at start fills the series as history, in one event with one entry:
    /// nothing in it is evidence (see `evidence`). The release's own time is left to the
    /// live samples.
    fn on_history(&mut self, history: History, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let mut kept = vec![0usize; self.metrics.len()];
        for point in history.points {
            if point.at >= self.started_at {
                continue;
            }
            if let Some(state) = self.metrics.get_mut(point.metric) {
                state.keep(point.at, point.canary, point.baseline);
                kept[point.metric] += 1;
            }
        }
        let counts = match kept.as_slice() {
            [first, rest @ ..] if rest.iter().all(|n| n == first) => format!("{first} samples per metric"),
            _ => {
                let each: Vec<String> = self
                    .plan
                    .metrics
                    .iter()
                    .zip(&kept)
                    .map(|(m, n)| format!("{} {n}", m.name))
                    .collect();
                format!("samples per metric: {}", each.join(", "))
            }
        };
        let mut msg = format!(
            "backfilled {}: {counts}, shown as history, never used to decide",
            history.span
        );
        if let Some(problem) = history.problem {
            msg.push_str(&format!(" ({problem})"));
        }
        self.record(fx, now, Actor::system(), EventKind::Backfilled, msg);
    }

    fn on_sample(
        &mut self,
        metric: usize,
        canary: Reading,
        baseline: Reading,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(state) = self.metrics.get_mut(metric) else {
            return;
        };
        match evidence::standing(at, self.started_at, state.last_at, now) {
            Standing::Live => {}
            Standing::History | Standing::Late => return state.keep(at, canary.raw(), baseline.raw()),
            Standing::Ahead => {
                if !std::mem::replace(&mut state.ahead_reported, true) {
                    let msg = format!(
                        "a sample of {} is stamped {}s after the engine's clock: not used (is a clock wrong?)",
                        self.plan.metrics[metric].name,
                        (at - now).num_seconds()
                    );
                    self.record(fx, now, Actor::system(), EventKind::GateWarning, msg);
                }
                return;
            }
        }
        let canary_value = match &canary {
            Reading::Value(v) if v.is_finite() => Ok(*v),
            Reading::Value(v) => Err(format!("value is {v}")),
            Reading::NoData(why) => Err(why.clone()),
        };
        let baseline_value = baseline.value();
        state.take_live(at, canary, baseline);
        // Once per sample, for every gate and trigger on this metric.
        let baseline_stats = self.baseline_stats(metric, baseline_value, at);
        let bad = self.plan.metrics[metric].bad;
        // Gates judge only samples taken at the current weight, and only while the release
        // is in flight: after promotion or a rollback there is no canary to judge.
        let in_flight = matches!(
            self.phase,
            PhaseName::Pending | PhaseName::Running | PhaseName::Held | PhaseName::Paused
        );
        let fresh = in_flight && self.moments.for_gates(at);

        for g in 0..self.plan.gates.len() {
            if self.gate_metric[g] != Some(metric) || !fresh || !self.gate_analysed(g) || self.desired == Weight::ZERO {
                continue;
            }
            let gate = &self.plan.gates[g];
            let Some(bounds) = self.judgeable(gate.bounds()) else {
                continue;
            };
            let before = self.gates[g].status;
            let value = canary_value.as_ref().map(|v| *v).map_err(String::as_str);
            if self.gates[g].observe(&bounds, bad, gate.sustain.as_secs(), value, &baseline_stats, at) {
                let label = gate_label(&self.plan, g);
                let after = &self.gates[g];
                let msg = format!(
                    "gate {label}: {} -> {} ({})",
                    before.label(),
                    after.status.label(),
                    after.detail
                );
                let kind = match after.status {
                    GateStatus::Fail => EventKind::GateFailed,
                    GateStatus::Warn | GateStatus::NoData | GateStatus::Stale => EventKind::GateWarning,
                    _ => EventKind::GateChanged,
                };
                self.record(fx, now, Actor::system(), kind, msg);
            }
        }

        // Rollback triggers watch samples taken while the canary serves traffic, paused or not.
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
            self.triggers[t].observe(&bounds, bad, trigger.sustain.as_secs(), value, &baseline_stats, at);
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
                    crate::plan::TriggerAction::Auto => {
                        let who = Actor {
                            name: format!("trigger {}", trigger.name),
                            origin: None,
                        };
                        let reason = format!("trigger {} fired: {detail} for {}", trigger.name, trigger.sustain);
                        self.start_rollback(who, reason, now, fx);
                        return;
                    }
                    crate::plan::TriggerAction::Manual => {
                        let msg = format!(
                            "trigger {} fired: {detail}; rollback recommended, press R",
                            trigger.name
                        );
                        self.record(fx, now, Actor::system(), EventKind::TriggerFired, msg);
                    }
                }
            }
        }
    }

    /// What `metric`'s gates and triggers compare a sample taken at `at` with: the
    /// baseline's value in it, and, when a sigma band watches the metric, the mean and
    /// standard deviation of the baseline's values over `analysis.baseline_history`.
    fn baseline_stats(&self, metric: usize, latest: Option<f64>, at: DateTime<Utc>) -> BaselineStats {
        let on_metric = |m: &Option<usize>| *m == Some(metric);
        let mut gates = self.gate_metric.iter().zip(&self.plan.gates);
        let mut triggers = self.trigger_metric.iter().zip(&self.plan.rollback.triggers);
        let sigma_used = gates.any(|(m, g)| on_metric(m) && g.sigma.is_some())
            || triggers.any(|(m, t)| on_metric(m) && t.sigma.is_some());
        if !sigma_used {
            return BaselineStats::latest_only(latest);
        }
        let history = self.plan.analysis.baseline_history;
        let values = self.metrics[metric]
            .baseline
            .values_in((Excluded(at - history.to_chrono()), Included(at)));
        BaselineStats::new(latest, values, history)
    }

    // ----- the rules, re-checked after every event ------------------------------------

    fn reconcile(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
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
        if self.step == Step::Shifting && self.actual == Some(self.desired) {
            self.step = Step::Holding;
            self.moments.holding_since = Some(now);
            self.reset_gates();
            let active = self.judge_active();
            if let Some(judge) = &mut self.judge {
                judge.next_at = active.then(|| now + judge.settings.every.to_chrono());
                judge.previous_outcome = None;
            }
        }
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

    /// Entry requirements are met: apply the stage's weight.
    fn go_ahead(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let plan = Arc::clone(&self.plan);
        let stage = &plan.stages[self.stage];
        let weight = stage.weight;
        if self.go_at.is_none() && self.stage >= self.go_stage {
            self.go_at = Some(now);
            let msg = format!(
                "GO: {} {} starts with {}",
                self.plan.release.name, self.plan.release.version, stage.name
            );
            self.record(fx, now, Actor::system(), EventKind::Go, msg);
        }
        self.manual_weight = None;
        if self.desired != weight || self.actual != Some(weight) {
            self.request_weight(weight, fx);
            let msg = format!("stage {}: canary weight {weight} requested", stage.name);
            self.record(fx, now, Actor::system(), EventKind::WeightRequested, msg);
        }
        self.step = Step::Shifting;
    }

    fn advance_stage(&mut self, now: DateTime<Utc>, actor: Actor, fx: &mut Vec<Effect>) {
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

    fn reset_gates(&mut self) {
        for g in 0..self.gates.len() {
            let status = if self.desired > Weight::ZERO && self.gate_analysed(g) {
                GateStatus::Waiting
            } else {
                GateStatus::Idle
            };
            self.gates[g].reset(status);
        }
    }

    /// Data older than `stale_after` stops counting: the gate goes STALE.
    /// Data older than `stale_after` stops counting: gates and triggers go STALE, and
    /// the change is recorded like any other. A fired trigger stays fired.
    fn mark_stale(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
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

    fn hold_reasons(&self, now: DateTime<Utc>) -> Vec<HoldReason> {
        let mut reasons = Vec::new();
        if let Some(message) = &self.journal_failure {
            reasons.push(HoldReason::JournalFailing {
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
            // Waiting for an answer is normal; a router that fails to answer holds.
            Step::Shifting => {
                if let Some(message) = &self.router_error {
                    reasons.push(HoldReason::RouterFailing {
                        message: message.clone(),
                    });
                }
            }
            Step::Holding => {
                let latched = self.judge.as_ref().is_some_and(|j| j.latch.is_some());
                if let Some(j) = self.stage_judgement()
                    && !latched
                    && j.outcome() == Outcome::NoData
                {
                    reasons.push(HoldReason::JudgeNoData {
                        why: j.score.reason.clone(),
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
                    let last = self.trigger_metric[t].and_then(|m| self.metrics[m].last_at);
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

    /// Why the stage does not move on by itself now, if anything stops it.
    pub fn waiting_on(&self) -> Option<String> {
        self.advance_blocker(false)
    }

    /// Why the stage may not move on now, if anything stops it. The `operator` may move
    /// past a marginal judgement: deciding it is what the hold asks them for.
    fn advance_blocker(&self, operator: bool) -> Option<String> {
        let decided = |h: &&HoldReason| operator && matches!(h, HoldReason::JudgeMarginal { .. });
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

    /// Judges an interval when one is due, and acts on the verdict.
    fn run_judge(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let due = self.step == Step::Holding
            && !self.phase.is_over()
            && self.judge_active()
            && self.judge.as_ref().and_then(|j| j.next_at).is_some_and(|at| now >= at);
        if !due {
            return;
        }
        let plan = Arc::clone(&self.plan);
        let analysed: Vec<bool> = (0..plan.metrics.len()).map(|m| self.metric_analysed(m)).collect();
        let since = self.moments.holding_since.unwrap_or(now);
        let Some(judge) = self.judge.as_mut() else { return };
        let every = judge.settings.every.to_chrono();
        let from = since.max(now - judge.settings.window.to_chrono());
        // After a long gap between events, the next interval starts from now.
        let mut next = judge.next_at.unwrap_or(now);
        while next <= now {
            next += every;
        }
        judge.next_at = Some(next);
        let stale_after = plan.analysis.stale_after.to_chrono();
        let judgement = judge.judge(
            &plan,
            &self.metrics,
            |m| analysed[m],
            self.stage,
            from,
            now,
            stale_after,
        );
        let (outcome, score, reason) = (
            judgement.outcome(),
            judgement.score.score,
            judgement.score.reason.clone(),
        );
        let on_fail = judge.settings.on_fail;
        let kind = match outcome {
            Outcome::Pass => EventKind::JudgePass,
            Outcome::Marginal => EventKind::JudgeMarginal,
            Outcome::Fail => EventKind::JudgeFail,
            Outcome::NoData => EventKind::JudgeNoData,
        };
        let latch = Some(Latch {
            outcome,
            score,
            reason: reason.clone(),
        });
        match outcome {
            Outcome::Marginal if judge.latch.is_none() => judge.latch = latch,
            Outcome::Fail if on_fail == JudgeOnFail::Ask => judge.latch = latch,
            _ => {}
        }
        let who = Actor {
            name: "judge".into(),
            origin: None,
        };
        // The log says when the verdict changes; the score history keeps every interval.
        let previous = judge.previous_outcome;
        judge.previous_outcome = Some(outcome);
        if previous != Some(outcome) {
            self.record(fx, now, who.clone(), kind, format!("{} · {reason}", outcome.label()));
        }
        if outcome == Outcome::Fail && on_fail == JudgeOnFail::Rollback {
            let reason = format!(
                "canary judge failed the interval (score {}): {reason}",
                score_text(score)
            );
            self.start_rollback(who, reason, now, fx);
        }
    }

    fn stage_name(&self) -> &str {
        &self.plan.stages[self.stage].name
    }

    fn refuse(&mut self, fx: &mut Vec<Effect>, now: DateTime<Utc>, actor: Actor, msg: String) {
        self.record(fx, now, actor, EventKind::Refused, msg);
    }

    fn record(&mut self, fx: &mut Vec<Effect>, now: DateTime<Utc>, actor: Actor, event: EventKind, message: String) {
        let entry = LogEntry {
            time: now,
            actor,
            event,
            message,
            state: self.phase,
        };
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(entry.clone());
        self.recorded += 1;
        fx.push(Effect::Record(entry));
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

/// A gate's name as the operator reads it: its own name, or metric and bound.
pub fn gate_label(plan: &Plan, gate: usize) -> String {
    let g = &plan.gates[gate];
    if let Some(name) = &g.name {
        return name.clone();
    }
    format!("{} {}", g.metric, g.bounds().describe(""))
}

/// `4m05s`, `1h02m`, `12s`.
pub fn fmt_duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}
