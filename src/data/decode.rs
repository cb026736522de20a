//! Encoding detection and streaming decoding to UTF-8 (SPEC §6: UTF-8 with or without BOM,
//! GBK/GB18030, UTF-16 with BOM).
//!
//! Detection: a BOM decides; otherwise the first [`PREFIX_LEN`] bytes are checked as strict
//! UTF-8, and anything that is not UTF-8 is decoded as GB18030 (what Chinese Excel and WPS
//! save; GBK is a subset) — unless the prefix is UTF-8 text with a few bad bytes (see
//! `mostly_utf8`), which is read as UTF-8 so the decoding error names the bad byte instead
//! of turning every character into the wrong one. A file that looked like UTF-8 only because
//! its prefix was plain ASCII is re-read as GB18030 if invalid UTF-8 turns up later (see
//! [`DecodeFailure`]). chardetng is consulted only to word the error when decoding fails.

use std::fmt;
use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};
use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Error, Stage};

/// Characters of three or four bytes that make text decoded as UTF-8 before a bad byte count
/// as UTF-8 (the error names the byte) rather than as GBK that happened to decode (read again
/// as GB18030).
const UTF8_EVIDENCE: usize = 2;

/// How many leading bytes are inspected to choose an encoding.
pub const PREFIX_LEN: usize = 1 << 20;

const CHUNK: usize = 1 << 16;

/// An encoding forced with `--encoding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForcedEncoding {
    /// `utf8`, `utf-8`.
    Utf8,
    /// `gbk`, `gb18030` (GB18030 decodes GBK too).
    Gb18030,
    /// UTF-16, endianness from the BOM (little-endian without one).
    Utf16,
    /// `utf-16le`: UTF-16 little-endian.
    Utf16Le,
    /// `utf-16be`: UTF-16 big-endian.
    Utf16Be,
}

/// Parses an `--encoding` value (case-insensitive).
pub fn parse_encoding(name: &str) -> Result<ForcedEncoding, Error> {
    let n = name.trim().to_ascii_lowercase();
    Ok(match n.as_str() {
        "utf8" | "utf-8" => ForcedEncoding::Utf8,
        // GB2312 is a subset of GBK, GBK of GB18030: one decoder reads all three.
        "gbk" | "gb18030" | "gb2312" | "cp936" => ForcedEncoding::Gb18030,
        "utf16" | "utf-16" => ForcedEncoding::Utf16,
        "utf-16le" | "utf16le" => ForcedEncoding::Utf16Le,
        "utf-16be" | "utf16be" => ForcedEncoding::Utf16Be,
        _ => {
            return Err(Error::one(
                Diagnostic::new(
                    Stage::Usage,
                    format!("unknown --encoding '{}'", crate::diag::truncate(name, 200)),
                )
                .with_help("use one of utf8, gbk, gb18030, utf16, utf-16le, utf-16be"),
            ));
        }
    })
}

/// The encoding chosen for one file.
#[derive(Debug, Clone, Copy)]
pub struct Choice {
    /// The encoding to decode with.
    pub encoding: &'static Encoding,
    /// UTF-8 guessed (no BOM, nothing forced): may still fall back to GB18030.
    pub guessed_utf8: bool,
    /// UTF-8 chosen for a prefix that is UTF-8 text apart from a few bad bytes: decoding
    /// will fail at the first of them, and the error says so.
    pub mostly_utf8: bool,
}

impl Choice {
    /// The name recorded in the audit: "utf-8", "gb18030", "utf-16le", "utf-16be".
    pub fn name(&self) -> String {
        self.encoding.name().to_ascii_lowercase()
    }
}

/// Why an encoding that failed cannot be the file's, when the file says which it is: UTF-8
/// text with Chinese in it read as anything else. Only a named encoding (`--encoding`)
/// meets it: detection follows the text (a byte-order mark against `--encoding` is refused
/// before decoding, in the CSV reader).
fn named_against_the_file(choice: Choice, prefix: &[u8]) -> Option<String> {
    if choice.encoding != UTF_8 && utf8_read_as_gbk(prefix, false).is_some() {
        return Some(
            "the file reads as UTF-8 (with Chinese text): leave out --encoding, or give --encoding utf8"
                .to_string(),
        );
    }
    // `--encoding utf8` on a GBK file (without a byte-order mark: that case has its own
    // help), which detection would have read.
    (choice.encoding == UTF_8
        && !choice.guessed_utf8
        && !prefix.starts_with(b"\xEF\xBB\xBF")
        && gbk_but_at(prefix, prefix.len() as u64))
    .then(|| {
        "the file reads as GBK (with Chinese text): leave out --encoding (GBK is detected), or \
         give --encoding gbk"
            .to_string()
    })
}

/// The first bytes of a file as UTF-8 text, less a character cut by the end of the prefix
/// (`at_eof`: the prefix is the whole file); `None` when they are not UTF-8.
pub(super) fn utf8_text(prefix: &[u8], at_eof: bool) -> Option<&str> {
    match std::str::from_utf8(prefix) {
        Ok(t) => Some(t),
        Err(e) if e.error_len().is_none() && !at_eof => {
            std::str::from_utf8(&prefix[..e.valid_up_to()]).ok()
        }
        Err(_) => None,
    }
}

/// When the first bytes of a file are UTF-8 text with Chinese in it (at least four
/// characters of three bytes), its first run of such text as written and as GBK (GB18030)
/// decodes it: what `--encoding gbk` on a UTF-8 file turns 中文 into (涓枃), for a warning.
/// Text in GBK is seldom valid UTF-8 with that many three-byte characters.
pub fn utf8_read_as_gbk(prefix: &[u8], at_eof: bool) -> Option<(String, String)> {
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let text = utf8_text(prefix, at_eof)?;
    if text.chars().filter(|c| c.len_utf8() == 3).count() < 4 {
        return None;
    }
    let start = text.find(|c: char| c.len_utf8() == 3)?;
    let run: String = text[start..]
        .chars()
        .take_while(|c| c.len_utf8() > 1)
        .take(8)
        .collect();
    let gbk = GB18030.decode(run.as_bytes()).0.into_owned();
    Some((run, gbk))
}

