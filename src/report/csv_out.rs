//! CSV view: one row per entity in output order; ids as headers (stable for machines).

use crate::diag::{Error, Result};
use crate::engine::Assessment;
use crate::report::defuse_formula;

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

fn num(x: f64, decimals: u32) -> String {
    format!("{:.*}", decimals as usize, x)
}

/// The CSV text of an assessment.
pub fn to_csv(a: &Assessment, enc: OutEncoding) -> Result<Vec<u8>> {
    let dec = a.layout.decimals;
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header: Vec<String> = [
        "rank",
        "id",
        "name",
        "score",
        "tier",
        "tier_label",
        "excluded_by",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(a.layout.dimensions.iter().map(|d| d.id.clone()));
    header.extend(a.layout.criteria.iter().map(|c| c.id.clone()));
    if let Some(first) = a.entities.first() {
        header.extend(first.carry.keys().cloned());
    }
    let csv_err = |e: csv::Error| Error::usage(format!("cannot write CSV: {e}"));
    w.write_record(&header).map_err(csv_err)?;
    for e in &a.entities {
        let mut row: Vec<String> = vec![
            e.rank.map(|r| r.to_string()).unwrap_or_default(),
            defuse_formula(&e.id).into_owned(),
            defuse_formula(e.name.as_deref().unwrap_or("")).into_owned(),
            num(e.score, dec),
            e.tier.clone().unwrap_or_default(),
            defuse_formula(e.tier_label.as_deref().unwrap_or("")).into_owned(),
            e.excluded_by.clone().unwrap_or_default(),
        ];
        row.extend(e.dimensions.values().map(|v| num(*v, dec)));
        row.extend(
            e.criteria
                .values()
                .map(|c| c.points.map(|p| num(p, dec)).unwrap_or_default()),
        );
        row.extend(
            e.carry
                .values()
                .map(|v| defuse_formula(v.as_deref().unwrap_or("")).into_owned()),
        );
        w.write_record(&row).map_err(csv_err)?;
    }
    let text = String::from_utf8(
        w.into_inner()
            .map_err(|e| Error::usage(format!("cannot write CSV: {e}")))?,
    )
    .expect("CSV of UTF-8 strings is UTF-8");
    Ok(match enc {
        OutEncoding::Utf8Bom => {
            let mut b = "\u{feff}".as_bytes().to_vec();
            b.extend_from_slice(text.as_bytes());
            b
        }
        OutEncoding::Utf8 => text.into_bytes(),
        OutEncoding::Gbk => encoding_rs::GB18030.encode(&text).0.into_owned(),
    })
}
