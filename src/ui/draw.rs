//! Provisional: replaced by the full layout.
use chrono::{DateTime, Utc};
use ratatui::Frame;

use super::app::UiState;
use super::theme::Theme;
use crate::engine::Release;

pub fn draw(frame: &mut Frame, release: &Release, ui: &UiState, theme: &Theme, now: DateTime<Utc>) {
    let _ = (frame, release, ui, theme, now);
}
