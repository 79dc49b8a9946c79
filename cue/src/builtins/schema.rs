//! Builtins that take schemas rather than data, and package members written in CUE.
//!
//! `list.Sort(l, list.Ascending)` unifies its comparator with `{x: a, y: b}` for every pair it
//! compares; `json.Validate(text, schema)` unifies the decoded text with a schema. Neither
//! argument is concrete, so these functions cannot take [`Concrete`] values: they take an
//! [`Arg::Schema`] handle and ask the evaluator, through the [`Host`] trait, to unify for them.
//! The evaluator owns the handles; this module owns what the functions do with the answers.
//!
//! Members such as `list.Ascending` or `encoding/openapi`'s `#Config` are schemas themselves:
//! they are written here as CUE source ([`Member::Source`](super::Member::Source)), parsed once
//! and evaluated by the evaluator like any expression.
//!
//! Most are also validators: `x: list.MatchN(>=1, string)` passes the value of `x`, once it
//! is concrete, as the first argument ([`SchemaBuiltin::validator`]).
//! `encoding/openapi`'s `MarshalSchema`/`UnmarshalSchema`, which would need the exporter inside
//! the evaluator, are not provided.

use std::sync::OnceLock;

use super::{format_concrete, BuiltinError, Concrete, Kind};
use crate::ast::Expr;
use crate::source::FileId;

/// What the evaluator does for a schema builtin.
pub trait Host {
    /// Unifies `schema` with `data`; `Err` holds the first error (or, as `completeness` asks,
    /// the first field left incomplete), as CUE words it.
    fn check(
        &mut self,
        schema: SchemaRef,
        data: &Concrete,
        completeness: Completeness,
    ) -> Result<(), String>;
    /// Unifies `comparator` with `{x: a, y: b}` and returns its field `less`, which must be a
    /// boolean.
    fn less(&mut self, comparator: SchemaRef, a: &Concrete, b: &Concrete) -> Result<bool, String>;
}

/// What [`Host::check`] asks of the unified value besides the absence of conflicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// Every regular field concrete (`yaml.Validate`, `list.MatchN`).
    Concrete,
    /// Required fields (`x!: int`) present, others may stay incomplete (`json.Validate`).
    Required,
    /// Nothing more (`yaml.ValidatePartial`).
    Partial,
}

/// A value the evaluator keeps for the builtin: opaque here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaRef(pub usize);

/// One argument of a schema builtin.
#[derive(Debug, Clone)]
pub enum Arg {
    Value(Concrete),
    Schema(SchemaRef),
}

/// What a parameter of a schema builtin takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// A concrete value of the kind.
    Value(Kind),
    /// Any value, concrete or not, kept by the evaluator.
    Schema,
}

/// A builtin that needs the evaluator (see the module documentation).
pub struct SchemaBuiltin {
    pub package: &'static str,
    pub name: &'static str,
    pub params: &'static [Param],
    pub func: fn(&mut dyn Host, &[Arg]) -> Result<Concrete, BuiltinError>,
    /// Whether the builtin is also a validator: `x: list.MatchN(>=1, string)` calls
    /// `MatchN(x, >=1, string)`, with the constrained value as the first argument, and the
    /// value is valid when the call answers `true`.
    pub validator: bool,
}

impl std::fmt::Debug for SchemaBuiltin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.package, self.name)
    }
}

impl SchemaBuiltin {
    /// The message for a failed call: `error in call to list.Sort: ...`.
    pub fn call_error_message(&self, error: &BuiltinError) -> String {
        format!(
            "error in call to {}.{}: {}",
            self.package, self.name, error.message
        )
    }
}

const LIST: &str = "list";

