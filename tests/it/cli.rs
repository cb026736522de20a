//! The binary: exit codes, output files, refusal to overwrite inputs, reproducible output.

use assert_cmd::Command;

fn bin() -> Command {
    Command::cargo_bin("clusterscore").unwrap()
}

/// `clusterscore score --rules RULES --data DATA --out OUT`.
fn score_to(
    rules: impl AsRef<std::ffi::OsStr>,
    data: impl AsRef<std::ffi::OsStr>,
    out: impl AsRef<std::ffi::OsStr>,
) -> Command {
    let mut cmd = bin();
    cmd.args(["score", "--rules"])
        .arg(rules)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out);
    cmd
}

const RULES: &str = r#"
[rules]
name = "cli"
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
"#;

fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    let d = dir.path().join("d.csv");
    std::fs::write(&r, RULES).unwrap();
    std::fs::write(&d, "id,x\nA,3\nB,7\n").unwrap();
    (dir, r, d)
}

#[test]
fn score_writes_csv_with_bom_and_ids_as_headers() {
    let (dir, r, d) = setup();
    let out = dir.path().join("out.csv");
    score_to(&r, &d, &out).assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "rank,id,name,score,tier,tier_label,excluded_by,d,c"
    );
    assert_eq!(lines[1], "1,B,,7.00,,,,7.00,7.00");
}

#[test]
fn json_is_byte_identical_with_source_date_epoch() {
    let (_dir, r, d) = setup();
    let run = || {
        bin()
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .args(["score", "--format", "json", "--rules"])
            .arg(&r)
            .arg("--data")
            .arg(&d)
            .output()
            .unwrap()
            .stdout
    };
    let a = run();
    assert_eq!(a, run());
    let text = String::from_utf8(a).unwrap();
    assert!(text.contains("\"generated_at\": \"2026-01-01T00:00:00Z\""));
}

#[test]
fn output_equal_to_an_input_is_refused_and_nothing_is_written() {
    let (_dir, r, d) = setup();
    let before = std::fs::read(&d).unwrap();
    score_to(&r, &d, &d)
        .arg("--format")
        .arg("csv")
        .assert()
        .code(2);
    assert_eq!(std::fs::read(&d).unwrap(), before);
}

#[test]
fn unknown_extension_and_missing_directory_are_errors() {
    let (dir, r, d) = setup();
    score_to(&r, &d, dir.path().join("x.txt")).assert().code(2);
    // A missing directory or a directory as --out: usage errors, found before any work.
    let missing = dir.path().join("nope").join("x.csv");
    score_to(&r, &d, &missing)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("does not exist"));
    assert!(!missing.exists());
    score_to(&r, &d, dir.path())
        .args(["--format", "csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a directory"));
}

#[test]
fn bad_rules_exit_1_with_location_and_did_you_mean() {
    let (dir, _r, d) = setup();
    let r = dir.path().join("bad.toml");
    std::fs::write(
        &r,
        RULES.replace("method = \"direct\"", "method = \"direct\"\npoitns = 3"),
    )
    .unwrap();
    let out = bin()
        .args(["score", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.toml:15:1"), "{err}");
    assert!(
        err.contains("unknown key 'poitns'") && err.contains("did you mean 'points'"),
        "{err}"
    );
}

#[test]
fn bad_cell_names_file_row_column_and_value() {
    let (dir, r, _d) = setup();
    let d = dir.path().join("bad.csv");
    std::fs::write(&d, "id,x\nA,3\nB,abc\n").unwrap();
    let out = bin()
        .args(["score", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("row 3") && err.contains("\"x\"") && err.contains("abc"),
        "{err}"
    );
}

#[test]
fn check_summarises_and_lints_without_failing() {
    let (dir, _r, _d) = setup();
    let r = dir.path().join("lint.toml");
    std::fs::write(
        &r,
        format!("{RULES}\n[[indicator]]\nid = \"unused\"\n[[tier]]\nid = \"t\"\nmin_score = 50\n"),
    )
    .unwrap();
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("maximum score: 10 (additive aggregation)\n"),
        "{text}"
    );
    assert!(text.contains("warning[unused-indicator]"), "{text}");
    assert!(text.contains("warning[unreachable-tier]"), "{text}");
    // Adjustments raise what can be reached, clamp caps it: both are said.
    let adjusted = dir.path().join("adjusted.toml");
    std::fs::write(
        &adjusted,
        RULES.replace("id = \"id\"\n", "id = \"id\"\nclamp = [0, 12]\n")
            + "[[adjustment]]\nid = \"bonus\"\nwhen = \"x > 5\"\npoints = 3\n",
    )
    .unwrap();
    let out = bin().arg("check").arg(&adjusted).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "maximum score: 10 (additive aggregation); at most 12 if every bonus applies, capped by clamp\n"
        ),
        "{text}"
    );
    // Points raised without the bands: what can be reached, which criterion holds it back,
    // and the tier it puts out of reach. With two weighted dimensions: 60 × 6/10 + 40 = 76.
    let short = dir.path().join("short.toml");
    std::fs::write(
        &short,
        r#"
[rules]
name = "short"
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
id = "banded"
dimension = "a"
indicator = "x"
points = 10
method = "bands"
bands = [{ at_least = 5, points = 6 }, { at_least = 1, points = 3 }]
[[criterion]]
id = "plain"
dimension = "b"
indicator = "x"
points = 10
method = "direct"
[[tier]]
id = "top"
min_score = 80
"#,
    )
    .unwrap();
    let out = bin().arg("check").arg(&short).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "maximum score: 100 (additive aggregation); at most 76 can be reached ('banded' pays at most 6 of 10)\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "warning[unreachable-tier]: tier 'top' needs 80 points but at most 76 can be scored"
        ),
        "{text}"
    );
    assert!(
        text.contains("warning[points-never-paid]: criterion 'banded': no band pays its 10 points, the best pays 6"),
        "{text}"
    );
}

/// A tier's `requires` conditions are printed joined by "and"; one holding an `or` is put in
/// parentheses, so the line reads as the conditions are evaluated.
#[test]
fn check_prints_requires_with_or_in_parentheses() {
    let r = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/miit-innovative-sme.toml");
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "requires (innovation >= 20 or direct_path) and (growth >= 15 or direct_path) and \
             (specialization >= 15 or direct_path), direct"
        ),
        "{text}"
    );
    // One condition alone is printed as written.
    let (dir, _r, _d) = setup();
    let one = dir.path().join("one.toml");
    std::fs::write(
        &one,
        format!("{RULES}\n[[tier]]\nid = \"t\"\nrequires = [\"x > 1 or x < 0\"]\n"),
    )
    .unwrap();
    let out = bin().arg("check").arg(&one).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("requires x > 1 or x < 0"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    bin().args(["score", "--rules", "x.toml"]).assert().code(2);
    bin().args(["frobnicate"]).assert().code(2);
    // A malformed SOURCE_DATE_EPOCH is refused, not replaced by the current time.
    let (_dir, r, _) = setup();
    for bad in ["abc", "1.5", "-1", "99999999999999"] {
        bin()
            .env("SOURCE_DATE_EPOCH", bad)
            .arg("check")
            .arg(&r)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("SOURCE_DATE_EPOCH"));
    }
    bin()
        .env("SOURCE_DATE_EPOCH", "")
        .arg("check")
        .arg(&r)
        .assert()
        .success();
    // --level with --ahp but without --write-into would be ignored: refused.
    bin()
        .args(["weights", "--ahp"])
        .arg(crate::support::root().join("tests/bad_inputs/ahp_divide_by_zero/ahp.toml"))
        .args(["--level", "dimensions"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--write-into"));
}

#[test]
fn chained_workflow_rolls_enterprise_results_up_to_clusters() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let step1 = dir.path().join("zjtx.csv");
    score_to(
        root.join("rules/miit-zjtx-sme.toml"),
        root.join("fixtures/enterprises-2023.csv"),
        &step1,
    )
    .assert()
    .success();
    let text = std::fs::read_to_string(&step1).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.ends_with(",cluster,cluster_name,创新型中小企业"),
        "{header}"
    );
    // Count 专精特新 results per cluster in step 1's output by hand.
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let h = r.headers().unwrap().clone();
    let (ti, ci) = (
        h.iter().position(|x| x == "tier").unwrap(),
        h.iter().position(|x| x == "cluster").unwrap(),
    );
    let lc01 = r
        .records()
        .map(|x| x.unwrap())
        .filter(|x| &x[ci] == "LC01" && &x[ti] == "zjtx")
        .count();
    let out = bin()
        .args(["score", "--format", "json", "--rules"])
        .arg(root.join("rules/liaocheng-zjtx-rollup.toml"))
        .arg("--data")
        .arg(&step1)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let e = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "LC01")
        .unwrap();
    assert_eq!(
        e["criteria"]["zjtx"]["value"].as_f64().unwrap(),
        lc01 as f64
    );
    assert_eq!(v["summary"]["entities"], 28);
}

