//! The compiled validator: a schema evaluated once, without data, into a tree of [`Node`]s,
//! and walks that check concrete JSON against it.
//!
//! Checking concrete data against a fixed schema needs no unification: a value is accepted by
//! `A & B` exactly when it is accepted by `A` and by `B`. So when the schema's constraints do not
//! depend on the data (no reference from inside the schema to its own fields, no comprehension,
//! no pattern alias: the evaluator tracks this while compiling), the walk gives the same verdict
//! and the same diagnostics, in the same order, as evaluating `schema & data`; otherwise
//! [`compile`] declines and validation unifies.
//!
//! - `compile.rs`: an evaluated vertex to a [`Node`], read through the evaluator's
//!   `VertexView`.
//! - `stream.rs`: the verdict alone, while reading the document's text ([`stream_valid`]) or on
//!   a decoded document (`is_valid`), allocating nothing.
//! - `walk.rs`: the diagnostics, exactly as unification reports them ([`Checker`]).

use std::collections::HashMap;
use std::sync::Arc;

mod compile;
mod stream;
mod walk;

pub(crate) use compile::compile;
pub(crate) use stream::stream_valid;
pub(crate) use walk::Checker;

use crate::diagnostic::Diagnostic;
use crate::eval::{ArcType, ClosedSet};
use crate::json::{JsonKind, JsonValue};
use crate::source::Span;
use crate::value::{Atom, EvalError, Scalar};

/// A schema node. `Send + Sync`, so a compiled schema is shared across threads.
pub(crate) enum Node {
    Top,
    Error(NodeError),
    Scalar(Scalar),
    Struct(Box<StructNode>),
    List(Box<ListNode>),
    Disj(Vec<(Node, bool)>),
}

pub(crate) struct NodeError {
    code: &'static str,
    message: String,
    spans: Vec<Span>,
    sub: Vec<Diagnostic>,
}

pub(crate) struct StructNode {
    /// The kind constraint and its text (`{a:int}`), for mismatch messages; also validators
    /// such as `struct.MinFields`.
    scalar: Scalar,
    fields: Vec<FieldNode>,
    index: HashMap<Arc<str>, usize>,
    patterns: Vec<(Matcher, Node)>,
    closed: Vec<ClosedSet>,
}

struct FieldNode {
    name: Arc<str>,
    arc_type: ArcType,
    node: Node,
    decl_spans: Vec<Span>,
}

pub(crate) struct ListNode {
    scalar: Scalar,
    prefix: Vec<Node>,
    closed: bool,
    rest: Option<Node>,
}

/// A pattern constraint's label matcher (`string`, `=~"^x-"`, `"a" | "b"`).
enum Matcher {
    Any,
    Scalar(Scalar),
    Disj(Vec<Matcher>),
    Never,
}

impl Matcher {
    fn matches(&self, label: &str) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Never => false,
            Matcher::Scalar(s) => s.satisfied_by_str(label),
            Matcher::Disj(options) => options.iter().any(|m| m.matches(label)),
        }
    }
}

/// Finds a member by name, starting where the previous search ended: documents usually list
/// fields in schema order, so this is one comparison per field in the common case.
fn find_member<'m, 't>(
    members: &'m [(std::borrow::Cow<'t, str>, Span, JsonValue<'t>)],
    name: &str,
    cursor: &mut usize,
) -> Option<&'m JsonValue<'t>> {
    let n = members.len();
    for step in 0..n {
        let i = (*cursor + step) % n;
        if members[i].0.as_ref() == name {
            *cursor = i + 1;
            return Some(&members[i].2);
        }
    }
    None
}

impl StructNode {
    /// Whether the schema declares `name` (a linear scan beats hashing for small structs).
    fn declares(&self, name: &str) -> bool {
        if self.fields.len() <= 24 {
            self.fields.iter().any(|f| &*f.name == name)
        } else {
            self.index.contains_key(name)
        }
    }
}

/// A JSON scalar as a CUE atom, decoded as `cue` does (`1.0` is a float).
fn json_atom(data: &JsonValue) -> Result<Atom, Arc<EvalError>> {
    Ok(match &data.kind {
        JsonKind::Null => Atom::Null,
        JsonKind::Bool(b) => Atom::Bool(*b),
        // JSON integers have no `_`, radix prefix or multiplier: parse them directly.
        JsonKind::Int(text) if text.len() < 30 => match text.parse::<i128>() {
            Ok(i) => Atom::Int(i),
            Err(_) => crate::eval::parse_number(text)
                .map_err(|m| EvalError::new("NUMBER", m, vec![data.span]))?,
        },
        JsonKind::Float(text) if !text.contains('_') => match text.parse::<f64>() {
            Ok(f) => Atom::Float(f, Arc::from(text.as_ref())),
            Err(_) => crate::eval::parse_number(text)
                .map_err(|m| EvalError::new("NUMBER", m, vec![data.span]))?,
        },
        JsonKind::Int(text) | JsonKind::Float(text) => crate::eval::parse_number(text)
            .map_err(|m| EvalError::new("NUMBER", m, vec![data.span]))?,
        JsonKind::String(s) => Atom::String(Arc::from(s.as_ref())),
        JsonKind::Array(_) | JsonKind::Object(_) => {
            return Err(EvalError::new(
                "INVALID",
                "expected a scalar",
                vec![data.span],
            ))
        }
    })
}

