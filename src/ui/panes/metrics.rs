//! Metrics pane: per metric, sparklines of the canary and the baseline on one shared scale
//! (labelled, so they read apart without colour), the newest values with their unit, the
//! gates and rollback triggers on it with threshold, status word and why, and the data age.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::analysis::bounds::fmt_num;
use crate::engine::series::Series;
use crate::engine::{GateStatus, Reading, Watch};
use crate::plan::{Bounds, Direction, Span as PlanSpan, TriggerAction, Weight};
use crate::ui::app::Pane;
use crate::ui::draw::{Ctx, data_span, fill_row, fit, pad, pane_frame, put_cell, put_line, put_right, width};
use crate::ui::keys::{Action, BINDINGS};
use crate::ui::theme::{Theme, gate_badge};

const BARS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
/// Indent, series label and value column around a sparkline.
const INDENT: usize = 3;
const LABEL: usize = 7;
const VALUE: usize = 11;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer, focused: bool) {
    let area = area.intersection(buf.area);
    let inner = pane_frame(buf, area, ctx.theme, Pane::Metrics, focused, None);
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
    let n = plan.metrics.len();
    let checks = |name: &str| {
        plan.gates.iter().filter(|g| g.metric == name).count()
            + plan.rollback.triggers.iter().filter(|t| t.metric == name).count()
    };
    // Rows with one-row sparklines; taller sparklines when the pane has room to spare.
    let base: usize = plan.metrics.iter().map(|m| 3 + checks(&m.name)).sum::<usize>() + (n - 1);
    let spare = (inner.height as usize).saturating_sub(base);
    let spark_h = 1 + (spare / (2 * n)).min(2);

    let cursor = ctx.ui.metric_cursor.min(n - 1);
    // The first row of each metric's block, to scroll the selected one into view.
    let mut starts = Vec::with_capacity(n + 1);
    let mut row = 0;
    for m in &plan.metrics {
        starts.push(row);
        row += 1 + 2 * spark_h + checks(&m.name) + 1;
    }
    starts.push(row);
    let height = inner.height as usize;
    let block_end = starts[cursor + 1] - 1;
    let offset = block_end.saturating_sub(height).min(starts[cursor]);

    for (i, _) in plan.metrics.iter().enumerate() {
        let top = starts[i] as isize - offset as isize;
        let rows = starts[i + 1] - starts[i] - 1;
        if top + rows as isize <= 0 || top >= height as isize {
            continue;
        }
        metric_block(ctx, inner, buf, i, top, spark_h, focused && i == cursor, i == cursor);
    }
}

/// Draws metric `i` with its first row at `top` (may be above the area: those rows clip).
#[allow(clippy::too_many_arguments)]
fn metric_block(
    ctx: &Ctx,
    area: Rect,
    buf: &mut Buffer,
    i: usize,
    top: isize,
    spark_h: usize,
    highlighted: bool,
    selected: bool,
) {
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
        let mut right = vec![data_span(&r.data_status(i, ctx.now), None, t)];
        if selected && let Some(b) = BINDINGS.iter().find(|b| b.action == Action::ShowQuery) {
            right.insert(0, Span::styled(format!("{} query · ", b.keys), t.muted));
        }
        right.push(Span::raw(" "));
        let right = Line::from(right);
        put_right(
            buf,
            area,
            (width(&metric.name) + unit.len() + 4) as u16,
            title_row as u16,
            &right,
        );
    }

    // Sparklines on one shared scale, newest at the right, values after them.
    let spark_w = w.saturating_sub(INDENT + LABEL + 1 + VALUE).max(1);
    let (lo, hi) = scale(&state.canary, &state.baseline, spark_w);
    for (label, series, reading, style) in [
        ("canary", &state.canary, &state.last_canary, t.canary),
        ("base", &state.baseline, &state.last_baseline, t.stable),
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
                spark_cells(series, spark_w, lo, hi, spark_h, level, |i, symbol| {
                    put_cell(buf, area, x0 + i as u16, y, symbol, style);
                });
                if last {
                    let value = Line::from(value_span(reading.as_ref(), &metric.unit, t, style));
                    put_line(buf, area, x0 + spark_w as u16 + 1, y, &value);
                }
            }
        }
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
/// right: calls `cell(column, symbol)` for each point. Gaps in the data show as ·.
#[allow(clippy::too_many_arguments)]
fn spark_cells(
    series: &Series,
    w: usize,
    lo: f64,
    hi: f64,
    rows: usize,
    level: usize,
    mut cell: impl FnMut(usize, &'static str),
) {
    let first = w - series.len().min(w);
    let steps = (8 * rows) as f64;
    let below = 8 * (rows - 1 - level);
    for (i, p) in series.tail(w).enumerate() {
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
        cell(first + i, symbol);
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
    use chrono::DateTime;

    fn spark_row(series: &Series, w: usize, lo: f64, hi: f64, rows: usize, level: usize) -> String {
        let mut out = vec![" "; w];
        spark_cells(series, w, lo, hi, rows, level, |i, s| out[i] = s);
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