/// The JSON document of `score` with the shipped pack `rules` on `data`, without the audit's
/// data entries (file paths and hashes differ between two encodings of the same data).
fn json_without_data_audit(rules: &str, data: &std::path::Path) -> serde_json::Value {
    let mut v = score_json(rules, data);
    v["audit"]["data"] = serde_json::Value::Null;
    v
}

/// The JSON of `score` with `rules` (from the project's root) on `data`.
fn score_json(rules: &str, data: &std::path::Path) -> serde_json::Value {
    let out = bin()
        .env("SOURCE_DATE_EPOCH", "0")
        .args(["score", "--format", "json", "--rules"])
        .arg(crate::support::root().join(rules))
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn gbk_fixture_scores_like_its_utf8_twin() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run =
        |data: &str| json_without_data_audit("rules/liaocheng-benchmark.toml", &root.join(data));
    assert_eq!(
        run("fixtures/liaocheng-2023.csv"),
        run("fixtures/liaocheng-2023-gbk.csv")
    );
}

#[test]
fn check_reports_expression_errors_without_data() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(
        &r,
        RULES.replace(
            "[[indicator]]\nid = \"x\"",
            "[[indicator]]\nid = \"x\"\nformula = \"foo(y) + round(y)\"",
        ),
    )
    .unwrap();
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("unknown function 'foo' at 1:1"), "{err}");
    // A column compared with text and with a number is fine: its type comes from the data.
    std::fs::write(
        &r,
        RULES.replace(
            "[[indicator]]\nid = \"x\"",
            "[[indicator]]\nid = \"x\"\nformula = \"if(region == 'east' and y > 2, 1, 0)\"",
        ),
    )
    .unwrap();
    bin().arg("check").arg(&r).assert().code(0);
    // No typing of yn and txt works: the error is the one every guess meets (a condition
    // added to a number), not the comparison of a column guessed to be yes/no.
    std::fs::write(
        &r,
        RULES.replace(
            "[[indicator]]\nid = \"x\"",
            "[[indicator]]\nid = \"x\"\nformula = \"if(yn, 1, 0) + (txt > 1)\"",
        ),
    )
    .unwrap();
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("expected a number, found bool at 1:17"),
        "{err}"
    );
    assert!(!err.contains("cannot compare a bool"), "{err}");
}

/// Formulas over many data columns are type-checked by `check` too (audit28_bad F1: seven or
/// more columns passed with an unknown function, a wrong argument count or a result of the
/// wrong kind); past the typing budget only the errors no typing avoids are reported.
#[test]
fn check_reports_errors_in_formulas_over_many_columns() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    let check = |formula: &str| {
        std::fs::write(
            &r,
            RULES.replace(
                "[[indicator]]\nid = \"x\"",
                &format!("[[indicator]]\nid = \"x\"\nformula = \"{formula}\""),
            ),
        )
        .unwrap();
        let out = bin().arg("check").arg(&r).output().unwrap();
        (out.status.code(), String::from_utf8(out.stderr).unwrap())
    };
    let six = "`国家级` + `省级` + `市级` + `县级` + `技术中心` + `研究中心`";
    let (code, err) = check(&format!("{six} + pow(`实验室`, 2)"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("unknown function 'pow'"), "{err}");
    let (code, err) = check(&format!("{six} + round(`实验室`)"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("`round` takes 2 arguments"), "{err}");
    let (code, err) = check(&format!("{six} + `实验室` > 3"));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("gives a bool, but the indicator is of kind number"),
        "{err}"
    );
    // Valid when the last column holds text: found among the typings, no error.
    let (code, err) = check(&format!("{six} + if(`类别` == '甲', 1, 0)"));
    assert_eq!(code, Some(0), "{err}");
    // Thirteen columns: too many typings to try. An unknown function is still reported; a
    // type question (is c12 text?) is left to the data.
    let thirteen: Vec<String> = (0..12).map(|i| format!("c{i}")).collect();
    let thirteen = thirteen.join(" + ");
    let (code, err) = check(&format!("{thirteen} + pow(c12, 2)"));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("unknown function 'pow'"), "{err}");
    let (code, err) = check(&format!("{thirteen} + if(c12 == 'a', 1, 0)"));
    assert_eq!(code, Some(0), "{err}");
    // Ten text columns in a condition: valid (the typing with every column a text is among
    // the first tried), and an error the all-numbers typing would not reach is found by the
    // all-texts one.
    let ten: Vec<String> = (0..10).map(|i| format!("t{i} == 'x'")).collect();
    let (code, err) = check(&format!("if({}, 1, 0)", ten.join(" and ")));
    assert_eq!(code, Some(0), "{err}");
    let thirteen: Vec<String> = (0..13).map(|i| format!("t{i} == 'x'")).collect();
    let (code, err) = check(&format!(
        "if({} and pow(t0) == 'y', 1, 0)",
        thirteen.join(" and ")
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("unknown function 'pow'"), "{err}");
}

/// A directory that refuses new files only when one is created (`/proc`, even for root, whom
/// the permission pre-check lets through): the message names the directory, never the
/// temporary file's name (audit28_bad F6).
#[test]
fn out_in_a_directory_that_refuses_files_names_the_directory() {
    let (_dir, r, d) = setup();
    let out = score_to(&r, &d, std::path::Path::new("/proc/out.json"))
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    // A usage error found before any work, for root (whose permission check passes: a file
    // is tried) as for anyone else (no permission).
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot write '/proc/out.json'"), "{err}");
    assert!(
        err.contains("create files in '/proc'") || err.contains("created in '/proc'"),
        "{err}"
    );
    assert!(!err.contains(".clusterscore-"), "{err}");
}

/// `year` needs `[data].year_column` (SPEC §3): known without data, so `check` fails too,
/// at the key, instead of passing a file every `score` rejects.
#[test]
fn check_rejects_a_year_without_a_year_column() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    let with_year = RULES.replacen("[rules]\n", "[rules]\nyear = 2023\n", 1);
    assert_ne!(with_year, RULES);
    std::fs::write(&r, &with_year).unwrap();
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("r.toml:3:8: error: 'year' in [rules]"),
        "{err}"
    );
    assert!(err.contains("year_column"), "{err}");
    std::fs::write(&r, format!("{with_year}\n[data]\nyear_column = \"year\"\n")).unwrap();
    bin().arg("check").arg(&r).assert().code(0);
}

#[test]
fn xlsx_without_a_writable_temporary_directory_says_so_and_writes_nothing() {
    let (dir, r, d) = setup();
    let out = dir.path().join("out.xlsx");
    let missing = dir.path().join("no-such-dir");
    let result = score_to(&r, &d, &out)
        .env("TMPDIR", &missing)
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&result.get_output().stderr).to_string();
    assert!(err.contains("cannot create a temporary file"), "{err}");
    assert!(
        err.contains("no-such-dir") && err.contains("TMPDIR"),
        "{err}"
    );
    assert!(!out.exists());
    // With a writable one the same run succeeds.
    score_to(&r, &d, &out)
        .env("TMPDIR", dir.path())
        .assert()
        .success();
    assert!(out.exists());
}

