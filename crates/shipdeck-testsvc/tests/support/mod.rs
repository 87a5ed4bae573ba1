//! The `shipdeck-testsvc` binary as a test fixture: start one version of the test service on
//! a free loopback port, talk to it over plain sockets, run the load generator, and kill the
//! service on drop.
//!
//! ```ignore
//! let canary = TestService::start("1.1.0", &["--error-ratio", "0.05", "--app", "checkout"]);
//! let reply = canary.get("/");
//! canary.configure("error_ratio=0.5&latency_ms=60");
//! let load = run_load(&canary.url("/"), 50.0, "2s", &[]);
//! ```

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How long the service may take to print its address.
const START_DEADLINE: Duration = Duration::from_secs(10);
/// How long one request made by these helpers may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

pub const BIN: &str = env!("CARGO_BIN_EXE_shipdeck-testsvc");

/// A running `shipdeck-testsvc serve`; killed when dropped.
pub struct TestService {
    pub child: Child,
    pub addr: SocketAddr,
}

impl TestService {
    /// Starts `serve --version VERSION --listen 127.0.0.1:0 --stop-on-stdin-eof EXTRA...` and
    /// waits (at most 10 s) for its `listening on` line. Panics, with the service's stderr, if
    /// it does not come.
    pub fn start(version: &str, extra: &[&str]) -> TestService {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--version",
                version,
                "--listen",
                "127.0.0.1:0",
                "--stop-on-stdin-eof",
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn shipdeck-testsvc");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_done = drain(child.stderr.take().expect("piped stderr"), Arc::clone(&stderr));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep reading so the service can never block on a full pipe.
            lines.for_each(drop);
        });
        let first = rx.recv_timeout(START_DEADLINE);
        let addr = first
            .ok()
            .flatten()
            .and_then(Result::ok)
            .and_then(|line| line.strip_prefix("listening on ")?.parse::<SocketAddr>().ok());
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = stderr_done.join();
            panic!(
                "shipdeck-testsvc {version} {extra:?} did not report its address within {START_DEADLINE:?}; stderr:\n{}",
                stderr.lock().unwrap()
            );
        };
        TestService { child, addr }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT/PATH`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> Reply {
        http(self.addr, "GET", path)
    }

    pub fn post(&self, path: &str) -> Reply {
        http(self.addr, "POST", path)
    }

    /// `POST /config?QUERY`, which must succeed.
    pub fn configure(&self, query: &str) -> Reply {
        let reply = self.post(&format!("/config?{query}"));
        assert_eq!(reply.status, 200, "POST /config?{query}: {}", reply.body);
        reply
    }

    /// The `/metrics` text.
    pub fn metrics(&self) -> String {
        let reply = self.get("/metrics");
        assert_eq!(reply.status, 200, "GET /metrics: {}", reply.body);
        reply.body
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Copies a child's output into a string until it closes.
fn drain(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            into.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

/// A response read by [`http`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// One bodiless request on its own connection (`Connection: close`), read to the end. A
/// socket and a format string, so the server is tested by a client that is not its own.
pub fn http(addr: SocketAddr, method: &str, path: &str) -> Reply {
    let mut stream =
        TcpStream::connect_timeout(&addr, REQUEST_TIMEOUT).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream.set_read_timeout(Some(REQUEST_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(REQUEST_TIMEOUT)).unwrap();
    let length = if method == "POST" { "Content-Length: 0\r\n" } else { "" };
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{length}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    stream
        .read_to_string(&mut raw)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    parse_reply(&raw).unwrap_or_else(|| panic!("{method} {path}: not an HTTP response: {raw:?}"))
}

/// Status and body of a complete `Content-Length` response.
pub fn parse_reply(raw: &str) -> Option<Reply> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Reply {
        status,
        body: body.to_string(),
    })
}

/// The summary of a `shipdeck-testsvc load` run.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    pub sent: u64,
    pub ok: u64,
    pub server_errors: u64,
    pub other: u64,
    pub errors: u64,
    pub skipped: u64,
    /// As the generator measured it.
    pub elapsed: Duration,
    /// As this process measured it, process start included.
    pub wall: Duration,
}

/// Runs `shipdeck-testsvc load --target URL --rps RPS --duration DURATION EXTRA...` to its end
/// and parses the summary line; panics if it fails.
pub fn run_load(target: &str, rps: f64, duration: &str, extra: &[&str]) -> LoadReport {
    let started = Instant::now();
    let out = Command::new(BIN)
        .args([
            "load",
            "--target",
            target,
            "--rps",
            &rps.to_string(),
            "--duration",
            duration,
        ])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run shipdeck-testsvc load");
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "load failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    parse_summary(stdout.trim(), wall).unwrap_or_else(|| panic!("unexpected load summary {stdout:?}"))
}

/// Parses `sent=N 2xx=N 5xx=N other=N errors=N skipped=N elapsed=S.SSs`.
pub fn parse_summary(line: &str, wall: Duration) -> Option<LoadReport> {
    let field = |name: &str| line.split(' ').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
    let count = |name: &str| field(name)?.parse::<u64>().ok();
    Some(LoadReport {
        sent: count("sent")?,
        ok: count("2xx")?,
        server_errors: count("5xx")?,
        other: count("other")?,
        errors: count("errors")?,
        skipped: count("skipped")?,
        elapsed: Duration::from_secs_f64(field("elapsed")?.strip_suffix('s')?.parse().ok()?),
        wall,
    })
}
