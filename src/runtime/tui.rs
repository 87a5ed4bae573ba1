//! The cockpit's event loop: terminal input, backend observations and the clock feed the
//! session; the screen is redrawn only when something it shows has changed.

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Position, Rect};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::frame_writer::{Dropped, FrameWriter};
use super::session::Session;
use super::signals::Signals;
use super::stop::{Finished, finish_rollback};
use crate::engine::Observation;
use crate::ui::app::UiState;
use crate::ui::draw::draw;
use crate::ui::theme::Theme;

type Cockpit = Terminal<CrosstermBackend<FrameWriter>>;

pub async fn run(session: Session, observations: mpsc::Receiver<Observation>, theme: Theme, ui: UiState) -> Result<()> {
    // Raw mode, the alternate screen and a panic hook that restores them; frames then go
    // through a writer thread so a stalled terminal cannot stall the release.
    drop(ratatui::try_init().wrap_err("cannot take over the terminal")?);
    let (writer, dropped) = FrameWriter::spawn(std::io::stdout()).wrap_err("cannot start the terminal writer")?;
    let journal = session.journal_errors();
    let result = match Terminal::new(CrosstermBackend::new(writer)) {
        Ok(mut terminal) => event_loop(&mut terminal, &dropped, session, observations, &theme, ui).await,
        Err(e) => Err(e).wrap_err("cannot take over the terminal"),
    };
    // The terminal (and its writer thread) is gone by here: the restore comes after its last frame.
    ratatui::try_restore().wrap_err("cannot restore the terminal")?;
    // The screen said so while it ran; the terminal's own output says it once more.
    if let Some(error) = journal.get() {
        crate::stderr::say(format_args!(
            "shipdeck: JOURNAL ERROR: {error}: the release was not fully recorded"
        ));
    }
    result
}

async fn event_loop(
    terminal: &mut Cockpit,
    dropped: &Dropped,
    mut session: Session,
    mut observations: mpsc::Receiver<Observation>,
    theme: &Theme,
    mut ui: UiState,
) -> Result<()> {
    let mut input = EventStream::new();
    // The clock ticks as in a headless run (one virtual second, within bounds), so time
    // rules see the same grain with or without a screen; a tick redraws only when a shown
    // second or the log has changed.
    let mut ticker = tokio::time::interval(session.clock.tick_period());
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    // In raw mode Ctrl-C is a key; signals come from `kill` and must not skip the restore.
    let mut signals = Signals::install()?;
    let mut dirty = true;
    let mut shown_second = i64::MIN;
    let mut shown_records = u64::MAX;

    loop {
        let journal_error = session.journal_error();
        if journal_error != ui.journal_error {
            ui.journal_error = journal_error;
            dirty = true;
        }
        if dropped.take() {
            // The screen missed a frame: paint all of it, not a difference. (`resize` clears
            // without `clear`'s cursor query, which a stalled terminal could not answer.)
            let area = Rect::from((Position::ORIGIN, terminal.size()?));
            terminal.resize(area)?;
            dirty = true;
        }
        if dirty {
            let now = session.clock.now();
            terminal.draw(|frame| draw(frame, &session.release, &ui, theme, now))?;
            shown_second = now.timestamp();
            shown_records = session.release.recorded();
            dirty = false;
        }
        if ui.quit {
            session.close(ui.operator.clone(), "quit by the operator");
            return Ok(());
        }
        tokio::select! {
            biased;
            event = input.next() => match event {
                Some(Ok(TermEvent::Key(key))) if key.kind != KeyEventKind::Release => {
                    for command in ui.on_key(key, &session.release) {
                        session.command(command, ui.operator.clone());
                    }
                    dirty = true;
                }
                Some(Ok(TermEvent::Resize(..))) => dirty = true,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    session.close(ui.operator.clone(), "terminal input closed");
                    return Ok(());
                }
            },
            Some(observation) = observations.recv() => {
                session.observe(observation);
                // Take everything already waiting, then draw once for the batch.
                while let Ok(more) = observations.try_recv() {
                    session.observe(more);
                }
                dirty = true;
            }
            _ = ticker.tick() => {
                session.tick();
                let second = session.clock.now().timestamp();
                // The log length stops growing at its cap; the count of records does not.
                dirty = second != shown_second || session.release.recorded() != shown_records;
            }
            name = signals.stop() => {
                let why = if name == "SIGHUP" { "SIGHUP: the terminal went away" } else { name };
                // Nothing is drawn meanwhile: the terminal may be what went away.
                let operator = ui.operator.clone();
                let finished = finish_rollback(&mut session, &mut observations, &mut signals, &operator, why).await;
                let why = match finished {
                    Finished::NothingInFlight => why.to_string(),
                    Finished::RolledBack => format!("{why}, once the rollback was acknowledged"),
                    Finished::NotAcknowledged => format!("{why}; the rollback was not acknowledged in time"),
                };
                session.close(ui.operator.clone(), &why);
                return Ok(());
            }
        }
    }
}
