//! SPEC statements pinned one by one (cases from the traceability audit): each test takes one
//! statement of SPEC.md that no other test pinned, runs a small hand-made case through the
//! library or the binary and checks the published values against a hand computation.
//!
//! Rows of the audit's table left out: SPEC 399–401, the XLSX internals (frozen header row on the four
//! sheets, tier fills: the tests have no XLSX reader for styles and panes).

use crate::support::{entity, root, score, try_score};
use approx::{assert_abs_diff_eq, assert_relative_eq};
use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("clusterscore").unwrap()
}

/// Writes `files` (name, bytes) into a fresh temporary directory.
fn files(list: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in list {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    dir
}

/// `clusterscore` run in `dir` with `args`; returns (exit code, stdout, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = bin()
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The JSON of a successful `score --format json` run in `dir`.
fn json_in(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["score", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run_in(dir, &all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn ids(a: &clusterscore::engine::Assessment) -> Vec<&str> {
    a.entities.iter().map(|e| e.id.as_str()).collect()
}

fn expect_err(rules: &str, csv: &str) -> String {
    match try_score(rules, csv) {
        Ok(_) => panic!("expected an error for:\n{rules}"),
        Err(e) => e,
    }
}

fn assert_has(text: &str, fragments: &[&str]) {
    for f in fragments {
        assert!(text.contains(f), "missing {f:?} in:\n{text}");
    }
}

// ---------------------------------------------------------------- §5 order of the final score

const ORDER: &str = r#"
[rules]
name = "order"
id = "id"
scale = 100
decimals = 1
clamp = [0, 102.46]
[[indicator]]
id = "x"
[[indicator]]
id = "b"
[[indicator]]
id = "p"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[adjustment]]
id = "bonus"
when = "b == 1"
points = 5
[[adjustment]]
id = "pen"
when = "p == 1"
points = -3
[[tier]]
id = "top"
min_score = 98.7
"#;

const ORDER_DATA: &str = "id,x,b,p\nA,10,1,0\nB,9.865,0,0\nC,1,0,1\nD,0,0,1\nE,9.86,0,0\n";

/// The final score is aggregate → rescale to `scale` → adjustments (not rescaled) → `clamp`
/// → round half away from zero; the rounded score meets the tier threshold; adjustments
/// that did not apply are listed with 0, a penalty included.
#[test]
fn clamp_comes_after_scale_and_adjustments_and_before_rounding() {
    let a = score(ORDER, ORDER_DATA);
    // A: 10 of 10 points → ×100/10 = 100; +5 (not ×10) = 105; clamp → 102.46; 1 decimal → 102.5.
    let e = entity(&a, "A");
    assert_relative_eq!(e.score, 102.5);
    assert_relative_eq!(e.dimensions["d"], 100.0);
    assert_relative_eq!(e.adjustments["bonus"], 5.0);
    assert_relative_eq!(e.adjustments["pen"], 0.0);
    assert_eq!(e.tier.as_deref(), Some("top"));
    // B: 9.865 × 10 = 98.65 → half away → 98.7 ≥ 98.7 → top.
    let e = entity(&a, "B");
    assert_relative_eq!(e.score, 98.7);
    assert_eq!(e.tier.as_deref(), Some("top"));
    assert_relative_eq!(e.adjustments["bonus"], 0.0);
    assert_relative_eq!(e.adjustments["pen"], 0.0);
    // E: 98.6 < 98.7 → no tier.
    assert_relative_eq!(entity(&a, "E").score, 98.6);
    assert_eq!(entity(&a, "E").tier, None);
    // C: 10 − 3 = 7; the bonus is listed with 0.
    let e = entity(&a, "C");
    assert_relative_eq!(e.score, 7.0);
    assert_relative_eq!(e.dimensions["d"], 10.0);
    assert_relative_eq!(e.adjustments["pen"], -3.0);
    assert_relative_eq!(e.adjustments["bonus"], 0.0);
    // D: 0 − 3 = −3 → clamp → 0.
    let e = entity(&a, "D");
    assert_abs_diff_eq!(e.score, 0.0);
    assert_relative_eq!(e.adjustments["pen"], -3.0);
    assert_eq!(ids(&a), ["A", "B", "E", "C", "D"]);
    let ranks: Vec<_> = a.entities.iter().map(|e| e.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(3), Some(4), Some(5)]);
    assert_eq!(a.summary.tiers[0].count, 2);
}

// ---------------------------------------------------------------- §5 tie-break direction

/// Tie-break values are compared on the threshold tolerance's grid (SPEC §12: the 1e-9
/// tolerance applies to every numeric comparison), absolute below 1: arithmetic noise
/// around zero ties with 0, and so do differences below 10⁻⁹ (the ids then decide).
#[test]
fn tie_break_values_below_one_tie_within_the_absolute_tolerance() {
    let rules = r#"
[rules]
name = "tb"
id = "id"
tie_break = ["t"]
[[indicator]]
id = "x"
[[indicator]]
id = "t"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    // Everyone scores 5. t: E 0.3 first; then A, B, C (0, +5.55e-17 noise, −5.55e-17:
    // all 0 on the grid, by id); D 1.23457e-7 and F 1.23456e-7 are both 1.23e-7 on it,
    // ahead of the zeros and ordered by id.
    let noise: f64 = 0.1 * 3.0 - 0.3;
    assert!(noise != 0.0 && noise.abs() < 1e-9);
    let a = score(
        rules,
        &format!(
            "id,x,t\nA,5,0\nB,5,{noise:e}\nC,5,{:e}\nD,5,1.23457e-7\nE,5,0.3\nF,5,1.23456e-7\n",
            -noise
        ),
    );
    assert_eq!(ids(&a), ["E", "D", "F", "A", "B", "C"]);
}

/// Ties on the rounded score are broken by each `tie_break` indicator in its own direction
/// (`direction = "lower"`: smaller first), then by id; a missing tie-break value sorts after
/// the present ones; every entity sharing the rounded score is marked `tie_broken`.
#[test]
fn tie_break_on_a_lower_indicator_puts_smaller_first_and_missing_last() {
    let rules = r#"
[rules]
name = "tb"
id = "id"
tie_break = ["cost"]
[[indicator]]
id = "x"
[[indicator]]
id = "cost"
direction = "lower"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[criterion]]
id = "k"
dimension = "d"
indicator = "cost"
points = 0
method = "direct"
"#;
    let a = score(
        rules,
        "id,x,cost\nA,5,3\nB,5,1\nC,5,\nD,5,1\nE,4.999,0\nF,4,9\n",
    );
    // E's 4.999 rounds to 5.00 and ties with A–D. cost ascending: E 0, B 1, D 1 (id after B),
    // A 3, C missing (last of the tie); F 4 is alone.
    assert_eq!(ids(&a), ["E", "B", "D", "A", "C", "F"]);
    for (id, rank) in [("E", 1), ("B", 2), ("D", 3), ("A", 4), ("C", 5), ("F", 6)] {
        assert_eq!(entity(&a, id).rank, Some(rank), "{id}");
    }
    assert_relative_eq!(entity(&a, "E").score, 5.0);
    for id in ["A", "B", "C", "D", "E"] {
        assert!(entity(&a, id).tie_broken, "{id}");
    }
    assert!(!entity(&a, "F").tie_broken);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("missing tie-break value") && w.ends_with(": C")),
        "{:?}",
        a.warnings
    );
}

// ---------------------------------------------------------------- §7 multiply on a formula

/// `multiply` applies to any numeric indicator, a formula indicator included; the
/// criterion's published value is the value after `multiply`.
#[test]
fn multiply_scales_a_formula_indicator_before_its_criterion() {
    let rules = r#"
[rules]
name = "mul"
id = "id"
[[indicator]]
id = "rev"
column = "rev_wan"
[[indicator]]
id = "f"
formula = "rev_wan + 10000"
multiply = 0.0001
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "f"
points = 10
method = "bands"
bands = [{ at_least = 3, points = 10 }, { at_least = 2, points = 5 }]
[[criterion]]
id = "r"
dimension = "d"
indicator = "rev"
points = 0
method = "direct"
"#;
    let a = score(rules, "id,rev_wan\nA,20000\nB,10000\nC,5000\n");
    // A: (20000 + 10000) × 0.0001 = 3 → band ≥ 3 → 10; B: 2 → 5; C: 1.5 → 0.
    for (id, value, points) in [("A", 3.0, 10.0), ("B", 2.0, 5.0), ("C", 1.5, 0.0)] {
        let c = &entity(&a, id).criteria["c"];
        assert_relative_eq!(c.value.as_ref().unwrap().as_f64().unwrap(), value);
        assert_relative_eq!(c.points.unwrap(), points);
        assert_relative_eq!(entity(&a, id).score, points);
    }
    // The column indicator itself is not multiplied.
    assert_relative_eq!(
        entity(&a, "A").criteria["r"]
            .value
            .as_ref()
            .unwrap()
            .as_f64()
            .unwrap(),
        20000.0
    );
}

