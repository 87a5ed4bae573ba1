//! One driver per target: while a release drives a Kubernetes target it holds a
//! coordination.k8s.io Lease next to it (holder: who, on which host, which release),
//! renewed in the background. A second shipdeck, on any machine, is refused with who holds
//! it and since when; an expired Lease is taken over only when asked (`--take-over`), and
//! the takeover is journaled. Nothing waits on the Lease: a lost one is reported, and `R`
//! still rolls back.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::timeout;

use super::access;
use super::errors::router_error;
use crate::plan::{ClusterAccess, Target};

/// How long a Lease stays valid without a renewal.
pub const LEASE_SECONDS: i64 = 30;
/// How often the holder renews it: three chances before it lapses.
pub const RENEW_EVERY: Duration = Duration::from_secs(10);
/// How long a Lease that looks lapsed by its times is watched before it counts as lapsed:
/// one renewal and then some. A holder whose clock runs behind ours stamps old times while
/// it renews; the resourceVersion moving is what tells a live holder (as client-go's
/// leader election judges by its own clock, not the holder's).
pub const OBSERVE: Duration = Duration::from_secs(RENEW_EVERY.as_secs() + 2);
/// The longest one Lease call may take (kube's client retries a 503 for minutes).
pub const CALL_LIMIT: Duration = Duration::from_secs(5);

/// The Lease that stands for `target`: `shipdeck-<resource>-<object>`; `None` off Kubernetes.
pub fn lease_name(target: &Target) -> Option<String> {
    let (resource, object) = match target {
        Target::Sim | Target::Haproxy(_) => return None,
        Target::GatewayApi { route, .. } => ("httproute", route.route.as_str()),
        Target::Istio { route, .. } => ("virtualservice", route.virtual_service.as_str()),
        // The stable Deployment is what two releases would fight over.
        Target::Replicas { deployments, .. } => ("deployment", deployments.stable.as_str()),
        Target::ServiceSelector { service, .. } => ("service", service.service.as_str()),
        Target::Rolling { rolling, .. } => ("deployment", rolling.deployment.as_str()),
        Target::ArgoRollouts { argo, .. } => ("rollout", argo.rollout.as_str()),
    };
    let mut name = format!("shipdeck-{resource}-{object}");
    name.truncate(63);
    Some(name.trim_end_matches('-').to_string())
}

/// How the Lease was had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// Nobody held it (or we already did).
    Free,
    /// It had lapsed; `from` held it, `lapsed_secs` ago.
    TakenOver { from: String, lapsed_secs: i64 },
}

/// Why the Lease could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Another release's Lease lapsed: a person may take it over (`--take-over`, or yes at
    /// the cockpit's question).
    Lapsed(String),
    /// Held by a live release, or the cluster could not be asked.
    Other(String),
}

impl From<String> for Refused {
    fn from(why: String) -> Refused {
        Refused::Other(why)
    }
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Lapsed(why) | Refused::Other(why) => f.write_str(why),
        }
    }
}

/// How one try at the Lease ended, when it did not get it.
enum Attempt {
    /// Another shipdeck wrote the Lease between our read and our write: read again.
    Collided(String),
    Refused(Refused),
}

pub struct TargetLease {
    api: Api<Lease>,
    name: String,
    holder: String,
    /// Renewals and the release take turns, and nothing renews after the release.
    released: Mutex<bool>,
}

fn params() -> PatchParams {
    PatchParams {
        field_manager: Some("shipdeck".into()),
        ..PatchParams::default()
    }
}

