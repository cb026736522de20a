//! Reading data files (delimited text and XLSX) into typed columns (SPEC §6, §12 "Data").
//!
//! - [`cell`]: header folding, missing markers, numbers and booleans;
//! - [`decode`]: encoding detection and streaming decoding;
//! - `csv` / `xlsx`: the two readers;
//! - [`table`]: the [`Table`] and the column builders both readers feed.

pub mod cell;
mod csv;
pub mod decode;
pub mod table;
mod xlsx;
mod xlsx_percent;

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Error, Stage};

pub use cell::{BUILTIN_MISSING, fold_header};
pub use decode::{ForcedEncoding, parse_encoding};
pub use table::{ColumnRequest, FileInfo, ReadOptions, ReadProgress, Table, parse_delimiter};
pub(crate) use xlsx::default_sheet_help;
pub use xlsx::is_xlsx;

fn check_options(opts: &ReadOptions) -> Result<Option<ForcedEncoding>, Error> {
    if opts.header_row == 0 {
        return Err(Error::usage("header_row is 1-based: it must be 1 or more"));
    }
    // What `--delimiter` refuses, refused for a library caller's options too: a quote or a
    // line break cannot separate fields, and a byte above 0x7F would split characters.
    if !table::usable_delimiter(opts.delimiter) {
        return Err(Error::usage(format!(
            "invalid delimiter byte 0x{:02X}: give one ASCII character such as , ; | or a tab \
             (not a double quote, a line break or NUL)",
            opts.delimiter
        )));
    }
    opts.encoding.as_deref().map(parse_encoding).transpose()
}

/// The folded headers of one file (checked for empty and duplicate headers).
pub fn read_headers(path: &Path, opts: &ReadOptions) -> Result<Vec<String>, Error> {
    let forced = check_options(opts)?;
    if is_xlsx(path) {
        xlsx::read_xlsx(path, opts, None)
    } else {
        csv::read_csv(path, opts, forced, None)
    }
}

/// Reads and concatenates data files. `request(folded_header)` says how each column is
/// parsed; `None` leaves it unstored (its records are still checked for shape).
pub fn read_table(
    paths: &[PathBuf],
    opts: &ReadOptions,
    request: &dyn Fn(&str) -> Option<ColumnRequest>,
) -> Result<Table, Error> {
    let forced = check_options(opts)?;
    if paths.is_empty() {
        return Err(Error::one(Diagnostic::new(
            Stage::Usage,
            "no data files given",
        )));
    }
    // The same file twice would read as every id duplicated "in rows 2 and 2".
    for (k, path) in paths.iter().enumerate() {
        let same = |other: &PathBuf| {
            other == path
                || matches!(
                    (std::fs::canonicalize(other), std::fs::canonicalize(path)),
                    (Ok(a), Ok(b)) if a == b
                )
        };
        if let Some(first) = paths[..k].iter().position(same) {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Usage,
                    format!(
                        "data file '{}' is given twice (--data {} and {})",
                        table::display_path(path),
                        first + 1,
                        k + 1
                    ),
                )
                .with_help("give each data file once"),
            ));
        }
    }
    let mut ingest = table::Ingest::new(opts, request);
    for path in paths {
        if is_xlsx(path) {
            xlsx::read_xlsx(path, opts, Some(&mut ingest))?;
            // A workbook is read whole: counted once it is.
            if let (Some(p), Ok(m)) = (&opts.progress, std::fs::metadata(path)) {
                p.add(m.len());
            }
        } else {
            csv::read_csv(path, opts, forced, Some(&mut ingest))?;
        }
    }
    ingest.finish(paths)
}

#[cfg(test)]
mod tests;
