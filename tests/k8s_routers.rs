//! The Kubernetes routers, each layer as real as can run here (no API server can): their
//! patches applied to the objects and checked against the real CRD schemas (gateway-api
//! v1.6.1's HTTPRoute, Istio 1.30.3's VirtualService, read in place from ../shared/k8s,
//! with Istio's own example manifest), and every call sent through kube's own client into
//! a mock service that checks the method, path, content type, field manager and body, and
//! answers as an API server would, errors included.

mod crd_schema;
mod kube_mock;

use crd_schema::{applied, crd_schema, k8s_docs, schema_errors};
use http::StatusCode;
use kube_mock::{Handle, body_json, json_response, status};
use serde_json::{Value, json};
use shipdeck::backend::kube::gateway_api::{GatewayApiRouter, HttpRouteSplit, split_of, weight_patch};
use shipdeck::backend::{RouterError, TrafficRouter};
use shipdeck::plan::{GatewayApiTarget, Weight};

fn target() -> GatewayApiTarget {
    GatewayApiTarget {
        route: "checkout".into(),
        rule: 1,
        stable: "checkout-stable".into(),
        canary: "checkout-canary".into(),
    }
}

fn route() -> Value {
    let text = std::fs::read_to_string("tests/fixtures/k8s/httproute-checkout.yaml").unwrap();
    serde_yaml::from_str(&text).unwrap()
}

fn w(percent: u8) -> Weight {
    Weight::new(percent).unwrap()
}

#[test]
fn the_split_is_read_from_the_rule_the_plan_names() {
    let split = split_of(&route(), &target()).unwrap();
    assert_eq!((split.stable_index, split.canary_index), (0, 1));
    assert_eq!((split.stable_weight, split.canary_weight), (100, 0));
    assert_eq!(split.canary_share(), Weight::ZERO);
    // Rule 0 has no canary backendRef: a message that says what to fix.
    let wrong_rule = GatewayApiTarget { rule: 0, ..target() };
    let err = split_of(&route(), &wrong_rule).unwrap_err();
    assert!(
        !err.retry_helps() && err.to_string().contains("no backendRef to Service `checkout-canary`"),
        "{err}"
    );
    let no_rule = GatewayApiTarget { rule: 7, ..target() };
    assert!(
        split_of(&route(), &no_rule)
            .unwrap_err()
            .to_string()
            .contains("no rule 7")
    );
}

#[cfg_attr(no_k8s_data, ignore = "needs the real CRDs in ../shared/k8s (or SHIPDECK_K8S_DATA)")]
#[test]
fn every_weight_patch_gives_a_route_the_real_crd_accepts() {
    let schema = crd_schema("httproutes.v1.6.1.yaml", "httproutes.gateway.networking.k8s.io", "v1");
    assert!(
        schema_errors(&schema, &route()).is_empty(),
        "{:?}",
        schema_errors(&schema, &route())
    );
    let split = split_of(&route(), &target()).unwrap();
    for percent in [0, 1, 5, 25, 50, 99, 100] {
        let patched = applied(route(), &weight_patch(&split, &target(), w(percent))).unwrap();
        let errors = schema_errors(&schema, &patched);
        assert!(errors.is_empty(), "{percent}%: {errors:?}");
        let after = split_of(&patched, &target()).unwrap();
        assert_eq!(after.canary_share(), w(percent));
        assert_eq!(after.stable_weight + after.canary_weight, 100);
        // The other rule is left alone.
        assert_eq!(patched["spec"]["rules"][0], route()["spec"]["rules"][0]);
    }
    // The schema really judges weights: out-of-range ones are refused.
    for bad in [json!(-1), json!(1_000_001), json!("50")] {
        let mut doc = route();
        doc["spec"]["rules"][1]["backendRefs"][1]["weight"] = bad.clone();
        assert!(!schema_errors(&schema, &doc).is_empty(), "weight {bad} accepted");
    }
    let mut doc = route();
    doc["spec"]["rules"][1]["backendRefs"][1]["wieght"] = json!(5);
    assert!(schema_errors(&schema, &doc).iter().any(|e| e.contains("unknown field")));
}

#[test]
fn a_patch_on_a_route_edited_meanwhile_is_refused_not_applied() {
    let split = split_of(&route(), &target()).unwrap();
    let patch = weight_patch(&split, &target(), w(25));
    // Someone swapped the backendRefs' order since the read.
    let mut edited = route();
    let refs = edited["spec"]["rules"][1]["backendRefs"].as_array_mut().unwrap();
    refs.swap(0, 1);
    assert!(applied(edited, &patch).is_err(), "the test ops guard the write");
}

