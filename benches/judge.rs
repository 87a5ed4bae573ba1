//! Budget: one analysis interval, 50 metrics with 600 samples per side, judged in under 5 ms,
//! preparation (sorting) included. `judge: engine interval` measures what a release does: the
//! engine takes each metric's window out of its series and judges the metrics on up to four
//! threads. The other cases measure the statistics alone, on one thread.
//!
//! The interval mixes latency-like metrics (around 200 with noise and a tail), error-rate-like
//! metrics (around 0.5, quantised, so with many ties, and some zeros) and a few metrics whose
//! canary is shifted. Run with `cargo bench --bench judge`.

use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use shipdeck::analysis::judge::{Classification, JudgeConfig, judge};
use shipdeck::engine::{Actor, Command, Effect, Event, Observation, Reading, Release};

const METRICS: usize = 50;
const SAMPLES: usize = 600;

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly normal (sum of four uniforms), mean 0, standard deviation 1.
    fn normal(&mut self) -> f64 {
        let s: f64 = (0..4).map(|_| self.unit()).sum();
        (s - 2.0) * 3f64.sqrt()
    }
}

struct Metric {
    control: Vec<f64>,
    experiment: Vec<f64>,
}

/// Latency in ms: about 200, spread 20, one sample in fifty in a slow tail.
fn latency(rng: &mut Rng, shift: f64) -> Vec<f64> {
    (0..SAMPLES)
        .map(|_| {
            let tail = if rng.unit() < 0.02 { 300.0 * rng.unit() } else { 0.0 };
            (200.0 + shift + 20.0 * rng.normal() + tail).max(1.0)
        })
        .collect()
}

/// Error rate in percent: about 0.5, in steps of 0.01 (many ties), a tenth of the samples 0.
fn error_rate(rng: &mut Rng, shift: f64) -> Vec<f64> {
    (0..SAMPLES)
        .map(|_| {
            if rng.unit() < 0.1 {
                0.0
            } else {
                ((0.5 + shift + 0.15 * rng.normal()).max(0.0) * 100.0).round() / 100.0
            }
        })
        .collect()
}

fn interval() -> Vec<Metric> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..METRICS)
        .map(|m| {
            let errors = m % 3 == 2;
            // Every tenth metric regresses on the canary.
            let shifted = m % 10 == 7 || m % 10 == 8;
            let shift = match (shifted, errors) {
                (false, _) => 0.0,
                (true, false) => 60.0,
                (true, true) => 0.4,
            };
            let sample = |rng: &mut Rng, s: f64| if errors { error_rate(rng, s) } else { latency(rng, s) };
            Metric {
                control: sample(&mut rng, 0.0),
                experiment: sample(&mut rng, shift),
            }
        })
        .collect()
}

fn judge_interval(c: &mut Criterion) {
    let metrics = interval();
    let cfg = JudgeConfig::default();
    let high = metrics
        .iter()
        .filter(|m| judge(&m.control, &m.experiment, &cfg).classification == Classification::High)
        .count();
    assert!(high >= 4, "the shifted canaries are judged High ({high} of {METRICS})");
    c.bench_function("judge: interval of 50 metrics, 600/600 samples", |b| {
        b.iter(|| {
            for m in &metrics {
                black_box(judge(black_box(&m.control), black_box(&m.experiment), &cfg));
            }
        })
    });
    let latency = &metrics[0];
    c.bench_function("judge: one latency metric, 600/600", |b| {
        b.iter(|| black_box(judge(black_box(&latency.control), black_box(&latency.experiment), &cfg)))
    });
    let errors = &metrics[2];
    c.bench_function("judge: one error-rate metric (ties), 600/600", |b| {
        b.iter(|| black_box(judge(black_box(&errors.control), black_box(&errors.experiment), &cfg)))
    });
}

/// A plan judging `METRICS` metrics every 10 minutes over 10 minutes, sampled every second.
fn plan() -> String {
    let metrics: String = (0..METRICS)
        .map(|m| format!("  - {{ name: m{m}, canary: c{m}, baseline: b{m} }}\n"))
        .collect();
    format!(
        r#"release: {{ name: api, version: "2.0.0", stable: "1.9.0", type: minor, owner: {{ name: Ana }}, on_call: {{ name: Sam }} }}
target: {{ router: sim }}
analysis:
  interval: 1s
  stale_after: 30s
  judge: {{ every: 10m, window: 10m, on_fail: ask }}
metrics:
{metrics}rollback: {{ triggers: [{{ name: meltdown, metric: m0, max: 100000, for: 1m, action: auto }}] }}
approvals: [lead]
stages: [{{ name: quarter, weight: 25, hold: 20m }}, {{ name: full, weight: 100, hold: 1m }}]
"#
    )
}

/// Handles an event, confirming every weight at once as a live router would.
fn send(release: &mut Release, event: Event, now: DateTime<Utc>) {
    let mut fx = release.handle(event, now);
    while let Some(effect) = fx.pop() {
        if let Effect::SetWeight(w) = effect {
            fx.extend(release.handle(Event::Observe(Observation::WeightApplied { actual: w }), now));
        }
    }
}

/// A release holding at 25% with 600 samples a side of every metric, its judgement due.
fn release_before_judgement() -> (Release, DateTime<Utc>) {
    let plan = shipdeck::plan::parse(&plan(), "bench").expect("bench plan parses");
    let start = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
    let (mut release, _) = Release::new(Arc::new(plan), start);
    let ana = Actor::person("ana", None);
    send(
        &mut release,
        Event::Command(Command::Approve { role: "lead".into() }, ana),
        start,
    );
    let metrics = interval();
    // Half a second after each whole second, so all 600 lie inside the window that ends at
    // the judgement, 600 s after the weight was applied.
    for k in 0..SAMPLES {
        let at = start + Duration::milliseconds(1000 * k as i64 + 500);
        for (m, metric) in metrics.iter().enumerate() {
            let sample = Observation::Sample {
                metric: m,
                canary: Reading::Value(metric.experiment[k]),
                baseline: Reading::Value(metric.control[k]),
                at,
            };
            send(&mut release, Event::Observe(sample), at);
        }
    }
    assert!(release.stage_judgement().is_none(), "not judged before the bench");
    (release, start + Duration::seconds(SAMPLES as i64))
}

fn judge_engine_interval(c: &mut Criterion) {
    let (release, due) = release_before_judgement();
    let mut judged = release.clone();
    judged.handle(Event::Tick, due);
    let judgement = judged
        .stage_judgement()
        .expect("the tick at 10 minutes judges the interval");
    let counts: Vec<usize> = judgement
        .metrics
        .iter()
        .flatten()
        .map(|v| v.experiment.n.min(v.control.n))
        .collect();
    assert_eq!(counts, vec![SAMPLES; METRICS], "every metric judged on 600/600 samples");
    c.bench_function("judge: engine interval, 50 metrics, 600/600 samples", |b| {
        b.iter_batched(
            || release.clone(),
            |mut release| black_box(release.handle(Event::Tick, due)),
            BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, judge_engine_interval, judge_interval);
criterion_main!(benches);
