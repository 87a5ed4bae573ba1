//! `shipdeck check`: load and validate plan files, one summary line per valid plan and one
//! `file:line:col: message` line per problem, so editors and CI can jump to each. Advice on
//! a valid plan comes as `file:line:col: warning: ...` lines and leaves the plan valid.

use std::io::Write;
use std::path::PathBuf;

use crate::plan::{self, Plan};

/// Exit status when every plan is valid.
pub const OK: i32 = 0;
/// Exit status when any plan is invalid (or none was given).
pub const INVALID: i32 = 2;

/// Checks each plan in `paths`, writing summaries to `out` and problems to `err`.
pub fn run(paths: &[PathBuf], out: &mut impl Write, err: &mut impl Write) -> i32 {
    if paths.is_empty() {
        // Output errors (a closed pipe) cannot be reported anywhere better; the status says it.
        let _ = writeln!(err, "no plan files given: pass one or more, e.g. plans/canary.yaml");
        return INVALID;
    }
    let mut status = OK;
    for path in paths {
        let written = match plan::load_checked(path) {
            Ok(checked) => writeln!(out, "{}: ok: {}", path.display(), summary(&checked.plan))
                .and_then(|()| checked.warnings.iter().try_for_each(|w| writeln!(err, "{w}"))),
            Err(errors) => {
                status = INVALID;
                errors.iter().try_for_each(|e| writeln!(err, "{e}"))
            }
        };
        if written.is_err() {
            status = INVALID;
        }
    }
    status
}

/// `checkout-api 2.14.0 (minor, risk medium), 6 stages 0%->5%->...->100%, 2 metrics, ...`
pub fn summary(plan: &Plan) -> String {
    let r = &plan.release;
    let ladder: Vec<String> = plan.stages.iter().map(|s| s.weight.to_string()).collect();
    let approvals = plan.approvals.clone().unwrap_or_else(|| r.kind.default_approvals());
    let window = plan.rollback.window.unwrap_or_else(|| r.kind.default_rollback_window());
    let judge = plan.analysis.judge.as_ref().map_or_else(String::new, |j| {
        let on_fail = match j.on_fail {
            plan::JudgeOnFail::Ask => "asks",
            plan::JudgeOnFail::Rollback => "rolls back",
        };
        format!(
            ", judge every {} (pass {}, marginal {}; a fail {on_fail})",
            j.every, j.pass, j.marginal
        )
    });
    let router = match plan.target.driven() {
        Some(driven) => format!("router {} ({driven})", plan.target.router().as_str()),
        None => "router sim".to_string(),
    };
    let source = match &plan.analysis.source {
        plan::Source::Sim => "metrics sim".to_string(),
        plan::Source::Prometheus(_) => "metrics prometheus".to_string(),
    };
    format!(
        "{} {} ({}, risk {}), {router}, {source}, {}, {}, {}, {}{judge}, approvals: {}, rollback window {}",
        r.name,
        r.version,
        r.kind.as_str(),
        risk_word(r.risk),
        count(plan.stages.len(), "stage", &format!(" {}", ladder.join("->"))),
        count(plan.metrics.len(), "metric", ""),
        count(plan.gates.len(), "gate", ""),
        count(plan.rollback.triggers.len(), "trigger", ""),
        approvals.join(" + "),
        window,
    )
}

fn count(n: usize, noun: &str, tail: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} {noun}{s}{tail}")
}

fn risk_word(risk: plan::Risk) -> &'static str {
    match risk {
        plan::Risk::Low => "low",
        plan::Risk::Medium => "medium",
        plan::Risk::High => "high",
    }
}
