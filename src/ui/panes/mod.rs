//! The four panes: one file each. Each draws its own frame and clips to its area.

pub mod log;
pub mod metrics;
pub mod stages;
pub mod traffic;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::app::Pane;
use super::draw::Ctx;
use super::keys::{Action, key_for};

pub fn render(ctx: &Ctx, pane: Pane, area: Rect, buf: &mut Buffer, focused: bool) {
    match pane {
        Pane::Stages => stages::render(ctx, area, buf, focused),
        Pane::Metrics => metrics::render(ctx, area, buf, focused),
        Pane::Traffic => traffic::render(ctx, area, buf, focused),
        Pane::Log => log::render(ctx, area, buf, focused),
    }
}

/// The tab bar of the one-pane layout: every pane by number, the shown one marked.
pub fn tabs(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let t = ctx.theme;
    let mut spans = Vec::with_capacity(12);
    spans.push(Span::raw(" "));
    for pane in Pane::ALL {
        let label = format!("{} {}", pane.index() + 1, pane.title());
        if pane == ctx.ui.focus {
            spans.push(Span::styled(format!("[▶ {label}]"), t.selection));
        } else {
            spans.push(Span::styled(format!("  {label} "), t.muted));
        }
        spans.push(Span::raw(" "));
    }
    spans.push(Span::styled(
        format!(" {} switch", key_for(Action::FocusPane(0))),
        t.muted,
    ));
    Line::from(spans).render(area, buf);
}
