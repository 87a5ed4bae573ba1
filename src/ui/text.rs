//! Text measured in terminal cells: the width of a string, and strings cut or padded to a
//! column with an ellipsis where they are cut (ratatui truncates without saying so).

use std::borrow::Cow;

use ratatui::text::Span;

/// Display width of a string in cells.
pub fn width(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` cut to `max` cells, with an ellipsis when cut.
pub fn fit(text: &str, max: usize) -> Cow<'_, str> {
    // A string is never wider than its length in bytes.
    if text.len() <= max || width(text) <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::with_capacity(max + 3);
    let mut used = 0;
    for c in text.chars() {
        let mut tmp = [0u8; 4];
        let w = width(c.encode_utf8(&mut tmp));
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// `text` padded with spaces (or cut) to exactly `cells` cells.
pub fn pad(text: &str, cells: usize) -> String {
    let cut = fit(text, cells);
    let w = width(&cut);
    let mut out = cut.into_owned();
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_and_pad() {
        assert_eq!(fit("hello", 5), "hello");
        assert_eq!(fit("hello world", 6), "hello…");
        assert_eq!(fit("abc", 0), "");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("abcdef", 4), "abc…");
    }
}
