//! XLSX/XLSM workbooks through calamine: one sheet, the same header and cell rules as
//! delimited text, row numbers as Excel shows them.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx, XlsxError};

use crate::column::format_number;
use crate::diag::{Diagnostic, Error, Stage, did_you_mean_help, truncate};

use super::cell::fold_header;
use super::decode::hex;
use super::table::{Cell, Ingest, ReadOptions, check_headers};

/// Whether a path is read as a workbook (by extension, case-insensitive).
pub fn is_xlsx(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("xlsm"))
}

struct Sheet {
    name: String,
    /// The sheet's non-empty cells as (row, column, value), 0-based, sorted by row then
    /// column. Not calamine's dense `Range`: one stray cell far from the table (a space
    /// pasted into XFD1048576) would make that grid 17 billion cells.
    cells: Vec<(u32, u32, Data)>,
    sha256: String,
    /// The workbook's other worksheets, when no sheet was named (the first was taken).
    others: Vec<String>,
    /// Merged ranges: ((first row, first column), (last row, last column)), 0-based.
    merged: Vec<((u32, u32), (u32, u32))>,
    /// Cells holding a formula but no saved result (row, column), sorted.
    uncomputed: Vec<(u32, u32)>,
    /// Number cells shown as percentages (row, column), sorted.
    percent: Vec<(u32, u32)>,
    /// Number cells shown scaled (`0!.0000"万"`): (row, column, format).
    scaled: Vec<(u32, u32, String)>,
    /// Rows hidden by hand or by a filter, sorted.
    hidden: Vec<u32>,
    /// When no sheet was named: the visible worksheet the workbook was saved with open,
    /// when it is not the one read (the first visible one).
    active: Option<String>,
}

