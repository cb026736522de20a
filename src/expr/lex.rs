//! Lexer: expression text → tokens with byte spans.
//!
//! Text literals are `'…'` or `"…"`; inside them a backslash escapes the quote character or
//! another backslash (`'it\'s'`), any other backslash is kept as it is. Backticked names run
//! to the next backtick and take everything in between verbatim.

use super::ExprError;
use crate::diag::Span;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Number(f64),
    Text(String),
    /// A bare identifier.
    Ident(String),
    /// A name in backticks.
    Quoted(String),
    And,
    Or,
    Not,
    True,
    False,
    Plus,
    Minus,
    Star,
    Slash,
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LParen,
    RParen,
    Comma,
    Eof,
}

impl Tok {
    /// How the token is shown in "found …" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Number(v) => format!("number {}", crate::column::format_display(*v)),
            Tok::Text(t) => format!("text '{}'", crate::diag::truncate(t, 40)),
            Tok::Ident(n) => format!("'{n}'"),
            Tok::Quoted(n) => format!("`{n}`"),
            Tok::And => "'and'".into(),
            Tok::Or => "'or'".into(),
            Tok::Not => "'not'".into(),
            Tok::True => "'true'".into(),
            Tok::False => "'false'".into(),
            Tok::Plus => "'+'".into(),
            Tok::Minus => "'-'".into(),
            Tok::Star => "'*'".into(),
            Tok::Slash => "'/'".into(),
            Tok::EqEq => "'=='".into(),
            Tok::Ne => "'!='".into(),
            Tok::Lt => "'<'".into(),
            Tok::Le => "'<='".into(),
            Tok::Gt => "'>'".into(),
            Tok::Ge => "'>='".into(),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::Comma => "','".into(),
            Tok::Eof => "the end of the expression".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Span,
    /// Written as a symbol (`!`, `&&`, `||`, `+`, …), not as a word or literal.
    pub symbol: bool,
}

impl Token {
    /// How the token is shown in messages, as written: `!`, `&&` and `||` as those symbols,
    /// not as the words `not`, `and`, `or` they mean.
    pub(crate) fn describe(&self) -> String {
        match self.tok {
            Tok::Not if self.symbol => "'!'".into(),
            Tok::And if self.symbol => "'&&'".into(),
            Tok::Or if self.symbol => "'||'".into(),
            _ => self.tok.describe(),
        }
    }
}

