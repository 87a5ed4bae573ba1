//! Human durations as plans write them: `90s`, `15m`, `2h`, `1d`, or a sum like `1h30m`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative span of time with one-second resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(u64);

impl Span {
    pub const ZERO: Span = Span(0);

    pub const fn secs(secs: u64) -> Self {
        Span(secs)
    }

    pub const fn minutes(m: u64) -> Self {
        Span(m * 60)
    }

    pub const fn hours(h: u64) -> Self {
        Span(h * 3600)
    }

    pub const fn as_secs(self) -> u64 {
        self.0
    }

    pub fn to_chrono(self) -> chrono::Duration {
        chrono::Duration::seconds(self.0 as i64)
    }

    /// Parses `90s`, `15m`, `2h`, `1d`, `1h30m`. A bare `0` is allowed.
    pub fn parse(text: &str) -> Result<Span, String> {
        let text = text.trim();
        if text == "0" {
            return Ok(Span(0));
        }
        let expected = "expected a duration such as 90s, 15m, 2h or 1h30m";
        if text.is_empty() {
            return Err(format!("empty duration: {expected}"));
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit = match c {
                's' => 1,
                'm' => 60,
                'h' => 3600,
                'd' => 86_400,
                _ => return Err(format!("invalid duration {text:?}: {expected}")),
            };
            if digits.is_empty() {
                return Err(format!("invalid duration {text:?}: {expected}"));
            }
            let n: u64 = digits.parse().map_err(|_| format!("duration {text:?} is too large"))?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(|| format!("duration {text:?} is too large"))?;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(format!("duration {text:?} has no unit: {expected} (s, m, h or d)"));
        }
        if total > 366 * 86_400 {
            return Err(format!("duration {text:?} is longer than a year"));
        }
        Ok(Span(total))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s == 0 {
            return write!(f, "0s");
        }
        let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
        let mut out = String::new();
        for (n, u) in [(d, 'd'), (h, 'h'), (m, 'm'), (sec, 's')] {
            if n > 0 {
                out.push_str(&format!("{n}{u}"));
            }
        }
        f.write_str(&out)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Accept only strings (and a literal 0): a bare number is ambiguous (seconds? minutes?).
        let value = serde_yaml::Value::deserialize(d)?;
        match value {
            serde_yaml::Value::String(s) => Span::parse(&s).map_err(serde::de::Error::custom),
            serde_yaml::Value::Number(n) if n.as_u64() == Some(0) => Ok(Span(0)),
            serde_yaml::Value::Number(n) => Err(serde::de::Error::custom(format!(
                "duration {n} has no unit: write it as {n}s, {n}m or {n}h"
            ))),
            other => Err(serde::de::Error::custom(format!(
                "expected a duration such as 90s, 15m or 2h, found {}",
                describe_yaml(&other)
            ))),
        }
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A short description of a YAML value for error messages ("a list", "the number 3").
fn describe_yaml(value: &serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match value {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the text {s:?}"),
        Value::Sequence(_) => "a list".into(),
        Value::Mapping(_) => "a mapping".into(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sums() {
        assert_eq!(Span::parse("90s"), Ok(Span(90)));
        assert_eq!(Span::parse("15m"), Ok(Span(900)));
        assert_eq!(Span::parse("2h"), Ok(Span(7200)));
        assert_eq!(Span::parse("1h30m"), Ok(Span(5400)));
        assert_eq!(Span::parse("1d"), Ok(Span(86_400)));
        assert_eq!(Span::parse("0"), Ok(Span(0)));
    }

    #[test]
    fn rejects_bad_text_with_a_reason() {
        assert!(Span::parse("15").unwrap_err().contains("no unit"));
        assert!(Span::parse("m5").unwrap_err().contains("expected a duration"));
        assert!(Span::parse("5 minutes").is_err());
        assert!(Span::parse("99999999999999999999s").unwrap_err().contains("too large"));
        assert!(Span::parse("400d").unwrap_err().contains("year"));
    }

    #[test]
    fn displays_compactly() {
        assert_eq!(Span(5400).to_string(), "1h30m");
        assert_eq!(Span(0).to_string(), "0s");
        assert_eq!(Span(61).to_string(), "1m1s");
    }
}
