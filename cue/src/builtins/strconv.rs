//! The `strconv` package: Go's number and string conversions, with CUE's unlimited-precision
//! integers (here bounded by `i128`) and Go's `strconv.X: parsing "s": ...` error texts.

use super::{format_concrete, i64_arg, int_arg, str_arg, string, Builtin, BuiltinError, Concrete};

const P: &str = "strconv";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Atoi", [String] -> Int, |a| {
        let s = str_arg(a, 0)?;
        parse_int(s, 10, 0, false).map(Concrete::Int).map_err(|e| num_error("Atoi", s, e))
    }),
    builtin!(P, "ParseInt", [String, Int, Int] -> Int, |a| {
        let s = str_arg(a, 0)?;
        parse_int(s, int_arg(a, 1)?, int_arg(a, 2)?, false)
            .map(Concrete::Int)
            .map_err(|e| num_error("ParseInt", s, e))
    }),
    builtin!(P, "ParseUint", [String, Int, Int] -> Int, |a| {
        let s = str_arg(a, 0)?;
        parse_int(s, int_arg(a, 1)?, int_arg(a, 2)?, true)
            .map(Concrete::Int)
            .map_err(|e| num_error("ParseUint", s, e))
    }),
    builtin!(P, "ParseBool", [String] -> Bool, |a| {
        let s = str_arg(a, 0)?;
        match s {
            "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(Concrete::Bool(true)),
            "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(Concrete::Bool(false)),
            _ => Err(num_error("ParseBool", s, NumError::Syntax)),
        }
    }),
    builtin!(P, "ParseNumber", [String] -> Number, |a| {
        let s = str_arg(a, 0)?;
        if !underscores_between_digits(s) {
            return Err(BuiltinError::new(format!(
                "strconv.ParseNumber: parsing {}: illegal '_' in number",
                quote(s, false)
            )));
        }
        crate::eval::parse_number(s)
            .map(|atom| atom.to_concrete())
            .map_err(|_| {
                // Only plain digits can fail by size; anything else is not a number literal.
                let digits = s.trim_start_matches(['-', '+']);
                let error = if !digits.is_empty()
                    && digits.chars().all(|c| c.is_ascii_digit() || c == '_')
                {
                    NumError::Range
                } else {
                    NumError::Syntax
                };
                num_error("ParseNumber", s, error)
            })
    }),
    builtin!(P, "ParseFloat", [String, Int] -> Float, |a| {
        let s = str_arg(a, 0)?;
        parse_float(s).map(Concrete::Float).map_err(|e| num_error("ParseFloat", s, e))
    }),
    builtin!(P, "FormatInt", [Int, Int] -> String, |a| format_int(int_arg(a, 0)?, int_arg(a, 1)?)),
    builtin!(P, "FormatUint", [Int, Int] -> String, |a| {
        let value = int_arg(a, 0)?;
        if value < 0 {
            return Err(BuiltinError::new(format!("cannot use {value} as unsigned integer")));
        }
        format_int(value, int_arg(a, 1)?)
    }),
    builtin!(P, "FormatBool", [Bool] -> String, |a| match a.first() {
        Some(Concrete::Bool(b)) => Ok(string(if *b { "true" } else { "false" })),
        _ => Err(BuiltinError::new("argument 1 must be a bool")),
    }),
    builtin!(P, "FormatFloat", [Number, Any, Int, Int] -> String, format_float),
    builtin!(P, "Quote", [String] -> String, |a| Ok(string(quote(str_arg(a, 0)?, false)))),
    builtin!(P, "QuoteToASCII", [String] -> String, |a| Ok(string(quote(str_arg(a, 0)?, true)))),
    builtin!(P, "Unquote", [String] -> String, |a| {
        unquote(str_arg(a, 0)?).map(string).ok_or_else(|| BuiltinError::new("invalid syntax"))
    }),
];

/// The largest `FormatFloat` precision accepted (an `f64` has at most 767 significant digits).
const MAX_PRECISION: i64 = 1000;

enum NumError {
    Syntax,
    Range,
}

