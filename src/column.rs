//! Typed columns shared by the data readers, the expression evaluator and the engine.
//!
//! Missing numbers are `NaN`: the readers reject NaN and infinity in input, and every
//! operation that would produce one (division by zero, `ln` of a negative) yields missing,
//! so `NaN` means "missing" and nothing else.

/// `len` copies of `value`, written on all cores: a large fresh block's pages are faulted
/// in by every thread at once rather than one by one on the calling thread (on a virtual
/// machine a first touch also costs the host a fault: ~15 µs per 4 KB page here).
pub fn filled_on_all_cores<T: Copy + Send + Sync>(len: usize, value: T) -> Vec<T> {
    use rayon::prelude::*;
    let mut v = Vec::with_capacity(len);
    v.par_extend(rayon::iter::repeat_n(value, len));
    v
}

/// `values[rows[k]]` for every k: a gather, on all cores when it is large (its reads are
/// scattered, so each one is a cache miss that the other core's misses overlap).
pub fn gathered<T: Copy + Send + Sync>(values: &[T], rows: &[usize]) -> Vec<T> {
    gathered_with(values, rows, |v| v)
}

/// `f(values[rows[k]])` for every k, as [`gathered`]; the value `GATHER_AHEAD` rows on is
/// prefetched, so a large gather's cache misses overlap instead of following one another.
pub fn gathered_with<T: Copy + Send + Sync, U: Send>(
    values: &[T],
    rows: &[usize],
    f: impl Fn(T) -> U + Sync + Send,
) -> Vec<U> {
    use rayon::prelude::*;
    const GATHER_AHEAD: usize = 16;
    if rows.len() < 1 << 15 {
        rows.iter().map(|&r| f(values[r])).collect()
    } else {
        rows.par_iter()
            .enumerate()
            .with_min_len(1 << 13)
            .map(|(k, &r)| {
                if let Some(&ahead) = rows.get(k + GATHER_AHEAD) {
                    crate::num::prefetch(values.as_ptr().wrapping_add(ahead));
                }
                f(values[r])
            })
            .collect()
    }
}

/// The type of a value in an expression or a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// A number (`f64`; NaN is missing).
    Number,
    /// True or false.
    Bool,
    /// Text: category values, ids, names.
    Text,
}

impl Type {
    /// The word used in diagnostics and docs.
    pub fn name(self) -> &'static str {
        match self {
            Type::Number => "number",
            Type::Bool => "bool",
            Type::Text => "text",
        }
    }
}

/// The distinct texts of a column, in first-seen order, back to back in one buffer.
///
/// An id column has as many distinct texts as rows: one buffer and an end offset per text
/// (8 bytes) instead of a `String` each (24 bytes plus a heap block) keeps 10⁷ ids to a few
/// hundred MB and reading them free of per-text allocations. Written by hand: it is the
/// column store itself.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TextDict {
    bytes: String,
    ends: Vec<usize>,
}

impl TextDict {
    /// How many distinct texts.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it holds no text.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Text number `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..end])
    }

    /// Bytes of all the texts.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Room for `texts` more texts of `bytes` bytes in all.
    pub fn reserve(&mut self, texts: usize, bytes: usize) {
        self.ends.reserve(texts);
        self.bytes.reserve(bytes);
    }

    /// Appends a text (the caller keeps texts distinct).
    pub fn push(&mut self, s: &str) {
        self.bytes.push_str(s);
        self.ends.push(self.bytes.len());
    }

    /// Keeps the first `n` texts.
    pub fn truncate(&mut self, n: usize) {
        if n < self.ends.len() {
            self.ends.truncate(n);
            self.bytes.truncate(self.ends.last().copied().unwrap_or(0));
        }
    }

    /// Where the offset of text `i` is kept, to prefetch before a scattered read.
    #[doc(hidden)]
    pub fn entry_ptr(&self, i: usize) -> Option<*const usize> {
        self.ends.get(i).map(|e| e as *const usize)
    }

    /// Where text `i` starts, to prefetch before a scattered read. Unlike [`TextDict::get`]
    /// it does not slice the text, whose char-boundary check would load the very byte the
    /// prefetch is meant to fetch ahead (a stall that was ~6 % of a 10⁶-row run's CPU).
    #[doc(hidden)]
    pub fn text_ptr(&self, i: usize) -> Option<*const u8> {
        let start = match i {
            0 => 0,
            _ => *self.ends.get(i - 1)?,
        };
        Some(self.bytes.as_ptr().wrapping_add(start))
    }

    /// The texts in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(move |i| &self[i])
    }
}

impl std::ops::Index<usize> for TextDict {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }
}

impl std::fmt::Debug for TextDict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<S: AsRef<str>> FromIterator<S> for TextDict {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut d = TextDict::default();
        for s in iter {
            d.push(s.as_ref());
        }
        d
    }
}

impl From<Vec<String>> for TextDict {
    fn from(v: Vec<String>) -> Self {
        v.into_iter().collect()
    }
}

