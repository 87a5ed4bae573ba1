//! A stage that deploys: the image is set, then the stage's weight waits until every pod
//! runs it and is available. A rollout slower than the plan's timeout holds the release
//! (it goes on by itself if the pods come up later); a failure to set the image holds too.

use chrono::{DateTime, Utc};

use super::Release;
use crate::engine::deploy::{DeployOrder, RolloutProgress};
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::phase::{HoldReason, Step};
use crate::format::fmt_duration;

/// The deploy the current stage is waiting for.
#[derive(Debug, Clone, PartialEq)]
pub struct Deploying {
    pub order: DeployOrder,
    pub since: DateTime<Utc>,
    /// The newest report, once one came.
    pub progress: Option<RolloutProgress>,
    /// Why the image could not be set or the rollout read, until a report comes again.
    pub error: Option<String>,
    /// The timeout was said once already.
    pub(in crate::engine) timed_out: bool,
}

impl Release {
    /// Starts the current stage's deploy, if it has one; true when the stage now waits.
    pub(in crate::engine) fn start_deploy(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) -> bool {
        let stage = &self.plan.stages[self.stage];
        let Some(deploy) = &stage.deploy else {
            return false;
        };
        let deployment = deploy
            .deployment
            .clone()
            .or_else(|| self.plan.target.canary_deployment().map(str::to_string))
            .unwrap_or_default();
        let order = DeployOrder {
            stage: self.stage,
            deployment,
            container: deploy.container.clone(),
            image: deploy.image.clone(),
            paused: self.plan.target.rolls_in_batches(),
        };
        let msg = format!(
            "stage {}: deploying {order}; its weight waits until every pod is available (up to {})",
            stage.name, deploy.timeout
        );
        self.record(fx, now, Actor::system(), EventKind::DeployStarted, msg);
        fx.push(Effect::Deploy(order.clone()));
        self.deploying = Some(Deploying {
            order,
            since: now,
            progress: None,
            error: None,
            timed_out: false,
        });
        self.step = Step::Deploying;
        true
    }

    pub(in crate::engine) fn on_deploy_progress(
        &mut self,
        stage: usize,
        progress: RolloutProgress,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(deploying) = self.deploying.as_mut().filter(|d| d.order.stage == stage) else {
            return;
        };
        if self.step != Step::Deploying || self.phase.is_over() {
            return;
        }
        let changed = deploying.progress != Some(progress) || deploying.error.is_some();
        deploying.progress = Some(progress);
        deploying.error = None;
        let name = deploying.order.deployment.clone();
        let took = now - deploying.since;
        let done = if deploying.order.paused {
            progress.observed
        } else {
            progress.is_complete()
        };
        if done {
            let msg = format!("Deployment {name} ready after {}: {progress}", fmt_duration(took));
            self.deploying = None;
            self.record(fx, now, Actor::system(), EventKind::Deployed, msg);
            fx.push(Effect::StopDeploy);
            self.shift_to_stage_weight(now, fx);
        } else if changed {
            let msg = format!("Deployment {name}: {progress}");
            self.record(fx, now, Actor::system(), EventKind::DeployProgress, msg);
        }
    }

    pub(in crate::engine) fn on_deploy_failed(
        &mut self,
        stage: usize,
        message: String,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(deploying) = self.deploying.as_mut().filter(|d| d.order.stage == stage) else {
            return;
        };
        if deploying.error.as_deref() == Some(message.as_str()) || self.phase.is_over() {
            return;
        }
        let msg = format!("deploy to Deployment {}: {message}", deploying.order.deployment);
        deploying.error = Some(message);
        self.record(fx, now, Actor::system(), EventKind::DeployFailed, msg);
    }

    /// Going back: the rollout is no longer waited for (the image stays as set; the
    /// canary's pods carry no traffic at 0%).
    pub(in crate::engine) fn stop_deploy(&mut self, fx: &mut Vec<Effect>) {
        if self.deploying.take().is_some() {
            fx.push(Effect::StopDeploy);
        }
    }

    /// Says a rollout slower than the plan allows, once.
    pub(in crate::engine) fn check_deploy_time(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let Some(timeout) = self.plan.stages[self.stage].deploy.as_ref().map(|d| d.timeout) else {
            return;
        };
        let Some(deploying) = self.deploying.as_mut() else {
            return;
        };
        if deploying.timed_out || now - deploying.since < timeout.to_chrono() {
            return;
        }
        deploying.timed_out = true;
        let progress = deploying
            .progress
            .map_or_else(|| "no report of its rollout".to_string(), |p| p.to_string());
        let msg = format!(
            "Deployment {} not ready after {timeout} ({progress}): the release holds, and goes on once the pods \
             are available",
            deploying.order.deployment
        );
        self.record(fx, now, Actor::system(), EventKind::DeployFailed, msg);
    }

    /// Why a deploying stage holds, if it does.
    pub(in crate::engine) fn deploy_holds(&self) -> Option<HoldReason> {
        let deploying = self.deploying.as_ref()?;
        let deployment = deploying.order.deployment.clone();
        if let Some(message) = &deploying.error {
            return Some(HoldReason::DeployFailing {
                deployment,
                message: message.clone(),
            });
        }
        let timeout = self.plan.stages[self.stage].deploy.as_ref()?.timeout;
        deploying.timed_out.then(|| HoldReason::DeployTooSlow {
            deployment,
            timeout,
            progress: deploying
                .progress
                .map_or_else(|| "no report of its rollout".to_string(), |p| p.to_string()),
        })
    }
}
