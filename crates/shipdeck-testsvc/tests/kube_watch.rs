//! Lists and watches of the fake Kubernetes API server on the wire, as plain HTTP: the List
//! objects, the selectors, the watch streams (replay, live changes, selectors, timeouts,
//! expiry, dropped connections) and the Deployment controller's changes seen through them.

use std::time::Duration;

use serde_json::{Value, json};
use shipdeck_testsvc::kube_api::{FakeApiServer, Options};

/// How long any one event may take to arrive before a test fails.
const PATIENCE: Duration = Duration::from_secs(5);

fn deployment(namespace: &str, name: &str, labels: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": {"name": name, "namespace": namespace, "labels": labels},
           "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}}})
}

async fn get(api: &FakeApiServer, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{}{path}", api.url())).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
    )
}

async fn merge(api: &FakeApiServer, path: &str, patch: Value) -> Value {
    let response = reqwest::Client::new()
        .patch(format!("{}{path}?fieldManager=shipdeck", api.url()))
        .header("content-type", "application/merge-patch+json")
        .body(patch.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["metadata"]["name"].as_str().unwrap())
        .collect()
}

fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap()
}

/// A watch response, read one newline-delimited event at a time.
struct Watch {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

#[derive(Debug, PartialEq)]
enum End {
    /// The stream ended with its closing chunk.
    Clean,
    /// The connection broke mid-stream.
    Cut,
}

impl Watch {
    async fn open(api: &FakeApiServer, path_and_query: &str) -> Watch {
        let response = reqwest::get(format!("{}{path_and_query}", api.url())).await.unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        Watch {
            response,
            buffer: Vec::new(),
        }
    }

    /// The next event, or how the stream ended.
    async fn next(&mut self) -> Result<Value, End> {
        loop {
            if let Some(at) = self.buffer.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=at).collect();
                return Ok(serde_json::from_slice(&line).unwrap());
            }
            let chunk = tokio::time::timeout(PATIENCE, self.response.chunk())
                .await
                .expect("an event or the end of the stream in time");
            match chunk {
                Ok(Some(bytes)) => self.buffer.extend_from_slice(&bytes),
                Ok(None) => {
                    assert!(self.buffer.is_empty(), "no partial line at the end");
                    return Err(End::Clean);
                }
                Err(_) => return Err(End::Cut),
            }
        }
    }

    async fn event(&mut self) -> (String, Value) {
        let event = self.next().await.expect("an event");
        (event["type"].as_str().unwrap().to_string(), event["object"].clone())
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
async fn lists_are_kind_lists_at_the_store_s_resource_version_narrowed_by_selectors() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({"app": "web", "track": "stable"})));
    api.put(deployment("shop", "api", json!({"app": "api", "track": "stable"})));
    api.put(deployment("pay", "billing", json!({"app": "billing"})));

    // As kube's ListParams writes the query: a leading `&`, limit, encoded selectors.
    let (status, list) = get(&api, "/apis/apps/v1/namespaces/shop/deployments?&limit=500").await;
    assert_eq!(status, 200);
    assert_eq!(
        (&list["kind"], &list["apiVersion"]),
        (&json!("DeploymentList"), &json!("apps/v1"))
    );
    assert_eq!(list["metadata"]["resourceVersion"], api.resource_version().to_string());
    assert_eq!(list["metadata"]["continue"], Value::Null);
    assert_eq!(names(&list), ["api", "web"]);
    assert_eq!(list["items"][0]["kind"], "Deployment");

    let query = "/apis/apps/v1/namespaces/shop/deployments?&fieldSelector=metadata.name%3Dweb";
    assert_eq!(names(&get(&api, query).await.1), ["web"]);
    let query = "/apis/apps/v1/namespaces/shop/deployments?labelSelector=app%3Dapi%2Ctrack%3Dstable";
    assert_eq!(names(&get(&api, query).await.1), ["api"]);
    let query = "/apis/apps/v1/namespaces/shop/deployments?labelSelector=track!%3Dstable";
    assert!(names(&get(&api, query).await.1).is_empty());
    assert_eq!(
        names(&get(&api, "/apis/apps/v1/deployments").await.1),
        ["billing", "api", "web"]
    );

    let (status, pods) = get(&api, "/api/v1/namespaces/shop/pods").await;
    assert_eq!(
        (status, &pods["kind"], &pods["apiVersion"]),
        (200, &json!("PodList"), &json!("v1"))
    );
    assert!(names(&pods).is_empty());

    let (status, refusal) = get(
        &api,
        "/apis/apps/v1/namespaces/shop/deployments?labelSelector=app+in+(web)",
    )
    .await;
    assert_eq!((status, &refusal["reason"]), (400, &json!("BadRequest")));
}

