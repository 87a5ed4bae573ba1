//! Deterministic release states for screen tests: the canary plan driven through the engine
//! with scripted commands and observations at fixed virtual times. The router confirms each
//! weight one interval after it is asked (unless told not to) and both metrics are sampled
//! every 5 s with small fixed wiggles, so every build produces the same screens.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use shipdeck::engine::{
    Actor, Command, DeployOrder, Effect, Event, History, Observation, PastPoint, PhaseName, Reading, Release,
    RolloutProgress, Step,
};
use shipdeck::plan::{ValidPlan, Weight};

pub const INTERVAL: i64 = 5;

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub fn plan() -> Arc<ValidPlan> {
    Arc::new(shipdeck::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plans/canary.yaml loads"))
}

/// What the metrics report for the canary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    /// Error rate 0.7%: over the 0.5% gate, under the 1% rollback trigger.
    ErrorsHigh,
    /// Error rate 1.6%: over the rollback trigger.
    ErrorSpike,
    /// The latency query returns nothing for the canary.
    LatencyMissing,
    /// Canary p99 around 205 ms against the baseline's 176: under every gate (×1.16 < ×1.2),
    /// but over the judge's band and allowed increase (×1.1): latency is High.
    LatencyHigh,
}

pub struct Drive {
    pub release: Release,
    pub now: DateTime<Utc>,
    pub health: Health,
    /// Whether the router confirms weight requests.
    pub router_ok: bool,
    pending: Option<Weight>,
    samples: u64,
    /// Every deploy the engine ordered, oldest first.
    pub deploys: Vec<DeployOrder>,
    /// How many times it stopped following one.
    pub deploys_stopped: usize,
}

impl Drive {
    pub fn new() -> Drive {
        Drive::with_plan(plan())
    }

    /// A drive of another plan whose first two metrics are an error rate and a latency.
    pub fn of(path: &str) -> Drive {
        Drive::with_plan(Arc::new(
            shipdeck::plan::load(std::path::Path::new(path)).expect("the plan loads"),
        ))
    }

    fn with_plan(plan: Arc<ValidPlan>) -> Drive {
        let (release, fx) = Release::new(plan, t0());
        let mut d = Drive {
            release,
            now: t0(),
            health: Health::Healthy,
            router_ok: true,
            pending: None,
            samples: 0,
            deploys: Vec::new(),
            deploys_stopped: 0,
        };
        d.absorb(fx);
        d
    }

    fn absorb(&mut self, fx: Vec<Effect>) {
        for effect in fx {
            match effect {
                Effect::SetWeight(w) => self.pending = Some(w),
                Effect::Deploy(order) => self.deploys.push(order),
                Effect::StopDeploy => self.deploys_stopped += 1,
                _ => {}
            }
        }
    }

    pub fn event(&mut self, event: Event) {
        let fx = self.release.handle(event, self.now);
        self.absorb(fx);
    }

    pub fn command(&mut self, command: Command, who: &str) {
        self.event(Event::Command(command, Actor::person(who, None)));
    }

    pub fn observe(&mut self, observation: Observation) {
        self.event(Event::Observe(observation));
    }

    /// One analysis interval: time passes, the router answers, both metrics are sampled.
    pub fn step(&mut self) {
        self.now += Duration::seconds(INTERVAL);
        if self.router_ok
            && let Some(w) = self.pending.take()
        {
            self.observe(Observation::WeightApplied { actual: w });
        }
        self.sample();
        self.event(Event::Tick);
    }

    pub fn run(&mut self, secs: i64) {
        for _ in 0..secs / INTERVAL {
            self.step();
        }
    }

    pub fn run_until(&mut self, what: &str, done: impl Fn(&Release) -> bool) {
        for _ in 0..2000 {
            if done(&self.release) {
                return;
            }
            self.step();
        }
        panic!(
            "never reached: {what} (phase {}, stage {})",
            self.release.phase(),
            self.release.stage()
        );
    }

    fn sample(&mut self) {
        let k = [0.0, 1.0, 2.0, 1.0, 0.0, -1.0, -2.0, -1.0][(self.samples % 8) as usize];
        self.samples += 1;
        let exposed = self.release.actual_weight().is_some_and(|w| w > Weight::ZERO);
        let no_traffic = || Reading::NoData("no canary traffic".into());
        let errors = match self.health {
            Health::ErrorsHigh => 0.70 + 0.02 * k,
            Health::ErrorSpike => 1.60 + 0.05 * k,
            _ => 0.18 + 0.01 * k,
        };
        let error_canary = if exposed { Reading::Value(errors) } else { no_traffic() };
        let latency_canary = if !exposed {
            no_traffic()
        } else if self.health == Health::LatencyMissing {
            Reading::NoData("prometheus: empty result for the canary query".into())
        } else if self.health == Health::LatencyHigh {
            Reading::Value(205.0 + 3.0 * k)
        } else {
            Reading::Value(182.0 + 3.0 * k)
        };
        let at = self.now;
        self.observe(Observation::Sample {
            metric: 0,
            canary: error_canary,
            baseline: Reading::Value(0.18 + 0.005 * k),
            at,
        });
        self.observe(Observation::Sample {
            metric: 1,
            canary: latency_canary,
            baseline: Reading::Value(176.0 + 2.0 * k),
            at,
        });
    }

