//! Table-driven tests of the expression language.

use super::*;
use crate::column::{Column, TextColumn, Type};
use crate::diag::did_you_mean_help;

const NAN: f64 = f64::NAN;
const STACK: usize = 1536 * 1024;

// ---------------------------------------------------------------------------------------
// Test scope and env

/// Row-level columns:
/// a = [1, 2, NaN, 4], b = [10, 0, 5, NaN], t = [true, false, None, true],
/// f = [false, false, None, true], region = ["东", "西", None, "东"],
/// region2 = ["西", "西", "东", None] (its own dictionary), zero = [0, 0, 0, 0].
/// Member level (6 members in groups [0, 0, 1, 1, 3, u32::MAX]): m = [1, 3, NaN, NaN, 7, 100],
/// ok = [true, None, false, true, false, true].
struct TestScope;

const ROW_NAMES: &[(&str, Type)] = &[
    ("a", Type::Number),
    ("b", Type::Number),
    ("t", Type::Bool),
    ("f", Type::Bool),
    ("region", Type::Text),
    ("region2", Type::Text),
    ("zero", Type::Number),
    ("rd_intensity", Type::Number),
];
const MEMBER_NAMES: &[(&str, Type)] = &[("m", Type::Number), ("ok", Type::Bool)];

fn lookup(names: &[(&str, Type)], name: &str) -> Result<Resolved, ResolveError> {
    match names.iter().position(|(n, _)| *n == name) {
        Some(slot) => Ok(Resolved {
            slot,
            ty: names[slot].1,
        }),
        None => Err(ResolveError {
            message: format!("unknown name '{name}'"),
            help: did_you_mean_help(name, names.iter().map(|(n, _)| *n)),
        }),
    }
}

impl Scope for TestScope {
    fn resolve(&self, name: &str, _quoted: bool) -> Result<Resolved, ResolveError> {
        lookup(ROW_NAMES, name)
    }
    fn resolve_member(&self, name: &str, _quoted: bool) -> Result<Resolved, ResolveError> {
        lookup(MEMBER_NAMES, name)
    }
}

/// A scope that only knows row names (default `resolve_member`).
struct RowOnly;
impl Scope for RowOnly {
    fn resolve(&self, name: &str, _quoted: bool) -> Result<Resolved, ResolveError> {
        lookup(ROW_NAMES, name)
    }
}

struct TestEnv {
    cols: Vec<Column>,
    prev: Option<Vec<u32>>,
    members: Option<(Box<TestEnv>, Vec<u32>)>,
}

impl Env for TestEnv {
    fn rows(&self) -> usize {
        self.cols[0].len()
    }
    fn column(&self, slot: usize) -> &Column {
        &self.cols[slot]
    }
    fn prev_rows(&self, k: u32) -> Option<&[u32]> {
        if k == 1 { self.prev.as_deref() } else { None }
    }
    fn members(&self) -> Option<(&dyn Env, &[u32])> {
        self.members
            .as_ref()
            .map(|(e, g)| (e.as_ref() as &dyn Env, g.as_slice()))
    }
}

fn text(v: &[Option<&str>]) -> Column {
    Column::Text(TextColumn::from_values(v.iter().copied()))
}

fn env() -> TestEnv {
    let members = TestEnv {
        cols: vec![
            Column::Number(vec![1.0, 3.0, NAN, NAN, 7.0, 100.0]),
            Column::Bool(vec![
                Some(true),
                None,
                Some(false),
                Some(true),
                Some(false),
                Some(true),
            ]),
        ],
        prev: None,
        members: None,
    };
    TestEnv {
        cols: vec![
            Column::Number(vec![1.0, 2.0, NAN, 4.0]),
            Column::Number(vec![10.0, 0.0, 5.0, NAN]),
            Column::Bool(vec![Some(true), Some(false), None, Some(true)]),
            Column::Bool(vec![Some(false), Some(false), None, Some(true)]),
            text(&[Some("东"), Some("西"), None, Some("东")]),
            text(&[Some("西"), Some("西"), Some("东"), None]),
            Column::Number(vec![0.0; 4]),
            Column::Number(vec![0.0; 4]),
        ],
        // Row 2 is row 0 a year later, row 3 is row 1 a year later.
        prev: Some(vec![u32::MAX, u32::MAX, 0, 1]),
        members: Some((Box::new(members), vec![0, 0, 1, 1, 3, u32::MAX])),
    }
}

fn compile_in(src: &str, ctx: Context) -> Program {
    parse_and_compile(src, &TestScope, ctx).unwrap_or_else(|e| panic!("{src}: {e}"))
}

fn err_in(src: &str, ctx: Context) -> ExprError {
    match parse_and_compile(src, &TestScope, ctx) {
        Ok(p) => panic!("{src}: expected an error, compiled to {p:?}"),
        Err(e) => e,
    }
}

fn num_col(c: &Column) -> Vec<f64> {
    match c {
        Column::Number(v) => v.clone(),
        other => panic!("expected numbers, got {other:?}"),
    }
}

fn same_nums(src: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{src}: {got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g.is_nan() && w.is_nan()) || approx::relative_eq!(*g, *w, max_relative = 1e-12),
            "{src}: got {got:?}, want {want:?}"
        );
    }
}

fn check_nums(cases: &[(&str, &[f64])], ctx: Context) {
    let e = env();
    for (src, want) in cases {
        let p = compile_in(src, ctx);
        assert_eq!(p.ty(), Type::Number, "{src}");
        same_nums(src, &num_col(&p.eval(&e)), want);
    }
}

/// `want` is the traced reading (comparisons with a missing operand missing, Kleene logic);
/// the SPEC reading (such comparisons false) must agree wherever the traced one is decided.
fn check_bools(cases: &[(&str, &[Option<bool>])]) {
    let e = env();
    for (src, want) in cases {
        let p = compile_in(src, Context::Row);
        assert_eq!(p.ty(), Type::Bool, "{src}");
        assert_eq!(
            p.eval(&Traced::new(&e)),
            Column::Bool(want.to_vec()),
            "{src}"
        );
        assert_eq!(p.eval_condition_traced(&e), want.to_vec(), "{src}");
        same_where_decided(src, &p.eval_condition(&e), want);
    }
}

fn same_where_decided(src: &str, spec: &[Option<bool>], traced: &[Option<bool>]) {
    for (i, (s, t)) in spec.iter().zip(traced).enumerate() {
        if t.is_some() {
            assert_eq!(
                s, t,
                "{src}, row {i}: the SPEC reading differs where nothing is missing"
            );
        }
    }
}

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const M: Option<bool> = None;

// ---------------------------------------------------------------------------------------
// Parsing

