//! The canary judge inside the release (its statistics state is `judging`): when one is due, over which window, and what
//! the verdict does (latch a marginal or asked-for failure, or roll back).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::Release;
use crate::analysis::judge::score::Outcome;
use crate::engine::effect::{Effect, EventKind};
use crate::engine::event::Actor;
use crate::engine::judging::Latch;
use crate::engine::phase::Step;
use crate::format::fmt_score;
use crate::plan::JudgeOnFail;

impl Release {
    /// Judges an interval when one is due, and acts on the verdict.
    pub(in crate::engine) fn run_judge(&mut self, now: DateTime<Utc>, fx: &mut Vec<Effect>) {
        let due = self.step == Step::Holding
            && !self.phase.is_over()
            && self.judge_active()
            && self.judge.as_ref().and_then(|j| j.next_at).is_some_and(|at| now >= at);
        if !due {
            return;
        }
        let plan = Arc::clone(&self.plan);
        let analysed: Vec<bool> = (0..plan.metrics.len()).map(|m| self.metric_analysed(m)).collect();
        let since = self.moments.holding_since.unwrap_or(now);
        let Some(judge) = self.judge.as_mut() else { return };
        let every = judge.settings.every.to_chrono();
        let from = since.max(now - judge.settings.window.to_chrono());
        // After a long gap between events, the next interval starts from now.
        let mut next = judge.next_at.unwrap_or(now);
        while next <= now {
            next += every;
        }
        judge.next_at = Some(next);
        let stale_after = plan.analysis.stale_after.to_chrono();
        let judgement = judge.judge(
            &plan,
            &self.metrics,
            |m| analysed[m],
            self.stage,
            from,
            now,
            stale_after,
        );
        let (outcome, score, reason) = (
            judgement.outcome(),
            judgement.score.score,
            judgement.score.reason.clone(),
        );
        let on_fail = judge.settings.on_fail;
        let kind = match outcome {
            Outcome::Pass => EventKind::JudgePass,
            Outcome::Marginal => EventKind::JudgeMarginal,
            Outcome::Fail => EventKind::JudgeFail,
            Outcome::NoData => EventKind::JudgeNoData,
        };
        let latch = Some(Latch {
            outcome,
            score,
            reason: reason.clone(),
        });
        match outcome {
            Outcome::Marginal if judge.latch.is_none() => judge.latch = latch,
            Outcome::Fail if on_fail == JudgeOnFail::Ask => judge.latch = latch,
            _ => {}
        }
        let who = Actor {
            name: "judge".into(),
            origin: None,
        };
        // The log says when the verdict changes; the score history keeps every interval.
        let previous = judge.previous_outcome;
        judge.previous_outcome = Some(outcome);
        if previous != Some(outcome) {
            self.record(fx, now, who.clone(), kind, format!("{} · {reason}", outcome.label()));
        }
        if outcome == Outcome::Fail && on_fail == JudgeOnFail::Rollback {
            let reason = format!(
                "canary judge failed the interval (score {}): {reason}",
                fmt_score(score)
            );
            self.start_rollback(who, reason, now, fx);
        }
    }
}