    /// Lets a deploying first stage's pods come up (none are asked for: the canary of a
    /// replicas plan starts at 0), ticks the go/no-go checklist (ana, 40 s apart) and signs
    /// the team approval (sam): GO.
    pub fn go(&mut self) {
        if let Some(stage) = self.release.deploying().map(|d| d.order.stage) {
            self.run(30);
            let progress = RolloutProgress {
                observed: true,
                ..RolloutProgress::default()
            };
            self.observe(Observation::DeployProgress { stage, progress });
            self.run_until("the deploy's stage is done", |r| r.stage() > stage);
        }
        let checklist = self.release.stage();
        let items = self.release.progress(checklist).map_or(0, |p| p.items.len());
        for item in 0..items {
            self.run(40);
            self.command(Command::ToggleItem { item }, "ana");
        }
        self.run_until("the go stage asks for its approval", |r| {
            r.stage() == checklist + 1 && r.step() == Step::Preparing
        });
        self.run(30);
        self.command(Command::Approve { role: "team".into() }, "sam");
    }

    /// Runs healthy until stage `stage` (0-based) is holding.
    pub fn hold_at(&mut self, stage: usize) {
        self.run_until("the stage holds", |r| r.stage() == stage && r.step() == Step::Holding);
    }
}

// ----- the states the screens are shown in ---------------------------------------------------

/// Just loaded: the go/no-go checklist open, one item ticked.
pub fn start() -> Drive {
    let mut d = Drive::new();
    d.run(40);
    d.command(Command::ToggleItem { item: 0 }, "ana");
    d.run(20);
    d
}

/// Canary at 25%, two minutes into its hold, all gates passing.
pub fn healthy_midway() -> Drive {
    let mut d = Drive::new();
    d.go();
    d.hold_at(2);
    d.run(120);
    assert_eq!(d.release.phase(), PhaseName::Running);
    d
}

/// At 25% the error rate climbs over the 0.5% gate (not the 1% trigger), starting just
/// before a judged interval, which sees one bad sample and passes: held at the moment the
/// gate's minute of breach is up, before the next interval, which sees the errors High and
/// rolls back (errors are critical in the plan).
pub fn failing_gate() -> Drive {
    let mut d = healthy_midway();
    d.run(50);
    d.health = Health::ErrorsHigh;
    d.run_until("the gate fails", |r| r.phase() != PhaseName::Running);
    assert_eq!(d.release.phase(), PhaseName::Held);
    d
}

/// At 25% the error rate has been over the 0.5% gate for 20 s of its minute: breached,
/// not yet a hold, and not all clear either.
pub fn gate_breached() -> Drive {
    let mut d = healthy_midway();
    d.run(50);
    d.health = Health::ErrorsHigh;
    d.run(20);
    assert_eq!(d.release.phase(), PhaseName::Running);
    d
}

/// At 25% the operator dialled 10% by hand: auto-advance stops until someone presses on.
pub fn manual_weight() -> Drive {
    let mut d = healthy_midway();
    let weight = Weight::new(10).unwrap();
    d.command(Command::SetWeight { weight, stage: 2 }, "ana");
    d.run(30);
    assert_eq!(d.release.phase(), PhaseName::Held);
    d
}

/// From the start of the 25% hold the canary's p99 runs 16% over the baseline's, two judged
/// intervals later: no gate minds, but the judge finds latency High, the interval scores 60
/// (errors pass, weight 60; latency fails, weight 40): MARGINAL, and the stage is held.
pub fn judged_high() -> Drive {
    let mut d = Drive::new();
    d.go();
    d.run_until("stage 3 starts", |r| r.stage() == 2);
    d.health = Health::LatencyHigh;
    d.hold_at(2);
    d.run(120);
    assert_eq!(d.release.phase(), PhaseName::Held);
    d
}

/// At 25% the latency query stops returning canary data: held.
pub fn missing_data() -> Drive {
    let mut d = healthy_midway();
    d.health = Health::LatencyMissing;
    d.run(20);
    assert_eq!(d.release.phase(), PhaseName::Held);
    d
}

