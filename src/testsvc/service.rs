//! The test service: one application version with a configurable error ratio and latency,
//! its own Prometheus metrics, and a runtime knob to change its behaviour.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};

use super::http::{Conn, HttpError, Request, response_bytes};

/// Upper bounds (seconds) of the latency histogram: dense from 5 ms to 100 ms, where a
/// healthy service and a slowed canary usually sit, then coarser up to 2 s.
pub const BUCKETS: [f64; 21] = [
    0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1.0,
    1.5, 2.0,
];

/// One request in this many is slow when the tail is on (2%), so the p99 falls inside the tail.
pub const TAIL_EVERY: u64 = 50;

/// A keep-alive connection idle for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

const TEXT: &str = "text/plain; charset=utf-8";
const METRICS: &str = "text/plain; version=0.0.4; charset=utf-8";

/// How the application path behaves.
///
/// Request `n` (counted from 1, restarting whenever the behaviour changes):
/// - fails with 500 when `floor(n * error_ratio)` steps up, so exactly `floor(N * error_ratio)`
///   of the first `N` requests fail, evenly spread (0.05 fails requests 20, 40, 60, ...). The
///   ratio is taken in whole parts per million, so the count is exact integer arithmetic;
/// - waits `latency_ms`, times `p99_factor` when `n` is a multiple of [`TAIL_EVERY`], plus a
///   jitter drawn uniformly from `[-latency_jitter_ms, +latency_jitter_ms]` (never below 0).
///   The jitter is a hash of `n`, so a run is repeatable. With a factor above 1 the p50 is
///   about `latency_ms` and the p99 about `latency_ms * p99_factor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub error_ratio: f64,
    pub latency_ms: u64,
    pub latency_jitter_ms: u64,
    pub p99_factor: f64,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            error_ratio: 0.0,
            latency_ms: 20,
            latency_jitter_ms: 5,
            p99_factor: 1.0,
        }
    }
}

/// Nothing takes longer than this, whatever the settings.
const MAX_LATENCY_MS: u64 = 60_000;

impl Behaviour {
    /// Checks every field is in range; the message names the field and its range.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.error_ratio) {
            return Err(format!("error_ratio must be within 0..=1, got {}", self.error_ratio));
        }
        if !(1.0..=100.0).contains(&self.p99_factor) {
            return Err(format!("p99_factor must be within 1..=100, got {}", self.p99_factor));
        }
        if self.latency_ms > MAX_LATENCY_MS || self.latency_jitter_ms > MAX_LATENCY_MS {
            return Err(format!(
                "latency_ms and latency_jitter_ms must be at most {MAX_LATENCY_MS}"
            ));
        }
        if self.latency_ms as f64 * self.p99_factor > MAX_LATENCY_MS as f64 {
            return Err(format!("latency_ms * p99_factor must be at most {MAX_LATENCY_MS}"));
        }
        Ok(())
    }

    /// This behaviour with the fields named in a query string (`error_ratio=0.1&latency_ms=60`)
    /// changed; unknown names and bad values are errors.
    pub fn with_query(&self, query: &str) -> Result<Behaviour, String> {
        let mut next = self.clone();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (percent_decode(key), percent_decode(value));
            let bad = |what: &str| format!("{key}: {what}, got {value:?}");
            match key.as_str() {
                "error_ratio" => next.error_ratio = value.parse().map_err(|_| bad("expected a number"))?,
                "latency_ms" => next.latency_ms = value.parse().map_err(|_| bad("expected whole milliseconds"))?,
                "latency_jitter_ms" => {
                    next.latency_jitter_ms = value.parse().map_err(|_| bad("expected whole milliseconds"))?;
                }
                "p99_factor" => next.p99_factor = value.parse().map_err(|_| bad("expected a number"))?,
                _ => {
                    return Err(format!(
                        "unknown setting {key:?}: use error_ratio, latency_ms, latency_jitter_ms or p99_factor"
                    ));
                }
            }
        }
        next.validate()?;
        Ok(next)
    }

    /// Whether request `n` (from 1) fails.
    pub fn fails(&self, n: u64) -> bool {
        steps_up(n, ppm(self.error_ratio))
    }

    /// How long request `n` (from 1) waits before its response.
    pub fn latency(&self, n: u64) -> Duration {
        let mut base_us = self.latency_ms as f64 * 1000.0;
        if n.is_multiple_of(TAIL_EVERY) {
            base_us *= self.p99_factor;
        }
        let jitter_us = self.latency_jitter_ms as i64 * 1000;
        let jitter = if jitter_us == 0 {
            0
        } else {
            (splitmix64(n) % (2 * jitter_us as u64 + 1)) as i64 - jitter_us
        };
        Duration::from_micros((base_us as i64 + jitter).max(0) as u64)
    }
}

impl fmt::Display for Behaviour {
    /// The same syntax `POST /config` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error_ratio={} latency_ms={} latency_jitter_ms={} p99_factor={}",
            self.error_ratio, self.latency_ms, self.latency_jitter_ms, self.p99_factor
        )
    }
}

/// A ratio in parts per million, so the failure rule is exact integer arithmetic.
fn ppm(ratio: f64) -> u64 {
    (ratio.clamp(0.0, 1.0) * 1_000_000.0).round() as u64
}

/// Whether `floor(n * ppm / 1e6)` is larger than it was for `n - 1`.
fn steps_up(n: u64, ppm: u64) -> bool {
    let at = |k: u64| u128::from(k) * u128::from(ppm) / 1_000_000;
    n > 0 && at(n) > at(n - 1)
}

