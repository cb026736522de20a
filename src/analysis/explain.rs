//! `explain`: one entity's result — every criterion, gates, adjustments, the tier trace from
//! the top tier down, and a gap analysis for the next tier up.
//!
//! Gap analysis. The target is the next tier above the entity's (the lowest tier for an
//! untiered entity; none for an excluded entity or one already in the top tier). Per
//! criterion, the smallest change of its indicator that earns more points:
//! - `bands`: the nearest band edge that pays more (a strict `above`/`below` band: the
//!   nearest value past its threshold at the data's precision, which the band function is
//!   checked to accept; with a missing value, the band paying the least more);
//!   `per`: the next whole step; `levels`: the level paying the least more; `flag`: becoming
//!   true (1 for a number indicator, where `true` is a data error);
//! - `linear`, `target`, `direct` (continuous): the value that alone reaches the target tier,
//!   found by bisection on the criterion's fraction with the engine's own re-scoring, capped
//!   at full points (the target value) when this criterion alone cannot close the gap.
//!   `linear`, `target` (higher is better) and `direct` also report their slope (criterion
//!   points per unit of the indicator).
//! - Relative methods (`minmax`, `zscore`, `percentile`): each value tried is scored by the
//!   engine's kernel over the cohort's values, so every other entity's fraction moves with
//!   it; `percentile` offers the nearest value tying with or passing the
//!   next entities that reaches the target, `minmax` and `zscore` the value nearest today's
//!   that does (by bisection, past the best value too), at the data's precision; else the
//!   best value ranked (past it for `percentile`).
//!
//! Every option is re-scored with only that criterion changed (all other entities and
//! criteria fixed), giving the score and tier it would lead to. Conditions that read scores
//! (tier `requires`/`direct`, capping gates and adjustments that mention dimension scores,
//! criterion points or `score`) are evaluated again on the new published values
//! ([`Evidence::rescore`]), so they are not blockers; conditions on data are fixed.
//! Options are sorted by score gained (after any re-score from the data), largest first;
//! only an option whose tier after is the target tier reaches it. Here the changed
//! indicator is re-scored only through its criterion; other criteria, formulas or
//! conditions reading the same indicator keep their values unless
//! [`rescore_options_from_data`] runs the whole assessment again.

use crate::engine::assessment::EntitySource;
use crate::engine::evidence::{Evidence, quota_of};
use crate::engine::methods::ParamValues;
use crate::engine::{Assessment, EntityResult};
use crate::rules::{BandOp, Direction, Method, Rules, Transform};
use serde::Serialize;
use std::borrow::Cow;

/// One entity's result explained (`clusterscore explain`): its criteria, dimensions, gates,
/// adjustments, the tier trace from the top tier down and the gap to the next tier up.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    /// The entity id.
    pub id: String,
    /// Its display name, when the rules name a name column.
    pub name: Option<String>,
    /// Its rank (within its cohort under cohorts); `None` when excluded by a gate.
    pub rank: Option<usize>,
    /// The ranked entities `rank` counts among: those of the entity's cohort (ranks are per
    /// cohort), all ranked entities without cohorts.
    pub ranked: usize,
    /// Its published final score (rounded to `decimals`).
    pub score: f64,
    /// The total's maximum before adjustments (see [`crate::engine::Layout::max_score`]).
    pub max_score: f64,
    /// The id of its tier; `None` when untiered or excluded.
    pub tier: Option<String>,
    /// That tier's label.
    pub tier_label: Option<String>,
    /// The id of the gate that excluded it, or `None`.
    pub excluded_by: Option<String>,
    /// Its cohort value, when the rules rank within cohorts.
    pub cohort: Option<String>,
    /// Each dimension's score and maximum, in rules-file order.
    pub dimensions: Vec<DimensionLine>,
    /// Each criterion's value, fraction and points, in rules-file order.
    pub criteria: Vec<CriterionLine>,
    /// Each gate and whether this entity passed it, in rules-file order.
    pub gates: Vec<GateLine>,
    /// Each adjustment and whether it applied, in rules-file order.
    pub adjustments: Vec<AdjustmentLine>,
    /// Every tier from the top down, with why it was or was not given; empty when the
    /// assessment keeps no evidence.
    pub tier_trace: Vec<TierStep>,
    /// What it takes to reach the next tier up; `None` when excluded, already in the top
    /// tier, without tiers, or without evidence.
    pub gap: Option<Gap>,
    /// The entity's notes from the run (see [`crate::engine::EntityResult::notes`]).
    pub notes: Vec<String>,
    /// The run's warnings (the assessment's: lints that change results, missing values
    /// substituted…), so a saved explanation carries them as a saved assessment does.
    pub warnings: Vec<String>,
}

/// One dimension of an explained entity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DimensionLine {
    /// The dimension's `id`.
    pub id: String,
    /// Its `label` (its id when it has none).
    pub label: String,
    /// The entity's published dimension score, in points of the total.
    pub score: f64,
    /// The dimension's maximum in points of the total (after weights and `scale`).
    pub max: f64,
}

/// One criterion of an explained entity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CriterionLine {
    /// The criterion's `id`.
    pub id: String,
    /// Its `label` (its id when it has none).
    pub label: String,
    /// The id of its dimension.
    pub dimension: String,
    /// The id of the indicator it scores.
    pub indicator: String,
    /// That indicator's `unit`, when given.
    pub unit: Option<String>,
    /// The method's name (`bands`, `linear`, …).
    pub method: String,
    /// The value scored: after `multiply`, before `transform`; the imputed value when
    /// imputed; null when missing.
    pub value: Option<serde_json::Value>,
    /// The fraction of the points earned (unrounded); null when dropped by `exclude`.
    pub fraction: Option<f64>,
    /// Points earned, rounded to `decimals`; null when dropped.
    pub points: Option<f64>,
    /// The criterion's `points`: its maximum.
    pub max: f64,
    /// The missing-value policy applied, or null.
    pub missing: Option<String>,
}

/// One gate and how an explained entity fared.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GateLine {
    /// The gate's `id`.
    pub id: String,
    /// Its `label` (its id when it has none).
    pub label: String,
    /// Its `require` condition, as written.
    pub require: String,
    /// "exclude" or "cap at `<tier>`".
    pub effect: String,
    /// "passed", "failed", or "not applied: excluded by gate '…'" (the entity was
    /// excluded by an exclude gate: the exclude gates after it and every cap were not
    /// applied to it).
    pub status: String,
    /// The values involved, for a failed gate.
    pub detail: Option<String>,
}

/// One adjustment (加分项 / 扣分项) and whether it applied to an explained entity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AdjustmentLine {
    /// The adjustment's `id`.
    pub id: String,
    /// Its `label` (its id when it has none).
    pub label: String,
    /// Its `when` condition, as written.
    pub when: String,
    /// Its `points` as written (negative for a penalty).
    pub points: f64,
    /// Whether the entity got them (its published adjustment points are not 0).
    pub applied: bool,
}

/// One tier of an explained entity's tier trace: each test of SPEC §5.4 and its outcome.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierStep {
    /// The tier's `id`.
    pub id: String,
    /// Its `label` (its id when it has none).
    pub label: String,
    /// Whether the entity was placed in this tier.
    pub given: bool,
    /// Null when the tier has no minimum (or it varies and could not be shown).
    pub min_score: Option<f64>,
    /// Whether the score meets `min_score` (true without a minimum).
    pub meets_min_score: bool,
    /// The tier's `requires` conditions, as written.
    pub requires: Vec<String>,
    /// Whether all `requires` hold (null: a value was missing, counted as not met).
    pub requires_met: Option<bool>,
    /// The tier's `direct` conditions, as written.
    pub direct: Vec<String>,
    /// Whether one of them holds (waiving `min_score`).
    pub direct_holds: bool,
    /// Null without a quota.
    pub quota: Option<usize>,
    /// Entities of the cohort placed in this tier ahead of this one.
    pub placed_ahead: usize,
    /// The tier a capping gate limits this entity to, if it is below this tier.
    pub capped_at: Option<String>,
    /// Why the tier was or was not given, in words.
    pub reasons: Vec<String>,
}

/// What an explained entity needs to reach the next tier up (or the lowest tier, when
/// untiered), and the single-criterion changes that would get it there.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gap {
    /// The id of the target tier.
    pub target_tier: String,
    /// Its label.
    pub target_label: String,
    /// The score the target tier asks for: its minimum (unless a direct condition holds) and,
    /// when its quota is full, the score of the last entity placed there (plus one unit of
    /// the published precision, 10^-decimals, when this entity would lose the tie-break).
    pub score_needed: f64,
    /// `score_needed − score`, at least 0.
    pub points_missing: f64,
    /// A higher tier this entity reaches at a lower score than the target asks (the
    /// target's quota is full above it): `score_needed` is that tier's, and scoring it moves
    /// the entity past the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reached_first: Option<String>,
    /// Whether an option moves other entities' scores too: under TOPSIS (each change moves
    /// the ideals every score is measured from) or through a value imputed from this
    /// entity's. `score_needed` is then at today's scores, and an option may reach the
    /// target at another score (each option is re-scored in full).
    pub scores_move: bool,
    /// Conditions no score change can fix (requires, caps).
    pub blockers: Vec<String>,
    /// Conditions not met now that read scores (dimension or criterion points, `score`):
    /// every option is re-scored with them evaluated again, so they are not blockers.
    pub unmet_now: Vec<String>,
    /// One change per criterion that earns more points, largest score gained first.
    pub options: Vec<GapOption>,
    /// Criteria with no option, and why (full points, relative method, …).
    pub no_option: Vec<NoOption>,
}

/// One way to gain points: a change of one criterion's indicator, re-scored with everything
/// else fixed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GapOption {
    /// The criterion's id.
    pub criterion: String,
    /// The id of the indicator to change.
    pub indicator: String,
    /// The criterion's method name.
    pub method: String,
    /// The indicator's current value as the criterion shows it (after `multiply`); null
    /// when missing.
    pub from: Option<serde_json::Value>,
    /// The value that earns the points shown.
    pub to: serde_json::Value,
    /// `to − from` for numbers.
    pub change: Option<f64>,
    /// How the new value is reached ("at least 50", "more than 3", "level 二级", …).
    pub how: String,
    /// The criterion's points now, rounded to `decimals`.
    pub criterion_points_before: f64,
    /// The criterion's points at `to`, rounded to `decimals`.
    pub criterion_points_after: f64,
    /// Rounded score with only this change (score-reading conditions evaluated again).
    pub score_after: f64,
    /// `score_after − score`, rounded to `decimals`.
    pub score_gained: f64,
    /// The tier id the entity would reach with this change; `None`: untiered.
    pub tier_after: Option<String>,
    /// Whether `tier_after` is the target tier (or higher).
    pub reaches_target: bool,
    /// `linear`, `target` (higher is better) and `direct`: criterion points per unit of the
    /// indicator.
    pub slope: Option<f64>,
    /// What else reads the indicator (other criteria, formulas, gates, adjustments, tier
    /// conditions, tie-breaks): the change moves those too, which `score_after` leaves out.
    pub also_read_by: Vec<String>,
    /// Entities of the cohort whose value of this criterion was imputed (`mean`/`median`)
    /// from values that include this entity's: the change moves what they were given, and
    /// `score_after` and `tier_after` count it. The first 20 ids; `imputed_count` says how
    /// many there are.
    pub imputed_from_it: Vec<String>,
    /// How many entities `imputed_from_it` stands for.
    pub imputed_count: usize,
    /// Whether `score_after` and `tier_after` come from the whole assessment run again on
    /// the data with this value in the entity's cell (see [`rescore_options_from_data`]),
    /// so that every reader in `also_read_by` counts.
    pub rescored_from_data: bool,
}

