//! A stateful fake Kubernetes API server over real HTTP on 127.0.0.1, for end-to-end tests
//! of shipdeck's Kubernetes routers with kube's own client (no real API server can run on
//! the machines shipdeck is built on). It serves GET and PATCH of namespaced objects and of
//! a Deployment's scale subresource, with the rules in [`store`]; [`FakeApiServer::kubeconfig`]
//! writes the kubeconfig that reaches it. SelfSubjectAccessReviews are answered from a
//! list of denials a test sets ([`FakeApiServer::deny`]); everything else is allowed. Not
//! served yet: lists, watches, creates and deletes of objects, and Leases.

pub mod store;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;

use self::store::{Key, Refusal, Store, Write};
use crate::background::Background;
use crate::server::MAX_BODY;

/// The fake server, running on a thread of its own until dropped.
pub struct FakeApiServer {
    addr: SocketAddr,
    store: Arc<Mutex<Store>>,
    _running: Background,
}

impl FakeApiServer {
    pub fn start() -> io::Result<FakeApiServer> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let store = Arc::new(Mutex::new(Store::default()));
        let shared = Arc::clone(&store);
        let running = Background::spawn("fake-kube-api", move || async move {
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

    /// Creates or replaces an object from its manifest.
    pub fn put(&self, object: Value) -> Key {
        self.lock().put(object)
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

    /// Every write the server took, oldest first.
    pub fn writes(&self) -> Vec<Write> {
        self.lock().writes().to_vec()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

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

async fn answer(store: Arc<Mutex<Store>>, request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (head, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(reply(Err(too_large()))),
    };
    {
        let mut store = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
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
        let store = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        return Ok(reply(store.review(&body)));
    }
    if head.method == Method::POST
        && let Some((api_version, namespace, plural)) = collection(head.uri.path())
    {
        let mut store = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let field_manager = field_manager_of(head.uri.query());
        return Ok(reply(store.create(
            &api_version,
            &namespace,
            &plural,
            &body,
            field_manager.as_deref(),
        )));
    }
    let Some((key, sub)) = route(head.uri.path()) else {
        return Ok(reply(Err(Refusal {
            code: 404,
            reason: "NotFound",
            message: format!("the fake API server does not serve {}", head.uri.path()),
        })));
    };
    let field_manager = field_manager_of(head.uri.query());
    let content_type = head
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let mut store = store.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let result = match head.method {
        Method::GET => store.get(&key, sub.as_deref()),
        Method::PATCH => store.patch(&key, sub.as_deref(), &content_type, &body, field_manager.as_deref()),
        _ => Err(Refusal {
            code: 405,
            reason: "MethodNotAllowed",
            message: format!("the fake API server does not serve {}", head.method),
        }),
    };
    Ok(reply(result))
}

fn field_manager_of(query: Option<&str>) -> Option<String> {
    query.and_then(|q| {
        q.split('&')
            .find_map(|pair| pair.strip_prefix("fieldManager="))
            .map(str::to_string)
    })
}

/// `/apis/GROUP/VERSION/namespaces/NS/PLURAL` (or `/api/v1/...`): where objects are created.
fn collection(path: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", version, "namespaces", ns, plural] => Some((version.to_string(), ns.to_string(), plural.to_string())),
        ["apis", group, version, "namespaces", ns, plural] => {
            Some((format!("{group}/{version}"), ns.to_string(), plural.to_string()))
        }
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

fn reply(result: Result<Value, Refusal>) -> Response<Full<Bytes>> {
    let (code, body) = match result {
        Ok(object) => (200, object),
        Err(refusal) => (refusal.code, refusal.status()),
    };
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(&body).unwrap_or_default())))
        .unwrap_or_default()
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
}
