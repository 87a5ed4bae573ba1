//! The Rollout pane: an Argo Rollout as Argo reports it (phase, abort, weights, the canary
//! steps, the AnalysisRun's measurements, the pods of each version). Argo moves the
//! Rollout itself; this shows where it stands. Pure: a function of the state and the theme.
//!
//! When the area is small the parts shrink in order of importance: the phase and an abort
//! first, then the weights, the current step, the analysis, the pods. From 120 columns the
//! steps sit beside the analysis and the pods.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::text::{fit, pad, width as text_width};
use super::theme::Theme;
use super::time_text::time_of_day;
use super::widgets::bar::Bar;
use super::wrap::wrap_line;
use crate::engine::rollout_state::{
    AnalysisState, CanaryStep, MetricMeasured, RolloutState, StepProgress, VersionPods, VersionRole, WeightSource,
    Weights,
};

/// From this width the steps go beside the analysis and the pods.
const TWO_COLUMNS_FROM: u16 = 120;
/// The steps' column in two-column mode: enough for the longest usual step.
const STEPS_COLUMN: u16 = 60;
/// A reason short enough to sit in the header beside the phase (`Paused (CanaryPauseStep)`).
const HEADER_REASON: usize = 32;

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
    // ----- the top: what state the Rollout is in

    /// The header, an abort, the phase's message, pauses and the weights (or, blue-green,
    /// the services).
    fn top(&self, w: usize) -> Vec<Section<'a>> {
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

    /// The steps with a marker each (✔ done, ▶ NOW, › next), and the canary weight once
    /// each has run. Cut to a window around the current step; one row says just that step.
    fn steps(&self, w: usize) -> Section<'a> {
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

    /// The AnalysisRun: its verdict, then each metric's newest values and tally.
    fn analysis(&self, a: &AnalysisState, w: usize) -> Section<'a> {
        let t = self.theme;
        let (badge, style) = analysis_look(a.phase.as_deref(), t);
        let kind = a.kind.map(|k| format!(" · {}", k.label())).unwrap_or_default();
        let fixed = text_width(" Analysis ") + text_width(badge) + 1;
        let mut heading = vec![
            Span::styled(" Analysis ", t.title),
            Span::styled(badge, style),
            Span::raw(" "),
        ];
        if fixed + text_width(&a.name) + text_width(&kind) <= w {
            heading.extend([Span::styled(a.name.clone(), t.text), Span::styled(kind, t.muted)]);
        } else {
            heading.push(Span::styled(fit(&a.name, w.saturating_sub(fixed)).into_owned(), t.text));
        }
        let firsts: Vec<Line<'static>> = a.metrics.iter().map(|m| self.metric_values(m, w)).collect();
        let mut full = vec![Line::from(heading.clone())];
        for (m, first) in a.metrics.iter().zip(&firsts) {
            full.push(first.clone());
            full.push(self.metric_tally(m));
            if let Some(message) = &m.message {
                full.push(Line::from(Span::styled(format!("      {message}"), t.muted)));
            }
        }
        let said = self.state.abort_reason.as_deref();
        if let Some(message) = a.message.as_deref().filter(|m| Some(*m) != said) {
            full.extend(wrap_line(
                Line::from(Span::styled(format!("   {message}"), t.text)),
                w,
                2,
            ));
        }
        let min = 1 + usize::from(!firsts.is_empty());
        Section {
            rank: 4,
            min,
            full: full.len(),
            gap_before: true,
            rows: Box::new(move |n| {
                if n >= full.len() {
                    return full.clone();
                }
                // Short of room: every metric's values before any tally.
                let mut out = vec![Line::from(heading.clone())];
                let room = n.saturating_sub(1);
                if firsts.len() > room && room >= 2 {
                    out.extend(firsts[..room - 1].iter().cloned());
                    let more = firsts.len() - (room - 1);
                    out.push(Line::from(Span::styled(format!("   … {more} more metrics"), t.warning)));
                } else {
                    out.extend(firsts.iter().take(room).cloned());
                }
                out
            }),
        }
    }

    /// `✖ FAILED  web  last: false  pass if result == "true"`: as many of the newest
    /// values as fit, oldest first.
    fn metric_values(&self, m: &MetricMeasured, w: usize) -> Line<'static> {
        let t = self.theme;
        let (badge, style) = analysis_look(m.phase.as_deref(), t);
        let condition = match (&m.success_condition, &m.failure_condition) {
            (Some(c), _) => format!("  pass if {c}"),
            (None, Some(c)) => format!("  fail if {c}"),
            (None, None) => String::new(),
        };
        let line = |values: &[String]| {
            let shown = if values.is_empty() {
                "no value yet".to_string()
            } else {
                format!("last: {}", values.join(", "))
            };
            Line::from(vec![
                Span::styled(format!("   {badge} "), style),
                Span::styled(m.name.clone(), t.title),
                Span::styled(format!("  {shown}"), t.text),
                Span::styled(condition.clone(), t.muted),
            ])
        };
        let mut from = 0;
        while from + 1 < m.last_values.len() && line(&m.last_values[from..]).width() > w {
            from += 1;
        }
        line(&m.last_values[from..])
    }

    /// `measured 1: 0 successful · 1 failed · 0 inconclusive · 0 errors`.
    fn metric_tally(&self, m: &MetricMeasured) -> Line<'static> {
        let t = self.theme;
        let part =
            |n: u32, word: &str, bad: Style| Span::styled(format!("{n} {word}"), if n > 0 { bad } else { t.text });
        let dot = || Span::styled(" · ", t.muted);
        Line::from(vec![
            Span::styled(format!("      measured {}: ", m.count), t.muted),
            part(m.successful, "successful", t.success),
            dot(),
            part(m.failed, "failed", t.danger),
            dot(),
            part(m.inconclusive, "inconclusive", t.warning),
            dot(),
            part(m.errors, if m.errors == 1 { "error" } else { "errors" }, t.danger),
        ])
    }

    /// The Rollout's pod counts, then one row per version: role, hash, revision, ready of
    /// desired, images.
    fn pods(&self, w: usize) -> Section<'a> {
        let s = self.state;
        let t = self.theme;
        let r = s.replicas;
        let heading = Line::from(vec![
            Span::styled(" Pods", t.title),
            Span::styled(
                format!(
                    "  desired {} · current {} · updated {} · ready {} · available {}",
                    r.desired, r.current, r.updated, r.ready, r.available
                ),
                t.text,
            ),
        ]);
        let hash_w = s.versions.iter().map(|v| text_width(&v.hash)).max().unwrap_or(0);
        let mut lines = vec![heading];
        lines.extend(s.versions.iter().map(|v| self.version_row(v, hash_w, w)));
        Section::lines(6, 1, true, lines)
    }

    fn version_row(&self, v: &VersionPods, hash_w: usize, w: usize) -> Line<'static> {
        let t = self.theme;
        let role_style = match v.role {
            VersionRole::Canary | VersionRole::Preview => t.canary,
            VersionRole::Stable | VersionRole::Active => t.stable,
            VersionRole::Old => t.muted,
        };
        let (count, count_style) = if v.desired == 0 && v.current == 0 {
            ("· scaled down".to_string(), t.muted)
        } else if v.ready >= v.desired {
            (format!("✔ {}/{} ready", v.ready, v.desired), t.success)
        } else {
            (format!("▲ {}/{} ready", v.ready, v.desired), t.warning)
        };
        let revision = v.revision.map(|r| format!("rev {r}")).unwrap_or_default();
        let head = vec![
            Span::styled(format!("   {} ", pad(v.role.label(), 7)), role_style),
            Span::styled(format!("{} ", pad(&v.hash, hash_w)), t.muted),
            Span::styled(format!("{} ", pad(&revision, 7)), t.muted),
            Span::styled(pad(&count, 14), count_style),
        ];
        let used: usize = head.iter().map(Span::width).sum();
        let images = v.images.join(", ");
        let mut spans = head;
        spans.push(Span::styled(
            format!("  {}", fit(&images, w.saturating_sub(used + 2))),
            t.text,
        ));
        Line::from(spans)
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

/// An AnalysisRun's or a metric's phase as a symbol and a word.
fn analysis_look(phase: Option<&str>, t: &Theme) -> (&'static str, Style) {
    match phase {
        Some("Successful") => ("✔ SUCCESSFUL", t.success),
        Some("Failed") => ("✖ FAILED", t.danger),
        Some("Error") => ("✖ ERROR", t.danger),
        Some("Inconclusive") => ("? INCONCLUSIVE", t.warning),
        Some("Running") => ("▶ RUNNING", t.info),
        Some("Pending") | None => ("○ PENDING", t.muted),
        Some(_) => ("? UNKNOWN", t.warning),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::rollout_state::{AnalysisKind, Replicas, StepLine, StepPosition, Strategy};

    fn state() -> RolloutState {
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

    fn drawn(state: &RolloutState, w: u16, h: u16) -> Vec<String> {
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
