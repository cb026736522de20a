//! XLSX view (rust_xlsxwriter): sheets 排名 Ranking, 明细 Details, 规则 Rules and 审计 Audit.
//!
//! Values only (no formulas; text a spreadsheet could run is written with the quote prefix), frozen header
//! rows, column widths that fit Chinese labels (a CJK character counts as two), number
//! formats with the rules' decimals and a fill colour per tier. The document's creation
//! date is `audit.generated_at`, so the same assessment gives the same bytes.

use crate::diag::{Diagnostic, Error, Result, Stage};
use crate::engine::Assessment;
use crate::report::{defuse_formula, runs_as_formula};
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};
use std::borrow::Cow;

/// Sheet names, in workbook order.
pub const SHEETS: [&str; 4] = ["排名 Ranking", "明细 Details", "规则 Rules", "审计 Audit"];

/// Light fills per tier (rules order), shared with the HTML report.
pub const TIER_COLOURS: [u32; 6] = [0xFFE699, 0xC6E0B4, 0xBDD7EE, 0xF8CBAD, 0xD9D2E9, 0xDDEBF7];

/// The colour of tier `t` (rules order).
pub fn tier_colour(t: usize) -> u32 {
    TIER_COLOURS[t % TIER_COLOURS.len()]
}

/// Display width of text in a spreadsheet column: CJK and full-width characters count two.
#[doc(hidden)]
pub fn display_width(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Characters of `x` shown with `decimals` places (`-12.50` is 6), counted instead of
/// formatted: every number cell is measured for its column's width.
fn number_width(x: f64, decimals: u32) -> usize {
    let shown = (x.abs() * crate::num::pow10(decimals)).round() / crate::num::pow10(decimals);
    let mut int_digits = 1;
    let mut bound = 10.0;
    while shown >= bound && int_digits < 309 {
        int_digits += 1;
        bound *= 10.0;
    }
    let sign = usize::from(x < 0.0);
    let fraction = if decimals > 0 {
        decimals as usize + 1
    } else {
        0
    };
    sign + int_digits + fraction
}

fn num_format(decimals: u32) -> String {
    if decimals == 0 {
        "0".into()
    } else {
        format!("0.{}", "0".repeat(decimals as usize))
    }
}

/// The most characters an Excel cell holds.
const CELL_CHARS: usize = 32_767;

/// What an Excel cell can hold of `s`: a longer text (a 10 MB name, a huge expression) is cut,
/// the cell saying so where the text stops, instead of the whole workbook being refused.
fn cut_to_cell(s: &str) -> Cow<'_, str> {
    const MARK: &str = "…［截断 cut: an Excel cell holds at most 32,767 characters; the CSV \
                        and JSON outputs hold the whole text］";
    // (Excel counts UTF-16 units; a character outside the BMP is two of them.)
    let units = |t: &str| t.chars().map(char::len_utf16).sum::<usize>();
    if s.len() <= CELL_CHARS || units(s) <= CELL_CHARS {
        return Cow::Borrowed(s);
    }
    let room = CELL_CHARS - units(MARK);
    let mut used = 0;
    let end = s
        .char_indices()
        .find(|&(_, ch)| {
            used += ch.len_utf16();
            used > room
        })
        .map_or(s.len(), |(i, _)| i);
    Cow::Owned(format!("{}{MARK}", &s[..end]))
}

/// Tracks the widest cell per column, then sets widths (capped, so notes stay readable).
struct Widths(Vec<usize>);

impl Widths {
    fn new() -> Self {
        Widths(Vec::new())
    }
    fn see(&mut self, col: u16, text: &str) {
        self.see_width(col, display_width(text));
    }
    fn see_width(&mut self, col: u16, width: usize) {
        let c = col as usize;
        if self.0.len() <= c {
            self.0.resize(c + 1, 0);
        }
        self.0[c] = self.0[c].max(width);
    }
    fn apply(&self, ws: &mut Worksheet, max: usize) -> std::result::Result<(), XlsxError> {
        for (c, w) in self.0.iter().enumerate() {
            ws.set_column_width(c as u16, ((*w).clamp(4, max) + 2) as f64)?;
        }
        Ok(())
    }
}

/// A sheet being written: cells plus their widths.
struct Sheet<'a> {
    ws: &'a mut Worksheet,
    widths: Widths,
}

