//! The Prometheus metrics source, first against a scripted HTTP server (every kind of
//! answer, credentials, timeout, concurrency bound, backoff, backfill), then against a real
//! Prometheus scraping a tiny exporter, killed and restarted under it.

#[path = "stack/prometheus.rs"]
mod prometheus_stack;

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, Utc};
use shipdeck::backend::MetricsSource;
use shipdeck::backend::prometheus::{BackoffPolicy, PrometheusMetrics};
use shipdeck::engine::{PastPoint, Reading};
use shipdeck::plan::{Metric, PrometheusAuth, PrometheusSource, Span};

use fake::{FakeApi, Reply, Request};
use prometheus_stack::{Prometheus, scrape_job};

const CANARY: &str = "1.1";
const STABLE: &str = "1.0";

// ---------------------------------------------------------------------------------------
// Plans, answers and helpers

/// What a Prometheus source is built from: a plan's `analysis.prometheus` at `url`, for
/// versions 1.1 (canary) over 1.0, sampled every second, with one metric per name.
struct Setup {
    source: PrometheusSource,
    metrics: Vec<Metric>,
}

fn plan(url: &str, metrics: &[&str], tune: impl FnOnce(&mut PrometheusSource)) -> Setup {
    let mut source = PrometheusSource {
        url: url.into(),
        auth: None,
        timeout: Span::secs(2),
        max_concurrent: 8,
        backfill: Span::secs(60),
    };
    tune(&mut source);
    Setup {
        source,
        metrics: metrics.iter().map(|name| metric(name)).collect(),
    }
}

fn new_source(setup: &Setup) -> Result<PrometheusMetrics, String> {
    PrometheusMetrics::new(&setup.source, CANARY, STABLE, Span::secs(1)).map_err(|e| e.to_string())
}

fn metric(name: &str) -> Metric {
    let query = r#"NAME{version="{{version}}"}"#.replace("NAME", name);
    Metric {
        name: name.into(),
        unit: String::new(),
        canary: query.clone(),
        baseline: query,
        bad: Default::default(),
        judge: Default::default(),
    }
}