fn router() -> (GatewayApiRouter, Handle) {
    let (client, handle) = kube_mock::client("shop");
    (
        GatewayApiRouter::with_client(HttpRouteSplit(target()), client, "shop"),
        handle,
    )
}

const ROUTE_PATH: &str = "/apis/gateway.networking.k8s.io/v1/namespaces/shop/httproutes/checkout";

#[tokio::test]
async fn setting_a_weight_reads_then_patches_with_a_guarded_json_patch_as_shipdeck() {
    let (mut router, mut handle) = router();
    let server = tokio::spawn(async move {
        let (request, reply) = handle.next_request().await.expect("a read");
        assert_eq!(request.method(), http::Method::GET);
        assert_eq!(request.uri().path(), ROUTE_PATH);
        reply.send_response(json_response(StatusCode::OK, &route()));

        let (request, reply) = handle.next_request().await.expect("a write");
        kube_mock::assert_patch(&request, ROUTE_PATH, "application/json-patch+json");
        let patch = body_json(request).await;
        let split = split_of(&route(), &target()).unwrap();
        assert_eq!(patch, weight_patch(&split, &target(), w(25)));
        let patched = applied(route(), &patch).unwrap();
        reply.send_response(json_response(StatusCode::OK, &patched));
    });
    assert_eq!(router.apply(w(25)).await, Ok(w(25)));
    server.await.unwrap();
}

#[tokio::test]
async fn api_errors_say_what_to_do_and_whether_trying_again_helps() {
    let cases: [(u16, &str, &str, bool, &str); 4] = [
        (
            403,
            "Forbidden",
            "httproutes is forbidden",
            false,
            "kubectl auth can-i get",
        ),
        (
            404,
            "NotFound",
            "httproutes \"checkout\" not found",
            false,
            "not found in namespace shop",
        ),
        (401, "Unauthorized", "Unauthorized", false, "not logged in"),
        (
            503,
            "ServiceUnavailable",
            "etcd leader changed",
            true,
            "API server error (503)",
        ),
    ];
    for (code, reason, message, retry, says) in cases {
        let (mut router, mut handle) = router();
        let server = tokio::spawn(async move {
            let (_, reply) = handle.next_request().await.unwrap();
            reply.send_response(json_response(
                StatusCode::from_u16(code).unwrap(),
                &status(code, reason, message),
            ));
        });
        let err = router.apply(w(5)).await.unwrap_err();
        server.await.unwrap();
        assert_eq!(err.retry_helps(), retry, "{code}: {err}");
        assert!(err.to_string().contains(says), "{code}: {err}");
    }
}

#[tokio::test]
async fn a_conflicting_or_refused_write_is_reported_by_kind() {
    for (code, reason, message, expect) in [
        (
            409u16,
            "Conflict",
            "the object has been modified",
            RouterError::Unavailable(String::new()),
        ),
        (
            422,
            "Invalid",
            "spec.rules[1].backendRefs[1].weight: Invalid value",
            RouterError::Misconfigured(String::new()),
        ),
    ] {
        let (mut router, mut handle) = router();
        let server = tokio::spawn(async move {
            let (_, reply) = handle.next_request().await.unwrap();
            reply.send_response(json_response(StatusCode::OK, &route()));
            let (_, reply) = handle.next_request().await.unwrap();
            reply.send_response(json_response(
                StatusCode::from_u16(code).unwrap(),
                &status(code, reason, message),
            ));
        });
        let err = router.apply(w(50)).await.unwrap_err();
        server.await.unwrap();
        assert_eq!(err.retry_helps(), expect.retry_helps(), "{code}: {err}");
        if code == 422 {
            assert!(err.to_string().contains("Invalid value"), "the server's message: {err}");
        }
    }
}

/// The API server's message is text from outside: a huge one with newlines reaches the
/// log as one bounded line.
#[tokio::test]
async fn a_huge_server_message_stays_one_bounded_line() {
    let (mut router, mut handle) = router();
    let server = tokio::spawn(async move {
        let (_, reply) = handle.next_request().await.unwrap();
        let message = format!("first line\n{}", "x".repeat(1 << 20));
        reply.send_response(json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &status(500, "InternalError", &message),
        ));
    });
    let err = router.apply(w(5)).await.unwrap_err().to_string();
    server.await.unwrap();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.len() < 1_000, "{} bytes", err.len());
    assert!(err.contains("first line"), "{err}");
}

// ----- Istio -----------------------------------------------------------------------------

use shipdeck::backend::kube::istio::{IstioRouter, VirtualServiceSplit};
use shipdeck::backend::kube::weight_router::WeightedObject;
use shipdeck::plan::{IstioDestination, IstioTarget};

