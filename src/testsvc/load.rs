//! A bounded load generator for loopback targets.
//!
//! It sends exactly `round(rps * duration)` GET requests (fewer only when it falls behind), the
//! `i`-th due at `i / rps` seconds after the start, spread over `concurrency` keep-alive
//! connections. A request is never started more than [`LATE_LIMIT`] after the end of the
//! duration (later ones are counted as skipped) and none takes longer than the timeout, so a
//! run always ends by `duration + LATE_LIMIT + timeout`, whatever the target does.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use super::http::{Conn, HttpError, get_request_bytes};

/// How far behind schedule a request may start before it is skipped instead.
pub const LATE_LIMIT: Duration = Duration::from_secs(1);

const MAX_RPS: f64 = 100_000.0;
const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
const MAX_CONCURRENCY: usize = 1024;

/// Where the load goes: a loopback address, the `Host` header and the request path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
}

/// Parses `http://HOST[:PORT][/PATH]`, where HOST must be loopback: `127.0.0.0/8`, `[::1]` or
/// `localhost` (taken as 127.0.0.1 without asking a resolver).
pub fn parse_target(url: &str) -> Result<Target, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("target {url:?}: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(format!("target {url:?}: expected http://HOST[:PORT]/PATH"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("target {url:?}: unclosed [ in the address"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => 80,
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| format!("target {url:?}: bad port {p:?}"))?,
    };
    let refuse = || {
        format!(
            "refusing target {url:?}: the load generator only sends to loopback addresses (127.0.0.0/8, [::1], localhost)"
        )
    };
    let ip = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.parse::<IpAddr>().map_err(|_| refuse())?
    };
    if !ip.is_loopback() {
        return Err(refuse());
    }
    Ok(Target {
        addr: SocketAddr::new(ip, port),
        host: authority.to_string(),
        path,
    })
}

/// Parses a duration with a unit: `500ms`, `2s`, `1.5s`, `3m`, `1h`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {s:?}: expected a number and a unit, e.g. 30s or 500ms"))?;
    let seconds = match unit {
        "ms" => number / 1000.0,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        "" => return Err(format!("bad duration {s:?}: add a unit (ms, s, m or h)")),
        _ => return Err(format!("bad duration {s:?}: unknown unit {unit:?}, use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("bad duration {s:?}"))
}

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

/// Runs the plan to completion. Call [`LoadPlan::validate`] first.
pub async fn run(plan: LoadPlan) -> Summary {
    let plan = Arc::new(plan);
    let next = Arc::new(AtomicU64::new(0));
    let tally = Arc::new(Mutex::new(Summary::default()));
    let start = Instant::now();
    let workers: Vec<_> = (0..plan.concurrency)
        .map(|_| tokio::spawn(worker(Arc::clone(&plan), Arc::clone(&next), Arc::clone(&tally), start)))
        .collect();
    for w in workers {
        // A worker only ends by returning; a panic would be a bug worth seeing.
        w.await.expect("load worker panicked");
    }
    let mut summary = tally.lock().unwrap_or_else(|p| p.into_inner()).clone();
    summary.elapsed = start.elapsed();
    summary
}

async fn worker(plan: Arc<LoadPlan>, next: Arc<AtomicU64>, tally: Arc<Mutex<Summary>>, start: Instant) {
    let total = plan.total();
    let request = get_request_bytes(&plan.target.path, &plan.target.host);
    let mut conn = None;
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
        let outcome = tokio::time::timeout(plan.timeout, exchange(&mut conn, plan.target.addr, &request)).await;
        let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
        t.sent += 1;
        match outcome {
            Ok(Ok(status)) if (200..300).contains(&status) => t.ok += 1,
            Ok(Ok(status)) if (500..600).contains(&status) => t.server_errors += 1,
            Ok(Ok(_)) => t.other += 1,
            Ok(Err(_)) => t.errors += 1,
            // A timed-out exchange drops its connection with it: it is never reused.
            Err(_) => t.errors += 1,
        }
    }
}

/// Sends one request and reads its response, on `conn` when open or a new connection
/// otherwise. A kept-alive connection the server closed meanwhile is replaced once.
async fn exchange(conn: &mut Option<Conn<TcpStream>>, addr: SocketAddr, request: &[u8]) -> Result<u16, HttpError> {
    loop {
        let reused = conn.is_some();
        let mut c = match conn.take() {
            Some(c) => c,
            None => {
                let stream = TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                Conn::new(stream)
            }
        };
        let result = match c.write_all(request).await {
            Ok(()) => c.read_response(false).await,
            Err(e) => Err(e.into()),
        };
        match result {
            Ok(response) => {
                if response.keep_alive {
                    *conn = Some(c);
                }
                return Ok(response.status);
            }
            Err(e) if reused && stale(&e) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Whether an error is how a server's close of an idle keep-alive connection shows.
fn stale(e: &HttpError) -> bool {
    match e {
        HttpError::Closed => true,
        HttpError::Io(e) => matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_targets_parse() {
        let t = parse_target("http://127.0.0.1:8080/api?x=1").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!((t.host.as_str(), t.path.as_str()), ("127.0.0.1:8080", "/api?x=1"));
        assert_eq!(parse_target("http://localhost:9").unwrap().path, "/");
        assert_eq!(
            parse_target("http://[::1]:81/").unwrap().addr,
            "[::1]:81".parse().unwrap()
        );
        assert_eq!(parse_target("http://127.1.2.3/").unwrap().addr.port(), 80);
    }

    #[test]
    fn other_targets_are_refused_with_a_reason() {
        for url in [
            "http://10.0.0.1/",
            "http://example.com:80/",
            "http://[2001:db8::1]/",
            "http://0.0.0.0:80/",
        ] {
            let e = parse_target(url).unwrap_err();
            assert!(e.contains("only sends to loopback"), "{url}: {e}");
        }
        assert!(parse_target("https://127.0.0.1/").unwrap_err().contains("only http://"));
        assert!(parse_target("http://127.0.0.1:0/").unwrap_err().contains("bad port"));
        assert!(parse_target("http://user@127.0.0.1/").is_err());
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("30").unwrap_err().contains("add a unit"));
        assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("s").is_err());
    }

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
