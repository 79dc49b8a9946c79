//! The builtin packages (`strings`, `list`, `time`...) as data: one table of [`Builtin`]s and
//! constants per package, looked up by import path and name.
//!
//! The evaluator owns calling conventions. It converts arguments to [`Concrete`], checks them
//! against [`Builtin::params`] and calls [`Builtin::func`]. A builtin whose result is
//! [`Kind::Bool`] is also a validator: `x: strings.MinRunes(3)` calls `MinRunes(x, 3)`, with the
//! constrained value inserted as the first argument. Go CUE reports the outcomes as:
//!
//! - validator, `Ok(Bool(false))`: `invalid value "ab" (does not satisfy strings.MinRunes(3))`;
//! - validator, `Err(e)`: the same followed by `: {e}` (`...(does not satisfy uuid.Valid): invalid
//!   UUID length: 30`), because Go's validators explain failures through their error;
//! - plain call, `Err(e)`: `error in call to strings.Join: {e}`;
//! - plain call, `Err(e)` with `e.unsatisfied` set: the result is `false`, not an error. Go's
//!   `list.MinItems([1], 5)` is `false`, while `list.MinItems(5) & [1]` explains itself with
//!   `len(list) < MinItems(5) (1 < 5)`; `unsatisfied` carries both meanings.
//!
//! [`validator_message`], [`call_error_message`] and [`format_call`] produce these texts.
//! A parameter of kind [`Kind::Any`] takes any value and checks it itself (`net.IP` takes a
//! string or a list of bytes and answers `invalid type int for IP address` otherwise).
//!
//! Packages provided: `strings`, `list`, `math`, `math/bits`, `time`, `net`, `path`, `uuid`,
//! `regexp`, `strconv`, `struct`, `encoding/json`, `encoding/base64`, `encoding/hex`,
//! `encoding/csv`, `encoding/toml`, `crypto/md5`, `crypto/sha1`, `crypto/sha256`,
//! `crypto/sha512`, `crypto/hmac`, `crypto/ed25519`, `text/tabwriter` and `text/template` (a
//! subset of Go's template language, see [`template`]). Integers are 128-bit: a result
//! beyond that is an error rather than a wrong number.
//!
//! Functions that take schemas rather than data (`list.Sort`, `list.IsSorted`, `list.MatchN`,
//! `json.Validate`, `yaml.Validate`) and members written in CUE (`list.Ascending`,
//! `encoding/openapi`'s `#Config`) are in [`schema`]: the evaluator calls them through a small
//! trait, as plain calls or as validators (`x: list.MatchN(>=1, string)`). `encoding/yaml`
//! reads YAML with the same decoder as `vet`.
//!
//! Not provided yet: `encoding/openapi`'s `MarshalSchema` (it needs the exporter inside the
//! evaluator).

use std::fmt;
use std::sync::Arc;

/// One row of a package table: `builtin!("strings", "MinRunes", [String, Int] -> Bool, min_runes)`.
/// A function of one string may be written on the `&str` (`[String] -> Bool, str |s| ...`): a
/// validator then checks a string without copying it into a [`Concrete`]. Parameters after a
/// `;` may be left out of a call (`[String; String] -> List`): the function sees fewer
/// arguments and applies the default itself, as `path.Split(p)` means `path.Split(p, "unix")`.
macro_rules! builtin {
    ($package:expr, $name:literal, [String] -> $result:ident, str $func:expr) => {
        $crate::builtins::Builtin {
            package: $package,
            name: $name,
            params: &[$crate::builtins::Kind::String],
            required: 1,
            result: $crate::builtins::Kind::$result,
            func: |a| ($func)($crate::builtins::str_arg(a, 0)?),
            str_func: Some($func),
        }
    };
    ($package:expr, $name:literal, [$($kind:ident),*; $($optional:ident),+] -> $result:ident, $func:expr) => {
        $crate::builtins::Builtin {
            package: $package,
            name: $name,
            params: &[$($crate::builtins::Kind::$kind,)* $($crate::builtins::Kind::$optional),+],
            required: [$($crate::builtins::Kind::$kind),*].len(),
            result: $crate::builtins::Kind::$result,
            func: $func,
            str_func: None,
        }
    };
    ($package:expr, $name:literal, [$($kind:ident),*] -> $result:ident, $func:expr) => {
        $crate::builtins::Builtin {
            package: $package,
            name: $name,
            params: &[$($crate::builtins::Kind::$kind),*],
            required: [$($crate::builtins::Kind::$kind),*].len(),
            result: $crate::builtins::Kind::$result,
            func: $func,
            str_func: None,
        }
    };
}

