//! TOML → [`Rules`]: a walk over toml's spanned document that checks every key, so that each
//! problem is reported with its place in the file, the table and id it belongs to, and a
//! did-you-mean for misspelt keys. All problems are collected in one pass.

use super::*;
use crate::diag::{
    Diagnostic, Error, Result, SourceText, Span, Stage, did_you_mean_help, truncate,
};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

type Value<'a> = Spanned<DeValue<'a>>;

const TOP_KEYS: &[&str] = &[
    "rules",
    "data",
    "aggregate",
    "output",
    "indicator",
    "dimension",
    "criterion",
    "gate",
    "adjustment",
    "tier",
];
const RULES_KEYS: &[&str] = &[
    "name",
    "version",
    "entity",
    "id",
    "label",
    "year",
    "scale",
    "aggregation",
    "missing",
    "decimals",
    "tie_break",
    "clamp",
    "cohort",
    "geometric_floor",
];
/// String keys that name something (an id, a column, a reference, a title): empty is an error.
const NAMING_KEYS: &[&str] = &[
    "id",
    "name",
    "column",
    "indicator",
    "dimension",
    "by",
    "cohort",
    "year_column",
    "sheet",
    "max_tier",
];
const DATA_KEYS: &[&str] = &["year_column", "missing_markers", "sheet", "header_row"];
const AGGREGATE_KEYS: &[&str] = &["by", "label"];
const OUTPUT_KEYS: &[&str] = &["carry"];
const INDICATOR_KEYS: &[&str] = &[
    "id",
    "label",
    "unit",
    "kind",
    "column",
    "formula",
    "aggregate",
    "multiply",
    "direction",
    "missing",
    "levels",
];
const DIMENSION_KEYS: &[&str] = &["id", "label", "weight"];
const CRITERION_KEYS: &[&str] = &[
    "id",
    "label",
    "dimension",
    "indicator",
    "points",
    "method",
    "bands",
    "floor",
    "target",
    "step",
    "points_per_step",
    "levels",
    "transform",
    "missing",
];
const GATE_KEYS: &[&str] = &["id", "label", "require", "effect", "max_tier"];
const ADJUSTMENT_KEYS: &[&str] = &["id", "label", "when", "points"];
const TIER_KEYS: &[&str] = &[
    "id",
    "label",
    "min_score",
    "max_count",
    "top_percent",
    "requires",
    "direct",
];
/// For a key written in the wrong table (`year_column` under `[rules]`, `weight` on a
/// criterion): where it belongs, before any did-you-mean, which would offer a different key.
fn elsewhere_help(key: &str, what: &str) -> Option<String> {
    if key == "points" && what.starts_with("[[dimension]]") {
        return Some(
            "a dimension's share is its weight (weight = 30); points belong to its criteria".into(),
        );
    }
    if key == "weight" && what.starts_with("[[criterion]]") {
        return Some(
            "weights are set on [[dimension]] (weight = 30); a criterion's weight is its points"
                .into(),
        );
    }
    let tables: [(&str, &[&str]); 10] = [
        ("[rules]", RULES_KEYS),
        ("[[adjustment]]", ADJUSTMENT_KEYS),
        ("[data]", DATA_KEYS),
        ("[aggregate]", AGGREGATE_KEYS),
        ("[output]", OUTPUT_KEYS),
        ("[[indicator]]", INDICATOR_KEYS),
        ("[[dimension]]", DIMENSION_KEYS),
        ("[[criterion]]", CRITERION_KEYS),
        ("[[gate]]", GATE_KEYS),
        ("[[tier]]", TIER_KEYS),
    ];
    let homes: Vec<&str> = tables
        .iter()
        .filter(|(name, keys)| keys.contains(&key) && !what.starts_with(name))
        .map(|(name, _)| *name)
        .collect();
    // Keys most tables have (id, label) say nothing about where a key belongs, nor do the
    // keys of a category table (`by`, `default`).
    if homes.is_empty() || homes.len() > 2 || matches!(key, "by" | "default") {
        return None;
    }
    if homes.len() == 2 {
        return Some(format!(
            "'{key}' belongs in a {} or {} table, not in {what}",
            homes[0], homes[1]
        ));
    }
    let table = homes[0];
    Some(if table.starts_with("[[") {
        format!("'{key}' belongs in a {table} table, not in {what}: move it there")
    } else {
        format!("'{key}' belongs in {table}, not in {what}: move it under a {table} header")
    })
}

const METHODS: &[&str] = &[
    "bands",
    "linear",
    "target",
    "minmax",
    "zscore",
    "percentile",
    "flag",
    "levels",
    "per",
    "direct",
];
const METHOD_PARAMS: &[&str] = &[
    "bands",
    "floor",
    "target",
    "step",
    "points_per_step",
    "levels",
];

/// Parses a rules file into [`Rules`], reporting every problem found.
pub fn parse_rules(source: SourceText) -> Result<Rules> {
    let doc = match DeTable::parse(&source.text) {
        Ok(doc) => doc,
        Err(e) => {
            // `[indicator]` where several are meant: TOML reports a duplicate key further on;
            // the table header written with single brackets is the thing to fix.
            if let Some(span) = single_bracket_array_table(&source.text) {
                let name = source.text[span.start..span.end]
                    .trim_matches(['[', ']'])
                    .to_string();
                return Err(Error::one(
                    Diagnostic::new(
                        Stage::Rules,
                        format!("[{name}] is written with single brackets; each {name} is one table of an array"),
                    )
                    .with_help(format!("write [[{name}]] for every {name}"))
                    .in_source(&source, span),
                ));
            }
            // `[tier.national]` before a `[[tier]]`: the dotted header made `tier` a table,
            // and TOML reports the `[[tier]]` after it as a duplicate key.
            if let Some((span, name, sub, later)) = e
                .span()
                .filter(|_| e.message().contains("duplicate key"))
                .and_then(|at| dotted_array_table(&source.text, at.start))
            {
                let (line, _) = source.line_col(later.start);
                let header = &source.text[span.start..span.end];
                return Err(Error::one(
                    Diagnostic::new(
                        Stage::Rules,
                        format!(
                            "{header} makes '{name}' a table, so the [[{name}]] at line {line} \
                             cannot add to it: each {name} is one table of an array"
                        ),
                    )
                    .with_help(format!(
                        "write [[{name}]] with id = \"{}\" on the next line",
                        truncate(&sub, 60)
                    ))
                    .in_source(&source, span),
                ));
            }
            return Err(Error::one(super::syntax::toml_error(&source, &e)));
        }
    };
    let mut cx = Cx {
        source: &source,
        errors: Vec::new(),
    };
    let rules = cx.document(doc.get_ref(), doc.span().into());
    if cx.errors.is_empty() {
        let mut rules = rules.expect("rules built when no error");
        rules.source = source.clone();
        Ok(rules)
    } else {
        Err(Error::many(cx.errors))
    }
}

/// The tables of arrays a rules file holds (`[[indicator]]` …): the top-level keys after
/// the four single tables.
const ARRAYS: &[&str] = TOP_KEYS.split_at(4).1;

/// A table header line of the raw text: its span, whether it has double brackets, and
/// the text between the brackets. Read line by line before (or without) TOML parsing, to
/// name header mistakes at their own line.
struct Header<'t> {
    span: Span,
    double: bool,
    head: &'t str,
}

/// Every line that starts (after a byte-order mark and blanks) like a table header, outside
/// multi-line strings (`"""` or `'''`, told by counting the delimiters on each line).
fn headers(text: &str) -> impl Iterator<Item = Header<'_>> {
    let mut offset = 0;
    let mut open: Option<&str> = None;
    text.split_inclusive('\n').filter_map(move |line| {
        let trimmed = line.trim_start_matches('\u{feff}').trim_start();
        let start = offset + (line.len() - trimmed.len());
        offset += line.len();
        if let Some(d) = open {
            if line.matches(d).count() % 2 == 1 {
                open = None;
            }
            return None;
        }
        let code = if trimmed.starts_with('#') { "" } else { line };
        if let Some(d) = ["\"\"\"", "'''"]
            .into_iter()
            .find(|d| code.matches(d).count() % 2 == 1)
        {
            open = Some(d);
            return None;
        }
        let (double, inner) = match trimmed.strip_prefix("[[") {
            Some(rest) => (true, rest),
            None => (false, trimmed.strip_prefix('[')?),
        };
        let close = inner.find(']')?;
        let end = start + close + if double { 4 } else { 2 };
        Some(Header {
            span: Span { start, end },
            double,
            head: &inner[..close],
        })
    })
}