/// When the first bytes of a file are UTF-8 whose text, each character written back as the
/// one byte Latin-1 or windows-1252 gives it, is UTF-8 with Chinese in it (at least four
/// CJK characters): UTF-8 read once as Latin-1 (or windows-1252) and saved again
/// as UTF-8, 是 become `æ\u{98}¯`. Its first run of such text as written and as meant, and
/// the line it is on. Text with Chinese in it is not (its first Chinese character has no
/// such byte), nor text whose double encoding garbled only quotes and dashes (`â€™`).
pub fn double_encoded_utf8(prefix: &[u8], at_eof: bool) -> Option<(String, String, usize)> {
    let prefix = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(prefix);
    let text = utf8_text(prefix, at_eof)?;
    if text.is_ascii() {
        return None;
    }
    // The byte each character came from: U+0000–U+00FF as in Latin-1, and windows-1252's
    // own characters for 0x80–0x9F (€, ‘, ˜, …). The five bytes windows-1252 leaves
    // undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) come out of a strict converter as U+FFFD:
    // taken as a continuation byte, `UNKNOWN`, whose character cannot be told.
    const UNKNOWN: u8 = 0x80;
    let byte_of = |c: char| -> Option<u8> {
        if let Ok(b) = u8::try_from(u32::from(c)) {
            return Some(b);
        }
        if c == '\u{FFFD}' {
            return Some(UNKNOWN);
        }
        let mut buf = [0u8; 4];
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
        (!unmappable && bytes.len() == 1).then(|| bytes[0])
    };
    // Chinese text in UTF-8 (the usual file) is told by its first non-ASCII character,
    // before the whole prefix is copied.
    byte_of(text.chars().find(|c| !c.is_ascii())?)?;
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        bytes.push(byte_of(c)?);
    }
    // (The prefix may end inside one of the meant characters.)
    let meant = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    // Chinese (CJK characters, full-width forms), not a few curly quotes (`â€™` for `’`).
    let chinese = |c: &char| matches!(*c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}');
    if meant.chars().filter(chinese).count() < 4 {
        return None;
    }
    let start = text.find(|c: char| !c.is_ascii())?;
    let run: String = text[start..]
        .chars()
        .take_while(|c| !c.is_ascii())
        .take(12)
        .collect();
    // As meant, with `?` for a character one of whose bytes is unknown.
    let mut run_bytes = Vec::new();
    let mut unknown = Vec::new();
    for c in run.chars() {
        run_bytes.push(byte_of(c)?);
        unknown.push(c == '\u{FFFD}');
    }
    // (The run may end inside a meant character: cut before it.)
    let whole = match std::str::from_utf8(&run_bytes) {
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        _ => run_bytes.len(),
    };
    run_bytes.truncate(whole);
    unknown.truncate(whole);
    let run: String = run.chars().take(whole).collect();
    let meant_run = String::from_utf8_lossy(&run_bytes);
    let meant_run = if unknown.contains(&true) && !meant_run.contains('\u{FFFD}') {
        (meant_run.char_indices())
            .map(|(i, c)| {
                if unknown[i..i + c.len_utf8()].contains(&true) {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    } else {
        meant_run.into_owned()
    };
    let line = 1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..start]).count();
    Some((run, meant_run, line))
}

/// When the first bytes of a file are valid UTF-8 whose non-ASCII text is only two-byte
/// characters (Hebrew, Cyrillic: no Chinese, no accented Latin letter) and the same bytes read as
/// Chinese in GBK, its first run of such text as written and as GBK: a short GBK file whose
/// Chinese happens to be valid UTF-8 (`专业` is `ר` and `ҵ`), for a warning.
pub fn gbk_read_as_utf8(prefix: &[u8], at_eof: bool) -> Option<(String, String)> {
    let text = utf8_text(prefix, at_eof)?;
    // Accented Latin letters (U+0080–U+00FF: `Café`, `Grüße`) are UTF-8 written on purpose.
    if text
        .chars()
        .any(|c| c.len_utf8() > 2 || ('\u{80}'..='\u{ff}').contains(&c))
    {
        return None;
    }
    let start = text.find(|c: char| c.len_utf8() == 2)?;
    let run: String = text[start..]
        .chars()
        .take_while(|c| c.len_utf8() == 2)
        .take(8)
        .collect();
    // Each two-byte character is one GBK character: common Chinese (GB2312, both bytes from
    // A1) has its second byte from A1, which most Cyrillic or Hebrew words fail somewhere
    // (`М` is D0 9C).
    if run.chars().count() < 2 || run.as_bytes().chunks(2).any(|p| p[1] < 0xA1) {
        return None;
    }
    let (gbk, _, bad) = GB18030.decode(run.as_bytes());
    let chinese = gbk
        .chars()
        .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || "，。、：；（）“”".contains(c));
    let gbk = gbk.into_owned();
    (!bad && chinese).then_some((run, gbk))
}

#[cfg(test)]
mod gbk_read_as_utf8_tests {
    use super::*;

    #[test]
    fn gbk_chinese_that_is_valid_utf8_is_told_from_accented_latin_and_cyrillic() {
        let gbk = GB18030.encode("id,name\nA,专业\n").0.into_owned();
        assert_eq!(
            gbk_read_as_utf8(&gbk, true),
            Some(("רҵ".to_string(), "专业".to_string()))
        );
        for utf8 in [
            "id,name\nA,Café\nB,Grüße\n",
            "id,name\nA,Москва\n",
            "id\nA\n",
            "id,name\nA,中文\n",
        ] {
            // (Cyrillic words in UTF-8 do not read as Chinese in GBK: some byte pair fails.)
            let got = gbk_read_as_utf8(utf8.as_bytes(), true);
            assert!(got.is_none(), "{utf8}: {got:?}");
        }
    }
}

/// Chooses the encoding of a file from its first bytes (`at_eof`: the prefix is the whole file).
pub fn choose(prefix: &[u8], forced: Option<ForcedEncoding>, at_eof: bool) -> Choice {
    let fixed = |encoding| Choice {
        encoding,
        guessed_utf8: false,
        mostly_utf8: false,
    };
    match forced {
        Some(ForcedEncoding::Utf8) => fixed(UTF_8),
        Some(ForcedEncoding::Gb18030) => fixed(GB18030),
        Some(ForcedEncoding::Utf16Le) => fixed(UTF_16LE),
        Some(ForcedEncoding::Utf16Be) => fixed(UTF_16BE),
        Some(ForcedEncoding::Utf16) => match Encoding::for_bom(prefix) {
            Some((e, _)) if e == UTF_16BE => fixed(UTF_16BE),
            _ => fixed(UTF_16LE),
        },
        None => {
            if let Some((e, _)) = Encoding::for_bom(prefix) {
                return fixed(e);
            }
            let utf8 = match std::str::from_utf8(prefix) {
                Ok(_) => true,
                // A multi-byte sequence cut by the end of the prefix.
                Err(e) => e.error_len().is_none() && !at_eof,
            };
            if utf8 {
                Choice {
                    encoding: UTF_8,
                    guessed_utf8: true,
                    mostly_utf8: false,
                }
            } else if mostly_utf8(prefix) {
                Choice {
                    encoding: UTF_8,
                    guessed_utf8: false,
                    mostly_utf8: true,
                }
            } else {
                fixed(GB18030)
            }
        }
    }
}

