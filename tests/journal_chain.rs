//! The journal's hash chain: a real release's journal verifies; a line edited, removed,
//! inserted or moved is found with its line number; a line torn by a crash is tolerated
//! where a crash leaves one, also when the next run appends to the same file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use shipdeck::engine::{Actor, EventKind, LogEntry, PhaseName};
use shipdeck::journal::Journal;
use shipdeck::journal_chain::{Break, verify};

fn entry(message: &str) -> LogEntry {
    LogEntry {
        time: "2026-12-03T10:00:00Z".parse().unwrap(),
        actor: Actor::person("ana", None),
        event: EventKind::Note,
        message: message.into(),
        state: PhaseName::Running,
    }
}

/// A journal of `count` lines written by one run.
fn journal(dir: &Path, count: usize) -> PathBuf {
    let path = dir.join("j.jsonl");
    let mut journal = Journal::open(&path).unwrap();
    for i in 0..count {
        journal.append(&entry(&format!("line {}", i + 1))).unwrap();
    }
    journal.sync().unwrap();
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn joined(lines: &[String]) -> Vec<u8> {
    let mut text = lines.join("\n");
    text.push('\n');
    text.into_bytes()
}

fn shipdeck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shipdeck"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_real_release_s_journal_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("release.jsonl");
    let path_text = path.to_str().unwrap();
    let run = shipdeck(&[
        "run",
        "--headless",
        "--yes",
        "--speed",
        "2000",
        "plans/canary.yaml",
        "--journal",
        path_text,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let out = shipdeck(&["journal", "verify", path_text]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = lines(&path).len();
    assert!(count > 10);
    assert!(
        said.contains(&format!("{count} lines, 1 run, every line chained to the one before")),
        "{said}"
    );
}

#[test]
fn an_edit_a_removal_an_insertion_or_a_move_is_found_with_its_line_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal(dir.path(), 6);
    let original = lines(&path);
    assert_eq!(verify(&joined(&original)).map(|c| (c.lines, c.runs)), Ok((6, 1)));

    let mut edited = original.clone();
    edited[2] = edited[2].replace("line 3", "line 3 (nothing happened)");
    assert_eq!(
        verify(&joined(&edited)),
        Err(Break::Broken { line: 4 }),
        "the line after the edit"
    );

    let mut removed = original.clone();
    removed.remove(3);
    assert_eq!(verify(&joined(&removed)), Err(Break::Broken { line: 4 }));

    let mut inserted = original.clone();
    inserted.insert(2, original[4].clone());
    assert_eq!(verify(&joined(&inserted)), Err(Break::Broken { line: 3 }));

    let mut moved = original.clone();
    moved.swap(1, 2);
    assert_eq!(verify(&joined(&moved)), Err(Break::Broken { line: 2 }));

    let mut cut = original.clone();
    cut.remove(0);
    assert_eq!(
        verify(&joined(&cut)),
        Err(Break::Broken { line: 1 }),
        "its start removed"
    );

    let mut garbage = original.clone();
    garbage[3] = "not a journal line".into();
    assert_eq!(verify(&joined(&garbage)), Err(Break::NotALine { line: 4 }));

    // The command says where, with the file, and exits 1.
    std::fs::write(&path, joined(&edited)).unwrap();
    let out = shipdeck(&["journal", "verify", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("j.jsonl: the chain breaks at line 4: it does not follow line 3 as that line stands"),
        "{said}"
    );
}

#[test]
fn a_line_torn_by_a_crash_is_tolerated_and_the_next_run_chains_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = journal(dir.path(), 4);
    // A crash in the middle of writing line 4.
    let text = std::fs::read(&path).unwrap();
    let torn_at = text.len() - 20;
    std::fs::write(&path, &text[..torn_at]).unwrap();
    let chain = verify(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!((chain.lines, chain.torn.clone()), (4, vec![4]));

    // The next run appends to the same file: the torn line is ended and chained to.
    let mut next = Journal::open(&path).unwrap();
    next.append(&entry("resumed")).unwrap();
    next.append(&entry("after")).unwrap();
    next.sync().unwrap();
    let chain = verify(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!((chain.lines, chain.runs, chain.torn), (6, 2, vec![4]));
    let out = shipdeck(&["journal", "verify", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("6 lines, 2 runs, every line chained to the one before; torn by a crash (tolerated): line 4")
    );

    // A torn line anywhere else is not a crash's.
    let mut broken = lines(&path);
    broken[1] = broken[1][..30].to_string();
    assert_eq!(verify(&joined(&broken)), Err(Break::NotALine { line: 2 }));
}

#[test]
fn a_journal_that_cannot_be_read_exits_2() {
    let out = shipdeck(&["journal", "verify", "/nonexistent/j.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the journal"));
    let out = shipdeck(&["journal", "verify", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(2), "a device is not read");
}