/// The header `[tier.x]` or `[[tier.x]]` (of any table of arrays) written before any
/// `[[tier]]`, when the `[[tier]]` after it is where TOML reported a duplicate key (at byte
/// `reported`): the dotted header's span, the array's name, the part after the dot, and the
/// later header's span. (After a `[[tier]]`, `[[tier.bands]]`-style headers are tables of
/// that tier, valid TOML, and not looked at here.)
fn dotted_array_table(text: &str, reported: usize) -> Option<(Span, &'static str, String, Span)> {
    let mut dotted: Vec<(Span, &'static str, String)> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for h in headers(text) {
        match h.head.split_once('.') {
            Some((base, sub)) => {
                if let Some(name) = ARRAYS.iter().find(|n| base.trim() == **n)
                    && !seen.contains(name)
                {
                    let sub = sub.trim().trim_matches(['"', '\'']).to_string();
                    dotted.push((h.span, name, sub));
                }
            }
            None if h.double => {
                if let Some((span, name, sub)) = dotted.iter().find(|d| h.head.trim() == d.1)
                    && (h.span.start..h.span.end).contains(&reported)
                {
                    return Some((*span, name, sub.clone(), h.span));
                }
                if let Some(name) = ARRAYS.iter().find(|n| h.head.trim() == **n) {
                    seen.push(name);
                }
            }
            None => {}
        }
    }
    None
}

/// The span of a line `[indicator]` (or dimension, criterion, gate, adjustment, tier) with
/// single brackets, in a file that has that table more than once.
fn single_bracket_array_table(text: &str) -> Option<Span> {
    // Each header naming one of them: its span, name, and whether it has one bracket.
    let named: Vec<(Span, &str, bool)> = headers(text)
        .filter_map(|h| {
            let name = ARRAYS.iter().find(|n| h.head.trim() == **n)?;
            Some((h.span, *name, !h.double))
        })
        .collect();
    let &(span, name, _) = named.iter().find(|h| h.2)?;
    (named.iter().filter(|h| h.1 == name).count() > 1).then_some(span)
}

struct Cx<'s> {
    source: &'s SourceText,
    errors: Vec<Diagnostic>,
}

/// One TOML table being read: tracks which keys were taken, to report the rest as unknown.
struct Table<'a, 'i> {
    map: &'a DeTable<'i>,
    span: Span,
    /// How the table is named in messages: `[[criterion]] "rd"`.
    what: String,
    allowed: &'static [&'static str],
}

impl<'s> Cx<'s> {
    fn error(&mut self, span: Span, msg: impl Into<String>, help: Option<String>) {
        self.errors.push(
            Diagnostic::new(Stage::Rules, msg)
                .in_source(self.source, span)
                .with_help_opt(help),
        );
    }

