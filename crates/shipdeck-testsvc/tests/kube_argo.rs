//! The fake Argo Rollouts controller and the Rollout's status subresource, on the wire: a
//! canary Rollout driven as Argo's CLI drives it (promote by clearing the pause conditions,
//! abort, retry, promote --full on `/status`; undo by a JSON patch putting an older
//! ReplicaSet's template back), stepped with `step_rollouts`, then the same moves through
//! kube's own client with the controller running by itself.

use std::time::Duration;

use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::{Client, Config};
use serde_json::{Value, json};
use shipdeck_testsvc::kube_api::{FakeApiServer, Options};
use tokio::sync::mpsc;

const ROLLOUT: &str = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web";
const STATUS: &str = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web/status";
const REPLICA_SETS: &str = "/apis/apps/v1/namespaces/shop/replicasets";
/// How long the controller running by itself may take to get somewhere.
const PATIENCE: Duration = Duration::from_secs(10);

fn template(image: &str) -> Value {
    json!({"metadata": {"labels": {"app": "web"}},
           "spec": {"containers": [{"name": "web", "image": image}]}})
}

fn rollout(steps: Value) -> Value {
    json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
           "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
           "spec": {"replicas": 5, "selector": {"matchLabels": {"app": "web"}},
                    "strategy": {"canary": {"canaryService": "web-canary", "stableService": "web-stable",
                                            "steps": steps}},
                    "template": template("web:1")}})
}

fn canary_steps() -> Value {
    json!([{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {"duration": "10m"}},
           {"analysis": {"templates": [{"templateName": "success-rate"}]}}, {"setWeight": 100}])
}

