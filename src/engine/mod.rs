//! The engine: compiled rules, data binding, scoring methods, aggregation, gates, ranking
//! and tiers. `Rules::compile` checks everything that can be checked without data;
//! [`CompiledRules::assess`] binds names to the data's columns and scores column-wise.

mod assess;
pub mod assessment;
mod bind;
mod column_causes;
pub mod evidence;
pub mod methods;

pub use assess::AssessOptions;
pub use assessment::*;
pub use bind::Dataset;

use crate::data::fold_header;
use crate::diag::{Diagnostic, Error, Result, SourceText, Span, Stage, did_you_mean_help};
use crate::expr::{self, Expr};
use crate::rules::{Kind, Method, Param, Rules, Source, Sp, expression_span};
use std::collections::HashMap;

/// Where an expression is used, which decides the names it may see (SPEC §12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExprPlace {
    /// An indicator's `formula` (member level under `[aggregate]`).
    Formula,
    /// An indicator's `aggregate`.
    Aggregate,
    /// An exclude gate: before scoring.
    ExcludeGate,
    /// An adjustment's `when`: after aggregation, without `score`.
    Adjustment,
    /// Tier requires/direct and capping gates: after scoring.
    AfterScoring,
}

impl ExprPlace {
    fn sees_scores(self) -> bool {
        matches!(self, ExprPlace::Adjustment | ExprPlace::AfterScoring)
    }
}

/// A parsed expression with where it came from.
#[derive(Debug, Clone)]
pub struct ParsedExpr {
    /// The expression as written in the rules file, with its place there.
    pub text: Sp<String>,
    /// Its syntax tree.
    pub ast: Expr,
    /// Which kind of rules key it belongs to (what names it may read).
    pub place: ExprPlace,
    /// "formula of indicator 'x'", for messages.
    pub what: String,
}

impl CompiledRules {
    /// The rules as loaded and checked.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// `prev()` reads the same entity's earlier year: without a year column every row has
    /// no year and it would be missing everywhere, silently. An error at each expression's
    /// first `prev`.
    fn prev_without_years(&self) -> Vec<Diagnostic> {
        if self.prev_years.is_empty() || self.rules.data.year_column.is_some() {
            return Vec::new();
        }
        let mut errors = Vec::new();
        for p in self.all_exprs() {
            let mut at = None;
            expr::walk(&p.ast, &mut |e| {
                if let expr::ExprKind::Call { name, .. } = &e.kind
                    && name == "prev"
                    && at.is_none()
                {
                    at = Some(e.span);
                }
            });
            if let Some(span) = at {
                errors.push(expr_diag(
                    &self.rules.source,
                    &p.text,
                    &p.what,
                    span,
                    "prev() reads an earlier year, but [data] names no year_column",
                    Some(
                        "add [data] with year_column = \"<the column holding each row's year>\" \
                         (and a row per entity and year), or remove prev()"
                            .into(),
                    ),
                ));
            }
        }
        errors
    }

