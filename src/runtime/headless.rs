//! Headless mode: the same session with no screen, for CI pipelines. The deployment log
//! goes to stdout one event per line, and the exit code says how the release ended.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::session::Session;
use super::signals::Signals;
use super::stop::{Finished, finish_rollback};
use crate::engine::{Actor, Command, HoldReason, LogEntry, Observation, PhaseName, Release, Step};
use crate::outside::one_line;

/// How a headless run ended; the process exits with `code()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Promoted,
    RolledBack,
    /// Held on something only a person can resolve, held too long, aborted, or stopped
    /// by a signal. Traffic stays where it is.
    Stopped,
}

impl Outcome {
    pub fn code(self) -> i32 {
        match self {
            Outcome::Promoted => 0,
            Outcome::RolledBack => 3,
            Outcome::Stopped => 4,
        }
    }
}

pub struct Options {
    /// Tick checklist items and sign approvals as the operator.
    pub yes: bool,
    /// The simulated crew signs (demo): checklists and approvals are not waited out.
    pub crew: bool,
    /// Give up (exit 4) after the release has been held this long without a break.
    pub max_hold: chrono::Duration,
    pub operator: Actor,
    /// Real time between clock ticks: the clock's `tick_period`, as in the cockpit.
    pub tick: Duration,
}

pub async fn run(
    mut session: Session,
    mut observations: mpsc::Receiver<Observation>,
    options: Options,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let mut ticker = tokio::time::interval(options.tick);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut signals = Signals::install()?;
    let mut printed = 0u64;
    let mut progress = Progress::new(&session.release, session.clock.now());
    let signer = Actor::person(
        format!("{} (headless --yes)", options.operator.name),
        options.operator.origin.clone(),
    );

    loop {
        printed = match print_new(&session.release, printed, out) {
            Ok(printed) => printed,
            Err(e) => {
                // Nobody reads the run any more (`| head`, a CI runner gone): stop, as for a
                // signal, and say so where it can still be read.
                let why = format!("standard output failed ({e})");
                crate::stderr::say(format_args!("shipdeck: stopping: {why}"));
                return finish(session, Outcome::Stopped, &options, &why, printed, out);
            }
        };
        let now = session.clock.now();
        if let Some(failure) = session.release.journal_failure() {
            let why = format!("{failure}: the release is not recorded");
            crate::stderr::say(format_args!(
                "shipdeck: JOURNAL ERROR: {why}; stopping, traffic stays where it is"
            ));
            return finish(session, Outcome::Stopped, &options, &why, printed, out);
        }
        match session.release.phase() {
            PhaseName::Done => return finish(session, Outcome::Promoted, &options, "promoted", printed, out),
            PhaseName::RolledBack => {
                return finish(session, Outcome::RolledBack, &options, "rolled back", printed, out);
            }
            PhaseName::Aborted => return finish(session, Outcome::Stopped, &options, "aborted", printed, out),
            PhaseName::RollingBack => {}
            _ => {
                if let Some(why) = needs_a_person(&session.release, options.yes || options.crew) {
                    let reason = format!("held: {why}");
                    return finish(session, Outcome::Stopped, &options, &reason, printed, out);
                }
                if let Some(stuck) = progress.stuck(&session.release, now, options.max_hold) {
                    return finish(session, Outcome::Stopped, &options, &stuck, printed, out);
                }
            }
        }
        if options.yes
            && let Some(command) = next_signature(&session.release)
        {
            let open = open_signatures(&session.release);
            session.command(command, signer.clone());
            if open_signatures(&session.release) < open {
                continue;
            }
        }
        tokio::select! {
            Some(observation) = observations.recv() => {
                session.observe(observation);
                while let Ok(more) = observations.try_recv() {
                    session.observe(more);
                }
            }
            _ = ticker.tick() => session.tick(),
            name = signals.stop() => {
                let operator = options.operator.clone();
                let (outcome, why) = match finish_rollback(&mut session, &mut observations, &mut signals, &operator, name).await {
                    Finished::NothingInFlight => (Outcome::Stopped, format!("stopped by {name}")),
                    Finished::RolledBack => (
                        Outcome::RolledBack,
                        format!("stopped by {name} once the rollback was acknowledged"),
                    ),
                    Finished::NotAcknowledged => (
                        Outcome::Stopped,
                        format!("stopped by {name}: the rollback was not acknowledged in time"),
                    ),
                };
                return finish(session, outcome, &options, &why, printed, out);
            }
        }
    }
}

