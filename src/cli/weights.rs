//! `clusterscore weights`: entropy or CRITIC weights from the data's criterion fractions, or
//! AHP weights from pairwise-comparison matrices; optionally written into a rules file.

use clap::Args;
use clusterscore::analysis::rewrite::Level;
use clusterscore::analysis::{AhpPriority, AhpWeights, ObjectiveMethod, RiTable, objective};
use clusterscore::column::format_number;
use clusterscore::diag::{Error, Result};
use clusterscore::engine::{AssessOptions, CompiledRules, Detail};
use clusterscore::report::write_atomic;
use clusterscore::rules::Rules;
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
pub struct WeightsArgs {
    /// The rules file whose criteria are weighed (entropy, critic).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Data file(s) for entropy and critic.
    #[arg(long)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub read: super::DataReadArgs,
    /// Objective method: entropy (熵权法) or critic.
    #[arg(long)]
    pub method: Option<String>,
    /// A pairwise-comparison matrix TOML (层次分析法), one matrix or [[expert]] tables.
    #[arg(long)]
    pub ahp: Option<PathBuf>,
    /// Random-index table for AHP: saaty (default) or textbook (the common Chinese textbook table).
    #[arg(long, default_value = "saaty")]
    pub ri: String,
    /// How AHP weights are taken from the matrix: eigenvector (特征根法, default),
    /// geometric-mean (方根法) or column-average (和积法).
    #[arg(long)]
    pub priority: Option<String>,
    /// Accept an AHP matrix with CR ≥ 0.1.
    #[arg(long)]
    pub allow_inconsistent: bool,
    /// With --ahp: the rules file to write the AHP weights into (needs --level).
    #[arg(long)]
    pub write_into: Option<PathBuf>,
    /// dimensions or criteria: which weights the result replaces.
    #[arg(long)]
    pub level: Option<String>,
    /// Write the rules file with the new weights here (default with --write-into: stdout).
    #[arg(long)]
    pub write: Option<PathBuf>,
    /// Output format: text (default) or json; with --out, a .json file is JSON.
    #[arg(long)]
    pub format: Option<String>,
    /// Write the report to this file (whole or not at all) instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Year to score (overrides [rules].year).
    #[arg(long, allow_negative_numbers = true, value_parser = super::parse_year)]
    pub year: Option<i64>,
}

fn load(path: &Path) -> Result<CompiledRules> {
    Rules::from_path(path)?.compile()
}

pub fn run(a: WeightsArgs) -> Result<i32> {
    let json = super::report_format(a.format.as_deref(), a.out.as_deref())?;
    a.read.validate(&a.data)?;
    let level = a
        .level
        .as_deref()
        .map(|l| {
            Level::from_name(l).ok_or_else(|| {
                Error::usage(format!("unknown --level '{l}': use dimensions or criteria"))
            })
        })
        .transpose()?;
    let mut inputs: Vec<&Path> = Vec::new();
    inputs.extend(a.rules.iter().map(|p| p.as_path()));
    inputs.extend(a.data.iter().map(|p| p.as_path()));
    inputs.extend(a.ahp.iter().map(|p| p.as_path()));
    inputs.extend(a.write_into.iter().map(|p| p.as_path()));
    if let Some(w) = &a.write {
        if w.as_os_str() == "-" {
            return Err(Error::usage(
                "--write needs a file name ('-' would be a file named -): with --write-into, \
                 leave --write out to print the rules file on standard output",
            ));
        }
        // --write writes a rules file: a name that promises another format is a slip.
        if let Some(ext) = w.extension().and_then(|e| e.to_str())
            && clusterscore::report::Format::from_path(w).is_some()
        {
            return Err(Error::usage(format!(
                "--write writes a rules file (TOML), not .{ext}: name it .toml; for the weights \
                 as JSON, use --format json (and redirect the output to a file)"
            )));
        }
        super::refuse_overwrite(w, &inputs)?;
    }
    let out = super::report_out(&a.out, &inputs)?;
    if let (Some(out), Some(w)) = (&out, &a.write)
        && super::same_file(out, w)
    {
        return Err(Error::usage(
            "--out (the report) and --write (the rules file) name the same file: give each its own",
        ));
    }
    match (&a.ahp, &a.method) {
        (Some(_), Some(_)) => Err(Error::usage(
            "give either --ahp MATRIX.toml or --method entropy|critic, not both",
        )),
        (None, None) => Err(Error::usage(
            "give --method entropy|critic (with --rules and --data) or --ahp MATRIX.toml",
        )),
        (Some(m), None) => run_ahp(&a, m, level, json, out.as_deref()),
        (None, Some(method)) => run_objective(&a, method, level, json, out.as_deref()),
    }
}

