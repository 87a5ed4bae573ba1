//! Metrics pane: per metric, sparklines of the canary and the baseline on one shared scale
//! (labelled, so they read apart without colour), the newest values with their unit, the
//! gates and rollback triggers on it with threshold, status word and why, and the data age.
//!
//! With a canary judge in the plan: a summary line on top (the latest verdict and score, the
//! score history as a sparkline, when the next interval is judged) and one judge row per
//! metric (classification, means, the shift with its interval, effect size, sample counts).

use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::analysis::bounds::fmt_num;
use crate::analysis::judge::Classification;
use crate::engine::judging::JudgeRun;
use crate::engine::series::Series;
use crate::engine::{GateStatus, Reading, Watch};
use crate::plan::{Bounds, Direction, Span as PlanSpan, TriggerAction, Weight};
use crate::ui::app::Pane;
use crate::ui::data_status::data_span;
use crate::ui::draw::{Ctx, fill_row, put_cell, put_line, put_right};
use crate::ui::judge;
use crate::ui::keys::{Action, BINDINGS};
use crate::ui::text::{fit, pad, width};
use crate::ui::theme::{Theme, classification_badge, gate_badge, outcome_badge};
use crate::ui::widgets::pane_block::pane_block;

const BARS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
/// Indent, series label and value column around a sparkline.
const INDENT: usize = 3;
const LABEL: usize = 7;
const VALUE: usize = 11;
/// The most score points the judge summary's sparkline shows.
const SCORE_SPARK: usize = 20;

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
        put_line(
            buf,
            inner,
            1,
            0,
            &Line::styled("no metrics in this plan", ctx.theme.muted),
        );
        return;
    }
    // The judge summary stays on top; the metrics scroll under it.
    let mut inner = inner;
    if let Some(run) = ctx.release.judge() {
        summary(ctx, run, inner, buf);
        inner.y += 1;
        inner.height -= 1;
        if inner.is_empty() {
            return;
        }
    }
    let judge_rows = usize::from(ctx.release.judge().is_some());
    let n = plan.metrics.len();
    let checks = |name: &str| {
        plan.gates.iter().filter(|g| g.metric == name).count()
            + plan.rollback.triggers.iter().filter(|t| t.metric == name).count()
    };
    // Rows with one-row sparklines; taller sparklines when the pane has room to spare.
    let base: usize = plan
        .metrics
        .iter()
        .map(|m| 3 + judge_rows + checks(&m.name))
        .sum::<usize>()
        + (n - 1);
    let spare = (inner.height as usize).saturating_sub(base);
    let spark_h = 1 + (spare / (2 * n)).min(2);

    let cursor = ctx.ui.metric_cursor.min(n - 1);
    // The first row of each metric's block, to scroll the selected one into view.
    let mut starts = Vec::with_capacity(n + 1);
    let mut row = 0;
    for m in &plan.metrics {
        starts.push(row);
        row += 1 + 2 * spark_h + judge_rows + checks(&m.name) + 1;
    }
    starts.push(row);
    let height = inner.height as usize;
    let block_end = starts[cursor + 1] - 1;
    let offset = block_end.saturating_sub(height).min(starts[cursor]);
    let judge_rows = ctx.release.judge().map(|_| JudgeRows::new(ctx, inner.width as usize));

    for (i, _) in plan.metrics.iter().enumerate() {
        let top = starts[i] as isize - offset as isize;
        let rows = starts[i + 1] - starts[i] - 1;
        if top + rows as isize <= 0 || top >= height as isize {
            continue;
        }
        let block = Block {
            i,
            top,
            spark_h,
            highlighted: focused && i == cursor,
            selected: i == cursor,
            judge: judge_rows.as_ref(),
        };
        metric_block(ctx, inner, buf, &block);
    }
}

/// Where and how one metric's block is drawn.
struct Block<'a> {
    i: usize,
    /// The block's first row; may be above the area: those rows clip.
    top: isize,
    spark_h: usize,
    highlighted: bool,
    selected: bool,
    judge: Option<&'a JudgeRows>,
}

