//! Name resolution and type checking: [`Expr`] → [`Program`] (typed nodes, names replaced
//! by column slots, constant sub-expressions folded).

use super::eval;
use super::parse::{BinaryOp, Expr, ExprKind, UnaryOp};
use super::{Context, Env, ExprError, Scope, TypeClash};
use crate::column::{Column, Type};
use crate::diag::{Span, and_list, did_you_mean_help};

/// Every function name, for did-you-mean.
pub const FUNCTIONS: &[&str] = &[
    "min",
    "max",
    "abs",
    "ln",
    "log10",
    "sqrt",
    "exp",
    "round",
    "if",
    "is_missing",
    "coalesce",
    "prev",
    "count_true",
    "sum",
    "mean",
    "median",
    "count",
    "share",
];

/// Whether `name(…)` with `argc` arguments is an aggregate function call.
pub(crate) fn is_aggregate_call(name: &str, argc: usize) -> bool {
    match name {
        "sum" | "mean" | "median" | "count" | "share" => true,
        "min" | "max" => argc == 1,
        _ => false,
    }
}

/// A constant value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    Num(f64),
    Bool(Option<bool>),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Math {
    Abs,
    Ln,
    Log10,
    Sqrt,
    /// e to the power x: with `ln`, powers and compound rates (`exp(ln(a / b) / 5) - 1`,
    /// 年均增长率) — beyond SPEC §4's list, which has no power at all.
    Exp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agg {
    Sum,
    Mean,
    Median,
    Min,
    Max,
    Count,
    Share,
}

/// A typed node. Nodes inside an aggregate's argument read member-level slots.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Const(Const),
    /// A column of the env; `ty` is the type the scope promised.
    Slot {
        slot: usize,
        ty: Type,
    },
    Neg(Box<Node>),
    /// `first op₁ x₁ op₂ x₂ …` applied left to right (at least one link): a chain of `+ -`
    /// or `* /` is one node, however long, so evaluating it does not recurse per operator.
    Arith(Box<Node>, Vec<(Arith, Node)>),
    /// Numbers compared with the threshold tolerance (rhs is the threshold).
    CmpNum(Cmp, Box<Node>, Box<Node>),
    /// Text or bool equality (`ne` = `!=`).
    EqText {
        ne: bool,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    EqBool {
        ne: bool,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    /// Kleene `and` (`and = true`) or `or` of at least two operands, left to right. Operands
    /// are conditions (bool, or number: non-zero = true).
    Logic {
        and: bool,
        args: Vec<Node>,
    },
    Not(Box<Node>),
    Math(Math, Box<Node>),
    Round(Box<Node>, u32),
    /// Row-wise min (`max = false`) or max of ≥ 2 numbers.
    MinMax {
        max: bool,
        args: Vec<Node>,
    },
    If {
        cond: Box<Node>,
        then: Box<Node>,
        els: Box<Node>,
        ty: Type,
    },
    IsMissing(Box<Node>),
    Coalesce {
        args: Vec<Node>,
        ty: Type,
    },
    Prev {
        arg: Box<Node>,
        k: u32,
        ty: Type,
    },
    CountTrue(Vec<Node>),
    /// An aggregate over members; `arg` is evaluated on the member env.
    Aggregate {
        kind: Agg,
        arg: Option<Box<Node>>,
    },
}

impl Node {
    /// Direct children.
    pub(super) fn children(&self) -> Vec<&Node> {
        match self {
            Node::Const(_) | Node::Slot { .. } => vec![],
            Node::Neg(a)
            | Node::Not(a)
            | Node::Math(_, a)
            | Node::Round(a, _)
            | Node::IsMissing(a) => {
                vec![a]
            }
            Node::CmpNum(_, a, b)
            | Node::EqText { lhs: a, rhs: b, .. }
            | Node::EqBool { lhs: a, rhs: b, .. } => vec![a, b],
            Node::Arith(first, links) => std::iter::once(first.as_ref())
                .chain(links.iter().map(|(_, n)| n))
                .collect(),
            Node::MinMax { args, .. }
            | Node::Coalesce { args, .. }
            | Node::CountTrue(args)
            | Node::Logic { args, .. } => args.iter().collect(),
            Node::If {
                cond, then, els, ..
            } => vec![cond, then, els],
            Node::Prev { arg, .. } => vec![arg],
            Node::Aggregate { arg, .. } => arg.iter().map(|a| a.as_ref()).collect(),
        }
    }

    /// Replaces a node whose children are all constants by its value (same kernels as at
    /// run time, so folding never changes a result). `prev` and aggregates depend on the
    /// env and are left alone.
    fn fold(self) -> Node {
        if matches!(
            self,
            Node::Const(_) | Node::Slot { .. } | Node::Prev { .. } | Node::Aggregate { .. }
        ) || !self.children().iter().all(|c| matches!(c, Node::Const(_)))
        {
            return self;
        }
        let folded = match eval::eval_node(&self, &EmptyEnv) {
            eval::Val::Num(x) => Some(Const::Num(x)),
            eval::Val::Bool(b) => Some(Const::Bool(b)),
            eval::Val::Text(s) => Some(Const::Text(s.to_string())),
            _ => None,
        };
        match folded {
            Some(c) => Node::Const(c),
            None => self,
        }
    }
}

/// An env with no rows, for constant folding.
struct EmptyEnv;

static EMPTY: Column = Column::Number(Vec::new());

impl Env for EmptyEnv {
    fn rows(&self) -> usize {
        0
    }
    fn column(&self, _slot: usize) -> &Column {
        &EMPTY
    }
}

/// A compiled expression: typed, names replaced by slots, ready to evaluate over columns.
#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) root: Node,
    ty: Type,
    slots: Vec<usize>,
    member_slots: Vec<usize>,
}

impl Program {
    /// The type of the result.
    pub fn ty(&self) -> Type {
        self.ty
    }

    /// Row-level slots used (sorted, without duplicates).
    pub fn slots(&self) -> Vec<usize> {
        self.slots.clone()
    }

    /// Member-level slots used inside aggregate calls (sorted, without duplicates).
    pub fn member_slots(&self) -> Vec<usize> {
        self.member_slots.clone()
    }

    /// A program of one node of another (a `prev()` call the HTML page is given the
    /// values of): its slots are the node's.
    pub(crate) fn of_node(root: Node, ty: Type) -> Program {
        fn slots_in(n: &Node, out: &mut Vec<usize>) {
            match n {
                Node::Slot { slot, .. } => out.push(*slot),
                other => other.children().into_iter().for_each(|c| slots_in(c, out)),
            }
        }
        let mut slots = Vec::new();
        slots_in(&root, &mut slots);
        slots.sort_unstable();
        slots.dedup();
        Program {
            root,
            ty,
            slots,
            member_slots: Vec::new(),
        }
    }

    /// Whether the program is a constant (uses no column, no `prev`, no aggregate).
    pub fn is_constant(&self) -> bool {
        matches!(self.root, Node::Const(_))
    }
}

/// Resolves names and checks types. In [`Context::Row`] aggregate functions are errors.
pub fn compile(expr: &Expr, scope: &dyn Scope, ctx: Context) -> Result<Program, ExprError> {
    let mut c = Checker {
        scope,
        ctx,
        slots: Vec::new(),
        member_slots: Vec::new(),
        in_prev: 0,
    };
    let (root, ty) = c.check(expr, None)?;
    let mut slots = c.slots;
    slots.sort_unstable();
    slots.dedup();
    let mut member_slots = c.member_slots;
    member_slots.sort_unstable();
    member_slots.dedup();
    Ok(Program {
        root,
        ty,
        slots,
        member_slots,
    })
}

/// Like [`compile`], but the result must be usable as a condition (bool or number); text
/// is an error at the whole expression.
pub fn compile_condition(
    expr: &Expr,
    scope: &dyn Scope,
    ctx: Context,
) -> Result<Program, ExprError> {
    let p = compile(expr, scope, ctx)?;
    if p.ty == Type::Text {
        return Err(
            ExprError::new("expected a condition, found text", expr.span)
                .with_help("compare the text with == or !=, e.g. region == '东部'")
                .with_clash(TypeClash::NotCondition),
        );
    }
    Ok(p)
}

struct Checker<'s> {
    scope: &'s dyn Scope,
    ctx: Context,
    /// How many `prev()` calls enclose the node being checked.
    in_prev: u32,
    slots: Vec<usize>,
    member_slots: Vec<usize>,
}

