//! The scoring state behind an assessment — the criterion fraction matrix and everything
//! aggregation, ranking and tiers need — so that analyses (sensitivity, weights, explain,
//! the HTML report) re-score without re-reading data or re-evaluating expressions.
//! The engine itself scores through these same functions.

use super::methods::ParamValues;
use crate::num::round_half_away;
use crate::rules::{Aggregation, Direction};
use ndarray::{Array1, Array2, Axis, ShapeBuilder};
use std::cmp::Ordering;

/// A tier's rule as evaluated for each entity.
#[derive(Debug, Clone, PartialEq)]
pub struct TierRule {
    /// The tier's `id`.
    pub id: String,
    /// The tier's `max_count` quota: at most this many entities per cohort.
    pub max_count: Option<u64>,
    /// The tier's `top_percent` quota: this share (in percent) of the cohort's ranked
    /// entities, rounded down, at least 1.
    pub top_percent: Option<f64>,
    /// Minimum score, one for all or per entity (NaN: no minimum). Kept scalar when it is
    /// one number: a per-entity copy costs 8 B per entity for nothing.
    pub min_score: super::methods::ParamValues,
    /// Whether every `requires` holds (`None`: a value was missing, counts as not met).
    /// Requirements that mention scores were evaluated on the engine's scores.
    pub requires: Vec<Option<bool>>,
    /// Whether any `direct` condition holds.
    pub direct: Vec<bool>,
    /// Whether no `direct` condition holds but one was left missing (a value was missing),
    /// for `explain`; empty when none was.
    pub direct_unknown: Vec<bool>,
    /// Per entity, which of the first 32 `requires` conditions did not hold: bit `i` when
    /// condition `i` was false, bit `32 + i` when a value left it missing. For `explain`, to
    /// name the conditions that failed; empty when the tier has fewer than two conditions
    /// (then `requires` says it all) and when the run keeps no per-entity results.
    pub requires_unmet: Vec<u64>,
}

/// The bit of [`TierRule::requires_unmet`] for condition `i` with outcome `v` (0 when it held
/// or `i` is beyond the first 32).
pub(crate) fn unmet_bit(i: usize, v: Option<bool>) -> u64 {
    match v {
        _ if i >= 32 => 0,
        Some(true) => 0,
        Some(false) => 1 << i,
        None => 1 << (32 + i),
    }
}

/// The scoring state of one run; rows follow the assessment's entity order.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// Entities × criteria fractions; NaN where a criterion was dropped (`exclude`).
    pub fractions: Array2<f64>,
    /// Each criterion's `points` (its maximum), in rules-file order.
    pub points: Vec<f64>,
    /// Each criterion's dimension, as an index into `weights`.
    pub dimension_of: Vec<usize>,
    /// Dimension weights W_d (defaulting to the dimension's points M_d).
    pub weights: Vec<f64>,
    /// `[rules].scale`: the total's maximum when given (else ΣW).
    pub scale: Option<f64>,
    /// `[rules].aggregation` of the run.
    pub aggregation: Aggregation,
    /// `[rules].geometric_floor`: the least dimension fraction a geometric total uses.
    pub geometric_floor: f64,
    /// `[rules].clamp`: bounds of the final score, applied after adjustments.
    pub clamp: Option<(f64, f64)>,
    /// `[rules].decimals`: the published precision.
    pub decimals: u32,
    /// Adjustment points applied to each entity (sum).
    pub adjustment: Vec<f64>,
    /// Whether each entity is ranked (not excluded by a gate).
    pub ranked: Vec<bool>,
    /// Each entity's cohort index (all 0 when the rules rank everyone together).
    pub cohort: Vec<u32>,
    /// How many cohorts (1 without `cohort`).
    pub cohorts: usize,
    /// Cohort names by cohort index (`None`: the entities without a cohort value); empty
    /// when the rules rank everyone together.
    pub cohort_names: Vec<Option<String>>,
    /// Entity ids (dictionary shared with the data; unique within a run).
    pub ids: crate::column::TextColumn,
    /// Per `[rules].tie_break` indicator, its value for each entity (NaN: missing).
    pub tie_values: Vec<Vec<f64>>,
    /// Each tie-break indicator's `direction`.
    pub tie_directions: Vec<Direction>,
    /// The tiers, highest first.
    pub tiers: Vec<TierRule>,
    /// The lowest tier index a capping gate allows, per entity; empty when no gate caps
    /// (a batch run then keeps no per-entity vector for it). Read through [`Evidence::cap_of`].
    pub cap: Vec<Option<usize>>,
    /// Per criterion: its method parameters (in `Method::params()` order) resolved per
    /// entity, before `transform` (for `explain`'s gap analysis; may be empty).
    pub params: Vec<Vec<super::methods::ParamValues>>,
    /// The conditions evaluated after scoring, kept when one of them reads scores (and the
    /// run kept per-entity detail), so that [`Evidence::rescore`] re-evaluates them.
    pub post: Option<std::sync::Arc<PostScoring>>,
}

/// The conditions the engine evaluates after scoring — adjustments, capping gates, tier
/// `requires` and `direct` — with the columns they read, kept when one of them reads a
/// dimension score, criterion points or `score`: a re-score then evaluates them again on
/// its new published (rounded) values, as the run did.
#[derive(Debug, Clone)]
pub struct PostScoring {
    pub(crate) frame: PostFrame,
    /// The frame row of each entity (rows follow the evidence).
    pub(crate) row_of: Vec<usize>,
    pub(crate) score_slot: usize,
    pub(crate) dimension_slots: Vec<usize>,
    pub(crate) criterion_slots: Vec<usize>,
    /// Per adjustment: its `when` and points.
    pub(crate) adjustments: Vec<(crate::expr::Program, f64)>,
    /// Per capping gate: its condition and the tier it caps at.
    pub(crate) caps: Vec<(crate::expr::Program, usize)>,
    /// Per tier: its `requires` and its `direct` conditions.
    pub(crate) requires: Vec<Vec<crate::expr::Program>>,
    pub(crate) direct: Vec<Vec<crate::expr::Program>>,
}

impl PostScoring {
    /// A condition's outcomes on the frame's rows, taken at each entity's row.
    pub(crate) fn at_entities(&self, at_rows: Vec<Option<bool>>) -> Vec<Option<bool>> {
        self.row_of.iter().map(|&r| at_rows[r]).collect()
    }

    /// Whether any of tier `t`'s `requires` reads a score.
    pub fn requires_read_scores(&self, t: usize) -> bool {
        self.requires
            .get(t)
            .is_some_and(|ps| ps.iter().any(|p| self.reads_scores(p)))
    }

    /// Which of tier `t`'s `requires` read a score, in the order they are written.
    pub fn requires_reading_scores(&self, t: usize) -> Vec<bool> {
        self.requires
            .get(t)
            .map(|ps| ps.iter().map(|p| self.reads_scores(p)).collect())
            .unwrap_or_default()
    }

    /// The tier the capping gates that read no score limit entity `e` to (the lowest one
    /// when several fail), or `None`: what no change of scores can lift.
    pub fn data_cap_of(&self, e: usize) -> Option<usize> {
        let row = *self.row_of.get(e)?;
        let mut cap: Option<usize> = None;
        for (p, tier) in &self.caps {
            if !self.reads_scores(p)
                && p.eval_condition(&self.frame).get(row).copied().flatten() != Some(true)
                && cap.is_none_or(|c| *tier > c)
            {
                cap = Some(*tier);
            }
        }
        cap
    }

    /// Every condition kept: adjustments' `when`, capping gates, tiers' `requires` and
    /// `direct`.
    pub(crate) fn programs(&self) -> impl Iterator<Item = &crate::expr::Program> {
        self.adjustments
            .iter()
            .map(|(p, _)| p)
            .chain(self.caps.iter().map(|(p, _)| p))
            .chain(self.requires.iter().flatten())
            .chain(self.direct.iter().flatten())
    }

    /// Whether any capping gate reads a score.
    pub fn caps_read_scores(&self) -> bool {
        self.caps.iter().any(|(p, _)| self.reads_scores(p))
    }

    /// Whether `p` reads a dimension score, criterion points or `score`.
    pub(crate) fn reads_scores(&self, p: &crate::expr::Program) -> bool {
        p.slots().iter().any(|s| {
            *s == self.score_slot
                || self.dimension_slots.contains(s)
                || self.criterion_slots.contains(s)
        })
    }
}

