//! `clusterscore compare`: two rules files on one data set, or two result JSON files.

use clap::Args;
use clusterscore::analysis::compare::{Comparison, Side, TierDirection, compare};
use clusterscore::diag::{Diagnostic, Error, Result, Stage};
use clusterscore::engine::AssessOptions;
use clusterscore::rules::Rules;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Two rules files (A then B) scored on the same --data.
    #[arg(long, num_args = 1)]
    pub rules: Vec<PathBuf>,
    /// Data file(s) for --rules.
    #[arg(long)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub read: super::DataReadArgs,
    /// Two result files (A then B), the JSON output of `score --format json`.
    #[arg(long, num_args = 1, conflicts_with_all = ["rules", "data", "sheet", "encoding", "delimiter"])]
    pub results: Vec<PathBuf>,
    /// Output format: text (default) or json; with --out, a .json file is JSON.
    #[arg(long)]
    pub format: Option<String>,
    /// Write the report to this file (whole or not at all) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Year to score with --rules.
    #[arg(long, allow_negative_numbers = true, value_parser = super::parse_year)]
    pub year: Option<i64>,
    /// How many of the largest rank moves to list.
    #[arg(long, default_value_t = 10, allow_negative_numbers = true, value_parser = super::parse_whole::<usize>)]
    pub top: usize,
}

fn side_from_rules(
    rules: &PathBuf,
    data: &[PathBuf],
    read: &super::DataReadArgs,
    year: Option<i64>,
) -> Result<(Side, Vec<String>)> {
    let compiled = Rules::from_path(rules)?.compile()?;
    let (_, a, progress) = super::read_and_score(
        &compiled,
        data,
        read,
        &AssessOptions {
            year,
            rules_path: rules.display().to_string(),
            generated_at: None,
            // Compare reads each entity's id, rank, score, tier and cohort only: from the
            // columns, without building every entity's whole result.
            detail: clusterscore::engine::Detail::Deferred,
        },
    )?;
    drop(progress);
    super::print_warnings(Some(rules), &a.warnings);
    // As printed: each warning says which rules file's run it comes from.
    let warnings = a
        .warnings
        .iter()
        .map(|w| super::of_rules_file(rules, w))
        .collect();
    Ok((
        Side::from_assessment(&a, rules.display().to_string()),
        warnings,
    ))
}

fn side_from_results(path: &std::path::Path) -> Result<Side> {
    let name = path.display().to_string();
    let bytes = clusterscore::diag::read_bounded(path, &name, "results file")?;
    // Saved again by Notepad or WPS: with a byte-order mark, or as UTF-16.
    let text: std::borrow::Cow<'_, [u8]> = match encoding_rs::Encoding::for_bom(&bytes) {
        Some((enc, bom)) if enc != encoding_rs::UTF_8 => enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned()
            .into_bytes()
            .into(),
        Some((_, bom)) => bytes[bom..].into(),
        None => bytes[..].into(),
    };
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        Error::one(
            Diagnostic::new(Stage::Data, format!("'{name}' is not valid JSON: {e}")).with_help(
                "--results takes the JSON a score run writes: clusterscore score … --out result.json \
                 (to compare two rules files on data, give --rules twice and --data)",
            ),
        )
    })?;
    Side::from_json(&v, name).map_err(|m| {
        Error::one(Diagnostic::new(Stage::Data, m).with_help(
            "--results takes a score run's JSON as written: write it again (clusterscore \
             score … --format json --out result.json) rather than editing it by hand",
        ))
    })
}

