//! Diagnostics: what went wrong, where, and how to fix it.
//!
//! Rendering is written here rather than taken from a diagnostics crate: the format is one
//! header line `file:line:col: error: message`, the source line with a caret, and a `help:`
//! line, which is a few dozen lines of code and keeps the build light on 2-core machines.

use std::borrow::Cow;
use std::fmt;

/// What part of the input a diagnostic is about; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The rules file (syntax, keys, values, expressions inside it).
    Rules,
    /// The data files (encoding, records, cells, ids).
    Data,
    /// Files that cannot be opened, read or written.
    Io,
    /// Command-line misuse (exit code 2).
    Usage,
}

/// A byte range inside a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// The bytes `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// This span moved right by `offset` bytes (an expression inside a TOML string).
    pub fn shift(self, offset: usize) -> Self {
        Span::new(self.start + offset, self.end + offset)
    }
}

impl From<std::ops::Range<usize>> for Span {
    fn from(r: std::ops::Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// Where a problem is, as fields a program can read (a web form highlighting the cell or
/// the rules line); [`Diagnostic::location`] says the same as text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Place {
    /// A position in a text file (a rules file, an AHP matrix): 1-based line and column,
    /// the column counted in characters.
    Text {
        /// The file's name as given.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1, in characters.
        column: usize,
    },
    /// A cell of a data file.
    Cell {
        /// The file's path as given.
        file: String,
        /// The workbook sheet, for XLSX.
        sheet: Option<String>,
        /// The row as the spreadsheet numbers it (the header row included, from 1).
        row: usize,
        /// The column's header as the file writes it.
        column: String,
    },
    /// A whole row of a data file.
    Row {
        /// The file's path as given.
        file: String,
        /// The workbook sheet, for XLSX.
        sheet: Option<String>,
        /// The row as the spreadsheet numbers it.
        row: usize,
    },
    /// A whole column of a data file.
    Column {
        /// The file's path as given.
        file: String,
        /// The workbook sheet, for XLSX.
        sheet: Option<String>,
        /// The column's header as the file writes it.
        column: String,
    },
}

impl fmt::Display for Place {
    /// `rules.toml:3:7`; `FILE[, sheet "S"], row N, column "H"`; `FILE[, sheet "S"], row N`;
    /// `FILE[, sheet "S"], column "H"` (headers cut to 200 characters).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sheet_of = |f: &mut fmt::Formatter<'_>, file: &str, sheet: &Option<String>| match sheet
        {
            Some(s) => write!(f, "{file}, sheet \"{s}\""),
            None => write!(f, "{file}"),
        };
        match self {
            Place::Text { file, line, column } => write!(f, "{file}:{line}:{column}"),
            Place::Cell {
                file,
                sheet,
                row,
                column,
            } => {
                sheet_of(f, file, sheet)?;
                write!(f, ", row {row}, column \"{}\"", truncate(column, 200))
            }
            Place::Row { file, sheet, row } => {
                sheet_of(f, file, sheet)?;
                write!(f, ", row {row}")
            }
            Place::Column {
                file,
                sheet,
                column,
            } => {
                sheet_of(f, file, sheet)?;
                write!(f, ", column \"{}\"", truncate(column, 200))
            }
        }
    }
}

/// What [`Diagnostic::at`] takes: a location as text, or a [`Place`] (which also fills
/// [`Diagnostic::place`]).
#[derive(Debug, Clone)]
pub struct Location {
    text: String,
    place: Option<Place>,
}

impl From<String> for Location {
    fn from(text: String) -> Self {
        Location { text, place: None }
    }
}

impl From<&String> for Location {
    fn from(text: &String) -> Self {
        Location::from(text.clone())
    }
}

impl From<Cow<'_, str>> for Location {
    fn from(text: Cow<'_, str>) -> Self {
        Location::from(text.into_owned())
    }
}

impl From<&str> for Location {
    fn from(text: &str) -> Self {
        Location {
            text: text.to_string(),
            place: None,
        }
    }
}

impl From<Place> for Location {
    fn from(place: Place) -> Self {
        Location {
            text: place.to_string(),
            place: Some(place),
        }
    }
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Which input it is about (rules, data, files, command line).
    pub stage: Stage,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where: `rules.toml:3:7`, `data.csv, row 5, column "销售收入"`.
    pub location: Option<String>,
    /// The same as fields, where the diagnostic points at a rules position or at a data
    /// cell, row or column ([`Place`]); `None` for other locations (a whole file).
    pub place: Option<Place>,
    /// The source line and a caret under the problem, already rendered.
    pub snippet: Option<String>,
    /// How to fix it, when there is a suggestion (a did-you-mean, an example).
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message only.
    pub fn new(stage: Stage, message: impl Into<String>) -> Self {
        Diagnostic {
            stage,
            message: message.into(),
            location: None,
            place: None,
            snippet: None,
            help: None,
        }
    }