fn open_sheet(path: &Path, opts: &ReadOptions) -> Result<Sheet, Error> {
    let shown = path.display().to_string();
    // A workbook is a zip read whole: a device or a pipe named .xlsx (`/dev/zero`) would be
    // read without end.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "'{shown}' is not a regular file, so it cannot be read as an XLSX workbook"
                ),
            )
            .with_help("save the workbook to a file and give its path"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(&shown, &e))?;
    // An encrypted (password-protected) workbook, like an old .xls, is an OLE compound file,
    // not a zip: say so rather than report a zip error.
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "'{shown}' is a password-protected workbook or an old .xls file, not an XLSX workbook"
                ),
            )
            .with_help(
                "remove the password (Excel: File → Info → Protect Workbook; WPS: 文件 → 文档加密) \
                 and save it as .xlsx; save an old .xls as .xlsx",
            ),
        ));
    }
    let sha256 = if opts.digest {
        use sha2::{Digest, Sha256};
        hex(&Sha256::digest(&bytes))
    } else {
        String::new()
    };
    let not_a_workbook = |e: &XlsxError| {
        // What the library says, after what it means for the file.
        let said = truncate(&e.to_string(), 200);
        let (what, help) = match e {
            // An XLSX workbook is a zip archive: a cut-short copy loses its directory (at
            // the end), a damaged one its entries.
            XlsxError::Zip(_) if bytes.starts_with(b"PK") => (
                format!(
                    "it is not a complete zip archive, as a workbook is: cut short or damaged ({said})"
                ),
                "copy the workbook again from where it came from; or open it in Excel or WPS \
                 and save it again as .xlsx",
            ),
            // Named by its first bytes where they say what it is (a PDF, a gzip file, …).
            XlsxError::Zip(_) => {
                let markup = crate::data::csv::markup_kind(&bytes[..bytes.len().min(4096)]);
                match crate::data::csv::binary_kind(&bytes[..bytes.len().min(512)]) {
                    Some((kind, help)) => (format!("it is {kind}, not a workbook"), help),
                    // An HTML table saved with an .xlsx name (a web system's "Excel export"),
                    // or a result of this tool.
                    None if markup.is_some() => (
                        format!("it is {}, not a workbook", markup.unwrap_or_default()),
                        "open it in Excel or WPS and save it as .xlsx (文件 → 另存为 → Excel \
                         工作簿), or export the table as CSV",
                    ),
                    None if bytes.is_empty() => (
                        "the file is empty".to_string(),
                        "copy the workbook again from where it came from, or save it again \
                         from Excel or WPS as .xlsx",
                    ),
                    None if looks_like_text(&bytes) => (
                        "it is text, not a zip archive as a workbook is".to_string(),
                        "if it is delimited text (CSV), give it a .csv extension; otherwise save \
                     it from Excel or WPS as .xlsx",
                    ),
                    None => (
                        format!("it is not a zip archive, as a workbook is ({said})"),
                        "if it is delimited text, give it a .csv extension; otherwise save it from \
                     Excel or WPS as .xlsx",
                    ),
                }
            }
            // A size or merge record whose range is no range (`<dimension ref="garbage"/>`).
            XlsxError::RangeWithoutColumnComponent
            | XlsxError::RangeWithoutRowComponent
            | XlsxError::DimensionCount(_) => (
                format!(
                    "the workbook is damaged: a cell range it records (a sheet's size or a merged range) is not a range ({said})"
                ),
                "open it in Excel or WPS and save it again as .xlsx, or export it again",
            ),
            XlsxError::WorksheetNotFound(_)
            | XlsxError::FileNotFound(_)
            | XlsxError::RelationshipNotFound
            | XlsxError::Xml(_)
            | XlsxError::XmlEof(_) => (
                format!("the workbook is damaged: a part it lists is missing or broken ({said})"),
                "open it in Excel or WPS and save it again as .xlsx, or export it again",
            ),
            _ => (
                said,
                "save the file from Excel or WPS as .xlsx, or give delimited text a .csv \
                 extension",
            ),
        };
        Error::one(
            Diagnostic::new(
                Stage::Data,
                format!("cannot read '{shown}' as an XLSX workbook: {what}"),
            )
            .with_help(help),
        )
    };
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(&bytes[..])).map_err(|e| not_a_workbook(&e))?;
    let names = wb.sheet_names();
    let name = match &opts.sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                let list: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
                let help = did_you_mean_help(s, names.iter().map(String::as_str))
                    .map_or(String::new(), |h| format!("{h} "));
                return Err(Error::one(
                    Diagnostic::new(
                        Stage::Data,
                        format!("no sheet \"{}\" in the workbook", truncate(s, 200)),
                    )
                    .at(shown)
                    .with_help(format!("{help}the sheets are: {}", list.join(", "))),
                ));
            }
            s.clone()
        }
        // The first sheet a user sees: not a hidden one, nor a chart sheet.
        None => match wb
            .sheets_metadata()
            .iter()
            .find(|m| {
                m.visible == calamine::SheetVisible::Visible
                    && m.typ == calamine::SheetType::WorkSheet
            })
            .map(|m| &m.name)
            .or(names.first())
        {
            Some(n) => n.clone(),
            None => {
                return Err(Error::one(
                    Diagnostic::new(Stage::Data, "the workbook has no sheets").at(shown),
                ));
            }
        },
    };
    let others: Vec<String> = if opts.sheet.is_none() {
        wb.sheets_metadata()
            .iter()
            .filter(|m| {
                m.typ == calamine::SheetType::WorkSheet
                    && m.visible == calamine::SheetVisible::Visible
                    && m.name != name
            })
            .map(|m| m.name.clone())
            .collect()
    } else {
        Vec::new()
    };
    let active = super::xlsx_percent::active_tab(&bytes)
        .and_then(|i| names.get(i))
        .filter(|a| others.contains(a))
        .cloned();
    // The cells' formats and the hidden rows come from a second read of the sheet's XML
    // (calamine gives neither), on another core while calamine reads the cells.
    std::thread::scope(|scope| {
        let formatted = scope.spawn(|| super::xlsx_percent::formatted_cells(&bytes, &name));
        let mut cells = Vec::new();
        match wb.worksheet_cells_reader(&name) {
            Ok(mut reader) => {
                // A cell the reader cannot parse (a damaged stored value) is placed after the
                // last cell read: the reader does not say which cell it was reading.
                let mut last: Option<(u32, u32)> = None;
                let damaged = |e: &XlsxError, last: Option<(u32, u32)>| {
                    // Broken XML is a damaged file (cut short, corrupted), not a value.
                    let xml = matches!(
                        e,
                        XlsxError::Xml(_) | XlsxError::XmlEof(_) | XlsxError::XmlAttr(_)
                    );
                    Error::one(
                        Diagnostic::new(
                            Stage::Data,
                            format!(
                                "cannot read a cell of sheet \"{}\": {}",
                                truncate(&name, 200),
                                truncate(&e.to_string(), 200)
                            ),
                        )
                        .at(match last {
                            Some((r, c)) => format!(
                                "{shown}, the cell after {} (the last cell read)",
                                match u16::try_from(c) {
                                    Ok(c) => rust_xlsxwriter::row_col_to_cell(r, c),
                                    Err(_) => format!("row {}, column {}", r + 1, c + 1),
                                }
                            ),
                            None => format!("{shown}, the sheet's first cell"),
                        })
                        .with_help(if xml {
                            "the sheet's XML is broken there (a damaged or cut-short file): open \
                             the workbook in Excel or WPS and save it again, or export it again"
                        } else {
                            "the file holds a value its cell type cannot have: open it in Excel \
                             or WPS, retype that cell and save the workbook again"
                        }),
                    )
                };
                while let Some(cell) = reader.next_cell().map_err(|e| damaged(&e, last))? {
                    let (row, col) = cell.get_position();
                    // Past Excel's last row or column (XFD): a damaged file, and a table that
                    // wide would be allocated row by row.
                    if row > 1_048_575 || col > 16_383 {
                        return Err(Error::one(
                        Diagnostic::new(
                            Stage::Data,
                            format!(
                                "sheet \"{}\" has a cell at row {}, column {}, beyond Excel's last row (1,048,576) or column (XFD, 16,384)",
                                truncate(&name, 200),
                                u64::from(row) + 1,
                                u64::from(col) + 1
                            ),
                        )
                        .at(shown.clone())
                        .with_help(
                            "the workbook is damaged or was written by a faulty program: open \
                             it in Excel or WPS and save it again",
                        ),
                    ));
                    }
                    last = Some((row, col));
                    let value = Data::from(cell.get_value().clone());
                    if value != Data::Empty {
                        cells.push((row, col, value));
                    }
                }
            }
            // A chart sheet holds no cells: it reads as an empty sheet.
            Err(calamine::XlsxError::NotAWorksheet(_)) => {}
            Err(e) => return Err(not_a_workbook(&e)),
        }
        // Written in order by Excel; a hand-made file may not be. (Stable: of two cells at one
        // position, the later in the file wins, as in calamine's grid.)
        cells.sort_by_key(|&(r, c, _)| (r, c));
        cells.dedup_by(|later, earlier| {
            let same = (later.0, later.1) == (earlier.0, earlier.1);
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        // Merged cells show their value across the range, but the file holds it in the first
        // cell only: the reader reads the others as empty, and says so (see `merged_warnings`).
        // (A second pass over the sheet's XML: the ranges are listed after the cells.)
        // Only a sheet with empty cells in its block can hold a merge that matters (the cells
        // a merge covers are empty), so a full table is not read twice.
        let gaps = {
            let (mut rows, mut last) = (0usize, None);
            let (mut lo, mut hi) = (u32::MAX, 0u32);
            for &(r, c, _) in &cells {
                if last != Some(r) {
                    rows += 1;
                    last = Some(r);
                }
                lo = lo.min(c);
                hi = hi.max(c);
            }
            let filled = cells.iter().filter(|c| !is_empty_cell(&c.2)).count();
            rows > 0 && filled < rows * (hi - lo + 1) as usize
        };
        // Each of the two passes below parses the whole sheet again: a byte scan says first
        // whether the sheet has anything for it.
        let extras = if gaps {
            super::xlsx_percent::sheet_extras(&bytes, &name)
        } else {
            super::xlsx_percent::SheetExtras {
                formulas: false,
                merges: false,
            }
        };
        let merged = match extras.merges.then(|| wb.merge_cells_by_sheet_name(&name)) {
            Some(Ok(ranges)) => ranges.iter().map(|d| (d.start, d.end)).collect(),
            _ => Vec::new(),
        };
        // A formula whose result was never computed and saved (openpyxl) reads as an
        // empty cell: the formulas of such a sheet are read too, to say so.
        let mut formulas: Vec<(u32, u32)> = Vec::new();
        if extras.formulas
            && let Ok(mut reader) = wb.worksheet_cells_reader(&name)
        {
            while let Ok(Some(cell)) = reader.next_formula() {
                if !cell.get_value().is_empty() {
                    formulas.push(cell.get_position());
                }
            }
        }
        // Only a result that is absent: a formula that gives "" (`=IF(x>0,x,"")`) is saved
        // with an empty result, which is its value. Only in rows that hold a value (the reader
        // skips blank rows, and templates drag formulas far below the data).
        formulas.sort_unstable();
        let uncomputed = formulas
            .into_iter()
            .filter(|p| {
                cells.binary_search_by_key(p, |&(r, c, _)| (r, c)).is_err()
                    && cells[cells.partition_point(|c| c.0 < p.0)..]
                        .iter()
                        .take_while(|c| c.0 == p.0)
                        .any(|c| !is_empty_cell(&c.2))
            })
            .collect();
        // Cells shown as percentages store fractions (5% is 0.05): a column formatted so is read
        // in percent units (see `percent_look`).
        let super::xlsx_percent::FormattedCells {
            mut percent,
            scaled,
            mut hidden,
            bad_shared,
            repeated,
        } = formatted
            // (The scan does not panic; if it ever did, the percent reading it decides must
            // not silently fall back to the stored fractions.)
            .join()
            .map_err(|_| {
                not_a_workbook(&XlsxError::Unexpected("its cell formats could not be read"))
            })?;
        // A damaged cell calamine reads without a word: refused by name.
        let damaged = |r: u32, c: u32, what: String| {
            let cell = match u16::try_from(c) {
                Ok(c) => rust_xlsxwriter::row_col_to_cell(r, c),
                Err(_) => format!("row {}, column {}", r + 1, c + 1),
            };
            Error::one(
                Diagnostic::new(
                    Stage::Data,
                    format!("cell {cell} of sheet \"{}\" {what}", truncate(&name, 200)),
                )
                .at(format!("{shown}, cell {cell}"))
                .with_help(
                    "the workbook is damaged or was written by a faulty program: open it in \
                     Excel or WPS, check that cell and save the workbook again",
                ),
            )
        };
        // calamine reads it as the first shared string (often a header): a wrong value
        // with nothing said.
        if let Some((r, c, index)) = bad_shared {
            return Err(damaged(
                r,
                c,
                format!(
                    "is a text cell whose index into the workbook's shared strings is \"{}\", \
                     not an index (a whole number from 0)",
                    truncate(&index, 40)
                ),
            ));
        }
        // calamine keeps the last value written: which one the author meant is not known.
        if let Some((r, c)) = repeated {
            return Err(damaged(
                r,
                c,
                "is written twice in the workbook, so which value it holds is not known".into(),
            ));
        }
        percent.sort_unstable();
        hidden.sort_unstable();
        Ok(Sheet {
            name: name.clone(),
            cells,
            sha256,
            others,
            merged,
            uncomputed,
            percent,
            scaled,
            hidden,
            active,
        })
    })
}

/// Whether a file's first bytes read as text (no control bytes but tab and line ends): a CSV
/// given an .xlsx name is told to take a .csv one.
fn looks_like_text(bytes: &[u8]) -> bool {
    // (UTF-16 text, with its byte-order mark, is text too.)
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return true;
    }
    let head = &bytes[..bytes.len().min(4096)];
    !head.is_empty()
        && head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\r' | b'\n'))
}

