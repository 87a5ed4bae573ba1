//! Who and what is released: name, versions, type (with its defaults), risk, people.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::duration::Span;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInfo {
    pub name: String,
    pub version: String,
    /// The stable version traffic returns to on rollback.
    pub stable: String,
    #[serde(rename = "type")]
    pub kind: ReleaseType,
    #[serde(default)]
    pub risk: Risk,
    pub owner: Person,
    pub on_call: Person,
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    #[serde(default)]
    pub contact: Option<String>,
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.contact {
            Some(c) => write!(f, "{} ({c})", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseType {
    Hotfix,
    Patch,
    Minor,
    Major,
}

impl ReleaseType {
    /// Approvals required before go, per the release-type table the team works by.
    pub fn default_approvals(self) -> Vec<String> {
        let roles: &[&str] = match self {
            ReleaseType::Hotfix => &["lead", "security"],
            ReleaseType::Patch => &["lead"],
            ReleaseType::Minor => &["team"],
            ReleaseType::Major => &["cto", "team"],
        };
        roles.iter().map(|r| r.to_string()).collect()
    }

    /// How long the previous version stays ready for an instant switch back.
    pub fn default_rollback_window(self) -> Span {
        match self {
            ReleaseType::Hotfix => Span::hours(2),
            ReleaseType::Patch => Span::hours(4),
            ReleaseType::Minor => Span::hours(24),
            ReleaseType::Major => Span::hours(72),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseType::Hotfix => "hotfix",
            ReleaseType::Patch => "patch",
            ReleaseType::Minor => "minor",
            ReleaseType::Major => "major",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    #[default]
    Medium,
    High,
}
