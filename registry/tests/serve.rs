//! The registry HTTP service over a real Git repository: every route through
//! `app(state).oneshot(...)`, caching headers, error bodies, validation, reloads, and one
//! request over a real socket.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cuemesh_registry::serve::{app, reload, AppState, Index, Reload, MAX_BODY_BYTES};
use cuemesh_registry::Repository;
use serde_json::{json, Value};
use support::service::{
    assert_error, get, header, orders, post, repository, send, state_of, IDENTITY, ORDERS,
};

#[tokio::test]
async fn sources_lists_owner_description_and_types() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, "/v1/sources").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({"sources": [
            {
                "id": "MySource",
                "owner": "@acme/identity",
                "description": "People known to the identity service.",
                "types": [{"type": "MySource:newPerson", "latest": 3, "removed": false}],
            },
            {
                "id": "Orders",
                "owner": "@acme/orders",
                "description": "Orders placed in the shop.",
                "types": [{"type": "Orders.placed", "latest": 2, "removed": false}],
            },
        ]})
    );
}

#[tokio::test]
async fn versions_lists_every_version_with_its_commit() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, &format!("{IDENTITY}/versions")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let versions = answer.body["versions"].as_array().expect("versions");
    let summary: Vec<(u64, &str)> = versions
        .iter()
        .map(|v| {
            (
                v["version"].as_u64().expect("number"),
                v["author"].as_str().expect("author"),
            )
        })
        .collect();
    assert_eq!(summary, [(1, "Ada"), (2, "Linus"), (3, "Grace")]);
    for version in versions {
        assert!(version["digest"]
            .as_str()
            .expect("digest")
            .starts_with("sha256:"));
        assert_eq!(version["commit"].as_str().expect("commit").len(), 40);
        // The test clock's zone is +02:00.
        assert!(version["time"].as_str().expect("time").ends_with("+02:00"));
    }
    // A percent-encoded segment is the same type.
    let encoded = get(&state, "/v1/sources/Orders/types/Orders%2Eplaced/versions").await;
    assert_eq!(encoded.status, StatusCode::OK);
    assert_eq!(
        encoded.body["versions"].as_array().expect("versions").len(),
        2
    );
    let colon = get(
        &state,
        "/v1/sources/MySource/types/MySource%3AnewPerson/versions",
    )
    .await;
    assert_eq!(colon.body, answer.body);
}

#[tokio::test]
async fn a_numbered_version_is_immutable_and_latest_revalidates() {
    let repo = repository();
    let state = state_of(&repo);
    let second = get(&state, &format!("{IDENTITY}/versions/2")).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body["version"], 2);
    assert_eq!(second.body["author"], "Linus");
    assert_eq!(second.body["definition"], "#Identity");
    let cue = second.body["cue"].as_str().expect("CUE text");
    assert!(cue.contains("last?: string"), "{cue}");
    let digest = second.body["digest"].as_str().expect("digest");
    assert_eq!(header(&second, "etag"), format!("\"{digest}\""));
    assert_eq!(
        header(&second, "cache-control"),
        "public, max-age=31536000, immutable"
    );

    let latest = get(&state, &format!("{IDENTITY}/versions/latest")).await;
    assert_eq!(latest.status, StatusCode::OK);
    assert_eq!(latest.body["version"], 3);
    assert_eq!(header(&latest, "cache-control"), "no-cache");
    assert!(latest.body["cue"].as_str().expect("CUE").contains("age?:"));
    assert_ne!(header(&latest, "etag"), header(&second, "etag"));
}