async fn get(api: &FakeApiServer, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", api.url())).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

async fn patch(api: &FakeApiServer, path: &str, content_type: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .patch(format!("{}{path}?fieldManager=shipdeck", api.url()))
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

async fn merge(api: &FakeApiServer, path: &str, body: Value) -> Value {
    let (status, object) = patch(api, path, "application/merge-patch+json", body).await;
    assert_eq!(status, 200, "{object}");
    object
}

/// One step of the controller, then the Rollout as a client reads it.
async fn step(api: &FakeApiServer) -> Value {
    api.step_rollouts();
    get(api, ROLLOUT).await.1
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap()
}

/// (phase, message, currentStepIndex, canary weight, stable weight) as the status says.
fn at(rollout: &Value) -> (String, String, u64, u64, u64) {
    let status = &rollout["status"];
    let weights = &status["canary"]["weights"];
    (
        status["phase"].as_str().unwrap_or_default().to_string(),
        status["message"].as_str().unwrap_or_default().to_string(),
        status["currentStepIndex"].as_u64().unwrap(),
        weights["canary"]["weight"].as_u64().unwrap(),
        weights["stable"]["weight"].as_u64().unwrap(),
    )
}

fn expect(phase: &str, message: &str, index: u64, canary: u64) -> (String, String, u64, u64, u64) {
    (phase.into(), message.into(), index, canary, 100 - canary)
}

/// Each ReplicaSet of the Rollout: (hash, revision, spec.replicas), by revision.
async fn replica_sets(api: &FakeApiServer) -> Vec<(String, String, u64)> {
    let (_, list) = get(api, REPLICA_SETS).await;
    assert_eq!(list["kind"], "ReplicaSetList");
    let mut sets: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|set| {
            (
                set["metadata"]["labels"]["rollouts-pod-template-hash"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                set["metadata"]["annotations"]["rollout.argoproj.io/revision"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                set["spec"]["replicas"].as_u64().unwrap(),
            )
        })
        .collect();
    sets.sort_by_key(|(_, revision, _)| revision.parse::<u64>().unwrap());
    sets
}

#[tokio::test]
async fn a_canary_rollout_steps_pauses_aborts_retries_promotes_and_undoes() {
    let api = FakeApiServer::start().unwrap();
    api.put(rollout(canary_steps()));

    // First seen: revision 1, stable at once.
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Healthy", "", 6, 0));
    let v1 = web["status"]["currentPodHash"].as_str().unwrap().to_string();
    assert_eq!(web["status"]["stableRS"], json!(v1));
    assert_eq!(web["status"]["observedGeneration"], "1");
    assert_eq!(web["metadata"]["annotations"]["rollout.argoproj.io/revision"], "1");
    assert_eq!(web["status"]["conditions"][1]["reason"], "NewReplicaSetAvailable");
    assert_eq!(replica_sets(&api).await, [(v1.clone(), "1".into(), 5)]);

    // A new template: revision 2, from step 0 at weight 0, then 20, then the pause.
    merge(&api, ROLLOUT, json!({"spec": {"template": template("web:2")}})).await;
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Progressing", "more replicas need to be updated", 0, 0)
    );
    let v2 = web["status"]["currentPodHash"].as_str().unwrap().to_string();
    assert_ne!(v2, v1);
    assert_eq!(web["status"]["stableRS"], json!(v1));
    assert_eq!(web["status"]["observedGeneration"], "2");
    assert_eq!(web["metadata"]["annotations"]["rollout.argoproj.io/revision"], "2");
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Progressing", "more replicas need to be updated", 1, 20)
    );
    assert_eq!(
        web["status"]["canary"]["weights"],
        json!({"canary": {"weight": 20, "podTemplateHash": v2, "serviceName": "web-canary"},
               "stable": {"weight": 80, "podTemplateHash": v1, "serviceName": "web-stable"}})
    );
    assert_eq!(
        replica_sets(&api).await,
        [(v1.clone(), "1".into(), 4), (v2.clone(), "2".into(), 1)]
    );
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Paused", "CanaryPauseStep", 1, 20));
    assert_eq!(web["status"]["controllerPause"], true);
    let pause = &web["status"]["pauseConditions"];
    assert_eq!(pause.as_array().unwrap().len(), 1);
    assert_eq!(pause[0]["reason"], "CanaryPauseStep");
    assert_eq!(pause[0]["startTime"].as_str().unwrap().len(), 20);
    // It waits for someone: a step changes nothing.
    assert_eq!(rv(&step(&api).await), rv(&web));

    // Promote: clear the pause conditions on /status; the pause step is passed, then 50%.
    let promoted = merge(&api, STATUS, json!({"status": {"pauseConditions": null}})).await;
    assert_eq!(
        promoted["status"]["controllerPause"], true,
        "until the controller sees it"
    );
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Progressing", "more replicas need to be updated", 2, 20)
    );
    assert!(web["status"].get("controllerPause").is_none());
    assert!(web["status"].get("pauseConditions").is_none());
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Progressing", "more replicas need to be updated", 3, 50)
    );
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Paused", "CanaryPauseStep", 3, 50));

    // Abort: weight 0, Degraded, back to step 0, no more steps.
    merge(&api, STATUS, json!({"status": {"abort": true}})).await;
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Degraded", "RolloutAborted: Rollout aborted update to revision 2", 0, 0)
    );
    assert_eq!(web["status"]["abort"], true);
    assert!(web["status"]["abortedAt"].as_str().unwrap().ends_with('Z'));
    assert!(web["status"].get("pauseConditions").is_none());
    assert_eq!(web["status"]["conditions"][1]["reason"], "RolloutAborted");
    assert_eq!(
        replica_sets(&api).await,
        [(v1.clone(), "1".into(), 5), (v2.clone(), "2".into(), 0)]
    );
    assert_eq!(rv(&step(&api).await), rv(&web));

    // Retry: from step 0 again.
    merge(&api, STATUS, json!({"status": {"abort": false}})).await;
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Progressing", "more replicas need to be updated", 1, 20)
    );
    assert!(web["status"].get("abort").is_none());
    assert!(web["status"].get("abortedAt").is_none());

    // promote --full: straight past the last step, stable.
    merge(&api, STATUS, json!({"status": {"promoteFull": true}})).await;
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Healthy", "", 6, 0));
    assert_eq!(web["status"]["stableRS"], json!(v2));
    assert!(web["status"].get("promoteFull").is_none());
    assert_eq!(
        replica_sets(&api).await,
        [(v1.clone(), "1".into(), 0), (v2.clone(), "2".into(), 5)]
    );

    // Undo: the first ReplicaSet's template put back (without its hash label) is revision
    // 3, on the same ReplicaSet, as a canary from step 0.
    let (_, listed) = get(
        &api,
        &format!("{REPLICA_SETS}?labelSelector=rollouts-pod-template-hash%3D{v1}"),
    )
    .await;
    let first = &listed["items"][0];
    assert_eq!(first["metadata"]["ownerReferences"][0]["kind"], "Rollout");
    assert_eq!(first["metadata"]["ownerReferences"][0]["uid"], web["metadata"]["uid"]);
    let mut old = first["spec"]["template"].clone();
    old["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("rollouts-pod-template-hash");
    let ops = json!([{"op": "test", "path": "/spec/template", "value": web["spec"]["template"]},
                     {"op": "replace", "path": "/spec/template", "value": old}]);
    let (code, _) = patch(&api, ROLLOUT, "application/json-patch+json", ops).await;
    assert_eq!(code, 200);
    let web = step(&api).await;
    assert_eq!(
        at(&web),
        expect("Progressing", "more replicas need to be updated", 0, 0)
    );
    assert_eq!(web["status"]["currentPodHash"], json!(v1));
    assert_eq!(web["status"]["stableRS"], json!(v2));
    assert_eq!(web["metadata"]["annotations"]["rollout.argoproj.io/revision"], "3");
    assert_eq!(
        replica_sets(&api).await,
        [(v2.clone(), "2".into(), 5), (v1.clone(), "3".into(), 0)]
    );
    let (_, reused) = get(&api, &format!("{REPLICA_SETS}/web-{v1}")).await;
    assert_eq!(
        reused["metadata"]["annotations"]["rollout.argoproj.io/revision-history"],
        "1"
    );

    // Only the client's writes are writes: the controller's are not.
    let writes: Vec<_> = api
        .writes()
        .iter()
        .map(|w| (w.subresource.clone(), w.content_type.clone()))
        .collect();
    let merge_on = |sub: Option<&str>| (sub.map(str::to_string), "application/merge-patch+json".to_string());
    let mut expected = vec![merge_on(None)];
    expected.extend(std::iter::repeat_n(merge_on(Some("status")), 4));
    expected.push((None, "application/json-patch+json".into()));
    assert_eq!(writes, expected);
    assert!(
        api.writes()
            .iter()
            .all(|w| w.field_manager.as_deref() == Some("shipdeck"))
    );
}

