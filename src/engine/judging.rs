//! The canary judge inside the release: which metrics it judges, over which samples, and
//! what it concluded. Pure like the rest of the engine; the statistics are in
//! `analysis::judge`.

use chrono::{DateTime, Duration, Utc};

use super::release::MetricState;
use super::series::Series;
use crate::analysis::judge::score::{self, Outcome, Score, Scored, Thresholds};
use crate::analysis::judge::{self, Classification, EffectKind, JudgeConfig, NanStrategy, Verdict};
use crate::plan::{self, EffectMeasure, JudgeSettings, Metric, NanHandling, Plan, SAMPLES_KEPT};

/// One judged interval.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub at: DateTime<Utc>,
    /// The stage it was made at, and the samples' time range.
    pub stage: usize,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub score: Score,
    /// Per plan metric; `None` for a metric the stage does not analyse.
    pub metrics: Vec<Option<Verdict>>,
}

impl Judgement {
    pub fn outcome(&self) -> Outcome {
        self.score.outcome
    }
}

/// The judge's state over a release.
#[derive(Debug, Clone)]
pub struct JudgeRun {
    pub settings: JudgeSettings,
    configs: Vec<JudgeConfig>,
    /// When the next interval is judged, while the current stage is judged.
    pub next_at: Option<DateTime<Utc>>,
    pub last: Option<Judgement>,
    /// Score of every judged interval, for the sparkline.
    pub scores: Series,
    /// A marginal or failing verdict holds the stage until the operator acts.
    pub latch: Option<Latch>,
    /// The outcome of the previous interval at this weight: the log records changes.
    pub previous_outcome: Option<Outcome>,
}

/// The verdict that holds the stage, as it was when it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Latch {
    pub outcome: Outcome,
    pub score: f64,
    pub reason: String,
}

impl JudgeRun {
    /// The plan's judge, if it has one.
    pub fn of(plan: &Plan) -> Option<JudgeRun> {
        let settings = plan.analysis.judge.clone()?;
        let configs = plan.metrics.iter().map(|m| config_for(m, &settings)).collect();
        Some(JudgeRun {
            settings,
            configs,
            next_at: None,
            last: None,
            scores: Series::new(SAMPLES_KEPT),
            latch: None,
            previous_outcome: None,
        })
    }

    /// The judgement made at stage `stage` since `since`, if any.
    pub fn current(&self, stage: usize, since: Option<DateTime<Utc>>) -> Option<&Judgement> {
        self.last
            .as_ref()
            .filter(|j| j.stage == stage && since.is_some_and(|s| j.from >= s))
    }

    /// Judges the samples from `from` to `to` of the metrics `analysed` says. A side whose
    /// newest value is older than `stale_after` at `to` has gone quiet: its older samples
    /// must not pass the interval, so the metric is no data.
    #[allow(clippy::too_many_arguments)]
    pub fn judge(
        &mut self,
        plan: &Plan,
        metrics: &[MetricState],
        analysed: impl Fn(usize) -> bool,
        stage: usize,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        stale_after: Duration,
    ) -> &Judgement {
        let min = self.settings.min_samples;
        let verdicts: Vec<Option<Verdict>> = metrics
            .iter()
            .enumerate()
            .map(|(i, state)| {
                analysed(i).then(|| {
                    let control = state.baseline.values_between(from, to);
                    let experiment = state.canary.values_between(from, to);
                    let verdict = judge::judge(&control, &experiment, &self.configs[i]);
                    let quiet = [("baseline", &state.baseline), ("canary", &state.canary)]
                        .into_iter()
                        .find(|(_, series)| series.newest_value_at().is_none_or(|at| to - at > stale_after));
                    match quiet {
                        Some((side, series)) => {
                            gone_quiet(verdict, side, series.newest_value_at(), to, &self.configs[i])
                        }
                        None => with_enough_samples(verdict, min, &self.configs[i]),
                    }
                })
            })
            .collect();
        let scored: Vec<Scored> = verdicts
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                let metric = &plan.metrics[i];
                v.as_ref().map(|v| Scored {
                    name: &metric.name,
                    group: metric.judge.group_name(),
                    critical: metric.judge.critical,
                    classification: v.classification,
                })
            })
            .collect();
        let thresholds = Thresholds {
            pass: self.settings.pass,
            marginal: self.settings.marginal,
        };
        let score = score::score(&scored, &self.settings.groups, thresholds);
        self.scores.push(to, Some(score.score));
        self.last.insert(Judgement {
            at: to,
            stage,
            from,
            to,
            score,
            metrics: verdicts,
        })
    }
}

