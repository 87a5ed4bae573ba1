//! The header band: what is being released, where it stands, how long until the next
//! automatic step, whether the backends are healthy, and why it is not moving if it is not.

use chrono::Duration;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::data_status::data_span;
use super::draw::{Ctx, GRID_WIDTH};
use super::hold_words;
use super::keys::{Action, key_for};
use super::row::{from_col, render_right};
use super::text::{fit, width as text_width};
use super::theme::{Theme, outcome_badge, phase_symbol};
use super::time_text::{age, time_of_day};
use super::wrap::wrap_line;
use crate::engine::{Command, GateStatus, HoldReason, PhaseName, Step, gate_label};
use crate::format::fmt_duration;

/// Rows the header takes at a given terminal width: one more when the backends' line
/// (narrow terminals) or the situation needs a second row rather than being cut.
pub fn height(ctx: &Ctx, width: u16) -> u16 {
    let wide = width >= GRID_WIDTH;
    let base = if wide { 2 } else { 2 + backend_rows(ctx, width).len() };
    (base + situation_rows(ctx, width).len()) as u16
}

/// The situation, wrapped to at most two rows.
fn situation_rows(ctx: &Ctx, width: u16) -> Vec<Line<'static>> {
    let wide = width >= GRID_WIDTH;
    wrap_line(situation(ctx, usize::from(width), wide), usize::from(width), 2)
}

/// The backends' line on a narrow terminal, wrapped to at most two rows.
fn backend_rows(ctx: &Ctx, width: u16) -> Vec<Line<'static>> {
    wrap_line(backend(ctx), usize::from(width), 2)
}

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    Block::new().style(ctx.theme.header).render(area, buf);
    let wide = area.width >= GRID_WIDTH;
    let mut rows = area.rows();
    let (Some(first), Some(second)) = (rows.next(), rows.next()) else {
        return;
    };

    // Row 1: the state and what is released; the people when there is room.
    let identity = identity(ctx);
    let end = identity.width().min(usize::from(area.width)) as u16;
    identity.render(first, buf);
    if wide {
        render_right(&people(ctx), end + 2, first, buf);
    }
    // Row 2: progress and timing; the backends too when there is room, else on a row of
    // their own.
    let progress = progress(ctx);
    let end = progress.width().min(usize::from(area.width)) as u16;
    progress.render(second, buf);
    let backend = backend(ctx);
    if wide {
        if !render_right(&backend, end + 2, second, buf) {
            backend.render(from_col(second, end + 2), buf);
        }
    } else {
        for (line, row) in backend_rows(ctx, area.width).into_iter().zip(&mut rows) {
            line.render(row, buf);
        }
    }
    // Last rows: why the release is not moving, or that all is well.
    for (line, row) in situation_rows(ctx, area.width).into_iter().zip(&mut rows) {
        line.render(row, buf);
    }
}

/// What a screen too small for the cockpit still shows: the state and what is released,
/// and why it is not moving (or that all is well, or how it ended).
pub fn essentials(ctx: &Ctx, width: u16) -> [Line<'static>; 2] {
    [identity(ctx), situation(ctx, usize::from(width), false)]
}

fn sep(theme: &Theme) -> Span<'static> {
    Span::styled(" · ", theme.muted)
}

fn identity(ctx: &Ctx) -> Line<'static> {
    let r = ctx.release;
    let t = ctx.theme;
    let info = &r.plan().release;
    let phase = r.phase();
    Line::from(vec![
        Span::styled(format!(" {} {} ", phase_symbol(phase), phase.label()), t.phase(phase)),
        Span::raw(" "),
        Span::styled(format!("{} {}", info.name, info.version), t.title),
        sep(t),
        Span::styled(info.kind.as_str(), t.text),
        sep(t),
        Span::styled(format!("stable {}", info.stable), t.stable),
        sep(t),
        Span::styled(format!("risk {}", risk(info.risk)), t.text),
    ])
}

fn risk(risk: crate::plan::Risk) -> &'static str {
    match risk {
        crate::plan::Risk::Low => "low",
        crate::plan::Risk::Medium => "medium",
        crate::plan::Risk::High => "high",
    }
}

