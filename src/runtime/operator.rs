//! Who is at the keyboard: $USER, and the SSH client address when there is one.

use crate::engine::Actor;

pub fn from_env() -> Actor {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "unknown-user".into());
    let origin = std::env::var("SSH_CLIENT")
        .ok()
        .or_else(|| std::env::var("SSH_CONNECTION").ok())
        .and_then(|v| v.split_whitespace().next().map(str::to_string))
        .map(|addr| format!("ssh {addr}"));
    Actor::person(name, origin)
}
