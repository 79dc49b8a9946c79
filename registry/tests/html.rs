//! The catalog search (library and `/v1/search`) and the HTML catalog pages, over a real Git
//! repository with several versions, examples, and a doc comment holding markup.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cuemesh_registry::serve::{AppState, HitKind};
use serde_json::Value;
use support::service::{respond, state_of};
use support::TestRepository;

const TYPE_PAGE: &str = "/sources/MySource/types/MySource%3AnewPerson";

fn person(body: &str) -> String {
    format!(
        "package identity\n\nsource: {{\n\tid:          \"MySource\"\n\towner:       \"@acme/identity\"\n\tdescription: \"People known to the <b>identity</b> service.\"\n}}\n\nevents: {{\n\t// A person was registered.\n\t\"MySource:newPerson\": #Identity\n}}\n\n// Someone the service knows.\n#Identity: {{\n{body}}}\n"
    )
}

fn orders(body: &str) -> String {
    format!(
        "package orders\n\nsource: {{\n\tid:    \"Orders\"\n\towner: \"@acme/orders\"\n}}\n\nevents: {{\n\t\"Orders.placed\": #Placed\n\t\"Orders.placedLate\": #Late\n}}\n\n#Placed: {{\n{body}}}\n\n// Placed after the cut-off time.\n#Late: {{\n\tplaced: string\n}}\n"
    )
}

const FIRST: &str =
    "\t// first name of the person <script>alert(1)</script>\n\tfirst: =~\"^[A-Z].*\"\n";

/// `MySource:newPerson` in three versions (Ada, Linus, Grace), with examples added after the
/// second version and one invalid example; two `Orders` types.
fn repository() -> TestRepository {
    let mut repo = TestRepository::with_module(
        "Ada",
        "Add identity and orders",
        &[
            ("sources/identity/identity.cue", Some(&person(FIRST))),
            (
                "sources/orders/orders.cue",
                Some(&orders("\t// The order's id.\n\tid: string\n")),
            ),
        ],
    );
    repo.commit(
        "main",
        "Linus",
        "Add last name",
        &[(
            "sources/identity/identity.cue",
            Some(&person(&format!(
                "{FIRST}\t// family name\n\tlast?: string\n"
            ))),
        )],
    );
    repo.commit(
        "main",
        "Linus",
        "Examples",
        &[(
            "sources/identity/examples/MySource%3AnewPerson/ada.json",
            Some("{\"first\": \"Ada\", \"last\": \"Lovelace\"}\n"),
        )],
    );
    repo.commit(
        "main",
        "Grace",
        "Require last name and an age",
        &[
            (
                "sources/identity/identity.cue",
                Some(&person(&format!(
                    "{FIRST}\t// family name\n\tlast: string\n\t// age in years\n\tage?: int & >=0 & <=150\n"
                ))),
            ),
            (
                "sources/identity/examples/MySource%3AnewPerson/nameless.json",
                Some("{\"first\": \"Grace\"}\n"),
            ),
        ],
    );
    repo
}

struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

async fn get(state: &AppState, uri: &str) -> Answer {
    let request = Request::get(uri).body(Body::empty()).expect("request");
    let (status, headers, bytes) = respond(state, request).await;
    let content_type = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Answer {
        status,
        content_type,
        text: String::from_utf8(bytes.to_vec()).expect("UTF-8 body"),
    }
}

async fn page(state: &AppState, uri: &str) -> String {
    let answer = get(state, uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.text);
    assert_eq!(answer.content_type, "text/html; charset=utf-8", "{uri}");
    answer.text
}

async fn json(state: &AppState, uri: &str) -> (StatusCode, Value) {
    let answer = get(state, uri).await;
    assert!(answer.content_type.starts_with("application/json"), "{uri}");
    let body = serde_json::from_str(&answer.text).expect("JSON body");
    (answer.status, body)
}

