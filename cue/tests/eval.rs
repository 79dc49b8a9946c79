//! Focused tests of the evaluator's semantics through the public API: each case is a schema,
//! a `-d` expression and data, with the verdict and first error `cue vet` gives.
//! (The broad, oracle-checked suite is `conformance.rs`.)

use cue::{NoImports, Package, PackageFiles};
use serde_json::json;

/// Validates `data` against `expr` in `schema`; returns the headlines of all errors.
fn vet(schema: &str, expr: Option<&str>, data: &str) -> Vec<String> {
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), schema.to_string())],
        },
        &NoImports,
    );
    assert!(
        package.diagnostics().is_empty(),
        "schema has errors: {:?}",
        package.diagnostics()
    );
    let schema = package.schema(expr).expect("expression evaluates");
    let headlines = |errors: &[cue::Diagnostic]| -> Vec<String> {
        errors.iter().map(|d| d.headline()).collect()
    };
    let unified = schema.validate_json_unified("data.json", data).errors;
    let checked = schema.validate_json("data.json", data).errors;
    // The compiled validator must say exactly what unification says, diagnostic for diagnostic.
    if let Err(difference) = cue::testing::same_diagnostics(&checked, &unified) {
        panic!("compiled and unified validation disagree: {difference}");
    }
    headlines(&unified)
}

fn first(schema: &str, expr: Option<&str>, data: &str) -> String {
    vet(schema, expr, data)
        .into_iter()
        .next()
        .unwrap_or_else(|| "valid".to_string())
}

const ORDER: &str = r#"
#Money: {
    amount:   >=0
    currency: "EUR" | "USD" | *"CHF"
}
#Item: {
    sku:      =~"^[A-Z]{3}-[0-9]+$"
    quantity: int & >0
    price:    #Money
}
#Order: {
    id:     string
    items:  [...#Item]
    total:  #Money
    note?:  string
    status: *"new" | "paid" | "shipped"
}
"#;

#[test]
fn a_valid_order_passes_with_defaults_filled_in() {
    let data = r#"{"id": "o1", "items": [{"sku": "ABC-1", "quantity": 2,
        "price": {"amount": 10}}], "total": {"amount": 20, "currency": "EUR"}}"#;
    assert_eq!(first(ORDER, Some("#Order"), data), "valid");
}

#[test]
fn errors_carry_the_data_path() {
    let data = r#"{"id": "o1", "items": [{"sku": "ABC-1", "quantity": 2,
        "price": {"amount": 10}}], "total": {"amount": -1}}"#;
    assert_eq!(
        first(ORDER, Some("#Order"), data),
        "total.amount: invalid value -1 (out of bound >=0)"
    );
    let data = r#"{"id": "o1", "items": [{"sku": "ABC-1", "quantity": 2,
        "price": {"amount": 10}}, {"sku": "bad", "quantity": 1, "price": {"amount": 1}}],
        "total": {"amount": 1}}"#;
    assert_eq!(
        first(ORDER, Some("#Order"), data),
        r#"items.1.sku: invalid value "bad" (out of bound =~"^[A-Z]{3}-[0-9]+$")"#
    );
}

#[test]
fn closed_definitions_refuse_unknown_fields() {
    let data = r#"{"id": "o1", "items": [], "total": {"amount": 1}, "extra": true}"#;
    assert_eq!(
        first(ORDER, Some("#Order"), data),
        "extra: field not allowed"
    );
    let data = r#"{"id": "o1", "items": [], "total": {"amount": 1, "cents": 5}}"#;
    assert_eq!(
        first(ORDER, Some("#Order"), data),
        "total.cents: field not allowed"
    );
}

#[test]
fn missing_regular_fields_are_incomplete() {
    let data = r#"{"items": [], "total": {"amount": 1}}"#;
    assert_eq!(
        first(ORDER, Some("#Order"), data),
        "id: incomplete value string"
    );
}

