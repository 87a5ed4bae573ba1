//! The test service: one application version with a configurable behaviour, its own
//! Prometheus metrics, and the answers to every path. It knows requests and replies, not
//! HTTP connections: `server` carries them.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::behaviour::Behaviour;

/// Upper bounds (seconds) of the latency histogram: dense from 5 ms to 100 ms, where a
/// healthy service and a slowed canary usually sit, then coarser up to 2 s.
pub const BUCKETS: [f64; 21] = [
    0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0,
    1.5, 2.0,
];

const TEXT: &str = "text/plain; charset=utf-8";
const METRICS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the service reads of a request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The query string, without the `?`.
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// What the service answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    /// The `Allow` header of a 405.
    pub allow: Option<&'static str>,
    pub body: String,
}

impl Reply {
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: TEXT,
            allow: None,
            body: body.into(),
        }
    }

    fn not_allowed(allow: &'static str, body: &str) -> Reply {
        Reply {
            allow: Some(allow),
            ..Reply::text(405, body)
        }
    }
}

/// Request durations, non-cumulative per bucket (the last slot is above the largest bound).
#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len() + 1],
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = BUCKETS.iter().position(|&le| seconds <= le).unwrap_or(BUCKETS.len());
        self.counts[slot] += 1;
        self.sum += seconds;
    }
}

#[derive(Debug)]
struct Inner {
    behaviour: Behaviour,
    /// Application requests since the behaviour last changed.
    seq: u64,
    ok: u64,
    failed: u64,
    histogram: Histogram,
}

/// One running version of the application.
#[derive(Debug)]
pub struct Service {
    /// Rendered labels every series carries, e.g. `app="checkout",version="1.1.0"`.
    labels: String,
    version: String,
    inner: Mutex<Inner>,
}

