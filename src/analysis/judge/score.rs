//! From per-metric classifications to one score and verdict for the interval.
//!
//! Each group scores the share of its judged metrics that pass (no-data metrics are not
//! judged); the interval scores the weighted mean of the groups, on 0-100. In order:
//! - a critical metric that fails scores 0 and fails the interval whatever the others say
//!   (even when others have no data);
//! - missing data never counts as healthy, and is not a reason to roll back either: no data
//!   for a critical metric, for every metric of a weighted group, or for half or more of the
//!   metrics scores 0 with the verdict `NoData`.

use std::collections::BTreeMap;

use super::classify::Classification;
use crate::format::{fmt_precise, fmt_score};

/// One metric's part in the score.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored<'a> {
    pub name: &'a str,
    pub group: &'a str,
    pub critical: bool,
    pub classification: Classification,
}

/// Score thresholds, 0-100: `pass` and above passes, `marginal` and above is marginal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub pass: f64,
    pub marginal: f64,
}

/// What the interval's score means for the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Outcome {
    Pass,
    /// Hold and ask the operator: promote or roll back.
    Marginal,
    Fail,
    /// Too little data to judge: hold, never pass.
    NoData,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Marginal => "MARGINAL",
            Outcome::Fail => "FAIL",
            Outcome::NoData => "NO DATA",
        }
    }
}

/// One group's share of passing metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    pub name: String,
    pub weight: f64,
    pub passed: usize,
    /// Metrics with a classification other than no data.
    pub judged: usize,
    pub total: usize,
}

/// The interval's score and verdict, with the reason in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// 0-100.
    pub score: f64,
    pub outcome: Outcome,
    pub groups: Vec<GroupScore>,
    pub reason: String,
}

fn passes(c: Classification) -> bool {
    c == Classification::Pass
}

fn fails(c: Classification) -> bool {
    matches!(c, Classification::High | Classification::Low | Classification::Error)
}

