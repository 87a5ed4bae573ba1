//! A stateful fake Kubernetes API server over real HTTP on 127.0.0.1, for end-to-end tests
//! of shipdeck's Kubernetes code with kube's own client (no real API server can run on the
//! machines shipdeck is built on); [`FakeApiServer::kubeconfig`] writes the kubeconfig that
//! reaches it. What it serves, with the rules in [`store`]:
//!
//! - GET, PATCH and POST (create) of namespaced objects of any kind, Leases included, and
//!   GET and PATCH of a Deployment's scale subresource; no DELETE (a test deletes with
//!   [`FakeApiServer::delete`]). Patches are JSON patches or merge patches; strategic-merge
//!   patches are refused with 415 on custom resources.
//! - GET and PATCH of an Argo Rollout's status subresource
//!   (`/apis/argoproj.io/v1alpha1/namespaces/NS/rollouts/NAME/status`), as for a CRD with
//!   `subresources: {status: {}}`: a PATCH there changes only `.status` (in `writes()` with
//!   subresource `status`), while a create or PATCH of the Rollout itself leaves its
//!   `.status` as it was ([`FakeApiServer::put`] still writes it whole).
//! - GET of a collection (`/apis/apps/v1/namespaces/NS/deployments`, `/api/v1/pods` for all
//!   namespaces): a `<Kind>List` at the store's current resourceVersion, narrowed by
//!   `labelSelector` and `fieldSelector` ([`select`]); `limit` and `continue` are ignored
//!   (everything in one page, no continue token).
//! - The same GET with `watch=true` (or `1`): a watch stream ([`watch`]), ended by
//!   `timeoutSeconds`, [`FakeApiServer::expire_watches`] (410 Expired) or
//!   [`FakeApiServer::drop_watches`] (connection cut).
//! - SelfSubjectAccessReviews, answered from a list of denials a test sets
//!   ([`FakeApiServer::deny`]); everything else is allowed.
//!
//! With [`Options::controller_step`], two controllers step at that period: a Deployment
//! controller ([`controller`]) that moves every Deployment's status toward its spec, one pod
//! per step, and an Argo Rollouts controller ([`argo`]) that takes every canary Rollout
//! through its steps (one per step: setWeight, pauses, abort, retry, promote --full, undo)
//! and keeps its ReplicaSets, writing `.status` as Argo does. Without it, a test steps
//! them with [`FakeApiServer::step_deployments`] and [`FakeApiServer::step_rollouts`].

pub mod argo;
pub mod controller;
pub mod select;
pub mod store;
pub mod watch;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use self::argo::{RolloutController, lock_rollouts};
use self::controller::{Controller, lock_controller};
use self::select::{Scope, param, query_pairs};
use self::store::{Key, Refusal, Store, Write, lock};
use self::watch::{WatchBody, WatchRequest};
use crate::background::Background;
use crate::server::MAX_BODY;

/// What a [`FakeApiServer`] runs besides serving requests.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Run the Deployment controller and the Argo Rollouts controller, one step of each this
    /// often (None: Deployments' and Rollouts' status only change when a test writes them,
    /// or steps with [`FakeApiServer::step_deployments`] and [`FakeApiServer::step_rollouts`]).
    pub controller_step: Option<Duration>,
    /// How many changes are kept for watches to replay ([`watch::HISTORY`] by default); a
    /// watch from further back is answered 410 Expired.
    pub history: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            controller_step: None,
            history: watch::HISTORY,
        }
    }
}

impl Options {
    /// The defaults, with the Deployment controller and the Argo Rollouts controller each
    /// stepping every `step`.
    pub fn controller(step: Duration) -> Options {
        Options {
            controller_step: Some(step),
            ..Options::default()
        }
    }
}

/// The fake server, running on a thread of its own until dropped (its controller and open
/// watches with it).
pub struct FakeApiServer {
    addr: SocketAddr,
    store: Arc<Mutex<Store>>,
    controller: Arc<Mutex<Controller>>,
    rollouts: Arc<Mutex<RolloutController>>,
    _running: Background,
}

impl FakeApiServer {
    /// A server without the controllers.
    pub fn start() -> io::Result<FakeApiServer> {
        FakeApiServer::start_with(Options::default())
    }

