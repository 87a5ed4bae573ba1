//! Budget: the engine handles an event in under 10 µs.

use std::hint::black_box;
use std::sync::Arc;

use chrono::Duration;
use criterion::{Criterion, criterion_group, criterion_main};
use shipdeck::engine::{Event, Observation, Reading};
use shipdeck::sim::{Harness, Scenario};

fn canary_midway() -> Harness {
    let plan = shipdeck::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
    let start = "2026-11-22T10:00:00Z".parse().unwrap();
    let mut h = Harness::new(Arc::new(plan), Scenario::Healthy, 1, start, true);
    h.run_until(3600, |r| r.stage() == 2 && r.hold_remaining().is_some());
    h
}

fn engine(c: &mut Criterion) {
    let h = canary_midway();
    let mut release = h.release.clone();
    let mut now = h.now();
    c.bench_function("engine: metric sample", |b| {
        b.iter(|| {
            now += Duration::milliseconds(10);
            let obs = Observation::Sample {
                metric: 0,
                canary: Reading::Value(0.2),
                baseline: Reading::Value(0.21),
                at: now,
            };
            black_box(release.handle(Event::Observe(obs), now))
        })
    });
    let mut release = h.release.clone();
    let mut now = h.now();
    c.bench_function("engine: tick", |b| {
        b.iter(|| {
            now += Duration::milliseconds(10);
            black_box(release.handle(Event::Tick, now))
        })
    });
}

criterion_group!(benches, engine);
criterion_main!(benches);