/// Scores `metrics`. `weights` gives each group's weight; a group it does not name weighs
/// 1 when `weights` is empty and 0 otherwise (the plan check rejects that case).
pub fn score(metrics: &[Scored<'_>], weights: &BTreeMap<String, f64>, thresholds: Thresholds) -> Score {
    let mut groups: Vec<GroupScore> = Vec::new();
    for m in metrics {
        let i = match groups.iter().position(|g| g.name == m.group) {
            Some(i) => i,
            None => {
                let weight = if weights.is_empty() {
                    1.0
                } else {
                    weights.get(m.group).copied().unwrap_or(0.0)
                };
                groups.push(GroupScore {
                    name: m.group.to_string(),
                    weight,
                    passed: 0,
                    judged: 0,
                    total: 0,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.total += 1;
        if m.classification != Classification::NoData {
            g.judged += 1;
        }
        if passes(m.classification) {
            g.passed += 1;
        }
    }
    let done = |score: f64, outcome: Outcome, groups: Vec<GroupScore>, reason: String| Score {
        score,
        outcome,
        groups,
        reason,
    };
    if metrics.is_empty() {
        return done(0.0, Outcome::NoData, groups, "no metric is judged".into());
    }
    if let Some(critical) = metrics.iter().find(|m| m.critical && fails(m.classification)) {
        let reason = format!(
            "critical metric {} is {}: the interval fails",
            critical.name,
            critical.classification.as_str()
        );
        return done(0.0, Outcome::Fail, groups, reason);
    }
    let no_data: Vec<&str> = metrics
        .iter()
        .filter(|m| m.classification == Classification::NoData)
        .map(|m| m.name)
        .collect();
    let half = (2 * no_data.len() >= metrics.len()).then(|| {
        format!(
            "no data for {} of {} metrics ({}): score 0",
            no_data.len(),
            metrics.len(),
            no_data.join(", ")
        )
    });
    let unseen = half
        .or_else(|| {
            let critical = metrics
                .iter()
                .find(|m| m.critical && m.classification == Classification::NoData)?;
            Some(format!("no data for critical metric {}: score 0", critical.name))
        })
        .or_else(|| {
            let empty = groups.iter().find(|g| g.judged == 0 && g.weight > 0.0)?;
            Some(format!("no data for any metric of group {}: score 0", empty.name))
        });
    if let Some(reason) = unseen {
        return done(0.0, Outcome::NoData, groups, reason);
    }
    let (sum, weight) = groups.iter().filter(|g| g.judged > 0).fold((0.0, 0.0), |(s, w), g| {
        (s + g.weight * g.passed as f64 / g.judged as f64, w + g.weight)
    });
    // Rounded to 1e-9: weights like 1 and 2 with 19 of 20 passing in each make 95 come out
    // as 94.99999999999999, which must not fall under a pass threshold of 95.
    let score = if weight > 0.0 {
        (100.0 * sum / weight * 1e9).round() / 1e9
    } else {
        0.0
    };
    let outcome = if score >= thresholds.pass {
        Outcome::Pass
    } else if score >= thresholds.marginal {
        Outcome::Marginal
    } else {
        Outcome::Fail
    };
    let failing: Vec<String> = metrics
        .iter()
        .filter(|m| fails(m.classification))
        .map(|m| format!("{} {}", m.name, m.classification.as_str()))
        .collect();
    let judged: usize = groups.iter().map(|g| g.judged).sum();
    let passed: usize = groups.iter().map(|g| g.passed).sum();
    let mut reason = format!("score {}: {passed} of {judged} metrics pass", fmt_score(score));
    if !failing.is_empty() {
        reason.push_str(&format!("; {}", failing.join(", ")));
    }
    reason.push_str(&match outcome {
        Outcome::Pass => format!(" (pass at {})", fmt_precise(thresholds.pass)),
        Outcome::Marginal => format!(
            " (marginal from {}, pass at {})",
            fmt_precise(thresholds.marginal),
            fmt_precise(thresholds.pass)
        ),
        _ => format!(" (under marginal {})", fmt_precise(thresholds.marginal)),
    });
    done(score, outcome, groups, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Classification::*;

    const T: Thresholds = Thresholds {
        pass: 95.0,
        marginal: 75.0,
    };

    fn m<'a>(name: &'a str, group: &'a str, c: Classification) -> Scored<'a> {
        Scored {
            name,
            group,
            critical: false,
            classification: c,
        }
    }

    #[test]
    fn all_pass_scores_100() {
        let s = score(&[m("a", "g", Pass), m("b", "g", Pass)], &BTreeMap::new(), T);
        assert_eq!((s.score, s.outcome), (100.0, Outcome::Pass));
        assert_eq!(s.reason, "score 100: 2 of 2 metrics pass (pass at 95)");
    }

    #[test]
    fn share_of_passing_metrics_decides_pass_marginal_fail() {
        let four = |fail: usize| -> Vec<Scored<'static>> {
            (0..4)
                .map(|i| m(["a", "b", "c", "d"][i], "g", if i < fail { High } else { Pass }))
                .collect()
        };
        assert_eq!(score(&four(0), &BTreeMap::new(), T).outcome, Outcome::Pass);
        let one = score(&four(1), &BTreeMap::new(), T);
        assert_eq!((one.score, one.outcome), (75.0, Outcome::Marginal));
        assert_eq!(
            one.reason,
            "score 75: 3 of 4 metrics pass; a High (marginal from 75, pass at 95)"
        );
        let two = score(&four(2), &BTreeMap::new(), T);
        assert_eq!((two.score, two.outcome), (50.0, Outcome::Fail));
    }

    #[test]
    fn groups_are_weighted() {
        let weights = BTreeMap::from([("errors".to_string(), 75.0), ("latency".to_string(), 25.0)]);
        let metrics = [
            m("5xx", "errors", Pass),
            m("p50", "latency", Pass),
            m("p99", "latency", High),
        ];
        let s = score(&metrics, &weights, T);
        // 75 * 1 + 25 * 0.5 = 87.5
        assert_eq!(s.score, 87.5);
        assert_eq!(s.outcome, Outcome::Marginal);
        // Unweighted, the groups count alike: (1 + 0.5) / 2.
        assert_eq!(score(&metrics, &BTreeMap::new(), T).score, 75.0);
    }

    #[test]
    fn no_data_for_half_the_metrics_scores_zero() {
        let s = score(&[m("a", "g", Pass), m("b", "g", NoData)], &BTreeMap::new(), T);
        assert_eq!((s.score, s.outcome), (0.0, Outcome::NoData));
        assert!(s.reason.contains("no data for 1 of 2 metrics (b)"), "{}", s.reason);
    }

    #[test]
    fn no_data_for_fewer_than_half_is_left_out_of_the_share() {
        let s = score(
            &[m("a", "g", Pass), m("b", "g", Pass), m("c", "g", NoData)],
            &BTreeMap::new(),
            T,
        );
        assert_eq!((s.score, s.outcome), (100.0, Outcome::Pass));
    }

    #[test]
    fn a_failing_critical_metric_fails_the_interval() {
        let mut metrics: Vec<Scored> = (0..9).map(|_| m("ok", "g", Pass)).collect();
        metrics.push(Scored {
            critical: true,
            ..m("payments", "g", Low)
        });
        let s = score(&metrics, &BTreeMap::new(), T);
        assert_eq!((s.score, s.outcome), (0.0, Outcome::Fail));
        assert!(s.reason.contains("critical metric payments is Low"), "{}", s.reason);
        // Not critical: one in ten failing is a score of 90.
        metrics[9].critical = false;
        assert_eq!(score(&metrics, &BTreeMap::new(), T).score, 90.0);
    }

    #[test]
    fn a_failing_critical_metric_fails_even_beside_missing_data() {
        let critical = Scored {
            critical: true,
            ..m("errors", "errors", High)
        };
        let s = score(&[critical, m("latency", "latency", NoData)], &BTreeMap::new(), T);
        assert_eq!((s.score, s.outcome), (0.0, Outcome::Fail), "{}", s.reason);
    }

    #[test]
    fn no_data_for_a_critical_metric_or_a_whole_group_is_no_data() {
        let weights = BTreeMap::from([("errors".to_string(), 60.0), ("latency".to_string(), 40.0)]);
        let metrics = |critical: bool| {
            vec![
                Scored {
                    critical,
                    ..m("5xx", "errors", NoData)
                },
                m("p50", "latency", Pass),
                m("p99", "latency", Pass),
            ]
        };
        let s = score(&metrics(true), &weights, T);
        assert_eq!((s.score, s.outcome), (0.0, Outcome::NoData));
        assert_eq!(s.reason, "no data for critical metric 5xx: score 0");
        let s = score(&metrics(false), &weights, T);
        assert_eq!((s.score, s.outcome), (0.0, Outcome::NoData));
        assert_eq!(s.reason, "no data for any metric of group errors: score 0");
    }

    #[test]
    fn a_share_that_is_the_pass_threshold_passes() {
        let weights = BTreeMap::from([("a".to_string(), 1.0), ("b".to_string(), 2.0)]);
        let mut metrics = Vec::new();
        for group in ["a", "b"] {
            metrics.extend((0..20).map(|i| m("x", group, if i == 0 { High } else { Pass })));
        }
        let s = score(&metrics, &weights, T);
        assert_eq!((s.score, s.outcome), (95.0, Outcome::Pass), "{}", s.reason);
        assert_eq!(fmt_score(s.score), "95");
    }

    #[test]
    fn errors_count_as_failing() {
        let s = score(&[m("a", "g", Pass), m("b", "g", Error)], &BTreeMap::new(), T);
        assert_eq!((s.score, s.outcome), (50.0, Outcome::Fail));
    }

    #[test]
    fn a_score_never_reads_as_a_threshold_it_misses() {
        assert_eq!(fmt_score(94.96), "94.9");
        assert_eq!(fmt_score(60.0), "60");
        assert_eq!(fmt_score(66.666), "66.6");
        assert_eq!(fmt_score(100.0), "100");
    }

    #[test]
    fn nothing_to_judge_is_no_data() {
        assert_eq!(score(&[], &BTreeMap::new(), T).outcome, Outcome::NoData);
    }
}
