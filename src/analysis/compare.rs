//! `compare`: two rankings of the same entities (two rules files on one data set, or two
//! result JSON files, e.g. this year against last year). Spearman ρ and Kendall τ-b over the
//! entities ranked in both, the tier transition matrix, entities whose tier changed and the
//! largest rank moves.
//!
//! Ranks are the published `rank` field (per cohort when the rules use cohorts, so equal rank
//! numbers in different cohorts count as ties), with the ties of each ranking restored for
//! the correlations: entities of one cohort with equal published scores share their mean
//! rank, so the order a tie-break or the ids gave them does not count. The rank-correlation
//! functions here are self-contained: average ranks for ties, ρ as the Pearson correlation
//! of average ranks, τ-b = (C − D) / √((n₀ − n₁)(n₀ − n₂)).

use crate::engine::Assessment;
use serde::Serialize;
use std::collections::HashMap;

/// Tier column of the transition matrix for ranked entities without a tier.
pub const UNTIERED: &str = "(untiered)";
/// Tier column of the transition matrix for entities excluded by a gate.
pub const EXCLUDED: &str = "(excluded)";
/// Tier row and column of the transition matrix for entities on the other side only (a
/// cluster new this year, or gone): present only when there are such entities, so that
/// each side's row or column sums still give its tier counts.
pub const ABSENT: &str = "(absent)";

/// One entity of one side: what compare needs of a result.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The entity id, what the two sides are matched by.
    pub id: String,
    /// The display name, when the side has one.
    pub name: Option<String>,
    /// The published rank (within the cohort under cohorts); `None` when excluded.
    pub rank: Option<usize>,
    /// The published score; `None` when a result file gives none.
    pub score: Option<f64>,
    /// The tier id; `None` when untiered or excluded.
    pub tier: Option<String>,
    /// The cohort's value, when the rules rank within cohorts.
    pub cohort: Option<String>,
}

/// One of the two rankings compared.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    /// Where it came from (rules or result path), for reports.
    pub source: String,
    /// Tier ids, highest first.
    pub tiers: Vec<String>,
    /// Every entity of this side, ranked or excluded, in the side's order.
    pub entities: Vec<Placed>,
    /// The side's audit block: the run made here (without its time, [`crate::engine::Audit::of_inputs`]),
    /// or the `audit` of a result file as `clusterscore score` wrote it; `None` for a file
    /// made by hand or by another tool.
    pub audit: Option<serde_json::Value>,
}