type Checked = Result<(Node, Type), ExprError>;

// The recursive path (check → unary/binary/call → check) is kept in small functions and
// every message is built in a cold function of its own, so that each level of nesting costs
// little stack even in debug builds.

#[cold]
#[inline(never)]
fn type_error(expected: &str, found: Type, span: Span) -> ExprError {
    let clash = if expected == "a condition" {
        TypeClash::NotCondition
    } else {
        TypeClash::NotNumber { found }
    };
    let mut e = ExprError::new(format!("expected {expected}, found {}", found.name()), span)
        .with_clash(clash);
    e.help = match (expected, found) {
        ("a number", Type::Bool) => {
            Some("use if(x, 1, 0) or count_true(x) to turn a condition into a number".into())
        }
        ("a number", Type::Text) => Some("text cannot be used in arithmetic".into()),
        ("a condition", Type::Text) => {
            Some("compare the text with == or !=, e.g. region == '东部'".into())
        }
        _ => None,
    };
    e
}

fn expect_number(ty: Type, span: Span) -> Result<(), ExprError> {
    if ty == Type::Number {
        Ok(())
    } else {
        Err(type_error("a number", ty, span))
    }
}

fn expect_condition(ty: Type, span: Span) -> Result<(), ExprError> {
    if ty == Type::Text {
        Err(type_error("a condition", ty, span))
    } else {
        Ok(())
    }
}

