//! Checks of the data against the rules (columns, years, duplicate ids, totals rows) and the
//! column indicators read from it.

use super::*;

/// The index of the data column `name` that the rules require (`what` says which key), or
/// an error in `errors` with the best help: another delimiter, a bilingual header, a
/// did-you-mean, or the list of columns.
pub(super) fn required_column(
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
        // The header is there without values: a table built in memory with `None` for the
        // column (files' columns the rules read are always stored).
        Some(_) => {
            errors.push(rules_error(
                c,
                name.span,
                format!(
                    "{what} '{}': the data has the column but no values for it",
                    name.value
                ),
                Some(
                    "a table built in memory gave None for this column: give its values \
                     (Some(Column)) to Table::from_columns"
                        .into(),
                ),
            ));
            None
        }
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
                // Tabs are looked for in the header as written: folding turns a tab into a
                // space, or drops it beside Chinese (`name<TAB>营业收入`).
                let written = table.shown_header(h);
                [(';', "';'"), ('|', "'|'"), (',', "','"), ('\t', "tab")]
                    .into_iter()
                    .find(|&(d, _)| {
                        let text = if d == '\t' { written } else { h.as_str() };
                        (headers.len() == 1 || text.split(d).count() >= 3)
                            && text.split(d).any(|part| fold_header(part) == folded)
                    })
            });
            let help = other_delimiter
                .map(|(c, d)| {
                    // Written with the full-width form (`code，name`, typed with a Chinese
                    // input method): folded, it reads as the ASCII delimiter, which no
                    // --delimiter can name.
                    let wide = match c {
                        ',' => Some('，'),
                        ';' => Some('；'),
                        '|' => Some('｜'),
                        _ => None,
                    };
                    let written = wide.and_then(|f| {
                        let w = headers.iter().map(|h| table.shown_header(h)).find(|w| w.contains(f));
                        w.map(|w| (f, w))
                    });
                    match written {
                        Some((f, written)) => format!(
                            "the data's header '{}' is delimited by the full-width '{f}': \
                             replace every '{f}' in the file with {d}",
                            crate::diag::truncate(written, 120)
                        ),
                        None => {
                            // As written (folding drops a tab beside Chinese), tabs shown.
                            let written: Vec<&str> =
                                headers.iter().map(|h| table.shown_header(h)).collect();
                            format!(
                                "the data's header '{}' looks delimited by {d}: read the file \
                                 with --delimiter {d}",
                                crate::diag::truncate(&written.join(",").replace('\t', "\\t"), 120)
                            )
                        }
                    }
                })
                .or_else(|| {
                    // A bilingual header (`企业 name`, `编号 id`) holding the name as
                    // one of its words.
                    headers
                        .iter()
                        .find(|h| h.split(' ').any(|w| w == folded))
                        .map(|h| {
                            format!(
                                "did you mean '{}'?",
                                crate::diag::truncate(table.shown_header(h), 200)
                            )
                        })
                })
                .or_else(|| {
                    // The same name with another unit in its brackets (`销售收入(亿元)` for
                    // `销售收入(万元)`): taking it as is would score every value in the
                    // wrong unit, so the unit is named.
let unit = |s: &str| {
                        // The stem and what its first brackets hold, spaces left out.
                        let (stem, rest) = s.split_once('(')?;
                        let inner = rest.split(')').next()?;
                        Some((
                            stem.replace(' ', ""),
                            inner.chars().filter(|c| !c.is_whitespace()).collect::<String>(),
                        ))
                    };
                    crate::diag::did_you_mean(&folded, headers.iter().map(|h| h.as_str())).map(|c| {
                        let shown = table.shown_header(&c);
                        match (unit(&folded), unit(&c)) {
                            (Some((s1, u1)), Some((s2, u2))) if s1 == s2 && u1 != u2 => format!(
                                "did you mean '{shown}'? Its unit is {u2} where the rules expect {u1}: \
                                 if the unit changed, change the indicator's multiply with its column"
                            ),
                            _ => crate::diag::did_you_mean_text(shown),
                        }
                    })
                })
                .unwrap_or_else(|| {
                    let shown: Vec<&str> = (0..headers.len()).map(|j| table.written_header(j)).collect();
                    format!(
                        "data columns: {}",
                        crate::diag::truncate(&shown.join(", "), 400)
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
pub(super) fn merge_wrong_delimiter_errors(errors: Vec<Diagnostic>) -> Vec<Diagnostic> {
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

/// Every row's year is a whole number from 1000 to 9999, written without `%`
/// (`percent_row`: the first row whose year cell was, if any; read as written, `2023%` would
/// otherwise be taken for the year 2023).
pub(super) fn check_years(
    table: &crate::data::Table,
    years: &[f64],
    column: usize,
    percent_row: Option<usize>,
    ids: &TextColumn,
) -> Result<()> {
    for (i, y) in years.iter().enumerate() {
        if percent_row == Some(i) {
            let at = table.location(i, &table.headers[column]);
            return Err(Error::one(
                data_error(format!(
                    "the year \"{}%\" is written with a percent sign",
                    crate::column::format_number(*y)
                ))
                .at(at)
                .with_help(format!(
                    "a year is not a percentage: write {} without the %",
                    crate::column::format_number(*y)
                )),
            ));
        }
        if y.is_nan() || y.fract() != 0.0 {
            let at = table.location(i, &table.headers[column]);
            // A note under the table (`注：数据来源于…` in the id column) has no year either.
            let help = match ids.get(i).filter(|id| is_note_caption(id)) {
                Some(note) => format!(
                    "this row's id is '{}': it is a note under the table, read as a row; delete the row",
                    crate::diag::truncate(note, 60)
                ),
                None => "every row needs a year such as 2023 in the year column".to_string(),
            };
            return Err(Error::one(
                data_error("the year is missing or not a whole number")
                    .at(at)
                    .with_help(help),
            ));
        }
        // The range `[rules].year` takes: a typo such as 20233 would otherwise become the
        // latest year, scored alone.
        if !(1000.0..=9999.0).contains(y) {
            let at = table.location(i, &table.headers[column]);
            return Err(Error::one(
                data_error(format!(
                    "the year {} is not a year from 1000 to 9999",
                    // (-1e308 in the cell, not its 309 digits.)
                    if y.abs() < 1e15 {
                        crate::column::format_number(*y)
                    } else {
                        format!("{y:e}")
                    }
                ))
                .at(at)
                .with_help("correct the cell: the year column holds four-digit years such as 2023"),
            ));
        }
    }
    Ok(())
}

/// Every row has an id, and no id repeats (within a year, when the data has years).
pub(super) fn check_duplicate_ids(
    c: &CompiledRules,
    table: &crate::data::Table,
    ids: &TextColumn,
    names: Option<&TextColumn>,
    years: Option<&[f64]>,
) -> Result<()> {
    let r = &c.rules;
    // Without years an id's dictionary code is the key: a vector, not a hash map.
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
            // A totals row of a statistical export: no id, `合计` in the name column.
            let caption = names
                .and_then(|t| t.get(i))
                .filter(|name| is_total_caption(name));
            let help = match caption {
                Some(name) => format!(
                    "this row has no id and its name is '{name}': it looks like a totals row; \
                     delete it (totals are not entities)"
                ),
                None => "every row needs an id".to_string(),
            };
            return Err(Error::one(
                data_error("the id is missing").at(at).with_help(help),
            ));
        }
        if years.is_none() {
            let first = &mut first_of_code[code as usize];
            if *first == u32::MAX {
                *first = i as u32;
            } else {
                dups.push((*first as usize, i));
                *first = i as u32;
            }
        }
    }
    if let Some(ys) = years {
        // Each row after an earlier row of the same id and year, paired with the latest such
        // row, in row order (as a scan with a map of (id, year) → last row pairs them).
        let index = RowsByKeyYear::new(&ids.codes, ys, ids.dict.len());
        for segment in index.segments() {
            for pair in segment.windows(2) {
                if pair[0].0 == pair[1].0 {
                    dups.push((pair[0].1 as usize, pair[1].1 as usize));
                }
            }
        }
        dups.sort_unstable_by_key(|&(_, later)| later);
    }
    if !dups.is_empty() {
        // The rows of each id (per year) together: pairs (2, 3), (3, 4) make rows 2, 3 and 4.
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of: HashMap<usize, usize> = HashMap::new();
        for &(a, b) in &dups {
            let g = *group_of.entry(a).or_insert_with(|| {
                groups.push(vec![a]);
                groups.len() - 1
            });
            groups[g].push(b);
            group_of.insert(b, g);
        }
        let list: Vec<String> = groups
            .iter()
            .take(20)
            .map(|rows| {
                // The first eight rows of an id, then how many more.
                const SHOWN: usize = 8;
                let id = match years {
                    Some(ys) => format!("'{}' ({})", ids.get(rows[0]).unwrap_or(""), ys[rows[0]]),
                    None => format!("'{}'", ids.get(rows[0]).unwrap_or("")),
                };
                let origins: Vec<(&str, usize)> =
                    rows.iter().take(SHOWN).map(|&r| table.origin(r)).collect();
                let file = origins[0].0;
                let one_file = origins.iter().all(|o| o.0 == file);
                let mut shown: Vec<String> = if one_file {
                    origins.iter().map(|o| o.1.to_string()).collect()
                } else {
                    origins
                        .iter()
                        .map(|(f, r)| format!("{f} row {r}"))
                        .collect()
                };
                if rows.len() > SHOWN {
                    shown.push(format!("{} more", rows.len() - SHOWN));
                }
                if one_file {
                    format!("{id} in {file} rows {}", crate::diag::and_list(&shown))
                } else {
                    format!("{id} in {}", crate::diag::and_list(&shown))
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
                if groups.len() > 20 {
                    format!(" and {} more", groups.len() - 20)
                } else {
                    String::new()
                }
            ))
            .with_help(
                // Codes typed as numbers in a workbook keep about 15 digits: two credit codes
                // that differ after that are one number, hence one id (the reader's warning
                // about such cells is not shown when the run stops here).
                match long_numbers_from_workbook(table, ids, &groups) {
                    Some(id) => format!(
                        "'{id}' is a number of 16 or more digits read from a workbook, which \
                         keeps about 15 significant digits of a number: codes typed as numbers \
                         lost their last digits, and different codes became one; format the id \
                         column as text in the workbook and enter the codes again (or export \
                         them as text)"
                    ),
                    None if years.is_some() => {
                        "each entity may appear once per year; remove or merge the duplicate rows"
                            .to_string()
                    }
                    None => "each entity may appear once; remove or merge the duplicate rows, \
                             or, if they are rows of different years, name the year column: \
                             [data] year_column = \"…\""
                        .to_string(),
                },
            ),
        ));
    }
    Ok(())
}

/// The first duplicated id (`groups`: rows of each) that is all digits, 16 or more, when
/// some data file is a workbook: most likely a code typed as a number, cut to 15 digits.
fn long_numbers_from_workbook<'t>(
    table: &crate::data::Table,
    ids: &'t TextColumn,
    groups: &[Vec<usize>],
) -> Option<&'t str> {
    if !table.files.iter().any(|f| f.encoding == "xlsx") {
        return None;
    }
    groups
        .iter()
        .filter_map(|rows| ids.get(rows[0]))
        .find(|id| id.len() >= 16 && id.bytes().all(|b| b.is_ascii_digit()))
}