pub fn run(a: CompareArgs) -> Result<i32> {
    let json = super::report_format(a.format.as_deref(), a.out.as_deref())?;
    let inputs: Vec<&std::path::Path> = a
        .rules
        .iter()
        .chain(&a.data)
        .chain(&a.results)
        .map(|p| p.as_path())
        .collect();
    let out_file = super::report_out(&a.out, &inputs)?;
    let (sa, sb) = if !a.results.is_empty() {
        if a.results.len() != 2 {
            return Err(Error::usage(
                "compare needs exactly two --results files (A then B)",
            ));
        }
        let (ra, rb) = (
            side_from_results(&a.results[0])?,
            side_from_results(&a.results[1])?,
        );
        let found = clusterscore::analysis::compare::check_results(&ra, &rb)
            .map_err(|m| Error::one(Diagnostic::new(Stage::Data, m)))?;
        super::print_warnings(None, &found);
        ((ra, found), (rb, Vec::new()))
    } else {
        if a.rules.len() != 2 || a.data.is_empty() {
            return Err(Error::usage(
                "compare needs --rules A --rules B --data D, or --results a.json --results b.json",
            ));
        }
        a.read.validate(&a.data)?;
        // An error of either side says which rules file it scored with (a data error
        // names only the data file, which both sides read).
        let side = |k: usize, label: &str| {
            side_from_rules(&a.rules[k], &a.data, &a.read, a.year).map_err(|mut e| {
                let rules = a.rules[k].display().to_string();
                for d in &mut e.diagnostics {
                    if !d.location.as_deref().is_some_and(|l| l.starts_with(&rules)) {
                        d.message
                            .push_str(&format!(" (scoring with rules {label}, {rules})"));
                    }
                }
                e
            })
        };
        (side(0, "A")?, side(1, "B")?)
    };
    let ((sa, wa), (sb, wb)) = (sa, sb);
    let mut c = compare(&sa, &sb, a.top);
    super::print_warnings(None, &c.warnings);
    // The JSON carries both runs' warnings (printed as each side was scored) ahead of the
    // comparison's own.
    c.warnings = wa
        .into_iter()
        .chain(wb)
        .chain(std::mem::take(&mut c.warnings))
        .collect();
    let out = if json {
        let mut s = serde_json::to_string_pretty(&c).expect("serialisable");
        s.push('\n');
        s
    } else {
        render(&c)
    };
    super::deliver(out_file.as_deref(), out.as_bytes())?;
    Ok(0)
}

fn corr(x: Option<f64>) -> String {
    x.map_or("undefined".into(), |v| format!("{v:.4}"))
}

/// How many ids, then the first ten of them in brackets: `2 (E1, E7)`.
fn some(ids: &[String]) -> String {
    match ids.len() {
        0 => "0".into(),
        n => format!(
            "{n} ({}{})",
            ids[..n.min(10)].join(", "),
            if n > 10 { ", …" } else { "" }
        ),
    }
}

fn render(c: &Comparison) -> String {
    let mut s = format!(
        "A: {}\nB: {}\n{} in both, {} ranked in both; only in A: {}, only in B: {}\nSpearman ρ = {}   Kendall τ-b = {}\n",
        c.a,
        c.b,
        clusterscore::diag::entities(c.common),
        c.ranked_in_both,
        some(&c.only_in_a),
        some(&c.only_in_b),
        corr(c.spearman),
        corr(c.kendall_tau_b)
    );
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let mut header = vec!["A \\ B".to_string()];
    header.extend(c.tiers.iter().cloned());
    t.set_header(header);
    for (i, row) in c.matrix.iter().enumerate() {
        let mut cells = vec![c.tiers[i].clone()];
        cells.extend(row.iter().map(|x| x.to_string()));
        t.add_row(cells);
    }
    s.push_str(&format!("\nTier transitions (rows A, columns B)\n{t}\n"));
    if c.tier_changes.is_empty() {
        s.push_str("\nNo entity changed tier.\n");
    } else {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "id", "name", "tier A", "tier B", "change", "rank A", "rank B",
        ]);
        for x in &c.tier_changes {
            t.add_row(vec![
                x.id.clone(),
                x.name.clone().unwrap_or_default(),
                x.from.clone(),
                x.to.clone(),
                match x.direction {
                    Some(TierDirection::Up) => "up".into(),
                    Some(TierDirection::Down) => "down".into(),
                    None => String::new(),
                },
                x.rank_a.map_or("—".into(), |r| r.to_string()),
                x.rank_b.map_or("—".into(), |r| r.to_string()),
            ]);
        }
        s.push_str(&format!("\nTier changes\n{t}\n"));
    }
    if !c.rank_moves.is_empty() {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(vec!["id", "name", "rank A", "rank B", "move"]);
        for m in &c.rank_moves {
            t.add_row(vec![
                m.id.clone(),
                m.name.clone().unwrap_or_default(),
                m.rank_a.to_string(),
                m.rank_b.to_string(),
                format!("{}{}", if m.change > 0 { "+" } else { "" }, m.change),
            ]);
        }
        s.push_str(&format!("\nLargest rank moves (+ = up under B)\n{t}\n"));
        if c.rank_moves_not_shown > 0 {
            s.push_str(&format!(
                "… and {} more {} moved (--top to list more)\n",
                c.rank_moves_not_shown,
                clusterscore::diag::agree(c.rank_moves_not_shown, "entity", "entities")
            ));
        }
    }
    s
}