/// Whether every `_` of a number literal separates two digits (hex digits after `0x`), as
/// CUE's grammar requires: `1_000` but not `1_` or `1__0`.
fn underscores_between_digits(literal: &str) -> bool {
    let bytes = literal.as_bytes();
    let hex = literal
        .trim_start_matches(['-', '+'])
        .get(..2)
        .is_some_and(|p| p.eq_ignore_ascii_case("0x"));
    let digit = |b: Option<&u8>| {
        b.is_some_and(|b| {
            if hex {
                b.is_ascii_hexdigit()
            } else {
                b.is_ascii_digit()
            }
        })
    };
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'_')
        .all(|(i, _)| i > 0 && digit(bytes.get(i - 1)) && digit(bytes.get(i + 1)))
}

fn num_error(function: &str, input: &str, error: NumError) -> BuiltinError {
    let reason = match error {
        NumError::Syntax => "invalid syntax",
        NumError::Range => "value out of range",
    };
    BuiltinError::new(format!(
        "strconv.{function}: parsing {}: {reason}",
        quote(input, false)
    ))
}

/// Go's `ParseInt`/`ParseUint` with CUE's extensions: `bit_size` 0 means unlimited (here
/// `i128`), a negative size or a negative unsigned value is out of range. Base 0 reads the
/// `0x`, `0o`, `0b` and `0` prefixes and allows `_` between digits.
fn parse_int(s: &str, base: i128, bit_size: i128, unsigned: bool) -> Result<i128, NumError> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    // Go counts a base prefix as a digit, so `0x_1f` is fine but `_1` is not.
    let (base, digits, underscores, prefixed) = match base {
        0 => {
            let lower = body.to_ascii_lowercase();
            if lower.starts_with("0x") {
                (16, &body[2..], true, true)
            } else if lower.starts_with("0o") {
                (8, &body[2..], true, true)
            } else if lower.starts_with("0b") {
                (2, &body[2..], true, true)
            } else if body.len() > 1 && body.starts_with('0') {
                (8, &body[1..], true, true)
            } else {
                (10, body, true, false)
            }
        }
        2..=36 => (base as u32, body, false, false),
        _ => return Err(NumError::Syntax),
    };
    let cleaned: String = if underscores {
        let bad_start = digits.starts_with('_') && !prefixed;
        if bad_start || digits.ends_with('_') || digits.contains("__") {
            return Err(NumError::Syntax);
        }
        digits.chars().filter(|&c| c != '_').collect()
    } else {
        digits.to_string()
    };
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_digit(base)) {
        return Err(NumError::Syntax);
    }
    let magnitude = u128::from_str_radix(&cleaned, base).map_err(|_| NumError::Range)?;
    if bit_size < 0 || (unsigned && negative && magnitude != 0) {
        return Err(NumError::Range);
    }
    let bits = if bit_size == 0 || bit_size > 128 {
        128
    } else {
        bit_size as u32
    };
    if unsigned {
        let max = if bits >= 127 {
            i128::MAX as u128
        } else {
            (1u128 << bits) - 1
        };
        if magnitude > max {
            return Err(NumError::Range);
        }
        return Ok(magnitude as i128);
    }
    let limit = 1u128 << (bits - 1);
    if negative {
        if magnitude > limit {
            return Err(NumError::Range);
        }
        Ok((magnitude as i128).wrapping_neg())
    } else {
        if magnitude >= limit {
            return Err(NumError::Range);
        }
        Ok(magnitude as i128)
    }
}

/// Go's `ParseFloat` for decimal input, `inf` and `nan` spellings aside (CUE has no such
/// numbers); underscores are not allowed.
fn parse_float(s: &str) -> Result<f64, NumError> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let valid = !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if !valid {
        return Err(NumError::Syntax);
    }
    let value: f64 = s.parse().map_err(|_| NumError::Syntax)?;
    if value.is_infinite() {
        return Err(NumError::Range);
    }
    Ok(value)
}

