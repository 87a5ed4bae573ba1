//! A plan's types. `PlanFile` is the file as written: serde types that reject unknown keys,
//! so a typo can never silently disable a gate. `Plan` is what a valid file means: the
//! router and the metrics source are enums with their own settings, so a plan cannot name a
//! real router and drive the simulator. `ValidPlan` is a `Plan` that passed every check; only
//! `plan::load` and `plan::parse` make one, and the engine takes nothing else.

mod analysis;
mod deploy;
mod judge;
mod located;
mod metric;
mod prometheus_url;
mod release;
mod rules;
mod stage;
mod target;

use std::collections::BTreeMap;
use std::ops::Deref;

use serde::Deserialize;

pub use self::analysis::{
    AnalysisFile, AnalysisSettings, PrometheusAuth, PrometheusSource, SAMPLES_KEPT, Source, SourceKind,
};
pub use self::deploy::{DEFAULT_DEPLOY_TIMEOUT, Deploy};
pub use self::judge::{DEFAULT_JUDGE_GROUP, JudgeOnFail, JudgeSettings, MetricJudge, Outliers};
pub use self::metric::{Metric, VERSION_PLACEHOLDER};
pub use self::prometheus_url::prometheus_base_url;
pub use self::release::{Person, ReleaseInfo, ReleaseType, Risk};
pub use self::rules::{Gate, Rollback, Trigger, TriggerAction};
pub use self::stage::{Stage, Weight};
pub use self::target::{
    ArgoRolloutsTarget, ClusterAccess, GatewayApiTarget, HaproxyTarget, IstioDestination, IstioTarget, ReplicasTarget,
    RollingTarget, RouterKind, ServiceSelectorTarget, Target, TargetFile,
};
pub use crate::analysis::bounds::Bounds;
pub use crate::analysis::judge::{Direction, EffectKind, NanStrategy};

/// The plan file as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub release: ReleaseInfo,
    pub target: TargetFile,
    #[serde(default)]
    pub analysis: AnalysisFile,
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub gates: Vec<Gate>,
    pub rollback: Rollback,
    /// Approvals needed before the first traffic shift; the release type's default if absent.
    #[serde(default)]
    pub approvals: Option<Vec<String>>,
    #[serde(default)]
    pub checklists: BTreeMap<String, Vec<String>>,
    pub stages: Vec<Stage>,
}

/// What a plan file means.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub release: ReleaseInfo,
    pub target: Target,
    pub analysis: AnalysisSettings,
    pub metrics: Vec<Metric>,
    pub gates: Vec<Gate>,
    pub rollback: Rollback,
    pub approvals: Option<Vec<String>>,
    pub checklists: BTreeMap<String, Vec<String>>,
    pub stages: Vec<Stage>,
}

impl Plan {
    /// The file, typed; why not (and at which key), when the router's or the metrics
    /// source's settings do not match its name. Never a fallback to the simulator.
    pub(in crate::plan) fn from_file(file: PlanFile) -> Result<Plan, (&'static str, String)> {
        Ok(Plan {
            target: Target::from_file(file.target).map_err(|e| ("target.router", e))?,
            analysis: AnalysisSettings::from_file(file.analysis).map_err(|e| ("analysis.source", e))?,
            release: file.release,
            metrics: file.metrics,
            gates: file.gates,
            rollback: file.rollback,
            approvals: file.approvals,
            checklists: file.checklists,
            stages: file.stages,
        })
    }

    /// `metric`'s canary and baseline queries as sent: `{{version}}` is the canary
    /// version in the first and the stable version in the second.
    pub fn resolved_queries(&self, metric: &Metric) -> (String, String) {
        metric.resolved(&self.release.version, &self.release.stable)
    }

    /// The checklist items stage `stage` asks for (none when it names no checklist).
    pub fn checklist_of(&self, stage: usize) -> &[String] {
        self.stages
            .get(stage)
            .and_then(|s| s.checklist.as_ref())
            .and_then(|name| self.checklists.get(name))
            .map_or(&[], |items| items.as_slice())
    }

    /// The first deploy that sets an image on `deployment`.
    pub fn deploy_of(&self, deployment: &str) -> Option<&Deploy> {
        self.stages
            .iter()
            .filter_map(|s| s.deploy.as_ref())
            .find(|d| d.deployment.as_deref().or_else(|| self.target.canary_deployment()) == Some(deployment))
    }

    /// The Deployments the plan's stages set images on, each once, in stage order.
    pub fn deployed_workloads(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for deploy in self.stages.iter().filter_map(|s| s.deploy.as_ref()) {
            let name = deploy.deployment.as_deref().or_else(|| self.target.canary_deployment());
            if let Some(name) = name
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_string());
            }
        }
        names
    }

    /// The real systems the plan drives or reads (`router haproxy`, `metrics source
    /// prometheus`); empty for a plan wholly on the simulator.
    pub fn real_backends(&self) -> Vec<&'static str> {
        let mut real = Vec::new();
        match self.target {
            Target::Sim => {}
            Target::Haproxy(_) => real.push("router haproxy"),
            Target::GatewayApi { .. } => real.push("router gateway-api"),
            Target::Istio { .. } => real.push("router istio"),
            Target::Replicas { .. } => real.push("router replicas"),
            Target::ServiceSelector { .. } => real.push("router service-selector"),
            Target::Rolling { .. } => real.push("router rolling"),
            Target::ArgoRollouts { .. } => real.push("router argo-rollouts"),
        }
        match self.analysis.source {
            Source::Sim => {}
            Source::Prometheus(_) => real.push("metrics source prometheus"),
        }
        real
    }
}

/// A plan that passed every check. Read it as a `Plan`; only `plan::load` and
/// `plan::parse` make one.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPlan(Plan);

impl ValidPlan {
    pub(in crate::plan) fn new(plan: Plan) -> ValidPlan {
        ValidPlan(plan)
    }
}

impl Deref for ValidPlan {
    type Target = Plan;

    fn deref(&self) -> &Plan {
        &self.0
    }
}
