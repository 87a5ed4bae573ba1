//! Dialogs drawn centred over everything: help, confirmations, quit, notes, a metric's query
//! and its analysis by the canary judge.

pub mod analysis;
pub mod confirm;
pub mod frame;
pub mod help;
pub mod log_line;
pub mod notes;
pub mod query;
pub mod quit;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::app::Dialog;
use super::draw::Ctx;

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
        Some(Dialog::LogLine(entry)) => log_line::render(ctx, entry, area, buf),
    }
}