pub mod base64;
pub mod bits;
pub mod crypto;
pub mod csv;
pub mod hex;
pub mod json;
pub mod list;
pub mod math;
pub mod net;
pub mod path;
pub mod regexp;
pub mod schema;
pub mod strconv;
pub mod strings;
pub mod structs;
pub mod tabwriter;
pub mod template;
pub mod time;
pub mod toml;
pub mod uuid;
pub mod yaml;

/// A concrete CUE value, as builtins see their arguments and results.
#[derive(Debug, Clone, PartialEq)]
pub enum Concrete {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    String(Arc<str>),
    Bytes(Arc<[u8]>),
    List(Arc<[Concrete]>),
    Struct(Arc<[(Arc<str>, Concrete)]>),
}

/// The kind a parameter or result must have; `Number` is int or float, `Any` anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Number,
    String,
    Bytes,
    List,
    Struct,
    Any,
}

/// One builtin function of a package.
pub struct Builtin {
    pub package: &'static str,
    pub name: &'static str,
    pub params: &'static [Kind],
    /// How many of `params` a call must give; the rest have defaults.
    pub required: usize,
    pub result: Kind,
    pub func: fn(&[Concrete]) -> Result<Concrete, BuiltinError>,
    /// For a function of one string, `func` on the string itself.
    pub str_func: Option<StrFunc>,
}

/// A builtin's function of one string, taking it as `&str`.
pub type StrFunc = fn(&str) -> Result<Concrete, BuiltinError>;

impl Builtin {
    /// Whether a call with `args` arguments makes a validator, the constrained value being
    /// the missing first argument: the result is a bool, and exactly the first parameter is
    /// left out (`strings.MinRunes(3)`). A call that leaves out a parameter with a default is
    /// a plain call (`path.IsAbs(p)`), as in Go CUE.
    pub fn is_validator_call(&self, args: usize) -> bool {
        self.result == Kind::Bool
            && args + 1 == self.params.len()
            && self.required == self.params.len()
    }

    /// Whether `args` arguments are a complete call.
    pub fn accepts_arity(&self, args: usize) -> bool {
        (self.required..=self.params.len()).contains(&args)
    }
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.package, self.name)
    }
}

/// Why a call failed (or, for a validator, why the value does not satisfy it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltinError {
    pub message: String,
    /// The value does not satisfy the validator (rather than the call being wrong): a plain
    /// call yields `false`, a validator reports `message` as its reason.
    pub unsatisfied: bool,
}

impl BuiltinError {
    pub fn new(message: impl Into<String>) -> BuiltinError {
        BuiltinError {
            message: message.into(),
            unsatisfied: false,
        }
    }

    /// A validator's "no, because ...": see [`BuiltinError::unsatisfied`].
    pub fn unsatisfied(message: impl Into<String>) -> BuiltinError {
        BuiltinError {
            message: message.into(),
            unsatisfied: true,
        }
    }
}

impl fmt::Display for BuiltinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuiltinError {}

