//! Delimited text: decoded as a stream (see [`super::decode`]) and parsed with the `csv`
//! crate straight into the typed column builders.
//!
//! Row numbers are those a spreadsheet shows: the `csv` crate skips empty lines and a
//! quoted field may span lines, so the row of a record is its starting line minus the line
//! breaks inside the fields of earlier records.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::diag::{Diagnostic, Error, Stage};

use super::cell::fold_header;
use super::decode::{
    self, Choice, DecodeFailure, DecodingReader, FailureKind, ForcedEncoding, PREFIX_LEN,
};
use super::table::{Ingest, ReadOptions, RecordBatch, check_headers, row_location};

/// Why one pass over a file stopped.
enum PassError {
    Decode(DecodeFailure),
    Other(Error),
}

impl From<Error> for PassError {
    fn from(e: Error) -> Self {
        PassError::Other(e)
    }
}

fn open(path: &Path) -> Result<File, Error> {
    File::open(path).map_err(|e| Error::io(&path.display().to_string(), &e))
}

fn read_prefix(file: &mut File, path: &str) -> Result<(Vec<u8>, bool), Error> {
    let mut prefix = Vec::with_capacity(64 * 1024);
    let n = file
        .by_ref()
        .take(PREFIX_LEN as u64)
        .read_to_end(&mut prefix)
        .map_err(|e| Error::io(path, &e))?;
    Ok((prefix, n < PREFIX_LEN))
}

/// Reads one delimited file: its headers only (`ingest` = `None`) or everything.
/// Returns the folded headers.
pub(crate) fn read_csv(
    path: &Path,
    opts: &ReadOptions,
    forced: Option<ForcedEncoding>,
    mut ingest: Option<&mut Ingest<'_>>,
) -> Result<Vec<String>, Error> {
    let name = path.display().to_string();
    let mut file = open(path)?;
    let (prefix, at_eof) = read_prefix(&mut file, &name)?;
    let mut choice = decode::choose(&prefix, forced, at_eof);
    let mut source: Box<dyn Read + Send> = Box::new(io::Cursor::new(prefix.clone()).chain(file));
    loop {
        match pass(source, &name, opts, choice, ingest.as_deref_mut()) {
            Ok(headers) => return Ok(headers),
            Err(PassError::Other(e)) => return Err(e),
            Err(PassError::Decode(f)) => {
                if let Some(i) = ingest.as_deref_mut() {
                    i.rollback_file();
                }
                if choice.guessed_utf8 && f.kind == FailureKind::Malformed && !f.saw_non_ascii {
                    // Plain ASCII at first, then bytes that are not UTF-8: GBK text further in.
                    choice = Choice {
                        encoding: encoding_rs::GB18030,
                        guessed_utf8: false,
                    };
                    source = Box::new(open(path)?);
                    continue;
                }
                let d = decode::failure_diagnostic(&name, &choice.name(), f, &prefix);
                return Err(match ingest {
                    Some(i) => i.fail(d),
                    None => Error::one(d),
                });
            }
        }
    }
}

fn csv_error(e: csv::Error, path: &str, row_hint: usize) -> PassError {
    let row = e.position().map_or(row_hint, |p| p.line() as usize);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => match decode::failure_of(&io) {
            Some(f) => PassError::Decode(f),
            None => PassError::Other(Error::io(path, &io)),
        },
        other => PassError::Other(Error::one(
            Diagnostic::new(Stage::Data, format!("cannot read the record: {other:?}"))
                .at(row_location(path, None, row)),
        )),
    }
}

fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn is_blank(rec: &csv::ByteRecord) -> bool {
    rec.iter().all(|f| {
        f.iter().all(u8::is_ascii_whitespace)
            || std::str::from_utf8(f).is_ok_and(|s| s.trim().is_empty())
    })
}