    /// Sets where the problem is (`data.csv, row 5, column "销售收入"`): as text, or as a
    /// [`Place`], which also sets [`Diagnostic::place`].
    pub fn at(mut self, location: impl Into<Location>) -> Self {
        let Location { text, place } = location.into();
        self.location = Some(text);
        self.place = place;
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the help line when there is one.
    pub fn with_help_opt(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    /// Places the diagnostic at `span` of `source`: location `name:line:col` and a snippet.
    pub fn in_source(mut self, source: &SourceText, span: Span) -> Self {
        let (line, col) = source.line_col(span.start);
        self = self.at(Place::Text {
            file: source.name.clone(),
            line,
            column: col,
        });
        self.snippet = Some(source.snippet(span));
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = cut_long_values(&self.message);
        match &self.location {
            Some(loc) => write!(f, "{}: error: {message}", cut_long_values(loc))?,
            None => write!(f, "error: {message}")?,
        }
        if let Some(snippet) = &self.snippet {
            write!(f, "\n{snippet}")?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  help: {}", cut_long_values(help))?;
        }
        Ok(())
    }
}

/// Longest value quoted in a diagnostic, in characters (SPEC §10).
const QUOTED_MAX: usize = 200;

/// `text` with every quoted value (`'…'`, `"…"`) and every run of characters without a
/// space longer than `QUOTED_MAX` cut to that length, ending in "…": an id, key or
/// column name of a million characters is quoted by its first 199. Applied when a
/// diagnostic is shown, so every message is covered whoever wrote it.
pub fn cut_long_values(text: &str) -> Cow<'_, str> {
    if text.chars().nth(QUOTED_MAX).is_none() {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len().min(4096));
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // A quoted value: up to the same quote mark.
        if (c == '\'' || c == '"')
            && let Some(len) = chars[i + 1..].iter().position(|&d| d == c)
        {
            out.push(c);
            push_cut(&mut out, &chars[i + 1..i + 1 + len]);
            out.push(c);
            i += len + 2;
            continue;
        }
        if c.is_whitespace() {
            out.push(c);
            i += 1;
            continue;
        }
        // Otherwise a run up to the next space or quote mark.
        let len = chars[i..]
            .iter()
            .skip(1)
            .position(|&d| d.is_whitespace() || d == '\'' || d == '"')
            .map_or(chars.len() - i, |p| p + 1);
        push_cut(&mut out, &chars[i..i + len]);
        i += len;
    }
    Cow::Owned(out)
}

/// Appends `value`, cut to [`QUOTED_MAX`] characters (the last one "…") when longer.
fn push_cut(out: &mut String, value: &[char]) {
    if value.len() > QUOTED_MAX {
        out.extend(&value[..QUOTED_MAX - 1]);
        out.push('…');
    } else {
        out.extend(value);
    }
}

/// The error type of the library: one or more diagnostics, all found in one pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// Every problem found, in the order found (at least one).
    pub diagnostics: Vec<Diagnostic>,
    /// The pass stopped at a cap on errors: more may follow the ones listed.
    pub stopped_early: bool,
    /// How many problems the diagnostics stand for, when some diagnostics summarise
    /// several (a data column's cell errors past the first few); `None`: one each.
    pub total: Option<usize>,
}

impl Error {
    /// An error of one diagnostic.
    pub fn one(d: Diagnostic) -> Self {
        Error {
            diagnostics: vec![d],
            stopped_early: false,
            total: None,
        }
    }

    /// An error of several diagnostics (not empty), all that one pass found.
    pub fn many(diagnostics: Vec<Diagnostic>) -> Self {
        debug_assert!(!diagnostics.is_empty());
        Error {
            diagnostics,
            stopped_early: false,
            total: None,
        }
    }

    /// The first `diagnostics` of a pass that stopped there (a cap on errors).
    pub fn first_of_more(diagnostics: Vec<Diagnostic>) -> Self {
        Error {
            stopped_early: true,
            ..Error::many(diagnostics)
        }
    }

