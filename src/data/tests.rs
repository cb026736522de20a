use std::path::PathBuf;

use super::*;
use crate::column::Column;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn infer_all(_: &str) -> Option<ColumnRequest> {
    Some(ColumnRequest::Infer)
}

fn read(paths: &[PathBuf], f: &dyn Fn(&str) -> Option<ColumnRequest>) -> Result<Table, Error> {
    read_table(paths, &ReadOptions::default(), f)
}

fn numbers(t: &Table, h: &str) -> Vec<f64> {
    match t.column(h) {
        Some(Column::Number(v)) => v.clone(),
        other => panic!("{h}: not a number column: {other:?}"),
    }
}

fn first_error(e: &Error) -> String {
    let d = &e.diagnostics[0];
    format!("{}: {}", d.location.clone().unwrap_or_default(), d.message)
}

#[test]
fn utf8_with_bom_and_typed_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "a.csv",
        "\u{FEFF}代码,名称,销售收入（万元）,高新\nA1,甲,\"1,234.5\",是\nA2,乙,NA,否\n".as_bytes(),
    );
    let t = read(&[p], &|h| match h {
        "代码" | "名称" => Some(ColumnRequest::Text),
        "销售收入(万元)" => Some(ColumnRequest::Number),
        "高新" => Some(ColumnRequest::Bool),
        _ => None,
    })
    .unwrap();
    assert_eq!(t.headers, ["代码", "名称", "销售收入(万元)", "高新"]);
    assert_eq!(t.rows(), 2);
    let v = numbers(&t, "销售收入(万元)");
    assert_eq!(v[0], 1234.5);
    assert!(v[1].is_nan());
    assert_eq!(
        t.column("高新"),
        Some(&Column::Bool(vec![Some(true), Some(false)]))
    );
    assert_eq!(t.files[0].encoding, "utf-8");
    assert_eq!(t.files[0].rows, 2);
    assert_eq!(t.files[0].sha256.len(), 64);
    assert_eq!(t.origin(1).1, 3);
    assert!(
        t.location(1, "销售收入(万元)")
            .to_string()
            .ends_with("row 3, column \"销售收入（万元）\"")
    );
}

/// A scored CSV guards texts such as `-LC1` as `'-LC1`; a roll-up reading it gets the text
/// back in text, inferred, number and yes/no columns. Other apostrophes are kept.
#[test]
fn formula_guards_of_a_scored_csv_are_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "out.csv",
        "id,name,cluster,v,b\n'-LC1,'=SUM(1),'+LC2,'-5%,'=x\nA,'abc,'-5,1,是\nB,' '@集群',LC3,2,否\n"
            .as_bytes(),
    );
    let err = read(std::slice::from_ref(&p), &|h| match h {
        "id" | "name" => Some(ColumnRequest::Text),
        "cluster" => Some(ColumnRequest::Infer),
        "v" => Some(ColumnRequest::Number),
        "b" => Some(ColumnRequest::Bool),
        _ => None,
    })
    .unwrap_err();
    // `'=x` is "=x", not a yes/no word: an error quoting the cell as the file has it.
    assert!(
        first_error(&err).ends_with("row 2, column \"b\": cannot read \"'=x\" as yes/no"),
        "{}",
        first_error(&err)
    );
    let t = read(&[p], &|h| match h {
        "id" | "name" => Some(ColumnRequest::Text),
        "cluster" => Some(ColumnRequest::Infer),
        "v" => Some(ColumnRequest::Number),
        _ => None,
    })
    .unwrap();
    let texts = |h: &str| -> Vec<Option<String>> {
        match t.column(h) {
            Some(Column::Text(c)) => (0..3).map(|i| c.get(i).map(str::to_string)).collect(),
            other => panic!("{h}: {other:?}"),
        }
    };
    let s = |x: &str| Some(x.to_string());
    assert_eq!(texts("id"), [s("-LC1"), s("A"), s("B")]);
    assert_eq!(texts("name"), [s("=SUM(1)"), s("'abc"), s("' '@集群'")]);
    assert_eq!(texts("cluster"), [s("+LC2"), s("'-5"), s("LC3")]);
    assert_eq!(numbers(&t, "v"), [-5.0, 1.0, 2.0]);
}

/// The header line again among the records (`cat a.csv b.csv`) is named as such, not
/// answered with a missing marker (which would score the line as an entity); a CSV group
/// row's empty header suggests the row of names below.
#[test]
fn a_repeated_header_line_and_a_group_row_get_their_own_help() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "cat.csv",
        "code,值,标志\nA,1,是\ncode,值,标志\nB,2,否\n".as_bytes(),
    );
    let e = read(std::slice::from_ref(&p), &|h| match h {
        "code" => Some(ColumnRequest::Text),
        "值" => Some(ColumnRequest::Number),
        "标志" => Some(ColumnRequest::Bool),
        _ => None,
    })
    .unwrap_err();
    assert_eq!(e.diagnostics.len(), 2);
    for d in &e.diagnostics {
        assert_eq!(
            d.help.as_deref(),
            Some(
                "row 3 repeats the header row (files joined with their header lines have it): \
                 delete that row, or give each file to --data on its own"
            )
        );
    }
    let q = write(
        &dir,
        "group.csv",
        "基本信息,,指标\ncode,name,值\nA,甲,1\n".as_bytes(),
    );
    let e = read(std::slice::from_ref(&q), &infer_all).unwrap_err();
    let help = e.diagnostics[0].help.as_deref().unwrap();
    assert!(
        help.contains("set header_row = 2 in [data]") && help.ends_with("delete the grouping row"),
        "{help}"
    );
}

/// A one-field row in a wider table: a note under the table or DOS's end-of-file mark is
/// to be deleted (padding it with delimiters would score it as an entity).
#[test]
fn a_note_row_and_an_end_of_file_mark_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for (name, tail, help) in [
        (
            "note.csv",
            "注：数据来源于各县统计局\n",
            "the row looks like a note under the table, not an entity: delete it (or move it \
             into a comment column)",
        ),
        (
            "eof.csv",
            "\u{1a}",
            "the row holds only the control character U+001A (the end-of-file mark old DOS \
             tools write): delete the row",
        ),
        (
            "short.csv",
            "B\n",
            "a delimiter is probably missing in this row; every row needs one field per header",
        ),
        // The same row with no line end after it: the file was cut short.
        (
            "cut.csv",
            "B",
            "the file ends inside this row, with no line end after it: it looks cut short (an \
             interrupted copy or download); copy or export it again whole. If the row is \
             whole, a delimiter is missing in it",
        ),
        (
            "cut-crlf.csv",
            "B,2\r\n\r\nC",
            "the file ends inside this row, with no line end after it: it looks cut short (an \
             interrupted copy or download); copy or export it again whole. If the row is \
             whole, a delimiter is missing in it",
        ),
    ] {
        let p = write(&dir, name, format!("id,v\nA,1\n{tail}").as_bytes());
        let e = read(&[p], &infer_all).unwrap_err();
        assert_eq!(e.diagnostics[0].help.as_deref(), Some(help), "{name}");
    }
}

#[test]
fn sha256_is_of_raw_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "a.csv", b"x\n1\n");
    let t = read(&[p], &infer_all).unwrap();
    use sha2::{Digest, Sha256};
    assert_eq!(t.files[0].sha256, decode::hex(&Sha256::digest(b"x\n1\n")));
}

#[test]
fn without_digest_the_same_values_are_read_and_no_sha256_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "a.csv", b"x,y\n1,a\n2.5,b\n");
    let with = read(std::slice::from_ref(&p), &infer_all).unwrap();
    let opts = ReadOptions {
        digest: false,
        ..ReadOptions::default()
    };
    let without = read_table(&[p], &opts, &infer_all).unwrap();
    assert_eq!(with.files[0].sha256.len(), 64);
    assert_eq!(without.files[0].sha256, "");
    assert_eq!(numbers(&without, "x"), vec![1.0, 2.5]);
    assert_eq!(without.column("y"), with.column("y"));
    assert_eq!(without.files[0].rows, 2);
}

#[test]
fn gbk_bytes_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _, _) = encoding_rs::GBK.encode("名称,营收\n甲公司,１２\n乙公司,3\n");
    let p = write(&dir, "g.csv", &bytes);
    let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
    assert_eq!(t.files[0].encoding, "gb18030");
    assert_eq!(t.headers, ["名称", "营收"]);
    assert_eq!(numbers(&t, "营收"), [12.0, 3.0]);
    match t.column("名称") {
        Some(Column::Text(c)) => assert_eq!(c.get(0), Some("甲公司")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        read_headers(&p, &ReadOptions::default()).unwrap(),
        ["名称", "营收"]
    );
}

#[test]
fn gbk_after_a_long_ascii_prefix_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name,v\n");
    while text.len() < decode::PREFIX_LEN + 1000 {
        text.push_str("abc,1\n");
    }
    text.push_str("销售,2\n");
    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
    let p = write(&dir, "long.csv", &bytes);
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(t.files[0].encoding, "gb18030");
    let n = t.rows();
    match t.column("name") {
        Some(Column::Text(c)) => {
            assert_eq!(c.get(n - 1), Some("销售"));
            assert_eq!(c.dict.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.files[0].rows, n);
}

#[test]
fn utf8_with_one_latin1_byte_is_an_error_at_that_byte() {
    // Chinese names in UTF-8, one `Cafés` with é as the Latin-1 byte 0xE9: every name used
    // to come out as GB18030 mojibake, silently.
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = "code,name,rev\n".as_bytes().to_vec();
    for k in 1..=4 {
        bytes.extend_from_slice(format!("C0{k},产业集群,1{k}\n").as_bytes());
    }
    bytes.extend_from_slice(b"C05,Caf\xE9s,1\n");
    let p = write(&dir, "u.csv", &bytes);
    let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.location.as_deref().unwrap(),
        format!("{}, row 6, column 2 (\"name\")", p.display())
    );
    assert!(
        d.message
            .starts_with(&format!("cannot decode '{}' as utf-8", p.display())),
        "{e}"
    );
    assert!(d.help.as_ref().unwrap().contains("--encoding gbk"), "{e}");
}

#[test]
fn utf16le_with_bom() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    for u in "名称\t值\r\n甲\t1\r\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let p = write(&dir, "u.txt", &bytes);
    let opts = ReadOptions {
        delimiter: parse_delimiter("\\t").unwrap(),
        ..Default::default()
    };
    let t = read_table(std::slice::from_ref(&p), &opts, &infer_all).unwrap();
    assert_eq!(t.files[0].encoding, "utf-16le");
    assert_eq!(t.headers, ["名称", "值"]);
    assert_eq!(numbers(&t, "值"), [1.0]);
    // Forcing another encoding against the byte-order mark is refused before decoding.
    let forced = ReadOptions {
        encoding: Some("UTF-8".into()),
        ..opts.clone()
    };
    let e = read_table(&[p], &forced, &infer_all).unwrap_err();
    assert!(
        e.diagnostics[0]
            .message
            .ends_with("starts with a UTF-16LE byte-order mark, but --encoding names UTF-8"),
        "{e}"
    );
}

