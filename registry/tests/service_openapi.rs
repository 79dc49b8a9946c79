//! The service's own OpenAPI description (`GET /v1/openapi.json`) against the one list of
//! routes, `serve::ROUTES`: every route described, nothing described that is not a route, and
//! every route answering with a status and content type its description lists.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cuemesh_registry::serve::{description, ROUTES};
use std::collections::BTreeSet;
use support::service::{assert_refs_resolve, get, header, repository, send, state_of};

#[test]
fn the_description_is_openapi_3_and_its_references_resolve() {
    let document = description();
    let parsed: openapiv3::OpenAPI =
        serde_json::from_value(document.clone()).expect("an OpenAPI 3.0 document");
    assert!(parsed.openapi.starts_with("3.0"));
    assert_refs_resolve(&document);
}

#[test]
fn the_description_covers_exactly_the_routes() {
    let document = description();
    let described: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .expect("a path item")
                .keys()
                .filter(|key| !matches!(key.as_str(), "parameters" | "summary" | "description"))
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    let undescribed: Vec<_> = routed.difference(&described).collect();
    assert!(
        undescribed.is_empty(),
        "routes missing from openapi.json: {undescribed:?}"
    );
    let unrouted: Vec<_> = described.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "described but not routed: {unrouted:?}"
    );
}

#[tokio::test]
async fn the_service_serves_its_description() {
    let repo = repository();
    let state = state_of(&repo);
    let answer = get(&state, "/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(header(&answer, "content-type"), "application/json");
    assert_eq!(answer.body, description());
}

/// A path of `route` with its parameters filled with names the fixture has.
fn example_path(path: &str) -> String {
    path.replace("{source}", "Orders")
        .replace("{type}", "Orders.placed")
        .replace("{version}", "1")
        .replace("{subject}", "Orders-Orders.placed")
        .replace("{id}", "1")
}

#[tokio::test]
async fn every_route_answers_as_described() {
    let repo = repository();
    let state = state_of(&repo);
    let document = description();
    for route in ROUTES {
        let uri = example_path(route.path);
        let request = Request::builder()
            .method(route.method.to_uppercase().as_str())
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Body::from(if route.method == "post" { "{}" } else { "" }))
            .expect("request");
        let answer = send(&state, request).await;
        assert_ne!(
            answer.body["error"]["code"], "not_found",
            "{uri} fell through to the fallback"
        );
        assert_ne!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        let operation = &document["paths"][route.path][route.method];
        let status = answer.status.as_u16().to_string();
        let described = &operation["responses"][&status];
        assert!(
            !described.is_null(),
            "{} {uri} answered {status}, which its description does not list",
            route.method
        );
        let described = match described["$ref"].as_str() {
            Some(reference) => document
                .pointer(reference.strip_prefix('#').expect("local"))
                .expect("resolves"),
            None => described,
        };
        if let Some(content) = described["content"].as_object() {
            let content_type = header(&answer, "content-type");
            assert!(
                content.contains_key(content_type),
                "{uri}: {content_type} is not among {:?}",
                content.keys().collect::<Vec<_>>()
            );
        }
    }
}
