//! Log pane: the deployment log, newest at the bottom. Each line has its time, a severity
//! symbol (never colour alone), the actor and the message. It follows the newest line
//! unless scrolled; the filter is a case-insensitive substring. Only the visible lines are
//! looked at past the filter and formatted: a 5000-line log costs no more than a short one.

use std::collections::VecDeque;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, Widget};

use crate::engine::LogEntry;
use crate::ui::app::Pane;
use crate::ui::draw::Ctx;
use crate::ui::keys::{Action, first_key, key_for};
use crate::ui::text::{fit, pad, width};
use crate::ui::theme::severity_symbol;
use crate::ui::time_text::time_of_day;
use crate::ui::widgets::pane_block::pane_block;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer, focused: bool) {
    let area = area.intersection(buf.area);
    let t = ctx.theme;
    let ui = ctx.ui;
    let log = ctx.release.log();
    let mut right = Vec::with_capacity(3);
    if !ui.filter.is_empty() {
        right.push(Span::styled(format!(" filter “{}” ", ui.filter), t.warning));
    }
    right.push(if ui.log_scroll > 0 {
        Span::styled(" ↑ scrolled ", t.warning)
    } else {
        Span::styled(" following ", t.muted)
    });
    let block = pane_block(t, Pane::Log, focused, area.width, Some(Line::from(right)));
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.is_empty() {
        return;
    }

    // The lines; under them, when scrolled, how far; at the bottom, the filter being typed.
    let scrolled_row = ui.log_scroll > 0 && inner.height - u16::from(ui.filter_editing) > 1;
    let [lines_area, status_area, input_area] = inner.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(scrolled_row)),
        Constraint::Length(u16::from(ui.filter_editing)),
    ]));

    let (shown, scrolled) = visible(log, &ui.filter, ui.log_scroll, usize::from(lines_area.height));
    if shown.is_empty() {
        let text = if log.is_empty() {
            " nothing logged yet".to_string()
        } else {
            format!(" no log line matches “{}”", ui.filter)
        };
        Paragraph::new(Span::styled(text, t.muted)).render(lines_area, buf);
    }
    // Oldest of the visible lines at the top, newest at the bottom.
    let actor_w = actor_width(log, inner.width);
    let message_w = usize::from(inner.width).saturating_sub(TIME + SEVERITY + actor_w);
    let rows = shown.iter().rev().map(|&i| entry_row(ctx, &log[i], actor_w, message_w));
    let widths = [
        Constraint::Length(TIME as u16),
        Constraint::Length(SEVERITY as u16),
        Constraint::Length(actor_w as u16),
        Constraint::Fill(1),
    ];
    Table::new(rows, widths).column_spacing(0).render(lines_area, buf);

    if scrolled_row {
        let follow = key_for(Action::Top);
        let text = format!(
            " ↑ scrolled: {scrolled} lines, {} to follow",
            follow.rsplit('/').next().unwrap_or("G")
        );
        Line::from(Span::styled(text, t.warning)).render(status_area, buf);
    }
    if ui.filter_editing {
        let input = Line::from(vec![
            Span::styled(format!(" / {}", ui.filter), t.selection),
            Span::styled("█", t.selection),
            Span::raw("  "),
            Span::styled(
                format!(
                    "{} keeps · {} clears",
                    first_key(key_for(Action::Select)),
                    key_for(Action::Close)
                ),
                t.muted,
            ),
        ]);
        input.style(t.selection).render(input_area, buf);
    }
}

/// Columns, each with the gap after it, so the gaps keep their cell's style: the time, the
/// severity symbol, the actor, the message.
const TIME: usize = 10;
const SEVERITY: usize = 2;

/// The actor column with its gap: as wide as the longest name in the whole log (so
/// messages do not shift as the log scrolls), within a fifth of the pane (10 to 24
/// columns).
fn actor_width(log: &VecDeque<LogEntry>, pane_width: u16) -> usize {
    let most = usize::from(pane_width / 5).clamp(10, 24);
    let longest = log.iter().map(|e| width(&e.actor.name)).max().unwrap_or(0);
    longest.clamp(8, most) + 1
}

fn entry_row<'a>(ctx: &Ctx, entry: &'a LogEntry, actor_w: usize, message_w: usize) -> Row<'a> {
    let t = ctx.theme;
    let severity = entry.event.severity();
    let style = t.severity(severity);
    Row::new([
        Line::from(Span::styled(format!(" {} ", time_of_day(entry.time)), t.muted)),
        Line::from(vec![Span::styled(severity_symbol(severity), style), Span::raw(" ")]),
        Line::from(vec![
            Span::styled(pad(&entry.actor.name, actor_w - 1), t.muted),
            Span::raw(" "),
        ]),
        Line::from(Span::styled(fit(&entry.message, message_w), style)),
    ])
}

