//! CSV view: one row per entity in output order; ids as headers (stable for machines).

use crate::diag::{Error, Result};
use crate::engine::{Assessment, PointsRow};
use crate::report::defuse_formula;
use std::io::Write;

/// Encoding of CSV output: UTF-8 with BOM by default (Excel and WPS open it), or GBK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutEncoding {
    /// UTF-8 with a byte-order mark (`--out-encoding utf8`, the default).
    #[default]
    Utf8Bom,
    /// UTF-8 without a byte-order mark (`utf8-nobom`).
    Utf8,
    /// GBK (`gbk`, `gb18030`).
    Gbk,
}

impl OutEncoding {
    /// The encoding `--out-encoding` names (any case, hyphens ignored).
    pub fn from_name(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "utf8" => Some(OutEncoding::Utf8Bom),
            "utf8nobom" => Some(OutEncoding::Utf8),
            "gbk" | "gb18030" => Some(OutEncoding::Gbk),
            _ => None,
        }
    }
}

/// The CSV text of an assessment.
pub fn to_csv(a: &Assessment, enc: OutEncoding) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write_csv(a, enc, &mut out)?;
    Ok(out)
}

/// Writes the CSV view to `out`, streaming from the columnar [`Scoresheet`](crate::engine::Scoresheet): one buffered
/// pass in output order.
///
/// The row loop is written by hand (not through the csv crate's writer, which costs ~50 ns a
/// field here): numbers never need quoting, and text fields are quoted exactly as the csv
/// crate's `QuoteStyle::Necessary` does (a comma, quote, CR or LF inside; quotes doubled).
pub fn write_csv(a: &Assessment, enc: OutEncoding, out: &mut dyn Write) -> Result<()> {
    let io_err = |e: std::io::Error| {
        Error::one(crate::diag::Diagnostic::new(
            crate::diag::Stage::Io,
            format!("cannot write CSV: {e}"),
        ))
    };
    let mut sink = Sink {
        out,
        gbk: enc == OutEncoding::Gbk,
        pending: Vec::new(),
    };
    if enc == OutEncoding::Utf8Bom {
        sink.write_all("\u{feff}".as_bytes()).map_err(io_err)?;
    }
    let sheet = &a.sheet;
    let layout = &a.layout;
    let dec = layout.decimals;
    let mut header: Vec<&str> = crate::engine::CSV_COLUMNS.to_vec();
    header.extend(layout.dimensions.iter().map(|d| d.id.as_str()));
    header.extend(layout.criteria.iter().map(|c| c.id.as_str()));
    header.extend(sheet.carry.iter().map(|(k, _)| k.as_str()));
    let mut line: Vec<u8> = Vec::with_capacity(1 << 17);
    for (k, h) in header.iter().enumerate() {
        if k > 0 {
            line.push(b',');
        }
        push_text(&mut line, h);
    }
    line.push(b'\n');
    // Tier columns (id and defused label) are the same text for every entity of a tier.
    let tier_cells: Vec<Vec<u8>> = layout
        .tiers
        .iter()
        .map(|t| {
            let mut cell = Vec::new();
            push_text(&mut cell, &t.id);
            cell.push(b',');
            push_text(&mut cell, &defuse_formula(&t.label));
            cell
        })
        .collect();
    let gate_cells: Vec<Vec<u8>> = layout
        .gates
        .iter()
        .map(|g| {
            let mut cell = Vec::new();
            push_text(&mut cell, &g.id);
            cell
        })
        .collect();
    let scale = 10f64.powi(dec as i32);
    sink.write_all(&line).map_err(io_err)?;
    // Rows are formatted in blocks on all cores and written in order: a second thread formats
    // the next group of blocks while this one writes the previous group; the group buffers
    // go back to be refilled, so large runs do not map and clear fresh pages for every block.
    const BLOCK: usize = 16_384;
    let n = sheet.len();
    let small = SmallScaled::new(dec);
    let rows = RowText {
        sheet,
        layout,
        tier_cells: &tier_cells,
        gate_cells: &gate_cells,
        scale,
        small: small.as_ref(),
    };
    let blocks: Vec<std::ops::Range<usize>> = (0..n)
        .step_by(BLOCK)
        .map(|s| s..(s + BLOCK).min(n))
        .collect();
    type Group = Vec<Vec<u8>>;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Group>(1);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Group>();
    let rows = &rows;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            use rayon::prelude::*;
            for group in blocks.chunks(8) {
                let mut texts = empty_rx.try_recv().unwrap_or_default();
                texts.resize_with(group.len(), Vec::new);
                texts
                    .par_iter_mut()
                    .zip(group.par_iter())
                    .for_each(|(text, r)| {
                        text.clear();
                        rows.format_into(r.clone(), text);
                    });
                if full_tx.send(texts).is_err() {
                    // The writer stopped on an error: it reports it.
                    return;
                }
            }
        });
        let written = (|| -> Result<()> {
            for texts in full_rx.iter() {
                for t in &texts {
                    sink.write_all(t).map_err(io_err)?;
                }
                let _ = empty_tx.send(texts);
            }
            Ok(())
        })();
        // Unblock the formatting thread if writing failed.
        drop(full_rx);
        written
    })?;
    sink.flush().map_err(io_err)
}

