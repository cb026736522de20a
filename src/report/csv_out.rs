//! CSV view: one row per entity in output order; ids as headers (stable for machines).

use crate::diag::{Error, Result};
use crate::engine::Assessment;
use crate::report::defuse_formula;
use std::io::Write;

/// Encoding of CSV output: UTF-8 with BOM by default (Excel and WPS open it), or GBK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutEncoding {
    #[default]
    Utf8Bom,
    Utf8,
    Gbk,
}

impl OutEncoding {
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

/// Writes the CSV view to `out`, streaming from the columnar [`Scoresheet`]: one buffered
/// pass in output order, numbers formatted without allocating.
pub fn write_csv(a: &Assessment, enc: OutEncoding, out: &mut dyn Write) -> Result<()> {
    let io_err = |e: std::io::Error| Error::usage(format!("cannot write CSV: {e}"));
    let csv_err = |e: csv::Error| Error::usage(format!("cannot write CSV: {e}"));
    if enc == OutEncoding::Utf8Bom {
        out.write_all("\u{feff}".as_bytes()).map_err(io_err)?;
    }
    let sheet = &a.sheet;
    let layout = &a.layout;
    let dec = layout.decimals;
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(Sink {
            out,
            gbk: enc == OutEncoding::Gbk,
            pending: Vec::new(),
        });
    let mut header: Vec<&str> = vec![
        "rank",
        "id",
        "name",
        "score",
        "tier",
        "tier_label",
        "excluded_by",
    ];
    header.extend(layout.dimensions.iter().map(|d| d.id.as_str()));
    header.extend(layout.criteria.iter().map(|c| c.id.as_str()));
    header.extend(sheet.carry.iter().map(|(k, _)| k.as_str()));
    w.write_record(&header).map_err(csv_err)?;
    let tier_labels: Vec<std::borrow::Cow<'_, str>> = layout
        .tiers
        .iter()
        .map(|t| defuse_formula(&t.label))
        .collect();
    let mut buf = NumberText::default();
    for &e in &sheet.order {
        match sheet.rank[e] {
            Some(r) => w.write_field(buf.integer(r as i64)),
            None => w.write_field(""),
        }
        .map_err(csv_err)?;
        w.write_field(defuse_formula(&sheet.ids[e]).as_bytes())
            .map_err(csv_err)?;
        let name = sheet.names.as_ref().and_then(|t| t.get(e)).unwrap_or("");
        w.write_field(defuse_formula(name).as_bytes())
            .map_err(csv_err)?;
        w.write_field(buf.fixed(sheet.score[e], dec))
            .map_err(csv_err)?;
        match sheet.tier[e] {
            Some(t) => {
                w.write_field(&layout.tiers[t].id).map_err(csv_err)?;
                w.write_field(tier_labels[t].as_bytes()).map_err(csv_err)?;
            }
            None => {
                w.write_field("").map_err(csv_err)?;
                w.write_field("").map_err(csv_err)?;
            }
        }
        match sheet.excluded_by[e] {
            Some(g) => w.write_field(&layout.gates[g].id),
            None => w.write_field(""),
        }
        .map_err(csv_err)?;
        for &v in sheet.dimensions.row(e) {
            w.write_field(buf.fixed(v, dec)).map_err(csv_err)?;
        }
        for &v in sheet.criteria.row(e) {
            if v.is_nan() {
                w.write_field("").map_err(csv_err)?;
            } else {
                w.write_field(buf.fixed(v, dec)).map_err(csv_err)?;
            }
        }
        for (_, col) in &sheet.carry {
            w.write_field(defuse_formula(col.get(e).unwrap_or("")).as_bytes())
                .map_err(csv_err)?;
        }
        w.write_record(None::<&[u8]>).map_err(csv_err)?;
    }
    w.flush().map_err(io_err)
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

/// A reusable buffer for numbers as text.
///
/// Written by hand because it is the CSV hot loop: published values are already rounded to
/// `decimals`, so the scaled value is an integer and printing it digit by digit gives the same
/// text as `format!("{:.*}")` without allocating.
#[derive(Default)]
struct NumberText {
    bytes: Vec<u8>,
}

impl NumberText {
    fn integer(&mut self, v: i64) -> &[u8] {
        self.bytes.clear();
        push_integer(&mut self.bytes, v);
        &self.bytes
    }

    /// `x` with exactly `decimals` digits after the point.
    fn fixed(&mut self, x: f64, decimals: u32) -> &[u8] {
        self.bytes.clear();
        let scale = 10f64.powi(decimals as i32);
        let scaled = (x * scale).round();
        if decimals > 9 || !scaled.is_finite() || scaled.abs() >= 1e15 {
            use std::io::Write as _;
            let _ = write!(self.bytes, "{:.*}", decimals as usize, x);
            return &self.bytes;
        }
        let k = scaled as i64;
        if k < 0 {
            self.bytes.push(b'-');
        }
        let k = k.unsigned_abs();
        let p = 10u64.pow(decimals);
        push_integer(&mut self.bytes, (k / p) as i64);
        if decimals > 0 {
            self.bytes.push(b'.');
            let mut frac = k % p;
            let start = self.bytes.len();
            self.bytes.resize(start + decimals as usize, b'0');
            for slot in self.bytes[start..].iter_mut().rev() {
                *slot = b'0' + (frac % 10) as u8;
                frac /= 10;
            }
        }
        &self.bytes
    }
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

    #[test]
    fn fixed_decimals_match_std_formatting() {
        let mut b = NumberText::default();
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
            let want = format!("{:.*}", d as usize, x);
            assert_eq!(std::str::from_utf8(b.fixed(x, d)).unwrap(), want, "{x} {d}");
        }
        assert_eq!(b.integer(-120), b"-120");
        assert_eq!(b.integer(0), b"0");
    }

    #[test]
    fn rounded_values_print_like_std_everywhere_in_range() {
        let mut b = NumberText::default();
        for k in -20_000i64..20_000 {
            let x = crate::num::round_half_away(k as f64 / 100.0 + 0.001, 2);
            let want = format!("{x:.2}");
            assert_eq!(std::str::from_utf8(b.fixed(x, 2)).unwrap(), want);
        }
    }
}