/// `big.Int.Text`: bases 2 to 62, digits then lower then upper case letters.
fn format_int(value: i128, base: i128) -> Result<Concrete, BuiltinError> {
    const DIGITS: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if !(2..=62).contains(&base) {
        return Err(BuiltinError::new(format!("invalid base {base}")));
    }
    let base = base as u128;
    let mut magnitude = value.unsigned_abs();
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(magnitude % base) as usize]);
        magnitude /= base;
        if magnitude == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    out.reverse();
    Ok(string(String::from_utf8_lossy(&out)))
}

/// `FormatFloat(f, fmt, prec, bitSize)`: `fmt` is a byte (`103`) or a one-letter string
/// (`"g"`); `f`, `e`, `E`, `g`, `G` are supported.
fn format_float(args: &[Concrete]) -> Result<Concrete, BuiltinError> {
    let value = super::float_arg(args, 0)?;
    let format = match args.get(1) {
        Some(Concrete::Int(code)) => {
            if !(0..=255).contains(code) {
                return Err(BuiltinError::new(format!(
                    "format value {code} out of range [0, 255]"
                )));
            }
            *code as u8
        }
        Some(Concrete::String(s)) if s.len() == 1 => s.as_bytes()[0],
        Some(other) => {
            return Err(BuiltinError::new(format!(
                "unexpected kind {}",
                super::kind_name(other)
            )))
        }
        None => return Err(BuiltinError::new("missing argument")),
    };
    let precision = i64_arg(args, 2)?;
    // Go has no limit, but a typo must not allocate gigabytes.
    if precision > MAX_PRECISION {
        return Err(BuiltinError::new(format!(
            "precision {precision} exceeds limit of {MAX_PRECISION}"
        )));
    }
    let bit_size = i64_arg(args, 3)?;
    let value = if bit_size == 32 {
        f64::from(value as f32)
    } else {
        value
    };
    let text = match format {
        b'f' => format_fixed(value, precision),
        b'e' | b'E' => {
            let text = format_exponent(value, precision);
            if format == b'E' {
                text.to_uppercase()
            } else {
                text
            }
        }
        b'g' | b'G' => {
            let text = format_general(value, precision);
            if format == b'G' {
                text.to_uppercase()
            } else {
                text
            }
        }
        other => {
            return Err(BuiltinError::new(format!(
                "unsupported format {}",
                format_concrete(&string((other as char).to_string()))
            )))
        }
    };
    Ok(string(text))
}

fn format_fixed(value: f64, precision: i64) -> String {
    if precision < 0 {
        return format!("{value}");
    }
    format!("{value:.*}", precision as usize)
}

/// Rust's `1.5e3` as Go's `1.5e+03`.
fn go_exponent(text: &str) -> String {
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let (sign, digits) = match exponent.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exponent),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text.to_string(),
    }
}

fn format_exponent(value: f64, precision: i64) -> String {
    if precision < 0 {
        return go_exponent(&format!("{value:e}"));
    }
    go_exponent(&format!("{value:.*e}", precision as usize))
}

/// The significant digits (no trailing zeros) and the decimal point position of `value`
/// rounded to `precision` significant digits (shortest when negative).
fn decimal_digits(value: f64, precision: i64) -> (String, i64) {
    let text = if precision < 0 {
        format!("{:e}", value.abs())
    } else {
        format!("{:.*e}", (precision.max(1) - 1) as usize, value.abs())
    };
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    (digits.to_string(), exponent.parse::<i64>().unwrap_or(0) + 1)
}

/// Go's `%g`: exponent form when the exponent is below -4 or at least the precision (6 for
/// the shortest form), else fixed with only the significant digits.
fn format_general(value: f64, precision: i64) -> String {
    let shortest = precision < 0;
    let precision = if precision == 0 { 1 } else { precision };
    let (digits, point) = decimal_digits(value, precision);
    let count = digits.len() as i64;
    let mut exponent_precision = precision;
    if exponent_precision > count && count >= point {
        exponent_precision = count;
    }
    if shortest {
        exponent_precision = 6;
    }
    let exponent = point - 1;
    if exponent < -4 || exponent >= exponent_precision {
        let places = if shortest || precision > count {
            count
        } else {
            precision
        };
        return format_exponent(value, places - 1);
    }
    let places = if shortest || precision > point {
        count
    } else {
        precision
    };
    format_fixed(value, (places - point).max(0))
}