/// The judge summary: the latest verdict and score at this weight, the score history, when
/// the next interval is judged; then, room permitting, the groups and a holding verdict.
fn summary(ctx: &Ctx, run: &JudgeRun, area: Rect, buf: &mut Buffer) {
    let r = ctx.release;
    let t = ctx.theme;
    let w = area.width as usize;
    let current = r.stage_judgement();
    let idle = judge::idle(r, None);
    let mut head = vec![Span::styled(" canary judge ", t.title)];
    let timing = match current {
        Some(j) => {
            head.push(Span::styled(outcome_badge(j.outcome()), t.outcome(j.outcome())));
            head.push(Span::styled(format!(" score {}", judge::score(j.score.score)), t.text));
            Some(Span::styled(idle.short(ctx.now, true), t.muted))
        }
        None => {
            // Nothing judged at this weight: where the judge stands is the headline.
            let symbol = if matches!(idle, judge::Idle::Next(_)) {
                "… "
            } else {
                "· "
            };
            head.push(Span::styled(format!("{symbol}{}", idle.short(ctx.now, false)), t.info));
            None
        }
    };
    // Then the score history; then, each if it fits: the last verdict of an earlier stage,
    // the verdict holding the stage, the groups.
    let mut extra: Vec<Vec<Span>> = Vec::new();
    if current.is_none()
        && let Some(last) = &run.last
    {
        extra.push(vec![
            Span::styled("last ", t.muted),
            Span::styled(outcome_badge(last.outcome()), t.outcome(last.outcome())),
            Span::styled(
                format!(" {} at {}", judge::score(last.score.score), judge::stage_name(r, last)),
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
            Span::styled(format!(" {}", judge::score(latch.score)), t.warning),
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
    let used = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    let gap = 2;
    let mut total = used(&head) + timing.as_ref().map_or(0, |s| gap + s.width());
    // The sparkline takes what is left, up to SCORE_SPARK points.
    let points = run.scores.len().min(SCORE_SPARK);
    let spark_w = points.min(w.saturating_sub(total + gap + 1));
    if spark_w >= 1 {
        total += gap + spark_w;
    }
    let mut x = put_line(buf, area, 0, 0, &Line::from(head)) as usize;
    if spark_w >= 1 {
        // Scores on a fixed 0-100 scale, the newest at the right.
        x += gap;
        spark_cells(&run.scores, spark_w, 0.0, 100.0, 1, 0, None, |i, symbol, _| {
            put_cell(buf, area, (x + i) as u16, 0, symbol, t.info);
        });
        x += spark_w;
    }
    if let Some(timing) = timing {
        x = put_line(buf, area, x as u16, 0, &Line::from(vec![Span::raw("  "), timing])) as usize;
    }
    for spans in extra {
        let more = gap + 1 + used(&spans);
        if total + more + 1 > w {
            continue;
        }
        total += more;
        let mut spans = spans;
        spans.insert(0, Span::styled(" · ", t.muted));
        x = put_line(buf, area, x as u16, 0, &Line::from(spans)) as usize;
    }
}

/// The judge rows of every metric, in columns shared by all of them so they line up, with the
/// fields that fit the pane's width (the shift first, then the effect, the means, the counts).
struct JudgeRows {
    rows: Vec<JudgeRow>,
    badge_w: usize,
    /// Width of each field's column; 0 for a column left out.
    cols: [usize; FIELDS],
}

/// The order fields show in: means, shift, effect, counts.
const FIELDS: usize = 4;
/// The order fields are given room in, most important first.
const PRIORITY: [usize; FIELDS] = [1, 2, 0, 3];

enum JudgeRow {
    /// No verdict: why, in a few words.
    Quiet(String),
    Verdict {
        class: Classification,
        /// For no data and errors: the reason instead of numbers.
        reason: Option<String>,
        fields: [Option<String>; FIELDS],
    },
}

impl JudgeRows {
    fn new(ctx: &Ctx, w: usize) -> JudgeRows {
        let r = ctx.release;
        let plan = r.plan();
        let current = r.stage_judgement();
        let rows: Vec<JudgeRow> = plan
            .metrics
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let verdict = current.and_then(|j| j.metrics.get(i)).and_then(Option::as_ref);
                let Some(v) = verdict else {
                    let why = match (current, judge::idle(r, Some(i))) {
                        (Some(_), _) | (None, judge::Idle::NotAnalysed) => "not analysed at this stage".to_string(),
                        (None, judge::Idle::Next(_)) => "not judged at this weight yet".to_string(),
                        (None, idle) => idle.short(ctx.now, false),
                    };
                    return JudgeRow::Quiet(why);
                };
                if matches!(v.classification, Classification::NoData | Classification::Error) {
                    return JudgeRow::Verdict {
                        class: v.classification,
                        reason: Some(v.reason.clone()),
                        fields: Default::default(),
                    };
                }
                let kind = judge::config(r, i).map(|c| c.effect).unwrap_or_default();
                JudgeRow::Verdict {
                    class: v.classification,
                    reason: None,
                    fields: [
                        judge::means(v, &m.unit),
                        judge::estimate(v, &m.unit),
                        judge::effect(v, kind),
                        Some(judge::counts(v)),
                    ],
                }
            })
            .collect();
        let badge_w = rows
            .iter()
            .filter_map(|row| match row {
                JudgeRow::Verdict { class, .. } => Some(width(classification_badge(*class))),
                JudgeRow::Quiet(_) => None,
            })
            .max()
            .unwrap_or(0);
        let mut widest = [0; FIELDS];
        for row in &rows {
            if let JudgeRow::Verdict { fields, .. } = row {
                for (k, f) in fields.iter().enumerate() {
                    widest[k] = widest[k].max(f.as_deref().map_or(0, width));
                }
            }
        }
        // Fields in order of importance, each if it still fits (one cell spare at the right).
        let mut used = INDENT + LABEL + badge_w;
        let mut cols = [0; FIELDS];
        for k in PRIORITY {
            if widest[k] > 0 && used + 2 + widest[k] < w {
                cols[k] = widest[k];
                used += 2 + widest[k];
            }
        }
        JudgeRows { rows, badge_w, cols }
    }

    fn line(&self, ctx: &Ctx, i: usize, w: usize) -> Line<'static> {
        let t = ctx.theme;
        let mut spans = vec![
            Span::raw(" ".repeat(INDENT)),
            Span::styled(pad("judge", LABEL), t.muted),
        ];
        match &self.rows[i] {
            JudgeRow::Quiet(why) => {
                let rest = w.saturating_sub(INDENT + LABEL + 3);
                spans.push(Span::styled(format!("· {}", fit(why, rest)), t.muted));
            }
            JudgeRow::Verdict { class, reason, fields } => {
                spans.push(Span::styled(
                    pad(classification_badge(*class), self.badge_w),
                    t.classification(*class),
                ));
                if let Some(reason) = reason {
                    let rest = w.saturating_sub(INDENT + LABEL + self.badge_w + 2 + 1);
                    spans.push(Span::raw("  "));
                    spans.push(Span::styled(fit(reason, rest).into_owned(), t.classification(*class)));
                    return Line::from(spans);
                }
                for (k, field) in fields.iter().enumerate() {
                    if self.cols[k] == 0 {
                        continue;
                    }
                    let style = match k {
                        1 if *class != Classification::Pass => t.classification(*class),
                        1 | 2 => t.text,
                        _ => t.muted,
                    };
                    spans.push(Span::raw("  "));
                    spans.push(Span::styled(pad(field.as_deref().unwrap_or("—"), self.cols[k]), style));
                }
            }
        }
        Line::from(spans)
    }
}

/// Draws one metric's block: title, sparklines, the judge row, gates and triggers.
fn metric_block(ctx: &Ctx, area: Rect, buf: &mut Buffer, block: &Block) {
    let &Block {
        i,
        top,
        spark_h,
        highlighted,
        selected,
        judge,
    } = block;
    let r = ctx.release;
    let t = ctx.theme;
    let plan = r.plan();
    let metric = &plan.metrics[i];
    let Some(state) = r.metric(i) else { return };
    let w = area.width as usize;
    let mut row = top;
    let title_row = top;
    // Draws a line on the next row if it is visible; returns that row.
    let mut emit = |buf: &mut Buffer, line: &Line, fill: Option<Style>| {
        let drawn = (row >= 0 && row < area.height as isize).then_some(row as u16);
        if let Some(y) = drawn {
            if let Some(style) = fill {
                fill_row(buf, area, y, style);
            }
            put_line(buf, area, 0, y, line);
        }
        row += 1;
        drawn
    };

    // Title: name and unit; data age (and the query key when selected) on the right.
    let unit = if metric.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", metric.unit)
    };
    let title = Line::from(vec![
        Span::styled(if selected { " ▸ " } else { "   " }, t.title),
        Span::styled(format!("{}{unit}", metric.name), t.title),
        Span::styled(
            match metric.bad {
                Direction::Increase => " ↑ bad",
                Direction::Decrease => " ↓ bad",
                Direction::Either => " ↕ bad",
            },
            t.muted,
        ),
    ]);
    emit(buf, &title, highlighted.then_some(t.selection));
    if title_row >= 0 && (title_row as u16) < area.height {
        let data = data_span(&r.data_status(i, ctx.now), None, t);
        let after = (title.width() + 1) as u16;
        // The selected metric names its keys, when there is room; the data age always.
        let mut hints = Vec::new();
        if selected {
            let key = |action: Action| BINDINGS.iter().find(|b| b.action == action).map(|b| b.keys);
            if judge.is_some()
                && let Some(keys) = key(Action::Select)
            {
                let first = keys.split('/').next().unwrap_or(keys);
                hints.push(Span::styled(format!("{first} analysis · "), t.muted));
            }
            if let Some(keys) = key(Action::ShowQuery) {
                hints.push(Span::styled(format!("{keys} query · "), t.muted));
            }
        }
        // Fewer hints until it fits (the query key last to go).
        let _ = (0..=hints.len()).rev().any(|k| {
            let mut spans: Vec<Span> = hints[hints.len() - k..].to_vec();
            spans.push(data.clone());
            spans.push(Span::raw(" "));
            put_right(buf, area, after, title_row as u16, &Line::from(spans))
        });
    }

    // Sparklines on one shared scale, newest at the right, values after them.
    let spark_w = w.saturating_sub(INDENT + LABEL + 1 + VALUE).max(1);
    let (lo, hi) = scale(&state.canary, &state.baseline, spark_w);
    for (label, series, reading, style, canary) in [
        ("canary", &state.canary, &state.last_canary, t.canary, true),
        ("base", &state.baseline, &state.last_baseline, t.stable, false),
    ] {
        for level in 0..spark_h {
            // Label and value sit on the bottom row, level with the foot of the bars.
            let last = level + 1 == spark_h;
            let label_line = if last {
                Line::from(vec![Span::raw("   "), Span::styled(label, style)])
            } else {
                Line::default()
            };
            if let Some(y) = emit(buf, &label_line, None) {
                // The bars go straight into the cells: no string to build or segment.
                let x0 = (INDENT + LABEL) as u16;
                let history_before = Some(r.evidence_since(canary));
                spark_cells(
                    series,
                    spark_w,
                    lo,
                    hi,
                    spark_h,
                    level,
                    history_before,
                    |i, symbol, past| {
                        put_cell(buf, area, x0 + i as u16, y, symbol, if past { t.muted } else { style });
                    },
                );
                if last {
                    let value = Line::from(value_span(reading.as_ref(), &metric.unit, t, style));
                    put_line(buf, area, x0 + spark_w as u16 + 1, y, &value);
                }
            }
        }
    }

    // The judge's verdict on this metric at this weight.
    if let Some(rows) = judge {
        emit(buf, &rows.line(ctx, i, w), None);
    }

    // Gates and triggers on this metric.
    let gates: Vec<usize> = (0..plan.gates.len())
        .filter(|&g| plan.gates[g].metric == metric.name)
        .collect();
    let triggers: Vec<usize> = (0..plan.rollback.triggers.len())
        .filter(|&k| plan.rollback.triggers[k].metric == metric.name)
        .collect();
    let names: Vec<String> = gates
        .iter()
        .map(|&g| crate::engine::gate_label(plan, g))
        .chain(
            triggers
                .iter()
                .map(|&k| format!("⚑ {}", plan.rollback.triggers[k].name)),
        )
        .collect();
    let thresholds: Vec<String> = gates
        .iter()
        .map(|&g| bounds_text(&plan.gates[g].bounds(), &metric.unit, plan.gates[g].sustain))
        .chain(triggers.iter().map(|&k| {
            let tr = &plan.rollback.triggers[k];
            bounds_text(&tr.bounds(), &metric.unit, tr.sustain)
        }))
        .collect();
    let (name_w, thr_w, compact) = columns(ctx, w);
    let idle = Watch::default();
    for (k, name) in names.iter().enumerate() {
        let (watch, why_idle) = if k < gates.len() {
            let g = gates[k];
            let why = if r.judgeable(plan.gates[g].bounds()).is_none() {
                "no baseline at 100%"
            } else if !r.gate_analysed(g) {
                "not analysed at this stage"
            } else if r.desired_weight() == Weight::ZERO {
                "no canary traffic yet"
            } else {
                "waiting for a sample at this weight"
            };
            (r.gate(g).unwrap_or(&idle), why)
        } else {
            let tr = &plan.rollback.triggers[triggers[k - gates.len()]];
            let why = match tr.action {
                _ if r.judgeable(tr.bounds()).is_none() => "no baseline at 100%",
                TriggerAction::Auto => "rolls back by itself",
                TriggerAction::Manual => "asks you to roll back",
            };
            (r.trigger(triggers[k - gates.len()]).unwrap_or(&idle), why)
        };
        let detail = if watch.detail.is_empty() || matches!(watch.status, GateStatus::Idle | GateStatus::Waiting) {
            why_idle.to_string()
        } else {
            watch.detail.clone()
        };
        let status_style = t.gate(watch.status);
        let detail_style = if watch.status == GateStatus::Fail {
            status_style
        } else {
            t.text
        };
        let mut spans = vec![
            Span::raw("   "),
            Span::styled(pad(gate_badge(watch.status), 10), status_style),
            Span::styled(pad(name, name_w), t.text),
            Span::raw("  "),
        ];
        if compact {
            // Narrow: the threshold while all is well, else why (which names the bound).
            let calm = matches!(watch.status, GateStatus::Pass | GateStatus::Idle | GateStatus::Waiting);
            let rest = w.saturating_sub(3 + 10 + name_w + 2 + 1);
            if calm {
                spans.push(Span::styled(fit(&thresholds[k], rest).into_owned(), t.muted));
            } else {
                spans.push(Span::styled(fit(&detail, rest).into_owned(), detail_style));
            }
        } else {
            spans.push(Span::styled(pad(&thresholds[k], thr_w), t.muted));
            spans.push(Span::raw("  "));
            let rest = w.saturating_sub(3 + 10 + name_w + 2 + thr_w + 2 + 1);
            spans.push(Span::styled(fit(&detail, rest).into_owned(), detail_style));
        }
        let line = Line::from(spans);
        emit(buf, &line, None);
    }
}

