//! The `encoding/yaml` package: `Marshal`, `MarshalStream`, `Unmarshal` and `UnmarshalStream`
//! on concrete values (`Validate` and `ValidatePartial` take schemas: see [`super::schema`]).
//!
//! Decoding uses [`crate::yaml`], the decoder `vet` reads YAML files with. Encoding writes
//! block-style YAML as CUE's encoder does: four-space indentation, strings quoted only when
//! they would otherwise read as another value, multi-line strings as `|-` blocks.

use super::{
    format_float, json_to_concrete, list, list_arg, string, Builtin, BuiltinError, Concrete,
};
use crate::source::FileId;

const P: &str = "encoding/yaml";

pub(super) static FUNCS: &[Builtin] = &[
    builtin!(P, "Marshal", [Any] -> String, |a| {
        let value = a.first().ok_or_else(|| BuiltinError::new("missing argument"))?;
        Ok(string(marshal(value)?))
    }),
    builtin!(P, "MarshalStream", [List] -> String, |a| {
        let mut out = String::new();
        for (i, value) in list_arg(a, 0)?.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&marshal(value)?);
        }
        Ok(string(out))
    }),
    builtin!(P, "Unmarshal", [Any] -> Any, |a| {
        let document = crate::yaml::decode_single(FileId(0), text_arg(a)?)
            .map_err(|d| BuiltinError::new(d.message))?;
        json_to_concrete(&document, "yaml")
    }),
    builtin!(P, "UnmarshalStream", [Any] -> List, |a| Ok(list(unmarshal_stream(text_arg(a)?)?))),
];

/// Decodes every document of a YAML stream.
pub(super) fn unmarshal_stream(text: &str) -> Result<Vec<Concrete>, BuiltinError> {
    let documents =
        crate::yaml::decode_stream(FileId(0), text).map_err(|d| BuiltinError::new(d.message))?;
    documents
        .iter()
        .map(|document| json_to_concrete(document, "yaml"))
        .collect()
}

fn text_arg(args: &[Concrete]) -> Result<&str, BuiltinError> {
    match args.first() {
        Some(Concrete::String(s)) => Ok(s),
        Some(Concrete::Bytes(b)) => {
            std::str::from_utf8(b).map_err(|_| BuiltinError::new("invalid UTF-8 in YAML"))
        }
        _ => Err(super::wrong_kind(args, 0, "string or bytes")),
    }
}

/// Encodes one value as a YAML document ending in a newline.
pub fn marshal(value: &Concrete) -> Result<String, BuiltinError> {
    let mut out = String::new();
    match value {
        Concrete::Struct(fields) if !fields.is_empty() => write_mapping(&mut out, fields, 0)?,
        Concrete::List(items) if !items.is_empty() => write_sequence(&mut out, items, 0)?,
        scalar => {
            out.push_str(&scalar_text(scalar, 4)?);
            out.push('\n');
        }
    }
    Ok(out)
}

fn indent(out: &mut String, width: usize) {
    out.extend(std::iter::repeat_n(' ', width));
}

fn write_mapping(
    out: &mut String,
    fields: &[(std::sync::Arc<str>, Concrete)],
    width: usize,
) -> Result<(), BuiltinError> {
    for (i, (name, value)) in fields.iter().enumerate() {
        // The first key of a mapping inside a sequence item follows its `- `.
        if i > 0 || !out.ends_with("- ") {
            indent(out, width);
        }
        out.push_str(&string_text(name, width));
        out.push(':');
        write_nested(out, value, width)?;
    }
    Ok(())
}

fn write_sequence(out: &mut String, items: &[Concrete], width: usize) -> Result<(), BuiltinError> {
    for item in items {
        indent(out, width);
        out.push_str("- ");
        match item {
            Concrete::Struct(fields) if !fields.is_empty() => {
                write_mapping(out, fields, width + 2)?
            }
            Concrete::List(inner) if !inner.is_empty() => {
                out.pop();
                out.push('\n');
                write_sequence(out, inner, width + 2)?
            }
            scalar => {
                out.push_str(&scalar_text(scalar, width + 2)?);
                out.push('\n');
            }
        }
    }
    Ok(())
}

/// A mapping value after `key:`.
fn write_nested(out: &mut String, value: &Concrete, width: usize) -> Result<(), BuiltinError> {
    match value {
        Concrete::Struct(fields) if !fields.is_empty() => {
            out.push('\n');
            write_mapping(out, fields, width + 4)
        }
        Concrete::List(items) if !items.is_empty() => {
            out.push('\n');
            write_sequence(out, items, width + 4)
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar, width + 4)?);
            out.push('\n');
            Ok(())
        }
    }
}

