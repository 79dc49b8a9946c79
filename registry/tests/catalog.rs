//! The whole catalog as OpenAPI 3.0 and AsyncAPI 3.0 documents, over the service fixture's real
//! Git repository (three versions of `MySource:newPerson`, two of `Orders.placed`).

mod support;

use axum::http::StatusCode;
use cuemesh_registry::serve::{component_name, name_part};
use serde_json::Value;
use support::service::{assert_error, assert_refs_resolve, get, repository, state_of, ORDERS};

const IDENTITY_SCHEMA: &str = "MySource.MySource_3AnewPerson";
const ORDERS_SCHEMA: &str = "Orders.Orders_2Eplaced";

fn schemas(document: &Value) -> &serde_json::Map<String, Value> {
    document["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
}

/// The schema an alias component points to.
fn target<'d>(document: &'d Value, name: &str) -> &'d Value {
    let reference = schemas(document)[name]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} is not an alias"));
    document
        .pointer(reference.strip_prefix('#').expect("local"))
        .unwrap_or_else(|| panic!("{reference} does not resolve"))
}

#[test]
fn component_names_are_safe_and_never_collide() {
    let safe = regex::Regex::new(r"^[a-zA-Z0-9.\-_]+$").expect("regex");
    let pairs = [
        ("a.b", "c"),
        ("a", "b.c"),
        ("a_2Eb", "c"),
        ("a_", "2Eb.c"),
        ("café", "x y"),
        ("", "x"),
        ("MySource", "MySource:newPerson"),
    ];
    let names: Vec<String> = pairs
        .iter()
        .map(|(source, event_type)| component_name(source, event_type))
        .collect();
    for name in &names {
        assert!(safe.is_match(name), "{name}");
        assert_eq!(name.matches('.').count(), 1, "{name}");
    }
    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), names.len(), "{names:?}");
    assert_eq!(name_part("Orders.placed"), "Orders_2Eplaced");
    assert_eq!(name_part("a-b_c"), "a-b_5Fc");
}

#[tokio::test]
async fn the_catalog_openapi_document_holds_every_latest_version() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, "/v1/catalog/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let document = &answer.body;
    let parsed: openapiv3::OpenAPI =
        serde_json::from_value(document.clone()).expect("an OpenAPI 3.0 document");
    assert_eq!(parsed.openapi, "3.0.0");
    assert_refs_resolve(document);

    let names: Vec<&String> = schemas(document).keys().collect();
    assert_eq!(
        names,
        [
            IDENTITY_SCHEMA,
            "MySource.MySource_3AnewPerson.Identity",
            ORDERS_SCHEMA,
            "Orders.Orders_2Eplaced.Order",
        ],
        "only the latest versions, each definition under its event"
    );
    // Latest is version 3 of the identity: `last` required, `age` optional.
    let identity = target(document, IDENTITY_SCHEMA);
    assert!(identity["properties"]["age"].is_object(), "{identity}");
    assert!(identity["required"]
        .as_array()
        .expect("required")
        .contains(&Value::from("last")));
    // The schema is the version's own OpenAPI export, unchanged.
    let version = get(&state, &format!("{ORDERS}/versions/2/openapi")).await;
    assert_eq!(
        target(document, ORDERS_SCHEMA),
        &version.body["components"]["schemas"]["Order"]
    );

    let events: Vec<(String, String, u64, bool)> = document["x-cuemesh-events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            (
                event["type"].as_str().expect("type").to_string(),
                event["schema"].as_str().expect("schema").to_string(),
                event["version"].as_u64().expect("version"),
                event["latest"].as_bool().expect("latest"),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (
                "MySource:newPerson".to_string(),
                IDENTITY_SCHEMA.to_string(),
                3,
                true
            ),
            (
                "Orders.placed".to_string(),
                ORDERS_SCHEMA.to_string(),
                2,
                true
            ),
        ]
    );
}

