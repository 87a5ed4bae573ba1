//! Help: every binding of the key table, generated from it so it cannot drift.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::frame::frame;
use crate::ui::draw::{Ctx, put};
use crate::ui::keys::{Action, BINDINGS};
use crate::ui::text::{pad, width};

const CLOSE: &str = "Esc closes · the footer shows the most used keys";

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let key_w = BINDINGS.iter().map(|b| width(b.keys)).max().unwrap_or(1);
    let help_w = BINDINGS.iter().map(|b| width(b.help)).max().unwrap_or(1);
    let inner_w = (key_w + 2 + help_w).max(width(CLOSE)) as u16;
    let inner_h = BINDINGS.len() as u16 + 2;
    let inner = frame(area, inner_w, inner_h, "Help: keys", t.border_focus, t.title, buf);
    if inner.is_empty() {
        return;
    }
    for (i, b) in BINDINGS.iter().enumerate() {
        let row = i as u16;
        let (key_style, help_style) = if b.action == Action::Rollback {
            (t.alarm, t.danger)
        } else {
            (t.key, t.text)
        };
        put(buf, inner, 0, row, b.keys, key_style);
        put(
            buf,
            inner,
            width(&pad(b.keys, key_w)) as u16 + 2,
            row,
            b.help,
            help_style,
        );
    }
    put(buf, inner, 0, BINDINGS.len() as u16 + 1, CLOSE, t.muted);
}
