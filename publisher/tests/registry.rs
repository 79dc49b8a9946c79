//! `RegistrySchema` against a real registry (`cuemesh_registry::serve::app` over a real Git
//! repository, on loopback): packages that import others, the digest check, the errors.

use cuemesh_testkit as support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use cuemesh_publisher::{
    parse_version_url, version_url, ErrorKind, Pin, RegistrySchema, SchemaError, SchemaSource,
};
use support::{
    placed_pin, registry_app, serve_on_loopback, template_repository, whole_body, RegistryServer,
    VALID_PLACED,
};
use tower::ServiceExt;

#[tokio::test]
async fn a_pinned_version_that_imports_another_package_compiles_and_validates() {
    let registry = RegistryServer::template().await;
    let schemas = RegistrySchema::new(&registry.url);
    let validator = schemas.resolve(&placed_pin()).await.expect("resolves");
    let digest = validator.digest.clone().expect("the digest was checked");
    assert!(digest.starts_with("sha256:"), "{digest}");
    assert!(validator
        .schema
        .validate_json("ok.json", VALID_PLACED)
        .is_valid());
    // `common.#Money` came with the package: a bad currency is caught through the import.
    let invalid = VALID_PLACED
        .replace("EUR", "XXX")
        .replace("order-1042", "Bad Id");
    let validation = validator.schema.validate_json("bad.json", &invalid);
    let paths: Vec<&str> = validation.errors.iter().map(|e| e.path.as_str()).collect();
    assert!(paths.contains(&"total.currency"), "{paths:?}");
    assert!(paths.contains(&"orderId"), "{paths:?}");
}

#[tokio::test]
async fn every_version_resolves_to_its_own_schema() {
    let template =
        std::fs::read_to_string(support::template_directory().join("sources/orders/orders.cue"))
            .expect("the template");
    let stricter = template.replace("quantity: int & >=1", "quantity: int & >=5");
    assert_ne!(
        stricter, template,
        "the template still has the quantity rule"
    );
    let registry = RegistryServer::start(template_repository(&[(
        "sources/orders/orders.cue",
        &stricter,
    )]))
    .await;
    let schemas = RegistrySchema::new(format!("{}/", registry.url));
    let one = schemas.resolve(&placed_pin()).await.expect("version 1");
    let two_pin = Pin::new("com.acme.orders", "com.acme.orders.placed", 2);
    let two = schemas.resolve(&two_pin).await.expect("version 2");
    assert_ne!(one.digest, two.digest);
    assert!(one.schema.validate_json("a.json", VALID_PLACED).is_valid());
    assert!(!two.schema.validate_json("a.json", VALID_PLACED).is_valid());
}

#[tokio::test]
async fn unknown_versions_are_not_found_and_a_dead_registry_is_unavailable() {
    let registry = RegistryServer::template().await;
    let schemas = RegistrySchema::new(&registry.url);
    for pin in [
        Pin::new("com.acme.orders", "com.acme.orders.placed", 9),
        Pin::new("com.acme.orders", "no.such.type", 1),
        Pin::new("no.such.source", "com.acme.orders.placed", 1),
    ] {
        let error = schemas.resolve(&pin).await.expect_err("unknown");
        assert!(matches!(error, SchemaError::NotFound { .. }), "{error}");
        assert_eq!(error.kind(), ErrorKind::NotFound);
    }

    // A port nothing listens on any more.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("address").port()
    };
    let dead = RegistrySchema::new(format!("http://127.0.0.1:{closed}"));
    let error = dead
        .resolve(&placed_pin())
        .await
        .expect_err("nobody answers");
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(error.to_string().contains(&closed.to_string()), "{error}");
}

/// A registry in front of the real one that changes the package text it serves: the digest
/// the client computes no longer matches the one the registry lists.
#[tokio::test]
async fn a_package_that_does_not_match_its_digest_is_refused() {
    let repository = template_repository(&[]);
    let registry = registry_app(repository.path());
    let tampering = axum::Router::new().fallback(move |request: Request<Body>| {
        let registry = registry.clone();
        async move {
            let tamper = request.uri().path().ends_with("/package");
            let response = registry.oneshot(request).await.expect("infallible");
            if !tamper {
                return response;
            }
            let bytes = whole_body(response.into_body()).await;
            let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
            let changed = text.replace("quantity: int \u{26} >=1", "quantity: int \u{26} >=2");
            assert_ne!(changed, text, "the package holds the quantity rule");
            (StatusCode::OK, changed).into_response()
        }
    });
    let (url, _stop) = serve_on_loopback(tampering).await;
    let error = RegistrySchema::new(&url)
        .resolve(&placed_pin())
        .await
        .expect_err("the digest differs");
    assert!(
        matches!(error, SchemaError::DigestMismatch { .. }),
        "{error}"
    );
    assert_eq!(error.kind(), ErrorKind::Internal);
}

#[test]
fn a_dataschema_names_its_registry_and_pin() {
    let url = version_url(
        "http://127.0.0.1:9/r",
        "com.acme.orders",
        "com.acme.orders.placed",
        1,
    );
    let (base, pin) = parse_version_url(&url).expect("parses");
    assert_eq!(base, "http://127.0.0.1:9/r");
    assert_eq!(pin, placed_pin());
}
