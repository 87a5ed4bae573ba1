//! The watches behind the traffic pane's live lines, through kube-runtime's watcher against
//! the fake API server on loopback (no real one can run here):
//! - a change to the HTTPRoute reaches the engine within one frame (16.7 ms at 60 Hz; the
//!   render after it takes under 1 ms, see `render`): p99 over 200 changes;
//! - watching 1,000 pods (500 per version) adds under 10 MB of memory and under 0.5% of one
//!   core while two pods a second change readiness. Measured in a child process of its own
//!   (this program, run again), so the fake server's own work is not counted.
//!
//! Prints figures; run with `cargo bench --bench kube_watch`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use shipdeck::backend::kube::live::LiveWatch;
use shipdeck::engine::{LiveFact, LiveSource, Observation};
use shipdeck::plan::{GatewayApiTarget, Target, Weight};
use shipdeck_testsvc::kube_api::FakeApiServer;
use tokio::sync::mpsc;

const FRAME: Duration = Duration::from_micros(16_667);
const PODS_PER_VERSION: usize = 500;
const CHURN_SECONDS: u64 = 20;
const BUDGET_MB: f64 = 10.0;
const BUDGET_CORE_PERCENT: f64 = 0.5;
const CHILD: &str = "SHIPDECK_WATCH_BENCH_SERVER";

fn target() -> Target {
    Target::GatewayApi {
        route: GatewayApiTarget {
            route: "checkout".into(),
            rule: 1,
            stable: "checkout-stable".into(),
            canary: "checkout-canary".into(),
        },
        cluster: Default::default(),
    }
}

fn route(canary: u64) -> Value {
    let text = std::fs::read_to_string("tests/fixtures/k8s/httproute-checkout.yaml").unwrap();
    let mut route: Value = serde_yaml::from_str(&text).unwrap();
    route["metadata"].as_object_mut().unwrap().remove("resourceVersion");
    route["spec"]["rules"][1]["backendRefs"][0]["weight"] = json!(100 - canary);
    route["spec"]["rules"][1]["backendRefs"][1]["weight"] = json!(canary);
    route
}

/// A pod as a cluster has it, about 2 KB of JSON, so the list weighs what a real one does.
fn pod(name: &str, version: &str, ready: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": {"app": "checkout", "version": version,
                     "pod-template-hash": "7d84d44bb8"},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("checkout-{version}"),
                                          "uid": "5b1f3c2e-0000-4000-8000-000000000000", "controller": true}]},
        "spec": {"containers": [{"name": "checkout", "image": format!("registry.example.com/shop/checkout:{version}"),
                                 "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                                 "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}},
                                 "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 5}}],
                 "nodeName": "node-17", "serviceAccountName": "checkout"},
        "status": {"phase": "Running", "podIP": "10.0.3.17", "hostIP": "10.1.0.17",
                   "conditions": [{"type": "Initialized", "status": "True"},
                                  {"type": "Ready", "status": if ready { "True" } else { "False" }},
                                  {"type": "ContainersReady", "status": if ready { "True" } else { "False" }},
                                  {"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{"name": "checkout", "ready": ready, "restartCount": 0,
                                          "image": format!("registry.example.com/shop/checkout:{version}")}]}})
}

fn service(name: &str, version: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "shop"},
           "spec": {"selector": {"app": "checkout", "version": version}}})
}

fn client(url: &str) -> kube::Client {
    let mut config = kube::Config::new(url.parse().unwrap());
    config.default_retry = false;
    kube::Client::try_from(config).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Resident memory of this process, in MB.
fn rss_mb() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

/// User and system CPU seconds of this process.
fn cpu_seconds() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct it is given.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The child: watches the server at `url` and reports what it cost.
fn watcher_child(url: &str) {
    let runtime = runtime();
    runtime.block_on(async {
        let client = client(url);
        let before = rss_mb();
        let (tx, mut rx) = mpsc::channel(1024);
        tokio::spawn(LiveWatch::of(&target()).run_with(client, "shop", tx));
        let total = PODS_PER_VERSION as u32;
        let mut seen = [false; 2];
        while !(seen[0] && seen[1]) {
            if let Some(Observation::Live {
                source,
                fact: LiveFact::Pods { total: t, .. },
            }) = rx.recv().await
                && t == total
            {
                seen[usize::from(source == LiveSource::CanaryPods)] = true;
            }
        }
        let listed = rss_mb();
        println!("listed");
        let cpu_before = cpu_seconds();
        let started = Instant::now();
        let mut events = 0u64;
        while started.elapsed() < Duration::from_secs(CHURN_SECONDS) {
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
                events += 1;
            }
        }
        let cpu = cpu_seconds() - cpu_before;
        let wall = started.elapsed().as_secs_f64();
        println!(
            "{} {} {} {} {}",
            listed - before,
            rss_mb() - before,
            100.0 * cpu / wall,
            events,
            wall
        );
    });
}

