//! The plan file as written: serde types that reject unknown keys, so a typo can never
//! silently disable a gate. Cross-references are checked in `validate`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::duration::Span;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub release: ReleaseInfo,
    pub target: Target,
    #[serde(default)]
    pub analysis: AnalysisSettings,
    pub metrics: Vec<Metric>,
    #[serde(default)]
    pub gates: Vec<Gate>,
    pub rollback: Rollback,
    /// Approvals needed before the first traffic shift; the release type's default if absent.
    #[serde(default)]
    pub approvals: Option<Vec<String>>,
    #[serde(default)]
    pub checklists: BTreeMap<String, Vec<String>>,
    pub stages: Vec<Stage>,
}

impl Plan {
    /// `metric`'s canary and baseline queries as sent: `{{version}}` is the canary
    /// version in the first and the stable version in the second.
    pub fn resolved_queries(&self, metric: &Metric) -> (String, String) {
        metric.resolved(&self.release.version, &self.release.stable)
    }

    /// The checklist items stage `stage` asks for (none when it names no checklist).
    pub fn checklist_of(&self, stage: usize) -> &[String] {
        self.stages
            .get(stage)
            .and_then(|s| s.checklist.as_ref())
            .and_then(|name| self.checklists.get(name))
            .map_or(&[], |items| items.as_slice())
    }

    /// The real systems the plan drives or reads (`router haproxy`, `metrics source
    /// prometheus`); empty for a plan wholly on the simulator.
    pub fn real_backends(&self) -> Vec<&'static str> {
        let mut real = Vec::new();
        match self.target.router {
            RouterKind::Sim => {}
            RouterKind::Haproxy => real.push("router haproxy"),
        }
        match self.analysis.source {
            SourceKind::Sim => {}
            SourceKind::Prometheus => real.push("metrics source prometheus"),
        }
        real
    }
}

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

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
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

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSettings {
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

/// The most samples kept per metric and side: what a judge window can hold.
pub const SAMPLES_KEPT: usize = 600;

/// The canary judge: each `every`, the canary's and the baseline's samples over the last
/// `window` of the current stage are compared metric by metric (rank-sum test), and the
/// weighted share of passing metrics scores the interval.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct JudgeSettings {
    /// How often an interval is judged.
    #[serde(default = "default_judge_every", deserialize_with = "located")]
    pub every: Span,
    /// How far back one judgement's samples reach (never before the stage's weight was in place).
    #[serde(default = "default_judge_window", deserialize_with = "located")]
    pub window: Span,
    /// Samples each side needs for a metric to be judged; fewer is no data.
    #[serde(default = "default_min_samples")]
    pub min_samples: usize,
    /// A score at or above this passes.
    #[serde(default = "default_pass_score")]
    pub pass: f64,
    /// A score at or above this (and below `pass`) is marginal: hold and ask.
    #[serde(default = "default_marginal_score")]
    pub marginal: f64,
    /// What a failing interval does.
    #[serde(default)]
    pub on_fail: JudgeOnFail,
    /// Confidence level of each metric's shift interval.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Weight of each metric group in the score; equal weights when absent.
    #[serde(default)]
    pub groups: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JudgeOnFail {
    /// Hold and ask the operator to roll back.
    #[default]
    Ask,
    /// Roll back without asking.
    Rollback,
}

fn default_judge_every() -> Span {
    Span::minutes(1)
}

fn default_judge_window() -> Span {
    Span::minutes(2)
}

fn default_min_samples() -> usize {
    10
}

fn default_pass_score() -> f64 {
    95.0
}

fn default_marginal_score() -> f64 {
    75.0
}

fn default_confidence() -> f64 {
    0.98
}

impl Default for JudgeSettings {
    fn default() -> Self {
        JudgeSettings {
            every: default_judge_every(),
            window: default_judge_window(),
            min_samples: default_min_samples(),
            pass: default_pass_score(),
            marginal: default_marginal_score(),
            on_fail: JudgeOnFail::default(),
            confidence: default_confidence(),
            groups: BTreeMap::new(),
        }
    }
}

/// How the judge treats one metric. Every field has a default, so `judge: {}` is the
/// judge's defaults with the metric's own `bad` direction.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricJudge {
    /// The group the metric scores in.
    #[serde(default)]
    pub group: Option<String>,
    /// A critical metric that fails fails the whole interval.
    #[serde(default)]
    pub critical: bool,
    /// Which change is bad; the metric's `bad` when absent.
    #[serde(default)]
    pub direction: Option<Direction>,
    /// Missing and non-finite values: dropped (`remove`) or counted as 0 (`replace`).
    #[serde(default)]
    pub nan: NanHandling,
    /// No data is an error (a failing metric) instead of no data.
    #[serde(default)]
    pub must_have_data: bool,
    /// Drop values outside the interquartile fences: `true` (factor 3) or the factor.
    #[serde(default)]
    pub outliers: Option<Outliers>,
    #[serde(default)]
    pub effect: EffectMeasure,
    /// High needs the effect size above this (mean ratio: 1.2 = 20% higher).
    #[serde(default)]
    pub allowed_increase: Option<f64>,
    /// Low needs the effect size below this.
    #[serde(default)]
    pub allowed_decrease: Option<f64>,
    /// How far the interval's near end must clear zero, as a share of the shift's own size
    /// (0.25 when absent).
    #[serde(default)]
    pub tolerance: Option<f64>,
    /// A minimum practical shift: `10%` of the baseline mean, or a number in the metric's
    /// unit. Shifts smaller than this never count. None when absent.
    #[serde(default)]
    pub min_shift: Option<crate::analysis::judge::MinShift>,
}

