//! `sensitivity`: Monte Carlo over weights (SPEC §8).
//!
//! Replication `i` draws, from its own `ChaCha8Rng` seeded with the 32 bytes
//! `seed.to_le_bytes() ‖ i.to_le_bytes() ‖ 0…0`, one factor `U[1 − δ, 1 + δ]` per dimension
//! weight (`--vary weights`, `aggregation`) or per criterion's points (`--vary criteria`),
//! multiplies and rescales so the total is unchanged; `aggregation` then draws the method
//! uniformly from additive, geometric and topsis. Each replication re-scores through
//! [`Evidence::rescore`] (the engine's own aggregation, rounding, ranking and tiers), so
//! results are identical whatever the number of threads.
//!
//! Tier `requires`/`direct` conditions, capping gates and adjustments that read scores are
//! evaluated again in every replication on its published values ([`Evidence::rescore`]);
//! conditions on data alone keep their values.
//!
//! Percentile ranks use the nearest-rank definition: the `⌈q·N⌉`-th smallest of the N
//! replications' ranks (the median is q = 0.5), so they are always ranks that occurred.

use crate::engine::evidence::{Evidence, Rescored};
use crate::rules::Aggregation;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

/// What each replication varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Vary {
    /// `--vary weights`: one factor per dimension weight.
    Weights,
    /// `--vary criteria`: one factor per criterion's points.
    Criteria,
    /// `--vary aggregation`: dimension weights as under `Weights`, and the aggregation
    /// method drawn from additive, geometric and topsis.
    Aggregation,
}

impl Vary {
    /// The name `--vary` takes and the report shows.
    pub fn name(self) -> &'static str {
        match self {
            Vary::Weights => "weights",
            Vary::Criteria => "criteria",
            Vary::Aggregation => "aggregation",
        }
    }

    /// The variant `--vary` names (in any case), or `None` for another name.
    pub fn from_name(s: &str) -> Option<Vary> {
        match s.to_ascii_lowercase().as_str() {
            "weights" => Some(Vary::Weights),
            "criteria" => Some(Vary::Criteria),
            "aggregation" => Some(Vary::Aggregation),
            _ => None,
        }
    }
}

/// The most replications a run accepts. Each keeps its draws (about 128 bytes) until the
/// summary, so the bound turns a slip of the keyboard into an error instead of an
/// allocation failure; a million replications already pin each probability to ±0.001.
pub const MAX_RUNS: usize = 1_000_000;

/// Resolved options of a sensitivity run ([`SensitivityOptions::for_rules`] fills
/// `weights_given` from the rules; [`run`] checks the ranges).
#[derive(Debug, Clone, PartialEq)]
pub struct SensitivityOptions {
    /// Replications, 1 to [`MAX_RUNS`].
    pub runs: usize,
    /// δ: factors are drawn from U[1 − δ, 1 + δ]; 0 < δ < 1.
    pub noise: f64,
    /// Seed of every replication's generator: the same seed gives the same report.
    pub seed: u64,
    /// What each replication varies.
    pub vary: Vary,
    /// Whether the rules give dimension weights. Without them W_d is the dimension's points,
    /// so varying criterion points also moves the dimension weights.
    pub weights_given: bool,
}

impl SensitivityOptions {
    /// Options for `rules`, with `weights_given` read from them (every dimension has a
    /// `weight`), as `clusterscore sensitivity` sets it.
    pub fn for_rules(
        rules: &crate::engine::CompiledRules,
        runs: usize,
        noise: f64,
        seed: u64,
        vary: Vary,
    ) -> SensitivityOptions {
        let dims = &rules.rules.dimensions;
        SensitivityOptions {
            runs,
            noise,
            seed,
            vary,
            weights_given: !dims.is_empty() && dims.iter().all(|d| d.weight.is_some()),
        }
    }