/// What a package-qualified name refers to.
#[derive(Debug, Clone)]
pub enum Member {
    Func(&'static Builtin),
    Const(Concrete),
    /// A function that takes schemas: see [`schema`].
    SchemaFunc(&'static schema::SchemaBuiltin),
    /// A member written in CUE (`list.Ascending`), for the evaluator to evaluate.
    Source(&'static crate::ast::Expr),
}

/// One package: its import path, functions and constants.
struct Package {
    path: &'static str,
    funcs: &'static [Builtin],
    constant: fn(&str) -> Option<Concrete>,
}

fn no_constants(_: &str) -> Option<Concrete> {
    None
}

static PACKAGES: &[Package] = &[
    Package {
        path: "strings",
        funcs: strings::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "list",
        funcs: list::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "math",
        funcs: math::FUNCS,
        constant: math::constant,
    },
    Package {
        path: "time",
        funcs: time::FUNCS,
        constant: time::constant,
    },
    Package {
        path: "net",
        funcs: net::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "uuid",
        funcs: uuid::FUNCS,
        constant: uuid::constant,
    },
    Package {
        path: "regexp",
        funcs: regexp::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "encoding/base64",
        funcs: base64::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "encoding/hex",
        funcs: hex::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "crypto/sha1",
        funcs: crypto::SHA1_FUNCS,
        constant: crypto::sha1_constant,
    },
    Package {
        path: "crypto/md5",
        funcs: crypto::MD5_FUNCS,
        constant: crypto::md5_constant,
    },
    Package {
        path: "crypto/sha256",
        funcs: crypto::SHA256_FUNCS,
        constant: crypto::sha256_constant,
    },
    Package {
        path: "crypto/sha512",
        funcs: crypto::SHA512_FUNCS,
        constant: crypto::sha512_constant,
    },
    Package {
        path: "crypto/hmac",
        funcs: crypto::HMAC_FUNCS,
        constant: crypto::hmac_constant,
    },
    Package {
        path: "crypto/ed25519",
        funcs: crypto::ED25519_FUNCS,
        constant: crypto::ed25519_constant,
    },
    Package {
        path: "strconv",
        funcs: strconv::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "encoding/json",
        funcs: json::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "path",
        funcs: path::FUNCS,
        constant: path::constant,
    },
    Package {
        path: "math/bits",
        funcs: bits::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "encoding/csv",
        funcs: csv::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "text/tabwriter",
        funcs: tabwriter::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "text/template",
        funcs: template::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "struct",
        funcs: structs::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "encoding/yaml",
        funcs: yaml::FUNCS,
        constant: no_constants,
    },
    Package {
        path: "encoding/toml",
        funcs: toml::FUNCS,
        constant: no_constants,
    },
];

/// Whether `import_path` names a builtin package this engine provides.
pub fn is_package(import_path: &str) -> bool {
    PACKAGES.iter().any(|p| p.path == import_path) || schema::has_package(import_path)
}

/// The import paths of the builtin packages (`strings`, `encoding/json`, ...).
pub(crate) fn package_paths() -> impl Iterator<Item = &'static str> {
    PACKAGES.iter().map(|p| p.path)
}

/// The function or constant `name` of the builtin package `import_path`.
pub fn lookup(import_path: &str, name: &str) -> Option<Member> {
    if let Some(func) = schema::lookup(import_path, name) {
        return Some(Member::SchemaFunc(func));
    }
    if let Some(source) = schema::source_member(import_path, name) {
        return Some(Member::Source(source));
    }
    let package = PACKAGES.iter().find(|p| p.path == import_path)?;
    if let Some(func) = package.funcs.iter().find(|f| f.name == name) {
        return Some(Member::Func(func));
    }
    (package.constant)(name).map(Member::Const)
}

/// Prints a value in CUE syntax, compactly, as CUE prints values inside messages:
/// `"ab"`, `3`, `1.5`, `[1,2]`, `{a:1,"b-c":2}`, `'\x00'`.
pub fn format_concrete(value: &Concrete) -> String {
    let mut out = String::new();
    write_concrete(&mut out, value);
    out
}

fn write_concrete(out: &mut String, value: &Concrete) {
    match value {
        Concrete::Null => out.push_str("null"),
        Concrete::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Concrete::Int(i) => out.push_str(&i.to_string()),
        Concrete::Float(f) => out.push_str(&format_float(*f)),
        Concrete::String(s) => out.push_str(&quote_string(s)),
        Concrete::Bytes(b) => out.push_str(&quote_bytes(b)),
        Concrete::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_concrete(out, item);
            }
            out.push(']');
        }
        Concrete::Struct(fields) => {
            out.push('{');
            for (i, (name, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&format_label(name));
                out.push(':');
                write_concrete(out, item);
            }
            out.push('}');
        }
    }
}

/// How CUE names a call in messages: `strings.MinRunes(3)`, `time.Format("2006-01-02")`, or
/// just `uuid.Valid` when there are no arguments (CUE prints `net.IPv4()` as `net.IPv4` too).
pub fn format_call(builtin: &Builtin, args: &[Concrete]) -> String {
    let mut out = format!("{}.{}", builtin.package, builtin.name);
    if !args.is_empty() {
        let args: Vec<String> = args.iter().map(format_concrete).collect();
        out.push('(');
        out.push_str(&args.join(", "));
        out.push(')');
    }
    out
}