impl MetricJudge {
    /// The group name the score uses: the metric's own group, or `default`.
    pub fn group_name(&self) -> &str {
        self.group.as_deref().unwrap_or(DEFAULT_JUDGE_GROUP)
    }
}

/// The group of a metric that names none.
pub const DEFAULT_JUDGE_GROUP: &str = "default";

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NanHandling {
    #[default]
    Remove,
    Replace,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum EffectMeasure {
    /// Canary mean over baseline mean.
    #[default]
    MeanRatio,
    /// Chance that a canary value exceeds a baseline value.
    Cles,
}

/// `outliers: true` (fence factor 3), `outliers: false`, or `outliers: 2.5`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Outliers {
    Enabled(bool),
    Factor(f64),
}

impl Outliers {
    /// The fence factor, when outliers are removed.
    pub fn factor(self) -> Option<f64> {
        match self {
            Outliers::Enabled(true) => Some(3.0),
            Outliers::Enabled(false) => None,
            Outliers::Factor(k) => Some(k),
        }
    }
}

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

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            interval: default_interval(),
            stale_after: default_stale_after(),
            baseline_history: default_baseline_history(),
            source: SourceKind::Sim,
            prometheus: None,
            judge: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    /// Query for the canary; `{{version}}` is replaced by the canary version.
    pub canary: String,
    /// Query for the baseline; `{{version}}` is replaced by the stable version.
    pub baseline: String,
    /// Which direction of change is bad.
    #[serde(default)]
    pub bad: Direction,
    /// How the canary judge treats this metric (with `analysis.judge` set).
    #[serde(default)]
    pub judge: MetricJudge,
}

/// Where a query takes the version it is about.
pub const VERSION_PLACEHOLDER: &str = "{{version}}";

