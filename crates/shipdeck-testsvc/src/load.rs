//! A bounded load generator for loopback targets, on reqwest.
//!
//! It sends exactly `round(rps * duration)` GET requests (fewer only when it falls behind), the
//! `i`-th due at `i / rps` seconds after the start, from `concurrency` workers sharing a pool
//! of keep-alive connections. A request is never started more than [`LATE_LIMIT`] after the end
//! of the duration (later ones are counted as skipped) and none takes longer than the timeout,
//! so a run always ends by `duration + LATE_LIMIT + timeout`, whatever the target does.

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::background::Background;
use crate::target::Target;

/// How far behind schedule a request may start before it is skipped instead.
pub const LATE_LIMIT: Duration = Duration::from_secs(1);

const MAX_RPS: f64 = 100_000.0;
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
const MAX_CONCURRENCY: usize = 1024;

/// What to send, how fast and for how long.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    pub target: Target,
    pub rps: f64,
    pub duration: Duration,
    pub concurrency: usize,
    /// Longest a single request (connect, send, receive) may take.
    pub timeout: Duration,
}

impl LoadPlan {
    /// Checks the numbers are sensible; the message says which is not.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.rps > 0.0 && self.rps <= MAX_RPS) {
            return Err(format!("--rps must be above 0 and at most {MAX_RPS}, got {}", self.rps));
        }
        if self.duration.is_zero() || self.duration > MAX_DURATION {
            return Err(format!(
                "--duration must be above 0 and at most 24h, got {:?}",
                self.duration
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(format!(
                "--concurrency must be within 1..={MAX_CONCURRENCY}, got {}",
                self.concurrency
            ));
        }
        if self.timeout.is_zero() {
            return Err("--timeout must be above 0".to_string());
        }
        if self.total() == 0 {
            return Err("--rps times --duration gives no request at all".to_string());
        }
        Ok(())
    }

    /// How many requests the run sends: `round(rps * duration)`.
    pub fn total(&self) -> u64 {
        (self.rps * self.duration.as_secs_f64()).round() as u64
    }
}

/// The outcome of a run. `sent = ok + server_errors + other + errors`; `skipped` requests were
/// never sent because the generator fell too far behind schedule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub sent: u64,
    /// 2xx responses.
    pub ok: u64,
    /// 5xx responses.
    pub server_errors: u64,
    /// Any other status.
    pub other: u64,
    /// No response: refused, reset, malformed or timed out.
    pub errors: u64,
    pub skipped: u64,
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sent={} 2xx={} 5xx={} other={} errors={} skipped={} elapsed={:.2}s",
            self.sent,
            self.ok,
            self.server_errors,
            self.other,
            self.errors,
            self.skipped,
            self.elapsed.as_secs_f64()
        )
    }
}

/// A plan with the client that carries it out.
#[derive(Debug, Clone)]
pub struct Load {
    plan: Arc<LoadPlan>,
    client: reqwest::Client,
    url: reqwest::Url,
}

impl Load {
    /// Prepares the client for a plan; call [`LoadPlan::validate`] first.
    pub fn new(plan: LoadPlan) -> Result<Load, String> {
        let url = reqwest::Url::parse(&plan.target.url()).map_err(|e| format!("target {}: {e}", plan.target.url()))?;
        let mut client = reqwest::Client::builder()
            // An http_proxy in the environment must not carry loopback load elsewhere.
            .no_proxy()
            .timeout(plan.timeout)
            .pool_max_idle_per_host(plan.concurrency)
            .tcp_nodelay(true)
            .user_agent("shipdeck-testsvc");
        if let Some(name) = url.domain() {
            // `localhost` goes to the address parse_target chose, not through a resolver.
            client = client.resolve(name, plan.target.addr);
        }
        let client = client
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Load {
            plan: Arc::new(plan),
            client,
            url,
        })
    }

    /// Runs the plan to completion.
    pub async fn run(self) -> Summary {
        let next = Arc::new(AtomicU64::new(0));
        let tally = Arc::new(Mutex::new(Summary::default()));
        let start = Instant::now();
        let workers: Vec<_> = (0..self.plan.concurrency)
            .map(|_| tokio::spawn(self.clone().worker(Arc::clone(&next), Arc::clone(&tally), start)))
            .collect();
        for w in workers {
            // A worker only ends by returning; a panic would be a bug worth seeing.
            w.await.expect("load worker panicked");
        }
        let mut summary = tally.lock().unwrap_or_else(|p| p.into_inner()).clone();
        summary.elapsed = start.elapsed();
        summary
    }

    /// Runs the plan on a thread of its own until it ends or the result is dropped: load for
    /// a test to keep up while it watches something else.
    pub fn spawn(self) -> io::Result<Background> {
        Background::spawn("load", move || async move {
            self.run().await;
        })
    }

    async fn worker(self, next: Arc<AtomicU64>, tally: Arc<Mutex<Summary>>, start: Instant) {
        let plan = &self.plan;
        let total = plan.total();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= total {
                return;
            }
            let due = start + Duration::from_secs_f64(i as f64 / plan.rps);
            if Instant::now() > start + plan.duration + LATE_LIMIT {
                tally.lock().unwrap_or_else(|p| p.into_inner()).skipped += 1;
                continue;
            }
            tokio::time::sleep_until(due.into()).await;
            let outcome = self.exchange().await;
            let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
            t.sent += 1;
            match outcome {
                Ok(status) if (200..300).contains(&status) => t.ok += 1,
                Ok(status) if (500..600).contains(&status) => t.server_errors += 1,
                Ok(_) => t.other += 1,
                // Refused, reset, malformed or over the client's timeout.
                Err(_) => t.errors += 1,
            }
        }
    }

    /// One request and its whole response; the client's timeout bounds both.
    async fn exchange(&self) -> Result<u16, reqwest::Error> {
        let response = self.client.get(self.url.clone()).send().await?;
        let status = response.status().as_u16();
        // Read to the end, so the connection goes back to the pool for the next request.
        response.bytes().await?;
        Ok(status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::parse_target;

    #[test]
    fn plan_totals_are_rounded_and_checked() {
        let plan = LoadPlan {
            target: parse_target("http://127.0.0.1:1/").unwrap(),
            rps: 50.0,
            duration: Duration::from_secs(2),
            concurrency: 8,
            timeout: Duration::from_secs(5),
        };
        assert_eq!(plan.total(), 100);
        assert!(plan.validate().is_ok());
        let tiny = LoadPlan {
            rps: 0.1,
            duration: Duration::from_secs(1),
            ..plan.clone()
        };
        assert!(tiny.validate().unwrap_err().contains("no request"));
        let none = LoadPlan { concurrency: 0, ..plan };
        assert!(none.validate().is_err());
    }
}