/// The message for a value that fails a validator, as Go CUE words it:
/// `invalid value "ab" (does not satisfy strings.MinRunes(3))`, followed by `: reason` when the
/// validator gave one (an `Err` from [`Builtin::func`]). `args` are the arguments written in the
/// constraint, without the constrained value.
pub fn validator_message(
    value: &Concrete,
    builtin: &Builtin,
    args: &[Concrete],
    reason: Option<&BuiltinError>,
) -> String {
    let mut out = format!(
        "invalid value {} (does not satisfy {})",
        format_concrete(value),
        format_call(builtin, args)
    );
    if let Some(reason) = reason {
        out.push_str(": ");
        out.push_str(&reason.message);
    }
    out
}

/// The message for a failed plain call: `error in call to strings.Join: ...`.
pub fn call_error_message(builtin: &Builtin, error: &BuiltinError) -> String {
    format!(
        "error in call to {}.{}: {}",
        builtin.package, builtin.name, error.message
    )
}

/// A field label: bare when it is a CUE identifier (`a`, `_b`, `#C`, `_#d`, `$e`), quoted
/// otherwise.
pub fn format_label(name: &str) -> String {
    let body = name
        .strip_prefix("_#")
        .or_else(|| name.strip_prefix('#'))
        .unwrap_or(name);
    let is_letter = |c: char| c.is_alphabetic() || c == '_' || c == '$';
    let mut chars = body.chars();
    let identifier =
        chars.next().is_some_and(is_letter) && chars.all(|c| is_letter(c) || c.is_numeric());
    if identifier {
        name.to_string()
    } else {
        quote_string(name)
    }
}

/// A float the way CUE prints a decimal (and `json.Marshal` encodes it): with a fraction or an
/// exponent so it reads back as a float, scientific with a capital `E` for very large or small
/// magnitudes (`1.0`, `2.5`, `1E+300`, `1E-7`). CUE keeps the literal's digits (`1e3` prints
/// `1E+3`); an `f64` only has its value, so integral values below 1e21 print as `1000.0`.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    // CUE's decimals have no negative zero.
    let f = if f == 0.0 { 0.0 } else { f };
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        let text = format!("{f:e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) => match exponent.strip_prefix('-') {
                Some(digits) => format!("{mantissa}E-{digits}"),
                None => format!("{mantissa}E+{exponent}"),
            },
            None => text,
        };
    }
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// A double-quoted CUE string literal with Go-style escapes.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    // Writing into a String cannot fail.
    let _ = write_quoted(&mut out, s);
    out
}

/// Writes `s` as a double-quoted CUE string literal, as [`quote_string`] returns it.
pub(crate) fn write_quoted(out: &mut impl std::fmt::Write, s: &str) -> std::fmt::Result {
    out.write_char('"')?;
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            c if (c as u32) < 0x20 || c == '\u{7f}' => "",
            _ => continue,
        };
        out.write_str(&s[run..i])?;
        if escape.is_empty() {
            write!(out, "\\u{:04x}", c as u32)?;
        } else {
            out.write_str(escape)?;
        }
        run = i + c.len_utf8();
    }
    out.write_str(&s[run..])?;
    out.write_char('"')
}

/// A single-quoted CUE bytes literal; valid UTF-8 runs print as text, other bytes as `\xNN`.
pub fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('\'');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    out.push_str(&format!("\\x{:02x}", c as u32));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('\'');
    out
}

/// CUE's name for a value's kind, as used in messages (`int`, `string`, `struct`).
pub fn kind_name(value: &Concrete) -> &'static str {
    match value {
        Concrete::Null => "null",
        Concrete::Bool(_) => "bool",
        Concrete::Int(_) => "int",
        Concrete::Float(_) => "float",
        Concrete::String(_) => "string",
        Concrete::Bytes(_) => "bytes",
        Concrete::List(_) => "list",
        Concrete::Struct(_) => "struct",
    }
}

// Helpers for reading arguments. The evaluator has checked kinds, but a builtin must not panic
// when called directly with odd values, so each returns an error instead.

