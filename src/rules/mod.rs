//! Rules files: the TOML format of SPEC §3, read into [`Rules`] (as written, with spans),
//! then compiled by the engine. Lints for `check` live in [`lint`].

pub mod lint;
mod load;
mod syntax;

pub use load::{expression_span, parse_rules, valid_id};
pub use syntax::toml_error;

use crate::diag::{SourceText, Span};

/// A value together with where it was written in the rules file.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    /// The value as read.
    pub value: T,
    /// Where it is written, for diagnostics.
    pub span: Span,
}

impl<T> Sp<T> {
    /// A value with its place in the source.
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

/// How the total is formed from dimension scores (SPEC §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    /// `"additive"` (the default): the sum of the (weighted) dimension scores.
    Additive,
    /// `"geometric"`: the weighted geometric mean of the dimension fractions, each at least
    /// `geometric_floor`, times the maximum.
    Geometric,
    /// `"topsis"`: relative closeness to the ideal entity, times the maximum.
    Topsis,
}

impl Aggregation {
    /// The value `[rules].aggregation` takes.
    pub fn name(self) -> &'static str {
        match self {
            Aggregation::Additive => "additive",
            Aggregation::Geometric => "geometric",
            Aggregation::Topsis => "topsis",
        }
    }
}

/// What to do with a missing value (SPEC §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPolicy {
    /// `"zero"` (the default): the criterion scores 0.
    Zero,
    /// `"exclude"`: the criterion is dropped for the entity and its dimension rescaled over
    /// the criteria that remain.
    Exclude,
    /// `"mean"`: the cohort mean is imputed before scoring.
    Mean,
    /// `"median"`: the cohort median is imputed before scoring.
    Median,
    /// `"fail"`: the run stops with an error listing every entity and column concerned.
    Fail,
}

impl MissingPolicy {
    /// The value the `missing` keys take.
    pub fn name(self) -> &'static str {
        match self {
            MissingPolicy::Zero => "zero",
            MissingPolicy::Exclude => "exclude",
            MissingPolicy::Mean => "mean",
            MissingPolicy::Median => "median",
            MissingPolicy::Fail => "fail",
        }
    }
}

/// Kind of an indicator's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `kind = "number"` (the default).
    Number,
    /// `kind = "bool"`: 是/否, 有/无, Y/N, yes/no, true/false, 1/0.
    Bool,
    /// `kind = "category"`: text values such as 东部/中部/西部.
    Category,
}

impl Kind {
    /// The value the `kind` key takes.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Category => "category",
        }
    }
}

/// Whether larger values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `direction = "higher"` (the default).
    Higher,
    /// `direction = "lower"`: e.g. energy per unit of output.
    Lower,
}

/// A number, or a number chosen by the entity's category (`{ by, values, default }`).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// A plain number.
    Fixed(f64),
    /// `{ by = "region", values = { east = 100, … }, default = 30 }`.
    ByCategory {
        /// Indicator id (or data column) holding the category.
        by: Sp<String>,
        /// `values`: the number for each category value, in file order.
        values: Vec<(String, f64)>,
        /// `default`: the number for other category values; `None` when not given.
        default: Option<f64>,
    },
}

impl Param {
    /// The number, or the category table as `by region: east 100, west 50, else 60`.
    pub fn describe(&self) -> String {
        let n = crate::column::format_number;
        match self {
            Param::Fixed(v) => n(*v),
            Param::ByCategory {
                by,
                values,
                default,
            } => {
                let mut parts: Vec<String> = values
                    .iter()
                    .map(|(k, v)| format!("{k} {}", n(*v)))
                    .collect();
                if let Some(d) = default {
                    parts.push(format!("else {}", n(*d)));
                }
                format!("(by {}: {})", by.value, parts.join(", "))
            }
        }
    }

    /// Every number this parameter can take.
    pub fn all_values(&self) -> Vec<f64> {
        match self {
            Param::Fixed(v) => vec![*v],
            Param::ByCategory {
                values, default, ..
            } => values
                .iter()
                .map(|(_, v)| *v)
                .chain(default.iter().copied())
                .collect(),
        }
    }

    /// The number for entities without a category-specific value (the fixed value, or default).
    pub fn fixed(&self) -> Option<f64> {
        match self {
            Param::Fixed(v) => Some(*v),
            Param::ByCategory { .. } => None,
        }
    }
}

/// How a band compares the value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandOp {
    /// `at_least`: ≥ (以上 includes the number).
    AtLeast,
    /// `above`: >.
    Above,
    /// `at_most`: ≤.
    AtMost,
    /// `below`: <.
    Below,
}

