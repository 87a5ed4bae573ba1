//! The word wrap of dialogs and notices. Not ratatui's `Wrap`: here a break drops exactly the
//! one space it breaks at, a word wider than the line is split, and the caller gets the
//! lines, so a dialog can size itself to them before drawing.

use super::text::width;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_words_and_long_words() {
        assert_eq!(wrap("one two three", 7), vec!["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), vec!["a", "b"]);
    }
}
