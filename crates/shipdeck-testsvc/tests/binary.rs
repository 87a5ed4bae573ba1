//! The `shipdeck-testsvc` binary: the service's exact error and latency rules, its metrics,
//! its runtime configuration, HTTP/1.1 from a plain socket, the command line, and the load
//! generator's bounds.

mod support;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use support::{BIN, TestService, http, parse_reply, run_load};

/// One sample of the Prometheus text format.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format (no escapes in label values needed here); panics on
/// a line it cannot read, so a malformed exposition fails the test.
fn parse_metrics(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value: {line:?}"));
            let value = match value {
                "+Inf" => f64::INFINITY,
                v => v.parse().unwrap_or_else(|_| panic!("bad value: {line:?}")),
            };
            let (name, labels) = match series.split_once('{') {
                None => (series, BTreeMap::new()),
                Some((name, rest)) => {
                    let inner = rest
                        .strip_suffix('}')
                        .unwrap_or_else(|| panic!("unclosed labels: {line:?}"));
                    let labels = inner
                        .split(',')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("bad label: {line:?}"));
                            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"'));
                            (
                                k.to_string(),
                                v.unwrap_or_else(|| panic!("unquoted label: {line:?}")).to_string(),
                            )
                        })
                        .collect();
                    (name, labels)
                }
            };
            Sample {
                name: name.to_string(),
                labels,
                value,
            }
        })
        .collect()
}

/// The value of the one sample called `name` whose labels include `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value
}

/// `(le, cumulative count)` of the latency histogram, in exposition order.
fn buckets(samples: &[Sample]) -> Vec<(f64, f64)> {
    samples
        .iter()
        .filter(|s| s.name == "http_request_duration_seconds_bucket")
        .map(|s| {
            let le = match s.labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                le => le.parse().expect("numeric le"),
            };
            (le, s.value)
        })
        .collect()
}

/// The statuses of `n` sequential `GET /`.
fn statuses(svc: &TestService, n: usize) -> Vec<u16> {
    (0..n).map(|_| svc.get("/").status).collect()
}

const FAST: [&str; 4] = ["--latency-ms", "0", "--latency-jitter-ms", "0"];

#[test]
fn the_service_reports_its_port_and_answers_with_its_version() {
    let svc = TestService::start("1.1.0", &FAST);
    assert_ne!(svc.port(), 0);
    assert!(svc.addr.ip().is_loopback());
    let reply = svc.get("/");
    assert_eq!((reply.status, reply.body.as_str()), (200, "version 1.1.0\n"));
    assert_eq!(svc.get("/healthz").status, 200);
    assert_eq!(svc.post("/").status, 405);
}

#[test]
fn the_error_ratio_is_exact_and_evenly_spread() {
    let svc = TestService::start("1.1.0", &["--error-ratio", "0.05", FAST[0], FAST[1], FAST[2], FAST[3]]);
    let got = statuses(&svc, 200);
    let failed: Vec<usize> = (1..=200).filter(|&n| got[n - 1] == 500).collect();
    assert_eq!(failed, (1..=10).map(|k| k * 20).collect::<Vec<_>>());
    assert!(got.iter().all(|&s| s == 200 || s == 500));
}

#[test]
fn metrics_parse_and_the_counters_match_the_requests_made() {
    let svc = TestService::start(
        "1.1.0",
        &["--error-ratio", "0.1", "--app", "checkout", FAST[0], FAST[1]],
    );
    let before = parse_metrics(&svc.metrics());
    for code in ["200", "500"] {
        assert_eq!(
            value(&before, "http_requests_total", &[("code", code)]),
            0.0,
            "exported before traffic"
        );
    }
    statuses(&svc, 37);
    let text = svc.metrics();
    assert!(text.contains("# TYPE http_requests_total counter\n"));
    assert!(text.contains("# TYPE http_request_duration_seconds histogram\n"));
    let after = parse_metrics(&text);
    let labels = |code| [("app", "checkout"), ("version", "1.1.0"), ("code", code)];
    assert_eq!(value(&after, "http_requests_total", &labels("200")), 34.0);
    assert_eq!(value(&after, "http_requests_total", &labels("500")), 3.0);
    assert!(
        after
            .iter()
            .all(|s| s.labels["version"] == "1.1.0" && s.labels["app"] == "checkout")
    );
    // Scrapes, health checks and config reads are not application traffic.
    svc.get("/healthz");
    svc.get("/config");
    let again = parse_metrics(&svc.metrics());
    assert_eq!(value(&again, "http_request_duration_seconds_count", &[]), 37.0);
}

