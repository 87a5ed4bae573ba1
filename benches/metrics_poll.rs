//! Polling cost: 50 metrics (canary and baseline each, so 100 queries) every second
//! against a real Prometheus, through the same task the cockpit runs. Budget: under 5% of
//! one core. Prints figures; run with `cargo bench --bench metrics_poll`.

#[path = "../tests/stack/prometheus.rs"]
mod prometheus;
#[path = "../tests/stack/service.rs"]
mod service;

use std::time::{Duration, Instant};

use prometheus::{Prometheus, scrape_job};
use service::{Behaviour, TestService};
use shipdeck::backend::prometheus::PrometheusMetrics;
use shipdeck::clock::Clock;
use shipdeck::runtime::tasks::metrics_task;

const METRICS: usize = 50;
const WINDOW: Duration = Duration::from_secs(20);

/// (user + system) CPU seconds of this process. The test service runs in this process too,
/// but answering one scrape a second costs it under one 10 ms clock tick over the window.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn plan(url: &str) -> shipdeck::plan::ValidPlan {
    let metrics: String = (0..METRICS)
        .map(|i| {
            format!(
                "  - {{ name: m{i}, canary: 'sum(rate(http_requests_total{{version=\"{{{{version}}}}\"}}[10s])) + {i}', \
                 baseline: 'sum(rate(http_requests_total{{version=\"{{{{version}}}}\"}}[10s])) + {i}' }}\n"
            )
        })
        .collect();
    let text = format!(
        "release: {{ name: poll, version: '1.1.0', stable: '1.0.0', type: patch, owner: {{ name: B }}, on_call: {{ name: B }} }}\n\
         target: {{ router: sim }}\n\
         analysis: {{ interval: 1s, stale_after: 5s, source: prometheus, prometheus: {{ url: '{url}', timeout: 2s, backfill: 0s }} }}\n\
         metrics:\n{metrics}\
         rollback: {{ triggers: [{{ name: t, metric: m0, max: 1000000, action: auto }}] }}\n\
         stages: [{{ name: all, weight: 100, hold: 1m }}]\n"
    );
    shipdeck::plan::parse(&text, "bench").expect("bench plan")
}

fn main() {
    if !prometheus::available() {
        return;
    }
    let service = TestService::start("1.0.0", Behaviour::default());
    let prom = Prometheus::start(&scrape_job("svc", service.addr), Duration::from_secs(1));
    let plan = plan(&prom.url());
    let shipdeck::plan::Source::Prometheus(settings) = &plan.analysis.source else {
        unreachable!("the bench plan reads Prometheus")
    };
    let source = PrometheusMetrics::new(
        settings,
        &plan.release.version,
        &plan.release.stable,
        plan.analysis.interval,
    )
    .expect("source");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4096);
    let (samples, cpu, secs) = runtime.block_on(async move {
        tokio::spawn(metrics_task(
            Box::new(source),
            plan.metrics.clone(),
            Duration::from_secs(1),
            Duration::from_secs(5),
            Clock::new(1.0),
            chrono::Utc::now(),
            tx,
        ));
        // Warm up (connections, first answers), then measure.
        tokio::time::sleep(Duration::from_secs(3)).await;
        while rx.try_recv().is_ok() {}
        let (cpu0, t0) = (cpu_seconds(), Instant::now());
        let mut samples = 0usize;
        let deadline = tokio::time::Instant::now() + WINDOW;
        while let Ok(Some(_)) = tokio::time::timeout_at(deadline, rx.recv()).await {
            samples += 1;
        }
        (samples, cpu_seconds() - cpu0, t0.elapsed().as_secs_f64())
    });
    println!(
        "{METRICS} metrics polled every second against a real prometheus, over {secs:.0}s: {samples} samples, {:.2}% of one core",
        cpu / secs * 100.0
    );
}