/// A dictionary-encoded text column: each distinct text is stored once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextColumn {
    /// Distinct values, in first-seen order.
    /// Shared: taking rows or copying a column does not copy the texts.
    pub dict: std::sync::Arc<TextDict>,
    /// Per row: index into `dict`, or [`TextColumn::MISSING`].
    pub codes: Vec<u32>,
}

impl TextColumn {
    /// Code of a missing cell.
    pub const MISSING: u32 = u32::MAX;

    /// How many rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The first row holding dictionary entry `code` (for messages that point at a cell;
    /// a scan of the rows).
    pub fn first_row(&self, code: usize) -> Option<usize> {
        self.codes.iter().position(|&c| c as usize == code)
    }

    /// The text of row `i`, `None` when missing.
    pub fn get(&self, i: usize) -> Option<&str> {
        match self.codes[i] {
            Self::MISSING => None,
            c => Some(&self.dict[c as usize]),
        }
    }

    /// Builds a column from optional strings (dictionary built here).
    pub fn from_values<I, S>(values: I) -> Self
    where
        I: IntoIterator<Item = Option<S>>,
        S: AsRef<str>,
    {
        let mut col = TextColumn::default();
        let mut dict = TextDict::default();
        let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        for v in values {
            match v {
                None => col.codes.push(Self::MISSING),
                Some(s) => {
                    let s = s.as_ref();
                    let code = match index.get(s) {
                        Some(&c) => c,
                        None => {
                            let c = dict.len() as u32;
                            dict.push(s);
                            index.insert(s.to_string(), c);
                            c
                        }
                    };
                    col.codes.push(code);
                }
            }
        }
        col.dict = std::sync::Arc::new(dict);
        col
    }

    /// Rows picked by `rows`, in that order (dictionary shared).
    pub fn take(&self, rows: &[usize]) -> Self {
        TextColumn {
            dict: self.dict.clone(),
            codes: gathered(&self.codes, rows),
        }
    }
}

/// One column of values, all rows of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// `NaN` is missing.
    Number(Vec<f64>),
    /// `None` is missing.
    Bool(Vec<Option<bool>>),
    /// Dictionary-encoded text; [`TextColumn::MISSING`] is missing.
    Text(TextColumn),
}

impl Column {
    /// The type of its values.
    pub fn ty(&self) -> Type {
        match self {
            Column::Number(_) => Type::Number,
            Column::Bool(_) => Type::Bool,
            Column::Text(_) => Type::Text,
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Number(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Text(t) => t.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            Column::Number(v) => v[i].is_nan(),
            Column::Bool(v) => v[i].is_none(),
            Column::Text(t) => t.codes[i] == TextColumn::MISSING,
        }
    }

    /// Rows picked by `rows`, in that order.
    pub fn take(&self, rows: &[usize]) -> Column {
        match self {
            Column::Number(v) => Column::Number(gathered(v, rows)),
            Column::Bool(v) => Column::Bool(gathered(v, rows)),
            Column::Text(t) => Column::Text(t.take(rows)),
        }
    }

    /// Numeric view: numbers as they are, booleans as 1/0, text as missing.
    pub fn to_numbers(&self) -> Vec<f64> {
        match self {
            Column::Number(v) => v.clone(),
            Column::Bool(v) => v
                .iter()
                .map(|b| match b {
                    Some(true) => 1.0,
                    Some(false) => 0.0,
                    None => f64::NAN,
                })
                .collect(),
            Column::Text(t) => vec![f64::NAN; t.len()],
        }
    }

    /// Condition view (three-valued): non-zero numbers are true.
    pub fn to_truth(&self) -> Vec<Option<bool>> {
        match self {
            Column::Number(v) => v
                .iter()
                .map(|x| if x.is_nan() { None } else { Some(*x != 0.0) })
                .collect(),
            Column::Bool(v) => v.clone(),
            Column::Text(t) => vec![None; t.len()],
        }
    }

    /// Text of row `i` as published (numbers in shortest form, booleans true/false).
    pub fn display(&self, i: usize) -> Option<String> {
        match self {
            Column::Number(v) => {
                if v[i].is_nan() {
                    None
                } else {
                    Some(format_number(v[i]))
                }
            }
            Column::Bool(v) => v[i].map(|b| b.to_string()),
            Column::Text(t) => t.get(i).map(str::to_string),
        }
    }
}

/// A number as a person reads it in notes, reports and `explain`: rounded to 15 significant
/// digits (what a spreadsheet shows), then in shortest form, so arithmetic noise such as
/// 7.200000000000001 (0.072 × 100) reads 7.2. Published data (CSV cells, carried columns,
/// JSON values) keep [`format_number`], which reads back to the same number.
pub fn format_display(x: f64) -> String {
    if !x.is_finite() {
        return format_number(x);
    }
    // `{:.14e}` keeps 15 significant digits, correctly rounded; parsing it back gives the
    // nearest double, whose shortest form drops the noise.
    let rounded: f64 = format!("{x:.14e}").parse().unwrap_or(x);
    format_number(rounded)
}

/// `x` to `decimals` places, rounded half away from zero on the decimal value it stands
/// for, as published numbers are (`format!("{:.3}")` alone rounds the binary value: 1573 of
/// 2000 runs, 0.7865, would show 0.786). For numbers shown beside published ones.
pub fn format_fixed(x: f64, decimals: u32) -> String {
    // (The formatter takes at most 65,535 places; a double has no digit past the 1,074th.)
    format!(
        "{:.*}",
        decimals.min(1100) as usize,
        crate::num::round_half_away(x, decimals)
    )
}

/// Shortest decimal form of a number, without a trailing `.0` for whole numbers; a number
/// nearer zero than 1e-9, or from 1e21 on, in exponent form (`1e-320` and `1e308`, not
/// hundreds of zeros).
pub fn format_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else if x.abs() < 1e-9 || (x.is_finite() && x.abs() >= 1e21) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_places_round_half_away_on_the_decimal_value() {
        assert_eq!(format!("{:.3}", 1573.0 / 2000.0), "0.786");
        assert_eq!(format_fixed(1573.0 / 2000.0, 3), "0.787");
        assert_eq!(format_fixed(427.0 / 2000.0, 3), "0.214");
        assert_eq!(format_fixed(0.86697, 4), "0.8670");
        assert_eq!(format_fixed(-0.00005, 4), "-0.0001");
        assert_eq!(format_fixed(0.03125, 4), "0.0313");
        // Absurd place counts (a library caller's): the value as it is, no panic.
        assert!(format_fixed(1.5, 70_000).starts_with("1.500"));
        assert_eq!(crate::num::round_half_away(1.5, u32::MAX), 1.5);
    }

