//! The band around zero a shift's interval must clear for the shift to count. By default it
//! is `tolerance × |estimate|`, as in Kayenta: the interval's near end must lie clearly away
//! from zero relative to the shift's own size. That is scale-free and mirrors when canary
//! and baseline swap; how large a change is acceptable is then the effect-size limits' say
//! (`allowed_increase`, `allowed_decrease`). A plan that also wants a minimum practical shift
//! names it (`min_shift`), and the band is then at least that wide.

use std::fmt;

use crate::format::fmt_precise;

/// A minimum practical shift: changes smaller than this never count, however certain.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MinShift {
    /// In the metric's own unit.
    Absolute(f64),
    /// A share of the baseline's mean (0.1 = 10%).
    OfBaseline(f64),
}

impl MinShift {
    /// `10%` (of the baseline mean) or `5` (in the metric's unit).
    pub fn parse(text: &str) -> Result<MinShift, String> {
        let text = text.trim();
        let (number, percent) = match text.strip_suffix('%') {
            Some(number) => (number.trim(), true),
            None => (text, false),
        };
        let value: f64 = number
            .parse()
            .map_err(|_| format!("min_shift {text:?} is not a number or a percentage (e.g. 10% or 5)"))?;
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!("min_shift {text} must be 0 or more"));
        }
        Ok(if percent {
            MinShift::OfBaseline(value / 100.0)
        } else {
            MinShift::Absolute(value)
        })
    }

    /// The shift, in the metric's unit, below which no change counts.
    pub fn width(self, baseline_mean: f64) -> f64 {
        match self {
            MinShift::Absolute(v) => v,
            MinShift::OfBaseline(share) => share * baseline_mean.abs(),
        }
    }
}

/// Plans write it as a number (`5`, in the metric's unit) or a percentage (`10%`).
impl<'de> serde::Deserialize<'de> for MinShift {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MinShift;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a shift in the metric's unit (5) or a percentage of the baseline mean (10%)")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<MinShift, E> {
                MinShift::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<MinShift, E> {
                MinShift::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<MinShift, E> {
                MinShift::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<MinShift, E> {
                MinShift::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(Visitor)
    }
}

impl serde::Serialize for MinShift {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl fmt::Display for MinShift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MinShift::Absolute(v) => write!(f, "{}", fmt_precise(*v)),
            MinShift::OfBaseline(share) => write!(f, "{}%", fmt_precise(share * 100.0)),
        }
    }
}

/// Where a band's width came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BandSource {
    /// `tolerance × |estimate|`.
    Shift { tolerance: f64, estimate: f64 },
    /// The plan's minimum practical shift, wider than the default band here.
    MinShift { min: MinShift, baseline_mean: f64 },
}

/// The half-width of the band around zero, and why it is that wide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub width: f64,
    pub source: BandSource,
}

impl Band {
    pub fn new(tolerance: f64, estimate: f64, min_shift: Option<MinShift>, baseline_mean: f64) -> Band {
        let relative = Band {
            width: tolerance * estimate.abs(),
            source: BandSource::Shift { tolerance, estimate },
        };
        match min_shift {
            Some(min) if min.width(baseline_mean) > relative.width => Band {
                width: min.width(baseline_mean),
                source: BandSource::MinShift { min, baseline_mean },
            },
            _ => relative,
        }
    }

    /// Where the width came from, in words: `0.25 × |shift +12.9|`, `min_shift 10% of the
    /// baseline mean 178`.
    pub fn origin(&self) -> String {
        let num = fmt_precise;
        match self.source {
            BandSource::Shift { tolerance, estimate } => {
                let sign = if estimate > 0.0 { "+" } else { "" };
                format!("{} × |shift {sign}{}|", num(tolerance), num(estimate))
            }
            BandSource::MinShift {
                min: min @ MinShift::OfBaseline(_),
                baseline_mean,
            } => format!("min_shift {min} of the baseline mean {}", num(baseline_mean)),
            BandSource::MinShift { min, .. } => format!("min_shift {min}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_band_scales_with_the_shift_unless_a_minimum_is_wider() {
        let band = Band::new(0.25, 12.9, None, 100.0);
        assert!((band.width - 3.225).abs() < 1e-12);
        assert_eq!(band.origin(), "0.25 × |shift +12.9|");
        assert_eq!(Band::new(0.25, -8.0, None, 100.0).width, 2.0, "symmetric in the sign");
        let wider = Band::new(0.25, 12.9, Some(MinShift::OfBaseline(0.1)), 180.0);
        assert_eq!(wider.width, 18.0);
        assert_eq!(wider.origin(), "min_shift 10% of the baseline mean 180");
        let narrower = Band::new(0.25, 12.9, Some(MinShift::Absolute(1.0)), 180.0);
        assert_eq!(
            narrower.source,
            BandSource::Shift {
                tolerance: 0.25,
                estimate: 12.9
            }
        );
        assert_eq!(
            Band::new(0.25, 1.0, Some(MinShift::Absolute(5.0)), 0.0).origin(),
            "min_shift 5"
        );
    }

    #[test]
    fn min_shift_reads_a_percentage_or_a_number() {
        assert_eq!(MinShift::parse("10%"), Ok(MinShift::OfBaseline(0.1)));
        assert_eq!(MinShift::parse(" 2.5 "), Ok(MinShift::Absolute(2.5)));
        assert!(MinShift::parse("-1").unwrap_err().contains("0 or more"));
        assert!(MinShift::parse("ten").unwrap_err().contains("not a number"));
        assert!(MinShift::parse("NaN%").is_err());
        assert_eq!(MinShift::OfBaseline(0.1).to_string(), "10%");
    }
}
