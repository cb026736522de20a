//! Objective weights from the criterion fraction matrix: entropy (熵权法) and CRITIC
//! (SPEC §8 `weights`, §12 "Weights"; conventions in `standards/weighting-methods.md`).
//!
//! Input: rows are the ranked entities, columns the criteria, entries the criterion fractions
//! in [0, 1] with missing and dropped fractions already 0. The fractions are used as they are
//! (they are already normalised and oriented, higher is better), so entropy takes
//! `p = x / column sum` directly. Both functions return one weight per column, summing to 1
//! (an empty vector for a matrix without columns).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use serde::Serialize;

use crate::engine::{Assessment, CompiledRules};
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

/// An objective weighting method ([`objective`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectiveMethod {
    /// 熵权法: [`entropy_weights`].
    Entropy,
    /// CRITIC: [`critic_weights`].
    Critic,
}

impl ObjectiveMethod {
    /// `entropy` or `critic`, as the command line writes it (in any case).
    pub fn from_name(name: &str) -> Option<ObjectiveMethod> {
        match name.to_ascii_lowercase().as_str() {
            "entropy" => Some(ObjectiveMethod::Entropy),
            "critic" => Some(ObjectiveMethod::Critic),
            _ => None,
        }
    }

    /// `entropy` or `critic`.
    pub fn name(self) -> &'static str {
        match self {
            ObjectiveMethod::Entropy => "entropy",
            ObjectiveMethod::Critic => "critic",
        }
    }
}

/// Objective weights of an assessment's criteria, what `clusterscore weights --method`
/// reports (its JSON is this struct's).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveWeights {
    /// The rules and data files the fractions come from ([`crate::engine::Audit::of_inputs`]).
    pub audit: crate::engine::Audit,
    /// The method used (熵权法 or CRITIC).
    pub method: ObjectiveMethod,
    /// Ranked entities the weights were computed from (the rows of the fraction matrix).
    pub entities: usize,
    /// Each criterion's weight, in rules-file order.
    pub criteria: Vec<CriterionWeight>,
    /// Each dimension's weight, in rules-file order.
    pub dimensions: Vec<DimensionWeight>,
    /// Why the weights are equal instead of derived from the data, when they are.
    #[serde(skip)]
    pub fallback: Option<WeightsFallback>,
    /// Criteria whose fraction is the same for every ranked entity while others vary: they
    /// tell no entity apart, so both methods give them weight 0 (and `--write` 0 points).
    pub constant: Vec<String>,
}

/// One criterion's objective weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriterionWeight {
    /// The criterion's id.
    pub id: String,
    /// The id of its dimension.
    pub dimension: String,
    /// The method's weight; the criteria's weights add up to 1.
    pub weight: f64,
    /// The points the weight implies: weight × the rules' total points.
    pub points: f64,
    /// The points the rules give now.
    pub current_points: f64,
}

/// One dimension's objective weight: the sum of its criteria's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DimensionWeight {
    /// The dimension's id.
    pub id: String,
    /// Sum of its criteria's weights (the dimensions' add up to 1).
    pub weight: f64,
    /// The dimension weight it implies on the rules' scale: weight × `scale` when the rules
    /// have a `scale` and no dimension weights, otherwise weight × the total of the current
    /// dimension weights.
    pub implied_weight: f64,
    /// The dimension weight W_d now (its points when the rules give no weights).
    pub current_weight: f64,
}

/// Why objective weights fell back to equal weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFallback {
    /// No entity is ranked: there is no data to weigh by.
    NoRankedEntity,
    /// Every criterion is constant among the ranked entities.
    NoCriterionVaries,
}

impl ObjectiveWeights {
    /// The warning to show when the weights are a fallback (one line, no trailing newline).
    pub fn fallback_warning(&self) -> Option<String> {
        let method = self.method.name();
        self.fallback.map(|f| match f {
            WeightsFallback::NoRankedEntity => format!(
                "no entity is ranked, so {method} has no data to weigh the criteria by: the \
                 weights shown are equal, not derived from the data"
            ),
            WeightsFallback::NoCriterionVaries => format!(
                "no criterion varies among the {} ranked {}, so {method} cannot tell the \
                 criteria apart: the weights shown are not derived from the data; they are \
                 shared equally by the criteria some entity scores on, and 0 for a criterion \
                 no entity scores on",
                self.entities,
                crate::diag::agree(self.entities, "entity", "entities")
            ),
        })
    }

    /// The warning for rules with a single criterion: its weight is 1 whatever the data
    /// (CRITIC's contrast-and-conflict product is not even defined for one column).
    pub fn single_criterion_warning(&self) -> Option<String> {
        (self.criteria.len() == 1 && self.fallback.is_none()).then(|| {
            format!(
                "the rules have one criterion, '{}': its weight is 1 whatever the data, so \
                 --method {} tells nothing about it",
                self.criteria[0].id,
                self.method.name()
            )
        })
    }

    /// The warning for criteria that get weight 0 because no ranked entity differs on them
    /// (one line; `None` when there are none, or when no criterion varies at all).
    pub fn constant_warning(&self) -> Option<String> {
        let n = self.constant.len();
        if n == 0 || self.fallback.is_some() {
            return None;
        }
        let ids: Vec<String> = self.constant.iter().map(|c| format!("'{c}'")).collect();
        Some(format!(
            "{} {} {} the same fraction for all {} ranked entities, so {} {} weight 0 from {}: \
             {} no entity apart here, not that {} unimportant",
            crate::diag::agree(n, "criterion", "criteria"),
            crate::diag::and_list(&ids),
            crate::diag::agree(n, "has", "have"),
            self.entities,
            crate::diag::agree(n, "it", "they"),
            crate::diag::agree(n, "gets", "get"),
            self.method.name(),
            crate::diag::agree(n, "it tells", "they tell"),
            crate::diag::agree(n, "it is", "they are"),
        ))
    }

