//! A pane's frame as a ratatui `Block`. The focused pane has a thick border, the focus
//! colour and a ▶ marker in its title: never colour alone.

use ratatui::symbols::border;
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use crate::ui::app::Pane;
use crate::ui::theme::Theme;

/// The frame of `pane`, `width` cells wide, with `right` as a right-aligned title when it
/// fits beside the pane's own title (a `Block` would draw it over that title).
pub fn pane_block<'a>(theme: &Theme, pane: Pane, focused: bool, width: u16, right: Option<Line<'a>>) -> Block<'a> {
    let (marker, style, set) = if focused {
        ("▶ ", theme.border_focus, border::THICK)
    } else {
        ("", theme.border, border::PLAIN)
    };
    let title = Line::from(vec![
        Span::styled(" ", style),
        Span::styled(marker, theme.border_focus),
        Span::styled(format!("{} {}", pane.index() + 1, pane.title()), theme.title),
        Span::styled(" ", style),
    ]);
    let room = usize::from(width.saturating_sub(2));
    let used = title.width().min(room);
    let mut block = Block::bordered().border_set(set).border_style(style).title(title);
    if let Some(right) = right
        && right.width() + used + 1 < room
    {
        block = block.title(right.right_aligned());
    }
    block
}

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::widgets::Widget;

    use super::*;

    fn drawn(focused: bool, width: u16, right: &str) -> Vec<String> {
        let mut buf = Buffer::empty(Rect::new(0, 0, width, 3));
        let right = Some(Line::raw(right));
        pane_block(&Theme::mono(), Pane::Log, focused, width, right).render(buf.area, &mut buf);
        let cells: Vec<&str> = buf.content().iter().map(|c| c.symbol()).collect();
        cells.chunks(usize::from(width)).map(|row| row.concat()).collect()
    }

    #[test]
    fn the_focused_pane_is_marked_by_more_than_colour() {
        assert_eq!(
            drawn(true, 24, " following "),
            ([
                "┏ ▶ 4 Log ━━ following ┓",
                "┃                      ┃",
                "┗━━━━━━━━━━━━━━━━━━━━━━┛"
            ])
        );
        assert_eq!(
            drawn(false, 24, " following "),
            ([
                "┌ 4 Log ──── following ┐",
                "│                      │",
                "└──────────────────────┘"
            ])
        );
    }

    #[test]
    fn a_right_title_that_would_cover_the_pane_title_is_left_out() {
        assert_eq!(
            drawn(true, 22, " following "),
            ([
                "┏ ▶ 4 Log ━━━━━━━━━━━┓",
                "┃                    ┃",
                "┗━━━━━━━━━━━━━━━━━━━━┛"
            ])
        );
    }
}
