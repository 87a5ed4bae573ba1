//! kube's own client on a mock service: each test answers the calls as an API server
//! would and checks what was sent (method, path, content type, field manager, body).

use http::{Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};

pub type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

/// A client whose calls arrive at the returned handle, with `namespace` as its default.
pub fn client(namespace: &str) -> (kube::Client, Handle) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    (kube::Client::new(service, namespace), handle)
}

pub fn json_response(status: StatusCode, body: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// The Status object an API server answers an error with.
pub fn status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "reason": reason, "code": code})
}

pub async fn body_json(request: Request<Body>) -> Value {
    let bytes = request.into_body().collect_bytes().await.unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Asserts a write is a `content_type` PATCH of `path` as field manager `shipdeck`.
#[track_caller]
pub fn assert_patch(request: &Request<Body>, path: &str, content_type: &str) {
    assert_eq!(request.method(), http::Method::PATCH, "{}", request.uri());
    assert_eq!(request.uri().path(), path);
    let query = request.uri().query().unwrap_or_default();
    assert!(query.contains("fieldManager=shipdeck"), "{}", request.uri());
    assert_eq!(request.headers()["content-type"], content_type);
}
