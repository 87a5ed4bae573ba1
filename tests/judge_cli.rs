//! `shipdeck judge` on the real binary: the same numbers as R's wilcox.test.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

fn judge(control: &str, experiment: &str, extra: &[&str]) -> (Option<i32>, String) {
    // One directory per call: tests run in parallel and must not read each other's files.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("shipdeck-judge-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("c.txt"), control).unwrap();
    std::fs::write(dir.join("e.txt"), experiment).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(["judge", "--control"])
        .arg(dir.join("c.txt"))
        .arg("--experiment")
        .arg(dir.join("e.txt"))
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn json_matches_r_for_a_shifted_sample() {
    // R: wilcox.test(3:10, 1:8, exact=FALSE, correct=TRUE, conf.int=TRUE, conf.level=0.98)
    // W = 46, p-value = 0.1544233, estimate 2, interval [-1.99995, 5.99995].
    let (code, out) = judge("1\n2\n3\n4\n5\n6\n7\n8\n", "[3,4,5,6,7,8,9,10]", &["--json"]);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["classification"], "Pass");
    assert!((v["p_value"].as_f64().unwrap() - 0.15442325378694155).abs() < 1e-9);
    assert_eq!(v["estimate"].as_f64().unwrap(), 2.0);
    assert!((v["ci"][0].as_f64().unwrap() + 1.99995).abs() < 1e-4);
    assert!((v["ci"][1].as_f64().unwrap() - 5.99995).abs() < 1e-4);
    assert_eq!(v["control"]["n"], 8);
}

#[test]
fn a_clearly_worse_canary_is_high_with_a_reason() {
    let control: String = (0..40).map(|i| format!("{}\n", 100 + i % 7)).collect();
    let experiment: String = (0..40).map(|i| format!("{}\n", 160 + i % 7)).collect();
    let (code, out) = judge(&control, &experiment, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("High"), "{out}");
    assert!(out.contains("reason"), "{out}");
}

#[test]
fn empty_input_is_no_data_not_a_pass() {
    let (_, out) = judge("", "1\n2\n", &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["classification"], "NoData", "{out}");
}

/// The case that used to pass: latency 13% higher on 30 samples a side, p about 4e-6.
/// By default it is High, and the text and the JSON say by which rule and numbers.
#[test]
fn the_thirteen_percent_regression_is_high_with_its_band() {
    let control = std::fs::read_to_string("tests/judge/latency_13pct/control.txt").unwrap();
    let experiment = std::fs::read_to_string("tests/judge/latency_13pct/experiment.txt").unwrap();
    let (code, out) = judge(&control, &experiment, &[]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.starts_with("High\n"), "{out}");
    assert!(
        out.contains("  band       ±3.175 (0.25 × |shift +12.7|): the interval must clear it"),
        "{out}"
    );
    assert!(
        out.contains("effect     1.133 (mean ratio); counts above 1 or below 1"),
        "{out}"
    );
    let (code, out) = judge(&control, &experiment, &["--json"]);
    assert_eq!(code, Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["classification"], "High");
    assert!((v["band"].as_f64().unwrap() - 3.175).abs() < 1e-3, "{v}");
    assert_eq!(v["band_from"], "0.25 × |shift +12.7|");
    assert_eq!(
        v["effect"],
        serde_json::json!({"kind": "mean ratio", "allowed_increase": 1.0, "allowed_decrease": 1.0})
    );
    assert!((v["effect_size"].as_f64().unwrap() - 1.133).abs() < 1e-3, "{v}");
    let (code, out) = judge(&control, &experiment, &["--min-shift", "15%"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("min_shift 15% of the baseline mean"), "{out}");
    let (code, out) = judge(&control, &experiment, &["--allowed-increase", "1.2"]);
    assert_eq!(code, Some(0), "an allowed 20% increase passes 13%: {out}");
}
