//! Placing a line on a row beside another: flush right only where it leaves the line on the
//! left its room (ratatui's right-aligned text would simply draw over it).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Widget;

/// The part of `row` from column `col` on; empty past its end.
pub fn from_col(row: Rect, col: u16) -> Rect {
    let col = col.min(row.width);
    Rect {
        x: row.x + col,
        width: row.width - col,
        ..row
    }
}

/// Renders `line` flush right on `row` if it leaves columns up to `after` free; says whether
/// it did.
pub fn render_right(line: &Line, after: u16, row: Rect, buf: &mut Buffer) -> bool {
    let width = line.width();
    if width + usize::from(after) >= usize::from(row.width) {
        return false;
    }
    line.render(from_col(row, row.width - width as u16), buf);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_right_only_with_room_to_spare() {
        let mut buf = Buffer::with_lines(["left......"]);
        let row = buf.area;
        // Columns 0 to 4 stay free: "ab" goes in 8 and 9.
        assert!(render_right(&Line::raw("ab"), 4, row, &mut buf));
        assert_eq!(buf, Buffer::with_lines(["left....ab"]));
        // Column 7 must stay free, but "xyz" would start there.
        assert!(!render_right(&Line::raw("xyz"), 7, row, &mut buf));
        assert_eq!(from_col(row, 12), Rect::new(10, 0, 0, 1));
    }
}
