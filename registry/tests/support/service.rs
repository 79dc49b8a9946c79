//! The registry service's test fixture: a real Git repository with several versions of
//! several events, and requests sent to `app(state)` with `oneshot`.

use super::{identity, TestRepository};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use cuemesh_registry::serve::{app, AppState, Index};
use cuemesh_registry::Repository;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const IDENTITY: &str = "/v1/sources/MySource/types/MySource:newPerson";
pub const ORDERS: &str = "/v1/sources/Orders/types/Orders.placed";

pub const MONEY: &str = "package common\n\n// An amount of money in minor units.\n#Money: {\n\tamount:   int & >=0\n\tcurrency: \"EUR\" | \"USD\"\n}\n";

pub fn orders(body: &str) -> String {
    format!(
        "package orders\n\nimport \"schemas.example.com/sources/common\"\n\nsource: {{\n\tid:          \"Orders\"\n\towner:       \"@acme/orders\"\n\tdescription: \"Orders placed in the shop.\"\n}}\n\nevents: {{\n\t// An order was placed.\n\t\"Orders.placed\": #Order\n}}\n\n#Order: {{\n{body}}}\n"
    )
}

/// Three versions of `MySource:newPerson` (Ada, Linus, Grace) and two of `Orders.placed`,
/// with a commit between them that changes no schema.
pub fn repository() -> TestRepository {
    let mut repo = TestRepository::with_module(
        "Ada",
        "Add identity and orders",
        &[
            ("sources/common/money.cue", Some(MONEY)),
            (
                "sources/identity/identity.cue",
                Some(&identity("\tfirst: =~\"^[A-Z].*\"\n\t...\n")),
            ),
            (
                "sources/orders/orders.cue",
                Some(&orders("\tid:    string\n\ttotal: common.#Money\n")),
            ),
        ],
    );
    repo.commit(
        "main",
        "Linus",
        "Add last name",
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
        "Document",
        &[("README.md", Some("# Schemas\n"))],
    );
    repo.commit(
        "main",
        "Grace",
        "Require last name and an age; orders get items",
        &[
            (
                "sources/identity/identity.cue",
                Some(&identity(
                    "\tfirst: =~\"^[A-Z].*\"\n\tlast:  string\n\tage?:  int & >=0\n}\n\n#Unused: {\n\tx: int\n",
                )),
            ),
            (
                "sources/orders/orders.cue",
                Some(&orders(
                    "\tid:    string\n\ttotal: common.#Money\n\titems: [...string]\n",
                )),
            ),
        ],
    );
    repo
}

pub fn state_of(repo: &TestRepository) -> AppState {
    let repository = Repository::open(repo.path()).expect("open");
    AppState::new(Index::build(&repository, "main").expect("index"))
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

/// Sends `request` to the service with `oneshot`: its status, headers and whole body.
pub async fn respond(
    state: &AppState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, axum::body::Bytes) {
    let response = app(state.clone())
        .oneshot(request)
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, bytes)
}

pub async fn send(state: &AppState, request: Request<Body>) -> Answer {
    let (status, headers, bytes) = respond(state, request).await;
    let is_json = match headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
    {
        Some(content_type) => content_type.contains("json"),
        None => true,
    };
    let body = if bytes.is_empty() {
        Value::Null
    } else if !is_json {
        // `/metrics` is text: kept as a string.
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            panic!("not JSON ({error}): {}", String::from_utf8_lossy(&bytes))
        })
    };
    Answer {
        status,
        headers,
        body,
    }
}

pub async fn get(state: &AppState, uri: &str) -> Answer {
    send(
        state,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

pub async fn post(state: &AppState, uri: &str, body: impl Into<Body>) -> Answer {
    send(
        state,
        Request::post(uri)
            .header("content-type", "application/json")
            .body(body.into())
            .expect("request"),
    )
    .await
}

pub fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .expect("ASCII header")
}

pub fn assert_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["error"]["code"], code, "{}", answer.body);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{}",
        answer.body
    );
}

/// Every `$ref` in `document` that points into it (`#/...`) names something there.
pub fn assert_refs_resolve(document: &Value) {
    let mut references = Vec::new();
    collect_refs(document, &mut references);
    assert!(!references.is_empty(), "no $ref at all");
    for reference in references {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} points outside the document"));
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                match child {
                    Value::String(target) if key == "$ref" => out.push(target.clone()),
                    _ => collect_refs(child, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}
