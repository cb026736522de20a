//! Lints for `check`: things that are valid but probably not what the author meant. They never
//! change the exit status. Each has a stable kebab-case code.

use super::{BandOp, GateEffect, Method, Param, Rules, Source};
use crate::diag::Span;

/// One lint finding.
#[derive(Debug, Clone, PartialEq)]
pub struct Lint {
    /// Stable code: `unreachable-tier`, `bands-out-of-order`, `bands-above-points`,
    /// `levels-above-points`,
    /// `tiers-out-of-order`, `empty-dimension`, `setting-ignored`, `unknown-category`,
    /// `unused-indicator`, `weights-not-scale`, `weight-without-points`, `division-by-zero`,
    /// `level-without-points`, `direction-ignored`, `percent-as-fraction`, `coarse-scores`,
    /// `unit-mismatch`, `count-of-number`, `best-values-unpaid`, `condition-never-holds`,
    /// `points-never-paid`, `weights-not-100`, `unknown-name`, `score-before-scoring`,
    /// `marker-is-a-level`,
    /// `marker-is-a-yes-no-word`, `min-score-finer-than-scores`.
    pub code: &'static str,
    /// What looks wrong and why, in one sentence.
    pub message: String,
    /// Where in the rules file.
    pub span: Span,
}

/// Tiers whose `min_score` has more decimals than scores are published with: scores are
/// rounded to `decimals` before they are compared (SPEC §5.3), so `min_score = 0.3333` with
/// 2 decimals is met by 0.34 and not by 1/3 (published 0.33), and nothing lies between.
fn min_scores_finer_than_scores(rules: &Rules, out: &mut Vec<Lint>) {
    let decimals = rules.settings.decimals;
    let places = decimals_written;
    let show = crate::column::format_display;
    for t in &rules.tiers {
        // The threshold, or the first value of its category table, finer than the scores.
        let thresholds: Vec<(f64, String)> = match &t.min_score {
            Some(Param::Fixed(m)) => vec![(*m, String::new())],
            Some(Param::ByCategory {
                by,
                values,
                default,
            }) => values
                .iter()
                .map(|(k, v)| (*v, format!(" ({} = '{k}')", by.value)))
                .chain(default.map(|v| (v, format!(" (the default of {})", by.value))))
                .collect(),
            None => Vec::new(),
        };
        let Some((m, which)) = thresholds.into_iter().find(|(v, _)| places(*v) > decimals) else {
            continue;
        };
        // The published scores that meet it start at `up`, so the raw scores from half a
        // unit below `up` (rounded half away from zero: above it, for `up` ≤ 0); `down` is
        // the published step under it.
        let unit = 10f64.powi(-(decimals as i32));
        let up = crate::num::round_half_away((m / unit).ceil() * unit, decimals);
        let down = crate::num::round_half_away(up - unit, decimals);
        let from = |p: f64| {
            let start = p - unit / 2.0;
            if p > 0.0 {
                format!("from {} up", show(start))
            } else {
                format!("above {}", show(start))
            }
        };
        // Exactly half a step below a published one (59.5 under 0 decimals): the rounded
        // score meets it for the very raw scores that do.
        if up > 0.0 && ((up - unit / 2.0) - m).abs() <= crate::num::tolerance(m) {
            continue;
        }
        let (write, or) = if which.is_empty() {
            ("write min_score = ", "(or ")
        } else {
            ("write that value as ", "(or as ")
        };
        out.push(Lint {
            code: "min-score-finer-than-scores",
            message: format!(
                "tier '{}' min_score{which} = {} has more decimals than scores are published \
                 with (decimals = {decimals}): the rounded score is compared, so the tier takes \
                 a published {} or more, scores {}, not from {}; {write}{} to say so \
                 {or}{} for scores {}), or set [rules] decimals = {} to compare at {}",
                t.id.value,
                show(m),
                show(up),
                from(up),
                show(m),
                show(up),
                show(down),
                from(down),
                places(m).min(10),
                show(m),
            ),
            span: t.id.span,
        });
    }
}

/// A band or level of `c` that gives more points than the criterion, said as a sentence:
/// the fraction is capped at 1, so the rules file's number is not what scores. `check`
/// lints it and scoring runs warn of it ([`result_changing`]).
fn points_above_criterion(c: &super::Criterion) -> Option<(String, Span)> {
    // A category table's values are checked value by value: its largest (with the category
    // that gives it) counts.
    let largest = |p: &Param| -> Option<(f64, Option<String>)> {
        match p {
            Param::Fixed(v) => Some((*v, None)),
            Param::ByCategory {
                by,
                values,
                default,
            } => values
                .iter()
                .map(|(k, v)| (*v, Some(format!("{} = '{k}'", by.value))))
                .chain(default.map(|v| (v, Some(format!("the default of {}", by.value)))))
                .max_by(|a, b| a.0.total_cmp(&b.0)),
        }
    };
    // (The band itself is pointed at; levels have no place of their own.)
    let (what, (p, category), span) = match &c.method {
        Method::Bands(bands) => {
            let (j, b, p) = bands
                .iter()
                .enumerate()
                .filter_map(|(j, b)| Some((j, b, largest(&b.points)?)))
                .max_by(|a, b| a.2.0.total_cmp(&b.2.0))?;
            (format!("band {}", j + 1), p, b.span)
        }
        Method::Levels(levels) => {
            let (name, p) = levels
                .iter()
                .filter_map(|(name, p)| Some((name, largest(p)?)))
                .max_by(|a, b| a.1.0.total_cmp(&b.1.0))?;
            (format!("level '{name}'"), p, c.points.span)
        }
        _ => return None,
    };
    (p > c.points.value).then(|| {
        let message = format!(
            "criterion '{}': {what} gives {p} points{}, more than the criterion's {} (capped at full points); raise the criterion's points to {p}, or lower {what}'s",
            c.id.value,
            category.map_or(String::new(), |k| format!(" (for {k})")),
            c.points.value
        );
        (message, span)
    })
}

/// Lints that change who gets what: a tier or band nobody can reach, tiers listed from the
/// lowest up, band or level points above the criterion's (capped), a contradicted
/// direction, a quota share written as a fraction. `score` and the other scoring commands
/// warn of these too (with the rules file's line and column), since an analyst may never
/// run `check`.
pub fn result_changing(rules: &Rules) -> Vec<String> {
    // An empty dimension changes scores when it has a weight (that counts in the maximum).
    let weighted_at = |span: Span| {
        rules
            .dimensions
            .iter()
            .any(|d| d.id.span == span && d.weight.is_some())
    };
    lint(rules, &[])
        .into_iter()
        .filter(|l| {
            matches!(
                l.code,
                "unreachable-tier"
                    | "bands-out-of-order"
                    | "bands-above-points"
                    | "tiers-out-of-order"
                    | "levels-above-points"
                    | "points-never-paid"
                    | "condition-never-holds"
                    | "direction-ignored"
                    | "percent-as-fraction"
                    | "unit-mismatch"
                    | "count-of-number"
                    | "best-values-unpaid"
                    | "unknown-category"
                    | "weight-without-points"
                    | "marker-is-a-level"
                    | "min-score-finer-than-scores"
            ) || (l.code == "empty-dimension" && weighted_at(l.span))
        })
        .map(|l| {
            let (line, col) = rules.source.line_col(l.span.start);
            format!(
                "{}:{line}:{col}: {} [{}]",
                rules.source.name, l.message, l.code
            )
        })
        .collect()
}

/// A unit as (factor, base): its leading magnitude characters multiplied (`万元` is
/// (10⁴, `元`), `百万元` (10⁶, `元`), `万千瓦时` (10⁷, `瓦时`)), `None` when nothing is left
/// for the base. Two units compare when their bases are the same text.
pub(crate) fn unit_scale(unit: &str) -> Option<(f64, &str)> {
    let unit = unit.trim();
    let mut factor = 1.0;
    for (at, ch) in unit.char_indices() {
        let f = match ch {
            '十' => 10.0,
            '百' => 100.0,
            '千' => 1e3,
            '万' => 1e4,
            '亿' => 1e8,
            _ => return Some((factor, &unit[at..])),
        };
        factor *= f;
    }
    None
}

/// The unit a column header names in brackets at its end: `营业收入（万元）` → `万元`
/// (full- or half-width parentheses, square or lenticular brackets).
pub(crate) fn header_unit(header: &str) -> Option<&str> {
    let header = header.trim_end();
    let close = header.chars().next_back()?;
    let open: &[char] = match close {
        '）' | ')' => &['（', '('],
        ']' => &['['],
        '】' => &['【'],
        _ => return None,
    };
    let inner = &header[..header.len() - close.len_utf8()];
    let at = inner.rfind(open)?;
    let start = at + inner[at..].chars().next()?.len_utf8();
    let unit = inner[start..].trim();
    (!unit.is_empty()).then_some(unit)
}

/// `unit-mismatch`: an indicator read from a column whose header names a unit of the same
/// kind as the indicator's `unit` but another magnitude (`研发经费（万元）` for an indicator
/// in 亿元), with a `multiply` that does not convert between them (1 when absent).
fn unit_mismatch(ind: &super::Indicator) -> Option<Lint> {
    let Source::Column(col) = &ind.source else {
        return None;
    };
    let column_unit = header_unit(&col.value)?;
    let unit = ind.unit.as_deref()?;
    let (from, base) = unit_scale(column_unit)?;
    let (to, base_to) = unit_scale(unit)?;
    if base != base_to {
        return None;
    }
    let needed = from / to;
    let given = ind.multiply.as_ref().map_or(1.0, |m| m.value);
    if (given - needed).abs() <= 1e-9 * needed.abs() {
        return None;
    }
    let show = crate::column::format_display;
    let now = match &ind.multiply {
        Some(m) => format!("it has multiply = {}", show(m.value)),
        None => "it has no multiply".to_string(),
    };
    Some(Lint {
        code: "unit-mismatch",
        message: format!(
            "indicator '{}': column \"{}\" is in {column_unit} and the indicator in {unit}, so its values need multiply = {} ({column_unit} → {unit}), but {now}",
            ind.id.value,
            col.value,
            show(needed)
        ),
        span: ind.multiply.as_ref().map_or(col.span, |m| m.span),
    })
}