/// Data columns without a single value that an expression compares with a text literal
/// (`tier == 'pass'` on a chained output where no member reached the tier). Such a column
/// was typed a number (no cell said otherwise), which made the comparison a type error;
/// as an empty text column the comparison is simply false, as with any missing operand.
/// Written by hand: a walk of the rules' own expression trees.
pub(super) fn empty_columns_compared_with_text(
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

/// A bare name that is a criterion or dimension id in a formula or an exclude gate, where the
/// data has a column of that name. SPEC §12 makes it an error (scores do not exist yet; the
/// column is written in backticks), and so it is, with one exception: in the formula of an
/// indicator that the named criterion (or a criterion of the named dimension) itself scores,
/// through any chain of formulas, the points would be a cycle, so only the data column can be
/// meant. That is read as the column, with a warning: the shared perf yardstick's
/// `rd_staff_share = rd_staff / employees * 100`, scored by criterion `rd_staff`, relies on it
/// (docs/rules.md). Under `[aggregate]` member-level formulas are left to the binder.
pub(super) fn score_ids_read_as_columns(
    c: &CompiledRules,
    headers: &[String],
    warnings: &mut Vec<String>,
) -> Result<()> {
    let errors = score_ids_before_scoring(c, Some(headers), warnings);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::many(errors))
    }
}

/// The errors of [`score_ids_read_as_columns`] that no data can avoid: with `headers` `None`
/// every name is taken to be a column too, so what is left are the names that are not the
/// formula cycle of SPEC §12's exception. `compile` reports them, so `check` exits 1 on
/// rules `score` would always stop on.
pub(in crate::engine) fn score_ids_before_scoring(
    c: &CompiledRules,
    headers: Option<&[String]>,
    warnings: &mut Vec<String>,
) -> Vec<crate::diag::Diagnostic> {
    let r = &c.rules;
    // The formulas reading each indicator directly (names folded as the binder reads them);
    // then, per indicator, the indicators whose formulas read it, directly or through
    // others: a walk over those edges, linear in the formulas and their names.
    let index: std::collections::HashMap<&str, usize> = r
        .indicators
        .iter()
        .enumerate()
        .map(|(k, x)| (x.id.value.as_str(), k))
        .collect();
    let mut readers: Vec<Vec<usize>> = vec![Vec::new(); r.indicators.len()];
    for (j, p) in c.indicator_exprs.iter().enumerate() {
        let Some(p) = p else { continue };
        for (n, quoted, _) in crate::expr::names(&p.ast) {
            if !quoted && let Some(&k) = index.get(crate::data::cell::fold_width(&n).as_ref()) {
                readers[k].push(j);
            }
        }
    }
    let reads_of = |i: usize| -> Vec<bool> {
        let mut reads = vec![false; r.indicators.len()];
        reads[i] = true;
        let mut next = vec![i];
        while let Some(k) = next.pop() {
            for &j in &readers[k] {
                if !reads[j] {
                    reads[j] = true;
                    next.push(j);
                }
            }
        }
        reads
    };
    let mut said: Vec<String> = Vec::new();
    let mut errors = Vec::new();
    let places = c
        .indicator_exprs
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some((Some(i), p.as_ref()?)))
        .filter(|(_, p)| p.place == ExprPlace::Formula && r.aggregate.is_none())
        .chain(
            c.gate_exprs
                .iter()
                .filter(|p| p.place == ExprPlace::ExcludeGate)
                .map(|p| (None, p)),
        );
    for (formula_of, p) in places {
        // The indicators that read this formula's (none for a gate), walked when a name
        // asks.
        let mut reads: Option<Vec<bool>> = None;
        for (written, quoted, at) in crate::expr::names(&p.ast) {
            // (A name typed in full-width letters is the id it folds to, as the binder reads it.)
            let name = crate::data::cell::fold_width(&written).into_owned();
            if quoted
                || r.indicator(&name).is_some()
                || headers.is_some_and(|h| !h.contains(&fold_header(&name)))
            {
                continue;
            }
            let (what, scored) = if let Some(k) = r.criteria.iter().position(|k| k.id.value == name)
            {
                ("criterion", vec![c.criterion_indicator[k]])
            } else if let Some(d) = r.dimensions.iter().position(|d| d.id.value == name) {
                let scored = (0..r.criteria.len())
                    .filter(|&k| c.criterion_dimension[k] == d)
                    .map(|k| c.criterion_indicator[k])
                    .collect();
                ("dimension", scored)
            } else {
                continue;
            };
            let cycle = formula_of.is_some_and(|i| {
                let reads = reads.get_or_insert_with(|| reads_of(i));
                scored.iter().any(|&k| reads[k])
            });
            if !cycle {
                let what_is = r.scored_value_of(&name).unwrap_or_default();
                errors.push(crate::engine::expr_diag(
                    &r.source,
                    &p.text,
                    &p.what,
                    at,
                    &format!(
                        "'{written}' is {what_is}, which does not exist yet here; a bare name means the {what} even where the data has a column '{name}'"
                    ),
                    Some(format!(
                        "for the data column write `{written}` in backticks; scores exist only in tier requires/direct, capping gates and (without `score`) adjustments"
                    )),
                ));
                continue;
            }
            if said.contains(&name) {
                continue;
            }
            warnings.push(format!(
                "{} reads '{name}' as the data column: '{name}' is also a {what} id, whose points depend on this formula, so only the column can be meant; write `{name}` in backticks to say so, or rename the {what}",
                p.what
            ));
            said.push(name);
        }
    }
    errors
}

/// `file:line:col` of the part `inner` of expression `p` in the rules file (the whole
/// expression's place when `inner` cannot be mapped), for warnings that point into a rule.
fn expression_place(
    r: &crate::rules::Rules,
    p: &super::super::ParsedExpr,
    inner: crate::diag::Span,
) -> String {
    let span = crate::rules::expression_span(&r.source.text, p.text.span, &p.text.value, inner)
        .unwrap_or(p.text.span);
    let (line, col) = r.source.line_col(span.start);
    format!("{}:{line}:{col}", r.source.name)
}