/// Widths of the name and threshold columns, shared by every metric so they line up, and
/// whether the pane is too narrow for a separate reason column.
fn columns(ctx: &Ctx, w: usize) -> (usize, usize, bool) {
    let plan = ctx.release.plan();
    let unit = |metric: &str| {
        plan.metrics
            .iter()
            .find(|m| m.name == metric)
            .map_or("", |m| m.unit.as_str())
    };
    let mut name_w = 0;
    let mut thr_w = 0;
    for (g, gate) in plan.gates.iter().enumerate() {
        name_w = name_w.max(width(&crate::engine::gate_label(plan, g)));
        thr_w = thr_w.max(width(&bounds_text(&gate.bounds(), unit(&gate.metric), gate.sustain)));
    }
    for tr in &plan.rollback.triggers {
        name_w = name_w.max(width(&tr.name) + 2);
        thr_w = thr_w.max(width(&bounds_text(&tr.bounds(), unit(&tr.metric), tr.sustain)));
    }
    let thr_w = thr_w.min(22);
    // All four columns when names get at least 20 cells and the reason 22; otherwise the
    // threshold and the reason share one column.
    let fixed = 3 + 10 + 2 + thr_w + 2;
    if w >= fixed + 20 + 22 {
        (name_w.min(w - fixed - 22), thr_w, false)
    } else {
        (
            name_w.min(w.saturating_sub(3 + 10 + 2 + thr_w.max(20)).max(10)),
            thr_w,
            true,
        )
    }
}

