//! Fail safe under bad input and faults: nothing real moves without a person, nothing is
//! lost, no secret leaks. Each test replays one way shipdeck was seen to fail, against
//! fake servers on 127.0.0.1, real files and the real binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shipdeck(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .current_dir(dir)
        .output()
        .expect("run shipdeck")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The shipped HAProxy plan, pointed at `router` for the runtime API and `metrics` for
/// Prometheus.
fn real_plan(dir: &Path, router: &str, metrics: &str) -> PathBuf {
    let text = std::fs::read_to_string("plans/haproxy-canary.yaml")
        .unwrap()
        .replace("/run/haproxy/admin.sock", router)
        .replace("http://127.0.0.1:9090", metrics);
    let path = dir.join("real.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// 1. `demo --plan` with real backends: refused, pointing at `run`; the real runtime API
///    and Prometheus never hear from it.
#[test]
fn demo_refuses_a_plan_that_names_real_backends() {
    let dir = tempfile::tempdir().unwrap();
    let haproxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let prometheus = TcpListener::bind("127.0.0.1:0").unwrap();
    haproxy.set_nonblocking(true).unwrap();
    prometheus.set_nonblocking(true).unwrap();
    let plan = real_plan(
        dir.path(),
        &haproxy.local_addr().unwrap().to_string(),
        &format!("http://{}", prometheus.local_addr().unwrap()),
    );
    let out = shipdeck(
        &[
            "demo",
            "--headless",
            "--speed",
            "1000",
            "--plan",
            plan.to_str().unwrap(),
        ],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}\n{}", text(&out.stdout));
    assert!(
        err.contains("router haproxy") && err.contains("metrics source prometheus"),
        "{err}"
    );
    assert!(err.contains(&format!("shipdeck run {}", plan.display())), "{err}");
    assert!(haproxy.accept().is_err(), "the runtime API was contacted");
    assert!(prometheus.accept().is_err(), "Prometheus was contacted");
    assert!(!text(&out.stdout).contains("sim crew"), "{}", text(&out.stdout));
}
