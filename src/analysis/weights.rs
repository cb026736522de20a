//! Objective weights from the criterion fraction matrix: entropy (熵权法) and CRITIC
//! (SPEC §8 `weights`, §12 "Weights"; conventions in `standards/weighting-methods.md`).
//!
//! Input: rows are the ranked entities, columns the criteria, entries the criterion fractions
//! in [0, 1] with missing and dropped fractions already 0. The fractions are used as they are
//! (they are already normalised and oriented, higher is better), so entropy takes
//! `p = x / column sum` directly. Both functions return one weight per column, summing to 1
//! (an empty vector for a matrix without columns).

use ndarray::{Array1, ArrayView1, ArrayView2};
use statrs::statistics::Statistics;

use super::correlation::pearson;

/// Entropy weights.
///
/// Per column j with n rows: `p_ij = x_ij / Σ_i x_ij`, `e_j = −(1/ln n) Σ_i p_ij ln p_ij`
/// with `0·ln 0 = 0`, `d_j = 1 − e_j`, `w_j = d_j / Σ_k d_k`.
///
/// Degenerate cases:
/// - a column whose sum is 0 (or not a positive finite number) carries no information:
///   `d_j = 0`, so weight 0;
/// - when every `d_j` is 0 (all columns uniform or zero), or n = 1 (`ln 1 = 0`), no column is
///   more informative than another: the weights are equal among the columns with a
///   positive sum, and a zero-sum column still gets 0 (equal over all columns only when
///   every column sums to 0). Callers say that the weights are then a fallback (see
///   [`no_criterion_varies`]).
///
/// Entries are expected to be finite and ≥ 0.
pub fn entropy_weights(x: ArrayView2<f64>) -> Array1<f64> {
    let (n, m) = x.dim();
    if m == 0 {
        return Array1::zeros(0);
    }
    if n < 2 {
        return equal_among_scored(x);
    }
    let k = 1.0 / (n as f64).ln();
    let d: Array1<f64> = x
        .columns()
        .into_iter()
        .map(|col| {
            let sum = col.sum();
            // A zero-sum column carries no information, nor does a constant one (e = 1
            // exactly; computed, rounding could leave a d of 1e-16 to be normalised).
            if !(sum.is_finite() && sum > 0.0) || col.iter().all(|&v| v == col[0]) {
                return 0.0;
            }
            let h: f64 = col
                .iter()
                .map(|&v| v / sum)
                .filter(|&p| p > 0.0)
                .map(|p| p * p.ln())
                .sum();
            // e ∈ [0, 1] mathematically; clamp away rounding below 0 in d.
            (1.0 + k * h).max(0.0)
        })
        .collect();
    if d.sum() > 0.0 {
        normalise_or_equal(d)
    } else {
        equal_among_scored(x)
    }
}

/// The fallback of both methods when no column is more informative than another: equal
/// weights among the columns with a positive sum, 0 for a column no row scores on (SPEC
/// §12: a zero-sum column carries no information); equal over all when every column is 0.
fn equal_among_scored(x: ArrayView2<f64>) -> Array1<f64> {
    let scored: Array1<f64> = x
        .columns()
        .into_iter()
        .map(|col| {
            let sum = col.sum();
            f64::from(u8::from(sum.is_finite() && sum > 0.0))
        })
        .collect();
    normalise_or_equal(scored)
}

/// Whether no criterion varies among the rows (fewer than two rows, or every column
/// constant): entropy and CRITIC then have nothing to tell the criteria apart by, and the
/// weights they return are their documented equal-weight fallback.
pub fn no_criterion_varies(x: ArrayView2<f64>) -> bool {
    x.nrows() < 2
        || x.columns().into_iter().all(|col| {
            let first = col[0];
            col.iter().all(|&v| v == first)
        })
}

/// CRITIC weights (Diakoulaki, Mavrotas & Papayannakis 1995).
///
/// Each column is min-max normalised (a constant column becomes all 0); σ_j is its sample
/// standard deviation (divisor n − 1); r_jk the Pearson correlation of columns j and k, taken
/// as 0 when either is constant; `C_j = σ_j Σ_k (1 − r_jk)` (the k = j term is 0);
/// `w_j = C_j / Σ_k C_k`.
///
/// Degenerate cases: a constant column has σ = 0 and so weight 0; with fewer than two rows,
/// or when every C_j is 0 (all columns constant), the weights are equal among the columns
/// with a positive sum (as for entropy).
pub fn critic_weights(x: ArrayView2<f64>) -> Array1<f64> {
    let (n, m) = x.dim();
    if m == 0 {
        return Array1::zeros(0);
    }
    if n < 2 {
        return equal_among_scored(x);
    }
    let z: Vec<Vec<f64>> = x.columns().into_iter().map(min_max).collect();
    let sd: Vec<f64> = z.iter().map(|c| c.iter().std_dev()).collect();
    let mut c = Array1::zeros(m);
    for j in 0..m {
        if sd[j] == 0.0 {
            continue;
        }
        let conflict: f64 = (0..m)
            .filter(|&k| k != j)
            .map(|k| {
                let r = if sd[k] == 0.0 {
                    0.0
                } else {
                    pearson(&z[j], &z[k])
                };
                1.0 - if r.is_nan() { 0.0 } else { r }
            })
            .sum();
        c[j] = sd[j] * conflict;
    }
    if c.sum() > 0.0 {
        normalise_or_equal(c)
    } else {
        equal_among_scored(x)
    }
}

