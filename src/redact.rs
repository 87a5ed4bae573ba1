//! Secrets out of every message. A text from outside (a body, a header, an error) is
//! scrubbed of every configured secret before anything else is done to it: in each form a
//! server may echo it (as sent, URL-encoded, JSON-escaped), and of any run of
//! `WINDOW` or more of its characters, so a secret cut in half, or echoed in part, leaks no
//! more than a few characters either.

use std::collections::HashSet;

/// What a secret is replaced by.
pub const REDACTED: &str = "[redacted]";

/// Runs of this many characters of a secret are scrubbed wherever they appear.
const WINDOW: usize = 8;

/// The secrets of one source, in every form they are looked for.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every form of every secret shorter than `WINDOW`: scrubbed where it appears whole.
    short: Vec<String>,
    /// Every `WINDOW`-character run of every longer form.
    windows: HashSet<String>,
    /// The longest form, in characters.
    longest: usize,
}

impl Redactor {
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Redactor {
        let mut redactor = Redactor::default();
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.is_empty() {
                continue;
            }
            for form in forms(secret) {
                let chars: Vec<char> = form.chars().collect();
                redactor.longest = redactor.longest.max(chars.len());
                if chars.len() < WINDOW {
                    if !redactor.short.contains(&form) {
                        redactor.short.push(form);
                    }
                    continue;
                }
                for run in chars.windows(WINDOW) {
                    redactor.windows.insert(run.iter().collect());
                }
            }
        }
        redactor
    }

    pub fn is_empty(&self) -> bool {
        self.short.is_empty() && self.windows.is_empty()
    }

    /// The longest form of a secret, in characters: a text cut this far beyond the part
    /// that is kept holds every secret that reaches into the kept part.
    pub fn reach(&self) -> usize {
        self.longest
    }

    /// `text` with every secret, and every run of `WINDOW` characters of one, replaced by
    /// `[redacted]` (overlapping finds merge into one).
    pub fn scrub(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let mut hidden = vec![false; chars.len()];
        let byte_at = |i: usize| chars.get(i).map_or(text.len(), |c| c.0);
        if !self.windows.is_empty() {
            for start in 0..chars.len().saturating_sub(WINDOW - 1) {
                if self.windows.contains(&text[byte_at(start)..byte_at(start + WINDOW)]) {
                    hidden[start..start + WINDOW].fill(true);
                }
            }
        }
        for form in &self.short {
            for (at, _) in text.match_indices(form.as_str()) {
                let first = chars.partition_point(|c| c.0 < at);
                let last = chars.partition_point(|c| c.0 < at + form.len());
                hidden[first..last].fill(true);
            }
        }
        let mut out = String::with_capacity(text.len());
        let mut in_secret = false;
        for (k, (_, c)) in chars.iter().enumerate() {
            match (hidden[k], in_secret) {
                (true, false) => out.push_str(REDACTED),
                (false, _) => out.push(*c),
                (true, true) => {}
            }
            in_secret = hidden[k];
        }
        out
    }
}

/// The forms a server may echo `secret` in.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    let mut add = |form: String| {
        if !forms.contains(&form) {
            forms.push(form);
        }
    };
    for (plus_for_space, lower_hex) in [(false, false), (true, false), (false, true), (true, true)] {
        add(percent_encoded(secret, plus_for_space, lower_hex));
    }
    if let Ok(json) = serde_json::to_string(secret) {
        add(json[1..json.len() - 1].to_string());
    }
    forms
}

/// Every byte outside RFC 3986's unreserved set as `%XX` (or `%xx`), a space as `+` in a
/// form's encoding.
fn percent_encoded(text: &str, plus_for_space: bool, lower_hex: bool) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            b' ' if plus_for_space => out.push('+'),
            _ if lower_hex => out.push_str(&format!("%{b:02x}")),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tkn_S3CR3T_abc\tdef  ghijklmnopqrstuvwxyz/0+12345";

    /// Whether `text` shows `WINDOW` consecutive characters of `secret`.
    fn leaks(text: &str, secret: &str) -> bool {
        let secret: Vec<char> = secret.chars().collect();
        secret
            .windows(WINDOW)
            .any(|run| text.contains(&run.iter().collect::<String>()))
    }

    #[test]
    fn every_form_and_every_part_of_a_secret_is_scrubbed() {
        let r = Redactor::new([TOKEN]);
        for form in forms(TOKEN) {
            let text = format!("echo: {form} :end");
            let out = r.scrub(&text);
            assert_eq!(out, format!("echo: {REDACTED} :end"), "{form:?}");
            for form in forms(TOKEN) {
                assert!(!leaks(&out, &form));
            }
        }
        // Cut anywhere, what is left of it is scrubbed down to fewer than WINDOW characters.
        let chars: Vec<char> = TOKEN.chars().collect();
        for cut in 0..=chars.len() {
            let head: String = chars[..cut].iter().collect();
            let tail: String = chars[cut..].iter().collect();
            for text in [format!("x{head}"), format!("{tail}x")] {
                let out = r.scrub(&text);
                assert!(!leaks(&out, TOKEN), "cut at {cut}: {out:?}");
            }
        }
    }

    #[test]
    fn text_without_secrets_is_unchanged() {
        let r = Redactor::new([TOKEN]);
        let text = "error: HTTP 500: ünïcode and a short tkn_S3 piece";
        assert_eq!(r.scrub(text), text);
        assert_eq!(Redactor::new(Vec::<String>::new()).scrub(text), text);
    }

    #[test]
    fn a_short_secret_is_scrubbed_whole() {
        let r = Redactor::new(["hunter2"]);
        assert_eq!(
            r.scrub("pw=hunter2, again hunter2!"),
            "pw=[redacted], again [redacted]!"
        );
        assert_eq!(r.scrub("hunter"), "hunter");
    }
}
