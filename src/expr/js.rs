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
    node(&p.root, &mut |_| None)
}

/// A condition as the page evaluates it: its JavaScript, the `prev()` calls the caller
/// evaluates and ships as slots `p<first>`, `p<first + 1>`, …, and the slots the
/// JavaScript reads itself (those read only inside a `prev()` are not among them).
pub struct PageCondition {
    pub js: String,
    pub prev_calls: Vec<Program>,
    pub slots: Vec<usize>,
}

/// [`to_js`] where each `prev(…)` call whose argument reads none of the slots in `moving`
/// (those that move with the weights: scores) is read from the page's data: it becomes
/// `V("pK")`, K = `first` + its place in [`PageCondition::prev_calls`]. An earlier year's
/// data does not move with the weights, so the page can evaluate the rest of the condition
/// again. `None` as for [`to_js`] otherwise.
pub fn to_js_reading_prev(p: &Program, moving: &[usize], first: usize) -> Option<PageCondition> {
    let mut prev_calls: Vec<Program> = Vec::new();
    let js = node(&p.root, &mut |n| {
        let Node::Prev { ty, .. } = n else {
            return None;
        };
        let call = Program::of_node(n.clone(), *ty);
        if call.slots().iter().any(|s| moving.contains(s)) {
            return None;
        }
        let key = format!("V(\"p{}\")", first + prev_calls.len());
        prev_calls.push(call);
        Some(match ty {
            Type::Number => format!("X.num({key})"),
            _ => key,
        })
    })?;
    let mut leaves = Vec::new();
    super::eval::collect_leaves(&p.root, &mut leaves);
    let mut slots: Vec<usize> = leaves
        .iter()
        .filter_map(|l| match l {
            Node::Slot { slot, .. } => Some(*slot),
            _ => None,
        })
        .collect();
    slots.sort_unstable();
    slots.dedup();
    Some(PageCondition {
        js,
        prev_calls,
        slots,
    })
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

/// What stands for a node the page cannot evaluate itself (`prev`, aggregates): its
/// JavaScript, or `None` (the whole condition is then not written).
type Outside<'a> = dyn FnMut(&Node) -> Option<String> + 'a;

fn list(args: &[Node], outside: &mut Outside<'_>) -> Option<String> {
    let parts: Option<Vec<String>> = args.iter().map(|a| node(a, outside)).collect();
    Some(format!("[{}]", parts?.join(",")))
}

fn node(n: &Node, outside: &mut Outside<'_>) -> Option<String> {
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
        Node::Neg(a) => format!("(-{})", node(a, outside)?),
        Node::Arith(first, links) => {
            let mut acc = node(first, outside)?;
            for (op, b) in links {
                let op = match op {
                    Arith::Add => "+",
                    Arith::Sub => "-",
                    Arith::Mul => "*",
                    Arith::Div => "/",
                };
                acc = format!("X.fin({acc}{op}{})", node(b, outside)?);
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
            format!(
                "X.cmp(\"{op}\",{},{})",
                node(a, outside)?,
                node(b, outside)?
            )
        }
        Node::EqText { ne, lhs, rhs } | Node::EqBool { ne, lhs, rhs } => {
            format!(
                "X.same({ne},{},{})",
                node(lhs, outside)?,
                node(rhs, outside)?
            )
        }
        Node::Logic { and, args } => format!("X.logic({and},{})", list(args, outside)?),
        Node::Not(a) => format!("X.not({})", node(a, outside)?),
        Node::Math(m, a) => {
            let f = match m {
                Math::Abs => "abs",
                Math::Ln => "ln",
                Math::Log10 => "log10",
                Math::Sqrt => "sqrt",
                Math::Exp => "exp",
            };
            format!("X.math(\"{f}\",{})", node(a, outside)?)
        }
        Node::Round(a, d) => format!("X.round({},{d})", node(a, outside)?),
        Node::MinMax { max, args } => format!("X.minmax({max},{})", list(args, outside)?),
        Node::If {
            cond, then, els, ..
        } => format!(
            "(X.truth({})===true?{}:{})",
            node(cond, outside)?,
            node(then, outside)?,
            node(els, outside)?
        ),
        Node::IsMissing(a) => format!("X.missing({})", node(a, outside)?),
        Node::Coalesce { args, .. } => format!("X.coalesce({})", list(args, outside)?),
        Node::CountTrue(args) => format!("X.countTrue({})", list(args, outside)?),
        Node::Prev { .. } | Node::Aggregate { .. } => return outside(n),
    })
}
