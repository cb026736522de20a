//! The result of a run: the canonical JSON document of SPEC §7, and what every report shows.

use crate::column::{Column, TextColumn};
use ndarray::Array2;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use std::borrow::Cow;

/// One run of one rules file on one data set.
///
/// Serialises as the canonical JSON document (audit, summary, entities, warnings); under
/// [`Detail::Deferred`] the entities are built from [`Assessment::deferred`] while they are
/// written.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Provenance of the run: engine, rules and data files with their SHA-256, year, time.
    pub audit: Audit,
    /// Counts of entities, ranked, excluded and per tier.
    pub summary: Summary,
    /// In output order; empty under [`Detail::Columns`] and [`Detail::Deferred`].
    pub entities: Vec<EntityResult>,
    /// What the run found doubtful but scored anyway (missing values substituted or
    /// deciding a condition, quota ties, read warnings), one sentence each.
    pub warnings: Vec<String>,
    /// Labels and maxima for reports (not part of the canonical JSON).
    pub layout: Layout,
    /// The scoring state, for analyses that re-score (not part of the canonical JSON;
    /// [`Detail::Entities`], [`Detail::Evidence`] and [`Detail::Explain`]).
    pub evidence: Option<std::sync::Arc<super::evidence::Evidence>>,
    /// The per-entity results as columns: what CSV is written from (always present).
    pub sheet: Scoresheet,
    /// Under [`Detail::Deferred`] and [`Detail::Explain`]: what the per-entity results are
    /// built from.
    pub deferred: Option<std::sync::Arc<EntitySource<'static>>>,
}

impl Assessment {
    /// The per-entity results in output order: the built ones, or those of
    /// [`Assessment::deferred`] built a block at a time (on all cores) as they are asked for.
    pub fn entity_results(&self) -> Box<dyn Iterator<Item = Cow<'_, EntityResult>> + '_> {
        match &self.deferred {
            None => Box::new(self.entities.iter().map(Cow::Borrowed)),
            Some(source) => Box::new(source.in_order().map(Cow::Owned)),
        }
    }

    /// Whether the assessment was scored with `rules`, as far as its layout shows: the same
    /// dimensions, criteria, adjustments, tiers and gates, by id and in order. The analyses
    /// that read an assessment beside rules check it (a wrong pair would index past the
    /// end, or attribute one rule's numbers to another).
    pub fn scored_with(&self, rules: &crate::rules::Rules) -> bool {
        fn same<'a>(
            a: impl ExactSizeIterator<Item = &'a str>,
            b: impl ExactSizeIterator<Item = &'a str>,
        ) -> bool {
            a.len() == b.len() && a.zip(b).all(|(x, y)| x == y)
        }
        let l = &self.layout;
        same(
            l.dimensions.iter().map(|d| d.id.as_str()),
            rules.dimensions.iter().map(|d| d.id.value.as_str()),
        ) && same(
            l.criteria.iter().map(|c| c.id.as_str()),
            rules.criteria.iter().map(|c| c.id.value.as_str()),
        ) && same(
            l.adjustments.iter().map(|a| a.id.as_str()),
            rules.adjustments.iter().map(|a| a.id.value.as_str()),
        ) && same(
            l.tiers.iter().map(|t| t.id.as_str()),
            rules.tiers.iter().map(|t| t.id.value.as_str()),
        ) && same(
            l.gates.iter().map(|g| g.id.as_str()),
            rules.gates.iter().map(|g| g.id.value.as_str()),
        )
    }

    /// Entity `e`'s result, in output order: the built one, or one built now from
    /// [`Assessment::deferred`] (for writers that visit each entity once or a few times).
    pub fn entity(&self, e: usize) -> Cow<'_, EntityResult> {
        match &self.deferred {
            Some(source) => Cow::Owned(source.entity(e)),
            None => Cow::Borrowed(&self.entities[e]),
        }
    }

    /// What a ranking table shows of entity `e` (output order), read from the columns when
    /// the results are deferred: nothing is built.
    pub(crate) fn ranking_row(&self, e: usize) -> RankingRow<'_> {
        match &self.deferred {
            Some(source) => source.ranking_row(e).0,
            None => self.entities[e].ranking_row(),
        }
    }

    /// How many per-entity results [`Assessment::entity_results`] yields.
    pub fn entity_count(&self) -> usize {
        match &self.deferred {
            None => self.entities.len(),
            Some(_) => self.sheet.order.len(),
        }
    }
}

impl Serialize for Assessment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        document(self, true, s)
    }
}

/// An assessment's JSON document with an empty `entities` array: what the JSON writer
/// splices the deferred entities into, rendered on all cores.
pub(crate) struct WithoutEntities<'a>(pub &'a Assessment);

impl Serialize for WithoutEntities<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        document(self.0, false, s)
    }
}