/// Go's `strconv.Quote` (or `QuoteToASCII`): printable characters as themselves, the usual
/// escapes, `\xNN` for other control bytes, `\uNNNN`/`\UNNNNNNNN` otherwise.
pub fn quote(s: &str, ascii_only: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_ascii() => out.push(c),
            c if !ascii_only && is_print(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` for non-ASCII characters: not a control,
/// separator other than U+0020, or format character.
fn is_print(c: char) -> bool {
    let code = c as u32;
    !(c.is_control()
        || c.is_whitespace()
        || code == 0xAD
        || (0x200B..=0x200F).contains(&code)
        || (0x202A..=0x202E).contains(&code)
        || (0x2060..=0x206F).contains(&code)
        || code == 0xFEFF
        || (0xFFF9..=0xFFFB).contains(&code)
        || (0xE000..=0xF8FF).contains(&code))
}

/// Go's `strconv.Unquote` for `"..."`, `` `...` `` and `'c'`; `None` is `invalid syntax`.
pub fn unquote(s: &str) -> Option<String> {
    let quote_char = s.chars().next()?;
    if !matches!(quote_char, '"' | '\'' | '`') || s.len() < 2 || !s.ends_with(quote_char) {
        return None;
    }
    let body = &s[1..s.len() - 1];
    match quote_char {
        '`' => (!body.contains('`')).then(|| body.replace('\r', "")),
        '"' | '\'' => {
            let mut out = String::new();
            let mut chars = body.chars().peekable();
            let mut count = 0;
            while let Some(c) = chars.next() {
                count += 1;
                if c == quote_char || c == '\n' {
                    return None;
                }
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let escape = chars.next()?;
                let mut hex = |n: usize| -> Option<u32> {
                    let digits: String = (0..n).map(|_| chars.next()).collect::<Option<_>>()?;
                    u32::from_str_radix(&digits, 16).ok()
                };
                match escape {
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'n' => out.push('\n'),
                    'r' => out.push('\r'),
                    't' => out.push('\t'),
                    'v' => out.push('\u{b}'),
                    '\\' => out.push('\\'),
                    '\'' if quote_char == '\'' => out.push('\''),
                    '"' if quote_char == '"' => out.push('"'),
                    // A `\x` escape is a byte; only ASCII bytes make a valid string here.
                    'x' => out.push(char::from_u32(hex(2)?).filter(char::is_ascii)?),
                    'u' => out.push(char::from_u32(hex(4)?)?),
                    'U' => out.push(char::from_u32(hex(8)?)?),
                    '0'..='7' => {
                        let rest: String = (0..2).map(|_| chars.next()).collect::<Option<_>>()?;
                        let value = u32::from_str_radix(&format!("{escape}{rest}"), 8).ok()?;
                        out.push(char::from_u32(value).filter(char::is_ascii)?);
                    }
                    _ => return None,
                }
            }
            if quote_char == '\'' && count != 1 && out.chars().count() != 1 {
                return None;
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn atoi_and_parse_int() {
        check(
            P,
            "Atoi",
            &[
                (vec![s("123")], Ok(i(123))),
                (vec![s("-42")], Ok(i(-42))),
                (vec![s("40000000000000000000")], Ok(i(40000000000000000000))),
                (
                    vec![s("-170141183460469231731687303715884105728")],
                    Ok(i(i128::MIN)),
                ),
                (
                    vec![s("invalid")],
                    Err(r#"strconv.Atoi: parsing "invalid": invalid syntax"#),
                ),
                (
                    vec![s("1_000")],
                    Err(r#"strconv.Atoi: parsing "1_000": invalid syntax"#),
                ),
                (
                    vec![s("")],
                    Err(r#"strconv.Atoi: parsing "": invalid syntax"#),
                ),
            ],
        );
        check(
            P,
            "ParseInt",
            &[
                (vec![s("127"), i(10), i(8)], Ok(i(127))),
                (
                    vec![s("128"), i(10), i(8)],
                    Err(r#"strconv.ParseInt: parsing "128": value out of range"#),
                ),
                (vec![s("-128"), i(10), i(8)], Ok(i(-128))),
                (
                    vec![s("-129"), i(10), i(8)],
                    Err(r#"strconv.ParseInt: parsing "-129": value out of range"#),
                ),
                (vec![s("255"), i(10), i(9)], Ok(i(255))),
                (
                    vec![s("999999999999999999999999999999"), i(10), i(0)],
                    Ok(i(999999999999999999999999999999)),
                ),
                (vec![s("-4"), i(10), i(3)], Ok(i(-4))),
                (
                    vec![s("4"), i(10), i(3)],
                    Err(r#"strconv.ParseInt: parsing "4": value out of range"#),
                ),
                (vec![s("15"), i(16), i(8)], Ok(i(21))),
                (
                    vec![s("FF"), i(16), i(8)],
                    Err(r#"strconv.ParseInt: parsing "FF": value out of range"#),
                ),
                (vec![s("0x_1f"), i(0), i(64)], Ok(i(31))),
                (vec![s("017"), i(0), i(64)], Ok(i(15))),
                (
                    vec![s("invalid"), i(10), i(8)],
                    Err(r#"strconv.ParseInt: parsing "invalid": invalid syntax"#),
                ),
                (
                    vec![s("123"), i(10), i(-1)],
                    Err(r#"strconv.ParseInt: parsing "123": value out of range"#),
                ),
            ],
        );
        check(
            P,
            "ParseUint",
            &[
                (vec![s("255"), i(10), i(8)], Ok(i(255))),
                (
                    vec![s("256"), i(10), i(8)],
                    Err(r#"strconv.ParseUint: parsing "256": value out of range"#),
                ),
                (vec![s("7"), i(10), i(3)], Ok(i(7))),
                (vec![s("FF"), i(16), i(8)], Ok(i(255))),
                (
                    vec![s("-1"), i(10), i(8)],
                    Err(r#"strconv.ParseUint: parsing "-1": value out of range"#),
                ),
                (
                    vec![s("123"), i(10), i(-1)],
                    Err(r#"strconv.ParseUint: parsing "123": value out of range"#),
                ),
            ],
        );
    }

    #[test]
    fn bools_and_floats() {
        check(
            P,
            "ParseBool",
            &[
                (vec![s("true")], Ok(b(true))),
                (vec![s("F")], Ok(b(false))),
                (
                    vec![s("yes")],
                    Err(r#"strconv.ParseBool: parsing "yes": invalid syntax"#),
                ),
            ],
        );
        check(
            P,
            "ParseFloat",
            &[
                (vec![s("123.456"), i(64)], Ok(f(123.456))),
                (vec![s("-0.5"), i(64)], Ok(f(-0.5))),
                (vec![s("1e3"), i(64)], Ok(f(1000.0))),
                (
                    vec![s("1e400"), i(64)],
                    Err(r#"strconv.ParseFloat: parsing "1e400": value out of range"#),
                ),
                (
                    vec![s("abc"), i(64)],
                    Err(r#"strconv.ParseFloat: parsing "abc": invalid syntax"#),
                ),
            ],
        );
        check(P, "FormatBool", &[(vec![b(true)], Ok(s("true")))]);
    }

    // The value 3.14159 comes from Go CUE's test data, not an attempt at pi.
    #[allow(clippy::approx_constant)]
    #[test]
    fn format_numbers() {
        check(
            P,
            "FormatInt",
            &[
                (vec![i(64), i(16)], Ok(s("40"))),
                (vec![i(-255), i(2)], Ok(s("-11111111"))),
                (
                    vec![i(i128::MAX), i(10)],
                    Ok(s("170141183460469231731687303715884105727")),
                ),
                (vec![i(1), i(1)], Err("invalid base 1")),
            ],
        );
        check(
            P,
            "FormatUint",
            &[
                (vec![i(64), i(16)], Ok(s("40"))),
                (vec![i(61), i(62)], Ok(s("Z"))),
                (vec![i(-1), i(10)], Err("cannot use -1 as unsigned integer")),
            ],
        );
        check(
            P,
            "FormatFloat",
            &[
                (vec![f(3.14159), s("g"), i(-1), i(64)], Ok(s("3.14159"))),
                (vec![f(3.14159), s("f"), i(2), i(64)], Ok(s("3.14"))),
                (vec![f(3.14159), s("e"), i(4), i(64)], Ok(s("3.1416e+00"))),
                (vec![f(3.14159), s("E"), i(4), i(64)], Ok(s("3.1416E+00"))),
                (vec![f(3.14159), i(103), i(-1), i(64)], Ok(s("3.14159"))),
                (vec![f(0.0), i(102), i(-1), i(64)], Ok(s("0"))),
                (vec![f(1e6), s("g"), i(-1), i(64)], Ok(s("1e+06"))),
                (vec![f(123456.0), s("g"), i(-1), i(64)], Ok(s("123456"))),
                (vec![f(1.0), s("g"), i(4), i(64)], Ok(s("1"))),
                (vec![f(3.14159), s("g"), i(4), i(64)], Ok(s("3.142"))),
                (vec![f(0.00001), s("g"), i(-1), i(64)], Ok(s("1e-05"))),
                (
                    vec![f(3.02), i(300), i(4), i(64)],
                    Err("format value 300 out of range [0, 255]"),
                ),
                (
                    vec![f(3.02), i(-1), i(4), i(64)],
                    Err("format value -1 out of range [0, 255]"),
                ),
                (
                    vec![f(3.02), f(1.0), i(4), i(64)],
                    Err("unexpected kind float"),
                ),
            ],
        );
    }

    #[test]
    fn quoting() {
        check(
            P,
            "Quote",
            &[
                (vec![s("hi\n\"there\"")], Ok(s(r#""hi\n\"there\"""#))),
                (vec![s("héllo\u{1}")], Ok(s(r#""héllo\x01""#))),
                (vec![s("\u{200b}")], Ok(s(r#""\u200b""#))),
            ],
        );
        check(
            P,
            "QuoteToASCII",
            &[(vec![s("héllo☺")], Ok(s(r#""h\u00e9llo\u263a""#)))],
        );
        check(
            P,
            "Unquote",
            &[
                (vec![s(r#""a\tb""#)], Ok(s("a\tb"))),
                (vec![s("`raw\\n`")], Ok(s("raw\\n"))),
                (vec![s("'x'")], Ok(s("x"))),
                (vec![s(r#""\u263a""#)], Ok(s("☺"))),
                (vec![s(r#""\101""#)], Ok(s("A"))),
                (vec![s("'xy'")], Err("invalid syntax")),
                (vec![s(r#""abc"#)], Err("invalid syntax")),
                (vec![s("abc")], Err("invalid syntax")),
                (vec![s("éé")], Err("invalid syntax")),
                (vec![s(r#""\q""#)], Err("invalid syntax")),
            ],
        );
    }

    #[test]
    fn parse_number_reads_cue_literals() {
        check(
            P,
            "ParseNumber",
            &[
                (vec![s("123.456")], Ok(f(123.456))),
                (vec![s("0xFF")], Ok(i(255))),
                (vec![s("1Ki")], Ok(i(1024))),
                (vec![s("1_000")], Ok(i(1000))),
                (vec![s("0xF_F")], Ok(i(255))),
                (
                    vec![s("1_")],
                    Err(r#"strconv.ParseNumber: parsing "1_": illegal '_' in number"#),
                ),
                (
                    vec![s("1__0")],
                    Err(r#"strconv.ParseNumber: parsing "1__0": illegal '_' in number"#),
                ),
                (vec![s("-0.5")], Ok(f(-0.5))),
                (
                    vec![s("12x")],
                    Err(r#"strconv.ParseNumber: parsing "12x": invalid syntax"#),
                ),
                (
                    vec![s("1".repeat(50).as_str())],
                    Err(
                        r#"strconv.ParseNumber: parsing "11111111111111111111111111111111111111111111111111": value out of range"#,
                    ),
                ),
            ],
        );
    }
}
