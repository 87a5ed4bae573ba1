//! Hold reasons in the cockpit's words. The engine states why the release is not moving
//! and names no key (headless runs have none); the cockpit adds what to press, with every
//! key letter taken from the key table.

use super::keys::{Action, key_for};
use crate::engine::HoldReason;
use crate::format::fmt_score;

/// The reason with what a person can do about it, where a key does something.
/// `can_advance` is the engine's answer to advancing now: a key it would refuse is not
/// offered.
pub fn wide(reason: &HoldReason, can_advance: bool) -> String {
    let rollback = key_for(Action::Rollback);
    match reason {
        HoldReason::TriggerFired { trigger } => format!("rollback trigger fired: {trigger}: {rollback} rolls back"),
        HoldReason::JudgeMarginal { score } if can_advance => format!(
            "canary judge marginal (score {}): {} goes on, {rollback} rolls back",
            fmt_score(*score),
            key_for(Action::Advance)
        ),
        HoldReason::JudgeMarginal { score } => {
            format!(
                "canary judge marginal (score {}): {rollback} rolls back",
                fmt_score(*score)
            )
        }
        HoldReason::JudgeFailed { score, why } => {
            format!(
                "canary judge failed (score {}): {why}; {rollback} rolls back",
                fmt_score(*score)
            )
        }
        HoldReason::ManualWeight { weight, stage } if can_advance => format!(
            "manual weight {weight} in force (stage weight {stage}): {} moves on",
            key_for(Action::Advance)
        ),
        _ => reason.to_string(),
    }
}

/// Fewer words for a narrow terminal: the keys come first, so the part that says what
/// to do survives a cut.
pub fn tight(reason: &HoldReason, can_advance: bool) -> String {
    let rollback = key_for(Action::Rollback);
    match reason {
        HoldReason::TriggerFired { trigger } => format!("trigger {trigger}: {rollback} rolls back"),
        HoldReason::JudgeMarginal { score } if can_advance => format!(
            "canary judge marginal ({score:.0}): {} goes on, {rollback} rolls back",
            key_for(Action::Advance)
        ),
        HoldReason::JudgeMarginal { score } => format!("canary judge marginal ({score:.0}): {rollback} rolls back"),
        HoldReason::JudgeFailed { score, why } => {
            format!("canary judge failed ({score:.0}): {rollback} rolls back; {why}")
        }
        HoldReason::DeployTooSlow {
            deployment,
            timeout,
            progress,
        } => format!("Deployment {deployment} not ready after {timeout}: {progress}"),
        _ => reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_come_from_the_key_table() {
        let marginal = HoldReason::JudgeMarginal { score: 60.0 };
        assert_eq!(
            wide(&marginal, true),
            format!(
                "canary judge marginal (score 60): {} goes on, {} rolls back",
                key_for(Action::Advance),
                key_for(Action::Rollback)
            )
        );
        assert!(tight(&marginal, true).starts_with("canary judge marginal (60): n goes on, R rolls back"));
        assert_eq!(wide(&marginal, false), "canary judge marginal (score 60): R rolls back");
    }

    #[test]
    fn reasons_without_a_key_keep_the_engine_words() {
        let stale = HoldReason::Stale {
            metric: "p99".into(),
            age_secs: 40,
        };
        assert_eq!(wide(&stale, true), stale.to_string());
        assert_eq!(tight(&stale, true), stale.to_string());
    }

    #[test]
    fn the_engine_words_name_no_key() {
        for reason in [
            HoldReason::TriggerFired {
                trigger: "errors".into(),
            },
            HoldReason::JudgeMarginal { score: 60.0 },
            HoldReason::JudgeFailed {
                score: 0.0,
                why: "critical metric errors".into(),
            },
        ] {
            let engine = reason.to_string();
            assert!(!engine.contains(" R ") && !engine.contains(" n "), "{engine}");
            assert!(wide(&reason, true).contains("R rolls back"), "{}", wide(&reason, true));
        }
    }
}