impl BandOp {
    /// The band key: `at_least`, `above`, `at_most` or `below`.
    pub fn key(self) -> &'static str {
        match self {
            BandOp::AtLeast => "at_least",
            BandOp::Above => "above",
            BandOp::AtMost => "at_most",
            BandOp::Below => "below",
        }
    }

    /// Whether `x` meets threshold `t` (with the threshold tolerance).
    pub fn meets(self, x: f64, t: f64) -> bool {
        match self {
            BandOp::AtLeast => crate::num::ge(x, t),
            BandOp::Above => crate::num::gt(x, t),
            BandOp::AtMost => crate::num::le(x, t),
            BandOp::Below => crate::num::lt(x, t),
        }
    }
}

/// One band of a `bands` criterion: `{ at_least = 100, points = 15 }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Which comparison key the band uses.
    pub op: BandOp,
    /// The number that key gives.
    pub threshold: Param,
    /// `points`: what a value meeting the band earns.
    pub points: Param,
    /// Where the band is written.
    pub span: Span,
}

/// Whether band `i` of a `bands` table can never be the first band a value meets (SPEC
/// §5.1: the first in file order scores): an earlier band of the same direction, with a
/// fixed threshold, already meets every value it meets (`at_least 50` before
/// `at_least 100`, `at_most 75` before `at_most 55`). Bands with a category table as
/// threshold are not compared.
pub fn band_shadowed(bands: &[Band], i: usize) -> bool {
    let Some(t) = bands.get(i).and_then(|b| b.threshold.fixed()) else {
        return false;
    };
    let b = &bands[i];
    bands[..i].iter().any(|a| {
        let Some(u) = a.threshold.fixed() else {
            return false;
        };
        match (a.op, b.op) {
            (BandOp::AtLeast | BandOp::Above, BandOp::AtLeast) => {
                u < t || (u == t && a.op == BandOp::AtLeast)
            }
            (BandOp::AtLeast, BandOp::Above) => u <= t,
            (BandOp::Above, BandOp::Above) => u <= t,
            (BandOp::AtMost | BandOp::Below, BandOp::AtMost) => {
                u > t || (u == t && a.op == BandOp::AtMost)
            }
            (BandOp::AtMost, BandOp::Below) => u >= t,
            (BandOp::Below, BandOp::Below) => u >= t,
            _ => false,
        }
    })
}

/// A transform applied to the value and every threshold before scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    /// `transform = "log10"`: defined for values > 0 (others become missing).
    Log10,
    /// `transform = "ln"`: defined for values > 0 (others become missing).
    Ln,
    /// `transform = "sqrt"`: defined for values ≥ 0 (others become missing).
    Sqrt,
}

impl Transform {
    /// The value the `transform` key takes.
    pub fn name(self) -> &'static str {
        match self {
            Transform::Log10 => "log10",
            Transform::Ln => "ln",
            Transform::Sqrt => "sqrt",
        }
    }

    /// The transformed value, or `None` outside the domain.
    pub fn apply(self, x: f64) -> Option<f64> {
        match self {
            Transform::Log10 if x > 0.0 => Some(x.log10()),
            Transform::Ln if x > 0.0 => Some(x.ln()),
            Transform::Sqrt if x >= 0.0 => Some(x.sqrt()),
            _ => None,
        }
    }
}

/// A scoring method with its parameters (SPEC §5.1).
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// `method = "bands"`: the points of the first band (in file order) the value meets.
    Bands(Vec<Band>),
    /// `method = "linear"`: 0 at or below `floor`, full points at or above `target`,
    /// proportional between (floor > target for lower-is-better).
    Linear {
        /// Where the points start (0 at or below it).
        floor: Param,
        /// Where the points are full.
        target: Param,
    },
    /// `method = "target"`: `min(x / target, 1)`, or `min(target / x, 1)` for `lower`;
    /// `target` > 0.
    Target {
        /// The value that earns full points.
        target: Param,
    },
    /// `method = "minmax"`: position between the cohort's minimum and maximum.
    MinMax,
    /// `method = "zscore"`: Φ of the z-score over the cohort.
    ZScore,
    /// `method = "percentile"`: `(r − 1) / (n − 1)`, r the average rank over the cohort.
    Percentile,
    /// `method = "flag"`: full points when true (or non-zero), else 0.
    Flag,
    /// `method = "levels"`: `levels = { "三级" = 15, … }`, points per category value.
    Levels(Vec<(String, Param)>),
    /// `method = "per"`: `points_per_step` for each full `step` of the value (每满……得……分),
    /// up to the criterion's points.
    Per {
        /// The size of one step of the value.
        step: Param,
        /// The points each full step earns.
        points_per_step: Param,
    },
    /// `method = "direct"`: the value already is points, clamped to [0, points].
    Direct,
}

