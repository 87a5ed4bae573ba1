//! The simulator drives whole releases by itself: each scenario ends where it should.

use std::sync::Arc;

use shipdeck::engine::{EventKind, PhaseName};
use shipdeck::sim::{Harness, Scenario};

fn harness(scenario: Scenario, seed: u64) -> Harness {
    let plan = shipdeck::plan::load(std::path::Path::new("plans/canary.yaml")).expect("canary plan");
    let start = "2026-11-22T10:00:00Z".parse().unwrap();
    Harness::new(Arc::new(plan), scenario, seed, start, true)
}

/// Runs `scenario` with `seed` to its end (within `secs` of virtual time) and requires it
/// promoted.
fn promoted(scenario: Scenario, seed: u64, secs: i64) -> Harness {
    let mut h = harness(scenario, seed);
    assert!(
        h.run_until(secs, |r| r.phase().is_final()),
        "seed {seed}: still {}",
        h.release.phase()
    );
    assert_eq!(
        h.release.phase(),
        PhaseName::Done,
        "seed {seed}: {:#?}",
        h.journal.last()
    );
    h
}

#[test]
fn healthy_canary_is_promoted_by_the_crew_and_the_gates() {
    // The judge's default rule fails any significant shift: the healthy simulator's noise
    // must not, whatever the seed.
    for seed in 1..=10 {
        let h = promoted(Scenario::Healthy, seed, 3 * 3600);
        assert!(h.journal.iter().any(|e| e.event == EventKind::Go));
        assert!(h.journal.iter().any(|e| e.actor.name.contains("sim crew")));
    }
}

/// A good canary behind a flaky metrics source: held through each outage, promoted in the
/// end, with the judge on.
#[test]
fn a_good_canary_behind_flaky_metrics_is_promoted_in_the_end() {
    for seed in 1..=5 {
        let h = promoted(Scenario::FlakyMetrics, seed, 6 * 3600);
        assert!(h.journal.iter().any(|e| e.actor.name == "judge"), "the judge took part");
    }
}

#[test]
fn bad_canary_is_rolled_back_by_the_judge_at_25_percent() {
    let mut h = harness(Scenario::BadCanary, 1);
    assert!(h.run_until(3 * 3600, |r| r.phase().is_final()));
    assert_eq!(h.release.phase(), PhaseName::RolledBack);
    assert_eq!(h.world.weight().percent(), 0);
    let fired = h
        .journal
        .iter()
        .find(|e| e.event == EventKind::RollbackStarted)
        .unwrap();
    // The judge compares whole sample sets, so it sees the climbing error rate in its first
    // interval at 25%, before the error-spike trigger's 1% threshold has held for a minute.
    assert_eq!(fired.actor.name, "judge", "{fired:?}");
    assert!(
        fired.message.contains("critical metric error_rate is High"),
        "{fired:?}"
    );
    assert_eq!(h.release.plan().stages[h.release.stage()].weight.percent(), 25);
}

#[test]
fn slow_burn_is_caught_before_promotion() {
    let mut h = harness(Scenario::SlowBurn, 1);
    h.run_until(3 * 3600, |r| {
        r.phase().is_final() || r.phase() == PhaseName::Held && r.stage() > 1
    });
    assert_ne!(h.release.phase(), PhaseName::Done);
}

#[test]
fn flaky_metrics_hold_the_release_and_never_count_as_passing() {
    let mut h = harness(Scenario::FlakyMetrics, 1);
    let held = h.run_until(3600, |r| {
        r.holds().iter().any(|reason| reason.to_string().contains("no data"))
    });
    assert!(held, "the outage must hold the release");
    assert_eq!(h.release.phase(), PhaseName::Held);
    let stage = h.release.stage();
    h.run_for(60);
    assert_eq!(h.release.stage(), stage, "no advance during the outage");
}

#[test]
fn the_same_seed_replays_the_same_release() {
    let mut a = harness(Scenario::SlowBurn, 7);
    let mut b = harness(Scenario::SlowBurn, 7);
    a.run_for(1800);
    b.run_for(1800);
    let text = |h: &Harness| {
        h.journal
            .iter()
            .map(|e| format!("{} {} {}", e.time, e.actor, e.message))
            .collect::<Vec<_>>()
    };
    assert_eq!(text(&a), text(&b));
}
