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
/// values at those counts (as in [`ShiftEvaluator`], 3); when the shift merges distinct `x`
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

/// Repeated evaluation of [`centred`] at many shifts (the root search): the same results,
/// bit for bit, at exactly the shifts asked for, but each evaluation only looks at the
/// elements whose count can still change.
///
/// Notation: `xv_i = fl(x_i - d)`, `Q_i(d) = #{j : y_j < xv_i}` and "`x_i` ties at `d`",
/// `T_i(d)`: `Q_i(d) < n_y && y[Q_i(d)] == xv_i`. [`centred`] takes `W(d)` from `sum Q_i(d)`
/// and the samples' own ties when no `x_i` ties and no rounding merges two distinct `x`
/// values; otherwise from [`centred_exact`]. `Q_i` and `T_i` depend on the value `x_i` only,
/// so everything below works on the distinct values of `x`, weighted by their multiplicity.
///
/// 1. *Anchors.* Rounding is monotone, so `xv_i` is non-increasing in `d` and so is `Q_i`:
///    for evaluated shifts `L < d < H`, `Q_i(H) <= Q_i(d) <= Q_i(L)`. Where the two bounds
///    are equal and `x_i` does not tie at `L`, `Q_i(d) = Q_i(L)` and `x_i` does not tie at
///    `d` (with `q = Q_i(L) < n_y`, a tie `y[q] == xv_i(d)` would give `y[q] >= xv_i(L) >=
///    xv_i(d) = y[q]`, a tie at `L`). Every evaluated shift is kept as an anchor with its
///    counts and ties (plus `-inf`: all `n_y`, and `+inf`: all 0, without ties). A new shift
///    between anchors whose counts differ little ([`Method::Active`]) starts from the counts
///    of the anchor below, recomputes only the values whose bounds differ (a vectorised scan
///    finds them) and checks the ties of that anchor. Otherwise, if a sample of the values
///    says most counts equal those of one anchor ([`Method::High`], [`Method::Low`]), one
///    comparison per value with the `y` next to that anchor's count finds the counts that
///    differ ([`near`]); else every value is counted from a bucket table
///    ([`Method::Bucket`]). Every choice gives the same, exact, counts. The three root
///    searches share the anchors; as a bracket narrows, only a few values differ.
/// 2. *Buckets.* `b(v) = round(clamp((v - o) s, 0, K - 1))` is non-decreasing in `v` (each
///    rounded operation is), so `#{j : b(y_j) < b(v)} <= #{j : y_j < v} <= #{j : b(y_j) <=
///    b(v)}`: a table of those counts narrows a count to about one element.
/// 3. *Ties without the exact merge.* With no rounding merge, equal `xv` come from equal
///    `x` only, so each run of `cy` equal `y` ties with at most one run of `cx` equal `x`:
///    [`centred_exact`]'s sums are `2 sum Q_i + sum_{tied runs} cx cy` and the samples' ties
///    with `cx^3 - cx + cy^3 - cy` replaced by `t^3 - t`, `t = cx + cy`, for each tied pair
///    of runs. Only a rounding merge (see [`MergeCheck`]) still takes [`centred_exact`].
pub(crate) struct ShiftEvaluator<'a> {
    x: &'a [f64],
    /// The distinct values of `x`, ascending, and how often each occurs.
    values: Vec<f64>,
    weights: Vec<u32>,
    /// `y` followed by two NaN (never equal, never below anything): lookups need no clamps.
    y: Vec<f64>,
    base_ties: u64,
    /// The anchors are used (samples of moderate size; otherwise [`Self::walk`] each time).
    indexed: bool,
    buckets: Buckets,
    merges: MergeCheck,
    /// Evaluated shifts, ascending, between the two virtual anchors at `-inf` and `+inf`.
    anchors: Vec<Anchor>,
    /// Scratch: the values whose count is recomputed; the buckets of the shifted values.
    active: Vec<u32>,
    scratch: Vec<u64>,
}

struct Anchor {
    d: f64,
    result: (f64, f64),
    /// The counts `Q(d)`, one per distinct value of `x`.
    counts: Vec<u32>,
    /// `sum Q_i(d)` over all of `x`.
    sum: u64,
    /// The distinct values of `x` that tie at `d`, ascending.
    ties: Vec<u32>,
}

