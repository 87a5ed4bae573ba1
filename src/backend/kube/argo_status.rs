//! Reading an Argo Rollout's state from the objects as the API server returns them (a
//! Rollout, optionally its current AnalysisRun and its ReplicaSets, as JSON). Pure: any
//! field may be missing or of the wrong type, and then reads as absent, never a panic.
//! Field names follow the Rollout CRD of Argo Rollouts v1.9.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::engine::rollout_state::{
    AnalysisKind, AnalysisState, BlueGreenState, CanaryScale, CanaryStep, MetricMeasured, Replicas, RolloutState,
    StepLine, StepPosition, StepProgress, Strategy, VersionPods, VersionRole, WeightSource, Weights,
};
use crate::format::fmt_duration;

/// Measured values kept per metric: the pane shows a few of the newest at most.
const VALUES_KEPT: usize = 5;

/// Where the Rollout points at its AnalysisRuns, in the order the pane prefers them: the
/// one a step waits on decides the next move, so it comes first.
const ANALYSIS_REFS: [(AnalysisKind, &str); 4] = [
    (AnalysisKind::Step, "/status/canary/currentStepAnalysisRunStatus"),
    (
        AnalysisKind::Background,
        "/status/canary/currentBackgroundAnalysisRunStatus",
    ),
    (
        AnalysisKind::PrePromotion,
        "/status/blueGreen/prePromotionAnalysisRunStatus",
    ),
    (
        AnalysisKind::PostPromotion,
        "/status/blueGreen/postPromotionAnalysisRunStatus",
    ),
];