/// A UTF-16 file with its byte-order mark and damaged text (a byte missing or extra, a NUL
/// character, cut inside a character) is said to be damaged, read in the encoding its mark
/// names: not "UTF-16 without a byte-order mark", with an --encoding the mark refuses.
#[test]
fn damaged_utf16_with_its_byte_order_mark_is_said_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let text = "名称,值\n甲,1\n乙,2\n丙,3\n丁,4\n戊,5\n己,6\n庚,7\n辛,8\n";
    let le = |t: &str| -> Vec<u8> {
        let mut b = vec![0xFF, 0xFE];
        b.extend(t.encode_utf16().flat_map(|u| u.to_le_bytes()));
        b
    };
    let be = |t: &str| -> Vec<u8> {
        let mut b = vec![0xFE, 0xFF];
        b.extend(t.encode_utf16().flat_map(|u| u.to_be_bytes()));
        b
    };
    let help = |bytes: &[u8]| -> (String, String) {
        let p = write(&dir, "u.csv", bytes);
        let e = read(&[p], &infer_all).unwrap_err();
        let d = &e.diagnostics[0];
        (d.message.clone(), d.help.clone().unwrap_or_default())
    };
    // A lone high surrogate inside the text (half of a character).
    let mut bytes = le(text);
    bytes.splice(20..20, [0x00, 0xD8, 0x41, 0x00]);
    let (message, h) = help(&bytes);
    assert!(
        message.contains("as utf-16le: the text is damaged near byte"),
        "{message}"
    );
    assert!(
        h.contains("the file is UTF-16LE (its byte-order mark says so)"),
        "{h}"
    );
    assert!(!h.contains("--encoding"), "{h}");
    // A NUL character in a cell.
    let (message, h) = help(&be(&text.replace("乙", "乙\u{0}")));
    assert!(
        message.contains("holds a NUL character (U+0000)"),
        "{message}"
    );
    assert!(
        h.contains("the file is UTF-16BE (its byte-order mark says so)"),
        "{h}"
    );
    assert!(h.contains("delete the NUL character"), "{h}");
    // Cut inside its last character.
    let bytes = le(text);
    let (message, h) = help(&bytes[..bytes.len() - 1]);
    assert!(
        message.contains("the file ends inside a character"),
        "{message}"
    );
    assert!(!h.contains("--encoding"), "{h}");
}

/// GBK text behind a UTF-8 byte-order mark (a tool added the mark): detected, the error
/// says to read it with --encoding gbk; with it, the mark is skipped with a warning. A UTF-8
/// file with its mark still refuses --encoding gbk.
#[test]
fn gbk_behind_a_utf8_bom_reads_with_encoding_gbk() {
    let dir = tempfile::tempdir().unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode("名称,值\n甲,1\n乙,2\n");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(&gbk);
    let p = write(&dir, "g.csv", &bytes);
    let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
    let help = e.diagnostics[0].help.clone().unwrap_or_default();
    assert!(
        help.starts_with(
            "the file starts with a UTF-8 byte-order mark, but the text after it is GBK"
        ),
        "{e}"
    );
    let forced = ReadOptions {
        encoding: Some("gbk".into()),
        ..Default::default()
    };
    let t = read_table(std::slice::from_ref(&p), &forced, &infer_all).unwrap();
    assert_eq!(t.headers, ["名称", "值"]);
    assert_eq!(numbers(&t, "值"), [1.0, 2.0]);
    assert_eq!(t.files[0].warnings.len(), 1, "{:?}", t.files[0].warnings);
    assert!(t.files[0].warnings[0].ends_with("the mark was skipped"));
    let utf8 = write(&dir, "u.csv", "\u{feff}名称,值\n甲,1\n".as_bytes());
    let e = read_table(&[utf8], &forced, &infer_all).unwrap_err();
    assert!(
        e.diagnostics[0]
            .message
            .ends_with("starts with a UTF-8 byte-order mark, but --encoding names gb18030"),
        "{e}"
    );
}

#[test]
fn utf16_without_bom_and_binary_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = vec![];
    for u in "a,b\n1,2\n".encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let p = write(&dir, "u.csv", &bytes);
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(e.diagnostics[0].message.contains("NUL"));
    assert!(
        e.diagnostics[0]
            .help
            .as_ref()
            .unwrap()
            .contains("--encoding")
    );
    let junk: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let p = write(&dir, "junk.csv", &junk);
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(e.to_string().contains("junk.csv"), "{e}");
}

#[test]
fn unknown_encoding_and_bad_delimiter_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "a.csv", b"a\n1\n");
    let opts = ReadOptions {
        encoding: Some("latin1".into()),
        ..Default::default()
    };
    let e = read_table(std::slice::from_ref(&p), &opts, &infer_all).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    // A library caller's delimiter is held to what --delimiter accepts.
    for bad in [b'"', b'\n', 0, 0xFF] {
        let opts = ReadOptions {
            delimiter: bad,
            ..Default::default()
        };
        let e = read_table(std::slice::from_ref(&p), &opts, &infer_all).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("invalid delimiter byte"), "{e}");
    }
    assert_eq!(parse_delimiter(";").unwrap(), b';');
    assert_eq!(parse_delimiter("tab").unwrap(), b'\t');
    assert_eq!(parse_delimiter("\\t").unwrap(), b'\t');
    let e = parse_delimiter("TAB").unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(
        e.to_string()
            .contains("give --delimiter tab (in lower case)"),
        "{e}"
    );
    assert_eq!(parse_delimiter("|").unwrap(), b'|');
    assert_eq!(parse_delimiter(";;").unwrap_err().exit_code(), 2);
    let e = parse_delimiter("；").unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("full-width form of ';'"), "{e}");
    assert!(e.to_string().contains("give --delimiter ';'"), "{e}");
    // A full-width double quote folds to one the reader refuses: the general help.
    let e = parse_delimiter("＂").unwrap_err();
    assert!(!e.to_string().contains("full-width form"), "{e}");
    let e = parse_delimiter("").unwrap_err();
    assert_eq!(e.diagnostics[0].message, "invalid --delimiter ''");
    assert!(parse_delimiter("，").is_err());
}

#[test]
fn ragged_row_names_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "r.csv", b"a,b,c\n1,2,3\n\n4,5,6,7\n");
    let e = read(&[p], &infer_all).unwrap_err();
    let d = &e.diagnostics[0];
    assert!(
        d.location.as_ref().unwrap().ends_with("r.csv, row 4"),
        "{e}"
    );
    assert_eq!(d.message, "4 fields where the header has 3");
    assert!(d.help.as_deref().unwrap().contains("double quotes"), "{e}");
    // A line ending in a lone CR in a file of LF line ends: two rows read as one.
    let p = write(&dir, "cr.csv", b"a,b,c\n1,2,3\n4,5,6\r7,8,9\n");
    let e = read(&[p], &infer_all).unwrap_err();
    assert_eq!(e.diagnostics[0].message, "5 fields where the header has 3");
    assert!(
        e.diagnostics[0].help.as_deref().unwrap().starts_with(
            "field 3 ends a line with a lone carriage return (CR, an old Mac line end)"
        ),
        "{e}"
    );
    // A CR typed into a quoted cell of a row with one field too many: the delimiter, not
    // the CR.
    let p = write(&dir, "q.csv", b"a,b,c\n1,\"x\ry\",3,4\n");
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        e.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("double quotes"),
        "{e}"
    );
    // Extra fields that are all empty: a trailing delimiter, not a field holding one.
    let p = write(&dir, "t.csv", b"a,b,c\n1,2,3\n4,5,6,,\n");
    let e = read(&[p], &infer_all).unwrap_err();
    assert_eq!(
        e.diagnostics[0].help.as_deref(),
        Some(
            "the row has 2 empty fields beyond the 3 columns (a delimiter at the end of the row, or a cleared cell to the right of the table): delete them"
        )
    );
}

#[test]
fn cell_errors_before_a_ragged_row_are_reported_with_it_at_any_distance() {
    // The ragged row falls in the first batch of records or after several full ones: the
    // rows before it are checked either way, and their errors come first, in file order.
    for good in [3usize, 20_000] {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("a,b\n1,x\n");
        for i in 0..good {
            text.push_str(&format!("{i},{i}\n"));
        }
        text.push_str("2,y\n3,4,5\n6,7\n");
        let p = write(&dir, "r.csv", text.as_bytes());
        let e = read(&[p], &|h| (h == "b").then_some(ColumnRequest::Number)).unwrap_err();
        let at: Vec<String> = e
            .diagnostics
            .iter()
            .map(|d| d.location.clone().unwrap_or_default())
            .collect();
        assert_eq!(e.diagnostics.len(), 3, "{good}: {e}");
        assert!(at[0].ends_with("row 2, column \"b\""), "{good}: {at:?}");
        assert!(
            at[1].ends_with(&format!("row {}, column \"b\"", good + 3)),
            "{at:?}"
        );
        assert!(at[2].ends_with(&format!("row {}", good + 4)), "{at:?}");
        assert_eq!(e.diagnostics[2].message, "3 fields where the header has 2");
    }
}

#[test]
fn unclosed_quote_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "q.csv", b"a,b\n1,\"2\n3,4\n5,6\n");
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(first_error(&e).contains("row 2"), "{e}");
    assert!(e.diagnostics[0].help.as_ref().unwrap().contains("quote"));
}

#[test]
fn a_quote_left_open_is_found_whatever_the_number_of_quotes() {
    // The stray quote inside row 2's unquoted name makes the file's quote count even; the
    // quote opened in row 3 still takes rows 4 and 5 into B's name.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "q.csv",
        b"code,rev,name\nA,10,Al\"pha\nB,20,\"Beta\nC,30,Gamma\nD,40,Delta\n",
    );
    let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.location.as_deref().unwrap(),
        format!("{}, row 3", p.display())
    );
    assert_eq!(
        d.message,
        "a quote (\") is left open: the last field runs to the end of the file"
    );
    assert!(
        d.help
            .as_ref()
            .unwrap()
            .contains("probably left open in row 3"),
        "{e}"
    );
}