    /// `text` (the rules file the assessment was scored with) with these weights written
    /// in at `level`, comments and layout kept. At the criteria level, a file that gives
    /// dimension weights gets the dimension weights the criteria imply as well: new points
    /// alone would be re-weighted by the old dimension weights (T = Σ W_d D_d / M_d).
    pub fn rewrite(
        &self,
        rules: &CompiledRules,
        text: &str,
        level: super::rewrite::Level,
    ) -> crate::diag::Result<String> {
        use super::rewrite::{Level, write_weights};
        let criteria: Vec<(String, f64)> = self
            .criteria
            .iter()
            .map(|c| (c.id.clone(), c.points))
            .collect();
        let dimensions: Vec<(String, f64)> = self
            .dimensions
            .iter()
            .map(|d| (d.id.clone(), d.implied_weight))
            .collect();
        match level {
            Level::Criteria if rules.rules.dimensions.iter().any(|d| d.weight.is_some()) => {
                let with_points = write_weights(text, Level::Criteria, &criteria)?;
                write_weights(&with_points, Level::Dimensions, &dimensions)
            }
            Level::Criteria => write_weights(text, Level::Criteria, &criteria),
            Level::Dimensions => write_weights(text, Level::Dimensions, &dimensions),
        }
    }
}

/// Entropy or CRITIC weights of `assessment`'s criteria (scored with `rules`): rows are the
/// ranked entities, entries their criterion fractions, a fraction dropped by `exclude`
/// counting as 0 (SPEC §12). Needs the evidence of a [`Detail::Entities`] assessment (the
/// default) or a [`Detail::Evidence`] one (the evidence alone, lighter on a large file).
///
/// [`Detail::Entities`]: crate::engine::Detail::Entities
/// [`Detail::Evidence`]: crate::engine::Detail::Evidence
pub fn objective(
    rules: &CompiledRules,
    assessment: &Assessment,
    method: ObjectiveMethod,
) -> crate::diag::Result<ObjectiveWeights> {
    let ev = assessment.evidence.as_deref().ok_or_else(|| {
        crate::diag::Error::usage(
            "objective weights need the criterion fractions of every entity: assess with \
             Detail::Entities (the default) or Detail::Evidence, not Columns or Deferred",
        )
    })?;
    let r = &rules.rules;
    let nc = ev.points.len();
    if !assessment.scored_with(r) {
        return Err(crate::diag::Error::usage(
            "the assessment was not scored with these rules (their dimensions, criteria, \
             adjustments, tiers or gates differ)",
        ));
    }
    let rows: Vec<usize> = (0..ev.len()).filter(|&e| ev.ranked[e]).collect();
    let mut x = Array2::<f64>::zeros((rows.len(), nc));
    for (k, &e) in rows.iter().enumerate() {
        for c in 0..nc {
            let s = ev.fractions[[e, c]];
            x[[k, c]] = if s.is_nan() { 0.0 } else { s };
        }
    }
    let w = match method {
        ObjectiveMethod::Entropy => entropy_weights(x.view()),
        ObjectiveMethod::Critic => critic_weights(x.view()),
    };
    let fallback = no_criterion_varies(x.view()).then_some(if rows.is_empty() {
        WeightsFallback::NoRankedEntity
    } else {
        WeightsFallback::NoCriterionVaries
    });
    let total_points: f64 = ev.points.iter().sum();
    // Weights written into a file that had none add up to its `scale` when it has one, so
    // that the file does not gain a `weights-not-scale` lint (weights are relative: the
    // scores are the same either way).
    let w_total: f64 = match r.settings.scale {
        Some(scale) if r.dimensions.iter().all(|d| d.weight.is_none()) => scale,
        _ => ev.weights.iter().sum(),
    };
    let mut dim_w = vec![0.0; r.dimensions.len()];
    for c in 0..nc {
        dim_w[ev.dimension_of[c]] += w[c];
    }
    Ok(ObjectiveWeights {
        audit: assessment.audit.of_inputs(),
        method,
        entities: rows.len(),
        criteria: r
            .criteria
            .iter()
            .enumerate()
            .map(|(c, crit)| CriterionWeight {
                id: crit.id.value.clone(),
                dimension: r.dimensions[ev.dimension_of[c]].id.value.clone(),
                weight: w[c],
                points: w[c] * total_points,
                current_points: ev.points[c],
            })
            .collect(),
        dimensions: r
            .dimensions
            .iter()
            .enumerate()
            .map(|(d, dim)| DimensionWeight {
                id: dim.id.value.clone(),
                weight: dim_w[d],
                implied_weight: dim_w[d] * w_total,
                current_weight: ev.weights[d],
            })
            .collect(),
        fallback,
        constant: (0..nc)
            .filter(|&c| {
                let col = x.column(c);
                col.first()
                    .is_some_and(|&first| col.iter().all(|&v| v == first))
            })
            .map(|c| r.criteria[c].id.value.clone())
            .collect(),
    })
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
