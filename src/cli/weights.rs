//! `clusterscore weights`: entropy or CRITIC weights from the data's criterion fractions, or
//! AHP weights from pairwise-comparison matrices; optionally written into a rules file.

use clap::Args;
use clusterscore::analysis::ahp::{most_inconsistent, show_judgement};
use clusterscore::analysis::rewrite::{Level, write_weights};
use clusterscore::analysis::{
    AhpMatrix, AhpResult, ObjectiveMethod, RiTable, ahp, group_matrix, objective, parse_ahp_toml,
};
use clusterscore::column::format_number;
use clusterscore::diag::{
    Diagnostic, Error, Result, SourceText, Stage, did_you_mean_help, truncate,
};
use clusterscore::engine::{AssessOptions, CompiledRules};
use clusterscore::report::write_atomic;
use clusterscore::rules::Rules;
use serde_json::json;
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
    /// Output format: text (default) or json.
    #[arg(long, default_value = "text")]
    pub format: String,
    /// Year to score (overrides [rules].year).
    #[arg(long, allow_negative_numbers = true, value_parser = super::parse_year)]
    pub year: Option<i64>,
}

fn load(path: &Path) -> Result<CompiledRules> {
    Rules::from_path(path)?.compile()
}

pub fn run(a: WeightsArgs) -> Result<i32> {
    let json = super::text_or_json(&a.format)?;
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
    match (&a.ahp, &a.method) {
        (Some(_), Some(_)) => Err(Error::usage(
            "give either --ahp MATRIX.toml or --method entropy|critic, not both",
        )),
        (None, None) => Err(Error::usage(
            "give --method entropy|critic (with --rules and --data) or --ahp MATRIX.toml",
        )),
        (Some(m), None) => run_ahp(&a, m, level, json),
        (None, Some(method)) => run_objective(&a, method, level, json),
    }
}

fn run_objective(a: &WeightsArgs, name: &str, level: Option<Level>, json: bool) -> Result<i32> {
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
    let compiled = load(rules_path)?;
    let data = compiled.read_data(&a.data, &a.read.options(&compiled)?)?;
    let assessment = compiled.assess_with(
        &data,
        &AssessOptions {
            year: a.year,
            rules_path: rules_path.display().to_string(),
            generated_at: None,
            ..Default::default()
        },
    )?;
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
    if let Some(out) = &a.write {
        let text = std::fs::read_to_string(rules_path)
            .map_err(|e| Error::io(&rules_path.display().to_string(), &e))?;
        let level = level.unwrap_or(Level::Criteria);
        let new = weights.rewrite(&compiled, &text, level)?;
        write_atomic(out, new.as_bytes())?;
        written(out, level, &new, compiled.rules());
    }
    if let Some(warning) = weights.fallback_warning() {
        say!("warning: {warning}");
    }
    if let Some(warning) = weights.constant_warning() {
        say!("warning: {warning}");
    }
    super::print_out(report.as_bytes())?;
    Ok(0)
}

/// Says what was written where, and warns of what the new weights leave out of reach: a
/// threshold on a dimension or criterion that its new maximum can no longer meet (a tier's
/// `requires specialization >= 15` once specialization weighs 9.15), a tier above the new
/// maximum. Thresholds are the designer's to rescale: they are not changed.
fn written(out: &Path, level: Level, text: &str, before: &clusterscore::rules::Rules) {
    say!(
        "wrote {}: the weights as {}",
        out.display(),
        match level {
            Level::Dimensions => "each dimension's weight (criterion points kept)",
            Level::Criteria => "each criterion's points (band and other point values scaled along)",
        }
    );
    if let Ok(rules) = clusterscore::rules::Rules::from_str_named(text, &out.display().to_string())
    {
        for w in clusterscore::rules::lint::result_changing(&rules) {
            say!("warning: {w}");
        }
        for w in clusterscore::analysis::rewrite::stale_point_labels(before, &rules) {
            say!("warning: {w}");
        }
    }
}

