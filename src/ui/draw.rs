//! The whole screen, as a pure function of the release, the UI state, the theme and the
//! time: no I/O, no clock reads. Each part (header, panes, footer, dialogs) draws itself
//! into a `Buffer` area, clipped, so any part renders at any size without panicking.
//!
//! Layout: at 120x40 and up all four panes show in a 2x2 grid; from 80x24 one pane shows
//! at a time (the focused one) under a tab bar naming all four; below 80x24 only a notice.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;

use super::text::width;
use super::wrap::wrap;

use super::app::{Pane, UiState};
use super::theme::Theme;
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
pub enum Layout {
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

pub fn layout(area: Rect) -> Layout {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return Layout::TooSmall;
    }
    let header_h = header::height(area.width);
    let header = Rect {
        height: header_h,
        ..area
    };
    let footer = Rect {
        y: area.bottom() - 1,
        height: 1,
        ..area
    };
    let body_y = area.y + header_h;
    let body_h = area.height - header_h - 1;
    if area.width >= GRID_WIDTH && area.height >= GRID_HEIGHT {
        let left_w = area.width * 9 / 20;
        let right_w = area.width - left_w;
        let top_h = body_h / 2;
        let bottom_h = body_h - top_h;
        let (lx, rx) = (area.x, area.x + left_w);
        let (ty, by) = (body_y, body_y + top_h);
        let panes = [
            Rect::new(lx, ty, left_w, top_h),
            Rect::new(rx, ty, right_w, top_h),
            Rect::new(lx, by, left_w, bottom_h),
            Rect::new(rx, by, right_w, bottom_h),
        ];
        Layout::Grid { header, panes, footer }
    } else {
        let tabs = Rect {
            y: body_y,
            height: 1,
            ..area
        };
        let pane = Rect {
            y: body_y + 1,
            height: body_h - 1,
            ..area
        };
        Layout::Single {
            header,
            tabs,
            pane,
            footer,
        }
    }
}

/// Draws the screen into `buf` within `area`.
pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    match layout(area) {
        Layout::TooSmall => too_small(ctx.theme, area, buf),
        Layout::Single {
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
        }
        Layout::Grid {
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
        }
    }
    if ctx.theme.mono {
        strip_colours(area, buf);
    }
}

fn too_small(theme: &Theme, area: Rect, buf: &mut Buffer) {
    if area.is_empty() {
        return;
    }
    let text = format!(
        "terminal too small: need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{}",
        area.width, area.height
    );
    let lines = wrap(&text, area.width as usize);
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    for (i, line) in lines.iter().enumerate() {
        let w = width(line) as u16;
        let col = area.width.saturating_sub(w) / 2;
        put(buf, area, col, top + i as u16, line, theme.warning);
    }
}

/// Some widgets (the notes editor) bring their own colours: a monochrome theme wins.
fn strip_colours(area: Rect, buf: &mut Buffer) {
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let cell = &mut buf[(x, y)];
            cell.fg = Color::Reset;
            cell.bg = Color::Reset;
        }
    }
}

// ----- small drawing helpers shared by the parts of the screen -----------------------------

/// Writes `text` at (`col`, `row`) of `area`, clipped to it; returns the column after it.
pub fn put(buf: &mut Buffer, area: Rect, col: u16, row: u16, text: &str, style: Style) -> u16 {
    if row >= area.height || col >= area.width {
        return col;
    }
    let x = write_str(
        buf,
        area.x + col,
        area.y + row,
        text,
        (area.width - col) as usize,
        style,
    );
    x - area.x
}

/// Writes a line of spans at (`col`, `row`) of `area`, clipped to it.
pub fn put_line(buf: &mut Buffer, area: Rect, col: u16, row: u16, line: &Line) -> u16 {
    if row >= area.height || col >= area.width {
        return col;
    }
    let (mut x, y) = (area.x + col, area.y + row);
    let right = area.right();
    for span in line {
        if x >= right {
            break;
        }
        x = write_str(
            buf,
            x,
            y,
            &span.content,
            (right - x) as usize,
            line.style.patch(span.style),
        );
    }
    x - area.x
}

/// Writes a string at an absolute position: plain ASCII cell by cell (the common case,
/// and several times cheaper), anything else through ratatui's grapheme-aware writer.
fn write_str(buf: &mut Buffer, mut x: u16, y: u16, text: &str, max: usize, style: Style) -> u16 {
    let end = x
        .saturating_add(max.min(u16::MAX as usize) as u16)
        .min(buf.area.right());
    for (i, b) in text.bytes().enumerate() {
        if !b.is_ascii() {
            let (after, _) = buf.set_stringn(x, y, &text[i..], end.saturating_sub(x) as usize, style);
            return after;
        }
        if x >= end {
            break;
        }
        if b.is_ascii_control() {
            continue;
        }
        buf[(x, y)].set_char(b as char).set_style(style);
        x += 1;
    }
    x
}

/// Writes one cell symbol (a box or bar glyph) at (`col`, `row`) of `area`, if inside.
pub fn put_cell(buf: &mut Buffer, area: Rect, col: u16, row: u16, symbol: &str, style: Style) {
    if row < area.height && col < area.width {
        buf[(area.x + col, area.y + row)].set_symbol(symbol).set_style(style);
    }
}

/// Writes a line right-aligned on `row`, if it fits right of column `after`.
pub fn put_right(buf: &mut Buffer, area: Rect, after: u16, row: u16, line: &Line) -> bool {
    let w = line.width() as u16;
    if w + after >= area.width {
        return false;
    }
    put_line(buf, area, area.width - w, row, line);
    true
}

/// Paints a whole row of `area` with `style`.
pub fn fill_row(buf: &mut Buffer, area: Rect, row: u16, style: Style) {
    if row < area.height {
        buf.set_style(
            Rect {
                y: area.y + row,
                height: 1,
                ..area
            },
            style,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_by_size() {
        assert_eq!(layout(Rect::new(0, 0, 79, 24)), Layout::TooSmall);
        assert_eq!(layout(Rect::new(0, 0, 80, 23)), Layout::TooSmall);
        assert!(matches!(layout(Rect::new(0, 0, 80, 24)), Layout::Single { .. }));
        assert!(matches!(layout(Rect::new(0, 0, 200, 39)), Layout::Single { .. }));
        let Layout::Grid { header, panes, footer } = layout(Rect::new(0, 0, 160, 48)) else {
            panic!()
        };
        assert_eq!(header.height + panes[0].height + panes[2].height + footer.height, 48);
        assert_eq!(panes[0].width + panes[1].width, 160);
    }
}
