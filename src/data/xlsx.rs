//! XLSX/XLSM workbooks through calamine: one sheet, the same header and cell rules as
//! delimited text, row numbers as Excel shows them.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};

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
    range: Range<Data>,
    sha256: String,
}

fn open_sheet(path: &Path, opts: &ReadOptions) -> Result<Sheet, Error> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&shown, &e))?;
    let sha256 = {
        use sha2::{Digest, Sha256};
        hex(&Sha256::digest(&bytes))
    };
    let not_a_workbook = |e: &dyn std::fmt::Display| {
        Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "cannot read '{shown}' as an XLSX workbook: {}",
                    truncate(&e.to_string(), 200)
                ),
            )
            .with_help(
                "save the file from Excel or WPS as .xlsx, or give delimited text a \
                 .csv extension",
            ),
        )
    };
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| not_a_workbook(&e))?;
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
        None => match names.first() {
            Some(n) => n.clone(),
            None => {
                return Err(Error::one(
                    Diagnostic::new(Stage::Data, "the workbook has no sheets").at(shown),
                ));
            }
        },
    };
    let range = wb.worksheet_range(&name).map_err(|e| not_a_workbook(&e))?;
    Ok(Sheet {
        name,
        range,
        sha256,
    })
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
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
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
        Data::String(s) => s.trim().is_empty(),
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
    let range = &sheet.range;
    let header_row = opts.header_row;
    let sheet_loc = format!("{shown}, sheet \"{}\"", sheet.name);
    let Some((r0, c0)) = range.start() else {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!("header row {header_row} is beyond the end of the sheet (it is empty)"),
            )
            .at(sheet_loc),
        ));
    };
    let (r0, c0) = (r0 as usize, c0 as usize);
    let height = range.height();
    // Excel row numbers are 1-based; the range starts at 0-based row r0.
    if header_row > r0 + height {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "header row {header_row} is beyond the end of the sheet ({} rows)",
                    r0 + height
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
    let rows: Vec<&[Data]> = range.rows().collect();
    let h_idx = header_row - 1 - r0;
    let mut written: Vec<String> = rows[h_idx].iter().map(header_text).collect();
    // Columns that are empty from the header down are invisible in Excel: drop them at the end.
    while written.last().is_some_and(String::is_empty) {
        let j = written.len() - 1;
        if rows[h_idx + 1..]
            .iter()
            .all(|r| r.get(j).is_none_or(is_empty_cell))
        {
            written.pop();
        } else {
            break;
        }
    }
    let folded: Vec<String> = written.iter().map(|h| fold_header(h)).collect();
    check_headers(&shown, Some(&sheet.name), header_row, &folded, c0)?;
    let Some(ingest) = ingest else {
        return Ok(folded);
    };
    ingest.begin_file(&shown, Some(&sheet.name), &folded, &written)?;
    let wanted: Vec<usize> = ingest.wants().collect();
    let mut dates: Vec<String> = vec![String::new(); written.len()];
    for (i, row) in rows.iter().enumerate().skip(h_idx + 1) {
        let row = &row[..written.len().min(row.len())];
        if row.iter().all(is_empty_cell) {
            continue;
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
        let excel_row = r0 + i + 1;
        let dates = &dates;
        ingest.push_row(excel_row, |j| match row.get(j) {
            None | Some(Data::Empty) => Cell::Empty,
            Some(Data::String(s)) | Some(Data::DurationIso(s)) => Cell::Text(s),
            Some(Data::DateTimeIso(s)) => Cell::Date(s),
            Some(Data::Float(x)) => Cell::Number(*x),
            Some(Data::Int(v)) => Cell::Number(*v as f64),
            Some(Data::Bool(b)) => Cell::Bool(*b),
            Some(Data::DateTime(_)) => Cell::Date(&dates[j]),
            Some(Data::Error(_)) => {
                let k = wanted.iter().position(|&w| w == j).unwrap_or(0);
                Cell::ErrorValue(errors.get(k).map_or("#ERROR", String::as_str))
            }
        })?;
    }
    ingest.end_file(&shown, sheet.sha256, "xlsx".to_string());
    Ok(folded)
}
