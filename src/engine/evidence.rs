//! Which samples may decide: the one place that says what the engine does with a sample,
//! by when it was taken. A decision rests only on what the canary does in this release,
//! now; everything else is history, drawn but never counted.
//!
//! | a sample taken ...                                  | series | data age | gates | triggers |
//! |-----------------------------------------------------|--------|----------|-------|----------|
//! | before the release started (read back at start)     | history¹ | no     | no    | no       |
//! | after the engine's present (a clock running ahead)  | no²    | no       | no    | no       |
//! | before the metric's newest live sample (late)       | yes³   | no       | no    | no       |
//! | live, before the canary's current exposure          | yes    | yes⁴     | no    | no       |
//! | live, while exposed, before the current weight held | yes    | yes      | no    | yes      |
//! | live, at the current weight                         | yes    | yes      | yes   | yes      |
//!
//! 1. Drawn as history; the baseline side may serve a sigma band's baseline history.
//! 2. Reported once per metric until a usable sample comes.
//! 3. Kept at its time: the judge's windows take the values of their time span, whenever
//!    they arrived. A late sample never moves a gate's or a trigger's breach clock, so it
//!    cannot fire a trigger or pass a gate on its own.
//! 4. Only until the canary is exposed: from then on the data's age is that of the current
//!    exposure's newest sample.
//!
//! "Exposed" means the router confirmed a canary weight above 0% after go; a trigger's
//! `for` counts only samples of the current exposure (its breach clock restarts with it).
//! The judge's windows start when the current weight's hold began (see `judging`), and the
//! data's age is the age of the newest live sample, of the canary's side while exposed.

use chrono::{DateTime, Utc};

/// How the engine takes one sample of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Taken before the release started: drawn, never decides.
    History,
    /// Stamped after the engine's present: not kept, reported.
    Ahead,
    /// Taken before the metric's newest live sample: kept, decides nothing itself.
    Late,
    /// The metric's newest sample: sets the data's age and may feed gates and triggers.
    Live,
}

/// Where a sample taken `at` stands, for a release started at `started`, whose metric's
/// newest live sample was taken at `newest_live`, handled at `now`.
pub fn standing(
    at: DateTime<Utc>,
    started: DateTime<Utc>,
    newest_live: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Standing {
    if at < started {
        Standing::History
    } else if at > now {
        Standing::Ahead
    } else if newest_live.is_some_and(|newest| at < newest) {
        Standing::Late
    } else {
        Standing::Live
    }
}

/// The moments that decide which live samples count for what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Moments {
    /// When the router confirmed the canary's current exposure (a weight above 0% after
    /// go); none while the canary serves nothing.
    pub exposed_since: Option<DateTime<Utc>>,
    /// When the current stage's weight was confirmed and its hold began.
    pub holding_since: Option<DateTime<Utc>>,
}

impl Moments {
    /// Whether a live sample taken `at` may move the gates: only samples of the current
    /// weight say how the canary does at it.
    pub fn for_gates(&self, at: DateTime<Utc>) -> bool {
        self.holding_since.is_some_and(|since| at >= since)
    }

    /// Whether a live sample taken `at` may move the rollback triggers: only samples taken
    /// while the canary served traffic in this exposure.
    pub fn for_triggers(&self, at: DateTime<Utc>) -> bool {
        self.exposed_since.is_some_and(|since| at >= since)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(s)
    }

    #[test]
    fn a_sample_stands_by_its_time() {
        let started = t(100);
        let now = t(200);
        assert_eq!(standing(t(99), started, None, now), Standing::History);
        assert_eq!(standing(t(99), started, Some(t(150)), now), Standing::History);
        assert_eq!(standing(t(201), started, None, now), Standing::Ahead);
        assert_eq!(
            standing(t(150), started, Some(t(150)), now),
            Standing::Live,
            "a second reading of the newest instant"
        );
        assert_eq!(standing(t(140), started, Some(t(150)), now), Standing::Late);
        assert_eq!(standing(t(151), started, Some(t(150)), now), Standing::Live);
        assert_eq!(standing(t(100), started, None, now), Standing::Live);
        assert_eq!(standing(t(200), started, None, now), Standing::Live);
    }

    #[test]
    fn gates_count_the_current_weight_and_triggers_the_current_exposure() {
        let moments = Moments {
            exposed_since: Some(t(10)),
            holding_since: Some(t(50)),
        };
        assert!(!moments.for_triggers(t(9)) && moments.for_triggers(t(10)));
        assert!(!moments.for_gates(t(49)) && moments.for_gates(t(50)));
        let unexposed = Moments::default();
        assert!(!unexposed.for_triggers(t(1_000)) && !unexposed.for_gates(t(1_000)));
    }
}
