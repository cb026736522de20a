//! TOML syntax errors (rules files, AHP matrix files) turned into diagnostics.
//!
//! The toml crate reports a syntax error where it noticed it, which for a string left open is
//! not where the mistake is: an unclosed `"""` is noticed at the end of the file, and a `"`
//! closed only on the next line is reported there as "key with no value". So when parsing
//! fails, [`first_open_string`] scans the text by hand for the first string left open. It is
//! hand-written because the crate's lexer is not public and recovers from the open string
//! instead of reporting it, and it is small because it only has to know what can hide a quote
//! mark: comments and the four kinds of string (keys in quotes are strings too; nothing else
//! in TOML holds `"` or `'`). When that string opens at or before the place the crate
//! reported, it is the error shown.

use crate::diag::{Diagnostic, SourceText, Span, Stage, truncate};

/// Which of TOML's four strings was left open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringKind {
    /// `"…"`
    Basic,
    /// `'…'`
    Literal,
    /// `"""…"""`
    MultiLineBasic,
    /// `'''…'''`
    MultiLineLiteral,
}

/// A string left open: where its opening quote is and how far it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OpenString {
    pub kind: StringKind,
    /// The opening quote mark(s), to the end of the line (one-line strings) or the quote marks
    /// alone (multi-line strings, which run to the end of the file).
    pub span: Span,
    /// A one-line basic string whose line ends in `\"`: the closing quote is escaped (a
    /// Windows path such as "C:\data\").
    pub escaped_close: bool,
}

/// The first string in `text` that is never closed, or `None`. Scans bytes: every character
/// that matters is ASCII, and UTF-8 never uses ASCII bytes inside another character.
pub(crate) fn first_open_string(text: &str) -> Option<OpenString> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let q = b[i];
        if q == b'#' {
            // A comment, to the end of the line.
            i = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |n| i + n);
            continue;
        }
        if q != b'"' && q != b'\'' {
            i += 1;
            continue;
        }
        let basic = q == b'"';
        if b[i..].starts_with(&[q, q, q]) {
            // A multi-line string: up to the next three quote marks, which may be followed by
            // one or two more that belong to the string.
            let mut j = i + 3;
            loop {
                if j >= b.len() {
                    let kind = if basic {
                        StringKind::MultiLineBasic
                    } else {
                        StringKind::MultiLineLiteral
                    };
                    return Some(OpenString {
                        kind,
                        span: Span::new(i, i + 3),
                        escaped_close: false,
                    });
                }
                if basic && b[j] == b'\\' {
                    j += 2;
                } else if b[j..].starts_with(&[q, q, q]) {
                    j += 3;
                    for _ in 0..2 {
                        if b.get(j) == Some(&q) {
                            j += 1;
                        }
                    }
                    break;
                } else {
                    j += 1;
                }
            }
            i = j;
        } else {
            // A one-line string: up to the next quote mark, which must come before the line
            // ends; in a basic string `\` escapes the character after it (not a line end).
            let mut j = i + 1;
            let mut escaped_close = false;
            loop {
                if j >= b.len() || b[j] == b'\n' {
                    let end = if j > i + 1 && b[j - 1] == b'\r' {
                        j - 1
                    } else {
                        j
                    };
                    let kind = if basic {
                        StringKind::Basic
                    } else {
                        StringKind::Literal
                    };
                    return Some(OpenString {
                        kind,
                        span: Span::new(i, end.max(i + 1)),
                        escaped_close,
                    });
                }
                if basic && b[j] == b'\\' && b.get(j + 1).is_some_and(|&c| c != b'\n') {
                    escaped_close = b[j + 1] == b'"';
                    j += 2;
                    continue;
                }
                if b[j] == q {
                    break;
                }
                if !b[j].is_ascii_whitespace() {
                    escaped_close = false;
                }
                j += 1;
            }
            i = j + 1;
        }
    }
    None
}

