//! End-to-end tests of `cuemesh import jsonschema`: the built binary on schema files in a
//! temporary directory, its output checked by `cuemesh vet` on documents.

mod common;
use common::{cuemesh, workspace, Daemon};

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

#[test]
fn a_yaml_schema_and_its_yaml_sibling_are_imported_like_json() {
    let dir = workspace(&[
        (
            "shipment.yaml",
            "title: Shipment\ntype: object\nrequired: [to, parcels]\nadditionalProperties: false\nproperties:\n  to: {$ref: 'address.yml'}\n  parcels: {type: integer, minimum: 1, maximum: 0x10}\n  fragile: {enum: [yes, no]}\n",
        ),
        (
            "address.yml",
            "type: object\nrequired: [city]\nproperties:\n  city: {type: string, minLength: 1}\n",
        ),
        ("broken.yaml", "type: object\nproperties: [1\n"),
    ]);
    let run = cuemesh(
        dir.path(),
        &[
            "import",
            "jsonschema",
            "shipment.yaml",
            "-o",
            "shipment.cue",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let vet = |data: &str| {
        std::fs::write(dir.path().join("data.json"), data).expect("write data");
        cuemesh(
            dir.path(),
            &["vet", "-d", "#Shipment", "shipment.cue", "data.json"],
        )
        .code
    };
    // YAML 1.2 scalars, as CUE reads them: `0x10` is 16, `yes` and `no` are strings.
    assert_eq!(
        vet(r#"{"to": {"city": "Oslo"}, "parcels": 16, "fragile": "no"}"#),
        0
    );
    for bad in [
        r#"{"to": {"city": "Oslo"}, "parcels": 17}"#,
        r#"{"to": {"city": ""}, "parcels": 1}"#,
        r#"{"to": {"city": "Oslo"}, "parcels": 1, "fragile": false}"#,
        r#"{"parcels": 1}"#,
    ] {
        assert_eq!(vet(bad), 1, "{bad} was accepted");
    }
    let run = cuemesh(dir.path(), &["import", "jsonschema", "broken.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("broken.yaml:3:1: not YAML data: "),
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

/// A Confluent-compatible schema registry, written from Confluent's published REST API
/// description: `GET /subjects`, `/subjects/{subject}/versions`,
/// `/subjects/{subject}/versions/{version}` and `/config/{subject}`, errors as
/// `{"error_code", "message"}`. Subjects are added while it runs.
mod confluent {
    use axum::extract::{Path, State};
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::{json, Value};
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    /// `subject -> [(schemaType, schema text)]`, version n at index n - 1; and per-subject
    /// compatibility levels.
    #[derive(Default)]
    pub(crate) struct Subjects {
        pub(crate) versions: BTreeMap<String, Vec<(&'static str, String)>>,
        pub(crate) config: BTreeMap<String, &'static str>,
        /// `references` of a subject's version, by `(subject, version)`.
        pub(crate) references: BTreeMap<(String, usize), Value>,
        /// The `Authorization` header of the last `GET /subjects`.
        pub(crate) authorization: Option<String>,
    }

    pub(crate) type Shared = Arc<Mutex<Subjects>>;

    fn error(status: StatusCode, code: u32, message: &str) -> Response {
        (
            status,
            Json(json!({"error_code": code, "message": message})),
        )
            .into_response()
    }

    async fn subjects(State(state): State<Shared>, headers: axum::http::HeaderMap) -> Response {
        let mut state = state.lock().expect("lock");
        state.authorization = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Json(state.versions.keys().cloned().collect::<Vec<_>>()).into_response()
    }

    async fn versions(State(state): State<Shared>, Path(subject): Path<String>) -> Response {
        let state = state.lock().expect("lock");
        match state.versions.get(&subject) {
            Some(v) => Json((1..=v.len() as u32).collect::<Vec<_>>()).into_response(),
            None => error(StatusCode::NOT_FOUND, 40401, "Subject not found."),
        }
    }

    async fn version(
        State(state): State<Shared>,
        Path((subject, version)): Path<(String, String)>,
    ) -> Response {
        let state = state.lock().expect("lock");
        let Some(all) = state.versions.get(&subject) else {
            return error(StatusCode::NOT_FOUND, 40401, "Subject not found.");
        };
        let number = match version.as_str() {
            "latest" | "-1" => all.len(),
            n => match n.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => return error(StatusCode::UNPROCESSABLE_ENTITY, 42202, "Invalid version"),
            },
        };
        let Some((schema_type, schema)) = all.get(number - 1) else {
            return error(StatusCode::NOT_FOUND, 40402, "Version not found.");
        };
        // Ids: distinct per subject version, as a registry's global ids are.
        let id = state
            .versions
            .range(..subject.clone())
            .map(|(_, v)| v.len())
            .sum::<usize>()
            + number;
        let mut body = json!({"subject": subject, "version": number, "id": id, "schema": schema});
        // Confluent leaves `schemaType` out for AVRO.
        if *schema_type != "AVRO" {
            body["schemaType"] = Value::from(*schema_type);
        }
        if let Some(references) = state.references.get(&(subject.clone(), number)) {
            body["references"] = references.clone();
        }
        Json(body).into_response()
    }

    async fn config(State(state): State<Shared>, Path(subject): Path<String>) -> Response {
        let state = state.lock().expect("lock");
        match state.config.get(&subject) {
            Some(level) => Json(json!({"compatibilityLevel": level})).into_response(),
            None => error(
                StatusCode::NOT_FOUND,
                40408,
                "Subject does not have subject-level compatibility configured",
            ),
        }
    }

    /// Serves `state` on a free loopback port from a thread of its own; the address.
    pub(crate) fn start(state: Shared) -> String {
        let app = Router::new()
            .route("/subjects", get(subjects))
            .route("/subjects/{subject}/versions", get(versions))
            .route("/subjects/{subject}/versions/{version}", get(version))
            .route("/config/{subject}", get(config))
            .with_state(state);
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind");
                sender
                    .send(listener.local_addr().expect("address").to_string())
                    .expect("send the address");
                axum::serve(listener, app).await.expect("serve");
            });
        });
        receiver.recv().expect("the server's address")
    }
}

/// A governance repository from `cuemesh init` (without its example sources unless
/// `examples`), committed on `main`.
fn governance_repository(examples: bool) -> (tempfile::TempDir, git2::Repository) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let run = cuemesh(dir.path(), &["init", "repo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let root = dir.path().join("repo");
    if !examples {
        std::fs::remove_dir_all(root.join("sources")).expect("remove the examples");
        std::fs::create_dir(root.join("sources")).expect("sources/");
        std::fs::write(root.join("sources/README.md"), "Sources.\n").expect("write");
    }
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let git = git2::Repository::init_opts(&root, &options).expect("git init");
    let mut index = git.index().expect("index");
    index
        .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
        .expect("add");
    index.write().expect("write index");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let signature = git2::Signature::now("Ada", "ada@example.com").expect("signature");
    git.commit(Some("HEAD"), &signature, &signature, "Start", &tree, &[])
        .expect("commit");
    drop(tree);
    (dir, git)
}

/// `(source, type) -> [version numbers]` from `cuemesh versions --format json`.
fn cuemesh_versions(
    repository: &std::path::Path,
) -> std::collections::BTreeMap<(String, String), Vec<u64>> {
    let run = cuemesh(repository, &["--format", "json", "versions", "--repo", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    document["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            (
                (
                    event["source"].as_str().expect("source").to_string(),
                    event["type"].as_str().expect("type").to_string(),
                ),
                event["versions"]
                    .as_array()
                    .expect("versions")
                    .iter()
                    .map(|v| v["version"].as_u64().expect("number"))
                    .collect(),
            )
        })
        .collect()
}

fn avro_order(extra_fields: &str) -> String {
    format!(
        r#"{{"type": "record", "name": "OrderPlaced", "namespace": "com.acme", "doc": "An order was placed.",
  "fields": [
    {{"name": "id", "type": {{"type": "string", "logicalType": "uuid"}}}},
    {{"name": "total", "type": {{"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}}}},
    {{"name": "address", "type": ["null", {{"type": "record", "name": "Address", "fields": [{{"name": "city", "type": "string"}}]}}], "default": null}}{extra_fields}
  ]}}"#
    )
}

fn json_payment(required: &str) -> String {
    format!(
        r#"{{"$schema": "http://json-schema.org/draft-07/schema#", "title": "Payment", "type": "object",
  "required": [{required}], "additionalProperties": false,
  "properties": {{"amount": {{"type": "integer", "minimum": 0}}, "currency": {{"type": "string", "pattern": "^[A-Z]{{3}}$"}}, "note": {{"type": "string"}}}}}}"#
    )
}

#[test]
fn a_confluent_registry_is_imported_with_its_version_numbers_and_again_only_what_is_new() {
    let state: confluent::Shared = Default::default();
    {
        let mut s = state.lock().expect("lock");
        s.versions.insert(
            "orders.placed-value".into(),
            vec![
                ("AVRO", avro_order("")),
                ("AVRO", avro_order(r#", {"name": "express", "type": "boolean", "default": false}"#)),
                ("AVRO", avro_order(r#", {"name": "express", "type": "boolean", "default": false}, {"name": "note", "type": ["null", "string"], "default": null}"#)),
            ],
        );
        s.versions.insert(
            "orders.placed-key".into(),
            vec![("AVRO", r#""string""#.into())],
        );
        s.versions.insert(
            "payments.received-value".into(),
            vec![
                ("JSON", json_payment(r#""amount""#)),
                ("JSON", json_payment(r#""amount", "currency""#)),
            ],
        );
        s.versions.insert(
            "inventory-value".into(),
            vec![(
                "PROTOBUF",
                "syntax = \"proto3\"; message Stock { int32 count = 1; }".into(),
            )],
        );
        // Two versions that differ only in documentation, which makes no cuemesh version.
        s.versions.insert(
            "notes-value".into(),
            vec![
                ("AVRO", r#"{"type": "record", "name": "Note", "fields": [{"name": "text", "type": "string"}]}"#.into()),
                ("AVRO", r#"{"type": "record", "name": "Note", "doc": "A note.", "fields": [{"name": "text", "type": "string"}]}"#.into()),
            ],
        );
        s.config.insert("orders.placed-value".into(), "FULL");
        // Schema references to other subjects, Avro (by type name) and JSON (by $ref URL).
        s.versions.insert(
            "com.acme.Address".into(),
            vec![("AVRO", r#"{"type": "record", "name": "Address", "namespace": "com.acme", "fields": [{"name": "city", "type": "string"}]}"#.into())],
        );
        s.versions.insert(
            "shipments.sent-value".into(),
            vec![("AVRO", r#"{"type": "record", "name": "Shipment", "namespace": "com.acme", "fields": [{"name": "to", "type": "Address"}]}"#.into())],
        );
        s.references.insert(
            ("shipments.sent-value".into(), 1),
            serde_json::json!([{"name": "com.acme.Address", "subject": "com.acme.Address", "version": 1}]),
        );
        s.versions.insert(
            "money".into(),
            vec![("JSON", r#"{"type": "object", "required": ["cents"], "properties": {"cents": {"type": "integer"}}}"#.into())],
        );
        s.versions.insert(
            "refunds.issued-value".into(),
            vec![("JSON", r#"{"title": "Refund", "type": "object", "required": ["amount"], "properties": {"amount": {"$ref": "money.json"}}}"#.into())],
        );
        s.references.insert(
            ("refunds.issued-value".into(), 1),
            serde_json::json!([{"name": "money.json", "subject": "money", "version": 1}]),
        );
    }
    let address = confluent::start(state.clone());
    let (dir, git) = governance_repository(false);
    let root = dir.path().join("repo");
    let url = format!("http://{address}");
    let run = cuemesh(&root, &["import", "registry", "--url", &url, "--repo", "."]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let table = run.stdout.clone();
    let row = |subject: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{subject} ")))
            .unwrap_or_else(|| panic!("no row for {subject} in\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(table.starts_with("SUBJECT"), "{table}");
    assert_eq!(
        row("orders.placed-value"),
        "orders.placed-value 1-3 (imported 1-3) orders orders.placed 1 not enforced (see above)"
    );
    assert_eq!(
        row("payments.received-value"),
        "payments.received-value 1-2 (imported 1-2) payments payments.received"
    );
    assert!(
        row("orders.placed-key").contains("skipped: a key schema"),
        "{table}"
    );
    assert!(
        row("inventory-value").contains("skipped: a PROTOBUF schema"),
        "{table}"
    );
    assert!(
        run.stderr.contains("warning: orders.placed-value/versions/1#/fields/1/type/logicalType: decimal is not enforced: "),
        "{}",
        run.stderr
    );

    // cuemesh's version n is the registry's version n.
    let versions = cuemesh_versions(&root);
    assert_eq!(
        versions[&("orders".into(), "orders.placed".into())],
        [1, 2, 3]
    );
    assert_eq!(
        versions[&("payments".into(), "payments.received".into())],
        [1, 2]
    );
    assert_eq!(
        versions[&("shipments".into(), "shipments.sent".into())],
        [1]
    );
    assert_eq!(versions[&("refunds".into(), "refunds.issued".into())], [1]);
    let source =
        std::fs::read_to_string(root.join("sources/orders/source.cue")).expect("source.cue");
    assert!(
        source.contains("\"orders.placed\": #OrdersPlaced.#OrderPlaced @compat(FULL)"),
        "{source}"
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("registry-import.json")).expect("the record"),
    )
    .expect("JSON");
    assert_eq!(
        record["subjects"]["orders.placed-value"]["versions"],
        serde_json::json!([1, 2, 3])
    );

    // The imported CUE judges payloads as the registry's schemas do.
    let vet = |definition: &str, directory: &str, data: &str| {
        std::fs::write(root.join("data.json"), data).expect("write data");
        let run = cuemesh(&root, &["vet", "-d", definition, directory, "data.json"]);
        std::fs::remove_file(root.join("data.json")).expect("remove data");
        run.code
    };
    let order = "#OrdersPlaced.#OrderPlaced";
    assert_eq!(
        vet(
            order,
            "sources/orders",
            r#"{"id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00", "total": "AQ==", "address": {"city": "Oslo"}, "note": "x"}"#
        ),
        0
    );
    assert_eq!(
        vet(
            order,
            "sources/orders",
            r#"{"id": "nope", "total": "AQ=="}"#
        ),
        1
    );
    assert_eq!(
        vet(
            order,
            "sources/orders",
            r#"{"id": "2c9f6e46-3b2a-4f2a-9a1f-1c6d2a7b1e00", "total": "AQ==", "note": {"string": "x"}}"#
        ),
        1
    );
    assert_eq!(
        vet(
            "#ShipmentsSent.#Shipment",
            "sources/shipments",
            r#"{"to": {"city": "Oslo"}}"#
        ),
        0
    );
    assert_eq!(
        vet(
            "#ShipmentsSent.#Shipment",
            "sources/shipments",
            r#"{"to": {"town": "Oslo"}}"#
        ),
        1
    );
    assert_eq!(
        vet(
            "#RefundsIssued.#Refund",
            "sources/refunds",
            r#"{"amount": {"cents": 5}}"#
        ),
        0
    );
    assert_eq!(
        vet(
            "#RefundsIssued.#Refund",
            "sources/refunds",
            r#"{"amount": {"cents": "5"}}"#
        ),
        1
    );
    let payment = "#PaymentsReceived.#Payment";
    assert_eq!(
        vet(
            payment,
            "sources/payments",
            r#"{"amount": 5, "currency": "EUR"}"#
        ),
        0
    );
    assert_eq!(vet(payment, "sources/payments", r#"{"amount": 5}"#), 1);

    // A second run imports nothing; after a new version, only that one.
    let commits = |git: &git2::Repository| {
        let mut walk = git.revwalk().expect("revwalk");
        walk.push_head().expect("head");
        walk.count()
    };
    let before = commits(&git);
    let run = cuemesh(&root, &["import", "registry", "--url", &url, "--repo", "."]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(commits(&git), before, "{}", run.stdout);
    assert!(
        run.stdout.contains("orders.placed-value      1-3  "),
        "{}",
        run.stdout
    );
    state
        .lock()
        .expect("lock")
        .versions
        .get_mut("payments.received-value")
        .expect("subject")
        .push(("JSON", json_payment(r#""amount", "currency", "note""#)));
    // User and password in the URL are sent as Basic authentication.
    let with_password = url.replacen("http://", "http://key:s%40cret@", 1);
    let run = cuemesh(
        &root,
        &[
            "import",
            "registry",
            "--url",
            &with_password,
            "--repo",
            ".",
            "--subjects",
            "payments\\..*",
        ],
    );
    assert_eq!(
        state.lock().expect("lock").authorization.as_deref(),
        Some("Basic a2V5OnNAY3JldA==")
    );
    for written in ["registry-import.json", "sources/payments/source.cue"] {
        let text = std::fs::read_to_string(root.join(written)).expect("written");
        assert!(
            !text.contains("cret"),
            "the password is in {written}:\n{text}"
        );
    }
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(commits(&git), before + 1);
    assert!(run.stdout.contains("1-3 (imported 3)"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("orders.placed-value"),
        "{}",
        run.stdout
    );
    let versions = cuemesh_versions(&root);
    assert_eq!(
        versions[&("payments".into(), "payments.received".into())],
        [1, 2, 3]
    );
}

#[test]
fn cuemesh_serve_is_a_registry_to_import_from_with_a_source_map() {
    // The template's repository with a second version of one event type, served by cuemesh.
    let (dir, git) = governance_repository(true);
    let original = dir.path().join("repo");
    let orders = original.join("sources/orders/orders.cue");
    let text = std::fs::read_to_string(&orders).expect("orders.cue");
    std::fs::write(
        &orders,
        text.replace(
            "\t// How many units were ordered.\n",
            "\t// A note for the warehouse.\n\tnote?: string\n\t// How many units were ordered.\n",
        ),
    )
    .expect("write");
    let mut index = git.index().expect("index");
    index
        .add_path(std::path::Path::new("sources/orders/orders.cue"))
        .expect("add");
    index.write().expect("write");
    let tree = git
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let head = git.head().expect("head").peel_to_commit().expect("commit");
    let signature = git2::Signature::now("Ada", "ada@example.com").expect("signature");
    git.commit(
        Some("HEAD"),
        &signature,
        &signature,
        "Orders: a note",
        &tree,
        &[&head],
    )
    .expect("commit");
    let served = cuemesh_versions(&original);
    assert_eq!(
        served[&("com.acme.orders".into(), "com.acme.orders.placed".into())],
        [1, 2]
    );

    let (_server, address) = Daemon::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--repo",
        &original.display().to_string(),
    ]);
    // The subjects of cuemesh's read API are `<source>-<type>`: the map gives them back.
    let (target_dir, _target) = governance_repository(false);
    let target = target_dir.path().join("repo");
    let mut subjects = serde_json::Map::new();
    for (source, event_type) in served.keys() {
        let subject = format!(
            "{}-{}",
            source.replace('-', "%2D"),
            event_type.replace('-', "%2D")
        );
        subjects.insert(
            subject,
            serde_json::json!({"source": format!("imported.{source}"), "type": event_type}),
        );
    }
    let map = serde_json::json!({"owner": "@acme/platform", "subjects": subjects});
    std::fs::write(target_dir.path().join("map.json"), map.to_string()).expect("write map");
    let run = cuemesh(
        &target,
        &[
            "import",
            "registry",
            "--url",
            &format!("http://{address}"),
            "--repo",
            ".",
            "--source-map",
            "../map.json",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Each new source is given to its owner in CODEOWNERS, which lint checks.
    let codeowners = std::fs::read_to_string(target.join("CODEOWNERS")).expect("CODEOWNERS");
    assert!(
        codeowners.contains("/sources/imported_com_acme_orders/  @acme/platform\n"),
        "{codeowners}"
    );
    let lint = cuemesh(&target, &["lint"]);
    let findings = format!("{}{}", lint.stdout, lint.stderr);
    assert!(
        findings.contains("FIELD_DOC_MISSING"),
        "lint ran: {findings}"
    );
    assert!(
        !findings.contains("CODEOWNERS_OWNER") && !findings.contains("OWNER_FORMAT"),
        "{findings}"
    );
    let imported = cuemesh_versions(&target);
    for ((source, event_type), numbers) in &served {
        assert_eq!(
            imported.get(&(format!("imported.{source}"), event_type.clone())),
            Some(numbers),
            "{source} {event_type}: {}",
            run.stdout
        );
    }
}

/// Lists every subject and its versions with Confluent's own Python client
/// (`confluent_kafka.schema_registry.SchemaRegistryClient`), and reads each latest schema.
const CONFLUENT_CLIENT: &str = r#"
import json, sys
from confluent_kafka.schema_registry import SchemaRegistryClient
client = SchemaRegistryClient({"url": sys.argv[1]})
out = {}
for subject in client.get_subjects():
    versions = client.get_versions(subject)
    latest = client.get_latest_version(subject)
    out[subject] = {"versions": versions, "latest": latest.version, "type": latest.schema.schema_type}
print(json.dumps(out))
"#;

/// The repository an import made, served by `cuemesh serve`, read by Confluent's Python client:
/// the same subjects (the registry's names, and cuemesh's `<source>-<type>` form of each) with
/// the same version numbers.
/// The Python is `CUEMESH_CONFLUENT_PYTHON`, else `python3`; without its `confluent_kafka`
/// (`pip install 'confluent-kafka[schemaregistry]'`) the test is skipped with a note, unless
/// `CUEMESH_REQUIRE_CONFLUENT_CLIENT=1` (as `.ci/run` sets after installing it).
#[test]
fn confluents_python_client_reads_the_imported_versions_from_cuemesh_serve() {
    let python = std::env::var_os("CUEMESH_CONFLUENT_PYTHON").unwrap_or_else(|| "python3".into());
    let available = std::process::Command::new(&python)
        .args(["-c", "import confluent_kafka.schema_registry"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("CUEMESH_REQUIRE_CONFLUENT_CLIENT").is_none(),
            "python3 with confluent_kafka.schema_registry is required"
        );
        println!("skipped: no python3 with confluent_kafka.schema_registry");
        return;
    }
    let state: confluent::Shared = Default::default();
    {
        let mut s = state.lock().expect("lock");
        s.versions.insert(
            "orders.placed-value".into(),
            vec![
                ("AVRO", avro_order("")),
                ("AVRO", avro_order(r#", {"name": "express", "type": "boolean", "default": false}"#)),
                ("AVRO", avro_order(r#", {"name": "express", "type": "boolean", "default": false}, {"name": "note", "type": ["null", "string"], "default": null}"#)),
            ],
        );
        s.versions.insert(
            "payments.received-value".into(),
            vec![
                ("JSON", json_payment(r#""amount""#)),
                ("JSON", json_payment(r#""amount", "currency""#)),
            ],
        );
    }
    let address = confluent::start(state);
    let (dir, _git) = governance_repository(false);
    let root = dir.path().join("repo");
    let run = cuemesh(
        &root,
        &[
            "import",
            "registry",
            "--url",
            &format!("http://{address}"),
            "--repo",
            ".",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let (_server, served) = Daemon::start(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--repo",
        &root.display().to_string(),
    ]);
    let output = std::process::Command::new(&python)
        .args(["-c", CONFLUENT_CLIENT, &format!("http://{served}")])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        read,
        serde_json::json!({
            "orders-orders.placed": {"versions": [1, 2, 3], "latest": 3, "type": "JSON"},
            "orders.placed-value": {"versions": [1, 2, 3], "latest": 3, "type": "JSON"},
            "payments-payments.received": {"versions": [1, 2], "latest": 2, "type": "JSON"},
            "payments.received-value": {"versions": [1, 2], "latest": 2, "type": "JSON"},
        })
    );
}

/// Serves `files` (`/name` answers the text) on a free loopback port from a thread of its own.
fn static_server(files: &'static [(&'static str, &'static str)]) -> String {
    use axum::extract::Path;
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/schemas/{name}",
            get(move |Path(name): Path<String>| async move {
                match files.iter().find(|(n, _)| *n == name) {
                    Some((_, text)) => (StatusCode::OK, text.to_string()),
                    None => (StatusCode::NOT_FOUND, "no such schema".to_string()),
                }
            }),
        )
        // The same files as YAML by their `Content-Type`, whatever their names.
        .route(
            "/typed/{name}",
            get(move |Path(name): Path<String>| async move {
                match files.iter().find(|(n, _)| *n == name) {
                    Some((_, text)) => (
                        StatusCode::OK,
                        [(axum::http::header::CONTENT_TYPE, "application/yaml")],
                        text.to_string(),
                    ),
                    None => (
                        StatusCode::NOT_FOUND,
                        [(axum::http::header::CONTENT_TYPE, "text/plain")],
                        "no such schema".to_string(),
                    ),
                }
            }),
        );
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            sender
                .send(listener.local_addr().expect("address").to_string())
                .expect("send the address");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    receiver.recv().expect("the server's address")
}

#[test]
fn a_schema_at_a_url_is_imported_with_the_sibling_urls_it_refers_to() {
    const FILES: &[(&str, &str)] = &[("order.json", ORDER), ("customer.json", CUSTOMER)];
    let address = static_server(FILES);
    let dir = workspace(&[("good.json", GOOD)]);
    let url = format!("http://{address}/schemas/order.json");
    let run = cuemesh(
        dir.path(),
        &[
            "import",
            "jsonschema",
            &url,
            "--package",
            "orders",
            "-o",
            "order.cue",
        ],
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let cue = std::fs::read_to_string(dir.path().join("order.cue")).expect("order.cue written");
    assert!(cue.contains("#Order: close({"), "{cue}");
    assert!(cue.contains("ip?: string & net.IPv4"), "{cue}");
    let vet = cuemesh(
        dir.path(),
        &["vet", "-d", "#Order", "order.cue", "good.json"],
    );
    assert_eq!(vet.code, 0, "{}{}", vet.stdout, vet.stderr);
    let missing = format!("http://{address}/schemas/missing.json");
    let run = cuemesh(dir.path(), &["import", "jsonschema", &missing]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&format!("GET {missing}: 404 Not Found: no such schema")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_yaml_schema_at_a_url_is_read_by_its_extension_or_its_content_type() {
    const FILES: &[(&str, &str)] = &[
        (
            "shipment.yaml",
            "title: Shipment\ntype: object\nrequired: [to, parcels]\nadditionalProperties: false\nproperties:\n  to: {$ref: 'address.yml'}\n  parcels: {type: integer, minimum: 1, maximum: 0x10}\n",
        ),
        (
            "address.yml",
            "type: object\nrequired: [city]\nproperties:\n  city: {type: string, minLength: 1}\n",
        ),
        ("shipment", "title: Shipment\ntype: object\nrequired: [parcels]\nproperties:\n  parcels: {type: integer, maximum: 0x10}\n"),
        ("broken.yaml", "type: object\nproperties: [1\n"),
    ];
    let address = static_server(FILES);
    let dir = workspace(&[]);
    let vet = |data: &str| {
        std::fs::write(dir.path().join("data.json"), data).expect("write data");
        cuemesh(
            dir.path(),
            &["vet", "-d", "#Shipment", "shipment.cue", "data.json"],
        )
        .code
    };
    let import = |url: String| {
        cuemesh(
            dir.path(),
            &["import", "jsonschema", &url, "-o", "shipment.cue"],
        )
    };
    let run = import(format!("http://{address}/schemas/shipment.yaml"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(vet(r#"{"to": {"city": "Oslo"}, "parcels": 16}"#), 0);
    assert_eq!(vet(r#"{"to": {"city": ""}, "parcels": 16}"#), 1);
    assert_eq!(vet(r#"{"to": {"city": "Oslo"}, "parcels": 17}"#), 1);
    // No extension: the `Content-Type` says YAML.
    let run = import(format!("http://{address}/typed/shipment"));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(vet(r#"{"parcels": 16}"#), 0);
    assert_eq!(vet(r#"{"parcels": 17}"#), 1);
    // Without either, the body must be JSON.
    let plain = format!("http://{address}/schemas/shipment");
    let run = import(plain.clone());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!("{plain}:1:2: not JSON: ")),
        "{}",
        run.stderr
    );
    let broken = format!("http://{address}/schemas/broken.yaml");
    let run = import(broken.clone());
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&format!("{broken}:3:1: not YAML data: ")),
        "{}",
        run.stderr
    );
}