fn source(setup: &Setup) -> PrometheusMetrics {
    new_source(setup).unwrap_or_else(|e| panic!("source: {e}"))
}

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn is_canary(request: &Request) -> bool {
    request.param("query").contains(&format!(r#"version="{CANARY}""#))
}

fn vector(values: &[&str]) -> String {
    let series: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!(r#"{{"metric":{{"pod":"p{i}"}},"value":[1795341600,"{v}"]}}"#))
        .collect();
    success("vector", &format!("[{}]", series.join(",")))
}

fn matrix(points: &[(i64, &str)]) -> String {
    if points.is_empty() {
        return success("matrix", "[]");
    }
    let values: Vec<String> = points.iter().map(|(t, v)| format!(r#"[{t},"{v}"]"#)).collect();
    success(
        "matrix",
        &format!(r#"[{{"metric":{{}},"values":[{}]}}]"#, values.join(",")),
    )
}

fn success(kind: &str, result: &str) -> String {
    format!(r#"{{"status":"success","data":{{"resultType":"{kind}","result":{result}}}}}"#)
}

fn prometheus_error(kind: &str, error: &str) -> String {
    serde_json::json!({"status": "error", "errorType": kind, "error": error}).to_string()
}

fn no_data(reading: &Reading) -> &str {
    match reading {
        Reading::NoData(why) => why,
        Reading::Value(v) => panic!("expected no data, got the value {v}"),
    }
}

/// Sets a variable that only the calling test reads.
fn set_env(name: &str, value: &str) {
    // SAFETY: set_var is unsafe because another thread could read the environment through
    // libc meanwhile. Each variable is set once, before use, by the only test reading it,
    // and nothing in these tests reads the environment outside std's own lock.
    unsafe { std::env::set_var(name, value) }
}

/// Calls `attempt` until it gives `Ok`, failing with its last answer at the deadline.
async fn poll<T, F: Future<Output = Result<T, String>>>(
    what: &str,
    within: Duration,
    mut attempt: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        match attempt().await {
            Ok(done) => return done,
            Err(last) if Instant::now() > deadline => panic!("{what}: not within {within:?}; last: {last}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Against a scripted server

#[tokio::test]
async fn sample_sends_both_queries_with_their_versions_and_reads_one_series_as_a_value() {
    let api = FakeApi::start(|r| {
        if is_canary(r) {
            Reply::json(vector(&["0.5"]))
        } else {
            Reply::json(vector(&["0.25"]))
        }
    })
    .await;
    let plan = plan(&api.url(), &["errors"], |_| {});
    let readings = source(&plan).sample(0, &plan.metrics[0], at()).await;
    assert_eq!(readings, (Reading::Value(0.5), Reading::Value(0.25)));

    let (canary, baseline) = plan.metrics[0].resolved(CANARY, STABLE);
    assert_eq!(canary, r#"errors{version="1.1"}"#);
    assert_eq!(baseline, r#"errors{version="1.0"}"#);
    let requests = api.requests();
    let mut sent: Vec<&str> = requests.iter().map(|r| r.param("query")).collect();
    sent.sort();
    assert_eq!(sent, vec![baseline.as_str(), canary.as_str()]);
    for r in &requests {
        assert_eq!(r.path, "/api/v1/query");
        assert_eq!(r.param("time"), format!("{}.000", at().timestamp()));
        assert_eq!(r.authorization, None);
    }
}

#[tokio::test]
async fn every_kind_of_missing_number_is_its_own_no_data() {
    async fn canary_reading(reply: impl Fn() -> Reply + Send + Sync + 'static) -> Reading {
        let api = FakeApi::start(move |_| reply()).await;
        let plan = plan(&api.url(), &["m"], |_| {});
        source(&plan).sample(0, &plan.metrics[0], at()).await.0
    }

    assert_eq!(
        canary_reading(|| Reply::json(vector(&["7.5"]))).await,
        Reading::Value(7.5)
    );
    let scalar = success("scalar", r#"[1795341600,"42"]"#);
    assert_eq!(
        canary_reading(move || Reply::json(scalar.clone())).await,
        Reading::Value(42.0)
    );

    let empty = canary_reading(|| Reply::json(vector(&[]))).await;
    assert_eq!(no_data(&empty), "no data (empty result)");
    let nan = canary_reading(|| Reply::json(vector(&["NaN"]))).await;
    assert_eq!(no_data(&nan), "no data (NaN: no traffic?)");
    let several = canary_reading(|| Reply::json(vector(&["1", "2", "3"]))).await;
    assert!(no_data(&several).starts_with("3 series, expected 1"), "{several:?}");
    let http = canary_reading(|| Reply::Answer(503, "overloaded, try later".into())).await;
    assert_eq!(
        no_data(&http),
        "error: HTTP 503 Service Unavailable: overloaded, try later"
    );
    let bad =
        canary_reading(|| Reply::Answer(400, prometheus_error("bad_data", "1:7: parse error: unexpected }"))).await;
    assert_eq!(no_data(&bad), "error: bad_data: 1:7: parse error: unexpected }");

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let plan = plan(&format!("http://{closed}"), &["m"], |_| {});
    let refused = source(&plan).sample(0, &plan.metrics[0], at()).await.0;
    let why = no_data(&refused);
    assert!(
        why.starts_with(&format!("error: cannot connect to {closed}: ")),
        "{why}"
    );
    assert!(why.to_lowercase().contains("refused"), "{why}");

    let all: HashSet<&str> = [&empty, &nan, &several, &http, &bad, &refused]
        .into_iter()
        .map(no_data)
        .collect();
    assert_eq!(all.len(), 6, "each reason is distinct: {all:?}");
}

#[tokio::test]
async fn credentials_come_from_the_named_variable_or_file() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "tok-from-file\n").unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, "pw-from-file\n").unwrap();
    set_env("SHIPDECK_TEST_CRED_TOKEN", "tok-from-env");
    set_env("SHIPDECK_TEST_CRED_PASSWORD", "pw-from-env");
    let basic = |user_pass: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass));

    let cases = [
        (
            PrometheusAuth {
                bearer_token_env: Some("SHIPDECK_TEST_CRED_TOKEN".into()),
                ..Default::default()
            },
            "Bearer tok-from-env".to_string(),
        ),
        (
            PrometheusAuth {
                bearer_token_file: Some(token_file.display().to_string()),
                ..Default::default()
            },
            "Bearer tok-from-file".to_string(),
        ),
        (
            PrometheusAuth {
                username: Some("ops".into()),
                password_env: Some("SHIPDECK_TEST_CRED_PASSWORD".into()),
                ..Default::default()
            },
            basic("ops:pw-from-env"),
        ),
        (
            PrometheusAuth {
                username: Some("ops".into()),
                password_file: Some(password_file.display().to_string()),
                ..Default::default()
            },
            basic("ops:pw-from-file"),
        ),
    ];
    for (auth, expected) in cases {
        let api = FakeApi::start(|_| Reply::json(vector(&["1"]))).await;
        let plan = plan(&api.url(), &["m"], |s| s.auth = Some(auth.clone()));
        let readings = source(&plan).sample(0, &plan.metrics[0], at()).await;
        assert_eq!(readings, (Reading::Value(1.0), Reading::Value(1.0)), "{auth:?}");
        let sent: Vec<Option<String>> = api.requests().into_iter().map(|r| r.authorization).collect();
        assert_eq!(sent, vec![Some(expected.clone()), Some(expected)], "{auth:?}");
    }
}

#[test]
fn a_missing_variable_or_file_is_an_error_that_names_it() {
    let missing_env = plan("http://127.0.0.1:9", &["m"], |s| {
        s.auth = Some(PrometheusAuth {
            bearer_token_env: Some("SHIPDECK_TEST_NEVER_SET_TOKEN".into()),
            ..Default::default()
        })
    });
    let err = new_source(&missing_env).err().expect("a missing variable is an error");
    assert!(
        err.contains("environment variable SHIPDECK_TEST_NEVER_SET_TOKEN"),
        "{err}"
    );
    assert!(err.contains("is not set"), "{err}");

    let missing_file = plan("http://127.0.0.1:9", &["m"], |s| {
        s.auth = Some(PrometheusAuth {
            username: Some("ops".into()),
            password_file: Some("/nonexistent/shipdeck/password".into()),
            ..Default::default()
        })
    });
    let err = new_source(&missing_file).err().expect("a missing file is an error");
    assert!(
        err.contains("file /nonexistent/shipdeck/password (analysis.prometheus.auth.password_file) does not exist"),
        "{err}"
    );
}

#[tokio::test]
async fn secrets_never_reach_a_message_or_the_log() {
    const TOKEN: &str = "tok-5e1f-very-secret";
    set_env("SHIPDECK_TEST_SECRET_TOKEN", TOKEN);
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(log.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // A misbehaving server that quotes the Authorization header back in every answer.
    let api = FakeApi::start(|r| {
        let echo = format!("you sent {}", r.authorization.as_deref().unwrap_or("nothing"));
        match r.param("query") {
            q if q.starts_with("unauthorized") => Reply::Answer(401, echo),
            q if q.starts_with("unavailable") => Reply::Answer(503, echo),
            q if q.starts_with("baddata") => Reply::Answer(400, prometheus_error("bad_data", &echo)),
            _ => Reply::json(vector(&["1"])),
        }
    })
    .await;
    let plan = plan(&api.url(), &["unauthorized", "baddata", "ok", "unavailable"], |s| {
        s.auth = Some(PrometheusAuth {
            bearer_token_env: Some("SHIPDECK_TEST_SECRET_TOKEN".into()),
            ..Default::default()
        })
    });
    let source = source(&plan).with_backoff(BackoffPolicy {
        after_failures: 1,
        initial: Duration::from_secs(60),
        max: Duration::from_secs(60),
    });
    let mut messages = Vec::new();
    // The 503 starts a backoff, so the last sample quotes it from memory.
    for index in [0, 1, 2, 3, 2] {
        let (canary, baseline) = source.sample(index, &plan.metrics[index], at()).await;
        messages.extend([canary, baseline].into_iter().filter_map(|r| match r {
            Reading::NoData(why) => Some(why),
            Reading::Value(_) => None,
        }));
    }
    assert!(
        messages
            .iter()
            .any(|m| m.contains(": prometheus unreachable, next try in")),
        "{messages:?}"
    );

    let log = log.text();
    assert!(log.contains("bearer [redacted]"), "the log was captured:\n{log}");
    assert!(log.contains("prometheus query failed"), "the log was captured:\n{log}");
    assert!(
        messages.iter().any(|m| m.contains("you sent Bearer [redacted]")),
        "the echo was scrubbed: {messages:?}"
    );
    for message in &messages {
        assert!(!message.contains(TOKEN), "secret in a message: {message}");
    }
    assert!(!log.contains(TOKEN), "secret in the log:\n{log}");
    assert!(
        api.requests()
            .iter()
            .all(|r| r.authorization.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
}

#[tokio::test]
async fn a_server_that_never_answers_is_an_error_within_the_timeout() {
    let api = FakeApi::start(|_| Reply::Hang).await;
    let plan = plan(&api.url(), &["m"], |s| s.timeout = Span::secs(1));
    let started = Instant::now();
    let (canary, baseline) = source(&plan).sample(0, &plan.metrics[0], at()).await;
    let took = started.elapsed();
    for reading in [&canary, &baseline] {
        let why = no_data(reading);
        assert_eq!(why, format!("error: no answer from {} within 1s (timeout)", api.addr));
    }
    assert!(took >= Duration::from_millis(900), "gave up early, after {took:?}");
    assert!(took < Duration::from_secs(3), "timeout took {took:?}");
}

#[tokio::test]
async fn requests_in_flight_never_exceed_max_concurrent() {
    async fn max_in_flight(max_concurrent: usize) -> usize {
        // Each answer takes a moment so that requests overlap if they are allowed to.
        let api = FakeApi::start_slow(Duration::from_millis(100), |_| Reply::json(vector(&["1"]))).await;
        let plan = plan(&api.url(), &["m"], |s| s.max_concurrent = max_concurrent);
        let shared = source(&plan);
        let samples = (0..10).map(|_| {
            let source = shared.clone();
            let metric = &plan.metrics[0];
            async move { source.sample(0, metric, at()).await }
        });
        let readings = futures::future::join_all(samples).await;
        assert!(
            readings
                .iter()
                .all(|r| *r == (Reading::Value(1.0), Reading::Value(1.0))),
            "{readings:?}"
        );
        assert_eq!(api.requests().len(), 20);
        api.max_in_flight()
    }

    assert_eq!(max_in_flight(2).await, 2);
    // The probe sees more when more is allowed, so the bound above is the source's doing.
    assert!(max_in_flight(8).await > 2);
}

#[tokio::test]
async fn an_unreachable_server_is_backed_off_then_retried() {
    let healthy = Arc::new(AtomicBool::new(false));
    let api = FakeApi::start({
        let healthy = healthy.clone();
        move |_| {
            if healthy.load(Ordering::SeqCst) {
                Reply::json(vector(&["3"]))
            } else {
                Reply::Answer(503, "down".into())
            }
        }
    })
    .await;
    let plan = plan(&api.url(), &["m"], |_| {});
    let source = source(&plan).with_backoff(BackoffPolicy {
        after_failures: 2,
        initial: Duration::from_secs(1),
        max: Duration::from_secs(1),
    });
    let metric = &plan.metrics[0];

    let (canary, baseline) = source.sample(0, metric, at()).await;
    assert_eq!(no_data(&canary), "error: HTTP 503 Service Unavailable: down");
    assert_eq!(no_data(&baseline), "error: HTTP 503 Service Unavailable: down");
    assert_eq!(api.requests().len(), 2);

    let (canary, baseline) = source.sample(0, metric, at()).await;
    for reading in [&canary, &baseline] {
        assert_eq!(
            no_data(reading),
            "HTTP 503 Service Unavailable: down: prometheus unreachable, next try in 1s"
        );
    }
    assert_eq!(api.requests().len(), 2, "no request while backing off");

    healthy.store(true, Ordering::SeqCst);
    poll("values once the pause is over", Duration::from_secs(10), || {
        let source = source.clone();
        async move {
            match source.sample(0, metric, at()).await {
                (Reading::Value(3.0), Reading::Value(3.0)) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn backfill_lines_up_both_sides_oldest_first() {
    let t = at().timestamp();
    let api = FakeApi::start(move |r| {
        let points: &[(i64, &str)] = match (r.param("query").starts_with("a{"), is_canary(r)) {
            (true, true) => &[(t - 2, "1"), (t - 1, "2")],
            (true, false) => &[(t - 1, "10")],
            (false, true) => &[],
            (false, false) => &[(t - 2, "30")],
        };
        Reply::json(matrix(points))
    })
    .await;
    let two = plan(&api.url(), &["a", "b"], |_| {});
    let history = source(&two).backfill(&two.metrics, at()).await.expect("a backfill");

    let point = |metric, secs, canary, baseline| PastPoint {
        metric,
        at: DateTime::from_timestamp(secs, 0).unwrap(),
        canary,
        baseline,
    };
    assert_eq!(history.span, Span::secs(60));
    assert_eq!(
        history.points,
        vec![
            point(0, t - 2, Some(1.0), None),
            point(1, t - 2, None, Some(30.0)),
            point(0, t - 1, Some(2.0), Some(10.0)),
        ]
    );
    assert_eq!(history.problem, None, "every metric had something");
    let requests = api.requests();
    assert_eq!(requests.len(), 4);
    for r in &requests {
        assert_eq!(r.path, "/api/v1/query_range");
        assert_eq!(r.param("start"), format!("{}.000", t - 60));
        assert_eq!(r.param("end"), format!("{t}.000"));
        assert_eq!(r.param("step"), "1");
    }

    let no_backfill = plan(&api.url(), &["a"], |s| s.backfill = Span::ZERO);
    assert!(
        source(&no_backfill)
            .backfill(&no_backfill.metrics, at())
            .await
            .is_none()
    );
    assert_eq!(api.requests().len(), 4, "no query when the plan asks for no backfill");
}

// ---------------------------------------------------------------------------------------
// Against a real Prometheus

#[tokio::test]
#[cfg_attr(no_prometheus, ignore = "needs prometheus: apt-get install prometheus")]
async fn real_prometheus_values_backfill_outage_and_recovery() {
    let exporter = Exporter::start(&gauge(11.0, 10.0));
    let mut prometheus = Prometheus::start(&scrape_job("app", exporter.addr), Duration::from_millis(500));
    let plan = plan(&prometheus.url(), &["shipdeck_test_value"], |_| {});
    let metric = &plan.metrics[0];
    let source = source(&plan).with_backoff(BackoffPolicy {
        after_failures: 2,
        initial: Duration::from_secs(1),
        max: Duration::from_secs(2),
    });
    let expect = |canary: f64, baseline: f64| {
        let source = source.clone();
        move || {
            let source = source.clone();
            async move {
                match source.sample(0, metric, Utc::now()).await {
                    (Reading::Value(c), Reading::Value(b)) if (c, b) == (canary, baseline) => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }
        }
    };

    poll("canary 11 and baseline 10", Duration::from_secs(30), expect(11.0, 10.0)).await;

    let until = Utc::now();
    let history = poll("a backfill of several steps", Duration::from_secs(30), || {
        let source = source.clone();
        let metrics = &plan.metrics;
        async move {
            let history = source.backfill(metrics, Utc::now()).await.unwrap_or_default();
            if history.points.len() >= 3 {
                Ok(history.points)
            } else {
                Err(format!("{history:?}"))
            }
        }
    })
    .await;
    let times: Vec<DateTime<Utc>> = history
        .iter()
        .map(|p| match p {
            PastPoint {
                metric: 0,
                canary: Some(11.0),
                baseline: Some(10.0),
                at,
            } => *at,
            other => panic!("unexpected backfill observation {other:?}"),
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "oldest first: {times:?}");
    assert!(times[0] >= until - chrono::Duration::seconds(60), "{times:?}");

    prometheus.stop();
    let down = source.clone();
    let (canary, baseline) = down.sample(0, metric, Utc::now()).await;
    // A pooled connection may be the first to notice ("connection closed"), a new one is
    // refused; either way the reason names the server.
    for reading in [&canary, &baseline] {
        let why = no_data(reading);
        let cannot_connect = format!("error: cannot connect to {}: ", prometheus.addr);
        let cut_off = format!("error: request to {} failed: ", prometheus.addr);
        assert!(why.starts_with(&cannot_connect) || why.starts_with(&cut_off), "{why}");
    }
    let (canary, _) = down.sample(0, metric, Utc::now()).await;
    assert!(
        no_data(&canary).contains(": prometheus unreachable, next try in"),
        "{canary:?}"
    );

    exporter.set(&gauge(12.0, 10.0));
    prometheus.restart();
    poll(
        "fresh values after the restart",
        Duration::from_secs(30),
        expect(12.0, 10.0),
    )
    .await;
}

fn gauge(canary: f64, stable: f64) -> String {
    format!(
        "# HELP shipdeck_test_value A value per version.\n\
         # TYPE shipdeck_test_value gauge\n\
         shipdeck_test_value{{version=\"{STABLE}\"}} {stable}\n\
         shipdeck_test_value{{version=\"{CANARY}\"}} {canary}\n"
    )
}

/// A minimal exporter on its own thread: `/metrics` answers with the current text.
struct Exporter {
    addr: SocketAddr,
    text: Arc<Mutex<String>>,
}

impl Exporter {
    fn start(text: &str) -> Exporter {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the exporter");
        let addr = listener.local_addr().unwrap();
        let text = Arc::new(Mutex::new(text.to_string()));
        let shared = text.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = shared.lock().unwrap().clone();
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Exporter { addr, text }
    }

    fn set(&self, text: &str) {
        *self.text.lock().unwrap() = text.to_string();
    }
}

/// The tracing output of one test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// A scripted stand-in for the Prometheus HTTP API: answers each request as the test's
/// handler says, and records what was asked and with which Authorization header.
mod fake {
    use super::*;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::{TcpListener, TcpStream};

    #[derive(Debug, Clone)]
    pub struct Request {
        pub path: String,
        pub params: BTreeMap<String, String>,
        pub authorization: Option<String>,
    }

    impl Request {
        pub fn param(&self, name: &str) -> &str {
            self.params.get(name).map_or("", String::as_str)
        }
    }

    pub enum Reply {
        /// Status code and body.
        Answer(u16, String),
        /// Keep the connection open and never answer.
        Hang,
    }

    impl Reply {
        pub fn json(body: String) -> Reply {
            Reply::Answer(200, body)
        }
    }

    type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

    #[derive(Default)]
    struct Record {
        requests: Mutex<Vec<Request>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    pub struct FakeApi {
        pub addr: SocketAddr,
        record: Arc<Record>,
    }

    impl FakeApi {
        pub async fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> FakeApi {
            FakeApi::start_slow(Duration::ZERO, handler).await
        }

        /// Every answer is held back `delay`, so that requests overlap when allowed to.
        pub async fn start_slow(
            delay: Duration,
            handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
        ) -> FakeApi {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the fake API");
            let addr = listener.local_addr().unwrap();
            let record = Arc::new(Record::default());
            let handler: Arc<Handler> = Arc::new(handler);
            let shared = record.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve(stream, handler.clone(), shared.clone(), delay));
                }
            });
            FakeApi { addr, record }
        }

        pub fn url(&self) -> String {
            format!("http://{}", self.addr)
        }

        pub fn requests(&self) -> Vec<Request> {
            self.record.requests.lock().unwrap().clone()
        }

        /// The most requests that were being answered at one moment.
        pub fn max_in_flight(&self) -> usize {
            self.record.max_in_flight.load(Ordering::SeqCst)
        }
    }

    /// One request per connection: read the head, record it, answer, close.
    async fn serve(stream: TcpStream, handler: Arc<Handler>, record: Arc<Record>, delay: Duration) {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
        let mut authorization = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("authorization")
            {
                authorization = Some(value.trim().to_string());
            }
        }
        let url = reqwest::Url::parse(&format!("http://fake{target}")).expect("request target");
        let request = Request {
            path: url.path().to_string(),
            params: url.query_pairs().into_owned().collect(),
            authorization,
        };
        record.requests.lock().unwrap().push(request.clone());

        let now = record.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        record.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let reply = handler(&request);
        record.in_flight.fetch_sub(1, Ordering::SeqCst);
        let (status, body) = match reply {
            Reply::Answer(status, body) => (status, body),
            Reply::Hang => std::future::pending().await,
        };
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let answer = format!(
            "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = reader.into_inner();
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
}