/// What formatting rows needs, shared by the threads that format blocks of rows.
struct RowText<'a> {
    sheet: &'a crate::engine::Scoresheet,
    layout: &'a crate::engine::Layout,
    tier_cells: &'a [Vec<u8>],
    gate_cells: &'a [Vec<u8>],
    scale: f64,
    small: Option<&'a SmallScaled>,
}

/// The texts of k / 10^decimals for 0 ≤ k < [`SmallScaled::LIMIT`], each after a comma in
/// a 16-byte slot whose last byte is the text's length: nearly every published score and
/// point of a row is such a value, and a fixed 16-byte copy (then the length cut back)
/// costs a fraction of formatting it digit by digit or of a variable-length copy. Built
/// with [`push_scaled`], so the bytes are the same.
struct SmallScaled {
    slots: Vec<[u8; 16]>,
}

impl SmallScaled {
    const LIMIT: usize = 16_384;

    /// `None` when some text would not fit (more than 6 decimals).
    fn new(decimals: u32) -> Option<Self> {
        if decimals > 6 {
            return None;
        }
        let mut slots = Vec::with_capacity(Self::LIMIT);
        let mut buf = Vec::with_capacity(16);
        for k in 0..Self::LIMIT {
            buf.clear();
            buf.push(b',');
            push_scaled(&mut buf, k as i64, decimals);
            let mut slot = [0u8; 16];
            slot[..buf.len()].copy_from_slice(&buf);
            slot[15] = buf.len() as u8;
            slots.push(slot);
        }
        Some(SmallScaled { slots })
    }

    /// Appends k / 10^decimals when k is in the table; `false` otherwise.
    #[inline(always)]
    fn push(&self, out: &mut Vec<u8>, k: i64) -> bool {
        match usize::try_from(k) {
            Ok(i) if i < Self::LIMIT => {
                let slot = &self.slots[i];
                let at = out.len();
                out.extend_from_slice(&slot[1..9]);
                out.truncate(at + slot[15] as usize - 1);
                true
            }
            _ => false,
        }
    }

    /// A comma, then k / 10^decimals when k is in the table; `false` (nothing written)
    /// otherwise.
    #[inline(always)]
    fn push_after_comma(&self, out: &mut Vec<u8>, k: i64) -> bool {
        match usize::try_from(k) {
            Ok(i) if i < Self::LIMIT => {
                let slot = &self.slots[i];
                let at = out.len();
                out.extend_from_slice(slot);
                out.truncate(at + slot[15] as usize);
                true
            }
            _ => false,
        }
    }
}

