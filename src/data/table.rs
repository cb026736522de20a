//! The [`Table`] built from one or more data files, and the typed column builders the
//! readers feed cell by cell.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::column::{Column, TextColumn, format_number};
use crate::diag::{Diagnostic, Error, Place, Stage, truncate};

use super::cell::{
    BOOL_WORDS, Decimal, Markers, NUMBER_FORMS, decimal_at, fold_header, is_canonical_number,
    normalise_cell, parse_bool, parse_number, trim_cell, undefused,
};

/// Most cell errors listed one by one; the others are summarised per column.
pub const MAX_ERRORS: usize = 20;

/// Most cell errors of one column listed one by one: a column wrong in every row (units
/// after each number) shows its kind of error three times, then one summary of the rest.
const SHOWN_PER_COLUMN: usize = 3;

/// Cell errors counted (listed or summarised) before reading stops: past it a file wrong
/// throughout is not read to its end only to count.
const COUNT_LIMIT: usize = 100_000;

/// Rows listed in a column's summary of the errors not shown one by one.
const SUMMARY_ROWS: usize = 8;

/// How the data files are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Forced input encoding (`--encoding`): utf8, gbk, gb18030, utf16, utf-16le, utf-16be.
    pub encoding: Option<String>,
    /// Field delimiter of delimited text.
    pub delimiter: u8,
    /// 1-based row holding the headers; rows above it are ignored (CSV and XLSX).
    pub header_row: usize,
    /// Missing markers added to the built-in ones.
    pub missing_markers: Vec<String>,
    /// XLSX sheet name; the first sheet when `None`.
    pub sheet: Option<String>,
    /// Folded headers of columns an indicator rescales (`multiply`): read in percent units
    /// from a workbook's percent format, they draw a note that the rescaling comes on top.
    pub rescaled_columns: Vec<String>,
    /// Whether each file's SHA-256 is computed for the audit ([`FileInfo::sha256`]). On by
    /// default; `score` turns it off for CSV output, which publishes no audit (the digest is
    /// ~6 % of the CPU time of reading a large file).
    pub digest: bool,
    /// Counts the bytes of the data files read so far, for a progress bar (`score` on a
    /// terminal); `None` counts nothing.
    pub progress: Option<ReadProgress>,
}

/// Bytes of data read so far, shared between the reader, which adds to it, and whoever
/// shows progress. Clones share one count; two counts are equal when they are one.
#[derive(Debug, Clone, Default)]
pub struct ReadProgress(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl ReadProgress {
    /// A count at 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn add(&self, n: u64) {
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    }

    /// Back to `n` bytes: a file read again from its start (another encoding tried).
    pub(crate) fn set(&self, n: u64) {
        self.0.store(n, std::sync::atomic::Ordering::Relaxed);
    }
}

impl PartialEq for ReadProgress {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ReadProgress {}

/// A reader that adds the bytes it reads to a [`ReadProgress`].
pub(crate) struct Counted<R> {
    inner: R,
    progress: Option<ReadProgress>,
}

impl<R> Counted<R> {
    pub(crate) fn new(inner: R, progress: Option<ReadProgress>) -> Self {
        Counted { inner, progress }
    }
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = &self.progress {
            p.add(n as u64);
        }
        Ok(n)
    }
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            encoding: None,
            delimiter: b',',
            header_row: 1,
            missing_markers: Vec::new(),
            sheet: None,
            rescaled_columns: Vec::new(),
            digest: true,
            progress: None,
        }
    }
}

/// Whether a byte can separate fields: ASCII, and not a quote, a line break or NUL (which
/// the reader takes for binary data).
pub(crate) fn usable_delimiter(b: u8) -> bool {
    b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r' | 0)
}

/// Parses a `--delimiter` value: one ASCII character, or `\t` / `tab` for a tab.
pub fn parse_delimiter(s: &str) -> Result<u8, Error> {
    if s == "\\t" || s == "tab" || s == "\t" {
        return Ok(b'\t');
    }
    // SPEC §6 names `\t` and `tab`; anything else is a usage error, said with the spelling.
    if s.eq_ignore_ascii_case("tab") {
        return Err(Error::one(
            Diagnostic::new(Stage::Usage, format!("invalid --delimiter '{s}'"))
                .with_help("for a tab, give --delimiter tab (in lower case) or \\t"),
        ));
    }
    let mut chars = s.chars();
    let folded = crate::data::cell::fold_width(s);
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && usable_delimiter(c as u8) => Ok(c as u8),
        // `；` or `，` typed with a Chinese input method.
        (Some(c), None) if !c.is_ascii() && folded.len() == 1 && folded != "\"" => Err(Error::one(
            Diagnostic::new(
                Stage::Usage,
                format!("invalid --delimiter '{c}': it is the full-width form of '{folded}'"),
            )
            .with_help(format!(
                "the delimiter is one ASCII character: give --delimiter '{folded}'; if the \
                 file itself separates fields with '{c}', replace them with '{folded}' first"
            )),
        )),
        _ => Err(Error::one(
            Diagnostic::new(
                Stage::Usage,
                format!("invalid --delimiter '{}'", truncate(s, 200)),
            )
            .with_help(
                "give one ASCII character such as , ; or |, and \\t or tab for a tab \
                 (not a double quote or a line break)",
            ),
        )),
    }
}

/// How a column is to be parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnRequest {
    /// Numbers (thousands separators, full-width digits, `%` accepted); other text is an error.
    Number,
    /// Boolean words (是/否, 有/无, Y/N, yes/no, true/false, 1/0); other text is an error.
    Bool,
    /// Text, as category values, ids and names are read.
    Text,
    /// Number if every present cell is a number, else bool if every one is a boolean
    /// word, else text (all missing → number).
    Infer,
}

/// One data file that went into a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The file's path as given.
    pub path: String,
    /// Lowercase hex SHA-256 of the raw file bytes; empty when [`ReadOptions::digest`] was
    /// off.
    pub sha256: String,
    /// Data rows read from this file (blank records not counted).
    pub rows: usize,
    /// "utf-8", "gb18030", "utf-16le", "utf-16be", "xlsx", or "memory" for a table built
    /// in memory ([`Table::from_columns`]: its SHA-256 is then of its headers and values).
    pub encoding: String,
    /// What reading the file found doubtful but read (passed on as run warnings).
    pub warnings: Vec<String>,
    /// For a workbook read without a sheet named: the sheet read and the workbook's other
    /// worksheets, for errors that suggest the data may be on another sheet.
    pub default_sheet: Option<(String, Vec<String>)>,
    /// The workbook sheet read; `None` for delimited text.
    pub sheet: Option<String>,
}

/// The SHA-256 of a table built in memory, for the audit: of its shape, headers and values
/// in a fixed layout (per column its header, kind and values: numbers as 8 little-endian
/// bytes with −0 as 0, yes/no as one byte, texts with their length, a missing value as a
/// tag of its own), so the same columns give the same digest and any changed value
/// another. Values are laid out in blocks and hashed a block at a time.
fn columns_sha256(headers: &[String], columns: &[Option<Column>], rows: usize) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update((rows as u64).to_le_bytes());
    h.update((headers.len() as u64).to_le_bytes());
    let mut block: Vec<u8> = Vec::with_capacity(1 << 16);
    let text = |block: &mut Vec<u8>, t: &str| {
        block.extend_from_slice(&(t.len() as u64).to_le_bytes());
        block.extend_from_slice(t.as_bytes());
    };
    let flush = |h: &mut Sha256, block: &mut Vec<u8>, force: bool| {
        if force || block.len() >= 1 << 16 {
            h.update(&block[..]);
            block.clear();
        }
    };
    for (name, c) in headers.iter().zip(columns) {
        text(&mut block, name);
        match c {
            None => block.push(0),
            Some(Column::Number(v)) => {
                block.push(1);
                for &x in v {
                    if x.is_nan() {
                        block.push(0);
                    } else {
                        block.push(1);
                        block.extend_from_slice(&(x + 0.0).to_le_bytes());
                    }
                    flush(&mut h, &mut block, false);
                }
            }
            Some(Column::Bool(v)) => {
                block.push(2);
                for b in v {
                    block.push(b.map_or(2, u8::from));
                    flush(&mut h, &mut block, false);
                }
            }
            Some(Column::Text(t)) => {
                block.push(3);
                for i in 0..t.len() {
                    match t.get(i) {
                        None => block.push(0),
                        Some(v) => {
                            block.push(1);
                            text(&mut block, v);
                        }
                    }
                    flush(&mut h, &mut block, false);
                }
            }
        }
    }
    flush(&mut h, &mut block, true);
    super::decode::hex(&h.finalize())
}

/// Where the rows of one file sit in the table.
#[derive(Debug, Clone)]
struct FileOrigin {
    path: String,
    sheet: Option<String>,
    /// First table row of this file.
    start: usize,
    /// Runs of consecutive spreadsheet rows: (first table row, its spreadsheet row).
    runs: Vec<(usize, usize)>,
    /// The headers as written in this file (trimmed), in table order.
    display_headers: Vec<String>,
}

/// An in-memory text column as a file's reader would have stored it: cells trimmed, the
/// built-in missing markers missing. `Ok(None)` when it already is; `Err((row, code))` for
/// a code outside the dictionary.
fn cleaned_text(t: &TextColumn) -> Result<Option<TextColumn>, (usize, u32)> {
    if let Some(row) = t
        .codes
        .iter()
        .position(|&c| c != TextColumn::MISSING && c as usize >= t.dict.len())
    {
        return Err((row, t.codes[row]));
    }
    let markers = Markers::new(&[]);
    let entries: Vec<Option<&str>> = (0..t.dict.len())
        .map(|i| {
            let text = t.dict.get(i).unwrap_or_default();
            let trimmed = trim_cell(text);
            (!markers.is_missing(&normalise_cell(trimmed))).then_some(trimmed)
        })
        .collect();
    let unchanged = (0..t.dict.len()).all(|i| entries[i] == t.dict.get(i));
    if unchanged {
        return Ok(None);
    }
    Ok(Some(TextColumn::from_values(t.codes.iter().map(|&c| {
        if c == TextColumn::MISSING {
            None
        } else {
            entries[c as usize]
        }
    }))))
}

/// Columns read from one or more data files, concatenated.
#[derive(Debug, Clone)]
pub struct Table {
    /// Folded header texts, in the first file's order.
    pub headers: Vec<String>,
    /// Parallel to `headers`: `Some` for requested columns.
    pub columns: Vec<Option<Column>>,
    /// The files read, in order (the audit's `data` block).
    pub files: Vec<FileInfo>,
    origins: Vec<FileOrigin>,
    rows: usize,
    index: HashMap<String, usize>,
    /// The missing markers the cells were read with (built-ins plus `[data]` ones): what
    /// the rules' own markers still have to be applied to at scoring.
    markers: Markers,
    /// Parallel to `headers`: the first row of a number column whose cell was written with
    /// `%` (read as written, 65% as 65), for the columns where a percent makes no sense.
    percent_first: Vec<Option<usize>>,
}

impl Table {
    /// A table built in memory (a data frame, a database query, tests): rows are numbered
    /// as if read from a file `path` with the header in row 1. Headers are folded as the file
    /// readers fold them (full-width characters, spaces), so rules written for a file match.
    ///
    /// Refused with a data error, as a file would be: a header count that differs from the
    /// column count, an empty or duplicate header, columns of different lengths, and an
    /// infinite number (NaN is a missing value; infinity is not a value, SPEC §6). Text
    /// cells are taken as a file's are: trimmed, and a built-in missing marker (`""`, `NA`,
    /// `—`, …) is a missing value; a text column's code outside its dictionary is refused.
    pub fn from_columns(
        path: &str,
        headers: Vec<String>,
        mut columns: Vec<Option<Column>>,
    ) -> Result<Table, Error> {
        let refuse = |message: String, help: &str| {
            Err(Error::one(
                Diagnostic::new(Stage::Data, message)
                    .at(path.to_string())
                    .with_help(help.to_string()),
            ))
        };
        if headers.len() != columns.len() {
            return refuse(
                format!("{} headers for {} columns", headers.len(), columns.len()),
                "give one header per column (`None` for a column that is not read)",
            );
        }
        let display_headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let folded: Vec<String> = headers
            .iter()
            .map(|h| super::cell::fold_header(h))
            .collect();
        check_headers(path, None, 1, &folded, 0)?;
        for (h, c) in headers.iter().zip(columns.iter_mut()) {
            if let Some(Column::Text(t)) = c
                && let Some(clean) = cleaned_text(t).map_err(|(row, code)| {
                    Error::one(
                        Diagnostic::new(
                            Stage::Data,
                            format!(
                                "column \"{}\" has code {code} in row {} but its dictionary holds {} texts",
                                truncate(h, 200),
                                row + 1,
                                t.dict.len()
                            ),
                        )
                        .at(path.to_string())
                        .with_help(format!(
                            "build text columns with TextColumn::from_values, or use codes below {} and TextColumn::MISSING",
                            t.dict.len()
                        )),
                    )
                })?
            {
                *t = clean;
            }
        }
        let mut sized = headers
            .iter()
            .zip(&columns)
            .filter_map(|(h, c)| Some((h, c.as_ref()?)));
        let rows = match sized.next() {
            Some((first, c)) => {
                let rows = c.len();
                if let Some((h, c)) = sized.find(|(_, c)| c.len() != rows) {
                    return refuse(
                        format!(
                            "column \"{}\" has {} values but column \"{}\" has {rows}",
                            truncate(h, 200),
                            c.len(),
                            truncate(first, 200)
                        ),
                        "give every column one value per row (NaN or None for a missing value)",
                    );
                }
                rows
            }
            None => 0,
        };
        let index = folded
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        // The audit names the table as it would a file, with a digest of what it holds.
        let files = vec![FileInfo {
            path: path.to_string(),
            sha256: columns_sha256(&display_headers, &columns, rows),
            rows,
            encoding: "memory".into(),
            warnings: Vec::new(),
            default_sheet: None,
            sheet: None,
        }];
        let table = Table {
            origins: vec![FileOrigin {
                path: path.to_string(),
                sheet: None,
                start: 0,
                runs: vec![(0, 2)],
                display_headers,
            }],
            files,
            percent_first: vec![None; folded.len()],
            headers: folded,
            columns,
            rows,
            index,
            markers: Markers::new(&[]),
        };
        for (h, c) in table.headers.iter().zip(&table.columns) {
            if let Some(Column::Number(v)) = c
                && let Some(row) = v.iter().position(|x| x.is_infinite())
            {
                return Err(Error::one(
                    Diagnostic::new(
                        Stage::Data,
                        format!(
                            "the value is {}, which is not a number a criterion can score",
                            v[row]
                        ),
                    )
                    .at(table.location(row, h))
                    .with_help("use NaN for a missing value, or the largest real figure"),
                ));
            }
        }
        Ok(table)
    }

