//! Columnar evaluation: each node is computed over whole columns by a kernel, never by
//! interpreting the tree row by row.
//!
//! Values flow as [`Val`]: a scalar (literals and folded constants stay scalars, so `x * 100`
//! never materialises a column of 100s), a column borrowed from the env (no copy) or an
//! owned column (reused in place by the next kernel when possible).

use std::borrow::Cow;
use std::collections::HashMap;

use super::Env;
use super::check::{Agg, Arith, Cmp, Const, Math, Node, Program};
use crate::column::{Column, TextColumn, Type};
use crate::num;

/// An intermediate value.
pub(crate) enum Val<'a> {
    /// A number for every row (`NaN` = missing).
    Num(f64),
    /// A condition for every row.
    Bool(Option<bool>),
    /// A text for every row.
    Text(&'a str),
    /// A column of the env.
    Col(&'a Column),
    /// A computed column.
    Own(Column),
}

impl Program {
    /// Evaluates over all rows of `env`: one column of `env.rows()` values of type
    /// [`Program::ty`].
    pub fn eval(&self, env: &dyn Env) -> Column {
        let n = env.rows();
        into_column(eval_node(&self.root, env), n, self.ty())
    }

    /// The result as a three-valued condition (numbers: non-zero = true; `None` = missing,
    /// which callers count as false). Text gives `None` everywhere (use
    /// [`compile_condition`](super::compile_condition) to reject it up front).
    pub fn eval_condition(&self, env: &dyn Env) -> Vec<Option<bool>> {
        let n = env.rows();
        let mut v = match truth(eval_node(&self.root, env)) {
            Truth::S(b) => vec![b; n],
            Truth::V(c) => c.into_owned(),
        };
        v.resize(n, None);
        v
    }
}

impl Program {
    /// Whether the program compares values anywhere: only then can a comparison with a
    /// missing operand (false, SPEC §4) decide something the known values did not.
    pub fn has_comparison(&self) -> bool {
        fn walk(n: &Node) -> bool {
            matches!(
                n,
                Node::CmpNum(..) | Node::EqText { .. } | Node::EqBool { .. }
            ) || n.children().into_iter().any(walk)
        }
        walk(&self.root)
    }

    /// The condition with comparisons of missing values left unknown (see
    /// [`Traced`](super::Traced)): `None` where a missing value decided it.
    pub fn eval_condition_traced(&self, env: &dyn Env) -> Vec<Option<bool>> {
        self.eval_condition(&super::Traced::new(env))
    }

    /// The rows whose result was decided by a comparison with a missing value: a value here,
    /// missing or another value in the traced reading. `None` when there are none.
    pub fn decided_by_missing_comparison(
        &self,
        env: &dyn Env,
        result: &Column,
    ) -> Option<Vec<bool>> {
        if !self.has_comparison() {
            return None;
        }
        let traced = self.eval(&super::Traced::new(env));
        // Missing in the traced reading, or another value there (`coalesce(a > 2, true)`).
        let hit: Vec<bool> = (0..env.rows())
            .map(|i| !result.is_missing(i) && !same_value(&traced, result, i))
            .collect();
        hit.contains(&true).then_some(hit)
    }

    /// The rows for which an `if()` they reach had its condition decided by a missing value
    /// (missing in the traced reading; SPEC §4 counts those in the warnings);
    /// `None` when no row has one. Only programs with an `if()` evaluate anything here:
    /// each condition once more, over whole columns. (Conditions inside an aggregate's or
    /// `prev`'s argument are evaluated on other rows and are not traced.)
    pub fn missing_if_conditions(&self, env: &dyn Env) -> Option<Vec<bool>> {
        self.undecided_where_reached(env, &|n| matches!(n, Node::If { .. }), &|n| match n {
            Node::If { cond, .. } => vec![&**cond],
            _ => Vec::new(),
        })
    }

    /// The rows for which a `count_true()` they reach counted a condition a missing value
    /// left undecided (missing in the traced reading) as not true; `None` when none did. A
    /// `count_true()` in an `if()` branch counts only for the rows that take the branch.
    /// Only programs with a `count_true()` evaluate anything here.
    pub fn missing_count_true(&self, env: &dyn Env) -> Option<Vec<bool>> {
        self.undecided_where_reached(env, &|n| matches!(n, Node::CountTrue(_)), &|n| match n {
            Node::CountTrue(args) => args.iter().collect(),
            _ => Vec::new(),
        })
    }

    /// The rows that reach a node `wanted` picks and for which one of its `conditions` is
    /// left undecided by a missing value (missing in the traced reading); `None` when no row
    /// is, or no node is picked (then nothing is evaluated).
    fn undecided_where_reached(
        &self,
        env: &dyn Env,
        wanted: &dyn Fn(&Node) -> bool,
        conditions: &dyn Fn(&Node) -> Vec<&Node>,
    ) -> Option<Vec<bool>> {
        if !contains(&self.root, wanted) {
            return None;
        }
        let traced = super::Traced::new(env);
        let mut hit = vec![false; env.rows()];
        visit_reached(
            &self.root,
            env,
            &vec![true; env.rows()],
            wanted,
            &mut |node, reach| {
                for cond in conditions(node) {
                    let t = truth(eval_node(cond, &traced));
                    mark(&mut hit, reach, |i| t.at(i).is_none());
                }
            },
        );
        hit.contains(&true).then_some(hit)
    }
}

impl Program {
    /// The rows whose member aggregates skipped a member without a value: `sum`, `mean`,
    /// `median`, `min` or `max` over the members that have one, while some had none (all
    /// missing gives a missing result, which the missing policy records). `None` when no
    /// row has one, or outside `[aggregate]`. (`count(cond)` and `share(cond)` count the
    /// members whose condition holds, as SPEC §4 defines them: nothing is left out.) An
    /// aggregate under `prev()` is judged on the earlier year's members, which it reads.
    pub fn aggregate_skipped_missing(&self, env: &dyn Env) -> Option<Vec<bool>> {
        let skips = |n: &Node| matches!(n, Node::Aggregate { kind, arg: Some(_) } if !matches!(kind, Agg::Count | Agg::Share));
        if !contains_anywhere(&self.root, &skips) {
            return None;
        }
        let (menv, groups) = env.members()?;
        let hit = skipped_rows(&self.root, env, menv, groups);
        hit.contains(&true).then_some(hit)
    }

    /// The rows whose `count(cond)` or `share(cond)` counted a member as not meeting `cond`
    /// because a missing number or yes/no value left the condition open (missing in the
    /// traced reading): an unreported member is not a member that does not qualify (SPEC §4
    /// counts those in the warnings). A missing text compared stays false here: an empty
    /// `tier` cell in the chained workflow is an untiered enterprise. `None` when no row
    /// has one, or outside `[aggregate]`. Under `prev()`, judged on the earlier year.
    pub fn aggregate_counted_missing(&self, env: &dyn Env) -> Option<Vec<bool>> {
        if !contains_anywhere(&self.root, &is_counted) {
            return None;
        }
        let (menv, groups) = env.members()?;
        let hit = counted_rows(&self.root, env, menv, groups);
        hit.contains(&true).then_some(hit)
    }
}

/// `count(cond)` or `share(cond)`: aggregates that count members meeting a condition.
fn is_counted(n: &Node) -> bool {
    matches!(
        n,
        Node::Aggregate {
            kind: Agg::Count | Agg::Share,
            arg: Some(_)
        }
    )
}

/// Whether `node` holds a node `wanted` picks anywhere, `prev()` arguments included.
fn contains_anywhere(node: &Node, wanted: &dyn Fn(&Node) -> bool) -> bool {
    wanted(node)
        || node
            .children()
            .into_iter()
            .any(|c| contains_anywhere(c, wanted))
}

/// `hit` read `k` years earlier: row i takes the flag of its entity's row k years before
/// (none: false), as `prev()` takes that row's value.
fn flags_years_back(hit: &[bool], env: &dyn Env, k: u32) -> Vec<bool> {
    let Some(map) = env.prev_rows(k) else {
        return vec![false; env.rows()];
    };
    (0..env.rows())
        .map(|i| {
            map.get(i)
                .is_some_and(|&r| r != u32::MAX && hit.get(r as usize) == Some(&true))
        })
        .collect()
}

/// [`Program::aggregate_skipped_missing`] of the subtree `node`, per row.
fn skipped_rows(node: &Node, env: &dyn Env, menv: &dyn Env, groups: &[u32]) -> Vec<bool> {
    let n = env.rows();
    match node {
        Node::Aggregate {
            kind,
            arg: Some(arg),
        } if !matches!(kind, Agg::Count | Agg::Share) => {
            let x = nums(eval_node(arg, menv));
            let (mut missing, mut present) = (vec![false; n], vec![false; n]);
            for (i, &g) in groups.iter().enumerate() {
                let g = g as usize;
                if g < n {
                    if x.at(i).is_nan() {
                        missing[g] = true;
                    } else {
                        present[g] = true;
                    }
                }
            }
            missing
                .iter()
                .zip(&present)
                .map(|(m, p)| *m && *p)
                .collect()
        }
        Node::Prev { arg, k, .. } => {
            flags_years_back(&skipped_rows(arg, env, menv, groups), env, *k)
        }
        other => {
            let mut hit = vec![false; n];
            for child in other.children() {
                for (h, c) in hit.iter_mut().zip(skipped_rows(child, env, menv, groups)) {
                    *h |= c;
                }
            }
            hit
        }
    }
}

/// [`Program::aggregate_counted_missing`] of the subtree `node`, per row: the counts an
/// `if()` branch holds only for the rows taking it, a `prev()` argument on the earlier row.
fn counted_rows(node: &Node, env: &dyn Env, menv: &dyn Env, groups: &[u32]) -> Vec<bool> {
    let n = env.rows();
    let traced = super::Traced::except_text(menv);
    let wanted = |x: &Node| {
        is_counted(x) || matches!(x, Node::Prev { arg, .. } if contains_anywhere(arg, &is_counted))
    };
    let mut hit = vec![false; n];
    visit_reached(
        node,
        env,
        &vec![true; n],
        &wanted,
        &mut |x, reach| match x {
            Node::Aggregate {
                arg: Some(cond), ..
            } => {
                let t = truth(eval_node(cond, &traced));
                for (i, &g) in groups.iter().enumerate() {
                    let g = g as usize;
                    if g < n && reach[g] && t.at(i).is_none() {
                        hit[g] = true;
                    }
                }
            }
            Node::Prev { arg, k, .. } => {
                let back = flags_years_back(&counted_rows(arg, env, menv, groups), env, *k);
                mark(&mut hit, reach, |i| back[i]);
            }
            _ => {}
        },
    );
    hit
}

impl Program {
    /// The rows whose number `result` is missing although nothing the program reads was:
    /// no column it reads is missing there, nor any `prev()` or aggregate it takes. Such a
    /// value came from the arithmetic itself (a division by zero, `ln`/`log10`/`sqrt`
    /// outside the domain, a result too large for a number), which a reader of the output
    /// cannot tell from an unreported cell without being told. A row where some value read
    /// is missing is left out even when the `if()` branch it takes never reads that value:
    /// the rows named are only ever ones the arithmetic emptied. A `prev()` of a number
    /// the arithmetic emptied in the earlier year counts as emptied too. `None` when there
    /// are none.
    pub fn no_number_from_values(&self, env: &dyn Env, result: &Column) -> Option<Vec<bool>> {
        let Column::Number(v) = result else {
            return None;
        };
        let hit = no_number_rows(&self.root, env, v);
        hit.contains(&true).then_some(hit)
    }
}

/// [`Program::no_number_from_values`] of the subtree `node`, whose value is `v`, per row.
fn no_number_rows(node: &Node, env: &dyn Env, v: &[f64]) -> Vec<bool> {
    // Rows whose result is missing, then those where a column read is missing too are
    // dropped; `prev()` and aggregates are evaluated only if rows are left.
    let mut rows: Vec<usize> = (0..v.len()).filter(|&i| v[i].is_nan()).collect();
    let mut hit = vec![false; v.len()];
    if rows.is_empty() {
        return hit;
    }
    let mut leaves = Vec::new();
    collect_leaves(node, &mut leaves);
    for slot in leaves.iter().filter_map(|l| match l {
        Node::Slot { slot, .. } => Some(*slot),
        _ => None,
    }) {
        let c = env.column(slot);
        rows.retain(|&i| !c.is_missing(i));
    }
    for leaf in leaves.iter().filter(|l| !matches!(l, Node::Slot { .. })) {
        if rows.is_empty() {
            break;
        }
        let c = into_column(eval_node(leaf, env), env.rows(), leaf_type(leaf));
        // A `prev()` of a number its own arithmetic emptied that year is no unreported value.
        let emptied = match (leaf, &c) {
            (
                Node::Prev {
                    arg,
                    k,
                    ty: Type::Number,
                },
                _,
            ) if rows.iter().any(|&i| c.is_missing(i)) => {
                let inner = into_column(eval_node(arg, env), env.rows(), Type::Number);
                match &inner {
                    Column::Number(x) => flags_years_back(&no_number_rows(arg, env, x), env, *k),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        };
        rows.retain(|&i| !c.is_missing(i) || emptied.get(i) == Some(&true));
    }
    // Under [aggregate], an aggregate that left out or counted members without a value
    // (`count(y > 0)` where no member reported y gives 0, and a division by it no
    // number): the members' values were not all reported.
    if !rows.is_empty()
        && contains_anywhere(node, &|l| matches!(l, Node::Aggregate { .. }))
        && let Some((menv, groups)) = env.members()
    {
        for unreported in [
            skipped_rows(node, env, menv, groups),
            counted_rows(node, env, menv, groups),
        ] {
            rows.retain(|&i| !unreported[i]);
        }
    }
    for i in rows {
        hit[i] = true;
    }
    hit
}

/// The values a program reads: its columns, and its `prev()` and aggregate calls taken
/// whole (their arguments are read on other rows).
pub(super) fn collect_leaves<'n>(node: &'n Node, out: &mut Vec<&'n Node>) {
    match node {
        Node::Slot { .. } | Node::Prev { .. } | Node::Aggregate { .. } => out.push(node),
        other => other
            .children()
            .into_iter()
            .for_each(|c| collect_leaves(c, out)),
    }
}

/// The type of a leaf [`collect_leaves`] gives.
fn leaf_type(leaf: &Node) -> Type {
    match leaf {
        Node::Slot { ty, .. } | Node::Prev { ty, .. } => *ty,
        _ => Type::Number,
    }
}

/// Whether two columns hold the same value (or both nothing) at row `i`.
fn same_value(a: &Column, b: &Column, i: usize) -> bool {
    match (a, b) {
        (Column::Number(x), Column::Number(y)) => x[i] == y[i] || (x[i].is_nan() && y[i].is_nan()),
        (Column::Bool(x), Column::Bool(y)) => x[i] == y[i],
        (Column::Text(x), Column::Text(y)) => x.get(i) == y.get(i),
        _ => false,
    }
}

/// Whether `node` holds a node `wanted` picks, outside the arguments of aggregates and
/// `prev()` (evaluated on other rows, not traced) unless `wanted` picks the aggregate itself.
fn contains(node: &Node, wanted: &dyn Fn(&Node) -> bool) -> bool {
    wanted(node)
        || !matches!(node, Node::Aggregate { .. } | Node::Prev { .. })
            && node.children().into_iter().any(|c| contains(c, wanted))
}

/// Calls `visit` on each node `wanted` picks in `node`, with the rows among `reach` that
/// reach it: an `if()` branch is followed only for the rows that take it, so a warning of
/// what a missing value decided there names only those. Aggregates' and `prev()`'s
/// arguments are not entered.
fn visit_reached(
    node: &Node,
    env: &dyn Env,
    reach: &[bool],
    wanted: &dyn Fn(&Node) -> bool,
    visit: &mut dyn FnMut(&Node, &[bool]),
) {
    if wanted(node) {
        visit(node, reach);
    }
    match node {
        Node::Aggregate { .. } | Node::Prev { .. } => {}
        Node::If {
            cond, then, els, ..
        } => {
            if contains(cond, wanted) {
                visit_reached(cond, env, reach, wanted, visit);
            }
            if contains(then, wanted) || contains(els, wanted) {
                let c = truth(eval_node(cond, env));
                for (branch, taken) in [(then, true), (els, false)] {
                    if contains(branch, wanted) {
                        let r: Vec<bool> = (0..reach.len())
                            .map(|i| reach[i] && (c.at(i) == Some(true)) == taken)
                            .collect();
                        visit_reached(branch, env, &r, wanted, visit);
                    }
                }
            }
        }
        other => {
            for child in other.children() {
                if contains(child, wanted) {
                    visit_reached(child, env, reach, wanted, visit);
                }
            }
        }
    }
}

/// Sets `hit[i]` for the rows among `reach` where `decided(i)`.
fn mark(hit: &mut [bool], reach: &[bool], decided: impl Fn(usize) -> bool) {
    for (i, h) in hit.iter_mut().enumerate() {
        if reach[i] && decided(i) {
            *h = true;
        }
    }
}

/// A missing value's code when a text is not in a dictionary.
const NOT_FOUND: u32 = u32::MAX - 1;

#[inline]
fn fin(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::NAN }
}

// ---------------------------------------------------------------------------------------
// Typed views of values

enum Nums<'a> {
    S(f64),
    V(Cow<'a, [f64]>),
}

impl Nums<'_> {
    #[inline]
    fn at(&self, i: usize) -> f64 {
        match self {
            Nums::S(x) => *x,
            Nums::V(v) => v.get(i).copied().unwrap_or(f64::NAN),
        }
    }
}

