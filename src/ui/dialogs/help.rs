//! Help: every binding of the key table, generated from it so it cannot drift.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Row, Table, Widget};

use super::frame::frame;
use crate::ui::draw::Ctx;
use crate::ui::footer::refused_now;
use crate::ui::keys::{Action, BINDINGS, key_for};
use crate::ui::text::width;

/// The last line, with the closing key from the key table.
fn closing() -> String {
    format!(
        "{} closes · the footer shows the most used keys",
        key_for(Action::Close)
    )
}
/// The symbols that are not words, each with its one meaning (the README's glossary has
/// every state word).
const SYMBOLS: &str = "⚑ rollback trigger · ◆ weight dialled · ◇ desired weight · ┆ live from here";

/// Cells between the keys and what they do.
const GAP: u16 = 2;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    // A key the release would refuse now is muted and says why, in the engine's words
    // (which name what the key does: "cannot advance: ...").
    let texts: Vec<(String, bool)> = BINDINGS
        .iter()
        .map(|b| match refused_now(ctx, b.action) {
            Some(why) => (format!("not now: {why}"), true),
            None => (b.help.to_string(), false),
        })
        .collect();
    let key_w = BINDINGS.iter().map(|b| width(b.keys)).max().unwrap_or(1);
    let help_w = texts.iter().map(|(text, _)| width(text)).max().unwrap_or(1);
    let inner_w = (key_w + usize::from(GAP) + help_w)
        .max(width(&closing()))
        .max(width(SYMBOLS)) as u16;
    let inner_h = BINDINGS.len() as u16 + 2;
    let inner = frame(area, inner_w, inner_h, "Help: keys", t.border_focus, t.title, buf);
    if inner.is_empty() {
        return;
    }
    let rows = BINDINGS.iter().zip(texts).map(|(b, (text, refused))| {
        let (key_style, help_style) = if refused {
            (t.muted, t.muted)
        } else if b.action == Action::Rollback {
            (t.alarm, t.danger)
        } else {
            (t.key, t.text)
        };
        Row::new([Span::styled(b.keys, key_style), Span::styled(text, help_style)])
    });
    let widths = [Constraint::Length(key_w as u16), Constraint::Fill(1)];
    Table::new(rows, widths).column_spacing(GAP).render(inner, buf);
    // Under the table: what the symbols mean, then how to close.
    if let Some(row) = inner.rows().nth(BINDINGS.len()) {
        Line::from(Span::styled(SYMBOLS, t.text)).render(row, buf);
    }
    if let Some(row) = inner.rows().nth(BINDINGS.len() + 1) {
        Line::from(Span::styled(closing(), t.muted)).render(row, buf);
    }
}