/// Warns where an expression compares a text column with a literal that no cell of the
/// column holds, in any row read: `集群级别 == '国家'` where the cells say 国家级, or
/// `tier == '专精特新'` (a tier's label) over a chained output that holds tier ids. The
/// comparison is then false for every row (true with `!=`), which is rarely what the rule
/// meant. The warning names cells that contain the literal (`国家级（2022年认定）`), else
/// the column's values when they are few, and another text column that holds it.
/// Written by hand: a walk of the rules' own expression trees.
pub(super) fn warn_text_literals_in_no_cell(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &Frame<'_>,
    warnings: &mut Vec<String>,
) {
    use crate::expr::{BinaryOp, ExprKind};
    let r = &c.rules;
    let headers = &table.headers;
    // The data column a name reads: a column, or a category indicator's column.
    let column_of = |e: &crate::expr::Expr| -> Option<usize> {
        let ExprKind::Name { name, quoted } = &e.kind else {
            return None;
        };
        let header = if *quoted {
            fold_header(name)
        } else if let Some(ind) = r.indicator(name) {
            match (&ind.kind, &ind.source) {
                (Kind::Category, Source::Column(col)) => fold_header(&col.value),
                _ => return None,
            }
        } else if r.dimensions.iter().any(|d| d.id.value == *name)
            || r.criteria.iter().any(|k| k.id.value == *name)
        {
            return None;
        } else {
            fold_header(name)
        };
        headers.iter().position(|h| *h == header)
    };
    let text_at = |j: usize| match rows.get(j) {
        Some(Column::Text(t)) => Some(t),
        _ => None,
    };
    let mut said: Vec<(usize, String)> = Vec::new();
    for p in c.all_exprs() {
        crate::expr::walk(&p.ast, &mut |e| {
            let ExprKind::Binary {
                op: op @ (BinaryOp::Eq | BinaryOp::Ne),
                lhs,
                rhs,
            } = &e.kind
            else {
                return;
            };
            for (a, b) in [(lhs, rhs), (rhs, lhs)] {
                let ExprKind::Text(lit) = &b.kind else {
                    continue;
                };
                let Some(j) = column_of(a) else { continue };
                let Some(t) = text_at(j) else { continue };
                // An empty column says nothing about its values (other warnings name it).
                if t.dict.is_empty()
                    || lit.is_empty()
                    || said.iter().any(|(k, l)| *k == j && l == lit)
                {
                    continue;
                }
                let written = table.written_header(j);
                let at = expression_place(r, p, b.span);
                let row_of = |code: usize| t.first_row(code).map(|i| table.origin(i).1);
                let cells_with = |keep: &dyn Fn(&str) -> bool| -> Vec<String> {
                    t.dict
                        .iter()
                        .enumerate()
                        .filter(|(_, d)| *d != lit.as_str() && keep(d))
                        .take(5)
                        .filter_map(|(code, d)| {
                            Some(format!(
                                "'{}' (row {})",
                                crate::diag::truncate(d, 40),
                                row_of(code)?
                            ))
                        })
                        .collect()
                };
                let lit_shown = crate::diag::truncate(lit, 40);
                if t.dict.iter().any(|d| d == lit.as_str()) {
                    // Present: cells that only begin with it (`是（2022年认定）`, `国家级（2022年）`)
                    // are likely the same value with a remark, and do not match.
                    // (A remark follows a bracket, a space or a stop: `A+` and `AA` are
                    // grades of their own.)
                    let variants = cells_with(&|d: &str| {
                        d.strip_prefix(lit.as_str())
                            .is_some_and(|rest| rest.starts_with(crate::data::cell::REMARK_STARTS))
                    });
                    if !variants.is_empty() {
                        said.push((j, lit.clone()));
                        warnings.push(format!(
                            "{at}: {} compares column '{written}' with '{lit_shown}', \
                             and cells that only begin with '{lit_shown}' do not match it: {}; \
                             if they mean '{lit_shown}', write them so (a remark goes in a column \
                             of its own)",
                            p.what,
                            variants.join(", "),
                        ));
                    }
                    continue;
                }
                said.push((j, lit.clone()));
                let containing = cells_with(&|d: &str| d.contains(lit.as_str()));
                // A value simply absent this year (a veto on '撤销' when nobody was revoked)
                // is no slip: warned of only when a cell contains the text or is spelled
                // close to it, or when the column is a chained output's tier ids (a tier's
                // label compared with them).
                let close = crate::diag::did_you_mean(lit, t.dict.iter());
                if containing.is_empty() && close.is_none() && headers[j] != "tier" {
                    continue;
                }
                let values = if !containing.is_empty() {
                    format!(
                        "cells that contain it: {}; a comparison matches whole cells only",
                        containing.join(", ")
                    )
                } else if let Some(c) = close.filter(|_| t.dict.len() > 12) {
                    format!("did you mean '{}'?", crate::diag::truncate(&c, 40))
                } else if t.dict.len() <= 12 {
                    let v: Vec<String> = t
                        .dict
                        .iter()
                        .map(|d| format!("'{}'", crate::diag::truncate(d, 40)))
                        .collect();
                    format!("its values are {}", v.join(", "))
                } else {
                    format!("it holds {} other values", t.dict.len())
                };
                // The literal in another text column (a tier label in `tier_label`).
                let elsewhere = (0..headers.len())
                    .filter(|&k| k != j)
                    .find(|&k| text_at(k).is_some_and(|o| o.dict.iter().any(|d| d == lit.as_str())))
                    .map(|k| {
                        format!(
                            "; '{lit}' is a value of column '{}'",
                            table.written_header(k)
                        )
                    })
                    .unwrap_or_default();
                warnings.push(format!(
                    "{at}: {} compares column '{written}' with '{lit_shown}', which no cell of \
                     the column holds, so the comparison is {} for every row: \
                     {values}{elsewhere}",
                    p.what,
                    if *op == BinaryOp::Eq { "false" } else { "true" },
                ));
            }
        });
    }
}

/// Warns where `is_missing()` reads a column of numbers that a few words made text (`/`,
/// `未报送`, `无数据`): those words are values, so `is_missing` is false for them and the
/// entity counts as having reported, where every other use of the column stops at them.
/// Written by hand: a walk of the rules' own expression trees.
pub(super) fn warn_is_missing_on_words(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &Frame<'_>,
    warnings: &mut Vec<String>,
) {
    use crate::data::cell::{normalise_cell, parse_number};
    use crate::expr::ExprKind;
    const FEW: usize = 5;
    let r = &c.rules;
    let mut said: Vec<usize> = Vec::new();
    for p in c.all_exprs() {
        crate::expr::walk(&p.ast, &mut |e| {
            let ExprKind::Call { name, args, .. } = &e.kind else {
                return;
            };
            if name != "is_missing" || args.len() != 1 {
                return;
            }
            let ExprKind::Name { name, quoted } = &args[0].kind else {
                return;
            };
            if !quoted && r.indicator(name).is_some() {
                return;
            }
            let Some(j) = table.column_index(&fold_header(name)) else {
                return;
            };
            let Some(Column::Text(t)) = rows.get(j) else {
                return;
            };
            if said.contains(&j) {
                return;
            }
            let mut numbers = 0usize;
            let mut words: Vec<usize> = Vec::new();
            for (code, d) in t.dict.iter().enumerate() {
                if parse_number(&normalise_cell(d)).is_some() {
                    numbers += 1;
                } else {
                    words.push(code);
                    if words.len() > FEW {
                        return;
                    }
                }
            }
            if words.is_empty() || numbers < words.len() {
                return;
            }
            said.push(j);
            let cells: Vec<String> = words
                .iter()
                .filter_map(|&code| {
                    let i = t.first_row(code)?;
                    Some(format!(
                        "'{}' (row {})",
                        crate::diag::truncate(&t.dict[code], 40),
                        table.origin(i).1
                    ))
                })
                .collect();
            warnings.push(format!(
                "{}: {} reads is_missing(`{}`), which is false for {}: texts in a column of \
                 numbers, so they count as values; if they mean no data, list them in \
                 missing_markers under [data]",
                expression_place(r, p, e.span),
                p.what,
                table.written_header(j),
                cells.join(", "),
            ));
        });
    }
}

/// Warns of a data column that the criteria, indicators or conditions read and that has no
/// value in any row: an unfilled template column, or a header that names the wrong one.
/// Every entity then meets a missing value there (a gate excludes them all, a bonus applies
/// to none), and the per-rule warnings that follow do not say why.
pub(super) fn warn_empty_columns(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &Frame<'_>,
    warnings: &mut Vec<String>,
) {
    let r = &c.rules;
    let mut read: Vec<String> = Vec::new();
    for ind in &r.indicators {
        if let Source::Column(col) = &ind.source {
            read.push(fold_header(&col.value));
        }
    }
    for p in c.all_exprs() {
        for (name, quoted, _) in crate::expr::names(&p.ast) {
            if quoted || r.indicator(&name).is_none() {
                read.push(fold_header(&name));
            }
        }
    }
    read.sort_unstable();
    read.dedup();
    for h in &read {
        let Some(j) = table.column_index(h) else {
            continue;
        };
        let Some(col) = rows.get(j) else { continue };
        if col.is_empty() || !(0..col.len()).all(|i| col.is_missing(i)) {
            continue;
        }
        warnings.push(format!(
            "column '{}' has no value in any of its {} rows: every rule that reads it meets a \
             missing value for every entity; fill the column, or check that the rules name the \
             right one",
            table.written_header(j),
            col.len()
        ));
    }
}

