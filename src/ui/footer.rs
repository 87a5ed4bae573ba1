//! The footer: the most used keys, straight from the key table (`keys::footer_hints`), so
//! the footer and the keys cannot drift. It degrades to fit: full key names and labels
//! when there is room, the first key name of each binding at 80 columns, keys alone last.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::app::Dialog;
use super::draw::Ctx;
use super::keys::{Action, Binding, first_key, footer_hints};
use super::theme::Theme;
use crate::engine::{Command, PhaseName};

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    let width = area.width as usize;
    let line = match &ctx.ui.dialog {
        Some(Dialog::Notes(_)) => typing(ctx.theme, &[("Ctrl-S", "save"), ("Esc", "cancel")], "the note is kept"),
        _ if ctx.ui.filter_editing => typing(ctx.theme, &[("Enter", "keep"), ("Esc", "clear")], ""),
        _ => fitted(ctx.theme, width, &offered(ctx)),
    };
    line.render(area, buf);
}

/// The footer's words for a binding, from the key table; `tight` gives the shortest form.
pub fn label(binding: &Binding, tight: bool) -> &'static str {
    binding
        .footer
        .map_or(binding.help, |h| if tight { h.tight } else { h.wide })
}

/// A footer binding as shown now, with its label when the context words it otherwise.
type Shown = (&'static Binding, Option<&'static str>);

/// The footer's bindings that the release would take now: a key the engine would refuse
/// is not offered, and `p` says which of pause and resume it does.
fn offered(ctx: &Ctx) -> Vec<Shown> {
    let paused = ctx.release.phase() == PhaseName::Paused;
    footer_hints()
        .filter(|b| refused_now(ctx, b.action).is_none())
        .map(|b| match b.action {
            Action::PauseResume if paused => (b, Some("resume")),
            Action::PauseResume => (b, Some("pause")),
            _ => (b, None),
        })
        .collect()
}

/// Why the release would refuse what `action`'s key asks for now, if it would: the
/// engine's answer for the command behind the key. Keys that ask nothing of the release
/// (moving, filtering, help) are never refused.
pub fn refused_now(ctx: &Ctx, action: Action) -> Option<String> {
    let r = ctx.release;
    let command = match action {
        Action::Advance => Command::Advance { from: r.stage() },
        Action::PauseResume if r.phase() == PhaseName::Paused => Command::Resume,
        Action::PauseResume => Command::Pause,
        Action::Abort => Command::Abort,
        _ => return None,
    };
    r.refusal(&command)
}

/// Every footer binding, as the table words it.
pub fn hints(theme: &Theme, width: usize) -> Line<'static> {
    let all: Vec<Shown> = footer_hints().map(|b| (b, None)).collect();
    fitted(theme, width, &all)
}

/// The hints line that fits `width`, most verbose first.
fn fitted(theme: &Theme, width: usize, shown: &[Shown]) -> Line<'static> {
    for level in 0..3 {
        let line = hints_at(theme, level, shown);
        if line.width() <= width {
            return line;
        }
    }
    hints_at(theme, 2, shown)
}

fn hints_at(theme: &Theme, level: u8, shown: &[Shown]) -> Line<'static> {
    let mut spans = Vec::with_capacity(24);
    spans.push(Span::raw(" "));
    for (i, (b, relabel)) in shown.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("  ", theme.muted));
        }
        let keys = if level == 0 { b.keys } else { first_key(b.keys) };
        let (key_style, label_style) = if b.action == Action::Rollback {
            (theme.alarm, theme.danger)
        } else {
            (theme.key, theme.muted)
        };
        spans.push(Span::styled(keys, key_style));
        if level < 2 || b.action == Action::Rollback {
            spans.push(Span::styled(" ", label_style));
            spans.push(Span::styled(relabel.unwrap_or(label(b, level > 0)), label_style));
        }
    }
    Line::from(spans)
}

/// The footer while a text field has the focus: its own keys, then the one action key
/// that still works there (Ctrl-R rolls back; letters are text).
fn typing(theme: &Theme, keys: &[(&'static str, &'static str)], after_rollback: &'static str) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (key, what) in keys {
        spans.push(Span::styled(*key, theme.key));
        spans.push(Span::styled(format!(" {what}  "), theme.muted));
    }
    spans.push(Span::styled("Ctrl-R", theme.alarm));
    spans.push(Span::styled(" ROLL BACK", theme.danger));
    if !after_rollback.is_empty() {
        spans.push(Span::styled(format!(" ({after_rollback})"), theme.muted));
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn fits_80_columns_with_every_footer_key() {
        let theme = Theme::mono();
        let line = hints(&theme, 80);
        assert!(line.width() <= 80, "{}", text(&line));
        let shown = text(&line);
        for b in footer_hints() {
            assert!(shown.contains(first_key(b.keys)), "{} missing from {shown}", b.keys);
            assert!(
                shown.contains(label(b, true)),
                "{} missing from {shown}",
                label(b, true)
            );
        }
    }

    #[test]
    fn wide_footer_shows_full_key_names() {
        let line = hints(&Theme::mono(), 160);
        let shown = text(&line);
        assert!(
            shown.contains("Enter/Space select") && shown.contains("n next stage"),
            "{shown}"
        );
    }

    #[test]
    fn first_key_of_a_binding() {
        assert_eq!(first_key("Enter/Space"), "Enter");
        assert_eq!(first_key("Tab/S-Tab"), "Tab");
        assert_eq!(first_key("/"), "/");
        assert_eq!(first_key("←/→ h/l"), "←");
        assert_eq!(first_key("?"), "?");
    }
}
