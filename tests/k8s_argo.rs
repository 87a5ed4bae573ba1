//! The Argo Rollouts router on the wire, through kube's own client on its mock service:
//! promote clears the pause conditions on `/status`, 100% is `promoteFull`, 0% is an abort,
//! promote is refused while aborted, and an undo puts the stable ReplicaSet's template back
//! with one guarded JSON patch, each as field manager `shipdeck`.

mod crd_schema;
mod kube_mock;

use http::StatusCode;
use kube_mock::{Handle, assert_patch, body_json, json_response};
use serde_json::{Value, json};
use shipdeck::backend::TrafficRouter;
use shipdeck::backend::kube::argo_rollouts::{
    ArgoRolloutsRouter, abort_patch, paused_patch, promote_full_patch, promote_status_patch, undo_patch,
};
use shipdeck::backend::kube::argo_status::rollout_state;
use shipdeck::plan::{ArgoRolloutsTarget, Weight};

const ROLLOUT: &str = "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout";

fn w(p: u8) -> Weight {
    Weight::new(p).unwrap()
}

fn router(client: kube::Client) -> ArgoRolloutsRouter {
    ArgoRolloutsRouter::with_client(
        ArgoRolloutsTarget {
            rollout: "checkout".into(),
        },
        vec![w(20), w(50), Weight::FULL],
        client,
        "shop",
    )
}

fn template(image: &str) -> Value {
    json!({"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [{"name": "checkout", "image": image}]}})
}

/// A Rollout with steps [setWeight 20, pause, setWeight 50, pause] at `index`, reporting
/// `canary` percent; paused at a pause step when `paused`.
fn rollout(index: usize, canary: u8, paused: bool, aborted: bool) -> Value {
    let mut status = json!({
        "currentStepIndex": index, "currentPodHash": "new5f", "stableRS": "old4c",
        "canary": {"weights": {"canary": {"weight": canary, "podTemplateHash": "new5f"},
                               "stable": {"weight": 100 - canary, "podTemplateHash": "old4c"}}},
        "phase": if paused { "Paused" } else { "Progressing" },
    });
    if paused {
        status["pauseConditions"] = json!([{"reason": "CanaryPauseStep", "startTime": "2026-12-03T10:00:00Z"}]);
    }
    if aborted {
        status["abort"] = json!(true);
        status["phase"] = json!("Degraded");
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": "shop", "generation": 2},
        "spec": {"replicas": 4, "template": template("checkout:2.14.0"),
                 "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}]}}},
        "status": status,
    })
}

async fn read(handle: &mut Handle, object: Value) {
    let (request, reply) = handle.next_request().await.expect("a read");
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(request.uri().path(), ROLLOUT);
    reply.send_response(json_response(StatusCode::OK, &object));
}

async fn status_patch(handle: &mut Handle, expected: Value, answer: Value) {
    let (request, reply) = handle.next_request().await.expect("a status patch");
    assert_patch(&request, &format!("{ROLLOUT}/status"), "application/merge-patch+json");
    assert_eq!(body_json(request).await, expected);
    reply.send_response(json_response(StatusCode::OK, &answer));
}

#[tokio::test]
async fn advancing_promotes_until_the_rollout_pauses_at_the_stage_s_weight() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(1, 20, true, false)).await;
        status_patch(
            &mut handle,
            json!({"status": {"pauseConditions": null}}),
            rollout(1, 20, false, false),
        )
        .await;
        // The controller is on its way: no second promote while it moves.
        read(&mut handle, rollout(2, 20, false, false)).await;
        read(&mut handle, rollout(3, 50, true, false)).await;
    });
    assert_eq!(router(client).apply(w(50)).await, Ok(w(50)));
    server.await.unwrap();
}

#[tokio::test]
async fn zero_aborts_and_is_confirmed_once_the_rollout_reports_it() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(3, 50, true, false)).await;
        status_patch(
            &mut handle,
            json!({"status": {"abort": true}}),
            rollout(3, 50, true, true),
        )
        .await;
        read(&mut handle, rollout(3, 0, false, true)).await;
    });
    assert_eq!(router(client).apply(Weight::ZERO).await, Ok(Weight::ZERO));
    server.await.unwrap();
}

