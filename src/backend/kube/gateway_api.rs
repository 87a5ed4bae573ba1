//! The Gateway API router: one rule of an HTTPRoute splits traffic between the stable and
//! the canary Service by its backendRefs' weights. A change is one JSON patch that first
//! tests the backendRefs are still the ones read (so a concurrent edit is refused, not
//! overwritten), then sets both weights; the weight reported back is read from the object
//! the API server returns.

use futures::future::BoxFuture;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::access;
use super::errors::router_error;
use crate::backend::{RouterError, TrafficRouter};
use crate::plan::{ClusterAccess, GatewayApiTarget, Weight};

/// HTTPRoute, as the API server serves it (gateway.networking.k8s.io/v1).
pub fn http_route() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"),
        "httproutes",
    )
}

/// The two backendRefs that split the traffic: their places in the rule and their weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub stable_index: usize,
    pub canary_index: usize,
    /// Weights as the object holds them (a missing weight counts 1, as the API defines).
    pub stable_weight: u64,
    pub canary_weight: u64,
}

impl Split {
    /// The canary's share, in whole percent.
    pub fn canary_share(&self) -> Weight {
        let total = self.stable_weight + self.canary_weight;
        if total == 0 {
            // No weight anywhere: the Gateway serves nothing from either; not a canary share.
            return Weight::ZERO;
        }
        Weight::saturating((self.canary_weight * 100 + total / 2) as i32 / total as i32)
    }
}

/// Finds the stable and canary backendRefs in rule `rule` of `route` (an HTTPRoute as JSON).
pub fn split_of(route: &Value, target: &GatewayApiTarget) -> Result<Split, RouterError> {
    let name = route
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or(&target.route);
    let rules = route.pointer("/spec/rules").and_then(Value::as_array);
    let Some(refs) = rules
        .and_then(|rules| rules.get(target.rule))
        .and_then(|rule| rule.get("backendRefs"))
        .and_then(Value::as_array)
    else {
        return Err(RouterError::Misconfigured(format!(
            "HTTPRoute {name} has no rule {} with backendRefs ({} rules): check `target.gateway_api.rule`",
            target.rule,
            rules.map_or(0, Vec::len)
        )));
    };
    let find = |service: &str| {
        let matches: Vec<usize> = refs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.get("name").and_then(Value::as_str) == Some(service))
            .map(|(i, _)| i)
            .collect();
        match matches.as_slice() {
            [one] => Ok(*one),
            [] => Err(RouterError::Misconfigured(format!(
                "HTTPRoute {name} rule {} has no backendRef to Service `{service}`: add one (weight 0 for the canary)",
                target.rule
            ))),
            _ => Err(RouterError::Misconfigured(format!(
                "HTTPRoute {name} rule {} names Service `{service}` in {} backendRefs: shipdeck drives one each",
                target.rule,
                matches.len()
            ))),
        }
    };
    let (stable_index, canary_index) = (find(&target.stable)?, find(&target.canary)?);
    let weight = |i: usize| refs[i].get("weight").and_then(Value::as_u64).unwrap_or(1);
    Ok(Split {
        stable_index,
        canary_index,
        stable_weight: weight(stable_index),
        canary_weight: weight(canary_index),
    })
}

/// The JSON patch that gives the canary `weight` percent: tests that both backendRefs are
/// where they were read, then sets both weights (stable 100 - weight, canary weight).
pub fn weight_patch(split: &Split, target: &GatewayApiTarget, weight: Weight) -> Value {
    let refs = format!("/spec/rules/{}/backendRefs", target.rule);
    let canary = u64::from(weight.percent());
    json!([
        { "op": "test", "path": format!("{refs}/{}/name", split.stable_index), "value": target.stable },
        { "op": "test", "path": format!("{refs}/{}/name", split.canary_index), "value": target.canary },
        { "op": "add", "path": format!("{refs}/{}/weight", split.stable_index), "value": 100 - canary },
        { "op": "add", "path": format!("{refs}/{}/weight", split.canary_index), "value": canary },
    ])
}

/// Drives one HTTPRoute. The client is made on first use, inside the runtime.
pub struct GatewayApiRouter {
    target: GatewayApiTarget,
    access: ClusterAccess,
    api: Option<Api<DynamicObject>>,
}

impl GatewayApiRouter {
    pub fn new(target: &GatewayApiTarget, access: ClusterAccess) -> GatewayApiRouter {
        GatewayApiRouter {
            target: target.clone(),
            access,
            api: None,
        }
    }

    /// A router on a client already made (tests: kube's mock service).
    pub fn with_client(target: &GatewayApiTarget, client: Client, namespace: &str) -> GatewayApiRouter {
        GatewayApiRouter {
            target: target.clone(),
            access: ClusterAccess::default(),
            api: Some(Api::namespaced_with(client, namespace, &http_route())),
        }
    }

    async fn api(&mut self) -> Result<Api<DynamicObject>, RouterError> {
        if let Some(api) = &self.api {
            return Ok(api.clone());
        }
        let (client, namespace) = access::connect(&self.access).await?;
        let api = Api::namespaced_with(client, &namespace, &http_route());
        self.api = Some(api.clone());
        Ok(api)
    }

    async fn set(&mut self, weight: Weight) -> Result<Weight, RouterError> {
        let api = self.api().await?;
        let what = format!("httproutes.gateway.networking.k8s.io/{}", self.target.route);
        let current = api
            .get(&self.target.route)
            .await
            .map_err(|e| router_error(&e, "get", &what, api.namespace()))?;
        let current = serde_json::to_value(&current).map_err(|e| RouterError::Misconfigured(e.to_string()))?;
        let split = split_of(&current, &self.target)?;
        let patch: json_patch::Patch = serde_json::from_value(weight_patch(&split, &self.target, weight))
            .map_err(|e| RouterError::Misconfigured(format!("patch: {e}")))?;
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        let patched = api
            .patch(&self.target.route, &params, &Patch::Json::<()>(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &what, api.namespace()))?;
        let patched = serde_json::to_value(&patched).map_err(|e| RouterError::Misconfigured(e.to_string()))?;
        Ok(split_of(&patched, &self.target)?.canary_share())
    }
}

impl TrafficRouter for GatewayApiRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        Box::pin(self.set(weight))
    }

    /// Both versions stay deployed behind their Services: moving the weight is the whole
    /// rollback.
    fn restore_previous(&mut self, _version: &str) -> BoxFuture<'_, Result<(), RouterError>> {
        Box::pin(async { Ok(()) })
    }
}
