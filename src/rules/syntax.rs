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
    // What a Chinese keyboard or a word processor puts into a file: full-width punctuation,
    // curly quotes, the ideographic space, outside strings and comments, on or before the
    // line the crate stopped at.
    let stop_line_end = text[span.start.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    // A CSV header row where the first key should be: the data file given as the rules.
    let first_line = text.lines().next().unwrap_or("");
    if span.start <= first_line.len()
        && first_line.matches([',', '\t', ';']).count() >= 2
        && !first_line.contains('=')
        && !first_line.trim_start().starts_with(['[', '#'])
    {
        return Diagnostic::new(
            Stage::Rules,
            "invalid TOML: the first line is a row of comma-separated names, not `key = value`",
        )
        .with_help(
            "this looks like a data file, not a rules file: did you swap --rules and --data?",
        )
        .in_source(source, Span::new(0, 0));
    }
    // A JSON document (a result of `score --format json`, or rules written as JSON).
    let body = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if span.start <= text.len() - body.len() + 1
        && body.starts_with('{')
        && body[1..].trim_start().starts_with(['"', '}'])
    {
        return Diagnostic::new(
            Stage::Rules,
            "invalid TOML: the file is a JSON document, not TOML",
        )
        .with_help(
            "rules files are TOML (docs/rules.md); a JSON result of `score` goes to `compare --results`",
        )
        .in_source(source, Span::new(text.len() - body.len(), text.len() - body.len()));
    }
    // `【data】`, `【【criterion】】`: a table header typed with Chinese brackets, on or before
    // the line the crate stopped at (`【一、规模能级】` is a heading, and 【】 inside a value
    // only needs quotes, as any text does).
    if let Some(at) = chinese_bracket_header(&text[..stop_line_end]) {
        return Diagnostic::new(
            Stage::Rules,
            "invalid TOML: a table header in Chinese brackets '【】'",
        )
        .with_help(
            "TOML needs the ASCII '[' and ']': retype them with the input method in English \
             (half-width) punctuation: [data], [[criterion]]",
        )
        .in_source(source, Span::new(at, at + '【'.len_utf8()));
    }
    if let Some((at, c)) = first_full_width(text)
        && at <= stop_line_end
    {
        // On a `//` comment or a heading line, the line is the mistake, not its comma.
        let (line_start, line) = line_at(text, at);
        let t = line.trim_start();
        let heading =
            !t.contains(['=', '＝', '：']) && !t.starts_with(['[', '［', '＃']) && !t.is_ascii();
        if t.starts_with("//") || heading {
            let help = if t.starts_with("//") {
                "comments in TOML start with '#': # 规模能级"
            } else {
                "a line of text outside a comment: start it with '#' to keep it as a note \
                 (# 一、规模能级)"
            };
            return Diagnostic::new(
                Stage::Rules,
                "invalid TOML: a line that is neither `key = value` nor a [table]",
            )
            .with_help(help)
            .in_source(source, Span::new(line_start, line_start + line.len()));
        }
        return full_width_diagnostic(source, at, c);
    }
    if let Some(d) = structure_mistake(source, e.message(), span) {
        return d;
    }
    let mut msg = e.message().trim().to_string();
    let mut help = None;
    if msg.starts_with("duplicate key")
        && let Some(key) = source.text.get(span.start..span.end)
        && !key.is_empty()
        && !key.contains('\n')
    {
        // Name the key TOML found twice.
        msg = format!("duplicate key `{}`", truncate(key.trim(), 200));
        help = Some(duplicate_help(source, span.start, key.trim()));
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
    } else if msg.starts_with("string values must be quoted")
        && let Some(h) = missing_list_comma(&source.text, span)
    {
        msg = "a comma is missing between the values of a list".to_string();
        help = Some(h);
    } else if msg.starts_with("string values must be quoted")
        && let Some(h) = bare_value_help(&source.text, span)
    {
        help = Some(h);
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

/// How to fix a key or table found twice at `at`: merge the tables, keep one of the values;
/// with the line of the first when it is found.
fn duplicate_help(source: &SourceText, at: usize, key: &str) -> String {
    let text = &source.text;
    let (start, line) = line_at(text, at);
    let t = line.trim_start();
    let first_line = |found: Option<usize>| {
        found.map_or(String::new(), |o| {
            format!(" (the first is on line {})", source.line_col(o).0)
        })
    };
    let lines_before = || {
        text[..start].split_inclusive('\n').scan(0, |o, l| {
            let at = *o;
            *o += l.len();
            Some((at, l.trim()))
        })
    };
    if t.starts_with('[') && !t.starts_with("[[") {
        // `[rules]` twice: the header as written, comments and spaces aside.
        let header = t.split('#').next().unwrap_or(t).trim();
        let squeeze = |h: &str| h.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        let found = lines_before()
            .find(|(_, l)| squeeze(l.split('#').next().unwrap_or(l)) == squeeze(header))
            .map(|(o, _)| o);
        return format!(
            "each table may appear once{}: merge the two {header} tables into one",
            first_line(found)
        );
    }
    // A key set twice: its first line in the same table (after the last header above).
    let found = lines_before()
        .filter(|(_, l)| {
            l.starts_with('[') || l.split_once('=').is_some_and(|(k, _)| k.trim() == key)
        })
        .last()
        .filter(|(_, l)| !l.starts_with('['))
        .map(|(o, _)| o);
    format!(
        "each key may appear once in a table{}: keep one `{key} = …` line and delete the other",
        first_line(found)
    )
}

/// Characters a Chinese input method or a word processor types where TOML needs ASCII.
const FULL_WIDTH: [(char, &str, &str); 16] = [
    ('＝', "full-width equals sign", "="),
    ('＃', "full-width number sign", "#"),
    ('，', "full-width comma", ","),
    ('：', "full-width colon", "="),
    ('；', "full-width semicolon", ","),
    ('“', "Chinese opening quote", "\""),
    ('”', "Chinese closing quote", "\""),
    ('‘', "Chinese opening quote", "'"),
    ('’', "Chinese closing quote", "'"),
    ('［', "full-width bracket", "["),
    ('］', "full-width bracket", "]"),
    ('｛', "full-width brace", "{"),
    ('｝', "full-width brace", "}"),
    ('（', "full-width parenthesis", "("),
    ('）', "full-width parenthesis", ")"),
    ('\u{3000}', "ideographic space (全角空格)", " "),
];

/// The characters of TOML text outside strings and comments, with their offsets (line
/// feeds included, except one that ends a one-line string left open). Hand-written for the
/// reason [`first_open_string`] is: the crate's lexer is not public.
struct OutsideStrings<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl<'a> OutsideStrings<'a> {
    fn new(text: &'a str) -> Self {
        OutsideStrings {
            text,
            chars: text.char_indices().peekable(),
        }
    }

    /// Past the string whose quote `q` stands at `at`, to its closing quote mark(s).
    fn skip_string(&mut self, at: usize, q: char) {
        let triple = if q == '"' { "\"\"\"" } else { "'''" };
        let close = if self.text[at..].starts_with(triple) {
            self.chars.next();
            self.chars.next();
            triple
        } else {
            &triple[..1]
        };
        while let Some((j, c)) = self.chars.next() {
            if c == '\\' && q == '"' {
                self.chars.next();
            } else if self.text[j..].starts_with(close) {
                for _ in 1..close.len() {
                    self.chars.next();
                }
                return;
            } else if c == '\n' && close.len() == 1 {
                // A one-line string left open: not this scan's business.
                return;
            }
        }
    }
}

impl Iterator for OutsideStrings<'_> {
    type Item = (usize, char);

    fn next(&mut self) -> Option<(usize, char)> {
        loop {
            let (i, c) = self.chars.next()?;
            match c {
                '#' => while self.chars.next_if(|&(_, c)| c != '\n').is_some() {},
                '"' | '\'' => self.skip_string(i, c),
                _ => return Some((i, c)),
            }
        }
    }
}

/// The offset of the first line that is a table header written with Chinese brackets
/// (`【data】`, `【【criterion】】`, `【 data 】 # 数据`): the name inside is ASCII, as table
/// names are; a Chinese heading in 【】 is not one.
fn chinese_bracket_header(text: &str) -> Option<usize> {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let at = start + (line.len() - t.len());
        start += line.len();
        let Some(rest) = t.strip_prefix('【') else {
            continue;
        };
        let body = rest.split('#').next().unwrap_or_default().trim_end();
        let name = body
            .trim_start_matches('【')
            .strip_suffix('】')
            .map(|n| n.trim_end_matches('】').trim());
        if name.is_some_and(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        }) {
            return Some(at);
        }
    }
    None
}

