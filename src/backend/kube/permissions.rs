//! What each Kubernetes router does to the cluster, as RBAC names it: one list that
//! `shipdeck rbac` turns into a Role and that a preflight can ask the API server about.
//! Only the objects the plan names, only the verbs the router uses.

use super::lease::lease_name;
use crate::plan::{Plan, Target};

/// One kind of access the plan's router needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The resource, with its subresource when the router uses one (`deployments/scale`).
    pub resource: &'static str,
    /// The objects the plan names; empty for any object of the resource.
    pub names: Vec<String>,
    pub verbs: &'static [&'static str],
}

/// Every router reads its objects before it writes them, and writes only by patch.
const READ_AND_PATCH: &[&str] = &["get", "patch"];

/// What `plan` needs, or `None` for a router that is not on Kubernetes: its router's
/// objects, the Deployments its stages set images on, and the Lease that says who drives
/// them (RBAC cannot name an object not yet created, so `create` on Leases goes unnamed).
pub fn needed(plan: &Plan) -> Option<Vec<Permission>> {
    let target = &plan.target;
    let mut permissions = router_needs(target)?;
    // A Deployment the router already patches needs no second rule.
    let covered = |name: &String| {
        permissions
            .iter()
            .any(|p| p.resource == "deployments" && p.names.contains(name))
    };
    let deployed: Vec<String> = plan.deployed_workloads().into_iter().filter(|n| !covered(n)).collect();
    if !deployed.is_empty() {
        permissions.push(Permission {
            group: "apps",
            resource: "deployments",
            names: deployed,
            verbs: READ_AND_PATCH,
        });
    }
    let lease = lease_name(target)?;
    permissions.push(Permission {
        group: "coordination.k8s.io",
        resource: "leases",
        names: vec![lease],
        verbs: READ_AND_PATCH,
    });
    permissions.push(Permission {
        group: "coordination.k8s.io",
        resource: "leases",
        names: Vec::new(),
        verbs: &["create"],
    });
    Some(permissions)
}

fn router_needs(target: &Target) -> Option<Vec<Permission>> {
    let one = |group, resource, names: Vec<String>| {
        Some(vec![Permission {
            group,
            resource,
            names,
            verbs: READ_AND_PATCH,
        }])
    };
    match target {
        Target::Sim | Target::Haproxy(_) => None,
        Target::GatewayApi { route, .. } => one("gateway.networking.k8s.io", "httproutes", vec![route.route.clone()]),
        Target::Istio { route, .. } => one(
            "networking.istio.io",
            "virtualservices",
            vec![route.virtual_service.clone()],
        ),
        Target::Replicas { deployments: d, .. } => {
            one("apps", "deployments/scale", vec![d.stable.clone(), d.canary.clone()])
        }
        Target::ServiceSelector { service, .. } => one("", "services", vec![service.service.clone()]),
        Target::Rolling { rolling, .. } => one("apps", "deployments", vec![rolling.deployment.clone()]),
    }
}