/// Every lint of a rules file. `names_used` are the bare names its expressions mention.
pub fn lint(rules: &Rules, names_used: &[String]) -> Vec<Lint> {
    let mut out = Vec::new();
    min_scores_finer_than_scores(rules, &mut out);
    // Tiers and conditions compare published numbers, rounded to `decimals`.
    let published = |x: f64| crate::num::round_half_away(x, rules.settings.decimals);
    let reachable = published(rules.highest_reachable());
    for t in &rules.tiers {
        let out_of_reach = |m: f64| m > reachable + crate::num::tolerance(reachable);
        let show = crate::column::format_display;
        match &t.min_score {
            Some(Param::Fixed(m)) if out_of_reach(*m) && t.direct.is_empty() => {
                out.push(Lint {
                    code: "unreachable-tier",
                    message: format!(
                        "tier '{}' needs {m} points but at most {} can be scored; lower its \
                         min_score to {} or less, or raise the criteria's points",
                        t.id.value,
                        show(reachable),
                        show(reachable)
                    ),
                    span: t.id.span,
                });
            }
            // A category table's numbers one by one: a typo in one region's minimum shuts
            // that region out of the tier.
            Some(Param::ByCategory {
                by,
                values,
                default,
            }) if t.direct.is_empty() => {
                let mut over: Vec<String> = values
                    .iter()
                    .filter(|(_, v)| out_of_reach(*v))
                    .map(|(k, v)| format!("{} for {} = '{k}'", show(*v), by.value))
                    .collect();
                if let Some(d) = default.filter(|&d| out_of_reach(d)) {
                    over.push(format!("{} for the default", show(d)));
                }
                if !over.is_empty() {
                    out.push(Lint {
                        code: "unreachable-tier",
                        message: format!(
                            "tier '{}' needs {} but at most {} can be scored, so no such entity \
                             can take it; lower those numbers to {} or less",
                            t.id.value,
                            over.join(", "),
                            show(reachable),
                            show(reachable)
                        ),
                        span: by.span,
                    });
                }
            }
            _ => {}
        }
        // `top_percent = 0.3` read as 0.3 %: a share written as a fraction.
        if let Some(p) = t.top_percent
            && p < 1.0
        {
            out.push(Lint {
                code: "percent-as-fraction",
                message: format!(
                    "tier '{}' has top_percent = {shown}, which is {shown} % of the ranked entities; \
                     top_percent is in percent: for {} % write top_percent = {}",
                    t.id.value,
                    crate::column::format_display(p * 100.0),
                    crate::column::format_display(p * 100.0),
                    shown = crate::column::format_display(p)
                ),
                span: t.id.span,
            });
        }
        if t.max_count == Some(0) {
            out.push(Lint {
                code: "unreachable-tier",
                message: format!(
                    "tier '{}' has max_count = 0, so no entity can take it",
                    t.id.value
                ),
                span: t.id.span,
            });
        }
    }
    for c in &rules.criteria {
        if let Method::Bands(bands) = &c.method {
            for (i, b) in bands.iter().enumerate() {
                let Some(t) = b.threshold.fixed() else {
                    continue;
                };
                let shadowed = super::band_shadowed(bands, i);
                if shadowed {
                    // A threshold a hundred times off the others is more likely a number in
                    // another unit (万元 typed into a table in 亿元) than a band out of place:
                    // reordering would score the wrong unit.
                    let others: Vec<f64> = bands
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != i)
                        .filter_map(|(_, a)| a.threshold.fixed())
                        .filter(|u| *u != 0.0)
                        .map(f64::abs)
                        .collect();
                    let far = t != 0.0
                        && !others.is_empty()
                        && (others.iter().all(|u| t.abs() >= 100.0 * u)
                            || others.iter().all(|u| t.abs() * 100.0 <= *u));
                    let unit_hint = if far {
                        format!(
                            "; {} is a hundred times or more off the other thresholds: if it is in another unit (万元 for 亿元, a fraction for a percentage), write it in the indicator's unit{}",
                            t,
                            rules
                                .indicator(&c.indicator.value)
                                .and_then(|i| i.unit.as_deref())
                                .map(|u| format!(" ({u})"))
                                .unwrap_or_default()
                        )
                    } else {
                        String::new()
                    };
                    // What the criterion can then pay, when the band was its best.
                    let show = crate::column::format_display;
                    let paid = c.payable();
                    let short = if b.points.all_values().iter().any(|&p| p > paid)
                        && paid < c.points.value - crate::num::tolerance(c.points.value)
                    {
                        format!(
                            ", so the criterion pays at most {} of its {} points",
                            show(paid),
                            show(c.points.value)
                        )
                    } else {
                        String::new()
                    };
                    out.push(Lint {
                        code: "bands-out-of-order",
                        message: format!(
                            "criterion '{}': band {} ({} {}) can never be reached, an earlier band already takes every such value{short}; bands are tried in order, so list {} bands from the {} threshold {}{unit_hint}",
                            c.id.value,
                            i + 1,
                            b.op.key(),
                            t,
                            b.op.key(),
                            if matches!(b.op, BandOp::AtLeast | BandOp::Above) { "highest" } else { "lowest" },
                            if matches!(b.op, BandOp::AtLeast | BandOp::Above) { "down" } else { "up" },
                        ),
                        span: b.span,
                    });
                }
            }
            if let Some((message, span)) = points_above_criterion(c) {
                out.push(Lint {
                    code: "bands-above-points",
                    message,
                    span,
                });
            }
        }
    }
    // Tiers are listed from the highest down: a fixed minimum above an earlier tier's says
    // the order is reversed (the walk would try the lower tier first).
    for (i, t) in rules.tiers.iter().enumerate() {
        let Some(min) = t.min_score.as_ref().and_then(Param::fixed) else {
            continue;
        };
        if let Some(higher) = rules.tiers[..i].iter().find(|u| {
            u.min_score
                .as_ref()
                .and_then(Param::fixed)
                .is_some_and(|m| m < min)
        }) {
            out.push(Lint {
                code: "tiers-out-of-order",
                message: format!(
                    "tier '{}' (min_score {min}) is listed after tier '{}', which asks less; tiers are listed from the highest to the lowest",
                    t.id.value, higher.id.value
                ),
                span: t.id.span,
            });
        }
    }
    // A tier behind an earlier one that asks no less of the same score and holds everyone
    // it may (no quota, no `requires`): every entity that could take it takes the earlier
    // one, unless a capping gate stops some at a tier from just below the earlier one down
    // to this one.
    let holds_all =
        |u: &super::Tier| u.max_count.is_none() && u.top_percent.is_none() && u.requires.is_empty();
    // Whether a capping gate caps at a tier after tier `a`, up to tier `i`.
    let capped_between = |a: usize, i: usize| {
        rules.gates.iter().any(|g| match &g.effect {
            GateEffect::MaxTier(m) => rules
                .tiers
                .iter()
                .position(|u| u.id.value == m.value)
                .is_some_and(|k| k > a && k <= i),
            GateEffect::Exclude => false,
        })
    };
    for (i, t) in rules.tiers.iter().enumerate() {
        let Some(min) = t.min_score.as_ref().and_then(Param::fixed) else {
            continue;
        };
        if !t.direct.is_empty() {
            continue;
        }
        if let Some((_, earlier)) = rules.tiers[..i].iter().enumerate().find(|(a, u)| {
            u.min_score
                .as_ref()
                .and_then(Param::fixed)
                // (An earlier tier asking less is `tiers-out-of-order`'s.)
                .is_some_and(|m| m == min)
                && holds_all(u)
                && !capped_between(*a, i)
        }) {
            out.push(Lint {
                code: "unreachable-tier",
                message: format!(
                    "tier '{}' can never be given: tier '{}', listed before it, asks the same \
                     (min_score {}) and has no quota or requires, so it takes every entity \
                     first; give '{}' a quota or requires, or remove '{}'",
                    t.id.value,
                    earlier.id.value,
                    crate::column::format_display(
                        earlier
                            .min_score
                            .as_ref()
                            .and_then(Param::fixed)
                            .unwrap_or(min)
                    ),
                    earlier.id.value,
                    t.id.value
                ),
                span: t.id.span,
            });
        }
    }
    // A tier with no min_score, quota or requires takes every ranked entity that reaches
    // it (`direct` only waives a minimum), so the tiers after it get only the entities a
    // capping gate holds below it. Said once, at the first tier so shadowed.
    if let Some((a, open)) = rules
        .tiers
        .iter()
        .enumerate()
        .find(|(_, u)| u.min_score.is_none() && holds_all(u))
        && a + 1 < rules.tiers.len()
        && !capped_between(a, rules.tiers.len())
    {
        let later: Vec<String> = rules.tiers[a + 1..]
            .iter()
            .map(|t| format!("'{}'", t.id.value))
            .collect();
        out.push(Lint {
            code: "unreachable-tier",
            message: format!(
                "tier '{}' has no min_score, quota or requires, so it takes every ranked entity \
                 and {} after it can never be given; give '{}' a min_score (a tier given only \
                 through `direct` needs one no score reaches, e.g. min_score = {}) or a quota",
                open.id.value,
                later.join(", "),
                open.id.value,
                crate::column::format_display((reachable + 1.0).ceil())
            ),
            span: open.id.span,
        });
    }
    // A cap at the highest tier caps nothing; an adjustment of 0 points adjusts nothing.
    if let Some(top) = rules.tiers.first() {
        for g in &rules.gates {
            if let GateEffect::MaxTier(m) = &g.effect
                && m.value == top.id.value
            {
                out.push(Lint {
                    code: "setting-ignored",
                    message: format!(
                        "gate '{}' caps at tier '{}', the highest: it changes nothing; to keep \
                         entities out of '{}', cap them at the tier below{}",
                        g.id.value,
                        m.value,
                        m.value,
                        rules.tiers.get(1).map_or(String::new(), |b| format!(
                            " (max_tier = \"{}\")",
                            b.id.value
                        ))
                    ),
                    span: m.span,
                });
            }
        }
    }
    // A criterion of 0 points (a policy designer switching one off): shown, scoring nothing.
    // (A dimension all of whose criteria carry 0 points has lints of its own.)
    for c in &rules.criteria {
        if c.points.value == 0.0
            && rules
                .criteria
                .iter()
                .any(|k| k.dimension.value == c.dimension.value && k.points.value != 0.0)
        {
            out.push(Lint {
                code: "setting-ignored",
                message: format!(
                    "criterion '{}' is worth 0 points: its value and fraction are shown, but it \
                     adds nothing to any score; give it points, or remove it (to show an \
                     indicator without scoring it, list it in [output] carry)",
                    c.id.value
                ),
                span: c.points.span,
            });
        }
    }
    for adj in &rules.adjustments {
        if adj.points == 0.0 {
            out.push(Lint {
                code: "setting-ignored",
                message: format!(
                    "adjustment '{}' gives 0 points: it changes nothing; give it points, or \
                     remove it",
                    adj.id.value
                ),
                span: adj.id.span,
            });
        }
    }
    // Settings that change nothing: a lower-is-better category (categories are scored by
    // their levels' points), a geometric floor under another aggregation.
    for ind in &rules.indicators {
        if ind.kind == crate::rules::Kind::Category
            && ind.direction == crate::rules::Direction::Lower
        {
            out.push(Lint {
                code: "setting-ignored",
                message: format!(
                    "indicator '{}' is a category: direction = \"lower\" changes nothing (its levels' points say what is better)",
                    ind.id.value
                ),
                span: ind.id.span,
            });
        }
    }
    // `direction = "lower"` is read by target, minmax, zscore, percentile and tie_break only;
    // linear and bands say the direction through their thresholds, per, direct and flag
    // ignore it. A missing policy applies to the criteria on the indicator only.
    let member_level = |ind: &super::Indicator| {
        rules.aggregate.is_some() && !matches!(ind.source, Source::Aggregate(_))
    };
    for ind in &rules.indicators {
        if member_level(ind) {
            continue;
        }
        let scored_by: Vec<&super::Criterion> = rules
            .criteria
            .iter()
            .filter(|c| c.indicator.value == ind.id.value)
            .collect();
        // Criteria that score higher values higher whatever `direction` says: linear with
        // floor below target, bands meeting values from below, per and flag.
        let upward: Vec<String> = scored_by
            .iter()
            .filter_map(|c| match &c.method {
                Method::Linear {
                    floor: Param::Fixed(f),
                    target: Param::Fixed(t),
                } if f < t => Some(format!(
                    "'{}' (linear, floor {f} below target {t})",
                    c.id.value
                )),
                // `at_least` bands whose points rise with the threshold (the first, highest
                // band gives the most); falling points already say lower is better.
                Method::Bands(bands)
                    if bands.len() >= 2
                        && bands
                            .iter()
                            .all(|b| matches!(b.op, BandOp::AtLeast | BandOp::Above))
                        && bands
                            .first()
                            .zip(bands.last())
                            .and_then(|(f, l)| {
                                Some(
                                    f.threshold.fixed()? > l.threshold.fixed()?
                                        && f.points.fixed()? > l.points.fixed()?,
                                )
                            })
                            .unwrap_or(false) =>
                {
                    Some(format!(
                        "'{}' (bands giving more points at higher thresholds)",
                        c.id.value
                    ))
                }
                Method::Per { .. } | Method::Flag => {
                    Some(format!("'{}' ({})", c.id.value, c.method.name()))
                }
                _ => None,
            })
            .collect();
        let reads_direction = scored_by.iter().any(|c| {
            matches!(
                c.method,
                Method::Target { .. } | Method::MinMax | Method::ZScore | Method::Percentile
            )
        }) || rules
            .settings
            .tie_break
            .iter()
            .any(|t| t.value == ind.id.value);
        if ind.kind != crate::rules::Kind::Category
            && ind.direction == crate::rules::Direction::Lower
            && !reads_direction
            && !upward.is_empty()
        {
            out.push(Lint {
                code: "direction-ignored",
                message: format!(
                    "indicator '{}' has direction = \"lower\", but {} {} higher values higher: \
                     direction is read by target, minmax, zscore, percentile and tie_break only; \
                     for linear put floor above target, for bands use at_most or below",
                    ind.id.value,
                    upward.join(", "),
                    if upward.len() > 1 { "score" } else { "scores" }
                ),
                span: ind.id.span,
            });
        }
        // `at_least` bands on a lower-is-better indicator that pay most at the lowest
        // threshold: the values below it, the best ones, meet no band and score 0.
        if ind.direction == crate::rules::Direction::Lower {
            for c in &scored_by {
                let Method::Bands(bands) = &c.method else {
                    continue;
                };
                if !bands
                    .iter()
                    .all(|b| matches!(b.op, BandOp::AtLeast | BandOp::Above))
                {
                    continue;
                }
                let lowest = bands
                    .iter()
                    .filter_map(|b| Some((b.threshold.fixed()?, b.points.fixed()?, b)))
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                // (Only where the lowest band pays the most, as lower-is-better bands would:
                // bands paying more higher up are `direction-ignored`'s.)
                let most = bands
                    .iter()
                    .flat_map(|b| b.points.all_values())
                    .fold(0.0, f64::max);
                // (A lowest threshold of 0 or less leaves out no value of a share, count or
                // intensity.)
                if let Some((t, p, band)) = lowest
                    && t > 0.0
                    && p > 0.0
                    && p >= most
                {
                    let show = crate::column::format_display;
                    out.push(Lint {
                        code: "best-values-unpaid",
                        message: format!(
                            "criterion '{}': indicator '{}' has direction = \"lower\", but its \
                             bands pay from a threshold up, so the best values, below {}, meet \
                             no band and score 0 while {} {} pays {}; for lower-is-better \
                             write the bands with below or at_most, from the lowest threshold \
                             up (e.g. {{ below = {}, points = {} }})",
                            c.id.value,
                            ind.id.value,
                            show(t),
                            band.op.key(),
                            show(t),
                            show(p),
                            show(t),
                            show(p)
                        ),
                        span: band.span,
                    });
                }
            }
        }
        // (`fail` there stops the run when a value is missing, a tie-break, cohort or
        // category-table indicator included.)
        if let Some(m) = ind.missing
            && m != crate::rules::MissingPolicy::Fail
            && scored_by.is_empty()
        {
            out.push(Lint {
                code: "setting-ignored",
                message: format!(
                    "indicator '{}' has missing = \"{}\", but no criterion scores it: this \
                     policy applies to criteria; gates, requires, adjustments, tie_break and \
                     category tables read an empty cell as missing (see their warnings); \
                     missing = \"fail\" stops the run instead",
                    ind.id.value,
                    m.name()
                ),
                span: ind.id.span,
            });
        }
    }
    // Under [aggregate] a member-level indicator is never scored: only what an aggregate
    // makes of it is, so its own missing policy and direction change nothing.
    if rules.aggregate.is_some() {
        for ind in &rules.indicators {
            if matches!(ind.source, Source::Aggregate(_)) {
                continue;
            }
            let mut keys = Vec::new();
            if let Some(m) = ind.missing {
                keys.push(format!("missing = \"{}\"", m.name()));
            }
            if ind.direction == crate::rules::Direction::Lower {
                keys.push("direction = \"lower\"".to_string());
            }
            if !keys.is_empty() {
                out.push(Lint {
                    code: "setting-ignored",
                    message: format!(
                        "indicator '{}' is member-level under [aggregate]: {} {} nothing \
                         (members are not scored; an aggregate skips members without a value \
                         and warns of it); set it on the aggregate indicator that reads it",
                        ind.id.value,
                        keys.join(" and "),
                        if keys.len() > 1 { "change" } else { "changes" }
                    ),
                    span: ind.id.span,
                });
            }
        }
    }
    if rules.settings.aggregation != crate::rules::Aggregation::Geometric
        && rules.settings.geometric_floor != crate::rules::DEFAULT_GEOMETRIC_FLOOR
    {
        out.push(Lint {
            code: "setting-ignored",
            message: "geometric_floor applies to aggregation = \"geometric\" only; it changes nothing here".into(),
            span: rules.settings.id.span,
        });
    }
    // A category table keyed by a value its indicator's `levels` do not allow never matches.
    for p in rules.parameters() {
        if let Param::ByCategory {
            by,
            values,
            default,
        } = p
            && let Some(levels) = rules.indicator(&by.value).and_then(|i| i.levels.as_ref())
            && let Some((k, _)) = values.iter().find(|(k, _)| !levels.contains(k))
        {
            // The level meant, when it is a near spelling and the table leaves it out: what
            // its entities get instead.
            let meant = crate::diag::did_you_mean(k, levels.iter().map(String::as_str))
                .filter(|m| !values.iter().any(|(v, _)| v == m));
            let instead = match (&meant, default) {
                (Some(m), Some(d)) => format!(
                    "; did you mean '{m}'? Entities with {} = '{m}' now take the default, {}",
                    by.value,
                    crate::column::format_display(*d)
                ),
                (Some(m), None) => format!(
                    "; did you mean '{m}'? Entities with {} = '{m}' now stop the run, the table \
                     having no default",
                    by.value
                ),
                (None, _) => format!("; write one of the levels, or remove '{k}'"),
            };
            out.push(Lint {
                code: "unknown-category",
                message: format!(
                    "'{k}' is not one of the levels of '{}' ({}): its value is never used{instead}",
                    by.value,
                    levels.join(", ")
                ),
                span: by.span,
            });
        }
    }
    // A dimension without criteria scores nothing, yet its weight counts in the maximum.
    let reach_left = || {
        format!(
            ", yet its weight counts in the maximum: at most {} of {} can be scored",
            crate::column::format_display(reachable),
            crate::column::format_display(published(rules.max_score()))
        )
    };
    for d in &rules.dimensions {
        if !rules
            .criteria
            .iter()
            .any(|c| c.dimension.value == d.id.value)
        {
            out.push(Lint {
                code: "empty-dimension",
                message: format!(
                    "dimension '{}' has no criteria: it scores nothing{}; give it criteria, or \
                     remove it",
                    d.id.value,
                    if d.weight.is_some() {
                        reach_left()
                    } else {
                        String::new()
                    }
                ),
                span: d.id.span,
            });
        }
    }
    // A weighted dimension whose criteria carry no points: W_d × D_d / M_d with M_d = 0
    // scores 0 for everyone, while the weight counts in the maximum.
    for d in &rules.dimensions {
        let criteria: Vec<_> = rules
            .criteria
            .iter()
            .filter(|c| c.dimension.value == d.id.value)
            .collect();
        if let Some(w) = &d.weight
            && w.value > 0.0
            && !criteria.is_empty()
            && criteria.iter().all(|c| c.points.value == 0.0)
        {
            out.push(Lint {
                code: "weight-without-points",
                message: format!(
                    "dimension '{}' has weight {} but its criteria carry 0 points: it scores 0 for every entity{}; give its criteria points, or remove the weight",
                    d.id.value,
                    w.value,
                    reach_left()
                ),
                span: w.span,
            });
        }
    }
    // A condition on a score above what the score can reach never holds: a tier's
    // `requires` written out of 100 for a dimension weighted 40, or left at its old number
    // after new weights were written in. Only where scores are read (capping gates,
    // adjustments, tiers: an exclude gate reads data columns of those names), and only for
    // comparisons that must hold for the whole to (the condition itself, a term of an
    // `and`, a side of an `or`: not under `not` or inside a function).
    let conditions = rules.conditions(|g| matches!(g.effect, GateEffect::MaxTier(_)));
    for (what, text) in conditions {
        let Ok(ast) = crate::expr::parse(&text.value) else {
            continue;
        };
        let mut terms: Vec<&crate::expr::Expr> = Vec::new();
        fn conjuncts<'e>(e: &'e crate::expr::Expr, out: &mut Vec<&'e crate::expr::Expr>) {
            use crate::expr::{BinaryOp, ExprKind};
            match &e.kind {
                ExprKind::Chain { first, rest }
                    if rest
                        .iter()
                        .all(|(op, _)| matches!(op, BinaryOp::And | BinaryOp::Or)) =>
                {
                    conjuncts(first, out);
                    for (_, r) in rest {
                        conjuncts(r, out);
                    }
                }
                ExprKind::Binary {
                    op: BinaryOp::And | BinaryOp::Or,
                    lhs,
                    rhs,
                } => {
                    conjuncts(lhs, out);
                    conjuncts(rhs, out);
                }
                _ => out.push(e),
            }
        }
        conjuncts(&ast, &mut terms);
        for e in terms {
            use crate::expr::{BinaryOp, ExprKind};
            let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
                continue;
            };
            // `name >= c`, `name > c`, `name == c`, `name <= c`, `name < c`, or the same
            // written the other way round: the name must reach up to c (Up), down to c
            // (Down), or both.
            enum Needs {
                Up { strict: bool },
                Down { strict: bool },
                Equal,
            }
            fn named(x: &crate::expr::Expr) -> Option<&String> {
                match &x.kind {
                    crate::expr::ExprKind::Name {
                        name,
                        quoted: false,
                    } => Some(name),
                    _ => None,
                }
            }
            // (A negative number is a minus applied to one.)
            let number = |x: &crate::expr::Expr| match &x.kind {
                ExprKind::Number(c) => Some(*c),
                ExprKind::Unary {
                    op: crate::expr::UnaryOp::Neg,
                    expr,
                } => match expr.kind {
                    ExprKind::Number(c) => Some(-c),
                    _ => None,
                },
                _ => None,
            };
            let (name, c, op) = match (named(lhs), number(rhs), named(rhs), number(lhs)) {
                (Some(n), Some(c), _, _) => (n, c, *op),
                // `c < name` reads as `name > c`.
                (_, _, Some(n), Some(c)) => (
                    n,
                    c,
                    match op {
                        BinaryOp::Le => BinaryOp::Ge,
                        BinaryOp::Lt => BinaryOp::Gt,
                        BinaryOp::Ge => BinaryOp::Le,
                        BinaryOp::Gt => BinaryOp::Lt,
                        other => *other,
                    },
                ),
                _ => continue,
            };
            let needs = match op {
                BinaryOp::Ge => Needs::Up { strict: false },
                BinaryOp::Gt => Needs::Up { strict: true },
                BinaryOp::Le => Needs::Down { strict: false },
                BinaryOp::Lt => Needs::Down { strict: true },
                BinaryOp::Eq => Needs::Equal,
                _ => continue,
            };
            // Indicators come first in name resolution (SPEC §12).
            if rules.indicator(name).is_some() {
                continue;
            }
            // (kind, highest, lowest, what the number is): criteria and dimensions are never
            // below 0; the final score goes below 0 only by negative adjustments.
            let (kind, reach, floor, scale) = if name == "score" {
                (
                    "the final score".to_string(),
                    rules.highest_reachable(),
                    rules.lowest_reachable(),
                    "the final score, with adjustments and clamp",
                )
            } else if let Some(r) = rules.dimension_reach(name) {
                (
                    format!("dimension '{name}'"),
                    r,
                    0.0,
                    "a dimension's number is its share of the maximum",
                )
            } else if let Some(k) = rules.criteria.iter().find(|k| k.id.value == *name) {
                (
                    format!("criterion '{name}'"),
                    k.payable(),
                    0.0,
                    "a criterion's number is its points",
                )
            } else {
                continue;
            };
            let (reach, floor) = (published(reach), published(floor));
            let (tol, floor_tol) = (crate::num::tolerance(reach), crate::num::tolerance(floor));
            let above = match needs {
                Needs::Up { strict: true } => c >= reach - tol,
                Needs::Up { strict: false } | Needs::Equal => c > reach + tol,
                Needs::Down { .. } => false,
            };
            let below = match needs {
                Needs::Down { strict: true } => c <= floor + floor_tol,
                Needs::Down { strict: false } | Needs::Equal => c < floor - floor_tol,
                Needs::Up { .. } => false,
            };
            if !above && !below {
                continue;
            }
            let span = super::expression_span(&rules.source.text, text.span, &text.value, e.span)
                .unwrap_or(text.span);
            let written = text
                .value
                .get(e.span.start..e.span.end)
                .unwrap_or(&text.value);
            let message = if above {
                format!(
                    "{what} `{}` can never hold: {kind} reaches at most {}; write the threshold \
                     on the scale it is published on ({scale})",
                    crate::diag::truncate(written, 80),
                    crate::column::format_display(reach)
                )
            } else {
                format!(
                    "{what} `{}` can never hold: {kind} is never below {}; compare with a \
                     number above {} (or with an indicator, for a data value)",
                    crate::diag::truncate(written, 80),
                    crate::column::format_display(floor),
                    crate::column::format_display(floor)
                )
            };
            out.push(Lint {
                code: "condition-never-holds",
                message,
                span,
            });
        }
    }
    // Division by a constant 0 is always missing: never what the author meant.
    let expressions = rules
        .indicators
        .iter()
        .filter_map(|i| match &i.source {
            Source::Formula(f) | Source::Aggregate(f) => Some(f),
            Source::Column(_) => None,
        })
        .chain(rules.gates.iter().map(|g| &g.require))
        .chain(rules.adjustments.iter().map(|a| &a.when))
        .chain(
            rules
                .tiers
                .iter()
                .flat_map(|t| t.requires.iter().chain(&t.direct)),
        );
    for text in expressions {
        let Ok(ast) = crate::expr::parse(&text.value) else {
            continue;
        };
        // The first division by 0, quoted and underlined on its own: the whole expression
        // need not be missing (`coalesce(x / 0, 5)` is 5).
        let mut zero = None;
        crate::expr::walk(&ast, &mut |e| {
            if zero.is_none()
                && let crate::expr::ExprKind::Chain { rest, .. } = &e.kind
                && rest.iter().any(|(op, r)| {
                    *op == crate::expr::BinaryOp::Div
                        && matches!(r.kind, crate::expr::ExprKind::Number(x) if x == 0.0)
                })
            {
                zero = Some(e.span);
            }
        });
        if let Some(at) = zero {
            let span = super::expression_span(&rules.source.text, text.span, &text.value, at)
                .unwrap_or(text.span);
            let written = text.value.get(at.start..at.end).unwrap_or(&text.value);
            out.push(Lint {
                code: "division-by-zero",
                message: format!(
                    "`{}` divides by the constant 0: it is always missing; divide by the indicator meant",
                    crate::diag::truncate(written, 80)
                ),
                span,
            });
        }
        // `count(rev)` over a number: a number is true as a condition when it is not 0, so
        // it counts the members with rev ≠ 0, where an analyst used to SQL or Excel COUNT
        // reads "the members that report rev".
        let mut counted = None;
        crate::expr::walk(&ast, &mut |e| {
            if counted.is_none()
                && let crate::expr::ExprKind::Call { name, args, .. } = &e.kind
                && matches!(name.as_str(), "count" | "share")
                && let [arg] = args.as_slice()
                && let crate::expr::ExprKind::Name {
                    name: n,
                    quoted: false,
                } = &arg.kind
                && rules
                    .indicators
                    .iter()
                    .any(|i| i.id.value == *n && i.kind == super::Kind::Number)
            {
                counted = Some((e.span, name.clone(), n.clone()));
            }
        });
        if let Some((at, f, n)) = counted {
            let span = super::expression_span(&rules.source.text, text.span, &text.value, at)
                .unwrap_or(text.span);
            out.push(Lint {
                code: "count-of-number",
                message: format!(
                    "{f}({n}) takes the number {n} as a condition, so it counts the members whose {n} is not 0, not those that report it: for those write {f}(not is_missing({n})); for the non-zero ones write {f}({n} != 0), which says so"
                ),
                span,
            });
        }
    }
    // Level points above the criterion's are capped at full points, as band points are.
    for c in &rules.criteria {
        if matches!(c.method, Method::Levels(_))
            && let Some((message, span)) = points_above_criterion(c)
        {
            out.push(Lint {
                code: "levels-above-points",
                message,
                span,
            });
        }
    }
    // Points raised without raising the table: no band or level pays them all, so the
    // criterion never gives full points (and its share of the maximum is out of reach).
    for c in &rules.criteria {
        let paid = c.payable();
        if let Method::Per {
            points_per_step, ..
        } = &c.method
        {
            if paid < c.points.value {
                out.push(Lint {
                    code: "points-never-paid",
                    message: format!(
                        "criterion '{}': points_per_step is {}, so no step pays anything and it \
                         gives 0 of its {} points; give points_per_step the points a step earns",
                        c.id.value,
                        points_per_step.describe(),
                        crate::column::format_display(c.points.value)
                    ),
                    span: c.points.span,
                });
            }
            continue;
        }
        // (Bands that pay the points only from a band out of order are
        // `bands-out-of-order`'s, which says what the criterion then pays.)
        let listed = match &c.method {
            Method::Bands(bands) => bands
                .iter()
                .flat_map(|b| b.points.all_values())
                .fold(f64::NEG_INFINITY, f64::max),
            _ => paid,
        };
        let short = |x: f64| x < c.points.value - crate::num::tolerance(c.points.value);
        if short(paid) && short(listed) {
            let what = if matches!(c.method, Method::Levels(_)) {
                "level"
            } else {
                "band"
            };
            out.push(Lint {
                code: "points-never-paid",
                message: format!(
                    "criterion '{}': no {what} pays its {} points, the best pays {}, so it gives \
                     at most {} of {}; raise the {what}s with the points, or set points = {}",
                    c.id.value,
                    crate::column::format_display(c.points.value),
                    crate::column::format_display(paid),
                    crate::column::format_display(paid),
                    crate::column::format_display(c.points.value),
                    crate::column::format_display(paid)
                ),
                span: c.points.span,
            });
        }
    }
    // A level the indicator allows but the criterion's table leaves out scores 0 with a
    // warning on every run that meets it: say so once, here.
    for c in &rules.criteria {
        if let Method::Levels(table) = &c.method
            && let Some(allowed) = rules
                .indicator(&c.indicator.value)
                .and_then(|i| i.levels.as_ref())
        {
            let left_out: Vec<String> = allowed
                .iter()
                .filter(|a| !table.iter().any(|(k, _)| k == *a))
                .map(|a| format!("'{a}'"))
                .collect();
            if !left_out.is_empty() {
                out.push(Lint {
                    code: "level-without-points",
                    message: format!(
                        "criterion '{}' gives no points for {} that indicator '{}' allows: such \
                         cells score 0 with a warning; list them (e.g. {} = 0) to say so",
                        c.id.value,
                        left_out.join(", "),
                        c.indicator.value,
                        left_out[0].replace('\'', "\"")
                    ),
                    span: c.indicator.span,
                });
            }
        }
    }
    let mut used: Vec<&str> = names_used.iter().map(|s| s.as_str()).collect();
    used.extend(rules.criteria.iter().map(|c| c.indicator.value.as_str()));
    used.extend(rules.settings.tie_break.iter().map(|t| t.value.as_str()));
    if let Some(c) = &rules.settings.cohort {
        used.push(&c.value);
    }
    for c in &rules.criteria {
        for p in c.method.params() {
            if let Param::ByCategory { by, .. } = p {
                used.push(&by.value);
            }
        }
    }
    for t in &rules.tiers {
        if let Some(Param::ByCategory { by, .. }) = &t.min_score {
            used.push(&by.value);
        }
    }
    for ind in &rules.indicators {
        if !used.contains(&ind.id.value.as_str()) {
            out.push(Lint {
                code: "unused-indicator",
                message: format!("indicator '{}' is not used by any criterion, formula, gate, adjustment, tier or tie_break; score it with a criterion, or remove it", ind.id.value),
                span: ind.id.span,
            });
        }
        if let Some(lint) = unit_mismatch(ind) {
            out.push(lint);
        }
    }
    // Weights or points written as fractions (0.6, 0.4) without `scale`: scores run from 0
    // to 1, and with few decimals most entities tie on a published score. (A `scale = 1`
    // written out is a choice, as the published SAW and TOPSIS examples make it.)
    let max = rules.max_score();
    let decimals = rules.settings.decimals;
    if rules.settings.scale.is_none() && max > 0.0 && max <= 1.0 + 1e-9 && decimals <= 2 {
        let distinct = (max * 10f64.powi(decimals as i32)).round() as u64 + 1;
        out.push(Lint {
            code: "coarse-scores",
            message: format!(
                "the highest score is {} and scores are published with {decimals} decimals, so there are at most {distinct} different scores and many entities tie (ranked by tie_break, then id): set [rules] scale = 100, or more decimals",
                crate::column::format_display(max)
            ),
            span: rules
                .dimensions
                .iter()
                .find_map(|d| d.weight.as_ref().map(|w| w.span))
                .unwrap_or_default(),
        });
    }
    if let Some(scale) = rules.settings.scale
        && !rules.dimensions.is_empty()
        && rules.dimensions.iter().all(|d| d.weight.is_some())
    {
        let sum: f64 = rules
            .dimensions
            .iter()
            .map(|d| d.weight.as_ref().map_or(0.0, |w| w.value))
            .sum();
        // (Weights written as fractions of 1 under a `scale` are shares, as coarse-scores
        // suggests writing them: nothing to say. Nor is there when the weights are all
        // equal, or when they miss only by the rounding of their decimals: thirds written
        // 0.333333 or 33.3 cannot add up exactly, and are shares all the same.)
        let weights: Vec<f64> = rules
            .dimensions
            .iter()
            .filter_map(|d| d.weight.as_ref().map(|w| w.value))
            .collect();
        let equal = weights.len() >= 2 && weights.iter().all(|&w| w == weights[0]);
        let slack = rounding_slack(&weights);
        let off = |target: f64| {
            let by = (sum - target).abs();
            by > 1e-9 * target.abs().max(1.0) && (by > slack || by > 0.01 * target.abs())
        };
        if !equal && off(scale) && off(1.0) {
            out.push(Lint {
                code: "weights-not-scale",
                message: format!(
                    "dimension weights add up to {sum}, not to scale = {scale}: each weight \
                     counts as its share of {sum}, so scores run to {scale} all the same; write \
                     weights that add up to {scale}{} to say so",
                    if (scale - 1.0).abs() > 1e-9 {
                        " (or to 1)"
                    } else {
                        ""
                    }
                ),
                span: rules.dimensions[0]
                    .weight
                    .as_ref()
                    .map_or(Span::default(), |w| w.span),
            });
        }
    }
    // Weights without `scale` that add up to neither 100 nor 1 (1 is `coarse-scores`'):
    // the maximum is their sum, so a typo in one (300 for 30) runs every score to 370.
    if rules.settings.scale.is_none()
        && !rules.dimensions.is_empty()
        && rules.dimensions.iter().all(|d| d.weight.is_some())
    {
        let show = crate::column::format_display;
        let sum: f64 = rules
            .dimensions
            .iter()
            .map(|d| d.weight.as_ref().map_or(0.0, |w| w.value))
            .sum();
        let near = |a: f64, b: f64| (a - b).abs() <= crate::num::tolerance(b);
        if sum > 0.0 && !near(sum, 100.0) && !near(sum, 1.0) {
            // Every weight but one equal to its dimension's points: that one is likely the
            // typo.
            let points = |d: &super::Dimension| rules.dimension_points(d);
            let odd: Vec<&super::Dimension> = rules
                .dimensions
                .iter()
                .filter(|d| !d.weight.as_ref().is_some_and(|w| near(w.value, points(d))))
                .collect();
            let (hint, span) = match odd.as_slice() {
                [d] if rules.dimensions.len() >= 2 && points(d) > 0.0 => {
                    let w = d.weight.as_ref().expect("every dimension has a weight");
                    (
                        format!(
                            "; every other dimension's weight equals its criteria's points, but '{}' has weight {} for {} points: if that is a typo, write weight = {}",
                            d.id.value,
                            show(w.value),
                            show(points(d)),
                            show(points(d))
                        ),
                        w.span,
                    )
                }
                _ => (
                    String::new(),
                    rules.dimensions[0]
                        .weight
                        .as_ref()
                        .map_or(Span::default(), |w| w.span),
                ),
            };
            out.push(Lint {
                code: "weights-not-100",
                message: format!(
                    "dimension weights add up to {sum} and there is no scale, so scores run out of {sum} (each dimension gives at most its weight){hint}; correct the weights so that they add up to 100, or, if a maximum of {sum} is meant, set [rules] scale = {sum} to say so",
                    sum = show(sum)
                ),
                span,
            });
        }
    }
    // A bare name that is no indicator, dimension or criterion is read as a data column
    // (SPEC §12), so `check` cannot tell it is wrong without data. But a gate, adjustment or
    // tier id there stops `score` (unless the data has such a column), and a name one
    // letter off an id is a typo far more often than a column.
    // (what, expression, whether scores exist there, whether it reads member rows: under
    // [aggregate] formulas and aggregates, where a criterion id is the members' column)
    let members = rules.aggregate.is_some();
    let places = rules
        .indicators
        .iter()
        .filter_map(|i| match &i.source {
            Source::Formula(f) => Some((
                format!("formula of indicator '{}'", i.id.value),
                f,
                false,
                members,
            )),
            Source::Aggregate(f) => Some((
                format!("aggregate of indicator '{}'", i.id.value),
                f,
                false,
                members,
            )),
            Source::Column(_) => None,
        })
        .chain(rules.gates.iter().map(|g| {
            (
                format!("gate '{}'", g.id.value),
                &g.require,
                matches!(g.effect, GateEffect::MaxTier(_)),
                false,
            )
        }))
        .chain(
            rules
                .conditions(|_| false)
                .map(|(what, text)| (what, text, true, false)),
        );
    let is_id = |n: &str| {
        n == "score"
            || rules.indicator(n).is_some()
            || rules.dimension(n).is_some()
            || rules.criteria.iter().any(|c| c.id.value == n)
    };
    for (what, text, scores, member_rows) in places {
        let Ok(ast) = crate::expr::parse(&text.value) else {
            continue;
        };
        for (name, quoted, at) in crate::expr::names(&ast) {
            let span = |at| {
                super::expression_span(&rules.source.text, text.span, &text.value, at)
                    .unwrap_or(text.span)
            };
            // A dimension or criterion id before scoring (SPEC §12: an error there). In the
            // formula of an indicator the named criterion itself scores, `score` reads the data
            // column of that name when there is one (the points would be a cycle; the shared
            // yardstick relies on it, docs/rules.md), so only a run with the data can tell.
            let folded = crate::data::cell::fold_width(&name);
            if !quoted
                && !scores
                && !member_rows
                && let Some(what_is) = [name.as_str(), folded.as_ref()]
                    .into_iter()
                    .find_map(|n| rules.scored_value_of(n))
            {
                // Under [aggregate] an exclude gate reads whole entities, which have no data
                // columns: `score` stops on it whatever the data holds.
                let reads = if members {
                    "`score` stops on it:".to_string()
                } else {
                    let scorer = if rules.dimension(&name).is_some() {
                        format!("a criterion of dimension '{name}'")
                    } else {
                        format!("'{name}' itself")
                    };
                    if what.starts_with("formula of") {
                        // (`compile` refuses the name everywhere else: here it is the cycle.)
                        format!(
                            "in the formula of an indicator that {scorer} scores, `score` reads the data column '{name}' instead (with a warning) and stops if the data has none: write `{name}` in backticks to say the column is meant, or"
                        )
                    } else {
                        format!(
                            "`score` stops on it: write `{name}` in backticks if that column is meant, or"
                        )
                    }
                };
                out.push(Lint {
                    code: "score-before-scoring",
                    message: format!(
                        "{what}: '{name}' is {what_is}, which does not exist before scoring (SPEC §12); {reads} move the condition to where scores exist (a tier's requires or direct, a capping gate, an adjustment)"
                    ),
                    span: span(at),
                });
                continue;
            }
            // (A name typed in full-width letters is the id it folds to.)
            if quoted || is_id(&name) || is_id(&folded) {
                continue;
            }
            let problem = if let Some(kind) = rules.id_not_a_name(&name) {
                format!(
                    "'{name}' is the id of {kind}, and gate, adjustment and tier ids are not names in expressions: `score` stops on it (unless the data has a column '{name}'); write the condition it stands for, over indicators{}",
                    if scores {
                        ", criteria, dimensions or score"
                    } else {
                        " or data columns"
                    }
                )
            } else if let Some(meant) = crate::diag::did_you_mean(
                &name,
                rules.expression_ids(scores).into_iter().chain(
                    // (The final score: in tier conditions and capping gates, not adjustments.)
                    (scores && !what.starts_with("adjustment ")).then_some("score"),
                ),
            ) && one_edit(&name, &meant)
            {
                format!(
                    "'{name}' is no indicator{} and is read as a data column; did you mean '{meant}'? `score` stops on it unless the data has a column '{name}' (write `{name}` in backticks if that column is meant)",
                    match (scores, what.starts_with("adjustment ")) {
                        (true, false) => ", dimension, criterion or the score",
                        (true, true) => ", dimension or criterion",
                        (false, _) => "",
                    }
                )
            } else {
                continue;
            };
            out.push(Lint {
                code: "unknown-name",
                message: format!("{what}: {problem}"),
                span: span(at),
            });
        }
    }
    // A missing marker that is a level of a category read from the data: every such cell
    // becomes missing, so the level is never seen (`无` listed for 无数据 in amounts, while
    // 知识产权类别 has a level 无 worth 0 points).
    let fold = |t: &str| crate::data::cell::normalise_cell(t).into_owned();
    for marker in &rules.data.missing_markers {
        let m = fold(marker);
        let levels_of: Vec<&str> = rules
            .indicators
            .iter()
            .filter(|i| matches!(i.source, Source::Column(_)))
            .filter(|i| {
                // A declared level, or a level a criterion's table pays for.
                i.levels
                    .as_ref()
                    .is_some_and(|ls| ls.iter().any(|l| fold(l) == m))
                    || rules.criteria.iter().any(|c| {
                        c.indicator.value == i.id.value
                            && matches!(&c.method, Method::Levels(ls)
                                if ls.iter().any(|(l, _)| fold(l) == m))
                    })
            })
            .map(|i| i.id.value.as_str())
            .collect();
        // A yes/no word (`无`, `0`) read in yes/no columns: missing there, not 否. (Runs say
        // so from the data, with the count; `check` cannot see the cells.)
        if let Some(b) = crate::data::cell::parse_bool(&m) {
            let yes_no: Vec<String> = rules
                .indicators
                .iter()
                .filter(|i| i.kind == super::Kind::Bool && matches!(i.source, Source::Column(_)))
                .map(|i| format!("'{}'", i.id.value))
                .collect();
            if !yes_no.is_empty() {
                out.push(Lint {
                    code: "marker-is-a-yes-no-word",
                    message: format!(
                        "missing marker \"{marker}\" is a yes/no word ({}), and yes/no {} {} read from the data: [data] missing_markers apply to every column, so a cell \"{marker}\" there reads as missing, not as {}; if the word means that in those columns, remove it from missing_markers, and in number columns write 0 where it means none or leave the cell empty where it means no data",
                        if b { "是" } else { "否" },
                        crate::diag::agree(yes_no.len(), "indicator", "indicators"),
                        crate::diag::and_list(&yes_no),
                        if b { "是" } else { "否" },
                    ),
                    span: marker_span(rules, marker),
                });
            }
        }
        if levels_of.is_empty() {
            continue;
        }
        let quoted: Vec<String> = levels_of.iter().map(|i| format!("'{i}'")).collect();
        out.push(Lint {
            code: "marker-is-a-level",
            message: format!(
                "missing marker \"{marker}\" is a level of {} {}: [data] missing_markers apply to every column, so a cell \"{marker}\" there reads as missing, not as the level (its points, or a condition on it, are never given); remove it from missing_markers, and in number columns write 0 where it means none or leave the cell empty where it means no data",
                crate::diag::agree(levels_of.len(), "indicator", "indicators"),
                crate::diag::and_list(&quoted)
            ),
            span: marker_span(rules, marker),
        });
    }
    out
}

