//! The notes editor: free text for the log and journal.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};
use ratatui_textarea::TextArea;

use super::frame::frame;
use crate::ui::draw::Ctx;

pub const TITLE: &str = "Note — Ctrl-S save · Esc cancel · Ctrl-R rollback";

pub fn render(ctx: &Ctx, text: &TextArea<'static>, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let area = area.intersection(buf.area);
    let inner_w = area.width.saturating_sub(8).min(72);
    let inner_h = area.height.saturating_sub(6).min(8);
    let inner = frame(area, inner_w, inner_h, TITLE, t.border_focus, t.title, buf);
    if inner.height < 2 {
        return;
    }
    let [edit, who_row] = inner.layout(&Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]));
    text.render(edit, buf);
    // The editor's placeholder brings its own grey: use the theme's muted colour instead.
    let muted = t.muted.fg.unwrap_or(Color::Reset);
    for y in edit.top()..edit.bottom() {
        for x in edit.left()..edit.right() {
            let cell = &mut buf[(x, y)];
            if cell.fg == Color::DarkGray {
                cell.fg = muted;
            }
        }
    }
    let who = Line::styled(format!("as {}, to the log and journal", ctx.ui.operator), t.muted);
    Paragraph::new(who).render(who_row, buf);
}