impl Side {
    /// The side an assessment run with per-entity results ([`crate::engine::Detail::Entities`],
    /// or [`crate::engine::Detail::Deferred`], whose columns are read here) gives; `source`
    /// names it in reports. A [`crate::engine::Detail::Columns`] run keeps no per-entity
    /// results: its side is empty, and compare finds no shared entity.
    pub fn from_assessment(a: &Assessment, source: impl Into<String>) -> Side {
        let placed = |r: crate::engine::assessment::RankingRow<'_>| Placed {
            id: r.id.to_string(),
            name: r.name.map(str::to_string),
            rank: r.rank,
            score: Some(r.score),
            tier: r.tier.map(str::to_string),
            cohort: r.cohort.map(str::to_string),
        };
        Side {
            source: source.into(),
            tiers: a.summary.tiers.iter().map(|t| t.id.clone()).collect(),
            // Deferred results are read from the columns: building each entity's whole result
            // (about 5 KB with twenty criteria) to keep six of its fields would make a
            // national file's comparison need gigabytes.
            entities: match a.deferred.as_deref() {
                Some(src) => (0..src.len())
                    .map(|e| placed(src.ranking_row(e).0))
                    .collect(),
                None => a.entities.iter().map(|e| placed(e.ranking_row())).collect(),
            },
            audit: serde_json::to_value(a.audit.of_inputs()).ok(),
        }
    }

    /// Reads the fields compare needs from a canonical result document (`score --format json`).
    pub fn from_json(v: &serde_json::Value, source: impl Into<String>) -> Result<Side, String> {
        let source = source.into();
        let entities = v
            .get("entities")
            .and_then(|e| e.as_array())
            .ok_or_else(|| format!("'{source}' has no \"entities\" array: is it the JSON output of `clusterscore score --format json`?"))?;
        let tiers: Vec<String> = v
            .get("summary")
            .and_then(|s| s.get("tiers"))
            .and_then(|t| t.as_array())
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| t.get("id").and_then(|i| i.as_str()).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::with_capacity(entities.len());
        let written_by_score = v.get("audit").is_some();
        for (k, e) in entities.iter().enumerate() {
            let id = match e.get("id") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => return Err(format!("'{source}': entity #{} has no \"id\"", k + 1)),
            };
            let rank = match e.get("rank") {
                // Without the key, an entity cannot be told from an excluded one (`null`).
                None => {
                    let what = if e.get("base_rank").is_some() {
                        "it looks like the output of `clusterscore sensitivity`"
                    } else {
                        "is it the JSON output of `clusterscore score --format json`?"
                    };
                    return Err(format!(
                        "'{source}': entity '{id}' has no \"rank\" (a whole number, or null for an excluded entity); {what}"
                    ));
                }
                Some(serde_json::Value::Null) => None,
                Some(r) => Some(
                    r.as_u64()
                        .filter(|&r| r >= 1)
                        .ok_or_else(|| format!("'{source}': entity '{id}' has rank {r}, expected a whole number ≥ 1 or null"))?
                        as usize,
                ),
            };
            // A file `score` wrote (it has an audit) gives every entity a "score" and, where
            // its summary lists tiers, a "tier" (null when none): a key gone is a damaged
            // file, not a missing value. A ranking made elsewhere is read as it is.
            for (key, needed) in [
                ("score", written_by_score),
                ("tier", written_by_score && !tiers.is_empty()),
            ] {
                if needed && e.get(key).is_none() {
                    return Err(format!(
                        "'{source}': entity '{id}' has no \"{key}\", which every entity of a result file has (null when it has none)"
                    ));
                }
            }
            // A score or tier of another type is a hand edit gone wrong, not a missing value.
            let score = match e.get("score") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::Number(n)) => n.as_f64(),
                Some(other) => {
                    return Err(format!(
                        "'{source}': entity '{id}' has score {}, expected a number or null",
                        crate::diag::truncate(&other.to_string(), 200)
                    ));
                }
            };
            let tier = match e.get("tier") {
                None | Some(serde_json::Value::Null) => None,
                Some(serde_json::Value::String(t)) => Some(t.clone()),
                Some(other) => {
                    return Err(format!(
                        "'{source}': entity '{id}' has tier {}, expected a tier id (text) or null",
                        crate::diag::truncate(&other.to_string(), 200)
                    ));
                }
            };
            // A tier the file's own list lacks (a hand edit, or a damaged file) would show as
            // a tier of its own, with no direction.
            if let Some(t) = &tier
                && written_by_score
                && !tiers.is_empty()
                && !tiers.contains(t)
            {
                return Err(format!(
                    "'{source}': entity '{id}' has tier '{}', which is not among the file's tiers ({})",
                    crate::diag::truncate(t, 200),
                    tiers.join(", ")
                ));
            }
            // `score` gives an excluded entity (rank null) no tier: both is a hand edit that
            // would count the entity in a tier and among the excluded at once.
            if let (None, Some(t)) = (rank, &tier) {
                return Err(format!(
                    "'{source}': entity '{id}' has tier '{t}' but rank null; an entity excluded by a gate has no tier (give it its rank, or set \"tier\": null)"
                ));
            }
            let cohort = match e.get("cohort") {
                Some(serde_json::Value::String(s)) => Some(s.clone()),
                Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                None | Some(serde_json::Value::Null) => None,
                // A list, a table or a yes/no is no cohort value: read as none, the entity's
                // rank would be compared across cohorts without a word.
                Some(other) => {
                    return Err(format!(
                        "'{source}': entity '{id}' has cohort {}, expected the cohort's value (text) or null",
                        crate::diag::truncate(&other.to_string(), 200)
                    ));
                }
            };
            out.push(Placed {
                name: e.get("name").and_then(|n| n.as_str()).map(str::to_string),
                rank,
                score,
                tier,
                cohort,
                id,
            });
        }
        let mut seen = HashMap::new();
        for p in &out {
            if seen.insert(p.id.as_str(), ()).is_some() {
                return Err(format!("'{source}': entity id '{}' appears twice", p.id));
            }
        }
        Ok(Side {
            source,
            tiers,
            entities: out,
            audit: v.get("audit").cloned(),
        })
    }
}

/// What two result files must share to be compared, and what is worth a warning: an error
/// when a side holds no entity or the two share no entity id (nothing would be compared,
/// and "no entity changed tier" would mislead); warnings for a side not written by
/// `clusterscore score` (no `audit`: taken as it is) and for ranks that contradict the
/// scores (a hand edit). Results of different years or data files are compared without a
/// word: this year against last year is what `--results` is for.
pub fn check_results(a: &Side, b: &Side) -> Result<Vec<String>, String> {
    for side in [a, b] {
        if side.entities.is_empty() {
            return Err(format!(
                "'{}' holds no entities: nothing to compare",
                side.source
            ));
        }
    }
    let in_b: std::collections::HashSet<&str> = b.entities.iter().map(|p| p.id.as_str()).collect();
    if !a.entities.iter().any(|p| in_b.contains(p.id.as_str())) {
        let some = |s: &Side| {
            let ids: Vec<&str> = s.entities.iter().take(3).map(|p| p.id.as_str()).collect();
            ids.join(", ")
        };
        return Err(format!(
            "'{}' and '{}' share no entity id (A has {}…, B has {}…): compare matches \
             entities by id, so the two must be results for the same entities",
            a.source,
            b.source,
            some(a),
            some(b)
        ));
    }
    let mut warnings = Vec::new();
    for side in [a, b] {
        if side.audit.is_none() {
            warnings.push(format!(
                "'{}' has no \"audit\": it was not written by `clusterscore score --format \
                 json`, so its ranks, scores and tiers are taken as they are",
                side.source
            ));
        }
        // The ranked entities of each cohort in rank order (ids after equal ranks), read by
        // both checks below.
        let mut ranked: Vec<&Placed> = side.entities.iter().filter(|p| p.rank.is_some()).collect();
        ranked.sort_by(|x, y| (&x.cohort, x.rank, &x.id).cmp(&(&y.cohort, y.rank, &y.id)));
        if let Some(w) = ranks_not_one_to_n(&side.source, &ranked) {
            warnings.push(w);
        }
        if let Some(w) = ranks_against_scores(&side.source, &ranked) {
            warnings.push(w);
        }
    }
    Ok(warnings)
}

