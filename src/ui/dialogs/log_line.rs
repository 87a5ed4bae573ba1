//! One log line in full: the pane cuts long messages to its width; Enter on the log shows
//! the newest line in view here, wrapped, with who and what.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::frame::frame;
use crate::engine::LogEntry;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, key_for};
use crate::ui::theme::severity_symbol;
use crate::ui::time_text::time_of_day;
use crate::ui::wrap::wrap;

pub fn render(ctx: &Ctx, entry: &LogEntry, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let area = area.intersection(buf.area);
    let inner_w = area.width.saturating_sub(8).clamp(1, 100);
    let severity = entry.event.severity();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", severity_symbol(severity)), t.severity(severity)),
        Span::styled(time_of_day(entry.time), t.muted),
        Span::styled(format!(" · {} · release {}", entry.actor, entry.state.label()), t.muted),
    ])];
    lines.push(Line::raw(""));
    let room = usize::from(area.height.saturating_sub(6)).max(1);
    let mut message = wrap(&entry.message, usize::from(inner_w));
    if message.len() > room {
        message.truncate(room.saturating_sub(1));
        message.push("…".into());
    }
    lines.extend(message.into_iter().map(|l| Line::styled(l, t.severity(severity))));
    lines.push(Line::raw(""));
    lines.push(Line::styled(format!("{} closes", key_for(Action::Close)), t.key));
    let inner = frame(
        area,
        inner_w,
        lines.len() as u16,
        "Log line",
        t.border_focus,
        t.title,
        buf,
    );
    Paragraph::new(lines).render(inner, buf);
}