#[test]
fn a_final_quoted_field_ending_with_a_line_break_is_not_an_open_quote() {
    // One literal quote in an unquoted field, and a last record whose quoted last field ends
    // with a line break: an odd number of quotes, and nothing left open.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "ok.csv",
        b"code,rev,name\nA,10,12\" pipe\nB,20,\"two\nlines\n\"\n",
    );
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(numbers(&t, "rev"), [10.0, 20.0]);
    match t.column("name") {
        Some(Column::Text(c)) => {
            assert_eq!(c.get(0), Some("12\" pipe"));
            assert_eq!(c.get(1).map(str::trim_end), Some("two\nlines"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_quote_left_open_and_closed_in_a_later_rows_text_is_an_error() {
    // Row 2 opens a quote; the quote inside row 3's `Be"ta` closes it, followed by `ta`:
    // read as written, row 3 would vanish into A's name.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "q.csv",
        b"code,rev,name\nA,10,\"Alpha\nB,20,Be\"ta\nC,30,Gamma\n",
    );
    let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.location.as_deref().unwrap(),
        format!("{}, row 2", p.display())
    );
    assert!(
        d.message.contains("closing quote is followed by more text"),
        "{e}"
    );
    assert_eq!(
        d.help.as_deref().unwrap(),
        "a quote (\") is probably left open in row 2; close it, or double a quote that \
         belongs to the text (\"\")"
    );
    // On one line, `"12"0` would read as 120: refused at the cell.
    let p = write(&dir, "one.csv", b"code,rev\nA,\"12\"0\nB,\"3\"\n");
    let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
    let d = &e.diagnostics[0];
    assert_eq!(
        d.location.as_deref().unwrap(),
        format!("{}, row 2, column \"rev\"", p.display())
    );
    assert!(
        d.message
            .starts_with("the quoted cell \"12\"0 (field 2) has text after its closing quote"),
        "{e}"
    );
    // Text joined into text is read as spreadsheets read it: `"ab"cd` is `abcd`.
    let p = write(&dir, "text.csv", b"code,name\nA,\"ab\"cd\nB,\"x\ny\"\n");
    let t = read(&[p], &infer_all).unwrap();
    match t.column("name") {
        Some(Column::Text(c)) => assert_eq!((c.get(0), c.get(1)), (Some("abcd"), Some("x\ny"))),
        other => panic!("{other:?}"),
    }
    // A quoted cell over two lines, closed before the line end, reads as written.
    let p = write(&dir, "two.csv", b"code,name\nA,\"ab\" \nB,\"x\ny\"\n");
    let t = read(&[p], &infer_all).unwrap();
    match t.column("name") {
        Some(Column::Text(c)) => assert_eq!((c.get(0), c.get(1)), (Some("ab"), Some("x\ny"))),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_quote_left_open_in_a_title_row_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "t.csv", "\"标题\ncode,name\nA,a\n".as_bytes());
    let opts = ReadOptions {
        header_row: 2,
        ..Default::default()
    };
    let e = read_table(std::slice::from_ref(&p), &opts, &infer_all).unwrap_err();
    assert_eq!(
        first_error(&e),
        format!(
            "{}, row 1: a quote (\") is left open: the last field runs to the end of the file",
            p.display()
        )
    );
}

#[test]
fn crlf_and_cr_only_line_breaks() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "w.csv", b"a,b\r\n1,\"x\r\ny\"\r\n\r\n2,z\r\n3,w");
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(numbers(&t, "a"), [1.0, 2.0, 3.0]);
    assert_eq!((t.origin(0).1, t.origin(1).1, t.origin(2).1), (2, 4, 5));
    match t.column("b") {
        Some(Column::Text(c)) => assert_eq!(c.get(0), Some("x\ny")),
        other => panic!("{other:?}"),
    }
    let p = write(&dir, "mac.csv", b"a,b\r1,2\r\r3,4\r");
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(numbers(&t, "b"), [2.0, 4.0]);
    assert_eq!(t.origin(1).1, 4);
}

#[test]
fn a_carriage_return_inside_a_quoted_field_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("lf.csv", &b"code,name\nA,\"Al\rpha\"\nB,Beta\n"[..]),
        ("crlf.csv", &b"code,name\r\nA,\"Al\rpha\"\r\nB,Beta\r\n"[..]),
    ] {
        let p = write(&dir, name, bytes);
        let t = read(&[p], &infer_all).unwrap();
        assert_eq!(t.rows(), 2, "{name}");
        match t.column("name") {
            Some(Column::Text(c)) => assert_eq!(c.get(0), Some("Al\rpha"), "{name}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.origin(1).1, 3, "{name}");
    }
}

#[test]
fn quoted_fields_with_line_breaks_are_fine() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "ok.csv",
        b"a,b\n1,\"x\ny\"\n2,\"he said \"\"hi\"\"\"\n",
    );
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(t.rows(), 2);
}

#[test]
fn duplicate_and_empty_headers() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "d.csv", "a,Ｂ,B\n1,2,3\n".as_bytes());
    let e = read(&[p], &infer_all).unwrap_err();
    assert_eq!(
        first_error(&e),
        format!(
            "{}, row 1: duplicate header \"B\" in columns 2 and 3",
            dir.path().join("d.csv").display()
        )
    );
    let p = write(&dir, "e.csv", b"a,,c\n1,2,3\n");
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        e.diagnostics[0]
            .message
            .contains("empty header in column 2")
    );
}

#[test]
fn a_record_of_spaces_and_vertical_tabs_is_blank() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "v.csv", b"id,x\na,1\n,\x0b\n \t,\x0b \nb,2\n");
    let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
    assert_eq!(t.rows(), 2);
    assert_eq!(numbers(&t, "x"), [1.0, 2.0]);
}

#[test]
fn header_row_two_and_blank_records_keep_row_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "h.csv",
        "企业名单 2023,,\n id , 值 ,备注\n\nx1,1,\n , ,\n\"x\n2\",2,ok\nx3,oops,\n".as_bytes(),
    );
    let opts = ReadOptions {
        header_row: 2,
        ..Default::default()
    };
    let e = read_table(std::slice::from_ref(&p), &opts, &|h| match h {
        "值" => Some(ColumnRequest::Number),
        _ => None,
    })
    .unwrap_err();
    // Row 1 title, 2 header, 3 empty line, 4 x1, 5 blank record, 6 the record whose quoted
    // field spans two lines (one spreadsheet row), 7 x3.
    let d = &e.diagnostics[0];
    assert_eq!(
        d.location.as_deref().unwrap(),
        format!("{}, row 7, column \"值\"", p.display())
    );
    assert_eq!(d.message, "cannot read \"oops\" as a number");
    // A word without digits may mean "no data": the help gives the marker to add.
    assert!(
        d.help
            .as_ref()
            .unwrap()
            .starts_with("if \"oops\" means no data, add it to the missing markers: [data] missing_markers = [\"oops\"]")
    );

    let p2 = write(
        &dir,
        "h2.csv",
        "title\nid,v\n\nx1,1\n , \n\"x\n2\",2\nx3,3\n".as_bytes(),
    );
    let t = read_table(&[p2], &opts, &infer_all).unwrap();
    assert_eq!(t.rows(), 3);
    assert_eq!(t.origin(0).1, 4);
    assert_eq!(t.origin(1).1, 6);
    assert_eq!(t.origin(2).1, 7);
    assert_eq!(t.files[0].rows, 3);
}

#[test]
fn header_row_beyond_end_and_empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "s.csv", b"a,b\n1,2\n");
    let opts = ReadOptions {
        header_row: 5,
        ..Default::default()
    };
    let e = read_table(&[p], &opts, &infer_all).unwrap_err();
    assert!(e.diagnostics[0].message.contains("beyond the end"), "{e}");
    let p = write(&dir, "empty.csv", b"");
    assert!(read(&[p], &infer_all).is_err());
}

#[test]
fn no_data_rows_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.csv", b"x,y\n");
    let b = write(&dir, "b.csv", b"x,y\n,\n  ,\n");
    let e = read(&[a, b], &infer_all).unwrap_err();
    assert!(
        e.diagnostics[0].message.starts_with("no data rows in "),
        "{e}"
    );
    assert!(e.diagnostics[0].message.contains("b.csv"));
}

#[test]
fn several_files_reorder_and_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.csv", b"id,v,w\nA,1,x\n");
    let b = write(&dir, "b.csv", "ｗ,id,v\ny,B,2\nz,C,3\n".as_bytes());
    let t = read(&[a.clone(), b.clone()], &infer_all).unwrap();
    assert_eq!(t.headers, ["id", "v", "w"]);
    assert_eq!(numbers(&t, "v"), [1.0, 2.0, 3.0]);
    assert_eq!(t.files.len(), 2);
    assert_eq!(t.files[1].rows, 2);
    let (path, row) = t.origin(2);
    assert!(path.ends_with("b.csv"));
    assert_eq!(row, 3);
    assert!(
        t.location(2, "w")
            .to_string()
            .ends_with("b.csv, row 3, column \"ｗ\"")
    );
    match t.column("w") {
        Some(Column::Text(c)) => assert_eq!(c.get(1), Some("y")),
        other => panic!("{other:?}"),
    }
    let c = write(&dir, "c.csv", b"id,v,z\nA,1,2\n");
    let e = read(&[a, c], &infer_all).unwrap_err();
    let m = &e.diagnostics[0].message;
    assert!(
        m.contains("missing \"w\"") && m.contains("extra \"z\""),
        "{m}"
    );
    assert!(
        e.diagnostics[0]
            .location
            .as_ref()
            .unwrap()
            .ends_with("c.csv")
    );
}

#[test]
fn infer_typing() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "i.csv",
        "n,b,t,m,z\n1,是,x,-,1\n2.5%,N,12, ,0\nNA,yes,,NA,1\n".as_bytes(),
    );
    let t = read(&[p], &infer_all).unwrap();
    let n = numbers(&t, "n");
    assert_eq!(&n[..2], [1.0, 2.5]);
    assert!(n[2].is_nan());
    assert_eq!(
        t.column("b"),
        Some(&Column::Bool(vec![Some(true), Some(false), Some(true)]))
    );
    match t.column("t") {
        Some(Column::Text(c)) => {
            assert_eq!(c.get(1), Some("12"));
            assert_eq!(c.get(2), None);
        }
        other => panic!("{other:?}"),
    }
    assert!(numbers(&t, "m").iter().all(|x| x.is_nan()));
    assert_eq!(numbers(&t, "z"), [1.0, 0.0, 1.0]);
}

#[test]
fn number_bool_and_text_requests() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, "n.csv", "v,f,t\n是,2,\"  a b \"\n".as_bytes());
    let e = read(std::slice::from_ref(&p), &|h| match h {
        "v" => Some(ColumnRequest::Number),
        "f" => Some(ColumnRequest::Bool),
        _ => Some(ColumnRequest::Text),
    })
    .unwrap_err();
    assert_eq!(e.diagnostics.len(), 2);
    assert_eq!(
        e.diagnostics[0].message,
        "boolean value \"是\" in a number column"
    );
    assert!(
        e.diagnostics[0]
            .help
            .as_ref()
            .unwrap()
            .starts_with("this column is read as numbers: write the number the word stands for")
    );
    assert_eq!(e.diagnostics[1].message, "cannot read \"2\" as yes/no");
    assert!(e.diagnostics[1].help.as_ref().unwrap().contains("是/否"));
    // `无` in an amount: 0 is offered first, and the marker's reach is said.
    let none = write(&dir, "none.csv", "v\n无\n".as_bytes());
    let e = read(&[none], &|_| Some(ColumnRequest::Number)).unwrap_err();
    let help = e.diagnostics[0].help.as_deref().unwrap();
    assert!(
        help.starts_with("this column is read as numbers: if \"无\" means none here, write 0;"),
        "{help}"
    );
    assert!(
        help.contains("a yes/no or category column would read \"无\" as missing too"),
        "{help}"
    );
    let t = read(&[p], &|h| (h == "t").then_some(ColumnRequest::Text)).unwrap();
    assert!(t.column("v").is_none());
    match t.column("t") {
        Some(Column::Text(c)) => assert_eq!(c.get(0), Some("a b")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn extra_missing_markers_and_long_values_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(10 * 1024 * 1024);
    let p = write(&dir, "m.csv", format!("v\n无数据\n－\n{long}\n").as_bytes());
    let opts = ReadOptions {
        missing_markers: vec!["无数据".into()],
        ..Default::default()
    };
    let e = read_table(&[p], &opts, &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert_eq!(e.diagnostics.len(), 1);
    let d = &e.diagnostics[0];
    assert!(
        d.location
            .as_ref()
            .unwrap()
            .ends_with("row 4, column \"v\"")
    );
    assert!(d.message.chars().count() < 260);
    assert!(d.help.as_ref().unwrap().contains("`无数据`"));
}

#[test]
fn wide_header_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    let p = write(&dir, "w.csv", format!("{}\n", header.join(",")).as_bytes());
    let e = read(std::slice::from_ref(&p), &|_| None).unwrap_err();
    assert!(e.diagnostics[0].message.starts_with("no data rows"));
    assert_eq!(
        read_headers(&p, &ReadOptions::default()).unwrap().len(),
        100_000
    );
}

#[test]
fn error_collection_lists_a_few_per_column_and_summarises_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "x.csv",
        format!("v,w\n{}", "bad,1\n".repeat(100)).as_bytes(),
    );
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    // Three cells listed, then one summary of the 97 others with their first rows.
    assert_eq!(e.diagnostics.len(), 4);
    assert!(!e.stopped_early);
    assert_eq!(e.total, Some(100));
    let last = &e.diagnostics[3];
    assert!(
        last.location
            .as_deref()
            .unwrap()
            .ends_with("x.csv, column \"v\""),
        "{e}"
    );
    assert_eq!(
        last.message,
        "97 more cells of this column cannot be read: rows 5 (\"bad\"), 6 (\"bad\"), 7 (\"bad\"), 8 (\"bad\"), 9 (\"bad\"), 10 (\"bad\"), 11 (\"bad\"), 12 (\"bad\") and 89 more"
    );
    assert!(
        last.help
            .as_deref()
            .unwrap()
            .starts_with("the first of them, row 5: cannot read \"bad\" as a number; "),
        "{e}"
    );
    assert!(e.to_string().ends_with("\n100 errors"), "{e}");
}

