//! Scoring methods of SPEC §5.1 as column kernels: each takes the values of one criterion for
//! all entities (NaN = missing, already transformed) and writes fractions `s ∈ [0, 1]`.
//! Relative methods take the statistics of the ranked entities of each cohort.
//!
//! Every kernel writes exactly the entries whose value is present and leaves the others
//! untouched: the engine lets them write straight into the criterion's column after the
//! missing-value policy has filled the missing entries.

use crate::num;
use crate::rules::{BandOp, Direction};

/// Φ, the standard normal distribution function, as ½·erfc(−z/√2) with `libm`'s `erfc`
/// (musl's, within about an ulp). statrs 0.19's `Normal::cdf` is off by up to ~1.4e-11
/// between z ≈ 0.7 and 3 (its `erfc` there), so that a better value could score a hair
/// lower than a worse one, which a TOPSIS clamp or a rounding half then publishes.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
}

/// A method parameter resolved per entity: one number for all, or one per entity.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValues {
    /// The same number for every entity (a fixed parameter).
    Scalar(f64),
    /// One number per entity (a parameter chosen by category).
    PerEntity(Vec<f64>),
}

impl ParamValues {
    /// Entity `i`'s number.
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match self {
            ParamValues::Scalar(v) => *v,
            ParamValues::PerEntity(v) => v[i],
        }
    }

    /// Every number passed through `f` (a transform applied to thresholds).
    pub fn map(&self, f: impl Fn(f64) -> f64) -> ParamValues {
        match self {
            ParamValues::Scalar(v) => ParamValues::Scalar(f(*v)),
            ParamValues::PerEntity(v) => ParamValues::PerEntity(v.iter().map(|x| f(*x)).collect()),
        }
    }
}

/// One band resolved: comparison, threshold and points per entity.
#[derive(Debug, Clone)]
pub struct ResolvedBand {
    /// The band's comparison.
    pub op: BandOp,
    /// Its threshold, per entity.
    pub threshold: ParamValues,
    /// Its points, per entity.
    pub points: ParamValues,
}

/// `bands`: points of the first band (file order) the value meets, over `points`.
pub fn bands(x: &[f64], bands: &[ResolvedBand], points: f64, out: &mut [f64]) {
    if let Some(table) = band_intervals(bands, points) {
        // The same bands as closed intervals of values: no branch per band, and the first
        // band met wins because the bands are applied last to first.
        for (&v, o) in x.iter().zip(out.iter_mut()) {
            let mut s = 0.0;
            for &(lo, hi, f) in table.iter().rev() {
                s = if (v >= lo) & (v <= hi) { f } else { s };
            }
            *o = if v.is_nan() { *o } else { s };
        }
        return;
    }
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        let mut s = 0.0;
        for b in bands {
            if b.op.meets(v, b.threshold.get(i)) {
                s = fraction_of(b.points.get(i), points);
                break;
            }
        }
        *o = s;
    }
}

/// Bands whose thresholds and points are one number for all entities, as
/// `(lowest, highest, fraction)`: the values that meet each band with the threshold
/// tolerance (`BandOp::meets`) form the closed interval `[lowest, highest]`.
fn band_intervals(bands: &[ResolvedBand], points: f64) -> Option<Vec<(f64, f64, f64)>> {
    bands
        .iter()
        .map(|b| {
            let (ParamValues::Scalar(t), ParamValues::Scalar(p)) = (&b.threshold, &b.points) else {
                return None;
            };
            if !t.is_finite() {
                return None;
            }
            let (t, tol) = (*t, num::tolerance(*t));
            // x ≥ c ⇔ x in [c, ∞]; x > c ⇔ x ≥ next_up(c); likewise below.
            let (lo, hi) = match b.op {
                BandOp::AtLeast => (t - tol, f64::INFINITY),
                BandOp::Above => ((t + tol).next_up(), f64::INFINITY),
                BandOp::AtMost => (f64::NEG_INFINITY, t + tol),
                BandOp::Below => (f64::NEG_INFINITY, (t - tol).next_down()),
            };
            Some((lo, hi, fraction_of(*p, points)))
        })
        .collect()
}

#[inline]
fn fraction_of(p: f64, points: f64) -> f64 {
    if points > 0.0 {
        (p / points).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// `linear`: `clamp((x − floor)/(target − floor), 0, 1)`.
pub fn linear(x: &[f64], floor: &ParamValues, target: &ParamValues, out: &mut [f64]) {
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        let (f, t) = (floor.get(i), target.get(i));
        *o = if f == t {
            // Only reachable through category tables: a step at the target.
            if num::ge(v, t) { 1.0 } else { 0.0 }
        } else {
            ((v - f) / (t - f)).clamp(0.0, 1.0)
        };
    }
}

/// `target`: higher: `min(x/target, 1)` for x ≥ 0 (negative → 0); lower: `min(target/x, 1)`
/// for x > 0 (x ≤ 0 → 1).
pub fn target(x: &[f64], target: &ParamValues, dir: Direction, out: &mut [f64]) {
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        let t = target.get(i);
        *o = match dir {
            Direction::Higher if v >= 0.0 => (v / t).min(1.0),
            Direction::Higher => 0.0,
            Direction::Lower if v > 0.0 => (t / v).min(1.0),
            Direction::Lower => 1.0,
        }
        .clamp(0.0, 1.0);
    }
}

/// `flag`: 1 when the value is true / non-zero.
pub fn flag(x: &[f64], out: &mut [f64]) {
    for (&v, o) in x.iter().zip(out.iter_mut()) {
        if !v.is_nan() {
            *o = if v != 0.0 { 1.0 } else { 0.0 };
        }
    }
}

/// `per`: `min(whole steps × points_per_step, points) / points`, never below 0.
pub fn per(x: &[f64], step: &ParamValues, pps: &ParamValues, points: f64, out: &mut [f64]) {
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        let (st, p) = (step.get(i), pps.get(i));
        let mut k = (v / st).floor();
        // Whole steps with the threshold tolerance: 5.999999999 years of step 2 is 3 steps.
        if num::ge(v, (k + 1.0) * st) {
            k += 1.0;
        }
        let k = k.max(0.0);
        *o = fraction_of((k * p).min(points), points);
    }
}

/// `direct`: the value already is points.
pub fn direct(x: &[f64], points: f64, out: &mut [f64]) {
    for (&v, o) in x.iter().zip(out.iter_mut()) {
        if !v.is_nan() {
            *o = fraction_of(v.clamp(0.0, points.max(0.0)), points);
        }
    }
}

/// Which entities form the reference set of relative statistics, per cohort.
pub struct Peers<'a> {
    /// Cohort index of each entity.
    pub cohort: &'a [u32],
    /// How many cohorts (1 without `cohort`).
    pub cohorts: usize,
    /// Whether the entity is ranked (not excluded by a gate).
    pub ranked: &'a [bool],
}