    /// Whether the columns are as long as the table says: a table's fields are public, and a
    /// column changed after [`Table::from_columns`] must not reach the engine's indexing.
    pub(crate) fn check_shape(&self) -> Result<(), Error> {
        let bad = self.headers.len() != self.columns.len()
            || self.columns.iter().flatten().any(|c| c.len() != self.rows);
        if !bad {
            return Ok(());
        }
        Err(Error::one(
            Diagnostic::new(
                Stage::Data,
                format!(
                    "the table's {} headers and {} columns do not all have its {} rows (a field was changed after the table was built)",
                    self.headers.len(),
                    self.columns.len(),
                    self.rows
                ),
            )
            .at(self.sources().next().unwrap_or("data").to_string())
            .with_help("build the table again with Table::from_columns".to_string()),
        ))
    }

    /// Where the rows came from, for messages: each file's path, or the name an in-memory
    /// table was given.
    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().map(|o| o.path.as_str())
    }

    /// Number of data rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The missing markers the cells were read with: the built-ins, plus the reading
    /// options' `missing_markers` for a table read from files.
    pub fn markers(&self) -> &Markers {
        &self.markers
    }

    /// The index of the column with this folded header.
    pub fn column_index(&self, folded_header: &str) -> Option<usize> {
        self.index.get(folded_header).copied()
    }

    /// Column `j`'s header as the first file writes it (the folded header for a table built
    /// in memory).
    pub fn written_header(&self, j: usize) -> &str {
        self.origins
            .first()
            .and_then(|o| o.display_headers.get(j))
            .filter(|h| !h.is_empty())
            .map_or(self.headers[j].as_str(), String::as_str)
    }

    /// A folded header as the first file writes it (itself when it is no header).
    pub fn shown_header<'h>(&'h self, folded: &'h str) -> &'h str {
        match self.column_index(folded) {
            Some(j) => self.written_header(j),
            None => folded,
        }
    }

    /// The column with this folded header, when it was read.
    pub fn column(&self, folded_header: &str) -> Option<&Column> {
        self.columns[self.column_index(folded_header)?].as_ref()
    }

    fn origin_entry(&self, row: usize) -> (&FileOrigin, usize) {
        let f = self
            .origins
            .partition_point(|o| o.start <= row)
            .saturating_sub(1);
        let o = &self.origins[f];
        let r = o.runs.partition_point(|&(s, _)| s <= row).saturating_sub(1);
        let (s, n) = o.runs[r];
        (o, n + (row - s))
    }

    /// File path and row number (as a spreadsheet shows it) of table row `row`.
    pub fn origin(&self, row: usize) -> (&str, usize) {
        let (o, n) = self.origin_entry(row);
        (o.path.as_str(), n)
    }

    /// `FILE row N` (`FILE (sheet "S") row N` for a workbook) of table row `row`: where a
    /// warning about a whole row points.
    pub fn file_row(&self, row: usize) -> String {
        let (o, n) = self.origin_entry(row);
        match &o.sheet {
            Some(s) => format!("{} (sheet \"{}\") row {n}", o.path, truncate(s, 60)),
            None => format!("{} row {n}", o.path),
        }
    }

    /// Adds a reading warning to the file read from `path`.
    fn warn_on_file(&mut self, path: &str, warning: String) {
        if let Some(f) = self.files.iter_mut().find(|f| f.path == path) {
            f.warnings.push(warning);
        }
    }

    /// The first row of column `column` (an index into `headers`) whose number was written
    /// with `%`; `None` when there is none or the column is not numbers.
    pub fn first_percent_row(&self, column: usize) -> Option<usize> {
        self.percent_first.get(column).copied().flatten()
    }

    /// `FILE, row N, column "H"` (with `sheet "S", ` for XLSX); the column is named as the
    /// file writes it when `header` is a known folded header.
    pub fn location(&self, row: usize, header: &str) -> Place {
        let (o, n) = self.origin_entry(row);
        let shown = self
            .column_index(header)
            .and_then(|i| o.display_headers.get(i))
            .map_or(header, String::as_str);
        cell_location(&o.path, o.sheet.as_deref(), n, shown)
    }
}

/// `FILE[, sheet "S"], row N, column "H"`.
pub fn cell_location(path: &str, sheet: Option<&str>, row: usize, header: &str) -> Place {
    Place::Cell {
        file: path.to_string(),
        sheet: sheet.map(str::to_string),
        row,
        column: header.to_string(),
    }
}

/// `FILE[, sheet "S"], column "H"`.
fn column_location(path: &str, sheet: Option<&str>, header: &str) -> Place {
    Place::Column {
        file: path.to_string(),
        sheet: sheet.map(str::to_string),
        column: header.to_string(),
    }
}

/// `FILE[, sheet "S"], row N`.
pub fn row_location(path: &str, sheet: Option<&str>, row: usize) -> Place {
    Place::Row {
        file: path.to_string(),
        sheet: sheet.map(str::to_string),
        row,
    }
}

