//! End-to-end tests of `cuemesh import jsonschema`: the built binary on schema files in a
//! temporary directory, its output checked by `cuemesh vet` on documents.

mod common;
use common::{cuemesh, workspace};

const ORDER: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Order",
  "description": "An order placed by a customer.",
  "type": "object",
  "required": ["id", "placed", "customer"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string", "format": "uuid", "description": "The order id."},
    "placed": {"type": "string", "format": "date-time"},
    "status": {"enum": ["new", "paid"], "default": "new"},
    "qty": {"type": "integer", "minimum": 1, "maximum": 100},
    "tags": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": true, "maxItems": 3, "contains": {"pattern": "^t-"}},
    "customer": {"$ref": "customer.json"},
    "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}},
    "note": {"not": {"pattern": "^x"}},
    "labels": {"type": "object", "patternProperties": {"^l-": {"type": "string"}}, "additionalProperties": false}
  },
  "$defs": {
    "line": {
      "type": "object",
      "required": ["sku"],
      "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"}}
    }
  }
}"##;

const CUSTOMER: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["email"],
  "properties": {"email": {"type": "string"}, "ip": {"type": "string", "format": "ipv4"}}
}"##;

const GOOD: &str = r#"{
  "id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00",
  "placed": "2026-01-02T03:04:05Z",
  "status": "paid",
  "qty": 3,
  "tags": ["a", "b"],
  "note": "fine",
  "customer": {"email": "a@example.com", "ip": "10.0.0.1", "extra": true},
  "lines": [{"sku": "ABC-1"}],
  "labels": {"l-x": "y"}
}"#;

#[test]
fn a_schema_with_a_sibling_file_validates_like_the_schema() {
    let dir = workspace(&[
        ("order.json", ORDER),
        ("customer.json", CUSTOMER),
        ("good.json", GOOD),
    ]);
    let run = cuemesh(
        dir.path(),
        &[
            "import",
            "jsonschema",
            "order.json",
            "--package",
            "orders",
            "-o",
            "order.cue",
        ],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout, "");
    // The `contains` CUE cannot state is a warning naming keyword and pointer, and a comment.
    assert!(
        run.stderr
            .contains("warning: order.json#/properties/tags/contains: contains is not enforced: "),
        "{}",
        run.stderr
    );
    let cue = std::fs::read_to_string(dir.path().join("order.cue")).expect("order.cue written");
    for expected in [
        "package orders",
        "// An order placed by a customer.",
        "#Order: close({",
        "\t// The order id.\n\tid!: string & uuid.Valid\n",
        "placed!: string & time.Time",
        "status?: *\"new\" | \"paid\"",
        "qty?: int & >=1 & <=100",
        "customer!: #customer",
        "lines?: [...#line]",
        "// contains at #/properties/tags/contains is not enforced",
        "note?: string & !~\"^x\" | null | bool | number | [...] | {...}",
        "#line: {",
        "#customer: {",
        "ip?: string & net.IPv4",
    ] {
        assert!(cue.contains(expected), "missing {expected:?} in:\n{cue}");
    }
    let vet = |data: &str| {
        std::fs::write(dir.path().join("data.json"), data).expect("write data");
        cuemesh(
            dir.path(),
            &["vet", "-d", "#Order", "order.cue", "data.json"],
        )
    };
    let good = vet(GOOD);
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    let value: serde_json::Value = serde_json::from_str(GOOD).expect("GOOD is JSON");
    let bad_cases: Vec<(&str, serde_json::Value)> = vec![
        ("/id", "not-a-uuid".into()),
        ("/placed", "yesterday".into()),
        ("/qty", 0.into()),
        ("/qty", 101.into()),
        ("/status", "lost".into()),
        ("/tags", serde_json::json!(["a", "a"])),
        ("/tags", serde_json::json!(["a", "b", "c", "d"])),
        ("/tags", serde_json::json!([""])),
        ("/customer/ip", "10.0.0".into()),
        ("/lines", serde_json::json!([{"sku": "abc-1"}])),
        ("/labels", serde_json::json!({"x": "y"})),
        ("/unknown", true.into()),
        ("/note", "xyz".into()),
    ];
    for (pointer, replacement) in bad_cases {
        let mut bad = value.clone();
        let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
        bad.pointer_mut(parent).expect("parent exists")[key] = replacement.clone();
        let run = vet(&bad.to_string());
        assert_eq!(run.code, 1, "{pointer} = {replacement} was accepted");
    }
    let mut missing = value.clone();
    missing
        .as_object_mut()
        .expect("an object")
        .remove("customer");
    assert_eq!(
        vet(&missing.to_string()).code,
        1,
        "missing customer accepted"
    );
}

