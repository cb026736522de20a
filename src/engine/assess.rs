//! Scoring a dataset: indicators → fractions (ndarray matrix) → dimension and total scores →
//! adjustments, clamp, rounding → gates → ranks → tiers → [`Assessment`].

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
    /// Scores a dataset. Errors stop the run; nothing partial is returned.
    pub fn assess(&self, data: &super::Dataset, opts: &AssessOptions) -> Result<Assessment> {
        Run::new(self, data, opts, None)?.finish()
    }

    /// [`CompiledRules::assess`] on a dataset handed over: a columns-only run
    /// ([`Detail::Columns`]) frees each data column and indicator once nothing after the
    /// criteria reads it, so a batch run does not hold its input through ranking and
    /// output. Same result as `assess`.
    pub fn assess_owned(&self, data: super::Dataset, opts: &AssessOptions) -> Result<Assessment> {
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
const IF_DECIDED: &str =
    "a missing value decided an if() condition (a comparison with a missing value is false)";
/// A `count_true()` term a missing value left undecided, counted as not true.
const COUNT_DECIDED: &str =
    "count_true() counted a condition a missing value left open as not true";
/// A condition met only because a comparison with a missing value is false (`not (x > 5)`).
const MET_BY_MISSING: &str =
    "the condition held only because a comparison with a missing value is false";
/// A formula whose value a comparison with a missing value decided (`x > 5` → false).
const FORMULA_DECIDED: &str = "a comparison with a missing value was taken as false in the formula";
/// A member aggregate that skipped members without a value (SPEC §12).
const AGGREGATE_SKIPPED: &str = "an aggregate left out members whose value is missing";

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
        (
            FORMULA_DECIDED,
            v.and_then(|v| prog.decided_by_missing_comparison(env, v)),
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
    /// Under `[aggregate]`: the first member row of each entity-frame row.
    entity_rows: Option<Vec<usize>>,
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
            .collect();
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
            check_years(table, ys, j)?;
        }
        // Year selection (first: `--year` without a year column is why multi-year rows
        // would look like duplicate ids).
        let year = scored_year(c, opts.year, years.as_deref(), &mut warnings)?;
        // Duplicate member/entity ids per year.
        check_duplicate_ids(c, table, &ids, years.as_deref())?;
        warn_score_ids_read_as_columns(c, headers, &mut warnings);
        if r.aggregate.is_some() {
            let names = label_col.and_then(|l| match rows.get(l) {
                Some(Column::Text(t)) => Some(t),
                _ => None,
            });
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
        for &i in &c.formula_order {
            let ind = &r.indicators[i];
            if !matches!(ind.source, Source::Formula(_)) {
                continue;
            }
            let prog = &programs[&i];
            let v = prog.eval(&rows);
            let what = || format!("indicator '{}'", ind.id.value);
            if_missing.extend(missing_traces(prog, &rows, Some(&v), what));
            rows.set(slots.indicator(i), formula_result(c, i, v, prog.ty())?);
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
                // Member rows traced above stand for the entities they belong to.
                for (_, _, hit) in &mut if_missing {
                    let mut by_entity = vec![false; n];
                    for (i, _) in hit.iter().enumerate().filter(|(_, h)| **h) {
                        by_entity[group[i] as usize] = true;
                    }
                    *hit = by_entity;
                }
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
                    entity_rows: Some(first_row),
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

/// The index of the data column `name` that the rules require (`what` says which key), or
/// an error in `errors` with the best help: another delimiter, a bilingual header, a
/// did-you-mean, or the list of columns.
fn required_column(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &Frame<'_>,
    name: &crate::rules::Sp<String>,
    what: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let headers = &table.headers;
    let folded = fold_header(&name.value);
    match table.column_index(&folded) {
        Some(j) if rows.get(j).is_some() => Some(j),
        _ if errors.len() >= HELPED_ERRORS => {
            // Past the errors anyone reads, the searches for help (each over every header)
            // are skipped: a thousand misspelt names over 50,000 columns took seconds.
            errors.push(rules_error(
                c,
                name.span,
                not_a_column(what, &name.value, table),
                None,
            ));
            None
        }
        _ => {
            // A header holding the name between other delimiters: the file is
            // delimited by something else than the delimiter it was read with.
            // Only for delimited text, and only for a header that is the file's only
            // one or holds three names or more: `企业 name` is a name with a space.
            let delimited = table.files.iter().all(|f| f.encoding != "xlsx");
            let other_delimiter = headers.iter().filter(|_| delimited).find_map(|h| {
                // (Headers are folded, so a tab between names reads as a space.)
                [(';', "';'"), ('|', "'|'"), (',', "','"), (' ', "tab")]
                    .into_iter()
                    .find(|&(d, _)| {
                        (headers.len() == 1 || h.split(d).count() >= 3)
                            && h.split(d).any(|part| part.trim() == folded)
                    })
            });
            let help = other_delimiter
                .map(|(_, d)| {
                    format!(
                        "the data's header '{}' looks delimited by {d}: read the file \
                             with --delimiter {d}",
                        crate::diag::truncate(&headers.join(","), 120)
                    )
                })
                .or_else(|| {
                    // A bilingual header (`企业 name`, `编号 id`) holding the name as
                    // one of its words.
                    headers
                        .iter()
                        .find(|h| h.split(' ').any(|w| w == folded))
                        .map(|h| format!("did you mean '{}'?", crate::diag::truncate(h, 200)))
                })
                .or_else(|| {
                    crate::diag::did_you_mean_help(&folded, headers.iter().map(|h| h.as_str()))
                })
                .unwrap_or_else(|| {
                    format!(
                        "data columns: {}",
                        crate::diag::truncate(&headers.join(", "), 400)
                    )
                });
            // Once per run: the data may be on another sheet of the workbook.
            let help = match crate::data::default_sheet_help(&table.files) {
                Some(h)
                    if !errors
                        .iter()
                        .any(|d| d.help.as_deref().is_some_and(|x| x.contains(&h))) =>
                {
                    format!("{help}; {h}")
                }
                _ => help,
            };
            errors.push(rules_error(
                c,
                name.span,
                not_a_column(what, &name.value, table),
                Some(help),
            ));
            None
        }
    }
}

/// A file read with the wrong delimiter misses every column for the same reason: the first
/// such error says it, with the count of the others, which are dropped.
fn merge_wrong_delimiter_errors(errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let wrong_delimiter = |d: &Diagnostic| {
        d.help
            .as_deref()
            .is_some_and(|h| h.contains("looks delimited by"))
    };
    let count = errors.iter().filter(|d| wrong_delimiter(d)).count();
    if count <= 1 {
        return errors;
    }
    let first = errors.iter().position(wrong_delimiter).expect("counted");
    let mut kept: Vec<Diagnostic> = Vec::new();
    for (k, mut d) in errors.into_iter().enumerate() {
        if k == first {
            d.message.push_str(&format!(
                ", nor are {} other columns the rules name",
                count - 1
            ));
            kept.push(d);
        } else if !wrong_delimiter(&d) {
            kept.push(d);
        }
    }
    kept
}

/// Every row's year is a whole number of at most nine digits.
fn check_years(table: &crate::data::Table, years: &[f64], column: usize) -> Result<()> {
    for (i, y) in years.iter().enumerate() {
        // (Beyond a billion a year is no year, and would not fit the year keys.)
        if y.is_nan() || y.fract() != 0.0 || y.abs() > 1e9 {
            let at = table.location(i, &table.headers[column]);
            return Err(Error::one(
                data_error("the year is missing or not a whole number of at most 9 digits")
                    .at(at)
                    .with_help("every row needs a year such as 2023 in the year column"),
            ));
        }
    }
    Ok(())
}

/// Every row has an id, and no id repeats (within a year, when the data has years).
fn check_duplicate_ids(
    c: &CompiledRules,
    table: &crate::data::Table,
    ids: &TextColumn,
    years: Option<&[f64]>,
) -> Result<()> {
    let r = &c.rules;
    // Without years an id's dictionary code is the key: a vector, not a hash map.
    let mut seen: HashMap<(u32, i64), usize> = HashMap::new();
    let mut first_of_code: Vec<u32> = if years.is_none() {
        vec![u32::MAX; ids.dict.len()]
    } else {
        Vec::new()
    };
    let mut dups = Vec::new();
    for i in 0..table.rows() {
        let code = ids.codes[i];
        if code == TextColumn::MISSING {
            let at = table.location(i, &fold_header(&r.settings.id.value));
            return Err(Error::one(
                data_error("the id is missing")
                    .at(at)
                    .with_help("every row needs an id"),
            ));
        }
        match years {
            None => {
                let first = &mut first_of_code[code as usize];
                if *first == u32::MAX {
                    *first = i as u32;
                } else {
                    dups.push((*first as usize, i));
                    *first = i as u32;
                }
            }
            Some(ys) => {
                if let Some(first) = seen.insert((code, ys[i] as i64), i) {
                    dups.push((first, i));
                }
            }
        }
    }
    if !dups.is_empty() {
        let list: Vec<String> = dups
            .iter()
            .take(20)
            .map(|(a, b)| {
                let (fa, ra) = table.origin(*a);
                let (fb, rb) = table.origin(*b);
                let id = ids.get(*a).unwrap_or("");
                if fa == fb {
                    format!("'{id}' in {fa} rows {ra} and {rb}")
                } else {
                    format!("'{id}' in {fa} row {ra} and {fb} row {rb}")
                }
            })
            .collect();
        return Err(Error::one(
            data_error(format!(
                "duplicate ids{}: {}{}",
                if years.is_some() {
                    " within a year"
                } else {
                    ""
                },
                list.join("; "),
                if dups.len() > 20 {
                    format!(" and {} more", dups.len() - 20)
                } else {
                    String::new()
                }
            ))
            .with_help(if years.is_some() {
                "each entity may appear once per year; remove or merge the duplicate rows"
            } else {
                "each entity may appear once; remove or merge the duplicate rows, or, if they \
                 are rows of different years, name the year column: [data] year_column = \"…\""
            }),
        ));
    }
    Ok(())
}

/// Data columns without a single value that an expression compares with a text literal
/// (`tier == 'pass'` on a chained output where no member reached the tier). Such a column
/// was typed a number (no cell said otherwise), which made the comparison a type error;
/// as an empty text column the comparison is simply false, as with any missing operand.
/// Written by hand: a walk of the rules' own expression trees.
fn empty_columns_compared_with_text(
    c: &CompiledRules,
    headers: &[String],
    rows: &Frame<'_>,
) -> Vec<usize> {
    use crate::expr::{BinaryOp, ExprKind};
    let r = &c.rules;
    let empty = |j: usize| match rows.get(j) {
        Some(Column::Number(v)) => v.iter().all(|x| x.is_nan()),
        Some(Column::Bool(v)) => v.iter().all(Option::is_none),
        _ => false,
    };
    // The data column a name reads, when it reads one (indicator and score ids come first).
    let column_of = |e: &crate::expr::Expr| -> Option<usize> {
        let ExprKind::Name { name, quoted } = &e.kind else {
            return None;
        };
        if !quoted
            && (r.indicator(name).is_some()
                || r.dimensions.iter().any(|d| d.id.value == *name)
                || r.criteria.iter().any(|k| k.id.value == *name))
        {
            return None;
        }
        let folded = fold_header(name);
        headers.iter().position(|h| *h == folded)
    };
    let mut found: Vec<usize> = Vec::new();
    let exprs = c
        .indicator_exprs
        .iter()
        .flatten()
        .chain(c.gate_exprs.iter())
        .chain(c.adjustment_exprs.iter())
        .chain(c.tier_requires.iter().flatten())
        .chain(c.tier_direct.iter().flatten());
    for p in exprs {
        crate::expr::walk(&p.ast, &mut |e| {
            if let ExprKind::Binary {
                op: BinaryOp::Eq | BinaryOp::Ne,
                lhs,
                rhs,
            } = &e.kind
            {
                for (a, b) in [(lhs, rhs), (rhs, lhs)] {
                    if matches!(b.kind, ExprKind::Text(_))
                        && let Some(j) = column_of(a)
                        && !found.contains(&j)
                        && empty(j)
                    {
                        found.push(j);
                    }
                }
            }
        });
    }
    found
}

/// Warns where a formula or an exclude gate reads a bare name that is a criterion or
/// dimension id as the data column of that name. SPEC §12 makes it an error; clusterscore
/// reads the column (the perf yardstick's `rd_staff / employees` relies on it, see
/// docs/rules.md "Decisions"), and says so, since the points may have been meant.
fn warn_score_ids_read_as_columns(
    c: &CompiledRules,
    headers: &[String],
    warnings: &mut Vec<String>,
) {
    let r = &c.rules;
    let mut said: Vec<String> = Vec::new();
    let places = c
        .indicator_exprs
        .iter()
        .flatten()
        .filter(|p| p.place == ExprPlace::Formula && r.aggregate.is_none())
        .chain(
            c.gate_exprs
                .iter()
                .filter(|p| p.place == ExprPlace::ExcludeGate),
        );
    for p in places {
        for (name, quoted, _) in crate::expr::names(&p.ast) {
            if quoted || r.indicator(&name).is_some() || said.contains(&name) {
                continue;
            }
            let what = if r.criteria.iter().any(|k| k.id.value == name) {
                "criterion"
            } else if r.dimensions.iter().any(|d| d.id.value == name) {
                "dimension"
            } else {
                continue;
            };
            if !headers.contains(&fold_header(&name)) {
                continue;
            }
            warnings.push(format!(
                "{} reads '{name}' as the data column: '{name}' is also a {what} id, whose points do not exist before scoring; write `{name}` in backticks to say the column, or rename the {what}",
                p.what
            ));
            said.push(name);
        }
    }
}

/// Under `[aggregate]`: member rows of the scored year whose id or label reads as a totals
/// caption (`合计`). Summed into their entity like any member, they count its members twice.
fn warn_total_members(
    table: &crate::data::Table,
    ids: &TextColumn,
    names: Option<&TextColumn>,
    years: Option<&[f64]>,
    year: Option<i64>,
    warnings: &mut Vec<String>,
) {
    let id_captions = total_captions(ids);
    let name_captions = names.and_then(|t| Some((t, total_captions(t)?)));
    if id_captions.is_none() && name_captions.is_none() {
        return;
    }
    let mut found = 0usize;
    for i in 0..table.rows() {
        if let (Some(ys), Some(y)) = (years, year)
            && ys[i] as i64 != y
        {
            continue;
        }
        let caption = name_captions
            .as_ref()
            .and_then(|(t, c)| total_caption_at(t, c, i))
            .or_else(|| total_caption_at(ids, id_captions.as_deref()?, i));
        let Some(caption) = caption else { continue };
        found += 1;
        if found <= 3 {
            let (file, row) = table.origin(i);
            warnings.push(format!(
                "{file} row {row}: member '{caption}' looks like a totals row, yet under [aggregate] it is summed into its entity like any member (its members counted twice); delete the row"
            ));
        }
    }
    if found > 3 {
        warnings.push(format!(
            "{} more member rows look like totals rows and are aggregated",
            found - 3
        ));
    }
}

/// A text as it looks to a reader: full-width folded, without spaces, lowercase. Two
/// values with one key (`Ａ类`, `A类`; `东　部`, `东部`) are most likely one value typed two
/// ways.
fn look_alike_key(s: &str) -> String {
    fold_header(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// Per distinct text of `t`, whether it reads as a totals caption; `None` when none does
/// (the usual case, decided without a look at the rows).
fn total_captions(t: &TextColumn) -> Option<Vec<bool>> {
    use rayon::prelude::*;
    // On all cores: a national file has a million distinct ids and as many names.
    let captions: Vec<bool> = (0..t.dict.len())
        .into_par_iter()
        .with_min_len(1 << 14)
        .map(|k| is_total_caption(&t.dict[k]))
        .collect();
    captions.contains(&true).then_some(captions)
}

/// The caption at `row` of `t`, when its text is one (`captions` from [`total_captions`]).
fn total_caption_at<'t>(t: &'t TextColumn, captions: &[bool], row: usize) -> Option<&'t str> {
    let code = t.codes[row];
    (code != TextColumn::MISSING && captions[code as usize]).then(|| &t.dict[code as usize])
}

/// Whether a cell reads as a totals row's caption (`合计`, `总计`, `小计`, `Total`), as
/// statistical exports put under their tables.
fn is_total_caption(text: &str) -> bool {
    // Most texts are ruled out without folding (this runs on every distinct id and name:
    // a million of them in a national file).
    if text.len() > 40 {
        return false;
    }
    let t = text.trim_start();
    let b = t.as_bytes();
    let latin = if t.is_ascii() {
        // `E00000001` is no caption: only a text holding "tot" or "sum" is folded (a text
        // without a t or an s is ruled out in one branch-free pass first).
        t.len() <= 24
            && b.iter().any(|&c| matches!(c | 0x20, b't' | b's'))
            && b.windows(3)
                .any(|w| w.eq_ignore_ascii_case(b"tot") || w.eq_ignore_ascii_case(b"sum"))
    } else {
        t.starts_with(['ｔ', 'Ｔ', 'ｓ', 'Ｓ', 'ｇ', 'Ｇ'])
    };
    // 计 and 計 in UTF-8: E8 AE A1 and E8 A8 88 (found by their lead byte).
    let has_ji = || {
        memchr::memchr_iter(0xE8, b)
            .any(|i| matches!(b.get(i + 1..i + 3), Some([0xAE, 0xA1] | [0xA8, 0x88])))
    };
    if !(latin || has_ji()) {
        return false;
    }
    let key = look_alike_key(text);
    matches!(
        key.trim_end_matches([':', '：', '*']),
        "合计"
            | "总计"
            | "小计"
            | "共计"
            | "全市合计"
            | "全省合计"
            | "合計"
            | "總計"
            | "total"
            | "totals"
            | "grandtotal"
            | "subtotal"
            | "sum"
    )
}

/// prev(): per k the rules use, the row of the same id k years before (`prev[k - 1]`,
/// `u32::MAX` where there is none; empty for the k no expression uses, and without years).
fn prev_rows(keys: &TextColumn, years: Option<&[f64]>, used: &[u32]) -> Vec<Vec<u32>> {
    let Some(ys) = years else { return Vec::new() };
    let max_k = used.last().copied().unwrap_or(0);
    let index: HashMap<(u32, i64), u32> = (0..keys.len())
        .map(|i| ((keys.codes[i], ys[i] as i64), i as u32))
        .collect();
    (1..=max_k)
        .map(|k| {
            if !used.contains(&k) {
                return Vec::new();
            }
            (0..keys.len())
                .map(|i| {
                    *index
                        .get(&(keys.codes[i], ys[i] as i64 - k as i64))
                        .unwrap_or(&u32::MAX)
                })
                .collect()
        })
        .collect()
}

/// The year scored: `--year`, else `[rules].year`, else (with a year column) the latest in
/// the data, with a warning. A year with no rows, or a year without a year column, is an
/// error.
fn scored_year(
    c: &CompiledRules,
    year: Option<i64>,
    years: Option<&[f64]>,
    warnings: &mut Vec<String>,
) -> Result<Option<i64>> {
    Ok(match (year.or(c.rules.settings.year), years) {
        (Some(y), Some(ys)) => {
            if !ys.iter().any(|v| *v as i64 == y) {
                let mut present: Vec<i64> = ys.iter().map(|v| *v as i64).collect();
                present.sort_unstable();
                present.dedup();
                return Err(Error::one(
                    data_error(format!("no rows for year {y}")).with_help(format!(
                        "years in the data: {}",
                        present
                            .iter()
                            .map(|y| y.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ));
            }
            Some(y)
        }
        (Some(y), None) => {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Rules,
                    format!("year {y} is selected but the rules have no [data].year_column"),
                )
                .at(c.rules.source.name.clone())
                .with_help(
                    "add [data] year_column = \"<column holding the year>\", or drop the year",
                ),
            ));
        }
        (None, Some(ys)) => {
            let latest = ys.iter().fold(f64::NEG_INFINITY, |a, b| a.max(*b)) as i64;
            warnings.push(format!("no year selected: scoring the latest year in the data, {latest} (set [rules].year or --year)"));
            Some(latest)
        }
        (None, None) => None,
    })
}

/// The indicators that read a data column: each checked and converted to its kind (with
/// `multiply`), a category's cells checked against its `levels`, and set into the frame
/// (as an alias of the data column when it is used as it is).
fn column_indicators(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &mut Frame<'_>,
    slots: Slots,
) -> Result<()> {
    let (r, headers) = (&c.rules, &table.headers);
    for (i, ind) in r.indicators.iter().enumerate() {
        if let Source::Column(col) = &ind.source {
            let j = table
                .column_index(&fold_header(&col.value))
                .expect("checked");
            let raw = rows.get(j).expect("checked");
            let v = coerce(raw, ind.kind, ind.multiply.as_ref().map(|m| m.value)).map_err(
                |bad_row| {
                    let help = match ind.kind {
                        Kind::Bool => "a bool indicator reads 是/否, 有/无, Y/N, yes/no, true/false, 1/0 or a missing marker; fix the cell or change the indicator's kind",
                        _ => "a number indicator reads numbers (1,234.5, 12%, full-width digits) or a missing marker; fix the cell or change the indicator's kind",
                    };
                    Error::one(
                        data_error(format!(
                            "indicator '{}' is of kind {}, but the cell is \"{}\"",
                            ind.id.value,
                            ind.kind.name(),
                            crate::diag::truncate(
                                &raw.display(bad_row).unwrap_or_default(),
                                200
                            )
                        ))
                        .at(table.location(bad_row, &headers[j]))
                        .with_help(help),
                    )
                },
            )?;
            if let (Some(levels), Column::Text(t)) = (&ind.levels, v.as_ref()) {
                // Every such cell, up to the usual cap, as for cells that are not numbers.
                let allowed: Vec<bool> = t
                    .dict
                    .iter()
                    .map(|s| levels.iter().any(|l| l == s))
                    .collect();
                let mut bad = Vec::new();
                for k in 0..t.len() {
                    let code = t.codes[k];
                    if code != TextColumn::MISSING && !allowed[code as usize] {
                        bad.push(
                            data_error(format!(
                                "\"{}\" is not one of the levels of indicator '{}'",
                                crate::diag::truncate(&t.dict[code as usize], 200),
                                ind.id.value
                            ))
                            .at(table.location(k, &headers[j]))
                            .with_help(format!("allowed values: {}", levels.join(", "))),
                        );
                        if bad.len() == crate::data::table::MAX_ERRORS {
                            return Err(Error::first_of_more(bad));
                        }
                    }
                }
                if !bad.is_empty() {
                    return Err(Error::many(bad));
                }
            }
            // A cell times `multiply` beyond the largest double is no number a criterion
            // could score (it would read as missing): refused where it is.
            if let (Some(m), Column::Number(x)) = (&ind.multiply, v.as_ref())
                && let Some(k) = x.iter().position(|x| x.is_infinite())
            {
                return Err(Error::one(
                    data_error(format!(
                        "indicator '{}': the cell {} × multiply {:e} is beyond the largest \
                         number (about 1.8e308)",
                        ind.id.value,
                        match raw {
                            // (Scientific form: 1e300 written out has 301 digits.)
                            Column::Number(r) => format!("{:e}", r[k]),
                            _ => crate::diag::truncate(&raw.display(k).unwrap_or_default(), 200),
                        },
                        m.value
                    ))
                    .at(table.location(k, &headers[j]))
                    .with_help("check the cell and the indicator's multiply (a unit factor such as 0.0001)"),
                ));
            }
            // A data column used as is becomes an alias (no copy).
            match v {
                Cow::Borrowed(_) => rows.alias_to(slots.indicator(i), j),
                Cow::Owned(col) => rows.set(slots.indicator(i), col),
            }
        }
    }
    Ok(())
}

/// "indicator 'x' reads column '销售收入', which is not a column of the data (d.csv)", or
/// "[rules].id 'code' is not a column …".
fn not_a_column(what: &str, name: &str, table: &crate::data::Table) -> String {
    match what.strip_suffix(" reads column") {
        Some(_) => format!(
            "{what} '{name}', which is not a column of the data ({})",
            data_files(table)
        ),
        None => format!(
            "{what} '{name}' is not a column of the data ({})",
            data_files(table)
        ),
    }
}

/// The data files of a table, for messages: "fixtures/a.csv" or "a.csv, b.csv".
fn data_files(table: &crate::data::Table) -> String {
    let names: Vec<&str> = table.sources().collect();
    if names.is_empty() {
        "no data file".into()
    } else {
        crate::diag::truncate(&names.join(", "), 300)
    }
}

/// A warning naming the entities that have rows in other years but none in the scored
/// year `y` (a cluster missing from this year's returns is not ranked): the ten smallest
/// ids and how many more.
fn absent_from_year(ids: &TextColumn, scored: &[usize], y: i64) -> Option<String> {
    // Per dictionary entry: 1 = has rows, 2 = has rows in the scored year.
    let mut seen = vec![0u8; ids.dict.len()];
    for &c in &ids.codes {
        if let Some(s) = seen.get_mut(c as usize) {
            *s = 1;
        }
    }
    for &r in scored {
        if let Some(s) = seen.get_mut(ids.codes[r] as usize) {
            *s = 2;
        }
    }
    let mut absent: Vec<&str> = (0..ids.dict.len())
        .filter(|&k| seen[k] == 1)
        .map(|k| &ids.dict[k])
        .collect();
    if absent.is_empty() {
        return None;
    }
    absent.sort_unstable();
    let more = match absent.len() {
        n if n > 10 => format!(" and {} more", n - 10),
        _ => String::new(),
    };
    let (count, have) = match absent.len() {
        1 => ("1 entity".to_string(), "has"),
        n => (format!("{n} entities"), "have"),
    };
    Some(format!(
        "{count} {have} rows in other years but none in {y}, so they are not scored: {}{more}",
        absent[..absent.len().min(10)].join(", ")
    ))
}

fn select_year(years: &Option<Vec<f64>>, year: Option<i64>, rows: usize) -> Vec<usize> {
    match (years, year) {
        (Some(ys), Some(y)) => (0..ys.len()).filter(|&i| ys[i] as i64 == y).collect(),
        _ => (0..rows).collect(),
    }
}

/// A data column as an indicator of `kind`, multiplied; Err(row) when a cell does not fit.
/// Borrowed when nothing changes (no copy of a 10⁶-row column per indicator).
fn coerce(
    raw: &Column,
    kind: Kind,
    multiply: Option<f64>,
) -> std::result::Result<Cow<'_, Column>, usize> {
    Ok(Cow::Owned(match (kind, raw) {
        (Kind::Number, Column::Number(v)) => match multiply {
            Some(m) => Column::Number(v.iter().map(|x| x * m).collect()),
            None => return Ok(Cow::Borrowed(raw)),
        },
        // A column typed from its cells as booleans holds boolean words, which a number
        // column refuses (SPEC §12): the first of them is the error.
        (Kind::Number, Column::Bool(v)) => match v.iter().position(Option::is_some) {
            Some(i) => return Err(i),
            None => Column::Number(vec![f64::NAN; v.len()]),
        },
        (Kind::Bool, Column::Bool(_)) => return Ok(Cow::Borrowed(raw)),
        (Kind::Bool, Column::Number(v)) => {
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.iter().enumerate() {
                out.push(if x.is_nan() {
                    None
                } else if *x == 1.0 {
                    Some(true)
                } else if *x == 0.0 {
                    Some(false)
                } else {
                    return Err(i);
                });
            }
            Column::Bool(out)
        }
        (Kind::Category, Column::Text(_)) => return Ok(Cow::Borrowed(raw)),
        (Kind::Category, other) => Column::Text(TextColumn::from_values(
            (0..other.len()).map(|i| other.display(i)),
        )),
        // A column also read as text (an id, a carried column): its cells by the reader's
        // rules for number and boolean cells.
        (Kind::Number, Column::Text(t)) => {
            let m = multiply.unwrap_or(1.0);
            let cells = cells_as(t, finite_number);
            let mut v = Vec::with_capacity(t.len());
            for (i, x) in cells.into_iter().enumerate() {
                v.push(x.ok_or(i)?.map_or(f64::NAN, |x| x * m));
            }
            Column::Number(v)
        }
        (Kind::Bool, Column::Text(t)) => {
            let cells = cells_as(t, crate::data::cell::parse_bool);
            let mut v = Vec::with_capacity(t.len());
            for (i, b) in cells.into_iter().enumerate() {
                v.push(b.ok_or(i)?);
            }
            Column::Bool(v)
        }
    }))
}

/// A cell's number by the reader's rules; NaN and infinities are no numbers (SPEC §6).
fn finite_number(s: &str) -> Option<f64> {
    crate::data::cell::parse_number(s).filter(|x| x.is_finite())
}

/// A text column's cells read by the reader's rules for number or boolean cells (`read`
/// sees the cell normalised: full-width folded, trimmed): `Some(None)` for a missing cell,
/// `None` for a cell `read` refuses. Each distinct text is read once.
fn cells_as<T: Copy>(t: &TextColumn, read: impl Fn(&str) -> Option<T>) -> Vec<Option<Option<T>>> {
    let dict: Vec<Option<T>> = (0..t.dict.len())
        .map(|k| read(&crate::data::cell::normalise_cell(&t.dict[k])))
        .collect();
    t.codes
        .iter()
        .map(|&c| match c {
            TextColumn::MISSING => Some(None),
            c => dict[c as usize].map(Some),
        })
        .collect()
}

fn formula_result(c: &CompiledRules, i: usize, v: Column, ty: Type) -> Result<Column> {
    let ind = &c.rules.indicators[i];
    let want = match ind.kind {
        Kind::Number => Type::Number,
        Kind::Bool => Type::Bool,
        Kind::Category => Type::Text,
    };
    if ty != want {
        let text = match &ind.source {
            Source::Formula(f) | Source::Aggregate(f) => f.span,
            Source::Column(c) => c.span,
        };
        return Err(Error::one(rules_error(
            c,
            text,
            format!(
                "the formula of indicator '{}' gives a {}, but the indicator is of kind {}",
                ind.id.value,
                ty.name(),
                ind.kind.name()
            ),
            Some(format!(
                "set kind = \"{}\" on the indicator, or change the formula",
                match ty {
                    Type::Number => "number",
                    Type::Bool => "bool",
                    Type::Text => "category",
                }
            )),
        )));
    }
    Ok(match (v, ind.multiply.as_ref().map(|m| m.value)) {
        (Column::Number(x), Some(m)) => Column::Number(x.into_iter().map(|v| v * m).collect()),
        (v, _) => v,
    })
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
}

/// Who took a category table's default for want of a listed category (see
/// `Run::table_defaults`); warned of only for the entities that consulted the parameter.
struct TableDefaults {
    by: String,
    default: f64,
    /// Entities without a category.
    missing: Vec<usize>,
    /// (category, the listed key it equals up to width, case and spacing, entities).
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
        self.data.table.column_index(&fold_header(&name.value))?;
        Some(Error::one(rules_error(
            self.c,
            name.span,
            format!(
                "{place} names a member column: under [aggregate] it needs one value per entity, \
                 and a member column holds one per member"
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
        format!("{}{more}", s.join(", "))
    }

    /// A data column at the scored entities, as text (`[output].carry`).
    fn carry_column(&self, name: &str) -> Option<TextColumn> {
        let j = self.data.table.column_index(&fold_header(name))?;
        let col = match &self.entity_rows {
            // The entity frame is the row frame: data column j is slot j.
            None => self.entities.get(j)?,
            Some(_) => self.data.table.columns[j].as_ref()?,
        };
        let rows: Vec<usize> = match &self.entity_rows {
            Some(first) => self.scored.iter().map(|&r| first[r]).collect(),
            None => self.scored.clone(),
        };
        let taken = col.take(&rows);
        Some(match taken {
            Column::Text(t) => t,
            other => TextColumn::from_values((0..other.len()).map(|i| other.display(i))),
        })
    }

    /// A text column of the entities by indicator id or data column name (cohorts, `by`).
    fn category(&self, name: &str) -> Option<TextColumn> {
        self.category_and_kind(name).map(|(t, _)| t)
    }

    /// The scored rows of a category column as text, with the kind of column it was: a
    /// data column of numbers or booleans (typed from its cells, SPEC §12) shows its values
    /// as numbers (`1`) and `true`/`false`.
    fn category_and_kind(&self, name: &str) -> Option<(TextColumn, Kind)> {
        let slot = self.slot_of_name(name)?;
        // Under `[aggregate]` the entity frame holds no data columns.
        if slot < self.slots.columns && self.c.rules.aggregate.is_some() {
            return None;
        }
        let col = self.entities.get(slot)?.take(&self.scored);
        Some(match col {
            Column::Text(t) => (t, Kind::Category),
            other => {
                let kind = match other {
                    Column::Bool(_) => Kind::Bool,
                    _ => Kind::Number,
                };
                let t = TextColumn::from_values((0..other.len()).map(|i| other.display(i)));
                (t, kind)
            }
        })
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
                let Some((cat, kind)) = self.category_and_kind(&by.value) else {
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
                for e in 0..self.scored.len() {
                    let v = match cat.codes[e] {
                        TextColumn::MISSING => *default,
                        code => lookup[code as usize].or(*default),
                    };
                    match v {
                        Some(v) => out.push(v),
                        None => {
                            // Located at the table in the rules, which is what needs a value.
                            return Err(Error::one(rules_error(
                                self.c,
                                by.span,
                                format!(
                                    "{what}: entity '{}' has category {} for '{}', which has no value and there is no default",
                                    self.id(e),
                                    cat.get(e)
                                        .map_or("(missing)".to_string(), |s| format!("'{s}'")),
                                    by.value
                                ),
                                Some(format!(
                                    "add it to values, or give a default: {{ by = \"{}\", values = {{ … }}, default = … }}",
                                    by.value
                                )),
                            )));
                        }
                    }
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
            let Some((_, like)) = listed.iter().find(|(l, _)| *l == folded) else {
                continue;
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
        let row = self.scored[e];
        let mut parts = Vec::new();
        for (name, quoted, _) in crate::expr::names(&p.ast) {
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
            let v = column
                .and_then(|c| c.display(row))
                .unwrap_or_else(|| "missing".into());
            parts.push(format!("{name} = {v}"));
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
        // Band and level points above their criterion's are capped: the run says so.
        self.warnings.extend(
            r.criteria
                .iter()
                .filter_map(crate::rules::lint::points_above_criterion),
        );
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
        self.warn_total_rows(&ranked);
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
        let (adjustment, adj_applied) = self.apply_adjustments(&conditions.adjustments, full);
        ev.adjustment = adjustment;
        let score = ev.final_scores(&totals);
        self.publish_scores(&score);
        let cap = self.apply_capping_gates(&conditions.gates, &mut st, &ranked);
        crate::timing::mark("score: adjustments and caps");

        // Ranking within cohorts: score desc, tie_break indicators by direction, id ascending.
        ev.cap = cap.iter().map(|c| c.map(|(t, _)| t)).collect();
        let (order, rank, tie_broken) = ev.rank_and_ties(&score);
        self.warn_missing_tie_breaks(&ev, &tie_broken);
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
        if self.opts.detail == Detail::Entities {
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
            let mut text = format!(
                "tier '{}' quota of {} filled by a tie-break: '{}' and '{}' both scored {}, '{}' placed first",
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
        self.warn_decided_by_missing(&ev, &conditions, &score, &tier);
        crate::timing::mark("score: tiers");

        // Output order: cohorts ascending, rank order within, then excluded entities by id.
        let ranked_count = order.len();
        let mut out_order = order;
        let mut excluded: Vec<usize> = (0..n).filter(|&e| !ranked[e]).collect();
        excluded.sort_by(|&a, &b| self.id(a).cmp(self.id(b)));
        out_order.extend(excluded);
        let carried = self.carried_columns();
        // Each criterion's indicator column, for the values shown.
        let indicator_columns: Vec<Cow<'_, Column>> = if full {
            (0..r.criteria.len())
                .map(|ci| {
                    self.take(self.slots.indicator(c.criterion_indicator[ci]))
                        .expect("indicators are computed")
                })
                .collect()
        } else {
            Vec::new()
        };
        let carried_by_entity = if full { carried.clone() } else { Vec::new() };
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

        let evidence = (self.opts.detail == Detail::Entities)
            .then(|| std::sync::Arc::new(ev.reorder(&out_order)));
        let ids = ev.ids.take(&out_order);
        let (entity_ids, fractions) = if full {
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
        let gather_mapped = |f: &(dyn Fn(usize) -> Option<u32> + Sync)| -> Vec<Option<u32>> {
            use rayon::prelude::*;
            out_order
                .par_iter()
                .with_min_len(1 << 13)
                .map(|&e| f(e))
                .collect()
        };
        let sheet = Scoresheet {
            ids,
            names: self.entity_names.as_ref().map(|t| {
                // Names are in table order: one gather through both orders.
                t.take(&crate::column::gathered(&self.scored, &out_order))
            }),
            rank: gather_mapped(&|e| rank[e].map(|r| r as u32)),
            score: crate::column::gathered(&score, &out_order),
            tier: gather_mapped(&|e| tier[e].map(|t| t as u32)),
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

        let source = full.then(|| EntitySource {
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
            Some(source) if self.opts.detail == Detail::Deferred => (
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

    /// Compiles the conditions evaluated on the entities: gates, adjustments, tier
    /// `requires` and `direct` (errors gather in `errors`).
    fn compile_conditions(&self, errors: &mut Vec<Diagnostic>) -> Conditions {
        let c = self.c;
        Conditions {
            gates: self.compile_places(&c.gate_exprs, errors),
            adjustments: self.compile_places(&c.adjustment_exprs, errors),
            requires: c
                .tier_requires
                .iter()
                .map(|ps| self.compile_places(ps, errors))
                .collect(),
            direct: c
                .tier_direct
                .iter()
                .map(|ps| self.compile_places(ps, errors))
                .collect(),
        }
    }

    /// Each scored entity's cohort, numbered ascending by text (code-point order, missing
    /// last), and the cohorts' names (`None`: the cohort of missing values).
    fn cohorts(&mut self) -> Result<(Vec<u32>, Vec<Option<String>>)> {
        let c = self.c;
        let n = self.scored.len();
        let Some(name) = &c.rules.settings.cohort else {
            return Ok((vec![0u32; n], vec![None]));
        };
        let Some(cat) = self.category(&name.value) else {
            if let Some(e) = self.member_category_error(
                name,
                &format!("cohort '{}'", name.value),
                "rank the entities together (leave cohort out)",
            ) {
                return Err(e);
            }
            return Err(Error::one(rules_error(
                c,
                name.span,
                format!(
                    "cohort '{}' names neither an indicator nor a data column",
                    name.value
                ),
                Some(self.category_help(&name.value)),
            )));
        };
        self.warn_look_alike_cohorts(&name.value, &cat);
        let mut order: Vec<usize> = (0..cat.dict.len()).collect();
        order.sort_by(|a, b| cat.dict[*a].cmp(&cat.dict[*b]));
        let mut rank_of = vec![0u32; cat.dict.len()];
        for (k, &d) in order.iter().enumerate() {
            rank_of[d] = k as u32;
        }
        let mut names: Vec<Option<String>> = order
            .iter()
            .map(|&d| Some(cat.dict[d].to_string()))
            .collect();
        let missing_idx = names.len() as u32;
        let mut any_missing = Vec::new();
        let cohort: Vec<u32> = (0..n)
            .map(|e| match cat.codes[e] {
                TextColumn::MISSING => {
                    any_missing.push(e);
                    missing_idx
                }
                code => rank_of[code as usize],
            })
            .collect();
        if !any_missing.is_empty() {
            names.push(None);
            self.warnings.push(format!(
                "{} {} no cohort value ('{}') and {} a cohort of {} own: {}",
                crate::diag::entities(any_missing.len()),
                crate::diag::agree(any_missing.len(), "has", "have"),
                name.value,
                crate::diag::agree(any_missing.len(), "forms", "form"),
                crate::diag::agree(any_missing.len(), "its", "their"),
                self.some_ids(&any_missing)
            ));
        }
        Ok((cohort, names))
    }

    /// Warns of ranked entities whose id or name reads as a totals caption (`合计`): such a
    /// row is scored and ranked like the others, and its sums usually put it first. A
    /// warning, not an error: an entity may carry such a name. An entity an exclude gate
    /// leaves out, or a row of another year, is not warned of.
    fn warn_total_rows(&mut self, ranked: &[bool]) {
        let id_captions = total_captions(&self.entity_ids);
        let name_captions = self.entity_names.as_ref().and_then(total_captions);
        if id_captions.is_none() && name_captions.is_none() {
            return;
        }
        // The caption an entity's label or id reads as, label first.
        let caption_of = |e: usize| -> Option<&str> {
            let row = self.scored[e];
            self.entity_names
                .as_ref()
                .zip(name_captions.as_deref())
                .and_then(|(t, c)| total_caption_at(t, c, row))
                .or_else(|| total_caption_at(&self.entity_ids, id_captions.as_deref()?, row))
        };
        let found: Vec<usize> = (0..self.scored.len())
            .filter(|&e| ranked[e] && caption_of(e).is_some())
            .collect();
        let aggregated = self.c.rules.aggregate.is_some();
        let mut said = Vec::new();
        for &e in found.iter().take(3) {
            let id = self.id(e);
            let caption = caption_of(e).unwrap_or(id);
            let of_id = if caption == id {
                String::new()
            } else {
                format!(" (id '{id}')")
            };
            let text = if aggregated {
                format!(
                    "entity '{caption}'{of_id} looks like a totals group, yet it is scored and ranked as an entity; delete its member rows, or give them another {} value",
                    self.c
                        .rules
                        .aggregate
                        .as_ref()
                        .map_or("", |a| a.by.value.as_str())
                )
            } else {
                let (file, row) = self.data.table.origin(self.scored[e]);
                format!(
                    "{file} row {row}: '{caption}'{of_id} looks like a totals row, yet it is scored and ranked as an entity; delete the row, or leave it out with a gate: [[gate]] require = \"`{}` != '{}'\"",
                    self.c.rules.settings.id.value.replace('`', ""),
                    id.replace('\'', "")
                )
            };
            said.push(text);
        }
        self.warnings.extend(said);
        if found.len() > 3 {
            let rest: Vec<usize> = found[3..].to_vec();
            let text = format!(
                "{} more entities look like totals rows and are ranked: {}",
                rest.len(),
                self.some_ids(&rest)
            );
            self.warnings.push(text);
        }
    }

    /// Warns of cohort values that differ only in width, case or spacing (`Ａ类` and `A类`,
    /// `东　部` and `东部`): most likely one region typed two ways, yet ranked and given
    /// quotas as separate cohorts. Kept apart (the data says two values), but never silently.
    fn warn_look_alike_cohorts(&mut self, cohort: &str, cat: &TextColumn) {
        let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
        for (code, text) in cat.dict.iter().enumerate() {
            groups.entry(look_alike_key(text)).or_default().push(code);
        }
        let mut alike: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
        if alike.is_empty() {
            return;
        }
        alike.sort();
        let mut count = vec![0usize; cat.dict.len()];
        for &code in &cat.codes {
            if code != TextColumn::MISSING {
                count[code as usize] += 1;
            }
        }
        for g in alike {
            let shown: Vec<String> = g
                .iter()
                .map(|&k| {
                    format!(
                        "'{}' ({})",
                        crate::diag::truncate(&cat.dict[k], 40),
                        crate::diag::entities(count[k])
                    )
                })
                .collect();
            self.warnings.push(format!(
                "cohort '{cohort}': {} differ only in full-width characters, case or spacing, and are ranked as separate cohorts, each with its own quotas; if they are one group, write them alike in the data",
                match shown.split_last() {
                    Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                    _ => shown.join(""),
                }
            ));
        }
    }

    /// The frame slots read after the criteria: by the conditions, `[output].carry`, the
    /// categories of tier minimums and the cohort.
    fn inputs_after_criteria(&self, conditions: &Conditions) -> Vec<usize> {
        let r = &self.c.rules;
        conditions
            .gates
            .iter()
            .chain(&conditions.adjustments)
            .chain(conditions.requires.iter().flatten())
            .chain(conditions.direct.iter().flatten())
            .flatten()
            .flat_map(|p| p.slots())
            // Carried columns are data columns, whatever indicator shares their name.
            .chain(
                r.output
                    .carry
                    .iter()
                    .filter_map(|c| self.data.table.column_index(&fold_header(&c.value))),
            )
            .chain(
                r.tiers
                    .iter()
                    .filter_map(|t| match &t.min_score {
                        Some(Param::ByCategory { by, .. }) => Some(by.value.as_str()),
                        _ => None,
                    })
                    .chain(r.settings.cohort.as_ref().map(|c| c.value.as_str()))
                    .filter_map(|name| self.slot_of_name(name)),
            )
            .collect()
    }

    /// Exclude gates, in file order, before any relative statistic: the first failing gate
    /// excludes the entity (noted with the values involved); missing values are warned.
    #[allow(clippy::needless_range_loop)]
    fn apply_exclude_gates(&mut self, gate_progs: &[Option<Program>], st: &mut Scored) {
        let c = self.c;
        for (g, gate) in c.rules.gates.iter().enumerate() {
            if c.gate_cap[g].is_some() {
                continue;
            }
            let cond = self.condition(gate_progs[g].as_ref().expect("compiled"), || {
                format!("gate '{}'", gate.id.value)
            });
            let mut missing = Vec::new();
            for e in 0..st.n {
                if cond[e] != Some(true) && st.excluded_by[e].is_none() {
                    st.excluded_by[e] = Some(g as u32);
                    let why = if cond[e].is_none() {
                        " (a value was missing)"
                    } else {
                        ""
                    };
                    st.note(e, || {
                        format!(
                            "excluded by gate '{}' ({}){why}: {}",
                            gate.id.value,
                            gate.label.as_deref().unwrap_or(&gate.require.value),
                            self.values_in(&c.gate_exprs[g], e)
                        )
                    });
                }
                if cond[e].is_none() {
                    missing.push(e);
                }
            }
            if !missing.is_empty() {
                self.warnings.push(format!(
                    "gate '{}': a missing value left the condition unmet for {}: {}",
                    gate.id.value,
                    crate::diag::entities(missing.len()),
                    self.some_ids(&missing)
                ));
            }
        }
    }

    /// Scores every criterion (in parallel) and merges what each notes, warns and finds
    /// missing in rules order. Folded runs keep dimension sums and published points instead
    /// of the n × C fraction matrix.
    fn score_criteria(
        &mut self,
        st: &mut Scored,
        ranked: &[bool],
        plan: CriteriaPlan<'_>,
    ) -> Result<CriteriaOutcome> {
        let c = self.c;
        let nc = c.rules.criteria.len();
        let n = st.n;
        let full = plan.full;
        let cohort_of = st.cohort.clone();
        let peers = Peers {
            cohort: &cohort_of,
            cohorts: st.cohort_names.len(),
            ranked,
        };
        let points = &plan.scale.points;
        let mut shown: Vec<ShownOverrides> = Vec::with_capacity(nc);
        let mut missing_used: Vec<Vec<Option<MissingPolicy>>> = Vec::with_capacity(nc);
        let mut fail_list: Vec<String> = Vec::new();
        // Warnings of this loop gather here: the indicator columns borrow `self`.
        let mut warnings = std::mem::take(&mut self.warnings);
        let mut merge = |o: CriterionScores, st: &mut Scored| {
            for (e, text) in o.notes {
                st.notes[e].push(text);
            }
            warnings.extend(o.warnings);
            fail_list.extend(o.fails);
            shown.push(o.shown);
            missing_used.push(o.used);
        };
        let mut folded: Option<FoldedCriteria> = None;
        // Criterion fractions: an n × C matrix, NaN where a criterion is dropped (`exclude`);
        // empty when the criteria are folded.
        let mut fractions = Array2::<f64>::zeros((0, nc));
        if plan.fold {
            // In waves of a few criteria scored in parallel, each into a reused scratch
            // column; after each wave, the inputs no later step reads are freed. Two
            // criteria per thread balance the cores better; one per thread when that much
            // scratch would pass 256 MB (the waves are a large run's peak of memory).
            use rayon::prelude::*;
            let threads = rayon::current_num_threads().max(1);
            let wave = if 2 * threads * 8 * n > 256 << 20 {
                threads
            } else {
                2 * threads
            };
            let mut scratch: Vec<Vec<f64>> = Vec::new();
            let mut fold_state = FoldedCriteria::new(n, c.rules.dimensions.len());
            for first in (0..nc).step_by(wave) {
                let last = (first + wave).min(nc);
                while scratch.len() < last - first {
                    scratch.push(Vec::new());
                }
                scratch[..last - first].par_iter_mut().for_each(|col| {
                    if col.is_empty() {
                        col.par_extend(rayon::iter::repeat_n(f64::NAN, n));
                    } else {
                        col.par_iter_mut().for_each(|v| *v = f64::NAN);
                    }
                });
                // Each task scores its criterion and publishes its points; the dimension sums
                // are then added in rules order.
                let outcomes: Vec<Result<(CriterionScores, PublishedColumn)>> = {
                    let this = &*self;
                    let (st_ref, peers_ref) = (&*st, &peers);
                    scratch[..last - first]
                        .par_iter_mut()
                        .zip(first..last)
                        .map(|(column, ci)| {
                            let o =
                                this.score_criterion(ci, st_ref, ranked, peers_ref, full, column)?;
                            Ok((o, PublishedColumn::of(column, points[ci], plan.scale.m)))
                        })
                        .collect()
                };
                let mut published = Vec::with_capacity(last - first);
                for outcome in outcomes {
                    let (o, column) = outcome?;
                    merge(o, st);
                    published.push(column);
                }
                let wave_criteria: Vec<(&[f64], usize, f64)> = (first..last)
                    .zip(&scratch)
                    .map(|(ci, f)| (f.as_slice(), c.criterion_dimension[ci], points[ci]))
                    .collect();
                fold_state.add_wave(&wave_criteria, published);
                if plan.release && last < nc {
                    let keep = self.inputs_from_criterion(last, plan.after_criteria);
                    self.release_inputs_except(&keep);
                }
            }
            folded = Some(fold_state);
        } else {
            // Column-major: each criterion fills one contiguous column. Filled with NaN on
            // all cores: this is the run's largest block of fresh memory, and first touches
            // are slow.
            fractions = {
                use rayon::prelude::*;
                let mut cells: Vec<f64> = Vec::with_capacity(n * nc);
                cells.par_extend(rayon::iter::repeat_n(f64::NAN, n * nc));
                Array2::from_shape_vec((n, nc).f(), cells).expect("n × C cells")
            };
            // Each criterion writes its fractions straight into its matrix column: no vector
            // of its own, so a large run neither holds the columns twice nor touches fresh
            // memory for each criterion (on virtual machines that return freed pages to the
            // host, first touches cost ten times a rewrite).
            let scored_criteria: Vec<Result<CriterionScores>> = {
                use rayon::prelude::*;
                let st_ref = &*st;
                let peers_ref = &peers;
                let this = &*self;
                let score = |ci: usize, column: &mut [f64]| {
                    this.score_criterion(ci, st_ref, ranked, peers_ref, full, column)
                };
                if n == 0 {
                    // No rows: no columns to fill (but every criterion still reports).
                    (0..nc)
                        .into_par_iter()
                        .map(|ci| score(ci, &mut []))
                        .collect()
                } else {
                    fractions
                        .as_slice_memory_order_mut()
                        .expect("a fresh column-major matrix is contiguous")
                        .par_chunks_mut(n)
                        .enumerate()
                        .map(|(ci, column)| score(ci, column))
                        .collect()
                }
            };
            for outcome in scored_criteria {
                merge(outcome?, st);
            }
        }
        warnings.append(&mut self.warnings);
        self.warnings = warnings;
        if !fail_list.is_empty() {
            let total = fail_list.len();
            fail_list.truncate(50);
            let more = if total > 50 {
                format!(" and {} more", total - 50)
            } else {
                String::new()
            };
            return Err(Error::one(
                data_error(format!(
                    "missing values under policy 'fail': {}{more}",
                    fail_list.join("; ")
                ))
                .with_help(
                    "fill these cells (for a formula indicator, the cells it reads, in any year \
                     prev() reaches; a division by zero also gives a missing value), or choose \
                     another missing policy (zero, exclude, mean, median)",
                ),
            ));
        }
        Ok(CriteriaOutcome {
            fractions,
            folded,
            shown,
            missing_used,
        })
    }

    /// The state aggregation, ranking and tiers run on (and analyses re-score): fractions,
    /// weights, tie-break values, ids and, with per-entity detail, each criterion's
    /// parameters per entity (for explain's gap analysis).
    fn evidence(
        &self,
        fractions: Array2<f64>,
        scale: &PointScale,
        st: &Scored,
        ranked: &[bool],
        full: bool,
    ) -> Result<Evidence> {
        let r = &self.c.rules;
        let (tie_values, tie_directions): (Vec<Vec<f64>>, Vec<Direction>) = r
            .settings
            .tie_break
            .iter()
            .map(|t| {
                let i = r
                    .indicators
                    .iter()
                    .position(|x| x.id.value == t.value)
                    .expect("checked at compile");
                (
                    self.take(self.slots.indicator(i))
                        .expect("computed")
                        .to_numbers(),
                    r.indicators[i].direction,
                )
            })
            .unzip();
        let ids = self.entity_ids.take(&self.scored);
        let params: Vec<Vec<ParamValues>> = r
            .criteria
            .iter()
            .filter(|_| full)
            .map(|crit| {
                let what = format!("criterion '{}'", crit.id.value);
                crit.method
                    .params()
                    .into_iter()
                    .map(|p| self.resolve_param(p, &what))
                    .collect::<Result<_>>()
            })
            .collect::<Result<_>>()?;
        Ok(Evidence {
            fractions,
            points: scale.points.clone(),
            dimension_of: self.c.criterion_dimension.clone(),
            weights: scale.weights.clone(),
            scale: r.settings.scale,
            aggregation: r.settings.aggregation,
            geometric_floor: r.settings.geometric_floor,
            clamp: r.settings.clamp,
            decimals: r.settings.decimals,
            adjustment: vec![0.0; st.n],
            ranked: ranked.to_vec(),
            cohort: st.cohort.clone(),
            cohorts: st.cohort_names.len(),
            cohort_names: if r.settings.cohort.is_some() {
                st.cohort_names.clone()
            } else {
                Vec::new()
            },
            ids,
            tie_values,
            tie_directions,
            tiers: Vec::new(),
            cap: Vec::new(),
            params,
            post: None,
        })
    }

    /// Geometric aggregation raises a weighted dimension below `geometric_floor` to it
    /// (SPEC §5.3): a warning counts the entities, and each gets a note per dimension raised.
    fn note_geometric_floor(
        &mut self,
        dim_frac: &Array2<f64>,
        scale: &PointScale,
        st: &mut Scored,
    ) {
        let r = &self.c.rules;
        if !matches!(r.settings.aggregation, crate::rules::Aggregation::Geometric) {
            return;
        }
        let floor = r.settings.geometric_floor;
        let weighted: Vec<usize> = (0..r.dimensions.len())
            .filter(|&d| scale.weights[d] > 0.0)
            .collect();
        let mut raised = Vec::new();
        for (e, row) in dim_frac.outer_iter().enumerate() {
            let mut any = false;
            for &d in &weighted {
                if row[d] < floor {
                    any = true;
                    st.note(e, || {
                        format!(
                            "dimension '{}' at {} of its maximum was raised to geometric_floor = {} for the geometric total",
                            r.dimensions[d].id.value,
                            format_number(round_half_away(row[d], 6)),
                            format_number(floor)
                        )
                    });
                }
            }
            // (Counted over the ranked entities: an excluded one keeps its note.)
            if any && st.excluded_by[e].is_none() {
                raised.push(e);
            }
        }
        if !raised.is_empty() {
            self.warnings.push(format!(
                "geometric aggregation: {} ranked {} {} a dimension below geometric_floor = {}, raised to it for the total: {}",
                raised.len(),
                crate::diag::agree(raised.len(), "entity", "entities"),
                crate::diag::agree(raised.len(), "has", "have"),
                format_number(floor),
                self.some_ids(&raised)
            ));
        }
    }

    /// Published dimension shares (entities × dimensions; empty unless `need_data_order`),
    /// and the published dimension and criterion numbers that post-scoring expressions
    /// mention, set into the entity frame.
    fn publish_for_expressions(
        &mut self,
        dim_frac: &Array2<f64>,
        fractions: &Array2<f64>,
        scale: &PointScale,
        mentioned: &std::collections::HashSet<String>,
        need_data_order: bool,
    ) -> Array2<f64> {
        let r = &self.c.rules;
        let decimals = r.settings.decimals;
        let rows_all = self.entities.rows;
        let (dim_frac_d, fractions_d) = if need_data_order {
            (dim_frac.view(), fractions.view())
        } else {
            (
                dim_frac.slice(ndarray::s![0..0, ..]),
                fractions.slice(ndarray::s![0..0, ..]),
            )
        };
        let dims_pub = ndarray::Zip::from(&dim_frac_d)
            .and_broadcast(&scale.share)
            .map_collect(|f, s| round_half_away(scale.final_max * s * f, decimals));
        // A criterion's published points, from its fraction (what the entity results show).
        let criterion_points = |s: f64, p: f64| {
            if s.is_nan() {
                f64::NAN
            } else {
                round_half_away(s * p, decimals)
            }
        };
        // Only the ids that post-scoring expressions mention are published into the frame.
        for (d, dim) in r.dimensions.iter().enumerate() {
            if !mentioned.contains(dim.id.value.as_str()) {
                continue;
            }
            let mut col = vec![f64::NAN; rows_all];
            for (e, &row) in self.scored.iter().enumerate() {
                col[row] = dims_pub[[e, d]];
            }
            self.entities
                .set(self.slots.dimension(d), Column::Number(col));
        }
        for (ci, crit) in r.criteria.iter().enumerate() {
            if !mentioned.contains(crit.id.value.as_str()) {
                continue;
            }
            let mut col = vec![f64::NAN; rows_all];
            let p = crit.points.value;
            for (e, &row) in self.scored.iter().enumerate() {
                col[row] = criterion_points(fractions_d[[e, ci]], p);
            }
            self.entities
                .set(self.slots.criterion(ci), Column::Number(col));
        }
        dims_pub
    }

    /// Each entity's sum of adjustment points whose `when` holds, and (per-entity detail
    /// only) the points of each adjustment applied, entities × adjustments row-major.
    #[allow(clippy::needless_range_loop)]
    fn apply_adjustments(
        &mut self,
        adj_progs: &[Option<Program>],
        full: bool,
    ) -> (Vec<f64>, Vec<f64>) {
        let r = &self.c.rules;
        let n = self.scored.len();
        let na = r.adjustments.len();
        let decimals = r.settings.decimals;
        let mut applied = vec![0.0; if full { n * na } else { 0 }];
        let mut adjustment = vec![0.0; n];
        for (a, adj) in r.adjustments.iter().enumerate() {
            let cond = self.condition(adj_progs[a].as_ref().expect("compiled"), || {
                format!("adjustment '{}'", adj.id.value)
            });
            let mut missing = Vec::new();
            for e in 0..n {
                match cond[e] {
                    Some(true) => {
                        adjustment[e] += adj.points;
                        if full {
                            // Published rounded, as every component (SPEC §5.3).
                            applied[e * na + a] = round_half_away(adj.points, decimals);
                        }
                    }
                    None => missing.push(e),
                    _ => {}
                }
            }
            if !missing.is_empty() {
                self.warnings.push(format!(
                    "adjustment '{}': a missing value left the condition unmet for {}, not applied: {}",
                    adj.id.value,
                    crate::diag::entities(missing.len()),
                    self.some_ids(&missing)
                ));
            }
        }
        (adjustment, applied)
    }

    /// Sets the final scores into the entity frame, for the conditions that read `score`.
    fn publish_scores(&mut self, score: &[f64]) {
        let mut col = vec![f64::NAN; self.entities.rows];
        for (e, &row) in self.scored.iter().enumerate() {
            col[row] = score[e];
        }
        self.entities.set(self.slots.score(), Column::Number(col));
    }

    /// Capping gates: per entity, the lowest tier a failing gate allows and that gate
    /// (empty when no gate caps).
    #[allow(clippy::needless_range_loop)]
    fn apply_capping_gates(
        &mut self,
        gate_progs: &[Option<Program>],
        st: &mut Scored,
        ranked: &[bool],
    ) -> Vec<Option<(usize, usize)>> {
        let c = self.c;
        let r = &c.rules;
        let n = st.n;
        let capping = c.gate_cap.iter().any(Option::is_some);
        let mut cap: Vec<Option<(usize, usize)>> = vec![None; if capping { n } else { 0 }];
        for (g, gate) in r.gates.iter().enumerate() {
            let Some(tier) = c.gate_cap[g] else { continue };
            let cond = self.condition(gate_progs[g].as_ref().expect("compiled"), || {
                format!("gate '{}'", gate.id.value)
            });
            let mut missing = Vec::new();
            for e in 0..n {
                if cond[e] != Some(true) {
                    if cap[e].is_none_or(|(t, _)| tier > t) {
                        cap[e] = Some((tier, g));
                    }
                    if ranked[e] {
                        st.note(e, || {
                            format!(
                                "gate '{}' failed: tier capped at '{}' ({})",
                                gate.id.value,
                                r.tiers[tier].id.value,
                                self.values_in(&c.gate_exprs[g], e)
                            )
                        });
                    }
                }
                if cond[e].is_none() && ranked[e] {
                    missing.push(e);
                }
            }
            if !missing.is_empty() {
                self.warnings.push(format!(
                    "gate '{}': a missing value left the condition unmet for {}: {}",
                    gate.id.value,
                    crate::diag::entities(missing.len()),
                    self.some_ids(&missing)
                ));
            }
        }
        cap
    }

    /// Warns of entities tied on score that a missing tie-break value (sorted last) placed.
    fn warn_missing_tie_breaks(&mut self, ev: &Evidence, tie_broken: &[bool]) {
        if ev.tie_values.is_empty() {
            return;
        }
        let list: Vec<usize> = (0..tie_broken.len())
            .filter(|&e| tie_broken[e] && ev.tie_values.iter().any(|t| t[e].is_nan()))
            .collect();
        if !list.is_empty() {
            self.warnings.push(format!(
                "tie_break: {} tied on score had a missing tie-break value, placed \
                 after the tied entities that have one: {}",
                crate::diag::entities(list.len()),
                self.some_ids(&list)
            ));
        }
    }

    /// Each tier's rule per entity: minimum score, whether its `requires` hold and whether
    /// a `direct` condition qualifies the entity (conditions may read scores).
    /// With them, per tier, who took a category table's default for its `min_score`.
    #[allow(clippy::type_complexity)]
    fn tier_rules(
        &self,
        conditions: &Conditions,
    ) -> Result<(Vec<TierRule>, Vec<Option<TableDefaults>>)> {
        use rayon::prelude::*;
        let n = self.scored.len();
        let mut rules = Vec::with_capacity(self.c.rules.tiers.len());
        let mut defaults = Vec::with_capacity(self.c.rules.tiers.len());
        for (t, tr) in self.c.rules.tiers.iter().enumerate() {
            let reqs: Vec<Vec<Option<bool>>> = conditions.requires[t]
                .iter()
                .map(|p| {
                    self.condition(p.as_ref().expect("compiled"), || {
                        format!("tier '{}' requires", tr.id.value)
                    })
                })
                .collect();
            let directs: Vec<Vec<Option<bool>>> = conditions.direct[t]
                .iter()
                .map(|p| {
                    self.condition(p.as_ref().expect("compiled"), || {
                        format!("tier '{}' direct", tr.id.value)
                    })
                })
                .collect();
            let min = match &tr.min_score {
                Some(p) => {
                    let (v, d) = self
                        .resolve_param_noting(p, &format!("min_score of tier '{}'", tr.id.value))?;
                    defaults.push(d);
                    v
                }
                None => {
                    defaults.push(None);
                    ParamValues::Scalar(f64::NAN)
                }
            };
            let requires: Vec<Option<bool>> = (0..n)
                .into_par_iter()
                .with_min_len(1 << 13)
                .map(|e| {
                    if reqs.iter().any(|c| c[e] == Some(false)) {
                        Some(false)
                    } else if reqs.iter().any(|c| c[e].is_none()) {
                        None
                    } else {
                        Some(true)
                    }
                })
                .collect();
            // Only `explain` reads it, from runs that keep per-entity results.
            let requires_unmet: Vec<u64> = if reqs.len() > 1 && self.opts.detail == Detail::Entities
            {
                (0..n)
                    .into_par_iter()
                    .with_min_len(1 << 13)
                    .map(|e| {
                        reqs.iter()
                            .enumerate()
                            .fold(0, |m, (i, c)| m | super::evidence::unmet_bit(i, c[e]))
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let direct: Vec<bool> = (0..n)
                .into_par_iter()
                .with_min_len(1 << 13)
                .map(|e| directs.iter().any(|c| c[e] == Some(true)))
                .collect();
            // Entities whose direct qualification failed with a condition left missing (a
            // missing value may have decided it): kept only when some exist.
            let mut direct_unknown: Vec<bool> = if directs.is_empty() {
                Vec::new()
            } else {
                (0..n)
                    .map(|e| !direct[e] && directs.iter().any(|c| c[e].is_none()))
                    .collect()
            };
            if !direct_unknown.contains(&true) {
                direct_unknown = Vec::new();
            }
            rules.push(TierRule {
                id: tr.id.value.clone(),
                max_count: tr.max_count,
                top_percent: tr.top_percent,
                min_score: min,
                requires,
                direct,
                direct_unknown,
                requires_unmet,
            });
        }
        Ok((rules, defaults))
    }

    /// Warnings of what missing values decided: category-table defaults, `if()` and
    /// `count_true()` inside expressions (over the scored entities), and tiers a missing
    /// value kept from an entity.
    fn warn_decided_by_missing(
        &mut self,
        ev: &Evidence,
        conditions: &Conditions,
        score: &[f64],
        tier: &[Option<usize>],
    ) {
        let n = self.scored.len();
        let ranked = &ev.ranked;
        // A missing value decided a tier when the entity did not get that tier or a higher
        // one and, with the condition met, the rest of the rule would have let it in (its
        // score reached the minimum for `requires`; it fell short of it for `direct`).
        // (what, entities) per tier, highest tier first.
        let mut decided: Vec<(String, Vec<usize>)> = Vec::new();
        // (Not below it when capped under it: the cap decided, not the missing value.)
        let missed = |e: usize, t: usize| {
            tier[e].is_none_or(|got| got > t) && ev.cap_of(e).is_none_or(|c| t >= c)
        };
        for (t, rule) in ev.tiers.iter().enumerate() {
            let reaches = |e: usize| {
                let min = rule.min_score.get(e);
                min.is_nan() || crate::num::ge(score[e], min)
            };
            if !conditions.requires[t].is_empty() {
                decided.push((
                    format!("tier '{}' requires", rule.id),
                    (0..n)
                        .filter(|&e| {
                            ranked[e]
                                && rule.requires[e].is_none()
                                && missed(e, t)
                                && (reaches(e) || rule.direct[e])
                        })
                        .collect(),
                ));
            }
            if !rule.direct_unknown.is_empty() {
                decided.push((
                    format!("tier '{}' direct", rule.id),
                    (0..n)
                        .filter(|&e| {
                            rule.direct_unknown[e]
                                && ranked[e]
                                && rule.requires[e] == Some(true)
                                && missed(e, t)
                                && !reaches(e)
                        })
                        .collect(),
                ));
            }
        }
        let mut defaults = std::mem::take(
            self.category_warnings
                .get_mut()
                .unwrap_or_else(|e| e.into_inner()),
        );
        // Criteria are scored in parallel, so these arrive in any order: sorted, the same
        // inputs give the same output (SPEC §7).
        defaults.sort();
        self.warnings.extend(defaults);
        let traced = std::mem::take(self.if_missing.get_mut().unwrap_or_else(|e| e.into_inner()));
        for (what, decided, hit) in traced {
            let list: Vec<usize> = (0..n).filter(|&e| hit[self.scored[e]]).collect();
            if !list.is_empty() {
                self.warnings.push(format!(
                    "{what}: {decided} for {}: {}",
                    crate::diag::entities(list.len()),
                    self.some_ids(&list)
                ));
            }
        }
        for (what, list) in decided {
            if !list.is_empty() {
                self.warnings.push(format!(
                    "{what}: a missing value left the condition unmet for {}: {}",
                    crate::diag::entities(list.len()),
                    self.some_ids(&list)
                ));
            }
        }
    }

    /// `[output].carry`: data columns copied through (first member row under [aggregate]).
    ///
    /// A name the data lacks is left out of the output, with a warning: carried columns
    /// serve a later step (the chained roll-up), and a pack that carries them for it (the
    /// national 专精特新 table carries `cluster`) still scores a plain list of enterprises.
    /// Left out, not left empty: a roll-up reading the column then stops on its absence
    /// instead of counting nothing in it.
    fn carried_columns(&mut self) -> Vec<(String, TextColumn)> {
        let c = self.c;
        let mut carried = Vec::new();
        for name in &c.rules.output.carry {
            match self.carry_column(&name.value) {
                Some(col) => carried.push((name.value.clone(), col)),
                None => {
                    let help = crate::diag::did_you_mean_help(
                        &fold_header(&name.value),
                        self.data.table.headers.iter().map(|h| h.as_str()),
                    );
                    self.warnings.push(format!(
                        "[output] carry names '{}', which is not a column of the data ({}): it is left out of the output, and a later step that reads it will stop{}",
                        name.value,
                        data_files(&self.data.table),
                        help.map_or(String::new(), |h| format!(" ({h})")),
                    ));
                }
            }
        }
        carried
    }

    /// What the reports print around the numbers: title, maxima, labels and units.
    fn layout(&self, scale: &PointScale) -> Layout {
        let c = self.c;
        let r = &c.rules;
        Layout {
            cohort: r.settings.cohort.as_ref().map(|name| {
                r.indicators
                    .iter()
                    .find(|i| i.id.value == name.value)
                    .map_or_else(|| name.value.clone(), |i| i.label().to_string())
            }),
            title: r.settings.name.clone(),
            entity_word: r.settings.entity.clone().unwrap_or_else(|| "entity".into()),
            decimals: r.settings.decimals,
            max_score: scale.final_max,
            aggregation: r.settings.aggregation.name().into(),
            dimensions: r
                .dimensions
                .iter()
                .enumerate()
                .map(|(d, dim)| LayoutItem {
                    id: dim.id.value.clone(),
                    label: dim.label().into(),
                    value: Some(scale.final_max * scale.share[d]),
                    rule: String::new(),
                })
                .collect(),
            criteria: r
                .criteria
                .iter()
                .enumerate()
                .map(|(ci, crit)| {
                    let ind = &r.indicators[c.criterion_indicator[ci]];
                    LayoutCriterion {
                        id: crit.id.value.clone(),
                        label: crit.label().into(),
                        dimension: r.dimensions[c.criterion_dimension[ci]].id.value.clone(),
                        indicator: ind.id.value.clone(),
                        indicator_label: ind.label().into(),
                        unit: ind.unit.clone(),
                        method: crit.method.name().into(),
                        points: crit.points.value,
                        rule: {
                            let mut rule = crit.method.describe();
                            if let Some(tr) = &crit.transform {
                                if !rule.is_empty() {
                                    rule.push_str("; ");
                                }
                                rule.push_str(&format!("transform {}", tr.value.name()));
                            }
                            rule
                        },
                    }
                })
                .collect(),
            adjustments: r
                .adjustments
                .iter()
                .map(|a| LayoutItem {
                    id: a.id.value.clone(),
                    label: a.label.clone().unwrap_or_else(|| a.id.value.clone()),
                    value: Some(a.points),
                    rule: format!("when {}", a.when.value),
                })
                .collect(),
            tiers: r
                .tiers
                .iter()
                .map(|t| LayoutItem {
                    id: t.id.value.clone(),
                    label: t.label().into(),
                    value: t.min_score.as_ref().and_then(|m| m.fixed()),
                    rule: {
                        let mut parts = Vec::new();
                        if let Some(m) = &t.min_score {
                            parts.push(format!("min_score {}", m.describe()));
                        }
                        if let Some(k) = t.max_count {
                            parts.push(format!("max_count {k}"));
                        }
                        if let Some(p) = t.top_percent {
                            parts.push(format!("top_percent {}%", format_number(p)));
                        }
                        for q in &t.requires {
                            parts.push(format!("requires {}", q.value));
                        }
                        for q in &t.direct {
                            parts.push(format!("direct {}", q.value));
                        }
                        parts.join("; ")
                    },
                })
                .collect(),
            gates: r
                .gates
                .iter()
                .map(|g| LayoutItem {
                    id: g.id.value.clone(),
                    label: g.label.clone().unwrap_or_else(|| g.require.value.clone()),
                    value: None,
                    rule: match &g.effect {
                        crate::rules::GateEffect::Exclude => {
                            format!("require {}; excluded when not met", g.require.value)
                        }
                        crate::rules::GateEffect::MaxTier(t) => format!(
                            "require {}; tier capped at '{}' when not met",
                            g.require.value, t.value
                        ),
                    },
                })
                .collect(),
        }
    }

    /// The audit block: engine, rules and data files with their SHA-256, year, time.
    fn audit(&self) -> Audit {
        let r = &self.c.rules;
        Audit {
            engine: format!("clusterscore {}", env!("CARGO_PKG_VERSION")),
            rules: RulesAudit {
                path: if self.opts.rules_path.is_empty() {
                    r.source.name.clone()
                } else {
                    self.opts.rules_path.clone()
                },
                name: r.settings.name.clone(),
                version: r.settings.version.clone(),
                sha256: crate::report::sha256_hex(r.source.text.as_bytes()),
            },
            data: self
                .data
                .table
                .files
                .iter()
                .map(|f| DataAudit {
                    path: f.path.clone(),
                    sha256: f.sha256.clone(),
                    rows: f.rows,
                })
                .collect(),
            year: self.year,
            generated_at: self
                .opts
                .generated_at
                .clone()
                .unwrap_or_else(crate::report::generated_at),
        }
    }

    /// One criterion's fractions for the scored entities, with what it notes, warns and
    /// finds missing under `fail`. Criteria are independent, so they are scored in parallel
    /// and merged in rules order (the same notes, warnings and errors as one by one).
    #[allow(clippy::needless_range_loop)]
    fn score_criterion(
        &self,
        ci: usize,
        st: &Scored,
        ranked: &[bool],
        peers: &Peers<'_>,
        full: bool,
        out: &mut [f64],
    ) -> Result<CriterionScores> {
        let c = self.c;
        let r = &c.rules;
        let n = st.n;
        let crit = &r.criteria[ci];
        let mut warnings = Vec::new();
        let mut fail_list = Vec::new();
        let mut notes = NoteList {
            keep: full,
            list: Vec::new(),
        };
        let ii = c.criterion_indicator[ci];
        let ind = &r.indicators[ii];
        let col = self
            .take(self.slots.indicator(ii))
            .expect("indicators are computed");
        let policy = crit.missing.or(ind.missing).unwrap_or(r.settings.missing);
        let points = crit.points.value;
        debug_assert!(out.len() == n && out.iter().all(|v| v.is_nan()));
        // Shown values and policies used: only for per-entity objects.
        let mut shown = ShownOverrides {
            keep: full,
            list: Vec::new(),
        };
        let mut used: Vec<Option<MissingPolicy>> = if full { vec![None; n] } else { Vec::new() };

        if let Method::Levels(levels) = &crit.method {
            let Column::Text(t) = col.as_ref() else {
                unreachable!("levels need category indicators")
            };
            let mut level_points: Vec<(String, ParamValues)> = Vec::with_capacity(levels.len());
            let mut level_defaults = Vec::with_capacity(levels.len());
            for (k, p) in levels {
                let what = format!("level '{k}' of criterion '{}'", crit.id.value);
                let (v, d) = self.resolve_param_noting(p, &what)?;
                level_points.push((k.clone(), v));
                level_defaults.push((what, d));
            }
            // Each distinct text is matched against the levels once (the column is
            // dictionary-encoded); rows then go through their code.
            let level_of_code: Vec<Option<usize>> = t
                .dict
                .iter()
                .map(|v| level_points.iter().position(|(k, _)| k == v))
                .collect();
            // A level's table is consulted by the entities at that level.
            for (l, (what, d)) in level_defaults.iter().enumerate() {
                self.warn_table_defaults(
                    d.as_ref(),
                    what,
                    |e| {
                        t.codes[e] != TextColumn::MISSING
                            && level_of_code[t.codes[e] as usize] == Some(l)
                    },
                    |e, text| notes.note(e, text),
                );
            }
            let mut unknown = Vec::new();
            for e in 0..n {
                let code = t.codes[e];
                if code != TextColumn::MISSING {
                    out[e] = match level_of_code[code as usize].map(|l| &level_points[l]) {
                        Some((_, p)) => {
                            if points > 0.0 {
                                (p.get(e) / points).clamp(0.0, 1.0)
                            } else {
                                0.0
                            }
                        }
                        None => {
                            unknown.push(e);
                            notes.note(e, || {
                                format!(
                                    "criterion '{}': level '{}' is not listed, scored 0",
                                    crit.id.value, &t.dict[code as usize]
                                )
                            });
                            0.0
                        }
                    };
                }
            }
            if !unknown.is_empty() {
                // The unlisted texts themselves (the first few in code-point order, whatever
                // the order of the rows), so the fix — add the level, or correct the cells —
                // is plain.
                let mut codes: Vec<u32> = unknown.iter().map(|&e| t.codes[e]).collect();
                codes.sort_unstable();
                codes.dedup();
                let mut texts: Vec<&str> = codes.iter().map(|&k| &t.dict[k as usize]).collect();
                texts.sort_unstable();
                let shown: Vec<String> = texts
                    .iter()
                    .take(5)
                    .map(|s| format!("'{}'", crate::diag::truncate(s, 40)))
                    .collect();
                let more = if texts.len() > 5 {
                    format!(" and {} more", texts.len() - 5)
                } else {
                    String::new()
                };
                warnings.push(format!(
                    "criterion '{}': {} {} a level that is not listed ({}{more}) and {} 0: {}",
                    crit.id.value,
                    crate::diag::entities(unknown.len()),
                    crate::diag::agree(unknown.len(), "has", "have"),
                    shown.join(", "),
                    crate::diag::agree(unknown.len(), "scores", "score"),
                    self.some_ids(&unknown)
                ));
            }
            let x: Vec<f64> = (0..n)
                .map(|e| {
                    if t.codes[e] == TextColumn::MISSING {
                        f64::NAN
                    } else {
                        0.0
                    }
                })
                .collect();
            self.apply_missing(
                &mut warnings,
                st,
                &mut notes,
                ci,
                policy,
                &x,
                out,
                &mut used,
                &mut fail_list,
                ranked,
                None,
                &mut shown,
            )?;
        } else {
            let raw: Cow<'_, [f64]> = match col.as_ref() {
                Column::Number(v) => Cow::Borrowed(v),
                other => Cow::Owned(other.to_numbers()),
            };
            // Transform: out-of-domain values become missing, with a note. Copied only
            // when something changes (a transform here, an imputation below).
            let mut x: Cow<'_, [f64]> = Cow::Borrowed(&raw);
            if let Some(tr) = &crit.transform {
                let xs = x.to_mut();
                for e in 0..n {
                    if !raw[e].is_nan() {
                        match tr.value.apply(raw[e]) {
                            Some(v) => xs[e] = v,
                            None => {
                                xs[e] = f64::NAN;
                                shown.set(e, None);
                                notes.note(e, || format!("criterion '{}': value {} is outside the domain of {}, treated as missing", crit.id.value, format_number(raw[e]), tr.value.name()));
                            }
                        }
                    }
                }
            }
            // Imputation happens before scoring (statistics over untransformed values).
            self.apply_missing(
                &mut warnings,
                st,
                &mut notes,
                ci,
                policy,
                &raw,
                out,
                &mut used,
                &mut fail_list,
                ranked,
                Some(&mut x),
                &mut shown,
            )?;
            let tr = |v: f64| {
                crit.transform
                    .as_ref()
                    .map_or(Some(v), |t| t.value.apply(v))
                    .unwrap_or(f64::NAN)
            };
            let what = format!("criterion '{}'", crit.id.value);
            // Category-table defaults, named by the key that holds the table ("criterion
            // 'c', floor"); a parameter is consulted by the entities with a value (after
            // imputation). Nothing is formatted for a parameter without a table default.
            let mut warn_defaults =
                |d: Option<TableDefaults>,
                 key: &dyn Fn() -> String,
                 consulted: &dyn Fn(usize) -> bool| {
                    if d.is_some() {
                        self.warn_table_defaults(
                            d.as_ref(),
                            &format!("{what}, {}", key()),
                            consulted,
                            |e, text| notes.note(e, text),
                        );
                    }
                };
            let valued = |e: usize| !x[e].is_nan();
            // Methods write only the entries whose value is present (see `methods`); the
            // others keep what the missing policy put there.
            match &crit.method {
                Method::Bands(bands) => {
                    let mut rb: Vec<ResolvedBand> = Vec::with_capacity(bands.len());
                    let mut band_defaults = Vec::new();
                    for b in bands {
                        let (threshold, dt) = self.resolve_param_noting(&b.threshold, &what)?;
                        let (band_points, dp) = self.resolve_param_noting(&b.points, &what)?;
                        rb.push(ResolvedBand {
                            op: b.op,
                            threshold: threshold.map(tr),
                            points: band_points,
                        });
                        band_defaults.push((dt, dp));
                    }
                    // A band's threshold is consulted by the values no earlier band took,
                    // its points by the values it took.
                    let met_before = |e: usize, j: usize| {
                        rb[..j].iter().any(|b| b.op.meets(x[e], b.threshold.get(e)))
                    };
                    for (j, (dt, dp)) in band_defaults.into_iter().enumerate() {
                        let key = || format!("band {} {}", j + 1, rb[j].op.key());
                        warn_defaults(dt, &key, &|e| valued(e) && !met_before(e, j));
                        let key = || format!("band {} points", j + 1);
                        warn_defaults(dp, &key, &|e| {
                            valued(e)
                                && !met_before(e, j)
                                && rb[j].op.meets(x[e], rb[j].threshold.get(e))
                        });
                    }
                    methods::bands(&x, &rb, points, out);
                }
                Method::Linear { floor, target } => {
                    let (floor, df) = self.resolve_param_noting(floor, &what)?;
                    let (target, dt) = self.resolve_param_noting(target, &what)?;
                    warn_defaults(df, &|| "floor".into(), &valued);
                    warn_defaults(dt, &|| "target".into(), &valued);
                    methods::linear(&x, &floor.map(tr), &target.map(tr), out)
                }
                Method::Target { target } => {
                    let (target, dt) = self.resolve_param_noting(target, &what)?;
                    warn_defaults(dt, &|| "target".into(), &valued);
                    methods::target(&x, &target.map(tr), ind.direction, out)
                }
                Method::MinMax => methods::minmax(&x, ind.direction, peers, out),
                Method::ZScore => methods::zscore(&x, ind.direction, peers, out),
                Method::Percentile => methods::percentile(&x, ind.direction, peers, out),
                Method::Flag => methods::flag(&x, out),
                Method::Per {
                    step,
                    points_per_step,
                } => {
                    let (step, ds) = self.resolve_param_noting(step, &what)?;
                    let (per_step, dp) = self.resolve_param_noting(points_per_step, &what)?;
                    warn_defaults(ds, &|| "step".into(), &valued);
                    warn_defaults(dp, &|| "points_per_step".into(), &valued);
                    methods::per(&x, &step, &per_step, points, out)
                }
                Method::Direct => methods::direct(&x, points, out),
                Method::Levels(_) => unreachable!(),
            }
        }
        Ok(CriterionScores {
            shown: shown.finish(),
            used,
            notes: notes.list,
            warnings,
            fails: fail_list,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_missing(
        &self,
        warnings: &mut Vec<String>,
        st: &Scored,
        notes: &mut NoteList,
        ci: usize,
        policy: MissingPolicy,
        raw: &[f64],
        out: &mut [f64],
        used: &mut [Option<MissingPolicy>],
        fail_list: &mut Vec<String>,
        ranked: &[bool],
        x: Option<&mut Cow<'_, [f64]>>,
        shown: &mut ShownOverrides,
    ) -> Result<()> {
        let crit = &self.c.rules.criteria[ci];
        let missing: Vec<usize> = match &x {
            Some(x) => (0..st.n).filter(|&e| x[e].is_nan()).collect(),
            None => (0..st.n).filter(|&e| raw[e].is_nan()).collect(),
        };
        if missing.is_empty() {
            return Ok(());
        }
        match policy {
            MissingPolicy::Zero => {
                for &e in &missing {
                    out[e] = 0.0;
                    set_used(used, e, MissingPolicy::Zero);
                    notes.note(e, || {
                        format!(
                            "criterion '{}': value missing, scored 0 (missing = \"zero\")",
                            crit.id.value
                        )
                    });
                }
                warnings.push(format!(
                    "criterion '{}': {} missing {} scored 0: {}",
                    crit.id.value,
                    missing.len(),
                    crate::diag::agree(missing.len(), "value", "values"),
                    self.some_ids(&missing)
                ));
            }
            MissingPolicy::Exclude => {
                for &e in &missing {
                    out[e] = f64::NAN;
                    set_used(used, e, MissingPolicy::Exclude);
                    notes.note(e, || format!("criterion '{}': value missing, criterion dropped and its dimension rescaled (missing = \"exclude\")", crit.id.value));
                }
                warnings.push(format!(
                    "criterion '{}': {} missing {} dropped (exclude): {}",
                    crit.id.value,
                    missing.len(),
                    crate::diag::agree(missing.len(), "value", "values"),
                    self.some_ids(&missing)
                ));
            }
            MissingPolicy::Fail => {
                // Where to look: the cell of a column indicator; a formula's text and the
                // entity's row (its inputs may lie in another year's row, through prev()).
                let ind = &self.c.rules.indicators[self.c.criterion_indicator[ci]];
                let rows = self.c.rules.aggregate.is_none();
                let table = &self.data.table;
                for &e in &missing {
                    let place = match &ind.source {
                        Source::Column(col) if rows => {
                            table.location(self.scored[e], &fold_header(&col.value))
                        }
                        Source::Column(col) => format!("column '{}'", col.value),
                        Source::Formula(f) | Source::Aggregate(f) => {
                            let at = if rows {
                                let (file, row) = table.origin(self.scored[e]);
                                format!(", from {file} row {row}")
                            } else {
                                String::new()
                            };
                            format!(
                                "indicator '{}' = `{}`{at}",
                                ind.id.value,
                                crate::diag::truncate(&f.value, 80)
                            )
                        }
                    };
                    fail_list.push(format!(
                        "{} ({place}; criterion '{}')",
                        self.id(e),
                        crit.id.value
                    ));
                }
            }
            MissingPolicy::Mean | MissingPolicy::Median => {
                let Some(x) = x else {
                    // Categories cannot be averaged: score 0 and say so.
                    for &e in &missing {
                        out[e] = 0.0;
                        set_used(used, e, MissingPolicy::Zero);
                        notes.note(e, || format!("criterion '{}': category missing, scored 0 (mean/median do not apply to categories)", crit.id.value));
                    }
                    warnings.push(format!(
                        "criterion '{}': {} missing {} scored 0 ({policy_name} does not apply to categories): {}",
                        crit.id.value,
                        missing.len(),
                        crate::diag::agree(missing.len(), "category", "categories"),
                        self.some_ids(&missing),
                        policy_name = if policy == MissingPolicy::Mean { "mean" } else { "median" },
                    ));
                    return Ok(());
                };
                let name = if policy == MissingPolicy::Mean {
                    "mean"
                } else {
                    "median"
                };
                // Over the ranked entities with a value the criterion can use: one outside
                // the transform's domain is missing for it, so it neither counts here nor
                // keeps its raw value (it is imputed below like an empty cell).
                let mut groups: Vec<Vec<f64>> = vec![Vec::new(); st.cohort_names.len()];
                for e in 0..st.n {
                    if ranked[e] && !x[e].is_nan() {
                        groups[st.cohort[e] as usize].push(raw[e]);
                    }
                }
                let stat: Vec<Option<f64>> = groups
                    .iter_mut()
                    .map(|g| {
                        if g.is_empty() {
                            return None;
                        }
                        Some(if policy == MissingPolicy::Mean {
                            crate::num::mean_of(g)?
                        } else {
                            g.sort_by(|a, b| a.total_cmp(b));
                            let m = g.len() / 2;
                            if g.len() % 2 == 1 {
                                g[m]
                            } else {
                                (g[m - 1] + g[m]) / 2.0
                            }
                        })
                    })
                    .collect();
                let mut without_stat = Vec::new();
                for &e in &missing {
                    match stat[st.cohort[e] as usize] {
                        Some(v) => {
                            let t = crit
                                .transform
                                .as_ref()
                                .map_or(Some(v), |t| t.value.apply(v))
                                .unwrap_or(f64::NAN);
                            x.to_mut()[e] = t;
                            set_used(used, e, policy);
                            shown.set(
                                e,
                                serde_json::Number::from_f64(v).map(serde_json::Value::Number),
                            );
                            notes.note(e, || format!("criterion '{}': value missing, imputed {} {} (missing = \"{name}\")", crit.id.value, name, format_number(v)));
                        }
                        None => {
                            out[e] = 0.0;
                            set_used(used, e, MissingPolicy::Zero);
                            without_stat.push(e);
                            notes.note(e, || format!("criterion '{}': value missing and no value to take the {name} of, scored 0", crit.id.value));
                        }
                    }
                }
                let imputed: Vec<usize> = missing
                    .iter()
                    .copied()
                    .filter(|&e| stat[st.cohort[e] as usize].is_some())
                    .collect();
                if !imputed.is_empty() {
                    warnings.push(format!(
                        "criterion '{}': {} missing {} imputed with the {name}: {}",
                        crit.id.value,
                        imputed.len(),
                        crate::diag::agree(imputed.len(), "value", "values"),
                        self.some_ids(&imputed)
                    ));
                }
                if !without_stat.is_empty() {
                    warnings.push(format!(
                        "criterion '{}': {} missing {} scored 0, no ranked entity of their \
                         cohort having a value to take the {name} of: {}",
                        crit.id.value,
                        without_stat.len(),
                        crate::diag::agree(without_stat.len(), "value", "values"),
                        self.some_ids(&without_stat)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Records the missing policy used for entity `e` when policies are kept (per-entity detail).
fn set_used(used: &mut [Option<MissingPolicy>], e: usize, policy: MissingPolicy) {
    if let Some(u) = used.get_mut(e) {
        *u = Some(policy);
    }
}

/// Scaled points below this magnitude are stored as `i16` (`i16::MIN` marks a dropped one).
const NARROW_LIMIT: f64 = 32_767.0;

/// One column of the sheet's published points and what it is computed from.
enum PointSource<'a> {
    /// A dimension: its fraction per entity times its share of the scale.
    Share(&'a [f64], f64),
    /// A criterion's fractions (NaN where dropped) times its points.
    Fraction(&'a [f64], f64),
    /// A criterion already published as scaled whole numbers (`i16::MIN` where dropped).
    Narrow(&'a [i16]),
    /// A criterion already published (NaN where dropped).
    Published(&'a [f64]),
}

/// The published points as data-order rows (dimensions, then criteria), in the narrowest
/// type every value fits: `i16`, then `i32` (scaled values only), else `f64`. Written by
/// hand: a blocked transpose of the columns (each block of rows stays in cache), blocks in
/// parallel; a value that does not fit after all (a method outside [0, 1]) sends the whole
/// matrix to the next wider type.
fn point_rows(
    n: usize,
    sources: &[PointSource<'_>],
    scaled: bool,
    m: f64,
    decimals: u32,
    largest_scaled: f64,
) -> PointRows {
    use std::sync::atomic::{AtomicBool, Ordering};
    let width = sources.len();
    let publish = |v: f64| {
        if scaled {
            crate::num::round_scaled(v, m)
        } else {
            round_half_away(v, decimals)
        }
    };
    // Fills a block of rows (from row `start`) with each column's published value, NaN
    // where dropped.
    let fill = |rows: &mut [f64], start: usize| {
        let len = rows.len() / width.max(1);
        for (c, src) in sources.iter().enumerate() {
            let cell = rows[c..].iter_mut().step_by(width).take(len);
            match *src {
                PointSource::Share(col, w) => {
                    for (out, &f) in cell.zip(&col[start..]) {
                        *out = publish(w * f);
                    }
                }
                PointSource::Fraction(col, p) => {
                    for (out, &s) in cell.zip(&col[start..]) {
                        *out = if s.is_nan() { f64::NAN } else { publish(s * p) };
                    }
                }
                PointSource::Narrow(col) => {
                    for (out, &k) in cell.zip(&col[start..]) {
                        *out = if k == i16::MIN {
                            f64::NAN
                        } else {
                            f64::from(k)
                        };
                    }
                }
                PointSource::Published(col) => {
                    for (out, &v) in cell.zip(&col[start..]) {
                        *out = v;
                    }
                }
            }
        }
    };
    // Rows of a block are made as f64 in a small buffer (in cache), then narrowed.
    fn rows_as<T: Copy + Send + Sync>(
        n: usize,
        width: usize,
        fill: &(impl Fn(&mut [f64], usize) + Sync),
        narrow: impl Fn(f64) -> Option<T> + Sync,
        dropped: T,
    ) -> Option<Vec<T>> {
        use rayon::prelude::*;
        const BLOCK: usize = 2048;
        let mut out = crate::column::filled_on_all_cores(n * width, dropped);
        if width == 0 {
            return Some(out);
        }
        let overflow = AtomicBool::new(false);
        out.par_chunks_mut(BLOCK * width).enumerate().for_each_init(
            Vec::new,
            |buf: &mut Vec<f64>, (b, rows)| {
                buf.clear();
                buf.resize(rows.len(), 0.0);
                fill(buf, b * BLOCK);
                for (o, &v) in rows.iter_mut().zip(buf.iter()) {
                    match narrow(v) {
                        Some(t) => *o = t,
                        None => overflow.store(true, Ordering::Relaxed),
                    }
                }
            },
        );
        (!overflow.into_inner()).then_some(out)
    }
    fn matrix<T>(n: usize, width: usize, rows: Vec<T>) -> Array2<T> {
        Array2::from_shape_vec((n, width), rows).expect("n rows of `width` values")
    }
    if scaled
        && largest_scaled < NARROW_LIMIT
        && let Some(rows) = narrow_rows_direct(n, sources, &publish)
    {
        return PointRows::Narrow(matrix(n, width, rows));
    }
    if scaled && largest_scaled < NARROW_LIMIT {
        let narrow = |v: f64| {
            if v.is_nan() {
                Some(i16::MIN)
            } else {
                (v.abs() < NARROW_LIMIT).then_some(v as i16)
            }
        };
        if let Some(rows) = rows_as(n, width, &fill, narrow, i16::MIN) {
            return PointRows::Narrow(matrix(n, width, rows));
        }
    }
    if scaled && largest_scaled < 1e9 {
        let compact = |v: f64| {
            if v.is_nan() {
                Some(i32::MIN)
            } else {
                (v.abs() < 2_147_483_647.0).then_some(v as i32)
            }
        };
        if let Some(rows) = rows_as(n, width, &fill, compact, i32::MIN) {
            return PointRows::Compact(matrix(n, width, rows));
        }
    }
    let rows = rows_as(n, width, &fill, Some, f64::NAN).expect("f64 holds every value");
    PointRows::Wide(matrix(n, width, rows))
}

/// [`point_rows`]' `i16` rows when every criterion is already published narrow (a folded
/// batch run): those columns are copied into the rows as they are, and only the dimensions
/// are published here. `None` when a source is of another kind or a dimension's value does
/// not fit (the general path then decides the type).
fn narrow_rows_direct(
    n: usize,
    sources: &[PointSource<'_>],
    publish: &(impl Fn(f64) -> f64 + Sync),
) -> Option<Vec<i16>> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    const BLOCK: usize = 4096;
    let width = sources.len();
    if width == 0
        || !sources
            .iter()
            .all(|s| matches!(s, PointSource::Share(..) | PointSource::Narrow(_)))
    {
        return None;
    }
    // Every value is written below, block by block on all cores (which fault its pages in):
    // untouched zeroed memory, not a fill.
    let mut out = vec![0i16; n * width];
    let overflow = AtomicBool::new(false);
    out.par_chunks_mut(BLOCK * width)
        .enumerate()
        .for_each(|(b, rows)| {
            let start = b * BLOCK;
            let len = rows.len() / width;
            // The dimensions published into small buffers first; then each row is gathered
            // from every column's block (contiguous writes, one read stream per column).
            let mut shares: Vec<Vec<i16>> = Vec::new();
            for src in sources {
                if let PointSource::Share(col, w) = *src {
                    let share = col[start..start + len]
                        .iter()
                        .map(|&f| {
                            let v = publish(w * f);
                            if v.is_nan() {
                                i16::MIN
                            } else if v.abs() < NARROW_LIMIT {
                                v as i16
                            } else {
                                overflow.store(true, Ordering::Relaxed);
                                i16::MIN
                            }
                        })
                        .collect();
                    shares.push(share);
                }
            }
            let mut shares = shares.iter();
            let columns: Vec<&[i16]> = sources
                .iter()
                .map(|src| match *src {
                    PointSource::Narrow(col) => &col[start..start + len],
                    PointSource::Share(..) => shares.next().expect("one per share"),
                    PointSource::Fraction(..) | PointSource::Published(_) => {
                        unreachable!("checked above")
                    }
                })
                .collect();
            for (r, row) in rows.chunks_exact_mut(width).enumerate() {
                for (o, col) in row.iter_mut().zip(&columns) {
                    *o = col[r];
                }
            }
        });
    (!overflow.into_inner()).then_some(out)
}

/// Criteria folded as they are scored (a batch run's sheet needs nothing else): each
/// dimension's running sum of points × fraction (and of kept points, once one of its
/// criteria drops an entity), and each criterion's published points. The sums follow
/// [`Evidence::dimension_fractions`] operation for operation, so the results are the same
/// to the bit.
struct FoldedCriteria {
    n: usize,
    /// Σ p·s per dimension, column-major. A dimension's column is untouched memory until the
    /// wave of its first criterion writes zeros into it block by block (see `add_wave`).
    sums: Array2<f64>,
    /// Whether a dimension's column of `sums` has been written.
    started: Vec<bool>,
    /// Σ kept p per entity, for a dimension where some criterion was dropped.
    kept: Vec<Option<Vec<f64>>>,
    /// Σ p per dimension over the criteria folded so far.
    full: Vec<f64>,
    columns: Vec<PublishedColumn>,
}

/// A criterion's published points, scaled: `i16` (`MIN` where dropped) when they fit.
enum PublishedColumn {
    Narrow { points: Vec<i16>, dropped: bool },
    Wide { points: Vec<f64>, dropped: bool },
}

impl PublishedColumn {
    /// Publishes fractions `f` (NaN where dropped) of a criterion worth `p` points, scaled
    /// by `m` = 10^decimals.
    fn of(f: &[f64], p: f64, m: f64) -> Self {
        // One branch-free pass (`num::round_scaled_narrow`): the narrow points, whether all
        // fit and whether any entity was dropped.
        let mut points = vec![0i16; f.len()];
        let (mut dropped, mut fits) = (false, true);
        for (o, &s) in points.iter_mut().zip(f) {
            let nan = s.is_nan();
            let (k, fit) = crate::num::round_scaled_narrow(s * p, m);
            dropped |= nan;
            fits &= nan | fit;
            *o = if nan { i16::MIN } else { k };
        }
        if fits {
            return PublishedColumn::Narrow { points, dropped };
        }
        let points = f
            .iter()
            .map(|&s| {
                if s.is_nan() {
                    f64::NAN
                } else {
                    crate::num::round_scaled(s * p, m)
                }
            })
            .collect();
        PublishedColumn::Wide { points, dropped }
    }

    fn dropped(&self) -> bool {
        match self {
            PublishedColumn::Narrow { dropped, .. } | PublishedColumn::Wide { dropped, .. } => {
                *dropped
            }
        }
    }
}

impl FoldedCriteria {
    fn new(n: usize, nd: usize) -> Self {
        FoldedCriteria {
            n,
            sums: Array2::zeros((n, nd).f()),
            started: vec![false; nd],
            kept: vec![None; nd],
            full: vec![0.0; nd],
            columns: Vec::new(),
        }
    }

    /// Folds the next criteria (rules order): each one's fractions (NaN where dropped),
    /// dimension and points, with its published column. One pass over blocks of rows adds
    /// them all, each entity's sums in rules order.
    fn add_wave(&mut self, wave: &[(&[f64], usize, f64)], published: Vec<PublishedColumn>) {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 14;
        let n = self.n;
        // Whether each criterion is added with kept points (its dimension has dropped an
        // entity by then); a dimension's kept points start as the sum of its earlier points.
        let mut with_kept = Vec::with_capacity(wave.len());
        // Dimensions whose first criterion is in this wave: their sums are written (zeros)
        // before they are added to. `Array2::zeros` is calloc'd, fresh pages; adding to them
        // directly would read the shared zero page first, and the write after it is a
        // copy-on-write fault that flushes the TLB of every core running this process
        // (~30 ms per dimension at 10⁶ rows on a VM, where that flush is an IPI).
        let mut fresh = Vec::new();
        for (&(f, d, p), column) in wave.iter().zip(&published) {
            debug_assert_eq!(f.len(), n);
            if !self.started[d] {
                self.started[d] = true;
                fresh.push(d);
            }
            if self.kept[d].is_none() && column.dropped() {
                // Filled by writes (not calloc'd when `full` is 0), for the same reason.
                let mut kept = Vec::with_capacity(n);
                kept.resize(n, self.full[d]);
                self.kept[d] = Some(kept);
            }
            with_kept.push(self.kept[d].is_some());
            self.full[d] += p;
        }
        self.columns.extend(published);
        let chunks = n.div_ceil(CHUNK);
        type Block<'a> = (Vec<&'a mut [f64]>, Vec<Option<&'a mut [f64]>>);
        let mut blocks: Vec<Block<'_>> = (0..chunks).map(|_| (Vec::new(), Vec::new())).collect();
        let sums = self
            .sums
            .as_slice_memory_order_mut()
            .expect("a column-major matrix is contiguous");
        for column in sums.chunks_mut(n) {
            for (b, part) in column.chunks_mut(CHUNK).enumerate() {
                blocks[b].0.push(part);
            }
        }
        for kept in &mut self.kept {
            match kept {
                Some(v) => {
                    for (b, part) in v.chunks_mut(CHUNK).enumerate() {
                        blocks[b].1.push(Some(part));
                    }
                }
                None => blocks.iter_mut().for_each(|blk| blk.1.push(None)),
            }
        }
        blocks
            .into_par_iter()
            .enumerate()
            .for_each(|(b, (mut sums, mut kept))| {
                let start = b * CHUNK;
                for &d in &fresh {
                    sums[d].fill(0.0);
                }
                for (&(f, d, p), &k) in wave.iter().zip(&with_kept) {
                    let sum = &mut *sums[d];
                    let f = &f[start..start + sum.len()];
                    if k {
                        let kept = kept[d].as_deref_mut().expect("kept points exist");
                        for ((acc, mx), &s) in sum.iter_mut().zip(kept.iter_mut()).zip(f) {
                            if !s.is_nan() {
                                *acc += p * s;
                                *mx += p;
                            }
                        }
                    } else {
                        for (acc, &s) in sum.iter_mut().zip(f) {
                            *acc += p * s;
                        }
                    }
                }
            });
    }

    /// The dimension fractions (entities × dimensions, column-major) and the criteria's
    /// published points.
    fn finish(self) -> (Array2<f64>, Vec<PublishedColumn>) {
        let FoldedCriteria {
            mut sums,
            kept,
            full,
            columns,
            ..
        } = self;
        for (d, kept) in kept.iter().enumerate() {
            let kept = kept.as_deref().map(ndarray::ArrayView1::from);
            super::evidence::dimension_share(sums.column_mut(d), kept, full[d]);
        }
        (sums, columns)
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