#[test]
fn xlsx_twin_scores_like_the_csv() {
    // Write the Liaocheng fixture as a workbook (numbers as numbers, text as text), score both.
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("liaocheng-2023.xlsx");
    let mut r = csv::Reader::from_path(root.join("fixtures/liaocheng-2023.csv")).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in r.headers().unwrap().iter().enumerate() {
        ws.write_string(0, c as u16, h.trim_start_matches('\u{feff}'))
            .unwrap();
    }
    for (i, rec) in r.records().enumerate() {
        for (c, v) in rec.unwrap().iter().enumerate() {
            let (row, col) = (i as u32 + 1, c as u16);
            match v.parse::<f64>() {
                Ok(x) => ws.write_number(row, col, x).unwrap(),
                Err(_) if v.is_empty() => ws,
                Err(_) => ws.write_string(row, col, v).unwrap(),
            };
        }
    }
    wb.save(&xlsx).unwrap();
    let run =
        |data: &std::path::Path| json_without_data_audit("rules/liaocheng-benchmark.toml", data);
    assert_eq!(run(&root.join("fixtures/liaocheng-2023.csv")), run(&xlsx));
}

/// The run's warnings reach stderr where the output does not carry them: a CSV (SPEC §12's
/// "the latest year present is scored, with a warning"), output redirected from the
/// terminal, and explain, compare and weights.
#[test]
fn warnings_reach_stderr_when_the_output_does_not_show_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.toml"),
        r#"[rules]
name = "years"
id = "code"
[data]
year_column = "year"
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
"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("d.csv"),
        "code,year,x\nA,2022,1\nA,2023,2\nB,2023,3\n",
    )
    .unwrap();
    let warning = "warning: no year selected: scoring the latest year in the data, 2023";
    let run = |args: &[&str]| {
        let out = Command::cargo_bin("clusterscore")
            .unwrap()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let data = ["--rules", "r.toml", "--data", "d.csv"];
    let with = |cmd: &str, more: &[&str]| {
        let mut v = vec![cmd];
        v.extend(data);
        v.extend(more);
        run(&v)
    };
    let (csv, err) = with("score", &["--format", "csv"]);
    assert!(csv.contains("1,B,,3.00"), "{csv}");
    assert!(err.contains(warning), "{err}");
    let (_, err) = with("score", &["--out", "out.json"]);
    assert!(err.contains(warning), "{err}");
    // Markdown holds them; on a terminal it is read there, but here stdout is a pipe (as
    // `> r.md` is a file): they reach stderr too (audit26_cli F7).
    let (md, err) = with("score", &[]);
    assert!(md.contains("scoring the latest year"), "{md}");
    assert!(err.contains(warning), "{err}");
    let (_, err) = with("explain", &["--id", "A"]);
    assert!(err.contains(warning), "{err}");
    let (_, err) = run(&[
        "compare", "--rules", "r.toml", "--rules", "r.toml", "--data", "d.csv",
    ]);
    assert!(err.contains("warning: r.toml: no year selected"), "{err}");
}

/// A number column formatted as percentages is read in percent units (5% → 5, as the CSV
/// text `5%` reads), so a rule in percent units scores it; a `multiply` on it is said to
/// apply on top; a category column shown as percentages (its cells read as text) is left
/// alone.
#[test]
fn percent_formatted_columns_are_read_in_percent_units() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("d.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let pct = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    for (c, h) in ["code", "rd", "band"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, id) in ["A", "B"].iter().enumerate() {
        let r = r as u32 + 1;
        ws.write_number_with_format(r, 1, 0.04 * f64::from(r), &pct)
            .unwrap();
        ws.write_string(r, 0, *id).unwrap();
        ws.write_number_with_format(r, 2, f64::from(r), &pct)
            .unwrap();
    }
    wb.save(&xlsx).unwrap();
    let rules = |multiply: &str| {
        format!(
            "[rules]\nname = \"p\"\nid = \"code\"\n[[indicator]]\nid = \"rd_pct\"\ncolumn = \"rd\"\n\
             {multiply}[[indicator]]\nid = \"band\"\nkind = \"category\"\n\
             [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
             indicator = \"rd_pct\"\npoints = 10\nmethod = \"bands\"\n\
             bands = [{{ at_least = 5, points = 10 }}]\n[[criterion]]\nid = \"l\"\n\
             dimension = \"d\"\nindicator = \"band\"\npoints = 1\nmethod = \"levels\"\n\
             levels = {{ \"1\" = 1, \"2\" = 1 }}\n"
        )
    };
    let run = |text: String| -> (String, String) {
        let r = dir.path().join("r.toml");
        std::fs::write(&r, text).unwrap();
        let out = bin()
            .args(["score", "--format", "csv", "--rules"])
            .arg(&r)
            .arg("--data")
            .arg(&xlsx)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        (
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    // B's 8% is 8 ≥ 5 and earns the band; A's 4% does not; both levels score.
    let (csv, err) = run(rules(""));
    assert!(csv.contains("1,B,,11.00,"), "{csv}");
    assert!(csv.contains("2,A,,1.00,"), "{csv}");
    assert!(
        err.contains(
            "a column formatted as percentages is read in percent units, as the same cells saved \
             as CSV text (5%) are: \"rd\" (B2 shows 4%, read as 4)"
        ),
        "{err}"
    );
    assert!(!err.contains("multiplies a second time"), "{err}");
    let (_, err) = run(rules("multiply = 100\n"));
    assert!(
        err.contains("an indicator also rescales \"rd\" with `multiply`"),
        "{err}"
    );
}

/// Credit codes typed as numbers in a workbook keep about 15 digits: a text column (the
/// id) holding a number of 16 or more digits is warned of with its first cell and a count;
/// 15 digits or a number column are not.
#[test]
fn xlsx_ids_stored_as_long_numbers_are_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("d.xlsx");
    let rules = dir.path().join("r.toml");
    std::fs::write(
        &rules,
        "[rules]\nname = \"t\"\nid = \"code\"\n[[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n\
         [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 1\nmethod = \"minmax\"\n",
    )
    .unwrap();
    // A workbook of `codes` stored as numbers (x = 1e16 each), scored: exit code, stderr.
    let score_codes = |codes: &[f64]| -> (Option<i32>, String) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["code", "x"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, code) in codes.iter().enumerate() {
            ws.write_number(r as u32 + 1, 0, *code).unwrap();
            ws.write_number(r as u32 + 1, 1, 1e16).unwrap();
        }
        wb.save(&xlsx).unwrap();
        let out = Command::cargo_bin("clusterscore")
            .unwrap()
            .args(["score", "--format", "csv", "--rules"])
            .arg(&rules)
            .arg("--data")
            .arg(&xlsx)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = score_codes(&[
        913701002345678901.0,
        123456789012345.0,
        913701002345678999.0,
    ]);
    assert_eq!(code, Some(0));
    assert!(
        err.contains("d.xlsx, sheet \"Sheet1\": column \"code\" is read as text, but cell A2 and 1 more hold a number of 16 or more digits (913701002345678800): a workbook keeps about 15 significant digits"),
        "{err}"
    );
    assert_eq!(err.matches("16 or more digits").count(), 1, "{err}");
    // Two codes that became one number: the duplicate-id error says why.
    let (code, err) = score_codes(&[913701002345678901.0, 913701002345678855.0]);
    assert_eq!(code, Some(1));
    assert!(err.contains("duplicate ids: '913701002345678800'"), "{err}");
    assert!(
        err.contains(
            "help: '913701002345678800' is a number of 16 or more digits read from a workbook"
        ),
        "{err}"
    );
}