/// A points row as `,value` cells: the first `dims` (dimensions: dropped prints as 0),
/// then the criteria (dropped: an empty cell). Values in the small-value table are copied
/// slot by slot into a stack buffer appended to `out` once per 32 cells, instead of growing
/// `out` per cell; others go through [`push_scaled_after_comma`].
#[inline(always)]
fn push_points_row(
    out: &mut Vec<u8>,
    row: &[i16],
    dims: usize,
    decimals: u32,
    small: Option<&SmallScaled>,
) {
    const CELLS: usize = 32;
    let mut buf = [0u8; 16 * CELLS];
    for (c, chunk) in row.chunks(CELLS).enumerate() {
        let mut at = 0;
        for (j, &k) in chunk.iter().enumerate() {
            let k = match k {
                i16::MIN if c * CELLS + j < dims => 0,
                i16::MIN => {
                    buf[at] = b',';
                    at += 1;
                    continue;
                }
                k => k,
            };
            match (small, usize::try_from(k)) {
                (Some(t), Ok(i)) if i < SmallScaled::LIMIT => {
                    let slot = &t.slots[i];
                    buf[at..at + 16].copy_from_slice(slot);
                    at += slot[15] as usize;
                }
                _ => {
                    out.extend_from_slice(&buf[..at]);
                    at = 0;
                    push_scaled_after_comma(out, i64::from(k), decimals, None);
                }
            }
        }
        out.extend_from_slice(&buf[..at]);
    }
}

impl RowText<'_> {
    /// The CSV text of output rows `range`.
    fn format_into(&self, range: std::ops::Range<usize>, line: &mut Vec<u8>) {
        let RowText {
            sheet,
            layout,
            tier_cells,
            gate_cells,
            scale,
            small,
        } = *self;
        let dec = layout.decimals;
        line.reserve(range.len() * 160);
        for e in range {
            // Columns are in output order and read sequentially; the points rows and the texts
            // behind the id and name dictionaries are scattered: fetch a dictionary entry 16 rows ahead and
            // the text it points to 8 rows ahead, so those cache misses overlap.
            for t in std::iter::once(&sheet.ids).chain(sheet.names.as_ref()) {
                if let Some(&code) = t.codes.get(e + 16)
                    && let Some(d) = t.dict.entry_ptr(code as usize)
                {
                    crate::num::prefetch(d);
                }
                if let Some(&code) = t.codes.get(e + 8)
                    && let Some(d) = t.dict.text_ptr(code as usize)
                {
                    crate::num::prefetch(d);
                }
            }
            // The points row of an entity is in data order: one scattered row per entity.
            if let Some((p, len)) = sheet.points_row_span(e + 8) {
                for at in (0..len).step_by(64) {
                    crate::num::prefetch(p.wrapping_add(at));
                }
            }
            if let Some(r) = sheet.rank[e] {
                push_integer(line, r as i64);
            }
            line.push(b',');
            push_text(line, &defuse_formula(sheet.ids.get(e).unwrap_or("")));
            line.push(b',');
            let name = sheet.names.as_ref().and_then(|t| t.get(e)).unwrap_or("");
            push_text(line, &defuse_formula(name));
            line.push(b',');
            push_fixed(line, sheet.score[e], dec, scale, small);
            line.push(b',');
            match sheet.tier[e] {
                Some(t) => line.extend_from_slice(&tier_cells[t as usize]),
                None => line.push(b','),
            }
            line.push(b',');
            if let Some(g) = sheet.excluded_by[e] {
                line.extend_from_slice(&gate_cells[g as usize]);
            }
            match sheet.points_row(e) {
                // Scaled whole numbers in a row of their own: nearly all in the table.
                // (A dropped dimension prints as 0, as its NaN value does below.)
                PointsRow::Narrow(row) if sheet.scaled => {
                    push_points_row(line, row, sheet.dimensions, dec, small);
                }
                _ => {
                    for v in sheet.dimension_scores(e) {
                        line.push(b',');
                        push_point(line, v, sheet.scaled, dec, scale, small);
                    }
                    for v in sheet.criterion_points(e) {
                        line.push(b',');
                        if !v.is_nan() {
                            push_point(line, v, sheet.scaled, dec, scale, small);
                        }
                    }
                }
            }
            for (_, col) in &sheet.carry {
                line.push(b',');
                push_text(line, &defuse_formula(col.get(e).unwrap_or("")));
            }
            line.push(b'\n');
        }
    }
}

