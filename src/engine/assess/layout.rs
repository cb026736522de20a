//! The output layout, carried columns and the audit block.

use super::*;

impl Run<'_> {
    /// `[output].carry`: data columns copied through (first member row under [aggregate]).
    ///
    /// A name the data lacks is left out of the output, with a warning: carried columns
    /// serve a later step (the chained roll-up), and a pack that carries them for it (the
    /// national 专精特新 table carries `cluster`) still scores a plain list of enterprises.
    /// Left out, not left empty: a roll-up reading the column then stops on its absence
    /// instead of counting nothing in it.
    pub(super) fn carried_columns(&mut self) -> Vec<(String, TextColumn)> {
        let c = self.c;
        let mut carried = Vec::new();
        for name in &c.rules.output.carry {
            match self.carry_column(&name.value) {
                Some(col) => carried.push((name.value.clone(), col)),
                None => {
                    let help = crate::diag::did_you_mean_help(
                        &fold_header(&name.value),
                        self.data.table.headers.iter().map(|h| h.as_str()),
                    );
                    self.warnings.push(format!(
                        "[output] carry names '{}', which is not a column of the data ({}): it is left out of the output, and a later step that reads it will stop{}",
                        name.value,
                        data_files(&self.data.table),
                        help.map_or(String::new(), |h| format!(" ({h})")),
                    ));
                }
            }
        }
        carried
    }

    /// What the reports print around the numbers: title, maxima, labels and units.
    pub(super) fn layout(&self, scale: &PointScale) -> Layout {
        let c = self.c;
        let r = &c.rules;
        Layout {
            cohort: r.settings.cohort.as_ref().map(|name| {
                r.indicators
                    .iter()
                    .find(|i| i.id.value == name.value)
                    .map_or_else(|| name.value.clone(), |i| i.label().to_string())
            }),
            title: r.settings.name.clone(),
            entity_word: r.settings.entity.clone().unwrap_or_else(|| "entity".into()),
            decimals: r.settings.decimals,
            max_score: scale.final_max,
            aggregation: r.settings.aggregation.name().into(),
            dimensions: r
                .dimensions
                .iter()
                .enumerate()
                .map(|(d, dim)| LayoutItem {
                    id: dim.id.value.clone(),
                    label: dim.label().into(),
                    value: Some(scale.final_max * scale.share[d]),
                    rule: String::new(),
                })
                .collect(),
            criteria: r
                .criteria
                .iter()
                .enumerate()
                .map(|(ci, crit)| {
                    let ind = &r.indicators[c.criterion_indicator[ci]];
                    LayoutCriterion {
                        id: crit.id.value.clone(),
                        label: crit.label().into(),
                        dimension: r.dimensions[c.criterion_dimension[ci]].id.value.clone(),
                        indicator: ind.id.value.clone(),
                        indicator_label: ind.label().into(),
                        unit: ind.unit.clone(),
                        method: crit.method.name().into(),
                        points: crit.points.value,
                        rule: {
                            let mut rule = crit.method.describe();
                            if let Some(tr) = &crit.transform {
                                if !rule.is_empty() {
                                    rule.push_str("; ");
                                }
                                rule.push_str(&format!("transform {}", tr.value.name()));
                            }
                            rule
                        },
                    }
                })
                .collect(),
            adjustments: r
                .adjustments
                .iter()
                .map(|a| LayoutItem {
                    id: a.id.value.clone(),
                    label: a.label.clone().unwrap_or_else(|| a.id.value.clone()),
                    value: Some(a.points),
                    rule: format!("when {}", a.when.value),
                })
                .collect(),
            tiers: r
                .tiers
                .iter()
                .map(|t| LayoutItem {
                    id: t.id.value.clone(),
                    label: t.label().into(),
                    value: t.min_score.as_ref().and_then(|m| m.fixed()),
                    rule: {
                        let mut parts = Vec::new();
                        if let Some(m) = &t.min_score {
                            parts.push(format!("min_score {}", m.describe()));
                        }
                        if let Some(k) = t.max_count {
                            parts.push(format!("max_count {k}"));
                        }
                        if let Some(p) = t.top_percent {
                            parts.push(format!("top_percent {}%", format_number(p)));
                        }
                        for q in &t.requires {
                            parts.push(format!("requires {}", q.value));
                        }
                        for q in &t.direct {
                            parts.push(format!("direct {}", q.value));
                        }
                        parts.join("; ")
                    },
                })
                .collect(),
            gates: r
                .gates
                .iter()
                .map(|g| LayoutItem {
                    id: g.id.value.clone(),
                    label: g.label.clone().unwrap_or_else(|| g.require.value.clone()),
                    value: None,
                    rule: match &g.effect {
                        crate::rules::GateEffect::Exclude => {
                            format!("require {}; excluded when not met", g.require.value)
                        }
                        crate::rules::GateEffect::MaxTier(t) => format!(
                            "require {}; tier capped at '{}' when not met",
                            g.require.value, t.value
                        ),
                    },
                })
                .collect(),
        }
    }

    /// The audit block: engine, rules and data files with their SHA-256, year, time.
    pub(super) fn audit(&self) -> Audit {
        let r = &self.c.rules;
        Audit {
            engine: format!("clusterscore {}", env!("CARGO_PKG_VERSION")),
            rules: RulesAudit {
                path: if self.opts.rules_path.is_empty() {
                    r.source.name.clone()
                } else {
                    self.opts.rules_path.clone()
                },
                name: r.settings.name.clone(),
                version: r.settings.version.clone(),
                sha256: crate::report::sha256_hex(r.source.text.as_bytes()),
            },
            data: self
                .data
                .table
                .files
                .iter()
                .map(|f| DataAudit {
                    path: f.path.clone(),
                    sha256: f.sha256.clone(),
                    rows: f.rows,
                    sheet: f.sheet.clone(),
                })
                .collect(),
            year: self.year,
            generated_at: self
                .opts
                .generated_at
                .clone()
                .unwrap_or_else(crate::report::generated_at),
        }
    }
}
