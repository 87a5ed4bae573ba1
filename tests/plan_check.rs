//! `shipdeck check` over the shipped plans and over malformed fixtures: every problem must
//! come back as one `file:line:col: message` line pointing at the thing to edit.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shipdeck::check;
use shipdeck::plan;

/// The located messages a plan text that must be invalid is refused with.
fn refusals(text: &str, origin: &str) -> Vec<String> {
    plan::parse(text, origin)
        .expect_err("invalid")
        .iter()
        .map(|e| e.to_string())
        .collect()
}

/// Runs `check` and returns (exit status, stdout, stderr).
fn run(paths: &[PathBuf]) -> (i32, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let status = check::run(paths, &mut out, &mut err);
    (
        status,
        String::from_utf8(out).expect("utf-8 stdout"),
        String::from_utf8(err).expect("utf-8 stderr"),
    )
}

fn shipped_plans() -> Vec<PathBuf> {
    let mut plans: Vec<PathBuf> = fs::read_dir("plans")
        .expect("plans/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    plans.sort();
    plans
}

#[test]
fn every_shipped_plan_passes_check() {
    let plans = shipped_plans();
    assert!(
        plans.len() >= 4,
        "expected canary, blue-green, rolling and hotfix: {plans:?}"
    );
    let (status, out, err) = run(&plans);
    assert_eq!(err, "", "shipped plans must be valid");
    assert_eq!(status, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), plans.len(), "one summary line per plan:\n{out}");
    for (line, path) in lines.iter().zip(&plans) {
        assert!(line.starts_with(&format!("{}: ok: ", path.display())), "{line}");
    }
}

#[test]
fn canary_summary_names_the_ladder_and_the_defaults() {
    let (status, out, _) = run(&[PathBuf::from("plans/canary.yaml")]);
    assert_eq!(status, 0);
    assert_eq!(
        out.trim_end(),
        "plans/canary.yaml: ok: checkout-api 2.14.0 (minor, risk medium), router sim, metrics sim, 6 stages \
         0%->5%->25%->50%->100%->100%, 2 metrics, 4 gates, 2 triggers, judge every 1m (pass 95, \
         marginal 50; a fail rolls back), approvals: team, rollback window 1d"
    );
    let (_, out, _) = run(&[PathBuf::from("plans/haproxy-canary.yaml")]);
    assert!(
        out.contains("router haproxy (backend checkout), metrics prometheus,"),
        "{out}"
    );
}

#[test]
fn hotfix_plan_takes_the_hotfix_defaults() {
    let plan = plan::load(Path::new("plans/hotfix.yaml")).expect("valid");
    assert_eq!(plan.release.kind, plan::ReleaseType::Hotfix);
    assert_eq!(plan.approvals, None, "approvals come from the release type");
    assert_eq!(plan.rollback.window, None, "the window comes from the release type");
    let (_, out, _) = run(&[PathBuf::from("plans/hotfix.yaml")]);
    assert!(out.contains("approvals: lead + security, rollback window 2h"), "{out}");
    let trigger = &plan.rollback.triggers[0];
    assert_eq!((trigger.metric.as_str(), trigger.max), ("error_rate", Some(1.0)));
    assert_eq!(trigger.sustain, plan::Span::minutes(1));
    assert_eq!(trigger.action, plan::TriggerAction::Auto);
}

#[test]
fn blue_green_plan_keeps_the_old_colour_for_an_hour() {
    let plan = plan::load(Path::new("plans/blue-green.yaml")).expect("valid");
    assert_eq!(plan.rollback.window, Some(plan::Span::hours(1)));
    let weights: Vec<u8> = plan.stages.iter().map(|s| s.weight.percent()).collect();
    assert_eq!(weights, [0, 0, 10, 50, 100, 100]);
}