impl Method {
    /// The value the `method` key takes.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Bands(_) => "bands",
            Method::Linear { .. } => "linear",
            Method::Target { .. } => "target",
            Method::MinMax => "minmax",
            Method::ZScore => "zscore",
            Method::Percentile => "percentile",
            Method::Flag => "flag",
            Method::Levels(_) => "levels",
            Method::Per { .. } => "per",
            Method::Direct => "direct",
        }
    }

    /// The method and its parameters as a bureau reader writes them (`≥ 10: 10; ≥ 2: 7`,
    /// `floor 0 → target 20`), for the reports' rules tables.
    pub fn describe(&self) -> String {
        let n = |p: &Param| p.describe();
        match self {
            Method::Bands(bands) => bands
                .iter()
                .map(|b| {
                    let op = match b.op {
                        BandOp::AtLeast => "≥",
                        BandOp::Above => ">",
                        BandOp::AtMost => "≤",
                        BandOp::Below => "<",
                    };
                    format!("{op} {}: {}", n(&b.threshold), n(&b.points))
                })
                .collect::<Vec<_>>()
                .join("; "),
            Method::Linear { floor, target } => {
                format!("floor {} → target {}", n(floor), n(target))
            }
            Method::Target { target } => format!("target {}", n(target)),
            Method::Per {
                step,
                points_per_step,
            } => format!("{} per step of {}", n(points_per_step), n(step)),
            Method::Levels(levels) => levels
                .iter()
                .map(|(k, p)| format!("{k}: {}", n(p)))
                .collect::<Vec<_>>()
                .join("; "),
            _ => String::new(),
        }
    }

    /// Every numeric parameter (thresholds, points, steps, level points).
    pub fn params(&self) -> Vec<&Param> {
        match self {
            Method::Bands(b) => b.iter().flat_map(|b| [&b.threshold, &b.points]).collect(),
            Method::Linear { floor, target } => vec![floor, target],
            Method::Target { target } => vec![target],
            Method::Per {
                step,
                points_per_step,
            } => vec![step, points_per_step],
            Method::Levels(l) => l.iter().map(|(_, p)| p).collect(),
            _ => vec![],
        }
    }

    /// Relative methods use statistics of the ranked entities.
    pub fn is_relative(&self) -> bool {
        matches!(self, Method::MinMax | Method::ZScore | Method::Percentile)
    }
}

/// Where an indicator's values come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `column`: the data column read (the indicator's id when none of the keys is given).
    Column(Sp<String>),
    /// `formula`: an expression over other names, per row.
    Formula(Sp<String>),
    /// `aggregate`: an expression over an entity's member rows (only with `[aggregate]`).
    Aggregate(Sp<String>),
}

/// `[[indicator]]`: a named value per entity that criteria score and expressions read.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// `id`: its name in criteria and expressions.
    pub id: Sp<String>,
    /// `label`: the display name (指标名称).
    pub label: Option<String>,
    /// `unit`: shown in reports (`亿元`, `%`, `家`).
    pub unit: Option<String>,
    /// `kind`: number (the default), bool or category.
    pub kind: Kind,
    /// Where the values come from: `column`, `formula` or `aggregate`.
    pub source: Source,
    /// `multiply`: factor applied to a numeric value (unit conversion), before `transform`.
    pub multiply: Option<Sp<f64>>,
    /// `direction`: which way is better (default `higher`).
    pub direction: Direction,
    /// `missing`: the policy for criteria on it; `None`: `[rules].missing`.
    pub missing: Option<MissingPolicy>,
    /// `levels`: a category's allowed values (any other cell is a data error).
    pub levels: Option<Vec<String>>,
    /// Where the `[[indicator]]` table is written.
    pub span: Span,
}

impl Indicator {
    /// Its `label`, or its id when it has none.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

/// `[[dimension]]`: a named group of criteria (规模能级, 创新能力, …).
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// `id`: referred to by criteria, and in expressions (its published score).
    pub id: Sp<String>,
    /// `label`: the display name.
    pub label: Option<String>,
    /// `weight`: its weight W_d in the total; given on every dimension or none (SPEC §5.3).
    pub weight: Option<Sp<f64>>,
}

