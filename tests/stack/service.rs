//! The test service as a fixture: one version of it on a free loopback port, served inside
//! this test process by the `shipdeck-testsvc` library (a dev-dependency) and stopped when
//! dropped; requests to it over a plain socket; load for it in the background.
//!
//! ```ignore
//! let canary = TestService::start("1.1.0", Behaviour { error_ratio: 0.05, ..Behaviour::default() });
//! let reply = canary.get("/");
//! canary.configure("error_ratio=0.5&latency_ms=60");
//! let _load = start_load(&format!("http://{}/", canary.addr), 150.0, 4);
//! ```

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub use shipdeck_testsvc::Behaviour;
use shipdeck_testsvc::{Background, Load, LoadPlan, Server, Service, parse_target};

/// How long one request made by these helpers may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A running version of the test service; stopped, with all its connections, when dropped.
pub struct TestService {
    pub addr: SocketAddr,
    pub version: String,
    _server: Server,
}

impl TestService {
    /// Serves `version` with `behaviour` on 127.0.0.1 and a free port; it accepts connections
    /// as soon as this returns.
    pub fn start(version: &str, behaviour: Behaviour) -> TestService {
        behaviour
            .validate()
            .unwrap_or_else(|e| panic!("test service {version}: {e}"));
        let server = Server::start(
            SocketAddr::from(([127, 0, 0, 1], 0)),
            Service::new(version, None, behaviour),
        )
        .unwrap_or_else(|e| panic!("start test service {version}: {e}"));
        TestService {
            addr: server.addr(),
            version: version.to_string(),
            _server: server,
        }
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

/// A response read by [`http`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// One bodiless request on its own connection (`Connection: close`), read to the end.
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
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("{method} {path}: not an HTTP response: {raw:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
    Reply {
        status: status.unwrap_or_else(|| panic!("{method} {path}: no status in {head:?}")),
        body: body.to_string(),
    }
}

/// GET requests to `target` (a loopback URL) at `rps` with `concurrency` in flight, for
/// five minutes or until the result is dropped.
pub fn start_load(target: &str, rps: f64, concurrency: usize) -> Background {
    let plan = LoadPlan {
        target: parse_target(target).unwrap_or_else(|e| panic!("{e}")),
        rps,
        duration: Duration::from_secs(300),
        concurrency,
        timeout: Duration::from_secs(5),
    };
    plan.validate().unwrap_or_else(|e| panic!("{e}"));
    Load::new(plan)
        .and_then(|load| load.spawn().map_err(|e| e.to_string()))
        .unwrap_or_else(|e| panic!("start load on {target}: {e}"))
}