#[tokio::test]
async fn a_patch_to_status_changes_only_status_and_a_patch_of_the_rollout_leaves_status_alone() {
    let api = FakeApiServer::start().unwrap();
    api.put(rollout(canary_steps()));
    let web = step(&api).await;

    let (code, through_status) = patch(
        &api,
        STATUS,
        "application/merge-patch+json",
        json!({"spec": {"replicas": 9}, "metadata": {"labels": {"app": "other"}}, "status": {"abort": true}}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(through_status["kind"], "Rollout", "the whole object comes back");
    assert_eq!(through_status["status"]["abort"], true);
    assert_eq!(through_status["spec"], web["spec"]);
    assert_eq!(through_status["metadata"]["labels"], web["metadata"]["labels"]);
    assert_eq!(through_status["metadata"]["generation"], web["metadata"]["generation"]);
    assert!(rv(&through_status) > rv(&web));
    let (_, read) = get(&api, STATUS).await;
    assert_eq!(read, through_status);

    let ops = json!([{"op": "replace", "path": "/status/abort", "value": false},
                     {"op": "replace", "path": "/spec/replicas", "value": 1}]);
    let (code, after) = patch(&api, STATUS, "application/json-patch+json", ops).await;
    assert_eq!(code, 200);
    assert_eq!(
        (&after["status"]["abort"], &after["spec"]["replicas"]),
        (&json!(false), &json!(5))
    );

    let (code, through_rollout) = patch(
        &api,
        ROLLOUT,
        "application/merge-patch+json",
        json!({"spec": {"replicas": 4}, "status": {"phase": "Degraded", "abort": true}}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(through_rollout["spec"]["replicas"], 4);
    assert_eq!(through_rollout["status"], after["status"], "status left as it was");

    let (code, refusal) = patch(&api, STATUS, "application/strategic-merge-patch+json", json!({})).await;
    assert_eq!((code, &refusal["reason"]), (415, &json!("UnsupportedMediaType")));
    let (code, _) = get(&api, "/apis/apps/v1/namespaces/shop/deployments/web/status").await;
    assert_eq!(code, 404);

    let subresources: Vec<_> = api.writes().iter().map(|w| w.subresource.clone()).collect();
    assert_eq!(subresources, [Some("status".into()), Some("status".into()), None]);
}

#[tokio::test]
async fn a_timed_pause_moves_on_by_itself_and_spec_paused_holds_every_step() {
    let api = FakeApiServer::start().unwrap();
    api.put(rollout(
        json!([{"setWeight": 10}, {"pause": {"duration": "1s"}}, {"setWeight": 60}]),
    ));
    step(&api).await;
    merge(&api, ROLLOUT, json!({"spec": {"template": template("web:2")}})).await;
    step(&api).await;
    step(&api).await;
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Paused", "CanaryPauseStep", 1, 10));
    assert_eq!(at(&step(&api).await).2, 1, "not yet");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        at(&step(&api).await),
        expect("Progressing", "more replicas need to be updated", 2, 10)
    );

    // Paused by spec: nothing moves, and Argo says so without a pause condition.
    merge(&api, ROLLOUT, json!({"spec": {"paused": true}})).await;
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Paused", "manually paused", 2, 10));
    assert!(web["status"].get("pauseConditions").is_none());
    assert_eq!(web["status"]["conditions"][1]["reason"], "RolloutPaused");
    assert_eq!(at(&step(&api).await).2, 2);
    merge(&api, ROLLOUT, json!({"spec": {"paused": false}})).await;
    assert_eq!(
        at(&step(&api).await),
        expect("Progressing", "more replicas need to be updated", 3, 60)
    );
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Healthy", "", 3, 0));
    assert_eq!(web["status"]["stableRS"], web["status"]["currentPodHash"]);
}

#[tokio::test]
async fn an_undo_to_the_stable_version_of_an_aborted_canary_skips_every_step() {
    let api = FakeApiServer::start().unwrap();
    api.put(rollout(canary_steps()));
    let stable = step(&api).await["status"]["stableRS"].clone();
    merge(&api, ROLLOUT, json!({"spec": {"template": template("web:2")}})).await;
    step(&api).await;
    step(&api).await;
    merge(&api, STATUS, json!({"status": {"abort": true}})).await;
    assert_eq!(at(&step(&api).await).0, "Degraded");
    merge(&api, ROLLOUT, json!({"spec": {"template": template("web:1")}})).await;
    let web = step(&api).await;
    assert_eq!(at(&web), expect("Healthy", "", 6, 0));
    assert_eq!(web["status"]["currentPodHash"], stable);
    assert!(web["status"].get("abort").is_none());
    assert_eq!(web["metadata"]["annotations"]["rollout.argoproj.io/revision"], "3");
}

// ----- kube's own client, the controller running by itself

fn rollout_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"), "rollouts")
}

async fn client(api: &FakeApiServer) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(&api.kubeconfig("shop")).unwrap();
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}

fn shipdeck() -> PatchParams {
    PatchParams {
        field_manager: Some("shipdeck".into()),
        ..PatchParams::default()
    }
}

/// Reads the Rollout until `done` holds of it.
async fn until(rollouts: &Api<DynamicObject>, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let wait = async {
        loop {
            let object = serde_json::to_value(rollouts.get("web").await.unwrap()).unwrap();
            if done(&object) {
                return object;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(PATIENCE, wait)
        .await
        .unwrap_or_else(|_| panic!("{what} in time"))
}

#[tokio::test]
async fn kube_s_client_drives_a_rollout_the_controller_steps_by_itself() {
    let api = FakeApiServer::start_with(Options::controller(Duration::from_millis(10))).unwrap();
    let client = client(&api).await;
    let rollouts: Api<DynamicObject> = Api::namespaced_with(client.clone(), "shop", &rollout_resource());
    let sets: Api<DynamicObject> = Api::namespaced_with(
        client,
        "shop",
        &ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "ReplicaSet")),
    );
    // A watcher, polled on a task of its own, sees the controller's writes as they come.
    let (tx, mut phases) = mpsc::unbounded_channel();
    let watched = rollouts.clone();
    tokio::spawn(async move {
        let mut stream = kube::runtime::watcher(watched, watcher::Config::default()).boxed();
        while let Some(event) = stream.next().await {
            let said = match event {
                Ok(Event::InitDone) => "listed".to_string(),
                Ok(Event::Apply(object)) => serde_json::to_value(object).unwrap()["status"]["phase"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                _ => continue,
            };
            if tx.send(said).is_err() {
                return;
            }
        }
    });
    let listed = tokio::time::timeout(PATIENCE, phases.recv()).await.unwrap();
    assert_eq!(listed.as_deref(), Some("listed"));
    api.put(rollout(canary_steps()));
    let phase = |want: &'static str| move |o: &Value| o["status"]["phase"] == want;
    let healthy = until(&rollouts, "first revision healthy", phase("Healthy")).await;
    let v1 = healthy["status"]["stableRS"].clone();

    let image = Patch::Merge(json!({"spec": {"template": template("web:2")}}));
    rollouts.patch("web", &shipdeck(), &image).await.unwrap();
    let paused = until(&rollouts, "the canary paused", phase("Paused")).await;
    assert_eq!(at(&paused), expect("Paused", "CanaryPauseStep", 1, 20));
    let promote = Patch::Merge(json!({"status": {"pauseConditions": null}}));
    rollouts.patch_status("web", &shipdeck(), &promote).await.unwrap();
    let paused = until(&rollouts, "the second pause", |o| {
        o["status"]["currentStepIndex"] == 3 && o["status"]["phase"] == "Paused"
    })
    .await;
    assert_eq!(at(&paused).3, 50);

    let abort = Patch::Merge(json!({"status": {"abort": true}}));
    rollouts.patch_status("web", &shipdeck(), &abort).await.unwrap();
    let aborted = until(&rollouts, "aborted", phase("Degraded")).await;
    assert_eq!(at(&aborted).3, 0);

    // Undo to the stable version, as shipdeck's router does it.
    let listed = sets
        .list(&ListParams::default().labels(&format!("rollouts-pod-template-hash={}", v1.as_str().unwrap())))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    let mut old = listed.items[0].data["spec"]["template"].clone();
    old["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("rollouts-pod-template-hash");
    let ops: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/template", "value": aborted["spec"]["template"]},
        {"op": "replace", "path": "/spec/template", "value": old},
    ]))
    .unwrap();
    rollouts
        .patch("web", &shipdeck(), &Patch::Json::<()>(ops))
        .await
        .unwrap();
    let back = until(&rollouts, "back on the stable version", |o| {
        o["status"]["phase"] == "Healthy" && o["status"]["currentPodHash"] == v1
    })
    .await;
    assert_eq!(back["metadata"]["annotations"]["rollout.argoproj.io/revision"], "3");

    let mut seen = Vec::new();
    while !seen.ends_with(&["Degraded".to_string(), "Healthy".to_string()]) {
        let phase = tokio::time::timeout(PATIENCE, phases.recv()).await.unwrap().unwrap();
        if seen.last() != Some(&phase) {
            seen.push(phase);
        }
    }
    assert_eq!(
        seen,
        [
            "",
            "Healthy",
            "Progressing",
            "Paused",
            "Progressing",
            "Paused",
            "Degraded",
            "Healthy"
        ],
        "every phase, as the watch saw them"
    );
    let subresources: Vec<_> = api.writes().iter().map(|w| w.subresource.clone()).collect();
    assert_eq!(subresources, [None, Some("status".into()), Some("status".into()), None]);
}
