//! The gates and rollback triggers on a metric, one row each: status word, name, threshold
//! and what the watch last said (or why it is idle), in columns shared by every metric.

use ratatui::text::{Line, Span};

use crate::engine::{GateStatus, Release, Rest, Watch, gate_label};
use crate::plan::{Bounds, Plan, Span as PlanSpan, TriggerAction};
use crate::ui::draw::Ctx;
use crate::ui::text::{fit, pad, width};
use crate::ui::theme::{gate_badge, trigger_badge};

/// Indent and status-word column in front of the name.
const INDENT: usize = 3;
const BADGE: usize = 10;

/// How many rows metric `index` has: its gates, then its triggers.
pub fn count(plan: &Plan, index: usize) -> usize {
    let name = &plan.metrics[index].name;
    plan.gates.iter().filter(|g| &g.metric == name).count()
        + plan.rollback.triggers.iter().filter(|t| &t.metric == name).count()
}

/// Widths of the name and threshold columns, shared by every metric so they line up, and
/// whether the pane is too narrow for a separate reason column.
pub struct GateColumns {
    name_w: usize,
    thr_w: usize,
    compact: bool,
}

impl GateColumns {
    pub fn new(plan: &Plan, w: usize) -> GateColumns {
        let unit = |metric: &str| {
            plan.metrics
                .iter()
                .find(|m| m.name == metric)
                .map_or("", |m| m.unit.as_str())
        };
        let mut name_w = 0;
        let mut thr_w = 0;
        for (g, gate) in plan.gates.iter().enumerate() {
            name_w = name_w.max(width(&gate_label(plan, g)));
            thr_w = thr_w.max(width(&bounds_text(&gate.bounds(), unit(&gate.metric), gate.sustain)));
        }
        for tr in &plan.rollback.triggers {
            name_w = name_w.max(width(&tr.name) + 2);
            thr_w = thr_w.max(width(&bounds_text(&tr.bounds(), unit(&tr.metric), tr.sustain)));
        }
        let thr_w = thr_w.min(22);
        // All four columns when names get at least 20 cells and the reason 22; otherwise the
        // threshold and the reason share one column.
        let fixed = INDENT + BADGE + 2 + thr_w + 2;
        if w >= fixed + 20 + 22 {
            GateColumns {
                name_w: name_w.min(w - fixed - 22),
                thr_w,
                compact: false,
            }
        } else {
            GateColumns {
                name_w: name_w.min(w.saturating_sub(INDENT + BADGE + 2 + thr_w.max(20)).max(10)),
                thr_w,
                compact: true,
            }
        }
    }
}

/// A gate or a trigger as its row shows it.
struct Check<'a> {
    name: String,
    threshold: String,
    watch: &'a Watch,
    /// What the row says while the watch has nothing to say.
    why_idle: &'static str,
    trigger: bool,
}

/// The rows of the gates, then the triggers, on metric `index`, `w` cells wide.
pub fn rows(ctx: &Ctx, index: usize, w: usize, columns: &GateColumns) -> Vec<Line<'static>> {
    let idle = Watch::default();
    checks(ctx.release, index, &idle)
        .iter()
        .map(|check| row(ctx, check, w, columns))
        .collect()
}

fn checks<'a>(r: &'a Release, index: usize, idle: &'a Watch) -> Vec<Check<'a>> {
    let plan = r.plan();
    let metric = &plan.metrics[index];
    let mut out = Vec::new();
    for (g, gate) in plan.gates.iter().enumerate().filter(|(_, g)| g.metric == metric.name) {
        let why_idle = r.gate_rest(g).map_or("", |rest| match rest {
            Rest::NoBaselineAtFull => "no baseline at 100%",
            Rest::NotAnalysed => "not analysed at this stage",
            Rest::NoCanaryTraffic => "no canary traffic yet",
            Rest::WaitingForSample => "waiting for a sample at this weight",
        });
        out.push(Check {
            name: gate_label(plan, g),
            threshold: bounds_text(&gate.bounds(), &metric.unit, gate.sustain),
            watch: r.gate(g).unwrap_or(idle),
            why_idle,
            trigger: false,
        });
    }
    let triggers = plan.rollback.triggers.iter().enumerate();
    for (k, tr) in triggers.filter(|(_, t)| t.metric == metric.name) {
        let why_idle = match tr.action {
            _ if r.trigger_rest(k) == Some(Rest::NoBaselineAtFull) => "no baseline at 100%",
            TriggerAction::Auto => "rolls back by itself",
            TriggerAction::Manual => "asks you to roll back",
        };
        out.push(Check {
            name: format!("⚑ {}", tr.name),
            threshold: bounds_text(&tr.bounds(), &metric.unit, tr.sustain),
            watch: r.trigger(k).unwrap_or(idle),
            why_idle,
            trigger: true,
        });
    }
    out
}

fn row(ctx: &Ctx, check: &Check, w: usize, columns: &GateColumns) -> Line<'static> {
    let t = ctx.theme;
    let &GateColumns { name_w, thr_w, compact } = columns;
    let watch = check.watch;
    let detail = if watch.detail.is_empty() || matches!(watch.status, GateStatus::Idle | GateStatus::Waiting) {
        check.why_idle
    } else {
        watch.detail.as_str()
    };
    let status_style = t.gate(watch.status);
    let detail_style = if watch.status == GateStatus::Fail {
        status_style
    } else {
        t.text
    };
    let mut spans = vec![
        Span::raw(" ".repeat(INDENT)),
        Span::styled(
            pad(
                if check.trigger {
                    trigger_badge(watch.status)
                } else {
                    gate_badge(watch.status)
                },
                BADGE,
            ),
            status_style,
        ),
        Span::styled(pad(&check.name, name_w), t.text),
        Span::raw("  "),
    ];
    if compact {
        // Narrow: the threshold while all is well, else why (which names the bound).
        let calm = matches!(watch.status, GateStatus::Pass | GateStatus::Idle | GateStatus::Waiting);
        let rest = w.saturating_sub(INDENT + BADGE + name_w + 2 + 1);
        if calm {
            spans.push(Span::styled(fit(&check.threshold, rest).into_owned(), t.muted));
        } else {
            spans.push(Span::styled(fit(detail, rest).into_owned(), detail_style));
        }
    } else {
        spans.push(Span::styled(pad(&check.threshold, thr_w), t.muted));
        spans.push(Span::raw("  "));
        let rest = w.saturating_sub(INDENT + BADGE + name_w + 2 + thr_w + 2 + 1);
        spans.push(Span::styled(fit(detail, rest).into_owned(), detail_style));
    }
    Line::from(spans)
}

/// `max 0.5% for 1m`, `max base×1.5 for 2m`.
pub fn bounds_text(b: &Bounds, unit: &str, sustain: PlanSpan) -> String {
    let mut text = b.describe(unit);
    if sustain.as_secs() > 0 {
        text.push_str(&format!(" for {sustain}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_read_as_words() {
        let b = Bounds {
            max: Some(0.5),
            max_ratio: Some(1.5),
            ..Bounds::default()
        };
        assert_eq!(
            bounds_text(&b, "%", PlanSpan::secs(60)),
            "max 0.5%, max base×1.5 for 1m"
        );
    }
}