/// `out`: the report's --out file, `None` for standard output.
fn run_objective(
    a: &WeightsArgs,
    name: &str,
    level: Option<Level>,
    json: bool,
    out: Option<&Path>,
) -> Result<i32> {
    let method = ObjectiveMethod::from_name(name)
        .ok_or_else(|| Error::usage(format!("unknown --method '{name}': use entropy or critic")))?;
    let method_name = name;
    let (Some(rules_path), false) = (&a.rules, a.data.is_empty()) else {
        return Err(Error::usage(format!(
            "--method {method_name} needs --rules and --data"
        )));
    };
    if a.write_into.is_some() {
        return Err(Error::usage(
            "--write-into goes with --ahp; with --method use --write OUT.toml",
        ));
    }
    if a.allow_inconsistent {
        say!(
            "note: --allow-inconsistent applies to --ahp only; entropy and CRITIC have no consistency ratio"
        );
    }
    if a.priority.is_some() {
        return Err(Error::usage(
            "--priority says how AHP weights are taken from a pairwise matrix: it goes with --ahp, not --method",
        ));
    }
    if level.is_some() && a.write.is_none() {
        say!(
            "note: --level says which weights --write replaces; without --write nothing is written"
        );
    }
    let compiled = load(rules_path)?;
    let (_, assessment, progress) = super::read_and_score(
        &compiled,
        &a.data,
        &a.read,
        &AssessOptions {
            year: a.year,
            rules_path: rules_path.display().to_string(),
            generated_at: None,
            // The criterion fractions are all the weights read.
            detail: Detail::Evidence,
        },
    )?;
    drop(progress);
    super::print_warnings(None, &assessment.warnings);
    let weights = objective(&compiled, &assessment, method)?;
    let r = compiled.rules();
    let report = if json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&weights).expect("json")
        )
    } else {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "criterion",
            "label",
            "dimension",
            "weight",
            "points now",
            "points by weight",
        ]);
        for (c, crit) in weights.criteria.iter().zip(&r.criteria) {
            t.add_row(vec![
                c.id.clone(),
                crit.label().to_string(),
                c.dimension.clone(),
                format!("{:.4}", c.weight),
                format_number(c.current_points),
                format!("{:.2}", c.points),
            ]);
        }
        let mut d = comfy_table::Table::new();
        d.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        d.set_header(vec![
            "dimension",
            "label",
            "weight",
            "weight now",
            "weight by method",
        ]);
        for (w, dim) in weights.dimensions.iter().zip(&r.dimensions) {
            d.add_row(vec![
                w.id.clone(),
                dim.label().to_string(),
                format!("{:.4}", w.weight),
                format_number(w.current_weight),
                format!("{:.2}", w.implied_weight),
            ]);
        }
        let name = match method {
            ObjectiveMethod::Entropy => "entropy (熵权法)",
            ObjectiveMethod::Critic => "CRITIC",
        };
        format!(
            "{name} weights from {} ranked {}\n\n{t}\n\n{d}\n",
            weights.entities,
            clusterscore::diag::agree(weights.entities, "entity", "entities")
        )
    };
    // The rules file first: nothing is printed when writing it fails (SPEC §10).
    if let Some(write) = &a.write {
        let text = std::fs::read_to_string(rules_path)
            .map_err(|e| Error::io(&rules_path.display().to_string(), &e))?;
        let level = level.unwrap_or(Level::Criteria);
        let new = weights.rewrite(&compiled, &text, level)?;
        write_atomic(write, new.as_bytes())?;
        written(write, level, &new, compiled.rules(), None);
    }
    if let Some(warning) = weights.fallback_warning() {
        say!("warning: {warning}");
    }
    if let Some(warning) = weights.constant_warning() {
        say!("warning: {warning}");
    }
    if let Some(warning) = weights.single_criterion_warning() {
        say!("warning: {warning}");
    }
    super::deliver(out, report.as_bytes())?;
    Ok(0)
}

/// Says what was written where, and warns of what the new weights leave out of reach: a
/// threshold on a dimension or criterion that its new maximum can no longer meet (a tier's
/// `requires specialization >= 15` once specialization weighs 9.15), a tier above the new
/// maximum. Thresholds are the designer's to rescale: they are not changed.
/// The `scale` written along with first dimension weights (rewrite::write_weights), said
/// beside the weights.
fn scale_added(text: &str, before: &clusterscore::rules::Rules) -> Option<String> {
    let after = before
        .settings
        .scale
        .is_none()
        .then(|| clusterscore::rules::Rules::from_str_named(text, "").ok())
        .flatten()?;
    after.settings.scale.map(|s| {
        format!(
            "[rules] scale = {}: the maximum score the file had, which the weights now share",
            clusterscore::column::format_display(s)
        )
    })
}

