//! Whole releases on Kubernetes: `shipdeck run --headless` with kube's real client over
//! real HTTP, reaching a stateful fake API server (shipdeck-testsvc's `kube_api`) through
//! a kubeconfig, judged on a fake Prometheus. Each router takes a release from its first
//! stage to promoted, and a bad canary to rolled back, and the objects' final state is
//! checked, with every write made as field manager `shipdeck` and no strategic-merge patch.

mod fake_http;
mod pty;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use shipdeck::backend::kube::permissions::needed;
use shipdeck_testsvc::kube_api::store::Key;
use shipdeck_testsvc::kube_api::{FakeApiServer, Options};

const CANARY: &str = "2.14.0";

/// Answers every instant query with one sample: an error rate of 0.1%, or 5% for the
/// canary while `bad` is set; a latency of 100 ms.
struct FakePrometheus {
    url: String,
}

impl FakePrometheus {
    fn start(bad: Arc<AtomicBool>) -> FakePrometheus {
        let addr = fake_http::serve(move |line| {
            let value = if line.contains("errors") {
                if line.contains(CANARY) && bad.load(Ordering::SeqCst) {
                    "5"
                } else {
                    "0.1"
                }
            } else {
                "100"
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let body = format!(
                r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[{now},"{value}"]}}]}}}}"#
            );
            (200, "application/json", body)
        });
        FakePrometheus {
            url: format!("http://{addr}"),
        }
    }
}

struct Cluster {
    api: FakeApiServer,
    prometheus: FakePrometheus,
    bad: Arc<AtomicBool>,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn new() -> Cluster {
        Cluster::on(FakeApiServer::start().unwrap())
    }

    /// A cluster whose Deployments roll out one pod every `step`, as a controller does.
    fn with_controller(step: std::time::Duration) -> Cluster {
        Cluster::on(FakeApiServer::start_with(Options::controller(step)).unwrap())
    }

    fn on(api: FakeApiServer) -> Cluster {
        let bad = Arc::new(AtomicBool::new(false));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), api.kubeconfig("shop")).unwrap();
        Cluster {
            prometheus: FakePrometheus::start(Arc::clone(&bad)),
            api,
            bad,
            dir,
        }
    }

    /// A plan for `target` (the `target:` block's lines) with `stages`.
    fn plan(&self, target: &str, stages: &str) -> PathBuf {
        let text = format!(
            r#"release:
  name: checkout
  version: "{CANARY}"
  stable: "2.13.4"
  type: patch
  owner: {{ name: E2E }}
  on_call: {{ name: E2E }}
target:
{target}
analysis:
  interval: 1s
  stale_after: 4s
  source: prometheus
  prometheus: {{ url: "{url}", timeout: 2s, backfill: 0s }}
metrics:
  - {{ name: error_rate, unit: "%", canary: 'errors{{version="{{{{version}}}}"}}', baseline: 'errors{{version="{{{{version}}}}"}}' }}
  - {{ name: latency, unit: ms, canary: 'latency{{version="{{{{version}}}}"}}', baseline: 'latency{{version="{{{{version}}}}"}}' }}
gates:
  - {{ name: errors under 1%, metric: error_rate, max: 1.0, for: 2s }}
rollback:
  triggers:
    - {{ name: error spike, metric: error_rate, max: 2.0, for: 2s, action: auto }}
stages:
{stages}"#,
            url = self.prometheus.url
        );
        let path = self.dir.path().join("plan.yaml");
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `shipdeck run --headless --yes PLAN` against this cluster.
    fn run(&self, plan: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_shipdeck"))
            .args(["run", "--headless", "--yes", "--max-hold", "1m", "--log-dir", "logs"])
            .arg(plan)
            .env("KUBECONFIG", self.dir.path().join("kubeconfig"))
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// `shipdeck run --headless --yes PLAN` started, its output piped.
    fn start(&self, plan: &Path) -> std::process::Child {
        Command::new(env!("CARGO_BIN_EXE_shipdeck"))
            .args(["run", "--headless", "--yes", "--log-dir", "logs"])
            .arg(plan)
            .env("KUBECONFIG", self.dir.path().join("kubeconfig"))
            .current_dir(self.dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Every write went through as field manager shipdeck, none as a strategic merge, and
    /// each is one the Role `shipdeck rbac` prints for the plan allows.
    fn assert_writes_are_shipdeck_s(&self, plan: &Path) {
        self.assert_writes_are_shipdeck_s_from(plan, 0);
    }

    /// The same, for the writes from the `first`th on (those before were the test's own).
    fn assert_writes_are_shipdeck_s_from(&self, plan: &Path, first: usize) {
        let plan = shipdeck::plan::load(plan).unwrap();
        let allowed = needed(&plan).expect("a Kubernetes router");
        let writes: Vec<_> = self.api.writes().into_iter().skip(first).collect();
        assert!(!writes.is_empty(), "nothing was written");
        for write in writes {
            assert_eq!(write.field_manager.as_deref(), Some("shipdeck"), "{write:?}");
            assert_ne!(
                write.content_type, "application/strategic-merge-patch+json",
                "{write:?}"
            );
            let group = write.key.api_version.rsplit_once('/').map_or("", |(group, _)| group);
            let resource = match &write.subresource {
                Some(sub) => format!("{}/{sub}", write.key.plural),
                None => write.key.plural.clone(),
            };
            // The fake records a POST as a plain JSON body: a create.
            let verb = if write.content_type == "application/json" {
                "create"
            } else {
                "patch"
            };
            assert!(
                allowed.iter().any(|p| p.group == group
                    && p.resource == resource
                    && (p.names.is_empty() || p.names.contains(&write.key.name))
                    && p.verbs.contains(&verb)),
                "{write:?} is outside the Role: {allowed:?}"
            );
        }
    }
}

/// Polls `done` until it holds, failing after a minute: what a run does, seen from outside.
fn wait_until(what: &str, done: &dyn Fn() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const CANARY_STAGES: &str =
    "  - { name: canary 25%, weight: 25, hold: 3s }\n  - { name: full, weight: 100, hold: 2s }\n";

fn route(cluster: &Cluster) -> Key {
    let text = std::fs::read_to_string("tests/fixtures/k8s/httproute-checkout.yaml").unwrap();
    cluster.api.put(serde_yaml::from_str(&text).unwrap())
}

const GATEWAY: &str = "  router: gateway-api\n  gateway_api: { route: checkout, rule: 1, stable: checkout-stable, canary: checkout-canary }";

fn weights(route: &Value) -> (u64, u64) {
    let refs = &route["spec"]["rules"][1]["backendRefs"];
    (refs[0]["weight"].as_u64().unwrap(), refs[1]["weight"].as_u64().unwrap())
}

#[test]
fn gateway_api_promotes_a_good_canary_and_rolls_back_a_bad_one() {
    let cluster = Cluster::new();
    let key = route(&cluster);
    let plan = cluster.plan(GATEWAY, CANARY_STAGES);
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(weights(&cluster.api.get(&key).unwrap()), (0, 100));
    cluster.assert_writes_are_shipdeck_s(&plan);

    // The same route, a bad canary: back to all stable.
    let key = route(&cluster);
    cluster.bad.store(true, Ordering::SeqCst);
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(weights(&cluster.api.get(&key).unwrap()), (100, 0));
}

fn virtual_service() -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"hosts": ["checkout"], "http": [{"name": "primary", "route": [
            {"destination": {"host": "checkout", "subset": "stable"}, "weight": 100},
            {"destination": {"host": "checkout", "subset": "canary"}, "weight": 0},
        ]}]},
    })
}