/// Identity: the kept conditions are the run's, never compared by content.
impl PartialEq for PostScoring {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// The columns the post-scoring conditions read (owned; other slots empty).
#[derive(Debug, Clone)]
pub(crate) struct PostFrame {
    pub rows: usize,
    pub columns: Vec<Option<crate::column::Column>>,
    pub prev: Vec<Vec<u32>>,
}

impl PostFrame {
    fn set_number(&mut self, slot: usize, row: usize, v: f64) {
        if let Some(Some(crate::column::Column::Number(col))) = self.columns.get_mut(slot) {
            col[row] = v;
        }
    }
}

impl crate::expr::Env for PostFrame {
    fn rows(&self) -> usize {
        self.rows
    }
    fn column(&self, slot: usize) -> &crate::column::Column {
        self.columns[slot]
            .as_ref()
            .expect("the frame keeps every slot its programs read")
    }
    fn prev_rows(&self, k: u32) -> Option<&[u32]> {
        self.prev
            .get((k as usize).checked_sub(1)?)
            .map(|v| v.as_slice())
    }
}

/// A tier refused only because its quota was full by a tie on the rounded score.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaTie {
    /// The tier, as an index into [`Evidence::tiers`].
    pub tier: usize,
    /// Its quota in the entity's cohort.
    pub quota: usize,
    /// The entity (row index) placed last in the tier, at the refused one's score.
    pub placed: usize,
    /// The entity (row index) refused.
    pub refused: usize,
}

impl Evidence {
    /// How many entities.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no entities.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The lowest tier index a capping gate allows entity `e` (None: no cap).
    #[inline]
    pub fn cap_of(&self, e: usize) -> Option<usize> {
        self.cap.get(e).copied().flatten()
    }

    /// The maximum of the total: `scale`, else ΣW.
    pub fn final_max(&self, weights: &[f64]) -> f64 {
        self.scale.unwrap_or_else(|| weights.iter().sum())
    }

    /// Dimension fractions f_d = Σ kept p·s / Σ kept p (entities × dimensions).
    ///
    /// Dimension by dimension, each criterion of it in order over its whole column (the
    /// fraction matrix is column-major, so each pass is sequential and vectorises), skipping
    /// dropped criteria; this is also the inner loop of every sensitivity replication.
    pub fn dimension_fractions(&self, points: &[f64]) -> Array2<f64> {
        let n = self.fractions.nrows();
        let nd = self.weights.len();
        let mut sum = Array2::<f64>::zeros((n, nd).f());
        for d in 0..nd {
            self.dimension_column(d, points, sum.column_mut(d));
        }
        sum
    }

    /// Dimension `d`'s column of [`Evidence::dimension_fractions`], written into `out`
    /// (zeros): its criteria added in criterion order, then the share of the maximum.
    /// A dimension where some entity has a dropped criterion needs a per-entity maximum,
    /// summed in criterion order as the kept points always were.
    fn dimension_column(&self, d: usize, points: &[f64], mut out: ndarray::ArrayViewMut1<f64>) {
        let nc = self.fractions.ncols();
        let mine: Vec<usize> = (0..nc.min(points.len()))
            .filter(|&ci| self.dimension_of[ci] == d)
            .collect();
        let dropped = mine
            .iter()
            .any(|&ci| self.fractions.column(ci).iter().any(|v| v.is_nan()));
        let mut max = dropped.then(|| Array1::<f64>::zeros(out.len()));
        let mut full = 0.0;
        for &ci in &mine {
            let p = points[ci];
            full += p;
            let col = self.fractions.column(ci);
            match &mut max {
                Some(m) => ndarray::Zip::from(&mut out)
                    .and(m)
                    .and(&col)
                    .for_each(|acc, mx, &f| {
                        if !f.is_nan() {
                            *acc += p * f;
                            *mx += p;
                        }
                    }),
                None => out.zip_mut_with(&col, |acc, &f| *acc += p * f),
            }
        }
        dimension_share(out, max.as_ref().map(|m| m.view()), full);
    }

    /// Totals before adjustments for given dimension weights, criterion points and method.
    pub fn totals(&self, weights: &[f64], points: &[f64], aggregation: Aggregation) -> Array1<f64> {
        match aggregation {
            Aggregation::Topsis => {
                let w = Array1::from(weights.to_vec());
                self.topsis(&w, points, self.final_max(weights))
            }
            _ => self.totals_of(
                &self.dimension_fractions(points),
                weights,
                points,
                aggregation,
            ),
        }
    }

    /// [`Evidence::totals`] from dimension fractions already computed (additive and
    /// geometric aggregation read nothing else; TOPSIS reads the criteria), so a run
    /// computes them once.
    pub fn totals_of(
        &self,
        dim_frac: &Array2<f64>,
        weights: &[f64],
        points: &[f64],
        aggregation: Aggregation,
    ) -> Array1<f64> {
        let w = Array1::from(weights.to_vec());
        let w_sum = w.sum();
        let final_max = self.final_max(weights);
        let share: Array1<f64> = if w_sum > 0.0 {
            w.mapv(|x| x / w_sum)
        } else {
            Array1::zeros(w.len())
        };
        match aggregation {
            Aggregation::Additive => {
                // The matrix-vector product D·w column by column: each entity's terms added
                // one by one in dimension order, as a dot product of a strided row adds
                // them, but in contiguous passes over the column-major shares.
                let mut t = Array1::<f64>::zeros(dim_frac.nrows());
                for (column, &s) in dim_frac.columns().into_iter().zip(share.iter()) {
                    ndarray::Zip::from(&mut t)
                        .and(&column)
                        .for_each(|t, &f| *t += f * s);
                }
                t * final_max
            }
            Aggregation::Geometric => {
                let fl = self.geometric_floor;
                dim_frac.map_axis(Axis(1), |row| {
                    final_max
                        * row
                            .iter()
                            .zip(share.iter())
                            .map(|(f, s)| f.max(fl).powf(*s))
                            .product::<f64>()
                })
            }
            Aggregation::Topsis => self.topsis(&w, points, final_max),
        }
    }

    fn topsis(&self, w: &Array1<f64>, points: &[f64], final_max: f64) -> Array1<f64> {
        let (n, nc) = self.fractions.dim();
        let w_sum = w.sum();
        let mut full_max = vec![0.0; w.len()];
        for ci in 0..nc {
            full_max[self.dimension_of[ci]] += points[ci];
        }
        // Criterion weights: points share within the dimension, times W_d / ΣW.
        let cw: Vec<f64> = (0..nc)
            .map(|ci| {
                let d = self.dimension_of[ci];
                if full_max[d] > 0.0 && w_sum > 0.0 {
                    (w[d] / w_sum) * points[ci] / full_max[d]
                } else {
                    0.0
                }
            })
            .collect();
        let mut best = vec![vec![f64::NEG_INFINITY; nc]; self.cohorts];
        let mut worst = vec![vec![f64::INFINITY; nc]; self.cohorts];
        for e in 0..n {
            if !self.ranked[e] {
                continue;
            }
            let co = self.cohort[e] as usize;
            for ci in 0..nc {
                let s = self.fractions[[e, ci]];
                if !s.is_nan() {
                    let v = cw[ci] * s;
                    best[co][ci] = best[co][ci].max(v);
                    worst[co][ci] = worst[co][ci].min(v);
                }
            }
        }
        // Per entity, whether each dimension kept a criterion (`exclude` drops criteria).
        let mut kept = vec![false; w.len()];
        Array1::from_iter((0..n).map(|e| {
            let co = self.cohort[e] as usize;
            kept.fill(false);
            for ci in 0..nc {
                if !self.fractions[[e, ci]].is_nan() {
                    kept[self.dimension_of[ci]] = true;
                }
            }
            if !kept.contains(&true) {
                // Nothing reported: measured on nothing, it scores 0 as under additive rules
                // (the "both distances zero" maximum is for entities equal to every other).
                return 0.0;
            }
            let (mut dp, mut dm) = (0.0, 0.0);
            let mut measured = false;
            for ci in 0..nc {
                let s = self.fractions[[e, ci]];
                if !best[co][ci].is_finite() {
                    continue;
                }
                let v = if !s.is_nan() {
                    cw[ci] * s
                } else if kept[self.dimension_of[ci]] {
                    // A dropped criterion leaves both distances (SPEC §12) ...
                    continue;
                } else {
                    // ... but a dimension with every criterion dropped scores 0 (SPEC §12):
                    // its criteria stand at the anti-ideal, as far from the ideal as the
                    // worst ranked entity and not credited for falling below it.
                    worst[co][ci]
                };
                // An excluded entity is measured against the ranked entities' ideals with
                // its value clamped between them (as minmax and zscore clamp): beyond the
                // anti-ideal it is as far from the ideal as the worst, not credited for the
                // distance below the anti-ideal, so raising its value never lowers its score.
                let v = if self.ranked[e] {
                    v
                } else {
                    v.clamp(worst[co][ci], best[co][ci])
                };
                dp += (best[co][ci] - v).powi(2);
                dm += (v - worst[co][ci]).powi(2);
                measured = true;
            }
            let (dp, dm) = (dp.sqrt(), dm.sqrt());
            if !measured {
                // No ideal to measure against (an excluded entity in a cohort where no
                // ranked entity has a value): nothing earned, as for an entity measured on
                // nothing above.
                0.0
            } else if dp + dm == 0.0 {
                final_max
            } else {
                final_max * dm / (dp + dm)
            }
        }))
    }