/// The canonical document (audit, summary, entities, warnings); the entities built as they
/// are serialised when deferred (the JSON writer renders them on all cores instead), or
/// left out.
fn document<S: Serializer>(a: &Assessment, with_entities: bool, s: S) -> Result<S::Ok, S::Error> {
    /// The entities as a JSON array.
    struct Entities<'a>(&'a Assessment, bool);
    impl Serialize for Entities<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let Entities(a, shown) = *self;
            let mut seq = s.serialize_seq(Some(if shown { a.entity_count() } else { 0 }))?;
            if shown {
                for e in a.entity_results() {
                    seq.serialize_element(&*e)?;
                }
            }
            seq.end()
        }
    }
    let mut doc = s.serialize_struct("Assessment", 4)?;
    doc.serialize_field("audit", &a.audit)?;
    doc.serialize_field("summary", &a.summary)?;
    doc.serialize_field("entities", &Entities(a, with_entities))?;
    doc.serialize_field("warnings", &a.warnings)?;
    doc.end()
}

/// How much per-entity detail a run builds.
///
/// `Entities` builds one [`EntityResult`] per entity (values, fractions, notes, evidence for
/// re-scoring) — what JSON, Markdown, HTML, XLSX and the analyses read. `Columns` keeps only
/// the columnar [`Scoresheet`], which is all the CSV view needs: at 10⁶ entities the objects
/// cost more than the scoring itself, so batch CSV runs skip them. `Deferred` keeps what the
/// objects are built from ([`EntitySource`], a few hundred bytes per entity instead of
/// ~6 KB) and builds them while they are written: what `score` does for JSON, Markdown and XLSX.
/// `Evidence` keeps the re-scoring evidence alone: what `weights` and `sensitivity` read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    /// One [`EntityResult`] per entity in [`Assessment::entities`], with evidence for
    /// re-scoring (the default; what the analyses need).
    #[default]
    Entities,
    /// Only the columnar [`Scoresheet`]: enough for CSV, the cheapest at scale.
    Columns,
    /// The [`Scoresheet`] and an [`EntitySource`] the results are built from as they are
    /// written.
    Deferred,
    /// The [`Scoresheet`] and the evidence for re-scoring ([`Assessment::evidence`]), without
    /// per-entity results: what objective weights and sensitivity runs read, at a fraction of
    /// the memory of `Entities` on a large file.
    Evidence,
    /// The evidence of `Evidence` and the [`EntitySource`] of `Deferred`: what `explain`
    /// reads, which builds the one result it explains and reads the other entities' values
    /// from the columns (a national file's results would take gigabytes), and what `score`
    /// writes HTML from (results built as written, evidence for the weight sliders).
    Explain,
}

/// Entities built at a time when results are built as they are written: large enough to
/// keep both cores busy, small enough that their objects (~6 KB each) stay in memory the
/// allocator has already handed out.
const BUILT_AT_A_TIME: usize = 4096;

/// What the per-entity results are built from, as columns over the scored entities: in data
/// order while a run builds them up front (entity `e` is the `e`-th scored row), in output
/// order once kept for [`Detail::Deferred`] (see `into_output_order`).
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySource<'a> {
    pub(crate) ids: TextColumn,
    pub(crate) names: Option<TextColumn>,
    pub(crate) rank: Vec<Option<usize>>,
    pub(crate) score: Vec<f64>,
    pub(crate) tier: Vec<Option<usize>>,
    pub(crate) tie_broken: Vec<bool>,
    pub(crate) cohort: Vec<u32>,
    /// Cohort names by cohort index, when the rules name a cohort.
    pub(crate) cohort_names: Option<Vec<Option<String>>>,
    pub(crate) excluded_by: Vec<Option<u32>>,
    pub(crate) dimension_ids: Vec<String>,
    /// Published dimension scores, entities × dimensions.
    pub(crate) dimension_points: Array2<f64>,
    pub(crate) criterion_ids: Vec<String>,
    pub(crate) criterion_max: Vec<f64>,
    /// Unrounded fractions (NaN where dropped), entities × criteria.
    pub(crate) fractions: Array2<f64>,
    /// Decimals the criterion points are published with.
    pub(crate) decimals: u32,
    /// Each criterion's indicator column and the values it shows instead.
    pub(crate) indicators: Vec<Cow<'a, Column>>,
    pub(crate) shown: Vec<ShownOverrides>,
    /// Each criterion's missing-value policy applied, by entity.
    pub(crate) missing: Vec<Vec<Option<crate::rules::MissingPolicy>>>,
    pub(crate) adjustment_ids: Vec<String>,
    /// Points of each adjustment applied, entities × adjustments, row-major.
    pub(crate) adjustments: Vec<f64>,
    pub(crate) tier_ids: Vec<String>,
    pub(crate) tier_labels: Vec<String>,
    pub(crate) gate_ids: Vec<String>,
    pub(crate) carry: Vec<(String, TextColumn)>,
    /// Per-entity notes (empty while the results are built up front: moved into them).
    pub(crate) notes: Vec<Vec<String>>,
}