/// Whether text that is not valid UTF-8 is still UTF-8 text with a few bad bytes (a word
/// pasted from a Latin-1 file into a UTF-8 one): at least 4 valid sequences of three or four
/// bytes (Chinese in UTF-8) and at most one bad byte sequence per 4 of them. GBK text read
/// as UTF-8 seldom forms a valid three-byte sequence (the GBK fixture: 8 of them against
/// 1,622 bad sequences), so it stays far below; two-byte sequences are not counted, as GBK
/// forms those often (`联通`). Plain ASCII with one Latin-1 byte has no evidence either way
/// and stays with GB18030, as before.
fn mostly_utf8(prefix: &[u8]) -> bool {
    let long = |s: &str| s.chars().filter(|c| c.len_utf8() >= 3).count();
    let (mut valid, mut bad) = (0usize, 0usize);
    let mut rest = prefix;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += long(s);
                break;
            }
            Err(e) => {
                let (good, after) = rest.split_at(e.valid_up_to());
                valid += long(std::str::from_utf8(good).expect("valid up to here"));
                match e.error_len() {
                    Some(n) => {
                        bad += 1;
                        rest = &after[n..];
                    }
                    // Cut by the end of the prefix.
                    None => break,
                }
            }
        }
    }
    valid >= 4 && bad * 4 <= valid
}

/// Why decoding stopped; carried inside an `io::Error` through the CSV reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeFailure {
    /// What stopped it.
    pub kind: FailureKind,
    /// Byte offset in the raw file (approximate: the start of the chunk for NUL bytes).
    pub offset: u64,
    /// Whether the text decoded before the failure holds UTF-8 evidence: at least
    /// `UTF8_EVIDENCE` characters of three or four bytes (Chinese in UTF-8; GBK read as
    /// UTF-8 seldom forms them, while its pairs often form valid two-byte sequences).
    pub utf8_evidence: bool,
    /// Whether the bad bytes are the file's last: a character cut at the end (a file cut
    /// short), not a wrong byte inside the text.
    pub at_end: bool,
}

/// What stopped decoding, in a [`DecodeFailure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Bytes that are not valid in the encoding.
    Malformed,
    /// A NUL character: binary data (or UTF-16 without a BOM).
    Nul,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FailureKind::Malformed => write!(f, "invalid bytes near byte {}", self.offset),
            FailureKind::Nul => write!(f, "NUL bytes near byte {}", self.offset),
        }
    }
}

impl std::error::Error for DecodeFailure {}

/// The [`DecodeFailure`] inside an I/O error, if that is what it is.
pub fn failure_of(e: &io::Error) -> Option<DecodeFailure> {
    e.get_ref()?.downcast_ref::<DecodeFailure>().copied()
}

/// Streams raw bytes through an encoding_rs decoder, yielding UTF-8; hashes the raw bytes.
/// Malformed input and NUL characters end the stream with an error carrying a
/// [`DecodeFailure`].
///
/// Line breaks are normalised for the CSV parser and for row counting: `\r\n` becomes `\n`,
/// a lone `\r` too in a file whose lines end that way (old Mac files), and a final `\n` is
/// added when the text does not end with one, so every record ends with exactly one `\n`.
/// A lone `\r` in a file with `\n` or `\r\n` line ends is text (see
/// `normalise_line_breaks`).
pub struct DecodingReader<R: Read> {
    inner: R,
    decoder: encoding_rs::Decoder,
    /// `None` when no digest is wanted ([`DecodingReader::without_digest`]).
    hasher: Option<Sha256>,
    raw: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    offset: u64,
    finished: bool,
    failed: Option<DecodeFailure>,
    /// Characters of three or four bytes decoded so far (counted up to [`UTF8_EVIDENCE`]).
    long_chars: usize,
    /// Whether any non-ASCII text was decoded so far.
    saw_non_ascii: bool,
    /// The last byte of the previous chunk was a `\r`, not yet written.
    pending_cr: bool,
    /// Whether lines end with a lone `\r`, from the first line break (`None` before it).
    cr_lines: Option<bool>,
    last_out: Option<u8>,
    /// The text ended without a line end (one was added to end its last line).
    unterminated: bool,
}

impl<R: Read> DecodingReader<R> {
    /// A reader decoding `inner` with `encoding` (a BOM is removed).
    pub fn new(inner: R, encoding: &'static Encoding) -> Self {
        DecodingReader {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            hasher: Some(Sha256::new()),
            raw: vec![0; CHUNK],
            out: Vec::new(),
            out_pos: 0,
            out_len: 0,
            offset: 0,
            finished: false,
            failed: None,
            long_chars: 0,
            saw_non_ascii: false,
            pending_cr: false,
            cr_lines: None,
            last_out: None,
            unterminated: false,
        }
    }

    /// The same reader computing no SHA-256 ([`DecodingReader::sha256_hex`] is then empty).
    pub fn without_digest(mut self) -> Self {
        self.hasher = None;
        self
    }

    /// Whether the text, read to its end, ended without a line end (its last line was cut
    /// short, or saved so).
    pub fn ended_without_line_end(&self) -> bool {
        self.finished && self.unterminated
    }

    /// Lowercase hex SHA-256 of the raw bytes read so far (all of them once at end of file);
    /// empty for a reader made [`DecodingReader::without_digest`].
    pub fn sha256_hex(&self) -> String {
        self.hasher
            .as_ref()
            .map_or_else(String::new, |h| hex(&h.clone().finalize()))
    }

    /// `isolated`: the bad byte stands alone among ASCII bytes (a Latin-1 `é` or a
    /// Windows-1252 dash pasted into UTF-8 text), unlike GBK, whose characters are pairs of
    /// high bytes.
    fn fail(&mut self, kind: FailureKind, offset: u64, isolated: bool, at_end: bool) -> io::Error {
        let f = DecodeFailure {
            kind,
            offset,
            utf8_evidence: self.long_chars >= UTF8_EVIDENCE || (self.saw_non_ascii && isolated),
            at_end,
        };
        self.failed = Some(f);
        io::Error::new(io::ErrorKind::InvalidData, f)
    }

