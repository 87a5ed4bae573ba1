//! A canary Rollout's steps as the spec lists them, and the weights: as Argo reports
//! them, or as its CLI works them out from the steps when it reports none.

use serde_json::Value;

use super::json::{list, number, percent, saturate, text, whole};
use crate::engine::rollout_state::{CanaryScale, CanaryStep, WeightSource, Weights};
use crate::format::fmt_duration;

pub(super) fn canary_steps(rollout: &Value) -> Vec<CanaryStep> {
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
pub(super) fn weights_of(rollout: &Value, steps: &[CanaryStep], aborted: bool) -> Option<Weights> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::rollout_state;
    use super::super::tests::{at_step, canary};
    use super::*;
    use crate::engine::rollout_state::{StepPosition, StepProgress, Strategy};

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
}