impl Sheet<'_> {
    /// Writes text; `None` leaves the cell unformatted, so that the column's format (or
    /// none) applies (a format per cell costs a format lookup per cell in the writer).
    fn text(
        &mut self,
        r: u32,
        c: u16,
        s: &str,
        f: Option<&Format>,
    ) -> std::result::Result<(), XlsxError> {
        let cut = cut_to_cell(s);
        let s = cut.as_ref();
        self.widths.see(c, s);
        if runs_as_formula(s) {
            // A text cell is never run as a formula; the quote prefix also keeps Excel from
            // turning it into one when the cell is edited, without changing the text.
            let quoted = f.cloned().unwrap_or_default().set_quote_prefix();
            self.ws.write_string_with_format(r, c, s, &quoted)?;
            return Ok(());
        }
        match f {
            Some(f) => self.ws.write_string_with_format(r, c, s, f)?,
            None => self.ws.write_string(r, c, s)?,
        };
        Ok(())
    }
    fn number(
        &mut self,
        r: u32,
        c: u16,
        x: f64,
        decimals: u32,
        f: Option<&Format>,
    ) -> std::result::Result<(), XlsxError> {
        if x.is_finite() {
            self.widths.see_width(c, number_width(x, decimals));
            match f {
                Some(f) => self.ws.write_number_with_format(r, c, x, f)?,
                None => self.ws.write_number(r, c, x)?,
            };
        } else {
            self.blank(r, c, f)?;
        }
        Ok(())
    }
    /// An empty cell: written only when it carries a format of its own.
    fn blank(&mut self, r: u32, c: u16, f: Option<&Format>) -> std::result::Result<(), XlsxError> {
        if let Some(f) = f {
            self.ws.write_blank(r, c, f)?;
        }
        Ok(())
    }
    fn header(
        &mut self,
        r: u32,
        heads: &[String],
        f: &Format,
    ) -> std::result::Result<(), XlsxError> {
        for (c, h) in heads.iter().enumerate() {
            self.text(r, c as u16, h, Some(f))?;
        }
        Ok(())
    }
}

/// The XLSX bytes of an assessment.
pub fn to_xlsx(a: &Assessment) -> Result<Vec<u8>> {
    to_xlsx_with_rows(a, EXCEL_ROWS)
}

/// Rows of one worksheet in Excel and WPS (header included).
pub const EXCEL_ROWS: u32 = 1_048_576;

/// Above this many Details rows the workbook is compressed at the fastest level.
const FAST_COMPRESSION_ROWS: usize = 100_000;

/// The name of the `part`-th Details sheet (1-based): `明细 Details`, `明细 Details 2`, ….
pub fn details_sheet_name(part: usize) -> String {
    if part <= 1 {
        SHEETS[1].to_string()
    } else {
        format!("{} {part}", SHEETS[1])
    }
}

/// [`to_xlsx`] with sheets of at most `max_rows` rows (a small limit lets tests split sheets).
fn to_xlsx_with_rows(a: &Assessment, max_rows: u32) -> Result<Vec<u8>> {
    // The ranking sheet holds a header, one row per entity, a blank row and the footnote.
    let n = a.entity_count();
    let fits = (n as u64) + 3 <= u64::from(max_rows);
    if !fits {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Usage,
                format!(
                    "cannot write XLSX: {} entities do not fit in one sheet (at most {} rows, \
                     so at most {} entities)",
                    n,
                    max_rows,
                    max_rows.saturating_sub(3)
                ),
            )
            .with_help(
                "write CSV for an assessment this large (--out ranking.csv, or --format csv), \
                 or score the data in parts",
            ),
        ));
    }
    build(a, max_rows).map_err(|e| match e {
        XlsxError::TempFileError(dir, err) => Error::one(
            Diagnostic::new(
                Stage::Io,
                format!(
                    "cannot write XLSX: cannot create a temporary file in '{}': {err}",
                    dir.display()
                ),
            )
            .with_help(
                "the ranking and details sheets are written through temporary files: set \
                 TMPDIR (TEMP on Windows) to a writable directory",
            ),
        ),
        // (Writing the temporary files or the workbook: a full disk, say.)
        XlsxError::IoError(err) => Error::one(Diagnostic::new(
            Stage::Io,
            format!("cannot write XLSX: {err}"),
        )),
        other => Error::usage(format!("cannot write XLSX: {other}")),
    })
}