/// A cell handed to a builder.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Text as written (CSV field, XLSX string cell).
    Text(&'a str),
    /// A CSV field's bytes (UTF-8: the decoder guarantees it); read as `Text` unless the
    /// column is numeric and the field a plain number.
    Raw(&'a [u8]),
    /// A numeric spreadsheet cell.
    Number(f64),
    /// A boolean spreadsheet cell.
    Bool(bool),
    /// A date/time spreadsheet cell, already rendered (`2024-03-01`), with the number the
    /// workbook stores for it when it has one (Excel's day count: 99 shows as 1900-04-08).
    Date(&'a str, Option<f64>),
    /// An empty spreadsheet cell.
    Empty,
    /// A spreadsheet error cell (`#DIV/0!`).
    ErrorValue(&'a str),
}

/// What is wrong with one cell (the caller adds the location).
struct CellProblem {
    /// The cell as shown in the message (cut to 200 characters).
    value: String,
    message: String,
    help: Option<String>,
}

/// Accumulates the values of one column.
enum Builder {
    Number(NumberBuilder),
    /// The values, and the rows (ascending) whose cell was a yes/no word that a missing
    /// marker made missing (`无` listed in `missing_markers`).
    Bool(Vec<Option<bool>>, Vec<usize>),
    Text(TextBuilder),
    Infer(InferBuilder),
}

/// A number column being read.
#[derive(Default)]
struct NumberBuilder {
    values: Vec<f64>,
    /// Rows whose cell carried a `%` (read as written: 65% is 65), ascending.
    percent_rows: Vec<usize>,
    /// Rows whose cell was a dash with white space around it (` -   `), read as missing:
    /// how an accounting (会计专用) format shows a zero, ascending.
    padded_dash_rows: Vec<usize>,
}

/// A column whose cells mix numbers written with `%` and plain numbers between -1 and 1:
/// each cell is read as written (`65%` as 65, `0.85` as 0.85), so fractions written among
/// percentages are read 100 times too small.
struct PercentMix {
    /// The first row with `%`, its value, and how many there are.
    percent: (usize, f64, usize),
    /// The first plain fraction, its value, and how many there are.
    plain: (usize, f64, usize),
}

/// [`PercentMix`] of a column's values, given its rows written with `%` (ascending).
fn percent_mix(values: &[f64], percent_rows: &[usize]) -> Option<PercentMix> {
    let &first = percent_rows.first()?;
    let mut next = percent_rows.iter().peekable();
    let mut plain: Option<(usize, f64, usize)> = None;
    for (i, &x) in values.iter().enumerate() {
        if next.next_if(|&&r| r == i).is_some() {
            continue;
        }
        if x.is_finite() && x != 0.0 && x.abs() <= 1.0 {
            match &mut plain {
                Some(p) => p.2 += 1,
                None => plain = Some((i, x, 1)),
            }
        }
    }
    Some(PercentMix {
        percent: (first, values[first], percent_rows.len()),
        plain: plain?,
    })
}

/// Dictionary builder of a text column: the texts in a [`crate::column::TextDict`] and an
/// open-addressing index over them.
///
/// Written by hand (not a `HashMap`) because an id column has as many distinct values as
/// rows, so nearly every lookup is a cache and TLB miss in a table of tens of MB; the
/// readers look the next texts up ahead of time ([`TextBuilder::prefetch`]), which needs
/// the slot address before the lookup, and no map crate exposes that. Each slot packs the
/// high 32 bits of the text's hash (which also pick the slot) with its code, so a probe
/// compares texts only when those bits agree.
struct TextBuilder {
    col: TextColumn,
    slots: Vec<u64>,
    /// Whether some text went in without the marker and trimming checks (a spreadsheet's
    /// number, boolean or date cell): then a raw cell equal to it may still be a marker, and
    /// [`TextBuilder::push_raw`] must check every cell.
    unchecked: bool,
}

impl Default for TextBuilder {
    fn default() -> Self {
        TextBuilder {
            col: TextColumn::default(),
            slots: vec![EMPTY_SLOT; 1 << 10],
            unchecked: false,
        }
    }
}

/// A slot holding no code.
const EMPTY_SLOT: u64 = u64::MAX;

/// Hashes bytes 8 at a time (multiply-rotate), finished with the SplitMix64 mixer.
fn text_hash(b: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = b.len() as u64;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        h = (h.rotate_left(5) ^ w).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    h ^ (h >> 31)
}

impl TextBuilder {
    #[inline]
    fn home(&self, tag: u64) -> usize {
        (tag >> 32) as usize & (self.slots.len() - 1)
    }

    /// Starts loading the slot `s` will probe first.
    #[inline]
    fn prefetch(&self, s: &[u8]) {
        let tag = text_hash(s) & !0xFFFF_FFFF;
        crate::num::prefetch(&self.slots[self.home(tag)]);
    }

    /// The tag of a text: the high 32 bits of its hash (which also pick its first slot).
    #[inline]
    fn tag_of(b: &[u8]) -> u64 {
        text_hash(b) & !0xFFFF_FFFF
    }

    /// The code of the text `b` if it is in the dictionary, else the empty slot where it
    /// would go.
    #[inline]
    fn probe(&self, b: &[u8], tag: u64) -> Result<u32, usize> {
        let mask = self.slots.len() - 1;
        let mut i = self.home(tag);
        loop {
            let slot = self.slots[i];
            if slot == EMPTY_SLOT {
                return Err(i);
            }
            if slot & !0xFFFF_FFFF == tag {
                let code = (slot & 0xFFFF_FFFF) as u32;
                if self.col.dict[code as usize].as_bytes() == b {
                    return Ok(code);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a text that [`TextBuilder::probe`] did not find, at the slot it gave.
    fn insert_at(&mut self, slot: usize, tag: u64, s: &str) -> u32 {
        let dict = std::sync::Arc::make_mut(&mut self.col.dict);
        let code = dict.len() as u32;
        dict.push(s);
        self.slots[slot] = tag | u64::from(code);
        if dict.len() * 2 > self.slots.len() {
            self.grow();
        }
        code
    }

    fn code_of(&mut self, s: &str) -> u32 {
        let tag = Self::tag_of(s.as_bytes());
        match self.probe(s.as_bytes(), tag) {
            Ok(code) => code,
            Err(slot) => self.insert_at(slot, tag, s),
        }
    }

    /// Adds the raw CSV cell `b` when it needs no normalisation: looked up first, as bytes
    /// (a text already in the dictionary was a plain text when it went in, or the trimmed
    /// form of a cell that is not a marker, so the same bytes map to the same code either
    /// way), and checked only when it is new. `false` (nothing added) hands the cell to
    /// the general path.
    #[inline]
    fn push_raw(&mut self, b: &[u8], markers: &Markers) -> bool {
        // A leading apostrophe may be a formula guard (`undefused`, general path): the same
        // bytes could have gone in as another text.
        if b.first() == Some(&b'\'') {
            return false;
        }
        if self.unchecked {
            let Some(s) = markers.plain_text(b) else {
                return false;
            };
            self.push(Some(s));
            return true;
        }
        let tag = Self::tag_of(b);
        let code = match self.probe(b, tag) {
            Ok(code) => code,
            Err(slot) => match markers.plain_text(b) {
                Some(s) => self.insert_at(slot, tag, s),
                None => return false,
            },
        };
        self.col.codes.push(code);
        true
    }

    /// Room for `rows` distinct texts (an estimate): the index at a load of at most one
    /// half, and the dictionary and codes at their final size.
    fn reserve(&mut self, rows: usize) {
        let slots = (2 * rows).next_power_of_two();
        if slots > self.slots.len() {
            self.rehash(slots);
        }
        let more = rows.saturating_sub(self.col.codes.len());
        self.col.codes.reserve(more);
        let dict = std::sync::Arc::make_mut(&mut self.col.dict);
        let per_text = dict.byte_len() / dict.len().max(1);
        dict.reserve(more, more * per_text);
    }

    /// Doubles the index (load kept at most one half).
    fn grow(&mut self) {
        self.rehash(self.slots.len() * 2);
    }

    /// The index rebuilt with `len` slots (a power of two).
    fn rehash(&mut self, len: usize) {
        let bigger = vec![EMPTY_SLOT; len];
        let old = std::mem::replace(&mut self.slots, bigger);
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|&s| s != EMPTY_SLOT) {
            let mut i = self.home(slot);
            while self.slots[i] != EMPTY_SLOT {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    fn push(&mut self, v: Option<&str>) {
        let code = match v {
            None => TextColumn::MISSING,
            Some(s) => self.code_of(s),
        };
        self.col.codes.push(code);
    }

    fn truncate(&mut self, n: usize) {
        self.col.codes.truncate(n);
        let keep = self
            .col
            .codes
            .iter()
            .filter(|&&c| c != TextColumn::MISSING)
            .map(|&c| c as usize + 1)
            .max()
            .unwrap_or(0);
        let dict = std::sync::Arc::make_mut(&mut self.col.dict);
        dict.truncate(keep);
        // Rebuild the index over the texts kept.
        let texts = std::mem::take(dict);
        self.slots = vec![EMPTY_SLOT; 1 << 10];
        for t in texts.iter() {
            self.code_of(t);
        }
    }
}

/// A column whose type is inferred from its cells (a column only expressions name).
///
/// While every cell is a number it keeps just the numbers, plus the text of the few cells
/// whose text is not the number's canonical form (`1.50`, `1,000`): a numeric column costs
/// what a declared one does. The first cell that is not a number spills everything into a
/// text arena (the canonical texts rebuilt exactly), and the column is then text or boolean.
#[derive(Default)]
struct InferBuilder {
    /// Numbers so far (NaN: missing), while `all_num`.
    nums: Vec<f64>,
    /// Rows (while `all_num`) whose text is not `format_number` of their number.
    odd: Vec<(usize, String)>,
    /// After the spill: every cell's text, back to back.
    arena: String,
    /// After the spill, per row: end of its text in `arena`, and whether it is missing.
    ends: Vec<(usize, bool)>,
    all_num: bool,
    all_bool: bool,
}

impl InferBuilder {
    fn new() -> Self {
        InferBuilder {
            all_num: true,
            all_bool: true,
            ..Default::default()
        }
    }

    fn push_missing(&mut self) {
        if self.all_num {
            self.nums.push(f64::NAN);
        } else {
            self.ends.push((self.arena.len(), true));
        }
    }

    /// `text`: the cell as it would be published; `num`: its number, if it is one.
    fn push(&mut self, text: &str, num: Option<f64>, is_bool: bool) {
        if !is_bool {
            self.all_bool = false;
        }
        if self.all_num {
            if let Some(v) = num {
                if !is_canonical_number(text.as_bytes()) {
                    self.odd.push((self.nums.len(), text.to_string()));
                }
                self.nums.push(v);
                return;
            }
            self.spill();
        }
        self.arena.push_str(text);
        self.ends.push((self.arena.len(), false));
    }

    /// [`InferBuilder::push`] of a simple decimal read by [`decimal_at`] (ASCII text).
    #[inline]
    fn push_decimal(&mut self, text: &[u8], d: Decimal) {
        debug_assert!(self.all_num);
        // Of the decimals only "0" and "1" are boolean words.
        if self.all_bool && text != b"0" && text != b"1" {
            self.all_bool = false;
        }
        if !d.canonical {
            let text = std::str::from_utf8(text).expect("a decimal is ASCII");
            self.odd.push((self.nums.len(), text.to_string()));
        }
        self.nums.push(d.value);
    }

    /// Leaves numeric mode: every row so far gets its text in the arena.
    fn spill(&mut self) {
        self.all_num = false;
        let nums = std::mem::take(&mut self.nums);
        let mut odd = std::mem::take(&mut self.odd).into_iter().peekable();
        for (i, x) in nums.into_iter().enumerate() {
            if x.is_nan() {
                self.ends.push((self.arena.len(), true));
                continue;
            }
            match odd.next_if(|(row, _)| *row == i) {
                Some((_, text)) => self.arena.push_str(&text),
                None => self.arena.push_str(&format_number(x)),
            }
            self.ends.push((self.arena.len(), false));
        }
    }

    fn texts(&self) -> impl Iterator<Item = Option<&str>> {
        let mut start = 0;
        self.ends.iter().map(move |&(end, missing)| {
            let s = &self.arena[start..end];
            start = end;
            (!missing).then_some(s)
        })
    }

    fn truncate(&mut self, n: usize) {
        if self.all_num {
            self.nums.truncate(n);
            self.odd.retain(|(row, _)| *row < n);
            let mut odd = self.odd.iter().peekable();
            self.all_bool = self.nums.iter().enumerate().all(|(i, &x)| {
                match odd.next_if(|(row, _)| *row == i) {
                    Some((_, text)) => parse_bool(&normalise_cell(text)).is_some(),
                    None => x.is_nan() || x == 0.0 || x == 1.0,
                }
            });
            return;
        }
        let old = std::mem::take(self);
        *self = InferBuilder::new();
        for t in old.texts().take(n) {
            match t {
                None => self.push_missing(),
                Some(s) => {
                    let norm = normalise_cell(s);
                    self.push(s, parse_number(&norm), parse_bool(&norm).is_some());
                }
            }
        }
    }

    fn finish(self) -> Column {
        if self.all_num {
            Column::Number(self.nums)
        } else if self.all_bool {
            Column::Bool(
                self.texts()
                    .map(|t| t.and_then(|s| parse_bool(&normalise_cell(s))))
                    .collect(),
            )
        } else {
            Column::Text(TextColumn::from_values(self.texts()))
        }
    }
}

fn excel_bool(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

impl Builder {
    fn new(req: ColumnRequest) -> Self {
        match req {
            ColumnRequest::Number => Builder::Number(NumberBuilder::default()),
            ColumnRequest::Bool => Builder::Bool(Vec::new(), Vec::new()),
            ColumnRequest::Text => Builder::Text(TextBuilder::default()),
            ColumnRequest::Infer => Builder::Infer(InferBuilder::new()),
        }
    }

    /// Whether the column mixes numbers written with `%` and plain fractions.
    fn percent_mix(&self) -> Option<PercentMix> {
        match self {
            Builder::Number(n) => percent_mix(&n.values, &n.percent_rows),
            Builder::Infer(i) if i.all_num => {
                let rows: Vec<usize> = i
                    .odd
                    .iter()
                    // (Not normalised: this runs over every non-canonical number.)
                    .filter(|(_, t)| crate::data::cell::written_with_percent(t))
                    .map(|&(r, _)| r)
                    .collect();
                percent_mix(&i.nums, &rows)
            }
            _ => None,
        }
    }

    /// The first row whose cell was a number written with `%`.
    fn first_percent_row(&self) -> Option<usize> {
        match self {
            Builder::Number(n) => n.percent_rows.first().copied(),
            Builder::Infer(i) if i.all_num => i
                .odd
                .iter()
                .find(|(_, t)| crate::data::cell::written_with_percent(t))
                .map(|&(r, _)| r),
            _ => None,
        }
    }

    /// Room for `rows` more values (an estimate of the rows of the file being read).
    fn reserve_rows(&mut self, rows: usize) {
        match self {
            Builder::Number(n) => n.values.reserve(rows),
            Builder::Bool(v, _) => v.reserve(rows),
            Builder::Text(t) => t.col.codes.reserve(rows),
            Builder::Infer(i) if i.all_num => i.nums.reserve(rows),
            Builder::Infer(_) => {}
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            Builder::Number(b) => {
                b.values.truncate(n);
                b.percent_rows.retain(|&r| r < n);
                b.padded_dash_rows.retain(|&r| r < n);
            }
            Builder::Bool(v, hidden) => {
                v.truncate(n);
                hidden.retain(|&r| r < n);
            }
            Builder::Text(t) => t.truncate(n),
            Builder::Infer(i) => i.truncate(n),
        }
    }

    fn finish(self) -> Column {
        match self {
            Builder::Number(n) => Column::Number(n.values),
            Builder::Bool(v, _) => Column::Bool(v),
            Builder::Text(t) => Column::Text(t.col),
            Builder::Infer(i) => i.finish(),
        }
    }

    /// Adds the CSV field `bytes[start..end]`: short decimals, empty cells (in every kind of
    /// column, whatever the markers) and the plain boolean words are taken directly (the
    /// reader's fast path: nearly every cell of a large export), anything else goes through
    /// [`Builder::push`].
    #[inline]
    fn push_field(
        &mut self,
        bytes: &[u8],
        start: usize,
        end: usize,
        markers: &Markers,
    ) -> Result<(), CellProblem> {
        if start == end {
            // The empty cell is always a missing marker, in every kind of column: taken as
            // the empty cell it is, not compared with every marker as text.
            return self.push(Cell::Empty, markers);
        }
        match self {
            Builder::Number(n) => {
                if !markers.numeric()
                    && let Some(d) = decimal_at(bytes, start, end)
                {
                    n.values.push(d.value);
                    return Ok(());
                }
            }
            Builder::Infer(i) => {
                if i.all_num
                    && !markers.numeric()
                    && let Some(d) = decimal_at(bytes, start, end)
                {
                    i.push_decimal(&bytes[start..end], d);
                    return Ok(());
                }
            }
            Builder::Bool(v, _) => {
                if let Some(b) = markers.plain_bool(&bytes[start..end]) {
                    v.push(b);
                    return Ok(());
                }
            }
            Builder::Text(t) => {
                if t.push_raw(&bytes[start..end], markers) {
                    return Ok(());
                }
            }
        }
        self.push(Cell::Raw(&bytes[start..end]), markers)
    }

    fn push(&mut self, cell: Cell<'_>, markers: &Markers) -> Result<(), CellProblem> {
        // A spreadsheet number or boolean whose shown text is a missing marker (`-999`,
        // `FALSE`) is missing, as that text in a CSV file is.
        let cell = match cell {
            Cell::Number(x) if markers.numeric() && markers.is_missing(&format_number(x)) => {
                Cell::Empty
            }
            Cell::Bool(b) if markers.boolean() && markers.is_missing(excel_bool(b)) => Cell::Empty,
            other => other,
        };
        let cell = match cell {
            Cell::Raw(bytes) => {
                match self {
                    Builder::Number(n) => {
                        if let Some(x) = markers.plain_number_bytes(bytes) {
                            n.values.push(x);
                            return Ok(());
                        }
                    }
                    Builder::Text(t) => {
                        if let Some(text) = markers.plain_text(bytes) {
                            t.push(Some(text));
                            return Ok(());
                        }
                    }
                    Builder::Infer(i) if i.all_num => {
                        if let Some(x) = markers.plain_number_bytes(bytes) {
                            let text = std::str::from_utf8(bytes).unwrap_or_default();
                            // Once one cell is not a boolean word the column is not boolean.
                            let is_bool = i.all_bool && parse_bool(text).is_some();
                            i.push(text, Some(x), is_bool);
                            return Ok(());
                        }
                    }
                    _ => {}
                }
                Cell::Text(std::str::from_utf8(bytes).unwrap_or_default())
            }
            other => other,
        };
        if let Cell::ErrorValue(e) = cell {
            return Err(CellProblem {
                value: e.to_string(),
                message: format!("error value {e} in the cell"),
                help: Some("fix the formula in the workbook, or clear the cell".into()),
            });
        }
        match self {
            Builder::Number(n) => {
                let x = match cell {
                    Cell::Text(raw) if let Some(x) = markers.plain_number(raw) => x,
                    Cell::Text(raw) => {
                        let norm = normalise_cell(undefused(trim_cell(raw)));
                        if markers.is_missing(&norm) {
                            if norm == "-" && raw.starts_with(' ') && raw.ends_with(' ') {
                                n.padded_dash_rows.push(n.values.len());
                            }
                            f64::NAN
                        } else if let Some(x) = parse_number(&norm) {
                            if norm.ends_with('%') {
                                n.percent_rows.push(n.values.len());
                            }
                            x
                        } else {
                            return Err(number_problem(trim_cell(raw), &norm, markers));
                        }
                    }
                    Cell::Number(x) if x.is_finite() => x,
                    Cell::Number(x) => return Err(not_finite_problem(x)),
                    Cell::Empty => f64::NAN,
                    Cell::Bool(b) => {
                        return Err(number_problem(excel_bool(b), "true", markers));
                    }
                    Cell::Date(d, stored) => {
                        // (A year shown as a date: Excel stores 2023-01-01 as 44927.)
                        let year = d.get(..4).filter(|y| y.bytes().all(|b| b.is_ascii_digit()));
                        let help = match (year, stored) {
                            // A date in 1900–1909 is a small number with a date format (a
                            // count of 99 shown as 1900-04-08), not a date typed in.
                            (Some(_), Some(x)) if (1.0..3653.0).contains(&x) => format!(
                                "the cell holds the number {0} formatted as a date: format the \
                                 column as Number (or General) and it reads as {0}",
                                format_number(x)
                            ),
                            (Some(y), _) => format!(
                                "the cell holds a date, not a number: for a year type {y} in \
                                 a cell formatted as General or Number (formatting the date \
                                 as a number shows Excel's day count, not the year); if the \
                                 spreadsheet turned a value into a date, type the value again \
                                 in a cell formatted as Number"
                            ),
                            (None, _) => "the cell holds a time, not a number: type the value \
                                          in a cell formatted as General or Number"
                                .to_string(),
                        };
                        return Err(CellProblem {
                            value: d.to_string(),
                            message: format!("cannot read date \"{d}\" as a number"),
                            help: Some(help),
                        });
                    }
                    Cell::ErrorValue(_) => unreachable!("handled above"),
                    Cell::Raw(_) => unreachable!("read as text above"),
                };
                n.values.push(x);
            }
            Builder::Bool(v, hidden) => {
                let b = match cell {
                    Cell::Text(raw) => {
                        let norm = normalise_cell(undefused(trim_cell(raw)));
                        if markers.is_missing(&norm) {
                            if parse_bool(&norm).is_some() {
                                hidden.push(v.len());
                            }
                            None
                        } else if let Some(b) = parse_bool(&norm) {
                            Some(b)
                        } else {
                            return Err(bool_problem(trim_cell(raw), Some(&norm), markers));
                        }
                    }
                    Cell::Bool(b) => Some(b),
                    Cell::Number(1.0) => Some(true),
                    Cell::Number(0.0) => Some(false),
                    Cell::Number(x) => {
                        return Err(bool_problem(&format_number(x), None, markers));
                    }
                    Cell::Date(d, _) => return Err(bool_problem(d, None, markers)),
                    Cell::Empty => None,
                    Cell::ErrorValue(_) => unreachable!("handled above"),
                    Cell::Raw(_) => unreachable!("read as text above"),
                };
                v.push(b);
            }
            Builder::Text(t) => match cell {
                Cell::Text(raw) => {
                    let trimmed = trim_cell(undefused(trim_cell(raw)));
                    if markers.is_missing(&normalise_cell(trimmed)) {
                        t.push(None);
                    } else {
                        t.push(Some(trimmed));
                    }
                }
                Cell::Number(x) => {
                    t.unchecked = true;
                    t.push(Some(&format_number(x)));
                }
                Cell::Bool(b) => {
                    t.unchecked = true;
                    t.push(Some(excel_bool(b)));
                }
                Cell::Date(d, _) => {
                    t.unchecked = true;
                    t.push(Some(d));
                }
                Cell::Empty => t.push(None),
                Cell::ErrorValue(_) => unreachable!("handled above"),
                Cell::Raw(_) => unreachable!("read as text above"),
            },
            Builder::Infer(i) => match cell {
                Cell::Text(raw) if let Some(x) = markers.plain_number(raw) => {
                    i.push(raw, Some(x), parse_bool(raw).is_some())
                }
                Cell::Text(raw) => {
                    let trimmed = trim_cell(undefused(trim_cell(raw)));
                    let norm = normalise_cell(trimmed);
                    if markers.is_missing(&norm) {
                        i.push_missing();
                    } else {
                        i.push(trimmed, parse_number(&norm), parse_bool(&norm).is_some());
                    }
                }
                Cell::Number(x) if !x.is_finite() => return Err(not_finite_problem(x)),
                Cell::Number(x) => i.push(&format_number(x), Some(x), x == 1.0 || x == 0.0),
                Cell::Bool(b) => i.push(excel_bool(b), None, true),
                Cell::Date(d, _) => i.push(d, None, false),
                Cell::Empty => i.push_missing(),
                Cell::ErrorValue(_) => unreachable!("handled above"),
                Cell::Raw(_) => unreachable!("read as text above"),
            },
        }
        Ok(())
    }
}

/// A workbook cell storing NaN or an infinity (a damaged or machine-written file): no
/// missing marker or retyping of text helps.
fn not_finite_problem(x: f64) -> CellProblem {
    // A cell written 1e400 is read as an infinity: say "too large", not quote "inf", which
    // is nowhere in the workbook.
    let (value, what) = if x.is_nan() {
        ("NaN".to_string(), "not a number (NaN)")
    } else {
        (
            format_number(x),
            "a number too large for any rule (beyond ±1.8e308)",
        )
    };
    CellProblem {
        message: format!("cannot read the cell as a number: the workbook stores {what}"),
        value,
        help: Some(
            "retype or clear the cell in Excel or WPS and save the workbook (NaN and infinities \
             are not numbers a rule can compare)"
                .into(),
        ),
    }
}

fn number_problem(shown: &str, normalised: &str, markers: &Markers) -> CellProblem {
    let shown = one_line(&truncate(shown, 200));
    let q = quote_cell(&shown);
    // `1\u{200b}234`: an invisible character pasted in with the number (those at the edges
    // are trimmed).
    if let Some((at, c)) = normalised
        .char_indices()
        .find(|&(_, c)| crate::diag::is_invisible(c))
    {
        let without: String = normalised
            .chars()
            .filter(|&c| !crate::diag::is_invisible(c))
            .collect();
        let help = match parse_number(&without) {
            Some(_) => format!("delete it: the number is {without}"),
            None => "delete it, then check the value".to_string(),
        };
        return CellProblem {
            value: shown.to_string(),
            message: format!(
                "cannot read {q} as a number: it holds {} after \"{}\"",
                crate::diag::invisible_name(c),
                truncate(&normalised[..at], 40)
            ),
            help: Some(help),
        };
    }
    if let Some(b) = parse_bool(normalised) {
        // `无` in a count or an amount is mostly "none": 0 is the value; a missing marker
        // would also turn the word into no data in every yes/no and category column.
        let first = if b {
            "this column is read as numbers: write the number the word stands for".to_string()
        } else {
            format!("this column is read as numbers: if {q} means none here, write 0")
        };
        return CellProblem {
            value: shown.to_string(),
            message: format!("boolean value {q} in a number column"),
            help: Some(format!(
                "{first}; if the column is a yes/no one, declare the indicator as kind = \"bool\"; \
                 add the word to missing_markers in [data] only if it means no data (the \
                 markers apply to every column, so a yes/no or category column would read \
                 {q} as missing too)"
            )),
        };
    }
    if let Some(help) = number_shape_help(&shown, normalised) {
        return CellProblem {
            value: shown.to_string(),
            message: format!("cannot read {q} as a number"),
            help: Some(help),
        };
    }
    // `0,125` or `3,5`: a decimal comma (thousands groups were checked and failed).
    let body = normalised.trim_start_matches(['+', '-']);
    if let Some((int, frac)) = body.split_once(',')
        && !int.is_empty()
        && !frac.is_empty()
        && int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return CellProblem {
            value: shown.to_string(),
            message: format!("cannot read {q} as a number"),
            help: Some(format!(
                "if the comma is a decimal comma, write a decimal point ({}); thousands \
                 separators come in groups of three after a first group without a leading \
                 zero (1,234,567)",
                normalised.replacen(',', ".", 1)
            )),
        };
    }
    // `1e400`: a number in form, but beyond what a double holds (not infinity by design:
    // SPEC §6 keeps infinity out of the data).
    if normalised
        .parse::<f64>()
        .is_ok_and(|x| x.is_infinite() && !normalised.to_ascii_lowercase().contains("inf"))
    {
        return CellProblem {
            value: shown.to_string(),
            message: format!(
                "cannot read {q} as a number: it is beyond the largest number a cell may hold (about 1.8e308)"
            ),
            help: Some(if normalised.contains(['e', 'E']) {
                "check the value: its exponent is too large".into()
            } else {
                "check the value: it has more than 308 digits before the decimal point".into()
            }),
        };
    }
    // `1e-400`: a number in form, but nearer zero than the smallest double.
    if normalised
        .parse::<f64>()
        .is_ok_and(|x| crate::data::cell::underflows(normalised, x))
    {
        return CellProblem {
            value: shown.to_string(),
            message: format!(
                "cannot read {q} as a number: it is nearer zero than the smallest number a cell may hold (about 4.9e-324)"
            ),
            help: Some("check the exponent; write 0 if the value is zero".into()),
        };
    }
    CellProblem {
        value: shown.to_string(),
        message: format!("cannot read {q} as a number"),
        help: Some(word_help(&shown, normalised, markers).unwrap_or_else(|| {
            format!(
                "accepted: {NUMBER_FORMS}; missing values: {}",
                markers.describe()
            )
        })),
    }
}

/// The help for a number written the way people write it on paper, which a number column
/// does not take: digits grouped by 万, a unit after the number (`32万`, `5家`, `2023年`),
/// spaces between digits, accounting parentheses, a Chinese numeral, a date, a note row
/// under the table. `None` for other shapes (the generic help lists the accepted forms).
pub(crate) fn number_shape_help(shown: &str, normalised: &str) -> Option<String> {
    let q = quote_cell(shown);
    let plain = |t: &str| crate::data::cell::parse_number(t);
    let body = normalised.trim_start_matches(['+', '-']);
    let sign = &normalised[..normalised.len() - body.len()];
    // `32,0000`: Chinese grouping by four digits (万), which a decimal-comma reading would
    // turn into 32.
    let groups: Vec<&str> = body.split(',').collect();
    if groups.len() >= 2
        && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()))
        && (1..=4).contains(&groups[0].len())
        && !groups[0].starts_with('0')
        && groups[1..].iter().all(|g| g.len() == 4)
    {
        if groups.len() == 2 {
            // `3,1416` reads either way: say both.
            return Some(format!(
                "if the digits are grouped by 万 (four), write {sign}{}; if the comma is a \
                 decimal comma, write {sign}{}.{}",
                groups.concat(),
                groups[0],
                groups[1]
            ));
        }
        return Some(format!(
            "{q} looks grouped by 万 (four digits): write {sign}{} without separators; \
             thousands separators come in groups of three (1,234,567)",
            groups.concat()
        ));
    }
    // `inf`, `∞`: SPEC §6 keeps infinity out of the data.
    if matches!(
        body.to_ascii_lowercase().as_str(),
        "inf" | "infinity" | "∞" | "#inf" | "1.#inf"
    ) {
        return Some(
            "infinity is not a value a cell may hold; it usually comes from dividing by zero \
             (a growth rate from a zero base): write the number, or clear the cell to make it \
             missing"
                .to_string(),
        );
    }
    // `5‰`: per mille.
    if let Some(x) = body.strip_suffix('‰').and_then(plain) {
        let pct = crate::column::format_display(x / 10.0);
        return Some(format!(
            "‰ (per mille) is not read: {shown} is {sign}{pct}%; write {sign}{pct}% or \
             {sign}{pct} in a column of percentages"
        ));
    }
    // `1O0`, `l2`: the letter O or l typed for a digit.
    if (normalised
        .bytes()
        .any(|b| matches!(b, b'O' | b'o' | b'l' | b'I'))
        && normalised.bytes().any(|b| b.is_ascii_digit()))
        || matches!(normalised, "O" | "o")
    {
        let fixed: String = normalised
            .chars()
            .map(|c| match c {
                'O' | 'o' => '0',
                'l' | 'I' => '1',
                c => c,
            })
            .collect();
        if plain(&fixed).is_some() {
            return Some(format!(
                "{q} has a letter (O, l or I) where a digit is expected: write {fixed}"
            ));
        }
    }
    // `1 250 000`: spaces between digit groups.
    if body.contains(' ') && plain(&normalised.replace(' ', "")).is_some() {
        return Some(format!(
            "remove the spaces between the digits: {}",
            normalised.replace(' ', "")
        ));
    }
    // `(320000)`: a negative number in accounting notation.
    if let Some(inner) = normalised
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        && plain(inner).is_some_and(|x| x >= 0.0)
    {
        return Some(format!(
            "{q} is accounting notation for a negative number: write -{inner}"
        ));
    }
    if let Some(n) = crate::diag::chinese_numeral(normalised) {
        return Some(format!("{q} is a Chinese numeral: write {n}"));
    }
    // `−5`: a minus sign or a dash as a word processor or a web page writes it.
    for (dash, what) in [
        ('\u{2212}', "the minus sign U+2212"),
        ('\u{2010}', "a hyphen U+2010"),
        ('\u{2011}', "a non-breaking hyphen"),
        ('\u{2013}', "an en dash"),
        ('\u{2014}', "an em dash"),
        ('\u{FE63}', "a small hyphen-minus"),
    ] {
        if let Some(rest) = normalised.strip_prefix(dash).map(str::trim_start)
            && plain(rest).is_some_and(|x| x >= 0.0)
        {
            return Some(format!(
                "{q} starts with {what}, not the ASCII '-': write -{rest}"
            ));
        }
    }
    // `2023/12/31`, `2023-5-1`: a date (Excel may have turned a value into one).
    // Year, month (1–12) and day (1–31), not a phone number (0531-8888-6666).
    let parts: Vec<&str> = normalised.split(['/', '-']).collect();
    let number = |p: &str| {
        p.parse::<u32>()
            .ok()
            .filter(|_| p.bytes().all(|b| b.is_ascii_digit()))
    };
    if parts.len() == 3
        && parts[0].len() == 4
        && number(parts[0]).is_some_and(|y| (1000..=9999).contains(&y))
        && number(parts[1]).is_some_and(|m| (1..=12).contains(&m) && parts[1].len() <= 2)
        && number(parts[2]).is_some_and(|d| (1..=31).contains(&d) && parts[2].len() <= 2)
    {
        return Some(format!(
            "{q} is a date, not a number: for a year write {}; if the spreadsheet turned \
             a value into a date, format the column as a number and export again",
            parts[0]
        ));
    }
    // A note under the table (`注：数据来源于……`) read as a data row.
    if NOTE_STARTS.iter().any(|w| normalised.starts_with(w)) {
        return Some(format!(
            "\"{}\" looks like a note under the table, read as a data row: delete that row \
             (or move the note to another sheet)",
            truncate(shown, 40)
        ));
    }
    // `¥20000`, `￥1.5万`: a currency sign before the number.
    if let Some(rest) = normalised
        .strip_prefix(['¥', '￥', '$'])
        .or_else(|| normalised.strip_prefix("RMB"))
        .map(str::trim_start)
    {
        if plain(rest).is_some() {
            return Some(format!(
                "{q} carries a currency sign: write the number alone, in the unit the \
                 column is in ({rest})"
            ));
        }
        // `¥-`: how an accounting (会计专用) format shows a zero.
        if matches!(rest.trim(), "-" | "–" | "—") {
            return Some(format!(
                "{q} is how an accounting (会计专用) format shows a zero: write 0 (clear \
                 the cell only if it means no data)"
            ));
        }
        // `¥1.5万`, `¥20000元`: the sign, and what the rest needs.
        if let Some(help) = number_shape_help(rest, rest) {
            return Some(format!("drop the currency sign; then {help}"));
        }
    }
    // `12。5`: the ideographic full stop typed as a decimal point.
    if normalised.contains('。') && plain(&normalised.replace('。', ".")).is_some() {
        return Some(format!(
            "{q} has the ideographic full stop '。' for a decimal point: write {}",
            normalised.replace('。', ".")
        ));
    }
    // `约60`, `近3亿`, `60左右`, `100余`: a number said roughly; the cell needs the number.
    // (Longer words first: `超过60` is not `超` and `过60`.)
    const BEFORE: [&str; 8] = ["大约", "将近", "超过", "约", "近", "超", "逾", "≈"];
    const AFTER: [&str; 5] = ["左右", "上下", "余", "多", "以上"];
    let rough = BEFORE
        .iter()
        .find_map(|w| normalised.strip_prefix(w))
        .or_else(|| AFTER.iter().find_map(|w| normalised.strip_suffix(w)))
        .map(str::trim);
    if let Some(rest) = rough.filter(|r| !r.is_empty()) {
        let then = if plain(rest).is_some() {
            Some(format!("write {rest}"))
        } else {
            number_shape_help(rest, rest)
        };
        if let Some(then) = then {
            return Some(format!(
                "{q} gives the number roughly (约, 近, 左右 …): a rule compares exact \
                 values, so {then} (or the exact figure, if it is known)"
            ));
        }
    }
    // `6万5`, `3亿2`: digits on both sides of 万 or 亿, as said aloud (6万5 = 65,000).
    if let Some(help) = spoken_number_help(shown, normalised) {
        return Some(help);
    }
    // `万元`, `（%）`: a unit alone, as a units row under the header has it.
    if is_unit_word(normalised) {
        return Some(format!(
            "{q} is a unit, not a number: if this row gives the columns' units under \
             the header, delete the row (an indicator's `unit` key carries its unit in the \
             rules); otherwise write the number"
        ));
    }
    // `32万`, `125亿元`, `5家`, `2023年`: a number with a unit after it.
    let split = normalised
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '+' | '-')))
        .map(|(i, _)| i)?;
    let (number, unit) = normalised.split_at(split);
    let unit = unit.trim();
    let x = plain(number)?;
    // Units a count or an amount is written with; others (千, 百万, ‰, 万亿) change the
    // magnitude in ways a one-line help would get wrong: the list of accepted forms then.
    const UNITS: [&str; 18] = [
        "万", "万元", "亿", "亿元", "元", "家", "个", "件", "人", "项", "次", "年", "吨", "台",
        "条", "座", "分", "岁",
    ];
    // A unit in Latin letters (`6kg`, `12t`, `3.5MW`): the number alone, in the column's
    // unit (not `6e`, an exponent cut short).
    let latin = (1..=4).contains(&unit.len())
        && unit.bytes().all(|b| b.is_ascii_alphabetic())
        // (Not a bare `e`, an exponent cut short; not `k`, `M`, `G`, `B`, magnitudes the
        // accepted-forms help is safer for.)
        && !["e", "E", "k", "K", "M", "G", "B", "b"].contains(&unit)
        && !["nan", "inf"].contains(&unit.to_ascii_lowercase().as_str());
    if latin {
        return Some(format!(
            "{q} carries a unit ({unit}): write the number alone, in the unit the column is \
             in ({} if that is {unit})",
            crate::column::format_display(x)
        ));
    }
    if !UNITS.contains(&unit) {
        return None;
    }
    if unit.is_empty() || unit.chars().any(|c| c.is_ascii_digit()) || unit.chars().count() > 6 {
        return None;
    }
    let n = |k: f64| crate::column::format_display(x * k);
    Some(match unit.chars().next() {
        Some('万') => format!(
            "{q} carries a unit ({unit}): write the number alone, in the unit the column \
             is in: {} in 万元, {} in 元",
            n(1.0),
            n(1e4)
        ),
        Some('亿') => format!(
            "{q} carries a unit ({unit}): write the number alone, in the unit the column \
             is in: {} in 亿元, {} in 万元, {} in 元",
            n(1.0),
            n(1e4),
            n(1e8)
        ),
        _ => format!(
            "{q} carries a unit ({unit}): write the number alone: {}",
            n(1.0)
        ),
    })
}

/// How a note under a table starts (`注：数据来源于……`, `制表：…`, `填报单位：…`,
/// `联系电话：…`): such a row is no entity.
pub(crate) const NOTE_STARTS: [&str; 16] = [
    "注",
    "备注",
    "说明",
    "数据来源",
    "资料来源",
    "来源",
    "制表",
    "填表",
    "填报",
    "单位",
    "审核",
    "复核",
    "联系人",
    "联系电话",
    "联系方式",
    "负责人",
];

/// Whether a cell is a unit and nothing else (`万元`, `%`, `吨标煤/万元`, `（亿元）`): the
/// cells of a units row under the header.
fn is_unit_word(text: &str) -> bool {
    // The characters units of counts, amounts, energy, area and rates are written with.
    const UNIT_CHARS: &str = "万亿千百元家个件人项次年吨台条座分岁户名亩套标准煤瓦时平方米公里度天月起宗例辆只篇部款份所处批间株头%％/／";
    let inner = text
        .trim()
        .trim_start_matches(['(', '（', '[', '【'])
        .trim_end_matches([')', '）', ']', '】'])
        .trim();
    !inner.is_empty() && inner.chars().count() <= 8 && inner.chars().all(|c| UNIT_CHARS.contains(c))
}

/// `6万5` (65,000), `3亿2` (3.2亿), `6万5000`: a number said aloud, digits on both sides of
/// 万 or 亿; the help gives it in the two units the column is likely in.
fn spoken_number_help(shown: &str, normalised: &str) -> Option<String> {
    let q = quote_cell(shown);
    let (at, unit, size) = normalised.char_indices().find_map(|(i, c)| match c {
        '万' => Some((i, '万', 1e4)),
        '亿' => Some((i, '亿', 1e8)),
        _ => None,
    })?;
    let (head, tail) = (&normalised[..at], &normalised[at + unit.len_utf8()..]);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(head) || !digits(tail) {
        return None;
    }
    // One digit after the unit is a tenth of it (6万5 = 6.5万). More digits are read two ways
    // (6万500: 60,500 or 65,000; 3亿2500: 3亿 + 2500 or 3亿2500万): no number is offered.
    if tail.len() != 1 {
        return Some(format!(
            "{q} mixes digits with {unit}: write it as one number, in the unit the column \
             is in (6万5 is 6.5 in 万元, 65000 in 元)"
        ));
    }
    let a: f64 = head.parse().ok()?;
    let b: f64 = tail.parse().ok()?;
    let whole = (a + b / 10.0) * size;
    let f = |x: f64| crate::column::format_display(x);
    let units = if unit == '亿' {
        format!("{} in 亿元, {} in 万元", f(whole / size), f(whole / 1e4))
    } else {
        format!("{} in 万元, {} in 元", f(whole / size), f(whole))
    };
    Some(format!(
        "{q} is a number said aloud: write it alone, in the unit the column is in: \
         {units}"
    ))
}

/// The help for a cell that is a word rather than a malformed value: an Excel error value
/// exported as text, or a word that may mean "no data" (`未报送`, `n/a`), which only
/// `missing_markers` can make missing.
fn word_help(shown: &str, normalised: &str, markers: &Markers) -> Option<String> {
    if let Some(help) = excel_error_help(shown, normalised) {
        return Some(help);
    }
    if normalised.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    // Digits of another script (`٣٤`, `१२`), a fraction sign (`½`), a circled or Roman
    // numeral: a number written otherwise, not a word meaning "no data".
    // (Not 〇 and the CJK numerals, which the Chinese numerals' own help reads.)
    let cjk = |c: char| ('\u{3000}'..='\u{9FFF}').contains(&c);
    let t = normalised.trim();
    if t.chars().any(|c| c.is_numeric() && !cjk(c))
        && t.chars().all(|c| {
            (c.is_numeric() && !cjk(c))
                || matches!(c, '.' | ',' | '\u{66B}' | '\u{66C}' | '-' | '+')
        })
    {
        return Some(format!(
            "{} is a number written with other signs than the digits 0–9: write it with \
             them (½ as 0.5, ٣٤ as 34)",
            quote_cell(shown)
        ));
    }
    Some(format!(
        "{}; missing values now: {}",
        marker_advice(shown),
        markers.describe()
    ))
}

/// For an Excel error value (`#DIV/0!`, `#N/A`) exported as text.
fn excel_error_help(shown: &str, normalised: &str) -> Option<String> {
    let q = quote_cell(shown);
    const EXCEL_ERRORS: [&str; 8] = [
        "#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!",
    ];
    EXCEL_ERRORS
        .iter()
        .any(|e| normalised.eq_ignore_ascii_case(e))
        .then(|| {
            format!(
                "{q} is a spreadsheet error value: fix the formula in the workbook and \
                 export again, or clear the cell (an empty cell is missing)"
            )
        })
}

/// A cell's text in double quotes, as messages quote values; one holding a double quote
/// in single quotes instead (`'国家级"'`, not `"国家级""`), or, holding both, with its double
/// quotes doubled as CSV writes them.
fn quote_cell(shown: &str) -> String {
    match (shown.contains('"'), shown.contains('\'')) {
        (false, _) => format!("\"{shown}\""),
        (true, false) => format!("'{shown}'"),
        (true, true) => format!("\"{}\"", shown.replace('"', "\"\"")),
    }
}

/// A cell's text on one line for a message: a line break in a quoted cell shows as ␊ (as
/// the terminal shows other control characters), so the message keeps its shape.
fn one_line(text: &str) -> String {
    text.replace('\n', "\u{240A}").replace('\r', "\u{240D}")
}

/// "if "未报送" means no data, add it to the missing markers: …", with the TOML to paste.
/// `shown` is the cell's text as [`one_line`] shows it.
fn marker_advice(shown: &str) -> String {
    // Quoted as the cell shows it (markers match after the same folding, so either works;
    // this is the one the analyst recognises), with TOML's escapes: a basic string holds no
    // line break or control character.
    let mut quoted = String::new();
    for c in shown.trim().chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '"' => quoted.push_str("\\\""),
            '\u{240A}' => quoted.push_str("\\n"),
            '\u{240D}' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    format!(
        "if {} means no data, add it to the missing markers: \
         [data] missing_markers = [\"{quoted}\"]",
        quote_cell(shown)
    )
}

/// `normalised`: the cell's text, for a text cell (a word may be a missing marker).
fn bool_problem(shown: &str, normalised: Option<&str>, markers: &Markers) -> CellProblem {
    let shown = one_line(&truncate(shown, 200));
    let q = quote_cell(&shown);
    let accepted = format!("accepted: {BOOL_WORDS} (Latin words in any case)");
    // `1.0` (a number where 1/0 is meant), `是（2022年认定）` (a yes/no word with a remark).
    let specific = normalised.and_then(|norm| {
        if let Some(x) = crate::data::cell::parse_number(norm) {
            return Some(match x {
                1.0 => format!("{q} in a yes/no column: write 1 (or 是)"),
                0.0 => format!("{q} in a yes/no column: write 0 (or 否)"),
                _ => format!(
                    "a yes/no column takes {BOOL_WORDS}; if the column holds amounts, declare \
                     the indicator as a number (remove kind = \"bool\")"
                ),
            });
        }
        // Ticks and crosses of a paper form, and yes/no said in other words: the word to
        // write (as a missing marker, a tick would leave a ticked entity unscored).
        let meant = if super::cell::YES_MARKS.contains(&norm)
            || ["对", "是的", "有的"].contains(&norm)
        {
            Some("是")
        } else if super::cell::NO_MARKS.contains(&norm)
            || ["不是", "非", "没有", "错", "未"].contains(&norm)
        {
            Some("否")
        } else {
            None
        };
        if let Some(word) = meant {
            return Some(format!(
                "{q} means {word} here? write {word}; a yes/no column takes {BOOL_WORDS}"
            ));
        }
        // A word followed by a remark in brackets or after punctuation (`是（2022年认定）`),
        // not a longer word (`无数据` may mean no data: the marker advice holds).
        let word = ["是", "否", "有", "无"].into_iter().find(|w| {
            norm.strip_prefix(w).is_some_and(|rest| {
                rest.trim_start()
                    .starts_with(['(', '（', ',', '，', ':', '：', ';', '；', '-', '—'])
            })
        })?;
        Some(format!(
            "{q} starts with {word}: keep {word} in this column and move the remark to \
             another column"
        ))
    });
    let help = match normalised {
        Some(_) if specific.is_some() => specific.unwrap_or_default(),
        Some(norm) => excel_error_help(&shown, norm).unwrap_or_else(|| {
            format!(
                "{accepted}; {}; missing values now: {}",
                marker_advice(&shown),
                markers.describe()
            )
        }),
        None => format!("{accepted}; missing values: {}", markers.describe()),
    };
    CellProblem {
        value: shown.to_string(),
        message: format!("cannot read {q} as yes/no"),
        help: Some(help),
    }
}

/// A batch of CSV records, stored column by column: each stored column's fields back to
/// back in one buffer with one offset list, so a column builder streams through two
/// contiguous arrays instead of chasing a heap record per row. Written by hand: it is the
/// reader's own hand-over format between the record splitter and the column builders.
pub(crate) struct RecordBatch {
    /// Spreadsheet row number of each record.
    rows: Vec<usize>,
    /// Per file column: whether it is stored.
    stored: Vec<bool>,
    /// Per file column: its fields' bytes back to back (empty when not stored).
    bytes: Vec<Vec<u8>>,
    /// Per file column: `ends[j][0] = 0`, field of record `i` is `bytes[j][ends[j][i]..ends[j][i + 1]]`.
    ends: Vec<Vec<usize>>,
    held: usize,
    /// On a file's first batch: an estimate of the file's records (its size over the
    /// batch's bytes per record), so that the builders can size themselves once.
    pub expected_rows: Option<usize>,
}

impl RecordBatch {
    /// A batch for records of `width` fields of which the columns in `stored` are kept.
    pub fn new(width: usize, stored: &[usize], records: usize) -> Self {
        let mut keep = vec![false; width];
        for &j in stored {
            keep[j] = true;
        }
        let ends = keep
            .iter()
            .map(|&k| {
                let mut e = Vec::with_capacity(if k { records + 1 } else { 0 });
                e.push(0);
                e
            })
            .collect();
        RecordBatch {
            rows: Vec::with_capacity(records),
            bytes: vec![Vec::new(); width],
            stored: keep,
            ends,
            held: 0,
            expected_rows: None,
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes held (to bound a batch of very long records).
    pub fn byte_len(&self) -> usize {
        self.held
    }

    /// Appends a record of exactly the batch's width given as the spans of its fields in
    /// `text`. The text may run on past the record: a field of at most 16 bytes with 16
    /// bytes of text from its start is copied as one fixed block and the copy cut back,
    /// rather than by a call to `memcpy` per field.
    pub fn push_spans(
        &mut self,
        row: usize,
        text: &[u8],
        spans: impl Iterator<Item = (usize, usize)>,
    ) {
        self.rows.push(row);
        for (j, (start, end)) in spans.enumerate() {
            if self.stored[j] {
                let bytes = &mut self.bytes[j];
                let at = bytes.len();
                match text.get(start..start + 16) {
                    Some(block) if end - start <= 16 => {
                        bytes.extend_from_slice(block);
                        bytes.truncate(at + end - start);
                    }
                    _ => bytes.extend_from_slice(&text[start..end]),
                }
                self.ends[j].push(bytes.len());
                self.held += end - start;
            }
        }
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.held = 0;
        self.expected_rows = None;
        for (b, e) in self.bytes.iter_mut().zip(&mut self.ends) {
            b.clear();
            e.truncate(1);
        }
    }
}

/// A cell error listed one by one in [`Ingest::errors`].
struct ListedCell {
    /// Position in the errors.
    index: usize,
    /// Index in the files' origins.
    file: usize,
    /// Spreadsheet row.
    row: usize,
    /// Table column.
    t: usize,
    /// The cell as shown, when it is a unit alone (`万元`): a units row's cell.
    unit: Option<String>,
}

/// Cell errors of one column of one file past those listed one by one.
struct MoreCells {
    /// Index in the files' origins.
    file: usize,
    /// Table column.
    t: usize,
    count: usize,
    /// The first [`SUMMARY_ROWS`] spreadsheet rows, with their cells as shown.
    rows: Vec<(usize, String)>,
    /// The error of the first of them.
    message: String,
    help: Option<String>,
}

/// The state shared by the readers while the files of one table are read.
pub(crate) struct Ingest<'r> {
    pub markers: Markers,
    request: &'r dyn Fn(&str) -> Option<ColumnRequest>,
    headers: Vec<String>,
    builders: Vec<Option<Builder>>,
    origins: Vec<FileOrigin>,
    files: Vec<FileInfo>,
    errors: Vec<Diagnostic>,
    /// The cell errors listed in `errors`, for the per-column cap and units rows.
    shown: Vec<ListedCell>,
    /// Cell errors past the ones listed, per file and table column.
    more: Vec<MoreCells>,
    /// Cell errors found so far, listed or not.
    counted: usize,
    rows: usize,
    /// Per file being read: table column of each file column with a builder.
    active: Vec<(usize, usize)>,
    file_start: usize,
    file_errors_start: usize,
    file_counted_start: usize,
    in_file: bool,
    /// `--encoding`, when given: a wrong one can leave no data rows.
    forced_encoding: Option<String>,
}

impl<'r> Ingest<'r> {
    pub fn new(opts: &ReadOptions, request: &'r dyn Fn(&str) -> Option<ColumnRequest>) -> Self {
        Ingest {
            markers: Markers::new(&opts.missing_markers),
            request,
            headers: Vec::new(),
            builders: Vec::new(),
            origins: Vec::new(),
            files: Vec::new(),
            errors: Vec::new(),
            shown: Vec::new(),
            more: Vec::new(),
            counted: 0,
            rows: 0,
            active: Vec::new(),
            file_start: 0,
            file_errors_start: 0,
            file_counted_start: 0,
            in_file: false,
            forced_encoding: opts.encoding.clone(),
        }
    }

    /// Starts a file with its folded and written headers (already checked for empties and
    /// duplicates). The first file fixes the table's headers; later ones must have the
    /// same set.
    pub fn begin_file(
        &mut self,
        path: &str,
        sheet: Option<&str>,
        folded: &[String],
        written: &[String],
    ) -> Result<(), Error> {
        let first = self.origins.is_empty() && self.files.is_empty();
        let mut display = written.to_vec();
        if first {
            self.headers = folded.to_vec();
            self.builders = folded
                .iter()
                .map(|h| (self.request)(h).map(Builder::new))
                .collect();
        } else {
            let pos: HashMap<&str, usize> = self
                .headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.as_str(), i))
                .collect();
            let here: std::collections::HashSet<&str> = folded.iter().map(String::as_str).collect();
            let missing: Vec<&str> = self
                .headers
                .iter()
                .map(String::as_str)
                .filter(|h| !here.contains(h))
                .collect();
            let extra: Vec<&str> = folded
                .iter()
                .map(String::as_str)
                .filter(|h| !pos.contains_key(h))
                .collect();
            if !missing.is_empty() || !extra.is_empty() {
                let list = |v: &[&str]| {
                    let shown: Vec<String> = v
                        .iter()
                        .take(10)
                        .map(|h| format!("\"{}\"", truncate(h, 200)))
                        .collect();
                    let more = if v.len() > 10 {
                        format!(" and {} more", v.len() - 10)
                    } else {
                        String::new()
                    };
                    format!("{}{more}", shown.join(", "))
                };
                let mut parts = Vec::new();
                if !missing.is_empty() {
                    parts.push(format!("missing {}", list(&missing)));
                }
                if !extra.is_empty() {
                    parts.push(format!("extra {}", list(&extra)));
                }
                let first_path = self.files.first().map_or("", |f| f.path.as_str());
                return Err(self.fail(
                    Diagnostic::new(
                        Stage::Data,
                        format!(
                            "the headers differ from those of '{first_path}': {}",
                            parts.join("; ")
                        ),
                    )
                    .at(path.to_string())
                    .with_help("every data file needs the same set of headers (in any order)"),
                ));
            }
            display = vec![String::new(); self.headers.len()];
            for (j, h) in folded.iter().enumerate() {
                display[pos[h.as_str()]] = written[j].clone();
            }
        }
        let pos: HashMap<&str, usize> = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.as_str(), i))
            .collect();
        self.active = folded
            .iter()
            .enumerate()
            .map(|(j, h)| (j, pos[h.as_str()]))
            .filter(|&(_, t)| self.builders[t].is_some())
            .collect();
        self.file_start = self.rows;
        self.file_errors_start = self.errors.len();
        self.file_counted_start = self.counted;
        self.in_file = true;
        self.origins.push(FileOrigin {
            path: path.to_string(),
            sheet: sheet.map(str::to_string),
            start: self.rows,
            runs: Vec::new(),
            display_headers: display,
        });
        Ok(())
    }

    /// File columns that are stored (parsed); the others need no cell access.
    pub fn wants(&self) -> impl Iterator<Item = usize> + '_ {
        self.active.iter().map(|&(j, _)| j)
    }

    /// Whether file column `j` is read as numbers (or typed from its cells): not an id,
    /// a label, a category or a yes/no column.
    pub fn reads_numbers(&self, j: usize) -> bool {
        self.active.iter().any(|&(k, t)| {
            k == j
                && matches!(
                    self.builders[t],
                    Some(Builder::Number(_)) | Some(Builder::Infer(_))
                )
        })
    }

    /// Adds one data row; `cell(j)` gives the cell of file column `j`.
    pub fn push_row<'c>(
        &mut self,
        row_no: usize,
        cell: impl Fn(usize) -> Cell<'c>,
    ) -> Result<(), Error> {
        let o = self.origins.last_mut().expect("begin_file first");
        let table_row = self.rows;
        match o.runs.last() {
            Some(&(s, n)) if n + (table_row - s) == row_no => {}
            _ => o.runs.push((table_row, row_no)),
        }
        for k in 0..self.active.len() {
            let (j, t) = self.active[k];
            let builder = self.builders[t]
                .as_mut()
                .expect("active columns have builders");
            if let Err(p) = builder.push(cell(j), &self.markers) {
                // Keep the column the same length as the others.
                let _ = builder.push(Cell::Empty, &self.markers);
                self.cell_error(row_no, t, p)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Adds a batch of CSV records (spreadsheet row number, fields), column by column on all
    /// cores: each column's builder is independent, so the batch is split by column and the
    /// cell errors are merged back into row-then-column order — the same table and the same
    /// first [`MAX_ERRORS`] diagnostics as [`Ingest::push_row`] record by record.
    pub fn push_records(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        use rayon::prelude::*;
        let o = self.origins.last_mut().expect("begin_file first");
        for (i, row_no) in batch.rows.iter().enumerate() {
            let table_row = self.rows + i;
            match o.runs.last() {
                Some(&(s, n)) if n + (table_row - s) == *row_no => {}
                _ => o.runs.push((table_row, *row_no)),
            }
        }
        // Each task owns one column's builder for the batch.
        let mut tasks: Vec<(usize, usize, usize, Builder)> = self
            .active
            .iter()
            .enumerate()
            .map(|(k, &(j, t))| {
                let b = self.builders[t]
                    .take()
                    .expect("active columns have builders");
                (k, j, t, b)
            })
            .collect();
        let markers = &self.markers;
        // (position in batch, active column, the problem)
        let mut found: Vec<(usize, usize, CellProblem)> = tasks
            .par_iter_mut()
            .with_max_len(1)
            .flat_map_iter(|(k, j, _, builder)| {
                let mut errs = Vec::new();
                let (bytes, ends) = (&batch.bytes[*j], &batch.ends[*j]);
                let n = ends.len() - 1;
                for i in 0..n {
                    // Dictionary lookups are scattered: start loading the slot of a cell 8 ahead.
                    if let Builder::Text(t) = builder
                        && t.slots.len() >= 1 << 15
                        && i + 8 < n
                    {
                        t.prefetch(&bytes[ends[i + 8]..ends[i + 9]]);
                    }
                    if let Err(p) = builder.push_field(bytes, ends[i], ends[i + 1], markers) {
                        // Keep the column the same length as the others.
                        let _ = builder.push(Cell::Empty, markers);
                        errs.push((i, *k, p));
                    }
                }
                errs
            })
            .collect();
        for (_, _, t, b) in tasks {
            self.builders[t] = Some(b);
        }
        self.rows += batch.len();
        if let Some(expected) = batch.expected_rows {
            // A text column whose cells were all distinct so far (an id) gets its index sized
            // for the whole file at once instead of doubling its way there. (Capped: a file
            // whose first records are much shorter than the rest would overestimate.)
            let expected = expected.min(1 << 24);
            for &(_, t) in &self.active {
                if let Some(Builder::Text(b)) = &mut self.builders[t]
                    && b.col.codes.len() >= 1024
                    && b.col.dict.len() == b.col.codes.len()
                {
                    b.reserve(expected);
                }
            }
            // Every column's values sized for the whole file too (with a little room, as the
            // estimate comes from the first records): growing by doubling copies each
            // column about twice over.
            let rows = expected + expected / 32;
            for &(_, t) in &self.active {
                if let Some(b) = &mut self.builders[t] {
                    b.reserve_rows(rows);
                }
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        found.sort_by_key(|&(i, k, _)| (i, k));
        for (i, k, p) in found {
            let t = self.active[k].1;
            self.cell_error(batch.rows[i], t, p)?;
        }
        Ok(())
    }

    /// Records the error of one cell (spreadsheet row `row_no`, table column `t`): listed
    /// while fewer than [`MAX_ERRORS`] are and the column has fewer than
    /// [`SHOWN_PER_COLUMN`], else counted in the column's summary. Reading goes on (so the
    /// summaries count every bad cell) until [`COUNT_LIMIT`] cells are counted.
    fn cell_error(&mut self, row_no: usize, t: usize, p: CellProblem) -> Result<(), Error> {
        let CellProblem {
            value,
            message,
            help,
        } = p;
        self.counted += 1;
        let file = self.origins.len() - 1;
        // A cell equal to its own column's header: the header line again, as files joined
        // with their header lines (`cat a.csv b.csv`) have it. Suggesting a missing marker
        // would score that row as an entity.
        let header = &self.origins[file].display_headers[t];
        let help = if !value.is_empty() && fold_header(&value) == fold_header(header) {
            Some(format!(
                "row {row_no} repeats the header row (files joined with their header lines \
                 have it): delete that row, or give each file to --data on its own"
            ))
        } else {
            help
        };
        let listed = self.shown.iter().filter(|c| c.t == t).count();
        if self.errors.len() < MAX_ERRORS && listed < SHOWN_PER_COLUMN {
            let o = &self.origins[file];
            let loc = cell_location(&o.path, o.sheet.as_deref(), row_no, &o.display_headers[t]);
            self.shown.push(ListedCell {
                index: self.errors.len(),
                file,
                row: row_no,
                t,
                unit: is_unit_word(&value).then(|| value.clone()),
            });
            self.errors.push(
                Diagnostic::new(Stage::Data, message)
                    .at(loc)
                    .with_help_opt(help),
            );
        } else {
            match self.more.iter_mut().find(|m| m.file == file && m.t == t) {
                Some(m) => {
                    m.count += 1;
                    if m.rows.len() < SUMMARY_ROWS {
                        m.rows.push((row_no, truncate(&value, 40)));
                    }
                }
                None => self.more.push(MoreCells {
                    file,
                    t,
                    count: 1,
                    rows: vec![(row_no, truncate(&value, 40))],
                    message,
                    help,
                }),
            }
        }
        if self.counted >= COUNT_LIMIT {
            return Err(self.cell_errors(Vec::new(), true));
        }
        Ok(())
    }

    /// The cell errors found so far as one error: those listed, then one summary per
    /// column of the others, then `last` (a diagnostic that stops reading).
    fn cell_errors(&mut self, last: Vec<Diagnostic>, stopped: bool) -> Error {
        let mut all = std::mem::take(&mut self.errors);
        let mut counted = self.counted + last.len();
        counted -= self.merge_units_rows(&mut all);
        for m in std::mem::take(&mut self.more) {
            let o = &self.origins[m.file];
            let rows: Vec<String> = m
                .rows
                .iter()
                .map(|(r, v)| format!("{r} (\"{v}\")"))
                .collect();
            let rest = m.count - m.rows.len();
            // "more" after cells of the column listed above; "at least" when reading stopped
            // at the cap on errors before the end.
            let listed = self.shown.iter().any(|c| c.t == m.t);
            let message = format!(
                "{}{}{} {} of this column cannot be read: {} {}{}",
                if stopped { "at least " } else { "" },
                m.count,
                if listed { " more" } else { "" },
                crate::diag::agree(m.count, "cell", "cells"),
                crate::diag::agree(m.count, "row", "rows"),
                rows.join(", "),
                if rest > 0 {
                    format!(" and {rest} more")
                } else {
                    String::new()
                },
            );
            let help = match m.help {
                Some(h) => format!("the first of them, row {}: {}; {h}", m.rows[0].0, m.message),
                None => format!("the first of them, row {}: {}", m.rows[0].0, m.message),
            };
            all.push(
                Diagnostic::new(Stage::Data, message)
                    .at(column_location(
                        &o.path,
                        o.sheet.as_deref(),
                        &o.display_headers[m.t],
                    ))
                    .with_help(help),
            );
        }
        all.extend(last);
        // (The listed cells' positions were of the list just handed over.)
        self.shown.clear();
        let mut e = if stopped {
            Error::first_of_more(all)
        } else {
            Error::many(all)
        };
        if e.diagnostics.len() != counted {
            e.total = Some(counted);
        }
        e
    }

    /// Replaces the cell errors of each units row (a row whose cells in two or more columns
    /// are units alone, `万元`, `（%）`, as offices put under the header) by one error of the
    /// row: the fix is one deletion, not one per column. Its cells are taken from the cells
    /// listed one by one and from the column summaries (past the listed ones, or in a later
    /// file whose columns have had their share listed), which then count them no more.
    /// Returns how many errors fewer there are.
    fn merge_units_rows(&mut self, all: &mut Vec<Diagnostic>) -> usize {
        // Candidate rows: those of a unit cell, listed or in a summary's first rows.
        let mut rows: Vec<(usize, usize)> = self
            .shown
            .iter()
            .filter(|c| c.unit.is_some())
            .map(|c| (c.file, c.row))
            .chain(self.more.iter().flat_map(|m| {
                m.rows
                    .iter()
                    .filter(|(_, v)| is_unit_word(v))
                    .map(move |&(r, _)| (m.file, r))
            }))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        let mut fewer = 0;
        let mut merged: Vec<(usize, Diagnostic)> = Vec::new();
        let mut dropped = vec![false; all.len()];
        for (file, row) in rows {
            let listed: Vec<(usize, usize, String)> = self
                .shown
                .iter()
                .filter(|c| c.file == file && c.row == row)
                .filter_map(|c| c.unit.clone().map(|u| (c.index, c.t, u)))
                .collect();
            let summarised: Vec<(usize, usize)> = (self.more.iter().enumerate())
                .filter(|(_, m)| m.file == file)
                .filter_map(|(k, m)| {
                    let at = m
                        .rows
                        .iter()
                        .position(|(r, v)| *r == row && is_unit_word(v))?;
                    Some((k, at))
                })
                .collect();
            if listed.len() + summarised.len() < 2 {
                continue;
            }
            let first = listed.iter().map(|c| c.0).min();
            let mut cells: Vec<(usize, String)> =
                listed.iter().map(|(_, t, u)| (*t, u.clone())).collect();
            for (i, _, _) in &listed {
                dropped[*i] = true;
            }
            self.shown
                .retain(|c| !(c.file == file && c.row == row && c.unit.is_some()));
            // The row's cell leaves each summary; a summary whose first cell it was keeps
            // the message of its next one as the reader would have given it.
            for &(k, at) in &summarised {
                let m = &mut self.more[k];
                let (_, value) = m.rows.remove(at);
                m.count -= 1;
                if at == 0
                    && let Some((_, next)) = m.rows.first()
                {
                    m.message = format!("cannot read \"{next}\"");
                    m.help = None;
                }
                cells.push((m.t, value));
            }
            self.more.retain(|m| m.count > 0);
            cells.sort_by_key(|c| c.0);
            fewer += cells.len() - 1;
            let o = &self.origins[file];
            let same = cells.iter().all(|c| c.1 == cells[0].1);
            const SHOWN: usize = 4;
            let named: Vec<String> = cells
                .iter()
                .take(SHOWN)
                .map(|(t, unit)| {
                    let header = truncate(&o.display_headers[*t], 40);
                    if same {
                        format!("\"{header}\"")
                    } else {
                        format!("\"{header}\" (\"{unit}\")")
                    }
                })
                .collect();
            let rest = cells.len().saturating_sub(SHOWN);
            let list = if rest > 0 {
                format!("{} and {rest} more", named.join(", "))
            } else {
                named.join(", ")
            };
            let message = if same {
                format!(
                    "row {row} holds units, not values: \"{}\" in {} columns ({list})",
                    cells[0].1,
                    cells.len()
                )
            } else {
                format!(
                    "row {row} holds units, not values, in {} columns: {list}",
                    cells.len()
                )
            };
            merged.push((
                first.unwrap_or(usize::MAX),
                Diagnostic::new(Stage::Data, message)
                    .at(row_location(&o.path, o.sheet.as_deref(), row))
                    .with_help(
                        "a units row (as offices put under the header) is not an entity: \
                         delete the row (an indicator's `unit` key carries its unit in the rules)",
                    ),
            ));
        }
        if merged.is_empty() {
            return 0;
        }
        let mut out = Vec::with_capacity(all.len());
        for (i, d) in std::mem::take(all).into_iter().enumerate() {
            while let Some(k) = merged.iter().position(|(at, _)| *at == i) {
                out.push(merged.remove(k).1);
            }
            if !dropped[i] {
                out.push(d);
            }
        }
        // Rows whose cells were all in column summaries, after the cells listed.
        out.extend(merged.into_iter().map(|(_, d)| d));
        *all = out;
        fewer
    }

    /// Ends the current file.
    pub fn end_file(
        &mut self,
        path: &str,
        sha256: String,
        encoding: String,
        warnings: Vec<String>,
        default_sheet: Option<(String, Vec<String>)>,
    ) {
        self.in_file = false;
        let sheet = self.origins.last().and_then(|o| o.sheet.clone());
        self.files.push(FileInfo {
            path: path.to_string(),
            sha256,
            rows: self.rows - self.file_start,
            encoding,
            warnings,
            default_sheet,
            sheet,
        });
    }

    /// Adds a warning to the file read last (passed on as a run warning).
    pub fn warn_on_last_file(&mut self, warning: String) {
        if let Some(f) = self.files.last_mut() {
            f.warnings.push(warning);
        }
    }

    /// Forgets everything read from the current file (to read it again in another encoding).
    pub fn rollback_file(&mut self) {
        if !self.in_file {
            return;
        }
        self.in_file = false;
        let n = self.file_start;
        for b in self.builders.iter_mut().flatten() {
            b.truncate(n);
        }
        self.rows = n;
        self.errors.truncate(self.file_errors_start);
        let kept = self.file_errors_start;
        self.shown.retain(|c| c.index < kept);
        let file = self.origins.len() - 1;
        self.more.retain(|m| m.file != file);
        self.counted = self.file_counted_start;
        self.origins.pop();
    }

    /// The error to return for a diagnostic that stops reading: the cell errors found so
    /// far, then this one.
    pub fn fail(&mut self, d: Diagnostic) -> Error {
        self.cell_errors(vec![d], false)
    }

    pub fn finish(mut self, paths: &[PathBuf]) -> Result<Table, Error> {
        if !self.errors.is_empty() {
            return Err(self.cell_errors(Vec::new(), false));
        }
        if self.rows == 0 {
            let names: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
            // One file is the place of the error, as other data errors print it.
            let diagnostic = match names.as_slice() {
                [one] => Diagnostic::new(Stage::Data, "no data rows").at(one.clone()),
                _ => Diagnostic::new(
                    Stage::Data,
                    format!("no data rows in {}", crate::diag::and_list(&names)),
                ),
            };
            return Err(Error::one(diagnostic.with_help(
                match &self.forced_encoding {
                    Some(e) => format!(
                        "the data needs a header row followed by at least one non-blank \
                             record; the file was decoded as {e} because of --encoding: if that \
                             is not its encoding, leave --encoding out (the encoding is detected)"
                    ),
                    None => {
                        let base = "the data needs a header row followed by at least one \
                                        non-blank record";
                        match super::xlsx::default_sheet_help(&self.files) {
                            Some(h) => format!("{base}; {h}"),
                            None => base.to_string(),
                        }
                    }
                },
            )));
        }
        let index = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        // Files without data rows have no row to point at.
        self.origins.retain(|o| !o.runs.is_empty());
        let mixes: Vec<(usize, PercentMix)> = self
            .builders
            .iter()
            .enumerate()
            .filter_map(|(t, b)| Some((t, b.as_ref()?.percent_mix()?)))
            .collect();
        let percent_first = self
            .builders
            .iter()
            .map(|b| b.as_ref().and_then(Builder::first_percent_row))
            .collect();
        // Yes/no words a missing marker made missing: (column, first row, count).
        let hidden_words: Vec<(usize, usize, usize)> = self
            .builders
            .iter()
            .enumerate()
            .filter_map(|(t, b)| match b {
                Some(Builder::Bool(_, hidden)) => Some((t, *hidden.first()?, hidden.len())),
                _ => None,
            })
            .collect();
        let padded_dashes: Vec<(usize, usize, usize)> = self
            .builders
            .iter()
            .enumerate()
            .filter_map(|(t, b)| match b {
                Some(Builder::Number(n)) => {
                    Some((t, *n.padded_dash_rows.first()?, n.padded_dash_rows.len()))
                }
                _ => None,
            })
            .collect();
        let columns = std::mem::take(&mut self.builders)
            .into_iter()
            .map(|b| b.map(Builder::finish))
            .collect();
        let mut table = Table {
            headers: self.headers,
            columns,
            files: self.files,
            origins: self.origins,
            rows: self.rows,
            index,
            markers: self.markers.clone(),
            percent_first,
        };
        for (t, first, count) in hidden_words {
            let (path, row) = table.origin(first);
            let path = path.to_string();
            let words = table.markers.yes_no_words();
            let quoted: Vec<String> = words
                .iter()
                .map(|w| {
                    let meant = if parse_bool(w) == Some(true) {
                        "是"
                    } else {
                        "否"
                    };
                    format!("\"{w}\" ({meant})")
                })
                .collect();
            table.warn_on_file(&path, format!(
                "{path}: column \"{}\" is read as yes/no, and {count} {} of it (the first at row {row}) {} missing because [data] missing_markers lists {}, {}; if it means that here, take it out of missing_markers (they apply to every column) and write 0 for it in number columns where it means none",
                table.written_header(t),
                crate::diag::agree(count, "cell", "cells"),
                crate::diag::agree(count, "reads as", "read as"),
                crate::diag::and_list(&quoted),
                crate::diag::agree(quoted.len(), "a yes/no word", "yes/no words"),
            ));
        }
        for (t, first, count) in padded_dashes {
            let (path, row) = table.origin(first);
            let path = path.to_string();
            table.warn_on_file(&path, format!(
                "{path}: column \"{}\" has {count} {} written \" - \" with spaces around the dash (the first at row {row}), read as missing: that is how an accounting (会计专用) format shows a zero; if they are zeros, give the column a number format before exporting, or write 0",
                table.written_header(t),
                crate::diag::agree(count, "cell", "cells"),
            ));
        }
        for (t, m) in mixes {
            let (path, row) = table.origin(m.percent.0);
            let path = path.to_string();
            let (plain_path, plain_row) = table.origin(m.plain.0);
            let plain_at = if plain_path == path {
                format!("row {plain_row}")
            } else {
                format!("{plain_path}, row {plain_row}")
            };
            let plural = |n: usize| crate::diag::agree(n, "cell", "cells");
            let warning = format!(
                "{path}: column \"{}\" mixes numbers written with % ({} {}, the first at row \
                 {row}, read as {}) and plain numbers between -1 and 1 ({} {}, the first at \
                 {plain_at}: {}): each cell is read as written, so {} is not {}%; if the plain \
                 ones are fractions, write them as percentages ({} or {}%)",
                table.written_header(t),
                m.percent.2,
                plural(m.percent.2),
                format_number(m.percent.1),
                m.plain.2,
                plural(m.plain.2),
                format_number(m.plain.1),
                format_number(m.plain.1),
                crate::column::format_display(m.plain.1 * 100.0),
                crate::column::format_display(m.plain.1 * 100.0),
                crate::column::format_display(m.plain.1 * 100.0),
            );
            table.warn_on_file(&path, warning);
        }
        Ok(table)
    }
}

/// A path as shown in messages.
pub fn display_path(p: &Path) -> String {
    p.display().to_string()
}

/// A header row holding one value, in its first column, and nothing else across a table of
/// three or more columns: most likely the title that Chinese statistical tables put above
/// their column names ("2023年聊城市产业集群统计表"). (A trailing comma or an index column
/// without a name leaves a header of two cells with one empty: not taken for a title.)
pub(crate) fn title_row(folded: &[String], header_row: usize) -> Option<Diagnostic> {
    let title = folded.first().filter(|t| !t.is_empty())?;
    if folded.len() < 3 || folded[1..].iter().any(|h| !h.is_empty()) {
        return None;
    }
    Some(
        Diagnostic::new(
            Stage::Data,
            format!(
                "row {header_row} holds one value, \"{}\", and {} empty headers: a title above \
                 the table?",
                truncate(title, 200),
                folded.len() - 1
            ),
        )
        .with_help(format!(
            "if it is a title, {}; if not, give every column a header, or delete the unused \
             columns or the stray value that makes the table that wide",
            title_row_help(header_row)
        )),
    )
}

/// What to do about a title row above the column names.
pub(crate) fn title_row_help(header_row: usize) -> String {
    names_below_help(header_row, "title row")
}

/// What to do about a row of group labels (merged cells such as 基本信息 over 编号 and 名称)
/// above the column names.
pub(crate) fn group_row_help(header_row: usize) -> String {
    format!(
        "if row {header_row} groups the column names of row {} (merged cells such as 基本信息 \
         over 编号 and 名称), {}",
        header_row + 1,
        names_below_help(header_row, "grouping row")
    )
}

/// The column names are in the row below `header_row`: read from there, or delete `what`.
fn names_below_help(header_row: usize, what: &str) -> String {
    format!(
        "set header_row = {} in [data] (the row holding the column names; the rows above it are \
         skipped), or delete the {what}",
        header_row + 1
    )
}

/// A spreadsheet's name of the column at 0-based index `j`: A, …, Z, AA, AB, ….
pub(crate) fn spreadsheet_column(mut j: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (j % 26) as u8);
        if j < 26 {
            break;
        }
        j = j / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Checks folded headers for a title row, empties and duplicates.
pub(crate) fn check_headers(
    path: &str,
    sheet: Option<&str>,
    header_row: usize,
    folded: &[String],
    first_col: usize,
) -> Result<(), Error> {
    let loc = row_location(path, sheet, header_row);
    if let Some(d) = title_row(folded, header_row) {
        return Err(Error::one(d.at(loc)));
    }
    // On a sheet, the cells as the spreadsheet names them too: "column 3 (C1)".
    let cells = |js: &[usize]| match sheet {
        Some(_) => {
            let named: Vec<String> = js
                .iter()
                .map(|&j| format!("{}{header_row}", spreadsheet_column(first_col + j)))
                .collect();
            format!(" ({})", named.join(" and "))
        }
        None => String::new(),
    };
    let mut seen: HashMap<&str, usize> = HashMap::with_capacity(folded.len());
    for (j, h) in folded.iter().enumerate() {
        if h.is_empty() {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Data,
                    format!(
                        "empty header in column {}{}",
                        first_col + j + 1,
                        cells(&[j])
                    ),
                )
                .at(loc)
                .with_help(format!(
                    "give every column a header, or delete the unused column; {}",
                    group_row_help(header_row)
                )),
            ));
        }
        if let Some(&first) = seen.get(h.as_str()) {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Data,
                    format!(
                        "duplicate header \"{}\" in columns {} and {}{}",
                        truncate(h, 200),
                        first_col + first + 1,
                        first_col + j + 1,
                        cells(&[first, j])
                    ),
                )
                .at(loc)
                .with_help(
                    "headers must be unique after folding full-width characters and spaces; \
                     rename one of the columns",
                ),
            ));
        }
        seen.insert(h.as_str(), j);
    }
    Ok(())
}