// ---------------------------------------------------------------- §6 .xlsm

const GATES_BODY: &str = r#"
[[indicator]]
id = "x"
[[indicator]]
id = "g1"
[[indicator]]
id = "g2"
[[indicator]]
id = "k1"
[[indicator]]
id = "k2"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 100
method = "direct"
[[gate]]
id = "cap_silver"
require = "k1 == 0"
max_tier = "silver"
[[gate]]
id = "first_gate"
require = "g1 == 0"
[[gate]]
id = "cap_bronze"
require = "k2 == 0"
max_tier = "bronze"
[[gate]]
id = "second_gate"
require = "g2 == 0"
[[gate]]
id = "cap_score"
require = "score < 95"
max_tier = "silver"
[[tier]]
id = "gold"
min_score = 80
[[tier]]
id = "silver"
min_score = 60
max_count = 1
[[tier]]
id = "bronze"
min_score = 50
"#;

fn gates_rules() -> String {
    format!("[rules]\nname = \"gates\"\nid = \"id\"\n{GATES_BODY}")
}

const GATES_DATA: &str = "id,x,g1,g2,k1,k2\nA,90,0,0,1,1\nB,90,0,0,1,0\nC,70,0,0,0,0\n\
D,85,1,1,0,0\nE,85,0,1,0,0\nF,96,0,0,0,0\nG,40,0,0,0,1\n";

/// The data format follows the extension: `.xlsm` is read as XLSX and scores exactly like
/// its CSV twin.
#[test]
fn an_xlsm_workbook_is_read_as_xlsx() {
    let rules = gates_rules();
    let dir = files(&[
        ("r.toml", rules.as_bytes()),
        ("d.csv", GATES_DATA.as_bytes()),
    ]);
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (r, line) in GATES_DATA.lines().enumerate() {
        for (c, v) in line.split(',').enumerate() {
            let (row, col) = (r as u32, c as u16);
            match v.parse::<f64>() {
                Ok(x) if r > 0 => ws.write_number(row, col, x).unwrap(),
                _ => ws.write_string(row, col, v).unwrap(),
            };
        }
    }
    wb.save(dir.path().join("d.xlsx")).unwrap();
    std::fs::rename(dir.path().join("d.xlsx"), dir.path().join("d.xlsm")).unwrap();
    let csv_of = |data: &str| {
        let (code, out, err) = run_in(
            dir.path(),
            &[
                "score", "--format", "csv", "--rules", "r.toml", "--data", data,
            ],
        );
        assert_eq!(code, 0, "{err}");
        out
    };
    let from_xlsm = csv_of("d.xlsm");
    assert_eq!(from_xlsm, csv_of("d.csv"));
    let lines: Vec<&str> = from_xlsm.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[1], "1,F,,96.00,silver,silver,,96.00,96.00");
    assert_eq!(lines[6], ",D,,85.00,,,first_gate,85.00,85.00");
}

// ---------------------------------------------------------------- §12 gates

/// Of several failing capping gates the lowest cap wins; a capped entity still takes a lower
/// tier when its own tier is full or capped; a cap may use `score`.
#[test]
fn lowest_failing_cap_wins_and_a_capped_entity_takes_a_lower_tier() {
    let a = score(&gates_rules(), GATES_DATA);
    // Ranked F 96, A 90, B 90 (tie, id), C 70, G 40.
    // F: cap_score fails (96 < 95 false) → at most silver; silver's one place free → silver.
    // A: cap_silver and cap_bronze fail → the lower, bronze, wins → bronze.
    // B: cap_silver → silver is full (F) → bronze.
    // C: 70 < 80 (gold) and silver full → bronze (≥ 50).
    // G: cap_bronze, 40 < 50 → no tier.
    let tiers: Vec<_> = ["F", "A", "B", "C", "G"]
        .iter()
        .map(|id| entity(&a, id).tier.as_deref())
        .collect();
    assert_eq!(
        tiers,
        [
            Some("silver"),
            Some("bronze"),
            Some("bronze"),
            Some("bronze"),
            None
        ]
    );
    assert_eq!(
        entity(&a, "F").notes,
        ["gate 'cap_score' failed: tier capped at 'silver' (score = 96)"]
    );
    assert_eq!(
        entity(&a, "A").notes,
        [
            "gate 'cap_silver' failed: tier capped at 'silver' (k1 = 1)",
            "gate 'cap_bronze' failed: tier capped at 'bronze' (k2 = 1)"
        ]
    );
    let counts: Vec<_> = a.summary.tiers.iter().map(|t| t.count).collect();
    assert_eq!(counts, [0, 1, 3]);
}

/// `excluded_by` is the first failing exclude gate in file order; the note gives the values
/// involved; excluded entities have no rank and come last, by id.
#[test]
fn excluded_by_names_the_first_failing_exclude_gate_in_file_order() {
    let a = score(&gates_rules(), GATES_DATA);
    assert_eq!(ids(&a), ["F", "A", "B", "C", "G", "D", "E"]);
    // D fails first_gate and second_gate → first_gate; E fails second_gate only.
    let d = entity(&a, "D");
    assert_eq!(d.excluded_by.as_deref(), Some("first_gate"));
    assert_eq!(d.rank, None);
    assert_eq!(d.tier, None);
    assert_eq!(d.notes, ["excluded by gate 'first_gate' (g1 == 0): g1 = 1"]);
    let e = entity(&a, "E");
    assert_eq!(e.excluded_by.as_deref(), Some("second_gate"));
    assert_eq!(
        e.notes,
        ["excluded by gate 'second_gate' (g2 == 0): g2 = 1"]
    );
    assert_eq!((a.summary.ranked, a.summary.excluded), (5, 2));
}

// ---------------------------------------------------------------- §12 years

const YEARS: &str = r#"
[rules]
name = "years"
id = "id"
year = 2022
[data]
year_column = "year"
[[indicator]]
id = "x"
[[indicator]]
id = "unused"
[[indicator]]
id = "bad"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "bad == 0"
"#;

/// `--year` overrides `[rules].year`; the audit names the year scored.
#[test]
fn year_flag_overrides_the_rules_year() {
    let dir = files(&[
        ("r.toml", YEARS.as_bytes()),
        (
            "d.csv",
            b"id,year,x,unused,bad\nA,2022,1,1,0\nB,2022,2,1,0\nA,2023,3,1,0\nB,2023,4,1,0\n",
        ),
    ]);
    let args = ["--rules", "r.toml", "--data", "d.csv"];
    // [rules].year = 2022: A 1, B 2.
    let j = json_in(dir.path(), &args);
    assert_eq!(j["audit"]["year"], 2022);
    assert_eq!(j["entities"][0]["id"], "B");
    assert_eq!(j["entities"][0]["score"], 2.0);
    // --year 2023: A 3, B 4.
    let mut with_year = args.to_vec();
    with_year.extend(["--year", "2023"]);
    let j = json_in(dir.path(), &with_year);
    assert_eq!(j["audit"]["year"], 2023);
    assert_eq!(j["entities"][0]["id"], "B");
    assert_eq!(j["entities"][0]["score"], 4.0);
    assert_eq!(j["entities"][1]["id"], "A");
    assert_eq!(j["entities"][1]["score"], 3.0);
}

/// Duplicate ids are checked in every year read, a year that is not scored included.
#[test]
fn duplicate_ids_are_checked_in_a_year_that_is_not_scored() {
    let err = expect_err(
        YEARS,
        "id,year,x,unused,bad\nA,2022,1,1,0\nB,2022,2,1,0\nA,2021,3,1,0\nA,2021,4,1,0\n",
    );
    assert_has(
        &err,
        &["duplicate ids within a year: 'A' (2021)", "rows 4 and 5"],
    );
}