fn article(ty: Type) -> &'static str {
    match ty {
        Type::Number => "a number",
        Type::Bool => "a bool",
        Type::Text => "text",
    }
}

#[cold]
#[inline(never)]
fn mixed_comparison(lt: Type, rt: Type, span: Span) -> ExprError {
    let help = match (lt, rt) {
        (Type::Text, Type::Number) | (Type::Number, Type::Text) => {
            "both sides must have the same type; write a text in quotes: '3'"
        }
        (Type::Bool, _) | (_, Type::Bool) => {
            "both sides must have the same type; compare a bool with true or false"
        }
        _ => "both sides must have the same type",
    };
    ExprError::new(
        format!("cannot compare {} with {}", article(lt), article(rt)),
        span,
    )
    .with_help(help)
    .with_clash(TypeClash::Mismatch {
        left: lt,
        right: rt,
        quoted_number: false,
    })
}

#[cold]
#[inline(never)]
fn ordering_not_numbers(op: BinaryOp, ty: Type, side: &str, span: Span) -> ExprError {
    ExprError::new(
        format!(
            "'{}' needs numbers, found {} on {side}",
            op.symbol(),
            ty.name()
        ),
        span,
    )
    .with_help(format!(
        "{} values can only be compared with == or !=",
        ty.name()
    ))
    .with_clash(TypeClash::NotNumber { found: ty })
}

#[cold]
#[inline(never)]
fn unknown_function(name: &str, span: Span, ctx: Context) -> ExprError {
    let lower = name.to_lowercase();
    // Names of the same function in spreadsheets, SQL and pandas.
    let synonym = match lower.as_str() {
        "avg" | "average" | "averagea" => Some("mean"),
        "iif" | "iff" | "ifelse" | "if_else" | "where" => Some("if"),
        "isnull" | "is_null" | "isna" | "isnan" | "isblank" | "isempty" | "is_empty" => {
            Some("is_missing")
        }
        "ifnull" | "nvl" | "ifna" | "iferror" | "fillna" => Some("coalesce"),
        "lag" | "previous" | "last_year" => Some("prev"),
        "countif" | "counta" => Some("count"),
        "log" => Some("ln' or 'log10"),
        _ => None,
    };
    let help = if matches!(lower.as_str(), "pow" | "power") {
        Some(
            "there is no power function: x to the power y is exp(y * ln(x)) for x > 0 \
             (x * x for a square, sqrt(x) for a root)"
                .into(),
        )
    } else if FUNCTIONS.contains(&lower.as_str()) {
        Some(format!(
            "function names are lower-case: did you mean '{lower}'?"
        ))
    } else if let Some(s) = synonym {
        let members = if is_aggregate_call(s, 1) {
            " (over a cluster's members, in [aggregate] formulas)"
        } else {
            ""
        };
        Some(format!("the function is called '{s}' here{members}"))
    } else {
        did_you_mean_help(name, FUNCTIONS.iter().copied())
    };
    // Without a near name, the functions on offer (aggregate ones only where they are allowed).
    let help = help.or_else(|| Some(function_list(ctx)));
    ExprError {
        message: format!("unknown function '{name}'"),
        span,
        help,
        clash: None,
    }
}

