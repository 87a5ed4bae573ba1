//! Whole screens as text snapshots (snapshots/, named screen_state_size) at 80x24 and 160x48,
//! plus: every part renders at tiny sizes without panicking, the mono theme has no colour,
//! and no status is shown by colour alone.

mod support;

use chrono::{DateTime, Duration, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use shipdeck::engine::{Actor, Command, LiveFact, LiveSource, Observation, Release, RolloutProgress};
use shipdeck::ui::app::{Confirm, Dialog, Pane, UiState};
use shipdeck::ui::draw::{self, Ctx};
use shipdeck::ui::keys::Action;
use shipdeck::ui::theme::Theme;
use shipdeck::ui::{dialogs, footer, header, panes};
use support::Drive;

const SMALL: (u16, u16) = (80, 24);
const LARGE: (u16, u16) = (160, 48);

fn ui() -> UiState {
    UiState::new(Actor::person("ana", None))
}

/// Renders with the real `draw` entry point, a few seconds after the last sample.
fn screen(release: &Release, ui: &UiState, theme: &Theme, now: DateTime<Utc>, (w, h): (u16, u16)) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| draw::draw(frame, release, ui, theme, now + Duration::seconds(3)))
        .unwrap();
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::with_capacity((area.width as usize + 1) * area.height as usize);
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        for x in area.left()..area.right() {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn snap(name: &str, buf: &Buffer) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text(buf)));
}

/// Snapshots a state at both sizes; `small_focus` is the pane the 80x24 screen shows.
fn both(name: &str, d: &Drive, ui: &mut UiState, small_focus: Pane) {
    let theme = Theme::default();
    let large_focus = ui.focus;
    snap(&format!("{name}_160x48"), &screen(&d.release, ui, &theme, d.now, LARGE));
    ui.focus = small_focus;
    snap(&format!("{name}_80x24"), &screen(&d.release, ui, &theme, d.now, SMALL));
    ui.focus = large_focus;
}

#[test]
fn start() {
    let d = support::start();
    both("start", &d, &mut ui(), Pane::Stages);
}

#[test]
fn healthy_midway() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    both("healthy_midway", &d, &mut ui, Pane::Metrics);
    // The grid's threshold, and a wide but short terminal (one pane, wide header).
    ui.focus = Pane::Stages;
    snap(
        "healthy_midway_120x40",
        &screen(&d.release, &ui, &Theme::default(), d.now, (120, 40)),
    );
    snap(
        "healthy_midway_140x30",
        &screen(&d.release, &ui, &Theme::default(), d.now, (140, 30)),
    );
    // Every pane at 80x24: the one-pane layout must reach them all.
    let theme = Theme::default();
    for pane in Pane::ALL {
        ui.focus = pane;
        let name = format!("healthy_midway_{}_80x24", pane.title().to_lowercase());
        snap(&name, &screen(&d.release, &ui, &theme, d.now, SMALL));
    }
}

/// History read back at start (a failed attempt) stands left of the ┆ that marks this
/// release's start, in the muted style; the live values and every gate are this attempt's.
#[test]
fn retry_with_history() {
    let d = support::retry_with_history();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    both("retry_with_history", &d, &mut ui, Pane::Metrics);
    // The failed attempt's bars are muted; this attempt's are in the canary's colour.
    let theme = Theme::default();
    let buf = screen(&d.release, &ui, &theme, d.now, LARGE);
    let row = (0..buf.area.height)
        .find(|&y| text_row(&buf, y).contains("canary ····█"))
        .expect("the error rate's canary row");
    let mark = (0..buf.area.width)
        .find(|&x| buf[(x, row)].symbol() == "┆")
        .expect("the mark at the release's start");
    let bar = (0..mark)
        .rev()
        .find(|&x| buf[(x, row)].symbol() == "█")
        .expect("a history bar");
    assert_eq!(buf[(bar, row)].fg, theme.muted.fg.unwrap());
    assert_eq!(buf[(mark + 2, row)].fg, theme.canary.fg.unwrap());
}

