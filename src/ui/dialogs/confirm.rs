//! A question before a release action: the action's title and consequences, Enter or Esc.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::frame::frame;
use crate::engine::Command;
use crate::ui::app::Confirm;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, first_key, key_for};
use crate::ui::text::width;
use crate::ui::wrap::wrap;

/// The dialog's keys, from the key table.
pub fn keys() -> String {
    format!(
        "{} confirm · {} cancel",
        first_key(key_for(Action::Select)),
        key_for(Action::Close)
    )
}

pub fn render(ctx: &Ctx, confirm: &Confirm, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let dangerous = matches!(confirm.command, Command::Abort | Command::Rollback);
    let border = if dangerous { t.danger } else { t.warning };
    question(ctx, area, buf, &confirm.title, &confirm.lines, &keys(), border);
}

/// A titled box with wrapped lines and a key line under them (shared with quit).
pub fn question(
    ctx: &Ctx,
    area: Rect,
    buf: &mut Buffer,
    title: &str,
    lines: &[String],
    keys: &str,
    border: ratatui::style::Style,
) {
    let t = ctx.theme;
    let max_inner = area.width.saturating_sub(6).max(1) as usize;
    let natural = lines
        .iter()
        .map(|l| width(l))
        .chain([width(title) + 2, width(keys)])
        .max()
        .unwrap_or(1)
        .min(max_inner);
    let wrapped: Vec<String> = lines.iter().flat_map(|l| wrap(l, natural)).collect();
    let inner_h = wrapped.len() as u16 + 2;
    let inner = frame(area, natural as u16, inner_h, title, border, t.title, buf);
    let mut text: Vec<Line> = wrapped.into_iter().map(|line| Line::styled(line, t.text)).collect();
    text.extend([Line::default(), Line::styled(keys, t.key)]);
    Paragraph::new(text).render(inner, buf);
}
