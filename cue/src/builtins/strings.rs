//! The `strings` package: rune-count validators and Go's `strings` functions (indices are byte
//! offsets, as in Go).

use super::{
    bytes, bytes_or_str_arg, i64_arg, list, str_arg, string, string_list_arg, Builtin,
    BuiltinError, Concrete,
};

const P: &str = "strings";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "MinRunes", [String, Int] -> Bool, min_runes),
    builtin!(P, "MaxRunes", [String, Int] -> Bool, max_runes),
    builtin!(P, "HasPrefix", [String, String] -> Bool, |a| pair(a, |s, t| s.starts_with(t))),
    builtin!(P, "HasSuffix", [String, String] -> Bool, |a| pair(a, |s, t| s.ends_with(t))),
    builtin!(P, "Contains", [String, String] -> Bool, |a| pair(a, |s, t| s.contains(t))),
    builtin!(P, "ContainsAny", [String, String] -> Bool, |a| {
        pair(a, |s, chars| s.chars().any(|c| chars.contains(c)))
    }),
    builtin!(P, "ContainsRune", [String, Int] -> Bool, contains_rune),
    builtin!(P, "EqualFold", [String, String] -> Bool, |a| pair(a, equal_fold)),
    builtin!(P, "Compare", [String, String] -> Int, |a| {
        let (s, t) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(Concrete::Int(s.cmp(t) as i128))
    }),
    builtin!(P, "Index", [String, String] -> Int, |a| {
        let (s, t) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(index_result(s.find(t)))
    }),
    builtin!(P, "LastIndex", [String, String] -> Int, |a| {
        let (s, t) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(index_result(s.rfind(t)))
    }),
    builtin!(P, "IndexAny", [String, String] -> Int, |a| {
        let (s, chars) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(index_result(s.find(|c| chars.contains(c))))
    }),
    builtin!(P, "LastIndexAny", [String, String] -> Int, |a| {
        let (s, chars) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(index_result(s.rfind(|c| chars.contains(c))))
    }),
    builtin!(P, "Count", [String, String] -> Int, count),
    builtin!(P, "Split", [String, String] -> List, |a| {
        Ok(strings(split(str_arg(a, 0)?, str_arg(a, 1)?, -1, false)))
    }),
    builtin!(P, "SplitN", [String, String, Int] -> List, |a| {
        Ok(strings(split(str_arg(a, 0)?, str_arg(a, 1)?, i64_arg(a, 2)?, false)))
    }),
    builtin!(P, "SplitAfter", [String, String] -> List, |a| {
        Ok(strings(split(str_arg(a, 0)?, str_arg(a, 1)?, -1, true)))
    }),
    builtin!(P, "SplitAfterN", [String, String, Int] -> List, |a| {
        Ok(strings(split(str_arg(a, 0)?, str_arg(a, 1)?, i64_arg(a, 2)?, true)))
    }),
    builtin!(P, "Fields", [String] -> List, |a| {
        Ok(strings(str_arg(a, 0)?.split_whitespace().map(str::to_string).collect()))
    }),
    builtin!(P, "Join", [List, String] -> String, |a| {
        Ok(string(string_list_arg(a, 0)?.join(str_arg(a, 1)?)))
    }),
    builtin!(P, "Replace", [String, String, String, Int] -> String, |a| {
        Ok(string(replace(str_arg(a, 0)?, str_arg(a, 1)?, str_arg(a, 2)?, i64_arg(a, 3)?)))
    }),
    builtin!(P, "Repeat", [String, Int] -> String, repeat),
    builtin!(P, "ToUpper", [String] -> String, |a| {
        Ok(string(str_arg(a, 0)?.chars().map(simple_upper).collect::<String>()))
    }),
    builtin!(P, "ToLower", [String] -> String, |a| {
        Ok(string(str_arg(a, 0)?.chars().map(simple_lower).collect::<String>()))
    }),
    builtin!(P, "ToTitle", [String] -> String, |a| Ok(string(map_word_starts(str_arg(a, 0)?, true)))),
    builtin!(P, "ToCamel", [String] -> String, |a| Ok(string(map_word_starts(str_arg(a, 0)?, false)))),
    builtin!(P, "TrimSpace", [String] -> String, |a| Ok(string(str_arg(a, 0)?.trim()))),
    builtin!(P, "Trim", [String, String] -> String, |a| {
        let (s, cut) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(string(s.trim_matches(|c| cut.contains(c))))
    }),
    builtin!(P, "TrimLeft", [String, String] -> String, |a| {
        let (s, cut) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(string(s.trim_start_matches(|c| cut.contains(c))))
    }),
    builtin!(P, "TrimRight", [String, String] -> String, |a| {
        let (s, cut) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(string(s.trim_end_matches(|c| cut.contains(c))))
    }),
    builtin!(P, "TrimPrefix", [String, String] -> String, |a| {
        let (s, prefix) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(string(s.strip_prefix(prefix).unwrap_or(s)))
    }),
    builtin!(P, "TrimSuffix", [String, String] -> String, |a| {
        let (s, suffix) = (str_arg(a, 0)?, str_arg(a, 1)?);
        Ok(string(s.strip_suffix(suffix).unwrap_or(s)))
    }),
    builtin!(P, "ByteAt", [Bytes, Int] -> Int, byte_at),
    builtin!(P, "ByteSlice", [Bytes, Int, Int] -> Bytes, byte_slice),
    builtin!(P, "Runes", [String] -> List, |a| {
        Ok(list(str_arg(a, 0)?.chars().map(|c| Concrete::Int(c as i128)).collect()))
    }),
    builtin!(P, "SliceRunes", [String, Int, Int] -> String, slice_runes),
];