#[test]
fn istio_promotes_a_good_canary_and_rolls_back_a_bad_one() {
    let cluster = Cluster::new();
    let istio = "  router: istio\n  istio:\n    virtual_service: checkout\n    route: primary\n    stable: { host: checkout, subset: stable }\n    canary: { host: checkout, subset: canary }";
    let plan = cluster.plan(istio, CANARY_STAGES);
    let key = cluster.api.put(virtual_service());
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let route = &cluster.api.get(&key).unwrap()["spec"]["http"][0]["route"];
    assert_eq!(
        (route[0]["weight"].clone(), route[1]["weight"].clone()),
        (json!(0), json!(100))
    );
    cluster.assert_writes_are_shipdeck_s(&plan);

    cluster.api.put(virtual_service());
    cluster.bad.store(true, Ordering::SeqCst);
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let route = &cluster.api.get(&key).unwrap()["spec"]["http"][0]["route"];
    assert_eq!(
        (route[0]["weight"].clone(), route[1]["weight"].clone()),
        (json!(100), json!(0))
    );
}

fn deployment(name: &str, replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas},
    })
}

#[test]
fn replicas_promote_a_good_canary_and_roll_back_a_bad_one() {
    let cluster = Cluster::new();
    let plan = cluster.plan(
        "  router: replicas\n  replicas: { stable: checkout-stable, canary: checkout-canary, total: 8 }",
        CANARY_STAGES,
    );
    let counts = |cluster: &Cluster| {
        let get = |name: &str| {
            let key = Key::of(&deployment(name, 0)).unwrap();
            cluster.api.get(&key).unwrap()["spec"]["replicas"].as_u64().unwrap()
        };
        (get("checkout-stable"), get("checkout-canary"))
    };
    cluster.api.put(deployment("checkout-stable", 8));
    cluster.api.put(deployment("checkout-canary", 0));
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(counts(&cluster), (0, 8));
    cluster.assert_writes_are_shipdeck_s(&plan);
    // The Deployments only through their scale subresource.
    let deployments = cluster
        .api
        .writes()
        .into_iter()
        .filter(|w| w.key.plural == "deployments");
    assert!(
        deployments
            .map(|w| w.subresource)
            .all(|s| s.as_deref() == Some("scale"))
    );

    cluster.api.put(deployment("checkout-stable", 8));
    cluster.api.put(deployment("checkout-canary", 0));
    cluster.bad.store(true, Ordering::SeqCst);
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(counts(&cluster), (8, 0));

    // The scale subresource is asked about as such.
    cluster.api.deny("patch", "deployments/scale");
    let out = shipdeck_in(&cluster, &["preflight", plan.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.contains("kubectl auth can-i patch deployments.apps/checkout-canary --subresource=scale -n shop"),
        "{stdout}"
    );
    assert!(
        stdout.contains("✔ router replicas: Deployments checkout-stable at 8 replicas, checkout-canary at 0"),
        "{stdout}"
    );
    // Production at another size than the plan's: never resized by surprise.
    cluster.api.put(deployment("checkout-stable", 10));
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("10 in all, but the plan keeps 8"),
        "{}",
        text(&out)
    );
}

