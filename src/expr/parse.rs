//! AST and parser.
//!
//! The parser is hand-written (Pratt / precedence climbing) rather than generated: it gives
//! exact byte spans and tailored messages for every error, and lets nesting be capped so
//! that no input can overflow the stack.
//!
//! Binding, loosest to tightest: `or`/`||` < `and`/`&&` < `not`/`!` < comparisons
//! (non-associative) < `+ -` < `* /` < unary minus < calls and atoms.

use super::ExprError;
use super::lex::{Tok, Token, lex};
use crate::diag::Span;

/// Deepest nesting accepted (parentheses, calls, unary operators, operands of operators of
/// another precedence level, all counted). Keeps parsing, checking, evaluation and dropping
/// of the tree well inside any thread's stack. A flat chain of one precedence level
/// (`a + b - c + …`, `a and b and …`) is one level however long it is: it is stored as one
/// [`ExprKind::Chain`] node and checked and evaluated by a loop.
pub const MAX_DEPTH: usize = 200;

/// Most tokens (numbers, names, texts, operators, parentheses, commas) in one expression;
/// a longer expression is an error at the first token past the limit. It bounds the memory
/// and the evaluation time of a single expression (a chain of up to about 50,000 terms).
pub const MAX_TOKENS: usize = 100_000;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Byte range inside the expression text (parentheses around it not included).
    pub span: Span,
}

/// The kinds of expression node (SPEC §4).
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(f64),
    /// A text literal (`'东部'` or `"东部"`), without its quotes.
    Text(String),
    /// `true` or `false`.
    Bool(bool),
    /// A name; `quoted` when written in backticks.
    Name {
        /// The name, without backticks.
        name: String,
        /// Whether it is written in backticks (a data column header).
        quoted: bool,
    },
    /// `-x`, `not x` (or `!x`).
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        expr: Box<Expr>,
    },
    /// A comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`; comparisons do not chain). The
    /// parser builds the other operators as [`ExprKind::Chain`]; a `Binary` with one of
    /// them, built by hand, means the same as a chain of one link.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
    },
    /// Operators of one precedence level applied left to right: `a + b - c` is `first = a`,
    /// `rest = [(+, b), (-, c)]` and means `(a + b) - c`. The parser builds one for every
    /// `+ -`, `* /`, `and` and `or`, with at least one link; a chain of `+ -` holds only
    /// `+` and `-`, one of `* /` only `*` and `/`, an `and` chain only `and`, an `or` chain
    /// only `or`.
    /// The chain's span runs from `first` to the last operand.
    Chain {
        /// The first operand.
        first: Box<Expr>,
        /// Each further operator with its right operand, left to right.
        rest: Vec<(BinaryOp, Expr)>,
    },
    /// A function call: `min(a, b)`, `prev(x, 2)`, `sum(x)`.
    Call {
        /// The function's name.
        name: String,
        /// Where the name is written.
        name_span: Span,
        /// The arguments, in order.
        args: Vec<Expr>,
    },
}

/// A prefix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `-`: negation.
    Neg,
    /// `not` (or `!`): logical negation (missing stays missing).
    Not,
}

/// An infix operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/` (division by zero gives missing).
    Div,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `and` (or `&&`).
    And,
    /// `or` (or `||`).
    Or,
}

impl BinaryOp {
    /// How the operator is written (`and`, `or` for the logical ones).
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    /// `==`, `!=`, `<`, `<=`, `>`, `>=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
        )
    }

    /// Operators that chain left to right (all but the comparisons).
    pub fn chains(self) -> bool {
        !self.is_comparison()
    }

    /// `+`, `-`, `*`, `/`.
    pub fn is_arithmetic(self) -> bool {
        matches!(
            self,
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
        )
    }
}

