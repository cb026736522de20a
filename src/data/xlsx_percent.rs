//! Which cells of a sheet Excel shows as percentages or scaled, and which rows it hides.
//! calamine gives a cell's stored number (0.05 for a cell shown as `5%`) and not its display
//! format nor its row's visibility, so the workbook's styles and the sheet's cell styles and
//! row attributes are read here from the package itself (zip + quick-xml, the crates calamine
//! reads it with). Written by hand: no crate maps a cell to its number format short of
//! loading the whole workbook model.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// What a sheet's cells look like beyond their values, which calamine does not give: the
/// numeric cells (row, column, 0-based) whose number format changes how the number is
/// shown, and the rows hidden by hand or by a filter.
#[derive(Debug, Default)]
pub(super) struct FormattedCells {
    /// Shown as percentages (the stored 0.05 shows as `5%`), in file order.
    pub percent: Vec<(u32, u32)>,
    /// Shown scaled ([`shows_scaled`]: `0!.0000"万"` shows 1200000 as `120.0000万`), with
    /// the format's code, in file order.
    pub scaled: Vec<(u32, u32, String)>,
    /// Rows hidden (`hidden="1"`: by hand, or filtered out), 0-based, in file order.
    pub hidden: Vec<u32>,
    /// The first shared-string cell (`t="s"`) whose stored index calamine cannot parse
    /// (`<v>x</v>`, `<v>-1</v>`, more digits than an index holds), with that text: calamine
    /// reads such a cell as the table's first string, a damaged file it does not refuse.
    pub bad_shared: Option<(u32, u32, String)>,
    /// The first cell written twice in the sheet's XML (row, column): calamine keeps the
    /// last value written, a damaged file it does not refuse.
    pub repeated: Option<(u32, u32)>,
}

/// [`FormattedCells`] of sheet `sheet`, from one read of the styles and one byte scan of the
/// sheet's XML. Empty when a part cannot be read (the cells themselves were read by
/// calamine; this only serves the percent reading and warnings).
pub(super) fn formatted_cells(bytes: &[u8], sheet: &str) -> FormattedCells {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return FormattedCells::default();
    };
    let formats = small_part(&mut zip, "xl/styles.xml")
        .map(|styles| xf_formats(&styles))
        .unwrap_or_default();
    // Per style: shown as a percentage, and shown scaled.
    let percent: Vec<bool> = formats
        .iter()
        .map(|(id, code)| matches!(id, 9 | 10) || code.as_deref().is_some_and(shows_percent))
        .collect();
    let kept: Vec<bool> = formats
        .iter()
        .enumerate()
        .map(|(xf, (_, code))| percent[xf] || code.as_deref().is_some_and(shows_scaled))
        .collect();
    let Some(path) = sheet_path(&mut zip, sheet) else {
        return FormattedCells::default();
    };
    let Ok(part) = zip.by_name(&path) else {
        return FormattedCells::default();
    };
    let Scanned {
        cells,
        hidden,
        bad_shared,
        backwards,
    } = scan_sheet(part, &kept, None);
    // Cells come in order (Excel and WPS write them so); only a sheet that steps back is
    // read again for its positions, to tell a cell written twice from one merely out of
    // order.
    let repeated = if backwards {
        let mut positions = Vec::new();
        if let Ok(part) = zip.by_name(&path) {
            scan_sheet(part, &[], Some(&mut positions));
        }
        first_repeated(positions)
    } else {
        None
    };
    let mut out = FormattedCells {
        hidden,
        bad_shared,
        repeated,
        ..FormattedCells::default()
    };
    for (r, c, xf) in cells {
        if percent[xf] {
            out.percent.push((r, c));
        } else {
            out.scaled
                .push((r, c, formats[xf].1.clone().unwrap_or_default()));
        }
    }
    out
}