impl Dimension {
    /// Its `label`, or its id when it has none.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

/// `[[criterion]]`: a scored item (评分项): an indicator, a method, and its full points.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// `id`: in post-scoring expressions, its published points.
    pub id: Sp<String>,
    /// `label`: the display name.
    pub label: Option<String>,
    /// `dimension`: the id of the dimension it counts in.
    pub dimension: Sp<String>,
    /// `indicator`: the id of the indicator scored (entity-level under `[aggregate]`).
    pub indicator: Sp<String>,
    /// `points`: its full points (满分).
    pub points: Sp<f64>,
    /// `method` with its parameters.
    pub method: Method,
    /// Where the `method` value is written.
    pub method_span: Span,
    /// `transform`: applied to the value and every threshold before scoring.
    pub transform: Option<Sp<Transform>>,
    /// `missing`: the policy for this criterion; `None`: the indicator's.
    pub missing: Option<MissingPolicy>,
}

impl Criterion {
    /// The most points the criterion can pay: its points, or less when no band or level
    /// pays them all (the best band's or level's points; a category table's largest value),
    /// or 0 for `per` with no positive `points_per_step`.
    pub fn payable(&self) -> f64 {
        let best = match &self.method {
            // (A band an earlier one shadows is never the first met: it pays nothing.)
            Method::Bands(bands) => bands
                .iter()
                .enumerate()
                .filter(|&(i, _)| !band_shadowed(bands, i))
                .flat_map(|(_, b)| b.points.all_values())
                .fold(f64::NEG_INFINITY, f64::max),
            Method::Levels(levels) => levels
                .iter()
                .flat_map(|(_, p)| p.all_values())
                .fold(f64::NEG_INFINITY, f64::max),
            // No step pays anything: nothing is ever paid.
            Method::Per {
                points_per_step, ..
            } if points_per_step.all_values().iter().all(|&v| v <= 0.0) => 0.0,
            _ => return self.points.value,
        };
        if best.is_finite() {
            best.clamp(0.0, self.points.value)
        } else {
            self.points.value
        }
    }

    /// Its `label`, or its id when it has none.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

/// What a failing gate does.
#[derive(Debug, Clone, PartialEq)]
pub enum GateEffect {
    /// `effect = "exclude"` (the default): a failing entity gets no rank and no tier.
    Exclude,
    /// Cap the entity's tier at this tier id.
    MaxTier(Sp<String>),
}

/// `[[gate]]`: a precondition or veto (一票否决) that excludes an entity or caps its tier.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// `id`: unique among gates; named in `excluded_by`.
    pub id: Sp<String>,
    /// `label`: the display name.
    pub label: Option<String>,
    /// `require`: the condition an entity must meet to pass.
    pub require: Sp<String>,
    /// `effect` / `max_tier`: what failing it does.
    pub effect: GateEffect,
}

/// `[[adjustment]]`: bonus or penalty points under a condition (加分项 / 扣分项).
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    /// `id`: unique among adjustments.
    pub id: Sp<String>,
    /// `label`: the display name.
    pub label: Option<String>,
    /// `when`: the condition under which the points apply.
    pub when: Sp<String>,
    /// `points`: added after aggregation and `scale`, before `clamp`; negative for a penalty.
    pub points: f64,
}

/// `[[tier]]`: an outcome level with a minimum score, requirements, direct qualification
/// and a quota; listed from highest to lowest.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// `id`: unique among tiers; referred to by `max_tier`.
    pub id: Sp<String>,
    /// `label`: the display name (推荐申报国家级, …).
    pub label: Option<String>,
    /// `min_score`: the minimum rounded score (a number or a category table); `None`: none.
    pub min_score: Option<Param>,
    /// `max_count`: quota by count (per cohort).
    pub max_count: Option<u64>,
    /// `top_percent`: quota as a share of the ranked entities, 0 < p ≤ 100.
    pub top_percent: Option<f64>,
    /// `requires`: conditions that must all hold.
    pub requires: Vec<Sp<String>>,
    /// `direct`: direct-qualification conditions (直接认定); any one waives `min_score`.
    pub direct: Vec<Sp<String>>,
}