fn text_row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

#[test]
fn failing_gate() {
    let d = support::failing_gate();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    both("failing_gate", &d, &mut ui, Pane::Metrics);
}

#[test]
fn missing_data() {
    let d = support::missing_data();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    ui.metric_cursor = 1;
    both("missing_data", &d, &mut ui, Pane::Metrics);
}

#[test]
fn rolling_back() {
    let d = support::rolling_back();
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    both("rolling_back", &d, &mut ui, Pane::Traffic);
}

/// An auto trigger counting down: the header's first words are the coming rollback and
/// its countdown, never an all-clear.
#[test]
fn rollback_coming() {
    let d = support::rollback_coming();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    both("rollback_coming", &d, &mut ui, Pane::Metrics);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(small.contains("⚠ AUTOMATIC ROLLBACK IN"), "{small}");
    assert!(!small.contains("no holds"), "{small}");
}

/// A gate breached for less than its `for`: said first, never "no holds".
#[test]
fn gate_breached() {
    let d = support::gate_breached();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    both("gate_breached", &d, &mut ui, Pane::Metrics);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(small.contains("⚠ gate errors under 0.5% breached"), "{small}");
    assert!(!small.contains("no holds"), "{small}");
}

/// A weight dialled by hand stops auto-advance, and the header says so.
#[test]
fn manual_weight() {
    let d = support::manual_weight();
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    both("manual_weight", &d, &mut ui, Pane::Traffic);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(small.contains("HELD because: manual weight"), "{small}");
}

/// Blue-green deploying green: the stages pane and the header say which image goes on which
/// Deployment and how far its pods are; past the timeout the release holds and says so.
#[test]
fn deploying_green() {
    let mut d = support::Drive::of("plans/k8s-blue-green.yaml");
    d.run(40);
    let progress = |updated, available, old| RolloutProgress {
        desired: 3,
        updated,
        available,
        old,
        observed: true,
    };
    d.observe(Observation::DeployProgress {
        stage: 0,
        progress: progress(2, 3, 1),
    });
    d.run(20);
    let mut ui = ui();
    both("deploying", &d, &mut ui, Pane::Stages);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(small.contains("2/3 updated, 3 available, 1 old pod left"), "{small}");

    d.run(10 * 60);
    both("deploy_too_slow", &d, &mut ui, Pane::Stages);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(
        small.contains("HELD because: Deployment billing-green not ready after 10m"),
        "{small}"
    );
}

/// On Kubernetes the traffic pane says what the watched objects hold (the weight the
/// HTTPRoute routes, each version's ready pods); a lost watch shows as STALE with its age.
#[test]
fn live_watched_and_stale() {
    let mut d = support::Drive::of("plans/k8s-gateway-canary.yaml");
    d.go();
    d.hold_at(1);
    let live = |d: &mut Drive, source, fact| d.observe(Observation::Live { source, fact });
    live(
        &mut d,
        LiveSource::Router,
        LiveFact::Weight(shipdeck::plan::Weight::new(5).unwrap()),
    );
    live(&mut d, LiveSource::StablePods, LiveFact::Pods { ready: 19, total: 19 });
    live(&mut d, LiveSource::CanaryPods, LiveFact::Pods { ready: 0, total: 1 });
    d.run(20);
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    both("live_watched", &d, &mut ui, Pane::Traffic);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(
        small.contains("✔ the object routes 5% to the canary (watched)"),
        "{small}"
    );
    assert!(small.contains("ready     stable 19/19 · canary 0/1"), "{small}");

    let lost = || LiveFact::Lost("watch on checkout: kubernetes API server error (503)".into());
    live(&mut d, LiveSource::Router, lost());
    live(&mut d, LiveSource::CanaryPods, lost());
    d.run(45);
    both("live_stale", &d, &mut ui, Pane::Traffic);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(small.contains("✖ STALE for 48s"), "{small}");
    assert!(small.contains("canary ✖ STALE 48s (was 0/1)"), "{small}");
    assert!(small.contains("⚠ a watch on the cluster is lost"), "{small}");
}