fn latency(api: &FakeApiServer) {
    let runtime = runtime();
    let samples = runtime.block_on(async {
        let (tx, mut rx) = mpsc::channel(1024);
        tokio::spawn(LiveWatch::of(&target()).run_with(client(&api.url()), "shop", tx));
        let mut samples = Vec::with_capacity(200);
        for i in 0..=200u64 {
            let canary = if i % 2 == 0 { 25 } else { 50 };
            let put = Instant::now();
            api.put(route(canary));
            let wanted = LiveFact::Weight(Weight::new(canary as u8).unwrap());
            loop {
                match rx.recv().await {
                    Some(Observation::Live {
                        source: LiveSource::Router,
                        fact,
                    }) if fact == wanted => break,
                    Some(_) => {}
                    None => panic!("the watch ended"),
                }
            }
            // The first is the watch starting up, not a change arriving.
            if i > 0 {
                samples.push(put.elapsed());
            }
        }
        samples
    });
    let mut sorted = samples;
    sorted.sort();
    let p = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let verdict = if p(0.99) < FRAME { "within" } else { "OVER" };
    println!(
        "kube watch, HTTPRoute change to the engine (200 changes): median {:.2} ms, p99 {:.2} ms, max {:.2} ms: {verdict} one frame ({:.1} ms)",
        p(0.5).as_secs_f64() * 1e3,
        p(0.99).as_secs_f64() * 1e3,
        p(1.0).as_secs_f64() * 1e3,
        FRAME.as_secs_f64() * 1e3
    );
}

fn main() {
    shipdeck::tls::choose_crypto_provider();
    if let Ok(url) = std::env::var(CHILD) {
        watcher_child(&url);
        return;
    }
    let api = FakeApiServer::start().unwrap();
    api.put(route(0));
    api.put(service("checkout-stable", "2.13.4"));
    api.put(service("checkout-canary", "2.14.0"));
    latency(&api);

    for i in 0..PODS_PER_VERSION {
        api.put(pod(&format!("checkout-stable-{i}"), "2.13.4", true));
        api.put(pod(&format!("checkout-canary-{i}"), "2.14.0", true));
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, api.url())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "listed");
    // Two pods a second change readiness, as a rollout or a flapping probe would.
    let started = Instant::now();
    let mut flips = 0usize;
    while started.elapsed() < Duration::from_secs(CHURN_SECONDS) {
        let i = flips % PODS_PER_VERSION;
        let ready = (flips / PODS_PER_VERSION) % 2 == 1;
        api.put(pod(&format!("checkout-canary-{i}"), "2.14.0", ready));
        flips += 1;
        std::thread::sleep(Duration::from_millis(500));
    }
    let figures = lines.next().unwrap().unwrap();
    let _ = child.wait();
    let numbers: Vec<f64> = figures.split_whitespace().map(|n| n.parse().unwrap()).collect();
    let (listed, end, core, events) = (numbers[0], numbers[1], numbers[2], numbers[3]);
    let verdict = |ok: bool| if ok { "within budget" } else { "OVER BUDGET" };
    println!(
        "kube watch, 1,000 pods: +{listed:.1} MB after the first list, +{end:.1} MB after {CHURN_SECONDS} s of churn \
         (budget {BUDGET_MB} MB: {})",
        verdict(end.max(listed) < BUDGET_MB)
    );
    println!(
        "kube watch, 1,000 pods, {flips} readiness changes in {CHURN_SECONDS} s ({events} reports): {core:.3}% of one \
         core (budget {BUDGET_CORE_PERCENT}%: {})",
        verdict(core < BUDGET_CORE_PERCENT)
    );
    let _ = std::io::stdout().flush();
}