impl EntitySource<'_> {
    /// How many entities.
    pub fn len(&self) -> usize {
        self.score.len()
    }

    /// Whether there are no entities.
    pub fn is_empty(&self) -> bool {
        self.score.is_empty()
    }

    /// Entity `e`'s result (output order under [`Detail::Deferred`]).
    pub fn entity(&self, e: usize) -> EntityResult {
        self.build(e, self.notes[e].clone())
    }

    /// Criterion `ci`'s value as entity `e`'s result shows it.
    pub(crate) fn criterion_value(&self, e: usize, ci: usize) -> Option<serde_json::Value> {
        self.shown[ci].value(e, &self.indicators[ci])
    }

    /// Entity `e`'s result, with its notes.
    pub(crate) fn build(&self, e: usize, notes: Vec<String>) -> EntityResult {
        let na = self.adjustment_ids.len();
        let mut dimensions = Ordered::with_capacity(self.dimension_ids.len());
        for (d, id) in self.dimension_ids.iter().enumerate() {
            dimensions.insert(id.clone(), self.dimension_points[[e, d]]);
        }
        let mut criteria = Ordered::with_capacity(self.criterion_ids.len());
        for (ci, id) in self.criterion_ids.iter().enumerate() {
            let (fraction, points) = self.fraction_and_points(e, ci);
            criteria.insert(
                id.clone(),
                CriterionResult {
                    value: self.shown[ci].value(e, &self.indicators[ci]),
                    fraction,
                    points,
                    max: self.criterion_max[ci],
                    missing: self.missing[ci][e].map(|p| p.name().to_string()),
                },
            );
        }
        let mut adjustments = Ordered::with_capacity(na);
        for (a, id) in self.adjustment_ids.iter().enumerate() {
            adjustments.insert(id.clone(), self.adjustments[e * na + a]);
        }
        let (tier, tier_label) = self.tier_of(e);
        EntityResult {
            id: self.id_of(e).to_string(),
            name: self.name_of(e).map(str::to_string),
            rank: self.rank[e],
            score: self.score[e],
            tier: tier.map(str::to_string),
            tier_label: tier_label.map(str::to_string),
            tie_broken: self.tie_broken[e],
            cohort: self.cohort_of(e).map(str::to_string),
            dimensions,
            criteria,
            adjustments,
            excluded_by: self.excluded_by_of(e).map(str::to_string),
            notes,
            carry: self
                .carry
                .iter()
                .map(|(k, col)| (k.clone(), col.get(e).map(str::to_string)))
                .collect(),
        }
    }

    pub(crate) fn id_of(&self, e: usize) -> &str {
        self.ids.get(e).unwrap_or("")
    }

    pub(crate) fn name_of(&self, e: usize) -> Option<&str> {
        self.names.as_ref().and_then(|t| t.get(e))
    }

    /// Entity `e`'s tier id and label.
    fn tier_of(&self, e: usize) -> (Option<&str>, Option<&str>) {
        let t = self.tier[e];
        (
            t.map(|t| self.tier_ids[t].as_str()),
            t.map(|t| self.tier_labels[t].as_str()),
        )
    }

    fn cohort_of(&self, e: usize) -> Option<&str> {
        let names = self.cohort_names.as_ref()?;
        names[self.cohort[e] as usize].as_deref()
    }

    /// The id of the gate that excluded entity `e`.
    fn excluded_by_of(&self, e: usize) -> Option<&str> {
        self.excluded_by[e].map(|g| self.gate_ids[g as usize].as_str())
    }

    /// Criterion `ci`'s fraction (unrounded; −0 published as 0) and published points for
    /// entity `e`, both null where the criterion was dropped.
    fn fraction_and_points(&self, e: usize, ci: usize) -> (Option<f64>, Option<f64>) {
        let f = self.fractions[[e, ci]];
        if f.is_nan() {
            return (None, None);
        }
        let points = crate::num::round_half_away(f * self.criterion_max[ci], self.decimals);
        (Some(f + 0.0), Some(points))
    }

    /// Entity `e`'s result as a view over the columns: serialises exactly as the result
    /// [`EntitySource::entity`] builds, without building it (no owned strings, maps or JSON
    /// values per entity), which is what lets the JSON writer stream large assessments.
    pub(crate) fn view(&self, e: usize) -> EntityView<'_> {
        EntityView { source: self, e }
    }

    /// What a ranking table shows of entity `e`, read from the columns, and its published
    /// dimension scores (in rules-file order).
    pub(crate) fn ranking_row(&self, e: usize) -> (RankingRow<'_>, ndarray::ArrayView1<'_, f64>) {
        let row = RankingRow {
            rank: self.rank[e],
            excluded_by: self.excluded_by_of(e),
            tie_broken: self.tie_broken[e],
            id: self.id_of(e),
            name: self.name_of(e),
            score: self.score[e],
            tier: self.tier_of(e).0,
            tier_label: self.tier_of(e).1,
            cohort: self.cohort_of(e),
        };
        (row, self.dimension_points.row(e))
    }

    /// Every result, built on all cores, in output order (`order[k]`: the entity shown k-th).
    pub(crate) fn build_all(mut self, order: &[usize]) -> Vec<EntityResult> {
        use rayon::prelude::*;
        // Built in data order (the columns read sequentially, not in rank order, which costs
        // a cache miss per criterion and entity), then moved into output order.
        let notes = std::mem::take(&mut self.notes);
        let mut built: Vec<Option<EntityResult>> = notes
            .into_par_iter()
            .enumerate()
            .map(|(e, notes)| Some(self.build(e, notes)))
            .collect();
        order
            .iter()
            .map(|&e| built[e].take().expect("the output order is a permutation"))
            .collect()
    }

    /// Its results (entities in output order, see [`EntitySource::into_output_order`]),
    /// built [`BUILT_AT_A_TIME`] at a time on all cores.
    fn in_order(&self) -> impl Iterator<Item = EntityResult> + '_ {
        (0..self.len())
            .step_by(BUILT_AT_A_TIME)
            .flat_map(move |first| self.built(first..(first + BUILT_AT_A_TIME).min(self.len())))
    }

    /// The results of entities `span`, built on all cores.
    fn built(&self, span: std::ops::Range<usize>) -> Vec<EntityResult> {
        use rayon::prelude::*;
        span.into_par_iter().map(|e| self.entity(e)).collect()
    }

    /// The same source with its entities in output order (`order[k]`: the entity shown
    /// k-th becomes entity k) and every column owned, to outlive the run that made it.
    /// Building in rank order from data-order columns would miss the cache once per
    /// criterion and entity; one gather per column up front reads them in bulk instead.
    pub(crate) fn into_output_order(mut self, order: &[usize]) -> EntitySource<'static> {
        use crate::column::gathered;
        let n = order.len();
        let mut position = vec![0usize; n];
        for (k, &e) in order.iter().enumerate() {
            position[e] = k;
        }
        let mut notes = std::mem::take(&mut self.notes);
        let notes: Vec<Vec<String>> = order
            .iter()
            .map(|&e| std::mem::take(&mut notes[e]))
            .collect();
        let na = self.adjustment_ids.len();
        let mut adjustments = Vec::with_capacity(n * na);
        for &e in order {
            adjustments.extend_from_slice(&self.adjustments[e * na..(e + 1) * na]);
        }
        // One column at a time, each data-order column freed once gathered: the peak is
        // the source plus its largest column, not two sources.
        let indicators = std::mem::take(&mut self.indicators)
            .into_iter()
            .map(|c| Cow::Owned(c.take(order)))
            .collect();
        let fractions = rows_gathered(&self.fractions, order);
        self.fractions = Array2::zeros((0, 0));
        let dimension_points = rows_gathered(&self.dimension_points, order);
        self.dimension_points = Array2::zeros((0, 0));
        let missing = std::mem::take(&mut self.missing)
            .into_iter()
            .map(|m| gathered(&m, order))
            .collect();
        EntitySource {
            indicators,
            fractions,
            dimension_points,
            missing,
            shown: self
                .shown
                .into_iter()
                .map(|mut s| {
                    for (e, _) in &mut s.list {
                        *e = position[*e];
                    }
                    s.list.sort_by_key(|&(e, _)| e);
                    s
                })
                .collect(),
            ids: self.ids.take(order),
            names: self.names.map(|t| t.take(order)),
            rank: gathered(&self.rank, order),
            score: gathered(&self.score, order),
            tier: gathered(&self.tier, order),
            tie_broken: gathered(&self.tie_broken, order),
            cohort: gathered(&self.cohort, order),
            cohort_names: self.cohort_names,
            excluded_by: gathered(&self.excluded_by, order),
            dimension_ids: self.dimension_ids,
            criterion_ids: self.criterion_ids,
            criterion_max: self.criterion_max,
            decimals: self.decimals,
            adjustment_ids: self.adjustment_ids,
            adjustments,
            tier_ids: self.tier_ids,
            tier_labels: self.tier_labels,
            gate_ids: self.gate_ids,
            carry: self
                .carry
                .into_iter()
                .map(|(k, col)| (k, col.take(order)))
                .collect(),
            notes,
        }
    }
}

