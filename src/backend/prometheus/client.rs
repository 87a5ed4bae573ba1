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
use crate::plan::PrometheusSource;

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
        let base = base_url(&source.url)?;
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

/// The plan's URL as a base the API paths are appended to. Credentials in the URL are
/// refused: they belong in environment variables or files. So is a query string or a
/// fragment: it would not be sent, and is where an `api_key=` would hide.
fn base_url(text: &str) -> Result<Url, SetupError> {
    let mut url = Url::parse(text).map_err(|e| format!("analysis.prometheus.url is not a valid URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "analysis.prometheus.url carries credentials: remove them and name their source \
                    under analysis.prometheus.auth"
                .into(),
        );
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("analysis.prometheus.url must be http or https, not {}", url.scheme()).into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(
            "analysis.prometheus.url has a query string or fragment (`?...` or `#...`), which is never sent: \
             remove it and give only scheme://host:port/path; put credentials under analysis.prometheus.auth \
             (bearer_token_env, bearer_token_file, or username with password_env or password_file)"
                .into(),
        );
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
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
    fn api_paths_append_to_the_base_path() {
        let url = base_url("http://prom:9090").unwrap();
        assert_eq!(
            url.join("api/v1/query").unwrap().as_str(),
            "http://prom:9090/api/v1/query"
        );
        let url = base_url("https://gw.example/prometheus").unwrap();
        assert_eq!(
            url.join("api/v1/query_range").unwrap().as_str(),
            "https://gw.example/prometheus/api/v1/query_range"
        );
    }

    #[test]
    fn a_query_string_or_fragment_in_the_url_is_refused_without_echoing_it() {
        for text in [
            "https://gw.example/prometheus?x=1",
            "https://gw.example/prometheus?api_key=hunter2",
            "https://gw.example/prometheus#hunter2",
            "https://gw.example/prometheus?",
        ] {
            let err = base_url(text).unwrap_err().0;
            assert!(err.contains("query string or fragment"), "{text}: {err}");
            assert!(err.contains("analysis.prometheus.auth"), "{text}: {err}");
            assert!(!err.contains("hunter2") && !err.contains("x=1"), "{text}: {err}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let err = base_url("http://ops:hunter2@prom:9090").unwrap_err().0;
        assert!(err.contains("carries credentials"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }

    #[test]
    fn times_are_unix_seconds_with_millis() {
        let at = DateTime::from_timestamp_millis(1_700_000_000_250).unwrap();
        assert_eq!(unix_time(at), "1700000000.250");
    }
}
