//! Traffic pane: the canary / stable split as a bar (█ canary, ░ stable: two glyphs, not
//! two colours), the desired weight marked ◇ on it, the weight being dialled marked ◆ and
//! flagged "not applied", a manual override noted, a router error shown loudly, and on
//! Kubernetes what the watched objects hold.

mod axis;
mod live;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use self::axis::{Marker, Scale, cells};
use crate::engine::PhaseName;
use crate::plan::{Target, Weight};
use crate::ui::app::Pane;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, first_key, key_for};
use crate::ui::row::from_col;
use crate::ui::text::fit;
use crate::ui::widgets::bar::Bar;
use crate::ui::widgets::pane_block::pane_block;
use crate::ui::wrap::wrap;

/// One row of the pane.
enum Row<'a> {
    /// A line; its own style (an alarm) fills the row.
    Text(Line<'static>),
    Scale(Scale),
    /// The split, one cell in.
    Bar(Bar),
    Marker(Marker<'a>),
}

impl Widget for Row<'_> {
    fn render(self, row: Rect, buf: &mut Buffer) {
        match self {
            Row::Text(line) => line.render(row, buf),
            Row::Scale(scale) => scale.render(row, buf),
            Row::Bar(bar) => bar.render(from_col(row, 1), buf),
            Row::Marker(marker) => marker.render(row, buf),
        }
    }
}

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer, focused: bool) {
    let area = area.intersection(buf.area);
    let block = pane_block(ctx.theme, Pane::Traffic, focused, area.width, None);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    for (row, line) in inner.rows().zip(rows(ctx, inner.width, focused)) {
        line.render(row, buf);
    }
}

