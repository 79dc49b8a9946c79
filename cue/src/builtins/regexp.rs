//! The `regexp` package: matching, finding and replacing with RE2 semantics (through
//! [`crate::re2`]); "no match" is an error, as in Go CUE.

use std::sync::Arc;

use super::{i64_arg, list, str_arg, string, Builtin, BuiltinError, Concrete};
use crate::re2;

const P: &str = "regexp";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Valid", [String] -> Bool, |a| {
        compile(str_arg(a, 0)?)?;
        Ok(Concrete::Bool(true))
    }),
    builtin!(P, "Match", [String, String] -> Bool, |a| {
        Ok(Concrete::Bool(compile(str_arg(a, 0)?)?.is_match(str_arg(a, 1)?)))
    }),
    builtin!(P, "Find", [String, String] -> String, |a| {
        let found = compile(str_arg(a, 0)?)?.find(str_arg(a, 1)?).ok_or_else(no_match)?;
        Ok(string(found.as_str()))
    }),
    builtin!(P, "FindAll", [String, String, Int] -> List, |a| {
        let re = compile(str_arg(a, 0)?)?;
        let found: Vec<Concrete> = re
            .find_iter(str_arg(a, 1)?)
            .take(limit(i64_arg(a, 2)?))
            .map(|m| string(m.as_str()))
            .collect();
        non_empty(found)
    }),
    builtin!(P, "FindSubmatch", [String, String] -> List, |a| {
        let re = compile(str_arg(a, 0)?)?;
        let caps = re.captures(str_arg(a, 1)?).ok_or_else(no_match)?;
        Ok(groups(&caps))
    }),
    builtin!(P, "FindAllSubmatch", [String, String, Int] -> List, |a| {
        let re = compile(str_arg(a, 0)?)?;
        let found: Vec<Concrete> = re
            .captures_iter(str_arg(a, 1)?)
            .take(limit(i64_arg(a, 2)?))
            .map(|caps| groups(&caps))
            .collect();
        non_empty(found)
    }),
    builtin!(P, "FindNamedSubmatch", [String, String] -> Struct, |a| {
        let re = compile(str_arg(a, 0)?)?;
        let caps = re.captures(str_arg(a, 1)?).ok_or_else(no_match)?;
        Ok(named(&re, &caps))
    }),
    builtin!(P, "FindAllNamedSubmatch", [String, String, Int] -> List, |a| {
        let re = compile(str_arg(a, 0)?)?;
        let found: Vec<Concrete> = re
            .captures_iter(str_arg(a, 1)?)
            .take(limit(i64_arg(a, 2)?))
            .map(|caps| named(&re, &caps))
            .collect();
        non_empty(found)
    }),
    builtin!(P, "ReplaceAll", [String, String, String] -> String, |a| {
        let re = compile(str_arg(a, 0)?)?;
        // The crate's `$name`, `${name}` and `$$` expansion is Go's `Expand` syntax.
        Ok(string(re.replace_all(str_arg(a, 1)?, str_arg(a, 2)?)))
    }),
    builtin!(P, "ReplaceAllLiteral", [String, String, String] -> String, |a| {
        let re = compile(str_arg(a, 0)?)?;
        Ok(string(re.replace_all(str_arg(a, 1)?, regex::NoExpand(str_arg(a, 2)?))))
    }),
    builtin!(P, "QuoteMeta", [String] -> String, |a| Ok(string(quote_meta(str_arg(a, 0)?)))),
];

fn compile(pattern: &str) -> Result<Arc<regex::Regex>, BuiltinError> {
    re2::compile(pattern).map_err(|e| BuiltinError::new(e.to_string()))
}

fn no_match() -> BuiltinError {
    BuiltinError::new("no match")
}

