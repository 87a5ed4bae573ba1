//! Metrics pane: per metric, sparklines of the canary and the baseline on one shared scale
//! (labelled, so they read apart without colour), the newest values with their unit, the
//! gates and rollback triggers on it with threshold, status word and why, and the data age.
//!
//! With a canary judge in the plan: a summary line on top (the latest verdict and score, the
//! score history as a sparkline, when the next interval is judged) and one judge row per
//! metric (classification, means, the shift with its interval, effect size, sample counts).
//!
//! The judge summary stays on top; the metric blocks below it are rows that scroll so the
//! selected metric's block is in view.

mod body_row;
mod gate_rows;
mod judge_rows;
mod metric_block;
mod summary;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use self::body_row::BodyRow;
use self::gate_rows::GateColumns;
use self::judge_rows::JudgeRows;
use self::metric_block::MetricBlock;
use crate::ui::app::Pane;
use crate::ui::draw::Ctx;
use crate::ui::row::from_col;
use crate::ui::widgets::pane_block::pane_block;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer, focused: bool) {
    let area = area.intersection(buf.area);
    let block = pane_block(ctx.theme, Pane::Metrics, focused, area.width, None);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let plan = ctx.release.plan();
    if plan.metrics.is_empty() {
        let notice = Line::styled("no metrics in this plan", ctx.theme.muted);
        Paragraph::new(notice).render(from_col(inner, 1), buf);
        return;
    }
    let mut body = inner;
    if let Some(run) = ctx.release.judge() {
        let [top, rest] = inner.layout(&Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]));
        summary::render(ctx, run, top, buf);
        body = rest;
        if body.is_empty() {
            return;
        }
    }
    let (rows, offset) = body_rows(ctx, body, focused);
    for (row, line) in body.rows().zip(rows.iter().skip(offset)) {
        line.render(row, buf);
    }
}

/// Every metric's block as rows, and how many rows to scroll past so that the selected
/// metric's block is in view.
fn body_rows<'a>(ctx: &Ctx<'a>, body: Rect, focused: bool) -> (Vec<BodyRow<'a>>, usize) {
    let plan = ctx.release.plan();
    let judged = ctx.release.judge().is_some();
    let n = plan.metrics.len();
    let height = usize::from(body.height);
    let w = usize::from(body.width);
    // Rows with one-row sparklines; taller sparklines when the pane has room to spare.
    let base: usize = (0..n)
        .map(|i| 3 + usize::from(judged) + gate_rows::count(plan, i))
        .sum::<usize>()
        + (n - 1);
    let spare = height.saturating_sub(base);
    let spark_h = 1 + (spare / (2 * n)).min(2);

    let cursor = ctx.ui.metric_cursor.min(n - 1);
    let judge = judged.then(|| JudgeRows::new(ctx, w));
    let columns = GateColumns::new(plan, w);
    let mut rows = Vec::with_capacity(n * (2 * spark_h + 6));
    // The first row of each metric's block, to scroll the selected one into view.
    let mut starts = Vec::with_capacity(n + 1);
    for i in 0..n {
        if i > 0 {
            rows.push(BodyRow::blank());
        }
        starts.push(rows.len());
        let block = MetricBlock {
            index: i,
            spark_h,
            highlighted: focused && i == cursor,
            selected: i == cursor,
            judge: judge.as_ref(),
            columns: &columns,
        };
        block.rows(ctx, w, &mut rows);
    }
    starts.push(rows.len() + 1);
    let block_end = starts[cursor + 1] - 1;
    let offset = block_end.saturating_sub(height).min(starts[cursor]);
    (rows, offset)
}
