//! A compiled expression as JavaScript, for the HTML report's live re-weighting: conditions
//! that read scores (tier `requires`/`direct`, capping gates, adjustments) are evaluated
//! again in the browser when a slider moves. The emitted code calls the helpers `X.*` of
//! `report.js`, which follow `eval.rs` value for value: numbers with NaN for missing (any
//! non-finite result is missing), booleans with `null` for missing, Kleene logic, the
//! threshold tolerance on the right-hand side. `V(slot)` reads a slot of the current entity.
//! Written by hand: it is a second back end of the product's own expression language.

use super::check::{Arith, Cmp, Const, Math, Node, Program};
use crate::column::Type;

/// JavaScript for `p`, or `None` when it uses what the page cannot evaluate (`prev`,
/// aggregates over members).
pub fn to_js(p: &Program) -> Option<String> {
    node(&p.root)
}

fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        // Debug prints the shortest digits that read back as `x` ("0.1", "1e300"); in
        // parentheses, so that `a - -3` does not become `a--3`.
        format!("({x:?})")
    }
}

fn list(args: &[Node]) -> Option<String> {
    let parts: Option<Vec<String>> = args.iter().map(node).collect();
    Some(format!("[{}]", parts?.join(",")))
}

fn node(n: &Node) -> Option<String> {
    Some(match n {
        Node::Const(Const::Num(x)) => number(*x),
        Node::Const(Const::Bool(b)) => match b {
            Some(true) => "true".into(),
            Some(false) => "false".into(),
            None => "null".into(),
        },
        Node::Const(Const::Text(s)) => serde_json::to_string(s).ok()?,
        Node::Slot { slot, ty } => match ty {
            Type::Number => format!("X.num(V({slot}))"),
            _ => format!("V({slot})"),
        },
        Node::Neg(a) => format!("(-{})", node(a)?),
        Node::Arith(first, links) => {
            let mut acc = node(first)?;
            for (op, b) in links {
                let op = match op {
                    Arith::Add => "+",
                    Arith::Sub => "-",
                    Arith::Mul => "*",
                    Arith::Div => "/",
                };
                acc = format!("X.fin({acc}{op}{})", node(b)?);
            }
            acc
        }
        Node::CmpNum(c, a, b) => {
            let op = match c {
                Cmp::Eq => "eq",
                Cmp::Ne => "ne",
                Cmp::Lt => "lt",
                Cmp::Le => "le",
                Cmp::Gt => "gt",
                Cmp::Ge => "ge",
            };
            format!("X.cmp(\"{op}\",{},{})", node(a)?, node(b)?)
        }
        Node::EqText { ne, lhs, rhs } | Node::EqBool { ne, lhs, rhs } => {
            format!("X.same({ne},{},{})", node(lhs)?, node(rhs)?)
        }
        Node::Logic { and, args } => format!("X.logic({and},{})", list(args)?),
        Node::Not(a) => format!("X.not({})", node(a)?),
        Node::Math(m, a) => {
            let f = match m {
                Math::Abs => "abs",
                Math::Ln => "ln",
                Math::Log10 => "log10",
                Math::Sqrt => "sqrt",
            };
            format!("X.math(\"{f}\",{})", node(a)?)
        }
        Node::Round(a, d) => format!("X.round({},{d})", node(a)?),
        Node::MinMax { max, args } => format!("X.minmax({max},{})", list(args)?),
        Node::If {
            cond, then, els, ..
        } => format!(
            "(X.truth({})===true?{}:{})",
            node(cond)?,
            node(then)?,
            node(els)?
        ),
        Node::IsMissing(a) => format!("X.missing({})", node(a)?),
        Node::Coalesce { args, .. } => format!("X.coalesce({})", list(args)?),
        Node::CountTrue(args) => format!("X.countTrue({})", list(args)?),
        Node::Prev { .. } | Node::Aggregate { .. } => return None,
    })
}