/// The shared vertical scale of both sparklines over the visible points.
fn scale(canary: &Series, baseline: &Series, n: usize) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for v in canary.tail(n).chain(baseline.tail(n)).flatten() {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    (lo, hi)
}

/// One row (`level` 0 = top) of a sparkline `rows` tall and `w` wide, newest point at the
/// right: calls `cell(column, symbol, history)` for each point. Gaps in the data show as ·.
/// Points taken before `history_before` (where the series' live evidence begins) are
/// history: they stand left of a ┆ that marks the start, so they read apart from live data
/// without colour.
#[allow(clippy::too_many_arguments)]
fn spark_cells(
    series: &Series,
    w: usize,
    lo: f64,
    hi: f64,
    rows: usize,
    level: usize,
    history_before: Option<DateTime<Utc>>,
    mut cell: impl FnMut(usize, &'static str, bool),
) {
    let is_history = |at: &DateTime<Utc>| history_before.is_some_and(|start| *at < start);
    // Points are in time order, so the history in view is a prefix of it.
    let history_in = |shown: usize| series.tail_points(shown).take_while(|(at, _)| is_history(at)).count();
    let mut shown = series.len().min(w);
    let mut history = 0;
    if w >= 2 && history_in(shown) > 0 {
        history = history_in(series.len().min(w - 1));
        if history > 0 {
            shown = series.len().min(w - 1);
        }
    }
    let mark = usize::from(history > 0);
    let first = w - shown - mark;
    let steps = (8 * rows) as f64;
    let below = 8 * (rows - 1 - level);
    for (i, (_, p)) in series.tail_points(shown).enumerate() {
        let symbol = match p {
            None if level + 1 == rows => "·",
            None => " ",
            Some(v) => {
                let height = if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
                    (steps / 2.0) as usize
                } else {
                    1 + ((v - lo) / (hi - lo) * (steps - 1.0)).round() as usize
                };
                BARS[height.saturating_sub(below).min(8)]
            }
        };
        let past = i < history;
        cell(first + i + usize::from(!past) * mark, symbol, past);
    }
    if mark == 1 {
        cell(first + history, "┆", true);
    }
}

