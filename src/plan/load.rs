//! Reading a plan file without trusting it: bounded reads, text and shape checks before
//! serde sees it, serde's errors rewritten as `file:line:col: what is wrong`, then the
//! semantic checks in `validate`.

use std::fmt;
use std::path::Path;

use super::locate::{Locations, Pos, Stop};
use super::schema::{Plan, PlanFile, ValidPlan};
use super::shape::{SEE_EXAMPLE, Shape, too_deep};
use super::validate;
use crate::files::{self, ReadError};
use crate::outside::escape_controls;

/// Plans are a few kilobytes; anything this large is a wrong file, not a plan.
pub const MAX_PLAN_BYTES: u64 = 1 << 20;

/// One problem in a plan, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl PlanError {
    pub fn new(origin: &str, pos: Pos, message: impl Into<String>) -> PlanError {
        // A message quotes what the plan holds; it must not carry a control character
        // (an escape sequence, a newline) to the terminal or split the line.
        PlanError {
            origin: escape_controls(origin).into_owned(),
            line: pos.line,
            column: pos.column,
            message: escape_controls(&shorten_quotes(&message.into())).into_owned(),
        }
    }
}

/// Messages quote the offending text; a megabyte of it would bury the message.
fn shorten_quotes(message: &str) -> String {
    const KEEP: usize = 60;
    let mut out = String::with_capacity(message.len().min(1024));
    let mut quote: Option<(char, usize)> = None;
    for c in message.chars() {
        match quote {
            Some((open, _)) if c == open => quote = None,
            Some((_, ref mut len)) => {
                *len += 1;
                if *len > KEEP {
                    if *len == KEEP + 1 {
                        out.push('…');
                    }
                    continue;
                }
            }
            None if c == '`' || c == '"' => quote = Some((c, 0)),
            None => {}
        }
        out.push(c);
    }
    out
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.origin, self.line, self.column, self.message)
    }
}

impl std::error::Error for PlanError {}

/// A valid plan, and what its check advises about it.
#[derive(Debug)]
pub struct Checked {
    pub plan: ValidPlan,
    /// Located lines starting `warning:`; the plan is valid whatever they say.
    pub warnings: Vec<PlanError>,
}

/// Reads, parses and validates the plan at `path`.
pub fn load(path: &Path) -> Result<ValidPlan, Vec<PlanError>> {
    load_checked(path).map(|checked| checked.plan)
}

/// Parses and validates plan text; `origin` names it in errors (usually the file path).
pub fn parse(text: &str, origin: &str) -> Result<ValidPlan, Vec<PlanError>> {
    parse_checked(text, origin).map(|checked| checked.plan)
}

/// [`load`], with the check's warnings.
pub fn load_checked(path: &Path) -> Result<Checked, Vec<PlanError>> {
    let origin = path.display().to_string();
    let text = read_plan_file(path).map_err(|(pos, message)| vec![PlanError::new(&origin, pos, message)])?;
    parse_checked(&text, &origin)
}

/// [`parse`], with the check's warnings.
pub fn parse_checked(text: &str, origin: &str) -> Result<Checked, Vec<PlanError>> {
    let one = |(pos, message): (Pos, String)| vec![PlanError::new(origin, pos, message)];
    if text.len() as u64 > MAX_PLAN_BYTES {
        return Err(one((Pos::START, too_large(text.len() as u64))));
    }
    // Editors on Windows may write a byte-order mark; YAML parsers would read it as text.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    check_characters(text).map_err(one)?;
    // Two passes: yaml-rust2 for the positions and the shape (it stops at 255 levels of
    // flow nesting, where libyaml would spend quadratic time on a deep `[[[[...`, and the
    // shape check bounds depth and alias expansion for serde), then serde for the values.
    // Syntax errors come from the first, so they come before type errors.
    let mut shape = Shape::default();
    let locations = Locations::index_checked(text, |event, pos| shape.see(event, pos)).map_err(|stop| {
        one(match stop {
            Stop::Refused(pos, message) => (pos, message),
            Stop::Syntax(e) => {
                let pos = Pos::of(e.marker());
                if e.info() == "recursion limit exceeded" {
                    (pos, too_deep())
                } else {
                    libyaml_syntax_error(text, pos.line).unwrap_or_else(|| (pos, syntax_message(text, pos, e.info())))
                }
            }
        })
    })?;
    let file: PlanFile = serde_yaml::from_str(text).map_err(|e| one(explain(&e, text, false)))?;
    let validate::Findings {
        mut errors,
        mut warnings,
    } = validate::check(&file, &locations, origin);
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.line, e.column));
        return Err(errors);
    }
    // The checks above report a router or a source without its settings where it is
    // written; the typing refuses it again here, so no path can type it as the simulator.
    let plan =
        Plan::from_file(file).map_err(|(path, message)| vec![PlanError::new(origin, locations.at(path), message)])?;
    warnings.sort_by_key(|e| (e.line, e.column));
    Ok(Checked {
        plan: ValidPlan::new(plan),
        warnings,
    })
}

