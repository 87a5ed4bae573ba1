//! The release engine's rules, on virtual time.
//!
//! A tiny driver (`Sim`) owns a `Release`, a hand-advanced clock and a simulated router
//! that applies every `SetWeight` at once by feeding `WeightApplied` back (it can be
//! switched off to watch the shifting step). Nothing sleeps; every time is a value.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use shipdeck::engine::release::LOG_CAPACITY;
use shipdeck::engine::{
    Actor, Command, DataStatus, Effect, Event, EventKind, GateStatus, History, HoldReason, LogEntry, Observation,
    PastPoint, PhaseName, Reading, Release, Step,
};
use shipdeck::plan::{SAMPLES_KEPT, Span, Weight};

// ----- plans ----------------------------------------------------------------------------

/// The parts of a test plan that tests vary; everything else is fixed and small.
/// Metrics: 0 = errors (%), 1 = latency (ms). Plans are validated on parse, so each one
/// names approvers, has a rollback trigger and ends at weight 100.
#[derive(Clone, Copy)]
struct Spec {
    kind: &'static str,
    /// The `approvals:` list, or None to leave it out (release-type default).
    approvals: Option<&'static str>,
    stale_after: &'static str,
    gates: &'static str,
    triggers: &'static str,
    checklists: &'static str,
    stages: &'static str,
}

const ERRORS_GATE: &str = "[{ name: errors low, metric: errors, max: 1.0, for: 1m }]";
/// A trigger the tests never breach (errors stay far below it) unless they mean to.
const QUIET_TRIGGER: &str = "[{ name: error meltdown, metric: errors, max: 100000, for: 1m, action: auto }]";
/// The same, on latency, for tests that feed latency only.
const LATENCY_TRIGGER: &str = "[{ name: latency meltdown, metric: latency, max: 100000, for: 1m, action: auto }]";
const THREE_STAGES: &str = "[{ name: five, weight: 5, hold: 5m }, \
     { name: fifty, weight: 50, hold: 5m }, \
     { name: full, weight: 100, hold: 5m }]";

impl Default for Spec {
    fn default() -> Self {
        Spec {
            kind: "minor",
            approvals: Some("[lead]"),
            stale_after: "30s",
            gates: ERRORS_GATE,
            triggers: QUIET_TRIGGER,
            checklists: "{}",
            stages: THREE_STAGES,
        }
    }
}

impl Spec {
    fn yaml(&self) -> String {
        let approvals = self.approvals.map(|a| format!("approvals: {a}\n")).unwrap_or_default();
        format!(
            r#"release:
  name: api
  version: "2.0.0"
  stable: "1.9.0"
  type: {kind}
  owner: {{ name: Ana }}
  on_call: {{ name: Sam }}
target: {{ router: sim }}
analysis: {{ interval: 5s, stale_after: {stale} }}
metrics:
  - {{ name: errors, unit: "%", canary: c, baseline: b }}
  - {{ name: latency, unit: ms, canary: c, baseline: b }}
gates: {gates}
rollback:
  triggers: {triggers}
{approvals}checklists: {checklists}
stages: {stages}
"#,
            kind = self.kind,
            stale = self.stale_after,
            gates = self.gates,
            triggers = self.triggers,
            checklists = self.checklists,
            stages = self.stages,
        )
    }
}

// ----- the driver -----------------------------------------------------------------------

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 10, 0, 0).unwrap()
}

fn w(percent: u8) -> Weight {
    Weight::new(percent).unwrap()
}

fn ana() -> Actor {
    Actor::person("ana", None)
}

fn sam() -> Actor {
    Actor::person("sam", Some("10.0.0.7".into()))
}

const ERRORS: usize = 0;
const LATENCY: usize = 1;
const GOOD: f64 = 0.1;
const BAD: f64 = 2.0;

struct Sim {
    release: Release,
    now: DateTime<Utc>,
    /// When true, every SetWeight is confirmed at once (WeightApplied fed back).
    router_live: bool,
}

impl Sim {
    fn new(spec: Spec) -> (Sim, Vec<Effect>) {
        let plan = shipdeck::plan::parse(&spec.yaml(), "test").expect("test plan parses");
        let (release, fx) = Release::new(Arc::new(plan), t0());
        let mut sim = Sim {
            release,
            now: t0(),
            router_live: true,
        };
        let echoed = sim.echo(&fx);
        (sim, [fx, echoed].concat())
    }

    /// A release whose lead approved at t0: it went and holds its first stage at 5%.
    fn started(spec: Spec) -> Sim {
        Sim::started_at(spec, w(5))
    }

    /// Like `started`, for plans whose first stage has another weight.
    fn started_at(spec: Spec, weight: Weight) -> Sim {
        let (mut sim, fx) = Sim::new(spec);
        assert!(set_weights(&fx).is_empty(), "no go before the approval: {fx:#?}");
        let fx = sim.cmd(Command::Approve { role: "lead".into() });
        assert_eq!(set_weights(&fx), vec![weight], "go on approval: {fx:#?}");
        assert_eq!(sim.release.step(), Step::Holding);
        assert_eq!(sim.release.phase(), PhaseName::Running);
        sim
    }

    fn secs(&self) -> i64 {
        (self.now - t0()).num_seconds()
    }

    /// Feeds the router's confirmations of these effects back, as a live router would.
    fn echo(&mut self, fx: &[Effect]) -> Vec<Effect> {
        let mut out = Vec::new();
        if !self.router_live {
            return out;
        }
        let mut queue: VecDeque<Weight> = set_weights(fx).into();
        let mut guard = 0;
        while let Some(weight) = queue.pop_front() {
            guard += 1;
            assert!(guard < 1000, "router echo does not settle");
            let more = self
                .release
                .handle(Event::Observe(Observation::WeightApplied { actual: weight }), self.now);
            queue.extend(set_weights(&more));
            out.extend(more);
        }
        out
    }

    /// Handles one event at the current time, then the router's confirmations.
    fn send(&mut self, event: Event) -> Vec<Effect> {
        let fx = self.release.handle(event, self.now);
        let echoed = self.echo(&fx);
        [fx, echoed].concat()
    }

    fn cmd(&mut self, command: Command) -> Vec<Effect> {
        self.send(Event::Command(command, ana()))
    }

    fn observe(&mut self, observation: Observation) -> Vec<Effect> {
        self.send(Event::Observe(observation))
    }

    /// Moves the clock to `secs` after t0 and ticks.
    fn tick_at(&mut self, secs: i64) -> Vec<Effect> {
        self.now = t0() + Duration::seconds(secs);
        self.send(Event::Tick)
    }

    /// Ticks once a second up to and including `secs` after t0.
    fn tick_each_second_to(&mut self, secs: i64) -> Vec<Effect> {
        let mut out = Vec::new();
        while self.secs() < secs {
            let next = self.secs() + 1;
            out.extend(self.tick_at(next));
        }
        out
    }

    fn sample(&mut self, metric: usize, canary: Reading) -> Vec<Effect> {
        let at = self.now;
        self.observe(Observation::Sample {
            metric,
            canary,
            baseline: Reading::Value(GOOD),
            at,
        })
    }

    /// Moves the clock to `secs` after t0 and delivers one errors sample taken then.
    fn errors_at(&mut self, secs: i64, value: f64) -> Vec<Effect> {
        self.now = t0() + Duration::seconds(secs);
        self.sample(ERRORS, Reading::Value(value))
    }

    /// Samples `metric` every 5 s with `value` until `secs` after t0 (inclusive).
    fn feed_to(&mut self, metric: usize, secs: i64, value: f64) -> Vec<Effect> {
        let mut out = Vec::new();
        while self.secs() + 5 <= secs {
            self.now += Duration::seconds(5);
            out.extend(self.sample(metric, Reading::Value(value)));
        }
        out
    }

    /// Advance from the stage the release is at now.
    fn advance(&self) -> Command {
        Command::Advance {
            from: self.release.stage(),
        }
    }

    /// A manual weight for the stage the release is at now.
    fn set_weight(&self, weight: Weight) -> Command {
        Command::SetWeight {
            weight,
            stage: self.release.stage(),
        }
    }

    fn holds(&self) -> Vec<HoldReason> {
        self.release.holds().to_vec()
    }

    fn remaining_secs(&self) -> Option<i64> {
        self.release.hold_remaining().map(|d| d.num_seconds())
    }
}

// ----- effect helpers -------------------------------------------------------------------

fn set_weights(fx: &[Effect]) -> Vec<Weight> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::SetWeight(w) => Some(*w),
            _ => None,
        })
        .collect()
}

fn restores(fx: &[Effect]) -> Vec<String> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::RestorePrevious { version } => Some(version.clone()),
            _ => None,
        })
        .collect()
}

fn records(fx: &[Effect]) -> Vec<&LogEntry> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Record(entry) => Some(entry),
            _ => None,
        })
        .collect()
}

fn kinds(fx: &[Effect]) -> Vec<EventKind> {
    records(fx).iter().map(|r| r.event).collect()
}

fn only_refused(fx: &[Effect]) {
    assert_eq!(
        kinds(fx),
        vec![EventKind::Refused],
        "expected exactly one refusal: {fx:#?}"
    );
}

// ----- pending: checklists and approvals ------------------------------------------------

#[test]
fn starts_pending_and_waits_for_release_type_default_approval() {
    let (sim, fx) = Sim::new(Spec {
        approvals: None,
        ..Spec::default()
    });
    assert_eq!(sim.release.phase(), PhaseName::Pending);
    assert_eq!(sim.release.step(), Step::Preparing);
    assert_eq!(kinds(&fx), vec![EventKind::Started]);
    assert!(set_weights(&fx).is_empty(), "no traffic before go: {fx:#?}");
    // minor: the team approves before go.
    assert_eq!(sim.release.release_approvals(), ["team".to_string()]);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::ApprovalPending {
            roles: vec!["team".into()]
        }]
    );
    assert_eq!(sim.remaining_secs(), None);
}

