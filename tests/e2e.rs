//! End to end on a real stack: two versions of the test service behind a real HAProxy,
//! scraped by a real Prometheus, real load through HAProxy, and shipdeck driving the
//! release headless. Each test starts its own stack on loopback with ephemeral ports.
//!
//! Reported ignored, with the reason, when haproxy or prometheus is missing; SHIPDECK_E2E=1
//! makes the build fail instead (build.rs).

#[path = "stack/haproxy.rs"]
mod haproxy;
#[path = "stack/prometheus.rs"]
mod prometheus;
#[path = "stack/service.rs"]
mod service;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use haproxy::{Haproxy, Server};
use prometheus::{Prometheus, scrape_job};
use service::{Behaviour, TestService, start_load};

const STABLE: &str = "1.0.0";
const CANARY: &str = "1.1.0";
/// Requests per second through HAProxy while a release runs.
const RPS: f64 = 150.0;
/// A whole release must end well within this.
const RELEASE_LIMIT: Duration = Duration::from_secs(240);

/// One stack at a time: five HAProxy + Prometheus + load stacks at once on a 2-core CI
/// machine would measure the machine, not shipdeck.
static ONE_STACK: Mutex<()> = Mutex::new(());

/// This test holds the stack lock for as long as it keeps the guard.
fn one_stack() -> std::sync::MutexGuard<'static, ()> {
    ONE_STACK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The services, HAProxy in front of them, Prometheus scraping them, and load.
struct Stack {
    /// First, so it is dropped first: the load stops before what it drives.
    _load: shipdeck_testsvc::Background,
    stable: TestService,
    canary: TestService,
    haproxy: Haproxy,
    prometheus: Prometheus,
    dir: tempfile::TempDir,
    /// The socket path the plan names: a link to HAProxy's admin socket, which a test can
    /// remove to make the runtime API refuse while traffic keeps flowing.
    socket_link: PathBuf,
}

impl Stack {
    fn start(canary: Behaviour) -> Stack {
        let stable = TestService::start(STABLE, Behaviour::default());
        let canary = TestService::start(CANARY, canary);
        let haproxy = Haproxy::start(&[
            Server::new("stable1", stable.addr, 100),
            Server::new("canary1", canary.addr, 0),
        ]);
        let jobs = format!(
            "{}{}",
            scrape_job("stable", stable.addr),
            scrape_job("canary", canary.addr)
        );
        let prometheus = Prometheus::start(&jobs, Duration::from_secs(1));
        let dir = tempfile::tempdir().unwrap();
        let socket_link = dir.path().join("admin.sock");
        std::os::unix::fs::symlink(&haproxy.socket, &socket_link).unwrap();
        let load = start_load(&format!("http://{}/", haproxy.frontend), RPS, 4);
        Stack {
            _load: load,
            stable,
            canary,
            haproxy,
            prometheus,
            dir,
            socket_link,
        }
    }

    /// A plan for this stack: ladder 10 -> 50 -> 100 with short holds, error-rate and
    /// latency gates, automatic rollback triggers.
    fn plan(&self) -> PathBuf {
        self.write_plan(self.plan_text())
    }

    /// The same plan with the canary judge on, judging every 10 s, and a median latency
    /// metric that no gate or trigger watches: only the judge can catch a slower median.
    /// Each metric says how large a change it accepts, as `check` advises: two identical
    /// services still differ by chance now and then.
    fn judged_plan(&self) -> PathBuf {
        let text = self
            .plan_text()
            .replace(
                "  stale_after: 4s\n",
                "  stale_after: 4s\n  judge: { every: 10s, window: 10s, min_samples: 8, on_fail: rollback }\n",
            )
            .replace(
                "  - name: latency_p99\n",
                "    judge: { allowed_increase: 1.5 }\n  - name: latency_p99\n",
            )
            .replace(
                "gates:\n",
                "    judge: { allowed_increase: 1.3 }\n  - name: latency_p50\n    unit: ms\n    canary: 1000 * histogram_quantile(0.5, sum by (le) \
                 (rate(http_request_duration_seconds_bucket{version=\"{{version}}\"}[5s])))\n    baseline: 1000 * \
                 histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{version=\"{{version}}\"}\
                 [5s])))\n    judge: { critical: true, allowed_increase: 1.2 }\ngates:\n",
            );
        self.write_plan(text)
    }

    /// The same plan with the default backfill (10m): at start shipdeck reads the last ten
    /// minutes back from Prometheus, with whatever earlier attempts left there.
    fn plan_with_history(&self) -> PathBuf {
        let text = self.plan_text().replace("    backfill: 0s\n", "");
        assert!(!text.contains("backfill"));
        self.write_plan(text)
    }

