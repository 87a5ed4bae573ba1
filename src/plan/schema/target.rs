//! Where traffic is moved: the router and its settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Weight;

/// `target:` as the file writes it: the router's name, and its settings block.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    pub router: RouterKind,
    /// Required when `router: haproxy`.
    #[serde(default)]
    pub haproxy: Option<HaproxyTarget>,
    /// Required when `router: gateway-api`.
    #[serde(default)]
    pub gateway_api: Option<GatewayApiTarget>,
    /// Required when `router: istio`.
    #[serde(default)]
    pub istio: Option<IstioTarget>,
    /// Required when `router: replicas`.
    #[serde(default)]
    pub replicas: Option<ReplicasTarget>,
    /// Required when `router: service-selector`.
    #[serde(default)]
    pub service_selector: Option<ServiceSelectorTarget>,
    /// Required when `router: rolling`.
    #[serde(default)]
    pub rolling: Option<RollingTarget>,
    /// Required when `router: argo-rollouts`.
    #[serde(default)]
    pub argo_rollouts: Option<ArgoRolloutsTarget>,
    /// How to reach the cluster, for the Kubernetes routers (as kubectl finds it when
    /// absent: KUBECONFIG, ~/.kube/config, in-cluster).
    #[serde(default)]
    pub kubernetes: Option<ClusterAccess>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RouterKind {
    /// The built-in simulator: traffic router and metrics source on a virtual clock.
    Sim,
    /// HAProxy's runtime API: the canary share is the weight of the canary servers.
    Haproxy,
    /// A Gateway API HTTPRoute: the canary share is the weight of the canary Service's
    /// backendRef.
    GatewayApi,
    /// An Istio VirtualService: the canary share is the weight of the canary destination
    /// in one HTTP route.
    Istio,
    /// Two Deployments: the canary share is approximated by their replica counts.
    Replicas,
    /// Blue-green: a Service's selector picks the stable or the canary Deployment's pods.
    ServiceSelector,
    /// One Deployment's own rolling update, in batches: the canary share is its share of
    /// pods on the new template.
    Rolling,
    /// An Argo Rollout, driven through its own steps: promote, abort, undo; the canary
    /// share is the weight the Rollout reports.
    ArgoRollouts,
}

impl RouterKind {
    /// Whether the router works through a Kubernetes API server.
    pub fn is_kubernetes(self) -> bool {
        matches!(
            self,
            RouterKind::GatewayApi
                | RouterKind::Istio
                | RouterKind::Replicas
                | RouterKind::ServiceSelector
                | RouterKind::Rolling
                | RouterKind::ArgoRollouts
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RouterKind::Sim => "sim",
            RouterKind::Haproxy => "haproxy",
            RouterKind::GatewayApi => "gateway-api",
            RouterKind::Istio => "istio",
            RouterKind::Replicas => "replicas",
            RouterKind::ServiceSelector => "service-selector",
            RouterKind::Rolling => "rolling",
            RouterKind::ArgoRollouts => "argo-rollouts",
        }
    }
}

/// Which cluster and namespace, when the kubeconfig's current ones are not meant.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClusterAccess {
    /// A context of the kubeconfig (`--context` overrides it).
    #[serde(default)]
    pub context: Option<String>,
    /// The namespace of the objects the plan names (`--namespace` overrides it).
    #[serde(default)]
    pub namespace: Option<String>,
}

/// An HTTPRoute whose rule splits traffic between a stable and a canary Service.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayApiTarget {
    /// The HTTPRoute's name.
    pub route: String,
    /// Which of its rules splits the traffic (from 0, as in the object).
    #[serde(default)]
    pub rule: usize,
    /// The Service (backendRef name) of the stable version.
    pub stable: String,
    /// The Service (backendRef name) of the canary.
    pub canary: String,
}

/// Where HAProxy's runtime API listens and which servers carry each version.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HaproxyTarget {
    /// The stats socket (`level admin`): a unix socket path, or `host:port` for TCP.
    pub socket: String,
    /// The backend whose servers split the traffic.
    pub backend: String,
    /// Servers running the stable version.
    pub stable: Vec<String>,
    /// Servers running the canary.
    pub canary: Vec<String>,
}

/// A VirtualService HTTP route whose destinations split traffic between two versions:
/// two subsets of one host (with a DestinationRule), or two hosts.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IstioTarget {
    /// The VirtualService's name.
    pub virtual_service: String,
    /// The name of its HTTP route that splits the traffic; the first one when absent.
    #[serde(default)]
    pub route: Option<String>,
    pub stable: IstioDestination,
    pub canary: IstioDestination,
}

