//! The read-only Confluent-compatible routes, in the shapes Confluent documents, over the
//! service fixture's real Git repository; and global ids that keep their meaning across reloads.

mod support;

use axum::http::StatusCode;
use cuemesh_contract::canonical::Digest;
use cuemesh_registry::serve::{reload, subject_name, AppState, Index, CONTENT_TYPE_V1};
use cuemesh_registry::Repository;
use serde_json::{json, Value};
use support::identity;
use support::service::{get, header, repository, state_of, Answer, IDENTITY};

const PERSON: &str = "MySource-MySource:newPerson";
const ORDER: &str = "Orders-Orders.placed";

fn assert_confluent_error(answer: &Answer, status: StatusCode, error_code: u64) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(header(answer, "content-type"), CONTENT_TYPE_V1);
    assert_eq!(answer.body["error_code"], error_code, "{}", answer.body);
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{}",
        answer.body
    );
}

async fn ok(state: &AppState, uri: &str) -> Value {
    let answer = get(state, uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
    assert_eq!(header(&answer, "content-type"), CONTENT_TYPE_V1, "{uri}");
    answer.body
}

#[test]
fn subject_names_escape_the_separator() {
    assert_eq!(subject_name("Orders", "Orders.placed"), ORDER);
    assert_eq!(subject_name("My-Shop", "a-b"), "My%2DShop-a%2Db");
    assert_eq!(subject_name("100%", "x"), "100%25-x");
    assert_ne!(subject_name("a-b", "c"), subject_name("a", "b-c"));
}

#[tokio::test]
async fn subjects_and_their_versions() {
    let repo = repository();
    let state = state_of(&repo);
    assert_eq!(ok(&state, "/subjects").await, json!([PERSON, ORDER]));
    assert_eq!(ok(&state, "/schemas/types").await, json!(["JSON"]));
    assert_eq!(
        ok(&state, &format!("/subjects/{PERSON}/versions")).await,
        json!([1, 2, 3])
    );
    // Clients percent-encode the subject.
    assert_eq!(
        ok(&state, "/subjects/Orders-Orders%2Eplaced/versions").await,
        json!([1, 2])
    );
    assert_eq!(
        ok(&state, "/subjects/MySource-MySource%3AnewPerson/versions").await,
        json!([1, 2, 3])
    );
}

#[tokio::test]
async fn a_subject_version_is_the_canonical_json_schema_with_a_global_id() {
    let repo = repository();
    let state = state_of(&repo);
    let versions = get(&state, &format!("{IDENTITY}/versions")).await.body;
    for (number, expected_id) in [(1, 1), (2, 3), (3, 4)] {
        let answer = ok(&state, &format!("/subjects/{PERSON}/versions/{number}")).await;
        let keys: Vec<&String> = answer.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["subject", "version", "id", "schemaType", "schema"]);
        assert_eq!(answer["subject"], PERSON);
        assert_eq!(answer["version"], number);
        assert_eq!(answer["schemaType"], "JSON");
        // Ids number digests by first appearance along first-parent history: the first commit
        // brings the identity (1) and orders (2), the second the identity's version 2 (3), the
        // fourth the identity's version 3 (4) and orders' version 2 (5).
        assert_eq!(answer["id"], expected_id, "version {number}");
        // The schema is the text the version's digest is computed over.
        let schema = answer["schema"].as_str().expect("schema string");
        let digest = &versions["versions"][number - 1]["digest"];
        assert_eq!(json!(Digest::of(schema).as_str()), *digest);
        let document: Value = serde_json::from_str(schema).expect("JSON Schema text");
        assert_eq!(
            ok(
                &state,
                &format!("/subjects/{PERSON}/versions/{number}/schema")
            )
            .await,
            document
        );
    }
    let latest = ok(&state, &format!("/subjects/{ORDER}/versions/latest")).await;
    assert_eq!(
        (latest["version"].clone(), latest["id"].clone()),
        (json!(2), json!(5))
    );
    assert_eq!(
        ok(&state, &format!("/subjects/{ORDER}/versions/-1")).await,
        latest
    );

    let by_id = ok(&state, "/schemas/ids/3").await;
    let second = ok(&state, &format!("/subjects/{PERSON}/versions/2")).await;
    assert_eq!(
        by_id,
        json!({"schema": second["schema"], "schemaType": "JSON"})
    );
    assert_eq!(
        ok(&state, "/schemas/ids/2/versions").await,
        json!([{"subject": ORDER, "version": 1}])
    );
}

#[tokio::test]
async fn errors_use_confluent_codes() {
    let repo = repository();
    let state = state_of(&repo);
    for uri in [
        "/subjects/Nobody-x/versions".to_string(),
        "/subjects/Nobody-x/versions/1".to_string(),
        // The type without its source is no subject.
        "/subjects/Orders.placed/versions".to_string(),
    ] {
        assert_confluent_error(&get(&state, &uri).await, StatusCode::NOT_FOUND, 40401);
    }
    assert_confluent_error(
        &get(&state, &format!("/subjects/{ORDER}/versions/3")).await,
        StatusCode::NOT_FOUND,
        40402,
    );
    for bad in ["0", "-2", "abc", "1.0", "+1", "2147483648", "01x"] {
        assert_confluent_error(
            &get(&state, &format!("/subjects/{ORDER}/versions/{bad}")).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            42202,
        );
    }
    for id in ["6", "0", "-1", "x", "99999999999999"] {
        assert_confluent_error(
            &get(&state, &format!("/schemas/ids/{id}")).await,
            StatusCode::NOT_FOUND,
            40403,
        );
        assert_confluent_error(
            &get(&state, &format!("/schemas/ids/{id}/versions")).await,
            StatusCode::NOT_FOUND,
            40403,
        );
    }
    assert_confluent_error(
        &get(&state, "/subjects/%FF/versions").await,
        StatusCode::BAD_REQUEST,
        400,
    );
    // Unknown paths under the Confluent prefixes answer in its format too.
    assert_confluent_error(
        &get(&state, "/subjects/x/y").await,
        StatusCode::NOT_FOUND,
        404,
    );
    assert_confluent_error(&get(&state, "/schemas").await, StatusCode::NOT_FOUND, 404);
}

