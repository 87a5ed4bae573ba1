//! Where a release stands.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::format::fmt_score;
use crate::plan::{Span, Weight};

/// The release state as the header shows it and the journal records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseName {
    /// Before go: the first stage's checklist and approvals are being completed.
    Pending,
    Running,
    Paused,
    /// Not advancing, with reasons (see `Release::holds`).
    Held,
    /// Promoted: the new version serves all traffic.
    Done,
    Aborted,
    RollingBack,
    RolledBack,
}

impl PhaseName {
    pub fn label(self) -> &'static str {
        match self {
            PhaseName::Pending => "PENDING",
            PhaseName::Running => "RUNNING",
            PhaseName::Paused => "PAUSED",
            PhaseName::Held => "HELD",
            PhaseName::Done => "PROMOTED",
            PhaseName::Aborted => "ABORTED",
            PhaseName::RollingBack => "ROLLING BACK",
            PhaseName::RolledBack => "ROLLED BACK",
        }
    }

    /// True while the release can still change traffic by itself.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            PhaseName::Pending | PhaseName::Running | PhaseName::Paused | PhaseName::Held | PhaseName::RollingBack
        )
    }

    /// Finished, or on its way back to stable: nothing moves forward any more.
    pub fn is_over(self) -> bool {
        self.is_final() || self == PhaseName::RollingBack
    }

    pub fn is_final(self) -> bool {
        matches!(self, PhaseName::Done | PhaseName::Aborted | PhaseName::RolledBack)
    }
}

impl fmt::Display for PhaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where the current stage is in its own sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Checklist items and approvals are open; no traffic change yet.
    Preparing,
    /// The stage's image is being rolled out; its weight waits for the pods.
    Deploying,
    /// The stage's weight was requested; waiting for the router to confirm it.
    Shifting,
    /// Traffic is in place; the hold runs while gates pass.
    Holding,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Preparing => "preparing",
            Step::Deploying => "deploying",
            Step::Shifting => "shifting traffic",
            Step::Holding => "holding",
        }
    }
}

/// Why the release is not advancing.
#[derive(Debug, Clone, PartialEq)]
pub enum HoldReason {
    ChecklistOpen {
        open: usize,
    },
    ApprovalPending {
        roles: Vec<String>,
    },
    RouterFailing {
        message: String,
    },
    NoData {
        metric: String,
        why: String,
    },
    Stale {
        metric: String,
        age_secs: i64,
    },
    GateFailing {
        gate: String,
    },
    TriggerFired {
        trigger: String,
    },
    /// The canary judge scored the interval marginal: the operator decides.
    JudgeMarginal {
        score: f64,
    },
    /// The canary judge failed the interval and the plan asks before rolling back.
    JudgeFailed {
        score: f64,
        why: String,
    },
    /// The canary judge had too little data to score the interval.
    JudgeNoData {
        why: String,
        /// When that interval was judged: newer data only counts at the next one.
        judged_at: DateTime<Utc>,
    },
    /// A person set the canary weight by hand: only a person moves the release on.
    ManualWeight {
        weight: Weight,
        stage: Weight,
    },
    /// The journal cannot be written: nothing that would go unrecorded may happen.
    JournalFailing {
        message: String,
    },
    /// The target's Lease could not be renewed: another shipdeck may drive the target, so
    /// this one moves nothing forward (a rollback still goes).
    LeaseLost {
        message: String,
    },
    /// The stage's image could not be set, or its rollout could not be read.
    DeployFailing {
        deployment: String,
        message: String,
    },
    /// The router's object routes another share than the weight this release set and the
    /// router confirmed: someone else changed the traffic.
    ChangedElsewhere {
        holds: Weight,
        set: Weight,
    },
    /// The stage's rollout took longer than the plan's `deploy.timeout`.
    DeployTooSlow {
        deployment: String,
        timeout: Span,
        progress: String,
    },
}

impl fmt::Display for HoldReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HoldReason::ChecklistOpen { open } => {
                write!(f, "checklist: {open} item{} open", if *open == 1 { "" } else { "s" })
            }
            HoldReason::ApprovalPending { roles } => write!(f, "approval pending: {}", roles.join(", ")),
            HoldReason::RouterFailing { message } => write!(f, "router not confirming the weight: {message}"),
            HoldReason::NoData { metric, why } => write!(f, "{metric}: no data ({why})"),
            HoldReason::Stale { metric, age_secs } => write!(f, "{metric}: data stale ({age_secs}s old)"),
            HoldReason::GateFailing { gate } => write!(f, "gate failing: {gate}"),
            HoldReason::TriggerFired { trigger } => {
                write!(
                    f,
                    "rollback trigger fired: {trigger}: a person decides whether to roll back"
                )
            }
            HoldReason::JudgeMarginal { score } => write!(
                f,
                "canary judge marginal (score {}): a person decides to advance or to roll back",
                fmt_score(*score)
            ),
            HoldReason::JudgeFailed { score, why } => write!(
                f,
                "canary judge failed (score {}): {why}; waiting for a rollback",
                fmt_score(*score)
            ),
            HoldReason::JudgeNoData { why, judged_at } => write!(
                f,
                "canary judge at {}: {why}; the next interval decides",
                judged_at.format("%H:%M:%S")
            ),
            HoldReason::ManualWeight { weight, stage } => write!(
                f,
                "manual weight {weight} in force (stage weight {stage}): the release moves on only by hand"
            ),
            HoldReason::JournalFailing { message } => {
                write!(
                    f,
                    "{message}: the release is not recorded (only a rollback or an abort moves traffic)"
                )
            }
            HoldReason::LeaseLost { message } => write!(f, "{message}; nothing moves forward until it is ours again"),
            HoldReason::ChangedElsewhere { holds, set } => write!(
                f,
                "the router's object routes {holds} to the canary, not the {set} this release set: someone else \
                 changed the traffic; nothing moves forward until it routes {set} again"
            ),
            HoldReason::DeployFailing { deployment, message } => {
                write!(f, "deploy to Deployment {deployment} failing: {message}")
            }
            HoldReason::DeployTooSlow {
                deployment,
                timeout,
                progress,
            } => write!(
                f,
                "Deployment {deployment} not ready after {timeout} ({progress}): check its pods (kubectl \
                 describe deployment {deployment}); it goes on once they are available"
            ),
        }
    }
}
