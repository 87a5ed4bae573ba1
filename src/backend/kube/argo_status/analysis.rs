//! The Rollout's current analysis: the AnalysisRun with each metric's measurements, or
//! what the Rollout itself says of its runs when the run is not at hand.

use serde_json::Value;

use super::json::{count, list, text};
use crate::engine::rollout_state::{AnalysisKind, AnalysisState, MetricMeasured};

/// Measured values kept per metric: the pane shows a few of the newest at most.
const VALUES_KEPT: usize = 5;

/// Where the Rollout points at its AnalysisRuns, in the order the pane prefers them: the
/// one a step waits on decides the next move, so it comes first.
pub(super) const ANALYSIS_REFS: [(AnalysisKind, &str); 4] = [
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

pub(super) fn analysis_completed(phase: &str) -> bool {
    matches!(phase, "Successful" | "Failed" | "Error" | "Inconclusive")
}

/// The current analysis: the given AnalysisRun with its measurements, else what the
/// Rollout says of its runs (name, phase, message).
pub(super) fn analysis_of(rollout: &Value, run: Option<&Value>) -> Option<AnalysisState> {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::rollout_state;
    use super::super::tests::{at_step, canary};
    use super::*;

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
