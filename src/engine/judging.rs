//! The canary judge inside the release: which metrics it judges, over which samples, and
//! what it concluded. Pure like the rest of the engine; the statistics are in
//! `analysis::judge`.

use std::ops::Bound::Excluded;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};

use super::metric::MetricState;
use super::phase::PhaseName;
use super::series::Series;
use crate::analysis::judge::score::{self, Outcome, Score, Scored, Thresholds};
use crate::analysis::judge::{self, Classification, JudgeConfig, NanStrategy, Verdict};
use crate::plan::{JudgeSettings, Metric, Plan, SAMPLES_KEPT};

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
    /// Per plan metric, the samples each verdict was made on, as the judge prepared them
    /// (sorted, after the NaN strategy and outlier fences): the analysis view draws these.
    pub samples: Vec<Option<JudgedSamples>>,
}

/// What one metric's verdict was made on.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JudgedSamples {
    pub canary: Vec<f64>,
    pub baseline: Vec<f64>,
}

impl Judgement {
    pub fn outcome(&self) -> Outcome {
        self.score.outcome
    }
}

/// Where the judge stands for the current stage (or one metric of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeState {
    /// The plan has no `analysis.judge`.
    Off,
    /// Rolled back, rolling back or aborted: nothing left to judge.
    Stopped(PhaseName),
    /// No canary traffic to compare (0%).
    AtZero,
    /// No baseline traffic to compare (100%, promoted).
    AtFull,
    /// The current stage does not analyse the metric (or any metric).
    NotAnalysed,
    /// The stage's weight is not in place yet.
    NotHolding,
    /// Judging: the next interval is judged then.
    Next(DateTime<Utc>),
}

/// The values of `series` an interval from `from` to `to` judges: those taken after `from`
/// and before `to`. The judgement is made on the first event at `to`; leaving that instant
/// out keeps every metric's sample of it out, whichever metric's sample came first.
pub fn window_values(series: &Series, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<f64> {
    series.values_in((Excluded(from), Excluded(to)))
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
    /// newest value in the window is older than `stale_after` at `to` has gone quiet: its
    /// older samples must not pass the interval, so the metric is no data.
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
        let configs = &self.configs;
        let judge_one = |i: usize| {
            let state = &metrics[i];
            let control = window_values(&state.baseline, from, to);
            let experiment = window_values(&state.canary, from, to);
            let judged = judge::judge_keeping_samples(&control, &experiment, &configs[i]);
            let samples = JudgedSamples {
                canary: judged.experiment,
                baseline: judged.control,
            };
            let verdict = judged.verdict;
            // Values the NaN strategy drops do not keep a side fresh: a canary answering
            // only NaN or ±Inf has stopped giving the judge anything.
            let finite = configs[i].nan == NanStrategy::Remove;
            let quiet = [("baseline", &state.baseline), ("canary", &state.canary)]
                .into_iter()
                .map(|(side, series)| (side, series.newest_value_at(finite, from)))
                .find(|(_, newest)| newest.is_none_or(|at| to - at > stale_after));
            let verdict = match quiet {
                Some((side, newest)) => gone_quiet(verdict, side, newest, to, finite, &configs[i]),
                None => with_enough_samples(verdict, min, &configs[i]),
            };
            (verdict, samples)
        };
        let chosen: Vec<usize> = (0..metrics.len()).filter(|&i| analysed(i)).collect();
        let points: usize = chosen
            .iter()
            .map(|&i| metrics[i].baseline.len() + metrics[i].canary.len())
            .sum();
        let threads = if points >= PARALLEL_FROM_SAMPLES {
            MAX_THREADS
        } else {
            1
        };
        let mut verdicts: Vec<Option<Verdict>> = vec![None; metrics.len()];
        let mut samples: Vec<Option<JudgedSamples>> = vec![None; metrics.len()];
        for (i, (verdict, kept)) in chosen.iter().zip(map_on_threads(&chosen, threads, judge_one)) {
            verdicts[*i] = Some(verdict);
            samples[*i] = Some(kept);
        }
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
            samples,
        })
    }
}

/// Judging one interval of 50 metrics of 600 samples a side takes about 5 ms on one core:
/// from this many samples in the interval, the metrics are split over threads.
const PARALLEL_FROM_SAMPLES: usize = 8_000;
/// Each thread costs a spawn (tens of µs); beyond a few, the split no longer pays.
const MAX_THREADS: usize = 4;

/// `f` over `items` in order, on up to `threads` scoped threads (fewer when the machine has
/// fewer cores). Each thread takes the next item when it is free, so a slow metric or a
/// thread the machine delays does not hold the others back. The judgement is the same
/// whatever the split: each item is independent.
fn map_on_threads<T: Send>(items: &[usize], threads: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = threads.min(cores).min(items.len()).max(1);
    if threads == 1 {
        return items.iter().map(|&i| f(i)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(&item) = items.get(k) else { break };
            done.push((k, f(item)));
        }
        done
    };
    let mut done = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for handle in others {
            match handle.join() {
                Ok(part) => done.extend(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, value)| value).collect()
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
    finite: bool,
    cfg: &JudgeConfig,
) -> Verdict {
    if v.classification != Classification::Error {
        v.classification = if cfg.must_have_data {
            Classification::Error
        } else {
            Classification::NoData
        };
    }
    let value = if finite { "finite value" } else { "value" };
    v.reason = match newest {
        Some(at) => format!("{side} data stale: newest {value} {}s old", (to - at).num_seconds()),
        None => format!("{side} has no {value} in the window"),
    };
    v
}

/// The statistics settings of one metric.
pub fn config_for(metric: &Metric, settings: &JudgeSettings) -> JudgeConfig {
    let j = &metric.judge;
    let defaults = JudgeConfig::default();
    JudgeConfig {
        direction: j.direction.unwrap_or(metric.bad),
        nan: j.nan,
        must_have_data: j.must_have_data,
        outlier_factor: j.outliers.and_then(|o| o.factor()),
        effect: j.effect,
        allowed_increase: j.allowed_increase,
        allowed_decrease: j.allowed_decrease,
        tolerance: j.tolerance.unwrap_or(defaults.tolerance),
        min_shift: j.min_shift,
        confidence: settings.confidence,
        ..defaults
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::judge::SampleSummary;

    #[test]
    fn metrics_split_over_threads_come_back_in_order() {
        for n in 0..10 {
            let items: Vec<usize> = (0..n).map(|i| i * 3).collect();
            for threads in 1..=4 {
                let out = map_on_threads(&items, threads, |i| i + 1);
                let expected: Vec<usize> = items.iter().map(|i| i + 1).collect();
                assert_eq!(out, expected, "{n} items on {threads} threads");
            }
        }
        // With two cores, the first item waits for the second: only a second thread can
        // judge it in the meantime.
        if std::thread::available_parallelism().map_or(1, |n| n.get()) >= 2 {
            let (done, second) = std::sync::mpsc::channel();
            let second = std::sync::Mutex::new(second);
            let waited = map_on_threads(&[0, 1], 2, |i| match i {
                0 => second
                    .lock()
                    .unwrap()
                    .recv_timeout(std::time::Duration::from_secs(10))
                    .is_ok(),
                _ => done.send(()).is_ok(),
            });
            assert_eq!(waited, [true, true], "the two items were judged side by side");
        }
    }

    #[test]
    fn too_few_samples_is_no_data_or_an_error() {
        let v = Verdict {
            classification: Classification::Pass,
            p_value: Some(0.5),
            estimate: Some(0.0),
            ci: Some((-1.0, 1.0)),
            effect_size: Some(1.0),
            band: None,
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