#[test]
fn json_floats_are_not_ints() {
    let schema = "#A: {n: int}";
    assert_eq!(
        first(schema, Some("#A"), r#"{"n": 1.0}"#),
        "n: conflicting values 1.0 and int (mismatched types float and int)"
    );
    assert_eq!(
        first(schema, Some("#A"), r#"{"n": 1e3}"#),
        "n: conflicting values 1e3 and int (mismatched types float and int)"
    );
    assert_eq!(first(schema, Some("#A"), r#"{"n": 7}"#), "valid");
}

#[test]
fn disjunctions_report_every_failed_disjunct() {
    let schema = "#A: {a: string}\n#B: {b: int}\nx: #A | #B\n";
    assert_eq!(first(schema, None, r#"{"x": {"b": 1}}"#), "valid");
    assert_eq!(first(schema, None, r#"{"x": {"a": "s"}}"#), "valid");
    let errors = vet(schema, None, r#"{"x": {"a": 1}}"#);
    assert_eq!(errors[0], "x: 2 errors in empty disjunction");
    assert!(errors.len() >= 3, "{errors:?}");
    let enum_schema = "y: *\"x\" | \"y\" | \"z\"";
    assert_eq!(
        first(enum_schema, None, r#"{"y": "q"}"#),
        "y: 3 errors in empty disjunction"
    );
    assert_eq!(first(enum_schema, None, r#"{}"#), "valid");
}

#[test]
fn required_fields_must_be_present() {
    let schema = "#A: {id!: string, name?: string}";
    assert_eq!(
        first(schema, Some("#A"), r#"{"name": "x"}"#),
        "id: field is required but not present"
    );
    assert_eq!(first(schema, Some("#A"), r#"{"id": "x"}"#), "valid");
}

#[test]
fn references_see_the_data_unified_with_the_definition() {
    let schema = "#R: {min: int, max: int & >=min}";
    assert_eq!(
        first(schema, Some("#R"), r#"{"min": 1, "max": 5}"#),
        "valid"
    );
    assert_eq!(
        first(schema, Some("#R"), r#"{"min": 6, "max": 5}"#),
        "max: invalid value 5 (out of bound >=6)"
    );
}

#[test]
fn comprehensions_are_driven_by_data() {
    let schema = r#"
#Payment: {
    kind: "card" | "bank"
    if kind == "card" {
        card!: {number: =~"^[0-9]{16}$"}
    }
    if kind == "bank" {
        iban!: string
    }
}
"#;
    assert_eq!(
        first(
            schema,
            Some("#Payment"),
            r#"{"kind": "card", "card": {"number": "1234567812345678"}}"#
        ),
        "valid"
    );
    assert_eq!(
        first(schema, Some("#Payment"), r#"{"kind": "bank"}"#),
        "iban: field is required but not present"
    );
    assert_eq!(
        first(
            schema,
            Some("#Payment"),
            r#"{"kind": "bank", "card": {"number": "1"}}"#
        ),
        "card: field not allowed"
    );
}

#[test]
fn pattern_constraints_apply_to_matching_labels() {
    let schema = r#"#Labels: {[=~"^x-"]: string, [string]: int | string, ...}"#;
    assert_eq!(
        first(schema, Some("#Labels"), r#"{"x-a": "s", "b": 1}"#),
        "valid"
    );
    // cue v0.4 says `"x-a": 1 errors in empty disjunction` (it merges the shared conflict);
    // current CUE reports the one error the alternatives share, without a count.
    let error = first(schema, Some("#Labels"), r#"{"x-a": 1}"#);
    assert_eq!(
        error, "\"x-a\": conflicting values 1 and string (mismatched types int and string)",
        "{error}"
    );
}

#[test]
fn patterns_make_fields_allowed_in_closed_structs() {
    let schema = r#"#M: {[string]: number}"#;
    assert_eq!(first(schema, Some("#M"), r#"{"a": 1, "b": 2.5}"#), "valid");
}

#[test]
fn an_optional_field_a_closed_struct_refuses_is_no_error_until_data_sets_it() {
    // As in CUE v0.17: `qty?` is not allowed by `#A`, which makes it a field that may not be
    // present rather than an error of `#Order` (the package loads without diagnostics).
    let schema = "#A: {id: string}\n#B: {id: string, qty?: int}\n#Order: #A & #B\n";
    assert_eq!(first(schema, Some("#Order"), r#"{"id": "o1"}"#), "valid");
    assert_eq!(
        first(schema, Some("#Order"), r#"{"id": "o1", "qty": 1}"#),
        "qty: field not allowed"
    );
    // A regular field that is not allowed stays an error of the package.
    let package = Package::load(
        PackageFiles {
            files: vec![(
                "schema.cue".to_string(),
                "#A: {id: string}\n#Order: #A & {qty: int}\n".to_string(),
            )],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, vec!["#Order.qty: field not allowed".to_string()]);
}

#[test]
fn embedding_a_definition_extends_it() {
    let schema = "#A: {a: string}\n#B: {#A, b: int}\n";
    assert_eq!(first(schema, Some("#B"), r#"{"a": "x", "b": 1}"#), "valid");
    assert_eq!(
        first(schema, Some("#B"), r#"{"a": "x", "b": 1, "c": 2}"#),
        "c: field not allowed"
    );
}

#[test]
fn closedness_carries_through_nested_embeddings() {
    // An envelope embedding a header that embeds its own base: each level's fields are
    // allowed, as `cue vet -d '#C'` has it, and nothing else.
    let schema = "#A: {a: int}\n#B: {#A, b: int}\n#C: {#B, c: int}\n#D: {#C, d: int}\n";
    // (`vet` also checks that the package itself has no errors.)
    for definition in ["#C", "#D"] {
        let data = if definition == "#C" {
            r#"{"a": 1, "b": 2, "c": 3}"#
        } else {
            r#"{"a": 1, "b": 2, "c": 3, "d": 4}"#
        };
        assert_eq!(
            first(schema, Some(definition), data),
            "valid",
            "{definition}"
        );
    }
    assert_eq!(
        first(schema, Some("#C"), r#"{"a": 1, "b": 2, "c": 3, "d": 4}"#),
        "d: field not allowed"
    );
    // Through a hidden field that embeds a definition: the same.
    let hidden = "#A: {a: int}\n_b: {#A, b: int}\n#C: {_b, c: int}\n";
    assert_eq!(
        first(hidden, Some("#C"), r#"{"a": 1, "b": 2, "c": 3}"#),
        "valid"
    );
    assert_eq!(
        first(hidden, Some("#C"), r#"{"a": 1, "b": 2, "c": 3, "e": 4}"#),
        "e: field not allowed"
    );
}

#[test]
fn an_embedded_definition_stays_closed_below_its_top_level() {
    // `b` comes from #B, a definition: it allows what #B and the embedding struct declare.
    let schema = "#B: {b: {x: int}}\n#C: {#B, c: int}\n#D: {#B, b: {y: int}}\n";
    assert_eq!(
        first(schema, Some("#C"), r#"{"b": {"x": 1}, "c": 1}"#),
        "valid"
    );
    assert_eq!(
        first(schema, Some("#C"), r#"{"b": {"x": 1, "z": 2}, "c": 1}"#),
        "b.z: field not allowed"
    );
    assert_eq!(
        first(schema, Some("#D"), r#"{"b": {"x": 1, "y": 2}}"#),
        "valid"
    );
}

#[test]
fn an_embedded_conjunction_of_definitions_is_closed_by_each() {
    // `{#A & #B}` embeds one value, closed by #A and by #B: a field must be allowed by both
    // (or declared by the struct itself), not by either one.
    let schema = "#A: {[=~\"^[a-s]*$\"]: int}\n#B: {[=~\"^[m-z]*$\"]: int}\n#D: {#A & #B}\n#E: {#A & #B, x: int}\n";
    assert_eq!(first(schema, Some("#D"), r#"{"moo": 1}"#), "valid");
    assert_eq!(
        first(schema, Some("#D"), r#"{"aaa": 1}"#),
        "aaa: field not allowed"
    );
    assert_eq!(
        first(schema, Some("#D"), r#"{"zzz": 1}"#),
        "zzz: field not allowed"
    );
    assert_eq!(first(schema, Some("#E"), r#"{"x": 1, "moo": 2}"#), "valid");
}

#[test]
fn an_embedded_conjunction_keeps_the_closedness_of_its_definition() {
    // `#Foo & {err: 2}` is closed by #Foo before it is embedded: `err` is not allowed, and
    // the struct embedding it does not make it so.
    let package = Package::load(
        PackageFiles {
            files: vec![(
                "s.cue".into(),
                "#Foo: a: int\na: { #Foo & { err: 2 } }\nb: { #Foo, ok: 2 }\n".into(),
            )],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, ["a.err: field not allowed"]);
    // A struct literal that embeds a definition, itself embedded in a definition, still
    // allows its own fields and the definition's.
    let schema = "#A: a: int\n#Old: { { #A\n b: int } }\n";
    assert_eq!(first(schema, Some("#Old"), r#"{"a": 1, "b": 2}"#), "valid");
    assert_eq!(
        first(schema, Some("#Old"), r#"{"a": 1, "c": 2}"#),
        "c: field not allowed"
    );
}

#[test]
fn a_struct_embedding_a_definition_is_closed_down_to_its_fields() {
    // The literal `{#Y, objs: name: "Two"}` is closed by #Y as a definition is: its `objs`
    // allows `name` only, whatever the definition it is unified with declares there.
    let schema = "#X: {objs: {extra: 1, ...}, ...}
#Y: unused: {}
                  add: #X & {#Y, objs: name: \"Two\"}
";
    assert_eq!(
        package_errors(schema),
        ["add.objs.extra: field not allowed"]
    );
    // Inside a definition, the literal does not allow what the definition's other
    // operand declares either.
    let schema = "#E: {objs: [string]: {extra: 1, ...}, ...}
#U: unused: {}
                  #Two: #E & {#U, objs: two: name: \"Two\"}
";
    assert_eq!(
        package_errors(schema),
        ["#Two.objs.two.extra: field not allowed"]
    );
    // A field that refers to one of the literal's fields is not closed by it.
    let schema = "#D: {x: int}
a: {#D, b: {c: int}}
z: a.b
z: d: 3
";
    assert_eq!(package_errors(schema), Vec::<String>::new());
    // Nor are the fields under a level that the embedded definition leaves open.
    let schema = "#X: {...}
out: {#X, a: b: string}
out: a: c: \"h\"
                  #M: {n: 3, ...}
m: #S & {#M, s: f: 1}
m: s: g: 2
#S: {n: int, s: {...}}
";
    assert_eq!(package_errors(schema), Vec::<String>::new());
    // An embedding within an embedding: the envelope still allows every level's fields.
    let schema = "#A: {a: {x: int}}
#B: {#A, b: {y: int}}
#C: {#B, c: int}
";
    assert_eq!(
        first(
            schema,
            Some("#C"),
            r#"{"a": {"x": 1}, "b": {"y": 2}, "c": 3}"#
        ),
        "valid"
    );
    assert_eq!(
        first(
            schema,
            Some("#C"),
            r#"{"a": {"x": 1}, "b": {"y": 2, "z": 1}, "c": 3}"#
        ),
        "b.z: field not allowed"
    );
}

#[test]
fn an_embedded_close_closes_the_struct_that_embeds_it() {
    // The spec's `S3: {a: 1, b: 2, close({c: 3})}` is `close(S1)`.
    let schema = "S3: {\n\ta: 1\n\tb: 2\n\tclose({c: 3})\n}\n";
    assert_eq!(
        first(schema, None, r#"{"S3": {"a": 1, "b": 2, "c": 3}}"#),
        "valid"
    );
    assert_eq!(
        first(schema, None, r#"{"S3": {"a": 1, "b": 2, "c": 3, "d": 4}}"#),
        "S3.d: field not allowed"
    );
}

#[test]
fn an_embedded_close_is_shallow_and_its_fields_closes_close_with_the_struct() {
    // close() is shallow, embedded or not: the fields' values stay open.
    assert_eq!(
        package_errors("x: {close({a: {b: 1}})}\nx: a: c: 2\n"),
        Vec::<String>::new()
    );
    // A close() selected from a value computed in place and embedded is embedded too: it
    // closes the struct, which allows its own fields (CUE v0.17: `{A: ..., b: ...}`), a
    // disjunction among them too.
    let schema = "r: {\n\tA: *0 | >10\n\tA: *0 | >10\n\t{\n\t\tout: close({b: A})\n\t\tout: b: A\n\t}.out\n}\n\
                  s: {\n\tA: 1\n\t{out: close({b: 1})}.out\n}\ns: c: 2\n";
    assert_eq!(package_errors(schema), ["s.c: field not allowed"]);
    assert_eq!(
        export("r: {\n\tA: *0 | >10\n\t{out: close({b: A})}.out\n}\n"),
        Ok(json!({"r": {"A": 0, "b": 0}}))
    );
    // A close() that is a field of an embedded close()'s value closes that field with the
    // declarations of the struct it is embedded in, not on its own.
    let schema = "base: {\n\tclose({foo?: close({foo?: _})})\n\tfoo: allowed: 5\n}\n\
                  nested: {\n\t{close({foo?: close({foo?: _})})}\n\tfoo: allowed: 5\n}\n\
                  u: {close({foo?: close({foo?: _})})}\nu: foo: disallowed: 5\n\
                  w: close({foo?: close({foo?: _})})\nw: foo: disallowed: 5\n";
    assert_eq!(
        package_errors(schema),
        [
            "u.foo.disallowed: field not allowed",
            "w.foo.disallowed: field not allowed"
        ]
    );
}

#[test]
fn a_field_selected_from_a_value_computed_in_place_is_open() {
    // `(#x & {...}).y.z` is a field of a value evaluated on its own: its closedness stays
    // there, as does that of a value it refers to there.
    let schema = "#x: y: z?: name: string\n\
                  a: (#x & {y: z: _}).y.z & {name: \"a\", age: 5}\n\
                  b: (#x.y & {z: _}).z & {name: \"a\", age: 5}\n\
                  #P: {t: {}, out: f: {g: t, g: v: 1}}\nc: (#P & {}).out\nc: f: w: 2\n";
    assert_eq!(package_errors(schema), Vec::<String>::new());
    // A definition it refers to, and a close() it calls, still close it where it is used.
    let schema = "_f: {in: _, out: in.foo}\n\
                  #I: foo: close({minor: 2})\n\
                  d: (_f & {in: #I}).out & {major: 1}\n\
                  #B: {a: 1}\n#G: {#o: [...#B]}\n\
                  e: (#G & {}).#o & [{a: 1, b: 2}]\n";
    assert_eq!(
        package_errors(schema),
        ["d.major: field not allowed", "e.0.b: field not allowed"]
    );
    // Through a reference, a field of a definition stays closed.
    assert_eq!(
        package_errors("#D: b: {c: int}\nz: #D.b\nz: d: 3\n"),
        ["z.d: field not allowed"]
    );
}

#[test]
fn conjunction_with_a_definition_stays_closed() {
    // `#A & {c: int}` is itself an error: #A is closed and has no c.
    let package = Package::load(
        PackageFiles {
            files: vec![(
                "s.cue".into(),
                "#A: {a: string}\n#C: #A & {c: int}\n".into(),
            )],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, ["#C.c: field not allowed"]);
    let errors = package.schema(Some("#C")).err().expect("an error");
    assert_eq!(errors[0].headline(), "c: field not allowed");
}

#[test]
fn a_field_not_allowed_is_an_error_whatever_its_value() {
    // As in CUE v0.17: a field a closed struct does not allow is an error even when its value
    // is a disjunction, which is resolved on its own.
    for (value, path) in [
        ("c: #B & {a: string | *\"foo\"}", "c.a"),
        ("c: #B & {a: string | int}", "c.a"),
        ("c: #B & {a: {x: 1} | {y: 2}}", "c.a"),
        ("c: #B & {a: *{x: 1} | {y: 2}}", "c.a"),
        ("c: x: #B & {a: 1 | 2}", "c.x.a"),
        ("c: #B & {a: string}", "c.a"),
    ] {
        assert_eq!(
            package_errors(&format!("#B: b?: string\n{value}\n")),
            [format!("{path}: field not allowed")],
            "{value}"
        );
    }
    // A field the struct allows is fine, with a disjunction as with any value.
    assert_eq!(
        package_errors("#B: b?: string\nc: #B & {b: \"x\" | *\"y\"}\n"),
        Vec::<String>::new()
    );
    // Data: the field is not allowed, however the schema or the data spell it.
    assert_eq!(
        first("#B: b?: string\n", Some("#B"), r#"{"a": "x"}"#),
        "a: field not allowed"
    );
    assert_eq!(
        first("#B: b?: string | *\"y\"\n", Some("#B"), r#"{"a": "x"}"#),
        "a: field not allowed"
    );
    assert_eq!(
        first("#B: b?: string\n", Some("#B"), r#"{"b": "x"}"#),
        "valid"
    );
    // A closed definition whose disallowed field is a disjunction in the schema itself.
    assert_eq!(
        package_errors("#B: b?: string\n#C: #B & {a: *1 | 2}\n"),
        ["#C.a: field not allowed"]
    );
}

#[test]
fn open_definitions_allow_extra_fields() {
    let schema = "#A: {a: string, ...}";
    assert_eq!(first(schema, Some("#A"), r#"{"a": "x", "z": 1}"#), "valid");
}

#[test]
fn lists_check_lengths_and_element_types() {
    let schema = "k: [int, string]\nl: [...int]\nm: [int, ...string]";
    assert_eq!(
        first(
            schema,
            None,
            r#"{"k": [1, "a"], "l": [1, 2], "m": [1, "a", "b"]}"#
        ),
        "valid"
    );
    assert_eq!(
        first(schema, None, r#"{"k": [1, "a", 3], "l": [], "m": [1]}"#),
        "k: incompatible list lengths (2 and 3)"
    );
    assert_eq!(
        first(schema, None, r#"{"k": [1, "a"], "l": [1, "a"], "m": [1]}"#),
        "l.1: conflicting values \"a\" and int (mismatched types string and int)"
    );
}

#[test]
fn let_interpolation_and_arithmetic() {
    let schema = r#"
let prefix = "ord"
#A: {
    n: int
    id: "\(prefix)-\(n)"
    double: n * 2
}
"#;
    assert_eq!(
        first(
            schema,
            Some("#A"),
            r#"{"n": 4, "id": "ord-4", "double": 8}"#
        ),
        "valid"
    );
    assert_eq!(
        first(
            schema,
            Some("#A"),
            r#"{"n": 4, "id": "ord-5", "double": 8}"#
        ),
        "id: conflicting values \"ord-4\" and \"ord-5\""
    );
}

#[test]
fn sized_integer_types() {
    let schema = "#A: {a: uint8, b: int32, c: uint}";
    assert_eq!(
        first(schema, Some("#A"), r#"{"a": 255, "b": -5, "c": 0}"#),
        "valid"
    );
    assert_eq!(
        first(schema, Some("#A"), r#"{"a": 256, "b": 1, "c": 0}"#),
        "a: invalid value 256 (out of bound <=255)"
    );
    assert_eq!(
        first(schema, Some("#A"), r#"{"a": 1, "b": 1, "c": -1}"#),
        "c: invalid value -1 (out of bound >=0)"
    );
}

#[test]
fn reference_cycles_resolve_with_data_and_are_incomplete_without() {
    let schema = "a: b\nb: a";
    assert_eq!(first(schema, None, r#"{"a": 1, "b": 1}"#), "valid");
    assert!(first(schema, None, r#"{"a": 1, "b": 2}"#).starts_with("a: conflicting values"));
}

/// The package's values as JSON (like `cue export`), or the messages of its errors.
fn export(text: &str) -> Result<serde_json::Value, Vec<String>> {
    let files = PackageFiles {
        files: vec![("c.cue".into(), text.into())],
    };
    Package::load(files, &NoImports)
        .export_json(None)
        .map_err(|errors| errors.iter().map(|d| d.message.clone()).collect())
}

/// The codes and messages of the errors of exporting the package.
fn diagnostics(text: &str) -> Vec<(String, String)> {
    let files = PackageFiles {
        files: vec![("c.cue".into(), text.into())],
    };
    match Package::load(files, &NoImports).export_json(None) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|d| (d.code.to_string(), d.message.clone()))
            .collect(),
    }
}

/// A conjunct left incomplete by a reference cycle is tried again once the others are in, in
/// whatever order the fields are written: `x: 1` makes `y` 2, and `x: y + 1` then conflicts
/// (CUE: "conflicting values 3 and 1", the value the cycle computed first); `y: x - 1`
/// instead agrees.
#[test]
fn arithmetic_through_a_reference_cycle_is_resolved_or_conflicts() {
    for text in [
        "x: y + 1\ny: x + 1\nx: 1",
        "x: 1\nx: y + 1\ny: x + 1",
        "y: x + 1\nx: y + 1\nx: 1",
        "#A: {x: y + 1, y: x + 1}\na: #A & {x: 1}",
        "a: a + 1\na: 3",
        "e: {a: a + 1, a: 3}",
    ] {
        let errors = export(text).expect_err(text);
        assert!(
            errors.iter().any(|m| m.starts_with("conflicting values")),
            "{text}: {errors:?}"
        );
    }
    // When the conjunct that reads the cycle was deferred until the others were in, CUE
    // names the value it computed first (its test data, cycle/self.txtar, and the reference
    // cue agree).
    for (text, expected) in [
        ("a: a + 1\na: 3", "conflicting values 4 and 3"),
        ("x: y + 1\ny: x + 1\nx: 1", "conflicting values 3 and 1"),
        (
            "#A: {x: y + 1, y: x + 1}\na: #A & {x: 1}",
            "conflicting values 3 and 1",
        ),
    ] {
        assert_eq!(export(text).expect_err(text)[0], expected, "{text}");
    }
    for (text, expected) in [
        ("x: y + 1\ny: x - 1\nx: 1", json!({"x": 1, "y": 0})),
        ("y: x - 1\nx: y + 1\nx: 1", json!({"y": 0, "x": 1})),
        (
            "#A: {x: y + 1, y: x - 1}\na: #A & {x: 1}",
            json!({"a": {"x": 1, "y": 0}}),
        ),
        ("x: {a: 1, b: x.a + 1}", json!({"x": {"a": 1, "b": 2}})),
    ] {
        assert_eq!(export(text), Ok(expected), "{text}");
    }
    // A ring of 60 fields, each the next plus one: every field is evaluated again once, when
    // the first is complete (not once per level: that would exhaust the step budget).
    let ring = |last: &str| {
        let mut text: String = (0..59).map(|i| format!("a{i}: a{} + 1\n", i + 1)).collect();
        text.push_str(&format!("a59: {last}\na0: 0\n"));
        text
    };
    let conflict = export(&ring("a0 + 1")).expect_err("a ring that does not add up");
    assert_eq!(conflict[0], "conflicting values 60 and 0");
    let resolved = export(&ring("a0 - 59")).expect("a ring that adds up");
    assert_eq!(
        (&resolved["a30"], &resolved["a59"]),
        (&json!(-30), &json!(-59))
    );
    // Without a value to start from, the cycle gives none, and neither does a self-reference:
    // CUE's cycle error, naming the field read while in progress (its test data,
    // basicrewrite/018_self-reference_cycles and eval/issue1886, want code=cycle).
    for (text, field) in [
        ("x: y + 1\ny: x + 1", "y"),
        ("a: b - 100\nb: a + 100", "b"),
        ("x: x + 1", "x"),
        // A value alias read within its own value (references/value.txtar, valueCycle).
        ("b: X=3 + X", "X"),
    ] {
        let errors = diagnostics(text);
        assert!(!errors.is_empty(), "{text}");
        assert!(
            errors
                .iter()
                .all(|(code, m)| code == "CYCLE" && m == &format!("cycle with field: {field}")),
            "{text}: {errors:?}"
        );
    }
    // A value that is not concrete yet is not a cycle.
    let errors = diagnostics("a: b + 1\nb: int");
    assert!(
        errors
            .iter()
            .any(|(_, m)| m == "non-concrete value int in operand to +")
            && errors.iter().all(|(code, _)| code != "CYCLE"),
        "{errors:?}"
    );
}

#[test]
fn structural_cycles_end_with_an_error() {
    let package = Package::load(
        PackageFiles {
            files: vec![("s.cue".into(), "#A: {a: #A}\n#B: {b?: #B, n: int}\n".into())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, ["#A.a: structural cycle"]);
    // An optional recursive field is fine: it is only evaluated where data has it.
    let schema = package.schema(Some("#B")).expect("#B is valid");
    let validation = schema.validate_json("d.json", r#"{"n": 1, "b": {"n": 2, "b": {"n": "x"}}}"#);
    let headlines: Vec<String> = validation.errors.iter().map(|d| d.headline()).collect();
    assert_eq!(
        headlines,
        ["b.b.n: conflicting values \"x\" and int (mismatched types string and int)"]
    );
}

/// A list literal that contains itself is a structural cycle, found where it repeats (not at
/// the recursion limit, which would end the whole evaluation), and a value that conflicts with
/// the list is that conflict (CUE's test data, cycle/structural.txtar).
#[test]
fn structural_cycles_through_lists_are_found_where_they_repeat() {
    assert_eq!(export("f: [f]"), Err(vec!["structural cycle".to_string()]));
    let package = Package::load(
        PackageFiles {
            files: vec![("s.cue".into(), "x: y: [y]\nb: x.y & [1]\n".into())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(
        headlines,
        [
            "x.y.0: structural cycle",
            "b.0: conflicting values 1 and [y] (mismatched types int and list)"
        ]
    );
}

/// Structure that repeats through a pattern constraint or a list's `...T` ends where the data
/// fed to the constraint does: not a structural cycle (CUE's test data, cycle/constraints.txtar
/// and cycle/structural.txtar), while the same repetition through plain fields is one.
#[test]
fn recursion_through_constraints_ends_with_the_data() {
    let text = "a: [string]: b: a\nx: a & {c: b: c: b: c: {}}\n\
                #T: a: [...{link: #T}]\nl: #T & {a: [{link: a: [{}]}]}\n\
                #P: a: [string]: link: #P\np: #P & {a: one: link: a: two: {}}";
    assert_eq!(
        export(text),
        Ok(json!({
            "a": {},
            "x": {"c": {"b": {"c": {"b": {"c": {"b": {}}}}}}},
            "l": {"a": [{"link": {"a": [{"link": {"a": []}}]}}]},
            "p": {"a": {"one": {"link": {"a": {"two": {"link": {"a": {}}}}}}}}
        }))
    );
    // A disjunct that repeats structure is eliminated, fed by a constraint or not.
    assert_eq!(
        export("r=[string]: {b: r | null}\na: {r: 0}"),
        Ok(json!({"a": {"r": 0, "b": null}}))
    );
    // Through a constraint that the struct itself feeds, the repetition never ends.
    assert!(export("c: [string]: c\nc: b: {}").is_err());
    assert_eq!(
        export("a: {b: {c: a}}"),
        Err(vec!["structural cycle".to_string()])
    );
}

/// A literal repeated below itself is a structural cycle only when its own expansion brought
/// it there: `#T` at `C.x` comes from `{x: #T & ...}`, not from `#T`'s body, so `C.x` is
/// `#T` once (CUE's test data, cycle/structural.txtar, crossRefNoCycle).
#[test]
fn a_literal_brought_by_another_is_not_a_cycle() {
    assert_eq!(
        export("#T: {x: _, n: 1}\nC: #T & {x: #T & {x: {}}}"),
        Ok(json!({"C": {"x": {"x": {}, "n": 1}, "n": 1}}))
    );
    // Brought back by its own field (through `c`), it is one.
    let errors = export("a: {b: c}\nc: a").expect_err("a structural cycle");
    assert!(
        !errors.is_empty() && errors.iter().all(|m| m == "structural cycle"),
        "{errors:?}"
    );
}

#[test]
fn exponential_disjunctions_end_with_an_error() {
    let mut schema = String::new();
    for i in 0..16 {
        schema.push_str(&format!("f{i}: 1 | 2 | 3\n"));
    }
    schema.push_str("#X: {");
    for i in 0..16 {
        schema.push_str(&format!("g{i}: f{i} | 4\n"));
    }
    schema.push('}');
    // Must return (valid or not) rather than hang.
    let _ = vet(&schema, Some("#X"), "{}");
}

#[test]
fn the_root_must_match_the_schema_kind() {
    let schema = "#A: {a: int}";
    assert!(first(schema, Some("#A"), "[1]").starts_with("conflicting values [1] and"));
}

#[test]
fn bad_json_is_reported_with_its_position() {
    let package = Package::load(
        PackageFiles {
            files: vec![("s.cue".into(), "#A: {}".into())],
        },
        &NoImports,
    );
    let schema = package.schema(Some("#A")).expect("valid expression");
    let validation = schema.validate_json("d.json", "{\"a\": }");
    assert_eq!(validation.errors.len(), 1);
    let rendered = validation.errors[0].render_plain(&validation.sources);
    assert!(rendered.contains("d.json:1:7"), "{rendered}");
}

#[test]
fn unknown_definitions_are_reported() {
    let package = Package::load(
        PackageFiles {
            files: vec![("s.cue".into(), "#A: {}".into())],
        },
        &NoImports,
    );
    let errors = package.schema(Some("#Nope")).err().expect("an error");
    assert!(errors[0].message.contains("#Nope"), "{:?}", errors);
}

#[test]
fn long_reference_chains_and_deep_data_end_cleanly_on_a_small_stack() {
    let run = || {
        let mut schema = String::new();
        for i in 0..5000 {
            schema.push_str(&format!("a{i}: a{}\n", i + 1));
        }
        schema.push_str("a5000: 1\n");
        let package = Package::load(
            PackageFiles {
                files: vec![("chain.cue".into(), schema)],
            },
            &NoImports,
        );
        let messages: Vec<String> = package
            .diagnostics()
            .iter()
            .map(|d| d.message.clone())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("levels deep") || m.contains("too complex")),
            "{messages:?}"
        );
        let deep = format!("{}1{}", "[".repeat(400), "]".repeat(400));
        let package = Package::load(
            PackageFiles {
                files: vec![("s.cue".into(), "x: _".into())],
            },
            &NoImports,
        );
        let schema = package.schema(None).expect("schema");
        let data = format!("{{\"x\": {deep}}}");
        let _ = schema.validate_json_unified("d.json", &data);
        let _ = schema.validate_json("d.json", &data);
    };
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(run)
        .expect("thread starts")
        .join()
        .expect("no overflow, no panic");
}

#[test]
fn an_absent_field_with_an_unresolved_disjunction_is_incomplete() {
    assert_eq!(
        first(r#"v: "a" | "b" | "c""#, None, "{}"),
        r#"v: incomplete value "a" | "b" | "c""#
    );
    assert_eq!(first("v: or([1, 2])", None, r#"{"v": 1}"#), "valid");
    assert_eq!(
        first("v: or([1, 2])", None, "{}"),
        "v: incomplete value 1 | 2"
    );
    assert_eq!(first(r#"v: *"a" | "b""#, None, "{}"), "valid");
}

#[test]
fn an_absent_field_typed_null_or_string_is_incomplete() {
    assert_eq!(
        first("v: null | string", None, "{}"),
        "v: incomplete value null | string"
    );
}

#[test]
fn an_exponential_disjunction_ends_in_an_error_quickly() {
    // Five disjunctions of four on one field: 1,024 combinations are still tried (and the
    // one that agrees wins); six (4,096) exceed the limit and are refused, not enumerated.
    let five = "v: (1|2|3|4) & (1|2|3|5) & (1|2|3|6) & (1|7|8|9) & (1|10|11|12)";
    assert_eq!(first(five, None, r#"{"v": 1}"#), "valid");
    let six = format!("{five} & (1|13|14|15)");
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), six.clone())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(
        headlines,
        ["v: disjunction too large: 4096 combinations of 6 disjunctions (the limit is 1024)"]
    );
    // The error points at the first disjunctions that multiply, not nowhere.
    let spans = &package.diagnostics()[0].spans;
    assert_eq!(spans.len(), 3, "{spans:?}");
    let text = |span: &cue::Span| &six[span.start as usize..span.end as usize];
    assert_eq!(text(&spans[0]), "1|2|3|4");
    assert_eq!(text(&spans[1]), "1|2|3|5");
}

#[test]
fn a_struct_embedded_at_the_top_of_a_file_is_its_own_scope() {
    let schema = "{a: 1, b: a + 2}";
    assert_eq!(first(schema, None, r#"{"a": 1, "b": 3}"#), "valid");
    assert_eq!(
        first(schema, None, r#"{"a": 1, "b": 4}"#),
        "b: conflicting values 3 and 4"
    );
}

#[test]
fn embedding_a_closed_struct_closes_the_enclosing_one() {
    // The enclosing struct may declare more fields; data may not add any.
    let schema = "#A: close({a: int})\n#B: {#A, b: string}\ny: #A & {c: 1}";
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), schema.to_string())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, ["y.c: field not allowed"]);
    let b = "#A: close({a: int})\n#B: {#A, b: string}";
    assert_eq!(first(b, Some("#B"), r#"{"a": 1, "b": "x"}"#), "valid");
    assert_eq!(
        first(b, Some("#B"), r#"{"a": 1, "b": "x", "c": 1}"#),
        "c: field not allowed"
    );
}

#[test]
fn comparing_with_bottom_tests_whether_a_field_is_defined() {
    let schema = "#E: {x?: int, y: string}\nin: #E\nif in.x != _|_ { hasX: true }\nif in.x == _|_ { hasX: false }";
    assert_eq!(
        first(schema, None, r#"{"in": {"y": "a", "x": 1}, "hasX": true}"#),
        "valid"
    );
    assert_eq!(
        first(schema, None, r#"{"in": {"y": "a"}, "hasX": false}"#),
        "valid"
    );
    assert!(first(schema, None, r#"{"in": {"y": "a"}, "hasX": true}"#)
        .starts_with("hasX: conflicting values"));
}

#[test]
fn a_field_of_a_list_is_an_error_not_an_incomplete_value() {
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), "h: [3].b".to_string())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, ["h: undefined field: b"]);
}

#[test]
fn a_large_document_is_not_refused_as_too_complex() {
    // 60,000 values through unification (the comprehension keeps the schema from compiling):
    // past the fixed budget of 50,000 values, within the share the document brings.
    let schema = "items: [...{n: int}]\nif len(items) > 0 { nonEmpty: true }";
    let items: Vec<String> = (0..30_000).map(|i| format!(r#"{{"n": {i}}}"#)).collect();
    let data = format!(r#"{{"items": [{}], "nonEmpty": true}}"#, items.join(","));
    assert_eq!(first(schema, None, &data), "valid");
}

#[test]
fn list_validators_in_a_definition_wait_for_data() {
    let schema = "import \"list\"\n#L: {items: [...int] & list.MinItems(1)}";
    assert_eq!(first(schema, Some("#L"), r#"{"items": [1]}"#), "valid");
    assert_eq!(
        first(schema, Some("#L"), r#"{"items": []}"#),
        "items: invalid value [] (does not satisfy list.MinItems(1)): len(list) < MinItems(1) (0 < 1)"
    );
}

#[test]
fn a_repeated_key_in_data_unifies_its_values() {
    // Wherever the key is: a declared field, a field only the data has, or deeper.
    assert_eq!(
        first("a: int", None, r#"{"a": 1, "a": 2}"#),
        "a: conflicting values 1 and 2"
    );
    assert_eq!(
        first("a?: int", None, r#"{"x": 1, "x": 2}"#),
        "x: conflicting values 1 and 2"
    );
    assert_eq!(
        first("a?: int", None, r#"{"o": {"c": 1, "c": 3}}"#),
        "o.c: conflicting values 1 and 3"
    );
    assert_eq!(first("a?: int", None, r#"{"x": 1, "x": 1}"#), "valid");
}

#[test]
fn a_definition_declared_twice_allows_the_fields_of_both() {
    let schema = "#A: {b?: int, c?: int}\n#A: {b?: int}";
    assert_eq!(first(schema, Some("#A"), r#"{"c": 1}"#), "valid");
    assert_eq!(
        first(schema, Some("#A"), r#"{"d": 1}"#),
        "d: field not allowed"
    );
}

#[test]
fn structs_with_many_fields_validate_like_small_ones() {
    // More than 128 declared fields takes the streaming check's other bookkeeping.
    let fields: Vec<String> = (0..130).map(|i| format!("f{i}: int")).collect();
    let schema = format!("#S: {{{}}}", fields.join(", "));
    let values: Vec<String> = (0..130).map(|i| format!(r#""f{i}": {i}"#)).collect();
    let data = format!("{{{}}}", values.join(", "));
    assert_eq!(first(&schema, Some("#S"), &data), "valid");
    let repeated = format!(r#"{{{}, "f129": 0}}"#, values.join(", "));
    assert_eq!(
        first(&schema, Some("#S"), &repeated),
        "f129: conflicting values 129 and 0"
    );
    let missing = format!("{{{}}}", values[..129].join(", "));
    assert_eq!(
        first(&schema, Some("#S"), &missing),
        "f129: incomplete value int"
    );
}

/// The headlines of a package's own diagnostics.
fn package_errors(schema: &str) -> Vec<String> {
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), schema.to_string())],
        },
        &NoImports,
    );
    package.diagnostics().iter().map(|d| d.headline()).collect()
}

#[test]
fn bounds_that_no_value_satisfies_are_an_error() {
    assert_eq!(
        package_errors("a: >2 & <1\nb: <=\"a\" & >\"b\"\nc: int & >1 & <2\nok: int & >=2 & <=2"),
        [
            "a: incompatible number bounds <1 and >2",
            "b: incompatible string bounds <=\"a\" and >\"b\"",
            "c: incompatible integer bounds <2 and >1",
        ]
    );
    // The kind may come last, from a pattern: the bounds are judged once all is in.
    assert_eq!(
        package_errors("[_]: int\np: >=2 & <2"),
        ["p: incompatible integer bounds <2 and >=2"]
    );
}

#[test]
fn a_bound_of_a_value_that_is_not_concrete_names_it() {
    let package = Package::load(
        PackageFiles {
            files: vec![(
                "schema.cue".to_string(),
                "n: number\na: >(n)\nb: <(<3)\nc: >(null)".to_string(),
            )],
        },
        &NoImports,
    );
    let error = |path: &str| match package.export_json(Some(path)) {
        Ok(v) => panic!("{path} evaluated to {v}"),
        Err(e) => (e[0].code, e[0].headline()),
    };
    assert_eq!(
        error("a"),
        ("INCOMPLETE", "non-concrete value n for bound >".into())
    );
    assert_eq!(
        error("b"),
        ("INCOMPLETE", "non-concrete value <3 for bound <".into())
    );
    assert_eq!(error("c").1, "cannot use null for bound >");
}

/// The package's value at `path` as JSON, or the headline of its first error.
fn value_at(schema: &str, path: &str) -> String {
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), schema.to_string())],
        },
        &NoImports,
    );
    match package.export_json(Some(path)) {
        Ok(v) => v.to_string(),
        Err(e) => e[0].headline(),
    }
}

#[test]
fn a_try_clause_yields_only_when_its_optional_references_are_defined() {
    let schema = r#"
@experiment(try)
a: 1
c?: int
list: [10, 20, ...]
ok: { try { x: a? + 1 } }
skipped: { try { x: c? } }
fallback: { try { x: a?, y: c? } else { none: true } }
bound: { try v = a? if v > 0 { positive: v } }
open: { try { v: list[5]? } else { none: true } }
inner: { try { x: [for y in [c?] { y }] } else { none: true } }
"#;
    assert_eq!(value_at(schema, "ok"), r#"{"x":2}"#);
    assert_eq!(value_at(schema, "skipped"), "{}");
    assert_eq!(value_at(schema, "fallback"), r#"{"none":true}"#);
    assert_eq!(value_at(schema, "bound"), r#"{"positive":1}"#);
    assert_eq!(value_at(schema, "open"), r#"{"none":true}"#);
    assert_eq!(value_at(schema, "inner"), r#"{"none":true}"#);
}

#[test]
fn a_comprehension_that_yields_nothing_yields_its_else_body() {
    let schema = r#"
ifFalse: { if false { a: 1 } else { b: 2 } }
forEmpty: { for x in [] { "\(x)": x } fallback { empty: true } }
forSome: { for x in [1] { "\(x)": x } fallback { empty: true } }
list: [ for x in [] { x } fallback { 0 } ]
"#;
    assert_eq!(value_at(schema, "ifFalse"), r#"{"b":2}"#);
    assert_eq!(value_at(schema, "forEmpty"), r#"{"empty":true}"#);
    assert_eq!(value_at(schema, "forSome"), r#"{"1":1}"#);
    assert_eq!(value_at(schema, "list"), "[0]");
}

#[test]
fn iterations_that_yield_nothing_do_not_make_a_scalar_yield_a_struct() {
    let schema = r#"
keys: ["a", "b", "c"]
one: { for k in keys { if k == "b" { k } } }
none: { for k in keys { if k == "z" { k } } }
"#;
    assert_eq!(value_at(schema, "one"), r#""b""#);
    assert_eq!(value_at(schema, "none"), "{}");
}

#[test]
fn an_if_clause_may_negate_its_condition_and_if_may_still_be_a_required_label() {
    let schema = r#"
u: {a: 1, b: 2}
n: { for k, v in u { if !(k == "a") { "\(k)": v } } }
r: { if!: int, if: 3 }
"#;
    assert_eq!(value_at(schema, "n"), r#"{"b":2}"#);
    assert_eq!(value_at(schema, "r"), r#"{"if":3}"#);
}

#[test]
fn arithmetic_errors_read_as_cue_writes_them() {
    assert_eq!(
        value_at("x: 1 / 0", "x"),
        "failed arithmetic: division by zero"
    );
    assert_eq!(
        value_at("x: 1 + \"a\"", "x"),
        "invalid operands 1 and \"a\" to '+' (type int and string)"
    );
}

#[test]
fn a_struct_of_definitions_embedding_a_scalar_is_that_scalar() {
    let schema = r#"
import "list"
a: {5, #foo: 1}
b: {[1, 2], #foo: 1}
c: b.#foo
d: list.Concat([b, b])
e: {#a: 1}
f: {_x: 1, if true {5}}
g: {"s", #a: _} & {#a: "s", _}
h: {#a: 1, b: 2, 5}
#Sum: {
	number & list.Sum(#in)
	#in: [...number]
}
i: #Sum & {_, #in: [1, 2, 3]}
j: {#a, #a: "s"}
"#;
    assert_eq!(value_at(schema, "a"), "5");
    assert_eq!(value_at(schema, "b"), "[1,2]");
    assert_eq!(value_at(schema, "c"), "1");
    assert_eq!(value_at(schema, "d"), "[1,2,1,2]");
    assert_eq!(value_at(schema, "e"), "{}");
    assert_eq!(value_at(schema, "f"), "5");
    assert_eq!(value_at(schema, "g"), r#""s""#);
    assert!(value_at(schema, "h").contains("conflicting values"));
    // An embedded computation reads the struct's fields once they are all in.
    assert_eq!(value_at(schema, "i"), "6");
    assert_eq!(value_at(schema, "j"), r#""s""#);
}

#[test]
fn a_value_alias_names_the_value_it_is_unified_into() {
    let schema = "foo: X={x: X.a}\nbar: foo & {a: 1}\n";
    assert_eq!(value_at(schema, "bar"), r#"{"x":1,"a":1}"#);
    assert_eq!(
        value_at("a: div(2.0, 1)", "a"),
        "cannot use 2.0 (type float) as int in argument 1 to div"
    );
    assert_eq!(
        value_at("#A: {s: string, ok: s != \"b\"}", "#A.ok"),
        "non-concrete value string in operand to !="
    );
}

/// As CUE words it (upstream `builtins/incomplete.txtar`, `badListType`): the argument, its
/// type, the kind wanted, and the call.
#[test]
fn a_builtin_argument_of_the_wrong_kind_names_its_type_and_the_call() {
    let schema = "import (\"list\", \"strings\")\nx: 2\nm: list.Max(x)\nj: strings.Join(x, \"\")\n";
    assert_eq!(
        value_at(schema, "m"),
        "cannot use 2 (type int) as list in argument 1 to list.Max"
    );
    assert_eq!(
        value_at(schema, "j"),
        "cannot use 2 (type int) as list in argument 1 to strings.Join"
    );
}

#[test]
fn a_file_embedding_a_list_definition_is_that_list() {
    // Both validators (see `vet`) see the list, not the definition beside it.
    let schema = "#schema: [...=~\"^[0-9]+$\" | string]\n#schema\n";
    assert_eq!(first(schema, None, r#"["5", "value"]"#), "valid");
    assert!(first(schema, None, r#"{"a": 1}"#).ends_with("(mismatched types list and struct)"));
}

#[test]
fn match_n_and_match_if_count_the_schemas_a_value_unifies_with() {
    let schema = r#"
import "math"
#Foo: {a: int}
one: [string]: matchN(1, [#Foo])
one: ok: {a: 2}
one: bad: {a: "x"}
oneOf: [string]: matchN(1, [math.MultipleOf(3), math.MultipleOf(5)])
oneOf: three: 3
oneOf: fifteen: 15
anyOf: matchN(>0, [math.MultipleOf(3), math.MultipleOf(5)]) & 15
not: matchN(0, [matchN(0, [#Foo])]) & {a: 2}
cond: [string]: matchIf({x!: >2}, {y!: 5}, {y!: 1})
cond: ok: {x: 10, y: 5}
cond: bad: {x: 1, y: 2}
"#;
    assert_eq!(value_at(schema, "one.ok"), r#"{"a":2}"#);
    assert!(value_at(schema, "one.bad").contains("does not satisfy matchN(1, [#Foo])"));
    assert_eq!(value_at(schema, "oneOf.three"), "3");
    assert!(value_at(schema, "oneOf.fifteen").contains("2 matched, expected 1"));
    assert_eq!(value_at(schema, "anyOf"), "15");
    assert_eq!(value_at(schema, "not"), r#"{"a":2}"#);
    assert_eq!(value_at(schema, "cond.ok"), r#"{"x":10,"y":5}"#);
    assert!(value_at(schema, "cond.bad").contains("conflicting values 1 and 2"));
    // Data validated against a definition with a validator: by unification, in both.
    let schema = "#A: {matchN(1, [{kind: \"a\", a: int}, {kind: \"b\", b: string}])\n...}\n";
    assert_eq!(
        first(schema, Some("#A"), r#"{"kind": "a", "a": 1}"#),
        "valid"
    );
    assert!(first(schema, Some("#A"), r#"{"kind": "c", "a": 1}"#).contains("0 matched"));
}

#[test]
fn slices_and_fields_a_closed_struct_cannot_have() {
    let schema = r#"
a: [1, 2, 3][1:]
b: [{x: int}, {x: 2}][:1] & [{x: 1}]
c: [0][1:2]
d: [0][1:0]
e: 4[1:2]
#A: {a: int}
f: #A.b
"#;
    assert_eq!(value_at(schema, "a"), "[2,3]");
    assert_eq!(value_at(schema, "b"), r#"[{"x":1}]"#);
    assert_eq!(value_at(schema, "c"), "index 2 out of range");
    assert_eq!(value_at(schema, "d"), "invalid slice index: 1 > 0");
    assert_eq!(value_at(schema, "e"), "cannot slice 4 (type int)");
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), schema.to_string())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert!(
        headlines.contains(&"f: undefined field: b".to_string()),
        "{headlines:?}"
    );
}

#[test]
fn self_and_aliases_of_dynamic_and_quoted_labels() {
    let schema = r#"
@experiment(aliasv2)
name: "foo"
x: {
	y: self.z
	z: "world"
}
d: {
	X=(name): 3
	x: X
}
A="foo=bar": "str"
a: A
"#;
    assert_eq!(value_at(schema, "x"), r#"{"y":"world","z":"world"}"#);
    assert_eq!(value_at(schema, "d"), r#"{"foo":3,"x":3}"#);
    assert_eq!(value_at(schema, "a"), r#""str""#);
}

#[test]
fn postfix_aliases_name_the_field_and_its_label() {
    let schema = r#"
@experiment(aliasv2)
a1~X1: {foo: 1}
b1: X1.foo + 2
a2~(K2, V2): {name: K2, val: V2.foo}
a2: {foo: 42}
p: {
	[string]~(L, F): {label: L, twice: F.data * 2}
	x: {data: 1}
}
"#;
    assert_eq!(value_at(schema, "b1"), "3");
    assert_eq!(value_at(schema, "a2"), r#"{"name":"a2","val":42,"foo":42}"#);
    assert_eq!(
        value_at(schema, "p"),
        r#"{"x":{"data":1,"label":"x","twice":2}}"#
    );
}

#[test]
fn error_in_a_disjunction_gives_the_schemas_message() {
    let schema = r#"
#A: {
    kind: "a" | "b" | error("kind must be a or b, not \(kind)")
    n?: int | error("one") | error("two")
}
"#;
    assert_eq!(first(schema, Some("#A"), r#"{"kind": "a"}"#), "valid");
    assert_eq!(
        first(schema, Some("#A"), r#"{"kind": "c"}"#),
        "kind: kind must be a or b, not c"
    );
    // Two messages of the schema: both are kept, under a count of them only.
    let errors = vet(schema, Some("#A"), r#"{"kind": "a", "n": "x"}"#);
    assert_eq!(errors[0], "n: 2 errors in empty disjunction");
    assert!(errors[1..].iter().any(|e| e.ends_with("one")), "{errors:?}");
    assert!(errors[1..].iter().any(|e| e.ends_with("two")), "{errors:?}");
}

#[test]
fn messages_name_what_cannot_be_used_as_cue_does() {
    let source = r#"
n: int
s: string
l: [1, 2]
ifInt: { if n { a: 1 } }
ifTop: { if _x { a: 1 } }
_x: _
ifNumber: { if 2 { a: 1 } }
forInt: { for x in n { a: x } }
forString: { for x in "no" { a: x } }
interpolated: "\(s)!"
interpolatedList: "\(l)!"
negative: l[-1]
boolIndex: l[true]
ofInt: 2[0]
callNull: null()
negated: -n
notInt: !n
zeroByZero: 0 / 0
byZero: 1 / 0
bytesTimes: 'ab' * 2
matchInt: "a" =~ 1
notNull: null & !=null
"#;
    let cases = [
        ("ifInt", "cannot use int (type int) as type bool"),
        ("ifTop", "incomplete bool: _"),
        ("ifNumber", "cannot use 2 (type int) as type bool"),
        ("forInt", "cannot range over n (found int, want list or struct)"),
        (
            "forString",
            "cannot range over \"no\" (found string, want list or struct)",
        ),
        (
            "interpolated",
            "invalid interpolation: non-concrete value string (type string)",
        ),
        (
            "interpolatedList",
            "invalid interpolation: cannot use [1,2] (type list) as type (bool|string|bytes|number)",
        ),
        ("negative", "invalid index -1 (index must be non-negative)"),
        ("boolIndex", "invalid index true (invalid type bool)"),
        ("ofInt", "invalid operand 2 (found int, want list or struct)"),
        ("callNull", "cannot call non-function null (type null)"),
        ("negated", "operand n of '-' not concrete (was int)"),
        ("notInt", "invalid operand int ('!' requires concrete value)"),
        ("zeroByZero", "failed arithmetic: division undefined"),
        ("byZero", "failed arithmetic: division by zero"),
        ("bytesTimes", "\"abab\""),
        ("matchInt", "cannot use 1 (type int) as type (string|bytes)"),
        ("notNull", "conflicting values null and !=null"),
    ];
    for (expr, want) in cases {
        let got = value_at(source, expr);
        assert!(got.contains(want), "{expr}: got {got:?}, want {want:?}");
    }
}

#[test]
fn defaults_of_nested_disjunctions_follow_the_spec() {
    let source = r#"
a: *"a" | (*"b" | "c")
b: (*"a" | "b") | "c"
c: (*1 | *(*2 | 3)) & (2 | 3)
d: 1 | (*2 | 3)
"#;
    // An unmarked term of a marked disjunction loses its defaults (M3).
    assert_eq!(value_at(source, "a"), "\"a\"");
    // A disjunction without a marked term keeps the defaults of its terms (D1).
    assert_eq!(value_at(source, "b"), "\"a\"");
    // A marked term with defaults of its own keeps them (M2): 2, not 2 | 3.
    assert_eq!(value_at(source, "c"), "2");
    assert_eq!(value_at(source, "d"), "2");
}

#[test]
fn a_disjunct_that_contains_its_disjunction_is_eliminated() {
    let source = r#"
#D: {b: string} | {c: #D}
o: #D & {b: "test"}
#secrets: {$secret: id: string} | {[string]: #secrets}
out: #secrets & {ONE: TWO: $secret: id: "123"}
"#;
    assert_eq!(value_at(source, "o"), r#"{"b":"test"}"#);
    // Recursion through a pattern ends where the fields written for it do.
    assert_eq!(
        value_at(source, "out"),
        r#"{"ONE":{"TWO":{"$secret":{"id":"123"}}}}"#
    );
}

#[test]
fn comparing_lists_and_structs_names_the_part_that_is_not_concrete() {
    let source = r#"
_int: int
t: {a: 1, b: [1, "x"]} == {b: [1, "x"], a: 1}
f: [1, 2] == [1, "2"]
left: [_int] == [1]
right: [1, 2] != [1, _int]
required: {a!: 1} == {a: 1}
passed: {a: 1 / 0} == {a: 1}
"#;
    assert_eq!(value_at(source, "t"), "true");
    assert_eq!(value_at(source, "f"), "false");
    let cases = [
        (
            "left",
            "invalid left-hand value to '==' (type list): 0: incomplete value int",
        ),
        (
            "right",
            "invalid right-hand value to '!=' (type list): 1: incomplete value int",
        ),
        (
            "required",
            "invalid left-hand value to '==' (type struct): a: field is required but not present",
        ),
        ("passed", "failed arithmetic: division by zero"),
    ];
    for (expr, want) in cases {
        let got = value_at(source, expr);
        assert!(got.contains(want), "{expr}: got {got:?}, want {want:?}");
    }
}

#[test]
fn a_reference_to_a_required_field_not_given_is_incomplete() {
    let source = r#"
#Foo: a!: int
b: #Foo.a
x: y!: 1
c: x.y + 1
given: #Foo & {a: 2}
d: given.a + 1
"#;
    for expr in ["b", "c"] {
        let got = value_at(source, expr);
        assert!(got.contains("required field missing: "), "{expr}: {got}");
    }
    assert_eq!(value_at(source, "d"), "3");
    // Data that gives the field makes the reference good.
    let schema = "#A: {a!: int, b: a + 1}";
    assert_eq!(first(schema, Some("#A"), r#"{"a": 1, "b": 2}"#), "valid");
}

#[test]
fn a_computed_struct_with_a_conflict_inside_compares_equal_to_bottom() {
    let source = r#"
bad: ({x: 1, y: 2} & {x: 3}) == _|_
good: ({x: 1} & {y: 2}) != _|_
xo: field: {}
open: ({} & {s: [for y in xo.undefined {}]}) != _|_
"#;
    assert_eq!(value_at(source, "bad"), "true");
    assert_eq!(value_at(source, "good"), "true");
    // Only incomplete inside: not an error yet.
    assert_eq!(value_at(source, "open"), "true");
}

#[test]
fn a_reference_to_an_optional_field_not_given_is_incomplete() {
    let source = r#"
constrained~X?: {required: true}
test: X.required
#A: {a?: int, b: a}
given: #A & {a: 3}
"#;
    let got = value_at(source, "test");
    assert!(
        got.contains("cannot reference optional field: constrained"),
        "{got}"
    );
    assert_eq!(value_at(source, "given"), r#"{"a":3,"b":3}"#);
}

#[test]
fn an_alternative_that_is_an_incomplete_error_gives_way() {
    let source = r#"
x: name: "Hello"
ok1: *x.a | x
ok2: x | *x.a
allFail: x.a | x.b
"#;
    assert_eq!(value_at(source, "ok1"), r#"{"name":"Hello"}"#);
    assert_eq!(value_at(source, "ok2"), r#"{"name":"Hello"}"#);
    let got = value_at(source, "allFail");
    assert!(got.contains("2 errors in empty disjunction"), "{got}");
}

const EXPLICIT_OPEN: &str = r#"
@experiment(explicitopen)
#A: {a: int, sub: {x: int}}
embedded: {#A, b: 1}
unified: #A & {b: 1}
opened: {#A..., b: 1}
openedDeep: #A... & {sub: y: 1}
#B: {#A..., b: int}
closedB: #B & {c: 1}
all: __closeAll({a: 1, sub: {x: 1}})
allDeep: all & {sub: y: 1}
reclosed: __reclose({#A..., b: 1})
reclosedTop: reclosed & {c: 1}
reclosedDeep: reclosed & {sub: y: 1}
plain: __reclose({{c: 1}..., b: 1}) & {d: 1}
"#;

#[test]
fn with_explicitopen_embedding_is_unifying_and_postfix_ellipsis_opens() {
    // Embedding a definition closes the struct, its own fields and all, as `&` does.
    assert_eq!(value_at(EXPLICIT_OPEN, "embedded"), "b: field not allowed");
    assert_eq!(value_at(EXPLICIT_OPEN, "unified"), "b: field not allowed");
    // `#A...` opens #A, down to the fields of its fields; a definition holding it is closed.
    assert_eq!(value_at(EXPLICIT_OPEN, "opened.b"), "1");
    assert_eq!(value_at(EXPLICIT_OPEN, "openedDeep.sub.y"), "1");
    assert_eq!(value_at(EXPLICIT_OPEN, "closedB"), "c: field not allowed");
}

#[test]
fn close_all_and_reclose_close_a_literal_again() {
    assert_eq!(
        value_at(EXPLICIT_OPEN, "allDeep"),
        "sub.y: field not allowed"
    );
    // `__reclose` closes as the definition it opened was: recursively.
    assert_eq!(
        value_at(EXPLICIT_OPEN, "reclosedTop"),
        "c: field not allowed"
    );
    assert_eq!(
        value_at(EXPLICIT_OPEN, "reclosedDeep"),
        "sub.y: field not allowed"
    );
    // What it opens was never closed: it stays open.
    assert_eq!(value_at(EXPLICIT_OPEN, "plain.d"), "1");
    // Without the experiment, the builtins are errors.
    let old = "x: __closeAll({a: 1})\n";
    assert_eq!(
        value_at(old, "x"),
        "error in call to __closeAll: __closeAll may only be used when explicitopen is enabled"
    );
}

#[test]
fn close_closes_its_struct_at_its_own_level_only() {
    let source = r#"
x: close({b: {}})
deeper: x & {b: c: 1}
top: x & {d: 1}
"#;
    assert_eq!(value_at(source, "deeper"), r#"{"b":{"c":1}}"#);
    assert_eq!(value_at(source, "top"), "d: field not allowed");
}

#[test]
fn a_file_that_only_embeds_top_accepts_data_of_every_kind() {
    // The file is a struct only if nothing it embeds says otherwise: data makes it a number.
    for data in ["8", "\"s\"", "[1]", "{\"a\": 1}", "null"] {
        assert_eq!(first("_", None, data), "valid", "{data}");
        assert_eq!(first("{_, #a: 1}", None, data), "valid", "{data}");
    }
}

#[test]
fn an_equality_constraint_of_a_concrete_scalar_or_list_is_that_value() {
    let source = r#"
one: ==1 & 1
list: ==[1, 2] & [1, 2]
other: ==1 & 2
otherFirst: 2 & ==1
_int: int
open: ==_int
"#;
    assert_eq!(value_at(source, "one"), "1");
    assert_eq!(value_at(source, "list"), "[1,2]");
    // A value other than `==1`'s is out of that bound, whichever comes first (CUE's
    // eval/bounds.txtar equalScalar).
    assert_eq!(
        value_at(source, "other"),
        "invalid value 2 (out of bound ==1)"
    );
    assert_eq!(
        value_at(source, "otherFirst"),
        "invalid value 2 (out of bound ==1)"
    );
    assert!(
        value_at(source, "open").contains("non-concrete value"),
        "{}",
        value_at(source, "open")
    );
}

#[test]
fn selecting_from_a_value_that_is_still_top_names_the_base_as_incomplete() {
    let source = r#"
top: _
field: top.foo
index: top[2]
"#;
    assert_eq!(
        value_at(source, "field"),
        "top.foo undefined as top is incomplete (type _)"
    );
    assert_eq!(
        value_at(source, "index"),
        "top[2] undefined as top is incomplete (type _)"
    );
}

/// A value the schema embeds (a whole file `6`, or `a: {6}`) is named before the data's value
/// of the same kind it conflicts with, as `cue vet` and the compiled validator name them,
/// even though an embedded value is added after the struct's other conjuncts; a value of
/// another kind is named after the data's, as for any schema value.
#[test]
fn an_embedded_value_is_named_before_the_data_it_conflicts_with() {
    for (schema, data, expected) in [
        ("6", "0", "conflicting values 6 and 0"),
        ("55", "5", "conflicting values 55 and 5"),
        (
            "\"\"",
            "8.6",
            "conflicting values 8.6 and \"\" (mismatched types float and string)",
        ),
        ("a: {6}", r#"{"a": 0}"#, "a: conflicting values 6 and 0"),
    ] {
        assert_eq!(first(schema, None, data), expected, "{schema} with {data}");
    }
}

/// `!`, `-` and `+` need a concrete operand: one written as a type or a bound is an error
/// (CUE: "invalid operand bool ('!' requires concrete value)"), a reference to a field not yet
/// concrete only incomplete.
#[test]
fn an_operator_on_a_type_is_an_error_and_on_a_reference_incomplete() {
    for (text, expected) in [
        (
            "x: !bool",
            "x: invalid operand bool ('!' requires concrete value)",
        ),
        (
            "x: !(bool)",
            "x: invalid operand bool ('!' requires concrete value)",
        ),
        (
            "x: -int",
            "x: invalid operand int ('-' requires concrete value)",
        ),
        (
            "x: !int",
            "x: invalid operand int ('!' requires concrete value)",
        ),
    ] {
        let package = Package::load(
            PackageFiles {
                files: vec![("schema.cue".to_string(), text.to_string())],
            },
            &NoImports,
        );
        let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
        assert_eq!(headlines, [expected], "{text}");
    }
    let package = Package::load(
        PackageFiles {
            files: vec![("schema.cue".to_string(), "y: bool\nx: !y".to_string())],
        },
        &NoImports,
    );
    assert!(
        package.diagnostics().is_empty(),
        "{:?}",
        package.diagnostics()
    );
    // The data makes the reference concrete.
    assert_eq!(first("y: bool\nx: !y", None, r#"{"y": true}"#), "valid");
}

/// A binary operator's operand written as a type or a bound is an error too (CUE:
/// "invalid operand string ('==' requires concrete value)"), not an incomplete value that
/// data could complete.
#[test]
fn a_binary_operator_on_a_type_or_bound_is_an_error() {
    for (text, expected) in [
        (
            "x: string == number",
            "x: invalid operand string ('==' requires concrete value)",
        ),
        (
            "x: (int + 1) + 2",
            "x: invalid operand int ('+' requires concrete value)",
        ),
        (
            "x: >10 * 2",
            "x: invalid operand >10 ('*' requires concrete value)",
        ),
        (
            "x: 3 <= (_)",
            "x: invalid operand _ ('<=' requires concrete value)",
        ),
    ] {
        let package = Package::load(
            PackageFiles {
                files: vec![("schema.cue".to_string(), text.to_string())],
            },
            &NoImports,
        );
        let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
        assert_eq!(headlines, [expected], "{text}");
    }
    // A reference is completed by the data.
    assert_eq!(
        first("y: int\nx: y + 1", None, r#"{"y": 1, "x": 2}"#),
        "valid"
    );
    assert_eq!(
        first("y: int\nx: y + 1", None, r#"{"y": 1, "x": 3}"#),
        "x: conflicting values 2 and 3"
    );
}

/// Comprehension clauses may stand on lines of their own: a newline ends a clause as a comma
/// does (CUE's test data `fulleval/004_field_comprehension`, `eval/deref` issue 4011).
#[test]
fn comprehension_clauses_on_separate_lines_keep_their_bindings() {
    let text = r#"
b: {a: 1, b: 2, c: 3, d: 4}
a: {
	for k, v in b
	if k < "d"
	if v > b.a {
		"\(k)": v
	}
}
result: {
	for envName in ["foo"]
	let env = envs[envName]
	if env != _|_ {
		(envName): true
	}
}
envs: foo: {}
l: [for x in [1, 2, 3]
	if x > 1 {x}]
"#;
    let exported = export(text).expect("evaluates");
    assert_eq!(exported["a"], json!({"b": 2, "c": 3}));
    assert_eq!(exported["result"], json!({"foo": true}));
    assert_eq!(exported["l"], json!([2, 3]));
    // A clause followed by anything else on the next line is still an error.
    let dangling = Package::load(
        PackageFiles {
            files: vec![("c.cue".into(), "x: {\n\tfor k in [1]\n\ty: 1\n}".into())],
        },
        &NoImports,
    );
    assert!(!dangling.diagnostics().is_empty());
}

/// A builtin's argument of the wrong kind is named with its type, as CUE words it
/// (`builtins/incomplete` in its test data).
#[test]
fn a_builtin_argument_of_the_wrong_kind_is_named_with_its_type() {
    let errors = export("import \"list\"\nx: 2\nm: list.Max(x)").expect_err("not a list");
    assert_eq!(
        errors,
        ["cannot use 2 (type int) as list in argument 1 to list.Max"]
    );
}

/// An unresolved disjunction is named with the kinds of its options, as CUE words it
/// (`comprehensions/issue837`, `fulleval/027_len_of_incomplete_types` in its test data).
#[test]
fn an_unresolved_disjunction_names_its_kinds() {
    for (text, expected) in [
        (
            "k: \"a\" | \"b\"\nx: len(k)",
            "unresolved disjunction \"a\" | \"b\" (type string)",
        ),
        (
            "k: null | {a: 1}\nx: len(k)",
            "unresolved disjunction null | {a:1} (type (null|struct))",
        ),
    ] {
        let errors = export(text).expect_err(text);
        assert!(
            errors.iter().any(|m| m.starts_with(expected)),
            "{text}: {errors:?}"
        );
    }
}

/// A builtin called with a scalar argument not yet concrete is incomplete, named as CUE
/// names it (`fulleval/026_dont_convert_incomplete_errors_to_non-incomplete`).
#[test]
fn a_builtin_call_on_a_value_not_yet_concrete_names_the_call() {
    let text = "import \"strings\"\nstr: string\ns3: strings.ContainsAny(str, \"dd\")";
    let errors = export(text).expect_err("incomplete");
    assert!(
        errors.contains(
            &"error in call to strings.ContainsAny: non-concrete value string".to_string()
        ),
        "{errors:?}"
    );
}

/// Calling a value not yet concrete (`fn: _`) is incomplete, as data or another conjunct may
/// still make it a function; calling a concrete value that is no function is an error.
#[test]
fn calling_a_value_not_yet_concrete_is_incomplete() {
    let package = Package::load(
        PackageFiles {
            files: vec![("c.cue".into(), "fn: _\nd: fn()\ne: null()".into())],
        },
        &NoImports,
    );
    let headlines: Vec<String> = package.diagnostics().iter().map(|d| d.headline()).collect();
    assert_eq!(headlines, ["e: cannot call non-function null (type null)"]);
    let errors = export("fn: _\nd: fn()").expect_err("incomplete");
    assert!(
        errors.contains(&"cannot call non-concrete value fn (type _)".to_string()),
        "{errors:?}"
    );
}

/// `==X` and `!=X` of a concrete struct or list (`@experiment(structcmp)`) compare the final
/// value with `X` structurally, field order aside (CUE's test data, eval/bounds.txtar), and the
/// compiled validator says what unification says.
#[test]
fn equality_bounds_compare_structs_and_lists_structurally() {
    let defs = "#Eq: =={name: \"X\", n: 1}\n#Ne: !={name: \"X\"}\n#NeList: !=[1, 2]\n";
    assert_eq!(
        first(defs, Some("#Eq"), r#"{"n": 1, "name": "X"}"#),
        "valid"
    );
    assert_eq!(
        first(defs, Some("#Eq"), r#"{"name": "Y", "n": 1}"#),
        "invalid value {name:\"Y\",n:1} (out of bound =={name:\"X\",n:1})"
    );
    assert_eq!(
        first(defs, Some("#Eq"), r#"{"name": "X"}"#),
        "invalid value {name:\"X\"} (out of bound =={name:\"X\",n:1})"
    );
    assert_eq!(first(defs, Some("#Ne"), r#"{"name": "Y"}"#), "valid");
    assert_eq!(
        first(defs, Some("#Ne"), r#"{"name": "X"}"#),
        "invalid value {name:\"X\"} (out of bound !={name:\"X\"})"
    );
    assert_eq!(first(defs, Some("#NeList"), "[2, 1]"), "valid");
    assert_eq!(
        first(defs, Some("#NeList"), "[1, 2]"),
        "invalid value [1,2] (out of bound !=[1,2])"
    );
    let package = r#"
#X: =={name: "X"}
ok: #X & {name: "X"}
same: {a: 1, b: 2} & =={b: 2, a: 1}
bad: #X & {name: "Y"}
notEq: {a: 1} & !={a: 1}
"#;
    let errors = export(package).expect_err("bad and notEq fail");
    assert_eq!(
        errors,
        vec![
            "invalid value {name:\"Y\"} (out of bound =={name:\"X\"})".to_string(),
            "invalid value {a:1} (out of bound !={a:1})".to_string(),
        ]
    );
    let fixed = package
        .replace("name: \"Y\"", "name: \"X\"")
        .replace("!=", "==");
    assert_eq!(
        export(&fixed).expect("all equal"),
        json!({"ok": {"name": "X"}, "same": {"a": 1, "b": 2}, "bad": {"name": "X"}, "notEq": {"a": 1}})
    );
}

/// A field that copies a sibling by reference (`y: x` with `C: {x: T} & T`) holds the
/// sibling's value once: the literal it brings was expanded above, but by the sibling, which
/// is checked for a cycle itself (CUE's test data, cycle/structural.txtar crossRefNoCycle).
/// A literal that repeats through a reference to a vertex outside stays a structural cycle.
#[test]
fn copying_a_sibling_is_not_a_structural_cycle() {
    let diagnostics = |text: &str| -> Vec<String> {
        let files = PackageFiles {
            files: vec![("c.cue".into(), text.into())],
        };
        let package = Package::load(files, &NoImports);
        package.diagnostics().iter().map(|d| d.headline()).collect()
    };
    let t1 = "T: {x: _, y: x}\nC: {x: T} & T\nout: C.y.y & 1\n";
    assert_eq!(diagnostics(t1), Vec::<String>::new());
    let t4 = "T: {x: _, y: x, z: y}\nC: T & {x: T & {x: T}}\nout: C.z.x.z & C.y.z.z & 2\n";
    assert_eq!(diagnostics(t4), Vec::<String>::new());
    for cyclic in [
        "C: T\nT: {a: T}\n",
        "a: {b: c}\nc: a\n",
        "C: {x: {a: C.y}, y: C.x}\n",
    ] {
        let errors = diagnostics(cyclic);
        assert!(
            errors.iter().any(|e| e.contains("structural cycle")),
            "{cyclic}: {errors:?}"
        );
    }
}

/// A builtin is a value: a field may hold one (`fn: yaml.Validate`, `x: error`), a reference
/// to the field calls it, as a function or in its validator form, and the same builtin
/// unified twice is that builtin (CUE's builtins/error.txtar indirect,
/// builtins/validators.txtar validatorAsFunction, encoding/yaml validate.txtar).
#[test]
fn builtins_are_values_a_field_can_hold_and_call() {
    let schema = r#"
import "encoding/json"
import "encoding/yaml"
ind: { x: error, y: x("custom message") }
v: { a: json.Valid, b: a("3"), c: a("{") }
#t: { fn: _, data: string, out: data & fn({a: int}) }
ok: #t & { fn: yaml.Validate, data: "a: 2" }
bad: #t & { fn: yaml.Validate, data: "a: x" }
same: { f: json.Valid, f: json.Valid, r: f("1") }
"#;
    assert!(value_at(schema, "ind.y").contains("custom message"));
    assert_eq!(value_at(schema, "v.b"), "true");
    assert_eq!(value_at(schema, "v.c"), "false");
    assert_eq!(value_at(schema, "ok.out"), "\"a: 2\"");
    let bad = value_at(schema, "bad.out");
    assert!(
        bad.contains("does not satisfy encoding/yaml.Validate"),
        "{bad}"
    );
    assert_eq!(value_at(schema, "same.r"), "true");
    // A builtin and another value conflict.
    let conflict = value_at(schema, "(yaml.Validate & 1)");
    assert!(conflict.contains("function"), "{conflict}");
}

/// A dynamic field whose label is not yet concrete names what the label is so far (CUE's
/// eval/issue3801.txtar).
#[test]
fn a_dynamic_label_not_yet_concrete_is_named() {
    let schema = "#S: {k: string, out: (k): 1}\n";
    let errors = value_at(schema, "#S.out");
    assert!(
        errors.contains("key value of dynamic field must be concrete, found string"),
        "{errors}"
    );
}

#[test]
fn decimal_arithmetic_is_exact_as_in_cue() {
    // In binary floating point 0.1 + 0.2 is 0.30000000000000004 and would refuse 0.3.
    assert_eq!(first("x: 0.1 + 0.2", Some("x"), "0.3"), "valid");
    assert_eq!(first("x: 123.45 - 987.65", Some("x"), "-864.2"), "valid");
    assert_eq!(first("x: 10.0 * 2.1", Some("x"), "21.0"), "valid");
    assert_eq!(
        first("x: 0.1 + 0.2", Some("x"), "0.31"),
        "conflicting values 0.3 and 0.31"
    );
}

#[test]
fn interpolation_spells_numbers_and_bytes_as_cue_does() {
    assert_eq!(
        first(r#"s: "\(1e2) \(2.00)""#, Some("s"), r#""1E+2 2.00""#),
        "valid"
    );
    // A run of bytes that is not UTF-8 becomes one replacement character.
    assert_eq!(
        first(r#"b: 'a\x80\x95a', s: "\(b)""#, Some("s"), "\"a\u{FFFD}a\""),
        "valid"
    );
    assert_eq!(
        first(
            r#"b: 'a\x80\x95a', s: '\(b)!', t: s == 'a\x80\x95a!'"#,
            Some("t"),
            "true"
        ),
        "valid"
    );
}

/// Defaults of several disjunctions unified into one value are combined one disjunction
/// after the other, and a side whose defaults were all eliminated drops them: the survivors
/// of the other side's defaults decide (CUE's choosedefault and disjunctions tests).
#[test]
fn eliminated_defaults_leave_the_other_sides_defaults() {
    let cases = [
        // Both nulls fail against "str": the second side's default stands.
        ("x: string | *null\nx: string | *\"str\"", "\"str\""),
        ("x: *42 | _\nx: *43 | bool", "43"),
        ("x: uint | *1\nx: >=3 | *3", "3"),
        (
            "va: {a: 1, b: 2}\nvd: string\nA: va | vd\nB: *{c: 3} | {c: 4} | vd\nC: *{c: 4} | vd\nx: (A & B) & C",
            r#"{"a":1,"b":2,"c":4}"#,
        ),
        // A disjunct naming a disjunction brings its defaults, and the other disjuncts are
        // then not defaults.
        ("a: *1 | 2\nx: a | 3", "1"),
        // Without a default left on either side, nothing is chosen.
        (
            "x: *1 | 2 | 3\nx: 2 | 3",
            "incomplete value 2 | 3",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(value_at(text, "x"), want, "{text}");
    }
}

/// An empty disjunction counts and lists each distinct error of its alternatives once, and an
/// alternative failing on a nested empty disjunction brings every error listed under it, as
/// CUE counts them; the compiled validator says the same.
#[test]
fn an_empty_disjunction_counts_each_distinct_error_once() {
    let schema = "#A: {\n\tb?: int\n\t*{} | {c?: int} | {d?: int} | {e?: int}\n}";
    assert_eq!(
        vet(schema, Some("#A"), r#"{"c": 3, "d": 4}"#),
        vec![
            "2 errors in empty disjunction",
            "c: field not allowed",
            "d: field not allowed"
        ]
    );
    // Every alternative failing the same way is that one error, at its own path.
    let same = "#P: {card: string} | {iban: string}";
    assert_eq!(
        vet(same, Some("#P"), r#"{"wallet": ""}"#),
        vec!["wallet: field not allowed"]
    );
    let nested = "#Def1: {f1: null | #Def2}\n#Def2: {f2: null | #Def3}\n#Def3: {f3: null | int}";
    let errors = vet(nested, Some("#Def1"), r#"{"f1": {"f2": {"f3": "x"}}}"#);
    assert_eq!(errors[0], "f1: 6 errors in empty disjunction");
    assert_eq!(errors.len(), 7, "{errors:?}");
}

/// An index that is a string or an int but not yet concrete says so as CUE does.
#[test]
fn a_non_concrete_index_is_a_non_ground_value() {
    let schema = "foo: bar: \"something\"\n_what: string\nx: foo[_what]\nn: int\ny: [1, 2][n]";
    assert_eq!(
        value_at(schema, "x"),
        "invalid non-ground value string (must be concrete string)"
    );
    assert_eq!(
        value_at(schema, "y"),
        "invalid non-ground value int (must be concrete int)"
    );
}

/// Inside a disjunct, a reference to the value the disjunction is for names the disjunct
/// being tried, so that the disjunct's own fields can eliminate it: `c: d: c.e` keeps only
/// the alternative whose `d` equals its `e`.
#[test]
fn a_reference_into_a_disjunction_from_inside_names_the_disjunct() {
    let schema = "c: d: c.e\nc: {d: 1, e: 2} | {d: 2, e: 2}\nx: y.e\ny: d: x\ny: {d: 1, e: 2} | {d: 2, e: 2}";
    assert_eq!(value_at(schema, "c"), r#"{"d":2,"e":2}"#);
    assert_eq!(value_at(schema, "y"), r#"{"d":2,"e":2}"#);
    assert_eq!(value_at(schema, "x"), "2");
    // A struct disjunct reads its own fields to pick a default by them.
    let schema = r#"
#One: {kind: "one", one: oneField: "value"}
#Two: {kind: "two", two: optional?: string}
_defaults: two: two: optional: *"optional set" | string
out: #A & {o: two: {}}
#A: {
	o: #One | #Two
	o: *_defaults[o.kind] | _
}
"#;
    assert_eq!(
        value_at(schema, "out"),
        r#"{"o":{"kind":"two","two":{"optional":"optional set"}}}"#
    );
}

/// A disjunct whose fields hold an error, even an incomplete one (a reference to a field that
/// does not exist), is eliminated like one that is an error itself; a field merely not
/// concrete is no error.
#[test]
fn a_disjunct_with_an_undefined_reference_inside_is_eliminated() {
    let schema = "m: a: 2\nx: *[m.b] | 2\ny: *{v: m.b} | 3\nz: *{v: string} | {w: 1}";
    assert_eq!(value_at(schema, "x"), "2");
    assert_eq!(value_at(schema, "y"), "3");
    assert_eq!(value_at(schema, "z"), "v: incomplete value string");
}

/// The same disjunction of literals and types reaching a value many times (one per pattern
/// constraint) is one disjunction, not a product of copies too large to evaluate; a name that
/// a field shadows is a reference and keeps its copies apart.
#[test]
fn repeated_disjunctions_of_literals_are_one() {
    let mut schema = String::from("x: a0: {}\n");
    for _ in 0..20 {
        schema.push_str("x: [_]: f: *1 | int\n");
    }
    assert_eq!(value_at(&schema, "x"), r#"{"a0":{"f":1}}"#);
    // The second `int` is the field: 1 | 2, where merging the copies would say 1 | int.
    let shadowed = "s: v: 1 | int\ns: {\n\tint: 2\n\tv: 1 | int\n}";
    assert_eq!(value_at(shadowed, "s.v"), "incomplete value 1 | 2");
}

/// An inline value (a call's argument, an operand) evaluated again within its own
/// evaluation is a cycle, found at once instead of at the recursion limit: at the level of
/// the value it is a reference cycle, which adds nothing (`b: close({c})`, `c: b` is `{}`);
/// below it the value would contain itself, a structural cycle that the call it is an
/// argument of names (CUE's test data, cycle/evaluate.txtar and cycle/self.txtar).
#[test]
fn inline_values_evaluated_within_themselves_are_cycles() {
    for text in ["a: b\nb: close({c})\nc: a", "b: close({b})"] {
        let exported = export(text).expect(text);
        assert_eq!(exported["b"], json!({}), "{text}");
    }
    for (text, call) in [
        (
            "import \"list\"\na: b\nb: list.Concat([[c], [c]])\nc: a",
            "list.Concat",
        ),
        ("import \"list\"\na: list.Concat([a, [1]])", "list.Concat"),
        (
            "import \"list\"\na: b\nb: list.Repeat([{a: b: c}], 3)\nc: a",
            "list.Repeat",
        ),
    ] {
        let errors = diagnostics(text);
        assert!(
            errors.iter().any(|(code, m)| code == "STRUCTURAL_CYCLE"
                && m == &format!("error in call to {call}: structural cycle")),
            "{text}: {errors:?}"
        );
    }
    // The same expression evaluated inline again, for other data, is no cycle.
    let chain = "_lib: {IMPORT: objects: _, objects: ({} & IMPORT).objects}\n\
                 c2: objects: {name: len(data), data: {}}\n\
                 c1: _lib & {IMPORT: c2}\n\
                 c0: _lib & {IMPORT: c1}";
    let exported = export(chain).expect(chain);
    assert_eq!(exported["c0"]["objects"], json!({"name": 0, "data": {}}));
}

/// `and` and `or` take a list: anything else is named as CUE names it. A disjunct that
/// reaches the call again is a cycle, which eliminates it (cycle/evaluate.txtar,
/// disjunctionCycle: `1 | c` is 1).
#[test]
fn and_of_a_value_that_is_not_a_list_is_an_error_naming_it() {
    for text in ["a: and(1)", "a: b\nb: and(1 | c)\nc: a"] {
        let errors = diagnostics(text);
        assert!(
            errors
                .iter()
                .any(|(_, m)| m == "cannot use 1 (type int) as list in argument 1 to and"),
            "{text}: {errors:?}"
        );
    }
}

/// A schema of `matchN` or `matchIf` that is the validator itself asks for the same check
/// of the same value again, forever: CUE finds the structural cycle (cycle/builtins.txtar,
/// selfRefConcrete). Such a schema does not match a concrete value, and a condition that
/// is that cycle is its error; a value not yet concrete is not checked, and a schema that
/// only repeats the validator deeper down (for the list's elements) is no cycle.
#[test]
fn validators_whose_schema_is_themselves_are_structural_cycles() {
    let errors = diagnostics("_x1: matchN(2, [_x1, _x1])\nx: 3 & _x1");
    assert_eq!(
        errors,
        vec![(
            "INVALID".to_string(),
            "invalid value 3 (does not satisfy matchN(2, [_x1, _x1])): 0 matched, expected 2"
                .to_string()
        )]
    );
    let errors = diagnostics("_y1: matchIf(_y1, _y1, _y1)\ny: 3 & _y1");
    assert_eq!(
        errors,
        vec![(
            "STRUCTURAL_CYCLE".to_string(),
            "invalid value 3 (does not satisfy matchIf): structural cycle".to_string()
        )]
    );
    // The schema is not the validator itself: two of two match.
    assert_eq!(
        export("_x1: matchN(2, [int, >2])\nx: 3 & _x1"),
        Ok(json!({"x": 3}))
    );
    let recursive = "#r: [...matchIf({source?: \"multi\"}, #r, _) & {source?: string}]\n\
                     a: #r & [{source: \"x\"}, {source: \"y\"}]";
    assert_eq!(
        export(recursive),
        Ok(json!({"a": [{"source": "x"}, {"source": "y"}]}))
    );
}

/// A validator not called (`a: json.Valid`) may be called, once: a field holding the
/// validator called (`b: a()`) is that validator, and calling it again is an error naming it
/// (builtins/validators.txtar, callOfCallToValidator). A struct literal that only embeds a
/// builtin validator is that validator, not a struct (`{json.Valid()}` accepts "[1]").
#[test]
fn a_validator_called_once_cannot_be_called_again() {
    let text = "import \"encoding/json\"\n_a: json.Valid\n_b: _a()\ne: _b()\ne: \"5\"";
    assert_eq!(
        diagnostics(text),
        vec![(
            "INVALID".to_string(),
            "cannot call previously called validator _b".to_string()
        )]
    );
    let text = "import \"encoding/json\"\n_a: json.Valid\n_b: _a()\nc: _a(\"3\")\nd: _b & \"[1]\"";
    assert_eq!(export(text), Ok(json!({"c": true, "d": "[1]"})));
    let text = "import \"encoding/json\"\n_w: {json.Valid()}\nx: _w & \"[1]\"\ny: _w & \"[\"";
    let errors = diagnostics(text);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .1
            .contains("invalid value \"[\" (does not satisfy"),
        "{errors:?}"
    );
}

/// `and` of values that are scalars with definitions beside them: the value is the scalar,
/// and the definitions must agree all the same (builtins/and.txtar, embed).
#[test]
fn and_of_embedded_scalars_checks_their_definitions() {
    let errors = diagnostics("embed: and([{2, #x: 1}, {2, #x: 2}])");
    assert_eq!(
        errors,
        vec![(
            "CONFLICT".to_string(),
            "conflicting values 1 and 2".to_string()
        )]
    );
    assert_eq!(
        export("ok: and([{2, #x: 1}, {2, #x: 1}])"),
        Ok(json!({"ok": 2}))
    );
}

/// A `let` naming an imported package (`let _time = time`, or a `let` naming that `let`)
/// is the package: selecting from it calls and validates as selecting from the import does.
#[test]
fn a_let_naming_an_imported_package_selects_from_the_package() {
    let text = "import \"time\"\n\
                let _time = time\n\
                let t = _time\n\
                x: _time.FormatString(\"2006-01-02\", \"2019-01-02T15:04:05Z\")\n\
                y: t.RFC3339Date\n\
                d: \"2024-05-01\" & _time.Format(time.RFC3339Date)";
    let exported = export(text).expect(text);
    assert_eq!(exported["x"], json!("2019-01-02"));
    assert_eq!(exported["y"], json!("2006-01-02"));
    assert_eq!(exported["d"], json!("2024-05-01"));
    let errors = diagnostics("import \"time\"\nlet _time = time\nd: \"May 1\" & _time.Time");
    assert!(
        errors
            .iter()
            .any(|(_, m)| m.contains("invalid value \"May 1\"")),
        "{errors:?}"
    );
    // A `let` of anything else is still selected from as a value.
    let exported = export("let s = {a: 1}\nx: s.a").expect("a let of a struct");
    assert_eq!(exported["x"], json!(1));
}