#[test]
fn a_units_row_is_one_error_of_the_row() {
    let dir = tempfile::tempdir().unwrap();
    // Row 2 gives units in 25 number columns: more than the cell errors listed one by one, so
    // the last columns' cells reach it through their column summaries. Row 3 has one bad cell.
    let header: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
    let units: Vec<&str> = (0..25)
        .map(|i| if i == 1 { "（家）" } else { "万元" })
        .collect();
    let mut good = vec!["1"; 25];
    let text = format!("{}\n{}\n{}\n", header.join(","), units.join(","), {
        good[3] = "oops";
        good.join(",")
    });
    let p = write(&dir, "x.csv", text.as_bytes());
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert_eq!(e.diagnostics.len(), 2, "{e}");
    assert_eq!(e.total, None, "{e}");
    let units_row = &e.diagnostics[0];
    assert!(
        units_row
            .location
            .as_deref()
            .unwrap()
            .ends_with("x.csv, row 2"),
        "{e}"
    );
    assert_eq!(
        units_row.message,
        "row 2 holds units, not values, in 25 columns: \"c0\" (\"万元\"), \"c1\" (\"（家）\"), \
         \"c2\" (\"万元\"), \"c3\" (\"万元\") and 21 more"
    );
    assert!(
        units_row
            .help
            .as_deref()
            .unwrap()
            .contains("delete the row"),
        "{e}"
    );
    // Past the twenty listed cells (the units row's took them), in its column's summary.
    assert_eq!(
        e.diagnostics[1].message,
        "1 cell of this column cannot be read: row 3 (\"oops\")"
    );
    assert!(e.to_string().ends_with("\n2 errors"), "{e}");

    // Columns past the listed cells with more bad cells: the units row leaves their
    // summaries, which keep the other cells (the row counted once, in all 25 columns).
    let mut rows = vec![header.join(","), units.join(",")];
    for _ in 0..2 {
        let mut r = vec!["1"; 25];
        r[23] = "y";
        r[24] = "y";
        rows.push(r.join(","));
    }
    let p = write(&dir, "w.csv", (rows.join("\n") + "\n").as_bytes());
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert!(e.diagnostics[0].message.contains("in 25 columns"), "{e}");
    let summaries: Vec<&str> = e.diagnostics[1..]
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        summaries,
        [
            "2 cells of this column cannot be read: rows 3 (\"y\"), 4 (\"y\")",
            "2 cells of this column cannot be read: rows 3 (\"y\"), 4 (\"y\")"
        ],
        "{e}"
    );
    assert!(e.to_string().ends_with("\n5 errors"), "{e}");
    // A units row in a second file whose columns had their cells listed in the first: found
    // in the column summaries all the same.
    let bad = write(&dir, "a.csv", "a,b\nx,x\nx,x\nx,x\nx,x\n".as_bytes());
    let units = write(&dir, "b.csv", "a,b\n万元,%\n1,2\n".as_bytes());
    let e = read(&[bad, units], &|_| Some(ColumnRequest::Number)).unwrap_err();
    let merged: Vec<&Diagnostic> = (e.diagnostics.iter())
        .filter(|d| d.message.contains("万元"))
        .collect();
    assert_eq!(merged.len(), 1, "{e}");
    assert!(
        merged[0]
            .message
            .starts_with("row 2 holds units, not values, in 2 columns")
            && merged[0]
                .location
                .as_deref()
                .unwrap()
                .ends_with("b.csv, row 2"),
        "{e}"
    );

    // One unit word in a row is a cell error as before; one unit in every column is named once.
    let p = write(&dir, "y.csv", "a,b\n万元,1\n".as_bytes());
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert_eq!(e.diagnostics[0].message, "cannot read \"万元\" as a number");
    let p = write(&dir, "z.csv", "a,b\n1,2\n万元,万元\n".as_bytes());
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert_eq!(
        e.diagnostics[0].message,
        "row 3 holds units, not values: \"万元\" in 2 columns (\"a\", \"b\")"
    );
}

#[test]
fn error_collection_lists_at_most_the_limit_across_columns() {
    let dir = tempfile::tempdir().unwrap();
    // 10 bad columns × 5 rows: the first two rows' cells are listed (20 in all, in row
    // order), the other three of each column summarised per column.
    let header: Vec<String> = (0..10).map(|i| format!("c{i}")).collect();
    let row = ["x"; 10].join(",");
    let text = format!("{}\n{}", header.join(","), format!("{row}\n").repeat(5));
    let p = write(&dir, "x.csv", text.as_bytes());
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert_eq!(e.total, Some(50));
    let listed = e
        .diagnostics
        .iter()
        .filter(|d| d.message.starts_with("cannot read"))
        .count();
    assert_eq!(listed, table::MAX_ERRORS);
    let summaries: Vec<&str> = e
        .diagnostics
        .iter()
        .filter(|d| d.message.contains("more cell"))
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(summaries.len(), 10, "{e}");
    assert_eq!(
        summaries[0],
        "3 more cells of this column cannot be read: rows 4 (\"x\"), 5 (\"x\"), 6 (\"x\")"
    );
}

#[test]
fn error_collection_stops_at_the_count_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "x.csv",
        format!("v\n{}", "bad\n".repeat(150_000)).as_bytes(),
    );
    let e = read(&[p], &|_| Some(ColumnRequest::Number)).unwrap_err();
    assert!(e.stopped_early);
    assert!(
        e.to_string()
            .ends_with("\nstopped after the first 100000 errors; more may follow"),
        "{e}"
    );
}

#[test]
fn missing_file_is_io_error() {
    let e = read(&[PathBuf::from("/nonexistent/x.csv")], &infer_all).unwrap_err();
    assert_eq!(e.diagnostics[0].stage, crate::diag::Stage::Io);
    assert!(e.diagnostics[0].message.contains("/nonexistent/x.csv"));
    let e = read(&[PathBuf::from("/nonexistent/x.XLSX")], &infer_all).unwrap_err();
    assert_eq!(e.diagnostics[0].stage, crate::diag::Stage::Io);
}

mod xlsx_files {
    use super::*;
    use rust_xlsxwriter::Workbook;

