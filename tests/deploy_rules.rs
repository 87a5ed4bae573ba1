//! Stages that deploy: the image is ordered once the stage goes ahead, its weight waits for
//! every pod, a slow rollout holds after the plan's timeout (and goes on when the pods come
//! up), a failure to set the image holds, and going back stops following the rollout.

mod support;

use chrono::Duration;
use shipdeck::engine::{Command, EventKind, HoldReason, Observation, PhaseName, RolloutProgress, Step};
use shipdeck::plan::Weight;
use support::Drive;

const PLAN: &str = "plans/k8s-replicas-canary.yaml";

fn progress(desired: u32, updated: u32, available: u32, old: u32) -> RolloutProgress {
    RolloutProgress {
        desired,
        updated,
        available,
        old,
        observed: true,
    }
}

fn report(d: &mut Drive, p: RolloutProgress) {
    d.observe(Observation::DeployProgress { stage: 0, progress: p });
}

fn entries(d: &Drive, kind: EventKind) -> Vec<String> {
    d.release
        .log()
        .iter()
        .filter(|e| e.event == kind)
        .map(|e| e.message.clone())
        .collect()
}

#[test]
fn a_deploying_stage_moves_no_traffic_until_every_pod_is_available() {
    let mut d = Drive::of(PLAN);
    assert_eq!(d.deploys.len(), 1, "ordered as the release starts: {:?}", d.deploys);
    let order = &d.deploys[0];
    assert_eq!(
        (order.stage, order.deployment.as_str(), order.container.as_deref()),
        (0, "checkout-canary", Some("checkout")),
        "the target's canary Deployment, as the plan leaves it unnamed"
    );
    assert_eq!(order.image, "registry.example.com/shop/checkout:2.14.0");
    assert_eq!(d.release.step(), Step::Deploying);
    assert_eq!(entries(&d, EventKind::DeployStarted).len(), 1);

    report(&mut d, progress(2, 1, 0, 2));
    report(&mut d, progress(2, 1, 0, 2));
    report(&mut d, progress(2, 2, 1, 1));
    d.run(60);
    assert_eq!(d.release.step(), Step::Deploying, "the pods are not all available");
    assert_eq!(d.release.phase(), PhaseName::Pending, "waiting is not a hold");
    assert_eq!(d.release.stage(), 0);
    assert_eq!(
        entries(&d, EventKind::DeployProgress),
        [
            "Deployment checkout-canary: 1/2 updated, 0 available, 2 old pods left",
            "Deployment checkout-canary: 2/2 updated, 1 available, 1 old pod left"
        ],
        "each change once"
    );
    let refused = d.release.refusal(&Command::SetWeight {
        weight: Weight::new(5).unwrap(),
        stage: 0,
    });
    assert!(
        refused.is_some_and(|r| r.contains("deploying")),
        "a manual weight would skip the wait"
    );
    assert!(d.release.refusal(&Command::Advance { from: 0 }).is_some());

    report(&mut d, progress(2, 2, 2, 0));
    let ready = entries(&d, EventKind::Deployed);
    assert_eq!(ready.len(), 1);
    assert!(
        ready[0].starts_with("Deployment checkout-canary ready after 1m"),
        "{ready:?}"
    );
    assert_eq!(d.deploys_stopped, 1, "nothing left to follow");
    d.run_until("the release reaches the go/no-go stage", |r| r.stage() == 1);
    assert!(d.release.deploying().is_none());
}