    /// Refuses what no replication can use: no runs, more than [`MAX_RUNS`], a noise outside
    /// (0, 1) (a factor of 1 − δ ≤ 0 would make a weight negative or zero).
    pub fn check(&self) -> crate::diag::Result<()> {
        use crate::diag::Error;
        if self.runs < 1 {
            return Err(Error::usage(
                "a sensitivity run needs at least 1 replication",
            ));
        }
        if self.runs > MAX_RUNS {
            return Err(Error::usage(format!(
                "a sensitivity run takes at most {MAX_RUNS} replications (got {}); a million \
                 replications estimate each probability to within ±0.001",
                self.runs
            )));
        }
        if !(self.noise > 0.0 && self.noise < 1.0) {
            return Err(Error::usage(format!(
                "the weight noise must be strictly between 0 and 1 (got {})",
                self.noise
            )));
        }
        Ok(())
    }
}

/// What one replication drew.
#[derive(Debug, Clone, PartialEq)]
pub struct Draw {
    /// Dimension weights W_d used (the base ones perturbed and rescaled to their total, or
    /// unchanged).
    pub weights: Vec<f64>,
    /// Criterion points used (perturbed under [`Vary::Criteria`], else the base ones).
    pub points: Vec<f64>,
    /// The aggregation method used (drawn under [`Vary::Aggregation`]).
    pub aggregation: Aggregation,
}

/// The random generator of replication `i`.
pub fn replication_rng(seed: u64, i: u64) -> ChaCha8Rng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&i.to_le_bytes());
    ChaCha8Rng::from_seed(bytes)
}

/// Multiplies each value by U[1 − δ, 1 + δ] and rescales to the original total.
fn perturb(rng: &mut ChaCha8Rng, base: &[f64], noise: f64) -> Vec<f64> {
    let total: f64 = base.iter().sum();
    let drawn: Vec<f64> = base
        .iter()
        .map(|w| w * rng.random_range(1.0 - noise..=1.0 + noise))
        .collect();
    let s: f64 = drawn.iter().sum();
    if s > 0.0 {
        drawn.iter().map(|w| w * total / s).collect()
    } else {
        base.to_vec()
    }
}

/// The draw of replication `i` (pure function of the evidence, options and `i`): what
/// [`run`] scores as its replication `i`, for reproducing one. A usage error when the
/// options are out of range ([`SensitivityOptions::check`]).
pub fn draw(ev: &Evidence, opts: &SensitivityOptions, i: u64) -> crate::diag::Result<Draw> {
    opts.check()?;
    Ok(draw_checked(ev, opts, i))
}

/// [`draw`] with options already checked.
fn draw_checked(ev: &Evidence, opts: &SensitivityOptions, i: u64) -> Draw {
    let mut rng = replication_rng(opts.seed, i);
    match opts.vary {
        Vary::Weights | Vary::Aggregation => {
            let weights = perturb(&mut rng, &ev.weights, opts.noise);
            let aggregation = if opts.vary == Vary::Aggregation {
                [
                    Aggregation::Additive,
                    Aggregation::Geometric,
                    Aggregation::Topsis,
                ][rng.random_range(0..3usize)]
            } else {
                ev.aggregation
            };
            Draw {
                weights,
                points: ev.points.clone(),
                aggregation,
            }
        }
        Vary::Criteria => {
            let points = perturb(&mut rng, &ev.points, opts.noise);
            let weights = if opts.weights_given {
                ev.weights.clone()
            } else {
                let mut w = vec![0.0; ev.weights.len()];
                for (c, p) in points.iter().enumerate() {
                    w[ev.dimension_of[c]] += p;
                }
                w
            };
            Draw {
                weights,
                points,
                aggregation: ev.aggregation,
            }
        }
    }
}

