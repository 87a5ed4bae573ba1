//! The rolling router: one Deployment's own rolling update, in batches. A stage's `deploy`
//! sets the new image with the Deployment paused; each weight resumes the rollout until
//! that share of the pods runs the new template, then pauses it again; 100% lets it finish.
//! The canary's share is its share of the pods: whole pods, as with `replicas`, so a weight
//! is confirmed when the count is the nearest one. A rollback puts the image the deploy
//! replaced back (kept on the Deployment by the deployer) and lets the rollout run until no
//! pod runs the new image: what `kubectl rollout undo` does for an image change.
//!
//! Each move waits for the controller, so one `apply` may take minutes (`CALL_LIMIT`); a
//! rollback requested meanwhile cancels it at once (the router task drops the call).

use std::time::Duration;

use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Container;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

use super::deployer::{PREVIOUS_IMAGE, progress_of};
use super::errors::router_error;
use super::lazy_api::LazyApi;
use crate::backend::{RouterError, TrafficRouter};
use crate::plan::{ClusterAccess, Deploy, RollingTarget, Weight};

/// How long one move may take: a batch of pods pulling an image and passing readiness.
pub const CALL_LIMIT: Duration = Duration::from_secs(600);
/// How often the rollout is read while it moves.
const POLL: Duration = Duration::from_millis(250);

pub struct RollingRouter {
    target: RollingTarget,
    /// The plan's deploy of this Deployment: which image is the canary's, in which container.
    deploy: Option<Deploy>,
    api: LazyApi<Deployment>,
}

/// Pods on the new template that carry `weight` of `replicas`: at least one for any share
/// above 0, all of them at 100%.
pub fn pods_at(weight: Weight, replicas: u32) -> u32 {
    let percent = u32::from(weight.percent());
    let pods = (replicas * percent).div_ceil(100);
    if percent > 0 { pods.max(1) } else { 0 }
}

/// The share `pods` of `replicas` carry, in whole percent.
fn share(pods: u32, replicas: u32) -> Weight {
    if replicas == 0 {
        return Weight::ZERO;
    }
    Weight::saturating(i32::try_from((pods * 100 + replicas / 2) / replicas).unwrap_or(100))
}

/// What the Deployment says now, in the router's terms.
struct Reading {
    replicas: u32,
    paused: bool,
    /// The image the template runs in the plan's container.
    image: Option<String>,
    previous: Option<String>,
    /// Pods on the current template, and pods on earlier ones.
    updated: u32,
    old: u32,
    observed: bool,
}

impl RollingRouter {
    pub fn new(target: RollingTarget, deploy: Option<Deploy>, access: ClusterAccess) -> RollingRouter {
        RollingRouter {
            target,
            deploy,
            api: LazyApi::new(access, Api::namespaced),
        }
    }

    fn what(&self) -> String {
        format!("deployments.apps/{}", self.target.deployment)
    }

