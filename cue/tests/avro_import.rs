//! Avro import (`cue::avro`): each construct of the Avro specification imported, the output
//! loaded by the engine, and sample JSON documents judged by the definition as a producer's
//! plain JSON (unions as bare values) would be.

use cue::avro::{import, AvroImport, Options, Schema};
use cue::{NoImports, Package, PackageFiles};
use serde_json::{json, Value};

fn imported(schemas: &[Value]) -> AvroImport {
    let named: Vec<Schema<'_>> = schemas
        .iter()
        .enumerate()
        .map(|(i, document)| Schema {
            name: format!("s{i}.avsc"),
            document,
            definition: format!("Schema{i}"),
        })
        .collect();
    import(
        &named,
        &Options {
            package: Some("p".into()),
        },
    )
    .unwrap_or_else(|e| panic!("import failed: {e}"))
}

/// The verdict of `definition` on each document, checking that the output loads.
fn verdicts(out: &AvroImport, definition: &str, documents: &[Value]) -> Vec<bool> {
    let source = &out.imported.source;
    let package = Package::load(
        PackageFiles {
            files: vec![("imported.cue".into(), source.clone())],
        },
        &NoImports,
    );
    assert!(
        package.diagnostics().is_empty(),
        "{:?}\n{source}",
        package.diagnostics()
    );
    let schema = package
        .schema(Some(definition))
        .unwrap_or_else(|e| panic!("{}\n{source}", e[0].message));
    documents
        .iter()
        .map(|d| schema.validate_json("data.json", &d.to_string()).is_valid())
        .collect()
}

fn check(out: &AvroImport, definition: &str, good: &[Value], bad: &[Value]) {
    let source = &out.imported.source;
    for (document, valid) in good.iter().zip(verdicts(out, definition, good)) {
        assert!(valid, "{document} should be valid:\n{source}");
    }
    for (document, valid) in bad.iter().zip(verdicts(out, definition, bad)) {
        assert!(!valid, "{document} should be invalid:\n{source}");
    }
}

const ORDER: &str = r#"{
  "type": "record",
  "name": "OrderPlaced",
  "namespace": "com.acme.orders",
  "doc": "A customer placed an order.",
  "fields": [
    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}, "doc": "The order's id."},
    {"name": "placedAt", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "placedAtMicros", "type": {"type": "long", "logicalType": "timestamp-micros"}, "default": 0},
    {"name": "day", "type": {"type": "int", "logicalType": "date"}},
    {"name": "at", "type": {"type": "int", "logicalType": "time-millis"}},
    {"name": "quantity", "type": "int"},
    {"name": "weight", "type": "double", "default": 1.5},
    {"name": "express", "type": "boolean", "default": false},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"], "default": "NEW"}},
    {"name": "next", "type": "Status", "default": "PAID"},
    {"name": "customer", "type": {"type": "record", "name": "Customer", "namespace": "com.acme.people", "fields": [
        {"name": "email", "type": "string"},
        {"name": "address", "type": ["null", {"type": "record", "name": "Address", "fields": [
            {"name": "city", "type": "string"}
        ]}], "default": null}
    ]}},
    {"name": "billing", "type": ["null", "com.acme.people.Address"], "default": null},
    {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
        {"name": "sku", "type": "string"},
        {"name": "count", "type": "long"}
    ]}}},
    {"name": "labels", "type": {"type": "map", "values": "string"}, "default": {}},
    {"name": "checksum", "type": {"type": "fixed", "name": "MD5", "size": 16}},
    {"name": "total", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
    {"name": "note", "type": ["null", "string", "long"], "default": null},
    {"name": "parent", "type": ["null", "OrderPlaced"], "default": null}
  ]
}"#;

fn good_order() -> Value {
    json!({
        "id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00",
        "placedAt": 1767322800000i64,
        "day": 20454,
        "at": 3600000,
        "quantity": 3,
        "status": "PAID",
        "customer": {"email": "a@example.com", "address": {"city": "Oslo"}},
        "lines": [{"sku": "A-1", "count": 2}],
        "checksum": "0123456789abcdef",
        "total": "\u{0}\u{1}",
        "note": "leave at the door"
    })
}