fn service(colour: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "billing", "namespace": "shop"},
        "spec": {"selector": {"app": "billing", "colour": colour}},
    })
}

#[test]
fn service_selector_switches_to_green_and_back_to_blue_on_a_bad_one() {
    let cluster = Cluster::new();
    let plan = cluster.plan(
        "  router: service-selector\n  service_selector:\n    service: billing\n    stable: { app: billing, colour: blue }\n    canary: { app: billing, colour: green }",
        "  - { name: switch, weight: 100, hold: 3s }\n",
    );
    let key = cluster.api.put(service("blue"));
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(cluster.api.get(&key).unwrap()["spec"]["selector"]["colour"], "green");
    cluster.assert_writes_are_shipdeck_s(&plan);

    cluster.api.put(service("blue"));
    cluster.bad.store(true, Ordering::SeqCst);
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(cluster.api.get(&key).unwrap()["spec"]["selector"]["colour"], "blue");
}

fn shipdeck_in(cluster: &Cluster, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .env("KUBECONFIG", cluster.dir.path().join("kubeconfig"))
        .current_dir(cluster.dir.path())
        .output()
        .unwrap()
}

const SELECTOR: &str = "  router: service-selector\n  service_selector:\n    service: billing\n    stable: { app: billing, colour: blue }\n    canary: { app: billing, colour: green }";

/// Preflight reads the objects, asks the API server about each permission and asks each
/// metric once; a permission missing stops `run` before anything is written or journaled.
#[test]
fn preflight_finds_a_missing_permission_and_run_starts_nothing() {
    let cluster = Cluster::new();
    let plan = cluster.plan(SELECTOR, "  - { name: switch, weight: 100, hold: 3s }\n");
    cluster.api.put(service("blue"));
    let path = plan.to_str().unwrap();
    let out = shipdeck_in(&cluster, &["preflight", path]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for line in [
        "✔ router service-selector: Service billing selects the stable pods",
        "✔ may get services billing in shop",
        "✔ may patch services billing in shop",
        "✔ metric error_rate: baseline 0.100%, canary 0.100%",
        "✔ metric latency: baseline 100 ms, canary 100 ms",
    ] {
        assert!(stdout.contains(line), "{line}:\n{stdout}");
    }

    cluster.api.deny("patch", "services");
    let out = shipdeck_in(&cluster, &["preflight", path]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        stdout.contains("✖ may not patch services billing in shop: have `shipdeck rbac PLAN` applied for you; check with `kubectl auth can-i patch services/billing -n shop`"),
        "{stdout}"
    );
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("preflight failed: nothing was started or changed"));
    assert!(cluster.api.writes().is_empty(), "{:?}", cluster.api.writes());
    assert!(
        !cluster
            .dir
            .path()
            .join(".shipdeck")
            .read_dir()
            .is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "jsonl")))),
        "a journal was started"
    );
}

/// An object the plan names that is not there: said with its name, and nothing starts.
#[test]
fn a_missing_object_stops_the_release_before_it_starts() {
    let cluster = Cluster::new();
    let plan = cluster.plan(GATEWAY, CANARY_STAGES);
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("✖ router gateway-api: kubernetes: httproutes.gateway.networking.k8s.io/checkout not found in namespace shop (404)"),
        "{stderr}"
    );
}

fn lease_key() -> Key {
    Key {
        api_version: "coordination.k8s.io/v1".into(),
        namespace: "shop".into(),
        plural: "leases".into(),
        name: "shipdeck-httproute-checkout".into(),
    }
}

fn lease(holder: &str, renewed_secs_ago: i64) -> Value {
    let renewed = chrono::Utc::now() - chrono::Duration::seconds(renewed_secs_ago);
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "shipdeck-httproute-checkout", "namespace": "shop"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 30,
                 "acquireTime": "2026-12-03T09:00:00Z",
                 "renewTime": renewed.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)},
    })
}

/// Two shipdeck processes on one target: while the first drives it, the second is refused
/// with who drives it; once the first ends it lets the Lease go.
#[test]
fn a_second_shipdeck_on_the_same_target_is_refused_by_the_lease() {
    let cluster = Cluster::new();
    let key = route(&cluster);
    // Long enough for a renewal (every 10 s): the API server must take what shipdeck writes.
    let plan = cluster.plan(
        GATEWAY,
        "  - { name: canary 25%, weight: 25, hold: 12s }\n  - { name: full, weight: 100, hold: 1s }\n",
    );
    let first = cluster.start(&plan);
    wait_until("the first takes the Lease", &|| cluster.api.get(&lease_key()).is_some());
    let second = cluster.run(&plan);
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("the target is driven by ") && said.contains("(checkout 2.14.0) since"),
        "{said}"
    );
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(weights(&cluster.api.get(&key).unwrap()), (0, 100));
    let held = cluster.api.get(&lease_key()).unwrap();
    assert_eq!(held["spec"]["holderIdentity"], Value::Null, "let go at the end: {held}");
    let lease_writes = cluster
        .api
        .writes()
        .into_iter()
        .filter(|w| w.key.plural == "leases")
        .count();
    assert!(lease_writes >= 3, "taken, renewed and let go: {lease_writes} writes");
    assert!(!String::from_utf8_lossy(&first.stdout).contains("lease_lost"));
    cluster.assert_writes_are_shipdeck_s(&plan);
}