fn too_large(bytes: u64) -> String {
    format!(
        "file is {} bytes, larger than the 1 MiB a plan may be; is this the right file?",
        bytes
    )
}

/// Reads at most `MAX_PLAN_BYTES` of a regular file as UTF-8 text.
fn read_plan_file(path: &Path) -> Result<String, (Pos, String)> {
    let fail = |message: String| (Pos::START, message);
    let bytes = files::read_bytes(path, MAX_PLAN_BYTES).map_err(|e| match e {
        ReadError::NotFound => fail(format!("no such file; expected a plan file ({SEE_EXAMPLE})")),
        ReadError::PermissionDenied => fail("cannot read the file: permission denied".into()),
        ReadError::Directory => fail("is a directory, expected a plan file".into()),
        ReadError::NotRegular => fail("is not a regular file (a device, pipe or socket?), expected a plan file".into()),
        ReadError::TooLarge { bytes, .. } => fail(too_large(bytes)),
        other => fail(format!("cannot read the file: {other}")),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // A binary file usually shows a control byte before its first invalid UTF-8.
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        check_characters(valid).err().unwrap_or_else(|| {
            (
                pos_of_offset(bytes, at),
                format!(
                    "not UTF-8 text (byte 0x{:02X} here): a plan must be a UTF-8 YAML file",
                    bytes[at]
                ),
            )
        })
    })
}

/// Line and column of byte `offset`, counting characters of the valid UTF-8 before it.
fn pos_of_offset(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Pos { line, column }
}

/// Rejects binary data and control characters, which YAML forbids, with their position.
fn check_characters(text: &str) -> Result<(), (Pos, String)> {
    let Some((offset, c)) = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    else {
        return Ok(());
    };
    let pos = pos_of_offset(text.as_bytes(), offset);
    let message = format!(
        "binary data (control character U+{:04X} here): expected a YAML plan, which is text",
        c as u32
    );
    Err((pos, message))
}

/// Turns a serde_yaml error into a position and a message without its trailing location.
fn explain(e: &serde_yaml::Error, text: &str, syntax: bool) -> (Pos, String) {
    let mut pos = e.location().map(|l| Pos {
        line: l.line(),
        column: l.column(),
    });
    let mut raw = e.to_string();
    // libyaml sometimes only knows a byte offset.
    const AT_OFFSET: &str = " at position ";
    if let Some(at) = raw.rfind(AT_OFFSET)
        && let Ok(offset) = raw[at + AT_OFFSET.len()..].parse::<usize>()
    {
        if pos.is_none_or(|p| p == Pos::START) {
            pos = Some(pos_of_offset(text.as_bytes(), offset));
        }
        raw.truncate(at);
    }
    let pos = pos.unwrap_or(Pos::START);
    let message = strip_marks(&raw, pos);
    if syntax {
        return (pos, syntax_message(text, pos, &message));
    }
    // serde prefixes the YAML path (`stages[2].weight: `); keep it, reword the rest.
    let (path, rest) = match message.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(char::is_whitespace) => (Some(path), rest),
        _ => (None, message.as_str()),
    };
    let rest = reword(rest);
    let message = match path {
        Some(path) => format!("{}: {rest}", counted_from_one(path)),
        None => rest,
    };
    (pos, message)
}

