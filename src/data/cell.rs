//! Cell-level rules shared by the CSV and XLSX readers: header folding, missing markers,
//! numbers and booleans (SPEC §6 and §12 "Data").

use std::borrow::Cow;

/// The built-in missing markers (SPEC §5.2), matched exactly after trimming and folding.
pub const BUILTIN_MISSING: [&str; 8] = ["", "NA", "N/A", "NULL", "null", "-", "—", "--"];

/// Folds full-width ASCII (U+FF01–U+FF5E) and the ideographic space (U+3000) to ASCII.
/// Borrows when there is nothing to fold (every ASCII text).
pub fn fold_width(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || !s.chars().any(is_foldable) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(fold_char).collect())
}

fn is_foldable(c: char) -> bool {
    matches!(c as u32, 0xFF01..=0xFF5E | 0x3000)
}

fn fold_char(c: char) -> char {
    match c as u32 {
        u @ 0xFF01..=0xFF5E => char::from_u32(u - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Characters that start a remark written after a value in the same cell
/// (`是（2022年认定）`, `国家级 2022年`, `否，已注销`): the value is what comes before.
pub const REMARK_STARTS: [char; 14] = [
    '（', '(', ' ', '　', '，', ',', '、', '：', ':', '；', ';', '-', '—', '/',
];

/// Folds a header: full-width ASCII and the ideographic space to ASCII, whitespace runs
/// collapsed to one space, trimmed. Case is kept (headers are case-sensitive). Invisible
/// characters are dropped: byte-order marks (files joined with `cat`), zero-width spaces and
/// word joiners (pasted from WPS or web pages), which would make `code` unmatchable while it
/// looks like `code`. (Zero-width joiners and non-joiners are kept: some scripts need them.)
/// White space beside a CJK character or a bracket is dropped, as Chinese is written
/// without spaces: `总产值 （亿元）` and `总产值` + Alt+Enter + `（亿元）` (a header wrapped
/// before its unit, common on bureau forms) are `总产值(亿元)`, `GDP (亿元)` is `GDP(亿元)`;
/// between two Latin words it stays one space.
pub fn fold_header(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let visible = |c: &char| !matches!(c, '\u{feff}' | '\u{200b}' | '\u{2060}');
    // A space touching a CJK character or a bracket is dropped: `GDP （亿元）`, `GDP (亿元)`
    // and `GDP（亿元）` are one header (brackets fold to ASCII first).
    let tight = |ch: char| is_cjk(ch) || matches!(ch, '(' | ')');
    for c in s.chars().filter(visible).map(fold_char) {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space && !tight(c) && !out.chars().next_back().is_some_and(tight) {
                out.push(' ');
            }
            pending_space = false;
            out.push(c);
        }
    }
    out
}

/// CJK scripts, their punctuation and full-width forms — the characters a terminal shows
/// two columns wide (full-width ASCII is folded before this is asked): a space beside one
/// of them is no part of a header.
fn is_cjk(c: char) -> bool {
    unicode_width::UnicodeWidthChar::width(c) == Some(2)
}

/// A cell without the white space at its edges. Invisible characters there
/// ([`crate::diag::is_invisible`]) are trimmed too: files joined with `cat` carry a
/// byte-order mark at the start of a row, text pasted from a web page or WeChat a zero-width
/// space, and an id that looks like `B` must be `B` (two such ids are then one, a duplicate).
pub fn trim_cell(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || crate::diag::is_invisible(c))
}

/// Whether a spreadsheet could run `s` as a formula: it starts with `=`, `+`, `-`, `@`, a
/// tab or a carriage return and is not a plain finite number.
pub fn runs_as_formula(s: &str) -> bool {
    matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'))
        && !s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A cell without the apostrophe that CSV writers (clusterscore's own among them, see
/// `report::defuse_formula`) put before a text a spreadsheet would run as a formula:
/// `'-LC1` is `-LC1`, so a roll-up of a scored CSV reads back the ids and names that were
/// scored. Only that form is changed: `'abc` and `'-5` keep their apostrophe.
pub fn undefused(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if runs_as_formula(rest) => rest,
        _ => s,
    }
}

/// A cell prepared for classification: trimmed ([`trim_cell`]), and folded when it holds
/// full-width text.
pub fn normalise_cell(s: &str) -> Cow<'_, str> {
    let t = trim_cell(s);
    match fold_width(t) {
        Cow::Borrowed(b) => Cow::Borrowed(b),
        Cow::Owned(o) => Cow::Owned(trim_cell(&o).to_string()),
    }
}

/// Missing markers: the built-ins plus the user's, all folded.
#[derive(Debug, Clone)]
pub struct Markers {
    list: Vec<String>,
    /// Whether some marker reads as a number (then no cell may skip the marker check).
    numeric: bool,
    /// Whether some marker is a boolean word (then no boolean cell may skip the check).
    boolean: bool,
}

impl Markers {
    /// The built-in markers plus `[data].missing_markers` (`extra`), folded.
    pub fn new(extra: &[String]) -> Self {
        let mut list: Vec<String> = BUILTIN_MISSING.iter().map(|s| s.to_string()).collect();
        let mut seen: std::collections::HashSet<String> = list.iter().cloned().collect();
        for m in extra {
            let f = normalise_cell(m).into_owned();
            if seen.insert(f.clone()) {
                list.push(f);
            }
        }
        let numeric = list.iter().any(|m| parse_number(m).is_some());
        let boolean = list.iter().any(|m| parse_bool(m).is_some());
        Markers {
            list,
            numeric,
            boolean,
        }
    }

    /// The markers that are yes/no words (`无`, `0`): a yes/no column reads them as missing,
    /// not as their meaning.
    pub fn yes_no_words(&self) -> Vec<&str> {
        self.list
            .iter()
            .filter(|m| parse_bool(m).is_some())
            .map(String::as_str)
            .collect()
    }

    /// Whether some marker reads as a number: then a number cell must be checked against the
    /// markers before it is taken as a number.
    #[inline]
    pub fn numeric(&self) -> bool {
        self.numeric
    }

    /// Whether some marker is a boolean word: then a spreadsheet's boolean cell must be
    /// checked against the markers before it is taken as a boolean.
    #[inline]
    pub fn boolean(&self) -> bool {
        self.boolean
    }

    /// A boolean cell written exactly as one of the common words (是/否, 有/无, 1/0) or
    /// empty (missing), when no marker is a boolean word: the reader's fast path for flag
    /// columns. `None` hands the cell to the general path.
    #[inline]
    pub fn plain_bool(&self, b: &[u8]) -> Option<Option<bool>> {
        if self.boolean {
            return None;
        }
        match b {
            b"" => Some(None),
            b"1" => Some(Some(true)),
            b"0" => Some(Some(false)),
            _ => match std::str::from_utf8(b).ok()? {
                "是" | "有" => Some(Some(true)),
                "否" | "无" => Some(Some(false)),
                _ => None,
            },
        }
    }

    /// A plain ASCII number cell (`123`, `-4.5`, `1e3`) that needs no trimming, folding or
    /// marker check: the reader's fast path (most cells of a large file).
    #[inline]
    pub fn plain_number(&self, raw: &str) -> Option<f64> {
        self.plain_number_bytes(raw.as_bytes())
    }

    /// A text cell that trimming and width folding leave as it is and that is no missing
    /// marker: the reader's fast path for id and name columns. Conservative: any byte that
    /// could start a full-width form or the ideographic space (0xE3, 0xEF) takes the slow path.
    #[inline]
    pub fn plain_text<'a>(&self, b: &'a [u8]) -> Option<&'a str> {
        // (A leading apostrophe may be a formula guard: `undefused` on the general path.)
        if b.is_empty() || b[0] == b'\'' || memchr::memchr2(0xE3, 0xEF, b).is_some() {
            return None;
        }
        let s = std::str::from_utf8(b).ok()?;
        // A character may be white space or invisible only if its first byte is ASCII white
        // space or one of the lead bytes of the non-ASCII white space and invisible
        // characters (U+0085, U+00A0, U+00AD, U+061C, U+1680, U+2000–U+206F, U+3000; U+FEFF
        // took the slow path above); only those take the Unicode table.
        let maybe_space = |lead: u8| {
            matches!(
                lead,
                b'\t'..=b'\r' | b' ' | 0xC2 | 0xD8 | 0xE1 | 0xE2 | 0xE3
            )
        };
        let last_lead = b[b.len().saturating_sub(4)..]
            .iter()
            .rev()
            .copied()
            .find(|&c| c & 0xC0 != 0x80)
            .unwrap_or(b[0]);
        let edge_space =
            |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || crate::diag::is_invisible(c));
        if (maybe_space(b[0]) && edge_space(s.chars().next()))
            || (maybe_space(last_lead) && edge_space(s.chars().next_back()))
        {
            return None;
        }
        if self.list.iter().any(|m| m.len() == s.len() && m == s) {
            return None;
        }
        Some(s)
    }

    /// [`Markers::plain_number`] on the bytes of a field (no UTF-8 check needed: only ASCII
    /// digits, signs, points and exponents pass).
    #[inline]
    pub fn plain_number_bytes(&self, b: &[u8]) -> Option<f64> {
        if let Some(x) = simple_decimal(b)
            && !self.numeric
        {
            return Some(x);
        }
        let first_digit = match b.first()? {
            b'0'..=b'9' => true,
            b'-' => b.get(1).is_some_and(u8::is_ascii_digit),
            _ => false,
        };
        if self.numeric
            || !first_digit
            || !b
                .iter()
                .all(|c| matches!(c, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'))
        {
            return None;
        }
        parse_number(std::str::from_utf8(b).ok()?)
    }

    /// Whether a normalised cell (see [`normalise_cell`]) is a missing marker.
    pub fn is_missing(&self, normalised: &str) -> bool {
        self.list.iter().any(|m| m == normalised)
    }

    /// The markers as a readable list for help texts (the empty cell shown as "(empty)").
    pub fn describe(&self) -> String {
        self.list
            .iter()
            .map(|m| {
                if m.is_empty() {
                    "an empty cell".to_string()
                } else {
                    format!("`{m}`")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether the text `b` is exactly what [`format_number`](crate::column::format_number)
/// prints for the number it reads as:
/// `[-]digits[.digits]`, at most 15 significant digits, no leading zero in the integer part
/// (except `0`), no trailing zero or point in the fraction, not `-0`. Such a decimal is the
/// only one of at most 15 digits that maps to its double, so the shortest round-trip form
/// printed for that double is this text.
pub fn is_canonical_number(b: &[u8]) -> bool {
    let body = b.strip_prefix(b"-").unwrap_or(b);
    let (int, frac) = match body.iter().position(|&c| c == b'.') {
        Some(p) => (&body[..p], Some(&body[p + 1..])),
        None => (body, None),
    };
    let digits_only = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits_only(int) || (int.len() > 1 && int[0] == b'0') {
        return false;
    }
    if let Some(f) = frac
        && (!digits_only(f) || f.ends_with(b"0"))
    {
        return false;
    }
    let significant = int
        .iter()
        .chain(frac.unwrap_or(&[]))
        .skip_while(|&&c| c == b'0')
        .count();
    if significant > 15 {
        return false;
    }
    // "-0" and "-0.0…" print without the sign; "-0.5" keeps it.
    !(b.len() != body.len() && int == b"0" && frac.is_none())
}

/// A number cell read by [`decimal_at`]: its value and whether its text is exactly what
/// [`format_number`](crate::column::format_number) prints for that value (see the inferring
/// builder, which keeps the text of the cells where it is not).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decimal {
    /// The number.
    pub value: f64,
    /// Whether the cell's text is what `format_number` prints for `value`.
    pub canonical: bool,
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The field `buf[start..end]` as [`simple_decimal`] reads it, plus whether its text is
/// canonical. A field of at most 8 characters after its sign is read as one 64-bit word
/// (SWAR: the point found and the digits checked and summed with a few multiplications,
/// no branch per character); longer fields take [`simple_decimal`]. `buf` is the whole
/// buffer the field lies in, so the word can be loaded past the field's end (those bytes
/// are masked off). Written by hand: parsing short decimals is most of reading a large
/// numeric CSV.
#[inline(always)]
pub fn decimal_at(buf: &[u8], start: usize, end: usize) -> Option<Decimal> {
    let neg = buf.get(start) == Some(&b'-');
    let s = start + usize::from(neg);
    let n = end.checked_sub(s)?;
    if n == 0 || n > 8 {
        return long_decimal(&buf[start..end]);
    }
    let word = match buf.get(s..s + 8) {
        Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")),
        None => {
            let mut w = [0u8; 8];
            w[..n].copy_from_slice(&buf[s..end]);
            u64::from_le_bytes(w)
        }
    };
    short_decimal(word, n, neg)
}

/// [`decimal_at`] of a field too long (or too short) for one word.
#[cold]
fn long_decimal(field: &[u8]) -> Option<Decimal> {
    let value = simple_decimal(field)?;
    Some(Decimal {
        value,
        canonical: is_canonical_number(field),
    })
}

/// [`decimal_at`] on a word holding `n` (1..=8) characters after the sign in its low bytes
/// (first character lowest); the bytes above them may hold anything.
#[inline(always)]
fn short_decimal(word: u64, n: usize, neg: bool) -> Option<Decimal> {
    debug_assert!((1..=8).contains(&n));
    let keep = u64::MAX >> (64 - 8 * n);
    let w = word & keep;
    // High bit of each byte equal to '.', exactly (no false positives).
    let y = w ^ (ONES * u64::from(b'.'));
    let dots = !(((y & (ONES * 0x7F)) + ONES * 0x7F) | y) & (ONES * 0x80) & keep;
    if dots.count_ones() > 1 {
        return None;
    }
    // The point and the bytes past the field read as '0'; then every byte must be a digit.
    let filled = (w ^ ((dots >> 7) * u64::from(b'.' ^ b'0'))) | ((ONES * u64::from(b'0')) & !keep);
    if filled & (ONES * 0xF0) != ONES * 0x30 || (filled + ONES * 6) & (ONES * 0xF0) != ONES * 0x30 {
        return None;
    }
    let d = filled - ONES * u64::from(b'0');
    let (digits, m, frac) = if dots == 0 {
        (d, n, 0)
    } else {
        let p = (dots.trailing_zeros() / 8) as usize;
        // "5." and ".5" are left to the general parser, as by `simple_decimal`.
        if p == 0 || p == n - 1 {
            return None;
        }
        let low = d & (u64::MAX >> (64 - 8 * p));
        let high = d >> (8 * p + 8);
        (low | (high << (8 * p)), n - 1, n - 1 - p)
    };
    let int_len = m - frac;
    let first = digits & 0xFF;
    let last = (digits >> (8 * (m - 1))) & 0xFF;
    let leading_zero = int_len > 1 && first == 0;
    let trailing_zero = frac > 0 && last == 0;
    let minus_zero = neg && frac == 0 && m == 1 && first == 0;
    let canonical = !(leading_zero || trailing_zero || minus_zero);
    // The digits as one integer: leading zeros fill the low bytes, then pairs, quads and
    // the eight are combined by multiply-and-shift.
    let v = digits << (8 * (8 - m));
    let v = (v * 10 + (v >> 8)) & 0x00FF_00FF_00FF_00FF;
    let v = (v * 100 + (v >> 16)) & 0x0000_FFFF_0000_FFFF;
    let mantissa = (v * 10_000 + (v >> 32)) & 0xFFFF_FFFF;
    const POW10: [f64; 8] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7];
    let x = mantissa as f64 / POW10[frac];
    Some(Decimal {
        value: if neg { -x } else { x },
        canonical,
    })
}

/// Parses a normalised cell (trimmed, full-width folded) as a number.
///
/// Written by hand around `str::parse::<f64>` because the accepted forms are the product's
/// own rules, not Rust's: thousands separators only in well-formed groups, a trailing `%`
/// kept in percent units, a leading `+`, and no NaN/infinity (which `parse` would accept).
/// `[-]digits[.digits]` with at most 15 significant digits and no exponent, parsed exactly
/// (Clinger's fast path: the digits as an integer below 2^53 divided by an exact power of
/// ten is one correctly rounded operation, the same double `str::parse` gives). Written by
/// hand because it is most of the work of reading a large numeric CSV; `None` hands the
/// cell to the general parser.
#[inline]
pub fn simple_decimal(b: &[u8]) -> Option<f64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut frac_digits: i32 = -1;
    let mut count = 0;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                count += 1;
                if frac_digits >= 0 {
                    frac_digits += 1;
                }
            }
            b'.' if frac_digits < 0 => frac_digits = 0,
            _ => return None,
        }
    }
    // "5." and ".5" are left to the general parser, which decides whether they are numbers.
    if count == 0 || frac_digits == 0 || digits[0] == b'.' || count > 15 {
        return None;
    }
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let x = mantissa as f64 / POW10[frac_digits.max(0) as usize];
    Some(if neg { -x } else { x })
}

/// A normalised cell as a number: optional sign, thousands separators in groups of three,
/// decimals, exponent, a trailing `%` (the number kept in percent units); `None` otherwise.
pub fn parse_number(s: &str) -> Option<f64> {
    // (`12.5 %`, `12.5　％`: the % is still trailing, SPEC §6; spaces come folded.)
    let s = s.strip_suffix('%').map_or(s, |t| t.trim_end_matches(' '));
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 400 {
        return None;
    }
    // Shape check: [sign] int-part [. frac] [e [sign] digits], where int-part may carry
    // commas in groups of three. Everything else (letters, `inf`, `NaN`, spaces) fails here.
    let mut i = 0;
    if b[i] == b'+' || b[i] == b'-' {
        i += 1;
    }
    let int_start = i;
    let mut has_comma = false;
    let mut group_len = 0usize;
    let mut first_group = true;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b',') {
        if b[i] == b',' {
            // A leading group is 1–3 digits without a leading zero (`0,125` is a decimal
            // comma, not 125).
            if group_len == 0
                || (first_group && (group_len > 3 || b[int_start] == b'0'))
                || (!first_group && group_len != 3)
            {
                return None;
            }
            has_comma = true;
            first_group = false;
            group_len = 0;
        } else {
            group_len += 1;
        }
        i += 1;
    }
    if has_comma && group_len != 3 {
        return None;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            frac_digits += 1;
        }
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    let mantissa_end = i;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    let v: f64 = if has_comma {
        s.replace(',', "").parse().ok()?
    } else {
        s.parse().ok()?
    };
    // `1e-400` rounds to 0: refused like `1e400`, rather than read as a zero it is not.
    if v == 0.0 && nonzero_digits(&s[..mantissa_end]) {
        return None;
    }
    v.is_finite().then_some(v)
}