#[test]
fn checklist_and_approvals_must_both_be_complete_before_go() {
    let spec = Spec {
        approvals: Some("[lead]"),
        checklists: "{ pre: [CI green, backups verified] }",
        stages: "[{ name: five, checklist: pre, weight: 5, hold: 5m }, { name: full, weight: 100, hold: 5m }]",
        ..Spec::default()
    };
    let (mut sim, _) = Sim::new(spec);
    assert_eq!(
        sim.holds(),
        vec![
            HoldReason::ChecklistOpen { open: 2 },
            HoldReason::ApprovalPending {
                roles: vec!["lead".into()]
            }
        ]
    );

    let fx = sim.cmd(Command::ToggleItem { item: 0 });
    assert_eq!(kinds(&fx), vec![EventKind::ItemTicked]);
    let fx = sim.cmd(Command::Approve { role: "lead".into() });
    assert_eq!(kinds(&fx), vec![EventKind::Approved]);
    assert!(set_weights(&fx).is_empty(), "one item still open: {fx:#?}");
    assert_eq!(sim.release.phase(), PhaseName::Pending);
    assert_eq!(sim.holds(), vec![HoldReason::ChecklistOpen { open: 1 }]);

    // Unticking re-opens the item; ticking both completes the stage: go.
    sim.cmd(Command::ToggleItem { item: 0 });
    assert_eq!(sim.holds(), vec![HoldReason::ChecklistOpen { open: 2 }]);
    sim.cmd(Command::ToggleItem { item: 0 });
    let fx = sim.cmd(Command::ToggleItem { item: 1 });
    assert_eq!(set_weights(&fx), vec![w(5)]);
    assert!(kinds(&fx).contains(&EventKind::Go), "{fx:#?}");
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert!(sim.holds().is_empty());
}

#[test]
fn hotfix_needs_lead_and_security_by_default() {
    let (mut sim, _) = Sim::new(Spec {
        kind: "hotfix",
        approvals: None,
        ..Spec::default()
    });
    assert_eq!(
        sim.release.release_approvals(),
        ["lead".to_string(), "security".to_string()]
    );
    let fx = sim.cmd(Command::Approve { role: "lead".into() });
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.phase(), PhaseName::Pending);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::ApprovalPending {
            roles: vec!["security".into()]
        }]
    );
    let fx = sim.send(Event::Command(
        Command::Approve {
            role: "security".into(),
        },
        sam(),
    ));
    assert_eq!(set_weights(&fx), vec![w(5)]);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    let signed = &sim.release.progress(0).unwrap().approvals;
    assert_eq!(signed[1].0, "security");
    assert_eq!(signed[1].1.as_ref().unwrap().by, sam());
}

#[test]
fn plan_approvals_override_the_release_type_default() {
    let (mut sim, _) = Sim::new(Spec {
        kind: "hotfix",
        approvals: Some("[qa]"),
        ..Spec::default()
    });
    assert_eq!(sim.release.release_approvals(), ["qa".to_string()]);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::ApprovalPending {
            roles: vec!["qa".into()]
        }]
    );
    // The hotfix default roles are not asked for any more.
    only_refused(&sim.cmd(Command::Approve { role: "lead".into() }));
    let fx = sim.cmd(Command::Approve { role: "qa".into() });
    assert_eq!(set_weights(&fx), vec![w(5)]);
}

#[test]
fn approving_an_unknown_role_is_refused_and_changes_nothing() {
    let (mut sim, _) = Sim::new(Spec {
        approvals: None,
        ..Spec::default()
    });
    let before = sim.release.progress(0).unwrap().clone();
    let fx = sim.cmd(Command::Approve { role: "cto".into() });
    only_refused(&fx);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.phase(), PhaseName::Pending);
    assert_eq!(sim.release.progress(0).unwrap().approvals, before.approvals);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::ApprovalPending {
            roles: vec!["team".into()]
        }]
    );
}

#[test]
fn approving_twice_is_refused_and_keeps_the_first_signature() {
    let (mut sim, _) = Sim::new(Spec {
        kind: "hotfix",
        approvals: None,
        ..Spec::default()
    });
    sim.now += Duration::seconds(10);
    sim.cmd(Command::Approve { role: "lead".into() });
    sim.now += Duration::seconds(10);
    let fx = sim.send(Event::Command(Command::Approve { role: "lead".into() }, sam()));
    only_refused(&fx);
    let lead = &sim.release.progress(0).unwrap().approvals[0];
    let signed = lead.1.as_ref().unwrap();
    assert_eq!((signed.by.clone(), signed.at), (ana(), t0() + Duration::seconds(10)));
    assert_eq!(
        sim.holds(),
        vec![HoldReason::ApprovalPending {
            roles: vec!["security".into()]
        }]
    );
}

#[test]
fn release_approvals_sit_on_the_first_stage_with_traffic() {
    // A go/no-go stage at weight 0 with its checklist, then the first canary step.
    let spec = Spec {
        approvals: None,
        checklists: "{ pre: [CI green] }",
        stages: "[{ name: go/no-go, checklist: pre, weight: 0 }, { name: five, weight: 5, hold: 5m }, \
                 { name: full, weight: 100, hold: 5m }]",
        ..Spec::default()
    };
    let (mut sim, _) = Sim::new(spec);
    assert!(sim.release.progress(0).unwrap().pending_roles().is_empty());
    assert_eq!(
        sim.release.progress(1).unwrap().pending_roles(),
        vec!["team".to_string()]
    );
    only_refused(&sim.cmd(Command::Approve { role: "team".into() }));

    let fx = sim.cmd(Command::ToggleItem { item: 0 });
    assert!(
        set_weights(&fx).iter().all(|w| *w == Weight::ZERO),
        "no canary traffic before go: {fx:#?}"
    );
    assert!(!kinds(&fx).contains(&EventKind::Go));
    assert_eq!(sim.release.stage(), 1);
    assert_eq!(sim.release.phase(), PhaseName::Pending);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::ApprovalPending {
            roles: vec!["team".into()]
        }]
    );

    let fx = sim.cmd(Command::Approve { role: "team".into() });
    assert!(kinds(&fx).contains(&EventKind::Go));
    assert_eq!(set_weights(&fx), vec![w(5)]);
}

// ----- go and the router ----------------------------------------------------------------

#[test]
fn go_requests_the_stage_weight_and_holds_only_once_the_router_confirms() {
    let (mut sim, _) = Sim::new(Spec {
        approvals: None,
        ..Spec::default()
    });
    sim.router_live = false;
    let fx = sim.cmd(Command::Approve { role: "team".into() });
    assert_eq!(set_weights(&fx), vec![w(5)]);
    assert_eq!(sim.release.step(), Step::Shifting);
    assert_eq!(sim.release.desired_weight(), w(5));
    // Waiting for an answer is not a hold; a router that fails is.
    assert_eq!(sim.holds(), vec![]);
    assert_eq!(sim.remaining_secs(), None);
    sim.observe(Observation::RouterFailed {
        message: "socket refused".into(),
    });
    assert_eq!(
        sim.holds(),
        vec![HoldReason::RouterFailing {
            message: "socket refused".into()
        }]
    );
    assert_eq!(sim.release.phase(), PhaseName::Held);

    // Time does not count towards the hold while traffic is shifting.
    sim.tick_at(120);
    assert_eq!(sim.release.step(), Step::Shifting);
    // A confirmation of some other weight is not the stage's weight.
    sim.observe(Observation::WeightApplied { actual: w(3) });
    assert_eq!(sim.release.step(), Step::Shifting);

    let fx = sim.observe(Observation::WeightApplied { actual: w(5) });
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.step(), Step::Holding);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert_eq!(sim.release.actual_weight(), Some(w(5)));
    assert_eq!(sim.remaining_secs(), Some(300));
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Waiting);
}

// ----- auto-advance ---------------------------------------------------------------------

#[test]
fn auto_advances_once_the_hold_elapses_with_passing_gates_and_not_before() {
    let mut sim = Sim::started(Spec::default());
    let fx = sim.feed_to(ERRORS, 295, GOOD);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Pass);
    let fx = sim.tick_at(299);
    assert!(set_weights(&fx).is_empty(), "1s of hold left: {fx:#?}");
    assert_eq!((sim.release.stage(), sim.remaining_secs()), (0, Some(1)));

    let fx = sim.tick_at(300);
    assert_eq!(set_weights(&fx), vec![w(50)]);
    assert!(kinds(&fx).contains(&EventKind::StageEntered));
    assert_eq!(sim.release.stage(), 1);
    assert_eq!(sim.release.step(), Step::Holding);
    assert_eq!(sim.remaining_secs(), Some(300));
    // Gates start over at the new weight.
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Waiting);
}

#[test]
fn no_auto_advance_while_a_gate_warns() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 270, GOOD);
    sim.feed_to(ERRORS, 300, BAD); // breached for 25s of a 1m `for`
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    let fx = sim.tick_at(301);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.stage(), 0);
    assert_eq!(sim.remaining_secs(), Some(0));

    let fx = sim.errors_at(305, GOOD);
    assert_eq!(set_weights(&fx), vec![w(50)]);
    assert_eq!(sim.release.stage(), 1);
}

#[test]
fn no_auto_advance_while_a_gate_waits_for_its_first_sample() {
    let spec = Spec {
        stages: "[{ name: five, weight: 5, hold: 20s }, { name: full, weight: 100, hold: 5m }]",
        ..Spec::default()
    };
    let mut sim = Sim::started(spec);
    let fx = sim.tick_each_second_to(25);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Waiting);
    assert_eq!((sim.release.stage(), sim.release.phase()), (0, PhaseName::Running));

    let fx = sim.errors_at(26, GOOD);
    assert_eq!(set_weights(&fx), vec![w(100)]);
}

