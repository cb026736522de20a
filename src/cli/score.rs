//! `clusterscore score`: rules + data → ranked assessment (csv, json, md; stdout or --out).

use clap::Args;
use clusterscore::diag::{Error, Result};
use clusterscore::engine::{AssessOptions, Detail};
use clusterscore::report::{Format, OutEncoding, render_to, write_atomic_with};
use clusterscore::rules::Rules;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// The rules file (TOML).
    #[arg(long)]
    pub rules: PathBuf,
    /// Data file(s): CSV (comma-delimited unless --delimiter) or XLSX; repeat for several
    /// files.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    /// Output file; its extension picks the format unless --format is given.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Output format: csv, json, md, html, xlsx (default md on stdout).
    #[arg(long)]
    pub format: Option<String>,
    /// Year to score (overrides [rules].year).
    #[arg(long, allow_negative_numbers = true, value_parser = super::parse_year)]
    pub year: Option<i64>,
    #[command(flatten)]
    pub read: super::DataReadArgs,
    /// CSV output encoding: utf8 (with BOM, default) or gbk.
    #[arg(long)]
    pub out_encoding: Option<String>,
}

/// Entities an HTML page holds comfortably (its sliders re-score every entity per move).
const HTML_COMFORTABLE: usize = 10_000;

/// Resolves `--format` and `--out` into a format (SPEC §7).
pub fn output_format(format: Option<&str>, out: Option<&Path>) -> Result<Format> {
    match (format, out) {
        (Some(f), _) => Format::from_name(f).ok_or_else(|| Error::usage(format!("unknown format '{f}': use csv, json, md, html or xlsx{}", old_excel(f)))),
        (None, Some(p)) => Format::from_path(p).ok_or_else(|| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            Error::usage(format!("cannot tell the format of '{}' from its extension: use .csv, .json, .md, .html or .xlsx, or give --format{}", p.display(), old_excel(ext)))
        }),
        (None, None) => Ok(Format::Md),
    }
}

/// For `xls`: the old Excel format is not written; Excel and WPS open .xlsx.
fn old_excel(name: &str) -> &'static str {
    if name.eq_ignore_ascii_case("xls") {
        " (the old .xls format is not written; Excel and WPS open .xlsx)"
    } else {
        ""
    }
}

pub fn run(mut a: ScoreArgs) -> Result<i32> {
    // `--out -` is standard output, as in most command-line tools.
    if a.out.as_deref() == Some(Path::new("-")) {
        a.out = None;
    }
    // A directory or an input named as the output is said before its extension is read.
    if let Some(out) = &a.out {
        let mut inputs: Vec<&Path> = vec![a.rules.as_path()];
        inputs.extend(a.data.iter().map(|p| p.as_path()));
        super::refuse_overwrite(out, &inputs)?;
    }
    let format = output_format(a.format.as_deref(), a.out.as_deref())?;
    if format == Format::Xlsx && a.out.is_none() && std::io::stdout().is_terminal() {
        return Err(Error::usage(
            "xlsx is a binary file and would garble the terminal: give --out FILE.xlsx (or redirect the output to a file)",
        ));
    }
    let out_enc = match &a.out_encoding {
        Some(e) => OutEncoding::from_name(e).ok_or_else(|| {
            // GB2312 is a subset of GBK; Windows calls GBK code page 936 ("ANSI" on a
            // Chinese system).
            let gbk = matches!(
                e.to_ascii_lowercase().replace(['-', '_'], "").as_str(),
                "gb2312" | "cp936" | "936" | "ansi" | "euccn" | "windows936" | "ms936"
            );
            Error::usage(format!(
                "unknown --out-encoding '{e}': use utf8 or gbk{}",
                if gbk {
                    " (GBK holds every GB2312 character and is the code page 936 that Excel \
                     on a Chinese Windows opens: write --out-encoding gbk)"
                } else {
                    ""
                }
            ))
        })?,
        None => OutEncoding::default(),
    };
    // Options that do nothing for this run are said, not silently dropped.
    if a.out_encoding.is_some() && format != Format::Csv {
        say!("note: --out-encoding applies to CSV output only; this output is UTF-8");
    }
    // `--format` wins over the extension (SPEC §7); a file whose extension names another
    // format would open in the wrong program, so the run says so.
    if let (Some(_), Some(out)) = (&a.format, &a.out)
        && let Some(by_name) = Format::from_path(out)
        && by_name != format
    {
        say!(
            "note: writing {} into '{}', whose extension says {}",
            format!("{format:?}").to_lowercase(),
            out.display(),
            format!("{by_name:?}").to_lowercase()
        );
    }
    a.read.validate(&a.data)?;
    let compiled = Rules::from_path(&a.rules)?.compile()?;
    let mut read = a.read.options(&compiled)?;
    let mut progress = super::RunProgress::reading_into(&a.data, &mut read);
    // The CSV output publishes no audit, so the files' digests are not computed.
    read.digest = format != Format::Csv;
    if format == Format::Csv {
        crate::one_arena_for_a_columns_run();
    }
    clusterscore::timing::mark("start");
    let data = compiled.read_data(&a.data, &read)?;
    clusterscore::timing::mark("read");
    if let Some(p) = progress.as_mut() {
        p.step("scoring");
    }
    // Handed over: a columns-only run frees the input columns once they are scored.
    let mut assessment = compiled.assess_owned(
        data,
        &AssessOptions {
            year: a.year,
            rules_path: a.rules.display().to_string(),
            generated_at: None,
            // CSV is written from the columns alone: no per-entity objects. JSON, Markdown
            // and XLSX build them a block at a time while they are written; HTML too, with
            // the evidence its weight sliders re-score from.
            detail: match format {
                Format::Csv => Detail::Columns,
                Format::Json | Format::Md | Format::Xlsx => Detail::Deferred,
                Format::Html => Detail::Explain,
            },
        },
    )?;
    clusterscore::timing::mark("score");
    // A file being written is named on the spinner; output to the terminal clears it first.
    match (progress.as_mut(), &a.out) {
        (Some(p), Some(out)) => p.step(&format!("writing {}", out.display())),
        _ => progress = None,
    }
    if format == Format::Csv
        && out_enc == OutEncoding::Gbk
        && let Some(w) = clusterscore::report::gbk_warning(&assessment)
    {
        assessment.warnings.push(w);
    }
    match &a.out {
        Some(out) => write_atomic_with(out, |w| render_to(&assessment, format, out_enc, w))?,
        None => super::stream_out(|w| render_to(&assessment, format, out_enc, w))?,
    }
    clusterscore::timing::mark("write");
    drop(progress);
    // JSON, Markdown, HTML and XLSX hold the warnings, and on a terminal they are read
    // there; a CSV, a file, or output redirected (`> r.json`, a pipe) does not show them.
    if format == Format::Csv
        || a.out.is_some()
        || !std::io::IsTerminal::is_terminal(&std::io::stdout())
    {
        super::print_warnings(None, &assessment.warnings);
    }
    // The page holds every entity (about 5 KB each with twenty criteria) and re-scores them
    // all on each slider move: past some thousands it is slow to open and to move.
    if format == Format::Html && assessment.summary.entities > HTML_COMFORTABLE {
        say!(
            "note: the HTML page holds {} entities; a page this large opens slowly and its sliders lag (csv, xlsx or json suit a batch of this size)",
            assessment.summary.entities
        );
    }
    // The process ends next: freeing a large assessment entry by entry (its per-entity
    // maps: about 0.4 s per 100,000 entities) would only delay the exit.
    std::mem::forget(assessment);
    Ok(0)
}
