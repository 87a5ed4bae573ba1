//! The HAProxy router against a real haproxy on loopback: weights read back, real
//! requests split by them, and every failure named (missing server, socket, permission,
//! dead or silent haproxy, a canary that is down).
//!
//! Backend `app` balances roundrobin over in-test HTTP servers that answer with their
//! version. Without /usr/sbin/haproxy (or `SHIPDECK_HAPROXY`) the haproxy tests are
//! reported ignored with the reason; SHIPDECK_E2E=1 makes the build fail instead (build.rs).

#[path = "stack/haproxy.rs"]
mod haproxy;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use haproxy::{Haproxy, Server};
use shipdeck::backend::RouterError::{Misconfigured, Unavailable};
use shipdeck::backend::TrafficRouter;
use shipdeck::backend::haproxy::HaproxyRouter;
use shipdeck::plan::{HaproxyTarget, Weight};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Requests sent to measure a split.
const REQUESTS: usize = 400;
/// How far the measured canary share may be from the weight, in percentage points (4 of
/// 400 requests). Roundrobin over sequential requests on one haproxy thread is smooth
/// (measured: 19 of 400 at 5%, 99 of 400 at 25%); the slack covers where its cycle starts.
const TOLERANCE_POINTS: f64 = 1.0;

fn w(percent: u8) -> Weight {
    Weight::new(percent).unwrap()
}

/// A tiny HTTP server answering every request with `body` (Connection: close), counting
/// the requests it served.
struct Upstream {
    addr: SocketAddr,
    served: Arc<AtomicUsize>,
}

async fn upstream(body: &'static str) -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let served = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&served);
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let count = Arc::clone(&count);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match conn.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    Upstream { addr, served }
}

/// One GET through haproxy on its own connection; returns the body.
async fn get(frontend: SocketAddr) -> String {
    let mut conn = TcpStream::connect(frontend).await.unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: shipdeck.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "haproxy answered: {response}");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
        .unwrap_or_default()
}

/// How many of `REQUESTS` requests the canary answered.
async fn canary_answers(frontend: SocketAddr) -> usize {
    let mut canary = 0;
    for _ in 0..REQUESTS {
        match get(frontend).await.as_str() {
            "canary" => canary += 1,
            "stable" => {}
            other => panic!("unexpected body {other:?}"),
        }
    }
    canary
}

/// Two upstreams (stable1, canary1) behind a fresh haproxy, stable at weight 100 and the
/// canary at 0 as a release starts.
struct Stack {
    haproxy: Haproxy,
    stable: Upstream,
    canary: Upstream,
}

async fn stack() -> Stack {
    let stable = upstream("stable").await;
    let canary = upstream("canary").await;
    let haproxy = Haproxy::start(&[
        Server::new("stable1", stable.addr, 100),
        Server::new("canary1", canary.addr, 0),
    ]);
    Stack {
        haproxy,
        stable,
        canary,
    }
}

fn target(socket: &str, stable: &[&str], canary: &[&str]) -> HaproxyTarget {
    HaproxyTarget {
        socket: socket.to_string(),
        backend: haproxy::BACKEND.to_string(),
        stable: stable.iter().map(|s| s.to_string()).collect(),
        canary: canary.iter().map(|s| s.to_string()).collect(),
    }
}