/// Folds the peer values of each cohort (the values of its ranked entities, missing ones
/// left out) in entity order, without copying them out: one pass, one accumulator per
/// cohort. `None` for a cohort with no peer value. `first` and `step` get the cohort.
fn fold_peers<A: Copy>(
    x: &[f64],
    peers: &Peers<'_>,
    first: impl Fn(usize, f64) -> A,
    step: impl Fn(usize, A, f64) -> A,
) -> Vec<Option<A>> {
    let mut acc: Vec<Option<A>> = vec![None; peers.cohorts];
    if peers.cohorts == 1 {
        // One cohort (the usual case): no per-value cohort lookup.
        let mut a = None;
        for (&v, &ranked) in x.iter().zip(peers.ranked) {
            if ranked && !v.is_nan() {
                a = Some(a.map_or_else(|| first(0, v), |a| step(0, a, v)));
            }
        }
        acc[0] = a;
        return acc;
    }
    for ((&v, &ranked), &c) in x.iter().zip(peers.ranked).zip(peers.cohort) {
        if ranked && !v.is_nan() {
            let c = c as usize;
            let a = &mut acc[c];
            *a = Some(a.map_or_else(|| first(c, v), |a| step(c, a, v)));
        }
    }
    acc
}

/// Whether a cohort's ranked values from `lo` to `hi` are one value for `minmax` and
/// `zscore`: equal, or apart by no more than 10⁻¹⁰ × max(1, larger magnitude) (they agree
/// to ten significant digits, or to ten decimals near 0, as SPEC's threshold tolerance
/// scales with max(1, |t|)). Values computed two ways (`0.1 + 0.2` and `0.3`, or
/// `a + b - c` landing at 5.6e-17 for one entity and 0 for another) differ in the last
/// bits; taken as a spread, that noise would give one entity full `minmax` points and
/// another none, and `zscore` fractions far from 0.5.
pub(crate) fn spread_is_noise(lo: f64, hi: f64) -> bool {
    hi == lo || hi - lo <= 1e-10 * lo.abs().max(hi.abs()).max(1.0)
}

#[cfg(test)]
#[test]
fn a_spread_within_ten_significant_digits_is_noise() {
    assert!(spread_is_noise(0.3, 0.1 + 0.2));
    assert!(spread_is_noise(-5.0, -5.0));
    assert!(spread_is_noise(0.0, 0.0));
    assert!(spread_is_noise(7.5, 7.500_000_000_7));
    assert!(!spread_is_noise(7.5, 7.500_000_01));
    assert!(spread_is_noise(0.0, 5.551115123125783e-17), "noise near 0");
    assert!(!spread_is_noise(0.0, 1e-9));
    assert!(!spread_is_noise(1e9, 1e9 + 1.0));
    assert!(!spread_is_noise(-1.0, 1.0));
}

/// `minmax` over the ranked entities of each cohort; excluded entities clamped into [0, 1].
pub fn minmax(x: &[f64], dir: Direction, peers: &Peers<'_>, out: &mut [f64]) {
    // The same folds, in the same order, as over each cohort's values from +∞ and −∞.
    let stats: Vec<Option<(f64, f64)>> = fold_peers(
        x,
        peers,
        |_, v| (f64::INFINITY.min(v), f64::NEG_INFINITY.max(v)),
        |_, (lo, hi), v| (lo.min(v), hi.max(v)),
    );
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        *o = match stats[peers.cohort[i] as usize] {
            None => 0.0,
            // One distinct ranked value: every entity with a value scores 1, excluded ones
            // too (SPEC §12 "minmax with one distinct value → 1": the range is degenerate,
            // so there is nothing to place a value in).
            Some((lo, hi)) if spread_is_noise(lo, hi) => 1.0,
            // (Values near ±1.8e308 apart overflow the difference: halved, exactly, first.)
            Some((lo, hi)) if (hi - lo).is_infinite() => match dir {
                Direction::Higher => (v / 2.0 - lo / 2.0) / (hi / 2.0 - lo / 2.0),
                Direction::Lower => (hi / 2.0 - v / 2.0) / (hi / 2.0 - lo / 2.0),
            }
            .clamp(0.0, 1.0),
            Some((lo, hi)) => match dir {
                Direction::Higher => (v - lo) / (hi - lo),
                Direction::Lower => (hi - v) / (hi - lo),
            }
            .clamp(0.0, 1.0),
        };
    }
}

/// `zscore`: Φ(z) with the ranked entities' mean and sample sd; fewer than two values or
/// sd = 0 (or a spread that is only noise, [`spread_is_noise`]) → 0.5.
pub fn zscore(x: &[f64], dir: Direction, peers: &Peers<'_>, out: &mut [f64]) {
    // One cohort (the usual case) without a cohort lookup per value: the same steps.
    if peers.cohorts == 1 {
        zscore_in(x, dir, peers, |_| 0, out);
    } else {
        zscore_in(x, dir, peers, |i| peers.cohort[i] as usize, out);
    }
}

