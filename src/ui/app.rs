//! Presentation state (focus, selection, scroll, dialogs) and how actions change it.
//! Release actions come out as engine commands; the UI never touches a backend.

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::keys::{Action, action_for};
use super::panes::log::visible;
use super::text_fields::Typed;
use crate::engine::{Actor, Command, LogEntry, PhaseName, Release, Step};
use crate::plan::Weight;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Stages,
    Metrics,
    Traffic,
    Log,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Stages, Pane::Metrics, Pane::Traffic, Pane::Log];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Stages => "Stages",
            Pane::Metrics => "Metrics",
            Pane::Traffic => "Traffic",
            Pane::Log => "Log",
        }
    }

    pub fn index(self) -> usize {
        Pane::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// A question before an action, holding the action as plain data.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub command: Command,
}

#[derive(Debug)]
pub enum Dialog {
    Help,
    Confirm(Confirm),
    /// Quitting while the release is live: says what stops (worded from the release as
    /// it is when drawn, not when asked).
    Quit,
    Notes(Box<TextArea<'static>>),
    /// The resolved query behind a metric.
    Query {
        metric: usize,
    },
    /// The canary judge's analysis of a metric: queries, samples, statistics, the rule.
    Analysis {
        metric: usize,
    },
    /// One log line in full.
    LogLine(Box<LogEntry>),
}

/// Everything the UI remembers between frames that is not release state.
#[derive(Debug)]
pub struct UiState {
    pub focus: Pane,
    /// Selected row in the stages pane (checklist items, then approvals), as last moved;
    /// read it through `checklist_row`, which keeps it on a row that exists.
    pub checklist_cursor: usize,
    /// The stage the checklist cursor was last moved at: a new stage starts the selection
    /// on its first open row.
    pub cursor_stage: usize,
    pub metric_cursor: usize,
    /// The weight being dialled on the traffic slider, not yet applied.
    pub slider: Option<Weight>,
    /// Lines scrolled up from the newest log line; 0 follows the newest.
    pub log_scroll: usize,
    pub filter: String,
    pub filter_editing: bool,
    pub dialog: Option<Dialog>,
    pub operator: Actor,
    /// Set when the operator confirmed quitting.
    pub quit: bool,
    /// The journal's last failure, from the runtime: shown loudly in the header.
    pub journal_error: Option<String>,
    /// Why the engine refuses what the last key asked for, shown above the footer until
    /// the next key.
    pub notice: Option<String>,
    /// A note draft closed by a rollback from inside the editor: recorded after it.
    draft: Option<Command>,
}

impl UiState {
    pub fn new(operator: Actor) -> UiState {
        UiState {
            focus: Pane::Stages,
            checklist_cursor: 0,
            cursor_stage: 0,
            metric_cursor: 0,
            slider: None,
            log_scroll: 0,
            filter: String::new(),
            filter_editing: false,
            dialog: None,
            operator,
            quit: false,
            journal_error: None,
            notice: None,
            draft: None,
        }
    }

    /// The selected row of the current stage's checklist and approvals: always one that
    /// exists, and the first open one after the stage changed. `None` when there are none.
    pub fn checklist_row(&self, release: &Release) -> Option<usize> {
        let progress = release.progress(release.stage())?;
        let rows = progress.items.len() + progress.approvals.len();
        if rows == 0 {
            return None;
        }
        if self.cursor_stage != release.stage() {
            let open_item = progress.items.iter().position(Option::is_none);
            let open_approval = || {
                let i = progress.approvals.iter().position(|(_, signed)| signed.is_none())?;
                Some(progress.items.len() + i)
            };
            return Some(open_item.or_else(open_approval).unwrap_or(0));
        }
        Some(self.checklist_cursor.min(rows - 1))
    }

    /// `command` as the engine will take it: a refusal is shown where the operator looks.
    fn offer(&mut self, command: Command, release: &Release) -> Option<Command> {
        self.notice = release.refusal(&command);
        Some(command)
    }

    /// A text field has the focus: letters are text, not actions.
    pub fn typing(&self) -> bool {
        self.filter_editing || matches!(self.dialog, Some(Dialog::Notes(_)))
    }

