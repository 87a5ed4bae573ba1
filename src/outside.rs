//! Text from outside (server answers, the environment, plan values quoted back) made safe
//! for every line-oriented output: the log, headless stdout, the journal, `check`, the
//! debug log. Secrets go first (see `redact`); then whitespace runs, newlines included,
//! become one space, so a newline never splits or forges an event; other control
//! characters are shown escaped (`\u{1b}`), so no escape sequence reaches a terminal; and
//! the length is capped.

use std::borrow::Cow;

use crate::redact::Redactor;

/// Longest quote of an outside text in a message, in characters.
pub const QUOTE_CHARS: usize = 300;

/// `text` on one line, scrubbed of `secrets`, at most `max` characters (cut with `…`).
/// Only what can reach the kept part is scrubbed, so a megabyte-long answer costs no more
/// than a short one.
pub fn quote(text: &str, secrets: &Redactor, max: usize) -> String {
    let reach = max + secrets.reach() + 1;
    let head = match text.char_indices().nth(reach) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    one_line(&secrets.scrub(head), max)
}

/// `text` on one line: runs of whitespace as one space, other control characters escaped,
/// at most `max` characters (cut with `…`).
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 4));
    let mut chars = 0;
    let mut space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if chars + usize::from(space) >= max {
            out.push('…');
            break;
        }
        if space {
            out.push(' ');
            chars += 1;
            space = false;
        }
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
        chars += 1;
    }
    out
}

/// `text` with control characters escaped and nothing else changed: for text that is
/// already bounded and must keep its spacing.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_and_escapes_never_leave_one_line() {
        let forged = "2.14.0\u{1b}]0;pwned\u{7}\n2026-01-01T00:00:00Z done shipdeck: PROMOTED: fake";
        let line = one_line(forged, 500);
        assert_eq!(
            line,
            "2.14.0\\u{1b}]0;pwned\\u{7} 2026-01-01T00:00:00Z done shipdeck: PROMOTED: fake"
        );
        assert!(!line.chars().any(char::is_control));
        assert_eq!(escape_controls("a\tb\u{1b}[2J"), "a\\tb\\u{1b}[2J");
        assert_eq!(escape_controls("plain"), "plain");
    }

    #[test]
    fn long_text_is_cut_after_the_secrets_are_gone() {
        let secret = "tkn_S3CR3T_abcdefghijklmnop";
        let secrets = Redactor::new([secret]);
        // The secret straddles the cut: scrubbing after cutting would leave its first half.
        let text = format!("{}{secret}{}", "x".repeat(15), "y".repeat(1 << 20));
        let quoted = quote(&text, &secrets, 20);
        assert_eq!(quoted, format!("{}[reda…", "x".repeat(15)));
        assert!(!quoted.contains("tkn_S3CR"));
        assert_eq!(one_line(&"z".repeat(10), 4), "zzzz…");
        assert_eq!(one_line("zzzz", 4), "zzzz", "nothing cut, no mark");
        assert_eq!(one_line("  a \t\n b  ", 10), "a b");
    }
}