/// Counts of `y` per bucket of a monotone bucket function (see [`ShiftEvaluator`], 2).
struct Buckets {
    origin: f64,
    /// 0 when the range of `y` gives no finite positive scale: one bucket.
    scale: f64,
    /// Index of the last bucket (an integer below 2^51).
    last: f64,
    /// `range[k] = [#{j : b(y_j) < k}, #{j : b(y_j) <= k}]`, `k = 0..K`.
    range: Vec<[u32; 2]>,
}

impl Buckets {
    fn new(y: &[f64]) -> Self {
        let ny = y.len();
        // Two to four buckets per y (a bucket rarely holds two), at most 2^13.
        let k = (2 * ny).next_power_of_two().clamp(2, 1 << 13);
        // Spread the buckets over y without its outermost 1/64 on each side (any monotone
        // function would do; this keeps a few outliers from squeezing the rest into one
        // bucket).
        let (mut origin, mut top) = (y[ny / 64], y[ny - 1 - ny / 64]);
        if top <= origin {
            (origin, top) = (y[0], y[ny - 1]);
        }
        let mut scale = k as f64 / (top - origin);
        if !(scale.is_finite() && scale > 0.0) {
            scale = 0.0;
        }
        let mut b = Buckets {
            origin,
            scale,
            last: (k - 1) as f64,
            range: vec![[0, 0]; k],
        };
        // Count each bucket, then prefix sums.
        for &v in y {
            let c = b.index(v);
            b.range[c][1] += 1;
        }
        let mut below = 0;
        for r in &mut b.range {
            r[0] = below;
            below += r[1];
            r[1] = below;
        }
        b
    }

    /// Non-decreasing in `v` for every non-NaN `v` (±inf included): a monotone rounded
    /// subtraction and multiplication by `scale >= 0`, a clamp to `[0, K - 1]` (NaN, from
    /// `inf * 0` only with `scale = 0`, when every value is in bucket 0 anyway, goes to 0),
    /// and a monotone rounding to an integer (adding `2^52`, then reading the bits).
    #[inline(always)]
    fn index(&self, v: f64) -> usize {
        const MAGIC: f64 = 4503599627370496.0; // 2^52
        let t = (v - self.origin) * self.scale;
        let t = if t > 0.0 { t } else { 0.0 };
        let t = if t < self.last { t } else { self.last };
        ((t + MAGIC).to_bits() - MAGIC.to_bits()) as usize
    }
}

/// Which neighbouring distinct values of `x` can merge under a shift.
struct MergeCheck {
    /// Shifts with `|d| <= cap` can only merge the pairs `(k - 1, k)` listed in `risky`;
    /// `cap` is NaN when the magnitudes are too large for the bound (check every pair).
    cap: f64,
    risky: Vec<u32>,
}

impl MergeCheck {
    /// Reals `a < b` with `fl(a) = fl(b)` satisfy `b - a <= u |a| + u |b| + 2^-1074`
    /// (`u = 2^-53`, no overflow). With `|d| <= cap` and `m = fl(max|x| + cap) < 1e300`,
    /// `|x_k - d| <= m (1 + u)`, so a pair can merge only if its real gap is at most
    /// `2^-52 m (1 + u) + 2^-1074`; a float gap above `2^-50 m + 2^-1020` (the computed
    /// threshold is within a few `u` of that) leaves a real gap above `2^-51 m + 2^-1021`.
    fn new(values: &[f64], y: &[f64]) -> Self {
        let (nv, ny) = (values.len(), y.len());
        let x_abs = values[0].abs().max(values[nv - 1].abs());
        let y_abs = y[0].abs().max(y[ny - 1].abs());
        // |mumin|, |mumax| <= fl(x_abs + y_abs) (1 + u) < cap: the root search stays inside.
        let cap = 2.0 * (x_abs + y_abs);
        let m = x_abs + cap;
        if m.is_nan() || m >= 1e300 {
            return MergeCheck {
                cap: f64::NAN,
                risky: Vec::new(),
            };
        }
        let threshold = m * f64::powi(2.0, -50) + f64::powi(2.0, -1020);
        let gaps = values.iter().zip(&values[1..]).map(|(a, b)| b - a);
        // Counted first (a loop the compiler vectorises): usually there are none.
        let small = gaps.clone().fold(0usize, |k, g| k + usize::from(g <= threshold));
        let risky = if small == 0 {
            Vec::new()
        } else {
            gaps.enumerate()
                .filter(|&(_, g)| g <= threshold)
                .map(|(k, _)| k as u32 + 1)
                .collect()
        };
        MergeCheck { cap, risky }
    }

