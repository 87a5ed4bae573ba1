//! Rollback latency through a real haproxy: from calling `apply(0)` (after 50%) until it
//! returns with the weights read back. Budget: p99 under 50 ms on loopback. Prints
//! figures; run with `cargo bench --bench haproxy_rollback`.

#[path = "../tests/stack/haproxy.rs"]
mod haproxy;

use std::time::{Duration, Instant};

use haproxy::{Haproxy, Server};
use shipdeck::backend::TrafficRouter;
use shipdeck::backend::haproxy::HaproxyRouter;
use shipdeck::plan::{HaproxyTarget, Weight};

const ROUNDS: usize = 200;
const BUDGET_P99: Duration = Duration::from_millis(50);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    if !haproxy::available() {
        return;
    }
    // Weights need no live servers: nothing is health-checked and no request is sent.
    let nowhere = "127.0.0.1:9".parse().unwrap();
    let haproxy = Haproxy::start(&[Server::new("stable1", nowhere, 100), Server::new("canary1", nowhere, 0)]);
    let mut router = HaproxyRouter::new(&HaproxyTarget {
        socket: haproxy.socket.to_str().unwrap().to_string(),
        backend: haproxy::BACKEND.to_string(),
        stable: vec!["stable1".into()],
        canary: vec!["canary1".into()],
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let half = Weight::new(50).unwrap();

    let mut samples = Vec::with_capacity(ROUNDS);
    runtime.block_on(async {
        for _ in 0..ROUNDS {
            assert_eq!(router.apply(half).await, Ok(half));
            let started = Instant::now();
            let actual = router.apply(Weight::ZERO).await;
            samples.push(started.elapsed());
            assert_eq!(actual, Ok(Weight::ZERO), "rollback not acknowledged");
        }
    });
    samples.sort();
    let (median, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
    println!(
        "haproxy rollback (apply 0 after 50, read back, unix socket, {ROUNDS} rounds): median {:.2} ms, p99 {:.2} ms, max {:.2} ms (budget p99 < {} ms{})",
        median.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        samples[samples.len() - 1].as_secs_f64() * 1e3,
        BUDGET_P99.as_millis(),
        if p99 < BUDGET_P99 { "" } else { ": OVER BUDGET" }
    );
}
