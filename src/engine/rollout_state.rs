//! An Argo Rollout as the cockpit shows it. Argo has no "set the weight now": the Rollout
//! moves itself through its steps, so shipdeck reads where it stands (phase, step, weights,
//! pauses, abort, the AnalysisRun's measurements) and shows that. Plain data: no I/O and no
//! Kubernetes types; `backend::kube::argo_status` reads it from the objects.

use std::fmt;

use chrono::{DateTime, Utc};

/// Everything the Rollout pane shows about one Rollout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RolloutState {
    pub name: String,
    pub namespace: Option<String>,
    /// None when the spec names neither strategy.
    pub strategy: Option<Strategy>,
    /// Argo's own words: Healthy, Progressing, Paused, Degraded (empty when nothing says).
    pub phase: String,
    /// Why the phase is what it is: the pause reason, the degrading condition, ...
    pub message: Option<String>,
    /// `status.abort`: the update was abandoned and traffic went back to stable.
    pub aborted: bool,
    pub aborted_at: Option<DateTime<Utc>>,
    /// Why it was aborted: the abort condition's message, else the failed analysis's.
    pub abort_reason: Option<String>,
    /// `spec.paused`: someone (or something) paused the Rollout by hand.
    pub spec_paused: bool,
    /// `status.pauseConditions[].reason`: why the controller holds (CanaryPauseStep, ...).
    pub pause_reasons: Vec<String>,
    /// Where the canary is in its steps; None for blue-green or before the controller says.
    pub step: Option<StepPosition>,
    /// The canary steps in order, each with how far the Rollout has got.
    pub steps: Vec<StepLine>,
    /// The canary's and stable's share of traffic; None for blue-green.
    pub weights: Option<Weights>,
    pub replicas: Replicas,
    /// `status.stableRS`: the pod template hash serving as stable.
    pub stable_hash: Option<String>,
    /// `status.currentPodHash`: the pod template hash being rolled out.
    pub current_hash: Option<String>,
    /// One per ReplicaSet, newest revision first.
    pub versions: Vec<VersionPods>,
    /// The current AnalysisRun, when there is one.
    pub analysis: Option<AnalysisState>,
    /// Blue-green only: which version the active and preview Services select.
    pub blue_green: Option<BlueGreenState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    Canary,
    BlueGreen,
}

/// `status.currentStepIndex` of `count` steps. `index == count` once every step is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepPosition {
    pub index: usize,
    pub count: usize,
}

impl StepPosition {
    pub fn all_done(self) -> bool {
        self.index >= self.count
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepLine {
    pub step: CanaryStep,
    pub progress: StepProgress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepProgress {
    Done,
    Current,
    Ahead,
}

/// One entry of `spec.strategy.canary.steps`.
#[derive(Debug, Clone, PartialEq)]
pub enum CanaryStep {
    SetWeight(u8),
    /// A duration as the spec writes it ("1h"); None waits until someone promotes.
    Pause(Option<String>),
    /// The AnalysisTemplates it runs.
    Analysis(Vec<String>),
    Experiment(Option<String>),
    SetCanaryScale(CanaryScale),
    SetHeaderRoute(Option<String>),
    SetMirrorRoute(Option<String>),
    Plugin(Option<String>),
    /// A step this version of shipdeck does not know, by its key.
    Other(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanaryScale {
    Weight(u8),
    Replicas(u32),
    MatchTrafficWeight,
}

impl fmt::Display for CanaryStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let named = |f: &mut fmt::Formatter<'_>, kind: &str, name: &Option<String>| match name {
            Some(name) => write!(f, "{kind} {name}"),
            None => f.write_str(kind),
        };
        match self {
            CanaryStep::SetWeight(w) => write!(f, "setWeight {w}"),
            CanaryStep::Pause(Some(d)) => write!(f, "pause {d}"),
            CanaryStep::Pause(None) => f.write_str("pause (until promoted)"),
            CanaryStep::Analysis(t) if t.is_empty() => f.write_str("analysis"),
            CanaryStep::Analysis(t) => write!(f, "analysis {}", t.join(", ")),
            CanaryStep::Experiment(d) => named(f, "experiment", d),
            CanaryStep::SetCanaryScale(CanaryScale::Weight(w)) => write!(f, "setCanaryScale weight {w}"),
            CanaryStep::SetCanaryScale(CanaryScale::Replicas(r)) => write!(f, "setCanaryScale replicas {r}"),
            CanaryStep::SetCanaryScale(CanaryScale::MatchTrafficWeight) => {
                f.write_str("setCanaryScale matchTrafficWeight")
            }
            CanaryStep::SetHeaderRoute(n) => named(f, "setHeaderRoute", n),
            CanaryStep::SetMirrorRoute(n) => named(f, "setMirrorRoute", n),
            CanaryStep::Plugin(n) => named(f, "plugin", n),
            CanaryStep::Other(key) => write!(f, "{key} (unknown step)"),
        }
    }
}

/// Shares of traffic in percent, and where they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weights {
    pub canary: u8,
    pub stable: u8,
    pub source: WeightSource,
}

/// Where the weights come from: reported by Argo, or worked out from the steps by the rule
/// Argo's own CLI uses when nothing is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightSource {
    /// `status.canary.weights`: what Argo set on the traffic router.
    Reported,
    /// The setWeight of this step (the current one or the last before it).
    SetWeightStep(usize),
    /// No setWeight step reached yet: the canary gets nothing.
    NoSetWeightYet,
    /// Past the last step (or no steps): the canary is the new stable.
    StepsDone,
    /// Aborted: everything back to stable.
    Aborted,
}

