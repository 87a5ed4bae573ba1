//! The top of the Rollout pane: what state the Rollout is in. The header (phase, step,
//! weights), an abort, the phase's message, who holds it paused, and the weights (or,
//! blue-green, the services).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{RolloutPane, Section};
use crate::engine::rollout_state::{WeightSource, Weights};
use crate::ui::text::{fit, width as text_width};
use crate::ui::theme::Theme;
use crate::ui::time_text::time_of_day;
use crate::ui::widgets::bar::Bar;
use crate::ui::wrap::wrap_line;

/// A reason short enough to sit in the header beside the phase (`Paused (CanaryPauseStep)`).
const HEADER_REASON: usize = 32;

impl<'a> RolloutPane<'a> {
    /// The header, an abort, the phase's message, pauses and the weights (or, blue-green,
    /// the services).
    pub(super) fn top(&self, w: usize) -> Vec<Section<'a>> {
        let s = self.state;
        let t = self.theme;
        let mut top = vec![Section::lines(0, 1, false, vec![self.header(w)])];
        if s.aborted {
            let at = s
                .aborted_at
                .map(|at| format!(" at {}", time_of_day(at)))
                .unwrap_or_default();
            let reason = s
                .abort_reason
                .as_deref()
                .or(s.message.as_deref())
                .unwrap_or("no reason given");
            let line = Line::from(format!(" ✖ ABORTED{at}: {reason}")).style(t.alarm);
            top.push(Section::lines(0, 1, false, wrap_line(line, w, 2)));
        }
        if let Some(message) = self.message_line() {
            let (symbol, style) = phase_look(&s.phase, t);
            let line = Line::from(vec![
                Span::styled(format!(" {symbol} "), style),
                Span::styled(message, t.text),
            ]);
            top.push(Section::lines(1, 1, false, wrap_line(line, w, 2)));
        }
        if let Some(line) = self.pause_line() {
            top.push(Section::lines(5, 1, false, vec![line]));
        }
        if let Some(weights) = s.weights {
            top.push(Section::lines(
                2,
                1,
                false,
                wrap_line(self.weights_line(weights, w), w, 2),
            ));
        }
        if let Some(line) = self.blue_green_line() {
            top.push(Section::lines(2, 1, false, wrap_line(line, w, 2)));
        }
        top
    }

    /// `✔ Rollout checkout · Paused (CanaryPauseStep) · step 2/8 · canary 20% / stable 80%`,
    /// losing its least important words first when the row is narrow.
    fn header(&self, w: usize) -> Line<'static> {
        let s = self.state;
        let t = self.theme;
        let (symbol, style) = phase_look(&s.phase, t);
        let phase = if s.phase.is_empty() {
            "phase unknown"
        } else {
            s.phase.as_str()
        };
        let reason = self.header_reason().map(|r| format!(" ({r})")).unwrap_or_default();
        let progress = match (s.step, &s.blue_green) {
            (Some(p), _) if p.all_done() => format!(" · steps done {}/{}", p.count, p.count),
            (Some(p), _) => format!(" · step {}/{}", p.index + 1, p.count),
            (None, Some(bg)) if bg.promoted => " · preview promoted".to_string(),
            (None, Some(_)) => " · preview not promoted".to_string(),
            (None, None) => String::new(),
        };
        let weights = s.weights.map(|wt| {
            let source = if wt.source == WeightSource::Reported {
                "reported"
            } else {
                "from steps"
            };
            (
                format!(" · canary {}% / stable {}%", wt.canary, wt.stable),
                format!(" ({source})"),
            )
        });
        let build = |word: bool, name: &str, reason: &str, source: bool| {
            let mut spans = vec![
                Span::styled(format!(" {symbol} "), style),
                Span::styled(if word { "Rollout " } else { "" }.to_string(), t.muted),
                Span::styled(name.to_string(), t.title),
                Span::styled(" · ", t.muted),
                Span::styled(phase.to_string(), style),
                Span::styled(reason.to_string(), t.text),
                Span::styled(progress.clone(), t.text),
            ];
            if let Some((split, from)) = &weights {
                spans.push(Span::styled(split.clone(), t.canary));
                if source {
                    spans.push(Span::styled(from.clone(), t.muted));
                }
            }
            Line::from(spans)
        };
        let name = s.name.as_str();
        let candidates = [
            build(true, name, &reason, true),
            build(true, name, &reason, false),
            build(false, name, &reason, false),
            build(false, name, "", false),
        ];
        candidates
            .into_iter()
            .find(|line| line.width() <= w)
            .unwrap_or_else(|| {
                // The name gives way to the state: it is cut, not the phase or the weights.
                let room = w.saturating_sub(build(false, "", "", false).width()).max(6);
                build(false, &fit(name, room), "", false)
            })
    }

    /// The phase's reason when it is short enough for the header (a pause reason): longer
    /// ones, and a degraded Rollout's, get a row of their own.
    fn header_reason(&self) -> Option<&str> {
        let s = self.state;
        s.message
            .as_deref()
            .filter(|m| s.phase != "Degraded" && text_width(m) <= HEADER_REASON && !m.contains('\n'))
    }

    /// The phase's message on its own row, unless the header or the abort row says it.
    fn message_line(&self) -> Option<String> {
        let s = self.state;
        let message = s.message.as_deref()?;
        if self.header_reason().is_some() {
            return None;
        }
        if s.aborted && s.abort_reason.as_deref().is_none_or(|r| message.contains(r)) {
            return None;
        }
        Some(message.to_string())
    }

    /// Who holds the Rollout, unless the header already says exactly that.
    fn pause_line(&self) -> Option<Line<'static>> {
        let s = self.state;
        let mut by: Vec<String> = s.pause_reasons.clone();
        if s.spec_paused {
            by.push("spec.paused (paused by hand)".into());
        }
        if by.is_empty() || (by.len() == 1 && self.header_reason() == Some(by[0].as_str())) {
            return None;
        }
        let t = self.theme;
        Some(Line::from(vec![
            Span::styled(" ‖ paused: ", t.warning),
            Span::styled(by.join(" · "), t.text),
        ]))
    }

    /// The split as a bar (█ canary, ░ stable) with its numbers and where they come from.
    fn weights_line(&self, wt: Weights, w: usize) -> Line<'static> {
        let t = self.theme;
        let bar_w = (w / 5).clamp(4, 32);
        let bar = Bar {
            width: bar_w,
            filled: (usize::from(wt.canary) * bar_w + 50) / 100,
            fill: ("█", t.canary),
            rest: ("░", t.stable),
        };
        let [canary_part, stable_part] = bar.spans();
        let source = match wt.source {
            WeightSource::Reported => "reported by Argo".to_string(),
            WeightSource::SetWeightStep(i) => format!("set by step {}; Argo reports none", i + 1),
            WeightSource::NoSetWeightYet => "no setWeight step reached yet".to_string(),
            WeightSource::StepsDone => "all steps done: the canary is the new stable".to_string(),
            WeightSource::Aborted => "aborted: all traffic back to stable".to_string(),
        };
        let mut spans = vec![
            Span::raw(" "),
            canary_part,
            stable_part,
            Span::styled(format!(" canary {}%", wt.canary), t.canary),
            Span::styled(" · ", t.muted),
            Span::styled(format!("stable {}%", wt.stable), t.stable),
            Span::styled(format!(" · {source}"), t.muted),
        ];
        let sum = u16::from(wt.canary) + u16::from(wt.stable);
        if sum != 100 {
            spans.push(Span::styled(format!(" · ▲ sums to {sum}%"), t.warning));
        }
        Line::from(spans)
    }

    /// Blue-green: what the active and preview Services select and what comes next.
    fn blue_green_line(&self) -> Option<Line<'static>> {
        let bg = self.state.blue_green.as_ref()?;
        let t = self.theme;
        let hash = |h: &Option<String>| h.clone().unwrap_or_else(|| "—".into());
        let next = match (bg.promoted, bg.auto_promotion) {
            (true, _) => "✔ the new version is active",
            (false, false) => "‖ needs a promote (auto-promotion off)",
            (false, true) => "▶ promotes itself when ready",
        };
        Some(Line::from(vec![
            Span::styled(" active ", t.muted),
            Span::styled(hash(&bg.active_selector), t.stable),
            Span::styled(" · preview ", t.muted),
            Span::styled(hash(&bg.preview_selector), t.canary),
            Span::styled(format!(" · {next}"), t.text),
        ]))
    }
}

