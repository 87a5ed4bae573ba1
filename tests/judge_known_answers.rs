//! Known-answer tests of the canary judge's statistics against R's
//! `wilcox.test(x, y, exact = FALSE, correct = TRUE, conf.int = TRUE, conf.level = ...)`.
//! The vectors in tests/judge/cases.json come from tests/judge/generate.R (see there for how
//! to regenerate); this test needs neither R nor Python.

use shipdeck::analysis::judge::hodges_lehmann::{R_TOL_ROOT, shift};
use shipdeck::analysis::judge::ranksum::rank_sum;
use shipdeck::analysis::judge::{Classification, JudgeConfig, judge};

const CASES: &str = include_str!("judge/cases.json");

/// Numbers are stored as strings: `str::parse` rounds correctly, serde_json's default float
/// parsing can be one ulp off, which changes which shifted values tie.
fn num(v: &serde_json::Value) -> f64 {
    v.as_str().expect("number as string").parse().expect("number")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(num).collect()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
    }
}

#[test]
fn matches_r_on_every_case() {
    let doc: serde_json::Value = serde_json::from_str(CASES).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let mut checked = 0;
    let mut worst_interval = 0.0f64;
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let x = sorted(floats(&case["x"]));
        let y = sorted(floats(&case["y"]));
        let conf = num(&case["conf_level"]);
        if case.get("error").is_some() {
            // R stops; the statistics layer reports an error too (judge() defines the outcome).
            assert!(
                shift(&x, &y, conf, R_TOL_ROOT).is_err(),
                "{name}: R failed but we did not"
            );
            continue;
        }
        let rs = rank_sum(&x, &y).expect("both samples hold values");
        let w = num(&case["statistic"]);
        let p = num(&case["p_value"]);
        assert!(rel(rs.w, w) <= 1e-9, "{name}: W {} vs R {w}", rs.w);
        assert!(
            rel(rs.p_value, p) <= 1e-9,
            "{name}: p {:e} vs R {p:e} (rel {:e})",
            rs.p_value,
            rel(rs.p_value, p)
        );
        let s = shift(&x, &y, conf, R_TOL_ROOT).unwrap_or_else(|e| panic!("{name}: {e}"));
        let est = num(&case["estimate"]);
        let ci = floats(&case["ci"]);
        for (ours, r, what) in [
            (s.estimate, est, "estimate"),
            (s.ci_low, ci[0], "ci low"),
            (s.ci_high, ci[1], "ci high"),
        ] {
            let d = (ours - r).abs();
            worst_interval = worst_interval.max(d);
            assert!(d <= 1e-4, "{name}: {what} {ours} vs R {r} (diff {d:e})");
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} cases compared");
    eprintln!("{checked} cases match R; largest estimate/interval difference {worst_interval:e}");
}

#[test]
fn r_failures_have_defined_outcomes() {
    let doc: serde_json::Value = serde_json::from_str(CASES).unwrap();
    let find = |n: &str| {
        doc["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .unwrap()
            .clone()
    };
    let equal = find("both_constant_equal");
    let v = judge(&floats(&equal["y"]), &floats(&equal["x"]), &JudgeConfig::default());
    assert_eq!(v.classification, Classification::Pass, "{v:?}");
    assert_eq!((v.p_value, v.estimate, v.ci), (Some(1.0), Some(0.0), Some((0.0, 0.0))));

    let diff = find("both_constant_different");
    let v = judge(&floats(&diff["y"]), &floats(&diff["x"]), &JudgeConfig::default());
    // experiment 4 vs control 3: shift exactly 1, outside the 0.25 * 3.5 band, ratio 4/3
    assert_eq!((v.estimate, v.ci), (Some(1.0), Some((1.0, 1.0))));
    assert_eq!(v.classification, Classification::High, "{v:?}");
}

#[test]
fn judge_reports_r_numbers() {
    let doc: serde_json::Value = serde_json::from_str(CASES).unwrap();
    let case = doc["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "normal_600_600_shift")
        .unwrap();
    // judge(control, experiment): y is the control
    let v = judge(&floats(&case["y"]), &floats(&case["x"]), &JudgeConfig::default());
    let ci = floats(&case["ci"]);
    assert!(rel(v.p_value.unwrap(), num(&case["p_value"])) <= 1e-9);
    assert!((v.estimate.unwrap() - num(&case["estimate"])).abs() <= 1e-4);
    let (lo, hi) = v.ci.unwrap();
    assert!((lo - ci[0]).abs() <= 1e-4 && (hi - ci[1]).abs() <= 1e-4);
}