#[test]
fn precedence_and_associativity() {
    let cases = [
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 / 2", "(/ (/ 8 4) 2)"),
        ("-a * b", "(* (- a) b)"),
        ("- - a", "(- (- a))"),
        ("not a > 1 and b", "(and (not (> a 1)) b)"),
        ("a or b and c", "(or a (and b c))"),
        ("a || b && !c", "(or a (and b (not c)))"),
        ("not not a", "(not (not a))"),
        ("a + 1 >= b * 2 or c", "(or (>= (+ a 1) (* b 2)) c)"),
        (
            "a == 'x' and `销售收入（万元）` > .5",
            "(and (== a \"x\") (> `销售收入（万元）` 0.5))",
        ),
        ("f(1, g(2), h())", "f(1, g(2), h())"),
        ("1e3 + 2.5E-1", "(+ 1000 0.25)"),
        ("销售收入 / 员工数", "(/ 销售收入 员工数)"),
        ("\"it\\\"s\" == 'it\\'s'", "(== \"it\\\"s\" \"it's\")"),
        ("true and false", "(and true false)"),
    ];
    for (src, want) in cases {
        let e = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(to_sexpr(&e), want, "{src}");
    }
}

#[test]
fn spans_cover_the_source() {
    let src = "round(a + b, 2) * 3";
    let e = parse(src).unwrap();
    assert_eq!(e.span, Span::new(0, src.len()));
    let ExprKind::Chain { first, rest } = &e.kind else {
        panic!()
    };
    assert_eq!(&src[first.span.start..first.span.end], "round(a + b, 2)");
    assert_eq!(rest.len(), 1);
    assert_eq!(&src[rest[0].1.span.start..rest[0].1.span.end], "3");
    let ExprKind::Call {
        name_span, args, ..
    } = &first.kind
    else {
        panic!()
    };
    assert_eq!(&src[name_span.start..name_span.end], "round");
    assert_eq!(&src[args[0].span.start..args[0].span.end], "a + b");
}

#[test]
fn names_are_listed_once_in_order() {
    let e = parse("a + `a` + b * a + sum(m) + prev(b)").unwrap();
    let got: Vec<(String, bool, usize)> = names(&e)
        .into_iter()
        .map(|(n, q, s)| (n, q, s.start))
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".to_string(), false, 0),
            ("a".to_string(), true, 4),
            ("b".to_string(), false, 10),
            ("m".to_string(), false, 22)
        ]
    );
    let by = names_by_level(&e, Context::Aggregate);
    assert!(by.iter().any(|u| u.name == "m" && u.member));
    assert!(by.iter().any(|u| u.name == "b" && !u.member));
    let by_row = names_by_level(&parse("min(x) + min(x, y)").unwrap(), Context::Row);
    assert!(by_row.iter().all(|u| !u.member));
}

/// (source, message contains, span text, help contains)
type ErrCase<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

fn check_errors(cases: &[ErrCase], ctx: Context) {
    for (src, msg, at, help) in cases {
        let e = err_in(src, ctx);
        assert!(e.message.contains(msg), "{src}: message {:?}", e.message);
        assert!(
            e.span.start <= e.span.end && e.span.end <= src.len(),
            "{src}: {e:?}"
        );
        assert_eq!(
            &src[e.span.start..e.span.end],
            *at,
            "{src}: span {:?}",
            e.span
        );
        if let Some(h) = help {
            let got = e.help.as_deref().unwrap_or("");
            assert!(got.contains(h), "{src}: help {got:?}");
        }
    }
}

#[test]
fn syntax_errors_have_exact_spans() {
    let cases: &[ErrCase] = &[
        (
            "x >>= 2",
            "expected an expression, found '>='",
            ">=",
            Some("two operators in a row ('>' then '>='): delete one"),
        ),
        (
            "a and or b",
            "expected an expression, found 'or'",
            "or",
            Some("two operators in a row ('and' then 'or')"),
        ),
        (
            "a && || b",
            "expected an expression, found '||'",
            "||",
            Some("two operators in a row ('&&' then '||')"),
        ),
        (
            "count_true((a, b)",
            "expected ')' or an operator, found ','",
            ",",
            Some("is a '(' doubled, or a function name missing before it?"),
        ),
        (
            "sales * 2x",
            "invalid number '2x'",
            "2x",
            Some(
                "written in backticks (`2x`); a number is written apart from what follows, with an operator between (2 * x)",
            ),
        ),
        (
            "1 ^ 2",
            "unexpected character '^'",
            "^",
            Some("no power operator"),
        ),
        ("a % 2", "'%'", "%", Some("percentage")),
        ("a = 1", "unexpected '='", "=", Some("did you mean '=='?")),
        (
            "a ! = 1",
            "unexpected '='",
            "=",
            Some("did you mean '!='? write it without a space"),
        ),
        (
            "revenue > 0, rd > 1",
            "unexpected ',' after the end of the expression",
            ",",
            Some(
                "a comma separates only a function's arguments: join conditions with 'and' \
                 (revenue > 0 and rd > 1)",
            ),
        ),
        (
            "re!x > 1",
            "unexpected '!' after the end of the expression",
            "!",
            Some("a column whose name holds '!' is written in backticks: `re!x`"),
        ),
        (
            "a > = 1",
            "unexpected '='",
            "=",
            Some("did you mean '>='? write it without a space"),
        ),
        ("a & b", "'&'", "&", Some("'&&'")),
        ("(1 + 2", "unclosed parenthesis", "(", None),
        ("round(1, 2", "unclosed parenthesis", "(", None),
        ("1 + 2)", "unexpected ')'", ")", None),
        ("", "empty expression", "", None),
        ("   ", "empty expression", "   ", None),
        ("1 +", "expected an expression", "", None),
        ("1 + * 2", "expected an expression", "*", None),
        ("()", "expected an expression", ")", None),
        ("a b", "unexpected 'b'", "b", Some("operator is missing")),
        (
            "1 2",
            "unexpected number 2 after the end",
            "2",
            Some("operator is missing"),
        ),
        (
            "1e+",
            "invalid number '1e+': its exponent has no digits",
            "1e+",
            Some("1e+3 is 1 × 10³"),
        ),
        ("x * 2E-", "invalid number '2E-'", "2E-", Some("2 × 10⁻³")),
        ("1e", "invalid number '1e': its exponent", "1e", None),
        (
            "2e + 3",
            "invalid number '2e'",
            "2e",
            Some("put * between them: 2 * e"),
        ),
        // A finished exponent with a name glued on is a name, not an unfinished exponent.
        ("1e5e", "invalid number '1e5e'", "1e5e", Some("backticks")),
        (
            "1 < a < 3",
            "comparisons cannot be chained",
            "<",
            Some("and"),
        ),
        ("`销售收入", "unclosed backtick", "`", None),
        ("'abc", "unclosed text literal", "'", None),
        (
            "12abc + 1",
            "invalid number '12abc'",
            "12abc",
            Some("`12abc`"),
        ),
        ("a （ b", "'（'", "（", Some("full-width")),
        ("f(1 2)", "expected ',' or ')'", "2", None),
        ("(1 2)", "expected ')'", "2", None),
        (
            "1e999",
            "too large",
            "1e999",
            Some("numbers go up to about 1.8e308"),
        ),
        (
            "x > 1e-400",
            "nearer zero than the smallest number",
            "1e-400",
            Some("write 0 if zero is meant"),
        ),
        ("a <> b", "'<>'", "<>", Some("'!='")),
        ("+1", "expected an expression", "+", Some("unary")),
        ("a . b", "unexpected character '.'", ".", None),
        // Operators as a Chinese text or a spreadsheet writes them.
        (
            "a >= 1 且 b",
            "unexpected '且'",
            "且",
            Some("'且' means and: write 'and'"),
        ),
        ("a 或 b", "unexpected '或'", "或", Some("write 'or'")),
        (
            "a > 1 AND b",
            "unexpected 'AND'",
            "AND",
            Some("write 'and'"),
        ),
        ("a ≥ 1", "unexpected character '≥'", "≥", Some("'>='")),
        ("a ≠ 1", "unexpected character '≠'", "≠", Some("'!='")),
        ("a × 2", "unexpected character '×'", "×", Some("'*'")),
        ("a ÷ 2", "unexpected character '÷'", "÷", Some("'/'")),
        // A column header with brackets, a unit, a percent sign on a threshold.
        (
            "a / 销售收入（万元） * 100",
            "unexpected character '（'",
            "（",
            Some("written in backticks: `销售收入（万元）`"),
        ),
        (
            "a >= 100亿",
            "invalid number '100亿'",
            "100亿",
            Some("units are not written in expressions"),
        ),
        (
            "a >= 5%",
            "unexpected character '%'",
            "%",
            Some("(rd_intensity >= 5)"),
        ),
        // What a Chinese input method, a spreadsheet or another language leaves behind.
        (
            "region == “东营” or a > 1",
            "unexpected character '“'",
            "“",
            Some("straight single quotes: '东营'"),
        ),
        ("region == ‘东营’", "'‘'", "‘", Some("'东营'")),
        (
            "a > 1 # note",
            "'#'",
            "#",
            Some("TOML reads it as a comment"),
        ),
        ("a > 1 // note", "found '/'", "/", Some("'//' is neither")),
        ("a // 2", "found '/'", "/", Some("divide with '/'")),
        (
            "a == 1、2",
            "'、'",
            "、",
            Some("join the comparisons with 'or'"),
        ),
        ("a > 1; b", "';'", ";", Some("join them with 'and'")),
        ("a > 1；b", "'；'", "；", Some("its own string")),
        ("a > 1,5", "unexpected ','", ",", Some("write 1.5")),
        (
            "a > 12,000",
            "unexpected ','",
            ",",
            Some("write 12000 (or 12.000"),
        ),
        (
            "avg(a) > 1",
            "unknown function 'avg'",
            "avg",
            Some("called 'mean'"),
        ),
        (
            "isnull(a)",
            "unknown function",
            "isnull",
            Some("'is_missing'"),
        ),
        ("IIF(t, 1, 2)", "unknown function", "IIF", Some("'if'")),
        (
            "ifnull(a, 0)",
            "unknown function",
            "ifnull",
            Some("'coalesce'"),
        ),
        ("log(a)", "unknown function", "log", Some("'ln' or 'log10'")),
    ];
    check_errors(cases, Context::Row);
}