/// `shared`: with --ahp, what the compared items had in all, which their AHP weights (adding
/// up to 1) now share.
fn written(
    out: &Path,
    level: Level,
    text: &str,
    before: &clusterscore::rules::Rules,
    shared: Option<f64>,
) {
    let scale_added = scale_added(text, before);
    // (The item, its plural, the number written, what it had before, what else changes.)
    let (item, items, what, had, kept) = match level {
        Level::Dimensions => (
            "dimension",
            "dimensions",
            "weight",
            "weights",
            "criterion points kept",
        ),
        Level::Criteria => (
            "criterion",
            "criteria",
            "points",
            "points",
            "band and other point values scaled along",
        ),
    };
    let how = match shared {
        // The AHP weights times what the compared items had: said, since the file's
        // numbers are then not the weights printed.
        Some(total) if (total - 1.0).abs() > 1e-9 => format!(
            "each {item}'s {what} as its AHP weight × {}, the {had} the compared {items} had in all ({kept})",
            clusterscore::column::format_display(total)
        ),
        _ => format!("the weights as each {item}'s {what} ({kept})"),
    };
    say!(
        "wrote {}: {how}{}",
        out.display(),
        scale_added.map_or(String::new(), |s| format!(", and {s}"))
    );
    for w in
        clusterscore::analysis::rewrite::rewrite_warnings(before, text, &out.display().to_string())
    {
        say!("warning: {w}");
    }
}

/// `out`: the report's --out file, `None` for standard output.
fn run_ahp(
    a: &WeightsArgs,
    path: &Path,
    level: Option<Level>,
    json: bool,
    out: Option<&Path>,
) -> Result<i32> {
    let Some(table) = RiTable::from_name(&a.ri) else {
        return Err(Error::usage(format!(
            "unknown --ri '{}': use saaty or textbook",
            a.ri
        )));
    };
    let priority = match a.priority.as_deref() {
        None => AhpPriority::Eigenvector,
        Some(name) => AhpPriority::from_name(name).ok_or_else(|| {
            Error::usage(format!(
                "unknown --priority '{name}': use eigenvector (特征根法), geometric-mean (方根法) \
                 or column-average (和积法)"
            ))
        })?,
    };
    if a.write_into.is_some() && level.is_none() {
        return Err(Error::usage(
            "--write-into needs --level dimensions|criteria",
        ));
    }
    if a.write.is_some() && a.write_into.is_none() {
        return Err(Error::usage(
            "with --ahp, --write needs --write-into RULES (the rules file to start from) and --level",
        ));
    }
    if level.is_some() && a.write_into.is_none() {
        return Err(Error::usage(
            "with --ahp, --level says where --write-into puts the weights; give --write-into RULES too, or leave --level out",
        ));
    }
    if a.rules.is_some() || !a.data.is_empty() {
        say!(
            "note: --rules and --data are not read with --ahp: the weights come from the matrix alone (give the rules file to --write-into to check the items against it and write them in)"
        );
    }
    let weights = AhpWeights::from_path_by(path, table, priority, a.allow_inconsistent)?;
    if let Some(w) = weights.off_scale_warning() {
        say!("warning: {w}");
    }
    if let Some(w) = weights.expert_warning() {
        say!("warning: {w}");
    }
    for w in weights.rounded_warnings() {
        say!("warning: {w}");
    }
    // Everything that can fail is done before anything is written or printed.
    let (new_rules, shared) = match (&a.write_into, level) {
        (Some(into), Some(level)) => {
            let written = weights.write_into(into, level)?;
            for w in &written.warnings {
                say!("warning: {w}");
            }
            (Some(written.text), Some(written.shared))
        }
        _ => (None, None),
    };
    let report = if json {
        weights.to_json()
    } else {
        weights.to_text()
    };
    match (new_rules, &a.write) {
        (Some(rules), Some(write)) => {
            write_atomic(write, rules.as_bytes())?;
            // (The file the weights went into, to compare labels with; it read before.)
            let before = a
                .write_into
                .as_deref()
                .and_then(|p| clusterscore::rules::Rules::from_path(p).ok());
            if let (Some(level), Some(before)) = (level, before) {
                written(write, level, &rules, &before, shared);
            }
            super::deliver(out, report.as_bytes())?;
        }
        // Standard output carries the rules file, so the report goes to its --out file or
        // to standard error (mixed in, the output would not be a rules file any more).
        (Some(rules), None) => {
            if let Some(s) = a
                .write_into
                .as_deref()
                .and_then(|p| clusterscore::rules::Rules::from_path(p).ok())
                .and_then(|before| scale_added(&rules, &before))
            {
                say!("note: the rules file on standard output also gains {s}");
            }
            match out {
                Some(_) => super::deliver(out, report.as_bytes())?,
                None => say_part!("{report}"),
            }
            super::print_out(rules.as_bytes())?;
        }
        (None, _) => super::deliver(out, report.as_bytes())?,
    }
    Ok(0)
}
