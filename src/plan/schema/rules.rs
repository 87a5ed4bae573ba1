//! Gates (what must hold to move on) and rollback triggers (what rolls back).

use serde::{Deserialize, Serialize};

use super::located::located;
use crate::analysis::bounds::Bounds;
use crate::duration::Span;

macro_rules! bounds_of {
    ($t:ty) => {
        impl $t {
            pub fn bounds(&self) -> Bounds {
                Bounds {
                    max: self.max,
                    min: self.min,
                    max_ratio: self.max_ratio,
                    min_ratio: self.min_ratio,
                    sigma: self.sigma,
                }
            }
        }
    };
}
bounds_of!(Gate);
bounds_of!(Trigger);

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    #[serde(default)]
    pub name: Option<String>,
    pub metric: String,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max_ratio: Option<f64>,
    #[serde(default)]
    pub min_ratio: Option<f64>,
    /// Outside the baseline's mean ± sigma standard deviations (see `Bounds`).
    #[serde(default)]
    pub sigma: Option<f64>,
    /// The bound must be breached this long before the gate fails.
    #[serde(default, rename = "for", deserialize_with = "located")]
    pub sustain: Span,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// Overrides the release type's rollback window.
    #[serde(default, deserialize_with = "located")]
    pub window: Option<Span>,
    #[serde(default)]
    pub triggers: Vec<Trigger>,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub name: String,
    pub metric: String,
    #[serde(default)]
    pub max: Option<f64>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max_ratio: Option<f64>,
    #[serde(default)]
    pub min_ratio: Option<f64>,
    #[serde(default)]
    pub sigma: Option<f64>,
    #[serde(default, rename = "for", deserialize_with = "located")]
    pub sustain: Span,
    pub action: TriggerAction,
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TriggerAction {
    /// Roll back without asking.
    Auto,
    /// Hold the release and ask the operator to roll back.
    Manual,
}
