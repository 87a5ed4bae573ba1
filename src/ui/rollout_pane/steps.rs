//! The Rollout pane's canary steps: each step with its marker and the canary weight once
//! it has run, cut to a window around the current step.

use ratatui::text::{Line, Span};

use super::{RolloutPane, Section};
use crate::engine::rollout_state::{CanaryStep, StepProgress};
use crate::ui::text::{pad, width as text_width};

impl<'a> RolloutPane<'a> {
    /// The steps with a marker each (✔ done, ▶ NOW, › next), and the canary weight once
    /// each has run. Cut to a window around the current step; one row says just that step.
    pub(super) fn steps(&self, w: usize) -> Section<'a> {
        let s = self.state;
        let t = self.theme;
        let count = s.steps.len();
        let digits = count.to_string().len();
        let texts: Vec<String> = s.steps.iter().map(|l| l.step.to_string()).collect();
        let text_w = texts
            .iter()
            .map(|x| text_width(x))
            .max()
            .unwrap_or(0)
            .min(w.saturating_sub(24).max(8));
        let current = s.steps.iter().position(|l| l.progress == StepProgress::Current);
        let paused = s.spec_paused || !s.pause_reasons.is_empty();
        let mut in_effect = 0u8;
        let rows: Vec<Line<'static>> = s
            .steps
            .iter()
            .enumerate()
            .map(|(i, line)| {
                if let CanaryStep::SetWeight(wt) = line.step {
                    in_effect = wt;
                }
                let next = current.is_some_and(|c| i == c + 1);
                let (mark, tag, style) = match line.progress {
                    StepProgress::Done => ("✔", "done", t.success),
                    StepProgress::Current if s.aborted => ("✖", "aborted here", t.danger),
                    StepProgress::Current if paused => ("▶", "NOW · paused", t.title),
                    StepProgress::Current => ("▶", "NOW", t.title),
                    StepProgress::Ahead if next && !s.aborted => ("›", "next", t.text),
                    StepProgress::Ahead => (" ", "", t.muted),
                };
                Line::from(vec![
                    Span::styled(format!(" {mark} "), style),
                    Span::styled(format!("{:>digits$} ", i + 1), t.muted),
                    Span::styled(pad(&texts[i], text_w), if tag.is_empty() { t.muted } else { t.text }),
                    Span::styled(format!("  {in_effect:>3}%  "), t.canary),
                    Span::styled(tag, style),
                ])
            })
            .collect();
        let heading = move |hidden_above: usize, hidden_below: usize| {
            let mut spans = vec![Span::styled(" Canary steps", t.title)];
            let at = match s.step {
                Some(p) if p.all_done() => format!("  all {count} done"),
                Some(p) if s.aborted => format!("  aborted at {}/{count}", p.index + 1),
                Some(p) => format!("  at {}/{count}", p.index + 1),
                None => format!("  {count}, not started"),
            };
            spans.push(Span::styled(at, t.text));
            spans.push(Span::styled("   % = canary weight", t.muted));
            if hidden_above + hidden_below > 0 {
                spans.push(Span::styled(
                    format!("  ↑{hidden_above} ↓{hidden_below} more"),
                    t.warning,
                ));
            }
            Line::from(spans)
        };
        let one_row = move || {
            let Some(c) = current else {
                return heading(0, 0);
            };
            let mut spans = vec![
                Span::styled(" Step ", t.title),
                Span::styled(format!("▶ {}/{count} {}", c + 1, s.steps[c].step), t.text),
            ];
            if let Some(next) = s.steps.get(c + 1) {
                spans.push(Span::styled(format!(" · next {}", next.step), t.muted));
            }
            Line::from(spans)
        };
        Section {
            rank: 3,
            min: 1,
            full: count + 1,
            gap_before: true,
            rows: Box::new(move |n| {
                if n <= 1 {
                    return vec![one_row()];
                }
                let shown = (n - 1).min(count);
                // One step of context before the current one; the last ones once all are done.
                let all_done = s.step.is_some_and(|p| p.all_done());
                let focus = current.unwrap_or(if all_done { count } else { 0 });
                let start = focus.saturating_sub(1).min(count - shown);
                let mut out = vec![heading(start, count - start - shown)];
                out.extend(rows[start..start + shown].iter().cloned());
                out
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{drawn, state};
    use crate::engine::rollout_state::{StepPosition, StepProgress};

    #[test]
    fn a_short_steps_list_keeps_the_current_step_in_view_and_counts_the_rest() {
        let mut s = state();
        s.step = Some(StepPosition { index: 5, count: 8 });
        for (i, line) in s.steps.iter_mut().enumerate() {
            line.progress = match i {
                0..5 => StepProgress::Done,
                5 => StepProgress::Current,
                _ => StepProgress::Ahead,
            };
        }
        let rows = drawn(&s, 80, 8);
        assert!(
            rows[2].starts_with(" Canary steps  at 6/8") && rows[2].ends_with("↑4 ↓2 more"),
            "{rows:?}"
        );
        assert!(
            rows[3].starts_with(" ✔ 5 setWeight 60") && rows[3].ends_with("done"),
            "{rows:?}"
        );
        assert!(
            rows[4].starts_with(" ▶ 6 pause 10m") && rows[4].ends_with("NOW · paused"),
            "{rows:?}"
        );
        assert!(rows[5].starts_with(" Analysis ▶ RUNNING"), "{rows:?}");
    }
}