/// The position, in the workbook's order of sheets, of the sheet the workbook was saved
/// with open (`workbookView`'s `activeTab`; 0 when the view does not say); `None` when the
/// workbook part has no view or cannot be read.
pub(super) fn active_tab(bytes: &[u8]) -> Option<usize> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let workbook = small_part(&mut zip, "xl/workbook.xml")?;
    let mut reader = Reader::from_reader(workbook.as_slice());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref() == "workbookView" =>
            {
                return Some(
                    attr(&e, "activeTab")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                );
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// A small part of the package read whole, up to 64 MB (a damaged or hostile package may
/// inflate a part far beyond its size in the file).
fn small_part(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let f = zip.by_name(name).ok()?;
    let mut out = Vec::new();
    f.take(64 << 20).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The package path of sheet `name`, from the workbook part and its relationships.
fn sheet_path(zip: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    let workbook = small_part(zip, "xl/workbook.xml")?;
    let rels = small_part(zip, "xl/_rels/workbook.xml.rels")?;
    sheet_part(&workbook, &rels, name)
}

/// What a sheet holds besides its cells' values, for the passes over it that only such a
/// sheet needs: formulas (to tell a formula whose result was never saved) and merged
/// ranges. `true` when present, and when the sheet's part cannot be found or read, so that
/// a pass is skipped only when the sheet surely has nothing for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SheetExtras {
    pub formulas: bool,
    pub merges: bool,
}

/// [`SheetExtras`] of sheet `sheet` by a byte scan of its inflated XML: an element named
/// `f` (with or without a namespace prefix) is a formula, and the text `mergeCell` a merged
/// range (a false alarm, such as that word in an inline string, only costs the pass).
/// Written by hand: a byte scan costs a tenth of the XML parse each of those passes is
/// (a 10⁵-row sheet: ~0.1 s against 1.1 s for the formulas and 0.5 s for the merges).
pub(super) fn sheet_extras(bytes: &[u8], sheet: &str) -> SheetExtras {
    let unsure = SheetExtras {
        formulas: true,
        merges: true,
    };
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return unsure;
    };
    let Some(path) = sheet_path(&mut zip, sheet) else {
        return unsure;
    };
    let Ok(mut xml) = zip.by_name(&path) else {
        return unsure;
    };
    let mut found = SheetExtras {
        formulas: false,
        merges: false,
    };
    // Each chunk is scanned with the last bytes of the one before, so that a name or the
    // word cut by the chunk's end is seen whole.
    const CARRY: usize = 64;
    let mut chunk = vec![0u8; 1 << 16];
    let mut text: Vec<u8> = Vec::with_capacity(CARRY + chunk.len());
    loop {
        let n = match xml.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return unsure,
        };
        let keep = text.len().saturating_sub(CARRY);
        text.drain(..keep);
        text.extend_from_slice(&chunk[..n]);
        found.merges = found.merges || memchr::memmem::find(&text, b"mergeCell").is_some();
        found.formulas = found.formulas
            || memchr::memchr_iter(b'<', &text).any(|at| {
                let rest = &text[at + 1..];
                rest.iter()
                    .position(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'>'))
                    .is_some_and(|end| rest[..end] == *b"f" || rest[..end].ends_with(b":f"))
            });
        if found.formulas && found.merges {
            break;
        }
    }
    found
}

/// The value of attribute `key` (local name) of an element.
fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// A number format: its id and, for a custom format, its code.
type NumberFormat = (u32, Option<String>);

