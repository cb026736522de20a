//! The result of a run: the canonical JSON document of SPEC §7, and what every report shows.

use serde::Serialize;

/// One run of one rules file on one data set.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assessment {
    pub audit: Audit,
    pub summary: Summary,
    pub entities: Vec<EntityResult>,
    pub warnings: Vec<String>,
    /// Labels and maxima for reports (not part of the canonical JSON).
    #[serde(skip)]
    pub layout: Layout,
    /// The scoring state, for analyses that re-score (not part of the canonical JSON).
    #[serde(skip)]
    pub evidence: Option<std::sync::Arc<super::evidence::Evidence>>,
    /// The per-entity results as columns: what CSV is written from (always present).
    #[serde(skip)]
    pub sheet: Scoresheet,
}

/// How much per-entity detail a run builds.
///
/// `Entities` builds one [`EntityResult`] per entity (values, fractions, notes, evidence for
/// re-scoring) — what JSON, Markdown, HTML, XLSX and the analyses read. `Columns` keeps only
/// the columnar [`Scoresheet`], which is all the CSV view needs: at 10⁶ entities the objects
/// cost more than the scoring itself, so batch CSV runs skip them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Detail {
    #[default]
    Entities,
    Columns,
}

/// The published per-entity results as columns, rows in output order (cohorts, rank, then
/// excluded entities by id), so that writers stream them sequentially.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scoresheet {
    /// `order[k]`: the entity shown k-th, as its index among the scored rows in data order.
    pub order: Vec<usize>,
    pub ids: crate::column::TextColumn,
    pub names: Option<crate::column::TextColumn>,
    /// (`u32`, like the other per-row indices: 8 bytes a row instead of 16.)
    pub rank: Vec<Option<u32>>,
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
    pub fn len(&self) -> usize {
        self.order.len()
    }

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
    Narrow(ndarray::Array2<i16>),
    Compact(ndarray::Array2<i32>),
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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Audit {
    pub engine: String,
    pub rules: RulesAudit,
    pub data: Vec<DataAudit>,
    pub year: Option<i64>,
    pub generated_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RulesAudit {
    pub path: String,
    pub name: String,
    pub version: Option<String>,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataAudit {
    pub path: String,
    pub sha256: String,
    pub rows: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub entities: usize,
    pub ranked: usize,
    pub excluded: usize,
    pub tiers: Vec<TierCount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TierCount {
    pub id: String,
    pub label: String,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EntityResult {
    pub id: String,
    pub name: Option<String>,
    pub rank: Option<usize>,
    pub score: f64,
    pub tier: Option<String>,
    pub tier_label: Option<String>,
    pub tie_broken: bool,
    pub cohort: Option<String>,
    pub dimensions: Ordered<f64>,
    pub criteria: Ordered<CriterionResult>,
    pub adjustments: Ordered<f64>,
    pub excluded_by: Option<String>,
    pub notes: Vec<String>,
    /// Data columns named in `[output].carry`, copied through (absent when none are named).
    #[serde(skip_serializing_if = "Ordered::is_empty")]
    pub carry: Ordered<Option<String>>,
}

/// A map that serialises in insertion order (rules-file order).
pub type Ordered<V> = indexmap::IndexMap<String, V>;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CriterionResult {
    /// After `multiply`, before `transform`; the imputed value when imputed; null when missing.
    pub value: Option<serde_json::Value>,
    /// Unrounded; null when dropped by `exclude`.
    pub fraction: Option<f64>,
    /// Rounded to `decimals`; null when dropped.
    pub points: Option<f64>,
    pub max: f64,
    /// The missing-value policy applied, or null.
    pub missing: Option<String>,
}

/// Ids, labels and maxima in rules-file order, for reports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    pub title: String,
    pub entity_word: String,
    pub decimals: u32,
    pub max_score: f64,
    pub aggregation: String,
    pub dimensions: Vec<LayoutItem>,
    pub criteria: Vec<LayoutCriterion>,
    pub adjustments: Vec<LayoutItem>,
    pub tiers: Vec<LayoutItem>,
    pub gates: Vec<LayoutItem>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutItem {
    pub id: String,
    pub label: String,
    /// Dimension: its maximum share of the total; tier: min score (if fixed); adjustment: points.
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayoutCriterion {
    pub id: String,
    pub label: String,
    pub dimension: String,
    pub indicator: String,
    pub indicator_label: String,
    pub unit: Option<String>,
    pub method: String,
    pub points: f64,
}