    /// A server running what `options` ask for besides (the controllers).
    pub fn start_with(options: Options) -> io::Result<FakeApiServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let store = Arc::new(Mutex::new(Store::with_history(options.history)));
        let controller = Arc::new(Mutex::new(Controller::default()));
        let rollouts = Arc::new(Mutex::new(RolloutController::default()));
        let shared = Arc::clone(&store);
        let stepped = Arc::clone(&controller);
        let stepped_rollouts = Arc::clone(&rollouts);
        let running = Background::spawn("fake-kube-api", move || async move {
            if let Some(every) = options.controller_step {
                tokio::spawn(controller::run(stepped, Arc::clone(&shared), every));
                tokio::spawn(argo::run(stepped_rollouts, Arc::clone(&shared), every));
            }
            let Ok(listener) = TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((stream, _)) = listener.accept().await {
                let store = Arc::clone(&shared);
                tokio::spawn(async move {
                    let handler = service_fn(move |request| answer(Arc::clone(&store), request));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handler)
                        .await;
                });
            }
        })?;
        Ok(FakeApiServer {
            addr,
            store,
            controller,
            rollouts,
            _running: running,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kubeconfig whose current context reaches this server, in `namespace`.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  \
             context:\n    cluster: fake\n    user: tester\n    namespace: {namespace}\ncurrent-context: fake\nusers:\n- \
             name: tester\n  user:\n    token: fake-token\n",
            self.url()
        )
    }

    /// Creates or replaces an object from its manifest, as someone with kubectl would: not
    /// in [`FakeApiServer::writes`], seen by watches.
    pub fn put(&self, object: Value) -> Key {
        self.lock().put(object)
    }

    /// Deletes the object at `key` (the object as it was, if there was one), as someone with
    /// kubectl would: not in [`FakeApiServer::writes`], a DELETED event to watches.
    pub fn delete(&self, key: &Key) -> Option<Value> {
        self.lock().delete(key)
    }

    /// The store's current resourceVersion (that of its last write, to any object).
    pub fn resource_version(&self) -> u64 {
        self.lock().version()
    }

    /// The object at `key` now.
    pub fn get(&self, key: &Key) -> Option<Value> {
        self.lock().get(key, None).ok()
    }

    /// From now on, a SelfSubjectAccessReview for `verb` on `resource` (`services`,
    /// `deployments/scale`) is answered "not allowed".
    pub fn deny(&self, verb: &str, resource: &str) {
        self.lock().deny(verb, resource);
    }

    /// While `down`, every request is answered 503, as an API server losing its etcd
    /// leader answers: what a rollback must retry through.
    pub fn set_down(&self, down: bool) {
        self.lock().down = down;
    }

    /// How many requests were answered 503 while down.
    pub fn refused(&self) -> usize {
        self.lock().refused
    }

    /// From now on, only requests with `Authorization: Bearer <token>` are answered; the
    /// others get 401, as a real API server answers a missing or wrong credential.
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    /// Every write clients made (PATCH and POST), oldest first. Not listed: `put`, `delete`
    /// and the controllers' writes (Deployment status; Rollout status and revision,
    /// ReplicaSets), though each bumps the resourceVersion and reaches watches.
    pub fn writes(&self) -> Vec<Write> {
        self.lock().writes().to_vec()
    }

    /// One step of the Deployment controller now (whether or not it also runs by itself).
    pub fn step_deployments(&self) {
        lock_controller(&self.controller).step(&mut self.lock());
    }

    /// One step of the Argo Rollouts controller now (whether or not it also runs by itself):
    /// each canary Rollout takes at most one step (see [`argo`]).
    pub fn step_rollouts(&self) {
        lock_rollouts(&self.rollouts).step(&mut self.lock());
    }

    /// From now on, the pods the Deployment `namespace/name` creates never get ready: its
    /// rollouts stall with one surge pod, as with a crash-looping image.
    pub fn never_ready(&self, namespace: &str, name: &str) {
        lock_controller(&self.controller).never_ready(namespace, name, true);
    }

    /// Undoes [`FakeApiServer::never_ready`] for the pods created from now on.
    pub fn ready_again(&self, namespace: &str, name: &str) {
        lock_controller(&self.controller).never_ready(namespace, name, false);
    }

    /// Ends every open watch with an ERROR event holding a 410 Expired Status, and answers
    /// the same to every later watch from a resourceVersion older than the current one (a
    /// relist gives a fresh one), as after an etcd compaction.
    pub fn expire_watches(&self) {
        let mut store = self.lock();
        let current = store.version();
        store.changes.expire(current);
    }

    /// Cuts every open watch: the connection closes mid-stream, with no event and no
    /// closing chunk, as when a connection is lost.
    pub fn drop_watches(&self) {
        self.lock().changes.drop_all();
    }

    /// Watch streams open now.
    pub fn open_watches(&self) -> usize {
        self.lock().changes.open()
    }

    /// Watch requests answered with a stream so far (one answered at once with 410 too).
    pub fn watches_served(&self) -> usize {
        self.lock().changes.served()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        lock(&self.store)
    }
}