#[test]
fn a_slow_rollout_holds_after_the_timeout_and_goes_on_once_the_pods_are_available() {
    let mut d = Drive::of(PLAN);
    report(&mut d, progress(3, 1, 0, 3));
    d.run(4 * 60 + 55);
    assert!(
        d.release.holds().is_empty(),
        "within the 5m timeout: {:?}",
        d.release.holds()
    );
    d.run(10);
    // Before go a hold keeps the phase PENDING; the reason is what the screen says.
    assert_eq!(d.release.phase(), PhaseName::Pending);
    let holds = d.release.holds();
    assert!(
        matches!(holds, [HoldReason::DeployTooSlow { deployment, progress, .. }]
            if deployment == "checkout-canary" && progress == "1/3 updated, 0 available, 3 old pods left"),
        "{holds:?}"
    );
    let said = holds[0].to_string();
    assert!(said.contains("not ready after 5m"), "{said}");
    assert_eq!(entries(&d, EventKind::DeployFailed).len(), 1, "said once");
    d.run(60);
    assert_eq!(entries(&d, EventKind::DeployFailed).len(), 1, "and not again");

    report(&mut d, progress(3, 3, 3, 0));
    assert!(d.release.holds().is_empty(), "{:?}", d.release.holds());
    d.run_until("the stage moves on", |r| r.stage() == 1);
}

#[test]
fn an_image_that_cannot_be_set_holds_and_a_rollback_stops_following_it() {
    let mut d = Drive::of(PLAN);
    let failure = "kubernetes: forbidden to patch deployments.apps/checkout-canary in shop (403)";
    d.observe(Observation::DeployFailed {
        stage: 0,
        message: failure.into(),
    });
    d.observe(Observation::DeployFailed {
        stage: 0,
        message: failure.into(),
    });
    assert!(
        matches!(d.release.holds(), [HoldReason::DeployFailing { message, .. }] if message == failure),
        "{:?}",
        d.release.holds()
    );
    assert_eq!(
        entries(&d, EventKind::DeployFailed).len(),
        1,
        "the same failure is said once"
    );
    // A report of another stage's deploy is not this one's.
    d.observe(Observation::DeployProgress {
        stage: 3,
        progress: progress(1, 1, 1, 0),
    });
    assert_eq!(d.release.step(), Step::Deploying);

    d.command(Command::Rollback, "ana");
    assert_eq!(d.deploys_stopped, 1);
    assert!(d.release.deploying().is_none());
    d.run(10);
    assert_eq!(d.release.phase(), PhaseName::RolledBack);
    // A late report changes nothing.
    report(&mut d, progress(2, 2, 2, 0));
    assert!(entries(&d, EventKind::Deployed).is_empty());
}

#[test]
fn a_deploy_that_ends_past_its_timeout_is_timed_from_its_own_start() {
    // The stage's clock starts when the deploy is ordered, not when the release loaded.
    let mut d = Drive::of("plans/k8s-blue-green.yaml");
    assert_eq!(d.deploys.len(), 1);
    assert_eq!(d.deploys[0].deployment, "billing-green");
    d.run(9 * 60);
    report(&mut d, progress(3, 3, 3, 0));
    assert_eq!(d.release.phase(), PhaseName::Pending, "ready within 10m: never held");
    let ready = entries(&d, EventKind::Deployed);
    assert!(ready[0].contains("ready after 9m"), "{ready:?}");
    assert!(d.now - support::t0() >= Duration::minutes(9));
}

#[test]
fn a_rolling_deploy_is_done_once_the_paused_deployment_has_the_image_and_a_batch_may_go_past() {
    let mut d = Drive::of("plans/k8s-rolling.yaml");
    assert!(d.deploys[0].paused, "nothing rolls until the first batch");
    assert_eq!(d.deploys[0].deployment, "checkout");
    // Paused: no pod is updated, and that is the deploy done.
    report(&mut d, progress(8, 0, 8, 8));
    assert_eq!(entries(&d, EventKind::Deployed).len(), 1);
    d.run_until("the go/no-go stage", |r| r.stage() == 1);
    d.go();
    d.run_until("the first batch is asked", |r| {
        r.desired_weight() == Weight::new(25).unwrap()
    });
    // The controller started a third pod before the pause landed: 3 of 8 is 38%.
    d.router_ok = false;
    d.observe(Observation::WeightApplied {
        actual: Weight::new(38).unwrap(),
    });
    d.step();
    assert_eq!(d.release.step(), Step::Holding, "the batch counts");
    let said: Vec<String> = d
        .release
        .log()
        .iter()
        .filter(|e| e.message.contains("went past the stage's weight"))
        .map(|e| e.message.clone())
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("the new version has 38%, 25% was asked"), "{said:?}");
}
