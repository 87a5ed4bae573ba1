//! What the engine reacts to: operator commands, backend observations and clock ticks.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::deploy::RolloutProgress;
use super::live::{LiveFact, LiveSource};
use super::rollout_state::RolloutState;
use crate::plan::{Span, Weight};

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The clock moved; time-based rules (holds, `for` durations, staleness) are checked.
    Tick,
    Command(Command, Actor),
    Observe(Observation),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Tick (or untick) checklist item `item` of the current stage.
    ToggleItem {
        item: usize,
    },
    /// Sign the approval for `role` on the current stage.
    Approve {
        role: String,
    },
    /// Go from stage `from` to the next one now (the hold is cut short; gates must still
    /// pass). Naming the stage keeps a late confirmation from skipping a stage the release
    /// reached on its own meanwhile.
    Advance {
        from: usize,
    },
    Pause,
    Resume,
    /// Stop the release: all traffic back to the stable version.
    Abort,
    /// Abort and restore the previous version. Never refused.
    Rollback,
    /// Manual canary weight within stage `stage`'s bound (refused once the release has
    /// moved to another stage).
    SetWeight {
        weight: Weight,
        stage: usize,
    },
    /// Free text for the log and journal.
    Note(String),
}

/// A fact reported by a backend.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    /// One analysis sample of metric `metric` (index into the plan's metrics).
    Sample {
        metric: usize,
        canary: Reading,
        baseline: Reading,
        at: DateTime<Utc>,
    },
    /// The past, read once at start (a range query): history for the sparklines and the
    /// baseline's sigma bands, never evidence for a decision (see `evidence`).
    History(History),
    /// The router confirmed the canary weight it now serves.
    WeightApplied { actual: Weight },
    /// What the router served at start, read before anything changed.
    WeightFound { actual: Weight },
    /// The router could not apply or read the weight.
    RouterFailed { message: String },
    /// The previous version was restored (rollback completed on the platform side).
    PreviousRestored,
    /// The previous version could not be put back (the weight is another matter).
    RestoreFailed { message: String },
    /// The journal could not be written or synced: the release is no longer recorded.
    JournalFailed { message: String },
    /// The target's Lease could not be renewed, or another shipdeck holds it now: said,
    /// never waited on (a rollback goes on regardless).
    LeaseLost { message: String },
    /// The Lease was renewed again after being lost: this shipdeck drives the target.
    LeaseHeld,
    /// An Argo Rollout as watched: phase, steps, weights, pauses, its AnalysisRun.
    Rollout(Box<RolloutState>),
    /// A watch on the cluster says what an object holds now (or that it broke).
    Live { source: LiveSource, fact: LiveFact },
    /// Stage `stage`'s deploy: the image is set and the rollout stands here.
    DeployProgress { stage: usize, progress: RolloutProgress },
    /// Stage `stage`'s image could not be set or its rollout could not be read.
    DeployFailed { stage: usize, message: String },
}

/// What a metrics source read back of the time before the release started.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    /// How far back the source was asked to read.
    pub span: Span,
    /// Oldest first; a side the source had nothing for at that instant is `None`.
    pub points: Vec<PastPoint>,
    /// Why the source read back nothing (or less than asked), when it knows.
    pub problem: Option<String>,
}

/// One instant of one metric's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PastPoint {
    pub metric: usize,
    pub at: DateTime<Utc>,
    pub canary: Option<f64>,
    pub baseline: Option<f64>,
}

/// A metric value, or why there is none. Only `Value` can ever pass a gate.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    Value(f64),
    NoData(String),
}

impl Reading {
    /// The value as the source returned it, finite or not; `None` without one.
    pub fn raw(&self) -> Option<f64> {
        match self {
            Reading::Value(v) => Some(*v),
            Reading::NoData(_) => None,
        }
    }

    /// The value when it is a usable number.
    pub fn value(&self) -> Option<f64> {
        match self {
            Reading::Value(v) if v.is_finite() => Some(*v),
            _ => None,
        }
    }
}

/// Who caused an event: a person at a terminal, the simulated crew, or shipdeck itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    /// Where the person is connected from (the SSH client address), when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub origin: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            name: "shipdeck".into(),
            origin: None,
        }
    }

    pub fn person(name: impl Into<String>, origin: Option<String>) -> Actor {
        Actor {
            name: name.into(),
            origin,
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(o) => write!(f, "{} from {o}", self.name),
            None => f.write_str(&self.name),
        }
    }
}
