//! Timing rollbacks, for the rollback benches: from `apply(0)` after `from` until the
//! router returns with 0% acknowledged, over many rounds, reported as median, p99 and max
//! against a p99 budget.

use std::time::{Duration, Instant};

use shipdeck::backend::TrafficRouter;
use shipdeck::plan::Weight;

pub async fn time_rollbacks(router: &mut dyn TrafficRouter, from: Weight, rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        assert_eq!(router.apply(from).await, Ok(from));
        let started = Instant::now();
        let actual = router.apply(Weight::ZERO).await;
        samples.push(started.elapsed());
        assert_eq!(actual, Ok(Weight::ZERO), "rollback not acknowledged");
    }
    samples
}

/// Prints `what` with the figures of `samples` and whether p99 is within `budget`.
pub fn report(what: &str, mut samples: Vec<Duration>, budget: Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
    let (median, p99, max) = (at(0.5), at(0.99), at(1.0));
    let within = at(0.99) < budget.as_secs_f64() * 1e3;
    println!(
        "{what}: median {median:.2} ms, p99 {p99:.2} ms, max {max:.2} ms (budget p99 < {} ms{})",
        budget.as_millis(),
        if within { "" } else { ": OVER BUDGET" }
    );
}