fn people(ctx: &Ctx) -> Line<'static> {
    let info = &ctx.release.plan().release;
    let t = ctx.theme;
    Line::from(vec![
        Span::styled(format!("owner {}", info.owner), t.muted),
        sep(t),
        Span::styled(format!("on-call {} ", info.on_call), t.muted),
    ])
}

fn progress(ctx: &Ctx) -> Line<'static> {
    let r = ctx.release;
    let t = ctx.theme;
    let plan = r.plan();
    let phase = r.phase();
    let stage = &plan.stages[r.stage().min(plan.stages.len().saturating_sub(1))];
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(
            format!("stage {}/{} {}", r.stage() + 1, plan.stages.len(), stage.name),
            t.title,
        ),
    ];
    if !phase.is_over() {
        spans.push(sep(t));
        spans.push(Span::styled(r.step().label(), t.text));
    }
    spans.push(sep(t));
    match r.finished_at() {
        Some(end) => spans.push(Span::styled(
            format!("took {}", fmt_duration(end - r.started_at())),
            t.text,
        )),
        None => spans.push(Span::styled(
            format!("elapsed {}", age(ctx.now, r.started_at())),
            t.text,
        )),
    }
    if let Some(countdown) = countdown(ctx) {
        spans.push(sep(t));
        spans.push(countdown);
    }
    Line::from(spans)
}

/// The next thing the clock will do: auto-advance, or the end of the rollback window.
fn countdown(ctx: &Ctx) -> Option<Span<'static>> {
    let r = ctx.release;
    let t = ctx.theme;
    match r.phase() {
        PhaseName::Done => {
            let end = r.finished_at()? + r.rollback_window().to_chrono();
            let left = end - ctx.now;
            Some(if left > Duration::zero() {
                Span::styled(format!("rollback window {} left", fmt_duration(left)), t.info)
            } else {
                Span::styled(format!("rollback window over ({})", r.rollback_window()), t.warning)
            })
        }
        PhaseName::Aborted | PhaseName::RolledBack => r
            .finished_at()
            .map(|at| Span::styled(format!("ended {}", time_of_day(at)), t.muted)),
        PhaseName::Running | PhaseName::Pending => r.hold_remaining().map(|d| {
            // After the last stage's hold there is no next stage: the release is done.
            let what = if r.stage() + 1 == r.plan().stages.len() {
                "done in"
            } else {
                "next stage in"
            };
            Span::styled(format!("{what} {}", fmt_duration(d)), t.info)
        }),
        PhaseName::Held | PhaseName::Paused => r
            .hold_remaining()
            .map(|d| Span::styled(format!("hold {} left (stopped)", fmt_duration(d)), t.warning)),
        PhaseName::RollingBack => None,
    }
}

/// Router and metrics health.
fn backend(ctx: &Ctx) -> Line<'static> {
    let r = ctx.release;
    let t = ctx.theme;
    let router = match (r.router_error(), r.actual_weight()) {
        (Some(e), _) => Span::styled(format!("router ✖ ERROR: {e}"), t.danger),
        (None, None) => Span::styled("router ? not confirmed yet", t.warning),
        (None, Some(actual)) if actual == r.desired_weight() => {
            Span::styled(format!("router ✔ {actual} confirmed"), t.success)
        }
        (None, Some(actual)) => Span::styled(format!("router ◌ {actual} → {}", r.desired_weight()), t.warning),
    };
    let (metric, health) = r.data_health(ctx.now);
    let data = data_span(&health, metric.map(|m| r.plan().metrics[m].name.as_str()), t);
    let mut spans = vec![Span::raw(" "), data, sep(t), router, Span::raw(" ")];
    if let Some(error) = &ctx.ui.journal_error {
        spans.insert(1, Span::styled(format!("JOURNAL ✖ {error}"), t.danger));
        spans.insert(2, sep(t));
    }
    Line::from(spans)
}