fn pass(
    source: Box<dyn Read + Send>,
    path: &str,
    opts: &ReadOptions,
    choice: Choice,
    ingest: Option<&mut Ingest<'_>>,
) -> Result<Vec<String>, PassError> {
    let decoder = DecodingReader::new(source, choice.encoding);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(opts.delimiter)
        .buffer_capacity(1 << 16)
        .from_reader(decoder);
    let mut rec = csv::ByteRecord::new();
    // Line breaks inside fields of the records read so far.
    let mut embedded = 0usize;
    let mut last_row = 0usize;
    let mut next = |rdr: &mut csv::Reader<DecodingReader<Box<dyn Read + Send>>>,
                    rec: &mut csv::ByteRecord,
                    last_row: &mut usize|
     -> Result<Option<usize>, PassError> {
        match rdr.read_byte_record(rec) {
            Ok(false) => Ok(None),
            Ok(true) => {
                // The decoder ends every record with one `\n`, so after this record the
                // line counter has passed (rows so far) + (line breaks inside fields).
                embedded += count_newlines(rec.as_slice());
                let lines = (rdr.position().line() as usize).saturating_sub(1);
                let row = lines.saturating_sub(embedded).max(*last_row + 1);
                *last_row = row;
                Ok(Some(row))
            }
            Err(e) => Err(csv_error(e, path, *last_row + 1)),
        }
    };

    // Header.
    let header_row = opts.header_row;
    let (written, folded) = loop {
        match next(&mut rdr, &mut rec, &mut last_row)? {
            None => {
                return Err(PassError::Other(Error::one(
                    Diagnostic::new(
                        Stage::Data,
                        format!(
                            "header row {header_row} is beyond the end of the file ({} rows)",
                            last_row
                        ),
                    )
                    .at(path.to_string())
                    .with_help(if header_row > 1 {
                        "check header_row, and that this is the intended file"
                    } else {
                        "the file is empty; it needs a header row and data rows"
                    }),
                )));
            }
            Some(r) if r < header_row => continue,
            Some(r) if r > header_row => {
                return Err(PassError::Other(Error::one(
                    Diagnostic::new(Stage::Data, format!("header row {header_row} is empty"))
                        .at(path.to_string())
                        .with_help(format!(
                            "the next non-empty row is {r}; set header_row to the row \
                             holding the column names"
                        )),
                )));
            }
            Some(_) => {
                // (A header field may hold a line break; folding turns it into a space.)
                let written: Vec<String> = rec
                    .iter()
                    .map(|f| String::from_utf8_lossy(f).trim().to_string())
                    .collect();
                let folded: Vec<String> = written.iter().map(|h| fold_header(h)).collect();
                break (written, folded);
            }
        }
    };
    check_headers(path, None, header_row, &folded, 0)?;
    let Some(ingest) = ingest else {
        return Ok(folded);
    };
    ingest.begin_file(path, None, &folded, &written)?;
    let width = folded.len();
    let wanted: Vec<usize> = ingest.wants().collect();
    debug_assert!(wanted.iter().all(|&j| j < width));

    // Two threads: this one fills the column builders while a second decodes and splits the
    // records, handing them over in batches (records are recycled through a return channel).
    // On a 2-core machine this overlaps the two halves of reading, which cost about the same.
    const BATCH: usize = 2048;
    // A batch also ends once it holds this many bytes (a file of very long records).
    const BATCH_BYTES: usize = 1 << 24;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<RecordBatch>(4);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<RecordBatch>();
    let producer_path = path.to_string();
    std::thread::scope(|scope| {
        let producer = scope.spawn(
            move || -> Result<(Option<usize>, csv::Reader<_>), ProducerError> {
                // Row of the last record whose last field ends with a line break: a quote left
                // open swallows the rest of the file into one field, which ends with the final `\n`.
                let mut open_quote_row = None;
                let mut batch = RecordBatch::new(width, &wanted, BATCH);
                let mut rec = csv::ByteRecord::new();
                while let Some(row) =
                    next(&mut rdr, &mut rec, &mut last_row).map_err(ProducerError::Pass)?
                {
                    open_quote_row = rec
                        .iter()
                        .next_back()
                        .is_some_and(|f| f.ends_with(b"\n"))
                        .then_some(row);
                    if rec.len() != width {
                        if is_blank(&rec) {
                            continue;
                        }
                        return Err(ProducerError::Row(ragged(&producer_path, row, &rec, width)));
                    }
                    if is_blank(&rec) {
                        continue;
                    }
                    batch.push(row, rec.iter());
                    if batch.len() == BATCH || batch.byte_len() >= BATCH_BYTES {
                        let next = match empty_rx.try_recv() {
                            Ok(mut b) => {
                                b.clear();
                                b
                            }
                            Err(_) => RecordBatch::new(width, &wanted, BATCH),
                        };
                        if full_tx.send(std::mem::replace(&mut batch, next)).is_err() {
                            // The builders stopped (an error): they report it.
                            return Err(ProducerError::Stopped);
                        }
                    }
                }
                if !batch.is_empty() && full_tx.send(batch).is_err() {
                    return Err(ProducerError::Stopped);
                }
                Ok((open_quote_row, rdr))
            },
        );
        let consumed: Result<(), Error> = (|| {
            for batch in full_rx.iter() {
                ingest.push_records(&batch)?;
                let _ = empty_tx.send(batch);
            }
            Ok(())
        })();
        // Stop the producer if the builders failed, then collect its outcome.
        drop(full_rx);
        let produced = producer.join().expect("the record reader does not panic");
        consumed?;
        let (open_quote_row, rdr) = match produced {
            Ok(v) => v,
            Err(ProducerError::Pass(e)) => return Err(e),
            Err(ProducerError::Row(d)) => return Err(PassError::Other(ingest.fail(d))),
            Err(ProducerError::Stopped) => unreachable!("the builders stop only on an error"),
        };
        if let Some(row) = open_quote_row
            && rdr.get_ref().odd_quotes()
        {
            return Err(PassError::Other(
                ingest.fail(
                    Diagnostic::new(
                        Stage::Data,
                        "a quote (\") is left open: the last field runs to the end of the file",
                    )
                    .at(row_location(path, None, row))
                    .with_help(
                        "close the quote, or double a quote that belongs to the text (\"\")",
                    ),
                ),
            ));
        }
        let sha = rdr.get_ref().sha256_hex();
        ingest.end_file(path, sha, choice.name());
        Ok(folded)
    })
}

/// Why the record-reading thread stopped early.
enum ProducerError {
    Pass(PassError),
    /// A malformed record (the builders' thread adds the cell errors found so far).
    Row(Diagnostic),
    /// The builders' thread hung up after an error of its own.
    Stopped,
}

fn ragged(path: &str, row: usize, rec: &csv::ByteRecord, width: usize) -> Diagnostic {
    let n = rec.len();
    let multiline = rec.iter().any(|f| f.contains(&b'\n'));
    let help = if multiline {
        "a field in this record runs over several lines: a quote (\") is probably left open"
    } else if n > width {
        "a field probably contains the delimiter; put that field in double quotes"
    } else {
        "a delimiter is probably missing in this row; every row needs one field per header"
    };
    Diagnostic::new(
        Stage::Data,
        format!(
            "{n} field{} where the header has {width}",
            if n == 1 { "" } else { "s" }
        ),
    )
    .at(row_location(path, None, row))
    .with_help(help)
}