    fn write_plan(&self, text: String) -> PathBuf {
        let path = self.dir.path().join("plan.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    fn plan_text(&self) -> String {
        format!(
            r#"release:
  name: checkout
  version: "{CANARY}"
  stable: "{STABLE}"
  type: patch
  owner: {{ name: E2E }}
  on_call: {{ name: E2E }}
target:
  router: haproxy
  haproxy:
    socket: {socket}
    backend: app
    stable: [stable1]
    canary: [canary1]
analysis:
  interval: 1s
  stale_after: 4s
  source: prometheus
  prometheus:
    url: {url}
    timeout: 2s
    backfill: 0s
metrics:
  - name: error_rate
    unit: "%"
    canary: 100 * sum(rate(http_requests_total{{version="{{{{version}}}}",code="500"}}[5s])) / sum(rate(http_requests_total{{version="{{{{version}}}}"}}[5s]))
    baseline: 100 * sum(rate(http_requests_total{{version="{{{{version}}}}",code="500"}}[5s])) / sum(rate(http_requests_total{{version="{{{{version}}}}"}}[5s]))
  - name: latency_p99
    unit: ms
    canary: 1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{version="{{{{version}}}}"}}[5s])))
    baseline: 1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{version="{{{{version}}}}"}}[5s])))
gates:
  - {{ name: errors under 1%, metric: error_rate, max: 1.0, for: 2s }}
  - {{ name: p99 near baseline, metric: latency_p99, max_ratio: 1.8, for: 2s }}
rollback:
  triggers:
    - {{ name: error spike, metric: error_rate, max: 2.0, for: 3s, action: auto }}
    - {{ name: p99 twice baseline, metric: latency_p99, max_ratio: 2.0, for: 3s, action: auto }}
stages:
  - {{ name: canary 10%, weight: 10, hold: 12s }}
  - {{ name: canary 50%, weight: 50, hold: 12s }}
  - {{ name: full, weight: 100, hold: 5s }}
"#,
            socket = self.socket_link.display(),
            url = self.prometheus.url(),
        )
    }

    /// Requests each version has served so far, from its own counters.
    fn served(&self) -> (u64, u64) {
        (requests(&self.stable.metrics()), requests(&self.canary.metrics()))
    }
}

