//! The built binary in a pseudo-terminal: the flows a person sees.

mod pty;

use std::time::Duration;

use pty::Pty;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn bad_canary_demo_rolls_back_by_itself() {
    let pty = Pty::spawn(&["demo", "--scenario", "bad-canary", "--speed", "400"], 160, 48);
    assert!(pty.wait_text("ROLLED BACK", LIMIT), "screen:\n{}", pty.text());
    let journal = std::fs::read_dir(pty.dir.join(".shipdeck"))
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .expect("journal written")
        .path();
    // The journal has its own thread: the screen may show the rollback a moment before the
    // line reaches the file.
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let text = std::fs::read_to_string(&journal).unwrap();
        if text.contains("\"event\":\"rolled_back\"") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "journal:\n{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn rollback_key_shows_on_the_next_frame_and_records_who() {
    // A slow clock and no crew: nothing else changes the screen, so the first frame after
    // the key is the key's own.
    let mut pty = Pty::spawn(&["demo", "--speed", "0.1", "--manual", "--journal", "j.jsonl"], 160, 48);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    assert!(
        pty.wait_quiet(Duration::from_millis(500), LIMIT),
        "the screen never settles"
    );
    let before = pty.text();
    pty.send(b"R");
    assert!(
        pty.wait_for(Duration::from_secs(5), |s| s != before),
        "no frame after R"
    );
    let next = pty.text();
    assert!(
        next.contains("ROLLING BACK") || next.contains("ROLLED BACK"),
        "next frame:\n{next}"
    );
    assert!(pty.wait_text("ROLLED BACK", LIMIT));
    let journal = std::fs::read_to_string(pty.dir.join("j.jsonl")).unwrap();
    let line = journal
        .lines()
        .find(|l| l.contains("rollback_started"))
        .expect("rollback journaled");
    assert!(line.contains("pty-tester") && line.contains("192.0.2.7"), "{line}");
}

#[test]
fn rollback_works_while_the_terminal_is_not_reading() {
    // An SSH link that stalls without dropping: the screen's output fills the terminal's
    // buffer and writing it blocks. The release must not wait for the screen.
    let mut pty = Pty::spawn(&["demo", "--speed", "0.1", "--manual", "--journal", "j.jsonl"], 160, 48);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    pty.pause_reading();
    // Each help toggle repaints much of the screen: together far more than the terminal
    // buffers.
    for _ in 0..100 {
        pty.send(b"?");
    }
    pty.send(b"R");
    let journal = pty.dir.join("j.jsonl");
    let rolled_back = || std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("rollback_started"));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !rolled_back() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        rolled_back(),
        "R was not acted on while the terminal was not reading:\n{}",
        pty.text()
    );
    // Reading again: the screen catches up with a full repaint.
    pty.resume_reading();
    assert!(pty.wait_text("ROLLED BACK", LIMIT), "screen:\n{}", pty.text());
}

#[test]
fn rollback_works_with_a_dialog_open() {
    let mut pty = Pty::spawn(&["demo", "--speed", "5"], 160, 48);
    assert!(pty.wait_text("PENDING", LIMIT));
    pty.send(b"e"); // notes editor: R is a letter here, Ctrl-R is rollback
    pty.send(b"R");
    pty.send(b"\x12");
    assert!(
        pty.wait_for(LIMIT, |s| s.contains("ROLLING BACK") || s.contains("ROLLED BACK")),
        "{}",
        pty.text()
    );
    pty.send(b"?");
    pty.send(b"R");
    assert!(pty.wait_text("ROLLED BACK", LIMIT));
}