    #[test]
    fn display_drops_arithmetic_noise_but_keeps_real_digits() {
        assert_eq!(format_display(0.072 * 100.0), "7.2");
        assert_ne!(format_number(0.072 * 100.0), "7.2");
        assert_eq!(format_display(7.200000000000001), "7.2");
        assert_eq!(format_display(0.1 + 0.2), "0.3");
        assert_eq!(format_display(3.5999999999999996), "3.6");
        assert_eq!(format_display(-3.022131299981401), "-3.0221312999814");
        assert_eq!(format_display(6.8733109758083), "6.8733109758083");
        assert_eq!(format_number(1e-320), "1e-320");
        assert_eq!(format_number(-2.5e-10), "-2.5e-10");
        assert_eq!(format_number(1.5e-9), "0.0000000015");
        // Huge numbers in exponent form from 1e21 on (an overflowing formula's inputs).
        assert_eq!(format_display(1e308), "1e308");
        assert_eq!(format_number(-1.5e22), "-1.5e22");
        assert_eq!(format_number(1e20), "100000000000000000000");
        assert_eq!(format_number(1e15), "1000000000000000");
        assert_eq!(format_display(5.0), "5");
        assert_eq!(format_display(-0.0), "0");
        assert_eq!(format_display(1234567.891), "1234567.891");
        assert_eq!(format_display(1e-7 / 3.0), "0.0000000333333333333333");
        assert_eq!(format_display(f64::NAN), "NaN");
    }

    #[test]
    fn text_dict_keeps_texts_apart_and_truncates_whole_texts() {
        let mut d: TextDict = ["", "聊城", "ab"].into_iter().collect();
        assert_eq!(d.len(), 3);
        assert_eq!(&d[0], "");
        assert_eq!(&d[1], "聊城");
        assert_eq!(d.get(2), Some("ab"));
        assert_eq!(d.get(3), None);
        d.push("c");
        assert_eq!(d.iter().collect::<Vec<_>>(), ["", "聊城", "ab", "c"]);
        d.truncate(2);
        assert_eq!(d.iter().collect::<Vec<_>>(), ["", "聊城"]);
        d.push("x");
        assert_eq!(&d[2], "x");
        // Equal texts in equal order, however they were built.
        assert_eq!(
            d,
            TextDict::from(vec!["".into(), "聊城".into(), "x".into()])
        );
        assert_ne!(
            d,
            TextDict::from(vec!["聊".into(), "城".into(), "x".into()])
        );
    }

    #[test]
    fn text_column_dictionary_and_take() {
        let t = TextColumn::from_values([Some("东"), None, Some("西"), Some("东")]);
        assert_eq!(t.dict.iter().collect::<Vec<_>>(), vec!["东", "西"]);
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(3), Some("东"));
        let k = t.take(&[3, 1]);
        assert_eq!(k.get(0), Some("东"));
        assert_eq!(k.get(1), None);
    }

    #[test]
    fn numbers_and_truth_views() {
        let c = Column::Number(vec![0.0, 2.5, f64::NAN]);
        assert_eq!(c.to_truth(), vec![Some(false), Some(true), None]);
        let b = Column::Bool(vec![Some(true), None]);
        let n = b.to_numbers();
        assert_eq!(n[0], 1.0);
        assert!(n[1].is_nan());
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-0.25), "-0.25");
    }
}
