//! Watches that keep the traffic pane's "actual" side true: the object that routes the
//! traffic (the weight it holds) and each version's pods (how many are ready), through
//! kube-runtime's watcher, which relists after an expired resourceVersion (410) and
//! reconnects with backoff after errors. Every report is news only: a pod count, not the
//! pods. A watch that fails is reported lost, so what it showed is stale, never current.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use futures::StreamExt;
use futures::future::BoxFuture;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use tokio::sync::mpsc;

use super::access;
use super::argo_rollouts::{new_version_share, replica_set_resource, rollout_resource};
use super::argo_status::{current_analysis_run, rollout_state};
use super::deployer::progress_of;
use super::errors::router_error;
use super::gateway_api::HttpRouteSplit;
use super::istio::VirtualServiceSplit;
use super::pod_readiness::PodReadiness;
use super::weight_router::WeightedObject;
use crate::engine::{LiveFact, LiveSource, Observation};
use crate::outside::{QUOTE_CHARS, one_line};
use crate::plan::{ClusterAccess, Target, Weight};

type ReadWeight = Arc<dyn Fn(&Value) -> Result<Weight, String> + Send + Sync>;

/// The pods of one version, as a label selector picks them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pods {
    /// The pods a selector picks.
    Labelled(BTreeMap<String, String>),
    /// The pods the Service picks (its selector, read when the watch starts).
    OfService(String),
    /// The pods a Deployment keeps: its own counts of ready and asked-for replicas.
    OfDeployment(String),
    /// A Deployment rolled in batches: its rollout's counts.
    Rollout(String),
}

/// One thing to watch and what to report from it.
enum Watched {
    /// An Argo Rollout: the new version's share, and the whole state for its pane.
    Rollout(String),
    Router {
        resource: ApiResource,
        name: String,
        read: ReadWeight,
    },
    Pods {
        source: LiveSource,
        pods: Pods,
    },
}

/// The watches a target needs; empty for a router off Kubernetes.
pub struct LiveWatch {
    watched: Vec<Watched>,
}

impl LiveWatch {
    pub fn of(target: &Target) -> LiveWatch {
        let weighted = |object: Box<dyn WeightedObject + Sync>| {
            let resource = object.resource();
            let name = object.name().to_string();
            let object: Arc<dyn WeightedObject + Sync> = Arc::from(object);
            Watched::Router {
                resource,
                name,
                read: Arc::new(move |value| object.split(value).map(|s| s.canary_share()).map_err(|e| e.to_string())),
            }
        };
        let pods = |source, pods| Watched::Pods { source, pods };
        let watched = match target {
            Target::Sim | Target::Haproxy(_) => Vec::new(),
            Target::GatewayApi { route, .. } => vec![
                weighted(Box::new(HttpRouteSplit(route.clone()))),
                pods(LiveSource::StablePods, Pods::OfService(route.stable.clone())),
                pods(LiveSource::CanaryPods, Pods::OfService(route.canary.clone())),
            ],
            Target::Istio { route, .. } => {
                let mut watched = vec![weighted(Box::new(VirtualServiceSplit(route.clone())))];
                // A host without a subset is a Service of this namespace; a subset's pods
                // are a DestinationRule's business, not watched.
                for (source, destination) in [
                    (LiveSource::StablePods, &route.stable),
                    (LiveSource::CanaryPods, &route.canary),
                ] {
                    if destination.subset.is_none() {
                        let service = destination.host.split('.').next().unwrap_or_default();
                        watched.push(pods(source, Pods::OfService(service.to_string())));
                    }
                }
                watched
            }
            Target::Replicas { deployments, .. } => vec![
                pods(LiveSource::StablePods, Pods::OfDeployment(deployments.stable.clone())),
                pods(LiveSource::CanaryPods, Pods::OfDeployment(deployments.canary.clone())),
            ],
            Target::ArgoRollouts { argo, .. } => vec![Watched::Rollout(argo.rollout.clone())],
            Target::Rolling { rolling, .. } => {
                vec![pods(LiveSource::Router, Pods::Rollout(rolling.deployment.clone()))]
            }
            Target::ServiceSelector { service, .. } => {
                let (stable, canary) = (service.stable.clone(), service.canary.clone());
                vec![
                    Watched::Router {
                        resource: ApiResource::erase::<k8s_openapi::api::core::v1::Service>(&()),
                        name: service.service.clone(),
                        read: Arc::new(move |value| selector_weight(value, &stable, &canary)),
                    },
                    pods(LiveSource::StablePods, Pods::Labelled(service.stable.clone())),
                    pods(LiveSource::CanaryPods, Pods::Labelled(service.canary.clone())),
                ]
            }
        };
        LiveWatch { watched }
    }