fn router(haproxy: &Haproxy) -> HaproxyRouter {
    HaproxyRouter::new(&target(haproxy.socket.to_str().unwrap(), &["stable1"], &["canary1"]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn each_weight_reads_back_exactly() {
    let s = stack().await;
    let mut router = router(&s.haproxy);
    for p in [0, 5, 25, 50, 100, 0] {
        assert_eq!(router.apply(w(p)).await, Ok(w(p)), "apply {p}");
        // Checked behind the router's back: the weights are really in haproxy.
        assert_eq!(s.haproxy.weight("canary1"), u32::from(p));
        assert_eq!(s.haproxy.weight("stable1"), 100 - u32::from(p));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn requests_split_by_the_weight() {
    let s = stack().await;
    let mut router = router(&s.haproxy);
    for p in [5u8, 25, 50, 100] {
        assert_eq!(router.apply(w(p)).await, Ok(w(p)));
        let canary = canary_answers(s.haproxy.frontend).await;
        let share = 100.0 * canary as f64 / REQUESTS as f64;
        assert!(
            (share - f64::from(p)).abs() <= TOLERANCE_POINTS,
            "weight {p}%: the canary answered {canary} of {REQUESTS} requests ({share:.1}%)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn weight_zero_sends_the_canary_nothing() {
    let s = stack().await;
    let mut router = router(&s.haproxy);
    assert_eq!(router.apply(w(50)).await, Ok(w(50)));
    assert!(
        canary_answers(s.haproxy.frontend).await > 0,
        "the canary took traffic at 50%"
    );
    assert_eq!(router.apply(Weight::ZERO).await, Ok(Weight::ZERO));
    let (canary_before, stable_before) = (
        s.canary.served.load(Ordering::SeqCst),
        s.stable.served.load(Ordering::SeqCst),
    );
    assert_eq!(canary_answers(s.haproxy.frontend).await, 0);
    assert_eq!(
        s.canary.served.load(Ordering::SeqCst),
        canary_before,
        "requests reached the canary server"
    );
    assert_eq!(s.stable.served.load(Ordering::SeqCst), stable_before + REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn server_groups_split_by_group_share() {
    let stable1 = upstream("stable").await;
    let stable2 = upstream("stable").await;
    let canary = upstream("canary").await;
    let haproxy = Haproxy::start(&[
        Server::new("stable1", stable1.addr, 100),
        Server::new("stable2", stable2.addr, 100),
        Server::new("canary1", canary.addr, 0),
    ]);
    let mut router = HaproxyRouter::new(&target(
        haproxy.socket.to_str().unwrap(),
        &["stable1", "stable2"],
        &["canary1"],
    ));
    assert_eq!(router.apply(w(25)).await, Ok(w(25)));
    // One canary against two stable servers: 25% is canary 50 against 75 + 75.
    assert_eq!(
        (
            haproxy.weight("canary1"),
            haproxy.weight("stable1"),
            haproxy.weight("stable2")
        ),
        (50, 75, 75)
    );
    let answered = canary_answers(haproxy.frontend).await;
    let share = 100.0 * answered as f64 / REQUESTS as f64;
    assert!(
        (share - 25.0).abs() <= TOLERANCE_POINTS,
        "canary share {share:.1}% at 25%"
    );
    let (a, b) = (
        stable1.served.load(Ordering::SeqCst),
        stable2.served.load(Ordering::SeqCst),
    );
    assert!(a.abs_diff(b) <= 2, "stable servers share evenly: {a} and {b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn unknown_server_is_named_and_nothing_is_written() {
    let s = stack().await;
    let socket = s.haproxy.socket.to_str().unwrap();
    let mut router = HaproxyRouter::new(&target(socket, &["stable1"], &["canary9"]));
    let err = router.apply(w(0)).await.unwrap_err();
    assert_eq!(
        err,
        Misconfigured(
            "haproxy: backend app has no server canary9: fix target.haproxy in the plan, or HAProxy's configuration"
                .into()
        )
    );
    assert_eq!(s.haproxy.weight("stable1"), 100, "stable weight untouched");

    let mut router = HaproxyRouter::new(&target(socket, &["stable1", "stable7"], &["canary1", "canary9"]));
    let err = router.apply(w(10)).await.unwrap_err();
    assert!(!err.retry_helps());
    assert!(
        err.to_string()
            .starts_with("haproxy: backend app has no server canary9, stable7: fix"),
        "{err}"
    );

    let mut router = HaproxyRouter::new(&HaproxyTarget {
        backend: "nope".into(),
        ..target(socket, &["stable1"], &["canary1"])
    });
    let err = router.apply(w(10)).await.unwrap_err();
    assert!(!err.retry_helps());
    assert!(err.to_string().starts_with("haproxy: no backend nope at "), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_names_that_would_change_the_command_are_refused() {
    let mut router = HaproxyRouter::new(&target("/nonexistent/admin.sock", &["stable1"], &["canary1; shutdown"]));
    let err = router.apply(w(10)).await.unwrap_err();
    assert_eq!(
        err,
        Misconfigured(
            "haproxy: \"canary1; shutdown\" is not a usable canary server name: fix target.haproxy in the plan".into()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn operator_level_socket_is_refused_with_the_fix() {
    let s = stack().await;
    let mut router = HaproxyRouter::new(&target(
        s.haproxy.operator_socket.to_str().unwrap(),
        &["stable1"],
        &["canary1"],
    ));
    let err = router.apply(w(10)).await.unwrap_err();
    assert!(!err.retry_helps(), "{err}");
    let err = err.to_string();
    assert!(err.contains("give the stats socket `level admin`"), "{err}");
    assert!(err.contains(s.haproxy.operator_socket.to_str().unwrap()), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_socket_is_named() {
    let dir = std::env::temp_dir().join(format!("shipdeck-no-haproxy-{}", std::process::id()));
    let path = dir.join("admin.sock");
    let mut router = HaproxyRouter::new(&target(path.to_str().unwrap(), &["stable1"], &["canary1"]));
    let err = router.apply(w(10)).await.unwrap_err();
    assert_eq!(
        err,
        Unavailable(format!(
            "haproxy: runtime API socket {p} does not exist: is haproxy running with `stats socket {p} level admin`?",
            p = path.display()
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_tcp_port_is_named() {
    // A port that was just free, and nothing listens on it now.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut router = HaproxyRouter::new(&target(&addr.to_string(), &["stable1"], &["canary1"]));
    let err = router.apply(w(10)).await.unwrap_err();
    assert_eq!(
        err,
        Unavailable(format!("haproxy: connection refused by {addr}: is haproxy running?"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_socket_times_out_naming_it() {
    let dir = std::env::temp_dir().join(format!("shipdeck-silent-haproxy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("admin.sock");
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    // Accepts and never answers.
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    let mut router = HaproxyRouter::new(&target(path.to_str().unwrap(), &["stable1"], &["canary1"]))
        .with_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let err = router.apply(w(10)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up late: {:?}",
        started.elapsed()
    );
    assert_eq!(
        err,
        Unavailable(format!(
            "haproxy: no answer from {} to `show stat app 4 -1` within 200 ms",
            path.display()
        ))
    );
    holder.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn tcp_stats_socket_works_too() {
    let s = stack().await;
    let mut router = HaproxyRouter::new(&target(&s.haproxy.tcp_socket.to_string(), &["stable1"], &["canary1"]));
    for p in [25, 0] {
        assert_eq!(router.apply(w(p)).await, Ok(w(p)));
        assert_eq!(s.haproxy.weight("canary1"), u32::from(p));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn canary_down_or_in_maintenance_fails_but_rollback_succeeds() {
    let s = stack().await;
    let mut router = router(&s.haproxy);

    assert_eq!(s.haproxy.command("set server app/canary1 health down").trim(), "");
    let err = router.apply(w(25)).await.unwrap_err();
    assert!(err.retry_helps(), "a server may come back: {err}");
    assert!(
        err.to_string().starts_with("haproxy: canary server canary1 is DOWN"),
        "{err}"
    );
    // Nothing is claimed for the canary, yet taking it out works: no traffic goes there.
    assert_eq!(router.apply(Weight::ZERO).await, Ok(Weight::ZERO));

    assert_eq!(s.haproxy.command("set server app/canary1 health up").trim(), "");
    assert_eq!(s.haproxy.command("disable server app/canary1").trim(), "");
    let err = router.apply(w(10)).await.unwrap_err();
    assert!(
        err.to_string().starts_with("haproxy: canary server canary1 is MAINT"),
        "{err}"
    );

    assert_eq!(s.haproxy.command("enable server app/canary1").trim(), "");
    assert_eq!(router.apply(w(10)).await, Ok(w(10)));

    // A stable server that is down while it should carry traffic is named as well.
    assert_eq!(s.haproxy.command("set server app/stable1 health down").trim(), "");
    let err = router.apply(Weight::ZERO).await.unwrap_err();
    assert!(
        err.to_string().starts_with("haproxy: stable server stable1 is DOWN"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn stopped_haproxy_fails_and_a_restart_recovers() {
    let mut s = stack().await;
    let mut router = router(&s.haproxy);
    assert_eq!(router.apply(w(25)).await, Ok(w(25)));

    s.haproxy.stop();
    let err = router.apply(Weight::ZERO).await.unwrap_err();
    assert_eq!(
        err,
        Unavailable(format!(
            "haproxy: connection refused by {}: is haproxy running?",
            s.haproxy.socket.display()
        ))
    );

    // A restart forgets runtime weights (back to the configuration); the runtime's next
    // retry applies the wish again.
    s.haproxy.restart();
    assert_eq!(s.haproxy.weight("canary1"), 0);
    assert_eq!(router.apply(w(25)).await, Ok(w(25)));
    assert_eq!(s.haproxy.weight("canary1"), 25);
    assert!(canary_answers(s.haproxy.frontend).await > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_previous_is_a_no_op() {
    let mut router = HaproxyRouter::new(&target("/nonexistent/admin.sock", &["stable1"], &["canary1"]));
    assert_eq!(router.restore_previous("1.0.0").await, Ok(()));
}

/// Preflight's look at the backend reads the servers' weights and states and changes
/// nothing; a server the plan names that the backend lacks is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn inspecting_reads_the_backend_and_changes_nothing() {
    let s = stack().await;
    let mut r = router(&s.haproxy);
    let said = r.inspect().await.unwrap();
    assert!(said.contains("canary canary1 weight 0"), "{said}");
    assert!(said.contains("stable stable1 weight 100"), "{said}");
    assert_eq!(canary_answers(s.haproxy.frontend).await, 0, "nothing moved");
    let mut missing = HaproxyRouter::new(&target(s.haproxy.socket.to_str().unwrap(), &["stable1"], &["canary9"]));
    let err = missing.inspect().await.unwrap_err();
    assert!(matches!(err, Misconfigured(_)), "{err}");
    assert!(err.to_string().contains("canary9"), "{err}");
}

/// What the backend serves at start is read without changing anything: an earlier
/// attempt's weight left in place is seen before anything moves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(no_haproxy, ignore = "needs haproxy: apt-get install haproxy")]
async fn the_current_share_is_read_without_changing_anything() {
    let s = stack().await;
    let mut r = router(&s.haproxy);
    assert_eq!(r.current().await, Ok(Some(Weight::ZERO)));
    r.apply(w(25)).await.unwrap();
    let mut fresh = router(&s.haproxy);
    assert_eq!(fresh.current().await, Ok(Some(w(25))), "what an earlier run left");
    assert_eq!(s.haproxy.weight("canary1"), 25, "unchanged by the read");
}