#[test]
fn only_gates_the_stage_analyses_decide_it() {
    let spec = Spec {
        gates: "[{ name: errors low, metric: errors, max: 1.0 }, { name: p99 low, metric: latency, max: 500 }]",
        stages: "[{ name: five, weight: 5, hold: 1m, analyse: [latency] }, { name: full, weight: 100, hold: 5m }]",
        triggers: LATENCY_TRIGGER,
        ..Spec::default()
    };
    let mut sim = Sim::started(spec);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Idle);
    assert!(!sim.release.gate_analysed(0));
    // A breaching errors sample does not hold a stage that analyses latency only.
    sim.errors_at(5, BAD);
    assert!(sim.holds().is_empty());
    let fx = sim.feed_to(LATENCY, 60, 200.0);
    assert_eq!(set_weights(&fx), vec![w(100)]);
    // The next stage analyses every metric: the errors gate counts again.
    assert!(sim.release.gate_analysed(0));
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Waiting);
}

// ----- gate `for` -----------------------------------------------------------------------

#[test]
fn a_breach_shorter_than_for_warns_and_a_longer_one_fails_and_holds() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    let fx = sim.errors_at(35, BAD);
    assert_eq!(kinds(&fx), vec![EventKind::GateWarning]);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    sim.feed_to(ERRORS, 90, BAD);
    sim.errors_at(94, BAD); // 59s of 60s
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert!(sim.holds().is_empty());

    let fx = sim.errors_at(95, BAD); // 60s
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Fail);
    assert!(kinds(&fx).contains(&EventKind::GateFailed));
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::GateFailing {
            gate: "errors low".into()
        }]
    );
    assert!(kinds(&fx).contains(&EventKind::Held));
    assert!(
        set_weights(&fx).is_empty(),
        "a failing gate holds, it does not roll back"
    );
    // The hold countdown stops while held.
    let frozen = sim.remaining_secs();
    sim.tick_each_second_to(200);
    assert_eq!(sim.remaining_secs(), frozen);

    let fx = sim.errors_at(205, GOOD);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert!(kinds(&fx).contains(&EventKind::Resumed));
}

// ----- stale data, no data, NaN ---------------------------------------------------------

#[test]
fn stale_data_holds_and_stops_the_countdown_until_fresh_data_arrives() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 60, GOOD);
    sim.tick_each_second_to(90); // exactly stale_after old: still fresh
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert_eq!(sim.remaining_secs(), Some(210));

    let fx = sim.tick_at(91);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Stale);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::Stale {
            metric: "errors".into(),
            age_secs: 31
        }]
    );
    assert!(kinds(&fx).contains(&EventKind::Held));
    // Time after the data went stale never counts.
    assert_eq!(sim.remaining_secs(), Some(210));
    sim.tick_each_second_to(700);
    assert_eq!(sim.remaining_secs(), Some(210));
    assert_eq!(sim.release.stage(), 0);

    sim.errors_at(705, GOOD);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert!(sim.holds().is_empty());
    assert_eq!(sim.remaining_secs(), Some(210));
    sim.feed_to(ERRORS, 910, GOOD);
    assert_eq!(sim.release.stage(), 0);
    let fx = sim.errors_at(915, GOOD);
    assert_eq!(set_weights(&fx), vec![w(50)]);
}

#[test]
fn stale_time_does_not_count_even_when_the_next_event_comes_late() {
    // No tick between the last sample and a much later event (a stalled runtime, a
    // fast virtual clock): the hold must still count only fresh time.
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 60, GOOD);
    sim.tick_at(600);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert_eq!(
        sim.remaining_secs(),
        Some(300 - 90),
        "only up to stale_after after the last sample counts"
    );

    let fx = sim.errors_at(605, GOOD);
    assert!(
        set_weights(&fx).is_empty(),
        "a minute of fresh data is not a five minute hold: {fx:#?}"
    );
    assert_eq!((sim.release.stage(), sim.release.phase()), (0, PhaseName::Running));
}

#[test]
fn no_sample_at_the_new_weight_holds_with_no_data() {
    let mut sim = Sim::started(Spec::default());
    sim.tick_each_second_to(30);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    sim.tick_each_second_to(31);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::NoData);
    assert!(matches!(&sim.holds()[..], [HoldReason::NoData { metric, .. }] if metric == "errors"));
    assert_eq!(sim.remaining_secs(), Some(270));
    sim.tick_each_second_to(100);
    assert_eq!(sim.remaining_secs(), Some(270));

    sim.errors_at(101, GOOD);
    assert_eq!(sim.release.phase(), PhaseName::Running);
}

#[test]
fn a_no_data_reading_holds_until_a_passing_value() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    sim.now = t0() + Duration::seconds(35);
    let fx = sim.sample(ERRORS, Reading::NoData("query timed out".into()));
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::NoData {
            metric: "errors".into(),
            why: "query timed out".into()
        }]
    );
    assert!(kinds(&fx).contains(&EventKind::Held));
    let frozen = sim.remaining_secs();
    sim.tick_at(60);
    assert_eq!(sim.remaining_secs(), frozen);

    let fx = sim.errors_at(65, GOOD);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert!(kinds(&fx).contains(&EventKind::Resumed));
}

#[test]
fn a_nan_value_never_passes() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    sim.errors_at(35, f64::NAN);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::NoData);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert!(
        matches!(&sim.holds()[..], [HoldReason::NoData { why, .. }] if why.contains("NaN")),
        "{:?}",
        sim.holds()
    );
    // The gap is kept as a gap in the series, not as a number.
    let (_, last) = sim.release.metric(ERRORS).unwrap().canary.last().unwrap();
    assert_eq!(last, None);
    // NaN is no value for manual advance either.
    only_refused(&sim.cmd(sim.advance()));

    sim.errors_at(40, f64::INFINITY);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    sim.errors_at(45, GOOD);
    assert_eq!(sim.release.phase(), PhaseName::Running);
}

// ----- rollback triggers ----------------------------------------------------------------

const SLOW_GATE: &str = "[{ name: errors low, metric: errors, max: 1.0, for: 10m }]";
const AUTO_TRIGGER: &str = "[{ name: error spike, metric: errors, max: 1.5, for: 1m, action: auto }]";
const MANUAL_TRIGGER: &str = "[{ name: error spike, metric: errors, max: 1.5, for: 1m, action: manual }]";

#[test]
fn an_auto_trigger_rolls_back_after_its_for_duration_and_not_before() {
    let mut sim = Sim::started(Spec {
        gates: SLOW_GATE,
        triggers: AUTO_TRIGGER,
        ..Spec::default()
    });
    sim.router_live = false;
    sim.feed_to(ERRORS, 30, GOOD);
    let mut fx = sim.errors_at(35, BAD);
    fx.extend(sim.feed_to(ERRORS, 90, BAD));
    fx.extend(sim.errors_at(94, BAD)); // breached 59s
    assert!(set_weights(&fx).is_empty() && restores(&fx).is_empty(), "{fx:#?}");
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Warn);
    assert_eq!(sim.release.phase(), PhaseName::Running);

    let fx = sim.errors_at(95, BAD); // breached 60s
    assert_eq!(set_weights(&fx), vec![Weight::ZERO]);
    assert_eq!(restores(&fx), vec!["1.9.0".to_string()]);
    assert!(kinds(&fx).contains(&EventKind::RollbackStarted));
    assert_eq!(sim.release.phase(), PhaseName::RollingBack);
    assert!(sim.release.rollback_reason().unwrap().contains("error spike"));

    let fx = sim.observe(Observation::WeightApplied { actual: Weight::ZERO });
    assert_eq!(sim.release.phase(), PhaseName::RolledBack);
    assert!(kinds(&fx).contains(&EventKind::RolledBack));
}

#[test]
fn a_manual_trigger_holds_and_asks_instead_of_rolling_back() {
    let mut sim = Sim::started(Spec {
        gates: SLOW_GATE,
        triggers: MANUAL_TRIGGER,
        ..Spec::default()
    });
    sim.feed_to(ERRORS, 30, GOOD);
    let mut fx = sim.errors_at(35, BAD);
    fx.extend(sim.feed_to(ERRORS, 95, BAD));
    fx.extend(sim.feed_to(ERRORS, 400, BAD));
    assert!(set_weights(&fx).is_empty() && restores(&fx).is_empty(), "{fx:#?}");
    assert_eq!(kinds(&fx).iter().filter(|k| **k == EventKind::TriggerFired).count(), 1);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert!(sim.holds().contains(&HoldReason::TriggerFired {
        trigger: "error spike".into()
    }));
    assert_eq!(sim.release.stage(), 0, "a fired trigger blocks auto-advance");
    only_refused(&sim.cmd(sim.advance()));

    // The operator decides: R rolls back.
    let fx = sim.cmd(Command::Rollback);
    assert_eq!(set_weights(&fx), vec![Weight::ZERO]);
    assert_eq!(sim.release.phase(), PhaseName::RolledBack);
}

#[test]
fn triggers_still_fire_while_paused() {
    let mut sim = Sim::started(Spec {
        gates: SLOW_GATE,
        triggers: AUTO_TRIGGER,
        ..Spec::default()
    });
    sim.feed_to(ERRORS, 30, GOOD);
    sim.cmd(Command::Pause);
    assert_eq!(sim.release.phase(), PhaseName::Paused);
    sim.errors_at(35, BAD);
    sim.feed_to(ERRORS, 90, BAD);
    assert_eq!(sim.release.phase(), PhaseName::Paused);
    let fx = sim.errors_at(95, BAD);
    assert_eq!(set_weights(&fx), vec![Weight::ZERO]);
    assert_eq!(restores(&fx), vec!["1.9.0".to_string()]);
    assert_eq!(sim.release.phase(), PhaseName::RolledBack);
}

// ----- rollback from every state --------------------------------------------------------