/// A side with fewer than `min` usable samples is no data (an error when the metric must
/// have data): a test on a handful of points would decide on noise.
fn with_enough_samples(mut v: Verdict, min: usize, cfg: &JudgeConfig) -> Verdict {
    let short = [("baseline", v.control.n), ("canary", v.experiment.n)]
        .into_iter()
        .find(|(_, n)| *n < min);
    if let Some((side, n)) = short
        && !matches!(v.classification, Classification::NoData | Classification::Error)
    {
        v.classification = if cfg.must_have_data {
            Classification::Error
        } else {
            Classification::NoData
        };
        v.reason = format!("{side} has {n} samples in the window, {min} needed");
    }
    v
}

/// A side that has not answered for longer than `stale_after` is no data (an error when the
/// metric must have data), whatever its older samples say.
fn gone_quiet(
    mut v: Verdict,
    side: &str,
    newest: Option<DateTime<Utc>>,
    to: DateTime<Utc>,
    cfg: &JudgeConfig,
) -> Verdict {
    if v.classification != Classification::Error {
        v.classification = if cfg.must_have_data {
            Classification::Error
        } else {
            Classification::NoData
        };
    }
    v.reason = match newest {
        Some(at) => format!("{side} data stale: newest value {}s old", (to - at).num_seconds()),
        None => format!("{side} has no value yet"),
    };
    v
}

/// The statistics settings of one metric.
pub fn config_for(metric: &Metric, settings: &JudgeSettings) -> JudgeConfig {
    let j = &metric.judge;
    let direction = match j.direction.unwrap_or(metric.bad) {
        plan::Direction::Increase => judge::Direction::Increase,
        plan::Direction::Decrease => judge::Direction::Decrease,
        plan::Direction::Either => judge::Direction::Either,
    };
    let defaults = JudgeConfig::default();
    JudgeConfig {
        direction,
        nan: match j.nan {
            NanHandling::Remove => NanStrategy::Remove,
            NanHandling::Replace => NanStrategy::Replace,
        },
        must_have_data: j.must_have_data,
        outlier_factor: j.outliers.and_then(|o| o.factor()),
        effect: match j.effect {
            EffectMeasure::MeanRatio => EffectKind::MeanRatio,
            EffectMeasure::Cles => EffectKind::Cles,
        },
        allowed_increase: j.allowed_increase,
        allowed_decrease: j.allowed_decrease,
        tolerance: j.tolerance.unwrap_or(defaults.tolerance),
        confidence: settings.confidence,
        ..defaults
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::judge::SampleSummary;

    #[test]
    fn too_few_samples_is_no_data_or_an_error() {
        let v = Verdict {
            classification: Classification::Pass,
            p_value: Some(0.5),
            estimate: Some(0.0),
            ci: Some((-1.0, 1.0)),
            effect_size: Some(1.0),
            control: SampleSummary {
                n: 12,
                ..SampleSummary::default()
            },
            experiment: SampleSummary {
                n: 4,
                ..SampleSummary::default()
            },
            reason: String::new(),
        };
        let cfg = JudgeConfig::default();
        let short = with_enough_samples(v.clone(), 10, &cfg);
        assert_eq!(short.classification, Classification::NoData);
        assert_eq!(short.reason, "canary has 4 samples in the window, 10 needed");
        let strict = JudgeConfig {
            must_have_data: true,
            ..cfg.clone()
        };
        assert_eq!(
            with_enough_samples(v.clone(), 10, &strict).classification,
            Classification::Error
        );
        assert_eq!(with_enough_samples(v, 4, &cfg).classification, Classification::Pass);
    }
}