/// Binding powers (left, right) of infix operators.
fn infix(tok: &Tok) -> Option<(BinaryOp, u8, u8)> {
    Some(match tok {
        Tok::Or => (BinaryOp::Or, 1, 2),
        Tok::And => (BinaryOp::And, 3, 4),
        Tok::EqEq => (BinaryOp::Eq, 7, 8),
        Tok::Ne => (BinaryOp::Ne, 7, 8),
        Tok::Lt => (BinaryOp::Lt, 7, 8),
        Tok::Le => (BinaryOp::Le, 7, 8),
        Tok::Gt => (BinaryOp::Gt, 7, 8),
        Tok::Ge => (BinaryOp::Ge, 7, 8),
        Tok::Plus => (BinaryOp::Add, 9, 10),
        Tok::Minus => (BinaryOp::Sub, 9, 10),
        Tok::Star => (BinaryOp::Mul, 11, 12),
        Tok::Slash => (BinaryOp::Div, 11, 12),
        _ => return None,
    })
}

/// Operand binding power of prefix `not`: it takes a whole comparison, stops at `and`/`or`.
const NOT_BP: u8 = 5;
/// Operand binding power of unary minus: tighter than `*` and `/`.
const NEG_BP: u8 = 13;

/// Parses one expression; the whole text must be consumed.
pub fn parse(src: &str) -> Result<Expr, ExprError> {
    let tokens = lex(src, MAX_TOKENS)?;
    if tokens.len() == 1 {
        return Err(ExprError::new("empty expression", Span::new(0, src.len()))
            .with_help("write an expression, e.g. rd / revenue * 100"));
    }
    let mut p = Parser {
        tokens,
        pos: 0,
        nest: 0,
    };
    let (expr, _) = p.expr_bp(0)?;
    let t = p.peek();
    match &t.tok {
        Tok::Eof => Ok(expr),
        Tok::RParen => {
            Err(ExprError::new("unexpected ')'", t.span).with_help("there is no matching '('"))
        }
        other => {
            let mut e = ExprError::new(
                format!(
                    "unexpected {} after the end of the expression",
                    t.describe()
                ),
                t.span,
            );
            if let Tok::Ident(word) = other
                && let Some(op) = logical_word(word)
            {
                e.help = Some(format!("'{word}' means {op}: write '{op}'"));
            } else if matches!(other, Tok::Ident(w) if w.eq_ignore_ascii_case("in")) {
                e.help = Some(
                    "there is no 'in': compare with each value and join with 'or' \
                     (level == '国家级' or level == '省级')"
                        .into(),
                );
            } else if matches!(
                other,
                Tok::Number(_) | Tok::Ident(_) | Tok::Quoted(_) | Tok::Text(_)
            ) {
                e.help = Some("an operator is missing between the two values".into());
            } else if matches!(other, Tok::Comma)
                && let Some((before, after)) =
                    p.touching_neighbours(|tok| matches!(tok, Tok::Number(_)))
            {
                let (a, b) = (&src[before.start..before.end], &src[after.start..after.end]);
                e.help = Some(if b.len() == 3 && b.bytes().all(|c| c.is_ascii_digit()) {
                    format!(
                        "numbers take no thousands separator: write {a}{b} (or {a}.{b} if the \
                         comma is a decimal comma)"
                    )
                } else {
                    format!("a decimal comma? numbers take a point: write {a}.{b}")
                });
            } else if matches!(other, Tok::Comma) {
                // `revenue > 0, rd > 1`: conditions listed, as in a spreadsheet's AND(…).
                e.help = Some(
                    "a comma separates only a function's arguments: join conditions with 'and' \
                     (revenue > 0 and rd > 1)"
                        .into(),
                );
            } else if matches!(other, Tok::LParen) {
                e.help = Some(
                    "only function names can be followed by '('; write '*' to multiply".into(),
                );
            } else if matches!(other, Tok::Not)
                && let Some((before, after)) =
                    p.touching_neighbours(|tok| matches!(tok, Tok::Ident(_)))
            {
                // `re!x`: a column header holding '!', which only backticks can name.
                e.help = Some(format!(
                    "a column whose name holds '!' is written in backticks: `{}`",
                    &src[before.start..after.end]
                ));
            }
            Err(e)
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// Current recursion depth of `expr_bp`.
    nest: usize,
}

type PResult = Result<(Expr, usize), ExprError>;

impl Parser {
    /// The spans of the tokens right before and after the current one, when both are of
    /// the kind `kind` accepts and touch it (no space between): `1,5`, `re!x`.
    fn touching_neighbours(&self, kind: impl Fn(&Tok) -> bool) -> Option<(Span, Span)> {
        let t = self.tokens.get(self.pos)?;
        let before = self
            .tokens
            .get(self.pos.checked_sub(1)?)
            .filter(|b| kind(&b.tok) && b.span.end == t.span.start)?;
        let after = self
            .tokens
            .get(self.pos + 1)
            .filter(|a| kind(&a.tok) && a.span.start == t.span.end)?;
        Some((before.span, after.span))
    }
}

// The recursive path (expr_bp → prefix → paren/unary/call → expr_bp) is kept in small
// functions and every message is built in a cold function of its own, so that each level
// of nesting costs little stack even in debug builds.

#[cold]
#[inline(never)]
fn too_deep(span: Span) -> ExprError {
    ExprError::new("expression nested too deeply", span).with_help(format!(
        "expressions may nest at most {} levels (199 parentheses inside one another); split \
         it into several formulas",
        MAX_DEPTH - 1
    ))
}

#[cold]
#[inline(never)]
fn chained(span: Span) -> ExprError {
    ExprError::new("comparisons cannot be chained", span)
        .with_help("combine them with 'and': a < b and b < c")
}

#[cold]
#[inline(never)]
fn unclosed(span: Span, call: Option<&str>) -> ExprError {
    let e = ExprError::new("unclosed parenthesis", span);
    match call {
        Some(name) => e.with_help(format!("add the ')' that closes the call to '{name}'")),
        None => e.with_help("add the matching ')'"),
    }
}

#[cold]
#[inline(never)]
fn expected(what: &str, t: &Token) -> ExprError {
    ExprError::new(format!("expected {what}, found {}", t.describe()), t.span)
}

#[cold]
#[inline(never)]
fn expected_expression(t: &Token, before: &[Token]) -> ExprError {
    let mut e = expected("an expression", t);
    let last = |k: usize| before.len().checked_sub(k).map(|i| &before[i].tok);
    match (&t.tok, last(1), last(2)) {
        (Tok::Plus, ..) => e.help = Some("there is no unary '+'; drop it".into()),
        (Tok::Eof, ..) => e.help = Some("the expression ends too early".into()),
        (Tok::Slash, Some(Tok::Slash), _) => {
            e.help = Some(
                "'//' is neither an operator nor a comment: divide with '/'; write a note \
                 after the string's closing quote, where TOML reads it as a comment: \
                 \"x > 1\"  # note"
                    .into(),
            )
        }
        // `x >>= 2`, `a and or b`: an operator where an operand should be, after another.
        (tok, Some(prev), _)
            if infix_only(tok)
                && (infix_only(prev) || matches!(prev, Tok::Plus | Tok::Minus | Tok::Not)) =>
        {
            // (As written: `&&` as '&&', not as the word it means.)
            let shown = before.last().map_or_else(String::new, |p| p.describe());
            e.help = Some(format!(
                "two operators in a row ({shown} then {}): delete one",
                t.describe()
            ))
        }
        (Tok::Star, Some(Tok::LParen), Some(Tok::Ident(f))) if f == "count" => {
            e.help = Some(
                "write count() for the number of member rows; count(condition) counts \
                 the rows where the condition holds"
                    .into(),
            )
        }
        _ => {}
    }
    e
}

/// An operator that only joins two operands (no operand starts with it, as one may with
/// `-` or `not`; a leading `+` has its own message).
fn infix_only(t: &Tok) -> bool {
    matches!(
        t,
        Tok::Star
            | Tok::Slash
            | Tok::EqEq
            | Tok::Ne
            | Tok::Lt
            | Tok::Le
            | Tok::Gt
            | Tok::Ge
            | Tok::And
            | Tok::Or
    )
}

/// `lhs op rhs`: a comparison, or a new chain of one link.
#[inline(never)]
fn binary(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = Span::new(lhs.span.start, rhs.span.end);
    let kind = if op.chains() {
        ExprKind::Chain {
            first: Box::new(lhs),
            rest: vec![(op, rhs)],
        }
    } else {
        ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        }
    };
    Expr { kind, span }
}

/// Appends `op rhs` to the chain `lhs`.
fn extend(lhs: &mut Expr, op: BinaryOp, rhs: Expr) {
    if let ExprKind::Chain { rest, .. } = &mut lhs.kind {
        lhs.span.end = rhs.span.end;
        rest.push((op, rhs));
    }
}

impl Parser {
    fn peek(&self) -> &Token {
        // The last token is Eof and is never consumed.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_second(&self) -> &Tok {
        &self.tokens[(self.pos + 1).min(self.tokens.len() - 1)].tok
    }

    /// Consumes the current token and returns its span.
    fn skip(&mut self) -> Span {
        let span = self.peek().span;
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        span
    }

    /// Parses an expression whose infix operators bind at least `min_bp`.
    /// Returns the expression and the height of its tree.
    fn expr_bp(&mut self, min_bp: u8) -> PResult {
        self.nest += 1;
        if self.nest > MAX_DEPTH {
            return Err(too_deep(self.peek().span));
        }
        let result = self.expr_bp_inner(min_bp);
        self.nest -= 1;
        result
    }

    /// The loop runs once per operator of a flat chain (`a + b + c + …`) without recursing
    /// deeper, and successive operators of one precedence level extend one
    /// [`ExprKind::Chain`], so a chain's length adds nothing to the depth.
    fn expr_bp_inner(&mut self, min_bp: u8) -> PResult {
        let (mut lhs, mut depth) = self.prefix()?;
        // Whether `lhs` is a comparison built in this loop (comparisons do not chain).
        let mut lhs_is_cmp = false;
        // The left binding power of the chain `lhs` is, when this loop built it.
        let mut chain_bp = None;
        while let Some((op, l_bp, r_bp)) = infix(&self.peek().tok) {
            if l_bp < min_bp {
                break;
            }
            if op.is_comparison() && lhs_is_cmp {
                return Err(chained(self.peek().span));
            }
            let op_span = self.skip();
            let (rhs, rdepth) = self.expr_bp(r_bp)?;
            if op.chains() && chain_bp == Some(l_bp) {
                depth = depth.max(rdepth + 1);
                if depth > MAX_DEPTH {
                    return Err(too_deep(op_span));
                }
                extend(&mut lhs, op, rhs);
            } else {
                depth = depth.max(rdepth) + 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep(op_span));
                }
                lhs = binary(op, lhs, rhs);
                chain_bp = op.chains().then_some(l_bp);
            }
            lhs_is_cmp = op.is_comparison();
        }
        Ok((lhs, depth))
    }

    fn prefix(&mut self) -> PResult {
        match self.peek().tok {
            Tok::Minus => self.unary(UnaryOp::Neg, NEG_BP),
            Tok::Not => self.unary(UnaryOp::Not, NOT_BP),
            Tok::LParen => self.paren(),
            Tok::Ident(_) if *self.peek_second() == Tok::LParen => self.call(),
            _ => self.leaf(),
        }
    }

    #[inline(never)]
    fn leaf(&mut self) -> PResult {
        let t = self.peek();
        let kind = match &t.tok {
            Tok::Number(v) => ExprKind::Number(*v),
            Tok::Text(s) => ExprKind::Text(s.clone()),
            Tok::True => ExprKind::Bool(true),
            Tok::False => ExprKind::Bool(false),
            Tok::Quoted(n) => ExprKind::Name {
                name: n.clone(),
                quoted: true,
            },
            Tok::Ident(n) => ExprKind::Name {
                name: n.clone(),
                quoted: false,
            },
            _ => return Err(expected_expression(t, &self.tokens[..self.pos])),
        };
        let span = self.skip();
        Ok((Expr { kind, span }, 1))
    }

    #[inline(never)]
    fn unary(&mut self, op: UnaryOp, bp: u8) -> PResult {
        let start = self.skip().start;
        let (operand, depth) = self.expr_bp(bp)?;
        let span = Span::new(start, operand.span.end);
        let expr = Box::new(operand);
        Ok((
            Expr {
                kind: ExprKind::Unary { op, expr },
                span,
            },
            depth + 1,
        ))
    }

    #[inline(never)]
    fn paren(&mut self) -> PResult {
        let open = self.skip();
        let inner = self.expr_bp(0)?;
        match self.peek().tok {
            Tok::RParen => {
                self.skip();
                Ok(inner)
            }
            Tok::Eof => Err(unclosed(open, None)),
            // `f((a, b)`, `(a, b)`: a list in parentheses that are no function's.
            Tok::Comma => Err(expected("')' or an operator", self.peek()).with_help(
                "a ',' separates a function's arguments, and these parentheses are no \
                 function's: is a '(' doubled, or a function name missing before it?",
            )),
            _ => Err(expected("')' or an operator", self.peek())),
        }
    }

    /// A name followed by `(`.
    #[inline(never)]
    fn call(&mut self) -> PResult {
        let name = match &self.peek().tok {
            Tok::Ident(n) => n.clone(),
            _ => String::new(),
        };
        let name_span = self.skip();
        let open = self.skip();
        let mut args = Vec::new();
        let mut depth = 0;
        if self.peek().tok != Tok::RParen {
            loop {
                let (arg, d) = self.expr_bp(0)?;
                depth = depth.max(d);
                args.push(arg);
                match self.peek().tok {
                    Tok::Comma => {
                        self.skip();
                    }
                    Tok::RParen => break,
                    Tok::Eof => return Err(unclosed(open, Some(&name))),
                    _ => return Err(expected("',' or ')'", self.peek())),
                }
            }
        }
        let close = self.skip();
        let depth = depth + 1;
        if depth > MAX_DEPTH {
            return Err(too_deep(name_span));
        }
        let span = Span::new(name_span.start, close.end);
        Ok((
            Expr {
                kind: ExprKind::Call {
                    name,
                    name_span,
                    args,
                },
                span,
            },
            depth,
        ))
    }
}