/// A Lease another shipdeck let lapse is taken over only when asked, and the journal says so.
#[test]
fn a_lapsed_lease_is_taken_over_only_when_asked() {
    let cluster = Cluster::new();
    route(&cluster);
    let plan = cluster.plan(GATEWAY, CANARY_STAGES);
    cluster.api.put(lease("kim@elsewhere (checkout 2.14.0)", 10));
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("driven by kim@elsewhere"),
        "{}",
        text(&out)
    );

    cluster.api.put(lease("kim@elsewhere (checkout 2.14.0)", 300));
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run again with --take-over"),
        "{}",
        text(&out)
    );
    assert!(cluster.api.writes().is_empty(), "nothing written before the takeover");

    let out = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args([
            "run",
            "--headless",
            "--yes",
            "--take-over",
            "--journal",
            "j.jsonl",
            "--log-dir",
            "logs",
        ])
        .arg(&plan)
        .env("KUBECONFIG", cluster.dir.path().join("kubeconfig"))
        .current_dir(cluster.dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let journal = std::fs::read_to_string(cluster.dir.path().join("j.jsonl")).unwrap();
    // Renewed 300 s ago, valid for 30: lapsed about 270 s ago when put, and the refused run
    // before watched it for 12 s.
    let lapsed = journal
        .split("took over the target's Lease from kim@elsewhere (checkout 2.14.0), lapsed ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|n| n.parse::<i64>().ok());
    assert!(lapsed.is_some_and(|n| (281..=300).contains(&n)), "{journal}");
}

/// The API server goes away just as a bad canary is caught: the rollback is retried until
/// the server is back and acknowledges it, as on HAProxy, and the route ends all stable.
#[test]
fn a_rollback_is_retried_until_the_api_server_acknowledges_it() {
    let cluster = Cluster::new();
    let key = route(&cluster);
    let plan = cluster.plan(
        GATEWAY,
        "  - { name: canary 25%, weight: 25, hold: 1m }\n  - { name: full, weight: 100, hold: 2s }\n",
    );
    let run = cluster.start(&plan);
    wait_until("the canary at 25%", &|| {
        cluster.api.get(&key).is_some_and(|r| weights(&r) == (75, 25))
    });
    // The server goes down, then the canary turns bad: the trigger fires while nothing
    // can be written.
    cluster.api.set_down(true);
    cluster.bad.store(true, Ordering::SeqCst);
    // shipdeck's router task says what the server answered, and tries again.
    wait_until("rollback attempts refused", &|| cluster.api.refused() >= 8);
    cluster.api.set_down(false);
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(weights(&cluster.api.get(&key).unwrap()), (100, 0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("rolling_back shipdeck: router: kubernetes API server error (503): etcdserver: leader changed"),
        "{stdout}"
    );
}

/// KUBECONFIG naming several files, as kubectl merges them: the cluster and user in one,
/// the context in another; `--context` picks it.
#[test]
fn several_kubeconfig_files_are_merged_as_kubectl_does() {
    let cluster = Cluster::new();
    let plan = cluster.plan(SELECTOR, "  - { name: switch, weight: 100, hold: 3s }\n");
    cluster.api.put(service("blue"));
    let dir = cluster.dir.path();
    let whole = cluster.api.kubeconfig("shop");
    let (clusters, contexts) = whole.split_once("contexts:").unwrap();
    let (contexts, users) = contexts.split_once("current-context:").unwrap();
    std::fs::write(
        dir.join("a"),
        format!("{clusters}users:{}", users.split_once("users:").unwrap().1),
    )
    .unwrap();
    let renamed = contexts.replace("- name: fake", "- name: prod-eu");
    std::fs::write(
        dir.join("b"),
        format!("apiVersion: v1\nkind: Config\ncontexts:{renamed}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["preflight", "--context", "prod-eu"])
        .arg(&plan)
        .env(
            "KUBECONFIG",
            format!("{}:{}", dir.join("a").display(), dir.join("b").display()),
        )
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("✔ router service-selector"),
        "{}",
        text(&out)
    );
}

/// A cloud login as an exec credential plugin: it runs, its token is what reaches the API
/// server, and what it writes to stderr never reaches shipdeck's output.
#[test]
fn an_exec_credential_plugin_logs_in_without_a_word_on_screen() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = Cluster::new();
    let plan = cluster.plan(SELECTOR, "  - { name: switch, weight: 100, hold: 3s }\n");
    cluster.api.put(service("blue"));
    cluster.api.require_token("from-the-plugin");
    let dir = cluster.dir.path();
    let plugin = dir.join("cloud-login");
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho 'Opening a browser to log you in...' >&2\n\
         echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\
         \"status\":{\"token\":\"from-the-plugin\"}}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kubeconfig = cluster.api.kubeconfig("shop").replace(
        "    token: fake-token\n",
        &format!(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      \
             interactiveMode: IfAvailable\n",
            plugin.display()
        ),
    );
    std::fs::write(dir.join("kubeconfig"), kubeconfig).unwrap();
    let out = shipdeck_in(&cluster, &["preflight", plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("Opening a browser"), "{}", text(&out));
    let out = cluster.run(&plan);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!text(&out).contains("Opening a browser"), "{}", text(&out));

    // Without the plugin's token the API server says no, and shipdeck says what to do.
    cluster.api.require_token("another");
    let out = shipdeck_in(&cluster, &["preflight", plan.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not logged in (401)"),
        "{}",
        text(&out)
    );
}

/// At the cockpit a person answers what `--take-over` answers headless: asked before the
/// screen starts, no leaves the target alone, yes takes it over.
#[test]
fn the_cockpit_asks_before_taking_over_a_lapsed_lease() {
    let cluster = Cluster::new();
    route(&cluster);
    let plan = cluster.plan(GATEWAY, CANARY_STAGES);
    let kubeconfig = cluster.dir.path().join("kubeconfig");
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];
    let limit = std::time::Duration::from_secs(30);

    cluster.api.put(lease("kim@elsewhere (checkout 2.14.0)", 300));
    let mut no = pty::Pty::spawn_with(&["run", plan.to_str().unwrap()], &env, 80, 24);
    assert!(no.wait_text("Take over this target now?", limit), "{}", no.text());
    assert!(no.text().contains("held by kim@elsewhere"), "{}", no.text());
    no.send(b"n\r");
    assert_eq!(no.wait_exit(limit), Some(1));
    assert!(cluster.api.writes().is_empty(), "nothing written after a no");

    let mut yes = pty::Pty::spawn_with(&["run", plan.to_str().unwrap()], &env, 80, 24);
    assert!(yes.wait_text("Take over this target now?", limit), "{}", yes.text());
    yes.send(b"y\r");
    assert!(yes.wait_text("checkout 2.14.0", limit), "no cockpit:\n{}", yes.text());
    wait_until("the Lease is ours", &|| {
        cluster.api.get(&lease_key()).is_some_and(|l| {
            l["spec"]["holderIdentity"]
                .as_str()
                .is_some_and(|h| h.starts_with("pty-tester@"))
        })
    });
}

/// A Deployment of `replicas` pods running `image`, settled (every pod ready).
fn running(name: &str, colour: &str, image: &str, replicas: u32) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "billing", "colour": colour}},
            "template": {
                "metadata": {"labels": {"app": "billing", "colour": colour}},
                "spec": {"containers": [{"name": "billing", "image": image}, {"name": "proxy", "image": "envoy:1.31"}]}
            }
        },
        "status": {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                   "readyReplicas": replicas, "availableReplicas": replicas},
    })
}