/// A well-mixed hash of a counter (splitmix64), for repeatable jitter.
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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

/// A response to write.
struct Reply {
    status: u16,
    content_type: &'static str,
    extra: Vec<(&'static str, &'static str)>,
    body: Vec<u8>,
}

impl Reply {
    fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            content_type: TEXT,
            extra: Vec::new(),
            body: body.into().into_bytes(),
        }
    }
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

    /// Replaces the behaviour and restarts the request count its rules use.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        let mut inner = self.lock();
        inner.behaviour = behaviour;
        inner.seq = 0;
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

    fn configure(&self, request: &Request) -> Reply {
        let mut query = request.query().unwrap_or_default().to_string();
        if let Ok(form) = std::str::from_utf8(&request.body) {
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

    async fn respond(&self, request: &Request, started: Instant) -> Reply {
        match (request.method.as_str(), request.path()) {
            ("GET", "/metrics") => Reply {
                content_type: METRICS,
                ..Reply::text(200, self.metrics())
            },
            ("GET", "/healthz") => Reply::text(200, "ok\n"),
            ("GET", "/config") => Reply::text(200, format!("{}\n", self.behaviour())),
            ("POST", "/config") => self.configure(request),
            (_, "/metrics" | "/healthz") => Reply {
                extra: vec![("Allow", "GET")],
                ..Reply::text(405, "use GET\n")
            },
            (_, "/config") => Reply {
                extra: vec![("Allow", "GET, POST")],
                ..Reply::text(405, "use GET to read or POST to change\n")
            },
            ("GET", _) => self.application(started).await,
            _ => Reply {
                extra: vec![("Allow", "GET")],
                ..Reply::text(405, "the application answers GET\n")
            },
        }
    }
}

/// Accepts connections until the listener fails for good; each connection is its own task.
pub async fn run(listener: TcpListener, service: Arc<Service>) -> io::Result<()> {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, Arc::clone(&service)));
            }
            // Out of descriptors or a connection reset before accept: wait a little, go on.
            Err(e) if is_transient(&e) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(e) => return Err(e),
        }
    }
}

fn is_transient(e: &io::Error) -> bool {
    use io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock | OutOfMemory
    ) || e.raw_os_error().is_some_and(|code| code == 23 || code == 24) // ENFILE, EMFILE
}

async fn connection(stream: TcpStream, service: Arc<Service>) {
    let _ = stream.set_nodelay(true);
    let mut conn = Conn::new(stream);
    loop {
        let request = match tokio::time::timeout(IDLE_TIMEOUT, conn.read_request()).await {
            Err(_) | Ok(Err(HttpError::Closed | HttpError::Truncated | HttpError::Io(_))) => return,
            Ok(Err(e)) => {
                let status = match e {
                    HttpError::HeadTooLarge => 431,
                    HttpError::BodyTooLarge => 413,
                    _ => 400,
                };
                let _ = conn
                    .write_all(&response_bytes(status, TEXT, &[], format!("{e}\n").as_bytes(), true))
                    .await;
                return;
            }
            Ok(Ok(request)) => request,
        };
        let started = Instant::now();
        let reply = service.respond(&request, started).await;
        let close = !request.keep_alive();
        let bytes = response_bytes(reply.status, reply.content_type, &reply.extra, &reply.body, close);
        if conn.write_all(&bytes).await.is_err() || close {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_exact_and_evenly_spread() {
        let b = Behaviour {
            error_ratio: 0.05,
            ..Behaviour::default()
        };
        let failed: Vec<u64> = (1..=200).filter(|&n| b.fails(n)).collect();
        assert_eq!(failed, (1..=10).map(|k| k * 20).collect::<Vec<_>>());
        for (ratio, n, expected) in [(0.0, 1000, 0), (1.0, 7, 7), (0.007, 1000, 7), (0.29, 100, 29)] {
            let b = Behaviour {
                error_ratio: ratio,
                ..Behaviour::default()
            };
            assert_eq!((1..=n).filter(|&k| b.fails(k)).count(), expected, "ratio {ratio}");
        }
    }

    #[test]
    fn latency_is_base_plus_bounded_jitter_with_a_two_percent_tail() {
        let b = Behaviour {
            latency_ms: 20,
            latency_jitter_ms: 5,
            p99_factor: 3.0,
            ..Behaviour::default()
        };
        for n in 1..=1000 {
            let ms = b.latency(n).as_secs_f64() * 1000.0;
            let base = if n.is_multiple_of(TAIL_EVERY) { 60.0 } else { 20.0 };
            assert!((base - 5.0..=base + 5.0).contains(&ms), "request {n}: {ms} ms");
        }
        assert_eq!(b.latency(7), b.latency(7));
        assert_ne!(b.latency(7), b.latency(8));
    }

    #[test]
    fn query_changes_only_named_fields_and_rejects_nonsense() {
        let b = Behaviour::default();
        let next = b.with_query("error_ratio=0.5&latency_ms=60").unwrap();
        assert_eq!(
            (next.error_ratio, next.latency_ms, next.latency_jitter_ms),
            (0.5, 60, 5)
        );
        assert_eq!(b.with_query("p99%5Ffactor=2").unwrap().p99_factor, 2.0);
        for bad in [
            "error_ratio=2",
            "error_ratio=x",
            "latency_ms=-1",
            "p99_factor=0.5",
            "colour=red",
        ] {
            assert!(b.with_query(bad).is_err(), "{bad}");
        }
    }

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
}
