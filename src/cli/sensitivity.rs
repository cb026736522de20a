//! `clusterscore sensitivity`: Monte Carlo over weights, criterion points or the method.

use clap::Args;
use clusterscore::analysis::sensitivity::{
    MAX_RUNS, SensitivityOptions, SensitivityReport, Vary, draws_csv, run as run_mc,
};
use clusterscore::column::format_fixed;
use clusterscore::diag::{Error, Result};
use clusterscore::engine::{AssessOptions, Detail};
use clusterscore::report::write_atomic;
use clusterscore::rules::Rules;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct SensitivityArgs {
    /// The rules file (TOML).
    #[arg(long)]
    pub rules: PathBuf,
    /// Data file(s); repeat for several files.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub read: super::DataReadArgs,
    /// Number of replications (≥ 1).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true, value_parser = super::parse_whole::<usize>)]
    pub runs: usize,
    /// δ: each weight is multiplied by a factor drawn from U[1−δ, 1+δ] (0 < δ < 1).
    #[arg(long, default_value_t = 0.2, allow_negative_numbers = true, value_parser = super::parse_noise)]
    pub weight_noise: f64,
    /// Random seed; the same seed gives the same output on any number of threads.
    #[arg(long, default_value_t = 42, allow_negative_numbers = true, value_parser = super::parse_whole::<u64>)]
    pub seed: u64,
    /// What to vary: weights (dimension weights), criteria (criterion points) or
    /// aggregation (dimension weights and the method).
    #[arg(long, default_value = "weights")]
    pub vary: String,
    /// Write every replication's drawn weights, criterion points and method to this CSV file.
    #[arg(long)]
    pub runs_out: Option<PathBuf>,
    /// Output format: text (default) or json; with --out, a .json file is JSON.
    #[arg(long)]
    pub format: Option<String>,
    /// Write the report to this file (whole or not at all) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, allow_negative_numbers = true, value_parser = super::parse_whole::<usize>)]
    pub threads: Option<usize>,
    /// Year to score (overrides [rules].year).
    #[arg(long, allow_negative_numbers = true, value_parser = super::parse_year)]
    pub year: Option<i64>,
}

/// The largest `--threads` accepted.
const MAX_THREADS: usize = 1024;

