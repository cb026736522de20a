//! Binding rules to data: which columns to read and how, the frames expressions are evaluated
//! in, and name resolution (SPEC §12: indicators, then scores, then data columns).

use super::{CompiledRules, ExprPlace, ParsedExpr, expr_diag};
use crate::column::{Column, Type};
use crate::data::{ColumnRequest, ReadOptions, Table, fold_header};
use crate::diag::{Diagnostic, Result};
use crate::expr::{self, Context, Env, Program, ResolveError, Resolved, Scope, TypeClash};
use crate::rules::{Kind, Param, Source};
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;

/// The data a run scores: one table of rows (all years, all files).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The rows read, with the files they came from.
    pub table: Table,
}

impl Dataset {
    /// Wraps a table read by [`crate::data::read_table`] or built in memory.
    pub fn from_table(table: Table) -> Self {
        Dataset { table }
    }

    /// The rows whose cell in the rules' `id` column reads `id`, each with its year (under
    /// `[data] year_column`), in data order: where an entity of an assessment comes from.
    pub fn rows_of(&self, rules: &crate::rules::Rules, id: &str) -> Vec<(usize, Option<i64>)> {
        let table = &self.table;
        let Some(ids) = table.column(&fold_header(&rules.settings.id.value)) else {
            return Vec::new();
        };
        let years =
            (rules.data.year_column.as_ref()).and_then(|y| table.column(&fold_header(&y.value)));
        let year_of =
            |i: usize| -> Option<i64> { years?.display(i)?.parse::<f64>().ok().map(|y| y as i64) };
        (0..table.rows())
            .filter(|&i| ids.display(i).as_deref() == Some(id))
            .map(|i| (i, year_of(i)))
            .collect()
    }

    /// Reads a CSV or XLSX file without rules at hand: every column typed from its cells
    /// (SPEC §9's `Dataset::from_path`). [`CompiledRules::read_data`] reads only the columns
    /// the rules use, typed as they use them, with the rules' `[data]` options (and carries
    /// `[output].carry` columns as their cells' text, where this shows typed values): prefer
    /// it when the rules are known.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Self> {
        Self::from_paths(&[path.as_ref().to_path_buf()], &ReadOptions::default())
    }

    /// Several files (same headers) with explicit reading options, every column typed from
    /// its cells.
    pub fn from_paths(paths: &[PathBuf], opts: &ReadOptions) -> Result<Self> {
        let table = crate::data::read_table(paths, opts, &|_| Some(ColumnRequest::Infer))?;
        Ok(Dataset { table })
    }
}

impl CompiledRules {
    /// Reading options from the rules' `[data]` table.
    pub fn read_options(&self) -> ReadOptions {
        let d = &self.rules.data;
        ReadOptions {
            missing_markers: d.missing_markers.clone(),
            sheet: d.sheet.clone(),
            header_row: d.header_row.max(1),
            rescaled_columns: self.rescaled_columns(),
            ..ReadOptions::default()
        }
    }

    /// Folded headers of the data columns every column indicator reading them rescales
    /// (`multiply`): read in percent units from a workbook's percent format, they draw a note
    /// that the rescaling comes on top (a `multiply = 100` meant for the stored fractions).
    fn rescaled_columns(&self) -> Vec<String> {
        let r = &self.rules;
        let mut all: HashMap<String, bool> = HashMap::new();
        for ind in &r.indicators {
            if let Source::Column(c) = &ind.source {
                let every = all.entry(fold_header(&c.value)).or_insert(true);
                *every &= ind.multiply.is_some();
            }
        }
        // An expression reading the column itself reads its fractions, unless it is the
        // formula of an indicator that rescales its result.
        let rescaling_formulas: Vec<&ParsedExpr> = self
            .indicator_exprs
            .iter()
            .zip(&r.indicators)
            .filter(|(_, ind)| ind.multiply.is_some())
            .filter_map(|(p, _)| p.as_ref())
            .collect();
        for p in self.all_exprs() {
            if rescaling_formulas.iter().any(|q| std::ptr::eq(*q, p)) {
                continue;
            }
            for (name, quoted, _) in expr::names(&p.ast) {
                if quoted || r.indicator(&name).is_none() {
                    all.insert(fold_header(&name), false);
                }
            }
        }
        let mut out: Vec<String> = all
            .into_iter()
            .filter(|(_, e)| *e)
            .map(|(k, _)| k)
            .collect();
        out.sort_unstable();
        out
    }