/// Rolls back with the router held, checks the effects, then confirms weight 0.
fn assert_rollback(mut sim: Sim, from: PhaseName) {
    assert_eq!(sim.release.phase(), from, "setup reached the wrong state");
    sim.router_live = false;
    sim.now += Duration::seconds(1);
    let fx = sim.cmd(Command::Rollback);
    assert_eq!(set_weights(&fx), vec![Weight::ZERO], "from {from}: {fx:#?}");
    let again = matches!(from, PhaseName::RollingBack | PhaseName::RolledBack);
    assert_eq!(
        restores(&fx),
        if again { vec![] } else { vec!["1.9.0".to_string()] },
        "from {from}"
    );
    assert!(
        !kinds(&fx).contains(&EventKind::Refused),
        "rollback is never refused (from {from})"
    );
    let expected = if from == PhaseName::RolledBack {
        PhaseName::RolledBack
    } else {
        PhaseName::RollingBack
    };
    assert_eq!(sim.release.phase(), expected, "from {from}");
    assert_eq!(sim.remaining_secs(), None);
    assert!(sim.holds().is_empty());

    sim.tick_at(sim.secs() + 60);
    assert_eq!(sim.release.phase(), expected, "time alone does not finish a rollback");
    sim.observe(Observation::WeightApplied { actual: Weight::ZERO });
    assert_eq!(sim.release.phase(), PhaseName::RolledBack, "from {from}");
    if from != PhaseName::RolledBack {
        assert_eq!(sim.release.finished_at(), Some(sim.now), "from {from}");
    }
}

#[test]
fn rollback_from_pending() {
    let (sim, _) = Sim::new(Spec {
        approvals: None,
        ..Spec::default()
    });
    assert_rollback(sim, PhaseName::Pending);
}

#[test]
fn rollback_from_running() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    assert_rollback(sim, PhaseName::Running);
}

#[test]
fn rollback_from_held() {
    let mut sim = Sim::started(Spec::default());
    sim.errors_at(5, f64::NAN);
    assert_rollback(sim, PhaseName::Held);
}

#[test]
fn rollback_from_paused() {
    let mut sim = Sim::started(Spec::default());
    sim.cmd(Command::Pause);
    assert_rollback(sim, PhaseName::Paused);
}

#[test]
fn rollback_from_done() {
    let spec = Spec {
        stages: "[{ name: all, weight: 100, hold: 1m }]",
        ..Spec::default()
    };
    let mut sim = Sim::started_at(spec, w(100));
    sim.feed_to(ERRORS, 60, GOOD);
    assert_rollback(sim, PhaseName::Done);
}

#[test]
fn rollback_from_aborted() {
    let mut sim = Sim::started(Spec::default());
    sim.cmd(Command::Abort);
    assert_rollback(sim, PhaseName::Aborted);
}

#[test]
fn rollback_from_rolling_back_resends_weight_zero_only() {
    let mut sim = Sim::started(Spec::default());
    sim.router_live = false;
    sim.cmd(Command::Rollback);
    // A late confirmation of the old weight does not finish the rollback.
    sim.observe(Observation::WeightApplied { actual: w(5) });
    assert_rollback(sim, PhaseName::RollingBack);
}

#[test]
fn rollback_from_rolled_back_resends_weight_zero_only() {
    let mut sim = Sim::started(Spec::default());
    sim.cmd(Command::Rollback);
    assert_rollback(sim, PhaseName::RolledBack);
}

// ----- abort ----------------------------------------------------------------------------

#[test]
fn abort_from_running_stops_traffic_without_restoring() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    sim.router_live = false;
    let fx = sim.cmd(Command::Abort);
    assert_eq!(set_weights(&fx), vec![Weight::ZERO]);
    assert!(restores(&fx).is_empty());
    assert_eq!(kinds(&fx), vec![EventKind::Aborted]);
    assert_eq!(records(&fx)[0].state, PhaseName::Aborted);
    sim.router_live = true;
    sim.observe(Observation::WeightApplied { actual: Weight::ZERO });
    assert_eq!(sim.release.phase(), PhaseName::Aborted);
    assert_eq!(sim.release.finished_at(), Some(sim.now));
    // Nothing moves after an abort.
    let fx = sim.feed_to(ERRORS, 600, GOOD);
    assert!(set_weights(&fx).is_empty());
    only_refused(&sim.cmd(Command::Abort));
    only_refused(&sim.cmd(Command::Resume));
    assert_eq!(sim.release.phase(), PhaseName::Aborted);
}

#[test]
fn abort_after_promotion_is_refused() {
    let spec = Spec {
        stages: "[{ name: all, weight: 100, hold: 1m }]",
        ..Spec::default()
    };
    let mut sim = Sim::started_at(spec, w(100));
    sim.feed_to(ERRORS, 60, GOOD);
    assert_eq!(sim.release.phase(), PhaseName::Done);
    let fx = sim.cmd(Command::Abort);
    only_refused(&fx);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.phase(), PhaseName::Done);
}

// ----- pause ----------------------------------------------------------------------------

#[test]
fn pause_freezes_the_hold_and_auto_advance_and_resume_continues() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 120, GOOD);
    assert_eq!(sim.remaining_secs(), Some(180));
    let fx = sim.cmd(Command::Pause);
    assert_eq!(kinds(&fx), vec![EventKind::Paused]);

    let fx = sim.feed_to(ERRORS, 3720, GOOD); // an hour of passing data
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.phase(), PhaseName::Paused);
    assert_eq!((sim.release.stage(), sim.remaining_secs()), (0, Some(180)));
    only_refused(&sim.cmd(Command::Pause));
    only_refused(&sim.cmd(sim.advance()));

    let fx = sim.cmd(Command::Resume);
    assert_eq!(kinds(&fx), vec![EventKind::Resumed]);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert_eq!(sim.remaining_secs(), Some(180));
    sim.feed_to(ERRORS, 3895, GOOD);
    sim.tick_at(3899);
    assert_eq!((sim.release.stage(), sim.remaining_secs()), (0, Some(1)));
    let fx = sim.tick_at(3900);
    assert_eq!(set_weights(&fx), vec![w(50)]);
}

// ----- manual advance -------------------------------------------------------------------

#[test]
fn manual_advance_is_refused_while_approvals_are_pending() {
    let (mut sim, _) = Sim::new(Spec {
        approvals: None,
        ..Spec::default()
    });
    let fx = sim.cmd(sim.advance());
    only_refused(&fx);
    assert!(records(&fx)[0].message.contains("approval pending"), "{fx:#?}");
    assert!(set_weights(&fx).is_empty());
    assert_eq!((sim.release.stage(), sim.release.phase()), (0, PhaseName::Pending));
}

#[test]
fn manual_advance_is_refused_while_a_gate_fails_or_warns() {
    let mut sim = Sim::started(Spec::default());
    sim.errors_at(5, BAD);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    let fx = sim.cmd(sim.advance());
    only_refused(&fx);
    assert!(set_weights(&fx).is_empty());

    sim.feed_to(ERRORS, 65, BAD);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    let fx = sim.cmd(sim.advance());
    only_refused(&fx);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.stage(), 0);
}

#[test]
fn manual_advance_is_refused_on_data_gone_stale_since_the_last_event() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 60, GOOD);
    // No tick for two minutes: the last sample is stale when the key is pressed.
    sim.now = t0() + Duration::seconds(180);
    let fx = sim.cmd(sim.advance());
    // The gate going stale is recorded first, then the refusal that names it.
    // The gate and the trigger going stale are recorded first, then the refusal.
    assert_eq!(
        kinds(&fx),
        vec![
            EventKind::GateWarning,
            EventKind::GateWarning,
            EventKind::Refused,
            EventKind::Held
        ]
    );
    assert!(records(&fx)[0].message.contains("PASS -> STALE"), "{fx:#?}");
    assert!(records(&fx)[1].message.contains("rollback trigger"), "{fx:#?}");
    assert!(records(&fx)[2].message.contains("STALE"), "{fx:#?}");
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.stage(), 0);
    assert_eq!(sim.release.phase(), PhaseName::Held);
}

#[test]
fn manual_advance_with_passing_gates_cuts_the_hold_short() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 60, GOOD);
    let fx = sim.cmd(sim.advance());
    assert_eq!(set_weights(&fx), vec![w(50)]);
    let advanced = records(&fx)
        .into_iter()
        .find(|r| r.event == EventKind::Advanced)
        .expect("advanced record");
    assert!(advanced.message.ends_with("cut short by 4m"), "{}", advanced.message);
    assert_eq!(advanced.actor, ana());
    assert_eq!(sim.release.stage(), 1);
    assert_eq!(sim.remaining_secs(), Some(300));
}

// ----- manual weight --------------------------------------------------------------------

#[test]
fn manual_weight_above_the_stage_bound_is_refused_and_below_is_applied() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    let fx = sim.cmd(sim.set_weight(w(6)));
    only_refused(&fx);
    assert!(set_weights(&fx).is_empty());
    assert_eq!(sim.release.manual_weight(), None);
    assert_eq!(sim.release.desired_weight(), w(5));

    sim.router_live = false;
    let fx = sim.cmd(sim.set_weight(w(2)));
    assert_eq!(set_weights(&fx), vec![w(2)]);
    assert!(kinds(&fx).contains(&EventKind::WeightRequested));
    assert_eq!(sim.holds(), vec![]);
    assert_eq!(sim.release.manual_weight(), Some(w(2)));
    assert_eq!(sim.release.step(), Step::Shifting);
    sim.observe(Observation::WeightApplied { actual: w(2) });
    assert_eq!(
        (sim.release.step(), sim.release.actual_weight()),
        (Step::Holding, Some(w(2)))
    );
}

#[test]
fn a_manual_weight_holds_the_stage_and_says_so_until_a_person_moves_on() {
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    sim.cmd(sim.set_weight(w(2)));
    sim.observe(Observation::WeightApplied { actual: w(2) });
    // Not "no holds" with a countdown that never ends: held, and why.
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert!(
        matches!(sim.holds().as_slice(), [HoldReason::ManualWeight { .. }]),
        "{:?}",
        sim.holds()
    );
    let fx = sim.feed_to(ERRORS, 900, GOOD);
    assert!(set_weights(&fx).is_empty(), "never moves on by itself");
    assert_eq!(sim.release.stage(), 0);
    // The person who took the wheel moves on.
    let fx = sim.cmd(sim.advance());
    assert_eq!(set_weights(&fx), vec![w(50)]);
    assert_eq!(sim.release.manual_weight(), None);
}

#[test]
fn manual_weight_is_refused_before_go() {
    let (mut sim, _) = Sim::new(Spec {
        approvals: None,
        ..Spec::default()
    });
    let fx = sim.cmd(sim.set_weight(w(1)));
    only_refused(&fx);
    assert!(set_weights(&fx).is_empty());
}

