//! A stage that deploys: set the image of one container of a Deployment (the canary, the
//! green colour) and wait until its pods run it and are ready, before the stage moves any
//! traffic.

use serde::{Deserialize, Serialize};

use super::located::located;
use crate::duration::Span;

/// How long a deploy may take when the plan does not say: long enough for a slow image
/// pull and readiness probes, short enough that a stuck rollout is noticed.
pub const DEFAULT_DEPLOY_TIMEOUT: Span = Span::minutes(10);

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// The image reference to run, `registry/name:tag` or `...@sha256:...`.
    pub image: String,
    /// The Deployment to update; the target's canary Deployment when it names one.
    #[serde(default)]
    pub deployment: Option<String>,
    /// The container whose image is set; may be left out when the pods run only one.
    #[serde(default)]
    pub container: Option<String>,
    /// How long the pods may take to become ready before the release holds.
    #[serde(default = "default_timeout", deserialize_with = "located")]
    pub timeout: Span,
}

fn default_timeout() -> Span {
    DEFAULT_DEPLOY_TIMEOUT
}
