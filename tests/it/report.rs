//! XLSX and HTML outputs read back: sheets, headers and numbers; escaping of input text.

use crate::support::root;
use calamine::{Data, Reader, Xlsx, open_workbook};
use clusterscore::engine::{AssessOptions, Assessment};
use clusterscore::report::{Format, OutEncoding, render};
use clusterscore::rules::Rules;

fn liaocheng(data: &std::path::Path) -> Assessment {
    let c = Rules::from_path(root().join("rules/liaocheng-benchmark.toml"))
        .unwrap()
        .compile()
        .unwrap();
    let ds = c
        .read_data(&[data.to_path_buf()], &c.read_options())
        .unwrap();
    c.assess_with(
        &ds,
        &AssessOptions {
            generated_at: Some("2026-01-01T00:00:00Z".into()),
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn xlsx_has_the_four_sheets_and_the_engine_numbers() {
    let a = liaocheng(&root().join("fixtures/liaocheng-2023.csv"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(
        &path,
        render(&a, Format::Xlsx, OutEncoding::default()).unwrap(),
    )
    .unwrap();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let names = wb.sheet_names();
    assert_eq!(names.len(), 4, "{names:?}");
    for want in ["Ranking", "Details", "Rules", "Audit"] {
        assert!(
            names.iter().any(|n| n.contains(want)),
            "{want} missing from {names:?}"
        );
    }
    let ranking = wb.worksheet_range(&names[0]).unwrap();
    let header: Vec<String> = ranking
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let score_col = header
        .iter()
        .position(|h| h.contains("score") || h.contains("得分"))
        .expect("a score column");
    let id_col = header
        .iter()
        .position(|h| h == "id" || h.contains("ID") || h.contains("编号"))
        .expect("an id column");
    for (k, row) in ranking.rows().skip(1).take(a.summary.ranked).enumerate() {
        let e = &a.entities[k];
        assert_eq!(row[id_col].to_string(), e.id);
        match &row[score_col] {
            Data::Float(x) => approx::assert_relative_eq!(*x, e.score),
            other => panic!("score cell is not a number: {other:?}"),
        }
    }
}

#[test]
fn html_escapes_names_from_the_data() {
    let text = std::fs::read_to_string(root().join("fixtures/liaocheng-2023.csv")).unwrap();
    let first_name = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .to_string();
    let hostile = text.replace(&first_name, "<script>alert(1)</script>");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(&data, hostile).unwrap();
    let a = liaocheng(&data);
    let html =
        String::from_utf8(render(&a, Format::Html, OutEncoding::default()).unwrap()).unwrap();
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // self-contained: no external resources
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

#[test]
fn xlsx_keeps_formula_like_names_as_unchanged_text() {
    // Text cells are never formulas in XLSX: the name reads back exactly (no apostrophe
    // added; the quote-prefix style keeps it text when edited) and the sheet has no formula.
    let rules = "[rules]\nname = \"x\"\nid = \"code\"\nlabel = \"name\"\n[[indicator]]\nid = \"x\"\n\
                 [[dimension]]\nid = \"d\"\n[[criterion]]\nid = \"c\"\ndimension = \"d\"\n\
                 indicator = \"x\"\npoints = 10\nmethod = \"direct\"\n";
    let a = crate::support::score(rules, "code,name,x\nA,=SUM(1),6\nB,-minus,3\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    std::fs::write(
        &path,
        render(&a, Format::Xlsx, OutEncoding::default()).unwrap(),
    )
    .unwrap();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let first = wb.sheet_names()[0].clone();
    let ranking = wb.worksheet_range(&first).unwrap();
    let names: Vec<String> = ranking
        .rows()
        .skip(1)
        .take(2)
        .map(|r| r[2].to_string())
        .collect();
    assert_eq!(names, ["=SUM(1)", "-minus"]);
    let formulas = wb.worksheet_formula(&first).unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "the ranking sheet holds a formula"
    );
}

/// With cohorts a rank counts within the cohort: the HTML detail names the cohort beside it.
#[test]
fn html_detail_ranks_name_their_cohort() {
    let c = Rules::from_path(root().join("rules/anhui-zhuanyezhen.toml"))
        .unwrap()
        .compile()
        .unwrap();
    let ds = c
        .read_data(&[root().join("fixtures/anhui-2010.csv")], &c.read_options())
        .unwrap();
    let a = c.assess_with(&ds, &AssessOptions::default()).unwrap();
    let html = String::from_utf8(render(&a, Format::Html, OutEncoding::Utf8Bom).unwrap()).unwrap();
    let first = a.entities.iter().find(|e| e.rank == Some(1)).unwrap();
    let cohort = first.cohort.as_deref().unwrap();
    assert!(
        html.contains(&format!("<summary><b>#1 ({cohort})</b>")),
        "no cohort beside rank 1"
    );
}

/// A page of more entities than one rendered block (4,096) holds each entity once, in rank
/// order, in the ranking table, the details and the page's data (whose JSON, written a
/// block at a time, still parses); streamed to a writer it is the page `render` gives.
#[test]
fn html_of_more_entities_than_a_block_holds_each_once_in_rank_order() {
    let rules = "[rules]\nname = \"h\"\nid = \"code\"\n\
                 [[indicator]]\nid = \"x\"\n[[indicator]]\nid = \"y\"\n\
                 [[dimension]]\nid = \"d\"\nweight = 60\n[[dimension]]\nid = \"e\"\nweight = 40\n\
                 [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n\
                 [[criterion]]\nid = \"f\"\ndimension = \"e\"\nindicator = \"y\"\npoints = 10\nmethod = \"percentile\"\n";
    let mut csv = String::from("code,x,y\n");
    for k in 0..5000 {
        csv.push_str(&format!("E{k:05},{},{}\n", k % 11, (k * 7919) % 5003));
    }
    let a = crate::support::score(rules, &csv);
    let html =
        String::from_utf8(render(&a, Format::Html, OutEncoding::default()).unwrap()).unwrap();
    let mut streamed = Vec::new();
    clusterscore::report::render_to(&a, Format::Html, OutEncoding::default(), &mut streamed)
        .unwrap();
    assert!(streamed == html.as_bytes(), "the streamed page differs");
    let ids: Vec<&str> = a.entities.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 5000);
    let between = |open: &str, close: char| -> Vec<&str> {
        html.split(open)
            .skip(1)
            .map(|rest| &rest[..rest.find(close).unwrap()])
            .collect()
    };
    assert_eq!(between("<tr data-id=\"", '"'), ids, "ranking rows");
    assert_eq!(between("<details id=\"detail-", '"'), ids, "details");
    let start = html.find("id=\"cs-data\">").unwrap() + "id=\"cs-data\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&html[start..end]).unwrap();
    let in_data: Vec<&str> = data["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(in_data, ids, "page data");
    assert_eq!(
        data["entities"][4500]["fractions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// The histogram's bins run from 0 to the maximum; a score past either end (adjustments
/// without `clamp`) counts in the end bin, whose limit says how far: here -3 and 14 of a
/// maximum of 10, with chart limits to ten significant digits.
#[test]
fn html_histogram_end_bins_reach_scores_past_the_scale() {
    let rules = "[rules]\nname = \"h\"\nid = \"code\"\n\
                 [[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n\
                 [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 10\nmethod = \"direct\"\n\
                 [[adjustment]]\nid = \"up\"\nwhen = \"x >= 9\"\npoints = 5\n\
                 [[adjustment]]\nid = \"down\"\nwhen = \"x < 1\"\npoints = -3\n";
    let a = crate::support::score(rules, "code,x\nA,0\nB,9\nC,5\n");
    let html =
        String::from_utf8(render(&a, Format::Html, OutEncoding::default()).unwrap()).unwrap();
    assert!(html.contains("<title>-3–1: 1</title>"), "first bin");
    assert!(html.contains("<title>9–14: 1</title>"), "last bin");
    assert!(
        html.contains("<title>4–5: 0</title>"),
        "inner bins as before"
    );
}

/// Numbers the HTML shows beside the published ones (audit28_out F2): a tier's minimum and a
/// criterion's maximum as written in the rules (2.4 and 2.5 at 0 decimals, not 2 and a
/// half rounded to even), a fraction rounded half away from zero (0.03125 → 0.0313).
#[test]
fn html_shows_minimums_maxima_and_fractions_without_ties_to_even() {
    let rules = "[rules]\nname = \"h\"\nid = \"code\"\ndecimals = 0\n\
                 [[indicator]]\nid = \"x\"\n[[dimension]]\nid = \"d\"\n\
                 [[criterion]]\nid = \"c\"\ndimension = \"d\"\nindicator = \"x\"\npoints = 2.5\n\
                 method = \"linear\"\nfloor = 0\ntarget = 32\n\
                 [[tier]]\nid = \"t\"\nmin_score = 2.4\n";
    let a = crate::support::score(rules, "code,x\nA,1\nB,32\nC,26\n");
    let html =
        String::from_utf8(render(&a, Format::Html, OutEncoding::default()).unwrap()).unwrap();
    assert!(
        html.contains("<td class=\"num\">2.4</td>"),
        "tier minimum as written"
    );
    // A (x = 1): fraction 1/32 = 0.03125; B: full points 3 of a maximum of 2.5.
    assert!(html.contains("<td class=\"num\">0.0313</td>"), "fraction");
    assert!(!html.contains("0.0312"), "no tie to even");
    assert!(
        html.contains("<td class=\"num\">3</td><td class=\"num\">2.5</td>"),
        "max"
    );
}