/// Rows `order[k]` of `a` as the rows of a row-major matrix, gathered on all cores.
/// (By hand rather than `select(Axis(0), …)`: that copies on one thread, 1.16 s against
/// 0.52 s for the whole gather into output order at 10⁶ entities.)
fn rows_gathered(a: &Array2<f64>, order: &[usize]) -> Array2<f64> {
    use rayon::prelude::*;
    let width = a.ncols();
    let mut cells = vec![0.0; order.len() * width];
    if width > 0 {
        cells
            .par_chunks_mut(width)
            .with_min_len(1 << 10)
            .zip(order.par_iter())
            .for_each(|(row, &e)| {
                for (c, cell) in row.iter_mut().enumerate() {
                    *cell = a[[e, c]];
                }
            });
    }
    Array2::from_shape_vec((order.len(), width), cells).expect("rows × width cells")
}

/// The fields of an entity a ranking table shows, borrowed from a built result or from the
/// columns of an [`EntitySource`] (see [`EntitySource::ranking_row`]).
pub(crate) struct RankingRow<'a> {
    pub rank: Option<usize>,
    pub excluded_by: Option<&'a str>,
    pub tie_broken: bool,
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub score: f64,
    pub tier: Option<&'a str>,
    pub tier_label: Option<&'a str>,
    pub cohort: Option<&'a str>,
}