    /// A misuse of the command line or the library (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Error::one(Diagnostic::new(Stage::Usage, message))
    }

    /// A file that cannot be read: `cannot read '<path>': <err>`.
    pub fn io(path: &str, err: &std::io::Error) -> Self {
        let p = std::path::Path::new(path);
        let (message, help) = if p.is_dir() {
            (
                format!("cannot read '{path}': it is a folder, not a file"),
                Some(
                    "give the file itself, e.g. data/2023.csv (a .csv, .xlsx or .toml file)"
                        .to_string(),
                ),
            )
        } else if err.kind() == std::io::ErrorKind::NotFound && path == "-" {
            // `-` for standard input, as many tools take it: inputs are named files here
            // (their path and hash go into the audit block).
            (
                "cannot read '-': standard input is not read as an input file".to_string(),
                Some(
                    "give the file's path (where the shell has it, /dev/stdin reads standard input)"
                        .to_string(),
                ),
            )
        } else if err.kind() == std::io::ErrorKind::NotFound {
            // A file of a close name beside it (`data.cvs` for data.csv).
            let dir = p
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let names: Vec<String> = std::fs::read_dir(dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.path().is_file())
                        .filter_map(|e| e.file_name().into_string().ok())
                        .take(1000)
                        .collect()
                })
                .unwrap_or_default();
            let file = p.file_name().and_then(|f| f.to_str()).unwrap_or(path);
            let near = did_you_mean(file, names.iter().map(String::as_str)).map(|c| {
                let shown = if dir == std::path::Path::new(".") {
                    c
                } else {
                    dir.join(c).display().to_string()
                };
                format!("did you mean '{shown}'?")
            });
            (
                format!("cannot read '{path}': no such file"),
                near.or_else(|| {
                    Some("check the path (relative paths start from the current folder)".into())
                }),
            )
        } else {
            (format!("cannot read '{path}': {err}"), None)
        };
        Error::one(Diagnostic::new(Stage::Io, message).with_help_opt(help))
    }

    /// Exit code per SPEC §8: 2 for usage errors, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        if self.diagnostics.iter().any(|d| d.stage == Stage::Usage) {
            2
        } else {
            1
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        let n = self.total.unwrap_or(self.diagnostics.len());
        if self.stopped_early {
            write!(f, "\nstopped after the first {n} errors; more may follow")?;
        } else if n > 1 {
            write!(f, "\n{n} errors")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<Diagnostic> for Error {
    fn from(d: Diagnostic) -> Self {
        Error::one(d)
    }
}

/// The library's result type: every fallible call returns its [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// A file read whole, so bounded: a rules, matrix or results file is kilobytes to a few
/// megabytes; a device or an endless pipe (`/dev/zero`) must not fill the memory.
pub fn read_bounded(path: &std::path::Path, name: &str, what: &str) -> Result<Vec<u8>> {
    use std::io::Read as _;
    const LARGEST: u64 = 256 << 20;
    let file = std::fs::File::open(path).map_err(|e| Error::io(name, &e))?;
    let mut bytes = Vec::new();
    file.take(LARGEST + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(name, &e))?;
    if bytes.len() as u64 > LARGEST {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Rules,
                format!("the {what} is larger than 256 MB, which no {what} is"),
            )
            .at(name.to_string())
            .with_help("check the path: it names something else than the file meant"),
        ));
    }
    Ok(bytes)
}

/// A TOML file (rules, AHP matrices) read as UTF-8 text. Invalid UTF-8 is an error at the
/// line and column of the first bad byte, saying when the file looks like GBK/GB18030 or
/// UTF-16 (what Notepad, WPS or Excel may have saved) and how to fix it.
pub fn read_utf8_file(path: &std::path::Path, name: &str, what: &str) -> Result<String> {
    let bytes = read_bounded(path, name, what)?;
    // A workbook (xlsx is a zip package, xls an OLE file) given where TOML text belongs.
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(Error::one(
            Diagnostic::new(
                Stage::Rules,
                format!("the {what} is a spreadsheet workbook, not TOML text"),
            )
            .at(name.to_string())
            .with_help(if what == "rules file" {
                "did you swap --rules and --data? The rules file is the .toml text file; the \
                 workbook is data"
            } else {
                "give the .toml text file here; a workbook is data"
            }),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..good]);
        let (line, col) = SourceText::new(name, prefix.as_ref()).line_col(good);
        let looks = if bytes.starts_with(&[0xFF, 0xFE, 0, 0]) || bytes.starts_with(&[0, 0, 0xFE, 0xFF]) {
            " (it is UTF-32)"
        } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
            " (it is UTF-16)"
        } else if encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some()
        {
            " (it looks like GBK/GB18030)"
        } else {
            ""
        };
        Error::one(
            Diagnostic::new(
                Stage::Rules,
                format!(
                    "the {what} is not valid UTF-8{looks}: byte 0x{:02X} at line {line}, column {col}",
                    bytes[good]
                ),
            )
            .at(format!("{name}:{line}:{col}"))
            .with_help(format!(
                "save the {what} as UTF-8 (in Notepad: Save as → Encoding UTF-8; in WPS or VS Code: the encoding in the status bar)"
            )),
        )
    })
}

/// A named source text (a rules file) for turning byte offsets into line:col.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The name diagnostics use (the path, or `rules.toml`).
    pub name: String,
    /// The whole text. Locations come from an index of its line feeds built on first use:
    /// build a new `SourceText` rather than editing this once a location was asked for.
    pub text: String,
    /// Byte offsets of the text's line feeds, found once when a location is first asked for:
    /// a file with thousands of diagnostics then costs one pass, not one per diagnostic.
    line_feeds: std::sync::OnceLock<Vec<usize>>,
}

/// Two sources are the same when their names and texts are.
impl PartialEq for SourceText {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.text == other.text
    }
}