// ----- promotion ------------------------------------------------------------------------

#[test]
fn the_last_stage_promotes_to_done() {
    let mut sim = Sim::started(Spec::default());
    let fx = sim.feed_to(ERRORS, 900, GOOD);
    assert_eq!(set_weights(&fx), vec![w(50), w(100)]);
    assert_eq!(sim.release.phase(), PhaseName::Done);
    assert_eq!(sim.release.stage(), 2);
    let promoted = records(&fx)
        .into_iter()
        .find(|r| r.event == EventKind::Promoted)
        .expect("promoted record");
    assert_eq!(promoted.state, PhaseName::Done);
    assert_eq!(promoted.time, t0() + Duration::seconds(900));
    assert_eq!(sim.release.finished_at(), Some(t0() + Duration::seconds(900)));
    assert_eq!(sim.remaining_secs(), None);
    // Promotion is final: nothing advances, pauses or changes weight afterwards.
    let fx = sim.feed_to(ERRORS, 1200, BAD);
    assert!(set_weights(&fx).is_empty());
    only_refused(&sim.cmd(Command::Pause));
    only_refused(&sim.cmd(sim.advance()));
    only_refused(&sim.cmd(sim.set_weight(w(50))));
    assert_eq!(sim.release.phase(), PhaseName::Done);
}

// ----- records, bounds, determinism -----------------------------------------------------

/// A script touching most rules: approvals, go, gates, pause, manual advance, rollback.
/// Returns every handle call's effects and the phase right after it.
fn script() -> Vec<(Vec<Effect>, PhaseName)> {
    let spec = Spec {
        approvals: Some("[lead]"),
        checklists: "{ pre: [CI green] }",
        triggers: AUTO_TRIGGER,
        stages: "[{ name: five, checklist: pre, weight: 5, hold: 2m }, \
                 { name: fifty, weight: 50, hold: 5m }, { name: full, weight: 100, hold: 5m }]",
        ..Spec::default()
    };
    let plan = Arc::new(shipdeck::plan::parse(&spec.yaml(), "test").unwrap());
    let at = |s: i64| t0() + Duration::seconds(s);
    let (mut release, fx) = Release::new(plan, at(0));
    let mut out = vec![(fx, release.phase())];
    let sample = |s: i64, v: f64| {
        Event::Observe(Observation::Sample {
            metric: ERRORS,
            canary: Reading::Value(v),
            baseline: Reading::Value(GOOD),
            at: at(s),
        })
    };
    let applied = |p: u8| Event::Observe(Observation::WeightApplied { actual: w(p) });
    let mut events: Vec<(i64, Event)> = vec![
        (1, Event::Command(Command::Approve { role: "lead".into() }, ana())),
        (2, Event::Command(Command::ToggleItem { item: 0 }, sam())),
        (3, applied(5)),
    ];
    for s in (5..=150).step_by(5) {
        events.push((s, sample(s, GOOD)));
    }
    events.extend([
        (150, applied(50)),
        (155, Event::Command(Command::Pause, ana())),
        (160, sample(160, f64::NAN)),
        (165, Event::Command(Command::Resume, ana())),
        (166, Event::Tick),
        (170, sample(170, GOOD)),
        (175, Event::Command(Command::Advance { from: 1 }, sam())),
        (176, applied(100)),
        (180, sample(180, BAD)),
        (240, sample(240, BAD)),
        (241, Event::Command(Command::Note("watching".into()), ana())),
    ]);
    events.push((300, Event::Tick));
    events.push((301, applied(0)));
    for (s, event) in events {
        let fx = release.handle(event, at(s));
        out.push((fx, release.phase()));
    }
    out
}

#[test]
fn every_record_carries_the_state_the_release_is_left_in() {
    let steps = script();
    let mut seen = Vec::new();
    for (i, (fx, phase)) in steps.iter().enumerate() {
        for entry in records(fx) {
            assert_eq!(
                entry.state, *phase,
                "step {i}: {:?} {:?} recorded as {:?}",
                entry.event, entry.message, entry.state
            );
            seen.push(entry.event);
        }
    }
    // The script went through the interesting transitions.
    for kind in [
        EventKind::Go,
        EventKind::Held,
        EventKind::Paused,
        EventKind::Resumed,
        EventKind::Advanced,
        EventKind::RollbackStarted,
        EventKind::RolledBack,
    ] {
        assert!(seen.contains(&kind), "script never produced {kind:?}: {seen:?}");
    }
}

#[test]
fn the_same_script_gives_the_same_effects() {
    let a = script();
    let b = script();
    assert_eq!(a, b);
    assert!(a.iter().any(|(fx, _)| !set_weights(fx).is_empty()));
}

#[test]
fn the_log_is_bounded_and_keeps_the_newest_lines() {
    let spec = Spec {
        gates: "[]",
        stages: "[{ name: all, weight: 100, hold: 1d }]",
        ..Spec::default()
    };
    let mut sim = Sim::started_at(spec, w(100));
    for i in 0..LOG_CAPACITY + 1000 {
        sim.now += Duration::seconds(1);
        // Fresh data keeps the trigger watching, so only the notes are logged.
        sim.sample(ERRORS, Reading::Value(GOOD));
        let fx = sim.cmd(Command::Note(format!("note {i}")));
        assert_eq!(kinds(&fx).len(), 1);
    }
    let log = sim.release.log();
    assert_eq!(log.len(), LOG_CAPACITY);
    assert_eq!(log.back().unwrap().message, format!("note {}", LOG_CAPACITY + 999));
    assert_eq!(log.front().unwrap().message, "note 1000");
}

#[test]
fn metric_series_are_bounded() {
    let spec = Spec {
        stages: "[{ name: all, weight: 100, hold: 1d }]",
        ..Spec::default()
    };
    let mut sim = Sim::started_at(spec, w(100));
    let n = SAMPLES_KEPT + 400;
    for i in 0..n {
        sim.now += Duration::seconds(5);
        sim.sample(ERRORS, Reading::Value(i as f64 / 10_000.0));
    }
    let m = sim.release.metric(ERRORS).unwrap();
    assert_eq!(m.canary.len(), SAMPLES_KEPT);
    assert_eq!(m.baseline.len(), SAMPLES_KEPT);
    assert_eq!(m.canary.last(), Some((sim.now, Some((n - 1) as f64 / 10_000.0))));
    assert_eq!(m.last_at, Some(sim.now));
    assert!(sim.release.log().len() < 50, "passing samples do not flood the log");
}

// ----- rules added after review ---------------------------------------------------------

#[test]
fn a_paused_release_does_not_go_when_its_last_approval_arrives() {
    let (mut sim, _) = Sim::new(Spec::default());
    sim.cmd(Command::Pause);
    let fx = sim.cmd(Command::Approve { role: "lead".into() });
    assert!(set_weights(&fx).is_empty(), "no traffic while paused: {fx:#?}");
    assert_eq!(sim.release.phase(), PhaseName::Paused);
    let fx = sim.cmd(Command::Resume);
    assert_eq!(set_weights(&fx), vec![w(5)]);
}

#[test]
fn a_manual_weight_stops_auto_advance_until_the_operator_advances() {
    let mut sim = Sim::started(Spec::default());
    sim.cmd(sim.set_weight(w(2)));
    let fx = sim.feed_to(ERRORS, 3600, GOOD);
    assert!(set_weights(&fx).is_empty(), "no auto-advance under a manual weight");
    assert_eq!(sim.release.stage(), 0);
    let fx = sim.cmd(sim.advance());
    assert_eq!(set_weights(&fx), vec![w(50)]);
}

#[test]
fn a_late_sample_does_not_make_the_data_look_older() {
    let mut sim = Sim::started(Spec::default());
    sim.errors_at(100, GOOD);
    let at = t0() + Duration::seconds(40);
    sim.observe(Observation::Sample {
        metric: ERRORS,
        canary: Reading::Value(GOOD),
        baseline: Reading::Value(GOOD),
        at,
    });
    assert_eq!(
        sim.release.data_status(ERRORS, sim.now),
        DataStatus::Fresh { age: Duration::zero() },
        "the sample from 60s ago must not make the data look stale"
    );
}

#[test]
fn one_metric_without_data_is_one_hold_reason_however_many_gates_watch_it() {
    let mut sim = Sim::started(Spec {
        gates: "[{ name: errors low, metric: errors, max: 1.0 }, \
                 { name: latency low, metric: latency, max: 900 }, \
                 { name: errors near base, metric: errors, max_ratio: 2.0 }]",
        ..Spec::default()
    });
    sim.now = t0() + Duration::seconds(5);
    // A failing latency gate sits between the two errors gates in the hold list.
    sim.sample(LATENCY, Reading::Value(1000.0));
    sim.sample(ERRORS, Reading::NoData("empty result".into()));
    assert_eq!(
        sim.holds(),
        vec![
            HoldReason::NoData {
                metric: "errors".into(),
                why: "empty result".into()
            },
            HoldReason::GateFailing {
                gate: "latency low".into()
            },
        ]
    );
}

#[test]
fn a_sample_without_a_value_is_no_data_not_fresh_data() {
    let mut sim = Sim::started(Spec::default());
    sim.errors_at(5, GOOD);
    assert_eq!(
        sim.release.data_status(ERRORS, sim.now),
        DataStatus::Fresh { age: Duration::zero() }
    );
    sim.now = t0() + Duration::seconds(10);
    sim.sample(ERRORS, Reading::NoData("empty result".into()));
    assert_eq!(
        sim.release.data_status(ERRORS, sim.now),
        DataStatus::NoData {
            why: "canary: empty result".into()
        }
    );
    // The header shows the worst metric: latency has never been sampled, errors has no data.
    assert!(matches!(
        sim.release.data_health(sim.now),
        (Some(ERRORS), DataStatus::NoData { .. })
    ));
    sim.errors_at(15, GOOD);
    sim.tick_at(50);
    assert_eq!(
        sim.release.data_status(ERRORS, sim.now),
        DataStatus::Stale {
            age: Duration::seconds(35)
        }
    );
}