/// [`other_sheets_help`] for the first of `files` read at its default sheet while its
/// workbook has others.
pub(crate) fn default_sheet_help(files: &[super::FileInfo]) -> Option<String> {
    files.iter().find_map(|f| {
        let (read, others) = f.default_sheet.as_ref()?;
        other_sheets_help(read, others)
    })
}

/// When the first sheet was read for want of a named one and the workbook has others:
/// which sheet was read and how to choose another (bureau templates often open with a
/// sheet of instructions, 填表说明).
fn other_sheets_help(read: &str, others: &[String]) -> Option<String> {
    let first = others.first()?;
    let list: Vec<String> = others
        .iter()
        .take(10)
        .map(|n| format!("\"{}\"", truncate(n, 60)))
        .collect();
    Some(format!(
        "sheet \"{}\" was read, the first visible one; the workbook's other sheets: {}{}: choose one \
         with --sheet \"{}\" or [data] sheet = \"{}\"",
        truncate(read, 60),
        list.join(", "),
        if others.len() > 10 { ", …" } else { "" },
        truncate(first, 60),
        truncate(first, 60)
    ))
}

/// Merged ranges that reach the data rows of the table: the value stands in the range's
/// first cell only, so the rest of the range reads as missing although Excel shows the value
/// there (a 地市 merged over its enterprises, a revenue over two rows). Warned, one line for
/// the first few ranges, never filled in: whether the value belongs to every row is the
/// table's meaning, not the file's.
fn merged_warnings(
    sheet: &Sheet,
    sheet_loc: &str,
    header: u32,
    c0: usize,
    written: &[String],
    wanted: &[usize],
) -> Vec<String> {
    // Ranges over the data rows and a column the run reads (table column j is sheet column
    // c0 + j).
    let reads = |c1: u32, c2: u32| {
        wanted
            .iter()
            .any(|&j| (c1..=c2).contains(&((c0 + j) as u32)))
    };
    let ranges: Vec<String> = sheet
        .merged
        .iter()
        .filter(|&&((r1, c1), (r2, c2))| r2 > header && (r1, c1) != (r2, c2) && reads(c1, c2))
        .map(|&((r1, c1), (r2, c2))| {
            let column = written
                .get((c1 as usize).saturating_sub(c0))
                .filter(|h| !h.is_empty())
                .map_or(String::new(), |h| {
                    format!(", column \"{}\"", truncate(h, 40))
                });
            format!("{}:{}{column}", cell_name(r1, c1), cell_name(r2, c2))
        })
        .collect();
    if ranges.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "{sheet_loc}: merged cells {}: only the first cell of a merged range holds its value, so the other rows or columns of the range are read as missing although Excel shows the value there; unmerge the cells and fill every row",
        first_five(&ranges, "; ")
    )]
}

