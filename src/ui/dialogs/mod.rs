//! Dialogs drawn centred over everything: help, confirmations, quit, notes, a metric's query
//! and its analysis by the canary judge.

pub mod analysis;
pub mod confirm;
pub mod help;
pub mod notes;
pub mod query;
pub mod quit;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::app::Dialog;
use super::draw::{Ctx, centered, draw_box};

/// Draws the open dialog, if any, centred in `area`.
pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    match &ctx.ui.dialog {
        None => {}
        Some(Dialog::Help) => help::render(ctx, area, buf),
        Some(Dialog::Confirm(confirm)) => confirm::render(ctx, confirm, area, buf),
        Some(Dialog::Quit) => quit::render(ctx, area, buf),
        Some(Dialog::Notes(text)) => notes::render(ctx, text, area, buf),
        Some(Dialog::Query { metric }) => query::render(ctx, *metric, area, buf),
        Some(Dialog::Analysis { metric }) => analysis::render(ctx, *metric, area, buf),
    }
}

/// Clears a centred box of `inner_w` x `inner_h` content cells (plus border and padding),
/// draws its frame and title, and returns the content area.
pub fn frame(
    area: Rect,
    inner_w: u16,
    inner_h: u16,
    title: &str,
    border: Style,
    title_style: Style,
    buf: &mut Buffer,
) -> Rect {
    let area = area.intersection(buf.area);
    let rect = centered(area, inner_w.saturating_add(4), inner_h.saturating_add(2));
    // A blank margin around the box keeps the screen behind it from touching its border.
    let margin = Rect {
        x: rect.x.saturating_sub(1).max(area.x),
        width: (rect.width + 2).min(area.right() - rect.x.saturating_sub(1).max(area.x)),
        ..rect
    };
    Clear.render(margin, buf);
    let title = Line::from(vec![
        Span::styled(" ", border),
        Span::styled(title.to_string(), title_style),
        Span::styled(" ", border),
    ]);
    let inner = draw_box(buf, rect, symbols::border::DOUBLE, border, Some(&title), None);
    // One column of padding on each side.
    Rect {
        x: inner.x + 1.min(inner.width),
        width: inner.width.saturating_sub(2),
        ..inner
    }
}