/// The pane's rows, top to bottom, `width` cells wide.
fn rows(ctx: &Ctx, width: u16, focused: bool) -> Vec<Row<'static>> {
    let r = ctx.release;
    let t = ctx.theme;
    let info = &r.plan().release;
    let stage = &r.plan().stages[r.stage()];
    let desired = r.desired_weight();
    let actual = r.actual_weight();
    let bar_w = width.saturating_sub(2);
    let mut rows = Vec::with_capacity(16);
    // A line cut to the pane, with an ellipsis where it is cut.
    let plain = |text: String, style: Style| {
        Row::Text(Line::from(Span::styled(
            fit(&text, usize::from(width)).into_owned(),
            style,
        )))
    };

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
    if legend.width() + source.len() <= usize::from(width) {
        legend.push_span(Span::styled(source, t.muted));
    }
    rows.push(Row::Text(legend));

    // Scale, bar, markers.
    if bar_w >= 4 {
        rows.push(Row::Scale(Scale { bar_w, style: t.muted }));
        rows.push(Row::Bar(match actual {
            Some(w) => Bar {
                width: usize::from(bar_w),
                filled: usize::from(cells(w, bar_w)),
                fill: ("█", t.canary),
                rest: ("░", t.stable),
            },
            None => Bar {
                width: usize::from(bar_w),
                filled: 0,
                fill: ("█", t.canary),
                rest: ("╌", t.muted),
            },
        }));
        rows.push(Row::Marker(Marker {
            bar_w,
            weight: desired,
            symbol: "◇",
            label: format!("desired {desired}"),
            style: t.info,
        }));
        if let Some(dial) = ctx.ui.slider {
            rows.push(Row::Marker(Marker {
                bar_w,
                weight: dial,
                symbol: "◆",
                label: format!("dial {dial}, not applied"),
                style: t.warning,
            }));
        }
    }
    rows.push(Row::Text(Line::default()));

    // A rollback and a router failure, loudly.
    let phase = r.phase();
    if matches!(
        phase,
        PhaseName::RollingBack | PhaseName::RolledBack | PhaseName::Aborted
    ) {
        let text = format!(" ↺ {}: all traffic to stable {} ", phase.label(), info.stable);
        rows.push(Row::Text(Line::styled(text, t.alarm)));
    }
    if let Some(err) = r.router_error() {
        let text = format!("✖ ROUTER ERROR: {err}");
        for line in wrap(&text, usize::from(width.saturating_sub(2).max(1))) {
            rows.push(Row::Text(
                Line::from(vec![Span::raw(" "), Span::raw(line)]).style(t.alarm),
            ));
        }
        rows.push(plain(
            " ✖ live split unknown: the bar shows the last confirmed one".into(),
            t.danger,
        ));
    }
    rows.push(Row::Text(match (r.router_error(), actual) {
        (Some(_), Some(a)) => Line::from(Span::styled(format!(" router    ✖ last confirmed {a}"), t.danger)),
        (Some(_), None) => Line::from(Span::styled(" router    ✖ never confirmed a weight", t.danger)),
        (None, None) => Line::from(Span::styled(" router    ? has not confirmed a weight yet", t.warning)),
        (None, Some(a)) if a == desired => Line::from(Span::styled(format!(" router    ✔ confirms {a}"), t.success)),
        (None, Some(a)) => Line::from(Span::styled(
            format!(" router    ◌ at {a}, moving to {desired}"),
            t.warning,
        )),
    }));
    rows.push(Row::Text(Line::from(vec![
        Span::styled(format!(" desired   {desired}"), t.text),
        Span::styled(
            format!(" · stage {} allows up to {}", stage.name, stage.weight),
            t.muted,
        ),
    ])));
    // What a real router drives, so nobody has to guess which object moves.
    if let Some(driven) = r.plan().target.driven() {
        rows.push(plain(format!(" target    {driven}"), t.muted));
    }
    rows.extend(
        live::live_lines(r, ctx.now, t, usize::from(width))
            .into_iter()
            .map(Row::Text),
    );
    // What the router can carry, where it is not a weight: pods, or one colour.
    match &r.plan().target {
        Target::Replicas { deployments: d, .. } => {
            let shown = actual.unwrap_or(desired);
            let (canary, stable) = d.replicas_at(shown);
            rows.push(plain(
                format!(
                    " pods      canary {canary}, stable {stable} of {}: the share is approximated by pods ({}%)",
                    d.total,
                    d.share_at(shown)
                ),
                t.info,
            ));
        }
        Target::ServiceSelector { service, .. } => rows.push(plain(
            format!(
                " switch    Service {} selects one colour: 0% or 100%, never a split",
                service.service
            ),
            t.info,
        )),
        Target::ArgoRollouts { .. } => rows.push(plain(
            " steps     the Rollout sets its own weights: advancing promotes it; the slider is read-only".into(),
            t.info,
        )),
        Target::Rolling { .. } => rows.push(plain(
            " batches   paused at each stage; the share is the pods on the new image".into(),
            t.info,
        )),
        Target::Sim | Target::Haproxy(_) | Target::GatewayApi { .. } | Target::Istio { .. } => {}
    }
    if let Some(manual) = r.manual_weight() {
        rows.push(plain(
            format!(" manual    override {manual} in force (stage weight {})", stage.weight),
            t.warning,
        ));
    }
    rows.push(match ctx.ui.slider {
        Some(dial) => Row::Text(Line::from(vec![
            Span::styled(format!(" slider    ◆ {dial} "), t.warning),
            Span::styled(
                format!("not applied — {} to apply", first_key(key_for(Action::Select))),
                t.alarm,
            ),
            Span::styled(format!(" · {} discards", key_for(Action::Close)), t.muted),
        ])),
        None if !r.can_set_weight() => {
            let why = if phase == PhaseName::Pending {
                "before go".to_string()
            } else {
                format!("release {}", phase.label())
            };
            plain(format!(" slider    off: {why}"), t.muted)
        }
        None => {
            let keys = key_for(Action::Left);
            let hint = if focused {
                format!(
                    " slider    {keys} dial a weight, {} applies",
                    first_key(key_for(Action::Select))
                )
            } else {
                format!(" slider    focus here, {keys} dial a weight")
            };
            plain(hint, t.muted)
        }
    });
    rows
}