impl Tier {
    /// Its `label`, or its id when it has none.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

/// `[rules]`: the evaluation as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `name`: the evaluation's title, in reports and the audit block.
    pub name: String,
    /// `version`: the file's own version string (`"2024.1"`).
    pub version: Option<String>,
    /// `entity`: the word for one row in reports (`"集群"`, `"企业"`).
    pub entity: Option<String>,
    /// Column holding the entity id (the member id under `[aggregate]`).
    pub id: Sp<String>,
    /// Column holding the display name.
    pub name_column: Option<Sp<String>>,
    /// `year`: the year to score, with `[data].year_column`; `None`: the latest year present
    /// (all rows without a year column).
    pub year: Option<i64>,
    /// `scale`: rescale the total so that its maximum is this number.
    pub scale: Option<f64>,
    /// `aggregation`: how dimension scores form the total (default additive).
    pub aggregation: Aggregation,
    /// `missing`: the default missing-value policy (default `zero`).
    pub missing: MissingPolicy,
    /// `decimals`: the published precision of scores and components, 0 to 10 (default 2).
    pub decimals: u32,
    /// `tie_break`: indicator ids that break equal scores in order, each by its direction;
    /// then id ascending.
    pub tie_break: Vec<Sp<String>>,
    /// `clamp = [lo, hi]`: bounds of the final score, applied after adjustments.
    pub clamp: Option<(f64, f64)>,
    /// `cohort`: the indicator or column whose values split entities into groups ranked
    /// separately.
    pub cohort: Option<Sp<String>>,
    /// `geometric_floor`: the least dimension fraction geometric aggregation uses, in
    /// (0, 1] (default [`DEFAULT_GEOMETRIC_FLOOR`]).
    pub geometric_floor: f64,
}

/// `[data]`: how to read the data files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataSettings {
    /// `year_column`: the column holding each row's year (年度), for multi-year data.
    pub year_column: Option<Sp<String>>,
    /// `missing_markers`: cell texts meaning "no value", besides the built-in ones.
    pub missing_markers: Vec<String>,
    /// `sheet`: the XLSX sheet to read; `None`: the first visible worksheet.
    pub sheet: Option<String>,
    /// `header_row`: the 1-based row holding the headers (default 1).
    pub header_row: usize,
}

/// `[aggregate]`: data rows are members rolled up to entities.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSettings {
    /// `by`: the column naming the entity each member row belongs to (the entity id).
    pub by: Sp<String>,
    /// `label`: the column holding the entity's display name (from its first member row
    /// that gives one).
    pub label: Option<Sp<String>>,
}

/// `[output]`: extra data columns copied into every output row (for chained workflows).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputSettings {
    /// `carry`: data columns copied, as text, into every output row.
    pub carry: Vec<Sp<String>>,
}

/// A rules file as written, every element with its place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// The file's name and text, for diagnostics and the audit's SHA-256.
    pub source: SourceText,
    /// `[rules]`.
    pub settings: Settings,
    /// `[data]` (defaults when absent).
    pub data: DataSettings,
    /// `[aggregate]`, when present: data rows are members rolled up to entities.
    pub aggregate: Option<AggregateSettings>,
    /// `[output]` (empty when absent).
    pub output: OutputSettings,
    /// The `[[indicator]]` tables, in file order.
    pub indicators: Vec<Indicator>,
    /// The `[[dimension]]` tables, in file order.
    pub dimensions: Vec<Dimension>,
    /// The `[[criterion]]` tables, in file order.
    pub criteria: Vec<Criterion>,
    /// The `[[gate]]` tables, in file order.
    pub gates: Vec<Gate>,
    /// The `[[adjustment]]` tables, in file order.
    pub adjustments: Vec<Adjustment>,
    /// The `[[tier]]` tables, highest tier first.
    pub tiers: Vec<Tier>,
}

/// `[rules].geometric_floor` when not given: one empty dimension does not zero a geometric
/// score (SPEC §5.3).
pub const DEFAULT_GEOMETRIC_FLOOR: f64 = 0.01;