/// The last header row: hold reasons, the rollback, or a calm summary, fitted to `width`.
/// A loud line's own style fills the row.
fn situation(ctx: &Ctx, width: usize, wide: bool) -> Line<'static> {
    let r = ctx.release;
    let t = ctx.theme;
    let info = &r.plan().release;
    let phase = r.phase();
    let sym = phase_symbol(phase);
    // Said in full: a line too long for one row wraps to a second.
    let loud = |text: String, extra: String, style: Style| {
        Line::from(Span::styled(format!("{text}{extra} "), style)).style(style)
    };
    // Hold reasons get the room of two rows.
    let room = (width * 2).saturating_sub(2);
    // The most urgent truth first: an automatic rollback on its way, with its countdown.
    if let Some(coming) = r.rollback_coming(ctx.now) {
        return loud(
            format!(
                " ⚠ AUTOMATIC ROLLBACK IN {}: trigger {}: {}",
                fmt_duration(coming.remaining),
                coming.trigger,
                coming.detail
            ),
            " (unless the canary recovers)".into(),
            t.alarm,
        );
    }
    match phase {
        PhaseName::RollingBack if r.router_error().is_some() => {
            // The router has not acknowledged: traffic may still reach the canary.
            let error = r.router_error().unwrap_or_default();
            loud(
                format!(" {sym} ROLLBACK PENDING: the router has not confirmed 0% ({error})"),
                format!(
                    " → retrying until it does; canary at {}",
                    r.actual_weight().map_or("?".into(), |w| w.to_string())
                ),
                t.alarm,
            )
        }
        PhaseName::RollingBack => {
            let router = match r.actual_weight() {
                Some(w) if w.percent() == 0 => "router at 0%".to_string(),
                Some(w) => format!("router still at {w}, waiting for 0%"),
                None => "waiting for the router".to_string(),
            };
            let why = r.rollback_reason().unwrap_or("rollback");
            loud(
                format!(" {sym} ROLLING BACK: {why}"),
                format!(" → all traffic to {}; {router}", info.stable),
                t.alarm,
            )
        }
        PhaseName::RolledBack => {
            let why = r.rollback_reason().unwrap_or("rollback");
            loud(
                format!(" {sym} ROLLED BACK: {why}"),
                format!(" → {} serves all traffic", info.stable),
                t.alarm,
            )
        }
        PhaseName::Aborted => loud(
            format!(" {sym} ABORTED"),
            format!(" → all traffic to {}", info.stable),
            t.alarm,
        ),
        PhaseName::Done => Line::from(vec![
            Span::styled(
                format!(" {sym} PROMOTED: {} serves all traffic", info.version),
                t.success,
            ),
            sep(t),
            Span::styled(
                format!("{} rolls back to {}", key_for(Action::Rollback), info.stable),
                t.muted,
            ),
        ]),
        // Open checklist items and unsigned approvals are people's work, not a fault:
        // the same words at every stage.
        PhaseName::Held if waiting_for_people(r.holds()) => Line::from(Span::styled(
            reasons(
                ctx,
                &format!(" {} WAITING FOR: ", phase_symbol(PhaseName::Pending)),
                room,
            ),
            t.info,
        )),
        PhaseName::Held => held(ctx, room),
        // Before go too, a fault (a deploy too slow, a router failing) is not people's work.
        PhaseName::Pending if !r.holds().is_empty() && !waiting_for_people(r.holds()) => held(ctx, room),
        PhaseName::Pending if !r.holds().is_empty() => Line::from(Span::styled(
            reasons(ctx, &format!(" {sym} WAITING FOR: "), room),
            t.info,
        )),
        PhaseName::Paused => {
            let resume = key_for(Action::PauseResume);
            let text = if r.holds().is_empty() {
                format!(" {sym} PAUSED: {resume} resumes")
            } else {
                reasons(ctx, &format!(" {sym} PAUSED ({resume} resumes); also holding: "), room)
            };
            Line::from(Span::styled(text, t.warning))
        }
        PhaseName::Pending | PhaseName::Running => calm(ctx, width, wide),
    }
}

/// A verdict made before the data went stale or missing, said before anything it could be
/// mistaken for: empty when the verdict is current or there is none.
fn stale_verdict(ctx: &Ctx) -> String {
    ctx.release.stale_verdict(ctx.now).map_or_else(String::new, |j| {
        format!(
            " ⚠ judge's {} is stale: from {}, before a data gap ·",
            outcome_badge(j.outcome()),
            time_of_day(j.at)
        )
    })
}

