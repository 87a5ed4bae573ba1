//! The canary judge's analysis of one metric (Enter on a metric): the resolved queries, the
//! window judged, both sample sets as histograms on one value axis, the statistics with the
//! tolerance band, and the rule that decided. Without a judgement at this weight it says why.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::frame::frame;
use crate::analysis::judge::{Classification, Direction, EffectKind, JudgeConfig, Verdict};
use crate::engine::judging::{JudgeState, Judgement};
use crate::format::{fmt_duration, fmt_num, fmt_p_value, fmt_score, fmt_share};
use crate::ui::draw::Ctx;
use crate::ui::judge::{self, with_unit};
use crate::ui::keys::{Action, key_for, main_keys};
use crate::ui::text::{fit, pad, width};
use crate::ui::theme::{classification_badge, outcome_badge};
use crate::ui::time_text::time_of_day;
use crate::ui::wrap::wrap;

/// The dialog's keys, from the key table.
pub fn keys() -> String {
    format!(
        "{} closes · {} metric · {} whole query · {} rolls back",
        key_for(Action::Close),
        main_keys(Action::Up),
        key_for(Action::ShowQuery),
        key_for(Action::Rollback)
    )
}

/// Width of the label column.
const LABEL: usize = 11;
const BARS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// How much detail fits: query lines per side, blank lines between sections (2 all, 1 only
/// around the queries and the plot, 0 none), plot rows per sample set.
#[derive(Debug, Clone, Copy)]
struct Fit {
    query_lines: usize,
    blanks: u8,
    plot_rows: usize,
}

const fn fit_of(query_lines: usize, blanks: u8, plot_rows: usize) -> Fit {
    Fit {
        query_lines,
        blanks,
        plot_rows,
    }
}

/// From the most detail to the least, tried until the dialog fits the screen.
const FITS: [Fit; 8] = [
    fit_of(usize::MAX, 2, 2),
    fit_of(usize::MAX, 2, 1),
    fit_of(2, 2, 1),
    fit_of(1, 2, 1),
    fit_of(1, 1, 1),
    fit_of(1, 0, 1),
    fit_of(0, 0, 1),
    fit_of(0, 0, 0),
];

pub fn render(ctx: &Ctx, metric: usize, area: Rect, buf: &mut Buffer) {
    let t = ctx.theme;
    let plan = ctx.release.plan();
    let Some(m) = plan.metrics.get(metric) else { return };
    let area = area.intersection(buf.area);
    let inner_w = area.width.saturating_sub(8).clamp(1, 96) as usize;
    // Leave the header's first row (the release state) and the footer in sight.
    let max_h = area.height.saturating_sub(4) as usize;
    let mut rows = Vec::new();
    for fit in FITS {
        rows = lines(ctx, metric, inner_w, fit);
        if rows.len() <= max_h {
            break;
        }
    }
    let unit = if m.unit.is_empty() {
        String::new()
    } else {
        format!(" ({})", m.unit)
    };
    let title = format!("Analysis: {}{unit}", m.name);
    let inner = frame(
        area,
        inner_w as u16,
        rows.len() as u16,
        &title,
        t.border_focus,
        t.title,
        buf,
    );
    Paragraph::new(rows).render(inner, buf);
}