/// The first character of [`FULL_WIDTH`] outside strings and comments, with its offset.
fn first_full_width(text: &str) -> Option<(usize, char)> {
    OutsideStrings::new(text).find(|&(_, c)| FULL_WIDTH.iter().any(|(f, _, _)| *f == c))
}

/// Whether the character `c` at `at` closes a `key = value` line whose value is complete
/// with nothing but a comment after it: `label = "x"，`. Not an element of a multi-line
/// array or table, where the separator is needed in ASCII: brackets are counted over the
/// whole text before it, outside strings and comments (an `==` inside a quoted condition
/// is no key's `=`).
fn ends_a_key_value_line(text: &str, at: usize, c: char) -> bool {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut depth = 0i64;
    let mut equals_on_line = false;
    for (j, ch) in OutsideStrings::new(&text[..at]) {
        match ch {
            '[' | '{' => depth += 1,
            ']' | '}' => depth -= 1,
            '=' if j >= start && depth == 0 => equals_on_line = true,
            _ => {}
        }
    }
    let after = text[at + c.len_utf8()..].split('\n').next().unwrap_or("");
    depth == 0 && equals_on_line && (after.trim().is_empty() || after.trim_start().starts_with('#'))
}

fn full_width_diagnostic(source: &SourceText, at: usize, c: char) -> Diagnostic {
    let (_, name, ascii) = FULL_WIDTH
        .iter()
        .find(|(f, _, _)| *f == c)
        .copied()
        .unwrap_or((c, "full-width character", ""));
    let help = match c {
        '“' | '”' | '‘' | '’' => "TOML strings take straight quotes: label = \"销售收入\", not \
                                  “销售收入” (type them with the input method in English punctuation)"
            .to_string(),
        '\u{3000}' => "delete it or type an ordinary space: the full-width space is invisible, \
                       but TOML does not read it as a space"
            .to_string(),
        '：' => "TOML puts '=' between a key and its value: min_score = 85".to_string(),
        // At the end of a line (after a value, before a comment or nothing): no separator
        // belongs there at all; retyping it as ASCII is the next error.
        '，' | '；' if ends_a_key_value_line(&source.text, at, c) => {
            format!("delete it: a TOML line ends after its value, with no '{ascii}' or '{c}'")
        }
        _ => format!(
            "TOML needs the ASCII '{ascii}': retype it with the input method in English \
             (half-width) punctuation"
        ),
    };
    Diagnostic::new(
        Stage::Rules,
        format!(
            "invalid TOML: {name} '{c}' (U+{:04X}) outside a string",
            c as u32
        ),
    )
    .with_help(help)
    .in_source(source, Span::new(at, at + c.len_utf8()))
}

