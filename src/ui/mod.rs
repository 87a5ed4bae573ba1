//! The cockpit: pure rendering of the release view plus presentation state.

pub mod app;
pub mod data_status;
pub mod dialogs;
pub mod draw;
pub mod footer;
pub mod header;
pub mod hold_words;
pub mod judge;
pub mod keys;
pub mod panes;
pub mod rollout_pane;
pub mod row;
pub mod text;
pub mod text_fields;
pub mod theme;
pub mod time_text;
pub mod widgets;
pub mod wrap;