/// The dialog's lines at `w` cells wide.
fn lines(ctx: &Ctx, metric: usize, w: usize, fit: Fit) -> Vec<Line<'static>> {
    let r = ctx.release;
    let t = ctx.theme;
    let m = &r.plan().metrics[metric];
    let current = r.stage_judgement();
    let verdict = current.and_then(|j| j.metrics.get(metric)).and_then(Option::as_ref);
    let mut out = Vec::with_capacity(32);
    // A blank line between sections; `major` ones go last when room runs out.
    let blank = |out: &mut Vec<Line<'static>>, major: bool| {
        if fit.blanks >= 2 || (fit.blanks == 1 && major) {
            out.push(Line::default());
        }
    };

    // What the judge concluded, or why it has not.
    match (current, verdict) {
        (Some(j), Some(v)) => {
            let mut spans = vec![
                Span::styled(
                    classification_badge(v.classification),
                    t.classification(v.classification),
                ),
                Span::styled(
                    format!(" at {} ({}) · interval ", judge::stage_name(r, j), time_of_day(j.at)),
                    t.muted,
                ),
                Span::styled(outcome_badge(j.outcome()), t.outcome(j.outcome())),
                Span::styled(format!(" {}", fmt_score(j.score.score)), t.text),
            ];
            if r.phase().is_over() {
                spans.push(Span::styled(format!(" · release {}", r.phase().label()), t.muted));
            }
            labelled(&mut out, "verdict", spans, w);
        }
        _ => {
            let why = match current {
                Some(_) => judge::state_sentence(JudgeState::NotAnalysed, r, ctx.now),
                None => judge::state_sentence(r.judge_state(Some(metric)), r, ctx.now),
            };
            labelled(&mut out, "verdict", vec![Span::styled(format!("· {why}"), t.text)], w);
            if let Some(last) = r.judge().and_then(|run| run.last.as_ref())
                && current.is_none_or(|c| c.at != last.at)
                && let Some(Some(v)) = last.metrics.get(metric)
            {
                let spans = vec![
                    Span::styled(
                        format!("at {} ({}): ", judge::stage_name(r, last), time_of_day(last.at)),
                        t.muted,
                    ),
                    Span::styled(
                        classification_badge(v.classification),
                        t.classification(v.classification),
                    ),
                    Span::styled(
                        judge::estimate(v, &m.unit).map_or_else(String::new, |e| format!("  {e}")),
                        t.muted,
                    ),
                ];
                labelled(&mut out, "last", spans, w);
            }
        }
    }
    blank(&mut out, false);

    // The queries, with {{version}} resolved; `v` shows them whole when they are cut here.
    if fit.query_lines > 0 {
        let (canary, baseline) = r.plan().resolved_queries(m);
        query(&mut out, "canary", &canary, t.canary, w, fit.query_lines, t.muted);
        query(&mut out, "baseline", &baseline, t.stable, w, fit.query_lines, t.muted);
        blank(&mut out, true);
    }

    if let (Some(j), Some(v)) = (current, verdict) {
        let cfg = judge::config(r, metric).unwrap_or_default();
        statistics(ctx, &mut out, j, v, &cfg, &m.unit, w);
        blank(&mut out, false);
        let judged = j.samples.get(metric).and_then(Option::as_ref);
        if fit.plot_rows > 0 {
            let (canary, baseline) = judged.map_or((&[][..], &[][..]), |s| (&s.canary[..], &s.baseline[..]));
            out.extend(histograms(ctx, canary, baseline, &m.unit, w, fit.plot_rows));
            blank(&mut out, true);
        }
        labelled(
            &mut out,
            "decided by",
            vec![Span::styled(v.reason.clone(), t.classification(v.classification))],
            w,
        );
        labelled(
            &mut out,
            "score",
            vec![Span::styled(
                j.score
                    .reason
                    .strip_prefix("score ")
                    .unwrap_or(&j.score.reason)
                    .to_string(),
                t.outcome(j.outcome()),
            )],
            w,
        );
        blank(&mut out, false);
    }
    out.push(Line::styled(keys(), t.key));
    out
}

/// The window, the samples and the statistics, with the band and the rule they meet.
fn statistics(
    ctx: &Ctx,
    out: &mut Vec<Line<'static>>,
    j: &Judgement,
    v: &Verdict,
    cfg: &JudgeConfig,
    unit: &str,
    w: usize,
) {
    let t = ctx.theme;
    labelled(
        out,
        "window",
        vec![Span::styled(
            format!(
                "{}–{} ({}) · n {} canary, {} baseline",
                time_of_day(j.from),
                time_of_day(j.to),
                fmt_duration(j.to - j.from),
                v.experiment.n,
                v.control.n
            ),
            t.text,
        )],
        w,
    );
    let side = |name: &str, s: &crate::analysis::judge::SampleSummary| {
        let mut parts = Vec::new();
        if s.dropped_nan > 0 {
            parts.push(format!("{} NaN", s.dropped_nan));
        }
        if s.dropped_outliers > 0 {
            let word = if s.dropped_outliers == 1 { "outlier" } else { "outliers" };
            parts.push(format!("{} {word}", s.dropped_outliers));
        }
        (!parts.is_empty()).then(|| format!("{name} {}", parts.join(", ")))
    };
    let dropped: Vec<String> = [side("canary", &v.experiment), side("baseline", &v.control)]
        .into_iter()
        .flatten()
        .collect();
    let fences = match cfg.outlier_factor {
        Some(k) => format!("outside {} IQR", fmt_num(k)),
        None => "no outlier fences".into(),
    };
    let dropped = if dropped.is_empty() {
        format!("none ({fences})")
    } else {
        format!("{} ({fences})", dropped.join(" · "))
    };
    labelled(out, "dropped", vec![Span::styled(dropped, t.text)], w);

    let shift = match judge::estimate(v, unit) {
        Some(e) => format!("{e} at {}%", fmt_share(cfg.confidence)),
        None => "—".into(),
    };
    let p = v.p_value.map_or_else(|| "—".into(), fmt_p_value);
    let class_style = if v.classification == Classification::Pass {
        t.text
    } else {
        t.classification(v.classification)
    };
    labelled(
        out,
        "shift",
        vec![
            Span::styled(shift, class_style),
            Span::styled(format!(" · p-value {p}"), t.text),
        ],
        w,
    );
    let effect = match (judge::effect(v, cfg.effect), cfg.effect) {
        (Some(e), EffectKind::MeanRatio) => format!("{e} (canary mean ÷ baseline mean)"),
        (Some(e), EffectKind::Cles) => format!("{e} (chance a canary value beats a baseline one)"),
        (None, _) => "—".into(),
    };
    labelled(out, "effect", vec![Span::styled(effect, t.text)], w);
    labelled(out, "rule", vec![Span::styled(rule(v, cfg, unit), t.muted)], w);
}

