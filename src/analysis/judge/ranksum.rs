//! Wilcoxon rank-sum (Mann-Whitney U) test, two-sided, normal approximation with tie and
//! continuity correction: the `exact = FALSE, correct = TRUE` path of R's `wilcox.test`.
//!
//! `x` is the experiment (canary), `y` the control (baseline). All functions take samples
//! already sorted ascending and free of NaN (see [`super::prepare`]).

use statrs::function::erf::erfc;

/// Result of the rank-sum test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankSum {
    /// R's `W`: rank sum of `x` minus `n_x (n_x + 1) / 2` (equals the Mann-Whitney U of `x`).
    pub w: f64,
    /// Continuity-corrected normal statistic `(W - n_x n_y / 2 - sign * 0.5) / sigma`.
    pub z: f64,
    /// Tie-corrected standard deviation of `W` under the null hypothesis.
    pub sigma: f64,
    /// Two-sided p-value `2 * min(P(Z <= z), P(Z >= z))`; NaN when every observation is tied.
    pub p_value: f64,
}

/// Centred statistic and its sigma for the shift `d`: ranks of `c(x - d, y)` as R computes them
/// (exact float equality decides ties). Returns `(dz, sigma)` where `dz = W(d) - n_x n_y / 2`.
/// O(n_x + n_y): a branch-free merge that is exact whenever no shifted `x` equals a `y` and
/// the shift merges no distinct `x` values by rounding; otherwise an exact grouped merge.
pub(crate) fn centred(x: &[f64], y: &[f64], d: f64) -> (f64, f64) {
    match centred_fast(x, y, d) {
        Some(u2) => finish(x.len(), y.len(), u2, tie_sum(x) + tie_sum(y)),
        None => {
            let (u2, ties) = centred_exact(x, y, d);
            finish(x.len(), y.len(), u2, ties)
        }
    }
}

/// Sum of `t^3 - t` over the groups of equal values of a sorted sample.
pub(crate) fn tie_sum(v: &[f64]) -> u64 {
    let mut total = 0u64;
    let mut run = 1u64;
    for k in 1..v.len() {
        if v[k] == v[k - 1] {
            run += 1;
        } else {
            total += run * run * run - run;
            run = 1;
        }
    }
    if !v.is_empty() {
        total += run * run * run - run;
    }
    total
}

/// Twice U when no cross-sample tie and no rounding merge occurs at `d`; `None` otherwise.
fn centred_fast(x: &[f64], y: &[f64], d: f64) -> Option<u64> {
    let (nx, ny) = (x.len(), y.len());
    let mut merged = false;
    for k in 1..nx {
        merged |= (x[k] - d == x[k - 1] - d) != (x[k] == x[k - 1]);
    }
    let (mut i, mut j) = (0usize, 0usize);
    let mut u2 = 0u64;
    let mut tie = false;
    while i < nx && j < ny {
        let xv = x[i] - d;
        let yv = y[j];
        let y_first = yv < xv;
        tie |= yv == xv;
        u2 += if y_first { 0 } else { 2 * j as u64 };
        i += usize::from(!y_first);
        j += usize::from(y_first);
    }
    u2 += (nx - i) as u64 * 2 * ny as u64;
    if tie || merged { None } else { Some(u2) }
}

/// Exact grouped merge: twice U and the tie sum of the combined shifted sample.
fn centred_exact(x: &[f64], y: &[f64], d: f64) -> (u64, u64) {
    let (nx, ny) = (x.len(), y.len());
    let (mut i, mut j) = (0usize, 0usize);
    let mut u2: u64 = 0;
    let mut ties: u64 = 0;
    while i < nx || j < ny {
        let xv = if i < nx { x[i] - d } else { f64::INFINITY };
        let yv = if j < ny { y[j] } else { f64::INFINITY };
        let v = if i < nx && (j >= ny || xv <= yv) { xv } else { yv };
        let mut cx = 0u64;
        while i < nx && x[i] - d == v {
            cx += 1;
            i += 1;
        }
        let j_before = j as u64;
        let mut cy = 0u64;
        while j < ny && y[j] == v {
            cy += 1;
            j += 1;
        }
        u2 += cx * (2 * j_before + cy);
        let t = cx + cy;
        ties += t * t * t - t;
    }
    (u2, ties)
}

/// Repeated evaluation of [`centred`] at many shifts (the root search): one forward walk per
/// shift with the samples' own ties counted once. Same results as [`centred`], bit for bit.
pub(crate) struct ShiftEvaluator<'a> {
    x: &'a [f64],
    y: &'a [f64],
    base_ties: u64,
}