    /// Adds the characters of three or four bytes in `out[..out_len]` (the text decoded from
    /// the current chunk so far) to `long_chars`, until there is evidence enough.
    fn count_long_chars(&mut self) {
        if self.long_chars < UTF8_EVIDENCE {
            // Lead bytes of three- and four-byte sequences in valid UTF-8.
            let text = &self.out[..self.out_len];
            self.long_chars += text.iter().filter(|&&b| b >= 0xE0).count();
            self.saw_non_ascii |= !text.is_ascii();
        }
    }

    /// Decodes the next chunk into `out`. Leaves `out_len == 0` only at the end.
    fn fill(&mut self) -> io::Result<()> {
        self.out_pos = 0;
        self.out_len = 0;
        while self.out_len == 0 && !self.finished {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            let last = n == 0;
            if let Some(h) = &mut self.hasher {
                h.update(&self.raw[..n]);
            }
            let need = self
                .decoder
                .max_utf8_buffer_length_without_replacement(n)
                .unwrap_or(n.saturating_mul(3) + 16);
            if self.out.len() < need {
                self.out.resize(need, 0);
            }
            let mut consumed = 0;
            loop {
                let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(
                    &self.raw[consumed..n],
                    &mut self.out[self.out_len..],
                    last,
                );
                consumed += read;
                self.out_len += written;
                match res {
                    DecoderResult::InputEmpty => break,
                    DecoderResult::OutputFull => {
                        let grow = self.out.len().max(64);
                        self.out.resize(self.out.len() + grow, 0);
                    }
                    DecoderResult::Malformed(len, extra) => {
                        // What this chunk decoded before the bad byte counts as evidence
                        // too, wherever the chunk boundaries fall.
                        self.count_long_chars();
                        // The offset of the first bad byte.
                        let start = consumed.saturating_sub(usize::from(len) + usize::from(extra));
                        let at = self.offset + start as u64;
                        // (At the chunk's end the next byte is unknown: taken as isolated,
                        // so that the error is reported rather than the text re-read.)
                        let isolated = self.raw[..n].get(start + 1).is_none_or(|b| b.is_ascii());
                        // (The last call has no bytes: what it reports is a character
                        // the file ended inside.)
                        return Err(self.fail(FailureKind::Malformed, at, isolated, last));
                    }
                }
            }
            let decoded = &self.out[..self.out_len];
            if let Some(p) = memchr::memchr(0, decoded) {
                // Offset of the NUL in the raw file: exact for UTF-8 (counting the byte-order
                // mark the decoder removed from the first chunk), close otherwise.
                let bom = if self.offset == 0
                    && self.decoder.encoding() == UTF_8
                    && self.raw[..n].starts_with(b"\xEF\xBB\xBF")
                {
                    3
                } else {
                    0
                };
                let at = self.offset + bom + p as u64;
                return Err(self.fail(FailureKind::Nul, at, false, false));
            }
            self.count_long_chars();
            self.normalise_line_breaks();
            self.offset += n as u64;
            self.finished = last;
            if last && (self.pending_cr || self.last_out.is_some_and(|b| b != b'\n')) {
                // (A `\r` that ends the file ends its last line.)
                self.unterminated = !self.pending_cr;
                self.pending_cr = false;
                if self.out.len() <= self.out_len {
                    self.out.push(0);
                }
                self.out[self.out_len] = b'\n';
                self.out_len += 1;
                self.last_out = Some(b'\n');
            }
        }
        Ok(())
    }

    /// What a lone `\r` becomes: a line break if it is the file's first line break, or the
    /// file's lines end that way; otherwise itself.
    fn lone_cr(&mut self) -> u8 {
        if *self.cr_lines.get_or_insert(true) {
            b'\n'
        } else {
            b'\r'
        }
    }