/// Under `[aggregate]`: member rows of the scored year whose id or label reads as a totals
/// caption (`合计`). Summed into their entity like any member, they count its members twice.
pub(super) fn warn_total_members(
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
            let at = table.file_row(i);
            warnings.push(format!(
                "{at}: member '{caption}' looks like a totals row, yet under [aggregate] it is summed into its entity like any member (its members counted twice); delete the row"
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
pub(super) fn look_alike_key(s: &str) -> String {
    fold_header(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// A look-alike key for a text that reads as a number: the number (`1`, `1.0` and `001` are
/// one), marked so that no text's key equals it.
fn number_key(text: &str) -> Option<String> {
    use crate::data::cell::{normalise_cell, parse_number};
    parse_number(&normalise_cell(text)).map(|x| format!("\u{0}{}", format_number(x)))
}

/// Groups of distinct values of `cat` that are most likely one value typed two ways: equal
/// up to width, case and spacing (`Ａ类`, `A类`), or equal as numbers (`1`, `1.0`). Each
/// group and the groups are in code-point order of the texts (dictionary codes follow the
/// rows), so the same data in another row order gives the same groups.
pub(super) fn look_alike_groups(cat: &TextColumn) -> Vec<Vec<usize>> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (code, text) in cat.dict.iter().enumerate() {
        let key = number_key(text).unwrap_or_else(|| look_alike_key(text));
        groups.entry(key).or_default().push(code);
    }
    let mut alike: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() > 1).collect();
    for g in &mut alike {
        g.sort_by(|&a, &b| cat.dict[a].cmp(&cat.dict[b]));
    }
    alike.sort_by(|a, b| cat.dict[a[0]].cmp(&cat.dict[b[0]]));
    alike
}

/// Whether `longer` is `shorter` with a suffix that names the same thing more fully
/// (`东部地区`, `东部省份` for `东部`), and not one that turns it into something else
/// (`省级以下`, `东部以外`) or a word of its own (`装备制造业` does not begin with `制造业`).
/// For a value with a non-ASCII character of two or more: `C10` is not `C1` written out.
pub(super) fn names_more_fully(shorter: &str, longer: &str) -> bool {
    let (ks, kl) = (look_alike_key(shorter), look_alike_key(longer));
    if ks.is_ascii() || ks.chars().count() < 2 || ks == kl {
        return false;
    }
    match kl.strip_prefix(ks.as_str()) {
        Some(rest) => ![
            "以下", "以上", "以外", "之外", "除外", "外", "以内", "内", "不",
        ]
        .iter()
        .any(|q| rest.starts_with(q)),
        None => false,
    }
}

/// Pairs (shorter, longer) of distinct values of `cat` where the longer names the shorter
/// more fully ([`names_more_fully`]: `东部` and `东部地区`): likely one group written two
/// ways. Skipped above 500 distinct values (a comparison of every pair). In code-point
/// order.
pub(super) fn containing_pairs(cat: &TextColumn) -> Vec<(usize, usize)> {
    if cat.dict.len() > 500 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (a, ka) in cat.dict.iter().enumerate() {
        for (b, kb) in cat.dict.iter().enumerate() {
            if a != b && names_more_fully(ka, kb) {
                out.push((a, b));
            }
        }
    }
    out.sort_by(|x, y| (&cat.dict[x.0], &cat.dict[x.1]).cmp(&(&cat.dict[y.0], &cat.dict[y.1])));
    out
}

/// How many rows hold each distinct value of `cat`.
pub(super) fn value_counts(cat: &TextColumn) -> Vec<usize> {
    let mut count = vec![0usize; cat.dict.len()];
    for &code in &cat.codes {
        if code != TextColumn::MISSING {
            count[code as usize] += 1;
        }
    }
    count
}

/// Look-alike groups of values, at most this many warned of one by one (a column of
/// 100,000 ids each written twice would otherwise print 100,000 warnings).
pub(super) const LOOK_ALIKE_SHOWN: usize = 10;

/// `'a' (2 entities), 'b' (1 entity) and 'c' (1 entity)`: values with how many rows hold
/// them (`count`: [`value_counts`]), `what` naming the rows.
pub(super) fn values_with_counts(
    cat: &TextColumn,
    count: &[usize],
    codes: &[usize],
    what: &dyn Fn(usize) -> String,
) -> String {
    let shown: Vec<String> = codes
        .iter()
        .map(|&k| {
            format!(
                "'{}' ({})",
                crate::diag::truncate(&cat.dict[k], 40),
                what(count[k])
            )
        })
        .collect();
    match shown.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => shown.join(""),
    }
}

/// Per distinct text of `t`, whether it reads as a totals caption; `None` when none does
/// (the usual case, decided without a look at the rows).
pub(super) fn total_captions(t: &TextColumn) -> Option<Vec<bool>> {
    texts_that(t, is_total_caption)
}

/// Per distinct text of `t`, whether `reads_so`; `None` when no text does. On all cores: a
/// national file has a million distinct ids and as many names.
fn texts_that(t: &TextColumn, reads_so: fn(&str) -> bool) -> Option<Vec<bool>> {
    use rayon::prelude::*;
    let flags: Vec<bool> = (0..t.dict.len())
        .into_par_iter()
        .with_min_len(1 << 14)
        .map(|k| reads_so(&t.dict[k]))
        .collect();
    flags.contains(&true).then_some(flags)
}

/// The caption at `row` of `t`, when its text is one (`captions` from [`total_captions`]).
pub(super) fn total_caption_at<'t>(
    t: &'t TextColumn,
    captions: &[bool],
    row: usize,
) -> Option<&'t str> {
    let code = t.codes[row];
    (code != TextColumn::MISSING && captions[code as usize]).then(|| &t.dict[code as usize])
}

/// Criteria whose thresholds and data look written in two scales: fractions
/// (`target = 0.05`) against cells written with `%` (read as written: `4.5%` is 4.5),
/// thresholds in percent against a `%` indicator whose cells are all fractions (`0.045`),
/// or values a hundred times or more past every threshold (a column in 元 against
/// thresholds in 万元). Each way nearly every entity lands past the thresholds (or short of
/// them) and the criterion stops telling entities apart, with nothing else to say so.
pub(super) fn percent_scale_warnings(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &Frame<'_>,
    in_year: Option<&[usize]>,
) -> Vec<String> {
    let r = &c.rules;
    let mut said = Vec::new();
    for cr in &r.criteria {
        let Some(ind) = r
            .indicators
            .iter()
            .find(|i| i.id.value == cr.indicator.value)
        else {
            continue;
        };
        let Source::Column(col) = &ind.source else {
            continue;
        };
        let params: Vec<&Param> = match &cr.method {
            Method::Bands(bands) => bands.iter().map(|b| &b.threshold).collect(),
            Method::Linear { floor, target } => vec![floor, target],
            Method::Target { target } => vec![target],
            Method::Per { step, .. } => vec![step],
            _ => continue,
        };
        let Some(thresholds) = params
            .iter()
            .map(|p| match p {
                Param::Fixed(x) => Some(*x),
                Param::ByCategory { .. } => None,
            })
            .collect::<Option<Vec<f64>>>()
        else {
            continue;
        };
        let largest = thresholds.iter().fold(0.0f64, |m, t| m.max(t.abs()));
        let Some(j) = table.column_index(&fold_header(&col.value)) else {
            continue;
        };
        let Some(Column::Number(values)) = rows.get(j) else {
            continue;
        };
        let values = &*scored_values(values, in_year);
        let shown = thresholds
            .iter()
            .map(|&t| format_number(t))
            .collect::<Vec<_>>()
            .join(", ");
        let percent_row = table.first_percent_row(j);
        let plain = ind.multiply.is_none() && !matches!(cr.method, Method::Per { .. });
        if plain
            && let Some(row) = percent_row
            && largest > 0.0
            && largest < 1.0
            && mostly_one_or_more(values)
        {
            let percent = thresholds
                .iter()
                .map(|&t| crate::column::format_display(t * 100.0))
                .collect::<Vec<_>>()
                .join(", ");
            said.push(format!(
                "criterion '{}': its thresholds ({shown}) are fractions below 1, but {}, so most values are past them; if the thresholds are percentages, write them in percent ({percent})",
                cr.id.value,
                percent_cells(table, j, row)
            ));
        } else if plain
            && percent_row.is_none()
            && in_percent(ind)
            && largest > 1.0
            && only_fractions(values)
        {
            said.push(format!(
                "criterion '{}': indicator '{}' is in % and its thresholds ({shown}) go above 1, but every value in column \"{}\" is between -1 and 1: if the column holds fractions (0.045 for 4.5%), read it in percent with multiply = 100 on the indicator",
                cr.id.value,
                ind.id.value,
                table.written_header(j)
            ));
        } else if cr.transform.is_none()
            && let Some(m) =
                magnitude_apart(&thresholds, values, ind.multiply.as_ref().map(|m| m.value))
        {
            said.push(magnitude_message(
                cr,
                ind,
                &shown,
                table.written_header(j),
                &m,
            ));
        }
    }
    said
}