pub(super) static LIST_FUNCS: &[SchemaBuiltin] = &[
    SchemaBuiltin {
        package: LIST,
        name: "Sort",
        params: &[Param::Value(Kind::List), Param::Schema],
        func: |host, args| sort(host, args),
        validator: false,
    },
    SchemaBuiltin {
        package: LIST,
        name: "SortStable",
        params: &[Param::Value(Kind::List), Param::Schema],
        func: |host, args| sort(host, args),
        validator: false,
    },
    SchemaBuiltin {
        package: LIST,
        name: "IsSorted",
        params: &[Param::Value(Kind::List), Param::Schema],
        func: is_sorted,
        validator: true,
    },
    SchemaBuiltin {
        package: LIST,
        name: "MatchN",
        params: &[Param::Value(Kind::List), Param::Schema, Param::Schema],
        func: match_n,
        validator: true,
    },
];

pub(super) static JSON_FUNCS: &[SchemaBuiltin] = &[SchemaBuiltin {
    package: "encoding/json",
    name: "Validate",
    params: &[Param::Value(Kind::Any), Param::Schema],
    func: |host, args| {
        let text = text(args)?;
        let data = super::json::unmarshal(text)?;
        // As in CUE, the data need only not conflict with the schema: `{b: string}` accepts
        // `{"a": 10}`.
        check(host, args, &data, Completeness::Required)
    },
    validator: true,
}];

pub(super) static YAML_FUNCS: &[SchemaBuiltin] = &[
    SchemaBuiltin {
        package: "encoding/yaml",
        name: "Validate",
        params: &[Param::Value(Kind::Any), Param::Schema],
        func: |host, args| validate_yaml(host, args, Completeness::Concrete),
        validator: true,
    },
    SchemaBuiltin {
        package: "encoding/yaml",
        name: "ValidatePartial",
        params: &[Param::Value(Kind::Any), Param::Schema],
        func: |host, args| validate_yaml(host, args, Completeness::Partial),
        validator: true,
    },
];

/// Members of packages written in CUE, as `(package, name, source)`.
static SOURCES: &[(&str, &str, &str)] = &[
    (
        LIST,
        "Ascending",
        "{T: number | string, x: T, y: T, less: x < y}",
    ),
    (
        LIST,
        "Descending",
        "{T: number | string, x: T, y: T, less: x > y}",
    ),
    (
        "encoding/openapi",
        "#Config",
        r#"close({
	version: "3.0.0"
	info: close({
		title:           string
		version:         string
		summary?:        string
		description?:    string
		termsOfService?: string
		contact?: close({
			name?:  string
			url?:   string
			email?: string
		})
		license?: close({
			name!: string
			url?:  string
		})
	})
	selfContained:    *false | bool
	expandReferences: *false | bool
})"#,
    ),
];

/// The parsed source of a member written in CUE, if `package` has one called `name`.
pub(super) fn source_member(package: &str, name: &str) -> Option<&'static Expr> {
    static PARSED: OnceLock<Vec<Expr>> = OnceLock::new();
    let parsed = PARSED.get_or_init(|| {
        SOURCES
            .iter()
            .enumerate()
            .map(|(i, (_, _, text))| {
                // Files of their own, far from any the evaluator gives out.
                let file = FileId(u32::MAX - i as u32);
                crate::parser::parse_expr(file, text).0
            })
            .collect()
    });
    let index = SOURCES
        .iter()
        .position(|(p, n, _)| *p == package && *n == name)?;
    parsed.get(index)
}

/// Whether `package` is a package that only has members written in CUE or schema builtins.
pub(super) fn has_package(package: &str) -> bool {
    SOURCES.iter().any(|(p, _, _)| *p == package)
        || [LIST_FUNCS, JSON_FUNCS, YAML_FUNCS]
            .iter()
            .any(|funcs| funcs.iter().any(|f| f.package == package))
}

/// The schema builtin `package.name`, if there is one.
pub(super) fn lookup(package: &str, name: &str) -> Option<&'static SchemaBuiltin> {
    [LIST_FUNCS, JSON_FUNCS, YAML_FUNCS]
        .iter()
        .flat_map(|funcs| funcs.iter())
        .find(|f| f.package == package && f.name == name)
}

fn list_arg(args: &[Arg]) -> Result<&[Concrete], BuiltinError> {
    match args.first() {
        Some(Arg::Value(Concrete::List(items))) => Ok(items),
        Some(Arg::Value(other)) => Err(BuiltinError::new(format!(
            "cannot use {} as list in argument 1",
            format_concrete(other)
        ))),
        _ => Err(BuiltinError::new("missing list argument")),
    }
}

