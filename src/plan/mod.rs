//! Release plans: the YAML a team writes, loaded with located errors and validated.

pub mod duration;
pub mod load;
pub mod locate;
pub mod schema;
pub mod validate;

pub use duration::Span;
pub use load::{Checked, PlanError, load, load_checked, parse, parse_checked};
pub use schema::*;

/// A short description of a YAML value for error messages ("a list", "the number 3").
pub(crate) fn describe_yaml(value: &serde_yaml::Value) -> String {
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
