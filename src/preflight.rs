//! Preflight: what can be known before anything moves. On Kubernetes, the cluster is
//! reached, the router reads the objects it would drive (changing nothing), and the API
//! server answers whether the person may do each verb the router needs; for every plan,
//! each metric's queries are asked once. `shipdeck preflight PLAN` prints it all; `run`
//! checks the cluster part first and starts nothing when it fails.

use std::io::Write;
use std::path::PathBuf;

use chrono::Utc;
use clap::Args;

use tokio::time::timeout;

use crate::backend::kube::access_review::review;
use crate::backend::kube::deployer::KubeDeployer;
use crate::backend::kube::lease::CALL_LIMIT;
use crate::backend::kube::permissions::needed;
use crate::backend::prometheus::PrometheusMetrics;
use crate::backend::wiring::{cluster_access, real};
use crate::backend::{Deployer, MetricsSource};
use crate::engine::Reading;
use crate::format::{fmt_num, with_unit};
use crate::plan::{self, ClusterAccess, Plan, Source};

#[derive(Debug, Args)]
pub struct PreflightArgs {
    /// The release plan (YAML) to check against the real systems it names.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Kubernetes context to use instead of the plan's (or the kubeconfig's current one).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Kubernetes namespace to use instead of the plan's (or the context's).
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Pass,
    /// Worth knowing, not a reason to stop (a canary with no data before go).
    Note,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub mark: Mark,
    pub text: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let symbol = match self.mark {
            Mark::Pass => "✔",
            Mark::Note => "?",
            Mark::Fail => "✖",
        };
        write!(f, "{symbol} {}", self.text)
    }
}

fn finding(mark: Mark, text: String) -> Finding {
    Finding { mark, text }
}

/// The router reads what it would drive, changing nothing; `None` for the simulator.
async fn inspected(plan: &Plan, command_line: &ClusterAccess) -> Option<Finding> {
    let mut driven = real(plan, command_line)?;
    let router = plan.target.router().as_str();
    // The first call may make a client (an exec plugin may log in): room for that.
    let answer = timeout(CALL_LIMIT * 4, driven.inspect()).await.unwrap_or_else(|_| {
        Err(crate::backend::RouterError::Unavailable(format!(
            "no answer within {}s",
            (CALL_LIMIT * 4).as_secs()
        )))
    });
    Some(match answer {
        Ok(what) => finding(Mark::Pass, format!("router {router}: {what}")),
        Err(e) => finding(Mark::Fail, format!("router {router}: {e}")),
    })
}

/// The router's target, for `shipdeck preflight`: on Kubernetes the cluster's part, else
/// what the router reads (HAProxy's backend and servers).
pub async fn target(plan: &Plan, command_line: &ClusterAccess) -> Vec<Finding> {
    if cluster_access(&plan.target, command_line).is_some() {
        return cluster(plan, command_line).await;
    }
    inspected(plan, command_line).await.into_iter().collect()
}

/// The cluster's part, which `run` checks first: nothing for a router that is not on
/// Kubernetes.
pub async fn cluster(plan: &Plan, command_line: &ClusterAccess) -> Vec<Finding> {
    let (Some(access), Some(permissions)) = (cluster_access(&plan.target, command_line), needed(plan)) else {
        return Vec::new();
    };
    let Some(router) = inspected(plan, command_line).await else {
        return Vec::new();
    };
    if router.mark == Mark::Fail {
        // Unreachable or absent: the permissions cannot be asked either.
        return vec![router];
    }
    let mut found = vec![router];
    found.extend(deployed(plan, &access).await);
    let reviewed = timeout(CALL_LIMIT * 4, review(&access, &permissions))
        .await
        .unwrap_or_else(|_| {
            Err(crate::backend::RouterError::Unavailable(format!(
                "no answer within {}s",
                (CALL_LIMIT * 4).as_secs()
            )))
        });
    match reviewed {
        Ok(grants) => {
            for g in grants {
                let object = if g.name.is_empty() {
                    format!("{} in {}", g.resource, g.namespace)
                } else {
                    format!("{} {} in {}", g.resource, g.name, g.namespace)
                };
                found.push(if g.allowed {
                    finding(Mark::Pass, format!("may {} {object}", g.verb))
                } else {
                    finding(
                        Mark::Fail,
                        format!(
                            "may not {} {object}: have `shipdeck rbac PLAN` applied for you; check with `{}`",
                            g.verb,
                            g.can_i()
                        ),
                    )
                });
            }
        }
        Err(e) => found.push(finding(Mark::Fail, format!("permissions: {e}"))),
    }
    found
}