/// The band and the rule: what High (and Low) would need, with the band's width and where
/// it came from (the shift's own size, or the plan's min_shift).
fn rule(v: &Verdict, cfg: &JudgeConfig, unit: &str) -> String {
    let neutral = cfg.effect.neutral();
    let effect = |x: f64| match cfg.effect {
        EffectKind::MeanRatio => format!("×{x:.2}"),
        EffectKind::Cles => format!("CLES {x:.2}"),
    };
    let up = cfg.allowed_increase.unwrap_or(neutral);
    let down = cfg.allowed_decrease.unwrap_or(neutral);
    let clears = match &v.band {
        Some(band) => format!(
            "the interval clears the band {} ({})",
            with_unit(&format!("±{}", fmt_num(band.width)), unit),
            band.origin()
        ),
        None => format!("the interval clears a band of {} × |shift|", fmt_num(cfg.tolerance)),
    };
    match cfg.direction {
        Direction::Increase => format!("High if {clears} upward and the effect exceeds {}", effect(up)),
        Direction::Decrease => format!("Low if {clears} downward and the effect is under {}", effect(down)),
        Direction::Either => format!(
            "High if {clears} upward and the effect exceeds {}; Low if downward and under {}",
            effect(up),
            effect(down)
        ),
    }
}

/// `label` in the label column, then `spans` wrapped to the rest of the width, continuation
/// lines indented under the first.
fn labelled(out: &mut Vec<Line<'static>>, label: &str, spans: Vec<Span<'static>>, w: usize) {
    let rest = w.saturating_sub(LABEL).max(1);
    let label = Span::raw(pad(label, LABEL));
    // Spans keep their styles across the wrap: wrap the text, then cut it back into styles.
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    let wrapped = wrap(&text, rest);
    let mut styles = spans.iter().flat_map(|s| {
        let style = s.style;
        s.content.chars().map(move |c| (c, style))
    });
    for (i, piece) in wrapped.iter().enumerate() {
        let mut line = vec![if i == 0 {
            label.clone()
        } else {
            Span::raw(" ".repeat(LABEL))
        }];
        let mut current: Option<(Style, String)> = None;
        for c in piece.chars() {
            // The wrap drops the spaces it breaks at: skip them in the styled stream too.
            let style = loop {
                match styles.next() {
                    Some((sc, style)) if sc == c => break style,
                    Some(_) => continue,
                    None => break Style::default(),
                }
            };
            match &mut current {
                Some((s, text)) if *s == style => text.push(c),
                _ => {
                    if let Some((s, text)) = current.take() {
                        line.push(Span::styled(text, s));
                    }
                    current = Some((style, c.to_string()));
                }
            }
        }
        if let Some((s, text)) = current {
            line.push(Span::styled(text, s));
        }
        out.push(Line::from(line));
    }
}

/// A query cut by characters (it is code, not words) into at most `max` lines.
fn query(out: &mut Vec<Line<'static>>, label: &str, text: &str, style: Style, w: usize, max: usize, muted: Style) {
    let rest = w.saturating_sub(LABEL).max(1);
    let chars: Vec<char> = text.chars().collect();
    let chunks: Vec<String> = chars.chunks(rest).map(|c| c.iter().collect()).collect();
    let cut = chunks.len() > max;
    for (i, chunk) in chunks.iter().take(max).enumerate() {
        let head = if i == 0 {
            Span::styled(pad(label, LABEL), style)
        } else {
            Span::raw(" ".repeat(LABEL))
        };
        let body = if cut && i + 1 == max {
            // The rest is one key away.
            let more = " … v";
            Span::styled(
                format!(
                    "{}{more}",
                    fit(chunk, rest.saturating_sub(width(more))).trim_end_matches('…')
                ),
                muted,
            )
        } else {
            Span::raw(chunk.clone())
        };
        out.push(Line::from(vec![head, body]));
    }
}