/// Go's `n` argument: negative means all.
fn limit(n: i64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

fn non_empty(found: Vec<Concrete>) -> Result<Concrete, BuiltinError> {
    if found.is_empty() {
        return Err(no_match());
    }
    Ok(list(found))
}

/// The whole match and each group; a group that did not take part is "", as in Go.
fn groups(caps: &regex::Captures<'_>) -> Concrete {
    list(
        caps.iter()
            .map(|group| string(group.map_or("", |m| m.as_str())))
            .collect(),
    )
}

fn named(re: &regex::Regex, caps: &regex::Captures<'_>) -> Concrete {
    Concrete::Struct(
        re.capture_names()
            .flatten()
            .map(|name| {
                let value = caps.name(name).map_or("", |m| m.as_str());
                (Arc::from(name), string(value))
            })
            .collect(),
    )
}

/// Go's `QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if r"\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn find_family() {
        check(
            P,
            "Find",
            &[
                (vec![s(r"f\w\w"), s("afoot")], Ok(s("foo"))),
                (vec![s(r"f\w\w"), s("bar")], Err("no match")),
                (vec![s(r"f\w\w"), s("fé")], Err("no match")),
                (
                    vec![s("(a"), s("a")],
                    Err("error parsing regexp: missing closing ): `(a`"),
                ),
            ],
        );
        check(
            P,
            "FindAll",
            &[
                (
                    vec![s(r"f\w\w"), s("afoot afloat from"), i(2)],
                    Ok(l(vec![s("foo"), s("flo")])),
                ),
                (vec![s(r"f\w\w"), s("bla bla"), i(-1)], Err("no match")),
            ],
        );
        check(
            P,
            "FindSubmatch",
            &[(
                vec![s(r"f(\w)(\w)"), s("afloat afoot from")],
                Ok(l(vec![s("flo"), s("l"), s("o")])),
            )],
        );
        check(
            P,
            "FindAllSubmatch",
            &[
                (
                    vec![s(r"f(\w)(\w)"), s("afloat afoot from"), i(-1)],
                    Ok(l(vec![
                        l(vec![s("flo"), s("l"), s("o")]),
                        l(vec![s("foo"), s("o"), s("o")]),
                        l(vec![s("fro"), s("r"), s("o")]),
                    ])),
                ),
                (vec![s(r"f(\w)(\w)"), s("aglom"), i(-1)], Err("no match")),
            ],
        );
        check(
            P,
            "FindNamedSubmatch",
            &[(
                vec![s(r"f(?P<A>\w)(?P<B>\w)"), s("afloat afoot from")],
                Ok(st(vec![("A", s("l")), ("B", s("o"))])),
            )],
        );
        check(
            P,
            "FindAllNamedSubmatch",
            &[
                (
                    vec![s(r"f(?P<A>optional)?"), s("fbla"), i(-1)],
                    Ok(l(vec![st(vec![("A", s(""))])])),
                ),
                (
                    vec![s(r"f(?P<A>\w)(?P<B>\w)"), s("aglom"), i(-1)],
                    Err("no match"),
                ),
            ],
        );
    }

    #[test]
    fn valid_match_replace_quote() {
        check(
            P,
            "Valid",
            &[
                (vec![s("valid")], Ok(b(true))),
                (
                    vec![s("invalid)")],
                    Err("error parsing regexp: unexpected ): `invalid)`"),
                ),
            ],
        );
        check(
            P,
            "Match",
            &[
                (vec![s(r"^\d+$"), s("123")], Ok(b(true))),
                (vec![s(r"^\d+$"), s("١٢٣")], Ok(b(false))),
                (vec![s("b"), s("abc")], Ok(b(true))),
            ],
        );
        let pattern = s(r"f(?P<A>\w)(?P<B>\w)");
        let text = s("afloat afoot from");
        check(
            P,
            "ReplaceAll",
            &[
                (
                    vec![pattern.clone(), text.clone(), s("-${A}-${B}-")],
                    Ok(s("a-l-o-at a-o-o-t -r-o-m")),
                ),
                (
                    vec![pattern.clone(), text.clone(), s("-$1-$2-")],
                    Ok(s("a-l-o-at a-o-o-t -r-o-m")),
                ),
                (
                    vec![pattern.clone(), text.clone(), s("$$")],
                    Ok(s("a$at a$t $m")),
                ),
            ],
        );
        check(
            P,
            "ReplaceAllLiteral",
            &[
                (
                    vec![pattern.clone(), text.clone(), s("-${A}-${B}-")],
                    Ok(s("a-${A}-${B}-at a-${A}-${B}-t -${A}-${B}-m")),
                ),
                (
                    vec![pattern, text, s("-$1-$2-")],
                    Ok(s("a-$1-$2-at a-$1-$2-t -$1-$2-m")),
                ),
            ],
        );
        check(
            P,
            "QuoteMeta",
            &[(vec![s("Escaping $5 [foo]")], Ok(s(r"Escaping \$5 \[foo\]")))],
        );
    }
}