pub(crate) fn wrong_kind(args: &[Concrete], index: usize, want: &str) -> BuiltinError {
    match args.get(index) {
        Some(value) => BuiltinError::new(format!(
            "cannot use {} (type {}) as {} in argument {} to call",
            format_concrete(value),
            kind_name(value),
            want,
            index + 1
        )),
        None => BuiltinError::new(format!("missing argument {}", index + 1)),
    }
}

pub(crate) fn str_arg(args: &[Concrete], index: usize) -> Result<&str, BuiltinError> {
    match args.get(index) {
        Some(Concrete::String(s)) => Ok(s),
        _ => Err(wrong_kind(args, index, "string")),
    }
}

pub(crate) fn bytes_or_str_arg(args: &[Concrete], index: usize) -> Result<&[u8], BuiltinError> {
    match args.get(index) {
        Some(Concrete::String(s)) => Ok(s.as_bytes()),
        Some(Concrete::Bytes(b)) => Ok(b),
        _ => Err(wrong_kind(args, index, "bytes")),
    }
}

pub(crate) fn int_arg(args: &[Concrete], index: usize) -> Result<i128, BuiltinError> {
    match args.get(index) {
        Some(Concrete::Int(i)) => Ok(*i),
        _ => Err(wrong_kind(args, index, "int")),
    }
}

/// An int argument that must fit Go's `int` (64 bits), as Go CUE's conversions require.
pub(crate) fn i64_arg(args: &[Concrete], index: usize) -> Result<i64, BuiltinError> {
    let value = int_arg(args, index)?;
    i64::try_from(value).map_err(|_| {
        BuiltinError::new(format!(
            "cannot use {value} (type int) as int in argument {}: value out of range",
            index + 1
        ))
    })
}

pub(crate) fn float_arg(args: &[Concrete], index: usize) -> Result<f64, BuiltinError> {
    match args.get(index) {
        Some(Concrete::Float(f)) => Ok(*f),
        Some(Concrete::Int(i)) => Ok(*i as f64),
        _ => Err(wrong_kind(args, index, "number")),
    }
}

pub(crate) fn list_arg(args: &[Concrete], index: usize) -> Result<&[Concrete], BuiltinError> {
    match args.get(index) {
        Some(Concrete::List(items)) => Ok(items),
        _ => Err(wrong_kind(args, index, "list")),
    }
}

/// A list argument whose elements must all be strings (`strings.Join`, `list.SortStrings`).
pub(crate) fn string_list_arg(args: &[Concrete], index: usize) -> Result<Vec<&str>, BuiltinError> {
    list_arg(args, index)?
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Concrete::String(s) => Ok(&**s),
            other => Err(BuiltinError::new(format!(
                "invalid list element {i} in argument {index} to call: cannot use value {} ({}) as string",
                format_concrete(other),
                kind_name(other)
            ))),
        })
        .collect()
}

/// A decoded data document (YAML, TOML) as a concrete value; `encoding` names the decoder in
/// errors. A number beyond 128-bit integers or `f64` is an error, and so is a key repeated with
/// another value.
pub(crate) fn json_to_concrete(
    value: &crate::json::JsonValue<'_>,
    encoding: &str,
) -> Result<Concrete, BuiltinError> {
    use crate::json::JsonKind;
    Ok(match &value.kind {
        JsonKind::Null => Concrete::Null,
        JsonKind::Bool(b) => Concrete::Bool(*b),
        JsonKind::Int(text) => Concrete::Int(text.parse().map_err(|_| {
            BuiltinError::new(format!("{encoding}: integer {text} is out of range"))
        })?),
        JsonKind::Float(text) => {
            Concrete::Float(text.parse().map_err(|_| {
                BuiltinError::new(format!("{encoding}: cannot decode number {text}"))
            })?)
        }
        JsonKind::String(s) => string(s.as_ref()),
        JsonKind::Array(items) => list(
            items
                .iter()
                .map(|item| json_to_concrete(item, encoding))
                .collect::<Result<_, _>>()?,
        ),
        JsonKind::Object(members) => {
            let mut fields: Vec<(Arc<str>, Concrete)> = Vec::new();
            for (key, _, item) in members {
                let item = json_to_concrete(item, encoding)?;
                match fields.iter_mut().find(|(name, _)| **name == **key) {
                    Some((_, existing)) if *existing == item => {}
                    Some(_) => {
                        return Err(BuiltinError::new(format!(
                            "{encoding}: mapping key {key:?} already defined with another value"
                        )))
                    }
                    None => fields.push((Arc::from(key.as_ref()), item)),
                }
            }
            Concrete::Struct(fields.into())
        }
    })
}