/// [`zscore`] with each entity's cohort from `cohort_of`.
fn zscore_in(
    x: &[f64],
    dir: Direction,
    peers: &Peers<'_>,
    cohort_of: impl Fn(usize) -> usize,
    out: &mut [f64],
) {
    // Mean and sample sd of each cohort's peer values from order-independent sums (whole
    // multiples of a unit below 2⁻⁷⁰ of the largest value, num::FixedSum): the same for any
    // order of the entities; equal values give their own value and sd 0 exactly.
    let mut count = vec![0usize; peers.cohorts];
    let mut range = vec![(f64::INFINITY, f64::NEG_INFINITY); peers.cohorts];
    for (i, (&v, &ranked)) in x.iter().zip(peers.ranked).enumerate() {
        if ranked && !v.is_nan() {
            let c = cohort_of(i);
            count[c] += 1;
            range[c] = (range[c].0.min(v), range[c].1.max(v));
        }
    }
    // z is the same in any unit: a cohort whose values reach beyond 2⁵⁰⁰ (whose squared
    // deviations would overflow), or stay below 2⁻⁵⁰⁰ (whose squares would fall below the
    // smallest number), is scored in units of a power of two at its largest value, which
    // scales exactly; other cohorts keep unit 1 (multiplying by 1 changes no bit).
    let scale: Vec<f64> = range
        .iter()
        .map(|&(lo, hi)| {
            let big = lo.abs().max(hi.abs());
            if big.is_finite() && (big > 2f64.powi(500) || big > 0.0 && big < 2f64.powi(-500)) {
                // (Between 2⁻¹⁰²² and 2¹⁰²², normal numbers: the largest values then scale
                // to between 2⁻⁵² and 4.)
                2f64.powi((-(big.log2().ceil() as i32)).clamp(-1022, 1022))
            } else {
                1.0
            }
        })
        .collect();
    // Whether each cohort's spread is only noise, on the values as they are (before any
    // rescaling: the tolerance near 0 is absolute).
    let noise: Vec<bool> = range
        .iter()
        .map(|&(lo, hi)| spread_is_noise(lo, hi))
        .collect();
    for (r, &s) in range.iter_mut().zip(&scale) {
        *r = (r.0 * s, r.1 * s);
    }
    let mut sums: Vec<num::FixedSum> = (0..peers.cohorts)
        .map(|c| num::FixedSum::new(range[c].0.abs().max(range[c].1.abs()), count[c]))
        .collect();
    for (i, (&v, &ranked)) in x.iter().zip(peers.ranked).enumerate() {
        if ranked && !v.is_nan() {
            let c = cohort_of(i);
            sums[c].add(v * scale[c]);
        }
    }
    let means: Vec<Option<f64>> = (0..peers.cohorts)
        .map(|c| (count[c] >= 2).then(|| sums[c].mean(count[c]).clamp(range[c].0, range[c].1)))
        .collect();
    let mut squares: Vec<num::FixedSum> = (0..peers.cohorts)
        .map(|c| {
            let m = means[c].unwrap_or(0.0);
            let far = (range[c].0 - m).abs().max((range[c].1 - m).abs());
            num::FixedSum::new(far * far, count[c])
        })
        .collect();
    for (i, (&v, &ranked)) in x.iter().zip(peers.ranked).enumerate() {
        if ranked && !v.is_nan() {
            let c = cohort_of(i);
            if let Some(m) = means[c] {
                let d = v * scale[c] - m;
                squares[c].add(d * d);
            }
        }
    }
    let stats: Vec<Option<(f64, f64)>> = (0..peers.cohorts)
        .map(|c| {
            let (mean, k, sq) = (means[c]?, count[c], squares[c].value());
            let sd = (sq / (k as f64 - 1.0)).sqrt();
            (sd > 0.0 && !noise[c]).then_some((mean, sd))
        })
        .collect();
    // Φ costs ~20–50 ns; indicators such as counts repeat few values, so the last result
    // per (value, cohort) is remembered in a small direct-mapped table (same function, same
    // input: the same bits). Values that hardly repeat (amounts, ratios) stop using it once
    // three in four of the first few thousand missed.
    const SLOTS: usize = 4096;
    let mut memo: Vec<(u64, u32, f64)> = vec![(u64::MAX, u32::MAX, 0.0); SLOTS];
    let (mut remember, mut looked, mut missed) = (true, 0u32, 0u32);
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        let c = cohort_of(i);
        *o = match stats[c] {
            None => 0.5,
            Some((mean, sd)) => {
                let phi = || {
                    let z = (v * scale[c] - mean) / sd;
                    normal_cdf(if dir == Direction::Lower { -z } else { z })
                };
                if !remember {
                    phi()
                } else {
                    let (bits, cohort) = (v.to_bits(), c as u32);
                    let h = (bits ^ u64::from(cohort)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 52;
                    let slot = &mut memo[h as usize % SLOTS];
                    looked += 1;
                    let p = if slot.0 == bits && slot.1 == cohort {
                        slot.2
                    } else {
                        missed += 1;
                        let p = phi();
                        *slot = (bits, cohort, p);
                        p
                    };
                    if looked == SLOTS as u32 {
                        remember = 4 * missed < 3 * looked;
                    }
                    p
                }
            }
        };
    }
}

/// `percentile`: `(r − 1)/(n − 1)` with r the average ascending rank among the ranked
/// entities of the cohort; an excluded entity is placed as if added (n + 1 values).
///
/// One sort per cohort; ranked entities get their rank from a sweep over the runs of equal
/// values (O(n) after the sort, sequential), excluded ones from a merge with those values.
pub fn percentile(x: &[f64], dir: Direction, peers: &Peers<'_>, out: &mut [f64]) {
    if !percentile_by_counts(x, dir, peers, out) {
        percentile_by_sort(x, dir, peers, out);
    }
}

/// A percentile fraction `s` read in the indicator's direction (lower is better: 1 − s).
#[inline]
fn oriented(dir: Direction, s: f64) -> f64 {
    match dir {
        Direction::Higher => s,
        Direction::Lower => 1.0 - s,
    }
}

/// `percentile` by sorting each cohort's ranked values with their entities.
fn percentile_by_sort(x: &[f64], dir: Direction, peers: &Peers<'_>, out: &mut [f64]) {
    // Values as integer keys in numeric order (−0 read as +0, so equal numbers have equal
    // keys; NaN never enters): integer comparisons in the sort, integer equality in the
    // runs, the same `below` and `equal` counts as comparing the numbers.
    let key = |v: f64| crate::num::ascending_key(v + 0.0);
    let mut sizes = vec![0usize; peers.cohorts];
    for (i, &v) in x.iter().enumerate() {
        if peers.ranked[i] && !v.is_nan() {
            sizes[peers.cohort[i] as usize] += 1;
        }
    }
    let mut groups: Vec<Vec<(u64, u32)>> = sizes.iter().map(|&k| Vec::with_capacity(k)).collect();
    for (i, &v) in x.iter().enumerate() {
        if peers.ranked[i] && !v.is_nan() {
            groups[peers.cohort[i] as usize].push((key(v), i as u32));
        }
    }
    for g in &mut groups {
        g.sort_unstable();
        let n = g.len() as f64;
        let mut start = 0;
        while start < g.len() {
            let k = g[start].0;
            let mut end = start + 1;
            while end < g.len() && g[end].0 == k {
                end += 1;
            }
            // The run's entities share the average rank below + (equal + 1)/2.
            let (below, equal) = (start as f64, (end - start) as f64);
            // One value scores 1 in either direction (SPEC: n = 1 → 1).
            let s = if n > 1.0 {
                oriented(dir, (below + (equal + 1.0) / 2.0 - 1.0) / (n - 1.0))
            } else {
                1.0
            };
            for &(_, i) in &g[start..end] {
                out[i as usize] = s;
            }
            start = end;
        }
    }
    // Excluded entities: sorted by value too, then placed by one merge with their cohort's
    // sorted ranked values (the counts a binary search per entity would give).
    let mut excluded: Vec<Vec<(u64, u32)>> = vec![Vec::new(); peers.cohorts];
    for (i, &v) in x.iter().enumerate() {
        if !peers.ranked[i] && !v.is_nan() {
            excluded[peers.cohort[i] as usize].push((key(v), i as u32));
        }
    }
    for (g, mut e) in groups.iter().zip(excluded) {
        e.sort_unstable();
        let n = g.len() as f64;
        // g[..lo] < k and g[..hi] <= k for the current key k (both only move on).
        let (mut lo, mut hi) = (0, 0);
        for (k, i) in e {
            while lo < g.len() && g[lo].0 < k {
                lo += 1;
            }
            hi = hi.max(lo);
            while hi < g.len() && g[hi].0 <= k {
                hi += 1;
            }
            let (below, equal) = (lo as f64, (hi - lo) as f64);
            // Added as one more value: n + 1 values, its average rank below + (equal + 2)/2.
            // With no ranked value it is the only one: 1 in either direction.
            out[i as usize] = if n >= 1.0 {
                oriented(dir, (below + equal / 2.0) / n)
            } else {
                1.0
            };
        }
    }
}