#[tokio::test]
async fn lists_and_watches_of_custom_resources_name_their_kind() {
    let api = FakeApiServer::start().unwrap();
    api.put(
        json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                   "metadata": {"name": "checkout", "namespace": "shop"}, "spec": {"rules": []}}),
    );
    let (_, list) = get(&api, "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes").await;
    assert_eq!(list["kind"], "HTTPRouteList");
    assert_eq!(names(&list), ["checkout"]);
    let path = "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/checkout";
    let mut watch = Watch::open(
        &api,
        &format!(
            "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes?watch=1&resourceVersion={}",
            list["metadata"]["resourceVersion"].as_str().unwrap()
        ),
    )
    .await;
    merge(&api, path, json!({"spec": {"rules": [{"backendRefs": []}]}})).await;
    let (kind, object) = watch.event().await;
    assert_eq!((kind.as_str(), &object["kind"]), ("MODIFIED", &json!("HTTPRoute")));
}

#[tokio::test]
async fn a_watch_replays_what_changed_after_its_resource_version_then_streams_live_changes() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({"app": "web"})));
    let (_, list) = get(&api, "/apis/apps/v1/namespaces/shop/deployments").await;
    let listed: u64 = list["metadata"]["resourceVersion"].as_str().unwrap().parse().unwrap();

    // Two changes to two objects while nobody watches: one global counter orders them.
    api.put(deployment("shop", "api", json!({"app": "api"})));
    merge(
        &api,
        "/apis/apps/v1/namespaces/shop/deployments/web",
        json!({"spec": {"replicas": 3}}),
    )
    .await;
    api.put(deployment("pay", "billing", json!({})));

    let mut watch = Watch::open(
        &api,
        &format!(
            "/apis/apps/v1/namespaces/shop/deployments?&watch=true&timeoutSeconds=290&allowWatchBookmarks=true&resourceVersion={listed}"
        ),
    )
    .await;
    let (kind, api_object) = watch.event().await;
    assert_eq!(
        (kind.as_str(), &api_object["metadata"]["name"]),
        ("ADDED", &json!("api"))
    );
    let (kind, web) = watch.event().await;
    assert_eq!((kind.as_str(), &web["spec"]["replicas"]), ("MODIFIED", &json!(3)));
    assert_eq!(web["metadata"]["generation"], 2);
    assert_eq!((rv(&api_object), rv(&web)), (listed + 1, listed + 2));

    // Live: the other namespace's change is not sent; a deletion is.
    api.put(deployment("pay", "other", json!({})));
    let key = api.put(deployment("shop", "cron", json!({})));
    let (kind, cron) = watch.event().await;
    assert_eq!((kind.as_str(), &cron["metadata"]["name"]), ("ADDED", &json!("cron")));
    assert!(api.delete(&key).is_some());
    let (kind, gone) = watch.event().await;
    assert_eq!((kind.as_str(), &gone["metadata"]["name"]), ("DELETED", &json!("cron")));
    assert_eq!(
        rv(&gone),
        api.resource_version(),
        "a deletion has a resourceVersion of its own"
    );
    assert_eq!((api.watches_served(), api.open_watches()), (1, 1));
    assert!(api.writes().len() == 1, "put and delete are not client writes");
}

