//! Writing new weights into a rules file while keeping its comments and layout (`toml_edit`):
//! dimension `weight`s, or criterion `points` with their band, level and per-step points
//! scaled by the same factor so each criterion's table keeps its shape.

use crate::diag::{Diagnostic, Error, Result, Stage};
use toml_edit::{DocumentMut, Item, Value};

/// Which weights a result applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Dimensions,
    Criteria,
}

impl Level {
    pub fn from_name(s: &str) -> Option<Level> {
        match s {
            "dimensions" => Some(Level::Dimensions),
            "criteria" => Some(Level::Criteria),
            _ => None,
        }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Replaces a number keeping the comment and spacing around it.
fn set_number(item: &mut Item, x: f64) {
    let x = round6(x);
    let new = if x == x.trunc() && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    };
    match item.as_value_mut() {
        Some(v) => {
            let decor = v.decor().clone();
            *v = new;
            *v.decor_mut() = decor;
        }
        None => *item = Item::Value(new),
    }
}

fn scale_number(item: &mut Item, factor: f64) {
    if let Some(x) = item
        .as_value()
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
    {
        set_number(item, x * factor);
    }
}

fn scale_value(v: &mut Value, factor: f64) {
    if let Some(x) = v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
        let decor = v.decor().clone();
        let x = round6(x * factor);
        *v = if x == x.trunc() {
            Value::from(x as i64)
        } else {
            Value::from(x)
        };
        *v.decor_mut() = decor;
    } else if let Some(t) = v.as_inline_table_mut() {
        // { by, values, default }: scale the numbers, not `by`.
        for (k, inner) in t.iter_mut() {
            if k.get() != "by" {
                scale_value(inner, factor);
            }
        }
    }
}

/// Writes `new` (id → weight or points) into the rules text at `level`.
pub fn write_weights(text: &str, level: Level, new: &[(String, f64)]) -> Result<String> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        Error::one(Diagnostic::new(
            Stage::Rules,
            format!("cannot edit the rules file: {e}"),
        ))
    })?;
    let key = match level {
        Level::Dimensions => "dimension",
        Level::Criteria => "criterion",
    };
    let tables = doc
        .get_mut(key)
        .and_then(|i| i.as_array_of_tables_mut())
        .ok_or_else(|| {
            Error::one(Diagnostic::new(
                Stage::Rules,
                format!("the rules file has no [[{key}]] tables"),
            ))
        })?;
    let mut missing: Vec<&str> = new.iter().map(|(id, _)| id.as_str()).collect();
    for t in tables.iter_mut() {
        let Some(id) = t.get("id").and_then(|i| i.as_str()).map(str::to_string) else {
            continue;
        };
        let Some((_, x)) = new.iter().find(|(i, _)| *i == id) else {
            continue;
        };
        missing.retain(|m| *m != id);
        match level {
            Level::Dimensions => {
                if t.contains_key("weight") {
                    set_number(&mut t["weight"], *x);
                } else {
                    t.insert("weight", toml_edit::value(round6(*x)));
                }
            }
            Level::Criteria => {
                let old = t
                    .get("points")
                    .and_then(|i| i.as_value())
                    .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                    .unwrap_or(0.0);
                let factor = if old > 0.0 { x / old } else { 1.0 };
                set_number(&mut t["points"], *x);
                if let Some(bands) = t.get_mut("bands").and_then(|b| b.as_array_mut()) {
                    for b in bands.iter_mut() {
                        if let Some(bt) = b.as_inline_table_mut()
                            && let Some(p) = bt.get_mut("points")
                        {
                            scale_value(p, factor);
                        }
                    }
                }
                if let Some(levels) = t.get_mut("levels") {
                    if let Some(lt) = levels.as_inline_table_mut() {
                        for (_, v) in lt.iter_mut() {
                            scale_value(v, factor);
                        }
                    } else if let Some(lt) = levels.as_table_mut() {
                        for (_, v) in lt.iter_mut() {
                            scale_number(v, factor);
                        }
                    }
                }
                if t.contains_key("points_per_step") {
                    scale_number(&mut t["points_per_step"], factor);
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
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn unknown_ids_are_refused() {
        assert!(write_weights(RULES, Level::Dimensions, &[("digital".into(), 1.0)]).is_err());
    }
}
