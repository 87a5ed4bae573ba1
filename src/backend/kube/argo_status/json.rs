//! Reading JSON that may hold anything: each reader answers absent (or zero) for a missing
//! field or one of the wrong type, never a panic.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// A non-empty string at `pointer`.
pub(super) fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A whole number at `pointer`, written as a number or (observedGeneration) a string.
pub(super) fn number(value: &Value, pointer: &str) -> Option<u64> {
    value.pointer(pointer).and_then(whole)
}

pub(super) fn whole(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A count; Kubernetes leaves zero counts out.
pub(super) fn count(value: &Value, pointer: &str) -> u32 {
    number(value, pointer).map_or(0, saturate)
}

pub(super) fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(super) fn percent(n: u64) -> u8 {
    n.min(100) as u8
}

pub(super) fn flag(value: &Value, pointer: &str) -> bool {
    value.pointer(pointer).and_then(Value::as_bool) == Some(true)
}

pub(super) fn list<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(super) fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}