/// Conditions (gates, adjustments, tier `requires` and `direct`) that compare a column whose
/// cells are written with `%` (read in percent units: `4.5%` is 4.5) with a fraction below 1
/// (`rd >= 0.03`): most values are past it, so the condition holds (or fails) for nearly
/// every entity, as [`percent_scale_warnings`] says of criteria.
pub(super) fn percent_condition_warnings(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &Frame<'_>,
    in_year: Option<&[usize]>,
) -> Vec<String> {
    use crate::expr::{BinaryOp, ExprKind};
    let r = &c.rules;
    let conditions = r.conditions(|_| true);
    // The data column a name reads: a column indicator without `multiply`, or the column
    // itself when no indicator, criterion or dimension has that name.
    let column_of = |name: &str, quoted: bool| -> Option<usize> {
        let header = if quoted {
            name.to_string()
        } else if let Some(ind) = r.indicators.iter().find(|i| i.id.value == name) {
            match (&ind.source, &ind.multiply) {
                (Source::Column(col), None) => col.value.clone(),
                _ => return None,
            }
        } else if r.criteria.iter().any(|x| x.id.value == name)
            || r.dimensions.iter().any(|x| x.id.value == name)
        {
            return None;
        } else {
            name.to_string()
        };
        table.column_index(&fold_header(&header))
    };
    // A column indicator in % read without `multiply` (a bare name, not a backticked column).
    let percent_indicator = |name: &str| {
        r.indicators.iter().find(|i| {
            i.id.value == name
                && i.multiply.is_none()
                && matches!(i.source, Source::Column(_))
                && in_percent(i)
        })
    };
    let mut said = Vec::new();
    for (place, text) in conditions {
        let Ok(ast) = crate::expr::parse(&text.value) else {
            continue;
        };
        let mut found: Vec<(crate::diag::Span, usize, f64)> = Vec::new();
        let mut in_fractions: Vec<(crate::diag::Span, usize, f64, &crate::rules::Indicator)> =
            Vec::new();
        crate::expr::walk(&ast, &mut |e| {
            let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
                return;
            };
            if !matches!(
                op,
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
            ) {
                return;
            }
            // A number literal, negated or not (`-0.5` is parsed as `-(0.5)`).
            let number = |x: &crate::expr::Expr| match &x.kind {
                ExprKind::Number(t) => Some(*t),
                ExprKind::Unary {
                    op: crate::expr::UnaryOp::Neg,
                    expr,
                } => match expr.kind {
                    ExprKind::Number(t) => Some(-t),
                    _ => None,
                },
                _ => None,
            };
            let (name, number) = match (&lhs.kind, &rhs.kind, number(lhs), number(rhs)) {
                (ExprKind::Name { name, quoted }, _, _, Some(t))
                | (_, ExprKind::Name { name, quoted }, Some(t), _) => ((name, *quoted), t),
                _ => return,
            };
            if number == 0.0 {
                return;
            }
            if number.abs() < 1.0 {
                if let Some(j) = column_of(name.0, name.1) {
                    found.push((e.span, j, number));
                }
            } else if number.abs() > 1.0
                && !name.1
                && let Some(ind) = percent_indicator(name.0)
                && let Source::Column(col) = &ind.source
                && let Some(j) = table.column_index(&fold_header(&col.value))
            {
                in_fractions.push((e.span, j, number, ind));
            }
        });
        // Percent thresholds against a `%` indicator whose cells are all fractions (0.82 for
        // 82%, pasted without the % format): the condition fails (or holds) for everyone.
        for (span, j, t, ind) in in_fractions {
            let Some(Column::Number(values)) = rows.get(j) else {
                continue;
            };
            if table.first_percent_row(j).is_some()
                || !only_fractions(&scored_values(values, in_year))
            {
                continue;
            }
            let written = text.value.get(span.start..span.end).unwrap_or(&text.value);
            said.push(format!(
                "{place}: `{}` compares indicator '{}', in %, with {}, but every value in column \"{}\" is between -1 and 1, so the comparison comes out the same for every entity; if the column holds fractions (0.045 for 4.5%), read it in percent with multiply = 100 on the indicator",
                crate::diag::truncate(written, 80),
                ind.id.value,
                format_number(t),
                table.written_header(j)
            ));
        }
        for (span, j, t) in found {
            let Some(Column::Number(values)) = rows.get(j) else {
                continue;
            };
            let Some(row) = table.first_percent_row(j) else {
                continue;
            };
            if !mostly_one_or_more(&scored_values(values, in_year)) {
                continue;
            }
            let written = text.value.get(span.start..span.end).unwrap_or(&text.value);
            said.push(format!(
                "{place}: `{}` compares with {}, a fraction below 1, but {}, so most values are past it; if {} is a percentage, write {}",
                crate::diag::truncate(written, 80),
                format_number(t),
                percent_cells(table, j, row),
                format_number(t),
                crate::column::format_display(t * 100.0)
            ));
        }
    }
    said
}

/// `column "rd" holds numbers written with % (…; the first at data.csv row 2)`: what the
/// percent warnings of criteria and conditions say of column `j`, whose first `%` cell is
/// at table row `row`.
fn percent_cells(table: &crate::data::Table, j: usize, row: usize) -> String {
    let (path, line) = table.origin(row);
    // The first such cell, as written and as read (`45%` is 45).
    let first = match table.columns.get(j) {
        Some(Some(Column::Number(x))) => x.get(row).filter(|v| v.is_finite()).map(|&v| {
            let v = crate::column::format_display(v);
            format!("{v}% at {path} row {line}, is {v}")
        }),
        _ => None,
    }
    .unwrap_or_else(|| format!("at {path} row {line}"));
    format!(
        "column \"{}\" holds numbers written with % (read in percent units: the first, {first})",
        table.written_header(j)
    )
}

/// Whether an indicator says its unit is per cent (`unit = "%"`).
fn in_percent(ind: &crate::rules::Indicator) -> bool {
    ind.unit
        .as_deref()
        .is_some_and(|u| matches!(u.trim(), "%" | "％"))
}

/// The values of the rows scored: all of them, or the scored year's (`in_year`) in
/// multi-year data.
fn scored_values<'a>(values: &'a [f64], in_year: Option<&[usize]>) -> Cow<'a, [f64]> {
    match in_year {
        None => Cow::Borrowed(values),
        Some(rows) => Cow::Owned(rows.iter().map(|&r| values[r]).collect()),
    }
}

/// Whether every reported value (not missing) lies between -1 and 1, and some is not 0:
/// a column of fractions (0.045), where a `%` indicator expects 4.5.
fn only_fractions(values: &[f64]) -> bool {
    let mut reported = values.iter().filter(|v| !v.is_nan());
    reported.clone().any(|v| *v != 0.0) && reported.all(|v| v.abs() <= 1.0)
}

/// Whether most of the reported values (not missing) are 1 or more in size: percentages
/// written with `%` (4.5% is 4.5), not fractions.
fn mostly_one_or_more(values: &[f64]) -> bool {
    let reported = values.iter().filter(|v| !v.is_nan()).count();
    2 * values.iter().filter(|v| v.abs() >= 1.0).count() > reported
}

/// How far a column's values sit from a criterion's thresholds: `shift` powers of ten
/// (positive: the values are that much larger), from `past` of `counted` non-zero values
/// a hundred times or more beyond every threshold on that side.
struct Magnitude {
    shift: i32,
    past: usize,
    counted: usize,
    multiply: f64,
}

/// Whether at least nine in ten of the non-zero `values` (at least three; each times
/// `multiply`) are 100 times the largest non-zero threshold or more, or a hundredth of the
/// smallest or less. Zeros say nothing of a unit and are left out.
fn magnitude_apart(thresholds: &[f64], values: &[f64], multiply: Option<f64>) -> Option<Magnitude> {
    let m = multiply.unwrap_or(1.0);
    let nonzero = thresholds.iter().filter(|t| **t != 0.0).map(|t| t.abs());
    let hi = nonzero.clone().fold(0.0f64, f64::max);
    let lo = nonzero.fold(f64::INFINITY, f64::min);
    if hi == 0.0 {
        return None;
    }
    let sizes = || {
        values
            .iter()
            .map(move |v| (v * m).abs())
            .filter(|v| v.is_finite() && *v != 0.0)
    };
    // Counting first, without branches (compares only: it runs on every scoring run; a
    // missing value's NaN fails each compare, and a cell cannot hold infinity); the
    // logarithms only for a warning.
    let (high, low) = (100.0 * hi, lo / 100.0);
    let count = |values: &mut dyn Iterator<Item = &f64>| {
        values.fold((0usize, 0usize, 0usize), |(n, a, b), v| {
            let v = (v * m).abs();
            (
                n + usize::from(v > 0.0),
                a + usize::from(v >= high),
                b + usize::from(v > 0.0 && v <= low),
            )
        })
    };
    // A national file's column is first looked at in 4,096 evenly spaced rows: when fewer
    // than eight in ten of those are far off, nine in ten of all cannot reasonably be, and
    // the pass over every row (80 MB a criterion at 10⁷ rows) is saved.
    if values.len() > 1 << 16 {
        let (n, a, b) = count(&mut values.iter().step_by(values.len() / 4096));
        if 10 * a < 8 * n && 10 * b < 8 * n {
            return None;
        }
    }
    let (counted, above, below) = count(&mut values.iter());
    if counted < 3 || (10 * above < 9 * counted && 10 * below < 9 * counted) {
        return None;
    }
    // How far: the mean of the values' logarithms against the thresholds' middle, a guess
    // good to a power of ten either way, so it is read as the nearest of the steps units
    // take in Chinese statistics: 百 (10², percent), 万 (10⁴: 元 to 万元, 人 to 万人), 亿
    // (10⁸: 元 to 亿元).
    let mean_log = sizes().map(f64::log10).sum::<f64>() / counted as f64;
    let apart = mean_log - (lo.log10() + hi.log10()) / 2.0;
    let step = match apart.abs() {
        a if a < 3.0 => 2,
        a if a < 6.0 => 4,
        a if a < 10.0 => 8,
        a => a.round() as i32,
    };
    let shift = if apart < 0.0 { -step } else { step };
    let (past, shift) = if 10 * above >= 9 * counted {
        (above, shift.abs())
    } else {
        (below, -shift.abs())
    };
    Some(Magnitude {
        shift,
        past,
        counted,
        multiply: m * 10f64.powi(-shift),
    })
}