/// A response body: one JSON document, or a watch's stream.
type Reply = Either<Full<Bytes>, WatchBody>;

const ACCESS_REVIEWS: &str = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";

/// `/api/v1/namespaces/NS/PLURAL/NAME[/SUB]` or `/apis/GROUP/VERSION/namespaces/...`.
fn route(path: &str) -> Option<(Key, Option<String>)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (api_version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => (version.to_string(), rest),
        ["apis", group, version, rest @ ..] => (format!("{group}/{version}"), rest),
        _ => return None,
    };
    match rest {
        ["namespaces", namespace, plural, name, sub @ ..] if sub.len() <= 1 => Some((
            Key {
                api_version,
                namespace: namespace.to_string(),
                plural: plural.to_string(),
                name: name.to_string(),
            },
            sub.first().map(|s| s.to_string()),
        )),
        _ => None,
    }
}

async fn answer(store: Arc<Mutex<Store>>, request: Request<Incoming>) -> Result<Response<Reply>, Infallible> {
    let (head, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(reply(Err(too_large()))),
    };
    {
        let mut store = lock(&store);
        let bearer = head
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if let Some(token) = &store.token
            && bearer != Some(format!("Bearer {token}").as_str())
        {
            return Ok(reply(Err(Refusal {
                code: 401,
                reason: "Unauthorized",
                message: "Unauthorized".into(),
            })));
        }
        if store.down {
            store.refused += 1;
            return Ok(reply(Err(Refusal {
                code: 503,
                reason: "ServiceUnavailable",
                message: "etcdserver: leader changed".into(),
            })));
        }
    }
    if head.method == Method::POST && head.uri.path() == ACCESS_REVIEWS {
        let store = lock(&store);
        return Ok(reply(store.review(&body)));
    }
    let pairs = query_pairs(head.uri.query());
    let field_manager = param(&pairs, "fieldManager");
    if let Some((api_version, namespace, plural)) = collection(head.uri.path()) {
        return Ok(match (head.method, namespace) {
            (Method::POST, Some(namespace)) => {
                reply(lock(&store).create(&api_version, &namespace, &plural, &body, field_manager))
            }
            (Method::GET, namespace) => read_collection(store, &api_version, namespace.as_deref(), &plural, &pairs),
            (method, _) => reply(Err(not_allowed(&method))),
        });
    }
    let Some((key, sub)) = route(head.uri.path()) else {
        return Ok(reply(Err(Refusal {
            code: 404,
            reason: "NotFound",
            message: format!("the fake API server does not serve {}", head.uri.path()),
        })));
    };
    let content_type = head
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut store = lock(&store);
    let result = match head.method {
        Method::GET => store.get(&key, sub.as_deref()),
        Method::PATCH => store.patch(&key, sub.as_deref(), &content_type, &body, field_manager),
        method => Err(not_allowed(&method)),
    };
    Ok(reply(result))
}