#[tokio::test]
async fn promote_is_refused_while_the_rollout_is_aborted() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(1, 0, false, true)).await;
    });
    let refused = router(client).apply(w(50)).await.unwrap_err();
    assert!(!refused.retry_helps());
    assert!(
        refused
            .to_string()
            .contains("Rollout checkout is aborted: promote is refused"),
        "{refused}"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn full_is_promote_full() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(3, 50, true, false)).await;
        status_patch(
            &mut handle,
            json!({"status": {"promoteFull": true}}),
            rollout(3, 50, true, false),
        )
        .await;
        let mut done = rollout(4, 0, false, false);
        done["status"]["stableRS"] = json!("new5f");
        done["status"]["phase"] = json!("Healthy");
        done["status"].as_object_mut().unwrap().remove("canary");
        read(&mut handle, done).await;
    });
    assert_eq!(router(client).apply(Weight::FULL).await, Ok(Weight::FULL));
    server.await.unwrap();
}

#[tokio::test]
async fn an_undo_puts_the_stable_replica_set_s_template_back() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(1, 0, false, true)).await;
        let (request, reply) = handle.next_request().await.expect("the ReplicaSets");
        assert_eq!(request.uri().path(), "/apis/apps/v1/namespaces/shop/replicasets");
        assert!(
            request
                .uri()
                .query()
                .unwrap_or_default()
                .contains("labelSelector=rollouts-pod-template-hash%3Dold4c"),
            "{}",
            request.uri()
        );
        let mut stable_template = template("checkout:2.13.4");
        stable_template["metadata"]["labels"]["rollouts-pod-template-hash"] = json!("old4c");
        reply.send_response(json_response(
            StatusCode::OK,
            &json!({"apiVersion": "apps/v1", "kind": "ReplicaSetList", "metadata": {}, "items": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                 "metadata": {"name": "checkout-old4c", "ownerReferences": [
                     {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": "checkout", "uid": "u1"}]},
                 "spec": {"template": stable_template}}
            ]}),
        ));
        let (request, reply) = handle.next_request().await.expect("the undo");
        assert_patch(&request, ROLLOUT, "application/json-patch+json");
        let patch = body_json(request).await;
        assert_eq!(
            patch[0],
            json!({"op": "test", "path": "/spec/template", "value": template("checkout:2.14.0")})
        );
        assert_eq!(
            patch[1],
            json!({"op": "replace", "path": "/spec/template", "value": template("checkout:2.13.4")}),
            "the template without the hash label"
        );
        reply.send_response(json_response(StatusCode::OK, &rollout(0, 0, false, false)));
    });
    assert_eq!(router(client).restore_previous("2.13.4").await, Ok(()));
    server.await.unwrap();
}

#[tokio::test]
async fn an_abort_the_cluster_forbids_names_the_status_subresource() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(3, 50, true, false)).await;
        let (_, reply) = handle.next_request().await.expect("the abort");
        reply.send_response(json_response(
            StatusCode::FORBIDDEN,
            &kube_mock::status(403, "Forbidden", "rollouts.argoproj.io \"checkout\" is forbidden"),
        ));
    });
    let refused = router(client).apply(Weight::ZERO).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("forbidden to patch rollouts.argoproj.io/checkout/status in shop (403)"),
        "{refused}"
    );
    server.await.unwrap();
}

#[tokio::test]
async fn preflight_says_where_the_rollout_waits_and_refuses_stages_it_never_stops_at() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(1, 20, true, false)).await;
        let mut other = rollout(1, 20, true, false);
        other["spec"]["strategy"]["canary"]["steps"] =
            json!([{"setWeight": 20}, {"pause": {}}, {"setWeight": 40}, {"pause": {"duration": "40s"}}]);
        read(&mut handle, other).await;
    });
    let mut router = router(client);
    let said = router.inspect().await.unwrap();
    assert!(
        said.contains("Rollout checkout: Paused, step 2/4, new version at 20%; it waits for a promote at 20%, 50%"),
        "{said}"
    );
    let refused = router.inspect().await.unwrap_err().to_string();
    assert!(
        refused.contains("waits for a promote only at 20%, but stages weigh 50%"),
        "{refused}"
    );
    server.await.unwrap();
}

