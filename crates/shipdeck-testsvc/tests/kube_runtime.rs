//! kube's own client and kube-runtime's watcher (the versions and features shipdeck uses)
//! against the fake API server: the proof that its lists and watches are served as kube 5
//! reads them, that a watcher relists after `expire_watches` and resumes without a relist
//! after `drop_watches`, and that `await_condition` sees the Deployment controller finish
//! a rollout.

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::wait::await_condition;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Config};
use serde_json::{Value, json};
use shipdeck_testsvc::kube_api::{FakeApiServer, Options};
use tokio::sync::mpsc;

/// How long any one event may take to arrive before a test fails.
const PATIENCE: Duration = Duration::from_secs(10);

fn deployment(name: &str, replicas: u32, image: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": "shop", "labels": {"app": name}},
           "spec": {"replicas": replicas,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                                 "spec": {"containers": [{"name": "app", "image": image}]}}}})
}

/// kube's client, configured from the kubeconfig the fake writes, as shipdeck configures it.
async fn deployments(api: &FakeApiServer) -> Api<Deployment> {
    let kubeconfig = Kubeconfig::from_yaml(&api.kubeconfig("shop")).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Api::namespaced(Client::try_from(config).unwrap(), "shop")
}

fn shipdeck() -> PatchParams {
    PatchParams {
        field_manager: Some("shipdeck".into()),
        ..PatchParams::default()
    }
}

async fn set_replicas(deployments: &Api<Deployment>, name: &str, replicas: u32) {
    let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
    deployments.patch(name, &shipdeck(), &patch).await.unwrap();
}

/// A watcher of one Deployment, polled on a task of its own (so it keeps its watch open
/// while the test acts), its items forwarded as they come.
struct Watcher {
    items: mpsc::UnboundedReceiver<Result<Event<Deployment>, watcher::Error>>,
}

impl Watcher {
    fn start(deployments: Api<Deployment>, name: &str) -> Watcher {
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let (tx, items) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut stream = watcher::watcher(deployments, config).boxed();
            while let Some(item) = stream.next().await {
                if tx.send(item).is_err() {
                    return;
                }
            }
        });
        Watcher { items }
    }

    async fn next(&mut self) -> Result<Event<Deployment>, watcher::Error> {
        tokio::time::timeout(PATIENCE, self.items.recv())
            .await
            .expect("the watcher yields in time")
            .expect("the watcher goes on")
    }

    /// The events of an initial list: Init, the Deployment, InitDone.
    async fn listed(&mut self, name: &str) {
        assert!(matches!(self.next().await, Ok(Event::Init)));
        match self.next().await {
            Ok(Event::InitApply(d)) => assert_eq!(d.metadata.name.as_deref(), Some(name)),
            other => panic!("expected InitApply, got {other:?}"),
        }
        assert!(matches!(self.next().await, Ok(Event::InitDone)));
    }
}

/// Waits (bounded) until `done` holds.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_watcher_sees_changes_as_they_happen() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("web", 2, "web:1"));
    api.put(deployment("api", 2, "api:1"));
    let deployments = deployments(&api).await;
    let mut watcher = Watcher::start(deployments.clone(), "web");
    watcher.listed("web").await;
    until("the watch is open", || api.open_watches() == 1).await;

    set_replicas(&deployments, "api", 7).await;
    set_replicas(&deployments, "web", 5).await;
    match watcher.next().await {
        Ok(Event::Apply(d)) => {
            assert_eq!(d.metadata.name.as_deref(), Some("web"), "api is not watched");
            assert_eq!(d.spec.unwrap().replicas, Some(5));
            assert_eq!(d.metadata.generation, Some(2));
        }
        other => panic!("expected Apply, got {other:?}"),
    }
    api.delete(&shipdeck_testsvc::kube_api::store::Key::of(&deployment("web", 0, "")).unwrap());
    assert!(matches!(watcher.next().await, Ok(Event::Delete(_))));
}

#[tokio::test]
async fn a_watcher_relists_after_its_watch_expires() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("web", 2, "web:1"));
    let deployments = deployments(&api).await;
    let mut watcher = Watcher::start(deployments.clone(), "web");
    watcher.listed("web").await;
    until("the watch is open", || api.open_watches() == 1).await;

    api.expire_watches();
    match watcher.next().await {
        Err(watcher::Error::WatchError(status)) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
        }
        other => panic!("expected a 410 WatchError, got {other:?}"),
    }
    // A relist, then a watch from its fresh resourceVersion that the server takes.
    watcher.listed("web").await;
    until("the new watch is open", || {
        api.open_watches() == 1 && api.watches_served() == 2
    })
    .await;
    set_replicas(&deployments, "web", 4).await;
    match watcher.next().await {
        Ok(Event::Apply(d)) => assert_eq!(d.spec.unwrap().replicas, Some(4)),
        other => panic!("expected Apply, got {other:?}"),
    }
    assert_eq!(api.watches_served(), 2, "no more expiries, no more watches");
}

#[tokio::test]
async fn a_watcher_resumes_from_its_last_resource_version_after_a_dropped_connection() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("web", 2, "web:1"));
    let deployments = deployments(&api).await;
    let mut watcher = Watcher::start(deployments.clone(), "web");
    watcher.listed("web").await;
    until("the watch is open", || api.open_watches() == 1).await;

    api.drop_watches();
    // Made while the connection is down: the resumed watch replays it.
    set_replicas(&deployments, "web", 6).await;
    loop {
        match watcher.next().await {
            Ok(Event::Apply(d)) => {
                assert_eq!(d.spec.unwrap().replicas, Some(6));
                break;
            }
            // kube may report the cut stream before it resumes.
            Err(watcher::Error::WatchFailed(_)) => {}
            other => panic!("expected the change after a resumed watch, not a relist: {other:?}"),
        }
    }
    assert_eq!(api.watches_served(), 2);
    until("the resumed watch is the only one open", || api.open_watches() == 1).await;
}

#[tokio::test]
async fn await_condition_sees_the_controller_finish_a_rollout() {
    let api = FakeApiServer::start_with(Options::controller(Duration::from_millis(10))).unwrap();
    let mut web = deployment("web", 3, "web:1");
    web["status"] = json!({"replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3});
    api.put(web);
    let deployments = deployments(&api).await;
    let patch =
        Patch::Merge(json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "web:2"}]}}}}));
    let patched = deployments.patch("web", &shipdeck(), &patch).await.unwrap();
    let generation = patched.metadata.generation.unwrap();
    assert_eq!(generation, 2);

    let rolled_out = move |d: Option<&Deployment>| {
        let Some(d) = d else { return false };
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let Some(status) = &d.status else { return false };
        status.observed_generation >= Some(generation)
            && status.updated_replicas == Some(want)
            && status.ready_replicas == Some(want)
            && status.available_replicas == Some(want)
            && status.replicas == Some(want)
    };
    let done = tokio::time::timeout(PATIENCE, await_condition(deployments, "web", rolled_out))
        .await
        .expect("the rollout finishes in time")
        .unwrap()
        .unwrap();
    let annotations = done.metadata.annotations.unwrap();
    assert_eq!(annotations["deployment.kubernetes.io/revision"], "2");
    let containers = done.spec.unwrap().template.spec.unwrap().containers;
    assert_eq!(containers[0].image.as_deref(), Some("web:2"));
    assert_eq!(api.writes().len(), 1, "the controller's writes are not clients'");
}
