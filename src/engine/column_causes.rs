//! Why an expression failed to type-check, told from the data: a data column whose type
//! comes from a few of its cells (a typing slip in one row makes a whole column text,
//! SPEC §12). Each shape of cell gets its own explanation: numbers written with more than
//! the number (`52人`, `32,0000`), a few words among numbers (`约60`, `无`, `-`), a yes/no
//! word with a remark (`是（2022年认定）`), check marks (`√`), a column read as yes/no
//! because every cell is a yes/no word, and a text column used as a condition.

use super::ParsedExpr;
use super::bind::Names;
use crate::column::{Column, TextColumn, Type};
use crate::data::Table;
use crate::data::cell::{
    BOOL_WORDS, NO_MARKS, YES_MARKS, normalise_cell, parse_bool, parse_number,
};
use crate::diag::{agree, truncate};
use crate::expr::{self, ExprError, Resolved, TypeClash};

/// How many odd cells a column may hold and still be explained by them (more is a text
/// column, not a slip), and how many shapes of number get their own help.
const FEW: usize = 3;

/// For an expression that failed to type-check: the data columns it reads whose type the
/// data explains, with where the cells are and how to write them. `None` when the data
/// does not explain the error (then the rule's own help stands).
pub(super) fn text_column_causes(
    names: &Names<'_>,
    p: &ParsedExpr,
    error: &ExprError,
) -> Option<String> {
    let table = names.table?;
    let r = &names.c.rules;
    let mut out = Vec::new();
    for (name, quoted, _) in expr::names(&p.ast) {
        // (`score` is the final score where scores are seen; a column elsewhere.)
        if !quoted && (r.indicator(&name).is_some() || (name == "score" && p.place.sees_scores())) {
            continue;
        }
        let Some(Resolved { slot: j, ty }) = names.column(&name) else {
            continue;
        };
        let column = table
            .columns
            .get(j)
            .and_then(Option::as_ref)
            .or_else(|| names.frame.and_then(|f| f.get(j)));
        let at = ColumnAt {
            table,
            j,
            written: table.written_header(j),
        };
        match (ty, column) {
            (Type::Bool, Some(Column::Bool(_)))
                if error.clash.is_some_and(|c| c.involves(Type::Bool)) =>
            {
                out.push(at.yes_no_words());
            }
            (Type::Text, Some(Column::Text(t))) => {
                let explained = Cells::sort(t).and_then(|cells| {
                    cells
                        .numbers_in_another_shape(&at, t)
                        .or_else(|| cells.words_among_numbers(&at, t))
                        .or_else(|| cells.yes_no_with_others(&at, t))
                        .or_else(|| cells.check_marks(&at, t))
                });
                let as_condition = || {
                    (error.clash == Some(TypeClash::NotCondition))
                        .then(|| at.text_values(t))
                        .flatten()
                };
                if let Some(msg) = explained.or_else(as_condition) {
                    out.push(msg);
                }
            }
            _ => {}
        }
    }
    (!out.is_empty()).then(|| out.join(". "))
}

/// The column being explained: where it is and its header as the file writes it.
struct ColumnAt<'a> {
    table: &'a Table,
    j: usize,
    written: &'a str,
}

impl ColumnAt<'_> {
    /// `"约60" (d.csv:row 4, column 'x')`: a dictionary entry and the first cell holding it.
    fn cell(&self, t: &TextColumn, code: usize) -> Option<String> {
        let row = t.first_row(code)?;
        Some(format!(
            "\"{}\" ({})",
            truncate(&t.dict[code], 40),
            self.table.location(row, &self.table.headers[self.j])
        ))
    }

    /// A column read as yes/no because every cell of it is a yes/no word.
    fn yes_no_words(&self) -> String {
        let w = self.written;
        format!(
            "column '{w}' is read as yes/no: every cell of it is a yes/no word \
             ({BOOL_WORDS}). As a condition write `{w}` alone (true for 是) or not `{w}`; \
             if it holds counts, write numbers in it (0 for 无 or 否)"
        )
    }

    /// A text column used as a condition: compare it with one of its own values.
    fn text_values(&self, t: &TextColumn) -> Option<String> {
        let w = self.written;
        let values: Vec<String> = t
            .dict
            .iter()
            .take(8)
            .map(|d| format!("'{}'", truncate(d, 40)))
            .collect();
        let first = values.first()?;
        let more = t.dict.len() - values.len();
        Some(format!(
            "column '{w}' holds text values, not yes/no words: compare it with one of them, \
             e.g. `{w}` == {first} (its values: {}{})",
            values.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ))
    }
}

