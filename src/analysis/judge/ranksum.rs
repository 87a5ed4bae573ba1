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
/// O(n_x + n_y): the counts `Q_i = #{j : y_j < x_i - d}` from a branch-free merge
/// ([`merge_counts`]); when some `x_i - d` equals a `y`, the ties come from the runs of equal
/// values at those counts (as in [`ShiftEvaluator`](super::shift_evaluator::ShiftEvaluator), 3); when the shift merges distinct `x`
/// values by rounding, an exact grouped merge ([`centred_exact`]).
pub(crate) fn centred(x: &[f64], y: &[f64], d: f64) -> (f64, f64) {
    let (nx, ny) = (x.len(), y.len());
    let rest = x.get(1..).unwrap_or_default();
    let merged = x
        .iter()
        .zip(rest)
        .fold(false, |m, (a, b)| m | ((a - d == b - d) != (a == b)));
    if merged {
        let (u2, ties) = centred_exact(x, y, d);
        return finish(nx, ny, u2, ties);
    }
    let mut padded = Vec::with_capacity(ny + WINDOW);
    padded.extend_from_slice(y);
    padded.extend([f64::NAN; WINDOW]);
    let mut q = vec![0u32; nx];
    let (sum, tie) = merge_counts::<true>(x, &padded, d, &mut q);
    let mut u2 = 2 * sum;
    let mut ties = tie_sum(x) + tie_sum(y);
    if tie {
        // With no merge, equal x - d come from equal x: each run of cx equal x ties with the
        // run of cy equal y starting at its count, if any.
        let cube = |t: u64| t * t * t - t;
        let mut i = 0;
        while i < nx {
            let cx = x[i..].iter().take_while(|&&v| v == x[i]).count();
            let (c, xv) = (q[i] as usize, x[i] - d);
            let cy = y[c.min(ny)..].iter().take_while(|&&v| v == xv).count() as u64;
            if cy > 0 {
                let cx = cx as u64;
                u2 += cx * cy;
                ties = ties + cube(cx + cy) - cube(cx) - cube(cy);
            }
            i += cx;
        }
    }
    finish(nx, ny, u2, ties)
}

/// Sum of `t^3 - t` over the groups of equal values of a sorted sample.
pub(crate) fn tie_sum(v: &[f64]) -> u64 {
    // Most samples have no equal neighbours: a branch-free count says so quickly.
    let n = v.len().max(1);
    let equal = v[..n - 1]
        .iter()
        .zip(&v[1..])
        .fold(0usize, |k, (a, b)| k + usize::from(a == b));
    if equal == 0 {
        return 0;
    }
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

/// One step of [`merge_counts`]: the count of `xv` from a count `j` it is known not to be
/// below, and whether `xv` ties.
#[inline(always)]
fn window_step(y: &[f64], ny: usize, xv: f64, j: usize) -> (usize, bool) {
    let w: &[f64; WINDOW] = y[j..j + WINDOW].try_into().expect("a window of y");
    let below = w.iter().fold(0, |c, &v| c + usize::from(v < xv));
    let j = if below == WINDOW {
        j + WINDOW + y[j + WINDOW..ny].partition_point(|&v| v < xv)
    } else {
        j + below
    };
    (j, y[j] == xv)
}

/// How many `y` each step of [`merge_counts`] compares at once.
const WINDOW: usize = 8;

/// `sum_i Q_i` over `x` at `d` and whether any `x_i` ties, with `y` padded by at least
/// [`WINDOW`] NaN; writes the counts to `out` when `OUT`. `Q_i` is non-decreasing in `i`, so
/// each count starts from the previous one and adds how many of the next [`WINDOW`] `y` lie
/// below `x_i - d` (a prefix of them: `y` is sorted, and NaN is below nothing), looking
/// further only when all do. Four such merges over quarters of `x`, each started by a binary
/// search, run interleaved so that their dependency chains overlap.
fn merge_counts<const OUT: bool>(x: &[f64], y: &[f64], d: f64, out: &mut [u32]) -> (u64, bool) {
    let n = x.len();
    let ny = y.len() - WINDOW;
    let step = |i: usize, j: usize| window_step(y, ny, x[i] - d, j);
    let start = |i: usize| y[..ny].partition_point(|&v| v < x[i] - d);
    let len = n / 4;
    let (mut sum, mut tie) = (0u64, false);
    let mut record = |i: usize, q: usize, t: bool| {
        if OUT {
            out[i] = q as u32;
        }
        sum += q as u64;
        tie |= t;
    };
    let mut k = 0;
    let mut last = 0;
    if len > 0 {
        let (mut j0, mut j1, mut j2, mut j3) = (start(0), start(len), start(2 * len), start(3 * len));
        for i in 0..len {
            let (q0, t0) = step(i, j0);
            let (q1, t1) = step(len + i, j1);
            let (q2, t2) = step(2 * len + i, j2);
            let (q3, t3) = step(3 * len + i, j3);
            record(i, q0, t0);
            record(len + i, q1, t1);
            record(2 * len + i, q2, t2);
            record(3 * len + i, q3, t3);
            (j0, j1, j2, j3) = (q0, q1, q2, q3);
        }
        k = 4 * len;
        last = j3;
    }
    // The last n % 4 values continue the last chain.
    while k < n {
        let (q, t) = step(k, last);
        record(k, q, t);
        last = q;
        k += 1;
    }
    (sum, tie)
}

/// Exact grouped merge: twice U and the tie sum of the combined shifted sample.
pub(super) fn centred_exact(x: &[f64], y: &[f64], d: f64) -> (u64, u64) {
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

pub(super) fn finish(nx: usize, ny: usize, u2: u64, ties: u64) -> (f64, f64) {
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

/// Rank-sum test of sorted `x` (experiment) against sorted `y` (control); none when either
/// sample is empty (there is nothing to rank).
pub fn rank_sum(x: &[f64], y: &[f64]) -> Option<RankSum> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let (dz, sigma) = centred(x, y, 0.0);
    let w = dz + x.len() as f64 * y.len() as f64 / 2.0;
    let z = (dz - correction(dz)) / sigma;
    Some(RankSum {
        w,
        z,
        sigma,
        p_value: two_sided_p(z),
    })
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
        let r = rank_sum(&x, &y).unwrap();
        assert_eq!(r.w, 58.0);
        assert!((r.p_value - 0.1329).abs() < 1e-4, "{}", r.p_value);
    }

    #[test]
    fn all_tied_gives_nan_p() {
        let r = rank_sum(&[2.0, 2.0], &[2.0, 2.0, 2.0]).unwrap();
        assert_eq!(r.sigma, 0.0);
        assert!(r.p_value.is_nan());
    }

    #[test]
    fn ties_counted_across_samples() {
        // x = {1, 2, 2}, y = {2, 3}: ranks 1, 3, 3 | 3, 5 -> W = 7 - 6 = 1
        let r = rank_sum(&[1.0, 2.0, 2.0], &[2.0, 3.0]).unwrap();
        assert!(rank_sum(&[], &[1.0]).is_none() && rank_sum(&[1.0], &[]).is_none());
        assert_eq!(r.w, 1.0);
        let (_, sigma) = centred(&[1.0, 2.0, 2.0], &[2.0, 3.0], 0.0);
        let expect = ((6.0f64 / 12.0) * (6.0 - 24.0 / 20.0)).sqrt();
        assert_eq!(sigma, expect);
    }
}