#[tokio::test]
async fn a_watch_from_resource_version_zero_starts_with_the_current_objects() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({})));
    api.put(deployment("shop", "api", json!({})));
    let mut watch = Watch::open(
        &api,
        "/apis/apps/v1/namespaces/shop/deployments?watch=true&resourceVersion=0",
    )
    .await;
    let first = [watch.event().await, watch.event().await];
    let added: Vec<_> = first
        .iter()
        .map(|(k, o)| (k.as_str(), o["metadata"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(added, [("ADDED", "api"), ("ADDED", "web")]);

    // kube's streaming lists: the same, then a bookmark marking the end of the initial events.
    let query = "/apis/apps/v1/namespaces/shop/deployments?&watch=true&timeoutSeconds=290&allowWatchBookmarks=true\
                 &sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=";
    let mut watch = Watch::open(&api, query).await;
    watch.event().await;
    watch.event().await;
    let (kind, bookmark) = watch.event().await;
    assert_eq!(kind, "BOOKMARK");
    assert_eq!(bookmark["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
    assert_eq!(
        bookmark["metadata"]["resourceVersion"],
        api.resource_version().to_string()
    );
    assert_eq!(
        (&bookmark["kind"], &bookmark["apiVersion"]),
        (&json!("Deployment"), &json!("apps/v1"))
    );
}

#[tokio::test]
async fn a_watch_sends_an_object_added_or_deleted_as_it_starts_or_stops_matching_its_selectors() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({"track": "stable"})));
    api.put(deployment("shop", "api", json!({"track": "stable"})));
    let from = api.resource_version();
    let mut canaries = Watch::open(
        &api,
        &format!(
            "/apis/apps/v1/namespaces/shop/deployments?watch=true&labelSelector=track%3Dcanary&resourceVersion={from}"
        ),
    )
    .await;
    let mut web = Watch::open(
        &api,
        &format!("/apis/apps/v1/namespaces/shop/deployments?watch=true&fieldSelector=metadata.name%3Dweb&resourceVersion={from}"),
    )
    .await;
    let path = "/apis/apps/v1/namespaces/shop/deployments";
    merge(&api, &format!("{path}/api"), json!({"spec": {"replicas": 5}})).await;
    merge(
        &api,
        &format!("{path}/web"),
        json!({"metadata": {"labels": {"track": "canary"}}}),
    )
    .await;
    merge(
        &api,
        &format!("{path}/web"),
        json!({"metadata": {"labels": {"track": "stable"}}}),
    )
    .await;

    let (kind, object) = canaries.event().await;
    assert_eq!((kind.as_str(), &object["metadata"]["name"]), ("ADDED", &json!("web")));
    let (kind, object) = canaries.event().await;
    assert_eq!(
        (kind.as_str(), &object["metadata"]["labels"]["track"]),
        ("DELETED", &json!("stable"))
    );

    let seen = [web.event().await.0, web.event().await.0];
    assert_eq!(seen, ["MODIFIED", "MODIFIED"], "only web's changes; api's is not sent");
}

#[tokio::test]
async fn timeout_seconds_ends_a_watch_after_a_bookmark_and_a_client_leaving_closes_it() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({})));
    let now = api.resource_version();
    let started = tokio::time::Instant::now();
    let mut watch = Watch::open(
        &api,
        &format!("/apis/apps/v1/namespaces/shop/deployments?watch=true&timeoutSeconds=1&allowWatchBookmarks=true&resourceVersion={now}"),
    )
    .await;
    let (kind, bookmark) = watch.event().await;
    assert_eq!(kind, "BOOKMARK");
    assert_eq!(bookmark["metadata"]["resourceVersion"], now.to_string());
    assert_eq!(watch.next().await, Err(End::Clean));
    assert!(started.elapsed() >= Duration::from_secs(1));
    until("the timed-out watch is closed", || api.open_watches() == 0).await;

    let watch = Watch::open(
        &api,
        &format!("/apis/apps/v1/namespaces/shop/deployments?watch=true&resourceVersion={now}"),
    )
    .await;
    until("the watch is open", || api.open_watches() == 1).await;
    drop(watch);
    until("the abandoned watch is closed", || api.open_watches() == 0).await;
    assert_eq!(api.watches_served(), 2);
}