    /// Published scores: totals + adjustments, clamped, rounded half away from zero.
    pub fn final_scores(&self, totals: &Array1<f64>) -> Vec<f64> {
        self.final_scores_with(totals, &self.adjustment)
    }

    /// [`Evidence::final_scores`] with other adjustment points per entity.
    /// One published score: total plus adjustments, clamped, rounded. With adjustments the
    /// rounding allows for the noise of the sum's largest part, not of the smaller score a
    /// penalty leaves (`num::round_half_away_sum`).
    fn final_score(&self, total: f64, adjustment: f64) -> f64 {
        let mut s = total + adjustment;
        if let Some((lo, hi)) = self.clamp {
            s = s.clamp(lo, hi);
        }
        if adjustment == 0.0 {
            round_half_away(s, self.decimals)
        } else {
            let largest = total.abs().max(adjustment.abs());
            crate::num::round_half_away_sum(s, self.decimals, largest)
        }
    }

    fn final_scores_with(&self, totals: &Array1<f64>, adjustment: &[f64]) -> Vec<f64> {
        use rayon::prelude::*;
        let one = |(t, a): (&f64, &f64)| self.final_score(*t, *a);
        match totals.as_slice() {
            // A batch run's million scores on all cores; re-scores of analyses stay serial.
            Some(t) if t.len() >= 1 << 16 => t
                .par_iter()
                .zip(adjustment)
                .with_min_len(1 << 13)
                .map(one)
                .collect(),
            _ => totals.iter().zip(adjustment).map(one).collect(),
        }
    }

    /// Ranked entities in rank order (cohort by cohort) and each entity's rank in its cohort.
    ///
    /// One sort on packed integer keys — (cohort, score) and, with up to two tie-break
    /// indicators, their keys too — then only the runs of equal keys by what remains (ids,
    /// or the further tie-breaks): ranking 10⁶ entities takes tens of milliseconds.
    pub fn rank(&self, scores: &[f64]) -> (Vec<usize>, Vec<Option<usize>>) {
        let (order, rank, _) = self.ranked_order(scores);
        (order, rank)
    }

    /// [`Evidence::rank`] and [`Evidence::tie_broken`] together: when the scores fell into
    /// buckets of equal (cohort, score), an entity's tie flag is whether its bucket holds
    /// another entity, read in parallel from the buckets instead of comparing neighbours.
    pub fn rank_and_ties(&self, scores: &[f64]) -> (Vec<usize>, Vec<Option<usize>>, Vec<bool>) {
        use rayon::prelude::*;
        let (order, rank, buckets) = self.ranked_order(scores);
        let ties = match buckets {
            Some(b) => b
                .of_entity
                .par_iter()
                .with_min_len(1 << 13)
                .map(|&j| j != ScoreBuckets::UNRANKED && b.sizes[j as usize] > 1)
                .collect(),
            None => self.tie_broken(scores, &order),
        };
        (order, rank, ties)
    }

    fn ranked_order(
        &self,
        scores: &[f64],
    ) -> (Vec<usize>, Vec<Option<usize>>, Option<ScoreBuckets>) {
        let (order, buckets) = if self.tie_values.len() <= 2 {
            match self.order_in_score_buckets(scores, 1 << 16) {
                Some((order, buckets)) => (order, Some(buckets)),
                None => (self.order_by_one_sort(scores), None),
            }
        } else {
            (self.order_by_tie_groups(scores), None)
        };
        // Written at scattered entities: its pages are faulted in on all cores first.
        let mut rank = crate::column::filled_on_all_cores(self.len(), None);
        let mut count = vec![0usize; self.cohorts];
        for &e in &order {
            count[self.cohort[e] as usize] += 1;
            rank[e] = Some(count[self.cohort[e] as usize]);
        }
        (order, rank, buckets)
    }

    /// Rank order with at most two tie-break indicators when the scores take few distinct
    /// values (rounded to two decimals, ~10⁴ among 10⁶ entities): the entities are placed
    /// into one bucket per (cohort, score) in key order (a counting sort), and only each
    /// bucket is sorted on (tie keys, entity), then its runs of equal keys by id. The same
    /// order as one sort of the whole key ([`Evidence::order_by_one_sort`]), in O(n) plus
    /// small sorts; `None` when there are more than one distinct (cohort, score) per eight
    /// entities.
    ///
    /// Every step runs on all cores: the pairs are counted per `chunk` of entities and the
    /// counts merged; each core then places the entities of a contiguous range of buckets
    /// (scanning every entity's bucket, writing only its own range: disjoint slices, no
    /// shared writes); the buckets are sorted independently.
    fn order_in_score_buckets(
        &self,
        scores: &[f64],
        chunk: usize,
    ) -> Option<(Vec<usize>, ScoreBuckets)> {
        use super::methods::KeyCounts;
        use rayon::prelude::*;
        let n = self.len();
        let limit = n / 8;
        let chunk = chunk.max(1);
        let counted: Option<Vec<KeyCounts>> = (0..n.div_ceil(chunk))
            .into_par_iter()
            .map(|k| {
                let mut table = KeyCounts::with_capacity(1024);
                let span = k * chunk..((k + 1) * chunk).min(n);
                let entities = scores[span.clone()]
                    .iter()
                    .zip(&self.ranked[span.clone()])
                    .zip(&self.cohort[span]);
                for ((&score, &ranked), &cohort) in entities {
                    if ranked && !table.count(descending_key(score), cohort, 1, limit) {
                        return None;
                    }
                }
                Some(table)
            })
            .collect();
        let mut counted = counted?;
        let mut table = counted
            .pop()
            .unwrap_or_else(|| KeyCounts::with_capacity(1024));
        for other in &counted {
            for (c, k, count) in other.entries() {
                if !table.count(k, c, count, limit) {
                    return None;
                }
            }
        }
        drop(counted);
        let mut keys: Vec<(u32, u64, u32)> = table.entries().collect();
        keys.sort_unstable();
        let mut starts = Vec::with_capacity(keys.len() + 1);
        let mut sizes = Vec::with_capacity(keys.len());
        let mut total = 0;
        for (j, &(c, k, count)) in keys.iter().enumerate() {
            starts.push(total);
            sizes.push(count);
            total += count as usize;
            table.set_index(k, c, j as u32);
        }
        starts.push(total);
        let of_entity: Vec<u32> = (0..n)
            .into_par_iter()
            .with_min_len(1 << 13)
            .map(|e| {
                if self.ranked[e] {
                    table
                        .index_of(descending_key(scores[e]), self.cohort[e])
                        .expect("ranked scores are counted")
                } else {
                    ScoreBuckets::UNRANKED
                }
            })
            .collect();

        // Contiguous ranges of buckets holding about equal shares of the entities, one per
        // core; each gets its slice of the placed keys.
        let parts = rayon::current_num_threads().clamp(1, 64);
        let mut bounds = vec![0usize];
        for p in 1..parts {
            let goal = total * p / parts;
            let b = starts.partition_point(|&s| s < goal).min(keys.len());
            if b > *bounds.last().expect("starts at 0") {
                bounds.push(b);
            }
        }
        bounds.push(keys.len());
        let mut keyed = crate::column::filled_on_all_cores(total, (0u64, 0u64, 0u32));
        let mut slices = Vec::with_capacity(bounds.len());
        let mut rest = keyed.as_mut_slice();
        for w in bounds.windows(2) {
            let (piece, tail) = rest.split_at_mut(starts[w[1]] - starts[w[0]]);
            slices.push((w[0], w[1], piece));
            rest = tail;
        }
        slices.into_par_iter().for_each(|(lo, hi, piece)| {
            let base = starts[lo];
            let mut next: Vec<usize> = starts[lo..hi].iter().map(|s| s - base).collect();
            let (lo, hi) = (lo as u32, hi as u32);
            for (e, &j) in of_entity.iter().enumerate() {
                if j >= lo && j < hi {
                    let at = &mut next[(j - lo) as usize];
                    piece[*at] = (self.tie_key_of(0, e), self.tie_key_of(1, e), e as u32);
                    *at += 1;
                }
            }
        });

        // Each bucket sorted on its own, its runs of equal tie keys by id, on all cores.
        let mut order = crate::column::filled_on_all_cores(total, 0usize);
        let mut pieces = Vec::with_capacity(keys.len());
        let (mut keyed_rest, mut order_rest) = (keyed.as_mut_slice(), order.as_mut_slice());
        for &size in &sizes {
            let (k, kt) = keyed_rest.split_at_mut(size as usize);
            let (o, ot) = order_rest.split_at_mut(size as usize);
            pieces.push((k, o));
            (keyed_rest, order_rest) = (kt, ot);
        }
        pieces.into_par_iter().for_each(|(keyed, order)| {
            keyed.sort_unstable();
            for (o, k) in order.iter_mut().zip(keyed.iter()) {
                *o = k.2 as usize;
            }
            for run in equal_runs(keyed, |a, b| (a.0, a.1) == (b.0, b.1)) {
                order[run].sort_by(|&a, &b| self.ids.get(a).cmp(&self.ids.get(b)));
            }
        });
        Some((order, ScoreBuckets { of_entity, sizes }))
    }