/// (fixture under tests/fixtures, `line:col`, a phrase the message must contain)
const MALFORMED: &[(&str, &str, &str)] = &[
    (
        "typo_key.yaml",
        "83:5",
        "stages #3: unknown key `wieght`, expected one of `name`, `checklist`",
    ),
    ("typo_key.yaml", "83:5", "did you mean `weight`?"),
    (
        "unknown_top_key.yaml",
        "13:1",
        "unknown key `notify`, expected one of `release`",
    ),
    (
        "weight_120.yaml",
        "83:13",
        "stages #3.weight: weight 120 is out of range",
    ),
    (
        "weight_negative.yaml",
        "83:13",
        "stages #3.weight: weight -5 is out of range",
    ),
    (
        "duration_words.yaml",
        "94:11",
        "stages #6.hold: invalid duration \"5 minutes\"",
    ),
    (
        "duration_no_unit.yaml",
        "94:11",
        "stages #6.hold: duration 15 has no unit",
    ),
    (
        "gate_unknown_metric.yaml",
        "38:13",
        "gate 2 names metric `eror_rate`, which is not defined; defined metrics: error_rate, \
         latency_p99; did you mean `error_rate`?",
    ),
    (
        "stage_unknown_checklist.yaml",
        "92:16",
        "names checklist `verifcation`, which is not defined",
    ),
    ("no_triggers.yaml", "51:3", "no rollback triggers"),
    ("last_stage_not_full.yaml", "86:13", "never promotes"),
    (
        "duplicate_stage_names.yaml",
        "85:11",
        "stage name `canary 25%` is used twice (first at line 82)",
    ),
    ("gate_without_bounds.yaml", "41:5", "gate 3 has no bound"),
    ("empty.yaml", "1:1", "empty plan: expected"),
    ("comment_only.yaml", "1:1", "see plans/canary.yaml"),
    ("binary.yaml", "1:3", "binary data"),
    ("not_utf8.yaml", "10:24", "not UTF-8 text (byte 0xED here)"),
    ("alias_bomb.yaml", "89:12", "alias bomb"),
    ("deep_nesting.yaml", "83:26", "nesting deeper than 16 levels"),
    ("top_level_list.yaml", "2:1", "the top level is a list"),
    ("missing_release.yaml", "4:1", "missing required key `release`"),
    (
        "analyse_unknown_metric.yaml",
        "87:27",
        "analyses metric `latency_p95`, which is not defined",
    ),
    ("two_documents.yaml", "95:1", "a second YAML document"),
    (
        "syntax_error.yaml",
        "88:9",
        "invalid YAML: did not find expected ',' or ']'",
    ),
    ("tab_indent.yaml", "9:1", "a tab here"),
    (
        "wrong_type.yaml",
        "35:10",
        "gates #1.max: expected a number, found the text \"half a percent\"",
    ),
    ("nan_bound.yaml", "35:10", "max must be a finite number, found NaN"),
    (
        "sigma_zero.yaml",
        "47:12",
        "gate 4: sigma must be from 0.1 to 100 (the band is the baseline's mean ± sigma standard deviations; \
         2 warns early, 3 is the usual alarm), found 0",
    ),
    (
        "sigma_negative.yaml",
        "47:12",
        "gate 4: sigma must be from 0.1 to 100 (the band is the baseline's mean ± sigma standard deviations; \
         2 warns early, 3 is the usual alarm), found -1",
    ),
    ("min_above_max.yaml", "44:10", "min 800 is above max 500"),
    ("unknown_type.yaml", "8:9", "release.type: unknown value `minr`"),
    (
        "duplicate_checklist.yaml",
        "70:3",
        "key `pre-release` is written twice in `checklists` (first at line 64)",
    ),
    (
        "stale_before_interval.yaml",
        "18:16",
        "stale_after 3s is shorter than interval 5s",
    ),
    ("version_is_stable.yaml", "6:12", "version 2.14.0 is the same as stable"),
    (
        "haproxy_without_block.yaml",
        "13:11",
        "router haproxy needs a `haproxy:` block",
    ),
    (
        "gateway_without_block.yaml",
        "19:11",
        "router gateway-api needs a `gateway_api:` block under target (route, stable, canary)",
    ),
    (
        "gateway_block_on_haproxy.yaml",
        "21:5",
        "`gateway_api:` settings are given but the router is haproxy",
    ),
    (
        "gateway_bad_service_name.yaml",
        "24:13",
        "canary `Checkout_Canary`: a Kubernetes name has lowercase letters",
    ),
    (
        "istio_same_destination.yaml",
        "22:13",
        "destination `checkout subset stable` is both stable and canary",
    ),
    (
        "haproxy_on_sim_metrics.yaml",
        "13:11",
        "judge it on real metrics with `analysis.source: prometheus`",
    ),
    (
        "prometheus_two_token_sources.yaml",
        "22:7",
        "give each credential one source",
    ),
    (
        "prometheus_without_block.yaml",
        "18:11",
        "source prometheus needs an `analysis.prometheus:` block",
    ),
    ("a_directory", "1:1", "is a directory, expected a plan file"),
    ("does_not_exist.yaml", "1:1", "no such file"),
];