/// Whether `name` can be written bare in an expression (otherwise it needs backticks).
pub(crate) fn is_bare_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_continue)
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Splits `src` into tokens; the last one is always [`Tok::Eof`] (an empty span at the end).
/// More than `max_tokens` tokens (not counting `Eof`) is an error at the first one past the
/// limit, found before the rest is read.
pub(crate) fn lex(src: &str, max_tokens: usize) -> Result<Vec<Token>, ExprError> {
    let mut out = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some(&(start, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        if out.len() >= max_tokens {
            return Err(too_long(max_tokens, start, c));
        }
        let one = |tok: Tok| Token {
            tok,
            span: Span::new(start, start + c.len_utf8()),
            symbol: true,
        };
        match c {
            '0'..='9' | '.' => {
                let end = scan_number(src, start);
                if end == start {
                    return Err(ExprError::new(
                        "unexpected character '.'",
                        Span::new(start, start + 1),
                    ));
                }
                // An exponent without digits (`1e+`, `2E-`, `1e`): the number is unfinished.
                let rest = &src.as_bytes()[end..];
                let has_exponent = src[start..end].contains(['e', 'E']);
                if let (false, [b'e' | b'E', after @ ..]) = (has_exponent, rest) {
                    let signed = matches!(after.first(), Some(b'+' | b'-'));
                    let next = after.get(usize::from(signed)).copied();
                    if signed
                        || next
                            .is_none_or(|b| !(b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80))
                    {
                        let stop = end + 1 + usize::from(signed);
                        return Err(ExprError::new(
                            format!(
                                "invalid number '{}': its exponent has no digits",
                                &src[start..stop]
                            ),
                            Span::new(start, stop),
                        )
                        .with_help(format!(
                            "write the exponent's digits ({}3 is {} × 10{}³); to multiply by a \
                             name, put * between them: {} * {}",
                            &src[start..stop],
                            &src[start..end],
                            if after.first() == Some(&b'-') {
                                "⁻"
                            } else {
                                ""
                            },
                            &src[start..end],
                            &src[end..end + 1]
                        )));
                    }
                }
                // A name glued to a number (`12abc`) is not a number.
                let mut word_end = end;
                for (i, ch) in src[end..].char_indices() {
                    if is_ident_continue(ch) {
                        word_end = end + i + ch.len_utf8();
                    } else {
                        break;
                    }
                }
                let text = &src[start..word_end];
                let span = Span::new(start, word_end);
                let unit = &src[end..word_end];
                if word_end != end
                    && unit.chars().count() <= 3
                    && unit.chars().all(|c| {
                        matches!(
                            c,
                            '万' | '亿' | '元' | '家' | '个' | '件' | '人' | '项' | '年' | '吨'
                        )
                    })
                {
                    return Err(ExprError::new(format!("invalid number '{text}'"), span)
                        .with_help(format!(
                            "units are not written in expressions: write the number in the \
                             indicator's own unit ({} if it is in {unit}{})",
                            &src[start..end],
                            if matches!(unit, "万" | "亿") {
                                "元"
                            } else {
                                ""
                            }
                        )));
                }
                if word_end != end {
                    // (`2x`: a number run into a name; not `0x1F` or `2_000`, no such thing.)
                    let apart = if unit.chars().all(char::is_alphabetic) {
                        format!(
                            "; a number is written apart from what follows, with an operator \
                             between ({} * {unit})",
                            &src[start..end]
                        )
                    } else {
                        String::new()
                    };
                    return Err(ExprError::new(format!("invalid number '{text}'"), span)
                        .with_help(format!(
                            "a name cannot start with a digit: a column named so is written \
                             in backticks (`{text}`){apart}"
                        )));
                }
                let value: f64 = match text.parse() {
                    Ok(v) => v,
                    Err(_) => {
                        return Err(ExprError::new(format!("invalid number '{text}'"), span));
                    }
                };
                if !value.is_finite() {
                    return Err(
                        ExprError::new(format!("number '{text}' is too large"), span).with_help(
                            "numbers go up to about 1.8e308 (a 64-bit float); write it in larger \
                         units (1e6 yuan as 100 万元), or check the exponent for a typo",
                        ),
                    );
                }
                if crate::data::cell::underflows(text, value) {
                    return Err(ExprError::new(
                        format!("number '{text}' is nearer zero than the smallest number an expression may hold"),
                        span,
                    )
                    .with_help("write 0 if zero is meant, or check the exponent for a typo"));
                }
                out.push(Token {
                    tok: Tok::Number(value),
                    span,
                    symbol: false,
                });
                while it.peek().is_some_and(|&(i, _)| i < word_end) {
                    it.next();
                }
                continue;
            }
            '\'' | '"' => {
                it.next();
                let mut text = String::new();
                let mut closed = None;
                while let Some((i, ch)) = it.next() {
                    if ch == c {
                        closed = Some(i + 1);
                        break;
                    }
                    if ch == '\\'
                        && let Some(&(_, next)) = it.peek()
                        && (next == c || next == '\\')
                    {
                        text.push(next);
                        it.next();
                        continue;
                    }
                    text.push(ch);
                }
                let Some(end) = closed else {
                    return Err(ExprError::new(
                        "unclosed text literal",
                        Span::new(start, start + 1),
                    )
                    .with_help(format!("add the closing {c}")));
                };
                out.push(Token {
                    tok: Tok::Text(text),
                    span: Span::new(start, end),
                    symbol: false,
                });
                continue;
            }
            '`' => {
                it.next();
                let rest = &src[start + 1..];
                let Some(len) = rest.find('`') else {
                    return Err(
                        ExprError::new("unclosed backtick", Span::new(start, start + 1))
                            .with_help("a name in backticks needs a closing backtick: `name`"),
                    );
                };
                let end = start + 1 + len + 1;
                if len == 0 {
                    return Err(ExprError::new(
                        "empty name in backticks",
                        Span::new(start, end),
                    ));
                }
                out.push(Token {
                    tok: Tok::Quoted(rest[..len].to_string()),
                    span: Span::new(start, end),
                    symbol: false,
                });
                while it.peek().is_some_and(|&(i, _)| i < end) {
                    it.next();
                }
                continue;
            }
            c if is_ident_start(c) => {
                let mut end = start;
                while let Some(&(i, ch)) = it.peek() {
                    if is_ident_continue(ch) {
                        end = i + ch.len_utf8();
                        it.next();
                    } else {
                        break;
                    }
                }
                let word = &src[start..end];
                let tok = match word {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    _ => Tok::Ident(word.to_string()),
                };
                out.push(Token {
                    tok,
                    span: Span::new(start, end),
                    symbol: false,
                });
                continue;
            }
            _ => {}
        }
        it.next();
        let next = it.peek().map(|&(_, ch)| ch);
        let two = |tok: Tok| Token {
            tok,
            span: Span::new(start, start + 2),
            symbol: true,
        };
        let token = match (c, next) {
            ('=', Some('=')) => two(Tok::EqEq),
            ('!', Some('=')) => two(Tok::Ne),
            ('<', Some('=')) => two(Tok::Le),
            ('>', Some('=')) => two(Tok::Ge),
            ('&', Some('&')) => two(Tok::And),
            ('|', Some('|')) => two(Tok::Or),
            ('<', Some('>')) => {
                return Err(
                    ExprError::new("unexpected '<>'", Span::new(start, start + 2))
                        .with_help("did you mean '!='?"),
                );
            }
            ('+', _) => one(Tok::Plus),
            ('-', _) => one(Tok::Minus),
            ('*', _) => one(Tok::Star),
            ('/', _) => one(Tok::Slash),
            ('<', _) => one(Tok::Lt),
            ('>', _) => one(Tok::Gt),
            ('!', _) => one(Tok::Not),
            ('(', _) => one(Tok::LParen),
            (')', _) => one(Tok::RParen),
            (',', _) => one(Tok::Comma),
            _ => return Err(bad_char(src, c, start)),
        };
        if token.span.end - token.span.start == 2 {
            it.next();
        }
        out.push(token);
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(src.len(), src.len()),
        symbol: false,
    });
    Ok(out)
}