    /// Whether two distinct values of `x` collapse after subtracting `d`.
    fn merged(&self, values: &[f64], d: f64) -> bool {
        if d.abs() <= self.cap {
            self.risky
                .iter()
                .any(|&k| values[k as usize] - d == values[k as usize - 1] - d)
        } else {
            values
                .iter()
                .zip(&values[1..])
                .fold(false, |m, (a, b)| m | (a - d == b - d))
        }
    }
}

/// [`centred_exact`]'s twice-U and tie sum at `d` from the counts `q` of the distinct values
/// of `x` (weighted), for a shift that merges no two of them; `ties` ascending, non-empty.
#[allow(clippy::too_many_arguments)]
fn tied(
    values: &[f64],
    weights: &[u32],
    y: &[f64],
    base_ties: u64,
    d: f64,
    q: &[u32],
    ties: &[u32],
    sum: u64,
) -> (u64, u64) {
    let cube = |t: u64| t * t * t - t;
    let mut u2 = 2 * sum;
    let mut total = base_ties;
    for &u in ties {
        let u = u as usize;
        let first = q[u] as usize;
        let v = y[first];
        debug_assert!(v == values[u] - d);
        // The run of y equal to v starts at Q (the y before it are below v).
        let cy = y[first..].iter().take_while(|&&w| w == v).count() as u64;
        let cx = u64::from(weights[u]);
        u2 += cx * cy;
        total = total + cube(cx + cy) - cube(cx) - cube(cy);
    }
    (u2, total)
}

// Counting helpers. `y` is padded with two NaN, and `Q = #{j : y_j < xv}`: every position at
// or above `Q` reads `y[k] < xv` as false (a larger value, or NaN), every position below it
// as true, so probes past an upper bound of `Q` need no masks. `x_i` ties (`y[Q] == xv`)
// exactly when some `y` equals `xv`: the smallest `y >= xv` is then that value. Each helper
// returns `(Q, tie)`.

/// `Q`, known to lie in `lo..=hi`, from the bucket table.
#[inline(always)]
fn count_below(y: &[f64], buckets: &Buckets, xv: f64, lo: usize, hi: usize) -> (usize, bool) {
    let [a, z] = buckets.range[buckets.index(xv)];
    let a = lo.max(a as usize);
    let z = hi.min(z as usize);
    debug_assert!(a <= z, "count bounds {a} > {z}");
    let c = if z - a <= 2 {
        a + usize::from(y[a] < xv) + usize::from(y[a + 1] < xv)
    } else {
        a + y[a..z].partition_point(|&v| v < xv)
    };
    (c, y[c] == xv)
}

/// `Q`, known to lie in `lo..=hi` and expected near `lo`: two probes, then the lookup.
#[inline(always)]
fn count_up(y: &[f64], buckets: &Buckets, xv: f64, lo: usize, hi: usize) -> (usize, bool) {
    let [p, q] = [y[lo], y[lo + 1]];
    if (q < xv) & (lo + 2 < hi) {
        count_below(y, buckets, xv, lo + 2, hi)
    } else {
        let c = lo + usize::from(p < xv) + usize::from(q < xv);
        (c, y[c] == xv)
    }
}

