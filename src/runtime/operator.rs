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
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(os_account);
    let name = one_line(&name, MOST_CHARS);
    let origin = std::env::var("SSH_CLIENT")
        .ok()
        .or_else(|| std::env::var("SSH_CONNECTION").ok())
        .and_then(|v| v.split_whitespace().next().map(|addr| one_line(addr, MOST_CHARS)))
        .map(|addr| format!("ssh {addr}"));
    Actor::person(name, origin)
}

/// The OS account the process runs as, when the environment does not say (cron, CI,
/// `env -i`): its name from /etc/passwd, else `uid N`.
fn os_account() -> String {
    use std::os::unix::fs::MetadataExt;
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "unknown-user".into();
    };
    let passwd = crate::files::read_text(std::path::Path::new("/etc/passwd"), 4 << 20).unwrap_or_default();
    account_named(&passwd, uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The name of account `uid` in a passwd file's text.
fn account_named(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_comes_from_the_passwd_file_by_uid() {
        let passwd = "root:x:0:0:root:/root:/bin/bash\nana:x:1000:1000:Ana:/home/ana:/bin/sh\n";
        assert_eq!(account_named(passwd, 1000).as_deref(), Some("ana"));
        assert_eq!(account_named(passwd, 0).as_deref(), Some("root"));
        assert_eq!(account_named(passwd, 7), None);
        assert!(!os_account().is_empty());
    }
}
