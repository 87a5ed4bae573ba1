//! One row of a sparkline, newest point at the right, written straight into the cells (no
//! string to build or segment: the metrics pane draws several on every frame). Gaps in the
//! data show as ·; history read back from an earlier attempt stands muted left of a ┆ that
//! marks where this release's evidence begins, so it reads apart without colour.

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

use crate::engine::series::Series;

const BARS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Row `level` (0 = top) of a sparkline `rows` tall over `series`, `width` points wide on
/// the scale `lo`..`hi`. Drawn from the left of its area, clipped to it.
#[derive(Debug, Clone, Copy)]
pub struct SparkRow<'a> {
    pub series: &'a Series,
    pub width: usize,
    pub lo: f64,
    pub hi: f64,
    pub rows: usize,
    pub level: usize,
    /// Where the series' live evidence begins: points before it are history.
    pub history_before: Option<DateTime<Utc>>,
    pub style: Style,
    pub history_style: Style,
}

impl<'a> SparkRow<'a> {
    /// A one-row sparkline without history, in one style.
    pub fn single(series: &'a Series, width: usize, (lo, hi): (f64, f64), style: Style) -> SparkRow<'a> {
        SparkRow {
            series,
            width,
            lo,
            hi,
            rows: 1,
            level: 0,
            history_before: None,
            style,
            history_style: style,
        }
    }
}

impl Widget for SparkRow<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let row = self;
        spark_cells(&row, |i, symbol, past| {
            if i < usize::from(area.width) {
                let style = if past { row.history_style } else { row.style };
                buf[(area.x + i as u16, area.y)].set_symbol(symbol).set_style(style);
            }
        });
    }
}

/// The shared vertical scale of two series over their last `n` points.
pub fn scale(a: &Series, b: &Series, n: usize) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in a.tail(n).chain(b.tail(n)).flatten() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

/// Calls `cell(column, symbol, history)` for each point of the row, and for the ┆ mark.
fn spark_cells(row: &SparkRow, mut cell: impl FnMut(usize, &'static str, bool)) {
    let &SparkRow {
        series,
        width: w,
        lo,
        hi,
        rows,
        level,
        history_before,
        ..
    } = row;
    let is_history = |at: &DateTime<Utc>| history_before.is_some_and(|start| *at < start);
    // Points are in time order, so the history in view is a prefix of it.
    let history_in = |shown: usize| series.tail_points(shown).take_while(|(at, _)| is_history(at)).count();
    let mut shown = series.len().min(w);
    let mut history = 0;
    if w >= 2 && history_in(shown) > 0 {
        history = history_in(series.len().min(w - 1));
        if history > 0 {
            shown = series.len().min(w - 1);
        }
    }
    let mark = usize::from(history > 0);
    let first = w - shown - mark;
    let steps = (8 * rows) as f64;
    let below = 8 * (rows - 1 - level);
    for (i, (_, p)) in series.tail_points(shown).enumerate() {
        let symbol = match p {
            None if level + 1 == rows => "·",
            None => " ",
            Some(v) => {
                let height = if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                    (steps / 2.0) as usize
                } else {
                    1 + ((v - lo) / (hi - lo) * (steps - 1.0)).round() as usize
                };
                BARS[height.saturating_sub(below).min(8)]
            }
        };
        let past = i < history;
        cell(first + i + usize::from(!past) * mark, symbol, past);
    }
    if mark == 1 {
        cell(first + history, "┆", true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spark_row(series: &Series, w: usize, lo: f64, hi: f64, rows: usize, level: usize) -> String {
        history_row(series, w, lo, hi, rows, level, None)
    }

    /// The row's symbols, each history bar in parentheses.
    fn history_row(
        series: &Series,
        width: usize,
        lo: f64,
        hi: f64,
        rows: usize,
        level: usize,
        history_before: Option<DateTime<Utc>>,
    ) -> String {
        let mut out = vec![" ".to_string(); width];
        let row = SparkRow {
            series,
            width,
            lo,
            hi,
            rows,
            level,
            history_before,
            style: Style::new(),
            history_style: Style::new(),
        };
        spark_cells(&row, |i, s, past| {
            out[i] = if past && s != "┆" {
                format!("({s})")
            } else {
                s.to_string()
            };
        });
        out.concat()
    }

    #[test]
    fn sparkline_scales_and_marks_gaps() {
        let mut s = Series::new(10);
        let t = DateTime::UNIX_EPOCH;
        for v in [Some(0.0), None, Some(10.0)] {
            s.push(t, v);
        }
        assert_eq!(spark_row(&s, 5, 0.0, 10.0, 1, 0), "  ▁·█");
        // Two rows tall: the top row only shows the upper half.
        assert_eq!(spark_row(&s, 3, 0.0, 10.0, 2, 0), "  █");
        assert_eq!(spark_row(&s, 3, 0.0, 10.0, 2, 1), "▁·█");
        // A flat series sits mid-height.
        assert_eq!(spark_row(&s, 3, 5.0, 5.0, 1, 0), "▄·▄");
    }

    #[test]
    fn history_stands_left_of_a_mark_at_the_start() {
        let t = |s: i64| DateTime::UNIX_EPOCH + chrono::Duration::seconds(s);
        let mut s = Series::new(10);
        for (at, v) in [(0, 0.0), (1, 10.0), (2, 0.0), (3, 10.0)] {
            s.push(t(at), Some(v));
        }
        let start = Some(t(2));
        // Two history points, the mark, two live ones, right-aligned.
        assert_eq!(history_row(&s, 6, 0.0, 10.0, 1, 0, start), " (▁)(█)┆▁█");
        // Only as much history as fits beside the mark and the live points.
        assert_eq!(history_row(&s, 4, 0.0, 10.0, 1, 0, start), "(█)┆▁█");
        // No room for any history: no mark, the live points only.
        assert_eq!(history_row(&s, 2, 0.0, 10.0, 1, 0, start), "▁█");
        // Only history so far: the mark stands at the right, where live data will come.
        assert_eq!(history_row(&s, 6, 0.0, 10.0, 1, 0, Some(t(9))), " (▁)(█)(▁)(█)┆");
        // Nothing before the start: no mark.
        assert_eq!(history_row(&s, 6, 0.0, 10.0, 1, 0, Some(t(0))), "  ▁█▁█");
    }

    #[test]
    fn renders_into_its_area_clipped() {
        let mut s = Series::new(10);
        for v in [0.0, 10.0, 0.0] {
            s.push(DateTime::UNIX_EPOCH, Some(v));
        }
        let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
        SparkRow::single(&s, 5, (0.0, 10.0), Style::new()).render(Rect::new(2, 0, 3, 1), &mut buf);
        // Points at columns 2, 3 and 4 of the sparkline: only the first is inside the area.
        assert_eq!(buf, Buffer::with_lines(["    ▁ "]));
    }
}