const GREEN_IMAGE: &str = "registry.example.com/payments/billing:5.2.0";

fn deploy_then_switch(timeout: &str) -> String {
    format!(
        "  - name: deploy green\n    weight: 0\n    deploy: {{ deployment: billing-green, container: billing, image: \"{GREEN_IMAGE}\", timeout: {timeout} }}\n  - {{ name: switch, weight: 100, hold: 3s }}\n"
    )
}

/// Blue-green with a deploy: green gets the new image, the controller rolls it out pod by
/// pod, and only once every pod is available does the Service switch to it.
#[test]
fn a_deploy_waits_for_every_pod_before_the_service_switches() {
    let cluster = Cluster::with_controller(std::time::Duration::from_millis(300));
    let plan = cluster.plan(SELECTOR, &deploy_then_switch("1m"));
    let service_key = cluster.api.put(service("blue"));
    cluster.api.put(running(
        "billing-blue",
        "blue",
        "registry.example.com/payments/billing:5.1.3",
        3,
    ));
    let green = cluster.api.put(running(
        "billing-green",
        "green",
        "registry.example.com/payments/billing:5.1.3",
        3,
    ));
    let out = cluster.run(&plan);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let green_now = cluster.api.get(&green).unwrap();
    assert_eq!(
        green_now["spec"]["template"]["spec"]["containers"][0]["image"],
        GREEN_IMAGE
    );
    assert_eq!(
        green_now["spec"]["template"]["spec"]["containers"][1]["image"], "envoy:1.31",
        "the other container is left alone"
    );
    assert_eq!(green_now["status"]["updatedReplicas"], 3);
    assert_eq!(
        cluster.api.get(&service_key).unwrap()["spec"]["selector"]["colour"],
        "green"
    );
    // The order: image, then (the rollout done) the switch; one write each.
    let writes: Vec<(String, String)> = cluster
        .api
        .writes()
        .into_iter()
        .map(|w| (w.key.plural.clone(), w.key.name.clone()))
        .collect();
    assert_eq!(
        writes.iter().filter(|(p, _)| p != "leases").collect::<Vec<_>>(),
        [
            &("deployments".to_string(), "billing-green".to_string()),
            &("services".to_string(), "billing".to_string())
        ],
        "{writes:?}"
    );
    let ready_at = said
        .find("Deployment billing-green ready after")
        .unwrap_or_else(|| panic!("{said}"));
    let switch_at = said
        .find("canary weight 100% requested")
        .unwrap_or_else(|| panic!("{said}"));
    assert!(ready_at < switch_at, "{said}");
    assert!(
        said.contains("Deployment billing-green: "),
        "progress on the way: {said}"
    );
    cluster.assert_writes_are_shipdeck_s(&plan);
}