#[tokio::test]
async fn the_catalog_with_every_version_numbers_them_apart() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, "/v1/catalog/openapi.json?versions=all").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let document = &answer.body;
    serde_json::from_value::<openapiv3::OpenAPI>(document.clone()).expect("OpenAPI 3.0");
    assert_refs_resolve(document);
    for number in 1..=3 {
        let name = format!("{IDENTITY_SCHEMA}.{number}");
        assert!(
            schemas(document).contains_key(&format!("{name}.Identity")),
            "{name}"
        );
    }
    let first = target(document, &format!("{IDENTITY_SCHEMA}.1"));
    assert!(first["properties"].get("last").is_none(), "{first}");
    let second = target(document, &format!("{IDENTITY_SCHEMA}.2"));
    assert!(second["properties"]["last"].is_object(), "{second}");
    // The unnumbered name is the latest version.
    assert_eq!(
        target(document, IDENTITY_SCHEMA),
        target(document, &format!("{IDENTITY_SCHEMA}.3"))
    );
    assert_eq!(
        document["x-cuemesh-events"]
            .as_array()
            .expect("events")
            .len(),
        5
    );

    assert_error(
        &get(&state, "/v1/catalog/openapi.json?versions=some").await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    );
}

#[tokio::test]
async fn the_asyncapi_document_has_a_channel_message_and_operation_per_event() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, "/v1/catalog/asyncapi.json").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let document = &answer.body;
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "cuemesh events");
    assert!(document["info"]["version"].is_string());
    assert_refs_resolve(document);

    let channels = document["channels"].as_object().expect("channels");
    let addresses: Vec<(&str, &str)> = channels
        .iter()
        .map(|(name, channel)| {
            (
                name.as_str(),
                channel["address"].as_str().expect("an address"),
            )
        })
        .collect();
    // The publisher's subjects: `events.<source>.<type>`, each name one NATS token.
    assert_eq!(
        addresses,
        [
            (IDENTITY_SCHEMA, "events.MySource.MySource%3AnewPerson"),
            (ORDERS_SCHEMA, "events.Orders.Orders%2Eplaced"),
        ]
    );
    assert_eq!(
        channels[ORDERS_SCHEMA]["description"],
        "Orders placed in the shop."
    );

    let operations = document["operations"].as_object().expect("operations");
    assert_eq!(operations.len(), 2);
    for (name, operation) in operations {
        assert_eq!(operation["action"], "send");
        assert_eq!(
            operation["channel"]["$ref"],
            format!("#/channels/{name}"),
            "{operation}"
        );
        // Its messages are messages of its channel.
        for message in operation["messages"].as_array().expect("messages") {
            let reference = message["$ref"].as_str().expect("a $ref");
            assert!(
                reference.starts_with(&format!("#/channels/{name}/messages/")),
                "{reference}"
            );
        }
    }

    let message = &document["components"]["messages"][ORDERS_SCHEMA];
    assert_eq!(message["name"], "Orders.placed");
    assert_eq!(message["contentType"], "application/cloudevents+json");
    assert_eq!(message["x-cuemesh-version"], 2);
    let payload = &message["payload"];
    assert_eq!(
        payload["schemaFormat"],
        "application/vnd.oai.openapi;version=3.0.0"
    );
    let envelope = &payload["schema"];
    for attribute in [
        "specversion",
        "id",
        "source",
        "type",
        "time",
        "dataschema",
        "datacontenttype",
        "data",
    ] {
        assert!(
            envelope["required"]
                .as_array()
                .expect("required")
                .contains(&Value::from(attribute)),
            "{attribute}"
        );
    }
    assert_eq!(envelope["properties"]["source"]["enum"][0], "Orders");
    assert_eq!(envelope["properties"]["type"]["enum"][0], "Orders.placed");
    // The data is the event's schema, the same component as in the OpenAPI catalog.
    let data = envelope["properties"]["data"]["$ref"]
        .as_str()
        .expect("data $ref");
    assert_eq!(data, format!("#/components/schemas/{ORDERS_SCHEMA}"));
    let catalog = get(&state, "/v1/catalog/openapi.json").await;
    assert_eq!(
        document["components"]["schemas"],
        catalog.body["components"]["schemas"]
    );
    let trait_headers = &document["components"]["messageTraits"]["CloudEvent"]["headers"];
    assert!(trait_headers["properties"]["Nats-Msg-Id"].is_object());
}

