//! The Argo Rollouts router: an existing Rollout driven through its own steps, as its CLI
//! drives it. Argo has no "set the weight now" (rewriting its steps restarts the rollout),
//! so a stage's weight is reached by promoting until the Rollout stands paused at or past
//! it, 100% is `promoteFull`, 0% is an abort, and the previous version is an undo: the
//! stable ReplicaSet's template put back. The weight confirmed is the one the Rollout
//! reports. Promote is refused while the Rollout is aborted. Writes are merge patches of
//! the Rollout and of its `/status` subresource, and one JSON patch for the undo (custom
//! resources refuse strategic-merge patches), all as field manager `shipdeck`.

use std::time::Duration;

use futures::future::BoxFuture;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::{Value, json};

use super::argo_status::rollout_state;
use super::errors::router_error;
use super::lazy_api::LazyApi;
use crate::backend::{RouterError, TrafficRouter};
use crate::engine::rollout_state::{CanaryStep, RolloutState};
use crate::plan::{ArgoRolloutsTarget, ClusterAccess, Weight};

/// How long one move may take: the Rollout's own steps (analysis, scaling) between pauses.
pub const CALL_LIMIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(250);

pub fn rollout_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"), "rollouts")
}

pub fn replica_set_resource() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "ReplicaSet"))
}

fn rollouts_api(client: Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client, namespace, &rollout_resource())
}

fn replica_sets_api(client: Client, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client, namespace, &replica_set_resource())
}

pub struct ArgoRolloutsRouter {
    target: ArgoRolloutsTarget,
    /// The plan's stage weights: each must be one the Rollout waits at (preflight).
    stages: Vec<Weight>,
    /// The pod hash of the release's version: the Rollout's current one when first read.
    release_hash: Option<String>,
    rollouts: LazyApi<DynamicObject>,
    replica_sets: LazyApi<DynamicObject>,
}

/// The share of traffic the release's version has by the Rollout's account: its canary
/// weight while it steps, all of it once it is the stable one, none once the template is
/// another again (an undo put the stable one back). The release's version is the pod hash
/// the Rollout ran when first read, remembered in `release`.
pub fn new_version_share(state: &RolloutState, release: &mut Option<String>) -> Weight {
    let release = release.get_or_insert_with(|| state.current_hash.clone().unwrap_or_default());
    if state.current_hash.as_deref() != Some(release.as_str()) {
        return Weight::ZERO;
    }
    let promoted = !state.aborted
        && state.step.is_some_and(|s| s.all_done())
        && state.current_hash.is_some()
        && state.current_hash == state.stable_hash;
    if promoted {
        return Weight::FULL;
    }
    Weight::saturating(i32::from(state.weights.map_or(0, |w| w.canary)))
}

/// The weights a Rollout's steps stop at: until promoted, or for a while.
struct Stops {
    waits: Vec<Weight>,
    timed: Vec<Weight>,
}

fn stops(state: &RolloutState) -> Stops {
    let mut weight = Weight::ZERO;
    let mut stops = Stops {
        waits: Vec::new(),
        timed: Vec::new(),
    };
    for line in &state.steps {
        match &line.step {
            CanaryStep::SetWeight(w) => weight = Weight::saturating(i32::from(*w)),
            CanaryStep::Pause(None) => stops.waits.push(weight),
            CanaryStep::Pause(Some(_)) => stops.timed.push(weight),
            _ => {}
        }
    }
    stops
}

/// The patches Argo's own CLI sends, as merge patches: unpause the spec.
pub fn unpause_patch() -> Value {
    paused_patch(false)
}

/// Pause or resume the spec.
pub fn paused_patch(paused: bool) -> Value {
    json!({ "spec": { "paused": paused } })
}

/// A promote on `/status`: clear the pause conditions, or (paused by nothing) skip the
/// current step; `None` when every step is done.
pub fn promote_status_patch(state: &RolloutState) -> Option<Value> {
    if !state.pause_reasons.is_empty() {
        return Some(json!({ "status": { "pauseConditions": null } }));
    }
    state
        .step
        .filter(|s| !s.all_done())
        .map(|step| json!({ "status": { "currentStepIndex": step.index + 1 } }))
}

/// An abort on `/status`.
pub fn abort_patch() -> Value {
    json!({ "status": { "abort": true } })
}

/// Every remaining step at once, on `/status`.
pub fn promote_full_patch() -> Value {
    json!({ "status": { "promoteFull": true } })
}

/// The undo, a JSON patch: `stable`'s template (its ReplicaSet's, without the hash label)
/// in place of `current`, refused if the template changed since it was read.
pub fn undo_patch(current: &Value, stable: &Value) -> Value {
    let mut template = stable.clone();
    if let Some(labels) = template.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("rollouts-pod-template-hash");
    }
    json!([
        { "op": "test", "path": "/spec/template", "value": current },
        { "op": "replace", "path": "/spec/template", "value": template },
    ])
}

