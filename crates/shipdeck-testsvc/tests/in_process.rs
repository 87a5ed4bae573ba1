//! The library API the product's tests use: the service served inside the test's own process
//! and load running in the background, each on a thread of its own and stopped when dropped.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use shipdeck_testsvc::{Behaviour, Load, LoadPlan, Server, Service, parse_target};
use support::http;

const ANY_PORT: &str = "127.0.0.1:0";

fn fast() -> Behaviour {
    Behaviour {
        latency_ms: 0,
        latency_jitter_ms: 0,
        ..Behaviour::default()
    }
}

fn start(version: &str) -> Server {
    Server::start(ANY_PORT.parse().unwrap(), Service::new(version, None, fast())).unwrap()
}

/// `http_requests_total{code="200"}` as the service reports it.
fn served(addr: SocketAddr) -> u64 {
    let metrics = http(addr, "GET", "/metrics").body;
    let line = metrics
        .lines()
        .find(|l| l.starts_with("http_requests_total{") && l.contains("code=\"200\""))
        .unwrap_or_else(|| panic!("no 200 counter in {metrics}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_server_serves_as_soon_as_it_starts_and_closes_everything_when_dropped() {
    let server = start("2.0.0");
    let addr = server.addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");
    let reply = http(addr, "GET", "/");
    assert_eq!((reply.status, reply.body.as_str()), (200, "version 2.0.0\n"));

    // A kept-alive connection, idle when the server goes away.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.ends_with(b"\r\n\r\nok\n") {
        let n = idle.read(&mut buf).unwrap();
        assert_ne!(n, 0, "closed before answering: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }

    drop(server);
    match idle.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        other => panic!("the idle connection outlived the server: {other:?}"),
    }
    let refused = TcpStream::connect(addr).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ConnectionRefused, "{refused}");
}

#[test]
fn two_servers_in_one_process_keep_their_own_counters() {
    let (one, two) = (start("1.0.0"), start("1.1.0"));
    for _ in 0..3 {
        assert_eq!(http(one.addr(), "GET", "/").body, "version 1.0.0\n");
    }
    assert_eq!(http(two.addr(), "GET", "/").body, "version 1.1.0\n");
    assert_eq!((served(one.addr()), served(two.addr())), (3, 1));
}

#[test]
fn background_load_reaches_the_service_and_stops_when_dropped() {
    let server = start("1.0.0");
    let plan = LoadPlan {
        target: parse_target(&format!("http://{}/", server.addr())).unwrap(),
        rps: 200.0,
        duration: Duration::from_secs(300),
        concurrency: 2,
        timeout: Duration::from_secs(5),
    };
    plan.validate().unwrap();
    let load = Load::new(plan).unwrap().spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while served(server.addr()) < 20 {
        assert!(Instant::now() < deadline, "the load never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
    // The run has 300 s to go; a prompt drop means it was stopped, not waited for.
    let dropping = Instant::now();
    drop(load);
    assert!(dropping.elapsed() < Duration::from_secs(5), "{:?}", dropping.elapsed());
}

#[tokio::test]
async fn load_for_localhost_reaches_a_service_on_127_0_0_1() {
    let server = start("1.0.0");
    let plan = LoadPlan {
        target: parse_target(&format!("http://localhost:{}/", server.addr().port())).unwrap(),
        rps: 50.0,
        duration: Duration::from_millis(200),
        concurrency: 2,
        timeout: Duration::from_secs(5),
    };
    let summary = Load::new(plan).unwrap().run().await;
    assert_eq!((summary.sent, summary.ok, summary.errors), (10, 10, 0), "{summary}");
}