    /// How each data column the rules mention must be parsed (keys are folded headers).
    pub fn column_requests(&self) -> HashMap<String, ColumnRequest> {
        let r = &self.rules;
        let mut req: HashMap<String, ColumnRequest> = HashMap::new();
        // A column read two ways (an id that is also a number indicator, a carried year) is
        // kept as its cells' text, and each use converts that text by the same cell rules; a
        // column only used in expressions (`Infer`) yields to any other use.
        let mut put = |name: &str, k: ColumnRequest| {
            req.entry(fold_header(name))
                .and_modify(|had| {
                    *had = match (*had, k) {
                        (a, b) if a == b => a,
                        (ColumnRequest::Infer, b) => b,
                        (a, ColumnRequest::Infer) => a,
                        _ => ColumnRequest::Text,
                    }
                })
                .or_insert(k);
        };
        for ind in &r.indicators {
            if let Source::Column(c) = &ind.source {
                put(
                    &c.value,
                    match ind.kind {
                        Kind::Number => ColumnRequest::Number,
                        Kind::Bool => ColumnRequest::Bool,
                        Kind::Category => ColumnRequest::Text,
                    },
                );
            }
        }
        put(&r.settings.id.value, ColumnRequest::Text);
        if let Some(l) = &r.settings.name_column {
            put(&l.value, ColumnRequest::Text);
        }
        for c in &r.output.carry {
            put(&c.value, ColumnRequest::Text);
        }
        if let Some(y) = &r.data.year_column {
            put(&y.value, ColumnRequest::Number);
        }
        if let Some(a) = &r.aggregate {
            put(&a.by.value, ColumnRequest::Text);
            if let Some(l) = &a.label {
                put(&l.value, ColumnRequest::Text);
            }
        }
        // A cohort or category column used directly takes its type from its cells (SPEC §12):
        // numbers group by value (`10`, `10.0`, `+10` and `１０` are one cohort, shown `10`).
        let is_indicator = |n: &str| r.indicator(n).is_some();
        if let Some(c) = &r.settings.cohort
            && !is_indicator(&c.value)
        {
            put(&c.value, ColumnRequest::Infer);
        }
        for c in &r.criteria {
            for p in c.method.params() {
                if let Param::ByCategory { by, .. } = p
                    && !is_indicator(&by.value)
                {
                    put(&by.value, ColumnRequest::Infer);
                }
            }
        }
        for t in &r.tiers {
            if let Some(Param::ByCategory { by, .. }) = &t.min_score
                && !is_indicator(&by.value)
            {
                put(&by.value, ColumnRequest::Infer);
            }
        }
        for p in self.all_exprs() {
            for (name, quoted, _) in expr::names(&p.ast) {
                if quoted || !is_indicator(&name) {
                    put(&name, ColumnRequest::Infer);
                }
            }
        }
        req
    }

    pub(crate) fn all_exprs(&self) -> impl Iterator<Item = &ParsedExpr> {
        self.indicator_exprs
            .iter()
            .flatten()
            .chain(self.gate_exprs.iter())
            .chain(self.adjustment_exprs.iter())
            .chain(self.tier_requires.iter().flatten())
            .chain(self.tier_direct.iter().flatten())
    }

    /// Reads data files with the columns these rules need.
    pub fn read_data(&self, paths: &[PathBuf], opts: &ReadOptions) -> Result<Dataset> {
        let req = self.column_requests();
        let table =
            crate::data::read_table(paths, opts, &|h: &str| req.get(h).copied()).map_err(|mut e| {
                // A word in the year column is no "no data" marker (a row without its year
                // cannot be placed): the year is written in digits.
                if let Some(y) = &self.rules.data.year_column {
                    let year = fold_header(&y.value);
                    for d in &mut e.diagnostics {
                        if let Some(crate::diag::Place::Cell { column, .. }) = &d.place
                            && fold_header(column) == year
                            && d.help.as_deref().is_some_and(|h| h.contains("missing_markers"))
                        {
                            d.help = Some(format!(
                                "'{}' is the year column ([data] year_column): write each row's year in digits, as 2023",
                                y.value
                            ));
                        }
                    }
                }
                e
            })?;
        Ok(Dataset { table })
    }
}

/// Slot numbering shared by all frames: data columns, indicators, dimensions, criteria, score.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slots {
    pub columns: usize,
    pub indicators: usize,
    pub dimensions: usize,
    pub criteria: usize,
}

impl Slots {
    pub fn indicator(&self, i: usize) -> usize {
        self.columns + i
    }
    pub fn dimension(&self, d: usize) -> usize {
        self.columns + self.indicators + d
    }
    pub fn criterion(&self, c: usize) -> usize {
        self.columns + self.indicators + self.dimensions + c
    }
    pub fn score(&self) -> usize {
        self.columns + self.indicators + self.dimensions + self.criteria
    }
    pub fn total(&self) -> usize {
        self.score() + 1
    }
}