/// The line of `text` holding `offset`: its start and its text (without the line end).
fn line_at(text: &str, offset: usize) -> (usize, &str) {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    (start, text[start..end].trim_end_matches('\r'))
}

/// Mistakes of a file's structure the crate reports by their symptom: a list never closed
/// (noticed at the next key or table), `//` comments, a heading line without `#`, Chinese
/// keys without quotes, double quotes inside a double-quoted expression.
fn structure_mistake(source: &SourceText, message: &str, span: Span) -> Option<Diagnostic> {
    let text = &source.text;
    let (line_start, line) = line_at(text, span.start);
    let trimmed = line.trim_start();
    let key_line = trimmed.split_once('=').is_some_and(|(k, _)| {
        let k = k.trim();
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
    });
    if message.contains("array")
        && (trimmed.starts_with('[') || key_line)
        && let Some(open) = unclosed_array_before(text, line_start)
    {
        // The list's last element is on the last line with content before the first line
        // that opens a table or sets a key (where the list should have ended).
        let (open_line_start, _) = line_at(text, open);
        let mut ended = line_start;
        let mut at = text[open..].find('\n').map_or(text.len(), |i| open + i + 1);
        while at < line_start {
            let (start, l) = line_at(text, at);
            let t = l.trim_start();
            let header = t.starts_with("[[")
                || (t.starts_with('[') && t[1..].starts_with(|c: char| c.is_ascii_alphabetic()));
            let key = t.split_once('=').is_some_and(|(k, _)| {
                let k = k.trim();
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            });
            if header || key {
                ended = start;
                break;
            }
            at = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
        }
        let (last_line, _) = source.line_col(last_content_before(text, ended).max(open_line_start));
        return Some(
            Diagnostic::new(Stage::Rules, "invalid TOML: this list is never closed")
                .with_help(format!(
                    "add ']' after its last element (line {last_line}); the key or table after \
                     it was read as part of the list"
                ))
                .in_source(source, Span::new(open, open + 1)),
        );
    }
    let at_line = |help: String| {
        Some(
            Diagnostic::new(Stage::Rules, format!("invalid TOML: {}", message.trim()))
                .with_help(help)
                .in_source(source, span),
        )
    };
    if message.contains("carriage return") {
        return at_line(
            "a line ends with a lone carriage return (␍, the line end of old Mac files): save \
             the file with Windows (CRLF) or Unix (LF) line ends"
                .into(),
        );
    }
    if (message.starts_with("invalid unquoted key") || message.starts_with("key with no value"))
        && let Some(c) = line
            .split('=')
            .next()
            .and_then(|key| key.chars().find(|&c| crate::diag::is_invisible(c)))
    {
        return at_line(format!(
            "the key holds an invisible character, {}, pasted in with the text: delete it \
             (retype the key)",
            crate::diag::invisible_name(c)
        ));
    }
    if trimmed.starts_with("//") {
        return at_line("comments in TOML start with '#': # 规模能级".into());
    }
    // `label "增加值"`: a key and its value without the '=' between them.
    if message.starts_with("key with no value")
        && !trimmed.contains('=')
        && let Some((key, value)) = trimmed.split_once([' ', '\t'])
        && !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        && value
            .trim_start()
            .starts_with(|c: char| c.is_ascii_digit() || matches!(c, '"' | '\'' | '[' | '{' | '-'))
    {
        return at_line(format!(
            "an '=' is missing between the key and its value: {key} = {}",
            crate::diag::truncate(value.trim(), 60)
        ));
    }
    if message.starts_with("key with no value") && !trimmed.contains('=') && !trimmed.is_ascii() {
        return at_line(
            "a line of text outside a comment: start it with '#' to keep it as a note \
             (# 一、规模能级)"
                .into(),
        );
    }
    if message.starts_with("invalid unquoted key")
        && let Some(key) = text.get(span.start..span.end)
        && !key.trim().is_empty()
        && !key.is_ascii()
    {
        return at_line(format!(
            "a key with Chinese characters goes in quotes: \"{}\" = …",
            key.trim()
        ));
    }
    if message.contains("missing comma between array elements") {
        return at_line("separate the list's elements with commas: [{ … }, { … }]".into());
    }
    if message.contains("missing escaped value") {
        return at_line(
            "a backslash in a \"…\" string starts an escape (\\n, \\\"): write \\\\ for a \
             backslash, or put the text in single quotes ('…'), where a backslash is itself"
                .into(),
        );
    }
    if message.contains("max recursion depth") {
        return at_line(
            "lists or tables nested too deeply: a rules file needs a few levels at most \
             (a list of { … } tables); flatten it"
                .into(),
        );
    }
    // `require = revenue >= 100`: an expression written without its quotes.
    if message.contains("expected newline")
        && let Some((key, value)) = trimmed.split_once('=')
        && matches!(
            key.trim(),
            "require" | "when" | "formula" | "aggregate" | "requires" | "direct"
        )
        && !value.trim_start().starts_with(['"', '\'', '['])
    {
        let expr = value.split('#').next().unwrap_or("").trim();
        return at_line(format!(
            "an expression is a string: write it in quotes, {} = \"{}\"",
            key.trim(),
            crate::diag::truncate(&expr.replace('"', "'"), 120)
        ));
    }
    // `la=bel = "…"`: one key and one value to a line.
    if message.contains("expected newline") && lone_equals(line) > 1 {
        return at_line(
            "a line holds one key = value, and this one has more than one '=' outside quotes: \
             correct the key, or put each key on its own line"
                .into(),
        );
    }
    if message.contains("expected newline")
        && let Some((key, value)) = trimmed.split_once('=')
        && value.trim_start().starts_with('"')
        && value.matches('"').count() > 2
    {
        // `"region" == "east"`: each operand quoted on its own, the name too.
        if let Some(expr) = operands_quoted_apart(value) {
            return at_line(format!(
                "an expression is one string: write the whole of it in \"…\", names bare and \
                 text values in single quotes: {} = \"{expr}\"",
                key.trim(),
            ));
        }
        let inner = value.trim();
        let inner = &inner[1..inner.len() - usize::from(inner.ends_with('"'))];
        return at_line(format!(
            "inside a \"…\" string write text values with single quotes: {} = \"{}\"",
            key.trim(),
            inner.replace('"', "'")
        ));
    }
    None
}