#[test]
fn q_asks_while_live_then_exits_and_restores_the_terminal() {
    let mut pty = Pty::spawn(&["demo", "--speed", "5"], 80, 24);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    assert!(pty.alternate_screen());
    pty.send(b"q");
    assert!(
        pty.wait_text("Quit", Duration::from_secs(5)),
        "no quit question:\n{}",
        pty.text()
    );
    pty.send(b"\r");
    assert_eq!(pty.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(!pty.alternate_screen(), "still in the alternate screen");
    pty.with_screen(|s| {
        let raw = String::from_utf8_lossy(&s.raw);
        assert!(raw.contains("\x1b[?1049l"), "alternate screen not left");
        assert!(raw.contains("\x1b[?25h"), "cursor not shown again");
    });
}

#[test]
fn signals_from_kill_close_the_journal_and_restore_the_terminal() {
    // In raw mode Ctrl-C is a key; SIGINT and SIGQUIT can still come from `kill`.
    for signal in ["INT", "QUIT", "TERM", "HUP"] {
        let mut pty = Pty::spawn(&["demo", "--speed", "5", "--journal", "j.jsonl"], 80, 24);
        assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), pty.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        assert_eq!(pty.wait_exit(Duration::from_secs(10)), Some(0), "SIG{signal}");
        pty.with_screen(|s| {
            let raw = String::from_utf8_lossy(&s.raw);
            assert!(raw.contains("\x1b[?1049l"), "SIG{signal}: alternate screen not left");
        });
        let journal = std::fs::read_to_string(pty.dir.join("j.jsonl")).unwrap();
        assert!(
            journal.contains(&format!("SIG{signal}")),
            "SIG{signal} not in the close note:\n{journal}"
        );
    }
}