/// A row as a message names it: `row 5` (1-based, as Excel shows it).
fn cell_row(r: u32) -> String {
    format!("row {}", u64::from(r) + 1)
}

/// A cell as Excel names it (`C3`), past Excel's columns as `R3C20000`.
fn cell_name(row: u32, col: u32) -> String {
    match u16::try_from(col) {
        Ok(c) => rust_xlsxwriter::row_col_to_cell(row, c),
        Err(_) => format!("R{}C{}", row + 1, col + 1),
    }
}

/// The first five items joined, and how many more.
fn first_five(items: &[String], sep: &str) -> String {
    let more = if items.len() > 5 {
        format!(" and {} more", items.len() - 5)
    } else {
        String::new()
    };
    format!("{}{more}", items[..items.len().min(5)].join(sep))
}

/// Formula cells without a saved result in the data rows of columns the run reads: read
/// as missing, which the workbook's author did not mean.
fn uncomputed_warning(
    sheet: &Sheet,
    sheet_loc: &str,
    header: u32,
    c0: usize,
    wanted: &[usize],
) -> Option<String> {
    let cells: Vec<String> = sheet
        .uncomputed
        .iter()
        .filter(|&&(r, c)| r > header && (c as usize) >= c0 && wanted.contains(&(c as usize - c0)))
        .map(|&(r, c)| cell_name(r, c))
        .collect();
    cells.first()?;
    Some(format!(
        "{sheet_loc}: {} {} a formula without a saved result ({}), read as missing: the workbook was written by a program that does not calculate (openpyxl, for one); open it in Excel or WPS and save it, so the results are stored",
        cells.len(),
        if cells.len() == 1 {
            "cell holds"
        } else {
            "cells hold"
        },
        first_five(&cells, ", ")
    ))
}