/// Pods that never become ready: past the timeout the release holds, says why, and the
/// Service never switches.
#[test]
fn a_rollout_that_never_completes_holds_and_never_switches() {
    let cluster = Cluster::with_controller(std::time::Duration::from_millis(100));
    let plan = cluster.plan(SELECTOR, &deploy_then_switch("2s"));
    let service_key = cluster.api.put(service("blue"));
    cluster.api.put(running(
        "billing-blue",
        "blue",
        "registry.example.com/payments/billing:5.1.3",
        3,
    ));
    cluster.api.put(running(
        "billing-green",
        "green",
        "registry.example.com/payments/billing:5.1.3",
        3,
    ));
    cluster.api.never_ready("shop", "billing-green");
    let out = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["run", "--headless", "--yes", "--max-hold", "4s", "--log-dir", "logs"])
        .arg(&plan)
        .env("KUBECONFIG", cluster.dir.path().join("kubeconfig"))
        .current_dir(cluster.dir.path())
        .output()
        .unwrap();
    let said = text(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("Deployment billing-green not ready after 2s"), "{said}");
    assert!(said.contains("--max-hold"), "{said}");
    assert_eq!(
        cluster.api.get(&service_key).unwrap()["spec"]["selector"]["colour"],
        "blue"
    );
}

const ROLLING: &str = "  router: rolling\n  rolling: { deployment: checkout }";
const OLD_IMAGE: &str = "registry.example.com/shop/checkout:2.13.4";
const NEW_IMAGE: &str = "registry.example.com/shop/checkout:2.14.0";

fn rolling_stages(hold_25: &str) -> String {
    format!(
        "  - name: deploy\n    weight: 0\n    deploy: {{ image: \"{NEW_IMAGE}\", container: checkout, timeout: 1m }}\n  - {{ name: batch 25%, weight: 25, hold: {hold_25} }}\n  - {{ name: all pods, weight: 100, hold: 2s }}\n"
    )
}

/// One Deployment of 4 pods on the old image, settled.
fn checkout(cluster: &Cluster) -> Key {
    let mut d = running("checkout", "blue", OLD_IMAGE, 4);
    d["spec"]["template"]["spec"]["containers"][0]["name"] = json!("checkout");
    cluster.api.put(d)
}

fn image_and_rollout(cluster: &Cluster, key: &Key) -> (String, u64, u64, bool) {
    let d = cluster.api.get(key).unwrap();
    let count = |field: &str| d["status"][field].as_u64().unwrap_or(0);
    (
        d["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_string(),
        count("updatedReplicas"),
        count("replicas"),
        d["spec"]["paused"].as_bool().unwrap_or(false),
    )
}

/// A rolling update in batches: the deploy pauses the Deployment with the new image, 25%
/// resumes it until one pod of four runs it and pauses again, 100% lets it finish.
#[test]
fn a_rolling_update_pauses_at_each_batch_and_finishes_at_full() {
    let cluster = Cluster::with_controller(std::time::Duration::from_millis(400));
    let plan = cluster.plan(ROLLING, &rolling_stages("6s"));
    let key = checkout(&cluster);
    let run = cluster.start(&plan);
    wait_until("the first batch, paused", &|| {
        let (image, updated, _, paused) = image_and_rollout(&cluster, &key);
        let d = cluster.api.get(&key).unwrap();
        let observed = d["status"]["observedGeneration"].as_u64() >= d["metadata"]["generation"].as_u64();
        image == NEW_IMAGE && observed && (1..4).contains(&updated) && paused
    });
    // The batch holds: one pod of four (two when the controller started the next before the
    // pause landed, which the release says), and no more while the stage holds.
    let (_, batch, _, _) = image_and_rollout(&cluster, &key);
    std::thread::sleep(std::time::Duration::from_secs(2));
    let (_, updated, _, paused) = image_and_rollout(&cluster, &key);
    assert!(
        (1..=2).contains(&updated) && updated == batch && paused,
        "{updated} {batch} {paused}"
    );
    let out = run.wait_with_output().unwrap();
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let confirmed = if batch == 1 {
        "router confirms canary weight 25%"
    } else {
        "went past the stage's weight"
    };
    assert!(said.contains(confirmed), "{said}");
    let (image, updated, replicas, paused) = image_and_rollout(&cluster, &key);
    assert_eq!((image.as_str(), updated, replicas, paused), (NEW_IMAGE, 4, 4, false));
    let d = cluster.api.get(&key).unwrap();
    assert_eq!(d["metadata"]["annotations"]["shipdeck.io/previous-image"], OLD_IMAGE);
    cluster.assert_writes_are_shipdeck_s(&plan);
}

/// A bad canary in the first batch: the previous image goes back and the rollout runs
/// until no pod runs the new one; only then is the release rolled back.
#[test]
fn a_rolling_update_rolls_back_to_the_previous_image() {
    let cluster = Cluster::with_controller(std::time::Duration::from_millis(150));
    let plan = cluster.plan(ROLLING, &rolling_stages("1m"));
    let key = checkout(&cluster);
    cluster.bad.store(true, Ordering::SeqCst);
    let out = cluster.run(&plan);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    let (image, updated, replicas, paused) = image_and_rollout(&cluster, &key);
    assert_eq!(
        (image.as_str(), updated, replicas, paused),
        (OLD_IMAGE, 4, 4, false),
        "{said}"
    );
    let rolled_back = said
        .find("rolled back: canary at 0%")
        .unwrap_or_else(|| panic!("{said}"));
    let confirmed = said
        .find("router confirms canary weight 0%")
        .unwrap_or_else(|| panic!("{said}"));
    assert!(confirmed < rolled_back, "{said}");
}

const ARGO: &str = "  router: argo-rollouts\n  argo_rollouts: { rollout: checkout }";
const ARGO_STAGES: &str = "  - { name: canary 20%, weight: 20, hold: 3s }\n  - { name: canary 50%, weight: 50, hold: 3s }\n  - { name: full, weight: 100, hold: 2s }\n";

fn argo_rollout(image: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": "checkout"}},
            "template": {"metadata": {"labels": {"app": "checkout"}},
                         "spec": {"containers": [{"name": "checkout", "image": image}]}},
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}, {"pause": {}}]}}
        }
    })
}