    /// Entity `e`'s sort key for tie-break indicator `k` (0 when there is no such indicator).
    fn tie_key_of(&self, k: usize, e: usize) -> u64 {
        self.tie_values
            .get(k)
            .map_or(0, |col| tie_key(col[e], self.tie_directions[k]))
    }

    /// [`Evidence::order_with_tie_keys`] by one parallel sort of the whole packed key.
    fn order_by_one_sort(&self, scores: &[f64]) -> Vec<usize> {
        // Faulted in on all cores, then filled in entity order.
        let count = self.ranked.iter().filter(|&&r| r).count();
        let mut keyed = crate::column::filled_on_all_cores(count, (0u32, 0u64, 0u64, 0u64, 0u32));
        let ranked = (0..self.len()).filter(|&e| self.ranked[e]);
        for (k, e) in keyed.iter_mut().zip(ranked) {
            *k = (
                self.cohort[e],
                descending_key(scores[e]),
                self.tie_key_of(0, e),
                self.tie_key_of(1, e),
                e as u32,
            );
        }
        {
            use rayon::slice::ParallelSliceMut;
            keyed.par_sort_unstable();
        }
        let mut order: Vec<usize> = keyed.iter().map(|k| k.4 as usize).collect();
        for run in equal_runs(&keyed, |a, b| (a.0, a.1, a.2, a.3) == (b.0, b.1, b.2, b.3)) {
            order[run].sort_by(|&a, &b| self.ids.get(a).cmp(&self.ids.get(b)));
        }
        order
    }

    /// Rank order with more tie-break indicators: sorted on (cohort, score), then each run
    /// of equal scores by [`Evidence::sort_tie_group`].
    fn order_by_tie_groups(&self, scores: &[f64]) -> Vec<usize> {
        let mut keyed: Vec<(u32, u64, u32)> = (0..self.len())
            .filter(|&e| self.ranked[e])
            .map(|e| (self.cohort[e], descending_key(scores[e]), e as u32))
            .collect();
        {
            use rayon::slice::ParallelSliceMut;
            keyed.par_sort_unstable();
        }
        let mut order: Vec<usize> = keyed.iter().map(|k| k.2 as usize).collect();
        for run in equal_runs(&keyed, |a, b| (a.0, a.1) == (b.0, b.1)) {
            self.sort_tie_group(&mut order[run]);
        }
        order
    }

    /// Sorts entities with the same score by [`Evidence::tie_order`]. The tie-break values
    /// are gathered once into local integer keys (one scattered read per entity and
    /// indicator instead of one per comparison); ids are compared only within runs of equal
    /// keys.
    fn sort_tie_group(&self, group: &mut [usize]) {
        let m = self.tie_values.len();
        let keys: Vec<u64> = group
            .iter()
            .flat_map(|&e| {
                self.tie_values
                    .iter()
                    .zip(&self.tie_directions)
                    .map(move |(col, dir)| tie_key(col[e], *dir))
            })
            .collect();
        let mut idx: Vec<u32> = (0..group.len() as u32).collect();
        let key = |i: u32| &keys[i as usize * m..(i as usize + 1) * m];
        idx.sort_unstable_by(|&a, &b| key(a).cmp(key(b)).then(a.cmp(&b)));
        let sorted: Vec<usize> = idx.iter().map(|&i| group[i as usize]).collect();
        group.copy_from_slice(&sorted);
        for run in equal_runs(&idx, |&a, &b| key(a) == key(b)) {
            group[run].sort_by(|&a, &b| self.ids.get(a).cmp(&self.ids.get(b)));
        }
    }