/// The expression meant by a value whose operands are quoted one by one
/// (`"region" == "east" && "size" != "big"` → `region == 'east' && size != 'big'`): a quoted
/// name before a comparison stays bare, every other quoted part becomes a text value. `None`
/// unless the value opens with a quoted name and a comparison (`"name == "east""` is the
/// other slip, a text value in double quotes inside the string).
fn operands_quoted_apart(value: &str) -> Option<String> {
    let parts: Vec<&str> = value.trim().split('"').collect();
    let is_name = |p: &str| {
        let mut chars = p.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    };
    let compares = |p: &str| {
        let p = p.trim_start();
        ["==", "!=", "<", ">"].iter().any(|op| p.starts_with(op))
    };
    let (Some(&""), Some(first), Some(after)) = (parts.first(), parts.get(1), parts.get(2)) else {
        return None;
    };
    if !is_name(first) || !compares(after) {
        return None;
    }
    // A quoted part that is a name, not text: before a comparison, after an ordering one
    // (`< 'rd'` compares no text), or standing alone between `and`/`or` (a yes/no name).
    let logic = |p: &str, at_end: bool| {
        let p = p.trim();
        if at_end {
            p.is_empty()
                || ["and", "or", "&&", "||", "not", "!", "("]
                    .iter()
                    .any(|w| p.ends_with(w))
        } else {
            p.is_empty()
                || ["and", "or", "&&", "||", ")"]
                    .iter()
                    .any(|w| p.starts_with(w))
        }
    };
    let self_standing = |i: usize, part: &str| {
        let (before, after) = (parts[i - 1], parts.get(i + 1).copied().unwrap_or(""));
        let ordering = {
            let b = before.trim_end();
            (b.ends_with('<') || b.ends_with('>') || b.ends_with("<=") || b.ends_with(">="))
                && !b.ends_with("->")
        };
        is_name(part)
            && (compares(after) || ordering || (logic(before, true) && logic(after, false)))
    };
    let mut expr = String::new();
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            // Outside quotes: a comment ends the value.
            let (code, comment) = match part.split_once('#') {
                Some((code, _)) => (code, true),
                None => (*part, false),
            };
            expr.push_str(code);
            if comment {
                break;
            }
        } else if part.trim().parse::<f64>().is_ok() || self_standing(i, part) {
            expr.push_str(part);
        } else if part.contains('\'') {
            // Text with an apostrophe: no single-quoted literal holds it.
            return None;
        } else {
            expr.push('\'');
            expr.push_str(part);
            expr.push('\'');
        }
    }
    Some(expr.trim().to_string())
}

