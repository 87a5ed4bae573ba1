//! The judge summary line on top of the metrics pane: the latest verdict and score at this
//! weight, the score history as a sparkline, when the next interval is judged; then, room
//! permitting, the last verdict of an earlier stage, a holding verdict and the groups.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::engine::judging::{JudgeRun, JudgeState};
use crate::format::fmt_score;
use crate::ui::draw::Ctx;
use crate::ui::judge;
use crate::ui::row::from_col;
use crate::ui::theme::outcome_badge;
use crate::ui::time_text::time_of_day;
use crate::ui::widgets::sparkline::SparkRow;

/// The most score points the sparkline shows.
const SCORE_SPARK: usize = 20;
/// Cells between the parts of the line.
const GAP: usize = 2;

pub fn render(ctx: &Ctx, run: &JudgeRun, row: Rect, buf: &mut Buffer) {
    let r = ctx.release;
    let t = ctx.theme;
    let w = usize::from(row.width);
    let current = r.stage_judgement();
    let idle = r.judge_state(None);
    let mut head = vec![Span::styled(" canary judge ", t.title)];
    let timing = match current {
        Some(j) => {
            // A verdict made before the data went stale or missing is history, not the
            // canary's state now: it says when it was made, in muted colours.
            let current_data = r.stale_verdict(ctx.now).is_none();
            let style = if current_data { t.outcome(j.outcome()) } else { t.muted };
            head.push(Span::styled(outcome_badge(j.outcome()), style));
            head.push(Span::styled(format!(" score {}", fmt_score(j.score.score)), t.text));
            if !current_data {
                head.push(Span::styled(
                    format!(" as of {} (data gap)", time_of_day(j.at)),
                    t.warning,
                ));
            }
            Some(Span::styled(judge::state_short(idle, ctx.now, true), t.muted))
        }
        None => {
            // Nothing judged at this weight: where the judge stands is the headline.
            let symbol = if matches!(idle, JudgeState::Next(_)) {
                "◌ "
            } else {
                "· "
            };
            head.push(Span::styled(
                format!("{symbol}{}", judge::state_short(idle, ctx.now, false)),
                t.info,
            ));
            None
        }
    };
    let head = Line::from(head);
    let mut total = head.width() + timing.as_ref().map_or(0, |s| GAP + s.width());
    // The sparkline takes what is left, up to SCORE_SPARK points.
    let points = run.scores.len().min(SCORE_SPARK);
    let spark_w = points.min(w.saturating_sub(total + GAP + 1));
    if spark_w >= 1 {
        total += GAP + spark_w;
    }
    // After the sparkline: the timing, then each extra that still fits.
    let mut tail = Vec::with_capacity(12);
    if let Some(timing) = timing {
        tail.extend([Span::raw("  "), timing]);
    }
    for spans in extras(ctx, run) {
        let more = GAP + 1 + spans.iter().map(Span::width).sum::<usize>();
        if total + more + 1 > w {
            continue;
        }
        total += more;
        tail.push(Span::styled(" · ", t.muted));
        tail.extend(spans);
    }

    let mut x = head.width().min(w);
    head.render(row, buf);
    if spark_w >= 1 {
        // Scores on a fixed 0-100 scale, the newest at the right.
        x += GAP;
        SparkRow::single(&run.scores, spark_w, (0.0, 100.0), t.info).render(from_col(row, x as u16), buf);
        x += spark_w;
    }
    Line::from(tail).render(from_col(row, x as u16), buf);
}

/// The line's optional parts, most important first.
fn extras(ctx: &Ctx, run: &JudgeRun) -> Vec<Vec<Span<'static>>> {
    let r = ctx.release;
    let t = ctx.theme;
    let current = r.stage_judgement();
    let mut extra = Vec::new();
    if current.is_none()
        && let Some(last) = &run.last
    {
        extra.push(vec![
            Span::styled("last ", t.muted),
            Span::styled(outcome_badge(last.outcome()), t.outcome(last.outcome())),
            Span::styled(
                format!(" {} at {}", fmt_score(last.score.score), judge::stage_name(r, last)),
                t.muted,
            ),
        ]);
    }
    if let Some(latch) = &run.latch
        && current.is_none_or(|j| j.outcome() != latch.outcome)
    {
        extra.push(vec![
            Span::styled("held by ", t.warning),
            Span::styled(outcome_badge(latch.outcome), t.outcome(latch.outcome)),
            Span::styled(format!(" {}", fmt_score(latch.score)), t.warning),
        ]);
    }
    if let Some(j) = current
        && j.score.groups.len() > 1
    {
        let groups: Vec<String> = j
            .score
            .groups
            .iter()
            .map(|g| format!("{} {}/{}", g.name, g.passed, g.judged))
            .collect();
        extra.push(vec![Span::styled(groups.join(" · "), t.muted)]);
    }
    extra
}