fn build(a: &Assessment, max_rows: u32) -> std::result::Result<Vec<u8>, XlsxError> {
    let l = &a.layout;
    let dec = l.decimals;
    let mut wb = Workbook::new();
    // A large workbook is compressed at the fastest level: deflate at the default level
    // is most of the time of writing one (a whole run on 100,000 entities × 20 criteria:
    // about 24 s against 14 s; the file is 1.8× larger).
    // (Deferred results hold every criterion, like built ones.)
    let detail_rows: usize = match &a.deferred {
        None => a.entities.iter().map(|e| e.criteria.len()).sum(),
        Some(_) => a.entity_count() * l.criteria.len(),
    };
    if detail_rows > FAST_COMPRESSION_ROWS {
        wb.set_zip_compression_level(1);
    }
    let created = ExcelDateTime::parse_from_str(&a.audit.generated_at)
        .or_else(|_| ExcelDateTime::from_ymd(2000, 1, 1))?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(defuse_formula(&l.title).as_ref())
            .set_author("clusterscore")
            .set_creation_datetime(&created),
    );

    let head = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xD9D9D9))
        .set_border_bottom(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let nf = num_format(dec);
    let number = Format::new().set_num_format(&nf);
    let frac = Format::new().set_num_format("0.0000");
    let bold = Format::new().set_bold();
    let tier_text: Vec<Format> = (0..l.tiers.len())
        .map(|t| Format::new().set_background_color(Color::RGB(tier_colour(t))))
        .collect();
    let tier_num: Vec<Format> = (0..l.tiers.len())
        .map(|t| {
            Format::new()
                .set_background_color(Color::RGB(tier_colour(t)))
                .set_num_format(&nf)
        })
        .collect();
    let tier_of = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| l.tiers.iter().position(|t| &t.id == id))
    };
    let dimension_label = |id: &str| {
        l.dimensions
            .iter()
            .find(|d| d.id == id)
            .map_or(id.to_string(), |d| d.label.clone())
    };

    // 排名 Ranking
    {
        let ws = wb.add_worksheet_with_low_memory()?;
        ws.set_name(SHEETS[0])?;
        let mut s = Sheet {
            ws,
            widths: Widths::new(),
        };
        let mut heads: Vec<String> = vec![
            "排名 rank".into(),
            "编号 id".into(),
            "名称 name".into(),
            format!(
                "得分 score (/{})",
                super::shown_maximum(l.max_score, l.decimals)
            ),
            "等级 tier".into(),
            "等级代码 tier id".into(),
            "并列 tie-break".into(),
            "否决 excluded by".into(),
        ];
        if let Some(c) = &l.cohort {
            heads.push(format!("分组 {c}"));
        }
        let fixed = heads.len() as u16;
        heads.extend(l.dimensions.iter().map(|d| {
            format!(
                "{} (/{})",
                d.label,
                super::shown_maximum(d.value.unwrap_or(0.0), l.decimals)
            )
        }));
        heads.extend(l.adjustments.iter().map(|x| format!("加减分 {}", x.label)));
        // Why an entity was excluded or capped, with the values involved (SPEC §5.4), and
        // every other note of its result.
        heads.push("说明 notes".into());
        s.header(0, &heads, &head)?;
        for (i, e) in a.entity_results().enumerate() {
            let r = i as u32 + 1;
            let (t, n) = match tier_of(&e.tier) {
                Some(t) => (Some(&tier_text[t]), Some(&tier_num[t])),
                None => (None, Some(&number)),
            };
            match e.rank {
                Some(k) => s.number(r, 0, k as f64, 0, t)?,
                None => s.blank(r, 0, t)?,
            }
            s.text(r, 1, &e.id, t)?;
            s.text(r, 2, e.name.as_deref().unwrap_or(""), t)?;
            s.number(r, 3, e.score, dec, n)?;
            s.text(r, 4, e.tier_label.as_deref().unwrap_or(""), t)?;
            s.text(r, 5, e.tier.as_deref().unwrap_or(""), t)?;
            s.text(r, 6, if e.tie_broken { "是" } else { "" }, t)?;
            s.text(r, 7, e.excluded_by.as_deref().unwrap_or(""), t)?;
            if l.cohort.is_some() {
                s.text(r, 8, e.cohort.as_deref().unwrap_or("—"), t)?;
            }
            let mut c = fixed;
            for d in &l.dimensions {
                s.number(
                    r,
                    c,
                    e.dimensions.get(&d.id).copied().unwrap_or(f64::NAN),
                    dec,
                    n,
                )?;
                c += 1;
            }
            for x in &l.adjustments {
                s.number(
                    r,
                    c,
                    e.adjustments.get(&x.id).copied().unwrap_or(0.0),
                    dec,
                    n,
                )?;
                c += 1;
            }
            s.text(r, c, &e.notes.join("; "), t)?;
        }
        let foot = a.entity_count() as u32 + 2;
        let (zh, en) = super::components_note(&a.layout);
        s.ws.write_string(foot, 0, format!("{zh}{en}"))?;
        s.widths.apply(s.ws, 40)?;
        s.ws.set_freeze_panes(1, 3)?;
        if a.entity_count() > 0 {
            s.ws.autofilter(0, 0, a.entity_count() as u32, heads.len() as u16 - 1)?;
        }
    }

    // 明细 Details: one row per entity and criterion, continued on further sheets
    // (明细 Details 2, 3, …) when they pass a sheet's rows.
    let heads: Vec<String> = [
        "排名 rank",
        "编号 id",
        "名称 name",
        "维度 dimension",
        "指标代码 criterion id",
        "评价指标 criterion",
        "数值 value",
        "单位 unit",
        "得分率 fraction",
        "得分 points",
        "满分 max",
        "缺失处理 missing",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let dimension_labels: Vec<String> = l
        .criteria
        .iter()
        .map(|c| dimension_label(&c.dimension))
        .collect();
    // Every (entity, criterion) that has a row, in order (an entity shared by its rows:
    // deferred results are built as they are read).
    let mut rows = a
        .entity_results()
        .flat_map(|e| {
            let e = std::rc::Rc::new(e);
            l.criteria
                .iter()
                .enumerate()
                .filter(|(_, c)| e.criteria.contains_key(&c.id))
                .map(|(ci, c)| (std::rc::Rc::clone(&e), ci, c))
                .collect::<Vec<_>>()
        })
        .peekable();
    let mut part = 1;
    loop {
        let ws = wb.add_worksheet_with_low_memory()?;
        ws.set_name(details_sheet_name(part))?;
        let mut s = Sheet {
            ws,
            widths: Widths::new(),
        };
        s.header(0, &heads, &head)?;
        s.ws.set_column_format(8, &frac)?;
        s.ws.set_column_format(9, &number)?;
        s.ws.set_column_format(10, &number)?;
        let mut r = 1u32;
        while r < max_rows
            && let Some((e, ci, c)) = rows.next()
        {
            let cr = &e.criteria[&c.id];
            if let Some(k) = e.rank {
                s.number(r, 0, k as f64, 0, None)?;
            }
            s.text(r, 1, &e.id, None)?;
            s.text(r, 2, e.name.as_deref().unwrap_or(""), None)?;
            s.text(r, 3, &dimension_labels[ci], None)?;
            s.text(r, 4, &c.id, None)?;
            s.text(r, 5, &c.label, None)?;
            match &cr.value {
                Some(serde_json::Value::Number(x)) => {
                    // The computed double (a spreadsheet shows 15 digits: 7.2); the column
                    // is as wide as that shown text.
                    let x = x.as_f64().unwrap_or(f64::NAN);
                    s.widths.see(6, &crate::column::format_display(x));
                    s.ws.write_number(r, 6, x)?;
                }
                Some(serde_json::Value::Bool(b)) => {
                    s.ws.write_boolean(r, 6, *b)?;
                }
                Some(serde_json::Value::String(t)) => s.text(r, 6, t, None)?,
                Some(other) => s.text(r, 6, &other.to_string(), None)?,
                None => {}
            }
            s.text(r, 7, c.unit.as_deref().unwrap_or(""), None)?;
            // (Formatted by their columns.)
            s.number(r, 8, cr.fraction.unwrap_or(f64::NAN), 4, None)?;
            s.number(r, 9, cr.points.unwrap_or(f64::NAN), dec, None)?;
            s.number(r, 10, cr.max, dec, None)?;
            s.text(r, 11, cr.missing.as_deref().unwrap_or(""), None)?;
            r += 1;
        }
        s.widths.apply(s.ws, 50)?;
        s.ws.set_freeze_panes(1, 3)?;
        if r > 1 {
            s.ws.autofilter(0, 0, r - 1, heads.len() as u16 - 1)?;
        }
        if rows.peek().is_none() {
            break;
        }
        part += 1;
    }

    // 规则 Rules: the criteria table, then dimensions, adjustments, tiers and gates.
    {
        let ws = wb.add_worksheet();
        ws.set_name(SHEETS[2])?;
        let mut s = Sheet {
            ws,
            widths: Widths::new(),
        };
        let heads: Vec<String> = [
            "维度 dimension",
            "维度代码 dimension id",
            "指标代码 criterion id",
            "评价指标 criterion",
            "指标 indicator",
            "指标名称 indicator label",
            "单位 unit",
            "计分方法 method",
            "分值 points",
            "计分规则 rule",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        s.header(0, &heads, &head)?;
        let mut r = 1u32;
        for c in &l.criteria {
            s.text(r, 0, &dimension_label(&c.dimension), None)?;
            s.text(r, 1, &c.dimension, None)?;
            s.text(r, 2, &c.id, None)?;
            s.text(r, 3, &c.label, None)?;
            s.text(r, 4, &c.indicator, None)?;
            s.text(r, 5, &c.indicator_label, None)?;
            s.text(r, 6, c.unit.as_deref().unwrap_or(""), None)?;
            s.text(r, 7, &c.method, None)?;
            s.number(r, 8, c.points, dec, Some(&number))?;
            s.text(r, 9, &c.rule, None)?;
            r += 1;
        }
        let sections: [(&str, &str, &Vec<crate::engine::LayoutItem>); 4] = [
            ("维度 dimensions", "满分占比 max share", &l.dimensions),
            ("加减分 adjustments", "分值 points", &l.adjustments),
            ("等级 tiers", "最低分 min score", &l.tiers),
            ("门槛 gates", "", &l.gates),
        ];
        for (title, value_head, items) in sections {
            if items.is_empty() {
                continue;
            }
            r += 1;
            s.text(r, 0, title, Some(&bold))?;
            r += 1;
            s.text(r, 0, "代码 id", Some(&head))?;
            s.text(r, 1, "名称 label", Some(&head))?;
            if !value_head.is_empty() {
                s.text(r, 2, value_head, Some(&head))?;
            }
            let ruled = items.iter().any(|it| !it.rule.is_empty());
            if ruled {
                s.text(r, 3, "规则 rule", Some(&head))?;
            }
            r += 1;
            for (k, it) in items.iter().enumerate() {
                let f = title.starts_with("等级").then(|| &tier_text[k]);
                s.text(r, 0, &it.id, f)?;
                s.text(r, 1, &it.label, f)?;
                if let Some(v) = it.value {
                    // A tier's minimum and an adjustment's points as written in the rules
                    // (General format): `min_score = 2.4` at 0 decimals shows 2.4, not a 2
                    // that a score of 2 would seem to meet. Dimension shares are computed:
                    // shown at the decimals.
                    let written = title.starts_with("等级") || title.starts_with("加减分");
                    s.number(r, 2, v, dec, (!written).then_some(&number))?;
                }
                if ruled {
                    s.text(r, 3, &it.rule, None)?;
                }
                r += 1;
            }
        }
        s.widths.apply(s.ws, 50)?;
        s.ws.set_freeze_panes(1, 0)?;
    }

    // 审计 Audit
    {
        let ws = wb.add_worksheet();
        ws.set_name(SHEETS[3])?;
        let mut s = Sheet {
            ws,
            widths: Widths::new(),
        };
        s.header(
            0,
            &["项目 item".to_string(), "内容 value".to_string()],
            &head,
        )?;
        let au = &a.audit;
        // Counts and the year are numbers (not "number stored as text").
        enum Value {
            Text(String),
            Number(f64),
        }
        use Value::{Number, Text};
        let mut rows: Vec<(String, Value)> = vec![
            ("engine".into(), Text(au.engine.clone())),
            ("rules.path".into(), Text(au.rules.path.clone())),
            ("rules.name".into(), Text(au.rules.name.clone())),
            (
                "rules.version".into(),
                Text(au.rules.version.clone().unwrap_or_default()),
            ),
            ("rules.sha256".into(), Text(au.rules.sha256.clone())),
        ];
        for (i, d) in au.data.iter().enumerate() {
            rows.push((format!("data[{i}].path"), Text(d.path.clone())));
            rows.push((format!("data[{i}].sha256"), Text(d.sha256.clone())));
            rows.push((format!("data[{i}].rows"), Number(d.rows as f64)));
            if let Some(sheet) = &d.sheet {
                rows.push((format!("data[{i}].sheet"), Text(sheet.clone())));
            }
        }
        rows.push((
            "year".into(),
            au.year.map_or(Text(String::new()), |y| Number(y as f64)),
        ));
        rows.push(("generated_at".into(), Text(au.generated_at.clone())));
        rows.push(("entities".into(), Number(a.summary.entities as f64)));
        rows.push(("ranked".into(), Number(a.summary.ranked as f64)));
        rows.push(("excluded".into(), Number(a.summary.excluded as f64)));
        for t in &a.summary.tiers {
            rows.push((
                format!("tier {} ({})", t.id, t.label),
                Number(t.count as f64),
            ));
        }
        for (i, w) in a.warnings.iter().enumerate() {
            rows.push((format!("warning {}", i + 1), Text(w.clone())));
        }
        for (i, (k, v)) in rows.iter().enumerate() {
            let r = i as u32 + 1;
            s.text(r, 0, k, None)?;
            match v {
                Number(x) => s.number(r, 1, *x, 0, None)?,
                Text(v) => s.text(r, 1, v, None)?,
            }
        }
        s.widths.apply(s.ws, 100)?;
        s.ws.set_freeze_panes(1, 0)?;
    }

    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::liaocheng;
    use calamine::{Data, Reader, Xlsx};

    /// A text longer than a cell holds is cut to exactly the limit in UTF-16 units (an emoji
    /// is two), the cell saying where; shorter texts are written as they are.
    #[test]
    fn texts_longer_than_a_cell_are_cut_and_marked() {
        let units = |t: &str| t.chars().map(char::len_utf16).sum::<usize>();
        assert!(matches!(cut_to_cell("短"), Cow::Borrowed("短")));
        let exact = "x".repeat(CELL_CHARS);
        assert!(matches!(cut_to_cell(&exact), Cow::Borrowed(_)));
        let exact = format!("x{}", "😀".repeat(16_383));
        assert!(matches!(cut_to_cell(&exact), Cow::Borrowed(_)));
        for long in [
            "名".repeat(40_000),
            "😀".repeat(20_000),
            format!("x{}", "😀".repeat(16_384)),
        ] {
            let cut = cut_to_cell(&long);
            assert!(
                units(&cut) <= CELL_CHARS && units(&cut) >= CELL_CHARS - 1,
                "{}",
                units(&cut)
            );
            assert!(cut.ends_with("the CSV and JSON outputs hold the whole text］"));
            assert!(long.starts_with(cut.split('…').next().unwrap()));
        }
    }

    /// Sheet names and each sheet's rows as text.
    fn sheets(bytes: Vec<u8>) -> Vec<(String, Vec<Vec<String>>)> {
        let mut wb = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        wb.sheet_names()
            .into_iter()
            .map(|name| {
                let rows = wb
                    .worksheet_range(&name)
                    .unwrap()
                    .rows()
                    .map(|r| {
                        r.iter()
                            .map(|c| match c {
                                Data::Empty => String::new(),
                                other => other.to_string(),
                            })
                            .collect()
                    })
                    .collect();
                (name, rows)
            })
            .collect()
    }

    #[test]
    fn ranking_notes_say_why_and_audit_counts_are_numbers() {
        let a = liaocheng();
        let whole = sheets(to_xlsx(&a).unwrap());
        let ranking = &whole[0].1;
        let last = ranking[0].len() - 1;
        assert_eq!(ranking[0][last], "说明 notes");
        // Every entity's notes, joined, in the last column of its row.
        for (row, e) in ranking[1..].iter().zip(&a.entities) {
            assert_eq!(row[1], e.id);
            assert_eq!(
                row.get(last).cloned().unwrap_or_default(),
                e.notes.join("; ")
            );
        }
        let excluded = a.entities.iter().find(|e| e.excluded_by.is_some()).unwrap();
        assert!(
            excluded
                .notes
                .iter()
                .any(|n| n.starts_with("excluded by gate"))
        );
        // The audit's counts read back as numbers, not text.
        let mut wb = Xlsx::new(std::io::Cursor::new(to_xlsx(&a).unwrap())).unwrap();
        let audit = wb.worksheet_range(SHEETS[3]).unwrap();
        let entities = audit
            .rows()
            .find(|r| r[0] == Data::String("entities".into()))
            .unwrap();
        assert_eq!(entities[1], Data::Float(a.summary.entities as f64));
    }

    #[test]
    fn rules_sheet_writes_each_rule_out() {
        let a = liaocheng();
        let whole = sheets(to_xlsx(&a).unwrap());
        let rules = &whole[2].1;
        let col = rules[0].iter().position(|h| h == "计分规则 rule").unwrap();
        for (row, c) in rules[1..].iter().zip(&a.layout.criteria) {
            assert_eq!(row[2], c.id);
            assert_eq!(row.get(col).cloned().unwrap_or_default(), c.rule);
        }
        let bands = a
            .layout
            .criteria
            .iter()
            .find(|c| c.method == "bands")
            .unwrap();
        assert!(bands.rule.starts_with('≥'), "{}", bands.rule);
        // Tiers and gates carry their conditions.
        let text: Vec<&String> = rules.iter().flatten().collect();
        for t in &a.layout.tiers {
            assert!(t.rule.is_empty() || text.contains(&&t.rule), "{}", t.rule);
        }
        assert!(text.iter().any(|s| s.ends_with("excluded when not met")));
    }

    #[test]
    fn details_continue_on_further_sheets_in_the_same_order() {
        let a = liaocheng();
        let detail_rows: usize = a.entities.iter().map(|e| e.criteria.len()).sum();
        let whole = sheets(to_xlsx(&a).unwrap());
        let names: Vec<&str> = whole.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, SHEETS);
        assert_eq!(whole[1].1.len(), detail_rows + 1);

        // Sheets of 40 rows: 39 detail rows each, after the header.
        let limit = 40u32;
        let split = sheets(to_xlsx_with_rows(&a, limit).unwrap());
        let parts = detail_rows.div_ceil(limit as usize - 1);
        assert!(parts > 2, "the fixture should need several sheets");
        let mut want: Vec<String> = vec![SHEETS[0].to_string()];
        want.extend((1..=parts).map(details_sheet_name));
        want.extend([SHEETS[2].to_string(), SHEETS[3].to_string()]);
        let names: Vec<String> = split.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(names, want);
        assert_eq!(details_sheet_name(2), "明细 Details 2");
        let mut joined: Vec<Vec<String>> = vec![whole[1].1[0].clone()];
        for (_, rows) in &split[1..=parts] {
            assert!(rows.len() <= limit as usize);
            assert_eq!(rows[0], whole[1].1[0], "each part repeats the header");
            joined.extend(rows[1..].iter().cloned());
        }
        assert_eq!(joined, whole[1].1);
        // The other sheets do not change.
        assert_eq!(split[0], whole[0]);
        assert_eq!(split[parts + 1], whole[2]);
    }

    #[test]
    fn more_entities_than_a_sheet_holds_is_refused_before_writing() {
        let a = liaocheng();
        let n = a.entities.len() as u32;
        // Header, entities, a blank row and the footnote.
        assert!(to_xlsx_with_rows(&a, n + 3).is_ok());
        let e = to_xlsx_with_rows(&a, n + 2).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.to_string();
        assert!(
            text.contains(&format!("{} entities do not fit", a.entities.len())),
            "{text}"
        );
        assert!(text.contains("CSV"), "{text}");
    }

    #[test]
    fn cjk_counts_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("规模能级"), 8);
        assert_eq!(display_width("（％）"), 6);
    }

    #[test]
    fn number_widths_count_what_the_sheet_shows() {
        for (x, d) in [
            (0.0, 2),
            (-0.001, 2),
            (-12.5, 2),
            (9.996, 2),
            (99.4, 0),
            (123456.789, 3),
            (1e20, 1),
            (-7.0, 0),
        ] {
            let shown = format!("{:.*}", d as usize, x);
            assert_eq!(number_width(x, d), shown.len(), "{x} with {d} decimals");
        }
    }

    #[test]
    fn number_formats_follow_decimals() {
        assert_eq!(num_format(0), "0");
        assert_eq!(num_format(2), "0.00");
    }
}