/// One entity of an [`EntitySource`], serialised field by field from its columns in the
/// order and shape of [`EntityResult`] (see [`EntitySource::view`]).
pub(crate) struct EntityView<'a> {
    source: &'a EntitySource<'a>,
    e: usize,
}

impl Serialize for EntityView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (src, e) = (self.source, self.e);
        let mut r = s.serialize_struct("EntityResult", 14)?;
        r.serialize_field("id", src.id_of(e))?;
        r.serialize_field("name", &src.name_of(e))?;
        r.serialize_field("rank", &src.rank[e])?;
        r.serialize_field("score", &src.score[e])?;
        let (tier, tier_label) = src.tier_of(e);
        r.serialize_field("tier", &tier)?;
        r.serialize_field("tier_label", &tier_label)?;
        r.serialize_field("tie_broken", &src.tie_broken[e])?;
        r.serialize_field("cohort", &src.cohort_of(e))?;
        let dimensions = src.dimension_points.row(e);
        r.serialize_field(
            "dimensions",
            &InOrder(&src.dimension_ids, |d| dimensions[d]),
        )?;
        r.serialize_field(
            "criteria",
            &InOrder(&src.criterion_ids, |ci| CriterionView(src, e, ci)),
        )?;
        let na = src.adjustment_ids.len();
        let adjustments = &src.adjustments[e * na..(e + 1) * na];
        r.serialize_field(
            "adjustments",
            &InOrder(&src.adjustment_ids, |a| adjustments[a]),
        )?;
        r.serialize_field("excluded_by", &src.excluded_by_of(e))?;
        r.serialize_field("notes", &src.notes[e])?;
        if !src.carry.is_empty() {
            let carry: Vec<(&str, Option<&str>)> = src
                .carry
                .iter()
                .map(|(k, col)| (k.as_str(), col.get(e)))
                .collect();
            r.serialize_field("carry", &InOrder(&carry, |i: usize| carry[i].1))?;
        } else {
            r.skip_field("carry")?;
        }
        r.end()
    }
}

/// A map from ids (in rules-file order) to the value `value(i)` of the `i`-th id.
struct InOrder<'a, K, F>(&'a [K], F);

impl<K: MapKey, V: Serialize, F: Fn(usize) -> V> Serialize for InOrder<'_, K, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (i, k) in self.0.iter().enumerate() {
            m.serialize_entry(k.key(), &(self.1)(i))?;
        }
        m.end()
    }
}

/// What [`InOrder`] keys its entries by.
trait MapKey {
    fn key(&self) -> &str;
}

impl MapKey for String {
    fn key(&self) -> &str {
        self
    }
}

impl MapKey for (&str, Option<&str>) {
    fn key(&self) -> &str {
        self.0
    }
}

/// Criterion `ci` of entity `e`, shaped as its [`CriterionResult`].
struct CriterionView<'a>(&'a EntitySource<'a>, usize, usize);

impl Serialize for CriterionView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let CriterionView(src, e, ci) = *self;
        let (fraction, points) = src.fraction_and_points(e, ci);
        let mut r = s.serialize_struct("CriterionResult", 5)?;
        r.serialize_field("value", &ShownValue(&src.shown[ci], &src.indicators[ci], e))?;
        r.serialize_field("fraction", &fraction)?;
        r.serialize_field("points", &points)?;
        r.serialize_field("max", &src.criterion_max[ci])?;
        r.serialize_field("missing", &src.missing[ci][e].map(|p| p.name()))?;
        r.end()
    }
}

/// The value entity `e` shows for a criterion (see [`ShownOverrides::value`]), serialised
/// as that JSON value without making it.
struct ShownValue<'a>(&'a ShownOverrides, &'a Column, usize);

impl Serialize for ShownValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ShownValue(shown, col, e) = *self;
        if let Ok(i) = shown.list.binary_search_by_key(&e, |&(e, _)| e) {
            return shown.list[i].1.serialize(s);
        }
        match col {
            // (serde_json::Number holds finite numbers only: the others show as null.)
            // (−0 adds to +0: negative zero is published as 0, as `json_value` does.)
            Column::Number(v) if v[e].is_finite() => s.serialize_some(&(v[e] + 0.0)),
            Column::Number(_) => s.serialize_none(),
            Column::Bool(v) => v[e].serialize(s),
            Column::Text(t) => t.get(e).serialize(s),
        }
    }
}

/// The values one criterion shows that differ from its indicator's (null outside a
/// transform's domain, the imputed value under `mean`/`median`), by entity; kept only with
/// per-entity detail. Every other entity shows its indicator value, read when the entity
/// results are built: no n-long vector of JSON values per criterion.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShownOverrides {
    pub(crate) keep: bool,
    pub(crate) list: Vec<(usize, Option<serde_json::Value>)>,
}

impl ShownOverrides {
    pub(crate) fn set(&mut self, e: usize, value: Option<serde_json::Value>) {
        if self.keep {
            self.list.push((e, value));
        }
    }

