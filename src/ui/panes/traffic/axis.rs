//! Weights placed along the traffic bar: the scale above it and the markers under it (the
//! desired weight, the weight being dialled). Labels stand at their weight's cell, so these
//! are widgets of their own rather than lines of text.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Widget;

use crate::plan::Weight;
use crate::ui::row::from_col;

/// Cells of a `bar_w`-wide bar that a weight fills.
pub fn cells(w: Weight, bar_w: u16) -> u16 {
    ((u32::from(w.percent()) * u32::from(bar_w) + 50) / 100) as u16
}

/// 0% 25% 50% 75% 100% over a bar `bar_w` wide that starts one cell in; only the ends and
/// the middle on a short bar.
pub struct Scale {
    pub bar_w: u16,
    pub style: Style,
}

impl Widget for Scale {
    fn render(self, row: Rect, buf: &mut Buffer) {
        let bar_w = self.bar_w;
        for q in [0u16, 25, 50, 75, 100] {
            if bar_w < 24 && q % 50 != 0 {
                continue;
            }
            let label = format!("{q}%");
            let lw = label.len() as u16;
            let pos = if q == 100 {
                bar_w.saturating_sub(lw)
            } else {
                (q * bar_w / 100).min(bar_w - lw.min(bar_w))
            };
            Span::styled(label, self.style).render(from_col(row, 1 + pos), buf);
        }
    }
}

/// A marker under the bar at `weight`, labelled beside it (left of it near the end).
pub struct Marker<'a> {
    pub bar_w: u16,
    pub weight: Weight,
    pub symbol: &'a str,
    pub label: String,
    pub style: Style,
}

impl Widget for Marker<'_> {
    fn render(self, row: Rect, buf: &mut Buffer) {
        let bar_w = self.bar_w;
        let pos = cells(self.weight, bar_w).saturating_sub(1).min(bar_w.saturating_sub(1));
        let lw = self.label.chars().count() as u16;
        let (col, text) = if pos + 2 + lw <= bar_w {
            (pos, format!("{} {}", self.symbol, self.label))
        } else {
            (
                (pos + 1).saturating_sub(lw + 2),
                format!("{} {}", self.label, self.symbol),
            )
        };
        Span::styled(text, self.style).render(from_col(row, 1 + col), buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(widget: impl Widget, width: u16) -> String {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 1));
        widget.render(buf.area, &mut buf);
        buf.content().iter().map(|c| c.symbol()).collect()
    }

    #[test]
    fn scale_and_markers_stand_at_their_weight() {
        let style = Style::new();
        // A short bar: the ends and the middle only.
        assert_eq!(row(Scale { bar_w: 20, style }, 22), " 0%        50%   100% ");
        assert_eq!(
            row(Scale { bar_w: 40, style }, 42),
            " 0%        25%       50%       75%   100% "
        );
        let marker = |percent| Marker {
            bar_w: 20,
            weight: Weight::new(percent).unwrap(),
            symbol: "◇",
            label: "desired".into(),
            style,
        };
        assert_eq!(row(marker(25), 22), "     ◇ desired        ");
        // Near the end the label goes left of the marker.
        assert_eq!(row(marker(90), 22), "          desired ◇   ");
    }
}
