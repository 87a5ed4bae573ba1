//! A dialog's frame: a double-bordered, titled `Block` centred over the screen, with a blank
//! margin so the screen behind never touches its border, and a column of padding inside.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Widget};

/// Clears a centred box of `inner_w` x `inner_h` content cells (plus border and padding),
/// draws its frame and title, and returns the content area.
pub fn frame(
    area: Rect,
    inner_w: u16,
    inner_h: u16,
    title: &str,
    border: Style,
    title_style: Style,
    buf: &mut Buffer,
) -> Rect {
    let area = area.intersection(buf.area);
    let rect = centered(area, inner_w.saturating_add(4), inner_h.saturating_add(2));
    let margin = Rect {
        x: rect.x.saturating_sub(1).max(area.x),
        width: (rect.width + 2).min(area.right() - rect.x.saturating_sub(1).max(area.x)),
        ..rect
    };
    Clear.render(margin, buf);
    let title = Line::from(vec![
        Span::styled(" ", border),
        Span::styled(title.to_string(), title_style),
        Span::styled(" ", border),
    ]);
    let block = Block::bordered()
        .border_set(border::DOUBLE)
        .border_style(border)
        .title(title)
        .padding(Padding::horizontal(1));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

/// A rectangle of `w` x `h` centred in `area` (shrunk to fit), an odd cell to the right and
/// below. (`Rect::centered` rounds the other way.)
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h)
}
