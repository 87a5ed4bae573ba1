//! Fail safe under bad input and faults: nothing real moves without a person, nothing is
//! lost, no secret leaks. Each test replays one way shipdeck was seen to fail, against
//! fake servers on 127.0.0.1, real files and the real binary.

mod fake_http;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use shipdeck::backend::sim::{SimMetrics, SimRouter};
use shipdeck::clock::Clock;
use shipdeck::engine::Actor;
use shipdeck::runtime::{Backends, Session, headless};
use shipdeck::sim::{Crew, Scenario, SimWorld};

fn shipdeck(args: &[&str], dir: &Path) -> Output {
    // The debug log belongs to a release: only demo and run take --log-dir.
    let logs = matches!(args.first(), Some(&"demo" | &"run"));
    let log_dir: Vec<std::ffi::OsString> = if logs {
        vec!["--log-dir".into(), dir.join("logs").into()]
    } else {
        Vec::new()
    };
    let child = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .args(log_dir)
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run shipdeck");
    // A run that never ends is a failure to report, not a test that hangs CI.
    let pid = child.id().to_string();
    let (ended, watch) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        let late = watch.recv_timeout(RUN_LIMIT).is_err();
        if late {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
        }
        late
    });
    let out = child.wait_with_output().expect("wait for shipdeck");
    let _ = ended.send(());
    assert!(
        !watchdog.join().unwrap(),
        "shipdeck {args:?} still ran after {RUN_LIMIT:?}"
    );
    out
}

/// Longer than any run here takes on a slow machine.
const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

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

    // Nor does `run` let a fast clock near real backends.
    let out = shipdeck(
        &["run", "--headless", "--yes", "--speed", "20", plan.to_str().unwrap()],
        dir.path(),
    );
    let err = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("real backends run in real time"), "{err}");
    assert!(haproxy.accept().is_err(), "the runtime API was contacted");
    assert!(prometheus.accept().is_err(), "Prometheus was contacted");
}

/// A fake HTTP server on 127.0.0.1 answering each request with the next of `answers`
/// (status, body), over and over; counts what it has answered.
struct FakeHttp {
    addr: std::net::SocketAddr,
    answered: Arc<AtomicUsize>,
}