#[test]
fn search_ranks_exact_types_then_prefixes_then_fields_then_docs() {
    let repo = repository();
    let index = state_of(&repo).index();
    let search = index.search();

    let hits = search.search("orders.placed", 10);
    assert_eq!(hits[0].kind, HitKind::Type);
    assert_eq!(hits[0].event_type.as_deref(), Some("Orders.placed"));
    assert_eq!(hits[1].event_type.as_deref(), Some("Orders.placedLate"));

    // A word of a type name, then the field named `placed`, then doc text.
    let hits = search.search("PLACED", 10);
    let kinds: Vec<HitKind> = hits.iter().map(|hit| hit.kind).collect();
    assert_eq!(
        kinds,
        [HitKind::Type, HitKind::Type, HitKind::Field, HitKind::Doc],
        "{hits:#?}"
    );
    assert_eq!(hits[2].path.as_deref(), Some("placed"));
    assert_eq!(hits[3].snippet, "Placed after the cut-off time.");

    // Words inside camel case and after punctuation; fields of the latest version only.
    let hits = search.search("person", 20);
    assert!(hits.iter().any(|hit| hit.kind == HitKind::Type
        && hit.event_type.as_deref() == Some("MySource:newPerson")
        && hit.version == Some(3)));
    let hits = search.search("age", 5);
    assert_eq!(hits[0].kind, HitKind::Field);
    assert_eq!(hits[0].path.as_deref(), Some("age"));
    assert_eq!(hits[0].snippet, "age: integer (optional)");

    // Every query word must start a word; doc comments and owners are searched.
    let hits = search.search("family na", 5);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(hits[0].kind, HitKind::Doc);
    assert_eq!(hits[0].path.as_deref(), Some("last"));
    assert_eq!(search.search("@acme/orders", 5)[0].source, "Orders");
    // The type's own comment in `events` is its snippet and is searched.
    let hits = search.search("registered", 5);
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert_eq!(
        (hits[0].kind, hits[0].path.as_deref()),
        (HitKind::Doc, None)
    );
    assert_eq!(hits[0].snippet, "A person was registered.");
    assert_eq!(
        search.search("MySource:newPerson", 1)[0].snippet,
        "A person was registered."
    );
    assert!(search.search("amily", 5).is_empty());
    assert!(search.search("  ::  ", 5).is_empty());
    assert_eq!(search.search("MySource", 1).len(), 1);
}

#[tokio::test]
async fn search_route_answers_hits_and_refuses_bad_queries() {
    let repo = repository();
    let state = state_of(&repo);
    let (status, body) = json(&state, "/v1/search?q=name%20person&limit=3").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["query"], "name person");
    assert_eq!(
        body["hits"][0],
        serde_json::json!({"kind": "doc", "source": "MySource", "type": "MySource:newPerson",
            "version": 3, "path": "first",
            "snippet": "first name of the person <script>alert(1)</script>"})
    );
    let (_, body) = json(&state, "/v1/search?q=orders&limit=1").await;
    assert_eq!(body["hits"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["hits"][0]["kind"], "source");

    let long = "x".repeat(201);
    for (uri, needle) in [
        ("/v1/search".to_string(), "`q` is missing"),
        ("/v1/search?q=%20%20".to_string(), "`q` is missing"),
        (format!("/v1/search?q={long}"), "201 bytes"),
        ("/v1/search?q=a&limit=0".to_string(), "`limit`"),
        ("/v1/search?q=a&limit=many".to_string(), "`limit`"),
    ] {
        let (status, body) = json(&state, &uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(body["error"]["code"], "bad_query", "{uri}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{uri}: {message}");
    }
}

#[tokio::test]
async fn home_lists_sources_owners_descriptions_and_types_escaped() {
    let repo = repository();
    let state = state_of(&repo);
    let html = page(&state, "/").await;
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<a href=\"/sources/MySource\">MySource</a>"),
        "{html}"
    );
    assert!(html.contains("owned by @acme/identity"));
    assert!(html.contains("People known to the &lt;b&gt;identity&lt;/b&gt; service."));
    assert!(!html.contains("<b>identity</b>"));
    assert!(html.contains(&format!(
        "<a href=\"{TYPE_PAGE}\"><code>MySource:newPerson</code></a>"
    )));
    assert!(html.contains("<span class=\"badge\">v3</span>"));
    assert!(html.contains("<form class=\"search\" action=\"/search\" method=\"get\""));

    let source = page(&state, "/sources/Orders").await;
    assert!(source.contains("Orders.placedLate"));
    assert!(source.contains("owned by @acme/orders"));
}

