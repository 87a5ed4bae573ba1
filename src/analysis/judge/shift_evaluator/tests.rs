//! The evaluator against R's definition, bit for bit.

use super::super::ranksum::centred;
use super::*;

/// R's definition, evaluated directly: the exact grouped merge (the original `centred`
/// agrees with it everywhere; its fast path only skipped this merge when it gives the same
/// integers).
fn reference(x: &[f64], y: &[f64], d: f64) -> (f64, f64) {
    let (u2, ties) = centred_exact(x, y, d);
    finish(x.len(), y.len(), u2, ties)
}

fn bits((a, b): (f64, f64)) -> (u64, u64) {
    (a.to_bits(), b.to_bits())
}

/// xorshift64: deterministic samples without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Samples of several kinds, sorted: continuous, quantised with zeros (ties within and
/// across samples), small integers, large magnitudes with small gaps (rounding merges
/// when shifted), mixed signs with both zeros, and long tails.
fn sample(rng: &mut Rng, kind: usize, n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..n)
        .map(|_| match kind {
            0 => 200.0 + 40.0 * rng.unit(),
            1 => {
                if rng.unit() < 0.1 {
                    0.0
                } else {
                    (rng.unit() * 100.0).round() / 100.0
                }
            }
            2 => rng.below(6) as f64,
            3 => 1e16 + 2.0 * rng.below(40) as f64,
            4 => [-0.0, 0.0, -1.5, 1.5, -3.0, 2.25][rng.below(6)] + if rng.unit() < 0.3 { rng.unit() } else { 0.0 },
            _ => 100.0 + 10.0 * rng.unit() + if rng.unit() < 0.05 { 1e4 * rng.unit() } else { 0.0 },
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

/// Shifts as the root search produces them and around every kind of boundary: both ends
/// of the range, random points inside and outside it, exact pairwise differences (ties)
/// and their float neighbours, sequences converging on a point from both sides, repeats,
/// and both zeros.
fn shifts(rng: &mut Rng, x: &[f64], y: &[f64]) -> Vec<f64> {
    let (lo, hi) = (x[0] - y[y.len() - 1], x[x.len() - 1] - y[0]);
    let span = (hi - lo).abs().max(1e-300);
    let mut ds = vec![lo, hi, 0.0, -0.0];
    for _ in 0..20 {
        ds.push(lo - 0.25 * span + 1.5 * span * rng.unit());
    }
    for _ in 0..20 {
        let diff = x[rng.below(x.len())] - y[rng.below(y.len())];
        ds.extend([diff, diff.next_up(), diff.next_down()]);
    }
    for _ in 0..4 {
        let target = if rng.unit() < 0.5 {
            x[rng.below(x.len())] - y[rng.below(y.len())]
        } else {
            lo + span * rng.unit()
        };
        let mut w = span;
        while w > span * 1e-15 {
            ds.push(target + w);
            ds.push(target - 0.7 * w);
            w *= 0.1 + 0.4 * rng.unit();
        }
    }
    for k in 0..10 {
        ds.push(ds[k * 7 % ds.len()]);
    }
    ds
}

fn check_pair(rng: &mut Rng, x: &[f64], y: &[f64]) {
    let mut ev = ShiftEvaluator::new(x, y);
    for d in shifts(rng, x, y) {
        let want = bits(reference(x, y, d));
        assert_eq!(bits(centred(x, y, d)), want, "centred at {d:e}\nx = {x:?}\ny = {y:?}");
        assert_eq!(bits(ev.centred(d)), want, "evaluator at {d:e}\nx = {x:?}\ny = {y:?}");
    }
    for d in [f64::INFINITY, f64::NEG_INFINITY] {
        assert_eq!(bits(ev.centred(d)), bits(reference(x, y, d)), "evaluator at {d}");
    }
}

#[test]
fn evaluator_matches_the_plain_statistic_bit_for_bit() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..600 {
        let (kx, ky) = (round % 6, (round / 6) % 6);
        let (nx, ny) = (1 + rng.below(if round % 5 == 0 { 8 } else { 300 }), 1 + rng.below(300));
        let x = sample(&mut rng, kx, nx);
        let y = sample(&mut rng, ky, ny);
        check_pair(&mut rng, &x, &y);
    }
}

#[test]
fn evaluator_handles_rounding_merges() {
    // ulp(1e16) = 2: shifting 1e16 + 2k by an odd or fractional amount rounds pairs of
    // distinct values to one.
    let x: Vec<f64> = (0..40).map(|k| 1e16 + 2.0 * k as f64).collect();
    let y: Vec<f64> = (0..30).map(|k| 1e16 + 3.0 * k as f64).collect();
    let mut ev = ShiftEvaluator::new(&x, &y);
    let mut merged = 0;
    for k in -400..400 {
        let d = k as f64 * 0.5;
        let plain = centred_exact(&x, &y, d);
        merged += usize::from(plain.1 != tie_sum(&x) + tie_sum(&y));
        assert_eq!(bits(ev.centred(d)), bits(reference(&x, &y, d)), "at {d}");
        assert_eq!(bits(centred(&x, &y, d)), bits(reference(&x, &y, d)), "at {d}");
    }
    assert!(merged > 0, "no shift exercised a merge or tie");
}

#[test]
fn very_large_samples_walk_each_shift() {
    let x: Vec<f64> = (0..(1 << 17) + 1).map(|k| k as f64 * 0.25).collect();
    let y: Vec<f64> = (0..50).map(|k| k as f64 * 700.5).collect();
    let mut ev = ShiftEvaluator::new(&x, &y);
    assert!(!ev.indexed);
    for d in [-1e5, 0.0, 0.25, 1234.5, 3e4] {
        assert_eq!(bits(ev.centred(d)), bits(reference(&x, &y, d)), "at {d}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Continuous values, small integers (ties) and large magnitudes with gaps of one ulp
    /// or less (rounding merges when shifted).
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            0.0f64..50.0,
            (0u8..12).prop_map(f64::from),
            (0u32..30).prop_map(|k| 1e16 + f64::from(k))
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn evaluator_matches_on_random_samples(
            mut x in prop::collection::vec(value(), 1..60),
            mut y in prop::collection::vec(value(), 1..60),
            fractions in prop::collection::vec(-0.2f64..1.2, 1..40),
        ) {
            x.sort_by(f64::total_cmp);
            y.sort_by(f64::total_cmp);
            let (lo, hi) = (x[0] - y[y.len() - 1], x[x.len() - 1] - y[0]);
            let mut ev = ShiftEvaluator::new(&x, &y);
            for (k, f) in fractions.iter().enumerate() {
                // Points in and around the range, and now and then an exact difference.
                let d = if k % 3 == 2 { x[k % x.len()] - y[(k / 3) % y.len()] } else { lo + f * (hi - lo) };
                let want = bits(reference(&x, &y, d));
                prop_assert_eq!(bits(ev.centred(d)), want, "at {:e}", d);
                prop_assert_eq!(bits(centred(&x, &y, d)), want, "at {:e}", d);
            }
        }
    }
}