/// A rolling update at its first batch: the traffic pane says how the Deployment rolls and
/// how far its rollout is (updated and available pods, as watched).
#[test]
fn rolling_batch() {
    let mut d = support::Drive::of("plans/k8s-rolling.yaml");
    d.go();
    d.hold_at(2);
    let progress = RolloutProgress {
        desired: 8,
        updated: 2,
        available: 9,
        old: 7,
        observed: true,
    };
    d.observe(Observation::Live {
        source: LiveSource::Router,
        fact: LiveFact::Rollout(progress),
    });
    d.run(20);
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    both("rolling_batch", &d, &mut ui, Pane::Traffic);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(
        small.contains("rollout   2/8 updated, 9 available, 7 old pods left (watched)"),
        "{small}"
    );
    assert!(
        small.contains("target    Deployment checkout, rolled in batches"),
        "{small}"
    );
}

/// An Argo Rollout in the cockpit, fed the live objects of an aborted rollout (the Rollout,
/// its ReplicaSets and its failed AnalysisRun, read in place from ../shared/k8s): the
/// stages pane shows the plan's ladder over the Rollout's own steps, phase, weights and
/// the analysis's measured values; the traffic pane says the slider is read-only.
#[test]
#[cfg_attr(
    no_k8s_data,
    ignore = "needs the Argo Rollouts objects in ../shared/k8s (or SHIPDECK_K8S_DATA)"
)]
fn argo_rollout_in_the_cockpit() {
    let data = std::env::var_os("SHIPDECK_K8S_DATA")
        .map_or_else(|| std::path::PathBuf::from("../shared/k8s"), std::path::PathBuf::from)
        .join("argo-status/rollout-aborted");
    let object = |file: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(data.join(file)).unwrap();
        serde_yaml::from_str(&text).unwrap()
    };
    let state = shipdeck::backend::kube::argo_status::rollout_state(
        &object("rollout.yaml"),
        Some(&object("analysisrun.yaml")),
        &[object("rs1.yaml"), object("rs2.yaml")],
    );
    let mut d = support::Drive::of("plans/argo-rollout.yaml");
    d.run(40);
    d.observe(Observation::Rollout(Box::new(state)));
    d.observe(Observation::Live {
        source: LiveSource::Router,
        fact: LiveFact::Weight(shipdeck::plan::Weight::ZERO),
    });
    d.run(10);
    let mut ui = ui();
    both("argo_cockpit", &d, &mut ui, Pane::Stages);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    for shown in [
        "Degraded · step 1/2 · canary 0% / stable 100%",
        "ABORTED at 09:10:05",
        "FAILED web  last: false",
    ] {
        assert!(small.contains(shown), "{shown}: {small}");
    }
    let large = text(&screen(&d.release, &ui, &Theme::default(), d.now, LARGE));
    assert!(large.contains("Pods  desired 1 · current 1 · updated 0"), "{large}");
    assert!(large.contains("the Rollout sets its own weights"), "{large}");
}

/// Kubernetes by replica counts at 25%: the traffic pane says the share is carried by
/// pods, and how many on each side.
#[test]
fn replicas_at_25() {
    let mut d = support::Drive::of("plans/k8s-replicas-canary.yaml");
    d.go();
    d.hold_at(3);
    d.run(60);
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    snap(
        "replicas_traffic_80x24",
        &screen(&d.release, &ui, &Theme::default(), d.now, SMALL),
    );
    assert!(
        small.contains("pods      canary 5, stable 15 of 20: the share is approximated by pods (25%)"),
        "{small}"
    );
    // Which objects move, so nobody has to guess.
    assert!(
        small.contains("target    Deployments checkout-stable and checkout-canary, 20 pods"),
        "{small}"
    );
}

#[test]
fn rollback_pending() {
    let d = support::rollback_pending();
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    both("rollback_pending", &d, &mut ui, Pane::Traffic);
}