/// The warning for [`magnitude_apart`]: how far, how many, and the `multiply` that brings
/// the values to the thresholds' scale, naming the units when the indicator's has a
/// magnitude prefix (`万元`: a column in 元).
fn magnitude_message(
    cr: &crate::rules::Criterion,
    ind: &crate::rules::Indicator,
    shown: &str,
    header: &str,
    m: &Magnitude,
) -> String {
    let power = |k: i32| {
        let digits: String = k
            .unsigned_abs()
            .to_string()
            .chars()
            .map(|d| {
                "⁰¹²³⁴⁵⁶⁷⁸⁹"
                    .chars()
                    .nth(d as usize - '0' as usize)
                    .unwrap_or(d)
            })
            .collect();
        format!("10{digits}")
    };
    let (how, side) = if m.shift > 0 {
        (
            format!("about {} times", power(m.shift)),
            "100 times the largest or more",
        )
    } else {
        (
            format!("about 1/{} of", power(m.shift)),
            "a hundredth of the smallest or less",
        )
    };
    // `target` scores from 0 in proportion: values far below it are told apart, each paid a
    // hundredth of the points or less; every other method pays such values alike (the
    // band, floor or step they are all on the same side of).
    let effect = if m.shift < 0 && matches!(cr.method, crate::rules::Method::Target { .. }) {
        "so the criterion pays each of them a hundredth of its points or less"
    } else {
        "so the criterion scores them all alike"
    };
    // The column's unit the shift implies, from the indicator's (万元 and 10⁴ larger: 元).
    let units = ind
        .unit
        .as_deref()
        .and_then(crate::rules::lint::unit_scale)
        .and_then(|(f, base)| {
            let prefix = match f / 10f64.powi(m.shift) {
                x if (x - 1.0).abs() < 1e-9 => "",
                x if (x - 1e3).abs() < 1e-6 => "千",
                x if (x - 1e4).abs() < 1e-6 => "万",
                x if (x - 1e6).abs() < 1e-3 => "百万",
                x if (x - 1e8).abs() < 1e-1 => "亿",
                _ => return None,
            };
            Some(format!(
                " (the column in {prefix}{base}, the thresholds in {})",
                ind.unit.as_deref().unwrap_or("").trim()
            ))
        })
        .unwrap_or_default();
    format!(
        "criterion '{}': the values of column \"{header}\" are {how} its thresholds ({shown}): {} of the {} non-zero values are {side}, {effect}; if the column is in another unit than the thresholds{units}, give indicator '{}' multiply = {}",
        cr.id.value,
        m.past,
        m.counted,
        ind.id.value,
        crate::column::format_display(m.multiply)
    )
}

/// Groups of distinct ids among `rows` of `ids` that differ only in width, case or spacing
/// (`91370100MA3C000002` and the same code typed with a full-width input method, `b` and
/// `B`): each group in code-point order, the groups too. Empty at once when every id is
/// ASCII without lower-case letters or white space (no two such ids look alike), the usual
/// case of registration codes.
pub(super) fn look_alike_ids(ids: &TextColumn, rows: &[usize]) -> Vec<Vec<u32>> {
    use rayon::prelude::*;
    let plain = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii() && !b.is_ascii_lowercase() && !b.is_ascii_whitespace())
    };
    if (0..ids.dict.len())
        .into_par_iter()
        .with_min_len(1 << 14)
        .all(|k| plain(&ids.dict[k]))
    {
        return Vec::new();
    }
    let mut used = vec![false; ids.dict.len()];
    for &r in rows {
        if let Some(u) = used.get_mut(ids.codes[r] as usize) {
            *u = true;
        }
    }
    // Each id's look-alike key by its 64-bit FNV-1a hash, without building the key for the
    // ids in ASCII without white space (their key is their lower case); ids of one hash are
    // then compared by their keys (a hash shared by different keys is split again).
    let fnv = |bytes: &mut dyn Iterator<Item = u8>| {
        bytes.fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        })
    };
    let mut hashed: Vec<(u64, u32)> = (0..ids.dict.len())
        .into_par_iter()
        .with_min_len(1 << 12)
        .filter(|&k| used[k])
        .map(|k| {
            let t = &ids.dict[k];
            let h = if t.bytes().all(|b| b.is_ascii() && !b.is_ascii_whitespace()) {
                fnv(&mut t.bytes().map(|b| b.to_ascii_lowercase()))
            } else {
                fnv(&mut look_alike_key(t).bytes())
            };
            (h, k as u32)
        })
        .collect();
    hashed.par_sort_unstable();
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for same_hash in hashed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
        let mut keyed: Vec<(String, u32)> = same_hash
            .iter()
            .map(|&(_, k)| (look_alike_key(&ids.dict[k as usize]), k))
            .collect();
        keyed.sort_unstable();
        for g in keyed.chunk_by(|a, b| a.0 == b.0).filter(|g| g.len() > 1) {
            let mut codes: Vec<u32> = g.iter().map(|&(_, k)| k).collect();
            codes.sort_by(|&a, &b| ids.dict[a as usize].cmp(&ids.dict[b as usize]));
            groups.push(codes);
        }
    }
    groups.sort_by(|a, b| ids.dict[a[0] as usize].cmp(&ids.dict[b[0] as usize]));
    groups
}

/// Per distinct text of `t`, whether it reads as a note under a table ([`is_note_caption`]);
/// `None` when none does.
pub(super) fn note_captions(t: &TextColumn) -> Option<Vec<bool>> {
    texts_that(t, is_note_caption)
}

/// Whether an id reads as a note under a table (`注：数据来源于各县区上报`, `填表人：张三`,
/// `单位：万元`, `说明:`): one of [`crate::data::table::NOTE_STARTS`] with a colon in its
/// first six characters (`注塑机厂` is no note), or the end mark `以下空白` (the rest of the
/// form is blank), with or without brackets.
fn is_note_caption(text: &str) -> bool {
    let t = text.trim_start();
    // Every note start is a CJK character with lead byte E5, E6 or E8, 以 E4, a bracket
    // EF or `(`: ids in ASCII are ruled out by their first byte.
    if !matches!(
        t.as_bytes().first(),
        Some(0xE4 | 0xE5 | 0xE6 | 0xE8 | 0xEF | b'(')
    ) {
        return false;
    }
    matches!(
        t.trim_end().trim_matches(['(', ')', '（', '）']),
        "以下空白" | "以下无数据" | "以下无内容"
    ) || crate::data::table::NOTE_STARTS
        .iter()
        .any(|w| t.starts_with(w))
        && t.chars().take(6).any(|c| c == ':' || c == '：')
}

/// Whether a cell reads as a totals row's caption (`合计`, `总计`, `小计`, `汇总`, `平均值`,
/// `Total`, `本页合计`, `小计（东部）`), as statistical exports put under their tables.
fn is_total_caption(text: &str) -> bool {
    // Most texts are ruled out without folding (this runs on every distinct id and name:
    // a million of them in a national file).
    if text.len() > 40 {
        return false;
    }
    let t = text.trim_start();
    let b = t.as_bytes();
    let latin = if t.is_ascii() {
        // `E00000001` is no caption: only a text holding "tot", "sum", "ave", "avg" or "mea"
        // is folded (a text without a t, s, a or m is ruled out in one pass first).
        t.len() <= 24
            && b.iter()
                .any(|&c| matches!(c | 0x20, b't' | b's' | b'a' | b'm'))
            && b.windows(3).any(|w| {
                [b"tot", b"sum", b"ave", b"avg", b"mea"]
                    .iter()
                    .any(|word| w.eq_ignore_ascii_case(*word))
            })
    } else {
        t.starts_with(['ｔ', 'Ｔ', 'ｓ', 'Ｓ', 'ｇ', 'Ｇ', 'ａ', 'Ａ', 'ｍ', 'Ｍ'])
    };
    // 计, 計, 总 and 均 in UTF-8: E8 AE A1, E8 A8 88, E6 80 BB, E5 9D 87 (found by their
    // lead bytes).
    let has_mark = || {
        memchr::memchr3_iter(0xE8, 0xE6, 0xE5, b).any(|i| {
            matches!(
                (b[i], b.get(i + 1..i + 3)),
                (0xE8, Some([0xAE, 0xA1] | [0xA8, 0x88]))
                    | (0xE6, Some([0x80, 0xBB]))
                    | (0xE5, Some([0x9D, 0x87]))
            )
        })
    };
    if !(latin || has_mark()) {
        return false;
    }
    let key = look_alike_key(text);
    let key = key.trim_end_matches([':', '：', '*']);
    // `合计(2家)`, `小计（东部）`: the caption before a note in brackets.
    let key = match key.find(['(', '（']) {
        Some(at) if at > 0 && key.ends_with([')', '）']) => &key[..at],
        _ => key,
    };
    const WHOLE: [&str; 17] = [
        "合计",
        "总计",
        "小计",
        "共计",
        "合計",
        "總計",
        "汇总",
        "平均",
        "平均值",
        "均值",
        "total",
        "totals",
        "grandtotal",
        "subtotal",
        "sum",
        "average",
        "mean",
    ];
    // `本页合计`, `东部小计`, `全省汇总`, `合计数`: a caption with a few characters before or
    // after it.
    const PART: [&str; 6] = ["合计", "总计", "小计", "合計", "總計", "汇总"];
    WHOLE.contains(&key)
        || PART.iter().any(|w| {
            (key.ends_with(w) && key.chars().count() <= w.chars().count() + 4)
                || (key.starts_with(w) && key.chars().count() <= w.chars().count() + 1)
        })
}

