//! The traffic pane's "live" lines: what the watched objects hold now (the weight the
//! router's object routes, each version's ready pods), beside what the router confirmed.
//! A broken watch shows as STALE with its age, never as a current value.

use chrono::{DateTime, Utc};
use ratatui::text::{Line, Span};

use crate::engine::{LiveFact, LiveSource, Release};
use crate::format::fmt_duration;
use crate::ui::text::fit;
use crate::ui::theme::Theme;

/// The live lines; none when nothing is watched (the simulator, HAProxy).
pub fn live_lines(r: &Release, now: DateTime<Utc>, t: &Theme, width: usize) -> Vec<Line<'static>> {
    let live = r.live();
    let mut lines = Vec::with_capacity(2);
    if let Some(seen) = live.get(LiveSource::Router) {
        let (text, style) = match (&seen.fact, &seen.last_good) {
            (LiveFact::Lost(why), last) => {
                let age = fmt_duration(now - seen.lost_since.unwrap_or(seen.at));
                let held = match last {
                    Some(LiveFact::Weight(w)) => format!("; it last routed {w}"),
                    _ => String::new(),
                };
                (format!(" live      ✖ STALE for {age}: {why}{held}"), t.danger)
            }
            (LiveFact::Weight(w), _) => match r.actual_weight() {
                Some(actual) if actual != *w => (
                    format!(" live      ⚠ the object routes {w}, not the {actual} confirmed"),
                    t.warning,
                ),
                _ => (
                    format!(" live      ✔ the object routes {w} to the canary (watched)"),
                    t.success,
                ),
            },
            (LiveFact::Unreadable(why), _) => (format!(" live      ? {why}"), t.warning),
            (LiveFact::Rollout(p), _) => (format!(" rollout   {p} (watched)"), t.text),
            (LiveFact::Pods { .. }, _) => (String::new(), t.text),
        };
        if !text.is_empty() {
            lines.push(Line::from(Span::styled(fit(&text, width).into_owned(), style)));
        }
    }
    let mut spans = Vec::new();
    for (source, name) in [(LiveSource::StablePods, "stable"), (LiveSource::CanaryPods, "canary")] {
        let Some(seen) = live.get(source) else { continue };
        let (text, style) = match (&seen.fact, &seen.last_good) {
            (LiveFact::Pods { ready, total }, _) => {
                let style = if ready == total { t.text } else { t.warning };
                (format!("{name} {ready}/{total}"), style)
            }
            (LiveFact::Lost(_), Some(LiveFact::Pods { ready, total })) => {
                let age = fmt_duration(now - seen.lost_since.unwrap_or(seen.at));
                (format!("{name} ✖ STALE {age} (was {ready}/{total})"), t.danger)
            }
            (LiveFact::Lost(_), _) => (format!("{name} ✖ not watched"), t.danger),
            (LiveFact::Unreadable(why), _) => (format!("{name} ? {why}"), t.warning),
            (LiveFact::Weight(_) | LiveFact::Rollout(_), _) => continue,
        };
        spans.push(Span::styled(
            if spans.is_empty() {
                format!(" ready     {text}")
            } else {
                format!(" · {text}")
            },
            style,
        ));
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
}