/// Whether a number that reads as `value` was written with a non-zero digit before any
/// exponent: nearer zero than the smallest double (`1e-400`), and not zero (`0e-400`).
pub(crate) fn underflows(text: &str, value: f64) -> bool {
    value == 0.0 && nonzero_digits(text.split(['e', 'E']).next().unwrap_or(""))
}

fn nonzero_digits(text: &str) -> bool {
    text.bytes().any(|c| matches!(c, b'1'..=b'9'))
}

/// Whether a cell is a number written with `%` (`65%`, `65 ％`).
pub(crate) fn written_with_percent(text: &str) -> bool {
    text.trim_end().ends_with(['%', '％'])
}

/// Parses a normalised cell as a boolean word: `是/否`, `有/无`, `Y/N`, `yes/no`,
/// `true/false`, `1/0` (Latin words case-insensitive).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "是" | "有" | "1" => return Some(true),
        "否" | "无" | "0" => return Some(false),
        _ => {}
    }
    if s.len() > 5 {
        return None;
    }
    // Compared without lowercasing into a new string: this runs on every cell of a column
    // whose type is inferred.
    let is = |words: [&str; 3]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
    if is(["y", "yes", "true"]) {
        Some(true)
    } else if is(["n", "no", "false"]) {
        Some(false)
    } else {
        None
    }
}

