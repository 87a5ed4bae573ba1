//! How the application path behaves: which requests fail and how long each waits, as exact
//! rules over a request counter, and the query syntax that changes them at runtime.

use std::fmt;
use std::time::Duration;

/// One request in this many is slow when the tail is on (2%), so the p99 falls inside the tail.
pub const TAIL_EVERY: u64 = 50;

/// How the application path behaves.
///
/// Request `n` (counted from 1, restarting whenever the behaviour changes):
/// - fails with 500 when `floor(n * error_ratio)` steps up, so exactly `floor(N * error_ratio)`
///   of the first `N` requests fail, evenly spread (0.05 fails requests 20, 40, 60, ...). The
///   ratio is taken in whole parts per million, so the count is exact integer arithmetic;
/// - waits `latency_ms`, times `p99_factor` when `n` is a multiple of [`TAIL_EVERY`], plus a
///   jitter drawn uniformly from `[-latency_jitter_ms, +latency_jitter_ms]` (never below 0).
///   The jitter is a hash of `n`, so a run is repeatable. With a factor above 1 the p50 is
///   about `latency_ms` and the p99 about `latency_ms * p99_factor`.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub error_ratio: f64,
    pub latency_ms: u64,
    pub latency_jitter_ms: u64,
    pub p99_factor: f64,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            error_ratio: 0.0,
            latency_ms: 20,
            latency_jitter_ms: 5,
            p99_factor: 1.0,
        }
    }
}

/// Nothing takes longer than this, whatever the settings.
const MAX_LATENCY_MS: u64 = 60_000;

impl Behaviour {
    /// Checks every field is in range; the message names the field and its range.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.error_ratio) {
            return Err(format!("error_ratio must be within 0..=1, got {}", self.error_ratio));
        }
        if !(1.0..=100.0).contains(&self.p99_factor) {
            return Err(format!("p99_factor must be within 1..=100, got {}", self.p99_factor));
        }
        if self.latency_ms > MAX_LATENCY_MS || self.latency_jitter_ms > MAX_LATENCY_MS {
            return Err(format!(
                "latency_ms and latency_jitter_ms must be at most {MAX_LATENCY_MS}"
            ));
        }
        if self.latency_ms as f64 * self.p99_factor > MAX_LATENCY_MS as f64 {
            return Err(format!("latency_ms * p99_factor must be at most {MAX_LATENCY_MS}"));
        }
        Ok(())
    }

    /// This behaviour with the fields named in a query string (`error_ratio=0.1&latency_ms=60`)
    /// changed; unknown names and bad values are errors.
    pub fn with_query(&self, query: &str) -> Result<Behaviour, String> {
        let mut next = self.clone();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (percent_decode(key), percent_decode(value));
            let bad = |what: &str| format!("{key}: {what}, got {value:?}");
            match key.as_str() {
                "error_ratio" => next.error_ratio = value.parse().map_err(|_| bad("expected a number"))?,
                "latency_ms" => next.latency_ms = value.parse().map_err(|_| bad("expected whole milliseconds"))?,
                "latency_jitter_ms" => {
                    next.latency_jitter_ms = value.parse().map_err(|_| bad("expected whole milliseconds"))?;
                }
                "p99_factor" => next.p99_factor = value.parse().map_err(|_| bad("expected a number"))?,
                _ => {
                    return Err(format!(
                        "unknown setting {key:?}: use error_ratio, latency_ms, latency_jitter_ms or p99_factor"
                    ));
                }
            }
        }
        next.validate()?;
        Ok(next)
    }

    /// Whether request `n` (from 1) fails.
    pub fn fails(&self, n: u64) -> bool {
        steps_up(n, ppm(self.error_ratio))
    }

    /// How long request `n` (from 1) waits before its response.
    pub fn latency(&self, n: u64) -> Duration {
        let mut base_us = self.latency_ms as f64 * 1000.0;
        if n.is_multiple_of(TAIL_EVERY) {
            base_us *= self.p99_factor;
        }
        let jitter_us = self.latency_jitter_ms as i64 * 1000;
        let jitter = if jitter_us == 0 {
            0
        } else {
            (splitmix64(n) % (2 * jitter_us as u64 + 1)) as i64 - jitter_us
        };
        Duration::from_micros((base_us as i64 + jitter).max(0) as u64)
    }
}

impl fmt::Display for Behaviour {
    /// The same syntax `POST /config` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "error_ratio={} latency_ms={} latency_jitter_ms={} p99_factor={}",
            self.error_ratio, self.latency_ms, self.latency_jitter_ms, self.p99_factor
        )
    }
}

/// A ratio in parts per million, so the failure rule is exact integer arithmetic.
fn ppm(ratio: f64) -> u64 {
    (ratio.clamp(0.0, 1.0) * 1_000_000.0).round() as u64
}

/// Whether `floor(n * ppm / 1e6)` is larger than it was for `n - 1`.
fn steps_up(n: u64, ppm: u64) -> bool {
    let at = |k: u64| u128::from(k) * u128::from(ppm) / 1_000_000;
    n > 0 && at(n) > at(n - 1)
}

/// A well-mixed hash of a counter (splitmix64), for repeatable jitter.
fn splitmix64(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_exact_and_evenly_spread() {
        let b = Behaviour {
            error_ratio: 0.05,
            ..Behaviour::default()
        };
        let failed: Vec<u64> = (1..=200).filter(|&n| b.fails(n)).collect();
        assert_eq!(failed, (1..=10).map(|k| k * 20).collect::<Vec<_>>());
        for (ratio, n, expected) in [(0.0, 1000, 0), (1.0, 7, 7), (0.007, 1000, 7), (0.29, 100, 29)] {
            let b = Behaviour {
                error_ratio: ratio,
                ..Behaviour::default()
            };
            assert_eq!((1..=n).filter(|&k| b.fails(k)).count(), expected, "ratio {ratio}");
        }
    }

    #[test]
    fn latency_is_base_plus_bounded_jitter_with_a_two_percent_tail() {
        let b = Behaviour {
            latency_ms: 20,
            latency_jitter_ms: 5,
            p99_factor: 3.0,
            ..Behaviour::default()
        };
        for n in 1..=1000 {
            let ms = b.latency(n).as_secs_f64() * 1000.0;
            let base = if n.is_multiple_of(TAIL_EVERY) { 60.0 } else { 20.0 };
            assert!((base - 5.0..=base + 5.0).contains(&ms), "request {n}: {ms} ms");
        }
        assert_eq!(b.latency(7), b.latency(7));
        assert_ne!(b.latency(7), b.latency(8));
    }

    #[test]
    fn query_changes_only_named_fields_and_rejects_nonsense() {
        let b = Behaviour::default();
        let next = b.with_query("error_ratio=0.5&latency_ms=60").unwrap();
        assert_eq!(
            (next.error_ratio, next.latency_ms, next.latency_jitter_ms),
            (0.5, 60, 5)
        );
        assert_eq!(b.with_query("p99%5Ffactor=2").unwrap().p99_factor, 2.0);
        for bad in [
            "error_ratio=2",
            "error_ratio=x",
            "latency_ms=-1",
            "p99_factor=0.5",
            "colour=red",
        ] {
            assert!(b.with_query(bad).is_err(), "{bad}");
        }
    }
}
