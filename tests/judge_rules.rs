//! The canary judge inside the release engine, on virtual time: when intervals are judged,
//! which samples count, and what pass, marginal, fail and no data do to the release.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use shipdeck::analysis::judge::Classification;
use shipdeck::analysis::judge::score::Outcome;
use shipdeck::engine::{
    Actor, Command, Effect, Event, EventKind, History, HoldReason, Observation, PastPoint, PhaseName, Reading, Release,
};
use shipdeck::plan::{Span, Weight};

const ERRORS: usize = 0;
const LATENCY: usize = 1;

fn plan(on_fail: &str, stages: &str) -> String {
    format!(
        r#"release:
  name: api
  version: "2.0.0"
  stable: "1.9.0"
  type: minor
  owner: {{ name: Ana }}
  on_call: {{ name: Sam }}
target: {{ router: sim }}
analysis:
  interval: 5s
  stale_after: 30s
  judge: {{ every: 1m, window: 5m, min_samples: 10, pass: 95, marginal: 50, on_fail: {on_fail},
           groups: {{ errors: 60, latency: 40 }} }}
metrics:
  - {{ name: errors, unit: "%", canary: c, baseline: b, judge: {{ group: errors, critical: true }} }}
  - {{ name: latency, unit: ms, canary: c, baseline: b, judge: {{ group: latency, tolerance: 0.1 }} }}
rollback:
  triggers: [{{ name: meltdown, metric: errors, max: 100000, for: 1m, action: auto }}]
approvals: [lead]
stages: {stages}
"#
    )
}

const LADDER: &str = "[{ name: five, weight: 5, hold: 2m }, { name: fifty, weight: 50, hold: 2m }, \
                      { name: full, weight: 100, hold: 1m }]";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

/// Deterministic noise in [0, 1): the same sample index always gives the same value.
fn noise(i: u64, stream: u64) -> f64 {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ stream.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 29;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// What the canary does relative to the baseline.
#[derive(Clone, Copy)]
struct Canary {
    /// Added to the canary's error rate (baseline 0.2% ± 0.02).
    errors: f64,
    /// Multiplies the canary's latency (baseline 180 ms ± 8).
    latency: f64,
    /// The canary's queries answer nothing.
    silent: bool,
    /// The canary's queries answer +Inf (a ratio over no requests).
    infinite: bool,
}

const HEALTHY: Canary = Canary {
    errors: 0.0,
    latency: 1.0,
    silent: false,
    infinite: false,
};

struct Run {
    release: Release,
    now: DateTime<Utc>,
    samples: u64,
    canary: Canary,
    log: Vec<Effect>,
}

impl Run {
    fn new(on_fail: &str, stages: &str) -> Run {
        let plan = shipdeck::plan::parse(&plan(on_fail, stages), "test").expect("test plan parses");
        let (release, fx) = Release::new(Arc::new(plan), t0());
        let mut run = Run {
            release,
            now: t0(),
            samples: 0,
            canary: HEALTHY,
            log: fx,
        };
        run.send(Event::Command(Command::Approve { role: "lead".into() }, ana()));
        assert!(run.release.desired_weight() > Weight::ZERO, "went on approval");
        run
    }

    /// Handles an event, confirming every weight at once as a live router would.
    fn send(&mut self, event: Event) -> Vec<Effect> {
        let mut fx = self.release.handle(event, self.now);
        let mut i = 0;
        while i < fx.len() {
            if let Effect::SetWeight(w) = fx[i] {
                let more = self
                    .release
                    .handle(Event::Observe(Observation::WeightApplied { actual: w }), self.now);
                fx.extend(more);
            }
            i += 1;
        }
        self.log.extend(fx.iter().cloned());
        fx
    }

    /// Samples both metrics every 5 s until `secs` seconds from now.
    fn run_for(&mut self, secs: i64) {
        let end = self.now + Duration::seconds(secs);
        while self.now + Duration::seconds(5) <= end {
            self.now += Duration::seconds(5);
            self.samples += 1;
            let i = self.samples;
            let base_errors = 0.2 + 0.02 * noise(i, 1);
            let base_latency = 180.0 + 8.0 * noise(i, 2);
            let canary_errors = 0.2 + 0.02 * noise(i, 3) + self.canary.errors;
            let canary_latency = (180.0 + 8.0 * noise(i, 4)) * self.canary.latency;
            for (metric, canary, baseline) in [
                (ERRORS, canary_errors, base_errors),
                (LATENCY, canary_latency, base_latency),
            ] {
                let canary = if self.canary.silent || self.release.actual_weight() == Some(Weight::ZERO) {
                    Reading::NoData("empty result".into())
                } else if self.canary.infinite {
                    Reading::Value(f64::INFINITY)
                } else {
                    Reading::Value(canary)
                };
                let at = self.now;
                self.send(Event::Observe(Observation::Sample {
                    metric,
                    canary,
                    baseline: Reading::Value(baseline),
                    at,
                }));
            }
        }
    }

    fn cmd(&mut self, command: Command) -> Vec<Effect> {
        self.send(Event::Command(command, ana()))
    }

    fn advance(&mut self) -> Vec<Effect> {
        let from = self.release.stage();
        self.cmd(Command::Advance { from })
    }

    fn judged(&self, kind: EventKind) -> Vec<String> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::Record(r) if r.event == kind => Some(r.message.clone()),
                _ => None,
            })
            .collect()
    }

    fn outcome(&self) -> Option<Outcome> {
        self.release.stage_judgement().map(|j| j.score.outcome)
    }
}