/// A YAML path as the rest of `check` counts: list items from 1, as in "gate 3", so
/// `stages[5].hold` reads `stages #6.hold` rather than naming the sixth stage 5.
fn counted_from_one(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    let mut rest = path;
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find(']').map(|c| open + c) else {
            break;
        };
        out.push_str(&rest[..open]);
        match rest[open + 1..close].parse::<usize>() {
            Ok(index) => out.push_str(&format!(" #{}", index + 1)),
            Err(_) => out.push_str(&rest[open..=close]),
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// libyaml's account of a syntax error yaml-rust2 found on `line`: it names the construct
/// being parsed and where it started. Only the text up to that line is given to it, whose
/// nesting the shape check has already bounded (deep flow nesting makes libyaml quadratic).
fn libyaml_syntax_error(text: &str, line: usize) -> Option<(Pos, String)> {
    let end = text
        .match_indices('\n')
        .nth(line.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i + 1);
    let e = serde_yaml::from_str::<serde::de::IgnoredAny>(&text[..end]).err()?;
    let (pos, message) = explain(&e, text, true);
    // An error past the cut, or at its end, is about the cut, not the file.
    let about_the_cut = message.contains("end of stream") || message.contains("end of file");
    (pos.line <= line && !about_the_cut).then_some((pos, message))
}

/// A YAML syntax problem at `pos`, in the parser's words unless a tab explains it better.
fn syntax_message(text: &str, pos: Pos, words: &str) -> String {
    let at_tab = text
        .lines()
        .nth(pos.line.saturating_sub(1))
        .and_then(|line| line.chars().nth(pos.column.saturating_sub(1)))
        == Some('\t');
    if at_tab {
        "invalid YAML: a tab here: YAML indents with spaces only".into()
    } else {
        format!("invalid YAML: {words}")
    }
}

/// Removes " at line L column C" where it repeats `pos`; writes other marks as `L:C`.
fn strip_marks(raw: &str, pos: Pos) -> String {
    const MARK: &str = " at line ";
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find(MARK) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MARK.len()..];
        let parsed = after.split_once(" column ").and_then(|(line, tail)| {
            let digits = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
            let line = line.parse::<usize>().ok()?;
            let column = tail[..digits].parse::<usize>().ok()?;
            Some((Pos { line, column }, &tail[digits..]))
        });
        match parsed {
            Some((mark, tail)) => {
                if mark != pos {
                    out.push_str(&format!(" at {}:{}", mark.line, mark.column));
                }
                rest = tail;
            }
            None => {
                out.push_str(MARK);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// serde's vocabulary in plan words, with a suggestion for misspelt keys and values.
fn reword(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.rsplit_once(", expected ")
    {
        // `- Rollback plan: reviewed` is a mapping to YAML; the fix is quoting.
        let hint = if expected == "a string" && found == "map" {
            " (put text containing \": \" in quotes)"
        } else {
            ""
        };
        return format!(
            "expected {}, found {}{hint}",
            expected_words(expected),
            found_words(found)
        );
    }
    for (from, to) in [
        ("unknown field ", "unknown key "),
        ("unknown variant ", "unknown value "),
    ] {
        if let Some(rest) = message.strip_prefix(from) {
            return format!("{to}{rest}{}", suggestion(rest));
        }
    }
    for (from, to) in [
        ("missing field ", "missing required key "),
        ("duplicate field ", "duplicate key "),
    ] {
        if let Some(rest) = message.strip_prefix(from) {
            return format!("{to}{rest}");
        }
    }
    match message {
        "recursion limit exceeded" => "nesting too deep: a plan needs only a few levels".into(),
        "repetition limit exceeded" => {
            "aliases expand too much (an alias bomb?): use anchors and aliases sparingly".into()
        }
        "EOF while parsing a value" => "unexpected end of file".into(),
        _ => message.to_string(),
    }
}

/// "`wieght`, expected one of `name`, `weight`" -> "; did you mean `weight`?"
fn suggestion(rest: &str) -> String {
    let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    match names.split_first() {
        Some((found, known)) => validate::closest(found, known.iter().copied())
            .map(|best| format!("; did you mean `{best}`?"))
            .unwrap_or_default(),
        None => String::new(),
    }
}

fn found_words(found: &str) -> String {
    let quoted = |prefix: &str| found.strip_prefix(prefix).map(|v| v.trim_matches('`'));
    if let Some(text) = found.strip_prefix("string ") {
        return format!("the text {text}");
    }
    if let Some(n) = quoted("integer ").or_else(|| quoted("floating point ")) {
        // serde_yaml reads integers beyond 64 bits as 128-bit ones, which no setting takes.
        return match n.split_once("` as ") {
            Some((n, _)) => format!("the number {n}, which is far too large"),
            None => format!("the number {n}"),
        };
    }
    if let Some(b) = quoted("boolean ") {
        return format!("the boolean {b}");
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a mapping".into(),
        "unit value" => "nothing (null)".into(),
        "enum" => "a tagged value".into(),
        other => other.to_string(),
    }
}

fn expected_words(expected: &str) -> String {
    if expected.starts_with("struct ") || expected == "a map" {
        return "a mapping of keys".into();
    }
    match expected {
        "a sequence" => "a list".into(),
        "a string" => "text".into(),
        "f32" | "f64" => "a number".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" => "a whole number".into(),
        "a YAML tag starting with '!'" => "a single word (one of the allowed values)".into(),
        "any YAML value" => "a value of this setting's kind".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_the_reported_mark_and_keeps_others_short() {
        let pos = Pos { line: 2, column: 2 };
        assert_eq!(
            strip_marks(
                "did not find expected ',' at line 2 column 2, while parsing a flow sequence at line 1 column 4",
                pos
            ),
            "did not find expected ',', while parsing a flow sequence at 1:4"
        );
        assert_eq!(strip_marks("odd at line x", pos), "odd at line x");
    }

    #[test]
    fn rewords_serde_vocabulary() {
        assert_eq!(
            reword("invalid type: sequence, expected struct ReleaseInfo"),
            "expected a mapping of keys, found a list"
        );
        assert_eq!(
            reword("invalid type: string \"lots\", expected f64"),
            "expected a number, found the text \"lots\""
        );
        assert_eq!(
            reword("unknown variant `minr`, expected one of `hotfix`, `minor`"),
            "unknown value `minr`, expected one of `hotfix`, `minor`; did you mean `minor`?"
        );
        assert_eq!(reword("missing field `name`"), "missing required key `name`");
    }

    #[test]
    fn long_quoted_text_is_cut() {
        let long = "x".repeat(500);
        let short = shorten_quotes(&format!("found the text \"{long}\", expected `a`"));
        assert_eq!(short, format!("found the text \"{}…\", expected `a`", "x".repeat(60)));
    }

    #[test]
    fn offsets_count_characters() {
        assert_eq!(pos_of_offset("ab\ncé\u{7}".as_bytes(), 6), Pos { line: 2, column: 3 });
    }
}