fn schema_arg(args: &[Arg]) -> Result<SchemaRef, BuiltinError> {
    schema_arg_at(args, 1)
}

fn schema_arg_at(args: &[Arg], index: usize) -> Result<SchemaRef, BuiltinError> {
    match args.get(index) {
        Some(Arg::Schema(schema)) => Ok(*schema),
        _ => Err(BuiltinError::new(format!("missing argument {}", index + 1))),
    }
}

fn text(args: &[Arg]) -> Result<&str, BuiltinError> {
    match args.first() {
        Some(Arg::Value(Concrete::String(s))) => Ok(s),
        Some(Arg::Value(Concrete::Bytes(b))) => {
            std::str::from_utf8(b).map_err(|_| BuiltinError::new("invalid UTF-8 in argument 1"))
        }
        Some(Arg::Value(other)) => Err(BuiltinError::new(format!(
            "cannot use {} as string or bytes in argument 1",
            format_concrete(other)
        ))),
        _ => Err(BuiltinError::new("missing argument 1")),
    }
}

fn check(
    host: &mut dyn Host,
    args: &[Arg],
    data: &Concrete,
    completeness: Completeness,
) -> Result<Concrete, BuiltinError> {
    let schema = schema_arg(args)?;
    host.check(schema, data, completeness)
        .map_err(BuiltinError::new)?;
    Ok(Concrete::Bool(true))
}

fn validate_yaml(
    host: &mut dyn Host,
    args: &[Arg],
    completeness: Completeness,
) -> Result<Concrete, BuiltinError> {
    let text = text(args)?;
    for document in super::yaml::unmarshal_stream(text)? {
        check(host, args, &document, completeness)?;
    }
    Ok(Concrete::Bool(true))
}

/// Sorts by the comparator with a stable merge sort: an element moves before an earlier one
/// only when the comparator says it is less. The comparator need not be a total order (a
/// standard sort may give up on such), and its first error ends the call.
fn sort(host: &mut dyn Host, args: &[Arg]) -> Result<Concrete, BuiltinError> {
    let items = list_arg(args)?;
    let comparator = schema_arg(args)?;
    let mut less =
        |a: &Concrete, b: &Concrete| host.less(comparator, a, b).map_err(BuiltinError::new);
    let mut sorted: Vec<Concrete> = items.to_vec();
    let mut width = 1;
    while width < sorted.len() {
        let mut merged = Vec::with_capacity(sorted.len());
        for chunk in sorted.chunks(width * 2) {
            let (left, right) = chunk.split_at(width.min(chunk.len()));
            let (mut i, mut j) = (0, 0);
            while i < left.len() && j < right.len() {
                if less(&right[j], &left[i])? {
                    merged.push(right[j].clone());
                    j += 1;
                } else {
                    merged.push(left[i].clone());
                    i += 1;
                }
            }
            merged.extend_from_slice(&left[i..]);
            merged.extend_from_slice(&right[j..]);
        }
        sorted = merged;
        width *= 2;
    }
    Ok(super::list(sorted))
}

/// `list.MatchN(list, n, schema)`: the number of elements that unify with `schema` is one
/// that `n` (a number or a constraint such as `>=1`) accepts.
fn match_n(host: &mut dyn Host, args: &[Arg]) -> Result<Concrete, BuiltinError> {
    let items = list_arg(args)?;
    let count = schema_arg_at(args, 1)?;
    let schema = schema_arg_at(args, 2)?;
    let mut matched = 0i128;
    for item in items {
        if host.check(schema, item, Completeness::Concrete).is_ok() {
            matched += 1;
        }
    }
    match host.check(count, &Concrete::Int(matched), Completeness::Concrete) {
        Ok(()) => Ok(Concrete::Bool(true)),
        Err(reason) => Err(BuiltinError::unsatisfied(format!(
            "number of matched elements is {matched}: {reason}"
        ))),
    }
}