#[test]
fn malformed_plans_are_rejected_with_a_located_reason() {
    let mut failures = Vec::new();
    for (name, at, phrase) in MALFORMED {
        let path = Path::new("tests/fixtures").join(name);
        let expected = format!("{}:{at}: ", path.display());
        let errors = match plan::load(&path) {
            Ok(_) => {
                failures.push(format!("{name}: accepted"));
                continue;
            }
            Err(errors) => errors,
        };
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        if lines.len() != 1 {
            failures.push(format!("{name}: expected one error, got {lines:#?}"));
        } else if !(lines[0].starts_with(&expected) && lines[0].contains(phrase)) {
            failures.push(format!("{name}:\n  want {expected}...{phrase}\n  got  {}", lines[0]));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_sigma_band_must_be_a_sensible_number_of_deviations() {
    for (name, found) in [("sigma_zero.yaml", "0"), ("sigma_negative.yaml", "-1")] {
        let path = Path::new("tests/fixtures").join(name);
        let lines: Vec<String> = plan::load(&path)
            .expect_err(name)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(
            lines,
            [format!(
                "tests/fixtures/{name}:47:12: gate 4: sigma must be from 0.1 to 100 (the band is the baseline's mean ± \
                 sigma standard deviations; 2 warns early, 3 is the usual alarm), found {found}"
            )]
        );
    }
    // The same field on a trigger, and a history too short to ever hold three samples.
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    let text = canary
        .replace("      max_ratio: 3.0\n", "      sigma: -0.5\n")
        .replace("  stale_after: 30s", "  stale_after: 30s\n  baseline_history: 10s");
    let lines: Vec<String> = plan::parse(&text, "inline")
        .expect_err("invalid")
        .iter()
        .map(|e| e.message.clone())
        .collect();
    assert_eq!(
        lines,
        [
            "baseline_history 10s holds fewer than 3 samples at interval 5s: a sigma band could never be \
             judged; use e.g. 10m",
            "trigger `p99 three times baseline`: sigma must be from 0.1 to 100 (the band is the baseline's mean ± \
             sigma standard deviations; 2 warns early, 3 is the usual alarm), found -0.5",
        ]
    );
}

#[test]
fn messages_are_single_lines_without_debug_dumps_or_doubled_locations() {
    for (name, _, _) in MALFORMED {
        for error in plan::load(&Path::new("tests/fixtures").join(name)).unwrap_err() {
            let message = &error.message;
            assert!(!message.contains('\n'), "{name}: {message}");
            for dump in ["Error(", "Some(", "None", "Marker", "Pos {", " column ", "struct "] {
                assert!(!message.contains(dump), "{name}: `{dump}` in {message}");
            }
        }
    }
}

#[test]
fn at_least_eighteen_fixtures_exist() {
    let count = fs::read_dir("tests/fixtures").unwrap().count();
    assert!(count >= 18, "only {count} fixtures");
}

#[test]
fn check_prints_every_semantic_error_and_exits_2() {
    let path = PathBuf::from("tests/fixtures/three_errors.yaml");
    let (status, out, err) = run(std::slice::from_ref(&path));
    assert_eq!(status, 2);
    assert_eq!(out, "");
    let lines: Vec<&str> = err.lines().collect();
    let at = |pos: &str| format!("{}:{pos}: ", path.display());
    assert_eq!(lines.len(), 3, "one line per error:\n{err}");
    assert!(
        lines[0].starts_with(&at("6:12")) && lines[0].contains("same as stable"),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&at("42:13")) && lines[1].contains("`latency_p95`"),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&at("86:13")) && lines[2].contains("never promotes"),
        "{err}"
    );
}

#[test]
fn check_reports_bad_plans_and_good_ones_together() {
    let paths = [
        PathBuf::from("plans/canary.yaml"),
        PathBuf::from("tests/fixtures/empty.yaml"),
    ];
    let (status, out, err) = run(&paths);
    assert_eq!(status, 2);
    assert_eq!(out.lines().count(), 1);
    assert_eq!(err.lines().count(), 1);
    assert_eq!(run(&[]).0, 2, "no plans given is an error");
}

#[test]
fn a_file_over_one_mebibyte_is_refused_quickly() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("plan_check_huge.yaml");
    // Valid-looking YAML, so only the size can be the reason.
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    fs::write(&path, line.repeat((3 << 20) / line.len())).unwrap();
    let started = Instant::now();
    let errors = plan::load(&path).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(errors.len(), 1);
    assert!(errors[0].to_string().contains(":1:1: file is "), "{}", errors[0]);
    assert!(errors[0].message.contains("1 MiB"), "{}", errors[0]);
    let text = fs::read_to_string(&path).unwrap();
    assert!(plan::parse(&text, "huge").unwrap_err()[0].message.contains("1 MiB"));
    fs::remove_file(&path).unwrap();
}

