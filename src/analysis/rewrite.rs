//! Writing new weights into a rules file while keeping its comments and layout (`toml_edit`):
//! dimension `weight`s, or criterion `points` with their band, level and per-step points
//! scaled by the same factor so each criterion's table keeps its shape.

use crate::diag::{Diagnostic, Error, Result, Stage};
use toml_edit::{DocumentMut, Item, TableLike, Value};

/// Which weights a result applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Each `[[dimension]]`'s `weight`.
    Dimensions,
    /// Each `[[criterion]]`'s `points` (bands and other point parameters scaled along).
    Criteria,
}

impl Level {
    /// `dimensions` or `criteria`, as the command line writes it (in any case).
    pub fn from_name(s: &str) -> Option<Level> {
        match s.to_ascii_lowercase().as_str() {
            "dimensions" => Some(Level::Dimensions),
            "criteria" => Some(Level::Criteria),
            _ => None,
        }
    }
}

/// First dimension weights adding up to `total`, the sum of the criteria's points (the
/// maximum score before), in a file without `scale`: `scale = total` keeps that maximum and
/// says it is meant, so the file does not gain a `weights-not-100` lint. Weights adding up
/// to 100 or 1 need no scale.
fn state_the_maximum(doc: &mut DocumentMut, total: f64) {
    let near = |a: f64, b: f64| (a - b).abs() <= crate::num::tolerance(b);
    if total.is_nan() || total <= 0.0 || near(total, 100.0) || near(total, 1.0) {
        return;
    }
    if let Some(rules) = doc.get_mut("rules").and_then(Item::as_table_like_mut)
        && !rules.contains_key("scale")
    {
        rules.insert("scale", toml_edit::value(number_value(round6(total))));
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// The number an item holds, if it is one.
fn number_of(item: &Item) -> Option<f64> {
    item.as_value()
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
}

/// A number as TOML writes it best: whole numbers without `.0`.
fn number_value(x: f64) -> Value {
    if x == x.trunc() && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// Replaces a number keeping the comment and spacing around it (`x` already rounded).
fn set_number(item: &mut Item, x: f64) {
    let new = number_value(x);
    match item.as_value_mut() {
        Some(v) => {
            let decor = v.decor().clone();
            *v = new;
            *v.decor_mut() = decor;
        }
        None => *item = Item::Value(new),
    }
}

/// Scales a points parameter: a number, or a category table `{ by, values, default }`
/// (inline or not) whose `default` and `values` are numbers. Nothing else is touched: not
/// `by`, and not a category that happens to be called `by`.
fn scale_param(item: &mut Item, factor: f64) {
    if let Some(x) = number_of(item) {
        set_number(item, round6(x * factor));
    } else if let Some(t) = item.as_table_like_mut()
        && t.contains_key("by")
    {
        if let Some(d) = t.get_mut("default") {
            scale_param(d, factor);
        }
        if let Some(values) = t.get_mut("values").and_then(Item::as_table_like_mut) {
            for (_, v) in values.iter_mut() {
                if let Some(x) = number_of(v) {
                    set_number(v, round6(x * factor));
                }
            }
        }
    }
}

/// The `[[key]]` tables of a document, written as an array of tables or as an inline array
/// of inline tables (`dimension = [{ id = "a" }, …]`), for editing.
/// The `[[key]]` tables of a document, or the inline tables of `key = [ { … }, … ]`, each
/// with whether it is inline (an inline table holds no comment).
type Tables<'d> = Vec<(&'d mut dyn TableLike, bool)>;

fn tables_mut<'d>(doc: &'d mut DocumentMut, key: &str) -> Option<Tables<'d>> {
    match doc.get_mut(key)? {
        Item::ArrayOfTables(a) => Some(
            a.iter_mut()
                .map(|t| (t as &mut dyn TableLike, false))
                .collect(),
        ),
        Item::Value(Value::Array(a)) => Some(
            a.iter_mut()
                .filter_map(|v| {
                    v.as_inline_table_mut()
                        .map(|t| (t as &mut dyn TableLike, true))
                })
                .collect(),
        ),
        _ => None,
    }
}