/// How many `=` outside strings and comments stand alone on `line` (not in `>=`, `<=`,
/// `==` or `!=`, which an unquoted expression holds).
fn lone_equals(line: &str) -> usize {
    let b = line.as_bytes();
    OutsideStrings::new(line)
        .filter(|&(i, c)| {
            c == '='
                && !matches!(
                    i.checked_sub(1).map(|p| b[p]),
                    Some(b'<' | b'>' | b'=' | b'!')
                )
                && b.get(i + 1) != Some(&b'=')
        })
        .count()
}

/// The offset of the first `[` of a value list still open at `before` (a table header's
/// brackets and brackets in strings and comments do not count).
fn unclosed_array_before(text: &str, before: usize) -> Option<usize> {
    let mut open: Vec<usize> = Vec::new();
    let (mut line_start, mut header) = (true, false);
    for (i, c) in OutsideStrings::new(&text[..before.min(text.len())]) {
        if c == '\n' {
            (line_start, header) = (true, false);
            continue;
        }
        if header || c.is_whitespace() {
            continue;
        }
        match c {
            // A table header: the rest of its line.
            '[' if line_start && open.is_empty() => header = true,
            '[' => open.push(i),
            ']' => {
                open.pop();
            }
            _ => {}
        }
        line_start = false;
    }
    open.first().copied()
}

/// The start of the last line before `offset` that holds something besides spaces and a
/// comment.
fn last_content_before(text: &str, offset: usize) -> usize {
    let mut at = offset.min(text.len());
    loop {
        let (start, line) = line_at(text, at.saturating_sub(1));
        let content = line.split('#').next().unwrap_or("").trim();
        if !content.is_empty() || start == 0 {
            return start;
        }
        at = start;
    }
}