/// A GET of a collection: its list, or a watch of it.
fn read_collection(
    store: Arc<Mutex<Store>>,
    api_version: &str,
    namespace: Option<&str>,
    plural: &str,
    pairs: &[(String, String)],
) -> Response<Reply> {
    let bad_request = |message: String| {
        reply(Err(Refusal {
            code: 400,
            reason: "BadRequest",
            message,
        }))
    };
    let scope = match Scope::new(api_version, namespace, plural, pairs) {
        Ok(scope) => scope,
        Err(message) => return bad_request(message),
    };
    if !WatchRequest::asked(pairs) {
        return reply(Ok(lock(&store).list(&scope)));
    }
    let kind = lock(&store).kind_of(api_version, plural);
    match WatchRequest::parse(scope, kind, pairs) {
        Ok(request) => {
            let mut response = Response::new(Either::Right(watch::start(store, request)));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(message) => bad_request(message),
    }
}

fn not_allowed(method: &Method) -> Refusal {
    Refusal {
        code: 405,
        reason: "MethodNotAllowed",
        message: format!("the fake API server does not serve {method} here"),
    }
}

/// `/apis/GROUP/VERSION/namespaces/NS/PLURAL` (or `/api/v1/...`): a namespace's collection,
/// where objects are created and listed; without `namespaces/NS`, every namespace's.
fn collection(path: &str) -> Option<(String, Option<String>, String)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (api_version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => (version.to_string(), rest),
        ["apis", group, version, rest @ ..] => (format!("{group}/{version}"), rest),
        _ => return None,
    };
    match rest {
        ["namespaces", namespace, plural] => Some((api_version, Some(namespace.to_string()), plural.to_string())),
        [plural] if *plural != "namespaces" => Some((api_version, None, plural.to_string())),
        _ => None,
    }
}

fn too_large() -> Refusal {
    Refusal {
        code: 413,
        reason: "RequestEntityTooLarge",
        message: "request body too large".into(),
    }
}

fn reply(result: Result<Value, Refusal>) -> Response<Reply> {
    let (code, body) = match result {
        Ok(object) => (200, object),
        Err(refusal) => (refusal.code, refusal.status()),
    };
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(CONTENT_TYPE, "application/json")
        .body(Either::Left(Full::new(Bytes::from(
            serde_json::to_vec(&body).unwrap_or_default(),
        ))))
        .unwrap_or_else(|_| Response::new(Either::Left(Full::default())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_object_and_its_subresource() {
        let (key, sub) = route("/apis/apps/v1/namespaces/shop/deployments/web/scale").unwrap();
        assert_eq!(
            (key.api_version.as_str(), key.plural.as_str(), key.name.as_str()),
            ("apps/v1", "deployments", "web")
        );
        assert_eq!(sub.as_deref(), Some("scale"));
        let (key, sub) = route("/api/v1/namespaces/pay/services/billing").unwrap();
        assert_eq!(
            (key.api_version.as_str(), key.namespace.as_str(), sub),
            ("v1", "pay", None)
        );
        assert!(route("/version").is_none());
    }

    #[test]
    fn collections_are_namespaced_or_span_every_namespace() {
        let namespaced = collection("/apis/apps/v1/namespaces/shop/deployments");
        assert_eq!(
            namespaced,
            Some(("apps/v1".into(), Some("shop".into()), "deployments".into()))
        );
        let all = collection("/api/v1/pods");
        assert_eq!(all, Some(("v1".into(), None, "pods".into())));
        assert_eq!(collection("/api/v1/namespaces"), None);
        assert_eq!(collection("/apis/apps/v1/namespaces/shop/deployments/web"), None);
    }

    #[tokio::test]
    async fn dropping_the_server_stops_its_controller_and_its_watches() {
        let api = FakeApiServer::start_with(Options::controller(Duration::from_millis(5))).unwrap();
        api.put(serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                   "metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 50}}));
        let url = format!("{}/apis/apps/v1/namespaces/shop/deployments?watch=true", api.url());
        let mut watch = reqwest::get(url).await.unwrap();
        assert!(watch.chunk().await.unwrap().is_some(), "the watch streams");
        // The controller and the watch's task each hold the store while they run.
        let store = Arc::downgrade(&api.store);
        drop(api);
        assert!(store.upgrade().is_none(), "nothing runs on after the drop");
        let rest = async { while let Ok(Some(_)) = watch.chunk().await {} };
        tokio::time::timeout(Duration::from_secs(5), rest)
            .await
            .expect("the watch's connection is closed");
    }
}