/// Ranks that are not 1..n in a cohort (SPEC §5.4: ranks are 1..n, strict), as a warning
/// naming the first repeated or missing rank: a hand edit or a merge, which changes the
/// correlations and the rank moves.
fn ranks_not_one_to_n(source: &str, ranked: &[&Placed]) -> Option<String> {
    let mut expected = 1;
    for (k, p) in ranked.iter().enumerate() {
        let before = k
            .checked_sub(1)
            .map(|j| ranked[j])
            .filter(|b| b.cohort == p.cohort);
        if before.is_none() {
            expected = 1;
        }
        let rank = p.rank.unwrap_or(0);
        if rank != expected {
            let what = match before {
                Some(b) if b.rank == p.rank => {
                    format!("'{}' and '{}' are both ranked {rank}", b.id, p.id)
                }
                _ => format!(
                    "no entity is ranked {expected}, the next rank is {rank} ('{}')",
                    p.id
                ),
            };
            let cohort = p
                .cohort
                .as_ref()
                .map_or(String::new(), |c| format!(" in cohort '{c}'"));
            return Some(format!(
                "'{source}': {what}{cohort}: ranks are 1, 2, 3 … without repeats or gaps (edited \
                 by hand or merged?); compare uses the ranks as they are"
            ));
        }
        expected += 1;
    }
    None
}

/// The first pair of entities of one cohort whose ranks contradict their scores (a better
/// rank with a lower score), as a warning.
fn ranks_against_scores(source: &str, ranked: &[&Placed]) -> Option<String> {
    let scored: Vec<&Placed> = ranked
        .iter()
        .copied()
        .filter(|p| p.score.is_some())
        .collect();
    scored.windows(2).find_map(|w| {
        let (hi, lo) = (w[0], w[1]);
        let (Some(sh), Some(sl)) = (hi.score, lo.score) else {
            return None;
        };
        (hi.cohort == lo.cohort && sl > sh + crate::num::tolerance(sh)).then(|| {
            format!(
                "'{}': '{}' is ranked {} with score {} and '{}' ranked {} with {}: the ranks \
                 contradict the scores (edited by hand?); compare uses the ranks",
                source,
                hi.id,
                hi.rank.unwrap_or(0),
                sh,
                lo.id,
                lo.rank.unwrap_or(0),
                sl
            )
        })
    })
}

/// What [`compare`] finds: rank correlations, the tier transition matrix, tier changes and
/// the largest rank moves between ranking A and ranking B.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    /// What was compared: the engine, and each side's audit block ([`Side::audit`]).
    pub audit: ComparisonAudit,
    /// Where ranking A came from (its [`Side::source`]).
    pub a: String,
    /// Where ranking B came from.
    pub b: String,
    /// Entities present in both.
    pub common: usize,
    /// Entities ranked in both (the correlations are over these).
    pub ranked_in_both: usize,
    /// Ids of entities only A has, in A's order.
    pub only_in_a: Vec<String>,
    /// Ids of entities only B has, in B's order.
    pub only_in_b: Vec<String>,
    /// Null with fewer than two entities ranked in both, or when a ranking is constant.
    pub spearman: Option<f64>,
    /// Kendall τ-b over the same entities; null in the same cases as `spearman`.
    pub kendall_tau_b: Option<f64>,
    /// Row and column labels: tier ids (A's order, with B's new ones where B lists them),
    /// untiered, excluded.
    pub tiers: Vec<String>,
    /// `matrix[i][j]`: entities in tier `tiers[i]` under A and `tiers[j]` under B.
    pub matrix: Vec<Vec<usize>>,
    /// Entities in both whose tier (or untiered/excluded state) differs, in the order
    /// `score` writes A: ranked ones by cohort (none last) and rank, then the excluded by id.
    pub tier_changes: Vec<TierChange>,
    /// Largest |rank change| first (ties by id), at most `top` of them.
    pub rank_moves: Vec<RankMove>,
    /// Entities that moved but are not in `rank_moves` (past `top`).
    pub rank_moves_not_shown: usize,
    /// What makes the two rankings hard to compare (entities in different cohorts).
    pub warnings: Vec<String>,
}

