//! A stage: its checklist, approvals, canary weight and hold.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::deploy::Deploy;
use super::located::located;
use crate::duration::Span;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    #[serde(default)]
    pub checklist: Option<String>,
    #[serde(default)]
    pub approvals: Vec<String>,
    #[serde(deserialize_with = "located")]
    pub weight: Weight,
    #[serde(default, deserialize_with = "located")]
    pub hold: Span,
    /// Metrics whose gates decide this stage; all metrics when absent.
    #[serde(default)]
    pub analyse: Option<Vec<String>>,
    /// An image to roll out (and wait for) before the stage moves traffic.
    #[serde(default)]
    pub deploy: Option<Deploy>,
}

/// Percent of traffic sent to the canary, 0..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Weight(u8);

impl Weight {
    pub const ZERO: Weight = Weight(0);
    pub const FULL: Weight = Weight(100);

    pub fn new(percent: u8) -> Option<Weight> {
        (percent <= 100).then_some(Weight(percent))
    }

    /// Clamps into 0..=100.
    pub fn saturating(percent: i32) -> Weight {
        Weight(percent.clamp(0, 100) as u8)
    }

    pub fn percent(self) -> u8 {
        self.0
    }
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl<'de> Deserialize<'de> for Weight {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(WeightVisitor)
    }
}

/// A weight as plans write it: `25`, `"25%"`; anything else says what a weight is.
struct WeightVisitor;

impl WeightVisitor {
    fn percent<E: serde::de::Error>(self, v: i128, written: impl fmt::Display) -> Result<Weight, E> {
        if (0..=100).contains(&v) {
            Ok(Weight(v as u8))
        } else {
            Err(E::custom(format!(
                "weight {written} is out of range: expected a whole percent from 0 to 100"
            )))
        }
    }
}

impl<'de> serde::de::Visitor<'de> for WeightVisitor {
    type Value = Weight;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a weight from 0 to 100")
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Weight, E> {
        self.percent(i128::from(v), v)
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Weight, E> {
        self.percent(i128::from(v), v)
    }

    fn visit_i128<E: serde::de::Error>(self, v: i128) -> Result<Weight, E> {
        self.percent(v, v)
    }

    fn visit_u128<E: serde::de::Error>(self, v: u128) -> Result<Weight, E> {
        self.percent(i128::try_from(v).unwrap_or(i128::MAX), v)
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Weight, E> {
        if v.fract() == 0.0 && v.is_finite() && v.abs() < 1e30 {
            return self.percent(v as i128, v);
        }
        Err(E::custom(format!(
            "weight {v} is not a whole percent: expected one from 0 to 100"
        )))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Weight, E> {
        let trimmed = s.trim().trim_end_matches('%').trim();
        match trimmed.parse::<i128>() {
            Ok(v) => self.percent(v, format!("{s:?}")),
            Err(_) => Err(E::custom(format!(
                "weight {s:?} is out of range: expected a whole percent from 0 to 100"
            ))),
        }
    }
}