/// Both sample sets as histograms over one shared value axis (so a shift shows as a
/// sideways move), `rows` tall each, each side's mean at the right, min and max under them.
fn histograms(ctx: &Ctx, canary: &[f64], baseline: &[f64], unit: &str, w: usize, rows: usize) -> Vec<Line<'static>> {
    let t = ctx.theme;
    let mut out = Vec::with_capacity(2 * rows + 1);
    let values = || canary.iter().chain(baseline).copied().filter(|v| v.is_finite());
    let (mut lo, mut hi) = values().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    if !lo.is_finite() {
        out.push(Line::from(vec![
            Span::raw(pad("samples", LABEL)),
            Span::styled("none in the window", t.muted),
        ]));
        return out;
    }
    if hi - lo <= f64::EPSILON * lo.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.05 };
        lo -= d;
        hi += d;
    }
    let mean = |s: &[f64]| (!s.is_empty()).then(|| s.iter().sum::<f64>() / s.len() as f64);
    let mean_text = |s: &[f64]| {
        mean(s).map_or_else(
            || "no samples".into(),
            |m| with_unit(&format!("mean {}", fmt_num(m)), unit),
        )
    };
    let right = [mean_text(canary), mean_text(baseline)];
    let right_w = right.iter().map(|s| width(s)).max().unwrap_or(0) + 2;
    let plot_w = w.saturating_sub(LABEL + right_w).max(8);
    // About two bins per square root of the larger sample, each bin a whole number of cells.
    let n = canary.len().max(baseline.len()).max(1);
    let want = ((n as f64).sqrt() * 2.0).round().clamp(6.0, plot_w as f64) as usize;
    let cell = (plot_w / want).max(1);
    let bins = plot_w / cell;
    let count = |s: &[f64]| {
        let mut c = vec![0usize; bins];
        for &v in s.iter().filter(|v| v.is_finite()) {
            let b = (((v - lo) / (hi - lo)) * bins as f64).floor() as isize;
            c[b.clamp(0, bins as isize - 1) as usize] += 1;
        }
        c
    };
    let counts = [count(canary), count(baseline)];
    let sizes = [canary.len().max(1), baseline.len().max(1)];
    // Shares of each side, on one scale: equal shares draw equal bars.
    let top = (0..2)
        .flat_map(|k| counts[k].iter().map(move |&c| c as f64 / sizes[k] as f64))
        .fold(0.0, f64::max);
    let steps = 8 * rows;
    for (k, (label, style)) in [("canary", t.canary), ("baseline", t.stable)].into_iter().enumerate() {
        // Taller histograms get a blank row between them, so one's bars do not sit on the other.
        if k == 1 && rows > 1 {
            out.push(Line::default());
        }
        let heights: Vec<usize> = counts[k]
            .iter()
            .map(|&c| {
                if c == 0 || top <= 0.0 {
                    0
                } else {
                    ((c as f64 / sizes[k] as f64) / top * steps as f64).ceil().max(1.0) as usize
                }
            })
            .collect();
        for level in 0..rows {
            let below = 8 * (rows - 1 - level);
            let bars: String = heights
                .iter()
                .flat_map(|&h| std::iter::repeat_n(BARS[h.saturating_sub(below).min(8)], cell))
                .collect();
            let last = level + 1 == rows;
            let mut spans = vec![
                Span::styled(pad(if last { label } else { "" }, LABEL), style),
                Span::styled(bars, style),
            ];
            if last {
                spans.push(Span::styled(format!("  {}", right[k]), style));
            }
            out.push(Line::from(spans));
        }
    }
    // The shared axis: its ends, under the first and the last bin.
    let used = bins * cell;
    let left = with_unit(&fmt_num(lo), unit);
    let right = with_unit(&fmt_num(hi), unit);
    let gap = used.saturating_sub(width(&left) + width(&right)).max(1);
    out.push(Line::from(vec![
        Span::raw(" ".repeat(LABEL)),
        Span::styled(format!("{left}{}{right}", " ".repeat(gap)), t.muted),
    ]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_read_as_percentages_without_rounding_to_a_neighbour() {
        assert_eq!(fmt_share(0.98), "98");
        assert_eq!(fmt_share(0.995), "99.5");
        assert_eq!(fmt_share(0.005), "0.5");
        assert_eq!(fmt_share(0.25), "25");
        assert_eq!(fmt_share(1.0), "100");
    }
}
