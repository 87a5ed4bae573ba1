//! What the cluster's objects really hold, as watched: the weight the router's object
//! carries and the ready pods of each version, beside what shipdeck asked for. A watch that
//! broke leaves its last word standing only as stale, never as current.

use std::fmt;

use chrono::{DateTime, Utc};

use super::deploy::RolloutProgress;
use crate::plan::Weight;

/// Which watch a report comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LiveSource {
    /// The object whose weights (or selector) route the traffic.
    Router,
    /// The stable version's pods.
    StablePods,
    /// The canary's pods.
    CanaryPods,
}

impl LiveSource {
    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for LiveSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LiveSource::Router => "the router's object",
            LiveSource::StablePods => "the stable pods",
            LiveSource::CanaryPods => "the canary's pods",
        })
    }
}

/// One watch's news.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveFact {
    /// The router's object routes this share to the canary.
    Weight(Weight),
    /// Pods of one version: how many are ready, of how many.
    Pods { ready: u32, total: u32 },
    /// A Deployment rolled in batches: how far its rollout is.
    Rollout(RolloutProgress),
    /// The object is there but says something shipdeck cannot read as a weight.
    Unreadable(String),
    /// The watch broke (or the object went away): what it said last is no longer current.
    Lost(String),
}

/// What one watch said last, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub fact: LiveFact,
    pub at: DateTime<Utc>,
    /// The last fact that was not a loss, kept to show (as stale) while the watch is down.
    pub last_good: Option<LiveFact>,
    /// Since when the watch is down, while it is.
    pub lost_since: Option<DateTime<Utc>>,
}

/// Every watch's last word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveState {
    seen: [Option<Seen>; 3],
}

/// How a report changed the picture, for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveChange {
    Nothing,
    /// The watch broke just now.
    Lost(String),
    /// The watch is back after a loss.
    Back,
    /// Something new to say (first report, or a fact that changed).
    News,
}

impl LiveState {
    pub fn apply(&mut self, source: LiveSource, fact: LiveFact, now: DateTime<Utc>) -> LiveChange {
        let slot = &mut self.seen[source.index()];
        let was_lost = slot.as_ref().and_then(|s| s.lost_since);
        let last_good = slot.as_ref().and_then(|s| s.last_good.clone());
        let changed = slot.as_ref().is_none_or(|s| s.fact != fact);
        let change = match (&fact, was_lost) {
            (LiveFact::Lost(why), None) => LiveChange::Lost(why.clone()),
            (LiveFact::Lost(_), Some(_)) => LiveChange::Nothing,
            (_, Some(_)) => LiveChange::Back,
            _ if changed => LiveChange::News,
            _ => LiveChange::Nothing,
        };
        let lost_since = match fact {
            LiveFact::Lost(_) => Some(was_lost.unwrap_or(now)),
            _ => None,
        };
        let last_good = match &fact {
            LiveFact::Lost(_) => last_good,
            good => Some(good.clone()),
        };
        *slot = Some(Seen {
            fact,
            at: now,
            last_good,
            lost_since,
        });
        change
    }

    pub fn get(&self, source: LiveSource) -> Option<&Seen> {
        self.seen[source.index()].as_ref()
    }

    /// The weight the router's object holds now, when its watch is up and reads one.
    pub fn weight(&self) -> Option<Weight> {
        match self.get(LiveSource::Router)?.fact {
            LiveFact::Weight(w) => Some(w),
            _ => None,
        }
    }

    /// Whether any watch is down now.
    pub fn any_lost(&self) -> bool {
        self.seen.iter().flatten().any(|s| s.lost_since.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_watch_keeps_its_last_word_only_as_stale_and_says_when_it_is_back() {
        let t = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut live = LiveState::default();
        let w25 = LiveFact::Weight(Weight::new(25).unwrap());
        assert_eq!(live.apply(LiveSource::Router, w25.clone(), t), LiveChange::News);
        assert_eq!(live.apply(LiveSource::Router, w25.clone(), t), LiveChange::Nothing);
        assert_eq!(live.weight(), Weight::new(25));
        let lost = LiveFact::Lost("watch: connection refused".into());
        assert_eq!(
            live.apply(LiveSource::Router, lost.clone(), t),
            LiveChange::Lost("watch: connection refused".into())
        );
        assert_eq!(
            live.apply(LiveSource::Router, lost, t + chrono::Duration::seconds(5)),
            LiveChange::Nothing
        );
        assert_eq!(live.weight(), None, "a lost watch says no weight");
        let seen = live.get(LiveSource::Router).unwrap();
        assert_eq!((seen.last_good.clone(), seen.lost_since), (Some(w25.clone()), Some(t)));
        assert!(live.any_lost());
        assert_eq!(
            live.apply(LiveSource::Router, w25, t + chrono::Duration::seconds(9)),
            LiveChange::Back
        );
        assert!(!live.any_lost());
    }
}