/// Everything besides criterion `crit` that reads indicator `ind` by its bare name.
fn other_readers(rules: &Rules, ind: &str, crit: &str) -> Vec<String> {
    let mentions = |text: &str| {
        crate::expr::parse(text).is_ok_and(|e| {
            crate::expr::names(&e)
                .iter()
                .any(|(name, quoted, _)| !quoted && name == ind)
        })
    };
    let mut out: Vec<String> = rules
        .criteria
        .iter()
        .filter(|c| c.indicator.value == ind && c.id.value != crit)
        .map(|c| format!("criterion '{}'", c.id.value))
        .collect();
    for i in &rules.indicators {
        if let crate::rules::Source::Formula(f) | crate::rules::Source::Aggregate(f) = &i.source
            && mentions(&f.value)
        {
            out.push(format!("the formula of '{}'", i.id.value));
        }
    }
    for g in &rules.gates {
        if mentions(&g.require.value) {
            out.push(format!("gate '{}'", g.id.value));
        }
    }
    for a in &rules.adjustments {
        if mentions(&a.when.value) {
            out.push(format!("adjustment '{}'", a.id.value));
        }
    }
    for t in &rules.tiers {
        if t.requires
            .iter()
            .chain(&t.direct)
            .any(|c| mentions(&c.value))
        {
            out.push(format!("tier '{}'", t.id.value));
        }
    }
    if rules.settings.tie_break.iter().any(|t| t.value == ind) {
        out.push("tie_break".to_string());
    }
    out
}

/// A criterion that offers no gap option.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NoOption {
    /// The criterion's id.
    pub criterion: String,
    /// Why, in words (already at full points, relative method, dropped, …).
    pub reason: String,
}

/// Why an assessment made without per-entity results cannot be explained, and the fix.
const NO_ENTITY_RESULTS: &str = "the assessment keeps no per-entity results (it was made with \
     Detail::Columns, Detail::Deferred or Detail::Evidence); assess with Detail::Entities, the \
     default, or Detail::Explain";

/// The entities an explanation reads, in output order: the built per-entity results
/// ([`Detail::Entities`](crate::engine::Detail::Entities)), or the columns they are built
/// from ([`Detail::Explain`](crate::engine::Detail::Explain)), of which only the explained
/// entity's result is built: at 10⁶ entities the built results take gigabytes.
#[derive(Clone, Copy)]
enum Roster<'a> {
    Built(&'a [EntityResult]),
    Columns(&'a EntitySource<'static>),
}

impl<'a> Roster<'a> {
    /// The columns only with the evidence beside them (`Explain`): an assessment with
    /// neither results nor evidence (`Deferred`) cannot be explained, and says so.
    fn of(a: &'a Assessment) -> Self {
        match a.deferred.as_deref() {
            Some(source) if a.evidence.is_some() => Roster::Columns(source),
            _ => Roster::Built(&a.entities),
        }
    }

    fn len(self) -> usize {
        match self {
            Roster::Built(b) => b.len(),
            Roster::Columns(s) => s.len(),
        }
    }

    fn id(self, y: usize) -> &'a str {
        match self {
            Roster::Built(b) => &b[y].id,
            Roster::Columns(s) => s.id_of(y),
        }
    }

    fn ids(self) -> impl Iterator<Item = &'a str> {
        (0..self.len()).map(move |y| self.id(y))
    }

    fn name(self, y: usize) -> Option<&'a str> {
        match self {
            Roster::Built(b) => b[y].name.as_deref(),
            Roster::Columns(s) => s.name_of(y),
        }
    }

    fn rank(self, y: usize) -> Option<usize> {
        match self {
            Roster::Built(b) => b[y].rank,
            Roster::Columns(s) => s.rank[y],
        }
    }

    fn score(self, y: usize) -> f64 {
        match self {
            Roster::Built(b) => b[y].score,
            Roster::Columns(s) => s.score[y],
        }
    }

    /// The index (in rules order) of the tier entity `y` was placed in.
    fn tier(self, y: usize, tiers: &[crate::engine::evidence::TierRule]) -> Option<usize> {
        match self {
            Roster::Built(b) => {
                (b[y].tier.as_ref()).and_then(|t| tiers.iter().position(|tr| &tr.id == t))
            }
            Roster::Columns(s) => s.tier[y],
        }
    }

    /// Criterion `ci`'s (id `id`) value for entity `y` as a number, as its result shows it,
    /// and the missing-value policy applied to it.
    fn value(self, y: usize, ci: usize, id: &str) -> (Option<f64>, Option<&'a str>) {
        match self {
            Roster::Built(b) => {
                let criteria = &b[y].criteria;
                // Every result lists the criteria in rules order: the place is checked
                // against the id instead of hashed.
                let cr = match criteria.get_index(ci) {
                    Some((key, cr)) if key == id => Some(cr),
                    _ => criteria.get(id),
                };
                cr.map_or((None, None), |cr| (num(&cr.value), cr.missing.as_deref()))
            }
            Roster::Columns(s) => (
                num(&s.criterion_value(y, ci)),
                s.missing[ci][y].map(|p| p.name()),
            ),
        }
    }

    /// Entity `y`'s whole result.
    fn result(self, y: usize) -> Cow<'a, EntityResult> {
        match self {
            Roster::Built(b) => Cow::Borrowed(&b[y]),
            Roster::Columns(s) => Cow::Owned(s.entity(y)),
        }
    }
}

/// Finds an entity by id; the error names the closest id. Reads the per-entity results of a
/// [`Detail::Entities`](crate::engine::Detail::Entities) assessment (the default), or builds
/// the one found from the columns of a [`Detail::Explain`](crate::engine::Detail::Explain)
/// one; the other details keep neither, which the error says.
pub fn find_entity<'a>(
    a: &'a Assessment,
    id: &str,
) -> Result<(usize, Cow<'a, EntityResult>), String> {
    let roster = Roster::of(a);
    if roster.len() == 0 && a.summary.entities > 0 {
        return Err(format!("cannot look up '{id}': {NO_ENTITY_RESULTS}"));
    }
    match roster.ids().position(|e| e == id) {
        Some(k) => Ok((k, roster.result(k))),
        None => Err(
            // (Ids are stored trimmed: an id pasted with spaces finds its entity here.)
            match roster
                .ids()
                .find(|&e| e == id.trim())
                .map(str::to_string)
                .or_else(|| same_digits(roster, id.trim()))
                .or_else(|| crate::diag::did_you_mean(id, roster.ids()))
            {
                Some(c) => format!("no entity with id '{id}' in the data; did you mean '{c}'?"),
                None if by_name(roster, id.trim()).is_some() => {
                    let e = by_name(roster, id.trim()).expect("checked");
                    format!(
                        "no entity with id '{id}' in the data; '{}' is named '{}': did you mean --id {}?",
                        roster.id(e),
                        roster.name(e).unwrap_or_default(),
                        roster.id(e)
                    )
                }
                // Ids one character from it (`A9` for `A1`), too short for did_you_mean to
                // pick one: the one, or the first few; else a few ids to show their form.
                None => match close_ids(roster, id.trim()).as_slice() {
                    [] => format!(
                        "no entity with id '{id}' in the data ({}, e.g. {})",
                        crate::diag::entities(roster.len()),
                        roster.ids().take(5).collect::<Vec<_>>().join(", ")
                    ),
                    [c] => format!("no entity with id '{id}' in the data; did you mean '{c}'?"),
                    near => format!(
                        "no entity with id '{id}' in the data; ids one character from it: {}",
                        near.join(", ")
                    ),
                },
            },
        ),
    }
}

/// Up to five ids one character (inserted, deleted, changed or swapped) from `id`, in
/// sorted order, with "…" after the fifth when there are more.
fn close_ids<'a>(roster: Roster<'a>, id: &str) -> Vec<&'a str> {
    let mut near: Vec<&str> = crate::diag::close_names(id, roster.ids()).collect();
    near.sort_unstable();
    if near.len() > 5 {
        near.truncate(6);
        near[5] = "…";
    }
    near
}

/// The id that equals `id` once leading zeros of digit runs are dropped (`LC1` for
/// `LC01`), when exactly one does: zero padding is the commonest slip in typed ids.
fn same_digits(roster: Roster<'_>, id: &str) -> Option<String> {
    fn unpadded(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut in_digits = false;
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            // A zero that starts a digit run and is followed by another digit is padding.
            if c == '0' && !in_digits && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                continue;
            }
            in_digits = c.is_ascii_digit();
            out.push(c);
        }
        out
    }
    let want = unpadded(id);
    let mut found = roster.ids().filter(|e| unpadded(e) == want);
    match (found.next(), found.next()) {
        (Some(e), None) => Some(e.to_string()),
        _ => None,
    }
}

/// The entity whose name is `text`, or the only one whose name contains it: bureau users
/// know clusters by name.
fn by_name(roster: Roster<'_>, text: &str) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    if let Some(e) = (0..roster.len()).find(|&e| roster.name(e) == Some(text)) {
        return Some(e);
    }
    let unique = |keep: &dyn Fn(&str) -> bool| {
        let mut found = (0..roster.len()).filter(|&e| roster.name(e).is_some_and(keep));
        match (found.next(), found.next()) {
            (Some(e), None) => Some(e),
            _ => None,
        }
    };
    // A part of the name, else its characters in order (`临清轴承` for 临清市轴承产业集群: a
    // name shortened as people say it).
    unique(&|n: &str| n.contains(text)).or_else(|| {
        (text.chars().count() >= 2)
            .then(|| {
                unique(&|n: &str| {
                    let mut rest = n.chars();
                    text.chars().all(|c| rest.any(|d| d == c))
                })
            })
            .flatten()
    })
}

fn num(v: &Option<serde_json::Value>) -> Option<f64> {
    match v {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::Bool(b)) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    }
}