/// Rounds each new value to 6 decimals so that the rounded values still add up to the
/// rounded total (the largest takes the difference): weights that add to 99.999999 would
/// raise the `weights-not-scale` lint the original did not have.
fn rounded_keeping_total(new: &[(String, f64)]) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = new.iter().map(|(k, x)| (k.clone(), round6(*x))).collect();
    let total = round6(new.iter().map(|(_, x)| x).sum::<f64>());
    let diff = total - out.iter().map(|(_, x)| x).sum::<f64>();
    if let Some(largest) = out
        .iter_mut()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        && diff.abs() > 0.0
    {
        largest.1 = round6(largest.1 + diff);
    }
    out
}

/// What to warn of once new weights are written (`text`, named `name`) over the rules
/// `before`: thresholds the new maxima leave out of reach (a tier's `requires
/// specialization >= 15` once specialization weighs 9.15, a tier above the new maximum) and
/// labels that state the old points. Thresholds and labels are the designer's to change:
/// they are named, not rewritten. Nothing when the text does not parse.
pub fn rewrite_warnings(before: &crate::rules::Rules, text: &str, name: &str) -> Vec<String> {
    let Ok(after) = crate::rules::Rules::from_str_named(text, name) else {
        return Vec::new();
    };
    let mut out = crate::rules::lint::result_changing(&after);
    out.extend(stale_point_labels(before, &after));
    out
}

/// Warnings for labels that state points (`规上企业净增（每家2分，最高6分）`, `创新能力（25分）`)
/// of criteria whose points, or dimensions whose weight, differ between the rules `before`
/// and `after` a rewrite: the label would then say what the rules no longer do. Labels are
/// the designer's words, so they are named, not rewritten.
pub fn stale_point_labels(
    before: &crate::rules::Rules,
    after: &crate::rules::Rules,
) -> Vec<String> {
    // A number written right before 分 ("2分", "25 分", "0.5分").
    let states_points = |label: &str| {
        let chars: Vec<char> = label.chars().collect();
        chars.iter().enumerate().any(|(i, &c)| {
            c == '分'
                && chars[..i]
                    .iter()
                    .rev()
                    .find(|ch| !ch.is_whitespace())
                    .is_some_and(|ch| ch.is_ascii_digit() || ('０'..='９').contains(ch))
        })
    };
    let moved = |a: f64, b: f64| (a - b).abs() > crate::num::tolerance(a.abs().max(b.abs()));
    let mut out = Vec::new();
    for c in &after.criteria {
        let (Some(label), Some(old)) = (
            c.label.as_deref(),
            before.criteria.iter().find(|o| o.id.value == c.id.value),
        ) else {
            continue;
        };
        if states_points(label) && moved(old.points.value, c.points.value) {
            out.push(format!(
                "criterion '{}': its label \"{label}\" states points, and its points went from \
                 {} to {}: edit the label to match",
                c.id.value,
                crate::column::format_number(old.points.value),
                crate::column::format_number(c.points.value)
            ));
        }
    }
    for d in &after.dimensions {
        let (Some(label), Some(old)) = (
            d.label.as_deref(),
            before.dimensions.iter().find(|o| o.id.value == d.id.value),
        ) else {
            continue;
        };
        let (w0, w1) = (before.dimension_weight(old), after.dimension_weight(d));
        if states_points(label) && moved(w0, w1) {
            out.push(format!(
                "dimension '{}': its label \"{label}\" states points, and its weight went from \
                 {} to {}: edit the label to match",
                d.id.value,
                crate::column::format_number(w0),
                crate::column::format_number(w1)
            ));
        }
    }
    out
}