/// An Argo Rollout with the new version applied (as CI would): the controller stands
/// paused at 20%. Returns its key.
fn rollout_at_20(cluster: &Cluster) -> Key {
    let key = cluster.api.put(argo_rollout(OLD_IMAGE));
    wait_until("the Rollout is stable", &|| {
        cluster.api.get(&key).is_some_and(|r| r["status"]["phase"] == "Healthy")
    });
    // The new version applied as a client applies it: a patch of the template.
    let url = format!(
        "{}/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/checkout",
        cluster.api.url()
    );
    let body = json!({"spec": {"template": {"spec": {"containers": [{"name": "checkout", "image": NEW_IMAGE}]}}}});
    let answer = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::Client::new()
            .patch(url)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
            .status()
    });
    assert!(answer.is_success(), "{answer}");
    wait_until("the Rollout pauses at 20%", &|| {
        cluster.api.get(&key).is_some_and(|r| {
            r["status"]["phase"] == "Paused" && r["status"]["canary"]["weights"]["canary"]["weight"] == 20
        })
    });
    key
}

/// Promote by promote: 20% (where Argo paused), 50%, then promoteFull; the Rollout ends
/// fully promoted, every write shipdeck's and within its Role.
#[test]
fn an_argo_rollout_is_promoted_step_by_step_then_in_full() {
    let cluster = Cluster::with_controller(std::time::Duration::from_millis(100));
    let key = rollout_at_20(&cluster);
    let plan = cluster.plan(ARGO, ARGO_STAGES);
    let before = cluster.api.writes().len();
    let preflight = shipdeck_in(&cluster, &["preflight", plan.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&preflight.stdout).to_string();
    assert!(said.contains("it waits for a promote at 20%, 50%"), "{said}");
    let out = cluster.run(&plan);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let rollout = cluster.api.get(&key).unwrap();
    assert_eq!(rollout["status"]["phase"], "Healthy", "{rollout}");
    assert_eq!(rollout["status"]["stableRS"], rollout["status"]["currentPodHash"]);
    for weight in ["20%", "50%", "100%"] {
        assert!(
            said.contains(&format!("router confirms canary weight {weight}")),
            "{weight}: {said}"
        );
    }
    // The promotes and the promoteFull went to the status subresource (their bodies are
    // checked on the wire in k8s_argo.rs).
    let status_writes = cluster
        .api
        .writes()
        .into_iter()
        .filter(|w| w.key.plural == "rollouts" && w.subresource.as_deref() == Some("status"))
        .count();
    assert!(status_writes >= 2, "{:?}", cluster.api.writes());
    cluster.assert_writes_are_shipdeck_s_from(&plan, before);
}

/// A bad canary at 20%: shipdeck aborts the Rollout and puts the stable template back; the
/// Rollout ends on the old image, healthy.
#[test]
fn a_bad_argo_canary_is_aborted_and_undone() {
    let cluster = Cluster::with_controller(std::time::Duration::from_millis(100));
    let key = rollout_at_20(&cluster);
    let plan = cluster.plan(ARGO, ARGO_STAGES);
    cluster.bad.store(true, Ordering::SeqCst);
    let out = cluster.run(&plan);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("previous version 2.13.4 restored"), "{said}");
    wait_until("the Rollout is back on the stable version", &|| {
        cluster.api.get(&key).is_some_and(|r| {
            r["status"]["phase"] == "Healthy" && r["spec"]["template"]["spec"]["containers"][0]["image"] == OLD_IMAGE
        })
    });
}