fn nums(v: Val<'_>) -> Nums<'_> {
    match v {
        Val::Num(x) => Nums::S(x),
        Val::Col(Column::Number(xs)) => Nums::V(Cow::Borrowed(xs)),
        Val::Own(Column::Number(xs)) => Nums::V(Cow::Owned(xs)),
        Val::Bool(b) => Nums::S(match b {
            Some(true) => 1.0,
            Some(false) => 0.0,
            None => f64::NAN,
        }),
        Val::Text(_) => Nums::S(f64::NAN),
        Val::Col(c) => Nums::V(Cow::Owned(c.to_numbers())),
        Val::Own(c) => Nums::V(Cow::Owned(c.to_numbers())),
    }
}

enum Truth<'a> {
    S(Option<bool>),
    V(Cow<'a, [Option<bool>]>),
}

impl Truth<'_> {
    #[inline]
    fn at(&self, i: usize) -> Option<bool> {
        match self {
            Truth::S(b) => *b,
            Truth::V(v) => v.get(i).copied().flatten(),
        }
    }
}

fn truth(v: Val<'_>) -> Truth<'_> {
    match v {
        Val::Bool(b) => Truth::S(b),
        Val::Num(x) => Truth::S(if x.is_nan() { None } else { Some(x != 0.0) }),
        Val::Text(_) => Truth::S(None),
        Val::Col(Column::Bool(b)) => Truth::V(Cow::Borrowed(b)),
        Val::Own(Column::Bool(b)) => Truth::V(Cow::Owned(b)),
        Val::Col(c) => Truth::V(Cow::Owned(c.to_truth())),
        Val::Own(c) => Truth::V(Cow::Owned(c.to_truth())),
    }
}

enum Texts<'a> {
    S(&'a str),
    V(Cow<'a, TextColumn>),
}

fn texts(v: Val<'_>) -> Texts<'_> {
    match v {
        Val::Text(s) => Texts::S(s),
        Val::Col(Column::Text(t)) => Texts::V(Cow::Borrowed(t)),
        Val::Own(Column::Text(t)) => Texts::V(Cow::Owned(t)),
        // Not reachable for checked programs: a non-text value seen as text is missing.
        Val::Col(c) => Texts::V(Cow::Owned(missing_text(c.len()))),
        Val::Own(c) => Texts::V(Cow::Owned(missing_text(c.len()))),
        Val::Num(_) | Val::Bool(_) => Texts::V(Cow::Owned(missing_text(0))),
    }
}

fn missing_text(n: usize) -> TextColumn {
    TextColumn {
        dict: Default::default(),
        codes: vec![TextColumn::MISSING; n],
    }
}

fn missing_column(ty: Type, n: usize) -> Column {
    match ty {
        Type::Number => Column::Number(vec![f64::NAN; n]),
        Type::Bool => Column::Bool(vec![None; n]),
        Type::Text => Column::Text(missing_text(n)),
    }
}

/// A value as a column of exactly `n` rows (scalars broadcast, a wrong length padded with
/// missing or cut, so callers can rely on the length).
fn into_column(v: Val<'_>, n: usize, ty: Type) -> Column {
    let mut c = match v {
        Val::Num(x) => Column::Number(vec![x; n]),
        Val::Bool(b) => Column::Bool(vec![b; n]),
        Val::Text(s) => Column::Text(TextColumn {
            dict: std::sync::Arc::new(std::iter::once(s).collect()),
            codes: vec![0; n],
        }),
        Val::Col(c) => c.clone(),
        Val::Own(c) => c,
    };
    if c.ty() != ty {
        c = match ty {
            Type::Number => Column::Number(c.to_numbers()),
            Type::Bool => Column::Bool(c.to_truth()),
            Type::Text => Column::Text(missing_text(c.len())),
        };
    }
    match &mut c {
        Column::Number(v) => v.resize(n, f64::NAN),
        Column::Bool(v) => v.resize(n, None),
        Column::Text(t) => t.codes.resize(n, TextColumn::MISSING),
    }
    c
}

// ---------------------------------------------------------------------------------------
// Generic kernels

/// `f` over every element, in place when the column is owned.
fn map_same<T: Copy>(c: Cow<'_, [T]>, f: impl Fn(T) -> T) -> Vec<T>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    match c {
        Cow::Owned(mut v) => {
            for x in v.iter_mut() {
                *x = f(*x);
            }
            v
        }
        Cow::Borrowed(s) => s.iter().map(|&x| f(x)).collect(),
    }
}

/// `f` over pairs of elements, in place in whichever column is owned.
fn zip_same<T: Copy>(a: Cow<'_, [T]>, b: Cow<'_, [T]>, f: impl Fn(T, T) -> T) -> Vec<T>
where
    [T]: ToOwned<Owned = Vec<T>>,
{
    match (a, b) {
        (Cow::Owned(mut v), b) => {
            v.truncate(b.len());
            for (x, &y) in v.iter_mut().zip(b.iter()) {
                *x = f(*x, y);
            }
            v
        }
        (a, Cow::Owned(mut v)) => {
            v.truncate(a.len());
            for (y, &x) in v.iter_mut().zip(a.iter()) {
                *y = f(x, *y);
            }
            v
        }
        (a, b) => a.iter().zip(b.iter()).map(|(&x, &y)| f(x, y)).collect(),
    }
}

/// Number ∘ number → number, with scalar∘column and column∘scalar kernels.
fn num_op<'a>(a: Nums<'a>, b: Nums<'a>, f: impl Fn(f64, f64) -> f64) -> Val<'a> {
    match (a, b) {
        (Nums::S(x), Nums::S(y)) => Val::Num(f(x, y)),
        (Nums::V(xs), Nums::S(y)) => Val::Own(Column::Number(map_same(xs, |x| f(x, y)))),
        (Nums::S(x), Nums::V(ys)) => Val::Own(Column::Number(map_same(ys, |y| f(x, y)))),
        (Nums::V(xs), Nums::V(ys)) => Val::Own(Column::Number(zip_same(xs, ys, f))),
    }
}

/// What a comparison with a missing operand gives: false (SPEC §4), or missing in the
/// [`Traced`](super::Traced) reading (`unknown`).
#[inline]
fn missing_comparison(unknown: bool) -> Option<bool> {
    if unknown { None } else { Some(false) }
}

/// Number ∘ number → condition: false when either side is missing (SPEC §4), or missing
/// when `unknown` (the [`Traced`](super::Traced) reading).
fn num_cmp<'a>(a: Nums<'a>, b: Nums<'a>, unknown: bool, f: impl Fn(f64, f64) -> bool) -> Val<'a> {
    let missing = missing_comparison(unknown);
    let g = |x: f64, y: f64| {
        if x.is_nan() || y.is_nan() {
            missing
        } else {
            Some(f(x, y))
        }
    };
    match (a, b) {
        (Nums::S(x), Nums::S(y)) => Val::Bool(g(x, y)),
        (Nums::V(xs), Nums::S(y)) => Val::Own(Column::Bool(xs.iter().map(|&x| g(x, y)).collect())),
        (Nums::S(x), Nums::V(ys)) => Val::Own(Column::Bool(ys.iter().map(|&y| g(x, y)).collect())),
        (Nums::V(xs), Nums::V(ys)) => Val::Own(Column::Bool(
            xs.iter().zip(ys.iter()).map(|(&x, &y)| g(x, y)).collect(),
        )),
    }
}

/// Condition ∘ condition → condition.
fn truth_op<'a>(
    a: Truth<'a>,
    b: Truth<'a>,
    f: impl Fn(Option<bool>, Option<bool>) -> Option<bool>,
) -> Val<'a> {
    match (a, b) {
        (Truth::S(x), Truth::S(y)) => Val::Bool(f(x, y)),
        (Truth::V(xs), Truth::S(y)) => Val::Own(Column::Bool(map_same(xs, |x| f(x, y)))),
        (Truth::S(x), Truth::V(ys)) => Val::Own(Column::Bool(map_same(ys, |y| f(x, y)))),
        (Truth::V(xs), Truth::V(ys)) => Val::Own(Column::Bool(zip_same(xs, ys, f))),
    }
}