/// The Rollout's pod counts (Kubernetes leaves zeros out, so a missing count is 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replicas {
    /// `spec.replicas`, 1 when unset as Argo defaults it.
    pub desired: u32,
    pub current: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
}

/// One ReplicaSet: a version of the pod template and its pods.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionPods {
    /// `rollouts-pod-template-hash`.
    pub hash: String,
    pub revision: Option<u32>,
    pub role: VersionRole,
    pub images: Vec<String>,
    pub desired: u32,
    pub current: u32,
    pub ready: u32,
    pub available: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionRole {
    Stable,
    Canary,
    Active,
    Preview,
    /// An earlier version, kept (usually at 0 pods) for rollbacks.
    Old,
}

impl VersionRole {
    pub fn label(self) -> &'static str {
        match self {
            VersionRole::Stable => "stable",
            VersionRole::Canary => "canary",
            VersionRole::Active => "active",
            VersionRole::Preview => "preview",
            VersionRole::Old => "old",
        }
    }
}

/// An AnalysisRun: its verdict so far and each metric's measurements.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisState {
    pub name: String,
    pub kind: Option<AnalysisKind>,
    /// Pending, Running, Successful, Failed, Error or Inconclusive.
    pub phase: Option<String>,
    pub message: Option<String>,
    /// Empty when only the Rollout's reference to the run is known.
    pub metrics: Vec<MetricMeasured>,
}

/// Which of the Rollout's analyses the run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalysisKind {
    Step,
    Background,
    PrePromotion,
    PostPromotion,
}

impl AnalysisKind {
    pub fn label(self) -> &'static str {
        match self {
            AnalysisKind::Step => "step analysis",
            AnalysisKind::Background => "background analysis",
            AnalysisKind::PrePromotion => "pre-promotion analysis",
            AnalysisKind::PostPromotion => "post-promotion analysis",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricMeasured {
    pub name: String,
    /// None before its first measurement.
    pub phase: Option<String>,
    /// Measurements taken, and how they came out.
    pub count: u32,
    pub successful: u32,
    pub failed: u32,
    pub inconclusive: u32,
    pub errors: u32,
    /// The newest measured values, oldest first, as Argo stores them (text).
    pub last_values: Vec<String>,
    pub message: Option<String>,
    /// What a value must satisfy (`result == "true"`), from the run's spec.
    pub success_condition: Option<String>,
    pub failure_condition: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BlueGreenState {
    /// Pod template hashes the active and preview Services select.
    pub active_selector: Option<String>,
    pub preview_selector: Option<String>,
    /// The version being rolled out is the active one (nothing left to promote).
    pub promoted: bool,
    /// `autoPromotionEnabled` (default true): false waits for someone to promote.
    pub auto_promotion: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_as_the_spec_writes_them() {
        let texts: Vec<String> = [
            CanaryStep::SetWeight(20),
            CanaryStep::Pause(Some("1h".into())),
            CanaryStep::Pause(None),
            CanaryStep::Analysis(vec!["success-rate".into(), "latency".into()]),
            CanaryStep::Experiment(None),
            CanaryStep::SetCanaryScale(CanaryScale::Replicas(2)),
            CanaryStep::SetHeaderRoute(Some("canary-header".into())),
            CanaryStep::Other("teleport".into()),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            texts,
            [
                "setWeight 20",
                "pause 1h",
                "pause (until promoted)",
                "analysis success-rate, latency",
                "experiment",
                "setCanaryScale replicas 2",
                "setHeaderRoute canary-header",
                "teleport (unknown step)",
            ]
        );
        assert!(StepPosition { index: 8, count: 8 }.all_done());
        assert!(!StepPosition { index: 7, count: 8 }.all_done());
    }
}