    /// Bare names mentioned by any expression (for the unused-indicator lint).
    pub fn expression_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .indicator_exprs
            .iter()
            .flatten()
            .chain(self.gate_exprs.iter())
            .chain(self.adjustment_exprs.iter())
            .chain(self.tier_requires.iter().flatten())
            .chain(self.tier_direct.iter().flatten())
            .flat_map(|p| {
                expr::names(&p.ast)
                    .into_iter()
                    .filter(|(_, q, _)| !q)
                    .map(|(n, _, _)| n)
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Rules checked and parsed, ready to score any number of data sets. The rules are read
/// through [`CompiledRules::rules`]; to change them (weights, points), edit a [`Rules`] and
/// compile it again, so that the change is checked as a file would be.
#[derive(Debug, Clone)]
pub struct CompiledRules {
    pub(crate) rules: Rules,
    /// Whether the rules differ from their source text (changed in memory after reading).
    pub(crate) edited: bool,
    /// Per indicator: its parsed formula or aggregate expression.
    pub(crate) indicator_exprs: Vec<Option<ParsedExpr>>,
    pub(crate) gate_exprs: Vec<ParsedExpr>,
    pub(crate) adjustment_exprs: Vec<ParsedExpr>,
    pub(crate) tier_requires: Vec<Vec<ParsedExpr>>,
    pub(crate) tier_direct: Vec<Vec<ParsedExpr>>,
    /// Formula/aggregate indicators in dependency order.
    pub(crate) formula_order: Vec<usize>,
    /// Per criterion: dimension index and indicator index.
    pub(crate) criterion_dimension: Vec<usize>,
    pub(crate) criterion_indicator: Vec<usize>,
    /// Per capping gate: the index of its tier; `None` for exclude gates.
    pub(crate) gate_cap: Vec<Option<usize>>,
    /// Every k of a `prev(x, k)` in the rules, ascending (row maps are built for these only).
    pub(crate) prev_years: Vec<u32>,
}

/// The value ranges the loader checks (SPEC §12), again on the `Rules` handed to `compile`:
/// its fields are public, and rules changed in memory (a weight, points, a quota) must be
/// refused as a file holding the same value would be, not reach the engine as NaN or an
/// inverted clamp. A file read by the loader passes: it met the same bounds there.
fn edited_values(r: &Rules, errors: &mut Vec<Diagnostic>) {
    const LARGEST: f64 = 1e100;
    let src = &r.source;
    let mut bad = |span: Span, what: String, found: String, need: &str| {
        errors.push(diag(
            src,
            span,
            format!("{what} is {found}, but it must be {need} (the rules were changed after they were read)"),
            None,
        ));
    };
    let usable = |x: f64| x.is_finite() && x.abs() <= LARGEST;
    // 1e300 as 1e300, not as 301 digits.
    let num = |x: f64| {
        if x != 0.0 && (x.abs() >= 1e16 || x.abs() < 1e-6) {
            format!("{x:e}")
        } else {
            x.to_string()
        }
    };
    let whole = Span::new(0, 0);
    let s = &r.settings;
    if let Some(x) = s.scale
        && !(usable(x) && x > 0.0)
    {
        bad(whole, "[rules] scale".into(), num(x), "a finite number > 0");
    }
    if let Some((lo, hi)) = s.clamp
        && !(usable(lo) && usable(hi) && lo <= hi)
    {
        bad(
            whole,
            "[rules] clamp".into(),
            format!("[{}, {}]", num(lo), num(hi)),
            "two finite numbers with lo ≤ hi",
        );
    }
    if s.decimals > 10 {
        bad(
            whole,
            "[rules] decimals".into(),
            s.decimals.to_string(),
            "an integer from 0 to 10",
        );
    }
    if !(s.geometric_floor > 0.0 && s.geometric_floor <= 1.0) {
        bad(
            whole,
            "[rules] geometric_floor".into(),
            num(s.geometric_floor),
            "in (0, 1]",
        );
    }
    if r.data.header_row == 0 {
        bad(whole, "[data] header_row".into(), "0".into(), "1 or more");
    }
    for i in &r.indicators {
        if let Some(m) = &i.multiply
            && !(usable(m.value) && m.value != 0.0)
        {
            bad(
                m.span,
                format!("'multiply' of indicator '{}'", i.id.value),
                num(m.value),
                "a finite number other than 0",
            );
        }
    }
    for d in &r.dimensions {
        if let Some(w) = &d.weight
            && !(usable(w.value) && w.value >= 0.0)
        {
            bad(
                w.span,
                format!("'weight' of dimension '{}'", d.id.value),
                num(w.value),
                "a finite number ≥ 0",
            );
        }
    }
    let numbers = |p: &Param| -> Vec<f64> {
        match p {
            Param::Fixed(x) => vec![*x],
            Param::ByCategory {
                values, default, ..
            } => values.iter().map(|(_, x)| *x).chain(*default).collect(),
        }
    };
    for c in &r.criteria {
        let what = |key: &str| format!("'{key}' of criterion '{}'", c.id.value);
        if !(usable(c.points.value) && c.points.value >= 0.0) {
            bad(
                c.points.span,
                what("points"),
                num(c.points.value),
                "a finite number ≥ 0",
            );
        }
        for p in c.method.params() {
            if let Some(x) = numbers(p).into_iter().find(|x| !usable(*x)) {
                bad(c.method_span, what("parameter"), num(x), "a finite number");
            }
        }
        let all = |p: &Param, ok: &dyn Fn(f64) -> bool| numbers(p).into_iter().all(ok);
        match &c.method {
            Method::Bands(b) if b.is_empty() => bad(
                c.method_span,
                what("bands"),
                "empty".into(),
                "at least one band",
            ),
            Method::Bands(b) if b.iter().any(|band| !all(&band.points, &|x| x >= 0.0)) => {
                bad(c.method_span, what("band points"), "negative".into(), "≥ 0")
            }
            Method::Levels(l) if l.iter().any(|(_, p)| !all(p, &|x| x >= 0.0)) => bad(
                c.method_span,
                what("level points"),
                "negative".into(),
                "≥ 0",
            ),
            Method::Linear {
                floor: Param::Fixed(f),
                target: Param::Fixed(t),
            } if f == t => bad(
                c.method_span,
                what("floor"),
                num(*f),
                "different from 'target'",
            ),
            Method::Target { target } if !all(target, &|x| x > 0.0) => bad(
                c.method_span,
                what("target"),
                format!("{:?}", numbers(target)),
                "> 0",
            ),
            Method::Per {
                step,
                points_per_step,
            } if !all(step, &|x| x > 0.0) || !all(points_per_step, &|x| x >= 0.0) => bad(
                c.method_span,
                what("step"),
                format!("{:?} / {:?}", numbers(step), numbers(points_per_step)),
                "step > 0 and points_per_step ≥ 0",
            ),
            _ => {}
        }
    }
    for a in &r.adjustments {
        if !usable(a.points) {
            bad(
                a.id.span,
                format!("'points' of adjustment '{}'", a.id.value),
                num(a.points),
                "a finite number",
            );
        }
    }
    for t in &r.tiers {
        if let Some(p) = t.top_percent
            && !(p > 0.0 && p <= 100.0)
        {
            bad(
                t.id.span,
                format!("'top_percent' of tier '{}'", t.id.value),
                num(p),
                "a number with 0 < p ≤ 100",
            );
        }
        if let Some(m) = &t.min_score
            && numbers(m).iter().any(|x| !usable(*x))
        {
            bad(
                t.id.span,
                format!("'min_score' of tier '{}'", t.id.value),
                format!("{:?}", numbers(m)),
                "a finite number",
            );
        }
    }
}

impl Rules {
    /// Checks references, parameters and expressions; every problem is reported at once.
    pub fn compile(self) -> Result<CompiledRules> {
        compile(self)
    }
}

/// Where key `k` is written in the table whose id is at `id` (a level in a criterion's
/// `levels` table, an indicator's `levels` key): `"k"`, `'k'` or bare `k` followed by `=`,
/// searched from the table's `[[…]]` header to the next `[[` header, indented or not (so a
/// `[criterion.levels]` table is searched too; the loader keeps no span per key of that
/// table), comment lines left out. `None` unless found exactly once.
fn table_key_span(text: &str, id: Span, key: &str) -> Option<Span> {
    let start = text.get(..id.start)?.rfind("[[")?;
    let quoted = [format!("\"{key}\""), format!("'{key}'"), key.to_string()];
    let mut hits: Vec<Vec<Span>> = vec![Vec::new(); quoted.len()];
    let mut at = start;
    for (n, line) in text[start..].split_inclusive('\n').enumerate() {
        let lead = line.trim_start();
        // Up to the next [[…]] header (indented or not); comment lines are skipped.
        if n > 0 && lead.starts_with("[[") {
            break;
        }
        if !lead.starts_with('#') {
            for (q, form) in quoted.iter().enumerate() {
                for (i, _) in line.match_indices(form.as_str()) {
                    let before = line[..i].chars().next_back();
                    let after = line[i + form.len()..].trim_start_matches([' ', '\t']);
                    if !before
                        .is_some_and(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '"' | '\''))
                        && after.starts_with('=')
                        && !after.starts_with("==")
                    {
                        hits[q].push(Span::new(at + i, at + i + form.len()));
                    }
                }
            }
        }
        at += line.len();
    }
    // The first written form found (quoted before bare), if found exactly once.
    match hits.into_iter().find(|h| !h.is_empty())?[..] {
        [one] => Some(one),
        _ => None,
    }
}

fn diag(
    source: &SourceText,
    span: Span,
    msg: impl Into<String>,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::new(Stage::Rules, msg)
        .in_source(source, span)
        .with_help_opt(help)
}

/// A diagnostic for an expression problem at `span` (inside the expression).
pub(crate) fn expr_diag(
    source: &SourceText,
    text: &Sp<String>,
    what: &str,
    span: Span,
    message: &str,
    help: Option<String>,
) -> Diagnostic {
    let expr = &text.value;
    let start = span.start.min(expr.len());
    // Line and column within the expression, for formulas written over several lines.
    let before = expr.get(..start).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map_or(start, |s| s.chars().count())
        + 1;
    let msg = format!(
        "{message} at {line}:{col} in {what} `{}`",
        crate::diag::truncate(expr, 200)
    );
    let end = span.end.min(expr.len()).max(start);
    let file_span =
        expression_span(&source.text, text.span, expr, Span::new(start, end)).unwrap_or(text.span);
    diag(source, file_span, msg, help)
}

fn parse_expr(
    source: &SourceText,
    text: &Sp<String>,
    place: ExprPlace,
    what: String,
    errors: &mut Vec<Diagnostic>,
) -> Option<ParsedExpr> {
    match expr::parse(&text.value) {
        Ok(ast) => Some(ParsedExpr {
            text: text.clone(),
            ast,
            place,
            what,
        }),
        Err(e) => {
            errors.push(expr_diag(source, text, &what, e.span, &e.message, e.help));
            None
        }
    }
}

/// The columns every CSV output starts with, before dimensions, criteria and carried columns.
pub(crate) const CSV_COLUMNS: &[&str] = &[
    "rank",
    "id",
    "name",
    "score",
    "tier",
    "tier_label",
    "excluded_by",
];

fn compile(rules: Rules) -> Result<CompiledRules> {
    let src = &rules.source;
    let mut errors = Vec::new();
    edited_values(&rules, &mut errors);

    // One namespace for indicators, dimensions and criteria.
    let mut names: HashMap<&str, (&str, Span)> = HashMap::new();
    let kinds = rules
        .indicators
        .iter()
        .map(|i| (&i.id, "indicator"))
        .chain(rules.dimensions.iter().map(|d| (&d.id, "dimension")))
        .chain(rules.criteria.iter().map(|c| (&c.id, "criterion")));
    for (id, kind) in kinds {
        // `score` and `tier` are names of the results; the words of the expression language
        // would read as themselves in every expression, never as the id.
        if matches!(
            id.value.as_str(),
            "score" | "tier" | "and" | "or" | "not" | "true" | "false"
        ) {
            errors.push(diag(
                src,
                id.span,
                format!(
                    "'{}' is reserved and cannot be the id of {} {kind}",
                    id.value,
                    if kind == "indicator" { "an" } else { "a" }
                ),
                Some("choose another id".into()),
            ));
        }
        // A dimension's or criterion's id heads a CSV column after the fixed ones: the same
        // header twice could not be read back (the chained workflow reads it).
        if kind != "indicator"
            && !matches!(id.value.as_str(), "score" | "tier")
            && CSV_COLUMNS.contains(&fold_header(&id.value).as_str())
        {
            errors.push(diag(
                src,
                id.span,
                format!(
                    "'{}' heads a column of every CSV output and cannot be the id of a {kind}",
                    id.value
                ),
                Some(format!(
                    "the CSV output's headers ({}, then dimensions and criteria) must be unique \
                     to be read back; choose another id",
                    CSV_COLUMNS.join(", ")
                )),
            ));
        }
        if let Some((other, span)) = names.insert(&id.value, (kind, id.span)) {
            let (line, _) = src.line_col(span.start);
            errors.push(diag(
                src,
                id.span,
                format!(
                    "duplicate id '{}': already used by {} {other} on line {line}",
                    id.value,
                    if other.starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    }
                ),
                Some("indicators, dimensions and criteria share one namespace; rename one".into()),
            ));
        }
    }
    for (kind, ids) in [
        (
            "gate",
            rules.gates.iter().map(|g| &g.id).collect::<Vec<_>>(),
        ),
        (
            "adjustment",
            rules.adjustments.iter().map(|a| &a.id).collect(),
        ),
        ("tier", rules.tiers.iter().map(|t| &t.id).collect()),
    ] {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for id in ids {
            if let Some(span) = seen.insert(&id.value, id.span) {
                let (line, _) = src.line_col(span.start);
                errors.push(diag(
                    src,
                    id.span,
                    format!("duplicate {kind} id '{}' (first on line {line})", id.value),
                    Some(format!("{kind} ids must be unique among {kind}s")),
                ));
            }
        }
    }

    // `[output].carry` columns follow the fixed columns, dimensions and criteria in the CSV
    // view: a name among those would repeat a header, and the file could not be read back
    // (the chained workflow reads it).
    // Compared as a reader compares headers: folded (full-width letters, spaces).
    let mut taken: HashMap<String, String> = CSV_COLUMNS
        .iter()
        .map(|h| (h.to_string(), "a column every CSV output has".to_string()))
        .collect();
    for d in &rules.dimensions {
        taken.insert(
            fold_header(&d.id.value),
            format!("dimension '{}'", d.id.value),
        );
    }
    for c in &rules.criteria {
        taken.insert(
            fold_header(&c.id.value),
            format!("criterion '{}'", c.id.value),
        );
    }
    for c in &rules.output.carry {
        let folded = fold_header(&c.value);
        let clash = taken.get(&folded).cloned();
        taken
            .entry(folded)
            .or_insert_with(|| format!("carry '{}'", c.value));
        if let Some(clash) = clash {
            errors.push(diag(
                src,
                c.span,
                format!(
                    "carry '{}' would repeat an output header ({clash})",
                    c.value
                ),
                Some(
                    "the CSV output's headers must be unique to be read back: leave the column \
                     out of carry, or rename it in the data"
                        .into(),
                ),
            ));
        }
    }

    if rules.criteria.is_empty() {
        errors.push(diag(
            src,
            Span::new(0, 0),
            "the rules define no [[criterion]]",
            Some(
                "add at least one criterion with id, dimension, indicator, points and method"
                    .into(),
            ),
        ));
    }

    // Dimension weights: all or none.
    let weighted = rules
        .dimensions
        .iter()
        .filter(|d| d.weight.is_some())
        .count();
    if weighted > 0 && weighted < rules.dimensions.len() {
        for d in rules.dimensions.iter().filter(|d| d.weight.is_none()) {
            errors.push(diag(
                src,
                d.id.span,
                format!(
                    "dimension '{}' has no weight, but other dimensions do",
                    d.id.value
                ),
                Some("give every dimension a weight, or none".into()),
            ));
        }
    }

    // A maximum of 0 scores every entity 0 (and TOPSIS would divide by it): refuse it.
    if weighted == rules.dimensions.len()
        && weighted > 0
        && rules
            .dimensions
            .iter()
            .all(|d| d.weight.as_ref().is_some_and(|w| w.value == 0.0))
    {
        let w = rules.dimensions[0].weight.as_ref().expect("weighted");
        errors.push(diag(
            src,
            w.span,
            "every dimension weight is 0, so every entity would score 0".to_string(),
            Some("give at least one dimension a positive weight".into()),
        ));
    } else if weighted == 0
        && !rules.criteria.is_empty()
        && rules.criteria.iter().all(|c| c.points.value == 0.0)
    {
        errors.push(diag(
            src,
            rules.criteria[0].points.span,
            "every criterion has 0 points, so every entity would score 0".to_string(),
            Some("give at least one criterion positive points".into()),
        ));
    }

    let indicator_index: HashMap<&str, usize> = rules
        .indicators
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.value.as_str(), i))
        .collect();
    let dimension_index: HashMap<&str, usize> = rules
        .dimensions
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.value.as_str(), i))
        .collect();
    let tier_index: HashMap<&str, usize> = rules
        .tiers
        .iter()
        .enumerate()
        .map(|(i, x)| (x.id.value.as_str(), i))
        .collect();

    // Indicators.
    for ind in &rules.indicators {
        if ind.levels.is_some() && ind.kind != Kind::Category {
            errors.push(diag(
                src,
                table_key_span(&src.text, ind.id.span, "levels").unwrap_or(ind.id.span),
                format!(
                    "indicator '{}' has 'levels' but is of kind '{}'",
                    ind.id.value,
                    ind.kind.name()
                ),
                Some("'levels' (allowed values) is only valid with kind = \"category\"".into()),
            ));
        }
        if let Some(m) = ind.multiply.as_ref().filter(|_| ind.kind != Kind::Number) {
            errors.push(diag(
                src,
                m.span,
                format!(
                    "indicator '{}' has 'multiply' but is of kind '{}'",
                    ind.id.value,
                    ind.kind.name()
                ),
                Some("multiply applies to number indicators only".into()),
            ));
        }
        if let (Source::Aggregate(a), None) = (&ind.source, &rules.aggregate) {
            errors.push(diag(
                src,
                a.span,
                format!(
                    "indicator '{}' uses 'aggregate' but the rules have no [aggregate] table",
                    ind.id.value
                ),
                Some("add [aggregate] with by = \"<column naming each row's entity>\", or use formula".into()),
            ));
        }
    }

    // Criteria.
    let mut criterion_dimension = Vec::new();
    let mut criterion_indicator = Vec::new();
    // What else an id names (indicators, dimensions and criteria share one set of ids): a
    // criterion's `indicator = "scale"` with `scale` a dimension is not "not declared".
    let declared_as = |name: &str| -> Option<&'static str> {
        if rules.indicators.iter().any(|i| i.id.value == name) {
            Some("an indicator")
        } else if rules.dimensions.iter().any(|d| d.id.value == name) {
            Some("a dimension")
        } else if rules.criteria.iter().any(|c| c.id.value == name) {
            Some("a criterion")
        } else {
            None
        }
    };
    let not_declared = |what: &str, name: &str| match declared_as(name) {
        Some(kind) => {
            let article = if what.starts_with('i') { "an" } else { "a" };
            format!("{what} '{name}', but '{name}' is {kind}, not {article} {what}")
        }
        None => format!("{what} '{name}', which is not declared"),
    };
    // For a name of another kind: the ids of the kind wanted (up to ten).
    let ids_of = |what: &str, ids: Vec<&str>| {
        let shown: Vec<&str> = ids.iter().take(10).copied().collect();
        let more = if ids.len() > 10 { ", …" } else { "" };
        format!("name one of the {what}s: {}{more}", shown.join(", "))
    };
    for c in &rules.criteria {
        let d = dimension_index.get(c.dimension.value.as_str()).copied();
        if d.is_none() {
            errors.push(diag(
                src,
                c.dimension.span,
                format!(
                    "criterion '{}' names {}",
                    c.id.value,
                    not_declared("dimension", &c.dimension.value)
                ),
                label_help(
                    "dimension",
                    &c.dimension.value,
                    rules
                        .dimensions
                        .iter()
                        .map(|d| (d.id.value.as_str(), d.label.as_deref(), None)),
                )
                .or_else(|| {
                    did_you_mean_help(
                        &c.dimension.value,
                        rules.dimensions.iter().map(|d| d.id.value.as_str()),
                    )
                })
                .or_else(|| {
                    declared_as(&c.dimension.value).map(|_| {
                        ids_of(
                            "dimension",
                            rules
                                .dimensions
                                .iter()
                                .map(|d| d.id.value.as_str())
                                .collect(),
                        )
                    })
                })
                .or_else(|| Some("declare it with [[dimension]] id = \"…\"".into())),
            ));
        }
        let i = indicator_index.get(c.indicator.value.as_str()).copied();
        match i {
            None => errors.push(diag(
                src,
                c.indicator.span,
                format!(
                    "criterion '{}' names {}",
                    c.id.value,
                    not_declared("indicator", &c.indicator.value)
                ),
                label_help("indicator", &c.indicator.value, indicator_names(&rules))
                    .or_else(|| {
                        did_you_mean_help(
                            &c.indicator.value,
                            rules.indicators.iter().map(|d| d.id.value.as_str()),
                        )
                    })
                    .or_else(|| {
                        declared_as(&c.indicator.value).map(|_| {
                            ids_of(
                                "indicator",
                                rules
                                    .indicators
                                    .iter()
                                    .map(|i| i.id.value.as_str())
                                    .collect(),
                            )
                        })
                    })
                    .or_else(|| Some("declare it with [[indicator]] id = \"…\"".into())),
            )),
            Some(i) => {
                let ind = &rules.indicators[i];
                if matches!(c.method, Method::Levels(_)) && ind.kind != Kind::Category {
                    errors.push(diag(
                        src,
                        c.method_span,
                        format!(
                            "criterion '{}' uses method 'levels' but indicator '{}' is of kind '{}'",
                            c.id.value,
                            ind.id.value,
                            ind.kind.name()
                        ),
                        Some(format!("set kind = \"category\" on indicator '{}'", ind.id.value)),
                    ));
                }
                // A points key that is not one of the indicator's levels never matches a
                // cell: its level would score 0 (a typo such as "省" for "省级").
                if let (Method::Levels(table), Some(allowed)) = (&c.method, &ind.levels) {
                    for (k, _) in table.iter().filter(|(k, _)| !allowed.contains(k)) {
                        // (A prefix or part of one level only: `省` for `省级`.)
                        let containing = || {
                            let mut hits = allowed.iter().filter(|a| a.contains(k.as_str()));
                            match (hits.next(), hits.next()) {
                                (Some(one), None) => Some(format!("did you mean '{one}'?")),
                                _ => None,
                            }
                        };
                        let help = did_you_mean_help(k, allowed.iter().map(String::as_str))
                            .or_else(containing)
                            .unwrap_or_else(|| {
                                format!(
                                    "use one of the indicator's levels, or add '{k}' to its \
                                     levels if cells hold it"
                                )
                            });
                        errors.push(diag(
                            src,
                            table_key_span(&src.text, c.id.span, k).unwrap_or(c.method_span),
                            format!(
                                "criterion '{}' gives points for '{k}', which is not one of the \
                                 levels of indicator '{}' ({})",
                                c.id.value,
                                ind.id.value,
                                allowed.join(", ")
                            ),
                            Some(help),
                        ));
                    }
                }
                if ind.kind == Kind::Category && !matches!(c.method, Method::Levels(_)) {
                    errors.push(diag(
                        src,
                        c.method_span,
                        format!(
                            "criterion '{}' scores category indicator '{}' with method '{}'",
                            c.id.value,
                            ind.id.value,
                            c.method.name()
                        ),
                        Some("category indicators are scored with method = \"levels\"".into()),
                    ));
                }
                // A yes/no indicator is scored by `flag`: bands, linear, relative statistics
                // and the rest would read true/false as 1/0 without saying so.
                if ind.kind == Kind::Bool && !matches!(c.method, Method::Flag) {
                    errors.push(diag(
                        src,
                        c.method_span,
                        format!(
                            "criterion '{}' scores bool indicator '{}' with method '{}'",
                            c.id.value,
                            ind.id.value,
                            c.method.name()
                        ),
                        Some(format!(
                            "bool indicators are scored with method = \"flag\" (or count yes \
                             answers with a number formula such as count_true(…)); if '{}' \
                             holds a number, not a yes/no answer, set kind = \"number\" on it \
                             instead",
                            ind.id.value
                        )),
                    ));
                }
                if rules.aggregate.is_some() && !matches!(ind.source, Source::Aggregate(_)) {
                    // A formula that already calls an aggregate function (`formula =
                    // "sum(rev)"`) was meant as the indicator's aggregate: say so.
                    let meant = match &ind.source {
                        Source::Formula(f) => expr::parse(&f.value).ok().and_then(|ast| {
                            let mut found = false;
                            expr::walk(&ast, &mut |e| {
                                if let expr::ExprKind::Call { name, args, .. } = &e.kind {
                                    found |= expr::is_aggregate_call(name, args.len());
                                }
                            });
                            found.then(|| f.value.clone())
                        }),
                        _ => None,
                    };
                    let help = match meant {
                        Some(f) => format!(
                            "'{}' is written formula = \"{f}\", which is worked out on each member row; an aggregate function belongs in aggregate = \"{f}\": write that key in place of formula",
                            ind.id.value
                        ),
                        None => {
                            "define an indicator with aggregate = \"sum(…)\" and score that".into()
                        }
                    };
                    errors.push(diag(
                        src,
                        c.indicator.span,
                        format!(
                            "criterion '{}' uses member-level indicator '{}'; under [aggregate] criteria use entity-level indicators",
                            c.id.value, ind.id.value
                        ),
                        Some(help),
                    ));
                }
            }
        }
        if let Some(tr) = &c.transform {
            // (key, value, where): the band's own line for band thresholds.
            let thresholds: Vec<(&str, f64, crate::diag::Span)> = match &c.method {
                Method::Bands(b) => b
                    .iter()
                    .flat_map(|b| {
                        let key = b.op.key();
                        b.threshold
                            .all_values()
                            .into_iter()
                            .map(move |v| (key, v, b.span))
                    })
                    .collect(),
                // (`linear`'s floor and target are checked as they are loaded, each pointed
                // at; `target` > 0 is inside every transform's domain.)
                _ => vec![],
            };
            if let Some(&(key, bad, span)) =
                thresholds.iter().find(|t| tr.value.apply(t.1).is_none())
            {
                errors.push(diag(
                    src,
                    span,
                    format!(
                        "criterion '{}': {key} = {bad} is outside the domain of transform '{}'",
                        c.id.value,
                        tr.value.name()
                    ),
                    Some("log10 and ln need thresholds > 0, sqrt needs thresholds ≥ 0".into()),
                ));
            } else if let Method::Target { target } = &c.method
                && let Some((bad, moved)) = target
                    .all_values()
                    .into_iter()
                    .filter_map(|t| Some((t, tr.value.apply(t)?)))
                    .find(|&(_, v)| v <= 0.0)
            {
                // `target` scores x / target on the transformed values (SPEC §5.1): a
                // transformed target ≤ 0 would score every entity 0 or 1.
                errors.push(diag(
                    src,
                    tr.span,
                    format!(
                        "criterion '{}': target = {bad} becomes {}({bad}) = {}; method 'target' needs a target > 0 after the transform",
                        c.id.value,
                        tr.value.name(),
                        crate::column::format_number((moved * 1e4).round() / 1e4),
                    ),
                    Some(match tr.value {
                        crate::rules::Transform::Sqrt => "give a target > 0".into(),
                        _ => "give a target > 1 (log10 and ln of 1 are 0), or drop the transform".into(),
                    }),
                ));
            }
        }
        criterion_dimension.push(d.unwrap_or(0));
        criterion_indicator.push(i.unwrap_or(0));
    }

    // tie_break: number or bool indicators.
    for t in &rules.settings.tie_break {
        match indicator_index.get(t.value.as_str()) {
            None => errors.push(diag(
                src,
                t.span,
                format!("tie_break names '{}', which is not an indicator", t.value),
                label_help("indicator", &t.value, indicator_names(&rules))
                    .or_else(|| {
                        did_you_mean_help(
                            &t.value,
                            rules.indicators.iter().map(|d| d.id.value.as_str()),
                        )
                    })
                    .or_else(|| {
                        // The indicators ties can be broken on: numbers and yes/no.
                        let ids: Vec<&str> = rules
                            .indicators
                            .iter()
                            .filter(|i| i.kind != Kind::Category)
                            .map(|i| i.id.value.as_str())
                            .collect();
                        Some(if ids.is_empty() {
                            "tie_break names number or yes/no indicators, and there are none: \
                             declare one with [[indicator]], or remove tie_break"
                                .into()
                        } else {
                            ids_of("indicator", ids)
                        })
                    }),
            )),
            Some(&i) if rules.indicators[i].kind == Kind::Category => errors.push(diag(
                src,
                t.span,
                format!("tie_break names category indicator '{}'", t.value),
                Some("tie_break indicators must be numbers or booleans".into()),
            )),
            // Entities are ranked: under [aggregate] a tie-break needs one value per entity.
            Some(&i)
                if rules.aggregate.is_some()
                    && !matches!(rules.indicators[i].source, Source::Aggregate(_)) =>
            {
                errors.push(diag(
                    src,
                    t.span,
                    format!(
                        "tie_break names member-level indicator '{}'; under [aggregate] entities are ranked, and a member-level indicator has one value per member",
                        t.value
                    ),
                    Some(format!(
                        "define an indicator with aggregate = \"sum({0})\" (or mean, max, …) and break ties on that",
                        t.value
                    )),
                ))
            }
            _ => {}
        }
    }

    // Parameter tables by category must name something.
    let check_by = |p: &Param, errors: &mut Vec<Diagnostic>| {
        if let Param::ByCategory { by, .. } = p
            && let Some(&i) = indicator_index.get(by.value.as_str())
            && rules.indicators[i].kind != Kind::Category
        {
            errors.push(diag(
                src,
                by.span,
                format!("'by = \"{}\"' names an indicator of kind '{}'", by.value, rules.indicators[i].kind.name()),
                Some("thresholds by category need a kind = \"category\" indicator (or a data column)".into()),
            ));
        }
    };
    for c in &rules.criteria {
        for p in c.method.params() {
            check_by(p, &mut errors);
        }
    }
    for t in &rules.tiers {
        if let Some(p) = &t.min_score {
            check_by(p, &mut errors);
        }
    }

    // Expressions.
    let mut indicator_exprs = Vec::new();
    for ind in &rules.indicators {
        let parsed = match &ind.source {
            Source::Formula(f) => parse_expr(
                src,
                f,
                ExprPlace::Formula,
                format!("formula of indicator '{}'", ind.id.value),
                &mut errors,
            ),
            Source::Aggregate(a) => parse_expr(
                src,
                a,
                ExprPlace::Aggregate,
                format!("aggregate of indicator '{}'", ind.id.value),
                &mut errors,
            ),
            Source::Column(_) => None,
        };
        indicator_exprs.push(parsed);
    }
    let mut gate_exprs = Vec::new();
    let mut gate_cap = Vec::new();
    for g in &rules.gates {
        let cap = match &g.effect {
            crate::rules::GateEffect::Exclude => None,
            crate::rules::GateEffect::MaxTier(t) => match tier_index.get(t.value.as_str()) {
                Some(&i) => Some(i),
                None => {
                    errors.push(diag(
                        src,
                        t.span,
                        format!(
                            "gate '{}' caps at tier '{}', which is not declared",
                            g.id.value, t.value
                        ),
                        label_help(
                            "tier",
                            &t.value,
                            rules
                                .tiers
                                .iter()
                                .map(|t| (t.id.value.as_str(), t.label.as_deref(), None)),
                        )
                        .or_else(|| {
                            did_you_mean_help(
                                &t.value,
                                rules.tiers.iter().map(|t| t.id.value.as_str()),
                            )
                        })
                        .or_else(|| {
                            Some(if rules.tiers.is_empty() {
                                "there are no tiers to cap at: declare them with [[tier]] \
                                 id = \"…\", or make the gate exclude (remove max_tier)"
                                    .into()
                            } else {
                                ids_of(
                                    "tier",
                                    rules.tiers.iter().map(|t| t.id.value.as_str()).collect(),
                                )
                            })
                        }),
                    ));
                    Some(0)
                }
            },
        };
        let place = if cap.is_some() {
            ExprPlace::AfterScoring
        } else {
            ExprPlace::ExcludeGate
        };
        if let Some(p) = parse_expr(
            src,
            &g.require,
            place,
            format!("require of gate '{}'", g.id.value),
            &mut errors,
        ) {
            gate_exprs.push(p);
        }
        gate_cap.push(cap);
    }
    let mut adjustment_exprs = Vec::new();
    for a in &rules.adjustments {
        if let Some(p) = parse_expr(
            src,
            &a.when,
            ExprPlace::Adjustment,
            format!("when of adjustment '{}'", a.id.value),
            &mut errors,
        ) {
            adjustment_exprs.push(p);
        }
    }
    let mut tier_requires = Vec::new();
    let mut tier_direct = Vec::new();
    for t in &rules.tiers {
        tier_requires.push(
            t.requires
                .iter()
                .filter_map(|r| {
                    parse_expr(
                        src,
                        r,
                        ExprPlace::AfterScoring,
                        format!("requires of tier '{}'", t.id.value),
                        &mut errors,
                    )
                })
                .collect(),
        );
        tier_direct.push(
            t.direct
                .iter()
                .filter_map(|r| {
                    parse_expr(
                        src,
                        r,
                        ExprPlace::AfterScoring,
                        format!("direct of tier '{}'", t.id.value),
                        &mut errors,
                    )
                })
                .collect(),
        );
    }

    // Dependency order of formula/aggregate indicators, with cycles reported.
    let formula_order = order_formulas(&rules, &indicator_exprs, &indicator_index, &mut errors);

    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    // Rules changed in memory after they were read: the audit's SHA-256 is of the text read,
    // not of the rules scored, and every run says so (one parse of the text, at compile).
    let edited = crate::rules::parse_rules(rules.source.clone()).map_or(true, |read| read != rules);
    let mut compiled = CompiledRules {
        edited,
        rules,
        indicator_exprs,
        gate_exprs,
        adjustment_exprs,
        tier_requires,
        tier_direct,
        formula_order,
        criterion_dimension,
        criterion_indicator,
        gate_cap,
        prev_years: Vec::new(),
    };
    let mut years = std::collections::BTreeSet::new();
    for p in compiled.all_exprs() {
        prev_years(&p.ast, &mut years);
    }
    compiled.prev_years = years.into_iter().collect();
    let mut errors = compiled.prev_without_years();
    errors.extend(compiled.check_expressions());
    // A criterion or dimension id bare before scoring, not the cycle SPEC §12's exception
    // reads as a column: an error whatever the data holds. (Under [aggregate] the binder
    // says it, with the help that fits whole entities, which have no data columns.)
    if compiled.rules.aggregate.is_none() {
        errors.extend(assess::score_ids_before_scoring(
            &compiled,
            None,
            &mut Vec::new(),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    Ok(compiled)
}

/// Adds to `years` how many years each `prev(x, k)` in `e` looks back (`prev(x)` is 1;
/// values the type check refuses are left out).
fn prev_years(e: &Expr, years: &mut std::collections::BTreeSet<u32>) {
    use expr::ExprKind;
    expr::walk(e, &mut |e| {
        if let ExprKind::Call { name, args, .. } = &e.kind
            && name == "prev"
        {
            match args.get(1).map(|a| &a.kind) {
                Some(ExprKind::Number(k))
                    if k.fract() == 0.0 && *k >= 1.0 && *k <= expr::MAX_PREV_YEARS as f64 =>
                {
                    years.insert(*k as u32);
                }
                None => {
                    years.insert(1);
                }
                _ => {}
            }
        }
    });
}

fn order_formulas(
    rules: &Rules,
    exprs: &[Option<ParsedExpr>],
    index: &HashMap<&str, usize>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<usize> {
    // An id two indicators share is already an error: which one a name means is unknown,
    // so it closes no cycle (`rd = rd / revenue` beside a column `rd` is the duplicate).
    let mut seen = std::collections::HashSet::new();
    let shared: std::collections::HashSet<&str> = rules
        .indicators
        .iter()
        .map(|i| i.id.value.as_str())
        .filter(|id| !seen.insert(*id))
        .collect();
    let deps: Vec<Vec<usize>> = exprs
        .iter()
        .map(|p| match p {
            Some(p) => expr::names(&p.ast)
                .into_iter()
                .filter(|(n, quoted, _)| !quoted && !shared.contains(n.as_str()))
                .filter_map(|(n, _, _)| index.get(n.as_str()).copied())
                .filter(|&j| exprs[j].is_some())
                .collect(),
            None => vec![],
        })
        .collect();
    // Depth-first topological sort; a grey node met again closes a cycle.
    let n = exprs.len();
    let mut state = vec![0u8; n];
    let mut order = Vec::new();
    let mut reported = false;
    for start in 0..n {
        if exprs[start].is_none() || state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < deps[node].len() {
                let d = deps[node][*next];
                *next += 1;
                if state[d] == 0 {
                    state[d] = 1;
                    stack.push((d, 0));
                } else if state[d] == 1 && !reported {
                    let pos = stack.iter().position(|(x, _)| *x == d).unwrap_or(0);
                    let mut cycle: Vec<&str> = stack[pos..]
                        .iter()
                        .map(|(x, _)| rules.indicators[*x].id.value.as_str())
                        .collect();
                    cycle.push(&rules.indicators[d].id.value);
                    let first = &rules.indicators[d];
                    let span = match &first.source {
                        Source::Formula(f) | Source::Aggregate(f) => f.span,
                        Source::Column(c) => c.span,
                    };
                    errors.push(diag(
                        &rules.source,
                        span,
                        format!("circular definition: {}", cycle.join(" → ")),
                        Some(
                            "a formula cannot depend on itself, directly or through other formulas"
                                .into(),
                        ),
                    ));
                    reported = true;
                }
            } else {
                state[node] = 2;
                order.push(node);
                stack.pop();
            }
        }
    }
    order
}

/// For a label (or an indicator's column) written where an id belongs: the id it labels.
/// Analysts think in the policy's words, which are labels here; rules name things by id.
fn label_help<'a>(
    kind: &str,
    name: &str,
    items: impl Iterator<Item = (&'a str, Option<&'a str>, Option<&'a str>)>,
) -> Option<String> {
    let folded = crate::data::fold_header(name);
    let mut labelled: Vec<&str> = Vec::new();
    let mut reading: Vec<&str> = Vec::new();
    for (id, label, column) in items {
        if label.is_some_and(|l| crate::data::fold_header(l) == folded) {
            labelled.push(id);
        } else if column.is_some_and(|c| crate::data::fold_header(c) == folded) {
            reading.push(id);
        }
    }
    let ids = |v: &[&str]| {
        v.iter()
            .map(|id| format!("\"{id}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (labelled.as_slice(), reading.as_slice()) {
        ([id], _) => Some(format!(
            "'{name}' is the label of {kind} '{id}': write \"{id}\" (rules name things by id)"
        )),
        // A label several share (销售收入 this year and last): name them all.
        ([_, _, ..], _) => Some(format!(
            "'{name}' is the label of {} {kind}s, {}: write the id of the one you mean (rules \
             name things by id)",
            labelled.len(),
            ids(&labelled)
        )),
        ([], [id]) => Some(format!(
            "'{name}' is the data column {kind} '{id}' reads: write \"{id}\" (rules name things by id)"
        )),
        ([], [_, _, ..]) => Some(format!(
            "'{name}' is the data column {} {kind}s read, {}: write the id of the one you mean \
             (rules name things by id)",
            reading.len(),
            ids(&reading)
        )),
        ([], []) => None,
    }
}

/// Indicators as (id, label, column) for [`label_help`].
fn indicator_names(rules: &Rules) -> impl Iterator<Item = (&str, Option<&str>, Option<&str>)> {
    rules.indicators.iter().map(|i| {
        let column = match &i.source {
            crate::rules::Source::Column(c) => Some(c.value.as_str()),
            _ => None,
        };
        (i.id.value.as_str(), i.label.as_deref(), column)
    })
}
