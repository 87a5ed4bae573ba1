//! The Kubernetes routers that move workloads, not weights: `replicas` scales two
//! Deployments through the scale subresource, `service-selector` switches a Service's
//! selector. Every call goes through kube's own client into a mock service that checks it
//! and answers as an API server would.

mod kube_mock;

use std::collections::BTreeMap;

use http::StatusCode;
use kube_mock::{Handle, assert_patch, body_json, json_response, status};
use serde_json::{Value, json};
use shipdeck::backend::kube::replicas::ReplicasRouter;
use shipdeck::backend::kube::service_selector::{ServiceSelectorRouter, selector_patch};
use shipdeck::backend::{RouterError, TrafficRouter};
use shipdeck::plan::{ReplicasTarget, ServiceSelectorTarget, Weight};

fn w(percent: u8) -> Weight {
    Weight::new(percent).unwrap()
}

// ----- replicas --------------------------------------------------------------------------

fn deployments(total: u32) -> ReplicasTarget {
    ReplicasTarget {
        stable: "checkout-stable".into(),
        canary: "checkout-canary".into(),
        total,
    }
}

const SCALE: &str = "/apis/apps/v1/namespaces/shop/deployments";

fn scale(name: &str, replicas: u32) -> Value {
    json!({
        "apiVersion": "autoscaling/v1", "kind": "Scale",
        "metadata": {"name": name, "namespace": "shop", "resourceVersion": "7"},
        "spec": {"replicas": replicas}, "status": {"replicas": replicas},
    })
}

#[test]
fn replica_counts_keep_the_total_and_never_starve_a_side() {
    for total in [2, 3, 10, 20, 97] {
        let d = deployments(total);
        let mut last = 0;
        for percent in 0..=100 {
            let (canary, stable) = d.replicas_at(w(percent));
            assert_eq!(canary + stable, total, "{total} pods at {percent}%");
            assert!(canary >= last, "the canary never shrinks as the weight grows");
            last = canary;
            assert_eq!(canary == 0, percent == 0, "{total} pods at {percent}%");
            assert_eq!(stable == 0, percent == 100, "{total} pods at {percent}%");
        }
    }
    assert_eq!(deployments(20).replicas_at(w(25)), (5, 15));
    assert_eq!(deployments(10).replicas_at(w(5)), (1, 9));
    assert_eq!(deployments(10).share_at(w(5)), 10);
}

/// Reads the canary's scale, then answers each scale patch with what it asked for (or what
/// `kept` says an autoscaler kept), checking the patches come in `order`.
async fn scale_server(mut handle: Handle, canary_now: u32, order: Vec<(&'static str, u32)>, kept: Option<u32>) {
    let (request, reply) = handle.next_request().await.expect("a read");
    assert_eq!(request.method(), http::Method::GET);
    assert_eq!(request.uri().path(), format!("{SCALE}/checkout-canary/scale"));
    reply.send_response(json_response(StatusCode::OK, &scale("checkout-canary", canary_now)));
    for (name, replicas) in order {
        let (request, reply) = handle.next_request().await.expect("a scale patch");
        assert_patch(
            &request,
            &format!("{SCALE}/{name}/scale"),
            "application/merge-patch+json",
        );
        assert_eq!(
            body_json(request).await,
            json!({"spec": {"replicas": replicas}}),
            "{name}"
        );
        let set = if name == "checkout-stable" {
            kept.unwrap_or(replicas)
        } else {
            replicas
        };
        reply.send_response(json_response(StatusCode::OK, &scale(name, set)));
    }
}

#[tokio::test]
async fn a_growing_canary_is_scaled_up_before_the_stable_side_comes_down() {
    let (client, handle) = kube_mock::client("shop");
    let mut router = ReplicasRouter::with_client(deployments(20), client, "shop");
    let server = tokio::spawn(scale_server(
        handle,
        0,
        vec![("checkout-canary", 5), ("checkout-stable", 15)],
        None,
    ));
    assert_eq!(router.apply(w(25)).await, Ok(w(25)));
    server.await.unwrap();
}

#[tokio::test]
async fn a_rollback_stops_the_canary_first_then_grows_the_stable_side() {
    let (client, handle) = kube_mock::client("shop");
    let mut router = ReplicasRouter::with_client(deployments(20), client, "shop");
    let server = tokio::spawn(scale_server(
        handle,
        5,
        vec![("checkout-canary", 0), ("checkout-stable", 20)],
        None,
    ));
    assert_eq!(router.apply(Weight::ZERO).await, Ok(Weight::ZERO));
    server.await.unwrap();
}

/// Shrinking the canary without rolling back grows the stable side first.
#[tokio::test]
async fn a_smaller_canary_share_grows_the_stable_side_first() {
    let (client, handle) = kube_mock::client("shop");
    let mut router = ReplicasRouter::with_client(deployments(20), client, "shop");
    let server = tokio::spawn(scale_server(
        handle,
        10,
        vec![("checkout-stable", 15), ("checkout-canary", 5)],
        None,
    ));
    assert_eq!(router.apply(w(25)).await, Ok(w(25)));
    server.await.unwrap();
}

#[tokio::test]
async fn counts_the_server_kept_otherwise_are_reported_as_the_share_they_carry() {
    let (client, handle) = kube_mock::client("shop");
    let mut router = ReplicasRouter::with_client(deployments(20), client, "shop");
    // An autoscaler holds the stable side at 20: 5 canary pods of 25 carry 20%.
    let server = tokio::spawn(scale_server(
        handle,
        0,
        vec![("checkout-canary", 5), ("checkout-stable", 15)],
        Some(20),
    ));
    assert_eq!(router.apply(w(25)).await, Ok(w(20)));
    server.await.unwrap();
}

#[tokio::test]
async fn a_missing_deployment_is_named() {
    let (client, mut handle) = kube_mock::client("shop");
    let mut router = ReplicasRouter::with_client(deployments(20), client, "shop");
    let server = tokio::spawn(async move {
        let (_, reply) = handle.next_request().await.unwrap();
        reply.send_response(json_response(
            StatusCode::NOT_FOUND,
            &status(404, "NotFound", "deployments.apps \"checkout-canary\" not found"),
        ));
    });
    let err = router.apply(w(5)).await.unwrap_err();
    server.await.unwrap();
    assert!(!err.retry_helps(), "{err}");
    assert!(err.to_string().contains("checkout-canary"), "{err}");
}

// ----- service-selector ------------------------------------------------------------------

fn colours() -> ServiceSelectorTarget {
    let selector = |colour: &str| BTreeMap::from([("app".into(), "billing".into()), ("colour".into(), colour.into())]);
    ServiceSelectorTarget {
        service: "billing".into(),
        stable: selector("blue"),
        canary: selector("green"),
    }
}

const SERVICE: &str = "/api/v1/namespaces/payments/services/billing";

fn service(selector: &BTreeMap<String, String>, rv: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "billing", "namespace": "payments", "resourceVersion": rv},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]},
    })
}