fn held(ctx: &Ctx, room: usize) -> Line<'static> {
    let sym = phase_symbol(PhaseName::Held);
    Line::from(Span::styled(
        reasons(ctx, &format!("{} {sym} HELD because: ", stale_verdict(ctx)), room),
        ctx.theme.warning,
    ))
}

fn waiting_for_people(holds: &[HoldReason]) -> bool {
    !holds.is_empty()
        && holds
            .iter()
            .all(|h| matches!(h, HoldReason::ChecklistOpen { .. } | HoldReason::ApprovalPending { .. }))
}

/// `prefix` and as many hold reasons as fit in `width`, then how many more there are. The
/// first reason is always shown: in a shorter wording, or cut with an ellipsis, if need be.
fn reasons(ctx: &Ctx, prefix: &str, width: usize) -> String {
    let holds = ctx.release.holds();
    let can_advance = ctx
        .release
        .refusal(&Command::Advance {
            from: ctx.release.stage(),
        })
        .is_none();
    let mut text = prefix.to_string();
    for (i, reason) in holds.iter().enumerate() {
        let rest = holds.len() - i - 1;
        let more = if rest > 0 {
            format!(" (+{rest} more)")
        } else {
            String::new()
        };
        if i == 0 {
            let room = width.saturating_sub(text_width(&text) + text_width(&more) + 1);
            let mut piece = hold_words::wide(reason, can_advance);
            if text_width(&piece) > room {
                piece = hold_words::tight(reason, can_advance);
            }
            text.push_str(&fit(&piece, room));
            continue;
        }
        let piece = format!("; {}", hold_words::wide(reason, can_advance));
        if text_width(&text) + text_width(&piece) + text_width(&more) > width {
            text.push_str(&format!(" (+{} more)", holds.len() - i));
            break;
        }
        text.push_str(&piece);
    }
    text
}

fn calm(ctx: &Ctx, width: usize, wide: bool) -> Line<'static> {
    let r = ctx.release;
    let t = ctx.theme;
    let plan = r.plan();
    let (mut analysed, mut passing) = (0, 0);
    for g in 0..plan.gates.len() {
        let Some(w) = r.gate(g) else { continue };
        if w.status != GateStatus::Idle {
            analysed += 1;
            passing += usize::from(w.status == GateStatus::Pass);
        }
    }
    let mut optional = Vec::with_capacity(4);
    if analysed > 0 {
        optional.push(Span::styled(format!("gates {passing}/{analysed} PASS"), t.text));
    }
    if r.step() == Step::Shifting {
        optional.push(Span::styled("waiting for the router", t.info));
    }
    if let Some(deploying) = r.deploying() {
        let progress = deploying
            .progress
            .map_or_else(|| "image being set".to_string(), |p| p.to_string());
        optional.push(Span::styled(
            format!("deploying {}: {progress}", deploying.order.deployment),
            t.info,
        ));
    }
    if let Some(next) = plan.stages.get(r.stage() + 1) {
        optional.push(Span::styled(format!("then {} ({})", next.name, next.weight), t.text));
    }
    if !wide {
        optional.push(Span::styled(format!("on-call {}", plan.release.on_call), t.muted));
    }
    // A gate breached for less than its `for` is not a hold yet, but not all clear either.
    let warning = (0..plan.gates.len()).find(|&g| r.gate(g).is_some_and(|w| w.status == GateStatus::Warn));
    let mut line = match warning {
        Some(g) => Line::from(Span::styled(
            format!(
                " ⚠ gate {} breached: {}",
                gate_label(plan, g),
                r.gate(g).map_or("", |w| w.detail.as_str())
            ),
            t.warning,
        )),
        // The cluster's objects cannot be seen: the traffic pane's live lines are stale.
        None if ctx.release.live().any_lost() => Line::from(Span::styled(
            " ⚠ a watch on the cluster is lost: the traffic pane's live lines are stale",
            t.warning,
        )),
        None if ctx.release.stale_verdict(ctx.now).is_some() => Line::from(Span::styled(
            stale_verdict(ctx).trim_end_matches(" ·").to_string(),
            t.warning,
        )),
        None => Line::from(Span::styled(" ✔ no holds", t.success)),
    };
    for span in optional {
        if line.width() + 3 + span.width() > width {
            break;
        }
        line.push_span(sep(t));
        line.push_span(span);
    }
    line
}