/// Indices of the log lines to show, newest first, and how far up the view actually is.
/// Scans from the newest line and stops as soon as the window is full.
pub fn visible(log: &VecDeque<LogEntry>, filter: &str, scroll: usize, rows: usize) -> (Vec<usize>, usize) {
    if rows == 0 {
        return (Vec::new(), 0);
    }
    let finder = Finder::new(filter);
    let mut window: VecDeque<usize> = VecDeque::with_capacity(rows);
    let mut seen = 0;
    for i in (0..log.len()).rev() {
        if !finder.matches(&log[i]) {
            continue;
        }
        seen += 1;
        if window.len() == rows {
            window.pop_front();
        }
        window.push_back(i);
        if seen >= scroll + rows {
            break;
        }
    }
    let scrolled = seen - window.len();
    (window.into(), scrolled)
}

/// A case-insensitive substring search, prepared once per frame: an ASCII needle uses a
/// skip table (Horspool), so a filter that matches nothing scans 5000 lines quickly.
struct Finder {
    needle: Vec<u8>,
    lower: String,
    shift: Option<Box<[usize; 256]>>,
}

impl Finder {
    fn new(filter: &str) -> Finder {
        let lower = filter.to_lowercase();
        let needle = lower.as_bytes().to_vec();
        let shift = (filter.is_ascii() && !needle.is_empty()).then(|| {
            let m = needle.len();
            let mut table = Box::new([m; 256]);
            for (i, &b) in needle[..m - 1].iter().enumerate() {
                table[b as usize] = m - 1 - i;
                table[b.to_ascii_uppercase() as usize] = m - 1 - i;
            }
            table
        });
        Finder { needle, lower, shift }
    }

    fn matches(&self, entry: &LogEntry) -> bool {
        self.needle.is_empty() || self.contains(&entry.message) || self.contains(&entry.actor.name)
    }

    fn contains(&self, hay: &str) -> bool {
        let Some(shift) = &self.shift else {
            return hay.to_lowercase().contains(&self.lower);
        };
        let (hay, n) = (hay.as_bytes(), &self.needle);
        let m = n.len();
        let mut i = 0;
        while i + m <= hay.len() {
            let last = hay[i + m - 1];
            if last.to_ascii_lowercase() == n[m - 1] && hay[i..i + m].eq_ignore_ascii_case(n) {
                return true;
            }
            i += shift[last as usize];
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Actor, EventKind, PhaseName};
    use chrono::DateTime;

    fn log(n: usize) -> VecDeque<LogEntry> {
        (0..n)
            .map(|i| LogEntry {
                time: DateTime::UNIX_EPOCH,
                actor: Actor::system(),
                event: EventKind::Note,
                message: if i % 2 == 0 {
                    format!("Even {i}")
                } else {
                    format!("odd {i}")
                },
                state: PhaseName::Running,
            })
            .collect()
    }

    #[test]
    fn follows_scrolls_and_clamps() {
        let l = log(10);
        assert_eq!(visible(&l, "", 0, 3), (vec![9, 8, 7], 0));
        assert_eq!(visible(&l, "", 2, 3), (vec![7, 6, 5], 2));
        // Scrolled past the top: the oldest lines fill the view.
        assert_eq!(visible(&l, "", 100, 3), (vec![2, 1, 0], 7));
        assert_eq!(visible(&l, "", 0, 0), (vec![], 0));
    }

    #[test]
    fn filters_case_insensitively() {
        let l = log(10);
        assert_eq!(visible(&l, "EVEN", 0, 3).0, vec![8, 6, 4]);
        assert_eq!(visible(&l, "even", 1, 3).0, vec![6, 4, 2]);
        assert_eq!(visible(&l, "nothing", 0, 3).0, Vec::<usize>::new());
        assert!(Finder::new("GRÖ").contains("Größe"));
        assert!(Finder::new("fox 4").contains("the quick brown FOX 42"));
        assert!(!Finder::new("fox 4").contains("the quick brown fox jumps"));
        assert!(Finder::new("x").contains("x") && !Finder::new("xy").contains("x"));
        assert!(Finder::new("abab").contains("aababab") && Finder::new("aab").contains("aaab"));
    }
}