/// Columns of one level (rows or entities), addressed by slot.
pub(crate) struct Frame<'a> {
    pub rows: usize,
    pub slots: Vec<Option<Cow<'a, Column>>>,
    /// A slot that reads another slot's column (an indicator that is a data column as is).
    alias: Vec<Option<usize>>,
    /// `prev[k-1][i]`: the row of the same entity k years earlier (u32::MAX: none).
    pub prev: Vec<Vec<u32>>,
}

impl<'a> Frame<'a> {
    pub fn new(rows: usize, total: usize) -> Self {
        Frame {
            rows,
            slots: (0..total).map(|_| None).collect(),
            alias: vec![None; total],
            prev: Vec::new(),
        }
    }

    pub fn set(&mut self, slot: usize, col: Column) {
        self.slots[slot] = Some(Cow::Owned(col));
        self.alias[slot] = None;
    }

    /// Makes `slot` read the column of `target` (no copy).
    pub fn alias_to(&mut self, slot: usize, target: usize) {
        self.slots[slot] = None;
        self.alias[slot] = Some(target);
    }

    /// The slot whose column `slot` reads.
    pub fn resolve(&self, slot: usize) -> usize {
        self.alias[slot].unwrap_or(slot)
    }

    /// Frees the column of `slot` (no alias may still read it).
    pub fn release(&mut self, slot: usize) {
        self.slots[slot] = None;
        self.alias[slot] = None;
    }

    pub fn get(&self, slot: usize) -> Option<&Column> {
        self.slots[self.resolve(slot)].as_deref()
    }
}

impl Env for Frame<'_> {
    fn rows(&self) -> usize {
        self.rows
    }
    fn column(&self, slot: usize) -> &Column {
        self.slots[self.resolve(slot)]
            .as_deref()
            .expect("name resolution only hands out slots that hold a column")
    }
    fn prev_rows(&self, k: u32) -> Option<&[u32]> {
        self.prev
            .get((k as usize).checked_sub(1)?)
            .map(|v| v.as_slice())
    }
}

/// An entity frame with the member rows behind it, for `aggregate` expressions.
pub(crate) struct WithMembers<'x, 'a> {
    pub frame: &'x Frame<'a>,
    pub members: &'x Frame<'a>,
    pub group: &'x [u32],
}

impl Env for WithMembers<'_, '_> {
    fn rows(&self) -> usize {
        self.frame.rows
    }
    fn column(&self, slot: usize) -> &Column {
        self.frame.column(slot)
    }
    fn prev_rows(&self, k: u32) -> Option<&[u32]> {
        self.frame.prev_rows(k)
    }
    fn members(&self) -> Option<(&dyn Env, &[u32])> {
        Some((self.members, self.group))
    }
}

/// Name resolution for one expression.
pub(crate) struct Names<'x> {
    pub c: &'x CompiledRules,
    pub slots: Slots,
    pub headers: &'x [String],
    /// Types of the data columns at row level (None: not read).
    pub column_types: &'x [Option<Type>],
    pub place: ExprPlace,
    /// The data, when there is some: a type error on a column read as text because of a
    /// few cells then names those cells.
    pub table: Option<&'x Table>,
    /// The data columns in table rows, when the table no longer holds them (a run that
    /// owns its data moves them out): the same rows as `table`.
    pub frame: Option<&'x Frame<'x>>,
}