/// How the columns the run reads as numbers are formatted below the header: `(percent,
/// plain)` per column, the first number cell of each kind (row, value).
type PercentLook = Vec<(Option<(u32, f64)>, Option<(u32, f64)>)>;

fn percent_look(
    sheet: &Sheet,
    header: u32,
    c0: usize,
    width: usize,
    numbers: &[usize],
) -> PercentLook {
    let mut look: PercentLook = vec![(None, None); width];
    if sheet.percent.is_empty() {
        return look;
    }
    let from = sheet.cells.partition_point(|c| c.0 <= header);
    // Both lists are in (row, column) order: the percent cells are walked beside the cells.
    let mut percent = sheet.percent.iter().peekable();
    for &(r, c, ref d) in &sheet.cells[from..] {
        while percent.next_if(|&&p| p < (r, c)).is_some() {}
        let shown_as_percent = percent.next_if(|&&p| p == (r, c)).is_some();
        let j = c as usize - c0;
        if !numbers.contains(&j) {
            continue;
        }
        // A number a percentage shows in a few digits (not 1e300).
        let x = match d {
            Data::Float(x) if x.abs() < 1e9 => *x,
            Data::Int(v) if v.unsigned_abs() < 1_000_000_000 => *v as f64,
            _ => continue,
        };
        let slot = &mut look[j];
        if shown_as_percent {
            slot.0.get_or_insert((r, x));
        } else {
            slot.1.get_or_insert((r, x));
        }
    }
    look
}

/// The number columns read whose cells are shown scaled by their format (`0!.0000"万"` shows
/// 1200000 as `120.0000万`; `#,##0.0,` shows 120000 as `120.0`): the stored number is what
/// is read (as a CSV export would not), so rules written for the number shown are off by
/// the scale. One warning per column, with the format and its first cell.
fn scaled_warnings(
    sheet: &Sheet,
    sheet_loc: &str,
    header: u32,
    c0: usize,
    written: &[String],
    numbers: &[usize],
) -> Vec<String> {
    let mut said: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    for (r, c, code) in &sheet.scaled {
        let Some(j) = (*c as usize).checked_sub(c0) else {
            continue;
        };
        if *r <= header || !numbers.contains(&j) || said.contains(&j) {
            continue;
        }
        let i = sheet.cells.partition_point(|x| (x.0, x.1) < (*r, *c));
        let x = match sheet.cells.get(i) {
            Some(&(rr, cc, Data::Float(x))) if (rr, cc) == (*r, *c) => x,
            Some(&(rr, cc, Data::Int(v))) if (rr, cc) == (*r, *c) => v as f64,
            _ => continue,
        };
        said.push(j);
        out.push(format!(
            "{sheet_loc}: column \"{}\" is formatted to show its numbers scaled (format `{}`; row {}: the cell stores {}): the stored number is read, not the one shown; if the rules are written for the number shown, scale the indicator with `multiply` (0.0001 for a format that moves the point four places to show 万, 0.001 for each comma that ends a format)",
            written.get(j).map_or("", String::as_str),
            truncate(code, 60),
            r + 1,
            format_number(x)
        ));
    }
    out
}

/// The smallest number of 16 digits: a workbook keeps about 15 significant digits of a
/// number (Excel turns the sixteenth digit typed into 0), so a stored number this large in
/// a text column (a credit code or ID number typed as a number) has most likely lost digits.
const SIXTEEN_DIGITS: f64 = 1e15;

/// The warning for a text column (ids, names, categories) whose cells hold numbers of 16
/// digits or more: the digits were lost in the workbook, before the read, so the text read
/// is not the code typed, and two codes may have become one.
fn long_number_warning(sheet_loc: &str, header: &str, cell: &str, x: f64, count: usize) -> String {
    let more = match count {
        1 => String::new(),
        n => format!(" and {} more", n - 1),
    };
    format!(
        "{sheet_loc}: column \"{}\" is read as text, but cell {cell}{more} {} a number of 16 or more digits ({}): a workbook keeps about 15 significant digits of a number, so the last digits of a longer code (统一社会信用代码, ID number) were lost before it was read; format the column as text in the workbook and enter the codes again (or export them as text), then check them",
        truncate(header, 60),
        crate::diag::agree(count, "holds", "hold"),
        format_number(x)
    )
}

/// `x` (0.056) in percent units (5.6): its shortest decimal with the point moved two places,
/// so the value is the one the same cell saved as CSV text (`5.6%`) reads as, not
/// 5.6000000000000005.
fn percent_units(x: f64) -> f64 {
    let s = format!("{x:e}");
    s.split_once('e')
        .and_then(|(m, e)| format!("{m}e{}", e.parse::<i32>().ok()? + 2).parse().ok())
        .unwrap_or(x * 100.0)
}