    pub fn is_empty(&self) -> bool {
        self.watched.is_empty()
    }

    /// Runs every watch until the receiver is gone, reaching the cluster through `access`.
    pub async fn run(self, access: ClusterAccess, out: mpsc::Sender<Observation>) {
        if self.watched.is_empty() {
            return;
        }
        let mut backoff = std::time::Duration::from_millis(500);
        let (client, namespace) = loop {
            match access::connect(&access).await {
                Ok(reached) => break reached,
                Err(e) => {
                    for source in self.sources() {
                        let fact = LiveFact::Lost(e.to_string());
                        if out.send(Observation::Live { source, fact }).await.is_err() {
                            return;
                        }
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(30));
                }
            }
        };
        self.run_with(client, &namespace, out).await;
    }

    /// Runs every watch on a client already made (tests, benchmarks).
    pub async fn run_with(self, client: Client, namespace: &str, out: mpsc::Sender<Observation>) {
        let watches: Vec<BoxFuture<'_, ()>> = self
            .watched
            .into_iter()
            .map(|w| match w {
                Watched::Router { resource, name, read } => Box::pin(watch_router(
                    Api::namespaced_with(client.clone(), namespace, &resource),
                    name,
                    read,
                    out.clone(),
                )) as BoxFuture<'_, ()>,
                Watched::Pods { source, pods } => {
                    Box::pin(watch_pods(client.clone(), namespace, source, pods, out.clone()))
                }
                Watched::Rollout(name) => Box::pin(watch_rollout(client.clone(), namespace, name, out.clone())),
            })
            .collect();
        futures::future::join_all(watches).await;
    }

    fn sources(&self) -> Vec<LiveSource> {
        self.watched
            .iter()
            .map(|w| match w {
                Watched::Router { .. } | Watched::Rollout(_) => LiveSource::Router,
                Watched::Pods { source, .. } => *source,
            })
            .collect()
    }
}

/// What a Service's selector routes: all to the canary, all to stable, or neither.
fn selector_weight(
    service: &Value,
    stable: &BTreeMap<String, String>,
    canary: &BTreeMap<String, String>,
) -> Result<Weight, String> {
    let selector: BTreeMap<String, String> = service
        .pointer("/spec/selector")
        .cloned()
        .and_then(|s| serde_json::from_value(s).ok())
        .unwrap_or_default();
    if &selector == canary {
        Ok(Weight::FULL)
    } else if &selector == stable {
        Ok(Weight::ZERO)
    } else {
        Err("the Service selects neither version's pods".into())
    }
}

fn lost(what: &str, error: &dyn std::fmt::Display) -> LiveFact {
    LiveFact::Lost(format!("{what}: {}", one_line(&error.to_string(), QUOTE_CHARS)))
}

/// A watch's failure in the words the routers use: what to fix, not the client's dump.
fn watch_lost(what: &str, error: &watcher::Error, namespace: &str) -> LiveFact {
    match error {
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
            LiveFact::Lost(router_error(e, "watch", what, Some(namespace)).to_string())
        }
        watcher::Error::WatchError(status) => lost(&format!("watch on {what}"), &status.message),
        other => lost(&format!("watch on {what}"), other),
    }
}