/// The Deployments the stages set images on: each must exist before anything moves.
async fn deployed(plan: &Plan, access: &ClusterAccess) -> Vec<Finding> {
    let mut deployer = KubeDeployer::new(access.clone());
    let mut found = Vec::new();
    for name in plan.deployed_workloads() {
        let answer = timeout(CALL_LIMIT, deployer.progress(&name)).await.unwrap_or_else(|_| {
            Err(crate::backend::RouterError::Unavailable(format!(
                "no answer within {}s",
                CALL_LIMIT.as_secs()
            )))
        });
        found.push(match answer {
            Ok(progress) => finding(Mark::Pass, format!("deploy: Deployment {name} found ({progress})")),
            Err(e) => finding(Mark::Fail, format!("deploy: {e}")),
        });
    }
    found
}

/// Each metric's two queries, asked once: the baseline must answer a number; a canary with
/// nothing yet is normal before go.
pub async fn metrics(plan: &Plan) -> Vec<Finding> {
    let Source::Prometheus(source) = &plan.analysis.source else {
        return vec![finding(Mark::Note, "metrics: the simulator's, nothing to ask".into())];
    };
    let metrics = match PrometheusMetrics::new(
        source,
        &plan.release.version,
        &plan.release.stable,
        plan.analysis.interval,
    ) {
        Ok(metrics) => metrics,
        Err(e) => return vec![finding(Mark::Fail, format!("metrics: {e}"))],
    };
    let mut found = Vec::new();
    for (index, metric) in plan.metrics.iter().enumerate() {
        let (canary, baseline) = metrics.sample(index, metric, Utc::now()).await;
        let said = |r: &Reading| match r {
            Reading::Value(v) => Ok(with_unit(&fmt_num(*v), &metric.unit)),
            Reading::NoData(why) => Err(why.clone()),
        };
        found.push(match (said(&baseline), said(&canary)) {
            (Ok(b), Ok(c)) => finding(Mark::Pass, format!("metric {}: baseline {b}, canary {c}", metric.name)),
            (Ok(b), Err(why)) => finding(
                Mark::Note,
                format!(
                    "metric {}: baseline {b}; canary no data yet ({why}): normal before go",
                    metric.name
                ),
            ),
            (Err(why), _) => finding(
                Mark::Fail,
                format!(
                    "metric {}: the baseline query gives no number ({why}): it must, for the stable version",
                    metric.name
                ),
            ),
        });
    }
    found
}

/// `shipdeck preflight`: 0 when nothing failed, 1 when something did, 2 for a bad plan.
pub fn run(args: &PreflightArgs, out: &mut impl Write, err: &mut impl Write) -> i32 {
    let plan = match plan::load(&args.plan) {
        Ok(plan) => plan,
        Err(errors) => {
            for e in errors {
                let _ = writeln!(err, "{e}");
            }
            return 2;
        }
    };
    let command_line = ClusterAccess {
        context: args.context.clone(),
        namespace: args.namespace.clone(),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            let _ = writeln!(err, "shipdeck: cannot start: {e}");
            return 1;
        }
    };
    let found = runtime.block_on(async {
        let mut found = target(&plan, &command_line).await;
        found.extend(metrics(&plan).await);
        found
    });
    let _ = writeln!(out, "{} {}: preflight", plan.release.name, plan.release.version);
    for f in &found {
        let _ = writeln!(out, "{f}");
    }
    i32::from(found.iter().any(|f| f.mark == Mark::Fail))
}