fn run_ahp(a: &WeightsArgs, path: &Path, level: Option<Level>, json: bool) -> Result<i32> {
    let Some(table) = RiTable::from_name(&a.ri) else {
        return Err(Error::usage(format!(
            "unknown --ri '{}': use saaty or textbook",
            a.ri
        )));
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
    let name = path.display().to_string();
    let text = clusterscore::diag::read_utf8_file(path, &name, "AHP matrix file")?;
    let source = SourceText::new(name.clone(), text.clone());
    let matrices = parse_ahp_toml(&text, &name)?;
    let mut experts = Vec::new();
    for m in &matrices {
        let r = ahp(m.matrix.view(), table)?;
        experts.push((m.name.clone(), r.cr));
    }
    let combined = group_matrix(&matrices).ok_or_else(|| {
        Error::one(Diagnostic::new(
            Stage::Rules,
            format!("{name}: no matrix found"),
        ))
    })?;
    let res = ahp(combined.matrix.view(), table)?;
    let items = combined.items.clone();
    if !res.is_consistent() && !a.allow_inconsistent {
        return Err(Error::one(inconsistent(
            &source, &matrices, &combined, &res, &experts,
        )));
    }
    // Everything that can fail is done before anything is written or printed.
    let new_rules = match (&a.write_into, level) {
        (Some(into), Some(level)) => Some(rules_with_ahp_weights(
            into, level, &source, &combined, &res,
        )?),
        _ => None,
    };
    let report = if json {
        let v = json!({
            "items": items,
            "weights": res.weights.to_vec(),
            "lambda_max": res.lambda_max,
            "ci": res.ci,
            "ri": res.ri,
            "cr": res.cr,
            "ri_table": res.ri_table.name(),
            "consistent": res.is_consistent(),
            "experts": experts.iter().map(|(n, cr)| json!({"name": n, "cr": cr})).collect::<Vec<_>>(),
        });
        format!("{}\n", serde_json::to_string_pretty(&v).expect("json"))
    } else {
        let mut s = String::new();
        if matrices.len() > 1 {
            s.push_str(&format!(
                "{} experts combined by the geometric mean of judgements\n",
                matrices.len()
            ));
            for (k, (n, cr)) in experts.iter().enumerate() {
                s.push_str(&format!(
                    "  {}: CR = {}\n",
                    n.clone().unwrap_or_else(|| format!("expert {}", k + 1)),
                    show_cr(*cr)
                ));
            }
        }
        for (i, w) in items.iter().zip(res.weights.iter()) {
            s.push_str(&format!("{i:<24} {w:.4}\n"));
        }
        s.push_str(&format!(
            "λmax = {:.4}, CI = {:.4}, RI = {:.2} ({} table), CR = {} — {}\n",
            res.lambda_max,
            res.ci,
            res.ri,
            res.ri_table.name(),
            show_cr(res.cr),
            if res.is_consistent() {
                "consistent (CR < 0.1)"
            } else {
                "NOT consistent (CR ≥ 0.1)"
            }
        ));
        s
    };
    match (new_rules, &a.write) {
        (Some(rules), Some(out)) => {
            write_atomic(out, rules.as_bytes())?;
            // (The file the weights went into, to compare labels with; it read before.)
            let before = a
                .write_into
                .as_deref()
                .and_then(|p| clusterscore::rules::Rules::from_path(p).ok());
            if let (Some(level), Some(before)) = (level, before) {
                written(out, level, &rules, &before);
            }
            super::print_out(report.as_bytes())?;
        }
        // Standard output carries the rules file, so the report goes to standard error
        // (mixed in, the output would not be a rules file any more).
        (Some(rules), None) => {
            say_part!("{report}");
            super::print_out(rules.as_bytes())?;
        }
        (None, _) => super::print_out(report.as_bytes())?,
    }
    Ok(0)
}

/// A consistency ratio to four decimals; just below 0.1 it shows 0.0999 rather than round up
/// to 0.1000, so that the number shown and the verdict ("consistent (CR < 0.1)") agree.
fn show_cr(cr: f64) -> String {
    if (0.09995..0.1).contains(&cr) {
        "0.0999".to_string()
    } else {
        format!("{cr:.4}")
    }
}

/// The refusal of a matrix with CR ≥ 0.1: at the judgement that disagrees most with the
/// weights, with the value the weights give there. For a group, the pair is found in the
/// combined matrix and the place is that pair in the expert matrix furthest from the weights.
fn inconsistent(
    source: &SourceText,
    matrices: &[AhpMatrix],
    m: &AhpMatrix,
    res: &AhpResult,
    experts: &[(Option<String>, f64)],
) -> Diagnostic {
    let name = &source.name;
    let mut message = format!(
        "the comparison matrix is inconsistent: CR = {} ≥ 0.1 ({} RI table; λmax = {:.4}, \
         CI = {:.4}, RI = {:.2})",
        show_cr(res.cr),
        res.ri_table.name(),
        res.lambda_max,
        res.ci,
        res.ri
    );
    if experts.len() > 1 {
        let list: Vec<String> = experts
            .iter()
            .enumerate()
            .map(|(k, (n, cr))| match n {
                Some(n) => format!("expert {} ('{n}') {}", k + 1, show_cr(*cr)),
                None => format!("expert {} {}", k + 1, show_cr(*cr)),
            })
            .collect();
        message.push_str(&format!(
            " for the geometric mean of {} experts (CR of each: {})",
            experts.len(),
            list.join(", ")
        ));
    }
    let worst = most_inconsistent(m.matrix.view(), &res.weights);
    let mut help = String::from("revise the judgements that contradict each other");
    let n = m.items.len();
    let mut span = None;
    if let Some((i, j, value, implied)) = worst {
        let of = if experts.len() > 1 {
            " of the combined matrix"
        } else {
            ""
        };
        message.push_str(&format!(
            "; the judgement furthest from the weights{of} is row {}, column {} ({} vs {}) = {}, \
             where the weights give {implied:.2}",
            i + 1,
            j + 1,
            m.items[i],
            m.items[j],
            show_judgement(value),
        ));
        help.push_str(&format!(", starting with {} vs {}", m.items[i], m.items[j]));
        span = m.entry_spans.get(i * n + j).copied();
        // A group: the expert whose judgement of that pair is furthest from the weights.
        let off = |e: &AhpMatrix| (e.matrix[[i, j]] / implied).ln().abs();
        if span.is_none()
            && let Some((k, e)) = matrices
                .iter()
                .enumerate()
                .filter(|(_, e)| e.matrix.dim() == (n, n) && off(e).is_finite())
                .max_by(|(_, a), (_, b)| off(a).total_cmp(&off(b)))
        {
            let who = match &e.name {
                Some(name) => format!("expert {} ('{name}')", k + 1),
                None => format!("expert {}", k + 1),
            };
            message.push_str(&format!(
                "; {who} wrote {} there",
                show_judgement(e.matrix[[i, j]])
            ));
            span = e.entry_spans.get(i * n + j).copied();
        }
    }
    help.push_str(", or pass --allow-inconsistent to use the weights anyway");
    let d = Diagnostic::new(Stage::Rules, message).with_help(help);
    match span {
        Some(span) => d.in_source(source, span),
        None => d.at(name.clone()),
    }
}

/// The rules file `into` with the AHP weights of `m` in place of the current ones at `level`
/// (the listed items share the total they had; the others keep theirs). Every item that is
/// not an id there is an error at its place in the matrix file.
fn rules_with_ahp_weights(
    into: &Path,
    level: Level,
    source: &SourceText,
    m: &AhpMatrix,
    res: &AhpResult,
) -> Result<String> {
    let compiled = load(into)?;
    let r = compiled.rules();
    let items = &m.items;
    // Criteria of different dimensions with dimension weights: each dimension's weight
    // decides its share whatever its criteria's points, so the judgement between them
    // changes no score. Said, not silently written.
    if level == Level::Criteria && r.dimensions.iter().any(|d| d.weight.is_some()) {
        let mut dims: Vec<&str> = r
            .criteria
            .iter()
            .filter(|c| items.contains(&c.id.value))
            .map(|c| c.dimension.value.as_str())
            .collect();
        dims.sort_unstable();
        dims.dedup();
        if dims.len() > 1 {
            say!(
                "warning: the criteria compared belong to {} dimensions ({}) whose weights in {} set each dimension's share: their new points change scores only within a dimension; compare the dimensions with --level dimensions",
                dims.len(),
                dims.join(", "),
                into.display()
            );
        }
    }
    let current: Vec<(String, f64)> = match level {
        Level::Dimensions => {
            let weighted = r.dimensions.iter().all(|d| d.weight.is_some());
            r.dimensions
                .iter()
                .map(|d| {
                    let m: f64 = r
                        .criteria
                        .iter()
                        .filter(|c| c.dimension.value == d.id.value)
                        .map(|c| c.points.value)
                        .sum();
                    (
                        d.id.value.clone(),
                        if weighted {
                            d.weight.as_ref().map_or(0.0, |w| w.value)
                        } else {
                            m
                        },
                    )
                })
                .collect()
        }
        Level::Criteria => r
            .criteria
            .iter()
            .map(|c| (c.id.value.clone(), c.points.value))
            .collect(),
    };
    // Dimension weights written for the first time add up to `scale` when the file has one
    // (the same relative weights), as `weights --write` does.
    let current: Vec<(String, f64)> = match r.settings.scale {
        Some(scale)
            if level == Level::Dimensions && r.dimensions.iter().all(|d| d.weight.is_none()) =>
        {
            let sum: f64 = current.iter().map(|(_, v)| v).sum();
            if sum > 0.0 {
                current
                    .into_iter()
                    .map(|(id, v)| (id, v * scale / sum))
                    .collect()
            } else {
                current
            }
        }
        _ => current,
    };
    let kind = if level == Level::Dimensions {
        "dimension"
    } else {
        "criterion"
    };
    // Items that are all ids of the other level: one error that names the level to use.
    let other: Vec<&str> = match level {
        Level::Dimensions => r.criteria.iter().map(|c| c.id.value.as_str()).collect(),
        Level::Criteria => r.dimensions.iter().map(|d| d.id.value.as_str()).collect(),
    };
    if !items.iter().any(|i| current.iter().any(|(id, _)| id == i))
        && items.iter().all(|i| other.contains(&i.as_str()))
    {
        let (are, use_level) = match level {
            Level::Dimensions => ("criterion", "criteria"),
            Level::Criteria => ("dimension", "dimensions"),
        };
        return Err(Error::one(
            Diagnostic::new(
                Stage::Usage,
                format!(
                    "the AHP items ({}) are {are} ids of {}, and --level {} writes {} \
                     weights",
                    truncate(&items.join(", "), 200),
                    into.display(),
                    match level {
                        Level::Dimensions => "dimensions",
                        Level::Criteria => "criteria",
                    },
                    match level {
                        Level::Dimensions => "dimension",
                        Level::Criteria => "criterion",
                    },
                ),
            )
            .with_help(format!("use --level {use_level}")),
        ));
    }
    let mut errors = Vec::new();
    for (k, i) in items.iter().enumerate() {
        if current.iter().any(|(id, _)| id == i) {
            continue;
        }
        let ids = current.iter().map(|(id, _)| id.as_str());
        let listed: Vec<&str> = ids.clone().collect();
        let help = match did_you_mean_help(i, ids) {
            Some(h) => format!(
                "{h} ({kind} ids of {}: {})",
                into.display(),
                listed.join(", ")
            ),
            None => format!(
                "the {kind} ids of {} are: {}",
                into.display(),
                listed.join(", ")
            ),
        };
        let d = Diagnostic::new(
            Stage::Rules,
            format!(
                "AHP item '{}' is not a {kind} id of {}",
                truncate(i, 200),
                into.display()
            ),
        )
        .with_help(truncate(&help, 600));
        errors.push(match m.item_spans.get(k) {
            Some(span) => d.in_source(source, *span),
            None => d.at(source.name.clone()),
        });
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    let listed_total: f64 = current
        .iter()
        .filter(|(id, _)| items.contains(id))
        .map(|(_, v)| v)
        .sum();
    let new: Vec<(String, f64)> = current
        .iter()
        .map(|(id, v)| match items.iter().position(|i| i == id) {
            Some(k) => (id.clone(), res.weights[k] * listed_total),
            None => (id.clone(), *v),
        })
        .collect();
    let text =
        std::fs::read_to_string(into).map_err(|e| Error::io(&into.display().to_string(), &e))?;
    write_weights(&text, level, &new)
}