/// Reports the weight one named object routes, each time it changes.
async fn watch_router(api: Api<DynamicObject>, name: String, read: ReadWeight, out: mpsc::Sender<Observation>) {
    let api_namespace = api.namespace().unwrap_or("default").to_string();
    let api_namespace = api_namespace.as_str();
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(api, config).default_backoff().boxed();
    let send = |fact| {
        out.send(Observation::Live {
            source: LiveSource::Router,
            fact,
        })
    };
    let mut last: Option<LiveFact> = None;
    while let Some(event) = events.next().await {
        let fact = match event {
            Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => {
                match serde_json::to_value(&object) {
                    Ok(value) => match read(&value) {
                        Ok(weight) => LiveFact::Weight(weight),
                        Err(why) => LiveFact::Unreadable(why),
                    },
                    Err(e) => LiveFact::Unreadable(e.to_string()),
                }
            }
            Ok(watcher::Event::Delete(_)) => LiveFact::Lost(format!("{name} was deleted")),
            Ok(watcher::Event::Init | watcher::Event::InitDone) => continue,
            // Expired (410): the watcher lists afresh by itself; nothing was lost.
            Err(watcher::Error::WatchError(status)) if status.code == 410 => continue,
            Err(e) => watch_lost(&name, &e, api_namespace),
        };
        if last.as_ref() != Some(&fact) {
            last = Some(fact.clone());
            if send(fact).await.is_err() {
                return;
            }
        }
    }
}

/// Reports one version's ready and total pods, each time the counts change.
async fn watch_pods(client: Client, namespace: &str, source: LiveSource, pods: Pods, out: mpsc::Sender<Observation>) {
    let send = |fact| out.send(Observation::Live { source, fact });
    let selector = match pods {
        Pods::Labelled(labels) => labels,
        Pods::OfDeployment(name) => return watch_deployment(client, namespace, name, source, false, out).await,
        Pods::Rollout(name) => return watch_deployment(client, namespace, name, source, true, out).await,
        Pods::OfService(service) => {
            let api: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), namespace);
            let mut backoff = std::time::Duration::from_millis(500);
            loop {
                match api.get(&service).await {
                    Ok(found) => break found.spec.and_then(|s| s.selector).unwrap_or_default(),
                    Err(e) => {
                        let why = router_error(&e, "get", &format!("services/{service}"), Some(namespace));
                        if send(LiveFact::Lost(why.to_string())).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(std::time::Duration::from_secs(30));
                    }
                }
            }
        }
    };
    if selector.is_empty() {
        let _ = send(LiveFact::Unreadable(
            "no selector: its pods cannot be told apart".into(),
        ))
        .await;
        return;
    }
    let labels = selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let api: Api<PodReadiness> = Api::namespaced(client, namespace);
    let mut events = watcher(api, watcher::Config::default().labels(&labels))
        .default_backoff()
        .boxed();
    // Pod name -> ready; a relist builds a fresh map, swapped in when complete.
    let mut ready: HashMap<String, bool> = HashMap::new();
    let mut relisting: Option<HashMap<String, bool>> = None;
    let mut last: Option<LiveFact> = None;
    while let Some(event) = events.next().await {
        let fact = match event {
            Ok(watcher::Event::Init) => {
                relisting = Some(HashMap::new());
                continue;
            }
            Ok(watcher::Event::InitApply(pod)) => {
                if let (Some(list), Some(name)) = (relisting.as_mut(), pod.metadata.name.clone()) {
                    list.insert(name, pod.is_ready());
                }
                continue;
            }
            Ok(watcher::Event::InitDone) => {
                ready = relisting.take().unwrap_or_default();
                counts(&ready)
            }
            Ok(watcher::Event::Apply(pod)) => {
                if let Some(name) = pod.metadata.name.clone() {
                    ready.insert(name, pod.is_ready());
                }
                counts(&ready)
            }
            Ok(watcher::Event::Delete(pod)) => {
                if let Some(name) = &pod.metadata.name {
                    ready.remove(name);
                }
                counts(&ready)
            }
            // Expired (410): the watcher lists afresh by itself; nothing was lost.
            Err(watcher::Error::WatchError(status)) if status.code == 410 => continue,
            Err(e) => watch_lost(&format!("pods {labels}"), &e, namespace),
        };
        if last.as_ref() != Some(&fact) {
            last = Some(fact.clone());
            if send(fact).await.is_err() {
                return;
            }
        }
    }
}