fn istio_target() -> IstioTarget {
    let dest = |subset: &str| IstioDestination {
        host: "istio-subset-split".into(),
        subset: Some(subset.into()),
    };
    IstioTarget {
        virtual_service: "istio-subset-split-vsvc".into(),
        route: Some("primary".into()),
        stable: dest("stable"),
        canary: dest("canary"),
    }
}

/// The VirtualService of Argo Rollouts' istio-subset-split example, as published.
fn example_virtual_service() -> Value {
    k8s_docs("examples/istio-subset-split.yaml")
        .into_iter()
        .find(|d| d["kind"] == "VirtualService")
        .expect("a VirtualService in the example")
}

#[cfg_attr(no_k8s_data, ignore = "needs the real CRDs in ../shared/k8s (or SHIPDECK_K8S_DATA)")]
#[test]
fn istio_patches_on_the_published_example_pass_the_real_virtual_service_schema() {
    let vs = example_virtual_service();
    let version = vs["apiVersion"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let schema = crd_schema(
        "istio-crds.1.30.3.yaml",
        "virtualservices.networking.istio.io",
        &version,
    );
    assert!(
        schema_errors(&schema, &vs).is_empty(),
        "{:?}",
        schema_errors(&schema, &vs)
    );
    let split = VirtualServiceSplit(istio_target());
    let read = split.split(&vs).unwrap();
    assert_eq!((read.stable_weight, read.canary_weight), (100, 0));
    for percent in [0, 10, 50, 100] {
        let patched = applied(vs.clone(), &split.patch(&vs, &read, w(percent))).unwrap();
        let errors = schema_errors(&schema, &patched);
        assert!(errors.is_empty(), "{percent}%: {errors:?}");
        assert_eq!(split.split(&patched).unwrap().canary_share(), w(percent));
    }
    let mut bad = vs.clone();
    bad["spec"]["http"][0]["route"][1]["weight"] = json!("ten");
    assert!(!schema_errors(&schema, &bad).is_empty(), "a text weight accepted");
}

#[cfg_attr(no_k8s_data, ignore = "needs the real CRDs in ../shared/k8s (or SHIPDECK_K8S_DATA)")]
#[test]
fn istio_names_what_is_missing_and_guards_the_route_it_read() {
    let vs = example_virtual_service();
    let wrong_route = IstioTarget {
        route: Some("secondary".into()),
        ..istio_target()
    };
    let err = VirtualServiceSplit(wrong_route).split(&vs).unwrap_err();
    assert!(err.to_string().contains("no http route named `secondary`"), "{err}");
    let wrong_subset = IstioTarget {
        canary: IstioDestination {
            host: "istio-subset-split".into(),
            subset: Some("preview".into()),
        },
        ..istio_target()
    };
    let err = VirtualServiceSplit(wrong_subset).split(&vs).unwrap_err();
    assert!(
        err.to_string()
            .contains("no destination `istio-subset-split subset preview`"),
        "{err}"
    );
    // Renamed since the read: the guard refuses the patch.
    let split = VirtualServiceSplit(istio_target());
    let patch = split.patch(&vs, &split.split(&vs).unwrap(), w(10));
    let mut renamed = vs.clone();
    renamed["spec"]["http"][0]["name"] = json!("other");
    assert!(applied(renamed, &patch).is_err());
}

#[cfg_attr(no_k8s_data, ignore = "needs the real CRDs in ../shared/k8s (or SHIPDECK_K8S_DATA)")]
#[tokio::test]
async fn istio_reads_then_patches_the_virtual_service_as_shipdeck() {
    let (client, mut handle) = kube_mock::client("shop");
    let mut router = IstioRouter::with_client(VirtualServiceSplit(istio_target()), client, "shop");
    let path = "/apis/networking.istio.io/v1/namespaces/shop/virtualservices/istio-subset-split-vsvc";
    let server = tokio::spawn(async move {
        let (request, reply) = handle.next_request().await.unwrap();
        assert_eq!((request.method(), request.uri().path()), (&http::Method::GET, path));
        reply.send_response(json_response(StatusCode::OK, &example_virtual_service()));
        let (request, reply) = handle.next_request().await.unwrap();
        kube_mock::assert_patch(&request, path, "application/json-patch+json");
        let patch = body_json(request).await;
        let patched = applied(example_virtual_service(), &patch).unwrap();
        reply.send_response(json_response(StatusCode::OK, &patched));
    });
    assert_eq!(router.apply(w(10)).await, Ok(w(10)));
    server.await.unwrap();
}