    /// Sorted by entity, the last value set for an entity kept.
    pub(crate) fn finish(mut self) -> Self {
        self.list.reverse();
        self.list.sort_by_key(|&(e, _)| e);
        self.list.dedup_by_key(|&mut (e, _)| e);
        self
    }

    /// The value entity `e` shows, given its indicator column.
    fn value(&self, e: usize, indicator: &Column) -> Option<serde_json::Value> {
        match self.list.binary_search_by_key(&e, |&(e, _)| e) {
            Ok(i) => self.list[i].1.clone(),
            Err(_) => json_value(indicator, e),
        }
    }
}

/// A column's value at entity `e` as JSON (null when missing).
pub(crate) fn json_value(col: &Column, e: usize) -> Option<serde_json::Value> {
    match col {
        // (A cell "-0" is published as 0, like every published number.)
        Column::Number(v) => {
            serde_json::Number::from_f64(v[e] + 0.0).map(serde_json::Value::Number)
        }
        Column::Bool(v) => v[e].map(serde_json::Value::Bool),
        Column::Text(t) => t.get(e).map(|s| serde_json::Value::String(s.to_string())),
    }
}

/// The published per-entity results as columns, rows in output order (cohorts, rank, then
/// excluded entities by id), so that writers stream them sequentially.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoresheet {
    /// `order[k]`: the entity shown k-th, as its index among the scored rows in data order.
    pub order: Vec<usize>,
    /// Entity ids, in output order.
    pub ids: crate::column::TextColumn,
    /// Display names (`[rules].label`, or `[aggregate].label`), in output order; `None`
    /// when the rules name no name column.
    pub names: Option<crate::column::TextColumn>,
    /// (`u32`, like the other per-row indices: 8 bytes a row instead of 16.)
    pub rank: Vec<Option<u32>>,
    /// Final scores as published (rounded to `decimals`), in output order.
    pub score: Vec<f64>,
    /// Index into `layout.tiers`.
    pub tier: Vec<Option<u32>>,
    /// Index into `layout.gates` of the gate that excluded the entity.
    pub excluded_by: Vec<Option<u32>>,
    /// Published dimension scores then criterion points (rounded; NaN where a criterion is
    /// dropped), one row per entity in *data* order (row `order[k]` is output row `k`),
    /// row-major: gathering the whole matrix into output order would cost a second copy of
    /// it, while a writer reads one contiguous row per entity anyway.
    pub points: PointRows,
    /// How many of the `points` columns are dimensions.
    pub dimensions: usize,
    /// Whether `points` holds whole numbers k standing for k / 10^decimals (what writers
    /// print without dividing and rounding again), or the rounded values themselves (when
    /// values are too large for k to be exact).
    pub scaled: bool,
    /// `[output].carry` columns, by name.
    pub carry: Vec<(String, crate::column::TextColumn)>,
}

impl Scoresheet {
    /// How many entities (output rows).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there are no entities.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Published dimension scores of output row `k`.
    pub fn dimension_scores(&self, k: usize) -> impl Iterator<Item = f64> + '_ {
        let e = self.order[k];
        (0..self.dimensions).map(move |c| self.points.get(e, c))
    }

    /// Published criterion points of output row `k` (NaN where dropped).
    pub fn criterion_points(&self, k: usize) -> impl Iterator<Item = f64> + '_ {
        let e = self.order[k];
        (self.dimensions..self.points.width()).map(move |c| self.points.get(e, c))
    }

    /// Output row `k`'s published points (dimensions then criteria) as one slice of their
    /// stored type, for writers that format a whole row at a time.
    pub fn points_row(&self, k: usize) -> PointsRow<'_> {
        let e = self.order[k];
        match &self.points {
            PointRows::Narrow(a) => {
                let w = a.ncols();
                a.as_slice()
                    .and_then(|all| all.get(e * w..(e + 1) * w))
                    .map_or(PointsRow::Other, PointsRow::Narrow)
            }
            PointRows::Compact(_) | PointRows::Wide(_) => PointsRow::Other,
        }
    }

    /// Where output row `k`'s published points start in memory, and how many bytes they
    /// take (for prefetching).
    pub fn points_row_span(&self, k: usize) -> Option<(*const u8, usize)> {
        let e = *self.order.get(k)?;
        self.points.row_span(e)
    }
}

/// One output row's published points, see [`Scoresheet::points_row`].
pub enum PointsRow<'a> {
    /// Scaled whole numbers, `i16::MIN` where a criterion was dropped.
    Narrow(&'a [i16]),
    /// Any other storage: read the values one by one.
    Other,
}

/// The published points of a [`Scoresheet`], rows × (dimensions + criteria), row-major.
/// Scaled whole numbers are kept as `i16` when they all fit (a quarter of the memory of a
/// large run: points of a few dozen at two decimals are below 10⁴), else as `i32`, the
/// type's `MIN` standing for a dropped criterion; otherwise `f64` (NaN where dropped).
#[derive(Debug, Clone, PartialEq)]
pub enum PointRows {
    /// Scaled whole numbers as `i16`, `i16::MIN` where dropped.
    Narrow(ndarray::Array2<i16>),
    /// Scaled whole numbers as `i32`, `i32::MIN` where dropped.
    Compact(ndarray::Array2<i32>),
    /// The rounded values themselves, NaN where dropped.
    Wide(ndarray::Array2<f64>),
}

