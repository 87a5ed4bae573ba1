//! One metric's block in the metrics pane, as rows: its title (with the data age and, when
//! selected, its keys on the right), the canary's and the baseline's sparklines on one
//! shared scale with the newest values after them, the judge's row, the gates and triggers.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::body_row::BodyRow;
use super::gate_rows::{self, GateColumns};
use super::judge_rows::JudgeRows;
use crate::engine::Reading;
use crate::format::{fmt_num, with_unit};
use crate::plan::{Direction, Weight};
use crate::ui::data_status::data_span;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, first_key, key_for};
use crate::ui::text::{fit, pad};
use crate::ui::theme::Theme;
use crate::ui::widgets::sparkline::{SparkRow, scale};

/// Indent, series label and value column around a sparkline.
pub const INDENT: usize = 3;
pub const LABEL: usize = 7;
const VALUE: usize = 11;

pub struct MetricBlock<'a> {
    pub index: usize,
    /// Rows per sparkline.
    pub spark_h: usize,
    /// Selected in the focused pane: the title row is highlighted.
    pub highlighted: bool,
    pub selected: bool,
    pub judge: Option<&'a JudgeRows>,
    pub columns: &'a GateColumns,
}

impl MetricBlock<'_> {
    /// Rows in the block.
    fn height(&self, ctx: &Ctx) -> usize {
        1 + 2 * self.spark_h + usize::from(self.judge.is_some()) + gate_rows::count(ctx.release.plan(), self.index)
    }

    /// Appends the block's rows, `w` cells wide.
    pub fn rows<'c>(&self, ctx: &Ctx<'c>, w: usize, rows: &mut Vec<BodyRow<'c>>) {
        let r = ctx.release;
        let t = ctx.theme;
        let i = self.index;
        let metric = &r.plan().metrics[i];
        let Some(state) = r.metric(i) else {
            // Nothing to show, but the block keeps its place.
            rows.extend((0..self.height(ctx)).map(|_| BodyRow::blank()));
            return;
        };
        rows.push(self.title(ctx));

        // Sparklines on one shared scale, newest at the right, values after them.
        let spark_w = w.saturating_sub(INDENT + LABEL + 1 + VALUE).max(1);
        let (lo, hi) = scale(&state.canary, &state.baseline, spark_w);
        for (label, series, reading, style, canary) in [
            ("canary", &state.canary, &state.last_canary, t.canary, true),
            ("base", &state.baseline, &state.last_baseline, t.stable, false),
        ] {
            // No value ever came: the empty sparkline's place says why (an unreachable
            // source, a query that returns nothing), before go as well as after.
            // (The canary serving nothing yet is no fault.)
            let never = series.tail(series.len()).all(|v| v.is_none());
            let matters = !canary || r.desired_weight() > Weight::ZERO;
            if let (true, true, Some(Reading::NoData(why))) = (never, matters, reading) {
                rows.extend((1..self.spark_h).map(|_| BodyRow::blank()));
                let room = w.saturating_sub(INDENT + LABEL);
                rows.push(BodyRow::text(Line::from(vec![
                    Span::raw(" ".repeat(INDENT)),
                    Span::styled(pad(label, LABEL), style),
                    Span::styled(fit(&format!("? no data: {why}"), room).into_owned(), t.warning),
                ])));
                continue;
            }
            for level in 0..self.spark_h {
                // Label and value sit on the bottom row, level with the foot of the bars.
                let last = level + 1 == self.spark_h;
                rows.push(BodyRow::Spark {
                    label: if last {
                        Line::from(vec![Span::raw(" ".repeat(INDENT)), Span::styled(label, style)])
                    } else {
                        Line::default()
                    },
                    at: (INDENT + LABEL) as u16,
                    bars: SparkRow {
                        series,
                        width: spark_w,
                        lo,
                        hi,
                        rows: self.spark_h,
                        level,
                        history_before: Some(r.evidence_since(canary)),
                        style,
                        history_style: t.muted,
                    },
                    value: last.then(|| Line::from(value_span(reading.as_ref(), &metric.unit, t, style))),
                });
            }
        }

        // The judge's verdict on this metric at this weight.
        if let Some(judge) = self.judge {
            rows.push(BodyRow::text(judge.line(ctx, i, w)));
        }
        rows.extend(gate_rows::rows(ctx, i, w, self.columns).into_iter().map(BodyRow::text));
    }

    /// Name and unit, which way is bad; the data age (and the keys when selected) on the right.
    fn title<'c>(&self, ctx: &Ctx) -> BodyRow<'c> {
        let r = ctx.release;
        let t = ctx.theme;
        let metric = &r.plan().metrics[self.index];
        let unit = if metric.unit.is_empty() {
            String::new()
        } else {
            format!(" ({})", metric.unit)
        };
        let mut line = Line::from(vec![
            Span::styled(if self.selected { " ▸ " } else { "   " }, t.title),
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
        if self.highlighted {
            line = line.style(t.selection);
        }
        let data = data_span(&r.data_status(self.index, ctx.now), None, t);
        // The selected metric names its keys, when there is room; the data age always.
        let mut hints = Vec::new();
        if self.selected {
            if self.judge.is_some() {
                let select = first_key(key_for(Action::Select));
                hints.push(Span::styled(format!("{select} analysis · "), t.muted));
            }
            hints.push(Span::styled(
                format!("{} query · ", key_for(Action::ShowQuery)),
                t.muted,
            ));
        }
        // Fewer hints until it fits (the query key last to go).
        let right = (0..=hints.len())
            .rev()
            .map(|k| {
                let mut spans: Vec<Span> = hints[hints.len() - k..].to_vec();
                spans.extend([data.clone(), Span::raw(" ")]);
                Line::from(spans)
            })
            .collect();
        let right_after = (line.width() + 1) as u16;
        BodyRow::Text {
            line,
            right,
            right_after,
        }
    }
}

fn value_span(reading: Option<&Reading>, unit: &str, t: &Theme, style: Style) -> Span<'static> {
    let w = VALUE - 1;
    match reading {
        Some(Reading::Value(v)) if v.is_finite() => {
            let text = with_unit(&fmt_num(*v), unit);
            Span::styled(format!("{text:>w$}"), style)
        }
        Some(Reading::Value(v)) => Span::styled(format!("{:>w$}", format!("? {v}")), t.warning),
        Some(Reading::NoData(_)) => Span::styled(format!("{:>w$}", "? no data"), t.warning),
        None => Span::styled(format!("{:>w$}", "—"), t.muted),
    }
}