#[test]
fn histogram_buckets_are_cumulative_and_count_every_request() {
    let svc = TestService::start("1.1.0", &["--latency-ms", "15", "--latency-jitter-ms", "0"]);
    statuses(&svc, 20);
    let samples = parse_metrics(&svc.metrics());
    let buckets = buckets(&samples);
    assert!(buckets.len() >= 10, "{buckets:?}");
    let les: Vec<f64> = buckets.iter().map(|b| b.0).collect();
    assert!(les.windows(2).all(|w| w[0] < w[1]), "le increasing: {les:?}");
    assert!(les.contains(&0.01) && les.contains(&2.0) && les.last() == Some(&f64::INFINITY));
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "cumulative: {buckets:?}");
    let count = value(&samples, "http_request_duration_seconds_count", &[]);
    assert_eq!(count, 20.0);
    assert_eq!(buckets.last().unwrap().1, count);
    // Every request waited at least 15 ms: none is in the 10 ms bucket.
    assert_eq!(buckets.iter().find(|b| b.0 == 0.01).unwrap().1, 0.0);
    assert!(value(&samples, "http_request_duration_seconds_sum", &[]) >= 20.0 * 0.015);
}

#[test]
fn the_slow_tail_hits_every_fiftieth_request() {
    let svc = TestService::start(
        "1.1.0",
        &["--latency-ms", "2", "--latency-jitter-ms", "0", "--p99-factor", "40"],
    );
    let mut slow = Vec::new();
    for n in 1..=100 {
        let t = Instant::now();
        svc.get("/");
        if t.elapsed() >= Duration::from_millis(80) {
            slow.push(n);
        }
    }
    // Requests 50 and 100 wait 80 ms; the others 2 ms (a loaded machine may add some).
    assert!(slow.contains(&50) && slow.contains(&100), "{slow:?}");
    let samples = parse_metrics(&svc.metrics());
    let below_75ms = buckets(&samples).iter().find(|b| b.0 == 0.075).unwrap().1;
    assert!(100.0 - below_75ms >= 2.0);
}

#[test]
fn post_config_turns_a_healthy_service_bad_at_runtime() {
    let svc = TestService::start("1.1.0", &FAST);
    assert!(statuses(&svc, 20).iter().all(|&s| s == 200));
    let reply = svc.configure("error_ratio=0.5&latency_ms=60");
    assert_eq!(
        reply.body,
        "error_ratio=0.5 latency_ms=60 latency_jitter_ms=0 p99_factor=1\n"
    );
    assert_eq!(svc.get("/config").body, reply.body);
    for n in 1..=10 {
        let t = Instant::now();
        let status = svc.get("/").status;
        assert!(
            t.elapsed() >= Duration::from_millis(60),
            "request {n} took {:?}",
            t.elapsed()
        );
        assert_eq!(status, if n % 2 == 0 { 500 } else { 200 }, "request {n}");
    }
    let samples = parse_metrics(&svc.metrics());
    assert_eq!(value(&samples, "http_requests_total", &[("code", "500")]), 5.0);
    let under_50ms = buckets(&samples).iter().find(|b| b.0 == 0.05).unwrap().1;
    assert!(
        30.0 - under_50ms >= 10.0,
        "the 10 slowed requests are above 50 ms: {under_50ms}"
    );
    // Bad settings are refused with a reason and change nothing.
    for bad in ["error_ratio=2", "latency_ms=soon", "colour=red"] {
        let reply = svc.post(&format!("/config?{bad}"));
        assert_eq!(reply.status, 400, "{bad}: {}", reply.body);
    }
    assert!(svc.get("/config").body.starts_with("error_ratio=0.5 latency_ms=60 "));
    svc.configure("error_ratio=0&latency_ms=0");
    assert!(statuses(&svc, 10).iter().all(|&s| s == 200));
}