fn with(mut document: Value, key: &str, value: Value) -> Value {
    document[key] = value;
    document
}

fn without(mut document: Value, key: &str) -> Value {
    document.as_object_mut().expect("an object").remove(key);
    document
}

#[test]
fn every_construct_of_a_record_becomes_cue_that_judges_plain_json() {
    let out = imported(&[serde_json::from_str(ORDER).expect("json")]);
    let source = &out.imported.source;
    assert_eq!(out.roots, ["#OrderPlaced"]);
    for expected in [
        "package p",
        "\"uuid\"",
        "// A customer placed an order.\n// Avro com.acme.orders.OrderPlaced.\n#OrderPlaced: {",
        "// The order's id.\n\tid!: string & uuid.Valid",
        "placedAt!: int64",
        "// timestamp-millis: milliseconds since 1970-01-01T00:00:00, UTC.",
        "placedAtMicros?: *0 | int64",
        "day!: int32",
        "at!: int32 & >=0 & <86400000",
        "quantity!: int32",
        "weight?: *1.5 | float64",
        "express?: *false | bool",
        "status!: #Status",
        "next?: #Status & (*\"PAID\" | _)",
        "#Status: \"NEW\" | \"PAID\"",
        "address?: *null | #Address",
        "billing?: *null | #Address",
        "lines!: [...#Line]",
        "labels?: {\n\t\t[string]: string\n\t} & (*{} | _)",
        "checksum!: #MD5",
        "#MD5: string",
        "total!: string",
        "note?: *null | string | int64",
        "parent?: *null | #OrderPlaced",
        "// Avro com.acme.orders.OrderPlaced.",
    ] {
        assert!(
            source.contains(expected),
            "missing {expected:?} in\n{source}"
        );
    }
    let good = good_order();
    check(
        &out,
        "#OrderPlaced",
        &[
            good.clone(),
            with(good.clone(), "note", json!(12)),
            with(good.clone(), "note", Value::Null),
            with(good.clone(), "billing", json!({"city": "Bergen"})),
            with(good.clone(), "labels", json!({"a": "b"})),
            with(good.clone(), "parent", without(good.clone(), "parent")),
            with(good.clone(), "lines", json!([])),
            with(good.clone(), "quantity", json!(-2147483648i64)),
        ],
        &[
            // Required field missing; extra field in a closed record.
            without(good.clone(), "quantity"),
            with(good.clone(), "extra", json!(1)),
            // int is 32 bits, long 64; an int is not written with a fraction.
            with(good.clone(), "quantity", json!(2147483648i64)),
            with(good.clone(), "quantity", json!(1.5)),
            // Logical types: uuid, time-millis bounds.
            with(good.clone(), "id", json!("not-a-uuid")),
            with(good.clone(), "at", json!(86400000)),
            // Enums, unions, nested records, arrays and maps.
            with(good.clone(), "status", json!("LOST")),
            with(good.clone(), "note", json!(true)),
            with(good.clone(), "billing", json!({"town": "Bergen"})),
            with(good.clone(), "lines", json!([{"sku": "A-1"}])),
            with(good.clone(), "labels", json!({"a": 1})),
            // Avro's tagged union encoding is not what producers send as CloudEvent data.
            with(good.clone(), "note", json!({"string": "x"})),
            with(good.clone(), "parent", json!({"OrderPlaced": good.clone()})),
        ],
    );
}