fn selector_router() -> (ServiceSelectorRouter, Handle) {
    let (client, handle) = kube_mock::client("payments");
    (
        ServiceSelectorRouter::with_client(colours(), client, "payments"),
        handle,
    )
}

#[tokio::test]
async fn the_switch_is_a_guarded_merge_patch_of_the_selector() {
    let (mut router, mut handle) = selector_router();
    let server = tokio::spawn(async move {
        let (request, reply) = handle.next_request().await.unwrap();
        assert_eq!((request.method(), request.uri().path()), (&http::Method::GET, SERVICE));
        reply.send_response(json_response(StatusCode::OK, &service(&colours().stable, "41")));
        let (request, reply) = handle.next_request().await.unwrap();
        assert_patch(&request, SERVICE, "application/merge-patch+json");
        let patch = body_json(request).await;
        assert_eq!(
            patch,
            json!({"metadata": {"resourceVersion": "41"}, "spec": {"selector": {"app": "billing", "colour": "green"}}})
        );
        reply.send_response(json_response(StatusCode::OK, &service(&colours().canary, "42")));
    });
    assert_eq!(router.apply(Weight::FULL).await, Ok(Weight::FULL));
    server.await.unwrap();
}

#[tokio::test]
async fn a_selector_already_right_is_not_written() {
    let (mut router, mut handle) = selector_router();
    let server = tokio::spawn(async move {
        let (_, reply) = handle.next_request().await.unwrap();
        reply.send_response(json_response(StatusCode::OK, &service(&colours().stable, "41")));
    });
    assert_eq!(router.apply(Weight::ZERO).await, Ok(Weight::ZERO));
    server.await.unwrap();
}

#[tokio::test]
async fn a_split_is_refused_without_a_call() {
    let (mut router, _handle) = selector_router();
    let err = router.apply(w(25)).await.unwrap_err();
    assert!(matches!(err, RouterError::Misconfigured(_)), "{err}");
    assert!(err.to_string().contains("only 0% or 100%"), "{err}");
}

#[tokio::test]
async fn an_edit_made_meanwhile_is_read_again_not_overwritten() {
    let (mut router, mut handle) = selector_router();
    let server = tokio::spawn(async move {
        let (_, reply) = handle.next_request().await.unwrap();
        reply.send_response(json_response(StatusCode::OK, &service(&colours().stable, "41")));
        let (_, reply) = handle.next_request().await.unwrap();
        reply.send_response(json_response(
            StatusCode::CONFLICT,
            &status(409, "Conflict", "the object has been modified"),
        ));
    });
    let err = router.apply(Weight::FULL).await.unwrap_err();
    server.await.unwrap();
    assert!(err.retry_helps(), "a conflict is tried again on a fresh read: {err}");
}

#[tokio::test]
async fn a_service_that_selects_neither_colour_is_reported() {
    let (mut router, mut handle) = selector_router();
    let server = tokio::spawn(async move {
        let (_, reply) = handle.next_request().await.unwrap();
        reply.send_response(json_response(StatusCode::OK, &service(&colours().stable, "41")));
        let (_, reply) = handle.next_request().await.unwrap();
        // A webhook rewrote the selector.
        let other = BTreeMap::from([("app".to_string(), "billing-v2".to_string())]);
        reply.send_response(json_response(StatusCode::OK, &service(&other, "42")));
    });
    let err = router.apply(Weight::FULL).await.unwrap_err();
    server.await.unwrap();
    assert!(err.to_string().contains("neither the stable"), "{err}");
}

#[test]
fn keys_only_the_other_colour_has_are_removed() {
    let current = BTreeMap::from([
        ("app".to_string(), "billing".to_string()),
        ("track".to_string(), "blue".to_string()),
    ]);
    let wanted = BTreeMap::from([
        ("app".to_string(), "billing".to_string()),
        ("colour".to_string(), "green".to_string()),
    ]);
    let patch = selector_patch(&current, &wanted, Some("9"));
    assert_eq!(
        patch["spec"]["selector"],
        json!({"app": "billing", "colour": "green", "track": null})
    );
    // As the API server applies a merge patch: the result is exactly the wanted selector.
    let mut doc = json!({"spec": {"selector": current}});
    json_patch::merge(&mut doc, &patch);
    assert_eq!(doc["spec"]["selector"], json!(wanted));
}