/// Escapes a Prometheus label value.
fn label_value(s: &str) -> String {
    s.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

impl Service {
    /// `app`, when given, becomes an `app` label on every series (the shipped plans select on
    /// it; a Prometheus scrape config can add it instead).
    pub fn new(version: &str, app: Option<&str>, behaviour: Behaviour) -> Service {
        let mut labels = String::new();
        if let Some(app) = app {
            labels.push_str(&format!("app=\"{}\",", label_value(app)));
        }
        labels.push_str(&format!("version=\"{}\"", label_value(version)));
        Service {
            labels,
            version: version.to_string(),
            inner: Mutex::new(Inner {
                behaviour,
                seq: 0,
                ok: 0,
                failed: 0,
                histogram: Histogram::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics while holding the lock; a poisoned one still holds sound counters.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn behaviour(&self) -> Behaviour {
        self.lock().behaviour.clone()
    }

    /// The Prometheus text exposition of the counters and the latency histogram.
    pub fn metrics(&self) -> String {
        let (ok, failed, histogram) = {
            let inner = self.lock();
            (inner.ok, inner.failed, inner.histogram.clone())
        };
        let l = &self.labels;
        let mut out = String::new();
        out.push_str("# HELP http_requests_total Requests to the application path, by status code.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        out.push_str(&format!("http_requests_total{{{l},code=\"200\"}} {ok}\n"));
        out.push_str(&format!("http_requests_total{{{l},code=\"500\"}} {failed}\n"));
        out.push_str("# HELP http_request_duration_seconds Time from request to response on the application path.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (le, count) in BUCKETS.iter().zip(histogram.counts) {
            cumulative += count;
            out.push_str(&format!(
                "http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {cumulative}\n"
            ));
        }
        let total = cumulative + histogram.counts[BUCKETS.len()];
        out.push_str(&format!(
            "http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {total}\n"
        ));
        out.push_str(&format!("http_request_duration_seconds_sum{{{l}}} {}\n", histogram.sum));
        out.push_str(&format!("http_request_duration_seconds_count{{{l}}} {total}\n"));
        out
    }

    /// Serves one application request: decides its fate, waits, then counts it.
    async fn application(&self, started: Instant) -> Reply {
        let (fails, latency) = {
            let mut inner = self.lock();
            inner.seq += 1;
            let n = inner.seq;
            (inner.behaviour.fails(n), inner.behaviour.latency(n))
        };
        tokio::time::sleep(latency).await;
        let mut inner = self.lock();
        if fails {
            inner.failed += 1;
        } else {
            inner.ok += 1;
        }
        inner.histogram.observe(started.elapsed().as_secs_f64());
        drop(inner);
        if fails {
            Reply::text(500, format!("version {} failed on purpose\n", self.version))
        } else {
            Reply::text(200, format!("version {}\n", self.version))
        }
    }

    /// `POST /config`: settings from the query string and a form body, in that order.
    fn configure(&self, request: Request<'_>) -> Reply {
        let mut query = request.query.unwrap_or_default().to_string();
        if let Ok(form) = std::str::from_utf8(request.body) {
            query = format!("{query}&{}", form.trim());
        }
        let mut inner = self.lock();
        match inner.behaviour.with_query(&query) {
            Ok(next) => {
                inner.behaviour = next.clone();
                inner.seq = 0;
                drop(inner);
                eprintln!("shipdeck-testsvc {}: now {next}", self.version);
                Reply::text(200, format!("{next}\n"))
            }
            Err(e) => Reply::text(400, format!("{e}\n")),
        }
    }

    /// The answer to one request; `started` is when its head arrived.
    pub async fn respond(&self, request: Request<'_>, started: Instant) -> Reply {
        match (request.method, request.path) {
            ("GET", "/metrics") => Reply {
                content_type: METRICS,
                ..Reply::text(200, self.metrics())
            },
            ("GET", "/healthz") => Reply::text(200, "ok\n"),
            ("GET", "/config") => Reply::text(200, format!("{}\n", self.behaviour())),
            ("POST", "/config") => self.configure(request),
            (_, "/metrics" | "/healthz") => Reply::not_allowed("GET", "use GET\n"),
            (_, "/config") => Reply::not_allowed("GET, POST", "use GET to read or POST to change\n"),
            ("GET", _) => self.application(started).await,
            _ => Reply::not_allowed("GET", "the application answers GET\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_cumulative_and_carry_the_labels() {
        let s = Service::new("1.1.0", Some("check\"out"), Behaviour::default());
        for seconds in [0.003, 0.012, 0.012, 5.0] {
            s.lock().histogram.observe(seconds);
        }
        let text = s.metrics();
        assert!(text.contains("http_requests_total{app=\"check\\\"out\",version=\"1.1.0\",code=\"500\"} 0\n"));
        assert!(text.contains("le=\"0.005\"} 1\n"));
        assert!(text.contains("le=\"0.015\"} 3\n"));
        assert!(text.contains("le=\"2\"} 3\n"));
        assert!(text.contains("le=\"+Inf\"} 4\n"));
        assert!(text.contains("http_request_duration_seconds_count{app=\"check\\\"out\",version=\"1.1.0\"} 4\n"));
    }

    #[tokio::test]
    async fn config_takes_the_query_then_the_form_body() {
        let s = Service::new("1.1.0", None, Behaviour::default());
        let request = Request {
            method: "POST",
            path: "/config",
            query: Some("error_ratio=0.5&latency_ms=1"),
            body: b"latency_ms=60\n",
        };
        let reply = s.respond(request, Instant::now()).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!((s.behaviour().error_ratio, s.behaviour().latency_ms), (0.5, 60));
        let refused = s
            .respond(
                Request {
                    body: b"colour=red",
                    ..request
                },
                Instant::now(),
            )
            .await;
        assert_eq!(refused.status, 400);
        assert_eq!(s.behaviour().latency_ms, 60, "a refused change changes nothing");
    }
}