#[test]
fn rolled_back() {
    let d = support::rolled_back();
    let mut ui = ui();
    ui.focus = Pane::Log;
    both("rolled_back", &d, &mut ui, Pane::Log);
}

#[test]
fn done() {
    let d = support::done();
    let mut ui = ui();
    ui.checklist_cursor = 2;
    ui.cursor_stage = d.release.stage();
    both("done", &d, &mut ui, Pane::Stages);
}

#[test]
fn router_error_with_slider() {
    let d = support::router_error();
    let mut ui = ui();
    ui.focus = Pane::Traffic;
    ui.on_action(Action::Left, &d.release);
    assert!(ui.slider.is_some());
    both("router_error", &d, &mut ui, Pane::Traffic);
}

#[test]
fn help() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.on_action(Action::Help, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Help)));
    both("help", &d, &mut ui, Pane::Stages);
}

#[test]
fn confirm_promote_to_full() {
    let d = support::before_full();
    let mut ui = ui();
    assert_eq!(ui.on_action(Action::Advance, &d.release), None);
    let Some(Dialog::Confirm(Confirm { title, command, .. })) = &ui.dialog else {
        panic!("no confirmation")
    };
    assert_eq!(
        (title.as_str(), command),
        (
            "Promote to 100%?",
            &Command::Advance {
                from: d.release.stage()
            }
        )
    );
    both("confirm_promote", &d, &mut ui, Pane::Stages);
}

#[test]
fn notes_editor() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.on_action(Action::Notes, &d.release);
    let theme = Theme::default();
    // Empty: the placeholder shows.
    snap("notes_empty_80x24", &screen(&d.release, &ui, &theme, d.now, SMALL));
    let Some(Dialog::Notes(area)) = &mut ui.dialog else {
        panic!("no notes editor")
    };
    area.insert_str("Support reports slow checkout for EU customers.\nWatching p99 before 50%.");
    both("notes", &d, &mut ui, Pane::Log);
}

#[test]
fn quit_and_query_dialogs() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.on_action(Action::Quit, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Quit)));
    both("quit", &d, &mut ui, Pane::Stages);
    let mut ui = self::ui();
    ui.focus = Pane::Metrics;
    ui.on_action(Action::ShowQuery, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Query { metric: 0 })));
    both("query", &d, &mut ui, Pane::Metrics);
}

/// Enter on a metric opens the judge's analysis of it: queries, window, statistics, both
/// sample sets on one axis, the rule that decided.
#[test]
fn analysis_dialog() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    assert_eq!(ui.on_action(Action::Select, &d.release), None);
    assert!(matches!(ui.dialog, Some(Dialog::Analysis { metric: 0 })));
    both("analysis", &d, &mut ui, Pane::Metrics);
    let shown = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    for words in ["✔ PASS", "decided by", "score      100: 2 of 2", "window", "Esc closes"] {
        assert!(shown.contains(words), "{words}:\n{shown}");
    }
}

/// Latency 16% over the baseline: no gate fails, the judge finds it High and holds the stage
/// on a marginal interval. The pane says so per metric; the analysis shows the shift.
#[test]
fn judged_high() {
    let d = support::judged_high();
    let judgement = d.release.stage_judgement().expect("judged at 25%");
    assert_eq!(judgement.score.score, 60.0);
    let latency = judgement.metrics[1].as_ref().expect("latency judged");
    assert_eq!(latency.classification, shipdeck::analysis::judge::Classification::High);
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    ui.metric_cursor = 1;
    both("judged_high", &d, &mut ui, Pane::Metrics);
    let small = text(&screen(&d.release, &ui, &Theme::default(), d.now, SMALL));
    assert!(
        small.contains("▲ MARGINAL score 60") && small.contains("✖ HIGH"),
        "{small}"
    );
    ui.on_action(Action::Select, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Analysis { metric: 1 })));
    both("analysis_high", &d, &mut ui, Pane::Metrics);
}