impl Names<'_> {
    fn aggregated(&self) -> bool {
        self.c.rules.aggregate.is_some()
    }

    fn indicator_type(&self, i: usize) -> Type {
        match self.c.rules.indicators[i].kind {
            Kind::Number => Type::Number,
            Kind::Bool => Type::Bool,
            Kind::Category => Type::Text,
        }
    }

    /// The data column `name` is read from (headers folded) and its type at row level.
    pub(super) fn column(&self, name: &str) -> Option<Resolved> {
        let folded = fold_header(name);
        let j = self.headers.iter().position(|h| *h == folded)?;
        let ty = self.column_types[j]?;
        Some(Resolved { slot: j, ty })
    }

    fn unknown(&self, name: &str, quoted: bool, member: bool) -> ResolveError {
        let r = &self.c.rules;
        // A gate, adjustment or tier id: known to the rules, yet not a name in expressions
        // (SPEC §12); said so rather than "unknown".
        let id_of = if quoted { None } else { r.id_not_a_name(name) };
        if let Some(kind) = id_of {
            return ResolveError {
                message: format!(
                    "'{}' is the id of {kind}, and gate, adjustment and tier ids are not names in expressions",
                    crate::diag::truncate(name, 200)
                ),
                help: Some(
                    "write the condition it stands for, over indicators, criteria, dimensions, score or data columns".to_string(),
                ),
            };
        }
        let mut candidates: Vec<&str> = Vec::new();
        if !quoted {
            let scores = self.place.sees_scores() && !member;
            candidates.extend(r.expression_ids(scores));
            if scores && self.place != ExprPlace::Adjustment {
                candidates.push("score");
            }
        }
        if member || !self.aggregated() {
            candidates.extend(self.headers.iter().map(|h| h.as_str()));
        }
        // A function named without its parentheses (`prev > 0`): say how it is called (after
        // a close name, the likelier slip: `count` for a column `counts`).
        let function = (!quoted
            && (crate::expr::FUNCTIONS.contains(&name) || crate::expr::is_aggregate_call(name, 1)))
        .then(|| {
            if crate::expr::is_aggregate_call(name, 1) && !matches!(name, "min" | "max") {
                format!(
                    "'{name}' is an aggregate function: call it as {name}(x) inside an indicator's aggregate under [aggregate]"
                )
            } else {
                format!("'{name}' is a function: call it with its argument, as {name}(x)")
            }
        });
        // An indicator named by its label or by (the start of) the column it reads: the
        // analyst's words for it (`销售收入` for revenue, column 销售收入（万元）).
        let folded = fold_header(name);
        let by_label = (!quoted).then(|| {
            let matches: Vec<&crate::rules::Indicator> = r
                .indicators
                .iter()
                .filter(|i| {
                    let label = i.label.as_deref().map(fold_header);
                    let column = match &i.source {
                        Source::Column(c) => Some(fold_header(&c.value)),
                        _ => None,
                    };
                    let column_of = column.as_deref().is_some_and(|c| {
                        c == folded
                            || c.strip_prefix(folded.as_str())
                                .is_some_and(|rest| rest.starts_with('('))
                    });
                    label.as_deref() == Some(folded.as_str()) || column_of
                })
                .collect();
            match matches.as_slice() {
                [] => None,
                [i] => Some(format!(
                    "'{name}' is indicator '{}' ({}): write {}",
                    i.id.value,
                    i.label
                        .as_deref()
                        .map_or_else(|| "its column".to_string(), |l| format!("label {l}")),
                    i.id.value
                )),
                // A label several indicators share (销售收入 this year and last): name them all.
                many => {
                    let ids: Vec<String> =
                        many.iter().map(|i| format!("'{}'", i.id.value)).collect();
                    Some(format!(
                        "'{name}' names {} indicators, {}: write the id of the one you mean",
                        many.len(),
                        ids.join(", ")
                    ))
                }
            }
        });
        // A data column that cannot be written bare is suggested in backticks, as it must be
        // written.
        // Headers are shown as the data file writes them (the names match folded).
        let shown = |h: &str| -> String { self.table.map_or(h, |t| t.shown_header(h)).to_string() };
        let close = crate::diag::did_you_mean(name, candidates.iter().copied()).map(|c| {
            if self.headers.contains(&c)
                && !r.indicators.iter().any(|i| i.id.value == c)
                && !crate::expr::is_bare_name(&c)
            {
                format!(
                    "did you mean `{}` (a data column: in backticks)?",
                    shown(&c)
                )
            } else {
                format!("did you mean '{c}'?")
            }
        });
        // (A wide file's list stops near 400 characters and counts the rest.)
        let columns = (quoted || self.headers.len() <= 40).then(|| {
            let (mut listed, mut count, mut chars) = (String::new(), 0, 0);
            for h in self.headers.iter() {
                if chars > 400 {
                    break;
                }
                if count > 0 {
                    listed.push_str(", ");
                }
                let h = shown(h);
                chars += h.chars().count() + 2;
                listed.push_str(&h);
                count += 1;
            }
            if count < self.headers.len() {
                listed.push_str(&format!(" and {} more", self.headers.len() - count));
            }
            format!("data columns: {listed}")
        });
        // `region == 东部`: a value written without its quotes.
        let value = (!quoted && !name.is_ascii()).then(|| {
            let q = format!("if '{name}' is a value to compare with, put it in quotes: '{name}'");
            match &columns {
                Some(c) => format!("{q}; {c}"),
                None => q,
            }
        });
        let help = by_label
            .flatten()
            .or(close)
            .or(function)
            .or(value)
            .or(columns);
        ResolveError {
            message: if quoted {
                format!("no data column `{}`", crate::diag::truncate(name, 200))
            } else {
                format!("unknown name '{}'", crate::diag::truncate(name, 200))
            },
            help,
        }
    }

    /// Row-level lookup: member rows under [aggregate], entity rows otherwise.
    fn resolve_row_level(
        &self,
        name: &str,
        quoted: bool,
    ) -> std::result::Result<Resolved, ResolveError> {
        let r = &self.c.rules;
        if quoted {
            return self
                .column(name)
                .ok_or_else(|| self.unknown(name, true, true));
        }
        if let Some(i) = r.indicators.iter().position(|x| x.id.value == name) {
            if self.aggregated() && matches!(r.indicators[i].source, Source::Aggregate(_)) {
                return Err(ResolveError {
                    message: format!(
                        "'{name}' is an entity-level (aggregate) indicator and cannot be used for member rows"
                    ),
                    help: Some(
                        "member-level formulas may use columns and other column/formula indicators"
                            .into(),
                    ),
                });
            }
            return Ok(Resolved {
                slot: self.slots.indicator(i),
                ty: self.indicator_type(i),
            });
        }
        // `score` on entity rows is the final score even where it does not exist yet, and an
        // error there whatever the data holds (SPEC §12; the column is written `score` in
        // backticks). On member rows it is the members' data column (the chained workflow).
        let final_score = name == "score" && !self.aggregated();
        if !final_score && let Some(col) = self.column(name) {
            // A criterion or dimension id that is also a data column: on entity rows reached
            // only where the points would depend on this very formula, so only the column can
            // be meant (the run refuses every other such name first:
            // `score_ids_read_as_columns`, SPEC §12); on member rows under [aggregate] the
            // members' column.
            return Ok(col);
        }
        if self.aggregated() && name == "score" {
            // Member rows read the enterprise output's `score` column: the data lacks it.
            let mut e = self.unknown(name, true, true);
            e.message = "no data column 'score' in the member data: under [aggregate], `score` \
                         in a member expression is the enterprise output's score column"
                .into();
            return Err(e);
        }
        if let Some(e) = self.scored_too_early(name) {
            return Err(e);
        }
        // (Entity rows without [aggregate]: criterion and dimension ids, and `score`, are
        // candidates where scores exist.)
        Err(self.unknown(name, false, self.aggregated()))
    }

    /// The error for the final score, a dimension id or a criterion id named where scores
    /// do not exist yet (formulas, `aggregate`, exclude gates; `score` in an adjustment);
    /// `None` for any other name or place.
    fn scored_too_early(&self, name: &str) -> Option<ResolveError> {
        if self.place.sees_scores() && !(self.place == ExprPlace::Adjustment && name == "score") {
            return None;
        }
        let what = if name == "score" {
            "the final score".to_string()
        } else {
            self.c.rules.scored_value_of(name)?
        };
        // On entity rows a data column of that name is written in backticks; under
        // [aggregate] the entity level has no data columns, only aggregates of the members'.
        let column = match self.column(name) {
            Some(_) if self.aggregated() && self.place != ExprPlace::Formula => format!(
                "; for the members' data column '{name}', define an entity-level indicator \
                 (aggregate = \"mean({name})\") and use its id"
            ),
            Some(_) => format!("; for the data column write `{name}` in backticks"),
            None => String::new(),
        };
        Some(ResolveError {
            message: format!("'{name}' is {what}, which does not exist yet here"),
            help: Some(format!(
                "scores exist only in tier requires/direct, capping gates and (without `score`) adjustments{column}"
            )),
        })
    }
}

