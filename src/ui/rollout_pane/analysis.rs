//! The Rollout pane's analysis: the AnalysisRun's verdict, then each metric's newest values
//! and tally of measurements.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{RolloutPane, Section};
use crate::engine::rollout_state::{AnalysisState, MetricMeasured};
use crate::ui::text::{fit, width as text_width};
use crate::ui::theme::Theme;
use crate::ui::wrap::wrap_line;

impl<'a> RolloutPane<'a> {
    /// The AnalysisRun: its verdict, then each metric's newest values and tally.
    pub(super) fn analysis(&self, a: &AnalysisState, w: usize) -> Section<'a> {
        let t = self.theme;
        let (badge, style) = analysis_look(a.phase.as_deref(), t);
        let kind = a.kind.map(|k| format!(" · {}", k.label())).unwrap_or_default();
        let fixed = text_width(" Analysis ") + text_width(badge) + 1;
        let mut heading = vec![
            Span::styled(" Analysis ", t.title),
            Span::styled(badge, style),
            Span::raw(" "),
        ];
        if fixed + text_width(&a.name) + text_width(&kind) <= w {
            heading.extend([Span::styled(a.name.clone(), t.text), Span::styled(kind, t.muted)]);
        } else {
            heading.push(Span::styled(fit(&a.name, w.saturating_sub(fixed)).into_owned(), t.text));
        }
        let firsts: Vec<Line<'static>> = a.metrics.iter().map(|m| self.metric_values(m, w)).collect();
        let mut full = vec![Line::from(heading.clone())];
        for (m, first) in a.metrics.iter().zip(&firsts) {
            full.push(first.clone());
            full.push(self.metric_tally(m));
            if let Some(message) = &m.message {
                full.push(Line::from(Span::styled(format!("      {message}"), t.muted)));
            }
        }
        let said = self.state.abort_reason.as_deref();
        if let Some(message) = a.message.as_deref().filter(|m| Some(*m) != said) {
            full.extend(wrap_line(
                Line::from(Span::styled(format!("   {message}"), t.text)),
                w,
                2,
            ));
        }
        let min = 1 + usize::from(!firsts.is_empty());
        Section {
            rank: 4,
            min,
            full: full.len(),
            gap_before: true,
            rows: Box::new(move |n| {
                if n >= full.len() {
                    return full.clone();
                }
                // Short of room: every metric's values before any tally.
                let mut out = vec![Line::from(heading.clone())];
                let room = n.saturating_sub(1);
                if firsts.len() > room && room >= 2 {
                    out.extend(firsts[..room - 1].iter().cloned());
                    let more = firsts.len() - (room - 1);
                    out.push(Line::from(Span::styled(format!("   … {more} more metrics"), t.warning)));
                } else {
                    out.extend(firsts.iter().take(room).cloned());
                }
                out
            }),
        }
    }

    /// `✖ FAILED  web  last: false  pass if result == "true"`: as many of the newest
    /// values as fit, oldest first.
    fn metric_values(&self, m: &MetricMeasured, w: usize) -> Line<'static> {
        let t = self.theme;
        let (badge, style) = analysis_look(m.phase.as_deref(), t);
        let condition = match (&m.success_condition, &m.failure_condition) {
            (Some(c), _) => format!("  pass if {c}"),
            (None, Some(c)) => format!("  fail if {c}"),
            (None, None) => String::new(),
        };
        let line = |values: &[String]| {
            let shown = if values.is_empty() {
                "no value yet".to_string()
            } else {
                format!("last: {}", values.join(", "))
            };
            Line::from(vec![
                Span::styled(format!("   {badge} "), style),
                Span::styled(m.name.clone(), t.title),
                Span::styled(format!("  {shown}"), t.text),
                Span::styled(condition.clone(), t.muted),
            ])
        };
        let mut from = 0;
        while from + 1 < m.last_values.len() && line(&m.last_values[from..]).width() > w {
            from += 1;
        }
        line(&m.last_values[from..])
    }

    /// `measured 1: 0 successful · 1 failed · 0 inconclusive · 0 errors`.
    fn metric_tally(&self, m: &MetricMeasured) -> Line<'static> {
        let t = self.theme;
        let part =
            |n: u32, word: &str, bad: Style| Span::styled(format!("{n} {word}"), if n > 0 { bad } else { t.text });
        let dot = || Span::styled(" · ", t.muted);
        Line::from(vec![
            Span::styled(format!("      measured {}: ", m.count), t.muted),
            part(m.successful, "successful", t.success),
            dot(),
            part(m.failed, "failed", t.danger),
            dot(),
            part(m.inconclusive, "inconclusive", t.warning),
            dot(),
            part(m.errors, if m.errors == 1 { "error" } else { "errors" }, t.danger),
        ])
    }
}

/// An AnalysisRun's or a metric's phase as a symbol and a word.
fn analysis_look(phase: Option<&str>, t: &Theme) -> (&'static str, Style) {
    match phase {
        Some("Successful") => ("✔ SUCCESSFUL", t.success),
        Some("Failed") => ("✖ FAILED", t.danger),
        Some("Error") => ("✖ ERROR", t.danger),
        Some("Inconclusive") => ("? INCONCLUSIVE", t.warning),
        Some("Running") => ("▶ RUNNING", t.info),
        Some("Pending") | None => ("○ PENDING", t.muted),
        Some(_) => ("? UNKNOWN", t.warning),
    }
}
