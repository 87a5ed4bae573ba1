//! The compositor: the whole screen as a pure function of the release, the UI state, the
//! theme and the time (no I/O, no clock reads). It decides which parts show where at a
//! given size; each part (header, panes, footer, dialogs) draws itself into its area,
//! clipped, so any part renders at any size without panicking. Dialogs go on top.
//!
//! At 120x40 and up all four panes show in a 2x2 grid; from 80x24 one pane shows at a time
//! (the focused one) under a tab bar naming all four; below 80x24 only a notice.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::app::{Pane, UiState};
use super::theme::Theme;
use super::wrap::wrap;
use super::{dialogs, footer, header, panes};
use crate::engine::Release;

/// The smallest terminal the cockpit works in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this size on, all four panes show at once.
pub const GRID_WIDTH: u16 = 120;
pub const GRID_HEIGHT: u16 = 40;

/// What every part of the screen draws from.
pub struct Ctx<'a> {
    pub release: &'a Release,
    pub ui: &'a UiState,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
}

pub fn draw(frame: &mut Frame, release: &Release, ui: &UiState, theme: &Theme, now: DateTime<Utc>) {
    let ctx = Ctx {
        release,
        ui,
        theme,
        now,
    };
    let area = frame.area();
    render(&ctx, area, frame.buffer_mut());
}

/// Where the parts of the screen go at a given size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    TooSmall,
    /// One pane at a time under a tab bar.
    Single {
        header: Rect,
        tabs: Rect,
        pane: Rect,
        footer: Rect,
    },
    /// Stages, Metrics / Traffic, Log.
    Grid {
        header: Rect,
        panes: [Rect; 4],
        footer: Rect,
    },
}

/// `header_rows`: what the header needs at this width (`header::height`).
pub fn screen(area: Rect, header_rows: u16) -> Screen {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Screen::TooSmall;
    }
    let [header, body, footer] = area.layout(&Layout::vertical([
        Constraint::Length(header_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ]));
    if area.width < GRID_WIDTH || area.height < GRID_HEIGHT {
        let [tabs, pane] = body.layout(&Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]));
        return Screen::Single {
            header,
            tabs,
            pane,
            footer,
        };
    }
    // Lengths rounded down, the rest to the right and to the bottom (a ratio constraint
    // would round to the nearest cell instead).
    let columns = Layout::horizontal([Constraint::Length(body.width * 9 / 20), Constraint::Fill(1)]);
    let [top, bottom] = body.layout(&Layout::vertical([
        Constraint::Length(body.height / 2),
        Constraint::Fill(1),
    ]));
    let [stages, metrics] = top.layout(&columns);
    let [traffic, log] = bottom.layout(&columns);
    Screen::Grid {
        header,
        panes: [stages, metrics, traffic, log],
        footer,
    }
}

/// Draws the screen into `buf` within `area`.
pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    match screen(area, header::height(ctx, area.width)) {
        Screen::TooSmall => too_small(ctx, area, buf),
        Screen::Single {
            header,
            tabs,
            pane,
            footer,
        } => {
            header::render(ctx, header, buf);
            panes::tabs(ctx, tabs, buf);
            panes::render(ctx, ctx.ui.focus, pane, buf, true);
            footer::render(ctx, footer, buf);
            dialogs::render(ctx, area, buf);
            notice(ctx, footer, buf);
        }
        Screen::Grid {
            header,
            panes: rects,
            footer,
        } => {
            header::render(ctx, header, buf);
            for (pane, rect) in Pane::ALL.iter().zip(rects) {
                panes::render(ctx, *pane, rect, buf, *pane == ctx.ui.focus);
            }
            footer::render(ctx, footer, buf);
            dialogs::render(ctx, area, buf);
            notice(ctx, footer, buf);
        }
    }
}

/// Why the engine refused the last key, on the row above the footer, over whatever is
/// there (a pane's bottom border, a dialog): the operator is looking at the screen, not
/// necessarily at the log. Long reasons take as many rows upwards as they need, up to 3.
fn notice(ctx: &Ctx, footer: Rect, buf: &mut Buffer) {
    let Some(text) = &ctx.ui.notice else { return };
    let width = usize::from(footer.width).saturating_sub(2).max(1);
    let lines = wrap(&format!("✖ {text}"), width);
    let shown = lines.len().min(3) as u16;
    let top = footer.y.saturating_sub(shown);
    for (i, line) in lines.iter().take(3).enumerate() {
        let row = Rect::new(footer.x, top + i as u16, footer.width, 1).intersection(buf.area);
        // The whole row is the notice's: nothing of what was under it shows through.
        Clear.render(row, buf);
        Line::from(Span::styled(format!(" {line}"), ctx.theme.alarm))
            .style(ctx.theme.alarm)
            .render(row, buf);
    }
}

/// A terminal too small for the cockpit: the state line and why it is (not) moving on
/// top, a notice in the middle, the keys (R first) at the bottom, so a rollback can still
/// be started and its result read.
fn too_small(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let mut rows = area.rows();
    for line in header::essentials(ctx, area.width) {
        if let Some(row) = rows.next() {
            line.render(row, buf);
        }
    }
    let footer = Rect::new(area.x, area.bottom() - 1, area.width, 1);
    if area.height >= 4 {
        footer::render(ctx, footer, buf);
    }
    let text = format!(
        "terminal too small for the cockpit: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
        area.width, area.height
    );
    let lines = wrap(&text, area.width as usize);
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    for (row, line) in area.rows().skip(usize::from(top).max(2)).zip(lines) {
        if row.y + 1 >= footer.y {
            break;
        }
        Line::from(Span::styled(line, ctx.theme.warning))
            .centered()
            .render(row, buf);
    }
    if area.height >= 4 {
        notice(ctx, footer, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_by_size() {
        assert_eq!(screen(Rect::new(0, 0, 79, 24), 4), Screen::TooSmall);
        assert_eq!(screen(Rect::new(0, 0, 80, 23), 4), Screen::TooSmall);
        assert!(matches!(screen(Rect::new(0, 0, 80, 24), 4), Screen::Single { .. }));
        assert!(matches!(screen(Rect::new(0, 0, 200, 39), 4), Screen::Single { .. }));
        assert!(matches!(screen(Rect::new(0, 0, 119, 60), 4), Screen::Single { .. }));
        assert!(matches!(screen(Rect::new(0, 0, 120, 40), 4), Screen::Grid { .. }));
        let Screen::Grid { header, panes, footer } = screen(Rect::new(0, 0, 160, 48), 4) else {
            panic!()
        };
        assert_eq!(header.height + panes[0].height + panes[2].height + footer.height, 48);
        assert_eq!(panes[0].width + panes[1].width, 160);
    }

    /// Odd sizes split with the extra cell to the right and to the bottom.
    #[test]
    fn grid_rounds_down_left_and_top() {
        let Screen::Grid { header, panes, .. } = screen(Rect::new(0, 0, 131, 41), 4) else {
            panic!()
        };
        let body = 41 - header.height - 1;
        assert_eq!((panes[0].width, panes[1].width), (131 * 9 / 20, 131 - 131 * 9 / 20));
        assert_eq!((panes[0].height, panes[2].height), (body / 2, body - body / 2));
        assert_eq!(panes[3].x, panes[1].x);
    }
}