/// The accepted number forms, for help texts.
pub const NUMBER_FORMS: &str =
    "numbers like 12, -3.5, +7, 1,234,567.5, 1.2e3, 12.5% (kept as 12.5), full-width digits";

/// Check marks people put in yes/no columns for 是 and for 否 (not yes/no words).
pub const YES_MARKS: [&str; 4] = ["√", "✓", "✔", "☑"];
/// The marks for 否, beside [`YES_MARKS`].
pub const NO_MARKS: [&str; 4] = ["×", "✗", "✘", "☒"];

/// The accepted boolean words, for help texts.
pub const BOOL_WORDS: &str = "是/否, 有/无, Y/N, yes/no, true/false, 1/0";

#[cfg(test)]
mod tests {

    #[test]
    fn plain_text_takes_the_fast_path_only_when_the_slow_path_agrees() {
        let m = Markers::new(&["无数据".to_string()]);
        for t in [
            "E00000001",
            "润泽陶瓷工业",
            " 前导空格",
            "尾随空格 ",
            "ＡＢＣ",
            "全角　空格",
            "NA",
            "-",
            "无数据",
            "",
            "a\u{a0}",
            "\u{feff}B",
            "B\u{200b}",
            "\u{2060}B",
            "B\u{61c}",
            "B\u{ad}",
            "B\u{200b}C",
            "x y",
            "东营",
        ] {
            let slow = !m.is_missing(&normalise_cell(t))
                && normalise_cell(t) == trim_cell(t)
                && trim_cell(t) == t;
            if let Some(fast) = m.plain_text(t.as_bytes()) {
                assert!(slow, "fast path taken for {t:?}");
                assert_eq!(fast, t);
            }
        }
        assert_eq!(
            m.plain_text("润泽陶瓷工业".as_bytes()),
            Some("润泽陶瓷工业")
        );
        assert_eq!(m.plain_text(b"NA"), None);
    }