/// A text field, quoted when it holds a comma, a quote, CR or LF (quotes doubled).
fn push_text(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    if !b.iter().any(|&c| matches!(c, b',' | b'"' | b'\n' | b'\r')) {
        out.extend_from_slice(b);
        return;
    }
    out.push(b'"');
    for &c in b {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    out.push(b'"');
}

/// The characters of a CSV view that GBK lacks (emoji, rare CJK ideographs, `€` written as
/// cp936's single byte): `--out-encoding gbk` writes them in GB18030, its superset, which
/// tools reading strict GBK may refuse. With one text holding each, for the warning.
fn gbk_unmappable(a: &Assessment) -> Vec<(char, String)> {
    let sheet = &a.sheet;
    let texts = sheet
        .ids
        .dict
        .iter()
        .chain(sheet.names.iter().flat_map(|n| n.dict.iter()))
        .chain(
            sheet
                .carry
                .iter()
                .flat_map(|(k, c)| std::iter::once(k.as_str()).chain(c.dict.iter())),
        )
        .chain(a.layout.tiers.iter().map(|t| t.label.as_str()));
    let mut seen = std::collections::BTreeMap::new();
    for text in texts.filter(|t| !t.is_ascii()) {
        for c in text.chars().filter(|c| !c.is_ascii()) {
            seen.entry(c).or_insert_with(|| text.to_string());
        }
    }
    seen.into_iter()
        .filter(|(c, _)| {
            // GBK lacks it, or GB18030 writes it otherwise than GBK (`€`: A2 E3, not 80).
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf);
            let (gbk, _, lacks) = encoding_rs::GBK.encode(s);
            lacks || gbk != encoding_rs::GB18030.encode(s).0
        })
        .collect()
}

/// The warning for `--out-encoding gbk` when the CSV view holds characters GBK lacks: the
/// first five, each with a text holding it, and what to do.
pub fn gbk_warning(a: &Assessment) -> Option<String> {
    let lacking = gbk_unmappable(a);
    if lacking.is_empty() {
        return None;
    }
    let shown: Vec<String> = lacking
        .iter()
        .take(5)
        .map(|(c, text)| format!("'{c}' (in \"{}\")", crate::diag::truncate(text, 40)))
        .collect();
    Some(format!(
        "--out-encoding gbk: {} character{} GBK lacks ({}{}) are written in GB18030, its \
         superset; a tool that reads strict GBK may refuse them: write UTF-8 (the default) \
         instead",
        lacking.len(),
        if lacking.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if lacking.len() > 5 { ", …" } else { "" }
    ))
}

/// Where CSV bytes go: straight through for UTF-8; for GBK, re-encoded up to the last line
/// break seen (an ASCII byte, so never inside a character), the rest kept for the next call.
struct Sink<'a> {
    out: &'a mut dyn Write,
    gbk: bool,
    pending: Vec<u8>,
}

impl Sink<'_> {
    fn encode(&mut self, upto: usize) -> std::io::Result<()> {
        let text = std::str::from_utf8(&self.pending[..upto]).map_err(std::io::Error::other)?;
        self.out.write_all(&encoding_rs::GB18030.encode(text).0)?;
        self.pending.drain(..upto);
        Ok(())
    }
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.gbk {
            return self.out.write(buf);
        }
        self.pending.extend_from_slice(buf);
        if let Some(nl) = self.pending.iter().rposition(|&b| b == b'\n') {
            self.encode(nl + 1)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.gbk && !self.pending.is_empty() {
            self.encode(self.pending.len())?;
        }
        self.out.flush()
    }
}

/// A published point value of the sheet: k / 10^decimals when `scaled`, else the value.
#[inline(always)]
fn push_point(
    out: &mut Vec<u8>,
    v: f64,
    scaled: bool,
    decimals: u32,
    scale: f64,
    small: Option<&SmallScaled>,
) {
    if scaled {
        if let Some(t) = small
            && t.push(out, v as i64)
        {
            return;
        }
        match decimals {
            0 => push_scaled_const::<0>(out, v as i64),
            1 => push_scaled_const::<1>(out, v as i64),
            2 => push_scaled_const::<2>(out, v as i64),
            3 => push_scaled_const::<3>(out, v as i64),
            _ => push_scaled(out, v as i64, decimals),
        }
    } else {
        push_fixed(out, v, decimals, scale, small);
    }
}