/// Go's limit on `strings.Repeat` counts, so a typo cannot exhaust memory.
const REPEAT_LIMIT: i64 = 1_000_000;

/// The largest string `Repeat` builds.
const MAX_RESULT_BYTES: i128 = 1 << 28;

fn pair(args: &[Concrete], test: fn(&str, &str) -> bool) -> Result<Concrete, BuiltinError> {
    Ok(Concrete::Bool(test(str_arg(args, 0)?, str_arg(args, 1)?)))
}

fn index_result(found: Option<usize>) -> Concrete {
    Concrete::Int(found.map_or(-1, |i| i as i128))
}

fn strings(items: Vec<String>) -> Concrete {
    list(items.into_iter().map(string).collect())
}

fn min_runes(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let count = str_arg(args, 0)?.chars().count() as i128;
    Ok(Concrete::Bool(count >= super::int_arg(args, 1)?))
}

fn max_runes(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let count = str_arg(args, 0)?.chars().count() as i128;
    Ok(Concrete::Bool(count <= super::int_arg(args, 1)?))
}

fn contains_rune(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let s = str_arg(args, 0)?;
    let rune = super::int_arg(args, 1)?;
    let found = u32::try_from(rune)
        .ok()
        .and_then(char::from_u32)
        .is_some_and(|c| s.contains(c));
    Ok(Concrete::Bool(found))
}

/// Go's `EqualFold`: equal under simple Unicode case folding.
fn equal_fold(s: &str, t: &str) -> bool {
    let fold = |c: char| c.to_lowercase().collect::<String>();
    s.chars().count() == t.chars().count()
        && s.chars()
            .zip(t.chars())
            .all(|(a, b)| a == b || fold(a) == fold(b))
}

/// Go's `Count`: non-overlapping occurrences; an empty needle counts rune boundaries.
fn count(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let (s, needle) = (str_arg(args, 0)?, str_arg(args, 1)?);
    let n = if needle.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(needle).count()
    };
    Ok(Concrete::Int(n as i128))
}

/// Go's `genSplit`: an empty separator splits after each rune; `limit` < 0 means no limit,
/// 0 gives an empty list; `after` keeps the separator at the end of each piece.
fn split(s: &str, sep: &str, limit: i64, after: bool) -> Vec<String> {
    if limit == 0 {
        return Vec::new();
    }
    let limit = if limit < 0 {
        usize::MAX
    } else {
        limit as usize
    };
    let mut out = Vec::new();
    if sep.is_empty() {
        let mut rest = s;
        while !rest.is_empty() {
            if out.len() + 1 == limit {
                out.push(rest.to_string());
                return out;
            }
            let width = rest.chars().next().map_or(1, char::len_utf8);
            out.push(rest[..width].to_string());
            rest = &rest[width..];
        }
        return out;
    }
    let mut rest = s;
    while out.len() + 1 < limit {
        let Some(at) = rest.find(sep) else { break };
        let end = if after { at + sep.len() } else { at };
        out.push(rest[..end].to_string());
        rest = &rest[at + sep.len()..];
    }
    out.push(rest.to_string());
    out
}