/// The `audit` block of a comparison: which engine compared, and what each side was made
/// from, so that a published comparison can be traced to its rules and data files.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ComparisonAudit {
    /// `clusterscore` and the crate version of the comparing run.
    pub engine: String,
    /// Ranking A's audit block; null for a result file without one.
    pub a: Option<serde_json::Value>,
    /// Ranking B's audit block.
    pub b: Option<serde_json::Value>,
}

/// An entity whose tier differs between the two rankings.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierChange {
    /// The entity id.
    pub id: String,
    /// Its name under A, else under B.
    pub name: Option<String>,
    /// Its tier id under A, or [`UNTIERED`] / [`EXCLUDED`].
    pub from: String,
    /// Its tier id under B, or [`UNTIERED`] / [`EXCLUDED`].
    pub to: String,
    /// Its rank under A; `None` when excluded.
    pub rank_a: Option<usize>,
    /// Its rank under B; `None` when excluded.
    pub rank_b: Option<usize>,
    /// Whether B placed it higher or lower; `None` when the two tiers cannot be ordered
    /// (see [`tier_direction`]).
    pub direction: Option<TierDirection>,
}

/// Up or down between two tiers: a tier is above being untiered, untiered above excluded.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TierDirection {
    /// A higher tier under B (or a tier where A gave none).
    Up,
    /// A lower tier under B (or none where A gave one).
    Down,
}

/// Which way an entity moved from `from` (a tier of A, [`UNTIERED`] or [`EXCLUDED`]) to `to`
/// (one of B's). Tiers are ordered by the file that has both ids; when neither id is in
/// the other file (the files name their tiers differently) by their place from the top,
/// provided both files have as many tiers; `None` otherwise, or for the same place.
pub fn tier_direction(
    a_tiers: &[String],
    b_tiers: &[String],
    from: &str,
    to: &str,
) -> Option<TierDirection> {
    // Untiered below every tier, excluded below untiered.
    let level = |tiers: &[String], t: &str| match t {
        UNTIERED => Some(tiers.len()),
        EXCLUDED => Some(tiers.len() + 1),
        _ => tiers.iter().position(|x| x == t),
    };
    let tier = |t: &str| t != UNTIERED && t != EXCLUDED;
    let (f, t) = if !tier(from) || !tier(to) {
        // A tier against untiered or excluded, or those two: the same order in any file.
        let rank = |x: &str| match x {
            UNTIERED => 1,
            EXCLUDED => 2,
            _ => 0,
        };
        (rank(from), rank(to))
    } else if let (Some(f), Some(t)) = (level(a_tiers, from), level(a_tiers, to)) {
        (f, t)
    } else if let (Some(f), Some(t)) = (level(b_tiers, from), level(b_tiers, to)) {
        (f, t)
    } else if a_tiers.len() == b_tiers.len() {
        (level(a_tiers, from)?, level(b_tiers, to)?)
    } else {
        return None;
    };
    match t.cmp(&f) {
        std::cmp::Ordering::Less => Some(TierDirection::Up),
        std::cmp::Ordering::Greater => Some(TierDirection::Down),
        std::cmp::Ordering::Equal => None,
    }
}

/// An entity ranked in both rankings at different ranks.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RankMove {
    /// The entity id.
    pub id: String,
    /// Its name under A, else under B.
    pub name: Option<String>,
    /// Its published rank under A.
    pub rank_a: usize,
    /// Its published rank under B.
    pub rank_b: usize,
    /// `rank_a − rank_b`: positive means moved up under B.
    pub change: i64,
    /// Its score under A, when known.
    pub score_a: Option<f64>,
    /// Its score under B, when known.
    pub score_b: Option<f64>,
}

fn tier_label(p: &Placed) -> String {
    match (&p.tier, p.rank) {
        (Some(t), _) => t.clone(),
        (None, Some(_)) => UNTIERED.to_string(),
        (None, None) => EXCLUDED.to_string(),
    }
}

