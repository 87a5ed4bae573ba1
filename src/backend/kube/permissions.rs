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
/// An object the router drives and the live lines watch.
const DRIVE: &[&str] = &["get", "patch", "list", "watch"];
/// What the live lines watch.
const WATCH: &[&str] = &["list", "watch"];
const READ: &[&str] = &["get"];

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
            .any(|p| p.resource == "deployments" && p.names.contains(name) && p.verbs.contains(&"patch"))
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

/// The router's objects: read, patched and watched (the watch keeps the traffic pane's
/// live lines; RBAC lets a list or watch of one object by name through `resourceNames`),
/// and what the live lines read beside them: the Services' selectors, the pods they pick.
fn router_needs(target: &Target) -> Option<Vec<Permission>> {
    let rule = |group, resource, names: Vec<String>, verbs| Permission {
        group,
        resource,
        names,
        verbs,
    };
    let pods = || rule("", "pods", Vec::new(), WATCH);
    Some(match target {
        Target::Sim | Target::Haproxy(_) => return None,
        Target::GatewayApi { route, .. } => vec![
            rule(
                "gateway.networking.k8s.io",
                "httproutes",
                vec![route.route.clone()],
                DRIVE,
            ),
            rule("", "services", vec![route.stable.clone(), route.canary.clone()], READ),
            pods(),
        ],
        Target::Istio { route, .. } => {
            let mut rules = vec![rule(
                "networking.istio.io",
                "virtualservices",
                vec![route.virtual_service.clone()],
                DRIVE,
            )];
            let hosts: Vec<String> = [&route.stable, &route.canary]
                .into_iter()
                .filter(|d| d.subset.is_none())
                .map(|d| d.host.split('.').next().unwrap_or_default().to_string())
                .collect();
            if !hosts.is_empty() {
                rules.push(rule("", "services", hosts, READ));
                rules.push(pods());
            }
            rules
        }
        Target::Replicas { deployments: d, .. } => vec![
            rule(
                "apps",
                "deployments/scale",
                vec![d.stable.clone(), d.canary.clone()],
                READ_AND_PATCH,
            ),
            rule("apps", "deployments", vec![d.stable.clone(), d.canary.clone()], WATCH),
        ],
        Target::ServiceSelector { service, .. } => {
            vec![rule("", "services", vec![service.service.clone()], DRIVE), pods()]
        }
        Target::Rolling { rolling, .. } => vec![rule("apps", "deployments", vec![rolling.deployment.clone()], DRIVE)],
        Target::ArgoRollouts { argo, .. } => vec![
            rule("argoproj.io", "rollouts", vec![argo.rollout.clone()], DRIVE),
            rule("argoproj.io", "rollouts/status", vec![argo.rollout.clone()], &["patch"]),
            // The previous revision's template (an undo) and the pane's pods per version.
            rule("apps", "replicasets", Vec::new(), &["list"]),
            // The AnalysisRun the Rollout names: not known before it runs.
            rule("argoproj.io", "analysisruns", Vec::new(), &["get"]),
        ],
    })
}