/// With nothing judged at this weight, the analysis says why.
#[test]
fn analysis_before_any_judgement() {
    let theme = Theme::default();
    for (name, d, why) in [
        ("analysis_at_zero_80x24", support::start(), "waits for traffic"),
        ("analysis_at_full_80x24", support::done(), "rests at 100%"),
    ] {
        let mut ui = ui();
        ui.focus = Pane::Metrics;
        ui.on_action(Action::Select, &d.release);
        let buf = screen(&d.release, &ui, &theme, d.now, SMALL);
        assert!(text(&buf).contains(why), "{name}:\n{}", text(&buf));
        snap(name, &buf);
    }
}

/// In the analysis, ↑/↓ page through the metrics, `v` shows the whole query, Esc closes, and
/// R still rolls back at once.
#[test]
fn analysis_keys() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    ui.on_action(Action::Select, &d.release);
    ui.on_action(Action::Down, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Analysis { metric: 1 })));
    assert_eq!(ui.metric_cursor, 1);
    ui.on_action(Action::ShowQuery, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Query { metric: 1 })));
    ui.on_action(Action::Close, &d.release);
    assert!(ui.dialog.is_none());
    ui.on_action(Action::Select, &d.release);
    assert!(matches!(ui.dialog, Some(Dialog::Analysis { metric: 1 })));
    assert_eq!(ui.on_action(Action::Rollback, &d.release), Some(Command::Rollback));
    assert!(ui.dialog.is_none());
}

#[test]
fn log_filter_and_scroll() {
    let d = support::failing_gate();
    let theme = Theme::default();
    let mut ui = ui();
    ui.focus = Pane::Log;
    ui.filter = "GATE".into();
    ui.filter_editing = true;
    snap("log_filter_80x24", &screen(&d.release, &ui, &theme, d.now, SMALL));
    let mut ui = self::ui();
    ui.focus = Pane::Log;
    ui.log_scroll = 6;
    snap("log_scrolled_80x24", &screen(&d.release, &ui, &theme, d.now, SMALL));
    ui.log_scroll = 10_000;
    snap("log_top_160x48", &screen(&d.release, &ui, &theme, d.now, LARGE));
}

#[test]
fn mono_theme() {
    let d = support::failing_gate();
    let mono = Theme::resolve(Some("mono"), false).unwrap();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    let large = screen(&d.release, &ui, &mono, d.now, LARGE);
    snap("mono_failing_gate_160x48", &large);
    ui.on_action(Action::Notes, &d.release);
    let small = screen(&d.release, &ui, &mono, d.now, SMALL);
    snap("mono_notes_80x24", &small);
    // Not one colour anywhere, the notes editor's own grey included.
    for buf in [&large, &small] {
        for cell in buf.content() {
            assert_eq!(
                (cell.fg, cell.bg),
                (Color::Reset, Color::Reset),
                "colour in mono at {:?}",
                cell.symbol()
            );
        }
    }
    assert!(text(&large).contains("✖ FAIL"));
}

#[test]
fn too_small() {
    let d = support::healthy_midway();
    let buf = screen(&d.release, &ui(), &Theme::default(), d.now, (79, 23));
    snap("too_small_79x23", &buf);
    let shown = text(&buf);
    assert!(shown.contains("terminal too small for the cockpit: need 80x24, have 79x23"));
    // The state, why it is (not) moving, and the rollback key stay in sight.
    assert!(shown.contains("RUNNING") && shown.contains("no holds"), "{shown}");
    assert!(shown.contains("R ROLL BACK"), "{shown}");
}