impl SourceText {
    /// A text with its name.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        SourceText {
            name: name.into(),
            text: text.into(),
            line_feeds: std::sync::OnceLock::new(),
        }
    }

    fn line_feeds(&self) -> &[usize] {
        self.line_feeds
            .get_or_init(|| memchr::memchr_iter(b'\n', self.text.as_bytes()).collect())
    }

    /// The length of a byte-order mark at the start of the text, which editors do not show
    /// and so does not count as a column of line 1.
    fn bom_len(&self) -> usize {
        if self.text.starts_with('\u{feff}') {
            '\u{feff}'.len_utf8()
        } else {
            0
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let feeds = self.line_feeds();
        let above = feeds.partition_point(|&f| f < offset);
        let line_start = match above {
            0 => self.bom_len().min(offset),
            k => feeds[k - 1] + 1,
        };
        let col = self.text[line_start..offset].chars().count() + 1;
        (above + 1, col)
    }

    /// The line holding `span.start`, with carets under the span (cut to that line). A line
    /// longer than 200 characters is cut to 200 around the span: from its start when the span
    /// starts within the first 160 characters, otherwise from 60 characters before the span
    /// (the cuts marked "…"), so the caret is always under the problem. Shorter lines are
    /// shown whole.
    pub fn snippet(&self, span: Span) -> String {
        const MAX: usize = 200;
        const CONTEXT: usize = 60;
        let start = floor_char_boundary(&self.text, span.start.min(self.text.len()));
        let line_start = self.text[..start]
            .rfind('\n')
            .map_or_else(|| self.bom_len().min(start), |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        let (line_no, _) = self.line_col(start);
        let end = floor_char_boundary(&self.text, span.end.clamp(start, line_end));
        let before = &self.text[line_start..start];
        let chars_before = before.chars().count();
        let short = line_text.chars().nth(MAX).is_none();
        let (shown, pad) = if short || chars_before < MAX - 40 {
            (truncate(line_text, MAX), pad_under(before))
        } else {
            // Start the window CONTEXT characters before the span.
            let from = before
                .char_indices()
                .nth(chars_before - CONTEXT)
                .map_or(0, |(i, _)| i);
            let window = &line_text[from.min(line_text.len())..];
            (
                format!("…{}", truncate(window, MAX - 1)),
                format!(" {}", pad_under(&before[from..])),
            )
        };
        let shown = printable(&shown);
        let width = display_width(&self.text[start..end])
            .min(display_width(&shown).saturating_sub(display_width(&pad)))
            .max(1);
        let gutter = line_no.to_string();
        format!(
            "{:w$} |\n{} | {}\n{:w$} | {}{}",
            "",
            gutter,
            shown,
            "",
            pad,
            "^".repeat(width),
            w = gutter.len()
        )
    }
}

/// Blanks as wide on a terminal as `before`, to put a caret under what follows it: spaces,
/// and a tab wherever `before` has one, so that the caret lines up however wide the terminal
/// draws tabs.
fn pad_under(before: &str) -> String {
    let mut pad = String::new();
    for (i, piece) in before.split('\t').enumerate() {
        if i > 0 {
            pad.push('\t');
        }
        pad.extend(std::iter::repeat_n(' ', display_width(piece)));
    }
    pad
}

/// A source line made safe to print: control characters other than tab (a lone CR, which
/// would send the terminal back to the start of the line, an escape, a NUL) are shown as
/// their one-column symbols (␍, ␛, ␀), so the line and the caret under it stay as laid out.
fn printable(line: &str) -> Cow<'_, str> {
    if !line
        .chars()
        .any(|c| (c.is_control() && c != '\t') || is_direction_control(c))
    {
        return Cow::Borrowed(line);
    }
    // Direction controls are left out: they take no column (the caret stays aligned) and
    // would reorder the line on screen; the message names them.
    Cow::Owned(
        line.chars()
            .filter(|&c| !is_direction_control(c))
            .map(|c| match c as u32 {
                0x09 => c,
                u @ 0x00..=0x1F => char::from_u32(0x2400 + u).unwrap_or('?'),
                0x7F => '\u{2421}',
                _ if c.is_control() => '\u{FFFD}',
                _ => c,
            })
            .collect(),
    )
}

/// Direction controls (marks, embeddings, overrides, isolates): invisible, and they reorder
/// the text around them on screen.
pub fn is_direction_control(c: char) -> bool {
    matches!(c as u32, 0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069)
}

/// Characters that take no room on screen but are not white space to a parser: zero-width
/// spaces and joiners, the byte-order mark, a soft hyphen, a no-break space, and the
/// direction controls. Pasted in from web pages, WeChat or Word with the text around them.
pub fn is_invisible(c: char) -> bool {
    matches!(c as u32, 0x00A0 | 0x00AD | 0x200B..=0x200D | 0x2060..=0x2064 | 0xFEFF)
        || is_direction_control(c)
}

/// What an invisible character is, for messages: "U+FEFF (a byte-order mark)".
pub fn invisible_name(c: char) -> String {
    let what = match c as u32 {
        0xFEFF => "a byte-order mark",
        0x00A0 => "a no-break space",
        0x00AD => "a soft hyphen",
        0x2060 => "a word joiner",
        0x200B => "a zero-width space",
        0x200C | 0x200D => "a zero-width joiner",
        _ if is_direction_control(c) => "a direction control",
        _ => "an invisible character",
    };
    format!("U+{:04X} ({what})", c as u32)
}