/// An Argo Rollout: each change is read with its current AnalysisRun and its ReplicaSets,
/// and reported whole (for its pane) and as the new version's share.
async fn watch_rollout(client: Client, namespace: &str, name: String, out: mpsc::Sender<Observation>) {
    let rollouts: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &rollout_resource());
    let run_kind = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "AnalysisRun");
    let runs: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &ApiResource::from_gvk_with_plural(&run_kind, "analysisruns"),
    );
    let sets: Api<DynamicObject> = Api::namespaced_with(client, namespace, &replica_set_resource());
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(rollouts, config).default_backoff().boxed();
    let mut last: Option<LiveFact> = None;
    let mut release = None;
    while let Some(event) = events.next().await {
        let fact = match event {
            Ok(watcher::Event::Apply(object) | watcher::Event::InitApply(object)) => {
                let value = serde_json::to_value(&object).unwrap_or(Value::Null);
                let run = match current_analysis_run(&value) {
                    Some(run) => runs
                        .get_opt(&run)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|r| serde_json::to_value(r).ok()),
                    None => None,
                };
                let owned: Vec<Value> = sets
                    .list(&ListParams::default())
                    .await
                    .map(|l| {
                        l.items
                            .into_iter()
                            .filter_map(|rs| serde_json::to_value(rs).ok())
                            .collect()
                    })
                    .unwrap_or_default();
                let state = rollout_state(&value, run.as_ref(), &owned);
                let share = new_version_share(&state, &mut release);
                if out.send(Observation::Rollout(Box::new(state))).await.is_err() {
                    return;
                }
                LiveFact::Weight(share)
            }
            Ok(watcher::Event::Delete(_)) => LiveFact::Lost(format!("Rollout {name} was deleted")),
            Ok(watcher::Event::Init | watcher::Event::InitDone) => continue,
            Err(watcher::Error::WatchError(status)) if status.code == 410 => continue,
            Err(e) => watch_lost(&format!("rollouts.argoproj.io/{name}"), &e, namespace),
        };
        if last.as_ref() != Some(&fact) {
            last = Some(fact.clone());
            let sent = out.send(Observation::Live {
                source: LiveSource::Router,
                fact,
            });
            if sent.await.is_err() {
                return;
            }
        }
    }
}

fn counts(ready: &HashMap<String, bool>) -> LiveFact {
    let total = u32::try_from(ready.len()).unwrap_or(u32::MAX);
    let up = u32::try_from(ready.values().filter(|r| **r).count()).unwrap_or(u32::MAX);
    LiveFact::Pods { ready: up, total }
}

/// A Deployment's own count of ready replicas against the replicas it asks for, or (for a
/// rollout in batches) its rollout's counts.
async fn watch_deployment(
    client: Client,
    namespace: &str,
    name: String,
    source: LiveSource,
    rollout: bool,
    out: mpsc::Sender<Observation>,
) {
    let api: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client, namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut events = watcher(api, config).default_backoff().boxed();
    let mut last: Option<LiveFact> = None;
    while let Some(event) = events.next().await {
        let fact = match event {
            Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) if rollout => {
                LiveFact::Rollout(progress_of(&d))
            }
            Ok(watcher::Event::Apply(d) | watcher::Event::InitApply(d)) => {
                let count = |n: Option<i32>| u32::try_from(n.unwrap_or(0)).unwrap_or(0);
                LiveFact::Pods {
                    ready: count(d.status.as_ref().and_then(|s| s.ready_replicas)),
                    total: count(d.spec.as_ref().and_then(|s| s.replicas).or(Some(1))),
                }
            }
            Ok(watcher::Event::Delete(_)) => LiveFact::Lost(format!("Deployment {name} was deleted")),
            Ok(watcher::Event::Init | watcher::Event::InitDone) => continue,
            // Expired (410): the watcher lists afresh by itself; nothing was lost.
            Err(watcher::Error::WatchError(status)) if status.code == 410 => continue,
            Err(e) => watch_lost(&format!("deployments.apps/{name}"), &e, namespace),
        };
        if last.as_ref() != Some(&fact) {
            last = Some(fact.clone());
            if out.send(Observation::Live { source, fact }).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_service_selector_reads_as_all_or_nothing() {
        let map = |colour: &str| {
            BTreeMap::from([
                ("app".to_string(), "billing".to_string()),
                ("colour".to_string(), colour.to_string()),
            ])
        };
        let service = |colour: &str| json!({"spec": {"selector": map(colour)}});
        assert_eq!(
            selector_weight(&service("green"), &map("blue"), &map("green")),
            Ok(Weight::FULL)
        );
        assert_eq!(
            selector_weight(&service("blue"), &map("blue"), &map("green")),
            Ok(Weight::ZERO)
        );
        assert!(selector_weight(&service("red"), &map("blue"), &map("green")).is_err());
    }
}
