//! Keys and flags documented in docs/rules.md and README.md that no other test or shipped
//! rules file exercised: each case is hand-computed, with data chosen so that ignoring the
//! key (using its default) would give a different result.

use crate::support::{entity, score, try_score};
use approx::assert_relative_eq;
use assert_cmd::Command;
use clusterscore::engine::{AssessOptions, Assessment, Detail};
use clusterscore::rules::Rules;
use std::path::Path;

fn bin() -> Command {
    Command::cargo_bin("clusterscore").unwrap()
}

/// Scores the data file at `path` (any format the reader takes) with `rules` (TOML text).
fn score_path(rules: &str, path: &Path) -> Assessment {
    let compiled = Rules::from_str_named(rules, "rules.toml")
        .and_then(|r| r.compile())
        .unwrap_or_else(|e| panic!("rules failed:\n{e}"));
    let ds = compiled
        .read_data(&[path.to_path_buf()], &compiled.read_options())
        .unwrap_or_else(|e| panic!("reading failed:\n{e}"));
    compiled
        .assess_with(
            &ds,
            &AssessOptions {
                generated_at: Some("2026-01-01T00:00:00Z".into()),
                detail: Detail::Entities,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("run failed:\n{e}"))
}

// ---------------------------------------------------------------------------------------
// 1. [rules].geometric_floor

const GEOMETRIC: &str = r#"
[rules]
name = "geometric floor"
id = "id"
aggregation = "geometric"
FLOOR

[[indicator]]
id = "x"
[[indicator]]
id = "y"

[[dimension]]
id = "d1"
[[dimension]]
id = "d2"

[[criterion]]
id = "c1"
dimension = "d1"
indicator = "x"
points = 10
method = "linear"
floor = 0
target = 10
[[criterion]]
id = "c2"
dimension = "d2"
indicator = "y"
points = 30
method = "linear"
floor = 0
target = 10
"#;

#[test]
fn geometric_floor_replaces_the_default_floor() {
    let data = "id,x,y\nA,0,5\nB,4,5\n";
    // No weights: W_d = M_d, so W1 = 10, W2 = 30, ΣW = 40 = final_max.
    // A: f1 = max(0, 0.2) = 0.2, f2 = 0.5:
    //   T = 40 × 0.2^(10/40) × 0.5^(30/40) = 40 × 0.668740 × 0.594604 = 15.9054 → 15.91
    // B: f1 = 0.4 (above the floor), f2 = 0.5:
    //   T = 40 × 0.4^0.25 × 0.5^0.75 = 40 × 0.795271 × 0.594604 = 18.9148 → 18.91
    let a = score(&GEOMETRIC.replace("FLOOR", "geometric_floor = 0.2"), data);
    assert_relative_eq!(entity(&a, "A").score, 15.91);
    assert_relative_eq!(entity(&a, "B").score, 18.91);
    // With the default floor 0.01, A would be 40 × 0.01^0.25 × 0.5^0.75 = 7.5212 → 7.52.
    let d = score(&GEOMETRIC.replace("FLOOR", ""), data);
    assert_relative_eq!(entity(&d, "A").score, 7.52);
    assert_relative_eq!(entity(&d, "B").score, 18.91);
    // geometric_floor = 1: every f_d = max(D_d/M_d, 1) = 1, so T = 40 for everyone.
    let one = score(&GEOMETRIC.replace("FLOOR", "geometric_floor = 1"), data);
    assert_relative_eq!(entity(&one, "A").score, 40.0);
    assert_relative_eq!(entity(&one, "B").score, 40.0);
    // The floor lies in (0, 1]: 0 and 1.5 are load errors.
    for bad in ["geometric_floor = 0", "geometric_floor = 1.5"] {
        let e = try_score(&GEOMETRIC.replace("FLOOR", bad), data).unwrap_err();
        assert!(e.contains("geometric_floor"), "{bad}: {e}");
    }
}

// ---------------------------------------------------------------------------------------
// 2. [data].sheet, [data].header_row and --sheet

const SHEETS: &str = r#"
[rules]
name = "sheets"
id = "id"

[data]
DATA

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
"#;

/// A workbook with a notes sheet first, then two data sheets whose row 1 is a title and row 2
/// the header: 2023年数据 has A = 3, B = 7; 2024年数据 has A = 8, B = 2.
fn workbook(path: &Path) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let notes = wb.add_worksheet().set_name("说明").unwrap();
    notes.write_string(0, 0, "填表说明").unwrap();
    notes.write_string(1, 0, "金额单位：亿元").unwrap();
    for (name, a, b) in [("2023年数据", 3.0, 7.0), ("2024年数据", 8.0, 2.0)] {
        let ws = wb.add_worksheet().set_name(name).unwrap();
        ws.write_string(0, 0, format!("{name}汇总表")).unwrap();
        ws.write_string(1, 0, "id").unwrap();
        ws.write_string(1, 1, "x").unwrap();
        ws.write_string(2, 0, "A").unwrap();
        ws.write_number(2, 1, a).unwrap();
        ws.write_string(3, 0, "B").unwrap();
        ws.write_number(3, 1, b).unwrap();
    }
    wb.save(path).unwrap();
}