/// Text made safe for a terminal, for everything the command line prints to stderr: values
/// quoted from data files and rules (an escape sequence that clears the screen, a bell, a
/// carriage return, a right-to-left override) must not drive the analyst's terminal. Line
/// ends and tabs stay; other control characters show as their symbols (␛, ␇, ␍), and the
/// invisible direction controls by their code (`<U+202E>`).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    let bidi = is_direction_control;
    if !text
        .chars()
        .any(|c| (c.is_control() && c != '\t' && c != '\n') || bidi(c))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c as u32 {
            0x09 | 0x0A => out.push(c),
            u @ 0x00..=0x1F => out.push(char::from_u32(0x2400 + u).unwrap_or('?')),
            0x7F => out.push('\u{2421}'),
            _ if c.is_control() => out.push('\u{FFFD}'),
            _ if bidi(c) => {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("<U+{:04X}>", c as u32));
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Terminal width of a text: CJK, full-width characters and emoji take two columns; a
/// control character counts one (snippets show it as a one-column symbol, see `printable`).
pub fn display_width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// A count of entities for messages: "1 entity", "3 entities".
pub fn entities(n: usize) -> String {
    if n == 1 {
        "1 entity".to_string()
    } else {
        format!("{n} entities")
    }
}

/// Items as an English list: `a`, `a and b`, `a, b and c`.
pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => {
            let head: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", head.join(", "), last.as_ref())
        }
    }
}

/// The verb that agrees with a count: `agree(1, "has", "have")` is "has".
pub fn agree(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// Cuts a value quoted in a diagnostic to at most `max` characters, marking the cut with "…".
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// The closest candidate to `name`, if one is close enough to be a plausible typo.
pub fn did_you_mean<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    // A candidate differing only in letter case is the likeliest meant (names and ids
    // are case-sensitive); otherwise the closest by Jaro-Winkler, compared in lower case
    // so that case does not weigh against a near spelling.
    let lower = name.to_lowercase();
    // Typed in full-width letters (`ｓｃａｌｅ`): the name it folds to.
    let folded = crate::data::cell::fold_width(name);
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let lower_roman = fold_roman(&lower);
    let mut best: Option<(f64, &str)> = None;
    for &c in &candidates {
        if folded != name && folded == c {
            return Some(c.to_string());
        }
        let c_lower = c.to_lowercase();
        if c_lower == lower && c != name {
            return Some(c.to_string());
        }
        // `I类` for `Ⅰ类` (a Roman numeral sign): the same on screen.
        if c != name && fold_roman(&c_lower) == lower_roman {
            return Some(c.to_string());
        }
        // (A name of hundreds of bytes is no typo of an id; and the comparison costs its
        // length times the candidate's: a pasted 3 MB name took seconds.)
        if lower.len() > 256 || c_lower.len() > 256 {
            continue;
        }
        let score = strsim::jaro_winkler(&lower, &c_lower);
        if score > 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    if let Some((_, c)) = best {
        return Some(c.to_string());
    }
    // Jaro-Winkler underrates one slip in a short name (`mn` is 0.65 from `min`): one
    // edit away, when only one candidate is, counting those where the longer of the two
    // has three characters or more (`id` and `rd` are two names, not a typo). Latin names
    // only: one character of a Chinese header is a word (净资产 is not 总资产).
    if !name.is_ascii() {
        return None;
    }
    let chars = name.chars().count();
    let mut near = close_names(name, candidates).filter(|c| chars.max(c.chars().count()) >= 3);
    match (near.next(), near.next()) {
        (Some(c), None) => Some(c.to_string()),
        _ => None,
    }
}

/// The candidates one edit (an insertion, a deletion, a substitution or two neighbours
/// swapped) from `name`, in letter case folded, in the order given: for a help that lists
/// the near ones when several are.
pub fn close_names<'a, I>(name: &str, candidates: I) -> impl Iterator<Item = &'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = name.to_lowercase();
    let chars = lower.chars().count();
    // (One edit changes the length by one at most: other lengths are not compared, which
    // costs the product of the two lengths.)
    candidates.into_iter().filter(move |c| {
        let c = c.to_lowercase();
        c.chars().count().abs_diff(chars) <= 1 && strsim::osa_distance(&lower, &c) == 1
    })
}