#[tokio::test]
async fn ids_keep_their_schema_across_reloads_and_a_revert_reuses_one() {
    let mut repo = repository();
    let repository = Repository::open(repo.path()).expect("open");
    let state = AppState::new(Index::build(&repository, "main").expect("index"));
    let mut before = Vec::new();
    for id in 1..=5 {
        before.push(ok(&state, &format!("/schemas/ids/{id}")).await);
    }

    // Back to version 2's schema (a revert is a new version with an old digest), then a
    // schema never seen before.
    repo.commit(
        "main",
        "Linus",
        "Revert: last name optional again",
        &[(
            "sources/identity/identity.cue",
            Some(&identity(
                "\tfirst: =~\"^[A-Z].*\"\n\tlast?: string\n\t...\n",
            )),
        )],
    );
    repo.commit(
        "main",
        "Grace",
        "A middle name",
        &[(
            "sources/identity/identity.cue",
            Some(&identity(
                "\tfirst: =~\"^[A-Z].*\"\n\tlast?: string\n\tmiddle?: string\n\t...\n",
            )),
        )],
    );
    reload(&repository, "main", &state).expect("reload");

    for (id, body) in (1..=5).zip(&before) {
        assert_eq!(
            &ok(&state, &format!("/schemas/ids/{id}")).await,
            body,
            "id {id}"
        );
    }
    let reverted = ok(&state, &format!("/subjects/{PERSON}/versions/4")).await;
    assert_eq!(reverted["id"], 3);
    assert_eq!(
        ok(&state, "/schemas/ids/3/versions").await,
        json!([
            {"subject": PERSON, "version": 2},
            {"subject": PERSON, "version": 4},
        ])
    );
    let newest = ok(&state, &format!("/subjects/{PERSON}/versions/latest")).await;
    assert_eq!(
        (newest["version"].clone(), newest["id"].clone()),
        (json!(5), json!(6))
    );

    // A fresh process over the same repository agrees.
    let restarted = state_of(&repo);
    for id in 1..=6 {
        let uri = format!("/schemas/ids/{id}");
        assert_eq!(ok(&restarted, &uri).await, ok(&state, &uri).await, "{uri}");
    }
}

#[tokio::test]
async fn config_is_the_default_compatibility_of_the_settings() {
    let mut repo = repository();
    let state = state_of(&repo);
    // The fixture has no cuemesh.cue: Confluent's default.
    assert_eq!(
        ok(&state, "/config").await,
        json!({"compatibilityLevel": "BACKWARD"})
    );
    repo.commit(
        "main",
        "Ada",
        "Settings",
        &[(
            "cuemesh.cue",
            Some("package cuemesh\n\ncompatibility: \"FULL_TRANSITIVE\"\n"),
        )],
    );
    let state = state_of(&repo);
    assert_eq!(
        ok(&state, "/config").await,
        json!({"compatibilityLevel": "FULL_TRANSITIVE"})
    );
}

#[tokio::test]
async fn the_subject_names_an_import_recorded_name_the_event_types_they_became() {
    let mut repo = repository();
    let mut record = json!({"url": "http://old-registry", "subjects": {
        "identity-value": {"source": "MySource", "type": "MySource:newPerson"},
        // An event type the branch does not hold names nothing.
        "gone-value": {"source": "Gone", "type": "gone"},
    }});
    // A name that is already a subject keeps its own event type.
    record["subjects"][ORDER] = json!({"source": "MySource", "type": "MySource:newPerson"});
    repo.commit(
        "main",
        "Ada",
        "Imported from a registry",
        &[("registry-import.json", Some(&record.to_string()))],
    );
    let state = state_of(&repo);
    assert_eq!(
        ok(&state, "/subjects").await,
        json!([PERSON, ORDER, "identity-value"])
    );
    assert_eq!(
        ok(&state, "/subjects/identity-value/versions").await,
        json!([1, 2, 3])
    );
    assert_eq!(
        ok(&state, &format!("/subjects/{ORDER}/versions")).await,
        json!([1, 2])
    );
    let latest = ok(&state, "/subjects/identity-value/versions/latest").await;
    let same = ok(&state, &format!("/subjects/{PERSON}/versions/latest")).await;
    assert_eq!(
        (&latest["version"], &latest["id"], &latest["schema"]),
        (&same["version"], &same["id"], &same["schema"])
    );
    assert_confluent_error(
        &get(&state, "/subjects/gone-value/versions").await,
        StatusCode::NOT_FOUND,
        40401,
    );

    // A record that is not JSON names no subjects.
    repo.commit(
        "main",
        "Ada",
        "A broken record",
        &[("registry-import.json", Some("{"))],
    );
    let state = state_of(&repo);
    assert_eq!(ok(&state, "/subjects").await, json!([PERSON, ORDER]));
}