/// Min-max normalisation to [0, 1]; a constant column (max == min) becomes all 0.
fn min_max(col: ArrayView1<f64>) -> Vec<f64> {
    let lo = col.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = col.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    if range > 0.0 && range.is_finite() {
        col.iter().map(|&v| (v - lo) / range).collect()
    } else {
        vec![0.0; col.len()]
    }
}

fn equal(m: usize) -> Array1<f64> {
    Array1::from_elem(m, 1.0 / m as f64)
}

fn normalise_or_equal(v: Array1<f64>) -> Array1<f64> {
    let total = v.sum();
    if total > 0.0 && total.is_finite() {
        v / total
    } else {
        equal(v.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;
    use ndarray::{Array2, array};

    // Column 1: sum 2, p = .1 .2 .3 .4
    //   Σ p ln p = .1ln.1 + .2ln.2 + .3ln.3 + .4ln.4
    //            = −.230259 − .321888 − .361192 − .366516 = −1.279854
    //   e1 = 1.279854 / ln 4 (1.386294) = .923220, d1 = .076780
    // Column 2: sum 1, p = .5 .5 0 0 → Σ p ln p = ln .5 → e2 = ln 2 / ln 4 = .5, d2 = .5
    // Column 3: p = 1 0 0 0 → Σ p ln p = 0 → e3 = 0, d3 = 1
    // Σd = 1.576780: w = (.048694, .317102, .634204)
    #[test]
    fn entropy_4x3_by_hand() {
        let x = array![
            [0.2, 0.5, 1.0],
            [0.4, 0.5, 0.0],
            [0.6, 0.0, 0.0],
            [0.8, 0.0, 0.0]
        ];
        let w = entropy_weights(x.view());
        let h1: f64 = [0.1f64, 0.2, 0.3, 0.4].iter().map(|p| p * p.ln()).sum();
        let d1 = 1.0 + h1 / 4f64.ln();
        assert_relative_eq!(d1, 0.076780, epsilon = 1e-6);
        let total = d1 + 0.5 + 1.0;
        assert_relative_eq!(w[0], d1 / total, epsilon = 1e-12);
        assert_relative_eq!(w[1], 0.5 / total, epsilon = 1e-12);
        assert_relative_eq!(w[2], 1.0 / total, epsilon = 1e-12);
        assert_relative_eq!(w[0], 0.048694, epsilon = 1e-6);
        assert_relative_eq!(w[1], 0.317102, epsilon = 1e-6);
        assert_relative_eq!(w[2], 0.634204, epsilon = 1e-6);
        assert_relative_eq!(w.sum(), 1.0, epsilon = 1e-12);
    }

    #[test]
    fn entropy_zero_sum_and_uniform_columns_get_no_weight() {
        // Column 1 all zero (no information), column 2 uniform (e = 1), column 3 one entity
        // takes everything (e = 0, d = 1) → all the weight.
        let x = array![[0.0, 0.3, 0.9], [0.0, 0.3, 0.0], [0.0, 0.3, 0.0]];
        let w = entropy_weights(x.view());
        assert_relative_eq!(w[0], 0.0);
        assert_relative_eq!(w[1], 0.0, epsilon = 1e-12);
        assert_relative_eq!(w[2], 1.0, epsilon = 1e-12);
    }

    #[test]
    fn entropy_degenerate_cases_give_equal_weights() {
        // All d = 0: every column uniform or zero. Equal among the columns with a positive
        // sum; the zero-sum column keeps weight 0 (SPEC §12).
        let x = array![[0.5, 0.0, 1.0], [0.5, 0.0, 1.0]];
        assert!(no_criterion_varies(x.view()));
        assert_eq!(entropy_weights(x.view()), array![0.5, 0.0, 0.5]);
        // Three equal rows of thirds: e computed in floating point may miss 1 by 1e-16; the
        // constant column is still exactly uninformative.
        let x = array![[0.3, 0.1], [0.3, 0.1], [0.3, 0.1]];
        assert_eq!(entropy_weights(x.view()), array![0.5, 0.5]);
        // One entity: ln 1 = 0.
        let w = entropy_weights(array![[0.2, 0.7]].view());
        assert_eq!(w, array![0.5, 0.5]);
        assert_eq!(entropy_weights(array![[0.2, 0.0]].view()), array![1.0, 0.0]);
        // Every column zero: nothing to tell them apart, equal over all.
        assert_eq!(
            entropy_weights(Array2::<f64>::zeros((2, 2)).view()),
            array![0.5, 0.5]
        );
        assert!(!no_criterion_varies(array![[0.2, 0.0], [0.3, 0.0]].view()));
        assert_eq!(
            entropy_weights(Array2::<f64>::zeros((3, 0)).view()).len(),
            0
        );
    }

    // Inputs min-max normalise to z1 = [0, 1/3, 2/3, 1], z2 = [1, 0, .5, .5], z3 = [0, 0, 1, 1].
    // All means .5. Deviations: z1 −.5 −1/6 1/6 .5; z2 .5 −.5 0 0; z3 −.5 −.5 .5 .5
    // Σdev²: 5/9, 1/2, 1 → σ (÷3): sqrt(5/27) = .430331, sqrt(1/6) = .408248, sqrt(1/3) = .577350
    // Σ cross: 12 = −.25 + 1/12 = −1/6; 13 = .25 + 1/12 + 1/12 + .25 = 2/3; 23 = −.25 + .25 = 0
    // r12 = (−1/6)/sqrt(5/18) = −1/sqrt(10) = −.316228; r13 = (2/3)/sqrt(5/9) = 2/sqrt(5) = .894427;
    // r23 = 0
    // C1 = .430331 (1.316228 + .105573) = .611845
    // C2 = .408248 (1.316228 + 1)       = .945597
    // C3 = .577350 (.105573 + 1)        = .638303      ΣC = 2.195745
    // w = (.278650, .430650, .290700)
    #[test]
    fn critic_4x3_by_hand() {
        let x = array![
            [0.1, 1.0, 0.2],
            [0.2, 0.0, 0.2],
            [0.3, 0.5, 0.6],
            [0.4, 0.5, 0.6]
        ];
        let w = critic_weights(x.view());
        let (s1, s2, s3) = (
            (5.0f64 / 27.0).sqrt(),
            (1.0f64 / 6.0).sqrt(),
            (1.0f64 / 3.0).sqrt(),
        );
        let (r12, r13) = (-1.0 / 10f64.sqrt(), 2.0 / 5f64.sqrt());
        let c = [
            s1 * ((1.0 - r12) + (1.0 - r13)),
            s2 * ((1.0 - r12) + 1.0),
            s3 * ((1.0 - r13) + 1.0),
        ];
        let total: f64 = c.iter().sum();
        for j in 0..3 {
            assert_relative_eq!(w[j], c[j] / total, epsilon = 1e-12);
        }
        assert_relative_eq!(w[0], 0.278650, epsilon = 1e-6);
        assert_relative_eq!(w[1], 0.430650, epsilon = 1e-6);
        assert_relative_eq!(w[2], 0.290700, epsilon = 1e-6);
    }

    // z1 = [0, 1/3, 2/3, 1], z2 = [0, 0, 1, 1] (from [.2 .2 .6 .6]), column 3 constant → 0.
    // r12 = (Σ cross 2/3)/sqrt(5/9 · 1) = 2/sqrt(5); r with the constant column is 0, so it
    // adds 1 to each conflict sum.
    // C1 = sqrt(5/27)(1 − r12 + 1), C2 = sqrt(1/3)(1 − r12 + 1), C3 = 0.
    #[test]
    fn critic_constant_column_has_zero_weight() {
        let x = array![
            [0.1, 0.2, 0.7],
            [0.2, 0.2, 0.7],
            [0.3, 0.6, 0.7],
            [0.4, 0.6, 0.7]
        ];
        let w = critic_weights(x.view());
        let r12 = 2.0 / 5f64.sqrt();
        let c1 = (5.0f64 / 27.0).sqrt() * (2.0 - r12);
        let c2 = (1.0f64 / 3.0).sqrt() * (2.0 - r12);
        assert_relative_eq!(w[0], c1 / (c1 + c2), epsilon = 1e-12);
        assert_relative_eq!(w[1], c2 / (c1 + c2), epsilon = 1e-12);
        assert_eq!(w[2], 0.0);
    }

    #[test]
    fn critic_degenerate_cases_give_equal_weights() {
        // Equal among the columns some row scores on; the all-zero column gets 0.
        let all_constant = array![[0.3, 0.0], [0.3, 0.0], [0.3, 0.0]];
        assert_eq!(critic_weights(all_constant.view()), array![1.0, 0.0]);
        let all_constant = array![[0.3, 0.2], [0.3, 0.2]];
        assert_eq!(critic_weights(all_constant.view()), array![0.5, 0.5]);
        let one_row = array![[0.1, 0.9, 0.4, 0.2]];
        assert_eq!(
            critic_weights(one_row.view()),
            array![0.25, 0.25, 0.25, 0.25]
        );
    }

    #[test]
    fn critic_is_scale_free_per_column() {
        // Min-max normalisation: an affine change of one column does not change the weights.
        let x = array![
            [0.1, 0.9, 0.3],
            [0.5, 0.2, 0.35],
            [0.2, 0.4, 0.8],
            [0.9, 0.1, 0.5]
        ];
        let mut y = x.clone();
        y.column_mut(1).mapv_inplace(|v| 0.2 + 0.5 * v);
        let (wx, wy) = (critic_weights(x.view()), critic_weights(y.view()));
        for j in 0..3 {
            assert_relative_eq!(wx[j], wy[j], epsilon = 1e-12);
        }
    }
}