#[test]
fn a_spaced_comma_after_a_number_is_not_guessed_to_be_a_decimal_comma() {
    let e = err_in("a > 1, 5", Context::Row);
    assert!(e.message.contains("unexpected ','"), "{e:?}");
    assert!(
        e.help
            .as_deref()
            .is_some_and(|h| h.starts_with("a comma separates only a function's arguments")),
        "{e:?}"
    );
}

/// The byte offset of the `n`-th occurrence (0-based) of `pat` in `s`.
fn nth_offset(s: &str, pat: &str, n: usize) -> usize {
    s.match_indices(pat).nth(n).map(|(i, _)| i).unwrap()
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for n in [MAX_DEPTH + 1, 10_000] {
        // 10,000 parentheses: refused at the first token past the limit (the 201st '(').
        let src = format!("{}1{}", "(".repeat(n), ")".repeat(n));
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e:?}");
        // The help gives the limit that holds: 199 parentheses pass, 200 do not.
        let parens = |k: usize| format!("{}1{}", "(".repeat(k), ")".repeat(k));
        assert!(parse(&parens(MAX_DEPTH - 1)).is_ok());
        assert!(parse(&parens(MAX_DEPTH)).is_err());
        assert!(
            e.help.as_deref().unwrap().contains("at most 199 levels"),
            "{e:?}"
        );
        assert_eq!(e.span, Span::new(MAX_DEPTH, MAX_DEPTH + 1), "{e:?}");
        for prefix in ["-", "not ", "abs("] {
            let src = prefix.repeat(n) + "1";
            let e = parse(&src).unwrap_err();
            assert!(e.message.contains("nested too deeply"), "{prefix}: {e:?}");
            // Somewhere inside the nesting, past the limit, never at 0.
            assert!(
                e.span.start >= (MAX_DEPTH - 1) * prefix.len() && e.span.end <= src.len(),
                "{prefix}: {e:?}"
            );
        }
        // Nesting on the right of a chain is genuine nesting: a - (a - (a - …)).
        let src = format!("{}a{}", "a - (".repeat(n), ")".repeat(n));
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e:?}");
        // So is a chain whose left operand is parenthesised again and again.
        let src = format!("{}a{}", "(".repeat(n), " + a)".repeat(n));
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e:?}");
        // Deep nesting inside one operand of a long flat chain is still found.
        let src = format!(
            "{} + {}a{}",
            vec!["a"; 1000].join(" + "),
            "abs(".repeat(n),
            ")".repeat(n)
        );
        let e = parse(&src).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e:?}");
        assert!(e.span.start > nth_offset(&src, "abs(", 0), "{e:?}");
    }
    // Just under the limit parses, compiles and evaluates, also on a small stack.
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(|| {
            let d = MAX_DEPTH - 2;
            let src = format!("{}a{}", "abs(".repeat(d), ")".repeat(d));
            let p = compile_in(&src, Context::Row);
            same_nums(&src, &num_col(&p.eval(&env())), &[1.0, 2.0, NAN, 4.0]);
            // Each level of a - (…) nests twice: the parentheses and the operand.
            let d = MAX_DEPTH / 2 - 2;
            let src = format!("{}a{}", "(a - ".repeat(d), ")".repeat(d));
            let p = compile_in(&src, Context::Row);
            let want = [1.0, 2.0, NAN, 4.0].map(|x| if d.is_multiple_of(2) { x } else { 0.0 * x });
            same_nums("(a - (a - …))", &num_col(&p.eval(&env())), &want);
        })
        .unwrap()
        .join()
        .unwrap();
}