#[test]
fn a_fired_manual_trigger_stays_fired_through_missing_data() {
    let mut sim = Sim::started(Spec {
        triggers: MANUAL_TRIGGER,
        ..Spec::default()
    });
    sim.feed_to(ERRORS, 70, BAD);
    assert!(
        sim.holds().iter().any(|h| matches!(h, HoldReason::TriggerFired { .. })),
        "{:?}",
        sim.holds()
    );
    // Four minutes with no data, then a look at the release: still held, same stage.
    for s in (75..=315).step_by(5) {
        sim.now = t0() + Duration::seconds(s);
        sim.sample(ERRORS, Reading::NoData("empty result".into()));
    }
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert_eq!(sim.release.stage(), 0);
    assert!(sim.holds().iter().any(|h| matches!(h, HoldReason::TriggerFired { .. })));
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Fail);
    // Back within bounds: the trigger clears.
    sim.errors_at(320, GOOD);
    assert_ne!(sim.release.trigger(0).unwrap().status, GateStatus::Fail);
}

#[test]
fn a_trigger_whose_metric_has_no_data_holds_even_without_a_gate_on_it() {
    // Latency has a trigger but no gate: missing latency data must still hold.
    let mut sim = Sim::started(Spec {
        triggers: "[{ name: error meltdown, metric: errors, max: 100000, for: 1m, action: auto }, \
                    { name: latency meltdown, metric: latency, max: 100000, for: 1m, action: auto }]",
        ..Spec::default()
    });
    sim.errors_at(5, GOOD);
    sim.sample(LATENCY, Reading::NoData("scrape failed".into()));
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert!(
        sim.holds()
            .iter()
            .any(|h| matches!(h, HoldReason::NoData { metric, .. } if metric == "latency")),
        "{:?}",
        sim.holds()
    );
    sim.sample(LATENCY, Reading::Value(100.0));
    assert_eq!(sim.release.phase(), PhaseName::Running);
}

#[test]
fn a_confirmation_from_an_earlier_stage_is_refused_after_the_release_moved_on() {
    let mut sim = Sim::started(Spec::default());
    let asked_advance = sim.advance();
    let asked_weight = sim.set_weight(w(2));
    // The hold runs out while the question is open: the release moves to stage 2 by itself.
    let fx = sim.feed_to(ERRORS, 305, GOOD);
    assert_eq!(set_weights(&fx), vec![w(50)]);
    let fx = sim.cmd(asked_advance);
    only_refused(&fx);
    assert!(records(&fx)[0].message.contains("moved on to stage 2"), "{fx:#?}");
    assert_eq!(sim.release.stage(), 1);
    only_refused(&sim.cmd(asked_weight));
    assert_eq!(sim.release.desired_weight(), w(50));
}

#[test]
fn at_full_weight_ratio_bounds_rest_and_absolute_bounds_still_judge() {
    // At 100% the baseline serves nothing: a ratio cannot be judged, and its missing
    // baseline must not hold a healthy release forever.
    let mut sim = Sim::started_at(
        Spec {
            gates: "[{ name: errors low, metric: errors, max: 1.0 }, { name: errors near base, metric: errors, max_ratio: 1.5 }]",
            triggers: "[{ name: error spike, metric: errors, max: 5.0, max_ratio: 3.0, for: 10s, action: auto }]",
            stages: "[{ name: all, weight: 100, hold: 1m }]",
            ..Spec::default()
        },
        w(100),
    );
    assert!(!sim.release.gate_analysed(1), "a ratio-only gate rests at 100%");
    for s in (5..=60).step_by(5) {
        sim.now = t0() + Duration::seconds(s);
        sim.observe(Observation::Sample {
            metric: ERRORS,
            canary: Reading::Value(GOOD),
            baseline: Reading::NoData("no baseline traffic".into()),
            at: sim.now,
        });
    }
    sim.tick_at(61);
    assert_eq!(sim.release.phase(), PhaseName::Done, "{:?}", sim.holds());
}

#[test]
fn at_full_weight_the_absolute_part_of_a_trigger_still_rolls_back() {
    let mut sim = Sim::started_at(
        Spec {
            triggers: "[{ name: error spike, metric: errors, max: 1.5, max_ratio: 3.0, for: 10s, action: auto }]",
            stages: "[{ name: all, weight: 100, hold: 10m }]",
            ..Spec::default()
        },
        w(100),
    );
    let mut fx = Vec::new();
    for s in (5..=20).step_by(5) {
        sim.now = t0() + Duration::seconds(s);
        fx.extend(sim.observe(Observation::Sample {
            metric: ERRORS,
            canary: Reading::Value(BAD),
            baseline: Reading::NoData("no baseline traffic".into()),
            at: sim.now,
        }));
    }
    assert!(kinds(&fx).contains(&EventKind::RollbackStarted), "{fx:#?}");
}

// ----- sigma bands ----------------------------------------------------------------------

/// A steady, noisy baseline latency: 300 ms plus a repeating pattern of noise that sums to
/// zero (population sd about 7.1 ms), so a 3σ band reaches about 322 ms.
fn noisy_baseline(secs: i64) -> f64 {
    const NOISE: [f64; 8] = [-12.0, 7.0, 3.0, -5.0, 10.0, -8.0, 1.0, 4.0];
    300.0 + NOISE[(secs / 5).rem_euclid(8) as usize]
}

const SIGMA_GATE: &str = "[{ name: p99 band, metric: latency, sigma: 3, for: 1m }]";
const SIGMA_TRIGGER: &str = "[{ name: p99 anomaly, metric: latency, sigma: 3, for: 1m, action: auto }]";
/// A latency gate the tests never breach, so that sigma triggers are the only judge.
const LATENCY_GATE: &str = "[{ name: latency low, metric: latency, max: 100000, for: 10m }]";

impl Sim {
    /// Moves the clock to `secs` after t0 and delivers one latency sample with the given
    /// baseline reading.
    fn latency_at(&mut self, secs: i64, canary: f64, baseline: Reading) -> Vec<Effect> {
        self.now = t0() + Duration::seconds(secs);
        let at = self.now;
        self.observe(Observation::Sample {
            metric: LATENCY,
            canary: Reading::Value(canary),
            baseline,
            at,
        })
    }

    /// Latency every 5 s until `secs` (inclusive): `canary` against the noisy baseline.
    fn feed_latency_to(&mut self, secs: i64, canary: f64) -> Vec<Effect> {
        let mut out = Vec::new();
        while self.secs() + 5 <= secs {
            let next = self.secs() + 5;
            out.extend(self.latency_at(next, canary, Reading::Value(noisy_baseline(next))));
        }
        out
    }

    fn gate_detail(&self, gate: usize) -> String {
        self.release.gate(gate).unwrap().detail.clone()
    }
}

#[test]
fn a_three_sigma_gate_passes_inside_the_band_and_fails_and_holds_outside_it_after_for() {
    let mut sim = Sim::started(Spec {
        gates: SIGMA_GATE,
        triggers: LATENCY_TRIGGER,
        ..Spec::default()
    });
    // Two baseline points are no history yet; from the third on, 310 ms sits in the band.
    sim.feed_latency_to(10, 310.0);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::NoData);
    for s in (15..=95).step_by(5) {
        sim.feed_latency_to(s, 310.0);
        assert_eq!(
            sim.release.gate(0).unwrap().status,
            GateStatus::Pass,
            "at {s}s: {}",
            sim.gate_detail(0)
        );
    }
    assert!(sim.holds().is_empty(), "{:?}", sim.holds());

    // 420 ms is far outside: a warning first, counted against `for`.
    let fx = sim.feed_latency_to(100, 420.0);
    assert_eq!(kinds(&fx), vec![EventKind::GateWarning]);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    let detail = sim.gate_detail(0);
    assert!(
        detail.starts_with("420 > baseline 30")
            && detail.contains(" + 3σ (σ ")
            && detail.ends_with(" pts) for 0s of 1m"),
        "{detail}"
    );
    sim.feed_latency_to(155, 420.0); // 55s of 60s
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    assert_eq!(sim.release.phase(), PhaseName::Running);

    let fx = sim.feed_latency_to(160, 420.0); // 60s
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Fail);
    assert!(kinds(&fx).contains(&EventKind::GateFailed), "{fx:#?}");
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::GateFailing {
            gate: "p99 band".into()
        }]
    );
    assert!(
        set_weights(&fx).is_empty(),
        "a failing gate holds, it does not roll back"
    );

    // Back inside the band: the hold lifts.
    let fx = sim.feed_latency_to(165, 305.0);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Pass);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert!(kinds(&fx).contains(&EventKind::Resumed));
}

#[test]
fn a_value_inside_an_absolute_bound_still_fails_a_three_sigma_band_on_the_same_gate() {
    let mut sim = Sim::started(Spec {
        gates: "[{ name: p99, metric: latency, max: 500, sigma: 3, for: 30s }]",
        triggers: LATENCY_TRIGGER,
        ..Spec::default()
    });
    sim.feed_latency_to(60, 310.0);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Pass);
    sim.feed_latency_to(95, 400.0);
    assert_eq!(
        sim.release.gate(0).unwrap().status,
        GateStatus::Fail,
        "{}",
        sim.gate_detail(0)
    );
    assert!(sim.gate_detail(0).contains("3σ"), "{}", sim.gate_detail(0));
    sim.feed_latency_to(100, 600.0);
    assert_eq!(sim.gate_detail(0), "600 > max 500");
}