    fn document(&mut self, doc: &DeTable<'_>, span: Span) -> Option<Rules> {
        let top = Table {
            map: doc,
            span,
            what: "the rules file".into(),
            allowed: TOP_KEYS,
        };
        // An AHP pairwise-matrix file given as the rules (`weights --rules m.toml`).
        if doc.get("rules").is_none()
            && let Some((key, _)) = doc
                .iter()
                .find(|(k, _)| matches!(k.get_ref().as_ref(), "matrix" | "expert"))
        {
            self.error(
                key.span().into(),
                "this is an AHP pairwise-matrix file, not a rules file",
                Some("give it with `clusterscore weights --ahp`; --rules takes a rules file with [rules], [[indicator]], [[criterion]] …".into()),
            );
            return None;
        }
        // Keys of [rules] written above every table: the header line is missing. One error
        // says so, instead of one per key and "missing table [rules]" last.
        let headless: Vec<(String, Span)> = doc
            .iter()
            .filter(|(k, _)| RULES_KEYS.contains(&k.get_ref().as_ref()))
            .map(|(k, _)| (k.get_ref().to_string(), Span::from(k.span())))
            .collect();
        if doc.get("rules").is_none() && !headless.is_empty() {
            let first = headless.iter().map(|(_, s)| *s).min_by_key(|s| s.start);
            let first = first.unwrap_or_default();
            let (line, _) = self.source.line_col(first.start);
            self.error(
                first,
                format!(
                    "the [rules] header is missing: {} {} above every table",
                    headless
                        .iter()
                        .map(|(k, _)| format!("'{k}'"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if headless.len() > 1 {
                        "stand"
                    } else {
                        "stands"
                    }
                ),
                Some(format!("add a line [rules] above line {line}")),
            );
            let rest: Vec<_> = doc
                .iter()
                .filter(|(k, _)| !headless.iter().any(|(h, _)| h == k.get_ref().as_ref()))
                .collect();
            for (k, _) in rest {
                let key = k.get_ref().as_ref();
                if !TOP_KEYS.contains(&key) {
                    self.error(
                        k.span().into(),
                        format!("unknown key '{key}' in the rules file"),
                        Some(format!("allowed keys here: {}", TOP_KEYS.join(", "))),
                    );
                }
            }
            return None;
        }
        self.unknown_keys(&top);
        let rules_table = match doc.get("rules") {
            Some(v) => self.as_table(v, "[rules]", RULES_KEYS),
            None => {
                self.error(
                    Span::new(0, 0),
                    "missing table [rules]",
                    Some("start the file with [rules] holding at least `name` and `id`".into()),
                );
                None
            }
        };
        let settings = rules_table.as_ref().map(|t| self.settings(t));
        let data = match doc.get("data") {
            Some(v) => self
                .as_table(v, "[data]", DATA_KEYS)
                .map(|t| self.data(&t))
                .unwrap_or_default(),
            None => DataSettings {
                header_row: 1,
                ..Default::default()
            },
        };
        // A year to score needs the column that says each row's year (SPEC §3): known
        // without any data, so `check` reports it too.
        if let (Some(year), None) = (
            rules_table.as_ref().and_then(|t| self.get(t, "year")),
            &data.year_column,
        ) {
            self.error(
                year.span().into(),
                "'year' in [rules] selects a year, but [data] names no year_column",
                Some(
                    "add [data] with year_column = \"<the column holding each row's year>\", \
                     or remove 'year' (a file with one row per entity has no year to select)"
                        .into(),
                ),
            );
        }
        let aggregate = doc
            .get("aggregate")
            .and_then(|v| self.as_table(v, "[aggregate]", AGGREGATE_KEYS))
            .and_then(|t| self.aggregate(&t));
        let output = doc
            .get("output")
            .and_then(|v| self.as_table(v, "[output]", OUTPUT_KEYS))
            .map(|t| OutputSettings {
                carry: self.string_list(&t, "carry").unwrap_or_default(),
            })
            .unwrap_or_default();
        let indicators = self.array_of(doc, "indicator", INDICATOR_KEYS, Self::indicator);
        let dimensions = self.array_of(doc, "dimension", DIMENSION_KEYS, Self::dimension);
        let criteria = self.array_of(doc, "criterion", CRITERION_KEYS, Self::criterion);
        let gates = self.array_of(doc, "gate", GATE_KEYS, Self::gate);
        let adjustments = self.array_of(doc, "adjustment", ADJUSTMENT_KEYS, Self::adjustment);
        let tiers = self.array_of(doc, "tier", TIER_KEYS, Self::tier);
        Some(Rules {
            source: SourceText::new("", ""),
            settings: settings??,
            data,
            aggregate,
            output,
            indicators,
            dimensions,
            criteria,
            gates,
            adjustments,
            tiers,
        })
    }

    fn as_table<'a, 'i>(
        &mut self,
        v: &'a Value<'i>,
        what: &str,
        allowed: &'static [&'static str],
    ) -> Option<Table<'a, 'i>> {
        match v.get_ref() {
            DeValue::Table(map) => {
                let t = Table {
                    map,
                    span: v.span().into(),
                    what: what.to_string(),
                    allowed,
                };
                self.unknown_keys(&t);
                Some(t)
            }
            other => {
                self.error(
                    v.span().into(),
                    format!("{what} must be a table, found {}", other.type_str()),
                    None,
                );
                None
            }
        }
    }

    fn unknown_keys(&mut self, t: &Table<'_, '_>) {
        for (k, v) in t.map.iter() {
            let key = k.get_ref().as_ref();
            if !t.allowed.contains(&key) {
                // `[tier.national]` after a `[[tier]]`: a table inside that tier.
                let span: Span = k.span().into();
                let text = &self.source.text;
                let line = &text[text[..span.start].rfind('\n').map_or(0, |i| i + 1)..span.start];
                // (Single brackets only: `[[criterion.band]]` is a typo of `bands`, which the
                // did-you-mean below names; a key that belongs in another table, `[tier.bands]`,
                // keeps the help that says where.)
                let dotted = line
                    .trim_start()
                    .strip_prefix('[')
                    .filter(|rest| !rest.starts_with('['))
                    .and_then(|rest| rest.trim_end().strip_suffix('.'))
                    .map(str::trim)
                    .filter(|base| ARRAYS.contains(base))
                    .filter(|_| {
                        elsewhere_help(key, &t.what).is_none()
                            && did_you_mean_help(key, t.allowed.iter().copied()).is_none()
                    });
                if let Some(base) = dotted {
                    self.error(
                        span,
                        format!(
                            "[{base}.{key}] is read as a table inside {}, the {base} above it",
                            t.what
                        ),
                        Some(format!(
                            "for another {base}, write [[{base}]] with id = \"{}\" on the next line",
                            truncate(key, 60)
                        )),
                    );
                    continue;
                }
                // A key of this table in the other number (`require` in a tier, whose key
                // is `requires`), or a table written under a near miss of a table's name
                // (`[aggregation]` for `[aggregate]`: a table is no setting to move), is
                // meant here, before "it belongs in another table".
                let number = t
                    .allowed
                    .iter()
                    .find(|a| format!("{a}s") == key || format!("{key}s") == **a)
                    .map(|a| format!("did you mean '{a}'?"));
                let table_name = matches!(v.get_ref(), DeValue::Table(_))
                    .then(|| did_you_mean_help(key, t.allowed.iter().copied()))
                    .flatten();
                // `indicator = [{ … }, …]` under a table's header: a list of such tables,
                // read as a key of this table.
                let list_of_tables = (ARRAYS.contains(&key)
                    && matches!(v.get_ref(), DeValue::Array(items)
                        if items.iter().all(|x| matches!(x.get_ref(), DeValue::Table(_)))))
                .then(|| {
                    format!(
                        "a list of {key} tables belongs at the top of the file, before the \
                         first [header], or as [[{key}]] tables; here it is read as a key of {}",
                        t.what
                    )
                });
                let help = list_of_tables
                    .or(number)
                    .or(table_name)
                    .or_else(|| elsewhere_help(key, &t.what))
                    .or_else(|| did_you_mean_help(key, t.allowed.iter().copied()))
                    .or_else(|| Some(format!("allowed keys here: {}", t.allowed.join(", "))));
                self.error(
                    k.span().into(),
                    format!("unknown key '{key}' in {}", t.what),
                    help,
                );
            }
        }
    }

    fn array_of<T>(
        &mut self,
        doc: &DeTable<'_>,
        name: &str,
        allowed: &'static [&'static str],
        read: fn(&mut Self, &Table<'_, '_>) -> Option<T>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        let Some(v) = doc.get(name) else {
            return out;
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span().into(),
                format!("'{name}' must be an array of tables, written [[{name}]]"),
                None,
            );
            return out;
        };
        for (i, item) in items.iter().enumerate() {
            // A header line too many (`[[criterion]]` / `id = "x"` / `[[criterion]]` / the
            // rest): the first table holds only its id, the next has no id. Said first, as
            // the missing keys of both follow from it.
            if let (DeValue::Table(map), Some(next)) = (item.get_ref(), items.get(i + 1))
                && let DeValue::Table(next_map) = next.get_ref()
                && let Some(id) = map.get("id").and_then(|v| v.get_ref().as_str())
                && map
                    .keys()
                    .all(|k| matches!(k.get_ref().as_ref(), "id" | "label"))
                && !next_map.is_empty()
                && !next_map.contains_key("id")
                // (Both with a label: two tables, the second missing its id, not one split.)
                && !(map.contains_key("label") && next_map.contains_key("label"))
            {
                self.error(
                    next.span().into(),
                    format!(
                        "[[{name}]] #{} has no id, and [[{name}]] '{id}' just before it holds \
                         nothing but its id and label: one [[{name}]] line too many splits \
                         '{id}' in two?",
                        i + 2
                    ),
                    Some(format!(
                        "delete this [[{name}]] line, so that the keys below it belong to \
                         '{id}'"
                    )),
                );
            }
            let what = match item.get_ref() {
                DeValue::Table(map) => match map.get("id").and_then(|v| v.get_ref().as_str()) {
                    Some(id) if !id.trim().is_empty() => format!("[[{name}]] '{id}'"),
                    _ => format!("[[{name}]] #{}", i + 1),
                },
                _ => format!("[[{name}]] #{}", i + 1),
            };
            if let Some(t) = self.as_table(item, &what, allowed)
                && let Some(x) = read(self, &t)
            {
                out.push(x);
            }
        }
        out
    }

    // ------------------------------------------------------------------ key readers

    fn missing_key(&mut self, t: &Table<'_, '_>, key: &str, hint: &str) {
        let span = Span::new(
            t.span.start,
            t.span.start.max(t.span.end.min(t.span.start + 1)),
        );
        self.error(
            span,
            format!("{} is missing the key '{key}'", t.what),
            Some(hint.to_string()),
        );
    }

    fn get<'a, 'i>(&self, t: &Table<'a, 'i>, key: &str) -> Option<&'a Value<'i>> {
        t.map.get(key)
    }

    fn string(&mut self, t: &Table<'_, '_>, key: &str) -> Option<Sp<String>> {
        let v = self.get(t, key)?;
        match v.get_ref().as_str() {
            // An id, name or column of nothing cannot be meant (they failed later, or showed
            // a blank title); labels, units and versions may be empty.
            // (`label` names a column in [rules] and [aggregate]; elsewhere it is free text.)
            Some(s)
                if s.trim().is_empty()
                    && (NAMING_KEYS.contains(&key)
                        || (key == "label"
                            && matches!(t.what.as_str(), "[rules]" | "[aggregate]"))) =>
            {
                self.error(
                    v.span().into(),
                    format!("'{key}' in {} is empty", t.what),
                    // (`id`, `name`, a criterion's `indicator` and `dimension`, `[aggregate]`'s
                    // `by` are required; a `max_tier` written says the gate caps.)
                    Some(
                        if matches!(
                            key,
                            "id" | "name" | "indicator" | "dimension" | "by" | "max_tier"
                        ) {
                            format!("give {key} a value: it is required")
                        } else {
                            format!("give {key} a value, or leave the key out")
                        },
                    ),
                );
                None
            }
            Some(s) => Some(Sp::new(s.to_string(), v.span().into())),
            None => {
                self.error(
                    v.span().into(),
                    format!(
                        "'{key}' in {} must be a string, found {}",
                        t.what,
                        v.get_ref().type_str()
                    ),
                    Some(format!("write it in quotes: {key} = \"…\"")),
                );
                None
            }
        }
    }

    fn req_string(&mut self, t: &Table<'_, '_>, key: &str, hint: &str) -> Option<Sp<String>> {
        if self.get(t, key).is_none() {
            self.missing_key(t, key, hint);
            return None;
        }
        self.string(t, key)
    }

    fn number(&mut self, t: &Table<'_, '_>, key: &str) -> Option<Sp<f64>> {
        let v = self.get(t, key)?;
        match number_of(v.get_ref()) {
            Some(x) if usable(x) => Some(Sp::new(x, v.span().into())),
            Some(x) if x.is_finite() => {
                self.error(
                    v.span().into(),
                    format!(
                        "'{key}' in {} is {x:e}, beyond the largest number a rules file may hold (1e100)",
                        t.what
                    ),
                    Some("write a number of at most 1e100".into()),
                );
                None
            }
            _ if let Some((is, help)) = literal_limit(v.get_ref()) => {
                self.error(
                    v.span().into(),
                    format!("'{key}' in {} {is}", t.what),
                    Some(help),
                );
                None
            }
            _ => {
                self.error(
                    v.span().into(),
                    format!(
                        "'{key}' in {} must be a finite number, found {}",
                        t.what,
                        describe(v.get_ref())
                    ),
                    quoted_number_help(v.get_ref(), key)
                        .or_else(|| no_table_here(v.get_ref(), key))
                        .or_else(|| {
                            Some(match v.get_ref() {
                                DeValue::Boolean(_) => format!(
                                    "true and false are yes/no values, not numbers: write the number meant, as {key} = 10"
                                ),
                                DeValue::String(_) => format!("write the number meant, in digits without quotes, as {key} = 10"),
                                _ => format!("write one number, as {key} = 10"),
                            })
                        }),
                );
                None
            }
        }
    }

    fn integer(&mut self, t: &Table<'_, '_>, key: &str, lo: i64, hi: i64) -> Option<Sp<i64>> {
        let v = self.get(t, key)?;
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        match n {
            Some(n) if (lo..=hi).contains(&n) => Some(Sp::new(n, v.span().into())),
            _ => {
                // i64::MAX stands for "no upper bound": not a number to show a user.
                let range = if hi == i64::MAX {
                    format!("a whole number from {lo} up")
                } else {
                    format!("a whole number from {lo} to {hi}")
                };
                self.error(
                    v.span().into(),
                    format!(
                        "'{key}' in {} must be {range}, found {}",
                        t.what,
                        describe(v.get_ref())
                    ),
                    quoted_number_help(v.get_ref(), key)
                        .or_else(|| no_table_here(v.get_ref(), key))
                        .or_else(|| {
                            // `2.0`: a float in TOML, whole or not (trace audit F1).
                            let DeValue::Float(f) = v.get_ref() else {
                                return None;
                            };
                            let x: f64 = f.as_str().replace('_', "").parse().ok()?;
                            if x.is_finite() && x.fract() == 0.0 && x > hi as f64 {
                                // `max_count = 1e20`: whole, but past any whole number TOML holds.
                                let bound = if hi == i64::MAX {
                                    "larger than any whole number a rules file holds".to_string()
                                } else {
                                    format!("above {hi}")
                                };
                                let fix = if key == "max_count" {
                                    "; for no quota leave max_count out"
                                } else {
                                    ""
                                };
                                return Some(format!("{f} is {bound}{fix}"));
                            }
                            (x.fract() == 0.0 && (lo as f64..=hi as f64).contains(&x)).then(|| {
                                format!("write it without the decimal point: {key} = {}", x as i64)
                            })
                        }),
                );
                None
            }
        }
    }

    fn string_list(&mut self, t: &Table<'_, '_>, key: &str) -> Option<Vec<Sp<String>>> {
        let v = self.get(t, key)?;
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span().into(),
                format!("'{key}' in {} must be a list of strings", t.what),
                Some(format!("write it as {key} = [\"…\", \"…\"]")),
            );
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            match item.get_ref().as_str() {
                Some(s) => out.push(Sp::new(s.to_string(), item.span().into())),
                None => {
                    self.error(
                        item.span().into(),
                        format!(
                            "'{key}' in {} must hold only strings, found {}",
                            t.what,
                            describe(item.get_ref())
                        ),
                        None,
                    );
                    return None;
                }
            }
        }
        // Lists of names: each once, none empty; an indicator's levels need at least one.
        if matches!(key, "tie_break" | "levels" | "carry") {
            if key == "levels" && out.is_empty() {
                self.error(
                    v.span().into(),
                    format!("'levels' in {} is empty", t.what),
                    Some(
                        "list the category's allowed values, or leave the key out to allow any"
                            .into(),
                    ),
                );
                return None;
            }
            let mut seen: std::collections::HashSet<&str> =
                std::collections::HashSet::with_capacity(out.len());
            for item in &out {
                if item.value.trim().is_empty() {
                    self.error(
                        item.span,
                        format!("'{key}' in {} holds an empty name", t.what),
                        None,
                    );
                    return None;
                }
                if !seen.insert(item.value.as_str()) {
                    self.error(
                        item.span,
                        format!(
                            "'{key}' in {} lists '{}' twice",
                            t.what,
                            crate::diag::truncate(&item.value, 200)
                        ),
                        Some("list each name once".into()),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn choice<T: Copy>(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        options: &[(&str, T)],
    ) -> Option<Sp<T>> {
        let s = self.string(t, key)?;
        match options.iter().find(|(name, _)| *name == s.value) {
            Some((_, v)) => Some(Sp::new(*v, s.span)),
            None => {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                let help = did_you_mean_help(&s.value, names.iter().copied())
                    .unwrap_or_else(|| format!("use one of: {}", names.join(", ")));
                self.error(
                    s.span,
                    format!(
                        "'{key}' in {} cannot be '{}'",
                        t.what,
                        crate::diag::truncate(&s.value, 200)
                    ),
                    Some(help),
                );
                None
            }
        }
    }

    fn id(&mut self, t: &Table<'_, '_>) -> Option<Sp<String>> {
        let id = self.req_string(t, "id", "every table needs an id: id = \"my_id\"")?;
        if !valid_id(&id.value) {
            self.error(
                id.span,
                format!(
                    "invalid id '{}' in {}",
                    crate::diag::truncate(&id.value, 200),
                    t.what
                ),
                Some(id_help(&id.value)),
            );
            return None;
        }
        Some(id)
    }

    fn missing_policy(&mut self, t: &Table<'_, '_>) -> Option<MissingPolicy> {
        self.choice(
            t,
            "missing",
            &[
                ("zero", MissingPolicy::Zero),
                ("exclude", MissingPolicy::Exclude),
                ("mean", MissingPolicy::Mean),
                ("median", MissingPolicy::Median),
                ("fail", MissingPolicy::Fail),
            ],
        )
        .map(|s| s.value)
    }

    /// A number or a `{ by, values, default }` table.
    fn param_value(&mut self, v: &Value<'_>, key: &str, what: &str) -> Option<Param> {
        if let Some(x) = number_of(v.get_ref())
            && x.is_finite()
        {
            if !usable(x) {
                self.error(
                    v.span().into(),
                    format!(
                        "'{key}' of {what} is {x:e}, beyond the largest number a rules file may hold (1e100)"
                    ),
                    Some("write a number of at most 1e100".into()),
                );
                return None;
            }
            return Some(Param::Fixed(x));
        }
        if let DeValue::Table(map) = v.get_ref() {
            let t = Table {
                map,
                span: v.span().into(),
                what: format!("'{key}' of {what}"),
                allowed: &["by", "values", "default"],
            };
            self.unknown_keys(&t);
            let by = self.req_string(&t, "by", "name the category indicator: by = \"region\"");
            let default = self.number(&t, "default").map(|d| d.value);
            let values = match self.get(&t, "values") {
                Some(vv) => match vv.get_ref() {
                    DeValue::Table(vals) => {
                        let mut out = Vec::new();
                        for (k, x) in vals.iter() {
                            match number_of(x.get_ref()) {
                                Some(n) if usable(n) => out.push((k.get_ref().to_string(), n)),
                                _ => self.error(
                                    x.span().into(),
                                    format!(
                                        "value for '{}' in '{key}' of {what} must be a number",
                                        k.get_ref()
                                    ),
                                    None,
                                ),
                            }
                        }
                        if out.is_empty() && default.is_none() && vals.is_empty() {
                            self.error(
                                vv.span().into(),
                                format!(
                                    "'values' in '{key}' of {what} is empty and there is no default: no entity could take a value"
                                ),
                                Some("list the categories, e.g. values = { east = 100, west = 50 }, or give a default".into()),
                            );
                        }
                        Some(out)
                    }
                    _ => {
                        self.error(
                            vv.span().into(),
                            format!("'values' in '{key}' of {what} must be a table"),
                            Some("write values = { east = 100, west = 50 }".into()),
                        );
                        None
                    }
                },
                None => {
                    self.missing_key(&t, "values", "values = { east = 100, west = 50 }");
                    None
                }
            };
            return Some(Param::ByCategory {
                by: by?,
                values: values?,
                default,
            });
        }
        if let Some((is, help)) = literal_limit(v.get_ref()) {
            self.error(
                v.span().into(),
                format!("'{key}' of {what} {is}"),
                Some(help),
            );
            return None;
        }
        self.error(
            v.span().into(),
            format!(
                "'{key}' of {what} must be a {}number or a {{ by, values, default }} table, found {}",
                if number_of(v.get_ref()).is_some() { "finite " } else { "" },
                describe(v.get_ref())
            ),
            quoted_number_help(v.get_ref(), key),
        );
        None
    }

    fn param(&mut self, t: &Table<'_, '_>, key: &str) -> Option<Param> {
        let v = self.get(t, key)?;
        let what = t.what.clone();
        self.param_value(v, key, &what)
    }

    fn req_param(&mut self, t: &Table<'_, '_>, key: &str, hint: &str) -> Option<Param> {
        if self.get(t, key).is_none() {
            self.missing_key(t, key, hint);
            return None;
        }
        self.param(t, key)
    }

    // ------------------------------------------------------------------ tables

    fn settings(&mut self, t: &Table<'_, '_>) -> Option<Settings> {
        let name = self.req_string(t, "name", "name the evaluation: name = \"…\"");
        let id = self.req_string(t, "id", "name the column holding entity ids: id = \"code\"");
        let version = self.string(t, "version").map(|s| s.value);
        let entity = self.string(t, "entity").map(|s| s.value);
        let name_column = self.string(t, "label");
        let year = self.integer(t, "year", 1000, 9999).map(|s| s.value);
        let scale = self.number(t, "scale");
        if let Some(s) = &scale
            && s.value <= 0.0
        {
            self.error(
                s.span,
                format!(
                    "'scale' in [rules] must be greater than 0, found {}",
                    s.value
                ),
                Some("scale is the maximum total score, for example scale = 100".into()),
            );
        }
        let aggregation = self
            .choice(
                t,
                "aggregation",
                &[
                    ("additive", Aggregation::Additive),
                    ("geometric", Aggregation::Geometric),
                    ("topsis", Aggregation::Topsis),
                ],
            )
            .map_or(Aggregation::Additive, |s| s.value);
        let missing = self.missing_policy(t).unwrap_or(MissingPolicy::Zero);
        let decimals = self
            .integer(t, "decimals", 0, 10)
            .map_or(2, |d| d.value as u32);
        let tie_break = self.string_list(t, "tie_break").unwrap_or_default();
        let clamp = self.clamp(t);
        let cohort = self.string(t, "cohort");
        let geometric_floor = match self.number(t, "geometric_floor") {
            Some(f) if f.value > 0.0 && f.value <= 1.0 => f.value,
            Some(f) => {
                self.error(
                    f.span,
                    format!(
                        "'geometric_floor' in [rules] must be in (0, 1], found {}",
                        f.value
                    ),
                    None,
                );
                super::DEFAULT_GEOMETRIC_FLOOR
            }
            None => super::DEFAULT_GEOMETRIC_FLOOR,
        };
        Some(Settings {
            name: name?.value,
            version,
            entity,
            id: id?,
            name_column,
            year,
            scale: scale.map(|s| s.value),
            aggregation,
            missing,
            decimals,
            tie_break,
            clamp,
            cohort,
            geometric_floor,
        })
    }

    fn clamp(&mut self, t: &Table<'_, '_>) -> Option<(f64, f64)> {
        let v = self.get(t, "clamp")?;
        let pair = match v.get_ref() {
            DeValue::Array(items) if items.len() == 2 => {
                match (number_of(items[0].get_ref()), number_of(items[1].get_ref())) {
                    (Some(a), Some(b)) if usable(a) && usable(b) => Some((a, b)),
                    _ => None,
                }
            }
            _ => None,
        };
        match pair {
            Some((lo, hi)) if lo <= hi => Some((lo, hi)),
            Some((lo, hi)) => {
                self.error(
                    v.span().into(),
                    format!("'clamp' in [rules] needs lo ≤ hi, found [{lo}, {hi}]"),
                    Some(format!("write clamp = [{hi}, {lo}]")),
                );
                None
            }
            None => {
                self.error(
                    v.span().into(),
                    format!(
                        "'clamp' in [rules] must be two finite numbers [lo, hi], found {}",
                        describe(v.get_ref())
                    ),
                    Some("for example clamp = [0, 110]".into()),
                );
                None
            }
        }
    }

    fn data(&mut self, t: &Table<'_, '_>) -> DataSettings {
        DataSettings {
            year_column: self.string(t, "year_column"),
            missing_markers: self
                .string_list(t, "missing_markers")
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.value)
                .collect(),
            sheet: self.string(t, "sheet").map(|s| s.value),
            header_row: self
                .integer(t, "header_row", 1, 1_000_000)
                .map_or(1, |h| h.value as usize),
        }
    }

    fn aggregate(&mut self, t: &Table<'_, '_>) -> Option<AggregateSettings> {
        let by = self.req_string(
            t,
            "by",
            "name the column holding each row's entity: by = \"cluster\"",
        );
        let label = self.string(t, "label");
        Some(AggregateSettings { by: by?, label })
    }

    fn indicator(&mut self, t: &Table<'_, '_>) -> Option<Indicator> {
        let id = self.id(t);
        let label = self.string(t, "label").map(|s| s.value);
        let unit = self.string(t, "unit").map(|s| s.value);
        let kind = self
            .choice(
                t,
                "kind",
                &[
                    ("number", Kind::Number),
                    ("bool", Kind::Bool),
                    ("category", Kind::Category),
                ],
            )
            .map_or(Kind::Number, |k| k.value);
        let column = self.string(t, "column");
        let formula = self.string(t, "formula");
        let aggregate = self.string(t, "aggregate");
        let given: Vec<&Sp<String>> = [&column, &formula, &aggregate]
            .into_iter()
            .flatten()
            .collect();
        if given.len() > 1 {
            self.error(
                given[1].span,
                format!(
                    "{} has more than one of 'column', 'formula' and 'aggregate'",
                    t.what
                ),
                Some("an indicator comes from exactly one source; keep one of them".into()),
            );
        }
        let multiply = self.number(t, "multiply");
        if let Some(m) = &multiply
            && m.value == 0.0
        {
            self.error(
                m.span,
                format!("'multiply' in {} is 0, which makes every value 0", t.what),
                Some("use the unit factor (0.0001 for 万元 → 亿元), or leave it out".into()),
            );
        }
        let direction = self
            .choice(
                t,
                "direction",
                &[("higher", Direction::Higher), ("lower", Direction::Lower)],
            )
            .map_or(Direction::Higher, |d| d.value);
        let missing = self.missing_policy(t);
        let levels = self
            .string_list(t, "levels")
            .map(|l| l.into_iter().map(|s| s.value).collect());
        let id = id?;
        let source = if let Some(f) = formula {
            Source::Formula(f)
        } else if let Some(a) = aggregate {
            Source::Aggregate(a)
        } else if let Some(c) = column {
            Source::Column(c)
        } else {
            Source::Column(id.clone())
        };
        Some(Indicator {
            id,
            label,
            unit,
            kind,
            source,
            multiply,
            direction,
            missing,
            levels,
            span: t.span,
        })
    }

    fn dimension(&mut self, t: &Table<'_, '_>) -> Option<Dimension> {
        let id = self.id(t);
        let label = self.string(t, "label").map(|s| s.value);
        let weight = self.number(t, "weight");
        if let Some(w) = &weight
            && w.value < 0.0
        {
            self.error(
                w.span,
                format!("'weight' in {} must be ≥ 0, found {}", t.what, w.value),
                None,
            );
        }
        Some(Dimension {
            id: id?,
            label,
            weight,
        })
    }

    fn criterion(&mut self, t: &Table<'_, '_>) -> Option<Criterion> {
        let id = self.id(t);
        let label = self.string(t, "label").map(|s| s.value);
        let dimension = self.req_string(t, "dimension", "name the dimension: dimension = \"…\"");
        let indicator = self.req_string(t, "indicator", "name the indicator: indicator = \"…\"");
        let points = if self.get(t, "points").is_none() {
            self.missing_key(t, "points", "give the criterion's maximum: points = 10");
            None
        } else {
            self.number(t, "points")
        };
        if let Some(p) = &points
            && p.value < 0.0
        {
            self.error(
                p.span,
                format!("'points' in {} must be ≥ 0, found {}", t.what, p.value),
                None,
            );
        }
        let transform = self.choice(
            t,
            "transform",
            &[
                ("log10", Transform::Log10),
                ("ln", Transform::Ln),
                ("sqrt", Transform::Sqrt),
            ],
        );
        let missing = self.missing_policy(t);
        let method_name = self.req_string(
            t,
            "method",
            &format!(
                "choose a method: method = \"bands\" (one of {})",
                METHODS.join(", ")
            ),
        );
        let method = method_name
            .as_ref()
            .and_then(|m| self.method(t, m, transform.as_ref()));
        Some(Criterion {
            id: id?,
            label,
            dimension: dimension?,
            indicator: indicator?,
            points: points?,
            method: method?,
            method_span: method_name?.span,
            transform,
            missing,
        })
    }

    fn method(
        &mut self,
        t: &Table<'_, '_>,
        name: &Sp<String>,
        transform: Option<&Sp<Transform>>,
    ) -> Option<Method> {
        let params: &[&str] = match name.value.as_str() {
            "bands" => &["bands"],
            "linear" => &["floor", "target"],
            "target" => &["target"],
            "levels" => &["levels"],
            "per" => &["step", "points_per_step"],
            "minmax" | "zscore" | "percentile" | "flag" | "direct" => &[],
            other => {
                let help = did_you_mean_help(other, METHODS.iter().copied())
                    .unwrap_or_else(|| format!("use one of: {}", METHODS.join(", ")));
                self.error(
                    name.span,
                    format!(
                        "unknown method '{}' in {}",
                        crate::diag::truncate(other, 200),
                        t.what
                    ),
                    Some(help),
                );
                return None;
            }
        };
        for key in METHOD_PARAMS {
            if !params.contains(key)
                && let Some((k, _)) = t.map.get_key_value(*key)
            {
                self.error(
                    k.span().into(),
                    format!(
                        "'{key}' is not a parameter of method '{}' in {}",
                        name.value, t.what
                    ),
                    Some(if params.is_empty() {
                        format!("method '{}' takes no parameters", name.value)
                    } else {
                        format!("method '{}' takes: {}", name.value, params.join(", "))
                    }),
                );
            }
        }
        if let Some(tr) = transform
            && matches!(name.value.as_str(), "flag" | "levels" | "per" | "direct")
        {
            self.error(
                tr.span,
                format!(
                    "'transform' cannot be used with method '{}' in {}",
                    name.value, t.what
                ),
                Some(
                    "transforms apply to bands, linear, target, minmax, zscore and percentile"
                        .into(),
                ),
            );
        }
        let what = t.what.clone();
        match name.value.as_str() {
            "bands" => self.bands(t).map(Method::Bands),
            "linear" => {
                let floor = self.req_param(t, "floor", "0 points at or below: floor = 2");
                let target = self.req_param(t, "target", "full points at or above: target = 5");
                // Compared after the transform, as they are scored (log10 of 100 and of
                // 100.00000000000001 are both 2).
                let tf = transform.map(|t| t.value);
                let scored_as = |x: f64| tf.map_or(Some(x), |t| t.apply(x));
                if let (Some(f), Some(g)) = (&floor, &target)
                    && let Some((case, f, g)) = same_floor_and_target(f, g, &scored_as)
                {
                    let both = match tf {
                        Some(t) if f != g => format!(
                            "{f} and {g} are both {} after {}",
                            scored_as(f).map_or(String::new(), crate::column::format_number),
                            t.name()
                        ),
                        _ => format!("both are {f}"),
                    };
                    let span = t
                        .map
                        .get("target")
                        .map(|v| v.span().into())
                        .unwrap_or(t.span);
                    self.error(
                        span,
                        format!("method 'linear' in {what} needs floor ≠ target, {both}{case}"),
                        Some("floor is where the criterion earns 0, target where it earns full points".into()),
                    );
                }
                // Thresholds are compared with transformed values: each must be inside the
                // transform's domain (checked value by value, pointed at; `target`'s own
                // check, > 0, already covers every transform's).
                if let Some(tf) = tf {
                    let need = match tf {
                        Transform::Sqrt => {
                            "0 or more (transform 'sqrt' is defined from 0 on)".to_string()
                        }
                        other => format!(
                            "greater than 0 (transform '{}' is defined above 0 only)",
                            other.name()
                        ),
                    };
                    for (key, p) in [("floor", &floor), ("target", &target)] {
                        if let Some(p) = p {
                            self.check_param(t, key, p, |x| tf.apply(x).is_some(), &need);
                        }
                    }
                }
                Some(Method::Linear {
                    floor: floor?,
                    target: target?,
                })
            }
            "target" => {
                let target = self.req_param(t, "target", "full points at or above: target = 5")?;
                self.check_param(t, "target", &target, |x| x > 0.0, "greater than 0");
                Some(Method::Target { target })
            }
            "per" => {
                let step = self.req_param(t, "step", "size of one step: step = 2");
                let pps = self.req_param(
                    t,
                    "points_per_step",
                    "points for each full step: points_per_step = 5",
                );
                if let Some(s) = &step {
                    self.check_param(t, "step", s, |x| x > 0.0, "greater than 0");
                }
                if let Some(p) = &pps {
                    self.check_param(t, "points_per_step", p, |x| x >= 0.0, "0 or more");
                }
                Some(Method::Per {
                    step: step?,
                    points_per_step: pps?,
                })
            }
            "levels" => self.levels(t).map(Method::Levels),
            "minmax" => Some(Method::MinMax),
            "zscore" => Some(Method::ZScore),
            "percentile" => Some(Method::Percentile),
            "flag" => Some(Method::Flag),
            "direct" => Some(Method::Direct),
            _ => None,
        }
    }

    fn check_param(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        p: &Param,
        ok: impl Fn(f64) -> bool,
        need: &str,
    ) {
        // Each value with where it is written: a category table's values one by one, named
        // and pointed at (SPEC §12: checked value by value).
        let written = t.map.get(key);
        let inner = |name: &str| match written.map(|w| w.get_ref()) {
            Some(DeValue::Table(m)) => m.get(name),
            _ => None,
        };
        let cases: Vec<(f64, String, Option<Span>)> = match p {
            Param::Fixed(v) => vec![(*v, String::new(), written.map(|w| w.span().into()))],
            Param::ByCategory {
                values, default, ..
            } => {
                let listed = |k: &str| match inner("values").map(|v| v.get_ref()) {
                    Some(DeValue::Table(m)) => m.get(k).map(|v| v.span().into()),
                    _ => None,
                };
                (values.iter())
                    .map(|(k, v)| (*v, format!(" for category '{k}'"), listed(k)))
                    .chain(default.map(|d| {
                        let at = inner("default").map(|v| v.span().into());
                        (d, " for the default".to_string(), at)
                    }))
                    .collect()
            }
        };
        for (v, which, at) in cases {
            if !ok(v) {
                let span = at
                    .or_else(|| written.map(|w| w.span().into()))
                    .unwrap_or(t.span);
                self.error(
                    span,
                    format!("'{key}' in {} must be {need}, found {v}{which}", t.what),
                    None,
                );
                return;
            }
        }
    }

    fn bands(&mut self, t: &Table<'_, '_>) -> Option<Vec<Band>> {
        let Some(v) = self.get(t, "bands") else {
            self.missing_key(
                t,
                "bands",
                "list the bands: bands = [{ at_least = 100, points = 15 }, …]",
            );
            return None;
        };
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span().into(),
                format!("'bands' in {} must be a list of tables", t.what),
                Some(
                    "bands = [{ at_least = 100, points = 15 }, { at_least = 50, points = 10 }]"
                        .into(),
                ),
            );
            return None;
        };
        if items.is_empty() {
            self.error(
                v.span().into(),
                format!("'bands' in {} must hold at least one band", t.what),
                Some("bands = [{ at_least = 100, points = 15 }]".into()),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(map) = item.get_ref() else {
                self.error(
                    item.span().into(),
                    format!("band {} in {} must be a table", i + 1, t.what),
                    Some("{ at_least = 100, points = 15 }".into()),
                );
                ok = false;
                continue;
            };
            let bt = Table {
                map,
                span: item.span().into(),
                what: format!("band {} of {}", i + 1, t.what),
                allowed: &["at_least", "above", "at_most", "below", "points"],
            };
            self.unknown_keys(&bt);
            let ops: Vec<(BandOp, &str)> = [
                (BandOp::AtLeast, "at_least"),
                (BandOp::Above, "above"),
                (BandOp::AtMost, "at_most"),
                (BandOp::Below, "below"),
            ]
            .into_iter()
            .filter(|(_, k)| map.get(*k).is_some())
            .collect();
            if ops.len() != 1 {
                self.error(
                    bt.span,
                    format!(
                        "{} needs exactly one of at_least, above, at_most, below",
                        bt.what
                    ),
                    Some(
                        "at_least is ≥ (以上), above is >, at_most is ≤ (以下), below is <".into(),
                    ),
                );
                ok = false;
                continue;
            }
            let (op, key) = ops[0];
            let threshold = self.param(&bt, key);
            let points = self.req_param(&bt, "points", "points = 10");
            if let Some(p) = &points {
                self.check_param(&bt, "points", p, |x| x >= 0.0, "0 or more");
            }
            match (threshold, points) {
                (Some(threshold), Some(points)) => out.push(Band {
                    op,
                    threshold,
                    points,
                    span: bt.span,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn levels(&mut self, t: &Table<'_, '_>) -> Option<Vec<(String, Param)>> {
        let Some(v) = self.get(t, "levels") else {
            self.missing_key(
                t,
                "levels",
                "give points per level: levels = { \"三级\" = 15, \"二级\" = 10 }",
            );
            return None;
        };
        let DeValue::Table(map) = v.get_ref() else {
            self.error(
                v.span().into(),
                format!("'levels' in {} must be a table of level = points", t.what),
                Some("levels = { \"三级\" = 15, \"二级\" = 10 }".into()),
            );
            return None;
        };
        if map.is_empty() {
            self.error(
                v.span().into(),
                format!("'levels' in {} must name at least one level", t.what),
                None,
            );
            return None;
        }
        let what = t.what.clone();
        let mut out = Vec::new();
        for (k, x) in map.iter() {
            let key = k.get_ref().to_string();
            let p = self.param_value(x, &format!("levels.{key}"), &what)?;
            if let Some(bad) = p.all_values().into_iter().find(|v| *v < 0.0) {
                self.error(
                    x.span().into(),
                    format!("points of level '{key}' in {what} must be 0 or more, found {bad}"),
                    None,
                );
            }
            out.push((key, p));
        }
        Some(out)
    }

    fn gate(&mut self, t: &Table<'_, '_>) -> Option<Gate> {
        let id = self.id(t);
        let label = self.string(t, "label").map(|s| s.value);
        let require = self.req_string(
            t,
            "require",
            "write the condition to pass: require = \"major_incidents == 0\"",
        );
        let effect = self.string(t, "effect");
        let max_tier = self.string(t, "max_tier");
        let effect = match (effect, max_tier) {
            (Some(e), None) if e.value == "exclude" => GateEffect::Exclude,
            (None, None) => GateEffect::Exclude,
            (None, Some(m)) => GateEffect::MaxTier(m),
            (Some(e), Some(m)) if e.value == "max_tier" || e.value == "cap" => {
                GateEffect::MaxTier(m)
            }
            (Some(e), Some(_)) if e.value == "exclude" => {
                self.error(
                    e.span,
                    format!(
                        "'effect' in {} is \"exclude\" but the gate also has max_tier: a gate \
                         either excludes or caps the tier",
                        t.what
                    ),
                    Some(
                        "to cap the tier, remove this effect line (or write effect = \"cap\"); \
                         to exclude, remove max_tier"
                            .into(),
                    ),
                );
                return None;
            }
            (Some(e), None) if e.value == "max_tier" || e.value == "cap" => {
                self.error(
                    e.span,
                    format!(
                        "'effect' in {} is \"{}\" but the gate has no max_tier: a capping gate \
                         needs the highest tier it allows",
                        t.what, e.value
                    ),
                    Some("add max_tier = \"<tier id>\" to the gate".into()),
                );
                return None;
            }
            (Some(e), _) => {
                self.error(
                    e.span,
                    format!(
                        "'effect' in {} cannot be '{}'",
                        t.what,
                        crate::diag::truncate(&e.value, 200)
                    ),
                    Some(format!(
                        "{}a gate excludes (effect = \"exclude\", the default) or caps the tier with max_tier = \"<tier id>\" and no effect",
                        crate::diag::did_you_mean(&e.value, ["exclude", "cap", "max_tier"].into_iter())
                            .map_or(String::new(), |c| format!("did you mean '{c}'? "))
                    )),
                );
                return None;
            }
        };
        Some(Gate {
            id: id?,
            label,
            require: require?,
            effect,
        })
    }

    fn adjustment(&mut self, t: &Table<'_, '_>) -> Option<Adjustment> {
        let id = self.id(t);
        let label = self.string(t, "label").map(|s| s.value);
        let when = self.req_string(t, "when", "write the condition: when = \"national_level\"");
        let points = if self.get(t, "points").is_none() {
            self.missing_key(t, "points", "points = 5 (negative for a penalty)");
            None
        } else {
            self.number(t, "points")
        };
        Some(Adjustment {
            id: id?,
            label,
            when: when?,
            points: points?.value,
        })
    }

    fn tier(&mut self, t: &Table<'_, '_>) -> Option<Tier> {
        let id = self.id(t);
        let label = self.string(t, "label").map(|s| s.value);
        let min_score = self.param(t, "min_score");
        let max_count = self
            .integer(t, "max_count", 0, i64::MAX)
            .map(|m| m.value as u64);
        let top_percent = self.number(t, "top_percent");
        if let Some(p) = &top_percent
            && !(p.value > 0.0 && p.value <= 100.0)
        {
            self.error(
                p.span,
                format!(
                    "'top_percent' in {} must be greater than 0 and at most 100, found {}",
                    t.what, p.value
                ),
                None,
            );
        }
        let requires = self.string_list(t, "requires").unwrap_or_default();
        let direct = self.string_list(t, "direct").unwrap_or_default();
        Some(Tier {
            id: id?,
            label,
            min_score,
            max_count,
            top_percent: top_percent.map(|p| p.value),
            requires,
            direct,
        })
    }
}

/// The largest magnitude a number in a rules file may have: far beyond any evaluation's
/// numbers, and far enough below the largest double that sums and products of points,
/// weights and factors stay finite (two criteria of 1e308 points made every score NaN).
const LARGEST: f64 = 1e100;

/// Whether a number read from a rules file is usable: finite and at most [`LARGEST`].
fn usable(x: f64) -> bool {
    x.is_finite() && x.abs() <= LARGEST
}

fn number_of(v: &DeValue<'_>) -> Option<f64> {
    match v {
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .map(|n| n as f64),
        DeValue::Float(f) => {
            let s = f.as_str().replace('_', "");
            match s.as_str() {
                "inf" | "+inf" | "-inf" | "nan" | "+nan" | "-nan" => Some(f64::NAN),
                // Nearer zero than any f64 (`1e-400`): not silently 0.
                _ if underflows(&s) => Some(f64::NAN),
                _ => s.parse().ok(),
            }
        }
        _ => None,
    }
}

/// Whether a float literal reads as 0 though its digits are not all zero (`1e-400`), as
/// the data reader judges a cell.
fn underflows(literal: &str) -> bool {
    literal
        .parse::<f64>()
        .is_ok_and(|x| crate::data::cell::underflows(literal, x))
}

/// A number literal past what TOML or a float holds: a whole number beyond 64 bits, a
/// decimal nearer zero than any float. What it is, and the help.
fn literal_limit(v: &DeValue<'_>) -> Option<(String, String)> {
    match v {
        DeValue::Integer(i) if i64::from_str_radix(i.as_str(), i.radix()).is_err() => Some((
            format!(
                "is {}{}, beyond a whole number in TOML (from -9223372036854775808 to \
                 9223372036854775807)",
                match i.radix() {
                    16 => "0x",
                    8 => "0o",
                    2 => "0b",
                    _ => "",
                },
                crate::diag::truncate(i.as_str(), 200)
            ),
            "write it with a decimal point or an exponent (1e20), or check it for a typo".into(),
        )),
        DeValue::Float(f) if underflows(&f.as_str().replace('_', "")) => Some((
            format!(
                "is {}, nearer zero than the smallest number a rules file may hold",
                crate::diag::truncate(f.as_str(), 200)
            ),
            "write 0 if zero is meant, or check the exponent for a typo".into(),
        )),
        _ => None,
    }
}

/// For a number written in quotes (`points = "10"`): the help to drop them.
fn quoted_number_help(v: &DeValue<'_>, key: &str) -> Option<String> {
    let DeValue::String(s) = v else { return None };
    // Only a number TOML reads as written once unquoted (not `1,000`, `5%`, `.5`, `05`);
    // full-width digits, minus and point ("２", typed with a Chinese input method) in ASCII.
    let folded = crate::data::cell::fold_width(s);
    let t = folded.trim();
    let valid = t.parse::<f64>().is_ok_and(f64::is_finite)
        && toml::from_str::<toml::Table>(&format!("x = {t}"))
            .is_ok_and(|v| v.get("x").is_some_and(|x| x.is_integer() || x.is_float()));
    if valid {
        return Some(format!(
            "a number is written without quotes in TOML: {key} = {t}"
        ));
    }
    // `"50%"`, `"3个"`: a number with a sign or a unit after it.
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+')))
        .unwrap_or(t.len());
    let (number, rest) = t.split_at(end);
    let unit = !rest.is_empty()
        && !rest.starts_with([',', '.'])
        && !rest.contains(|c: char| c.is_ascii_digit());
    (!number.is_empty() && number.parse::<f64>().is_ok_and(f64::is_finite) && unit).then(|| {
        format!(
            "write the number alone, without quotes{}: {key} = {number}",
            if rest.starts_with('%') {
                " or % sign (it is already in percent)"
            } else {
                " or unit"
            }
        )
    })
}

fn describe(v: &DeValue<'_>) -> String {
    match v {
        DeValue::String(s) => format!("the string \"{}\"", crate::diag::truncate(s, 200)),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Array(items) if items.len() <= 4 => format!(
            "[{}]",
            items
                .iter()
                .map(|x| describe(x.get_ref()))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.type_str().to_string(),
    }
}

/// The help for a `{ by, values, default }` table written for a key that takes one number:
/// which keys take such tables (SPEC §12).
fn no_table_here(v: &DeValue<'_>, key: &str) -> Option<String> {
    let DeValue::Table(m) = v else {
        return None;
    };
    m.contains_key("by").then(|| {
        format!(
            "a table {{ by, values, default }} stands for band thresholds and points, floor, \
             target, step, points_per_step, level points and min_score only; {key} takes one \
             number for all entities"
        )
    })
}

/// The help for an invalid id: the pattern, and the id to write when one is near (`Revenue-2`
/// → `revenue_2`), or where a Chinese name goes.
fn id_help(s: &str) -> String {
    let rule = "ids start with a lowercase letter and hold only a-z, 0-9 and _";
    // (Full-width letters, as a Chinese input method types them, are the id they fold to.)
    let near: String = crate::data::cell::fold_width(s.trim())
        .chars()
        .map(|c| match c {
            '-' | '.' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    if !near.is_empty() && near != s && valid_id(&near) {
        format!("{rule}: write '{near}'")
    } else if !s.is_ascii() {
        format!(
            "{rule}; a Chinese name belongs in label = \"…\", with a short Latin id (pinyin or English)"
        )
    } else {
        rule.to_string()
    }
}

/// Ids are `[a-z][a-z0-9_]*`.
pub fn valid_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Where a piece of an expression (`inner`, byte offsets in the expression's text) lies in
/// the rules source, so that a diagnostic can point at it. Literal strings map one to one;
/// basic strings are decoded again here, escapes and line-ending backslashes included, to
/// learn where each decoded byte came from (the TOML parser keeps only the whole string's
/// span). `None` when the string cannot be matched to its decoded text.
pub fn expression_span(source: &str, span: Span, text: &str, inner: Span) -> Option<Span> {
    let raw = source.get(span.start..span.end)?;
    for q in ["\"\"\"", "'''", "\"", "'"] {
        if raw.len() < 2 * q.len() || !raw.starts_with(q) || !raw.ends_with(q) {
            continue;
        }
        let body = &raw[q.len()..raw.len() - q.len()];
        // A multi-line string drops the line break right after its opening quotes.
        let skip = if q.len() == 3 {
            ["\r\n", "\n"]
                .iter()
                .find(|nl| body.starts_with(*nl))
                .map_or(0, |nl| nl.len())
        } else {
            0
        };
        let body = &body[skip..];
        let base = span.start + q.len() + skip;
        if q.starts_with('\'') {
            if body == text {
                return Some(Span::new(base + inner.start, base + inner.end));
            }
            continue;
        }
        let (decoded, offsets) = decode_basic(body)?;
        if decoded == text {
            let at = |i: usize| offsets[i.min(offsets.len() - 1)];
            let start = at(inner.start);
            return Some(Span::new(base + start, base + at(inner.end).max(start)));
        }
    }
    None
}

/// Decodes the body of a TOML basic string and gives, for every byte of the decoded text
/// (and one past its end), the offset in `body` it came from: an escape's bytes all come
/// from its backslash. Written by hand because the TOML parser gives only the result.
fn decode_basic(body: &str) -> Option<(String, Vec<usize>)> {
    let mut out = String::with_capacity(body.len());
    let mut offsets = Vec::with_capacity(body.len() + 1);
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            offsets.extend(i..i + c.len_utf8());
            continue;
        }
        let (_, e) = chars.next()?;
        let decoded = match e {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'x' | 'u' | 'U' => {
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut code = 0u32;
                for _ in 0..digits {
                    code = code * 16 + chars.next()?.1.to_digit(16)?;
                }
                char::from_u32(code)?
            }
            // A line-ending backslash drops the line break and the whitespace after it.
            ' ' | '\t' | '\r' | '\n' => {
                while chars
                    .peek()
                    .is_some_and(|&(_, c)| matches!(c, ' ' | '\t' | '\r' | '\n'))
                {
                    chars.next();
                }
                continue;
            }
            _ => return None,
        };
        out.push(decoded);
        offsets.extend(std::iter::repeat_n(i, decoded.len_utf8()));
    }
    offsets.push(body.len());
    Some((out, offsets))
}

/// Where a linear criterion's floor equals its target, checked value by value for
/// category tables (SPEC §12): `(" for category 'east'", 5.0)`, or `("", 5.0)` for fixed
/// values. Tables on different columns are compared where both fall back to their default.
fn same_floor_and_target(
    floor: &Param,
    target: &Param,
    scored_as: &dyn Fn(f64) -> Option<f64>,
) -> Option<(String, f64, f64)> {
    // Equal as scored (after the transform; values outside its domain are refused
    // elsewhere).
    let same = |f: f64, g: f64| scored_as(f).is_some() && (f == g || scored_as(f) == scored_as(g));
    // Each table's values by key (the first of a repeated key holds), looked up per category.
    fn table(p: &Param) -> std::collections::HashMap<&str, f64> {
        let mut m = std::collections::HashMap::new();
        if let Param::ByCategory { values, .. } = p {
            for (k, v) in values {
                m.entry(k.as_str()).or_insert(*v);
            }
        }
        m
    }
    fn value_at(
        p: &Param,
        values: &std::collections::HashMap<&str, f64>,
        category: Option<&str>,
    ) -> Option<f64> {
        match p {
            Param::Fixed(v) => Some(*v),
            Param::ByCategory { default, .. } => {
                category.and_then(|c| values.get(c).copied()).or(*default)
            }
        }
    }
    let (floor_values, target_values) = (table(floor), table(target));
    let floor_at = |c: Option<&str>| value_at(floor, &floor_values, c);
    let target_at = |c: Option<&str>| value_at(target, &target_values, c);
    let categories: Vec<&str> = match (floor, target) {
        (Param::Fixed(f), Param::Fixed(g)) => return same(*f, *g).then(|| (String::new(), *f, *g)),
        (
            Param::ByCategory {
                by: a,
                values: fv,
                default: fd,
            },
            Param::ByCategory {
                by: b,
                values: tv,
                default: td,
            },
        ) if a.value != b.value => {
            // Categories of two indicators meet in any pair: every floor against every
            // target (SPEC §12: category tables are checked value by value).
            let cases = |by: &str, values: &[(String, f64)], default: Option<f64>| {
                values
                    .iter()
                    .map(|(k, v)| (format!("{by} = '{k}'"), *v))
                    .chain(default.map(|v| (format!("the default of {by}"), v)))
                    .collect::<Vec<_>>()
            };
            for (fc, f) in cases(&a.value, fv, *fd) {
                for (tc, g) in cases(&b.value, tv, *td) {
                    if same(f, g) {
                        return Some((format!(" for {fc} with {tc}"), f, g));
                    }
                }
            }
            return None;
        }
        _ => [floor, target]
            .into_iter()
            .filter_map(|p| match p {
                Param::ByCategory { values, .. } => Some(values),
                Param::Fixed(_) => None,
            })
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect(),
    };
    for c in categories {
        if let (Some(f), Some(g)) = (floor_at(Some(c)), target_at(Some(c)))
            && same(f, g)
        {
            return Some((format!(" for category '{c}'"), f, g));
        }
    }
    match (floor_at(None), target_at(None)) {
        (Some(f), Some(g)) if same(f, g) => Some((" for the default".into(), f, g)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The source span of `piece` inside the expression stored in `toml_value`.
    fn span_of(toml_value: &str, text: &str, piece: &str) -> Option<String> {
        let source = format!("formula = {toml_value}\n");
        let start = "formula = ".len();
        let at = text.find(piece).expect("piece in text");
        let inner = Span::new(at, at + piece.len());
        expression_span(
            &source,
            Span::new(start, start + toml_value.len()),
            text,
            inner,
        )
        .map(|s| source[s.start..s.end].to_string())
    }

    #[test]
    fn the_tables_of_arrays_are_the_six_repeated_tables() {
        assert_eq!(
            super::ARRAYS,
            [
                "indicator",
                "dimension",
                "criterion",
                "gate",
                "adjustment",
                "tier"
            ]
        );
    }

    #[test]
    fn a_quoted_number_and_an_open_range_are_said_plainly() {
        let text = "[rules]\nname = \"q\"\nid = \"id\"\n[[indicator]]\nid = \"x\"\n\
                    [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                    indicator = \"x\"\npoints = \"10\"\nmethod = \"direct\"\n\
                    [[tier]]\nid = \"t\"\nmax_count = -1\n";
        let e = crate::rules::Rules::from_str_named(text, "q.toml").unwrap_err();
        let points = &e.diagnostics[0];
        assert!(
            points.message.ends_with("found the string \"10\""),
            "{}",
            points.message
        );
        assert_eq!(
            points.help.as_deref(),
            Some("a number is written without quotes in TOML: points = 10")
        );
        // Only a plain number gets the unquoted line (`1,000` is no TOML number); a number
        // with a % sign or a unit gets the number alone.
        assert_eq!(
            quoted_number_help(&DeValue::String("5%".into()), "top_percent").as_deref(),
            Some(
                "write the number alone, without quotes or % sign (it is already in percent): top_percent = 5"
            )
        );
        for (text, help) in [
            ("10", true),
            ("-2.5", true),
            ("1,000", false),
            ("5%", true),
            ("3个", true),
            ("x", false),
            (".5", false),
            ("05", false),
            ("inf", false),
        ] {
            let v = DeValue::String(text.to_string().into());
            assert_eq!(quoted_number_help(&v, "points").is_some(), help, "{text}");
        }
        let quota = &e.diagnostics[1];
        assert!(
            quota
                .message
                .ends_with("must be a whole number from 0 up, found -1"),
            "{}",
            quota.message
        );
    }

    #[test]
    fn expression_pieces_are_found_past_escapes_and_continuations() {
        // Escaped quotes and a \u escape before the piece.
        assert_eq!(
            span_of(r#""a == \"东\" and b >""#, "a == \"东\" and b >", "b >").as_deref(),
            Some("b >")
        );
        assert_eq!(
            span_of(r#""\u0061 + b ^ 2""#, "a + b ^ 2", "^").as_deref(),
            Some("^")
        );
        // A piece that is itself an escape maps to the whole escape.
        assert_eq!(
            span_of(r#""x + \u0061""#, "x + a", "a").as_deref(),
            Some("\\u0061")
        );
        // A line-ending backslash drops the break and the indentation after it.
        assert_eq!(
            span_of(
                "\"\"\"\nrd * 2 \\\n    + rd ^ 2\"\"\"",
                "rd * 2 + rd ^ 2",
                "^"
            )
            .as_deref(),
            Some("^")
        );
        // Literal strings map one to one; the first line break of ''' is dropped.
        assert_eq!(
            span_of("'''\nx >= 'a' ^'''", "x >= 'a' ^", "^").as_deref(),
            Some("^")
        );
        // A text that does not decode to the expression gives no span.
        assert_eq!(span_of(r#""a + b""#, "a + c", "c"), None);
        assert_eq!(span_of(r#""a \q b""#, "a q b", "b"), None);
    }
}
