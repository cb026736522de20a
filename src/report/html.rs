//! HTML view: one self-contained, printable page — title and audit, tier summary, a sortable
//! ranking table, inline SVG charts, per-entity detail and, for additive rules, live
//! re-weighting sliders that re-score, re-rank and re-tier in the browser.
//!
//! Nothing is loaded from the network: the style sheet and script are embedded, charts are
//! SVG drawn here, fonts come from the reader's system. Every text that comes from the rules
//! or the data goes through [`escape`]; the data the script needs is embedded as JSON in a
//! `<script type="application/json">` element with `<`, `>` and `&` written as `\u003c` etc.
//!
//! The script recomputes exactly as [`crate::engine::evidence::Evidence`] does: dimension
//! fractions `f_d = Σ kept p·s / Σ kept p` (accumulated in criterion order, with a fused
//! multiply-add where the engine's matrix product used one), `T = max × Σ_d f_d·W_d/ΣW`
//! (the same summation order), adjustments, clamp, rounding half away from zero on the
//! shortest decimal text, ranking by score, tie-break values and id, and tiers by min score,
//! quota and cap. Tier `requires` and `direct` cannot be re-evaluated in the browser: the
//! page uses the engine's outcome for each entity and tier. For conditions that mention
//! scores (`score`, dimension or criterion ids) that outcome is the one at the shipped
//! weights, so tiers under other weights are then approximate (the page says so).
// Markup is written line by line; a trailing \n in write! keeps each line readable.
#![allow(clippy::write_with_newline)]

use crate::engine::evidence::Evidence;
use crate::engine::{Assessment, EntityResult};
use crate::report::xlsx::tier_colour;
use crate::rules::{Aggregation, Direction};
use serde_json::{Value, json};
use std::fmt::Write as _;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Colours of dimensions in charts (rules order, cycling).
const DIMENSION_COLOURS: [&str; 8] = [
    "#4472c4", "#ed7d31", "#70ad47", "#ffc000", "#5b9bd5", "#a5a5a5", "#264478", "#9e480e",
];

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// JSON text safe inside a `<script>` element: `<`, `>` and `&` become `\u003c`, `\u003e`,
/// `\u0026` (they can only occur inside JSON strings, where these escapes mean the same).
pub fn script_json(v: &Value) -> String {
    script_safe(serde_json::to_string(v).expect("JSON values serialise"))
}

