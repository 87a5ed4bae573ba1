//! Backing off an unreachable Prometheus: after a run of failed requests, queries are
//! skipped for a while (doubling each time a probe fails again) instead of piling up
//! timeouts; the first success ends it.

use std::time::{Duration, Instant};

/// When to start backing off and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Consecutive failures before requests are skipped.
    pub after_failures: u32,
    /// The first pause; each further failure doubles it.
    pub initial: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        BackoffPolicy {
            after_failures: 2,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
        }
    }
}

/// Consecutive failures and the pause they caused.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: BackoffPolicy,
    failures: u32,
    until: Option<Instant>,
    last_error: String,
}

impl Backoff {
    pub fn new(policy: BackoffPolicy) -> Backoff {
        Backoff {
            policy,
            failures: 0,
            until: None,
            last_error: String::new(),
        }
    }

    /// Why a request must not be sent at `now`, or `None` when it may.
    pub fn refusal(&self, now: Instant) -> Option<String> {
        let until = self.until.filter(|until| *until > now)?;
        let left = until - now;
        // Round up: "backing off 0s" would read as "not backing off".
        let secs = left.as_millis().div_ceil(1000);
        // The cause first: on a narrow screen it is what must not be cut.
        let cause = self.last_error.strip_prefix("error: ").unwrap_or(&self.last_error);
        Some(format!("{cause}: prometheus unreachable, next try in {secs}s"))
    }

    /// A request failed at `now`. Failures of requests that were already in flight when
    /// the pause began only update the reason; they do not lengthen the pause.
    pub fn failure(&mut self, now: Instant, error: &str) {
        self.last_error = error.to_string();
        if self.refusal(now).is_some() {
            return;
        }
        self.failures = self.failures.saturating_add(1);
        if let Some(extra) = self.failures.checked_sub(self.policy.after_failures) {
            let pause = self
                .policy
                .initial
                .saturating_mul(2u32.saturating_pow(extra.min(31)))
                .min(self.policy.max);
            self.until = Some(now + pause);
        }
    }

    /// A request reached Prometheus: it is reachable again.
    pub fn success(&mut self) {
        self.failures = 0;
        self.until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BackoffPolicy {
        BackoffPolicy {
            after_failures: 2,
            initial: Duration::from_secs(1),
            max: Duration::from_secs(5),
        }
    }

    #[test]
    fn one_failure_is_tolerated_two_start_a_pause() {
        let t0 = Instant::now();
        let mut b = Backoff::new(policy());
        b.failure(t0, "error: refused");
        assert_eq!(b.refusal(t0), None);
        b.failure(t0, "error: refused");
        assert_eq!(
            b.refusal(t0).as_deref(),
            Some("refused: prometheus unreachable, next try in 1s")
        );
        assert_eq!(b.refusal(t0 + Duration::from_secs(1)), None);
    }

    #[test]
    fn each_failed_probe_doubles_the_pause_up_to_the_cap() {
        let mut now = Instant::now();
        let mut b = Backoff::new(policy());
        b.failure(now, "e");
        let mut pauses = Vec::new();
        for _ in 0..5 {
            b.failure(now, "e");
            let pause = b.until.unwrap() - now;
            pauses.push(pause.as_secs());
            now += pause;
        }
        assert_eq!(pauses, vec![1, 2, 4, 5, 5]);
    }

    #[test]
    fn failures_during_a_pause_do_not_lengthen_it_and_success_ends_it() {
        let t0 = Instant::now();
        let mut b = Backoff::new(policy());
        b.failure(t0, "a");
        b.failure(t0, "b");
        b.failure(t0 + Duration::from_millis(10), "c");
        assert_eq!(b.until, Some(t0 + Duration::from_secs(1)));
        assert!(b.refusal(t0).unwrap().starts_with("c: "));
        b.success();
        assert_eq!(b.refusal(t0), None);
        b.failure(t0, "d");
        assert_eq!(b.refusal(t0), None, "the count starts again after a success");
    }
}