#[test]
fn parse_accepts_a_byte_order_mark_and_reports_the_origin_given() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    assert!(plan::parse(&format!("\u{feff}{canary}"), "bom").is_ok());
    let errors = plan::parse("stages: [", "inline").unwrap_err();
    assert!(errors[0].to_string().starts_with("inline:"), "{}", errors[0]);
}

#[test]
fn arbitrary_text_never_panics() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    // Every prefix of a real plan is some kind of broken YAML.
    for end in (0..canary.len()).step_by(7).filter(|i| canary.is_char_boundary(*i)) {
        let _ = plan::parse(&canary[..end], "prefix");
    }
    for text in [
        "&a [*a]",
        "a: &a [*a]",
        "? [a]: b",
        "!!binary aGk=",
        "{a: 1, a: 2}",
        "[",
        "]",
        ":",
        "*x",
        "---\n...\n",
    ] {
        let _ = plan::parse(text, "odd");
    }
}

#[test]
fn judge_effect_limits_must_be_ones_the_effect_can_pass() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    // A CLES never exceeds 1: with 1.2 the metric could never be High.
    let text = canary.replace("      critical: true ", "      effect: cles\n      critical: true ");
    let lines = refusals(&text, "canary.yaml");
    assert_eq!(
        lines,
        [
            "canary.yaml:39:25: metric `error_rate`: judge allowed_increase 1.2 must be at least 0.5 and under 1 \
          for cles, which runs from 0 to 1 with 0.5 for no change"
        ]
    );
    // Every window holds one sample fewer than its span in intervals: 1m at 5s is 11.
    let text = canary.replace("    min_samples: 10 ", "    min_samples: 12 ");
    let lines = refusals(&text, "canary.yaml");
    assert_eq!(
        lines,
        [
            "canary.yaml:19:12: judge every 1m holds 11 samples per side at interval 5s, fewer than min_samples 12: \
          every judgement would have no data; use at least 1m5s"
        ]
    );
    let text = canary.replace("    min_samples: 10 ", "    min_samples: 11 ");
    plan::parse(&text, "canary.yaml").expect("11 samples fit in a minute at 5s");
}

#[test]
fn a_stage_with_traffic_that_analyses_nothing_is_refused() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    let stage = "  - name: canary 5%\n";
    assert!(canary.contains(stage), "canary.yaml has the 5% stage");
    let text = canary.replace(stage, "  - name: canary 5%\n    analyse: []\n");
    let lines = refusals(&text, "canary.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].ends_with(
            "stage `canary 5%` sends 5% to the canary but analyses no metric: no gate or judge would watch it; \
             list the metrics, or leave `analyse` out to analyse them all"
        ),
        "{lines:?}"
    );
}

