//! The expression language of SPEC §4: lexing, parsing, type checking and columnar
//! evaluation.
//!
//! An expression is parsed once ([`parse`]), its names are resolved and its types checked
//! against a [`Scope`] ([`compile`] → [`Program`]), and the program is evaluated over whole
//! columns at a time ([`Program::eval`]) through the [`Env`] trait, so this module knows
//! nothing about data files.
//!
//! Missing values: numbers use `NaN`; booleans and text use `None` / [`TextColumn::MISSING`].
//! Arithmetic propagates missing (division by zero and any non-finite result give missing);
//! comparisons with a missing operand are missing; `and`/`or`/`not` follow Kleene's
//! three-valued logic. A condition that ends missing counts as false (the caller's
//! decision, see [`Program::eval_condition`]).
//!
//! [`TextColumn::MISSING`]: crate::column::TextColumn::MISSING

mod check;
mod eval;
pub mod js;
mod lex;
mod parse;

use std::collections::HashSet;
use std::fmt;

pub(crate) use check::is_aggregate_call;
pub use check::{FUNCTIONS, Program, compile, compile_condition};
pub(crate) use lex::is_bare_name;

/// The most years `prev(x, k)` may look back (a century of annual data is more than any
/// evaluation holds; each k used costs one row map of the data).
pub const MAX_PREV_YEARS: u32 = 100;
pub use parse::{BinaryOp, Expr, ExprKind, MAX_DEPTH, MAX_TOKENS, UnaryOp, parse, to_sexpr};

use crate::column::{Column, Type};
use crate::diag::Span;

/// A problem in an expression: what, where (byte range inside the expression text) and how
/// to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// What is wrong (`unknown name 'rd_intesity'`).
    pub message: String,
    /// Where, as a byte range inside the expression text.
    pub span: Span,
    /// How to fix it (a did-you-mean), when known.
    pub help: Option<String>,
    /// Which types clashed, for callers that explain a type error from the data (a column
    /// read as yes/no or as text because of its cells).
    pub clash: Option<TypeClash>,
}

/// The types of a type error: what was needed and what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClash {
    /// A value of type `found` where a number was needed (arithmetic, ordering).
    NotNumber {
        /// The type given.
        found: Type,
    },
    /// Text where a condition was needed (a gate, a tier's `requires`, `if`'s test).
    NotCondition,
    /// Two values that must share a type do not (`==`, the branches of `if`).
    /// `quoted_number`: one side is a number written in quotes (`incidents == '0'`), a
    /// slip of the writer's, whatever type a data column on the other side has.
    Mismatch {
        /// The left side's type (the first branch's for `if`).
        left: Type,
        /// The right side's type (the branch's that differs, for `if`).
        right: Type,
        /// Whether one side is a number written in quotes.
        quoted_number: bool,
    },
}

impl TypeClash {
    /// Whether a value of type `ty` is one side of the clash.
    pub fn involves(self, ty: Type) -> bool {
        match self {
            TypeClash::NotNumber { found } => found == ty,
            TypeClash::NotCondition => ty == Type::Text,
            TypeClash::Mismatch { left, right, .. } => left == ty || right == ty,
        }
    }
}

impl ExprError {
    /// An error at `span`, without help.
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        ExprError {
            message: message.into(),
            span,
            help: None,
            clash: None,
        }
    }

    /// Records which types clashed.
    pub fn with_clash(mut self, clash: TypeClash) -> Self {
        self.clash = Some(clash);
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// This error with its span moved right by `offset` bytes (expression inside a file).
    pub fn shifted(mut self, offset: usize) -> Self {
        self.span = self.span.shift(offset);
        self
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {}..{}",
            self.message, self.span.start, self.span.end
        )?;
        if let Some(h) = &self.help {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExprError {}

/// Where expressions are used: row level (formulas, gates, tiers…) or an `aggregate`
/// expression (aggregate functions allowed).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Context {
    /// `formula`, `require`, `when`, `requires`, `direct`: one value per row or entity.
    Row,
    /// `aggregate`: over an entity's member rows, aggregate functions allowed.
    Aggregate,
}

/// What a name resolves to: a column slot of the [`Env`] and its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The column's index in the [`Env`].
    pub slot: usize,
    /// The column's type.
    pub ty: Type,
}

/// Why a name does not resolve; the checker attaches the name's span.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolveError {
    /// Why (`unknown name 'x'`).
    pub message: String,
    /// How to fix it, when known.
    pub help: Option<String>,
}