#[test]
fn keep_alive_pipelining_and_byte_by_byte_requests_are_served() {
    let svc = TestService::start("1.1.0", &FAST);
    let mut stream = TcpStream::connect(svc.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let one = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
    for b in one.bytes() {
        stream.write_all(&[b]).unwrap();
        stream.flush().unwrap();
    }
    // Two more requests in one write, the last asking to close.
    write!(
        stream,
        "{one}GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut all = String::new();
    stream.read_to_string(&mut all).unwrap();
    assert_eq!(all.matches("HTTP/1.1 200 OK\r\n").count(), 3, "{all}");
    assert_eq!(all.matches("version 1.1.0\n").count(), 2, "{all}");
    assert!(all.ends_with("ok\n"));
    // A request line that is not HTTP gets a 400, not a hang.
    let reply = {
        let mut s = TcpStream::connect(svc.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"HELLO\r\n\r\n").unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        parse_reply(&raw).unwrap()
    };
    assert_eq!(reply.status, 400);
    assert_eq!(http(svc.addr, "GET", "/").status, 200, "still serving");
}

#[test]
fn the_load_generator_sends_rps_times_duration_and_stops_by_itself() {
    let svc = TestService::start("1.1.0", &["--error-ratio", "0.1"]);
    let report = run_load(&svc.url("/"), 50.0, "2s", &["--concurrency", "8"]);
    assert!((90..=100).contains(&report.sent), "{report:?}");
    assert_eq!(
        report.sent,
        report.ok + report.server_errors + report.other + report.errors
    );
    assert_eq!((report.other, report.errors), (0, 0), "{report:?}");
    assert!(report.elapsed >= Duration::from_millis(1900), "{report:?}");
    assert!(report.wall < Duration::from_secs(10), "{report:?}");
    let samples = parse_metrics(&svc.metrics());
    assert_eq!(
        value(&samples, "http_requests_total", &[("code", "200")]),
        report.ok as f64
    );
    assert_eq!(
        value(&samples, "http_requests_total", &[("code", "500")]),
        report.server_errors as f64
    );
    assert_eq!(report.server_errors, report.sent / 10);
}

#[test]
fn the_load_generator_stops_on_time_when_nothing_listens() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let report = run_load(
        &format!("http://127.0.0.1:{port}/"),
        20.0,
        "1s",
        &["--timeout", "500ms"],
    );
    assert_eq!((report.sent, report.errors, report.ok), (20, 20, 0), "{report:?}");
    assert!(report.wall < Duration::from_secs(5), "{report:?}");
}

#[test]
fn the_load_generator_refuses_targets_off_loopback() {
    for target in ["http://10.1.2.3:80/", "http://example.com/", "https://127.0.0.1/"] {
        let out = Command::new(BIN)
            .args(["load", "--target", target, "--rps", "10", "--duration", "1s"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
        assert!(stderr.contains(target), "{target}: {stderr}");
        assert!(
            stderr.contains("loopback") || stderr.contains("only http://"),
            "{target}: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn serve_refuses_settings_out_of_range() {
    let out = Command::new(BIN)
        .args(["serve", "--version", "1.1.0", "--error-ratio", "1.5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error_ratio must be within 0..=1"));
}

#[test]
fn serve_with_stop_on_stdin_eof_exits_when_its_parent_closes_stdin() {
    let mut svc = TestService::start("1.1.0", &FAST);
    assert_eq!(svc.get("/healthz").status, 200);
    drop(svc.child.stdin.take());
    let status = svc.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(TcpStream::connect(svc.addr).is_err(), "nothing listens any more");
}