/// A text column's distinct cells sorted by shape (dictionary codes).
struct Cells {
    /// How many are plain numbers.
    numbers: usize,
    /// Yes/no words (是, 否, 无…).
    bool_words: Vec<usize>,
    /// Numbers in another shape (`52人`), with the reader's help for the first few.
    shaped: Vec<bool>,
    shaped_help: Vec<(usize, String)>,
    /// Check marks (`√`, `×`).
    marks: Vec<usize>,
    /// Anything else (`约60`, `/`, remarks).
    others: Vec<usize>,
}

impl Cells {
    /// Sorts the dictionary; `None` when more than a few cells are of no known shape (a
    /// text column, not a slip in a number or yes/no column).
    fn sort(t: &TextColumn) -> Option<Cells> {
        let mut cells = Cells {
            numbers: 0,
            bool_words: Vec::new(),
            shaped: vec![false; t.dict.len()],
            shaped_help: Vec::new(),
            marks: Vec::new(),
            others: Vec::new(),
        };
        for (code, text) in t.dict.iter().enumerate() {
            let norm = normalise_cell(text);
            if parse_number(&norm).is_some() {
                cells.numbers += 1;
            } else if parse_bool(&norm).is_some() {
                cells.bool_words.push(code);
            } else if let Some(help) = crate::data::table::number_shape_help(text, &norm) {
                cells.shaped[code] = true;
                if cells.shaped_help.len() < FEW {
                    cells.shaped_help.push((code, help));
                }
            } else if YES_MARKS.contains(&norm.as_ref()) || NO_MARKS.contains(&norm.as_ref()) {
                cells.marks.push(code);
            } else {
                cells.others.push(code);
                if cells.others.len() > FEW {
                    return None;
                }
            }
        }
        Some(cells)
    }

    /// Numbers written with more than the number (`52人`, `32,0000`): how many cells, the
    /// first few with their rows, the reader's help for the first, and any words besides.
    fn numbers_in_another_shape(&self, at: &ColumnAt<'_>, t: &TextColumn) -> Option<String> {
        let (_, help) = self.shaped_help.first()?;
        let w = at.written;
        // Missing cells have no code in the dictionary.
        let count = t
            .codes
            .iter()
            .filter(|&&c| self.shaped.get(c as usize).copied().unwrap_or(false))
            .count();
        // The first cell with its whole location, the next ones by row in the same file.
        let mut first: Vec<String> = Vec::new();
        let mut first_path = None;
        for &(code, _) in &self.shaped_help {
            let Some(row) = t.first_row(code) else {
                continue;
            };
            let (path, n) = at.table.origin(row);
            if first_path == Some(path) {
                first.push(format!("\"{}\" (row {n})", truncate(&t.dict[code], 40)));
            } else {
                first_path.get_or_insert(path);
                first.extend(at.cell(t, code));
            }
        }
        let more = count.saturating_sub(first.len());
        let mut msg = format!(
            "column '{w}' is read as text because {count} of its cells {}: {}{}; {help}",
            agree(count, "is not a plain number", "are not plain numbers"),
            first.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
        );
        let words: Vec<String> = (self.others.iter())
            .chain(&self.marks)
            .chain(&self.bool_words)
            .filter_map(|&c| at.cell(t, c))
            .collect();
        if !words.is_empty() {
            msg.push_str(&format!(
                ". It also holds {}: correct it or list it in missing_markers under [data]",
                words.join(", ")
            ));
        }
        msg.push_str(". Then the column is read as numbers");
        Some(msg)
    }