    fn workbook(dir: &tempfile::TempDir, name: &str) -> PathBuf {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name("说明").unwrap();
        ws.write_string(0, 0, "see next sheet").unwrap();
        let ws = wb.add_worksheet();
        ws.set_name("数据").unwrap();
        ws.write_string(0, 0, "名单").unwrap();
        for (c, h) in ["代码", "销售收入（万元）", "高新", "备注"]
            .iter()
            .enumerate()
        {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        ws.write_string(2, 0, "A1").unwrap();
        ws.write_number(2, 1, 1234.5).unwrap();
        ws.write_boolean(2, 2, true).unwrap();
        ws.write_string(2, 3, "x").unwrap();
        // Row 4 left blank.
        ws.write_string(4, 0, "A2").unwrap();
        ws.write_string(4, 1, "1,000").unwrap();
        ws.write_string(4, 2, "否").unwrap();
        ws.write_number(4, 3, 7.0).unwrap();
        ws.write_string(5, 0, "A3").unwrap();
        ws.write_string(5, 1, "NA").unwrap();
        ws.write_number(5, 2, 1.0).unwrap();
        let p = dir.path().join(name);
        wb.save(&p).unwrap();
        p
    }

    fn opts() -> ReadOptions {
        ReadOptions {
            sheet: Some("数据".into()),
            header_row: 2,
            ..Default::default()
        }
    }

    /// A workbook whose only sheet holds no cell: said so, with what to do (there is no
    /// other sheet to name).
    #[test]
    fn an_empty_only_sheet_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        wb.add_worksheet();
        let p = dir.path().join("empty.xlsx");
        wb.save(&p).unwrap();
        let e = read(&[p], &infer_all).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            d.message,
            "header row 1 is beyond the end of the sheet (it is empty)"
        );
        assert!(
            d.help
                .as_deref()
                .unwrap()
                .starts_with("the sheet holds no cell: put the table in it"),
            "{e}"
        );
    }

    #[test]
    fn a_row_of_a_workbook_is_named_with_its_sheet() {
        let dir = tempfile::tempdir().unwrap();
        let p = workbook(&dir, "rows.xlsx");
        let t = read_table(std::slice::from_ref(&p), &opts(), &infer_all).unwrap();
        // Table row 1 is A2, spreadsheet row 5 (row 4 is blank).
        assert_eq!(
            t.file_row(1),
            format!("{} (sheet \"数据\") row 5", p.display())
        );
        let c = write(&dir, "r.csv", b"id,x\nA,1\n");
        let t = read(std::slice::from_ref(&c), &infer_all).unwrap();
        assert_eq!(t.file_row(0), format!("{} row 2", c.display()));
    }

    #[test]
    fn a_first_sheet_of_notes_is_named_with_the_other_sheets() {
        let dir = tempfile::tempdir().unwrap();
        let p = workbook(&dir, "notes.xlsx");
        // No sheet named: the notes sheet is read (one cell: no data rows), and the error
        // says which sheet that was and which others there are.
        let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
        let help = e.diagnostics[0].help.as_deref().unwrap();
        assert!(
            help.ends_with("sheet \"说明\" was read, the first visible one; the workbook's other sheets: \"数据\": choose one with --sheet \"数据\" or [data] sheet = \"数据\""),
            "{help}"
        );
        // A named sheet: nothing to suggest.
        let t = read_table(std::slice::from_ref(&p), &opts(), &infer_all).unwrap();
        assert_eq!(t.files[0].default_sheet, None);
        // An empty first sheet says where the data may be.
        let mut wb = Workbook::new();
        wb.add_worksheet().set_name("空").unwrap();
        let ws = wb.add_worksheet();
        ws.set_name("表").unwrap();
        ws.write_string(0, 0, "id").unwrap();
        let q = dir.path().join("empty_first.xlsx");
        wb.save(&q).unwrap();
        let e = read(std::slice::from_ref(&q), &infer_all).unwrap_err();
        let help = e.diagnostics[0].help.as_deref().unwrap();
        assert!(help.contains("other sheets: \"表\""), "{help}");
    }

    /// A statistical template's two-row header (group labels merged over the names) is
    /// named as such, with header_row = 2 as the fix; with it, the sheet reads.
    #[test]
    fn a_two_row_header_suggests_the_row_of_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let f = rust_xlsxwriter::Format::new();
        ws.merge_range(0, 0, 0, 1, "基本信息", &f).unwrap();
        ws.merge_range(0, 2, 0, 3, "指标", &f).unwrap();
        for (c, h) in ["code", "name", "值", "标志"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        ws.write_string(2, 0, "A").unwrap();
        ws.write_string(2, 1, "甲").unwrap();
        ws.write_number(2, 2, 1.0).unwrap();
        ws.write_string(2, 3, "是").unwrap();
        let p = dir.path().join("tworow.xlsx");
        wb.save(&p).unwrap();
        let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(
            d.message,
            "row 1 has 2 empty headers over a row of names in every column: a two-row header?"
        );
        assert!(
            d.help
                .as_deref()
                .unwrap()
                .contains("set header_row = 2 in [data]"),
            "{:?}",
            d.help
        );
        let o = ReadOptions {
            header_row: 2,
            ..Default::default()
        };
        let t = read_table(std::slice::from_ref(&p), &o, &infer_all).unwrap();
        assert_eq!(t.headers, ["code", "name", "值", "标志"]);
        assert_eq!(t.rows(), 1);
    }

    /// A date in a number column (a year typed into a date-formatted cell) gets the year to
    /// type, not "format it as a number" (which shows Excel's day count).
    #[test]
    fn a_number_column_shown_scaled_by_its_format_is_warned_of() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["id", "revenue", "rd", "plain"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        let wan = rust_xlsxwriter::Format::new().set_num_format("0!.0000\"万\"");
        let unit = rust_xlsxwriter::Format::new().set_num_format("0.00\"万元\"");
        for (r, id) in ["A", "B"].iter().enumerate() {
            let r = r as u32 + 1;
            ws.write_string(r, 0, *id).unwrap();
            ws.write_number_with_format(r, 1, 1_200_000.0, &wan)
                .unwrap();
            ws.write_number_with_format(r, 2, 120.0, &unit).unwrap();
            ws.write_number(r, 3, 5.0).unwrap();
        }
        let p = dir.path().join("wan.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &|h| match h {
            "id" => Some(ColumnRequest::Text),
            _ => Some(ColumnRequest::Number),
        })
        .unwrap();
        // The stored number is read; the one column whose format moves the point is said.
        let Some(Column::Number(v)) = t.column("revenue") else {
            panic!()
        };
        assert_eq!(v[0], 1_200_000.0);
        let w = &t.files[0].warnings;
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].ends_with(
                "column \"revenue\" is formatted to show its numbers scaled (format \
                 `0!.0000\"万\"`; row 2: the cell stores 1200000): the stored number is read, \
                 not the one shown; if the rules are written for the number shown, scale the \
                 indicator with `multiply` (0.0001 for a format that moves the point four \
                 places to show 万, 0.001 for each comma that ends a format)"
            ),
            "{}",
            w[0]
        );
    }

    /// A date cell in a number column: the diagnostic says what the cell holds.
    #[test]
    fn a_date_in_a_number_column_says_what_the_cell_holds() {
        let dir = tempfile::tempdir().unwrap();
        let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let error_of = |name: &str, write: &dyn Fn(&mut rust_xlsxwriter::Worksheet)| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.write_string(0, 0, "id").unwrap();
            ws.write_string(0, 1, "x").unwrap();
            ws.write_string(1, 0, "A").unwrap();
            write(ws);
            let p = dir.path().join(name);
            wb.save(&p).unwrap();
            let e = read(std::slice::from_ref(&p), &|h| match h {
                "id" => Some(ColumnRequest::Text),
                _ => Some(ColumnRequest::Number),
            })
            .unwrap_err();
            let d = &e.diagnostics[0];
            (d.message.clone(), d.help.clone().unwrap_or_default())
        };
        // A year typed as a date: the year to type instead.
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2023, 1, 1).unwrap();
        let (message, help) = error_of("date.xlsx", &|ws| {
            ws.write_datetime_with_format(1, 1, &date, &date_format)
                .unwrap();
        });
        assert!(
            message.starts_with("cannot read date \"2023-01-01"),
            "{message}"
        );
        assert!(
            help.starts_with(
                "the cell holds a date, not a number: for a year type 2023 in a cell formatted \
                 as General or Number"
            ),
            "{help}"
        );
        // A count of 99 in a cell formatted yyyy-mm-dd shows as 1900-04-08: the number it is.
        let (message, help) = error_of("count.xlsx", &|ws| {
            ws.write_number_with_format(1, 1, 99.0, &date_format)
                .unwrap();
        });
        assert!(
            message.starts_with("cannot read date \"1900-04-08"),
            "{message}"
        );
        assert_eq!(
            help,
            "the cell holds the number 99 formatted as a date: format the column as Number (or General) and it reads as 99"
        );
    }

    #[test]
    fn merged_cells_in_the_data_rows_are_warned_of() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let f = rust_xlsxwriter::Format::new();
        // A title merged over the columns above the header: not data, not warned.
        ws.merge_range(0, 0, 0, 2, "名单", &f).unwrap();
        for (c, h) in ["id", "地市", "v"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        for (r, id) in ["A", "B", "C"].iter().enumerate() {
            ws.write_string(2 + r as u32, 0, *id).unwrap();
            ws.write_number(2 + r as u32, 2, r as f64).unwrap();
        }
        // 聊城 shown for A and B, stored in B3 only.
        ws.merge_range(2, 1, 3, 1, "聊城", &f).unwrap();
        ws.write_string(4, 1, "济南").unwrap();
        let p = dir.path().join("merged.xlsx");
        wb.save(&p).unwrap();
        let o = ReadOptions {
            header_row: 2,
            ..Default::default()
        };
        let t = read_table(std::slice::from_ref(&p), &o, &infer_all).unwrap();
        assert_eq!(t.files[0].warnings.len(), 1, "{:?}", t.files[0].warnings);
        let w = &t.files[0].warnings[0];
        assert!(
            w.contains(
                "sheet \"Sheet1\": merged cells B3:B4, column \"地市\": only the first cell"
            ),
            "{w}"
        );
        // Read as stored: B's 地市 is missing (the warning says why).
        let Some(Column::Text(city)) = &t.columns[1] else {
            panic!("地市 is text")
        };
        assert_eq!(city.get(0), Some("聊城"));
        assert_eq!(city.get(1), None);
    }

    /// A workbook's percent format shows 0.05 as 5%: a number column formatted so is read in
    /// percent units (5), as the same cell saved as CSV text (`5%`) is (SPEC §6), and said; a
    /// column mixing percentages with plain numbers is read as stored and said.
    #[test]
    fn percent_formatted_columns_are_read_in_percent_units() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        let pct = rust_xlsxwriter::Format::new().set_num_format("0.0%");
        let pct_builtin = rust_xlsxwriter::Format::new().set_num_format_index(10);
        let quoted = rust_xlsxwriter::Format::new().set_num_format("0.0\"%\"");
        for (c, h) in ["id", "rd", "share", "n", "note"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for r in 1..=3u32 {
            ws.write_string(r, 0, format!("E{r}")).unwrap();
            ws.write_number_with_format(r, 1, 0.05 * f64::from(r), &pct)
                .unwrap();
            ws.write_number_with_format(r, 2, 0.14 * f64::from(r), &pct_builtin)
                .unwrap();
            // A % in quotes is literal text: 12 shown as "12.0%" is 12.
            ws.write_number_with_format(r, 3, 12.0, &quoted).unwrap();
            // Text in a percent-formatted cell is text.
            ws.write_string_with_format(r, 4, "n/a", &pct).unwrap();
        }
        let p = dir.path().join("pct.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        // 0.15000000000000002 (0.05 × 3 in binary) is 15.000000000000002 in percent units,
        // and 0.14 × 3 = 0.42000000000000004 is 42.00000000000001: the decimal shifts, not
        // a multiplication that would add its own error.
        assert_eq!(numbers(&t, "rd"), [5.0, 10.0, 15.000000000000002]);
        assert_eq!(numbers(&t, "share"), [14.0, 28.0, 42.00000000000001]);
        assert_eq!(numbers(&t, "n"), [12.0, 12.0, 12.0]);
        assert_eq!(t.files[0].warnings.len(), 1, "{:?}", t.files[0].warnings);
        let w = &t.files[0].warnings[0];
        assert!(
            w.ends_with(
                "sheet \"Sheet1\": 2 columns formatted as percentages are read in percent units, as the same cells saved as CSV text (5%) are: \"rd\" (B2 shows 5%, read as 5); \"share\" (C2 shows 14%, read as 14)"
            ),
            "{w}"
        );
        // A column an indicator also rescales: said, since a multiply = 100 would now apply
        // twice.
        let o = ReadOptions {
            rescaled_columns: vec!["rd".into()],
            ..Default::default()
        };
        let t = read_table(std::slice::from_ref(&p), &o, &infer_all).unwrap();
        assert_eq!(t.files[0].warnings.len(), 1, "{:?}", t.files[0].warnings);
        let w = &t.files[0].warnings[0];
        assert!(w.ends_with("; an indicator also rescales \"rd\" with `multiply`: a `multiply = 100` written for the fractions the cells store now multiplies a second time"), "{w}");

        // A column mixing percentages with plain numbers: read as stored, and said.
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "id").unwrap();
        ws.write_string(0, 1, "rd").unwrap();
        for r in 1..=2u32 {
            ws.write_string(r, 0, format!("E{r}")).unwrap();
        }
        ws.write_number_with_format(1, 1, 0.05, &pct).unwrap();
        ws.write_number(2, 1, 7.0).unwrap();
        let p = dir.path().join("mixed.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        assert_eq!(numbers(&t, "rd"), [0.05, 7.0]);
        let w = &t.files[0].warnings[0];
        assert!(w.contains(": a column mixes cells formatted as percentages with plain numbers, and each cell is read as it is stored (5% as 0.05): \"rd\" (B2 shows 5% and holds 0.05; B3 holds 7)"), "{w}");
    }

    /// Every row's formats count, not only the first rows': a plain cell far below a column
    /// of percentages (or a percentage below plain numbers) makes the column mixed, said
    /// with the cell; a scaled format far down is said too.
    #[test]
    fn cell_formats_far_below_the_header_are_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let pct = rust_xlsxwriter::Format::new().set_num_format("0.00%");
        let wan = rust_xlsxwriter::Format::new().set_num_format("0!.0000\"万\"");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["id", "rd", "rev"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for r in 1..=300u32 {
            ws.write_string(r, 0, format!("E{r}")).unwrap();
            ws.write_number(r, 2, 1000.0).unwrap();
            if r == 260 {
                ws.write_number(r, 1, 3.1).unwrap();
                ws.write_number_with_format(r, 2, 3e7, &wan).unwrap();
            } else {
                ws.write_number_with_format(r, 1, 0.02, &pct).unwrap();
            }
        }
        let p = dir.path().join("far.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        // Mixed: every cell as stored, the plain one too (3.1, not 310).
        let rd = numbers(&t, "rd");
        assert_eq!((rd[0], rd[259]), (0.02, 3.1));
        let w = t.files[0].warnings.join("\n");
        assert!(w.contains("a column mixes cells formatted as percentages with plain numbers, and each cell is read as it is stored (5% as 0.05): \"rd\" (B2 shows 2% and holds 0.02; B261 holds 3.1)"), "{w}");
        assert!(w.contains("column \"rev\" is formatted to show its numbers scaled (format `0!.0000\"万\"`; row 261: the cell stores 30000000)"), "{w}");
    }

    /// Rows hidden by hand or by a filter are read like the others, and said with their
    /// rows; hidden rows outside the table (empty) are not.
    #[test]
    fn hidden_rows_are_read_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "id").unwrap();
        ws.write_string(0, 1, "x").unwrap();
        for r in 1..=9u32 {
            ws.write_string(r, 0, format!("E{r}")).unwrap();
            ws.write_number(r, 1, f64::from(r)).unwrap();
        }
        ws.set_row_hidden(4).unwrap();
        ws.set_row_hidden(20).unwrap();
        let p = dir.path().join("hidden.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        assert_eq!(numbers(&t, "x").len(), 9);
        assert_eq!(t.files[0].warnings.len(), 1, "{:?}", t.files[0].warnings);
        assert!(t.files[0].warnings[0].ends_with("sheet \"Sheet1\": row 5 is hidden (by hand or by a filter) but is read and scored like the others; if it was hidden to leave its entity out, delete the row (or copy the visible rows to a new sheet)"), "{}", t.files[0].warnings[0]);
        let ws = wb.worksheet_from_index(0).unwrap();
        ws.set_row_hidden(7).unwrap();
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        assert!(t.files[0].warnings[0].contains("2 data rows are hidden (by hand or by a filter) but are read and scored like the others: row 5, row 8; if they were hidden"), "{}", t.files[0].warnings[0]);
    }

    #[test]
    fn the_default_sheet_is_the_first_visible_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let hidden = wb.add_worksheet();
        hidden.set_name("lookup").unwrap();
        hidden.write_string(0, 0, "code").unwrap();
        hidden.set_hidden(true);
        let ws = wb.add_worksheet();
        ws.set_name("名单").unwrap();
        ws.write_string(0, 0, "id").unwrap();
        ws.write_string(0, 1, "x").unwrap();
        ws.write_string(1, 0, "A1").unwrap();
        ws.write_number(1, 1, 3.0).unwrap();
        ws.set_active(true);
        let p = dir.path().join("h.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        assert_eq!(t.headers, ["id", "x"]);
        assert_eq!(numbers(&t, "x"), [3.0]);
        // The sheet read is kept for the audit; the hidden sheet open is not warned of.
        assert_eq!(t.files[0].sheet.as_deref(), Some("名单"));
        assert!(t.files[0].warnings.is_empty(), "{:?}", t.files[0].warnings);
    }

    /// Sheets of one layout (a year each) saved with the second open: the first visible one
    /// is read, as SPEC §3 has it, and the sheet open is named with how to choose it.
    #[test]
    fn a_workbook_saved_with_another_sheet_open_is_said() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        for (name, x) in [("2022年", 1.0), ("2023年", 2.0)] {
            let ws = wb.add_worksheet();
            ws.set_name(name).unwrap();
            ws.write_string(0, 0, "id").unwrap();
            ws.write_string(0, 1, "x").unwrap();
            ws.write_string(1, 0, "A").unwrap();
            ws.write_number(1, 1, x).unwrap();
            ws.set_active(name == "2023年");
        }
        let p = dir.path().join("years.xlsx");
        wb.save(&p).unwrap();
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        assert_eq!(numbers(&t, "x"), [1.0]);
        assert_eq!(t.files[0].sheet.as_deref(), Some("2022年"));
        assert_eq!(t.files[0].warnings.len(), 1, "{:?}", t.files[0].warnings);
        assert!(t.files[0].warnings[0].ends_with("sheet \"2022年\": the first visible sheet was read, but the workbook was saved with sheet \"2023年\" open; if that is the sheet to score, choose it with --sheet \"2023年\" or [data] sheet = \"2023年\""), "{}", t.files[0].warnings[0]);
        // A sheet named: that one, nothing said.
        let o = ReadOptions {
            sheet: Some("2022年".into()),
            ..Default::default()
        };
        let t = read_table(std::slice::from_ref(&p), &o, &infer_all).unwrap();
        assert!(t.files[0].warnings.is_empty(), "{:?}", t.files[0].warnings);
        assert_eq!(t.files[0].sheet.as_deref(), Some("2022年"));
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = workbook(&dir, "d.xlsx");
        let t = read_table(std::slice::from_ref(&p), &opts(), &|h| match h {
            "代码" | "备注" => Some(ColumnRequest::Text),
            "销售收入(万元)" => Some(ColumnRequest::Number),
            _ => Some(ColumnRequest::Infer),
        })
        .unwrap();
        assert_eq!(t.headers, ["代码", "销售收入(万元)", "高新", "备注"]);
        assert_eq!(t.rows(), 3);
        let v = numbers(&t, "销售收入(万元)");
        assert_eq!(&v[..2], [1234.5, 1000.0]);
        assert!(v[2].is_nan());
        assert_eq!(
            t.column("高新"),
            Some(&Column::Bool(vec![Some(true), Some(false), Some(true)]))
        );
        match t.column("备注") {
            Some(Column::Text(c)) => {
                assert_eq!(c.get(0), Some("x"));
                assert_eq!(c.get(1), Some("7"));
                assert_eq!(c.get(2), None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(t.origin(1).1, 5);
        assert_eq!(t.files[0].encoding, "xlsx");
        assert_eq!(t.files[0].rows, 3);
        assert_eq!(
            t.location(1, "销售收入(万元)").to_string(),
            format!(
                "{}, sheet \"数据\", row 5, column \"销售收入（万元）\"",
                p.display()
            )
        );
        assert_eq!(read_headers(&p, &opts()).unwrap().len(), 4);
    }

    #[test]
    fn cell_errors_and_sheet_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = workbook(&dir, "d.XLSX");
        let e = read_table(std::slice::from_ref(&p), &opts(), &|h| {
            (h == "高新").then_some(ColumnRequest::Number)
        })
        .unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(d.message, "boolean value \"TRUE\" in a number column");
        assert_eq!(
            d.location.as_deref().unwrap(),
            format!("{}, sheet \"数据\", row 3, column \"高新\"", p.display())
        );
        let bad = ReadOptions {
            sheet: Some("数椐".into()),
            ..opts()
        };
        let e = read_table(std::slice::from_ref(&p), &bad, &infer_all).unwrap_err();
        let help = e.diagnostics[0].help.clone().unwrap();
        assert!(help.contains("\"说明\", \"数据\""), "{help}");
        // Default sheet is the first one; header_row 1 there.
        let t = read_table(&[p], &ReadOptions::default(), &infer_all);
        assert!(
            t.unwrap_err().diagnostics[0]
                .message
                .starts_with("no data rows")
        );
    }

    #[test]
    fn error_cells_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "v").unwrap();
        ws.write_formula(
            1,
            0,
            rust_xlsxwriter::Formula::new("=1/0").set_result("#DIV/0!"),
        )
        .unwrap();
        let p = dir.path().join("e.xlsx");
        wb.save(&p).unwrap();
        let e = read_table(&[p], &ReadOptions::default(), &infer_all).unwrap_err();
        let d = &e.diagnostics[0];
        assert!(d.message.contains("#DIV/0!"), "{e}");
        assert!(
            d.location
                .as_ref()
                .unwrap()
                .contains("sheet \"Sheet1\", row 2, column \"v\"")
        );
    }

    /// Number and boolean cells whose shown text is a missing marker are missing, as the same
    /// text in a CSV file is (`-999` and `FALSE` were read as values).
    #[test]
    fn markers_apply_to_number_and_boolean_cells() {
        let dir = tempfile::tempdir().unwrap();
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in ["code", "x", "flag", "kind"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "A").unwrap();
        ws.write_number(1, 1, -999.0).unwrap();
        ws.write_boolean(1, 2, false).unwrap();
        ws.write_number(1, 3, 99.0).unwrap();
        ws.write_string(2, 0, "B").unwrap();
        ws.write_number(2, 1, 0.5).unwrap();
        ws.write_boolean(2, 2, true).unwrap();
        ws.write_number(2, 3, 7.0).unwrap();
        let p = dir.path().join("m.xlsx");
        wb.save(&p).unwrap();
        let opts = ReadOptions {
            missing_markers: vec!["-999".into(), "FALSE".into(), "99".into()],
            ..Default::default()
        };
        let t = read_table(&[p], &opts, &|h| match h {
            "x" => Some(ColumnRequest::Number),
            "kind" => Some(ColumnRequest::Text),
            _ => Some(ColumnRequest::Infer),
        })
        .unwrap();
        let x = numbers(&t, "x");
        assert!(x[0].is_nan(), "{x:?}");
        assert_eq!(x[1], 0.5);
        assert_eq!(
            t.column("flag"),
            Some(&Column::Bool(vec![None, Some(true)]))
        );
        match t.column("kind") {
            Some(Column::Text(c)) => {
                assert_eq!(c.get(0), None);
                assert_eq!(c.get(1), Some("7"));
            }
            other => panic!("{other:?}"),
        }
    }

    /// One stray cell at the sheet's far corner neither crashes the reader (calamine's dense
    /// grid would be 17 billion cells) nor widens the table when it is blank; a value there
    /// is named by its row and column.
    #[test]
    fn a_stray_cell_far_from_the_table_is_read_sparsely() {
        let dir = tempfile::tempdir().unwrap();
        let save = |name: &str, stray: &str| {
            let mut wb = Workbook::new();
            let ws = wb.add_worksheet();
            ws.write_string(0, 0, "code").unwrap();
            ws.write_string(0, 1, "x").unwrap();
            ws.write_string(1, 0, "A").unwrap();
            ws.write_number(1, 1, 2.5).unwrap();
            ws.write_string(1_048_575, 16_383, stray).unwrap();
            let p = dir.path().join(name);
            wb.save(&p).unwrap();
            p
        };
        let blank = save("blank.xlsx", " ");
        let t = read_table(&[blank], &ReadOptions::default(), &infer_all).unwrap();
        assert_eq!(t.headers, ["code", "x"]);
        assert_eq!(t.rows(), 1);
        assert_eq!(numbers(&t, "x"), [2.5]);
        let value = save("value.xlsx", "stray");
        let e = read_table(&[value], &ReadOptions::default(), &infer_all).unwrap_err();
        assert_eq!(
            e.diagnostics[0].message,
            "column 16384 has no header, but row 1048576 holds a value in it (\"stray\", cell XFD1048576)"
        );
    }

    #[test]
    fn garbage_xlsx_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "bad.xlsx", b"not a zip at all");
        let e = read_table(&[p], &ReadOptions::default(), &infer_all).unwrap_err();
        assert!(
            e.diagnostics[0].message.contains("as an XLSX workbook"),
            "{e}"
        );
    }

    #[test]
    fn csv_and_xlsx_mix() {
        let dir = tempfile::tempdir().unwrap();
        let p = workbook(&dir, "d.xlsx");
        let c = write(
            &dir,
            "more.csv",
            "title\n备注,代码,高新,销售收入(万元)\n,B1,Y,5\n".as_bytes(),
        );
        let t = read_table(&[p, c], &opts(), &infer_all).unwrap();
        assert_eq!(t.rows(), 4);
        assert_eq!(numbers(&t, "销售收入(万元)")[3], 5.0);
        assert_eq!(t.files[1].encoding, "utf-8");
        assert_eq!(t.origin(3).1, 3);
        assert!(
            t.location(3, "代码")
                .to_string()
                .ends_with("more.csv, row 3, column \"代码\"")
        );
    }
}

