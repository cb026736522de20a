//! Scoring a dataset: indicators → fractions (ndarray matrix) → dimension and total scores →
//! adjustments, clamp, rounding → gates → ranks → tiers → [`Assessment`].
//!
//! This module holds the run itself (reading the rules' columns, formula indicators, the order
//! of the phases in `finish`); `input` checks the data and reads the column indicators,
//! `criteria` scores the criteria, `decisions` applies cohorts, gates, adjustments and tiers,
//! and `layout` arranges the output and the audit block.

use super::assessment::*;
use super::bind::{Frame, Names, Slots, WithMembers, compile_expr};
use super::evidence::{Evidence, TierRule};
use super::methods::{self, ParamValues, Peers, ResolvedBand};
use super::{CompiledRules, ExprPlace};
use crate::column::{Column, TextColumn, Type, format_number};
use crate::data::fold_header;
use crate::diag::{Diagnostic, Error, Result, Stage};
use crate::expr::Program;
use crate::num::round_half_away;
use crate::rules::{Direction, Kind, Method, MissingPolicy, Param, Source};
use ndarray::{Array1, Array2, ShapeBuilder};
use std::borrow::Cow;
use std::collections::HashMap;

mod criteria;
mod decisions;
mod input;
pub(super) use input::score_ids_before_scoring;
mod layout;

use criteria::*;
use input::*;

/// Errors of one pass that get a did-you-mean or a list of columns: a pass with more stops
/// (formulas) or reports the rest without help (missing columns), so that a rules file with
/// thousands of misspelt names against a wide header is not searched name by name.
const HELPED_ERRORS: usize = 100;

/// Options of one run that do not come from the rules.
#[derive(Debug, Clone, Default)]
pub struct AssessOptions {
    /// Overrides `[rules].year`.
    pub year: Option<i64>,
    /// Path of the rules file, for the audit block.
    pub rules_path: String,
    /// `generated_at`; defaults to SOURCE_DATE_EPOCH or the current time.
    pub generated_at: Option<String>,
    /// Per-entity objects, or columns only (CSV batch runs).
    pub detail: Detail,
}

fn data_error(msg: impl Into<String>) -> Diagnostic {
    Diagnostic::new(Stage::Data, msg)
}

fn rules_error(
    c: &CompiledRules,
    span: crate::diag::Span,
    msg: impl Into<String>,
    help: Option<String>,
) -> Diagnostic {
    Diagnostic::new(Stage::Rules, msg)
        .in_source(&c.rules.source, span)
        .with_help_opt(help)
}

impl CompiledRules {
    /// Scores a dataset with the default options (the rules' year, per-entity results,
    /// `generated_at` from `SOURCE_DATE_EPOCH` or the clock): the one-argument shape of
    /// SPEC §9. Errors stop the run; nothing partial is returned.
    pub fn assess(&self, data: &super::Dataset) -> Result<Assessment> {
        self.assess_with(data, &AssessOptions::default())
    }

    /// Scores a dataset with explicit options (a year, the rules path for the audit,
    /// columns only for batch runs). Errors stop the run; nothing partial is returned.
    pub fn assess_with(&self, data: &super::Dataset, opts: &AssessOptions) -> Result<Assessment> {
        data.table.check_shape()?;
        Run::new(self, data, opts, None)?.finish()
    }

    /// [`CompiledRules::assess_with`] on a dataset handed over: a columns-only run
    /// ([`Detail::Columns`]) frees each data column and indicator once nothing after the
    /// criteria reads it, so a batch run does not hold its input through ranking and
    /// output. Same result as `assess`.
    pub fn assess_owned(&self, data: super::Dataset, opts: &AssessOptions) -> Result<Assessment> {
        data.table.check_shape()?;
        let mut data = data;
        let owned = (self.rules.aggregate.is_none() && opts.detail == Detail::Columns).then(|| {
            let n = data.table.columns.len();
            std::mem::replace(&mut data.table.columns, vec![None; n])
        });
        Run::new(self, &data, opts, owned)?.finish()
    }
}

