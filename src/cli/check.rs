//! `clusterscore check RULES`: validate and summarise a rules file.

use clap::Args;
use clusterscore::column::format_number;
use clusterscore::diag::Result;
use clusterscore::rules::{Rules, lint::lint};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The rules file to check.
    #[arg(required_unless_present = "rules_flag", conflicts_with = "rules_flag")]
    pub rules: Option<PathBuf>,
    /// The rules file, given as the other commands take it (`--rules R`).
    #[arg(long = "rules", id = "rules_flag", value_name = "RULES")]
    pub rules_flag: Option<PathBuf>,
}

/// A label that says more than the id (the id alone when there is none, or it is the id).
fn own_label<'a>(id: &str, label: Option<&'a str>) -> &'a str {
    label.filter(|l| *l != id).unwrap_or("")
}

/// `id label`, or the id alone.
fn with_label(id: &str, label: Option<&str>) -> String {
    match own_label(id, label) {
        "" => id.to_string(),
        l => format!("{id} {l}"),
    }
}

pub fn run(a: CheckArgs) -> Result<i32> {
    let path = a
        .rules
        .or(a.rules_flag)
        .expect("clap requires one of RULES and --rules");
    let rules = Rules::from_path(&path)?;
    let compiled = rules.compile()?;
    let r = compiled.rules();
    let names: Vec<String> = compiled.expression_names();
    let mut s = String::new();
    s.push_str(&format!("{}: ok\n", path.display()));
    s.push_str(&format!(
        "{}{}\n",
        r.settings.name,
        r.settings
            .version
            .as_ref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    ));
    s.push_str(&format!("\nindicators ({}):\n", r.indicators.len()));
    for i in &r.indicators {
        let src = match &i.source {
            clusterscore::rules::Source::Column(c) => format!("column {}", c.value),
            clusterscore::rules::Source::Formula(f) => format!("formula {}", shown(&f.value)),
            clusterscore::rules::Source::Aggregate(f) => format!("aggregate {}", shown(&f.value)),
        };
        s.push_str(&format!(
            "  {:<24} {} [{}{}] {}\n",
            i.id.value,
            own_label(&i.id.value, i.label.as_deref()),
            i.kind.name(),
            i.unit
                .as_ref()
                .map(|u| format!(", {u}"))
                .unwrap_or_default(),
            src
        ));
    }
    s.push_str("\ncriteria by dimension:\n");
    for d in &r.dimensions {
        let crits: Vec<_> = r
            .criteria
            .iter()
            .filter(|c| c.dimension.value == d.id.value)
            .collect();
        let pts = r.dimension_points(d);
        s.push_str(&format!(
            "  {} — {} points{}\n",
            with_label(&d.id.value, d.label.as_deref()),
            format_number(pts),
            d.weight
                .as_ref()
                .map(|w| format!(", weight {}", format_number(w.value)))
                .unwrap_or_default()
        ));
        for c in crits {
            s.push_str(&format!(
                "    {:<22} {:>6}  {} ({} of {})\n",
                c.id.value,
                format_number(c.points.value),
                own_label(&c.id.value, c.label.as_deref()),
                c.method.name(),
                c.indicator.value
            ));
        }
    }
    // The maximum of the criteria (what dimension shares add up to); what can be reached
    // when bands or levels never pay a criterion's points; and what adjustments and clamp
    // make of it.
    // As published: rounded to `decimals`, which is what tiers and conditions compare.
    let published = |x: f64| clusterscore::num::round_half_away(x, r.settings.decimals);
    let achievable = published(r.max_achievable());
    let reachable = published(r.highest_reachable());
    let short: Vec<String> = r
        .criteria
        .iter()
        // (The same tolerance as the points-never-paid lint.)
        .filter(|c| c.payable() < c.points.value - clusterscore::num::tolerance(c.points.value))
        .map(|c| {
            format!(
                "'{}' pays at most {} of {}",
                c.id.value,
                format_number(c.payable()),
                format_number(c.points.value)
            )
        })
        // A weighted dimension that can reach nothing (no criteria, or none paying points).
        .chain(
            r.dimensions
                .iter()
                .filter(|d| {
                    d.weight.as_ref().is_some_and(|w| w.value > 0.0)
                        && r.dimension_reach(&d.id.value) == Some(0.0)
                })
                .map(|d| format!("dimension '{}' scores nothing", d.id.value)),
        )
        .collect();
    s.push_str(&format!(
        "\nmaximum score: {} ({} aggregation){}{}\n",
        format_number(r.max_score()),
        r.settings.aggregation.name(),
        if achievable < r.max_score() {
            format!(
                "; at most {} can be reached ({}{})",
                clusterscore::column::format_display(achievable),
                short.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                if short.len() > 3 {
                    format!(" and {} more", short.len() - 3)
                } else {
                    String::new()
                }
            )
        } else {
            String::new()
        },
        if reachable == achievable {
            String::new()
        } else {
            let bonus: f64 = r.adjustments.iter().map(|a| a.points.max(0.0)).sum();
            let clamped = r
                .settings
                .clamp
                .is_some_and(|(_, hi)| hi < achievable + bonus);
            let how = match (bonus > 0.0, clamped) {
                (true, true) => "if every bonus applies, capped by clamp",
                (true, false) => "if every bonus applies",
                _ => "capped by clamp",
            };
            format!(
                "; at most {} {how}",
                clusterscore::column::format_display(reachable)
            )
        }
    ));
    if !r.gates.is_empty() {
        s.push_str("\ngates:\n");
        for g in &r.gates {
            // What failing it does: out of the ranking, or a tier no higher than the cap.
            let effect = match &g.effect {
                clusterscore::rules::GateEffect::Exclude => "exclude".to_string(),
                clusterscore::rules::GateEffect::MaxTier(t) => format!("cap at {}", t.value),
            };
            s.push_str(&format!(
                "  {:<22} {:<16} {}\n",
                g.id.value,
                effect,
                shown(&g.require.value)
            ));
        }
    }
    if !r.adjustments.is_empty() {
        s.push_str("\nadjustments:\n");
        for adj in &r.adjustments {
            s.push_str(&format!(
                "  {:<22} {:+} when {}\n",
                adj.id.value,
                adj.points,
                shown(&adj.when.value)
            ));
        }
    }
    if !r.tiers.is_empty() {
        s.push_str("\ntiers (highest first):\n");
    }
    for t in &r.tiers {
        let mut parts = Vec::new();
        if let Some(m) = &t.min_score {
            parts.push(match m.fixed() {
                Some(v) => format!("min {}", format_number(v)),
                None => "min by category".into(),
            });
        }
        if let Some(m) = t.max_count {
            parts.push(format!("at most {m}"));
        }
        if let Some(p) = t.top_percent {
            parts.push(format!("top {}%", format_number(p)));
        }
        if !t.requires.is_empty() {
            parts.push(format!(
                "requires {}",
                t.requires
                    .iter()
                    .map(|x| requires_item(&shown(&x.value), t.requires.len()))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        if !t.direct.is_empty() {
            parts.push(format!(
                "direct {}",
                t.direct
                    .iter()
                    .map(|x| shown(&x.value))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
        s.push_str(&format!(
            "  {:<22} {}\n",
            t.id.value,
            [
                own_label(&t.id.value, t.label.as_deref()),
                &parts.join(", ")
            ]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(" — ")
        ));
    }
    let lints = lint(r, &names);
    if lints.is_empty() {
        s.push_str("\nno lints\n");
    } else {
        s.push_str(&format!("\nlints ({}):\n", lints.len()));
        for l in &lints {
            let (line, col) = r.source.line_col(l.span.start);
            s.push_str(&format!(
                "  {}:{}:{}: warning[{}]: {}\n",
                r.source.name, line, col, l.code, l.message
            ));
        }
    }
    super::print_out(s.as_bytes())?;
    Ok(0)
}

/// One of a tier's `requires` conditions as printed in a list joined by "and": in
/// parentheses when it holds an `or`, so the printed text reads as the conditions are
/// evaluated (each on its own, all of them required) under the language's precedence.
fn requires_item(text: &str, items: usize) -> String {
    use clusterscore::expr::{BinaryOp, ExprKind};
    // Its top-level operator is `or` (`a or b`, `a || b`), not already in parentheses.
    let top_or = clusterscore::expr::parse(text).is_ok_and(|e| {
        matches!(&e.kind, ExprKind::Chain { rest, .. } if rest.first().is_some_and(|(op, _)| *op == BinaryOp::Or))
    });
    if items > 1 && top_or && !in_parentheses(text) {
        format!("({text})")
    } else {
        text.to_string()
    }
}

/// Whether the whole of `text` is one parenthesised group (`(a or b)`, not `(a) or (b)`);
/// quoted texts and backticked names are skipped.
fn in_parentheses(text: &str) -> bool {
    let t = text.trim();
    if !t.starts_with('(') {
        return false;
    }
    let (mut depth, mut quote, mut escaped) = (0usize, None::<char>, false);
    for (i, c) in t.char_indices() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1 == t.len();
                }
            }
            _ => {}
        }
    }
    false
}

/// An expression as the summary shows it: whole up to 2,000 characters (the long formulas
/// of real packs); a pasted blob of megabytes by its start and its length (the lints and
/// errors point into the file).
fn shown(expression: &str) -> String {
    let chars = expression.chars().count();
    if chars <= 2000 {
        return expression.to_string();
    }
    format!(
        "{} ({chars} characters)",
        clusterscore::diag::truncate(expression, 200)
    )
}

#[cfg(test)]
mod tests {
    use super::{requires_item, shown};

    #[test]
    fn expressions_are_shown_whole_up_to_2000_characters() {
        let long = "x".repeat(2000);
        assert_eq!(shown(&long), long);
        let longer = format!("{long}y");
        let cut = shown(&longer);
        assert!(cut.ends_with("… (2001 characters)"), "{cut}");
        assert!(cut.chars().count() < 230, "{cut}");
    }

    #[test]
    fn only_a_top_level_or_is_put_in_parentheses() {
        for (text, shown) in [
            ("a > 1 or b", "(a > 1 or b)"),
            ("a || b", "(a || b)"),
            ("(a or b)", "(a or b)"),
            ("(a or b) or c", "((a or b) or c)"),
            ("a or (b)", "(a or (b))"),
            ("(a) or (b)", "((a) or (b))"),
            (" (a or b) and c", " (a or b) and c"),
            ("if(a or b, 1, 0) > 0", "if(a or b, 1, 0) > 0"),
            ("x == 'or'", "x == 'or'"),
            (
                "(k == 'O\\'Neil') or (k == 'D\\'Arcy')",
                "((k == 'O\\'Neil') or (k == 'D\\'Arcy'))",
            ),
            ("`x or y` > 1", "`x or y` > 1"),
            ("a and b", "a and b"),
        ] {
            assert_eq!(requires_item(text, 2), shown, "{text}");
        }
        // One condition alone is printed as written.
        assert_eq!(requires_item("a or b", 1), "a or b");
    }
}