/// prev(): per k the rules use, the row of the same id k years before (`prev[k - 1]`,
/// `u32::MAX` where there is none; empty for the k no expression uses, and without years).
pub(super) fn prev_rows(keys: &TextColumn, years: Option<&[f64]>, used: &[u32]) -> Vec<Vec<u32>> {
    let Some(ys) = years else { return Vec::new() };
    let max_k = used.last().copied().unwrap_or(0);
    let index = RowsByKeyYear::new(&keys.codes, ys, keys.dict.len());
    (1..=max_k)
        .map(|k| {
            if !used.contains(&k) {
                return Vec::new();
            }
            (0..keys.len())
                .map(|i| {
                    index
                        .last_row(keys.codes[i], ys[i] as i64 - i64::from(k))
                        .unwrap_or(u32::MAX)
                })
                .collect()
        })
        .collect()
}

/// The rows of each (key, year): every key's rows in one flat list, sorted by (year, row),
/// built by a counting sort on the key's dictionary code. Stands for a hash map of
/// (code, year) → row, which cost a quarter of a second per million rows of multi-year data
/// (hashing and a scattered probe per row); here each lookup is a binary search in the few
/// rows of one key.
struct RowsByKeyYear {
    /// Where each key's rows start in `rows` (one more entry at the end; the last key slot
    /// is the missing key's).
    starts: Vec<usize>,
    /// (year, row), grouped by key.
    rows: Vec<(i64, u32)>,
}

