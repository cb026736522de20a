//! Markdown view: the quick terminal table — ranking with tier labels, tier summary, why the
//! excluded entities are out, warnings.
//! Reads the per-entity results one at a time (built as it goes under
//! [`Detail::Deferred`](crate::engine::Detail)).

use crate::engine::{Assessment, RankingRow};

/// Text for the Markdown view: line breaks become spaces, and what would break a table cell
/// or start markup is backslash-escaped, so a name such as `**A**` or `<b>` shows as written:
/// a backslash, `|`, `*` and backtick always; `[` only where a link could follow (a later
/// `](` or `][`); `<` only before what opens a tag (a letter, `/`, `!`, `?`). Warnings such
/// as "set [rules].year" and texts such as "资产负债率<70%" stay as they are. (`_` is left:
/// inside words CommonMark does not read it as emphasis, and ids such as `rd_lin` stay
/// readable in a terminal.)
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let rest = &s[i + c.len_utf8()..];
        let escape = match c {
            '\\' | '|' | '*' | '`' => true,
            '[' => rest.contains("](") || rest.contains("]["),
            '<' => rest
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')),
            _ => false,
        };
        match c {
            '\n' | '\r' => out.push(' '),
            _ => {
                if escape {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

/// Excluded entities listed with their gate and values under "Excluded"; the rest are
/// counted (a national run can exclude tens of thousands).
const EXCLUDED_SHOWN: usize = 50;

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
            super::shown_maximum(a.layout.max_score, a.layout.decimals)
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
    // Why each excluded entity is out (the gate and the values involved, SPEC §5.4), from
    // its notes: the first EXCLUDED_SHOWN of them.
    let mut excluded: Vec<String> = Vec::new();
    let mut excluded_count = 0usize;
    let mut see_excluded = |row: &RankingRow<'_>, notes: &[String]| {
        if row.excluded_by.is_none() {
            return;
        }
        excluded_count += 1;
        if excluded.len() < EXCLUDED_SHOWN {
            let why = notes
                .iter()
                .find(|n| n.starts_with("excluded by gate"))
                .map_or(String::new(), |n| format!(": {}", cell(n)));
            let name = row.name.map_or(String::new(), |n| format!(" {}", cell(n)));
            excluded.push(format!("- {}{name}{why}\n", cell(row.id)));
        }
    };
    match &a.deferred {
        // Read from the columns: the ranking needs none of what building a result costs
        // (criteria, values); notes only for the excluded.
        Some(source) => {
            for e in 0..source.len() {
                let (row, dims) = source.ranking_row(e);
                see_excluded(&row, &source.notes[e]);
                push_row(row, &mut dims.iter().copied());
            }
        }
        None => {
            for e in &a.entities {
                let row = e.ranking_row();
                see_excluded(&row, &e.notes);
                push_row(row, &mut e.dimensions.values().copied());
            }
        }
    }
    if tie_broken {
        s.push_str("\n\\* rank decided by a tie-break (equal rounded score).\n");
    }
    s.push_str(&format!("\n{}\n", super::components_note(&a.layout).1));
    s.push_str(&format!(
        "\n## 等级汇总 Tiers\n\n{}{}, {} ranked, {} excluded.\n",
        crate::diag::entities(a.summary.entities),
        // The rules' word for what is evaluated (集群, 企业, 专业镇), when they give one.
        if a.layout.entity_word == "entity" {
            String::new()
        } else {
            format!(" ({})", cell(&a.layout.entity_word))
        },
        a.summary.ranked,
        a.summary.excluded
    ));
    // (Rules without tiers have no table, only the counts.)
    if !a.summary.tiers.is_empty() {
        s.push_str("\n| tier | label | count |\n|---|---|---|\n");
    }
    for t in &a.summary.tiers {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&t.id),
            cell(&t.label),
            t.count
        ));
    }
    if excluded_count > 0 {
        s.push_str("\n## 否决 Excluded\n\n");
        for line in &excluded {
            s.push_str(line);
        }
        if excluded_count > excluded.len() {
            s.push_str(&format!(
                "- … and {} more (every one is in the JSON output's notes)\n",
                excluded_count - excluded.len()
            ));
        }
    }
    if !a.warnings.is_empty() {
        s.push_str("\n## 提示 Warnings\n\n");
        for w in &a.warnings {
            s.push_str(&format!("- {}\n", cell(w)));
        }
    }
    s
}

#[cfg(test)]
mod cell_tests {
    use super::cell;

    #[test]
    fn markup_and_table_characters_are_escaped() {
        assert_eq!(cell("x\\|y"), "x\\\\\\|y");
        assert_eq!(
            cell("**A** <b>[l](u)</b>"),
            "\\*\\*A\\*\\* \\<b>\\[l](u)\\</b>"
        );
        assert_eq!(cell("not (debt > 70)"), "not (debt > 70)");
        assert_eq!(
            cell("(set [rules].year or --year) 资产负债率<70%"),
            "(set [rules].year or --year) 资产负债率<70%"
        );
        assert_eq!(cell("聊城\n集群 rd_lin"), "聊城 集群 rd_lin");
    }
}
