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