/// Where `marker` is written in `[data] missing_markers` (the whole key's line when the
/// text cannot be found there).
fn marker_span(rules: &Rules, marker: &str) -> Span {
    let text = &rules.source.text;
    let Some(key) = text
        .match_indices("missing_markers")
        .map(|(at, _)| at)
        .find(|&at| {
            text[..at]
                .rsplit('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty())
        })
    else {
        return Span::default();
    };
    let end = text[key..].find(']').map_or(text.len(), |e| key + e);
    let quoted = [format!("\"{marker}\""), format!("'{marker}'")];
    quoted
        .iter()
        .find_map(|q| text[key..end].find(q.as_str()).map(|at| key + at))
        .map_or(
            Span {
                start: key,
                end: key + "missing_markers".len(),
            },
            |at| Span {
                start: at,
                end: at + marker.len() + 2,
            },
        )
}

/// Whether `name` is one edit (a letter added, left out, changed or two swapped, letter case
/// aside) from `id`, and not a numbered sibling of it (`revenue_2022` beside `revenue_2023`,
/// `x1` beside `x2`: the names without their digits are the same).
fn one_edit(name: &str, id: &str) -> bool {
    let (lower, id_lower) = (name.to_lowercase(), id.to_lowercase());
    let letters = |s: &str| {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
    };
    (lower == id_lower || crate::diag::close_names(name, [id]).next().is_some())
        && letters(&lower) != letters(&id_lower)
}

/// The decimals a number is written with, up to 10 (the most `decimals` allows); 11 for
/// more.
fn decimals_written(x: f64) -> u32 {
    (0..=10u32)
        .find(|&d| (crate::num::round_half_away(x, d) - x).abs() <= crate::num::tolerance(x))
        .unwrap_or(11)
}

/// How far numbers written with decimals can add up away from what they round: half a unit
/// of the last decimal written (0.333333 → 5e-7) for each. Whole numbers give none: 30, 30
/// and 39 are no rounding of thirds. (The most decimals any one is written with: a weight
/// of 0.5 beside 0.195 is exact, not rounded to one decimal.)
fn rounding_slack(values: &[f64]) -> f64 {
    let most = values
        .iter()
        .map(|&v| decimals_written(v))
        .max()
        .unwrap_or(0);
    if most == 0 {
        return 0.0;
    }
    values.len() as f64 * 0.5 * 10f64.powi(-(most as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lint codes a rules file draws, in order.
    fn codes(text: &str) -> Vec<&'static str> {
        let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
        lint(&rules, &[]).into_iter().map(|l| l.code).collect()
    }

    /// Three dimensions of one criterion each, with these weights, under `scale`.
    fn weighted(scale: &str, weights: [&str; 3]) -> String {
        let mut text = format!(
            "[rules]\nname = \"w\"\nid = \"code\"\nscale = {scale}\n[[indicator]]\nid = \"x\"\n"
        );
        for (d, w) in weights.iter().enumerate() {
            text.push_str(&format!(
                "[[dimension]]\nid = \"d{d}\"\nweight = {w}\n[[criterion]]\nid = \"c{d}\"\ndimension = \"d{d}\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n"
            ));
        }
        text
    }

    /// Equal weights, and weights that miss their scale only by the rounding of their
    /// decimals (published AHP weights), are shares like any others: no lint. Whole numbers
    /// that miss, or decimals that miss by more than rounding, are linted.
    #[test]
    fn weights_missing_the_scale_by_rounding_are_not_linted() {
        let lint = ["weights-not-scale"];
        let none: [&str; 0] = [];
        for (scale, weights, expected) in [
            ("1", ["0.333333", "0.333333", "0.333333"], &none[..]),
            // AHP weights rounded to their published decimals.
            ("1", ["0.637", "0.258", "0.104"], &none),
            ("100", ["63.7", "25.8", "10.4"], &none),
            ("1", ["1", "1", "1"], &none),
            ("100", ["20", "20", "20"], &none),
            ("100", ["0.2", "0.3", "0.5"], &none),
            ("100", ["30", "30", "39"], &lint),
            ("1", ["0.3", "0.3", "0.35"], &lint),
            ("100", ["33", "33", "33.5"], &lint),
            ("1", ["0.33", "0.33", "0.32"], &lint),
            // One decimal beside three is no rounding to one decimal.
            ("1", ["0.5", "0.3", "0.195"], &lint),
        ] {
            assert_eq!(
                codes(&weighted(scale, weights)),
                expected,
                "{scale} {weights:?}"
            );
        }
    }

    const HEAD: &str = r#"
[rules]
name = "lints"
id = "code"
[[indicator]]
id = "x"
[[indicator]]
id = "level"
kind = "category"
"#;

    /// A poverty cut-off of 1/3 written 0.3333 with scores published to 2 decimals
    /// (published-examples audit 43): the rounded score is compared, so 1/3 (0.33) misses
    /// it and the tier starts at a published 0.34, raw 0.335. A threshold on the published
    /// grid, or decimals enough, is not linted; a category table's value is named.
    #[test]
    fn a_min_score_finer_than_the_published_scores_is_linted() {
        let rules = |decimals: u32, min: &str| {
            format!(
                "[rules]\nname = \"m\"\nid = \"id\"\nscale = 1\ndecimals = {decimals}\n\
                 [[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"r\"\nkind = \"category\"\n\
                 [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                 indicator = \"x\"\npoints = 1\nmethod = \"flag\"\n[[tier]]\nid = \"poor\"\n\
                 min_score = {min}\n"
            )
        };
        // (The category indicator is unused but in the table's case: only this lint counts.)
        let finer = |text: &str| -> Vec<String> {
            let r = Rules::from_str_named(text, "r.toml").unwrap();
            lint(&r, &[])
                .into_iter()
                .filter(|l| l.code == "min-score-finer-than-scores")
                .map(|l| l.message)
                .collect()
        };
        let text = rules(2, "0.3333");
        let found = finer(&text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains(
                "the tier takes a published 0.34 or more, scores from 0.335 up, not from 0.3333; \
                 write min_score = 0.34 to say so (or 0.33 for scores from 0.325 up), or set \
                 [rules] decimals = 4 to compare at 0.3333"
            ),
            "{}",
            found[0]
        );
        let r = Rules::from_str_named(&text, "r.toml").unwrap();
        assert!(
            result_changing(&r)
                .iter()
                .any(|w| w.contains("min_score = 0.3333"))
        );
        assert!(finer(&rules(4, "0.3333")).is_empty());
        assert!(finer(&rules(2, "0.34")).is_empty());
        assert!(finer(&rules(0, "60")).is_empty());
        assert!(finer(&rules(1, "0.3")).is_empty());
        // Exactly half a step (59.5 under 0 decimals, 0.25 under 1): the rounded score meets
        // it for the very raw scores that do (review 43). A negative threshold rounds away
        // from zero: the tier starts above the half step.
        assert!(finer(&rules(0, "59.5")).is_empty());
        assert!(finer(&rules(1, "0.25")).is_empty());
        let m = &finer(&rules(2, "-0.3333"))[0];
        assert!(
            m.contains("a published -0.33 or more, scores above -0.335, not from -0.3333"),
            "{m}"
        );
        let table = rules(
            2,
            "{ by = \"r\", values = { \"东部\" = 0.4, \"西部\" = 0.3333 } }",
        );
        let m = &finer(&table)[0];
        assert!(m.contains("min_score (r = '西部') = 0.3333"), "{m}");
        assert!(
            m.contains("write that value as 0.34 to say so (or as 0.33 for"),
            "{m}"
        );
    }

    /// Mistakes found by auditing `check` (session 34): each fires on its case, says what
    /// happens and how to fix it, and stays quiet on the near-miss beside it.
    #[test]
    fn mistakes_that_shut_entities_out_are_linted() {
        let base = r#"
[rules]
name = "t"
id = "code"
[[indicator]]
id = "debt"
direction = "lower"
[[indicator]]
id = "region"
kind = "category"
levels = ["east", "west", "central"]
[[dimension]]
id = "a"
weight = 70
[[criterion]]
id = "c"
dimension = "a"
indicator = "debt"
points = 10
method = "bands"
bands = [{ below = 50, points = 10 }, { below = 70, points = 5 }]
[[tier]]
id = "top"
min_score = 60
[[tier]]
id = "mid"
min_score = 30
"#;
        let messages = |text: &str| -> Vec<String> {
            let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
            lint(&rules, &[])
                .into_iter()
                // ('region' is used only by the category-table case; the one weight, 70,
                // adds up to 100 with the empty dimension's.)
                .filter(|l| !matches!(l.code, "unused-indicator" | "weights-not-100"))
                .map(|l| format!("{}: {}", l.code, l.message))
                .collect()
        };
        assert_eq!(messages(base), Vec::<String>::new());
        // A lower-is-better indicator under at_least bands that pay most at the lowest
        // threshold: the best values (below it) score 0.
        let upward = base.replace(
            "bands = [{ below = 50, points = 10 }, { below = 70, points = 5 }]",
            "bands = [{ at_least = 70, points = 5 }, { at_least = 50, points = 10 }]",
        );
        assert_eq!(
            messages(&upward),
            [
                "best-values-unpaid: criterion 'c': indicator 'debt' has direction = \"lower\", but its bands pay from a threshold up, so the best values, below 50, meet no band and score 0 while at_least 50 pays 10; for lower-is-better write the bands with below or at_most, from the lowest threshold up (e.g. { below = 50, points = 10 })"
            ]
        );
        // (From 0 up, no value of a share is left out.)
        assert_eq!(
            messages(&upward.replace("at_least = 50", "at_least = 0")),
            Vec::<String>::new()
        );
        // An empty weighted dimension: its weight counts in the maximum, so only 70 of 100
        // can be scored, and the tier asking 80 is out of reach.
        let empty = format!(
            "{}[[dimension]]\nid = \"z\"\nweight = 30\n",
            base.replace("min_score = 60", "min_score = 80")
        );
        let m = messages(&empty);
        assert!(
            m.contains(&"unreachable-tier: tier 'top' needs 80 points but at most 70 can be scored; lower its min_score to 70 or less, or raise the criteria's points".to_string()),
            "{m:?}"
        );
        assert!(
            m.contains(&"empty-dimension: dimension 'z' has no criteria: it scores nothing, yet its weight counts in the maximum: at most 70 of 100 can be scored; give it criteria, or remove it".to_string()),
            "{m:?}"
        );
        // A first tier with no minimum, quota or requires (meant to be given through
        // `direct` only) takes everyone.
        let open = base.replace(
            "[[tier]]\nid = \"top\"",
            "[[tier]]\nid = \"special\"\ndirect = [\"debt < 10\"]\n[[tier]]\nid = \"top\"",
        );
        assert_eq!(
            messages(&open),
            [
                "unreachable-tier: tier 'special' has no min_score, quota or requires, so it takes every ranked entity and 'top', 'mid' after it can never be given; give 'special' a min_score (a tier given only through `direct` needs one no score reaches, e.g. min_score = 71) or a quota"
            ]
        );
        // Last, it is a catch-all: nothing after it to shut out.
        let catch_all = format!("{base}[[tier]]\nid = \"rest\"\n");
        assert_eq!(messages(&catch_all), Vec::<String>::new());
        // Comparisons below what a criterion or the score can be.
        for (cond, lowest) in [
            ("c < 0", "criterion 'c' is never below 0"),
            ("0 > score", "the final score is never below 0"),
            ("c == -1", "criterion 'c' is never below 0"),
        ] {
            let gate =
                format!("{base}[[gate]]\nid = \"g\"\nrequire = \"{cond}\"\nmax_tier = \"mid\"\n");
            let m = messages(&gate);
            assert_eq!(m.len(), 1, "{cond}: {m:?}");
            assert!(
                m[0].starts_with(&format!(
                    "condition-never-holds: gate 'g' `{cond}` can never hold: {lowest}"
                )),
                "{m:?}"
            );
        }
        // ... but a score a negative adjustment can take below 0, or `c <= 0`, is fine.
        let malus = format!(
            "{base}[[adjustment]]\nid = \"p\"\nwhen = \"debt > 90\"\npoints = -5\n[[gate]]\nid = \"g\"\nrequire = \"score < 0\"\nmax_tier = \"mid\"\n"
        );
        assert_eq!(messages(&malus), Vec::<String>::new());
        let zero =
            format!("{base}[[gate]]\nid = \"g\"\nrequire = \"c <= 0\"\nmax_tier = \"mid\"\n");
        assert_eq!(messages(&zero), Vec::<String>::new());
        // A category key misspelt: the level meant, and what its entities get instead.
        let table = base.replace(
            "min_score = 30",
            "min_score = { by = \"region\", values = { east = 30, cental = 20 }, default = 25 }",
        );
        assert_eq!(
            messages(&table),
            [
                "unknown-category: 'cental' is not one of the levels of 'region' (east, west, central): its value is never used; did you mean 'central'? Entities with region = 'central' now take the default, 25"
            ]
        );
        // `per` paying nothing per step never pays its points.
        let per = base.replace(
            "method = \"bands\"\nbands = [{ below = 50, points = 10 }, { below = 70, points = 5 }]",
            "method = \"per\"\nstep = 1\npoints_per_step = 0",
        );
        let m = messages(&per);
        assert!(
            m.contains(&"points-never-paid: criterion 'c': points_per_step is 0, so no step pays anything and it gives 0 of its 10 points; give points_per_step the points a step earns".to_string()),
            "{m:?}"
        );
        // The result-changing ones are said by scoring runs too.
        for (text, code) in [
            (&upward, "[best-values-unpaid]"),
            (&empty, "[empty-dimension]"),
            (&table, "[unknown-category]"),
        ] {
            let rules = Rules::from_str_named(text, "r.toml").unwrap();
            let said = result_changing(&rules);
            assert!(said.iter().any(|w| w.ends_with(code)), "{code}: {said:?}");
        }
        // (An empty dimension without a weight changes nothing.)
        let unweighted = format!(
            "{}[[dimension]]\nid = \"z\"\n",
            base.replace("weight = 70\n", "")
        );
        let rules = Rules::from_str_named(&unweighted, "r.toml").unwrap();
        assert!(codes(&unweighted).contains(&"empty-dimension"));
        assert!(
            !result_changing(&rules)
                .iter()
                .any(|w| w.contains("[empty-dimension]"))
        );
    }

    /// Mistakes found by an analyst writing a new rules file (session 35): a dimension
    /// weight typo without `scale`, names that stop `score` though `check` passes them, and
    /// a band order that keeps a criterion below its points. Each fires on its case and
    /// stays quiet on the near-miss beside it.
    #[test]
    fn weight_typos_names_that_stop_score_and_shadowed_bands_are_linted() {
        let base = r#"
[rules]
name = "t"
id = "code"
[[indicator]]
id = "revenue"
[[indicator]]
id = "rd"
[[indicator]]
id = "ratio"
formula = "rd / revenue * 100"
[[dimension]]
id = "a"
weight = 40
[[dimension]]
id = "b"
weight = 30
[[dimension]]
id = "c"
weight = 30
[[criterion]]
id = "ca"
dimension = "a"
indicator = "revenue"
points = 40
method = "bands"
bands = [{ at_least = 100, points = 40 }, { at_least = 50, points = 20 }]
[[criterion]]
id = "cb"
dimension = "b"
indicator = "ratio"
points = 30
method = "direct"
[[criterion]]
id = "cc"
dimension = "c"
indicator = "rd"
points = 30
method = "direct"
[[gate]]
id = "g"
require = "rd > 0"
[[tier]]
id = "top"
min_score = 80
requires = ["ca >= 20"]
"#;
        let found = |text: &str| -> Vec<(String, String)> {
            let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
            lint(&rules, &[])
                .into_iter()
                .map(|l| {
                    let (line, col) = rules.source.line_col(l.span.start);
                    (format!("{}@{line}:{col}", l.code), l.message)
                })
                .collect()
        };
        assert_eq!(found(base), Vec::<(String, String)>::new());
        // 300 for 30 without scale: scores run out of 370; the odd weight is named.
        let typo = base.replacen(
            "weight = 30\n[[criterion]]",
            "weight = 300\n[[criterion]]",
            1,
        );
        assert_eq!(
            found(&typo),
            [(
                "weights-not-100@20:10".to_string(),
                "dimension weights add up to 370 and there is no scale, so scores run out of 370 (each dimension gives at most its weight); every other dimension's weight equals its criteria's points, but 'c' has weight 300 for 30 points: if that is a typo, write weight = 30; correct the weights so that they add up to 100, or, if a maximum of 370 is meant, set [rules] scale = 370 to say so".to_string()
            )]
        );
        // Weights that are not the points, off 100: no weight named, pointed at the first.
        let ten = base
            .replace("weight = 40", "weight = 4")
            .replace("weight = 30", "weight = 3")
            .replace("min_score = 80", "min_score = 8");
        let f = found(&ten);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "weights-not-100@14:10");
        assert!(
            f[0].1.starts_with("dimension weights add up to 10 and there is no scale, so scores run out of 10 (each dimension gives at most its weight); correct"),
            "{}",
            f[0].1
        );
        // ... quiet once the maximum is said (scale = 10), and for shares of 1 (those are
        // coarse-scores').
        let said = ten.replace("id = \"code\"\n", "id = \"code\"\nscale = 10\n");
        assert_eq!(found(&said), Vec::<(String, String)>::new());
        let shares = base
            .replace("weight = 40", "weight = 0.4")
            .replace("weight = 30", "weight = 0.3");
        assert!(
            !found(&shares)
                .iter()
                .any(|(c, _)| c.starts_with("weights-not-100"))
        );
        // A formula name one letter off an indicator, underlined in the formula.
        let misspelt = base.replace("rd / revenue * 100", "rd / revenu * 100");
        assert_eq!(
            found(&misspelt),
            [(
                "unknown-name@11:17".to_string(),
                "formula of indicator 'ratio': 'revenu' is no indicator and is read as a data column; did you mean 'revenue'? `score` stops on it unless the data has a column 'revenu' (write `revenu` in backticks if that column is meant)".to_string()
            )]
        );
        // A criterion misspelt where scores exist; a tier id in a gate.
        let condition = base.replace("\"ca >= 20\"", "\"ca_ >= 20\"");
        let f = found(&condition);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.starts_with("tier 'top' requires: 'ca_' is no indicator, dimension, criterion or the score and is read as a data column; did you mean 'ca'?"), "{}", f[0].1);
        // The final score misspelt where it exists.
        let scor = base.replace("\"ca >= 20\"", "\"scor >= 20\"");
        let f = found(&scor);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.contains("did you mean 'score'?"), "{}", f[0].1);
        let tier = base.replace("require = \"rd > 0\"", "require = \"top\"");
        assert_eq!(
            found(&tier),
            [(
                "unknown-name@42:12".to_string(),
                "gate 'g': 'top' is the id of a tier, and gate, adjustment and tier ids are not names in expressions: `score` stops on it (unless the data has a column 'top'); write the condition it stands for, over indicators or data columns".to_string()
            )]
        );
        // A criterion and a dimension id before scoring (a formula, an exclude gate): read as
        // the data column when the data has one, an error otherwise; quiet in backticks and
        // where scores exist.
        let early = base.replace("rd / revenue * 100", "rd / revenue * ca");
        assert_eq!(
            found(&early),
            [(
                "score-before-scoring@11:27".to_string(),
                "formula of indicator 'ratio': 'ca' is the points of criterion 'ca', which does not exist before scoring (SPEC §12); in the formula of an indicator that 'ca' itself scores, `score` reads the data column 'ca' instead (with a warning) and stops if the data has none: write `ca` in backticks to say the column is meant, or move the condition to where scores exist (a tier's requires or direct, a capping gate, an adjustment)".to_string()
            )]
        );
        let gate = base.replace("require = \"rd > 0\"", "require = \"b > 0\"");
        let f = found(&gate);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].0, "score-before-scoring@42:12");
        assert!(
            f[0].1
                .starts_with("gate 'g': 'b' is the score of dimension 'b'"),
            "{}",
            f[0].1
        );
        for quiet in [
            base.replace("rd / revenue * 100", "rd / revenue * `ca`"),
            base.replace("\"ca >= 20\"", "\"ca >= 20 and b > 1\""),
        ] {
            assert_eq!(found(&quiet), Vec::<(String, String)>::new());
        }
        // Under [aggregate] member rows read the members' column of that name: no lint.
        let members = r#"
