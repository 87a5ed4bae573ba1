//! The Gateway API router: one rule of an HTTPRoute splits traffic between the stable and
//! the canary Service by its backendRefs' weights (`weight_router.rs` sends the patch).

use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::weight_router::{WeightRouter, WeightedObject};
use super::weights::Entries;
pub use super::weights::Split;
use crate::backend::RouterError;
use crate::plan::{GatewayApiTarget, Weight};

/// HTTPRoute, as the API server serves it (gateway.networking.k8s.io/v1).
pub fn http_route() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
        "httproutes",
    )
}

/// How the rule's backendRefs are read: by Service name, weight 1 when unset (as the
/// Gateway API defines).
fn entries(target: &GatewayApiTarget, name: &str) -> Entries<'static> {
    Entries {
        pointer: format!("/spec/rules/{}/backendRefs", target.rule),
        stable: vec![("/name", json!(target.stable))],
        canary: vec![("/name", json!(target.canary))],
        default_weight: 1,
        place: format!("HTTPRoute {name} rule {}", target.rule),
        entry: "backendRef to Service",
    }
}

/// Finds the stable and canary backendRefs in the plan's rule of `route` (as JSON).
pub fn split_of(route: &Value, target: &GatewayApiTarget) -> Result<Split, RouterError> {
    let name = route
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or(&target.route);
    let rules = route
        .pointer("/spec/rules")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if target.rule >= rules {
        return Err(RouterError::Misconfigured(format!(
            "HTTPRoute {name} has no rule {} ({rules} rules): check `target.gateway_api.rule`",
            target.rule
        )));
    }
    entries(target, name).split(route, &target.stable, &target.canary)
}

/// The JSON patch that gives the canary `weight` percent of the rule's traffic.
pub fn weight_patch(split: &Split, target: &GatewayApiTarget, weight: Weight) -> Value {
    entries(target, &target.route).patch(split, &[], weight)
}

/// The plan's HTTPRoute rule, as a weighted object.
pub struct HttpRouteSplit(pub GatewayApiTarget);

impl WeightedObject for HttpRouteSplit {
    fn resource(&self) -> ApiResource {
        http_route()
    }

    fn name(&self) -> &str {
        &self.0.route
    }

    fn split(&self, object: &Value) -> Result<Split, RouterError> {
        split_of(object, &self.0)
    }

    fn patch(&self, _object: &Value, split: &Split, weight: Weight) -> Value {
        weight_patch(split, &self.0, weight)
    }
}

/// Drives one rule of an HTTPRoute.
pub type GatewayApiRouter = WeightRouter<HttpRouteSplit>;