/// The functions an expression may call, for the help of an unknown function.
fn function_list(ctx: Context) -> String {
    let row: Vec<&str> = FUNCTIONS
        .iter()
        .copied()
        .filter(|f| !is_aggregate_call(f, 2))
        .collect();
    let aggregate: Vec<&str> = FUNCTIONS
        .iter()
        .copied()
        .filter(|f| is_aggregate_call(f, 2))
        .collect();
    match ctx {
        Context::Row => format!(
            "the functions are {} ({} are aggregate functions, for [aggregate] formulas)",
            and_list(&row),
            and_list(&aggregate)
        ),
        Context::Aggregate => format!(
            "the functions are {}; the aggregate functions over a cluster's members are {} \
             (and min, max of one argument)",
            and_list(&row),
            and_list(&aggregate)
        ),
    }
}

#[cold]
#[inline(never)]
fn arity_error(name: &str, expected: &str, found: usize, span: Span) -> ExprError {
    ExprError::new(
        format!(
            "`{name}` takes {expected}, found {found} argument{}",
            if found == 1 { "" } else { "s" }
        ),
        span,
    )
}

#[cold]
#[inline(never)]
fn aggregate_in_row(name: &str, span: Span) -> ExprError {
    let minmax = matches!(name, "min" | "max");
    let what = if minmax {
        format!("`{name}` with one argument is an aggregate function")
    } else {
        format!("`{name}` is an aggregate function")
    };
    let e = ExprError::new(
        format!("{what}; aggregate functions are only allowed in `aggregate` expressions"),
        span,
    );
    if minmax {
        e.with_help(format!(
            "`{name}` of values on the same row takes at least two arguments"
        ))
    } else {
        e
    }
}

#[cold]
#[inline(never)]
fn nested_aggregate(name: &str, outer: &str, span: Span) -> ExprError {
    ExprError::new(
        format!("aggregate functions cannot be nested: `{name}` inside `{outer}`"),
        span,
    )
}

#[cold]
#[inline(never)]
fn same_type_error(what: &str, first: Type, this: Type, span: Span) -> ExprError {
    ExprError::new(
        format!(
            "the {what} must have the same type: the first is {}, this one is {}",
            first.name(),
            this.name()
        ),
        span,
    )
    .with_clash(TypeClash::Mismatch {
        left: first,
        right: this,
        quoted_number: false,
    })
}

#[cold]
#[inline(never)]
fn literal_error(message: &str, help: &str, span: Span) -> ExprError {
    ExprError::new(message, span).with_help(help)
}

#[cold]
#[inline(never)]
fn resolve_error(err: super::ResolveError, name: &str, quoted: bool, span: Span) -> ExprError {
    let mut help = err.help;
    if help.is_none() && !quoted {
        let lower = name.to_lowercase();
        if ["and", "or", "not", "true", "false"].contains(&lower.as_str()) {
            help = Some(format!("keywords are lower-case: write '{lower}'"));
        }
    }
    ExprError {
        message: err.message,
        span,
        help,
        clash: None,
    }
}

/// A call being checked.
struct Call<'e, 'o> {
    name: &'e str,
    args: &'e [Expr],
    span: Span,
    /// The enclosing aggregate when inside one's argument.
    agg: Option<&'o str>,
}

impl Call<'_, '_> {
    fn arity(&self, expected: &str) -> ExprError {
        arity_error(self.name, expected, self.args.len(), self.span)
    }
}