/// Counts at `d` of every distinct value of `x` from the bucket table, in two stages: the
/// shifted values and their buckets first (a loop the compiler vectorises), then the table
/// lookups. Returns the weighted sum of the counts and whether any value ties. Any `y` equal
/// to `xv` lies in its bucket's range: the positions below are below `xv`, those above in
/// higher buckets.
fn pass_bucket<const WEIGHTED: bool>(
    values: &[f64],
    weights: &[u32],
    d: f64,
    y: &[f64],
    buckets: &Buckets,
    q: &mut [u32],
    scratch: &mut [u64],
) -> (u64, bool) {
    let n = values.len();
    let idx = &mut scratch[..n];
    for (b, &v) in idx.iter_mut().zip(values) {
        *b = buckets.index(v - d) as u64;
    }
    let q = &mut q[..n];
    let weights = if WEIGHTED { &weights[..n] } else { weights };
    let range = buckets.range.as_slice();
    let (mut sum, mut any_tie) = (0u64, false);
    for u in 0..n {
        let xv = values[u] - d;
        let [a, z] = range[idx[u] as usize];
        let (a, z) = (a as usize, z as usize);
        let (c, tie) = if z - a <= 1 {
            let p = y[a];
            (a + usize::from(p < xv), p == xv)
        } else {
            let c = a + y[a..z].partition_point(|&v| v < xv);
            (c, y[c] == xv)
        };
        sum += if WEIGHTED {
            u64::from(weights[u]) * c as u64
        } else {
            c as u64
        };
        q[u] = c as u32;
        any_tie |= tie;
    }
    (sum, any_tie)
}

/// How a new shift is counted (a guess from a few values; every choice is exact).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Method {
    /// At most `n_x / 4` pairs change order between the anchors: recount the values whose
    /// bounds differ.
    Active,
    /// Most counts equal those of the anchor above: [`near`] from it.
    High,
    /// Most counts equal those of the anchor below: [`near`] from it.
    Low,
    /// Recount every value from the bucket table.
    Bucket,
}

impl Method {
    #[allow(clippy::too_many_arguments)]
    fn choose(
        y: &[f64],
        buckets: &Buckets,
        values: &[f64],
        d: f64,
        q_low: &[u32],
        q_high: &[u32],
        crossings: u64,
        nx: usize,
    ) -> Method {
        if crossings <= (nx / 4) as u64 {
            return Method::Active;
        }
        // Sample eight values: how many counts differ from each anchor's.
        const SAMPLES: usize = 8;
        let n = values.len();
        let (mut up, mut down) = (0, 0);
        for m in 0..SAMPLES {
            let u = (2 * m + 1) * n / (2 * SAMPLES);
            let (lo, hi) = (q_high[u] as usize, q_low[u] as usize);
            let (c, _) = count_below(y, buckets, values[u] - d, lo, hi);
            up += usize::from(c > lo);
            down += usize::from(c < hi);
        }
        if up <= 2 && up <= down {
            Method::High
        } else if down <= 2 {
            Method::Low
        } else {
            Method::Bucket
        }
    }
}

/// Counts at `d` starting from those of the near anchor (`q` holds a copy of them): only
/// the values whose count differs, or that tie, are looked up. From the anchor above
/// (`from_low` false), a value's count grows exactly when `y[Q_H] < xv`, and a value that
/// keeps its count ties when `y[Q_H] == xv`; from the anchor below, it shrinks exactly when
/// `y[Q_L - 1] >= xv`, and ties otherwise when `y[Q_L] == xv` (the padding makes `y[n_y]`
/// NaN, and stands in for `y[-1]` too). Returns the weighted sum of the counts.
#[allow(clippy::too_many_arguments)]
fn near(
    from_low: bool,
    sum: u64,
    values: &[f64],
    weights: &[u32],
    d: f64,
    y: &[f64],
    buckets: &Buckets,
    bounds: (&[u32], &[u32]),
    q: &mut [u32],
    ties: &mut Vec<u32>,
) -> u64 {
    const LANES: usize = 8;
    let n = values.len();
    let (q_low, q_high) = (&bounds.0[..n], &bounds.1[..n]);
    let nan = y.len() - 1;
    let flagged = |u: usize, xv: f64| {
        if from_low {
            let c = q_low[u] as usize;
            (y[c.wrapping_sub(1).min(nan)] >= xv) | (y[c] == xv)
        } else {
            y[q_high[u] as usize] <= xv
        }
    };
    let mut sum = sum;
    let mut visit = |u: usize, xv: f64| {
        let (lo, hi) = (q_high[u] as usize, q_low[u] as usize);
        let (c, tie) = count_below(y, buckets, xv, lo, hi);
        let w = u64::from(weights[u]);
        if from_low {
            sum -= w * (hi - c) as u64;
        } else {
            sum += w * (c - lo) as u64;
        }
        q[u] = c as u32;
        if tie {
            ties.push(u as u32);
        }
    };
    let full = n / LANES * LANES;
    for base in (0..full).step_by(LANES) {
        let chunk = &values[base..base + LANES];
        let any = chunk
            .iter()
            .enumerate()
            .fold(false, |any, (k, &v)| any | flagged(base + k, v - d));
        if any {
            for (k, &v) in chunk.iter().enumerate() {
                if flagged(base + k, v - d) {
                    visit(base + k, v - d);
                }
            }
        }
    }
    for (k, &v) in values[full..].iter().enumerate() {
        if flagged(full + k, v - d) {
            visit(full + k, v - d);
        }
    }
    sum
}

