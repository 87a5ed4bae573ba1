//! The cockpit offers only what the engine will do: for random key presses on the
//! simulator, no key is offered (in the footer, in the header's advice, as a dialog's
//! question) and then refused by the engine; a refused key says why on the screen; the
//! checklist selection never points at a row that does not exist.

use std::sync::Arc;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use shipdeck::engine::{Actor, Command, EventKind, PhaseName, Release};
use shipdeck::sim::{Harness, Scenario};
use shipdeck::ui::app::{Dialog, UiState};
use shipdeck::ui::draw;
use shipdeck::ui::theme::Theme;

fn harness(scenario: Scenario, seed: u64) -> Harness {
    let plan = shipdeck::plan::load(std::path::Path::new("plans/canary.yaml")).expect("plan");
    let start = "2026-11-22T10:00:00Z".parse().unwrap();
    Harness::new(Arc::new(plan), scenario, seed, start, false)
}

fn operator() -> Actor {
    Actor::person("ana", None)
}

fn screen_text(release: &Release, ui: &UiState, now: chrono::DateTime<chrono::Utc>, (w, h): (u16, u16)) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| draw::draw(frame, release, ui, &Theme::mono(), now))
        .unwrap();
    let buf = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The footer is the last row; the header the rows above the tab bar or the first pane.
fn footer(text: &str) -> &str {
    text.lines().last().unwrap_or("")
}