#[cold]
#[inline(never)]
fn too_long(max_tokens: usize, start: usize, c: char) -> ExprError {
    ExprError::new(
        format!(
            "expression too long: more than {max_tokens} tokens (numbers, names, texts, \
             operators, parentheses and commas)"
        ),
        Span::new(start, start + c.len_utf8()),
    )
    .with_help("split it into several formulas (indicators with a `formula`) and combine their ids")
}

/// End of the number starting at `start`: `12`, `3.5`, `.5`, `1e3`, `2.5E-3`.
/// Returns `start` when there is no digit at all (a lone `.`).
fn scan_number(src: &str, start: usize) -> usize {
    let b = src.as_bytes();
    let digits = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    let int_digits = i > start;
    if i < b.len() && b[i] == b'.' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
        i = digits(i + 1);
    } else if !int_digits {
        return start;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let k = digits(j);
        if k > j {
            i = k;
        }
    }
    i
}

/// Quotes a Chinese input method types for `'` and `"`.
const TYPOGRAPHIC_QUOTES: [char; 8] = ['“', '”', '‘', '’', '「', '」', '『', '』'];

fn bad_char(src: &str, c: char, start: usize) -> ExprError {
    let span = Span::new(start, start + c.len_utf8());
    let before = src[..start].trim_end();
    // The name written right before a full-width parenthesis: a column header such as
    // 销售收入（万元）, which only backticks can name.
    let word_before = before
        .char_indices()
        .rev()
        .take_while(|&(_, ch)| is_ident_continue(ch))
        .last()
        .map(|(i, _)| &before[i..])
        .filter(|w| !w.is_empty() && !w.is_ascii() && src[..start].ends_with(*w));
    let help: Option<String> = match c {
        '^' => Some(
            "there is no power operator; write x * x, sqrt(x) for a square root, or exp(y * ln(x)) \
             for x to the power y"
                .into(),
        ),
        // `5%`: a threshold already in percent.
        '%' if before.ends_with(|ch: char| ch.is_ascii_digit()) => Some(
            "there is no '%' in expressions: an indicator in % is compared with the number of \
             percent (rd_intensity >= 5); for a share of two values write x / y * 100"
                .into(),
        ),
        '%' => Some("there is no '%' operator; for a percentage write x / y * 100".into()),
        '（' if word_before.is_some() => {
            let w = word_before.unwrap_or_default();
            let close = src[start..]
                .find('）')
                .map_or(start + c.len_utf8(), |i| start + i + '）'.len_utf8());
            Some(format!(
                "a column whose name holds brackets is written in backticks: `{w}{}`",
                &src[start..close]
            ))
        }
        // `x ! = 1`, `x > = 1`: an operator typed with a space inside.
        '=' if before.ends_with(['!', '>', '<']) => Some(format!(
            "did you mean '{}='? write it without a space",
            before.chars().last().unwrap_or('!')
        )),
        '=' => Some("did you mean '=='?".into()),
        '&' => Some("did you mean '&&' (or 'and')?".into()),
        '|' => Some("did you mean '||' (or 'or')?".into()),
        '（' => Some("this is a full-width parenthesis; use '('".into()),
        '）' => Some("this is a full-width parenthesis; use ')'".into()),
        '，' => Some("this is a full-width comma; use ','".into()),
        // After an ASCII comparison sign it completes that operator: `>＝` is `>=`.
        '＝' if before.ends_with(['>', '<', '!']) => Some(format!(
            "this is a full-width '='; write '{}='",
            before.chars().last().unwrap_or('>')
        )),
        '＝' => Some("this is a full-width '='; did you mean '=='?".into()),
        '＞' | '＜' | '＋' | '－' | '＊' | '／' | '！' => Some(format!(
            "this is a full-width character; use '{}'",
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        )),
        '[' | ']' | '{' | '}' => Some("use '(' and ')' for grouping".into()),
        // Typed by a Chinese input method: the text inside, in straight quotes.
        _ if TYPOGRAPHIC_QUOTES.contains(&c) => {
            let rest = &src[start + c.len_utf8()..];
            let inner = rest.find(TYPOGRAPHIC_QUOTES).map_or(rest, |i| &rest[..i]);
            Some(format!(
                "this is a typographic quote (a Chinese input method types them); write text \
                 between straight single quotes: '{}'",
                crate::diag::truncate(inner, 40)
            ))
        }
        '#' => Some(
            "an expression holds no comments; write the note after the string's closing \
             quote, where TOML reads it as a comment: \"x > 1\"  # note"
                .into(),
        ),
        '、' => Some(
            "'、' does not list values in an expression; to accept any of several values \
             join the comparisons with 'or' (level == '国家级' or level == '省级')"
                .into(),
        ),
        ';' | '；' => Some(
            "an expression is one condition or formula; to require several conditions \
             join them with 'and', or (in a list such as `requires`) give each its own string"
                .into(),
        ),
        '≥' => Some("write '>=' for ≥".into()),
        '≤' => Some("write '<=' for ≤".into()),
        '≠' => Some("write '!=' for ≠".into()),
        '×' => Some("write '*' for ×".into()),
        '÷' => Some("write '/' for ÷".into()),
        '＆' => Some("this is a full-width '&'; did you mean '&&' (or 'and')?".into()),
        '｜' => Some("this is a full-width '|'; did you mean '||' (or 'or')?".into()),
        '０'..='９' | '．' => Some(format!(
            "this is a full-width digit; write numbers in ASCII: {}",
            crate::data::cell::fold_width(&src[start..])
                .chars()
                .take_while(|ch| ch.is_ascii_digit() || *ch == '.')
                .collect::<String>()
        )),
        '\u{2212}' | '\u{2010}'..='\u{2015}' => {
            Some("this is a typographic minus or dash; use the ASCII '-'".into())
        }
        _ if crate::diag::is_invisible(c) => Some(format!(
            "an invisible character, {}, was pasted in with the text: delete it",
            crate::diag::invisible_name(c)
        )),
        _ => None,
    };
    let message = if c == '=' {
        "unexpected '='".to_string()
    } else if c.is_control() || crate::diag::is_invisible(c) {
        format!("unexpected character U+{:04X}", c as u32)
    } else {
        format!("unexpected character '{c}'")
    };
    let mut e = ExprError::new(message, span);
    e.help = help;
    e
}