impl Checker<'_> {
    /// `agg` = name of the enclosing aggregate call when checking its argument (member level).
    fn check(&mut self, e: &Expr, agg: Option<&str>) -> Checked {
        match &e.kind {
            ExprKind::Number(v) => Ok((Node::Const(Const::Num(*v)), Type::Number)),
            ExprKind::Text(s) => Ok((Node::Const(Const::Text(s.clone())), Type::Text)),
            ExprKind::Bool(b) => Ok((Node::Const(Const::Bool(Some(*b))), Type::Bool)),
            ExprKind::Name { name, quoted } => self.name(name, *quoted, e.span, agg),
            ExprKind::Unary { op, expr } => self.unary(*op, expr, agg),
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, agg),
            ExprKind::Chain { first, rest } => self.chain(first, rest, agg),
            ExprKind::Call {
                name,
                name_span,
                args,
            } => self.call(name, *name_span, args, e.span, agg),
        }
    }

    #[inline(never)]
    fn name(&mut self, name: &str, quoted: bool, span: Span, agg: Option<&str>) -> Checked {
        let r = if agg.is_some() {
            self.scope.resolve_member(name, quoted)
        } else if self.in_prev > 0 {
            self.scope.resolve_prev(name, quoted)
        } else {
            self.scope.resolve(name, quoted)
        };
        match r {
            Ok(res) => {
                if agg.is_some() {
                    self.member_slots.push(res.slot);
                } else {
                    self.slots.push(res.slot);
                }
                Ok((
                    Node::Slot {
                        slot: res.slot,
                        ty: res.ty,
                    },
                    res.ty,
                ))
            }
            Err(err) => Err(resolve_error(err, name, quoted, span)),
        }
    }

    #[inline(never)]
    fn unary(&mut self, op: UnaryOp, expr: &Expr, agg: Option<&str>) -> Checked {
        let (n, ty) = self.check(expr, agg)?;
        match op {
            UnaryOp::Neg => {
                expect_number(ty, expr.span)?;
                Ok((Node::Neg(Box::new(n)).fold(), Type::Number))
            }
            UnaryOp::Not => {
                expect_condition(ty, expr.span)?;
                Ok((Node::Not(Box::new(n)).fold(), Type::Bool))
            }
        }
    }

    #[inline(never)]
    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, agg: Option<&str>) -> Checked {
        let l = self.check(lhs, agg)?;
        let r = self.check(rhs, agg)?;
        typed_binary(op, l, r, lhs.span, rhs.span)
    }

    /// A chain, by a loop: operands are checked and typed in the order a left-deep tree of
    /// binary operators would be (so the first error is the same), and successive links
    /// extend one node.
    #[inline(never)]
    fn chain(&mut self, first: &Expr, rest: &[(BinaryOp, Expr)], agg: Option<&str>) -> Checked {
        let mut acc = self.check(first, agg)?;
        for (k, (op, rhs)) in rest.iter().enumerate() {
            let r = self.check(rhs, agg)?;
            acc = if k == 0 {
                typed_binary(*op, acc, r, first.span, rhs.span)?
            } else {
                let acc_span = Span::new(first.span.start, rest[k - 1].1.span.end);
                extend_chain(*op, acc, r, acc_span, rhs.span)?
            };
        }
        Ok(acc)
    }

    /// Checks each argument; `want` says what each must be.
    fn args(&mut self, c: &Call, want: Want) -> Result<Vec<(Node, Type)>, ExprError> {
        let mut out = Vec::with_capacity(c.args.len());
        for a in c.args {
            let (node, ty) = self.check(a, c.agg)?;
            match want {
                Want::Number => expect_number(ty, a.span)?,
                Want::Condition => expect_condition(ty, a.span)?,
                Want::Any => {}
            }
            out.push((node, ty));
        }
        Ok(out)
    }

    #[inline(never)]
    fn call(
        &mut self,
        name: &str,
        name_span: Span,
        args: &[Expr],
        span: Span,
        agg: Option<&str>,
    ) -> Checked {
        if !FUNCTIONS.contains(&name) {
            return Err(unknown_function(name, name_span, self.ctx));
        }
        let n = args.len();
        let c = Call {
            name,
            args,
            span,
            agg,
        };
        if is_aggregate_call(name, n) {
            if self.ctx == Context::Row {
                return Err(aggregate_in_row(name, name_span));
            }
            if let Some(outer) = agg {
                return Err(nested_aggregate(name, outer, name_span));
            }
            return self.aggregate(&c);
        }
        match name {
            "min" | "max" => self.min_max(&c),
            "abs" | "ln" | "log10" | "sqrt" | "exp" => self.math(&c),
            "round" => self.round(&c),
            "if" => self.if_(&c),
            "is_missing" => {
                if n != 1 {
                    return Err(c.arity("1 argument"));
                }
                let (node, _) = self.check(&args[0], agg)?;
                Ok((Node::IsMissing(Box::new(node)).fold(), Type::Bool))
            }
            "coalesce" => self.coalesce(&c),
            "prev" => self.prev(&c),
            "count_true" => {
                if n < 1 {
                    return Err(c.arity("at least 1 argument"));
                }
                let nodes = self.args(&c, Want::Condition)?;
                let nodes = nodes.into_iter().map(|(n, _)| n).collect();
                Ok((Node::CountTrue(nodes).fold(), Type::Number))
            }
            // Aggregate names with a row-level arity (e.g. `count` with 2 arguments): the
            // aggregate's own arity check reports them.
            _ => self.aggregate(&c),
        }
    }

    #[inline(never)]
    fn min_max(&mut self, c: &Call) -> Checked {
        if c.args.len() < 2 {
            let top = self.ctx == Context::Aggregate && c.agg.is_none();
            return Err(c.arity(if top {
                "1 argument (the aggregate over members) or at least 2"
            } else {
                "at least 2 arguments"
            }));
        }
        let args = self.args(c, Want::Number)?;
        let args = args.into_iter().map(|(n, _)| n).collect();
        let max = c.name == "max";
        Ok((Node::MinMax { max, args }.fold(), Type::Number))
    }

    #[inline(never)]
    fn math(&mut self, c: &Call) -> Checked {
        if c.args.len() != 1 {
            return Err(c.arity("1 argument"));
        }
        let (node, _) = self.args(c, Want::Number)?.pop().expect("one argument");
        let m = match c.name {
            "abs" => Math::Abs,
            "ln" => Math::Ln,
            "log10" => Math::Log10,
            "exp" => Math::Exp,
            _ => Math::Sqrt,
        };
        Ok((Node::Math(m, Box::new(node)).fold(), Type::Number))
    }

    #[inline(never)]
    fn round(&mut self, c: &Call) -> Checked {
        if c.args.len() != 2 {
            return Err(c.arity("2 arguments: round(x, decimals)"));
        }
        let (node, ty) = self.check(&c.args[0], c.agg)?;
        expect_number(ty, c.args[0].span)?;
        let d = match c.args[1].kind {
            ExprKind::Number(v) if v.fract() == 0.0 && (0.0..=10.0).contains(&v) => v as u32,
            _ => {
                return Err(literal_error(
                    "the number of decimals must be a whole number from 0 to 10",
                    "write it as a literal, e.g. round(x, 2)",
                    c.args[1].span,
                ));
            }
        };
        Ok((Node::Round(Box::new(node), d).fold(), Type::Number))
    }

    #[inline(never)]
    fn if_(&mut self, c: &Call) -> Checked {
        if c.args.len() != 3 {
            return Err(c.arity("3 arguments: if(condition, then, else)"));
        }
        let (cond, ct) = self.check(&c.args[0], c.agg)?;
        expect_condition(ct, c.args[0].span)?;
        let (a, at) = self.check(&c.args[1], c.agg)?;
        let (b, bt) = self.check(&c.args[2], c.agg)?;
        if at != bt {
            return Err(same_type_error("branches of `if`", at, bt, c.args[2].span));
        }
        let node = Node::If {
            cond: Box::new(cond),
            then: Box::new(a),
            els: Box::new(b),
            ty: at,
        };
        Ok((node.fold(), at))
    }

    #[inline(never)]
    fn coalesce(&mut self, c: &Call) -> Checked {
        if c.args.is_empty() {
            return Err(c.arity("at least 1 argument"));
        }
        let checked = self.args(c, Want::Any)?;
        let ty = checked[0].1;
        if let Some(i) = checked.iter().position(|(_, t)| *t != ty) {
            let span = c.args[i].span;
            return Err(same_type_error(
                "arguments of `coalesce`",
                ty,
                checked[i].1,
                span,
            ));
        }
        let args = checked.into_iter().map(|(n, _)| n).collect();
        Ok((Node::Coalesce { args, ty }.fold(), ty))
    }

    #[inline(never)]
    fn prev(&mut self, c: &Call) -> Checked {
        let n = c.args.len();
        if n != 1 && n != 2 {
            return Err(c.arity("1 or 2 arguments: prev(x) or prev(x, years)"));
        }
        self.in_prev += 1;
        let checked = self.check(&c.args[0], c.agg);
        self.in_prev -= 1;
        let (node, ty) = checked?;
        let k = match c.args.get(1).map(|a| &a.kind) {
            None => 1,
            Some(ExprKind::Number(v))
                if v.fract() == 0.0 && *v >= 1.0 && *v <= super::MAX_PREV_YEARS as f64 =>
            {
                *v as u32
            }
            Some(ExprKind::Number(v)) if v.fract() == 0.0 && *v > super::MAX_PREV_YEARS as f64 => {
                return Err(literal_error(
                    &format!("`prev` looks back at most {} years", super::MAX_PREV_YEARS),
                    "use a smaller number of years",
                    c.args[1].span,
                ));
            }
            Some(_) => {
                return Err(literal_error(
                    "the number of years of `prev` must be a positive whole number",
                    "write it as a literal, e.g. prev(x, 2)",
                    c.args[1].span,
                ));
            }
        };
        let arg = Box::new(node);
        Ok((Node::Prev { arg, k, ty }, ty))
    }

    #[inline(never)]
    fn aggregate(&mut self, c: &Call) -> Checked {
        let n = c.args.len();
        let kind = match c.name {
            "sum" => Agg::Sum,
            "mean" => Agg::Mean,
            "median" => Agg::Median,
            "min" => Agg::Min,
            "max" => Agg::Max,
            "count" => Agg::Count,
            _ => Agg::Share,
        };
        match kind {
            Agg::Count if n > 1 => {
                return Err(c.arity("0 or 1 arguments: count() or count(condition)"));
            }
            Agg::Share if n != 1 => return Err(c.arity("1 argument: share(condition)")),
            Agg::Count | Agg::Share => {}
            _ if n != 1 => return Err(c.arity("1 argument")),
            _ => {}
        }
        let arg = match c.args.first() {
            None => None,
            Some(a) => {
                let (node, ty) = self.check(a, Some(c.name))?;
                if matches!(kind, Agg::Count | Agg::Share) {
                    expect_condition(ty, a.span)?;
                } else if ty == Type::Bool {
                    // `sum(tier == 'zjtx')`: members meeting a condition are counted.
                    return Err(type_error("a number", ty, a.span).with_help(format!(
                        "{0}() takes numbers; to count the members for which the condition \
                         holds, write count(…) in place of {0}(…) (share(…) for their fraction)",
                        c.name
                    )));
                } else {
                    expect_number(ty, a.span)?;
                }
                Some(Box::new(node))
            }
        };
        Ok((Node::Aggregate { kind, arg }, Type::Number))
    }
}

