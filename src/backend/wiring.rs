//! The router a plan names, built in one exhaustive match: a plan that names a real router
//! drives that router, never the simulator (which only `Target::Sim` gets, from `sim`).
//! Kubernetes routers reach the cluster through the plan's access with the command line's
//! `--context` and `--namespace` over it.

use super::haproxy::HaproxyRouter;
use super::kube::access::overridden;
use super::kube::argo_rollouts::ArgoRolloutsRouter;
use super::kube::deployer::KubeDeployer;
use super::kube::gateway_api::{GatewayApiRouter, HttpRouteSplit};
use super::kube::istio::{IstioRouter, VirtualServiceSplit};
use super::kube::replicas::ReplicasRouter;
use super::kube::rolling::RollingRouter;
use super::kube::service_selector::ServiceSelectorRouter;
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::kube::live::LiveWatch;
use super::{Deployer, TrafficRouter, Watches};
use crate::engine::Observation;
use crate::plan::{ClusterAccess, Plan, Target};

pub fn router(
    plan: &Plan,
    cluster: &ClusterAccess,
    sim: impl FnOnce() -> Box<dyn TrafficRouter>,
) -> Box<dyn TrafficRouter> {
    real(plan, cluster).unwrap_or_else(sim)
}

/// The real router `plan`'s target names; `None` only for the simulator.
pub fn real(plan: &Plan, cluster: &ClusterAccess) -> Option<Box<dyn TrafficRouter>> {
    let target = &plan.target;
    let access =
        |planned: &ClusterAccess| overridden(planned, cluster.context.as_deref(), cluster.namespace.as_deref());
    Some(match target {
        Target::Sim => return None,
        Target::Haproxy(target) => Box::new(HaproxyRouter::new(target)),
        Target::GatewayApi { route, cluster } => {
            Box::new(GatewayApiRouter::new(HttpRouteSplit(route.clone()), access(cluster)))
        }
        Target::Istio { route, cluster } => {
            Box::new(IstioRouter::new(VirtualServiceSplit(route.clone()), access(cluster)))
        }
        Target::Replicas { deployments, cluster } => {
            Box::new(ReplicasRouter::new(deployments.clone(), access(cluster)))
        }
        Target::ServiceSelector { service, cluster } => {
            Box::new(ServiceSelectorRouter::new(service.clone(), access(cluster)))
        }
        Target::ArgoRollouts { argo, cluster } => Box::new(ArgoRolloutsRouter::new(
            argo.clone(),
            plan.stages.iter().map(|s| s.weight).collect(),
            access(cluster),
        )),
        Target::Rolling { rolling, cluster } => Box::new(RollingRouter::new(
            rolling.clone(),
            plan.deploy_of(&rolling.deployment).cloned(),
            access(cluster),
        )),
    })
}

/// What sets a stage's image on the target's cluster; `None` for a router off Kubernetes.
pub fn deployer(target: &Target, cluster: &ClusterAccess) -> Option<Box<dyn Deployer>> {
    cluster_access(target, cluster).map(|access| Box::new(KubeDeployer::new(access)) as Box<dyn Deployer>)
}

/// The watches that keep the traffic pane true to the target's objects; `None` off
/// Kubernetes.
pub fn watches(target: &Target, cluster: &ClusterAccess) -> Option<Watches> {
    let access = cluster_access(target, cluster)?;
    let watch = LiveWatch::of(target);
    if watch.is_empty() {
        return None;
    }
    let run = move |out: mpsc::Sender<Observation>| -> BoxFuture<'static, ()> { Box::pin(watch.run(access, out)) };
    Some(Box::new(run))
}

/// The cluster access a Kubernetes target plans, with the command line's over it; `None`
/// for a router that is not on Kubernetes.
pub fn cluster_access(target: &Target, cluster: &ClusterAccess) -> Option<ClusterAccess> {
    let planned = match target {
        Target::GatewayApi { cluster, .. }
        | Target::Istio { cluster, .. }
        | Target::Replicas { cluster, .. }
        | Target::ServiceSelector { cluster, .. }
        | Target::Rolling { cluster, .. }
        | Target::ArgoRollouts { cluster, .. } => cluster,
        Target::Sim | Target::Haproxy(_) => return None,
    };
    Some(overridden(
        planned,
        cluster.context.as_deref(),
        cluster.namespace.as_deref(),
    ))
}