/// The cells of column indicators are validated in every row read: another year, an entity
/// an exclude gate drops, an indicator no criterion uses, and a category outside `levels`.
#[test]
fn cells_are_validated_in_every_row_read() {
    for (csv, fragments) in [
        (
            "id,year,x,unused,bad\nA,2022,1,1,0\nB,2022,2,1,0\nA,2021,abc,1,0\n",
            ["row 4, column \"x\"", "cannot read \"abc\" as a number"],
        ),
        (
            "id,year,x,unused,bad\nA,2022,1,zz,0\nB,2022,2,1,0\n",
            ["row 2, column \"unused\"", "cannot read \"zz\" as a number"],
        ),
        (
            "id,year,x,unused,bad\nA,2022,1,1,0\nB,2022,qq,1,1\n",
            ["row 3, column \"x\"", "cannot read \"qq\" as a number"],
        ),
    ] {
        assert_has(&expect_err(YEARS, csv), &fragments);
    }
    let levels = r#"
[rules]
name = "lv"
id = "id"
year = 2023
[data]
year_column = "year"
[[indicator]]
id = "x"
[[indicator]]
id = "reg"
kind = "category"
levels = ["东部", "西部"]
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;
    // reg feeds no criterion and 北部 is in 2022, a year not scored.
    assert_has(
        &expect_err(
            levels,
            "id,year,x,reg\nA,2023,1,东部\nB,2023,2,西部\nA,2022,1,北部\n",
        ),
        &[
            "row 4, column \"reg\"",
            "\"北部\" is not one of the levels of indicator 'reg'",
        ],
    );
    // A level typed with a Latin I for the Roman numeral sign Ⅰ: the level meant, and the
    // character that differs, are named.
    let roman = levels.replace(r#"["东部", "西部"]"#, r#"["Ⅰ类", "Ⅱ类"]"#);
    assert_has(
        &expect_err(&roman, "id,year,x,reg\nA,2023,1,Ⅰ类\nB,2023,2,I类\n"),
        &[
            "row 3, column \"reg\"",
            "help: did you mean 'Ⅰ类'? ('Ⅰ类' has the Roman numeral sign U+2160 'Ⅰ' where 'I类' has Latin letters, which look the same) (allowed values: Ⅰ类, Ⅱ类)",
        ],
    );
    let a = score(
        levels,
        "id,year,x,reg\nA,2023,1,东部\nB,2023,2,西部\nA,2022,1,东部\n",
    );
    assert_eq!(ids(&a), ["B", "A"]);
    assert_relative_eq!(entity(&a, "A").score, 1.0);
}

// ---------------------------------------------------------------- §7 [aggregate]

const AGGREGATE: &str = r#"
[rules]
name = "agg"
id = "eid"
[aggregate]
by = "cluster"
label = "cname"
[[indicator]]
id = "rev"
[[indicator]]
id = "total"
aggregate = "sum(rev)"
[[dimension]]
id = "d"
[[criterion]]
id = "c_total"
dimension = "d"
indicator = "total"
points = 10
method = "direct"
"#;

/// Under `[aggregate]` a criterion may use only entity-level indicators: one on a
/// member-level indicator is a rules error.
#[test]
fn a_criterion_on_a_member_level_indicator_is_an_error_under_aggregate() {
    let rules = AGGREGATE.replace("indicator = \"total\"", "indicator = \"rev\"");
    let err = expect_err(&rules, "eid,cluster,cname,rev\nE1,K1,,2\nE2,K1,甲集群,12\n");
    assert_has(
        &err,
        &[
            "criterion 'c_total' uses member-level indicator 'rev'",
            "under [aggregate] criteria use entity-level indicators",
        ],
    );
}

/// Under `[aggregate]`, `[rules].id` names the member id column, and member ids are checked
/// for duplicates.
#[test]
fn member_ids_are_checked_for_duplicates_under_aggregate() {
    // Two clusters, members unique: K1 = 2 + 12 = 14 → clamp to 10; K2 = 3.
    let a = score(
        AGGREGATE,
        "eid,cluster,cname,rev\nE1,K1,,2\nE2,K1,甲集群,12\nE4,K2,乙集群,3\n",
    );
    assert_eq!(ids(&a), ["K1", "K2"]);
    assert_relative_eq!(entity(&a, "K1").score, 10.0);
    assert_relative_eq!(entity(&a, "K2").score, 3.0);
    // E1 twice (in different clusters) is a duplicate member id.
    let err = expect_err(
        AGGREGATE,
        "eid,cluster,cname,rev\nE1,K1,,2\nE2,K1,甲集群,12\nE1,K2,乙集群,3\n",
    );
    assert_has(&err, &["duplicate ids: 'E1'", "rows 2 and 4"]);
}

// ---------------------------------------------------------------- §5 TOPSIS and geometric

fn three_criteria(aggregation: &str, weights: Option<(u32, u32)>, cohort: bool) -> String {
    let (wa, wb) = match weights {
        Some((a, b)) => (format!("weight = {a}"), format!("weight = {b}")),
        None => (String::new(), String::new()),
    };
    let cohort = if cohort { "cohort = \"reg\"" } else { "" };
    format!(
        r#"
[rules]
name = "tw"
id = "id"
aggregation = "{aggregation}"
{cohort}
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "z"
[[dimension]]
id = "a"
{wa}
[[dimension]]
id = "b"
{wb}
[[criterion]]
id = "c1"
dimension = "a"
indicator = "x"
points = 6
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "c2"
dimension = "a"
indicator = "y"
points = 4
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "c3"
dimension = "b"
indicator = "z"
points = 10
method = "linear"
floor = 0
target = 10
[[adjustment]]
id = "bon"
when = "x >= 9"
points = 2
"#
    )
}

/// `scale = <scale>` added to the `[rules]` table of a text built by [`three_criteria`].
fn scaled(rules: String, scale: u32) -> String {
    rules.replacen("id = \"id\"", &format!("id = \"id\"\nscale = {scale}"), 1)
}

const TW_DATA: &str = "id,x,y,z\nA,10,2,1\nB,4,8,9\nC,6,5,5\nD,0,0,10\n";

fn scores_of(a: &clusterscore::engine::Assessment) -> Vec<(String, f64)> {
    a.entities.iter().map(|e| (e.id.clone(), e.score)).collect()
}

fn assert_scores(a: &clusterscore::engine::Assessment, expected: &[(&str, f64)]) {
    let got = scores_of(a);
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for ((id, s), (eid, es)) in got.iter().zip(expected) {
        assert_eq!(id, eid, "{got:?}");
        assert_abs_diff_eq!(*s, *es, epsilon = 1e-9);
    }
}

/// TOPSIS: criterion weight = points_c / M_d × W_d / ΣW, closeness d⁻/(d⁺ + d⁻), the maximum
/// is `scale` when set; adjustments are added after.
#[test]
fn topsis_with_dimension_weights_reaches_scale_and_adds_adjustments_after() {
    // Fractions s: A (1, .2, .1), B (.4, .8, .9), C (.6, .5, .5), D (0, 0, 1).
    // W = (70, 30): w = (.7·.6, .7·.4, .3·1) = (.42, .28, .3).
    //   v: A (.42, .056, .03), B (.168, .224, .27), C (.252, .14, .15), D (0, 0, .3);
    //   ideal (.42, .224, .3), anti-ideal (0, 0, .03).
    //   A: d⁺ = √(.168² + .27²) = .31800, d⁻ = √(.42² + .056²) = .42372 → .57127 → 57.13 + 2 = 59.13
    //   B: d⁺ = √(.252² + .03²) = .25378, d⁻ = √(.168² + .224² + .24²) = .36878 → 59.24
    //   C: d⁺ = √(.168² + .084² + .15²) = .24038, d⁻ = √(.252² + .14² + .12²) = .31226 → 56.50
    //   D: d⁺ = √(.42² + .224²) = .47600, d⁻ = .27 → .36193 → 36.19
    let a = score(
        &scaled(three_criteria("topsis", Some((70, 30)), false), 100),
        TW_DATA,
    );
    assert_scores(&a, &[("B", 59.24), ("A", 59.13), ("C", 56.5), ("D", 36.19)]);
    // Published dimensions: scale × W_d/ΣW × D_d/M_d: A a = 100 × .7 × .68 = 47.6, b = 100 × .3 × .1 = 3.
    assert_relative_eq!(entity(&a, "A").dimensions["a"], 47.6);
    assert_relative_eq!(entity(&a, "A").dimensions["b"], 3.0);
    assert_relative_eq!(entity(&a, "A").adjustments["bon"], 2.0);
    // No weights: W_d = M_d = (10, 10) → w = (.3, .2, .5).
    //   v: A (.3, .04, .05), B (.12, .16, .45), C (.18, .1, .25), D (0, 0, .5);
    //   A: d⁺ = √(.12² + .45²) = .46573, d⁻ = √(.3² + .04²) = .30266 → .39389 → 39.39 + 2 = 41.39
    //   B: d⁺ = √(.18² + .05²) = .18682, d⁻ = √(.12² + .16² + .4²) = .44721 → 70.54
    //   C: d⁺ = √(.12² + .06² + .25²) = .28373, d⁻ = √(.18² + .1² + .2²) = .28705 → 50.29
    //   D: d⁺ = √(.3² + .16²) = .34, d⁻ = .45 → .56962 → 56.96
    let a = score(&scaled(three_criteria("topsis", None, false), 100), TW_DATA);
    assert_scores(
        &a,
        &[("B", 70.54), ("D", 56.96), ("C", 50.29), ("A", 41.39)],
    );
}

/// Geometric: T = scale × Π f_d^(W_d/ΣW), the weights default to the dimension maxima M_d,
/// dimensions below `geometric_floor` (0.01) are raised to it; adjustments are added after.
#[test]
fn geometric_with_default_weights_uses_dimension_maxima_and_scale() {
    // D_a = (6 s_x + 4 s_y)/10, D_b = s_z: A (.68, .1), B (.56, .9), C (.56, .5), D (0 → .01, 1).
    // No weights: W = M = (10, 10) → square root of the product.
    //   A: 100 √.068 = 26.077 + 2 = 28.08; B: 100 √.504 = 70.99; C: 100 √.28 = 52.92;
    //   D: 100 √.01 = 10.
    let a = score(
        &scaled(three_criteria("geometric", None, false), 100),
        TW_DATA,
    );
    assert_scores(&a, &[("B", 70.99), ("C", 52.92), ("A", 28.08), ("D", 10.0)]);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("geometric_floor = 0.01") && w.ends_with(": D")),
        "{:?}",
        a.warnings
    );
    // W = (70, 30): A: .68^.7 × .1^.3 = e^(−.26996 − .69078) = .38261 → 38.26 + 2 = 40.26;
    //   B: .56^.7 × .9^.3 = e^(−.40587 − .03161) = .64566 → 64.57;
    //   C: .56^.7 × .5^.3 = e^(−.40587 − .20794) = .54128 → 54.13; D: .01^.7 = .039811 → 3.98.
    let a = score(
        &scaled(three_criteria("geometric", Some((70, 30)), false), 100),
        TW_DATA,
    );
    assert_scores(&a, &[("B", 64.57), ("C", 54.13), ("A", 40.26), ("D", 3.98)]);
}