fn json_num(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

fn inverse(t: Option<Transform>, y: f64) -> f64 {
    match t {
        None => y,
        Some(Transform::Log10) => 10f64.powf(y),
        Some(Transform::Ln) => y.exp(),
        Some(Transform::Sqrt) => y * y,
    }
}

fn forward(t: Option<Transform>, x: f64) -> f64 {
    match t {
        None => x,
        Some(t) => t.apply(x).unwrap_or(f64::NAN),
    }
}

/// The fraction the engine gives the raw value `v` under a method that scores a value
/// alone (bands, per, flag, direct, linear, target), with one entity's parameters `p` (kept
/// before `transform`, as the evidence keeps them): the engine's own kernels on one value,
/// so a proposed value is checked as data would be. NaN for the relative methods and levels.
fn fraction_at(
    method: &Method,
    tf: Option<Transform>,
    dir: Direction,
    points: f64,
    p: &dyn Fn(usize) -> f64,
    v: f64,
) -> f64 {
    use crate::engine::methods::{self, ResolvedBand};
    let x = [forward(tf, v)];
    if x[0].is_nan() {
        return f64::NAN;
    }
    let scalar = ParamValues::Scalar;
    let mut out = [f64::NAN];
    match method {
        Method::Bands(bands) => {
            let resolved: Vec<ResolvedBand> = (bands.iter().enumerate())
                .map(|(i, b)| ResolvedBand {
                    op: b.op,
                    threshold: scalar(forward(tf, p(2 * i))),
                    points: scalar(p(2 * i + 1)),
                })
                .collect();
            methods::bands(&x, &resolved, points, &mut out);
        }
        Method::Per { .. } => methods::per(&x, &scalar(p(0)), &scalar(p(1)), points, &mut out),
        Method::Flag => methods::flag(&x, &mut out),
        Method::Direct => methods::direct(&x, points, &mut out),
        Method::Linear { .. } => methods::linear(
            &x,
            &scalar(forward(tf, p(0))),
            &scalar(forward(tf, p(1))),
            &mut out,
        ),
        Method::Target { .. } => methods::target(&x, &scalar(forward(tf, p(0))), dir, &mut out),
        Method::MinMax | Method::ZScore | Method::Percentile | Method::Levels(_) => {}
    }
    out[0]
}

/// Under `missing = "mean"` or `"median"` the entity's own value is one of those the
/// statistic imputed to the other entities of its cohort is taken over: a change of it
/// moves what they were given, and so their points (and, under TOPSIS, the ideals).
struct ImputedWith {
    mean: bool,
    /// The other ranked entities of the cohort with a value: (entity, raw value), in
    /// entity order; sorted by value for a median.
    others: Vec<(usize, f64)>,
    /// The entities of the cohort whose value was imputed.
    imputed: Vec<usize>,
}

impl ImputedWith {
    /// For criterion `c` of entity `e`: `None` when no other entity's value was imputed
    /// from `e`'s.
    fn find(
        a: &Assessment,
        ev: &Evidence,
        e: usize,
        c: usize,
        crit: &crate::rules::Criterion,
        policy: crate::rules::MissingPolicy,
    ) -> Option<Self> {
        use crate::rules::MissingPolicy;
        let mean = match policy {
            MissingPolicy::Mean => true,
            MissingPolicy::Median => false,
            _ => return None,
        };
        if !ev.ranked[e] {
            return None;
        }
        if matches!(crit.method, Method::Levels(_)) {
            return None;
        }
        let id = &crit.id.value;
        let mut others = Vec::new();
        let mut imputed = Vec::new();
        // Scored 0 for want of any value to take the statistic of: this entity's value
        // would be the first.
        let mut without_statistic = Vec::new();
        let roster = Roster::of(a);
        for y in 0..roster.len() {
            if y == e || !ev.ranked[y] || ev.cohort[y] != ev.cohort[e] {
                continue;
            }
            let (value, missing) = roster.value(y, c, id);
            match missing {
                Some(m) if m == policy.name() => imputed.push(y),
                Some(m) if m == MissingPolicy::Zero.name() => without_statistic.push(y),
                Some(_) => {}
                None => others.extend(value.map(|v| (y, v))),
            }
        }
        if others.is_empty() {
            imputed.append(&mut without_statistic);
        }
        if imputed.is_empty() {
            return None;
        }
        if !mean {
            others.sort_by(|x, y| x.1.total_cmp(&y.1));
        }
        Some(ImputedWith {
            mean,
            others,
            imputed,
        })
    }

    /// The statistic with the entity's own value at `v`, as the engine takes it.
    fn statistic(&self, v: f64) -> f64 {
        if self.mean {
            // (The engine's sum does not depend on the order of the values.)
            let values: Vec<f64> = (self.others.iter().map(|o| o.1))
                .chain(std::iter::once(v))
                .collect();
            return crate::num::mean_of(&values).unwrap_or(f64::NAN);
        }
        // The k-th smallest of the others with `v` put in its place.
        let place = self.others.partition_point(|o| o.1.total_cmp(&v).is_lt());
        let kth = |k: usize| match k.cmp(&place) {
            std::cmp::Ordering::Less => self.others[k].1,
            std::cmp::Ordering::Equal => v,
            std::cmp::Ordering::Greater => self.others[k - 1].1,
        };
        let n = self.others.len() + 1;
        if n % 2 == 1 {
            kth(n / 2)
        } else {
            (kth(n / 2 - 1) + kth(n / 2)) / 2.0
        }
    }
}

/// The value with the fewest decimals within a billionth of `v` (rounded towards `up`) that
/// `reaches` accepts, with what it returned; failing that, `v` moved an ulp at a time.
fn shortest_reaching(
    v: f64,
    up: bool,
    mut reaches: impl FnMut(f64) -> Option<f64>,
) -> Option<(f64, f64)> {
    if !v.is_finite() {
        return None;
    }
    let tol = 1e-9 * v.abs().max(1.0);
    for k in 0..=15 {
        let m = 10f64.powi(k);
        let cand = if up {
            (v * m).ceil() / m
        } else {
            (v * m).floor() / m
        };
        if (cand - v).abs() <= tol
            && let Some(f) = reaches(cand)
        {
            return Some((cand, f));
        }
    }
    let mut cand = v;
    for _ in 0..64 {
        if let Some(f) = reaches(cand) {
            return Some((cand, f));
        }
        cand = if up { cand.next_up() } else { cand.next_down() };
    }
    None
}

/// A relative criterion (`minmax`, `zscore`, `percentile`) in the gap analysis: the values
/// of the explained entity's cohort as the engine's statistics took them, so that a
/// proposed value is scored by the engine's own kernel together with every entity of the
/// cohort, whose fractions move with it (a new best value lowers the others' `minmax`, an
/// entity passed loses a rank, the mean and sd follow the value).
struct RelativePeers {
    method: Method,
    dir: Direction,
    tf: Option<Transform>,
    /// The cohort's entities (indices into the assessment), the explained one among them.
    members: Vec<usize>,
    /// Their values after `transform` (NaN: missing), as the statistics took them.
    x: Vec<f64>,
    /// Whether each member is ranked (a peer of the statistics).
    ranked: Vec<bool>,
    /// All 0: the kernel sees the members as one cohort.
    one_cohort: Vec<u32>,
    /// The explained entity's position in `members`.
    me: usize,
    /// Positions of the members whose value was imputed from a statistic that includes the
    /// explained entity's value (`missing = "mean"`/`"median"`).
    imputed: Vec<usize>,
    /// The other ranked members' values (before `transform`), worst to best in the
    /// indicator's direction, imputed ones left out: what a proposed value is placed among.
    others: Vec<f64>,
    /// The data's precision: the decimals of the median of those values' decimals, or of
    /// the explained entity's own value (not an imputed one) when it has more.
    decimals: i32,
}

/// `v` read so that larger is better in direction `dir`.
fn toward(dir: Direction, v: f64) -> f64 {
    match dir {
        Direction::Higher => v,
        Direction::Lower => -v,
    }
}

/// Whether a fraction of the explained entity, with the other entities' fractions
/// `(entity, fraction)` it brings, reaches the gap's aim.
type Reaches<'a> = dyn FnMut(f64, &[(usize, f64)]) -> bool + 'a;

impl RelativePeers {
    /// `None` when the engine's fractions of the cohort are not reproduced at today's
    /// values (then no option is offered rather than one scored differently from the run).
    #[allow(clippy::too_many_arguments)]
    fn new(
        a: &Assessment,
        ev: &Evidence,
        e: usize,
        c: usize,
        crit: &crate::rules::Criterion,
        tf: Option<Transform>,
        dir: Direction,
        iw: Option<&ImputedWith>,
    ) -> Option<Self> {
        let id = &crit.id.value;
        let members: Vec<usize> = (0..ev.len())
            .filter(|&y| ev.cohort[y] == ev.cohort[e])
            .collect();
        let me = members.iter().position(|&y| y == e)?;
        let roster = Roster::of(a);
        let values: Vec<Option<f64>> = members.iter().map(|&y| roster.value(y, c, id).0).collect();
        let x: Vec<f64> = (values.iter())
            .map(|v| v.map_or(f64::NAN, |v| forward(tf, v)))
            .collect();
        let ranked: Vec<bool> = members.iter().map(|&y| ev.ranked[y]).collect();
        let mut from_me = vec![false; ev.len()];
        for &y in iw.map_or(&[][..], |iw| &iw.imputed) {
            from_me[y] = true;
        }
        let imputed: Vec<usize> = (0..members.len())
            .filter(|&p| from_me[members[p]])
            .collect();
        let mut others: Vec<f64> = (0..members.len())
            .filter(|&p| p != me && ranked[p] && !x[p].is_nan() && !from_me[members[p]])
            .filter_map(|p| values[p])
            .collect();
        others.sort_by(|p, q| toward(dir, *p).total_cmp(&toward(dir, *q)));
        let own = match roster.value(e, c, id) {
            (value, None) => value,
            (_, Some(_)) => None,
        };
        // (The typical value's, not the most precise one's: one value with seven decimals
        // would make every proposal carry seven.)
        let mut places: Vec<i32> = others.iter().map(|&v| decimals_of(v)).collect();
        places.sort_unstable();
        let typical = places.get(places.len() / 2).copied().unwrap_or(0);
        let decimals = own.map_or(typical, |v| decimals_of(v).max(typical));
        let rp = RelativePeers {
            method: crit.method.clone(),
            dir,
            tf,
            one_cohort: vec![0; members.len()],
            members,
            x,
            ranked,
            me,
            imputed,
            others,
            decimals,
        };
        let same = |p: f64, q: f64| (p - q).abs() <= 1e-9 || (p.is_nan() && q.is_nan());
        let (f, moved) = rp.at(values[rp.me].unwrap_or(f64::NAN), iw);
        (same(f, ev.fractions[[e, c]]) && moved.iter().all(|&(y, f)| same(f, ev.fractions[[y, c]])))
            .then_some(rp)
    }

    /// The explained entity's fraction with its value at `v` (before `transform`; NaN:
    /// missing, which scores 0), and the fractions every other member with a value takes.
    fn at(&self, v: f64, iw: Option<&ImputedWith>) -> (f64, Vec<(usize, f64)>) {
        use crate::engine::methods::{self, Peers};
        let mut x = self.x.clone();
        x[self.me] = if v.is_nan() {
            f64::NAN
        } else {
            forward(self.tf, v)
        };
        if let Some(iw) = iw
            && !v.is_nan()
        {
            let statistic = forward(self.tf, iw.statistic(v));
            for &p in &self.imputed {
                x[p] = statistic;
            }
        }
        let peers = Peers {
            cohort: &self.one_cohort,
            cohorts: 1,
            ranked: &self.ranked,
        };
        let mut out = vec![f64::NAN; x.len()];
        match self.method {
            Method::MinMax => methods::minmax(&x, self.dir, &peers, &mut out),
            Method::ZScore => methods::zscore(&x, self.dir, &peers, &mut out),
            _ => methods::percentile(&x, self.dir, &peers, &mut out),
        }
        let moved = (0..x.len())
            .filter(|&p| p != self.me && !x[p].is_nan())
            .map(|p| (self.members[p], out[p]))
            .collect();
        let mine = out[self.me];
        (if mine.is_nan() { 0.0 } else { mine }, moved)
    }

    /// The option: the value nearest today's that alone reaches the aim (`reaches` of the
    /// fraction and the others' fractions it gives), else the one that earns most — the
    /// best value ranked (`minmax`, `zscore`) or the nearest value past it (`percentile`),
    /// full points under `minmax` and `percentile`. (fraction, value, how.)
    fn option(
        &self,
        x_now: Option<f64>,
        iw: Option<&ImputedWith>,
        scope: &str,
        reaches: &mut Reaches<'_>,
    ) -> Result<(f64, f64, String), String> {
        let dir = self.dir;
        let up = dir == Direction::Higher;
        let o = |v: f64| toward(dir, v);
        let mut try_at = |v: f64| {
            let (f, moved) = self.at(v, iw);
            (f, reaches(f, &moved))
        };
        // The distinct values ranked better than today's, nearest first.
        let mut beyond: Vec<f64> = (self.others.iter().copied())
            .filter(|&w| x_now.is_none_or(|x| o(w) > o(x)))
            .collect();
        beyond.dedup();
        let best = beyond.last().copied();
        let decimals = self.decimals;
        match self.method {
            Method::Percentile => {
                // Each value ahead: equal to it (sharing its mean rank), then past it at the
                // data's precision but short of the next. Ties at today's value are passed
                // first.
                let tied_now = x_now.filter(|x| self.others.contains(x));
                let steps: Vec<f64> = tied_now.into_iter().chain(beyond.iter().copied()).collect();
                // (value, the value ahead it ties with or passes, whether it passes.)
                let mut props: Vec<(f64, f64, bool)> = Vec::new();
                for (i, &w) in steps.iter().enumerate() {
                    if !(i == 0 && tied_now.is_some()) {
                        props.push((w, w, false));
                    }
                    let next = steps.get(i + 1).copied();
                    let past = past_edge(w, up, x_now, decimals, |v| {
                        (o(v) > o(w) && next.is_none_or(|n| o(v) < o(n))).then_some(0.0)
                    });
                    if let Some((v, _)) = past {
                        props.push((v, w, true));
                    }
                }
                // The others (sorted worst to best) before `w`, or up to it.
                let before = |w: f64| self.others.partition_point(|&y| o(y) < o(w));
                let upto = |w: f64| self.others.partition_point(|&y| o(y) <= o(w));
                let how = |w: f64, passes: bool| {
                    let ranked =
                        |k: usize| format!("ranked entit{}", if k == 1 { "y" } else { "ies" });
                    let past = if up { "more" } else { "less" };
                    if !passes {
                        let k = upto(w) - before(w);
                        format!("equal to {}: level with {k} {}", fmt(w), ranked(k))
                    } else if upto(w) == self.others.len() {
                        format!(
                            "{past} than {}, the best value {scope} (full points)",
                            fmt(w)
                        )
                    } else {
                        let k = upto(w) - x_now.map_or(0, before);
                        format!("{past} than {}: ahead of {k} more {}", fmt(w), ranked(k))
                    }
                };
                let Some(last) = props.len().checked_sub(1) else {
                    return Err("no ranked entity has a better value".into());
                };
                // The first proposal that reaches (more of a lead never ranks lower), else
                // the last: full points.
                let pick = if try_at(props[last].0).1 {
                    let (mut lo, mut hi) = (0, last);
                    while lo < hi {
                        let mid = (lo + hi) / 2;
                        if try_at(props[mid].0).1 {
                            hi = mid;
                        } else {
                            lo = mid + 1;
                        }
                    }
                    hi
                } else {
                    last
                };
                let (v, w, passes) = props[pick];
                Ok((try_at(v).0, v, how(w, passes)))
            }
            _ => {
                // `minmax` and `zscore`: the fraction grows with the value up to the best value
                // ranked (`minmax`: full points there). Past it a new best still moves the
                // others — their `minmax` fractions fall; Φ(z) keeps growing towards its bound
                // as the mean and sd follow — so a value beyond it may reach the tier too.
                let minmax = matches!(self.method, Method::MinMax);
                let Some(start) = x_now.or_else(|| self.others.first().copied()) else {
                    return Err("no ranked entity to compare with".into());
                };
                let at_best = |b: f64, f: f64| {
                    let full = if minmax { " (full points)" } else { "" };
                    (f, b, format!("the best value {scope}, {}{full}", fmt(b)))
                };
                let (f_start, start_reaches) = try_at(start);
                if start_reaches {
                    if x_now.is_none() {
                        // No value today: reporting the worst value ranked already reaches.
                        return Ok((
                            f_start,
                            start,
                            format!(
                                "the worst value {scope}, {} (reporting it is enough)",
                                fmt(start)
                            ),
                        ));
                    }
                    // Already at the aim (a blocker holds and the score is there): the best.
                    return match best {
                        Some(b) => Ok(at_best(b, try_at(b).0)),
                        None => Err("already the best value ranked".into()),
                    };
                }
                // (lo, hi): a value that does not reach and one that does.
                let mut bracket = best.filter(|&b| try_at(b).1).map(|b| (start, b));
                if bracket.is_none() {
                    // Beyond the best value, in steps from the data's precision, doubling; lower
                    // is better and no value below 0 (intensities, counts, amounts): down to
                    // 0 and no further.
                    let base = best.unwrap_or(start);
                    let floor_at_zero = !up && base >= 0.0 && self.others.iter().all(|&y| y >= 0.0);
                    let mut lo = base;
                    let mut d = 10f64.powi(-decimals.clamp(0, 15));
                    let zero_in_domain = forward(self.tf, 0.0).is_finite();
                    for _ in 0..128 {
                        let mut v = if up { base + d } else { base - d };
                        if floor_at_zero && v <= 0.0 {
                            // 0 itself where the transform takes it; under `log10`/`ln`,
                            // halfway there at each step.
                            if !zero_in_domain {
                                v = lo / 2.0;
                                if v.abs() < 1e-12 * base.abs().max(1.0) {
                                    break;
                                }
                            } else if lo != 0.0 {
                                v = 0.0;
                            } else {
                                break;
                            }
                        }
                        if !v.is_finite() || v == lo {
                            break;
                        }
                        if try_at(v).1 {
                            bracket = Some((lo, v));
                            break;
                        }
                        if v == 0.0 {
                            break;
                        }
                        lo = v;
                        d *= 2.0;
                    }
                }
                match (bracket, best) {
                    (Some((lo, hi)), _) => {
                        let (v, f) = nearest_reaching(lo, hi, up, decimals, &mut try_at);
                        let how = match best {
                            Some(b) if minmax && o(v) > o(b) => format!(
                                "beyond the best value {scope}, {}: a new best lowers the others' points",
                                fmt(b)
                            ),
                            Some(b) if minmax => format!(
                                "scaled between the others' worst and the best value {scope} ({} and {})",
                                fmt(self.others[0]),
                                fmt(b)
                            ),
                            _ if minmax => format!("scaled among the values {scope}"),
                            _ => format!("z-score against the values {scope}"),
                        };
                        Ok((f, v, how))
                    }
                    (None, Some(b)) => Ok(at_best(b, try_at(b).0)),
                    (None, None) => Err(
                        "already the best value ranked: a better value moves the statistics with it, and no value alone reaches the tier".into(),
                    ),
                }
            }
        }
    }
}

/// The smallest value between `lo` (not reaching) and `hi` (reaching) that `try_at` says
/// reaches, by bisection, then rounded away from `lo` at the data's precision (`decimals`,
/// then one decimal more at a time) when that still reaches, else the shortest decimal near
/// it that does: (value, the fraction `try_at` gave it).
fn nearest_reaching(
    lo: f64,
    hi: f64,
    up: bool,
    decimals: i32,
    try_at: &mut dyn FnMut(f64) -> (f64, bool),
) -> (f64, f64) {
    let from = lo;
    let (mut lo, mut hi) = (lo, hi);
    // Finer than a hundredth of the data's last decimal is not shown.
    let fine = 10f64.powi(-(decimals.max(0) + 2));
    for _ in 0..80 {
        let mid = lo + (hi - lo) / 2.0;
        if mid == lo || mid == hi || (hi - lo).abs() < fine {
            break;
        }
        if try_at(mid).1 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    for k in decimals.max(0)..=15 {
        let m = 10f64.powi(k);
        // The nearest decimal first (a threshold met exactly lies on the grid, within the
        // bisection's last step below `hi`), then the one away from `lo`.
        let near = (hi * m).round() / m;
        let away = if up {
            (hi * m).ceil() / m
        } else {
            (hi * m).floor() / m
        };
        for cand in [near, away] {
            let beyond = if up { cand > from } else { cand < from };
            if !beyond {
                continue;
            }
            if let (f, true) = try_at(cand) {
                return (cand, f);
            }
        }
    }
    shortest_reaching(hi, up, |cand| {
        let (f, r) = try_at(cand);
        r.then_some(f)
    })
    .unwrap_or_else(|| (hi, try_at(hi).0))
}

/// Decimals of the shortest form of `x` (0 for whole numbers; 15 at most).
fn decimals_of(x: f64) -> i32 {
    let s = format!("{x}");
    match s.split_once('.') {
        Some((_, frac)) if !s.contains('e') => (frac.len() as i32).min(15),
        _ => 0,
    }
}

/// A value that earns a strict band (`above` / `below` threshold `t`): the nearest value
/// past `t` at the precision of the data (the decimals of the entity's value `x` or of `t`,
/// whichever has more, and at least `least_decimals`; then one decimal more at a time) that
/// `earns` accepts, with what it returned. The threshold itself does not earn a strict band.
fn past_edge(
    t: f64,
    above: bool,
    x: Option<f64>,
    least_decimals: i32,
    mut earns: impl FnMut(f64) -> Option<f64>,
) -> Option<(f64, f64)> {
    let d0 = decimals_of(t)
        .max(x.map_or(0, decimals_of))
        .max(least_decimals);
    for k in d0..=15 {
        let step = 10f64.powi(-k);
        // Rounded to k decimals, so that it prints as the decimal it stands for.
        let m = 10f64.powi(k);
        let v = ((if above { t + step } else { t - step }) * m).round() / m;
        if let Some(f) = earns(v) {
            return Some((v, f));
        }
    }
    None
}

/// The most data rows [`rescore_options_from_data`] runs a whole assessment per option on.
pub const FULL_RESCORE_ROWS: usize = 200_000;

/// Gap options in the order shown: score gained, largest first (SPEC §8), then criterion id.
fn by_score_gained(options: &mut [GapOption]) {
    options.sort_by(|x, y| {
        y.score_gained
            .total_cmp(&x.score_gained)
            .then_with(|| x.criterion.cmp(&y.criterion))
    });
}

/// Re-scores from the data each gap option whose indicator something else reads too
/// (`also_read_by`: another criterion, a formula, a gate, an adjustment, a tier condition,
/// the tie-break): the option's value goes into the entity's cell of a copy of the data
/// (divided by the indicator's `multiply`) and the whole assessment runs again, so
/// `score_after`, `tier_after` and `reaches_target` count every reader. Only for indicators
/// read straight from a number, yes/no or category column, rules without `[aggregate]`, and data of
/// at most [`FULL_RESCORE_ROWS`] rows; other options keep the re-score through their own
/// criterion. The value proposed is still the one found through that criterion.
pub fn rescore_options_from_data(
    rules: &crate::engine::CompiledRules,
    data: &crate::engine::Dataset,
    opts: &crate::engine::AssessOptions,
    scored_year: Option<i64>,
    x: &mut Explanation,
) {
    use crate::column::Column;
    use crate::data::fold_header;
    let r = rules.rules();
    let table = &data.table;
    if r.aggregate.is_some() || table.rows() > FULL_RESCORE_ROWS {
        return;
    }
    let Some(gap) = x.gap.as_mut() else {
        return;
    };
    let rows: Vec<usize> = (data.rows_of(r, &x.id).into_iter())
        .filter(|&(_, year)| year.is_none() || year == scored_year)
        .map(|(i, _)| i)
        .collect();
    let [row] = rows[..] else {
        return;
    };
    let target = r.tiers.iter().position(|t| t.id.value == gap.target_tier);
    for o in gap
        .options
        .iter_mut()
        .filter(|o| !o.also_read_by.is_empty())
    {
        let Some(ind) = r.indicator(&o.indicator) else {
            continue;
        };
        let crate::rules::Source::Column(column) = &ind.source else {
            continue;
        };
        let Some(j) = table.column_index(&fold_header(&column.value)) else {
            continue;
        };
        let mut copy = data.clone();
        match (&mut copy.table.columns[j], &o.to) {
            (Some(Column::Number(v)), serde_json::Value::Number(n)) => {
                let Some(to) = n.as_f64() else { continue };
                v[row] = to / ind.multiply.as_ref().map_or(1.0, |m| m.value);
            }
            (Some(Column::Number(v)), serde_json::Value::Bool(b)) => {
                v[row] = if *b { 1.0 } else { 0.0 };
            }
            (Some(Column::Bool(v)), serde_json::Value::Bool(b)) => v[row] = Some(*b),
            (Some(Column::Bool(v)), serde_json::Value::Number(n)) => {
                v[row] = Some(n.as_f64().is_some_and(|t| t != 0.0));
            }
            // A level (`B → A`): a tier condition on the category (`lv != 'A'`, a `direct`
            // of `lv == 'A'`) is evaluated again with it.
            (Some(Column::Text(t)), serde_json::Value::String(level)) => {
                let known = t.dict.iter().position(|s| s == level);
                let code = match known {
                    Some(k) => k,
                    None => {
                        std::sync::Arc::make_mut(&mut t.dict).push(level);
                        t.dict.len() - 1
                    }
                };
                t.codes[row] = code as u32;
            }
            _ => continue,
        }
        // Columns only: the entity's published score and tier are all that is read.
        let columns = crate::engine::AssessOptions {
            detail: crate::engine::Detail::Columns,
            ..opts.clone()
        };
        let Ok(after) = rules.assess_with(&copy, &columns) else {
            continue;
        };
        let sheet = &after.sheet;
        let Some(k) = (0..sheet.len()).find(|&k| sheet.ids.get(k) == Some(x.id.as_str())) else {
            continue;
        };
        let tier = sheet.tier[k].map(|t| t as usize);
        o.score_after = sheet.score[k];
        o.score_gained = crate::num::round_half_away(sheet.score[k] - x.score, r.settings.decimals);
        o.tier_after = tier.map(|t| r.tiers[t].id.value.clone());
        o.reaches_target = matches!((tier, target), (Some(t), Some(aim)) if t <= aim);
        o.rescored_from_data = true;
    }
    // The gains re-scored from the data can reorder the options (a change that another
    // reader of its indicator undoes gains less than its criterion alone).
    by_score_gained(&mut gap.options);
}

/// The whole of `clusterscore explain` for the entity with id `id`: [`explain_entity`], then
/// the options whose indicator other rules read too re-scored from `data`
/// ([`rescore_options_from_data`]). `a` is `rules.assess_with(data, opts)`. An id that is no
/// entity is a data error naming the closest id, or the entity a member row belongs to, or
/// the years the id has rows for.
pub fn explain_in_data(
    rules: &crate::engine::CompiledRules,
    data: &crate::engine::Dataset,
    a: &Assessment,
    opts: &crate::engine::AssessOptions,
    id: &str,
) -> crate::diag::Result<Explanation> {
    use crate::diag::{Diagnostic, Error, Stage};
    find_entity(a, id).map_err(|m| {
        // (An id found once trimmed is pointed at by find_entity's own did-you-mean.) An id
        // with rows of its own (another year, a member row) is no typing slip: no
        // did-you-mean of another id before the help that says where it is.
        Error::one(match row_hint(rules, data, id, a.audit.year) {
            Some(help) => Diagnostic::new(
                Stage::Data,
                format!("no entity with id '{id}' among the entities scored"),
            )
            .with_help(help),
            None => Diagnostic::new(Stage::Data, m),
        })
    })?;
    let mut x = explain_entity(rules.rules(), a, id)?;
    rescore_options_from_data(rules, data, opts, a.audit.year, &mut x);
    Ok(x)
}

/// For an id that is no entity but has rows in the data: a member row under `[aggregate]`
/// (its entity is named), or rows of years other than the scored one.
fn row_hint(
    compiled: &crate::engine::CompiledRules,
    data: &crate::engine::Dataset,
    id: &str,
    scored_year: Option<i64>,
) -> Option<String> {
    let r = compiled.rules();
    let table = &data.table;
    let fold = crate::data::fold_header;
    let rows = data.rows_of(r, id.trim());
    rows.first()?;
    let in_scored: Vec<usize> = (rows.iter())
        .filter(|&&(_, year)| scored_year.is_none() || year == scored_year)
        .map(|&(i, _)| i)
        .collect();
    if let Some(agg) = &r.aggregate
        && let Some(&row) = in_scored.first()
    {
        let entity = table.column(&fold(&agg.by.value))?.display(row)?;
        return Some(format!(
            "'{id}' is a member row ([aggregate] by = \"{}\"); its entity is '{entity}': explain --id {entity}",
            agg.by.value
        ));
    }
    if !in_scored.is_empty() {
        return None;
    }
    let mut found: Vec<i64> = rows.iter().filter_map(|&(_, year)| year).collect();
    found.sort_unstable();
    found.dedup();
    let latest = *found.last()?;
    Some(format!(
        "'{id}' has rows for {} {}, but the year scored is {}: choose one with --year {latest}",
        if found.len() == 1 { "year" } else { "years" },
        found
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        scored_year.map_or("another".to_string(), |y| y.to_string()),
    ))
}

/// [`explain`] for the entity with id `id`: the error says when there is no such entity
/// (a data error naming the closest id) or when `a` was not scored with `rules`. It reads
/// the assessment only: [`explain_in_data`] also re-scores from the data the options whose
/// indicator other rules read, as the command does.
pub fn explain_entity(rules: &Rules, a: &Assessment, id: &str) -> crate::diag::Result<Explanation> {
    let (k, _) = find_entity(a, id).map_err(|m| {
        crate::diag::Error::one(crate::diag::Diagnostic::new(crate::diag::Stage::Data, m))
    })?;
    explain(rules, a, k)
}

/// Explains entity `k` (its place in output order, as [`find_entity`] returns it) of an
/// assessment made with `rules`. A usage error when `k` is past the entities, when `a` was
/// not scored with `rules`, or when its entities no longer match the rest of it (edited
/// after scoring). [`explain_entity`] looks the entity up by id.
pub fn explain(rules: &Rules, a: &Assessment, k: usize) -> crate::diag::Result<Explanation> {
    use crate::diag::Error;
    if !a.scored_with(rules) {
        return Err(Error::usage(
            "the assessment was not scored with these rules (their dimensions, criteria, \
             adjustments, tiers or gates differ)",
        ));
    }
    let n = Roster::of(a).len();
    if n == 0 && a.summary.entities > 0 {
        return Err(Error::usage(NO_ENTITY_RESULTS));
    }
    if a.summary.entities != n || a.evidence.as_ref().is_some_and(|ev| ev.len() != n) {
        return Err(Error::usage(format!(
            "the assessment holds {n} entity results but scored {} entities: its entities \
             were edited after scoring; explain an assessment as it was scored",
            a.summary.entities
        )));
    }
    if k >= n {
        return Err(Error::usage(format!(
            "entity {k} is past the assessment's {n} entities (they are numbered from 0)"
        )));
    }
    Ok(explain_checked(rules, a, k))
}

/// [`explain`] once its arguments are checked.
fn explain_checked(rules: &Rules, a: &Assessment, k: usize) -> Explanation {
    let roster = Roster::of(a);
    let ent = roster.result(k);
    let ent = ent.as_ref();
    let ev = a.evidence.as_deref();
    let r = rules;
    let e = k;

    let dimensions = a
        .layout
        .dimensions
        .iter()
        .map(|d| DimensionLine {
            id: d.id.clone(),
            label: d.label.clone(),
            score: ent.dimensions.get(&d.id).copied().unwrap_or(0.0),
            max: d.value.unwrap_or(0.0),
        })
        .collect();
    let criteria: Vec<CriterionLine> = a
        .layout
        .criteria
        .iter()
        .map(|c| {
            let cr = ent.criteria.get(&c.id);
            CriterionLine {
                id: c.id.clone(),
                label: c.label.clone(),
                dimension: c.dimension.clone(),
                indicator: c.indicator.clone(),
                unit: c.unit.clone(),
                method: c.method.clone(),
                value: cr.and_then(|x| x.value.clone()),
                fraction: cr.and_then(|x| x.fraction),
                points: cr.and_then(|x| x.points),
                max: c.points,
                missing: cr.and_then(|x| x.missing.clone()),
            }
        })
        .collect();

    // Gates: exclude gates before the failing one passed; cap gates from the notes.
    let excl_pos = ent
        .excluded_by
        .as_ref()
        .and_then(|g| r.gates.iter().position(|x| &x.id.value == g));
    // (A cap listed before the excluding gate is not applied either: name that gate.)
    let not_applied = ent
        .excluded_by
        .as_ref()
        .map(|g| format!("not applied: excluded by gate '{g}'"));
    let gates = r
        .gates
        .iter()
        .enumerate()
        .map(|(g, gate)| {
            let id = &gate.id.value;
            let (effect, status, detail) = match &gate.effect {
                crate::rules::GateEffect::Exclude => {
                    let prefix = format!("excluded by gate '{id}'");
                    let note = ent.notes.iter().find(|n| n.starts_with(&prefix));
                    match excl_pos {
                        Some(p) if p == g => {
                            ("exclude".to_string(), "failed".to_string(), note.cloned())
                        }
                        Some(p) if g > p => (
                            "exclude".to_string(),
                            not_applied.clone().unwrap_or_default(),
                            None,
                        ),
                        _ => ("exclude".to_string(), "passed".to_string(), None),
                    }
                }
                crate::rules::GateEffect::MaxTier(t) => {
                    let prefix = format!("gate '{id}' failed");
                    let note = ent.notes.iter().find(|n| n.starts_with(&prefix));
                    let status = match &not_applied {
                        Some(s) => s.clone(),
                        None if note.is_some() => "failed".to_string(),
                        None => "passed".to_string(),
                    };
                    (format!("cap at {}", t.value), status, note.cloned())
                }
            };
            GateLine {
                id: id.clone(),
                label: gate.label.clone().unwrap_or_else(|| id.clone()),
                require: gate.require.value.clone(),
                effect,
                status,
                detail,
            }
        })
        .collect();
    let adjustments = r
        .adjustments
        .iter()
        .map(|adj| {
            let got = ent.adjustments.get(&adj.id.value).copied().unwrap_or(0.0);
            AdjustmentLine {
                id: adj.id.value.clone(),
                label: adj.label.clone().unwrap_or_else(|| adj.id.value.clone()),
                when: adj.when.value.clone(),
                points: adj.points,
                applied: got != 0.0,
            }
        })
        .collect();

    let mut out = Explanation {
        id: ent.id.clone(),
        name: ent.name.clone(),
        rank: ent.rank,
        ranked: a.summary.ranked,
        score: ent.score,
        max_score: a.layout.max_score,
        tier: ent.tier.clone(),
        tier_label: ent.tier_label.clone(),
        excluded_by: ent.excluded_by.clone(),
        cohort: ent.cohort.clone(),
        dimensions,
        criteria,
        gates,
        adjustments,
        tier_trace: Vec::new(),
        gap: None,
        notes: ent.notes.clone(),
        warnings: a.warnings.clone(),
    };
    let Some(ev) = ev else { return out };
    out.ranked = (0..ev.len())
        .filter(|&x| ev.ranked[x] && ev.cohort[x] == ev.cohort[e])
        .count();

    // Tier trace, from the top tier down, with the run's placements.
    let tier_of: Vec<Option<usize>> = (0..roster.len())
        .map(|x| roster.tier(x, &ev.tiers))
        .collect();
    let given = tier_of[e];
    let ranked_in_cohort = (0..ev.len())
        .filter(|&x| ev.ranked[x] && ev.cohort[x] == ev.cohort[e])
        .count();
    for (t, rule) in ev.tiers.iter().enumerate() {
        let tier = &r.tiers[t];
        let min = rule.min_score.get(e);
        let meets = min.is_nan() || crate::num::ge(ent.score, min);
        let quota = quota_of(rule.max_count, rule.top_percent, ranked_in_cohort);
        let placed_ahead = match ent.rank {
            Some(my) => (0..ev.len())
                .filter(|&x| {
                    ev.cohort[x] == ev.cohort[e]
                        && tier_of[x] == Some(t)
                        && roster.rank(x).is_some_and(|rk| rk < my)
                })
                .count(),
            None => 0,
        };
        let capped_at = ev
            .cap_of(e)
            .filter(|&c| t < c)
            .map(|c| ev.tiers[c].id.clone());
        let mut reasons = Vec::new();
        if ent.rank.is_none() {
            reasons.push(format!(
                "excluded by gate '{}': no rank and no tier",
                ent.excluded_by.as_deref().unwrap_or("?")
            ));
        } else if given.is_some_and(|g| g < t) {
            reasons.push("not needed: placed in a higher tier".into());
        } else {
            if let Some(c) = &capped_at {
                reasons.push(format!("capped by a gate at tier '{c}'"));
            }
            match rule.requires[e] {
                Some(true) if !tier.requires.is_empty() => reasons.push("requires met".into()),
                Some(true) => {}
                Some(_) | None => reasons.push(unmet_requires(rule, tier, e)),
            }
            if min.is_nan() {
                reasons.push("no minimum score".into());
            } else if meets {
                reasons.push(format!("score {} ≥ min_score {}", fmt(ent.score), fmt(min)));
            } else {
                reasons.push(format!(
                    "score {} < min_score {} (short by {})",
                    fmt(ent.score),
                    fmt(min),
                    fmt(crate::num::round_half_away(min - ent.score, ev.decimals))
                ));
                if rule.direct[e] {
                    reasons.push("a direct condition holds: min_score waived".into());
                } else if rule.direct_unknown.get(e) == Some(&true) {
                    reasons.push(
                        "direct: a value was missing (counts as not met; min_score not waived)"
                            .into(),
                    );
                } else if !tier.direct.is_empty() {
                    let listed: Vec<&str> = tier.direct.iter().map(|x| x.value.as_str()).collect();
                    reasons.push(format!(
                        "no direct condition holds ({}): min_score not waived",
                        listed.join("; ")
                    ));
                }
            }
            if quota != usize::MAX {
                let full = placed_ahead >= quota;
                reasons.push(format!(
                    "quota {quota}: {placed_ahead} placed ahead{}",
                    if full { " — full" } else { "" }
                ));
            }
            if given == Some(t) {
                reasons.push("given".into());
            }
        }
        out.tier_trace.push(TierStep {
            id: rule.id.clone(),
            label: tier.label().to_string(),
            given: given == Some(t),
            min_score: (!min.is_nan()).then_some(min),
            meets_min_score: meets,
            requires: tier.requires.iter().map(|x| x.value.clone()).collect(),
            requires_met: rule.requires[e],
            direct: tier.direct.iter().map(|x| x.value.clone()).collect(),
            direct_holds: rule.direct[e],
            quota: (quota != usize::MAX).then_some(quota),
            placed_ahead,
            capped_at,
            reasons,
        });
    }

    // Gap analysis for the next tier up.
    if ent.rank.is_none() || ev.tiers.is_empty() {
        return out;
    }
    let target = match given {
        Some(0) => return out,
        Some(t) => t - 1,
        None => ev.tiers.len() - 1,
    };
    out.gap = Some(gap(r, a, ev, ent, e, target, &tier_of));
    out
}

/// The `requires` conditions of `tier` that entity `e` did not meet, each marked when a
/// missing value left it unmet (which counts as not met).
fn unmet_requires(
    rule: &crate::engine::evidence::TierRule,
    tier: &crate::rules::Tier,
    e: usize,
) -> String {
    unmet_requires_where(rule, tier, e, &|_| true).unwrap_or_else(|| "requires not met".into())
}

/// [`unmet_requires`] of the conditions `keep` picks (by their place in `requires`);
/// `None` when none of them is unmet.
fn unmet_requires_where(
    rule: &crate::engine::evidence::TierRule,
    tier: &crate::rules::Tier,
    e: usize,
    keep: &dyn Fn(usize) -> bool,
) -> Option<String> {
    let mask = rule.requires_unmet.get(e).copied();
    let mut failed = Vec::new();
    let mut missing = false;
    for (i, c) in tier.requires.iter().enumerate() {
        if !keep(i) {
            continue;
        }
        let (is_false, is_missing) = match mask {
            // One condition: the tier's outcome is its outcome.
            None => (rule.requires[e] == Some(false), rule.requires[e].is_none()),
            // Conditions after the 32nd are not traced one by one (see below).
            Some(_) if i >= 32 => (false, false),
            Some(m) => (m >> i & 1 == 1, m >> (32 + i) & 1 == 1),
        };
        if is_false {
            failed.push(c.value.clone());
        } else if is_missing {
            missing = true;
            failed.push(format!("{} (a value was missing)", c.value));
        }
    }
    if failed.is_empty() {
        if !(32..tier.requires.len()).any(keep) {
            return None;
        }
        // Every traced condition held: one after the 32nd did not.
        failed.push(format!(
            "one of conditions 33–{} (not traced one by one)",
            tier.requires.len()
        ));
    }
    let text = if mask.is_none() && tier.requires.len() > 1 {
        // (Not traced one by one: a run without per-entity results.)
        format!("requires not met (one or more of): {}", failed.join("; "))
    } else {
        format!("requires not met: {}", failed.join("; "))
    };
    Some(if missing {
        format!("{text}; a missing value counts as not met")
    } else {
        text
    })
}

fn fmt(x: f64) -> String {
    crate::column::format_display(x)
}

#[allow(clippy::too_many_lines)]
/// The gap of entity `e` (whose result is `ent`) to tier `target`.
fn gap(
    r: &Rules,
    a: &Assessment,
    ev: &Evidence,
    ent: &EntityResult,
    e: usize,
    target: usize,
    tier_of: &[Option<usize>],
) -> Gap {
    let roster = Roster::of(a);
    let rule = &ev.tiers[target];
    let tier = &r.tiers[target];
    let mut blockers = Vec::new();
    // Conditions that read scores are evaluated again with each option: not blockers.
    let mut unmet_now = Vec::new();
    let post = ev.post.as_deref();
    let requires_move = post.is_some_and(|p| p.requires_read_scores(target));
    let caps_move = post.is_some_and(|p| p.caps_read_scores());
    if rule.requires[e] != Some(true) {
        // Each condition where they are traced one by one: those on data block, those
        // reading scores are re-evaluated per option.
        let reading = post.map(|p| p.requires_reading_scores(target));
        match reading {
            Some(reading)
                if requires_move
                    && reading.len() == tier.requires.len()
                    && rule.requires_unmet.get(e).is_some() =>
            {
                if let Some(text) = unmet_requires_where(rule, tier, e, &|i| !reading[i]) {
                    blockers.push(text);
                }
                if let Some(text) = unmet_requires_where(rule, tier, e, &|i| reading[i]) {
                    unmet_now.push(text);
                }
            }
            _ if requires_move => unmet_now.push(unmet_requires(rule, tier, e)),
            _ => blockers.push(unmet_requires(rule, tier, e)),
        }
    }
    if let Some(c) = ev.cap_of(e).filter(|&c| target < c) {
        // A cap from gates on data holds whatever the scores; one from a gate reading
        // scores is re-evaluated per option.
        let data_cap = post.and_then(|p| p.data_cap_of(e)).filter(|&d| target < d);
        let (list, c) = match data_cap {
            Some(d) => (&mut blockers, d),
            None if caps_move => (&mut unmet_now, c),
            None => (&mut blockers, c),
        };
        list.push(format!(
            "a capping gate limits this entity to tier '{}'",
            ev.tiers[c].id
        ));
    }
    let ranked_in_cohort = (0..ev.len())
        .filter(|&x| ev.ranked[x] && ev.cohort[x] == ev.cohort[e])
        .count();
    // The score tier `t` asks of this entity: its minimum (none under a direct condition)
    // and, when its quota is full, the last entity placed there is the one to overtake.
    let needed_for = |t: usize| -> f64 {
        let rule = &ev.tiers[t];
        let min = rule.min_score.get(e);
        let mut needed = if rule.direct[e] || min.is_nan() {
            f64::NEG_INFINITY
        } else {
            min
        };
        let quota = quota_of(rule.max_count, rule.top_percent, ranked_in_cohort);
        let members: Vec<usize> = (0..ev.len())
            .filter(|&x| ev.cohort[x] == ev.cohort[e] && tier_of[x] == Some(t))
            .collect();
        if members.len() >= quota
            && let Some(&last) = members.iter().max_by_key(|&&x| roster.rank(x).unwrap_or(0))
        {
            // At that score the tie-break decides; losing it, one unit of the published
            // precision more is needed.
            let at = roster.score(last);
            let to_pass = if ev.tie_order(e, last) == std::cmp::Ordering::Less {
                at
            } else {
                crate::num::round_half_away(at + 10f64.powi(-(ev.decimals as i32)), ev.decimals)
            };
            needed = needed.max(to_pass);
        }
        needed
    };
    let mut needed = needed_for(target);
    // A higher tier open to this entity by score alone (its requires hold without reading
    // scores, no cap below it) that asks less than the target, whose quota is full: that
    // score is what moves the entity up.
    let mut reached_first = None;
    for h in 0..target {
        let open = ev.tiers[h].requires[e] == Some(true)
            && !post.is_some_and(|p| p.requires_read_scores(h))
            && ev.cap_of(e).is_none_or(|c| h >= c);
        let asks = if open { needed_for(h) } else { f64::NAN };
        if asks.is_finite() && asks < needed {
            needed = asks;
            reached_first = Some(ev.tiers[h].id.clone());
        }
    }
    if needed == f64::NEG_INFINITY {
        needed = ent.score;
    }
    let points_missing = crate::num::round_half_away((needed - ent.score).max(0.0), ev.decimals);

    // Re-scoring with one fraction changed.
    let mut work = ev.clone();
    let base_weights = ev.weights.clone();
    let base_points = ev.points.clone();
    let blocked = !blockers.is_empty();
    // Each try moves one criterion's fractions: the other dimensions keep these.
    let base_dim = ev.dimension_fractions(&base_points);
    // With fraction `s` for criterion `c`, and the fractions `moved` of other entities
    // (those whose imputed value follows this entity's).
    let mut eval = |c: usize, s: f64, moved: &[(usize, f64)]| -> (f64, Option<usize>) {
        let old = work.fractions[[e, c]];
        work.fractions[[e, c]] = s;
        let kept: Vec<f64> = moved.iter().map(|&(y, _)| work.fractions[[y, c]]).collect();
        for &(y, f) in moved {
            work.fractions[[y, c]] = f;
        }
        let res = work.rescore_moved(
            Some((&base_dim, c)),
            &base_weights,
            &base_points,
            work.aggregation,
        );
        work.fractions[[e, c]] = old;
        for (&(y, _), f) in moved.iter().zip(kept) {
            work.fractions[[y, c]] = f;
        }
        (res.scores[e], res.tier[e])
    };
    // What a proposal aims at: the target tier; while a blocker holds, the score needed.
    let reaches = |score: f64, t: Option<usize>| -> bool {
        if blocked {
            crate::num::ge(score, needed)
        } else {
            t.is_some_and(|t| t <= target)
        }
    };
    let gets_target = |t: Option<usize>| t.is_some_and(|t| t <= target);

    let mut options = Vec::new();
    let mut no_option = Vec::new();
    // Whether an option of a relative method moves the others' fractions.
    let mut relative_options = false;
    // Where a relative method's proposed value is placed.
    let scope = if ev.cohort_names.is_empty() {
        "ranked"
    } else {
        "ranked in its cohort"
    };
    for (c, crit) in r.criteria.iter().enumerate() {
        let id = crit.id.value.clone();
        let cr = ent.criteria.get(&id);
        let s_now = ev.fractions[[e, c]];
        let pts = ev.points[c];
        let value = cr.and_then(|x| x.value.clone());
        let x_now = num(&value);
        let tf = crit.transform.as_ref().map(|t| t.value);
        let params = ev.params.get(c);
        let p = |i: usize| -> f64 {
            params
                .and_then(|ps| ps.get(i))
                .map_or(f64::NAN, |v: &ParamValues| v.get(e))
        };
        if s_now.is_nan() {
            no_option.push(NoOption {
                criterion: id,
                reason: "dropped for this entity (missing value under policy 'exclude'): report a value to be scored on it".into(),
            });
            continue;
        }
        if pts <= 0.0 || s_now >= 1.0 {
            no_option.push(NoOption {
                criterion: id,
                reason: "already at full points".into(),
            });
            continue;
        }
        let ind_dir = r
            .indicator(&crit.indicator.value)
            .map_or(Direction::Higher, |i| i.direction);
        let imputed_with = ImputedWith::find(a, ev, e, c, crit, r.missing_policy(crit));
        // A relative method: the cohort's values, scored again with each proposed value.
        let relative = if crit.method.is_relative() {
            let peers = RelativePeers::new(a, ev, e, c, crit, tf, ind_dir, imputed_with.as_ref());
            if peers.is_none() {
                no_option.push(NoOption {
                    criterion: id,
                    reason: format!("relative method '{}': its points depend on the other entities' values, and the run's fractions could not be reproduced from them, so no gap is computed", crit.method.name()),
                });
                continue;
            }
            peers
        } else {
            None
        };
        // The other entities' fractions at the value `v` (those whose imputed value follows
        // it; under a relative method, every member of the cohort with a value).
        let moved_at = |v: Option<f64>| -> Vec<(usize, f64)> {
            if let Some(rp) = &relative {
                return v.map_or_else(Vec::new, |v| rp.at(v, imputed_with.as_ref()).1);
            }
            let (Some(iw), Some(v)) = (&imputed_with, v) else {
                return Vec::new();
            };
            let stat = iw.statistic(v);
            (iw.imputed.iter())
                .map(|&y| {
                    let py = |i: usize| {
                        params
                            .and_then(|ps| ps.get(i))
                            .map_or(f64::NAN, |pv: &ParamValues| pv.get(y))
                    };
                    (y, fraction_at(&crit.method, tf, ind_dir, pts, &py, stat))
                })
                .collect()
        };
        // Candidate (new fraction, new value, how); None = no option, with a reason.
        let candidate: Result<(f64, serde_json::Value, String, Option<f64>), String> =
            match &crit.method {
                Method::Bands(bands) => {
                    let now_pts = s_now * pts;
                    // (A value outside the transform's domain earns no band: 0, not NaN.)
                    let band_frac =
                        |v: f64| fraction_at(&crit.method, tf, ind_dir, pts, &p, v).max(0.0);
                    // Ranked by distance from the value; with no value (missing under
                    // `zero`), by the points the band pays: the least that is still more.
                    // (key, value, frac, how) of every band paying more.
                    let mut found: Vec<((f64, f64), f64, f64, String)> = Vec::new();
                    for (b, band) in bands.iter().enumerate() {
                        let t = p(2 * b);
                        let bp = p(2 * b + 1);
                        if bp <= now_pts + 1e-12 || t.is_nan() {
                            continue;
                        }
                        // The value on the band's edge; for a strict band, the nearest value
                        // past it at the data's precision that the band function accepts.
                        let (v, frac) = match band.op {
                            BandOp::AtLeast | BandOp::AtMost => (t, band_frac(t)),
                            BandOp::Above | BandOp::Below => {
                                match past_edge(t, band.op == BandOp::Above, x_now, 0, |v| {
                                    let f = band_frac(v);
                                    (f > s_now).then_some(f)
                                }) {
                                    Some(vf) => vf,
                                    None => continue,
                                }
                            }
                        };
                        if frac <= s_now {
                            continue;
                        }
                        let key = x_now.map_or((bp, b as f64), |x| ((v - x).abs(), b as f64));
                        let how = match band.op {
                            BandOp::AtLeast => format!("at least {}", fmt(t)),
                            BandOp::Above => format!("more than {}", fmt(t)),
                            BandOp::AtMost => format!("at most {}", fmt(t)),
                            BandOp::Below => format!("less than {}", fmt(t)),
                        };
                        found.push((key, v, frac, how));
                    }
                    // The nearest band that reaches the aim (a band further off may reach
                    // the tier where the next one does not); else the nearest.
                    found.sort_by(|x, y| x.0.0.total_cmp(&y.0.0).then(x.0.1.total_cmp(&y.0.1)));
                    if found.is_empty() {
                        Err("no band pays more".to_string())
                    } else {
                        let pick = found
                            .iter()
                            .position(|(_, v, f, _)| {
                                let (sc, t) = eval(c, *f, &moved_at(Some(*v)));
                                reaches(sc, t)
                            })
                            .unwrap_or(0);
                        let (_, v, f, how) = found.swap_remove(pick);
                        Ok((f, json_num(v), how, None))
                    }
                }
                Method::Per { .. } => {
                    let step = p(0);
                    let pps = p(1);
                    let x = x_now.unwrap_or(0.0).max(0.0);
                    if step <= 0.0 || pps <= 0.0 {
                        Err("no step pays more".into())
                    } else {
                        let k0 = (x / step + 1e-9).floor().max(0.0);
                        // Whole steps k and what they pay: the fewest more than now that
                        // reach the aim, else one more. More steps never score less, so the
                        // fewest is found by bisection up to the steps that pay in full.
                        let at = |k: f64| (((k * pps).min(pts) / pts).clamp(0.0, 1.0), k * step);
                        let mut reaches_at = |k: f64| {
                            let (f, v) = at(k);
                            let (sc, t) = eval(c, f, &moved_at(Some(v)));
                            reaches(sc, t)
                        };
                        let full = (pts / pps).ceil().clamp(k0 + 1.0, k0 + 1e12);
                        let chosen = if reaches_at(full) {
                            let (mut lo, mut hi) = (k0, full); // lo does not reach, hi does
                            while hi - lo > 1.0 {
                                let mid = ((lo + hi) / 2.0).floor();
                                if reaches_at(mid) {
                                    hi = mid;
                                } else {
                                    lo = mid;
                                }
                            }
                            hi
                        } else {
                            k0 + 1.0
                        };
                        let (f, v) = at(chosen);
                        let k = chosen - 1.0;
                        if f <= s_now {
                            Err("already at the cap".into())
                        } else {
                            Ok((
                                f,
                                json_num(v),
                                format!(
                                    "{} whole step{} of {}",
                                    k + 1.0,
                                    if k == 0.0 { "" } else { "s" },
                                    fmt(step)
                                ),
                                None,
                            ))
                        }
                    }
                }
                Method::Levels(levels) => {
                    let now_pts = s_now * pts;
                    let mut more: Vec<(&String, f64)> = levels
                        .iter()
                        .enumerate()
                        .map(|(i, (name, _))| (name, p(i)))
                        .filter(|(_, lp)| *lp > now_pts + 1e-12)
                        .collect();
                    more.sort_by(|x, y| x.1.total_cmp(&y.1));
                    // The level paying least that reaches the aim; else the least paying more.
                    let pick = more
                        .iter()
                        .position(|(_, lp)| {
                            let (sc, t) = eval(c, (lp / pts).clamp(0.0, 1.0), &[]);
                            reaches(sc, t)
                        })
                        .unwrap_or(0);
                    more.get(pick)
                        .copied()
                        .map(|(name, lp)| {
                            (
                                (lp / pts).clamp(0.0, 1.0),
                                serde_json::Value::String(name.clone()),
                                format!("level '{name}'"),
                                None,
                            )
                        })
                        .ok_or_else(|| "no level pays more".to_string())
                }
                // A bool indicator becomes true; a number one non-zero (1: `true` in a number
                // column is a data error).
                Method::Flag => Ok(
                    if matches!(value, Some(serde_json::Value::Bool(_)))
                        || (value.is_none()
                            && r.indicator(&crit.indicator.value)
                                .is_some_and(|i| i.kind == crate::rules::Kind::Bool))
                    {
                        (
                            1.0,
                            serde_json::Value::Bool(true),
                            "becoming true".into(),
                            None,
                        )
                    } else {
                        (1.0, json_num(1.0), "becoming non-zero".into(), None)
                    },
                ),
                Method::Linear { .. } | Method::Target { .. } | Method::Direct => {
                    // The value that earns fraction `f`.
                    let value_for = |f: f64| match &crit.method {
                        Method::Linear { .. } => {
                            let (tfl, ttg) = (forward(tf, p(0)), forward(tf, p(1)));
                            inverse(tf, tfl + f * (ttg - tfl))
                        }
                        Method::Target { .. } => {
                            let tt = forward(tf, p(0));
                            inverse(
                                tf,
                                match ind_dir {
                                    Direction::Higher => f * tt,
                                    Direction::Lower => tt / f,
                                },
                            )
                        }
                        _ => inverse(tf, f * pts),
                    };
                    // Smallest fraction in (s_now, 1] that reaches the target; else full points.
                    let (sc1, t1) = eval(c, 1.0, &moved_at(Some(value_for(1.0))));
                    let (sc0, t0) = eval(c, s_now, &[]);
                    // Already at the aim (a blocker holds and the score is there): the
                    // smallest change would earn nothing shown; full points instead.
                    let f = if reaches(sc1, t1) && !reaches(sc0, t0) {
                        let (mut lo, mut hi) = (s_now, 1.0);
                        for _ in 0..60 {
                            let mid = 0.5 * (lo + hi);
                            let (sc, t) = eval(c, mid, &moved_at(Some(value_for(mid))));
                            if reaches(sc, t) {
                                hi = mid;
                            } else {
                                lo = mid;
                            }
                        }
                        hi
                    } else {
                        1.0
                    };
                    let v = value_for(f);
                    let (how, slope) = match &crit.method {
                        Method::Linear { .. } => {
                            let (fl, tg) = (p(0), p(1));
                            let slope = if tf.is_none() {
                                Some(pts / (tg - fl))
                            } else {
                                None
                            };
                            let how = if f >= 1.0 {
                                format!("the target {} (full points)", fmt(tg))
                            } else {
                                format!("linear between {} and {}", fmt(fl), fmt(tg))
                            };
                            (how, slope)
                        }
                        Method::Target { .. } => {
                            let tg = p(0);
                            let how = if f >= 1.0 {
                                format!("the target {} (full points)", fmt(tg))
                            } else {
                                format!("proportional to the target {}", fmt(tg))
                            };
                            // Higher is better: points × x / target, a straight line below
                            // the target (lower is better, target / x, is not one).
                            let slope =
                                (tf.is_none() && ind_dir == Direction::Higher).then(|| pts / tg);
                            (how, slope)
                        }
                        // `direct`: the value is the points, one point per unit.
                        _ => ("points given directly".to_string(), Some(1.0)),
                    };
                    // The value shown is one the engine scores as reaching: the bisection's
                    // fraction mapped back through floating point can land an ulp short
                    // (4.248499999999997 for 4.2485), so take the shortest decimal near it
                    // that, scored as data, still reaches, and report its own fraction.
                    let at = |v: f64| fraction_at(&crit.method, tf, ind_dir, pts, &p, v);
                    let up = match &crit.method {
                        Method::Linear { .. } => forward(tf, p(1)) >= forward(tf, p(0)),
                        Method::Target { .. } => ind_dir == Direction::Higher,
                        _ => true,
                    };
                    let full_needed = f >= 1.0;
                    let (v, f) = shortest_reaching(v, up, |cand| {
                        let fc = at(cand);
                        let ok = if full_needed {
                            fc >= 1.0
                        } else {
                            let (sc, t) = eval(c, fc, &moved_at(Some(cand)));
                            reaches(sc, t)
                        };
                        ok.then_some(fc)
                    })
                    .unwrap_or((v, at(v)));
                    if f <= s_now {
                        Err("no gain".into())
                    } else {
                        Ok((f, json_num(v), how, slope))
                    }
                }
                Method::MinMax | Method::ZScore | Method::Percentile => match &relative {
                    Some(rp) => rp
                        .option(x_now, imputed_with.as_ref(), scope, &mut |f, moved| {
                            let (sc, t) = eval(c, f, moved);
                            reaches(sc, t)
                        })
                        .and_then(|(f, v, how)| {
                            if f <= s_now {
                                Err("no value alone earns more".to_string())
                            } else {
                                Ok((f, json_num(v), how, None))
                            }
                        }),
                    None => Err("relative method: no peers".into()),
                },
            };
        match candidate {
            Err(reason) => no_option.push(NoOption {
                criterion: id,
                reason,
            }),
            Ok((f, to, how, slope)) => {
                relative_options |= relative.is_some();
                let moved = moved_at(num(&Some(to.clone())));
                let (score_after, tier_after) = eval(c, f, &moved);
                let change = match (&to, x_now) {
                    (serde_json::Value::Number(n), Some(x)) => n
                        .as_f64()
                        // 4.2485 − 2 shown as 2.2485, not with the subtraction's binary tail.
                        .map(|t| crate::num::round_half_away(t - x, 10)),
                    _ => None,
                };
                options.push(GapOption {
                    criterion: id,
                    indicator: crit.indicator.value.clone(),
                    method: crit.method.name().to_string(),
                    from: value,
                    to,
                    change,
                    how,
                    criterion_points_before: crate::num::round_half_away(s_now * pts, ev.decimals),
                    criterion_points_after: crate::num::round_half_away(f * pts, ev.decimals),
                    score_after,
                    score_gained: crate::num::round_half_away(score_after - ent.score, ev.decimals),
                    tier_after: tier_after.map(|t| ev.tiers[t].id.clone()),
                    reaches_target: gets_target(tier_after),
                    slope,
                    also_read_by: other_readers(r, &crit.indicator.value, &crit.id.value),
                    imputed_from_it: imputed_with.as_ref().map_or_else(Vec::new, |iw| {
                        (iw.imputed.iter().take(20))
                            .map(|&y| roster.id(y).to_string())
                            .collect()
                    }),
                    imputed_count: imputed_with.as_ref().map_or(0, |iw| iw.imputed.len()),
                    rescored_from_data: false,
                });
            }
        }
    }
    by_score_gained(&mut options);
    Gap {
        target_tier: rule.id.clone(),
        target_label: tier.label().to_string(),
        score_needed: needed,
        points_missing,
        reached_first,
        scores_move: ev.aggregation == crate::rules::Aggregation::Topsis
            || relative_options
            || options.iter().any(|o| !o.imputed_from_it.is_empty()),
        blockers,
        unmet_now,
        options,
        no_option,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_imputed_statistic_takes_the_new_value_in_its_place() {
        let median = ImputedWith {
            mean: false,
            others: vec![(0, 1.0), (2, 5.0), (3, 9.0)],
            imputed: vec![1],
        };
        // median(0, 1, 5, 9) = 3; median(1, 5, 7, 9) = 6; median(1, 5, 9, 10) = 7.
        assert_eq!(median.statistic(0.0), 3.0);
        assert_eq!(median.statistic(7.0), 6.0);
        assert_eq!(median.statistic(10.0), 7.0);
        let odd = ImputedWith {
            mean: false,
            others: vec![(0, 1.0), (2, 5.0)],
            imputed: vec![1],
        };
        // median(1, 4, 5) = 4; median(1, 5, 8) = 5.
        assert_eq!(odd.statistic(4.0), 4.0);
        assert_eq!(odd.statistic(8.0), 5.0);
        let mean = ImputedWith {
            mean: true,
            others: vec![(0, 1.0), (2, 5.0)],
            imputed: vec![1],
        };
        approx::assert_relative_eq!(mean.statistic(3.0), 3.0);
        approx::assert_relative_eq!(mean.statistic(12.0), 6.0);
    }

    #[test]
    fn decimals_are_those_of_the_shortest_form() {
        assert_eq!(decimals_of(55.0), 0);
        assert_eq!(decimals_of(21.57), 2);
        assert_eq!(decimals_of(0.1 + 0.2), 15);
    }

    #[test]
    fn past_edge_steps_past_a_strict_threshold_at_the_data_precision() {
        // below 55 with the value 60: 54 (whole numbers); above 50 with 21.57: 50.01.
        let below = past_edge(55.0, false, Some(60.0), 0, |v| {
            crate::num::lt(v, 55.0).then_some(1.0)
        });
        assert_eq!(below, Some((54.0, 1.0)));
        let above = past_edge(50.0, true, Some(21.57), 0, |v| {
            crate::num::gt(v, 50.0).then_some(1.0)
        });
        assert_eq!(above, Some((50.01, 1.0)));
        // A step that lands in a band paying less is refined one decimal at a time.
        let refined = past_edge(1.0, true, None, 0, |v| (v > 1.0 && v < 1.5).then_some(1.0));
        assert_eq!(refined, Some((1.1, 1.0)));
    }
}