/// A route destination as the VirtualService writes it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IstioDestination {
    pub host: String,
    #[serde(default)]
    pub subset: Option<String>,
}

impl std::fmt::Display for IstioDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.subset {
            Some(subset) => write!(f, "{} subset {subset}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

/// Two Deployments, one per version, whose replica counts approximate the traffic split
/// behind one Service that selects both: the total stays the same at every weight.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplicasTarget {
    /// The stable version's Deployment.
    pub stable: String,
    /// The canary's Deployment.
    pub canary: String,
    /// Pods across both versions, kept at every weight.
    pub total: u32,
}

impl ReplicasTarget {
    /// The (canary, stable) replica counts nearest `weight`: at least one canary pod
    /// whenever the canary is to get any traffic, at least one stable pod below 100%.
    pub fn replicas_at(&self, weight: Weight) -> (u32, u32) {
        let percent = u32::from(weight.percent());
        let mut canary = (self.total * percent + 50) / 100;
        if percent > 0 {
            canary = canary.max(1);
        }
        if percent < 100 {
            canary = canary.min(self.total.saturating_sub(1));
        }
        (canary, self.total - canary)
    }

    /// The share of pods the canary runs at `weight`, in whole percent: what the traffic
    /// gets, as near as whole pods allow.
    pub fn share_at(&self, weight: Weight) -> u32 {
        let (canary, _) = self.replicas_at(weight);
        (canary * 100 + self.total / 2) / self.total.max(1)
    }
}

/// Blue-green by a Service's selector: it selects the stable or the canary Deployment's
/// pods, all of them; the other colour keeps running for the rollback window.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceSelectorTarget {
    /// The Service that clients reach.
    pub service: String,
    /// Its selector while the stable version serves (e.g. `{ app: checkout, colour: blue }`).
    pub stable: BTreeMap<String, String>,
    /// Its selector once the canary serves.
    pub canary: BTreeMap<String, String>,
}

/// One Deployment rolled out in batches: its rollout is paused at each stage's share of
/// pods on the new template (set by a stage's `deploy`) and resumed for the next.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RollingTarget {
    /// The Deployment.
    pub deployment: String,
}

/// An existing Argo Rollout: its steps set the weights; shipdeck promotes, aborts and
/// undoes, and reads the weight it reports.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ArgoRolloutsTarget {
    /// The Rollout's name.
    pub rollout: String,
}

/// The traffic router a validated plan drives: one variant per router, each with its own
/// settings. There is no fallback: a plan that names a real router drives that router.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The built-in simulator.
    Sim,
    Haproxy(HaproxyTarget),
    GatewayApi {
        route: GatewayApiTarget,
        cluster: ClusterAccess,
    },
    Istio {
        route: IstioTarget,
        cluster: ClusterAccess,
    },
    Replicas {
        deployments: ReplicasTarget,
        cluster: ClusterAccess,
    },
    ServiceSelector {
        service: ServiceSelectorTarget,
        cluster: ClusterAccess,
    },
    Rolling {
        rolling: RollingTarget,
        cluster: ClusterAccess,
    },
    ArgoRollouts {
        argo: ArgoRolloutsTarget,
        cluster: ClusterAccess,
    },
}

