//! XLSX view (rust_xlsxwriter): sheets 排名 Ranking, 明细 Details, 规则 Rules and 审计 Audit.
//!
//! Values only (no formulas), every text neutralised with [`defuse_formula`], frozen header
//! rows, column widths that fit Chinese labels (a CJK character counts as two), number
//! formats with the rules' decimals and a fill colour per tier. The document's creation
//! date is `audit.generated_at`, so the same assessment gives the same bytes.

use crate::diag::{Error, Result};
use crate::engine::Assessment;
use crate::report::defuse_formula;
use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet,
    XlsxError,
};

/// Sheet names, in workbook order.
pub const SHEETS: [&str; 4] = ["排名 Ranking", "明细 Details", "规则 Rules", "审计 Audit"];

/// Light fills per tier (rules order), shared with the HTML report.
pub const TIER_COLOURS: [u32; 6] = [0xFFE699, 0xC6E0B4, 0xBDD7EE, 0xF8CBAD, 0xD9D2E9, 0xDDEBF7];

/// The colour of tier `t` (rules order).
pub fn tier_colour(t: usize) -> u32 {
    TIER_COLOURS[t % TIER_COLOURS.len()]
}

/// Display width of text in a spreadsheet column: CJK and full-width characters count two.
pub fn display_width(s: &str) -> usize {
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

fn num_format(decimals: u32) -> String {
    if decimals == 0 {
        "0".into()
    } else {
        format!("0.{}", "0".repeat(decimals as usize))
    }
}

/// Tracks the widest cell per column, then sets widths (capped, so notes stay readable).
struct Widths(Vec<usize>);

impl Widths {
    fn new() -> Self {
        Widths(Vec::new())
    }
    fn see(&mut self, col: u16, text: &str) {
        let c = col as usize;
        if self.0.len() <= c {
            self.0.resize(c + 1, 0);
        }
        self.0[c] = self.0[c].max(display_width(text));
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
    fn text(&mut self, r: u32, c: u16, s: &str, f: &Format) -> std::result::Result<(), XlsxError> {
        let s = defuse_formula(s);
        self.widths.see(c, &s);
        self.ws.write_string_with_format(r, c, s.as_ref(), f)?;
        Ok(())
    }
    fn number(
        &mut self,
        r: u32,
        c: u16,
        x: f64,
        decimals: u32,
        f: &Format,
    ) -> std::result::Result<(), XlsxError> {
        if x.is_finite() {
            self.widths.see(c, &format!("{:.*}", decimals as usize, x));
            self.ws.write_number_with_format(r, c, x, f)?;
        } else {
            self.ws.write_blank(r, c, f)?;
        }
        Ok(())
    }
    fn blank(&mut self, r: u32, c: u16, f: &Format) -> std::result::Result<(), XlsxError> {
        self.ws.write_blank(r, c, f)?;
        Ok(())
    }
    fn header(
        &mut self,
        r: u32,
        heads: &[String],
        f: &Format,
    ) -> std::result::Result<(), XlsxError> {
        for (c, h) in heads.iter().enumerate() {
            self.text(r, c as u16, h, f)?;
        }
        Ok(())
    }
}

/// The XLSX bytes of an assessment.
pub fn to_xlsx(a: &Assessment) -> Result<Vec<u8>> {
    build(a).map_err(|e| Error::usage(format!("cannot write XLSX: {e}")))
}

fn build(a: &Assessment) -> std::result::Result<Vec<u8>, XlsxError> {
    let l = &a.layout;
    let dec = l.decimals;
    let mut wb = Workbook::new();
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
    let plain = Format::new();
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
        let ws = wb.add_worksheet();
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
                crate::column::format_number(l.max_score)
            ),
            "等级 tier".into(),
            "等级代码 tier id".into(),
            "并列 tie-break".into(),
            "否决 excluded by".into(),
        ];
        let fixed = heads.len() as u16;
        heads.extend(l.dimensions.iter().map(|d| {
            format!(
                "{} (/{})",
                d.label,
                crate::column::format_number(d.value.unwrap_or(0.0))
            )
        }));
        heads.extend(l.adjustments.iter().map(|x| format!("加减分 {}", x.label)));
        s.header(0, &heads, &head)?;
        for (i, e) in a.entities.iter().enumerate() {
            let r = i as u32 + 1;
            let (t, n) = match tier_of(&e.tier) {
                Some(t) => (&tier_text[t], &tier_num[t]),
                None => (&plain, &number),
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
        }
        let foot = a.entities.len() as u32 + 2;
        s.ws.write_string(
            foot,
            0,
            "各分项得分为四舍五入后的数值，相加可能与总分略有出入。Components are rounded and may not add up to the total exactly.",
        )?;
        s.widths.apply(s.ws, 40)?;
        s.ws.set_freeze_panes(1, 3)?;
        if !a.entities.is_empty() {
            s.ws.autofilter(0, 0, a.entities.len() as u32, heads.len() as u16 - 1)?;
        }
    }

    // 明细 Details: one row per entity and criterion.
    {
        let ws = wb.add_worksheet();
        ws.set_name(SHEETS[1])?;
        let mut s = Sheet {
            ws,
            widths: Widths::new(),
        };
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
        s.header(0, &heads, &head)?;
        let mut r = 1u32;
        for e in &a.entities {
            for c in &l.criteria {
                let Some(cr) = e.criteria.get(&c.id) else {
                    continue;
                };
                match e.rank {
                    Some(k) => s.number(r, 0, k as f64, 0, &plain)?,
                    None => s.blank(r, 0, &plain)?,
                }
                s.text(r, 1, &e.id, &plain)?;
                s.text(r, 2, e.name.as_deref().unwrap_or(""), &plain)?;
                s.text(r, 3, &dimension_label(&c.dimension), &plain)?;
                s.text(r, 4, &c.id, &plain)?;
                s.text(r, 5, &c.label, &plain)?;
                match &cr.value {
                    Some(serde_json::Value::Number(x)) => {
                        let x = x.as_f64().unwrap_or(f64::NAN);
                        s.widths.see(6, &crate::column::format_number(x));
                        s.ws.write_number(r, 6, x)?;
                    }
                    Some(serde_json::Value::Bool(b)) => {
                        s.ws.write_boolean(r, 6, *b)?;
                    }
                    Some(serde_json::Value::String(t)) => s.text(r, 6, t, &plain)?,
                    Some(other) => s.text(r, 6, &other.to_string(), &plain)?,
                    None => s.blank(r, 6, &plain)?,
                }
                s.text(r, 7, c.unit.as_deref().unwrap_or(""), &plain)?;
                s.number(r, 8, cr.fraction.unwrap_or(f64::NAN), 4, &frac)?;
                s.number(r, 9, cr.points.unwrap_or(f64::NAN), dec, &number)?;
                s.number(r, 10, cr.max, dec, &number)?;
                s.text(r, 11, cr.missing.as_deref().unwrap_or(""), &plain)?;
                r += 1;
            }
        }
        s.widths.apply(s.ws, 50)?;
        s.ws.set_freeze_panes(1, 3)?;
        if r > 1 {
            s.ws.autofilter(0, 0, r - 1, heads.len() as u16 - 1)?;
        }
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
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        s.header(0, &heads, &head)?;
        let mut r = 1u32;
        for c in &l.criteria {
            s.text(r, 0, &dimension_label(&c.dimension), &plain)?;
            s.text(r, 1, &c.dimension, &plain)?;
            s.text(r, 2, &c.id, &plain)?;
            s.text(r, 3, &c.label, &plain)?;
            s.text(r, 4, &c.indicator, &plain)?;
            s.text(r, 5, &c.indicator_label, &plain)?;
            s.text(r, 6, c.unit.as_deref().unwrap_or(""), &plain)?;
            s.text(r, 7, &c.method, &plain)?;
            s.number(r, 8, c.points, dec, &number)?;
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
            s.text(r, 0, title, &bold)?;
            r += 1;
            s.text(r, 0, "代码 id", &head)?;
            s.text(r, 1, "名称 label", &head)?;
            if !value_head.is_empty() {
                s.text(r, 2, value_head, &head)?;
            }
            r += 1;
            for (k, it) in items.iter().enumerate() {
                let f = if title.starts_with("等级") {
                    &tier_text[k]
                } else {
                    &plain
                };
                s.text(r, 0, &it.id, f)?;
                s.text(r, 1, &it.label, f)?;
                if let Some(v) = it.value {
                    s.number(r, 2, v, dec, &number)?;
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
        let mut rows: Vec<(String, String)> = vec![
            ("engine".into(), au.engine.clone()),
            ("rules.path".into(), au.rules.path.clone()),
            ("rules.name".into(), au.rules.name.clone()),
            (
                "rules.version".into(),
                au.rules.version.clone().unwrap_or_default(),
            ),
            ("rules.sha256".into(), au.rules.sha256.clone()),
        ];
        for (i, d) in au.data.iter().enumerate() {
            rows.push((format!("data[{i}].path"), d.path.clone()));
            rows.push((format!("data[{i}].sha256"), d.sha256.clone()));
            rows.push((format!("data[{i}].rows"), d.rows.to_string()));
        }
        rows.push((
            "year".into(),
            au.year.map(|y| y.to_string()).unwrap_or_default(),
        ));
        rows.push(("generated_at".into(), au.generated_at.clone()));
        rows.push(("entities".into(), a.summary.entities.to_string()));
        rows.push(("ranked".into(), a.summary.ranked.to_string()));
        rows.push(("excluded".into(), a.summary.excluded.to_string()));
        for t in &a.summary.tiers {
            rows.push((format!("tier {} ({})", t.id, t.label), t.count.to_string()));
        }
        for (i, w) in a.warnings.iter().enumerate() {
            rows.push((format!("warning {}", i + 1), w.clone()));
        }
        for (i, (k, v)) in rows.iter().enumerate() {
            s.text(i as u32 + 1, 0, k, &plain)?;
            s.text(i as u32 + 1, 1, v, &plain)?;
        }
        s.widths.apply(s.ws, 100)?;
        s.ws.set_freeze_panes(1, 0)?;
    }

    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_counts_double() {
        assert_eq!(display_width("abc"), 3);
        assert_eq!(display_width("规模能级"), 8);
        assert_eq!(display_width("（％）"), 6);
    }

    #[test]
    fn number_formats_follow_decimals() {
        assert_eq!(num_format(0), "0");
        assert_eq!(num_format(2), "0.00");
    }
}