/// What [`run`] finds: how stable each ranked entity's rank and tier are under the
/// replications' perturbed weights (`clusterscore sensitivity`, SPEC §8).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SensitivityReport {
    /// The base run's rules and data files ([`crate::engine::Audit::of_inputs`]); `None`
    /// from [`run`], which sees only the evidence (the CLI fills it in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::engine::Audit>,
    /// Replications run.
    pub runs: usize,
    /// δ: factors were drawn from U[1 − δ, 1 + δ].
    pub weight_noise: f64,
    /// The seed: the same seed gives the same report.
    pub seed: u64,
    /// What each replication varied.
    pub vary: Vary,
    /// Mean over replications of Spearman's ρ between the replication's and the base ranks
    /// (ranked entities; null when undefined, e.g. fewer than two ranked entities).
    pub mean_spearman: Option<f64>,
    /// Id of the top tier (null without tiers).
    pub top_tier: Option<String>,
    /// Share of replications whose top tier has exactly the base run's members (null
    /// without tiers or replications: there is no top tier to keep).
    pub top_tier_unchanged: Option<f64>,
    /// Tier ids, highest first, then "(untiered)": the keys of `tier_probability`.
    pub tiers: Vec<String>,
    /// Ranked entities in base rank order.
    pub entities: Vec<EntitySensitivity>,
    /// What makes the result say less than it seems: a variation that cannot change anything
    /// (one dimension under `--vary weights`), so a perfectly stable ranking is no finding.
    pub warnings: Vec<String>,
}

/// One ranked entity's rank and tier across the replications.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntitySensitivity {
    /// The entity id.
    pub id: String,
    /// The entity's cohort, when the rules rank within cohorts (ranks count within it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohort: Option<String>,
    /// Its rank in the base run (within its cohort).
    pub base_rank: usize,
    /// Its tier id in the base run; `None` when untiered.
    pub base_tier: Option<String>,
    /// Median of its replication ranks (nearest rank: a rank that occurred).
    pub median_rank: usize,
    /// 5th percentile of its replication ranks (nearest rank): its better end.
    pub rank_p05: usize,
    /// 95th percentile of its replication ranks (nearest rank): its worse end.
    pub rank_p95: usize,
    /// Probability of each tier (and of no tier), in the order of `tiers`.
    pub tier_probability: crate::engine::Ordered<f64>,
}

/// Nearest-rank percentile of sorted values.
fn nearest_rank(sorted: &[u32], q: f64) -> usize {
    let n = sorted.len();
    let k = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[k - 1] as usize
}