/// Adds to `active` the `u` with `low[u] != high[u]`.
fn differing(low: &[u32], high: &[u32], active: &mut Vec<u32>) {
    const LANES: usize = 16;
    let chunks = low.chunks_exact(LANES).zip(high.chunks_exact(LANES));
    for (c, (l, h)) in chunks.enumerate() {
        if l.iter().zip(h).fold(false, |any, (a, b)| any | (a != b)) {
            let base = c * LANES;
            active.extend((0..LANES).filter(|&k| l[k] != h[k]).map(|k| (base + k) as u32));
        }
    }
    let tail = low.len() / LANES * LANES;
    active.extend((tail..low.len()).filter(|&u| low[u] != high[u]).map(|u| u as u32));
}

impl<'a> ShiftEvaluator<'a> {
    /// `x` and `y` sorted ascending, non-empty, NaN-free.
    pub(crate) fn new(x: &'a [f64], y: &'a [f64]) -> Self {
        let (nx, ny) = (x.len(), y.len());
        let repeats = x.iter().zip(&x[1..]).fold(0usize, |k, (a, b)| k + usize::from(a == b));
        let (values, weights) = if repeats == 0 {
            (x.to_vec(), vec![1u32; nx])
        } else {
            let mut values = Vec::with_capacity(nx - repeats);
            let mut weights: Vec<u32> = Vec::with_capacity(nx - repeats);
            for &v in x {
                match weights.last_mut() {
                    Some(w) if values[values.len() - 1] == v => *w += 1,
                    _ => {
                        values.push(v);
                        weights.push(1);
                    }
                }
            }
            (values, weights)
        };
        let nv = values.len();
        // The anchors keep a count per distinct value each: past 2^17 values (a few dozen
        // anchors would then take tens of MB) fall back to one walk per shift.
        let indexed = nv <= 1 << 17 && ny < u32::MAX as usize - 2;
        let mut padded = Vec::with_capacity(ny + 2);
        padded.extend_from_slice(y);
        padded.extend([f64::NAN; 2]);
        let mut anchors = Vec::new();
        if indexed {
            let virtual_anchor = |d: f64, count: usize, sum: u64| Anchor {
                d,
                result: (f64::NAN, f64::NAN),
                counts: vec![count as u32; nv],
                sum,
                ties: Vec::new(),
            };
            anchors.push(virtual_anchor(f64::NEG_INFINITY, ny, nx as u64 * ny as u64));
            anchors.push(virtual_anchor(f64::INFINITY, 0, 0));
        }
        let x_ties: u64 = weights.iter().map(|&w| u64::from(w).pow(3) - u64::from(w)).sum();
        ShiftEvaluator {
            x,
            merges: MergeCheck::new(&values, y),
            values,
            weights,
            y: padded,
            base_ties: x_ties + tie_sum(y),
            indexed,
            buckets: Buckets::new(y),
            anchors,
            active: Vec::with_capacity(nv),
            scratch: vec![0; nv],
        }
    }

