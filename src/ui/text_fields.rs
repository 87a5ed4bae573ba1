//! Keys typed into the text fields: the notes editor and the log filter line. While one has
//! the focus its keys are text, except Ctrl keys and Esc, which stay actions (Ctrl-R rolls
//! back from inside a field; Esc closes it).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{Dialog, UiState};
use super::keys::action_for;
use crate::engine::Command;

/// What a key did in the focused text field.
#[derive(Debug, PartialEq)]
pub enum Typed {
    /// The field took the key as text (or ignored it).
    Text,
    /// Ctrl-S in the notes editor: the editor closed, with the note to record if any.
    Saved(Option<Command>),
    /// Not for the field (no field has the focus, or an action key): map it to an action.
    NotText,
}

impl UiState {
    /// Offers `key` to the text field that has the focus, if any.
    pub fn type_key(&mut self, key: KeyEvent) -> Typed {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let action = action_for(key, true);
        if let Some(Dialog::Notes(area)) = &mut self.dialog {
            if ctrl && key.code == KeyCode::Char('s') {
                return Typed::Saved(self.save_notes());
            }
            if action.is_none() {
                area.input(key);
                return Typed::Text;
            }
        }
        if self.filter_editing && action.is_none() {
            match key.code {
                KeyCode::Char(c) if !ctrl => self.filter.push(c),
                KeyCode::Backspace => {
                    self.filter.pop();
                }
                KeyCode::Enter => self.filter_editing = false,
                _ => {}
            }
            return Typed::Text;
        }
        Typed::NotText
    }

    /// Closes the notes editor with its text as a note command (Ctrl-S); an empty note is
    /// dropped.
    pub fn save_notes(&mut self) -> Option<Command> {
        let Some(Dialog::Notes(area)) = self.dialog.take() else {
            return None;
        };
        let text = area.lines().join("\n").trim().to_string();
        (!text.is_empty()).then_some(Command::Note(text))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::Actor;
    use crate::sim::{Harness, Scenario};
    use crate::ui::keys::Action;

    fn release() -> Harness {
        let plan = crate::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
        let start = "2026-11-22T10:00:00Z".parse().unwrap();
        Harness::new(Arc::new(plan), Scenario::Healthy, 1, start, false)
    }

    fn ui() -> UiState {
        UiState::new(Actor::person("ana", None))
    }

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn type_str(ui: &mut UiState, text: &str) {
        for c in text.chars() {
            assert_eq!(ui.type_key(key(KeyCode::Char(c))), Typed::Text);
        }
    }

    #[test]
    fn without_a_field_keys_are_not_text() {
        let mut ui = ui();
        assert_eq!(ui.type_key(key(KeyCode::Char('q'))), Typed::NotText);
    }

    #[test]
    fn the_filter_line_takes_letters_backspace_and_enter() {
        let h = release();
        let mut ui = ui();
        ui.on_action(Action::Filter, &h.release);
        type_str(&mut ui, "gates");
        assert_eq!(ui.type_key(key(KeyCode::Backspace)), Typed::Text);
        assert_eq!(ui.filter, "gate");
        // R and q are letters here.
        type_str(&mut ui, "Rq");
        assert_eq!(ui.filter, "gateRq");
        // Enter keeps the filter and leaves the line.
        assert_eq!(ui.type_key(key(KeyCode::Enter)), Typed::Text);
        assert!(!ui.filter_editing);
        assert_eq!(ui.filter, "gateRq");
    }

    #[test]
    fn ctrl_keys_and_esc_are_actions_inside_a_field() {
        let h = release();
        let mut ui = ui();
        ui.on_action(Action::Filter, &h.release);
        assert_eq!(ui.type_key(ctrl('r')), Typed::NotText);
        assert_eq!(ui.type_key(key(KeyCode::Esc)), Typed::NotText);
        ui.on_action(Action::Notes, &h.release);
        ui.filter_editing = false;
        assert_eq!(ui.type_key(ctrl('r')), Typed::NotText);
        assert_eq!(ui.type_key(key(KeyCode::Esc)), Typed::NotText);
    }

    #[test]
    fn the_notes_editor_takes_text_and_ctrl_s_saves_it() {
        let h = release();
        let mut ui = ui();
        ui.on_action(Action::Notes, &h.release);
        type_str(&mut ui, "R is a letter here");
        assert_eq!(
            ui.type_key(ctrl('s')),
            Typed::Saved(Some(Command::Note("R is a letter here".into())))
        );
        assert!(ui.dialog.is_none());
    }

    #[test]
    fn notes_are_saved_trimmed_and_empty_notes_are_dropped() {
        let h = release();
        let mut ui = ui();
        ui.on_action(Action::Notes, &h.release);
        if let Some(Dialog::Notes(area)) = &mut ui.dialog {
            area.insert_str("  canary looks fine  ");
        }
        assert_eq!(ui.save_notes(), Some(Command::Note("canary looks fine".into())));
        ui.on_action(Action::Notes, &h.release);
        assert_eq!(ui.save_notes(), None);
        assert!(ui.dialog.is_none());
    }
}
