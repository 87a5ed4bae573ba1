//! One live release: the engine, its journal, and the channels to the backend tasks.
//! Every front end (the cockpit now; headless and remote viewers later) drives this.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::deploys::deploy_task;
use super::journal_writer::{JournalErrors, JournalWriter};
use super::tasks::{self, Aside};
use super::weights::WeightGate;
use crate::backend::kube::lease::TargetLease;
use crate::backend::{Deployer, MetricsSource, TrafficRouter, Watches};
use crate::clock::Clock;
use crate::engine::{Actor, Command, DeployOrder, Effect, Event, Observation, Release};
use crate::journal::{Journal, JournalError};
use crate::plan::{Source, ValidPlan};
use crate::sim::Crew;

pub struct Session {
    pub release: Release,
    pub clock: Clock,
    journal: JournalWriter,
    weights: WeightGate,
    asides: mpsc::Sender<Aside>,
    /// The deploy the deploy task follows; `None` stops it.
    deploys: watch::Sender<Option<DeployOrder>>,
    crew: Option<Crew>,
    /// For tasks started after the release (the target's Lease).
    observations: mpsc::Sender<Observation>,
}

pub struct Backends {
    pub router: Box<dyn TrafficRouter>,
    pub metrics: Box<dyn MetricsSource>,
    /// Sets the images of stages that deploy; `None` for a router without workloads.
    pub deployer: Option<Box<dyn Deployer>>,
    /// Report what the target's objects hold; `None` off Kubernetes.
    pub watches: Option<Watches>,
}

impl Session {
    /// Writes the release's first entries to the journal and forces them to disk, then
    /// starts the backend tasks on the current tokio runtime. A journal that cannot be
    /// written refuses the release before anything has started. Observations arrive on the
    /// returned receiver.
    pub fn start(
        plan: Arc<ValidPlan>,
        backends: Backends,
        clock: Clock,
        mut journal: Journal,
        crew: Option<Crew>,
    ) -> Result<(Session, mpsc::Receiver<Observation>), JournalError> {
        // The release starts now: what the metrics source read before this is history.
        let started = clock.now();
        let (release, fx) = Release::new(Arc::clone(&plan), started);
        let written = fx
            .iter()
            .filter_map(|e| match e {
                Effect::Record(entry) => Some(entry),
                _ => None,
            })
            .try_for_each(|entry| journal.append(entry))
            .and_then(|()| journal.sync());
        if let Err(cause) = written {
            return Err(JournalError {
                path: journal.path().display().to_string(),
                cause,
            });
        }
        let (obs_tx, obs_rx) = mpsc::channel(1024);
        // The engine hears of a journal failure as soon as the journal thread does.
        let failures = obs_tx.clone();
        let on_failure = Box::new(move |message| {
            let _ = failures.try_send(Observation::JournalFailed { message });
        });
        let path = journal.path().display().to_string();
        let writer = JournalWriter::spawn(journal, on_failure).map_err(|cause| JournalError { path, cause })?;
        let (weights, weight_rx) = WeightGate::new();
        let (asides, asides_rx) = mpsc::channel(4);
        tokio::spawn(tasks::router_task(
            backends.router,
            weight_rx,
            asides_rx,
            obs_tx.clone(),
        ));
        let (deploys, deploy_rx) = watch::channel(None);
        tokio::spawn(deploy_task(backends.deployer, deploy_rx, obs_tx.clone()));
        if let Some(watches) = backends.watches {
            tokio::spawn(watches(obs_tx.clone()));
        }
        let interval = std::time::Duration::from_secs(plan.analysis.interval.as_secs().max(1));
        // A sample may wait for a free request slot before its own timeout starts.
        let limit = match &plan.analysis.source {
            Source::Prometheus(p) => std::time::Duration::from_secs(p.timeout.as_secs() * 2 + 1),
            Source::Sim => std::time::Duration::from_secs(5),
        };
        tokio::spawn(tasks::metrics_task(
            backends.metrics,
            plan.metrics.clone(),
            interval,
            limit,
            clock,
            started,
            obs_tx.clone(),
        ));
        let mut session = Session {
            release,
            clock,
            journal: writer,
            weights,
            asides,
            deploys,
            crew,
            observations: obs_tx,
        };
        let rest: Vec<Effect> = fx.into_iter().filter(|e| !matches!(e, Effect::Record(_))).collect();
        session.execute(rest);
        Ok((session, obs_rx))
    }

    /// Keeps the target's Lease renewed while the release runs; a renewal that fails is
    /// said to the engine, never waited on.
    pub fn keep_lease(&self, lease: Arc<TargetLease>) {
        tokio::spawn(tasks::lease_task(lease, self.observations.clone()));
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

    /// A handle on the journal's failure that outlives the session.
    pub fn journal_errors(&self) -> JournalErrors {
        self.journal.errors()
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
        // Should the journal thread's own report not have got through, the engine still
        // learns of a failure before anything else happens.
        if let Some(message) = self.journal.error()
            && self.release.journal_failure().is_none()
        {
            let fx = self
                .release
                .handle(Event::Observe(Observation::JournalFailed { message }), now);
            self.execute(fx);
        }
        let fx = self.release.handle(event, now);
        self.execute(fx);
    }

    /// Carries out the engine's effects. A move to 0% goes to the router at once; any
    /// other traffic change only once the entries of the same event are on disk.
    fn execute(&mut self, effects: Vec<Effect>) {
        let mut deferred = Vec::new();
        for effect in effects {
            match effect {
                Effect::SetWeight(weight) => {
                    tracing::info!(%weight, "weight requested");
                    deferred.extend(self.weights.request(weight));
                }
                Effect::RestorePrevious { version } => {
                    if self.asides.try_send(Aside::Restore(version)).is_err() {
                        tracing::warn!("restore request dropped: one is already queued");
                    }
                }
                Effect::PauseTarget(paused) => {
                    if self.asides.try_send(Aside::Pause(paused)).is_err() {
                        tracing::warn!("pause request dropped: the router task is behind");
                    }
                }
                Effect::Deploy(order) => {
                    // Like a weight, a new image goes out only once its record is on disk.
                    let deploys = self.deploys.clone();
                    self.journal.after_durable(move || {
                        deploys.send_replace(Some(order));
                    });
                }
                Effect::StopDeploy => {
                    self.deploys.send_replace(None);
                }
                Effect::Record(entry) => {
                    tracing::info!(event = ?entry.event, actor = %entry.actor, "{}", entry.message);
                    self.journal.append(entry);
                }
            }
        }
        for request in deferred {
            let weights = self.weights.clone();
            self.journal.after_durable(move || {
                weights.release(request);
            });
        }
    }
}