impl Scope for Names<'_> {
    fn resolve(&self, name: &str, quoted: bool) -> std::result::Result<Resolved, ResolveError> {
        let name = &*self.id_spelling(name, quoted);
        let r = &self.c.rules;
        if !self.aggregated() || self.place == ExprPlace::Formula {
            // Without [aggregate] every expression works on entity rows, which are data rows.
            if !quoted
                && self.place.sees_scores()
                && r.indicator(name).is_none()
                && let Some(res) = self.score_name(name)
            {
                return Ok(res);
            }
            return self.resolve_row_level(name, quoted);
        }
        // Entity level under [aggregate]: aggregate indicators and scores only.
        // The aggregate that fits the value: sum adds numbers; yes/no values are counted.
        let example = |ty: Option<Type>, shown: &str| match ty {
            Some(Type::Bool) => format!("count({shown}) or share({shown})"),
            Some(Type::Number) => format!("sum({shown})"),
            Some(Type::Text) => format!("count({shown} == '…')"),
            None => format!("sum({shown}) for numbers, count({shown}) for yes/no values"),
        };
        // In an `aggregate` the member columns go inside an aggregate function; anywhere
        // else at entity level (gates, conditions) aggregate functions are not allowed, and
        // the aggregate becomes an indicator of its own.
        // (`shown` as the message quotes the name, `written` as an expression reads it.)
        let member_level = |shown: String, written: String, ty: Option<Type>| {
            if self.place == ExprPlace::Aggregate {
                ResolveError {
                    message: format!(
                        "data column {shown} is member-level; use it inside an aggregate function such as {}",
                        example(ty, &written)
                    ),
                    help: None,
                }
            } else {
                ResolveError {
                    message: format!(
                        "data column {shown} is member-level, and here each entity is read as a whole"
                    ),
                    help: Some(format!(
                        "define an entity-level indicator that aggregates the members' values \
                         (e.g. aggregate = {}) and use its id here",
                        match ty {
                            Some(Type::Number) => format!("\"sum({written})\""),
                            Some(Type::Bool) => format!("\"count({written})\""),
                            Some(Type::Text) => format!("\"count({written} == '…')\""),
                            None => format!("\"sum({written})\" or \"count({written})\""),
                        }
                    )),
                }
            }
        };
        if quoted {
            let ty = self.column(name).map(|c| c.ty);
            return Err(member_level(format!("`{name}`"), format!("`{name}`"), ty));
        }
        if let Some(i) = r.indicators.iter().position(|x| x.id.value == name) {
            if !matches!(r.indicators[i].source, Source::Aggregate(_)) {
                let ty = Some(self.indicator_type(i));
                if self.place != ExprPlace::Aggregate {
                    let mut e = member_level(format!("'{name}'"), name.to_string(), ty);
                    e.message = format!(
                        "'{name}' is a member-level indicator, and here each entity is read as a whole"
                    );
                    return Err(e);
                }
                return Err(ResolveError {
                    message: format!(
                        "'{name}' is a member-level indicator; under [aggregate] use it inside an aggregate function such as {}",
                        example(ty, name)
                    ),
                    help: Some("or define an entity-level indicator with aggregate = \"…\"".into()),
                });
            }
            return Ok(Resolved {
                slot: self.slots.indicator(i),
                ty: self.indicator_type(i),
            });
        }
        if self.place.sees_scores()
            && let Some(res) = self.score_name(name)
        {
            return Ok(res);
        }
        if let Some(e) = self.scored_too_early(name) {
            return Err(e);
        }
        if let Some(c) = self.column(name) {
            return Err(member_level(
                format!("'{name}'"),
                name.to_string(),
                Some(c.ty),
            ));
        }
        Err(self.unknown(name, false, false))
    }

    fn resolve_prev(
        &self,
        name: &str,
        quoted: bool,
    ) -> std::result::Result<Resolved, ResolveError> {
        let res = self.resolve(name, quoted)?;
        // Dimension scores, criterion points and the final score (the last slots) exist for
        // the scored year only: earlier years' rows are read, never scored.
        if res.slot >= self.slots.dimension(0) {
            let what = match self.c.rules.scored_value_of(name) {
                Some(what) if name != "score" => what,
                _ => "the final score".to_string(),
            };
            return Err(ResolveError {
                message: format!(
                    "'{name}' is {what}, which exists for the scored year only: prev() reads \
                     the data of earlier years, which are not scored"
                ),
                help: Some(if self.column(name).is_some() {
                    format!("for the data column '{name}' write prev(`{name}`) in backticks")
                } else {
                    format!(
                        "to compare with last year's result, give the data a column holding \
                         it (e.g. `{name}_last_year`) and use that column"
                    )
                }),
            });
        }
        Ok(res)
    }

    fn resolve_member(
        &self,
        name: &str,
        quoted: bool,
    ) -> std::result::Result<Resolved, ResolveError> {
        if self.place != ExprPlace::Aggregate {
            return Err(ResolveError {
                message: "aggregate functions are only allowed in an indicator's `aggregate`"
                    .into(),
                help: None,
            });
        }
        self.resolve_row_level(&self.id_spelling(name, quoted), quoted)
    }
}

