//! The one key table: input handling, the footer hints and the help overlay all read it,
//! so they cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for. Release actions become engine commands in `app`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(strum::EnumIter))]
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

/// A key and what it does. `ctrl` keys work even while a text field has the focus.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub action: Action,
}

const fn k(code: KeyCode, action: Action) -> Key {
    Key {
        code,
        ctrl: false,
        action,
    }
}

const fn ctrl(c: char, action: Action) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
        action,
    }
}

/// One row of the key table: the keys it binds, how they are written, what they do.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// How the keys are written in the footer and help ("R", "Tab/S-Tab", "←/→ h/l").
    pub keys: &'static str,
    /// The row's main action (for styling and lookups).
    pub action: Action,
    /// Every key the row binds; input handling reads these.
    pub bound: &'static [Key],
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

use Action as A;
use KeyCode as C;

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "R",
        action: A::Rollback,
        bound: &[
            k(C::Char('R'), A::Rollback),
            ctrl('r', A::Rollback),
            ctrl('R', A::Rollback),
        ],
        help: "ROLL BACK now (any screen; Ctrl-R in text fields)",
        footer: hint("ROLL BACK", "ROLL BACK"),
    },
    Binding {
        keys: "n",
        action: A::Advance,
        bound: &[k(C::Char('n'), A::Advance)],
        help: "next stage (promote to 100% asks first)",
        footer: hint("next stage", "next"),
    },
    Binding {
        keys: "Enter/Space",
        action: A::Select,
        bound: &[k(C::Enter, A::Select), k(C::Char(' '), A::Select)],
        help: "tick item / sign approval / apply weight / metric analysis / log line in full",
        footer: hint("select", "select"),
    },
    Binding {
        keys: "←/→ h/l",
        action: A::Left,
        bound: &[
            k(C::Left, A::Left),
            k(C::Right, A::Right),
            k(C::Char('h'), A::Left),
            k(C::Char('l'), A::Right),
        ],
        help: "move the traffic slider (traffic pane)",
        footer: None,
    },
    Binding {
        keys: "p",
        action: A::PauseResume,
        bound: &[k(C::Char('p'), A::PauseResume)],
        help: "pause / resume the release",
        footer: hint("pause/resume", "pause"),
    },
    Binding {
        keys: "a",
        action: A::Abort,
        bound: &[k(C::Char('a'), A::Abort)],
        help: "abort: all traffic to stable (asks first)",
        footer: None,
    },
    Binding {
        keys: "e",
        action: A::Notes,
        bound: &[k(C::Char('e'), A::Notes)],
        help: "write a note to the log and journal",
        footer: hint("note", "note"),
    },
    Binding {
        keys: "/",
        action: A::Filter,
        bound: &[k(C::Char('/'), A::Filter)],
        help: "filter the deployment log",
        footer: None,
    },
    Binding {
        keys: "v",
        action: A::ShowQuery,
        bound: &[k(C::Char('v'), A::ShowQuery)],
        help: "show the query behind a metric",
        footer: None,
    },
    Binding {
        keys: "Tab/S-Tab",
        action: A::FocusNext,
        bound: &[k(C::Tab, A::FocusNext), k(C::BackTab, A::FocusPrev)],
        help: "next / previous pane",
        footer: hint("pane", "pane"),
    },
    Binding {
        keys: "1-4",
        action: A::FocusPane(0),
        bound: &[
            k(C::Char('1'), A::FocusPane(0)),
            k(C::Char('2'), A::FocusPane(1)),
            k(C::Char('3'), A::FocusPane(2)),
            k(C::Char('4'), A::FocusPane(3)),
        ],
        help: "go to pane: stages, metrics, traffic, log",
        footer: None,
    },
    Binding {
        keys: "↑/↓ j/k",
        action: A::Up,
        bound: &[
            k(C::Up, A::Up),
            k(C::Down, A::Down),
            k(C::Char('k'), A::Up),
            k(C::Char('j'), A::Down),
        ],
        help: "move the selection / scroll the log",
        footer: None,
    },
    Binding {
        keys: "g/G",
        action: A::Top,
        bound: &[
            k(C::Char('g'), A::Top),
            k(C::Home, A::Top),
            k(C::Char('G'), A::Bottom),
            k(C::End, A::Bottom),
        ],
        help: "log: oldest / follow newest",
        footer: None,
    },
    Binding {
        keys: "Esc",
        action: A::Close,
        bound: &[k(C::Esc, A::Close)],
        help: "close a dialog or filter",
        footer: None,
    },
    Binding {
        keys: "?",
        action: A::Help,
        bound: &[k(C::Char('?'), A::Help)],
        help: "this help",
        footer: hint("help", "help"),
    },
    Binding {
        keys: "q",
        action: A::Quit,
        bound: &[k(C::Char('q'), A::Quit), ctrl('c', A::Quit)],
        help: "quit (asks while a release is live; Ctrl-C too)",
        footer: hint("quit", "quit"),
    },
];