impl FakeHttp {
    fn start(answers: Vec<(u16, String)>) -> FakeHttp {
        let answered = Arc::new(AtomicUsize::new(0));
        let count = Arc::clone(&answered);
        let addr = fake_http::serve(move |_| {
            let (status, body) = &answers[count.load(Ordering::SeqCst) % answers.len()];
            count.fetch_add(1, Ordering::SeqCst);
            (*status, "text/plain", body.clone())
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

/// Runs `plan` headless until `server` has answered `answers` requests, then stops it
/// with SIGTERM (exit 4) and returns what it wrote.
fn run_until_answered(plan: &Path, dir: &Path, server: &FakeHttp, answers: usize, env: &[(&str, &str)]) -> Output {
    let child = start_headless(plan, dir, env);
    // Waits on the server's count of answers, which only the run can raise.
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.answered.load(Ordering::SeqCst) < answers {
        assert!(
            Instant::now() < deadline,
            "the server was asked {} times",
            server.answered.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    out
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
    let out = run_until_answered(
        &plan,
        dir.path(),
        &server,
        answers.len() + 12,
        &[("LEAKY_TOKEN", TOKEN)],
    );
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

/// Accepts `room` bytes (or everything before the first line holding `full_at`), then
/// fails every write like a full disk (ENOSPC).
struct FullDisk {
    room: usize,
    full_at: Option<&'static str>,
}

impl Write for FullDisk {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Some(marker) = self.full_at
            && String::from_utf8_lossy(bytes).contains(marker)
        {
            self.room = 0;
        }
        if self.room == 0 {
            return Err(std::io::Error::from_raw_os_error(28));
        }
        let n = bytes.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl shipdeck::journal::Sink for FullDisk {
    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The built-in demo on the simulator, headless, fast, its journal written to `journal`.
async fn demo_headless(journal: shipdeck::journal::Journal) -> (i32, String, Arc<Mutex<SimWorld>>) {
    let plan = Arc::new(shipdeck::plan::load(Path::new("plans/canary.yaml")).unwrap());
    let clock = Clock::new(2000.0);
    let world = Arc::new(Mutex::new(SimWorld::new(1, Scenario::Healthy, clock.now())));
    let backends = Backends {
        router: Box::new(SimRouter {
            world: Arc::clone(&world),
            clock,
        }),
        metrics: Box::new(SimMetrics {
            world: Arc::clone(&world),
        }),
        deployer: None,
        watches: None,
    };
    let (session, observations) =
        Session::start(plan, backends, clock, journal, Some(Crew::new(1))).expect("the first entries fit");
    let options = headless::Options {
        yes: false,
        crew: true,
        max_hold: chrono::Duration::minutes(30),
        operator: Actor::person("ana", None),
        tick: clock.tick_period(),
    };
    let mut out = Vec::new();
    let outcome = headless::run(session, observations, options, &mut out).await.unwrap();
    (outcome.code(), text(&out), world)
}

/// 3. The disk fills in the middle of a release: the release holds at once, nothing but a
///    rollback would move traffic any more, and the run ends with 4 and the reason. (On
///    today's code the run went on to promote, its last stages on stdout only.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_that_fills_up_holds_the_release_and_ends_the_run_with_4() {
    let sink = FullDisk {
        room: 8 * 1024,
        full_at: None,
    };
    let journal = shipdeck::journal::Journal::with_sink(Box::new(sink), Path::new("full-disk"));
    let (code, stdout, world) = demo_headless(journal).await;
    assert_eq!(code, 4, "{stdout}");
    assert!(!stdout.contains("PROMOTED"), "{stdout}");
    let (before, after) = stdout
        .split_once("journal write failed")
        .unwrap_or_else(|| panic!("the failure is in the log: {stdout}"));
    assert!(
        before.contains("router confirms canary weight 5%"),
        "traffic had moved: {before}"
    );
    assert!(after.contains("the release is not recorded"), "{after}");
    assert!(
        !after.contains("router confirms canary weight") && !after.contains("weight requested"),
        "no traffic change after the failure: {after}"
    );
    let last = before
        .lines()
        .rev()
        .find_map(|l| l.split("router confirms canary weight ").nth(1));
    let weight = world.lock().unwrap().weight();
    assert_eq!(
        Some(format!("{weight}")),
        last.and_then(|l| l.split_whitespace().next()).map(str::to_string),
        "the router serves the last weight recorded before the failure"
    );
    assert!(stdout.contains("headless run ended"), "{stdout}");
}

/// 3. The journal is the record: a stage whose entry cannot be written never moves
///    traffic (the weight waits for its record), while a rollback never waits for the disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stage_whose_record_is_lost_moves_no_traffic() {
    let sink = FullDisk {
        room: usize::MAX,
        full_at: Some("stage 3/6"),
    };
    let journal = shipdeck::journal::Journal::with_sink(Box::new(sink), Path::new("full-disk"));
    let (code, stdout, world) = demo_headless(journal).await;
    assert_eq!(code, 4, "{stdout}");
    assert!(stdout.contains("stage 3/6: canary 25%"), "{stdout}");
    assert!(!stdout.contains("router confirms canary weight 25%"), "{stdout}");
    assert_eq!(world.lock().unwrap().weight().to_string(), "5%", "{stdout}");
}

/// A tmpfs of `size` mounted on a temporary directory: a real small disk that fills up.
/// Tests using it are ignored where they do not run as root (build.rs).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(out.status.success(), "cannot mount a tmpfs: {}", text(&out.stderr));
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk but for about `free` bytes.
    fn fill_but(&self, free: usize) {
        let mut filler = std::fs::File::create(self.path().join("filler")).unwrap();
        let block = vec![b'x'; 1024];
        while filler.write_all(&block).is_ok() {}
        drop(filler);
        let size = std::fs::metadata(self.path().join("filler")).unwrap().len();
        let keep = size.saturating_sub(free as u64);
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.path().join("filler"))
            .unwrap()
            .set_len(keep)
            .unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// 3. A journal that cannot take even the first lines refuses to start: a device that
///    accepts nothing. (Today /dev/full ran to exit 0.)
#[test]
fn a_journal_that_cannot_be_written_at_start_refuses_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let out = shipdeck(
        &["demo", "--headless", "--speed", "1000", "--journal", "/dev/full"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("cannot write the journal /dev/full: not a regular file"),
        "{err}"
    );
    assert_eq!(text(&out.stdout), "", "nothing ran");
}

/// 3. The same on a real disk with no room left.
#[test]
#[cfg_attr(not_root, ignore = "needs root to mount a small tmpfs")]
fn a_full_disk_at_start_refuses_the_release() {
    let dir = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount("64k");
    disk.fill_but(0);
    let journal = disk.path().join("j.jsonl");
    let out = shipdeck(
        &[
            "demo",
            "--headless",
            "--speed",
            "1000",
            "--journal",
            journal.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(text(&out.stdout), "", "nothing ran");
}

/// 3. The real binary on a real small disk that fills up mid-release: the run ends with 4
///    and says so on stderr; it does not promote.
#[test]
#[cfg_attr(not_root, ignore = "needs root to mount a small tmpfs")]
fn a_disk_that_fills_mid_release_ends_the_run_with_4() {
    let disk = SmallDisk::mount("64k");
    disk.fill_but(6 * 1024);
    let dir = tempfile::tempdir().unwrap();
    let journal = disk.path().join("j.jsonl");
    let out = shipdeck(
        &[
            "demo",
            "--headless",
            "--speed",
            "1000",
            "--journal",
            journal.to_str().unwrap(),
        ],
        dir.path(),
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{stderr}");
    assert!(!stdout.contains("PROMOTED"), "{stdout}");
    assert!(
        stderr.contains("JOURNAL ERROR: journal write failed: No space left on device"),
        "{stderr}"
    );
    assert!(stdout.contains("the release is not recorded"), "{stdout}");
}

/// 4. Standard output goes away (`| head -1`, or a full device): the run stops with 4, a
///    code the README lists, and the journal's last line says why. (Today: exit 1, and the
///    journal ended mid-story.)
#[test]
fn a_broken_stdout_stops_the_run_with_a_note_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("head.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["demo", "--headless", "--speed", "20", "--journal"])
        .arg(&journal)
        .arg("--log-dir")
        .arg(dir.path().join("logs"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 1];
    child.stdout.as_mut().unwrap().read_exact(&mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let last = std::fs::read_to_string(&journal).unwrap();
    let last = last.lines().last().unwrap();
    assert!(last.contains("headless run ended: standard output failed"), "{last}");

    // `2>&1 | head -1`: stderr is the same broken pipe, and saying so there cannot panic.
    let journal = dir.path().join("both.jsonl");
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["demo", "--headless", "--speed", "20", "--journal"])
        .arg(&journal)
        .arg("--log-dir")
        .arg(dir.path().join("logs"))
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    reader.read_exact(&mut first).unwrap();
    drop(reader);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(4), "a closed stderr turned the stop into {status}");
    let both = std::fs::read_to_string(&journal).unwrap();
    assert!(
        both.lines().last().unwrap().contains("standard output failed"),
        "{both}"
    );

    let full = std::fs::File::create("/dev/full").unwrap();
    let journal = dir.path().join("full.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["demo", "--headless", "--speed", "20", "--journal"])
        .arg(&journal)
        .arg("--log-dir")
        .arg(dir.path().join("logs"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.lines().last().unwrap().contains("standard output failed"),
        "{text}"
    );
}

/// A small plan on the simulator: one stage at 5% holding `hold`, then full; `gate` on the
/// error rate.
fn sim_plan(dir: &Path, name: &str, gate: &str, hold: &str) -> PathBuf {
    let text = format!(
        r#"release:
  name: {name}
  version: "2.0.0"
  stable: "1.9.0"
  type: patch
  owner: {{ name: Ana }}
  on_call: {{ name: Sam }}
target: {{ router: sim }}
analysis: {{ interval: 5s, stale_after: 30s }}
metrics:
  - {{ name: error_rate, unit: "%", canary: c, baseline: b }}
gates: [{gate}]
rollback:
  triggers: [{{ name: meltdown, metric: error_rate, max: 50, for: 1m, action: auto }}]
stages:
  - {{ name: canary, weight: 5, hold: {hold} }}
  - {{ name: full, weight: 100, hold: 30s }}
"#
    );
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// 5. A gate breached for less than its `for` (WARN) keeps the release from advancing as
///    surely as a hold does: `--max-hold` ends the run. (Today: running for ever.)
#[test]
fn max_hold_counts_time_in_warn() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sim_plan(
        dir.path(),
        "warned",
        "{ name: impossible, metric: error_rate, max: -1, for: 1h }",
        "30s",
    );
    let out = shipdeck(
        &[
            "run",
            "--headless",
            "--yes",
            "--speed",
            "200",
            "--max-hold",
            "20s",
            plan.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("no progress for longer than --max-hold 20s: gate impossible is WARN"),
        "{stdout}"
    );
    assert!(!stdout.contains("held:"), "never held, only warned: {stdout}");
}

/// 9. Two runs of one plan started in the same second: a journal each, and every line
///    carries its run's id. (Today: one shared journal, two `started` events, no run id.)
#[test]
fn runs_in_the_same_second_keep_journals_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sim_plan(
        dir.path(),
        "twice",
        "{ name: low, metric: error_rate, max: 5, for: 10s }",
        "30s",
    );
    let start = || {
        Command::new(env!("CARGO_BIN_EXE_shipdeck"))
            .args(["run", "--headless", "--yes", "--speed", "500"])
            .arg(&plan)
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let (mut a, mut b) = (start(), start());
    assert_eq!(a.wait().unwrap().code(), Some(0));
    assert_eq!(b.wait().unwrap().code(), Some(0));
    let mut journals: Vec<PathBuf> = std::fs::read_dir(dir.path().join(".shipdeck"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    journals.sort();
    assert_eq!(journals.len(), 2, "{journals:?}");
    let mut runs = Vec::new();
    for journal in &journals {
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(journal)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let started = lines.iter().filter(|l| l["event"] == "started").count();
        assert_eq!(started, 1, "{journal:?}");
        let run = lines[0]["run"].as_str().unwrap().to_string();
        assert!(lines.iter().all(|l| l["run"] == run.as_str()), "{journal:?}");
        runs.push(run);
    }
    assert_ne!(runs[0], runs[1]);
}

/// The shipped canary plan with `edit` applied, written to `dir/name`.
fn edited_plan(dir: &Path, name: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, edit(std::fs::read_to_string("plans/canary.yaml").unwrap())).unwrap();
    path
}

/// Whether `text` carries a control character other than the newlines between lines.
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && c != '\n')
}

/// 6. Control characters and newlines from outside never reach a line-oriented output
///    raw: a plan's escape sequence is refused at its place; `$USER` and `$SSH_CLIENT`,
///    and Prometheus's error text, are shown escaped and cannot forge a line.
#[test]
fn control_characters_from_outside_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let plan = edited_plan(dir.path(), "title.yaml", |t| {
        t.replace("version: 2.14.0", "version: \"2.14.0\\e]0;pwned\\a\"")
    });
    let out = shipdeck(&["check", plan.to_str().unwrap()], dir.path());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("title.yaml:5:12: this value holds a control character (U+001B)"),
        "{err}"
    );
    assert!(!has_control(&err), "{err:?}");

    let forged = "2026-01-01T00:00:00Z done shipdeck: PROMOTED: fake";
    let answers = vec![(400, format!("bad query\u{1b}]0;pwned\u{7}\n{forged}"))];
    let server = FakeHttp::start(answers);
    let plan = prometheus_plan(dir.path(), &format!("http://{}", server.addr), 1, "");
    let user = format!("ana\u{1b}[2J\n{forged}");
    let env = [("USER", user.as_str()), ("SSH_CLIENT", "10.0.0.1\u{7} 22 22")];
    let out = run_until_answered(&plan, dir.path(), &server, 6, &env);
    for (place, content) in everything_written(&out, dir.path()) {
        assert!(
            !has_control(&content),
            "{place} carries a control character:\n{content:?}"
        );
        assert!(
            !content.lines().any(|l| l.starts_with("2026-01-01T00:00:00Z")),
            "{place} has a forged line:\n{content}"
        );
    }
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("ana\\u{1b}[2J 2026-01-01T00:00:00Z done"),
        "shown, escaped: {stdout}"
    );
    assert!(stdout.contains("bad query\\u{1b}]0;pwned\\u{7}"), "{stdout}");
}

/// 7. Every file read is bounded, and devices and pipes are refused before they are opened
///    (a pipe would block for ever); an answer's 1 MiB error makes a short line.
#[test]
fn files_and_answers_of_any_size_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("theme.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    for theme in ["/dev/zero", fifo.to_str().unwrap()] {
        let out = shipdeck(&["demo", "--headless", "--speed", "1000", "--theme", theme], dir.path());
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{theme}: {err}");
        assert!(err.contains("is not a regular file"), "{theme}: {err}");
    }
    std::fs::write(dir.path().join("c"), "1\n2\n3\n").unwrap();
    let out = shipdeck(&["judge", "--control", "c", "--experiment", "/dev/zero"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("/dev/zero: is not a regular file"),
        "{}",
        text(&out.stderr)
    );
    let plan = prometheus_plan(
        dir.path(),
        "http://127.0.0.1:9",
        1,
        ", auth: { bearer_token_file: /dev/zero }",
    );
    let out = shipdeck(&["run", "--headless", plan.to_str().unwrap()], dir.path());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("file /dev/zero (analysis.prometheus.auth.bearer_token_file) is not a regular file"),
        "{err}"
    );

    let huge = format!(
        r#"{{"status":"error","errorType":"bad_data","error":"{}"}}"#,
        "e".repeat(1 << 20)
    );
    let server = FakeHttp::start(vec![(422, huge)]);
    let plan = prometheus_plan(dir.path(), &format!("http://{}", server.addr), 1, "");
    let out = run_until_answered(&plan, dir.path(), &server, 6, &[]);
    for (place, content) in everything_written(&out, dir.path()) {
        let longest = content.lines().map(str::len).max().unwrap_or(0);
        assert!(longest < 2000, "{place} has a line of {longest} bytes");
        assert!(content.len() < 200_000, "{place} holds {} bytes", content.len());
    }
}

/// 8. Whatever `check` accepts, `run` can use: a release name too long for a file name is
///    refused by both, in a short message that does not repeat it.
#[test]
fn names_too_long_to_use_are_refused_in_a_short_message() {
    let dir = tempfile::tempdir().unwrap();
    for length in [240, 100_000] {
        let name = "n".repeat(length);
        let plan = edited_plan(dir.path(), "long.yaml", |t| {
            t.replace("name: checkout-api", &format!("name: {name}"))
        });
        for args in [vec!["check"], vec!["run", "--headless", "--yes"]] {
            let mut args = args;
            args.push(plan.to_str().unwrap());
            let out = shipdeck(&args, dir.path());
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains(&format!("release.name is {length} characters long: at most 64")),
                "{args:?}: {err}"
            );
            assert!(err.len() < 1000, "{args:?}: a {} byte message", err.len());
        }
    }
    // A name that is also a key (a checklist's) is cut in the path the message names (YAML
    // keys stop at 1024 characters).
    let name = "c".repeat(1000);
    let plan = edited_plan(dir.path(), "key.yaml", |t| t.replace("pre-release", &name));
    let out = shipdeck(&["check", plan.to_str().unwrap()], dir.path());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is 1000 characters long: at most 64"), "{err}");
    assert!(!err.contains(&name), "the name is repeated: {err}");
}

/// 11. `shipdeck judge` holds its options to the plan check's rules, in the same words,
///     and reads its samples as carefully.
#[test]
fn judge_refuses_what_the_plan_check_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let samples: String = (0..20).map(|i| format!("{}\n", 100 + i % 5)).collect();
    std::fs::write(dir.path().join("c"), &samples).unwrap();
    std::fs::write(dir.path().join("e"), format!("\u{feff}{samples}")).unwrap();
    let judge = |extra: &[&str]| {
        let mut args = vec!["judge", "--control", "c", "--experiment", "e"];
        args.extend_from_slice(extra);
        let out = shipdeck(&args, dir.path());
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, stdout, stderr) = judge(&[]);
    assert_eq!(code, Some(0), "a byte-order mark is not a value: {stdout}{stderr}");
    for (option, words) in [
        (
            &["--outliers=-1"][..],
            "error: outlier fence factor -1 must be above 0 (3 is usual)",
        ),
        (
            &["--outliers", "NaN"][..],
            "error: outlier fence factor NaN is not a finite number",
        ),
        (
            &["--tolerance", "NaN"][..],
            "error: tolerance NaN is not a finite number",
        ),
        (
            &["--confidence", "1"][..],
            "error: confidence 1 must be strictly between 0 and 1",
        ),
    ] {
        let (code, _, stderr) = judge(option);
        assert_eq!(code, Some(2), "{option:?}: {stderr}");
        assert!(stderr.starts_with(words), "{option:?}: {stderr}");
    }
    std::fs::write(dir.path().join("e"), "1e308\n-1e308\n5\n1e308\n").unwrap();
    std::fs::write(dir.path().join("c"), "-1e308\n1e308\n4\n").unwrap();
    let (code, stdout, _) = judge(&[]);
    assert_eq!(code, Some(2), "{stdout}");
    assert!(stdout.contains("too large to compare without overflow"), "{stdout}");
    std::fs::write(dir.path().join("e"), "1\n1e400\n").unwrap();
    let (code, _, stderr) = judge(&[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("e: line 2: '1e400' is too large for a number"),
        "{stderr}"
    );
}

/// 12. The small things: duplicate names and roles, numbers too large, a sigma of
///     1e-300, a theme that does not exist headless, a log directory that cannot be written.
#[test]
fn small_bad_inputs_get_clear_messages() {
    let dir = tempfile::tempdir().unwrap();
    let check = |name: &str, edit: &dyn Fn(String) -> String| {
        let plan = edited_plan(dir.path(), name, edit);
        let out = shipdeck(&["check", plan.to_str().unwrap()], dir.path());
        assert_eq!(out.status.code(), Some(2), "{name}");
        text(&out.stderr)
    };
    let err = check("dup_gate.yaml", &|t| {
        t.replace("name: p99 under 500ms", "name: errors under 0.5%")
    });
    assert!(err.contains("gate name `errors under 0.5%` is used twice"), "{err}");
    let err = check("dup_role.yaml", &|t| format!("{t}approvals: [lead, lead]\n"));
    assert!(err.contains("approval role `lead` is used twice"), "{err}");
    let err = check("weight.yaml", &|t| {
        t.replace("weight: 25", "weight: 99999999999999999999999")
    });
    assert!(
        err.contains("weight 99999999999999999999999 is out of range: expected a whole percent from 0 to 100"),
        "{err}"
    );
    assert!(!err.contains("u128"), "{err}");
    let err = check("samples.yaml", &|t| {
        t.replace("min_samples: 10 ", "min_samples: 99999999999999 ")
    });
    assert!(err.contains("is more than the 600 samples kept per series"), "{err}");
    let err = check("sigma.yaml", &|t| t.replace("max_ratio: 3.0", "sigma: 1e-300"));
    assert!(
        err.contains("sigma must be from 0.1 to 100") && err.contains("found 1e-300"),
        "{err}"
    );
    assert!(!err.contains("00000000"), "{err}");

    let out = shipdeck(&["demo", "--headless", "--theme", "nosuch"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("unknown theme \"nosuch\""),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.path().join(".shipdeck").exists(),
        "refused before a journal was made"
    );

    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["demo", "--headless", "--speed", "1000", "--log-dir"])
        .arg(blocker.join("logs"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "a log directory is no reason to stop");
    let err = text(&out.stderr);
    assert!(
        err.contains("no debug log: cannot write to") && err.contains("--log-dir"),
        "{err}"
    );
}