/// JSON text made safe inside a `<script>` element, as [`script_json`] says.
fn script_safe(s: String) -> String {
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn fmt(x: f64, dec: u32) -> String {
    if x.is_finite() {
        format!("{:.*}", dec as usize, x)
    } else {
        String::new()
    }
}

fn num_or_null(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

fn tier_index(a: &Assessment, id: &Option<String>) -> Option<usize> {
    id.as_ref()
        .and_then(|id| a.layout.tiers.iter().position(|t| &t.id == id))
}

fn colour_hex(c: u32) -> String {
    format!("#{c:06x}")
}

/// Whether the engine's matrix product accumulated with fused multiply-adds (matrixmultiply
/// picks an FMA kernel on CPUs that have one): decided by reproducing its result both ways.
fn engine_uses_fma(ev: &Evidence) -> bool {
    let got = ev.dimension_fractions(&ev.points);
    let mine = |fused: bool| {
        let (n, nc) = ev.fractions.dim();
        let nd = ev.weights.len();
        let mut out = vec![0.0; n * nd];
        for e in 0..n {
            for d in 0..nd {
                let (mut acc, mut kept) = (0.0f64, 0.0f64);
                for ci in 0..nc {
                    let s = ev.fractions[[e, ci]];
                    if ev.dimension_of[ci] != d || s.is_nan() {
                        continue;
                    }
                    let p = ev.points[ci];
                    acc = if fused {
                        s.mul_add(p, acc)
                    } else {
                        acc + s * p
                    };
                    kept += p;
                }
                out[e * nd + d] = if kept > 0.0 { acc / kept } else { 0.0 };
            }
        }
        out
    };
    let same = |v: &[f64]| {
        v.iter()
            .zip(got.iter())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    };
    !same(&mine(false)) && same(&mine(true))
}

/// The conditions evaluated after scoring (adjustments, capping gates, tier `requires` and
/// `direct`) for the page to evaluate again when weights move: each as JavaScript when it
/// reads a score and can be written so (`js`), otherwise with its outcome per entity
/// (`fixed`: the data it reads does not move with the weights). `None` when no condition
/// reads a score. A `prev()` call of data is evaluated here and shipped as a slot (an
/// earlier year does not move with the weights). A condition that reads a score but
/// cannot be written as JavaScript (`prev()` of a score, an aggregate) keeps the engine's
/// outcome alone; `frozen` counts them, and the page says its result is approximate.
fn post_data(ev: &Evidence) -> Option<Value> {
    let post = ev.post.as_deref()?;
    if !reads_scores(ev) {
        return None;
    }
    let score_slots: Vec<usize> = std::iter::once(post.score_slot)
        .chain(post.dimension_slots.iter().copied())
        .chain(post.criterion_slots.iter().copied())
        .collect();
    let mut data_slots: Vec<usize> = Vec::new();
    // The `prev()` calls of conditions the page evaluates, shipped as slots "p0", "p1", …
    let mut prev_calls: Vec<crate::expr::Program> = Vec::new();
    let mut frozen = 0usize;
    // The frame at the shipped weights, built once when a condition is frozen.
    let mut run_frame = None;
    let mut entry = |p: &crate::expr::Program| -> Value {
        if post.reads_scores(p) {
            if let Some(page) =
                crate::expr::js::to_js_reading_prev(p, &score_slots, prev_calls.len())
            {
                for s in page.slots {
                    if !score_slots.contains(&s) && !data_slots.contains(&s) {
                        data_slots.push(s);
                    }
                }
                prev_calls.extend(page.prev_calls);
                return json!({ "js": page.js });
            }
            // Frozen: the outcome at the shipped weights, the engine's.
            frozen += 1;
        }
        // A condition on data only holds its outcome at any weights; a frozen one is taken
        // on the frame with the shipped scores.
        let frame = if post.reads_scores(p) {
            run_frame.get_or_insert_with(|| ev.frame_at_run().expect("the run kept its conditions"))
        } else {
            &post.frame
        };
        json!({ "fixed": post.at_entities(p.eval_condition(frame)) })
    };
    let adjustments: Vec<Value> = post
        .adjustments
        .iter()
        .map(|(p, pts)| {
            let mut v = entry(p);
            v["points"] = json!(pts);
            v
        })
        .collect();
    let caps: Vec<Value> = post
        .caps
        .iter()
        .map(|(p, t)| {
            let mut v = entry(p);
            v["tier"] = json!(t);
            v
        })
        .collect();
    let mut per_tier = |lists: &[Vec<crate::expr::Program>]| -> Vec<Vec<Value>> {
        lists
            .iter()
            .map(|ps| ps.iter().map(&mut entry).collect())
            .collect()
    };
    let requires = per_tier(&post.requires);
    let direct = per_tier(&post.direct);
    // Each entity's value of a slot: its row of the run's frame.
    let at_entities = |col: Option<&crate::column::Column>| -> Value {
        post.row_of
            .iter()
            .map(|&r| match col {
                Some(crate::column::Column::Number(v)) => num_or_null(v[r]),
                Some(crate::column::Column::Bool(v)) => json!(v[r]),
                Some(crate::column::Column::Text(t)) => json!(t.get(r)),
                None => Value::Null,
            })
            .collect()
    };
    let mut slots: serde_json::Map<String, Value> = data_slots
        .iter()
        .map(|&s| {
            let col = post.frame.columns.get(s).and_then(Option::as_ref);
            (s.to_string(), at_entities(col))
        })
        .collect();
    // An earlier year's values, evaluated by the engine on the run's rows.
    for (k, call) in prev_calls.iter().enumerate() {
        let values = call.eval(&post.frame);
        slots.insert(format!("p{k}"), at_entities(Some(&values)));
    }
    Some(json!({
        "scoreSlot": post.score_slot,
        "dimensionSlots": post.dimension_slots,
        "criterionSlots": post.criterion_slots,
        "slots": slots,
        "adjustments": adjustments,
        "caps": caps,
        "requires": requires,
        "direct": direct,
        "frozen": frozen,
        "frozenNote": FROZEN_NOTE,
    }))
}

/// Whether a condition evaluated after scoring reads a dimension score, criterion points or
/// `score` (only then can moving a weight change its outcome).
fn reads_scores(ev: &Evidence) -> bool {
    ev.post
        .as_deref()
        .is_some_and(|post| post.programs().any(|p| post.reads_scores(p)))
}

/// The engine's state when the page's script can re-score (additive, two or more
/// dimensions, one row per entity of `a`).
fn reweighting_evidence(a: &Assessment) -> Option<&Evidence> {
    let l = &a.layout;
    a.evidence.as_deref().filter(|ev| {
        ev.len() == a.entity_count()
            && ev.aggregation == Aggregation::Additive
            && l.dimensions.len() > 1
            && ev.weights.len() == l.dimensions.len()
            && ev.fractions.dim().1 == l.criteria.len()
    })
}

/// The data the page's script needs to re-weight (`ev`, when it can), all but the entities:
/// their [`entity_data`] entries are written after it as its `entities` array.
fn page_data(a: &Assessment, ev: Option<&Evidence>) -> Value {
    let l = &a.layout;
    let mut full_max = vec![0.0; l.dimensions.len()];
    for c in &l.criteria {
        if let Some(d) = l.dimensions.iter().position(|d| d.id == c.dimension) {
            full_max[d] += c.points;
        }
    }
    let dims: Vec<Value> = l
        .dimensions
        .iter()
        .enumerate()
        .map(|(d, x)| {
            json!({
                "id": x.id, "label": x.label,
                "weight": ev.map_or(Value::Null, |ev| json!(ev.weights[d])),
                "points": full_max[d],
                "share": x.value,
                "colour": DIMENSION_COLOURS[d % DIMENSION_COLOURS.len()],
            })
        })
        .collect();
    let crits: Vec<Value> = l
        .criteria
        .iter()
        .map(|c| {
            json!({
                "id": c.id, "label": c.label, "points": c.points,
                "dimension": l.dimensions.iter().position(|d| d.id == c.dimension),
            })
        })
        .collect();
    let tiers: Vec<Value> = l
        .tiers
        .iter()
        .enumerate()
        .map(|(t, x)| {
            let rule = ev.and_then(|ev| ev.tiers.get(t));
            json!({
                "id": x.id, "label": x.label,
                "maxCount": rule.and_then(|r| r.max_count),
                "topPercent": rule.and_then(|r| r.top_percent),
                "colour": colour_hex(tier_colour(t)),
            })
        })
        .collect();
    json!({
        "title": l.title,
        "decimals": l.decimals,
        "maxScore": l.max_score,
        "aggregation": l.aggregation,
        "reweight": ev.is_some(),
        "scale": ev.and_then(|ev| ev.scale),
        "clamp": ev.and_then(|ev| ev.clamp).map(|(lo, hi)| vec![lo, hi]),
        "fma": ev.is_some_and(engine_uses_fma),
        "post": ev.and_then(post_data),
        "cohorts": ev.map_or(1, |ev| ev.cohorts),
        "tieDirections": ev.map_or(vec![], |ev| ev.tie_directions.iter()
            .map(|d| if *d == Direction::Lower { "lower" } else { "higher" }).collect()),
        "dimensions": dims,
        "criteria": crits,
        "tiers": tiers,
    })
}

/// One entity's entry in the page's data (the `entities` array after [`page_data`]).
fn entity_data(a: &Assessment, ev: Option<&Evidence>, e: usize, x: &EntityResult) -> Value {
    let l = &a.layout;
    let mut v = json!({
        "id": x.id,
        "name": x.name,
        "rank": x.rank,
        "score": x.score,
        "tier": tier_index(a, &x.tier),
        "dimensions": l.dimensions.iter()
            .map(|d| num_or_null(x.dimensions.get(&d.id).copied().unwrap_or(f64::NAN)))
            .collect::<Vec<_>>(),
    });
    if let Some(ev) = ev {
        let o = v.as_object_mut().expect("object");
        o.insert("ranked".into(), json!(ev.ranked[e]));
        o.insert("cohort".into(), json!(ev.cohort[e]));
        o.insert(
            "fractions".into(),
            Value::Array(
                ev.fractions
                    .row(e)
                    .iter()
                    .map(|s| num_or_null(*s))
                    .collect(),
            ),
        );
        o.insert("adjustment".into(), json!(ev.adjustment[e]));
        o.insert(
            "tie".into(),
            Value::Array(ev.tie_values.iter().map(|c| num_or_null(c[e])).collect()),
        );
        o.insert(
            "minScore".into(),
            Value::Array(
                ev.tiers
                    .iter()
                    .map(|t| num_or_null(t.min_score.get(e)))
                    .collect(),
            ),
        );
        o.insert(
            "requires".into(),
            Value::Array(
                ev.tiers
                    .iter()
                    .map(|t| json!(t.requires[e] == Some(true)))
                    .collect(),
            ),
        );
        o.insert(
            "direct".into(),
            Value::Array(ev.tiers.iter().map(|t| json!(t.direct[e])).collect()),
        );
        o.insert("cap".into(), json!(ev.cap_of(e)));
    }
    v
}

/// The HTML page of an assessment.
pub fn to_html(a: &Assessment) -> String {
    let mut bytes = Vec::new();
    write_html(a, &mut bytes).expect("writing into memory does not fail");
    String::from_utf8(bytes).expect("the page is UTF-8")
}

/// Writes the HTML page of an assessment to `out`, section by section: the per-entity parts
/// (ranking rows, details, data) are rendered in blocks on all cores and never held whole
/// (a page of 100,000 entities is about half a gigabyte).
pub fn write_html(a: &Assessment, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let l = &a.layout;
    let title = escape(&l.title);
    let mut h = String::with_capacity(64 * 1024);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{title}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n",
        escape(&a.audit.engine)
    );
    let _ = write!(h, "<header>\n<h1>{title}</h1>\n");
    audit_block(&mut h, a);
    h.push_str("</header>\n<main>\n");
    if !a.warnings.is_empty() {
        h.push_str("<section class=\"warnings\"><h2>提示 Warnings</h2><p class=\"note shipped-note\" hidden>提示按规则文件中的权重得出。These warnings are from the shipped weights.</p><ul>");
        for w in &a.warnings {
            let _ = write!(h, "<li>{}</li>", escape(w));
        }
        h.push_str("</ul></section>\n");
    }
    tier_summary(&mut h, a);
    // Built once: the sliders' note says whether it carries the conditions on scores.
    let ev = reweighting_evidence(a);
    let data = page_data(a, ev);
    sliders(&mut h, a, data["post"]["frozen"].as_u64());
    out.write_all(h.as_bytes())?;
    ranking_table(out, a)?;
    let mut h = String::with_capacity(64 * 1024);
    h.push_str("<section class=\"charts\"><h2>图表 Charts</h2>\n<p class=\"note\" id=\"charts-note\">图表按规则文件中的权重绘制。Charts show the shipped weights.</p>\n<div class=\"chart-row\">");
    h.push_str(&histogram_svg(a));
    h.push_str(&tier_counts_svg(a));
    h.push_str("</div>\n");
    h.push_str(&breakdown_svg(a));
    h.push_str("</section>\n");
    out.write_all(h.as_bytes())?;
    details(out, a)?;
    write!(
        out,
        "</main>\n<footer>{} · rules sha256 {} · {}</footer>\n",
        escape(&a.audit.engine),
        escape(&a.audit.rules.sha256),
        escape(&a.audit.generated_at)
    )?;
    // The data object, then its `entities` array as its last key, written a block at a time
    // (serde_json's `preserve_order` keeps `page_data`'s keys in the order written).
    debug_assert!(data.get("entities").is_none() && data.get("title").is_some());
    let head = script_json(&data);
    let head = head.strip_suffix('}').expect("the page data is an object");
    write!(
        out,
        "<script type=\"application/json\" id=\"cs-data\">{head},\"entities\":["
    )?;
    per_entity(out, a, ",", |e, x| {
        script_safe(
            serde_json::to_string(&entity_data(a, ev, e, x)).expect("JSON values serialise"),
        )
    })?;
    write!(
        out,
        "]}}</script>\n<script>\n{JS}</script>\n</body>\n</html>\n"
    )
}

/// Writes `render(index, entity)` for every entity in order, separated by `sep`, a block
/// at a time on all cores (`json::write_in_blocks`): only the blocks in hand are held.
fn per_entity(
    out: &mut dyn std::io::Write,
    a: &Assessment,
    sep: &str,
    render: impl Fn(usize, &EntityResult) -> String + Sync,
) -> std::io::Result<()> {
    super::json::write_in_blocks(a.entity_count(), out, &|piece| {
        let mut bytes = Vec::new();
        for e in piece {
            if e > 0 {
                bytes.extend_from_slice(sep.as_bytes());
            }
            bytes.extend_from_slice(render(e, &a.entity(e)).as_bytes());
        }
        Ok(bytes)
    })
}

fn audit_block(h: &mut String, a: &Assessment) {
    let au = &a.audit;
    h.push_str("<dl class=\"audit\">");
    let mut row = |k: &str, v: String| {
        let _ = write!(h, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row(
        "规则 Rules",
        format!(
            "{} {} <code>{}</code>",
            escape(&au.rules.name),
            escape(au.rules.version.as_deref().unwrap_or("")),
            escape(&au.rules.path)
        ),
    );
    row(
        "规则 SHA-256",
        format!("<code class=\"hash\">{}</code>", escape(&au.rules.sha256)),
    );
    for d in &au.data {
        row(
            "数据 Data",
            format!(
                "<code>{}</code>{} · {} 行 rows · <code class=\"hash\">{}</code>",
                escape(&d.path),
                d.sheet.as_deref().map_or(String::new(), |s| format!(
                    " · 工作表 sheet <code>{}</code>",
                    escape(s)
                )),
                d.rows,
                escape(&d.sha256)
            ),
        );
    }
    if let Some(y) = au.year {
        row("年度 Year", y.to_string());
    }
    row("生成时间 Generated", escape(&au.generated_at));
    row("引擎 Engine", escape(&au.engine));
    row(
        "对象 Entities",
        format!(
            "{} 个{} · {} ranked · {} excluded",
            a.summary.entities,
            escape(&a.layout.entity_word),
            a.summary.ranked,
            a.summary.excluded
        ),
    );
    h.push_str("</dl>\n");
}

fn tier_summary(h: &mut String, a: &Assessment) {
    let l = &a.layout;
    h.push_str("<section><h2>等级汇总 Tier summary</h2>\n<table class=\"tiers\" id=\"tier-summary\"><thead><tr><th>等级 Tier</th><th>最低分 Min score</th><th>数量 Count</th></tr></thead><tbody>");
    for (t, tc) in a.summary.tiers.iter().enumerate() {
        let min = l
            .tiers
            .get(t)
            .and_then(|x| x.value)
            // As written in the rules (2.4, not 2 at 0 decimals: a score of 2 is below it).
            .map_or(String::new(), crate::column::format_number);
        let _ = write!(
            h,
            "<tr><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td class=\"num\">{min}</td><td class=\"num\" data-tier-count=\"{t}\">{}</td></tr>",
            colour_hex(tier_colour(t)),
            escape(&tc.label),
            tc.count
        );
    }
    let untiered = a.summary.ranked - a.summary.tiers.iter().map(|t| t.count).sum::<usize>();
    let _ = write!(
        h,
        "<tr><td>未入等级 Untiered</td><td></td><td class=\"num\" data-tier-count=\"none\">{untiered}</td></tr><tr><td>否决 Excluded</td><td></td><td class=\"num\">{}</td></tr></tbody></table></section>\n",
        a.summary.excluded
    );
}

/// `live`: whether the page re-evaluates the conditions that read scores.
fn sliders(h: &mut String, a: &Assessment, frozen: Option<u64>) {
    let l = &a.layout;
    let Some(ev) = a.evidence.as_deref() else {
        return;
    };
    if ev.aggregation == Aggregation::Additive && l.dimensions.len() == 1 {
        h.push_str("<section class=\"controls\"><h2>权重调整 Re-weighting</h2><p class=\"note\">只有一个维度，没有可调整的维度权重。One dimension: there is no dimension weight to move (its weight only rescales the maximum score).</p></section>\n");
        return;
    }
    if ev.aggregation != Aggregation::Additive {
        let _ = write!(
            h,
            "<section class=\"controls\"><h2>权重调整 Re-weighting</h2><p class=\"note\">仅加权求和（additive）规则可在页面上实时调整权重（本规则为 {0}）；可用 clusterscore sensitivity 或 compare 考察权重的影响。Live re-weighting is available for additive rules only (these rules use {0}); clusterscore sensitivity or compare shows what other weights do.</p></section>\n",
            escape(&l.aggregation)
        );
        return;
    }
    let _ = write!(
        h,
        "<section class=\"controls\" id=\"reweight\"><h2>权重调整 Re-weighting</h2>\n<p class=\"note\">拖动滑块改变维度权重，得分、排名和等级即时重算；排名或等级变化的行会高亮。Move a slider to re-score, re-rank and re-tier; rows whose rank or tier changed are highlighted. {}</p>\n<div class=\"sliders\">",
        conditions_note(ev, frozen)
    );
    // Sliders move continuously (`step="any"`): a stepped slider would snap a weight such
    // as 14.891428 to 14.9 as the page opens (report.js rounds a moved weight to four
    // significant digits). Each goes up to twice its weight or the sum of all weights,
    // whichever is more, so one dimension can be made to outweigh all others together.
    let total: f64 = ev.weights.iter().copied().filter(|w| *w > 0.0).sum();
    for (d, dim) in l.dimensions.iter().enumerate() {
        let w = ev.weights.get(d).copied().unwrap_or(0.0);
        let max = if total > 0.0 { total.max(2.0 * w) } else { 1.0 };
        let _ = write!(
            h,
            "<label class=\"slider\"><span class=\"dim-name\"><span class=\"swatch\" style=\"background:{}\"></span>{}</span>\
             <input type=\"range\" data-dim=\"{d}\" id=\"w-{}\" min=\"0\" max=\"{}\" step=\"any\" value=\"{}\">\
             <output data-dim-out=\"{d}\">{}</output></label>\n",
            DIMENSION_COLOURS[d % DIMENSION_COLOURS.len()],
            escape(&dim.label),
            escape(&dim.id),
            crate::column::format_number(max),
            crate::column::format_number(w),
            crate::column::format_number(w),
        );
    }
    h.push_str("</div>\n<p><button type=\"button\" id=\"reset\">恢复原权重 Reset weights</button> <span id=\"reweight-status\" class=\"note\"></span></p>\n<p id=\"selfcheck\" class=\"note\"></p>\n</section>\n");
}

/// What the page does with the conditions that read scores, in the re-weighting note.
/// `frozen`: how many of them the page cannot evaluate again (see [`post_data`]; `None`
/// when the page data carries no conditions).
fn conditions_note(ev: &Evidence, frozen: Option<u64>) -> String {
    if !reads_scores(ev) {
        return String::new();
    }
    let live = "引用得分的条件（等级 requires / direct、封顶门槛、加减分）随权重重新判定。Conditions that read scores (tier requires / direct, capping gates, adjustments) are evaluated again with the new scores.";
    match frozen {
        Some(0) => live.to_string(),
        Some(n) => format!(
            "{live} {FROZEN_NOTE}（{n} 个条件 {n} {}）",
            crate::diag::agree(n as usize, "condition", "conditions")
        ),
        None => FROZEN_NOTE.to_string(),
    }
}

/// The page's caveat for conditions that read scores but that it cannot evaluate (also in
/// the printed re-weighting banner). None is left today: `prev()` of data is shipped as
/// values, `prev()` of a score is a rules error, and aggregate functions cannot appear in
/// conditions after scoring; kept for a condition a later version cannot write.
const FROZEN_NOTE: &str = "页面无法重算的得分条件沿用引擎按原权重的判定结果，结果为近似。Conditions that read scores and that the page cannot evaluate keep the engine's outcome at the shipped weights: the result is approximate.";

/// A chart's axis or bin limit to twelve significant digits: 12.58, not 12.580000000000002
/// (a maximum of 62.9 split in fifths). The same text as report.js's `axisNumber`
/// (`toPrecision(12)`), whose charts the page's self-check compares with these: the
/// magnitude's decimal expansion (exact to 40 digits) rounded half up, as `toPrecision`
/// rounds, where Rust's own formatting would round an exact tie to even.
fn axis_number(x: f64) -> String {
    const SIG: usize = 12;
    let text = format!("{:.40e}", x.abs());
    let Some((mantissa, exp)) = text.split_once('e').filter(|_| x.is_finite() && x != 0.0) else {
        return crate::column::format_number(x);
    };
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    let mut exp: i32 = exp.parse().unwrap_or(0);
    // The first twelve digits as an integer, plus one when the rest is half or more.
    let mut kept: u64 = digits[..SIG]
        .iter()
        .fold(0, |k, d| k * 10 + u64::from(d - b'0'));
    kept += u64::from(digits[SIG] >= b'5');
    if kept == 10u64.pow(SIG as u32) {
        // 9.99…9 rounded up: 10.
        kept /= 10;
        exp += 1;
    }
    let kept = kept.to_string();
    let rounded: f64 = format!("{}.{}e{exp}", &kept[..1], &kept[1..])
        .parse()
        .unwrap_or(x.abs());
    crate::column::format_number(rounded.copysign(x))
}

fn ranking_table(out: &mut dyn std::io::Write, a: &Assessment) -> std::io::Result<()> {
    let mut h = String::new();
    // Shown (on screen and in print) only while the weights differ from the rules file's.
    h.push_str("<p id=\"reweighted\" class=\"reweighted\" hidden></p>\n");
    let l = &a.layout;
    let dec = l.decimals;
    let cohorts = (0..a.entity_count()).any(|e| a.ranking_row(e).cohort.is_some());
    let (note_zh, note_en) = super::components_note(l);
    let _ = write!(
        h,
        "<section><h2>排名 Ranking</h2>\n<p class=\"note\">点击表头排序。Click a header to sort. * 名次由并列规则决定 rank decided by a tie-break. {}{}</p>\n<table id=\"ranking\" class=\"ranking\"><thead><tr>\
         <th data-key=\"rank\" data-type=\"num\">排名 Rank</th><th data-key=\"id\">编号 ID</th><th data-key=\"name\">名称 Name</th>{}\
         <th data-key=\"score\" data-type=\"num\">得分 Score<br><small data-max-score>/{}</small></th><th data-key=\"tier\" data-type=\"num\">等级 Tier</th>",
        escape(&note_zh),
        escape(&note_en),
        if cohorts {
            "<th data-key=\"cohort\">分组 Cohort</th>"
        } else {
            ""
        },
        super::shown_maximum(l.max_score, dec)
    );
    for (d, dim) in l.dimensions.iter().enumerate() {
        let _ = write!(
            h,
            "<th data-key=\"d{d}\" data-type=\"num\">{}<br><small data-dim-max=\"{d}\">/{}</small></th>",
            escape(&dim.label),
            super::shown_maximum(dim.value.unwrap_or(0.0), dec)
        );
    }
    h.push_str("<th data-key=\"change\">变化 Change</th></tr></thead>\n<tbody>");
    out.write_all(h.as_bytes())?;
    per_entity(out, a, "", |_, e| ranking_row(a, e, cohorts))?;
    out.write_all(b"</tbody></table></section>\n")
}

/// One entity's row of the ranking table.
fn ranking_row(a: &Assessment, e: &EntityResult, cohorts: bool) -> String {
    let l = &a.layout;
    let dec = l.decimals;
    let mut h = String::with_capacity(512);
    let t = tier_index(a, &e.tier);
    let style = t.map_or(String::new(), |t| {
        format!(" style=\"background:{}\"", colour_hex(tier_colour(t)))
    });
    let rank = match (e.rank, &e.excluded_by) {
        (Some(r), _) => format!("{r}{}", if e.tie_broken { "*" } else { "" }),
        (None, _) => "—".into(),
    };
    let _ = write!(
        h,
        "<tr data-id=\"{}\"{}><td class=\"num rank\" data-v=\"{}\">{rank}</td><td class=\"id\">{}</td><td class=\"name\">{}</td>",
        escape(&e.id),
        if e.rank.is_none() {
            " class=\"excluded\""
        } else {
            ""
        },
        e.rank.map_or(f64::INFINITY, |r| r as f64),
        escape(&e.id),
        escape(e.name.as_deref().unwrap_or(""))
    );
    if cohorts {
        let _ = write!(
            h,
            "<td class=\"cohort\">{}</td>",
            escape(e.cohort.as_deref().unwrap_or(""))
        );
    }
    let tier_text = match (&e.tier_label, &e.excluded_by) {
        (Some(t), _) => escape(t),
        (None, Some(g)) => format!("否决 excluded: {}", escape(&gate_label(a, g))),
        (None, None) => String::new(),
    };
    let _ = write!(
        h,
        "<td class=\"num score\" data-v=\"{}\">{}</td><td class=\"tier\" data-v=\"{}\"{style}>{tier_text}</td>",
        e.score,
        fmt(e.score, dec),
        // Sorted by level, highest first; untiered after the tiers, excluded last.
        match (t, e.rank) {
            (Some(t), _) => t as f64,
            (None, Some(_)) => l.tiers.len() as f64,
            (None, None) => f64::INFINITY,
        }
    );
    for d in &l.dimensions {
        let v = e.dimensions.get(&d.id).copied().unwrap_or(f64::NAN);
        let _ = write!(
            h,
            "<td class=\"num dim\" data-v=\"{v}\">{}</td>",
            fmt(v, dec)
        );
    }
    h.push_str("<td class=\"change\"></td></tr>\n");
    h
}

fn gate_label(a: &Assessment, id: &str) -> String {
    a.layout
        .gates
        .iter()
        .find(|g| g.id == id)
        .map_or(id.to_string(), |g| g.label.clone())
}

fn entity_title(e: &EntityResult) -> String {
    match &e.name {
        Some(n) => format!("{} ({})", escape(n), escape(&e.id)),
        None => escape(&e.id),
    }
}

fn details(out: &mut dyn std::io::Write, a: &Assessment) -> std::io::Result<()> {
    out.write_all("<section class=\"details\"><h2>明细 Details</h2>\n<p class=\"note shipped-note\" hidden>以下明细按规则文件中的权重，不随滑块变化。The details below are at the shipped weights; the sliders do not move them.</p>\n".as_bytes())?;
    per_entity(out, a, "", |_, e| entity_details(a, e))?;
    out.write_all(b"</section>\n")
}

/// One entity's `<details>` block: each criterion, adjustments and notes.
fn entity_details(a: &Assessment, e: &EntityResult) -> String {
    let l = &a.layout;
    let dec = l.decimals;
    let mut h = String::with_capacity(4096);
    let _ = write!(
        h,
        "<details id=\"detail-{}\"><summary><b>{}</b> {} — {} {}</summary>\n",
        escape(&e.id),
        // With cohorts the rank counts within the cohort: say which.
        match (e.rank, &e.cohort) {
            (None, _) => "—".to_string(),
            (Some(r), Some(c)) => format!("#{r} ({})", escape(c)),
            (Some(r), None) => format!("#{r}"),
        },
        entity_title(e),
        fmt(e.score, dec),
        escape(e.tier_label.as_deref().unwrap_or(""))
    );
    if let Some(g) = &e.excluded_by {
        let _ = write!(
            h,
            "<p class=\"excluded-note\">否决 Excluded by gate <code>{}</code>: {}</p>",
            escape(g),
            escape(&gate_label(a, g))
        );
    }
    h.push_str("<table class=\"criteria\"><thead><tr><th>维度 Dimension</th><th>评价指标 Criterion</th><th>数值 Value</th><th>得分率 Fraction</th><th>得分 Points</th><th>满分 Max</th><th>缺失 Missing</th></tr></thead><tbody>");
    for c in &l.criteria {
        let Some(cr) = e.criteria.get(&c.id) else {
            continue;
        };
        let dim = l
            .dimensions
            .iter()
            .find(|d| d.id == c.dimension)
            .map_or(c.dimension.as_str(), |d| d.label.as_str());
        let value = match &cr.value {
            None => "—".to_string(),
            Some(Value::String(s)) => escape(s),
            Some(Value::Number(x)) => crate::column::format_display(x.as_f64().unwrap_or(f64::NAN)),
            Some(Value::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
            Some(v) => escape(&v.to_string()),
        };
        let unit = c
            .unit
            .as_deref()
            .map_or(String::new(), |u| format!(" {}", escape(u)));
        let _ = write!(
            h,
            "<tr><td>{}</td><td title=\"{}\">{}</td><td class=\"num\">{value}{unit}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape(dim),
            escape(&c.id),
            escape(&c.label),
            // (Fraction rounded half away from zero, as the XLSX shows it: 0.03125 is
            // 0.0313; the maximum as written in the rules, 2.5 with points shown as 3.)
            cr.fraction
                .map_or("—".into(), |f| crate::column::format_fixed(f, 4)),
            cr.points.map_or("—".into(), |p| fmt(p, dec)),
            crate::column::format_number(cr.max),
            escape(cr.missing.as_deref().unwrap_or(""))
        );
    }
    h.push_str("</tbody></table>\n");
    if !l.adjustments.is_empty() {
        h.push_str("<p class=\"adjustments\">加减分 Adjustments: ");
        let parts: Vec<String> = l
            .adjustments
            .iter()
            .map(|x| {
                let v = e.adjustments.get(&x.id).copied().unwrap_or(0.0);
                format!(
                    "<span class=\"{}\">{} {}</span>",
                    if v != 0.0 { "applied" } else { "not-applied" },
                    escape(&x.label),
                    if v > 0.0 {
                        format!("+{}", fmt(v, dec))
                    } else {
                        fmt(v, dec)
                    }
                )
            })
            .collect();
        h.push_str(&parts.join(" · "));
        h.push_str("</p>\n");
    }
    if !e.notes.is_empty() {
        h.push_str("<ul class=\"notes\">");
        for n in &e.notes {
            let _ = write!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>\n");
    }
    h.push_str("</details>\n");
    h
}

// ------------------------------------------------------------------ charts (inline SVG)

fn svg_text(x: f64, y: f64, anchor: &str, class: &str, text: &str) -> String {
    format!(
        "<text x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\" class=\"{class}\">{}</text>",
        escape(text)
    )
}

/// Score distribution: ten equal bins from 0 to the maximum score (ranked entities).
fn histogram_svg(a: &Assessment) -> String {
    let max = if a.layout.max_score > 0.0 {
        a.layout.max_score
    } else {
        100.0
    };
    let bins = 10usize;
    let mut counts = vec![0usize; bins];
    let ranked_scores = (0..a.entity_count())
        .map(|e| a.ranking_row(e))
        .filter(|e| e.rank.is_some())
        .map(|e| e.score);
    for score in ranked_scores.clone() {
        let k = ((score / max) * bins as f64).floor();
        let k = (k.max(0.0) as usize).min(bins - 1);
        counts[k] += 1;
    }
    // A score past the scale (an adjustment without `clamp`) counts in the end bin, whose
    // limit then says so: `-7.27–6.29`, `56.61–70.3`.
    let lowest = ranked_scores.clone().fold(0.0_f64, f64::min);
    let highest = ranked_scores.fold(max, f64::max);
    let limit = |k: usize| match k {
        0 => lowest + 0.0,
        k if k == bins => highest,
        k => max * k as f64 / bins as f64,
    };
    let (w, h, left, bottom, top) = (440.0, 240.0, 36.0, 36.0, 28.0);
    let peak = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = (w - left - 10.0) / bins as f64;
    let mut s = format!(
        "<figure><svg class=\"chart\" id=\"chart-histogram\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"score distribution\">"
    );
    s.push_str(&svg_text(
        w / 2.0,
        16.0,
        "middle",
        "title",
        "得分分布 Score distribution",
    ));
    let plot_h = h - bottom - top;
    // Bars, counts and axis labels move with the sliders: report.js redraws this group.
    s.push_str("<g data-live=\"histogram\">");
    for (k, c) in counts.iter().enumerate() {
        let bh = plot_h * (*c as f64) / peak;
        let x = left + k as f64 * bw;
        let y = h - bottom - bh;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#4472c4\"><title>{}–{}: {c}</title></rect>",
            x + 1.0,
            bw - 2.0,
            axis_number(limit(k)),
            axis_number(limit(k + 1)),
        );
        if *c > 0 {
            s.push_str(&svg_text(
                x + bw / 2.0,
                y - 3.0,
                "middle",
                "value",
                &c.to_string(),
            ));
        }
    }
    for k in 0..=bins {
        if k % 2 == 0 {
            s.push_str(&svg_text(
                left + k as f64 * bw,
                h - bottom + 14.0,
                "middle",
                "axis",
                &axis_number(max * k as f64 / bins as f64),
            ));
        }
    }
    s.push_str("</g>");
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" class=\"axis-line\"/>",
        h - bottom,
        w - 10.0
    );
    s.push_str(&svg_text(w / 2.0, h - 6.0, "middle", "axis", "得分 score"));
    s.push_str("</svg></figure>");
    s
}

/// Tier counts: one bar per tier, then untiered and excluded.
fn tier_counts_svg(a: &Assessment) -> String {
    let mut rows: Vec<(String, usize, String)> = a
        .summary
        .tiers
        .iter()
        .enumerate()
        .map(|(t, x)| (x.label.clone(), x.count, colour_hex(tier_colour(t))))
        .collect();
    let tiered: usize = rows.iter().map(|r| r.1).sum();
    rows.push((
        "未入等级 untiered".into(),
        a.summary.ranked.saturating_sub(tiered),
        "#d9d9d9".into(),
    ));
    rows.push(("否决 excluded".into(), a.summary.excluded, "#7f7f7f".into()));
    let row_h = 26.0;
    let (w, top, label_w) = (440.0, 28.0, 250.0);
    let h = top + rows.len() as f64 * row_h + 10.0;
    let peak = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        "<figure><svg class=\"chart\" id=\"chart-tiers\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"tier counts\">"
    );
    s.push_str(&svg_text(
        w / 2.0,
        16.0,
        "middle",
        "title",
        "等级数量 Tier counts",
    ));
    for (i, (label, _, _)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let label = if label.chars().count() > 18 {
            format!("{}…", label.chars().take(17).collect::<String>())
        } else {
            label.clone()
        };
        s.push_str(&svg_text(label_w - 6.0, y + 16.0, "end", "label", &label));
    }
    // Bars and counts move with the sliders: report.js redraws this group.
    s.push_str("<g data-live=\"tiers\">");
    for (i, (_, count, colour)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let bw = (w - label_w - 40.0) * (*count as f64) / peak;
        let _ = write!(
            s,
            "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"{colour}\" stroke=\"#888\" stroke-width=\"0.5\"/>",
            y + 4.0,
            row_h - 8.0
        );
        s.push_str(&svg_text(
            label_w + bw + 4.0,
            y + 16.0,
            "start",
            "value",
            &count.to_string(),
        ));
    }
    s.push_str("</g></svg></figure>");
    s
}

/// Stacked dimension shares per ranked entity (at most 60, in rank order), plus adjustments.
fn breakdown_svg(a: &Assessment) -> String {
    const MAX_ROWS: usize = 60;
    let l = &a.layout;
    // The first MAX_ROWS ranked, built (the rest only counted).
    let mut ranked = (0..a.entity_count()).filter(|&e| a.ranking_row(e).rank.is_some());
    let shown: Vec<(usize, std::borrow::Cow<'_, EntityResult>)> = ranked
        .by_ref()
        .take(MAX_ROWS)
        .map(|e| (e, a.entity(e)))
        .collect();
    let more = ranked.next().is_some();
    let max = if l.max_score > 0.0 {
        l.max_score
    } else {
        100.0
    };
    // An entity's adjustment bar: its total adjustment rounded to `decimals`, computed as
    // the page's script redraws it (report.js breakdownPart) where the page re-scores, so
    // that the chart the engine draws is the one the page draws at the shipped weights.
    let ev = reweighting_evidence(a);
    let adjustment = |k: usize, e: &EntityResult| match ev {
        Some(ev) => crate::num::round_half_away(ev.adjustment[k], l.decimals),
        None => e.adjustments.values().sum::<f64>(),
    };
    let adj_max = shown
        .iter()
        .map(|(k, e)| adjustment(*k, e).max(0.0))
        .fold(0.0, f64::max);
    let (w, label_w, row_h, top) = (900.0, 230.0, 18.0, 54.0);
    let plot_w = w - label_w - 50.0;
    let unit = plot_w / (max + adj_max);
    let h = top + shown.len() as f64 * row_h + 24.0;
    let mut s = format!(
        "<figure class=\"wide\"><svg class=\"chart\" id=\"chart-breakdown\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"dimension breakdown\">"
    );
    s.push_str(&svg_text(
        w / 2.0,
        16.0,
        "middle",
        "title",
        &format!(
            "各维度得分构成 Dimension breakdown{}",
            if more {
                format!(" (top {MAX_ROWS})")
            } else {
                String::new()
            }
        ),
    ));
    // Legend.
    let mut lx = label_w;
    for (d, dim) in l.dimensions.iter().enumerate() {
        let _ = write!(
            s,
            "<rect x=\"{lx:.1}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{}\"/>",
            DIMENSION_COLOURS[d % DIMENSION_COLOURS.len()]
        );
        s.push_str(&svg_text(lx + 14.0, 37.0, "start", "legend", &dim.label));
        lx += 24.0 + 7.0 * crate::report::xlsx::display_width(&dim.label) as f64;
    }
    if adj_max > 0.0 {
        let _ = write!(
            s,
            "<rect x=\"{lx:.1}\" y=\"28\" width=\"10\" height=\"10\" fill=\"#bfbfbf\"/>"
        );
        s.push_str(&svg_text(
            lx + 14.0,
            37.0,
            "start",
            "legend",
            "加减分 adjustments",
        ));
    }
    // Rows and axis move with the sliders: report.js redraws this group.
    s.push_str("<g data-live=\"breakdown\">");
    for (i, (k, e)) in shown.iter().enumerate() {
        let (k, e) = (*k, &**e);
        let y = top + i as f64 * row_h;
        let name = e.name.as_deref().unwrap_or(&e.id);
        let name = if name.chars().count() > 16 {
            format!("{}…", name.chars().take(15).collect::<String>())
        } else {
            name.to_string()
        };
        s.push_str(&svg_text(
            label_w - 6.0,
            y + 13.0,
            "end",
            "label",
            &format!("{}. {name}", e.rank.unwrap_or(0)),
        ));
        let mut x = label_w;
        for (d, dim) in l.dimensions.iter().enumerate() {
            let v = e.dimensions.get(&dim.id).copied().unwrap_or(0.0).max(0.0);
            let bw = v * unit;
            let _ = write!(
                s,
                "<rect x=\"{x:.2}\" y=\"{:.1}\" width=\"{bw:.2}\" height=\"{:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
                y + 2.0,
                row_h - 4.0,
                DIMENSION_COLOURS[d % DIMENSION_COLOURS.len()],
                escape(&dim.label),
                fmt(v, l.decimals)
            );
            x += bw;
        }
        let adj = adjustment(k, e);
        if adj > 0.0 {
            let bw = adj * unit;
            let _ = write!(
                s,
                "<rect x=\"{x:.2}\" y=\"{:.1}\" width=\"{bw:.2}\" height=\"{:.1}\" fill=\"#bfbfbf\"/>",
                y + 2.0,
                row_h - 4.0
            );
            x += bw;
        }
        s.push_str(&svg_text(
            x + 4.0,
            y + 13.0,
            "start",
            "value",
            &fmt(e.score, l.decimals),
        ));
    }
    let axis_y = top + shown.len() as f64 * row_h + 2.0;
    let _ = write!(
        s,
        "<line x1=\"{label_w}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\" class=\"axis-line\"/>",
        label_w + max * unit
    );
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        s.push_str(&svg_text(
            label_w + v * unit,
            axis_y + 14.0,
            "middle",
            "axis",
            &axis_number(v),
        ));
    }
    s.push_str("</g></svg></figure>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
        );
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let s = script_json(&json!({"name": "</script><b>&"}));
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><b>&");
    }

    /// Axis labels as `toPrecision(12)` writes them: noise cut, short values whole, an
    /// exact tie rounded up (Rust's formatting would give 12345678901.2), nines carried.
    #[test]
    fn axis_numbers_are_those_of_the_page() {
        assert_eq!(axis_number(12.580000000000002), "12.58");
        assert_eq!(axis_number(62.900000000000006), "62.9");
        assert_eq!(axis_number(10.001953125), "10.001953125");
        assert_eq!(axis_number(12345678901.25), "12345678901.3");
        assert_eq!(axis_number(-12345678901.25), "-12345678901.3");
        assert_eq!(axis_number(9.9999999999999), "10");
        assert_eq!(axis_number(0.0), "0");
        assert_eq!(axis_number(-7.272), "-7.272");
    }
}