impl Default for PointRows {
    fn default() -> Self {
        PointRows::Wide(ndarray::Array2::zeros((0, 0)))
    }
}

impl PointRows {
    /// The value in row `e`, column `c` (NaN where dropped).
    #[inline]
    pub fn get(&self, e: usize, c: usize) -> f64 {
        match self {
            PointRows::Narrow(a) => match a[[e, c]] {
                i16::MIN => f64::NAN,
                k => f64::from(k),
            },
            PointRows::Compact(a) => match a[[e, c]] {
                i32::MIN => f64::NAN,
                k => f64::from(k),
            },
            PointRows::Wide(a) => a[[e, c]],
        }
    }

    /// Columns: dimensions then criteria.
    pub fn width(&self) -> usize {
        match self {
            PointRows::Narrow(a) => a.ncols(),
            PointRows::Compact(a) => a.ncols(),
            PointRows::Wide(a) => a.ncols(),
        }
    }

    fn row_span(&self, e: usize) -> Option<(*const u8, usize)> {
        match self {
            PointRows::Narrow(a) => {
                (e < a.nrows()).then(|| (a.row(e).as_ptr() as *const u8, a.ncols() * 2))
            }
            PointRows::Compact(a) => {
                (e < a.nrows()).then(|| (a.row(e).as_ptr() as *const u8, a.ncols() * 4))
            }
            PointRows::Wide(a) => {
                (e < a.nrows()).then(|| (a.row(e).as_ptr() as *const u8, a.ncols() * 8))
            }
        }
    }
}

/// The `audit` block of the JSON document (SPEC §7): what produced the result, so that it
/// can be traced and reproduced.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Audit {
    /// `clusterscore` and the crate version, e.g. `clusterscore 0.1.0`.
    pub engine: String,
    /// The rules file scored with.
    pub rules: RulesAudit,
    /// The data files read, in the order given (several are concatenated).
    pub data: Vec<DataAudit>,
    /// The year scored: `--year`, else `[rules].year`, else the latest in `[data].year_column`;
    /// `None` without a year column.
    pub year: Option<i64>,
    /// UTC time as `YYYY-MM-DDTHH:MM:SSZ`: `SOURCE_DATE_EPOCH` when set, else now, unless
    /// the caller gave one. Empty, and left out of the JSON, in the audit of an analysis
    /// ([`Audit::of_inputs`]).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub generated_at: String,
}

impl Audit {
    /// The inputs only, without the time: the audit block of `sensitivity`, `weights` and
    /// `compare` reports, which the same inputs (and seed) reproduce byte for byte without
    /// `SOURCE_DATE_EPOCH`.
    pub fn of_inputs(&self) -> Audit {
        Audit {
            generated_at: String::new(),
            ..self.clone()
        }
    }
}

/// The rules file of a run, in the audit block.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RulesAudit {
    /// The path given for the rules file (its source name when none was given).
    pub path: String,
    /// `[rules].name`.
    pub name: String,
    /// `[rules].version`, when given.
    pub version: Option<String>,
    /// Lowercase hex SHA-256 of the rules text.
    pub sha256: String,
}

/// One data file of a run, in the audit block.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataAudit {
    /// The file's path as given.
    pub path: String,
    /// Lowercase hex SHA-256 of the raw file bytes.
    pub sha256: String,
    /// Data rows read from the file (blank records not counted; all years).
    pub rows: usize,
    /// The sheet read, for a workbook (left out for delimited text): which of its sheets
    /// the scores come from is part of what reproduces them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
}

/// The `summary` block of the JSON document: how many entities were scored, ranked,
/// excluded, and placed in each tier.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Entities scored (after `[aggregate]` and the year filter).
    pub entities: usize,
    /// Entities given a rank (not excluded by a gate).
    pub ranked: usize,
    /// Entities excluded by an `effect = "exclude"` gate: `entities − ranked`.
    pub excluded: usize,
    /// Every tier of the rules, highest first, with how many entities it holds (0 included).
    pub tiers: Vec<TierCount>,
}

/// How many entities one tier holds, in [`Summary::tiers`].
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierCount {
    /// The tier's `id`.
    pub id: String,
    /// The tier's `label` (its id when it has none).
    pub label: String,
    /// Entities placed in the tier (over all cohorts).
    pub count: usize,
}

