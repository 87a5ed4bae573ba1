//! The HTTP side of the Prometheus source: one shared client with the plan's timeout, a
//! bound on requests in flight, backing off while Prometheus is unreachable, and every
//! message scrubbed of credentials before it is returned or logged.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::Url;
use reqwest::header::AUTHORIZATION;
use tokio::sync::Semaphore;

use super::backfill::Window;
use super::backoff::{Backoff, BackoffPolicy};
use super::credentials::Credentials;
use super::response::{self, Data, Failure};
use crate::backend::SetupError;
use crate::plan::{PrometheusSource, prometheus_base_url};

/// Larger answers are refused: a query matching that much is a mistake.
const MAX_BODY_BYTES: usize = 16 << 20;

pub struct Client {
    http: reqwest::Client,
    query_url: Url,
    range_url: Url,
    /// `scheme://host:port/path/`, for the log: no credentials, query or fragment.
    base: String,
    /// `host:port`, for messages.
    authority: String,
    timeout: Duration,
    permits: Semaphore,
    backoff: Mutex<Backoff>,
    credentials: Credentials,
}

impl Client {
    pub fn new(source: &PrometheusSource, credentials: Credentials) -> Result<Client, SetupError> {
        let base = prometheus_base_url(&source.url).map_err(|why| format!("analysis.prometheus.url {why}"))?;
        let join = |path: &str| {
            base.join(path)
                .map_err(|e| format!("analysis.prometheus.url: cannot append {path}: {e}"))
        };
        let timeout = Duration::from_secs(source.timeout.as_secs().max(1));
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("shipdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client for Prometheus: {e}"))?;
        Ok(Client {
            http,
            query_url: join("api/v1/query")?,
            range_url: join("api/v1/query_range")?,
            base: base.to_string(),
            authority: format!(
                "{}:{}",
                base.host_str().unwrap_or("?"),
                base.port_or_known_default().unwrap_or(0)
            ),
            timeout,
            permits: Semaphore::new(source.max_concurrent.max(1)),
            backoff: Mutex::new(Backoff::new(BackoffPolicy::default())),
            credentials,
        })
    }

    /// The base URL the API paths are appended to, safe to log.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn set_backoff(&self, policy: BackoffPolicy) {
        *self.backoff.lock().unwrap_or_else(|e| e.into_inner()) = Backoff::new(policy);
    }

    /// `/api/v1/query` at `at`.
    pub async fn instant(&self, query: &str, at: DateTime<Utc>) -> Result<Data, String> {
        let params = [("query", query.to_string()), ("time", unix_time(at))];
        self.get(&self.query_url, &params).await
    }

    /// `/api/v1/query_range` over `window`.
    pub async fn range(&self, query: &str, window: Window) -> Result<Data, String> {
        let params = [
            ("query", query.to_string()),
            ("start", unix_time(window.start)),
            ("end", unix_time(window.end)),
            ("step", window.step.as_secs().to_string()),
        ];
        self.get(&self.range_url, &params).await
    }

    async fn get(&self, url: &Url, params: &[(&str, String)]) -> Result<Data, String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| "error: prometheus client closed".to_string())?;
        if let Some(why) = self.backoff().refusal(Instant::now()) {
            tracing::debug!(%why, "prometheus query skipped");
            return Err(why);
        }
        let mut request = self.http.get(url.clone()).query(params);
        if let Some(header) = self.credentials.header() {
            request = request.header(AUTHORIZATION, header.clone());
        }
        let outcome = match request.send().await {
            Ok(answer) => {
                let status = answer.status();
                self.read_body(answer)
                    .await
                    .and_then(|body| response::decode(status, &body, self.credentials.secrets()))
            }
            Err(e) => Err(self.transport(&e)),
        };
        match outcome {
            Ok(data) => {
                self.backoff().success();
                Ok(data)
            }
            Err(failure) => {
                let message = self.credentials.scrub(&failure.message);
                if failure.unreachable {
                    self.backoff().failure(Instant::now(), &message);
                } else {
                    self.backoff().success();
                }
                tracing::warn!(prometheus = %self.authority, error = %message, "prometheus query failed");
                Err(message)
            }
        }
    }

    fn backoff(&self) -> std::sync::MutexGuard<'_, Backoff> {
        self.backoff.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The body as text, refusing oversized answers.
    async fn read_body(&self, mut answer: reqwest::Response) -> Result<String, Failure> {
        let status = answer.status();
        let mut body = Vec::new();
        while let Some(chunk) = answer.chunk().await.map_err(|e| self.transport(&e))? {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_BODY_BYTES {
                return Err(Failure {
                    message: format!(
                        "error: answer larger than {} MiB (HTTP {}): narrow the query",
                        MAX_BODY_BYTES >> 20,
                        status.as_u16()
                    ),
                    unreachable: status.is_server_error(),
                });
            }
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// A request that got no answer: the server is unreachable, slow or broken.
    fn transport(&self, e: &reqwest::Error) -> Failure {
        let message = if e.is_timeout() {
            format!(
                "error: no answer from {} within {}s (timeout)",
                self.authority,
                self.timeout.as_secs()
            )
        } else if e.is_connect() {
            format!("error: cannot connect to {}: {}", self.authority, root_cause(e))
        } else {
            format!("error: request to {} failed: {}", self.authority, root_cause(e))
        };
        Failure::unreachable(message)
    }
}

/// The innermost cause, which says what actually happened ("Connection refused").
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Unix seconds with milliseconds, as the API takes them.
fn unix_time(at: DateTime<Utc>) -> String {
    format!("{:.3}", at.timestamp_millis() as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_unix_seconds_with_millis() {
        let at = DateTime::from_timestamp_millis(1_700_000_000_250).unwrap();
        assert_eq!(unix_time(at), "1700000000.250");
    }
}