/// Runs the replications on the current rayon pool; `tick` is called once per replication
/// (from any thread). Returns the report and every replication's draw, in index order; an
/// error when the options are out of range ([`SensitivityOptions::check`]).
pub fn run(
    ev: &Evidence,
    opts: &SensitivityOptions,
    tick: &(dyn Fn() + Sync),
) -> crate::diag::Result<(SensitivityReport, Vec<Draw>)> {
    opts.check()?;
    let base = ev.rescore(&ev.weights, &ev.points, ev.aggregation);
    let ranked: Vec<usize> = {
        let mut r: Vec<usize> = (0..ev.len()).filter(|&e| ev.ranked[e]).collect();
        r.sort_by_key(|&e| (ev.cohort[e], base.rank[e]));
        r
    };
    // Spearman's ρ reads the rankings with their ties: equal scores in one cohort share
    // their mean rank (the order a tie-break or the ids gave them does not count).
    // `ranked` is in (cohort, base rank) order, so each cohort is one stretch of it; every
    // replication ranks the same entities 1..size within their cohorts, so an entity's place
    // in (cohort, rank) order is its stretch's start + rank − 1: no sort per replication.
    let cohorts_pooled = ranked
        .windows(2)
        .any(|w| ev.cohort[w[0]] != ev.cohort[w[1]]);
    let mut stretch_start = vec![0; ev.cohorts];
    for (k, &e) in ranked.iter().enumerate().rev() {
        stretch_start[ev.cohort[e] as usize] = k;
    }
    let tied = |r: &Rescored| -> Vec<f64> {
        let n = ranked.len();
        let items: Vec<(u32, f64, f64)> = ranked
            .iter()
            .map(|&e| (ev.cohort[e], r.scores[e], r.rank[e].unwrap_or(0) as f64))
            .collect();
        let mut order = vec![usize::MAX; n];
        let placed = ranked.iter().enumerate().all(|(k, &e)| {
            let place = r.rank[e].map(|x| stretch_start[ev.cohort[e] as usize] + x - 1);
            match place {
                Some(p) if p < n && order[p] == usize::MAX => {
                    order[p] = k;
                    true
                }
                _ => false,
            }
        });
        if !placed {
            // (Not a permutation: the general way, with its sort.)
            return super::correlation::average_ranks(&super::correlation::tied_ranks(&items));
        }
        let out = super::correlation::tied_ranks_in_order(&items, &order);
        debug_assert_eq!(out, super::correlation::tied_ranks(&items));
        // Equal ranks in different cohorts are ties of the pooled correlation; within one
        // cohort, ranks 1..n with their ties restored already are average ranks.
        if cohorts_pooled {
            super::correlation::average_ranks(&out)
        } else {
            out
        }
    };
    let base_avg = tied(&base);
    let top_members =
        |r: &Rescored| -> Vec<usize> { (0..ev.len()).filter(|&e| r.tier[e] == Some(0)).collect() };
    let base_top = top_members(&base);
    let nt = ev.tiers.len();

    struct Outcome {
        draw: Draw,
        ranks: Vec<u32>,
        tiers: Vec<u16>,
        rho: Option<f64>,
        top_same: bool,
    }
    let outcomes: Vec<Outcome> = (0..opts.runs as u64)
        .into_par_iter()
        .map(|i| {
            let d = draw_checked(ev, opts, i);
            let r = ev.rescore(&d.weights, &d.points, d.aggregation);
            let ranks: Vec<u32> = ranked
                .iter()
                .map(|&e| r.rank[e].unwrap_or(0) as u32)
                .collect();
            let tiers: Vec<u16> = ranked
                .iter()
                .map(|&e| r.tier[e].map_or(nt as u16, |t| t as u16))
                .collect();
            let rho =
                Some(super::correlation::pearson(&base_avg, &tied(&r))).filter(|v| v.is_finite());
            let top_same = nt > 0 && top_members(&r) == base_top;
            tick();
            Outcome {
                draw: d,
                ranks,
                tiers,
                rho,
                top_same,
            }
        })
        .collect();

    let runs = outcomes.len();
    let rhos: Vec<f64> = outcomes.iter().filter_map(|o| o.rho).collect();
    // Replications that all keep the ranking give exactly 1 (an order-free sum).
    let mean_spearman = crate::num::mean_of(&rhos);
    let top_tier_unchanged = (runs > 0 && nt > 0)
        .then(|| outcomes.iter().filter(|o| o.top_same).count() as f64 / runs as f64);
    let mut tier_names: Vec<String> = ev.tiers.iter().map(|t| t.id.clone()).collect();
    tier_names.push(super::compare::UNTIERED.to_string());
    let entities: Vec<EntitySensitivity> = ranked
        .par_iter()
        .enumerate()
        .map(|(k, &e)| {
            let mut rs: Vec<u32> = outcomes.iter().map(|o| o.ranks[k]).collect();
            rs.sort_unstable();
            let mut counts = vec![0usize; nt + 1];
            for o in &outcomes {
                counts[o.tiers[k] as usize] += 1;
            }
            EntitySensitivity {
                id: ev.ids.get(e).unwrap_or("").to_string(),
                cohort: ev
                    .cohort_names
                    .get(ev.cohort[e] as usize)
                    .cloned()
                    .flatten(),
                base_rank: base.rank[e].unwrap_or(0),
                base_tier: base.tier[e].map(|t| ev.tiers[t].id.clone()),
                median_rank: nearest_rank(&rs, 0.5),
                rank_p05: nearest_rank(&rs, 0.05),
                rank_p95: nearest_rank(&rs, 0.95),
                tier_probability: tier_names
                    .iter()
                    .zip(&counts)
                    .map(|(t, c)| (t.clone(), *c as f64 / runs.max(1) as f64))
                    .collect(),
            }
        })
        .collect();
    // (Only where nothing at all can change: under `--vary criteria` a criterion's points
    // may still move a tier condition, gate or adjustment that reads them.)
    let mut warnings = Vec::new();
    if opts.vary == Vary::Weights && ev.weights.len() == 1 {
        warnings.push(
            "the rules have one dimension: rescaled to the same total, its weight is unchanged \
             in every replication, so no score, rank or tier can move; --vary criteria varies \
             the criteria's points"
                .to_string(),
        );
    }
    if opts.vary == Vary::Criteria && !opts.weights_given && ev.dimension_of.len() == 1 {
        // One criterion in all, rescaled to the same total: its points never change.
        warnings.push(
            "the rules have one criterion: rescaled to the same total, its points are unchanged \
             in every replication, so no score, rank or tier can move"
                .to_string(),
        );
    }
    if opts.vary == Vary::Criteria && opts.weights_given {
        // With dimension weights given, a dimension's share is Σ points·fraction / Σ points:
        // the points of a dimension's only criterion cancel out.
        let mut per_dimension = vec![0usize; ev.weights.len()];
        for &d in &ev.dimension_of {
            per_dimension[d] += 1;
        }
        let single = per_dimension.iter().filter(|&&k| k == 1).count();
        let varied = per_dimension.iter().filter(|&&k| k > 1).count();
        if single > 0 && varied == 0 {
            warnings.push(
                "every dimension has a single criterion and the dimension weights are given: a \
                 dimension's score is its criterion's fraction whatever its points, so no dimension score or total \
                 can move; --vary weights varies the dimension weights"
                    .to_string(),
            );
        } else if single > 0 {
            warnings.push(format!(
                "{single} of {} dimensions have a single criterion: with the dimension weights \
                 given, its points do not change the dimension's score, so only the criteria of \
                 the other {varied} are varied",
                per_dimension.len()
            ));
        }
    }
    let report = SensitivityReport {
        audit: None,
        warnings,
        runs,
        weight_noise: opts.noise,
        seed: opts.seed,
        vary: opts.vary,
        mean_spearman,
        top_tier: ev.tiers.first().map(|t| t.id.clone()),
        top_tier_unchanged,
        tiers: tier_names,
        entities,
    };
    Ok((report, outcomes.into_iter().map(|o| o.draw).collect()))
}

