//! One row of the metrics pane's scrolling body: a line of text (with, on a metric's title,
//! another flush right of it), or one row of a sparkline between its label and its value.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

use crate::ui::row::{from_col, render_right};
use crate::ui::widgets::sparkline::SparkRow;

pub enum BodyRow<'a> {
    /// `line`'s own style (a highlight) fills the row; `right` goes flush right if it leaves
    /// `right_after` columns free.
    Text {
        line: Line<'static>,
        right: Vec<Line<'static>>,
        right_after: u16,
    },
    Spark {
        /// The series' name, on the sparkline's last row.
        label: Line<'static>,
        /// Where the bars start.
        at: u16,
        bars: SparkRow<'a>,
        /// The newest value, one cell right of the bars on the last row.
        value: Option<Line<'static>>,
    },
}

impl<'a> BodyRow<'a> {
    pub fn blank() -> BodyRow<'a> {
        BodyRow::text(Line::default())
    }

    pub fn text(line: Line<'static>) -> BodyRow<'a> {
        BodyRow::Text {
            line,
            right: Vec::new(),
            right_after: 0,
        }
    }
}

impl Widget for &BodyRow<'_> {
    fn render(self, row: Rect, buf: &mut Buffer) {
        match self {
            BodyRow::Text {
                line,
                right,
                right_after,
            } => {
                line.render(row, buf);
                // The first that fits: the right-hand choices come longest first.
                let _ = right
                    .iter()
                    .any(|candidate| render_right(candidate, *right_after, row, buf));
            }
            BodyRow::Spark { label, at, bars, value } => {
                label.render(row, buf);
                bars.render(from_col(row, *at), buf);
                if let Some(value) = value {
                    value.render(from_col(row, at + bars.width as u16 + 1), buf);
                }
            }
        }
    }
}