fn take_over(cluster: &Cluster, plan: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["run", "--headless", "--yes", "--take-over", "--log-dir", "logs"])
        .arg(plan)
        .env("KUBECONFIG", cluster.dir.path().join("kubeconfig"))
        .current_dir(cluster.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// A holder whose clock runs five minutes behind ours stamps old times while it renews:
/// its Lease looks lapsed by its times, but it moves, so it is not taken over.
#[test]
fn a_lease_renewed_by_a_machine_whose_clock_is_behind_is_not_taken_over() {
    let cluster = Cluster::new();
    route(&cluster);
    let plan = cluster.plan(GATEWAY, CANARY_STAGES);
    let stop = Arc::new(AtomicBool::new(false));
    let renewals = std::thread::scope(|scope| {
        let renewing = scope.spawn(|| {
            let mut renewals = 0;
            while !stop.load(Ordering::SeqCst) {
                cluster.api.put(lease("kim@elsewhere (checkout 2.14.0)", 300));
                renewals += 1;
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            renewals
        });
        let out = take_over(&cluster, &plan).wait_with_output().unwrap();
        stop.store(true, Ordering::SeqCst);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("driven by kim@elsewhere"), "{said}");
        assert!(said.contains("is still renewed, though its times are"), "{said}");
        renewing.join().unwrap()
    });
    assert!(renewals >= 3, "{renewals}");
    let held = cluster.api.get(&lease_key()).unwrap();
    assert_eq!(held["spec"]["holderIdentity"], "kim@elsewhere (checkout 2.14.0)");
    assert!(
        cluster
            .api
            .writes()
            .iter()
            .all(|w| w.key.plural == "leases" && w.field_manager.is_none()),
        "nothing of shipdeck's written: {:?}",
        cluster.api.writes()
    );
}

/// Two shipdecks take over one lapsed Lease at the same moment: one write wins, the other
/// is refused by the resourceVersion, reads again and is told who drives the target now.
#[test]
fn two_takeovers_at_once_leave_one_driver() {
    let cluster = Cluster::new();
    route(&cluster);
    let plan = cluster.plan(GATEWAY, CANARY_STAGES);
    cluster.api.put(lease("kim@elsewhere (checkout 2.14.0)", 300));
    let first = take_over(&cluster, &plan);
    let second = take_over(&cluster, &plan);
    let outs = [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()];
    let codes: Vec<Option<i32>> = outs.iter().map(|o| o.status.code()).collect();
    let said: Vec<String> = outs.iter().map(text).collect();
    assert!(
        codes.contains(&Some(0)) && codes.contains(&Some(1)),
        "{codes:?}\n{said:?}"
    );
    let loser = &said[codes.iter().position(|c| *c == Some(1)).unwrap()];
    assert!(loser.contains("the target is driven by"), "{loser}");
}

/// SIGTERM while a rollback is in flight on an API server that acknowledges only two
/// seconds later: the process waits for the acknowledgement, then ends, and says so.
#[test]
fn a_stop_during_a_rollback_waits_for_the_acknowledgement() {
    use std::io::{BufRead, BufReader};
    let cluster = Cluster::new();
    let key = route(&cluster);
    let plan = cluster.plan(
        GATEWAY,
        "  - { name: canary 25%, weight: 25, hold: 1m }\n  - { name: full, weight: 100, hold: 2s }\n",
    );
    let mut run = cluster.start(&plan);
    let mut lines = BufReader::new(run.stdout.take().unwrap()).lines();
    wait_until("the canary at 25%", &|| {
        cluster.api.get(&key).is_some_and(|r| weights(&r) == (75, 25))
    });
    cluster.api.set_down(true);
    cluster.bad.store(true, Ordering::SeqCst);
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        seen.push(line.clone());
        if line.contains("ROLLBACK by trigger") {
            break;
        }
    }
    assert!(seen.iter().any(|l| l.contains("ROLLBACK by trigger")), "{seen:?}");
    // SAFETY: kill only sends a signal to the child this test started.
    unsafe { libc::kill(run.id() as i32, libc::SIGTERM) };
    let stopped = std::time::Instant::now();
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        run.try_wait().unwrap().is_none(),
        "it must not end before the rollback is acknowledged"
    );
    cluster.api.set_down(false);
    let status = run.wait().unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(status.code(), Some(3), "{rest:?}");
    assert!(stopped.elapsed() >= std::time::Duration::from_secs(2));
    assert_eq!(weights(&cluster.api.get(&key).unwrap()), (100, 0));
    let said = rest.join("\n");
    assert!(
        said.contains("SIGTERM during a rollback: the rollback goes on until the router confirms 0%"),
        "{said}"
    );
    assert!(said.contains("rolled back: canary at 0%"), "{said}");
    assert!(
        said.contains("stopped by SIGTERM once the rollback was acknowledged"),
        "{said}"
    );
}