#[inline]
fn kleene_and(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

#[inline]
fn kleene_or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Text equality; a literal is looked up in the column's dictionary once and codes are
/// compared. A missing side gives false, or missing when `unknown`.
fn text_eq<'a>(a: Texts<'a>, b: Texts<'a>, ne: bool, unknown: bool) -> Val<'a> {
    let missing = missing_comparison(unknown);
    let col_lit = |t: &TextColumn, s: &str| {
        let code = t
            .dict
            .iter()
            .position(|d| d == s)
            .map_or(NOT_FOUND, |c| c as u32);
        Val::Own(Column::Bool(
            t.codes
                .iter()
                .map(|&c| {
                    if c == TextColumn::MISSING {
                        missing
                    } else {
                        Some((c == code) != ne)
                    }
                })
                .collect(),
        ))
    };
    match (a, b) {
        (Texts::S(x), Texts::S(y)) => Val::Bool(Some((x == y) != ne)),
        (Texts::V(t), Texts::S(s)) | (Texts::S(s), Texts::V(t)) => col_lit(&t, s),
        (Texts::V(x), Texts::V(y)) => {
            let same_dict = x.dict == y.dict;
            let map: Vec<u32> = if same_dict {
                Vec::new()
            } else {
                let index: HashMap<&str, u32> = x
                    .dict
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (s, i as u32))
                    .collect();
                y.dict
                    .iter()
                    .map(|s| index.get(s).copied().unwrap_or(NOT_FOUND))
                    .collect()
            };
            Val::Own(Column::Bool(
                x.codes
                    .iter()
                    .zip(y.codes.iter())
                    .map(|(&cx, &cy)| {
                        if cx == TextColumn::MISSING || cy == TextColumn::MISSING {
                            return missing;
                        }
                        let cy = if same_dict {
                            cy
                        } else {
                            map.get(cy as usize).copied().unwrap_or(NOT_FOUND)
                        };
                        Some((cx == cy) != ne)
                    })
                    .collect(),
            ))
        }
    }
}