#[cfg(test)]
mod header_tests {
    use super::*;

    #[test]
    fn spreadsheet_columns_are_named_as_excel_names_them() {
        let names: Vec<String> = [0, 2, 25, 26, 27, 51, 52, 701, 702, 16383]
            .into_iter()
            .map(spreadsheet_column)
            .collect();
        assert_eq!(
            names,
            ["A", "C", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
        );
    }

    /// On a sheet, an empty or repeated header names its cell too; in a CSV file, not.
    #[test]
    fn header_errors_on_a_sheet_name_the_cell() {
        let folded = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e =
            check_headers("a.xlsx", Some("S"), 1, &folded(&["id", "x", "", "y"]), 0).unwrap_err();
        assert!(
            e.diagnostics[0]
                .message
                .ends_with("empty header in column 3 (C1)")
        );
        let e = check_headers("a.xlsx", Some("S"), 3, &folded(&["id", "x", "x"]), 1).unwrap_err();
        assert!(
            e.diagnostics[0]
                .message
                .ends_with("duplicate header \"x\" in columns 3 and 4 (C3 and D3)"),
            "{e}"
        );
        let e = check_headers("a.csv", None, 1, &folded(&["id", ""]), 0).unwrap_err();
        assert!(
            e.diagnostics[0]
                .message
                .ends_with("empty header in column 2")
        );
    }
}

#[cfg(test)]
mod text_builder_tests {
    use super::*;