impl ResolveError {
    /// An error without help.
    pub fn new(message: impl Into<String>) -> Self {
        ResolveError {
            message: message.into(),
            help: None,
        }
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Name resolution for the checker.
pub trait Scope {
    /// A name at row/entity level. `quoted` = written in backticks.
    fn resolve(&self, name: &str, quoted: bool) -> Result<Resolved, ResolveError>;

    /// A name inside `prev()`'s argument: as [`resolve`](Scope::resolve), but a scope may
    /// refuse what exists for the scored year only (scores are not computed for earlier years).
    fn resolve_prev(&self, name: &str, quoted: bool) -> Result<Resolved, ResolveError> {
        self.resolve(name, quoted)
    }

    /// A name inside an aggregate function's argument (member level).
    fn resolve_member(&self, name: &str, quoted: bool) -> Result<Resolved, ResolveError> {
        let _ = (name, quoted);
        Err(ResolveError::new(
            "aggregate functions are only allowed in `aggregate`",
        ))
    }
}

/// The columns a [`Program`] reads.
pub trait Env {
    /// Number of rows; every result has this length.
    fn rows(&self) -> usize;

    /// Row-level column of length `rows()`.
    fn column(&self, slot: usize) -> &Column;

    /// For each row, the row holding the same entity k years earlier (`u32::MAX` = none).
    /// `None` → `prev()` yields missing everywhere.
    fn prev_rows(&self, k: u32) -> Option<&[u32]> {
        let _ = k;
        None
    }

    /// Member level, for aggregate functions: (member env, group of each member row as an
    /// index < `rows()`, `u32::MAX` = belongs to no row). `None` → no members: `count` gives
    /// 0 and the other aggregates give missing.
    fn members(&self) -> Option<(&dyn Env, &[u32])> {
        None
    }

    /// Whether a comparison with a missing operand gives missing instead of false (SPEC §4):
    /// only [`Traced`] says yes, to find where a missing value decided a condition.
    fn comparisons_unknown(&self) -> bool {
        false
    }

    /// Under [`Traced`], the environment it wraps, read as SPEC §4 reads it (comparisons
    /// with a missing operand false); `None` for an environment read so already.
    /// `is_missing()` reads its argument so: a comparison is never missing, so
    /// `is_missing(a > 5)` is false whatever `a` is, and nothing was decided by a missing
    /// value there.
    fn untraced(&self) -> Option<&dyn Env> {
        None
    }

    /// Whether a comparison of texts with a missing operand gives missing: as
    /// [`comparisons_unknown`](Env::comparisons_unknown) except under
    /// [`Traced::except_text`].
    fn text_comparisons_unknown(&self) -> bool {
        self.comparisons_unknown()
    }
}

/// `env` read with comparisons of missing values left unknown (Kleene's logic all the way
/// up): a condition that ends missing here was decided by a missing value, whatever the
/// SPEC's "false" made of it.
pub struct Traced<'a> {
    env: &'a dyn Env,
    /// Whether comparisons of texts are left unknown too.
    texts: bool,
}

impl<'a> Traced<'a> {
    /// Every comparison with a missing operand left unknown.
    pub fn new(env: &'a dyn Env) -> Self {
        Traced { env, texts: true }
    }

    /// As [`Traced::new`], except that comparing a missing text stays false: for the
    /// conditions of `count(cond)` and `share(cond)`, where an empty text cell (the `tier`
    /// of an untiered enterprise in the chained workflow) means "none" rather than "not
    /// reported".
    pub fn except_text(env: &'a dyn Env) -> Self {
        Traced { env, texts: false }
    }
}

impl Env for Traced<'_> {
    fn rows(&self) -> usize {
        self.env.rows()
    }
    fn column(&self, slot: usize) -> &Column {
        self.env.column(slot)
    }
    fn prev_rows(&self, k: u32) -> Option<&[u32]> {
        self.env.prev_rows(k)
    }
    fn members(&self) -> Option<(&dyn Env, &[u32])> {
        self.env.members()
    }
    fn comparisons_unknown(&self) -> bool {
        true
    }
    fn text_comparisons_unknown(&self) -> bool {
        self.texts
    }
    fn untraced(&self) -> Option<&dyn Env> {
        Some(self.env.untraced().unwrap_or(self.env))
    }
}

/// Parses and compiles in one step.
pub fn parse_and_compile(src: &str, scope: &dyn Scope, ctx: Context) -> Result<Program, ExprError> {
    let expr = parse(src)?;
    compile(&expr, scope, ctx)
}

