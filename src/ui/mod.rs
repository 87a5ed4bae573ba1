//! The cockpit: pure rendering of the release view plus presentation state.

pub mod app;
pub mod dialogs;
pub mod draw;
pub mod footer;
pub mod header;
pub mod judge;
pub mod keys;
pub mod panes;
pub mod theme;