/// A MicroTime as the API server reads it: RFC 3339 with exactly six fraction digits.
fn stamp(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `call`, or why it did not answer within `CALL_LIMIT`.
async fn limited<T>(what: &str, call: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    timeout(CALL_LIMIT, call)
        .await
        .unwrap_or_else(|_| Err(format!("{what}: no answer within {}s", CALL_LIMIT.as_secs())))
}

impl TargetLease {
    /// Takes the Lease `name` for `holder`, or says who has it.
    pub async fn acquire(
        access: &ClusterAccess,
        name: &str,
        holder: &str,
        take_over: bool,
    ) -> Result<(TargetLease, Taken), Refused> {
        let (client, namespace) = access::connect(access).await.map_err(|e| e.to_string())?;
        let api: Api<Lease> = Api::namespaced(client, &namespace);
        let what = format!("leases.coordination.k8s.io/{name}");
        let lease = TargetLease {
            api,
            name: name.to_string(),
            holder: holder.to_string(),
            released: Mutex::new(false),
        };
        // Two tries: a takeover that collides with another's (409) reads again, and then
        // finds the Lease held.
        let mut tries = 0;
        loop {
            tries += 1;
            match lease.try_acquire(&what, &namespace, take_over).await {
                Err(Attempt::Collided(why)) if tries < 2 => tracing::info!("{why}: reading the Lease again"),
                Err(Attempt::Collided(why)) => return Err(Refused::Other(why)),
                Err(Attempt::Refused(refused)) => return Err(refused),
                Ok(taken) => return Ok((lease, taken)),
            }
        }
    }

    async fn try_acquire(&self, what: &str, namespace: &str, take_over: bool) -> Result<Taken, Attempt> {
        let (lease, name, holder) = (self, self.name.as_str(), self.holder.as_str());
        let read = || async {
            lease
                .api
                .get_opt(name)
                .await
                .map_err(|e| Attempt::Refused(router_error(&e, "get", what, Some(namespace)).to_string().into()))
        };
        let now = Timestamp::now();
        let current = read().await?;
        let Some(current) = current else {
            let fresh: Lease = serde_json::from_value(json!({
                "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "shipdeck"}},
                "spec": {"holderIdentity": holder, "leaseDurationSeconds": LEASE_SECONDS,
                         "acquireTime": stamp(now), "renewTime": stamp(now), "leaseTransitions": 0},
            }))
            .map_err(|e| Attempt::Refused(e.to_string().into()))?;
            let post = PostParams {
                field_manager: Some("shipdeck".into()),
                ..PostParams::default()
            };
            // Created meanwhile by another: read again, and find it held.
            lease.api.create(&post, &fresh).await.map_err(|e| {
                Attempt::Collided(format!(
                    "{}: another shipdeck may have taken the target this moment",
                    router_error(&e, "create", what, Some(namespace))
                ))
            })?;
            return Ok(Taken::Free);
        };
        let spec = current.spec.clone().unwrap_or_default();
        let other = spec.holder_identity.clone().filter(|h| !h.is_empty() && h != holder);
        let renewed = spec.renew_time.as_ref().or(spec.acquire_time.as_ref()).map(|t| t.0);
        let duration = i64::from(spec.lease_duration_seconds.unwrap_or(LEASE_SECONDS as i32));
        // Never renewed nor acquired: as good as lapsed for its whole duration.
        let age = renewed.map_or(2 * duration, |r| now.duration_since(r).as_secs());
        let refused = |r: Refused| Err(Attempt::Refused(r));
        let since = spec
            .acquire_time
            .as_ref()
            .map_or("an unknown time".into(), |t| t.0.to_string());
        let taken = match other {
            None => Taken::Free,
            Some(other) if age < duration => {
                return refused(Refused::Other(format!(
                    "the target is driven by {other} since {since} (Lease {name} renewed {age}s ago): one release \
                     drives a target at a time; watch it, or wait until it ends"
                )));
            }
            Some(other) => {
                // Old by its times: but is it still renewed? Watch it for one renewal.
                tokio::time::sleep(OBSERVE).await;
                let again = read().await?;
                let version = |l: &Option<Lease>| l.as_ref().and_then(|l| l.metadata.resource_version.clone());
                if version(&again) != current.metadata.resource_version {
                    return refused(Refused::Other(format!(
                        "the target is driven by {other} since {since}: its Lease {name} is still renewed, though \
                         its times are {age}s old (that machine's clock is behind ours): one release drives a \
                         target at a time"
                    )));
                }
                if !take_over {
                    return refused(Refused::Lapsed(format!(
                        "the target's Lease {name} was held by {other} and lapsed {}s ago (not renewed for {age}s, \
                         nor in the {}s watched): if that release is gone, run again with --take-over",
                        age - duration,
                        OBSERVE.as_secs()
                    )));
                }
                Taken::TakenOver {
                    from: other,
                    lapsed_secs: age - duration,
                }
            }
        };
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(taken != Taken::Free);
        let wrote = lease
            .write(
                &current,
                json!({"holderIdentity": holder, "leaseDurationSeconds": LEASE_SECONDS,
                       "acquireTime": stamp(now), "renewTime": stamp(now), "leaseTransitions": transitions}),
            )
            .await;
        match wrote {
            Ok(()) => Ok(taken),
            // Changed since it was read: someone else took it first.
            Err(why) if why.contains("(409)") => Err(Attempt::Collided(why)),
            Err(why) => refused(Refused::Other(why)),
        }
    }

    /// A merge patch of the spec, guarded by the resourceVersion read.
    async fn write(&self, current: &Lease, spec: Value) -> Result<(), String> {
        let patch = json!({
            "metadata": {"resourceVersion": current.metadata.resource_version},
            "spec": spec,
        });
        self.api
            .patch(&self.name, &params(), &Patch::Merge(patch))
            .await
            .map(|_| ())
            .map_err(|e| {
                router_error(&e, "patch", &format!("leases.coordination.k8s.io/{}", self.name), None).to_string()
            })
    }

    async fn read(&self) -> Result<Lease, String> {
        let what = format!("leases.coordination.k8s.io/{}", self.name);
        self.api
            .get(&self.name)
            .await
            .map_err(|e| router_error(&e, "get", &what, None).to_string())
    }

    /// Renews the Lease, or says it is no longer ours (or could not be renewed in time).
    pub async fn renew(&self) -> Result<(), String> {
        let released = self.released.lock().await;
        if *released {
            return Ok(());
        }
        limited("renewing the target's Lease", async {
            let current = self.read().await?;
            let holder = current
                .spec
                .as_ref()
                .and_then(|s| s.holder_identity.clone())
                .unwrap_or_default();
            if holder != self.holder {
                let now = if holder.is_empty() {
                    "let go by someone else".to_string()
                } else {
                    format!("held by {holder}")
                };
                return Err(format!(
                    "the target's Lease {} is now {now}: another shipdeck may drive this target",
                    self.name
                ));
            }
            self.write(&current, json!({"renewTime": stamp(Timestamp::now())}))
                .await
        })
        .await
    }

    /// Lets the Lease go at the end of the release, so the next one need not wait; after
    /// this, nothing renews it.
    pub async fn release(&self) -> Result<(), String> {
        let mut released = self.released.lock().await;
        *released = true;
        limited("letting the target's Lease go", async {
            let current = self.read().await?;
            let ours = current.spec.as_ref().and_then(|s| s.holder_identity.as_deref()) == Some(self.holder.as_str());
            if !ours {
                return Ok(());
            }
            self.write(&current, json!({"holderIdentity": null, "renewTime": null}))
                .await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_the_six_fraction_digits_the_api_server_reads() {
        let whole: Timestamp = "2026-12-03T17:00:00Z".parse().unwrap();
        assert_eq!(stamp(whole), "2026-12-03T17:00:00.000000Z");
        let fine: Timestamp = "2026-12-03T17:00:00.123456789Z".parse().unwrap();
        assert_eq!(stamp(fine), "2026-12-03T17:00:00.123456Z");
    }
}