/// `x` as a percentage for a message: 0.14 → "14%" (at most 6 decimals).
fn as_percent(x: f64) -> String {
    format!("{}%", format_number(percent_units(x)))
}

/// The warnings of the percent look: columns formatted as percentages are read in percent
/// units (`converted`), as the same table saved as CSV text (`5%`) reads; a column that
/// mixes percentages with plain numbers is read as stored, cell by cell, and said.
fn percent_warnings(
    look: &PercentLook,
    sheet_loc: &str,
    c0: usize,
    written: &[String],
    rescaled: &[bool],
) -> Vec<String> {
    let mut converted = Vec::new();
    let mut twice = Vec::new();
    let mut mixed = Vec::new();
    for (j, slot) in look.iter().enumerate() {
        let name = truncate(&written[j], 40);
        let col = (c0 + j) as u32;
        match *slot {
            (Some((r, x)), None) => {
                converted.push(format!(
                    "\"{name}\" ({} shows {}, read as {})",
                    cell_name(r, col),
                    as_percent(x),
                    format_number(percent_units(x))
                ));
                if rescaled[j] {
                    twice.push(format!("\"{name}\""));
                }
            }
            (Some((r, x)), Some((r2, y))) => mixed.push(format!(
                "\"{name}\" ({} shows {} and holds {}; {} holds {})",
                cell_name(r, col),
                as_percent(x),
                format_number(x),
                cell_name(r2, col),
                format_number(y)
            )),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if !converted.is_empty() {
        let n = converted.len();
        let mut text = format!(
            "{sheet_loc}: {} formatted as percentages {} read in percent units, as the same \
             cells saved as CSV text (5%) are: {}",
            if n == 1 {
                "a column".to_string()
            } else {
                format!("{n} columns")
            },
            crate::diag::agree(n, "is", "are"),
            first_five(&converted, "; ")
        );
        if !twice.is_empty() {
            text.push_str(&format!(
                "; an indicator also rescales {} with `multiply`: a `multiply = 100` written for \
                 the fractions the cells store now multiplies a second time",
                twice.join(", ")
            ));
        }
        out.push(text);
    }
    if !mixed.is_empty() {
        out.push(format!(
            "{sheet_loc}: {} {} cells formatted as percentages with plain numbers, and each cell \
             is read as it is stored (5% as 0.05): {}; format the column one way (all as \
             percentages, read in percent units, or none)",
            if mixed.len() == 1 {
                "a column".to_string()
            } else {
                format!("{} columns", mixed.len())
            },
            crate::diag::agree(mixed.len(), "mixes", "mix"),
            first_five(&mixed, "; ")
        ));
    }
    out
}

/// A date/time cell as text: `2024-03-01` or `2024-03-01 08:30:00`.
fn render_datetime(d: &calamine::ExcelDateTime) -> String {
    if !d.is_datetime() {
        return format_number(d.as_f64());
    }
    let (y, mo, da, h, mi, s, _) = d.to_ymd_hms_milli();
    if h == 0 && mi == 0 && s == 0 {
        format!("{y:04}-{mo:02}-{da:02}")
    } else {
        format!("{y:04}-{mo:02}-{da:02} {h:02}:{mi:02}:{s:02}")
    }
}

fn header_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
            crate::data::cell::trim_cell(s).to_string()
        }
        Data::Float(x) => format_number(*x),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(d) => render_datetime(d),
        Data::Error(e) => e.to_string(),
    }
}

fn is_empty_cell(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => crate::data::cell::trim_cell(s).is_empty(),
        _ => false,
    }
}