fn header(text: &str) -> String {
    text.lines()
        .take_while(|l| !l.contains("1-4 switch") && !l.starts_with('┏'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sends a key through the UI and its commands to the engine, as the cockpit does.
fn press(h: &mut Harness, ui: &mut UiState, key: KeyEvent) -> Vec<Command> {
    let commands = ui.on_key(key, &h.release);
    for command in &commands {
        h.command(command.clone(), operator());
    }
    commands
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

/// What the screen offers must be what the engine allows, at both sizes.
fn assert_offers_are_honest(h: &Harness, ui: &UiState) {
    let r = &h.release;
    let advance = r.refusal(&Command::Advance { from: r.stage() });
    for size in [(80, 24), (160, 48)] {
        let text = screen_text(r, ui, h.now(), size);
        let foot = footer(&text);
        if foot.contains(" n next") {
            assert_eq!(advance, None, "footer offers n at {size:?}:\n{text}");
        }
        if header(&text).contains("n goes on") {
            assert_eq!(advance, None, "header advises n at {size:?}:\n{text}");
        }
        if foot.contains(" p pause") {
            assert_eq!(r.refusal(&Command::Pause), None, "footer offers pause:\n{text}");
        }
        if foot.contains(" p resume") {
            assert_eq!(r.refusal(&Command::Resume), None, "footer offers resume:\n{text}");
        }
    }
    if let Some(Dialog::Confirm(confirm)) = &ui.dialog {
        assert_eq!(r.refusal(&confirm.command), None, "dialog asks {:?}", confirm.title);
    }
}

const KEYS: &[char] = &['n', 'p', 'a', ' ', 'j', 'k', '\t', 'l', 'h', '?', 'x'];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn no_key_is_offered_and_then_refused(
        scenario in prop::sample::select(vec![Scenario::Healthy, Scenario::BadCanary, Scenario::SlowBurn, Scenario::FlakyMetrics]),
        seed in 0u64..1000,
        steps in prop::collection::vec((0usize..KEYS.len(), 0i64..90), 1..40),
    ) {
        let mut h = harness(scenario, seed);
        let mut ui = UiState::new(operator());
        for (k, wait) in steps {
            assert_offers_are_honest(&h, &ui);
            let key = match KEYS[k] {
                '\t' => KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE),
                'x' => KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE),
                c => key(c),
            };
            let before = h.release.log().len();
            let sent = press(&mut h, &mut ui, key);
            // A refusal by the engine is on the screen, in the notice, word for word.
            let refused: Vec<_> = h.release.log().iter().skip(before).filter(|e| e.event == EventKind::Refused).collect();
            if let Some(entry) = refused.first() {
                prop_assert_eq!(ui.notice.as_deref(), Some(entry.message.as_str()), "sent {:?}", sent);
                let text = screen_text(&h.release, &ui, h.now(), (80, 24));
                prop_assert!(text.contains("✖ cannot") || text.contains("✖ refused") || text.contains("✖ no "), "{}", text);
            }
            if let Some(row) = ui.checklist_row(&h.release) {
                let p = h.release.progress(h.release.stage()).unwrap();
                prop_assert!(row < p.items.len() + p.approvals.len());
            }
            h.run_for(wait);
        }
    }
}

#[test]
fn a_new_stage_selects_its_first_open_row_and_enter_signs_it() {
    let mut h = harness(Scenario::Healthy, 1);
    let mut ui = UiState::new(operator());
    // Tick every go/no-go item top down, as people do, leaving the cursor on the last row
    // (which the next stage may not have).
    let rows = h.release.progress(0).unwrap().items.len();
    for _ in 0..rows {
        press(&mut h, &mut ui, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        press(&mut h, &mut ui, key('j'));
    }
    assert!(h.release.progress(0).unwrap().items.iter().all(Option::is_some));
    // Sign what stage 1 asks for, then wait for stage 2 to need its own signature.
    let approvals: Vec<String> = h
        .release
        .progress(0)
        .unwrap()
        .approvals
        .iter()
        .map(|(r, _)| r.clone())
        .collect();
    for role in approvals {
        h.command(Command::Approve { role }, operator());
    }
    assert!(h.run_until(3600, |r| {
        r.stage() >= 1
            && r.progress(r.stage())
                .is_some_and(|p| p.approvals.iter().any(|(_, s)| s.is_none()))
    }));
    let stage = h.release.stage();
    let progress = h.release.progress(stage).unwrap();
    let first_open =
        progress.items.iter().position(Option::is_none).unwrap_or_else(|| {
            progress.items.len() + progress.approvals.iter().position(|(_, s)| s.is_none()).unwrap()
        });
    assert_eq!(ui.checklist_row(&h.release), Some(first_open));
    // Enter acts on that row at once: no refusal, something signed or ticked.
    let before = h.release.log().len();
    press(&mut h, &mut ui, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let new: Vec<_> = h.release.log().iter().skip(before).map(|e| e.event).collect();
    assert!(
        new.iter()
            .any(|e| matches!(e, EventKind::ItemTicked | EventKind::Approved)),
        "{new:?}"
    );
    assert_eq!(ui.notice, None);
}

#[test]
fn after_promotion_abort_is_not_offered_and_says_why() {
    let mut h = harness(Scenario::Healthy, 3);
    let mut ui = UiState::new(operator());
    // The simulated crew is off: the test signs everything itself.
    for _ in 0..6 {
        let stage = h.release.stage();
        sign_stage(&mut h);
        h.run_until(7200, |r| r.stage() != stage || r.phase().is_over());
    }
    assert_eq!(h.release.phase(), PhaseName::Done, "{:?}", h.release.holds());
    press(&mut h, &mut ui, key('a'));
    assert!(ui.dialog.is_none(), "no question the engine will refuse");
    assert!(
        ui.notice.as_deref().is_some_and(|n| n.starts_with("cannot abort")),
        "{:?}",
        ui.notice
    );
    let text = screen_text(&h.release, &ui, h.now() + Duration::seconds(1), (80, 24));
    assert!(text.contains("✖ cannot abort: already promoted"), "{text}");
    assert!(
        !footer(&text).contains(" n next") && !footer(&text).contains(" p pause"),
        "{text}"
    );
    // The next key clears the notice.
    press(&mut h, &mut ui, key('?'));
    assert_eq!(ui.notice, None);
    // Help says which keys the release would refuse now, and why.
    let text = screen_text(&h.release, &ui, h.now() + Duration::seconds(1), (160, 48));
    assert!(text.contains("not now: cannot abort: already promoted"), "{text}");
    assert!(text.contains("not now: cannot advance"), "{text}");
    assert!(text.contains("not now: cannot pause"), "{text}");
    assert!(
        text.contains("ROLL BACK now (any screen; Ctrl-R in text fields)"),
        "{text}"
    );
}

#[test]
fn a_draft_note_survives_a_rollback_from_the_editor() {
    let mut h = harness(Scenario::Healthy, 1);
    let mut ui = UiState::new(operator());
    press(&mut h, &mut ui, key('e'));
    for c in "db latency".chars() {
        press(&mut h, &mut ui, key(c));
    }
    let text = screen_text(&h.release, &ui, h.now(), (80, 24));
    assert!(
        footer(&text).contains("Ctrl-R ROLL BACK") && !footer(&text).contains(" R ROLL BACK"),
        "{text}"
    );
    let sent = press(
        &mut h,
        &mut ui,
        KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL),
    );
    assert_eq!(sent, vec![Command::Rollback, Command::Note("db latency".into())]);
    let log: Vec<_> = h.release.log().iter().map(|e| (e.event, e.message.clone())).collect();
    assert!(
        log.iter().any(|(e, m)| *e == EventKind::Note && m == "db latency"),
        "{log:?}"
    );
}

#[test]
fn escape_clears_a_kept_filter() {
    let mut h = harness(Scenario::Healthy, 1);
    let mut ui = UiState::new(operator());
    press(&mut h, &mut ui, key('/'));
    press(&mut h, &mut ui, key('g'));
    press(&mut h, &mut ui, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    assert_eq!((ui.filter.as_str(), ui.filter_editing), ("g", false), "kept");
    press(&mut h, &mut ui, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert_eq!(ui.filter, "", "Esc clears the kept filter, as the help says");
}

#[test]
fn the_too_small_screen_shows_the_result_of_a_rollback() {
    let mut h = harness(Scenario::Healthy, 1);
    let mut ui = UiState::new(operator());
    let before = screen_text(&h.release, &ui, h.now(), (70, 20));
    assert!(before.contains("R ROLL BACK") && before.contains("PENDING"), "{before}");
    press(&mut h, &mut ui, key('R'));
    h.run_for(2);
    let after = screen_text(&h.release, &ui, h.now(), (70, 20));
    assert!(after.contains("ROLLED BACK"), "{after}");
    assert!(after.contains("terminal too small"), "{after}");
}

#[test]
fn a_coming_automatic_rollback_is_the_first_thing_the_header_says() {
    let mut h = harness(Scenario::BadCanary, 1);
    let mut ui = UiState::new(operator());
    // Sign and tick as the crew would, until a trigger counts down to a rollback.
    let coming = |r: &Release| r.rollback_coming(r.log().back().map_or_else(chrono::Utc::now, |e| e.time));
    for _ in 0..8 {
        let stage = h.release.stage();
        sign_stage(&mut h);
        if h.run_until(1800, |r| {
            r.stage() != stage || r.phase().is_over() || coming(r).is_some()
        }) && coming(&h.release).is_some()
        {
            break;
        }
    }
    let now = h.now();
    let countdown = h.release.rollback_coming(now).expect("a trigger counting down");
    ui.focus = shipdeck::ui::app::Pane::Metrics;
    for size in [(80, 24), (160, 48)] {
        let text = screen_text(&h.release, &ui, now, size);
        let head = header(&text);
        assert!(head.contains("AUTOMATIC ROLLBACK IN"), "{size:?}:\n{head}");
        assert!(head.contains(&countdown.trigger), "{head}");
        assert!(
            !head.contains("no holds"),
            "no all-clear while a rollback is coming:\n{head}"
        );
    }
    // And it comes: the countdown was the truth.
    assert!(h.run_until(600, |r| r.phase() == PhaseName::RolledBack));
}

#[test]
fn enter_on_the_log_shows_the_line_in_full_and_names_fit_their_column() {
    let mut h = harness(Scenario::Healthy, 1);
    let mut ui = UiState::new(operator());
    let long = "the payment provider's sandbox answered 502 for three minutes; support ticket 4411 opened, \
                they confirm a regional outage unrelated to this release";
    h.command(Command::Note(long.into()), Actor::person("kim (sim crew)", None));
    press(&mut h, &mut ui, key('4'));
    let pane = screen_text(&h.release, &ui, h.now(), (80, 24));
    assert!(pane.contains("kim (sim crew)"), "the actor's name is not cut:\n{pane}");
    assert!(!pane.contains(&long[60..]), "the pane cuts the message:\n{pane}");
    press(&mut h, &mut ui, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    let full = screen_text(&h.release, &ui, h.now(), (80, 24));
    assert!(full.contains("Log line"), "{full}");
    let words: String = full
        .replace(['║', '┃'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for part in [
        "regional outage unrelated to this release",
        "kim (sim crew)",
        "support ticket 4411",
    ] {
        assert!(words.contains(part), "{part} missing:\n{full}");
    }
    press(&mut h, &mut ui, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(ui.dialog.is_none());
}

#[test]
fn an_unreachable_metrics_source_says_why_in_the_metrics_pane_before_go() {
    use shipdeck::engine::{Event, Observation, Reading};
    let mut h = harness(Scenario::Healthy, 1);
    let mut ui = UiState::new(operator());
    let why = "prometheus: connection refused (127.0.0.1:9090)";
    let now = h.now();
    for metric in 0..h.release.plan().metrics.len() {
        let sample = Observation::Sample {
            metric,
            canary: Reading::NoData(why.into()),
            baseline: Reading::NoData(why.into()),
            at: now,
        };
        h.release.handle(Event::Observe(sample), now);
    }
    press(&mut h, &mut ui, key('2'));
    for size in [(80, 24), (160, 48)] {
        let text = screen_text(&h.release, &ui, now, size);
        assert!(
            text.contains("base   ? no data: prometheus: connection refused"),
            "{size:?}:\n{text}"
        );
    }
}

/// Ticks, signs and waits as a diligent crew would, until `done` or the release ends.
fn drive_until(h: &mut Harness, done: impl Fn(&Release) -> bool) -> bool {
    for _ in 0..10 {
        let stage = h.release.stage();
        sign_stage(h);
        if h.run_until(1800, |r| r.stage() != stage || r.phase().is_over() || done(r)) && done(&h.release) {
            return true;
        }
    }
    false
}

#[test]
fn a_verdict_from_before_a_data_gap_says_so() {
    use shipdeck::engine::DataStatus;
    let mut h = harness(Scenario::FlakyMetrics, 1);
    let mut ui = UiState::new(operator());
    let gap = |r: &Release| {
        let now = r.log().back().map_or_else(chrono::Utc::now, |e| e.time) + Duration::seconds(1);
        r.stage_judgement().is_some() && !matches!(r.data_health(now).1, DataStatus::Fresh { .. })
    };
    assert!(
        drive_until(&mut h, gap),
        "the flaky source never dropped out after a verdict"
    );
    let stale_now = |h: &Harness| h.release.stale_verdict(h.now()).is_some();
    for _ in 0..300 {
        if stale_now(&h) {
            break;
        }
        h.step();
    }
    assert!(stale_now(&h));
    // The header says it before the holds, at both sizes.
    for size in [(80, 24), (160, 48)] {
        let text = screen_text(&h.release, &ui, h.now(), size);
        let head = header(&text);
        assert!(head.contains("⚠ judge's ✔ PASS is stale: from"), "{text}");
        let (stale, held) = (
            head.find("is stale").unwrap(),
            head.find("HELD because").unwrap_or(usize::MAX),
        );
        assert!(stale < held, "{text}");
    }
    press(&mut h, &mut ui, key('2'));
    let text = screen_text(&h.release, &ui, h.now(), (80, 24));
    assert!(text.contains("as of") && text.contains("(data gap)"), "{text}");
}

#[test]
fn an_open_checklist_after_go_reads_as_waiting_not_as_a_fault() {
    let mut h = harness(Scenario::Healthy, 2);
    let ui = UiState::new(operator());
    let last = h.release.plan().stages.len() - 1;
    let waiting = |r: &Release| r.stage() == last && r.phase() == PhaseName::Held;
    assert!(drive_until_stage(&mut h, last), "never reached the last stage");
    assert!(h.run_until(600, waiting), "{:?}", h.release.holds());
    let text = screen_text(&h.release, &ui, h.now(), (80, 24));
    assert!(header(&text).contains("WAITING FOR: checklist"), "{text}");
    assert!(!header(&text).contains("HELD because"), "{text}");
}

/// Signs every stage before `stage`, then leaves that one's checklist to people.
fn drive_until_stage(h: &mut Harness, stage: usize) -> bool {
    for _ in 0..12 {
        let now_at = h.release.stage();
        if now_at >= stage {
            return true;
        }
        sign_stage(h);
        h.run_until(3600, |r| r.stage() != now_at || r.phase().is_over());
    }
    h.release.stage() >= stage
}

/// Ticks every open item and signs every approval of the current stage, as a diligent crew.
fn sign_stage(h: &mut Harness) {
    let Some(p) = h.release.progress(h.release.stage()).cloned() else {
        return;
    };
    for (item, ticked) in p.items.iter().enumerate() {
        if ticked.is_none() {
            h.command(Command::ToggleItem { item }, operator());
        }
    }
    for (role, _) in p.approvals {
        h.command(Command::Approve { role }, operator());
    }
}