#[test]
fn what_cue_cannot_state_is_a_warning_with_its_pointer_and_a_comment() {
    let out = imported(&[serde_json::from_str(ORDER).expect("json")]);
    let mut warnings: Vec<String> = out
        .imported
        .warnings
        .iter()
        .map(|w| w.to_string())
        .collect();
    warnings.sort();
    assert_eq!(warnings.len(), 2, "{warnings:#?}\n{}", out.imported.source);
    assert!(
        warnings[0].starts_with("s0.avsc#/fields/14/type/size: size: a fixed of 16 bytes"),
        "{warnings:#?}"
    );
    assert!(
        warnings[1].starts_with(
            "s0.avsc#/fields/15/type/logicalType: decimal: decimal(precision 9, scale 2)"
        ),
        "{warnings:#?}"
    );
    let source = &out.imported.source;
    assert!(
        source.contains("// size at s0.avsc#/fields/14/type/size is not enforced: "),
        "{source}"
    );
    assert!(
        source.contains("// decimal at s0.avsc#/fields/15/type/logicalType is not enforced: "),
        "{source}"
    );
}

#[test]
fn a_union_at_the_root_and_names_shared_across_files() {
    let common = json!({"type": "record", "name": "Money", "namespace": "com.acme.common",
        "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string", "default": "EUR"}]});
    // A later file names the type by its full name; a union at the root gets the fallback name.
    let payment = json!(["null", {"type": "record", "name": "Payment", "namespace": "com.acme.payments",
        "fields": [{"name": "amount", "type": "com.acme.common.Money"}]}]);
    let out = imported(&[common, payment]);
    assert_eq!(out.roots, ["#Money", "#Schema1"]);
    check(
        &out,
        "#Schema1",
        &[
            Value::Null,
            json!({"amount": {"cents": 5}}),
            json!({"amount": {"cents": 5, "currency": "NOK"}}),
        ],
        &[json!({"amount": {"cents": "5"}}), json!({}), json!(1)],
    );
}

#[test]
fn two_types_with_one_short_name_are_told_apart_by_their_full_names() {
    let schema = json!({"type": "record", "name": "Event", "namespace": "a", "fields": [
        {"name": "x", "type": {"type": "enum", "name": "Kind", "namespace": "a.one", "symbols": ["A"]}},
        {"name": "y", "type": {"type": "enum", "name": "Kind", "namespace": "a.two", "symbols": ["B"]}}
    ]});
    let out = imported(&[schema]);
    let source = &out.imported.source;
    assert!(source.contains("#a_one_Kind: \"A\""), "{source}");
    assert!(source.contains("#a_two_Kind: \"B\""), "{source}");
    check(
        &out,
        "#Event",
        &[json!({"x": "A", "y": "B"})],
        &[json!({"x": "B", "y": "B"})],
    );
}

#[test]
fn schemas_that_are_not_avro_are_errors_naming_the_place() {
    for (schema, pointer, message) in [
        (
            json!({"type": "record", "fields": []}),
            "s0.avsc#",
            "needs a string \"name\"",
        ),
        (
            json!({"type": "record", "name": "A"}),
            "s0.avsc#",
            "needs an array \"fields\"",
        ),
        (
            json!({"type": "record", "name": "A", "fields": [{"name": "x", "type": "Nope"}]}),
            "s0.avsc#/fields/0/type",
            "unknown type name \"Nope\"",
        ),
        (
            json!({"type": "enum", "name": "E", "symbols": [1]}),
            "s0.avsc#/symbols/0",
            "an enum symbol is a string",
        ),
        (
            json!({"type": "fixed", "name": "F"}),
            "s0.avsc#",
            "needs an integer \"size\"",
        ),
        (json!({"type": "array"}), "s0.avsc#", "needs \"items\""),
        (
            json!(["null", ["int"]]),
            "s0.avsc#/1",
            "may not hold a union",
        ),
        (json!(3), "s0.avsc#", "an Avro schema is a type name"),
        (
            json!({"type": "record", "name": "A", "fields": [{"name": "a", "type": {"type": "enum", "name": "A", "symbols": []}}]}),
            "s0.avsc#/fields/0/type",
            "defined twice",
        ),
    ] {
        let e = import(
            &[Schema {
                name: "s0.avsc".into(),
                document: &schema,
                definition: "Schema".into(),
            }],
            &Options::default(),
        )
        .err()
        .unwrap_or_else(|| panic!("{schema} should not import"));
        assert_eq!(e.pointer, pointer, "{schema}: {e}");
        assert!(e.message.contains(message), "{schema}: {e}");
    }
}
