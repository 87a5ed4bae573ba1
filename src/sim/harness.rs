//! Engine + simulator stepped in virtual time with no runtime at all: for tests,
//! benchmarks and screen snapshots. The live runtime does the same on real timers.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::{Crew, Scenario, SimWorld};
use crate::engine::{Actor, Command, Effect, Event, LogEntry, Observation, Release};
use crate::plan::ValidPlan;

pub struct Harness {
    plan: Arc<ValidPlan>,
    pub release: Release,
    pub world: SimWorld,
    crew: Option<Crew>,
    now: DateTime<Utc>,
    next_sample: DateTime<Utc>,
    /// Every journal entry the engine produced, in order.
    pub journal: Vec<LogEntry>,
}

impl Harness {
    /// `crew`: whether the simulated crew ticks checklists and signs approvals.
    pub fn new(plan: Arc<ValidPlan>, scenario: Scenario, seed: u64, start: DateTime<Utc>, crew: bool) -> Harness {
        let (release, fx) = Release::new(Arc::clone(&plan), start);
        let mut harness = Harness {
            plan,
            release,
            world: SimWorld::new(seed, scenario, start),
            crew: crew.then(|| Crew::new(seed)),
            now: start,
            next_sample: start,
            journal: Vec::new(),
        };
        harness.apply(fx);
        harness
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Sends a command as `actor` at the current virtual time.
    pub fn command(&mut self, command: Command, actor: Actor) {
        let fx = self.release.handle(Event::Command(command, actor), self.now);
        self.apply(fx);
    }

    /// Advances one virtual second: crew, due samples, then a tick.
    pub fn step(&mut self) {
        self.now += Duration::seconds(1);
        if let Some(crew) = &mut self.crew
            && let Some((command, actor)) = crew.act(&self.release, self.now)
        {
            let fx = self.release.handle(Event::Command(command, actor), self.now);
            self.apply(fx);
        }
        if self.now >= self.next_sample {
            self.next_sample = self.now + self.release.plan().analysis.interval.to_chrono();
            let plan = Arc::clone(&self.plan);
            for (i, metric) in plan.metrics.iter().enumerate() {
                let (canary, baseline) = self.world.sample(i, metric, self.now);
                let obs = Observation::Sample {
                    metric: i,
                    canary,
                    baseline,
                    at: self.now,
                };
                let fx = self.release.handle(Event::Observe(obs), self.now);
                self.apply(fx);
            }
        }
        let fx = self.release.handle(Event::Tick, self.now);
        self.apply(fx);
    }

    pub fn run_for(&mut self, seconds: i64) {
        for _ in 0..seconds {
            self.step();
        }
    }

    /// Steps until `done` holds or `max_seconds` pass; true if it held.
    pub fn run_until(&mut self, max_seconds: i64, mut done: impl FnMut(&Release) -> bool) -> bool {
        for _ in 0..max_seconds {
            if done(&self.release) {
                return true;
            }
            self.step();
        }
        done(&self.release)
    }

    /// The simulated router applies weights at once and confirms them.
    fn apply(&mut self, effects: Vec<Effect>) {
        let mut queue = effects;
        while !queue.is_empty() {
            let mut next = Vec::new();
            for effect in queue {
                match effect {
                    Effect::SetWeight(w) => {
                        let actual = self.world.set_weight(w, self.now);
                        let obs = Observation::WeightApplied { actual };
                        next.extend(self.release.handle(Event::Observe(obs), self.now));
                    }
                    Effect::RestorePrevious { .. } => {
                        next.extend(
                            self.release
                                .handle(Event::Observe(Observation::PreviousRestored), self.now),
                        );
                    }
                    Effect::Record(entry) => self.journal.push(entry),
                    // Plans on the simulator deploy nothing (`check` refuses it).
                    Effect::Deploy(_) | Effect::StopDeploy | Effect::PauseTarget(_) => {}
                }
            }
            queue = next;
        }
    }
}