/// TOPSIS: when both distances are 0 the closeness is the maximum (`scale`); the ideal and
/// anti-ideal points are taken per cohort.
#[test]
fn topsis_gives_max_when_both_distances_are_zero_and_takes_ideals_per_cohort() {
    // All equal: d⁺ = d⁻ = 0 → 50 (= scale) for everyone; x = 5 < 9, no bonus; ties by id.
    let a = score(
        &scaled(three_criteria("topsis", None, false), 50),
        "id,x,y,z\nA,5,5,5\nB,5,5,5\nC,5,5,5\n",
    );
    assert_scores(&a, &[("A", 50.0), ("B", 50.0), ("C", 50.0)]);
    assert!(a.entities.iter().all(|e| e.tie_broken));
    // Cohort e: A is its ideal (50), B its anti-ideal (0); cohort w: C ideal, D anti-ideal,
    // although C's values are below B's.
    let a = score(
        &scaled(three_criteria("topsis", None, true), 50),
        "id,x,y,z,reg\nA,5,5,5,e\nB,3,3,3,e\nC,1,1,1,w\nD,0,0,0,w\n",
    );
    assert_scores(&a, &[("A", 50.0), ("B", 0.0), ("C", 50.0), ("D", 0.0)]);
    let ranks: Vec<_> = a.entities.iter().map(|e| e.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2), Some(1), Some(2)]);
}

// ---------------------------------------------------------------- §12 cohorts

/// Cohorts are listed in ascending code-point order of their published text ("10" before
/// "9"), the missing cohort last, then every excluded entity by id; `tie_broken` looks only
/// within the cohort; ranks and `top_percent` quotas are per cohort.
#[test]
fn cohorts_list_in_text_order_missing_last_then_excluded_by_id() {
    let rules = r#"
[rules]
name = "co"
id = "id"
cohort = "grp"
[[indicator]]
id = "x"
[[indicator]]
id = "bad"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "bad == 0"
[[tier]]
id = "t"
top_percent = 50
"#;
    let a = score(
        rules,
        "id,x,grp,bad\nZ,5,9,1\nA,5,9,0\nB,4,9,0\nC,3,9,0\nD,5,10,0\nE,2,10,0\nF,5,,0\nY,1,10,1\nG,7,9,0\n",
    );
    assert_eq!(ids(&a), ["D", "E", "G", "A", "B", "C", "F", "Y", "Z"]);
    let rank_tier: Vec<_> = a
        .entities
        .iter()
        .map(|e| (e.rank, e.tier.as_deref()))
        .collect();
    // "10": 2 ranked → quota max(1, ⌊50·2/100⌋) = 1; "9": 4 ranked → 2; missing: 1 → max(1, 0) = 1.
    assert_eq!(
        rank_tier,
        [
            (Some(1), Some("t")),
            (Some(2), None),
            (Some(1), Some("t")),
            (Some(2), Some("t")),
            (Some(3), None),
            (Some(4), None),
            (Some(1), Some("t")),
            (None, None),
            (None, None),
        ]
    );
    // D, A and F all score 5 but in different cohorts: nobody is tie-broken.
    assert!(a.entities.iter().all(|e| !e.tie_broken));
    assert_eq!(entity(&a, "D").cohort.as_deref(), Some("10"));
    assert_eq!(entity(&a, "F").cohort, None);
    assert!(
        a.warnings
            .iter()
            .any(|w| w.contains("no cohort value ('grp')") && w.ends_with(": F")),
        "{:?}",
        a.warnings
    );
}

// ---------------------------------------------------------------- §12 missing = "median"

/// `missing = "median"` imputes the cohort median (mean of the two middle values for an even
/// count) over the ranked entities that have a value, an excluded entity left out, taken
/// before the transform; the imputed value feeds only the criterion, so `requires` still
/// sees the value as missing.
#[test]
fn median_imputation_per_cohort_before_the_transform_and_requires_sees_missing() {
    let rules = r#"
[rules]
name = "median"
id = "id"
missing = "median"
cohort = "reg"
[[indicator]]
id = "x"
[[indicator]]
id = "bad"
missing = "zero"
[[indicator]]
id = "reg"
kind = "category"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 100
[[criterion]]
id = "cl"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 1
target = 100
transform = "log10"
[[gate]]
id = "g"
require = "bad == 0"
[[tier]]
id = "t"
requires = ["x >= 0"]
"#;
    let a = score(
        rules,
        "id,x,reg,bad\nA,10,e,0\nB,20,e,0\nC,60,e,0\nD,100,e,0\nE,,e,0\nX,1000,e,1\nP,1,w,0\nQ,,w,0\nR,9,w,0\n",
    );
    // Cohort e: 10, 20, 60, 100 (X excluded) → median (20 + 60)/2 = 40.
    //   E: c = 40/100 × 10 = 4; cl = log10(40)/2 × 10 = 8.0103 → 8.01; score 12.01.
    //   (The median of the logs would give (1.30103 + 1.77815)/2 → 7.70 and 11.70.)
    let e = entity(&a, "E");
    assert_relative_eq!(
        e.criteria["c"].value.as_ref().unwrap().as_f64().unwrap(),
        40.0
    );
    assert_eq!(e.criteria["c"].missing.as_deref(), Some("median"));
    assert_relative_eq!(e.criteria["c"].points.unwrap(), 4.0);
    assert_relative_eq!(e.criteria["cl"].points.unwrap(), 8.01);
    assert_relative_eq!(e.score, 12.01);
    assert_eq!(e.tier, None);
    assert!(
        e.notes.contains(
            &"criterion 'c': value missing, imputed median 40 (missing = \"median\")".to_string()
        ),
        "{:?}",
        e.notes
    );
    // Cohort w: 1, 9 → median 5: c 0.5; cl log10(5)/2 × 10 = 3.4949 → 3.49; 3.99.
    let q = entity(&a, "Q");
    assert_relative_eq!(q.score, 3.99);
    assert_eq!(q.tier, None);
    // The others: A 1 + 5 = 6; B 2 + 6.51 = 8.51; C 6 + 8.89 = 14.89; D 20; R 0.9 + 4.77 = 5.67; P 0.1.
    assert_eq!(ids(&a), ["D", "C", "E", "B", "A", "R", "Q", "P", "X"]);
    for (id, s) in [
        ("A", 6.0),
        ("B", 8.51),
        ("C", 14.89),
        ("D", 20.0),
        ("R", 5.67),
        ("P", 0.1),
    ] {
        assert_relative_eq!(entity(&a, id).score, s);
        assert_eq!(entity(&a, id).tier.as_deref(), Some("t"), "{id}");
    }
    assert_eq!(entity(&a, "X").excluded_by.as_deref(), Some("g"));
}