fn json_concrete(data: &JsonValue) -> crate::builtins::Concrete {
    use crate::builtins::Concrete;
    match &data.kind {
        JsonKind::Array(items) => array_concrete(items),
        JsonKind::Object(members) => object_concrete(members),
        _ => json_atom(data)
            .map(|a| a.to_concrete())
            .unwrap_or(Concrete::Null),
    }
}

fn array_concrete(items: &[JsonValue<'_>]) -> crate::builtins::Concrete {
    crate::builtins::Concrete::List(items.iter().map(json_concrete).collect::<Vec<_>>().into())
}

fn object_concrete(
    members: &[(std::borrow::Cow<'_, str>, Span, JsonValue<'_>)],
) -> crate::builtins::Concrete {
    crate::builtins::Concrete::Struct(
        members
            .iter()
            .map(|(k, _, v)| (Arc::from(k.as_ref()), json_concrete(v)))
            .collect::<Vec<_>>()
            .into(),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn stream_accepts_a_valid_open_struct() {
        let package = crate::Package::load(
            crate::PackageFiles {
                files: vec![(
                    "s.cue".into(),
                    "#I: {\n first: =~\"^[A-Z].*\"\n ...\n}\n".into(),
                )],
            },
            &crate::NoImports,
        );
        let schema = package.schema(Some("#I")).expect("schema");
        let node = schema.compiled_node().expect("compiled");
        let doc = r#"{"first": "Anna", "last": "Example", "age": 42}"#;
        assert_eq!(super::stream_valid(node, doc), Some(true));
        // Anything but `Some(true)` sends the caller to the walk that explains the problem.
        for doc in [
            r#"{"first": "anna"}"#,
            r#"{"first": "Anna"} x"#,
            r#"{"first": 01}"#,
            // A repeated key unifies its values, which only the walk does.
            r#"{"first": "Anna", "age": 1, "age": 1}"#,
            "{",
        ] {
            assert_ne!(super::stream_valid(node, doc), Some(true), "{doc}");
        }
    }

    #[test]
    fn stream_reads_a_string_once_for_a_disjunction() {
        let source = r#"
#A: {
	c?: "EUR" | "USD" | "GBP"
	d?: *"x" | string
	e?: string | =~"^a"
	f?: {a: int} | "s"
	g?: [...int] | "t"
	i?: null | =~"^[0-9]+$"
	j?: _ | "k"
	k?: ("a" | "b") | "c"
}
"#;
        let package = crate::Package::load(
            crate::PackageFiles {
                files: vec![("s.cue".into(), source.into())],
            },
            &crate::NoImports,
        );
        let schema = package.schema(Some("#A")).expect("schema");
        let node = schema.compiled_node().expect("compiled");
        // One-member documents: valid ones the stream accepts, valid ones it leaves to the
        // walk (two alternatives accept, no default: the walk says they are one), invalid ones.
        let streamed = [
            r#""c": "EUR""#,
            r#""c": "GBP""#,
            r#""c": "E\u0055R""#,
            r#""d": "y""#,
            r#""d": "x""#,
            r#""e": "xyz""#,
            r#""f": "s""#,
            r#""f": {"a": 1}"#,
            r#""g": "t""#,
            r#""g": [1]"#,
            r#""i": "123""#,
            r#""i": null"#,
            r#""j": "z""#,
            r#""k": "b""#,
            r#""k": "c""#,
        ];
        let walked = [r#""e": "abc""#, r#""j": "k""#];
        let invalid = [
            r#""c": "CHF""#,
            r#""c": "EU\xR""#,
            r#""d": 1"#,
            r#""f": "z""#,
            r#""i": "12a""#,
            r#""k": "d""#,
        ];
        let cases = (streamed.iter().map(|m| (m, true, true)))
            .chain(walked.iter().map(|m| (m, false, true)))
            .chain(invalid.iter().map(|m| (m, false, false)));
        for (member, streams, valid) in cases {
            let doc = &format!("{{{member}}}");
            assert_eq!(
                super::stream_valid(node, doc) == Some(true),
                streams,
                "{doc}"
            );
            assert_eq!(
                schema.validate_json("d.json", doc).is_valid(),
                valid,
                "{doc}"
            );
            assert_eq!(
                schema.validate_json_unified("d.json", doc).is_valid(),
                valid,
                "{doc}"
            );
        }
    }
}