#[tokio::test]
async fn if_none_match_answers_304() {
    let repo = repository();
    let state = state_of(&repo);
    for path in ["", "/openapi", "/jsonschema"] {
        let uri = format!("{IDENTITY}/versions/1{path}");
        let first = get(&state, &uri).await;
        let etag = header(&first, "etag").to_string();
        let again = send(
            &state,
            Request::get(&uri)
                .header("if-none-match", format!("\"other\", {etag}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert_eq!(again.body, Value::Null);
        assert_eq!(header(&again, "etag"), etag);
        let stale = send(
            &state,
            Request::get(&uri)
                .header("if-none-match", "\"sha256:0\"")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
        assert_eq!(stale.status, StatusCode::OK, "{uri}");
    }
    // `latest` too, with its own tag.
    let uri = format!("{IDENTITY}/versions/latest");
    let etag = header(&get(&state, &uri).await, "etag").to_string();
    let again = send(
        &state,
        Request::get(&uri)
            .header("if-none-match", &etag)
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(header(&again, "cache-control"), "no-cache");
}

#[tokio::test]
async fn openapi_and_json_schema_documents_of_a_version() {
    let repo = repository();
    let state = state_of(&repo);
    let openapi = get(&state, &format!("{ORDERS}/versions/1/openapi")).await;
    assert_eq!(openapi.status, StatusCode::OK, "{}", openapi.body);
    assert!(openapi.body["openapi"]
        .as_str()
        .expect("openapi version")
        .starts_with("3.0"));
    let schemas = openapi.body["components"]["schemas"]
        .as_object()
        .expect("schemas");
    // The definition and what it refers to, across the import.
    assert!(schemas.contains_key("Order"), "{schemas:?}");
    assert!(
        !openapi.body.to_string().contains("items"),
        "version 1 has no items"
    );

    let schema = get(&state, &format!("{ORDERS}/versions/2/jsonschema")).await;
    assert_eq!(schema.status, StatusCode::OK, "{}", schema.body);
    assert_eq!(
        schema.body["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(schema.body.to_string().contains("items"));
    let reference = schema.body["$ref"]
        .as_str()
        .expect("a $ref to the definition");
    let name = reference.strip_prefix("#/$defs/").expect("into $defs");
    assert!(schema.body["$defs"][name].is_object(), "{}", schema.body);
    // Only the version's definition and what it needs.
    let identity = get(&state, &format!("{IDENTITY}/versions/3/jsonschema")).await;
    assert!(
        !identity.body.to_string().contains("Unused"),
        "{}",
        identity.body
    );

    let latest = get(&state, &format!("{ORDERS}/versions/latest/jsonschema")).await;
    assert_eq!(latest.body, schema.body);
    assert_eq!(header(&latest, "cache-control"), "no-cache");
}

/// Loads a `/package` document with a memory resolver, as a client would.
fn load_package_document(document: &Value) -> cue::Package {
    let files = |list: &Value| cue::PackageFiles {
        files: list
            .as_array()
            .expect("a list of files")
            .iter()
            .map(|file| {
                let text = |key: &str| file[key].as_str().expect("a string").to_string();
                (text("name"), text("text"))
            })
            .collect(),
    };
    let imports = document["imports"]
        .as_object()
        .expect("imports")
        .iter()
        .map(|(path, list)| (path.clone(), files(list)))
        .collect();
    cue::Package::load(
        files(&document["files"]),
        &cue::MemoryResolver { packages: imports },
    )
}

#[tokio::test]
async fn the_package_of_a_version_is_self_contained_and_matches_its_digest() {
    let repo = repository();
    let state = state_of(&repo);
    for number in [1, 2] {
        let metadata = get(&state, &format!("{ORDERS}/versions/{number}")).await;
        let package = get(&state, &format!("{ORDERS}/versions/{number}/package")).await;
        assert_eq!(package.status, StatusCode::OK, "{}", package.body);
        assert_eq!(header(&package, "etag"), header(&metadata, "etag"));
        // The import of `common` travels with the package.
        assert!(
            package.body["imports"]["schemas.example.com/sources/common"].is_array(),
            "{}",
            package.body
        );
        let loaded = load_package_document(&package.body);
        assert!(
            loaded.diagnostics().is_empty(),
            "{:?}",
            loaded.diagnostics()
        );
        let definition = metadata.body["definition"].as_str().expect("definition");
        let document = loaded.json_schema(Some(definition)).expect("exports");
        let digest =
            cuemesh_contract::canonical::CanonicalSchema::from_json_schema(&document).digest;
        assert_eq!(digest.as_str(), metadata.body["digest"], "version {number}");
    }
    let missing = get(&state, &format!("{ORDERS}/versions/9/package")).await;
    assert_error(&missing, StatusCode::NOT_FOUND, "version_not_found");
}

#[tokio::test]
async fn unknown_names_are_404_and_bad_versions_400() {
    let repo = repository();
    let state = state_of(&repo);
    assert_error(
        &get(&state, "/v1/sources/Nobody/types/x/versions").await,
        StatusCode::NOT_FOUND,
        "source_not_found",
    );
    assert_error(
        &get(
            &state,
            "/v1/sources/MySource/types/Orders.placed/versions/1",
        )
        .await,
        StatusCode::NOT_FOUND,
        "type_not_found",
    );
    assert_error(
        &get(&state, &format!("{IDENTITY}/versions/4")).await,
        StatusCode::NOT_FOUND,
        "version_not_found",
    );
    assert_error(
        &get(&state, &format!("{IDENTITY}/versions/4/openapi")).await,
        StatusCode::NOT_FOUND,
        "version_not_found",
    );
    for bad in ["0", "01", "-1", "v2", "1.0", "99999999999", "newest"] {
        assert_error(
            &get(&state, &format!("{IDENTITY}/versions/{bad}")).await,
            StatusCode::BAD_REQUEST,
            "bad_version",
        );
    }
    assert_error(
        &get(&state, "/v1/sources/%FF/types/x/versions").await,
        StatusCode::BAD_REQUEST,
        "bad_path",
    );
    assert_error(
        &get(&state, "/v2/nothing").await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &post(&state, "/v1/sources", "{}").await,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
}

#[tokio::test]
async fn validate_accepts_valid_data_and_lists_violations_with_paths() {
    let repo = repository();
    let state = state_of(&repo);
    let ok = post(
        &state,
        &format!("{IDENTITY}/versions/3/validate"),
        r#"{"first": "Ada", "last": "Lovelace", "age": 36}"#,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body, json!({"valid": true}));

    let bad = post(
        &state,
        &format!("{IDENTITY}/versions/3/validate"),
        r#"{"first": "ada", "last": "Lovelace", "age": -1}"#,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(bad.body["valid"], false);
    let mut paths: Vec<&str> = bad.body["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|violation| {
            assert!(violation["message"].as_str().is_some_and(|m| !m.is_empty()));
            violation["path"].as_str().expect("path")
        })
        .collect();
    paths.sort();
    assert_eq!(paths, ["age", "first"], "{}", bad.body);

    // Each version validates against its own schema: `last` is optional in version 2.
    let without_last = r#"{"first": "Ada"}"#;
    let second = post(
        &state,
        &format!("{IDENTITY}/versions/2/validate"),
        without_last,
    )
    .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let latest = post(
        &state,
        &format!("{IDENTITY}/versions/latest/validate"),
        without_last,
    )
    .await;
    assert_eq!(latest.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        latest.body["violations"][0]["path"], "last",
        "{}",
        latest.body
    );

    // Across an import: the currency comes from the shared package.
    let order = post(
        &state,
        &format!("{ORDERS}/versions/1/validate"),
        r#"{"id": "o-1", "total": {"amount": 100, "currency": "JPY"}}"#,
    )
    .await;
    assert_eq!(order.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        order.body["violations"][0]["path"], "total.currency",
        "{}",
        order.body
    );
}

#[tokio::test]
async fn validate_rejects_malformed_and_oversized_bodies() {
    let repo = repository();
    let state = state_of(&repo);
    let uri = format!("{IDENTITY}/versions/1/validate");
    assert_error(
        &post(&state, &uri, "{\"first\": ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_json",
    );
    assert_error(
        &post(&state, &uri, vec![0xff, 0xfe]).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_json",
    );
    let large = format!("{{\"first\": \"{}\"}}", "A".repeat(MAX_BODY_BYTES));
    assert_error(
        &post(&state, &uri, large).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    assert_error(
        &post(&state, &format!("{IDENTITY}/versions/9/validate"), "{}").await,
        StatusCode::NOT_FOUND,
        "version_not_found",
    );
}

#[tokio::test]
async fn health_and_readiness() {
    let repo = repository();
    let state = state_of(&repo);
    let health = get(&state, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    let ready = get(&state, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["branch"], "main");
    assert_eq!(ready.body["versions"], 5);
    assert_eq!(
        ready.body["commit"],
        repo.tip("main").expect("tip").to_string()
    );
}

#[tokio::test]
async fn a_reload_picks_up_a_new_commit_and_keeps_the_index_on_failure() {
    let mut repo = repository();
    let repository = Repository::open(repo.path()).expect("open");
    let state = AppState::new(Index::build(&repository, "main").expect("index"));
    assert_eq!(
        reload(&repository, "main", &state).expect("reload"),
        Reload::Unchanged
    );
    // A request holds its index while a reload swaps another in.
    let before = state.index();

    let tip = repo.commit(
        "main",
        "Ada",
        "Orders get a note",
        &[(
            "sources/orders/orders.cue",
            Some(&orders(
                "\tid:    string\n\ttotal: common.#Money\n\titems: [...string]\n\tnote?: string\n",
            )),
        )],
    );
    assert_eq!(
        reload(&repository, "main", &state).expect("reload"),
        Reload::Swapped {
            commit: tip.to_string(),
            versions: 6
        }
    );
    let latest = get(&state, &format!("{ORDERS}/versions/latest")).await;
    assert_eq!(latest.body["version"], 3);
    assert_eq!(latest.body["commit"], tip.to_string());
    assert_eq!(before.version_count(), 5);

    // A branch that cannot be read leaves the last good index in place.
    assert!(reload(&repository, "gone", &state).is_err());
    assert_eq!(state.index().version_count(), 6);
}

#[tokio::test]
async fn serves_over_a_real_socket() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let repo = repository();
    let state = state_of(&repo);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(async move {
        axum::serve(listener, app(state)).await.expect("serve");
    });

    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!(
        "GET {IDENTITY}/versions/1 HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    server.abort();

    let (head, body) = response.split_once("\r\n\r\n").expect("headers and body");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("etag: \"sha256:"), "{head}");
    let body: Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(body["version"], 1);
    assert_eq!(body["author"], "Ada");
}