    /// Text cells looked up as raw bytes first give the same column as the general path,
    /// whatever went into the dictionary before: trimmed cells, markers, full-width text,
    /// and a spreadsheet number equal to a user's marker.
    #[test]
    fn raw_text_lookup_agrees_with_the_general_path() {
        let cells = [
            "润泽",
            " 润泽",
            "润泽 ",
            "润泽",
            "NA",
            "0",
            "ＡＢＣ",
            "ABC",
            " ",
            "",
            "—",
            "x,y",
            "润泽",
            "ＡＢＣ",
            "0",
            "a\u{a0}",
            "a",
            "a\u{a0}",
            "无数据",
            "无数据 ",
        ];
        for markers in [
            Markers::new(&[]),
            Markers::new(&["0".into(), "无数据".into()]),
        ] {
            for spreadsheet_first in [false, true] {
                let mut fast = Builder::Text(TextBuilder::default());
                let mut slow = Builder::Text(TextBuilder::default());
                if spreadsheet_first {
                    for b in [&mut fast, &mut slow] {
                        b.push(Cell::Number(0.0), &markers)
                            .unwrap_or_else(|_| unreachable!());
                    }
                }
                let text: String = cells.concat();
                let mut start = 0;
                for c in cells {
                    let end = start + c.len();
                    let a = fast
                        .push_field(text.as_bytes(), start, end, &markers)
                        .is_ok();
                    let b = slow.push(Cell::Raw(c.as_bytes()), &markers).is_ok();
                    assert_eq!(a, b, "{c:?}");
                    start = end;
                }
                let (Column::Text(f), Column::Text(s)) = (fast.finish(), slow.finish()) else {
                    panic!("text columns");
                };
                let fv: Vec<Option<&str>> = (0..f.codes.len()).map(|i| f.get(i)).collect();
                let sv: Vec<Option<&str>> = (0..s.codes.len()).map(|i| s.get(i)).collect();
                assert_eq!(fv, sv, "spreadsheet first: {spreadsheet_first}");
            }
        }
    }