impl Names<'_> {
    /// A bare name typed in full-width letters or digits (`ｏｕｔｐｕｔ`, as a Chinese input
    /// method gives them) that folds to an indicator, dimension or criterion id, or to
    /// `score`, is that id. Without this it would fall through to the data column of the
    /// same folded header and skip the indicator's `multiply` without a word.
    fn id_spelling<'n>(&self, name: &'n str, quoted: bool) -> std::borrow::Cow<'n, str> {
        let folded = crate::data::cell::fold_width(name);
        if quoted || folded == name {
            return std::borrow::Cow::Borrowed(name);
        }
        let r = &self.c.rules;
        let f = folded.as_ref();
        if r.indicator(f).is_some()
            || r.dimension(f).is_some()
            || r.criteria.iter().any(|c| c.id.value == f)
            || f == "score"
        {
            std::borrow::Cow::Owned(folded.into_owned())
        } else {
            std::borrow::Cow::Borrowed(name)
        }
    }

    fn score_name(&self, name: &str) -> Option<Resolved> {
        let r = &self.c.rules;
        if name == "score" && self.place == ExprPlace::AfterScoring {
            return Some(Resolved {
                slot: self.slots.score(),
                ty: Type::Number,
            });
        }
        if let Some(d) = r.dimensions.iter().position(|x| x.id.value == name) {
            return Some(Resolved {
                slot: self.slots.dimension(d),
                ty: Type::Number,
            });
        }
        r.criteria
            .iter()
            .position(|x| x.id.value == name)
            .map(|c| Resolved {
                slot: self.slots.criterion(c),
                ty: Type::Number,
            })
    }
}