    /// A few words among numbers (`无` in a count is a yes/no word, and still the odd one):
    /// a number in words (`约60`) is written as one plain number, `无` as 0, words for no
    /// data become missing markers.
    fn words_among_numbers(&self, at: &ColumnAt<'_>, t: &TextColumn) -> Option<String> {
        let words: Vec<usize> = (self.others.iter())
            .chain(&self.marks)
            .chain(&self.bool_words)
            .copied()
            .collect();
        if self.numbers == 0
            || words.is_empty()
            || words.len() > FEW
            || self.numbers < 2 * words.len()
        {
            return None;
        }
        let cells: Vec<String> = words.iter().filter_map(|&code| at.cell(t, code)).collect();
        // Cells with digits hold a number in words (`约60`, `100以上`, `50-100`): a missing
        // marker would throw it away. Cells without are words for no data, or `无` for none.
        let shown = |codes: &[usize]| -> String {
            let v: Vec<String> = codes
                .iter()
                .map(|&c| format!("\"{}\"", truncate(&t.dict[c], 40)))
                .collect();
            v.join(", ")
        };
        let (digits, plain): (Vec<usize>, Vec<usize>) = words.iter().partition(|&&c| {
            t.dict[c]
                .chars()
                .any(|ch| ch.is_ascii_digit() || ('０'..='９').contains(&ch))
        });
        let (none, nodata): (Vec<usize>, Vec<usize>) = plain
            .iter()
            .partition(|&&c| matches!(normalise_cell(&t.dict[c]).as_ref(), "无" | "没有" | "否"));
        let mut fixes: Vec<String> = Vec::new();
        if !digits.is_empty() {
            fixes.push(format!("write {} as one plain number", shown(&digits)));
        }
        if !none.is_empty() {
            fixes.push(format!("write 0 for {} where it means none", shown(&none)));
        }
        if !nodata.is_empty() {
            let n = nodata.len();
            fixes.push(format!(
                "correct {} or, if {} no data, list {} in missing_markers under [data]",
                shown(&nodata),
                agree(n, "it means", "they mean"),
                agree(n, "it", "them"),
            ));
        }
        Some(format!(
            "column '{}' is read as text because of {}, while its other cells are numbers: \
             {}; then it is read as numbers",
            at.written,
            cells.join(", "),
            fixes.join("; "),
        ))
    }

    /// Yes/no words (numbers 1/0 among them) with a few other cells: a remark after the
    /// word (`是（2022年认定）`), a check mark, or a word for no data.
    fn yes_no_with_others(&self, at: &ColumnAt<'_>, t: &TextColumn) -> Option<String> {
        let odd: Vec<usize> = self.others.iter().chain(&self.marks).copied().collect();
        let bools = self.bool_words.len();
        if bools == 0 || odd.is_empty() || odd.len() > FEW || bools + self.numbers < odd.len() {
            return None;
        }
        let advice: Vec<String> = odd
            .iter()
            .filter_map(|&code| {
                let shown = at.cell(t, code)?;
                let norm = normalise_cell(&t.dict[code]).into_owned();
                let head = norm
                    .split(crate::data::cell::REMARK_STARTS)
                    .next()
                    .unwrap_or("");
                Some(if head != norm && parse_bool(head).is_some() {
                    format!("{shown}: write {head} alone (a remark goes in a column of its own)")
                } else if YES_MARKS.contains(&norm.as_str()) {
                    format!("{shown}: write 是 for it")
                } else if NO_MARKS.contains(&norm.as_str()) {
                    format!("{shown}: write 否 for it")
                } else {
                    format!(
                        "{shown}: write 是 or 否, or list it in missing_markers under [data] \
                         if it means no data"
                    )
                })
            })
            .collect();
        let w = at.written;
        Some(format!(
            "column '{w}' holds yes/no words but is read as text because of {}. Then the \
             column is read as yes/no: write `{w}` alone for 是 (not == '是')",
            advice.join("; ")
        ))
    }

    /// Check marks and empty cells only: `√` for yes, nothing for no.
    fn check_marks(&self, at: &ColumnAt<'_>, t: &TextColumn) -> Option<String> {
        if self.marks.is_empty()
            || self.numbers > 0
            || !self.bool_words.is_empty()
            || !self.others.is_empty()
        {
            return None;
        }
        let cells: Vec<String> = self.marks.iter().filter_map(|&c| at.cell(t, c)).collect();
        Some(format!(
            "column '{}' marks its cells with {}, which are not yes/no words: write 是 for √ \
             and 否 for × ({BOOL_WORDS} are read as yes/no); an empty cell is missing, not 否",
            at.written,
            cells.join(", "),
        ))
    }
}