#[test]
fn data_sheet_and_header_row_read_the_named_sheet_below_its_title() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("d.xlsx");
    workbook(&x);
    let rules = SHEETS.replace("DATA", "sheet = \"2023年数据\"\nheader_row = 2");
    // Sheet 2023年数据, header on row 2: A = 3 → 3 points, B = 7 → 7 points; B first.
    let a = score_path(&rules, &x);
    assert_eq!(a.entities.len(), 2);
    assert_relative_eq!(entity(&a, "A").score, 3.0);
    assert_relative_eq!(entity(&a, "B").score, 7.0);
    assert_eq!(entity(&a, "B").rank, Some(1));

    // Without either key the first sheet (说明) is read with its row 1 as the header: no id
    // column, so the run fails (the keys are what made it work).
    let r = dir.path().join("r.toml");
    std::fs::write(&r, SHEETS.replace("DATA", "")).unwrap();
    bin()
        .args(["score", "--format", "json", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&x)
        .assert()
        .code(1);

    // --sheet overrides [data].sheet: 2024年数据 gives A = 8, B = 2 (header_row still 2).
    std::fs::write(&r, &rules).unwrap();
    let out = bin()
        .args(["score", "--format", "json", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&x)
        .args(["--sheet", "2024年数据"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ents = v["entities"].as_array().unwrap();
    assert_eq!(ents.len(), 2);
    assert_eq!(ents[0]["id"], "A");
    assert_eq!(ents[0]["score"].as_f64(), Some(8.0));
    assert_eq!(ents[0]["rank"], 1);
    assert_eq!(ents[1]["id"], "B");
    assert_eq!(ents[1]["score"].as_f64(), Some(2.0));
}

#[test]
fn header_row_on_a_csv_skips_the_rows_above() {
    // Two rows above the header (a title and a unit line); header on row 3.
    let data = "2023年度数据表\n填报单位：某某\nid,x\nA,3\nB,7\n";
    let a = score(&SHEETS.replace("DATA", "header_row = 3"), data);
    // A = 3 and B = 7 points; the title and unit lines are not entities.
    assert_eq!(a.entities.len(), 2);
    assert_relative_eq!(entity(&a, "A").score, 3.0);
    assert_relative_eq!(entity(&a, "B").score, 7.0);
    // With the default header_row = 1 the title is the header: no id column.
    let err = try_score(&SHEETS.replace("DATA", ""), data).unwrap_err();
    assert!(err.contains("row 3"), "{err}");
}

// ---------------------------------------------------------------------------------------
// 3. Category tables { by, values, default }

const BY_REGION: &str = r#"
[rules]
name = "category tables"
id = "id"

[[indicator]]
id = "region"
kind = "category"
[[indicator]]
id = "b"
[[indicator]]
id = "l"
[[indicator]]
id = "t"
[[indicator]]
id = "p"
[[indicator]]
id = "lv"
kind = "category"

[[dimension]]
id = "all"

[[criterion]]
id = "bands_c"
dimension = "all"
indicator = "b"
points = 20
method = "bands"
bands = [
  { at_least = { by = "region", values = { "东部" = 100, "中部" = 50 }, default = 30 }, points = { by = "region", values = { "东部" = 20, "中部" = 16 }, default = 12 } },
]
[[criterion]]
id = "linear_c"
dimension = "all"
indicator = "l"
points = 10
method = "linear"
floor = { by = "region", values = { "东部" = 10, "中部" = 5 }, default = 0 }
target = { by = "region", values = { "东部" = 30, "中部" = 25 }, default = 20 }
[[criterion]]
id = "target_c"
dimension = "all"
indicator = "t"
points = 10
method = "target"
target = { by = "region", values = { "东部" = 40, "中部" = 20 }, default = 10 }
[[criterion]]
id = "per_c"
dimension = "all"
indicator = "p"
points = 10
method = "per"
step = { by = "region", values = { "东部" = 4, "中部" = 2 }, default = 1 }
points_per_step = { by = "region", values = { "东部" = 2, "中部" = 3 }, default = 1 }
[[criterion]]
id = "levels_c"
dimension = "all"
indicator = "lv"
points = 15
method = "levels"
levels = { "国家级" = { by = "region", values = { "东部" = 15, "中部" = 10 }, default = 5 }, "省级" = 3 }
"#;

const BY_REGION_DATA: &str = "id,region,b,l,t,p,lv\n\
E1,东部,80,20,10,5,国家级\n\
E2,中部,60,20,10,5,国家级\n\
E3,西部,40,20,10,5,国家级\n\
E4,,25,20,10,5,省级\n";

#[test]
fn category_tables_in_every_numeric_parameter() {
    let a = score(BY_REGION, BY_REGION_DATA);
    let frac = |id: &str, c: &str| entity(&a, id).criteria[c].fraction.unwrap();

    // E1 (东部): bands 80 < 100 → 0; linear (20 − 10)/(30 − 10) = 0.5; target 10/40 = 0.25;
    // per floor(5/4) = 1 step × 2 = 2 of 10 → 0.2; levels 国家级 → 15/15 = 1.
    // Total 0 + 5 + 2.5 + 2 + 15 = 24.5
    assert_relative_eq!(frac("E1", "bands_c"), 0.0);
    assert_relative_eq!(frac("E1", "linear_c"), 0.5);
    assert_relative_eq!(frac("E1", "target_c"), 0.25);
    assert_relative_eq!(frac("E1", "per_c"), 0.2);
    assert_relative_eq!(frac("E1", "levels_c"), 1.0);
    assert_relative_eq!(entity(&a, "E1").score, 24.5);

    // E2 (中部): bands 60 ≥ 50 → 16/20 = 0.8; linear (20 − 5)/(25 − 5) = 0.75;
    // target 10/20 = 0.5; per floor(5/2) = 2 steps × 3 = 6 → 0.6; levels 10/15.
    // Total 16 + 7.5 + 5 + 6 + 10 = 44.5
    assert_relative_eq!(frac("E2", "bands_c"), 0.8);
    assert_relative_eq!(frac("E2", "linear_c"), 0.75);
    assert_relative_eq!(frac("E2", "target_c"), 0.5);
    assert_relative_eq!(frac("E2", "per_c"), 0.6);
    assert_relative_eq!(frac("E2", "levels_c"), 10.0 / 15.0);
    assert_relative_eq!(entity(&a, "E2").score, 44.5);

    // E3 (西部, not listed → defaults): bands 40 ≥ 30 → 12/20 = 0.6; linear (20 − 0)/(20 − 0)
    // = 1; target 10/10 = 1; per 5 steps × 1 = 5 → 0.5; levels 国家级 default 5 → 5/15.
    // Total 12 + 10 + 10 + 5 + 5 = 42
    assert_relative_eq!(frac("E3", "bands_c"), 0.6);
    assert_relative_eq!(frac("E3", "linear_c"), 1.0);
    assert_relative_eq!(frac("E3", "target_c"), 1.0);
    assert_relative_eq!(frac("E3", "per_c"), 0.5);
    assert_relative_eq!(frac("E3", "levels_c"), 5.0 / 15.0);
    assert_relative_eq!(entity(&a, "E3").score, 42.0);

    // E4 (region missing → defaults): bands 25 < 30 → 0; linear 1; target 1; per 0.5;
    // levels 省级 is a plain 3 → 3/15 = 0.2. Total 0 + 10 + 10 + 5 + 3 = 28
    assert_relative_eq!(frac("E4", "bands_c"), 0.0);
    assert_relative_eq!(frac("E4", "linear_c"), 1.0);
    assert_relative_eq!(frac("E4", "per_c"), 0.5);
    assert_relative_eq!(frac("E4", "levels_c"), 0.2);
    assert_relative_eq!(entity(&a, "E4").score, 28.0);

    // Ranks: E2 44.5, E3 42, E4 28, E1 24.5.
    assert_eq!(entity(&a, "E2").rank, Some(1));
    assert_eq!(entity(&a, "E3").rank, Some(2));
    assert_eq!(entity(&a, "E4").rank, Some(3));
    assert_eq!(entity(&a, "E1").rank, Some(4));
}

#[test]
fn category_table_without_default_names_the_unlisted_entity() {
    // Drop the target table's default: E3 (西部) and E4 (missing) have no target.
    let rules = BY_REGION.replace(
        "values = { \"东部\" = 40, \"中部\" = 20 }, default = 10 }",
        "values = { \"东部\" = 40, \"中部\" = 20 } }",
    );
    assert_ne!(rules, BY_REGION);
    let e = try_score(&rules, BY_REGION_DATA).unwrap_err();
    assert!(
        e.contains("'target_c'") && e.contains("'E3'") && e.contains("西部"),
        "{e}"
    );
    // Only the listed categories: the run goes through, E1's target is still 10/40.
    let listed = "id,region,b,l,t,p,lv\nE1,东部,80,20,10,5,国家级\nE2,中部,60,20,10,5,国家级\n";
    let a = score(&rules, listed);
    assert_relative_eq!(
        entity(&a, "E1").criteria["target_c"].fraction.unwrap(),
        0.25
    );
}

// ---------------------------------------------------------------------------------------
// 4. transform = "sqrt"

const SQRT: &str = r#"
[rules]
name = "sqrt"
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
method = "linear"
floor = FLOOR
target = 64
transform = "sqrt"
[[criterion]]
id = "cx"
dimension = "d"
indicator = "x"
points = 10
method = "linear"
floor = FLOOR
target = 64
transform = "sqrt"
missing = "exclude"
"#;

#[test]
fn sqrt_transform_applies_to_thresholds_and_treats_negatives_as_missing() {
    let a = score(&SQRT.replace("FLOOR", "4"), "id,x\nA,25\nB,64\nC,-9\nD,1\n");
    // Thresholds √4 = 2 and √64 = 8. A: (√25 − 2)/(8 − 2) = 3/6 = 0.5 (untransformed it
    // would be (25 − 4)/60 = 0.35; value only transformed, (5 − 4)/60 = 0.0167).
    let e = entity(&a, "A");
    assert_relative_eq!(e.criteria["c"].fraction.unwrap(), 0.5);
    assert_relative_eq!(e.criteria["cx"].fraction.unwrap(), 0.5);
    assert_relative_eq!(e.score, 10.0);
    // The published value is before the transform.
    assert_eq!(e.criteria["c"].value, Some(serde_json::json!(25.0)));
    // B: √64 = 8 → 1, 10 + 10 = 20. D: √1 = 1 < 2 → 0.
    assert_relative_eq!(entity(&a, "B").score, 20.0);
    assert_relative_eq!(entity(&a, "D").criteria["c"].fraction.unwrap(), 0.0);
    // C: √(−9) is outside the domain → missing. Under the default `zero`: value null,
    // fraction 0; under `exclude` (cx): dropped, fraction null. Score 0, with a note.
    let e = entity(&a, "C");
    assert_eq!(e.criteria["c"].value, None);
    assert_relative_eq!(e.criteria["c"].fraction.unwrap(), 0.0);
    assert_eq!(e.criteria["c"].missing.as_deref(), Some("zero"));
    assert_eq!(e.criteria["cx"].fraction, None);
    assert_eq!(e.criteria["cx"].points, None);
    assert_relative_eq!(e.score, 0.0);
    assert!(
        e.notes
            .iter()
            .any(|n| n.contains("criterion 'c'") && n.contains("outside the domain of sqrt")),
        "{:?}",
        e.notes
    );
    // And the run says so apart from the missing-value warning, which reads as "not
    // reported": C reported −9.
    assert!(
        a.warnings.contains(&"criterion 'c': 1 reported value outside the domain of sqrt (-9) is treated as missing, so the missing policy scores it: C; if such a value should score low rather than as missing, transform in a formula indicator instead (`sqrt(max(x, 0))`)".to_string()),
        "{:?}",
        a.warnings
    );
    // A threshold outside the domain is a load error.
    let err = try_score(&SQRT.replace("FLOOR", "-1"), "id,x\nA,25\n").unwrap_err();
    assert!(
        err.contains("'floor' in [[criterion]] 'c' must be 0 or more (transform 'sqrt' is defined from 0 on), found -1"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------
// 5. kind = "number" and direction = "higher" written out

const DIRECTION: &str = r#"
[rules]
name = "direction"
id = "id"

[[indicator]]
id = "x"
KEYS

[[dimension]]
id = "d"

[[criterion]]
id = "t"
dimension = "d"
indicator = "x"
points = 10
method = "target"
target = 20
[[criterion]]
id = "m"
dimension = "d"
indicator = "x"
points = 10
method = "minmax"
"#;

#[test]
fn explicit_number_kind_and_higher_direction_equal_the_defaults() {
    let data = "id,x\nA,10\nB,30\n";
    let explicit = score(
        &DIRECTION.replace("KEYS", "kind = \"number\"\ndirection = \"higher\""),
        data,
    );
    // A: target min(10/20, 1) = 0.5 → 5; minmax (10 − 10)/(30 − 10) = 0 → 0. Total 5.
    // B: target min(30/20, 1) = 1 → 10; minmax 1 → 10. Total 20.
    assert_relative_eq!(entity(&explicit, "A").score, 5.0);
    assert_relative_eq!(entity(&explicit, "B").score, 20.0);
    assert_eq!(entity(&explicit, "B").rank, Some(1));
    let defaults = score(&DIRECTION.replace("KEYS", ""), data);
    assert_relative_eq!(entity(&defaults, "A").score, 5.0);
    assert_relative_eq!(entity(&defaults, "B").score, 20.0);
    // The key is read: "lower" turns it round. A: min(20/10, 1) = 1 → 10, minmax 1 → 10,
    // total 20; B: 20/30 → 6.67, minmax 0; total 6.67.
    let lower = score(&DIRECTION.replace("KEYS", "direction = \"lower\""), data);
    assert_relative_eq!(entity(&lower, "A").score, 20.0);
    assert_relative_eq!(entity(&lower, "B").score, 6.67);
}

// ---------------------------------------------------------------------------------------
// 6. score --out-encoding gbk

#[test]
fn out_encoding_gbk_writes_gbk_that_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(
        p("r.toml"),
        "[rules]\nname = \"gbk\"\nid = \"id\"\nlabel = \"name\"\n[[indicator]]\nid = \"x\"\n\
         [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
         indicator = \"x\"\npoints = 10\nmethod = \"direct\"\n",
    )
    .unwrap();
    std::fs::write(p("d.csv"), "id,name,x\nA,聊城轴承,3\nB,临清纺织,7\n").unwrap();
    bin()
        .args(["score", "--out-encoding", "gbk", "--rules"])
        .arg(p("r.toml"))
        .arg("--data")
        .arg(p("d.csv"))
        .arg("--out")
        .arg(p("out.csv"))
        .assert()
        .success();
    let bytes = std::fs::read(p("out.csv")).unwrap();
    // GBK, not UTF-8: no BOM, not valid UTF-8, the names' GBK bytes present.
    assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    assert!(std::str::from_utf8(&bytes).is_err());
    let (name_gbk, _, _) = encoding_rs::GBK.encode("临清纺织");
    assert!(bytes.windows(name_gbk.len()).any(|w| w == &name_gbk[..]));
    let (text, malformed) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
    assert!(!malformed);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "rank,id,name,score,tier,tier_label,excluded_by,d,c"
    );
    assert_eq!(lines[1], "1,B,临清纺织,7.00,,,,7.00,7.00");
    assert_eq!(lines[2], "2,A,聊城轴承,3.00,,,,3.00,3.00");

    // Read back as the data of a second rules file (encoding detected): points = score × 2.
    let second = "[rules]\nname = \"again\"\nid = \"id\"\nlabel = \"name\"\n\
                  [[indicator]]\nid = \"s\"\ncolumn = \"score\"\nmultiply = 2\n\
                  [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                  indicator = \"s\"\npoints = 20\nmethod = \"direct\"\n";
    let a = score_path(second, &p("out.csv"));
    // B: 7.00 × 2 = 14; A: 3.00 × 2 = 6; names decoded from GBK.
    assert_relative_eq!(entity(&a, "B").score, 14.0);
    assert_relative_eq!(entity(&a, "A").score, 6.0);
    assert_eq!(entity(&a, "B").name.as_deref(), Some("临清纺织"));
    assert_eq!(entity(&a, "A").name.as_deref(), Some("聊城轴承"));
}

/// Characters GBK lacks (an emoji) or writes otherwise than GB18030 (`€`) are written in
/// GB18030 and named in a warning; plain GBK text gets none.
#[test]
fn out_encoding_gbk_warns_of_characters_gbk_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(
        p("r.toml"),
        "[rules]\nname = \"gbk\"\nid = \"id\"\nlabel = \"name\"\n[[indicator]]\nid = \"x\"\n\
         [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
         indicator = \"x\"\npoints = 10\nmethod = \"direct\"\n",
    )
    .unwrap();
    let run = |data: &str| {
        std::fs::write(p("d.csv"), data).unwrap();
        let out = bin()
            .args(["score", "--out-encoding", "gbk", "--rules"])
            .arg(p("r.toml"))
            .arg("--data")
            .arg(p("d.csv"))
            .arg("--out")
            .arg(p("out.csv"))
            .assert()
            .success()
            .get_output()
            .stderr
            .clone();
        String::from_utf8(out).unwrap()
    };
    let warned = run("id,name,x\nA,😀集群,3\nB,€uro,7\nC,聊城,1\n");
    assert!(
        warned.contains(
            "--out-encoding gbk: 2 characters GBK lacks ('€' (in \"€uro\"), '😀' (in \"😀集群\"))"
        ),
        "{warned}"
    );
    assert!(!run("id,name,x\nA,聊城轴承,3\n").contains("--out-encoding gbk"));
}

// ---------------------------------------------------------------------------------------
// 7. compare --top N

#[test]
fn compare_top_lists_the_n_largest_rank_moves() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let rules = |col: &str| {
        format!(
            "[rules]\nname = \"by {col}\"\nid = \"id\"\n[[indicator]]\nid = \"{col}\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
             indicator = \"{col}\"\npoints = 10\nmethod = \"direct\"\n"
        )
    };
    std::fs::write(p("a.toml"), rules("x")).unwrap();
    std::fs::write(p("b.toml"), rules("y")).unwrap();
    // A (by x): E1 1, E2 2, E3 3, E4 4, E5 5. B (by y): E5 1, E1 2, E4 3, E2 4, E3 5.
    // Moves rank_a − rank_b: E5 +4, E2 −2, E3 −2, E1 −1, E4 +1 (|move| down, then id).
    std::fs::write(
        p("d.csv"),
        "id,x,y\nE1,9,9\nE2,8,7\nE3,7,6\nE4,6,8\nE5,5,10\n",
    )
    .unwrap();
    let run = |top: Option<&str>, json: bool| {
        let mut cmd = bin();
        cmd.arg("compare")
            .arg("--rules")
            .arg(p("a.toml"))
            .arg("--rules")
            .arg(p("b.toml"))
            .arg("--data")
            .arg(p("d.csv"));
        if json {
            cmd.args(["--format", "json"]);
        }
        if let Some(n) = top {
            cmd.args(["--top", n]);
        }
        String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
    };
    let moves = |top: Option<&str>| -> Vec<(String, i64, i64, i64)> {
        let v: serde_json::Value = serde_json::from_str(&run(top, true)).unwrap();
        v["rank_moves"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["id"].as_str().unwrap().to_string(),
                    m["rank_a"].as_i64().unwrap(),
                    m["rank_b"].as_i64().unwrap(),
                    m["change"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let all = vec![
        ("E5".to_string(), 5, 1, 4),
        ("E2".to_string(), 2, 4, -2),
        ("E3".to_string(), 3, 5, -2),
        ("E1".to_string(), 1, 2, -1),
        ("E4".to_string(), 4, 3, 1),
    ];
    // --top 2: the two largest moves; --top 3 adds E3; the default (10) lists all five.
    assert_eq!(moves(Some("2")), all[..2].to_vec());
    assert_eq!(moves(Some("3")), all[..3].to_vec());
    assert_eq!(moves(None), all);
    assert_eq!(moves(Some("0")), vec![]);
    // The text report's table has the same rows: with --top 2, E5 and E2 but not E3.
    let text = run(Some("2"), false);
    let table = text.split("Largest rank moves").nth(1).expect(&text);
    assert!(table.contains("E5") && table.contains("+4"), "{text}");
    assert!(table.contains("E2") && table.contains("-2"), "{text}");
    assert!(!table.contains("E3") && !table.contains("E1"), "{text}");
}
