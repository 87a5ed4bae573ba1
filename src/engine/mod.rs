//! The release engine: a deterministic state machine over a plan. No I/O, no clock reads.

pub mod data;
pub mod deploy;
pub mod effect;
pub mod event;
pub mod evidence;
pub mod gate;
pub mod judging;
pub mod live;
pub mod metric;
pub mod phase;
pub mod progress;
pub mod release;
pub mod rollout_state;
pub mod series;

pub use data::DataStatus;
pub use deploy::{DeployOrder, RolloutProgress};
pub use effect::{Effect, EventKind, LogEntry, Severity};
pub use event::{Actor, Command, Event, History, Observation, PastPoint, Reading};
pub use gate::{GateStatus, Rest, Watch};
pub use live::{LiveFact, LiveSource, LiveState};
pub use phase::{HoldReason, PhaseName, Step};
pub use release::{Release, RollbackComing, gate_label};