fn ana() -> Actor {
    Actor::person("ana", None)
}

fn refused(fx: &[Effect]) -> Option<String> {
    fx.iter().find_map(|e| match e {
        Effect::Record(r) if r.event == EventKind::Refused => Some(r.message.clone()),
        _ => None,
    })
}

#[test]
fn a_healthy_canary_is_judged_each_minute_and_promoted() {
    let mut run = Run::new("rollback", LADDER);
    run.run_for(55);
    assert!(
        run.release.stage_judgement().is_none(),
        "nothing judged before a minute"
    );
    run.run_for(5);
    let judgement = run.release.stage_judgement().expect("judged at one minute");
    assert_eq!(judgement.score.outcome, Outcome::Pass, "{:?}", judgement.score);
    assert_eq!(judgement.score.score, 100.0);
    let latency = judgement.metrics[LATENCY].as_ref().unwrap();
    assert_eq!(latency.classification, Classification::Pass);
    // A minute of samples every 5 s, judged on the first sample at 60 s: the samples of that
    // instant are left out for every metric, whichever arrived first.
    for verdict in judgement.metrics.iter().flatten() {
        assert_eq!((verdict.control.n, verdict.experiment.n), (11, 11), "{verdict:?}");
    }
    run.run_for(60 * 6);
    assert_eq!(run.release.phase(), PhaseName::Done);
    let scores: Vec<_> = run.release.judge().unwrap().scores.tail(100).collect();
    assert_eq!(
        scores.len(),
        4,
        "two intervals at 5% and two at 50%; none at 100%: {scores:?}"
    );
    assert!(scores.iter().all(|s| *s == Some(100.0)));
    // The log says when the verdict changes, not every minute.
    assert_eq!(
        run.judged(EventKind::JudgePass).len(),
        2,
        "{:?}",
        run.judged(EventKind::JudgePass)
    );
}

#[test]
fn a_hold_shorter_than_the_interval_waits_for_the_first_judgement() {
    let stages = "[{ name: five, weight: 5, hold: 20s }, { name: full, weight: 100, hold: 0s }]";
    let mut run = Run::new("rollback", stages);
    run.run_for(55);
    assert_eq!(run.release.stage(), 0, "hold done, but nothing judged yet");
    let fx = run.advance();
    let why = refused(&fx).expect("manual advance refused too");
    assert!(why.contains("has not judged an interval"), "{why}");
    run.run_for(5);
    assert_eq!(run.release.stage(), 1, "advanced once the first interval passed");
}

#[test]
fn a_slower_canary_on_a_light_metric_is_marginal_and_waits_for_the_operator() {
    let mut run = Run::new("rollback", LADDER);
    run.canary.latency = 1.5;
    run.run_for(60);
    let judgement = run.release.stage_judgement().unwrap();
    assert_eq!(
        judgement.metrics[LATENCY].as_ref().unwrap().classification,
        Classification::High
    );
    assert_eq!(
        (judgement.score.score, judgement.score.outcome),
        (60.0, Outcome::Marginal)
    );
    assert_eq!(run.release.phase(), PhaseName::Held);
    assert!(
        matches!(run.release.holds(), [HoldReason::JudgeMarginal { score }] if *score == 60.0),
        "{:?}",
        run.release.holds()
    );
    // Even when the next intervals pass, the marginal verdict waits for a person.
    run.canary = HEALTHY;
    run.samples += 1000;
    run.run_for(60 * 6);
    assert_eq!(run.release.stage(), 0);
    assert_eq!(run.release.phase(), PhaseName::Held);
    // Advancing is the operator's answer: promote past it, on the record.
    run.advance();
    assert_eq!(run.release.stage(), 1);
    let advanced: Vec<_> = run
        .log
        .iter()
        .filter_map(|e| match e {
            Effect::Record(r) if r.event == EventKind::Advanced => Some(r.message.clone()),
            _ => None,
        })
        .collect();
    assert!(
        advanced
            .iter()
            .any(|m| m.contains("past a marginal canary judgement (score 60)")),
        "{advanced:?}"
    );
    assert!(
        run.release.holds().is_empty(),
        "the next stage starts clean: {:?}",
        run.release.holds()
    );
}

