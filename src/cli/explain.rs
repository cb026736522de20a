//! `clusterscore explain`: one entity — criteria, gates, adjustments, tier trace, gap analysis.

use clap::Args;
use clusterscore::analysis::explain::{Explanation, explain_in_data};
use clusterscore::diag::Result;
use clusterscore::engine::AssessOptions;
use clusterscore::rules::Rules;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The rules file (TOML).
    #[arg(long)]
    pub rules: PathBuf,
    /// Data file(s); repeat for several files.
    #[arg(long, required = true)]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub read: super::DataReadArgs,
    /// The entity id to explain.
    #[arg(long)]
    pub id: String,
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

pub fn run(a: ExplainArgs) -> Result<i32> {
    let json = super::report_format(a.format.as_deref(), a.out.as_deref())?;
    let mut inputs = vec![a.rules.as_path()];
    inputs.extend(a.data.iter().map(|p| p.as_path()));
    let out_file = super::report_out(&a.out, &inputs)?;
    a.read.validate(&a.data)?;
    let compiled = Rules::from_path(&a.rules)?.compile()?;
    let opts = AssessOptions {
        year: a.year,
        rules_path: a.rules.display().to_string(),
        generated_at: None,
        // The one result explained is built; the others' values are read from the columns.
        detail: clusterscore::engine::Detail::Explain,
    };
    let (data, assessment, mut progress) =
        super::read_and_score(&compiled, &a.data, &a.read, &opts)?;
    if let Some(p) = progress.as_mut() {
        // The gap analysis scores the whole file again for each value it tries.
        p.step(&format!("explaining '{}': re-scoring each option", a.id));
    }
    let x = explain_in_data(&compiled, &data, &assessment, &opts, &a.id)?;
    drop(progress);
    super::print_warnings(None, &assessment.warnings);
    let out = if json {
        let mut s = serde_json::to_string_pretty(&x).expect("serialisable");
        s.push('\n');
        s
    } else {
        render(&x)
    };
    super::deliver(out_file.as_deref(), out.as_bytes())?;
    Ok(0)
}

fn n(x: f64) -> String {
    clusterscore::column::format_display(x)
}

/// `x` to `digits` significant digits, as the text report shows it (the JSON keeps every
/// digit).
fn significant(x: f64, digits: usize) -> String {
    n(format!("{x:.*e}", digits.saturating_sub(1))
        .parse()
        .unwrap_or(x))
}

/// A value as the text report shows it: to ten significant digits (a formula's ratio is
/// -2.777777778, not -2.77777777777778).
fn shown(x: f64) -> String {
    significant(x, 10)
}

/// [`shown`] for a JSON value; "—" for none.
fn v(x: &Option<serde_json::Value>) -> String {
    match x {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(x)) => x.as_f64().map_or_else(|| x.to_string(), shown),
        Some(other) => other.to_string(),
    }
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(header.to_vec());
    t
}