/// Signals that would end the process by default and do not mean "stop" are ignored: the
/// cockpit keeps running and answering keys, and says so in the debug log. (Today SIGUSR1,
/// SIGUSR2 and SIGALRM left the terminal in the alternate screen, cursor hidden.)
#[test]
fn other_signals_are_ignored_and_the_cockpit_keeps_going() {
    let kill = |signal: &str, pid: u32| {
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    let mut pty = Pty::spawn(&["demo", "--speed", "5", "--journal", "j.jsonl"], 80, 24);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    for signal in ["USR1", "USR2", "ALRM", "STKFLT", "RTMIN+3"] {
        kill(signal, pty.pid());
    }
    // Still here, still answering: the help opens and closes.
    pty.send(b"?");
    assert!(pty.wait_text("keys", LIMIT), "help after the signals:\n{}", pty.text());
    pty.send(b"?");
    kill("TERM", pty.pid());
    assert_eq!(pty.wait_exit(Duration::from_secs(10)), Some(0));
    pty.with_screen(|s| {
        let raw = String::from_utf8_lossy(&s.raw);
        assert!(raw.contains("\x1b[?1049l"), "alternate screen not left");
    });
    let logs = std::fs::read_dir(pty.dir.join(".shipdeck/logs")).unwrap();
    let log: String = logs
        .flatten()
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    for signal in ["SIGUSR1", "SIGUSR2", "SIGALRM", "SIGSTKFLT", "a real-time signal"] {
        assert!(
            log.contains(&format!("signal ignored signal={signal:?}")) || log.contains(signal),
            "{signal}:\n{log}"
        );
    }
}

#[test]
fn a_tiny_terminal_gets_a_notice_that_recovers() {
    let mut pty = Pty::spawn(&["demo", "--speed", "5"], 60, 20);
    assert!(pty.wait_text("too small", LIMIT), "screen:\n{}", pty.text());
    // Too small still shows the state and the rollback key.
    let small = pty.text();
    assert!(
        small.contains("checkout-api") && small.contains("R ROLL BACK"),
        "{small}"
    );
    // ... and what R did.
    pty.send(b"R");
    assert!(
        pty.wait_text("ROLLED BACK", LIMIT),
        "R unseen when too small:
{}",
        pty.text()
    );
    assert!(pty.text().contains("too small"), "{}", pty.text());
    pty.resize(80, 24);
    assert!(
        pty.wait_text("1 Stages", LIMIT),
        "no recovery after resize:\n{}",
        pty.text()
    );
    assert!(!pty.text().contains("too small"));
}

/// A release manager at 80x24 with no crew: tick the go/no-go list top down, then sign the
/// next stage's approval with Enter at once; a refused key says why on the screen.
#[test]
fn at_80x24_signing_works_after_the_checklist_and_refusals_are_on_screen() {
    let mut pty = Pty::spawn(&["demo", "--speed", "1", "--manual", "--journal", "j.jsonl"], 80, 24);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    // Advancing before go is refused: the reason shows above the footer, not only in the log.
    pty.send(b"n");
    assert!(
        pty.wait_text("✖ cannot advance", Duration::from_secs(10)),
        "refusal not on screen:\n{}",
        pty.text()
    );
    let journal = pty.dir.join("j.jsonl");
    let journaled = |needle: &str| std::fs::read_to_string(&journal).map_or(0, |j| j.matches(needle).count());
    let items = 5;
    for done in 1..=items {
        pty.send(b" ");
        assert!(
            pty.wait_for(Duration::from_secs(10), |_| journaled("item_ticked") >= done),
            "item {done} not ticked:\n{}",
            pty.text()
        );
        pty.send(b"j");
    }
    // Stage 2 asks for the team's signature: Enter signs it, with no cursor games.
    assert!(
        pty.wait_text("needs a signature", LIMIT) || pty.text().contains("approval"),
        "{}",
        pty.text()
    );
    pty.send(b"\r");
    assert!(
        pty.wait_for(Duration::from_secs(10), |_| journaled("\"approved\"") >= 1),
        "Enter signed nothing:\n{}",
        pty.text()
    );
}

/// The journal's text, or nothing yet.
fn journal_of(pty: &Pty, name: &str) -> String {
    std::fs::read_to_string(pty.dir.join(name)).unwrap_or_default()
}

/// A release manager at 80x24 writes a note: the footer offers the text field's keys (an
/// `R` typed is a letter), Ctrl-R rolls back and keeps the draft as a note; after the end
/// the footer offers nothing that would be refused.
#[test]
fn at_80x24_a_note_keeps_its_draft_through_a_rollback_and_the_footer_follows() {
    let mut pty = Pty::spawn(&["demo", "--speed", "1", "--manual", "--journal", "j.jsonl"], 80, 24);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    // The go/no-go list is longer than the pane: the frame says how much is out of sight.
    assert!(pty.wait_text("↓ 1 more", LIMIT), "{}", pty.text());
    pty.send(b"e");
    assert!(
        pty.wait_text("Ctrl-R ROLL BACK (the note is kept)", LIMIT),
        "{}",
        pty.text()
    );
    assert!(
        !pty.text().contains(" R ROLL BACK "),
        "R is a letter here:\n{}",
        pty.text()
    );
    pty.send(b"Rollout paused for DB");
    assert!(pty.wait_text("Rollout paused for DB", LIMIT), "{}", pty.text());
    assert!(!journal_of(&pty, "j.jsonl").contains("rollback_started"));
    pty.send(b"\x12");
    assert!(pty.wait_text("ROLLED BACK", LIMIT), "{}", pty.text());
    assert!(
        pty.wait_for(LIMIT, |_| journal_of(&pty, "j.jsonl")
            .contains("\"message\":\"Rollout paused for DB\"")),
        "the draft was lost:\n{}",
        journal_of(&pty, "j.jsonl")
    );
    // Ended: no next stage, no pause on offer.
    let footer = pty.text().lines().last().unwrap_or_default().to_string();
    assert!(!footer.contains("n next") && !footer.contains("p pause"), "{footer}");
}

/// A kept log filter is cleared by Esc, as help says.
#[test]
fn at_80x24_escape_clears_a_kept_log_filter() {
    let mut pty = Pty::spawn(&["demo", "--speed", "1", "--manual"], 80, 24);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    pty.send(b"4");
    assert!(pty.wait_text("▶ 4 Log", LIMIT), "{}", pty.text());
    pty.send(b"/zzqq\r");
    assert!(pty.wait_text("zzqq", LIMIT), "filter not shown:\n{}", pty.text());
    pty.send(b"\x1b");
    assert!(
        pty.wait_for(Duration::from_secs(10), |s| !s.contains("zzqq")),
        "Esc kept the filter:\n{}",
        pty.text()
    );
}

/// A weight dialled by hand at 25%: the header says the release now moves only by hand,
/// never "no holds" with a countdown that never ends.
#[test]
fn at_80x24_a_manual_weight_says_it_stopped_auto_advance() {
    let mut pty = Pty::spawn(&["demo", "--speed", "30"], 80, 24);
    assert!(pty.wait_text("canary 25% · holding", LIMIT), "{}", pty.text());
    pty.send(b"3");
    assert!(pty.wait_text("▶ 3 Traffic", LIMIT), "{}", pty.text());
    pty.send(b"hh\r");
    assert!(pty.wait_text("Set the canary weight to 15%?", LIMIT), "{}", pty.text());
    pty.send(b"\r");
    assert!(
        pty.wait_text("HELD because: manual weight 15%", LIMIT),
        "{}",
        pty.text()
    );
    assert!(!pty.text().contains("no holds"), "{}", pty.text());
}

/// A bad canary at 80x24: the coming rollback is said with its countdown before it
/// happens, and the outcome is said in full, wrapped rather than cut.
#[test]
fn at_80x24_a_bad_canary_warns_before_it_rolls_back_and_says_why_in_full() {
    let pty = Pty::spawn(&["demo", "--scenario", "bad-canary", "--speed", "20"], 80, 24);
    assert!(pty.wait_text("AUTOMATIC ROLLBACK IN", LIMIT), "{}", pty.text());
    assert!(!pty.text().contains("no holds"), "{}", pty.text());
    assert!(pty.wait_text("ROLLED BACK", LIMIT), "{}", pty.text());
    assert!(pty.wait_text("serves all traffic", LIMIT), "cut:\n{}", pty.text());
}

/// A verdict made before the metrics source dropped out is said to be stale in the
/// header, not shown as the canary's state now.
#[test]
fn a_verdict_before_an_outage_is_called_stale() {
    let pty = Pty::spawn(&["demo", "--scenario", "flaky-metrics", "--speed", "30"], 160, 48);
    assert!(pty.wait_text("is stale: from", LIMIT), "{}", pty.text());
}

/// Slow burn held by the judge: whatever the header advises about `n` is what `n` does.
#[test]
fn at_80x24_the_header_never_advises_a_key_the_engine_refuses() {
    let mut pty = Pty::spawn(&["demo", "--scenario", "slow-burn", "--speed", "20"], 80, 24);
    assert!(pty.wait_text("HELD because", LIMIT), "{}", pty.text());
    let advised = pty.text().contains("n goes on");
    pty.send(b"n");
    let refused = pty.wait_text("✖ cannot advance", Duration::from_secs(3));
    assert!(!(advised && refused), "advised and refused:\n{}", pty.text());
}

/// A Prometheus that cannot be reached, before go: the metrics pane says why at 80x24,
/// the cause first, not only `? no data`.
#[test]
fn at_80x24_an_unreachable_prometheus_says_why_before_go() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let plan = std::fs::read_to_string("plans/canary.yaml").unwrap().replacen(
        "  stale_after: 30s",
        &format!("  source: prometheus\n  prometheus: {{ url: \"http://{closed}\" }}\n  stale_after: 30s"),
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unreachable.yaml");
    std::fs::write(&path, plan).unwrap();
    let mut pty = Pty::spawn(&["run", path.to_str().unwrap()], 80, 24);
    assert!(pty.wait_text("PENDING", LIMIT), "screen:\n{}", pty.text());
    pty.send(b"2");
    assert!(pty.wait_text("? no data: cannot connect to", LIMIT), "{}", pty.text());
    assert!(pty.text().contains("Connection refused"), "{}", pty.text());
}