#[test]
fn a_bad_prometheus_url_is_located_but_not_repeated() {
    let plan = fs::read_to_string("plans/haproxy-canary.yaml").unwrap();
    let text = plan.replace("    url: http://127.0.0.1:9090", "    url: prom:9090?api_key=hunter2");
    let lines = refusals(&text, "p.yaml");
    assert_eq!(lines, ["p.yaml:30:10: prometheus url must be http or https, not prom"]);
    // What `run` would refuse, `check` refuses too, with the same words and no echo.
    for (url, says) in [
        ("http://ops:hunter2@prom:9090", "carries credentials"),
        ("https://prom:9090/?api_key=hunter2", "query string or fragment"),
        ("https://prom:9090/#hunter2", "query string or fragment"),
        ("http://[hunter2", "not a valid URL"),
    ] {
        let text = plan.replace("    url: http://127.0.0.1:9090", &format!("    url: \"{url}\""));
        let lines = refusals(&text, "p.yaml");
        assert_eq!(lines.len(), 1, "{url}: {lines:?}");
        assert!(lines[0].contains(says), "{url}: {lines:?}");
        assert!(!lines[0].contains("hunter2"), "{url}: {lines:?}");
    }
}

#[test]
fn judge_settings_are_checked_where_they_are_written() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    let text = canary
        .replace("    every: 1m ", "    every: 30s")
        .replace("    marginal: 50 ", "    marginal: 99 ")
        .replace("      group: latency\n", "      group: latncy\n")
        .replace("      min_shift: 10% ", "      tolerance: -1  ");
    let lines = refusals(&text, "canary.yaml");
    assert_eq!(
        lines,
        [
            "canary.yaml:19:12: judge every 30s holds 5 samples per side at interval 5s, fewer than min_samples 10: \
             every judgement would have no data; use at least 55s",
            "canary.yaml:23:15: judge marginal score 99 is above pass 95: marginal is the band just under pass",
            "canary.yaml:27:16: judge group `latency` has no metric (did you mean `latncy`?)",
            "canary.yaml:45:14: metric `latency_p99` scores in judge group `latncy`, which has no weight under \
             analysis.judge.groups (errors, latency): set its `judge: {group: ...}`",
            "canary.yaml:46:18: metric `latency_p99`: judge tolerance -1 cannot be used: the interval's near end \
             must clear tolerance × |shift|, so give at least 0 and under 1 (0.25 is usual)",
        ]
    );
    // A typo in a metric's judge block is an error, never a silently ignored setting.
    let typo = canary.replace("      critical: true ", "      critcal: true  ");
    let err = plan::parse(&typo, "canary.yaml").expect_err("unknown key").remove(0);
    assert!(
        err.to_string()
            .starts_with("canary.yaml:37:7: metrics #1.judge: unknown key `critcal`")
            && err.message.contains("did you mean `critical`?"),
        "{err}"
    );
    // Judge settings on a metric without the judge would do nothing: say so.
    let off = canary.replace("  judge:                   #", "  x_judge:                 #");
    let start = off.find("  x_judge:").unwrap();
    let end = off.find("\nmetrics:").unwrap();
    let off = format!("{}{}", &off[..start], &off[end + 1..]);
    let lines: Vec<String> = plan::parse(&off, "canary.yaml")
        .expect_err("judge off")
        .iter()
        .map(|e| e.message.clone())
        .collect();
    assert_eq!(
        lines,
        [
            "metric `error_rate` has judge settings but the judge is off: add `judge:` under `analysis`",
            "metric `latency_p99` has judge settings but the judge is off: add `judge:` under `analysis`",
        ]
    );
}