/// Compiles one parsed expression against the data, mapping errors into the rules file.
pub(crate) fn compile_expr(
    names: &Names<'_>,
    p: &ParsedExpr,
    errors: &mut Vec<Diagnostic>,
) -> Option<Program> {
    match try_compile_expr(names, p) {
        Ok(prog) => Some(prog),
        Err(CompileError { diagnostic: d, .. }) => {
            errors.push(*d);
            None
        }
    }
}

/// An expression that did not compile: the diagnostic, where in the expression it starts
/// and which types clashed (a type error).
struct CompileError {
    at: usize,
    /// Boxed: a diagnostic is large, and this error is returned on the hot compile path.
    diagnostic: Box<Diagnostic>,
    clash: Option<expr::TypeClash>,
}

/// [`compile_expr`], with the error's position in the expression and its type clash.
fn try_compile_expr(
    names: &Names<'_>,
    p: &ParsedExpr,
) -> std::result::Result<Program, CompileError> {
    let ctx = if p.place == ExprPlace::Aggregate {
        Context::Aggregate
    } else {
        Context::Row
    };
    let scope = Names {
        place: p.place,
        ..*names
    };
    // Gates, adjustments and tier conditions must be conditions: text there is a type
    // error, not a silent "false" for every entity.
    let compiled = match p.place {
        ExprPlace::Formula | ExprPlace::Aggregate => expr::compile(&p.ast, &scope, ctx),
        _ => expr::compile_condition(&p.ast, &scope, ctx),
    };
    compiled.map_err(|e| {
        // When the data explains the type error, the rule's own alternatives (quote the
        // number, compare with a text) would lead away from the fix.
        let help = super::column_causes::text_column_causes(names, p, &e).or(e.help);
        CompileError {
            at: e.span.start,
            diagnostic: Box::new(expr_diag(
                &names.c.rules.source,
                &p.text,
                &p.what,
                e.span,
                &e.message,
                help,
            )),
            clash: e.clash,
        }
    })
}

/// Bytes of expression text the typings of one expression may compile in `check` (see
/// [`CompiledRules::check_expressions`]).
const TYPING_BUDGET: usize = 8 << 20;

/// Typings one expression may try (3⁹: nine data columns), and all the expressions of a
/// rules file together: each costs a few microseconds however short the expression, and
/// every command compiles the rules (a file of many such expressions stays well under a
/// second).
const TYPINGS_PER_EXPRESSION: usize = 19_683;
const TYPINGS_PER_FILE: usize = 100_000;

