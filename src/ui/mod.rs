//! The cockpit: pure rendering of the release view plus presentation state.

pub mod app;
pub mod draw;
pub mod keys;
pub mod theme;