/// Builds one dictionary out of several text sources (for `if` and `coalesce`).
#[derive(Default)]
struct TextMerge {
    dict: crate::column::TextDict,
    index: HashMap<String, u32>,
}

/// A text source with its codes translated into the merged dictionary.
enum Merged<'a> {
    /// The same code on every row.
    S(u32),
    /// Per-row original codes and the translation of each original code.
    V(&'a [u32], Vec<u32>),
}

impl Merged<'_> {
    #[inline]
    fn at(&self, i: usize) -> u32 {
        match self {
            Merged::S(c) => *c,
            Merged::V(codes, map) => match codes.get(i) {
                Some(&c) if c != TextColumn::MISSING => {
                    map.get(c as usize).copied().unwrap_or(TextColumn::MISSING)
                }
                _ => TextColumn::MISSING,
            },
        }
    }
}

impl TextMerge {
    fn code(&mut self, s: &str) -> u32 {
        if let Some(&c) = self.index.get(s) {
            return c;
        }
        let c = self.dict.len() as u32;
        self.dict.push(s);
        self.index.insert(s.to_string(), c);
        c
    }

    fn add<'t>(&mut self, t: &'t Texts<'_>) -> Merged<'t> {
        match t {
            Texts::S(s) => Merged::S(self.code(s)),
            Texts::V(col) => {
                let map = col.dict.iter().map(|s| self.code(s)).collect();
                Merged::V(&col.codes, map)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The evaluator

/// Evaluates one node over all rows of `env`.
///
/// A small dispatcher: each kind of node is computed in a function of its own so that the
/// recursion costs little stack per level, even in debug builds.
pub(crate) fn eval_node<'a>(node: &'a Node, env: &'a dyn Env) -> Val<'a> {
    match node {
        Node::Const(Const::Num(x)) => Val::Num(*x),
        Node::Const(Const::Bool(b)) => Val::Bool(*b),
        Node::Const(Const::Text(s)) => Val::Text(s),
        Node::Slot { slot, ty } => eval_slot(*slot, *ty, env),
        Node::Neg(a) => eval_neg(a, env),
        Node::Arith(first, links) => eval_arith(first, links, env),
        Node::CmpNum(op, a, b) => eval_cmp(*op, a, b, env),
        Node::EqText { ne, lhs, rhs } => eval_eq_text(*ne, lhs, rhs, env),
        Node::EqBool { ne, lhs, rhs } => eval_eq_bool(*ne, lhs, rhs, env),
        Node::Logic { and, args } => eval_logic(*and, args, env),
        Node::Not(a) => eval_not(a, env),
        Node::Math(m, a) => eval_math(*m, a, env),
        Node::Round(a, d) => eval_round(a, *d, env),
        Node::MinMax { max, args } => eval_min_max(*max, args, env),
        Node::If {
            cond,
            then,
            els,
            ty,
        } => eval_if(cond, then, els, *ty, env),
        Node::IsMissing(a) => eval_is_missing(a, env),
        Node::Coalesce { args, ty } => eval_coalesce(args, *ty, env),
        Node::Prev { arg, k, ty } => eval_prev(arg, *k, *ty, env),
        Node::CountTrue(args) => eval_count_true(args, env),
        Node::Aggregate { kind, arg } => {
            Val::Own(Column::Number(aggregate(*kind, arg.as_deref(), env)))
        }
    }
}

#[inline(never)]
fn eval_slot(slot: usize, ty: Type, env: &dyn Env) -> Val<'_> {
    let c = env.column(slot);
    if c.ty() == ty {
        Val::Col(c)
    } else {
        // The env disagrees with the scope about the type: convert, do not panic.
        Val::Own(match ty {
            Type::Number => Column::Number(c.to_numbers()),
            Type::Bool => Column::Bool(c.to_truth()),
            Type::Text => Column::Text(missing_text(c.len())),
        })
    }
}

#[inline(never)]
fn eval_neg<'a>(a: &'a Node, env: &'a dyn Env) -> Val<'a> {
    num_op(nums(eval_node(a, env)), Nums::S(0.0), |x, _| -x)
}

/// A chain of `+ -` or `* /`, left to right by a loop (one owned column reused in place).
#[inline(never)]
fn eval_arith<'a>(first: &'a Node, links: &'a [(Arith, Node)], env: &'a dyn Env) -> Val<'a> {
    let mut acc = nums(eval_node(first, env));
    for (op, b) in links {
        let y = nums(eval_node(b, env));
        acc = nums(match op {
            Arith::Add => num_op(acc, y, |p, q| fin(p + q)),
            Arith::Sub => num_op(acc, y, |p, q| fin(p - q)),
            Arith::Mul => num_op(acc, y, |p, q| fin(p * q)),
            Arith::Div => num_op(acc, y, |p, q| fin(p / q)),
        });
    }
    match acc {
        Nums::S(x) => Val::Num(x),
        Nums::V(v) => Val::Own(Column::Number(v.into_owned())),
    }
}

#[inline(never)]
fn eval_cmp<'a>(op: Cmp, a: &'a Node, b: &'a Node, env: &'a dyn Env) -> Val<'a> {
    let x = nums(eval_node(a, env));
    let y = nums(eval_node(b, env));
    let u = env.comparisons_unknown();
    match op {
        Cmp::Eq => num_cmp(x, y, u, num::eq),
        Cmp::Ne => num_cmp(x, y, u, |p, q| !num::eq(p, q)),
        Cmp::Lt => num_cmp(x, y, u, num::lt),
        Cmp::Le => num_cmp(x, y, u, num::le),
        Cmp::Gt => num_cmp(x, y, u, num::gt),
        Cmp::Ge => num_cmp(x, y, u, num::ge),
    }
}