    /// A key from the terminal: text for the focused field, else an action through the key
    /// table; returns the engine commands it produces, in order (a rollback from inside the
    /// notes editor comes first, then the draft as a note).
    pub fn on_key(&mut self, key: KeyEvent, release: &Release) -> Vec<Command> {
        let first = match self.type_key(key) {
            Typed::Text => None,
            Typed::Saved(note) => note,
            Typed::NotText => action_for(key, self.typing()).and_then(|action| self.on_action(action, release)),
        };
        first.into_iter().chain(self.draft.take()).collect()
    }

    /// Applies an action; returns the engine command it produces, if any.
    pub fn on_action(&mut self, action: Action, release: &Release) -> Option<Command> {
        self.notice = None;
        // Rollback first, from anywhere, with no question: it closes whatever is open, and
        // a note being written is kept.
        if action == Action::Rollback {
            self.draft = self.save_notes();
            self.dialog = None;
            self.filter_editing = false;
            self.slider = None;
            return Some(Command::Rollback);
        }
        if let Some(dialog) = self.dialog.take() {
            return self.on_dialog_action(dialog, action, release);
        }
        if self.filter_editing {
            match action {
                Action::Close => {
                    self.filter_editing = false;
                    self.filter.clear();
                    return None;
                }
                // Ctrl-C quits from everywhere, the filter line included.
                Action::Quit => self.filter_editing = false,
                _ => return None,
            }
        }
        match action {
            Action::Rollback => unreachable!("handled above"),
            Action::Quit => {
                if release.phase().is_live() {
                    self.dialog = Some(Dialog::Quit);
                } else {
                    self.quit = true;
                }
                None
            }
            Action::Help => {
                self.dialog = Some(Dialog::Help);
                None
            }
            Action::FocusNext => {
                self.focus = Pane::ALL[(self.focus.index() + 1) % 4];
                None
            }
            Action::FocusPrev => {
                self.focus = Pane::ALL[(self.focus.index() + 3) % 4];
                None
            }
            Action::FocusPane(i) => {
                self.focus = Pane::ALL[i.min(3)];
                None
            }
            Action::Up | Action::Down => {
                self.move_selection(action == Action::Up, release);
                None
            }
            Action::Left | Action::Right => {
                if self.focus == Pane::Traffic && release.can_set_weight() {
                    let current = self.slider.unwrap_or(release.desired_weight());
                    let step = if action == Action::Left { -5 } else { 5 };
                    let max = release.plan().stages[release.stage()].weight.percent() as i32;
                    let next = (current.percent() as i32 + step).clamp(0, max);
                    self.slider = Some(Weight::saturating(next));
                }
                None
            }
            Action::Select => self.select(release),
            Action::Advance => self.advance(release),
            Action::PauseResume => {
                let command = if release.phase() == PhaseName::Paused {
                    Command::Resume
                } else {
                    Command::Pause
                };
                self.offer(command, release)
            }
            Action::Abort if release.refusal(&Command::Abort).is_some() => self.offer(Command::Abort, release),
            Action::Abort => {
                self.dialog = Some(Dialog::Confirm(Confirm {
                    title: "Abort the release?".into(),
                    lines: vec![
                        format!("All traffic goes back to {}.", release.plan().release.stable),
                        "The release ends as ABORTED.".into(),
                    ],
                    command: Command::Abort,
                }));
                None
            }
            Action::Notes => {
                let mut area = TextArea::default();
                area.set_placeholder_text("What happened? Ctrl-S saves to the log and journal, Esc cancels.");
                self.dialog = Some(Dialog::Notes(Box::new(area)));
                None
            }
            Action::Filter => {
                self.focus = Pane::Log;
                self.filter_editing = true;
                None
            }
            Action::ShowQuery => {
                if self.focus == Pane::Metrics && !release.plan().metrics.is_empty() {
                    self.dialog = Some(Dialog::Query {
                        metric: self.metric_cursor,
                    });
                }
                None
            }
            Action::Top => {
                if self.focus == Pane::Log {
                    self.log_scroll = release.log().len();
                }
                None
            }
            Action::Bottom => {
                if self.focus == Pane::Log {
                    self.log_scroll = 0;
                }
                None
            }
            Action::Close => {
                // Esc drops what is nearest: a dialled weight, else a kept log filter.
                if self.slider.take().is_none() && self.focus == Pane::Log {
                    self.filter.clear();
                }
                None
            }
        }
    }