/// Per entry of `cellXfs` (a cell's `s`), its number format.
fn xf_formats(xml: &[u8]) -> Vec<NumberFormat> {
    let mut custom: HashMap<u32, String> = HashMap::new();
    let mut out = Vec::new();
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut in_xfs = false;
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (attr(&e, "numFmtId"), attr(&e, "formatCode"))
                        && let Ok(id) = id.parse()
                    {
                        custom.insert(id, code);
                    }
                }
                "cellXfs" => in_xfs = true,
                "xf" if in_xfs => {
                    let id: u32 = attr(&e, "numFmtId")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    out.push((id, custom.get(&id).cloned()));
                }
                _ => {}
            },
            Ok(Event::End(e)) if e.local_name().as_ref() == "cellXfs" => in_xfs = false,
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// The symbols of an Excel number format code that format the number: per character
/// outside quoted text and brackets, its section (`positive;negative;zero;text`), the
/// character, and whether it is shown as itself (escaped by `\` or `!`). The character
/// after `_` (a space its width) or `*` (a fill) is left out.
fn format_symbols(code: &str) -> Vec<(usize, char, bool)> {
    let (mut quoted, mut bracket, mut escaped, mut skipped, mut section) =
        (false, false, false, false, 0);
    let mut out = Vec::new();
    for c in code.chars() {
        if escaped {
            escaped = false;
            out.push((section, c, true));
            continue;
        }
        if skipped {
            skipped = false;
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '\\' | '!' => escaped = true,
            '_' | '*' => skipped = true,
            '[' => bracket = true,
            ']' => bracket = false,
            _ if bracket => {}
            ';' => section += 1,
            _ => out.push((section, c, false)),
        }
    }
    out
}

/// Whether an Excel number format code shows its number scaled, in its first (positive)
/// section: a literal point among the digits (`0!.0000"万"` shows 1200000 as `120.0000万`,
/// the 万 trick), or thousands separators that end the number and so divide it by 1,000 each
/// (`#,##0.0,`, `0.0,,"百万"`). A unit written after the number alone (`0.00"万元"`) scales
/// nothing: the number shown is the one stored.
fn shows_scaled(code: &str) -> bool {
    let (mut comma_ends, mut literal_point, mut digits_after_point) = (false, false, false);
    for (_, c, literal) in format_symbols(code).into_iter().take_while(|s| s.0 == 0) {
        match (c, literal) {
            ('.', true) => literal_point = true,
            (',', false) => comma_ends = true,
            ('0' | '#' | '?', false) => {
                comma_ends = false;
                digits_after_point |= literal_point;
            }
            _ => {}
        }
    }
    comma_ends || digits_after_point
}

/// Whether an Excel number format code shows its number as a percentage: a `%` in one of
/// the number sections (the first three of `positive;negative;zero;text`), not inside
/// quotes or brackets, nor escaped (`\%`, `!%`), a space's width (`_%`) or a fill (`*%`).
fn shows_percent(code: &str) -> bool {
    format_symbols(code)
        .into_iter()
        .any(|(section, c, literal)| section < 3 && c == '%' && !literal)
}

/// The package path of sheet `name` (`xl/worksheets/sheet1.xml`), through the workbook's
/// relationship ids.
fn sheet_part(workbook: &[u8], rels: &[u8], name: &str) -> Option<String> {
    let mut id = None;
    let mut reader = Reader::from_reader(workbook);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref() == "sheet"
                    && attr(&e, "name").as_deref() == Some(name) =>
            {
                id = attr(&e, "id");
                break;
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    let id = id?;
    let mut reader = Reader::from_reader(rels);
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref() == "Relationship"
                    && attr(&e, "Id").as_deref() == Some(id.as_str()) =>
            {
                let target = attr(&e, "Target")?;
                return Some(match target.strip_prefix('/') {
                    Some(absolute) => absolute.to_string(),
                    None => format!("xl/{target}"),
                });
            }
            Ok(Event::Eof) | Err(_) => return None,
            _ => {}
        }
    }
}

/// A cell reference (`C12`) as (row, column), 0-based.
fn cell_position(r: &str) -> Option<(u32, u32)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 {
        return None;
    }
    let mut col: u32 = 0;
    for b in r[..letters].bytes() {
        col = col
            .checked_mul(26)?
            .checked_add(u32::from(b.to_ascii_uppercase() - b'A') + 1)?;
    }
    let row: u32 = r[letters..].parse().ok()?;
    Some((row.checked_sub(1)?, col - 1))
}