#[test]
fn junk_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let alphabet = b"ab1,;\"\n\r \t-.%\xE4\xB8\x80\xFF\x00";
    let mut seed: u64 = 0x2545F4914F6CDD1D;
    for i in 0..300 {
        let len = (i * 7) % 400;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        let p = write(&dir, &format!("j{i}.csv"), &bytes);
        for req in [
            ColumnRequest::Number,
            ColumnRequest::Infer,
            ColumnRequest::Text,
        ] {
            if let Ok(t) = read(std::slice::from_ref(&p), &|_| Some(req)) {
                for r in 0..t.rows() {
                    let _ = t.origin(r);
                    let _ = t.location(r, &t.headers[0]);
                }
            }
        }
        let _ = read_headers(&p, &ReadOptions::default());
    }
}

#[test]
fn empty_middle_file_keeps_origins_right() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(&dir, "a.csv", b"x\n1\n2\n");
    let b = write(&dir, "b.csv", b"x\n\n");
    let c = write(&dir, "c.csv", b"x\n3\n");
    let t = read(&[a, b, c], &infer_all).unwrap();
    assert_eq!(
        t.files.iter().map(|f| f.rows).collect::<Vec<_>>(),
        [2, 0, 1]
    );
    assert!(t.origin(1).0.ends_with("a.csv"));
    assert_eq!(t.origin(1).1, 3);
    assert!(t.origin(2).0.ends_with("c.csv"));
    assert_eq!(t.origin(2).1, 2);
}