/// Go's `Replace`: at most `n` replacements (all when `n` < 0); an empty `old` matches at the
/// start and after each rune.
fn replace(s: &str, old: &str, new: &str, n: i64) -> String {
    if n == 0 || old == new {
        return s.to_string();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    let mut out = String::with_capacity(s.len());
    let mut done = 0;
    if old.is_empty() {
        let mut chars = s.chars();
        loop {
            if done < limit {
                out.push_str(new);
                done += 1;
            }
            match chars.next() {
                Some(c) => out.push(c),
                None => break,
            }
        }
        return out;
    }
    let mut rest = s;
    while done < limit {
        let Some(at) = rest.find(old) else { break };
        out.push_str(&rest[..at]);
        out.push_str(new);
        rest = &rest[at + old.len()..];
        done += 1;
    }
    out.push_str(rest);
    out
}

fn repeat(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let s = str_arg(args, 0)?;
    let count = super::int_arg(args, 1)?;
    if count < 0 {
        return Err(BuiltinError::new("negative count"));
    }
    if count > REPEAT_LIMIT as i128 {
        return Err(BuiltinError::new(format!(
            "count {count} exceeds limit of {REPEAT_LIMIT}"
        )));
    }
    // Go CUE bounds only the count; the size bound keeps long strings from exhausting memory.
    if (s.len() as i128).saturating_mul(count) > MAX_RESULT_BYTES {
        return Err(BuiltinError::new(format!(
            "result of {count} repetitions exceeds limit of {MAX_RESULT_BYTES} bytes"
        )));
    }
    Ok(string(s.repeat(count as usize)))
}

/// Go's `unicode.ToUpper`: the simple (one-to-one) mapping, so `ß` stays `ß` where Rust's
/// full mapping gives `SS`.
fn simple_upper(c: char) -> char {
    let mut upper = c.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// Go's `unicode.ToLower`; `İ` is the one letter whose full lowercase has two characters.
fn simple_lower(c: char) -> char {
    if c == '\u{130}' {
        return 'i';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

/// Go's `unicode.ToTitle`: upper case, except the Latin digraphs, which have their own title
/// forms (`ǆ` becomes `ǅ`, not `Ǆ`).
fn simple_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        c => simple_upper(c),
    }
}

/// Go CUE's `ToTitle` / `ToCamel`: maps each rune that follows whitespace (or starts the
/// string) to title case or lower case, leaving the rest alone.
fn map_word_starts(s: &str, title: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_is_space = true;
    for c in s.chars() {
        if previous_is_space {
            out.push(if title {
                simple_title(c)
            } else {
                simple_lower(c)
            });
        } else {
            out.push(c);
        }
        previous_is_space = c.is_whitespace();
    }
    out
}

fn byte_at(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let b = bytes_or_str_arg(args, 0)?;
    let i = super::int_arg(args, 1)?;
    usize::try_from(i)
        .ok()
        .and_then(|i| b.get(i))
        .map(|&byte| Concrete::Int(byte as i128))
        .ok_or_else(|| BuiltinError::new("index out of range"))
}

/// Checks Go CUE's `start <= end <= len` slice rule, with `start` >= 0.
fn slice_bounds(start: i128, end: i128, len: usize) -> Result<(usize, usize), BuiltinError> {
    if start < 0 || start > end || end > len as i128 {
        return Err(BuiltinError::new("index out of range"));
    }
    Ok((start as usize, end as usize))
}

fn byte_slice(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let b = bytes_or_str_arg(args, 0)?;
    let (start, end) = slice_bounds(super::int_arg(args, 1)?, super::int_arg(args, 2)?, b.len())?;
    Ok(bytes(&b[start..end]))
}

fn slice_runes(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let runes: Vec<char> = str_arg(args, 0)?.chars().collect();
    let (start, end) = slice_bounds(
        super::int_arg(args, 1)?,
        super::int_arg(args, 2)?,
        runes.len(),
    )?;
    Ok(string(runes[start..end].iter().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn rune_validators() {
        check(
            P,
            "MinRunes",
            &[
                (vec![s("e"), i(1)], Ok(b(true))),
                (vec![s("hello"), i(3)], Ok(b(true))),
                (vec![s("hello"), i(10)], Ok(b(false))),
                (vec![s("héé"), i(3)], Ok(b(true))),
                (vec![s(""), i(-1)], Ok(b(true))),
                (
                    vec![i(1), i(1)],
                    Err("cannot use 1 (type int) as string in argument 1 to call"),
                ),
            ],
        );
        check(
            P,
            "MaxRunes",
            &[
                (vec![s("foo"), i(3)], Ok(b(true))),
                (vec![s("quux"), i(3)], Ok(b(false))),
                (vec![s("e"), i(0)], Ok(b(false))),
                (vec![s(""), i(0)], Ok(b(true))),
                (vec![s("ééé"), i(3)], Ok(b(true))),
            ],
        );
    }

    #[test]
    fn prefix_suffix_contains() {
        check(
            P,
            "HasPrefix",
            &[
                (vec![s("foobar"), s("foo")], Ok(b(true))),
                (vec![s("foobar"), s("bar")], Ok(b(false))),
                (vec![s("x"), s("")], Ok(b(true))),
            ],
        );
        check(
            P,
            "HasSuffix",
            &[
                (vec![s("foobar"), s("bar")], Ok(b(true))),
                (vec![s("foobar"), s("foo")], Ok(b(false))),
            ],
        );
        check(
            P,
            "Contains",
            &[
                (vec![s("seafood"), s("foo")], Ok(b(true))),
                (vec![s("seafood"), s("bar")], Ok(b(false))),
                (vec![s(""), s("")], Ok(b(true))),
            ],
        );
        check(
            P,
            "ContainsAny",
            &[
                (vec![s("failure"), s("ui")], Ok(b(true))),
                (vec![s("foo"), s("")], Ok(b(false))),
            ],
        );
        check(
            P,
            "ContainsRune",
            &[
                (vec![s("aardvark"), i(97)], Ok(b(true))),
                (vec![s("aardvark"), i(-1)], Ok(b(false))),
            ],
        );
        check(
            P,
            "EqualFold",
            &[
                (vec![s("Go"), s("GO")], Ok(b(true))),
                (vec![s("Go"), s("Ga")], Ok(b(false))),
            ],
        );
    }

    #[test]
    fn indices_are_byte_offsets() {
        check(
            P,
            "Index",
            &[
                (vec![s("chicken"), s("ken")], Ok(i(4))),
                (vec![s("chicken"), s("dmr")], Ok(i(-1))),
                (vec![s("éa"), s("a")], Ok(i(2))),
            ],
        );
        check(
            P,
            "LastIndex",
            &[
                (vec![s("go gopher"), s("go")], Ok(i(3))),
                (vec![s("go gopher"), s("x")], Ok(i(-1))),
            ],
        );
        check(P, "IndexAny", &[(vec![s("golang"), s("ny")], Ok(i(4)))]);
        check(
            P,
            "LastIndexAny",
            &[(vec![s("go gopher"), s("go")], Ok(i(4)))],
        );
        check(
            P,
            "Count",
            &[
                (vec![s("cheese"), s("e")], Ok(i(3))),
                (vec![s("five"), s("")], Ok(i(5))),
                (vec![s("aaaa"), s("aa")], Ok(i(2))),
            ],
        );
        check(
            P,
            "Compare",
            &[
                (vec![s("a"), s("b")], Ok(i(-1))),
                (vec![s("b"), s("a")], Ok(i(1))),
                (vec![s("a"), s("a")], Ok(i(0))),
            ],
        );
    }

    #[test]
    fn split_and_join() {
        check(
            P,
            "Split",
            &[
                (
                    vec![s("a,b,c"), s(",")],
                    Ok(l(vec![s("a"), s("b"), s("c")])),
                ),
                (vec![s("abc"), s("")], Ok(l(vec![s("a"), s("b"), s("c")]))),
                (vec![s(""), s(",")], Ok(l(vec![s("")]))),
                (vec![s(""), s("")], Ok(l(vec![]))),
            ],
        );
        check(
            P,
            "SplitN",
            &[
                (
                    vec![s("a,b,c"), s(","), i(2)],
                    Ok(l(vec![s("a"), s("b,c")])),
                ),
                (vec![s("a,b,c"), s(","), i(0)], Ok(l(vec![]))),
                (vec![s("abc"), s(""), i(2)], Ok(l(vec![s("a"), s("bc")]))),
            ],
        );
        check(
            P,
            "SplitAfter",
            &[(vec![s("a,b"), s(",")], Ok(l(vec![s("a,"), s("b")])))],
        );
        check(
            P,
            "Fields",
            &[(
                vec![s("  foo bar  baz   ")],
                Ok(l(vec![s("foo"), s("bar"), s("baz")])),
            )],
        );
        check(P, "Join", &[
            (vec![l(vec![s("Hello"), s("World!")]), s(" ")], Ok(s("Hello World!"))),
            (vec![l(vec![]), s(",")], Ok(s(""))),
            (
                vec![l(vec![i(1), i(2)]), s(" ")],
                Err("invalid list element 0 in argument 0 to call: cannot use value 1 (int) as string"),
            ),
        ]);
    }

    #[test]
    fn replace_and_repeat() {
        check(
            P,
            "Replace",
            &[
                (
                    vec![s("oink oink oink"), s("k"), s("ky"), i(2)],
                    Ok(s("oinky oinky oink")),
                ),
                (
                    vec![s("oink oink oink"), s("oink"), s("moo"), i(-1)],
                    Ok(s("moo moo moo")),
                ),
                (vec![s("ab"), s(""), s("-"), i(-1)], Ok(s("-a-b-"))),
                (vec![s("ab"), s(""), s("-"), i(2)], Ok(s("-a-b"))),
            ],
        );
        check(
            P,
            "Repeat",
            &[
                (vec![s("ab"), i(3)], Ok(s("ababab"))),
                (vec![s("ab"), i(0)], Ok(s(""))),
                (
                    vec![s("a"), i(200_000_000)],
                    Err("count 200000000 exceeds limit of 1000000"),
                ),
                (vec![s("a"), i(-1)], Err("negative count")),
                (
                    vec![s(&"x".repeat(1000)), i(1_000_000)],
                    Err("result of 1000000 repetitions exceeds limit of 268435456 bytes"),
                ),
            ],
        );
    }

    #[test]
    fn case_and_trim() {
        check(
            P,
            "ToUpper",
            &[
                (vec![s("héllo")], Ok(s("HÉLLO"))),
                (vec![s("ß ﬀ")], Ok(s("ß ﬀ"))),
            ],
        );
        check(
            P,
            "ToLower",
            &[
                (vec![s("HÉLLO")], Ok(s("héllo"))),
                (vec![s("İ")], Ok(s("i"))),
            ],
        );
        check(
            P,
            "ToTitle",
            &[
                (vec![s("alpha")], Ok(s("Alpha"))),
                (vec![s("ǆemal ßa")], Ok(s("ǅemal ßa"))),
                (vec![s("her royal highness")], Ok(s("Her Royal Highness"))),
            ],
        );
        check(P, "ToCamel", &[(vec![s("AlphaBeta")], Ok(s("alphaBeta")))]);
        check(
            P,
            "TrimSpace",
            &[(vec![s(" \t\n Hello \n")], Ok(s("Hello")))],
        );
        check(
            P,
            "Trim",
            &[(vec![s("¡¡¡Hello!!!"), s("!¡")], Ok(s("Hello")))],
        );
        check(P, "TrimLeft", &[(vec![s("xxhixx"), s("x")], Ok(s("hixx")))]);
        check(
            P,
            "TrimRight",
            &[(vec![s("xxhixx"), s("x")], Ok(s("xxhi")))],
        );
        check(
            P,
            "TrimPrefix",
            &[
                (vec![s("foobar"), s("foo")], Ok(s("bar"))),
                (vec![s("foobar"), s("bar")], Ok(s("foobar"))),
            ],
        );
        check(
            P,
            "TrimSuffix",
            &[(vec![s("foobar"), s("bar")], Ok(s("foo")))],
        );
    }

    #[test]
    fn bytes_and_runes() {
        check(
            P,
            "ByteAt",
            &[
                (vec![bytes(b"a"), i(0)], Ok(i(97))),
                (vec![bytes(b"a"), i(1)], Err("index out of range")),
                (vec![bytes(b"a"), i(-1)], Err("index out of range")),
            ],
        );
        check(
            P,
            "ByteSlice",
            &[
                (vec![bytes(b"Hello"), i(2), i(5)], Ok(bytes(b"llo"))),
                (vec![bytes(b"Hello"), i(2), i(6)], Err("index out of range")),
            ],
        );
        check(
            P,
            "SliceRunes",
            &[
                (vec![s("✓ Hello"), i(0), i(3)], Ok(s("✓ H"))),
                (vec![s("abc"), i(2), i(1)], Err("index out of range")),
            ],
        );
        check(
            P,
            "Runes",
            &[(vec![s("Café")], Ok(l(vec![i(67), i(97), i(102), i(233)])))],
        );
    }
}