/// The sum of `http_requests_total` in a scrape.
fn requests(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("http_requests_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// shipdeck running headless, its stdout lines arriving on a channel.
struct Shipdeck {
    child: Child,
    lines: Receiver<String>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Shipdeck {
    fn start(plan: &std::path::Path, dir: &std::path::Path) -> Shipdeck {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
            .args(["run", "--headless", "--yes", "--max-hold", "2m"])
            .arg(plan)
            .arg("--journal")
            .arg(dir.join("journal.jsonl"))
            .arg("--log-dir")
            .arg(dir.join("logs"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start shipdeck");
        let (tx, lines) = channel();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                record.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        Shipdeck { child, lines, seen }
    }

    /// Waits for a line containing `needle`; false when `limit` passes or output ends.
    fn wait_line(&self, needle: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    /// Waits for the exit code, at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            // Exit is not announced on any channel we hold; poll the child.
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    fn transcript(&self) -> String {
        self.seen.lock().unwrap().join("\n")
    }
}

impl Drop for Shipdeck {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn a_good_canary_is_promoted_and_each_version_serves_its_weight() {
    let _serial = one_stack();
    let stack = Stack::start(Behaviour::default());
    let mut shipdeck = Shipdeck::start(&stack.plan(), stack.dir.path());
    // At each confirmed weight, count what each version really served until the next.
    let mut marks = Vec::new();
    for weight in [10, 50, 100] {
        let confirmed = format!("router confirms canary weight {weight}%");
        assert!(
            shipdeck.wait_line(&confirmed, RELEASE_LIMIT),
            "never reached {weight}%:\n{}",
            shipdeck.transcript()
        );
        marks.push((weight, stack.served()));
    }
    assert_eq!(shipdeck.wait_exit(RELEASE_LIMIT), Some(0), "{}", shipdeck.transcript());
    let end = stack.served();
    assert_eq!(stack.haproxy.weight("canary1"), 100);
    assert_eq!(stack.haproxy.weight("stable1"), 0);
    // Shares between consecutive marks (the last step until the end).
    for (i, &(weight, (s0, c0))) in marks.iter().enumerate() {
        let (s1, c1) = marks.get(i + 1).map_or(end, |m| m.1);
        let (ds, dc) = (s1 - s0, c1 - c0);
        let share = 100.0 * dc as f64 / (ds + dc).max(1) as f64;
        assert!(ds + dc > 200, "too few requests at {weight}% to judge: {}", ds + dc);
        // Round robin splits per request; the margin covers requests in flight at the
        // moment of each mark.
        assert!(
            (share - weight as f64).abs() <= 4.0,
            "at {weight}% the canary served {share:.1}% ({dc} of {})",
            ds + dc
        );
    }
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn a_bad_canary_is_rolled_back_and_then_serves_nothing() {
    let _serial = one_stack();
    let stack = Stack::start(Behaviour {
        error_ratio: 0.05,
        ..Behaviour::default()
    });
    let mut shipdeck = Shipdeck::start(&stack.plan(), stack.dir.path());
    assert_eq!(shipdeck.wait_exit(RELEASE_LIMIT), Some(3), "{}", shipdeck.transcript());
    assert!(
        shipdeck.transcript().contains("trigger error spike fired"),
        "{}",
        shipdeck.transcript()
    );
    assert_eq!(stack.haproxy.weight("canary1"), 0);
    // Counted, not only read from the weights: the canary gets no more requests.
    let (_, canary_before) = stack.served();
    let (stable_before, _) = stack.served();
    let deadline = Instant::now() + Duration::from_secs(30);
    while stack.served().0 < stable_before + 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (stable_after, canary_after) = stack.served();
    assert!(stable_after >= stable_before + 300, "load stopped flowing");
    assert_eq!(
        canary_after, canary_before,
        "the canary served requests after the rollback"
    );
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn a_latency_only_regression_is_caught() {
    let _serial = one_stack();
    // No errors; every 50th request is 6x slower: p99 well above twice the baseline's.
    let stack = Stack::start(Behaviour {
        p99_factor: 6.0,
        ..Behaviour::default()
    });
    let mut shipdeck = Shipdeck::start(&stack.plan(), stack.dir.path());
    assert_eq!(shipdeck.wait_exit(RELEASE_LIMIT), Some(3), "{}", shipdeck.transcript());
    let transcript = shipdeck.transcript();
    assert!(transcript.contains("trigger p99 twice baseline fired"), "{transcript}");
    assert!(!transcript.contains("trigger error spike fired"));
    assert_eq!(stack.haproxy.weight("canary1"), 0);
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn a_slower_median_only_the_judge_sees_is_rolled_back_by_the_judge() {
    let _serial = one_stack();
    // Every request 50% slower, no errors, no slow tail: p99 stays under the gate's and the
    // trigger's ratios to the baseline's (about 35 ms against 25 ms), the median does not.
    let stack = Stack::start(Behaviour {
        latency_ms: 30,
        ..Behaviour::default()
    });
    let mut shipdeck = Shipdeck::start(&stack.judged_plan(), stack.dir.path());
    assert_eq!(shipdeck.wait_exit(RELEASE_LIMIT), Some(3), "{}", shipdeck.transcript());
    let transcript = shipdeck.transcript();
    assert!(
        transcript.contains("ROLLBACK by judge") && transcript.contains("critical metric latency_p50 is High"),
        "{transcript}"
    );
    assert!(!transcript.contains("fired"), "no trigger fired: {transcript}");
    assert_eq!(stack.haproxy.weight("canary1"), 0);
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn with_the_judge_on_a_good_canary_is_still_promoted() {
    let _serial = one_stack();
    let stack = Stack::start(Behaviour::default());
    let mut shipdeck = Shipdeck::start(&stack.judged_plan(), stack.dir.path());
    assert_eq!(shipdeck.wait_exit(RELEASE_LIMIT), Some(0), "{}", shipdeck.transcript());
    let transcript = shipdeck.transcript();
    assert!(transcript.contains("PASS · score 100"), "{transcript}");
    assert_eq!(stack.haproxy.weight("canary1"), 100);
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn with_prometheus_gone_the_stage_holds_and_resumes_when_it_returns() {
    let _serial = one_stack();
    let mut stack = Stack::start(Behaviour::default());
    let mut shipdeck = Shipdeck::start(&stack.plan(), stack.dir.path());
    assert!(
        shipdeck.wait_line("router confirms canary weight 10%", RELEASE_LIMIT),
        "{}",
        shipdeck.transcript()
    );
    stack.prometheus.stop();
    assert!(
        shipdeck.wait_line("held:", Duration::from_secs(30)),
        "{}",
        shipdeck.transcript()
    );
    // Longer than the stage's hold: it must not promote on missing data.
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        assert_eq!(
            stack.haproxy.weight("canary1"),
            10,
            "moved on without data:\n{}",
            shipdeck.transcript()
        );
        assert!(
            shipdeck.child.try_wait().unwrap().is_none(),
            "{}",
            shipdeck.transcript()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    stack.prometheus.restart();
    assert_eq!(shipdeck.wait_exit(RELEASE_LIMIT), Some(0), "{}", shipdeck.transcript());
    assert!(shipdeck.transcript().contains("hold cleared"));
}

#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn a_refusing_runtime_api_during_rollback_is_retried_until_acknowledged() {
    let _serial = one_stack();
    let stack = Stack::start(Behaviour::default());
    let mut shipdeck = Shipdeck::start(&stack.plan(), stack.dir.path());
    assert!(
        shipdeck.wait_line("router confirms canary weight 10%", RELEASE_LIMIT),
        "{}",
        shipdeck.transcript()
    );
    // The API refuses (its socket is gone) while traffic keeps flowing; then the canary
    // turns bad, so the trigger fires and the rollback meets the refusing socket.
    std::fs::remove_file(&stack.socket_link).unwrap();
    stack.canary.configure("error_ratio=0.2");
    assert!(
        shipdeck.wait_line("ROLLBACK by trigger", RELEASE_LIMIT),
        "{}",
        shipdeck.transcript()
    );
    assert!(
        shipdeck.wait_line("router: ", Duration::from_secs(20)),
        "{}",
        shipdeck.transcript()
    );
    assert_eq!(
        stack.haproxy.weight("canary1"),
        10,
        "the refusing API cannot have moved traffic"
    );
    assert!(
        shipdeck.child.try_wait().unwrap().is_none(),
        "gave up instead of retrying"
    );
    std::os::unix::fs::symlink(&stack.haproxy.socket, &stack.socket_link).unwrap();
    assert_eq!(
        shipdeck.wait_exit(Duration::from_secs(30)),
        Some(3),
        "{}",
        shipdeck.transcript()
    );
    assert_eq!(stack.haproxy.weight("canary1"), 0);
}

/// The story of a retry, in sequence on one stack with a past: an attempt is rolled back on
/// a bad canary, the canary is fixed, and the same plan runs again with the default 10-minute
/// backfill, which reads the failed attempt's samples back from Prometheus. Those samples
/// are history: the retry must be promoted on what the canary does now.
#[test]
#[cfg_attr(
    any(no_haproxy, no_prometheus),
    ignore = "needs haproxy and prometheus: apt-get install haproxy prometheus"
)]
fn a_retry_after_a_rolled_back_attempt_is_promoted_on_live_evidence() {
    let _serial = one_stack();
    let stack = Stack::start(Behaviour {
        error_ratio: 0.1,
        ..Behaviour::default()
    });
    let plan = stack.plan_with_history();
    let first_dir = stack.dir.path().join("first");
    let mut first = Shipdeck::start(&plan, &first_dir);
    assert_eq!(first.wait_exit(RELEASE_LIMIT), Some(3), "{}", first.transcript());
    assert!(
        first.transcript().contains("trigger error spike fired"),
        "{}",
        first.transcript()
    );
    assert_eq!(stack.haproxy.weight("canary1"), 0);

    // The fix; then wait until the failed attempt's errors have left the queries' 5 s rate
    // window at the present instant, so every live sample of the retry is of the fixed canary.
    stack.canary.configure("error_ratio=0");
    let errors_now = format!("sum(increase(http_requests_total{{version=\"{CANARY}\",code=\"500\"}}[5s]))");
    let deadline = Instant::now() + Duration::from_secs(60);
    while stack.prometheus.query(&errors_now).is_none_or(|n| n > 0.0) {
        assert!(
            Instant::now() < deadline,
            "the failed attempt's errors never left the rate window"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let bad_past = format!(
        "max_over_time((100 * sum(rate(http_requests_total{{version=\"{CANARY}\",code=\"500\"}}[5s])) \
         / sum(rate(http_requests_total{{version=\"{CANARY}\"}}[5s])))[10m:1s])"
    );
    let worst = stack.prometheus.query(&bad_past).unwrap_or(0.0);
    assert!(
        worst > 2.0,
        "Prometheus holds the failed attempt above the trigger's 2%: {worst}"
    );

    let retry_dir = stack.dir.path().join("retry");
    let mut retry = Shipdeck::start(&plan, &retry_dir);
    assert_eq!(retry.wait_exit(RELEASE_LIMIT), Some(0), "{}", retry.transcript());
    assert_eq!(stack.haproxy.weight("canary1"), 100);
    let journal = std::fs::read_to_string(retry_dir.join("journal.jsonl")).unwrap();
    let backfilled: Vec<&str> = journal.lines().filter(|l| l.contains("backfilled 10m")).collect();
    assert_eq!(backfilled.len(), 1, "one journal line for the backfill:\n{journal}");
    assert!(
        !backfilled[0].contains(": 0 samples"),
        "the backfill read the failed attempt back: {}",
        backfilled[0]
    );
    assert!(!journal.contains("STALE"), "no stale warnings from history:\n{journal}");
}