pub(crate) fn string(s: impl AsRef<str>) -> Concrete {
    Concrete::String(Arc::from(s.as_ref()))
}

pub(crate) fn bytes(b: impl AsRef<[u8]>) -> Concrete {
    Concrete::Bytes(Arc::from(b.as_ref()))
}

pub(crate) fn list(items: Vec<Concrete>) -> Concrete {
    Concrete::List(Arc::from(items))
}

#[cfg(test)]
pub(crate) mod testing {
    //! Shorthands for the packages' table-driven tests.
    use super::*;

    pub(crate) fn s(text: &str) -> Concrete {
        string(text)
    }

    pub(crate) fn i(value: i128) -> Concrete {
        Concrete::Int(value)
    }

    pub(crate) fn f(value: f64) -> Concrete {
        Concrete::Float(value)
    }

    pub(crate) fn b(value: bool) -> Concrete {
        Concrete::Bool(value)
    }

    pub(crate) fn l(items: Vec<Concrete>) -> Concrete {
        list(items)
    }

    pub(crate) fn st(fields: Vec<(&str, Concrete)>) -> Concrete {
        Concrete::Struct(fields.into_iter().map(|(k, v)| (Arc::from(k), v)).collect())
    }

    /// Calls `package.name` through the public lookup, as the evaluator would; on a lone
    /// string also through its `str_func`, which must say the same.
    pub(crate) fn call(package: &str, name: &str, args: &[Concrete]) -> Result<Concrete, String> {
        match lookup(package, name) {
            Some(Member::Func(builtin)) => {
                let result = (builtin.func)(args);
                if let (Some(str_func), [Concrete::String(s)]) = (builtin.str_func, args) {
                    assert_eq!(str_func(s), result, "{package}.{name}({s:?}) on the &str");
                }
                result.map_err(|e| e.message)
            }
            other => panic!("{package}.{name} is not a function: {other:?}"),
        }
    }

