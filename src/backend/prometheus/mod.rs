//! Metrics from Prometheus's HTTP API: each metric's canary and baseline queries (with
//! `{{version}}` filled in) as instant queries per sample, and as range queries once at
//! start to backfill the sparklines. Anything but one number is `NoData` with its reason.
//!
//! ```text
//! mod.rs          PrometheusMetrics: the MetricsSource, and the queries a plan resolves to
//! client.rs       HTTP: timeout, requests in flight, backoff, scrubbed messages
//! credentials.rs  bearer or basic auth read from an environment variable or a file
//! response.rs     the API's JSON and what each kind of result means
//! backfill.rs     the range window and lining canary up with baseline
//! backoff.rs      pausing while Prometheus is unreachable
//! ```

mod backfill;
mod backoff;
mod client;
mod credentials;
mod response;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::FutureExt;
use futures::future::{BoxFuture, join_all};

pub use backoff::BackoffPolicy;

use self::backfill::Window;
use self::client::Client;
use self::credentials::Credentials;
use super::{MetricsSource, SetupError};
use crate::engine::{History, PastPoint, Reading};
use crate::plan::{Metric, PrometheusSource, Span};

/// The Prometheus metrics source. Clones share one HTTP client, one bound on requests in
/// flight and one backoff, so several tasks may sample through it at once.
#[derive(Clone)]
pub struct PrometheusMetrics {
    client: Arc<Client>,
    canary_version: String,
    stable_version: String,
    interval: Span,
    backfill: Span,
}

impl PrometheusMetrics {
    /// Builds the source for a plan's `analysis.prometheus`, for the canary and stable
    /// versions, reading credentials now from the environment variables or files it names.
    /// The error says which setting, variable or file is wrong, and never contains a secret.
    pub fn new(
        source: &PrometheusSource,
        canary_version: &str,
        stable_version: &str,
        interval: Span,
    ) -> Result<PrometheusMetrics, SetupError> {
        let credentials = Credentials::load(source.auth.as_ref())?;
        let auth = format!("{credentials:?}");
        // Logged once the client has accepted the URL (it refuses one carrying a password,
        // a query string or a fragment), and only as the cleaned base.
        let client = Client::new(source, credentials)?;
        tracing::info!(url = %client.base(), %auth, "prometheus metrics source");
        Ok(PrometheusMetrics {
            client: Arc::new(client),
            canary_version: canary_version.to_string(),
            stable_version: stable_version.to_string(),
            interval,
            backfill: source.backfill,
        })
    }

    /// Replaces the default backoff (2 failures, then 1s doubling to 30s).
    pub fn with_backoff(self, policy: BackoffPolicy) -> PrometheusMetrics {
        self.client.set_backoff(policy);
        self
    }

    async fn instant(&self, query: &str, at: DateTime<Utc>) -> Reading {
        match self.client.instant(query, at).await {
            Ok(data) => response::instant(data),
            Err(message) => Reading::NoData(message),
        }
    }

    async fn range(&self, query: &str, window: Window) -> backfill::SidePoints {
        self.client.range(query, window).await.and_then(response::range)
    }

    /// One metric's history; when neither side has any, why not.
    async fn backfill_metric(&self, index: usize, metric: &Metric, window: Window) -> (Vec<PastPoint>, Option<String>) {
        let (canary_query, baseline_query) = metric.resolved(&self.canary_version, &self.stable_version);
        let (canary, baseline) = futures::join!(self.range(&canary_query, window), self.range(&baseline_query, window));
        let problem = match (&canary, &baseline) {
            (Err(c), Err(b)) => {
                tracing::warn!(metric = %metric.name, canary = %c, baseline = %b, "prometheus backfill found nothing");
                Some(format!("{}: {b}", metric.name))
            }
            _ => None,
        };
        (backfill::align(index, &canary, &baseline), problem)
    }
}

impl MetricsSource for PrometheusMetrics {
    fn backfill<'a>(&'a self, metrics: &'a [Metric], until: DateTime<Utc>) -> BoxFuture<'a, Option<History>> {
        async move {
            let window = Window::before(until, self.backfill, self.interval)?;
            let this = self;
            let per_metric = join_all(
                metrics
                    .iter()
                    .enumerate()
                    .map(|(index, metric)| this.backfill_metric(index, metric, window)),
            )
            .await;
            let mut history = History {
                span: self.backfill,
                ..History::default()
            };
            let mut problems = Vec::new();
            for (points, problem) in per_metric {
                history.points.extend(points);
                problems.extend(problem);
            }
            // Oldest first across metrics; the sort is stable, so metrics keep plan order
            // within one instant.
            history.points.sort_by_key(|p| p.at);
            history.problem = (!problems.is_empty()).then(|| problems.join("; "));
            Some(history)
        }
        .boxed()
    }

    fn sample<'a>(&'a self, _index: usize, metric: &'a Metric, at: DateTime<Utc>) -> BoxFuture<'a, (Reading, Reading)> {
        async move {
            let (canary_query, baseline_query) = metric.resolved(&self.canary_version, &self.stable_version);
            tracing::debug!(metric = %metric.name, canary = %canary_query, baseline = %baseline_query, "prometheus sample");
            futures::join!(self.instant(&canary_query, at), self.instant(&baseline_query, at))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_placeholders_become_canary_and_stable_versions() {
        let metric = Metric {
            name: "errors".into(),
            unit: "%".into(),
            canary: r#"rate(x{version="{{version}}"}[1m]) / rate(y{version="{{version}}"}[1m])"#.into(),
            baseline: r#"rate(x{version="{{version}}"}[1m])"#.into(),
            bad: Default::default(),
            judge: Default::default(),
        };
        let (canary, baseline) = metric.resolved("2.0", "1.9");
        assert_eq!(canary, r#"rate(x{version="2.0"}[1m]) / rate(y{version="2.0"}[1m])"#);
        assert_eq!(baseline, r#"rate(x{version="1.9"}[1m])"#);
    }
}