    #[test]
    fn a_reserved_index_keeps_every_code_and_needs_no_growth() {
        let mut t = TextBuilder::default();
        for i in 0..3000 {
            t.push(Some(&format!("E{i:08}")));
        }
        t.reserve(100_000);
        assert_eq!(t.slots.len(), 1 << 18);
        for i in 0..100_000 {
            t.push(Some(&format!("E{:08}", i % 99_000)));
        }
        assert_eq!(t.slots.len(), 1 << 18, "no growth after the reserve");
        assert_eq!(t.col.dict.len(), 99_000);
        for (k, &code) in t.col.codes.iter().enumerate() {
            let i = if k < 3000 { k } else { (k - 3000) % 99_000 };
            assert_eq!(&t.col.dict[code as usize], format!("E{i:08}"));
        }
    }

    #[test]
    fn spans_are_copied_exactly_with_or_without_slack() {
        // Fields of 0–40 bytes, at the end of the text (no slack) and inside it.
        let fields: Vec<String> = (0..41)
            .map(|n| "abcdefghij".repeat(5)[..n].to_string())
            .collect();
        let line = fields.join(",");
        let mut spans = Vec::new();
        let mut start = 0;
        for f in &fields {
            spans.push((start, start + f.len()));
            start += f.len() + 1;
        }
        let width = fields.len();
        let stored: Vec<usize> = (0..width).filter(|j| j % 3 != 1).collect();
        let mut batch = RecordBatch::new(width, &stored, 4);
        batch.push_spans(2, line.as_bytes(), spans.iter().copied());
        // The same record again, its text followed by more bytes.
        let padded = format!("{line}\nnext,line,of,text");
        batch.push_spans(3, padded.as_bytes(), spans.iter().copied());
        assert_eq!(batch.len(), 2);
        for &j in &stored {
            let got: Vec<&[u8]> = batch.ends[j]
                .windows(2)
                .map(|w| &batch.bytes[j][w[0]..w[1]])
                .collect();
            assert_eq!(got, vec![fields[j].as_bytes(); 2], "column {j}");
        }
        assert!(batch.bytes[1].is_empty() && batch.ends[1].len() == 1);
    }