#[tokio::test]
async fn expire_watches_ends_open_watches_with_410_and_refuses_older_resource_versions_until_a_relist() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({})));
    let old = api.resource_version();
    let collection = "/apis/apps/v1/namespaces/shop/deployments";
    let mut watch = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion={old}")).await;
    api.put(deployment("shop", "api", json!({})));
    assert_eq!(watch.event().await.0, "ADDED");

    api.expire_watches();
    let (kind, status) = watch.event().await;
    assert_eq!(kind, "ERROR");
    assert_eq!(
        (&status["kind"], &status["code"], &status["reason"], &status["status"]),
        (&json!("Status"), &json!(410), &json!("Expired"), &json!("Failure"))
    );
    let message = status["message"].as_str().unwrap();
    assert!(message.starts_with("too old resource version: "), "{message}");
    assert_eq!(watch.next().await, Err(End::Clean));

    // A watch from before the expiry: 200, then the same ERROR event, then the end.
    let mut late = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion={old}")).await;
    let (kind, status) = late.event().await;
    assert_eq!((kind.as_str(), &status["code"]), ("ERROR", &json!(410)));
    assert_eq!(
        status["message"],
        format!("too old resource version: {old} ({})", api.resource_version())
    );
    assert_eq!(late.next().await, Err(End::Clean));

    // After a relist, a watch from the list's resourceVersion works.
    let (_, list) = get(&api, collection).await;
    let fresh = list["metadata"]["resourceVersion"].as_str().unwrap();
    let mut watch = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion={fresh}")).await;
    merge(&api, &format!("{collection}/web"), json!({"spec": {"replicas": 4}})).await;
    let (kind, web) = watch.event().await;
    assert_eq!((kind.as_str(), &web["spec"]["replicas"]), ("MODIFIED", &json!(4)));
    assert_eq!(api.watches_served(), 3);
}

#[tokio::test]
async fn a_watch_from_further_back_than_the_history_is_expired() {
    let api = FakeApiServer::start_with(Options {
        history: 3,
        ..Options::default()
    })
    .unwrap();
    for name in ["a", "b", "c", "d", "e"] {
        api.put(deployment("shop", name, json!({})));
    }
    let collection = "/apis/apps/v1/namespaces/shop/deployments";
    let mut gone = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion=1")).await;
    let (kind, status) = gone.event().await;
    assert_eq!((kind.as_str(), &status["code"]), ("ERROR", &json!(410)));
    // The last three changes are still there: 3, 4 and 5 after 2.
    let mut kept = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion=2")).await;
    let names: Vec<_> = [kept.event().await, kept.event().await, kept.event().await]
        .iter()
        .map(|(_, o)| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["c", "d", "e"]);
}

#[tokio::test]
async fn drop_watches_cuts_every_stream_without_an_event() {
    let api = FakeApiServer::start().unwrap();
    api.put(deployment("shop", "web", json!({})));
    let now = api.resource_version();
    let collection = "/apis/apps/v1/namespaces/shop/deployments";
    let mut first = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion={now}")).await;
    let mut second = Watch::open(
        &api,
        &format!("/api/v1/namespaces/shop/pods?watch=true&resourceVersion={now}"),
    )
    .await;
    until("both watches are open", || api.open_watches() == 2).await;
    api.drop_watches();
    assert_eq!(first.next().await, Err(End::Cut));
    assert_eq!(second.next().await, Err(End::Cut));
    until("the cut watches are closed", || api.open_watches() == 0).await;

    // Resuming from the last resourceVersion seen replays what happened in between.
    api.put(deployment("shop", "api", json!({})));
    let mut resumed = Watch::open(&api, &format!("{collection}?watch=true&resourceVersion={now}")).await;
    let (kind, object) = resumed.event().await;
    assert_eq!((kind.as_str(), &object["metadata"]["name"]), ("ADDED", &json!("api")));
    assert_eq!(api.watches_served(), 3);
}