/// Rows drawn in the danger colour also say so in words or symbols.
#[test]
fn danger_is_never_colour_alone() {
    let theme = Theme::default();
    let danger = theme.danger.fg.unwrap();
    let mut ui = ui();
    ui.focus = Pane::Metrics;
    for d in [
        support::failing_gate(),
        support::rolling_back(),
        support::router_error(),
        support::judged_high(),
    ] {
        let buf = screen(&d.release, &ui, &theme, d.now, LARGE);
        let mut seen = 0;
        let mut above: Vec<u16> = Vec::new();
        for y in 0..buf.area.height {
            // The cells drawn in the danger colour, and the text they spell.
            let red: Vec<u16> = (0..buf.area.width)
                .filter(|&x| {
                    let c = &buf[(x, y)];
                    c.fg == danger || c.bg == danger
                })
                .collect();
            let said: String = red.iter().map(|&x| buf[(x, y)].symbol()).collect();
            let worded = ["FAIL", "ERROR", "ROLL", "✖", "ABORT"].iter().any(|w| said.contains(w));
            // A wrapped message continues the red cells right above it.
            let continued = red.iter().any(|x| above.contains(x));
            if !red.is_empty() {
                seen += 1;
                assert!(worded || continued, "row {y} is red without a word: {said}");
            }
            above = red;
        }
        assert!(seen > 0, "the scenario shows something in the danger colour");
    }
    // The FAIL badge itself: the word and the colour on the same cells.
    let d = support::failing_gate();
    let buf = screen(&d.release, &ui, &theme, d.now, LARGE);
    let lines: Vec<String> = text(&buf).lines().map(str::to_string).collect();
    let (y, line) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains("✖ FAIL"))
        .expect("a FAIL badge");
    let col = line[..line.find("✖ FAIL").unwrap()].chars().count() as u16;
    for dx in 0..6 {
        assert_eq!(buf[(col + dx, y as u16)].fg, danger, "FAIL badge cell {dx}");
    }
}

/// Every part, at every size up to 20x5 and at an offset, renders without panicking.
#[test]
fn tiny_sizes_never_panic() {
    let d = support::failing_gate();
    let theme = Theme::default();
    let release = &d.release;
    for dialog in 0..7 {
        let mut ui = ui();
        open(&mut ui, dialog, release);
        ui.filter = "gate".into();
        ui.filter_editing = true;
        ui.log_scroll = 3;
        ui.slider = Some(shipdeck::plan::Weight::new(10).unwrap());
        let ctx = Ctx {
            release,
            ui: &ui,
            theme: &theme,
            now: d.now,
        };
        for w in 0..=20u16 {
            for h in 0..=5u16 {
                for origin in [(0, 0), (3, 2)] {
                    let outer = Rect::new(0, 0, w + origin.0, h + origin.1);
                    let area = Rect::new(origin.0, origin.1, w, h);
                    let mut buf = Buffer::empty(outer);
                    header::render(&ctx, area, &mut buf);
                    footer::render(&ctx, area, &mut buf);
                    panes::tabs(&ctx, area, &mut buf);
                    for pane in Pane::ALL {
                        panes::render(&ctx, pane, area, &mut buf, true);
                        panes::render(&ctx, pane, area, &mut buf, false);
                    }
                    dialogs::render(&ctx, area, &mut buf);
                    draw::render(&ctx, area, &mut buf);
                }
                let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
                terminal.draw(|f| draw::draw(f, release, &ui, &theme, d.now)).unwrap();
            }
        }
    }
}

/// Opens dialog number `which` (0: none, then help, confirm, quit, notes, query, analysis).
fn open(ui: &mut UiState, which: usize, release: &Release) {
    let action = match which {
        1 => Action::Help,
        2 => Action::Abort,
        3 => Action::Quit,
        4 => Action::Notes,
        5 => {
            ui.dialog = Some(Dialog::Query { metric: 1 });
            return;
        }
        6 => {
            ui.dialog = Some(Dialog::Analysis { metric: 0 });
            return;
        }
        _ => return,
    };
    ui.on_action(action, release);
    assert!(ui.dialog.is_some(), "{action:?} opens a dialog");
}

#[test]
fn a_journal_failure_is_shown_loudly_at_both_sizes() {
    let d = support::healthy_midway();
    let mut ui = ui();
    ui.journal_error = Some("journal write failed: No space left on device".into());
    for size in [SMALL, LARGE] {
        let buf = screen(&d.release, &ui, &Theme::default(), d.now, size);
        let shown = text(&buf);
        assert!(shown.contains("JOURNAL ✖"), "{size:?}:\n{shown}");
    }
}
