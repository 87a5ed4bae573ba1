//! How fresh the metrics data is, in words and a symbol (never colour alone).

use ratatui::text::Span;

use super::theme::Theme;
use crate::engine::DataStatus;
use crate::format::fmt_duration;

/// "data ✔ 3s old", "data ~ STALE 45s old", "data ? NO DATA"; `metric` names the culprit
/// where the line speaks for several metrics. The reason itself is in the hold line.
pub fn data_span(status: &DataStatus, metric: Option<&str>, t: &Theme) -> Span<'static> {
    let of = metric.map(|m| format!(" {m}")).unwrap_or_default();
    match status {
        DataStatus::Nothing => Span::styled("data ? none yet", t.warning),
        DataStatus::Fresh { age } => Span::styled(format!("data ✔ {} old", fmt_duration(*age)), t.success),
        DataStatus::Stale { age } => Span::styled(format!("data ~ STALE{of} {} old", fmt_duration(*age)), t.warning),
        DataStatus::NoData { .. } => Span::styled(format!("data ? NO DATA{of}"), t.danger),
    }
}