#[test]
fn a_three_sigma_auto_trigger_rolls_back_after_its_for_and_not_before() {
    let mut sim = Sim::started(Spec {
        gates: LATENCY_GATE,
        triggers: SIGMA_TRIGGER,
        ..Spec::default()
    });
    sim.router_live = false;
    sim.feed_latency_to(30, 310.0);
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Pass);
    let mut fx = sim.feed_latency_to(90, 420.0); // breached from 35s: 55s
    assert!(set_weights(&fx).is_empty() && restores(&fx).is_empty(), "{fx:#?}");
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Warn);
    assert_eq!(sim.release.phase(), PhaseName::Running);

    fx = sim.feed_latency_to(95, 420.0); // 60s
    assert_eq!(set_weights(&fx), vec![Weight::ZERO]);
    assert_eq!(restores(&fx), vec!["1.9.0".to_string()]);
    assert_eq!(sim.release.phase(), PhaseName::RollingBack);
    let reason = sim.release.rollback_reason().unwrap().to_string();
    assert!(
        reason.starts_with("trigger p99 anomaly fired: 420 > baseline ") && reason.contains(" + 3σ (σ "),
        "{reason}"
    );
}

#[test]
fn too_little_baseline_history_is_no_data_and_holds_never_pass() {
    let mut sim = Sim::started(Spec {
        gates: SIGMA_GATE,
        triggers: SIGMA_TRIGGER,
        stages: "[{ name: five, weight: 5, hold: 30m }, { name: full, weight: 100, hold: 5m }]",
        ..Spec::default()
    });
    // The baseline answers at 5s and 10s, then never again: the canary's value is
    // perfectly ordinary, but there is nothing to draw a band from.
    let mut fx = Vec::new();
    for s in (5..=400).step_by(5) {
        let baseline = if s <= 10 {
            Reading::Value(noisy_baseline(s))
        } else {
            Reading::NoData("baseline query returned nothing".into())
        };
        fx.extend(sim.latency_at(s, 300.0, baseline));
        assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::NoData, "at {s}s");
        assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::NoData, "at {s}s");
    }
    let why = "baseline has 2 points in its 10m history, needs 3";
    assert_eq!(sim.gate_detail(0), why);
    assert_eq!(
        sim.holds(),
        vec![HoldReason::NoData {
            metric: "latency".into(),
            why: why.into()
        }]
    );
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert!(set_weights(&fx).is_empty() && restores(&fx).is_empty(), "{fx:#?}");
    assert!(
        records(&fx)
            .iter()
            .any(|r| r.message.contains("rollback trigger p99 anomaly: no data")),
        "the trigger says it cannot protect the release"
    );
    assert!(!records(&fx).iter().any(|r| r.message.contains("PASS")), "{fx:#?}");
}

#[test]
fn baseline_points_older_than_the_history_window_stop_counting() {
    let mut sim = Sim::started(Spec {
        gates: SIGMA_GATE,
        triggers: LATENCY_TRIGGER,
        stages: "[{ name: five, weight: 5, hold: 30m }, { name: full, weight: 100, hold: 5m }]",
        ..Spec::default()
    });
    // Three baseline points at 5, 10 and 15s, then the baseline goes quiet.
    for s in (5..=600).step_by(5) {
        let baseline = if s <= 15 {
            Reading::Value(noisy_baseline(s))
        } else {
            Reading::NoData("no baseline".into())
        };
        sim.latency_at(s, 300.0, baseline);
        let want = if s < 15 { GateStatus::NoData } else { GateStatus::Pass };
        assert_eq!(sim.release.gate(0).unwrap().status, want, "at {s}s");
    }
    // At 605s the point from 5s is more than 10m old.
    sim.latency_at(605, 300.0, Reading::NoData("no baseline".into()));
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::NoData);
    assert_eq!(sim.gate_detail(0), "baseline has 2 points in its 10m history, needs 3");
}

#[test]
fn at_full_weight_a_sigma_band_rests_like_a_ratio() {
    let mut sim = Sim::started_at(
        Spec {
            gates: "[{ name: p99 band, metric: latency, sigma: 3 }, { name: p99 low, metric: latency, max: 900 }]",
            triggers: SIGMA_TRIGGER,
            stages: "[{ name: all, weight: 100, hold: 1m }]",
            ..Spec::default()
        },
        w(100),
    );
    assert!(!sim.release.gate_analysed(0), "a sigma-only gate rests at 100%");
    assert!(sim.release.gate_analysed(1));
    for s in (5..=60).step_by(5) {
        sim.latency_at(s, 310.0, Reading::NoData("no baseline traffic".into()));
    }
    sim.tick_at(61);
    assert_eq!(sim.release.phase(), PhaseName::Done, "{:?}", sim.holds());
}

// ----- history, late and early samples: only live evidence decides ----------------------

impl Sim {
    /// What a backfill of the 10 minutes before t0 reads back: errors and latency every
    /// 5 s, the canary's errors at `canary_errors` and the baseline's at GOOD.
    fn history(&mut self, canary_errors: f64) -> Vec<Effect> {
        let points = (1..=120)
            .rev()
            .flat_map(|k| {
                let at = t0() - Duration::seconds(5 * k);
                [
                    PastPoint {
                        metric: ERRORS,
                        at,
                        canary: Some(canary_errors),
                        baseline: Some(GOOD),
                    },
                    PastPoint {
                        metric: LATENCY,
                        at,
                        canary: Some(200.0),
                        baseline: Some(noisy_baseline(-5 * k)),
                    },
                ]
            })
            .collect();
        self.observe(Observation::History(History {
            span: Span::minutes(10),
            points,
            problem: None,
        }))
    }
}

/// The retry after a failed attempt, in the order the runtime may deliver it: the backfill
/// holds the failed attempt's bad samples and arrives before go, or after the canary is
/// already exposed. Either way the good live canary is promoted.
#[test]
fn a_bad_history_then_a_good_live_canary_is_promoted() {
    let spec = Spec {
        triggers: AUTO_TRIGGER,
        ..Spec::default()
    };
    for history_first in [true, false] {
        let mut sim = if history_first {
            let (mut sim, _) = Sim::new(spec);
            sim.history(BAD);
            sim.cmd(Command::Approve { role: "lead".into() });
            sim
        } else {
            let mut sim = Sim::started(spec);
            sim.history(BAD);
            sim
        };
        assert_eq!(
            sim.release.phase(),
            PhaseName::Running,
            "history first: {history_first}"
        );
        let fx = sim.feed_to(ERRORS, 900, GOOD);
        assert!(
            !kinds(&fx).contains(&EventKind::RollbackStarted) && restores(&fx).is_empty(),
            "history first: {history_first}: {fx:#?}"
        );
        assert_eq!(sim.release.phase(), PhaseName::Done, "history first: {history_first}");
        assert!(
            !records(&fx).iter().any(|r| r.event == EventKind::GateWarning),
            "nothing warned about: {fx:#?}"
        );
    }
}

/// History changes nothing about how fast a bad live canary is rolled back.
#[test]
fn a_good_history_then_a_bad_live_canary_still_rolls_back_as_fast() {
    let rolled_back_at = |with_history: bool| {
        let mut sim = Sim::started(Spec {
            gates: SLOW_GATE,
            triggers: AUTO_TRIGGER,
            ..Spec::default()
        });
        if with_history {
            sim.history(GOOD);
        }
        sim.feed_to(ERRORS, 30, GOOD);
        while sim.release.phase() != PhaseName::RolledBack {
            assert!(sim.secs() < 600, "never rolled back");
            let next = sim.secs() + 5;
            sim.errors_at(next, BAD);
        }
        sim.secs()
    };
    assert_eq!(rolled_back_at(false), 95, "bad from 35 s, for 1m");
    assert_eq!(rolled_back_at(true), 95);
}

#[test]
fn a_backfill_is_one_journal_entry_and_touches_no_gate_trigger_or_data_age() {
    let mut sim = Sim::started(Spec {
        triggers: AUTO_TRIGGER,
        ..Spec::default()
    });
    sim.errors_at(5, GOOD);
    let (gates, triggers) = (
        sim.release.gate(0).unwrap().status,
        sim.release.trigger(0).unwrap().status,
    );
    let before = sim.release.data_status(ERRORS, sim.now);
    sim.now += Duration::seconds(1);
    let fx = sim.history(BAD);
    let entries = records(&fx);
    assert_eq!(entries.len(), 1, "{fx:#?}");
    assert_eq!(entries[0].event, EventKind::Backfilled);
    assert_eq!(
        entries[0].message,
        "backfilled 10m: 120 samples per metric, shown as history, never used to decide"
    );
    assert_eq!(sim.release.gate(0).unwrap().status, gates);
    assert_eq!(sim.release.trigger(0).unwrap().status, triggers);
    assert_eq!(sim.release.phase(), PhaseName::Running);
    assert_eq!(
        sim.release.data_status(ERRORS, sim.now),
        DataStatus::Fresh {
            age: Duration::seconds(1)
        },
        "the data's age is the live sample's, not history's ({before:?} before)"
    );
    assert_eq!(
        sim.release.data_status(LATENCY, sim.now),
        DataStatus::Nothing,
        "history is not data"
    );
    let errors = sim.release.metric(ERRORS).unwrap();
    assert_eq!(errors.canary.len(), 121, "120 history points, then the live one");
    assert_eq!(errors.last_canary, Some(Reading::Value(GOOD)));
    assert_eq!(sim.release.metric(LATENCY).unwrap().last_canary, None);

    // Counts that differ between metrics are named, and so is what went wrong.
    let (mut sim, _) = Sim::new(Spec::default());
    let fx = sim.observe(Observation::History(History {
        span: Span::minutes(10),
        points: vec![PastPoint {
            metric: ERRORS,
            at: t0() - Duration::seconds(5),
            canary: None,
            baseline: Some(GOOD),
        }],
        problem: Some("latency: no data (empty result)".into()),
    }));
    assert_eq!(
        records(&fx)[0].message,
        "backfilled 10m: samples per metric: errors 1, latency 0, shown as history, never used to \
         decide (latency: no data (empty result))"
    );
}

