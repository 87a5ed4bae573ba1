//! A stage's deploy on Kubernetes: one guarded JSON patch sets the image of one container
//! of a Deployment (field manager `shipdeck`), and its status says how far the rollout is,
//! read as `kubectl rollout status` reads it.

use futures::future::BoxFuture;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{Value, json};

use super::errors::router_error;
use super::lazy_api::LazyApi;
use crate::backend::{Deployer, RouterError};
use crate::engine::{DeployOrder, RolloutProgress};
use crate::outside::{QUOTE_CHARS, one_line};
use crate::plan::ClusterAccess;

/// Where the image a deploy replaced is kept, on the Deployment itself: what a rollback of
/// a rolling update puts back, even from another shipdeck.
pub const PREVIOUS_IMAGE: &str = "shipdeck.io/previous-image";

pub struct KubeDeployer {
    api: LazyApi<Deployment>,
}

impl KubeDeployer {
    pub fn new(access: ClusterAccess) -> KubeDeployer {
        KubeDeployer {
            api: LazyApi::new(access, Api::namespaced),
        }
    }

    async fn read(&mut self, name: &str) -> Result<(Api<Deployment>, Deployment), RouterError> {
        let api = self.api.get().await?;
        let deployment = api
            .get(name)
            .await
            .map_err(|e| router_error(&e, "get", &format!("deployments.apps/{name}"), api.namespace()))?;
        Ok((api, deployment))
    }

    async fn set(&mut self, order: &DeployOrder) -> Result<(), RouterError> {
        let name = &order.deployment;
        let (api, deployment) = self.read(name).await?;
        let containers = deployment
            .spec
            .as_ref()
            .and_then(|s| s.template.spec.as_ref())
            .map(|s| s.containers.as_slice())
            .unwrap_or_default();
        let index = container_index(
            name,
            containers.iter().map(|c| c.name.as_str()),
            order.container.as_deref(),
        )?;
        let container = &containers[index];
        let paused = deployment.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let same = container.image.as_deref() == Some(order.image.as_str());
        if same && (paused || !order.paused) {
            return Ok(());
        }
        // The `test` keeps a reordered container list from getting the wrong image.
        let path = format!("/spec/template/spec/containers/{index}");
        let mut ops = vec![json!({ "op": "test", "path": format!("{path}/name"), "value": container.name })];
        if order.paused {
            ops.push(json!({ "op": "add", "path": "/spec/paused", "value": true }));
        }
        if !same {
            ops.push(json!({ "op": "add", "path": format!("{path}/image"), "value": order.image }));
            if let Some(previous) = &container.image {
                let key = PREVIOUS_IMAGE.replace('/', "~1");
                ops.push(match deployment.metadata.annotations {
                    Some(_) => {
                        json!({ "op": "add", "path": format!("/metadata/annotations/{key}"), "value": previous })
                    }
                    None => {
                        json!({ "op": "add", "path": "/metadata/annotations", "value": { PREVIOUS_IMAGE: previous } })
                    }
                });
            }
        }
        let patch: json_patch::Patch =
            serde_json::from_value(Value::Array(ops)).map_err(|e| RouterError::Misconfigured(format!("patch: {e}")))?;
        let params = PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        };
        api.patch(name, &params, &Patch::Json::<()>(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &format!("deployments.apps/{name}"), api.namespace()))?;
        Ok(())
    }

    async fn rollout(&mut self, name: &str) -> Result<RolloutProgress, RouterError> {
        let (_, deployment) = self.read(name).await?;
        Ok(progress_of(&deployment))
    }
}

/// Which container gets the image: the one named, or the only one.
fn container_index<'a>(
    deployment: &str,
    names: impl Iterator<Item = &'a str>,
    wanted: Option<&str>,
) -> Result<usize, RouterError> {
    let names: Vec<&str> = names.collect();
    let listed = || {
        names
            .iter()
            .map(|n| one_line(n, QUOTE_CHARS))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        Some(wanted) => names.iter().position(|n| *n == wanted).ok_or_else(|| {
            RouterError::Misconfigured(format!(
                "Deployment {deployment} has no container {wanted} (it runs: {}); fix deploy.container",
                listed()
            ))
        }),
        None if names.len() == 1 => Ok(0),
        None if names.is_empty() => Err(RouterError::Misconfigured(format!(
            "Deployment {deployment} runs no container to set an image on"
        ))),
        None => Err(RouterError::Misconfigured(format!(
            "Deployment {deployment} runs {} containers ({}): name the one to update in deploy.container",
            names.len(),
            listed()
        ))),
    }
}

/// The rollout as the Deployment's status says: the controller must have seen the newest
/// spec (`observedGeneration`), or the counts are of the template before.
pub fn progress_of(deployment: &Deployment) -> RolloutProgress {
    let count = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
    let desired = count(deployment.spec.as_ref().and_then(|s| s.replicas).or(Some(1)));
    let status = deployment.status.clone().unwrap_or_default();
    let generation = deployment.metadata.generation.unwrap_or(0);
    let updated = count(status.updated_replicas);
    RolloutProgress {
        desired,
        updated,
        available: count(status.available_replicas),
        old: count(status.replicas).saturating_sub(updated),
        observed: status.observed_generation.unwrap_or(0) >= generation,
    }
}

impl Deployer for KubeDeployer {
    fn set_image<'a>(&'a mut self, order: &'a DeployOrder) -> BoxFuture<'a, Result<(), RouterError>> {
        Box::pin(self.set(order))
    }

    fn progress<'a>(&'a mut self, deployment: &'a str) -> BoxFuture<'a, Result<RolloutProgress, RouterError>> {
        Box::pin(self.rollout(deployment))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_is_the_one_named_or_the_only_one() {
        assert_eq!(container_index("web", ["app"].into_iter(), None), Ok(0));
        assert_eq!(
            container_index("web", ["app", "proxy"].into_iter(), Some("proxy")),
            Ok(1)
        );
        let two = container_index("web", ["app", "proxy"].into_iter(), None).unwrap_err();
        assert!(two.to_string().contains("runs 2 containers (app, proxy)"), "{two}");
        let missing = container_index("web", ["app"].into_iter(), Some("sidecar")).unwrap_err();
        assert!(
            missing.to_string().contains("no container sidecar (it runs: app)"),
            "{missing}"
        );
    }

    #[test]
    fn progress_counts_only_what_the_controller_has_seen() {
        let deployment: Deployment = serde_json::from_value(json!({
            "metadata": { "name": "web", "generation": 4 },
            "spec": { "replicas": 3, "selector": {}, "template": {} },
            "status": { "observedGeneration": 3, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3 }
        }))
        .unwrap();
        let before = progress_of(&deployment);
        assert!(!before.observed && !before.is_complete(), "{before:?}");
        let mut seen = deployment.clone();
        seen.status.as_mut().unwrap().observed_generation = Some(4);
        seen.status.as_mut().unwrap().updated_replicas = Some(1);
        seen.status.as_mut().unwrap().replicas = Some(4);
        let rolling = progress_of(&seen);
        assert_eq!((rolling.updated, rolling.available, rolling.old), (1, 3, 3));
        assert!(!rolling.is_complete());
    }
}