/// `s` with the Roman numeral signs (`Ⅰ`, `Ⅱ`, `ⅳ`: U+2160–U+217F) written in Latin letters,
/// as they read (category levels such as `Ⅰ类` are typed with `I` as often as with the sign).
fn fold_roman(s: &str) -> std::borrow::Cow<'_, str> {
    const SIGNS: [&str; 16] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "L", "C", "D",
        "M",
    ];
    if !s.chars().any(|c| matches!(c, '\u{2160}'..='\u{217F}')) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c as u32 {
            k @ 0x2160..=0x216F => out.push_str(SIGNS[(k - 0x2160) as usize]),
            k @ 0x2170..=0x217F => out.push_str(&SIGNS[(k - 0x2170) as usize].to_lowercase()),
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// "did you mean 'x'?" help text, or `None`.
pub fn did_you_mean_help<'a, I>(name: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    did_you_mean(name, candidates).map(|c| {
        // A suggestion that looks the same on screen (a Cyrillic 'е', a zero-width space)
        // names the character that differs.
        // Greek and Cyrillic letters that look Latin, and invisible characters.
        let look_alike = |ch: char| matches!(ch as u32, 0x0370..=0x04FF) || is_invisible(ch);
        let odd = |text: &str| text.chars().enumerate().find(|&(_, ch)| look_alike(ch));
        let differs = match (name.is_ascii(), c.is_ascii()) {
            (false, true) => odd(name).map(|o| (name, o)),
            (true, false) => odd(&c).map(|o| (c.as_str(), o)),
            _ => None,
        };
        // A Roman numeral sign where Latin letters are written, or the other way round, the
        // two reading alike once the signs are letters (`Ⅱ类` is not `Ⅰ类`).
        let sign = |ch: char| matches!(ch, '\u{2160}'..='\u{217F}');
        if differs.is_none()
            && name != c
            && fold_roman(&name.to_lowercase()) == fold_roman(&c.to_lowercase())
        {
            let (with_sign, other) = if c.chars().any(sign) {
                (c.as_str(), name)
            } else {
                (name, c.as_str())
            };
            if let Some(ch) = with_sign.chars().find(|&ch| sign(ch)) {
                return format!(
                    "did you mean '{c}'? ('{}' has the Roman numeral sign U+{:04X} '{ch}' where \
                     '{}' has Latin letters, which look the same)",
                    truncate(with_sign, 200),
                    ch as u32,
                    truncate(other, 200)
                );
            }
        }
        match differs {
            Some((text, (at, ch))) => format!(
                "did you mean '{c}'? ('{}' holds {} at character {}, which only looks like ASCII)",
                truncate(text, 200),
                if ch.is_alphanumeric() {
                    format!("U+{:04X} '{ch}'", ch as u32)
                } else {
                    invisible_name(ch)
                },
                at + 1
            ),
            _ => did_you_mean_text(&c),
        }
    })
}