    fn on_dialog_action(&mut self, dialog: Dialog, action: Action, release: &Release) -> Option<Command> {
        match (dialog, action) {
            (Dialog::Confirm(confirm), Action::Select) => self.offer(confirm.command, release),
            (Dialog::Quit, Action::Select) => {
                self.quit = true;
                None
            }
            (Dialog::Notes(_), Action::Close) => None,
            (dialog @ Dialog::Notes(_), _) => {
                self.dialog = Some(dialog);
                None
            }
            (_, Action::Close | Action::Quit | Action::Help) => None,
            // The analysis pages through the metrics and shows a metric's whole query.
            (Dialog::Analysis { .. }, Action::Up | Action::Down) => {
                self.focus = Pane::Metrics;
                self.move_selection(action == Action::Up, release);
                self.dialog = Some(Dialog::Analysis {
                    metric: self.metric_cursor,
                });
                None
            }
            (Dialog::Analysis { metric }, Action::ShowQuery) => {
                self.dialog = Some(Dialog::Query { metric });
                None
            }
            (Dialog::Help | Dialog::Query { .. } | Dialog::Analysis { .. } | Dialog::LogLine(_), _) => None,
            (dialog, _) => {
                // Any other key leaves a question open: only Enter confirms, Esc cancels.
                self.dialog = Some(dialog);
                None
            }
        }
    }

    fn move_selection(&mut self, up: bool, release: &Release) {
        let delta = |v: usize, len: usize| -> usize {
            if len == 0 {
                0
            } else if up {
                v.saturating_sub(1)
            } else {
                (v + 1).min(len - 1)
            }
        };
        match self.focus {
            Pane::Stages => {
                let rows = release
                    .progress(release.stage())
                    .map_or(0, |p| p.items.len() + p.approvals.len());
                let row = self.checklist_row(release).unwrap_or(0);
                self.checklist_cursor = delta(row, rows);
                self.cursor_stage = release.stage();
            }
            Pane::Metrics => self.metric_cursor = delta(self.metric_cursor, release.plan().metrics.len()),
            Pane::Traffic => {}
            Pane::Log => {
                self.log_scroll = if up {
                    self.log_scroll + 1
                } else {
                    self.log_scroll.saturating_sub(1)
                };
                self.log_scroll = self.log_scroll.min(release.log().len());
            }
        }
    }

    fn select(&mut self, release: &Release) -> Option<Command> {
        match self.focus {
            Pane::Stages => {
                let progress = release.progress(release.stage())?;
                let row = self.checklist_row(release)?;
                self.checklist_cursor = row;
                self.cursor_stage = release.stage();
                let command = if row < progress.items.len() {
                    Command::ToggleItem { item: row }
                } else {
                    let (role, _) = progress.approvals.get(row - progress.items.len())?;
                    Command::Approve { role: role.clone() }
                };
                self.offer(command, release)
            }
            Pane::Traffic => {
                let weight = self.slider.take()?;
                if weight == release.desired_weight() {
                    return None;
                }
                let command = Command::SetWeight {
                    weight,
                    stage: release.stage(),
                };
                if release.refusal(&command).is_some() {
                    return self.offer(command, release);
                }
                self.dialog = Some(Dialog::Confirm(Confirm {
                    title: format!("Set the canary weight to {weight}?"),
                    lines: vec![
                        format!(
                            "Now: desired {}; {}.",
                            release.desired_weight(),
                            router_reports(release)
                        ),
                        "This overrides the stage weight until the next stage.".into(),
                    ],
                    command: Command::SetWeight {
                        weight,
                        stage: release.stage(),
                    },
                }));
                None
            }
            Pane::Metrics => {
                if !release.plan().metrics.is_empty() {
                    self.dialog = Some(Dialog::Analysis {
                        metric: self.metric_cursor.min(release.plan().metrics.len() - 1),
                    });
                }
                None
            }
            Pane::Log => {
                // The newest line in view: the bottom one, at the current scroll.
                let log = release.log();
                let (shown, _) = visible(log, &self.filter, self.log_scroll, 1);
                if let Some(&i) = shown.first() {
                    self.dialog = Some(Dialog::LogLine(Box::new(log[i].clone())));
                }
                None
            }
        }
    }

