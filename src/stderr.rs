//! Lines for the person at the terminal, on standard error. A closed stderr (`2>&1 | head`,
//! a CI runner gone) must never turn a clean stop into a panic, as `eprintln!` would: a
//! line that cannot be written is dropped, and the journal still holds the record.

use std::fmt::Display;
use std::io::Write;

pub fn say(line: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
