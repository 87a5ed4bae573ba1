//! Reading an Argo Rollout's state from the objects as the API server returns them (a
//! Rollout, optionally its current AnalysisRun and its ReplicaSets, as JSON). Pure: any
//! field may be missing or of the wrong type, and then reads as absent, never a panic.
//! Field names follow the Rollout CRD of Argo Rollouts v1.9.

mod analysis;
mod json;
mod phase;
mod steps;
mod versions;

use serde_json::Value;

use self::analysis::{ANALYSIS_REFS, analysis_completed, analysis_of};
use self::json::{count, flag, list, number, saturate, text, time};
use self::phase::phase_of;
use self::steps::{canary_steps, weights_of};
use self::versions::versions_of;
use crate::engine::rollout_state::{
    BlueGreenState, Replicas, RolloutState, StepLine, StepPosition, StepProgress, Strategy,
};

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

/// The state of `rollout`, with the measurements of `analysis_run` (its current one) and
/// the pods of `replica_sets` (ReplicaSets owned by another Rollout are left out).
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::rollout_state::{WeightSource, Weights};

    pub(super) fn canary(status: Value) -> Value {
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

    pub(super) fn at_step(index: u64) -> Value {
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
}