pub fn run(a: SensitivityArgs) -> Result<i32> {
    let json = super::report_format(a.format.as_deref(), a.out.as_deref())?;
    let mut inputs = vec![a.rules.as_path()];
    inputs.extend(a.data.iter().map(|p| p.as_path()));
    let out_file = super::report_out(&a.out, &inputs)?;
    if let (Some(out), Some(runs)) = (&out_file, &a.runs_out)
        && super::same_file(out, runs)
    {
        return Err(Error::usage(
            "--out and --runs-out name the same file: give each its own",
        ));
    }
    a.read.validate(&a.data)?;
    if a.runs < 1 {
        return Err(Error::usage("--runs must be at least 1"));
    }
    // (The library checks the same ranges; here they are said in the flags' words, and
    // before the data is read.)
    if a.runs > MAX_RUNS {
        return Err(Error::usage(format!(
            "--runs must be at most {MAX_RUNS} (got {}); a million replications estimate each probability to within ±0.001",
            a.runs
        )));
    }
    if !(a.weight_noise > 0.0 && a.weight_noise < 1.0) {
        return Err(Error::usage(format!(
            "--weight-noise must be strictly between 0 and 1 (got {})",
            a.weight_noise
        )));
    }
    let vary = Vary::from_name(&a.vary).ok_or_else(|| {
        Error::usage(format!(
            "unknown --vary '{}': use weights, criteria or aggregation",
            a.vary
        ))
    })?;
    if a.threads == Some(0) {
        return Err(Error::usage("--threads must be at least 1"));
    }
    if let Some(t) = a.threads.filter(|&t| t > MAX_THREADS) {
        return Err(Error::usage(format!(
            "--threads must be at most {MAX_THREADS} (got {t}); more threads than cores only add start-up time"
        )));
    }
    if let Some(out) = &a.runs_out
        && (out.as_os_str() == "-"
            || out
                .extension()
                .is_some_and(|e| !e.eq_ignore_ascii_case("csv")))
    {
        return Err(Error::usage(format!(
            "--runs-out writes CSV: name the file with .csv instead of '{}'",
            out.display()
        )));
    }
    if let Some(out) = &a.runs_out {
        let mut inputs: Vec<&Path> = vec![a.rules.as_path()];
        inputs.extend(a.data.iter().map(|p| p.as_path()));
        super::refuse_overwrite(out, &inputs)?;
    }
    let compiled = Rules::from_path(&a.rules)?.compile()?;
    let (_, assessment, progress) = super::read_and_score(
        &compiled,
        &a.data,
        &a.read,
        &AssessOptions {
            year: a.year,
            rules_path: a.rules.display().to_string(),
            generated_at: None,
            // The replications re-score the evidence; names come from the sheet.
            detail: Detail::Evidence,
        },
    )?;
    // (The replications have a bar of their own.)
    drop(progress);
    super::print_warnings(None, &assessment.warnings);
    let ev = assessment
        .evidence
        .clone()
        .expect("the engine keeps its evidence");
    let r = compiled.rules();
    let opts = SensitivityOptions::for_rules(&compiled, a.runs, a.weight_noise, a.seed, vary);
    let bar = if std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(a.runs as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} replications {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    let tick = || {
        if let Some(b) = &bar {
            b.inc(1);
        }
    };
    let work = || run_mc(&ev, &opts, &tick);
    let (report, draws) = match a.threads {
        Some(t) => rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .map_err(|e| Error::usage(format!("cannot start {t} threads: {e}")))?
            .install(work),
        None => work(),
    }?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    if let Some(out) = &a.runs_out {
        let dims: Vec<String> = r.dimensions.iter().map(|d| d.id.value.clone()).collect();
        let crits: Vec<String> = r.criteria.iter().map(|c| c.id.value.clone()).collect();
        write_atomic(out, draws_csv(&draws, &dims, &crits).as_bytes())?;
    }
    let sheet = &assessment.sheet;
    let names: std::collections::HashMap<&str, &str> = (0..sheet.order.len())
        .filter_map(|e| {
            let name = sheet.names.as_ref()?.get(e)?;
            Some((sheet.ids.get(e)?, name))
        })
        .collect();
    let excluded = assessment.summary.excluded;
    super::print_warnings(None, &report.warnings);
    // The JSON carries the base run's warnings (printed above, before the replications)
    // ahead of the analysis's own.
    let mut report = report;
    report.audit = Some(assessment.audit.of_inputs());
    report.warnings = assessment
        .warnings
        .iter()
        .cloned()
        .chain(std::mem::take(&mut report.warnings))
        .collect();
    let out = if json {
        let mut s = serde_json::to_string_pretty(&report).expect("serialisable");
        s.push('\n');
        s
    } else {
        render(&report, &names, excluded)
    };
    super::deliver(out_file.as_deref(), out.as_bytes())?;
    Ok(0)
}

fn render(
    r: &SensitivityReport,
    names: &std::collections::HashMap<&str, &str>,
    excluded: usize,
) -> String {
    let mut s = format!(
        "{} {}, vary {}, weight noise ±{}, seed {}\nmean Spearman ρ to the base ranking: {}\n{}\n",
        r.runs,
        if r.runs == 1 {
            "replication"
        } else {
            "replications"
        },
        r.vary.name(),
        r.weight_noise,
        r.seed,
        r.mean_spearman
            .map_or("undefined".into(), |x| format_fixed(x, 4)),
        match (&r.top_tier, r.top_tier_unchanged) {
            (Some(t), Some(share)) => format!(
                "top tier '{t}' unchanged in {}% of replications",
                format_fixed(share * 100.0, 1)
            ),
            _ => "no tiers: no top tier to keep".to_string(),
        }
    );
    if excluded > 0 {
        s.push_str(&format!(
            "{} excluded by a gate {} not ranked and not listed\n",
            clusterscore::diag::entities(excluded),
            clusterscore::diag::agree(excluded, "is", "are")
        ));
    }
    let cohorts = r.entities.iter().any(|e| e.cohort.is_some());
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let mut header: Vec<String> = ["id", "name", "base rank", "median", "5%–95%", "base tier"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    if cohorts {
        header.insert(2, "cohort".into());
    }
    // ("(untiered)" is in brackets already.)
    header.extend(r.tiers.iter().map(|t| match t.strip_prefix('(') {
        Some(_) => format!("P{t}"),
        None => format!("P({t})"),
    }));
    t.set_header(header);
    for e in &r.entities {
        let mut row = vec![
            e.id.clone(),
            names
                .get(e.id.as_str())
                .map(|n| n.to_string())
                .unwrap_or_default(),
            e.base_rank.to_string(),
            e.median_rank.to_string(),
            format!("{}–{}", e.rank_p05, e.rank_p95),
            e.base_tier.clone().unwrap_or_else(|| "—".into()),
        ];
        if cohorts {
            row.insert(2, e.cohort.clone().unwrap_or_else(|| "—".into()));
        }
        row.extend(e.tier_probability.values().map(|p| format_fixed(*p, 3)));
        t.add_row(row);
    }
    s.push_str(&format!("{t}\n"));
    s
}