/// `a op a op a …` with up to 10,000 terms, compared with a left fold done here; the whole
/// life of the tree (parse, check, evaluate, clone, compare, drop) on a small stack.
#[test]
fn flat_chains_of_any_length_parse_check_evaluate_and_drop() {
    const A: [f64; 4] = [1.0, 2.0, NAN, 4.0];
    const B: [f64; 4] = [10.0, 0.0, 5.0, NAN];
    /// `first`, then `step` applied `n - 1` times, per row; non-finite → missing.
    fn fold(n: usize, first: impl Fn(usize) -> f64, step: impl Fn(f64, usize) -> f64) -> Vec<f64> {
        (0..4)
            .map(|r| {
                let mut acc = first(r);
                for _ in 1..n {
                    acc = step(acc, r);
                }
                if acc.is_finite() { acc } else { NAN }
            })
            .collect()
    }
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(|| {
            let e = env();
            for n in [300, 5_000, 10_000] {
                let sum = vec!["a"; n].join(" + ");
                let ast = parse(&sum).unwrap_or_else(|e| panic!("{n} terms: {e}"));
                let ExprKind::Chain { rest, .. } = &ast.kind else {
                    panic!("{n}: not a chain")
                };
                assert_eq!(rest.len(), n - 1);
                assert_eq!(ast.span, Span::new(0, sum.len()));
                // Derived Clone, PartialEq and Debug follow the nesting, not the length.
                let copy = ast.clone();
                assert_eq!(copy, ast);
                assert!(format!("{copy:?}").len() > n);
                drop(copy);
                assert_eq!(to_sexpr(&ast).matches('(').count(), n - 1);
                let p = compile(&ast, &TestScope, Context::Row).unwrap();
                let want = fold(n, |r| A[r], |acc, r| acc + A[r]);
                same_nums("a + a + …", &num_col(&p.eval(&e)), &want);
                drop(p.clone());
                drop(p);
                drop(ast);

                // Mixed + and -; the constant prefix folds, the rest stays one chain.
                let src = format!("1 + 2 - {}", vec!["a"; n].join(" - "));
                let p = compile_in(&src, Context::Row);
                let want = fold(n, |r| 3.0 - A[r], |acc, r| acc - A[r]);
                same_nums("1 + 2 - a - a - …", &num_col(&p.eval(&e)), &want);

                // * and /, and products added up (two precedence levels).
                let src = vec!["a"; n].join(" * 1.001 / ");
                let p = compile_in(&src, Context::Row);
                let want = fold(n, |r| A[r], |acc, r| acc * 1.001 / A[r]);
                same_nums("a * 1.001 / a * …", &num_col(&p.eval(&e)), &want);
                let src = vec!["a * b"; n].join(" + ");
                let p = compile_in(&src, Context::Row);
                let want = fold(n, |r| A[r] * B[r], |acc, r| acc + A[r] * B[r]);
                same_nums("a * b + a * b + …", &num_col(&p.eval(&e)), &want);

                // Conditions: and / or chains, comparisons joined by and, two levels.
                let ands = vec!["t"; n].join(" and ");
                check_bools(&[(ands.as_str(), &[T, F, M, T])]);
                let ors = format!("{} or t", vec!["f"; n].join(" || "));
                check_bools(&[(ors.as_str(), &[T, F, M, T])]);
                let ors = vec!["f"; n].join(" or ");
                check_bools(&[(ors.as_str(), &[F, F, M, T])]);
                let cmps = vec!["a < b"; n].join(" and ");
                check_bools(&[(cmps.as_str(), &[T, F, M, M])]);
                let mixed = vec!["a + 1 > 2 and t"; n].join(" or ");
                check_bools(&[(mixed.as_str(), &[F, F, M, T])]);

                // Names of a long chain: each once, in order.
                let src = (0..n)
                    .map(|i| format!("x{i}"))
                    .collect::<Vec<_>>()
                    .join(" + ");
                let got = names(&parse(&src).unwrap());
                assert_eq!(got.len(), n);
                assert_eq!(got[n - 1].0, format!("x{}", n - 1));
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn chains_mean_what_left_nested_operators_mean() {
    for (chain, nested) in [
        ("a - b + a - 3", "((a - b) + a) - 3"),
        ("a / b * 2 / a", "((a / b) * 2) / a"),
        ("a * b + b * a - a / b", "((a * b) + (b * a)) - (a / b)"),
        ("1 + 2 + a", "(1 + 2) + a"),
        ("a + 1 + 2", "(a + 1) + 2"),
    ] {
        assert_eq!(
            to_sexpr(&parse(chain).unwrap()),
            to_sexpr(&parse(nested).unwrap()),
            "{chain}"
        );
        let (x, y) = (
            compile_in(chain, Context::Row),
            compile_in(nested, Context::Row),
        );
        assert_eq!(num_col(&x.eval(&env())).len(), 4);
        let (x, y) = (num_col(&x.eval(&env())), num_col(&y.eval(&env())));
        for (p, q) in x.iter().zip(&y) {
            assert!(
                p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()),
                "{chain}"
            );
        }
    }
    for (chain, nested) in [
        ("t and f or t and t", "(t and f) or (t and t)"),
        ("t or f or a > 1", "(t or f) or (a > 1)"),
        ("not t and f and t", "((not t) and f) and t"),
    ] {
        assert_eq!(
            to_sexpr(&parse(chain).unwrap()),
            to_sexpr(&parse(nested).unwrap()),
            "{chain}"
        );
        let (x, y) = (
            compile_in(chain, Context::Row),
            compile_in(nested, Context::Row),
        );
        assert_eq!(x.eval(&env()), y.eval(&env()), "{chain}");
    }
    // Constant prefixes fold; the rest stays a chain.
    assert!(compile_in("1 + 2 * 3 - 4 / 2", Context::Row).is_constant());
    assert!(compile_in("true and false or true", Context::Row).is_constant());
    assert!(!compile_in("1 + 2 + a", Context::Row).is_constant());
    check_nums(
        &[
            ("1 + 2 + a", &[4.0, 5.0, NAN, 7.0]),
            ("a + 1 + 2", &[4.0, 5.0, NAN, 7.0]),
            ("10 / 2 * a - 1", &[4.0, 9.0, NAN, 19.0]),
        ],
        Context::Row,
    );
    // `prev` anywhere in a chain is seen by a walk.
    let e = parse("a + b + prev(a, 3) * 2").unwrap();
    let mut calls = Vec::new();
    walk(&e, &mut |n| {
        if let ExprKind::Call { name, .. } = &n.kind {
            calls.push(name.clone());
        }
    });
    assert_eq!(calls, ["prev"]);
}

#[test]
fn errors_in_a_chain_are_found_in_the_same_order_and_place() {
    let cases: &[ErrCase] = &[
        // Names resolve before the operand types are checked, as in a nested tree.
        ("'x' + nope + 1", "unknown name 'nope'", "nope", None),
        ("'x' + a + 1", "expected a number, found text", "'x'", None),
        (
            "a + b + 'x' + t",
            "expected a number, found text",
            "'x'",
            None,
        ),
        ("a * b * t / 2", "expected a number, found bool", "t", None),
        (
            "t and f and 'x'",
            "expected a condition, found text",
            "'x'",
            None,
        ),
        (
            "region or t",
            "expected a condition, found text",
            "region",
            None,
        ),
        ("a + b + c + 1", "unknown name 'c'", "c", None),
        ("a + b < 1 < 2", "comparisons cannot be chained", "<", None),
    ];
    check_errors(cases, Context::Row);
}

#[test]
fn too_long_expressions_are_refused_where_they_pass_the_limit() {
    // 50,000 terms are 99,999 tokens: accepted.
    let src = vec!["a"; MAX_TOKENS / 2].join("+");
    let p = compile_in(&src, Context::Row);
    let want = [1.0, 2.0, NAN, 4.0].map(|x| x * (MAX_TOKENS / 2) as f64);
    same_nums("50,000 terms", &num_col(&p.eval(&env())), &want);
    // One more term is 100,001 tokens: refused at the first token past the limit (the last
    // 'a', token 100,000 counting from 0), before the rest is read.
    let src = vec!["a"; MAX_TOKENS / 2 + 1].join("+");
    let e = parse(&src).unwrap_err();
    assert!(e.message.contains("expression too long"), "{e:?}");
    assert!(e.message.contains("100000 tokens"), "{e:?}");
    assert_eq!(e.span, Span::new(MAX_TOKENS, MAX_TOKENS + 1));
    // A 10 MB expression fails fast, at the same place.
    let src = "a + ".repeat(2_500_000) + "a";
    let e = parse(&src).unwrap_err();
    assert!(e.message.contains("expression too long"), "{e:?}");
    assert_eq!(e.span.start, 2 * MAX_TOKENS);
}

#[test]
fn parser_never_panics_on_odd_input() {
    let inputs = [
        "(",
        ")",
        ",",
        "`",
        "'",
        "\"",
        "\\",
        "a(",
        "a(,",
        "a(1,",
        "sum(",
        "--",
        "!",
        "!=",
        "==",
        "1..2",
        ".",
        "1.",
        "1e",
        "1e+",
        "a\u{0}b",
        "\u{FEFF}a",
        "((((",
        "))))",
        "f(()",
        "'\\",
        "`a",
        "if(,,)",
        "1 2 3",
        "a < b > c",
        "not",
        "and",
        "or or",
        "true(1)",
        "`a`(1)",
        "round(1, 99)",
        "prev(a, 0)",
        "prev(a, -1)",
        "prev(a, 1.5)",
        "é + 中",
        "a\n+\tb",
    ];
    for src in inputs {
        let _ = parse(src);
        let _ = parse_and_compile(src, &TestScope, Context::Row);
        let _ = parse_and_compile(src, &TestScope, Context::Aggregate);
    }
    // Every prefix of some valid expressions.
    let full = "if(a >= 5 && `region` == '东', round(sum(m) / count(), 2), coalesce(b, -1))";
    for (i, _) in full.char_indices() {
        let _ = parse_and_compile(&full[..i], &TestScope, Context::Aggregate);
    }
}

// ---------------------------------------------------------------------------------------
// Checking

#[test]
fn check_errors_have_exact_spans() {
    let cases: &[ErrCase] = &[
        (
            "rd_intesity * 2",
            "unknown name 'rd_intesity'",
            "rd_intesity",
            Some("rd_intensity"),
        ),
        ("1 + `nope`", "unknown name 'nope'", "`nope`", None),
        ("'a' + 1", "expected a number, found text", "'a'", None),
        (
            "a + t",
            "expected a number, found bool",
            "t",
            Some("if(x, 1, 0)"),
        ),
        ("-region", "expected a number, found text", "region", None),
        (
            "region and t",
            "expected a condition, found text",
            "region",
            None,
        ),
        (
            "not region",
            "expected a condition, found text",
            "region",
            None,
        ),
        (
            "a == region",
            "cannot compare a number with text",
            "region",
            None,
        ),
        (
            "t == 1",
            "cannot compare a bool with a number",
            "1",
            Some("true or false"),
        ),
        // Which side to change: drop the quotes of a quoted number, quote a number
        // compared with text.
        (
            "a == '0'",
            "cannot compare a number with text",
            "'0'",
            Some(
                "'0' is text because of its quotes; compare a number with a number: write 0 without quotes",
            ),
        ),
        (
            "region == 1",
            "cannot compare text with a number",
            "1",
            Some("compare it with a text in quotes: '1'"),
        ),
        // A column name in text quotes, in arithmetic: backticks.
        (
            "a / '销售收入（万元）' * 100",
            "expected a number, found text",
            "'销售收入（万元）'",
            Some("written in backticks: `销售收入（万元）`"),
        ),
        (
            "region < 'x'",
            "'<' needs numbers",
            "region < 'x'",
            Some("=="),
        ),
        ("t > f", "'>' needs numbers", "t > f", None),
        // One side not a number: that side, whatever the other holds (not "cannot
        // compare a number with text" for a column guessed a number).
        (
            "a < 'x'",
            "'<' needs numbers, found text on its right side",
            "'x'",
            Some("=="),
        ),
        (
            "a >= '100'",
            "'>=' needs numbers, found text on its right side",
            "'100'",
            Some(
                "'100' is text because of its quotes; compare a number with a number: write 100 without quotes",
            ),
        ),
        (
            "t >= a",
            "'>=' needs numbers, found bool on its left side",
            "t",
            None,
        ),
        (
            "region > t",
            "'>' needs numbers, found text on its left side",
            "region",
            None,
        ),
        ("round(1)", "`round` takes 2 arguments", "round(1)", None),
        ("round(a, 1.5)", "decimals", "1.5", None),
        ("round(a, 11)", "decimals", "11", None),
        ("round(a, b)", "decimals", "b", None),
        (
            "abs(1, 2)",
            "`abs` takes 1 argument, found 2",
            "abs(1, 2)",
            None,
        ),
        ("if(t, 1)", "`if` takes 3 arguments", "if(t, 1)", None),
        ("if(t, 1, 'x')", "same type", "'x'", None),
        (
            "if(region, 1, 2)",
            "expected a condition, found text",
            "region",
            None,
        ),
        (
            "coalesce()",
            "`coalesce` takes at least 1 argument",
            "coalesce()",
            None,
        ),
        ("coalesce(a, region)", "same type", "region", None),
        ("prev(a, 0)", "positive whole number", "0", None),
        (
            "prev(a, 1, 2)",
            "`prev` takes 1 or 2 arguments",
            "prev(a, 1, 2)",
            None,
        ),
        (
            "min(a)",
            "`min` with one argument is an aggregate function",
            "min",
            None,
        ),
        (
            "max()",
            "`max` takes at least 2 arguments, found 0 arguments",
            "max()",
            None,
        ),
        (
            "sum(a)",
            "`sum` is an aggregate function; aggregate functions are only allowed in `aggregate` expressions",
            "sum",
            None,
        ),
        ("count()", "aggregate function", "count", None),
        ("share(t)", "aggregate function", "share", None),
        ("mean(a) + 1", "aggregate function", "mean", None),
        (
            "sqrtt(a)",
            "unknown function 'sqrtt'",
            "sqrtt",
            Some("'sqrt'"),
        ),
        ("IF(t, 1, 2)", "unknown function 'IF'", "IF", Some("'if'")),
        // One slip in a short name, which Jaro-Winkler alone rates too far.
        (
            "mn(a, 1)",
            "unknown function 'mn'",
            "mn",
            Some("did you mean 'min'?"),
        ),
        // No near name: the functions on offer, aggregate ones said to be for [aggregate].
        (
            "foo(a) > 1",
            "unknown function 'foo'",
            "foo",
            Some(
                "the functions are min, max, abs, ln, log10, sqrt, exp, round, if, is_missing, coalesce, prev and count_true (sum, mean, median, count and share are aggregate functions",
            ),
        ),
        (
            "pow(a, 2) > 1",
            "unknown function 'pow'",
            "pow",
            Some("x to the power y is exp(y * ln(x)) for x > 0"),
        ),
        ("count_true(region)", "expected a condition", "region", None),
        ("count_true()", "at least 1 argument", "count_true()", None),
        ("TRUE and t", "unknown name 'TRUE'", "TRUE", Some("'true'")),
        (
            "is_missing()",
            "`is_missing` takes 1 argument, found 0",
            "is_missing()",
            None,
        ),
    ];
    check_errors(cases, Context::Row);
}

#[test]
fn aggregate_check_errors() {
    let cases: &[ErrCase] = &[
        ("sum(sum(m))", "cannot be nested", "sum", None),
        ("mean(m + min(m))", "`min` inside `mean`", "min", None),
        (
            "sum(ok)",
            "expected a number, found bool",
            "ok",
            Some("write count(…) in place of sum(…)"),
        ),
        (
            "mean(m > 1)",
            "expected a number, found bool",
            "m > 1",
            Some("takes numbers; to count the members for which the condition holds"),
        ),
        ("share()", "`share` takes 1 argument", "share()", None),
        (
            "count(*)",
            "found '*'",
            "*",
            Some("write count() for the number of member rows"),
        ),
        (
            "foo(m)",
            "unknown function 'foo'",
            "foo",
            Some(
                "the aggregate functions over a cluster's members are sum, mean, median, count and share",
            ),
        ),
        (
            "countif(m > 1)",
            "unknown function 'countif'",
            "countif",
            Some("called 'count' here (over a cluster's members"),
        ),
        (
            "count(ok, ok)",
            "`count` takes 0 or 1 arguments",
            "count(ok, ok)",
            None,
        ),
        (
            "min()",
            "`min` takes 1 argument (the aggregate over members) or at least 2",
            "min()",
            None,
        ),
        ("sum(a)", "unknown name 'a'", "a", None),
        ("m + 1", "unknown name 'm'", "m", None),
        (
            "share(m > 1) + region",
            "expected a number, found text",
            "region",
            None,
        ),
    ];
    check_errors(cases, Context::Aggregate);
    let e = parse_and_compile("sum(a)", &RowOnly, Context::Aggregate).unwrap_err();
    assert_eq!(
        e.message,
        "aggregate functions are only allowed in `aggregate`"
    );
    assert_eq!(e.span, Span::new(4, 5));
}

#[test]
fn types_slots_and_folding() {
    // (source, type, row slots, member slots, folded to a constant)
    type Case<'a> = (&'a str, Type, &'a [usize], &'a [usize], bool);
    let cases: &[Case] = &[
        ("a + b * a", Type::Number, &[0, 1], &[], false),
        ("region == '东'", Type::Bool, &[4], &[], false),
        ("if(t, region, region2)", Type::Text, &[2, 4, 5], &[], false),
        ("a > 1 or 2", Type::Bool, &[0], &[], false),
        ("1 + 2 * 3", Type::Number, &[], &[], true),
        ("round(10 / 3, 2) >= 3.33", Type::Bool, &[], &[], true),
        ("is_missing(1 / 0)", Type::Bool, &[], &[], true),
        ("if(1 > 2, 'x', 'y')", Type::Text, &[], &[], true),
        ("prev(1)", Type::Number, &[], &[], false),
        ("sum(m) / count() + a", Type::Number, &[0], &[0], false),
        ("share(ok and m > 2)", Type::Number, &[], &[0, 1], false),
    ];
    for (src, ty, slots, members, constant) in cases {
        let p = compile_in(src, Context::Aggregate);
        assert_eq!(p.ty(), *ty, "{src}");
        assert_eq!(p.slots(), slots.to_vec(), "{src}");
        assert_eq!(p.member_slots(), members.to_vec(), "{src}");
        assert_eq!(p.is_constant(), *constant, "{src}");
    }
    let cond = compile_condition(&parse("region").unwrap(), &TestScope, Context::Row);
    assert!(cond.unwrap_err().message.contains("expected a condition"));
    assert!(compile_condition(&parse("a").unwrap(), &TestScope, Context::Row).is_ok());
}

// ---------------------------------------------------------------------------------------
// Evaluation

#[test]
fn arithmetic_and_missing() {
    // a = [1, 2, NaN, 4], b = [10, 0, 5, NaN]
    let cases: &[(&str, &[f64])] = &[
        ("1 + 2 * 3", &[7.0; 4]),
        ("a * 100", &[100.0, 200.0, NAN, 400.0]),
        ("100 - a", &[99.0, 98.0, NAN, 96.0]),
        ("a + b", &[11.0, 2.0, NAN, NAN]),
        ("b / a", &[10.0, 0.0, NAN, NAN]),
        ("a / b", &[0.1, NAN, NAN, NAN]),
        ("a / zero", &[NAN; 4]),
        ("1 / 0", &[NAN; 4]),
        ("0 / 0 + a", &[NAN; 4]),
        ("-a", &[-1.0, -2.0, NAN, -4.0]),
        ("-(a - b)", &[9.0, -2.0, NAN, NAN]),
        ("1e308 * 10 + a", &[NAN; 4]),
        ("a * 1e308 * 10", &[NAN; 4]),
        (".5 * a", &[0.5, 1.0, NAN, 2.0]),
        ("(a + b) * (a - b) / 2", &[-49.5, 2.0, NAN, NAN]),
    ];
    check_nums(cases, Context::Row);
}

#[test]
fn row_functions() {
    let cases: &[(&str, &[f64])] = &[
        ("min(a, b)", &[1.0, 0.0, NAN, NAN]),
        ("max(a, b, 3)", &[10.0, 3.0, NAN, NAN]),
        ("max(a, 3)", &[3.0, 3.0, NAN, 4.0]),
        ("min(1, 2, 0.5)", &[0.5; 4]),
        ("abs(a - 3)", &[2.0, 1.0, NAN, 1.0]),
        ("ln(a - 1)", &[NAN, 0.0, NAN, 3f64.ln()]),
        ("ln(-1)", &[NAN; 4]),
        ("log10(b)", &[1.0, NAN, 5f64.log10(), NAN]),
        ("log10(b - 5)", &[5f64.log10(), NAN, NAN, NAN]),
        ("sqrt(a - 2)", &[NAN, 0.0, NAN, 2f64.sqrt()]),
        ("sqrt(0 - 4)", &[NAN; 4]),
        ("exp(a - 1)", &[1.0, 1f64.exp(), NAN, 3f64.exp()]),
        ("exp(ln(a))", &[1.0, 2.0, NAN, 4.0]),
        // x to the power y, and a compound rate: 4 → 9 over two steps is 50 % a step.
        ("exp(2 * ln(a))", &[1.0, 4.0, NAN, 16.0]),
        (
            "round(exp(ln(9 / 4) / 2) - 1, 6) + a * 0",
            &[0.5, 0.5, NAN, 0.5],
        ),
        // Past e^709 the number overflows: missing, as a division by zero is.
        ("exp(a * 1000)", &[NAN; 4]),
        ("exp(0 - a * 1000)", &[0.0, 0.0, NAN, 0.0]),
        ("round(a / 3, 2)", &[0.33, 0.67, NAN, 1.33]),
        ("round(2.675 + a * 0, 2)", &[2.68, 2.68, NAN, 2.68]),
        ("round(-2.5, 0)", &[-3.0; 4]),
        ("round(b / 4, 0)", &[3.0, 0.0, 1.0, NAN]),
        ("if(t, a, b)", &[1.0, 0.0, 5.0, 4.0]),
        ("if(a > 1, 1, 0)", &[0.0, 1.0, 0.0, 1.0]),
        ("if(b, 1, 2)", &[1.0, 2.0, 1.0, 2.0]),
        ("if(1 > 0, a, b)", &[1.0, 2.0, NAN, 4.0]),
        ("if(is_missing(a), -1, a)", &[1.0, 2.0, -1.0, 4.0]),
        ("coalesce(a, b, 0)", &[1.0, 2.0, 5.0, 4.0]),
        ("coalesce(b, a)", &[10.0, 0.0, 5.0, 4.0]),
        ("coalesce(a)", &[1.0, 2.0, NAN, 4.0]),
        ("coalesce(a / zero, 7)", &[7.0; 4]),
        ("count_true(t, f, a > 1)", &[1.0, 1.0, 0.0, 3.0]),
        ("count_true(true, 1 > 2)", &[1.0; 4]),
        ("count_true(b)", &[1.0, 0.0, 1.0, 0.0]),
        ("prev(a)", &[NAN, NAN, 1.0, 2.0]),
        ("a - prev(a)", &[NAN, NAN, NAN, 2.0]),
        ("prev(a * 10, 1)", &[NAN, NAN, 10.0, 20.0]),
        ("prev(a, 2)", &[NAN; 4]),
        ("prev(5)", &[NAN, NAN, 5.0, 5.0]),
        ("coalesce(prev(b), b)", &[10.0, 0.0, 10.0, 0.0]),
    ];
    check_nums(cases, Context::Row);
    let e = env();
    let p = compile_in("prev(region)", Context::Row);
    let Column::Text(t) = p.eval(&e) else {
        panic!()
    };
    assert_eq!(
        (0..4).map(|i| t.get(i)).collect::<Vec<_>>(),
        [None, None, Some("东"), Some("西")]
    );
    let p = compile_in("prev(t)", Context::Row);
    assert_eq!(p.eval(&e), Column::Bool(vec![M, M, T, F]));
}

#[test]
fn comparisons_with_tolerance_and_missing() {
    let cases: &[(&str, &[Option<bool>])] = &[
        ("4.999999999999 >= 5", &[T; 4]),
        ("a * 0 + 4.999999999999 >= 5", &[T, T, M, T]),
        ("5.0000000001 > 5", &[F; 4]),
        ("5.001 > 5", &[T; 4]),
        ("100.00000001 == 100", &[T; 4]),
        ("100.00000001 != 100", &[F; 4]),
        ("4.99 < 5", &[T; 4]),
        ("5.0000000001 <= 5", &[T; 4]),
        ("a >= 2", &[F, T, M, T]),
        ("a > b", &[F, T, M, M]),
        ("b <= a", &[F, T, M, M]),
        ("a == 4", &[F, F, M, T]),
        ("a != 4", &[T, T, M, F]),
        ("2 < a", &[F, F, M, T]),
        // the right-hand side is the threshold: 1e-9 × max(1, |rhs|)
        ("a * 1000000000 >= 2000000001", &[F, T, M, T]),
        ("a * 1000000000 > 2000000001", &[F, F, M, T]),
        ("a * 1000000000 < 2000000001", &[T, F, M, F]),
        ("a * 1000000000 == 2000000001", &[F, T, M, F]),
    ];
    check_bools(cases);
}

#[test]
fn comparisons_with_a_missing_operand_are_false() {
    // SPEC §4. a = [1, 2, NaN, 4], b = [10, 0, 5, NaN], t = [T, F, M, T], f = [F, F, M, T],
    // region = [东, 西, M, 东]. The traced reading (second list) leaves them missing.
    type Case<'a> = (&'a str, &'a [Option<bool>], &'a [Option<bool>]);
    let cases: &[Case] = &[
        ("a >= 2", &[F, T, F, T], &[F, T, M, T]),
        ("not (a >= 2)", &[T, F, T, F], &[T, F, M, F]),
        ("a > b", &[F, T, F, F], &[F, T, M, M]),
        ("a != 4", &[T, T, F, F], &[T, T, M, F]),
        ("region == '东'", &[T, F, F, T], &[T, F, M, T]),
        ("region != '东'", &[F, T, F, F], &[F, T, M, F]),
        ("t == f", &[F, T, F, T], &[F, T, M, T]),
        // A comparison is never missing, so is_missing() of one is false in both readings.
        ("is_missing(a > 5)", &[F, F, F, F], &[F, F, F, F]),
        ("coalesce(a > 5, true)", &[F, F, F, F], &[F, F, T, F]),
        ("a > 5 or not (a > 5)", &[T, T, T, T], &[T, T, M, T]),
        ("if(a > 1, 1, 0) == 1", &[F, T, F, T], &[F, T, F, T]),
        // A missing bool is not a comparison: Kleene logic in both readings.
        ("t and f", &[F, F, M, T], &[F, F, M, T]),
        ("not t", &[F, T, M, F], &[F, T, M, F]),
    ];
    let e = env();
    for (src, spec, traced) in cases {
        let p = compile_in(src, Context::Row);
        assert_eq!(p.eval_condition(&e), spec.to_vec(), "{src}");
        assert_eq!(p.eval_condition_traced(&e), traced.to_vec(), "{src}");
    }
    assert!(compile_in("not (a >= 2)", Context::Row).has_comparison());
    assert!(!compile_in("t and f", Context::Row).has_comparison());
}

#[test]
fn logic_is_three_valued() {
    // t = [T, F, M, T], f = [F, F, M, T], a = [1, 2, NaN, 4], b = [10, 0, 5, NaN]
    let cases: &[(&str, &[Option<bool>])] = &[
        ("t and f", &[F, F, M, T]),
        ("t or f", &[T, F, M, T]),
        ("not t", &[F, T, M, F]),
        ("!t", &[F, T, M, F]),
        ("t and false", &[F; 4]),
        ("t or true", &[T; 4]),
        ("t && b", &[T, F, M, M]),
        ("a > 5 and t", &[F, F, M, F]),
        ("a > 5 or t", &[T, F, M, T]),
        ("not a > 1 and t", &[T, F, M, F]),
        ("a > 1 or b > 1 and t", &[T, T, M, T]),
        ("is_missing(a) or is_missing(t)", &[F, F, T, F]),
        ("is_missing(region) and not is_missing(b)", &[F, F, T, F]),
        ("t == f", &[F, T, M, T]),
        ("t != true", &[F, T, M, F]),
        ("b", &[T, F, T, M]),
        ("if(t, f, t)", &[F, F, M, T]),
        ("coalesce(t, f, false)", &[T, F, F, T]),
        ("coalesce(is_missing(a), t)", &[F, F, T, F]),
        ("prev(t) or t", &[T, M, T, T]),
    ];
    let e = env();
    for (src, want) in cases {
        let p = compile_in(src, Context::Row);
        assert_eq!(p.eval_condition_traced(&e), want.to_vec(), "{src}");
        same_where_decided(src, &p.eval_condition(&e), want);
    }
}

#[test]
fn text_equality_uses_the_dictionary() {
    // region = [东, 西, M, 东], region2 = [西, 西, 东, M]
    let cases: &[(&str, &[Option<bool>])] = &[
        ("region == '东'", &[T, F, M, T]),
        ("'东' == region", &[T, F, M, T]),
        ("region != \"东\"", &[F, T, M, F]),
        ("region == '北'", &[F, F, M, F]),
        ("region == region2", &[F, T, M, M]),
        ("region != region2", &[T, F, M, M]),
        ("`region` == region", &[T, T, M, T]),
        ("'a' == 'a'", &[T; 4]),
        ("coalesce(region, region2) == '东'", &[T, F, T, T]),
        ("if(t, region, '无') == '无'", &[F, T, T, F]),
        ("if(t, 'x', region2) == region2", &[F, T, T, M]),
        ("coalesce(region, 'none') == 'none'", &[F, F, T, F]),
    ];
    let e = env();
    for (src, want) in cases {
        let p = compile_in(src, Context::Row);
        assert_eq!(p.eval_condition_traced(&e), want.to_vec(), "{src}");
        same_where_decided(src, &p.eval_condition(&e), want);
    }
    let p = compile_in("if(t, region, region2)", Context::Row);
    let Column::Text(t) = p.eval(&e) else {
        panic!()
    };
    let got: Vec<_> = (0..4).map(|i| t.get(i)).collect();
    assert_eq!(got, [Some("东"), Some("西"), Some("东"), Some("东")]);
    let p = compile_in("'常量'", Context::Row);
    let Column::Text(t) = p.eval(&e) else {
        panic!()
    };
    assert_eq!(t.get(3), Some("常量"));
}

#[test]
fn aggregates_by_group() {
    // members: groups [0, 0, 1, 1, 3, -], m = [1, 3, NaN, NaN, 7, 100],
    // ok = [T, M, F, T, F, T]; group 2 has no members, group 1 only missing m.
    let cases: &[(&str, &[f64])] = &[
        ("sum(m)", &[4.0, NAN, NAN, 7.0]),
        ("mean(m)", &[2.0, NAN, NAN, 7.0]),
        ("median(m)", &[2.0, NAN, NAN, 7.0]),
        ("min(m)", &[1.0, NAN, NAN, 7.0]),
        ("max(m)", &[3.0, NAN, NAN, 7.0]),
        ("count()", &[2.0, 2.0, 0.0, 1.0]),
        ("count(ok)", &[1.0, 1.0, 0.0, 0.0]),
        ("count(m > 2)", &[1.0, 0.0, 0.0, 1.0]),
        ("share(ok)", &[0.5, 0.5, NAN, 0.0]),
        ("share(m >= 1)", &[1.0, 0.0, NAN, 1.0]),
        ("sum(m * 2) / count()", &[4.0, NAN, NAN, 14.0]),
        ("sum(1)", &[2.0, 2.0, NAN, 1.0]),
        ("max(sum(m), a)", &[4.0, NAN, NAN, 7.0]),
        ("min(a, 2)", &[1.0, 2.0, NAN, 2.0]),
        ("sum(min(m, 2))", &[3.0, NAN, NAN, 2.0]),
        ("sum(if(ok, m, 0))", &[1.0, 0.0, NAN, 0.0]),
        ("coalesce(sum(m), 0)", &[4.0, 0.0, 0.0, 7.0]),
        ("count_true(share(ok) > 0.4)", &[1.0, 1.0, 0.0, 0.0]),
        ("prev(sum(m))", &[NAN, NAN, 4.0, NAN]),
    ];
    check_nums(cases, Context::Aggregate);
    // median with an even and an odd count, unsorted members
    let members = TestEnv {
        cols: vec![Column::Number(vec![5.0, 1.0, 3.0, 9.0, 2.0, NAN, 4.0])],
        prev: None,
        members: None,
    };
    let e = TestEnv {
        cols: vec![Column::Number(vec![0.0, 0.0])],
        prev: None,
        members: Some((Box::new(members), vec![0, 1, 0, 1, 0, 1, 1])),
    };
    struct S;
    impl Scope for S {
        fn resolve(&self, n: &str, _: bool) -> Result<Resolved, ResolveError> {
            Err(ResolveError::new(format!("unknown name '{n}'")))
        }
        fn resolve_member(&self, _: &str, _: bool) -> Result<Resolved, ResolveError> {
            Ok(Resolved {
                slot: 0,
                ty: Type::Number,
            })
        }
    }
    let p = parse_and_compile("median(x)", &S, Context::Aggregate).unwrap();
    same_nums("median", &num_col(&p.eval(&e)), &[3.0, 4.0]);
    // an env without members: count 0, the rest missing
    let bare = TestEnv {
        cols: vec![Column::Number(vec![0.0])],
        prev: None,
        members: None,
    };
    let p = parse_and_compile("count() + 1", &S, Context::Aggregate).unwrap();
    same_nums("count", &num_col(&p.eval(&bare)), &[1.0]);
    let p = parse_and_compile("share(x > 0)", &S, Context::Aggregate).unwrap();
    same_nums("share", &num_col(&p.eval(&bare)), &[NAN]);
}

#[test]
fn env_type_mismatch_does_not_panic() {
    // The scope says `a` is bool, the env holds numbers: converted, not a panic.
    struct Liar;
    impl Scope for Liar {
        fn resolve(&self, _: &str, _: bool) -> Result<Resolved, ResolveError> {
            Ok(Resolved {
                slot: 0,
                ty: Type::Text,
            })
        }
    }
    let p = parse_and_compile("x == 'a'", &Liar, Context::Row).unwrap();
    assert_eq!(p.eval_condition(&env()), vec![F; 4]);
    assert_eq!(p.eval_condition_traced(&env()), vec![M; 4]);
}

#[test]
fn program_is_send_sync_clone() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_traits::<Program>();
    assert_traits::<Expr>();
    assert_traits::<ExprError>();
}

#[test]
fn a_short_unknown_function_gets_no_far_fetched_suggestion() {
    // `lx` is one edit from `ln`, but two letters with one changed are another name.
    for src in ["lx(a)", "zz(a)", "q(a)"] {
        let e = err_in(src, Context::Row);
        let help = e.help.unwrap_or_default();
        assert!(!help.contains("did you mean"), "{src}: {help}");
        assert!(
            help.starts_with("the functions are min, max"),
            "{src}: {help}"
        );
    }
}