    /// Order of two entities with the same score: tie-break indicators, then id ascending.
    /// (The ranking sorts on gathered keys instead; this is the reference they are tested
    /// against, and what `explain` asks of one pair.)
    pub fn tie_order(&self, a: usize, b: usize) -> Ordering {
        Ordering::Equal
            .then_with(|| {
                for (col, dir) in self.tie_values.iter().zip(&self.tie_directions) {
                    let (x, y) = (col[a], col[b]);
                    let o = match (x.is_nan(), y.is_nan()) {
                        (true, true) => Ordering::Equal,
                        (true, false) => Ordering::Greater,
                        (false, true) => Ordering::Less,
                        // (+ 0.0: −0 and 0 are the same value.)
                        _ => match dir {
                            Direction::Higher => (y + 0.0).total_cmp(&(x + 0.0)),
                            Direction::Lower => (x + 0.0).total_cmp(&(y + 0.0)),
                        },
                    };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            })
            .then_with(|| self.ids.get(a).cmp(&self.ids.get(b)))
    }

    /// Whether each ranked entity shares its rounded score with another in its cohort.
    /// `order` comes from [`Evidence::rank`], so equal scores of a cohort are adjacent.
    pub fn tie_broken(&self, scores: &[f64], order: &[usize]) -> Vec<bool> {
        use rayon::prelude::*;
        // (cohort, score) in rank order, gathered on all cores; then neighbours compare.
        let keys: Vec<(u32, u64)> = order
            .par_iter()
            .with_min_len(1 << 12)
            .map(|&e| (self.cohort[e], scores[e].to_bits()))
            .collect();
        let mut out = crate::column::filled_on_all_cores(self.len(), false);
        for (k, w) in keys.windows(2).enumerate() {
            if w[0] == w[1] {
                out[order[k]] = true;
                out[order[k + 1]] = true;
            }
        }
        out
    }

    /// Walks entities in rank order; each takes the highest tier it qualifies for.
    pub fn assign_tiers(
        &self,
        scores: &[f64],
        order: &[usize],
    ) -> (Vec<Option<usize>>, Vec<QuotaTie>) {
        self.assign_tiers_under(scores, order, &self.tiers, &self.cap)
    }

    /// [`Evidence::assign_tiers`] under other tier outcomes (`requires`, `direct`) and caps:
    /// those of conditions evaluated again on other scores.
    fn assign_tiers_under(
        &self,
        scores: &[f64],
        order: &[usize],
        tiers: &[TierRule],
        cap: &[Option<usize>],
    ) -> (Vec<Option<usize>>, Vec<QuotaTie>) {
        use rayon::prelude::*;
        let n = self.len();
        let nt = tiers.len();
        let cap_of = |e: usize| cap.get(e).copied().flatten();
        // With up to 32 tiers, the facts the walk needs are computed in entity order on all
        // cores (contiguous reads) as one mask of the tiers each entity may enter beside its
        // cohort, then gathered in rank order (one scattered read per entity); the quotas
        // then need one sequential pass over contiguous data.
        let eligible_in = |e: usize, t: usize, rule: &TierRule| -> bool {
            if cap_of(e).is_some_and(|c| t < c) || rule.requires[e] != Some(true) {
                return false;
            }
            let min = rule.min_score.get(e);
            min.is_nan() || crate::num::ge(scores[e], min) || rule.direct[e]
        };
        let facts: Vec<(u32, u32, f64)> = if nt <= 32 {
            // One tight pass per tier over blocks of entities (the tier's rule hoisted).
            let mut by_entity = crate::column::filled_on_all_cores(n, (0u32, 0u32, 0.0f64));
            const BLOCK: usize = 1 << 12;
            by_entity
                .par_chunks_mut(BLOCK)
                .enumerate()
                .for_each(|(k, block)| {
                    let span = k * BLOCK..k * BLOCK + block.len();
                    for ((f, &co), &score) in block
                        .iter_mut()
                        .zip(&self.cohort[span.clone()])
                        .zip(&scores[span.clone()])
                    {
                        *f = (0, co, score);
                    }
                    for (t, rule) in tiers.iter().enumerate() {
                        let requires = &rule.requires[span.clone()];
                        let direct = &rule.direct[span.clone()];
                        let scalar_min = match &rule.min_score {
                            ParamValues::Scalar(m) => Some(*m),
                            ParamValues::PerEntity(_) => None,
                        };
                        for (i, f) in block.iter_mut().enumerate() {
                            let e = span.start + i;
                            let min = scalar_min.unwrap_or_else(|| rule.min_score.get(e));
                            let ok = requires[i] == Some(true)
                                && cap_of(e).is_none_or(|c| t >= c)
                                && (min.is_nan() || crate::num::ge(f.2, min) || direct[i]);
                            f.0 |= u32::from(ok) << t;
                        }
                    }
                });
            crate::column::gathered(&by_entity, order)
        } else {
            Vec::new()
        };
        let mut ranked_in = vec![0usize; self.cohorts];
        if nt <= 32 {
            for &(_, co, _) in &facts {
                ranked_in[co as usize] += 1;
            }
        } else {
            for &e in order {
                ranked_in[self.cohort[e] as usize] += 1;
            }
        }
        // Written at scattered entities: its pages are faulted in on all cores first.
        let mut tier = crate::column::filled_on_all_cores(n, None);
        let mut placed = vec![vec![0usize; nt]; self.cohorts];
        let mut last = vec![vec![None::<usize>; nt]; self.cohorts];
        let mut ties = Vec::new();
        let quotas: Vec<Vec<usize>> = ranked_in
            .iter()
            .map(|&m| {
                self.tiers
                    .iter()
                    .map(|rule| quota_of(rule.max_count, rule.top_percent, m))
                    .collect()
            })
            .collect();
        // Entity `e` (cohort `co`) into tier `t` unless its quota is full; a refusal at the
        // score of the last one placed is a tie the quota cut.
        let mut last_score = vec![vec![f64::NAN; nt]; self.cohorts];
        let mut place = |e: usize, co: usize, t: usize, score: f64| -> bool {
            let quota = quotas[co][t];
            if placed[co][t] >= quota {
                if let Some(l) = last[co][t]
                    && last_score[co][t] == score
                {
                    ties.push(QuotaTie {
                        tier: t,
                        quota,
                        placed: l,
                        refused: e,
                    });
                }
                return false;
            }
            placed[co][t] += 1;
            last[co][t] = Some(e);
            last_score[co][t] = score;
            tier[e] = Some(t);
            true
        };
        if nt <= 32 {
            for (&e, &(mask, co, score)) in order.iter().zip(&facts) {
                let mut m = mask;
                while m != 0 {
                    let t = m.trailing_zeros() as usize;
                    m &= m - 1;
                    if place(e, co as usize, t, score) {
                        break;
                    }
                }
            }
            return (tier, ties);
        }
        for &e in order {
            let co = self.cohort[e] as usize;
            for (t, rule) in tiers.iter().enumerate() {
                if eligible_in(e, t, rule) && place(e, co, t, scores[e]) {
                    break;
                }
            }
        }
        (tier, ties)
    }

    /// Scores, ranks and tiers for other weights/points/method: one whole re-score. When the
    /// run kept its post-scoring conditions (some adjustment, capping gate or tier condition
    /// reads scores), they are evaluated again on the new published values, as the engine
    /// evaluates them after scoring.
    pub fn rescore(&self, weights: &[f64], points: &[f64], aggregation: Aggregation) -> Rescored {
        self.rescore_moved(None, weights, points, aggregation)
    }

    /// [`Evidence::rescore`] when only criterion `c`'s fractions differ from those the
    /// dimension fractions `base` were computed from (with the same `points`): only that
    /// criterion's dimension is summed again, every other column is `base`'s (the same
    /// numbers, bit for bit). What `explain` does for each value it tries.
    pub(crate) fn rescore_moved(
        &self,
        moved: Option<(&Array2<f64>, usize)>,
        weights: &[f64],
        points: &[f64],
        aggregation: Aggregation,
    ) -> Rescored {
        let dims = || match moved {
            Some((base, c)) => {
                debug_assert_eq!(base.dim(), (self.len(), self.weights.len()));
                let mut dim = base.clone();
                let d = self.dimension_of[c];
                dim.column_mut(d).fill(0.0);
                self.dimension_column(d, points, dim.column_mut(d));
                dim
            }
            None => self.dimension_fractions(points),
        };
        if let Some(post) = self.post.as_deref() {
            let dim = dims();
            let totals = self.totals_of(&dim, weights, points, aggregation);
            let (adjustment, cap, tiers) =
                self.post_conditions(post, &dim, &totals, weights, points);
            let scores = self.final_scores_with(&totals, &adjustment);
            let (order, rank) = self.rank(&scores);
            let (tier, _) = self.assign_tiers_under(&scores, &order, &tiers, &cap);
            return Rescored { scores, rank, tier };
        }
        let totals = match aggregation {
            // TOPSIS reads the criteria, not the dimension fractions.
            Aggregation::Topsis => self.totals(weights, points, aggregation),
            _ => self.totals_of(&dims(), weights, points, aggregation),
        };
        let scores = self.final_scores(&totals);
        let (order, rank) = self.rank(&scores);
        let (tier, _) = self.assign_tiers(&scores, &order);
        Rescored { scores, rank, tier }
    }

    /// The post-scoring frame with the published values `weights`, `points` and `totals`
    /// give: criterion points and dimension scores, then each entity's adjustments and
    /// final score (adjustments may read the former, never `score`).
    fn scored_frame(
        &self,
        post: &PostScoring,
        dim: &Array2<f64>,
        totals: &Array1<f64>,
        weights: &[f64],
        points: &[f64],
    ) -> (PostFrame, Vec<f64>) {
        let n = self.len();
        let dec = self.decimals;
        let mut frame = post.frame.clone();
        for (c, &slot) in post.criterion_slots.iter().enumerate() {
            for e in 0..n {
                let f = self.fractions[[e, c]];
                let v = if f.is_nan() {
                    f64::NAN
                } else {
                    round_half_away(f * points[c], dec)
                };
                frame.set_number(slot, post.row_of[e], v);
            }
        }
        let w_sum: f64 = weights.iter().sum();
        let final_max = self.final_max(weights);
        for (d, &slot) in post.dimension_slots.iter().enumerate() {
            let share = if w_sum > 0.0 { weights[d] / w_sum } else { 0.0 };
            for e in 0..n {
                let v = round_half_away(final_max * share * dim[[e, d]], dec);
                frame.set_number(slot, post.row_of[e], v);
            }
        }
        let mut adjustment = vec![0.0; n];
        for (p, pts) in &post.adjustments {
            for (a, holds) in adjustment
                .iter_mut()
                .zip(post.at_entities(p.eval_condition(&frame)))
            {
                if holds == Some(true) {
                    *a += pts;
                }
            }
        }
        for (e, a) in adjustment.iter().enumerate() {
            frame.set_number(
                post.score_slot,
                post.row_of[e],
                self.final_score(totals[e], *a),
            );
        }
        (frame, adjustment)
    }

    /// The post-scoring frame at the run's own weights and points (the HTML page keeps the
    /// outcome of a condition it cannot evaluate again): `None` when the run kept no
    /// post-scoring conditions.
    pub(crate) fn frame_at_run(&self) -> Option<PostFrame> {
        let post = self.post.as_deref()?;
        let dim = self.dimension_fractions(&self.points);
        let totals = self.totals_of(&dim, &self.weights, &self.points, self.aggregation);
        Some(
            self.scored_frame(post, &dim, &totals, &self.weights, &self.points)
                .0,
        )
    }

    /// The post-scoring conditions evaluated for every entity on the published values that
    /// `weights`, `points` and `totals` give (columns at a time): each entity's adjustment
    /// points, cap, and the tier rules with their `requires` and `direct` outcomes.
    fn post_conditions(
        &self,
        post: &PostScoring,
        dim: &Array2<f64>,
        totals: &Array1<f64>,
        weights: &[f64],
        points: &[f64],
    ) -> (Vec<f64>, Vec<Option<usize>>, Vec<TierRule>) {
        let n = self.len();
        let (frame, adjustment) = self.scored_frame(post, dim, totals, weights, points);
        let mut cap: Vec<Option<usize>> = vec![None; if self.cap.is_empty() { 0 } else { n }];
        for (p, tier) in &post.caps {
            for (c, holds) in cap
                .iter_mut()
                .zip(post.at_entities(p.eval_condition(&frame)))
            {
                if holds != Some(true) && c.is_none_or(|t| *tier > t) {
                    *c = Some(*tier);
                }
            }
        }
        let tiers = self
            .tiers
            .iter()
            .enumerate()
            .map(|(t, rule)| {
                let mut requires = vec![Some(true); n];
                for p in &post.requires[t] {
                    for (r, v) in requires
                        .iter_mut()
                        .zip(post.at_entities(p.eval_condition(&frame)))
                    {
                        *r = match (*r, v) {
                            (Some(false), _) | (_, Some(false)) => Some(false),
                            (None, _) | (_, None) => None,
                            _ => Some(true),
                        };
                    }
                }
                let mut direct = vec![false; n];
                for p in &post.direct[t] {
                    for (d, v) in direct
                        .iter_mut()
                        .zip(post.at_entities(p.eval_condition(&frame)))
                    {
                        *d |= v == Some(true);
                    }
                }
                // Only what placing needs: the per-entity traces `explain` reads stay with the
                // base run (and are not copied once per replication).
                TierRule {
                    id: rule.id.clone(),
                    max_count: rule.max_count,
                    top_percent: rule.top_percent,
                    min_score: rule.min_score.clone(),
                    requires,
                    direct,
                    direct_unknown: Vec::new(),
                    requires_unmet: Vec::new(),
                }
            })
            .collect();
        (adjustment, cap, tiers)
    }

    /// Rows in a new order (`order[k]` = old row of new row k); the fractions stay
    /// column-major, as every re-score reads them criterion by criterion.
    pub fn reorder(&self, order: &[usize]) -> Evidence {
        let pick = |v: &Vec<f64>| order.iter().map(|&i| v[i]).collect::<Vec<f64>>();
        Evidence {
            fractions: rows_column_major(&self.fractions, order),
            adjustment: pick(&self.adjustment),
            ranked: order.iter().map(|&i| self.ranked[i]).collect(),
            cohort: order.iter().map(|&i| self.cohort[i]).collect(),
            cohort_names: self.cohort_names.clone(),
            ids: self.ids.take(order),
            tie_values: self.tie_values.iter().map(pick).collect(),
            tiers: self
                .tiers
                .iter()
                .map(|t| TierRule {
                    id: t.id.clone(),
                    max_count: t.max_count,
                    top_percent: t.top_percent,
                    min_score: match &t.min_score {
                        super::methods::ParamValues::PerEntity(v) => {
                            super::methods::ParamValues::PerEntity(pick(v))
                        }
                        scalar => scalar.clone(),
                    },
                    requires: order.iter().map(|&i| t.requires[i]).collect(),
                    direct: order.iter().map(|&i| t.direct[i]).collect(),
                    direct_unknown: if t.direct_unknown.is_empty() {
                        Vec::new()
                    } else {
                        order.iter().map(|&i| t.direct_unknown[i]).collect()
                    },
                    requires_unmet: if t.requires_unmet.is_empty() {
                        Vec::new()
                    } else {
                        order.iter().map(|&i| t.requires_unmet[i]).collect()
                    },
                })
                .collect(),
            cap: if self.cap.is_empty() {
                Vec::new()
            } else {
                order.iter().map(|&i| self.cap[i]).collect()
            },
            params: self
                .params
                .iter()
                .map(|ps| {
                    ps.iter()
                        .map(|p| match p {
                            ParamValues::Scalar(v) => ParamValues::Scalar(*v),
                            ParamValues::PerEntity(v) => ParamValues::PerEntity(pick(v)),
                        })
                        .collect()
                })
                .collect(),
            post: self.post.as_ref().map(|p| {
                std::sync::Arc::new(PostScoring {
                    row_of: order.iter().map(|&i| p.row_of[i]).collect(),
                    ..PostScoring::clone(p)
                })
            }),
            ..self.clone()
        }
    }
}

/// Which (cohort, score) bucket each entity fell in during the ranking and how many
/// entities each bucket holds: equal (cohort, score) is what a tie on the rounded score is.
struct ScoreBuckets {
    of_entity: Vec<u32>,
    sizes: Vec<u32>,
}

impl ScoreBuckets {
    /// The bucket of an entity that is not ranked.
    const UNRANKED: u32 = u32::MAX;
}

/// The outcome of a re-score, per entity (assessment order).
#[derive(Debug, Clone, PartialEq)]
pub struct Rescored {
    /// Published final scores: after adjustments and `clamp`, rounded to `decimals`.
    pub scores: Vec<f64>,
    /// Ranks, 1-based within the cohort; `None` for entities not ranked.
    pub rank: Vec<Option<usize>>,
    /// Tier reached, as an index into [`Evidence::tiers`]; `None` when untiered or excluded.
    pub tier: Vec<Option<usize>>,
}

/// The runs of two or more adjacent items that `same` holds for, as index ranges.
fn equal_runs<'a, T>(
    items: &'a [T],
    same: impl Fn(&T, &T) -> bool + 'a,
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < items.len() {
            let mut end = start + 1;
            while end < items.len() && same(&items[end], &items[start]) {
                end += 1;
            }
            let run = start..end;
            start = end;
            if run.len() > 1 {
                return Some(run);
            }
        }
        None
    })
}