/// Whether the release is getting anywhere: it is while its stage, its step or the time
/// left in its hold changes. A hold, a gate that warns once the hold is done, a router that
/// never confirms or a pause all leave them still, and all count towards `--max-hold`.
struct Progress {
    mark: (usize, Step, Option<i64>),
    since: DateTime<Utc>,
}

impl Progress {
    fn new(release: &Release, now: DateTime<Utc>) -> Progress {
        Progress {
            mark: Progress::mark_of(release),
            since: now,
        }
    }

    fn mark_of(release: &Release) -> (usize, Step, Option<i64>) {
        let left = release.hold_remaining().map(|d| d.num_seconds());
        (release.stage(), release.step(), left)
    }

    /// Why the run gives up, once the release has made no progress for longer than `limit`.
    fn stuck(&mut self, release: &Release, now: DateTime<Utc>, limit: chrono::Duration) -> Option<String> {
        let mark = Progress::mark_of(release);
        if mark != self.mark {
            self.mark = mark;
            self.since = now;
            return None;
        }
        if now - self.since <= limit {
            return None;
        }
        let why = release
            .waiting_on()
            .unwrap_or_else(|| format!("{} at stage {}", release.phase(), release.stage() + 1));
        Some(format!(
            "no progress for longer than --max-hold {}s: {why}",
            limit.num_seconds()
        ))
    }
}

/// Why the release waits for something headless mode may not do, if it does.
fn needs_a_person(release: &Release, someone_signs: bool) -> Option<String> {
    release.holds().iter().find_map(|reason| match reason {
        HoldReason::ChecklistOpen { .. } | HoldReason::ApprovalPending { .. } if !someone_signs => Some(format!(
            "{reason}; nobody to sign in headless mode (pass --yes to sign as the operator)"
        )),
        HoldReason::TriggerFired { .. } => Some(format!("{reason}; a person must decide")),
        _ => None,
    })
}

fn open_signatures(release: &Release) -> usize {
    release
        .progress(release.stage())
        .map_or(0, |p| p.open_items() + p.pending_roles().len())
}

/// The next checklist item or approval to sign with --yes.
fn next_signature(release: &Release) -> Option<Command> {
    if release.step() != Step::Preparing || !release.phase().is_live() || release.phase().is_over() {
        return None;
    }
    let progress = release.progress(release.stage())?;
    if let Some(item) = progress.items.iter().position(|i| i.is_none()) {
        return Some(Command::ToggleItem { item });
    }
    let (role, _) = progress.approvals.iter().find(|(_, s)| s.is_none())?;
    Some(Command::Approve { role: role.clone() })
}

/// Closes the session with a note of why, prints what is left and says how it ended. The
/// output may be gone (that may be why the run ends): the journal has the note either way.
fn finish(
    mut session: Session,
    outcome: Outcome,
    options: &Options,
    why: &str,
    printed: u64,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    session.close(options.operator.clone(), &format!("headless run ended: {why}"));
    let _ = print_new(&session.release, printed, out);
    if let Some(error) = session.journal_error() {
        let _ = writeln!(out, "JOURNAL ERROR: {error}");
    }
    let _ = out.flush();
    Ok(outcome)
}

/// Prints the entries recorded since `printed`; returns the new count.
fn print_new(release: &Release, printed: u64, out: &mut impl Write) -> std::io::Result<u64> {
    let recorded = release.recorded();
    let fresh = (recorded - printed).min(release.log().len() as u64) as usize;
    let log = release.log();
    for entry in log.iter().skip(log.len() - fresh) {
        writeln!(out, "{}", line(entry))?;
    }
    out.flush()?;
    Ok(recorded)
}

/// `2026-11-22T10:00:05Z running shipdeck: stage 2/6: canary 5% (weight 5%, hold 5m)`,
/// always one line: a control character in what an entry quotes is shown escaped.
pub fn line(entry: &LogEntry) -> String {
    format!(
        "{} {} {}: {}",
        entry.time.format("%Y-%m-%dT%H:%M:%SZ"),
        serde_json::to_value(entry.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        one_line(&entry.actor.to_string(), LINE_CHARS),
        one_line(&entry.message, LINE_CHARS)
    )
}

/// No entry needs more than this on a line; anything longer is cut.
const LINE_CHARS: usize = 4000;