#[inline(never)]
fn eval_eq_text<'a>(ne: bool, a: &'a Node, b: &'a Node, env: &'a dyn Env) -> Val<'a> {
    let x = texts(eval_node(a, env));
    let y = texts(eval_node(b, env));
    text_eq(x, y, ne, env.text_comparisons_unknown())
}

#[inline(never)]
fn eval_eq_bool<'a>(ne: bool, a: &'a Node, b: &'a Node, env: &'a dyn Env) -> Val<'a> {
    let x = truth(eval_node(a, env));
    let y = truth(eval_node(b, env));
    let missing = missing_comparison(env.comparisons_unknown());
    truth_op(x, y, move |x, y| match (x, y) {
        (Some(x), Some(y)) => Some((x == y) != ne),
        _ => missing,
    })
}

/// Kleene `and` / `or` of a chain of conditions, left to right by a loop.
#[inline(never)]
fn eval_logic<'a>(and: bool, args: &'a [Node], env: &'a dyn Env) -> Val<'a> {
    let Some((first, rest)) = args.split_first() else {
        return Val::Bool(Some(and));
    };
    let mut acc = truth(eval_node(first, env));
    for a in rest {
        let y = truth(eval_node(a, env));
        acc = truth(if and {
            truth_op(acc, y, kleene_and)
        } else {
            truth_op(acc, y, kleene_or)
        });
    }
    match acc {
        Truth::S(b) => Val::Bool(b),
        Truth::V(v) => Val::Own(Column::Bool(v.into_owned())),
    }
}

