//! The Kubernetes routers that move whole workloads rather than weights: `replicas` (two
//! Deployments scaled), `service-selector` (blue-green by a Service's selector) and
//! `rolling` (one Deployment's rollout in batches). What each can carry is checked against
//! the plan's stages.

use std::collections::BTreeMap;

use super::Validator;
use super::backends::dns_name;
use crate::plan::schema::{PlanFile, ReplicasTarget, RollingTarget, RouterKind, ServiceSelectorTarget};

/// Most pods a plan may ask the two Deployments to share.
const MOST_PODS: u32 = 10_000;

impl Validator<'_> {
    pub(super) fn workloads(&mut self, plan: &PlanFile) {
        match (plan.target.router, &plan.target.replicas, &plan.target.service_selector) {
            (RouterKind::Replicas, Some(r), _) => self.replicas(plan, r),
            (RouterKind::ServiceSelector, _, Some(s)) => self.service_selector(plan, s),
            _ => {}
        }
        if let (RouterKind::Rolling, Some(r)) = (plan.target.router, &plan.target.rolling) {
            self.rolling(plan, r);
        }
        if plan.target.router == RouterKind::ArgoRollouts {
            self.argo_rollouts(plan);
        }
    }

    /// An Argo Rollout sets its own weights: a stage's weight is one it pauses at, and 0%
    /// is an abort, never a stage.
    fn argo_rollouts(&mut self, plan: &PlanFile) {
        if let Some(rollout) = &plan.target.argo_rollouts
            && let Err(why) = dns_name(&rollout.rollout)
        {
            self.at(
                "target.argo_rollouts.rollout",
                format!("rollout `{}`: {why}", rollout.rollout),
            );
        }
        for (i, stage) in plan.stages.iter().enumerate() {
            if stage.weight.percent() == 0 {
                self.at(
                    &format!("stages.{i}.weight"),
                    format!(
                        "stage `{}` weighs 0%: on an Argo Rollout that is an abort; start with the weight the \
                         Rollout first pauses at (its first setWeight)",
                        stage.name
                    ),
                );
            }
        }
    }

    /// A rolling update rolls out what a stage deploys: that stage must come before any
    /// traffic moves, and deploy to this Deployment.
    fn rolling(&mut self, plan: &PlanFile, r: &RollingTarget) {
        if let Err(why) = dns_name(&r.deployment) {
            self.at(
                "target.rolling.deployment",
                format!("deployment `{}`: {why}", r.deployment),
            );
        }
        let first_traffic = plan.stages.iter().position(|s| s.weight.percent() > 0);
        let deploys_here = |i: usize| {
            plan.stages[i]
                .deploy
                .as_ref()
                .is_some_and(|d| d.deployment.as_deref().is_none_or(|n| n == r.deployment))
        };
        let deployed_first = (0..first_traffic.unwrap_or(plan.stages.len())).any(deploys_here);
        if !deployed_first {
            self.at(
                "stages",
                format!(
                    "router rolling rolls out the image a stage deploys: add `deploy: {{ image: ... }}` to a stage                      at weight 0 before the first that moves traffic (Deployment {})",
                    r.deployment
                ),
            );
        }
        for (i, stage) in plan.stages.iter().enumerate() {
            if stage.weight.percent() > 0 && stage.deploy.is_some() {
                self.at(
                    &format!("stages.{i}.deploy"),
                    format!(
                        "stage `{}` deploys while the rollout carries traffic: deploy once, at weight 0, before it",
                        stage.name
                    ),
                );
            }
        }
    }

    fn replicas(&mut self, plan: &PlanFile, r: &ReplicasTarget) {
        for (field, name) in [("stable", &r.stable), ("canary", &r.canary)] {
            if let Err(why) = dns_name(name) {
                self.at(&format!("target.replicas.{field}"), format!("{field} `{name}`: {why}"));
            }
        }
        if r.stable == r.canary {
            self.at(
                "target.replicas.canary",
                format!("Deployment `{}` is both stable and canary", r.canary),
            );
        }
        if !(2..=MOST_PODS).contains(&r.total) {
            self.at(
                "target.replicas.total",
                format!(
                    "total {} pods cannot carry a canary beside the stable version: give 2 to {MOST_PODS} \
                     (10 or more make the shares close to the stage weights)",
                    r.total
                ),
            );
            return;
        }
        // Whole pods: say where a stage's weight can only be approximated.
        for (i, stage) in plan.stages.iter().enumerate() {
            let share = r.share_at(stage.weight);
            if share != u32::from(stage.weight.percent()) {
                let (canary, _) = r.replicas_at(stage.weight);
                self.warn(
                    &format!("stages.{i}.weight"),
                    format!(
                        "stage `{}`: with {} pods the canary runs {canary} ({share}%), the nearest whole pods to \
                         {}; raise target.replicas.total for a closer share",
                        stage.name, r.total, stage.weight
                    ),
                );
            }
        }
    }

    fn service_selector(&mut self, plan: &PlanFile, s: &ServiceSelectorTarget) {
        if let Err(why) = dns_name(&s.service) {
            self.at(
                "target.service_selector.service",
                format!("service `{}`: {why}", s.service),
            );
        }
        for (side, selector) in [("stable", &s.stable), ("canary", &s.canary)] {
            if let Err(why) = selector_problem(selector) {
                self.at(
                    &format!("target.service_selector.{side}"),
                    format!("{side} selector: {why}"),
                );
            }
        }
        if s.stable == s.canary {
            self.at(
                "target.service_selector.canary",
                "the canary selector is the stable one: the switch would change nothing".into(),
            );
        } else if !s.stable.iter().any(|(k, v)| s.canary.get(k).is_some_and(|c| c != v)) {
            // Nested selectors (`{app: billing}` and `{app: billing, colour: green}`): one
            // version's pods match both, so "all to stable" would still reach the canary.
            self.at(
                "target.service_selector.canary",
                "no pod may match both selectors: give them a label with different values in each \
                 (e.g. `colour: blue` and `colour: green`)"
                    .into(),
            );
        }
        for (i, stage) in plan.stages.iter().enumerate() {
            let percent = stage.weight.percent();
            if percent != 0 && percent != 100 {
                self.at(
                    &format!("stages.{i}.weight"),
                    format!(
                        "router service-selector sends all traffic to one version: stage `{}` must weigh 0% or \
                         100%, not {}",
                        stage.name, stage.weight
                    ),
                );
            }
        }
    }
}

/// Why `selector` cannot select a Deployment's pods: it is empty, or a label breaks the
/// API server's rules for keys and values.
fn selector_problem(selector: &BTreeMap<String, String>) -> Result<(), String> {
    if selector.is_empty() {
        return Err("empty: it would select every pod in the namespace; give the labels of one version's pods".into());
    }
    let value_ok = |v: &str| {
        v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && v.chars().next().is_none_or(|c| c.is_ascii_alphanumeric())
            && v.chars().last().is_none_or(|c| c.is_ascii_alphanumeric())
    };
    for (key, value) in selector {
        let name = key.rsplit('/').next().unwrap_or(key);
        if name.is_empty() || !value_ok(name) || key.len() > 253 {
            return Err(format!("`{key}` is not a label key"));
        }
        if !value_ok(value) {
            return Err(format!(
                "`{key}: {value}` is not a label value (up to 63 letters, digits, `-`, `_` or `.`, \
                 starting and ending with a letter or digit)"
            ));
        }
    }
    Ok(())
}
