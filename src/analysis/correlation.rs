//! Rank and linear correlation between two rankings or score vectors (`compare`, `sensitivity`).
//!
//! Ties are exact `f64` equality. Inputs must have the same length (a programming error
//! otherwise, so it panics) and should hold no NaN: NaN sorts above every number
//! ([`f64::total_cmp`]) and makes [`pearson`] NaN.

use std::cmp::Ordering;

/// Average ranks, ascending and 1-based: the smallest value has rank 1, and tied values share
/// the mean of the ranks they span (`[10, 20, 20, 30]` → `[1, 2.5, 2.5, 4]`).
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut ranks = vec![0.0; x.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && x[order[end]] == x[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) hold ranks start+1..=end; their mean:
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// The ranks of a ranking with its ties restored: entities of one group (cohort) with equal
/// published scores share the mean of their ranks, so a rank correlation does not depend on
/// how `tie_break` or the ids ordered them. `items` are (group, score, rank) of the ranked
/// entities; a missing score (NaN) ties with nothing.
pub fn tied_ranks<G: Ord>(items: &[(G, f64, f64)]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&i, &j| {
        items[i]
            .0
            .cmp(&items[j].0)
            .then(items[i].2.total_cmp(&items[j].2))
    });
    tied_ranks_in_order(items, &order)
}

/// [`tied_ranks`] with `order` listing the items in (group, rank) order already, so nothing
/// is sorted (a sensitivity replication places its entities by cohort and rank).
pub fn tied_ranks_in_order<G: PartialEq>(items: &[(G, f64, f64)], order: &[usize]) -> Vec<f64> {
    let mut out: Vec<f64> = items.iter().map(|x| x.2).collect();
    let same = |i: usize, j: usize| items[i].0 == items[j].0 && items[i].1 == items[j].1;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && same(order[start], order[end]) {
            end += 1;
        }
        if end - start > 1 {
            let mean =
                order[start..end].iter().map(|&i| items[i].2).sum::<f64>() / (end - start) as f64;
            for &i in &order[start..end] {
                out[i] = mean;
            }
        }
        start = end;
    }
    out
}

/// Pearson's product-moment correlation. NaN with fewer than two pairs, when either side
/// is constant (the correlation is undefined there), or when the sides differ in length.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    if n < 2 || b.len() != n {
        return f64::NAN;
    }
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa == 0.0 || sbb == 0.0 {
        return f64::NAN;
    }
    // One square root of the product: identical sides give exactly 1 (√(x²) = x in floating
    // point, √x·√x need not).
    let product = saa * sbb;
    let denominator = if product.is_finite() && product > 0.0 {
        product.sqrt()
    } else {
        saa.sqrt() * sbb.sqrt()
    };
    (sab / denominator).clamp(-1.0, 1.0)
}

/// Spearman's ρ: the Pearson correlation of the average ranks, so ties are handled exactly.
/// NaN with fewer than two pairs, when either side is constant, or when the sides differ in
/// length (there are no pairs to correlate).
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::NAN;
    }
    pearson(&average_ranks(a), &average_ranks(b))
}

/// Kendall's τ-b with ties: `(nc − nd) / sqrt((n0 − n1)(n0 − n2))`, where n0 = n(n−1)/2,
/// n1 and n2 count the pairs tied in `a` and in `b`.
///
/// Knight's O(n log n) algorithm (as in SciPy): sort by (a, b), count the pairs tied in `a`
/// and jointly tied, then merge-sort by `b` counting the swaps, which are the discordant
/// pairs; nc − nd = n0 − n1 − n2 + n3 − 2·swaps (n3 = pairs tied in both). NaN with fewer
/// than two pairs, when either side is constant, or when the sides differ in length.
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len();
    if n < 2 || b.len() != n {
        return f64::NAN;
    }
    let mut pairs: Vec<(f64, f64)> = a.iter().copied().zip(b.iter().copied()).collect();
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.total_cmp(&q.1)));

    let n0 = pairs_of(n as u64);
    let mut n1 = 0u64; // tied in a
    let mut n3 = 0u64; // tied in a and b
    let mut run_a = 1u64;
    let mut run_ab = 1u64;
    for i in 1..n {
        if pairs[i].0 == pairs[i - 1].0 {
            run_a += 1;
            if pairs[i].1 == pairs[i - 1].1 {
                run_ab += 1;
            } else {
                n3 += pairs_of(run_ab);
                run_ab = 1;
            }
        } else {
            n1 += pairs_of(run_a);
            n3 += pairs_of(run_ab);
            run_a = 1;
            run_ab = 1;
        }
    }
    n1 += pairs_of(run_a);
    n3 += pairs_of(run_ab);

    let mut ys: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    let mut buf = ys.clone();
    let swaps = merge_count(&mut ys, &mut buf);

    let mut n2 = 0u64; // tied in b (ys is now sorted)
    let mut run_b = 1u64;
    for i in 1..n {
        if ys[i] == ys[i - 1] {
            run_b += 1;
        } else {
            n2 += pairs_of(run_b);
            run_b = 1;
        }
    }
    n2 += pairs_of(run_b);

    if n1 == n0 || n2 == n0 {
        return f64::NAN;
    }
    let numerator = n0 as f64 - n1 as f64 - n2 as f64 + n3 as f64 - 2.0 * swaps as f64;
    let denominator = ((n0 - n1) as f64 * (n0 - n2) as f64).sqrt();
    (numerator / denominator).clamp(-1.0, 1.0)
}

