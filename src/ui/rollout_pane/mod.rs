//! The Rollout pane: an Argo Rollout as Argo reports it (phase, abort, weights, the canary
//! steps, the AnalysisRun's measurements, the pods of each version). Argo moves the
//! Rollout itself; this shows where it stands. Pure: a function of the state and the theme.
//!
//! When the area is small the parts shrink in order of importance: the phase and an abort
//! first, then the weights, the current step, the analysis, the pods. From 120 columns the
//! steps sit beside the analysis and the pods.

mod analysis;
mod pods;
mod steps;
mod top;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::engine::rollout_state::RolloutState;
use crate::ui::text::fit;
use crate::ui::theme::Theme;

/// From this width the steps go beside the analysis and the pods.
const TWO_COLUMNS_FROM: u16 = 120;
/// The steps' column in two-column mode: enough for the longest usual step.
const STEPS_COLUMN: u16 = 60;

/// Renders `state` with `theme`.
#[derive(Debug, Clone, Copy)]
pub struct RolloutPane<'a> {
    pub state: &'a RolloutState,
    pub theme: &'a Theme,
}

impl Widget for RolloutPane<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let area = area.intersection(buf.area);
        if area.is_empty() {
            return;
        }
        let w = usize::from(area.width);
        if area.width < TWO_COLUMNS_FROM {
            let mut all = self.top(w);
            all.extend(self.steps_sections(w));
            all.extend(self.analysis_and_pods(w));
            stack(all, area, buf);
            return;
        }
        let top = self.top(w);
        let used = allot(&top, usize::from(area.height)).iter().sum::<usize>() as u16;
        stack(top, area, buf);
        // The columns start one row lower when there is a row to spare for a gap.
        let gap = u16::from(area.height > used + 1);
        let below = Rect {
            y: area.y + used + gap,
            height: area.height.saturating_sub(used + gap),
            ..area
        };
        if self.state.steps.is_empty() {
            // No steps for a left column (blue-green): the rest takes the whole width.
            stack(self.analysis_and_pods(w), below, buf);
            return;
        }
        let left_w = STEPS_COLUMN.min(area.width / 2);
        let left = Rect { width: left_w, ..below };
        let right = Rect {
            x: below.x + left_w + 2,
            width: below.width.saturating_sub(left_w + 2),
            ..below
        };
        stack(self.steps_sections(usize::from(left.width)), left, buf);
        stack(self.analysis_and_pods(usize::from(right.width)), right, buf);
    }
}

/// A part of the pane: the rows it needs to say anything, the rows it can use, and its
/// rows for a given count.
struct Section<'a> {
    /// Lower goes first: it gets its rows before the others.
    rank: u8,
    min: usize,
    full: usize,
    /// Preceded by a blank row when everything fits with the blanks.
    gap_before: bool,
    rows: Box<dyn Fn(usize) -> Vec<Line<'static>> + 'a>,
}

impl<'a> Section<'a> {
    /// A section of fixed lines, cut from the end.
    fn lines(rank: u8, min: usize, gap_before: bool, lines: Vec<Line<'static>>) -> Section<'a> {
        Section {
            rank,
            min: min.min(lines.len()),
            full: lines.len(),
            gap_before,
            rows: Box::new(move |n| lines.iter().take(n).cloned().collect()),
        }
    }
}

/// Rows per section in `height`: each its minimum in order of rank, then the rest in the
/// same order up to its full height.
fn allot(sections: &[Section], height: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..sections.len()).collect();
    order.sort_by_key(|&i| sections[i].rank);
    let mut given = vec![0; sections.len()];
    let mut left = height;
    let wants: [fn(&Section) -> usize; 2] = [|s| s.min, |s| s.full];
    for want in wants {
        for &i in &order {
            let more = want(&sections[i]).saturating_sub(given[i]).min(left);
            given[i] += more;
            left -= more;
        }
    }
    given
}

/// Draws the sections top to bottom in `area`, each with the rows `allot` gives it.
fn stack(sections: Vec<Section>, area: Rect, buf: &mut Buffer) {
    let height = usize::from(area.height);
    let given = allot(&sections, height);
    let shown = |i: usize, s: &Section| given[i] > 0 && s.full > 0;
    let gaps = sections
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, s)| s.gap_before && shown(*i, s))
        .count();
    let with_gaps = sections.iter().map(|s| s.full).sum::<usize>() + gaps <= height;
    let mut rows = area.rows();
    for (i, section) in sections.iter().enumerate() {
        if !shown(i, section) {
            continue;
        }
        if with_gaps && section.gap_before && i > 0 {
            rows.next();
        }
        for line in (section.rows)(given[i]) {
            let Some(row) = rows.next() else { return };
            fit_line(line, usize::from(area.width)).render(row, buf);
        }
    }
}