/// Help for a bare value TOML cannot read: a number with a unit or `%`, a Chinese numeral,
/// a letter O for a zero, or a word that needs quotes.
fn bare_value_help(text: &str, span: Span) -> Option<String> {
    // The key just before the value (in an inline table, the one of this pair).
    let (line_start, _) = line_at(text, span.start);
    let before = text
        .get(line_start..span.start)?
        .trim_end()
        .strip_suffix('=')?;
    let key = before
        .rsplit([',', '{', ' ', '\t'])
        .find(|k| !k.is_empty())?;
    let token = text[span.start.min(text.len())..]
        .split(['\n', '\r', ',', '}', ']', '#'])
        .next()
        .unwrap_or("")
        .trim();
    if token.is_empty() {
        return None;
    }
    let digits_end = token
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+')))
        .unwrap_or(token.len());
    let (digits, rest) = token.split_at(digits_end);
    if !digits.is_empty() && digits.parse::<f64>().is_ok() {
        let o_for_zero = rest.starts_with(['O', 'o'])
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, 'O' | 'o'));
        let (number, why) = if o_for_zero {
            (
                token.replace(['O', 'o'], "0"),
                "the letter O is not a zero".to_string(),
            )
        } else if rest.starts_with('%') && key == "geometric_floor" {
            // A fraction key: 1% is 0.01.
            let x: f64 = digits.parse().unwrap_or(0.0);
            (
                crate::column::format_display(x / 100.0),
                "geometric_floor is a fraction of full points, not a percentage".to_string(),
            )
        } else if rest.starts_with('%') {
            (
                digits.to_string(),
                "no % sign: a percentage is written as its number of percent".to_string(),
            )
        } else if rest.starts_with(['万', '亿']) {
            (
                digits.to_string(),
                format!(
                    "no unit in a rules file: the value is in the indicator's own unit, \
                     {digits} if that is {rest}, converted otherwise"
                ),
            )
        } else {
            (
                digits.to_string(),
                format!("no unit ({rest}) in a rules file"),
            )
        };
        return Some(format!(
            "'{token}' is not a number in TOML: write {key} = {number} ({why})"
        ));
    }
    if let Some(n) = crate::diag::chinese_numeral(token) {
        return Some(format!("'{token}' is a Chinese numeral: write {key} = {n}"));
    }
    // Full-width digits, minus or point (a Chinese input method): the ASCII number.
    let folded = crate::data::cell::fold_width(token);
    if folded != token
        && let Some(x) = folded.parse::<f64>().ok().filter(|x| x.is_finite())
    {
        // (Shown as TOML reads it: `０５` is 5, since `05` is not a TOML number.)
        let number = crate::column::format_display(x);
        return Some(format!(
            "'{token}' is written with full-width characters: a number is written in ASCII, \
             {key} = {number}; text goes in quotes, {key} = \"{token}\""
        ));
    }
    Some(format!(
        "text goes in quotes in TOML: {key} = \"{token}\"; a number is written without quotes \
         or units"
    ))
}