/// "did you mean 'x'?" for a name as written. A header typed over two lines (Alt+Enter in a
/// spreadsheet cell) is given on one line, as it is matched (a line break reads as a space),
/// and said so.
pub fn did_you_mean_text(written: &str) -> String {
    if !written.contains(['\n', '\r']) {
        return format!("did you mean '{written}'?");
    }
    format!(
        "did you mean '{}'? (the header is written over two lines, as Alt+Enter makes in a \
         spreadsheet cell; a line break in a header reads as a space)",
        written
            .split(['\n', '\r'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// `八十` as 80, `两千零五` as 2005: a number written in Chinese numerals (whole numbers below
/// 10⁸), for help texts that say what to write instead (a data cell, a rules value).
/// Hand-written: a few lines, where a crate would bring far more than help texts need.
pub(crate) fn chinese_numeral(t: &str) -> Option<u64> {
    let (mut total, mut section, mut number, mut any) = (0u64, 0u64, None::<u64>, false);
    for c in t.chars() {
        // 零 and 〇 are 0, 一 to 九 are 1 to 9.
        let digit = match c {
            '零' | '〇' => Some(0),
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        };
        if let Some(d) = digit {
            // Two digits in a row (`二二`) are no numeral (零 may stand before a digit).
            if number.is_some_and(|n| n != 0) {
                return None;
            }
            number = Some(d);
            any = true;
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '万' => {
                section += number.take().unwrap_or(0);
                total += section * 10_000;
                section = 0;
                continue;
            }
            _ => return None,
        };
        // `十五`: a leading 十 is 一十.
        section += number.take().unwrap_or(1) * unit;
        any = true;
    }
    any.then(|| total + section + number.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    /// A Roman numeral sign and the Latin letters it reads as look the same: the level meant
    /// is found and the character that differs named, either way round.
    #[test]
    fn roman_numeral_signs_are_matched_to_the_letters_they_look_like() {
        let levels = ["Ⅰ类高价值", "Ⅰ类", "Ⅱ类", "无"];
        assert_eq!(
            super::did_you_mean_help("I类", levels).as_deref(),
            Some(
                "did you mean 'Ⅰ类'? ('Ⅰ类' has the Roman numeral sign U+2160 'Ⅰ' where 'I类' has Latin letters, which look the same)"
            )
        );
        assert_eq!(super::did_you_mean("II类", levels).as_deref(), Some("Ⅱ类"));
        assert_eq!(super::did_you_mean("ⅱ", ["II", "I"]).as_deref(), Some("II"));
        // Not a look-alike: `1类` is left to the usual closeness.
        assert_eq!(super::did_you_mean("1类", ["Ⅰ类高价值"]), None);
        // Another numeral may still be the nearest, but is not said to look the same.
        let other = super::did_you_mean_help("Ⅱ类企业", ["Ⅰ类企业"]).unwrap_or_default();
        assert!(!other.contains("looks the same"), "{other}");
        let three = super::did_you_mean_help("III类企业", ["Ⅲ类企业", "Ⅰ类企业"]).unwrap();
        assert_eq!(
            three,
            "did you mean 'Ⅲ类企业'? ('Ⅲ类企业' has the Roman numeral sign U+2162 'Ⅲ' where 'III类企业' has Latin letters, which look the same)"
        );
        // One character of a Chinese header is a word: no one-edit guess there.
        assert_eq!(super::did_you_mean("净资产", ["总资产", "营业收入"]), None);
    }

    #[test]
    fn terminal_safe_shows_control_characters_and_keeps_lines() {
        use super::terminal_safe;
        assert_eq!(
            terminal_safe("a\u{1b}[2Jb\u{7}\r\nc\u{202E}d\te\u{9b}"),
            "a\u{241b}[2Jb\u{2407}\u{240d}\nc<U+202E>d\te\u{FFFD}"
        );
        assert!(matches!(
            terminal_safe("plain 文字\n\tline"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    use super::*;

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["2"]), "2");
        assert_eq!(and_list(&["2", "3"]), "2 and 3");
        assert_eq!(and_list(&["2", "3", "4"]), "2, 3 and 4");
    }

    #[test]
    fn a_byte_order_mark_is_not_a_column() {
        let src = SourceText::new("r.toml", "\u{feff}[rules] x\nname = 1");
        let x = src.text.find('x').unwrap();
        assert_eq!(src.line_col(x), (1, 9));
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(src.text.find("name").unwrap()), (2, 1));
        let shown = src.snippet(Span::new(x, x + 1));
        assert!(!shown.contains('\u{feff}'), "{shown}");
        assert!(shown.contains("1 | [rules] x\n  |         ^"), "{shown}");
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let src = SourceText::new("r.toml", "a = 1\nlabel = \"销售\" x\n");
        let off = src.text.find('x').unwrap();
        assert_eq!(src.line_col(off), (2, 14));
    }

    #[test]
    fn long_values_are_cut_to_200_characters_when_shown() {
        let long = "k".repeat(1_000_000);
        let d = Diagnostic::new(Stage::Rules, format!("unknown key '{long}' in [rules]"))
            .at(format!("d.csv, row 2, column \"{long}\""))
            .with_help(format!("did you mean '{long}'? or {long}"));
        let text = d.to_string();
        let cut = format!("{}…", "k".repeat(199));
        assert_eq!(
            text,
            format!(
                "d.csv, row 2, column \"{cut}\": error: unknown key '{cut}' in [rules]\n  help: did you mean '{cut}'? or {cut}"
            )
        );
        // Short values, and long messages made of short words, are left alone.
        let words = "word ".repeat(100);
        let d = Diagnostic::new(
            Stage::Rules,
            format!("{words}'{}' and \"x\"", "v".repeat(200)),
        );
        assert_eq!(
            d.to_string(),
            format!("error: {words}'{}' and \"x\"", "v".repeat(200))
        );
    }

    #[test]
    fn snippet_puts_caret_under_span() {
        let src = SourceText::new("r.toml", "id = \"x\"\nmethod = \"bandz\"\n");
        let start = src.text.find("\"bandz\"").unwrap();
        let s = src.snippet(Span::new(start, start + 7));
        assert_eq!(s, "  |\n2 | method = \"bandz\"\n  |          ^^^^^^^");
    }

    #[test]
    fn snippet_of_a_long_line_shows_the_span() {
        // Near the start of a long line: the line's first 200 characters.
        let line = format!("x = \"{}\"", "ab + ".repeat(2000));
        let src = SourceText::new("r.toml", format!("a = 1\n{line}\n"));
        let at = src.text.find("ab").unwrap() + 5;
        let s = src.snippet(Span::new(at, at + 2));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1].chars().count(), "2 | ".len() + 200, "{s}");
        assert!(lines[1].ends_with('…'));
        assert_eq!(lines[2], format!("  | {}^^", " ".repeat(10)));
        // Far along it (col 5,006): a window from 60 characters before, caret under the span.
        let at = src.text.find("ab").unwrap() + 5 * 1000;
        let s = src.snippet(Span::new(at, at + 2));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1].chars().count(), "2 | ".len() + 200, "{s}");
        assert!(
            lines[1].starts_with("2 | …") && lines[1].ends_with('…'),
            "{s}"
        );
        let caret = lines[2].find('^').unwrap();
        assert_eq!(caret, "  | ".len() + 61, "{s}");
        assert_eq!(&lines[1][caret + 2..caret + 4], "ab", "{s}");
        assert!(lines[2].ends_with("^^"));
        // The end of the line: no trailing cut; a span past the window is cut to it.
        let at = src.text.rfind("ab").unwrap();
        let s = src.snippet(Span::new(at, src.text.len()));
        let lines: Vec<&str> = s.lines().collect();
        assert!(lines[1].ends_with("ab + \""), "{s}");
        assert_eq!(lines[2].find('^'), Some("  | ".len() + 61), "{s}");
        // A line of 200 characters is shown whole, wherever the span is.
        let line = "y".repeat(199) + "x";
        let src = SourceText::new("r.toml", line.clone());
        let s = src.snippet(Span::new(199, 200));
        assert_eq!(s, format!("  |\n1 | {line}\n  | {}^", " ".repeat(199)));
        // Wide characters before the span count two columns.
        let line = format!("{}x", "销".repeat(300));
        let src = SourceText::new("r.toml", line.clone());
        let at = line.find('x').unwrap();
        let s = src.snippet(Span::new(at, at + 1));
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], format!("1 | …{}x", "销".repeat(60)));
        assert_eq!(lines[2], format!("  | {}^", " ".repeat(121)));
    }

    #[test]
    fn caret_counts_terminal_columns_but_the_column_number_counts_characters() {
        // Emoji and CJK take two columns each; the column number is in characters.
        let src = SourceText::new("r.toml", "label = \"😀研😀\\q\"\n");
        let q = src.text.find('q').unwrap();
        assert_eq!(src.line_col(q), (1, 14));
        let s = src.snippet(Span::new(q, q + 1));
        assert_eq!(
            s,
            format!("  |\n1 | label = \"😀研😀\\q\"\n  | {}^", " ".repeat(16))
        );
        // A tab before the span is copied into the padding, so the caret lines up however
        // wide the terminal draws it.
        let src = SourceText::new("r.toml", "\tx = 研 y\n");
        let y = src.text.find('y').unwrap();
        assert_eq!(
            src.snippet(Span::new(y, y + 1)),
            "  |\n1 | \tx = 研 y\n  | \t       ^"
        );
    }

    #[test]
    fn control_characters_are_shown_as_symbols() {
        // A lone CR would return the terminal to the start of the line and overwrite it.
        let src = SourceText::new("r.toml", "floor = 1\rtarget2 = 3\x1b[2J\n");
        let at = src.text.find('\r').unwrap() + 1;
        assert_eq!(
            src.snippet(Span::new(at, at + 1)),
            "  |\n1 | floor = 1␍target2 = 3␛[2J\n  |           ^"
        );
        // A CRLF line end is not part of the line.
        let src = SourceText::new("r.toml", "a = x\r\n");
        assert_eq!(src.snippet(Span::new(4, 5)), "  |\n1 | a = x\n  |     ^");
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        let c = ["rd_intensity", "revenue"];
        assert_eq!(
            did_you_mean("rd_intesity", c.iter().copied()),
            Some("rd_intensity".to_string())
        );
        assert_eq!(did_you_mean("zzz", c.iter().copied()), None);
        // A case-only difference wins over a closer-looking spelling.
        let ids = ["LC14", "LC01", "LC10"];
        assert_eq!(did_you_mean("lc01", ids), Some("LC01".to_string()));
        assert_eq!(
            did_you_mean("Revenue", ["revenu", "revenue"]),
            Some("revenue".into())
        );
        // Letter case does not count against a near spelling either.
        assert_eq!(did_you_mean("RD_INTESITY", c), Some("rd_intensity".into()));
    }

    /// One slip in a short name is suggested when it is the only one that near; two-letter
    /// names one letter apart, or several at one edit, are not.
    #[test]
    fn did_you_mean_finds_one_slip_in_a_short_name() {
        let f = ["min", "max", "abs", "ln", "log10", "if"];
        assert_eq!(did_you_mean("mn", f), Some("min".into()));
        assert_eq!(did_you_mean("ab", f), Some("abs".into()));
        assert_eq!(did_you_mean("lx", f), None);
        assert_eq!(did_you_mean("xyz", f), None);
        assert_eq!(did_you_mean("mx", ["max", "mix"]), None);
        assert_eq!(did_you_mean("A9", ["A1", "A2", "B7"]), None);
        assert_eq!(did_you_mean("AA9", ["AA1", "B7"]), Some("AA1".into()));
        let near: Vec<&str> = close_names("a9", ["A1", "A2", "B7", "A99"]).collect();
        assert_eq!(near, ["A1", "A2", "A99"]);
    }

    /// A header typed with Alt+Enter is suggested on one line, as it is matched.
    #[test]
    fn a_header_over_two_lines_is_suggested_on_one() {
        let help = did_you_mean_help("营业收入", ["营业\n收入", "id"]).unwrap();
        assert!(
            help.starts_with("did you mean '营业 收入'? (the header is written over two lines")
        );
        assert!(!help.contains('\n'), "{help}");
        let crlf = did_you_mean_help("销售收入（万元）", ["销售收入\r\n（万元）"]).unwrap();
        assert!(
            crlf.starts_with("did you mean '销售收入 （万元）'?"),
            "{crlf}"
        );
    }

    #[test]
    fn truncate_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
        assert_eq!(display_width("销售ab"), 6);
    }
}
