//! Quitting while the release is live: what stops when the cockpit goes away.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::ui::draw::Ctx;

pub const KEYS: &str = "Enter quit · Esc stay";

pub fn render(ctx: &Ctx, lines: &[String], area: Rect, buf: &mut Buffer) {
    super::confirm::question(ctx, area, buf, "Quit shipdeck?", lines, KEYS, ctx.theme.warning);
}