/// What a missing value decided inside an expression, for the warnings: where, what
/// happened, and the rows (of all data rows) it happened on.
type MissingTrace = (String, &'static str, Vec<bool>);

/// An `if()` condition a missing value decided (its branch taken on SPEC §4's "false").
const IF_DECIDED: &str = "a missing value decided an if() condition (a condition that ends missing counts as false: the else branch was taken)";
/// A `count_true()` term a missing value left undecided: counted as SPEC §4 reads it (a
/// comparison with a missing value false, so `x > 5` not true and `not (x > 5)` true).
const COUNT_DECIDED: &str = "count_true() counted a condition a missing value decided (a comparison with a missing value is false)";
/// A condition met only because a comparison with a missing value is false (`not (x > 5)`).
const MET_BY_MISSING: &str =
    "the condition held only because a comparison with a missing value is false";
/// A formula whose value a comparison with a missing value decided (`x > 5` → false).
const FORMULA_DECIDED: &str = "a comparison with a missing value was taken as false in the formula";
/// A member aggregate that skipped members without a value (SPEC §12).
const AGGREGATE_SKIPPED: &str = "an aggregate left out members whose value is missing";
/// A `count(cond)` or `share(cond)` over a member whose condition a missing value decided:
/// not met for `rev > 5`, met for `not (rev > 5)` (a comparison with a missing value is false).
const AGGREGATE_COUNTED: &str = "count() or share() took members whose condition a missing value decided (a comparison with a missing value is false, so `x > 5` is not met and `not (x > 5)` is)";

/// A formula whose number is missing though every value it reads was reported.
const NO_NUMBER: &str = "the formula gave no number, though every value it reads was reported (a division by zero, ln, log10 or sqrt outside its domain, or a result too large),";

/// Member ids for a warning: the first ten, then how many more.
fn member_list(members: &[&str]) -> String {
    const SHOWN: usize = 10;
    let shown: Vec<String> = members
        .iter()
        .take(SHOWN)
        .map(|m| crate::diag::truncate(m, 60))
        .collect();
    match members.len().saturating_sub(SHOWN) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// Where a missing value decided something inside `prog` on `env`: its `if()` conditions,
/// its `count_true()` terms and, for a formula's value `v`, the value itself.
fn missing_traces(
    prog: &Program,
    env: &dyn crate::expr::Env,
    v: Option<&Column>,
    what: impl Fn() -> String,
) -> Vec<MissingTrace> {
    [
        (IF_DECIDED, prog.missing_if_conditions(env)),
        (COUNT_DECIDED, prog.missing_count_true(env)),
        (AGGREGATE_SKIPPED, prog.aggregate_skipped_missing(env)),
        (AGGREGATE_COUNTED, prog.aggregate_counted_missing(env)),
        (
            FORMULA_DECIDED,
            v.and_then(|v| prog.decided_by_missing_comparison(env, v)),
        ),
        (
            NO_NUMBER,
            v.and_then(|v| prog.no_number_from_values(env, v)),
        ),
    ]
    .into_iter()
    .filter_map(|(decided, hit)| Some((what(), decided, hit?)))
    .collect()
}

/// Everything one run computes, kept together so the steps read top to bottom.
struct Run<'a> {
    c: &'a CompiledRules,
    data: &'a super::Dataset,
    opts: &'a AssessOptions,
    slots: Slots,
    /// Entity frame (all years): indicators, and later scores.
    entities: Frame<'a>,
    /// Entity ids (all years).
    entity_ids: TextColumn,
    entity_names: Option<TextColumn>,
    /// Rows of `entities` that are scored (the selected year), in data order.
    scored: Vec<usize>,
    year: Option<i64>,
    warnings: Vec<String>,
    /// Under `[aggregate]`: the first member row of each entity-frame row, and the
    /// entity-frame row of each member row.
    entity_rows: Option<(Vec<usize>, Vec<u32>)>,
    /// Type of each data column (expressions compile against these).
    column_types: Vec<Option<Type>>,
    /// The data columns were handed over (`assess_owned`): the frame may free them.
    owns_columns: bool,
    /// Expressions with an `if()` whose condition was missing, and for which entity-frame
    /// rows: counted in the warnings once the scored rows are known (SPEC §4).
    if_missing: std::sync::Mutex<Vec<MissingTrace>>,
    /// Warnings of category tables `{ by, values, default }`: a default standing in for a
    /// missing or similar-looking category, keys that are one value (each once, however
    /// often the table is resolved).
    category_warnings: std::sync::Mutex<Vec<String>>,
    /// Whether the scored entities' ids ascend in code-point order (data sorted by id, the
    /// usual case): then the first ids of a list in entity order are its smallest.
    ids_ascending: std::sync::OnceLock<bool>,
}

impl<'a> Run<'a> {
    fn new(
        c: &'a CompiledRules,
        data: &'a super::Dataset,
        opts: &'a AssessOptions,
        owned: Option<Vec<Option<Column>>>,
    ) -> Result<Self> {
        let r = &c.rules;
        let table = &data.table;
        let headers = &table.headers;
        let slots = Slots {
            columns: headers.len(),
            indicators: r.indicators.len(),
            dimensions: r.dimensions.len(),
            criteria: r.criteria.len(),
        };
        // Row-level frame: the data columns (moved in when handed over, borrowed
        // otherwise), then the indicators.
        let owns_columns = owned.is_some();
        let mut rows = Frame::new(table.rows(), slots.total());
        match owned {
            Some(cols) => {
                for (j, col) in cols.into_iter().enumerate() {
                    if let Some(col) = col {
                        rows.set(j, col);
                    }
                }
            }
            None => {
                for (j, col) in table.columns.iter().enumerate() {
                    if let Some(col) = col {
                        rows.slots[j] = Some(Cow::Borrowed(col));
                    }
                }
            }
        }
        let mut marker_warnings = Vec::new();
        apply_rules_markers(c, table, &mut rows, &mut marker_warnings);
        for j in empty_columns_compared_with_text(c, headers, &rows) {
            rows.set(
                j,
                Column::Text(TextColumn::from_values(
                    (0..table.rows()).map(|_| None::<&str>),
                )),
            );
        }
        let column_types: Vec<Option<Type>> = (0..slots.columns)
            .map(|j| rows.get(j).map(Column::ty))
            .collect();
        let mut errors = Vec::new();
        // What reading the files found doubtful comes first.
        let mut warnings: Vec<String> = table
            .files
            .iter()
            .flat_map(|f| f.warnings.iter().cloned())
            .chain(marker_warnings)
            .collect();
        if c.edited {
            warnings.push(format!(
                "the rules were changed in memory after {} was read: the audit's rules sha256 is that text's, not of the rules scored",
                c.rules.source.name
            ));
        }
        if table.rows() == 0 {
            return Err(Error::one(
                data_error("the data has no data rows").with_help(
                    match crate::data::default_sheet_help(&table.files) {
                        Some(h) => format!("add at least one row under the header; {h}"),
                        None => "add at least one row under the header".to_string(),
                    },
                ),
            ));
        }

        // Required columns.
        let need_column =
            |name: &crate::rules::Sp<String>, what: &str, errors: &mut Vec<Diagnostic>| {
                required_column(c, table, &rows, name, what, errors)
            };
        let id_col = need_column(&r.settings.id, "id column", &mut errors);
        let label_col = r
            .settings
            .name_column
            .as_ref()
            .and_then(|l| need_column(l, "label column", &mut errors));
        let year_col = r
            .data
            .year_column
            .as_ref()
            .and_then(|y| need_column(y, "year column", &mut errors));
        let agg_cols = r.aggregate.as_ref().map(|a| {
            (
                need_column(&a.by, "[aggregate] by column", &mut errors),
                a.label
                    .as_ref()
                    .and_then(|l| need_column(l, "[aggregate] label column", &mut errors)),
            )
        });
        for ind in &r.indicators {
            if let Source::Column(col) = &ind.source {
                need_column(
                    col,
                    &format!("indicator '{}' reads column", ind.id.value),
                    &mut errors,
                );
            }
        }
        let mut errors = merge_wrong_delimiter_errors(errors);
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        let text_of = |frame: &Frame<'_>, j: usize| -> TextColumn {
            match frame.get(j).expect("checked above") {
                Column::Text(t) => t.clone(),
                other => TextColumn::from_values((0..other.len()).map(|i| other.display(i))),
            }
        };
        let ids = text_of(&rows, id_col.expect("checked"));
        let years: Option<Vec<f64>> = year_col.map(|j| match rows.get(j).expect("checked") {
            // A year column also read as text (carried, a label): its cells read as numbers; a
            // cell that is none is reported below as not a year.
            Column::Text(t) => cells_as(t, finite_number)
                .into_iter()
                .map(|x| x.flatten().unwrap_or(f64::NAN))
                .collect(),
            other => other.to_numbers(),
        });
        if let (Some(ys), Some(j)) = (&years, year_col) {
            let percent_row = match rows.get(j).expect("checked") {
                Column::Text(t) => {
                    let percent: Vec<bool> = t
                        .dict
                        .iter()
                        .map(crate::data::cell::written_with_percent)
                        .collect();
                    t.codes
                        .iter()
                        .position(|&k| percent.get(k as usize).copied().unwrap_or(false))
                }
                _ => table.first_percent_row(j),
            };
            check_years(table, ys, j, percent_row, &ids)?;
        }
        // Year selection (first: `--year` without a year column is why multi-year rows
        // would look like duplicate ids).
        let year = scored_year(c, opts.year, years.as_deref(), &table.files, &mut warnings)?;
        // Duplicate member/entity ids per year.
        let names = label_col.and_then(|l| match rows.get(l) {
            Some(Column::Text(t)) => Some(t),
            _ => None,
        });
        check_duplicate_ids(c, table, &ids, names, years.as_deref())?;
        score_ids_read_as_columns(c, headers, &mut warnings)?;
        warn_text_literals_in_no_cell(c, table, &rows, &mut warnings);
        warn_is_missing_on_words(c, table, &rows, &mut warnings);
        warn_empty_columns(c, table, &rows, &mut warnings);
        if r.aggregate.is_some() {
            warn_total_members(table, &ids, names, years.as_deref(), year, &mut warnings);
        }

        crate::timing::mark("score: ids and duplicates");
        let names = Names {
            c,
            slots,
            headers,
            column_types: &column_types,
            place: ExprPlace::Formula,
            table: Some(table),
            frame: None,
        };

        let prev_map = |keys: &TextColumn, ys: &Option<Vec<f64>>, used: &[u32]| {
            prev_rows(keys, ys.as_deref(), used)
        };
        // Under [aggregate] the rows are members, keyed by their own id ([rules].id, unique
        // per year): a member-level prev() reads the member's earlier row, as SPEC §4 has it
        // for any row; the entity frame gets its own map below.
        rows.prev = prev_map(&ids, &years, &c.prev_years);

        // Column indicators.
        column_indicators(c, table, &mut rows, slots)?;
        // Only the scored year's rows say what the criteria and conditions compare: other
        // years are reached through prev() alone.
        let in_year: Option<Vec<usize>> = match (&years, year) {
            (Some(ys), Some(_)) => {
                let v = select_year(&years, year, ys.len());
                (v.len() < ys.len()).then_some(v)
            }
            _ => None,
        };
        warnings.extend(percent_scale_warnings(c, table, &rows, in_year.as_deref()));
        warnings.extend(percent_condition_warnings(
            c,
            table,
            &rows,
            in_year.as_deref(),
        ));

        crate::timing::mark("score: column indicators");
        // Formula indicators (row level) in dependency order; aggregates later.
        let mut if_missing: Vec<MissingTrace> = Vec::new();
        let mut programs: HashMap<usize, Program> = HashMap::new();
        // (The frame holds the data columns when the table handed them over.)
        let with_rows = Names {
            frame: Some(&rows),
            ..names
        };
        for &i in &c.formula_order {
            if errors.len() >= HELPED_ERRORS {
                // (Each error searches every name and header for a did-you-mean.)
                return Err(Error::first_of_more(errors));
            }
            let p = c.indicator_exprs[i]
                .as_ref()
                .expect("formula order holds formulas");
            if let Some(prog) = compile_expr(&with_rows, p, &mut errors) {
                programs.insert(i, prog);
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        // Formulas that read no formula not yet computed are evaluated together, one level
        // at a time, on all cores. Their traces are kept per formula and added in formula
        // order; should a result be refused, the rest runs one by one in formula order, so
        // the error reported is the one a run in that order meets first.
        let formulas: Vec<usize> = c
            .formula_order
            .iter()
            .copied()
            .filter(|&i| matches!(r.indicators[i].source, Source::Formula(_)))
            .collect();
        let mut level = vec![0usize; r.indicators.len()];
        for &i in &formulas {
            let reads = programs[&i].slots();
            level[i] = formulas
                .iter()
                .filter(|&&j| j != i && reads.contains(&slots.indicator(j)))
                .map(|&j| level[j] + 1)
                .max()
                .unwrap_or(0);
        }
        // Formula `i`'s column (before `formula_result`) and its traces.
        let evaluate = |i: usize, rows: &Frame| {
            let prog = &programs[&i];
            let v = prog.eval(rows);
            let what = || format!("indicator '{}'", r.indicators[i].id.value);
            let t = missing_traces(prog, rows, Some(&v), what);
            (v, t)
        };
        let mut traces: Vec<Option<Vec<MissingTrace>>> = vec![None; r.indicators.len()];
        let depth = formulas.iter().map(|&i| level[i] + 1).max().unwrap_or(0);
        let mut refused = false;
        for l in 0..depth {
            use rayon::prelude::*;
            let these: Vec<usize> = formulas
                .iter()
                .copied()
                .filter(|&i| level[i] == l)
                .collect();
            let results: Result<Vec<_>> = these
                .par_iter()
                .map(|&i| (i, evaluate(i, &rows)))
                .collect::<Vec<_>>()
                .into_iter()
                .map(|(i, (v, t))| Ok((i, formula_result(c, i, v, programs[&i].ty())?, t)))
                .collect();
            let Ok(results) = results else {
                refused = true;
                break;
            };
            for (i, col, t) in results {
                rows.set(slots.indicator(i), col);
                traces[i] = Some(t);
            }
        }
        if refused {
            for &i in &formulas {
                if traces[i].is_some() {
                    continue;
                }
                let (v, t) = evaluate(i, &rows);
                traces[i] = Some(t);
                rows.set(
                    slots.indicator(i),
                    formula_result(c, i, v, programs[&i].ty())?,
                );
            }
        }
        for &i in &formulas {
            if_missing.extend(traces[i].take().unwrap_or_default());
        }

        crate::timing::mark("score: formula indicators");
        // Entity level.
        let (mut entities, entity_ids, entity_names) = match (&c.rules.aggregate, agg_cols) {
            (Some(_), Some((Some(by), label))) => {
                let by_col = text_of(&rows, by);
                let mut index: HashMap<(u32, i64), u32> = HashMap::new();
                let mut group = Vec::with_capacity(table.rows());
                let mut first_row = Vec::new();
                let mut ent_years = Vec::new();
                for i in 0..table.rows() {
                    let code = by_col.codes[i];
                    if code == TextColumn::MISSING {
                        let at = table.location(i, &headers[by]);
                        return Err(Error::one(
                            data_error("the member row names no entity")
                                .at(at)
                                .with_help("fill the [aggregate] by column on every row"),
                        ));
                    }
                    let y = years.as_ref().map_or(0, |ys| ys[i] as i64);
                    let next = index.len() as u32;
                    let g = *index.entry((code, y)).or_insert_with(|| {
                        first_row.push(i);
                        ent_years.push(y as f64);
                        next
                    });
                    group.push(g);
                }
                let n = first_row.len();
                let by_name = r.aggregate.as_ref().map_or("", |a| a.by.value.as_str());
                let groups = look_alike_groups(&by_col);
                let count = value_counts(&by_col);
                for g in groups.iter().take(LOOK_ALIKE_SHOWN) {
                    warnings.push(format!(
                        "[aggregate] by '{by_name}': {} differ only in full-width characters, case or spacing (or are one number), and are scored as separate entities; if they are one entity, write them alike in the data",
                        values_with_counts(&by_col, &count, g, &|k| format!(
                            "{k} member {}",
                            crate::diag::agree(k, "row", "rows")
                        ))
                    ));
                }
                if groups.len() > LOOK_ALIKE_SHOWN {
                    warnings.push(format!(
                        "[aggregate] by '{by_name}': {} more groups of values look alike (as above)",
                        groups.len() - LOOK_ALIKE_SHOWN
                    ));
                }
                // Member rows traced above stand for the entities they belong to; which
                // members they were is named once the scored year is known (below).
                let member_hits: Vec<Vec<bool>> = if_missing
                    .iter_mut()
                    .map(|(_, _, hit)| {
                        let mut by_entity = vec![false; n];
                        for (i, _) in hit.iter().enumerate().filter(|(_, h)| **h) {
                            by_entity[group[i] as usize] = true;
                        }
                        std::mem::replace(hit, by_entity)
                    })
                    .collect();
                let eids = by_col.take(&first_row);
                // The name of the first member row that gives one (a blank label on the
                // first member does not blank the entity's name).
                let enames = label.map(|l| {
                    let names = text_of(&rows, l);
                    let mut named = first_row.clone();
                    for (i, &g) in group.iter().enumerate() {
                        let r = &mut named[g as usize];
                        if names.codes[*r] == TextColumn::MISSING
                            && names.codes[i] != TextColumn::MISSING
                        {
                            *r = i;
                        }
                    }
                    names.take(&named)
                });
                let mut ef = Frame::new(n, slots.total());
                let eyears = years.as_ref().map(|_| ent_years.clone());
                ef.prev = prev_map(&eids, &eyears, &c.prev_years);
                for &i in &c.formula_order {
                    let ind = &r.indicators[i];
                    if !matches!(ind.source, Source::Aggregate(_)) {
                        continue;
                    }
                    let prog = &programs[&i];
                    let v = {
                        let env = WithMembers {
                            frame: &ef,
                            members: &rows,
                            group: &group,
                        };
                        let v = prog.eval(&env);
                        let what = || format!("indicator '{}'", ind.id.value);
                        if_missing.extend(missing_traces(prog, &env, Some(&v), what));
                        v
                    };
                    ef.set(slots.indicator(i), formula_result(c, i, v, prog.ty())?);
                }
                // Years of entities, for year selection below.
                let years_e = years.as_ref().map(|_| ent_years);
                let scored = select_year(&years_e, year, n);
                // A member-level trace names the members of scored entities it happened on
                // (the warning lists their entities).
                let mut is_scored = vec![false; n];
                for &e in &scored {
                    is_scored[e] = true;
                }
                for ((what, _, _), hit) in if_missing.iter_mut().zip(&member_hits) {
                    let members: Vec<&str> = hit
                        .iter()
                        .enumerate()
                        .filter(|&(i, &h)| h && is_scored[group[i] as usize])
                        .filter_map(|(i, _)| ids.get(i))
                        .collect();
                    if !members.is_empty() {
                        what.push_str(&format!(
                            " (in {} {}: {})",
                            members.len(),
                            crate::diag::agree(members.len(), "member", "members"),
                            member_list(&members)
                        ));
                    }
                }
                // Member ids typed two ways (`E1`, `e1`): one enterprise counted twice in
                // its cluster's sums and counts, most likely.
                let scored_members: Vec<usize> = (0..group.len())
                    .filter(|&i| is_scored[group[i] as usize])
                    .collect();
                warnings.extend(decisions::look_alike_id_warnings(
                    &ids,
                    &scored_members,
                    table,
                    "member ids",
                    "are counted as separate members (each in its entity's sums and counts)",
                ));
                if let Some(y) = year {
                    warnings.extend(absent_from_year(&eids, &scored, y));
                }
                let run = Run {
                    c,
                    data,
                    opts,
                    slots,
                    entities: ef,
                    entity_ids: eids,
                    entity_names: enames,
                    scored,
                    year,
                    warnings,
                    entity_rows: Some((first_row, group)),
                    column_types,
                    owns_columns,
                    if_missing: std::sync::Mutex::new(if_missing),
                    category_warnings: std::sync::Mutex::new(Vec::new()),
                    ids_ascending: std::sync::OnceLock::new(),
                };
                return Ok(run);
            }
            _ => {
                let names_col = label_col.map(|l| text_of(&rows, l));
                (rows, ids, names_col)
            }
        };
        let scored = select_year(&years, year, entities.rows);
        if let Some(y) = year {
            warnings.extend(absent_from_year(&entity_ids, &scored, y));
        }
        entities.prev.shrink_to_fit();
        Ok(Run {
            c,
            data,
            opts,
            slots,
            entities,
            entity_ids,
            entity_names,
            scored,
            year,
            warnings,
            entity_rows: None,
            column_types,
            owns_columns,
            if_missing: std::sync::Mutex::new(if_missing),
            category_warnings: std::sync::Mutex::new(Vec::new()),
            ids_ascending: std::sync::OnceLock::new(),
        })
    }
}

/// Per-entity state while scoring the selected rows.
struct Scored {
    n: usize,
    cohort: Vec<u32>,
    cohort_names: Vec<Option<String>>,
    /// The exclude gate that dropped each entity (`u32`: 8 bytes an entity, not 16).
    excluded_by: Vec<Option<u32>>,
    /// Per-entity notes; empty under [`Detail::Columns`] (nothing shows them).
    notes: Vec<Vec<String>>,
}

/// One criterion scored (its fractions went into the matrix column): see
/// [`Run::score_criterion`].
struct CriterionScores {
    shown: ShownOverrides,
    used: Vec<Option<MissingPolicy>>,
    notes: Vec<(usize, String)>,
    warnings: Vec<String>,
    fails: Vec<String>,
    /// Under `missing = "fail"`, values outside the transform's domain were among the
    /// missing: the formula-indicator transform that would score them low instead.
    domain_fix: Option<String>,
    /// Entities whose criterion was dropped (`missing = "exclude"`), ascending.
    dropped: Vec<usize>,
}

/// Who took a category table's default for want of a listed category (see
/// `Run::table_defaults`); warned of only for the entities that consulted the parameter.
struct TableDefaults {
    by: String,
    default: f64,
    /// Entities without a category.
    missing: Vec<usize>,
    /// (category, the listed key it equals up to width, case and spacing, or the one listed
    /// key it names more fully (`东部地区` for `东部`), entities).
    resembling: Vec<(String, String, Vec<usize>)>,
}

/// Notes of one criterion, per entity, kept only with per-entity detail.
struct NoteList {
    keep: bool,
    list: Vec<(usize, String)>,
}

impl NoteList {
    fn note(&mut self, e: usize, text: impl FnOnce() -> String) {
        if self.keep {
            self.list.push((e, text()));
        }
    }
}

/// The conditions evaluated on the entities, compiled against the run's frame (`None`
/// where compiling failed; the errors are reported together).
struct Conditions {
    gates: Vec<Option<Program>>,
    adjustments: Vec<Option<Program>>,
    /// Per tier, its `requires` conditions.
    requires: Vec<Vec<Option<Program>>>,
    /// Per tier, its `direct` conditions.
    direct: Vec<Vec<Option<Program>>>,
}

/// Dimension weights and the scaling of published points, known before any criterion.
struct PointScale {
    /// Each criterion's points.
    points: Vec<f64>,
    /// Each dimension's weight (its criteria's points without `weight`).
    weights: Vec<f64>,
    /// The total's maximum: `scale`, else the sum of the weights.
    final_max: f64,
    /// Each dimension's share of the weights.
    share: Array1<f64>,
    /// Each dimension's maximum published number (`final_max × share`).
    dim_weight: Vec<f64>,
    /// 10^decimals.
    m: f64,
    /// The largest maximum of a dimension or criterion.
    largest: f64,
    /// Published numbers are kept as whole multiples of 10^-decimals (exact below 10^15).
    scaled: bool,
}

impl PointScale {
    fn of(c: &CompiledRules) -> Self {
        let r = &c.rules;
        let nd = r.dimensions.len();
        let points: Vec<f64> = r.criteria.iter().map(|c| c.points.value).collect();
        let mut full_max = vec![0.0; nd];
        for (ci, p) in points.iter().enumerate() {
            full_max[c.criterion_dimension[ci]] += p;
        }
        let weighted = r.dimensions.iter().all(|d| d.weight.is_some()) && nd > 0;
        let weights: Vec<f64> = if weighted {
            r.dimensions
                .iter()
                .map(|d| d.weight.as_ref().map_or(0.0, |w| w.value))
                .collect()
        } else {
            full_max
        };
        let w_sum: f64 = weights.iter().sum();
        let final_max = r.settings.scale.unwrap_or(w_sum);
        let share: Array1<f64> = Array1::from_iter(
            weights
                .iter()
                .map(|w| if w_sum > 0.0 { w / w_sum } else { 0.0 }),
        );
        let dim_weight: Vec<f64> = (0..nd).map(|d| final_max * share[d]).collect();
        // Scaled (k of k/10^decimals) when every value is far enough below 10^15 to be exact.
        let decimals = r.settings.decimals;
        let m = crate::num::pow10(decimals);
        let largest = dim_weight
            .iter()
            .chain(&points)
            .fold(0.0f64, |a, v| a.max(v.abs()));
        let scaled = decimals <= 9 && largest * m < 1e14;
        PointScale {
            points,
            weights,
            final_max,
            share,
            dim_weight,
            m,
            largest,
            scaled,
        }
    }
}

/// How [`Run::score_criteria`] runs: kept detail, folding, and which inputs it may free.
struct CriteriaPlan<'p> {
    full: bool,
    fold: bool,
    release: bool,
    after_criteria: &'p [usize],
    scale: &'p PointScale,
}

/// The criteria scored: the fraction matrix (or, folded, the dimension sums and published
/// points), with what each criterion shows and which missing policy it applied.
struct CriteriaOutcome {
    fractions: Array2<f64>,
    folded: Option<FoldedCriteria>,
    shown: Vec<ShownOverrides>,
    missing_used: Vec<Vec<Option<MissingPolicy>>>,
}

/// The sheet's published points, row-major in data order (a writer then reads one
/// contiguous row per entity through `order`): dimension shares, then each criterion's
/// points from its published column (folded) or its fractions.
fn sheet_point_rows(
    n: usize,
    dim_frac: &Array2<f64>,
    fractions: &Array2<f64>,
    published: Option<Vec<PublishedColumn>>,
    scale: &PointScale,
    decimals: u32,
) -> PointRows {
    let mut sources: Vec<PointSource<'_>> = (0..scale.dim_weight.len())
        .map(|d| {
            PointSource::Share(
                dim_frac.column(d).to_slice().expect("column-major"),
                scale.dim_weight[d],
            )
        })
        .collect();
    match &published {
        Some(columns) => sources.extend(columns.iter().map(|col| match col {
            PublishedColumn::Narrow { points, .. } => PointSource::Narrow(points),
            PublishedColumn::Wide { points, .. } => PointSource::Published(points),
        })),
        None => sources.extend((0..scale.points.len()).map(|ci| {
            PointSource::Fraction(
                fractions.column(ci).to_slice().expect("column-major"),
                scale.points[ci],
            )
        })),
    }
    point_rows(
        n,
        &sources,
        scale.scaled,
        scale.m,
        decimals,
        scale.largest * scale.m,
    )
}

impl Scored {
    /// Records a note for entity `e` when notes are kept; the text is built only then.
    fn note(&mut self, e: usize, text: impl FnOnce() -> String) {
        if let Some(list) = self.notes.get_mut(e) {
            list.push(text());
        }
    }
}

impl Run<'_> {
    /// A frame column at the scored rows; borrowed when every row is scored (`scored` is
    /// an increasing subset of the rows, so equal length means all of them, in order).
    fn take(&self, slot: usize) -> Option<Cow<'_, Column>> {
        let c = self.entities.get(slot)?;
        Some(if self.scored.len() == self.entities.rows {
            Cow::Borrowed(c)
        } else {
            Cow::Owned(c.take(&self.scored))
        })
    }

    fn id(&self, e: usize) -> &str {
        self.entity_ids.get(self.scored[e]).unwrap_or("")
    }

    /// How to fix a name that is neither an indicator nor a data column: the closest of
    /// either, or the list of both.
    /// Under `[aggregate]`, a cohort or category table (`place`, the name included) naming a
    /// member column: members have one value each, an entity needs one.
    fn member_category_error(
        &self,
        name: &crate::rules::Sp<String>,
        place: &str,
        instead: &str,
    ) -> Option<Error> {
        self.c.rules.aggregate.as_ref()?;
        // A member-level indicator (not an `aggregate` one) by its id, or a data column.
        let indicator = self
            .c
            .rules
            .indicators
            .iter()
            .any(|i| i.id.value == name.value && !matches!(i.source, Source::Aggregate(_)));
        if !indicator {
            self.data.table.column_index(&fold_header(&name.value))?;
        }
        let what = if indicator {
            "a member-level indicator"
        } else {
            "a member column"
        };
        Some(Error::one(rules_error(
            self.c,
            name.span,
            format!(
                "{place} names {what}: under [aggregate] it needs one value per entity, \
                 and {what} holds one per member"
            ),
            Some(format!(
                "{instead}, or score each group's members in a run of its own"
            )),
        )))
    }

    fn category_help(&self, name: &str) -> String {
        let indicators = self.c.rules.indicators.iter().map(|i| i.id.value.as_str());
        let columns = self.data.table.headers.iter().map(String::as_str);
        crate::diag::did_you_mean_help(name, indicators.clone().chain(columns.clone()))
            .unwrap_or_else(|| {
                let mut seen = std::collections::HashSet::new();
                let all: Vec<&str> = indicators
                    .chain(columns)
                    .filter(|n| seen.insert(*n))
                    .collect();
                format!(
                    "indicators and data columns: {}",
                    crate::diag::truncate(&all.join(", "), 400)
                )
            })
    }

    /// Names of up to 10 entities, for warnings.
    fn some_ids(&self, list: &[usize]) -> String {
        // The first ten ids in code-point order, whatever the order of the rows: kept sorted
        // while scanning, so most ids cost one comparison with the tenth. With ids ascending
        // by entity and the list in entity order, those are its first ten (no id of a long
        // list read at scattered places: ~50 ns each at 10⁶ entities).
        let ascending = *self
            .ids_ascending
            .get_or_init(|| (1..self.scored.len()).all(|e| self.id(e - 1) < self.id(e)));
        let sorted_list = list.is_sorted();
        let mut s: Vec<&str> = Vec::with_capacity(11);
        let scan = if ascending && sorted_list {
            &list[..list.len().min(10)]
        } else {
            list
        };
        for &e in scan {
            let id = self.id(e);
            if s.len() < 10 || id < s[9] {
                let at = s.partition_point(|x| *x < id);
                s.insert(at, id);
                s.truncate(10);
            }
        }
        let more = if list.len() > 10 {
            format!(" and {} more", list.len() - 10)
        } else {
            String::new()
        };
        let shown: Vec<String> = s.iter().map(|id| crate::diag::truncate(id, 200)).collect();
        format!("{}{more}", shown.join(", "))
    }

    /// A data column at the scored entities, as text (`[output].carry`).
    fn carry_column(&self, name: &str) -> Option<TextColumn> {
        let j = self.data.table.column_index(&fold_header(name))?;
        let col = match &self.entity_rows {
            // The entity frame is the row frame: data column j is slot j.
            None => self.entities.get(j)?,
            Some(_) => self.data.table.columns[j].as_ref()?,
        };
        let rows = self
            .member_rows_giving(col)
            .unwrap_or_else(|| self.scored.clone());
        let taken = col.take(&rows);
        Some(match taken {
            Column::Text(t) => t,
            other => TextColumn::from_values((0..other.len()).map(|i| other.display(i))),
        })
    }

    /// Under `[aggregate]`, per scored entity the member row that gives it its value of
    /// member column `col`: the first member row with a value (a blank cell on the first
    /// member does not blank the entity's, as for the label), else its first member row.
    fn member_rows_giving(&self, col: &Column) -> Option<Vec<usize>> {
        let (first, group) = self.entity_rows.as_ref()?;
        let mut given = first.clone();
        for (i, &g) in group.iter().enumerate() {
            let r = &mut given[g as usize];
            if col.is_missing(*r) && !col.is_missing(i) {
                *r = i;
            }
        }
        Some(self.scored.iter().map(|&r| given[r]).collect())
    }

    /// A text column of the entities by indicator id or data column name (cohorts, `by`).
    fn category(&self, name: &str) -> Result<Option<TextColumn>> {
        Ok(self.category_and_kind(name)?.map(|(t, _)| t))
    }

    /// The scored rows of a category column as text, with the kind of column it was: a
    /// data column of numbers or booleans (typed from its cells, SPEC §12) shows its values
    /// as numbers (`1`) and `true`/`false`.
    fn category_and_kind(&self, name: &str) -> Result<Option<(TextColumn, Kind)>> {
        let Some(slot) = self.slot_of_name(name) else {
            return Ok(None);
        };
        // Under `[aggregate]` the entity frame holds no data columns and no member-level
        // indicators: a member column is taken as the entity's through its members.
        let aggregate = self.c.rules.aggregate.is_some();
        let entity_level = !(aggregate && slot < self.slots.columns);
        let Some(col) = self.entities.get(slot).filter(|_| entity_level) else {
            return match aggregate {
                true => self.members_category(name).transpose(),
                false => Ok(None),
            };
        };
        let col = col.take(&self.scored);
        Ok(Some(match col {
            Column::Text(t) => (t, Kind::Category),
            other => {
                let kind = match other {
                    Column::Bool(_) => Kind::Bool,
                    _ => Kind::Number,
                };
                let t = TextColumn::from_values((0..other.len()).map(|i| other.display(i)));
                (t, kind)
            }
        }))
    }

    /// Under `[aggregate]`, a member column (by its name, or a column indicator's id) as
    /// one value per entity: the value its members give (empty cells aside). Members of
    /// one entity that give different values are a data error: which would be the entity's
    /// would depend on the order of the rows. `None` for other names (a formula).
    fn members_category(&self, name: &str) -> Option<Result<(TextColumn, Kind)>> {
        let column = match self.c.rules.indicators.iter().find(|i| i.id.value == name) {
            Some(ind) => match &ind.source {
                Source::Column(col) => col.value.clone(),
                _ => return None,
            },
            None => name.to_string(),
        };
        let table = &self.data.table;
        let j = table.column_index(&fold_header(&column))?;
        let members = table.columns[j].as_ref()?;
        let kind = match members {
            Column::Text(_) => Kind::Category,
            Column::Bool(_) => Kind::Bool,
            Column::Number(_) => Kind::Number,
        };
        let (_, group) = self.entity_rows.as_ref()?;
        let given = self.member_rows_giving(members)?;
        let frame_rows = group.iter().map(|&g| g as usize + 1).max().unwrap_or(0);
        let mut scored_at = vec![u32::MAX; frame_rows];
        for (e, &r) in self.scored.iter().enumerate() {
            if let Some(s) = scored_at.get_mut(r) {
                *s = e as u32;
            }
        }
        // A member of a scored entity giving another value than the one the entity took.
        let mut differ: Vec<(usize, usize, usize)> = Vec::new();
        let mut said = vec![false; self.scored.len()];
        for (i, &g) in group.iter().enumerate() {
            let Some(&e) = scored_at.get(g as usize).filter(|&&e| e != u32::MAX) else {
                continue;
            };
            let e = e as usize;
            if !said[e]
                && let Some(v) = members.display(i)
                && members.display(given[e]).as_deref() != Some(v.as_str())
            {
                said[e] = true;
                differ.push((e, given[e], i));
            }
        }
        if let Some(&(e, f, i)) = differ.iter().min_by(|a, b| self.id(a.0).cmp(self.id(b.0))) {
            let header = &table.headers[j];
            let value = |r: usize| members.display(r).unwrap_or_default();
            let more = match differ.len() {
                1 => String::new(),
                n => format!(
                    " (and the members of {} more)",
                    crate::diag::entities(n - 1)
                ),
            };
            return Some(Err(Error::one(
                data_error(format!(
                    "the members of '{}' give different values for '{name}': \"{}\" (row {}) and \"{}\"{more}; under [aggregate] it is read as the entity's value, so its members need one",
                    self.id(e),
                    crate::diag::truncate(&value(f), 60),
                    table.origin(f).1,
                    crate::diag::truncate(&value(i), 60),
                ))
                .at(table.location(i, header))
                .with_help(
                    "give each group's members the same value (an empty cell takes the others'), \
                     or leave the key out of the rules",
                ),
            )));
        }
        let taken = TextColumn::from_values(given.iter().map(|&r| members.display(r)));
        Some(Ok((taken, kind)))
    }

    /// A parameter's values per entity, without the category-table default warnings
    /// (for re-resolutions whose first resolution warned).
    fn resolve_param(&self, p: &Param, what: &str) -> Result<ParamValues> {
        self.resolve_param_noting(p, what).map(|(v, _)| v)
    }

    /// A parameter's values per entity, and who took a category table's default: the
    /// caller warns of those that consulted the parameter ([`Self::warn_table_defaults`]).
    fn resolve_param_noting(
        &self,
        p: &Param,
        what: &str,
    ) -> Result<(ParamValues, Option<TableDefaults>)> {
        match p {
            Param::Fixed(v) => Ok((ParamValues::Scalar(*v), None)),
            Param::ByCategory {
                by,
                values,
                default,
            } => {
                let Some((cat, kind)) = self.category_and_kind(&by.value)? else {
                    let place = format!("'by = \"{}\"' in {what}", by.value);
                    if let Some(e) = self.member_category_error(by, &place, "give it a fixed value")
                    {
                        return Err(e);
                    }
                    return Err(Error::one(rules_error(
                        self.c,
                        by.span,
                        format!(
                            "'by = \"{}\"' in {what} names neither an indicator nor a data column",
                            by.value
                        ),
                        Some(self.category_help(&by.value)),
                    )));
                };
                // Keys are compared as the column shows its values: on a column of numbers
                // the key "01" is the number 1, on a column of booleans "是" is true.
                let orig = values;
                let values: Vec<(String, f64)> = values
                    .iter()
                    .map(|(k, v)| {
                        let shown = match kind {
                            Kind::Number => crate::data::cell::parse_number(k).map(format_number),
                            Kind::Bool => crate::data::cell::parse_bool(k).map(|b| b.to_string()),
                            _ => None,
                        };
                        (shown.unwrap_or_else(|| k.clone()), *v)
                    })
                    .collect();
                // Two keys that are one value there ("1" and "01"): the first holds; said.
                let mut first_of: HashMap<&str, usize> = HashMap::with_capacity(values.len());
                for (k, (shown, v)) in values.iter().enumerate() {
                    if let Some(&j) = first_of.get(shown.as_str()) {
                        let (first, second) = (&orig[j].0, &orig[k].0);
                        let text = format!(
                            "{what}: the keys '{first}' and '{second}' of the table on '{}' are the same {} there, {shown}; '{first}' (= {}) is used, '{second}' (= {}) never",
                            by.value,
                            if kind == Kind::Bool {
                                "boolean"
                            } else {
                                "number"
                            },
                            format_number(values[j].1),
                            format_number(*v)
                        );
                        self.category_warning(text);
                    } else {
                        first_of.insert(shown, k);
                    }
                }
                let lookup: Vec<Option<f64>> = cat
                    .dict
                    .iter()
                    .map(|k| first_of.get(k).map(|&j| values[j].1))
                    .collect();
                let mut out = Vec::with_capacity(self.scored.len());
                let mut lacking = Vec::new();
                for e in 0..self.scored.len() {
                    let v = match cat.codes[e] {
                        TextColumn::MISSING => *default,
                        code => lookup[code as usize].or(*default),
                    };
                    match v {
                        Some(v) => out.push(v),
                        None => lacking.push(e),
                    }
                }
                if !lacking.is_empty() {
                    // Every such entity in one error (up to ten named), so that one run shows
                    // all there is to fix; located at the table, which is what needs a value.
                    let msg = if let [e] = lacking[..] {
                        match cat.get(e) {
                            Some(c) => format!(
                                "{what}: entity '{}' has '{c}' for '{}', which the table does not list, and there is no default",
                                self.id(e),
                                by.value
                            ),
                            None => format!(
                                "{what}: entity '{}' has no value for '{}', and there is no default",
                                self.id(e),
                                by.value
                            ),
                        }
                    } else {
                        let named: Vec<String> = (lacking.iter().take(10))
                            .map(|&e| match cat.get(e) {
                                Some(c) => format!("'{}' ('{c}')", self.id(e)),
                                None => format!("'{}' (no category)", self.id(e)),
                            })
                            .collect();
                        let more = match lacking.len() {
                            n if n > 10 => format!(" and {} more", n - 10),
                            _ => String::new(),
                        };
                        format!(
                            "{what}: {} entities have a category for '{}' that the table does not list, or none, and there is no default: {}{more}",
                            lacking.len(),
                            by.value,
                            named.join(", ")
                        )
                    };
                    return Err(Error::one(rules_error(
                        self.c,
                        by.span,
                        msg,
                        Some(format!(
                            "add them to values, or give a default: {{ by = \"{}\", values = {{ … }}, default = … }}",
                            by.value
                        )),
                    )));
                }
                let defaults = default.map(|d| self.table_defaults(&cat, &by.value, &values, d));
                Ok((ParamValues::PerEntity(out), defaults))
            }
        }
    }

    /// Who takes a category table's default where it stands in for a value: entities
    /// without a category (a missing-value substitution, SPEC §5.2: never silent) and
    /// categories that are not listed but equal a listed one up to width, case and spacing
    /// (`Ａ类` for `A类`, most likely a typing slip). Other unlisted categories take the
    /// default by design.
    fn table_defaults(
        &self,
        cat: &TextColumn,
        by: &str,
        values: &[(String, f64)],
        default: f64,
    ) -> TableDefaults {
        let loose = look_alike_key;
        let missing: Vec<usize> = (0..self.scored.len())
            .filter(|&e| cat.codes[e] == TextColumn::MISSING)
            .collect();
        let listed: Vec<(String, &str)> =
            values.iter().map(|(k, _)| (loose(k), k.as_str())).collect();
        let mut resembling = Vec::new();
        for (code, text) in cat.dict.iter().enumerate() {
            if values.iter().any(|(k, _)| k == text) {
                continue;
            }
            let folded = loose(text);
            // Equal up to width, case and spacing; else containing exactly one listed key.
            let like = match listed.iter().find(|(l, _)| *l == folded) {
                Some((_, like)) => *like,
                None => {
                    let mut within = values
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .filter(|k| input::names_more_fully(k, text));
                    match (within.next(), within.next()) {
                        (Some(k), None) => k,
                        _ => continue,
                    }
                }
            };
            let hit: Vec<usize> = (0..self.scored.len())
                .filter(|&e| cat.codes[e] as usize == code)
                .collect();
            if !hit.is_empty() {
                resembling.push((text.to_string(), like.to_string(), hit));
            }
        }
        TableDefaults {
            by: by.to_string(),
            default,
            missing,
            resembling,
        }
    }

    /// Warns of, and notes for each entity, the category-table defaults that stood in for
    /// a value where the entity consulted the parameter (a band its value reached, its own
    /// level, a tier its walk reached): a default nobody used decided nothing.
    fn warn_table_defaults(
        &self,
        d: Option<&TableDefaults>,
        what: &str,
        consulted: impl Fn(usize) -> bool,
        mut note: impl FnMut(usize, &dyn Fn() -> String),
    ) {
        let Some(d) = d else { return };
        let (by, default) = (&d.by, format_number(d.default));
        let missing: Vec<usize> = d
            .missing
            .iter()
            .copied()
            .filter(|&e| consulted(e))
            .collect();
        if !missing.is_empty() {
            for &e in &missing {
                note(e, &|| {
                    format!(
                        "{what}: no '{by}' value, took the category table's default ({default})"
                    )
                });
            }
            self.category_warning(format!(
                "{what}: {} {} no '{by}' value and {} the category table's default ({default}): {}",
                crate::diag::entities(missing.len()),
                crate::diag::agree(missing.len(), "has", "have"),
                crate::diag::agree(missing.len(), "takes", "take"),
                self.some_ids(&missing)
            ));
        }
        for (text, like, hit) in &d.resembling {
            let hit: Vec<usize> = hit.iter().copied().filter(|&e| consulted(e)).collect();
            if hit.is_empty() {
                continue;
            }
            for &e in &hit {
                note(e, &|| {
                    format!(
                        "{what}: '{by}' value '{text}' is not in the category table (did you mean '{like}'?), took its default ({default})"
                    )
                });
            }
            self.category_warning(format!(
                "{what}: '{by}' value '{text}' is not in the category table (did you mean '{like}'?), so {} {} its default ({default}): {}",
                crate::diag::entities(hit.len()),
                crate::diag::agree(hit.len(), "takes", "take"),
                self.some_ids(&hit)
            ));
        }
    }

    /// Records a category-table warning once (tables are resolved from parallel criteria,
    /// and some more than once).
    fn category_warning(&self, text: String) {
        let mut kept = self
            .category_warnings
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !kept.contains(&text) {
            kept.push(text);
        }
    }

    fn compile_place(
        &self,
        p: &super::ParsedExpr,
        errors: &mut Vec<Diagnostic>,
    ) -> Option<Program> {
        let names = Names {
            c: self.c,
            slots: self.slots,
            headers: &self.data.table.headers,
            column_types: &self.column_types,
            place: p.place,
            table: Some(&self.data.table),
            // Under `[aggregate]` the entity frame holds no data columns.
            frame: self.c.rules.aggregate.is_none().then_some(&self.entities),
        };
        compile_expr(&names, p, errors)
    }

    /// [`Run::compile_place`] for each expression of a list.
    fn compile_places(
        &self,
        exprs: &[super::ParsedExpr],
        errors: &mut Vec<Diagnostic>,
    ) -> Vec<Option<Program>> {
        exprs
            .iter()
            .map(|p| self.compile_place(p, errors))
            .collect()
    }

    /// The frame slot an indicator id or data column name reads.
    fn slot_of_name(&self, name: &str) -> Option<usize> {
        self.c
            .rules
            .indicators
            .iter()
            .position(|x| x.id.value == name)
            .map(|i| self.slots.indicator(i))
            .or_else(|| self.data.table.column_index(&fold_header(name)))
    }

    /// The inputs read by criteria `first..` (their indicators and the categories of their
    /// parameters), by the tie-breaks and by `after`: what a run that frees its inputs
    /// keeps while those criteria are still to be scored.
    fn inputs_from_criterion(&self, first: usize, after: &[usize]) -> Vec<usize> {
        let c = self.c;
        let r = &c.rules;
        r.criteria
            .iter()
            .enumerate()
            .skip(first)
            .flat_map(|(ci, crit)| {
                let by = crit.method.params().into_iter().filter_map(|p| match p {
                    Param::ByCategory { by, .. } => self.slot_of_name(&by.value),
                    Param::Fixed(_) => None,
                });
                std::iter::once(self.slots.indicator(c.criterion_indicator[ci])).chain(by)
            })
            .chain(
                r.settings
                    .tie_break
                    .iter()
                    .filter_map(|t| self.slot_of_name(&t.value)),
            )
            .chain(after.iter().copied())
            .collect()
    }

    /// Frees the data columns and indicators of the entity frame except those `keep`
    /// reads (directly or through an alias). Only for runs that own their data.
    fn release_inputs_except(&mut self, keep: &[usize]) {
        debug_assert!(self.owns_columns && self.entity_rows.is_none());
        let inputs = self.slots.columns + self.slots.indicators;
        let mut kept = vec![false; inputs];
        for &s in keep {
            for t in [s, self.entities.resolve(s)] {
                if t < inputs {
                    kept[t] = true;
                }
            }
        }
        for (s, k) in kept.iter().enumerate() {
            if !k {
                self.entities.release(s);
            }
        }
    }

    /// Evaluates a condition on the entity frame and returns it for the scored rows:
    /// `Some(true)` met, `Some(false)` not met, `None` not met because of a missing value (a
    /// condition that ends missing, or one a comparison with a missing value made false). A
    /// condition met only because such a comparison was false is met, and traced for the
    /// warnings.
    fn condition(&self, prog: &Program, what: impl Fn() -> String) -> Vec<Option<bool>> {
        let mut all = prog.eval_condition(&self.entities);
        let mut traces = Vec::new();
        if prog.has_comparison() {
            let traced = prog.eval_condition_traced(&self.entities);
            let mut met_by_missing = vec![false; all.len()];
            for ((c, t), m) in all.iter_mut().zip(&traced).zip(&mut met_by_missing) {
                // Unknown in the traced reading, or known there but the other way
                // (`coalesce(a > 2, true)`, `is_missing(a > 2)` turn the unknown into an answer).
                if t.is_none() || (c.is_some() && t != c) {
                    match *c {
                        Some(true) => *m = true,
                        _ => *c = None,
                    }
                }
            }
            if met_by_missing.contains(&true) {
                traces.push((what(), MET_BY_MISSING, met_by_missing));
            }
        }
        traces.extend(missing_traces(prog, &self.entities, None, what));
        if !traces.is_empty() {
            self.if_missing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend(traces);
        }
        if self.scored.len() == all.len() {
            // Every row is scored (`scored` is an increasing subset of the rows).
            return all;
        }
        self.scored.iter().map(|&r| all[r]).collect()
    }

    /// Bare names mentioned by expressions evaluated after scoring (adjustments, capping
    /// gates, tier `requires` and `direct`): the criterion and dimension ids to publish.
    fn post_scoring_names(&self) -> std::collections::HashSet<String> {
        let c = self.c;
        let capping = c
            .gate_exprs
            .iter()
            .zip(&c.gate_cap)
            .filter(|(_, cap)| cap.is_some())
            .map(|(p, _)| p);
        c.adjustment_exprs
            .iter()
            .chain(capping)
            .chain(c.tier_requires.iter().flatten())
            .chain(c.tier_direct.iter().flatten())
            .flat_map(|p| crate::expr::names(&p.ast))
            .filter(|(_, quoted, _)| !quoted)
            .map(|(name, _, _)| name)
            .collect()
    }

    /// The post-scoring conditions with the columns they read, when one of them reads a
    /// score (for [`Evidence::rescore`]); `None` otherwise.
    fn post_scoring(
        &self,
        gate_progs: &[Option<Program>],
        adj_progs: &[Option<Program>],
        req_progs: &[Vec<Option<Program>>],
        direct_progs: &[Vec<Option<Program>>],
    ) -> Option<std::sync::Arc<super::evidence::PostScoring>> {
        let c = self.c;
        let r = &c.rules;
        let sl = self.slots;
        let flat =
            |ps: &[Option<Program>]| -> Vec<Program> { ps.iter().flatten().cloned().collect() };
        let post = super::evidence::PostScoring {
            frame: super::evidence::PostFrame {
                rows: self.entities.rows,
                columns: Vec::new(),
                prev: self.entities.prev.clone(),
            },
            row_of: self.scored.clone(),
            score_slot: sl.score(),
            dimension_slots: (0..r.dimensions.len()).map(|d| sl.dimension(d)).collect(),
            criterion_slots: (0..r.criteria.len()).map(|ci| sl.criterion(ci)).collect(),
            adjustments: adj_progs
                .iter()
                .zip(&r.adjustments)
                .filter_map(|(p, a)| Some((p.clone()?, a.points)))
                .collect(),
            caps: gate_progs
                .iter()
                .zip(&c.gate_cap)
                .filter_map(|(p, cap)| Some((p.clone()?, (*cap)?)))
                .collect(),
            requires: req_progs.iter().map(|ps| flat(ps)).collect(),
            direct: direct_progs.iter().map(|ps| flat(ps)).collect(),
        };
        let all: Vec<&Program> = post
            .adjustments
            .iter()
            .map(|(p, _)| p)
            .chain(post.caps.iter().map(|(p, _)| p))
            .chain(post.requires.iter().flatten())
            .chain(post.direct.iter().flatten())
            .collect();
        if !all.iter().any(|p| post.reads_scores(p)) {
            return None;
        }
        let mut columns: Vec<Option<Column>> = vec![None; sl.total()];
        for p in &all {
            for s in p.slots() {
                if columns[s].is_none() {
                    columns[s] = self.entities.get(s).cloned();
                }
            }
        }
        Some(std::sync::Arc::new(super::evidence::PostScoring {
            frame: super::evidence::PostFrame {
                columns,
                ..post.frame
            },
            ..post
        }))
    }

    /// "x = 1, y = missing" for the names an expression mentions, for notes.
    fn values_in(&self, p: &super::ParsedExpr, e: usize) -> String {
        let mut parts = Vec::new();
        for (name, quoted, lags) in crate::expr::names_with_prev(&p.ast) {
            // Inside `prev(…, k)` the value that decided is on the row k years back
            // (audit26_fine F1): follow each enclosing `prev`, outermost first.
            let row = lags.iter().try_fold(self.scored[e], |row, &k| {
                let back = *crate::expr::Env::prev_rows(&self.entities, k)?.get(row)?;
                (back != u32::MAX).then_some(back as usize)
            });
            let label = lags.iter().rev().fold(name.clone(), |inner, &k| match k {
                1 => format!("prev({inner})"),
                k => format!("prev({inner}, {k})"),
            });
            let slot = if !quoted {
                self.c
                    .rules
                    .indicators
                    .iter()
                    .position(|x| x.id.value == name)
                    .map(|i| self.slots.indicator(i))
                    .or_else(|| {
                        self.c
                            .rules
                            .dimensions
                            .iter()
                            .position(|x| x.id.value == name)
                            .map(|d| self.slots.dimension(d))
                    })
                    .or_else(|| {
                        self.c
                            .rules
                            .criteria
                            .iter()
                            .position(|x| x.id.value == name)
                            .map(|c| self.slots.criterion(c))
                    })
                    .or_else(|| (name == "score").then(|| self.slots.score()))
                    .or_else(|| self.data.table.column_index(&fold_header(&name)))
            } else {
                self.data.table.column_index(&fold_header(&name))
            };
            // A criterion, dimension or `score` not scored yet (an exclude gate runs first)
            // reads the data column of that name, as the gate itself does.
            let column = slot.and_then(|s| self.entities.get(s)).or_else(|| {
                let j = self.data.table.column_index(&fold_header(&name))?;
                self.entities.get(j)
            });
            // Numbers as a person reads them (no arithmetic noise such as 7.200000000000001).
            let v = (column.zip(row))
                .and_then(|(c, row)| match c {
                    Column::Number(x) if !x[row].is_nan() => {
                        Some(crate::column::format_display(x[row]))
                    }
                    c => c.display(row),
                })
                .unwrap_or_else(|| "missing".into());
            parts.push(format!("{label} = {v}"));
        }
        parts.join(", ")
    }

    fn finish(mut self) -> Result<Assessment> {
        let c = self.c;
        let r = &c.rules;
        let n = self.scored.len();
        // Per-entity detail is kept (built up front, or deferred to the writer).
        let full = self.opts.detail != Detail::Columns;
        // The expressions evaluated on the entities (their errors are reported after the
        // cohort's).
        let mut errors = Vec::new();
        let conditions = self.compile_conditions(&mut errors);
        let (cohort, cohort_names) = self.cohorts()?;
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        self.fail_on_unscored_indicators()?;
        // Inputs read after the criteria, for a run that frees the others
        // (see `release_inputs_except`).
        let release = self.owns_columns && !full;
        let after_criteria = if release {
            self.inputs_after_criteria(&conditions)
        } else {
            Vec::new()
        };
        if release {
            // The criteria read their indicators, the categories of their parameters and
            // (after them) the tie-break indicators; free every other input now, before the
            // per-entity vectors of the gates and criteria are made.
            let keep = self.inputs_from_criterion(0, &after_criteria);
            self.release_inputs_except(&keep);
        }
        // Bands and tiers nobody can reach, tiers listed upward, band and level points above
        // their criterion's (capped): `check` lints them, and the run says so too.
        self.warnings.extend(crate::rules::lint::result_changing(r));
        let mut st = Scored {
            n,
            cohort,
            cohort_names,
            excluded_by: vec![None; n],
            notes: if full {
                vec![Vec::new(); n]
            } else {
                Vec::new()
            },
        };
        self.apply_exclude_gates(&conditions.gates, &mut st);
        let ranked: Vec<bool> = st.excluded_by.iter().map(Option::is_none).collect();
        // Rows that are no entity (totals, notes), one entity listed twice, gates that
        // leave nothing ranked: scored as the data says, but said.
        self.warn_total_rows(&ranked);
        self.warn_note_rows(&ranked);
        self.warn_look_alike_ids();
        self.warn_all_excluded(&st.excluded_by);
        self.warn_lone_cohorts(&st.cohort, &st.cohort_names, &ranked);
        crate::timing::mark("score: cohorts and gates");

        let scale = PointScale::of(c);
        // Data-order published values: for post-scoring expressions and per-entity objects.
        let mentioned = self.post_scoring_names();
        let need_data_order = full
            || r.dimensions
                .iter()
                .any(|d| mentioned.contains(d.id.value.as_str()))
            || r.criteria
                .iter()
                .any(|c| mentioned.contains(c.id.value.as_str()));
        // A columns-only run that needs nothing but the sheet folds each criterion into its
        // dimension's sum and its published points as soon as it is scored, instead of
        // holding every criterion's fractions (8 bytes × entities × criteria) at once.
        // (`need_data_order` covers per-entity detail.)
        let fold = n > 0
            && !need_data_order
            && scale.scaled
            && scale.largest * scale.m < NARROW_LIMIT
            && !matches!(r.settings.aggregation, crate::rules::Aggregation::Topsis);
        let criteria = self.score_criteria(
            &mut st,
            &ranked,
            CriteriaPlan {
                full,
                fold,
                release,
                after_criteria: &after_criteria,
                scale: &scale,
            },
        )?;
        crate::timing::mark("score: criteria");

        // Aggregation, ranking and tiers run through `Evidence`, the state analyses re-score.
        let mut ev = self.evidence(criteria.fractions, &scale, &st, &ranked, full)?;
        if release {
            // Nothing after the criteria reads the data columns and indicators except the
            // expressions evaluated after scoring, `[output].carry` and the categories of
            // tier parameters: free the rest before the largest steps of a batch run.
            self.release_inputs_except(&after_criteria);
        }
        let (dim_frac, published) = match criteria.folded {
            Some(f) => {
                let (dims, columns) = f.finish();
                (dims, Some(columns))
            }
            None => (ev.dimension_fractions(&scale.points), None),
        };
        let totals = ev.totals_of(
            &dim_frac,
            &scale.weights,
            &scale.points,
            r.settings.aggregation,
        );
        self.note_geometric_floor(&dim_frac, &scale, &mut st);
        // Published dimension shares and criterion points; visible to post-scoring expressions.
        let dims_pub = self.publish_for_expressions(
            &dim_frac,
            &ev.fractions,
            &scale,
            &mentioned,
            need_data_order,
        );
        let sheet_points = sheet_point_rows(
            n,
            &dim_frac,
            &ev.fractions,
            published,
            &scale,
            r.settings.decimals,
        );
        drop(dim_frac);
        if !full {
            // Columns only: nothing reads the fractions again; free them before ranking and
            // tiers add their per-entity vectors (the peak of a large run).
            ev.fractions = Array2::zeros((0, r.criteria.len()));
        }
        crate::timing::mark("score: sheet points");
        crate::timing::mark("score: aggregation");

        // Adjustments, then clamp and rounding (Evidence::final_scores).
        let (adjustment, adj_applied) =
            self.apply_adjustments(&conditions.adjustments, full, &mut st);
        ev.adjustment = adjustment;
        let score = ev.final_scores(&totals);
        self.publish_scores(&score);
        let cap = self.apply_capping_gates(&conditions.gates, &mut st, &ranked);
        crate::timing::mark("score: adjustments and caps");

        // Ranking within cohorts: score desc, tie_break indicators by direction, id ascending.
        ev.cap = cap.iter().map(|c| c.map(|(t, _)| t)).collect();
        let (order, rank, tie_broken) = ev.rank_and_ties(&score);
        self.warn_missing_tie_breaks(&ev, &order, &rank, &score, &mut st);
        crate::timing::mark("score: ranking");

        // Tiers: walk in rank order, highest tier first.
        let min_score_defaults;
        (ev.tiers, min_score_defaults) = self.tier_rules(&conditions)?;
        let (tier, ties) = ev.assign_tiers(&score, &order);
        // A tier's min_score is consulted by the entities its walk reached: ranked, not
        // placed higher, not capped below it.
        for (t, d) in min_score_defaults.iter().enumerate() {
            self.warn_table_defaults(
                d.as_ref(),
                &format!("min_score of tier '{}'", r.tiers[t].id.value),
                |e| {
                    ev.ranked[e]
                        && tier[e].is_none_or(|got| got >= t)
                        && ev.cap_of(e).is_none_or(|c| t >= c)
                },
                |e, text| st.note(e, text),
            );
        }
        if matches!(
            self.opts.detail,
            Detail::Entities | Detail::Evidence | Detail::Explain
        ) {
            ev.post = self.post_scoring(
                &conditions.gates,
                &conditions.adjustments,
                &conditions.requires,
                &conditions.direct,
            );
        }
        // One warning per quota cut (tier and last entity placed): the first entity refused
        // is named beside the one placed, the others refused at that score are counted.
        let mut cuts: Vec<(usize, usize, usize, Vec<usize>)> = Vec::new();
        let mut cut_of: HashMap<(usize, usize), usize> = HashMap::new();
        for q in ties {
            match cut_of.get(&(q.tier, q.placed)) {
                Some(&k) => cuts[k].3.push(q.refused),
                None => {
                    cut_of.insert((q.tier, q.placed), cuts.len());
                    cuts.push((q.tier, q.quota, q.placed, vec![q.refused]));
                }
            }
        }
        for (t, quota, placed, refused) in cuts {
            // With cohorts, each has its own quota: say whose.
            let cohort = r.settings.cohort.as_ref().map_or_else(String::new, |by| {
                let value = &st.cohort_names[st.cohort[placed] as usize];
                format!(
                    " in cohort '{}' = {}",
                    by.value,
                    decisions::cohort_value_shown(value)
                )
            });
            let mut text = format!(
                "tier '{}' quota of {}{cohort} filled by a tie-break: '{}' and '{}' both scored {}, '{}' placed first",
                r.tiers[t].id.value,
                quota,
                self.id(placed),
                self.id(refused[0]),
                format_number(score[refused[0]]),
                self.id(placed)
            );
            if refused.len() > 1 {
                let mut others = refused[1..].to_vec();
                others.sort_unstable();
                text.push_str(&format!(
                    "; {} more {} with that score {} refused the tier too: {}",
                    others.len(),
                    crate::diag::agree(others.len(), "entity", "entities"),
                    crate::diag::agree(others.len(), "was", "were"),
                    self.some_ids(&others)
                ));
            }
            self.warnings.push(text);
        }
        self.warn_decided_by_missing(&ev, &conditions, &score, &tier, &rank, &mut st);
        crate::timing::mark("score: tiers");

        // Output order: cohorts ascending, rank order within, then excluded entities by id.
        let ranked_count = order.len();
        let mut out_order = order;
        let mut excluded: Vec<usize> = (0..n).filter(|&e| !ranked[e]).collect();
        excluded.sort_by(|&a, &b| self.id(a).cmp(self.id(b)));
        out_order.extend(excluded);
        let carried = self.carried_columns();
        // Per-entity results are built now or later from an `EntitySource`; `Evidence`
        // keeps the evidence alone.
        let builds_results = matches!(
            self.opts.detail,
            Detail::Entities | Detail::Deferred | Detail::Explain
        );
        // Each criterion's indicator column, for the values shown.
        let indicator_columns: Vec<Cow<'_, Column>> = if builds_results {
            (0..r.criteria.len())
                .map(|ci| {
                    self.take(self.slots.indicator(c.criterion_indicator[ci]))
                        .expect("indicators are computed")
                })
                .collect()
        } else {
            Vec::new()
        };
        let carried_by_entity = if builds_results {
            carried.clone()
        } else {
            Vec::new()
        };
        crate::timing::mark("score: output order, carried columns");

        let summary = Summary {
            entities: n,
            ranked: ranked_count,
            excluded: n - ranked_count,
            tiers: r
                .tiers
                .iter()
                .enumerate()
                .map(|(t, tr)| TierCount {
                    id: tr.id.value.clone(),
                    label: tr.label().to_string(),
                    count: tier.iter().filter(|x| **x == Some(t)).count(),
                })
                .collect(),
        };
        let layout = self.layout(&scale);
        let audit = self.audit();
        crate::timing::mark("score: summary and layout");

        let evidence = matches!(
            self.opts.detail,
            Detail::Entities | Detail::Evidence | Detail::Explain
        )
        .then(|| std::sync::Arc::new(ev.reorder(&out_order)));
        let ids = ev.ids.take(&out_order);
        let (entity_ids, fractions) = if builds_results {
            (
                std::mem::take(&mut ev.ids),
                std::mem::replace(&mut ev.fractions, Array2::zeros((0, r.criteria.len()))),
            )
        } else {
            (TextColumn::default(), Array2::zeros((0, r.criteria.len())))
        };
        // Nothing reads the evidence after this (columns only: it was not kept); its
        // per-entity vectors go before the output columns are built.
        drop(ev);
        // The output columns are gathers in output order, each on all cores.
        let narrow = |v: Option<usize>| v.map(|r| r as u32);
        let sheet = Scoresheet {
            ids,
            names: self.entity_names.as_ref().map(|t| {
                // Names are in table order: one gather through both orders.
                t.take(&crate::column::gathered(&self.scored, &out_order))
            }),
            rank: crate::column::gathered_with(&rank, &out_order, narrow),
            score: crate::column::gathered(&score, &out_order),
            tier: crate::column::gathered_with(&tier, &out_order, narrow),
            excluded_by: crate::column::gathered(&st.excluded_by, &out_order),
            points: sheet_points,
            dimensions: r.dimensions.len(),
            scaled: scale.scaled,
            carry: carried
                .into_iter()
                .map(|(k, col)| (k, col.take(&out_order)))
                .collect(),
            order: out_order,
        };
        crate::timing::mark("score: sheet columns");

        let source = builds_results.then(|| EntitySource {
            ids: entity_ids,
            names: self.entity_names.as_ref().map(|t| t.take(&self.scored)),
            rank,
            score,
            tier,
            tie_broken,
            cohort: st.cohort,
            cohort_names: r.settings.cohort.is_some().then_some(st.cohort_names),
            excluded_by: st.excluded_by,
            dimension_ids: r.dimensions.iter().map(|d| d.id.value.clone()).collect(),
            dimension_points: dims_pub,
            criterion_ids: r.criteria.iter().map(|c| c.id.value.clone()).collect(),
            criterion_max: r.criteria.iter().map(|c| c.points.value).collect(),
            fractions,
            decimals: r.settings.decimals,
            indicators: indicator_columns,
            shown: criteria.shown,
            missing: criteria.missing_used,
            adjustment_ids: r.adjustments.iter().map(|a| a.id.value.clone()).collect(),
            adjustments: adj_applied,
            tier_ids: r.tiers.iter().map(|t| t.id.value.clone()).collect(),
            tier_labels: r.tiers.iter().map(|t| t.label().to_string()).collect(),
            gate_ids: r.gates.iter().map(|g| g.id.value.clone()).collect(),
            carry: carried_by_entity,
            notes: std::mem::take(&mut st.notes),
        });
        let (entities, deferred) = match source {
            None => (Vec::new(), None),
            Some(source) if matches!(self.opts.detail, Detail::Deferred | Detail::Explain) => (
                Vec::new(),
                Some(std::sync::Arc::new(source.into_output_order(&sheet.order))),
            ),
            Some(source) => (source.build_all(&sheet.order), None),
        };
        crate::timing::mark("score: entity results");
        Ok(Assessment {
            evidence,
            audit,
            summary,
            entities,
            warnings: self.warnings,
            layout,
            sheet,
            deferred,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn evidence(fractions: Array2<f64>, dimension_of: Vec<usize>, nd: usize) -> Evidence {
        let n = fractions.nrows();
        Evidence {
            fractions,
            dimension_of,
            weights: vec![1.0; nd],
            ..Evidence::for_entities(n)
        }
    }

    // Fractions: mostly in [0, 1], some missing (dropped), some far above 1 (a value that
    // does not fit the narrow published type).
    fn fraction() -> impl Strategy<Value = f64> {
        prop_oneof![
            8 => (0u32..=1000).prop_map(|k| f64::from(k) / 1000.0),
            2 => Just(f64::NAN),
            1 => (1u32..=5000).prop_map(f64::from),
        ]
    }

    fn same(a: &PointRows, b: &PointRows) -> bool {
        a.width() == b.width()
            && (0..a.width()).all(|c| {
                let rows = match a {
                    PointRows::Narrow(x) => x.nrows(),
                    PointRows::Compact(x) => x.nrows(),
                    PointRows::Wide(x) => x.nrows(),
                };
                (0..rows).all(|e| a.get(e, c).to_bits() == b.get(e, c).to_bits())
            })
    }

    proptest! {
        /// Folding criteria in waves of any size gives the dimension fractions of the whole
        /// matrix to the bit, and the same published points.
        #[test]
        fn folding_in_waves_equals_the_fraction_matrix(
            n in 1usize..40,
            nd in 1usize..4,
            crits in prop::collection::vec((0usize..4, 1u32..=40), 1..12),
            cells in prop::collection::vec(fraction(), 40 * 12),
            wave in 1usize..6,
            decimals in 0u32..=3,
        ) {
            let nc = crits.len();
            let dimension_of: Vec<usize> = crits.iter().map(|&(d, _)| d % nd).collect();
            let points: Vec<f64> = crits.iter().map(|&(_, p)| f64::from(p)).collect();
            let fractions = Array2::from_shape_fn((n, nc).f(), |(e, ci)| cells[ci * 40 + e]);
            let m = crate::num::pow10(decimals);
            let mut folded = FoldedCriteria::new(n, nd);
            for first in (0..nc).step_by(wave) {
                let last = (first + wave).min(nc);
                let columns: Vec<Vec<f64>> =
                    (first..last).map(|ci| fractions.column(ci).to_vec()).collect();
                let published =
                    (first..last).map(|ci| PublishedColumn::of(&columns[ci - first], points[ci], m)).collect();
                let wave: Vec<(&[f64], usize, f64)> = (first..last)
                    .map(|ci| (columns[ci - first].as_slice(), dimension_of[ci], points[ci]))
                    .collect();
                folded.add_wave(&wave, published);
            }
            let (dims, columns) = folded.finish();
            let want = evidence(fractions.clone(), dimension_of, nd).dimension_fractions(&points);
            prop_assert_eq!(dims.dim(), want.dim());
            for (a, b) in dims.iter().zip(want.iter()) {
                prop_assert_eq!(a.to_bits(), b.to_bits());
            }
            let dim_weight = vec![25.0; nd];
            let mut from_matrix: Vec<PointSource<'_>> = (0..nd)
                .map(|d| PointSource::Share(want.column(d).to_slice().unwrap(), dim_weight[d]))
                .collect();
            let mut from_folded: Vec<PointSource<'_>> = (0..nd)
                .map(|d| PointSource::Share(dims.column(d).to_slice().unwrap(), dim_weight[d]))
                .collect();
            for ci in 0..nc {
                from_matrix.push(PointSource::Fraction(fractions.column(ci).to_slice().unwrap(), points[ci]));
                from_folded.push(match &columns[ci] {
                    PublishedColumn::Narrow { points, .. } => PointSource::Narrow(points),
                    PublishedColumn::Wide { points, .. } => PointSource::Published(points),
                });
            }
            let largest = 40.0f64.max(25.0) * m;
            let a = point_rows(n, &from_matrix, true, m, decimals, largest);
            let b = point_rows(n, &from_folded, true, m, decimals, largest);
            prop_assert!(same(&a, &b));
            // Each cell is the fraction times the points, rounded, or missing where dropped.
            for ci in 0..nc {
                for e in 0..n {
                    let s = fractions[[e, ci]];
                    let got = a.get(e, nd + ci);
                    if s.is_nan() {
                        prop_assert!(got.is_nan());
                    } else {
                        prop_assert_eq!(got, crate::num::round_scaled(s * points[ci], m));
                    }
                }
            }
            // The narrowest type that holds every value (narrow only when the points allow).
            let widest = (0..a.width())
                .flat_map(|c| (0..n).map(move |e| (e, c)))
                .map(|(e, c)| a.get(e, c))
                .filter(|v| !v.is_nan())
                .fold(0.0f64, |x, v| x.max(v.abs()));
            let narrow = matches!(a, PointRows::Narrow(_));
            prop_assert_eq!(narrow, largest < NARROW_LIMIT && widest < NARROW_LIMIT);
            prop_assert!(narrow || matches!(a, PointRows::Compact(_)));
        }
    }
}
