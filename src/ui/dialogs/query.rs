//! The queries behind a metric, with `{{version}}` resolved for the canary and the baseline.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::frame::frame;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, key_for};

/// The dialog's keys, from the key table.
pub fn keys() -> String {
    format!("{} closes", key_for(Action::Close))
}

pub fn render(ctx: &Ctx, metric: usize, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let plan = ctx.release.plan();
    let Some(m) = plan.metrics.get(metric) else { return };
    let info = &plan.release;
    let area = area.intersection(buf.area);
    let inner_w = area.width.saturating_sub(8).clamp(1, 96);
    let mut rows: Vec<(String, ratatui::style::Style)> = Vec::new();
    let (canary, baseline) = plan.resolved_queries(m);
    for (label, resolved, version, style) in [
        ("canary", canary, &info.version, t.canary),
        ("baseline", baseline, &info.stable, t.stable),
    ] {
        if !rows.is_empty() {
            rows.push((String::new(), t.text));
        }
        rows.push((format!("{label} ({version}):"), style));
        // Queries are code: cut them by characters, not words.
        let chars: Vec<char> = resolved.chars().collect();
        for chunk in chars.chunks(inner_w as usize) {
            rows.push((chunk.iter().collect(), t.text));
        }
    }
    rows.push((String::new(), t.text));
    rows.push((keys(), t.key));
    let title = format!("Query: {}", m.name);
    let inner = frame(area, inner_w, rows.len() as u16, &title, t.border_focus, t.title, buf);
    let text: Vec<Line> = rows
        .into_iter()
        .map(|(line, style)| Line::styled(line, style))
        .collect();
    Paragraph::new(text).render(inner, buf);
}
