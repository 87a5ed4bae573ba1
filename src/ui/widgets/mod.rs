//! Small widgets of our own, for what ratatui's `Block`, `Paragraph` and `Table` do not draw
//! the cockpit's way.

pub mod bar;
pub mod pane_block;
pub mod sparkline;
