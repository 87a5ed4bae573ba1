//! How metrics are sampled and where they come from.

use serde::{Deserialize, Serialize};

use super::judge::JudgeSettings;
use super::located::located;
use crate::duration::Span;

/// `analysis:` as the file writes it: the source's name, and its settings block.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisFile {
    /// How often metrics are sampled.
    #[serde(default = "default_interval", deserialize_with = "located")]
    pub interval: Span,
    /// A sample older than this is stale and never counts as passing.
    #[serde(default = "default_stale_after", deserialize_with = "located")]
    pub stale_after: Span,
    /// How far back a `sigma` bound looks at the baseline's own values for its mean and
    /// standard deviation.
    #[serde(default = "default_baseline_history", deserialize_with = "located")]
    pub baseline_history: Span,
    /// Where metric values come from.
    #[serde(default)]
    pub source: SourceKind,
    /// Required when `source: prometheus`.
    #[serde(default)]
    pub prometheus: Option<PrometheusSource>,
    /// The canary judge; off when absent.
    #[serde(default)]
    pub judge: Option<JudgeSettings>,
}

/// How a validated plan samples and judges its metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisSettings {
    /// How often metrics are sampled.
    pub interval: Span,
    /// A sample older than this is stale and never counts as passing.
    pub stale_after: Span,
    /// How far back a `sigma` bound looks at the baseline's own values for its mean and
    /// standard deviation.
    pub baseline_history: Span,
    /// Where metric values come from.
    pub source: Source,
    /// The canary judge; off when absent.
    pub judge: Option<JudgeSettings>,
}

/// Where a validated plan's metric values come from: one variant per source, each with
/// its own settings. A plan that names a real source reads that source.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The built-in simulator.
    Sim,
    Prometheus(PrometheusSource),
}

impl AnalysisSettings {
    /// The plan's `analysis:` as written, typed; why not, when a source's settings are
    /// missing or belong to another source.
    pub(in crate::plan) fn from_file(file: AnalysisFile) -> Result<AnalysisSettings, String> {
        let source = match (file.source, file.prometheus) {
            (SourceKind::Sim, None) => Source::Sim,
            (SourceKind::Prometheus, Some(p)) => Source::Prometheus(p),
            (SourceKind::Prometheus, None) => {
                return Err("source prometheus needs an `analysis.prometheus:` block with at least `url`".into());
            }
            (SourceKind::Sim, Some(_)) => {
                return Err(
                    "prometheus settings are given but the source is sim: set `source: prometheus` or remove them"
                        .into(),
                );
            }
        };
        Ok(AnalysisSettings {
            interval: file.interval,
            stale_after: file.stale_after,
            baseline_history: file.baseline_history,
            source,
            judge: file.judge,
        })
    }
}

/// The most samples kept per metric and side: what a judge window can hold, enough for the
/// widest sparkline, and bounded for a 24 h release.
pub const SAMPLES_KEPT: usize = 600;

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// The simulator's metrics.
    #[default]
    Sim,
    /// Prometheus's HTTP API.
    Prometheus,
}

/// A Prometheus server. Credentials are named here, never written here: they come from
/// an environment variable or a file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrometheusSource {
    /// Base URL, e.g. `http://127.0.0.1:9090`.
    pub url: String,
    #[serde(default)]
    pub auth: Option<PrometheusAuth>,
    /// Per-request timeout.
    #[serde(default = "default_timeout", deserialize_with = "located")]
    pub timeout: Span,
    /// Requests in flight at once, at most.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// How far back sparklines are filled at start with a range query.
    #[serde(default = "default_backfill", deserialize_with = "located")]
    pub backfill: Span,
}

/// Bearer token or basic auth, read from the environment or a file at start.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PrometheusAuth {
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    #[serde(default)]
    pub bearer_token_file: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub password_file: Option<String>,
}

fn default_timeout() -> Span {
    Span::secs(5)
}

fn default_max_concurrent() -> usize {
    8
}

fn default_backfill() -> Span {
    Span::minutes(10)
}

fn default_interval() -> Span {
    Span::secs(5)
}

fn default_stale_after() -> Span {
    Span::secs(30)
}

fn default_baseline_history() -> Span {
    Span::minutes(10)
}

impl Default for AnalysisFile {
    fn default() -> Self {
        AnalysisFile {
            interval: default_interval(),
            stale_after: default_stale_after(),
            baseline_history: default_baseline_history(),
            source: SourceKind::Sim,
            prometheus: None,
            judge: None,
        }
    }
}