/// `line` cut to `max` cells, with an ellipsis where it is cut.
fn fit_line(line: Line<'static>, max: usize) -> Line<'static> {
    if line.width() <= max {
        return line;
    }
    let mut out = Line::default().style(line.style);
    let mut used = 0;
    for span in line.spans {
        let w = span.width();
        if used + w <= max {
            used += w;
            out.push_span(span);
            continue;
        }
        let cut = fit(&span.content, max - used).into_owned();
        out.push_span(Span::styled(cut, span.style));
        break;
    }
    out
}

impl<'a> RolloutPane<'a> {
    // ----- the body: steps beside (or above) the analysis and the pods

    fn steps_sections(&self, w: usize) -> Vec<Section<'a>> {
        let mut out = Vec::new();
        if !self.state.steps.is_empty() {
            out.push(self.steps(w));
        }
        out
    }

    fn analysis_and_pods(&self, w: usize) -> Vec<Section<'a>> {
        let mut out = Vec::new();
        if let Some(analysis) = &self.state.analysis {
            out.push(self.analysis(analysis, w));
        }
        out.push(self.pods(w));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rollout_state::{
        AnalysisKind, AnalysisState, CanaryStep, MetricMeasured, Replicas, StepLine, StepPosition, StepProgress,
        Strategy, VersionPods, VersionRole, WeightSource, Weights,
    };

    pub(super) fn state() -> RolloutState {
        let steps = [
            CanaryStep::SetWeight(20),
            CanaryStep::Pause(None),
            CanaryStep::SetWeight(40),
            CanaryStep::Pause(Some("10m".into())),
            CanaryStep::SetWeight(60),
            CanaryStep::Pause(Some("10m".into())),
            CanaryStep::SetWeight(80),
            CanaryStep::Pause(Some("10m".into())),
        ];
        RolloutState {
            name: "checkout".into(),
            strategy: Some(Strategy::Canary),
            phase: "Paused".into(),
            message: Some("CanaryPauseStep".into()),
            pause_reasons: vec!["CanaryPauseStep".into()],
            step: Some(StepPosition { index: 1, count: 8 }),
            steps: steps
                .into_iter()
                .enumerate()
                .map(|(i, step)| StepLine {
                    step,
                    progress: match i {
                        0 => StepProgress::Done,
                        1 => StepProgress::Current,
                        _ => StepProgress::Ahead,
                    },
                })
                .collect(),
            weights: Some(Weights {
                canary: 20,
                stable: 80,
                source: WeightSource::Reported,
            }),
            replicas: Replicas {
                desired: 5,
                current: 6,
                updated: 1,
                ready: 6,
                available: 6,
            },
            versions: vec![VersionPods {
                hash: "65fb5ffc84".into(),
                revision: Some(31),
                role: VersionRole::Canary,
                images: vec!["shop/checkout:2.14.0".into()],
                desired: 1,
                current: 1,
                ready: 1,
                available: 1,
            }],
            analysis: Some(AnalysisState {
                name: "checkout-31-2".into(),
                kind: Some(AnalysisKind::Background),
                phase: Some("Running".into()),
                message: None,
                metrics: vec![MetricMeasured {
                    name: "success-rate".into(),
                    phase: Some("Running".into()),
                    count: 3,
                    successful: 3,
                    failed: 0,
                    inconclusive: 0,
                    errors: 0,
                    last_values: vec!["0.991".into(), "0.994".into(), "0.996".into()],
                    message: None,
                    success_condition: Some("result >= 0.95".into()),
                    failure_condition: None,
                }],
            }),
            ..RolloutState::default()
        }
    }

    pub(super) fn drawn(state: &RolloutState, w: u16, h: u16) -> Vec<String> {
        let theme = Theme::mono();
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        RolloutPane { state, theme: &theme }.render(buf.area, &mut buf);
        let cells: Vec<&str> = buf.content().iter().map(|c| c.symbol()).collect();
        cells
            .chunks(usize::from(w))
            .map(|row| row.concat().trim_end().to_string())
            .collect()
    }

    #[test]
    fn a_few_rows_keep_phase_weights_and_the_current_step() {
        let rows = drawn(&state(), 80, 4);
        // At 80 columns the header drops its least needed words: "(reported)", "Rollout".
        assert_eq!(
            rows[0],
            " ‖ checkout · Paused (CanaryPauseStep) · step 2/8 · canary 20% / stable 80%"
        );
        assert!(rows[1].contains("canary 20% · stable 80%"), "{rows:?}");
        assert!(
            rows[2].starts_with(" Step ▶ 2/8 pause (until promoted) · next setWeight 40"),
            "{rows:?}"
        );
        assert!(rows[3].starts_with(" Analysis ▶ RUNNING"), "{rows:?}");
        // Two rows: the current step gives way to the weights, never the other way.
        let rows = drawn(&state(), 80, 2);
        assert!(rows[1].contains("canary 20%"), "{rows:?}");
    }

    #[test]
    fn any_size_renders_without_panicking() {
        let mut aborted = state();
        aborted.aborted = true;
        aborted.abort_reason = Some("metric \"success-rate\" assessed Failed".into());
        for s in [state(), aborted, RolloutState::default()] {
            for (w, h) in [
                (1, 1),
                (5, 3),
                (20, 2),
                (40, 10),
                (80, 24),
                (119, 30),
                (120, 5),
                (160, 48),
            ] {
                drawn(&s, w, h);
            }
        }
    }
}