/// Writes `new` (id → weight or points) into the rules text at `level`. The text keeps its
/// byte-order mark and its line ends (CRLF stays CRLF).
pub fn write_weights(text: &str, level: Level, new: &[(String, f64)]) -> Result<String> {
    // What the loader would refuse is refused here, before a file is written.
    if let Some((id, x)) = new.iter().find(|(_, x)| !(x.is_finite() && *x >= 0.0)) {
        return Err(Error::usage(format!(
            "cannot write {} = {x} for '{id}': weights and points must be finite numbers ≥ 0",
            match level {
                Level::Dimensions => "weight",
                Level::Criteria => "points",
            }
        )));
    }
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let crlf = body.contains("\r\n");
    let mut doc: DocumentMut = body.parse().map_err(|e: toml_edit::TomlError| {
        Error::one(Diagnostic::new(
            Stage::Rules,
            format!("cannot edit the rules file: {e}"),
        ))
    })?;
    let key = match level {
        Level::Dimensions => "dimension",
        Level::Criteria => "criterion",
    };
    let new = rounded_keeping_total(new);
    let tables = tables_mut(&mut doc, key).ok_or_else(|| {
        Error::one(Diagnostic::new(
            Stage::Rules,
            format!("the rules file has no [[{key}]] tables"),
        ))
    })?;
    // Dimension weights written where there were none: the maximum score stays the sum of
    // the criteria's points, which `scale` then says (see `state_the_maximum`).
    let first_weights =
        level == Level::Dimensions && tables.iter().all(|(t, _)| !t.contains_key("weight"));
    let every_table = new.len() == tables.len();
    let mut missing: Vec<&str> = new.iter().map(|(id, _)| id.as_str()).collect();
    for (t, inline) in tables {
        let Some(id) = t.get("id").and_then(|i| i.as_str()).map(str::to_string) else {
            continue;
        };
        let Some((_, x)) = new.iter().find(|(i, _)| *i == id) else {
            continue;
        };
        missing.retain(|m| *m != id);
        match level {
            Level::Dimensions => match t.get_mut("weight") {
                Some(w) => set_number(w, *x),
                None => {
                    t.insert("weight", toml_edit::value(number_value(*x)));
                }
            },
            Level::Criteria => {
                let old = t.get("points").and_then(number_of).unwrap_or(0.0);
                let factor = if old > 0.0 { x / old } else { 1.0 };
                match t.get_mut("points") {
                    Some(p) => set_number(p, *x),
                    None => {
                        t.insert("points", toml_edit::value(number_value(*x)));
                    }
                }
                // `direct` reads its value as points out of `points`: with new points the
                // same values would earn other fractions. `linear` from 0 to the old points
                // gives exactly the old fractions, and scores them out of the new points.
                let direct = t
                    .get("method")
                    .and_then(|m| m.as_str())
                    .is_some_and(|m| m == "direct");
                if direct && factor != 1.0 {
                    if let Some(m) = t.get_mut("method") {
                        let mut v = Value::from("linear");
                        let mut own_comment = false;
                        if let Some(old_m) = m.as_value() {
                            *v.decor_mut() = old_m.decor().clone();
                            own_comment = old_m
                                .decor()
                                .suffix()
                                .and_then(|s| s.as_str())
                                .is_some_and(|s| s.contains('#'));
                        }
                        // The user's own comment on the line stays; otherwise say why (not
                        // inside an inline table, where a comment would end the line).
                        if !own_comment && !inline {
                            v.decor_mut().set_suffix(format!(
                                " # was \"direct\": the value, in points out of {}, earns the same fraction",
                                number_value(old)
                            ));
                        }
                        *m = Item::Value(v);
                    }
                    t.insert("floor", toml_edit::value(0));
                    t.insert("target", toml_edit::value(number_value(old)));
                }
                if let Some(bands) = t.get_mut("bands") {
                    match bands {
                        Item::Value(Value::Array(a)) => {
                            for b in a.iter_mut() {
                                if let Some(p) =
                                    b.as_inline_table_mut().and_then(|bt| bt.get_mut("points"))
                                {
                                    let mut item = Item::Value(p.clone());
                                    scale_param(&mut item, factor);
                                    if let Item::Value(v) = item {
                                        *p = v;
                                    }
                                }
                            }
                        }
                        Item::ArrayOfTables(a) => {
                            for bt in a.iter_mut() {
                                if let Some(p) = bt.get_mut("points") {
                                    scale_param(p, factor);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if let Some(levels) = t.get_mut("levels").and_then(Item::as_table_like_mut) {
                    for (_, v) in levels.iter_mut() {
                        scale_param(v, factor);
                    }
                }
                if let Some(p) = t.get_mut("points_per_step") {
                    scale_param(p, factor);
                }
            }
        }
    }
    if !missing.is_empty() {
        return Err(Error::one(Diagnostic::new(
            Stage::Rules,
            format!(
                "no [[{key}]] with id {} in the rules file",
                missing.join(", ")
            ),
        )));
    }
    if first_weights && every_table {
        state_the_maximum(&mut doc, new.iter().map(|(_, x)| x).sum());
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(bom);
    let written = doc.to_string();
    if crlf {
        // toml_edit writes `\n`: back to the file's own line ends.
        out.push_str(&written.replace("\r\n", "\n").replace('\n', "\r\n"));
    } else {
        out.push_str(&written);
    }
    // The edited text must still be TOML, whatever the layout: a file that would not load
    // is refused here, before it is written or printed.
    if let Err(e) = out.trim_start_matches('\u{feff}').parse::<DocumentMut>() {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Rules,
                format!(
                    "the rules file could not be rewritten in its own layout (the result would not load: {}); nothing was written",
                    crate::diag::truncate(&e.to_string().replace('\n', " "), 300)
                ),
            )
            .with_help(
                "copy the weights from the table above into the rules file by hand, or write its criteria as [[criterion]] tables and run again",
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_that_state_changed_points_are_named() {
        let rules = |pts: [f64; 3], w: f64| {
            crate::rules::Rules::from_str_named(
                &format!(
                    "[rules]\nname = \"l\"\nid = \"id\"\n[[indicator]]\nid = \"x\"\n\
                     [[dimension]]\nid = \"d\"\nlabel = \"规模（30分）\"\nweight = {w}\n\
                     [[criterion]]\nid = \"a\"\nlabel = \"净增（每家2分，最高6分）\"\n\
                     dimension = \"d\"\nindicator = \"x\"\npoints = {}\nmethod = \"direct\"\n\
                     [[criterion]]\nid = \"b\"\nlabel = \"得分率\"\ndimension = \"d\"\n\
                     indicator = \"x\"\npoints = {}\nmethod = \"direct\"\n\
                     [[criterion]]\nid = \"c\"\nlabel = \"平台（5 分）\"\ndimension = \"d\"\n\
                     indicator = \"x\"\npoints = {}\nmethod = \"direct\"\n",
                    pts[0], pts[1], pts[2]
                ),
                "r.toml",
            )
            .unwrap()
        };
        let before = rules([6.0, 4.0, 5.0], 30.0);
        assert!(stale_point_labels(&before, &before).is_empty());
        // a and c change (both labels state points), b's label states none; the dimension's
        // weight changes and its label states 30分.
        let after = rules([7.5, 2.5, 5.5], 25.0);
        let w = stale_point_labels(&before, &after);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].starts_with("criterion 'a': its label \"净增（每家2分，最高6分）\""));
        assert!(w[0].contains("went from 6 to 7.5"));
        assert!(w[1].starts_with("criterion 'c'"));
        assert!(w[2].starts_with("dimension 'd'") && w[2].contains("from 30 to 25"));
    }

    const RULES: &str = r#"# 评价规则 — a comment that must survive
[rules]
name = "x"
id = "id"

[[dimension]]
id = "scale"   # 规模
weight = 40

[[dimension]]
id = "innovation"
weight = 60

[[criterion]]
id = "rev"
dimension = "scale"
indicator = "rev"
points = 10  # 满分
method = "bands"
bands = [{ at_least = 100, points = 10 }, { at_least = 50, points = 5 }]
"#;

    /// First weights adding up to 60 (the points they share) gain `scale = 60`, so the
    /// maximum stays 60 and the file is free of the `weights-not-100` lint; weights that add
    /// up to 100, or a file that had weights or a scale already, are left so.
    #[test]
    fn first_dimension_weights_state_the_maximum_as_scale() {
        let unweighted = RULES
            .replace("weight = 40\n", "")
            .replace("weight = 60\n", "");
        let new = [("scale".into(), 39.7), ("innovation".into(), 20.3)];
        let out = write_weights(&unweighted, Level::Dimensions, &new).unwrap();
        assert!(out.contains("id = \"id\"\nscale = 60\n"), "{out}");
        let r = crate::rules::Rules::from_str_named(&out, "r.toml").unwrap();
        assert_eq!(r.settings.scale, Some(60.0));
        assert!(
            !crate::rules::lint::lint(&r, &[])
                .iter()
                .any(|l| l.code == "weights-not-100"),
        );
        // A hundred needs no scale; nor does a file whose weights are only changed.
        let hundred = [("scale".into(), 66.0), ("innovation".into(), 34.0)];
        let out = write_weights(&unweighted, Level::Dimensions, &hundred).unwrap();
        assert!(!out.contains("scale ="), "{out}");
        let out = write_weights(RULES, Level::Dimensions, &new).unwrap();
        assert!(!out.contains("scale ="), "{out}");
        // A scale already there is kept as written.
        let scaled = unweighted.replace("id = \"id\"\n", "id = \"id\"\nscale = 10\n");
        let out = write_weights(&scaled, Level::Dimensions, &new).unwrap();
        assert_eq!(out.matches("scale =").count(), 1, "{out}");
        assert!(out.contains("scale = 10\n"), "{out}");
    }

    #[test]
    fn dimension_weights_change_and_comments_stay() {
        let out = write_weights(
            RULES,
            Level::Dimensions,
            &[("scale".into(), 55.5), ("innovation".into(), 44.5)],
        )
        .unwrap();
        assert!(out.starts_with("# 评价规则 — a comment that must survive\n"));
        assert!(out.contains("weight = 55.5"), "{out}");
        assert!(out.contains("id = \"scale\"   # 规模"));
        assert!(out.contains("weight = 44.5"));
    }

    #[test]
    fn criterion_points_scale_their_bands() {
        let out = write_weights(RULES, Level::Criteria, &[("rev".into(), 20.0)]).unwrap();
        assert!(out.contains("points = 20  # 满分"), "{out}");
        assert!(out.contains("{ at_least = 100, points = 20 }"), "{out}");
        assert!(out.contains("{ at_least = 50, points = 10 }"), "{out}");
    }

    /// A `direct` criterion written in an inline array becomes `linear` there too, without
    /// the explaining comment (a comment inside an inline table would end it: the file
    /// written was no longer TOML), and the result loads and scores.
    #[test]
    fn direct_in_an_inline_array_is_rewritten_without_a_comment() {
        let text = "indicator = [{ id = \"x1\" }, { id = \"x3\" }]\n\
            dimension = [{ id = \"d\" }]\ncriterion = [\n\
            { id = \"k1\", dimension = \"d\", indicator = \"x1\", points = 2, method = \"target\", target = 100 },  # k1\n\
            { id = \"k3\", dimension = \"d\", indicator = \"x3\", points = 3, method = \"direct\" },\n]\n\
            [rules]\nname = \"x\"\nid = \"id\"\n";
        let out = write_weights(
            text,
            Level::Criteria,
            &[("k1".into(), 4.0), ("k3".into(), 1.0)],
        )
        .unwrap();
        assert!(
            out.contains("points = 1, method = \"linear\" , floor = 0, target = 3 },"),
            "{out}"
        );
        assert!(out.contains("target = 100 },  # k1"), "{out}");
        assert!(!out.contains("was \"direct\""), "{out}");
        let rules = crate::rules::Rules::from_str_named(&out, "w.toml").unwrap();
        assert_eq!(rules.criteria[1].method.name(), "linear");
    }

    /// The fractions a written file gives must be the original's: only the points move.
    #[test]
    fn every_points_layout_is_scaled_and_direct_keeps_its_fractions() {
        let text = "[rules]\r\nname = \"x\"\r\nid = \"id\"\r\n\r\n\
            [[criterion]]\r\nid = \"pts\"\r\npoints = 10\r\nmethod = \"direct\"  # 直接得分\r\n\r\n\
            [[criterion]]\r\nid = \"rev\"\r\npoints = 10\r\nmethod = \"bands\"\r\n\
            [[criterion.bands]]\r\nat_least = 100\r\npoints = 10\r\n\
            [[criterion.bands]]\r\nat_least = 20\r\npoints = { by = \"grp\", values = { ax = 6, by = 4 }, default = 2 }\r\n\r\n\
            [[criterion]]\r\nid = \"per\"\r\npoints = 10\r\nmethod = \"per\"\r\nstep = 1\r\n\
            points_per_step = { by = \"region\", values = { east = 2 }, default = 1 }\r\n";
        let with_bom = format!("\u{feff}{text}");
        let out = write_weights(
            &with_bom,
            Level::Criteria,
            &[
                ("pts".into(), 20.0),
                ("rev".into(), 5.0),
                ("per".into(), 15.0),
            ],
        )
        .unwrap();
        // The byte-order mark and the CRLF line ends stay.
        assert!(out.starts_with("\u{feff}[rules]\r\n"), "{out:?}");
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
        let out = out.trim_start_matches('\u{feff}').replace("\r\n", "\n");
        // direct → linear from 0 to the old points: the same fractions out of 20.
        assert!(out.contains("points = 20\nmethod = \"linear\""), "{out}");
        assert!(out.contains("floor = 0\ntarget = 10\n"), "{out}");
        // Bands written as an array of tables, category points included (not the
        // category called `by`, which is a value like any other).
        assert!(out.contains("at_least = 100\npoints = 5\n"), "{out}");
        assert!(
            out.contains("points = { by = \"grp\", values = { ax = 3, by = 2 }, default = 1 }"),
            "{out}"
        );
        // Per-step points as a category table.
        assert!(
            out.contains(
                "points_per_step = { by = \"region\", values = { east = 3 }, default = 1.5 }"
            ),
            "{out}"
        );
        let reread = out.parse::<toml::Table>().map(|_| ());
        assert!(reread.is_ok(), "{reread:?}");
    }

    #[test]
    fn inline_dimension_arrays_and_totals_that_stay_whole() {
        let text = "dimension = [{ id = \"a\", weight = 50 }, { id = \"b\", weight = 50 }, { id = \"c\" }]\n\
            [rules]\nname = \"x\"\nid = \"id\"\nscale = 100\n";
        // Thirds rounded to 6 places would add to 99.999999: the largest takes the rest.
        let third = 100.0 / 3.0;
        let out = write_weights(
            text,
            Level::Dimensions,
            &[
                ("a".into(), third),
                ("b".into(), third),
                ("c".into(), third),
            ],
        )
        .unwrap();
        let doc: toml::Table = out.parse().unwrap();
        let dims = doc["dimension"].as_array().unwrap();
        let w: Vec<f64> = dims
            .iter()
            .map(|d| d["weight"].as_float().unwrap())
            .collect();
        assert_eq!(w.iter().sum::<f64>(), 100.0, "{out}");
        assert!(w.iter().all(|x| (x - third).abs() < 2e-6), "{w:?}");
    }

    #[test]
    fn unknown_ids_are_refused() {
        assert!(write_weights(RULES, Level::Dimensions, &[("digital".into(), 1.0)]).is_err());
    }
}
