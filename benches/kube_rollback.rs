//! Rollback latency through kube's client to an API server: from calling `apply(0)` (after
//! 25%) until the API server has acknowledged the write and the weight is read back from
//! its answer, for each Kubernetes router, against the fake API server on loopback (no real
//! one can run here). Budget: p99 under 10 ms. Prints figures; run with
//! `cargo bench --bench kube_rollback`.

#[path = "support/rollback.rs"]
mod rollback;

use std::collections::BTreeMap;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;
use shipdeck::backend::TrafficRouter;
use shipdeck::backend::kube::gateway_api::{GatewayApiRouter, HttpRouteSplit};
use shipdeck::backend::kube::replicas::ReplicasRouter;
use shipdeck::backend::kube::service_selector::ServiceSelectorRouter;
use shipdeck::plan::{GatewayApiTarget, ReplicasTarget, ServiceSelectorTarget, Weight};
use shipdeck_testsvc::kube_api::FakeApiServer;

const ROUNDS: usize = 300;
const BUDGET_P99: Duration = Duration::from_millis(10);

async fn client(api: &FakeApiServer) -> kube::Client {
    let kubeconfig = Kubeconfig::from_yaml(&api.kubeconfig("shop")).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

async fn measure(name: &str, router: &mut dyn TrafficRouter, to: Weight) {
    let samples = rollback::time_rollbacks(router, to, ROUNDS).await;
    let what = format!("kube rollback, {name} (apply 0 after {to}, {ROUNDS} rounds, fake API server on loopback)");
    rollback::report(&what, samples, BUDGET_P99);
}

fn main() {
    shipdeck::tls::choose_crypto_provider();
    let api = FakeApiServer::start().unwrap();
    let route = std::fs::read_to_string("tests/fixtures/k8s/httproute-checkout.yaml").unwrap();
    api.put(serde_yaml::from_str(&route).unwrap());
    for (name, replicas) in [("checkout-stable", 20), ("checkout-canary", 0)] {
        api.put(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": name, "namespace": "shop"}, "spec": {"replicas": replicas}}));
    }
    api.put(
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "billing", "namespace": "shop"},
                   "spec": {"selector": {"colour": "blue"}}}),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut gateway = GatewayApiRouter::with_client(
            HttpRouteSplit(GatewayApiTarget {
                route: "checkout".into(),
                rule: 1,
                stable: "checkout-stable".into(),
                canary: "checkout-canary".into(),
            }),
            client(&api).await,
            "shop",
        );
        measure("gateway-api", &mut gateway, Weight::new(25).unwrap()).await;
        let mut replicas = ReplicasRouter::with_client(
            ReplicasTarget {
                stable: "checkout-stable".into(),
                canary: "checkout-canary".into(),
                total: 20,
            },
            client(&api).await,
            "shop",
        );
        measure("replicas", &mut replicas, Weight::new(25).unwrap()).await;
        let colour = |c: &str| BTreeMap::from([("colour".to_string(), c.to_string())]);
        let mut selector = ServiceSelectorRouter::with_client(
            ServiceSelectorTarget {
                service: "billing".into(),
                stable: colour("blue"),
                canary: colour("green"),
            },
            client(&api).await,
            "shop",
        );
        measure("service-selector", &mut selector, Weight::FULL).await;
    });
}
