//! The Rollout pane's pods: the Rollout's pod counts, then one row per version (its
//! ReplicaSet) with role, hash, revision, ready of desired and images.

use ratatui::text::{Line, Span};

use super::{RolloutPane, Section};
use crate::engine::rollout_state::{VersionPods, VersionRole};
use crate::ui::text::{fit, pad, width as text_width};

impl<'a> RolloutPane<'a> {
    /// The Rollout's pod counts, then one row per version: role, hash, revision, ready of
    /// desired, images.
    pub(super) fn pods(&self, w: usize) -> Section<'a> {
        let s = self.state;
        let t = self.theme;
        let r = s.replicas;
        let heading = Line::from(vec![
            Span::styled(" Pods", t.title),
            Span::styled(
                format!(
                    "  desired {} · current {} · updated {} · ready {} · available {}",
                    r.desired, r.current, r.updated, r.ready, r.available
                ),
                t.text,
            ),
        ]);
        let hash_w = s.versions.iter().map(|v| text_width(&v.hash)).max().unwrap_or(0);
        let mut lines = vec![heading];
        lines.extend(s.versions.iter().map(|v| self.version_row(v, hash_w, w)));
        Section::lines(6, 1, true, lines)
    }

    fn version_row(&self, v: &VersionPods, hash_w: usize, w: usize) -> Line<'static> {
        let t = self.theme;
        let role_style = match v.role {
            VersionRole::Canary | VersionRole::Preview => t.canary,
            VersionRole::Stable | VersionRole::Active => t.stable,
            VersionRole::Old => t.muted,
        };
        let (count, count_style) = if v.desired == 0 && v.current == 0 {
            ("· scaled down".to_string(), t.muted)
        } else if v.ready >= v.desired {
            (format!("✔ {}/{} ready", v.ready, v.desired), t.success)
        } else {
            (format!("▲ {}/{} ready", v.ready, v.desired), t.warning)
        };
        let revision = v.revision.map(|r| format!("rev {r}")).unwrap_or_default();
        let head = vec![
            Span::styled(format!("   {} ", pad(v.role.label(), 7)), role_style),
            Span::styled(format!("{} ", pad(&v.hash, hash_w)), t.muted),
            Span::styled(format!("{} ", pad(&revision, 7)), t.muted),
            Span::styled(pad(&count, 14), count_style),
        ];
        let used: usize = head.iter().map(Span::width).sum();
        let images = v.images.join(", ");
        let mut spans = head;
        spans.push(Span::styled(
            format!("  {}", fit(&images, w.saturating_sub(used + 2))),
            t.text,
        ));
        Line::from(spans)
    }
}
