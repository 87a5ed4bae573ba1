//! A Rollout's phase and message: the controller's own, or worked out as Argo's CLI works
//! them out for controllers that do not write them.

use serde_json::Value;

use super::analysis::analysis_completed;
use super::desired_replicas;
use super::json::{count, flag, list, number, text, time};
use crate::engine::rollout_state::Strategy;

/// Argo's phase and message. Controllers since 1.0 write them in the status; for older
/// ones the CLI works them out from conditions, pauses and counts, and so does this, by
/// the same rules. Either way a spec or unpause the controller has not seen yet reads as
/// Progressing, as the CLI shows it.
pub(super) fn phase_of(rollout: &Value, strategy: Option<Strategy>) -> (String, Option<String>) {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::rollout_state;
    use super::super::tests::{at_step, canary};
    use crate::engine::rollout_state::{Replicas, StepProgress};

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
}
