//! A router that moves traffic by two weights inside one Kubernetes object (an HTTPRoute,
//! a VirtualService): read the object, find the stable and canary entries, send one
//! guarded JSON patch as field manager `shipdeck`, and report the share the returned
//! object holds. Custom resources never get strategic-merge patches (they refuse them).

use futures::future::BoxFuture;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::ApiResource;
use serde_json::Value;

use super::errors::router_error;
use super::lazy_api::LazyApi;
use super::weights::Split;
use crate::backend::{RouterError, TrafficRouter};
use crate::plan::{ClusterAccess, Weight};

/// One kind of object whose weights split the traffic.
pub trait WeightedObject: Send + 'static {
    fn resource(&self) -> ApiResource;
    /// The object's name in its namespace.
    fn name(&self) -> &str;
    /// The stable and canary entries in `object` (as JSON).
    fn split(&self, object: &Value) -> Result<Split, RouterError>;
    /// The guarded JSON patch giving the canary `weight` percent, for `object` as read.
    fn patch(&self, object: &Value, split: &Split, weight: Weight) -> Value;
}

pub struct WeightRouter<T: WeightedObject> {
    object: T,
    api: LazyApi<DynamicObject>,
}

impl<T: WeightedObject> WeightRouter<T> {
    /// The client is made on first use, inside the runtime.
    pub fn new(object: T, access: ClusterAccess) -> WeightRouter<T> {
        let resource = object.resource();
        let api = LazyApi::new(access, move |client, namespace| {
            Api::namespaced_with(client, namespace, &resource)
        });
        WeightRouter { object, api }
    }

    /// A router on a client already made (tests: kube's mock service).
    pub fn with_client(object: T, client: Client, namespace: &str) -> WeightRouter<T> {
        let resource = object.resource();
        let api = LazyApi::made(client, namespace, move |client, namespace| {
            Api::namespaced_with(client, namespace, &resource)
        });
        WeightRouter { object, api }
    }

    /// The object as the API server has it now.
    async fn read(&mut self) -> Result<(Api<DynamicObject>, Value), RouterError> {
        let api = self.api.get().await?;
        let object = api
            .get(self.object.name())
            .await
            .map_err(|e| router_error(&e, "get", &self.what(), api.namespace()))?;
        let object = serde_json::to_value(object).map_err(|e| RouterError::Misconfigured(e.to_string()))?;
        Ok((api, object))
    }

    /// `httproutes.gateway.networking.k8s.io/checkout`.
    fn what(&self) -> String {
        let resource = self.object.resource();
        format!("{}.{}/{}", resource.plural, resource.group, self.object.name())
    }

    async fn describe(&mut self) -> Result<String, RouterError> {
        let (_, object) = self.read().await?;
        let split = self.object.split(&object)?;
        Ok(format!(
            "{} {}: stable weight {}, canary weight {} (canary {})",
            self.object.resource().kind,
            self.object.name(),
            split.stable_weight,
            split.canary_weight,
            split.canary_share()
        ))
    }

    async fn set(&mut self, weight: Weight) -> Result<Weight, RouterError> {
        let what = self.what();
        let name = self.object.name().to_string();
        let (api, current) = self.read().await?;
        let as_json = |o: DynamicObject| serde_json::to_value(o).map_err(|e| RouterError::Misconfigured(e.to_string()));
        let split = self.object.split(&current)?;
        let patch: json_patch::Patch = serde_json::from_value(self.object.patch(&current, &split, weight))
            .map_err(|e| RouterError::Misconfigured(format!("patch: {e}")))?;
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        let patched = as_json(
            api.patch(&name, &params, &Patch::Json::<()>(patch))
                .await
                .map_err(|e| router_error(&e, "patch", &what, api.namespace()))?,
        )?;
        Ok(self.object.split(&patched)?.canary_share())
    }
}

impl<T: WeightedObject> TrafficRouter for WeightRouter<T> {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        Box::pin(self.set(weight))
    }

    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(async {
            let (_, object) = self.read().await?;
            Ok(Some(self.object.split(&object)?.canary_share()))
        })
    }

    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(self.describe())
    }
}