    /// Rewrites `out[..out_len]` in place: `\r\n` → `\n` (also across chunks), and a lone
    /// `\r` → `\n` in a file whose first line break is a lone `\r` (an old Mac file). In a
    /// file whose lines end with `\n` or `\r\n`, a lone `\r` is text, kept as written (a
    /// carriage return typed into a quoted cell). A `\r` at the end of a chunk waits for the
    /// next byte (`pending_cr`).
    fn normalise_line_breaks(&mut self) {
        let len = self.out_len;
        if len == 0 {
            return;
        }
        if !self.pending_cr && memchr::memchr(b'\r', &self.out[..len]).is_none() {
            if self.cr_lines.is_none() && memchr::memchr(b'\n', &self.out[..len]).is_some() {
                self.cr_lines = Some(false);
            }
        } else {
            let (mut r, mut w) = (0, 0);
            if self.pending_cr {
                self.pending_cr = false;
                if self.out[0] == b'\n' {
                    // The `\n` of a `\r\n` cut between two chunks.
                    self.cr_lines.get_or_insert(false);
                } else {
                    let lone = self.lone_cr();
                    self.out.insert(0, lone);
                    self.out_len += 1;
                }
                (r, w) = (1, 1);
            }
            let len = self.out_len;
            // The text between one `\r` and the next is moved down as a block (a Windows
            // export has a `\r` on every line: a byte-at-a-time loop was a tenth of reading
            // it).
            while r < len {
                let cr = memchr::memchr(b'\r', &self.out[r..len]).map_or(len, |i| r + i);
                if self.cr_lines.is_none() && memchr::memchr(b'\n', &self.out[r..cr]).is_some() {
                    self.cr_lines = Some(false);
                }
                self.out.copy_within(r..cr, w);
                w += cr - r;
                r = cr;
                if r == len {
                    break;
                }
                // At a `\r`.
                r += 1;
                if r == len {
                    self.pending_cr = true;
                } else if self.out[r] == b'\n' {
                    self.cr_lines.get_or_insert(false);
                    self.out[w] = b'\n';
                    w += 1;
                    r += 1;
                } else {
                    let lone = self.lone_cr();
                    self.out[w] = lone;
                    w += 1;
                }
            }
            self.out_len = w;
        }
        if self.out_len > 0 {
            self.last_out = Some(self.out[self.out_len - 1]);
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(f) = self.failed {
            return Err(io::Error::new(io::ErrorKind::InvalidData, f));
        }
        if self.out_pos == self.out_len {
            if self.finished {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = (self.out_len - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Lowercase hexadecimal (sha2 0.11 output has no `LowerHex`).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Where a file read as GB18030 stops being UTF-8, when it is one with rows in another
/// encoding: GB18030 failed inside a stretch of valid UTF-8 holding Chinese (characters of
/// three bytes), and UTF-8 fails further on, within the prefix. That byte, not GB18030's,
/// is the place to show.
pub fn mixed_utf8_offset(choice: Choice, failure: DecodeFailure, prefix: &[u8]) -> Option<u64> {
    if choice.encoding != GB18030 || failure.kind != FailureKind::Malformed {
        return None;
    }
    let valid = match std::str::from_utf8(prefix) {
        Ok(_) => return None,
        Err(e) if e.error_len().is_some() => e.valid_up_to(),
        Err(_) => return None,
    };
    let text = std::str::from_utf8(&prefix[..valid]).ok()?;
    let chinese = text.chars().any(|c| c.len_utf8() == 3);
    (chinese && failure.offset <= valid as u64).then_some(valid as u64)
}

/// "UTF-16LE" or "UTF-16BE" when the file is read in the UTF-16 its byte-order mark names.
fn utf16_by_its_mark(choice: Choice, prefix: &[u8]) -> Option<&'static str> {
    match Encoding::for_bom(prefix) {
        Some((e, _)) if e == choice.encoding && e == UTF_16LE => Some("UTF-16LE"),
        Some((e, _)) if e == choice.encoding && e == UTF_16BE => Some("UTF-16BE"),
        _ => None,
    }
}

/// For text in UTF-16 or UTF-32 without a byte-order mark (zero bytes in a fixed place of
/// every 2 or 4, as ASCII and most CJK text in those encodings has): what it looks like and
/// how to read it. A byte detector cannot tell, and guessed a legacy code page.
fn wide_text_help(prefix: &[u8]) -> Option<String> {
    let sample = &prefix[..prefix.len().min(4096)];
    if sample.len() < 16 {
        return None;
    }
    let zero_share = |step: usize, at: usize| {
        let (mut zeros, mut all) = (0usize, 0usize);
        for b in sample.iter().skip(at).step_by(step) {
            all += 1;
            zeros += usize::from(*b == 0);
        }
        zeros as f64 / all.max(1) as f64
    };
    // UTF-32: the two high bytes of every four are zero below U+10000 (LE: the last two;
    // BE: the first two), where UTF-16 has zeros in every other byte only.
    if (zero_share(4, 2) > 0.9 && zero_share(4, 3) > 0.9)
        || (zero_share(4, 0) > 0.9 && zero_share(4, 1) > 0.9)
    {
        return Some(
            "it looks like UTF-32 text, which is not supported: save it as UTF-8 (or GBK)".into(),
        );
    }
    let (even, odd) = (zero_share(2, 0), zero_share(2, 1));
    let name = if odd > 0.3 && even < 0.05 {
        "utf-16le"
    } else if even > 0.3 && odd < 0.05 {
        "utf-16be"
    } else {
        return None;
    };
    Some(format!(
        "it looks like {} text without a byte-order mark: name the encoding with --encoding {name}",
        name.to_uppercase()
    ))
}

/// Whether `prefix` is a UTF-8 byte-order mark followed by text that is not UTF-8 but reads
/// as GBK (GB18030) without a single invalid byte, with some non-ASCII text in it.
pub fn gbk_behind_utf8_bom(prefix: &[u8]) -> bool {
    let Some(rest) = prefix.strip_prefix(b"\xEF\xBB\xBF") else {
        return false;
    };
    // (The prefix may end inside a character: judged up to its last line feed.)
    let rest = match rest.iter().rposition(|&b| b == b'\n') {
        Some(i) if i + 1 < rest.len() => &rest[..=i],
        _ => rest,
    };
    std::str::from_utf8(rest).is_err()
        && !rest.is_ascii()
        && encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(rest)
            .is_some()
}

/// Whether `prefix` (the file's first bytes) reads as GB18030 text with Chinese in it once
/// the byte at `offset` is left out: a GBK file with one bad byte, or cut inside its last
/// character. Chinese means common characters (GB2312's, both bytes from 0xA1), nearly all
/// of its two-byte characters: an accented Latin letter followed by a letter (`é` `t` in
/// windows-1252) is a valid GBK pair too, but not such a one.
fn gbk_but_at(prefix: &[u8], offset: u64) -> bool {
    let at = usize::try_from(offset).map_or(prefix.len(), |a| a.min(prefix.len()));
    let mut rest = prefix[..at].to_vec();
    rest.extend_from_slice(prefix.get(at + 1..).unwrap_or_default());
    // (The prefix, or the file, may end inside a character: judged up to its last line
    // feed.)
    if let Some(i) = rest.iter().rposition(|&b| b == b'\n') {
        rest.truncate(i + 1);
    }
    if GB18030
        .decode_without_bom_handling_and_without_replacement(&rest)
        .is_none()
    {
        return false;
    }
    // Two-byte characters, and those with both bytes from 0xA1 (four-byte ones skipped).
    let (mut pairs, mut common) = (0usize, 0usize);
    let mut i = 0;
    while i < rest.len() {
        let b = rest[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        match rest.get(i + 1) {
            Some(&t) if (0x30..=0x39).contains(&t) => i += 4,
            Some(&t) => {
                pairs += 1;
                common += usize::from(b >= 0xA1 && t >= 0xA1);
                i += 2;
            }
            None => break,
        }
    }
    common >= 4 && common * 10 >= pairs * 9
}

/// The diagnostic for a file that could not be decoded.
pub fn failure_diagnostic(
    path: &str,
    choice: Choice,
    failure: DecodeFailure,
    prefix: &[u8],
) -> Diagnostic {
    let encoding_name = &choice.name();
    let invalid_bytes = || {
        Diagnostic::new(
            Stage::Data,
            format!(
                "cannot decode '{path}' as {encoding_name}: invalid bytes near byte {}",
                failure.offset
            ),
        )
    };
    match failure.kind {
        // A UTF-8 byte-order mark in front of GBK text (a tool that adds the mark to any
        // file it saves): the mark says UTF-8, the text says otherwise.
        FailureKind::Malformed if choice.encoding == UTF_8 && gbk_behind_utf8_bom(prefix) => {
            invalid_bytes().with_help(
                "the file starts with a UTF-8 byte-order mark, but the text after it is GBK \
                 (a tool added the mark to a GBK file): read it with --encoding gbk (the mark \
                 is then skipped), or save the file again as UTF-8",
            )
        }
        // UTF-16 read as its byte-order mark says: the encoding is known, the text is
        // damaged (guessing another encoding, or the other byte order, would send the user
        // in a circle).
        FailureKind::Nul if let Some(bom) = utf16_by_its_mark(choice, prefix) => Diagnostic::new(
            Stage::Data,
            format!(
                "'{path}' holds a NUL character (U+0000) near byte {}: it is no text",
                failure.offset
            ),
        )
        .with_help(format!(
            "the file is {bom} (its byte-order mark says so) and is read so; delete the NUL \
             character, or export the file again (or save it as UTF-8)"
        )),
        FailureKind::Malformed if let Some(bom) = utf16_by_its_mark(choice, prefix) => {
            Diagnostic::new(
                Stage::Data,
                if failure.at_end {
                    format!(
                        "cannot decode '{path}' as {encoding_name}: the file ends inside a \
                         character (near byte {}): was it cut short?",
                        failure.offset
                    )
                } else {
                    format!(
                        "cannot decode '{path}' as {encoding_name}: the text is damaged near byte \
                         {} (a byte missing or extra, or half of a character)",
                        failure.offset
                    )
                },
            )
            .with_help(format!(
                "the file is {bom} (its byte-order mark says so) and is read so: copy or \
                 export the file again whole (or save it as UTF-8)"
            ))
        }
        FailureKind::Nul => Diagnostic::new(
            Stage::Data,
            format!(
                "'{path}' contains NUL bytes (near byte {}): it does not look like delimited text",
                failure.offset
            ),
        )
        .with_help(wide_text_help(prefix).unwrap_or_else(|| {
            "if it is UTF-16 text without a byte-order mark, name the encoding with \
             --encoding utf-16le (or utf-16be); an Excel workbook needs the .xlsx extension"
                .to_string()
        })),
        // An encoding named with --encoding against what the file says of itself, or text
        // that looks like UTF-16 without its byte-order mark.
        FailureKind::Malformed
            if let Some(help) =
                named_against_the_file(choice, prefix).or_else(|| wide_text_help(prefix)) =>
        {
            invalid_bytes().with_help(help)
        }
        FailureKind::Malformed
            if choice.encoding == UTF_8 && (choice.mostly_utf8 || failure.utf8_evidence) =>
        {
            // UTF-8 text (Chinese in UTF-8 before or around it) with a byte that is not:
            // another encoding's guess would only mislead.
            Diagnostic::new(
                Stage::Data,
                format!(
                    "cannot decode '{path}' as utf-8: a byte that is not UTF-8 near byte {} \
                     (the rest of the text is UTF-8)",
                    failure.offset
                ),
            )
            .with_help(
                "correct the text at this place (a character pasted from a file in another \
                 encoding, such as Latin-1 `é`), or, if the whole file is in another encoding, \
                 name it with --encoding gbk|gb18030|utf-16le|utf-16be",
            )
        }
        FailureKind::Malformed if let Some(at) = mixed_utf8_offset(choice, failure, prefix) => {
            Diagnostic::new(
                Stage::Data,
                format!(
                    "cannot decode '{path}': it mixes encodings, its text is UTF-8 (with Chinese) \
                     up to byte {at}, where bytes that are not UTF-8 begin (text saved in GBK?)"
                ),
            )
            .with_help(
                "save the whole file in one encoding (UTF-8), for example by re-typing or \
                 re-pasting the rows from this one on",
            )
        }
        // GBK text (Chinese decoded before the place) cut inside its last character, or with
        // one byte that is not GBK: a byte detector's guess of the whole file would mislead.
        FailureKind::Malformed
            if choice.encoding == GB18030
                && failure.at_end
                && gbk_but_at(prefix, failure.offset) =>
        {
            Diagnostic::new(
                Stage::Data,
                format!(
                    "cannot decode '{path}' as {encoding_name}: the file ends inside a character \
                     (near byte {}): was it cut short?",
                    failure.offset
                ),
            )
            .with_help("copy or export the file again whole; or delete its last, incomplete row")
        }
        FailureKind::Malformed
            if choice.encoding == GB18030 && gbk_but_at(prefix, failure.offset) =>
        {
            Diagnostic::new(
                Stage::Data,
                format!(
                    "cannot decode '{path}' as {encoding_name}: a byte that is not GBK near byte \
                     {} (the rest of the text is GBK)",
                    failure.offset
                ),
            )
            .with_help(
                "correct the text at this place (a character pasted from a file in another \
                 encoding), or, if the whole file is in another encoding, name it with \
                 --encoding utf8|utf-16le|utf-16be",
            )
        }
        FailureKind::Malformed => {
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            det.feed(&prefix[..prefix.len().min(PREFIX_LEN)], true);
            let guess = det.guess(None, chardetng::Utf8Detection::Allow);
            let mut help = String::from(
                "save the file as UTF-8 (or GBK), or name its encoding with \
                 --encoding utf8|gbk|gb18030|utf-16le|utf-16be",
            );
            // (A UTF-16 file has a byte-order mark: a byte detector's guess says nothing.)
            if guess != GB18030
                && guess != encoding_rs::GBK
                && guess != UTF_8
                && guess.name() != encoding_name
                && !encoding_name.starts_with("utf-16")
            {
                help.push_str(&format!(
                    "; its bytes look like {}, which is not supported",
                    guess.name()
                ));
            }
            invalid_bytes().with_help(help)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_text_without_a_byte_order_mark_is_named() {
        let text = "code,name\nA,甲\nB,乙\nC,丙\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        let le32: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert!(wide_text_help(&le).unwrap().contains("--encoding utf-16le"));
        assert!(wide_text_help(&be).unwrap().contains("--encoding utf-16be"));
        assert!(wide_text_help(&le32).unwrap().contains("UTF-32"));
        assert_eq!(wide_text_help(text.as_bytes()), None);
        let gbk = encoding_rs::GBK.encode(text).0;
        assert_eq!(wide_text_help(&gbk), None);
    }

    fn decode_all(bytes: &[u8], enc: &'static Encoding) -> io::Result<String> {
        let mut r = DecodingReader::new(bytes, enc);
        let mut s = String::new();
        r.read_to_string(&mut s)?;
        Ok(s)
    }

    #[test]
    fn choose_by_bom_utf8_and_fallback() {
        assert_eq!(choose(b"\xEF\xBB\xBFa,b", None, true).encoding, UTF_8);
        assert_eq!(choose(b"\xFF\xFEa\0", None, true).encoding, UTF_16LE);
        assert_eq!(choose(b"\xFE\xFF\0a", None, true).encoding, UTF_16BE);
        let c = choose("a,销售".as_bytes(), None, true);
        assert!(c.guessed_utf8 && c.encoding == UTF_8);
        let (gbk, _, _) = GB18030.encode("a,销售");
        assert_eq!(choose(&gbk, None, true).encoding, GB18030);
        // A UTF-8 sequence cut at the end of the prefix is still UTF-8 …
        let cut = &"销".as_bytes()[..2];
        assert_eq!(choose(cut, None, false).encoding, UTF_8);
        // … unless the file ends there.
        assert_eq!(choose(cut, None, true).encoding, GB18030);
        assert_eq!(
            choose(b"a", Some(ForcedEncoding::Gb18030), true).encoding,
            GB18030
        );
        assert_eq!(
            choose(b"\xFE\xFF", Some(ForcedEncoding::Utf16), true).encoding,
            UTF_16BE
        );
    }

    #[test]
    fn utf8_with_a_stray_byte_stays_utf8_and_gbk_stays_gbk() {
        // Chinese in UTF-8 and one Latin-1 `é`: UTF-8 with a bad byte, not GB18030.
        let mut text = "code,name\n".as_bytes().to_vec();
        for _ in 0..4 {
            text.extend_from_slice("C01,产业集群\n".as_bytes());
        }
        text.extend_from_slice(b"C05,Caf\xE9s\n");
        let c = choose(&text, None, true);
        assert!(c.encoding == UTF_8 && c.mostly_utf8 && !c.guessed_utf8);
        // Too little evidence: one Chinese word, or ASCII with one Latin-1 byte.
        let mut few = "a,产业\nb,Caf".as_bytes().to_vec();
        few.extend_from_slice(b"\xE9s\n");
        assert_eq!(choose(&few, None, true).encoding, GB18030);
        assert_eq!(choose(b"a,b\nCaf\xE9s,1\n", None, true).encoding, GB18030);
        // GBK text, however long, is not taken for UTF-8.
        let gbk = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/liaocheng-2023-gbk.csv"),
        )
        .unwrap();
        assert_eq!(choose(&gbk, None, true).encoding, GB18030);
        let many = "名称,销售收入,联通,产业集群\n".repeat(200);
        let (gbk, _, _) = GB18030.encode(&many);
        assert_eq!(choose(&gbk, None, true).encoding, GB18030);
        // The decoding error points at the bad byte, and does not guess a third encoding.
        let e = decode_all(&text, UTF_8).unwrap_err();
        let f = failure_of(&e).unwrap();
        assert_eq!(f.offset as usize, text.len() - 3);
        let d = failure_diagnostic("t.csv", c, f, &text);
        assert!(d.message.contains("as utf-8"), "{}", d.message);
        let help = d.help.unwrap();
        assert!(help.starts_with("correct the text at this place"), "{help}");
        assert!(!help.contains("look like"), "{help}");
    }

    /// A GBK file cut inside its last character, or with one byte that is not GBK, is said
    /// to be GBK (audit38_fuzz: both were said to look like windows-1252), while text in
    /// that code page still is named so.
    #[test]
    fn gbk_cut_short_or_with_one_bad_byte_is_not_taken_for_another_encoding() {
        let text = "C01,产业集群,12\n".repeat(20) + "C99,集";
        let (gbk, _, _) = GB18030.encode(&text);
        let diagnose = |bytes: &[u8]| {
            let c = choose(bytes, None, true);
            assert_eq!(c.encoding, GB18030);
            let e = decode_all(bytes, GB18030).unwrap_err();
            failure_diagnostic("t.csv", c, failure_of(&e).unwrap(), bytes)
        };
        let cut = &gbk[..gbk.len() - 1];
        let d = diagnose(cut);
        assert!(
            d.message.contains("the file ends inside a character"),
            "{}",
            d.message
        );
        let mut stray = gbk.to_vec();
        stray.insert(40, 0x81);
        stray.insert(41, b',');
        let d = diagnose(&stray);
        assert!(
            d.message
                .contains("a byte that is not GBK near byte 40 (the rest of the text is GBK)"),
            "{}",
            d.message
        );
        assert!(!d.help.unwrap().contains("windows-1252"));
        let latin = b"code,name\nA,caf\xe9 cr\xe8me br\xfbl\xe9e\nB,na\xefve \xe0 la\nC,d\xe9j\xe0 vu\xa0\n";
        let d = diagnose(latin);
        assert!(d.help.unwrap().contains("windows-1252"));
        // An accent before a letter is a valid GBK pair: one bad spot only (`é` at the end
        // of a line), yet no Chinese.
        let (one_spot, _, _) = encoding_rs::WINDOWS_1252
            .encode("code,name\nA,Société Générale\nB,Müller Zürich Café\n");
        let d = diagnose(&one_spot);
        assert!(!d.message.contains("GBK"), "{}", d.message);
        assert!(d.help.unwrap().contains("windows-1252"));
    }

    /// UTF-8 read as Latin-1 or windows-1252 and saved again is told (with the text meant);
    /// accented Latin written on purpose, Chinese in UTF-8 and ASCII are not.
    #[test]
    fn double_encoded_utf8_is_told_from_latin_text() {
        let meant = "code,name\nA,产业集群\nB,中小企业\n";
        let latin1: String = meant.bytes().map(char::from).collect();
        let (run, back, line) = double_encoded_utf8(latin1.as_bytes(), true).unwrap();
        assert_eq!((back.as_str(), line), ("产业集群", 2));
        assert_eq!(run.chars().count(), 12);
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.decode(meant.as_bytes());
        let got = double_encoded_utf8(cp1252.as_bytes(), true).unwrap();
        assert_eq!(got.1, "产业集群");
        // (Curly quotes and dashes doubly encoded are garbled too, but no Chinese is.)
        let quotes: String = "a,b\nA,it’s “x” – y’s ‘z’\n"
            .bytes()
            .map(char::from)
            .collect();
        for fine in [
            "code,name\nA,Café Grüße Ærøskøbing Señor\n",
            meant,
            "a,b\n1,2\n",
            &quotes,
        ] {
            assert_eq!(double_encoded_utf8(fine.as_bytes(), true), None, "{fine}");
        }
    }

    #[test]
    fn parse_encoding_names() {
        assert_eq!(parse_encoding("UTF-8").unwrap(), ForcedEncoding::Utf8);
        assert_eq!(parse_encoding("gbk").unwrap(), ForcedEncoding::Gb18030);
        assert_eq!(parse_encoding("GB2312").unwrap(), ForcedEncoding::Gb18030);
        assert_eq!(parse_encoding("cp936").unwrap(), ForcedEncoding::Gb18030);
        assert_eq!(parse_encoding("utf-16LE").unwrap(), ForcedEncoding::Utf16Le);
        let e = parse_encoding("latin1").unwrap_err();
        assert_eq!(e.diagnostics[0].stage, Stage::Usage);
        assert_eq!(e.diagnostics[0].message, "unknown --encoding 'latin1'");
    }

    #[test]
    fn reader_decodes_and_hashes() {
        let (gbk, _, _) = GB18030.encode("名称,销售收入\n甲,1\n");
        let mut r = DecodingReader::new(&gbk[..], GB18030);
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "名称,销售收入\n甲,1\n");
        assert_eq!(r.sha256_hex().len(), 64);
        let empty = DecodingReader::new(&b""[..], UTF_8);
        assert_eq!(
            empty.sha256_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn reader_reports_malformed_and_nul() {
        let e = decode_all(b"ab\xFFcd", UTF_8).unwrap_err();
        let f = failure_of(&e).unwrap();
        assert_eq!(f.kind, FailureKind::Malformed);
        let e = decode_all(b"a,b\n\0\0", UTF_8).unwrap_err();
        assert_eq!(failure_of(&e).unwrap().kind, FailureKind::Nul);
        // A NUL's offset is the raw file's, the removed byte-order mark counted.
        let e = decode_all(b"a,b\nc\0", UTF_8).unwrap_err();
        assert_eq!(failure_of(&e).unwrap().offset, 5);
        let e = decode_all(b"\xEF\xBB\xBFa,b\nc\0", UTF_8).unwrap_err();
        assert_eq!(failure_of(&e).unwrap().offset, 8);
        // UTF-16LE with BOM, odd trailing byte → malformed.
        let e = decode_all(b"\xFF\xFEa\0b", UTF_16LE).unwrap_err();
        assert_eq!(failure_of(&e).unwrap().kind, FailureKind::Malformed);
        assert_eq!(decode_all(b"\xFF\xFEa\0b\0", UTF_16LE).unwrap(), "ab\n");
    }

    #[test]
    fn line_breaks_are_normalised() {
        // The first line break decides what a lone `\r` is: text after `\r\n` or `\n` …
        assert_eq!(
            decode_all(b"a\r\nb\rc\n\nd", UTF_8).unwrap(),
            "a\nb\rc\n\nd\n"
        );
        assert_eq!(
            decode_all(b"a\n\"b\rc\"\n", UTF_8).unwrap(),
            "a\n\"b\rc\"\n"
        );
        // … a line break after a lone `\r`.
        assert_eq!(decode_all(b"a\rb\r\nc\rd", UTF_8).unwrap(), "a\nb\nc\nd\n");
        assert_eq!(decode_all(b"a\r", UTF_8).unwrap(), "a\n");
        assert_eq!(decode_all(b"", UTF_8).unwrap(), "");
        assert_eq!(decode_all(b"\r\r\n", UTF_8).unwrap(), "\n\n");
        // A CRLF cut between two chunks.
        let mut text = vec![b'x'; CHUNK - 1];
        text.extend_from_slice(b"\r\ny\r\n");
        let out = decode_all(&text, UTF_8).unwrap();
        assert_eq!(&out[CHUNK - 1..], "\ny\n");
        // A lone `\r` at the end of a chunk, as text and as a line break.
        let mut text = b"h\n".to_vec();
        text.resize(CHUNK - 1, b'x');
        text.extend_from_slice(b"\ry\r\n");
        let out = decode_all(&text, UTF_8).unwrap();
        assert_eq!(&out[CHUNK - 1..], "\ry\n");
        let mut text = b"h\r".to_vec();
        text.resize(CHUNK - 1, b'x');
        text.extend_from_slice(b"\ry\r");
        let out = decode_all(&text, UTF_8).unwrap();
        assert_eq!(&out[CHUNK - 1..], "\ny\n");
    }

    /// `\r\n` and `\r` as the reader treats them, byte by byte over the whole text: the
    /// model the block-moving rewrite is checked against.
    fn line_breaks_by_model(text: &[u8]) -> Vec<u8> {
        let (mut cr_lines, mut out, mut i) = (None, Vec::new(), 0);
        while i < text.len() {
            let b = text[i];
            i += 1;
            if b != b'\r' {
                if b == b'\n' && cr_lines.is_none() {
                    cr_lines = Some(false);
                }
                out.push(b);
            } else if i == text.len() {
                // A `\r` that ends the file ends its last line.
                out.push(b'\n');
            } else if text[i] == b'\n' {
                cr_lines.get_or_insert(false);
                out.push(b'\n');
                i += 1;
            } else {
                out.push(if *cr_lines.get_or_insert(true) {
                    b'\n'
                } else {
                    b'\r'
                });
            }
        }
        if out.last().is_some_and(|&b| b != b'\n') {
            out.push(b'\n');
        }
        out
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn line_breaks_agree_with_the_byte_by_byte_model(
            body in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b',', b'\r', b'\n']), 0..200),
            // Some texts start with filler that puts `body` across a chunk boundary.
            shift in 0usize..6,
            across in proptest::bool::ANY,
        ) {
            let mut text = if across { vec![b'x'; CHUNK - shift] } else { Vec::new() };
            text.extend_from_slice(&body);
            let got = decode_all(&text, UTF_8).unwrap();
            let want = line_breaks_by_model(&text);
            proptest::prop_assert!(got.as_bytes() == want.as_slice());
        }
    }

    #[test]
    fn reader_handles_large_input_across_chunks() {
        let text = "销售,1\n".repeat(50_000);
        let (gbk, _, _) = GB18030.encode(&text);
        assert_eq!(decode_all(&gbk, GB18030).unwrap(), text);
        assert_eq!(decode_all(text.as_bytes(), UTF_8).unwrap(), text);
    }
}