#[test]
fn table_from_columns() {
    let t = Table::from_columns(
        "mem",
        vec!["a".into(), "b".into()],
        vec![Some(Column::Number(vec![1.0, 2.0])), None],
    )
    .unwrap();
    assert_eq!(t.rows(), 2);
    assert_eq!(t.origin(1), ("mem", 3));
    assert_eq!(t.location(0, "a").to_string(), "mem, row 2, column \"a\"");
    assert!(t.column("b").is_none());
}

/// A file whose first 1 MiB is ASCII, then `first` (raw bytes) in row `U1`, about 100 KB of
/// ASCII rows, and `second` in row `U2`; `gap` rows between them.
fn late_non_ascii(first: &[u8], second: &[u8], gap: usize) -> Vec<u8> {
    let mut b = b"id,name\n".to_vec();
    let mut k = 0;
    while b.len() < (1 << 20) + 1000 {
        b.extend_from_slice(format!("a{k},plain\n").as_bytes());
        k += 1;
    }
    b.extend_from_slice(b"U1,");
    b.extend_from_slice(first);
    b.push(b'\n');
    for i in 0..gap {
        b.extend_from_slice(format!("b{i},plain\n").as_bytes());
    }
    b.extend_from_slice(b"U2,");
    b.extend_from_slice(second);
    b.push(b'\n');
    b
}

fn name_of(t: &Table, id: &str) -> String {
    let (Some(Column::Text(ids)), Some(Column::Text(names))) = (t.column("id"), t.column("name"))
    else {
        panic!("text columns")
    };
    let row = (0..ids.len()).find(|&r| ids.get(r) == Some(id)).unwrap();
    names.get(row).unwrap().to_string()
}

#[test]
fn gbk_that_first_reads_as_two_byte_utf8_falls_back_in_any_chunk() {
    // 专业 in GBK (D7A8 D2B5) is also valid UTF-8 (two two-byte sequences); 中文 is not.
    let (zhuanye, _, _) = encoding_rs::GB18030.encode("专业");
    let (zhongwen, _, _) = encoding_rs::GB18030.encode("中文");
    assert!(std::str::from_utf8(&zhuanye).is_ok());
    let dir = tempfile::tempdir().unwrap();
    for gap in [0, 10_000] {
        let p = write(&dir, "g.csv", &late_non_ascii(&zhuanye, &zhongwen, gap));
        let t = read(std::slice::from_ref(&p), &infer_all).unwrap();
        assert_eq!(name_of(&t, "U1"), "专业", "gap {gap}");
        assert_eq!(name_of(&t, "U2"), "中文", "gap {gap}");
    }
}

/// The progress count ends at the files' total size: each file counted once, also one
/// read again from its start as GBK after reading as UTF-8 (the fallback above), and a
/// workbook counted whole.
#[test]
fn read_progress_counts_each_file_once() {
    let (zhuanye, _, _) = encoding_rs::GB18030.encode("专业");
    let (zhongwen, _, _) = encoding_rs::GB18030.encode("中文");
    let dir = tempfile::tempdir().unwrap();
    let gbk = write(&dir, "g.csv", &late_non_ascii(&zhuanye, &zhongwen, 10_000));
    let plain = write(&dir, "p.csv", b"id,name\nz1,x\n");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "id").unwrap();
    ws.write_string(0, 1, "name").unwrap();
    ws.write_string(1, 0, "w1").unwrap();
    ws.write_string(1, 1, "y").unwrap();
    let book = dir.path().join("b.xlsx");
    wb.save(&book).unwrap();
    let progress = ReadProgress::new();
    let opts = ReadOptions {
        progress: Some(progress.clone()),
        ..ReadOptions::default()
    };
    let paths = [gbk, plain, book];
    let t = read_table(&paths, &opts, &infer_all).unwrap();
    assert_eq!(name_of(&t, "U2"), "中文");
    let total: u64 = paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert_eq!(progress.bytes(), total);
    // A clone is the same count; a new one is another.
    assert_eq!(progress.clone(), progress);
    assert_ne!(ReadProgress::new(), progress);
}

#[test]
fn utf8_chinese_then_a_stray_byte_is_an_error_in_any_chunk() {
    // Chinese in UTF-8 before a Latin-1 é: UTF-8 with one bad byte, never GB18030 mojibake.
    let dir = tempfile::tempdir().unwrap();
    for gap in [0, 10_000] {
        let p = write(
            &dir,
            "u.csv",
            &late_non_ascii("中文企业".as_bytes(), b"caf\xE9", gap),
        );
        let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
        assert!(
            first_error(&e).contains("as utf-8"),
            "gap {gap}: {}",
            first_error(&e)
        );
        // Two-byte UTF-8 (m², café) and then one stray Windows-1252 dash among ASCII.
        let p = write(
            &dir,
            "l.csv",
            &late_non_ascii("m² café".as_bytes(), b"a \x96 b", gap),
        );
        let e = read(std::slice::from_ref(&p), &infer_all).unwrap_err();
        assert!(
            first_error(&e).contains("as utf-8"),
            "gap {gap}: {}",
            first_error(&e)
        );
    }
}

#[test]
fn old_excel_and_opendocument_workbooks_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut xls = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    xls.extend([0u8; 600]);
    let p = write(&dir, "old.xls", &xls);
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        first_error(&e).contains("is an Excel 97–2003 workbook (.xls)"),
        "{e}"
    );
    assert!(
        e.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("save it as .xlsx")
    );
    // A zip file whose first entry is `mimetype` naming an OpenDocument spreadsheet.
    let mut ods = b"PK\x03\x04".to_vec();
    ods.extend([0u8; 26]);
    ods.extend(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet");
    ods.extend([0u8; 200]);
    let p = write(&dir, "t.ods", &ods);
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        first_error(&e).contains("is an OpenDocument spreadsheet (.ods)"),
        "{e}"
    );
    // Any other zip file under a text extension is still taken for a misnamed workbook.
    let mut zip = b"PK\x03\x04".to_vec();
    zip.extend([0u8; 200]);
    let p = write(&dir, "z.csv", &zip);
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        first_error(&e).contains("is a zip file, as an XLSX workbook is"),
        "{e}"
    );
}

/// A program, an archive, a picture or a PDF given as data is named as such, with what to
/// give instead, however its bytes would decode (an ELF header used to read as "UTF-32").
/// A text file that happens to start with the same letters is read as text.
#[test]
fn files_of_other_kinds_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend([
        0u8, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0x3e, 0, 1, 0, 0, 0, 0x10, 0x8e, 0x1b,
    ]);
    elf.extend((0..3000u32).map(|i| if i % 7 == 0 { 0x9f } else { 0 }));
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend([0xffu8; 100]);
    let mut gz = b"\x1f\x8b\x08\x00".to_vec();
    gz.extend([0xa5u8; 300]);
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend([0x80u8; 300]);
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n".to_vec();
    for (file, bytes, what, help) in [
        (
            "a.csv",
            elf,
            "is a program (ELF executable), not delimited text",
            "export it as CSV",
        ),
        ("b.csv", exe, "is a Windows program", "export it as CSV"),
        (
            "c.csv",
            gz,
            "is a gzip-compressed file",
            "decompress it first",
        ),
        ("d.csv", png, "is a PNG picture", "save it as .xlsx"),
        (
            "e.csv",
            pdf,
            "is a PDF document",
            "export the table from its source",
        ),
    ] {
        let p = write(&dir, file, &bytes);
        let e = read(&[p], &infer_all).unwrap_err();
        assert!(first_error(&e).contains(what), "{file}: {e}");
        assert!(
            e.diagnostics[0].help.as_deref().unwrap().contains(help),
            "{file}: {e}"
        );
    }
    // Text that starts with the same letters is text.
    for (file, text) in [
        ("m.csv", "MZ,x\nA,1\n"),
        ("g.csv", "GIF8,x\nA,1\n"),
        ("z.csv", "BZh9,x\nA,1\n"),
        ("p.csv", "%PDF-id,x\nA,1\n"),
    ] {
        let p = write(&dir, file, text.as_bytes());
        assert!(read(&[p], &infer_all).is_ok(), "{file}");
    }
}