/// `[0 110]`: values of a list separated by a space only, which the crate reads as one
/// unquoted string. The list as it should be written, or `None`.
fn missing_list_comma(text: &str, span: Span) -> Option<String> {
    let start = span.start.min(text.len());
    let before = text[..start].trim_end();
    if !before.ends_with(['[', ',']) {
        return None;
    }
    let token = text[start..].split([',', ']', '\n', '#']).next()?.trim();
    let parts: Vec<&str> = token.split_whitespace().collect();
    // Each a number or boolean TOML reads as written (not `.5`, `05`, `Infinity`).
    let value = |p: &str| {
        toml::from_str::<toml::Table>(&format!("x = {p}"))
            .is_ok_and(|t| t.get("x").is_some_and(|x| !x.is_str()))
    };
    let list_start = before.ends_with('[');
    (parts.len() >= 2 && parts.iter().all(|p| value(p))).then(|| {
        // (Only the values run together are shown: a list may hold others before them.)
        if list_start
            && text[start..]
                .trim_start_matches(token)
                .trim_start()
                .starts_with(']')
        {
            format!("separate them with commas: [{}]", parts.join(", "))
        } else {
            format!("separate them with commas: {}", parts.join(", "))
        }
    })
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
        // Values of a list with no comma between them (audit28_bad F3).
        let d = diagnose("clamp = [0 110]\n");
        assert_eq!(
            d.message,
            "invalid TOML: a comma is missing between the values of a list"
        );
        assert_eq!(
            d.help.as_deref(),
            Some("separate them with commas: [0, 110]")
        );
        let d = diagnose("tie_break = [\"a\", x y]\n");
        assert!(!d.message.contains("comma is missing"), "{d}");
        // Values before them are not dropped from the fix, and no invalid number is offered.
        let d = diagnose("x = [1, 2 3 4]\n");
        assert_eq!(
            d.help.as_deref(),
            Some("separate them with commas: 2, 3, 4")
        );
        let d = diagnose("x = [.5 1]\n");
        assert!(!d.message.contains("comma is missing"), "{d}");
    }

    /// What a Chinese keyboard types where TOML needs ASCII is named, at the character,
    /// even where the crate noticed it later on the line (or at its end).
    #[test]
    fn full_width_punctuation_is_named_where_it_stands() {
        for (text, at, name) in [
            (
                "[rules]\npoints ＝ 15\n",
                "r.toml:2:8",
                "full-width equals sign '＝'",
            ),
            (
                "bands = [\n  { at_least = 100， points = 15 },\n]\n",
                "r.toml:2:19",
                "full-width comma '，'",
            ),
            ("min_score：85\n", "r.toml:1:10", "full-width colon '：'"),
            (
                "label = “销售收入”\n",
                "r.toml:1:9",
                "Chinese opening quote '“'",
            ),
            (
                "［［criterion］］\nid = \"x\"\n",
                "r.toml:1:1",
                "full-width bracket '［'",
            ),
            // audit28_bad F3: a full-width '#'.
            (
                "version = \"1\"  ＃ 版本\n",
                "r.toml:1:16",
                "full-width number sign '＃'",
            ),
            (
                "a = 1\n\u{3000}points = 10\n",
                "r.toml:2:1",
                "ideographic space",
            ),
        ] {
            let d = diagnose(text);
            assert_eq!(d.location.as_deref(), Some(at), "{text:?}: {d}");
            assert!(d.message.contains(name), "{text:?}: {d}");
        }
        // Inside strings and comments they are text.
        assert_eq!(
            first_full_width("a = \"（万元），\" # 注：x\nb = '：'\n"),
            None
        );
        assert_eq!(first_full_width("a = \"\"\"\n“x”\n\"\"\"\n"), None);
    }

    /// A list left open is reported where it opens, with the line its last element is on,
    /// not at the next key as "missing comma between array elements".
    #[test]
    fn a_list_never_closed_is_reported_where_it_opens() {
        let text = "[[criterion]]\nbands = [\n  { at_least = 100, points = 15 },\n  { at_least = 50, points = 10 },\n\n[[criterion]]\nid = \"rd\"\n";
        let d = diagnose(text);
        assert_eq!(d.location.as_deref(), Some("r.toml:2:9"), "{d}");
        assert_eq!(d.message, "invalid TOML: this list is never closed");
        assert!(d.help.unwrap().contains("after its last element (line 4)"));
        let d = diagnose("[rules]\nclamp = [0, 110\n\n[data]\nyear_column = \"年份\"\n");
        assert_eq!(d.location.as_deref(), Some("r.toml:2:9"), "{d}");
    }

    /// Values TOML cannot read get the value to write instead.
    #[test]
    fn bare_values_get_what_to_write() {
        for (text, help) in [
            ("weight = 40%\n", "write weight = 40 (no % sign"),
            (
                "geometric_floor = 1%\n",
                "write geometric_floor = 0.01 (geometric_floor is a fraction",
            ),
            (
                "min_score = 八十\n",
                "'八十' is a Chinese numeral: write min_score = 80",
            ),
            ("year = 2023年\n", "write year = 2023 (no unit (年)"),
            (
                "min_score = 8O\n",
                "write min_score = 80 (the letter O is not a zero)",
            ),
            (
                "bands = [{ at_least = 5万, points = 3 }]\n",
                "write at_least = 5 (no unit in a rules file: the value is in the indicator's own unit, 5 if that is 万",
            ),
            (
                "method = linear\n",
                "text goes in quotes in TOML: method = \"linear\"",
            ),
        ] {
            let d = diagnose(text);
            assert!(
                d.help.as_deref().unwrap_or("").contains(help),
                "{text:?}: {d}"
            );
        }
        assert_eq!(crate::diag::chinese_numeral("一百二十"), Some(120));
        assert_eq!(crate::diag::chinese_numeral("东部"), None);
    }

    #[test]
    fn a_duplicate_table_or_key_says_to_merge_or_keep_one() {
        let d = diagnose("[rules]\nname = \"x\"\n\n[data]\nid = \"id\"\n[rules]\ndecimals = 1\n");
        assert!(d.message.contains("duplicate key `rules`"), "{d}");
        assert_eq!(
            d.location.as_deref().map(|l| &l[..9]),
            Some("r.toml:6:"),
            "{d}"
        );
        assert_eq!(
            d.help.as_deref(),
            Some(
                "each table may appear once (the first is on line 1): merge the two [rules] tables into one"
            ),
            "{d}"
        );
        let d = diagnose(
            "[rules]\ndecimals = 1\nname = \"x\"\n[data]\ndecimals = 3\n[x]\ndecimals = 2\ndecimals = 4\n",
        );
        assert!(d.message.contains("duplicate key `decimals`"), "{d}");
        assert_eq!(
            d.help.as_deref(),
            Some(
                "each key may appear once in a table (the first is on line 7): keep one `decimals = …` line and delete the other"
            ),
            "{d}"
        );
    }

    #[test]
    fn structure_mistakes_get_their_fix() {
        let d = diagnose("年份,集群编号,销售收入（万元）\n2023,LC01,5\n");
        assert_eq!(d.location.as_deref(), Some("r.toml:1:1"), "{d}");
        assert!(d.help.unwrap().contains("did you swap --rules and --data?"));
        let d = diagnose("a = 1\n// 规模能级\n");
        assert!(d.help.unwrap().contains("start with '#'"));
        let d = diagnose("a = 1\n一、规模能级\n");
        assert!(d.help.unwrap().contains("start it with '#'"));
        // Chinese punctuation in such a line does not hide what is wrong with it.
        let d = diagnose("a = 1\n// 规模能级（30分），含两项\n");
        assert!(d.help.unwrap().contains("start with '#'"));
        let d = diagnose("a = 1\n二、创新能力（30分）\nb = 2\n");
        assert_eq!(d.location.as_deref(), Some("r.toml:2:1"));
        assert!(d.help.unwrap().contains("start it with '#'"));
        // A heading in Chinese brackets is a heading; a table name in them is a table
        // (review28 1, 5); 【】 in a bare value needs quotes like any text.
        let d = diagnose("a = 1\n【一、规模能级】\nb = 2\n");
        assert!(d.help.unwrap().contains("start it with '#'"), "heading");
        for (text, at) in [
            ("a = 1\n【data】\nb = 2\n", "r.toml:2:1"),
            ("a = 1\n  【【criterion】】\nid = \"x\"\n", "r.toml:2:3"),
            ("a = 1\n【 data 】 # 数据\nb = 2\n", "r.toml:2:1"),
        ] {
            let d = diagnose(text);
            assert_eq!(
                d.message, "invalid TOML: a table header in Chinese brackets '【】'",
                "{text:?}"
            );
            assert_eq!(d.location.as_deref(), Some(at), "{text:?}");
        }
        let d = diagnose("name = 【示范】集群\n");
        assert!(
            d.help
                .as_deref()
                .unwrap_or("")
                .contains("text goes in quotes"),
            "{d}"
        );
        let d = diagnose("levels = { 东部 = 5, 西部 = 3 }\n");
        assert!(d.help.unwrap().contains("\"东部\" = …"));
        let d = diagnose("when = \"region == \"东部\"\"\n");
        assert!(
            d.help.unwrap().contains("when = \"region == '东部'\""),
            "nested quotes"
        );
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

    #[test]
    fn operands_quoted_one_by_one_are_joined_into_the_expression_meant() {
        let meant = |v: &str| operands_quoted_apart(v);
        assert_eq!(
            meant(r#" "region" == "east""#).as_deref(),
            Some("region == 'east'")
        );
        assert_eq!(
            meant(r#""区域" != "东部" && "size" >= "x"  # c"#).as_deref(),
            Some("区域 != '东部' && size >= x")
        );
        // A text value in double quotes inside the string, a quoted phrase, no comparison:
        // not this slip.
        assert_eq!(meant(r#""region == "east"""#), None);
        // Names and numbers quoted too (review 43): after an ordering comparison, a yes/no
        // name between `or`s, a number; text with an apostrophe cannot be single-quoted.
        assert_eq!(
            meant(r#""revenue" > "rd" or "national" and "x" >= "3""#).as_deref(),
            Some("revenue > rd or national and x >= 3")
        );
        assert_eq!(meant(r#""name" == "O'Brien""#), None);
        assert_eq!(meant(r#""big firm" == "x""#), None);
        assert_eq!(meant(r#""a" "b""#), None);
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
