//! Advice on a valid plan: what will probably not behave as its author means. Advice never
//! makes a plan invalid.

use super::Validator;
use crate::plan::schema::{Direction, PlanFile};

impl Validator<'_> {
    /// The judge fails a metric on any significant change in its bad direction unless the
    /// plan says how large a change is acceptable. Canary and baseline drawn alike give a
    /// significant change in a bad direction about once in 100 intervals (once in 50 when
    /// either direction is bad), which over a long release adds up.
    pub(super) fn judge_limits(&mut self, plan: &PlanFile) {
        if plan.analysis.judge.is_none() {
            return;
        }
        for (i, m) in plan.metrics.iter().enumerate() {
            let j = &m.judge;
            if j.min_shift.is_some() {
                continue;
            }
            let direction = j.direction.unwrap_or(m.bad);
            let (missing, change) = match direction {
                Direction::Increase if j.allowed_increase.is_none() => ("allowed_increase", "increase"),
                Direction::Decrease if j.allowed_decrease.is_none() => ("allowed_decrease", "decrease"),
                Direction::Either if j.allowed_increase.is_none() || j.allowed_decrease.is_none() => {
                    ("allowed_increase and allowed_decrease", "change")
                }
                _ => continue,
            };
            // At 98% confidence: one tail in a hundred, both tails one in fifty.
            let rate = match direction {
                Direction::Either => 50,
                _ => 100,
            };
            let critical = if j.critical {
                ", and as a critical metric it then fails the whole interval"
            } else {
                ""
            };
            let example = match direction {
                Direction::Decrease => "allowed_decrease: 0.9 (the canary's mean 10% under the baseline's)",
                _ => "allowed_increase: 1.1 (the canary's mean 10% over the baseline's)",
            };
            let path = if self.locs.contains(&format!("metrics.{i}.judge")) {
                format!("metrics.{i}.judge")
            } else {
                format!("metrics.{i}.name")
            };
            self.warn(
                &path,
                format!(
                    "metric `{}`: the judge fails it on any significant {change}, however small: canary and \
                     baseline alike give one about once in {rate} intervals at 98% confidence{critical}; say how large a change \
                     is acceptable with {missing} (e.g. {example}) or min_shift (e.g. 10%)",
                    m.name
                ),
            );
        }
    }
}
