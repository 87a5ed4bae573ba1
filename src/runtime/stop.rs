//! A stop asked while a rollback is in flight (SIGTERM, SIGINT, SIGHUP, `q`'s cousins)
//! does not abandon it: the rollback goes on until the router confirms 0%, for at most
//! `ROLLBACK_GRACE`, and only then does the process end. A second stop ends it at once.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::session::Session;
use super::signals::Signals;
use crate::engine::{Actor, Command, Observation, PhaseName};

/// How long a stop waits for a rollback in flight to be acknowledged.
pub const ROLLBACK_GRACE: Duration = Duration::from_secs(30);

/// How a stop during a rollback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// No rollback was in flight.
    NothingInFlight,
    /// The router confirmed 0% (and the previous version is back where that is work).
    RolledBack,
    /// Not within the grace, or a second stop came first.
    NotAcknowledged,
}

/// Lets a rollback in flight finish before a stop, saying so in the journal.
pub async fn finish_rollback(
    session: &mut Session,
    observations: &mut mpsc::Receiver<Observation>,
    signals: &mut Signals,
    who: &Actor,
    stop: &str,
) -> Finished {
    if session.release.phase() != PhaseName::RollingBack {
        return Finished::NothingInFlight;
    }
    let note = format!(
        "{stop} during a rollback: the rollback goes on until the router confirms 0% (at most {}s)",
        ROLLBACK_GRACE.as_secs()
    );
    session.command(Command::Note(note), who.clone());
    let mut ticker = tokio::time::interval(session.clock.tick_period());
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let deadline = tokio::time::sleep(ROLLBACK_GRACE);
    tokio::pin!(deadline);
    while session.release.phase() == PhaseName::RollingBack {
        tokio::select! {
            Some(observation) = observations.recv() => session.observe(observation),
            _ = ticker.tick() => session.tick(),
            () = &mut deadline => return Finished::NotAcknowledged,
            _ = signals.stop() => return Finished::NotAcknowledged,
        }
    }
    if session.release.phase() == PhaseName::RolledBack {
        Finished::RolledBack
    } else {
        Finished::NotAcknowledged
    }
}