/// Reads one workbook sheet: its headers only (`ingest` = `None`) or everything.
/// Returns the folded headers.
pub(crate) fn read_xlsx(
    path: &Path,
    opts: &ReadOptions,
    ingest: Option<&mut Ingest<'_>>,
) -> Result<Vec<String>, Error> {
    let shown = path.display().to_string();
    let sheet = open_sheet(path, opts)?;
    let cells = &sheet.cells;
    let header_row = opts.header_row;
    let sheet_loc = format!("{shown}, sheet \"{}\"", sheet.name);
    let (Some(first), Some(last)) = (cells.first(), cells.last()) else {
        let d = Diagnostic::new(
            Stage::Data,
            format!("header row {header_row} is beyond the end of the sheet (it is empty)"),
        )
        .at(sheet_loc);
        return Err(Error::one(d.with_help(
            other_sheets_help(&sheet.name, &sheet.others).unwrap_or_else(|| {
                "the sheet holds no cell: put the table in it (its column names in the header \
                 row) and save the workbook; if the table is on another sheet, name that sheet \
                 with --sheet or [data] sheet"
                    .into()
            }),
        )));
    };
    // The table starts at the first non-empty row and the leftmost non-empty column.
    let (r0, r_end) = (first.0 as usize, last.0 as usize);
    let c0 = cells.iter().map(|c| c.1).min().unwrap_or(0) as usize;
    // Excel row numbers are 1-based; sheet rows here are 0-based.
    if header_row > r_end + 1 {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "header row {header_row} is beyond the end of the sheet ({} rows)",
                    r_end + 1
                ),
            )
            .at(sheet_loc)
            .with_help("check header_row and the sheet name"),
        ));
    }
    if header_row <= r0 {
        return Err(Error::one(
            Diagnostic::new(Stage::Data, format!("header row {header_row} is empty"))
                .at(sheet_loc)
                .with_help(format!(
                    "the first non-empty row is {}; set header_row to the row holding the \
                     column names",
                    r0 + 1
                )),
        ));
    }
    let h = (header_row - 1) as u32;
    // Columns that are empty from the header down are invisible in Excel: the table ends at
    // the last column with a header or a value below it.
    let width = cells
        .iter()
        .filter(|(r, _, d)| {
            (*r == h && !header_text(d).is_empty()) || (*r > h && !is_empty_cell(d))
        })
        .map(|&(_, c, _)| c as usize - c0 + 1)
        .max()
        .unwrap_or(0);
    let mut written = vec![String::new(); width];
    let below = cells.partition_point(|c| c.0 <= h);
    for (_, c, d) in &cells[cells.partition_point(|c| c.0 < h)..below] {
        if let Some(w) = written.get_mut(*c as usize - c0) {
            *w = header_text(d);
        }
    }
    let folded: Vec<String> = written.iter().map(|h| fold_header(h)).collect();
    if let Some(d) = super::table::title_row(&folded, header_row) {
        return Err(Error::one(d.at(sheet_loc)));
    }
    // A statistical template's two-row header: a row of group labels over merged cells
    // (基本信息 over 编号 and 名称) above the row of names. Told by empty headers above a
    // row that holds a text, no number, in every column of the table.
    if folded.iter().any(String::is_empty) {
        let next: Vec<&(u32, u32, Data)> = cells[below..]
            .iter()
            .take_while(|(r, _, _)| *r == h + 1)
            .filter(|(_, c, _)| (*c as usize) < c0 + width)
            .collect();
        let names = next
            .iter()
            .filter(|(_, _, d)| matches!(d, Data::String(s) if !s.trim().is_empty()))
            .count();
        if width >= 2 && next.len() == width && names == width {
            let empty = folded.iter().filter(|f| f.is_empty()).count();
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Data,
                    format!(
                        "row {header_row} has {empty} empty {} over a row of names in every \
                         column: a two-row header?",
                        crate::diag::agree(empty, "header", "headers")
                    ),
                )
                .at(sheet_loc)
                .with_help(super::table::group_row_help(header_row)),
            ));
        }
    }
    // A value far to the right of the headers (a stray paste) makes the table that wide: name
    // the cell rather than only the first empty header on the way to it.
    if folded.last().is_some_and(String::is_empty)
        && let Some((r, c, d)) = cells[below..]
            .iter()
            .find(|(_, c, d)| *c as usize - c0 + 1 == width && !is_empty_cell(d))
    {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "column {} has no header, but row {} holds a value in it (\"{}\", cell {}{})",
                    *c + 1,
                    *r + 1,
                    truncate(&header_text(d), 200),
                    super::table::spreadsheet_column(*c as usize),
                    *r + 1
                ),
            )
            .at(sheet_loc)
            .with_help("delete the stray value, or give its column a header"),
        ));
    }
    check_headers(&shown, Some(&sheet.name), header_row, &folded, c0)?;
    let Some(ingest) = ingest else {
        return Ok(folded);
    };
    ingest.begin_file(&shown, Some(&sheet.name), &folded, &written)?;
    let wanted: Vec<usize> = ingest.wants().collect();
    // Number columns formatted as percentages in every scanned cell are read in percent
    // units, as SPEC §6 reads a trailing % (`5%` → 5).
    let numbers: Vec<usize> = wanted
        .iter()
        .copied()
        .filter(|&j| ingest.reads_numbers(j))
        .collect();
    let look = percent_look(&sheet, h, c0, width, &numbers);
    let in_percent: Vec<bool> = look.iter().map(|l| matches!(l, (Some(_), None))).collect();
    let mut dates: Vec<String> = vec![String::new(); written.len()];
    let mut row: Vec<Data> = Vec::with_capacity(width);
    let mut rest = &cells[below..];
    // Data rows hidden by hand or by a filter: read, and said.
    let mut hidden_read: Vec<String> = Vec::new();
    // Text columns (ids, names, categories) holding numbers of 16 digits or more: per
    // column, the first such cell (Excel row, stored number) and how many there are.
    let texts: Vec<usize> = wanted
        .iter()
        .copied()
        .filter(|j| !numbers.contains(j))
        .collect();
    let mut long_numbers: Vec<Option<(usize, f64, usize)>> = vec![None; texts.len()];
    while let Some(&(r, _, _)) = rest.first() {
        // The row's cells are the next few: a scan, not a binary search over every cell
        // left (a cache miss per step on a large sheet, most of this loop's time).
        let n = rest.iter().position(|c| c.0 != r).unwrap_or(rest.len());
        let (these, after) = rest.split_at(n);
        rest = after;
        row.clear();
        row.resize(width, Data::Empty);
        for (_, c, d) in these {
            if let Some(slot) = row.get_mut(*c as usize - c0) {
                *slot = d.clone();
            }
        }
        if row.iter().all(is_empty_cell) {
            continue;
        }
        if !sheet.hidden.is_empty() && sheet.hidden.binary_search(&r).is_ok() {
            hidden_read.push(cell_row(r));
        }
        for &j in &wanted {
            if let Some(Data::DateTime(d)) = row.get(j) {
                dates[j] = render_datetime(d);
            }
        }
        let errors: Vec<String> = wanted
            .iter()
            .map(|&j| match row.get(j) {
                Some(Data::Error(e)) => e.to_string(),
                _ => String::new(),
            })
            .collect();
        let excel_row = r as usize + 1;
        for (k, &j) in texts.iter().enumerate() {
            if let Some(&Data::Float(x)) = row.get(j)
                && x.abs() >= SIXTEEN_DIGITS
            {
                match &mut long_numbers[k] {
                    Some((_, _, count)) => *count += 1,
                    slot @ None => *slot = Some((excel_row, x, 1)),
                }
            }
        }
        let (dates, row) = (&dates, &row);
        ingest.push_row(excel_row, |j| match row.get(j) {
            None | Some(Data::Empty) => Cell::Empty,
            Some(Data::String(s)) | Some(Data::DurationIso(s)) => Cell::Text(s),
            Some(Data::DateTimeIso(s)) => Cell::Date(s, None),
            Some(Data::Float(x)) if in_percent[j] => Cell::Number(percent_units(*x)),
            Some(Data::Int(v)) if in_percent[j] => Cell::Number(*v as f64 * 100.0),
            Some(Data::Float(x)) => Cell::Number(*x),
            Some(Data::Int(v)) => Cell::Number(*v as f64),
            Some(Data::Bool(b)) => Cell::Bool(*b),
            Some(Data::DateTime(d)) => Cell::Date(&dates[j], Some(d.as_f64())),
            Some(Data::Error(_)) => {
                let k = wanted.iter().position(|&w| w == j).unwrap_or(0);
                Cell::ErrorValue(errors.get(k).map_or("#ERROR", String::as_str))
            }
        })?;
    }
    let mut warnings = merged_warnings(&sheet, &sheet_loc, h, c0, &written, &wanted);
    for (&j, found) in texts.iter().zip(&long_numbers) {
        if let Some((row, x, count)) = *found {
            warnings.push(long_number_warning(
                &sheet_loc,
                written.get(j).map_or("", String::as_str),
                &format!("{}{row}", super::table::spreadsheet_column(c0 + j)),
                x,
                count,
            ));
        }
    }
    // Several years or districts on sheets of one layout: the one on screen when the
    // workbook was saved is most likely the one meant, yet the first visible sheet is read
    // (SPEC §3). Said whatever the open sheet holds: a sheet of notes left open costs a line.
    if let Some(active) = &sheet.active {
        warnings.push(format!(
            "{sheet_loc}: the first visible sheet was read, but the workbook was saved with sheet \"{}\" open; if that is the sheet to score, choose it with --sheet \"{}\" or [data] sheet = \"{}\"",
            truncate(active, 60),
            truncate(active, 60),
            truncate(active, 60)
        ));
    }
    // (A row hidden by hand or by a filter is often one left out of the evaluation: a
    // withdrawn application. Reading it all the same is what the file holds; saying so is
    // what the analyst needs.)
    match hidden_read.as_slice() {
        [] => {}
        [one] => warnings.push(format!(
            "{sheet_loc}: {one} is hidden (by hand or by a filter) but is read and scored like the others; if it was hidden to leave its entity out, delete the row (or copy the visible rows to a new sheet)"
        )),
        many => warnings.push(format!(
            "{sheet_loc}: {} data rows are hidden (by hand or by a filter) but are read and scored like the others: {}; if they were hidden to leave their entities out, delete the rows (or copy the visible rows to a new sheet)",
            many.len(),
            first_five(many, ", ")
        )),
    }
    warnings.extend(uncomputed_warning(&sheet, &sheet_loc, h, c0, &wanted));
    let rescaled: Vec<bool> = folded
        .iter()
        .map(|f| opts.rescaled_columns.contains(f))
        .collect();
    warnings.extend(percent_warnings(&look, &sheet_loc, c0, &written, &rescaled));
    warnings.extend(scaled_warnings(
        &sheet, &sheet_loc, h, c0, &written, &numbers,
    ));
    let default_sheet = (!sheet.others.is_empty()).then(|| (sheet.name.clone(), sheet.others));
    ingest.end_file(
        &shown,
        sheet.sha256,
        "xlsx".to_string(),
        warnings,
        default_sheet,
    );
    Ok(folded)
}