#[test]
fn invisible_characters_in_headers_are_dropped() {
    // A second byte-order mark (files joined with `cat`) and a zero-width space: the
    // headers still read as `code` and `x`; `x` and `x` + U+2060 are the same header.
    assert_eq!(
        crate::data::cell::fold_header("\u{feff}co\u{200b}de"),
        "code"
    );
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "h.csv",
        "\u{feff}\u{feff}code,x\u{200b}\nA,1\n".as_bytes(),
    );
    let t = read(&[p], &infer_all).unwrap();
    assert!(t.column("code").is_some());
    assert_eq!(numbers(&t, "x"), [1.0]);
    let p = write(&dir, "d.csv", "code,x,x\u{2060}\nA,1,2\n".as_bytes());
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(e.to_string().contains("duplicate header"), "{e}");
}

#[test]
fn a_header_wrapped_before_its_unit_reads_as_written_on_one_line() {
    // Alt+Enter and a space before the full-width bracket: `总产值(亿元)` as the rules write it.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "w.csv",
        "code,\"总产值\n（亿元）\", 销售收入 （亿元）\nA,1,2\n".as_bytes(),
    );
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(numbers(&t, "总产值(亿元)"), [1.0]);
    assert_eq!(numbers(&t, "销售收入(亿元)"), [2.0]);
    // The same name with and without the space is one header, twice.
    let p = write(
        &dir,
        "d.csv",
        "code,产值 (亿元),产值（亿元）\nA,1,2\n".as_bytes(),
    );
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        e.to_string()
            .contains("duplicate header \"产值(亿元)\" in columns 2 and 3"),
        "{e}"
    );
}

#[test]
fn a_title_row_above_the_header_is_named_with_header_row_help() {
    let dir = tempfile::tempdir().unwrap();
    // The title alone in its row, the rest of the row empty (as Excel saves a merged title).
    let p = write(
        &dir,
        "t.csv",
        "2023年统计表,,\ncode,x,y\nA,1,2\n".as_bytes(),
    );
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        first_error(&e).ends_with("t.csv, row 1: row 1 holds one value, \"2023年统计表\", and 2 empty headers: a title above the table?"),
        "{e}"
    );
    assert!(
        e.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .starts_with("if it is a title, set header_row = 2 in [data]")
    );
    // The title as the only field of its line: the next row is then too long for it.
    let p = write(&dir, "u.csv", "2023年统计表\ncode,x,y\nA,1,2\n".as_bytes());
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        first_error(&e).ends_with("u.csv, row 2: 3 fields where the header has 1"),
        "{e}"
    );
    assert!(
        e.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("set header_row = 2 in [data]")
    );
    // Read with header_row = 2, the same file is a table.
    let p = write(
        &dir,
        "v.csv",
        "2023年统计表,,\ncode,x,y\nA,1,2\n".as_bytes(),
    );
    let opts = ReadOptions {
        header_row: 2,
        ..ReadOptions::default()
    };
    let t = read_table(&[p], &opts, &infer_all).unwrap();
    assert_eq!(numbers(&t, "y"), [2.0]);
    // An empty header among several is still that error, and so is a pandas index column
    // without a name (two cells, one empty).
    for (name, text) in [("w.csv", "code,,y\nA,1,2\n"), ("y.csv", ",x\n0,1\n")] {
        let p = write(&dir, name, text.as_bytes());
        let e = read(&[p], &infer_all).unwrap_err();
        assert!(
            first_error(&e).contains("empty header in column"),
            "{name}: {e}"
        );
    }
    // A header-less column at the right end is read past while it is empty (an Excel or WPS
    // export of cleared columns), and named at its first value otherwise.
    let p = write(&dir, "x.csv", "code,\nA,1\n".as_bytes());
    let e = read(&[p], &infer_all).unwrap_err();
    assert!(
        first_error(&e).ends_with("x.csv, row 2: column 2 has no header but holds \"1\""),
        "{e}"
    );
    let p = write(&dir, "z.csv", "code,x,,\nA,1,,\nB,2, ,\n".as_bytes());
    let t = read(&[p], &infer_all).unwrap();
    assert_eq!(numbers(&t, "x"), [1.0, 2.0]);
    assert_eq!(t.headers.len(), 2);
}

#[test]
fn a_csv_column_mixing_percentages_and_plain_fractions_is_warned() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "x.csv",
        // (`72 %`: a space before the % is still a percentage.)
        "id,debt\na,65%\nb,0.85\nc,72 %\nd,0.5\ne,40\n".as_bytes(),
    );
    for req in [ColumnRequest::Number, ColumnRequest::Infer] {
        let t = read(std::slice::from_ref(&p), &|h| {
            Some(if h == "debt" {
                req
            } else {
                ColumnRequest::Text
            })
        })
        .unwrap();
        // Each cell as written: 65% is 65, 0.85 stays 0.85.
        let Some(Column::Number(v)) = t.column("debt") else {
            panic!("{req:?}")
        };
        assert_eq!(v[..2], [65.0, 0.85]);
        let w = t.files[0].warnings.join("\n");
        assert!(
            w.ends_with(
                "x.csv: column \"debt\" mixes numbers written with % (2 cells, the first at row \
                 2, read as 65) and plain numbers between -1 and 1 (2 cells, the first at row 3: \
                 0.85): each cell is read as written, so 0.85 is not 85%; if the plain ones are \
                 fractions, write them as percentages (85 or 85%)"
            ),
            "{req:?}: {w}"
        );
    }
    // Percentages with whole numbers only, or fractions with no %: nothing to say.
    for text in ["id,debt\na,65%\nb,40\n", "id,debt\na,0.65\nb,0.4\n"] {
        let p = write(&dir, "y.csv", text.as_bytes());
        let t = read(&[p], &|_| Some(ColumnRequest::Infer)).unwrap();
        assert!(t.files[0].warnings.is_empty(), "{:?}", t.files[0].warnings);
    }
}

/// A missing marker that is a yes/no word (`无`, for 无数据 in amounts) makes that word
/// missing in a yes/no column too: read so, and said with the count and the first row; a
/// number column's 无 and a marker that is no yes/no word are not.
#[test]
fn a_missing_marker_that_is_a_yes_no_word_is_warned_of_in_yes_no_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "m.csv",
        "id,equity,dishonest,award\na,无,否,是\nb,500,无,无\nc,无数据,无,否\n".as_bytes(),
    );
    let opts = ReadOptions {
        missing_markers: vec!["无".into(), "无数据".into()],
        ..ReadOptions::default()
    };
    let t = read_table(std::slice::from_ref(&p), &opts, &|h| {
        Some(match h {
            "equity" => ColumnRequest::Number,
            "id" => ColumnRequest::Text,
            _ => ColumnRequest::Bool,
        })
    })
    .unwrap();
    assert_eq!(
        t.column("dishonest"),
        Some(&Column::Bool(vec![Some(false), None, None]))
    );
    assert_eq!(
        t.files[0].warnings,
        [
            format!(
                "{}: column \"dishonest\" is read as yes/no, and 2 cells of it (the first at row 3) read as missing because [data] missing_markers lists \"无\" (否), a yes/no word; if it means that here, take it out of missing_markers (they apply to every column) and write 0 for it in number columns where it means none",
                p.display()
            ),
            format!(
                "{}: column \"award\" is read as yes/no, and 1 cell of it (the first at row 3) reads as missing because [data] missing_markers lists \"无\" (否), a yes/no word; if it means that here, take it out of missing_markers (they apply to every column) and write 0 for it in number columns where it means none",
                p.display()
            )
        ]
    );
}

/// ` -   ` is how an accounting (会计专用) format exports a zero: read as missing (a dash is
/// a missing marker), with a warning; a bare `-` is said nothing of.
#[test]
fn a_dash_padded_like_an_accounting_zero_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "acc.csv",
        "id,rd\na, 1.50 \nb, -   \nc,-\nd,\" -  \"\n".as_bytes(),
    );
    let t = read(std::slice::from_ref(&p), &|h| {
        Some(if h == "rd" {
            ColumnRequest::Number
        } else {
            ColumnRequest::Text
        })
    })
    .unwrap();
    let Some(Column::Number(v)) = t.column("rd") else {
        panic!()
    };
    assert_eq!(v[0], 1.5);
    assert!(v[1..].iter().all(|x| x.is_nan()));
    assert_eq!(
        t.files[0].warnings,
        [format!(
            "{}: column \"rd\" has 2 cells written \" - \" with spaces around the dash (the first at row 3), read as missing: that is how an accounting (会计专用) format shows a zero; if they are zeros, give the column a number format before exporting, or write 0",
            p.display()
        )]
    );
    let p = write(&dir, "bare.csv", "id,rd\na,1\nb,-\n".as_bytes());
    let t = read(&[p], &|h| {
        Some(if h == "rd" {
            ColumnRequest::Number
        } else {
            ColumnRequest::Text
        })
    })
    .unwrap();
    assert!(t.files[0].warnings.is_empty(), "{:?}", t.files[0].warnings);
}

#[test]
fn empty_cells_are_missing_in_every_kind_of_column_whatever_the_markers() {
    // A numeric marker turns the number fast path off; empty cells stay missing anyway, as
    // on the general path, and the marker's cells too.
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "a.csv",
        // (The last column keeps the rows from being blank records, which are skipped.)
        "n,b,t,i,k\n1,是,x,2,a\n,,,,b\n-999,否,y,-999,c\n ,　, , ,d\n".as_bytes(),
    );
    let opts = ReadOptions {
        missing_markers: vec!["-999".into()],
        ..ReadOptions::default()
    };
    let kinds = |h: &str| {
        Some(match h {
            "n" => ColumnRequest::Number,
            "b" => ColumnRequest::Bool,
            "t" => ColumnRequest::Text,
            _ => ColumnRequest::Infer,
        })
    };
    let t = read_table(&[p], &opts, &kinds).unwrap();
    let missing = |v: &[f64]| v.iter().map(|x| x.is_nan()).collect::<Vec<_>>();
    assert_eq!(missing(&numbers(&t, "n")), [false, true, true, true]);
    assert_eq!(missing(&numbers(&t, "i")), [false, true, true, true]);
    match t.column("b") {
        Some(Column::Bool(v)) => assert_eq!(v, &[Some(true), None, Some(false), None]),
        other => panic!("b: {other:?}"),
    }
    match t.column("t") {
        Some(Column::Text(c)) => {
            let got: Vec<Option<&str>> = (0..4).map(|i| c.get(i)).collect();
            assert_eq!(got, [Some("x"), None, Some("y"), None]);
        }
        other => panic!("t: {other:?}"),
    }
}

/// A cell holding a double quote is quoted in single quotes (`'国家"级'`), one holding both
/// kinds with its double quotes doubled: the quoted text is the cell, unambiguously.
#[test]
fn cells_holding_quotes_are_quoted_unambiguously() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "q.csv",
        "id,v\nA,\"5\"\"\"\nB,\"国家\"\"级\"\nC,\"a'b\"\"\"\n".as_bytes(),
    );
    let e = read(&[p], &|h| (h == "v").then_some(ColumnRequest::Number)).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("cannot read '5\"' as a number"), "{text}");
    assert!(text.contains("if '国家\"级' means no data"), "{text}");
    assert!(
        text.contains("missing_markers = [\"国家\\\"级\"]"),
        "{text}"
    );
    assert!(
        text.contains("cannot read \"a'b\"\"\" as a number"),
        "{text}"
    );
}
