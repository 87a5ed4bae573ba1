//! Quitting while the release is live: what stops when the cockpit goes away.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::engine::Release;
use crate::ui::app::router_reports;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, first_key, key_for};

/// The dialog's keys, from the key table.
pub fn keys() -> String {
    format!(
        "{} quit · {} stay",
        first_key(key_for(Action::Select)),
        key_for(Action::Close)
    )
}

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let lines = warning(ctx.release);
    super::confirm::question(ctx, area, buf, "Quit shipdeck?", &lines, &keys(), ctx.theme.warning);
}

/// What the operator is told before quitting a live release.
pub fn warning(release: &Release) -> Vec<String> {
    vec![
        format!(
            "{} {} is {}.",
            release.plan().release.name,
            release.plan().release.version,
            release.phase()
        ),
        "Quitting stops this cockpit: no more auto-advance, no automatic".into(),
        "rollback, no metric watching. Traffic stays where it is now".into(),
        format!("({}).", router_reports(release)),
    ]
}