impl<'a> ShiftEvaluator<'a> {
    pub(crate) fn new(x: &'a [f64], y: &'a [f64]) -> Self {
        ShiftEvaluator {
            x,
            y,
            base_ties: tie_sum(x) + tie_sum(y),
        }
    }

    pub(crate) fn centred(&self, d: f64) -> (f64, f64) {
        let (x, y) = (self.x, self.y);
        let ny = y.len();
        // x is sorted, so x - d is too: one forward walk over y finds, for every x, how
        // many y lie below it (the same counts the binary searches would give).
        let mut u2 = 0u64;
        let mut tie = false;
        let mut merged = false;
        let mut q = 0usize;
        let mut previous = f64::NAN;
        for (i, &xi) in x.iter().enumerate() {
            let xv = xi - d;
            // Distinct x values that collapse to one after the subtraction (rounding)
            // change the ties: the exact path handles them.
            merged |= i > 0 && (xv == previous) != (xi == x[i - 1]);
            previous = xv;
            while q < ny && y[q] < xv {
                q += 1;
            }
            tie |= q < ny && y[q] == xv;
            u2 += 2 * q as u64;
        }
        if tie || merged {
            let (u2, ties) = centred_exact(x, y, d);
            finish(x.len(), ny, u2, ties)
        } else {
            finish(x.len(), ny, u2, self.base_ties)
        }
    }
}

fn finish(nx: usize, ny: usize, u2: u64, ties: u64) -> (f64, f64) {
    let (nxf, nyf) = (nx as f64, ny as f64);
    let dz = u2 as f64 / 2.0 - nxf * nyf / 2.0;
    let n = nxf + nyf;
    let sigma = ((nxf * nyf / 12.0) * ((n + 1.0) - ties as f64 / (n * (n - 1.0)))).sqrt();
    (dz, sigma)
}

/// R's `sign(dz) * 0.5` continuity correction (0 at dz == 0).
pub(crate) fn correction(dz: f64) -> f64 {
    if dz > 0.0 {
        0.5
    } else if dz < 0.0 {
        -0.5
    } else {
        0.0
    }
}

/// Two-sided p-value of a standard-normal statistic: `2 * pnorm(-|z|)`.
pub fn two_sided_p(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    // 2 * Phi(-|z|) = erfc(|z| / sqrt(2))
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Rank-sum test of sorted `x` (experiment) against sorted `y` (control). Both non-empty.
pub fn rank_sum(x: &[f64], y: &[f64]) -> RankSum {
    debug_assert!(!x.is_empty() && !y.is_empty());
    let (dz, sigma) = centred(x, y, 0.0);
    let w = dz + x.len() as f64 * y.len() as f64 / 2.0;
    let z = (dz - correction(dz)) / sigma;
    RankSum {
        w,
        z,
        sigma,
        p_value: two_sided_p(z),
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant, clippy::excessive_precision)]
mod tests {
    use super::*;

    #[test]
    fn matches_r_small_example() {
        // R: wilcox.test(c(1.83,0.50,1.62,2.48,1.68,1.88,1.55,3.06,1.30), c(0.878,0.647,0.598,2.05,1.06,1.29,1.06,3.14,1.29), exact=FALSE)
        let mut x = vec![1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
        let mut y = vec![0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let r = rank_sum(&x, &y);
        assert_eq!(r.w, 58.0);
        assert!((r.p_value - 0.1329).abs() < 1e-4, "{}", r.p_value);
    }

    #[test]
    fn all_tied_gives_nan_p() {
        let r = rank_sum(&[2.0, 2.0], &[2.0, 2.0, 2.0]);
        assert_eq!(r.sigma, 0.0);
        assert!(r.p_value.is_nan());
    }

    #[test]
    fn ties_counted_across_samples() {
        // x = {1, 2, 2}, y = {2, 3}: ranks 1, 3, 3 | 3, 5 -> W = 7 - 6 = 1
        let r = rank_sum(&[1.0, 2.0, 2.0], &[2.0, 3.0]);
        assert_eq!(r.w, 1.0);
        let (_, sigma) = centred(&[1.0, 2.0, 2.0], &[2.0, 3.0], 0.0);
        let expect = ((6.0f64 / 12.0) * (6.0 - 24.0 / 20.0)).sqrt();
        assert_eq!(sigma, expect);
    }
}