/// Compares two rankings; `top` bounds the list of rank moves.
pub fn compare(a: &Side, b: &Side, top: usize) -> Comparison {
    let in_b: HashMap<&str, &Placed> = b.entities.iter().map(|p| (p.id.as_str(), p)).collect();
    let in_a: HashMap<&str, &Placed> = a.entities.iter().map(|p| (p.id.as_str(), p)).collect();
    // A's tiers, with B's new ones where B lists them: before the first tier B lists after
    // them (a tier B adds above `benchmark` reads above it).
    let mut tiers: Vec<String> = a.tiers.clone();
    for (j, t) in b.tiers.iter().enumerate() {
        if tiers.contains(t) {
            continue;
        }
        let at = b.tiers[j + 1..]
            .iter()
            .find_map(|u| tiers.iter().position(|x| x == u))
            .unwrap_or(tiers.len());
        tiers.insert(at, t.clone());
    }
    // Tiers seen in entities but not in the summaries (hand-made files).
    for p in a.entities.iter().chain(&b.entities) {
        if let Some(t) = &p.tier
            && !tiers.contains(t)
        {
            tiers.push(t.clone());
        }
    }
    tiers.push(UNTIERED.into());
    tiers.push(EXCLUDED.into());
    let one_side_only = a.entities.iter().any(|p| !in_b.contains_key(p.id.as_str()))
        || b.entities.iter().any(|p| !in_a.contains_key(p.id.as_str()));
    if one_side_only {
        tiers.push(ABSENT.into());
    }
    let index: HashMap<&str, usize> = tiers
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let k = tiers.len();
    let mut matrix = vec![vec![0usize; k]; k];
    let mut common = 0;
    let mut changes = Vec::new();
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    let mut moves = Vec::new();
    // Correlations read the rankings with their ties: equal scores in one cohort share
    // their mean rank, whatever order the tie-break gave them.
    let (tied_a, tied_b) = (tied_ranks_of(a), tied_ranks_of(b));
    for pa in &a.entities {
        let Some(pb) = in_b.get(pa.id.as_str()) else {
            matrix[index[tier_label(pa).as_str()]][index[ABSENT]] += 1;
            continue;
        };
        common += 1;
        let (ta, tb) = (tier_label(pa), tier_label(pb));
        matrix[index[ta.as_str()]][index[tb.as_str()]] += 1;
        if ta != tb {
            // Ordered as `score` writes A: ranked entities by cohort (an entity without one
            // after the cohorts) and rank, then the excluded ones (by id, below), whatever
            // the order of the file (edited or merged by another tool).
            let cohort = pa.rank.map(|_| (pa.cohort.is_none(), pa.cohort.as_deref()));
            let order = (pa.rank.is_none(), cohort, pa.rank);
            changes.push((
                order,
                TierChange {
                    id: pa.id.clone(),
                    name: pa.name.clone().or_else(|| pb.name.clone()),
                    direction: tier_direction(&a.tiers, &b.tiers, &ta, &tb),
                    from: ta,
                    to: tb,
                    rank_a: pa.rank,
                    rank_b: pb.rank,
                },
            ));
        }
        if let (Some(x), Some(y)) = (pa.rank, pb.rank) {
            ra.push(tied_a[pa.id.as_str()]);
            rb.push(tied_b[pa.id.as_str()]);
            moves.push(RankMove {
                id: pa.id.clone(),
                name: pa.name.clone().or_else(|| pb.name.clone()),
                rank_a: x,
                rank_b: y,
                change: x as i64 - y as i64,
                score_a: pa.score,
                score_b: pb.score,
            });
        }
    }
    for pb in b
        .entities
        .iter()
        .filter(|p| !in_a.contains_key(p.id.as_str()))
    {
        matrix[index[ABSENT]][index[tier_label(pb).as_str()]] += 1;
    }
    changes.sort_by(|(kx, x), (ky, y)| kx.cmp(ky).then_with(|| x.id.cmp(&y.id)));
    moves.retain(|m| m.change != 0);
    moves.sort_by(|x, y| {
        y.change
            .abs()
            .cmp(&x.change.abs())
            .then_with(|| x.id.cmp(&y.id))
    });
    let not_shown = moves.len().saturating_sub(top);
    moves.truncate(top);
    let only_in_a = a
        .entities
        .iter()
        .filter(|p| !in_b.contains_key(p.id.as_str()))
        .map(|p| p.id.clone())
        .collect();
    let only_in_b = b
        .entities
        .iter()
        .filter(|p| !in_a.contains_key(p.id.as_str()))
        .map(|p| p.id.clone())
        .collect();
    // Ranks are per cohort: an entity in another cohort on the other side has a rank among
    // other entities, so its moves and the correlations mix groups.
    let regrouped: Vec<&str> = a
        .entities
        .iter()
        .filter(|pa| {
            in_b.get(pa.id.as_str())
                .is_some_and(|pb| pa.rank.is_some() && pb.rank.is_some() && pa.cohort != pb.cohort)
        })
        .map(|p| p.id.as_str())
        .collect();
    let mut warnings = Vec::new();
    if !regrouped.is_empty() {
        let shown: Vec<&str> = regrouped.iter().take(10).copied().collect();
        warnings.push(format!(
            "{} ranked in both {} in different cohorts in A and B, or in a cohort on \
             one side only ({}{}): ranks count within cohorts, so their rank moves and the \
             correlations compare ranks among different entities",
            crate::diag::entities(regrouped.len()),
            crate::diag::agree(regrouped.len(), "is", "are"),
            shown.join(", "),
            if regrouped.len() > 10 {
                format!(" and {} more", regrouped.len() - 10)
            } else {
                String::new()
            }
        ));
    }
    Comparison {
        audit: ComparisonAudit {
            engine: format!("clusterscore {}", env!("CARGO_PKG_VERSION")),
            a: a.audit.clone(),
            b: b.audit.clone(),
        },
        a: a.source.clone(),
        b: b.source.clone(),
        common,
        ranked_in_both: ra.len(),
        only_in_a,
        only_in_b,
        spearman: spearman(&ra, &rb),
        kendall_tau_b: kendall_tau_b(&ra, &rb),
        tiers,
        matrix,
        tier_changes: changes.into_iter().map(|(_, c)| c).collect(),
        rank_moves: moves,
        rank_moves_not_shown: not_shown,
        warnings,
    }
}

