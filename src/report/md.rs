//! Markdown view: the quick terminal table — ranking with tier labels, tier summary, warnings.
//! Reads the per-entity results one at a time (built as it goes under
//! [`Detail::Deferred`](crate::engine::Detail)).

use crate::engine::{Assessment, RankingRow};

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The Markdown text of an assessment.
pub fn to_markdown(a: &Assessment) -> String {
    let dec = a.layout.decimals as usize;
    let mut s = String::new();
    s.push_str(&format!("# {}\n\n", cell(&a.layout.title)));
    let mut head = vec!["排名 rank".to_string()];
    if let Some(c) = &a.layout.cohort {
        head.push(format!("分组 {}", cell(c)));
    }
    head.extend([
        "id".into(),
        "名称 name".into(),
        format!(
            "得分 score (/{})",
            crate::column::format_number(a.layout.max_score)
        ),
        "等级 tier".into(),
    ]);
    head.extend(a.layout.dimensions.iter().map(|d| cell(&d.label)));
    s.push_str(&format!("| {} |\n", head.join(" | ")));
    s.push_str(&format!("|{}\n", "---|".repeat(head.len())));
    let mut tie_broken = false;
    let mut push_row = |e: RankingRow<'_>, dimensions: &mut dyn Iterator<Item = f64>| {
        tie_broken |= e.tie_broken;
        let rank = match (e.rank, e.excluded_by) {
            (Some(r), _) => format!("{r}{}", if e.tie_broken { "*" } else { "" }),
            (None, Some(g)) => format!("— ({})", cell(g)),
            (None, None) => "—".into(),
        };
        let mut row = vec![rank];
        if a.layout.cohort.is_some() {
            row.push(cell(e.cohort.unwrap_or("—")));
        }
        row.extend([
            cell(e.id),
            cell(e.name.unwrap_or("")),
            format!("{:.*}", dec, e.score),
            cell(e.tier_label.unwrap_or("")),
        ]);
        row.extend(dimensions.map(|v| format!("{v:.dec$}")));
        s.push_str(&format!("| {} |\n", row.join(" | ")));
    };
    match &a.deferred {
        // Read from the columns: the ranking needs none of what building a result costs
        // (criteria, values, notes).
        Some(source) => {
            for e in 0..source.len() {
                let (row, dims) = source.ranking_row(e);
                push_row(row, &mut dims.iter().copied());
            }
        }
        None => {
            for e in &a.entities {
                push_row(e.ranking_row(), &mut e.dimensions.values().copied());
            }
        }
    }
    if tie_broken {
        s.push_str("\n\\* rank decided by a tie-break (equal rounded score).\n");
    }
    s.push_str("\nComponents are rounded and may not add up to the total exactly.\n");
    s.push_str(&format!(
        "\n## 等级汇总 Tiers\n\n{} entities, {} ranked, {} excluded.\n\n| tier | label | count |\n|---|---|---|\n",
        a.summary.entities, a.summary.ranked, a.summary.excluded
    ));
    for t in &a.summary.tiers {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&t.id),
            cell(&t.label),
            t.count
        ));
    }
    if !a.warnings.is_empty() {
        s.push_str("\n## 提示 Warnings\n\n");
        for w in &a.warnings {
            s.push_str(&format!("- {}\n", cell(w)));
        }
    }
    s
}