[rules]
name = "m"
id = "eid"
[aggregate]
by = "grp"
[[indicator]]
id = "x"
[[indicator]]
id = "kx"
formula = "x * k"
[[indicator]]
id = "sx"
aggregate = "sum(kx) + mean(k)"
[[dimension]]
id = "d"
[[criterion]]
id = "k"
dimension = "d"
indicator = "sx"
points = 10
method = "linear"
floor = 0
target = 100
"#;
        assert!(
            !found(members)
                .iter()
                .any(|(c, _)| c.starts_with("score-before-scoring")),
            "{:?}",
            found(members)
        );
        // Near misses: a column in backticks, a numbered sibling, a name further off, a
        // full-width spelling of an id (which is the id).
        for quiet in [
            "rd / `revenu` * 100",
            "rd / revenue2 * 100",
            "rd / revenue_ly * 100",
            "rd / ｒｅｖｅｎｕｅ * 100",
        ] {
            let text = base.replace("rd / revenue * 100", quiet);
            assert_eq!(found(&text), Vec::<(String, String)>::new(), "{quiet}");
        }
        assert_eq!(
            found(&base.replace("require = \"rd > 0\"", "require = \"`top`\"")),
            Vec::<(String, String)>::new()
        );
        // Bands listed from the lowest up: the 40-point band is never the first met, so the
        // criterion pays at most 20 and the tier asking 80 is out of reach (90 - 20 = 70).
        let reversed = base.replace(
            "{ at_least = 100, points = 40 }, { at_least = 50, points = 20 }",
            "{ at_least = 50, points = 20 }, { at_least = 100, points = 40 }",
        );
        let rules = Rules::from_str_named(&reversed, "r.toml").unwrap();
        assert_eq!(rules.criteria[0].payable(), 20.0);
        assert_eq!(rules.max_achievable(), 80.0);
        let f = found(&reversed.replace("min_score = 80", "min_score = 85"));
        let codes: Vec<&str> = f.iter().map(|(c, _)| c.as_str()).collect();
        // (Not points-never-paid too: a band pays the points, out of order.)
        assert_eq!(codes, ["unreachable-tier@44:6", "bands-out-of-order@27:42"]);
        assert!(
            f[1].1.contains("can never be reached, an earlier band already takes every such value, so the criterion pays at most 20 of its 40 points; bands are tried in order"),
            "{}",
            f[1].1
        );
        assert_eq!(
            Rules::from_str_named(base, "r.toml")
                .unwrap()
                .max_achievable(),
            100.0
        );
    }

    /// `count(x)` over a number indicator counts its non-zero members: said, with what to
    /// write for either meaning; a condition, a bool indicator or `x != 0` is not.
    #[test]
    fn counting_a_number_is_linted() {
        let text = |formula: &str, kind: &str| {
            format!(
                "[rules]\nname = \"r\"\nid = \"m\"\n[aggregate]\nby = \"cluster\"\n[[indicator]]\nid = \"rev\"\n{kind}\n[[indicator]]\nid = \"n\"\naggregate = \"{formula}\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"n\"\npoints = 10\nmethod = \"direct\"\n"
            )
        };
        let used = ["rev".to_string()];
        let found = |text: &str| -> Vec<&'static str> {
            let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
            lint(&rules, &used).into_iter().map(|l| l.code).collect()
        };
        let rules = Rules::from_str_named(&text("count(rev) + 1", ""), "r.toml").unwrap();
        let lints = lint(&rules, &used);
        assert_eq!(lints.len(), 1, "{lints:?}");
        assert_eq!(lints[0].code, "count-of-number");
        assert_eq!(
            lints[0].message,
            "count(rev) takes the number rev as a condition, so it counts the members whose rev is not 0, not those that report it: for those write count(not is_missing(rev)); for the non-zero ones write count(rev != 0), which says so"
        );
        // Underlined on the call itself.
        let (line, col) = rules.source.line_col(lints[0].span.start);
        assert_eq!((line, col), (11, 14));
        assert_eq!(found(&text("share(rev)", "")), ["count-of-number"]);
        assert_eq!(result_changing(&rules).len(), 1);
        for clean in [
            "count(rev != 0)",
            "count(not is_missing(rev))",
            "count()",
            "sum(rev)",
        ] {
            assert!(found(&text(clean, "")).is_empty(), "{clean}");
        }
        assert!(found(&text("count(rev)", "kind = \"bool\"")).is_empty());
    }

    /// Units read as a magnitude and a base, and header units from the brackets at the end.
    #[test]
    fn units_are_read_as_a_magnitude_and_a_base() {
        assert_eq!(unit_scale("万元"), Some((1e4, "元")));
        assert_eq!(unit_scale(" 百万元 "), Some((1e6, "元")));
        assert_eq!(unit_scale("万千瓦时"), Some((1e7, "瓦时")));
        assert_eq!(unit_scale("人"), Some((1.0, "人")));
        assert_eq!(unit_scale("万"), None);
        assert_eq!(header_unit("营业收入（万元）"), Some("万元"));
        assert_eq!(header_unit("从业人员(人) "), Some("人"));
        assert_eq!(header_unit("产值【亿元】"), Some("亿元"));
        assert_eq!(header_unit("占比（ ）"), None);
        assert_eq!(header_unit("营业收入"), None);
    }

    /// A column header in one magnitude of a unit and the indicator in another need the
    /// `multiply` between them; the right one, other bases, or no header unit say nothing.
    #[test]
    fn a_column_unit_the_multiply_does_not_convert_is_linted() {
        let text = |column: &str, unit: &str, multiply: &str| {
            format!(
                "[rules]\nname = \"u\"\nid = \"id\"\n[[indicator]]\nid = \"rd\"\ncolumn = \"{column}\"\nunit = \"{unit}\"\n{multiply}\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"rd\"\npoints = 10\nmethod = \"minmax\"\n"
            )
        };
        let rules = Rules::from_str_named(&text("研发经费（元）", "万元", ""), "r.toml").unwrap();
        let lints = lint(&rules, &[]);
        assert_eq!(lints.len(), 1, "{lints:?}");
        assert_eq!(lints[0].code, "unit-mismatch");
        assert_eq!(
            lints[0].message,
            "indicator 'rd': column \"研发经费（元）\" is in 元 and the indicator in 万元, so its values need multiply = 0.0001 (元 → 万元), but it has no multiply"
        );
        // A wrong multiply is named, and the lint reaches scoring runs.
        let wrong = text("研发经费（万元）", "亿元", "multiply = 0.001");
        assert_eq!(codes(&wrong), ["unit-mismatch"]);
        let rules = Rules::from_str_named(&wrong, "r.toml").unwrap();
        let said = result_changing(&rules);
        assert_eq!(said.len(), 1);
        assert!(said[0].starts_with("r.toml:8:12: "), "{}", said[0]);
        assert!(
            said[0].ends_with(
                "need multiply = 0.0001 (万元 → 亿元), but it has multiply = 0.001 [unit-mismatch]"
            ),
            "{}",
            said[0]
        );
        // Converting the other way round: 亿元 in a column, 万元 wanted.
        assert_eq!(codes(&text("产值(亿元)", "万元", "")), ["unit-mismatch"]);
        assert!(codes(&text("产值(亿元)", "万元", "multiply = 10000")).is_empty());
        assert!(codes(&text("研发经费（万元）", "亿元", "multiply = 0.0001")).is_empty());
        assert!(codes(&text("从业人员（人）", "人", "")).is_empty());
        assert!(codes(&text("研发经费（万元）", "%", "")).is_empty());
        assert!(codes(&text("研发经费", "万元", "")).is_empty());
    }

    /// A band out of order by a unit slip (500000 among 100 and 20, 万元 in a table in
    /// 亿元) is said to look like another unit; one merely out of place is not.
    #[test]
    fn a_band_a_hundred_times_off_is_named_as_a_unit_slip() {
        let text = |bands: &str| {
            format!(
                "[rules]\nname = \"u\"\nid = \"id\"\n[[indicator]]\nid = \"sales\"\nunit = \"亿元\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"sales\"\npoints = 50\nmethod = \"bands\"\nbands = [{bands}]\n"
            )
        };
        let messages = |bands: &str| -> Vec<String> {
            let rules = Rules::from_str_named(&text(bands), "r.toml").expect("valid rules");
            lint(&rules, &[]).into_iter().map(|l| l.message).collect()
        };
        let slip = messages(
            "{ at_least = 100, points = 50 }, { at_least = 500000, points = 35 }, { at_least = 20, points = 20 }",
        );
        assert_eq!(slip.len(), 1, "{slip:?}");
        assert!(
            slip[0].ends_with("; 500000 is a hundred times or more off the other thresholds: if it is in another unit (万元 for 亿元, a fraction for a percentage), write it in the indicator's unit (亿元)"),
            "{}",
            slip[0]
        );
        let misplaced = messages(
            "{ at_least = 50, points = 35 }, { at_least = 100, points = 50 }, { at_least = 20, points = 20 }",
        );
        assert_eq!(misplaced.len(), 1, "{misplaced:?}");
        assert!(misplaced[0].ends_with("threshold down"), "{}", misplaced[0]);
    }

    #[test]
    fn each_lint_fires_on_its_case_and_not_on_a_clean_file() {
        let clean = format!(
            r#"{HEAD}
[[dimension]]
id = "d"
[[criterion]]
id = "b"
dimension = "d"
indicator = "x"
points = 10
method = "bands"
bands = [{{ at_least = 20, points = 10 }}, {{ at_least = 10, points = 5 }}]
[[criterion]]
id = "l"
dimension = "d"
indicator = "level"
points = 10
method = "levels"
levels = {{ "一级" = 10, "二级" = 6 }}
[[tier]]
id = "t"
min_score = 20
"#
        );
        assert_eq!(codes(&clean), Vec::<&str>::new());
        // A band shadowed by an earlier one, band points above the criterion's, level points
        // above the criterion's, a tier above the maximum (20).
        let flawed = clean
            .replace(
                "{ at_least = 20, points = 10 }, { at_least = 10, points = 5 }",
                "{ at_least = 10, points = 12 }, { at_least = 20, points = 10 }",
            )
            .replace("\"一级\" = 10", "\"一级\" = 11")
            .replace("min_score = 20", "min_score = 21");
        assert_eq!(
            codes(&flawed),
            [
                "unreachable-tier",
                "bands-out-of-order",
                "bands-above-points",
                "levels-above-points"
            ]
        );
        // A missing marker that is a declared level (`无`): the level is never read; a
        // marker that is no level is not linted.
        let marked = |markers: &str| {
            clean
                .replace(
                    "kind = \"category\"\n",
                    "kind = \"category\"\nlevels = [\"一级\", \"二级\", \"无\"]\n",
                )
                .replace("\"二级\" = 6 }", "\"二级\" = 6, \"无\" = 0 }")
                .replace(
                    "[[tier]]",
                    &format!("[data]\nmissing_markers = {markers}\n[[tier]]"),
                )
        };
        assert_eq!(codes(&marked(r#"["无数据"]"#)), Vec::<&str>::new());
        // Only in a criterion's table (the indicator declares no levels): the same.
        let undeclared = clean
            .replace("\"二级\" = 6 }", "\"二级\" = 6, \"无\" = 0 }")
            .replace("[[tier]]", "[data]\nmissing_markers = [\"无\"]\n[[tier]]");
        assert_eq!(codes(&undeclared), ["marker-is-a-level"]);
        let text = marked(r#"["无数据", "无"]"#);
        assert_eq!(codes(&text), ["marker-is-a-level"]);
        let rules = Rules::from_str_named(&text, "r.toml").unwrap();
        let found = &lint(&rules, &[])[0];
        assert_eq!(&text[found.span.start..found.span.end], "\"无\"");
        assert!(
            found.message.starts_with(
                "missing marker \"无\" is a level of indicator 'level': [data] missing_markers apply to every column"
            ),
            "{}",
            found.message
        );
        assert!(result_changing(&rules)[0].ends_with("[marker-is-a-level]"));
        // A yes/no word as a marker, with a yes/no indicator read from the data: linted
        // (not result-changing: runs warn from the cells); without one, quiet.
        let flag = |markers: &str| {
            clean
                .replace(
                    "kind = \"category\"\n",
                    "kind = \"category\"\n[[indicator]]\nid = \"listed\"\nkind = \"bool\"\n",
                )
                .replace(
                    "[[tier]]",
                    &format!(
                        "[[criterion]]\nid = \"f\"\ndimension = \"d\"\nindicator = \"listed\"\npoints = 0\nmethod = \"flag\"\n[data]\nmissing_markers = {markers}\n[[tier]]"
                    ),
                )
        };
        let text = flag(r#"["无"]"#);
        let rules = Rules::from_str_named(&text, "r.toml").unwrap();
        let all = lint(&rules, &[]);
        let found: Vec<&Lint> = all
            .iter()
            .filter(|l| l.code == "marker-is-a-yes-no-word")
            .collect();
        assert_eq!(found.len(), 1, "{all:?}");
        assert!(found[0].message.starts_with("missing marker \"无\" is a yes/no word (否), and yes/no indicator 'listed' read from the data"), "{}", found[0].message);
        assert!(
            result_changing(&rules)
                .iter()
                .all(|w| !w.contains("marker-is-a-yes-no-word"))
        );
        let quiet = flag(r#"["无数据"]"#);
        assert!(!codes(&quiet).contains(&"marker-is-a-yes-no-word"));
        // Tiers listed lowest first; a dimension without criteria.
        let reversed = clean.replace(
            "[[tier]]\nid = \"t\"\nmin_score = 20\n",
            "[[tier]]\nid = \"low\"\nmin_score = 5\n[[tier]]\nid = \"t\"\nmin_score = 20\n",
        );
        assert_eq!(codes(&reversed), ["tiers-out-of-order"]);
        let empty = clean.replace(
            "[[dimension]]\nid = \"d\"\n",
            "[[dimension]]\nid = \"d\"\n[[dimension]]\nid = \"none\"\n",
        );
        assert_eq!(codes(&empty), ["empty-dimension"]);
        // A tier minimum by category with numbers out of reach (max 20): all of them, or
        // one category's (a typo that shuts that category out of the tier).
        let by_category = clean.replace(
            "min_score = 20",
            "min_score = { by = \"level\", values = { \"一级\" = 21 }, default = 25 }",
        );
        assert_eq!(codes(&by_category), ["unreachable-tier"]);
        let one_over = by_category.replace("default = 25", "default = 20");
        assert_eq!(codes(&one_over), ["unreachable-tier"]);
        let rules = Rules::from_str_named(&one_over, "r.toml").unwrap();
        assert!(
            lint(&rules, &[])[0]
                .message
                .starts_with("tier 't' needs 21 for level = '一级' but at most 20 can be scored"),
            "{:?}",
            lint(&rules, &[])
        );
        let reachable = one_over.replace("\"一级\" = 21", "\"一级\" = 20");
        assert_eq!(codes(&reachable), Vec::<&str>::new());
        // A weighted dimension whose criteria carry 0 points.
        let pointless = clean
            .replace("[[dimension]]\nid = \"d\"\n", "[[dimension]]\nid = \"d\"\nweight = 10\n[[dimension]]\nid = \"z\"\nweight = 10\n")
            .replace(
                "[[tier]]",
                "[[criterion]]\nid = \"zc\"\ndimension = \"z\"\nindicator = \"x\"\npoints = 0\nmethod = \"direct\"\n[[tier]]",
            );
        assert!(
            codes(&pointless).contains(&"weight-without-points"),
            "{:?}",
            codes(&pointless)
        );
        // Division by a constant 0, and not by a constant 0.5.
        let divide = clean.replace(
            "[[tier]]",
            "[[gate]]\nid = \"g\"\nrequire = \"x / 0 > 1\"\n[[tier]]",
        );
        assert_eq!(codes(&divide), ["division-by-zero"]);
        // The division is quoted, not the expression around it (which may have a value).
        let coalesced = divide.replace("x / 0 > 1", "coalesce(x / 0, 5) > 1");
        let rules = Rules::from_str_named(&coalesced, "r.toml").expect("valid rules");
        let l = lint(&rules, &[]);
        assert_eq!(
            l.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(),
            [
                "`x / 0` divides by the constant 0: it is always missing; divide by the indicator meant"
            ]
        );
        assert_eq!(
            codes(&divide.replace("x / 0 ", "x / 0.5 ")),
            Vec::<&str>::new()
        );
        // Settings that change nothing, and a category key outside the indicator's levels.
        let ignored = clean
            .replace("[rules]\n", "[rules]\ngeometric_floor = 0.2\n")
            .replace(
                "kind = \"category\"\n",
                "kind = \"category\"\ndirection = \"lower\"\n",
            );
        assert_eq!(codes(&ignored), ["setting-ignored", "setting-ignored"]);
        let unknown = clean
            .replace("kind = \"category\"\n", "kind = \"category\"\nlevels = [\"一级\", \"二级\"]\n")
            .replace(
                "min_score = 20",
                "min_score = { by = \"level\", values = { \"一级\" = 20, \"三级\" = 10 }, default = 20 }",
            );
        assert_eq!(codes(&unknown), ["unknown-category"]);
        // A member-level indicator's own missing policy under [aggregate].
        let member = format!(
            "{}\n[aggregate]\nby = \"level\"\n[[indicator]]\nid = \"rev\"\nmissing = \"fail\"\n[[indicator]]\nid = \"total\"\naggregate = \"sum(rev)\"\n",
            "[rules]\nname = \"m\"\nid = \"code\""
        ) + "[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"total\"\npoints = 10\nmethod = \"direct\"\n";
        // (`codes` passes no expression names, so `rev` also reads as unused here.)
        assert_eq!(codes(&member), ["setting-ignored", "unused-indicator"]);
        assert_eq!(
            codes(&member.replace("missing = \"fail\"\n", "")),
            ["unused-indicator"]
        );
        // A level the indicator allows and the criterion's table leaves out; listed at 0, quiet.
        let left_out = clean.replace(
            "kind = \"category\"\n",
            "kind = \"category\"\nlevels = [\"一级\", \"二级\", \"无\"]\n",
        );
        assert_eq!(codes(&left_out), ["level-without-points"]);
        let listed = left_out.replace("\"二级\" = 6 }", "\"二级\" = 6, \"无\" = 0 }");
        assert_eq!(codes(&listed), Vec::<&str>::new());
        // Dimension weights that do not add up to scale.
        let weights = clean
            .replace("[rules]\n", "[rules]\nscale = 100\n")
            .replace(
                "id = \"d\"\n[[criterion]]",
                "id = \"d\"\nweight = 60\n[[criterion]]",
            );
        assert_eq!(codes(&weights), ["weights-not-scale"]);
        // Weights written as fractions, without scale: a 0–1 score in two decimals.
        let fractions = clean.replace(
            "id = \"d\"\n[[criterion]]",
            "id = \"d\"\nweight = 1\n[[criterion]]",
        );
        // (The tier's min_score of 20 is now out of reach too.)
        assert_eq!(codes(&fractions), ["unreachable-tier", "coarse-scores"]);
        let lint = lint(&Rules::from_str_named(&fractions, "r.toml").unwrap(), &[]);
        assert!(
            lint[1]
                .message
                .starts_with("the highest score is 1 and scores are published with 2 decimals, so there are at most 101 different scores"),
            "{}",
            lint[1].message
        );
        // With scale = 100, as that lint says, the scores are not coarse, and weights that
        // add up to 1 are shares: nothing to say. Weights adding up to neither 1 nor the
        // scale are.
        let scaled = fractions.replace("[rules]\n", "[rules]\nscale = 100\n");
        assert_eq!(codes(&scaled), Vec::<&str>::new());
        assert_eq!(
            codes(&scaled.replace("weight = 1\n", "weight = 30\n")),
            ["weights-not-scale"]
        );
        // Under scale = 1, "add up to 1 (or to 1)" would say one thing twice.
        let one = scaled
            .replace("scale = 100\n", "scale = 1\n")
            .replace("weight = 1\n", "weight = 30\n");
        let said = super::lint(&Rules::from_str_named(&one, "r.toml").unwrap(), &[]);
        let w = said.iter().find(|l| l.code == "weights-not-scale").unwrap();
        assert!(
            w.message
                .ends_with("write weights that add up to 1 to say so"),
            "{}",
            w.message
        );
        let said = super::lint(
            &Rules::from_str_named(&scaled.replace("weight = 1\n", "weight = 30\n"), "r.toml")
                .unwrap(),
            &[],
        );
        assert!(
            said[0]
                .message
                .ends_with("add up to 100 (or to 1) to say so"),
            "{}",
            said[0].message
        );
        // A quota share written as a fraction.
        let fraction = clean.replace("min_score = 20", "min_score = 20\ntop_percent = 0.3");
        assert_eq!(codes(&fraction), ["percent-as-fraction"]);
        // A tiny share is written short, not with three hundred zeros.
        let tiny = clean.replace("min_score = 20", "min_score = 20\ntop_percent = 1e-300");
        let rules = Rules::from_str_named(&tiny, "r.toml").unwrap();
        let said = super::lint(&rules, &[]);
        assert!(said[0].message.starts_with("tier 't' has top_percent = 1e-300, which is 1e-300 % of the ranked entities; top_percent is in percent: for 1e-298 % write top_percent = 1e-298"), "{}", said[0].message);
        assert_eq!(
            codes(&clean.replace("min_score = 20", "min_score = 20\ntop_percent = 1")),
            Vec::<&str>::new()
        );
        // Band and level points given by category tables are checked value by value.
        let tables = clean
            .replace(
                "{ at_least = 20, points = 10 }",
                "{ at_least = 20, points = { by = \"level\", values = { \"一级\" = 12 }, default = 10 } }",
            )
            .replace(
                "\"一级\" = 10",
                "\"一级\" = { by = \"level\", values = { \"二级\" = 4 }, default = 11 }",
            );
        assert_eq!(
            codes(&tables),
            ["bands-above-points", "levels-above-points"]
        );
        let rules = Rules::from_str_named(&tables, "r.toml").unwrap();
        assert_eq!(
            points_above_criterion(&rules.criteria[0])
                .map(|(m, _)| m)
                .as_deref(),
            Some(
                "criterion 'b': band 1 gives 12 points (for level = '一级'), more than the criterion's 10 (capped at full points); raise the criterion's points to 12, or lower band 1's"
            )
        );
        assert_eq!(
            points_above_criterion(&rules.criteria[1])
                .map(|(m, _)| m)
                .as_deref(),
            Some(
                "criterion 'l': level '一级' gives 11 points (for the default of level), more than the criterion's 10 (capped at full points); raise the criterion's points to 11, or lower level '一级''s"
            )
        );
    }

    /// `direction = "lower"` on an indicator whose criteria score higher values higher
    /// whatever it says; quiet where the thresholds agree with it or a criterion reads it.
    #[test]
    fn a_lower_direction_contradicted_by_the_thresholds_is_linted() {
        let file = |method: &str| {
            format!(
                "[rules]\nname = \"d\"\nid = \"code\"\n[[indicator]]\nid = \"energy\"\ndirection = \"lower\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"energy\"\npoints = 10\n{method}\n"
            )
        };
        for upward in [
            "method = \"linear\"\nfloor = 0\ntarget = 2",
            "method = \"bands\"\nbands = [{ at_least = 2, points = 10 }, { at_least = 1, points = 5 }]",
            "method = \"per\"\nstep = 1\npoints_per_step = 2",
            "method = \"flag\"",
        ] {
            assert_eq!(codes(&file(upward)), ["direction-ignored"], "{upward}");
        }
        for agreeing in [
            "method = \"linear\"\nfloor = 2\ntarget = 0",
            "method = \"bands\"\nbands = [{ at_most = 2, points = 10 }]",
            // Points falling as the threshold rises: lower is better already.
            "method = \"bands\"\nbands = [{ at_least = 5, points = 0 }, { at_least = 0, points = 10 }]",
            "method = \"target\"\ntarget = 1",
            "method = \"minmax\"",
            "method = \"direct\"",
        ] {
            assert_eq!(codes(&file(agreeing)), Vec::<&str>::new(), "{agreeing}");
        }
        let rules = Rules::from_str_named(
            &file("method = \"per\"\nstep = 1\npoints_per_step = 2"),
            "r.toml",
        )
        .unwrap();
        assert_eq!(
            result_changing(&rules),
            [
                "r.toml:5:6: indicator 'energy' has direction = \"lower\", but 'c' (per) scores higher values higher: direction is read by target, minmax, zscore, percentile and tie_break only; for linear put floor above target, for bands use at_most or below [direction-ignored]"
            ]
        );
    }

    /// A missing policy on an indicator no criterion scores changes nothing, except `fail`,
    /// which stops the run (engine test `fail_on_an_indicator_no_criterion_scores_stops_the_run`).
    #[test]
    fn a_missing_policy_without_a_criterion_is_linted_except_fail() {
        let file = |policy: &str| {
            format!(
                "[rules]\nname = \"m\"\nid = \"code\"\n[[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"g\"\nmissing = \"{policy}\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n[[gate]]\nid = \"gg\"\nrequire = \"g >= 0\"\n"
            )
        };
        // (The gate's expression names `g`.)
        let codes = |text: &str| -> Vec<&'static str> {
            let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
            lint(&rules, &["g".to_string()])
                .into_iter()
                .map(|l| l.code)
                .collect()
        };
        assert_eq!(codes(&file("zero")), ["setting-ignored"]);
        assert_eq!(codes(&file("median")), ["setting-ignored"]);
        assert_eq!(codes(&file("fail")), Vec::<&str>::new());
    }
}

#[cfg(test)]
mod never_holds_tests {
    use super::*;

    const WEIGHTED: &str = r#"
[rules]
name = "t"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "a"
weight = 60
[[dimension]]
id = "b"
weight = 40
[[criterion]]
id = "ca"
dimension = "a"
indicator = "x"
points = 10
method = "direct"
[[criterion]]
id = "cb"
dimension = "b"
indicator = "x"
points = 10
method = "bands"
bands = [{ at_least = 5, points = 8 }]
[[tier]]
id = "gold"
min_score = 50
requires = ["b >= 45", "a > 59.9", "cb == 9", "(b >= 40 or x > 3)"]
"#;

    fn never(text: &str) -> Vec<String> {
        let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
        lint(&rules, &[])
            .into_iter()
            .filter(|l| l.code == "condition-never-holds")
            .map(|l| l.message)
            .collect()
    }

    #[test]
    fn conditions_on_scores_beyond_their_reach_are_linted() {
        // b publishes at most 40 × 8/10 = 32; a at most 60; cb pays at most 8.
        let found = never(WEIGHTED);
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(found[0].starts_with(
            "tier 'gold' requires `b >= 45` can never hold: dimension 'b' reaches at most 32"
        ));
        assert!(found[1].contains("`cb == 9` can never hold: criterion 'cb' reaches at most 8"));
        assert!(found[2].contains("`b >= 40` can never hold"), "{found:?}");
        // Within reach (a > 59.9 of 60; b >= 32 exactly), or an indicator of that name: quiet.
        let fine = WEIGHTED
            .replace("\"b >= 45\", ", "\"b >= 32\", ")
            .replace("\"cb == 9\", ", "")
            .replace("(b >= 40 or x > 3)", "x > 3");
        assert_eq!(never(&fine), Vec::<String>::new());
        // The final score, with a bonus: 100 × (60 + 32)/100 + 5 = 97.
        let score = WEIGHTED.replace(
            "requires = [\"b >= 45\", \"a > 59.9\", \"cb == 9\", \"(b >= 40 or x > 3)\"]",
            "requires = [\"score > 97\", \"97 <= score\"]\n[[adjustment]]\nid = \"bonus\"\nwhen = \"x > 1\"\npoints = 5",
        );
        let found = never(&score);
        assert_eq!(found.len(), 1, "{found:?}");
        // Under `not`, and in an exclude gate (where `b` reads the data column b): quiet.
        let quiet = WEIGHTED.replace(
            "requires = [\"b >= 45\", \"a > 59.9\", \"cb == 9\", \"(b >= 40 or x > 3)\"]",
            "requires = [\"not (b >= 45)\"]",
        ) + "[[gate]]\nid = \"g\"\nrequire = \"b >= 45\"\n";
        assert_eq!(never(&quiet), Vec::<String>::new());
        // Published numbers are rounded: b reaches 31.6 (40 × 0.79), shown 32 with
        // decimals = 0, so `b >= 32` can hold.
        let rounded = WEIGHTED
            .replace("points = 8 }", "points = 7.9 }")
            .replace("id = \"id\"\n", "id = \"id\"\ndecimals = 0\n")
            .replace(
                "requires = [\"b >= 45\", \"a > 59.9\", \"cb == 9\", \"(b >= 40 or x > 3)\"]",
                "requires = [\"b >= 32\"]",
            );
        assert_eq!(never(&rounded), Vec::<String>::new());
        assert!(
            found[0].contains("`score > 97` can never hold: the final score reaches at most 97")
        );
    }
}

#[cfg(test)]
mod tier_shadow_tests {
    use super::*;

    const TIERS: &str = r#"
[rules]
name = "t"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 100
method = "direct"
[[tier]]
id = "gold"
min_score = 80
[[tier]]
id = "bronze"
min_score = 60
[[tier]]
id = "bronze_plus"
min_score = 60
max_count = 3
"#;

    fn found(text: &str) -> Vec<(&'static str, String)> {
        let rules = Rules::from_str_named(text, "r.toml").expect("valid rules");
        lint(&rules, &[])
            .into_iter()
            .filter(|l| matches!(l.code, "unreachable-tier" | "setting-ignored"))
            .map(|l| (l.code, l.message))
            .collect()
    }

    #[test]
    fn a_tier_behind_one_that_takes_everyone_first_is_linted() {
        let f = found(TIERS);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].1.starts_with(
            "tier 'bronze_plus' can never be given: tier 'bronze', listed before it, asks the same (min_score 60)"
        ));
        // A quota or requires on the earlier tier, or a cap that stops entities at
        // bronze_plus, lets some through.
        for fix in [
            TIERS.replacen("min_score = 60\n", "min_score = 60\nmax_count = 2\n", 1),
            TIERS.replacen(
                "min_score = 60\n",
                "min_score = 60\nrequires = [\"x > 70\"]\n",
                1,
            ),
            format!(
                "{TIERS}[[gate]]\nid = \"g\"\nrequire = \"x > 90\"\nmax_tier = \"bronze_plus\"\n"
            ),
        ] {
            assert_eq!(found(&fix), Vec::new(), "{fix}");
        }
    }

    #[test]
    fn a_cap_at_the_top_tier_and_a_zero_point_adjustment_are_linted() {
        let text = format!(
            "{TIERS}max_count = 1\n[[gate]]\nid = \"g\"\nrequire = \"x > 90\"\nmax_tier = \"gold\"\n[[adjustment]]\nid = \"nil\"\nwhen = \"x > 1\"\npoints = 0\n"
        )
        .replace("min_score = 60\nmax_count = 3\nmax_count = 1", "min_score = 60\nmax_count = 3");
        let f = found(&text);
        let messages: Vec<&str> = f.iter().map(|(_, m)| m.as_str()).collect();
        assert!(messages.contains(
            &"gate 'g' caps at tier 'gold', the highest: it changes nothing; to keep entities out of 'gold', cap them at the tier below (max_tier = \"bronze\")"
        ), "{messages:?}");
        assert!(
            messages.contains(
                &"adjustment 'nil' gives 0 points: it changes nothing; give it points, or remove it"
            ),
            "{messages:?}"
        );
        // A criterion of 0 points beside one that scores.
        let off = TIERS.replace(
            "method = \"direct\"\n",
            "method = \"direct\"\n[[criterion]]\nid = \"off\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 0\nmethod = \"direct\"\n",
        );
        let f = found(&off);
        assert!(
            f.iter().any(|(_, m)| m.starts_with("criterion 'off' is worth 0 points: its value and fraction are shown, but it adds nothing to any score")),
            "{f:?}"
        );
        assert!(
            !found(TIERS)
                .iter()
                .any(|(_, m)| m.contains("worth 0 points"))
        );
        // A dimension of 0-point criteria only has lints of its own: not said twice.
        let all_off = off.replace("points = 100\n", "points = 0\n");
        assert!(
            !found(&all_off)
                .iter()
                .any(|(_, m)| m.contains("worth 0 points"))
        );
    }
}