/// A key that sorts a tie-break value as [`Evidence::tie_order`] does: missing last, then
/// by `total_cmp` in the indicator's direction.
fn tie_key(x: f64, dir: Direction) -> u64 {
    if x.is_nan() {
        return u64::MAX;
    }
    // −0 is 0: an equal tie-break value falls through to the id.
    let ascending = crate::num::ascending_key(x + 0.0);
    // A number's ascending key is at most that of +inf (0xFFF0…), so neither branch
    // reaches u64::MAX.
    match dir {
        Direction::Higher => !ascending,
        Direction::Lower => ascending,
    }
}

/// A key that sorts scores from high to low as unsigned integers, exactly as
/// `total_cmp` reversed.
fn descending_key(score: f64) -> u64 {
    // The order of `f64::total_cmp`, reversed.
    !crate::num::ascending_key(score)
}

/// The quota of a tier among `n` ranked entities: the smaller of `max_count` and
/// `max(1, floor(top_percent × n / 100))`, computed exactly (29 % of 100 is 29).
pub fn quota_of(max_count: Option<u64>, top_percent: Option<f64>, n: usize) -> usize {
    let by_percent = top_percent.map(|p| {
        // Exact on the decimal the percentage was written as: its shortest form is
        // digits × 10^-e, and floor(digits × n / (100 × 10^e)) is whole-number arithmetic.
        let (digits, e) = decimal_parts(p);
        let quota = digits
            .checked_mul(n as u128)
            .zip(10u128.checked_pow(e + 2))
            .map_or_else(|| (p * n as f64 / 100.0).floor() as u128, |(a, b)| a / b);
        (quota.min(usize::MAX as u128) as usize).max(1)
    });
    match (max_count, by_percent) {
        (Some(m), Some(p)) => (m as usize).min(p),
        (Some(m), None) => m as usize,
        (None, Some(p)) => p,
        (None, None) => usize::MAX,
    }
}