/// Distinct (cohort, value) pairs up to which `percentile` counts instead of sorting.
const COUNTED_DISTINCT: usize = 1 << 17;

/// `percentile` for indicators with few distinct values (counts, levels, amounts with two
/// decimals): the ranked values are counted in a hash table of (cohort, value), only the
/// distinct values are sorted, and each entity then reads its fraction from the table.
/// The ranks, and so the fractions, are those of the sort to the bit: the same `below` and
/// `equal` counts go through the same formulas. Gives up (false, nothing written) when there
/// are more than [`COUNTED_DISTINCT`] distinct pairs or more than one per eight entities,
/// where a sort of the values is as fast.
fn percentile_by_counts(x: &[f64], dir: Direction, peers: &Peers<'_>, out: &mut [f64]) -> bool {
    let limit = COUNTED_DISTINCT.min(x.len() / 8);
    // Values keyed by their bits with −0 read as +0, so equal numbers share a slot.
    let key = |v: f64| (v + 0.0).to_bits();
    let mut table = KeyCounts::with_capacity(1024);
    for (i, &v) in x.iter().enumerate() {
        if peers.ranked[i] && !v.is_nan() && !table.count(key(v), peers.cohort[i], 1, limit) {
            return false;
        }
    }
    // Distinct values in (cohort, value) order, with the count of the cohort's values below.
    let mut distinct: Vec<(u32, f64, u32)> = table
        .entries()
        .map(|(c, k, n)| (c, f64::from_bits(k), n))
        .collect();
    distinct.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut total = vec![0u64; peers.cohorts];
    for &(c, _, k) in &distinct {
        total[c as usize] += u64::from(k);
    }
    let mut below = Vec::with_capacity(distinct.len());
    let mut run = (u32::MAX, 0u64);
    for (j, &(c, v, k)) in distinct.iter().enumerate() {
        if run.0 != c {
            run = (c, 0);
        }
        below.push(run.1);
        run.1 += u64::from(k);
        table.set_index(key(v), c, j as u32);
    }
    // The fraction of each distinct ranked value, as the sort's sweep computes it.
    let ranked_fraction: Vec<f64> = distinct
        .iter()
        .zip(&below)
        .map(|(&(c, _, k), &b)| {
            let n = total[c as usize] as f64;
            let (below, equal) = (b as f64, f64::from(k));
            if n > 1.0 {
                oriented(dir, (below + (equal + 1.0) / 2.0 - 1.0) / (n - 1.0))
            } else {
                1.0
            }
        })
        .collect();
    // Each cohort's slice of `distinct`, for the excluded entities' values not among them.
    let mut first = vec![distinct.len(); peers.cohorts + 1];
    for (j, &(c, _, _)) in distinct.iter().enumerate().rev() {
        first[c as usize] = j;
    }
    for c in (0..peers.cohorts).rev() {
        first[c] = first[c].min(first[c + 1]);
    }
    for (i, (&v, o)) in x.iter().zip(out.iter_mut()).enumerate() {
        if v.is_nan() {
            continue;
        }
        let c = peers.cohort[i];
        let found = table.index_of(key(v), c);
        if peers.ranked[i] {
            *o = ranked_fraction[found.expect("ranked values are counted") as usize];
            continue;
        }
        // An excluded entity is placed as if added: n + 1 values.
        let n = total[c as usize];
        let (below, equal) = match found {
            Some(j) => (below[j as usize], u64::from(distinct[j as usize].2)),
            None => {
                let group = &distinct[first[c as usize]..first[c as usize + 1]];
                let j = group.partition_point(|d| d.1 < v);
                let b = group.get(j).map_or(n, |_| below[first[c as usize] + j]);
                (b, 0)
            }
        };
        *o = if n >= 1 {
            oriented(dir, (below as f64 + equal as f64 / 2.0) / n as f64)
        } else {
            1.0
        };
    }
    true
}

/// Open-addressing table from (cohort, 64-bit key) to a count, then to an index (see
/// [`percentile_by_counts`] and the ranking's score buckets). Hand-written: a general hash
/// map would hash and compare through traits on every one of millions of lookups.
pub(crate) struct KeyCounts {
    /// (key, cohort, count or index + 1); 0 in the last place = empty.
    slots: Vec<(u64, u32, u32)>,
    len: usize,
}

impl KeyCounts {
    pub fn with_capacity(slots: usize) -> Self {
        KeyCounts {
            slots: vec![(0, 0, 0); slots.next_power_of_two()],
            len: 0,
        }
    }

    #[inline]
    fn slot_of(&self, key: u64, cohort: u32) -> usize {
        // Whole numbers differ only in the high bits of a double: mix them all down
        // (the SplitMix64 finaliser).
        let mut h = key ^ u64::from(cohort).rotate_left(29);
        h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h ^= h >> 31;
        let mask = self.slots.len() - 1;
        let mut s = h as usize & mask;
        loop {
            let (k, c, n) = self.slots[s];
            if n == 0 || (k == key && c == cohort) {
                return s;
            }
            s = (s + 1) & mask;
        }
    }

    /// Counts `by` more of (cohort, key); false (nothing counted) when that would be a new
    /// pair beyond `limit` pairs.
    pub fn count(&mut self, key: u64, cohort: u32, by: u32, limit: usize) -> bool {
        let s = self.slot_of(key, cohort);
        let slot = &mut self.slots[s];
        if slot.2 == 0 {
            if self.len >= limit {
                return false;
            }
            *slot = (key, cohort, by);
            self.len += 1;
            if 2 * self.len > self.slots.len() {
                self.grow();
            }
        } else {
            slot.2 += by;
        }
        true
    }

    fn grow(&mut self) {
        let wider = vec![(0, 0, 0); 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, wider);
        for (k, c, n) in old {
            if n != 0 {
                let s = self.slot_of(k, c);
                self.slots[s] = (k, c, n);
            }
        }
    }