    /// [`centred`]`(x, y, d)`, bit for bit.
    pub(crate) fn centred(&mut self, d: f64) -> (f64, f64) {
        if !d.is_finite() || !self.indexed {
            return self.walk(d);
        }
        // Between the virtual anchors: 1 <= k <= len - 1.
        let k = self.anchors.partition_point(|a| a.d < d);
        // -0.0 == 0.0: the two give the same differences up to the sign of zero, which no
        // comparison sees.
        if self.anchors[k].d == d {
            return self.anchors[k].result;
        }
        let (values, weights, y) = (self.values.as_slice(), self.weights.as_slice(), self.y.as_slice());
        let (nx, nv, ny) = (self.x.len(), values.len(), y.len() - 2);
        let crossings = self.anchors[k - 1].sum - self.anchors[k].sum;
        let method = {
            let (q_low, q_high) = (&self.anchors[k - 1].counts, &self.anchors[k].counts);
            Method::choose(y, &self.buckets, values, d, q_low, q_high, crossings, nx)
        };
        // Start from the counts of the anchor the method works from.
        let from = if method == Method::High { k } else { k - 1 };
        let mut counts = self.anchors[from].counts.clone();
        let (low, high) = (&self.anchors[k - 1], &self.anchors[k]);
        let (q_low, q_high, q) = (low.counts.as_slice(), high.counts.as_slice(), counts.as_mut_slice());
        let buckets = &self.buckets;
        let mut ties = Vec::new();
        let sum = match method {
            Method::High | Method::Low => {
                let (anchor, from_low) = if method == Method::Low {
                    (low, true)
                } else {
                    (high, false)
                };
                let bounds = (q_low, q_high);
                near(
                    from_low, anchor.sum, values, weights, d, y, buckets, bounds, q, &mut ties,
                )
            }
            Method::Bucket => {
                let scratch = &mut self.scratch;
                let (sum, any_tie) = if nv == nx {
                    pass_bucket::<false>(values, weights, d, y, buckets, q, scratch)
                } else {
                    pass_bucket::<true>(values, weights, d, y, buckets, q, scratch)
                };
                if any_tie {
                    // Rare: a value ties when y at its count equals it.
                    let tied = (0..nv).filter(|&u| y[q[u] as usize] == values[u] - d);
                    ties.extend(tied.map(|u| u as u32));
                }
                sum
            }
            Method::Active => {
                // Few (i, j) orders change: recount only the values whose bounds differ.
                let mut active = std::mem::take(&mut self.active);
                active.clear();
                differing(q_low, q_high, &mut active);
                let mut sum = low.sum;
                for &u in &active {
                    let u = u as usize;
                    let (lo, hi) = (q_high[u] as usize, q_low[u] as usize);
                    let (c, tie) = count_up(y, buckets, values[u] - d, lo, hi);
                    sum -= u64::from(weights[u]) * (hi - c) as u64;
                    q[u] = c as u32;
                    if tie {
                        ties.push(u as u32);
                    }
                }
                self.active = active;
                // The fixed values can only tie where they tied at the anchor below.
                for &u in &low.ties {
                    let u = u as usize;
                    if q_low[u] == q_high[u] && y[q[u] as usize] == values[u] - d {
                        ties.push(u as u32);
                    }
                }
                sum
            }
        };
        ties.sort_unstable();
        let result = if self.merges.merged(values, d) {
            let (u2, ties) = centred_exact(self.x, &y[..ny], d);
            finish(nx, ny, u2, ties)
        } else if ties.is_empty() {
            finish(nx, ny, 2 * sum, self.base_ties)
        } else {
            let (u2, tie_total) = tied(values, weights, y, self.base_ties, d, q, &ties, sum);
            finish(nx, ny, u2, tie_total)
        };
        self.anchors.insert(
            k,
            Anchor {
                d,
                result,
                counts,
                sum,
                ties,
            },
        );
        result
    }

    /// One forward walk over both samples, without the anchors (for non-finite shifts and very
    /// large samples).
    fn walk(&self, d: f64) -> (f64, f64) {
        let x = self.x;
        let y = &self.y[..self.y.len() - 2];
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
