//! Progress on a stage's entry requirements: who ticked or signed what, and when.

use chrono::{DateTime, Utc};

use super::event::Actor;

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

    pub(crate) fn complete(&self) -> bool {
        self.open_items() == 0 && self.approvals.iter().all(|(_, s)| s.is_some())
    }
}
