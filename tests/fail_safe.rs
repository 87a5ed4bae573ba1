//! Fail safe under bad input and faults: nothing real moves without a person, nothing is
//! lost, no secret leaks. Each test replays one way shipdeck was seen to fail, against
//! fake servers on 127.0.0.1, real files and the real binary.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

/// A fake HTTP server on 127.0.0.1 answering each request with the next of `answers`
/// (status, body), over and over; counts what it has answered.
struct FakeHttp {
    addr: std::net::SocketAddr,
    answered: Arc<AtomicUsize>,
}

impl FakeHttp {
    fn start(answers: Vec<(u16, String)>) -> FakeHttp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let answered = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&answered);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let (status, body) = &answers[count.load(Ordering::SeqCst) % answers.len()];
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes());
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        FakeHttp { addr, answered }
    }
}

/// A plan on the simulator's router whose metrics come from Prometheus at `url`, with
/// `metrics` metrics sampled every second (so many answers a second).
fn prometheus_plan(dir: &Path, url: &str, metrics: usize, auth: &str) -> PathBuf {
    let metric_list: String = (0..metrics)
        .map(|i| format!("  - {{ name: m{i}, unit: \"%\", canary: 'q{{version=\"{{{{version}}}}\"}}', baseline: 'q{{version=\"{{{{version}}}}\"}}' }}\n"))
        .collect();
    let text = format!(
        r#"release:
  name: leaky
  version: "2.0.0"
  stable: "1.9.0"
  type: patch
  owner: {{ name: Ana }}
  on_call: {{ name: Sam }}
target: {{ router: sim }}
analysis:
  interval: 1s
  stale_after: 5s
  source: prometheus
  prometheus: {{ url: "{url}", timeout: 2s, backfill: 0s{auth} }}
metrics:
{metric_list}gates: [{{ name: m0 low, metric: m0, max: 1, for: 1m }}]
rollback:
  triggers: [{{ name: m0 spike, metric: m0, max: 50, for: 1m, action: auto }}]
stages:
  - {{ name: canary, weight: 10, hold: 1h }}
  - {{ name: full, weight: 100, hold: 1m }}
"#
    );
    let path = dir.join("plan.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Starts a headless run of `plan` in `dir` with `env`; its journal is `dir/journal.jsonl`.
fn start_headless(plan: &Path, dir: &Path, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["run", "--headless", "--yes", "--max-hold", "1h"])
        .arg(plan)
        .arg("--journal")
        .arg(dir.join("journal.jsonl"))
        .arg("--log-dir")
        .arg(dir.join("logs"))
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shipdeck")
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Everything shipdeck wrote in `dir`: stdout and stderr, the journal, the debug log.
fn everything_written(out: &Output, dir: &Path) -> Vec<(String, String)> {
    let mut all = vec![
        ("stdout".to_string(), text(&out.stdout)),
        ("stderr".to_string(), text(&out.stderr)),
    ];
    all.push((
        "journal".into(),
        std::fs::read_to_string(dir.join("journal.jsonl")).unwrap_or_default(),
    ));
    for log in std::fs::read_dir(dir.join("logs")).unwrap() {
        let path = log.unwrap().path();
        all.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
    }
    all
}

/// Where `text` shows 8 consecutive characters of `secret`.
fn leak(text: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|run| run.iter().collect::<String>())
        .find(|run| text.contains(run.as_str()))
}

/// 2. A Prometheus (or an auth proxy before it) echoing the bearer token in its errors:
///    cut at every position by the message's length limit, with whitespace inside,
///    URL- and JSON-escaped, in 400, 401 and 422 answers. Not 8 characters of it reach
///    stdout, the journal or the debug log.
#[test]
fn a_token_echoed_by_the_server_never_reaches_any_output() {
    const TOKEN: &str = "tkn_S3CR3T_abc\tdef  ghijklmnopqrstuvwxyz012345";
    let len = TOKEN.chars().count();
    let url_encoded: String = TOKEN
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let json_escaped = serde_json::to_string(TOKEN).unwrap();
    let json_escaped = &json_escaped[1..json_escaped.len() - 1];
    let mut answers = Vec::new();
    for offset in 0..=len {
        // Cut by the 160-character quote of a body, and by the 300-character quote of an
        // API error, `offset` characters into the token.
        let pad = |n: usize| "x".repeat(n.saturating_sub(offset));
        answers.push((400, format!("{}Bearer {TOKEN} rejected", pad(153))));
        answers.push((400, format!("{}token={url_encoded}", pad(154))));
        answers.push((
            422,
            format!(
                r#"{{"status":"error","errorType":"bad_data","error":"{}{json_escaped}"}}"#,
                pad(300)
            ),
        ));
        answers.push((401, format!("invalid bearer token {TOKEN}")));
    }
    let server = FakeHttp::start(answers.clone());
    let dir = tempfile::tempdir().unwrap();
    let plan = prometheus_plan(
        dir.path(),
        &format!("http://{}", server.addr),
        6,
        ", auth: { bearer_token_env: LEAKY_TOKEN }",
    );
    let child = start_headless(&plan, dir.path(), &[("LEAKY_TOKEN", TOKEN)]);
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.answered.load(Ordering::SeqCst) < answers.len() + 12 {
        assert!(Instant::now() < deadline, "the server was not asked often enough");
        std::thread::sleep(Duration::from_millis(100));
    }
    terminate(&child);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let written = everything_written(&out, dir.path());
    let debug_log = &written.last().unwrap().1;
    assert!(debug_log.contains("HTTP 401"), "the answers were read: {debug_log}");
    assert!(debug_log.contains("[redacted]"), "{debug_log}");
    for (place, content) in &written {
        for form in [TOKEN, url_encoded.as_str(), json_escaped] {
            if let Some(run) = leak(content, form) {
                panic!("{place} shows {run:?} of the token:\n{content}");
            }
        }
    }
}
