//! The binary's command line: exit codes and messages a script can rely on.

use std::process::Command;

fn shipdeck(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .output()
        .expect("run shipdeck")
}

#[test]
fn check_accepts_every_shipped_plan_with_one_line_each() {
    let out = shipdeck(&[
        "check",
        "plans/canary.yaml",
        "plans/blue-green.yaml",
        "plans/rolling.yaml",
        "plans/hotfix.yaml",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}

#[test]
fn check_rejects_a_bad_plan_with_located_lines_and_exit_2() {
    let dir = std::env::temp_dir().join(format!("shipdeck-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("typo.yaml");
    let text = std::fs::read_to_string("plans/canary.yaml")
        .unwrap()
        .replace("weight: 25", "wieght: 25");
    std::fs::write(&bad, text).unwrap();
    let out = shipdeck(&["check", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("typo.yaml:") && err.contains("wieght"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unwritable_journal_is_an_error_before_anything_starts() {
    let out = shipdeck(&["demo", "--headless", "--journal", "/proc/shipdeck/j.jsonl"]);
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot write the journal /proc/shipdeck/j.jsonl"), "{err}");
    assert!(err.contains("--journal"), "says what to do: {err}");
}

#[test]
fn an_unknown_scenario_is_refused_with_the_choices() {
    let out = shipdeck(&["demo", "--scenario", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad-canary"));
}