/// Maps a key to an action through the table. `typing` is true while a text field has
/// the focus: then only Ctrl keys and Esc are actions; every other key is text.
pub fn action_for(key: KeyEvent, typing: bool) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if typing && !ctrl && key.code != KeyCode::Esc {
        return None;
    }
    BINDINGS
        .iter()
        .flat_map(|b| b.bound)
        .find(|k| k.code == key.code && k.ctrl == ctrl)
        .map(|k| k.action)
}

/// How the keys for `action` are written, for text that tells the user what to press.
pub fn key_for(action: Action) -> &'static str {
    BINDINGS
        .iter()
        .find(|b| b.action == action || b.bound.iter().any(|k| k.action == action))
        .map_or("?", |b| b.keys)
}

/// The first of a binding's keys ("Enter/Space" -> "Enter"), for narrow footers and hints.
pub fn first_key(keys: &'static str) -> &'static str {
    if keys.len() > 1
        && let Some(i) = keys.find(['/', ' '])
        && i > 0
    {
        return &keys[..i];
    }
    keys
}

/// The main keys of `action` without the letter alternatives ("↑/↓ j/k" -> "↑/↓").
pub fn main_keys(action: Action) -> &'static str {
    let keys = key_for(action);
    keys.split_once(' ').map_or(keys, |(main, _)| main)
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
    fn no_key_is_bound_twice() {
        let keys: Vec<(KeyCode, bool)> = BINDINGS
            .iter()
            .flat_map(|b| b.bound)
            .map(|k| (k.code, k.ctrl))
            .collect();
        for (i, key) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(key), "{key:?} is bound twice");
        }
    }

    /// Every variant, listed by the compiler: a new action without a key fails here.
    #[test]
    fn every_action_has_a_key() {
        use strum::IntoEnumIterator;
        let every = Action::iter().flat_map(|action| match action {
            Action::FocusPane(_) => (0..4).map(Action::FocusPane).collect(),
            other => vec![other],
        });
        for action in every {
            let bound = BINDINGS.iter().flat_map(|b| b.bound).any(|k| k.action == action);
            assert!(bound, "{action:?} has no key");
        }
    }

    #[test]
    fn while_typing_only_ctrl_keys_and_esc_act() {
        assert_eq!(action_for(key(KeyCode::Char('q'), KeyModifiers::NONE), true), None);
        assert_eq!(
            action_for(key(KeyCode::Char('c'), KeyModifiers::CONTROL), true),
            Some(Action::Quit)
        );
        assert_eq!(
            action_for(key(KeyCode::Esc, KeyModifiers::NONE), true),
            Some(Action::Close)
        );
    }

    #[test]
    fn every_footer_hint_is_in_the_table() {
        assert!(footer_hints().any(|b| b.action == Action::Rollback));
        assert!(footer_hints().count() <= 8, "the footer must fit at 80 columns");
    }
}
