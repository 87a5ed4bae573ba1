//! What the engine asks the runtime to do, and the log entries it records.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::deploy::DeployOrder;
use super::event::Actor;
use super::phase::PhaseName;
use crate::plan::Weight;

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Route this share of traffic to the canary.
    SetWeight(Weight),
    /// Put the previous version back in place (rollback).
    RestorePrevious { version: String },
    /// Set an image and report the Deployment's rollout until it completes.
    Deploy(DeployOrder),
    /// Stop reporting on a deploy: the release moved past it or is going back.
    StopDeploy,
    /// Pause (or resume) a target that moves by itself (an Argo Rollout's steps).
    PauseTarget(bool),
    /// Append to the journal (and the deployment log).
    Record(LogEntry),
}

/// One line of the deployment log and of the journal.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogEntry {
    pub time: DateTime<Utc>,
    pub actor: Actor,
    pub event: EventKind,
    pub message: String,
    /// The release state after the event.
    pub state: PhaseName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Started,
    /// The metrics source's history was read at start: one entry for all of it.
    Backfilled,
    ItemTicked,
    ItemUnticked,
    Approved,
    Go,
    StageEntered,
    WeightRequested,
    WeightApplied,
    RouterFailed,
    /// A gate changed to passing (or idle).
    GateChanged,
    /// A gate is breached but not yet for its `for` duration, or has no fresh data.
    GateWarning,
    GateFailed,
    TriggerFired,
    /// The canary judge scored an interval: pass, marginal, fail or no data.
    JudgePass,
    JudgeMarginal,
    JudgeFail,
    JudgeNoData,
    Held,
    Resumed,
    Paused,
    Advanced,
    Promoted,
    Aborted,
    RollbackStarted,
    RolledBack,
    Refused,
    Note,
    /// The journal failed: the release holds; only a rollback or an abort moves traffic.
    JournalFailed,
    /// The Lease that says who drives the target could not be renewed, or another holds it.
    LeaseLost,
    /// A stage set a new image on a Deployment and waits for its pods.
    DeployStarted,
    /// The rollout moved on (pods updated or available).
    DeployProgress,
    /// Every pod runs the new image and is available.
    Deployed,
    /// A watch on the cluster broke: what it showed is stale until it is back.
    WatchLost,
    /// The image could not be set, or the rollout took longer than the plan allows.
    DeployFailed,
}

impl EventKind {
    /// Entries that record a decision: forced to disk as soon as they are written.
    pub fn is_decision(self) -> bool {
        use EventKind::*;
        matches!(
            self,
            Go | Approved
                | DeployStarted
                | Advanced
                | StageEntered
                | Promoted
                | Aborted
                | RollbackStarted
                | RolledBack
                | TriggerFired
                | JudgeMarginal
                | JudgeFail
        )
    }

    /// How the event reads in the log pane, and its severity for colouring.
    pub fn severity(self) -> Severity {
        use EventKind::*;
        match self {
            RouterFailed | TriggerFired | GateFailed | JudgeFail | Aborted | RollbackStarted | RolledBack
            | JournalFailed => Severity::Danger,
            Held | Refused | Paused | GateWarning | JudgeMarginal | JudgeNoData | LeaseLost | DeployFailed
            | WatchLost => Severity::Warning,
            Promoted | Go | Deployed => Severity::Success,
            _ => Severity::Info,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Info,
    Success,
    Warning,
    Danger,
}