    #[test]
    fn dictionary_codes_collisions_and_truncate() {
        let mut b = TextBuilder::default();
        for s in ["a", "b", "a", "长一点的文本abcdefgh", "b"] {
            b.push(Some(s));
        }
        b.push(None);
        assert_eq!(
            b.col.dict.iter().collect::<Vec<_>>(),
            vec!["a", "b", "长一点的文本abcdefgh"]
        );
        assert_eq!(b.col.codes, vec![0, 1, 0, 2, 1, TextColumn::MISSING]);
        // A slot with the same hash bits but another text ("a"): the probe compares the
        // texts and goes on.
        let tag = text_hash(b"zz") & !0xFFFF_FFFF;
        let mut i = b.home(tag);
        while b.slots[i] != EMPTY_SLOT {
            i = (i + 1) & (b.slots.len() - 1);
        }
        b.slots[i] = tag;
        b.push(Some("zz"));
        b.push(Some("zz"));
        b.push(Some("a"));
        assert_eq!(b.col.codes[6..], [3, 3, 0]);
        assert_eq!(b.col.get(6), Some("zz"));
        b.truncate(3);
        assert_eq!(b.col.dict.iter().collect::<Vec<_>>(), vec!["a", "b"]);
        // The index is rebuilt over the kept texts only.
        assert_eq!(b.slots.iter().filter(|&&s| s != EMPTY_SLOT).count(), 2);
        b.push(Some("长一点的文本abcdefgh"));
        assert_eq!(b.col.codes, vec![0, 1, 0, 2]);
    }