#[tokio::test]
async fn search_page_links_hits_and_escapes_the_query() {
    let repo = repository();
    let state = state_of(&repo);
    let html = page(&state, "/search?q=family").await;
    assert!(html.contains("1 result."), "{html}");
    assert!(
        html.contains(&format!(
            "<a href=\"{TYPE_PAGE}/versions/3#field-last\"><code>MySource:newPerson · last</code></a>"
        )),
        "{html}"
    );
    assert!(html.contains("value=\"family\""));

    let html = page(&state, "/search?q=%3Cscript%3E%22").await;
    assert!(html.contains("value=\"&lt;script&gt;&quot;\""), "{html}");
    assert!(!html.contains("<script>"));
    let html = page(&state, "/search?q=").await;
    assert!(html.contains("Type a source"));
    let answer = get(&state, &format!("/search?q={}", "y".repeat(201))).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text.contains("longer than 200 bytes"));
}

#[tokio::test]
async fn type_page_lists_versions_and_offers_a_comparison() {
    let repo = repository();
    let state = state_of(&repo);
    let html = page(&state, TYPE_PAGE).await;
    assert!(html.contains("<p class=\"lead\">A person was registered.</p>\n<p class=\"lead\">Someone the service knows.</p>"), "{html}");
    let tip = repo.tip("main").expect("tip").to_string();
    for (number, author) in [(1, "Ada"), (2, "Linus"), (3, "Grace")] {
        assert!(
            html.contains(&format!(
                "<a href=\"{TYPE_PAGE}/versions/{number}\">v{number}</a></td><td>{author}</td>"
            )),
            "{html}"
        );
    }
    assert!(html.contains(&format!("<code>{}</code>", &tip[..12])));
    assert!(html.contains("<code title=\"sha256:"));
    assert!(html.contains(&format!("action=\"{TYPE_PAGE}/compare\"")));
    assert!(html.contains("<option value=\"2\" selected>"));
    assert!(html.contains("<option value=\"3\" selected>"));
}

#[tokio::test]
async fn version_page_shows_fields_cue_examples_and_links() {
    let repo = repository();
    let state = state_of(&repo);
    let html = page(&state, &format!("{TYPE_PAGE}/versions/3")).await;
    // The field table, with the doc comment's markup escaped.
    assert!(html.contains("<tr id=\"field-age\"><td><code>age</code></td><td><code>integer</code></td><td>no</td><td><code>&gt;= 0</code> <code>&lt;= 150</code></td><td>age in years</td></tr>"), "{html}");
    assert!(html.contains("<tr id=\"field-first\"><td><code>first</code></td><td><code>string</code></td><td>yes</td><td><code>=~ &quot;^[A-Z].*&quot;</code></td><td>first name of the person &lt;script&gt;alert(1)&lt;/script&gt;</td></tr>"), "{html}");
    assert!(!html.contains("<script>"));
    // The CUE text, links to the documents.
    assert!(html.contains("age?: int &amp; &gt;=0 &amp; &lt;=150"));
    let api = "/v1/sources/MySource/types/MySource%3AnewPerson/versions/3";
    assert!(html.contains(&format!("<a href=\"{api}/openapi\">OpenAPI 3.0</a>")));
    assert!(html.contains(&format!("<a href=\"{api}/jsonschema\">JSON Schema</a>")));
    assert!(html.contains(&format!("{api}/validate")));
    assert!(html.contains(&format!("href=\"{TYPE_PAGE}/compare?from=2&amp;to=3\"")));
    // The examples at the tip, each validated against the version.
    assert!(
        html.contains("<code>ada.json</code> <span class=\"badge ok\">valid</span>"),
        "{html}"
    );
    assert!(html.contains("<code>nameless.json</code> <span class=\"badge bad\">invalid</span>"));
    assert!(html.contains("last: incomplete value"), "{html}");

    // Version 2 shows the examples as they were while it was current: ada.json only.
    let html = page(&state, &format!("{TYPE_PAGE}/versions/2")).await;
    assert!(html.contains("<code>ada.json</code> <span class=\"badge ok\">valid</span>"));
    assert!(!html.contains("nameless.json"));
    // Version 1 had none.
    let html = page(&state, &format!("{TYPE_PAGE}/versions/1")).await;
    assert!(html.contains(
        "No examples under <code>sources/identity/examples/MySource%3AnewPerson/</code>"
    ));
    let latest = page(&state, &format!("{TYPE_PAGE}/versions/latest")).await;
    assert!(latest.contains("<title>MySource:newPerson v3 · cuemesh registry</title>"));
}