/// A Lease lost while the release runs (another shipdeck may drive the target now) is
/// recorded once per reason and holds the release forward: no auto-advance, `n` refused.
/// A rollback is never held back by it. A renewal that works again lifts the hold.
#[test]
fn a_lost_lease_holds_the_release_forward_but_never_a_rollback() {
    let mut sim = Sim::started(Spec::default());
    sim.errors_at(5, GOOD);
    let lost = || Observation::LeaseLost {
        message: "the target's Lease shipdeck-httproute-checkout is now held by kim@elsewhere".into(),
    };
    let fx = sim.observe(lost());
    let entries = records(&fx);
    assert_eq!(
        entries.iter().filter(|e| e.event == EventKind::LeaseLost).count(),
        1,
        "{fx:#?}"
    );
    assert_eq!(EventKind::LeaseLost.severity(), shipdeck::engine::Severity::Warning);
    assert!(
        records(&sim.observe(lost()))
            .iter()
            .all(|e| e.event != EventKind::LeaseLost),
        "said once"
    );
    sim.tick_at(10);
    assert_eq!(sim.release.phase(), PhaseName::Held);
    assert!(
        matches!(sim.release.holds(), [HoldReason::LeaseLost { .. }]),
        "{:?}",
        sim.release.holds()
    );
    let stage = sim.release.stage();
    let refusal = sim.release.refusal(&Command::Advance { from: stage }).unwrap();
    assert!(refusal.contains("kim@elsewhere"), "{refusal}");
    assert_eq!(sim.release.refusal(&Command::Rollback), None);

    sim.observe(Observation::LeaseHeld);
    sim.tick_at(11);
    assert_eq!(sim.release.phase(), PhaseName::Running, "{:?}", sim.release.holds());

    sim.observe(lost());
    sim.tick_at(12);
    let fx = sim.cmd(Command::Rollback);
    assert!(
        fx.iter().any(|e| matches!(e, Effect::SetWeight(w) if w.percent() == 0)),
        "{fx:#?}"
    );
}

/// A backfill that brought nothing back (no answer in time, a source that failed) is one
/// entry saying so and why, not "0 samples".
#[test]
fn a_backfill_that_brought_nothing_says_why_in_one_entry() {
    let (mut sim, _) = Sim::new(Spec::default());
    let fx = sim.observe(Observation::History(History {
        problem: Some("no answer within 2s".into()),
        ..History::default()
    }));
    let entries = records(&fx);
    assert_eq!(entries.len(), 1, "{fx:#?}");
    assert_eq!(entries[0].event, EventKind::Backfilled);
    assert_eq!(
        entries[0].message,
        "no backfill (no answer within 2s): the sparklines start with the live samples"
    );
}

/// The backfill's instants may reach the release's own time; the live samples cover that,
/// so history keeps only what came before the start.
#[test]
fn history_from_the_release_s_own_time_is_left_to_the_live_samples() {
    let (mut sim, _) = Sim::new(Spec::default());
    let fx = sim.observe(Observation::History(History {
        span: Span::minutes(1),
        points: [-10, -5, 0, 5]
            .into_iter()
            .map(|s| PastPoint {
                metric: ERRORS,
                at: t0() + Duration::seconds(s),
                canary: Some(GOOD),
                baseline: Some(GOOD),
            })
            .collect(),
        problem: None,
    }));
    assert!(records(&fx)[0].message.contains("errors 2, latency 0"), "{fx:#?}");
    assert_eq!(sim.release.metric(ERRORS).unwrap().canary.len(), 2);
}

/// Data goes stale from live samples only: history older than `stale_after` (all of it)
/// never makes the release look stale, before or after go.
#[test]
fn history_never_makes_the_release_look_stale() {
    let (mut sim, _) = Sim::new(Spec::default());
    sim.now += Duration::seconds(2);
    let fx = sim.history(BAD);
    assert_eq!(kinds(&fx), vec![EventKind::Backfilled]);
    assert_eq!(sim.release.data_health(sim.now).1, DataStatus::Nothing);
    sim.cmd(Command::Approve { role: "lead".into() });
    let fx = sim.history(BAD);
    assert_eq!(kinds(&fx), vec![EventKind::Backfilled], "{fx:#?}");
    assert!(sim.holds().is_empty(), "{:?}", sim.holds());
}

/// A trigger's `for` counts only samples of the canary serving traffic now: a breach
/// before the canary went back to 0% does not carry over into its next exposure.
#[test]
fn a_trigger_counts_only_samples_of_the_current_exposure() {
    let mut sim = Sim::started(Spec {
        gates: SLOW_GATE,
        triggers: AUTO_TRIGGER,
        ..Spec::default()
    });
    sim.feed_to(ERRORS, 30, GOOD);
    sim.feed_to(ERRORS, 60, BAD); // breached for 25 s at 5%
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Warn);
    sim.cmd(sim.set_weight(Weight::ZERO));
    assert_eq!(sim.release.actual_weight(), Some(Weight::ZERO));
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Idle);
    sim.feed_to(ERRORS, 80, BAD); // no canary traffic: nothing for a trigger
    sim.cmd(sim.set_weight(w(5)));
    let fx = sim.feed_to(ERRORS, 140, BAD); // 55 s of this exposure
    assert!(restores(&fx).is_empty(), "{fx:#?}");
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Warn);
    let fx = sim.feed_to(ERRORS, 145, BAD); // 60 s
    assert_eq!(restores(&fx), vec!["1.9.0".to_string()]);
}

/// A slow poll answering after a newer one: its sample is kept at its time, but it moves
/// no breach clock, so it can neither fire a trigger nor pass a gate on its own.
#[test]
fn a_late_sample_cannot_fire_a_trigger_or_pass_a_gate() {
    let late = |sim: &mut Sim, secs: i64, value: f64| {
        sim.observe(Observation::Sample {
            metric: ERRORS,
            canary: Reading::Value(value),
            baseline: Reading::Value(GOOD),
            at: t0() + Duration::seconds(secs),
        })
    };
    // Trigger: a bad sample from 68 s ago must not start the breach clock back then.
    let mut sim = Sim::started(Spec {
        gates: SLOW_GATE,
        triggers: AUTO_TRIGGER,
        ..Spec::default()
    });
    sim.feed_to(ERRORS, 100, GOOD);
    let fx = late(&mut sim, 32, BAD);
    assert!(records(&fx).is_empty(), "{fx:#?}");
    let fx = sim.errors_at(105, BAD);
    assert!(restores(&fx).is_empty(), "{fx:#?}");
    assert_eq!(sim.release.trigger(0).unwrap().status, GateStatus::Warn);
    assert_eq!(sim.release.trigger(0).unwrap().breach_since, Some(sim.now));
    // Kept at its time, for the judge's windows and the sparklines.
    let kept = sim
        .release
        .metric(ERRORS)
        .unwrap()
        .canary
        .values_in(t0() + Duration::seconds(32)..=t0() + Duration::seconds(32));
    assert_eq!(kept, vec![BAD]);

    // Gate: a good sample from before the breach must not clear it.
    let mut sim = Sim::started(Spec::default());
    sim.feed_to(ERRORS, 30, GOOD);
    sim.feed_to(ERRORS, 50, BAD);
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    let since = sim.release.gate(0).unwrap().breach_since;
    let fx = late(&mut sim, 33, GOOD);
    assert!(records(&fx).is_empty(), "{fx:#?}");
    assert_eq!(sim.release.gate(0).unwrap().status, GateStatus::Warn);
    assert_eq!(sim.release.gate(0).unwrap().breach_since, since);
    let fx = sim.feed_to(ERRORS, 95, BAD);
    assert!(kinds(&fx).contains(&EventKind::GateFailed), "{fx:#?}");
}

/// A sample stamped after the engine's present (a clock running ahead) is not used, and
/// says so once until a usable sample comes.
#[test]
fn a_sample_from_the_future_is_not_used_and_reported_once() {
    let mut sim = Sim::started(Spec::default());
    sim.errors_at(5, GOOD);
    let ahead = |sim: &mut Sim| {
        let at = sim.now + Duration::seconds(30);
        sim.observe(Observation::Sample {
            metric: ERRORS,
            canary: Reading::Value(BAD),
            baseline: Reading::Value(GOOD),
            at,
        })
    };
    let fx = ahead(&mut sim);
    assert_eq!(kinds(&fx), vec![EventKind::GateWarning]);
    assert_eq!(
        records(&fx)[0].message,
        "a sample of errors is stamped 30s after the engine's clock: not used (is a clock wrong?)"
    );
    assert!(records(&ahead(&mut sim)).is_empty(), "said once");
    assert_eq!(sim.release.metric(ERRORS).unwrap().canary.len(), 1, "not kept");
    assert_eq!(sim.release.gate(0).unwrap().detail, "0.100 within bounds");
    sim.errors_at(10, GOOD);
    assert_eq!(
        kinds(&ahead(&mut sim)),
        vec![EventKind::GateWarning],
        "said again after a usable one"
    );
}

/// History may serve a sigma band as the baseline's history: the band judges the first
/// live sample instead of waiting for three live baseline points.
#[test]
fn history_serves_a_sigma_band_as_the_baseline_s_history() {
    let mut sim = Sim::started(Spec {
        gates: SIGMA_GATE,
        triggers: LATENCY_TRIGGER,
        ..Spec::default()
    });
    sim.history(GOOD);
    sim.feed_latency_to(5, 310.0);
    assert_eq!(
        sim.release.gate(0).unwrap().status,
        GateStatus::Pass,
        "{}",
        sim.gate_detail(0)
    );
    assert!(
        sim.gate_detail(0).contains("310 within bounds"),
        "{}",
        sim.gate_detail(0)
    );
}

/// What the router serves at start is shown before anything moves, and a confirmation
/// that came first is never overwritten by it.
#[test]
fn the_weight_found_at_start_is_the_first_word_on_traffic() {
    let (mut sim, _) = Sim::new(Spec::default());
    sim.router_live = false;
    assert_eq!(sim.release.actual_weight(), None);
    sim.observe(Observation::WeightFound { actual: w(25) });
    assert_eq!(sim.release.actual_weight(), Some(w(25)));
    assert!(
        sim.release
            .log()
            .iter()
            .any(|e| e.message == "router serves canary weight 25% at start, before anything changed")
    );
    sim.observe(Observation::WeightApplied { actual: Weight::ZERO });
    sim.observe(Observation::WeightFound { actual: w(50) });
    assert_eq!(
        sim.release.actual_weight(),
        Some(Weight::ZERO),
        "a late read changes nothing"
    );
}