// ---------------------------------------------------------------- §5 exclude drops a dimension

/// Additive: a criterion dropped by `missing = "exclude"` rescales its dimension over the
/// remaining criteria; a dimension with every criterion dropped scores 0, under dimension
/// weights and `scale`; a dropped criterion has no fraction and no points.
#[test]
fn a_dimension_with_every_criterion_dropped_by_exclude_scores_zero() {
    let rules = r#"
[rules]
name = "excl"
id = "id"
missing = "exclude"
scale = 100
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "z"
[[dimension]]
id = "a"
weight = 60
[[dimension]]
id = "b"
weight = 40
[[criterion]]
id = "cx"
dimension = "a"
indicator = "x"
points = 6
method = "direct"
[[criterion]]
id = "cy"
dimension = "a"
indicator = "y"
points = 4
method = "direct"
[[criterion]]
id = "cz"
dimension = "b"
indicator = "z"
points = 5
method = "direct"
"#;
    let a = score(rules, "id,x,y,z\nA,3,2,5\nB,,2,5\nC,3,2,\nD,,,\n");
    // A: a = (3 + 2)/10 = .5 → 60 × .5 = 30; b = 5/5 → 40; 70.
    // B: cx dropped, a = 2/4 = .5 → 30; b 40; 70 (tie with A, id order).
    // C: cz dropped, b has nothing left → 0; a 30; 30.  D: everything dropped → 0.
    for (id, score, da, db, rank) in [
        ("A", 70.0, 30.0, 40.0, 1),
        ("B", 70.0, 30.0, 40.0, 2),
        ("C", 30.0, 30.0, 0.0, 3),
        ("D", 0.0, 0.0, 0.0, 4),
    ] {
        let e = entity(&a, id);
        assert_abs_diff_eq!(e.score, score);
        assert_abs_diff_eq!(e.dimensions["a"], da);
        assert_abs_diff_eq!(e.dimensions["b"], db);
        assert_eq!(e.rank, Some(rank));
    }
    assert!(entity(&a, "A").tie_broken && entity(&a, "B").tie_broken);
    let cx = &entity(&a, "B").criteria["cx"];
    assert_eq!((cx.fraction, cx.points), (None, None));
    assert_eq!(cx.missing.as_deref(), Some("exclude"));
    let cz = &entity(&a, "C").criteria["cz"];
    assert_eq!((cz.fraction, cz.points), (None, None));
}

// ---------------------------------------------------------------- §8 Markdown

/// Without `--out` the ranking goes to stdout as the Markdown table; it shows tier labels in
/// the ranking, a tier-count table and the Warnings section.
#[test]
fn markdown_is_the_default_stdout_format_with_tier_labels_tier_counts_and_warnings() {
    let rules = gates_rules()
        .replace("id = \"gold\"\n", "id = \"gold\"\nlabel = \"金牌\"\n")
        .replace("id = \"silver\"\n", "id = \"silver\"\nlabel = \"银牌\"\n")
        .replace("id = \"bronze\"\n", "id = \"bronze\"\nlabel = \"铜牌\"\n");
    let dir = files(&[
        ("r.toml", rules.as_bytes()),
        ("d.csv", b"id,x,g1,g2,k1,k2\nA,90,0,0,1,1\nB,,0,0,1,0\n"),
    ]);
    let (code, out, err) = run_in(
        dir.path(),
        &["score", "--rules", "r.toml", "--data", "d.csv"],
    );
    assert_eq!(code, 0, "{err}");
    // A: 90, cap_bronze → 铜牌; B: missing x → 0 with a warning.
    assert_has(
        &out,
        &[
            "# gates\n",
            "| 1 | A |  | 90.00 | 铜牌 | 90.00 |\n",
            "| 2 | B |  | 0.00 |  | 0.00 |\n",
            "## 等级汇总 Tiers\n\n2 entities, 2 ranked, 0 excluded.\n",
            "| gold | 金牌 | 0 |\n| silver | 银牌 | 0 |\n| bronze | 铜牌 | 1 |\n",
            "## 提示 Warnings\n\n- criterion 'c': 1 missing value scored 0: B\n",
        ],
    );
}

// ---------------------------------------------------------------- §6 input