/// The state of `rollout`, with the measurements of `analysis_run` (its current one) and
/// the pods of `replica_sets` (ReplicaSets owned by another Rollout are left out).
/// The AnalysisRun the Rollout points at now, by the pane's preference: the one to read
/// beside the Rollout.
pub fn current_analysis_run(rollout: &Value) -> Option<String> {
    ANALYSIS_REFS.iter().find_map(|(_, pointer)| {
        rollout
            .pointer(&format!("{pointer}/name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

pub fn rollout_state(rollout: &Value, analysis_run: Option<&Value>, replica_sets: &[Value]) -> RolloutState {
    let strategy = strategy_of(rollout);
    let (phase, message) = phase_of(rollout, strategy);
    let aborted = flag(rollout, "/status/abort");
    let steps = canary_steps(rollout);
    let step = match (strategy, number(rollout, "/status/currentStepIndex")) {
        (Some(Strategy::Canary), Some(index)) if !steps.is_empty() => Some(StepPosition {
            index: usize::try_from(index).unwrap_or(usize::MAX),
            count: steps.len(),
        }),
        _ => None,
    };
    let current_hash = text(rollout, "/status/currentPodHash");
    let blue_green = (strategy == Some(Strategy::BlueGreen)).then(|| blue_green_of(rollout, current_hash.as_deref()));
    RolloutState {
        name: text(rollout, "/metadata/name").unwrap_or_default(),
        namespace: text(rollout, "/metadata/namespace"),
        strategy,
        phase,
        message,
        aborted,
        aborted_at: text(rollout, "/status/abortedAt").and_then(|t| time(&t)),
        abort_reason: aborted.then(|| abort_reason(rollout)).flatten(),
        spec_paused: flag(rollout, "/spec/paused"),
        pause_reasons: list(rollout, "/status/pauseConditions")
            .iter()
            .filter_map(|c| text(c, "/reason"))
            .collect(),
        weights: (strategy == Some(Strategy::Canary))
            .then(|| weights_of(rollout, &steps, aborted))
            .flatten(),
        steps: steps
            .into_iter()
            .enumerate()
            .map(|(i, kind)| StepLine {
                step: kind,
                progress: match step {
                    Some(p) if i < p.index => StepProgress::Done,
                    Some(p) if i == p.index => StepProgress::Current,
                    _ => StepProgress::Ahead,
                },
            })
            .collect(),
        step,
        replicas: Replicas {
            desired: desired_replicas(rollout),
            current: count(rollout, "/status/replicas"),
            updated: count(rollout, "/status/updatedReplicas"),
            ready: count(rollout, "/status/readyReplicas"),
            available: count(rollout, "/status/availableReplicas"),
        },
        versions: versions_of(rollout, replica_sets, strategy, blue_green.as_ref()),
        stable_hash: text(rollout, "/status/stableRS"),
        current_hash,
        analysis: analysis_of(rollout, analysis_run),
        blue_green,
    }
}

fn strategy_of(rollout: &Value) -> Option<Strategy> {
    if rollout.pointer("/spec/strategy/canary").is_some_and(Value::is_object) {
        Some(Strategy::Canary)
    } else if rollout
        .pointer("/spec/strategy/blueGreen")
        .is_some_and(Value::is_object)
    {
        Some(Strategy::BlueGreen)
    } else {
        None
    }
}

/// Argo's phase and message. Controllers since 1.0 write them in the status; for older
/// ones the CLI works them out from conditions, pauses and counts, and so does this, by
/// the same rules. Either way a spec or unpause the controller has not seen yet reads as
/// Progressing, as the CLI shows it.
fn phase_of(rollout: &Value, strategy: Option<Strategy>) -> (String, Option<String>) {
    let progressing = |why: &str| ("Progressing".to_string(), Some(why.to_string()));
    let generation = number(rollout, "/metadata/generation");
    // observedGeneration is a string; before v0.10 it was a hash, which says nothing here.
    if let (Some(seen), Some(generation)) = (number(rollout, "/status/observedGeneration"), generation)
        && seen < generation
    {
        return progressing("waiting for rollout spec update to be observed");
    }
    let pause_reasons = list(rollout, "/status/pauseConditions");
    if flag(rollout, "/status/controllerPause") && pause_reasons.is_empty() {
        return progressing("waiting for rollout to unpause");
    }
    if let Some(phase) = text(rollout, "/status/phase") {
        return (phase, text(rollout, "/status/message"));
    }
    for condition in list(rollout, "/status/conditions") {
        let message = text(condition, "/message").unwrap_or_default();
        if text(condition, "/type").as_deref() == Some("InvalidSpec") {
            return ("Degraded".into(), Some(format!("InvalidSpec: {message}")));
        }
        if let Some(reason) = text(condition, "/reason")
            && (reason == "RolloutAborted" || reason == "ProgressDeadlineExceeded")
        {
            return ("Degraded".into(), Some(format!("{reason}: {message}")));
        }
    }
    if flag(rollout, "/spec/paused") {
        return ("Paused".into(), Some("manually paused".into()));
    }
    if let Some(first) = pause_reasons.first() {
        return ("Paused".into(), text(first, "/reason"));
    }
    if let Some(restart) = text(rollout, "/spec/restartAt")
        && text(rollout, "/status/restartedAt").is_none_or(|done| time(&done) != time(&restart))
    {
        return progressing("rollout is restarting");
    }
    let updated = count(rollout, "/status/updatedReplicas");
    if updated < desired_replicas(rollout) {
        return progressing("more replicas need to be updated");
    }
    if count(rollout, "/status/availableReplicas") < updated {
        return progressing("updated replicas are still becoming available");
    }
    let current = text(rollout, "/status/currentPodHash");
    let stable = text(rollout, "/status/stableRS");
    let promoted = stable.is_some() && stable == current;
    match strategy {
        Some(Strategy::BlueGreen) => {
            let active = text(rollout, "/status/blueGreen/activeSelector");
            if active.is_none() || active != current {
                return progressing("active service cutover pending");
            }
            if !promoted {
                let analysed = rollout
                    .pointer("/spec/strategy/blueGreen/postPromotionAnalysis")
                    .is_none()
                    || text(rollout, "/status/blueGreen/postPromotionAnalysisRunStatus/status")
                        .is_some_and(|s| analysis_completed(&s));
                return progressing(if analysed {
                    "waiting for post-promotion verification to complete"
                } else {
                    "waiting for analysis to complete"
                });
            }
        }
        Some(Strategy::Canary) => {
            // Without a traffic router the old pods are the stable's share; with one, old
            // pods may stay up on purpose (scaleDownDelay).
            let routed = rollout.pointer("/spec/strategy/canary/trafficRouting").is_some();
            if !routed && count(rollout, "/status/replicas") > updated {
                return progressing("old replicas are pending termination");
            }
            if !promoted {
                return progressing("waiting for all steps to complete");
            }
        }
        None => {}
    }
    ("Healthy".into(), None)
}

fn analysis_completed(phase: &str) -> bool {
    matches!(phase, "Successful" | "Failed" | "Error" | "Inconclusive")
}

fn canary_steps(rollout: &Value) -> Vec<CanaryStep> {
    list(rollout, "/spec/strategy/canary/steps")
        .iter()
        .map(canary_step)
        .collect()
}

fn canary_step(step: &Value) -> CanaryStep {
    let name = |at: &str| text(step, at);
    if let Some(weight) = step.get("setWeight") {
        return match whole(weight) {
            Some(w) => CanaryStep::SetWeight(percent(w)),
            None => CanaryStep::Other("setWeight".into()),
        };
    }
    if let Some(pause) = step.get("pause") {
        return CanaryStep::Pause(pause.get("duration").and_then(duration));
    }
    if step.get("analysis").is_some() {
        let templates = list(step, "/analysis/templates")
            .iter()
            .filter_map(|t| text(t, "/templateName"))
            .collect();
        return CanaryStep::Analysis(templates);
    }
    if let Some(experiment) = step.get("experiment") {
        return CanaryStep::Experiment(experiment.get("duration").and_then(duration));
    }
    if let Some(scale) = step.get("setCanaryScale") {
        if let Some(w) = scale.get("weight").and_then(whole) {
            return CanaryStep::SetCanaryScale(CanaryScale::Weight(percent(w)));
        }
        if let Some(r) = scale.get("replicas").and_then(whole) {
            return CanaryStep::SetCanaryScale(CanaryScale::Replicas(saturate(r)));
        }
        return CanaryStep::SetCanaryScale(CanaryScale::MatchTrafficWeight);
    }
    if step.get("setHeaderRoute").is_some() {
        return CanaryStep::SetHeaderRoute(name("/setHeaderRoute/name"));
    }
    if step.get("setMirrorRoute").is_some() {
        return CanaryStep::SetMirrorRoute(name("/setMirrorRoute/name"));
    }
    if step.get("plugin").is_some() {
        return CanaryStep::Plugin(name("/plugin/name"));
    }
    let key = step.as_object().and_then(|o| o.keys().next().cloned());
    CanaryStep::Other(key.unwrap_or_else(|| "empty".into()))
}

/// A duration as the spec gives it: a string as written, a number of seconds as a span.
fn duration(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => n.as_i64().map(|secs| fmt_duration(chrono::Duration::seconds(secs))),
        _ => None,
    }
}

/// The weights Argo reports; when it reports none, Argo's CLI rule: nothing once aborted,
/// everything once past the last step, else the setWeight of the current step or the last
/// one before it. None until the controller has written a status at all.
fn weights_of(rollout: &Value, steps: &[CanaryStep], aborted: bool) -> Option<Weights> {
    if let Some(canary) = number(rollout, "/status/canary/weights/canary/weight") {
        let canary = percent(canary);
        let stable = number(rollout, "/status/canary/weights/stable/weight").map_or(100 - canary, percent);
        return Some(Weights {
            canary,
            stable,
            source: WeightSource::Reported,
        });
    }
    if !rollout.get("status").is_some_and(Value::is_object) {
        return None;
    }
    let split = |canary: u8, source| {
        Some(Weights {
            canary,
            stable: 100 - canary,
            source,
        })
    };
    if aborted {
        return split(0, WeightSource::Aborted);
    }
    let index = number(rollout, "/status/currentStepIndex").map_or(0, |i| usize::try_from(i).unwrap_or(usize::MAX));
    if index >= steps.len() {
        return split(100, WeightSource::StepsDone);
    }
    let set_by = steps[..=index].iter().enumerate().rev().find_map(|(i, s)| match s {
        CanaryStep::SetWeight(w) => Some((i, *w)),
        _ => None,
    });
    match set_by {
        Some((i, w)) => split(w, WeightSource::SetWeightStep(i)),
        None => split(0, WeightSource::NoSetWeightYet),
    }
}

/// Argo defaults an unset `spec.replicas` to 1.
fn desired_replicas(rollout: &Value) -> u32 {
    number(rollout, "/spec/replicas").map_or(1, saturate)
}

fn blue_green_of(rollout: &Value, current_hash: Option<&str>) -> BlueGreenState {
    let active_selector = text(rollout, "/status/blueGreen/activeSelector");
    BlueGreenState {
        promoted: active_selector.is_some() && active_selector.as_deref() == current_hash,
        active_selector,
        preview_selector: text(rollout, "/status/blueGreen/previewSelector"),
        auto_promotion: rollout
            .pointer("/spec/strategy/blueGreen/autoPromotionEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    }
}

fn versions_of(
    rollout: &Value,
    replica_sets: &[Value],
    strategy: Option<Strategy>,
    blue_green: Option<&BlueGreenState>,
) -> Vec<VersionPods> {
    let uid = text(rollout, "/metadata/uid");
    let stable = text(rollout, "/status/stableRS");
    let current = text(rollout, "/status/currentPodHash");
    let mut versions: Vec<VersionPods> = replica_sets
        .iter()
        .filter(|rs| {
            let owners = list(rs, "/metadata/ownerReferences");
            let rollout_owners: Vec<Option<String>> = owners
                .iter()
                .filter(|o| text(o, "/kind").as_deref() == Some("Rollout"))
                .map(|o| text(o, "/uid"))
                .collect();
            uid.is_none() || rollout_owners.is_empty() || rollout_owners.contains(&uid)
        })
        .map(|rs| {
            let hash = text(rs, "/metadata/labels/rollouts-pod-template-hash")
                .or_else(|| text(rs, "/metadata/name"))
                .unwrap_or_default();
            let is = |selector: Option<&String>| selector.is_some_and(|s| *s == hash);
            let role = match (strategy, blue_green) {
                (Some(Strategy::BlueGreen), Some(bg)) if is(bg.active_selector.as_ref()) => VersionRole::Active,
                (Some(Strategy::BlueGreen), Some(bg)) if is(bg.preview_selector.as_ref()) => VersionRole::Preview,
                (Some(Strategy::BlueGreen), _) => VersionRole::Old,
                _ if is(stable.as_ref()) => VersionRole::Stable,
                _ if is(current.as_ref()) => VersionRole::Canary,
                _ => VersionRole::Old,
            };
            VersionPods {
                revision: number(rs, "/metadata/annotations/rollout.argoproj.io~1revision").map(saturate),
                role,
                images: list(rs, "/spec/template/spec/containers")
                    .iter()
                    .filter_map(|c| text(c, "/image"))
                    .collect(),
                desired: count(rs, "/spec/replicas"),
                current: count(rs, "/status/replicas"),
                ready: count(rs, "/status/readyReplicas"),
                available: count(rs, "/status/availableReplicas"),
                hash,
            }
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.revision));
    versions
}

/// Why the Rollout was aborted: the abort condition says; else the failed analysis that
/// caused it does.
fn abort_reason(rollout: &Value) -> Option<String> {
    let from_condition = list(rollout, "/status/conditions")
        .iter()
        .filter(|c| text(c, "/reason").as_deref() == Some("RolloutAborted"))
        .find_map(|c| text(c, "/message"));
    from_condition.or_else(|| {
        ANALYSIS_REFS.iter().find_map(|(_, at)| {
            let run = rollout.pointer(at)?;
            let failed = text(run, "/status").is_some_and(|s| analysis_completed(&s) && s != "Successful");
            failed.then(|| text(run, "/message")).flatten()
        })
    })
}

/// The current analysis: the given AnalysisRun with its measurements, else what the
/// Rollout says of its runs (name, phase, message).
fn analysis_of(rollout: &Value, run: Option<&Value>) -> Option<AnalysisState> {
    let refs: Vec<(AnalysisKind, &Value)> = ANALYSIS_REFS
        .iter()
        .filter_map(|(kind, at)| Some((*kind, rollout.pointer(at).filter(|r| text(r, "/name").is_some())?)))
        .collect();
    let Some(run) = run else {
        let (kind, r) = refs.first()?;
        return Some(AnalysisState {
            name: text(r, "/name").unwrap_or_default(),
            kind: Some(*kind),
            phase: text(r, "/status"),
            message: text(r, "/message"),
            metrics: Vec::new(),
        });
    };
    let name = text(run, "/metadata/name").unwrap_or_default();
    let named = refs
        .iter()
        .find(|(_, r)| text(r, "/name").as_deref() == Some(name.as_str()));
    let kind = named
        .map(|(k, _)| *k)
        .or_else(|| match text(run, "/metadata/labels/rollout-type").as_deref() {
            Some("Step") => Some(AnalysisKind::Step),
            Some("Background") => Some(AnalysisKind::Background),
            Some("PrePromotion") => Some(AnalysisKind::PrePromotion),
            Some("PostPromotion") => Some(AnalysisKind::PostPromotion),
            _ => None,
        });
    Some(AnalysisState {
        phase: text(run, "/status/phase").or_else(|| named.and_then(|(_, r)| text(r, "/status"))),
        message: text(run, "/status/message").or_else(|| named.and_then(|(_, r)| text(r, "/message"))),
        metrics: metrics_of(run),
        kind,
        name,
    })
}

/// Every metric of the run, in the spec's order, with its results so far; results for a
/// metric the spec no longer lists come after.
fn metrics_of(run: &Value) -> Vec<MetricMeasured> {
    let specs = list(run, "/spec/metrics");
    let results = list(run, "/status/metricResults");
    let mut names: Vec<String> = specs.iter().filter_map(|m| text(m, "/name")).collect();
    for name in results.iter().filter_map(|r| text(r, "/name")) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let by_name = |list: &'_ [Value], name: &str| -> Option<Value> {
        list.iter()
            .find(|m| m.get("name").and_then(Value::as_str) == Some(name))
            .cloned()
    };
    names
        .into_iter()
        .map(|name| {
            let spec = by_name(specs, &name).unwrap_or(Value::Null);
            let result = by_name(results, &name).unwrap_or(Value::Null);
            let values: Vec<String> = list(&result, "/measurements")
                .iter()
                .filter_map(|m| text(m, "/value"))
                .collect();
            MetricMeasured {
                phase: text(&result, "/phase"),
                count: count(&result, "/count"),
                successful: count(&result, "/successful"),
                failed: count(&result, "/failed"),
                inconclusive: count(&result, "/inconclusive"),
                errors: count(&result, "/error"),
                last_values: values[values.len().saturating_sub(VALUES_KEPT)..].to_vec(),
                message: text(&result, "/message"),
                success_condition: text(&spec, "/successCondition"),
                failure_condition: text(&spec, "/failureCondition"),
                name,
            }
        })
        .collect()
}

// ----- reading JSON that may hold anything

/// A non-empty string at `pointer`.
fn text(value: &Value, pointer: &str) -> Option<String> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A whole number at `pointer`, written as a number or (observedGeneration) a string.
fn number(value: &Value, pointer: &str) -> Option<u64> {
    value.pointer(pointer).and_then(whole)
}

fn whole(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A count; Kubernetes leaves zero counts out.
fn count(value: &Value, pointer: &str) -> u32 {
    number(value, pointer).map_or(0, saturate)
}

fn saturate(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn percent(n: u64) -> u8 {
    n.min(100) as u8
}

fn flag(value: &Value, pointer: &str) -> bool {
    value.pointer(pointer).and_then(Value::as_bool) == Some(true)
}

fn list<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canary(status: Value) -> Value {
        json!({
            "metadata": { "name": "checkout", "namespace": "shop", "generation": 3, "uid": "u1" },
            "spec": {
                "replicas": 10,
                "strategy": { "canary": { "steps": [
                    { "setWeight": 20 },
                    { "pause": {} },
                    { "analysis": { "templates": [{ "templateName": "success-rate" }] } },
                    { "setWeight": 50 },
                    { "pause": { "duration": 3600 } },
                    { "pause": { "duration": "10m" } },
                ] } }
            },
            "status": status,
        })
    }

    fn at_step(index: u64) -> Value {
        json!({ "observedGeneration": "3", "currentStepIndex": index, "stableRS": "aaa", "currentPodHash": "bbb" })
    }

    #[test]
    fn anything_malformed_reads_as_absent() {
        let empty = rollout_state(&json!({}), None, &[]);
        assert_eq!(
            empty,
            RolloutState {
                phase: "Progressing".into(),
                message: Some("more replicas need to be updated".into()),
                replicas: Replicas {
                    desired: 1,
                    ..Replicas::default()
                },
                ..RolloutState::default()
            }
        );
        for junk in [
            json!(null),
            json!([1, 2]),
            json!("rollout"),
            json!({ "spec": "x", "status": 7, "metadata": [] }),
            json!({ "spec": { "strategy": { "canary": { "steps": "many" } } }, "status": { "currentStepIndex": -1 } }),
            json!({ "spec": { "strategy": { "canary": { "steps": [7, null, {}, { "setWeight": "x" }] } } },
                    "status": { "currentStepIndex": 99999999999u64, "conditions": "none", "pauseConditions": [1] } }),
        ] {
            let state = rollout_state(&junk, Some(&junk), std::slice::from_ref(&junk));
            assert!(!state.aborted, "{junk}");
        }
        let odd_steps = json!({ "spec": { "strategy": { "canary": { "steps": [7, {}, { "setWeight": "x" }, { "setWeight": 250 }] } } } });
        let steps: Vec<String> = rollout_state(&odd_steps, None, &[])
            .steps
            .iter()
            .map(|s| s.step.to_string())
            .collect();
        assert_eq!(
            steps,
            [
                "empty (unknown step)",
                "empty (unknown step)",
                "setWeight (unknown step)",
                "setWeight 100"
            ]
        );
    }

    #[test]
    fn steps_and_weights_follow_the_current_step() {
        let state = rollout_state(&canary(at_step(1)), None, &[]);
        assert_eq!(state.strategy, Some(Strategy::Canary));
        assert_eq!(state.step, Some(StepPosition { index: 1, count: 6 }));
        let progress: Vec<StepProgress> = state.steps.iter().map(|s| s.progress).collect();
        use StepProgress::*;
        assert_eq!(progress, [Done, Current, Ahead, Ahead, Ahead, Ahead]);
        let texts: Vec<String> = state.steps.iter().map(|s| s.step.to_string()).collect();
        assert_eq!(
            texts,
            [
                "setWeight 20",
                "pause (until promoted)",
                "analysis success-rate",
                "setWeight 50",
                "pause 1h",
                "pause 10m"
            ]
        );
        let weights = |status| rollout_state(&canary(status), None, &[]).weights.unwrap();
        assert_eq!(
            weights(at_step(1)),
            Weights {
                canary: 20,
                stable: 80,
                source: WeightSource::SetWeightStep(0)
            }
        );
        assert_eq!(weights(at_step(0)).source, WeightSource::SetWeightStep(0));
        assert_eq!(weights(at_step(4)).canary, 50);
        assert_eq!(
            weights(at_step(6)),
            Weights {
                canary: 100,
                stable: 0,
                source: WeightSource::StepsDone
            }
        );
        assert!(rollout_state(&canary(at_step(6)), None, &[]).step.unwrap().all_done());
        // Reported weights win over the steps, as they are what the router was told.
        let mut reported = at_step(4);
        reported["canary"] = json!({ "weights": { "canary": { "weight": 45 }, "stable": { "weight": 55 } } });
        assert_eq!(
            weights(reported),
            Weights {
                canary: 45,
                stable: 55,
                source: WeightSource::Reported
            }
        );
        // Before the controller writes any status there is nothing to say.
        assert_eq!(rollout_state(&canary(Value::Null), None, &[]).weights, None);
        assert_eq!(rollout_state(&canary(Value::Null), None, &[]).step, None);
    }

    #[test]
    fn no_set_weight_before_the_current_step_means_no_canary_traffic() {
        let mut rollout = canary(at_step(0));
        rollout["spec"]["strategy"]["canary"]["steps"] = json!([{ "pause": {} }, { "setWeight": 10 }]);
        let weights = rollout_state(&rollout, None, &[]).weights.unwrap();
        assert_eq!(
            weights,
            Weights {
                canary: 0,
                stable: 100,
                source: WeightSource::NoSetWeightYet
            }
        );
    }

    #[test]
    fn an_aborted_rollout_reads_aborted_with_all_traffic_on_stable() {
        let mut status = at_step(3);
        status["abort"] = json!(true);
        status["abortedAt"] = json!("2026-08-01T10:00:05Z");
        status["conditions"] = json!([
            { "type": "Available", "reason": "AvailableReason", "message": "Rollout has minimum availability" },
            { "type": "Progressing", "reason": "RolloutAborted", "message": "metric \"errors\" assessed Failed" },
        ]);
        let state = rollout_state(&canary(status), None, &[]);
        assert!(state.aborted);
        assert_eq!(state.aborted_at, time("2026-08-01T10:00:05Z"));
        assert_eq!(state.abort_reason.as_deref(), Some("metric \"errors\" assessed Failed"));
        assert_eq!(state.phase, "Degraded");
        assert_eq!(
            state.message.as_deref(),
            Some("RolloutAborted: metric \"errors\" assessed Failed")
        );
        assert_eq!(
            state.weights.unwrap(),
            Weights {
                canary: 0,
                stable: 100,
                source: WeightSource::Aborted
            }
        );
        // Without the condition, the failed analysis says why.
        let mut status = at_step(3);
        status["abort"] = json!(true);
        status["canary"] =
            json!({ "currentStepAnalysisRunStatus": { "name": "r1", "status": "Failed", "message": "too slow" } });
        assert_eq!(
            rollout_state(&canary(status), None, &[]).abort_reason.as_deref(),
            Some("too slow")
        );
    }

    #[test]
    fn pauses_by_hand_and_by_the_controller() {
        let mut status = at_step(1);
        status["pauseConditions"] = json!([{ "reason": "CanaryPauseStep", "startTime": "2026-08-01T10:00:00Z" }]);
        status["controllerPause"] = json!(true);
        let state = rollout_state(&canary(status.clone()), None, &[]);
        assert_eq!(state.pause_reasons, ["CanaryPauseStep"]);
        assert!(!state.spec_paused);
        assert_eq!(
            (state.phase.as_str(), state.message.as_deref()),
            ("Paused", Some("CanaryPauseStep"))
        );

        let mut rollout = canary(status);
        rollout["spec"]["paused"] = json!(true);
        let state = rollout_state(&rollout, None, &[]);
        assert!(state.spec_paused);
        assert_eq!(
            (state.phase.as_str(), state.message.as_deref()),
            ("Paused", Some("manually paused"))
        );

        // Promote cleared the conditions; the controller has not caught up yet.
        let mut status = at_step(1);
        status["controllerPause"] = json!(true);
        let state = rollout_state(&canary(status), None, &[]);
        assert_eq!(
            (state.phase.as_str(), state.message.as_deref()),
            ("Progressing", Some("waiting for rollout to unpause"))
        );
    }

    #[test]
    fn the_controllers_own_phase_is_taken_once_it_has_seen_the_spec() {
        let mut status = at_step(1);
        status["phase"] = json!("Paused");
        status["message"] = json!("CanaryPauseStep");
        let state = rollout_state(&canary(status.clone()), None, &[]);
        assert_eq!(
            (state.phase.as_str(), state.message.as_deref()),
            ("Paused", Some("CanaryPauseStep"))
        );
        status["observedGeneration"] = json!("2");
        let state = rollout_state(&canary(status), None, &[]);
        assert_eq!(state.phase, "Progressing");
        assert_eq!(
            state.message.as_deref(),
            Some("waiting for rollout spec update to be observed")
        );
    }

    #[test]
    fn a_finished_canary_is_healthy() {
        let status = json!({ "observedGeneration": "3", "currentStepIndex": 6, "stableRS": "bbb", "currentPodHash": "bbb",
            "replicas": 10, "updatedReplicas": 10, "readyReplicas": 10, "availableReplicas": 10 });
        let state = rollout_state(&canary(status), None, &[]);
        assert_eq!((state.phase.as_str(), state.message), ("Healthy", None));
        assert!(state.steps.iter().all(|s| s.progress == StepProgress::Done));
        assert_eq!(
            state.replicas,
            Replicas {
                desired: 10,
                current: 10,
                updated: 10,
                ready: 10,
                available: 10
            }
        );
    }

    fn replica_set(hash: &str, revision: &str, image: &str, owner: &str, (desired, ready): (u32, u32)) -> Value {
        json!({
            "metadata": {
                "name": format!("checkout-{hash}"),
                "labels": { "rollouts-pod-template-hash": hash },
                "annotations": { "rollout.argoproj.io/revision": revision },
                "ownerReferences": [{ "kind": "Rollout", "uid": owner }],
            },
            "spec": { "replicas": desired, "template": { "spec": { "containers": [{ "image": image }] } } },
            "status": { "replicas": desired, "readyReplicas": ready, "availableReplicas": ready },
        })
    }

    #[test]
    fn versions_newest_first_with_their_roles() {
        let sets = [
            replica_set("aaa", "4", "shop/checkout:1.0", "u1", (8, 8)),
            replica_set("zzz", "2", "shop/checkout:0.9", "u1", (0, 0)),
            replica_set("bbb", "5", "shop/checkout:1.1", "u1", (2, 1)),
            replica_set("ccc", "9", "shop/other:1", "someone-else", (3, 3)),
        ];
        let state = rollout_state(&canary(at_step(1)), None, &sets);
        let seen: Vec<(&str, Option<u32>, VersionRole, u32, u32)> = state
            .versions
            .iter()
            .map(|v| (v.hash.as_str(), v.revision, v.role, v.desired, v.ready))
            .collect();
        assert_eq!(
            seen,
            [
                ("bbb", Some(5), VersionRole::Canary, 2, 1),
                ("aaa", Some(4), VersionRole::Stable, 8, 8),
                ("zzz", Some(2), VersionRole::Old, 0, 0),
            ]
        );
        assert_eq!(state.versions[0].images, ["shop/checkout:1.1"]);
    }

    #[test]
    fn blue_green_shows_its_services_and_whether_the_preview_is_promoted() {
        let rollout = json!({
            "metadata": { "name": "billing" },
            "spec": { "replicas": 3, "strategy": { "blueGreen": { "activeService": "a", "autoPromotionEnabled": false } } },
            "status": { "currentPodHash": "new", "stableRS": "old",
                "blueGreen": { "activeSelector": "old", "previewSelector": "new" },
                "pauseConditions": [{ "reason": "BlueGreenPause" }], "controllerPause": true },
        });
        let state = rollout_state(&rollout, None, &[]);
        assert_eq!(state.strategy, Some(Strategy::BlueGreen));
        assert_eq!((state.step, state.weights), (None, None));
        assert_eq!(
            state.blue_green,
            Some(BlueGreenState {
                active_selector: Some("old".into()),
                preview_selector: Some("new".into()),
                promoted: false,
                auto_promotion: false,
            })
        );
        assert_eq!(
            (state.phase.as_str(), state.message.as_deref()),
            ("Paused", Some("BlueGreenPause"))
        );
    }

    #[test]
    fn the_analysis_run_gives_each_metric_its_measurements() {
        let mut status = at_step(2);
        status["canary"] = json!({ "currentStepAnalysisRunStatus": { "name": "checkout-run-1", "status": "Running" } });
        let run = json!({
            "metadata": { "name": "checkout-run-1" },
            "spec": { "metrics": [
                { "name": "success-rate", "successCondition": "result[0] >= 0.95" },
                { "name": "latency", "failureCondition": "result[0] > 0.5" },
            ] },
            "status": { "phase": "Running", "metricResults": [{
                "name": "success-rate", "phase": "Running", "count": 7, "successful": 6, "failed": 1,
                "measurements": (1..=7).map(|i| json!({ "phase": "Successful", "value": format!("[0.9{i}]") })).collect::<Vec<_>>(),
            }] },
        });
        let analysis = rollout_state(&canary(status.clone()), Some(&run), &[])
            .analysis
            .unwrap();
        assert_eq!(analysis.name, "checkout-run-1");
        assert_eq!(analysis.kind, Some(AnalysisKind::Step));
        assert_eq!(analysis.phase.as_deref(), Some("Running"));
        let rate = &analysis.metrics[0];
        assert_eq!((rate.count, rate.successful, rate.failed, rate.errors), (7, 6, 1, 0));
        assert_eq!(rate.last_values, ["[0.93]", "[0.94]", "[0.95]", "[0.96]", "[0.97]"]);
        assert_eq!(rate.success_condition.as_deref(), Some("result[0] >= 0.95"));
        // A metric not measured yet is still listed, with nothing measured.
        let latency = &analysis.metrics[1];
        assert_eq!(
            (latency.name.as_str(), latency.phase.as_deref(), latency.count),
            ("latency", None, 0)
        );
        assert_eq!(latency.failure_condition.as_deref(), Some("result[0] > 0.5"));
        // Without the run, the Rollout's own reference.
        let analysis = rollout_state(&canary(status), None, &[]).analysis.unwrap();
        assert_eq!(
            analysis,
            AnalysisState {
                name: "checkout-run-1".into(),
                kind: Some(AnalysisKind::Step),
                phase: Some("Running".into()),
                message: None,
                metrics: vec![],
            }
        );
    }
}