#[test]
fn the_definition_is_named_by_flag_title_or_default() {
    let dir = workspace(&[
        ("a.json", r#"{"type": "string"}"#),
        (
            "b.json",
            r#"{"title": "Shipment Event", "type": "integer"}"#,
        ),
    ]);
    let run = cuemesh(dir.path(), &["import", "jsonschema", "a.json"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "#Schema: string\n"),
        "{}",
        run.stderr
    );
    let run = cuemesh(
        dir.path(),
        &["import", "jsonschema", "a.json", "--definition", "Name"],
    );
    assert_eq!(run.stdout, "#Name: string\n");
    let run = cuemesh(dir.path(), &["import", "jsonschema", "b.json"]);
    assert!(
        run.stdout.contains("#Shipment_Event: int\n"),
        "{}",
        run.stdout
    );
    let run = cuemesh(dir.path(), &["import", "jsonschema", "a.json", "b.json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("#a: string\n"), "{}", run.stdout);
    assert!(
        run.stdout.contains("#Shipment_Event: int\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_input_is_an_error_naming_file_and_place() {
    let dir = workspace(&[
        ("broken.json", "{\n  \"type\": \"string\",\n}"),
        ("wrong.json", r#"{"properties": {"a": {"type": 5}}}"#),
        (
            "dangling.json",
            r##"{"properties": {"a": {"$ref": "#/$defs/nope"}}}"##,
        ),
        ("scalar.json", "3"),
    ]);
    let run = cuemesh(dir.path(), &["import", "jsonschema", "broken.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("broken.json:3:1: not JSON"),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["import", "jsonschema", "wrong.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("wrong.json#/properties/a/type: type must be one of"),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["import", "jsonschema", "dangling.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("dangling.json#/properties/a/$ref: cannot resolve $ref \"#/$defs/nope\""),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["import", "jsonschema", "scalar.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("an object or a boolean"),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["import", "jsonschema", "missing.json"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read missing.json"),
        "{}",
        run.stderr
    );
}

const PAYMENT_AVSC: &str = r#"{
  "type": "record", "name": "PaymentReceived", "namespace": "com.acme.payments",
  "doc": "A payment arrived.",
  "fields": [
    {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
    {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
    {"name": "method", "type": {"type": "enum", "name": "Method", "symbols": ["CARD", "TRANSFER"]}},
    {"name": "reference", "type": ["null", "string"], "default": null}
  ]
}"#;

#[test]
fn an_avro_schema_becomes_a_definition_that_judges_plain_json() {
    let dir = workspace(&[("payment.avsc", PAYMENT_AVSC)]);
    let run = cuemesh(
        dir.path(),
        &[
            "import",
            "avro",
            "payment.avsc",
            "--package",
            "payments",
            "-o",
            "payment.cue",
        ],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "warning: payment.avsc#/fields/2/type/logicalType: decimal is not enforced: "
        ),
        "{}",
        run.stderr
    );
    let cue = std::fs::read_to_string(dir.path().join("payment.cue")).expect("payment.cue written");
    assert!(cue.contains("package payments"), "{cue}");
    assert!(cue.contains("reference?: *null | string"), "{cue}");
    let vet = |data: &str| {
        std::fs::write(dir.path().join("data.json"), data).expect("write data");
        cuemesh(
            dir.path(),
            &["vet", "-d", "#PaymentReceived", "payment.cue", "data.json"],
        )
    };
    let good = r#"{"id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00", "at": 1767322800000, "amount": "AQ==", "method": "CARD", "reference": "inv-1"}"#;
    let run = vet(good);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for bad in [
        r#"{"id": "x", "at": 1, "amount": "", "method": "CARD"}"#,
        r#"{"id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00", "at": 1, "amount": "", "method": "CASH"}"#,
        r#"{"id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00", "at": 1, "amount": "", "method": "CARD", "reference": {"string": "inv-1"}}"#,
        r#"{"id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00", "amount": "", "method": "CARD"}"#,
    ] {
        assert_eq!(vet(bad).code, 1, "{bad} was accepted");
    }
}

#[test]
fn an_avro_file_that_is_not_a_schema_is_an_error_naming_file_and_pointer() {
    let dir = workspace(&[
        (
            "bad.avsc",
            r#"{"type": "record", "name": "A", "fields": [{"name": "x", "type": "Missing"}]}"#,
        ),
        ("broken.avsc", "{\n  \"type\": }"),
    ]);
    let run = cuemesh(dir.path(), &["import", "avro", "bad.avsc"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("bad.avsc#/fields/0/type: unknown type name \"Missing\""),
        "{}",
        run.stderr
    );
    let run = cuemesh(dir.path(), &["import", "avro", "broken.avsc"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("broken.avsc:2:11: not JSON"),
        "{}",
        run.stderr
    );
}
