//! The service-selector router: blue-green by a Service's selector. At 0% it selects the
//! stable Deployment's pods, at 100% the canary's; nothing is scaled, so the other colour
//! keeps running for the rollback window and a rollback is one write. The selector becomes
//! exactly the plan's (keys only the other colour has are removed), in a merge patch that
//! carries the resourceVersion read, so an edit made meanwhile is refused, not overwritten.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use k8s_openapi::api::core::v1::Service;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Map, Value, json};

use super::errors::router_error;
use super::lazy_api::LazyApi;
use crate::backend::{RouterError, TrafficRouter};
use crate::plan::{ClusterAccess, ServiceSelectorTarget, Weight};

pub struct ServiceSelectorRouter {
    target: ServiceSelectorTarget,
    api: LazyApi<Service>,
}

/// The merge patch that makes `current` exactly `wanted`, guarded by `resource_version`.
pub fn selector_patch(
    current: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
    resource_version: Option<&str>,
) -> Value {
    let mut selector: Map<String, Value> = wanted.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    for key in current.keys().filter(|k| !wanted.contains_key(*k)) {
        selector.insert(key.clone(), Value::Null);
    }
    json!({
        "metadata": { "resourceVersion": resource_version },
        "spec": { "selector": selector },
    })
}

impl ServiceSelectorRouter {
    pub fn new(target: ServiceSelectorTarget, access: ClusterAccess) -> ServiceSelectorRouter {
        ServiceSelectorRouter {
            target,
            api: LazyApi::new(access, Api::namespaced),
        }
    }

    /// A router on a client already made (tests: kube's mock service).
    pub fn with_client(target: ServiceSelectorTarget, client: Client, namespace: &str) -> ServiceSelectorRouter {
        ServiceSelectorRouter {
            target,
            api: LazyApi::made(client, namespace, Api::namespaced),
        }
    }

    /// Which version `service` sends traffic to, as a weight.
    fn serving(&self, service: &Service) -> Result<Weight, RouterError> {
        let selector = service
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default();
        if selector == self.target.canary {
            Ok(Weight::FULL)
        } else if selector == self.target.stable {
            Ok(Weight::ZERO)
        } else {
            Err(RouterError::Misconfigured(format!(
                "Service {} selects {selector:?}, neither the stable {:?} nor the canary {:?} selector of the plan",
                self.target.service, self.target.stable, self.target.canary
            )))
        }
    }

    /// Which version the Service sends traffic to now, as a weight.
    async fn serving_now(&mut self) -> Result<Weight, RouterError> {
        let api = self.api.get().await?;
        let what = format!("services/{}", self.target.service);
        let service = api
            .get(&self.target.service)
            .await
            .map_err(|e| router_error(&e, "get", &what, api.namespace()))?;
        self.serving(&service)
    }

    /// Which colour the Service selects now.
    async fn describe(&mut self) -> Result<String, RouterError> {
        let colour = if self.serving_now().await? == Weight::ZERO {
            "stable"
        } else {
            "canary"
        };
        Ok(format!("Service {} selects the {colour} pods", self.target.service))
    }

    async fn set(&mut self, weight: Weight) -> Result<Weight, RouterError> {
        let wanted = match weight {
            Weight::ZERO => &self.target.stable,
            Weight::FULL => &self.target.canary,
            other => {
                return Err(RouterError::Misconfigured(format!(
                    "router service-selector sends all traffic to one version: {other} cannot be set, only 0% or 100%"
                )));
            }
        };
        let api = self.api.get().await?;
        let name = self.target.service.clone();
        let what = format!("services/{name}");
        let current = api
            .get(&name)
            .await
            .map_err(|e| router_error(&e, "get", &what, api.namespace()))?;
        let selector = current
            .spec
            .as_ref()
            .and_then(|s| s.selector.clone())
            .unwrap_or_default();
        if &selector == wanted {
            return Ok(weight);
        }
        let patch = selector_patch(&selector, wanted, current.metadata.resource_version.as_deref());
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        let patched = api
            .patch(&name, &params, &Patch::Merge(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &what, api.namespace()))?;
        self.serving(&patched)
    }
}

impl TrafficRouter for ServiceSelectorRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        Box::pin(self.set(weight))
    }

    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(async { self.serving_now().await.map(Some) })
    }

    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(self.describe())
    }
}