fn scalar_text(value: &Concrete, width: usize) -> Result<String, BuiltinError> {
    Ok(match value {
        Concrete::Null => "null".to_string(),
        Concrete::Bool(b) => b.to_string(),
        Concrete::Int(i) => i.to_string(),
        Concrete::Float(f) if f.is_finite() => format_float(*f),
        Concrete::Float(f) => {
            return Err(BuiltinError::new(format!("yaml: unsupported value: {f}")))
        }
        Concrete::String(s) => string_text(s, width),
        Concrete::Bytes(b) => format!("!!binary {}", super::base64::encode(b)),
        Concrete::List(_) => "[]".to_string(),
        Concrete::Struct(_) => "{}".to_string(),
    })
}

/// A string as a plain scalar when that reads back as the same string, as a `|-` block when
/// it spans lines, else double-quoted.
fn string_text(s: &str, width: usize) -> String {
    if s.contains('\n') && !s.contains(['\r', '\t']) && !s.starts_with(' ') {
        let mut out = String::from("|-");
        for line in s.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(&mut out, width);
                out.push_str(line);
            }
        }
        return out;
    }
    if is_plain_safe(s) {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // `-x` is a plain scalar, but a lone `-` or `- x` starts a sequence item.
    let dash_word = first == '-' && s.len() > 1 && !s.starts_with("- ");
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) && !dash_word {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.chars().any(char::is_control) {
        return false;
    }
    // Words that YAML 1.1 readers take for booleans are quoted too, as Go's encoder does.
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), "y" | "n" | "yes" | "no" | "on" | "off") {
        return false;
    }
    crate::yaml::reads_as_string(s)
}

#[cfg(test)]
mod tests {
    use crate::builtins::testing::{b, call, f, i, l, s, st};
    use crate::builtins::Concrete;

    fn yaml(value: Concrete) -> String {
        match call("encoding/yaml", "Marshal", &[value]) {
            Ok(Concrete::String(text)) => text.to_string(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn marshal_writes_block_yaml_quoting_only_what_needs_it() {
        assert_eq!(yaml(st(vec![("a", i(1))])), "a: 1\n");
        assert_eq!(
            yaml(st(vec![
                ("b", st(vec![("c", s("x y")), ("d", l(vec![i(1), f(1.5)]))])),
                ("e", s("true")),
                ("f", s("12")),
                ("g", s("")),
                ("h", b(false)),
            ])),
            "b:\n    c: x y\n    d:\n        - 1\n        - 1.5\ne: \"true\"\nf: \"12\"\ng: \"\"\nh: false\n"
        );
        assert_eq!(
            yaml(l(vec![st(vec![("a", i(1)), ("b", i(2))]), s("no")])),
            "- a: 1\n  b: 2\n- \"no\"\n"
        );
        assert_eq!(yaml(s("a\nb")), "|-\n    a\n    b\n");
        assert_eq!(
            call(
                "encoding/yaml",
                "MarshalStream",
                &[l(vec![st(vec![("a", i(1))]), st(vec![("b", i(2))])])]
            ),
            Ok(s("a: 1\n---\nb: 2\n"))
        );
    }

    #[test]
    fn unmarshal_reads_documents_and_rejects_bad_input() {
        assert_eq!(
            call("encoding/yaml", "UnmarshalStream", &[s("1\n---\n---\n2")]),
            Ok(l(vec![i(1), Concrete::Null, i(2)]))
        );
        assert_eq!(
            call("encoding/yaml", "UnmarshalStream", &[s("")]),
            Ok(l(vec![Concrete::Null]))
        );
        assert_eq!(
            call("encoding/yaml", "Unmarshal", &[s("a: [1, x]")]),
            Ok(st(vec![("a", l(vec![i(1), s("x")]))]))
        );
        let error = call("encoding/yaml", "Unmarshal", &[s("1\n---\n2")]).expect_err("stream");
        assert!(error.contains("expected a single document"), "{error}");
        let error = call("encoding/yaml", "Unmarshal", &[s("a: [1")]).expect_err("unclosed");
        assert!(error.contains("invalid YAML"), "{error}");
        let error = call("encoding/yaml", "Unmarshal", &[i(1)]).expect_err("not text");
        assert!(error.contains("argument 1"), "{error}");
    }
}