#[tokio::test]
async fn down_and_token_rules_hold_for_lists_and_watches() {
    let api = FakeApiServer::start().unwrap();
    let collection = "/apis/apps/v1/namespaces/shop/deployments";
    api.set_down(true);
    assert_eq!(get(&api, collection).await.0, 503);
    api.set_down(false);
    api.require_token("secret");
    assert_eq!(get(&api, &format!("{collection}?watch=true")).await.0, 401);
    assert_eq!(api.watches_served(), 0);
    let (status, bad) = {
        let response = reqwest::Client::new()
            .get(format!("{}{collection}?watch=true&resourceVersion=x", api.url()))
            .header("authorization", "Bearer secret")
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(status, 400, "{bad}");
}

#[tokio::test]
async fn the_controller_s_status_writes_reach_watches_but_not_writes() {
    let api = FakeApiServer::start_with(Options::controller(Duration::from_millis(10))).unwrap();
    let collection = "/apis/apps/v1/namespaces/shop/deployments";
    let mut watch = Watch::open(
        &api,
        &format!("{collection}?watch=true&fieldSelector=metadata.name%3Dweb"),
    )
    .await;
    api.put(deployment("shop", "web", json!({})));
    let mut last_rv = 0;
    let mut ready = 0;
    while ready < 2 {
        let (kind, object) = watch.event().await;
        assert!(kind == "ADDED" || kind == "MODIFIED", "{kind}");
        assert!(rv(&object) > last_rv, "resourceVersions grow");
        last_rv = rv(&object);
        let now = object["status"]["readyReplicas"].as_u64().unwrap_or(0);
        assert!(
            now == ready || now == ready + 1,
            "one pod at a time: {ready} then {now}"
        );
        ready = now;
    }
    assert!(api.writes().is_empty(), "{:?}", api.writes());
    let (_, web) = get(&api, &format!("{collection}/web")).await;
    assert_eq!(web["status"]["observedGeneration"], 1);
    assert_eq!(web["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
}

#[tokio::test]
async fn never_ready_stalls_a_rollout_that_step_deployments_drives() {
    let api = FakeApiServer::start().unwrap();
    let mut web = deployment("shop", "web", json!({}));
    web["status"] = json!({"replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
    api.put(web);
    api.never_ready("shop", "web");
    let path = "/apis/apps/v1/namespaces/shop/deployments/web";
    merge(
        &api,
        path,
        json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}}),
    )
    .await;
    for _ in 0..10 {
        api.step_deployments();
    }
    let (_, web) = get(&api, path).await;
    let status = &web["status"];
    assert_eq!(
        (
            &status["replicas"],
            &status["updatedReplicas"],
            &status["readyReplicas"]
        ),
        (&json!(3), &json!(1), &json!(2))
    );
    assert_eq!(status["observedGeneration"], web["metadata"]["generation"]);
    api.ready_again("shop", "web");
    merge(
        &api,
        path,
        json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:3"}]}}}}),
    )
    .await;
    for _ in 0..10 {
        api.step_deployments();
    }
    let (_, web) = get(&api, path).await;
    assert_eq!(web["status"]["updatedReplicas"], 2);
    assert_eq!(web["status"]["readyReplicas"], 2);
    assert_eq!(web["status"]["replicas"], 2);
    assert_eq!(web["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "3");
}