fn pairs_of(k: u64) -> u64 {
    k * k.saturating_sub(1) / 2
}

/// Stable merge sort of `v` (ascending, `total_cmp`), returning the number of inversions
/// (pairs i < j with v[i] > v[j] strictly; equal values are not counted).
fn merge_count(v: &mut [f64], buf: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut swaps = {
        let (lo, hi) = v.split_at_mut(mid);
        let (blo, bhi) = buf.split_at_mut(mid);
        merge_count(lo, blo) + merge_count(hi, bhi)
    };
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if v[j].total_cmp(&v[i]) == Ordering::Less {
            buf[k] = v[j];
            swaps += (mid - i) as u64;
            j += 1;
        } else {
            buf[k] = v[i];
            i += 1;
        }
        k += 1;
    }
    buf[k..k + (mid - i)].copy_from_slice(&v[i..mid]);
    k += mid - i;
    buf[k..k + (n - j)].copy_from_slice(&v[j..n]);
    v.copy_from_slice(&buf[..n]);
    swaps
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn sides_of_different_lengths_have_no_correlation() {
        assert!(spearman(&[1.0, 2.0, 3.0], &[1.0]).is_nan());
        assert!(kendall_tau_b(&[1.0, 2.0, 3.0], &[1.0, 2.0]).is_nan());
        assert!(pearson(&[1.0], &[1.0, 2.0]).is_nan());
        assert!(pearson(&[1.0, 2.0, 3.0], &[1.0, 2.0]).is_nan());
    }

    /// O(n²) τ-b straight from the definition, to check Knight's algorithm against.
    fn tau_b_naive(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len();
        let (mut s, mut n1, mut n2) = (0i64, 0i64, 0i64);
        for i in 0..n {
            for j in i + 1..n {
                let da = (a[i] - a[j]).signum() * f64::from(u8::from(a[i] != a[j]));
                let db = (b[i] - b[j]).signum() * f64::from(u8::from(b[i] != b[j]));
                s += (da * db) as i64;
                n1 += i64::from(a[i] == a[j]);
                n2 += i64::from(b[i] == b[j]);
            }
        }
        let n0 = (n * (n - 1) / 2) as i64;
        s as f64 / (((n0 - n1) * (n0 - n2)) as f64).sqrt()
    }

    #[test]
    fn average_ranks_share_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 30.0]),
            vec![1.0, 2.5, 2.5, 4.0]
        );
        // Three-way tie at the top spans ranks 3, 4, 5 → 4.
        assert_eq!(
            average_ranks(&[7.0, 1.0, 7.0, 2.0, 7.0]),
            vec![4.0, 1.0, 4.0, 2.0, 4.0]
        );
        assert!(average_ranks(&[]).is_empty());
    }

    // a = [1,2,2,3,4], b = [1,3,2,2,5]
    // ranks a = [1, 2.5, 2.5, 4, 5], ranks b = [1, 4, 2.5, 2.5, 5], both mean 3.
    // deviations a: -2, -.5, -.5, 1, 2;  b: -2, 1, -.5, -.5, 2
    // Σ da·db = 4 - .5 + .25 - .5 + 4 = 7.25;  Σ da² = Σ db² = 9.5;  ρ = 7.25/9.5.
    #[test]
    fn tied_ranks_share_the_mean_rank_of_equal_scores_within_a_group() {
        // Cohort 0: scores 90, 80, 80, 70 ranked 1..4 (the two 80s ordered by a tie-break);
        // cohort 1: 80, 80 ranked 1, 2. Equal scores in different cohorts stay apart.
        let items = [
            (0, 80.0, 3.0),
            (1, 80.0, 1.0),
            (0, 90.0, 1.0),
            (0, 80.0, 2.0),
            (1, 80.0, 2.0),
            (0, 70.0, 4.0),
            (0, f64::NAN, 5.0),
        ];
        assert_eq!(tied_ranks(&items), [2.5, 1.5, 1.0, 2.5, 1.5, 4.0, 5.0]);
    }

    #[test]
    fn spearman_with_ties_by_hand() {
        let a = [1.0, 2.0, 2.0, 3.0, 4.0];
        let b = [1.0, 3.0, 2.0, 2.0, 5.0];
        assert_relative_eq!(spearman(&a, &b), 7.25 / 9.5, epsilon = 1e-12);
        assert_relative_eq!(spearman(&b, &a), 7.25 / 9.5, epsilon = 1e-12);
    }

    // Same a, b. The 10 pairs (i<j): (1,2) tied in a; (2,3) [0-based] tied in b;
    // (1,3): a 2<3 but b 3>2 → discordant; the other 7 concordant.
    // n0 = 10, n1 = 1, n2 = 1: τb = (7 − 1)/sqrt(9·9) = 2/3.
    #[test]
    fn kendall_with_ties_by_hand() {
        let a = [1.0, 2.0, 2.0, 3.0, 4.0];
        let b = [1.0, 3.0, 2.0, 2.0, 5.0];
        assert_relative_eq!(kendall_tau_b(&a, &b), 2.0 / 3.0, epsilon = 1e-12);
        assert_relative_eq!(kendall_tau_b(&b, &a), 2.0 / 3.0, epsilon = 1e-12);
    }

    #[test]
    fn perfect_agreement_and_reversal() {
        let a = [3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.6];
        let same: Vec<f64> = a.iter().map(|x| 10.0 * x + 1.0).collect();
        let rev: Vec<f64> = a.iter().map(|x| -x).collect();
        assert_relative_eq!(spearman(&a, &same), 1.0);
        assert_relative_eq!(kendall_tau_b(&a, &same), 1.0);
        assert_relative_eq!(pearson(&a, &same), 1.0, epsilon = 1e-12);
        assert_relative_eq!(spearman(&a, &rev), -1.0);
        assert_relative_eq!(kendall_tau_b(&a, &rev), -1.0);
        assert_relative_eq!(pearson(&a, &rev), -1.0, epsilon = 1e-12);
        // With ties on both sides, identical vectors still give 1.
        let t = [1.0, 1.0, 2.0, 3.0, 3.0];
        assert_relative_eq!(kendall_tau_b(&t, &t), 1.0);
        assert_relative_eq!(spearman(&t, &t), 1.0);
        // Exactly 1, not 1 − 2⁻⁵², for a ranking compared with itself (machines test `== 1`).
        for n in 2..300 {
            let v: Vec<f64> = (0..n).map(|i| ((i * 7919) % n) as f64 * 0.1).collect();
            assert_eq!(spearman(&v, &v), 1.0, "n = {n}");
            assert_eq!(kendall_tau_b(&v, &v), 1.0, "n = {n}");
            assert_eq!(pearson(&v, &v), 1.0, "n = {n}");
        }
    }

    #[test]
    fn degenerate_inputs_are_nan() {
        assert!(spearman(&[1.0], &[2.0]).is_nan());
        assert!(kendall_tau_b(&[], &[]).is_nan());
        assert!(pearson(&[1.0, 2.0], &[3.0, 3.0]).is_nan());
        assert!(spearman(&[5.0, 5.0, 5.0], &[1.0, 2.0, 3.0]).is_nan());
        assert!(kendall_tau_b(&[1.0, 2.0, 3.0], &[4.0, 4.0, 4.0]).is_nan());
    }

    // x = [1,2,3,4], y = [2,4,5,9]: means 2.5, 5; dx = -1.5,-.5,.5,1.5; dy = -3,-1,0,4
    // Σdxdy = 4.5+.5+0+6 = 11; Σdx² = 5; Σdy² = 26; r = 11/sqrt(130).
    #[test]
    fn pearson_by_hand() {
        let r = pearson(&[1.0, 2.0, 3.0, 4.0], &[2.0, 4.0, 5.0, 9.0]);
        assert_relative_eq!(r, 11.0 / 130f64.sqrt(), epsilon = 1e-12);
    }

    #[test]
    fn knight_matches_definition_on_tied_data() {
        // Deterministic pseudo-random data with many ties (values 0..7).
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 7) as f64
        };
        for n in [2usize, 3, 5, 17, 64, 201] {
            let a: Vec<f64> = (0..n).map(|_| next()).collect();
            let b: Vec<f64> = (0..n).map(|_| next()).collect();
            let fast = kendall_tau_b(&a, &b);
            let slow = tau_b_naive(&a, &b);
            if slow.is_nan() {
                assert!(fast.is_nan(), "n = {n}");
            } else {
                assert_relative_eq!(fast, slow, epsilon = 1e-12);
            }
        }
    }
}
