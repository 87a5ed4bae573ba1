//! Traffic pane: the canary / stable split as a bar (█ canary, ░ stable: two glyphs, not
//! two colours), the desired weight marked ▲ on it, the weight being dialled marked ◆ and
//! flagged "not applied", a manual override noted, and a router error shown loudly.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::engine::PhaseName;
use crate::plan::Weight;
use crate::ui::app::Pane;
use crate::ui::draw::{Ctx, fill_row, put, put_cell, put_line};
use crate::ui::keys::{Action, BINDINGS};
use crate::ui::widgets::pane_block::pane_block;
use crate::ui::wrap::wrap;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer, focused: bool) {
    let area = area.intersection(buf.area);
    let block = pane_block(ctx.theme, Pane::Traffic, focused, area.width, None);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let r = ctx.release;
    let t = ctx.theme;
    let info = &r.plan().release;
    let stage = &r.plan().stages[r.stage()];
    let desired = r.desired_weight();
    let actual = r.actual_weight();
    let bar_w = inner.width.saturating_sub(2);
    let mut row = 0u16;

    // Legend: who gets what share, by the router's confirmation.
    let share = |w: Option<Weight>, canary: bool| match w {
        Some(w) => format!("{}%", if canary { w.percent() } else { 100 - w.percent() }),
        None => "?".to_string(),
    };
    let mut legend = Line::from(vec![
        Span::styled(" █ ", t.canary),
        Span::styled(format!("canary {} {}", info.version, share(actual, true)), t.canary),
        Span::raw("   "),
        Span::styled("░ ", t.stable),
        Span::styled(format!("stable {} {}", info.stable, share(actual, false)), t.stable),
    ]);
    let source = if actual.is_none() {
        "   (router has not confirmed)"
    } else {
        "   (as the router reports)"
    };
    if legend.width() + source.len() <= inner.width as usize {
        legend.push_span(Span::styled(source, t.muted));
    }
    put_line(buf, inner, 0, row, &legend);
    row += 1;

    // Scale, bar, markers.
    if bar_w >= 4 {
        for q in [0u16, 25, 50, 75, 100] {
            let label = format!("{q}%");
            let lw = label.len() as u16;
            if bar_w < 24 && q % 50 != 0 {
                continue;
            }
            let pos = (q * bar_w / 100).min(bar_w - lw.min(bar_w));
            let pos = if q == 100 { bar_w.saturating_sub(lw) } else { pos };
            put(buf, inner, 1 + pos, row, &label, t.muted);
        }
        row += 1;
        let fill = actual.map_or(0, |w| cells(w, bar_w));
        for i in 0..bar_w {
            let (symbol, style) = match actual {
                Some(_) if i < fill => ("█", t.canary),
                Some(_) => ("░", t.stable),
                None => ("╌", t.muted),
            };
            put_cell(buf, inner, 1 + i, row, symbol, style);
        }
        row += 1;
        marker(
            buf,
            inner,
            row,
            bar_w,
            desired,
            "▲",
            &format!("desired {desired}"),
            t.info,
        );
        row += 1;
        if let Some(dial) = ctx.ui.slider {
            marker(
                buf,
                inner,
                row,
                bar_w,
                dial,
                "◆",
                &format!("dial {dial}, not applied"),
                t.warning,
            );
            row += 1;
        }
    }
    row += 1;

    // A rollback and a router failure, loudly.
    let phase = r.phase();
    if matches!(
        phase,
        PhaseName::RollingBack | PhaseName::RolledBack | PhaseName::Aborted
    ) {
        fill_row(buf, inner, row, t.alarm);
        put(
            buf,
            inner,
            0,
            row,
            &format!(" ↺ {}: all traffic to stable {} ", phase.label(), info.stable),
            t.alarm,
        );
        row += 1;
    }
    if let Some(err) = r.router_error() {
        let text = format!("✖ ROUTER ERROR: {err}");
        for line in wrap(&text, inner.width.saturating_sub(2).max(1) as usize) {
            fill_row(buf, inner, row, t.alarm);
            put(buf, inner, 1, row, &line, t.alarm);
            row += 1;
        }
        put(
            buf,
            inner,
            0,
            row,
            " ✖ live split unknown: the bar shows the last confirmed one",
            t.danger,
        );
        row += 1;
    }
    let router = match (r.router_error(), actual) {
        (Some(_), Some(a)) => Line::from(Span::styled(format!(" router    ✖ last confirmed {a}"), t.danger)),
        (Some(_), None) => Line::from(Span::styled(" router    ✖ never confirmed a weight", t.danger)),
        (None, None) => Line::from(Span::styled(" router    ? has not confirmed a weight yet", t.warning)),
        (None, Some(a)) if a == desired => Line::from(Span::styled(format!(" router    ✔ confirms {a}"), t.success)),
        (None, Some(a)) => Line::from(Span::styled(
            format!(" router    … at {a}, moving to {desired}"),
            t.warning,
        )),
    };
    put_line(buf, inner, 0, row, &router);
    row += 1;
    let desired_line = Line::from(vec![
        Span::styled(format!(" desired   {desired}"), t.text),
        Span::styled(
            format!(" · stage {} allows up to {}", stage.name, stage.weight),
            t.muted,
        ),
    ]);
    put_line(buf, inner, 0, row, &desired_line);
    row += 1;
    if let Some(manual) = r.manual_weight() {
        let text = format!(" manual    override {manual} in force (stage weight {})", stage.weight);
        put(buf, inner, 0, row, &text, t.warning);
        row += 1;
    }
    let settable = r.can_set_weight();
    match ctx.ui.slider {
        Some(dial) => {
            let line = Line::from(vec![
                Span::styled(format!(" slider    ◆ {dial} "), t.warning),
                Span::styled("not applied — Enter to apply", t.alarm),
                Span::styled(" · Esc discards", t.muted),
            ]);
            put_line(buf, inner, 0, row, &line);
        }
        None if !settable => {
            let why = if phase == PhaseName::Pending {
                "before go".to_string()
            } else {
                format!("release {}", phase.label())
            };
            put(buf, inner, 0, row, &format!(" slider    off: {why}"), t.muted);
        }
        None => {
            let keys = BINDINGS
                .iter()
                .find(|b| b.action == Action::Left)
                .map_or("←/→", |b| b.keys);
            let hint = if focused {
                format!(" slider    {keys} dial a weight, Enter applies")
            } else {
                format!(" slider    focus here, {keys} dial a weight")
            };
            put(buf, inner, 0, row, &hint, t.muted);
        }
    }
}

/// Cells of a `bar_w`-wide bar that a weight fills.
fn cells(w: Weight, bar_w: u16) -> u16 {
    ((u32::from(w.percent()) * u32::from(bar_w) + 50) / 100) as u16
}

/// A marker under the bar at weight `w`, labelled beside it (left of it near the end).
#[allow(clippy::too_many_arguments)]
fn marker(
    buf: &mut Buffer,
    area: Rect,
    row: u16,
    bar_w: u16,
    w: Weight,
    symbol: &str,
    label: &str,
    style: ratatui::style::Style,
) {
    let pos = cells(w, bar_w).saturating_sub(1).min(bar_w.saturating_sub(1));
    let lw = label.chars().count() as u16;
    if pos + 2 + lw <= bar_w {
        put(buf, area, 1 + pos, row, &format!("{symbol} {label}"), style);
    } else {
        let start = (pos + 1).saturating_sub(lw + 2);
        put(buf, area, 1 + start, row, &format!("{label} {symbol}"), style);
    }
}
