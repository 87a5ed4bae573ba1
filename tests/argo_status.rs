//! Argo Rollouts as the Rollout pane reads and shows them, from the live objects in Argo's
//! own CLI test data (a canary stuck past its deadline, a paused blue-green, a canary
//! aborted by its background analysis), read in place from ../shared/k8s/argo-status (or
//! SHIPDECK_K8S_DATA), never copied here. The pane is snapshotted (snapshots/argo_*) at
//! 80x24 and 160x48. Without the data, as on a clean clone, the tests skip and say so.

use std::path::PathBuf;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use serde_json::Value;
use shipdeck::backend::kube::argo_status::rollout_state;
use shipdeck::engine::rollout_state::{
    AnalysisKind, BlueGreenState, Replicas, RolloutState, StepPosition, Strategy, WeightSource, Weights,
};
use shipdeck::ui::rollout_pane::RolloutPane;
use shipdeck::ui::theme::Theme;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn k8s_data() -> PathBuf {
    std::env::var_os("SHIPDECK_K8S_DATA").map_or_else(|| PathBuf::from("../shared/k8s"), PathBuf::from)
}

/// The folder of one case under argo-status, or None (with a note) when it is absent.
fn case(name: &str) -> Option<PathBuf> {
    let dir = k8s_data().join("argo-status").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is absent (the Argo Rollouts test objects live beside the repository, see ../shared/k8s/SOURCES.md)",
            dir.display()
        );
        None
    }
}

/// A YAML object file of a case, as JSON.
fn object(dir: &std::path::Path, file: &str) -> Value {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn screen(state: &RolloutState, (w, h): (u16, u16)) -> Buffer {
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(RolloutPane { state, theme: &theme }, frame.area()))
        .unwrap();
    terminal.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let area = buf.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let line: String = (area.left()..area.right()).map(|x| buf[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Each version as `role hash rev N ready/desired image`, newest first.
fn versions(state: &RolloutState) -> Vec<String> {
    state
        .versions
        .iter()
        .map(|v| {
            let revision = v.revision.map_or("-".to_string(), |r| r.to_string());
            let images = v.images.join(",");
            format!(
                "{} {} rev {revision} {}/{} {images}",
                v.role.label(),
                v.hash,
                v.ready,
                v.desired
            )
        })
        .collect()
}

/// Snapshots the pane at both sizes as `{name}_{w}x{h}`.
fn snap_both(name: &str, state: &RolloutState) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    for (w, h) in SIZES {
        let shown = text(&screen(state, (w, h)));
        settings.bind(|| insta::assert_snapshot!(format!("{name}_{w}x{h}"), shown));
    }
}

#[cfg_attr(
    no_k8s_data,
    ignore = "needs the Argo Rollouts objects in ../shared/k8s (or SHIPDECK_K8S_DATA)"
)]
#[test]
fn canary_rollouts_read_their_phase_step_and_weights() {
    let Some(dir) = case("canary") else { return };
    let sets: Vec<Value> = ["canary-rs.yaml", "stable-rs.yaml", "old-rs.yaml"]
        .iter()
        .map(|f| object(&dir, f))
        .collect();
    let from_steps = Weights {
        canary: 20,
        stable: 80,
        source: WeightSource::SetWeightStep(0),
    };
    // Rollout5 reports 20 and 60: Argo's own test data, which does not add up to 100.
    let reported = Weights {
        canary: 20,
        stable: 60,
        source: WeightSource::Reported,
    };
    for (file, name, weights) in [
        ("canary-rollout.yaml", "canary-demo", from_steps),
        ("canary-rollout2.yaml", "canary-demo-workloadRef", from_steps),
        ("canary-rollout3.yaml", "canary-demo-workloadRef-deploy", from_steps),
        ("canary-rollout4.yaml", "canary-demo-pingpong", from_steps),
        ("canary-rollout5.yaml", "canary-demo-weights", reported),
        ("canary-rollout6.yaml", "canary-demo-weights-na", from_steps),
    ] {
        let state = rollout_state(&object(&dir, file), None, &sets);
        assert_eq!(state.name, name, "{file}");
        assert_eq!(state.strategy, Some(Strategy::Canary), "{file}");
        // No status.phase (a pre-1.0 controller): worked out from the conditions.
        assert_eq!(state.phase, "Degraded", "{file}");
        assert_eq!(
            state.message.as_deref(),
            Some("ProgressDeadlineExceeded: ReplicaSet \"canary-demo-65fb5ffc84\" has timed out progressing."),
            "{file}"
        );
        assert!(
            !state.aborted && !state.spec_paused && state.pause_reasons.is_empty(),
            "{file}"
        );
        assert_eq!(state.step, Some(StepPosition { index: 0, count: 8 }), "{file}");
        assert_eq!(state.weights, Some(weights), "{file}");
        assert_eq!(
            state.replicas,
            Replicas {
                desired: 5,
                current: 6,
                updated: 1,
                ready: 5,
                available: 5
            },
            "{file}"
        );
        assert_eq!(state.analysis, None, "{file}");
    }

    let state = rollout_state(&object(&dir, "canary-rollout.yaml"), None, &sets);
    assert_eq!(
        versions(&state),
        [
            "canary 65fb5ffc84 rev 31 0/1 argoproj/rollouts-demo:does-not-exist",
            "stable 877894d5b rev 30 5/5 argoproj/rollouts-demo:green",
            "old 859c99b45c rev 29 0/0 argoproj/rollouts-demo:asdf",
        ]
    );
    snap_both("argo_canary_degraded", &state);
    let state = rollout_state(&object(&dir, "canary-rollout5.yaml"), None, &sets);
    snap_both("argo_canary_weights_reported", &state);
}