    #[test]
    fn simple_decimals_parse_exactly_like_the_standard_library() {
        let mut cases: Vec<String> = vec![
            "0".into(),
            "-0".into(),
            "007".into(),
            "123456789012345".into(),
            "0.1".into(),
            "-2.675".into(),
            "99999.99999".into(),
            "0.00000000000001".into(),
        ];
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let digits = 1 + (state % 15) as usize;
            let point = (state >> 8) as usize % (digits + 1);
            let mut t = String::new();
            if state & 1 == 1 {
                t.push('-');
            }
            for k in 0..digits {
                if k == point && k > 0 {
                    t.push('.');
                }
                t.push(char::from(b'0' + ((state >> (k * 3 + 10)) % 10) as u8));
            }
            cases.push(t);
        }
        for c in &cases {
            let want: f64 = c.parse().unwrap();
            let got = simple_decimal(c.as_bytes()).unwrap_or_else(|| panic!("{c}"));
            assert_eq!(got.to_bits(), want.to_bits(), "{c}");
        }
        for c in [
            "",
            "-",
            ".5",
            "5.",
            "1e5",
            "1,000",
            "1.2.3",
            "+1",
            "1234567890123456",
        ] {
            assert_eq!(simple_decimal(c.as_bytes()), None, "{c}");
        }
    }

    use super::*;

    /// `decimal_at` must agree with `simple_decimal` and `is_canonical_number` bit for bit,
    /// whatever follows the field in its buffer and wherever the buffer ends.
    #[test]
    fn word_decimals_agree_with_the_bytewise_reader() {
        let alphabet = b"0123456789012345678900..--+e ,x\xe6";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut fields: Vec<Vec<u8>> = [
            "0",
            "-0",
            "00",
            "-0.0",
            "0.5",
            "0.50",
            "-0.5",
            "12345678",
            "1234567.8",
            "-12345678",
            "123456789",
            "1.2345678",
            "9999999.9",
            "99999999",
            "5.",
            ".5",
            "-",
            "",
            "1..2",
            "1.2.3",
            "-.5",
            "-5.",
            "10",
            "100.25",
            "007",
            "7.0",
            "1e5",
            "+1",
            "--1",
            "1-2",
        ]
        .iter()
        .map(|t| t.as_bytes().to_vec())
        .collect();
        for _ in 0..200_000 {
            let len = (next() % 12) as usize;
            let digits_only = next() % 3 != 0;
            let f: Vec<u8> = (0..len)
                .map(|k| {
                    let r = next();
                    if digits_only {
                        match r % 14 {
                            0 if k == 0 => b'-',
                            1 => b'.',
                            _ => b'0' + (r % 10) as u8,
                        }
                    } else {
                        alphabet[(r % alphabet.len() as u64) as usize]
                    }
                })
                .collect();
            fields.push(f);
        }
        for f in &fields {
            let want = simple_decimal(f).map(|value| Decimal {
                value,
                canonical: is_canonical_number(f),
            });
            let tail = next().to_le_bytes();
            for pad in [0, 3, 8] {
                let mut buf = b"12".to_vec();
                buf.extend_from_slice(f);
                buf.extend_from_slice(&tail[..pad]);
                let got = decimal_at(&buf, 2, 2 + f.len());
                let shown = String::from_utf8_lossy(f);
                assert_eq!(got.is_some(), want.is_some(), "{shown:?}");
                if let (Some(g), Some(w)) = (got, want) {
                    assert_eq!(g.value.to_bits(), w.value.to_bits(), "{shown:?}");
                    assert_eq!(g.canonical, w.canonical, "{shown:?}");
                }
            }
        }
    }

    #[test]
    fn boolean_words_in_any_ascii_case() {
        for t in [
            "是", "有", "1", "y", "Y", "yes", "YES", "Yes", "true", "TRUE", "tRuE",
        ] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["否", "无", "0", "n", "N", "no", "No", "false", "FALSE"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for x in [
            "", "2", "1.0", "yes!", "truee", "ye", "nope", "t", "是的", "falsey",
        ] {
            assert_eq!(parse_bool(x), None, "{x}");
        }
    }

    fn num(s: &str) -> Option<f64> {
        parse_number(&normalise_cell(s))
    }

    #[test]
    fn numbers_plain_and_signed() {
        assert_eq!(num("12"), Some(12.0));
        assert_eq!(num(" -3.5 "), Some(-3.5));
        assert_eq!(num("+7"), Some(7.0));
        assert_eq!(num(".5"), Some(0.5));
        assert_eq!(num("5."), Some(5.0));
        assert_eq!(num("1.2e3"), Some(1200.0));
        assert_eq!(num("1E-2"), Some(0.01));
        assert_eq!(num("007"), Some(7.0));
        assert_eq!(num("1e"), None);
        assert_eq!(num("."), None);
        assert_eq!(num("+"), None);
        assert_eq!(num("1 000"), None);
        assert_eq!(num("1.2.3"), None);
        assert_eq!(num("abc"), None);
        assert_eq!(num("--5"), None);
    }

    #[test]
    fn a_number_nearer_zero_than_the_smallest_double_is_refused_not_read_as_zero() {
        assert_eq!(num("1e-400"), None);
        assert_eq!(num("-2.5E-999"), None);
        assert_eq!(num("0.0001e-330"), None);
        // Zero written with an exponent is zero; a subnormal is kept.
        assert_eq!(num("0e-999"), Some(0.0));
        assert_eq!(num("0.000e-400"), Some(0.0));
        assert_eq!(num("1e-320"), Some(1e-320));
    }

    #[test]
    fn numbers_thousands_groups() {
        assert_eq!(num("1,234,567.5"), Some(1234567.5));
        assert_eq!(num("1,234"), Some(1234.0));
        assert_eq!(num("-12,345"), Some(-12345.0));
        assert_eq!(num("1,23"), None);
        assert_eq!(num("12,34,567"), None);
        assert_eq!(num("1234,567"), None);
        assert_eq!(num(",123"), None);
        assert_eq!(num("123,"), None);
        assert_eq!(num("1,,234"), None);
        assert_eq!(num("1.234,5"), None);
        assert_eq!(num("1,234.5,6"), None);
        // A leading zero group is a decimal comma or a typing slip, not thousands.
        assert_eq!(num("0,125"), None);
        assert_eq!(num("00,125"), None);
        assert_eq!(num("-0,500"), None);
        assert_eq!(num("01,234"), None);
        assert_eq!(num("10,125"), Some(10125.0));
        assert_eq!(num("0125"), Some(125.0));
    }

    #[test]
    fn numbers_percent_and_full_width() {
        assert_eq!(num("12.5%"), Some(12.5));
        assert_eq!(num("12.5％"), Some(12.5));
        assert_eq!(num("１２３"), Some(123.0));
        assert_eq!(num("－１，２３４．５"), Some(-1234.5));
        assert_eq!(num("＋５"), Some(5.0));
        assert_eq!(num("　12　"), Some(12.0));
        assert_eq!(num("%"), None);
        assert_eq!(num("12%%"), None);
        // A space before the % (the % still trails the number), but not inside it.
        assert_eq!(num("12.5 %"), Some(12.5));
        assert_eq!(num("12.5　％"), Some(12.5));
        assert_eq!(num(" %"), None);
        assert_eq!(num("1 2%"), None);
        assert_eq!(num("12 %%"), None);
    }

    #[test]
    fn numbers_reject_nan_and_infinity() {
        for s in [
            "NaN", "nan", "inf", "-inf", "Infinity", "INFINITY", "+inf", "1e999", "-1e400",
        ] {
            assert_eq!(num(s), None, "{s}");
        }
        let long = "9".repeat(10_000);
        assert_eq!(num(&long), None);
    }

    #[test]
    fn booleans() {
        for (s, v) in [
            ("是", true),
            ("否", false),
            ("有", true),
            ("无", false),
            ("Y", true),
            ("n", false),
            ("YES", true),
            ("No", false),
            ("True", true),
            ("FALSE", false),
            ("1", true),
            ("0", false),
            ("ｙｅｓ", true),
        ] {
            assert_eq!(parse_bool(&normalise_cell(s)), Some(v), "{s}");
        }
        for s in ["2", "yes!", "t", "f", "对", "", "1.0"] {
            assert_eq!(parse_bool(&normalise_cell(s)), None, "{s}");
        }
    }

    #[test]
    fn markers() {
        let m = Markers::new(&["无数据".to_string(), " ｘ ".to_string()]);
        for s in [
            "",
            "  ",
            "NA",
            "N/A",
            "NULL",
            "null",
            "-",
            "—",
            "--",
            "－",
            "无数据",
            "x",
        ] {
            assert!(m.is_missing(&normalise_cell(s)), "{s:?}");
        }
        for s in ["na", "Null", "n/a", "0", "---", "X"] {
            assert!(!m.is_missing(&normalise_cell(s)), "{s:?}");
        }
    }

    #[test]
    fn header_folding() {
        assert_eq!(fold_header("销售收入（万元）"), "销售收入(万元)");
        assert_eq!(fold_header("ＡＢ　 c"), "AB c");
        assert_eq!(fold_header("  a \t\n b  "), "a b");
        assert_eq!(fold_header("　"), "");
        assert_eq!(fold_header("Rev"), "Rev");
        // Space beside a CJK character goes; between Latin words it stays.
        assert_eq!(fold_header("总产值\n（亿元）"), "总产值(亿元)");
        assert_eq!(fold_header(" 销售收入 （亿元） "), "销售收入(亿元)");
        assert_eq!(fold_header("R&D 投入 (万元)"), "R&D投入(万元)");
        assert_eq!(fold_header("营业　收入"), "营业收入");
        // A space beside a bracket, full-width or not, is dropped: one header however the
        // unit is bracketed (audit39_cli L4, review39 M1).
        assert_eq!(fold_header("Revenue (万元)"), "Revenue(万元)");
        assert_eq!(fold_header("GDP （亿元）"), "GDP(亿元)");
        assert_eq!(fold_header("GDP (亿元)"), fold_header("GDP（亿元）"));
        assert_eq!(fold_header("R&D （万元） total"), "R&D(万元)total");
        assert_eq!(fold_header("ＲＤ staff"), "RD staff");
        assert_eq!(fold_header("rd  staff\t share"), "rd staff share");
        assert_eq!(fold_header("𠀀 x"), "𠀀x");
        assert_ne!(fold_header("rev"), fold_header("Rev"));
    }
}