    /// Runs a table of `(args, expected)` rows against one builtin.
    pub(crate) fn check(
        package: &str,
        name: &str,
        rows: &[(Vec<Concrete>, Result<Concrete, &str>)],
    ) {
        for (args, want) in rows {
            let got = call(package, name, args);
            let want = want.clone().map_err(str::to_string);
            assert_eq!(got, want, "{package}.{name}({args:?})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn packages_and_members_are_found() {
        assert!(is_package("strings"));
        assert!(is_package("encoding/json"));
        assert!(matches!(
            lookup("math", "Pi"),
            Some(Member::Const(Concrete::Float(_)))
        ));
        assert!(matches!(
            lookup("time", "RFC3339"),
            Some(Member::Const(Concrete::String(_)))
        ));

        assert!(!is_package("nosuch"));
        assert!(matches!(
            lookup("strings", "MinRunes"),
            Some(Member::Func(_))
        ));

        assert!(lookup("strings", "NoSuch").is_none());
        assert!(lookup("nosuch", "X").is_none());
    }

    #[test]
    fn every_builtin_names_its_own_package() {
        for package in PACKAGES {
            for func in package.funcs {
                assert_eq!(func.package, package.path, "{}", func.name);
            }
        }
    }

    /// Every builtin, called with odd values in each position (and with too few arguments),
    /// returns rather than panicking.
    #[test]
    fn no_builtin_panics_on_odd_arguments() {
        let typical = |kind: Kind| match kind {
            Kind::Null => Concrete::Null,
            Kind::Bool => b(true),
            Kind::Int => i(1),
            Kind::Float => f(1.5),
            Kind::Number => i(2),
            Kind::String => s("a"),
            Kind::Bytes => bytes(b"ab"),
            Kind::List => l(vec![i(1), i(2)]),
            Kind::Struct => st(vec![("a", i(1))]),
            Kind::Any => s("127.0.0.1"),
        };
        let odd = [
            Concrete::Null,
            b(false),
            i(0),
            i(-1),
            i(i128::MAX),
            i(i128::MIN),
            f(f64::NAN),
            f(f64::INFINITY),
            f(-0.0),
            f(1e300),
            s(""),
            s("é"),
            s("%"),
            s("(?"),
            bytes(b"\xff"),
            l(vec![]),
            l(vec![s("x"), l(vec![])]),
            st(vec![]),
        ];
        for package in PACKAGES {
            for builtin in package.funcs {
                let base: Vec<Concrete> = builtin.params.iter().map(|&k| typical(k)).collect();
                let _ = (builtin.func)(&[]);
                let _ = (builtin.func)(&base);
                for position in 0..base.len() {
                    for value in &odd {
                        let mut args = base.clone();
                        args[position] = value.clone();
                        let _ = (builtin.func)(&args);
                    }
                }
            }
        }
    }

    #[test]
    fn messages_follow_go_cue() {
        let func = |package: &str, name: &str| match lookup(package, name) {
            Some(Member::Func(builtin)) => builtin,
            other => panic!("{package}.{name}: {other:?}"),
        };
        let min_runes = func("strings", "MinRunes");
        assert_eq!(
            validator_message(&s("quux"), min_runes, &[i(3)], None),
            r#"invalid value "quux" (does not satisfy strings.MinRunes(3))"#
        );
        let max_fields = func("struct", "MaxFields");
        let reason = (max_fields.func)(&[st(vec![("a", i(1))]), i(0)]).expect_err("too many");
        assert_eq!(
            validator_message(&st(vec![("a", i(1))]), max_fields, &[i(0)], Some(&reason)),
            "invalid value {a:1} (does not satisfy struct.MaxFields(0)): len(fields) > MaxFields(0) (1 > 0)"
        );
        let valid = func("uuid", "Valid");
        let reason = (valid.func)(&[s("x")]).expect_err("not a uuid");
        assert_eq!(
            validator_message(&s("x"), valid, &[], Some(&reason)),
            r#"invalid value "x" (does not satisfy uuid.Valid): invalid UUID length: 1"#
        );
        let format = func("time", "Format");
        assert_eq!(
            format_call(format, &[s("2006-01-02")]),
            r#"time.Format("2006-01-02")"#
        );
        let join = func("strings", "Join");
        let error = (join.func)(&[l(vec![i(1)]), s(" ")]).expect_err("not strings");
        assert_eq!(
            call_error_message(join, &error),
            "error in call to strings.Join: invalid list element 0 in argument 0 to call: cannot use value 1 (int) as string"
        );
    }

    #[test]
    fn format_concrete_prints_cue_syntax() {
        let rows = [
            (s("ab"), r#""ab""#),
            (s("a\"b\n"), r#""a\"b\n""#),
            (i(3), "3"),
            (f(1.5), "1.5"),
            (f(2.0), "2.0"),
            (f(1e300), "1E+300"),
            (f(1e-7), "1E-7"),
            (f(-0.0), "0.0"),
            (f(0.1), "0.1"),
            (Concrete::Null, "null"),
            (b(true), "true"),
            (bytes(b"ab\x00\xff"), r"'ab\x00\xff'"),
            (l(vec![i(1), i(2)]), "[1,2]"),
            (st(vec![("a", i(1)), ("b-c", s("x"))]), r#"{a:1,"b-c":"x"}"#),
            (l(vec![]), "[]"),
            (
                st(vec![
                    ("#A", i(1)),
                    ("_#b", i(2)),
                    ("#", i(3)),
                    ("#1", i(4)),
                    ("é1", i(5)),
                ]),
                r##"{#A:1,_#b:2,"#":3,"#1":4,é1:5}"##,
            ),
            (st(vec![]), "{}"),
        ];
        for (value, want) in rows {
            assert_eq!(format_concrete(&value), want);
        }
    }

    #[test]
    fn string_list_arg_names_the_bad_element() {
        let args = [l(vec![i(1), s("x")])];
        assert_eq!(
            string_list_arg(&args, 0).map_err(|e| e.message),
            Err(
                "invalid list element 0 in argument 0 to call: cannot use value 1 (int) as string"
                    .to_string()
            )
        );
    }

    #[test]
    fn strings_are_quoted_with_cue_escapes() {
        assert_eq!(quote_string("plain é"), "\"plain é\"");
        assert_eq!(
            quote_string("a\"b\\c\nd\te\rf\u{1}g\u{7f}"),
            "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u007f\""
        );
        assert_eq!(quote_string(""), "\"\"");
    }
}