/// The error spike breaches the auto-rollback trigger, which counts down its minute: the
/// rollback is coming but has not happened.
pub fn rollback_coming() -> Drive {
    let mut d = healthy_midway();
    d.health = Health::ErrorSpike;
    d.run_until("a trigger counts down", |r| {
        r.log().back().is_some_and(|e| r.rollback_coming(e.time).is_some())
    });
    d.run(20);
    assert!(d.release.rollback_coming(d.now).is_some(), "still counting down");
    d
}

/// The error spike trips the auto-rollback trigger; the router has not confirmed 0% yet.
pub fn rolling_back() -> Drive {
    let mut d = healthy_midway();
    d.health = Health::ErrorSpike;
    d.router_ok = false;
    d.run_until("the trigger rolls back", |r| r.phase() == PhaseName::RollingBack);
    d.run(10);
    d
}

/// Rolling back while the router's runtime API refuses: ROLLBACK PENDING.
pub fn rollback_pending() -> Drive {
    let mut d = rolling_back();
    d.observe(Observation::RouterFailed {
        message: "connection refused by /run/haproxy/admin.sock: is haproxy running?".into(),
    });
    d.run(5);
    d
}

/// The router confirmed 0% and the previous version is restored.
pub fn rolled_back() -> Drive {
    let mut d = rolling_back();
    d.router_ok = true;
    d.step();
    d.observe(Observation::PreviousRestored);
    d.run(60);
    assert_eq!(d.release.phase(), PhaseName::RolledBack);
    d
}

/// Promoted: all stages passed, verification ticked, a minute later.
pub fn done() -> Drive {
    let mut d = Drive::new();
    d.go();
    d.run_until("verification", |r| r.stage() == 5 && r.step() == Step::Preparing);
    for item in 0..3 {
        d.run(30);
        d.command(Command::ToggleItem { item }, if item == 1 { "sam" } else { "ana" });
    }
    d.run_until("promoted", |r| r.phase() == PhaseName::Done);
    d.run(60);
    d
}

/// At 50%, holding: the next stage is 100%, so `n` asks first.
pub fn before_full() -> Drive {
    let mut d = Drive::new();
    d.go();
    d.hold_at(3);
    d.run(60);
    d
}

/// Manual weight 20% at the 25% stage, then the router stops answering.
pub fn router_error() -> Drive {
    let mut d = healthy_midway();
    let stage = d.release.stage();
    d.command(
        Command::SetWeight {
            weight: Weight::new(20).unwrap(),
            stage,
        },
        "ana",
    );
    d.run(30);
    d.router_ok = false;
    d.observe(Observation::RouterFailed {
        message: "haproxy runtime API: connection refused (10.0.4.2:9999)".into(),
    });
    d.run(15);
    d
}

/// A retry: the backfill at start reads back the failed attempt of a few minutes ago (the
/// canary's errors at 1.6% until it was rolled back, then no canary traffic); this attempt
/// went at once (the crew had ticked everything) and its canary is healthy at 5%, one minute
/// into its hold.
pub fn retry_with_history() -> Drive {
    let mut d = Drive::new();
    let points = (1..=60)
        .rev()
        .flat_map(|k| {
            let at = t0() - Duration::seconds(INTERVAL * k);
            let wiggle = [0.0, 1.0, 2.0, 1.0, 0.0, -1.0, -2.0, -1.0][(k % 8) as usize];
            let canary_errors = (k > 20 && k <= 45).then_some(1.6 + 0.05 * wiggle);
            let canary_latency = (k > 20 && k <= 45).then_some(184.0 + 3.0 * wiggle);
            [
                PastPoint {
                    metric: 0,
                    at,
                    canary: canary_errors,
                    baseline: Some(0.18 + 0.005 * wiggle),
                },
                PastPoint {
                    metric: 1,
                    at,
                    canary: canary_latency,
                    baseline: Some(176.0 + 2.0 * wiggle),
                },
            ]
        })
        .collect();
    d.observe(Observation::History(History {
        span: shipdeck::plan::Span::minutes(5),
        points,
        problem: None,
    }));
    let items = d.release.progress(0).map_or(0, |p| p.items.len());
    for item in 0..items {
        d.command(Command::ToggleItem { item }, "ana");
    }
    d.run_until("stage 2 asks for its approval", |r| {
        r.stage() == 1 && r.step() == Step::Preparing
    });
    d.command(Command::Approve { role: "team".into() }, "sam");
    d.hold_at(1);
    d.run(60);
    assert_eq!(d.release.phase(), PhaseName::Running);
    d
}