    fn advance(&mut self, release: &Release) -> Option<Command> {
        let command = Command::Advance { from: release.stage() };
        if release.refusal(&command).is_some() {
            return self.offer(command, release);
        }
        let stages = &release.plan().stages;
        let next = stages.get(release.stage() + 1);
        let to_full = next.is_some_and(|s| s.weight == Weight::FULL) && release.desired_weight() < Weight::FULL;
        if to_full && release.step() == Step::Holding {
            self.dialog = Some(Dialog::Confirm(Confirm {
                title: "Promote to 100%?".into(),
                lines: vec![
                    format!(
                        "{} {} will serve ALL traffic (now {}).",
                        release.plan().release.name,
                        release.plan().release.version,
                        release.desired_weight()
                    ),
                    format!(
                        "{} stays deployed for the rollback window ({}).",
                        release.plan().release.stable,
                        release.rollback_window()
                    ),
                ],
                command: Command::Advance { from: release.stage() },
            }));
            return None;
        }
        Some(Command::Advance { from: release.stage() })
    }
}

/// What the router last confirmed, as a sentence's clause.
pub(crate) fn router_reports(release: &Release) -> String {
    release.actual_weight().map_or_else(
        || "the router has not confirmed a weight yet".into(),
        |w| format!("the router reports the canary at {w}"),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::sim::{Harness, Scenario};

    /// The canary plan played by the crew until its 25% stage is holding.
    fn holding_at_25() -> Harness {
        let plan = crate::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
        let start = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut h = Harness::new(Arc::new(plan), Scenario::Healthy, 1, start, true);
        assert!(h.run_until(3600, |r| r.stage() == 2 && r.step() == Step::Holding));
        h
    }

    fn ui() -> UiState {
        UiState::new(Actor::person("ana", None))
    }

    #[test]
    fn a_manual_weight_is_applied_only_after_confirmation() {
        let h = holding_at_25();
        let mut ui = ui();
        ui.on_action(Action::FocusPane(2), &h.release);
        ui.on_action(Action::Left, &h.release);
        ui.on_action(Action::Left, &h.release);
        assert_eq!(ui.slider, Weight::new(15));
        assert_eq!(ui.on_action(Action::Select, &h.release), None, "asks first");
        assert!(matches!(ui.dialog, Some(Dialog::Confirm(_))));
        // Any other key leaves the question open; Enter confirms.
        assert_eq!(ui.on_action(Action::Down, &h.release), None);
        assert_eq!(
            ui.on_action(Action::Select, &h.release),
            Some(Command::SetWeight {
                weight: Weight::new(15).unwrap(),
                stage: 2
            })
        );
        assert!(ui.dialog.is_none());
    }

    #[test]
    fn the_slider_stays_put_when_no_weight_can_be_set() {
        let plan = crate::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
        let start = "2026-11-22T10:00:00Z".parse().unwrap();
        let h = Harness::new(Arc::new(plan), Scenario::Healthy, 1, start, false);
        let mut ui = ui();
        ui.on_action(Action::FocusPane(2), &h.release);
        ui.on_action(Action::Right, &h.release);
        assert_eq!(ui.slider, None, "pending: nothing to dial");
    }

    #[test]
    fn the_slider_cannot_go_past_the_stage_weight() {
        let h = holding_at_25();
        let mut ui = ui();
        ui.on_action(Action::FocusPane(2), &h.release);
        for _ in 0..10 {
            ui.on_action(Action::Right, &h.release);
        }
        assert_eq!(ui.slider, Weight::new(25));
    }

    #[test]
    fn promoting_to_full_asks_and_escape_cancels() {
        let mut h = holding_at_25();
        let advance = Command::Advance { from: 3 };
        h.run_until(3600, |r| r.stage() == 3 && r.refusal(&advance).is_none());
        let mut ui = ui();
        assert_eq!(ui.on_action(Action::Advance, &h.release), None);
        let Some(Dialog::Confirm(confirm)) = &ui.dialog else {
            panic!("no confirmation")
        };
        assert_eq!(confirm.command, Command::Advance { from: 3 });
        assert_eq!(ui.on_action(Action::Close, &h.release), None);
        assert!(ui.dialog.is_none());
    }

    #[test]
    fn rollback_closes_any_dialog_and_never_asks() {
        let h = holding_at_25();
        for open in [Action::Help, Action::Abort, Action::Notes, Action::Quit, Action::Filter] {
            let mut ui = ui();
            ui.on_action(open, &h.release);
            assert!(ui.dialog.is_some() || ui.filter_editing, "{open:?} opened nothing");
            assert_eq!(ui.on_action(Action::Rollback, &h.release), Some(Command::Rollback));
            assert!(ui.dialog.is_none() && !ui.filter_editing);
        }
    }

    #[test]
    fn quitting_a_live_release_asks_and_says_what_stops() {
        let h = holding_at_25();
        let mut ui = ui();
        ui.on_action(Action::Quit, &h.release);
        let Some(Dialog::Quit) = &ui.dialog else {
            panic!("no question")
        };
        let lines = crate::ui::dialogs::quit::warning(&h.release);
        assert!(lines.join(" ").contains("no automatic rollback"));
        assert!(!ui.quit);
        ui.on_action(Action::Select, &h.release);
        assert!(ui.quit);
    }

    #[test]
    fn ctrl_c_quits_from_the_filter_line() {
        let h = holding_at_25();
        let mut ui = ui();
        ui.on_action(Action::Filter, &h.release);
        ui.filter.push_str("gate");
        ui.on_action(Action::Quit, &h.release);
        assert!(!ui.filter_editing);
        assert!(matches!(ui.dialog, Some(Dialog::Quit)));
        assert_eq!(ui.filter, "gate", "the filter stays");
    }

    #[test]
    fn keys_reach_text_fields_and_rollback_reaches_everywhere() {
        use crossterm::event::{KeyCode, KeyModifiers};
        let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let h = holding_at_25();
        let mut ui = ui();
        // In the notes, R is a letter; Ctrl-R still rolls back and closes the editor.
        ui.on_key(key('e'), &h.release);
        assert_eq!(ui.on_key(key('R'), &h.release), vec![]);
        assert!(matches!(&ui.dialog, Some(Dialog::Notes(area)) if area.lines() == ["R"]));
        let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
        // The rollback first, then the draft, kept as a note.
        assert_eq!(
            ui.on_key(ctrl_r, &h.release),
            vec![Command::Rollback, Command::Note("R".into())]
        );
        assert!(ui.dialog.is_none());
        // Outside a field, R rolls back at once.
        assert_eq!(ui.on_key(key('R'), &h.release), vec![Command::Rollback]);
        // Ctrl-S saves a note.
        ui.on_key(key('e'), &h.release);
        ui.on_key(key('o'), &h.release);
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        assert_eq!(ui.on_key(ctrl_s, &h.release), vec![Command::Note("o".into())]);
        // The filter line takes letters until Esc, which clears it.
        ui.on_key(key('/'), &h.release);
        ui.on_key(key('q'), &h.release);
        assert_eq!((ui.filter.as_str(), ui.quit), ("q", false));
        ui.on_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), &h.release);
        assert!(!ui.filter_editing && ui.filter.is_empty());
    }

    #[test]
    fn enter_on_the_checklist_ticks_the_selected_item() {
        let plan = crate::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
        let start = "2026-11-22T10:00:00Z".parse().unwrap();
        let h = Harness::new(Arc::new(plan), Scenario::Healthy, 1, start, false);
        let mut ui = ui();
        assert_eq!(
            ui.on_action(Action::Select, &h.release),
            Some(Command::ToggleItem { item: 0 })
        );
        ui.on_action(Action::Down, &h.release);
        assert_eq!(
            ui.on_action(Action::Select, &h.release),
            Some(Command::ToggleItem { item: 1 })
        );
    }
}
