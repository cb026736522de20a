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
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

/// How the total is formed from dimension scores (SPEC §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregation {
    Additive,
    Geometric,
    Topsis,
}

impl Aggregation {
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
    Zero,
    Exclude,
    Mean,
    Median,
    Fail,
}

impl MissingPolicy {
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
    Number,
    Bool,
    Category,
}

impl Kind {
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
    Higher,
    Lower,
}

/// A number, or a number chosen by the entity's category (`{ by, values, default }`).
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Fixed(f64),
    ByCategory {
        /// Indicator id (or data column) holding the category.
        by: Sp<String>,
        values: Vec<(String, f64)>,
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
    AtLeast,
    Above,
    AtMost,
    Below,
}

impl BandOp {
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

#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub op: BandOp,
    pub threshold: Param,
    pub points: Param,
    pub span: Span,
}

/// A transform applied to the value and every threshold before scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    Log10,
    Ln,
    Sqrt,
}

impl Transform {
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
    Bands(Vec<Band>),
    Linear { floor: Param, target: Param },
    Target { target: Param },
    MinMax,
    ZScore,
    Percentile,
    Flag,
    Levels(Vec<(String, Param)>),
    Per { step: Param, points_per_step: Param },
    Direct,
}

impl Method {
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
    Column(Sp<String>),
    Formula(Sp<String>),
    Aggregate(Sp<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    pub id: Sp<String>,
    pub label: Option<String>,
    pub unit: Option<String>,
    pub kind: Kind,
    pub source: Source,
    pub multiply: Option<Sp<f64>>,
    pub direction: Direction,
    pub missing: Option<MissingPolicy>,
    pub levels: Option<Vec<String>>,
    pub span: Span,
}

impl Indicator {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    pub id: Sp<String>,
    pub label: Option<String>,
    pub weight: Option<Sp<f64>>,
}

impl Dimension {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    pub id: Sp<String>,
    pub label: Option<String>,
    pub dimension: Sp<String>,
    pub indicator: Sp<String>,
    pub points: Sp<f64>,
    pub method: Method,
    pub method_span: Span,
    pub transform: Option<Sp<Transform>>,
    pub missing: Option<MissingPolicy>,
}

impl Criterion {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

/// What a failing gate does.
#[derive(Debug, Clone, PartialEq)]
pub enum GateEffect {
    Exclude,
    /// Cap the entity's tier at this tier id.
    MaxTier(Sp<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    pub id: Sp<String>,
    pub label: Option<String>,
    pub require: Sp<String>,
    pub effect: GateEffect,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub id: Sp<String>,
    pub label: Option<String>,
    pub when: Sp<String>,
    pub points: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub id: Sp<String>,
    pub label: Option<String>,
    pub min_score: Option<Param>,
    pub max_count: Option<u64>,
    pub top_percent: Option<f64>,
    pub requires: Vec<Sp<String>>,
    pub direct: Vec<Sp<String>>,
}

impl Tier {
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.id.value)
    }
}

/// `[rules]`: the evaluation as a whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub name: String,
    pub version: Option<String>,
    pub entity: Option<String>,
    /// Column holding the entity id (the member id under `[aggregate]`).
    pub id: Sp<String>,
    /// Column holding the display name.
    pub name_column: Option<Sp<String>>,
    pub year: Option<i64>,
    pub scale: Option<f64>,
    pub aggregation: Aggregation,
    pub missing: MissingPolicy,
    pub decimals: u32,
    pub tie_break: Vec<Sp<String>>,
    pub clamp: Option<(f64, f64)>,
    pub cohort: Option<Sp<String>>,
    pub geometric_floor: f64,
}

/// `[data]`: how to read the data files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataSettings {
    pub year_column: Option<Sp<String>>,
    pub missing_markers: Vec<String>,
    pub sheet: Option<String>,
    pub header_row: usize,
}

/// `[aggregate]`: data rows are members rolled up to entities.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateSettings {
    pub by: Sp<String>,
    pub label: Option<Sp<String>>,
}

/// `[output]`: extra data columns copied into every output row (for chained workflows).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputSettings {
    pub carry: Vec<Sp<String>>,
}

/// A rules file as written, every element with its place in the source.
#[derive(Debug, Clone)]
pub struct Rules {
    pub source: SourceText,
    pub settings: Settings,
    pub data: DataSettings,
    pub aggregate: Option<AggregateSettings>,
    pub output: OutputSettings,
    pub indicators: Vec<Indicator>,
    pub dimensions: Vec<Dimension>,
    pub criteria: Vec<Criterion>,
    pub gates: Vec<Gate>,
    pub adjustments: Vec<Adjustment>,
    pub tiers: Vec<Tier>,
}

/// `[rules].geometric_floor` when not given: one empty dimension does not zero a geometric
/// score (SPEC §5.3).
pub const DEFAULT_GEOMETRIC_FLOOR: f64 = 0.01;

impl Rules {
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

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id.value == id)
    }

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