/// One entity's result: an element of the JSON document's `entities` array (SPEC §7).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityResult {
    /// The entity id, from the `[rules].id` column (or `[aggregate].by`).
    pub id: String,
    /// The display name, when the rules name a name column.
    pub name: Option<String>,
    /// 1-based, strict, within the entity's cohort when the rules set `cohort`; `None` when
    /// excluded by a gate.
    pub rank: Option<usize>,
    /// The final score as published and ranked: after adjustments and `clamp`, rounded to
    /// `decimals` (SPEC §5.3). Excluded entities are scored too.
    pub score: f64,
    /// The id of the tier reached; `None` when untiered or excluded.
    pub tier: Option<String>,
    /// That tier's label.
    pub tier_label: Option<String>,
    /// Whether the rank was decided by `tie_break` or the id between equal scores (SPEC §5.4).
    pub tie_broken: bool,
    /// The entity's cohort value, when the rules rank within cohorts (`None` also for the
    /// cohort of entities without a value).
    pub cohort: Option<String>,
    /// Dimension scores by dimension id, in points of the total (after weights and `scale`),
    /// rounded to `decimals`.
    pub dimensions: Ordered<f64>,
    /// Each criterion's value, fraction and points, by criterion id.
    pub criteria: Ordered<CriterionResult>,
    /// Points each adjustment added (negative: deducted), rounded; 0 where its condition
    /// did not hold.
    pub adjustments: Ordered<f64>,
    /// The id of the gate that excluded the entity, or `None`.
    pub excluded_by: Option<String>,
    /// What was decided for this entity alone (missing values substituted, dropped or
    /// imputed, the gate it failed and the values involved), one sentence each (SPEC §5.2).
    pub notes: Vec<String>,
    /// Data columns named in `[output].carry`, copied through (absent when none are named).
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub carry: Ordered<Option<String>>,
}

impl EntityResult {
    /// What a ranking table shows of this entity (as [`EntitySource::ranking_row`] reads
    /// it from the columns).
    pub(crate) fn ranking_row(&self) -> RankingRow<'_> {
        RankingRow {
            rank: self.rank,
            excluded_by: self.excluded_by.as_deref(),
            tie_broken: self.tie_broken,
            id: &self.id,
            name: self.name.as_deref(),
            score: self.score,
            tier: self.tier.as_deref(),
            tier_label: self.tier_label.as_deref(),
            cohort: self.cohort.as_deref(),
        }
    }
}

/// A map that serialises in insertion order (rules-file order).
pub type Ordered<V> = indexmap::IndexMap<String, V>;

/// One criterion of one entity: the value scored, the fraction of the criterion's points
/// earned, and those points.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CriterionResult {
    /// After `multiply`, before `transform`; the imputed value when imputed; null when missing.
    pub value: Option<serde_json::Value>,
    /// Unrounded; null when dropped by `exclude`.
    pub fraction: Option<f64>,
    /// Rounded to `decimals`; null when dropped.
    pub points: Option<f64>,
    /// The criterion's `points`: what a fraction of 1 earns.
    pub max: f64,
    /// The missing-value policy applied, or null.
    pub missing: Option<String>,
}

/// Ids, labels and maxima in rules-file order, for reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// `[rules].name`, the reports' title.
    pub title: String,
    /// `[rules].entity` (e.g. 集群), or `entity` when not given.
    pub entity_word: String,
    /// `[rules].decimals`: the published precision.
    pub decimals: u32,
    /// The total's maximum before adjustments: `scale`, else the dimension weights or the
    /// criteria's points summed.
    pub max_score: f64,
    /// `[rules].aggregation`: `additive`, `geometric` or `topsis`.
    pub aggregation: String,
    /// Each dimension, `value` its maximum in points of the total.
    pub dimensions: Vec<LayoutItem>,
    /// Each criterion with its indicator and method.
    pub criteria: Vec<LayoutCriterion>,
    /// Each adjustment, `value` its points.
    pub adjustments: Vec<LayoutItem>,
    /// Each tier, highest first, `value` its fixed `min_score`.
    pub tiers: Vec<LayoutItem>,
    /// Each gate, `rule` its condition and effect.
    pub gates: Vec<LayoutItem>,
    /// What the cohorts are (the cohort indicator's label or the data column's name), when
    /// the rules rank within cohorts: the views show each entity's cohort beside its rank,
    /// which restarts at 1 in every cohort.
    pub cohort: Option<String>,
}

/// A dimension, adjustment, tier or gate as the reports show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutItem {
    /// Its `id` in the rules file.
    pub id: String,
    /// Its `label` (for a gate without one, its condition; otherwise its id).
    pub label: String,
    /// Dimension: its maximum share of the total; tier: min score (if fixed); adjustment: points.
    pub value: Option<f64>,
    /// The rule in words: a tier's minimum, quotas and conditions, a gate's condition and
    /// effect, an adjustment's condition (empty for dimensions).
    pub rule: String,
}

/// A criterion as the reports' rules tables show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutCriterion {
    /// The criterion's `id`.
    pub id: String,
    /// The criterion's `label` (its id when it has none).
    pub label: String,
    /// The id of its dimension.
    pub dimension: String,
    /// The id of the indicator it scores.
    pub indicator: String,
    /// That indicator's label (its id when it has none).
    pub indicator_label: String,
    /// That indicator's `unit`, when given.
    pub unit: Option<String>,
    /// The method's name (`bands`, `linear`, …).
    pub method: String,
    /// The criterion's `points`: its maximum.
    pub points: f64,
    /// The method's parameters in words (`≥ 10: 10; ≥ 2: 7`), with its transform.
    pub rule: String,
}
