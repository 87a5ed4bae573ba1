//! Semantic checks on a plan serde accepted: cross-references, bounds, and the rules a
//! release needs to be able to promote and to roll back. Every problem is collected (not
//! just the first) and located at the node a person has to edit.

mod advice;
mod backends;
mod deploys;
mod judge;
mod texts;
mod workloads;

use std::collections::{BTreeMap, HashMap};

use super::load::PlanError;
use super::locate::{Locations, Pos};
use super::schema::{AnalysisFile, Bounds, Metric, PlanFile, PrometheusAuth, ReleaseInfo, Rollback, Stage, Weight};
use crate::duration::Span;

/// What the semantic checks found: errors make the plan invalid; warnings point at what
/// will probably not behave as meant, and leave the plan valid.
#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<PlanError>,
    pub warnings: Vec<PlanError>,
}

/// All semantic problems in `plan`, located through `locs` (built from the same text).
pub fn check(plan: &PlanFile, locs: &Locations, origin: &str) -> Findings {
    let mut v = Validator {
        locs,
        origin,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let metrics: Vec<&str> = plan.metrics.iter().map(|m| m.name.as_str()).collect();
    v.release(&plan.release);
    v.analysis(&plan.analysis);
    v.backends(plan);
    v.workloads(plan);
    v.deploys(plan);
    v.metrics(&plan.metrics);
    v.judge(plan);
    for (i, gate) in plan.gates.iter().enumerate() {
        let who = format!("gate {}", i + 1);
        let path = format!("gates.{i}");
        v.metric_ref(&format!("{path}.metric"), &who, "names", &gate.metric, &metrics);
        v.bounds(&path, &who, gate.bounds());
    }
    v.rollback(plan, &metrics);
    v.approvals(plan);
    v.checklists(&plan.checklists);
    v.stages(plan, &metrics);
    v.texts(plan);
    for dup in locs.duplicates() {
        let place = if dup.parent.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in `{}`", dup.parent)
        };
        v.push(
            dup.again,
            format!(
                "key `{}` is written twice {place} (first at line {}): the later one would \
                 silently replace the earlier",
                dup.key, dup.first.line
            ),
        );
    }
    v.judge_limits(plan);
    Findings {
        errors: v.errors,
        warnings: v.warnings,
    }
}

/// The candidate closest to `word` by edit distance, when close enough to be a typo.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Long strings are not typos of names, and edit distance is quadratic.
    const LONGEST: usize = 64;
    let word_len = word.chars().count();
    if word_len == 0 || word_len > LONGEST {
        return None;
    }
    let allowed = (word_len / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != word && c.chars().count() <= LONGEST)
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters, one row at a time.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if ca == *cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Sigma bands narrower or wider than this are not a band anyone means.
const SIGMA_RANGE: std::ops::RangeInclusive<f64> = 0.1..=100.0;

struct Validator<'a> {
    locs: &'a Locations,
    origin: &'a str,
    errors: Vec<PlanError>,
    warnings: Vec<PlanError>,
}