/// Errors found after reading (a value outside `levels`, a cell an indicator cannot read)
/// name the workbook's sheet as the reader's own errors do.
#[test]
fn data_errors_after_reading_name_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("d.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("名单").unwrap();
    for (c, h) in ["code", "region", "x"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (id, region)) in [("A", "east"), ("B", "north")].iter().enumerate() {
        ws.write_string(r as u32 + 1, 0, *id).unwrap();
        ws.write_string(r as u32 + 1, 1, *region).unwrap();
        ws.write_number(r as u32 + 1, 2, 1.0).unwrap();
    }
    wb.save(&xlsx).unwrap();
    let rules = dir.path().join("r.toml");
    std::fs::write(
        &rules,
        r#"[rules]
name = "levels"
id = "code"
[[indicator]]
id = "region"
kind = "category"
levels = ["east", "west"]
[[indicator]]
id = "x"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "x"
points = 1
method = "direct"
"#,
    )
    .unwrap();
    let out = Command::cargo_bin("clusterscore")
        .unwrap()
        .args(["score", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&xlsx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("d.xlsx, sheet \"名单\", row 3, column \"region\": error: \"north\" is not one of the levels"),
        "{err}"
    );
}

/// A workbook with a sheet per year, read without a sheet named: "no rows for year" says
/// which sheet was read and names the others with the --sheet that chooses one.
#[test]
fn no_rows_for_the_year_names_the_sheet_read_and_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("y.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    for year in [2022.0, 2023.0] {
        let ws = wb.add_worksheet();
        ws.set_name(format!("{year}")).unwrap();
        for (c, h) in ["code", "year", "x"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "A").unwrap();
        ws.write_number(1, 1, year).unwrap();
        ws.write_number(1, 2, 1.0).unwrap();
    }
    wb.save(&xlsx).unwrap();
    let rules = dir.path().join("r.toml");
    std::fs::write(
        &rules,
        "[rules]\nname = \"y\"\nid = \"code\"\nyear = 2023\n[data]\nyear_column = \"year\"\n\
         [[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\n\
         dimension = \"d\"\nindicator = \"x\"\npoints = 1\nmethod = \"direct\"\n",
    )
    .unwrap();
    let run = |sheet: Option<&str>| {
        let mut cmd = Command::cargo_bin("clusterscore").unwrap();
        cmd.args(["score", "--rules"])
            .arg(&rules)
            .arg("--data")
            .arg(&xlsx);
        if let Some(s) = sheet {
            cmd.args(["--sheet", s]);
        }
        cmd.output().unwrap()
    };
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(":4:8: error: no rows for year 2023 in column 'year' of '")
            && err.contains("year = 2023\n  |        ^^^^\n")
            && err.contains("help: years in the data: 2022; set [rules] year to one of them, or choose one with --year; sheet \"2022\" was read, the first visible one; the workbook's other sheets: \"2023\": choose one with --sheet \"2023\""),
        "{err}"
    );
    // The same year asked for with --year: said so, not pointed at the rules.
    let mut cmd = Command::cargo_bin("clusterscore").unwrap();
    let out = cmd
        .args(["score", "--year", "2021", "--rules"])
        .arg(&rules)
        .arg("--data")
        .arg(&xlsx)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error: no rows for year 2021 (--year) in column 'year' of '")
            && err.contains(".xlsx'\n  help: years in the data: 2022;"),
        "{err}"
    );
    assert_eq!(run(Some("2023")).status.code(), Some(0));
}

/// The shipped workbook fixture (SPEC §11: an XLSX file; written by another program than
/// clusterscore's own writer, sheet "集群数据", numbers as numbers and 是/否 as text) scores
/// exactly like its CSV twin under the Jilin pack.
#[test]
fn shipped_xlsx_fixture_scores_like_its_csv_twin() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let run = |data: &str| json_without_data_audit("rules/jilin-2006.toml", &root.join(data));
    let csv = run("fixtures/jilin-2010.csv");
    assert_eq!(csv["entities"].as_array().unwrap().len(), 60);
    assert_eq!(run("fixtures/jilin-2010.xlsx"), csv);
}

/// The audit names the sheet a workbook was read from (which sheet the scores come from is
/// part of what reproduces them); delimited text has no sheet and no such key.
#[test]
fn the_audit_names_the_sheet_read() {
    let audit = |data: &str| -> serde_json::Value {
        score_json("rules/jilin-2006.toml", &crate::support::root().join(data))["audit"]["data"][0]
            .clone()
    };
    assert_eq!(audit("fixtures/jilin-2010.xlsx")["sheet"], "集群数据");
    let csv = audit("fixtures/jilin-2010.csv");
    assert!(csv.get("sheet").is_none(), "{csv}");
    assert_eq!(csv["rows"], 60);
}

