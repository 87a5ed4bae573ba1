//! The word wrap of dialogs and notices. Not ratatui's `Wrap`: here a break drops exactly the
//! one space it breaks at, a word wider than the line is split, and the caller gets the
//! lines, so a dialog can size itself to them before drawing.

use ratatui::text::{Line, Span};

use super::text::{fit, width};

/// Greedy word wrap to `max` cells; words longer than a line are split.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in para.split(' ') {
            let mut word = word.to_string();
            loop {
                let w = width(&word);
                let gap = usize::from(used > 0);
                if used + gap + w <= max {
                    if gap == 1 {
                        line.push(' ');
                    }
                    line.push_str(&word);
                    used += gap + w;
                    break;
                }
                if used > 0 {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                    continue;
                }
                // A single word wider than the line: split it.
                let head: String = word.chars().take(max).collect();
                let rest: String = word.chars().skip(max).collect();
                lines.push(head);
                word = rest;
                if word.is_empty() {
                    break;
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// A styled line in at most `rows` rows of `max` cells: whole spans move to the next row
/// when they do not fit, a span wider than a row breaks at spaces in its own style, rows
/// after the first are indented, and what is left after the last row ends with an
/// ellipsis. The line's own style (a loud line's fill) goes with every row.
pub fn wrap_line(line: Line<'static>, max: usize, rows: usize) -> Vec<Line<'static>> {
    let max = max.max(1);
    if line.width() <= max || rows <= 1 {
        return vec![line];
    }
    let style = line.style;
    let indent = if max > 12 { "   " } else { "" };
    let new_row = |out: &mut Vec<Line<'static>>| {
        out.push(Line::from(indent).style(style));
        width(indent)
    };
    let mut out: Vec<Line<'static>> = vec![Line::default().style(style)];
    let mut used = 0;
    for span in line.spans {
        let w = span.width();
        if used + w <= max {
            used += w;
            if let Some(row) = out.last_mut() {
                row.push_span(span);
            }
            continue;
        }
        let mut text = span.content.to_string();
        loop {
            // Too little room left on this row for a readable start: begin a new one.
            if used > 0 && (max - used < max / 3 || used == max) {
                used = new_row(&mut out);
                text = text.trim_start().to_string();
            }
            let (head, rest) = split_to_fit(&text, max - used);
            used += width(head);
            let rest = rest.trim_start().to_string();
            if let Some(row) = out.last_mut() {
                row.push_span(Span::styled(head.to_string(), span.style));
            }
            if rest.is_empty() {
                break;
            }
            used = new_row(&mut out);
            text = rest;
        }
    }
    if out.len() > rows {
        let tail: String = out[rows - 1..]
            .iter()
            .flat_map(|l| l.spans.iter().map(|s| s.content.to_string()))
            .collect::<Vec<_>>()
            .join(" ");
        let span_style = out[rows - 1].spans.last().map_or(style, |s| s.style);
        out.truncate(rows - 1);
        let tail = fit(tail.trim_end(), max).into_owned();
        out.push(Line::from(Span::styled(tail, span_style)).style(style));
    }
    out
}

/// The longest start of `text` that fits `room` cells, broken after a space when there is
/// one, and the rest. Never empty when `text` is not: a word wider than `room` is split.
fn split_to_fit(text: &str, room: usize) -> (&str, &str) {
    let room = room.max(1);
    if width(text) <= room {
        return (text, "");
    }
    let mut cells = 0;
    let mut last_space = None;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if cells + w > room {
            break;
        }
        cells += w;
        end = i + c.len_utf8();
        if c == ' ' && i > 0 {
            last_space = Some(i);
        }
    }
    let cut = last_space
        .unwrap_or(end)
        .max(text.chars().next().map_or(0, char::len_utf8));
    text.split_at(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_styled_line_wraps_to_its_rows_and_no_further() {
        let line = Line::from(vec![
            Span::raw(" ↺ ROLLED BACK: canary judge failed the interval (score 0): critical metric errors"),
            Span::raw(" → 2.13.4 serves all traffic"),
        ]);
        let rows = wrap_line(line, 60, 2);
        assert_eq!(rows.len(), 2);
        let text: Vec<String> = rows.iter().map(|l| l.to_string()).collect();
        assert!(rows.iter().all(|l| l.width() <= 60), "{text:?}");
        let joined = text.join(" ");
        assert!(joined.contains("critical metric errors"), "{joined}");
        assert!(joined.contains("serves all traffic"), "{joined}");
        let short = wrap_line(Line::raw("fits"), 60, 2);
        assert_eq!(short.len(), 1);
        let cut = wrap_line(Line::raw("word ".repeat(40)), 20, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].to_string().ends_with('…'), "{:?}", cut[1].to_string());
    }

    #[test]
    fn wrap_words_and_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }
}
