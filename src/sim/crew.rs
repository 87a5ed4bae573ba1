//! The simulated crew: in a demo, colleagues tick checklist items and sign approvals a
//! few (virtual) seconds apart, so the whole release plays by itself. Every action is
//! logged under a name that says it was simulated.

use chrono::{DateTime, Duration, Utc};

use super::noise::gaussian;
use crate::engine::{Actor, Command, Release, Step};

#[derive(Debug, Clone)]
pub struct Crew {
    seed: u64,
    next_at: Option<DateTime<Utc>>,
    acted: i64,
}

impl Crew {
    pub fn new(seed: u64) -> Crew {
        Crew {
            seed,
            next_at: None,
            acted: 0,
        }
    }

    /// The crew's next action, if one is due at `now`.
    pub fn act(&mut self, release: &Release, now: DateTime<Utc>) -> Option<(Command, Actor)> {
        if !release.phase().is_live() || release.step() != Step::Preparing {
            self.next_at = None;
            return None;
        }
        let progress = release.progress(release.stage())?;
        let first = now + self.pause(self.acted);
        let due = *self.next_at.get_or_insert(first);
        if now < due {
            return None;
        }
        self.acted += 1;
        self.next_at = Some(now + self.pause(self.acted));
        if let Some(item) = progress.items.iter().position(|i| i.is_none()) {
            return Some((Command::ToggleItem { item }, crew_member("dana")));
        }
        let (role, _) = progress.approvals.iter().find(|(_, s)| s.is_none())?;
        Some((Command::Approve { role: role.clone() }, crew_member(&approver(role))))
    }

    /// 4 to 10 virtual seconds between actions.
    fn pause(&self, n: i64) -> Duration {
        let jitter = gaussian(self.seed, 0xC4E3, n).clamp(-1.5, 1.5);
        Duration::milliseconds((7000.0 + 2000.0 * jitter) as i64)
    }
}

fn crew_member(name: &str) -> Actor {
    Actor::person(format!("{name} (sim crew)"), None)
}

/// A plausible colleague for each role.
fn approver(role: &str) -> String {
    match role {
        "lead" => "lee".into(),
        "security" => "sasha".into(),
        "team" => "kim".into(),
        "cto" => "morgan".into(),
        "qa" => "quinn".into(),
        other => format!("{other}-approver"),
    }
}