    /// (cohort, key, count) of every counted pair, in no particular order.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u64, u32)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.2 != 0)
            .map(|&(k, c, n)| (c, k, n))
    }

    /// Replaces a counted pair's count by `index + 1` (so the slot stays occupied).
    pub fn set_index(&mut self, key: u64, cohort: u32, index: u32) {
        let s = self.slot_of(key, cohort);
        self.slots[s].2 = index + 1;
    }

    /// The index set for (cohort, key), if the pair was counted.
    #[inline]
    pub fn index_of(&self, key: u64, cohort: u32) -> Option<u32> {
        let slot = self.slots[self.slot_of(key, cohort)];
        (slot.2 != 0).then(|| slot.2 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn every_method_writes_present_entries_and_only_those() {
        let x = [3.0, f64::NAN, 7.0, 0.0, f64::NAN, 12.0];
        let (cohort, ranked) = ([0, 0, 1, 1, 0, 1], [true, true, true, false, true, true]);
        let peers = Peers {
            cohort: &cohort,
            cohorts: 2,
            ranked: &ranked,
        };
        let sc = ParamValues::Scalar;
        let b = [ResolvedBand {
            op: BandOp::AtLeast,
            threshold: sc(5.0),
            points: sc(4.0),
        }];
        type Kernel<'a> = Box<dyn Fn(&[f64], &mut [f64]) + 'a>;
        let kernels: Vec<(&str, Kernel<'_>)> = vec![
            ("bands", Box::new(|x, o| bands(x, &b, 8.0, o))),
            ("linear", Box::new(|x, o| linear(x, &sc(0.0), &sc(10.0), o))),
            (
                "target",
                Box::new(|x, o| target(x, &sc(5.0), Direction::Higher, o)),
            ),
            ("flag", Box::new(flag)),
            ("per", Box::new(|x, o| per(x, &sc(2.0), &sc(1.0), 4.0, o))),
            ("direct", Box::new(|x, o| direct(x, 10.0, o))),
            (
                "minmax",
                Box::new(|x, o| minmax(x, Direction::Lower, &peers, o)),
            ),
            (
                "zscore",
                Box::new(|x, o| zscore(x, Direction::Higher, &peers, o)),
            ),
            (
                "percentile",
                Box::new(|x, o| percentile(x, Direction::Higher, &peers, o)),
            ),
        ];
        // A sentinel no kernel produces: overwritten where a value is present, kept elsewhere.
        let sentinel = -7.0;
        for (name, k) in &kernels {
            let mut out = [sentinel; 6];
            k(&x, &mut out);
            for (e, (&v, &o)) in x.iter().zip(&out).enumerate() {
                if v.is_nan() {
                    assert_eq!(o, sentinel, "{name} wrote missing entry {e}");
                } else {
                    assert!((0.0..=1.0).contains(&o), "{name} left entry {e} at {o}");
                }
            }
        }
    }

    fn run(f: impl Fn(&[f64], &mut [f64]), x: &[f64]) -> Vec<f64> {
        let mut out = vec![f64::NAN; x.len()];
        f(x, &mut out);
        out
    }

    #[test]
    fn bands_take_first_band_met_in_file_order() {
        let b = vec![
            ResolvedBand {
                op: BandOp::AtLeast,
                threshold: ParamValues::Scalar(100.0),
                points: ParamValues::Scalar(15.0),
            },
            ResolvedBand {
                op: BandOp::AtLeast,
                threshold: ParamValues::Scalar(50.0),
                points: ParamValues::Scalar(10.0),
            },
            ResolvedBand {
                op: BandOp::Above,
                threshold: ParamValues::Scalar(20.0),
                points: ParamValues::Scalar(6.0),
            },
        ];
        let s = run(
            |x, o| bands(x, &b, 15.0, o),
            &[
                152.3,
                100.0,
                99.99999999999,
                50.0,
                20.0,
                20.5,
                3.0,
                f64::NAN,
            ],
        );
        assert_relative_eq!(s[0], 1.0);
        assert_relative_eq!(s[1], 1.0); // 以上 includes the number
        assert_relative_eq!(s[2], 1.0); // within the 1e-9 tolerance of 100
        assert_relative_eq!(s[3], 10.0 / 15.0);
        assert_relative_eq!(s[4], 0.0); // above is strict
        assert_relative_eq!(s[5], 0.4);
        assert_relative_eq!(s[6], 0.0);
        assert!(s[7].is_nan());
    }

    #[test]
    fn linear_both_directions() {
        let up = run(
            |x, o| linear(x, &ParamValues::Scalar(2.0), &ParamValues::Scalar(5.0), o),
            &[1.0, 2.0, 3.5, 5.0, 9.0],
        );
        assert_eq!(up, vec![0.0, 0.0, 0.5, 1.0, 1.0]);
        // floor > target: lower is better (debt ratio 75 → 0, 55 → 1).
        let down = run(
            |x, o| linear(x, &ParamValues::Scalar(75.0), &ParamValues::Scalar(55.0), o),
            &[80.0, 65.0, 50.0],
        );
        assert_eq!(down, vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn target_method_higher_and_lower() {
        let t = ParamValues::Scalar(20.0);
        assert_eq!(
            run(
                |x, o| target(x, &t, Direction::Higher, o),
                &[10.0, 30.0, -5.0]
            ),
            vec![0.5, 1.0, 0.0]
        );
        assert_eq!(
            run(
                |x, o| target(x, &t, Direction::Lower, o),
                &[40.0, 10.0, 0.0, -1.0]
            ),
            vec![0.5, 1.0, 1.0, 1.0]
        );
    }

    #[test]
    fn per_counts_whole_steps_with_tolerance_and_cap() {
        // 每满2年得5分，最高10分
        let s = run(
            |x, o| {
                per(
                    x,
                    &ParamValues::Scalar(2.0),
                    &ParamValues::Scalar(5.0),
                    10.0,
                    o,
                )
            },
            &[1.9, 2.0, 3.9, 5.999999999999, 7.0, -3.0],
        );
        assert_eq!(s, vec![0.0, 0.5, 0.5, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn direct_and_flag() {
        assert_eq!(
            run(|x, o| direct(x, 10.0, o), &[12.0, 4.0, -1.0]),
            vec![1.0, 0.4, 0.0]
        );
        assert_eq!(run(flag, &[0.0, 1.0, 3.0]), vec![0.0, 1.0, 1.0]);
    }

    fn one_cohort(n: usize) -> (Vec<u32>, Vec<bool>) {
        (vec![0; n], vec![true; n])
    }

    #[test]
    fn minmax_hand_computed() {
        let (c, r) = one_cohort(4);
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        let s = run(
            |x, o| minmax(x, Direction::Higher, &p, o),
            &[10.0, 20.0, 40.0, f64::NAN],
        );
        assert_relative_eq!(s[0], 0.0);
        assert_relative_eq!(s[1], 1.0 / 3.0);
        assert_relative_eq!(s[2], 1.0);
        let s = run(
            |x, o| minmax(x, Direction::Lower, &p, o),
            &[10.0, 20.0, 40.0, f64::NAN],
        );
        assert_relative_eq!(s[1], 2.0 / 3.0);
        let s = run(
            |x, o| minmax(x, Direction::Higher, &p, o),
            &[5.0, 5.0, 5.0, 5.0],
        );
        assert_eq!(s, vec![1.0; 4]);
    }

    #[test]
    fn minmax_excluded_entity_is_clamped_to_ranked_range() {
        let c = vec![0; 3];
        let r = vec![true, true, false];
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        let s = run(
            |x, o| minmax(x, Direction::Higher, &p, o),
            &[10.0, 20.0, 50.0],
        );
        assert_eq!(s, vec![0.0, 1.0, 1.0]);
    }

    #[test]
    fn minmax_excluded_entity_against_one_ranked_value_scores_one() {
        let c = vec![0; 3];
        let r = vec![true, false, false];
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        let s = run(
            |x, o| minmax(x, Direction::Higher, &p, o),
            &[16.5, 0.0, 20.0],
        );
        // SPEC §12: one distinct value → 1, for the excluded entities scored against it too.
        assert_eq!(s, vec![1.0, 1.0, 1.0]);
        let s = run(
            |x, o| minmax(x, Direction::Lower, &p, o),
            &[16.5, 0.0, 20.0],
        );
        assert_eq!(s, vec![1.0, 1.0, 1.0]);
    }

    #[test]
    fn zscore_hand_computed() {
        // values 2, 4, 6: mean 4, sample sd 2; z = -1, 0, 1; Φ(1) = 0.841344746…
        let (c, r) = one_cohort(3);
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        let s = run(|x, o| zscore(x, Direction::Higher, &p, o), &[2.0, 4.0, 6.0]);
        assert_relative_eq!(s[0], 0.158_655_253_931_457_05, epsilon = 1e-10);
        assert_relative_eq!(s[1], 0.5, epsilon = 1e-10);
        assert_relative_eq!(s[2], 0.841_344_746_068_542_9, epsilon = 1e-10);
        let s = run(|x, o| zscore(x, Direction::Lower, &p, o), &[2.0, 4.0, 6.0]);
        assert_relative_eq!(s[0], 0.841_344_746_068_542_9, epsilon = 1e-10);
        let s = run(|x, o| zscore(x, Direction::Higher, &p, o), &[3.0, 3.0, 3.0]);
        assert_eq!(s, vec![0.5; 3]);
    }

    /// Values near the ends of the double range: the difference of the extremes (minmax)
    /// and the squared deviations (zscore) would overflow; scored as the same values scaled.
    #[test]
    fn extreme_values_score_as_their_scaled_copies() {
        let (c, r) = one_cohort(3);
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        // minmax over 1.7e308, −1.7e308, 0: 1, 0, ½ (hand: (0 − lo)/(hi − lo) = ½).
        let s = run(
            |x, o| minmax(x, Direction::Higher, &p, o),
            &[1.7e308, -1.7e308, 0.0],
        );
        assert_eq!(s, vec![1.0, 0.0, 0.5]);
        // zscore over 1e200, 1e200, 0 equals zscore over 1, 1, 0: mean ⅔, sd 1/√3,
        // z = 1/√3 for the two large values and −2/√3 for 0.
        let big = run(
            |x, o| zscore(x, Direction::Higher, &p, o),
            &[1e200, 1e200, 0.0],
        );
        let small = run(|x, o| zscore(x, Direction::Higher, &p, o), &[1.0, 1.0, 0.0]);
        let phi = normal_cdf;
        for (b, s) in big.iter().zip(&small) {
            assert_relative_eq!(*b, *s, epsilon = 1e-12);
        }
        assert_relative_eq!(big[0], phi(1.0 / 3f64.sqrt()), epsilon = 1e-12);
        assert_relative_eq!(big[2], phi(-2.0 / 3f64.sqrt()), epsilon = 1e-12);
        // At the top of the range (above 2¹⁰²³) as 1.7, 1.0, 0.
        let top = run(
            |x, o| zscore(x, Direction::Higher, &p, o),
            &[1.7e308, 1e308, 0.0],
        );
        let unit = run(|x, o| zscore(x, Direction::Higher, &p, o), &[1.7, 1.0, 0.0]);
        for (t, u) in top.iter().zip(&unit) {
            assert_relative_eq!(*t, *u, epsilon = 1e-12);
        }
        assert!(top[0] > 0.8 && top[2] < 0.2, "{top:?}");
        // Near the bottom: 1, 2, 3 × 10⁻⁸ as 1, 2, 3: Φ(−1), ½, Φ(1). Spreads of 10⁻¹⁴⁰,
        // 10⁻³⁰⁰ and 5e-324 (subnormal values) are within the 10⁻¹⁰ that counts as noise
        // near 0 (`spread_is_noise`): sd 0, ½ each, and nothing overflows or divides by 0.
        let tiny = run(
            |x, o| zscore(x, Direction::Higher, &p, o),
            &[1e-8, 2e-8, 3e-8],
        );
        assert_relative_eq!(tiny[0], phi(-1.0), epsilon = 1e-12);
        assert_relative_eq!(tiny[1], 0.5, epsilon = 1e-12);
        assert_relative_eq!(tiny[2], phi(1.0), epsilon = 1e-12);
        for scale in [1e-140, 1e-300, 5e-324] {
            let tiny = run(
                |x, o| zscore(x, Direction::Higher, &p, o),
                &[scale, 2.0 * scale, 3.0 * scale],
            );
            assert_eq!(tiny, vec![0.5; 3], "{scale}");
        }
    }

    /// Φ against Python's `math.erfc` (½·erfc(−z/√2)), where statrs 0.19 was 1.4e-11 off.
    #[test]
    fn the_normal_distribution_function_is_accurate_to_an_ulp_or_two() {
        for (z, want) in [
            (1.0, 0.8413447460685429),
            (0.8, 0.7881446014166034),
            (1.5, 0.9331927987311419),
            (2.5, 0.9937903346742238),
            (0.7071067812006896, 0.7602499389109172),
            (-0.7071067812006896, 0.23975006108908287),
            (0.3, 0.6179114221889526),
            (0.0, 0.5),
        ] {
            assert_relative_eq!(normal_cdf(z), want, max_relative = 4e-16);
        }
        // Monotone where statrs was not: a larger z never gives a smaller Φ.
        assert!(normal_cdf(0.7071067812006896) > normal_cdf(0.7071067811865475));
    }

    #[test]
    fn zscore_repeated_values_in_two_cohorts_keep_their_own_statistics() {
        // Cohort 0: 2, 4, 6, 4, 2 (mean 3.6, sd 1.67332); cohort 1: 4, 14, 24 (mean 14,
        // sd 10). The value 4 repeats within cohort 0 and appears in cohort 1.
        let x = [2.0, 4.0, 6.0, 4.0, 2.0, 4.0, 14.0, 24.0];
        let cohort = [0, 0, 0, 0, 0, 1, 1, 1];
        let ranked = [true; 8];
        let p = Peers {
            cohort: &cohort,
            cohorts: 2,
            ranked: &ranked,
        };
        let s = run(|x, o| zscore(x, Direction::Higher, &p, o), &x);
        let phi = normal_cdf;
        let sd0 = (((2.0f64 - 3.6).powi(2) * 2.0 + (4.0f64 - 3.6).powi(2) * 2.0 + 2.4f64.powi(2))
            / 4.0)
            .sqrt();
        assert_relative_eq!(s[1], phi((4.0 - 3.6) / sd0), epsilon = 1e-12);
        assert_eq!(s[1].to_bits(), s[3].to_bits());
        assert_eq!(s[0].to_bits(), s[4].to_bits());
        assert_relative_eq!(s[5], phi(-1.0), epsilon = 1e-12);
        assert_relative_eq!(s[7], phi(1.0), epsilon = 1e-12);
        // Every entry is exactly what Φ gives without the memo.
        for (i, &v) in x.iter().enumerate() {
            let (mean, sd) = if cohort[i] == 0 {
                (3.6, sd0)
            } else {
                (14.0, 10.0)
            };
            assert_relative_eq!(s[i], phi((v - mean) / sd), epsilon = 1e-12);
        }
    }

    #[test]
    fn percentile_average_ranks_for_ties() {
        // 10, 20, 20, 40: ranks 1, 2.5, 2.5, 4 → (r−1)/3 = 0, 0.5, 0.5, 1
        let (c, r) = one_cohort(4);
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        let s = run(
            |x, o| percentile(x, Direction::Higher, &p, o),
            &[10.0, 20.0, 20.0, 40.0],
        );
        assert_eq!(s, vec![0.0, 0.5, 0.5, 1.0]);
        let s = run(
            |x, o| percentile(x, Direction::Lower, &p, o),
            &[10.0, 20.0, 20.0, 40.0],
        );
        assert_eq!(s, vec![1.0, 0.5, 0.5, 0.0]);
    }

    #[test]
    fn percentile_excluded_entity_counts_as_added() {
        // ranked 10, 20, 30; excluded 20 → values 10, 20, 20, 30, its rank 2.5 → 1.5/3 = 0.5
        let c = vec![0; 4];
        let r = vec![true, true, true, false];
        let p = Peers {
            cohort: &c,
            cohorts: 1,
            ranked: &r,
        };
        let s = run(
            |x, o| percentile(x, Direction::Higher, &p, o),
            &[10.0, 20.0, 30.0, 20.0],
        );
        assert_eq!(s, vec![0.0, 0.5, 1.0, 0.5]);
    }

    #[test]
    fn percentile_sweep_matches_binary_search_definition() {
        // Reference: the per-entity definition with two binary searches.
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let n = 500;
        let x: Vec<f64> = (0..n)
            .map(|i| {
                if i % 17 == 0 {
                    f64::NAN
                } else {
                    (next() * 20.0).floor() - 5.0
                }
            })
            .collect();
        let c: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let r: Vec<bool> = (0..n).map(|i| i % 11 != 0).collect();
        let p = Peers {
            cohort: &c,
            cohorts: 3,
            ranked: &r,
        };
        for dir in [Direction::Higher, Direction::Lower] {
            let got = run(|x, o| percentile(x, dir, &p, o), &x);
            for i in 0..n {
                if x[i].is_nan() {
                    assert!(got[i].is_nan());
                    continue;
                }
                let mut g: Vec<f64> = (0..n)
                    .filter(|&j| r[j] && c[j] == c[i] && !x[j].is_nan())
                    .map(|j| x[j])
                    .collect();
                g.sort_by(|a, b| a.total_cmp(b));
                let below = g.partition_point(|&u| u < x[i]) as f64;
                let equal = g.partition_point(|&u| u <= x[i]) as f64 - below;
                let m = g.len() as f64;
                let s = if r[i] {
                    if m > 1.0 {
                        (below + (equal + 1.0) / 2.0 - 1.0) / (m - 1.0)
                    } else {
                        1.0
                    }
                } else if m >= 1.0 {
                    (below + equal / 2.0) / m
                } else {
                    1.0
                };
                let s = if dir == Direction::Lower { 1.0 - s } else { s };
                assert_eq!(got[i].to_bits(), s.to_bits(), "entity {i}");
            }
        }
    }

    #[test]
    fn cohorts_have_their_own_statistics() {
        let c = vec![0, 0, 1, 1];
        let r = vec![true; 4];
        let p = Peers {
            cohort: &c,
            cohorts: 2,
            ranked: &r,
        };
        let s = run(
            |x, o| minmax(x, Direction::Higher, &p, o),
            &[1.0, 3.0, 100.0, 300.0],
        );
        assert_eq!(s, vec![0.0, 1.0, 0.0, 1.0]);
    }

    #[test]
    fn scalar_bands_meet_exactly_the_values_the_tolerance_admits() {
        // The interval form (scalar parameters) against the per-entity form, at and around
        // each threshold's tolerance edges.
        let ops = [
            BandOp::AtLeast,
            BandOp::Above,
            BandOp::AtMost,
            BandOp::Below,
        ];
        for t in [0.0, 1e-12, 1.0, -5.0, 2.5, 1e10, -3e7] {
            let tol = num::tolerance(t);
            let mut x = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, t];
            for edge in [t - tol, t + tol] {
                x.extend([edge, edge.next_up(), edge.next_down()]);
                x.extend([edge.next_up().next_up(), edge.next_down().next_down()]);
            }
            let n = x.len();
            for op in ops {
                for second in ops {
                    let scalar = [
                        ResolvedBand {
                            op,
                            threshold: ParamValues::Scalar(t),
                            points: ParamValues::Scalar(6.0),
                        },
                        ResolvedBand {
                            op: second,
                            threshold: ParamValues::Scalar(t * 0.5 - 1.0),
                            points: ParamValues::Scalar(3.0),
                        },
                    ];
                    let per_entity: Vec<ResolvedBand> = scalar
                        .iter()
                        .map(|b| ResolvedBand {
                            op: b.op,
                            threshold: ParamValues::PerEntity(vec![b.threshold.get(0); n]),
                            points: ParamValues::PerEntity(vec![b.points.get(0); n]),
                        })
                        .collect();
                    assert!(band_intervals(&scalar, 8.0).is_some());
                    assert!(band_intervals(&per_entity, 8.0).is_none());
                    let (mut fast, mut slow) = (vec![-1.0; n], vec![-1.0; n]);
                    bands(&x, &scalar, 8.0, &mut fast);
                    bands(&x, &per_entity, 8.0, &mut slow);
                    for (i, &v) in x.iter().enumerate() {
                        let want = if v.is_nan() {
                            -1.0
                        } else if op.meets(v, t) {
                            0.75
                        } else if second.meets(v, t * 0.5 - 1.0) {
                            0.375
                        } else {
                            0.0
                        };
                        assert_eq!(slow[i], want, "{op:?} {t} {v}");
                        assert_eq!(fast[i].to_bits(), want.to_bits(), "{op:?} {t} {v}");
                    }
                }
            }
        }
        // Infinite thresholds keep the general form.
        let inf = [ResolvedBand {
            op: BandOp::Above,
            threshold: ParamValues::Scalar(f64::INFINITY),
            points: ParamValues::Scalar(1.0),
        }];
        assert!(band_intervals(&inf, 1.0).is_none());
    }

    /// The peer values of each cohort copied out, in entity order (the reference for
    /// `fold_peers`).
    fn peer_values(x: &[f64], peers: &Peers<'_>) -> Vec<Vec<f64>> {
        let mut groups = vec![Vec::new(); peers.cohorts];
        for (i, &v) in x.iter().enumerate() {
            if peers.ranked[i] && !v.is_nan() {
                groups[peers.cohort[i] as usize].push(v);
            }
        }
        groups
    }

    proptest::proptest! {
        /// minmax and zscore statistics folded in one pass give the fractions of the
        /// statistics taken over each cohort's copied values, to the bit (±0, repeated
        /// values, missing values, excluded entities, one or three cohorts).
        #[test]
        fn folded_peer_statistics_equal_the_copied_ones(
            cells in proptest::collection::vec((0u32..3, proptest::bool::weighted(0.8), 0u8..40, -1e3f64..1e3), 1..200),
            lower in proptest::bool::ANY,
            one_cohort in proptest::bool::ANY,
        ) {
            let x: Vec<f64> = cells
                .iter()
                .map(|&(_, _, k, v)| match k {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3..=20 => f64::from(k % 5),
                    _ => v,
                })
                .collect();
            let cohorts = if one_cohort { 1 } else { 3 };
            let cohort: Vec<u32> = cells.iter().map(|c| c.0 % cohorts).collect();
            let ranked: Vec<bool> = cells.iter().map(|c| c.1).collect();
            let peers = Peers { cohort: &cohort, cohorts: cohorts as usize, ranked: &ranked };
            let dir = if lower { Direction::Lower } else { Direction::Higher };
            let groups = peer_values(&x, &peers);
            let (mut z, mut mm) = (vec![-1.0; x.len()], vec![-1.0; x.len()]);
            zscore(&x, dir, &peers, &mut z);
            minmax(&x, dir, &peers, &mut mm);
            for (i, &v) in x.iter().enumerate() {
                if v.is_nan() {
                    continue;
                }
                let g = &groups[cohort[i] as usize];
                let expected_z = if g.len() < 2 {
                    0.5
                } else {
                    let n = g.len() as f64;
                    // The same order-independent sums as the method (num::FixedSum).
                    let (lo, hi) = g.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &u| (l.min(u), h.max(u)));
                    let mut sum = crate::num::FixedSum::new(lo.abs().max(hi.abs()), g.len());
                    g.iter().for_each(|&u| sum.add(u));
                    let mean = sum.mean(g.len()).clamp(lo, hi);
                    let far = (lo - mean).abs().max((hi - mean).abs());
                    let mut sq = crate::num::FixedSum::new(far * far, g.len());
                    g.iter().for_each(|u| sq.add((u - mean) * (u - mean)));
                    let var = sq.value() / (n - 1.0);
                    let sd = var.sqrt();
                    if sd > 0.0 && !spread_is_noise(lo, hi) {
                        let t = (v - mean) / sd;
                        normal_cdf(if lower { -t } else { t })
                    } else {
                        0.5
                    }
                };
                proptest::prop_assert_eq!((z[i] + 0.0).to_bits(), (expected_z + 0.0).to_bits());
                let expected_mm = if g.is_empty() {
                    0.0
                } else {
                    let lo = g.iter().copied().fold(f64::INFINITY, f64::min);
                    let hi = g.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    if spread_is_noise(lo, hi) {
                        1.0
                    } else {
                        match dir {
                            Direction::Higher => (v - lo) / (hi - lo),
                            Direction::Lower => (hi - v) / (hi - lo),
                        }
                        .clamp(0.0, 1.0)
                    }
                };
                // (To the bit, except the sign of a zero: −0 and +0 are the same fraction, and
                // the reference's `(v − lo)` gives −0 where v = −0 and lo = +0.)
                proptest::prop_assert_eq!((mm[i] + 0.0).to_bits(), (expected_mm + 0.0).to_bits());
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]
        /// Counting distinct values gives the sort's fractions to the bit: cohorts, excluded
        /// entities (with values among the ranked ones or not), missing values, −0 and +0,
        /// infinities.
        #[test]
        fn percentile_by_counts_equals_the_sort(
            cells in proptest::collection::vec((0u32..3, proptest::bool::weighted(0.8), 0u8..40), 8..400),
            lower in proptest::bool::ANY,
        ) {
            let x: Vec<f64> = cells
                .iter()
                .map(|&(_, _, k)| match k {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 0.0,
                    3 => f64::INFINITY,
                    4 => f64::NEG_INFINITY,
                    k => f64::from(k % 13) * 0.25 - 1.0,
                })
                .collect();
            let cohort: Vec<u32> = cells.iter().map(|c| c.0).collect();
            let ranked: Vec<bool> = cells.iter().map(|c| c.1).collect();
            let peers = Peers { cohort: &cohort, cohorts: 3, ranked: &ranked };
            let dir = if lower { Direction::Lower } else { Direction::Higher };
            let (mut counted, mut sorted) = (vec![-1.0; x.len()], vec![-1.0; x.len()]);
            let done = percentile_by_counts(&x, dir, &peers, &mut counted);
            percentile_by_sort(&x, dir, &peers, &mut sorted);
            // At most 15 distinct values per cohort: always counted from 8 × 45 entities.
            proptest::prop_assert!(done || x.len() / 8 < 45);
            if done {
                let bits = |v: &Vec<f64>| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                proptest::prop_assert_eq!(bits(&counted), bits(&sorted));
            }
        }
    }

    #[test]
    fn percentile_counts_only_few_distinct_values() {
        let n = 800;
        let cohort = vec![0; n];
        let ranked = vec![true; n];
        let peers = Peers {
            cohort: &cohort,
            cohorts: 1,
            ranked: &ranked,
        };
        let few: Vec<f64> = (0..n).map(|i| (i % 100) as f64).collect();
        let many: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let mut out = vec![f64::NAN; n];
        assert!(percentile_by_counts(
            &few,
            Direction::Higher,
            &peers,
            &mut out
        ));
        assert_eq!(out[0], (0.0 + 4.5 - 1.0) / 799.0);
        assert_eq!(out[99], (792.0 + 4.5 - 1.0) / 799.0);
        let mut untouched = vec![-1.0; n];
        assert!(!percentile_by_counts(
            &many,
            Direction::Higher,
            &peers,
            &mut untouched
        ));
        assert!(untouched.iter().all(|&v| v == -1.0));
    }
}
