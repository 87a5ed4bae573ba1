//! What the cluster's watches report, in the engine: a lost watch is said once and its
//! return once; traffic the router's object routes otherwise than the release set holds
//! the release, but only once it outlasts the time a watch event takes to arrive.

mod support;

use shipdeck::engine::{
    Actor, Command, Effect, Event, EventKind, HoldReason, LiveFact, LiveSource, Observation, PhaseName,
};
use shipdeck::plan::Weight;
use support::Drive;

const PLAN: &str = "plans/k8s-gateway-canary.yaml";

fn routes(d: &mut Drive, percent: u8) {
    d.observe(Observation::Live {
        source: LiveSource::Router,
        fact: LiveFact::Weight(Weight::new(percent).unwrap()),
    });
}

fn count(d: &Drive, kind: EventKind) -> usize {
    d.release.log().iter().filter(|e| e.event == kind).count()
}

fn changed_elsewhere(d: &Drive) -> bool {
    d.release
        .holds()
        .iter()
        .any(|h| matches!(h, HoldReason::ChangedElsewhere { .. }))
}

#[test]
fn a_lost_watch_is_said_once_and_so_is_its_return() {
    let mut d = Drive::of(PLAN);
    routes(&mut d, 0);
    for _ in 0..3 {
        d.observe(Observation::Live {
            source: LiveSource::Router,
            fact: LiveFact::Lost("watch on checkout: 503".into()),
        });
        d.run(5);
    }
    assert_eq!(count(&d, EventKind::WatchLost), 1);
    assert!(d.release.live().any_lost());
    assert_eq!(d.release.live().weight(), None, "a lost watch shows no current weight");
    routes(&mut d, 0);
    let back: Vec<_> = d
        .release
        .log()
        .iter()
        .filter(|e| e.event == EventKind::Note && e.message.contains("is back"))
        .collect();
    assert_eq!(back.len(), 1, "{back:?}");
    assert!(!d.release.live().any_lost());
}

#[test]
fn traffic_changed_by_someone_else_holds_once_it_outlasts_the_grace() {
    let mut d = Drive::of(PLAN);
    d.go();
    d.hold_at(1);
    routes(&mut d, 5);
    d.run(30);
    assert!(!changed_elsewhere(&d));
    // Someone edits the HTTPRoute to 30%.
    routes(&mut d, 30);
    d.run(5);
    assert!(
        !changed_elsewhere(&d),
        "within the grace: may be an event still on its way"
    );
    d.run(10);
    assert!(changed_elsewhere(&d), "{:?}", d.release.holds());
    assert_eq!(d.release.phase(), PhaseName::Held);
    let said = d.release.holds()[0].to_string();
    assert!(
        said.contains("routes 30% to the canary, not the 5% this release set"),
        "{said}"
    );
    assert!(d.release.refusal(&Command::Advance { from: 1 }).is_some());
    d.run(10 * 60);
    assert_eq!(d.release.stage(), 1, "no auto-advance while it lasts");
    // Put back: the hold clears and the release goes on.
    routes(&mut d, 5);
    d.step();
    assert!(!changed_elsewhere(&d));
    d.run_until("the next stage", |r| r.stage() == 2);
}

#[test]
fn a_watch_event_late_behind_the_router_s_answer_never_holds() {
    let mut d = Drive::of(PLAN);
    d.go();
    d.hold_at(1);
    routes(&mut d, 5);
    d.run_until("the 25% stage holds", |r| {
        r.stage() == 2 && r.step() == shipdeck::engine::Step::Holding
    });
    // The router confirmed 25%; the watch still says 5% for a few seconds.
    d.run(5);
    assert!(!changed_elsewhere(&d));
    routes(&mut d, 25);
    d.run(60);
    assert!(!changed_elsewhere(&d));
    assert_eq!(count(&d, EventKind::Held), 0);
}

#[test]
fn an_argo_rollout_sets_its_own_weights_so_the_slider_is_read_only() {
    let mut d = Drive::of("plans/argo-rollout.yaml");
    // Its first stage is the go stage: checklist and approval at 20%.
    let items = d.release.progress(0).map_or(0, |p| p.items.len());
    for item in 0..items {
        d.command(Command::ToggleItem { item }, "ana");
    }
    d.command(Command::Approve { role: "team".into() }, "sam");
    d.hold_at(0);
    let refused = d.release.refusal(&Command::SetWeight {
        weight: Weight::new(10).unwrap(),
        stage: 0,
    });
    assert!(
        refused
            .as_deref()
            .is_some_and(|r| r.contains("the Argo Rollout sets its own weights")),
        "{refused:?}"
    );
    // Pausing the release pauses the Rollout (its timed pauses would go on without us).
    let ana = || Actor::person("ana", None);
    let fx = d.release.handle(Event::Command(Command::Pause, ana()), d.now);
    assert!(fx.contains(&Effect::PauseTarget(true)), "{fx:?}");
    let fx = d.release.handle(Event::Command(Command::Resume, ana()), d.now);
    assert!(fx.contains(&Effect::PauseTarget(false)), "{fx:?}");
}

#[test]
fn an_argo_rollback_ends_once_the_rollout_is_undone_too() {
    let go = |d: &mut Drive| {
        let items = d.release.progress(0).map_or(0, |p| p.items.len());
        for item in 0..items {
            d.command(Command::ToggleItem { item }, "ana");
        }
        d.command(Command::Approve { role: "team".into() }, "sam");
        d.hold_at(0);
    };
    let mut d = Drive::of("plans/argo-rollout.yaml");
    go(&mut d);
    d.command(Command::Rollback, "ana");
    d.step();
    assert_eq!(d.release.actual_weight(), Some(Weight::ZERO), "aborted");
    assert_eq!(d.release.phase(), PhaseName::RollingBack, "the undo is still out");
    d.observe(Observation::PreviousRestored);
    assert_eq!(d.release.phase(), PhaseName::RolledBack);

    // An undo that fails is said, and the rollback (traffic at 0%) still ends.
    let mut d = Drive::of("plans/argo-rollout.yaml");
    go(&mut d);
    d.command(Command::Rollback, "ana");
    d.step();
    d.observe(Observation::RestoreFailed {
        message: "restore 2.13.4: the stable ReplicaSet of Rollout checkout (old4c) is gone".into(),
    });
    assert_eq!(d.release.phase(), PhaseName::RolledBack);
    assert!(
        d.release
            .log()
            .iter()
            .any(|e| e.event == EventKind::RouterFailed && e.message.contains("could not be put back")),
        "{:?}",
        d.release.log()
    );
}