/// Whether the Rollout waits for someone: a pause step, or paused by spec.
fn paused(state: &RolloutState) -> bool {
    state.spec_paused || !state.pause_reasons.is_empty()
}

impl ArgoRolloutsRouter {
    pub fn new(target: ArgoRolloutsTarget, stages: Vec<Weight>, access: ClusterAccess) -> ArgoRolloutsRouter {
        ArgoRolloutsRouter {
            target,
            stages,
            release_hash: None,
            rollouts: LazyApi::new(access.clone(), rollouts_api),
            replica_sets: LazyApi::new(access, replica_sets_api),
        }
    }

    /// A router on a client already made (tests).
    pub fn with_client(
        target: ArgoRolloutsTarget,
        stages: Vec<Weight>,
        client: Client,
        namespace: &str,
    ) -> ArgoRolloutsRouter {
        ArgoRolloutsRouter {
            target,
            stages,
            release_hash: None,
            rollouts: LazyApi::made(client.clone(), namespace, rollouts_api),
            replica_sets: LazyApi::made(client, namespace, replica_sets_api),
        }
    }

    fn what(&self) -> String {
        format!("rollouts.argoproj.io/{}", self.target.rollout)
    }

    async fn read(&mut self) -> Result<(Value, RolloutState), RouterError> {
        let api = self.rollouts.get().await?;
        let object = api
            .get(&self.target.rollout)
            .await
            .map_err(|e| router_error(&e, "get", &self.what(), api.namespace()))?;
        let value = serde_json::to_value(object).map_err(|e| RouterError::Misconfigured(e.to_string()))?;
        let state = rollout_state(&value, None, &[]);
        Ok((value, state))
    }

    fn params() -> PatchParams {
        PatchParams {
            field_manager: Some("shipdeck".into()),
            ..PatchParams::default()
        }
    }

    async fn patch_spec(&mut self, patch: Value) -> Result<(), RouterError> {
        let api = self.rollouts.get().await?;
        api.patch(&self.target.rollout, &Self::params(), &Patch::Merge(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &self.what(), api.namespace()))?;
        Ok(())
    }

    async fn patch_status(&mut self, patch: Value) -> Result<(), RouterError> {
        let api = self.rollouts.get().await?;
        let what = format!("{}/status", self.what());
        api.patch_status(&self.target.rollout, &Self::params(), &Patch::Merge(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &what, api.namespace()))?;
        Ok(())
    }

    /// What `kubectl argo rollouts promote` does: unpause, clear the pause conditions, or
    /// (paused by nothing) skip the current step.
    async fn promote(&mut self, state: &RolloutState) -> Result<(), RouterError> {
        if state.spec_paused {
            self.patch_spec(unpause_patch()).await?;
        }
        match promote_status_patch(state) {
            Some(patch) => self.patch_status(patch).await,
            None => Ok(()),
        }
    }

    async fn abort(&mut self) -> Result<(), RouterError> {
        self.patch_status(abort_patch()).await
    }