impl Rules {
    /// The conditions of the rules with where each is written (`gate 'g'`, `adjustment 'a'`,
    /// `tier 't' requires`, `tier 't' direct`): the gates `gate` keeps, then the
    /// adjustments, then each tier's, in file order.
    pub fn conditions<'r>(
        &'r self,
        gate: impl Fn(&Gate) -> bool + 'r,
    ) -> impl Iterator<Item = (String, &'r Sp<String>)> + 'r {
        self.gates
            .iter()
            .filter(move |g| gate(g))
            .map(|g| (format!("gate '{}'", g.id.value), &g.require))
            .chain(
                self.adjustments
                    .iter()
                    .map(|a| (format!("adjustment '{}'", a.id.value), &a.when)),
            )
            .chain(self.tiers.iter().flat_map(|t| {
                t.requires
                    .iter()
                    .map(move |q| (format!("tier '{}' requires", t.id.value), q))
                    .chain(
                        t.direct
                            .iter()
                            .map(move |q| (format!("tier '{}' direct", t.id.value), q)),
                    )
            }))
    }

    /// Reads and parses a rules file.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> crate::diag::Result<Rules> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = crate::diag::read_utf8_file(path, &name, "rules file")?;
        parse_rules(SourceText::new(name, text))
    }

    /// Parses rules from text; `name` is used in diagnostics.
    pub fn from_str_named(text: &str, name: &str) -> crate::diag::Result<Rules> {
        parse_rules(SourceText::new(name, text))
    }

    /// Parses rules from text named `rules.toml` in diagnostics (see also `str::parse`).
    #[allow(clippy::should_implement_trait)] // it is implemented too; this one needs no import
    pub fn from_str(text: &str) -> crate::diag::Result<Rules> {
        Self::from_str_named(text, "rules.toml")
    }

    /// The indicator with id `id`.
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id.value == id)
    }

    /// What `name` is the id of when it is a gate, adjustment or tier id: "a gate", "an
    /// adjustment", "a tier". Such ids are known to the rules yet are not names in
    /// expressions (SPEC §12): `score` says so when it meets one, `check` lints it.
    pub fn id_not_a_name(&self, name: &str) -> Option<&'static str> {
        if self.gates.iter().any(|g| g.id.value == name) {
            Some("a gate")
        } else if self.adjustments.iter().any(|a| a.id.value == name) {
            Some("an adjustment")
        } else if self.tiers.iter().any(|t| t.id.value == name) {
            Some("a tier")
        } else {
            None
        }
    }

    /// What `name` stands for when it is a dimension or criterion id: "the score of dimension
    /// 'x'", "the points of criterion 'x'" (values that exist only once scored).
    pub fn scored_value_of(&self, name: &str) -> Option<String> {
        if self.dimension(name).is_some() {
            Some(format!("the score of dimension '{name}'"))
        } else if self.criteria.iter().any(|c| c.id.value == name) {
            Some(format!("the points of criterion '{name}'"))
        } else {
            None
        }
    }

    /// Where `[rules].key`'s value is written in the rules file, for errors the data reveals
    /// (`year = 2019` with no rows of 2019); `None` when the file does not write it.
    pub fn setting_span(&self, key: &str) -> Option<Span> {
        let doc = toml::de::DeTable::parse(&self.source.text).ok()?;
        let rules = doc.get_ref().get("rules")?;
        let toml::de::DeValue::Table(t) = rules.get_ref() else {
            return None;
        };
        Some(t.get(key)?.span().into())
    }

    /// The ids a bare name in an expression may mean: the indicators', and where scores
    /// exist (`scores`: tier conditions, capping gates, adjustments) the dimensions' and
    /// criteria's. The candidates of a "did you mean" for an unknown name.
    pub fn expression_ids(&self, scores: bool) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .indicators
            .iter()
            .map(|i| i.id.value.as_str())
            .collect();
        if scores {
            ids.extend(self.dimensions.iter().map(|d| d.id.value.as_str()));
            ids.extend(self.criteria.iter().map(|c| c.id.value.as_str()));
        }
        ids
    }

    /// The dimension with id `id`.
    pub fn dimension(&self, id: &str) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.id.value == id)
    }

    /// The highest total an entity can reach before adjustments and clamp.
    pub fn max_score(&self) -> f64 {
        if let Some(s) = self.settings.scale {
            return s;
        }
        let weighted =
            self.dimensions.iter().all(|d| d.weight.is_some()) && !self.dimensions.is_empty();
        if weighted {
            self.dimensions
                .iter()
                .map(|d| d.weight.as_ref().map_or(0.0, |w| w.value))
                .sum()
        } else {
            self.criteria.iter().map(|c| c.points.value).sum()
        }
    }

    /// Every parameter that may be a `{ by, values, default }` table: the criteria's and the
    /// tiers' `min_score`.
    pub fn parameters(&self) -> impl Iterator<Item = &Param> {
        self.criteria
            .iter()
            .flat_map(|c| c.method.params())
            .chain(self.tiers.iter().filter_map(|t| t.min_score.as_ref()))
    }

    /// The highest score before adjustments an entity can reach: [`Rules::max_score`], less
    /// where a criterion's bands or levels never pay all its points ([`Criterion::payable`]:
    /// points raised without raising the table). TOPSIS measures against the best entity
    /// of the data, which reaches it.
    pub fn max_achievable(&self) -> f64 {
        let max = self.max_score();
        let dims: Vec<(f64, f64)> = self
            .dimensions
            .iter()
            .map(|d| (self.dimension_share(d), self.dimension_weight(d)))
            .collect();
        let total_weight: f64 = dims.iter().map(|&(_, w)| w).sum();
        if total_weight <= 0.0 || dims.iter().all(|&(share, _)| share >= 1.0) {
            return max;
        }
        match self.settings.aggregation {
            Aggregation::Topsis => max,
            Aggregation::Additive => {
                max * dims.iter().map(|&(share, w)| share * w).sum::<f64>() / total_weight
            }
            Aggregation::Geometric => {
                max * dims
                    .iter()
                    .map(|&(share, w)| {
                        share
                            .max(self.settings.geometric_floor)
                            .powf(w / total_weight)
                    })
                    .product::<f64>()
            }
        }
    }

    /// The missing-value policy of criterion `c`: its own, its indicator's, the file's.
    pub fn missing_policy(&self, c: &Criterion) -> MissingPolicy {
        c.missing
            .or_else(|| self.indicator(&c.indicator.value).and_then(|i| i.missing))
            .unwrap_or(self.settings.missing)
    }

    /// A dimension's weight in the aggregation: its `weight`, else its criteria's points.
    pub fn dimension_weight(&self, d: &Dimension) -> f64 {
        d.weight
            .as_ref()
            .map_or_else(|| self.dimension_points(d), |w| w.value)
    }

    /// A dimension's points, M_d (SPEC §5.3): the sum of its criteria's `points`.
    pub fn dimension_points(&self, d: &Dimension) -> f64 {
        self.criteria
            .iter()
            .filter(|c| c.dimension.value == d.id.value)
            .map(|c| c.points.value)
            .sum()
    }

    /// The largest share of a dimension's points an entity can be paid: what its criteria
    /// can pay over their points (0 for a dimension without points, which scores 0). A criterion that `missing = "exclude"` may drop leaves
    /// the share to the others (the dimension is rescaled over what remains), so those
    /// paying less than the share reached are taken out, lowest first — the best an entity
    /// missing exactly those values can do.
    fn dimension_share(&self, d: &Dimension) -> f64 {
        let members: Vec<&Criterion> = self
            .criteria
            .iter()
            .filter(|c| c.dimension.value == d.id.value)
            .collect();
        let mut points: f64 = members.iter().map(|c| c.points.value).sum();
        let mut paid: f64 = members.iter().map(|c| c.payable()).sum();
        if points <= 0.0 {
            // No criteria, or none with points: the dimension scores 0 for every entity.
            return 0.0;
        }
        let mut droppable: Vec<&Criterion> = members
            .iter()
            .copied()
            .filter(|c| c.points.value > 0.0 && self.missing_policy(c) == MissingPolicy::Exclude)
            .collect();
        droppable.sort_by(|a, b| {
            (a.payable() / a.points.value).total_cmp(&(b.payable() / b.points.value))
        });
        for c in droppable {
            let left = points - c.points.value;
            if left <= 0.0 || c.payable() / c.points.value >= paid / points {
                break;
            }
            points = left;
            paid -= c.payable();
        }
        (paid / points).min(1.0)
    }

    /// The highest published score of dimension `id` an entity can reach:
    /// `final_max × W_d/ΣW × share_d` ([`Rules::max_achievable`]'s share). `None` for no
    /// such dimension.
    pub fn dimension_reach(&self, id: &str) -> Option<f64> {
        let d = self.dimensions.iter().find(|d| d.id.value == id)?;
        let total: f64 = self
            .dimensions
            .iter()
            .map(|d| self.dimension_weight(d))
            .sum();
        if total <= 0.0 {
            return Some(0.0);
        }
        Some(self.max_score() * self.dimension_weight(d) / total * self.dimension_share(d))
    }

    /// The lowest published score an entity can get: 0 plus every negative adjustment,
    /// raised by `clamp`.
    pub fn lowest_reachable(&self) -> f64 {
        let malus: f64 = self.adjustments.iter().map(|a| a.points.min(0.0)).sum();
        match self.settings.clamp {
            Some((lo, _)) => malus.max(lo),
            None => malus,
        }
    }

    /// The highest published score an entity can reach: the achievable maximum plus every
    /// positive adjustment, capped by `clamp`.
    pub fn highest_reachable(&self) -> f64 {
        let bonus: f64 = self.adjustments.iter().map(|a| a.points.max(0.0)).sum();
        let reachable = self.max_achievable() + bonus;
        match self.settings.clamp {
            Some((_, hi)) => reachable.min(hi),
            None => reachable,
        }
    }
}