impl CompiledRules {
    /// Type-checks every expression before any data is read, so `check` reports unknown
    /// functions, wrong arity and type errors. Names that are not indicators (data columns)
    /// have no known type yet: an expression is accepted when some typing of its column
    /// names (number, bool or text each) makes it valid — the data decides later.
    pub(crate) fn check_expressions(&self) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        let r = &self.rules;
        let mut typings_left = TYPINGS_PER_FILE;
        for p in self.all_exprs() {
            let mut columns: Vec<String> = Vec::new();
            for (name, quoted, _) in expr::names(&p.ast) {
                let known = !quoted
                    && (r.indicator(&name).is_some()
                        || (p.place.sees_scores()
                            && (name == "score"
                                || r.dimension(&name).is_some()
                                || r.criteria.iter().any(|c| c.id.value == name))));
                let folded = fold_header(&name);
                if !known && !columns.contains(&folded) {
                    columns.push(folded);
                }
            }
            // Each typing compiles the whole expression once (a valid one usually stops at
            // one of the first): with so many typings of a long expression that the tries
            // would read more than ~8 MB of expression text, see below.
            let tries = u32::try_from(columns.len())
                .ok()
                .and_then(|n| 3usize.checked_pow(n))
                .unwrap_or(usize::MAX);
            let slots = Slots {
                columns: columns.len(),
                indicators: r.indicators.len(),
                dimensions: r.dimensions.len(),
                criteria: r.criteria.len(),
            };
            let compile_as = |types: &[Option<Type>]| {
                let names = Names {
                    c: self,
                    slots,
                    headers: &columns,
                    column_types: types,
                    place: p.place,
                    table: None,
                    frame: None,
                };
                try_compile_expr(&names, p)
            };
            if tries.saturating_mul(p.text.value.len()) > TYPING_BUDGET
                || tries > TYPINGS_PER_EXPRESSION.min(typings_left)
            {
                // Too many typings to try: only an error no typing can avoid is reported
                // here (an unknown function, a wrong number of arguments: no type clash),
                // from the typings with every column a number, a text or a yes/no (each
                // stops at its first error, so a clash in one can hide what another
                // reaches); the data run checks the rest.
                typings_left = typings_left.saturating_sub(3);
                let unavoidable = [Type::Number, Type::Text, Type::Bool].into_iter().find_map(
                    |t| match compile_as(&vec![Some(t); columns.len()]) {
                        Err(e) if e.clash.is_none() => Some(*e.diagnostic),
                        _ => None,
                    },
                );
                errors.extend(unavoidable);
                continue;
            }
            // Typings with fewer columns guessed yes/no or text first (all numbers, then one
            // column otherwise, …), after the three where every column is one type (a
            // condition over text columns): a valid expression usually compiles at one of
            // the first.
            let combos = tries;
            let uniform = |k: usize| {
                let first = k % 3;
                (0..columns.len()).all(|i| (k / 3usize.pow(i as u32)) % 3 == first)
            };
            let mut order: Vec<usize> = (0..combos).collect();
            order.sort_by_cached_key(|&k| {
                let others = (0..columns.len())
                    .filter(|&i| !(k / 3usize.pow(i as u32)).is_multiple_of(3))
                    .count();
                (!uniform(k), others)
            });
            // When no typing works, the error shown is that of the typing that got furthest
            // into the expression: `x == 'a' and abs(flag) > 0` with `x` a text column fails
            // at `abs(flag)`, not at the comparison the all-numbers guess trips over. An
            // error about a yes/no or text value where a column was guessed to hold one is
            // the guess's own making, and gives way to any other: `if(yn, 1, 0) + (txt > 1)`
            // is "expected a number, found bool" at `(txt > 1)`, not "cannot compare a bool
            // with a number" for `txt` guessed yes/no.
            let mut best_error: Option<((bool, usize), Diagnostic)> = None;
            let mut ok = false;
            for k in order {
                // (Charged as tried: a valid expression usually stops at one of the first.)
                typings_left -= 1;
                let types: Vec<Option<Type>> = (0..columns.len())
                    .map(|i| {
                        Some([Type::Number, Type::Bool, Type::Text][(k / 3usize.pow(i as u32)) % 3])
                    })
                    .collect();
                let error = match compile_as(&types) {
                    Ok(prog) => match self.formula_kind_error(p, prog.ty()) {
                        None => {
                            ok = true;
                            break;
                        }
                        // The whole formula compiled: as far as a typing can get.
                        Some(d) => ((true, usize::MAX), d),
                    },
                    Err(e) => {
                        // (Two types that differ are a guess's making whichever types the
                        // columns were given: `sum(tier == 'zjtx')` with `tier` guessed a
                        // number is not "cannot compare a number with text" but a condition
                        // in sum(), as `tier` read as text shows. Not so a number in quotes,
                        // `incidents == '0'`: the quotes are the slip.)
                        let guessed = e.clash.is_some_and(|c| {
                            matches!(
                                c,
                                TypeClash::Mismatch {
                                    quoted_number: false,
                                    ..
                                }
                            ) || types
                                .iter()
                                .flatten()
                                .any(|&t| t != Type::Number && c.involves(t))
                        });
                        ((!guessed, e.at), *e.diagnostic)
                    }
                };
                if best_error.as_ref().is_none_or(|(key, _)| error.0 > *key) {
                    best_error = Some(error);
                }
            }
            if !ok {
                errors.extend(best_error.map(|(_, d)| d));
            }
        }
        errors
    }

    /// An indicator formula whose result type does not match the indicator's kind.
    fn formula_kind_error(&self, p: &ParsedExpr, ty: Type) -> Option<Diagnostic> {
        if !matches!(p.place, ExprPlace::Formula | ExprPlace::Aggregate) {
            return None;
        }
        let ind = self
            .rules
            .indicators
            .iter()
            .zip(&self.indicator_exprs)
            .find(|(_, e)| e.as_ref().is_some_and(|e| e.text.span == p.text.span))?
            .0;
        let want = match ind.kind {
            Kind::Number => Type::Number,
            Kind::Bool => Type::Bool,
            Kind::Category => Type::Text,
        };
        (ty != want).then(|| {
            Diagnostic::new(
                crate::diag::Stage::Rules,
                format!(
                    "the formula of indicator '{}' gives a {}, but the indicator is of kind {}",
                    ind.id.value,
                    ty.name(),
                    ind.kind.name()
                ),
            )
            .in_source(&self.rules.source, p.text.span)
            .with_help(format!(
                "set kind = \"{}\" on the indicator, or change the formula",
                match ty {
                    Type::Number => "number",
                    Type::Bool => "bool",
                    Type::Text => "category",
                }
            ))
        })
    }
}