#[inline(never)]
fn eval_not<'a>(a: &'a Node, env: &'a dyn Env) -> Val<'a> {
    truth_op(truth(eval_node(a, env)), Truth::S(None), |x, _| {
        x.map(|b| !b)
    })
}

#[inline(never)]
fn eval_math<'a>(m: Math, a: &'a Node, env: &'a dyn Env) -> Val<'a> {
    let x = nums(eval_node(a, env));
    let s = Nums::S(0.0);
    match m {
        Math::Abs => num_op(x, s, |v, _| v.abs()),
        Math::Ln => num_op(x, s, |v, _| if v > 0.0 { fin(v.ln()) } else { f64::NAN }),
        Math::Log10 => num_op(x, s, |v, _| if v > 0.0 { fin(v.log10()) } else { f64::NAN }),
        Math::Sqrt => num_op(x, s, |v, _| if v >= 0.0 { fin(v.sqrt()) } else { f64::NAN }),
        // (Past e^709 the double overflows: missing, as a division by zero is.)
        Math::Exp => num_op(x, s, |v, _| fin(v.exp())),
    }
}

#[inline(never)]
fn eval_round<'a>(a: &'a Node, d: u32, env: &'a dyn Env) -> Val<'a> {
    num_op(nums(eval_node(a, env)), Nums::S(0.0), move |v, _| {
        fin(num::round_half_away(v, d))
    })
}

#[inline(never)]
fn eval_min_max<'a>(max: bool, args: &'a [Node], env: &'a dyn Env) -> Val<'a> {
    let Some((first, rest)) = args.split_first() else {
        return Val::Num(f64::NAN);
    };
    let mut acc = nums(eval_node(first, env));
    for a in rest {
        let next = nums(eval_node(a, env));
        let v = if max {
            num_op(acc, next, |x, y| {
                if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else {
                    x.max(y)
                }
            })
        } else {
            num_op(acc, next, |x, y| {
                if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else {
                    x.min(y)
                }
            })
        };
        acc = nums(v);
    }
    match acc {
        Nums::S(x) => Val::Num(x),
        Nums::V(v) => Val::Own(Column::Number(v.into_owned())),
    }
}