/// A positive finite number's shortest decimal form as (digits, e): `x = digits × 10^-e`
/// (28.9999999 → (289999999, 7); 1.5e3 → (1500, 0)).
fn decimal_parts(x: f64) -> (u128, u32) {
    let text = format!("{x:e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: u128 = format!("{int}{frac}").parse().unwrap_or(0);
    // mantissa = digits × 10^-len(frac); x = mantissa × 10^exp.
    let e = frac.len() as i32 - exp;
    if e >= 0 {
        (digits, e as u32)
    } else {
        (digits * 10u128.pow((-e) as u32), 0)
    }
}

/// Turns a dimension's Σ p·s into its fraction: over each entity's kept points where some
/// criterion of the dimension dropped an entity (`kept`), else over the dimension's points
/// `full`; 0 where there is nothing to divide by. Shared with the engine's folded criteria,
/// which must give the same bits.
pub(crate) fn dimension_share(
    mut sum: ndarray::ArrayViewMut1<'_, f64>,
    kept: Option<ndarray::ArrayView1<'_, f64>>,
    full: f64,
) {
    match kept {
        Some(kept) => ndarray::Zip::from(&mut sum)
            .and(&kept)
            .for_each(|acc, &mx| *acc = if mx > 0.0 { *acc / mx } else { 0.0 }),
        None if full > 0.0 => sum.mapv_inplace(|acc| acc / full),
        None => sum.fill(0.0),
    }
}

/// Rows `order` of `m` (`order[k]` = row of new row k), column-major: `select` gives a
/// row-major copy, whose columns a re-score would then read one cache line per value.
fn rows_column_major(m: &Array2<f64>, order: &[usize]) -> Array2<f64> {
    let mut v = Vec::with_capacity(order.len() * m.ncols());
    for column in m.columns() {
        v.extend(order.iter().map(|&i| column[i]));
    }
    Array2::from_shape_vec((order.len(), m.ncols()).f(), v).expect("the shape holds every value")
}

#[cfg(test)]
impl Evidence {
    /// Evidence of an additive run over `n` entities (ids E0, E1, …, one cohort, all ranked)
    /// with no criteria, tiers or tie-breaks: tests set the fields they exercise.
    pub(crate) fn for_entities(n: usize) -> Evidence {
        Evidence {
            fractions: Array2::zeros((n, 0)),
            points: Vec::new(),
            dimension_of: Vec::new(),
            weights: Vec::new(),
            scale: None,
            aggregation: Aggregation::Additive,
            geometric_floor: 0.0,
            clamp: None,
            decimals: 2,
            adjustment: vec![0.0; n],
            ranked: vec![true; n],
            cohort: vec![0; n],
            cohorts: 1,
            cohort_names: Vec::new(),
            ids: crate::column::TextColumn::from_values((0..n).map(|e| Some(format!("E{e}")))),
            tie_values: Vec::new(),
            tie_directions: Vec::new(),
            tiers: Vec::new(),
            cap: Vec::new(),
            params: Vec::new(),
            post: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Re-scoring after one criterion's fractions moved, from the other dimensions' base
    /// fractions, gives the scores and ranks of a whole re-score bit for bit: for a
    /// criterion of a plain dimension, and for one of a dimension with a dropped criterion
    /// (a per-entity maximum) whose value becomes dropped or comes back. Hand-computed for
    /// entity 1: criteria (2, 3, 4, 5 points) at 0.5, 0.2, 0.9, 1 → dimension 0 (criteria
    /// 0 and 2) 0.5·2 + 0.9·4 = 4.6 of 6, dimension 1 (1 and 3) 0.2·3 + 1·5 = 5.6 of 8;
    /// total 100 × (0.6 · 4.6/6 + 0.4 · 5.6/8) = 74.
    #[test]
    fn a_re_score_after_one_criterion_moved_equals_a_whole_re_score() {
        let mut ev = Evidence::for_entities(5);
        #[rustfmt::skip]
        let by_criterion = [
            0.1, 0.5, 0.33, 1.0, 0.0,
            0.7, 0.2, 0.6, 0.15, 0.0,
            0.3, 0.9, 0.45, 0.0, 1.0,
            0.25, 1.0, f64::NAN, 0.8, 0.5,
        ];
        ev.fractions = Array2::from_shape_vec((5, 4).f(), by_criterion.to_vec()).unwrap();
        ev.points = vec![2.0, 3.0, 4.0, 5.0];
        ev.dimension_of = vec![0, 1, 0, 1];
        ev.weights = vec![60.0, 40.0];
        ev.scale = Some(100.0);
        let (w, p) = (ev.weights.clone(), ev.points.clone());
        let whole = ev.rescore(&w, &p, Aggregation::Additive);
        approx::assert_relative_eq!(whole.scores[1], 74.0, epsilon = 1e-9);
        let base = ev.dimension_fractions(&p);
        for (c, row, f) in [
            (2, 1, 0.123456789),
            (1, 4, 0.7),
            (3, 2, 0.4),
            (3, 0, f64::NAN),
        ] {
            let mut moved = ev.clone();
            moved.fractions[[row, c]] = f;
            let whole = moved.rescore(&w, &p, Aggregation::Additive);
            let part = moved.rescore_moved(Some((&base, c)), &w, &p, Aggregation::Additive);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&part.scores), bits(&whole.scores), "criterion {c}");
            assert_eq!(part.rank, whole.rank, "criterion {c}");
        }
    }

    /// Reordered rows keep the fraction matrix column-major (each criterion's fractions
    /// contiguous, as the re-scores of `explain` and `sensitivity` read them), with the
    /// values `select` picks.
    #[test]
    fn reordered_fractions_are_the_rows_picked_and_stay_column_major() {
        let mut ev = Evidence::for_entities(4);
        ev.fractions =
            Array2::from_shape_vec((4, 3).f(), (0..12).map(f64::from).collect()).unwrap();
        let order = [2, 0, 3, 1];
        let moved = ev.reorder(&order);
        assert_eq!(moved.fractions, ev.fractions.select(Axis(0), &order));
        assert!(moved.fractions.t().is_standard_layout(), "column-major");
        assert_eq!(
            moved.fractions.column(1).as_slice(),
            Some(&[6.0, 4.0, 7.0, 5.0][..])
        );
    }

    fn evidence_with_ties(
        ids: Vec<String>,
        tie_values: Vec<Vec<f64>>,
        dirs: Vec<Direction>,
    ) -> Evidence {
        Evidence {
            ids: crate::column::TextColumn::from_values(ids.iter().cloned().map(Some)),
            tie_values,
            tie_directions: dirs,
            ..Evidence::for_entities(ids.len())
        }
    }

    // Few distinct values (NaN, ±0, ±inf included) so that keys tie often.
    fn tie_value() -> impl Strategy<Value = f64> {
        prop::sample::select(vec![
            f64::NAN,
            -f64::NAN,
            0.0,
            -0.0,
            1.5,
            -2.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ])
    }

    proptest! {
        /// `rescore_moved` after one criterion's fractions moved (for one entity, or for
        /// many as a relative method moves them, a fraction becoming dropped or coming back)
        /// gives a whole `rescore`'s scores and ranks bit for bit, under additive, geometric
        /// and TOPSIS aggregation.
        #[test]
        fn rescore_after_one_criterion_moved_equals_a_whole_rescore(
            fractions in prop::collection::vec(prop::option::weighted(0.85, 0.0f64..=1.0), 3 * 5..=3 * 5),
            dims in prop::collection::vec(0usize..2, 5..=5),
            points in prop::collection::vec(0.5f64..20.0, 5..=5),
            c in 0usize..5,
            moved in prop::collection::vec((0usize..3, prop::option::weighted(0.8, 0.0f64..=1.0)), 1..4),
            aggregation in 0usize..3,
        ) {
            let mut ev = Evidence::for_entities(3);
            let values: Vec<f64> = fractions.iter().map(|f| f.unwrap_or(f64::NAN)).collect();
            ev.fractions = Array2::from_shape_vec((3, 5).f(), values).unwrap();
            ev.points = points;
            ev.dimension_of = dims;
            ev.weights = vec![55.0, 45.0];
            ev.geometric_floor = 0.01;
            let agg = [Aggregation::Additive, Aggregation::Geometric, Aggregation::Topsis][aggregation];
            let (w, p) = (ev.weights.clone(), ev.points.clone());
            let base = ev.dimension_fractions(&p);
            for (row, f) in moved {
                ev.fractions[[row, c]] = f.unwrap_or(f64::NAN);
            }
            let whole = ev.rescore(&w, &p, agg);
            let part = ev.rescore_moved(Some((&base, c)), &w, &p, agg);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            prop_assert_eq!(bits(&part.scores), bits(&whole.scores));
            prop_assert_eq!(part.rank, whole.rank);
        }
    }

    proptest! {
        /// Sorting a tie group on gathered integer keys orders it exactly as a stable sort
        /// with the comparator `tie_order` (missing last, direction, then id).
        #[test]
        fn keyed_tie_sort_equals_the_comparator(
            rows in prop::collection::vec((tie_value(), tie_value(), 0u8..6), 1..40),
            higher in any::<(bool, bool)>(),
            columns in 0usize..3,
        ) {
            let n = rows.len();
            let ids: Vec<String> = rows.iter().enumerate().map(|(i, r)| format!("E{}{}", r.2, i % 3)).collect();
            let all = [rows.iter().map(|r| r.0).collect::<Vec<_>>(), rows.iter().map(|r| r.1).collect()];
            let dir = |h: bool| if h { Direction::Higher } else { Direction::Lower };
            let dirs = [dir(higher.0), dir(higher.1)];
            let ev = evidence_with_ties(ids, all[..columns.min(2)].to_vec(), dirs[..columns.min(2)].to_vec());
            let mut keyed: Vec<usize> = (0..n).collect();
            ev.sort_tie_group(&mut keyed);
            let mut compared: Vec<usize> = (0..n).collect();
            compared.sort_by(|&a, &b| ev.tie_order(a, b));
            prop_assert_eq!(keyed, compared);
        }

        /// The ranking (one sort on score and up to two tie keys; per-group tie sorts with
        /// three) orders the ranked entities as a stable sort on cohort, score descending,
        /// then `tie_order`.
        #[test]
        fn rank_order_equals_the_comparator(
            rows in prop::collection::vec(
                (tie_value(), tie_value(), 0u8..6, 0u32..2, prop::sample::select(vec![10.0, 9.5, 0.0]), any::<bool>(), tie_value()),
                1..60,
            ),
            higher in any::<(bool, bool, bool)>(),
            columns in 0usize..4,
        ) {
            let n = rows.len();
            let ids: Vec<String> = rows.iter().enumerate().map(|(i, r)| format!("E{}{}", r.2, i % 3)).collect();
            let all = [
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                rows.iter().map(|r| r.1).collect(),
                rows.iter().map(|r| r.6).collect(),
            ];
            let dir = |h: bool| if h { Direction::Higher } else { Direction::Lower };
            let dirs = [dir(higher.0), dir(higher.1), dir(higher.2)];
            let mut ev = evidence_with_ties(ids, all[..columns].to_vec(), dirs[..columns].to_vec());
            ev.cohort = rows.iter().map(|r| r.3).collect();
            ev.cohorts = 2;
            ev.ranked = rows.iter().map(|r| r.5).collect();
            let scores: Vec<f64> = rows.iter().map(|r| r.4).collect();
            let (order, rank) = ev.rank(&scores);
            let mut expected: Vec<usize> = (0..n).filter(|&e| ev.ranked[e]).collect();
            expected.sort_by(|&a, &b| {
                ev.cohort[a]
                    .cmp(&ev.cohort[b])
                    .then(scores[b].total_cmp(&scores[a]))
                    .then_with(|| ev.tie_order(a, b))
            });
            prop_assert_eq!(&order, &expected);
            for (r, &ranked) in rank.iter().zip(&ev.ranked) {
                prop_assert_eq!(r.is_some(), ranked);
            }
        }
    }

    proptest! {
        /// Score buckets order the ranked entities exactly as one sort of the whole key:
        /// cohorts, scores with ±0 and NaN, up to two tie keys, ids that tie too.
        #[test]
        fn score_buckets_order_as_one_sort(
            rows in prop::collection::vec(
                (tie_value(), tie_value(), 0u8..4, 0u32..3, prop::sample::select(vec![10.0, 9.5, 0.0, -0.0, f64::NAN]), prop::bool::weighted(0.9)),
                8..300,
            ),
            higher in any::<(bool, bool)>(),
            columns in 0usize..3,
            chunk in prop::sample::select(vec![1usize, 7, 64, 1 << 16]),
        ) {
            let ids: Vec<String> = rows.iter().enumerate().map(|(i, r)| format!("E{}{}", r.2, i % 2)).collect();
            let all = [rows.iter().map(|r| r.0).collect::<Vec<_>>(), rows.iter().map(|r| r.1).collect()];
            let dir = |h: bool| if h { Direction::Higher } else { Direction::Lower };
            let dirs = [dir(higher.0), dir(higher.1)];
            let mut ev = evidence_with_ties(ids, all[..columns].to_vec(), dirs[..columns].to_vec());
            ev.cohort = rows.iter().map(|r| r.3).collect();
            ev.cohorts = 3;
            ev.ranked = rows.iter().map(|r| r.5).collect();
            let scores: Vec<f64> = rows.iter().map(|r| r.4).collect();
            let sorted = ev.order_by_one_sort(&scores);
            match ev.order_in_score_buckets(&scores, chunk) {
                Some((bucketed, _)) => prop_assert_eq!(bucketed, sorted),
                // At most 3 cohorts × 5 distinct score keys: bucketed from 120 entities on.
                None => prop_assert!(rows.len() < 120),
            }
            // Tie flags read from the buckets equal the neighbour comparison.
            let (order, _, ties) = ev.rank_and_ties(&scores);
            prop_assert_eq!(ties, ev.tie_broken(&scores, &order));
        }
    }

    proptest! {
        /// The tier walk (masks computed in entity order, gathered in rank order) places
        /// entities exactly as the rule read literally: in rank order, each entity takes the
        /// highest tier whose cap, requirements and minimum (or direct condition) it meets
        /// and whose cohort quota is not full. Quota ties are reported the same way.
        #[test]
        fn tier_walk_equals_the_literal_rule(
            rows in prop::collection::vec(
                (0u32..2, prop::sample::select(vec![60.0, 55.0, 50.0, 50.0, 40.0, f64::NAN]), any::<bool>(), 0usize..4, prop::sample::select(vec![Some(true), Some(true), Some(false), None]), prop::bool::weighted(0.2), prop::sample::select(vec![45.0, 52.0, f64::NAN])),
                1..80,
            ),
            tiers in prop::collection::vec(
                (prop::option::of(0u64..6), prop::option::of(prop::sample::select(vec![10.0, 30.0, 50.0])), 0usize..3),
                1..4,
            ),
            capped in any::<bool>(),
        ) {
            let n = rows.len();
            let mut ev = Evidence::for_entities(n);
            ev.cohort = rows.iter().map(|r| r.0).collect();
            ev.cohorts = 2;
            ev.ranked = rows.iter().map(|r| r.2 || !r.1.is_nan()).collect();
            if capped {
                ev.cap = rows.iter().map(|r| (r.3 < 3).then_some(r.3)).collect();
            }
            ev.tiers = tiers
                .iter()
                .enumerate()
                .map(|(t, &(max_count, top_percent, min_kind))| TierRule {
                    id: format!("t{t}"),
                    max_count,
                    top_percent,
                    min_score: match min_kind {
                        0 => ParamValues::Scalar(f64::NAN),
                        1 => ParamValues::Scalar(50.0),
                        _ => ParamValues::PerEntity(rows.iter().map(|r| r.6).collect()),
                    },
                    requires: rows.iter().map(|r| if t == 0 { r.4 } else { Some(true) }).collect(),
                    direct: rows.iter().map(|r| r.5).collect(),
                    direct_unknown: Vec::new(),
                    requires_unmet: Vec::new(),
                })
                .collect();
            let scores: Vec<f64> = rows.iter().map(|r| r.1).collect();
            let (order, _) = ev.rank(&scores);
            let (tier, ties) = ev.assign_tiers(&scores, &order);

            let nt = ev.tiers.len();
            let mut in_cohort = [0usize; 2];
            for &e in &order {
                in_cohort[ev.cohort[e] as usize] += 1;
            }
            let mut expected = vec![None; n];
            let mut expected_ties = Vec::new();
            let mut taken: Vec<Vec<(usize, f64)>> = vec![Vec::new(); 2 * nt];
            for &e in &order {
                let co = ev.cohort[e] as usize;
                for (t, rule) in ev.tiers.iter().enumerate() {
                    let min = rule.min_score.get(e);
                    let eligible = ev.cap_of(e).is_none_or(|c| t >= c)
                        && rule.requires[e] == Some(true)
                        && (min.is_nan() || crate::num::ge(scores[e], min) || rule.direct[e]);
                    if !eligible {
                        continue;
                    }
                    let quota = quota_of(rule.max_count, rule.top_percent, in_cohort[co]);
                    let list = &mut taken[co * nt + t];
                    if list.len() < quota {
                        list.push((e, scores[e]));
                        expected[e] = Some(t);
                        break;
                    }
                    if let Some(&(l, s)) = list.last() && s == scores[e] {
                        expected_ties.push(QuotaTie { tier: t, quota, placed: l, refused: e });
                    }
                }
            }
            prop_assert_eq!(tier, expected);
            prop_assert_eq!(ties, expected_ties);
        }
    }

    #[test]
    fn quotas_are_exact_and_at_least_one() {
        assert_eq!(quota_of(None, Some(29.0), 100), 29);
        // On the decimal written: 28.9999999 % of 100 is 28 (six decimals made it 29), and
        // 4.35 % of 2000 is exactly 87 (4.35 × 2000 is 8699.999… in floating point).
        assert_eq!(quota_of(None, Some(28.9999999), 100), 28);
        assert_eq!(quota_of(None, Some(4.35), 2000), 87);
        assert_eq!(quota_of(None, Some(14.1), 1000), 141);
        assert_eq!(quota_of(None, Some(33.3), 3), 1);
        assert_eq!(quota_of(None, Some(100.0), 7), 7);
        assert_eq!(quota_of(None, Some(0.000001), 10), 1);
        assert_eq!(quota_of(None, Some(30.0), 28), 8);
        assert_eq!(quota_of(None, Some(1.0), 10), 1);
        assert_eq!(quota_of(Some(3), Some(50.0), 28), 3);
        assert_eq!(quota_of(Some(0), None, 28), 0);
        assert_eq!(quota_of(None, None, 5), usize::MAX);
    }
}
