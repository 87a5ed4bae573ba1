//! One live release: the engine, its journal, and the channels to the backend tasks.
//! Every front end (the cockpit now; headless and remote viewers later) drives this.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::journal_writer::JournalWriter;
use super::tasks;
use crate::backend::{MetricsSource, TrafficRouter};
use crate::clock::Clock;
use crate::engine::{Actor, Command, Effect, Event, Observation, Release};
use crate::journal::Journal;
use crate::plan::{Plan, Weight};
use crate::sim::Crew;

pub struct Session {
    pub release: Release,
    pub clock: Clock,
    journal: JournalWriter,
    weight_tx: watch::Sender<Option<Weight>>,
    restore_tx: mpsc::Sender<String>,
    crew: Option<Crew>,
}

pub struct Backends {
    pub router: Box<dyn TrafficRouter>,
    pub metrics: Box<dyn MetricsSource>,
}

impl Session {
    /// Starts the backend tasks on the current tokio runtime. Observations arrive on the
    /// returned receiver.
    pub fn start(
        plan: Arc<Plan>,
        backends: Backends,
        clock: Clock,
        journal: Journal,
        crew: Option<Crew>,
    ) -> (Session, mpsc::Receiver<Observation>) {
        let (obs_tx, obs_rx) = mpsc::channel(1024);
        let (weight_tx, weight_rx) = watch::channel(None);
        let (restore_tx, restore_rx) = mpsc::channel(4);
        tokio::spawn(tasks::router_task(
            backends.router,
            weight_rx,
            restore_rx,
            obs_tx.clone(),
        ));
        let interval = std::time::Duration::from_secs(plan.analysis.interval.as_secs().max(1));
        // A sample may wait for a free request slot before its own timeout starts.
        let limit = plan
            .analysis
            .prometheus
            .as_ref()
            .map_or(std::time::Duration::from_secs(5), |p| {
                std::time::Duration::from_secs(p.timeout.as_secs() * 2 + 1)
            });
        // The release starts now: what the metrics source read before this is history.
        let started = clock.now();
        tokio::spawn(tasks::metrics_task(
            backends.metrics,
            plan.metrics.clone(),
            interval,
            limit,
            clock,
            started,
            obs_tx,
        ));
        let (release, fx) = Release::new(plan, started);
        let mut session = Session {
            release,
            clock,
            journal: JournalWriter::spawn(journal),
            weight_tx,
            restore_tx,
            crew,
        };
        session.execute(fx);
        (session, obs_rx)
    }

    pub fn command(&mut self, command: Command, actor: Actor) {
        self.dispatch(Event::Command(command, actor));
    }

    pub fn observe(&mut self, observation: Observation) {
        self.dispatch(Event::Observe(observation));
    }

    /// Time passes: the crew may act, then time-based rules run.
    pub fn tick(&mut self) {
        let now = self.clock.now();
        if let Some(crew) = &mut self.crew
            && let Some((command, actor)) = crew.act(&self.release, now)
        {
            self.dispatch(Event::Command(command, actor));
        }
        self.dispatch(Event::Tick);
    }

    /// The last journal failure: shown on screen, since a release must not run
    /// unrecorded without anyone knowing.
    pub fn journal_error(&self) -> Option<String> {
        self.journal.error()
    }

    /// Records that the cockpit is closing and forces the journal to disk.
    pub fn close(&mut self, actor: Actor, why: &str) {
        let weight = self
            .release
            .actual_weight()
            .map_or_else(|| "unknown".into(), |w| w.to_string());
        let text = format!(
            "cockpit closed ({why}) while {}; canary weight {weight}",
            self.release.phase()
        );
        self.command(Command::Note(text), actor);
        self.journal.close();
    }

    fn dispatch(&mut self, event: Event) {
        let now = self.clock.now();
        let fx = self.release.handle(event, now);
        self.execute(fx);
    }

    fn execute(&mut self, effects: Vec<Effect>) {
        for effect in effects {
            match effect {
                Effect::SetWeight(weight) => {
                    tracing::info!(%weight, "weight requested");
                    self.weight_tx.send_replace(Some(weight));
                }
                Effect::RestorePrevious { version } => {
                    if self.restore_tx.try_send(version).is_err() {
                        tracing::warn!("restore request dropped: one is already queued");
                    }
                }
                Effect::Record(entry) => {
                    tracing::info!(event = ?entry.event, actor = %entry.actor, "{}", entry.message);
                    self.journal.append(entry);
                }
            }
        }
    }
}
