//! The canary judge in words: its numbers as the metrics pane and the analysis dialog show
//! them, and why it has not judged (yet). Pure functions of the release and the time.

use chrono::{DateTime, Utc};

use crate::analysis::judge::{EffectKind, JudgeConfig, Verdict};
use crate::engine::Release;
use crate::engine::judging::{JudgeState, Judgement, config_for};
use crate::format::fmt_num;
pub use crate::format::with_unit;
use crate::format::{fmt_duration, fmt_signed};

/// `Δ +5.90 [+2.10, +9.80] ms`: the shift of the canary from the baseline and its interval.
pub fn estimate(v: &Verdict, unit: &str) -> Option<String> {
    let est = v.estimate.filter(|e| e.is_finite())?;
    let text = match v.ci {
        Some((lo, hi)) if lo.is_finite() && hi.is_finite() => {
            // The root search stops within a millionth of the range it searched: a shift
            // smaller than that is no shift, shown as 0 rather than as search noise.
            let noise = (hi - lo).abs() * 1e-4;
            let est = if est.abs() <= noise { 0.0 } else { est };
            format!("Δ {} [{}, {}]", fmt_signed(est), fmt_signed(lo), fmt_signed(hi))
        }
        _ => format!("Δ {}", fmt_signed(est)),
    };
    Some(with_unit(&text, unit))
}

/// `×1.03` (mean ratio) or `CLES 0.62` (chance a canary value exceeds a baseline value).
pub fn effect(v: &Verdict, kind: EffectKind) -> Option<String> {
    let e = v.effect_size.filter(|e| !e.is_nan())?;
    Some(match kind {
        EffectKind::MeanRatio if e.is_infinite() => format!("×{}∞", if e < 0.0 { "-" } else { "" }),
        EffectKind::MeanRatio => format!("×{e:.2}"),
        EffectKind::Cles => format!("CLES {e:.2}"),
    })
}

/// `0.200 vs 0.180 %`: the canary's and the baseline's means over the window.
pub fn means(v: &Verdict, unit: &str) -> Option<String> {
    let (c, b) = (v.experiment.mean?, v.control.mean?);
    Some(with_unit(&format!("{} vs {}", fmt_num(c), fmt_num(b)), unit))
}

/// `n 60/60`: samples judged, canary then baseline.
pub fn counts(v: &Verdict) -> String {
    format!("n {}/{}", v.experiment.n, v.control.n)
}

/// The judge's settings for metric `index`, when the plan has a judge.
pub fn config(release: &Release, index: usize) -> Option<JudgeConfig> {
    let judge = release.judge()?;
    let metric = release.plan().metrics.get(index)?;
    Some(config_for(metric, &judge.settings))
}

/// Where the judge stands, in a few words for the pane: "next in 35s", "rests at 100%".
pub fn state_short(state: JudgeState, now: DateTime<Utc>, judged: bool) -> String {
    match state {
        JudgeState::Off => "off".into(),
        JudgeState::Stopped(p) => format!("stopped: {}", p.label().to_lowercase()),
        JudgeState::AtZero => "waits for traffic".into(),
        JudgeState::AtFull => "rests at 100%".into(),
        JudgeState::NotAnalysed => "not analysed at this stage".into(),
        JudgeState::NotHolding => "starts when the weight holds".into(),
        JudgeState::Next(at) if judged => format!("next {}", due(at, now)),
        JudgeState::Next(at) => format!("first interval {}", due(at, now)),
    }
}

/// Why there is no judgement at this weight, in a sentence.
pub fn state_sentence(state: JudgeState, release: &Release, now: DateTime<Utc>) -> String {
    let stage = &release.plan().stages[release.stage()];
    match state {
        JudgeState::Off => "Not judged: the canary judge is off (the plan sets no analysis.judge).".into(),
        JudgeState::Stopped(p) => format!(
            "Not judged: the release is {}, the judge has stopped.",
            p.label().to_lowercase()
        ),
        JudgeState::AtZero => {
            "Not judged: the judge waits for traffic; at 0% the canary serves nothing to compare.".into()
        }
        JudgeState::AtFull => "Not judged: the judge rests at 100%, with no baseline traffic left to compare.".into(),
        JudgeState::NotAnalysed => format!("Not judged: stage {} does not analyse this metric.", stage.name),
        JudgeState::NotHolding => format!(
            "Not judged yet: the judge starts when {} holds at {}.",
            stage.name,
            release.desired_weight()
        ),
        JudgeState::Next(at) => format!(
            "Not judged yet: the first interval at this weight is judged at {} ({}).",
            at.format("%H:%M:%S"),
            due(at, now)
        ),
    }
}

/// `in 35s`, or `due now` once the time has come (the judge runs on the next sample).
fn due(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if at <= now {
        "due now".into()
    } else {
        format!("in {}", fmt_duration(at - now))
    }
}

/// The stage a judgement was made at, as the pane names it: `canary 25%`.
pub fn stage_name(release: &Release, j: &Judgement) -> String {
    release
        .plan()
        .stages
        .get(j.stage)
        .map_or_else(|| format!("stage {}", j.stage + 1), |s| s.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::judge::{Classification, SampleSummary};

    fn verdict() -> Verdict {
        Verdict {
            classification: Classification::High,
            p_value: Some(0.0004),
            estimate: Some(5.9),
            ci: Some((2.1, 9.8)),
            effect_size: Some(1.034),
            band: None,
            control: SampleSummary {
                n: 60,
                mean: Some(176.0),
                ..SampleSummary::default()
            },
            experiment: SampleSummary {
                n: 58,
                mean: Some(182.0),
                ..SampleSummary::default()
            },
            reason: String::new(),
        }
    }

    #[test]
    fn numbers_read_with_sign_unit_and_interval() {
        let v = verdict();
        assert_eq!(estimate(&v, "ms").unwrap(), "Δ +5.90 [+2.10, +9.80] ms");
        assert_eq!(effect(&v, EffectKind::MeanRatio).unwrap(), "×1.03");
        assert_eq!(effect(&v, EffectKind::Cles).unwrap(), "CLES 1.03");
        assert_eq!(means(&v, "ms").unwrap(), "182 vs 176 ms");
        assert_eq!(counts(&v), "n 58/60");
        assert_eq!(fmt_signed(-0.02), "-0.020");
        assert_eq!(fmt_signed(0.0), "0");
        let inf = Verdict {
            effect_size: Some(f64::INFINITY),
            ..v
        };
        assert_eq!(effect(&inf, EffectKind::MeanRatio).unwrap(), "×∞");
    }

    #[test]
    fn missing_numbers_are_left_out() {
        let v = Verdict {
            estimate: None,
            ci: None,
            effect_size: None,
            ..verdict()
        };
        assert_eq!(estimate(&v, "ms"), None);
        assert_eq!(effect(&v, EffectKind::MeanRatio), None);
    }
}
