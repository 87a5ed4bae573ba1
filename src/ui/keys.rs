//! The one key table: input handling, the footer hints and the help overlay all read it,
//! so they cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for. Release actions become engine commands in `app`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Rollback,
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    FocusPane(usize),
    Up,
    Down,
    Left,
    Right,
    Select,
    Advance,
    PauseResume,
    Abort,
    Notes,
    Filter,
    ShowQuery,
    Top,
    Bottom,
    Close,
}

/// One row of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// How the key is written in the footer and help ("R", "Tab", "←/→").
    pub keys: &'static str,
    pub action: Action,
    /// What it does, in a few words.
    pub help: &'static str,
    /// The footer's words (the most used keys only); every binding is in the help overlay.
    pub footer: Option<Hint>,
}

/// A footer label: `wide` when there is room, `tight` at 80 columns.
#[derive(Debug, Clone, Copy)]
pub struct Hint {
    pub wide: &'static str,
    pub tight: &'static str,
}

const fn hint(wide: &'static str, tight: &'static str) -> Option<Hint> {
    Some(Hint { wide, tight })
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "R",
        action: Action::Rollback,
        help: "ROLL BACK now (any screen; Ctrl-R in text fields)",
        footer: hint("ROLL BACK", "ROLL BACK"),
    },
    Binding {
        keys: "n",
        action: Action::Advance,
        help: "next stage (promote to 100% asks first)",
        footer: hint("next stage", "next"),
    },
    Binding {
        keys: "Enter/Space",
        action: Action::Select,
        help: "tick item / sign approval / apply weight",
        footer: hint("select", "select"),
    },
    Binding {
        keys: "←/→ h/l",
        action: Action::Left,
        help: "move the traffic slider (traffic pane)",
        footer: None,
    },
    Binding {
        keys: "p",
        action: Action::PauseResume,
        help: "pause / resume the release",
        footer: hint("pause/resume", "pause"),
    },
    Binding {
        keys: "a",
        action: Action::Abort,
        help: "abort: all traffic to stable (asks first)",
        footer: None,
    },
    Binding {
        keys: "e",
        action: Action::Notes,
        help: "write a note to the log and journal",
        footer: hint("note", "note"),
    },
    Binding {
        keys: "/",
        action: Action::Filter,
        help: "filter the deployment log",
        footer: None,
    },
    Binding {
        keys: "v",
        action: Action::ShowQuery,
        help: "show the query behind a metric",
        footer: None,
    },
    Binding {
        keys: "Tab/S-Tab",
        action: Action::FocusNext,
        help: "next / previous pane",
        footer: hint("pane", "pane"),
    },
    Binding {
        keys: "1-4",
        action: Action::FocusPane(0),
        help: "go to pane: stages, metrics, traffic, log",
        footer: None,
    },
    Binding {
        keys: "↑/↓ j/k",
        action: Action::Up,
        help: "move the selection / scroll the log",
        footer: None,
    },
    Binding {
        keys: "g/G",
        action: Action::Top,
        help: "log: oldest / follow newest",
        footer: None,
    },
    Binding {
        keys: "Esc",
        action: Action::Close,
        help: "close a dialog or filter",
        footer: None,
    },
    Binding {
        keys: "?",
        action: Action::Help,
        help: "this help",
        footer: hint("help", "help"),
    },
    Binding {
        keys: "q",
        action: Action::Quit,
        help: "quit (asks while a release is live)",
        footer: hint("quit", "quit"),
    },
];

/// Maps a key to an action. `typing` is true while a text field has the focus: then only
/// Ctrl-R (rollback), Ctrl-C and Esc are actions; every other key is text.
pub fn action_for(key: KeyEvent, typing: bool) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Char('r') | KeyCode::Char('R') if ctrl => return Some(Action::Rollback),
        KeyCode::Char('c') if ctrl => return Some(Action::Quit),
        KeyCode::Esc => return Some(Action::Close),
        _ => {}
    }
    if typing || ctrl {
        return None;
    }
    Some(match key.code {
        KeyCode::Char('R') => Action::Rollback,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Tab => Action::FocusNext,
        KeyCode::BackTab => Action::FocusPrev,
        KeyCode::Char(c @ '1'..='4') => Action::FocusPane(c as usize - '1' as usize),
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::Left | KeyCode::Char('h') => Action::Left,
        KeyCode::Right | KeyCode::Char('l') => Action::Right,
        KeyCode::Enter | KeyCode::Char(' ') => Action::Select,
        KeyCode::Char('n') => Action::Advance,
        KeyCode::Char('p') => Action::PauseResume,
        KeyCode::Char('a') => Action::Abort,
        KeyCode::Char('e') => Action::Notes,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('v') => Action::ShowQuery,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        _ => return None,
    })
}

/// The footer's hints, in table order.
pub fn footer_hints() -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(|b| b.footer.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn rollback_works_while_typing_only_with_ctrl() {
        assert_eq!(
            action_for(key(KeyCode::Char('R'), KeyModifiers::SHIFT), false),
            Some(Action::Rollback)
        );
        assert_eq!(action_for(key(KeyCode::Char('R'), KeyModifiers::SHIFT), true), None);
        assert_eq!(
            action_for(key(KeyCode::Char('r'), KeyModifiers::CONTROL), true),
            Some(Action::Rollback)
        );
        assert_eq!(
            action_for(key(KeyCode::Char('r'), KeyModifiers::CONTROL), false),
            Some(Action::Rollback)
        );
    }

    #[test]
    fn lowercase_r_is_not_rollback() {
        assert_eq!(action_for(key(KeyCode::Char('r'), KeyModifiers::NONE), false), None);
    }

    #[test]
    fn every_footer_hint_is_in_the_table() {
        assert!(footer_hints().any(|b| b.action == Action::Rollback));
        assert!(footer_hints().count() <= 8, "the footer must fit at 80 columns");
    }
}