#[tokio::test]
async fn references_between_definitions_point_to_the_renamed_components() {
    let mut repo = support::TestRepository::new();
    let shop = "package shop\n\nsource: {\n\tid:    \"Shop\"\n\towner: \"@acme/shop\"\n}\n\nevents: {\n\t// An order was placed.\n\t\"Shop.order\": #Order\n}\n\n#Order: {\n\tlines: [...#Line]\n}\n\n#Line: {\n\tsku: string\n\tcount: int & >0\n}\n";
    repo.commit(
        "main",
        "Ada",
        "Add the shop",
        &[
            ("cue.mod/module.cue", Some(support::MODULE)),
            ("sources/shop/shop.cue", Some(shop)),
        ],
    );
    let state = state_of(&repo);
    let answer = get(&state, "/v1/catalog/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let document = &answer.body;
    serde_json::from_value::<openapiv3::OpenAPI>(document.clone()).expect("OpenAPI 3.0");
    assert_refs_resolve(document);
    let order = target(document, "Shop.Shop_2Eorder");
    assert_eq!(
        order["properties"]["lines"]["items"]["$ref"],
        "#/components/schemas/Shop.Shop_2Eorder.Line",
        "{order}"
    );
    let asyncapi = get(&state, "/v1/catalog/asyncapi.json").await;
    assert_refs_resolve(&asyncapi.body);
}

#[tokio::test]
async fn a_removed_type_keeps_its_schema_but_loses_its_channel() {
    let mut repo = repository();
    repo.commit(
        "main",
        "Grace",
        "Orders move elsewhere",
        &[("sources/orders/orders.cue", None)],
    );
    let state = state_of(&repo);
    let catalog = get(&state, "/v1/catalog/openapi.json").await.body;
    assert!(schemas(&catalog).contains_key(ORDERS_SCHEMA));
    let removed: Vec<(&str, bool)> = catalog["x-cuemesh-events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|event| {
            (
                event["type"].as_str().expect("type"),
                event["removed"].as_bool().expect("removed"),
            )
        })
        .collect();
    assert_eq!(
        removed,
        [("MySource:newPerson", false), ("Orders.placed", true)]
    );
    let asyncapi = get(&state, "/v1/catalog/asyncapi.json").await.body;
    let channels: Vec<&String> = asyncapi["channels"]
        .as_object()
        .expect("channels")
        .keys()
        .collect();
    assert_eq!(channels, [IDENTITY_SCHEMA]);
    assert!(asyncapi["operations"].get(ORDERS_SCHEMA).is_none());
    assert_refs_resolve(&asyncapi);
}

/// The AsyncAPI initiative's own parser accepts the document (the specification's JSON Schema
/// and its semantic rules), through `scripts/asyncapi-check.mjs` when its npm packages are
/// installed (it exits 2 when they are not). `.ci/run` installs them and sets
/// CUEMESH_REQUIRE_ASYNCAPI_PARSER, so CI cannot skip this.
#[tokio::test]
async fn the_asyncapi_parser_accepts_the_document_when_available() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, "/v1/catalog/asyncapi.json").await;
    let directory = tempfile::tempdir().expect("temporary directory");
    let file = directory.path().join("asyncapi.json");
    std::fs::write(&file, answer.body.to_string()).expect("write");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/asyncapi-check.mjs");
    let output = std::process::Command::new("node")
        .arg(&script)
        .arg(&file)
        .output();
    match output {
        Ok(output) if output.status.code() != Some(2) => {
            assert!(
                output.status.success(),
                "the AsyncAPI parser refuses the document: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        _ => {
            assert!(
                std::env::var_os("CUEMESH_REQUIRE_ASYNCAPI_PARSER").is_none(),
                "the AsyncAPI parser is required (CUEMESH_REQUIRE_ASYNCAPI_PARSER) but node or its npm packages are missing"
            );
            eprintln!("@asyncapi/parser is not installed: skipped");
        }
    }
}