/// The diagnostic for a TOML file that does not parse: the first string left open when it
/// opens at or before where the toml crate stopped, a value missing after `=`, or else the
/// crate's own message at its position.
pub fn toml_error(source: &SourceText, e: &toml::de::Error) -> Diagnostic {
    let reported = e.span().map(Span::from);
    // The string left open is the mistake when the crate noticed it only later: at the end
    // of its line or of the text, on a later line, or when its closing quote is escaped
    // (`"C:\data\"`).
    // Otherwise, on the string's own line, the crate's own reading is kept (`it's = 1`,
    // `"x""`: a stray quote, not an open string).
    let text = &source.text;
    let line_of = |at: usize| {
        text.as_bytes()[..at.min(text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
    };
    if let Some(open) = first_open_string(text)
        && reported.is_none_or(|r| {
            open.span.start <= r.start
                && (r.start >= text.len()
                    || line_of(r.start) > line_of(open.span.start)
                    || text[r.start..].starts_with(['\n', '\r'])
                    || open.escaped_close)
        })
    {
        return open_string_diagnostic(source, open);
    }
    let span = reported.unwrap_or_else(|| Span::new(source.text.len(), source.text.len()));
    let mut msg = e.message().trim().to_string();
    let mut help = None;
    if msg.starts_with("duplicate key")
        && let Some(key) = source.text.get(span.start..span.end)
        && !key.is_empty()
        && !key.contains('\n')
    {
        // Name the key TOML found twice.
        msg = format!("duplicate key `{}`", truncate(key.trim(), 200));
    } else if msg.starts_with("string values must be quoted")
        && let Some(key) = key_without_value(&source.text, span.start)
    {
        // `points =` with nothing after it: the crate reads an empty bare value.
        return Diagnostic::new(
            Stage::Rules,
            format!("invalid TOML: `{key}` has no value after '='"),
        )
        .with_help(format!(
            "write the value after '=' on the same line, e.g. `{key} = 10`, `{key} = \"text\"` or `{key} = true`; or delete the line"
        ))
        .in_source(source, span);
    } else if msg.starts_with("key with no value") {
        help = Some(
            "write `key = value` on one line: the key, '=', then the value (a key with spaces in it goes in quotes)"
                .to_string(),
        );
    }
    Diagnostic::new(Stage::Rules, format!("invalid TOML: {msg}"))
        .with_help_opt(help)
        .in_source(source, span)
}

/// The key of a line `key =` whose value is missing (nothing but spaces or a comment between
/// `offset`, where the value should start, and the end of the line).
fn key_without_value(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text.get(..offset)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let rest = text[offset..line_end].trim_start();
    if !(rest.is_empty() || rest.starts_with('#') || rest == "\r") {
        return None;
    }
    let before = text[line_start..offset].trim_end().strip_suffix('=')?;
    let key = before.trim();
    (!key.is_empty() && !key.contains(['=', '"', '\''])).then(|| truncate(key, 200))
}

fn open_string_diagnostic(source: &SourceText, open: OpenString) -> Diagnostic {
    let (quote, name) = match open.kind {
        StringKind::Basic => ("\"", "string"),
        StringKind::Literal => ("'", "literal string"),
        StringKind::MultiLineBasic => ("\"\"\"", "multi-line string"),
        StringKind::MultiLineLiteral => ("'''", "multi-line literal string"),
    };
    let (msg, help) = match open.kind {
        StringKind::Basic | StringKind::Literal => {
            let (line, _) = source.line_col(open.span.start);
            let msg = format!("invalid TOML: {name} is not closed on its line");
            let help = if open.escaped_close {
                format!(
                    "the \\\" at the end of line {line} is an escaped quote, not the closing one: write \\\\ for a backslash (or use '…' for text with backslashes), then close the string with \""
                )
            } else {
                format!(
                    "close it with {quote} before the end of line {line}, or use {q3}…{q3} for text over several lines",
                    q3 = if quote == "\"" { "\"\"\"" } else { "'''" }
                )
            };
            (msg, help)
        }
        StringKind::MultiLineBasic | StringKind::MultiLineLiteral => (
            format!("invalid TOML: {name} opened here is never closed"),
            format!(
                "close it with {quote} where the text ends (the file ends before any {quote} does)"
            ),
        ),
    };
    Diagnostic::new(Stage::Rules, msg)
        .with_help(help)
        .in_source(source, open.span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(text: &str) -> Option<(StringKind, usize, usize)> {
        first_open_string(text).map(|o| (o.kind, o.span.start, o.span.end))
    }

    #[test]
    fn finds_the_first_string_left_open() {
        use StringKind::*;
        assert_eq!(open("a = \"x\"\nb = 'y' # it's\n"), None);
        assert_eq!(open("a = \"x\\\"y\"\n"), None);
        assert_eq!(open("a = \"\"\"x\n\"y\"\n\"\"\"\"\nb = 1"), None);
        assert_eq!(open("a = '''x\n'y'\n'''''\n"), None);
        assert_eq!(open("# \"\na = \"\" \"k\" = ''"), None);
        assert_eq!(open("a = \"xy\nb = 1"), Some((Basic, 4, 7)));
        assert_eq!(open("a = \"xy\r\nb = 1"), Some((Basic, 4, 7)));
        assert_eq!(open("a = 'x\\'\n"), None);
        assert_eq!(open("a = 'x\nb"), Some((Literal, 4, 6)));
        assert_eq!(open("a = \"x\\\nb\""), Some((Basic, 4, 7)));
        assert_eq!(
            open("a = \"\"\"x\ny\\\"\"\"\n"),
            Some((MultiLineBasic, 4, 7))
        );
        assert_eq!(open("a = '''x\\'''\n"), None);
        assert_eq!(open("a = '''x''\n"), Some((MultiLineLiteral, 4, 7)));
        assert_eq!(open("a = \""), Some((Basic, 4, 5)));
        assert_eq!(open("a = \"\\"), Some((Basic, 4, 6)));
        assert_eq!(open("a = \"\"\"\\"), Some((MultiLineBasic, 4, 7)));
        // A quote in a multi-line string is text; the next string after it is what is open.
        assert_eq!(open("a = '''it's'''\nb = \"x"), Some((Basic, 19, 21)));
        // An escaped closing quote is noticed.
        let o = first_open_string("p = \"C:\\data\\\"\n").unwrap();
        assert!(o.escaped_close);
        let o = first_open_string("p = \"a\\\" b\n").unwrap();
        assert!(!o.escaped_close);
    }

    fn diagnose(text: &str) -> Diagnostic {
        let e = toml::de::DeTable::parse(text).expect_err("invalid TOML");
        toml_error(&SourceText::new("r.toml", text), &e)
    }

    #[test]
    fn a_stray_quote_on_its_own_line_keeps_the_crates_reading() {
        // The crate stops on the string's own line: a stray quote, not a string left open.
        for text in ["it's = 1\n", "description = \"x\"\"\n", "a = 'x' 'y\n"] {
            let d = diagnose(text);
            assert!(!d.message.contains("not closed"), "{text:?}: {d}");
            assert_eq!(
                d.location.as_deref().map(|l| &l[..8]),
                Some("r.toml:1"),
                "{d}"
            );
        }
        // A string broken by the line end is still reported where it opens.
        let d = diagnose("[rules]\nlabel = \"研发\n中心\"\n");
        assert_eq!(d.location.as_deref(), Some("r.toml:2:9"), "{d}");
        assert!(d.message.contains("not closed on its line"), "{d}");
    }

    #[test]
    fn an_unclosed_multi_line_string_is_reported_where_it_opens() {
        let text =
            "[rules]\nname = \"\"\"catalogue\nbase\nid = \"code\"\n\n[[indicator]]\nid = \"x\"\n";
        let d = diagnose(text);
        assert_eq!(d.location.as_deref(), Some("r.toml:2:8"), "{d}");
        assert!(d.message.contains("opened here is never closed"), "{d}");
        assert!(d.to_string().contains("  |        ^^^"), "{d}");
        let d = diagnose("[rules]\nname = '''x\ny\n");
        assert_eq!(d.location.as_deref(), Some("r.toml:2:8"), "{d}");
        assert!(d.help.unwrap().contains("'''"));
    }

    #[test]
    fn a_string_broken_by_a_line_end_is_reported_where_it_opens() {
        let text = "[rules]\nid = \"rd\"\nlabel = \"研发\n强度\"\n";
        let d = diagnose(text);
        assert_eq!(d.location.as_deref(), Some("r.toml:3:9"), "{d}");
        assert_eq!(d.message, "invalid TOML: string is not closed on its line");
        assert!(d.help.as_deref().unwrap().contains("\"\"\""), "{d}");
        assert!(
            d.to_string()
                .contains("3 | label = \"研发\n  |         ^^^^^"),
            "{d}"
        );
        let d = diagnose("p = \"C:\\data\\\"\nq = 1\n");
        assert!(d.help.unwrap().contains("escaped quote"));
    }

    #[test]
    fn an_earlier_error_is_still_reported_first() {
        let d = diagnose("a = = 1\nb = \"x\n");
        assert!(d.location.unwrap().starts_with("r.toml:1:"));
    }

    #[test]
    fn a_key_without_a_value_says_so() {
        for text in [
            "a = 1\npoints =\nb = 2\n",
            "a = 1\npoints = # none\nb = 2",
            "a = 1\npoints =  ",
        ] {
            let d = diagnose(text);
            assert_eq!(
                d.message, "invalid TOML: `points` has no value after '='",
                "{text:?}: {d}"
            );
            assert!(d.location.unwrap().starts_with("r.toml:2:"));
            assert!(d.help.unwrap().contains("points = 10"));
        }
        // A key followed by something other than '=' is helped too.
        let d = diagnose("floor x = 1\n");
        assert!(d.message.contains("key with no value"), "{d}");
        assert!(d.help.unwrap().contains("`key = value`"));
        // A bare word is still "must be quoted".
        let d = diagnose("method = linear\n");
        assert!(d.message.contains("must be quoted"), "{d}");
    }

    /// A diagnostic for `text` (which does not parse) at a line:col inside it, with a snippet.
    fn assert_located_inside(text: &str) {
        let Err(e) = toml::de::DeTable::parse(text) else {
            return;
        };
        let d = toml_error(&SourceText::new("r.toml", text), &e);
        let loc = d.location.clone().expect("a location");
        let mut parts = loc.rsplitn(3, ':');
        let col: usize = parts.next().unwrap().parse().unwrap();
        let line: usize = parts.next().unwrap().parse().unwrap();
        let lines: Vec<&str> = text.split('\n').collect();
        assert!(line >= 1 && line <= lines.len(), "{text:?}: {d}");
        let len = lines[line - 1].chars().count();
        assert!(col >= 1 && col <= len + 1, "{text:?}: {d}");
        assert!(d.snippet.is_some());
    }

    /// Every prefix of two shipped rules files (one with multi-line strings): no panic, and
    /// every syntax error lies inside the text.
    #[test]
    fn truncated_rules_files_never_panic_and_are_located() {
        for name in ["miit-zjtx-sme.toml", "liaocheng-zjtx-rollup.toml"] {
            let path = format!("{}/rules/{name}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(path).unwrap();
            for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                assert_located_inside(&text[..end]);
            }
        }
    }

    proptest::proptest! {
        /// Any text made of TOML's punctuation, line ends and wide characters: no panic, and
        /// the error lies inside the text.
        #[test]
        fn any_text_is_located_without_panic(
            text in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", " = ", "\"", "'", "\"\"\"", "'''", "\\", "#", "\n", "\r", "\r\n",
                    "[", "]", "{", "}", ",", ".", "1", "研", "😀", "\t", "\u{feff}",
                ]),
                0..30,
            ),
        ) {
            assert_located_inside(&text.concat());
        }
    }
}
