//! The canary judge's settings, and each metric's.

use crate::analysis::judge::check;
use crate::duration::Span;
use crate::plan::schema::{MetricJudge, Outliers, PlanFile, SAMPLES_KEPT};

use super::{Validator, closest};

impl Validator<'_> {
    /// The canary judge's settings, and each metric's.
    pub(super) fn judge(&mut self, plan: &PlanFile) {
        let Some(j) = &plan.analysis.judge else {
            for (i, m) in plan.metrics.iter().enumerate() {
                if m.judge != MetricJudge::default() {
                    self.at(
                        &format!("metrics.{i}.judge"),
                        format!(
                            "metric `{}` has judge settings but the judge is off: add `judge:` under `analysis`",
                            m.name
                        ),
                    );
                }
            }
            return;
        };
        let interval = plan.analysis.interval;
        if j.every == Span::ZERO {
            self.at(
                "analysis.judge.every",
                "judge every 0s: no interval would ever be judged; use e.g. 1m".into(),
            );
        }
        if interval != Span::ZERO && j.window.as_secs() / interval.as_secs() > SAMPLES_KEPT as u64 {
            self.at(
                "analysis.judge.window",
                format!(
                    "judge window {} holds {} samples at interval {}, but only the newest {SAMPLES_KEPT} are kept: shorten the window or sample less often",
                    j.window,
                    j.window.as_secs() / interval.as_secs(),
                    interval
                ),
            );
        }
        if j.min_samples > SAMPLES_KEPT {
            self.at(
                "analysis.judge.min_samples",
                format!(
                    "min_samples {} is more than the {SAMPLES_KEPT} samples kept per series: no window could \
                     ever hold them; use at most {SAMPLES_KEPT} (10 or more is usual)",
                    j.min_samples
                ),
            );
        } else if j.min_samples < 3 {
            self.at(
                "analysis.judge.min_samples",
                format!(
                    "min_samples {} is too few for a rank-sum test to mean anything: use at least 3 (10 or more is usual)",
                    j.min_samples
                ),
            );
        } else if interval != Span::ZERO && j.every != Span::ZERO {
            // The judged window leaves out both of its ends (the judgement's own instant
            // included), so a span of n intervals holds n - 1 samples when they line up.
            let span = j.every.min(j.window);
            let fits = span.as_secs().div_ceil(interval.as_secs()).saturating_sub(1);
            if fits < j.min_samples as u64 {
                let which = if j.window < j.every { "window" } else { "every" };
                self.at(
                    &format!("analysis.judge.{which}"),
                    format!(
                        "judge {which} {span} holds {fits} samples per side at interval {interval}, fewer than min_samples {}: every judgement would have no data; use at least {}",
                        j.min_samples,
                        Span::secs(interval.as_secs() * (j.min_samples as u64 + 1))
                    ),
                );
            }
        }
        for (field, value) in [("pass", j.pass), ("marginal", j.marginal)] {
            if !(0.0..=100.0).contains(&value) {
                self.at(
                    &format!("analysis.judge.{field}"),
                    format!("judge {field} score {value} is outside 0-100"),
                );
            }
        }
        if j.marginal > j.pass {
            self.at(
                "analysis.judge.marginal",
                format!(
                    "judge marginal score {} is above pass {}: marginal is the band just under pass",
                    j.marginal, j.pass
                ),
            );
        }
        if let Some(problem) = check::confidence_problem(j.confidence) {
            self.at("analysis.judge.confidence", format!("judge {problem}"));
        }
        for (group, weight) in &j.groups {
            let path = format!("analysis.judge.groups.{group}");
            if !(weight.is_finite() && *weight > 0.0) {
                self.at(
                    &path,
                    format!("judge group `{group}` has weight {weight}: weights must be above 0"),
                );
            }
            if !plan.metrics.iter().any(|m| m.judge.group_name() == group) {
                let used: Vec<&str> = plan.metrics.iter().map(|m| m.judge.group_name()).collect();
                let hint = closest(group, used.iter().copied())
                    .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
                self.at(&path, format!("judge group `{group}` has no metric{hint}"));
            }
        }
        for (i, m) in plan.metrics.iter().enumerate() {
            let path = format!("metrics.{i}.judge");
            let name = &m.name;
            let group = m.judge.group_name();
            if !j.groups.is_empty() && !j.groups.contains_key(group) {
                let at = if m.judge.group.is_some() {
                    format!("{path}.group")
                } else {
                    format!("metrics.{i}.name")
                };
                let groups: Vec<&str> = j.groups.keys().map(String::as_str).collect();
                self.at(
                    &at,
                    format!(
                        "metric `{name}` scores in judge group `{group}`, which has no weight under analysis.judge.groups ({}): set its `judge: {{group: ...}}`",
                        groups.join(", ")
                    ),
                );
            }
            if let Some(problem) = m.judge.tolerance.and_then(check::tolerance_problem) {
                self.at(
                    &format!("{path}.tolerance"),
                    format!("metric `{name}`: judge {problem}"),
                );
            }
            let effect = m.judge.effect;
            for (field, increase, value) in [
                ("allowed_increase", true, m.judge.allowed_increase),
                ("allowed_decrease", false, m.judge.allowed_decrease),
            ] {
                if let Some(problem) = value.and_then(|v| effect.limit_problem(increase, v)) {
                    self.at(&format!("{path}.{field}"), format!("metric `{name}`: judge {problem}"));
                }
            }
            if let Some(Outliers::Factor(k)) = m.judge.outliers
                && let Some(problem) = check::outlier_problem(k)
            {
                self.at(&format!("{path}.outliers"), format!("metric `{name}`: judge {problem}"));
            }
        }
    }
}
