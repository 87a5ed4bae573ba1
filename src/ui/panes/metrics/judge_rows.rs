//! The judge's row under each metric's sparklines: its classification, the means, the shift
//! with its interval, the effect size and the sample counts, in columns shared by every
//! metric so they line up, with the fields that fit the pane's width.

use ratatui::text::{Line, Span};

use super::metric_block::{INDENT, LABEL};
use crate::analysis::judge::Classification;
use crate::engine::judging::JudgeState;
use crate::ui::draw::Ctx;
use crate::ui::judge;
use crate::ui::text::{fit, pad, width};
use crate::ui::theme::classification_badge;

/// The judge rows of every metric, in columns shared by all of them so they line up, with the
/// fields that fit the pane's width (the shift first, then the effect, the means, the counts).
pub struct JudgeRows {
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
    pub fn new(ctx: &Ctx, w: usize) -> JudgeRows {
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
                    let why = match (current, r.judge_state(Some(i))) {
                        (Some(_), _) | (None, JudgeState::NotAnalysed) => "not analysed at this stage".to_string(),
                        (None, JudgeState::Next(_)) => "not judged at this weight yet".to_string(),
                        (None, state) => judge::state_short(state, ctx.now, false),
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

    pub fn line(&self, ctx: &Ctx, i: usize, w: usize) -> Line<'static> {
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