impl Metric {
    /// The canary and baseline queries with their versions filled in.
    pub fn resolved(&self, canary_version: &str, stable_version: &str) -> (String, String) {
        (
            self.canary.replace(VERSION_PLACEHOLDER, canary_version),
            self.baseline.replace(VERSION_PLACEHOLDER, stable_version),
        )
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Increase,
    Decrease,
    Either,
}

/// Bounds on a metric. Absolute bounds compare the canary value; ratio bounds compare the
/// canary with the baseline over the same window (`canary <= baseline * max_ratio`); a
/// `sigma` band compares it with the baseline's own recent history (mean ± sigma × sd, on
/// the side the metric's `bad` direction names).
/// (Gates and triggers spell these fields out: serde's flatten cannot reject unknown keys.)
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bounds {
    pub max: Option<f64>,
    pub min: Option<f64>,
    pub max_ratio: Option<f64>,
    pub min_ratio: Option<f64>,
    pub sigma: Option<f64>,
}

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

impl Bounds {
    /// The bounds as the operator reads them: `max 0.5%, max base×1.5`.
    pub fn describe(&self, unit: &str) -> String {
        let mut parts = Vec::with_capacity(5);
        if let Some(v) = self.max {
            parts.push(format!("max {v}{unit}"));
        }
        if let Some(v) = self.min {
            parts.push(format!("min {v}{unit}"));
        }
        if let Some(v) = self.max_ratio {
            parts.push(format!("max base×{v}"));
        }
        if let Some(v) = self.min_ratio {
            parts.push(format!("min base×{v}"));
        }
        if let Some(v) = self.sigma {
            parts.push(format!("{v}σ band"));
        }
        parts.join(", ")
    }

    pub fn is_empty(&self) -> bool {
        self.max.is_none()
            && self.min.is_none()
            && self.max_ratio.is_none()
            && self.min_ratio.is_none()
            && self.sigma.is_none()
    }
}

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
}

/// Deserializes `T` from within the YAML node itself rather than after reading it whole, so
/// serde_yaml puts this field's path and position on `T`'s errors (`stages[2].weight: ...`
/// at the value, not at the enclosing mapping).
fn located<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::{Error, MapAccess, SeqAccess, Visitor, value};
    use serde_yaml::Value;

    struct InPlace<T>(std::marker::PhantomData<T>);

    fn convert<T: serde::de::DeserializeOwned, E: Error>(v: Value) -> Result<T, E> {
        T::deserialize(v).map_err(E::custom)
    }

    impl<'de, T: serde::de::DeserializeOwned> Visitor<'de> for InPlace<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a plain value")
        }
        fn visit_bool<E: Error>(self, v: bool) -> Result<T, E> {
            convert(Value::Bool(v))
        }
        fn visit_i64<E: Error>(self, v: i64) -> Result<T, E> {
            convert(Value::Number(v.into()))
        }
        fn visit_u64<E: Error>(self, v: u64) -> Result<T, E> {
            convert(Value::Number(v.into()))
        }
        fn visit_f64<E: Error>(self, v: f64) -> Result<T, E> {
            convert(Value::Number(v.into()))
        }
        // Beyond 64 bits a YAML value cannot hold the number: `T` gets it as it is.
        fn visit_u128<E: Error>(self, v: u128) -> Result<T, E> {
            T::deserialize(value::U128Deserializer::<E>::new(v))
        }
        fn visit_i128<E: Error>(self, v: i128) -> Result<T, E> {
            T::deserialize(value::I128Deserializer::<E>::new(v))
        }
        fn visit_str<E: Error>(self, v: &str) -> Result<T, E> {
            convert(Value::String(v.into()))
        }
        fn visit_unit<E: Error>(self) -> Result<T, E> {
            convert(Value::Null)
        }
        fn visit_none<E: Error>(self) -> Result<T, E> {
            convert(Value::Null)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, a: A) -> Result<T, A::Error> {
            convert(Value::deserialize(value::SeqAccessDeserializer::new(a))?)
        }
        fn visit_map<A: MapAccess<'de>>(self, a: A) -> Result<T, A::Error> {
            convert(Value::deserialize(value::MapAccessDeserializer::new(a))?)
        }
    }

    d.deserialize_any(InPlace(std::marker::PhantomData))
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
