//! A bar of two glyphs: the filled part in one, the rest in another, so a share reads without
//! colour (the hold's progress, the canary's share of traffic).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

#[derive(Debug, Clone, Copy)]
pub struct Bar {
    /// Cells in all.
    pub width: usize,
    /// Cells drawn with `fill`; the rest with `rest`.
    pub filled: usize,
    pub fill: (&'static str, Style),
    pub rest: (&'static str, Style),
}

impl Bar {
    /// The bar as two runs of glyphs, to sit inside a line of text.
    pub fn spans(&self) -> [Span<'static>; 2] {
        let filled = self.filled.min(self.width);
        [
            Span::styled(self.fill.0.repeat(filled), self.fill.1),
            Span::styled(self.rest.0.repeat(self.width - filled), self.rest.1),
        ]
    }
}

impl Widget for Bar {
    fn render(self, area: Rect, buf: &mut Buffer) {
        Line::from(self.spans().to_vec()).render(area, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_its_share_and_never_more_than_its_width() {
        let bar = |filled| Bar {
            width: 6,
            filled,
            fill: ("█", Style::new()),
            rest: ("░", Style::new()),
        };
        let mut buf = Buffer::empty(Rect::new(0, 0, 8, 1));
        bar(2).render(Rect::new(1, 0, 7, 1), &mut buf);
        assert_eq!(buf, Buffer::with_lines([" ██░░░░ "]));
        assert_eq!(bar(9).spans().map(|s| s.content.into_owned()), ["██████", ""]);
    }
}
