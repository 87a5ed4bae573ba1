//! One live sample of a metric: what it counts for (see `evidence`), and the gates it
//! moves. The rollback triggers it feeds are `triggers`'.

use std::ops::Bound::{Excluded, Included};

use chrono::{DateTime, Utc};

use super::Release;
use crate::analysis::bounds::BaselineStats;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::{Actor, Reading};
use crate::engine::evidence::{self, Standing};
use crate::engine::gate::GateStatus;
use crate::engine::phase::PhaseName;
use crate::engine::release::gate_label;
use crate::plan::Weight;

impl Release {
    pub(in crate::engine) fn on_sample(
        &mut self,
        metric: usize,
        canary: Reading,
        baseline: Reading,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let Some(state) = self.metrics.get_mut(metric) else {
            return;
        };
        match evidence::standing(at, self.started_at, state.last_at, now) {
            Standing::Live => {}
            Standing::History | Standing::Late => return state.keep(at, canary.raw(), baseline.raw()),
            Standing::Ahead => {
                if !std::mem::replace(&mut state.ahead_reported, true) {
                    let msg = format!(
                        "a sample of {} is stamped {}s after the engine's clock: not used (is a clock wrong?)",
                        self.plan.metrics[metric].name,
                        (at - now).num_seconds()
                    );
                    self.record(fx, now, Actor::system(), EventKind::GateWarning, msg);
                }
                return;
            }
        }
        let canary_value = match &canary {
            Reading::Value(v) if v.is_finite() => Ok(*v),
            Reading::Value(v) => Err(format!("value is {v}")),
            Reading::NoData(why) => Err(why.clone()),
        };
        let baseline_value = baseline.value();
        state.take_live(at, canary, baseline);
        // Once per sample, for every gate and trigger on this metric.
        let baseline_stats = self.baseline_stats(metric, baseline_value, at);
        self.evaluate_gates(metric, &canary_value, &baseline_stats, at, now, fx);
        self.evaluate_triggers(metric, &canary_value, &baseline_stats, at, now, fx);
    }

    /// The gates on `metric` take a live sample taken at `at`: only one of the current
    /// weight, only while the release is in flight.
    fn evaluate_gates(
        &mut self,
        metric: usize,
        canary_value: &Result<f64, String>,
        baseline_stats: &BaselineStats,
        at: DateTime<Utc>,
        now: DateTime<Utc>,
        fx: &mut Vec<Effect>,
    ) {
        let bad = self.plan.metrics[metric].bad;
        // Gates judge only samples taken at the current weight, and only while the release
        // is in flight: after promotion or a rollback there is no canary to judge.
        let in_flight = matches!(
            self.phase,
            PhaseName::Pending | PhaseName::Running | PhaseName::Held | PhaseName::Paused
        );
        let fresh = in_flight && self.moments.for_gates(at);

        for g in 0..self.plan.gates.len() {
            if self.gate_metric[g] != Some(metric) || !fresh || !self.gate_analysed(g) || self.desired == Weight::ZERO {
                continue;
            }
            let gate = &self.plan.gates[g];
            let Some(bounds) = self.judgeable(gate.bounds()) else {
                continue;
            };
            let before = self.gates[g].status;
            let value = canary_value.as_ref().map(|v| *v).map_err(String::as_str);
            if self.gates[g].observe(&bounds, bad, gate.sustain.as_secs(), value, baseline_stats, at) {
                let label = gate_label(&self.plan, g);
                let after = &self.gates[g];
                let msg = format!(
                    "gate {label}: {} -> {} ({})",
                    before.label(),
                    after.status.label(),
                    after.detail
                );
                let kind = match after.status {
                    GateStatus::Fail => EventKind::GateFailed,
                    GateStatus::Warn | GateStatus::NoData | GateStatus::Stale => EventKind::GateWarning,
                    _ => EventKind::GateChanged,
                };
                self.record(fx, now, Actor::system(), kind, msg);
            }
        }
    }

    /// What `metric`'s gates and triggers compare a sample taken at `at` with: the
    /// baseline's value in it, and, when a sigma band watches the metric, the mean and
    /// standard deviation of the baseline's values over `analysis.baseline_history`.
    pub(in crate::engine) fn baseline_stats(
        &self,
        metric: usize,
        latest: Option<f64>,
        at: DateTime<Utc>,
    ) -> BaselineStats {
        let on_metric = |m: &Option<usize>| *m == Some(metric);
        let mut gates = self.gate_metric.iter().zip(&self.plan.gates);
        let mut triggers = self.trigger_metric.iter().zip(&self.plan.rollback.triggers);
        let sigma_used = gates.any(|(m, g)| on_metric(m) && g.sigma.is_some())
            || triggers.any(|(m, t)| on_metric(m) && t.sigma.is_some());
        if !sigma_used {
            return BaselineStats::latest_only(latest);
        }
        let history = self.plan.analysis.baseline_history;
        let values = self.metrics[metric]
            .baseline
            .values_in((Excluded(at - history.to_chrono()), Included(at)));
        BaselineStats::new(latest, values, history)
    }
}
