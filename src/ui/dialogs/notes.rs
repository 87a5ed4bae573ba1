//! The notes editor: free text for the log and journal.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
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
    // The editor brings its own styles (a grey placeholder, an underlined cursor line):
    // the theme's win, so a monochrome theme stays without colour.
    let mut themed = text.clone();
    themed.set_style(t.text);
    themed.set_placeholder_style(t.muted);
    themed.set_cursor_style(t.selection);
    themed.set_cursor_line_style(Style::default());
    themed.render(edit, buf);
    let who = Line::styled(format!("as {}, to the log and journal", ctx.ui.operator), t.muted);
    Paragraph::new(who).render(who_row, buf);
}