fn arith(op: BinaryOp) -> Arith {
    match op {
        BinaryOp::Add => Arith::Add,
        BinaryOp::Sub => Arith::Sub,
        BinaryOp::Mul => Arith::Mul,
        _ => Arith::Div,
    }
}

/// `acc op r` where `acc` is the chain built so far: appended to its node when that node is
/// still an open chain of the same kind (a constant prefix has been folded away, so this
/// never misses a fold), otherwise as [`typed_binary`].
fn extend_chain(op: BinaryOp, acc: (Node, Type), r: (Node, Type), ls: Span, rs: Span) -> Checked {
    match (acc, r) {
        ((Node::Arith(first, mut links), Type::Number), (r, rt)) if op.is_arithmetic() => {
            expect_number(rt, rs)?;
            links.push((arith(op), r));
            Ok((Node::Arith(first, links), Type::Number))
        }
        ((Node::Logic { and, mut args }, Type::Bool), (r, rt))
            if (op == BinaryOp::And) == and && matches!(op, BinaryOp::And | BinaryOp::Or) =>
        {
            expect_condition(rt, rs)?;
            args.push(r);
            Ok((Node::Logic { and, args }, Type::Bool))
        }
        (acc, r) => typed_binary(op, acc, r, ls, rs),
    }
}