fn render(x: &Explanation) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{}{}\nscore {} {} · rank {} of {}{} · tier {}\n",
        x.id,
        x.name.as_ref().map_or(String::new(), |n| format!(" {n}")),
        n(x.score),
        // Adjustments can lift a score past the criteria's maximum ("27 of 25" misreads).
        if x.score > x.max_score + clusterscore::num::tolerance(x.max_score) {
            format!(
                "(the criteria give at most {}; adjustments added)",
                n(x.max_score)
            )
        } else {
            format!("of {}", n(x.max_score))
        },
        x.rank.map_or("—".to_string(), |r| r.to_string()),
        x.ranked,
        x.cohort
            .as_ref()
            .map_or(String::new(), |c| format!(" in cohort {c}")),
        match (&x.tier_label, &x.excluded_by) {
            (Some(l), _) => format!("{l} ({})", x.tier.as_deref().unwrap_or("")),
            // Excluded by a gate: no rank and no tier (SPEC §5.4), not "untiered".
            (None, Some(_)) => "— (excluded)".to_string(),
            (None, None) => "(untiered)".to_string(),
        },
    ));
    if let Some(g) = &x.excluded_by {
        s.push_str(&format!("excluded by gate '{g}'\n"));
    }
    let mut t = table(&[
        "criterion",
        "dimension",
        "value",
        "method",
        "fraction",
        "points",
        "missing",
    ]);
    for c in &x.criteria {
        t.add_row(vec![
            format!("{} {}", c.id, if c.label != c.id { &c.label } else { "" })
                .trim()
                .to_string(),
            c.dimension.clone(),
            format!(
                "{}{}",
                v(&c.value),
                c.unit.as_ref().map_or(String::new(), |u| format!(" {u}"))
            ),
            c.method.clone(),
            c.fraction.map_or("—".into(), |f| format!("{f:.4}")),
            format!("{} / {}", c.points.map_or("—".into(), n), n(c.max)),
            c.missing.clone().unwrap_or_default(),
        ]);
    }
    s.push_str(&format!("\nCriteria\n{t}\n"));
    let mut t = table(&["dimension", "score", "max"]);
    for d in &x.dimensions {
        // (A geometric or TOPSIS share such as 1/3 at six decimals, like other shares.)
        t.add_row(vec![
            format!("{} {}", d.id, if d.label != d.id { &d.label } else { "" })
                .trim()
                .to_string(),
            n(d.score),
            n(clusterscore::num::round_half_away(d.max, 6)),
        ]);
    }
    s.push_str(&format!("\nDimensions\n{t}\n"));
    if !x.gates.is_empty() {
        let mut t = table(&["gate", "require", "effect", "status"]);
        for g in &x.gates {
            let status = match &g.detail {
                Some(d) => format!("{} — {d}", g.status),
                None => g.status.clone(),
            };
            t.add_row(vec![
                g.id.clone(),
                g.require.clone(),
                g.effect.clone(),
                status,
            ]);
        }
        s.push_str(&format!("\nGates\n{t}\n"));
    }
    if !x.adjustments.is_empty() {
        let mut t = table(&["adjustment", "when", "points", "applied"]);
        for a in &x.adjustments {
            t.add_row(vec![
                a.id.clone(),
                a.when.clone(),
                n(a.points),
                if a.applied { "yes".into() } else { "no".into() },
            ]);
        }
        s.push_str(&format!("\nAdjustments\n{t}\n"));
    }
    if !x.tier_trace.is_empty() {
        s.push_str("\nTier trace (highest first)\n");
        for step in &x.tier_trace {
            s.push_str(&format!(
                "  {} {} ({}): {}\n",
                if step.given { "✔" } else { "✘" },
                step.label,
                step.id,
                step.reasons.join("; ")
            ));
        }
    }
    if let Some(g) = &x.gap {
        // A score already enough: what holds the entity back is a condition, said below.
        let missing =
            if g.points_missing == 0.0 && !(g.blockers.is_empty() && g.unmet_now.is_empty()) {
                "0 (the score is enough; a condition below is not met)".to_string()
            } else {
                n(g.points_missing)
            };
        s.push_str(&format!(
            "\nGap to {} ({}): score needed {}, points missing {missing}\n",
            g.target_label,
            g.target_tier,
            n(g.score_needed),
        ));
        if g.scores_move {
            s.push_str(
                "  (at today's scores: a change of this entity's values moves other entities' \
                 scores too, so an option may reach the tier at another score; each is \
                 re-scored in full)\n",
            );
        }
        if let Some(h) = &g.reached_first {
            s.push_str(&format!(
                "  (tier '{h}' above {} asks less, and is reached at that score first)\n",
                g.target_tier
            ));
        }
        for b in &g.blockers {
            s.push_str(&format!("  blocked: {b}\n"));
        }
        for b in &g.unmet_now {
            s.push_str(&format!(
                "  not met now (reads scores; re-evaluated per option): {b}\n"
            ));
        }
        if !g.options.is_empty() {
            let mut t = table(&[
                "criterion",
                "from",
                "to",
                "change",
                "how",
                "points",
                "score after",
                "gain",
                "tier after",
            ]);
            for o in &g.options {
                t.add_row(vec![
                    o.criterion.clone(),
                    v(&o.from),
                    v(&Some(o.to.clone())),
                    o.change.map_or("—".into(), |c| {
                        format!("{}{}", if c > 0.0 { "+" } else { "" }, shown(c))
                    }),
                    match o.slope {
                        // The linear slope, concisely: criterion points per unit.
                        Some(k) => format!(
                            "{}; {} {} per unit",
                            o.how,
                            // A rate to compare options by: 3.333, not 3.33333333333333.
                            significant(k, 4),
                            if k == 1.0 { "pt" } else { "pts" }
                        ),
                        None => o.how.clone(),
                    },
                    format!(
                        "{} → {}",
                        n(o.criterion_points_before),
                        n(o.criterion_points_after)
                    ),
                    n(o.score_after),
                    // (A value other rules read can lower the score: -4.16, not +-4.16.)
                    format!(
                        "{}{}",
                        if o.score_gained >= 0.0 { "+" } else { "" },
                        n(o.score_gained)
                    ),
                    format!(
                        "{}{}",
                        o.tier_after.clone().unwrap_or_else(|| "(untiered)".into()),
                        if o.reaches_target { " ✔" } else { "" }
                    ),
                ]);
            }
            s.push_str(&format!("{t}\n"));
            if g.blockers.is_empty() && !g.options.iter().any(|o| o.reaches_target) {
                // Criteria whose gain is not computed (relative methods, dropped values) may
                // still reach the tier alone: not ruled out.
                let uncounted = g.no_option.iter().any(|o| {
                    o.reason.starts_with("relative method") || o.reason.starts_with("dropped")
                });
                s.push_str(&format!(
                    "  no single change above reaches {}: it takes several together{}\n",
                    g.target_tier,
                    if uncounted {
                        ", or a change of a criterion below, whose gain is not computed here"
                    } else {
                        ""
                    }
                ));
            }
            for o in g.options.iter().filter(|o| !o.also_read_by.is_empty()) {
                s.push_str(&format!(
                    "  {}: '{}' is also read by {}; {}\n",
                    o.criterion,
                    o.indicator,
                    o.also_read_by.join(", "),
                    if o.rescored_from_data {
                        "the score and tier after are the data's, re-scored with this value"
                    } else {
                        "the score and tier after count this criterion only, not what else reads the value"
                    }
                ));
            }
            for o in g.options.iter().filter(|o| !o.imputed_from_it.is_empty()) {
                let n = o.imputed_count;
                let shown: Vec<&str> = o
                    .imputed_from_it
                    .iter()
                    .take(5)
                    .map(String::as_str)
                    .collect();
                s.push_str(&format!(
                    "  {}: the value imputed to {}{} (missing, {}) moves with this one; the score and \
                     tier after count it\n",
                    o.criterion,
                    shown.join(", "),
                    if n > shown.len() {
                        format!(" and {} more", n - shown.len())
                    } else {
                        String::new()
                    },
                    clusterscore::diag::agree(n, "it has no value", "they have no value"),
                ));
            }
        }
        for no in &g.no_option {
            s.push_str(&format!("  {}: {}\n", no.criterion, no.reason));
        }
    }
    if !x.notes.is_empty() {
        s.push_str("\nNotes\n");
        for note in &x.notes {
            s.push_str(&format!("  - {note}\n"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    /// Ten significant digits: a formula's ratio is cut, data values and short decimals are
    /// shown as they are.
    #[test]
    fn values_show_ten_significant_digits() {
        assert_eq!(super::shown(-25.0 / 9.0), "-2.777777778");
        assert_eq!(super::shown(91_370_100.0), "91370100");
        assert_eq!(super::shown(0.1 + 0.2), "0.3");
        assert_eq!(super::shown(1234.5), "1234.5");
        assert_eq!(super::shown(2.0 / 3.0 * 1e-6), "0.0000006666666667");
    }
}