fn is_sorted(host: &mut dyn Host, args: &[Arg]) -> Result<Concrete, BuiltinError> {
    let items = list_arg(args)?;
    let comparator = schema_arg(args)?;
    for pair in items.windows(2) {
        if host
            .less(comparator, &pair[1], &pair[0])
            .map_err(BuiltinError::new)?
        {
            return Ok(Concrete::Bool(false));
        }
    }
    Ok(Concrete::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::testing::{i, l, s};

    /// A host comparing numbers and strings by `<` (as `list.Ascending` does), failing on
    /// anything else, and accepting data for a schema only when it is an int.
    struct Ascending;

    impl Host for Ascending {
        fn check(&mut self, _: SchemaRef, data: &Concrete, _: Completeness) -> Result<(), String> {
            match data {
                Concrete::Int(_) => Ok(()),
                other => Err(format!(
                    "conflicting values {} and int",
                    format_concrete(other)
                )),
            }
        }

        fn less(&mut self, _: SchemaRef, a: &Concrete, b: &Concrete) -> Result<bool, String> {
            match (a, b) {
                (Concrete::Int(a), Concrete::Int(b)) => Ok(a < b),
                (Concrete::String(a), Concrete::String(b)) => Ok(a < b),
                _ => Err("mismatched types".to_string()),
            }
        }
    }

    fn call(name: &str, args: &[Arg]) -> Result<Concrete, BuiltinError> {
        let builtin = lookup(LIST, name)
            .or_else(|| lookup("encoding/json", name))
            .expect("known builtin");
        (builtin.func)(&mut Ascending, args)
    }

    fn schema() -> Arg {
        Arg::Schema(SchemaRef(0))
    }

    #[test]
    fn sort_orders_by_the_comparator_and_keeps_equal_items_in_order() {
        let list = Arg::Value(l(vec![i(3), i(1), i(2), i(1), i(5), i(0), i(4)]));
        let sorted = call("Sort", &[list, schema()]).expect("sorted");
        assert_eq!(sorted, l(vec![i(0), i(1), i(1), i(2), i(3), i(4), i(5)]));
        let empty = call("SortStable", &[Arg::Value(l(vec![])), schema()]).expect("sorted");
        assert_eq!(empty, l(vec![]));
        let strings = Arg::Value(l(vec![s("c"), s("a"), s("b")]));
        assert_eq!(
            call("IsSorted", &[strings.clone(), schema()]),
            Ok(Concrete::Bool(false))
        );
        let sorted = call("Sort", &[strings, schema()]).expect("sorted");
        assert_eq!(
            call("IsSorted", &[Arg::Value(sorted), schema()]),
            Ok(Concrete::Bool(true))
        );
    }

    #[test]
    fn bad_arguments_are_errors_not_panics() {
        let mixed = Arg::Value(l(vec![i(1), s("a")]));
        let error = call("Sort", &[mixed, schema()]).expect_err("mismatched");
        assert_eq!(error.message, "mismatched types");
        let error = call("Sort", &[Arg::Value(i(1)), schema()]).expect_err("not a list");
        assert_eq!(error.message, "cannot use 1 as list in argument 1");
        let error = call("IsSorted", &[Arg::Value(l(vec![]))]).expect_err("no comparator");
        assert_eq!(error.message, "missing argument 2");
        let error = call("Validate", &[Arg::Value(s("{")), schema()]).expect_err("bad JSON");
        assert!(error.message.contains("invalid JSON"), "{}", error.message);
        let error = call("Validate", &[Arg::Value(s("\"x\"")), schema()]).expect_err("string");
        assert_eq!(error.message, "conflicting values \"x\" and int");
        assert_eq!(
            call("Validate", &[Arg::Value(s("12")), schema()]),
            Ok(Concrete::Bool(true))
        );
    }

    #[test]
    fn members_written_in_cue_parse() {
        for (package, name, _) in SOURCES {
            let expr = source_member(package, name).expect("parsed");
            assert!(matches!(
                expr.kind,
                crate::ast::ExprKind::Struct(_) | crate::ast::ExprKind::Call(..)
            ));
        }
        assert!(source_member(LIST, "Nope").is_none());
    }
}