impl std::str::FromStr for Rules {
    type Err = crate::diag::Error;
    fn from_str(text: &str) -> crate::diag::Result<Rules> {
        Rules::from_str_named(text, "rules.toml")
    }
}

#[cfg(test)]
mod describe_tests {
    use super::*;

    fn fixed(v: f64) -> Param {
        Param::Fixed(v)
    }

    #[test]
    fn methods_are_described_as_a_reader_writes_them() {
        let bands = Method::Bands(vec![
            Band {
                op: BandOp::AtLeast,
                threshold: fixed(10.0),
                points: fixed(10.0),
                span: Span::default(),
            },
            Band {
                op: BandOp::Below,
                threshold: fixed(0.5),
                points: fixed(2.5),
                span: Span::default(),
            },
        ]);
        assert_eq!(bands.describe(), "≥ 10: 10; < 0.5: 2.5");
        let linear = Method::Linear {
            floor: fixed(0.0),
            target: Param::ByCategory {
                by: Sp {
                    value: "region".into(),
                    span: Span::default(),
                },
                values: vec![("east".into(), 100.0), ("west".into(), 50.0)],
                default: Some(60.0),
            },
        };
        assert_eq!(
            linear.describe(),
            "floor 0 → target (by region: east 100, west 50, else 60)"
        );
        let per = Method::Per {
            step: fixed(2.0),
            points_per_step: fixed(3.0),
        };
        assert_eq!(per.describe(), "3 per step of 2");
        assert_eq!(Method::Percentile.describe(), "");
    }
}

