//! Where traffic is moved: the router and its settings.

use serde::{Deserialize, Serialize};

/// `target:` as the file writes it: the router's name, and its settings block.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    pub router: RouterKind,
    /// Required when `router: haproxy`.
    #[serde(default)]
    pub haproxy: Option<HaproxyTarget>,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RouterKind {
    /// The built-in simulator: traffic router and metrics source on a virtual clock.
    Sim,
    /// HAProxy's runtime API: the canary share is the weight of the canary servers.
    Haproxy,
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

/// The traffic router a validated plan drives: one variant per router, each with its own
/// settings. There is no fallback: a plan that names a real router drives that router.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The built-in simulator.
    Sim,
    Haproxy(HaproxyTarget),
}

impl Target {
    /// The plan's `target:` as written, typed; why not, when the settings the router
    /// needs are missing or belong to another router.
    pub(in crate::plan) fn from_file(file: TargetFile) -> Result<Target, String> {
        match (file.router, file.haproxy) {
            (RouterKind::Sim, None) => Ok(Target::Sim),
            (RouterKind::Haproxy, Some(h)) => Ok(Target::Haproxy(h)),
            (RouterKind::Haproxy, None) => {
                Err("router haproxy needs a `haproxy:` block under target (socket, backend, stable, canary)".into())
            }
            (RouterKind::Sim, Some(_)) => {
                Err("haproxy settings are given but the router is sim: set `router: haproxy` or remove them".into())
            }
        }
    }

    pub fn router(&self) -> RouterKind {
        match self {
            Target::Sim => RouterKind::Sim,
            Target::Haproxy(_) => RouterKind::Haproxy,
        }
    }
}