#[cfg_attr(
    no_k8s_data,
    ignore = "needs the Argo Rollouts objects in ../shared/k8s (or SHIPDECK_K8S_DATA)"
)]
#[test]
fn a_blue_green_rollout_waits_for_its_promotion() {
    let Some(dir) = case("blue-green") else { return };
    let sets: Vec<Value> = ["active-rs.yaml", "preview-rs.yaml", "old-rs.yaml"]
        .iter()
        .map(|f| object(&dir, f))
        .collect();
    let state = rollout_state(&object(&dir, "bluegreen-rollout.yaml"), None, &sets);
    assert_eq!(state.name, "bluegreen-demo");
    assert_eq!(state.strategy, Some(Strategy::BlueGreen));
    assert_eq!(
        (state.phase.as_str(), state.message.as_deref()),
        ("Paused", Some("BlueGreenPause"))
    );
    assert_eq!(state.pause_reasons, ["BlueGreenPause"]);
    assert!(!state.aborted && !state.spec_paused);
    assert_eq!((state.step, state.weights), (None, None));
    assert!(state.steps.is_empty());
    assert_eq!(
        state.blue_green,
        Some(BlueGreenState {
            active_selector: Some("6cbccd9f99".into()),
            preview_selector: Some("74b948fccb".into()),
            promoted: false,
            auto_promotion: false,
        })
    );
    assert_eq!(
        versions(&state),
        [
            "preview 74b948fccb rev 11 3/3 argoproj/rollouts-demo:green",
            "active 6cbccd9f99 rev 10 3/3 argoproj/rollouts-demo:blue",
            "old 746d5fddf6 rev 8 0/0 argoproj/rollouts-demo:red",
        ]
    );
    snap_both("argo_bluegreen_paused", &state);
}

#[cfg_attr(
    no_k8s_data,
    ignore = "needs the Argo Rollouts objects in ../shared/k8s (or SHIPDECK_K8S_DATA)"
)]
#[test]
fn an_aborted_rollout_shows_why_with_the_analysis_values() {
    let Some(dir) = case("rollout-aborted") else { return };
    let sets = [object(&dir, "rs1.yaml"), object(&dir, "rs2.yaml")];
    let run = object(&dir, "analysisrun.yaml");
    let state = rollout_state(&object(&dir, "rollout.yaml"), Some(&run), &sets);
    let why = "metric \"web\" assessed Failed due to failed (1) > failureLimit (0)";
    assert_eq!(state.name, "rollout-background-analysis");
    assert!(state.aborted);
    assert_eq!(state.abort_reason.as_deref(), Some(why));
    assert_eq!(
        state.aborted_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2020-09-22T09:10:05+00:00")
    );
    assert_eq!(state.phase, "Degraded");
    assert_eq!(state.message, Some(format!("RolloutAborted: {why}")));
    assert_eq!(state.step, Some(StepPosition { index: 0, count: 2 }));
    assert_eq!(
        state.weights,
        Some(Weights {
            canary: 0,
            stable: 100,
            source: WeightSource::Aborted
        })
    );
    let analysis = state.analysis.as_ref().expect("the AnalysisRun");
    assert_eq!(analysis.name, "rollout-background-analysis-db976bc44-2");
    assert_eq!(analysis.kind, Some(AnalysisKind::Background));
    assert_eq!(analysis.phase.as_deref(), Some("Failed"));
    assert_eq!(analysis.message.as_deref(), Some(why));
    let [web] = analysis.metrics.as_slice() else {
        panic!("one metric: {:?}", analysis.metrics)
    };
    assert_eq!(web.name, "web");
    assert_eq!(web.phase.as_deref(), Some("Failed"));
    assert_eq!(
        (web.count, web.successful, web.failed, web.inconclusive, web.errors),
        (1, 0, 1, 0, 0)
    );
    assert_eq!(web.last_values, ["false"]);
    assert_eq!(web.success_condition.as_deref(), Some("result == \"true\""));
    assert_eq!(
        versions(&state),
        [
            "canary db976bc44 rev 2 0/0 argoproj/rollouts-demo:yellow",
            "stable 7d84d44bb8 rev 1 1/1 argoproj/rollouts-demo:blue",
        ]
    );
    // Without the AnalysisRun, the Rollout's own word on it still shows.
    let bare = rollout_state(&object(&dir, "rollout.yaml"), None, &sets);
    let analysis = bare.analysis.expect("the Rollout names its background analysis");
    assert_eq!(analysis.phase.as_deref(), Some("Failed"));
    assert!(analysis.metrics.is_empty());

    for size in SIZES {
        let shown = text(&screen(&state, size));
        assert!(shown.contains("ABORTED"), "{shown}");
        assert!(shown.contains("last: false"), "{shown}");
        assert!(shown.contains("canary 0% / stable 100%"), "{shown}");
    }
    snap_both("argo_aborted", &state);
}