/// A side of a comparison that is a number in quotes (`'100'`), as the expression language
/// writes numbers (not `inf` or `NaN`).
fn quoted_number<'n>(l: &'n Node, r: &'n Node) -> Option<&'n str> {
    [l, r].into_iter().find_map(|n| match n {
        Node::Const(Const::Text(t))
            if t.trim().parse::<f64>().is_ok_and(f64::is_finite)
                && t.trim()
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b".+-eE".contains(&b)) =>
        {
            Some(t.as_str())
        }
        _ => None,
    })
}

fn quoted_number_help(t: &str) -> String {
    format!(
        "'{t}' is text because of its quotes; compare a number with a number: write {} without quotes",
        t.trim()
    )
}

/// The node of a binary operator over checked operands.
#[inline(never)]
fn typed_binary(op: BinaryOp, l: (Node, Type), r: (Node, Type), ls: Span, rs: Span) -> Checked {
    let ((l, lt), (r, rt)) = (l, r);
    if op.is_arithmetic() {
        // A quoted text in arithmetic (`rd / '销售收入（万元）'`): a column name in the wrong
        // quotes, most likely.
        let in_backticks = |n: &Node, e: ExprError| match n {
            Node::Const(Const::Text(t)) if !t.trim().is_empty() => e.with_help(format!(
                "text cannot be used in arithmetic; a data column is written in backticks: `{t}`"
            )),
            _ => e,
        };
        expect_number(lt, ls).map_err(|e| in_backticks(&l, e))?;
        expect_number(rt, rs).map_err(|e| in_backticks(&r, e))?;
        let node = Node::Arith(Box::new(l), vec![(arith(op), r)]);
        return Ok((node.fold(), Type::Number));
    }
    if matches!(op, BinaryOp::And | BinaryOp::Or) {
        expect_condition(lt, ls)?;
        expect_condition(rt, rs)?;
        let node = Node::Logic {
            and: op == BinaryOp::And,
            args: vec![l, r],
        };
        return Ok((node.fold(), Type::Bool));
    }
    let (l, r) = (Box::new(l), Box::new(r));
    let node = {
        let cmp = match op {
            BinaryOp::Eq => Cmp::Eq,
            BinaryOp::Ne => Cmp::Ne,
            BinaryOp::Lt => Cmp::Lt,
            BinaryOp::Le => Cmp::Le,
            BinaryOp::Gt => Cmp::Gt,
            _ => Cmp::Ge,
        };
        // `<` and the like need numbers on both sides: a text or yes/no side is the error
        // whatever the other side holds (`t < 'y'` is not "a number compared with text" when
        // `t` is guessed a number in `check`).
        if !matches!(cmp, Cmp::Eq | Cmp::Ne) && (lt != Type::Number || rt != Type::Number) {
            let (ty, side, span) = if lt == rt {
                (lt, "both sides", Span::new(ls.start, rs.end))
            } else if lt != Type::Number {
                (lt, "its left side", ls)
            } else {
                (rt, "its right side", rs)
            };
            let mut e = ordering_not_numbers(op, ty, side, span);
            // `revenue >= '100'`: the quotes made the number text.
            if lt != rt
                && let Some(t) = quoted_number(&l, &r)
            {
                e.help = Some(quoted_number_help(t));
            }
            return Err(e);
        }
        if lt != rt {
            let mut e = mixed_comparison(lt, rt, rs);
            // Say which side to change: a number in quotes (`incidents == '0'`) loses its
            // quotes; a number compared with text (a category) is quoted.
            let bare_number = [&*l, &*r].into_iter().find_map(|n| match n {
                Node::Const(Const::Num(x)) => Some(*x),
                _ => None,
            });
            if let Some(t) = quoted_number(&l, &r)
                && (lt == Type::Number || rt == Type::Number)
            {
                e.clash = Some(TypeClash::Mismatch {
                    left: lt,
                    right: rt,
                    quoted_number: true,
                });
                e.help = Some(quoted_number_help(t));
            } else if let Some(x) = bare_number
                && (lt == Type::Text || rt == Type::Text)
            {
                e.help = Some(format!(
                    "the other side is text (a category or a text column); compare it with a text in quotes: '{}'",
                    crate::column::format_number(x)
                ));
            }
            return Err(e);
        }
        let ne = cmp == Cmp::Ne;
        match lt {
            Type::Number => Node::CmpNum(cmp, l, r),
            Type::Text => Node::EqText { ne, lhs: l, rhs: r },
            Type::Bool => Node::EqBool { ne, lhs: l, rhs: r },
        }
    };
    Ok((node.fold(), Type::Bool))
}

#[derive(Clone, Copy)]
enum Want {
    Number,
    Condition,
    Any,
}