    #[test]
    fn the_index_grows_and_keeps_every_code() {
        let mut b = TextBuilder::default();
        let texts: Vec<String> = (0..5000).map(|k| format!("E{k:08}")).collect();
        for t in &texts {
            b.push(Some(t));
        }
        assert!(b.slots.len() >= 2 * 5000, "load stays at most one half");
        for (k, t) in texts.iter().enumerate().rev() {
            b.push(Some(t));
            assert_eq!(*b.col.codes.last().unwrap(), k as u32);
        }
        assert_eq!(b.col.dict.len(), 5000);
    }
}

#[cfg(test)]
mod infer_builder_tests {
    use super::*;

    #[test]
    fn canonical_texts_are_exactly_what_format_number_prints() {
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..50_000 {
            let r = next();
            let digits = 1 + (r % 17) as usize;
            let mut t = String::new();
            if r & 1 == 1 {
                t.push('-');
            }
            let point = (r >> 8) as usize % (digits + 1);
            for k in 0..digits {
                if k == point && k > 0 {
                    t.push('.');
                }
                t.push(char::from(b'0' + (next() % 10) as u8));
            }
            let x: f64 = t.parse().unwrap();
            if is_canonical_number(t.as_bytes()) {
                assert_eq!(format_number(x), t, "canonical {t}");
            }
        }
        for t in ["0", "7", "-3", "10.5", "0.25", "-0.5", "123456789012345"] {
            assert!(is_canonical_number(t.as_bytes()), "{t}");
        }
        for t in [
            "-0",
            "007",
            "1.50",
            "5.",
            ".5",
            "1e3",
            "1,000",
            "1234567890123456",
        ] {
            assert!(!is_canonical_number(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn numbers_then_text_spill_with_the_texts_as_written() {
        let markers = Markers::new(&[]);
        let mut b = Builder::new(ColumnRequest::Infer);
        for cell in ["1", "1.50", "", "1,000", "-0", "２", "east"] {
            b.push(Cell::Raw(cell.as_bytes()), &markers).ok().unwrap();
        }
        let Column::Text(t) = b.finish() else {
            panic!("a text cell makes a text column")
        };
        let got: Vec<Option<&str>> = (0..t.len()).map(|i| t.get(i)).collect();
        assert_eq!(
            got,
            vec![
                Some("1"),
                Some("1.50"),
                None,
                Some("1,000"),
                Some("-0"),
                Some("２"),
                Some("east")
            ]
        );
    }

    #[test]
    fn all_numbers_stay_numbers_and_truncate_keeps_bool_inference_right() {
        let markers = Markers::new(&[]);
        let mut b = Builder::new(ColumnRequest::Infer);
        for cell in ["1", "0", "", "1.0", "2"] {
            b.push(Cell::Raw(cell.as_bytes()), &markers).ok().unwrap();
        }
        b.truncate(3);
        // "1", "0", missing: still numbers (numbers win over booleans), nothing else kept.
        let Builder::Infer(i) = &b else { panic!() };
        assert!(i.all_bool && i.all_num && i.odd.is_empty() && i.arena.is_empty());
        let Column::Number(v) = b.finish() else {
            panic!("numbers")
        };
        assert_eq!(v[..2], [1.0, 0.0]);
        assert!(v[2].is_nan());
    }
}

#[cfg(test)]
mod cell_problem_tests {
    use super::*;

    #[test]
    fn the_help_fits_what_the_cell_holds() {
        let m = Markers::new(&[]);
        let help = |cell: &str| number_problem(cell, cell, &m).help.unwrap();
        // A word may mean "no data": the marker to add, as TOML.
        assert!(help("未报送").starts_with(
            "if \"未报送\" means no data, add it to the missing markers: [data] missing_markers = [\"未报送\"]"
        ));
        // Digits in it: a malformed number, so the accepted forms (a unit after the number
        // has its own help).
        assert!(help("12a3").starts_with("accepted: numbers like 12"));
        assert!(help("12亿").contains("write the number alone"));
        // A units row under the header: delete the row, not a missing marker (which would
        // score a row named 单位 as an entity).
        for unit in ["万元", "（%）", "吨标煤/万元", "人"] {
            assert!(help(unit).contains("is a unit, not a number"), "{unit}");
            assert!(help(unit).contains("delete the row"), "{unit}");
        }
        assert!(help("未填").starts_with("if \"未填\" means no data"));
        // Currency signs, the ideographic full stop, a number said aloud.
        assert!(help("¥20000").contains(
            "currency sign: write the number alone, in the unit the column is in (20000)"
        ));
        assert!(help("￥ 1.5").contains("(1.5)"));
        assert_eq!(
            help("12。5"),
            "\"12。5\" has the ideographic full stop '。' for a decimal point: write 12.5"
        );
        assert!(
            help("6万5").ends_with(": 6.5 in 万元, 65000 in 元"),
            "{}",
            help("6万5")
        );
        assert!(help("3亿2").ends_with(": 3.2 in 亿元, 32000 in 万元"));
        // More digits after the unit read two ways: no number offered.
        for two_ways in ["6万500", "6万5000", "3亿2500"] {
            let h = help(two_ways);
            assert!(
                h.contains("mixes digits with") && h.contains("write it as one number"),
                "{h}"
            );
        }
        // A number said roughly: the number to write; before a unit, the unit's help.
        assert_eq!(
            help("约60"),
            "\"约60\" gives the number roughly (约, 近, 左右 …): a rule compares exact values, so write 60 (or the exact figure, if it is known)"
        );
        assert!(help("60左右").contains("so write 60 "));
        assert!(
            help("超过60").contains("so write 60 "),
            "{}",
            help("超过60")
        );
        assert!(
            help("近3亿").contains("so \"3亿\" carries a unit (亿)"),
            "{}",
            help("近3亿")
        );
        assert!(!help("约").contains("roughly"));
        // A currency sign before another shape: the help for the rest, not "(1.5万)".
        let h = help("¥1.5万");
        assert!(
            h.starts_with("drop the currency sign; then \"1.5万\" carries a unit (万)"),
            "{h}"
        );
        assert!(!h.contains("(1.5万)"), "{h}");
        // A spreadsheet error value exported as text.
        assert!(help("#DIV/0!").contains("spreadsheet error value"));
        assert!(help("#n/a").contains("spreadsheet error value"));
        // A yes/no column: the words first, then the marker.
        let b = bool_problem("待定", Some("待定"), &m).help.unwrap();
        assert!(b.starts_with("accepted: 是/否"));
        assert!(b.contains("missing_markers = [\"待定\"]"));
        // A tick, 对 or 不是: the word it stands for (as a marker it would go unscored).
        let tick = bool_problem("√", Some("√"), &m).help.unwrap();
        assert!(tick.starts_with("\"√\" means 是 here? write 是;"), "{tick}");
        let right = bool_problem("对", Some("对"), &m).help.unwrap();
        assert!(right.starts_with("\"对\" means 是 here?"), "{right}");
        // Beyond a double: said so, not "accepted: … 1.2e3".
        let huge = number_problem("1e400", "1e400", &m);
        assert!(
            huge.message
                .ends_with("it is beyond the largest number a cell may hold (about 1.8e308)")
        );
        assert!(!number_problem("inf", "inf", &m).message.contains("beyond"));
        assert!(help("1e400").ends_with("its exponent is too large"));
        assert_eq!(
            help("1O5"),
            "\"1O5\" has a letter (O, l or I) where a digit is expected: write 105"
        );
        assert!(help("O").ends_with("write 0"));
        assert!(!help("Oil").contains("where a digit is expected"));
        assert!(
            help("¥-")
                .starts_with("\"¥-\" is how an accounting (会计专用) format shows a zero: write 0")
        );
        let digits = "9".repeat(400);
        assert!(help(&digits).ends_with("more than 308 digits before the decimal point"));
        // Nearer zero than a double: refused, not read as 0 (zero itself is read).
        let tiny = number_problem("1e-400", "1e-400", &m);
        assert!(
            tiny.message
                .ends_with("smallest number a cell may hold (about 4.9e-324)")
        );
        assert!(help("1e-400").contains("write 0 if the value is zero"));
        // Infinity in any spelling, and per mille.
        for inf in ["inf", "-Infinity", "∞"] {
            assert!(
                help(inf).starts_with("infinity is not a value a cell may hold"),
                "{inf}"
            );
        }
        assert_eq!(
            help("-12.5‰"),
            "‰ (per mille) is not read: -12.5‰ is -1.25%; write -1.25% or -1.25 in a column of \
             percentages"
        );
        // An invisible character inside the number: named, and the number without it.
        let zw = number_problem("1\u{200b}234", "1\u{200b}234", &m);
        assert!(
            zw.message
                .ends_with("it holds U+200B (a zero-width space) after \"1\"")
        );
        assert_eq!(zw.help.as_deref(), Some("delete it: the number is 1234"));
        // A number in a yes/no column is no marker candidate.
        assert!(
            !bool_problem("5", None, &m)
                .help
                .unwrap()
                .contains("missing_markers")
        );
    }
}

#[cfg(test)]
mod cell_help_tests {
    use super::*;

    fn help(cell: &str) -> String {
        let markers = Markers::new(&[]);
        number_problem(cell, &normalise_cell(cell), &markers)
            .help
            .unwrap_or_default()
    }

    /// Numbers as written on paper get help that names what to write instead; following
    /// it must not change the magnitude (`32,0000` is 320000, not 32.0000).
    #[test]
    fn paper_forms_of_numbers_get_a_specific_fix() {
        assert!(
            help("32,0000").contains("grouped by 万") && help("32,0000").contains("write 320000")
        );
        assert!(help("-1,2345,6789").contains("write -123456789"));
        // A decimal comma is still offered where the groups are not of four.
        assert!(help("3,5").contains("decimal point (3.5)"));
        assert!(help("1 250 000").contains("remove the spaces between the digits: 1250000"));
        assert!(help("(320000)").contains("write -320000"));
        assert!(help("五").contains("Chinese numeral: write 5"));
        assert!(help("八十").contains("write 80"));
        assert!(help("一百二十").contains("write 120"));
        assert!(help("两千零五").contains("write 2005"));
        assert!(
            help("2023/12/31").contains("is a date") && help("2023/12/31").contains("write 2023")
        );
        assert!(help("注：数据来源于市统计局").contains("note under the table"));
        assert!(help("32万").contains("32 in 万元, 320000 in 元"));
        // Other scripts' digits and fraction signs are numbers, not missing markers.
        for cell in ["½", "٣٤", "१२", "Ⅻ", "٣٫٥"] {
            let h = help(cell);
            assert!(
                h.contains("is a number written with other signs than the digits 0–9"),
                "{cell}: {h}"
            );
            assert!(!h.contains("missing_markers"), "{cell}: {h}");
        }
        assert!(help("未报送").contains("missing_markers"));
        // A word with a footnote mark or a unit is no number written otherwise.
        assert!(
            help("未报送①").contains("missing_markers"),
            "{}",
            help("未报送①")
        );
        assert!(!help("m²").contains("other signs"), "{}", help("m²"));
        assert!(help("125亿").contains("125 in 亿元, 1250000 in 万元, 12500000000 in 元"));
        assert!(help("2023年").contains("carries a unit (年): write the number alone: 2023"));
        assert!(help("75分").contains("carries a unit (分): write the number alone: 75"));
        assert!(help("6kg").contains(
            "carries a unit (kg): write the number alone, in the unit the column is in (6 if that is kg)"
        ));
        assert!(help("3.5MW").contains("carries a unit (MW)"));
        assert!(!help("6e").contains("carries a unit"), "{}", help("6e"));
        assert!(!help("10k").contains("carries a unit"), "{}", help("10k"));
        assert!(help("6EUR").contains("carries a unit (EUR)"));
        assert!(
            help("\u{2212}5")
                .contains("starts with the minus sign U+2212, not the ASCII '-': write -5")
        );
        assert!(help("\u{2013}2.5").contains("an en dash, not the ASCII '-': write -2.5"));
        assert!(help("\u{2212} 5").contains("write -5"));
        assert!(help("\u{2010}5").contains("a hyphen U+2010"));
        assert!(help("5家").contains("write the number alone: 5"));
        // A leading zero is a decimal comma; one group of four reads either way.
        assert!(
            help("0,1234").contains("decimal point (0.1234)"),
            "{}",
            help("0,1234")
        );
        assert!(help("3,1416").contains("write 31416") && help("3,1416").contains("write 3.1416"));
        // Units that change the magnitude otherwise are left to the accepted forms.
        assert!(help("5千").contains("accepted:"), "{}", help("5千"));
        assert!(help("1.2万亿").contains("accepted:"));
        // Other shapes keep the list of accepted forms.
        assert!(help("abc1").contains("accepted:"), "{}", help("abc1"));
        assert_eq!(crate::diag::chinese_numeral("无"), None);
        assert_eq!(crate::diag::chinese_numeral("万"), None);
        assert_eq!(crate::diag::chinese_numeral("十五"), Some(15));
        assert_eq!(crate::diag::chinese_numeral("十"), Some(10));
        assert_eq!(crate::diag::chinese_numeral("二二"), None);
        assert!(!help("0531-8888-6666").contains("is a date"));
        assert!(help("2023-5-1").contains("is a date"));
        assert_eq!(crate::diag::chinese_numeral("三万零二十"), Some(30020));
    }

    #[test]
    fn yes_no_cells_with_a_number_or_a_remark_get_a_specific_fix() {
        let markers = Markers::new(&[]);
        let help = |cell: &str| {
            bool_problem(cell, Some(&normalise_cell(cell)), &markers)
                .help
                .unwrap_or_default()
        };
        assert_eq!(help("1.0"), "\"1.0\" in a yes/no column: write 1 (or 是)");
        assert_eq!(help("0.0"), "\"0.0\" in a yes/no column: write 0 (or 否)");
        assert!(help("是（2022年认定）").contains("starts with 是: keep 是"));
        // A longer word is no remark: it may mean no data.
        assert!(
            help("无数据").contains("missing_markers = [\"无数据\"]"),
            "{}",
            help("无数据")
        );
        // A word that may mean no data is quoted as the cell shows it.
        assert!(
            help("注：无").contains("missing_markers = [\"注：无\"]"),
            "{}",
            help("注：无")
        );
    }
}
