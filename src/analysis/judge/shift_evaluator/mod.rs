//! Repeated rank-sum evaluation at many shifts for the Hodges-Lehmann root search.

use super::ranksum::{centred_exact, finish, tie_sum};

/// Repeated evaluation of [`centred`](super::ranksum::centred) at many shifts (the root
/// search): the same results, bit for bit, at exactly the shifts asked for, but each
/// evaluation only looks at the elements whose count can still change.
///
/// Notation: `xv_i = fl(x_i - d)`, `Q_i(d) = #{j : y_j < xv_i}` and "`x_i` ties at `d`",
/// `T_i(d)`: `Q_i(d) < n_y && y[Q_i(d)] == xv_i`. `centred` takes `W(d)` from `sum Q_i(d)`
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

    /// [`centred`](super::ranksum::centred)`(x, y, d)`, bit for bit.
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

#[cfg(test)]
mod tests;
