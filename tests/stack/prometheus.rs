//! A real Prometheus on loopback for end-to-end tests: a temporary storage directory, the
//! scrape jobs given with a short scrape interval, an ephemeral port. Ready when `/-/ready`
//! answers 200; killed and cleaned up on drop. `stop` kills it as a crash would and
//! `restart` brings it back on the same port with the same data.
//!
//! ```ignore
//! let prom = Prometheus::start(&scrape_job("app", exporter_addr), Duration::from_secs(1));
//! let url = prom.url();
//! ```
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The prometheus binary; `SHIPDECK_PROMETHEUS` names another one.
pub const PROMETHEUS_BIN: &str = "/usr/bin/prometheus";

fn binary() -> PathBuf {
    std::env::var_os("SHIPDECK_PROMETHEUS").map_or_else(|| PathBuf::from(PROMETHEUS_BIN), PathBuf::from)
}

const READY_WITHIN: Duration = Duration::from_secs(30);
const START_ATTEMPTS: usize = 5;

/// Whether the real prometheus was found when this was built (build.rs); tests use the
/// `no_prometheus` cfg to be reported ignored, benchmarks this to say why they do nothing.
pub fn available() -> bool {
    if cfg!(no_prometheus) {
        println!("skipping: prometheus not installed (apt-get install prometheus)");
    }
    !cfg!(no_prometheus)
}

/// One entry of `scrape_configs`: job `job` scraping `/metrics` on `target`.
pub fn scrape_job(job: &str, target: SocketAddr) -> String {
    format!("  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n")
}

pub struct Prometheus {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    scrape_configs: String,
    scrape_interval: Duration,
    child: Option<Child>,
}

impl Prometheus {
    /// Starts prometheus with `scrape_configs` (entries such as `scrape_job` makes) scraped
    /// every `scrape_interval`, and waits until it is ready.
    pub fn start(scrape_configs: &str, scrape_interval: Duration) -> Prometheus {
        let dir = tempfile::Builder::new()
            .prefix("shipdeck-prometheus-")
            .tempdir()
            .expect("create the prometheus temp dir");
        let mut prometheus = Prometheus {
            addr: free_port(),
            dir,
            scrape_configs: scrape_configs.to_string(),
            scrape_interval,
            child: None,
        };
        prometheus.launch(true);
        prometheus
    }

    /// The base URL of the HTTP API.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills prometheus as a crash would (SIGKILL): its port refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts prometheus again on the same port and storage (what was stored is kept).
    pub fn restart(&mut self) {
        self.stop();
        self.launch(false);
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("prometheus.log")
    }

    /// Starts the process and waits for readiness. The port is picked free but may be
    /// taken before prometheus binds it; on a first start that is retried with a new port.
    fn launch(&mut self, may_move: bool) {
        let config = self.dir.path().join("prometheus.yml");
        std::fs::write(&config, self.config()).expect("write prometheus.yml");
        for attempt in 1..=START_ATTEMPTS {
            let log = std::fs::File::create(self.log_path()).expect("create prometheus.log");
            let child = Command::new(binary())
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", self.data_dir().display()))
                .arg(format!("--web.listen-address={}", self.addr))
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("clone log handle"))
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()));
            self.child = Some(child);
            match self.wait_ready() {
                Ok(()) => return,
                Err(why) => {
                    self.stop();
                    let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                    let port_taken = log.contains("address already in use");
                    if !(port_taken && may_move && attempt < START_ATTEMPTS) {
                        panic!("prometheus did not become ready: {why}\n--- prometheus.log ---\n{log}");
                    }
                    self.addr = free_port();
                }
            }
        }
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("prometheus exited with {status}"));
            }
            match http_status(self.addr, "/-/ready") {
                Ok(200) => return Ok(()),
                _ if Instant::now() > deadline => {
                    return Err(format!(
                        "{}/-/ready did not answer 200 within {READY_WITHIN:?}",
                        self.url()
                    ));
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    fn config(&self) -> String {
        let every = format!("{}ms", self.scrape_interval.as_millis().max(1));
        format!(
            "global:\n  scrape_interval: {every}\n  scrape_timeout: {every}\n  evaluation_interval: {every}\n\
             scrape_configs:\n{}",
            self.scrape_configs
        )
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Prometheus {
    /// The value of the instant query `expr` now: `Some` only for exactly one finite number.
    pub fn query(&self, expr: &str) -> Option<f64> {
        let path = format!("/api/v1/query?query={}", percent_encode(expr));
        let body = http_get(self.addr, &path).ok()?;
        let json: serde_json::Value = serde_json::from_str(&body).ok()?;
        let result = json["data"]["result"].as_array()?;
        let [series] = result.as_slice() else { return None };
        let value: f64 = series["value"][1].as_str()?.parse().ok()?;
        value.is_finite().then_some(value)
    }
}

/// Every byte outside the unreserved set of RFC 3986 as %XX.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The body of `GET path`, on a connection of its own.
fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {answer:?}")))
}

/// A loopback port that was free a moment ago.
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address")
}

/// The status code of `GET path`, on a connection of its own.
fn http_status(addr: SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {answer:?}")))
}