/// Encoding is detected per file (GBK, UTF-8 and UTF-16LE with BOM in one run); records with
/// every cell empty are skipped; `audit.data[].rows` counts the data rows read from each file;
/// headers may come in any order.
#[test]
fn encoding_is_detected_per_file_and_rows_are_counted_per_file() {
    let rules = format!("[rules]\nname = \"gates\"\nid = \"id\"\nlabel = \"名称\"\n{GATES_BODY}");
    // GBK: 名称 = C3FB B3C6, 甲乙丙 = BCD7 D2D2 B1FB.
    let gbk: &[u8] = b"id,\xc3\xfb\xb3\xc6,x,g1,g2,k1,k2\nH,\xbc\xd7\xd2\xd2\xb1\xfb,55,0,0,0,0\n";
    let u16: Vec<u8> = "\u{feff}id,名称,x,g1,g2,k1,k2\nJ,戊,44,0,0,0,0\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let dir = files(&[
        ("r.toml", rules.as_bytes()),
        ("gbk.csv", gbk),
        (
            "u8name.csv",
            "id,名称,x,g1,g2,k1,k2\nI,丁,45,0,0,0,0\n".as_bytes(),
        ),
        ("u16.csv", &u16),
    ]);
    let j = json_in(
        dir.path(),
        &[
            "--rules",
            "r.toml",
            "--data",
            "gbk.csv",
            "--data",
            "u8name.csv",
            "--data",
            "u16.csv",
        ],
    );
    let got: Vec<_> = j["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["name"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("H", "甲乙丙"), ("I", "丁"), ("J", "戊")]);
    // H 55 ≥ 50 → bronze.
    assert_eq!(j["entities"][0]["tier"], "bronze");
    let rows: Vec<_> = j["audit"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [1, 1, 1]);

    // A blank line and ",,,,," are skipped: u8.csv counts 2 rows (C, D); its columns are
    // in another order than c1.csv's.
    let dir = files(&[
        ("r.toml", gates_rules().as_bytes()),
        ("c1.csv", b"id,x,g1,g2,k1,k2\nA,90,0,0,0,0\n\n"),
        (
            "u8.csv",
            b"x,id,g1,g2,k1,k2\n80,C,0,0,0,0\n\n,,,,,\n60,D,0,0,0,0\n",
        ),
    ]);
    let j = json_in(
        dir.path(),
        &["--rules", "r.toml", "--data", "c1.csv", "--data", "u8.csv"],
    );
    let rows: Vec<_> = j["audit"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["rows"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, [1, 2]);
    assert_eq!(j["summary"]["entities"], 3);
    // A 90 gold, C 80 gold, D 60 silver.
    let got: Vec<_> = j["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e["tier"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [("A", "gold"), ("C", "gold"), ("D", "silver")]);
}

/// `--delimiter '\t'` (a backslash and a t, as typed in a shell) means the tab character.
#[test]
fn delimiter_backslash_t_reads_a_tab_separated_file() {
    let dir = files(&[
        ("r.toml", gates_rules().as_bytes()),
        (
            "tab.csv",
            b"id\tx\tg1\tg2\tk1\tk2\nA\t90\t0\t0\t0\t0\nB\t70\t0\t0\t0\t0\n",
        ),
    ]);
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "score",
            "--format",
            "csv",
            "--rules",
            "r.toml",
            "--data",
            "tab.csv",
            "--delimiter",
            r"\t",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // A 90 → gold; B 70 → silver (60 ≤ 70 < 80).
    let lines: Vec<&str> = out.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines,
        [
            "rank,id,name,score,tier,tier_label,excluded_by,d,c",
            "1,A,,90.00,gold,gold,,90.00,90.00",
            "2,B,,70.00,silver,silver,,70.00,70.00",
        ]
    );
}

// ---------------------------------------------------------------- §3 rules load errors

const LE_BASE: &str = r#"
[rules]
name = "le"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "reg"
kind = "category"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
"#;

const LE_DATA: &str = "id,x,reg,y\nA,5,e,1\nB,3,,2\n";

fn le_err(extra: &str) -> String {
    expect_err(&format!("{LE_BASE}{extra}"), LE_DATA)
}

/// An indicator takes exactly one of `column`, `formula` and `aggregate`.
#[test]
fn more_than_one_indicator_source_is_an_error() {
    let err = le_err("[[indicator]]\nid = \"z\"\ncolumn = \"y\"\nformula = \"x * 2\"\n");
    assert_has(
        &err,
        &["[[indicator]] 'z' has more than one of 'column', 'formula' and 'aggregate'"],
    );
}

/// Required keys: a criterion's `indicator`, `levels` for method levels, `points_per_step`
/// for method per, an adjustment's `when` and every table's `id`.
#[test]
fn a_missing_required_key_is_named_with_its_table() {
    for (extra, expected) in [
        (
            "[[criterion]]\nid = \"c2\"\ndimension = \"d\"\npoints = 5\nmethod = \"direct\"\n",
            "[[criterion]] 'c2' is missing the key 'indicator'",
        ),
        (
            "[[criterion]]\nid = \"c2\"\ndimension = \"d\"\nindicator = \"reg\"\npoints = 5\nmethod = \"levels\"\n",
            "[[criterion]] 'c2' is missing the key 'levels'",
        ),
        (
            "[[criterion]]\nid = \"c2\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 5\nmethod = \"per\"\nstep = 2\n",
            "[[criterion]] 'c2' is missing the key 'points_per_step'",
        ),
        (
            "[[adjustment]]\nid = \"a1\"\npoints = 2\n",
            "[[adjustment]] 'a1' is missing the key 'when'",
        ),
        (
            "[[tier]]\nmin_score = 1\n",
            "[[tier]] #1 is missing the key 'id'",
        ),
    ] {
        assert_has(&le_err(extra), &[expected]);
    }
}

/// Gate ids are unique among gates and adjustment ids among adjustments.
#[test]
fn duplicate_gate_and_adjustment_ids_are_errors() {
    let err = le_err(
        "[[gate]]\nid = \"g\"\nrequire = \"x > 0\"\n[[gate]]\nid = \"g\"\nrequire = \"x > 1\"\n",
    );
    assert_has(&err, &["duplicate gate id 'g'"]);
    let err = le_err(
        "[[adjustment]]\nid = \"a\"\nwhen = \"x > 0\"\npoints = 1\n\
         [[adjustment]]\nid = \"a\"\nwhen = \"x > 1\"\npoints = 1\n",
    );
    assert_has(&err, &["duplicate adjustment id 'a'"]);
}

/// Gate and tier ids are not names in expressions: a gate id equal to an indicator id is
/// fine (the name is the indicator), a tier id in `requires` is an error that says so.
#[test]
fn gate_and_tier_ids_are_not_names_in_expressions() {
    let a = score(
        &format!(
            "{LE_BASE}[[gate]]\nid = \"x\"\nrequire = \"x > 0\"\n[[tier]]\nid = \"d2\"\nmin_score = 1\n"
        ),
        LE_DATA,
    );
    // x = 5 and 3 pass the gate; both reach min_score 1.
    assert_eq!(ids(&a), ["A", "B"]);
    assert_relative_eq!(entity(&a, "B").score, 3.0);
    assert!(a.entities.iter().all(|e| e.tier.as_deref() == Some("d2")));
    let err = le_err(
        "[[tier]]\nid = \"top\"\nmin_score = 1\n[[tier]]\nid = \"low\"\nrequires = [\"top > 0\"]\n",
    );
    assert_has(
        &err,
        &[
            "'top' is the id of a tier, and gate, adjustment and tier ids are not names in expressions",
            "requires of tier 'low'",
        ],
    );
}

/// An adjustment's `when` may not use `score` (it does not exist yet) but may use a
/// dimension id.
#[test]
fn score_in_an_adjustment_when_is_an_error_but_a_dimension_id_is_allowed() {
    let err = le_err("[[adjustment]]\nid = \"a\"\nwhen = \"score > 3\"\npoints = 1\n");
    assert_has(
        &err,
        &[
            "'score' is the final score, which does not exist yet here",
            "when of adjustment 'a'",
        ],
    );
    let a = score(
        &format!("{LE_BASE}[[adjustment]]\nid = \"a\"\nwhen = \"d > 3\"\npoints = 1\n"),
        LE_DATA,
    );
    // A: d = 5 > 3 → 5 + 1 = 6; B: d = 3 → 3.
    assert_relative_eq!(entity(&a, "A").score, 6.0);
    assert_relative_eq!(entity(&a, "A").adjustments["a"], 1.0);
    assert_relative_eq!(entity(&a, "B").score, 3.0);
    assert_relative_eq!(entity(&a, "B").adjustments["a"], 0.0);
}

/// An exclude gate may not use a dimension id, and a formula may not use a criterion id.
#[test]
fn a_dimension_in_an_exclude_gate_and_a_criterion_in_a_formula_are_errors() {
    let err = le_err("[[gate]]\nid = \"g\"\nrequire = \"d > 3\"\n");
    assert_has(
        &err,
        &[
            "'d' is the score of dimension 'd', which does not exist yet here",
            "require of gate 'g'",
        ],
    );
    let err = le_err("[[indicator]]\nid = \"z\"\nformula = \"c * 2\"\n");
    assert_has(
        &err,
        &[
            "'c' is the points of criterion 'c', which does not exist yet here",
            "formula of indicator 'z'",
        ],
    );
}

/// Boundary values of the ranges are accepted: `decimals` 0 and 10, `clamp` with lo = hi,
/// `max_count = 0`, `top_percent` 0.5 and 100.
#[test]
fn boundary_values_of_the_ranges_are_accepted() {
    let rules = LE_BASE.replacen(
        "id = \"id\"",
        "id = \"id\"\ndecimals = 0\nclamp = [5, 5]",
        1,
    ) + "[[tier]]\nid = \"t1\"\ntop_percent = 100\nmax_count = 0\n\
           [[tier]]\nid = \"t2\"\ntop_percent = 0.5\n";
    let decimals10 = LE_BASE.replacen("id = \"id\"", "id = \"id\"\ndecimals = 10", 1);
    let dir = files(&[
        ("r.toml", rules.as_bytes()),
        ("r10.toml", decimals10.as_bytes()),
        ("d.csv", LE_DATA.as_bytes()),
    ]);
    let csv = |r: &str| {
        let (code, out, err) = run_in(
            dir.path(),
            &["score", "--format", "csv", "--rules", r, "--data", "d.csv"],
        );
        assert_eq!(code, 0, "{err}");
        out.trim_start_matches('\u{feff}')
            .lines()
            .skip(1)
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // Scores 5 and 3 clamp to 5 and 5, printed with 0 decimals; tie → A first by id.
    // t1 takes nobody (max_count 0); t2: 0.5 % of 2 = 0.01 → at least 1 → A.
    assert_eq!(csv("r.toml"), ["1,A,,5,t2,t2,,5,5", "2,B,,5,,,,3,3"]);
    assert_eq!(
        csv("r10.toml"),
        [
            "1,A,,5.0000000000,,,,5.0000000000,5.0000000000",
            "2,B,,3.0000000000,,,,3.0000000000,3.0000000000"
        ]
    );
}

/// Values of a category table (`{ by, values, default }`) are range-checked one by one:
/// `step`, `target`, `points_per_step` and band `points`.
#[test]
fn category_table_values_are_range_checked_one_by_one() {
    let crit = "[[criterion]]\nid = \"c2\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 5\n";
    for (extra, expected) in [
        (
            "method = \"per\"\nstep = { by = \"reg\", values = { e = 0 }, default = 1 }\npoints_per_step = 1\n",
            "'step' in [[criterion]] 'c2' must be greater than 0, found 0",
        ),
        (
            "method = \"target\"\ntarget = { by = \"reg\", values = { e = 5 }, default = -1 }\n",
            "'target' in [[criterion]] 'c2' must be greater than 0, found -1",
        ),
        (
            "method = \"per\"\nstep = 1\npoints_per_step = { by = \"reg\", values = { e = -2 }, default = 1 }\n",
            "'points_per_step' in [[criterion]] 'c2' must be 0 or more, found -2",
        ),
        (
            "method = \"bands\"\nbands = [{ at_least = 1, points = { by = \"reg\", values = { e = -3 }, default = 2 } }]\n",
            "'points' in band 1 of [[criterion]] 'c2' must be 0 or more, found -3",
        ),
    ] {
        assert_has(&le_err(&format!("{crit}{extra}")), &[expected]);
    }
}

// ---------------------------------------------------------------- §4 names in expressions

/// In `requires`, dimension, criterion and `score` names are their rounded published values
/// (4.996 → 5.00 meets `>= 5`); a bare name is the indicator, a backticked name the column.
#[test]
fn requires_sees_rounded_published_values_and_backticks_name_the_column() {
    let rules = r#"
[rules]
name = "nr"
id = "id"
decimals = 2
[[indicator]]
id = "x"
column = "y"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[tier]]
id = "crit"
requires = ["c >= 5"]
max_count = 0
[[tier]]
id = "dim"
requires = ["d >= 5"]
max_count = 1
[[tier]]
id = "sc"
requires = ["score >= 5", "x == 4.996", "`x` == 1"]
"#;
    let a = score(rules, "id,x,y\nA,1,4.996\nB,1,4.996\nC,2,4.996\n");
    // Everyone: c = d = score = 4.996 → 5.00, so all three comparisons with 5 hold.
    // crit takes nobody (max_count 0); dim's one place goes to A (tie, id order);
    // B: sc (x is the indicator, 4.996; `x` is the column, 1); C: `x` = 2 → no tier.
    let tiers: Vec<_> = a.entities.iter().map(|e| e.tier.as_deref()).collect();
    assert_eq!(ids(&a), ["A", "B", "C"]);
    assert_eq!(tiers, [Some("dim"), Some("sc"), None]);
    assert_relative_eq!(entity(&a, "C").score, 5.0);
}

// ---------------------------------------------------------------- §10 weights

/// Entropy and CRITIC weights are computed over the ranked entities only, with fractions
/// dropped by `missing = "exclude"` taken as 0.
#[test]
fn entropy_and_critic_weights_use_ranked_entities_and_dropped_fractions_as_zero() {
    let rules = r#"
[rules]
name = "w"
id = "id"
missing = "exclude"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "z"
[[indicator]]
id = "bad"
missing = "zero"
[[dimension]]
id = "d"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "cy"
dimension = "d"
indicator = "y"
points = 10
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "cz"
dimension = "d"
indicator = "z"
points = 10
method = "linear"
floor = 0
target = 10
[[gate]]
id = "g"
require = "bad == 0"
"#;
    let dir = files(&[
        ("r.toml", rules.as_bytes()),
        (
            "d.csv",
            b"id,x,y,z,bad\nA,2,5,1,0\nB,4,,3,0\nC,6,7,0,0\nD,10,1,9,0\nX,0,10,10,1\n",
        ),
    ]);
    // Rows A–D (X excluded), B's y dropped → 0:
    //   F = [.2 .5 .1; .4 0 .3; .6 .7 0; 1 .1 .9], column sums 2.2, 1.3, 1.3.
    // Entropy: e_j = −Σ p ln p / ln 4 = (.89496, .64787, .57006); d = 1 − e =
    //   (.10504, .35213, .42994), Σ = .88711 → (.1184, .3969, .4847).
    // CRITIC: min-max columns, sample sd (.42696, .47201, .44790); Pearson r_xy = −.28060,
    //   r_xz = .78680, r_yz = −.70701; C_j = sd_j Σ(1 − r) = (.63779, 1.41017, .86007),
    //   Σ = 2.90803 → (.2193, .4849, .2958).
    for (method, expected) in [
        ("entropy", [0.1184, 0.3969, 0.4847]),
        ("critic", [0.2193, 0.4849, 0.2958]),
    ] {
        let out = bin()
            .current_dir(dir.path())
            .args(["weights", "--method", method, "--format", "json"])
            .args(["--rules", "r.toml", "--data", "d.csv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(j["entities"], 4, "{method}");
        let got: Vec<(String, f64)> = j["criteria"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["id"].as_str().unwrap().to_owned(),
                    c["weight"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(got.len(), 3);
        for ((id, w), (eid, ew)) in got.iter().zip(["cx", "cy", "cz"].iter().zip(expected)) {
            assert_eq!(id, eid);
            assert_abs_diff_eq!(*w, ew, epsilon = 5e-5);
        }
    }
}

// ---------------------------------------------------------------- §11 outputs equal to inputs

/// An output path equal to an input path is refused before any work (exit 2), for
/// `sensitivity --runs-out` and `weights --write` too; the inputs stay unchanged.
#[test]
fn runs_out_or_weights_write_equal_to_an_input_is_refused() {
    let rules = scaled(three_criteria("additive", Some((70, 30)), false), 100);
    let dir = files(&[("r.toml", rules.as_bytes()), ("d.csv", TW_DATA.as_bytes())]);
    for (args, name) in [
        (
            vec![
                "sensitivity",
                "--rules",
                "r.toml",
                "--data",
                "d.csv",
                "--runs-out",
                "d.csv",
            ],
            "d.csv",
        ),
        (
            vec![
                "weights", "--method", "entropy", "--rules", "r.toml", "--data", "d.csv",
                "--write", "r.toml",
            ],
            "r.toml",
        ),
    ] {
        let (code, _, err) = run_in(dir.path(), &args);
        assert_eq!(code, 2, "{err}");
        assert_has(
            &err,
            &[&format!(
                "refusing to write '{name}': it is an input file of this run"
            )],
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("r.toml")).unwrap(),
            rules
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("d.csv")).unwrap(),
            TW_DATA
        );
    }
}

// ---------------------------------------------------------------- §12 missing precedence

const PRECEDENCE: &str = r#"
[rules]
name = "mp"
id = "id"
[[indicator]]
id = "x"
missing = "mean"
[[indicator]]
id = "y"
[[dimension]]
id = "d"
[[criterion]]
id = "c_ind"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[criterion]]
id = "c_crit"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
missing = "exclude"
[[criterion]]
id = "c_rules"
dimension = "d"
indicator = "y"
points = 10
method = "direct"
"#;

/// The `missing` policy is the criterion's, else the indicator's, else `[rules]`' (default
/// "zero"); under "fail" the error lists every entity and column with a missing value.
#[test]
fn missing_policy_precedence_criterion_over_indicator_over_rules() {
    let data = "id,x,y\nA,2,4\nB,6,\nC,,8\n";
    let a = score(PRECEDENCE, data);
    // C (x missing): c_ind takes the indicator's mean (2 + 6)/2 = 4; c_crit its own
    // exclude → dimension over c_ind and c_rules: (4 + 8)/20 × 30 = 18.
    let c = entity(&a, "C");
    assert_relative_eq!(c.score, 18.0);
    assert_eq!(c.criteria["c_ind"].missing.as_deref(), Some("mean"));
    assert_relative_eq!(c.criteria["c_ind"].points.unwrap(), 4.0);
    assert_eq!(c.criteria["c_crit"].missing.as_deref(), Some("exclude"));
    assert_eq!(c.criteria["c_crit"].points, None);
    // B (y missing): c_rules falls back to the [rules] default, zero → 6 + 6 + 0 = 12.
    let b = entity(&a, "B");
    assert_relative_eq!(b.score, 12.0);
    assert_eq!(b.criteria["c_rules"].missing.as_deref(), Some("zero"));
    assert_relative_eq!(b.criteria["c_rules"].points.unwrap(), 0.0);
    // A: 2 + 2 + 4 = 8.
    assert_relative_eq!(entity(&a, "A").score, 8.0);
    assert_eq!(ids(&a), ["C", "B", "A"]);

    let fail = PRECEDENCE
        .replace("missing = \"mean\"", "missing = \"fail\"")
        .replace("missing = \"exclude\"\n", "")
        .replace("id = \"y\"\n", "id = \"y\"\nmissing = \"fail\"\n");
    let err = expect_err(&fail, data);
    assert_has(
        &err,
        &[
            "missing values under policy 'fail'",
            "C (",
            "row 4, column \"x\"; criterion 'c_ind'",
            "row 4, column \"x\"; criterion 'c_crit'",
            "B (",
            "row 3, column \"y\"; criterion 'c_rules'",
        ],
    );
}

// ---------------------------------------------------------------- §7 column types

/// A column used directly in an expression takes its type from its cells: 是/1/否/0 and
/// Yes/no/Y/n are booleans, all numbers a number.
#[test]
fn a_column_takes_its_type_from_its_cells() {
    let rules = r#"
[rules]
name = "ct"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[adjustment]]
id = "a_mixed"
when = "mixed"
points = 1
[[adjustment]]
id = "a_num"
when = "nums > 1"
points = 2
[[adjustment]]
id = "a_yn"
when = "yn"
points = 4
"#;
    let a = score(
        rules,
        "id,x,mixed,nums,yn\nA,1,是,0,Yes\nB,1,1,2,no\nC,1,否,1,Y\nD,1,0,3,n\n",
    );
    // A: 1 + mixed 1 + yn 4 = 6; B: 1 + 1 + nums 2 = 4; C: 1 + 4 = 5; D: 1 + 2 = 3.
    for (id, s, mixed, num, yn) in [
        ("A", 6.0, 1.0, 0.0, 4.0),
        ("B", 4.0, 1.0, 2.0, 0.0),
        ("C", 5.0, 0.0, 0.0, 4.0),
        ("D", 3.0, 0.0, 2.0, 0.0),
    ] {
        let e = entity(&a, id);
        assert_relative_eq!(e.score, s);
        assert_abs_diff_eq!(e.adjustments["a_mixed"], mixed);
        assert_abs_diff_eq!(e.adjustments["a_num"], num);
        assert_abs_diff_eq!(e.adjustments["a_yn"], yn);
    }
    assert_eq!(ids(&a), ["A", "C", "B", "D"]);
}

// ---------------------------------------------------------------- §12 id order

/// Ids compare as plain strings in code-point order ("10" < "9" < "B" < "Z" < "a10" < "a9" <
/// "b" < "中"), for ties and for the excluded entities listed last.
#[test]
fn ids_compare_in_code_point_order() {
    let rules = r#"
[rules]
name = "ido"
id = "id"
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "x > 0"
"#;
    let a = score(
        rules,
        "id,x\na9,5\na10,5\nB,5\nb,5\n中,5\nZ,5\n10,5\n9,5\nq2,0\nQ1,0\n",
    );
    assert_eq!(
        ids(&a),
        ["10", "9", "B", "Z", "a10", "a9", "b", "中", "Q1", "q2"]
    );
    for (i, e) in a.entities.iter().take(8).enumerate() {
        assert_eq!(e.rank, Some(i + 1));
        assert!(e.tie_broken);
    }
    assert_eq!(entity(&a, "Q1").excluded_by.as_deref(), Some("g"));
    assert_eq!(entity(&a, "q2").rank, None);
}

// ---------------------------------------------------------------- §8 determinism

/// With `SOURCE_DATE_EPOCH` set, the same inputs give byte-identical CSV, Markdown, HTML and
/// XLSX output.
#[test]
fn csv_md_html_and_xlsx_are_byte_identical_under_source_date_epoch() {
    let rules = std::fs::read(root().join("rules/liaocheng-benchmark.toml")).unwrap();
    let data = std::fs::read(root().join("fixtures/liaocheng-2023.csv")).unwrap();
    let dir = files(&[("r.toml", &rules), ("d.csv", &data)]);
    for ext in ["csv", "md", "html", "xlsx"] {
        let outs: Vec<Vec<u8>> = ["a", "b"]
            .iter()
            .map(|stem| {
                let out = format!("{stem}.{ext}");
                let (code, _, err) = run_in(
                    dir.path(),
                    &[
                        "score", "--rules", "r.toml", "--data", "d.csv", "--out", &out,
                    ],
                );
                assert_eq!(code, 0, "{err}");
                std::fs::read(dir.path().join(&out)).unwrap()
            })
            .collect();
        assert!(outs[0].len() > 1000, "{ext}");
        assert!(outs[0] == outs[1], "{ext} output differs between two runs");
    }
}

// ---------------------------------------------------------------- §8 audit block

/// The audit block names the engine (name and version), the rules' name, `version` and the
/// SHA-256 of the rules file's bytes, each data file with its SHA-256 and rows, and
/// `generated_at` from `SOURCE_DATE_EPOCH`.
#[test]
fn audit_block_names_engine_rules_version_and_sha256() {
    let rules = ORDER.replacen("id = \"id\"", "version = \"2024.1\"\nid = \"id\"", 1);
    let dir = files(&[
        ("r.toml", rules.as_bytes()),
        ("d.csv", ORDER_DATA.as_bytes()),
    ]);
    let j = json_in(dir.path(), &["--rules", "r.toml", "--data", "d.csv"]);
    let audit = &j["audit"];
    assert_eq!(
        audit["engine"],
        concat!("clusterscore ", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(audit["rules"]["name"], "order");
    assert_eq!(audit["rules"]["version"], "2024.1");
    // sha256sum of the two files' bytes, computed outside the program.
    assert_eq!(audit["rules"]["sha256"], RULES_SHA256);
    assert_eq!(audit["data"][0]["sha256"], DATA_SHA256);
    assert_eq!(audit["data"][0]["rows"], 5);
    assert_eq!(audit["year"], serde_json::Value::Null);
    // 1700000000 s after the epoch = 2023-11-14 22:13:20 UTC.
    assert_eq!(audit["generated_at"], "2023-11-14T22:13:20Z");
    assert_eq!(
        j["summary"],
        serde_json::json!({
            "entities": 5, "ranked": 5, "excluded": 0,
            "tiers": [{ "id": "top", "label": "top", "count": 2 }]
        })
    );
}

const RULES_SHA256: &str = "f60a569745bd90c61cc5f1c895b66c1c1212f21ffcaac38da73f78b4f10eb554";
const DATA_SHA256: &str = "5a1b28d6977e2315ae7cb94ab0d7be5ac718b9d000351df8d20784ab4cd1ff16";

// ---------------------------------------------------------------- §12 relative statistics

/// Relative statistics are taken over the transformed values of the ranked entities that
/// have a value; percentile ties are exact equality (5 and 5.0000000001 differ).
#[test]
fn relative_statistics_use_transformed_values_and_percentile_ties_are_exact() {
    let rules = r#"
[rules]
name = "rt"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "p"
[[dimension]]
id = "d"
[[criterion]]
id = "mm"
dimension = "d"
indicator = "x"
points = 10
method = "minmax"
transform = "log10"
[[criterion]]
id = "pc"
dimension = "d"
indicator = "p"
points = 10
method = "percentile"
"#;
    let a = score(rules, "id,x,p\nA,1,5\nB,10,5.0000000001\nC,100,5\nD,,7\n");
    // mm: log10 → 0, 1, 2 over A, B, C (D missing → 0 by policy zero) → 0, .5, 1.
    // pc: ascending 5 (A), 5 (C), 5.0000000001 (B), 7 (D): A and C tie on ranks 1, 2 → 1.5;
    //   fraction (r − 1)/(n − 1): A, C .5/3 = .1667; B 2/3; D 1.
    for (id, mm, pc, s) in [
        ("A", 0.0, 1.0 / 6.0, 1.67),
        ("B", 0.5, 2.0 / 3.0, 11.67),
        ("C", 1.0, 1.0 / 6.0, 11.67),
        ("D", 0.0, 1.0, 10.0),
    ] {
        let e = entity(&a, id);
        assert_abs_diff_eq!(e.criteria["mm"].fraction.unwrap(), mm, epsilon = 1e-12);
        assert_abs_diff_eq!(e.criteria["pc"].fraction.unwrap(), pc, epsilon = 1e-12);
        assert_relative_eq!(e.score, s);
    }
    assert_eq!(
        entity(&a, "D").criteria["mm"].missing.as_deref(),
        Some("zero")
    );
    assert_eq!(ids(&a), ["B", "C", "D", "A"]);
}

/// §7 published numbers at `decimals = 10`: fixed places in CSV, shortest form in JSON;
/// thousands separators and a trailing `%` read as numbers (12% kept as 12); half away from
/// zero at the tenth place (5e-11 → 1e-10, 4.999e-11 → 0).
#[test]
fn ten_decimals_are_published_fixed_in_csv_and_shortest_in_json() {
    let rules = "[rules]\nname = \"numfmt\"\nid = \"code\"\ndecimals = 10\n\n[[indicator]]\nid = \"x\"\n\n\
                 [[dimension]]\nid = \"d\"\n\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                 indicator = \"x\"\npoints = 1000000000\nmethod = \"direct\"\n";
    let data = "code,x\nA,123456789.125\nB,0.0000001\nC,\"1,234.5\"\nD,12%\nE,0.00000000005\nF,0.00000000004999\n";
    let dir = files(&[("r.toml", rules.as_bytes()), ("d.csv", data.as_bytes())]);
    let (code, csv, err) = run_in(
        dir.path(),
        &[
            "score", "--rules", "r.toml", "--data", "d.csv", "--format", "csv",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        rows,
        [
            "rank,id,name,score,tier,tier_label,excluded_by,d,c",
            "1,A,,123456789.1250000000,,,,123456789.1250000000,123456789.1250000000",
            "2,C,,1234.5000000000,,,,1234.5000000000,1234.5000000000",
            "3,D,,12.0000000000,,,,12.0000000000,12.0000000000",
            "4,B,,0.0000001000,,,,0.0000001000,0.0000001000",
            "5,E,,0.0000000001,,,,0.0000000001,0.0000000001",
            "6,F,,0.0000000000,,,,0.0000000000,0.0000000000",
        ]
    );
    let v = json_in(dir.path(), &["--rules", "r.toml", "--data", "d.csv"]);
    let scores: Vec<f64> = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores, [123456789.125, 1234.5, 12.0, 1e-7, 1e-10, 0.0]);
}