#[inline(never)]
fn eval_is_missing<'a>(a: &'a Node, env: &'a dyn Env) -> Val<'a> {
    match eval_node(a, env.untraced().unwrap_or(env)) {
        Val::Num(x) => Val::Bool(Some(x.is_nan())),
        Val::Bool(b) => Val::Bool(Some(b.is_none())),
        Val::Text(_) => Val::Bool(Some(false)),
        Val::Col(c) => Val::Own(Column::Bool(is_missing_col(c))),
        Val::Own(c) => Val::Own(Column::Bool(is_missing_col(&c))),
    }
}

#[inline(never)]
fn eval_count_true<'a>(args: &'a [Node], env: &'a dyn Env) -> Val<'a> {
    let truths: Vec<Truth<'a>> = args.iter().map(|a| truth(eval_node(a, env))).collect();
    let base: f64 = truths
        .iter()
        .map(|t| {
            if matches!(t, Truth::S(Some(true))) {
                1.0
            } else {
                0.0
            }
        })
        .sum();
    if truths.iter().all(|t| matches!(t, Truth::S(_))) {
        return Val::Num(base);
    }
    let mut out = vec![base; env.rows()];
    for t in &truths {
        if let Truth::V(v) = t {
            for (o, b) in out.iter_mut().zip(v.iter()) {
                if *b == Some(true) {
                    *o += 1.0;
                }
            }
        }
    }
    Val::Own(Column::Number(out))
}

fn is_missing_col(c: &Column) -> Vec<Option<bool>> {
    match c {
        Column::Number(v) => v.iter().map(|x| Some(x.is_nan())).collect(),
        Column::Bool(v) => v.iter().map(|b| Some(b.is_none())).collect(),
        Column::Text(t) => t
            .codes
            .iter()
            .map(|&c| Some(c == TextColumn::MISSING))
            .collect(),
    }
}

#[inline(never)]
fn eval_if<'a>(
    cond: &'a Node,
    then: &'a Node,
    els: &'a Node,
    ty: Type,
    env: &'a dyn Env,
) -> Val<'a> {
    let c = match truth(eval_node(cond, env)) {
        // One condition for all rows: only the branch taken is evaluated.
        Truth::S(b) => return eval_node(if b == Some(true) { then } else { els }, env),
        Truth::V(c) => c,
    };
    let (a, b) = (eval_node(then, env), eval_node(els, env));
    let pick = |i: usize| c[i] == Some(true);
    let n = c.len();
    match ty {
        Type::Number => {
            let (a, b) = (nums(a), nums(b));
            Val::Own(Column::Number(
                (0..n)
                    .map(|i| if pick(i) { a.at(i) } else { b.at(i) })
                    .collect(),
            ))
        }
        Type::Bool => {
            let (a, b) = (truth(a), truth(b));
            Val::Own(Column::Bool(
                (0..n)
                    .map(|i| if pick(i) { a.at(i) } else { b.at(i) })
                    .collect(),
            ))
        }
        Type::Text => {
            let (a, b) = (texts(a), texts(b));
            let mut m = TextMerge::default();
            let (ma, mb) = (m.add(&a), m.add(&b));
            let codes = (0..n)
                .map(|i| if pick(i) { ma.at(i) } else { mb.at(i) })
                .collect();
            Val::Own(Column::Text(TextColumn {
                dict: std::sync::Arc::new(m.dict),
                codes,
            }))
        }
    }
}

#[inline(never)]
fn eval_coalesce<'a>(args: &'a [Node], ty: Type, env: &'a dyn Env) -> Val<'a> {
    match ty {
        Type::Number => {
            let mut acc = nums(eval_node(&args[0], env));
            for a in &args[1..] {
                let done = match &acc {
                    Nums::S(x) => !x.is_nan(),
                    Nums::V(v) => !v.iter().any(|x| x.is_nan()),
                };
                if done {
                    break;
                }
                let next = nums(eval_node(a, env));
                acc = nums(num_op(acc, next, |x, y| if x.is_nan() { y } else { x }));
            }
            match acc {
                Nums::S(x) => Val::Num(x),
                Nums::V(v) => Val::Own(Column::Number(v.into_owned())),
            }
        }
        Type::Bool => {
            let mut acc = truth(eval_node(&args[0], env));
            for a in &args[1..] {
                let done = match &acc {
                    Truth::S(b) => b.is_some(),
                    Truth::V(v) => !v.iter().any(|b| b.is_none()),
                };
                if done {
                    break;
                }
                let next = truth(eval_node(a, env));
                acc = truth(truth_op(acc, next, |x, y| x.or(y)));
            }
            match acc {
                Truth::S(b) => Val::Bool(b),
                Truth::V(v) => Val::Own(Column::Bool(v.into_owned())),
            }
        }
        Type::Text => {
            let first = texts(eval_node(&args[0], env));
            let needs_more = match &first {
                Texts::S(_) => false,
                Texts::V(t) => t.codes.contains(&TextColumn::MISSING),
            };
            if !needs_more || args.len() == 1 {
                return match first {
                    Texts::S(s) => Val::Text(s),
                    Texts::V(Cow::Borrowed(t)) => Val::Own(Column::Text(t.clone())),
                    Texts::V(Cow::Owned(t)) => Val::Own(Column::Text(t)),
                };
            }
            let mut all = vec![first];
            all.extend(args[1..].iter().map(|a| texts(eval_node(a, env))));
            let n = env.rows();
            let mut m = TextMerge::default();
            let merged: Vec<Merged<'_>> = all.iter().map(|t| m.add(t)).collect();
            let codes = (0..n)
                .map(|i| {
                    merged
                        .iter()
                        .map(|s| s.at(i))
                        .find(|&c| c != TextColumn::MISSING)
                        .unwrap_or(TextColumn::MISSING)
                })
                .collect();
            Val::Own(Column::Text(TextColumn {
                dict: std::sync::Arc::new(m.dict),
                codes,
            }))
        }
    }
}