/// The replications as CSV: `run, aggregation`, then one column per dimension weight
/// (`weight.<id>`) and one per criterion's points (`points.<id>`), numbers in shortest
/// round-trip form so a replication can be reproduced exactly.
pub fn draws_csv(draws: &[Draw], dimension_ids: &[String], criterion_ids: &[String]) -> String {
    let mut s = String::from("run,aggregation");
    for d in dimension_ids {
        s.push_str(&format!(",weight.{d}"));
    }
    for c in criterion_ids {
        s.push_str(&format!(",points.{c}"));
    }
    s.push('\n');
    for (i, d) in draws.iter().enumerate() {
        s.push_str(&format!("{i},{}", d.aggregation.name()));
        for w in &d.weights {
            s.push_str(&format!(",{w}"));
        }
        for p in &d.points {
            s.push_str(&format!(",{p}"));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(nearest_rank(&v, 0.05), 1);
        assert_eq!(nearest_rank(&v, 0.5), 5);
        assert_eq!(nearest_rank(&v, 0.95), 10);
    }

    #[test]
    fn perturb_keeps_total() {
        let mut rng = replication_rng(42, 7);
        let w = perturb(&mut rng, &[30.0, 30.0, 15.0, 15.0, 10.0], 0.2);
        assert!((w.iter().sum::<f64>() - 100.0).abs() < 1e-9);
        let mut again = replication_rng(42, 7);
        assert_eq!(w, perturb(&mut again, &[30.0, 30.0, 15.0, 15.0, 10.0], 0.2));
    }
}
