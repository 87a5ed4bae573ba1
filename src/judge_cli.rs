//! `shipdeck judge`: judge one metric from two files of samples with the canary judge
//! (src/analysis/judge/).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::analysis::judge::{self, Classification, Direction, EffectKind, JudgeConfig, MinShift, NanStrategy};
use crate::format::fmt_precise;

/// Exit code: the experiment passes (or there is no data).
pub const EXIT_PASS: i32 = 0;
/// Exit code: High or Low in a bad direction.
pub const EXIT_FAIL: i32 = 1;
/// Exit code: unreadable input or the judgement could not be made (Error).
pub const EXIT_ERROR: i32 = 2;

/// Compare an experiment (canary) sample with a control (baseline) sample.
#[derive(Debug, Clone, Args)]
pub struct JudgeArgs {
    /// Baseline samples: one number per line, or a JSON array (NaN/null allowed).
    #[arg(long, value_name = "FILE")]
    pub control: PathBuf,
    /// Canary samples, same format.
    #[arg(long, value_name = "FILE")]
    pub experiment: PathBuf,
    /// Which change is bad.
    #[arg(long, value_enum, default_value = "either")]
    pub direction: Direction,
    /// What to do with NaN and infinite values.
    #[arg(long, value_enum, default_value = "remove")]
    pub nan: NanStrategy,
    /// Effect size that must also exceed the allowed change.
    #[arg(long, value_enum, default_value = "mean-ratio")]
    pub effect: EffectKind,
    /// Confidence level of the shift interval.
    #[arg(long, default_value_t = judge::DEFAULT_CONFIDENCE)]
    pub confidence: f64,
    /// How far the interval's near end must clear zero, as a share of the shift's own size.
    #[arg(long, default_value_t = judge::DEFAULT_TOLERANCE)]
    pub tolerance: f64,
    /// A minimum practical shift: a percentage of the control mean (10%) or a number in
    /// the samples' unit (5). None by default.
    #[arg(long, value_name = "SHIFT", value_parser = MinShift::parse)]
    pub min_shift: Option<MinShift>,
    /// Effect size above which an increase counts (default: 1 for mean-ratio, 0.5 for cles).
    #[arg(long, value_name = "EFFECT")]
    pub allowed_increase: Option<f64>,
    /// Effect size below which a decrease counts (default: 1 for mean-ratio, 0.5 for cles).
    #[arg(long, value_name = "EFFECT")]
    pub allowed_decrease: Option<f64>,
    /// Drop values outside the interquartile fences Q1 - k IQR .. Q3 + k IQR (k default 3).
    #[arg(long, value_name = "K", num_args = 0..=1, default_missing_value = "3")]
    pub outliers: Option<f64>,
    /// An empty sample is an Error instead of NoData.
    #[arg(long)]
    pub must_have_data: bool,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

impl JudgeArgs {
    pub fn config(&self) -> JudgeConfig {
        JudgeConfig {
            direction: self.direction,
            nan: self.nan,
            must_have_data: self.must_have_data,
            outlier_factor: self.outliers,
            effect: self.effect,
            allowed_increase: self.allowed_increase,
            allowed_decrease: self.allowed_decrease,
            tolerance: self.tolerance,
            min_shift: self.min_shift,
            confidence: self.confidence,
            ..JudgeConfig::default()
        }
    }
}

/// Parses samples: numbers separated by newlines, commas or whitespace, optionally inside one
/// JSON array. `NaN`, `nan` and `null` are NaN. Numbers are parsed with `str::parse`, which
/// rounds correctly. Returns a message naming the line of the first bad token.
pub fn parse_samples(text: &str) -> Result<Vec<f64>, String> {
    // Editors on Windows may write a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let trimmed = text.trim();
    let body = match trimmed.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or("a JSON array must end with ']'")?,
        None => trimmed,
    };
    let mut out = Vec::new();
    for (line_no, line) in body.lines().enumerate() {
        for token in line
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|t| !t.is_empty())
        {
            let value = match token {
                "null" | "NaN" | "nan" | "NA" => f64::NAN,
                t => {
                    let number = t.trim_matches('"');
                    let value = number
                        .parse::<f64>()
                        .map_err(|_| format!("line {}: '{}' is not a number", line_no + 1, quote_token(t)))?;
                    // `1e400` reads as infinity: say so rather than let it be dropped as one.
                    let infinity_written = number.trim_start_matches(['+', '-']).eq_ignore_ascii_case("inf")
                        || number.trim_start_matches(['+', '-']).eq_ignore_ascii_case("infinity");
                    if value.is_infinite() && !infinity_written {
                        return Err(format!(
                            "line {}: '{}' is too large for a number (beyond ±1.8e308)",
                            line_no + 1,
                            quote_token(t)
                        ));
                    }
                    value
                }
            };
            out.push(value);
        }
    }
    Ok(out)
}

/// A sample file holds numbers a person collected: 16 MiB is millions of them.
const SAMPLE_FILE_BYTES: u64 = 16 << 20;

/// A token as a message quotes it: one line, cut short.
fn quote_token(token: &str) -> String {
    crate::outside::one_line(token, 40)
}