#[inline(never)]
fn eval_prev<'a>(arg: &'a Node, k: u32, ty: Type, env: &'a dyn Env) -> Val<'a> {
    let n = env.rows();
    let Some(map) = env.prev_rows(k) else {
        return Val::Own(missing_column(ty, n));
    };
    let src = |i: usize| match map.get(i) {
        Some(&r) if r != u32::MAX => Some(r as usize),
        _ => None,
    };
    let v = eval_node(arg, env);
    Val::Own(match ty {
        Type::Number => {
            let x = nums(v);
            Column::Number(
                (0..n)
                    .map(|i| src(i).map_or(f64::NAN, |r| x.at(r)))
                    .collect(),
            )
        }
        Type::Bool => {
            let x = truth(v);
            Column::Bool((0..n).map(|i| src(i).and_then(|r| x.at(r))).collect())
        }
        Type::Text => match texts(v) {
            Texts::S(s) => Column::Text(TextColumn {
                dict: std::sync::Arc::new(std::iter::once(s).collect()),
                codes: (0..n)
                    .map(|i| {
                        if src(i).is_some() {
                            0
                        } else {
                            TextColumn::MISSING
                        }
                    })
                    .collect(),
            }),
            Texts::V(t) => {
                let codes = (0..n)
                    .map(|i| {
                        src(i)
                            .and_then(|r| t.codes.get(r).copied())
                            .unwrap_or(TextColumn::MISSING)
                    })
                    .collect();
                Column::Text(TextColumn {
                    dict: t.into_owned().dict,
                    codes,
                })
            }
        },
    })
}

/// One pass over the members, accumulating per group.
#[inline(never)]
fn aggregate(kind: Agg, arg: Option<&Node>, env: &dyn Env) -> Vec<f64> {
    let n = env.rows();
    let Some((menv, groups)) = env.members() else {
        let v = if kind == Agg::Count { 0.0 } else { f64::NAN };
        return vec![v; n];
    };
    // Group of member i, when it belongs to a row.
    let group = |g: u32| {
        let g = g as usize;
        (g < n).then_some(g)
    };
    match kind {
        Agg::Count | Agg::Share => {
            let mut members = vec![0usize; n];
            let mut hits = vec![0usize; n];
            let cond = arg.map(|a| truth(eval_node(a, menv)));
            for (i, &g) in groups.iter().enumerate() {
                if let Some(g) = group(g) {
                    members[g] += 1;
                    if cond.as_ref().is_none_or(|c| c.at(i) == Some(true)) {
                        hits[g] += 1;
                    }
                }
            }
            if kind == Agg::Count {
                hits.into_iter().map(|h| h as f64).collect()
            } else {
                hits.iter()
                    .zip(members.iter())
                    .map(|(&h, &m)| {
                        if m == 0 {
                            f64::NAN
                        } else {
                            h as f64 / m as f64
                        }
                    })
                    .collect()
            }
        }
        Agg::Sum | Agg::Mean | Agg::Min | Agg::Max => {
            let Some(a) = arg else {
                return vec![f64::NAN; n];
            };
            let x = nums(eval_node(a, menv));
            if matches!(kind, Agg::Sum | Agg::Mean) {
                // Order-free sums: a group's total does not depend on the order of its
                // members' rows, and a mean of equal values is that value.
                let present = || {
                    groups.iter().enumerate().filter_map(|(i, &g)| {
                        let v = x.at(i);
                        group(g).filter(|_| !v.is_nan()).map(|g| (g, v))
                    })
                };
                let mut count = vec![0usize; n];
                let mut range = vec![(f64::INFINITY, f64::NEG_INFINITY); n];
                for (g, v) in present() {
                    count[g] += 1;
                    range[g] = (range[g].0.min(v), range[g].1.max(v));
                }
                let totals = if kind == Agg::Mean {
                    crate::num::order_free_means(n, present, &count)
                } else {
                    crate::num::order_free_sums(n, present)
                };
                return (0..n)
                    .map(|g| match (count[g], kind) {
                        (0, _) => f64::NAN,
                        (_, Agg::Mean) => fin(totals[g].clamp(range[g].0, range[g].1)),
                        _ => fin(totals[g]),
                    })
                    .collect();
            }
            let mut acc = vec![f64::NAN; n];
            let mut cnt = vec![0usize; n];
            for (i, &g) in groups.iter().enumerate() {
                let Some(g) = group(g) else { continue };
                let v = x.at(i);
                if v.is_nan() {
                    continue;
                }
                let s = &mut acc[g];
                *s = if cnt[g] == 0 {
                    v
                } else {
                    match kind {
                        Agg::Min => s.min(v),
                        Agg::Max => s.max(v),
                        _ => *s + v,
                    }
                };
                cnt[g] += 1;
            }
            if kind == Agg::Mean {
                for (s, &c) in acc.iter_mut().zip(cnt.iter()) {
                    if c > 0 {
                        *s /= c as f64;
                    }
                }
            }
            acc.into_iter().map(fin).collect()
        }
        Agg::Median => {
            let Some(a) = arg else {
                return vec![f64::NAN; n];
            };
            let x = nums(eval_node(a, menv));
            // Counting sort of the present values by group, then each group's slice sorted.
            let mut start = vec![0usize; n + 1];
            for (i, &g) in groups.iter().enumerate() {
                if let Some(g) = group(g)
                    && !x.at(i).is_nan()
                {
                    start[g + 1] += 1;
                }
            }
            for g in 0..n {
                start[g + 1] += start[g];
            }
            let mut buf = vec![0.0; start[n]];
            let mut fill = start.clone();
            for (i, &g) in groups.iter().enumerate() {
                let v = x.at(i);
                if let Some(g) = group(g)
                    && !v.is_nan()
                {
                    buf[fill[g]] = v;
                    fill[g] += 1;
                }
            }
            (0..n)
                .map(|g| {
                    let s = &mut buf[start[g]..start[g + 1]];
                    if s.is_empty() {
                        return f64::NAN;
                    }
                    s.sort_unstable_by(f64::total_cmp);
                    let m = s.len() / 2;
                    if s.len() % 2 == 1 {
                        s[m]
                    } else {
                        fin((s[m - 1] + s[m]) / 2.0)
                    }
                })
                .collect()
        }
    }
}