fn value_span(reading: Option<&Reading>, unit: &str, t: &Theme, style: Style) -> Span<'static> {
    match reading {
        Some(Reading::Value(v)) if v.is_finite() => {
            let text = if unit.is_empty() {
                fmt_num(*v)
            } else {
                format!("{} {unit}", fmt_num(*v))
            };
            Span::styled(format!("{text:>width$}", width = VALUE - 1), style)
        }
        Some(Reading::Value(v)) => Span::styled(format!("{:>width$}", format!("? {v}"), width = VALUE - 1), t.warning),
        Some(Reading::NoData(_)) => Span::styled(format!("{:>width$}", "? no data", width = VALUE - 1), t.warning),
        None => Span::styled(format!("{:>width$}", "—", width = VALUE - 1), t.muted),
    }
}

/// `max 0.5% for 1m`, `max base×1.5 for 2m`.
pub fn bounds_text(b: &Bounds, unit: &str, sustain: PlanSpan) -> String {
    let mut text = b.describe(unit);
    if sustain.as_secs() > 0 {
        text.push_str(&format!(" for {sustain}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spark_row(series: &Series, w: usize, lo: f64, hi: f64, rows: usize, level: usize) -> String {
        history_row(series, w, lo, hi, rows, level, None)
    }

    /// The row's symbols, each history bar in parentheses.
    fn history_row(
        series: &Series,
        w: usize,
        lo: f64,
        hi: f64,
        rows: usize,
        level: usize,
        start: Option<DateTime<Utc>>,
    ) -> String {
        let mut out = vec![" ".to_string(); w];
        spark_cells(series, w, lo, hi, rows, level, start, |i, s, past| {
            out[i] = if past && s != "┆" {
                format!("({s})")
            } else {
                s.to_string()
            };
        });
        out.concat()
    }

    #[test]
    fn sparkline_scales_and_marks_gaps() {
        let mut s = Series::new(10);
        let t = DateTime::UNIX_EPOCH;
        for v in [Some(0.0), None, Some(10.0)] {
            s.push(t, v);
        }
        assert_eq!(spark_row(&s, 5, 0.0, 10.0, 1, 0), "  ▁·█");
        // Two rows tall: the top row only shows the upper half.
        assert_eq!(spark_row(&s, 3, 0.0, 10.0, 2, 0), "  █");
        assert_eq!(spark_row(&s, 3, 0.0, 10.0, 2, 1), "▁·█");
        // A flat series sits mid-height.
        assert_eq!(spark_row(&s, 3, 5.0, 5.0, 1, 0), "▄·▄");
    }

    #[test]
    fn history_stands_left_of_a_mark_at_the_start() {
        let t = |s: i64| DateTime::UNIX_EPOCH + chrono::Duration::seconds(s);
        let mut s = Series::new(10);
        for (at, v) in [(0, 0.0), (1, 10.0), (2, 0.0), (3, 10.0)] {
            s.push(t(at), Some(v));
        }
        let start = Some(t(2));
        // Two history points, the mark, two live ones, right-aligned.
        assert_eq!(history_row(&s, 6, 0.0, 10.0, 1, 0, start), " (▁)(█)┆▁█");
        // Only as much history as fits beside the mark and the live points.
        assert_eq!(history_row(&s, 4, 0.0, 10.0, 1, 0, start), "(█)┆▁█");
        // No room for any history: no mark, the live points only.
        assert_eq!(history_row(&s, 2, 0.0, 10.0, 1, 0, start), "▁█");
        // Only history so far: the mark stands at the right, where live data will come.
        assert_eq!(history_row(&s, 6, 0.0, 10.0, 1, 0, Some(t(9))), " (▁)(█)(▁)(█)┆");
        // Nothing before the start: no mark.
        assert_eq!(history_row(&s, 6, 0.0, 10.0, 1, 0, Some(t(0))), "  ▁█▁█");
    }

    #[test]
    fn thresholds_read_as_words() {
        let b = Bounds {
            max: Some(0.5),
            max_ratio: Some(1.5),
            ..Bounds::default()
        };
        assert_eq!(
            bounds_text(&b, "%", PlanSpan::secs(60)),
            "max 0.5%, max base×1.5 for 1m"
        );
    }
}
