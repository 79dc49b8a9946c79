//! End-to-end tests of `cuemesh export`: the built binary on fixture files in a temporary
//! directory.

mod common;
use common::{cuemesh, workspace, Run};

use std::path::Path;

const ORDER_SCHEMA: &str = "package orders

// A customer.
#Customer: {
\tname: string
}

// An order.
#Order: {
\t// The order id.
\tid:       =~\"^o\"
\tqty:      int & >0
\tcustomer: #Customer
\tstatus:   *\"new\" | \"paid\"
}

#Unrelated: string
";

fn document(run: &Run) -> serde_json::Value {
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("the document is JSON")
}

#[test]
fn openapi_prints_every_definition() {
    let dir = workspace(&[("schema.cue", ORDER_SCHEMA)]);
    let run = cuemesh(dir.path(), &["export", "schema.cue", "--out", "openapi"]);
    let doc = document(&run);
    assert_eq!(doc["openapi"], "3.0.0");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let names: Vec<&String> = schemas.keys().collect();
    assert_eq!(names, ["Customer", "Order", "Unrelated"]);
    let order = &schemas["Order"];
    assert_eq!(order["description"], "An order.");
    assert_eq!(
        order["properties"]["customer"],
        serde_json::json!({"$ref": "#/components/schemas/Customer"})
    );
    assert_eq!(
        order["properties"]["qty"],
        serde_json::json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})
    );
    // Pretty-printed, in declaration order.
    assert!(run.stdout.contains("\n  \"info\": {\n"), "{}", run.stdout);
    assert!(run.stdout.find("\"id\"") < run.stdout.find("\"qty\""));
}

#[test]
fn jsonschema_with_an_expression_roots_the_document_at_it() {
    let dir = workspace(&[("schema.cue", ORDER_SCHEMA)]);
    let run = cuemesh(
        dir.path(),
        &[
            "export",
            "schema.cue",
            "--out",
            "jsonschema",
            "-e",
            "#Order",
        ],
    );
    let doc = document(&run);
    assert_eq!(
        doc["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(doc["$ref"], "#/$defs/Order");
    let names: Vec<&String> = doc["$defs"].as_object().expect("defs").keys().collect();
    assert_eq!(names, ["Customer", "Order"]);
    assert_eq!(doc["$defs"]["Order"]["additionalProperties"], false);
    assert_eq!(
        doc["$defs"]["Order"]["required"],
        serde_json::json!(["id", "qty", "customer"])
    );
}

#[test]
fn a_directory_stands_for_its_package() {
    let dir = workspace(&[("schemas/orders.cue", ORDER_SCHEMA)]);
    let run = cuemesh(
        dir.path(),
        &["export", "schemas", "--out", "openapi", "-e", "#Customer"],
    );
    let doc = document(&run);
    let names: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
        .collect();
    assert_eq!(names, ["Customer"]);
}

#[test]
fn imports_resolve_from_the_module() {
    let dir = workspace(&[
        ("cue.mod/module.cue", "module: \"example.com\"\n"),
        (
            "common/common.cue",
            "package common\n\n#Money: {amount: number & >=0}\n",
        ),
        (
            "orders/orders.cue",
            "package orders\n\nimport \"example.com/common\"\n\n#Order: {total: common.#Money}\n",
        ),
    ]);
    let run = cuemesh(
        dir.path(),
        &["export", "orders/orders.cue", "--out", "jsonschema"],
    );
    let doc = document(&run);
    // A definition of another package is expanded in place.
    assert_eq!(
        doc["$defs"]["Order"]["properties"]["total"]["properties"]["amount"],
        serde_json::json!({"type": "number", "minimum": 0})
    );
}

#[test]
fn schema_errors_exit_one_with_cue_style_messages() {
    let dir = workspace(&[("schema.cue", "#A: {a: int & \"x\"}\n")]);
    let run = cuemesh(dir.path(), &["export", "schema.cue", "--out", "openapi"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("#A.a: conflicting values int and \"x\" (mismatched types int and string):\n    ./schema.cue:1:"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_syntax_error_exits_one() {
    let dir = workspace(&[("schema.cue", "#A: {\n")]);
    let run = cuemesh(dir.path(), &["export", "schema.cue", "--out", "jsonschema"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("./schema.cue:"), "{}", run.stderr);
}

#[test]
fn usage_and_io_errors_exit_two() {
    let dir = workspace(&[("schema.cue", ORDER_SCHEMA), ("data.json", "{}")]);
    let cases: &[&[&str]] = &[
        &["export", "schema.cue"],
        &["export", "schema.cue", "--out", "yaml"],
        &["export", "missing.cue", "--out", "openapi"],
        &["export", "data.json", "--out", "openapi"],
        &["export", "schema.cue", "--out", "openapi", "-e", "#Missing"],
        &["export", "schema.cue", "--out", "openapi", "-e", "Order"],
    ];
    for args in cases {
        let run = cuemesh(dir.path(), args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn the_readme_example_behaves_as_documented() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let run = cuemesh(
        &examples,
        &[
            "export",
            "identity.cue",
            "--out",
            "jsonschema",
            "-e",
            "#Identity",
        ],
    );
    let doc = document(&run);
    assert_eq!(
        doc["$defs"]["Identity"]["properties"]["first"],
        serde_json::json!({
            "description": "first name of the person",
            "type": "string",
            "pattern": "^[A-Z].*"
        })
    );
}

#[test]
fn constraints_the_schema_cannot_check_are_warnings() {
    let dir = workspace(&[(
        "schema.cue",
        "import \"strings\"\n\n#A: {\n\tname: strings.ContainsAny(\"x\")\n\tn:    int\n}\n",
    )]);
    for out in ["openapi", "jsonschema"] {
        let run = cuemesh(dir.path(), &["export", "schema.cue", "--out", out]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok());
        assert_eq!(
            run.stderr,
            "warning: #A.name: not checked by the exported schema: strings.ContainsAny(\"x\")\n",
            "{out}"
        );
    }
}
