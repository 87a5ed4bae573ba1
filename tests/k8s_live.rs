//! The watches behind the traffic pane's "live" lines, on kube-runtime's watcher against the
//! fake API server over real HTTP: what the HTTPRoute routes and each version's ready pods
//! arrive as they change; an expired resourceVersion (410) and a cut connection are
//! recovered without a word; an API server that stops answering is reported lost (stale),
//! and its return is news again.

use std::time::Duration;

use serde_json::{Value, json};
use shipdeck::backend::kube::live::LiveWatch;
use shipdeck::engine::{LiveFact, LiveSource, Observation};
use shipdeck::plan::{GatewayApiTarget, Target, Weight};
use shipdeck_testsvc::kube_api::FakeApiServer;
use tokio::sync::mpsc;

fn route() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/k8s/httproute-checkout.yaml").unwrap();
    let mut route: Value = serde_yaml::from_str(&text).unwrap();
    route["metadata"].as_object_mut().unwrap().remove("resourceVersion");
    route
}

fn with_weights(stable: u64, canary: u64) -> Value {
    let mut route = route();
    route["spec"]["rules"][1]["backendRefs"][0]["weight"] = json!(stable);
    route["spec"]["rules"][1]["backendRefs"][1]["weight"] = json!(canary);
    route
}

fn service(name: &str, version: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"},
           "spec": {"selector": {"app": "checkout", "version": version}}})
}

fn pod(name: &str, version: &str, ready: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": "shop", "labels": {"app": "checkout", "version": version}},
           "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
}

fn target() -> Target {
    Target::GatewayApi {
        route: GatewayApiTarget {
            route: "checkout".into(),
            rule: 1,
            stable: "checkout-stable".into(),
            canary: "checkout-canary".into(),
        },
        cluster: Default::default(),
    }
}

fn client(api: &FakeApiServer) -> kube::Client {
    shipdeck::tls::choose_crypto_provider();
    let mut config = kube::Config::new(api.url().parse().unwrap());
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

/// Waits (at most 10 s) for `source` to report `wanted`; returns every fact seen meanwhile.
async fn until(
    rx: &mut mpsc::Receiver<Observation>,
    source: LiveSource,
    wanted: &LiveFact,
) -> Vec<(LiveSource, LiveFact)> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let next = tokio::time::timeout_at(deadline, rx.recv()).await;
        let Ok(Some(Observation::Live { source: s, fact })) = next else {
            panic!("no {wanted:?} from {source:?}; saw {seen:?}");
        };
        seen.push((s, fact.clone()));
        if s == source && &fact == wanted {
            return seen;
        }
    }
}

fn w(p: u8) -> LiveFact {
    LiveFact::Weight(Weight::new(p).unwrap())
}

#[tokio::test]
async fn the_live_lines_follow_the_objects_through_expiry_cuts_and_an_outage() {
    let api = FakeApiServer::start().unwrap();
    api.put(route());
    api.put(service("checkout-stable", "2.13.4"));
    api.put(service("checkout-canary", "2.14.0"));
    for i in 0..3 {
        api.put(pod(&format!("stable-{i}"), "2.13.4", true));
    }
    api.put(pod("canary-0", "2.14.0", false));
    let (tx, mut rx) = mpsc::channel(64);
    let watch = LiveWatch::of(&target());
    let running = tokio::spawn(watch.run_with(client(&api), "shop", tx));

    until(&mut rx, LiveSource::Router, &w(0)).await;
    until(&mut rx, LiveSource::StablePods, &LiveFact::Pods { ready: 3, total: 3 }).await;
    until(&mut rx, LiveSource::CanaryPods, &LiveFact::Pods { ready: 0, total: 1 }).await;

    // Changes arrive as they happen, made by anyone.
    api.put(with_weights(75, 25));
    until(&mut rx, LiveSource::Router, &w(25)).await;
    api.put(pod("canary-0", "2.14.0", true));
    until(&mut rx, LiveSource::CanaryPods, &LiveFact::Pods { ready: 1, total: 1 }).await;

    // An expired resourceVersion: the watcher lists afresh; no loss is reported.
    let served = api.watches_served();
    api.expire_watches();
    api.put(with_weights(50, 50));
    let seen = until(&mut rx, LiveSource::Router, &w(50)).await;
    assert!(!seen.iter().any(|(_, f)| matches!(f, LiveFact::Lost(_))), "{seen:?}");
    // The new fact may come from the relist, before the watch that follows it starts.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while api.watches_served() <= served && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(api.watches_served() > served, "it watched again");

    // A cut connection: resumed, and what changed in the gap arrives.
    api.drop_watches();
    api.put(pod("stable-2", "2.13.4", false));
    let seen = until(&mut rx, LiveSource::StablePods, &LiveFact::Pods { ready: 2, total: 3 }).await;
    assert!(!seen.iter().any(|(_, f)| matches!(f, LiveFact::Lost(_))), "{seen:?}");

    // The API server stops answering: lost (the screen says stale), then back with news.
    api.set_down(true);
    api.drop_watches();
    let lost = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Observation::Live {
                fact: LiveFact::Lost(why),
                ..
            }) = rx.recv().await
            {
                return why;
            }
        }
    })
    .await
    .expect("a loss is reported");
    assert!(lost.contains("503") || lost.contains("etcdserver"), "{lost}");
    api.set_down(false);
    api.put(with_weights(0, 100));
    until(&mut rx, LiveSource::Router, &w(100)).await;
    running.abort();
}