/// The symbol and style of Argo's phase: never colour alone.
fn phase_look(phase: &str, t: &Theme) -> (&'static str, Style) {
    match phase {
        "Healthy" => ("✔", t.success),
        "Progressing" => ("▶", t.info),
        "Paused" => ("‖", t.warning),
        "Degraded" => ("✖", t.danger),
        _ => ("?", t.warning),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{drawn, state};

    #[test]
    fn the_header_says_phase_step_and_weights() {
        let rows = drawn(&state(), 100, 20);
        assert_eq!(
            rows[0],
            " ‖ Rollout checkout · Paused (CanaryPauseStep) · step 2/8 · canary 20% / stable 80% (reported)"
        );
        let all = rows.join("\n");
        assert!(all.contains(" ▶ 2 pause (until promoted)"), "{all}");
        assert!(all.contains("NOW · paused"), "{all}");
        assert!(
            all.contains("success-rate  last: 0.991, 0.994, 0.996  pass if result >= 0.95"),
            "{all}"
        );
    }

    #[test]
    fn a_narrow_header_cuts_the_name_not_the_state() {
        let mut s = state();
        s.name = "a-very-long-rollout-name-that-goes-on-and-on".into();
        let rows = drawn(&s, 80, 3);
        assert!(
            rows[0].contains("· Paused · step 2/8 · canary 20% / stable 80%"),
            "{rows:?}"
        );
        assert!(rows[0].contains('…'), "{rows:?}");
    }
}