#[tokio::test]
async fn compare_page_shows_field_changes_and_a_line_diff() {
    let repo = repository();
    let state = state_of(&repo);
    let html = page(&state, &format!("{TYPE_PAGE}/compare?from=1&to=3")).await;
    assert!(
        html.contains("<tr class=\"add\"><td>added</td><td><code>last</code></td>"),
        "{html}"
    );
    assert!(html.contains("<tr class=\"add\"><td>added</td><td><code>age</code></td>"));
    assert!(html.contains("<option value=\"1\" selected>"));
    assert!(html.contains("<div class=\"add\"><span class=\"n\"></span><span class=\"n\">5</span>+ \tlast: string</div>"), "{html}");
    assert!(html.contains("<div class=\"\"><span class=\"n\">1</span><span class=\"n\">1</span>  #Identity: {</div>"), "{html}");

    let html = page(&state, &format!("{TYPE_PAGE}/compare?from=2&to=3")).await;
    assert!(html.contains("<tr class=\"\"><td>changed</td><td><code>last</code></td><td><code>string</code></td><td><s>no</s> → yes</td>"), "{html}");
    assert!(html.contains("<div class=\"del\"><span class=\"n\">5</span><span class=\"n\"></span>- \tlast?: string</div>"), "{html}");
    // Without a choice: the last two versions.
    let html = page(&state, &format!("{TYPE_PAGE}/compare")).await;
    assert!(html.contains("v2 → v3"));
    let html = page(&state, &format!("{TYPE_PAGE}/compare?from=3&to=3")).await;
    assert!(html.contains("No field changed."));
}

#[tokio::test]
async fn unknown_things_get_an_html_404() {
    let repo = repository();
    let state = state_of(&repo);
    for (uri, needle) in [
        ("/sources/Nope".to_string(), "no source &quot;Nope&quot;"),
        (
            "/sources/MySource/types/Nope".to_string(),
            "source &quot;MySource&quot; has no event type &quot;Nope&quot;",
        ),
        (
            format!("{TYPE_PAGE}/versions/9"),
            "has no version &quot;9&quot; (it has versions 1 to 3)",
        ),
        (
            format!("{TYPE_PAGE}/versions/x%3Cy"),
            "has no version &quot;x&lt;y&quot;",
        ),
        (
            format!("{TYPE_PAGE}/compare?from=1&to=7"),
            "has no version &quot;7&quot;",
        ),
    ] {
        let answer = get(&state, &uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.content_type, "text/html; charset=utf-8", "{uri}");
        assert!(answer.text.contains(needle), "{uri}: {}", answer.text);
    }
    let answer = get(&state, "/sources/%FF").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text.contains("Bad path"));
}

#[tokio::test]
async fn a_removed_type_keeps_its_last_examples_and_says_it_was_removed() {
    let mut repo = TestRepository::with_module(
        "Ada",
        "Add identity",
        &[
            ("sources/identity/identity.cue", Some(&person(FIRST))),
            (
                "sources/identity/examples/MySource%3AnewPerson/ada.json",
                Some("{\"first\": \"Ada\"}\n"),
            ),
        ],
    );
    let without_events = person(FIRST).replace(
        "\t// A person was registered.\n\t\"MySource:newPerson\": #Identity\n",
        "",
    );
    repo.commit(
        "main",
        "Linus",
        "Retire newPerson",
        &[
            ("sources/identity/identity.cue", Some(&without_events)),
            (
                "sources/identity/examples/MySource%3AnewPerson/ada.json",
                None,
            ),
        ],
    );
    let state = state_of(&repo);
    let html = page(&state, TYPE_PAGE).await;
    assert!(html.contains("Removed from the branch by Linus"), "{html}");
    let html = page(&state, &format!("{TYPE_PAGE}/versions/1")).await;
    assert!(
        html.contains("<code>ada.json</code> <span class=\"badge ok\">valid</span>"),
        "{html}"
    );
    let home = page(&state, "/").await;
    assert!(home.contains("<span class=\"badge bad\">removed</span>"));
}