/// Every patch the router sends, applied to Argo's own example Rollout (with a live status
/// taken from a real one) as the API server would, gives a Rollout the real Rollout CRD
/// (v1.9.1) accepts; and the schema really judges: a wrong type is refused.
#[cfg_attr(no_k8s_data, ignore = "needs the real CRDs in ../shared/k8s (or SHIPDECK_K8S_DATA)")]
#[test]
fn every_patch_gives_a_rollout_the_real_crd_accepts() {
    let schema = crd_schema::crd_schema("rollout-crd.v1.9.1.yaml", "rollouts.argoproj.io", "v1alpha1");
    let mut example = crd_schema::k8s_docs("examples/rollout-canary.yaml").remove(0);
    let live = crd_schema::k8s_docs("argo-status/canary/canary-rollout.yaml").remove(0);
    example["status"] = live["status"].clone();
    example["status"]["pauseConditions"] = json!([{"reason": "CanaryPauseStep", "startTime": "2026-12-03T10:00:00Z"}]);
    let errors = crd_schema::schema_errors(&schema, &example);
    assert!(errors.is_empty(), "the example itself: {errors:?}");
    let merged = |patch: Value| {
        let mut doc = example.clone();
        json_patch::merge(&mut doc, &patch);
        doc
    };
    let state = rollout_state(&example, None, &[]);
    let promote = promote_status_patch(&state).expect("a pause to clear");
    for (what, doc) in [
        ("promote", merged(promote)),
        ("abort", merged(abort_patch())),
        ("promote full", merged(promote_full_patch())),
        ("pause", merged(paused_patch(true))),
        ("resume", merged(paused_patch(false))),
    ] {
        let errors = crd_schema::schema_errors(&schema, &doc);
        assert!(errors.is_empty(), "{what}: {errors:?}");
    }
    // Skipping a step when nothing pauses it sets the next index.
    let mut running = example.clone();
    running["status"].as_object_mut().unwrap().remove("pauseConditions");
    let skip = promote_status_patch(&rollout_state(&running, None, &[])).expect("a step to skip");
    let errors = crd_schema::schema_errors(&schema, &merged(skip));
    assert!(errors.is_empty(), "skip: {errors:?}");
    // The undo: the stable ReplicaSet's template back in place.
    let current = example["spec"]["template"].clone();
    let mut stable = current.clone();
    stable["spec"]["containers"][0]["image"] = json!("argoproj/rollouts-demo:green");
    stable["metadata"]["labels"]["rollouts-pod-template-hash"] = json!("7d84d44bb8");
    let undone = crd_schema::applied(example.clone(), &undo_patch(&current, &stable)).unwrap();
    assert!(crd_schema::schema_errors(&schema, &undone).is_empty());
    assert_eq!(
        undone["spec"]["template"]["spec"]["containers"][0]["image"],
        "argoproj/rollouts-demo:green"
    );
    assert!(
        undone["spec"]["template"]["metadata"]["labels"]
            .get("rollouts-pod-template-hash")
            .is_none()
    );
    // Edited meanwhile: the undo's test refuses it.
    let mut edited = example.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("argoproj/rollouts-demo:red");
    assert!(crd_schema::applied(edited, &undo_patch(&current, &stable)).is_err());
    // The schema judges: an abort that is not a boolean, an unknown field.
    assert!(!crd_schema::schema_errors(&schema, &merged(json!({"status": {"abort": "yes"}}))).is_empty());
    assert!(
        crd_schema::schema_errors(&schema, &merged(json!({"spec": {"pasued": true}})))
            .iter()
            .any(|e| e.contains("unknown field"))
    );
}

/// After an undo the template is the stable one again: the release's version serves
/// nothing, so 0% is confirmed without aborting a healthy Rollout.
#[tokio::test]
async fn after_an_undo_the_release_s_version_serves_nothing() {
    let (client, mut handle) = kube_mock::client("shop");
    let server = tokio::spawn(async move {
        read(&mut handle, rollout(3, 50, true, false)).await;
        let mut undone = rollout(4, 0, false, false);
        undone["status"]["currentPodHash"] = json!("old4c");
        undone["status"]["phase"] = json!("Healthy");
        undone["status"].as_object_mut().unwrap().remove("canary");
        read(&mut handle, undone).await;
        // No abort follows: the mock would answer nothing more.
    });
    let mut router = router(client);
    assert_eq!(router.current().await, Ok(Some(w(50))), "the release's version at 50%");
    assert_eq!(router.apply(Weight::ZERO).await, Ok(Weight::ZERO));
    server.await.unwrap();
}