#[test]
fn a_failing_critical_metric_rolls_back_when_the_plan_says_so() {
    let mut run = Run::new("rollback", LADDER);
    run.canary.errors = 0.5;
    run.run_for(60);
    assert_eq!(run.release.phase(), PhaseName::RolledBack);
    assert!(run.log.contains(&Effect::SetWeight(Weight::ZERO)));
    let reason = run.release.rollback_reason().unwrap();
    assert!(
        reason.contains("canary judge failed") && reason.contains("critical metric errors is High"),
        "{reason}"
    );
    assert_eq!(run.judged(EventKind::JudgeFail).len(), 1);
}

#[test]
fn a_failing_interval_holds_and_asks_when_the_plan_says_ask() {
    let mut run = Run::new("ask", LADDER);
    run.canary.errors = 0.5;
    run.run_for(60);
    assert_eq!(run.release.phase(), PhaseName::Held);
    assert!(
        matches!(run.release.holds(), [HoldReason::JudgeFailed { score, why }]
            if *score == 0.0 && why.contains("critical metric errors is High")),
        "{:?}",
        run.release.holds()
    );
    assert!(
        !run.log.contains(&Effect::SetWeight(Weight::ZERO)),
        "asks, does not roll back"
    );
    let why = refused(&run.advance()).expect("no advancing past a failed interval");
    assert!(why.contains("canary judge failed"), "{why}");
    run.cmd(Command::Rollback);
    assert_eq!(run.release.phase(), PhaseName::RolledBack);
}

#[test]
fn a_failed_interval_keeps_holding_while_the_operator_dials_the_weight() {
    let mut run = Run::new("ask", LADDER);
    run.canary.errors = 0.5;
    run.run_for(60);
    assert!(
        matches!(run.release.holds(), [HoldReason::JudgeFailed { .. }]),
        "{:?}",
        run.release.holds()
    );
    // Down to 1% to limit the harm, with the router yet to confirm it.
    let weight = Weight::new(1).unwrap();
    let fx = run
        .release
        .handle(Event::Command(Command::SetWeight { weight, stage: 0 }, ana()), run.now);
    assert!(fx.contains(&Effect::SetWeight(weight)), "{fx:?}");
    assert_eq!(run.release.phase(), PhaseName::Held, "{:?}", run.release.holds());
    assert!(
        matches!(run.release.holds(), [HoldReason::JudgeFailed { .. }]),
        "the failed verdict still holds while the weight moves: {:?}",
        run.release.holds()
    );
    assert!(
        run.release.stage_judgement().is_none(),
        "the verdict at 5% is not the verdict at 1%"
    );
    run.send(Event::Observe(Observation::WeightApplied { actual: weight }));
    // Held by the verdict first, and by the manual weight, which is said too.
    assert!(
        matches!(
            run.release.holds(),
            [HoldReason::JudgeFailed { .. }, HoldReason::ManualWeight { .. }]
        ),
        "{:?}",
        run.release.holds()
    );
    let why = refused(&run.advance()).expect("dialling the weight does not decide the verdict");
    assert!(why.contains("canary judge failed"), "{why}");
}

#[test]
fn a_silent_canary_holds_with_no_data_and_never_passes_or_rolls_back() {
    let mut run = Run::new("rollback", LADDER);
    run.canary.silent = true;
    run.run_for(60 * 4);
    assert_eq!(run.outcome(), Some(Outcome::NoData));
    assert_eq!(run.release.stage(), 0);
    assert!(
        !run.log.contains(&Effect::SetWeight(Weight::ZERO)),
        "missing data is no reason to roll back"
    );
    assert!(
        run.release
            .holds()
            .iter()
            .any(|h| matches!(h, HoldReason::JudgeNoData { why, .. } if why.contains("no data for 2 of 2 metrics"))),
        "{:?}",
        run.release.holds()
    );
    // Data back: the window fills with real samples and the next intervals pass.
    run.canary.silent = false;
    run.run_for(60);
    assert_eq!(run.outcome(), Some(Outcome::Pass));
    assert!(
        !run.release
            .holds()
            .iter()
            .any(|h| matches!(h, HoldReason::JudgeNoData { .. })),
        "{:?}",
        run.release.holds()
    );
}