/// Shows an expression back as text, fully parenthesised (for tests and debugging); a chain
/// shows as nested operators, `a + b - c` as `(- (+ a b) c)`.
pub fn to_sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Chain { first, rest } => {
            let mut s = String::new();
            for (op, _) in rest.iter().rev() {
                s.push('(');
                s.push_str(op.symbol());
                s.push(' ');
            }
            s.push_str(&to_sexpr(first));
            for (_, rhs) in rest {
                s.push(' ');
                s.push_str(&to_sexpr(rhs));
                s.push(')');
            }
            s
        }
        ExprKind::Number(v) => format!("{v}"),
        ExprKind::Text(s) => format!("{s:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name { name, quoted: true } => format!("`{name}`"),
        ExprKind::Name { name, .. } => name.clone(),
        ExprKind::Unary { op, expr } => {
            let o = if *op == UnaryOp::Neg { "-" } else { "not" };
            format!("({o} {})", to_sexpr(expr))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({} {} {})", op.symbol(), to_sexpr(lhs), to_sexpr(rhs))
        }
        ExprKind::Call { name, args, .. } => {
            let a: Vec<String> = args.iter().map(to_sexpr).collect();
            format!("{name}({})", a.join(", "))
        }
    }
}

/// The operator a word stands for when it is written where an operator belongs: Chinese
/// (且, 或, 非) or upper-case spreadsheet spellings (AND, OR, NOT).
fn logical_word(word: &str) -> Option<&'static str> {
    match word {
        "且" | "并且" | "而且" | "与" | "和" | "AND" | "And" => Some("and"),
        "或" | "或者" | "OR" | "Or" => Some("or"),
        "非" | "NOT" | "Not" => Some("not"),
        _ => None,
    }
}