impl RowsByKeyYear {
    fn new(codes: &[u32], years: &[f64], keys: usize) -> Self {
        let slot = |c: u32| {
            if c == TextColumn::MISSING {
                keys
            } else {
                c as usize
            }
        };
        let mut starts = vec![0usize; keys + 2];
        for &c in codes {
            starts[slot(c) + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut next = starts.clone();
        let mut rows = vec![(0i64, 0u32); codes.len()];
        for (i, (&c, &y)) in codes.iter().zip(years).enumerate() {
            let s = &mut next[slot(c)];
            rows[*s] = (y as i64, i as u32);
            *s += 1;
        }
        // Rows went in in row order: a stable sort by year keeps it within a year.
        for k in 0..=keys {
            rows[starts[k]..starts[k + 1]].sort_by_key(|&(y, _)| y);
        }
        RowsByKeyYear { starts, rows }
    }

    /// Each key's (year, row) list.
    fn segments(&self) -> impl Iterator<Item = &[(i64, u32)]> + '_ {
        self.starts.windows(2).map(|w| &self.rows[w[0]..w[1]])
    }

    /// The last row of key `code` in `year`.
    fn last_row(&self, code: u32, year: i64) -> Option<u32> {
        let keys = self.starts.len() - 2;
        let k = match code {
            TextColumn::MISSING => keys,
            c if (c as usize) < keys => c as usize,
            _ => return None,
        };
        let segment = self.rows.get(self.starts[k]..*self.starts.get(k + 1)?)?;
        let after = segment.partition_point(|&(y, _)| y <= year);
        segment[..after]
            .last()
            .filter(|&&(y, _)| y == year)
            .map(|&(_, row)| row)
    }
}

/// The year scored: `--year`, else `[rules].year`, else (with a year column) the latest in
/// the data, with a warning. A year with no rows, or a year without a year column, is an
/// error.
pub(super) fn scored_year(
    c: &CompiledRules,
    year: Option<i64>,
    years: Option<&[f64]>,
    files: &[crate::data::FileInfo],
    warnings: &mut Vec<String>,
) -> Result<Option<i64>> {
    Ok(match (year.or(c.rules.settings.year), years) {
        (Some(y), Some(ys)) => {
            if !ys.iter().any(|v| *v as i64 == y) {
                let mut present: Vec<i64> = ys.iter().map(|v| *v as i64).collect();
                present.sort_unstable();
                present.dedup();
                // A workbook with a sheet per year, read without a sheet named: which sheet
                // was read and how to choose another.
                let sheets = crate::data::default_sheet_help(files)
                    .map_or_else(String::new, |h| format!("; {h}"));
                let listed = present
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(", ");
                let column = c
                    .rules
                    .data
                    .year_column
                    .as_ref()
                    .map_or_else(String::new, |col| format!(" in column '{}'", col.value));
                let read = files
                    .iter()
                    .map(|f| format!("'{}'", f.path))
                    .collect::<Vec<_>>()
                    .join(", ");
                let message =
                    |asked: &str| format!("no rows for year {y}{asked}{column} of {read}");
                // Where the year came from: the rules file (pointed at), or --year.
                let diagnostic = match c.rules.setting_span("year").filter(|_| year.is_none()) {
                    Some(span) => data_error(message(""))
                        .in_source(&c.rules.source, span)
                        .with_help(format!(
                            "years in the data: {listed}; set [rules] year to one of them, or choose one with --year{sheets}"
                        )),
                    None => data_error(message(" (--year)")).with_help(format!(
                        "years in the data: {listed}{sheets}"
                    )),
                };
                return Err(Error::one(diagnostic));
            }
            Some(y)
        }
        // `--year` (the options' year; `[rules].year` without a year column is refused when
        // the rules load): a usage error, and the fix is usually to drop it.
        (Some(y), None) => {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Usage,
                    format!(
                        "year {y} is selected (--year), but the rules ({}) name no [data].year_column to select it by",
                        c.rules.source.name
                    ),
                )
                .with_help(
                    "with one row per entity, drop --year; for multi-year data, add [data] year_column = \"<column holding the year>\" to the rules",
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
pub(super) fn column_indicators(
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
                    // Data typed from its cells without the rules (the library's
                    // Dataset::from_path) was read without the rules' own missing markers:
                    // then say how to read it with them; data read with them (the command
                    // line) only needs the marker listed.
                    let markers_read = table.markers();
                    let applied = r
                        .data
                        .missing_markers
                        .iter()
                        .all(|m| markers_read.is_missing(&crate::data::cell::normalise_cell(m)));
                    let marker = if applied {
                        "list it in [data].missing_markers"
                    } else {
                        "list it in [data].missing_markers and read the data with CompiledRules::read_data, which applies them"
                    };
                    let help = format!(
                        "{}; fix the cell or change the indicator's kind (if it marks a missing value, {marker})",
                        match ind.kind {
                            Kind::Bool => "a bool indicator reads 是/否, 有/无, Y/N, yes/no, true/false, 1/0 or a missing marker",
                            _ => "a number indicator reads numbers (1,234.5, 12%, full-width digits) or a missing marker",
                        }
                    );
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
                            .with_help({
                                let allowed = format!("allowed values: {}", levels.join(", "));
                                match crate::diag::did_you_mean_help(
                                    &t.dict[code as usize],
                                    levels.iter().map(String::as_str),
                                ) {
                                    Some(meant) => format!("{meant} ({allowed})"),
                                    None => allowed,
                                }
                            }),
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
pub(super) fn data_files(table: &crate::data::Table) -> String {
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
pub(super) fn absent_from_year(ids: &TextColumn, scored: &[usize], y: i64) -> Option<String> {
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
    // An id written one way in earlier years and another way this year (`a01`, `A01`,
    // `A-01`; `001` and `1` once Excel has read the code as a number): prev() finds nothing
    // for it either.
    let key = |s: &str| {
        number_key(s).unwrap_or_else(|| {
            look_alike_key(s)
                .chars()
                .filter(|c| !matches!(c, '-' | '_' | '.' | '/'))
                .collect::<String>()
        })
    };
    let mut earlier: HashMap<String, &str> = HashMap::new();
    for a in &absent {
        earlier.entry(key(a)).or_insert(a);
    }
    // Scored-year ids with rows in no other year.
    let mut in_scored_year = vec![false; ids.codes.len()];
    for &r in scored {
        in_scored_year[r] = true;
    }
    let mut other = vec![false; ids.dict.len()];
    for (i, &c) in ids.codes.iter().enumerate() {
        if !in_scored_year[i]
            && let Some(o) = other.get_mut(c as usize)
        {
            *o = true;
        }
    }
    let only_now: Vec<usize> = (0..ids.dict.len())
        .filter(|&k| seen[k] == 2 && !other[k])
        .collect();
    let mut pairs: Vec<String> = only_now
        .iter()
        .filter_map(|&k| {
            let now = &ids.dict[k];
            earlier.get(&key(now)).map(|before| {
                format!(
                    "'{}' and '{}'",
                    crate::diag::truncate(before, 200),
                    crate::diag::truncate(now, 200)
                )
            })
        })
        .collect();
    pairs.sort_unstable();
    let alike = match pairs.len() {
        0 => String::new(),
        n => format!(
            "; {}{} differ only in case, width or punctuation (or are one number): if they \
             are one entity, write its id alike in every year (prev() finds no earlier row for \
             the {y} id)",
            pairs[..n.min(5)].join(", "),
            if n > 5 {
                format!(" and {} more pairs", n - 5)
            } else {
                String::new()
            }
        ),
    };
    Some(format!(
        "{count} {have} rows in other years but none in {y}, so they are not scored: {}{more}{alike}",
        absent[..absent.len().min(10)]
            .iter()
            .map(|id| crate::diag::truncate(id, 200))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

pub(super) fn select_year(years: &Option<Vec<f64>>, year: Option<i64>, rows: usize) -> Vec<usize> {
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
pub(super) fn finite_number(s: &str) -> Option<f64> {
    crate::data::cell::parse_number(s).filter(|x| x.is_finite())
}

/// A text column's cells read by the reader's rules for number or boolean cells (`read`
/// sees the cell normalised: full-width folded, trimmed): `Some(None)` for a missing cell,
/// `None` for a cell `read` refuses. Each distinct text is read once.
pub(super) fn cells_as<T: Copy>(
    t: &TextColumn,
    read: impl Fn(&str) -> Option<T>,
) -> Vec<Option<Option<T>>> {
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

pub(super) fn formula_result(c: &CompiledRules, i: usize, v: Column, ty: Type) -> Result<Column> {
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

/// The rules' `[data].missing_markers` on columns read without them (SPEC §9's
/// `Dataset::from_path`, a table built in memory): a cell that is one of the rules' markers
/// is missing, as [`CompiledRules::read_data`] reads it, and a text column left with only
/// numbers (or only boolean words) is typed as the reader would type it. A number column
/// loses the values equal to a numeric marker (`-1`; its cells' text is gone).
/// A boolean column cannot tell a marker that is a boolean word (`无`) from its meaning:
/// that is a warning. Nothing to do, and no cost, for data read with the rules' markers.
pub(super) fn apply_rules_markers(
    c: &CompiledRules,
    table: &crate::data::Table,
    rows: &mut Frame<'_>,
    warnings: &mut Vec<String>,
) {
    use crate::data::ColumnRequest;
    use crate::data::cell::{normalise_cell, parse_bool, parse_number};
    let pending: Vec<String> = (c.rules.data.missing_markers.iter())
        .map(|m| normalise_cell(m).into_owned())
        .filter(|m| !table.markers().is_missing(m))
        .collect();
    if pending.is_empty() {
        return;
    }
    let requests = c.column_requests();
    for (j, header) in table.headers.iter().enumerate() {
        let (Some(request), Some(col)) = (requests.get(header), rows.get(j)) else {
            continue;
        };
        let retyped = match col {
            Column::Text(t) => {
                let norm: Vec<_> = t.dict.iter().map(normalise_cell).collect();
                let marker: Vec<bool> = (norm.iter())
                    .map(|s| pending.iter().any(|m| m == s))
                    .collect();
                if !marker.contains(&true) {
                    continue;
                }
                // What is left, typed as the reader types a column with that request: per
                // dictionary entry its value (`None` for a marker), when every other one
                // has one.
                fn parsed<T>(
                    norm: &[std::borrow::Cow<'_, str>],
                    marker: &[bool],
                    parse: fn(&str) -> Option<T>,
                ) -> Option<Vec<Option<T>>> {
                    (norm.iter().zip(marker))
                        .map(|(s, &m)| if m { Some(None) } else { parse(s).map(Some) })
                        .collect()
                }
                let at = |k: u32| k as usize;
                let numbers = matches!(request, ColumnRequest::Number | ColumnRequest::Infer)
                    .then(|| parsed(&norm, &marker, parse_number))
                    .flatten();
                let words = matches!(request, ColumnRequest::Bool | ColumnRequest::Infer)
                    .then(|| parsed(&norm, &marker, parse_bool))
                    .flatten();
                if let Some(v) = numbers {
                    Column::Number(
                        (t.codes.iter())
                            .map(|&k| v.get(at(k)).copied().flatten().unwrap_or(f64::NAN))
                            .collect(),
                    )
                } else if let Some(v) = words {
                    Column::Bool(
                        t.codes
                            .iter()
                            .map(|&k| v.get(at(k)).copied().flatten())
                            .collect(),
                    )
                } else {
                    Column::Text(TextColumn {
                        dict: t.dict.clone(),
                        codes: (t.codes.iter())
                            .map(|&k| match marker.get(at(k)) {
                                Some(true) => TextColumn::MISSING,
                                _ => k,
                            })
                            .collect(),
                    })
                }
            }
            Column::Number(v) => {
                // The cells' text is gone: a numeric marker takes the cells of its value
                // (`-1.0` as well as `-1`; a file read with the markers loses only the cells
                // written as the marker).
                let numeric: Vec<f64> = pending.iter().filter_map(|m| parse_number(m)).collect();
                let marked = |x: f64| numeric.contains(&x);
                if numeric.is_empty() || !v.iter().any(|&x| marked(x)) {
                    continue;
                }
                Column::Number(
                    (v.iter())
                        .map(|&x| if marked(x) { f64::NAN } else { x })
                        .collect(),
                )
            }
            Column::Bool(b) => {
                let words: Vec<(&String, bool)> = (pending.iter())
                    .filter_map(|m| Some((m, parse_bool(m)?)))
                    .collect();
                for (word, truth) in words {
                    if b.contains(&Some(truth)) {
                        warnings.push(format!(
                            "column \"{}\" was read without the rules' missing markers, and the marker \"{word}\" is a yes/no word: a cell \"{word}\" there reads as {truth}, not as missing; read the data with CompiledRules::read_data",
                            table.shown_header(header)
                        ));
                    }
                }
                continue;
            }
        };
        rows.set(j, retyped);
    }
}

#[cfg(test)]
mod rows_by_key_year_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The index answers as the map of (code, year) → last row it replaced, and pairs
        /// duplicates as a scan with that map does.
        #[test]
        fn agrees_with_a_map_of_code_and_year(
            rows in proptest::collection::vec((0u32..6, 2019i64..2024), 0..60),
            missing_every in 0usize..7,
        ) {
            let codes: Vec<u32> = rows
                .iter()
                .enumerate()
                .map(|(i, &(c, _))| if missing_every > 0 && i % (missing_every + 1) == 0 {
                    TextColumn::MISSING
                } else {
                    c
                })
                .collect();
            let years: Vec<f64> = rows.iter().map(|&(_, y)| y as f64).collect();
            let index = RowsByKeyYear::new(&codes, &years, 6);
            let mut map: HashMap<(u32, i64), u32> = HashMap::new();
            let mut want_dups = Vec::new();
            for (i, (&c, &y)) in codes.iter().zip(&years).enumerate() {
                if let Some(first) = map.insert((c, y as i64), i as u32) {
                    want_dups.push((first as usize, i));
                }
            }
            for c in (0..7).chain([TextColumn::MISSING]) {
                for y in 2017..2026 {
                    prop_assert_eq!(index.last_row(c, y), map.get(&(c, y)).copied());
                }
            }
            let mut dups = Vec::new();
            for segment in index.segments() {
                for pair in segment.windows(2) {
                    if pair[0].0 == pair[1].0 {
                        dups.push((pair[0].1 as usize, pair[1].1 as usize));
                    }
                }
            }
            dups.sort_unstable_by_key(|&(_, later)| later);
            // Without missing ids the duplicate pairs are the scan's (the check stops at a
            // missing id before it pairs anything).
            if missing_every == 0 {
                prop_assert_eq!(dups, want_dups);
            }
        }
    }
}

#[cfg(test)]
mod caption_tests {
    use super::*;

    #[test]
    fn totals_and_average_captions_are_recognised_and_names_are_not() {
        for caption in [
            "合计",
            "合 计",
            "总计：",
            "全市合计",
            "本页合计",
            "以上合计",
            "东部小计",
            "全省汇总",
            "汇总",
            "合计数",
            "合计(2家)",
            "小计（东部）",
            "平均值",
            "均值",
            "Total:",
            "GRAND TOTAL",
            "Average",
            "mean",
            "ＳＵＭ",
        ] {
            assert!(is_total_caption(caption), "{caption}");
        }
        for name in [
            "E00000001",
            "临清市轴承产业集群",
            "合计科技有限公司",
            "汇总数据服务中心有限公司",
            "均胜电子",
            "Summit Machinery",
            "Totalink",
            "Meanwell",
            "润泽陶瓷工业",
        ] {
            assert!(!is_total_caption(name), "{name}");
        }
    }

    #[test]
    fn a_note_under_the_table_is_told_from_an_id() {
        for note in [
            "注：数据来源于各县区上报",
            "注:单位万元",
            "填表人：张三",
            "制表人：李四",
            "数据来源：统计局",
            "说明：",
            " 备注：无",
            "单位：万元",
            "填报单位：某县工信局",
            "审核人：李四",
            "联系电话：0635-1234567",
            "负责人：王五",
            "以下空白",
            "（以下空白）",
        ] {
            assert!(is_note_caption(note), "{note}");
        }
        for id in [
            "注塑机械厂",
            "E00000001",
            "数据港科技：上海",
            "91370100MA3C000002",
            "说明书印刷厂",
            "单位食堂管理公司",
            "联系科技：北京",
            "以下空白纸业",
        ] {
            assert!(!is_note_caption(id), "{id}");
        }
    }
}
