//! The replicas router: two Deployments behind one Service that selects both, the canary
//! share approximated by their replica counts through the scale subresource. The total
//! stays the plan's at every weight, and on the way forward the side that grows is scaled
//! first, so the replicas asked for never dip below it (pods become ready later); a
//! rollback shrinks the canary first. Whole pods cannot carry every percentage: the weight is
//! confirmed when the counts are the plan's nearest ones (`ReplicasTarget::replicas_at`),
//! and the traffic pane says the split is an approximation.

use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::Deployment;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::errors::router_error;
use super::lazy_api::LazyApi;
use crate::backend::{RouterError, TrafficRouter};
use crate::plan::{ClusterAccess, ReplicasTarget, Weight};

pub struct ReplicasRouter {
    target: ReplicasTarget,
    api: LazyApi<Deployment>,
}

impl ReplicasRouter {
    pub fn new(target: ReplicasTarget, access: ClusterAccess) -> ReplicasRouter {
        ReplicasRouter {
            target,
            api: LazyApi::new(access, Api::namespaced),
        }
    }

    /// A router on a client already made (tests: kube's mock service).
    pub fn with_client(target: ReplicasTarget, client: Client, namespace: &str) -> ReplicasRouter {
        ReplicasRouter {
            target,
            api: LazyApi::made(client, namespace, Api::namespaced),
        }
    }

    /// The replicas each Deployment asks for now.
    /// The replicas the stable and the canary Deployment ask for now.
    async fn counts(&mut self) -> Result<[i32; 2], RouterError> {
        let api = self.api.get().await?;
        let mut counts = [0; 2];
        for (i, name) in [&self.target.stable, &self.target.canary].into_iter().enumerate() {
            let scale = api
                .get_scale(name)
                .await
                .map_err(|e| router_error(&e, "get", &format!("deployments.apps/{name}/scale"), api.namespace()))?;
            counts[i] = scale.spec.and_then(|s| s.replicas).unwrap_or(0);
        }
        Ok(counts)
    }

    async fn describe(&mut self) -> Result<String, RouterError> {
        let counts = self.counts().await?;
        let held = u32::try_from(counts[0] + counts[1]).unwrap_or(0);
        let said = format!(
            "Deployments {} at {} replicas, {} at {}",
            self.target.stable, counts[0], self.target.canary, counts[1]
        );
        // The first move would resize production to the plan's total: never by surprise.
        if held != self.target.total {
            return Err(RouterError::Misconfigured(format!(
                "{said}: {held} in all, but the plan keeps {}; set target.replicas.total to {held}, or scale them \
                 to {} first",
                self.target.total, self.target.total
            )));
        }
        Ok(format!("{said} ({held} in all, as the plan keeps)"))
    }

    async fn set(&mut self, weight: Weight) -> Result<Weight, RouterError> {
        let api = self.api.get().await?;
        let (canary, stable) = self.target.replicas_at(weight);
        let t = &self.target;
        let what = |name: &str| format!("deployments.apps/{name}");
        let now = api
            .get_scale(&t.canary)
            .await
            .map_err(|e| router_error(&e, "get", &format!("{}/scale", what(&t.canary)), api.namespace()))?;
        let now_canary = now.spec.and_then(|s| s.replicas).unwrap_or(0);
        let canary_grows = u32::try_from(now_canary).unwrap_or(0) <= canary;
        // A rollback stops the canary's pods first: serving the bad version ends before the
        // stable side has grown back (capacity dips for that moment, on purpose).
        let steps = if canary_grows || weight == Weight::ZERO {
            [(&t.canary, canary), (&t.stable, stable)]
        } else {
            [(&t.stable, stable), (&t.canary, canary)]
        };
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        let mut got = (0, 0);
        for (name, replicas) in steps {
            let scale = api
                .patch_scale(
                    name,
                    &params,
                    &Patch::Merge(json!({ "spec": { "replicas": replicas } })),
                )
                .await
                .map_err(|e| router_error(&e, "patch", &format!("{}/scale", what(name)), api.namespace()))?;
            let set = scale.spec.and_then(|s| s.replicas).unwrap_or(0);
            let set = u32::try_from(set).unwrap_or(0);
            if name == &t.canary {
                got.0 = set;
            } else {
                got.1 = set;
            }
        }
        if got == (canary, stable) {
            return Ok(weight);
        }
        // The server kept other counts (an autoscaler, a limit): report what they carry.
        let total = (got.0 + got.1).max(1);
        let percent = (got.0 * 100 + total / 2) / total;
        Ok(Weight::saturating(i32::try_from(percent).unwrap_or(100)))
    }
}

impl TrafficRouter for ReplicasRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        Box::pin(self.set(weight))
    }

    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(async {
            let [stable, canary] = self.counts().await?;
            let total = (stable + canary).max(1);
            Ok(Some(Weight::saturating((canary * 100 + total / 2) / total)))
        })
    }

    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(self.describe())
    }
}