impl Target {
    /// The plan's `target:` as written, typed; why not, when the settings the router
    /// needs are missing or belong to another router.
    pub(in crate::plan) fn from_file(file: TargetFile) -> Result<Target, String> {
        let router = file.router;
        // Settings for another router are a mistake, never silently ignored.
        let stray = [
            ("haproxy", file.haproxy.is_some() && router != RouterKind::Haproxy),
            (
                "gateway_api",
                file.gateway_api.is_some() && router != RouterKind::GatewayApi,
            ),
            ("istio", file.istio.is_some() && router != RouterKind::Istio),
            ("replicas", file.replicas.is_some() && router != RouterKind::Replicas),
            (
                "service_selector",
                file.service_selector.is_some() && router != RouterKind::ServiceSelector,
            ),
            ("rolling", file.rolling.is_some() && router != RouterKind::Rolling),
            (
                "argo_rollouts",
                file.argo_rollouts.is_some() && router != RouterKind::ArgoRollouts,
            ),
            ("kubernetes", file.kubernetes.is_some() && !router.is_kubernetes()),
        ];
        if let Some((block, _)) = stray.iter().find(|(_, stray)| *stray) {
            return Err(format!(
                "`{block}:` settings are given but the router is {}: set the router they belong to or remove them",
                router.as_str()
            ));
        }
        match router {
            RouterKind::Sim => Ok(Target::Sim),
            RouterKind::Haproxy => file.haproxy.map(Target::Haproxy).ok_or_else(|| {
                "router haproxy needs a `haproxy:` block under target (socket, backend, stable, canary)".into()
            }),
            RouterKind::GatewayApi => file
                .gateway_api
                .map(|route| Target::GatewayApi {
                    route,
                    cluster: file.kubernetes.unwrap_or_default(),
                })
                .ok_or_else(|| {
                    "router gateway-api needs a `gateway_api:` block under target (route, stable, canary)".into()
                }),
            RouterKind::Istio => file
                .istio
                .map(|route| Target::Istio {
                    route,
                    cluster: file.kubernetes.unwrap_or_default(),
                })
                .ok_or_else(|| {
                    "router istio needs an `istio:` block under target (virtual_service, stable, canary)".into()
                }),
            RouterKind::Replicas => file
                .replicas
                .map(|deployments| Target::Replicas {
                    deployments,
                    cluster: file.kubernetes.unwrap_or_default(),
                })
                .ok_or_else(|| "router replicas needs a `replicas:` block under target (stable, canary, total)".into()),
            RouterKind::ServiceSelector => file
                .service_selector
                .map(|service| Target::ServiceSelector {
                    service,
                    cluster: file.kubernetes.unwrap_or_default(),
                })
                .ok_or_else(|| {
                    "router service-selector needs a `service_selector:` block under target (service, stable, canary)"
                        .into()
                }),
            RouterKind::Rolling => file
                .rolling
                .map(|rolling| Target::Rolling {
                    rolling,
                    cluster: file.kubernetes.unwrap_or_default(),
                })
                .ok_or_else(|| "router rolling needs a `rolling:` block under target (deployment)".into()),
            RouterKind::ArgoRollouts => file
                .argo_rollouts
                .map(|argo| Target::ArgoRollouts {
                    argo,
                    cluster: file.kubernetes.unwrap_or_default(),
                })
                .ok_or_else(|| "router argo-rollouts needs an `argo_rollouts:` block under target (rollout)".into()),
        }
    }

    /// What the router drives, in the words its settings use (`HTTPRoute checkout`);
    /// `None` for the simulator.
    pub fn driven(&self) -> Option<String> {
        Some(match self {
            Target::Sim => return None,
            Target::Haproxy(h) => format!("backend {}", h.backend),
            Target::GatewayApi { route, .. } => format!("HTTPRoute {}", route.route),
            Target::Istio { route, .. } => format!("VirtualService {}", route.virtual_service),
            Target::Replicas { deployments: d, .. } => {
                format!("Deployments {} and {}, {} pods", d.stable, d.canary, d.total)
            }
            Target::ServiceSelector { service, .. } => format!("Service {}", service.service),
            Target::Rolling { rolling, .. } => format!("Deployment {}, rolled in batches", rolling.deployment),
            Target::ArgoRollouts { argo, .. } => format!("Rollout {}, through its own steps", argo.rollout),
        })
    }

    /// The Deployment a stage's `deploy` updates when it names none: the canary's, for a
    /// router that knows which Deployment that is.
    pub fn canary_deployment(&self) -> Option<&str> {
        match self {
            Target::Replicas { deployments, .. } => Some(&deployments.canary),
            Target::Rolling { rolling, .. } => Some(&rolling.deployment),
            _ => None,
        }
    }

    pub fn router(&self) -> RouterKind {
        match self {
            Target::Sim => RouterKind::Sim,
            Target::Haproxy(_) => RouterKind::Haproxy,
            Target::GatewayApi { .. } => RouterKind::GatewayApi,
            Target::Istio { .. } => RouterKind::Istio,
            Target::Replicas { .. } => RouterKind::Replicas,
            Target::ServiceSelector { .. } => RouterKind::ServiceSelector,
            Target::Rolling { .. } => RouterKind::Rolling,
            Target::ArgoRollouts { .. } => RouterKind::ArgoRollouts,
        }
    }

    /// Whether a rollback has work to do beyond 0%: an Argo Rollout's undo puts the stable
    /// template back, and the rollback is over only once it has.
    pub fn undoes_on_rollback(&self) -> bool {
        matches!(self, Target::ArgoRollouts { .. })
    }

    /// Whether the target sets its own weights (an Argo Rollout's steps): the slider is
    /// read-only and a stage's weight is reached by promoting.
    pub fn sets_own_weights(&self) -> bool {
        matches!(self, Target::ArgoRollouts { .. })
    }

    /// Whether a deploy to this target must not roll out by itself: the router rolls it
    /// out, a batch per stage.
    pub fn rolls_in_batches(&self) -> bool {
        matches!(self, Target::Rolling { .. })
    }
}