#[test]
fn a_canary_gone_quiet_is_no_data_even_with_enough_older_samples() {
    let mut run = Run::new("rollback", LADDER);
    run.run_for(60);
    assert_eq!(run.outcome(), Some(Outcome::Pass));
    run.canary.silent = true;
    run.run_for(60);
    // The window still holds a minute of good canary samples, but none from the last 30 s.
    let j = run.release.stage_judgement().unwrap();
    assert_eq!(j.score.outcome, Outcome::NoData, "{:?}", j.score);
    let errors = j.metrics[ERRORS].as_ref().unwrap();
    assert_eq!(errors.classification, Classification::NoData);
    assert_eq!(errors.reason, "canary data stale: newest finite value 60s old");
    assert_eq!(run.release.stage(), 0);
}

#[test]
fn a_canary_answering_only_infinity_is_no_data_whatever_its_older_values_say() {
    let mut run = Run::new("rollback", LADDER);
    run.run_for(60);
    assert_eq!(run.outcome(), Some(Outcome::Pass));
    // The queries still answer, but with values the NaN strategy drops: what is left is a
    // minute of older samples, enough in number but no longer the canary's present.
    run.canary.infinite = true;
    run.run_for(60);
    let j = run.release.stage_judgement().unwrap();
    assert_eq!(j.score.outcome, Outcome::NoData, "{:?}", j.score);
    let latency = j.metrics[LATENCY].as_ref().unwrap();
    assert_eq!(latency.reason, "canary data stale: newest finite value 60s old");
    assert_eq!(run.release.stage(), 0, "not promoted on the older samples");
}

#[test]
fn samples_from_before_the_weight_changed_are_not_judged() {
    let mut run = Run::new("rollback", LADDER);
    run.run_for(60 * 2);
    assert_eq!(run.release.stage(), 1, "promoted to 50%");
    let judgement = run.release.stage_judgement();
    assert!(judgement.is_none(), "a new weight starts without a verdict");
    run.run_for(60);
    let j = run.release.stage_judgement().unwrap();
    let errors = j.metrics[ERRORS].as_ref().unwrap();
    // A minute at 50%, before the judgement's instant (not the sample taken the instant the
    // weight was confirmed, nor the window's 5 minutes, which reach back into the 5% stage).
    assert_eq!(errors.experiment.n, 11, "{errors:?}");
}

#[test]
fn the_judge_rests_at_full_weight() {
    let stages = "[{ name: full, weight: 100, hold: 1m }]";
    let mut run = Run::new("rollback", stages);
    assert!(!run.release.judge_active());
    run.run_for(60);
    assert_eq!(run.release.phase(), PhaseName::Done);
    assert!(run.release.judge().unwrap().last.is_none());
}

/// The backfill read at start: ten minutes of both metrics before t0, the canary as given.
fn history(canary_errors: f64, canary_latency: f64) -> Observation {
    let points = (1..=120)
        .rev()
        .flat_map(|k| {
            let at = t0() - Duration::seconds(5 * k);
            [(ERRORS, canary_errors, 0.2), (LATENCY, canary_latency, 180.0)].map(|(metric, canary, baseline)| {
                PastPoint {
                    metric,
                    at,
                    canary: Some(canary),
                    baseline: Some(baseline),
                }
            })
        })
        .collect();
    Observation::History(History {
        span: Span::minutes(10),
        points,
        problem: None,
    })
}

/// History is never in a judged window: a failed attempt's canary read back at start does
/// not fail the retry's first interval, nor does history keep a silent canary "fresh".
#[test]
fn history_is_never_judged() {
    let mut run = Run::new("rollback", LADDER);
    run.send(Event::Observe(history(5.0, 900.0)));
    run.run_for(60);
    let judgement = run.release.stage_judgement().expect("judged at one minute");
    assert_eq!(judgement.score.outcome, Outcome::Pass, "{:?}", judgement.score);
    for verdict in judgement.metrics.iter().flatten() {
        assert_eq!((verdict.control.n, verdict.experiment.n), (11, 11), "{verdict:?}");
    }

    let mut run = Run::new("rollback", LADDER);
    run.send(Event::Observe(history(0.2, 180.0)));
    run.canary.silent = true;
    run.run_for(60);
    let judgement = run.release.stage_judgement().expect("judged at one minute");
    assert_eq!(judgement.score.outcome, Outcome::NoData, "{:?}", judgement.score);
    let errors = judgement.metrics[ERRORS].as_ref().unwrap();
    assert_eq!(errors.reason, "canary has no finite value in the window");
}