/// Flat operator chains of 10,000 terms are ordinary expressions (issue 8): they check,
/// score and explain like short ones (debug build, the binary's own stack). 10,000 nested
/// parentheses stay an error naming the position.
#[test]
fn ten_thousand_term_flat_chains_score() {
    let n = 10_000;
    // x - x + x - x + … + x = x (10,001 terms); a gate of 10,000 comparisons joined by and.
    let formula = format!("x{}", " - x + x".repeat(n / 2));
    let gate = vec!["y > 0"; n].join(" and ");
    let rules = format!(
        r#"
[rules]
name = "cli"
id = "id"
[[indicator]]
id = "x"
[[indicator]]
id = "y"
[[indicator]]
id = "f"
formula = "{formula}"
[[dimension]]
id = "d"
[[criterion]]
id = "c"
dimension = "d"
indicator = "f"
points = 10
method = "direct"
[[gate]]
id = "g"
require = "{gate}"
"#
    );
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    let d = dir.path().join("d.csv");
    std::fs::write(&r, &rules).unwrap();
    std::fs::write(&d, "id,x,y\nA,3,1\nB,7,1\nC,9,0\n").unwrap();
    bin().arg("check").arg(&r).assert().code(0);
    let out = dir.path().join("out.csv");
    score_to(&r, &d, &out).assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines[1], "1,B,,7.00,,,,7.00,7.00", "{text}");
    assert_eq!(lines[2], "2,A,,3.00,,,,3.00,3.00", "{text}");
    assert!(
        lines[3].contains(",C,") && lines[3].contains(",g,"),
        "{text}"
    );
    bin()
        .args(["explain", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .args(["--id", "B"])
        .assert()
        .success();

    // 10,000 nested parentheses in the same place: exit 1, located, no crash.
    let deep = format!("{}x{}", "(".repeat(n), ")".repeat(n));
    std::fs::write(&r, rules.replace(&formula, &deep)).unwrap();
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nested too deeply at 1:201"), "{err}");
    assert!(
        !err.contains("overflow") && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn every_command_that_reads_data_takes_the_read_options() {
    // A semicolon-delimited file in GBK: every command reading --data reads it with
    // --delimiter and --encoding (only `score` could before), and the options without --data
    // are a usage error.
    let (dir, r, _) = setup();
    let d = dir.path().join("d.txt");
    let text = "id;x\n甲;3\n乙;7\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    std::fs::write(&d, &gbk).unwrap();
    let read = ["--delimiter", ";", "--encoding", "gbk"];
    let run = |args: &[&str]| {
        let mut cmd = bin();
        cmd.args(args)
            .arg("--rules")
            .arg(&r)
            .arg("--data")
            .arg(&d)
            .args(read);
        cmd
    };
    let json = |mut cmd: Command| -> serde_json::Value {
        serde_json::from_slice(&cmd.assert().success().get_output().stdout).unwrap()
    };
    let v = json(run(&["explain", "--id", "乙", "--format", "json"]));
    assert_eq!(v["score"], serde_json::json!(7.0));
    assert_eq!(v["rank"], serde_json::json!(1));
    let v = json(run(&["sensitivity", "--runs", "5", "--format", "json"]));
    assert_eq!(v["entities"][0]["id"], "乙");
    run(&["weights", "--method", "entropy"]).assert().success();
    // (`run` adds the second --rules.)
    let v = json(run(&[
        "compare",
        "--format",
        "json",
        "--rules",
        r.to_str().unwrap(),
    ]));
    assert_eq!(v["spearman"], serde_json::json!(1.0));
    // Without the options the file is one column: an error, not a silent misreading.
    bin()
        .args(["explain", "--id", "乙", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .assert()
        .code(1);
    bin()
        .args(["weights", "--ahp", "m.toml", "--delimiter", ";"])
        .assert()
        .code(2);
}

#[test]
fn carried_signed_numbers_roll_up_and_formulas_stay_defused() {
    // A carried growth of −5 or +2 is a number a spreadsheet reads as such: written as it is,
    // so a roll-up can sum it (it was written '-5 and the roll-up refused the text). A text
    // that could run as a formula keeps its apostrophe.
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    std::fs::write(
        p("r1.toml"),
        "[rules]\nname = \"carry\"\nid = \"code\"\n[output]\ncarry = [\"grp\", \"delta\"]\n\
         [[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\n\
         dimension = \"d\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n",
    )
    .unwrap();
    std::fs::write(
        p("d.csv"),
        "code,x,grp,delta\nA,6,G1,-5\nB,3,G1,+2\nC,7,=G2,1.5\n",
    )
    .unwrap();
    score_to(p("r1.toml"), p("d.csv"), p("c.csv"))
        .assert()
        .success();
    let text = std::fs::read_to_string(p("c.csv")).unwrap();
    assert!(text.contains(",G1,-5\n"), "{text}");
    assert!(text.contains(",G1,+2\n"), "{text}");
    assert!(text.contains(",'=G2,1.5\n"), "{text}");
    std::fs::write(
        p("r2.toml"),
        "[rules]\nname = \"rollup\"\nid = \"id\"\n[aggregate]\nby = \"grp\"\n\
         [[indicator]]\nid = \"sd\"\naggregate = \"sum(delta)\"\n[[dimension]]\nid = \"d\"\n\
         [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"sd\"\npoints = 10\n\
         method = \"linear\"\nfloor = -10\ntarget = 10\n",
    )
    .unwrap();
    score_to(p("r2.toml"), p("c.csv"), p("o.json"))
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("o.json")).unwrap()).unwrap();
    let g1 = v["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "G1")
        .unwrap();
    // G1: −5 + 2 = −3 → (−3 + 10)/20 × 10 = 3.5
    assert_eq!(g1["criteria"]["c"]["value"], serde_json::json!(-3.0));
    assert_eq!(g1["score"], serde_json::json!(3.5));
}

#[test]
fn out_paths_that_are_not_plain_new_files() {
    use std::os::unix::fs::FileTypeExt;
    let (dir, r, d) = setup();
    // A hard link to an input is that input: refused before any work, input untouched.
    let linked = dir.path().join("linked.csv");
    std::fs::hard_link(&d, &linked).unwrap();
    score_to(&r, &d, &linked)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("it is an input file"));
    assert_eq!(std::fs::read(&d).unwrap(), b"id,x\nA,3\nB,7\n");
    // A trailing slash or a file in place of the directory: usage errors before any work.
    score_to(&r, &d, dir.path().join("new.csv/"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("give a file name"));
    score_to(&r, &d, r.join("a.csv"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is a file, not a directory"));
    // `--out -` is standard output.
    let out = score_to(&r, &d, "-")
        .args(["--format", "csv"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("1,B,,7.00"));
    assert!(!std::path::Path::new("-").exists());
    // A pipe is written into and stays a pipe.
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    score_to(&r, &d, &fifo)
        .args(["--format", "csv"])
        .assert()
        .success();
    assert!(reader.join().unwrap().contains("2,A,,3.00"));
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn an_unwritable_standard_output_is_an_error_not_a_lost_result() {
    // Standard output open read-only: every write fails with EBADF, which the standard
    // library's stdout would report as success. (A closed descriptor cannot be told from
    // `>/dev/null`: the Rust runtime reopens descriptors 0–2 on /dev/null at start-up.)
    let (_dir, r, d) = setup();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("clusterscore"))
        .args(["score", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .stdout(std::fs::File::open("/dev/null").unwrap())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot write to standard output"), "{err}");
}

/// A result redirected to a file or a pipe is written as it is rendered (not held whole): the
/// same bytes as `--out` gives; a reader that goes away (`| head -c 100`) ends it without an
/// error, and a full disk is an error, for each streamed format.
#[test]
#[cfg(target_os = "linux")]
fn a_result_streamed_to_standard_output() {
    use std::os::fd::FromRawFd;
    let (dir, r, d) = setup();
    // Enough rows that the result outgrows the pipe's and the writer's buffers.
    let mut data = String::from("id,x\n");
    for k in 0..30_000 {
        data.push_str(&format!("E{k:05},{}\n", k % 97));
    }
    std::fs::write(&d, data).unwrap();
    let run = |format: &str, stdout: std::process::Stdio| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("clusterscore"))
            .args(["score", "--format", format, "--rules"])
            .arg(&r)
            .arg("--data")
            .arg(&d)
            .env("SOURCE_DATE_EPOCH", "0")
            .stdout(stdout)
            .output()
            .unwrap()
    };
    for format in ["csv", "json", "html", "md"] {
        let file = dir.path().join(format!("to_stdout.{format}"));
        let out = run(format, std::fs::File::create(&file).unwrap().into());
        assert_eq!(out.status.code(), Some(0), "{format}");
        let given = dir.path().join(format!("given.{format}"));
        score_to(&r, &d, &given)
            .args(["--format", format])
            .env("SOURCE_DATE_EPOCH", "0")
            .assert()
            .success();
        let streamed = std::fs::read(&file).unwrap();
        assert!(streamed.len() > 1 << 16, "{format}: {}", streamed.len());
        assert!(streamed == std::fs::read(&given).unwrap(), "{format}");

        // A pipe whose reader is gone.
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe; its read end is closed at once, its write end handed over.
        let gone = unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            libc::close(fds[0]);
            std::process::Stdio::from_raw_fd(fds[1])
        };
        let out = run(format, gone);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {err}");
        assert!(!err.contains("cannot write"), "{format}: {err}");

        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = run(format, full.into());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {err}");
        assert!(
            err.contains("cannot write to standard output: No space left on device"),
            "{format}: {err}"
        );
    }

    // Written as it is rendered, not held whole: the process's peak memory stays well below
    // twice the size of what it wrote, which holding the text first took (0.7–1.0 times it
    // streamed, depending on the machine's load).
    let mut data = String::from("id,x\n");
    for k in 0..200_000 {
        data.push_str(&format!("E{k:06},{}\n", k % 97));
    }
    std::fs::write(&d, data).unwrap();
    // The peak as the process itself reads it (CLUSTERSCORE_TIMINGS prints `VmHWM`): a
    // parent's wait4 would also count the test process's own peak, which Linux carries over
    // at exec, and with this binary's other tests holding their data that passed the bound
    // while the child stayed small.
    let file = dir.path().join("big.json");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("clusterscore"))
        .args(["score", "--format", "json", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .env("CLUSTERSCORE_TIMINGS", "1")
        .stdout(std::fs::File::create(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    let peak_mb: u64 = err
        .lines()
        .filter_map(|l| {
            l.rsplit_once(", peak ")?
                .1
                .strip_suffix(" MB")?
                .parse()
                .ok()
        })
        .max()
        .unwrap_or_else(|| panic!("no peak in the timings: {err}"));
    let written = std::fs::metadata(&file).unwrap().len();
    assert!(written > 50 << 20, "{written}");
    assert!(
        peak_mb * 1_000_000 < written / 2 * 3,
        "peak {peak_mb} MB for {written} B written"
    );
}

#[test]
#[cfg(unix)]
fn a_closed_standard_error_is_not_a_panic() {
    // `check bad.toml 2>&1 | head -1`: the reader is gone before the diagnostics are
    // written. The messages are lost; the exit code is still the command's own.
    use std::os::fd::FromRawFd;
    let (dir, r, d) = setup();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, RULES.replace("\"direct\"", "\"lineer\"")).unwrap();
    let closed_pipe = || {
        let mut fds = [0; 2];
        // SAFETY: a fresh pipe; its read end is closed at once, its write end handed over.
        unsafe {
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            libc::close(fds[0]);
            std::process::Stdio::from_raw_fd(fds[1])
        }
    };
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("clusterscore"))
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(closed_pipe())
            .status()
            .unwrap()
            .code()
    };
    // A load error (exit 1) and a run whose only stderr text is its warnings (exit 0).
    assert_eq!(
        run(&["check".as_ref(), "--rules".as_ref(), bad.as_os_str()]),
        Some(1)
    );
    std::fs::write(&d, "id,x\nA,3\nB,\n").unwrap();
    let out = dir.path().join("o.csv");
    let args = ["score", "--rules"].map(std::ffi::OsStr::new);
    let mut all: Vec<&std::ffi::OsStr> = args.to_vec();
    all.extend([
        r.as_os_str(),
        "--data".as_ref(),
        d.as_os_str(),
        "--out".as_ref(),
    ]);
    all.push(out.as_os_str());
    assert_eq!(run(&all), Some(0));
}

#[test]
fn sensitivity_and_check_argument_bounds() {
    let (dir, r, d) = setup();
    let sens = || {
        let mut c = bin();
        c.args(["sensitivity", "--rules"])
            .arg(&r)
            .arg("--data")
            .arg(&d);
        c
    };
    sens()
        .args(["--runs", "10000000000"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--runs must be at most 1000000"));
    sens()
        .args(["--threads", "100000"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--threads must be at most 1024"));
    for name in ["runs.json", "runs.txt"] {
        sens()
            .arg("--runs-out")
            .arg(dir.path().join(name))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--runs-out writes CSV"));
        assert!(!dir.path().join(name).exists());
    }
    // `check` takes its rules file as the other commands do, too.
    bin()
        .arg("check")
        .arg("--rules")
        .arg(&r)
        .assert()
        .success()
        .stdout(predicates::str::contains(": ok"));
}

#[test]
fn csv_output_names_the_cells_that_made_a_column_text() {
    // The CSV path hands its columns over to the engine; the hint must still find them.
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("r.toml");
    std::fs::write(
        &r,
        format!("{RULES}[[gate]]\nid = \"g\"\nrequire = \"`emp` > 3\"\n"),
    )
    .unwrap();
    let mut csv = String::from("id,x,emp\n");
    for i in 0..30 {
        let emp = if i == 17 {
            "\"1,23\"".to_string()
        } else {
            i.to_string()
        };
        csv.push_str(&format!("e{i},1,{emp}\n"));
    }
    let d = dir.path().join("d.csv");
    std::fs::write(&d, csv).unwrap();
    bin()
        .args(["score", "--format", "csv", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "column 'emp' is read as text because of \"1,23\"",
        ));
}

/// `weights --write -` is refused instead of creating a file named `-`.
#[test]
fn weights_write_needs_a_file_name() {
    let (dir, r, d) = setup();
    bin()
        .current_dir(dir.path())
        .args(["weights", "--method", "entropy", "--rules"])
        .arg(&r)
        .arg("--data")
        .arg(&d)
        .args(["--write", "-"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--write needs a file name"));
    assert!(!dir.path().join("-").exists());
}

/// Files given without their flags (`score rules.toml data.csv`) are a usage error whose tip
/// is the command line with each file after its flag.
#[test]
fn files_without_flags_get_the_command_line_with_flags() {
    bin().args(["score", "r.toml", "d.csv", "--out", "my out.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "tip: files are given after their flags: clusterscore score --rules r.toml --data d.csv --out 'my out.csv'",
        ));
    bin().args(["compare", "a.json", "b.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "tip: files are given after their flags: clusterscore compare --results a.json --results b.json",
        ));
    // A pairwise matrix goes after --ahp; `-o` is --out.
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m.toml");
    std::fs::write(
        &m,
        "items = [\"a\", \"b\"]\nmatrix = [[1, 3], [\"1/3\", 1]]\n",
    )
    .unwrap();
    bin()
        .arg("weights")
        .arg(&m)
        .assert()
        .code(2)
        .stderr(predicates::str::contains(format!(
            "tip: files are given after their flags: clusterscore weights --ahp {}",
            m.display()
        )));
    bin()
        .args(["score", "r.toml", "d.csv", "-o", "out.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "clusterscore score --rules r.toml --data d.csv --out out.csv",
        ));
    // A file that does not exist after the data is the output; a bare word is explain's id.
    bin()
        .args(["score", "r.toml", "d.csv", "ranking.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "clusterscore score --rules r.toml --data d.csv --out ranking.csv",
        ));
    bin()
        .args(["explain", "r.toml", "d.csv", "LC01"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "clusterscore explain --rules r.toml --data d.csv --id LC01",
        ));
    // No tip where no placement of flags gives a valid command (`check` takes one rules
    // file), or where the unknown argument is a flag (clap's own did-you-mean).
    bin()
        .args(["score", "-o", "out.csv", "r.toml", "d.csv"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "clusterscore score --out out.csv --rules r.toml --data d.csv",
        ));
    for args in [
        &["check", "a.toml", "b.toml"][..],
        &["score", "r.toml", "d.csv", "--outt", "x.csv"],
        &[
            "score", "--rules", "r.toml", "--data", "d.csv", "--output", "x.csv",
        ],
        &["check", "--data", "d.csv", "r.toml"],
    ] {
        bin()
            .args(args)
            .assert()
            .code(2)
            .stderr(predicates::prelude::PredicateBooleanExt::not(
                predicates::str::contains("tip: files are given"),
            ));
    }
    // Another usage error gets no such tip.
    bin()
        .args(["score", "--rules", "r.toml", "--bogus"])
        .assert()
        .code(2)
        .stderr(predicates::prelude::PredicateBooleanExt::not(
            predicates::str::contains("tip: files are given"),
        ));
}

/// `compare` names which rules file a warning came from, once: a warning located in the file
/// already starts with its path.
#[test]
fn compare_names_the_rules_file_of_a_warning_once() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("rules/liaocheng-benchmark.toml").unwrap();
    let flawed = text.replace(
        "{ at_least = 100, points = 12 }",
        "{ at_least = 100, points = 99 }",
    );
    assert_ne!(text, flawed);
    let b = dir.path().join("b.toml");
    std::fs::write(&b, flawed).unwrap();
    let out = bin()
        .args([
            "compare",
            "--rules",
            "rules/liaocheng-benchmark.toml",
            "--rules",
        ])
        .arg(&b)
        .args(["--data", "fixtures/liaocheng-2023.csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    let shown = b.display().to_string();
    let line = err
        .lines()
        .find(|l| l.contains("[bands-above-points]"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.starts_with(&format!("warning: {shown}:")), "{line}");
    assert!(!line.contains(&format!("{shown}: {shown}")), "{line}");
    // Other warnings still say which file's run they come from.
    assert!(
        err.contains("warning: rules/liaocheng-benchmark.toml: criterion "),
        "{err}"
    );
}

/// An output file marked read-only is not replaced by the atomic rename: a usage error,
/// and the file keeps its contents.
#[cfg(unix)]
#[test]
fn a_read_only_output_file_is_kept() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ranking.csv");
    std::fs::write(&out, "OLD").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = bin()
        .args(["score", "--rules", "rules/anhui-zhuanyezhen.toml"])
        .args(["--data", "fixtures/anhui-2010.csv", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("the file is read-only"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "OLD");
}

/// `--format` wins over the extension of `--out` (SPEC §7), and the run notes the mismatch.
#[test]
fn a_format_that_contradicts_the_extension_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ranking.json");
    let run = bin()
        .args(["score", "--rules", "rules/anhui-zhuanyezhen.toml"])
        .args([
            "--data",
            "fixtures/anhui-2010.csv",
            "--format",
            "xlsx",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("note: writing xlsx into") && err.contains("whose extension says json"),
        "{err}"
    );
    // A workbook (a zip) was written, as --format said.
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));
}

/// Arguments that are not UTF-8 (a GBK terminal, GBK file names from a Windows archive)
/// are usage errors with a tip, never a panic; GBK file names themselves are read.
#[cfg(unix)]
#[test]
fn arguments_in_gbk_are_usage_errors_or_paths_never_a_panic() {
    use std::os::unix::ffi::OsStrExt;
    let gbk = |bytes: &'static [u8]| std::ffi::OsStr::from_bytes(bytes);
    // 临清 in GBK.
    let out = bin()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "--rules", "rules/liaocheng-benchmark.toml"])
        .args(["--data", "fixtures/liaocheng-2023.csv", "--id"])
        .arg(gbk(b"\xc1\xd9\xc7\xe5"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tip: an id, sheet or other text argument"),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join(gbk(b"\xb9\xe6\xd4\xf2.toml")); // 规则
    let data = dir.path().join(gbk(b"\xca\xfd\xbe\xdd.csv")); // 数据
    std::fs::write(&rules, RULES).unwrap();
    std::fs::write(&data, "id,x\nA,1\nB,2\n").unwrap();
    // Files without their flags: the usual tip, not a panic.
    let out = bin().arg("score").arg(&rules).arg(&data).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tip: files are given after their flags"),
        "{err}"
    );
    // With the flags, the GBK-named files are read.
    let csv = dir.path().join("out.csv");
    score_to(&rules, &data, &csv).assert().success();
    assert!(std::fs::read_to_string(&csv).unwrap().contains("A"));
}

/// `score --rules R --data D --format csv` with `more` flags: (exit code, stderr).
fn score_csv_with(
    r: &std::path::Path,
    d: &std::path::Path,
    more: &[&str],
) -> (Option<i32>, String) {
    let out = bin()
        .args(["score", "--rules"])
        .arg(r)
        .arg("--data")
        .arg(d)
        .args(["--format", "csv"])
        .args(more)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `--encoding gbk` on a UTF-8 file whose Chinese happens to decode as GBK: read as asked,
/// with a warning that shows what the text became (audit26_cli F3); a UTF-8 file that does
/// not decode as GBK says it reads as UTF-8.
#[test]
fn gbk_named_for_a_utf8_file_is_a_warning_or_says_so() {
    let (dir, r, _) = setup();
    let d = dir.path().join("u8.csv");
    let run = |more: &[&str]| score_csv_with(&r, &d, more);
    std::fs::write(&d, "id,x,name\nA,3,中文\nB,7,临清\n").unwrap();
    let (code, err) = run(&["--encoding", "gbk"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(
            // (GB18030 reads one byte pair of 中文 as a private-use character.)
            "--encoding names GBK (GB18030), but the file's Chinese text is UTF-8: read as GBK, \"中文\" became \"涓"
        ),
        "{err}"
    );
    // Without --encoding: read as UTF-8, no warning.
    let (code, err) = run(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("--encoding"), "{err}");
    // 县（市、区） in UTF-8 is not GBK: an error that says the file reads as UTF-8.
    std::fs::write(&d, "id,x,name\nA,3,县（市、区）\nB,7,临清市\n").unwrap();
    let (code, err) = run(&["--encoding", "gbk"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("help: the file reads as UTF-8 (with Chinese text): leave out --encoding"),
        "{err}"
    );
    // The mirror: --encoding utf8 on a GBK file, which detection reads.
    let mut gbk = b"id,x,name\nA,3,".to_vec();
    gbk.extend(encoding_rs::GBK.encode("县（市、区）").0.iter());
    gbk.extend(b"\nB,7,");
    gbk.extend(encoding_rs::GBK.encode("临清市").0.iter());
    gbk.push(b'\n');
    std::fs::write(&d, &gbk).unwrap();
    let (code, err) = run(&["--encoding", "utf8"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("help: the file reads as GBK (with Chinese text): leave out --encoding (GBK is detected), or give --encoding gbk"),
        "{err}"
    );
    let (code, err) = run(&[]);
    assert_eq!(code, Some(0), "{err}");
}

/// The mirror case: a GBK file whose Chinese (专业, 食品) is also valid two-byte UTF-8 (ר,
/// ҵ, …) is read as UTF-8 with a warning, guessed or named by `--encoding utf8`
/// (audit37_cat F1: named, it used to be read so without a word).
#[test]
fn a_gbk_file_read_as_utf8_is_warned_of_guessed_or_named() {
    let (dir, r, _) = setup();
    let d = dir.path().join("g.csv");
    let mut bytes = b"id,x,name\nA,3,".to_vec();
    bytes.extend(encoding_rs::GBK.encode("专业").0.iter());
    bytes.extend(b"\nB,7,");
    bytes.extend(encoding_rs::GBK.encode("食品").0.iter());
    bytes.push(b'\n');
    assert!(std::str::from_utf8(&bytes).is_ok());
    std::fs::write(&d, &bytes).unwrap();
    for (more, said) in [
        (
            &[][..],
            "read as UTF-8, where its text has no Chinese: \"רҵ\" reads as \"专业\" in GBK; if the file is GBK, give --encoding gbk",
        ),
        (
            &["--encoding", "utf8"][..],
            "--encoding names UTF-8, where the file's text has no Chinese: \"רҵ\" reads as \"专业\" in GBK; if the file is GBK, give --encoding gbk (or leave out --encoding)",
        ),
    ] {
        let (code, err) = score_csv_with(&r, &d, more);
        assert_eq!(code, Some(0), "{err}");
        assert!(err.contains(said), "{more:?}: {err}");
    }
}

/// Reading options that no data file will use are noted, not silently dropped: `--sheet`
/// with only text files, `--encoding` and `--delimiter` with only workbooks.
#[test]
fn reading_options_no_file_uses_are_noted() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = bin()
        .current_dir(root)
        .args(["score", "--rules", "rules/jilin-2006.toml"])
        .args(["--data", "fixtures/jilin-2010.xlsx", "--format", "csv"])
        .args(["--encoding", "gbk", "--delimiter", ";"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(
            "note: --encoding applies to delimited text (CSV) only; every --data file is a workbook"
        ),
        "{err}"
    );
    assert!(
        err.contains("note: --delimiter applies to delimited text"),
        "{err}"
    );
    assert!(!err.contains("--sheet"), "{err}");
    let out = bin()
        .current_dir(root)
        .args(["score", "--rules", "rules/jilin-2006.toml"])
        .args(["--data", "fixtures/jilin-2010.csv", "--format", "csv"])
        .args(["--sheet", "数据"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("note: --sheet applies to XLSX data only; no --data file is a workbook"),
        "{err}"
    );
    assert!(!err.contains("--encoding"), "{err}");
}

/// Option values read in any case on every command, a negative count named as such, `-`
/// said to be no input file, and `--help` into a full device an error (audit26_cli F10).
#[test]
fn option_values_counts_dash_and_help_output_are_handled_alike_everywhere() {
    let root = env!("CARGO_MANIFEST_DIR");
    let lc = ["--rules", "rules/liaocheng-benchmark.toml"];
    let data = ["--data", "fixtures/liaocheng-2023.csv"];
    let run = |args: &[&str]| bin().current_dir(root).args(args).output().unwrap();
    let out = run(&[
        &["explain"][..],
        &lc,
        &data,
        &["--id", "LC01", "--format", "JSON"],
    ]
    .concat());
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("{"));
    let out = run(&[
        &["weights"][..],
        &lc,
        &data,
        &["--method", "Entropy", "--format", "Json"],
    ]
    .concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        &["sensitivity"][..],
        &lc,
        &data,
        &["--runs", "5", "--vary", "Criteria"],
    ]
    .concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&[&["compare"][..], &lc, &lc, &data, &["--top", "-1"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-1 is negative: give a whole number"), "{err}");
    let out = run(&[&["sensitivity"][..], &lc, &data, &["--seed", "-3"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-3 is negative"));

    let out = run(&[&["score"][..], &lc, &["--data", "-"]].concat());
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read '-': standard input is not read as an input file"),
        "{err}"
    );
    assert!(err.contains("/dev/stdin"), "{err}");

    #[cfg(target_os = "linux")]
    {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("clusterscore"))
            .arg("--help")
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write to standard output"));
    }
}

/// `--out` a symbolic link into a directory that does not exist says so, not "no
/// permission"; nothing is written.
#[cfg(unix)]
#[test]
fn out_through_a_dangling_link_names_the_missing_directory() {
    let (dir, r, d) = setup();
    let link = dir.path().join("out.csv");
    let missing = dir.path().join("gone").join("x.csv");
    std::os::unix::fs::symlink(&missing, &link).unwrap();
    let out = score_to(&r, &d, &link).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("it is a symbolic link to"), "{err}");
    assert!(err.contains("gone' does not exist"), "{err}");
    assert!(!missing.exists());
    // A link that loops is refused before any work, and stays a link.
    let (one, two) = (dir.path().join("one.csv"), dir.path().join("two.csv"));
    std::os::unix::fs::symlink(&two, &one).unwrap();
    std::os::unix::fs::symlink(&one, &two).unwrap();
    let out = score_to(&r, &d, &one).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("it is a symbolic link that loops"), "{err}");
    assert!(
        std::fs::symlink_metadata(&one)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // A file name longer than the file system takes: said before any work, the path cut.
    let long = dir.path().join(format!("{}.csv", "a".repeat(300)));
    let out = score_to(&r, &d, &long).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the name is too long for the file system (its file name is 304 bytes"),
        "{err}"
    );
    assert!(err.len() < 600, "{err}");
}

#[test]
fn reports_go_to_out_whole_or_not_at_all() {
    let (dir, rules, data) = setup();
    let run = |args: &[&str]| {
        bin()
            .current_dir(dir.path())
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .args(args)
            .output()
            .unwrap()
    };
    let (r, d) = (rules.to_str().unwrap(), data.to_str().unwrap());
    // The same JSON in the file as on standard output; `.json` picks JSON without --format.
    let stdout = run(&[
        "compare", "--rules", r, "--rules", r, "--data", d, "--format", "json",
    ]);
    assert!(stdout.status.success());
    let to_file = run(&[
        "compare", "--rules", r, "--rules", r, "--data", d, "--out", "c.json",
    ]);
    assert!(to_file.status.success());
    assert!(to_file.stdout.is_empty());
    assert_eq!(
        std::fs::read(dir.path().join("c.json")).unwrap(),
        stdout.stdout
    );
    // A text report by default, and for .txt.
    let text = run(&[
        "explain", "--rules", r, "--data", d, "--id", "A", "--out", "e.txt",
    ]);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
    let e = std::fs::read_to_string(dir.path().join("e.txt")).unwrap();
    assert!(e.starts_with("A\nscore 3 of 10"), "{e}");
    // An error leaves no file.
    let missing = run(&[
        "explain", "--rules", r, "--data", d, "--id", "nosuch", "--out", "x.json",
    ]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(!dir.path().join("x.json").exists());
    // A format these reports are not written in, and --out on --write: usage errors.
    let csv = run(&[
        "sensitivity",
        "--rules",
        r,
        "--data",
        d,
        "--runs",
        "5",
        "--out",
        "s.csv",
    ]);
    assert_eq!(csv.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&csv.stderr).contains("not .csv"));
    assert!(!dir.path().join("s.csv").exists());
    let same = run(&[
        "weights", "--rules", r, "--data", d, "--method", "entropy", "--write", "w.toml", "--out",
        "./w.toml",
    ]);
    assert_eq!(same.status.code(), Some(2));
    assert!(!dir.path().join("w.toml").exists());
    // (Names without an extension: a .csv --out is refused for its extension first.)
    let runs = dir.path().join("runs");
    let same_runs = run(&[
        "sensitivity",
        "--rules",
        r,
        "--data",
        d,
        "--runs",
        "5",
        "--runs-out",
        "runs",
        "--out",
        runs.to_str().unwrap(),
    ]);
    assert_eq!(same_runs.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&same_runs.stderr).contains("name the same file"));
    assert!(!runs.exists());
    // Through a symbolic link to a file not written yet: the same file too.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("w2.toml", dir.path().join("lnk.toml")).unwrap();
        let linked = run(&[
            "weights", "--rules", r, "--data", d, "--method", "entropy", "--write", "w2.toml",
            "--out", "lnk.toml",
        ]);
        assert_eq!(linked.status.code(), Some(2));
        assert!(!dir.path().join("w2.toml").exists());
    }
    // --format wins over the name, with a note.
    let note = run(&[
        "compare", "--rules", r, "--rules", r, "--data", d, "--format", "text", "--out", "t.json",
    ]);
    assert!(note.status.success());
    assert!(
        String::from_utf8_lossy(&note.stderr)
            .contains("note: writing text into 't.json', whose extension says json")
    );
    assert!(
        std::fs::read_to_string(dir.path().join("t.json"))
            .unwrap()
            .starts_with("A: ")
    );
}

/// `check` says what failing each gate does: `exclude`, or the tier it caps at — written
/// with `max_tier` alone, with `effect = "cap"` or with `effect = "max_tier"` beside it.
#[test]
fn check_lists_each_gates_effect() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("gates.toml");
    std::fs::write(
        &r,
        r#"[rules]
name = "g"
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
id = "veto"
require = "x >= 0"
[[gate]]
id = "cap_plain"
require = "x >= 1"
max_tier = "low"
[[gate]]
id = "cap_word"
require = "x >= 2"
effect = "cap"
max_tier = "low"
[[gate]]
id = "cap_named"
require = "x >= 3"
effect = "max_tier"
max_tier = "low"
[[tier]]
id = "high"
min_score = 8
[[tier]]
id = "low"
min_score = 1
"#,
    )
    .unwrap();
    let out = bin().arg("check").arg(&r).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "  veto                   exclude          x >= 0\n",
        "  cap_plain              cap at low       x >= 1\n",
        "  cap_word               cap at low       x >= 2\n",
        "  cap_named              cap at low       x >= 3\n",
    ] {
        assert!(text.contains(line), "{line:?} not in:\n{text}");
    }
}

/// `explain --id` with an id one character from one or several ids names them (ids too short
/// for a did-you-mean by similarity alone).
#[test]
fn explain_an_unknown_id_names_the_ids_one_character_away() {
    let (dir, r, _) = setup();
    let d = dir.path().join("ids.csv");
    std::fs::write(&d, "id,x\nA1,3\nA2,7\nB7,1\nC55,2\n").unwrap();
    let explain = |id: &str| {
        let out = bin()
            .args(["explain", "--rules"])
            .arg(&r)
            .arg("--data")
            .arg(&d)
            .args(["--id", id])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stderr).unwrap()
    };
    let err = explain("A9");
    assert!(
        err.contains("no entity with id 'A9' in the data; ids one character from it: A1, A2"),
        "{err}"
    );
    let err = explain("B8");
    assert!(
        err.contains("no entity with id 'B8' in the data; did you mean 'B7'?"),
        "{err}"
    );
    // Nothing near: a few ids, to show their form.
    let err = explain("ZZZ");
    assert!(
        err.contains("no entity with id 'ZZZ' in the data (4 entities, e.g. "),
        "{err}"
    );
}
