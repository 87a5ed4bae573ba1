//! Stages pane: the stage ladder (done / now / next) with weights and holds, then the
//! current stage's checklist items and approvals, with who signed what. The selected row
//! (`checklist_cursor`) is marked with ▸ and highlighted; Enter ticks or signs it.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListState, StatefulWidget, Widget};

use crate::engine::progress::Signed;
use crate::engine::{PhaseName, Step};
use crate::format::fmt_duration;
use crate::ui::app::Pane;
use crate::ui::draw::Ctx;
use crate::ui::rollout_pane::RolloutPane;
use crate::ui::text::{fit, pad, width};
use crate::ui::time_text::time_of_day;
use crate::ui::widgets::bar::Bar;
use crate::ui::widgets::pane_block::pane_block;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer, focused: bool) {
    let area = area.intersection(buf.area);
    let block = pane_block(ctx.theme, Pane::Stages, focused, area.width, None);
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }
    let (rows, cursor) = rows(ctx, inner.width as usize);
    // An Argo Rollout's own steps, phase, pauses and analysis take the lower part, under a
    // rule: what the plan's stages wait on is what the Rollout does. The plan's rows get
    // what they need, up to three fifths.
    let (list_area, bottom_row) = match ctx.release.rollout() {
        Some(state) if inner.height >= 10 => {
            let needed = u16::try_from(rows.len()).unwrap_or(u16::MAX);
            let list_height = needed.min(inner.height * 3 / 5).max(3);
            let [list, rule, rest] = Layout::vertical([
                Constraint::Length(list_height),
                Constraint::Length(1),
                Constraint::Min(0),
            ])
            .areas(inner);
            Line::from(Span::styled("─".repeat(usize::from(rule.width)), ctx.theme.muted)).render(rule, buf);
            RolloutPane {
                state,
                theme: ctx.theme,
            }
            .render(rest, buf);
            (list, rule.y)
        }
        _ => (inner, area.bottom().saturating_sub(1)),
    };
    // The list scrolls only as far as needed to keep the selected row in view; the
    // highlight shows only in the focused pane.
    let highlight = if focused { ctx.theme.selection } else { Style::default() };
    let mut state = ListState::default().with_selected(cursor);
    let total = rows.len();
    StatefulWidget::render(List::new(rows).highlight_style(highlight), list_area, buf, &mut state);
    // Rows out of sight say so on the pane's frame (or the rule under them), so nothing is
    // hidden silently.
    let above = state.offset();
    let below = total.saturating_sub(above + usize::from(list_area.height));
    for (count, arrow, y) in [(above, "↑", area.y), (below, "↓", bottom_row)] {
        if count > 0 && area.height >= 2 {
            let text = format!(" {arrow} {count} more ");
            let x = area.right().saturating_sub(width(&text) as u16 + 2).max(area.x);
            let row = Rect::new(x, y, area.right().saturating_sub(x), 1).intersection(buf.area);
            Line::from(Span::styled(text, ctx.theme.warning)).render(row, buf);
        }
    }
}

