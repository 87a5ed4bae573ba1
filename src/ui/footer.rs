//! The footer: the most used keys, straight from the key table (`keys::footer_hints`), so
//! the footer and the keys cannot drift. It degrades to fit: full key names and labels
//! when there is room, the first key name of each binding at 80 columns, keys alone last.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use super::draw::Ctx;
use super::keys::{Action, Binding, first_key, footer_hints};
use super::theme::Theme;

pub fn render(ctx: &Ctx, area: Rect, buf: &mut Buffer) {
    let area = area.intersection(buf.area);
    if area.is_empty() {
        return;
    }
    hints(ctx.theme, area.width as usize).render(area, buf);
}

/// The footer's words for a binding, from the key table; `tight` gives the shortest form.
pub fn label(binding: &Binding, tight: bool) -> &'static str {
    binding
        .footer
        .map_or(binding.help, |h| if tight { h.tight } else { h.wide })
}

/// The hints line that fits `width`, most verbose first.
pub fn hints(theme: &Theme, width: usize) -> Line<'static> {
    for level in 0..3 {
        let line = hints_at(theme, level);
        if line.width() <= width {
            return line;
        }
    }
    hints_at(theme, 2)
}

fn hints_at(theme: &Theme, level: u8) -> Line<'static> {
    let mut spans = Vec::with_capacity(24);
    spans.push(Span::raw(" "));
    for (i, b) in footer_hints().enumerate() {
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
            spans.push(Span::styled(label(b, level > 0), label_style));
        }
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