/// A judged metric with no limit on how large a change is acceptable fails on any
/// significant change, about one interval in a hundred when canary and baseline are alike:
/// the plan stays valid, and `check` warns where the limit belongs, saying what to set.
#[test]
fn a_judged_metric_without_a_limit_gets_a_warning_not_an_error() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    let text = canary
        .replace(
            "      allowed_increase: 1.2   # and only when the canary's mean is 20% above baseline\n",
            "",
        )
        .replace(
            "      min_shift: 10%       # shifts under 10% of the baseline's mean latency never count\n",
            "",
        )
        .replace("      allowed_increase: 1.1\n", "");
    let checked = plan::parse_checked(&text, "canary.yaml").expect("still a valid plan");
    let warnings: Vec<String> = checked.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "canary.yaml:36:7: warning: metric `error_rate`: the judge fails it on any significant increase, \
             however small: canary and baseline alike give one about once in 100 intervals at 98% confidence, and \
             as a critical metric it then fails the whole interval; say how large a change is acceptable with \
             allowed_increase"
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("metric `latency_p99`") && !warnings[1].contains("critical"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("or min_shift (e.g. 10%)"), "{warnings:?}");
    // Either limit quiets it.
    let limited = text.replace("      group: latency\n", "      group: latency\n      min_shift: 5\n");
    let checked = plan::parse_checked(&limited, "canary.yaml").unwrap();
    assert_eq!(checked.warnings.len(), 1);

    // `check` prints the warnings and still passes the plan.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("unlimited.yaml");
    fs::write(&path, &text).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(check::run(&[path], &mut out, &mut err), check::OK);
    let err = String::from_utf8(err).unwrap();
    assert_eq!(err.lines().filter(|l| l.contains(": warning: ")).count(), 2, "{err}");
}

#[test]
fn min_shift_is_a_percentage_or_a_number_and_never_negative() {
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    let text = canary.replace("      min_shift: 10% ", "      min_shift: -5% ");
    let lines = refusals(&text, "canary.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("canary.yaml:46:18: ") && lines[0].contains("min_shift -5% must be 0 or more"),
        "{lines:?}"
    );
    let text = canary.replace("      min_shift: 10% ", "      min_shift: 2.5 ");
    let plan = plan::parse(&text, "canary.yaml").unwrap();
    assert_eq!(
        plan.metrics[1].judge.min_shift,
        Some(shipdeck::analysis::judge::MinShift::Absolute(2.5))
    );
}

#[test]
fn workload_routers_are_checked_against_what_they_can_carry() {
    let blue_green = fs::read_to_string("plans/k8s-blue-green.yaml").unwrap();
    let split = blue_green.replace(
        "  - { name: switch to green, weight: 100, hold: 10m }",
        "  - { name: half, weight: 50, hold: 5m }\n  - { name: switch to green, weight: 100, hold: 10m }",
    );
    let lines = refusals(&split, "bg.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains(
            "router service-selector sends all traffic to one version: stage `half` must weigh 0% or 100%, not 50%"
        ),
        "{lines:?}"
    );
    let same = blue_green.replace("colour: green", "colour: blue");
    assert!(refusals(&same, "bg.yaml")[0].contains("the canary selector is the stable one"));
    // Nested selectors: the stable one would also match the canary's pods.
    let nested = blue_green.replace("stable: { app: billing, colour: blue }", "stable: { app: billing }");
    assert!(
        refusals(&nested, "bg.yaml")[0].contains("no pod may match both selectors"),
        "{:?}",
        refusals(&nested, "bg.yaml")
    );

    let replicas = fs::read_to_string("plans/k8s-replicas-canary.yaml").unwrap();
    let one = replicas.replace("    total: 20 ", "    total: 1 ");
    let lines = refusals(&one, "r.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("total 1 pods cannot carry a canary"), "{lines:?}");
    // Ten pods carry 5% and 25% only roughly: a warning each, the plan stays valid.
    let ten = replicas.replace("    total: 20 ", "    total: 10 ");
    let checked = plan::parse_checked(&ten, "r.yaml").expect("still valid");
    let warnings: Vec<String> = checked.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("stage `canary 5%`: with 10 pods the canary runs 1 (10%), the nearest whole pods to 5%"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("runs 3 (30%)"), "{warnings:?}");
    // Settings for another router are a mistake.
    let stray = replicas.replace("  router: replicas", "  router: haproxy");
    assert!(
        refusals(&stray, "r.yaml")
            .iter()
            .any(|l| l.contains("`replicas:` settings are given but the router is haproxy")),
        "{:?}",
        refusals(&stray, "r.yaml")
    );
}

