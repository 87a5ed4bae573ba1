//! The release state machine: where every go, hold, promotion and rollback is decided.
//! Pure: it takes events and the current time, and returns effects. No I/O, no clock.
//!
//! ```text
//! mod.rs          the Release, its start, handling one event, the log it keeps
//! view.rs         what it shows (read-only)
//! refusals.rs     whether a command can run now, and why not
//! commands.rs     what a person asks for, once allowed
//! observe.rs      what the backends report (but samples)
//! watch.rs        one live sample: evidence and gates
//! triggers.rs     the rollback triggers: where an automatic rollback is decided
//! rollback.rs     rolling back, from any state
//! progression.rs  go, holding, advancing, promotion
//! deploying.rs    a stage's image rolled out before its weight moves
//! staleness.rs    hold time and stale data
//! holds.rs        why it is not moving on
//! judge.rs        the canary judge's interval: the other automatic rollback
//! live_watch.rs   what the cluster's watches report, and traffic changed elsewhere
//! ```

mod commands;
mod deploying;
mod holds;
mod judge;
mod live_watch;
mod observe;
mod progression;
mod refusals;
mod rollback;
mod staleness;
mod triggers;
mod view;
mod watch;

pub use deploying::Deploying;
pub use triggers::RollbackComing;

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::effect::{Effect, EventKind, LogEntry};
use super::event::{Actor, Event};
use super::evidence::Moments;
use super::gate::Watch;
use super::judging::JudgeRun;
use super::live::LiveState;
use super::metric::MetricState;
use super::phase::{HoldReason, PhaseName, Step};
use super::progress::StageProgress;
use super::rollout_state::RolloutState;
use crate::plan::{Plan, ValidPlan, Weight};

/// Log lines kept in memory; the journal on disk keeps all of them.
pub const LOG_CAPACITY: usize = 5000;

#[derive(Debug, Clone)]
pub struct Release {
    pub(in crate::engine) plan: Arc<ValidPlan>,
    pub(in crate::engine) release_approvals: Vec<String>,
    pub(in crate::engine) go_stage: usize,
    pub(in crate::engine) phase: PhaseName,
    pub(in crate::engine) stage: usize,
    pub(in crate::engine) step: Step,
    pub(in crate::engine) holds: Vec<HoldReason>,
    pub(in crate::engine) hold_elapsed: Duration,
    /// When the canary's exposure and the current weight's hold began: which live samples
    /// count for gates and triggers (see `evidence`).
    pub(in crate::engine) moments: Moments,
    pub(in crate::engine) started_at: DateTime<Utc>,
    pub(in crate::engine) go_at: Option<DateTime<Utc>>,
    pub(in crate::engine) finished_at: Option<DateTime<Utc>>,
    pub(in crate::engine) last_seen: DateTime<Utc>,
    pub(in crate::engine) progress: Vec<StageProgress>,
    pub(in crate::engine) desired: Weight,
    pub(in crate::engine) actual: Option<Weight>,
    pub(in crate::engine) manual_weight: Option<Weight>,
    pub(in crate::engine) router_error: Option<String>,
    /// What the cluster's watches say the objects hold.
    pub(in crate::engine) live: LiveState,
    /// A rollback's undo (an Argo Rollout's) not answered yet: the rollback ends after it.
    pub(in crate::engine) restore_pending: bool,
    /// The Argo Rollout as last watched.
    pub(in crate::engine) rollout: Option<Box<RolloutState>>,
    /// Since when the router's object routes otherwise than the confirmed weight.
    pub(in crate::engine) live_mismatch_since: Option<DateTime<Utc>>,
    /// The current stage's deploy, while its weight waits for it.
    pub(in crate::engine) deploying: Option<Deploying>,
    /// The last word on a lost Lease, so a lasting problem is said once.
    pub(in crate::engine) lease_problem: Option<String>,
    pub(in crate::engine) metrics: Vec<MetricState>,
    pub(in crate::engine) gates: Vec<Watch>,
    pub(in crate::engine) triggers: Vec<Watch>,
    /// The metric each gate and trigger watches, resolved once: samples and ticks then
    /// compare indices, not names.
    pub(in crate::engine) gate_metric: Vec<Option<usize>>,
    pub(in crate::engine) trigger_metric: Vec<Option<usize>>,
    /// The canary judge, when the plan has one.
    pub(in crate::engine) judge: Option<JudgeRun>,
    pub(in crate::engine) rollback_reason: Option<String>,
    /// The journal failed: nothing but a move to 0% may happen unrecorded.
    pub(in crate::engine) journal_failure: Option<String>,
    pub(in crate::engine) log: VecDeque<LogEntry>,
    /// Entries recorded since the start, including those the bounded log has dropped.
    pub(in crate::engine) recorded: u64,
}

impl Release {
    /// A release at its first stage. Returns the journal entry for its start.
    pub fn new(plan: Arc<ValidPlan>, now: DateTime<Utc>) -> (Release, Vec<Effect>) {
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
            lease_problem: None,
            deploying: None,
            live: LiveState::default(),
            live_mismatch_since: None,
            rollout: None,
            restore_pending: false,
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
    pub(in crate::engine) fn stamp_state(&mut self, fx: &mut [Effect]) {
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

    pub(in crate::engine) fn stage_name(&self) -> &str {
        &self.plan.stages[self.stage].name
    }

    pub(in crate::engine) fn refuse(&mut self, fx: &mut Vec<Effect>, now: DateTime<Utc>, actor: Actor, msg: String) {
        self.record(fx, now, actor, EventKind::Refused, msg);
    }

    pub(in crate::engine) fn record(
        &mut self,
        fx: &mut Vec<Effect>,
        now: DateTime<Utc>,
        actor: Actor,
        event: EventKind,
        message: String,
    ) {
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

/// A gate's name as the operator reads it: its own name, or metric and bound.
pub fn gate_label(plan: &Plan, gate: usize) -> String {
    let g = &plan.gates[gate];
    if let Some(name) = &g.name {
        return name.clone();
    }
    format!("{} {}", g.metric, g.bounds().describe(""))
}