impl Validator<'_> {
    fn push(&mut self, pos: Pos, message: String) {
        self.errors.push(PlanError::new(self.origin, pos, message));
    }

    /// A warning at the value at `path`: the plan stays valid.
    fn warn(&mut self, path: &str, message: String) {
        let pos = self.locs.at(path);
        self.warnings
            .push(PlanError::new(self.origin, pos, format!("warning: {message}")));
    }

    /// Reports at the value at `path` (or where it should have been written).
    fn at(&mut self, path: &str, message: String) {
        self.push(self.locs.at(path), message);
    }

    fn non_empty(&mut self, path: &str, value: &str, message: &str) {
        if value.trim().is_empty() {
            self.at(path, message.to_string());
        }
    }

    /// Reports each name used more than once, at its later uses.
    fn unique<'n>(&mut self, names: impl Iterator<Item = (String, &'n str)>, what: &str) {
        let mut first: HashMap<&str, Pos> = HashMap::new();
        for (path, name) in names {
            if name.trim().is_empty() {
                continue;
            }
            let pos = self.locs.at(&path);
            match first.get(name) {
                Some(earlier) => self.push(
                    pos,
                    format!(
                        "{what} `{name}` is used twice (first at line {}): names must be unique",
                        earlier.line
                    ),
                ),
                None => {
                    first.insert(name, pos);
                }
            }
        }
    }

    fn release(&mut self, r: &ReleaseInfo) {
        self.non_empty(
            "release.name",
            &r.name,
            "release name is empty: name the service being released",
        );
        self.non_empty(
            "release.version",
            &r.version,
            "release version is empty: give the version being released",
        );
        self.non_empty(
            "release.stable",
            &r.stable,
            "release stable is empty: give the version traffic returns to on rollback",
        );
        if !r.version.trim().is_empty() && r.version.trim() == r.stable.trim() {
            self.at(
                "release.version",
                format!(
                    "version {} is the same as stable: there is nothing to release or to roll back to",
                    r.version
                ),
            );
        }
        self.non_empty("release.owner.name", &r.owner.name, "release owner has no name");
        self.non_empty("release.on_call.name", &r.on_call.name, "on-call engineer has no name");
    }

    fn analysis(&mut self, a: &AnalysisFile) {
        if a.interval == Span::ZERO {
            self.at(
                "analysis.interval",
                "analysis interval is 0s: metrics would never be sampled; use e.g. 5s".into(),
            );
        } else if a.stale_after < a.interval {
            self.at(
                "analysis.stale_after",
                format!(
                    "stale_after {} is shorter than interval {}: every sample would be stale \
                     before the next one arrives",
                    a.stale_after, a.interval
                ),
            );
        }
        if a.interval != Span::ZERO && a.baseline_history.as_secs() < 3 * a.interval.as_secs() {
            self.at(
                "analysis.baseline_history",
                format!(
                    "baseline_history {} holds fewer than 3 samples at interval {}: a sigma band \
                     could never be judged; use e.g. 10m",
                    a.baseline_history, a.interval
                ),
            );
        }
    }

    /// Credentials are named, never given: one bearer source, or a user with one password
    /// source.
    fn auth(&mut self, a: &PrometheusAuth) {
        let path = "analysis.prometheus.auth";
        let bearer = a.bearer_token_env.is_some() as u8 + a.bearer_token_file.is_some() as u8;
        let password = a.password_env.is_some() as u8 + a.password_file.is_some() as u8;
        if bearer > 1 || password > 1 {
            self.at(
                path,
                "give each credential one source: an environment variable or a file, not both".into(),
            );
        }
        if bearer > 0 && (a.username.is_some() || password > 0) {
            self.at(
                path,
                "choose bearer token or basic auth (username + password), not both".into(),
            );
        }
        if a.username.is_some() != (password > 0) {
            self.at(
                path,
                "basic auth needs both `username` and `password_env` or `password_file`".into(),
            );
        }
        if bearer == 0 && a.username.is_none() && password == 0 {
            self.at(
                path,
                "auth is empty: name bearer_token_env, bearer_token_file, or username with a password source".into(),
            );
        }
    }

    fn metrics(&mut self, metrics: &[Metric]) {
        if metrics.is_empty() {
            self.at(
                "metrics",
                "no metrics: define at least one for the gates to judge".into(),
            );
        }
        for (i, m) in metrics.iter().enumerate() {
            let path = format!("metrics.{i}");
            self.non_empty(
                &format!("{path}.name"),
                &m.name,
                &format!("metric {} has an empty name", i + 1),
            );
            let name = &m.name;
            self.non_empty(
                &format!("{path}.canary"),
                &m.canary,
                &format!("metric `{name}` has an empty canary query"),
            );
            self.non_empty(
                &format!("{path}.baseline"),
                &m.baseline,
                &format!("metric `{name}` has an empty baseline query"),
            );
        }
        self.unique(
            metrics
                .iter()
                .enumerate()
                .map(|(i, m)| (format!("metrics.{i}.name"), m.name.as_str())),
            "metric name",
        );
    }

    /// `who` `verb` metric `name`: it must be one of `known`.
    fn metric_ref(&mut self, path: &str, who: &str, verb: &str, name: &str, known: &[&str]) {
        if known.contains(&name) {
            return;
        }
        let defined = if known.is_empty() {
            "no metrics are defined".to_string()
        } else {
            format!("defined metrics: {}", known.join(", "))
        };
        let hint = closest(name, known.iter().copied())
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        self.at(
            path,
            format!("{who} {verb} metric `{name}`, which is not defined; {defined}{hint}"),
        );
    }

    fn bounds(&mut self, path: &str, who: &str, b: Bounds) {
        if b.is_empty() {
            self.at(
                path,
                format!("{who} has no bound: set max, min, max_ratio, min_ratio or sigma"),
            );
            return;
        }
        let fields = [
            ("max", b.max),
            ("min", b.min),
            ("max_ratio", b.max_ratio),
            ("min_ratio", b.min_ratio),
            ("sigma", b.sigma),
        ];
        let mut usable = true;
        for (field, value) in fields {
            let Some(value) = value else { continue };
            let at = format!("{path}.{field}");
            if !value.is_finite() {
                self.at(&at, format!("{who}: {field} must be a finite number, found {value}"));
                usable = false;
            } else if field.ends_with("_ratio") && value <= 0.0 {
                self.at(
                    &at,
                    format!("{who}: {field} must be above 0 (it multiplies the baseline), found {value}"),
                );
                usable = false;
            } else if field == "sigma" && !(SIGMA_RANGE.contains(&value)) {
                // As written, but never three hundred zeros.
                let found = if value == 0.0 || (1e-3..1e6).contains(&value.abs()) {
                    value.to_string()
                } else {
                    format!("{value:e}")
                };
                self.at(
                    &at,
                    format!(
                        "{who}: sigma must be from {} to {} (the band is the baseline's mean ± sigma standard \
                         deviations; 2 warns early, 3 is the usual alarm), found {found}",
                        SIGMA_RANGE.start(),
                        SIGMA_RANGE.end()
                    ),
                );
                usable = false;
            }
        }
        if !usable {
            return;
        }
        for (low, high, field) in [(b.min, b.max, "min"), (b.min_ratio, b.max_ratio, "min_ratio")] {
            if let (Some(low), Some(high)) = (low, high)
                && low > high
            {
                let max_field = field.replace("min", "max");
                self.at(
                    &format!("{path}.{field}"),
                    format!("{who}: {field} {low} is above {max_field} {high}, so the bound can never hold"),
                );
            }
        }
    }

    fn rollback(&mut self, plan: &PlanFile, metrics: &[&str]) {
        let Rollback { window, triggers } = &plan.rollback;
        if *window == Some(Span::ZERO) {
            self.at(
                "rollback.window",
                format!(
                    "rollback window 0s keeps nothing to switch back to: remove it for the {} \
                     default ({}) or set a few hours",
                    plan.release.kind.as_str(),
                    plan.release.kind.default_rollback_window()
                ),
            );
        }
        if triggers.is_empty() {
            self.at(
                "rollback.triggers",
                "no rollback triggers: the plan has no rollback path; add one under \
                 rollback.triggers, e.g. error rate above 1% for 1m"
                    .into(),
            );
        }
        for (i, t) in triggers.iter().enumerate() {
            let path = format!("rollback.triggers.{i}");
            self.non_empty(
                &format!("{path}.name"),
                &t.name,
                &format!("trigger {} has an empty name", i + 1),
            );
            let who = if t.name.trim().is_empty() {
                format!("trigger {}", i + 1)
            } else {
                format!("trigger `{}`", t.name)
            };
            self.metric_ref(&format!("{path}.metric"), &who, "names", &t.metric, metrics);
            self.bounds(&path, &who, t.bounds());
        }
        self.unique(
            triggers
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("rollback.triggers.{i}.name"), t.name.as_str())),
            "trigger name",
        );
    }

    fn approvals(&mut self, plan: &PlanFile) {
        let Some(roles) = &plan.approvals else { return };
        if roles.is_empty() {
            let kind = plan.release.kind;
            self.at(
                "approvals",
                format!(
                    "approvals is empty, which would skip sign-off: name the roles, or remove the key \
                     for the {} default ({})",
                    kind.as_str(),
                    kind.default_approvals().join(" + ")
                ),
            );
        }
        for (i, role) in roles.iter().enumerate() {
            self.non_empty(
                &format!("approvals.{i}"),
                role,
                &format!("approval {} names no role", i + 1),
            );
        }
    }

    fn checklists(&mut self, checklists: &BTreeMap<String, Vec<String>>) {
        for (name, items) in checklists {
            let path = format!("checklists.{name}");
            if name.trim().is_empty() {
                self.at("checklists", "a checklist has an empty name".into());
            }
            if items.is_empty() {
                self.at(&path, format!("checklist `{name}` has no items"));
            }
            for (j, item) in items.iter().enumerate() {
                self.non_empty(
                    &format!("{path}.{j}"),
                    item,
                    &format!("checklist `{name}` item {} is empty", j + 1),
                );
            }
        }
    }

    fn stages(&mut self, plan: &PlanFile, metrics: &[&str]) {
        let stages: &[Stage] = &plan.stages;
        let Some(last) = stages.last() else {
            self.at(
                "stages",
                "no stages: a plan needs at least one, and the last must send 100% of traffic".into(),
            );
            return;
        };
        let checklists: Vec<&str> = plan.checklists.keys().map(String::as_str).collect();
        for (i, stage) in stages.iter().enumerate() {
            let path = format!("stages.{i}");
            self.non_empty(
                &format!("{path}.name"),
                &stage.name,
                &format!("stage {} has an empty name", i + 1),
            );
            let who = if stage.name.trim().is_empty() {
                format!("stage {}", i + 1)
            } else {
                format!("stage `{}`", stage.name)
            };
            if let Some(list) = &stage.checklist
                && !checklists.contains(&list.as_str())
            {
                let defined = if checklists.is_empty() {
                    "no checklists are defined (add them under `checklists`)".to_string()
                } else {
                    format!("defined checklists: {}", checklists.join(", "))
                };
                let hint = closest(list, checklists.iter().copied())
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                self.at(
                    &format!("{path}.checklist"),
                    format!("{who} names checklist `{list}`, which is not defined; {defined}{hint}"),
                );
            }
            for (j, role) in stage.approvals.iter().enumerate() {
                self.non_empty(
                    &format!("{path}.approvals.{j}"),
                    role,
                    &format!("{who}: approval {} names no role", j + 1),
                );
            }
            for (j, metric) in stage.analyse.iter().flatten().enumerate() {
                self.metric_ref(&format!("{path}.analyse.{j}"), &who, "analyses", metric, metrics);
            }
            if stage.analyse.as_ref().is_some_and(Vec::is_empty) && stage.weight > Weight::ZERO {
                self.at(
                    &format!("{path}.analyse"),
                    format!(
                        "{who} sends {}% to the canary but analyses no metric: no gate or judge would watch it; list the metrics, or leave `analyse` out to analyse them all",
                        stage.weight.percent()
                    ),
                );
            }
        }
        self.unique(
            stages
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("stages.{i}.name"), s.name.as_str())),
            "stage name",
        );
        if last.weight.percent() != 100 {
            let i = stages.len() - 1;
            self.at(
                &format!("stages.{i}.weight"),
                format!(
                    "the last stage sends {} of traffic to the new version, so the release never \
                     promotes: end with a stage at weight 100",
                    last.weight
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let known = ["error_rate", "latency_p99"];
        assert_eq!(closest("eror_rate", known), Some("error_rate"));
        assert_eq!(closest("Latency_P99", known), Some("latency_p99"));
        assert_eq!(closest("throughput", known), None);
        assert_eq!(closest("", known), None);
        assert_eq!(closest("wieght", ["name", "weight", "hold"]), Some("weight"));
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