/// Names an expression mentions: (name, quoted, span), in order of first appearance, each
/// (name, quoted) pair once. Includes names inside aggregate arguments.
pub fn names(expr: &Expr) -> Vec<(String, bool, Span)> {
    let mut out: Vec<(String, bool, Span)> = Vec::new();
    let mut seen: HashSet<(&str, bool)> = HashSet::new();
    walk(expr, &mut |e| {
        if let ExprKind::Name { name, quoted } = &e.kind
            && seen.insert((name.as_str(), *quoted))
        {
            out.push((name.clone(), *quoted, e.span));
        }
    });
    out
}

/// Like [`names`], with the years each use looks back: the `k` of every `prev(…, k)`
/// around it, outermost first (empty for the current year). Each (name, quoted, years)
/// once, in order of first appearance: what a note lists as the values involved.
pub fn names_with_prev(expr: &Expr) -> Vec<(String, bool, Vec<u32>)> {
    fn go(e: &Expr, lags: &mut Vec<u32>, out: &mut Vec<(String, bool, Vec<u32>)>) {
        match &e.kind {
            ExprKind::Name { name, quoted } => {
                if !(out.iter()).any(|(n, q, l)| n == name && q == quoted && l == lags) {
                    out.push((name.clone(), *quoted, lags.clone()));
                }
            }
            ExprKind::Call { name, args, .. } if name == "prev" => {
                let k = match args.get(1).map(|a| &a.kind) {
                    Some(ExprKind::Number(k)) => *k as u32,
                    _ => 1,
                };
                lags.push(k);
                if let Some(a) = args.first() {
                    go(a, lags, out);
                }
                lags.pop();
            }
            ExprKind::Unary { expr, .. } => go(expr, lags, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                go(lhs, lags, out);
                go(rhs, lags, out);
            }
            ExprKind::Chain { first, rest } => {
                go(first, lags, out);
                for (_, e) in rest {
                    go(e, lags, out);
                }
            }
            ExprKind::Call { args, .. } => {
                for a in args {
                    go(a, lags, out);
                }
            }
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {}
        }
    }
    let mut out = Vec::new();
    go(expr, &mut Vec::new(), &mut out);
    out
}

/// A name use with its level (see [`names_by_level`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameUse {
    /// The name as written (without backticks).
    pub name: String,
    /// Whether it is written in backticks (a data column header).
    pub quoted: bool,
    /// Where it is written in the expression.
    pub span: Span,
    /// Inside an aggregate function's argument: resolved with [`Scope::resolve_member`].
    pub member: bool,
}

/// Like [`names`], but says which names are member level under `ctx` (inside `sum(…)`,
/// one-argument `min(…)` and the like when `ctx` is [`Context::Aggregate`]).
/// Each (name, quoted, member) triple once, in order of first appearance.
pub fn names_by_level(expr: &Expr, ctx: Context) -> Vec<NameUse> {
    fn go<'e>(
        e: &'e Expr,
        ctx: Context,
        member: bool,
        seen: &mut HashSet<(&'e str, bool, bool)>,
        out: &mut Vec<NameUse>,
    ) {
        match &e.kind {
            ExprKind::Name { name, quoted } => {
                if seen.insert((name.as_str(), *quoted, member)) {
                    out.push(NameUse {
                        name: name.clone(),
                        quoted: *quoted,
                        span: e.span,
                        member,
                    });
                }
            }
            ExprKind::Unary { expr, .. } => go(expr, ctx, member, seen, out),
            ExprKind::Binary { lhs, rhs, .. } => {
                go(lhs, ctx, member, seen, out);
                go(rhs, ctx, member, seen, out);
            }
            ExprKind::Chain { first, rest } => {
                go(first, ctx, member, seen, out);
                for (_, e) in rest {
                    go(e, ctx, member, seen, out);
                }
            }
            ExprKind::Call { name, args, .. } => {
                let agg = ctx == Context::Aggregate && check::is_aggregate_call(name, args.len());
                for a in args {
                    go(a, ctx, member || agg, seen, out);
                }
            }
            ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {}
        }
    }
    let mut out = Vec::new();
    go(expr, ctx, false, &mut HashSet::new(), &mut out);
    out
}

/// Calls `f` on every node, parents before children, left to right. Recursion follows the
/// nesting depth (at most [`MAX_DEPTH`] for a parsed expression); chains are looped over.
pub fn walk<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Unary { expr, .. } => walk(expr, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk(lhs, f);
            walk(rhs, f);
        }
        ExprKind::Chain { first, rest } => {
            walk(first, f);
            for (_, e) in rest {
                walk(e, f);
            }
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                walk(a, f);
            }
        }
        ExprKind::Number(_) | ExprKind::Text(_) | ExprKind::Bool(_) | ExprKind::Name { .. } => {}
    }
}

#[cfg(test)]
mod tests;