    async fn set(&mut self, weight: Weight) -> Result<Weight, RouterError> {
        // The step a promote was sent at: promote again only once the Rollout moved on.
        let mut promoted_at = None;
        let mut full_sent = false;
        loop {
            let (_, state) = self.read().await?;
            let share = new_version_share(&state, &mut self.release_hash);
            if weight == Weight::ZERO {
                let still = state.aborted || paused(&state) || state.step.is_none_or(|s| s.all_done());
                if share == Weight::ZERO && still {
                    return Ok(Weight::ZERO);
                }
                if !state.aborted {
                    self.abort().await?;
                }
            } else if state.aborted {
                return Err(RouterError::Misconfigured(format!(
                    "Rollout {} is aborted: promote is refused; retry it (`kubectl argo rollouts retry rollout {}`) \
                     or roll back",
                    self.target.rollout, self.target.rollout
                )));
            } else if weight == Weight::FULL {
                if share == Weight::FULL {
                    return Ok(Weight::FULL);
                }
                if !full_sent {
                    if state.spec_paused {
                        self.patch_spec(unpause_patch()).await?;
                    }
                    self.patch_status(promote_full_patch()).await?;
                    full_sent = true;
                }
            } else if share >= weight && paused(&state) {
                return Ok(share);
            } else if paused(&state) && promoted_at != state.step.map(|s| s.index) {
                self.promote(&state).await?;
                promoted_at = state.step.map(|s| s.index);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Aborts (if it is not yet), then puts the stable ReplicaSet's template back: Argo
    /// sees the stable version and goes straight back to it.
    async fn undo(&mut self) -> Result<(), RouterError> {
        let (value, state) = self.read().await?;
        if !state.aborted && state.current_hash != state.stable_hash {
            self.abort().await?;
        }
        let Some(stable) = state.stable_hash.clone() else {
            return Err(RouterError::Misconfigured(format!(
                "Rollout {} names no stable ReplicaSet: nothing to undo to",
                self.target.rollout
            )));
        };
        if state.current_hash.as_deref() == Some(stable.as_str()) {
            return Ok(());
        }
        let sets = self.replica_sets.get().await?;
        let listed = sets
            .list(&ListParams::default().labels(&format!("rollouts-pod-template-hash={stable}")))
            .await
            .map_err(|e| router_error(&e, "list", "replicasets.apps", sets.namespace()))?;
        let Some(set) = listed.items.into_iter().find(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.kind == "Rollout" && o.name == self.target.rollout)
        }) else {
            return Err(RouterError::Misconfigured(format!(
                "the stable ReplicaSet of Rollout {} ({stable}) is gone: nothing to undo to",
                self.target.rollout
            )));
        };
        let stable_template = set.data.pointer("/spec/template").cloned().unwrap_or(Value::Null);
        let current = value.pointer("/spec/template").cloned().unwrap_or(Value::Null);
        let patch: json_patch::Patch = serde_json::from_value(undo_patch(&current, &stable_template))
            .map_err(|e| RouterError::Misconfigured(format!("patch: {e}")))?;
        let api = self.rollouts.get().await?;
        api.patch(&self.target.rollout, &Self::params(), &Patch::Json::<()>(patch))
            .await
            .map_err(|e| router_error(&e, "patch", &self.what(), api.namespace()))?;
        Ok(())
    }

    /// Where the Rollout stands, and whether the plan's stages are weights it waits at:
    /// a stage at another weight could never be reached by promoting.
    async fn describe(&mut self) -> Result<String, RouterError> {
        let (_, state) = self.read().await?;
        let one_version = state.current_hash.is_some()
            && state.current_hash == state.stable_hash
            && state.step.is_none_or(|s| s.all_done());
        if one_version {
            return Err(RouterError::Misconfigured(format!(
                "Rollout {} runs one version, fully promoted: apply the new version's template first (CI, GitOps), \
                 then run the release",
                self.target.rollout
            )));
        }
        let stops = stops(&state);
        let missing: Vec<String> = self
            .stages
            .iter()
            .filter(|w| **w != Weight::FULL && !stops.waits.contains(w))
            .map(ToString::to_string)
            .collect();
        let waits = stops
            .waits
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if !missing.is_empty() {
            return Err(RouterError::Misconfigured(format!(
                "Rollout {} waits for a promote only at {}, but stages weigh {}: make each stage's weight one the \
                 Rollout pauses at (a setWeight followed by `pause: {{}}`)",
                self.target.rollout,
                if waits.is_empty() {
                    "no weight".to_string()
                } else {
                    waits
                },
                missing.join(", ")
            )));
        }
        let step = state.step.map_or_else(String::new, |s| {
            format!(", step {}/{}", (s.index + 1).min(s.count), s.count)
        });
        let timed = if stops.timed.is_empty() {
            String::new()
        } else {
            format!(
                "; it moves on by itself after its timed pauses at {} (shipdeck holds if it does)",
                stops
                    .timed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Ok(format!(
            "Rollout {}: {}{step}, new version at {}; it waits for a promote at {waits}{timed}",
            self.target.rollout,
            state.phase,
            new_version_share(&state, &mut self.release_hash)
        ))
    }
}

impl TrafficRouter for ArgoRolloutsRouter {
    fn apply(&mut self, weight: Weight) -> BoxFuture<'_, Result<Weight, RouterError>> {
        Box::pin(self.set(weight))
    }

    fn restore_previous(&mut self, _version: &str) -> BoxFuture<'_, Result<(), RouterError>> {
        Box::pin(self.undo())
    }

    fn inspect(&mut self) -> BoxFuture<'_, Result<String, RouterError>> {
        Box::pin(self.describe())
    }

    fn current(&mut self) -> BoxFuture<'_, Result<Option<Weight>, RouterError>> {
        Box::pin(async {
            let (_, state) = self.read().await?;
            Ok(Some(new_version_share(&state, &mut self.release_hash)))
        })
    }

    fn pause(&mut self, paused: bool) -> BoxFuture<'_, Result<(), RouterError>> {
        Box::pin(self.patch_spec(paused_patch(paused)))
    }

    fn call_limit(&self) -> Duration {
        CALL_LIMIT
    }
}