fn read(path: &Path) -> Result<Vec<f64>, String> {
    let text = crate::files::read_text(path, SAMPLE_FILE_BYTES).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_samples(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Runs `shipdeck judge`; returns the exit code (0 pass/no data, 1 High/Low, 2 error).
pub fn run(args: &JudgeArgs, out: &mut impl Write, err: &mut impl Write) -> i32 {
    if let Some(problem) = args.config().problem() {
        let _ = writeln!(err, "error: {problem}");
        return EXIT_ERROR;
    }
    let (control, experiment) = match (read(&args.control), read(&args.experiment)) {
        (Ok(c), Ok(e)) => (c, e),
        (Err(m), _) | (_, Err(m)) => {
            let _ = writeln!(err, "error: {m}");
            return EXIT_ERROR;
        }
    };
    let v = judge::judge(&control, &experiment, &args.config());
    let limits = args.config();
    let neutral = limits.effect.neutral();
    let effect_name = match args.effect {
        EffectKind::MeanRatio => "mean ratio",
        EffectKind::Cles => "common-language effect size",
    };
    let written = if args.json {
        // The verdict's figures, and the limits its effect size was held to.
        let mut json = v.to_json();
        json["effect"] = serde_json::json!({
            "kind": effect_name,
            "allowed_increase": limits.allowed_increase.unwrap_or(neutral),
            "allowed_decrease": limits.allowed_decrease.unwrap_or(neutral),
        });
        writeln!(out, "{json}")
    } else {
        // The figures at the precision of the reason under them (`--json` has them all).
        let num = |x: Option<f64>| x.map_or("-".to_string(), fmt_precise);
        let ci = v.ci.map_or("-".to_string(), |(l, h)| {
            format!("[{}, {}]", fmt_precise(l), fmt_precise(h))
        });
        let band = v.band.map_or("-".to_string(), |b| {
            format!("±{} ({})", fmt_precise(b.width), b.origin())
        });
        writeln!(
            out,
            "{}\n  estimate   {} (experiment - control), {}% interval {ci}\n  band       {band}: the interval must clear it\n  p-value    {}\n  effect     {} ({}); counts above {} or below {}\n  control    n={} mean={}\n  experiment n={} mean={}\n  reason     {}",
            v.classification.as_str(),
            num(v.estimate),
            args.confidence * 100.0,
            v.p_value.map_or("-".to_string(), fmt_precise),
            num(v.effect_size),
            effect_name,
            limits.allowed_increase.unwrap_or(neutral),
            limits.allowed_decrease.unwrap_or(neutral),
            v.control.n,
            num(v.control.mean),
            v.experiment.n,
            num(v.experiment.mean),
            v.reason
        )
    };
    if written.is_err() {
        return EXIT_ERROR;
    }
    match v.classification {
        Classification::Pass | Classification::NoData => EXIT_PASS,
        Classification::High | Classification::Low => EXIT_FAIL,
        Classification::Error => EXIT_ERROR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_json() {
        assert_eq!(parse_samples("1\n2.5\n\n3\n").unwrap(), vec![1.0, 2.5, 3.0]);
        let v = parse_samples("[1, 2e-3, null]").unwrap();
        assert_eq!(&v[..2], &[1.0, 0.002]);
        assert!(v[2].is_nan());
        assert!(parse_samples("1\nabc\n").unwrap_err().contains("line 2"));
        assert_eq!(
            parse_samples("\u{feff}1\n2\n").unwrap(),
            vec![1.0, 2.0],
            "a byte-order mark is not a value"
        );
        let err = parse_samples("1\n1e400\n").unwrap_err();
        assert_eq!(err, "line 2: '1e400' is too large for a number (beyond ±1.8e308)");
        let v = parse_samples("+Inf -inf Infinity").unwrap();
        assert!(v.iter().all(|x| x.is_infinite()), "infinities written as such stay");
    }

    fn args(dir: &Path, control: &str, experiment: &str, json: bool) -> JudgeArgs {
        std::fs::write(dir.join("c"), control).unwrap();
        std::fs::write(dir.join("e"), experiment).unwrap();
        JudgeArgs {
            control: dir.join("c"),
            experiment: dir.join("e"),
            direction: Direction::Either,
            nan: NanStrategy::Remove,
            effect: EffectKind::MeanRatio,
            confidence: 0.98,
            tolerance: judge::DEFAULT_TOLERANCE,
            min_shift: None,
            allowed_increase: None,
            allowed_decrease: None,
            outliers: None,
            must_have_data: false,
            json,
        }
    }

    #[test]
    fn json_output_and_exit_codes() {
        let dir = tempfile::tempdir().unwrap();
        let control: String = (0..40).map(|i| format!("{}\n", 100 + i % 7)).collect();
        let experiment: String = (0..40).map(|i| format!("{}\n", 200 + i % 7)).collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args(dir.path(), &control, &experiment, true), &mut out, &mut err);
        assert_eq!(code, EXIT_FAIL);
        let j: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(j["classification"], "High");
        assert_eq!(j["control"]["n"], 40);

        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args(dir.path(), &control, &control, false), &mut out, &mut err);
        assert_eq!(code, EXIT_PASS);
        assert!(String::from_utf8(out).unwrap().starts_with("Pass\n"));

        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&args(dir.path(), "x\n", "1\n", false), &mut out, &mut err);
        assert_eq!(code, EXIT_ERROR);
        assert!(String::from_utf8(err).unwrap().contains("not a number"));
    }
}