#[cfg(test)]
mod achievable_tests {
    use super::Rules;
    use approx::assert_relative_eq;

    const TWO_DIMS: &str = r#"
[rules]
name = "t"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "a"
weight = 60
[[dimension]]
id = "b"
weight = 40
[[criterion]]
id = "banded"
dimension = "a"
indicator = "x"
points = 10
method = "bands"
bands = [{ at_least = 5, points = { by = "x", values = { "1" = 4 }, default = 6 } }, { at_least = 1, points = 3 }]
[[criterion]]
id = "plain"
dimension = "b"
indicator = "x"
points = 10
method = "direct"
"#;

    #[test]
    fn the_achievable_maximum_counts_what_bands_can_pay() {
        let r = Rules::from_str(TWO_DIMS).unwrap();
        // A category table's largest value (6) is the best band.
        assert_relative_eq!(r.criteria[0].payable(), 6.0);
        assert_relative_eq!(r.criteria[1].payable(), 10.0);
        // Weighted: 60 × 6/10 + 40 × 1 = 76 of 100.
        assert_relative_eq!(r.max_score(), 100.0);
        assert_relative_eq!(r.max_achievable(), 76.0);
        // Unweighted: the points themselves, 6 + 10 of 20; with scale 50: 50 × 16/20 = 40.
        let plain = TWO_DIMS
            .replace("weight = 60\n", "")
            .replace("weight = 40\n", "");
        assert_relative_eq!(Rules::from_str(&plain).unwrap().max_achievable(), 16.0);
        let scaled = plain.replace("id = \"id\"\n", "id = \"id\"\nscale = 50\n");
        assert_relative_eq!(Rules::from_str(&scaled).unwrap().max_achievable(), 40.0);
        // Geometric: 100 × 0.6^(60/100) × 1^(40/100) = 73.60219…
        let geo = TWO_DIMS.replace(
            "id = \"id\"\n",
            "id = \"id\"\naggregation = \"geometric\"\n",
        );
        assert_relative_eq!(
            Rules::from_str(&geo).unwrap().max_achievable(),
            73.602_192_6,
            epsilon = 1e-6
        );
        // TOPSIS measures against the data's best: the maximum.
        let topsis = TWO_DIMS.replace("id = \"id\"\n", "id = \"id\"\naggregation = \"topsis\"\n");
        assert_relative_eq!(Rules::from_str(&topsis).unwrap().max_achievable(), 100.0);
        // Bands that pay the points: nothing held back.
        let full = TWO_DIMS.replace("default = 6", "default = 10");
        assert_relative_eq!(Rules::from_str(&full).unwrap().max_achievable(), 100.0);
        // A criterion that `missing = "exclude"` may drop leaves its dimension to the others:
        // an entity missing it reaches the dimension's whole weight.
        let excl = TWO_DIMS.replace(
            "id = \"banded\"\n",
            "id = \"banded\"\nmissing = \"exclude\"\n",
        );
        let with_other = excl.replace(
            "[[criterion]]\nid = \"plain\"\ndimension = \"b\"",
            "[[criterion]]\nid = \"full\"\ndimension = \"a\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n[[criterion]]\nid = \"plain\"\ndimension = \"b\"",
        );
        let r = Rules::from_str(&with_other).unwrap();
        assert_relative_eq!(r.max_achievable(), 100.0);
        assert_relative_eq!(r.dimension_reach("a").unwrap(), 60.0);
        // Alone in its dimension it cannot be dropped to nothing: 6 of 10 stands.
        assert_relative_eq!(Rules::from_str(&excl).unwrap().max_achievable(), 76.0);
    }
}