/// A comma, then k / 10^decimals (a scaled published value).
#[inline(always)]
fn push_scaled_after_comma(out: &mut Vec<u8>, k: i64, decimals: u32, small: Option<&SmallScaled>) {
    if let Some(t) = small
        && t.push_after_comma(out, k)
    {
        return;
    }
    out.push(b',');
    push_scaled(out, k, decimals);
}

#[inline(always)]
fn push_scaled_const<const D: u32>(out: &mut Vec<u8>, k: i64) {
    push_scaled(out, k, D)
}

/// k / 10^decimals with exactly `decimals` digits after the point.
#[inline(always)]
fn push_scaled(out: &mut Vec<u8>, k: i64, decimals: u32) {
    if k < 0 {
        out.push(b'-');
    }
    let k = k.unsigned_abs();
    let p = 10u64.pow(decimals);
    push_integer(out, (k / p) as i64);
    if decimals > 0 {
        out.push(b'.');
        let mut frac = k % p;
        let start = out.len();
        out.resize(start + decimals as usize, b'0');
        for slot in out[start..].iter_mut().rev() {
            *slot = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
    }
}

/// `x` with exactly `decimals` digits after the point; `scale` is 10^decimals.
///
/// Written by hand because it is the CSV hot loop: published values are already rounded to
/// `decimals`, so the scaled value is an integer and printing it digit by digit gives the same
/// text as `format!("{:.*}")` without allocating. Out of that range it defers to `format!`.
/// The common numbers of decimals get a constant divisor (a multiply, not a division).
fn push_fixed(out: &mut Vec<u8>, x: f64, decimals: u32, scale: f64, small: Option<&SmallScaled>) {
    if let Some(t) = small {
        let scaled = x * scale;
        // Non-negative and in the table: the same rounding as `push_fixed_any`.
        if (0.0..SmallScaled::LIMIT as f64).contains(&scaled) && t.push(out, (scaled + 0.5) as i64)
        {
            return;
        }
    }
    match decimals {
        0 => push_fixed_const::<0>(out, x, scale),
        1 => push_fixed_const::<1>(out, x, scale),
        2 => push_fixed_const::<2>(out, x, scale),
        3 => push_fixed_const::<3>(out, x, scale),
        4 => push_fixed_const::<4>(out, x, scale),
        _ => push_fixed_any(out, x, decimals, scale),
    }
}

#[inline(always)]
fn push_fixed_const<const D: u32>(out: &mut Vec<u8>, x: f64, scale: f64) {
    push_fixed_any(out, x, D, scale)
}

#[inline(always)]
fn push_fixed_any(out: &mut Vec<u8>, x: f64, decimals: u32, scale: f64) {
    let scaled = x * scale;
    if decimals > 9 || scaled.is_nan() || scaled.abs() >= 1e15 {
        use std::io::Write as _;
        let _ = write!(out, "{:.*}", decimals as usize, x);
        return;
    }
    // Round half away from zero without a libm call (the value is within an ulp of an integer).
    let k = (scaled + if scaled < 0.0 { -0.5 } else { 0.5 }) as i64;
    push_scaled(out, k, decimals);
}

fn push_integer(out: &mut Vec<u8>, v: i64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(x: f64, d: u32) -> String {
        let mut b = Vec::new();
        push_fixed(&mut b, x, d, 10f64.powi(d as i32), None);
        String::from_utf8(b).unwrap()
    }

    /// The cell-by-cell text of a points row, as the general path writes it.
    fn row_cell_by_cell(row: &[i16], dims: usize, d: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for (j, &k) in row.iter().enumerate() {
            match k {
                i16::MIN if j < dims => push_scaled_after_comma(&mut out, 0, d, None),
                i16::MIN => out.push(b','),
                k => push_scaled_after_comma(&mut out, i64::from(k), d, None),
            }
        }
        out
    }

    #[test]
    fn a_points_row_copied_in_blocks_reads_as_cell_by_cell() {
        // Dropped dimensions and criteria, negatives, values past the table, and rows
        // longer than one block of 32 cells (the block boundary falls inside and after);
        // 7 decimals have no small-value table, so every cell goes through the digits.
        let specials = [
            0, 1, 9, 10, 99, 100, 1234, 16_383, 16_384, 32_767, -1, -250, -32_767,
        ];
        for d in [0u32, 1, 2, 6, 7] {
            let table = SmallScaled::new(d);
            for len in [0usize, 1, 5, 31, 32, 33, 64, 70] {
                for dims in [0usize, 3, 40] {
                    let row: Vec<i16> = (0..len)
                        .map(|j| match (j * 7 + d as usize) % 5 {
                            0 => i16::MIN,
                            _ => specials[(j * 5 + len) % specials.len()],
                        })
                        .collect();
                    let mut got = b"x".to_vec();
                    push_points_row(&mut got, &row, dims, d, table.as_ref());
                    let mut want = b"x".to_vec();
                    want.extend(row_cell_by_cell(&row, dims, d));
                    assert_eq!(
                        String::from_utf8(got).unwrap(),
                        String::from_utf8(want).unwrap(),
                        "decimals {d}, {len} cells, {dims} dimensions: {row:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_small_value_table_prints_what_digit_formatting_prints() {
        assert!(SmallScaled::new(7).is_none());
        for d in 0..=6u32 {
            let table = SmallScaled::new(d).expect("up to 6 decimals");
            let scale = 10f64.powi(d as i32);
            for k in [
                0i64, 1, 9, 10, 99, 100, 1234, 10_000, 16_383, 16_384, 99_999, -1, -250,
            ] {
                let (mut a, mut b) = (b"x".to_vec(), b"x".to_vec());
                push_point(&mut a, k as f64, true, d, scale, Some(&table));
                push_point(&mut b, k as f64, true, d, scale, None);
                assert_eq!(a, b, "k {k}, {d} decimals");
                let (mut a, mut b) = (b"x".to_vec(), b"x".to_vec());
                push_scaled_after_comma(&mut a, k, d, Some(&table));
                push_scaled_after_comma(&mut b, k, d, None);
                assert_eq!(a, b, "k {k}, {d} decimals, after a comma");
                b.truncate(1);
                b.push(b',');
                push_scaled(&mut b, k, d);
                assert_eq!(a, b, "k {k}, {d} decimals, after a comma");
            }
            for x in [
                0.0, -0.0, 0.004, 0.005, 12.345, 99.995, 100.0, 163.83, 163.84, 1e6, -2.5,
            ] {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                push_fixed(&mut a, x, d, scale, Some(&table));
                push_fixed(&mut b, x, d, scale, None);
                assert_eq!(a, b, "x {x}, {d} decimals");
            }
        }
    }

    #[test]
    fn fixed_decimals_match_std_formatting() {
        for &(x, d) in &[
            (0.0, 2),
            (12.35, 2),
            (-3.5, 1),
            (100.0, 0),
            (0.05, 2),
            (-0.01, 2),
            (7.0, 3),
            (123456.78, 2),
            (1e20, 2),
        ] {
            assert_eq!(fixed(x, d), format!("{:.*}", d as usize, x), "{x} {d}");
        }
        let mut b = Vec::new();
        push_integer(&mut b, -120);
        push_integer(&mut b, 0);
        assert_eq!(b, b"-1200");
    }

    #[test]
    fn rounded_values_print_like_std_everywhere_in_range() {
        for d in 0..5 {
            for k in -20_000i64..20_000 {
                let x = crate::num::round_half_away(k as f64 / 97.0, d);
                assert_eq!(fixed(x, d), format!("{:.*}", d as usize, x));
            }
        }
    }

    #[test]
    fn text_is_quoted_like_the_csv_crate() {
        for s in [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            "cr\r",
            "",
            "聊城,东昌府",
        ] {
            let mut ours = Vec::new();
            push_text(&mut ours, s);
            let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
            w.write_record([s, "x"]).unwrap();
            let theirs = w.into_inner().unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap() + ",x\n",
                String::from_utf8(theirs).unwrap()
            );
        }
    }
}