/// Each ranked entity's rank with the ties of its side restored (see
/// [`super::correlation::tied_ranks`]), by id.
fn tied_ranks_of(side: &Side) -> HashMap<&str, f64> {
    let ranked: Vec<&Placed> = side.entities.iter().filter(|p| p.rank.is_some()).collect();
    let items: Vec<(Option<&str>, f64, f64)> = ranked
        .iter()
        .map(|p| {
            (
                p.cohort.as_deref(),
                p.score.unwrap_or(f64::NAN),
                p.rank.unwrap_or(0) as f64,
            )
        })
        .collect();
    let tied = super::correlation::tied_ranks(&items);
    ranked
        .iter()
        .zip(tied)
        .map(|(p, r)| (p.id.as_str(), r))
        .collect()
}

/// Spearman's ρ (ties handled); `None` when undefined (fewer than two pairs, a constant side).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let v = super::correlation::spearman(x, y);
    v.is_finite().then_some(v)
}

/// Kendall's τ-b (ties handled); `None` when undefined (also when the sides differ in
/// length).
pub fn kendall_tau_b(x: &[f64], y: &[f64]) -> Option<f64> {
    let v = super::correlation::kendall_tau_b(x, y);
    v.is_finite().then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    #[test]
    fn tier_directions_follow_the_file_that_has_both_ids() {
        use TierDirection::*;
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (a, b) = (v(&["top", "mid"]), v(&["elite", "top", "mid"]));
        // B adds a tier above A's: top → elite is up (B has both), mid → top up (A has both).
        assert_eq!(tier_direction(&a, &b, "top", "elite"), Some(Up));
        assert_eq!(tier_direction(&a, &b, "mid", "top"), Some(Up));
        assert_eq!(tier_direction(&a, &b, "top", "mid"), Some(Down));
        // Untiered below every tier, excluded below untiered, in any file.
        assert_eq!(tier_direction(&a, &b, "mid", UNTIERED), Some(Down));
        assert_eq!(tier_direction(&a, &b, EXCLUDED, UNTIERED), Some(Up));
        assert_eq!(tier_direction(&a, &b, UNTIERED, "elite"), Some(Up));
        // Renamed tiers: by place when both files have as many tiers, else unknown.
        let renamed = v(&["gold", "silver"]);
        assert_eq!(tier_direction(&a, &renamed, "mid", "gold"), Some(Up));
        assert_eq!(tier_direction(&a, &renamed, "top", "silver"), Some(Down));
        assert_eq!(tier_direction(&a, &renamed, "top", "gold"), None);
        let three = v(&["gold", "silver", "bronze"]);
        assert_eq!(tier_direction(&a, &three, "mid", "gold"), None);
    }

    /// A result file edited by hand: a score or tier of the wrong type is refused by name.
    /// Equal ranks (a ranking from elsewhere that shares ranks among ties), ranks with gaps
    /// and entities ranked `null` (excluded) are read as they are.
    #[test]
    fn result_files_with_values_of_the_wrong_type_are_refused() {
        let side = |entities: serde_json::Value| {
            Side::from_json(&serde_json::json!({ "entities": entities }), "a.json")
        };
        let e = side(serde_json::json!([{"id": "A", "rank": 1, "score": "x"}])).unwrap_err();
        assert_eq!(
            e,
            "'a.json': entity 'A' has score \"x\", expected a number or null"
        );
        let e = side(serde_json::json!([{"id": "A", "rank": null, "tier": "gold"}])).unwrap_err();
        assert!(
            e.contains("entity 'A' has tier 'gold' but rank null"),
            "{e}"
        );
        let e = side(serde_json::json!([{"id": "A", "rank": 1, "tier": 3}])).unwrap_err();
        assert_eq!(
            e,
            "'a.json': entity 'A' has tier 3, expected a tier id (text) or null"
        );
        for cohort in [
            serde_json::json!([]),
            serde_json::json!({}),
            serde_json::json!(true),
        ] {
            let e =
                side(serde_json::json!([{"id": "A", "rank": 1, "cohort": cohort}])).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "'a.json': entity 'A' has cohort {cohort}, expected the cohort's value (text) or null"
                )
            );
        }
        let ok = side(serde_json::json!([
            {"id": "A", "rank": 1, "cohort": "east", "score": null, "tier": null},
            {"id": "B", "rank": 1, "cohort": "east"},
            {"id": "C", "rank": 3, "cohort": "west"},
            {"id": "D", "rank": null}
        ]))
        .unwrap();
        assert_eq!(ok.entities.len(), 4);
        // A file `score` wrote (an audit, a list of tiers): every entity has its score and its
        // tier, and the tier is one the file lists (fuzz45 F4).
        let written = |entity: serde_json::Value| {
            Side::from_json(
                &serde_json::json!({"audit": {}, "summary": {"tiers": [{"id": "gold"}, {"id": "silver"}]}, "entities": [entity]}),
                "a.json",
            )
        };
        assert!(
            written(serde_json::json!({"id": "A", "rank": 1, "score": 3.0, "tier": null})).is_ok()
        );
        let e = written(serde_json::json!({"id": "A", "rank": 1, "score": 3.0})).unwrap_err();
        assert!(
            e.starts_with("'a.json': entity 'A' has no \"tier\", which every entity"),
            "{e}"
        );
        let e = written(serde_json::json!({"id": "A", "rank": 1, "tier": "gold"})).unwrap_err();
        assert!(
            e.starts_with("'a.json': entity 'A' has no \"score\""),
            "{e}"
        );
        let e = written(serde_json::json!({"id": "A", "rank": 1, "score": 3.0, "tier": "bronze"}))
            .unwrap_err();
        assert!(
            e.starts_with("'a.json': entity 'A' has tier 'bronze', which is not among the file's tiers (gold, silver)"),
            "{e}"
        );
        // A ranking made elsewhere (no audit) is read as it is, tiers listed or not.
        let elsewhere = serde_json::json!({"summary": {"tiers": [{"id": "gold"}]}, "entities": [
            {"id": "A", "rank": 1},
            {"id": "B", "rank": 2, "tier": "bronze"}
        ]});
        assert_eq!(
            Side::from_json(&elsewhere, "a.json")
                .unwrap()
                .entities
                .len(),
            2
        );
        // Without a "rank" key an entity would read as excluded: refused, with what the
        // file looks like (audit26_cli F1).
        let e = side(serde_json::json!([{"id": "A", "score": 3.0, "tier": "t"}])).unwrap_err();
        assert!(e.starts_with("'a.json': entity 'A' has no \"rank\""), "{e}");
        assert!(e.ends_with("`clusterscore score --format json`?"), "{e}");
        let e = side(serde_json::json!([{"id": "A", "base_rank": 1}])).unwrap_err();
        assert!(
            e.ends_with("the output of `clusterscore sensitivity`"),
            "{e}"
        );
    }

    #[test]
    fn tau_b_with_ties_by_hand() {
        // x = 1 2 2 3, y = 1 3 2 2: pairs (12) C, (13) C, (14) C, (23) tie x, (24) tie x?
        // x2=x3 → tie in x; (24): x 2<3, y 3>2 → D; (34): x 2<3, y 2=2 → tie y.
        // C = 3, D = 1, n0 = 6, tx = 1, ty = 1 → τb = 2 / √(5·5) = 0.4.
        let t = kendall_tau_b(&[1.0, 2.0, 2.0, 3.0], &[1.0, 3.0, 2.0, 2.0]).unwrap();
        assert_abs_diff_eq!(t, 0.4, epsilon = 1e-12);
    }

    #[test]
    fn result_files_must_share_entities_and_ranks_should_follow_scores() {
        let side = |name: &str, v: serde_json::Value| Side::from_json(&v, name).unwrap();
        let audited = |rows: serde_json::Value| serde_json::json!({"audit": {}, "entities": rows});
        let a = side(
            "a.json",
            audited(serde_json::json!([
                {"id": "e1", "rank": 1, "score": 9.0},
                {"id": "e2", "rank": 2, "score": 8.0}
            ])),
        );
        assert_eq!(check_results(&a, &a), Ok(Vec::new()));
        let other = side(
            "b.json",
            audited(serde_json::json!([{"id": "x1", "rank": 1, "score": 9.0}])),
        );
        let err = check_results(&a, &other).unwrap_err();
        assert!(
            err.contains("share no entity id (A has e1, e2…, B has x1…)"),
            "{err}"
        );
        let empty = side("c.json", audited(serde_json::json!([])));
        assert!(
            check_results(&a, &empty)
                .unwrap_err()
                .contains("'c.json' holds no entities")
        );
        // Made by hand, with e2 ranked ahead of e1 on a lower score.
        let hand = side(
            "d.json",
            serde_json::json!({"entities": [
                {"id": "e1", "rank": 2, "score": 9.0},
                {"id": "e2", "rank": 1, "score": 8.0}
            ]}),
        );
        let w = check_results(&a, &hand).unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("'d.json' has no \"audit\""), "{w:?}");
        assert!(
            w[1].contains("'e2' is ranked 1 with score 8 and 'e1' ranked 2 with 9"),
            "{w:?}"
        );
    }

    #[test]
    fn entities_in_other_cohorts_on_the_other_side_are_warned() {
        let side = |cohorts: [Option<&str>; 3]| Side {
            source: "x".into(),
            tiers: Vec::new(),
            entities: ["e1", "e2", "e3"]
                .iter()
                .zip(cohorts)
                .enumerate()
                .map(|(k, (id, cohort))| Placed {
                    id: id.to_string(),
                    name: None,
                    rank: Some(k + 1),
                    score: Some(10.0 - k as f64),
                    tier: None,
                    cohort: cohort.map(str::to_string),
                })
                .collect(),
            audit: Some(serde_json::json!({})),
        };
        let a = side([Some("north"), Some("north"), Some("south")]);
        assert!(compare(&a, &a, 5).warnings.is_empty());
        let b = side([Some("north"), Some("south"), Some("south")]);
        let w = compare(&a, &b, 5).warnings;
        assert_eq!(w.len(), 1);
        assert!(w[0].starts_with(
            "1 entity ranked in both is in different cohorts in A and B, or in a cohort on one side only (e2)"
        ));
    }

    /// `(id, rank, tier, cohort)` of one entity.
    type Row<'a> = (&'a str, Option<usize>, Option<&'a str>, Option<&'a str>);

    /// A side of entities, scores falling with the rank.
    fn placed(rows: &[Row<'_>]) -> Side {
        Side {
            source: "r.json".into(),
            tiers: vec!["gold".into(), "silver".into()],
            entities: rows
                .iter()
                .map(|&(id, rank, tier, cohort)| Placed {
                    id: id.to_string(),
                    name: None,
                    rank,
                    score: rank.map(|r| 100.0 - r as f64),
                    tier: tier.map(str::to_string),
                    cohort: cohort.map(str::to_string),
                })
                .collect(),
            audit: Some(serde_json::json!({})),
        }
    }

    #[test]
    fn ranks_that_repeat_or_skip_are_warned_per_cohort() {
        let ok = placed(&[
            ("e1", Some(1), None, Some("n")),
            ("e2", Some(2), None, Some("n")),
            ("e3", Some(1), None, Some("s")),
            ("e4", None, None, Some("s")),
        ]);
        assert!(check_results(&ok, &ok).unwrap().is_empty());
        let twice = placed(&[("e1", Some(1), None, None), ("e2", Some(1), None, None)]);
        let w = check_results(&twice, &ok).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("'r.json': 'e1' and 'e2' are both ranked 1:"),
            "{w:?}"
        );
        let gap = placed(&[
            ("e1", Some(10), None, Some("n")),
            ("e2", Some(20), None, Some("n")),
        ]);
        let w = check_results(&ok, &gap).unwrap();
        assert!(
            w[0].starts_with(
                "'r.json': no entity is ranked 1, the next rank is 10 ('e1') in cohort 'n':"
            ),
            "{w:?}"
        );
    }

    #[test]
    fn tier_changes_do_not_depend_on_the_order_of_the_entities() {
        let a = [
            ("e1", Some(1), Some("gold"), None),
            ("e2", Some(2), Some("gold"), None),
            ("e3", Some(3), Some("silver"), None),
            ("e4", None, None, None),
        ];
        let b = placed(&[
            ("e3", Some(1), Some("gold"), None),
            ("e4", Some(2), Some("silver"), None),
            ("e2", Some(3), Some("silver"), None),
            ("e1", Some(4), None, None),
        ]);
        let mut reversed = a;
        reversed.reverse();
        let (x, y) = (
            compare(&placed(&a), &b, 5),
            compare(&placed(&reversed), &b, 5),
        );
        let ids = |c: &Comparison| {
            c.tier_changes
                .iter()
                .map(|t| t.id.clone())
                .collect::<Vec<_>>()
        };
        // By A's rank, the excluded e4 last.
        assert_eq!(ids(&x), ["e1", "e2", "e3", "e4"]);
        assert_eq!(x.tier_changes, y.tier_changes);
        // With cohorts, as `score` writes A: ranked by cohort (none after the cohorts) and
        // rank, then the excluded by id whatever their cohort.
        let a = placed(&[
            ("x9", None, Some("gold"), Some("n")),
            ("x1", None, Some("gold"), None),
            ("n2", Some(2), Some("gold"), Some("n")),
            ("s1", Some(1), Some("gold"), Some("s")),
            ("z1", Some(1), Some("gold"), None),
            ("n1", Some(1), Some("gold"), Some("n")),
        ]);
        let b = placed(&[
            ("x9", Some(1), None, Some("n")),
            ("x1", Some(1), None, None),
            ("n2", Some(2), None, Some("n")),
            ("s1", Some(1), None, Some("s")),
            ("z1", Some(1), None, None),
            ("n1", Some(1), None, Some("n")),
        ]);
        assert_eq!(
            ids(&compare(&a, &b, 5)),
            ["n1", "n2", "s1", "z1", "x1", "x9"]
        );
    }

    #[test]
    fn spearman_perfect_and_reversed() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_abs_diff_eq!(spearman(&x, &x).unwrap(), 1.0);
        assert_abs_diff_eq!(spearman(&x, &[4.0, 3.0, 2.0, 1.0]).unwrap(), -1.0);
        assert!(spearman(&x, &[1.0, 1.0, 1.0, 1.0]).is_none());
    }
}
