//! Who is at the keyboard: $USER, and the SSH client address when there is one. Both come
//! from the environment, so both are made plain text on one line, of a sensible length,
//! before they reach a log line, the journal or the screen.

use crate::engine::Actor;
use crate::outside::one_line;

/// A user name or an address longer than this is not one.
const MOST_CHARS: usize = 64;

pub fn from_env() -> Actor {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .map(|n| one_line(&n, MOST_CHARS))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "unknown-user".into());
    let origin = std::env::var("SSH_CLIENT")
        .ok()
        .or_else(|| std::env::var("SSH_CONNECTION").ok())
        .and_then(|v| v.split_whitespace().next().map(|addr| one_line(addr, MOST_CHARS)))
        .map(|addr| format!("ssh {addr}"));
    Actor::person(name, origin)
}