/// The attributes of an element's tag (the bytes between `<` and `>`, name first) as
/// (local name, value) pairs.
fn tag_attributes(tag: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = tag;
    std::iter::from_fn(move || {
        // Past the name (the first time) or the value before.
        let eq = memchr::memchr(b'=', rest)?;
        let name = rest[..eq].trim_ascii();
        let name = name
            .rsplit(|b| b.is_ascii_whitespace())
            .next()
            .unwrap_or(name);
        let name = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        let after = rest[eq + 1..].trim_ascii_start();
        let quote = *after.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let end = memchr::memchr(quote, &after[1..])?;
        let value = &after[1..1 + end];
        rest = &after[end + 2..];
        Some((name, value))
    })
}

/// What [`scan_sheet`] finds.
#[derive(Debug, Default, PartialEq)]
struct Scanned {
    /// Number cells whose style is kept, as (row, column, style).
    cells: Vec<(u32, u32, usize)>,
    /// Hidden rows.
    hidden: Vec<u32>,
    /// [`FormattedCells::bad_shared`].
    bad_shared: Option<(u32, u32, String)>,
    /// A cell came at or before the one before it (out of order, or written twice).
    backwards: bool,
}

/// The first position (in row, column order) that `positions` holds more than once.
fn first_repeated(mut positions: Vec<(u32, u32)>) -> Option<(u32, u32)> {
    positions.sort_unstable();
    positions.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

/// Number cells (no `t`, or `t="n"`) of a sheet's XML whose style `s` is `kept`, as (row,
/// column, style), the hidden rows (`hidden="1"` or `"true"`), all 0-based, and the first
/// shared-string cell whose index calamine cannot parse, up to the end of `sheetData`. A
/// cell or row without its `r` follows the one before, as the format allows. Written by
/// hand as a byte scan of the tags (the next `<` to its `>`): a full XML parse of a
/// 10⁵-row sheet costs about ten times as much, and these tags hold no `>`.
fn scan_sheet(
    mut xml: impl Read,
    kept: &[bool],
    mut positions: Option<&mut Vec<(u32, u32)>>,
) -> Scanned {
    let (mut cells, mut hidden) = (Vec::new(), Vec::new());
    let mut bad_shared = None;
    let (mut last, mut backwards): (Option<(u32, u32)>, bool) = (None, false);
    // The row being read (1-based; 0 before the first) and the column of the next cell.
    let (mut row, mut next_col) = (0u32, 0u32);
    // The shared-string cell being read, and where its `<v>` text starts in `text`.
    let (mut shared_cell, mut value_at): (Option<(u32, u32)>, Option<usize>) = (None, None);
    let mut text: Vec<u8> = Vec::with_capacity(1 << 17);
    let mut chunk = vec![0u8; 1 << 16];
    'read: loop {
        let n = match xml.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        text.extend_from_slice(&chunk[..n]);
        let mut done = 0;
        while let Some(lt) = memchr::memchr(b'<', &text[done..]) {
            let start = done + lt;
            let Some(gt) = memchr::memchr(b'>', &text[start..]) else {
                // A tag cut by the chunk's end: read on.
                done = start;
                break;
            };
            done = start + gt + 1;
            let tag = &text[start + 1..start + gt];
            if let Some(closing) = tag.strip_prefix(b"/") {
                // The cells end with `sheetData`; what follows is not read (as calamine).
                let closing = closing.trim_ascii_end();
                match closing.rsplit(|&b| b == b':').next() {
                    Some(b"sheetData") => break 'read,
                    Some(b"v") => {
                        if let (Some((r, c)), Some(from)) = (shared_cell, value_at.take()) {
                            let index = &text[from..start];
                            // What calamine reads as the first string: text that is no
                            // whole number it can parse (`x`, `-1`, 30 digits). An empty
                            // index, or one written with a character reference, it reads
                            // as an empty cell.
                            let first_string = !index.is_empty()
                                && !index.contains(&b'&')
                                && std::str::from_utf8(index)
                                    .ok()
                                    .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
                                    .and_then(|t| t.parse::<usize>().ok())
                                    .is_none();
                            if bad_shared.is_none() && first_string {
                                bad_shared =
                                    Some((r, c, String::from_utf8_lossy(index).into_owned()));
                            }
                        }
                    }
                    Some(b"c") => shared_cell = None,
                    _ => {}
                }
                continue;
            }
            let name_end = tag
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'/')
                .unwrap_or(tag.len());
            let name = &tag[..name_end];
            let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
            match local {
                b"row" => {
                    let mut r = None;
                    let mut is_hidden = false;
                    for (key, value) in tag_attributes(tag) {
                        match key {
                            b"r" => {
                                r = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok())
                            }
                            b"hidden" => is_hidden = matches!(value, b"1" | b"true"),
                            _ => {}
                        }
                    }
                    row = r.unwrap_or(row + 1);
                    next_col = 0;
                    if is_hidden && row > 0 {
                        hidden.push(row - 1);
                    }
                }
                b"c" => {
                    let (mut at, mut style, mut number, mut shared) = (None, None, true, false);
                    for (key, value) in tag_attributes(tag) {
                        match key {
                            b"r" => at = std::str::from_utf8(value).ok().and_then(cell_position),
                            b"s" => {
                                style = std::str::from_utf8(value)
                                    .ok()
                                    .and_then(|v| v.parse::<usize>().ok())
                            }
                            b"t" => {
                                number = value == b"n";
                                shared = value == b"s";
                            }
                            _ => {}
                        }
                    }
                    let (r, c) = at.unwrap_or((row.saturating_sub(1), next_col));
                    next_col = c + 1;
                    if last.is_some_and(|l| (r, c) <= l) {
                        backwards = true;
                    }
                    last = Some((r, c));
                    if let Some(p) = positions.as_deref_mut() {
                        p.push((r, c));
                    }
                    shared_cell = (shared && tag.last() != Some(&b'/')).then_some((r, c));
                    if let Some(s) = style
                        && number
                        && kept.get(s).copied().unwrap_or(false)
                    {
                        cells.push((r, c, s));
                    }
                }
                b"v" if shared_cell.is_some() && tag.last() != Some(&b'/') => {
                    value_at = Some(done);
                }
                _ => {}
            }
        }
        if memchr::memchr(b'<', &text[done..]).is_none() {
            done = text.len();
        }
        // A shared-string index cut by the chunk's end is kept for the next chunk.
        let drained = value_at.map_or(done, |from| from.min(done));
        text.drain(..drained);
        value_at = value_at.map(|from| from - drained);
    }
    Scanned {
        cells,
        hidden,
        bad_shared,
        backwards,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A package holding one sheet whose XML is `sheet`, as a workbook saves it.
    fn package(sheet: &str) -> Vec<u8> {
        use std::io::Write;
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default();
        let parts = [
            (
                "xl/workbook.xml",
                r#"<workbook xmlns:r="r"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                    .to_string(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#
                    .to_string(),
            ),
            ("xl/worksheets/sheet1.xml", sheet.to_string()),
        ];
        for (name, text) in parts {
            zip.start_file(name, opts).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn sheet_extras_finds_formulas_and_merges_by_a_byte_scan() {
        let cell = |inner: &str| format!(r#"<c r="A1">{inner}</c>"#);
        let with = |cells: &str, tail: &str| {
            format!("<worksheet><sheetData><row>{cells}</row></sheetData>{tail}</worksheet>")
        };
        let extras = |xml: String| sheet_extras(&package(&xml), "数据");
        let plain = with(&cell("<v>1</v>"), "");
        assert_eq!(
            extras(plain),
            SheetExtras {
                formulas: false,
                merges: false
            }
        );
        // Formulas: plain, with attributes, self-closed, under a namespace prefix.
        for f in [
            "<f>B1*2</f><v>2</v>",
            r#"<f t="shared" si="0">B1</f>"#,
            r#"<f t="shared" si="0"/>"#,
            "<x:f>B1</x:f>",
            "<f\n>B1</f>",
        ] {
            let found = extras(with(&cell(f), ""));
            assert!(found.formulas && !found.merges, "{f}: {found:?}");
        }
        // Names that only start with f are no formula.
        let found = extras(with(&cell("<v>1</v>"), r#"<sheetFormatPr/><foo/>"#));
        assert!(!found.formulas, "{found:?}");
        let merged = with(
            &cell("<v>1</v>"),
            r#"<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>"#,
        );
        assert_eq!(
            extras(merged),
            SheetExtras {
                formulas: false,
                merges: true
            }
        );
        // A formula far into a long sheet, its name cut by a chunk's end.
        for pad in [65_513, 65_514, 65_515, 65_530, 65_536, 131_050] {
            let filler = "x".repeat(pad);
            let xml = format!("<worksheet><!--{filler}--><c><f>1</f></c></worksheet>");
            assert!(extras(xml).formulas, "pad {pad}");
        }
        // A sheet that cannot be found: both passes run.
        assert_eq!(
            sheet_extras(&package(&with(&cell("<v>1</v>"), "")), "other"),
            SheetExtras {
                formulas: true,
                merges: true
            }
        );
    }

    #[test]
    fn percent_format_codes() {
        for code in ["0%", "0.0%", "#,##0.00%;[Red]-0.00%", "0.0\"x\"%"] {
            assert!(shows_percent(code), "{code}");
        }
        for code in [
            "0.00",
            "0.0\"%\"",
            "0.0\\%",
            "[$%-804]0.00",
            "yyyy-mm-dd",
            "@",
            "0.0_%",
            "*%0.0",
            "0.0;-0.0;0;@\"%\"",
            "0.0;-0.0;0;%",
        ] {
            assert!(!shows_percent(code), "{code}");
        }
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_position("A1"), Some((0, 0)));
        assert_eq!(cell_position("C12"), Some((11, 2)));
        assert_eq!(cell_position("AA3"), Some((2, 26)));
        assert_eq!(cell_position("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(cell_position("12"), None);
        assert_eq!(cell_position("A0"), None);
    }

    #[test]
    fn formats_that_show_a_number_scaled() {
        for code in [
            "0!.0000\"万\"",
            "0\\.0000\"万元\"",
            "0.0,,\"百万\"",
            "#,##0.0,",
            "0.0,;-0.0,",
        ] {
            assert!(shows_scaled(code), "{code}");
        }
        for code in [
            "0.00\"万元\"",
            "#,##0\"亿\"",
            "0.00",
            "#,##0.00",
            "0.0%",
            "#,##0.00_ ;[Red]-#,##0.00 ",
            "0.00\"元\"",
            "yyyy\"年\"m\"月\"",
            "0;-0;;\"万\"",
        ] {
            assert!(!shows_scaled(code), "{code}");
        }
    }

    /// A reader that hands over a few bytes at a time, so tags are cut between reads.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(5);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_byte_scan_finds_styled_cells_and_hidden_rows() {
        let xml = br#"<x:worksheet><x:sheetData><x:row r="1"><x:c r="A1" s="1"><x:v>0.5</x:v></x:c><x:c s="1" t="s"><x:v>0</x:v></x:c><x:c s='2'/></x:row>
<row r="3" spans="1:3" hidden="1"><c r="B3" s="1" t="n"><v>1</v></c><c r="C3" s="0"><v>2</v></c></row>
<row hidden="true" customHeight="1"><c s="1"><is><t>a &gt; b</t></is></c></row><row r="9" hidden="0"><c r="A9" s="1"/></row></x:sheetData>
<row r="20" hidden="1"/><c r="A20" s="1"/></x:worksheet>"#;
        let kept = [false, true, true];
        let Scanned {
            cells,
            hidden,
            bad_shared,
            backwards,
        } = scan_sheet(Trickle(xml), &kept, None);
        // A2 follows A1 (no r), but is text; C1 (after B1) is style 2; row 4 follows row 3.
        assert_eq!(
            cells,
            [(0, 0, 1), (0, 2, 2), (2, 1, 1), (3, 0, 1), (8, 0, 1)]
        );
        assert_eq!(hidden, [2, 3]);
        assert_eq!(bad_shared, None);
        assert!(!backwards);
    }

    #[test]
    fn a_cell_written_twice_is_found_and_one_out_of_order_is_not_taken_for_it() {
        let twice = r#"<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c><c r="B2"><v>4</v></c><c r="B2"><v>5</v></c></row></sheetData></worksheet>"#;
        assert_eq!(
            formatted_cells(&package(twice), "数据").repeated,
            Some((1, 1))
        );
        // Written twice far apart: B1 again after row 2.
        let later = twice.replace(
            r#"<c r="B2"><v>5</v></c></row>"#,
            r#"</row><row r="3"><c r="B1"><v>5</v></c></row>"#,
        );
        assert_eq!(
            formatted_cells(&package(&later), "数据").repeated,
            Some((0, 1))
        );
        // Out of order but each cell once: read as it is (calamine places cells by their
        // references).
        let unordered = twice.replace(
            r#"<c r="A2"><v>3</v></c><c r="B2"><v>4</v></c><c r="B2"><v>5</v></c>"#,
            r#"<c r="B2"><v>4</v></c><c r="A2"><v>3</v></c>"#,
        );
        assert_eq!(formatted_cells(&package(&unordered), "数据").repeated, None);
        let ordered = twice.replace(r#"<c r="B2"><v>5</v></c>"#, "");
        assert_eq!(formatted_cells(&package(&ordered), "数据").repeated, None);
    }

    #[test]
    fn formatted_cells_carry_the_first_bad_shared_string_index() {
        let xml = r#"<worksheet><sheetData><row r="2"><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>-1</v></c></row></sheetData></worksheet>"#;
        assert_eq!(
            formatted_cells(&package(xml), "数据").bad_shared,
            Some((1, 3, "-1".to_string()))
        );
    }

    /// calamine reads a shared-string index that is no whole number as the table's first
    /// string: the scan finds the first such cell, its index cut between reads or not.
    #[test]
    fn the_byte_scan_finds_a_shared_string_index_that_is_no_number() {
        let scan = |xml: &[u8]| {
            (
                scan_sheet(Trickle(xml), &[], None).bad_shared,
                scan_sheet(xml, &[], None).bad_shared,
            )
        };
        let good = br#"<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1234567</v></c><c r="C1"><v>-1</v></c><c r="D1" t="str"><v>x</v></c><c r="E1" t="s"/></row></sheetData>"#;
        assert_eq!(scan(good), (None, None));
        // An empty index, or one written with a character reference, calamine reads as an
        // empty cell: not refused.
        for quiet in ["", "&#53;"] {
            let xml = format!(
                r#"<sheetData><row r="1"><c r="A1" t="s"><v>{quiet}</v></c></row></sheetData>"#
            );
            assert_eq!(scan(xml.as_bytes()), (None, None), "{quiet}");
        }
        let huge = "99999999999999999999999";
        for (index, at) in [
            ("x", (2, 1)),
            ("-1", (2, 1)),
            (huge, (2, 1)),
            ("12a45", (2, 1)),
        ] {
            let xml = format!(
                r#"<x:sheetData><x:row r="1"><x:c r="A1" t="s"><x:v>3</x:v></x:c></x:row><x:row r="3"><x:c r="A3"><x:v>5</x:v></x:c><x:c t="s" s="2"><x:v>{index}</x:v></x:c><x:c t="s"><x:v>y</x:v></x:c></x:row></x:sheetData>"#
            );
            let found = Some((at.0, at.1, index.to_string()));
            assert_eq!(scan(xml.as_bytes()), (found.clone(), found), "{index}");
        }
    }

    #[test]
    fn styles_inside_cell_xfs_only() {
        let xml = br#"<styleSheet><numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="0.0"/></numFmts>
<cellStyleXfs count="1"><xf numFmtId="9"/></cellStyleXfs>
<cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="10"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="9"></xf></cellXfs></styleSheet>"#;
        let got: Vec<usize> = xf_formats(xml)
            .iter()
            .enumerate()
            .filter(|(_, (id, code))| {
                matches!(id, 9 | 10) || code.as_deref().is_some_and(shows_percent)
            })
            .map(|(xf, _)| xf)
            .collect();
        assert_eq!(got, [1, 2, 4]);
    }
}