    async fn read(&mut self) -> Result<Reading, RouterError> {
        let (_, d) = self.get().await?;
        let progress = progress_of(&d);
        let container = self.container(&d).map(|(_, c)| c);
        Ok(Reading {
            replicas: progress.desired,
            paused: d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false),
            image: container.and_then(|c| c.image),
            previous: d
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(PREVIOUS_IMAGE).cloned()),
            updated: progress.updated,
            old: progress.old,
            observed: progress.observed,
        })
    }

    async fn get(&mut self) -> Result<(Api<Deployment>, Deployment), RouterError> {
        let api = self.api.get().await?;
        let d = api
            .get(&self.target.deployment)
            .await
            .map_err(|e| router_error(&e, "get", &self.what(), api.namespace()))?;
        Ok((api, d))
    }

    /// The container the plan's deploy names (or the first), with its index.
    fn container(&self, d: &Deployment) -> Option<(usize, Container)> {
        let containers = &d.spec.as_ref()?.template.spec.as_ref()?.containers;
        let wanted = self.deploy.as_ref().and_then(|d| d.container.as_deref());
        let index = match wanted {
            Some(name) => containers.iter().position(|c| c.name == name)?,
            None => (!containers.is_empty()).then_some(0)?,
        };
        Some((index, containers[index].clone()))
    }

    async fn patch(&mut self, patch: serde_json::Value) -> Result<(), RouterError> {
        let api = self.api.get().await?;
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        api.patch(&self.target.deployment, &params, &Patch::Merge(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &self.what(), api.namespace()))?;
        Ok(())
    }

    async fn pause(&mut self, paused: bool) -> Result<(), RouterError> {
        self.patch(json!({ "spec": { "paused": paused } })).await
    }

    fn canary_image(&self) -> Result<&str, RouterError> {
        self.deploy.as_ref().map(|d| d.image.as_str()).ok_or_else(|| {
            RouterError::Misconfigured(format!(
                "router rolling rolls out the image a stage deploys, and no stage deploys to Deployment {}",
                self.target.deployment
            ))
        })
    }

    /// Moves the rollout until `weight` of the pods run the new image, and says the share
    /// they carry then.
    async fn set(&mut self, weight: Weight) -> Result<Weight, RouterError> {
        let canary = self.canary_image()?.to_string();
        loop {
            let now = self.read().await?;
            let on_canary = now.image.as_deref() == Some(canary.as_str());
            // Pods running the canary's image: the template's when it is the canary's, the
            // earlier template's once a rollback put the previous image back.
            let canary_pods = if on_canary { now.updated } else { now.old };
            if weight == Weight::ZERO {
                if canary_pods == 0 && now.observed {
                    return Ok(Weight::ZERO);
                }
                if on_canary {
                    let previous = now.previous.clone().ok_or_else(|| {
                        RouterError::Misconfigured(format!(
                            "Deployment {} records no previous image ({PREVIOUS_IMAGE}): roll it back with `kubectl \
                             rollout undo deployment/{}`",
                            self.target.deployment, self.target.deployment
                        ))
                    })?;
                    self.put_back(&previous).await?;
                } else if now.paused {
                    self.pause(false).await?;
                }
            } else {
                if !on_canary {
                    return Err(RouterError::Misconfigured(format!(
                        "Deployment {} runs {}, not the deployed {canary}: deploy again before moving traffic",
                        self.target.deployment,
                        now.image.as_deref().unwrap_or("no image")
                    )));
                }
                let wanted = pods_at(weight, now.replicas);
                let finished = now.observed && now.old == 0 && now.updated >= now.replicas;
                let reached = now.observed && now.updated >= wanted && (weight < Weight::FULL || finished);
                if reached {
                    if weight < Weight::FULL && !now.paused {
                        self.pause(true).await?;
                    }
                    return Ok(if now.updated == wanted {
                        weight
                    } else {
                        share(now.updated, now.replicas)
                    });
                }
                if now.paused {
                    self.pause(false).await?;
                }
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The previous image back in the template, the rollout resumed.
    async fn put_back(&mut self, previous: &str) -> Result<(), RouterError> {
        let (api, d) = self.get().await?;
        let (index, container) = self.container(&d).ok_or_else(|| {
            RouterError::Misconfigured(format!("Deployment {} has no such container", self.target.deployment))
        })?;
        let path = format!("/spec/template/spec/containers/{index}");
        let patch: json_patch::Patch = serde_json::from_value(json!([
            { "op": "test", "path": format!("{path}/name"), "value": container.name },
            { "op": "add", "path": format!("{path}/image"), "value": previous },
            { "op": "add", "path": "/spec/paused", "value": false },
        ]))
        .map_err(|e| RouterError::Misconfigured(format!("patch: {e}")))?;
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        api.patch(&self.target.deployment, &params, &Patch::Json::<()>(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &self.what(), api.namespace()))?;
        Ok(())
    }

    async fn describe(&mut self) -> Result<String, RouterError> {
        let now = self.read().await?;
        Ok(format!(
            "Deployment {}: {} replicas on {}{}",
            self.target.deployment,
            now.replicas,
            now.image.as_deref().unwrap_or("no image"),
            if now.paused { ", paused" } else { "" }
        ))
    }
}

impl TrafficRouter for RollingRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        Box::pin(self.set(weight))
    }

    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(self.describe())
    }

    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(async {
            let now = self.read().await?;
            let on_canary = self
                .deploy
                .as_ref()
                .is_some_and(|d| now.image.as_deref() == Some(d.image.as_str()));
            let canary_pods = if on_canary { now.updated } else { now.old };
            Ok(Some(share(canary_pods, now.replicas)))
        })
    }

    fn call_limit(&self) -> Duration {
        CALL_LIMIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_the_nearest_whole_pods_at_or_above_the_weight() {
        let w = |p| Weight::new(p).unwrap();
        assert_eq!(pods_at(w(0), 4), 0);
        assert_eq!(pods_at(w(5), 4), 1, "any share above 0 rolls one pod");
        assert_eq!(pods_at(w(25), 4), 1);
        assert_eq!(pods_at(w(50), 4), 2);
        assert_eq!(pods_at(w(60), 4), 3, "rounded up: at least the weight");
        assert_eq!(pods_at(w(100), 4), 4);
        assert_eq!(share(3, 4), w(75));
        assert_eq!(share(0, 0), Weight::ZERO);
    }
}
