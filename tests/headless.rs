//! Headless mode on the real binary: the log on stdout, the outcome in the exit code.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn shipdeck(args: &[&str], journal: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .arg("--journal")
        .arg(journal)
        .env("USER", "ci-bot")
        .output()
        .expect("run shipdeck")
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("shipdeck-headless-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("journal.jsonl")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_healthy_release_is_promoted_and_exits_0_with_one_event_per_line() {
    let journal = temp("healthy");
    let out = shipdeck(&["demo", "--headless", "--speed", "2000"], &journal);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("PROMOTED"), "{text}");
    for line in text.lines() {
        assert!(
            line.len() > 21 && line.as_bytes()[4] == b'-' && line.as_bytes()[19] == b'Z',
            "not one event: {line}"
        );
    }
    let recorded = std::fs::read_to_string(&journal).unwrap().lines().count();
    assert_eq!(
        recorded,
        text.lines().count(),
        "stdout and journal carry the same events"
    );
}

#[test]
fn a_bad_canary_rolls_back_and_exits_3() {
    let journal = temp("bad");
    let out = shipdeck(
        &["demo", "--headless", "--scenario", "bad-canary", "--speed", "2000"],
        &journal,
    );
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    assert!(stdout(&out).contains("rolled back"));
}

#[test]
fn without_yes_a_release_waiting_for_signatures_holds_and_exits_4() {
    let journal = temp("noyes");
    let out = shipdeck(&["run", "--headless", "plans/canary.yaml"], &journal);
    assert_eq!(out.status.code(), Some(4));
    assert!(stdout(&out).contains("pass --yes"), "{}", stdout(&out));
}

#[test]
fn yes_signs_as_the_operator_and_the_journal_says_so() {
    let journal = temp("yes");
    let out = shipdeck(
        &["run", "--headless", "--yes", "--speed", "2000", "plans/hotfix.yaml"],
        &journal,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains("security approval signed by ci-bot (headless --yes)"),
        "{text}"
    );
}

#[test]
fn an_invalid_plan_exits_2() {
    let journal = temp("invalid");
    let out = shipdeck(&["run", "--headless", "tests/fixtures/weight_120.yaml"], &journal);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("weight_120.yaml:"));
}

#[test]
fn a_signal_leaves_traffic_where_it_is_journals_the_stop_and_exits_4() {
    for signal in ["INT", "TERM", "HUP"] {
        let journal = temp(&format!("sig{signal}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_shipdeck"))
            .args([
                "run",
                "--headless",
                "--yes",
                "--speed",
                "5",
                "plans/canary.yaml",
                "--journal",
            ])
            .arg(&journal)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Wait for the first traffic shift to be confirmed.
        let shifted = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.contains("router confirms canary weight 5%"));
        assert!(shifted);
        let status = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(child.wait().unwrap().code(), Some(4), "SIG{signal}");
        let text = std::fs::read_to_string(&journal).unwrap();
        let last = text.lines().last().unwrap();
        assert!(
            last.contains(&format!("stopped by SIG{signal}")) && last.contains("canary weight 5%"),
            "{last}"
        );
        assert!(!text.contains("rollback_started"), "a stop must not move traffic");
    }
}