#[test]
fn a_deploy_is_checked_where_it_is_written() {
    let replicas = fs::read_to_string("plans/k8s-replicas-canary.yaml").unwrap();
    let deploy = r#"deploy: { image: "registry.example.com/shop/checkout:2.14.0", container: checkout, timeout: 5m }"#;
    assert!(replicas.contains(deploy));
    // Off Kubernetes there is no Deployment to update.
    let canary = fs::read_to_string("plans/canary.yaml").unwrap();
    let haproxy = canary.replacen(
        "    checklist: pre-release\n    weight: 0\n",
        "    checklist: pre-release\n    weight: 0\n    deploy: { image: \"shop/checkout:2.14.0\" }\n",
        1,
    );
    assert_ne!(haproxy, canary, "the canary plan's first stage changed");
    let lines = refusals(&haproxy, "c.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("c.yaml:96:") && lines[0].contains("router sim has no Deployments to update"),
        "{lines:?}"
    );
    // A bad image is named at its own key, with what a reference may hold.
    let spaced = replicas.replace("shop/checkout:2.14.0", "shop/checkout 2.14.0");
    let lines = refusals(&spaced, "r.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    let at = replicas
        .lines()
        .position(|l| l.contains("shop/checkout:2.14.0"))
        .unwrap()
        + 1;
    assert!(
        lines[0].starts_with(&format!("r.yaml:{at}:")),
        "at the image's line {at}: {lines:?}"
    );
    assert!(lines[0].contains("image contains ' '"), "{lines:?}");
    let zero = replicas.replace("timeout: 5m }", "timeout: 0s }");
    assert!(refusals(&zero, "r.yaml")[0].contains("a deploy timeout of 0 holds at once"));
    let typo = replicas.replace("container: checkout,", "contianer: checkout,");
    assert!(
        refusals(&typo, "r.yaml")[0].contains("contianer"),
        "{:?}",
        refusals(&typo, "r.yaml")
    );
    // A router that does not say which Deployment runs the canary needs it named.
    let blue_green = fs::read_to_string("plans/k8s-blue-green.yaml").unwrap();
    let unnamed = blue_green.replace("deployment: billing-green, ", "");
    let lines = refusals(&unnamed, "bg.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("names no Deployment") && lines[0].contains("add `deployment: <name>`"),
        "{lines:?}"
    );
}

#[test]
fn a_rolling_update_needs_its_image_deployed_first() {
    let rolling = fs::read_to_string("plans/k8s-rolling.yaml").unwrap();
    let deploy = "  - name: deploy 2.14.0 (paused)\n    weight: 0\n    deploy: { image: \"registry.example.com/shop/checkout:2.14.0\", container: checkout, timeout: 5m }\n";
    assert!(rolling.contains(deploy));
    let without = rolling.replace(deploy, "");
    let lines = refusals(&without, "r.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("router rolling rolls out the image a stage deploys")
            && lines[0].contains("Deployment checkout"),
        "{lines:?}"
    );
    // A deploy while the rollout carries traffic would roll a second image mid-release.
    let late = without.replace(
        "  - { name: batch 50%, weight: 50, hold: 10m }",
        "  - name: batch 50%\n    weight: 50\n    hold: 10m\n    deploy: { image: \"shop/checkout:2.14.1\" }",
    );
    let lines = refusals(&late, "r.yaml");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("deploys while the rollout carries traffic")),
        "{lines:?}"
    );
}

#[test]
fn an_argo_rollout_plan_starts_at_a_weight_the_rollout_pauses_at_and_deploys_nothing() {
    let argo = fs::read_to_string("plans/argo-rollout.yaml").unwrap();
    let first = "  - { name: canary 20%, checklist: pre-release, weight: 20, hold: 5m }";
    assert!(argo.contains(first));
    let zero = argo.replace(first, &format!("  - {{ name: go/no-go, weight: 0 }}\n{first}"));
    let lines = refusals(&zero, "a.yaml");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("weighs 0%: on an Argo Rollout that is an abort"),
        "{lines:?}"
    );
    let deploy = argo.replace(
        first,
        "  - { name: canary 20%, checklist: pre-release, weight: 20, hold: 5m, deploy: { image: \"shop/checkout:2.14.0\", deployment: checkout } }",
    );
    let lines = refusals(&deploy, "a.yaml");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("an Argo Rollout's template is changed by whoever applies it")),
        "{lines:?}"
    );
}