/// The pane's rows and which one is the selected checklist row. Styles go on spans: a list
/// paints a line's own style across the whole row.
fn rows(ctx: &Ctx, w: usize) -> (Vec<Line<'static>>, Option<usize>) {
    let r = ctx.release;
    let t = ctx.theme;
    let plan = r.plan();
    let mut rows: Vec<Line<'static>> = Vec::with_capacity(plan.stages.len() + 16);

    // ----- the ladder
    let digits = plan.stages.len().to_string().len();
    let holds: Vec<String> = plan
        .stages
        .iter()
        .map(|s| {
            if s.hold.as_secs() == 0 {
                "—".into()
            } else {
                s.hold.to_string()
            }
        })
        .collect();
    let hold_w = holds.iter().map(|h| width(h)).max().unwrap_or(1).max(4);
    // mark, number, name, weight (4), hold, tag (4) with gaps.
    let fixed = 1 + 1 + digits + 1 + 2 + 4 + 2 + hold_w + 2 + 4;
    let longest = plan.stages.iter().map(|s| width(&s.name)).max().unwrap_or(5).max(5);
    let name_w = longest.min(w.saturating_sub(fixed).max(5));
    rows.push(Line::from(Span::styled(
        format!(
            " {} {:>digits$} {}  {:>4}  {:>hold_w$}",
            " ",
            "#",
            pad("stage", name_w),
            "wt",
            "hold"
        ),
        t.muted,
    )));
    let phase = r.phase();
    let ended = matches!(
        phase,
        PhaseName::RollingBack | PhaseName::RolledBack | PhaseName::Aborted
    );
    for (i, stage) in plan.stages.iter().enumerate() {
        let (mark, tag, style) = if i < r.stage() || (i == r.stage() && phase == PhaseName::Done) {
            ("✔", "done", t.success)
        } else if i == r.stage() && ended {
            ("✖", "stopped", t.danger)
        } else if i == r.stage() {
            ("▶", "NOW", t.title)
        } else if i == r.stage() + 1 && !ended {
            ("›", "next", t.text)
        } else {
            (" ", "", t.muted)
        };
        let name_style = if i == r.stage() { t.title } else { t.text };
        rows.push(Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(format!("{:>digits$} ", i + 1), t.muted),
            Span::styled(pad(&stage.name, name_w), name_style),
            Span::styled(format!("  {:>4}  ", stage.weight.to_string()), t.canary),
            Span::styled(format!("{:>hold_w$}  ", holds[i]), t.text),
            Span::styled(tag, style),
        ]));
    }

    // ----- the current stage: where its hold is, then its entry requirements
    let Some(progress) = r.progress(r.stage()) else {
        return (rows, None);
    };
    let stage = &plan.stages[r.stage()];
    rows.push(Line::raw(""));
    let state = if phase.is_over() {
        phase.label().to_string()
    } else {
        r.step().label().to_string()
    };
    rows.push(Line::from(vec![
        Span::styled(format!(" stage {} {}", r.stage() + 1, stage.name), t.title),
        Span::styled(format!(" · {state}"), t.text),
    ]));
    if let Some(left) = r.hold_remaining()
        && stage.hold.as_secs() > 0
    {
        let total = stage.hold.to_chrono();
        let done = (total - left).max(chrono::Duration::zero());
        let bar_w = 20usize;
        let filled = (done.num_seconds() as usize * bar_w)
            .checked_div(total.num_seconds() as usize)
            .unwrap_or(0);
        let bar = Bar {
            width: bar_w,
            filled,
            fill: ("█", t.info),
            rest: ("░", t.muted),
        };
        let [filled_part, rest_part] = bar.spans();
        let stopped = if phase == PhaseName::Running || phase == PhaseName::Pending {
            ""
        } else {
            " (clock stopped)"
        };
        rows.push(Line::from(vec![
            Span::styled(" hold ", t.muted),
            filled_part,
            rest_part,
            Span::styled(format!(" {} of {}{stopped}", fmt_duration(done), stage.hold), t.text),
        ]));
    }
    if let Some(deploying) = r.deploying() {
        let progress = deploying
            .progress
            .map_or_else(|| "setting the image".to_string(), |p| p.to_string());
        rows.push(Line::from(vec![
            Span::styled(" deploy ", t.muted),
            Span::styled(
                fit(&deploying.order.to_string(), w.saturating_sub(8)).into_owned(),
                t.text,
            ),
        ]));
        rows.push(Line::from(vec![
            Span::styled("        ", t.muted),
            Span::styled(fit(&progress, w.saturating_sub(8)).into_owned(), t.info),
        ]));
    }
    let lock = if !phase.is_live() || phase.is_over() {
        Some(format!("locked: release {}", phase.label()))
    } else if r.step() != Step::Preparing {
        Some("locked: stage has gone ahead".to_string())
    } else {
        None
    };
    if progress.items.is_empty() && progress.approvals.is_empty() {
        rows.push(Line::from(Span::styled(
            " no checklist, no approvals at this stage",
            t.muted,
        )));
        next_stage(ctx, &mut rows);
        return (rows, None);
    }
    let cursor_row = ctx.ui.checklist_row(r).unwrap_or(0);
    let mut cursor = None;
    let item_texts = plan.checklist_of(r.stage());

    let signed_text = |s: &Signed| format!("✔ {} {}", s.by.name, time_of_day(s.at).get(..5).unwrap_or(""));
    let mut push_row =
        |rows: &mut Vec<Line<'static>>, index: usize, done: bool, what: &str, who: String, who_style: Style| {
            let selected = index == cursor_row;
            if selected {
                cursor = Some(rows.len());
            }
            let who_w = width(&who);
            let text_w = w.saturating_sub(8 + who_w + 1).max(4);
            let (box_text, box_style) = if done { ("[x]", t.success) } else { ("[ ]", t.warning) };
            rows.push(Line::from(vec![
                Span::styled(if selected { " ▸ " } else { "   " }, t.title),
                Span::styled(box_text, box_style),
                Span::raw(" "),
                Span::styled(pad(what, text_w), if done { t.text } else { t.title }),
                Span::raw(" "),
                Span::styled(who, who_style),
            ]));
        };

    if !progress.items.is_empty() {
        let done = progress.items.iter().filter(|i| i.is_some()).count();
        let name = stage.checklist.as_deref().unwrap_or("checklist");
        let mut heading = vec![Span::styled(
            format!(" checklist {name} ({done}/{})", progress.items.len()),
            t.title,
        )];
        if let Some(lock) = &lock {
            heading.push(Span::styled(format!(" · {lock}"), t.muted));
        }
        rows.push(Line::from(heading));
        for (i, slot) in progress.items.iter().enumerate() {
            let what = item_texts.get(i).map_or("(item)", String::as_str);
            match slot {
                Some(s) => push_row(&mut rows, i, true, what, signed_text(s), t.muted),
                None => push_row(&mut rows, i, false, what, String::new(), t.muted),
            }
        }
    }
    if !progress.approvals.is_empty() {
        let signed = progress.approvals.iter().filter(|(_, s)| s.is_some()).count();
        let mut heading = vec![Span::styled(
            format!(" approvals ({signed}/{})", progress.approvals.len()),
            t.title,
        )];
        if progress.items.is_empty()
            && let Some(lock) = &lock
        {
            heading.push(Span::styled(format!(" · {lock}"), t.muted));
        }
        rows.push(Line::from(heading));
        for (i, (role, slot)) in progress.approvals.iter().enumerate() {
            let index = progress.items.len() + i;
            match slot {
                Some(s) => push_row(
                    &mut rows,
                    index,
                    true,
                    role,
                    format!("signed {}", signed_text(s)),
                    t.muted,
                ),
                None => push_row(&mut rows, index, false, role, "needs a signature".into(), t.warning),
            }
        }
    }
    next_stage(ctx, &mut rows);
    (rows, cursor)
}

/// What the next stage will ask for before it goes ahead, if anything.
fn next_stage(ctx: &Ctx, rows: &mut Vec<Line<'static>>) {
    let r = ctx.release;
    let plan = r.plan();
    if r.phase().is_over() {
        return;
    }
    let next = r.stage() + 1;
    let (Some(stage), Some(progress)) = (plan.stages.get(next), r.progress(next)) else {
        return;
    };
    let mut needs = Vec::with_capacity(2);
    if let Some(name) = &stage.checklist {
        needs.push(format!("checklist {name} ({} items)", progress.items.len()));
    }
    let roles: Vec<&str> = progress.approvals.iter().map(|(role, _)| role.as_str()).collect();
    if !roles.is_empty() {
        needs.push(format!("approval {}", roles.join(", ")));
    }
    if needs.is_empty() {
        return;
    }
    rows.push(Line::raw(""));
    rows.push(Line::from(vec![
        Span::styled(format!(" next: {} asks for ", stage.name), ctx.theme.muted),
        Span::styled(needs.join(" and "), ctx.theme.text),
    ]));
}
