//! The publisher against a real `nats-server -js`: what is stored, what is refused, and what
//! happens when the broker is gone.

use cuemesh_testkit as support;

use std::time::{Duration, Instant};

use async_nats::jetstream;
use chrono::{TimeZone, Utc};
use cuemesh_publisher::{
    Attributes, ErrorKind, ExtensionValue, Pin, PublishError, Publisher, PublisherConfig,
    RetryPolicy,
};
use support::{orders_pin, orders_schema, stored_count, stored_messages, NatsServer, VALID_ORDER};

const REGISTRY: &str = "https://registry.example";

fn config(server: &NatsServer) -> PublisherConfig {
    PublisherConfig::new(server.url(), REGISTRY)
}

async fn publisher(server: &NatsServer, schemas_dir: &tempfile::TempDir) -> Publisher {
    Publisher::connect(config(server), orders_schema(schemas_dir.path()))
        .await
        .expect("connects and creates the stream")
}

#[tokio::test]
async fn a_valid_event_is_stored_once_with_every_attribute() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let publisher = publisher(&server, &schemas).await;
    let time = Utc
        .with_ymd_and_hms(2026, 5, 17, 9, 30, 0)
        .single()
        .expect("a valid time");
    let mut attributes = Attributes {
        subject: Some("order o-1".to_string()),
        time: Some(time),
        ..Attributes::default()
    };
    attributes
        .extensions
        .insert("tenant".to_string(), ExtensionValue::from("acme"));

    let receipt = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), attributes)
        .await
        .expect("published");
    assert_eq!(receipt.stream, "EVENTS");
    assert_eq!(receipt.sequence, 1);
    assert!(!receipt.duplicate);
    let id = uuid::Uuid::parse_str(&receipt.id).expect("a UUID id by default");
    assert_eq!(id.get_version_num(), 7);

    let messages = stored_messages(&server).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(
        message.subject.as_str(),
        "events.com%2Eexample%2Eorders.OrderCreated"
    );
    let headers = message.headers.as_ref().expect("headers");
    assert_eq!(
        headers.get("Nats-Msg-Id").map(|v| v.as_str()),
        Some(receipt.id.as_str())
    );
    assert_eq!(
        headers.get("Content-Type").map(|v| v.as_str()),
        Some("application/cloudevents+json")
    );
    let event: serde_json::Value = serde_json::from_slice(&message.payload).expect("JSON");
    assert_eq!(event["specversion"], "1.0");
    assert_eq!(event["id"], receipt.id.as_str());
    assert_eq!(event["source"], "com.example.orders");
    assert_eq!(event["type"], "OrderCreated");
    assert_eq!(event["subject"], "order o-1");
    assert_eq!(event["tenant"], "acme");
    assert_eq!(event["datacontenttype"], "application/json");
    assert_eq!(
        event["dataschema"],
        "https://registry.example/v1/sources/com.example.orders/types/OrderCreated/versions/2"
    );
    let stored_time =
        chrono::DateTime::parse_from_rfc3339(event["time"].as_str().expect("time is a string"))
            .expect("RFC 3339");
    assert_eq!(stored_time, time);
    let data: serde_json::Value = serde_json::from_str(VALID_ORDER).expect("JSON");
    assert_eq!(event["data"], data);
}

#[tokio::test]
async fn an_invalid_payload_lists_every_violation_and_sends_nothing() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let publisher = publisher(&server, &schemas).await;
    let payload =
        r#"{"orderId": "x-1", "total": -1, "currency": "GBP", "items": [{"sku": "a", "qty": 0}]}"#;

    let error = publisher
        .publish(&orders_pin(), payload.as_bytes(), Attributes::default())
        .await
        .expect_err("invalid");
    assert_eq!(error.kind(), ErrorKind::Invalid);
    let mut paths: Vec<&str> = error.violations().iter().map(|v| v.path.as_str()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(
        paths,
        ["currency", "items.0.qty", "orderId", "total"],
        "{error}"
    );
    assert_eq!(stored_count(&server).await, 0);

    let not_json = publisher
        .publish(&orders_pin(), b"{\"orderId\": ", Attributes::default())
        .await
        .expect_err("not JSON");
    assert_eq!(not_json.kind(), ErrorKind::Invalid);
    assert!(!not_json.violations().is_empty());
    assert_eq!(stored_count(&server).await, 0);
}

#[tokio::test]
async fn the_same_id_twice_is_stored_once() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let publisher = publisher(&server, &schemas).await;
    let attributes = Attributes {
        id: Some("order-o-1-created".to_string()),
        ..Attributes::default()
    };
    let first = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), attributes.clone())
        .await
        .expect("first");
    let second = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), attributes)
        .await
        .expect("second");
    assert!(!first.duplicate);
    assert!(second.duplicate);
    assert_eq!(first.sequence, second.sequence);
    assert_eq!(second.id, "order-o-1-created");
    assert_eq!(stored_count(&server).await, 1);
}

#[tokio::test]
async fn an_unknown_pin_is_not_found() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let publisher = publisher(&server, &schemas).await;
    let error = publisher
        .publish(
            &Pin::new("com.example.orders", "OrderCreated", 9),
            VALID_ORDER.as_bytes(),
            Attributes::default(),
        )
        .await
        .expect_err("unknown version");
    assert_eq!(error.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_payload_over_max_payload_is_too_large() {
    let server = NatsServer::start_with_config(Some("max_payload: 2048\n"));
    let schemas = tempfile::tempdir().expect("tempdir");
    let publisher = publisher(&server, &schemas).await;
    let note = "x".repeat(4096);
    let payload = format!(
        r#"{{"orderId": "o-1", "total": 1, "currency": "EUR", "items": [], "note": "{note}"}}"#
    );
    let error = publisher
        .publish(&orders_pin(), payload.as_bytes(), Attributes::default())
        .await
        .expect_err("too large");
    assert_eq!(error.kind(), ErrorKind::TooLarge, "{error}");
    assert_eq!(stored_count(&server).await, 0);
}

#[tokio::test]
async fn a_stopped_server_gives_unavailable_or_timeout_in_bounded_time() {
    let mut server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let mut config = config(&server);
    config.publish_timeout = Duration::from_millis(300);
    config.retry = RetryPolicy {
        retries: 2,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(100),
    };
    let publisher = Publisher::connect(config, orders_schema(schemas.path()))
        .await
        .expect("connects");
    server.stop();

    let started = Instant::now();
    let error = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect_err("no server");
    assert!(
        matches!(error.kind(), ErrorKind::Unavailable | ErrorKind::Timeout),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connecting_to_no_server_fails_quickly() {
    let server = NatsServer::start();
    let url = server.url();
    drop(server);
    let schemas = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let result = Publisher::connect(
        PublisherConfig::new(url, REGISTRY),
        orders_schema(schemas.path()),
    )
    .await;
    assert!(result.is_err());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn binary_mode_sends_the_data_with_ce_headers() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let mut config = config(&server);
    config.content_mode = cuemesh_publisher::ContentMode::Binary;
    let publisher = Publisher::connect(config, orders_schema(schemas.path()))
        .await
        .expect("connects");
    let receipt = publisher
        .publish(
            &orders_pin(),
            VALID_ORDER.as_bytes(),
            Attributes {
                subject: Some("order o-1".to_string()),
                ..Attributes::default()
            },
        )
        .await
        .expect("published");
    let messages = stored_messages(&server).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(&message.payload[..], VALID_ORDER.as_bytes());
    let headers = message.headers.as_ref().expect("headers");
    let header = |name: &str| headers.get(name).map(|v| v.as_str().to_string());
    assert_eq!(header("ce-id"), Some(receipt.id.clone()));
    assert_eq!(header("ce-specversion").as_deref(), Some("1.0"));
    assert_eq!(header("ce-source").as_deref(), Some("com.example.orders"));
    assert_eq!(header("ce-type").as_deref(), Some("OrderCreated"));
    assert_eq!(header("ce-subject").as_deref(), Some("order%20o-1"));
    assert!(header("ce-time").is_some());
    assert!(header("ce-dataschema").is_some());
    assert_eq!(header("Content-Type").as_deref(), Some("application/json"));
}

#[tokio::test]
async fn a_pinned_digest_that_does_not_match_is_refused() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let _ = orders_schema(schemas.path());
    let wrong = cuemesh_publisher::LocalSchema::new().with_version(
        orders_pin(),
        schemas.path(),
        "#OrderCreated",
        Some(format!("sha256:{}", "0".repeat(64))),
    );
    let publisher = Publisher::connect(config(&server), wrong)
        .await
        .expect("connects");
    let error = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect_err("digest mismatch");
    assert_eq!(error.kind(), ErrorKind::Internal);
    assert!(
        matches!(
            error,
            cuemesh_publisher::PublishError::Schema(
                cuemesh_publisher::SchemaError::DigestMismatch { .. }
            )
        ),
        "{error}"
    );
    // The digest it reports is the one to pin: pinning it works.
    let cuemesh_publisher::PublishError::Schema(cuemesh_publisher::SchemaError::DigestMismatch {
        actual,
        ..
    }) = error
    else {
        unreachable!()
    };
    let right = cuemesh_publisher::LocalSchema::new().with_version(
        orders_pin(),
        schemas.path(),
        "#OrderCreated",
        Some(actual),
    );
    let publisher = Publisher::connect(config(&server), right)
        .await
        .expect("connects");
    publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect("the right digest publishes");
    assert_eq!(stored_count(&server).await, 1);
}

#[tokio::test]
async fn publish_many_pipelines_and_answers_per_event_in_order() {
    let server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let mut config = config(&server);
    config.max_in_flight = 32;
    let publisher = Publisher::connect(config, orders_schema(schemas.path()))
        .await
        .expect("connects");
    let invalid = r#"{"orderId": "bad"}"#;
    let events: Vec<(&[u8], Attributes)> = (0..200)
        .map(|n| {
            let payload = if n == 57 { invalid } else { VALID_ORDER };
            let attributes = Attributes {
                id: Some(format!("event-{n}")),
                ..Attributes::default()
            };
            (payload.as_bytes(), attributes)
        })
        .collect();

    let results = publisher.publish_many(&orders_pin(), events.clone()).await;
    assert_eq!(results.len(), 200);
    for (n, result) in results.iter().enumerate() {
        match result {
            Ok(receipt) => {
                assert_ne!(n, 57);
                assert_eq!(receipt.id, format!("event-{n}"));
                assert!(!receipt.duplicate);
            }
            Err(error) => {
                assert_eq!(n, 57, "{error}");
                assert_eq!(error.kind(), ErrorKind::Invalid);
            }
        }
    }
    // Sent in the order given (nothing was retried): the stream's sequences follow it.
    let sequences: Vec<u64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok().map(|receipt| receipt.sequence))
        .collect();
    assert_eq!(sequences, (1..=199).collect::<Vec<u64>>());
    assert_eq!(stored_count(&server).await, 199);

    // A pin that does not resolve fails every event alone, and sends nothing.
    let unknown = cuemesh_publisher::Pin::new("nobody", "nothing", 1);
    let lost = publisher.publish_many(&unknown, events.clone()).await;
    assert_eq!(lost.len(), 200);
    assert!(lost
        .iter()
        .all(|r| r.as_ref().is_err_and(|e| e.kind() == ErrorKind::NotFound)));
    assert_eq!(stored_count(&server).await, 199);

    // The same ids again: every one a duplicate, nothing more stored.
    let again = publisher.publish_many(&orders_pin(), events).await;
    assert!(again
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .all(|receipt| receipt.duplicate));
    assert_eq!(stored_count(&server).await, 199);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_across_a_server_restart_is_retried_and_stored_once() {
    let mut server = NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let mut config = config(&server);
    config.publish_timeout = Duration::from_millis(500);
    config.retry = RetryPolicy {
        retries: 30,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
    };
    let publisher = std::sync::Arc::new(
        Publisher::connect(config, orders_schema(schemas.path()))
            .await
            .expect("connects"),
    );
    let with_id = |id: &str| Attributes {
        id: Some(id.to_string()),
        ..Attributes::default()
    };
    publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), with_id("before"))
        .await
        .expect("published before the restart");

    server.stop();
    let in_flight = {
        let publisher = publisher.clone();
        tokio::spawn(async move {
            publisher
                .publish(&orders_pin(), VALID_ORDER.as_bytes(), with_id("across"))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.restart();

    let receipt = in_flight
        .await
        .expect("the task ends")
        .expect("published once the server is back");
    assert_eq!(receipt.id, "across");
    assert_eq!(stored_count(&server).await, 2);
    let again = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), with_id("across"))
        .await
        .expect("published again");
    assert!(again.duplicate);
    assert_eq!(stored_count(&server).await, 2);
}

/// The error and each of its sources.
fn causes(error: &PublishError) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error as &dyn std::error::Error), |e| e.source())
}

/// Every event of a pipelined publish gets JetStream's own answer: a stream that keeps two
/// messages and refuses more stores two and refuses the rest, each with JetStream's reason;
/// with the stream deleted under the publisher, no stream answers and the publish is
/// Unavailable at once rather than after its timeout.
#[tokio::test]
async fn jetstream_refusals_and_a_missing_stream_are_told_per_event() {
    let server = NatsServer::start();
    let client = async_nats::connect(server.url()).await.expect("connects");
    let context = jetstream::new(client);
    context
        .create_stream(jetstream::stream::Config {
            name: "EVENTS".to_string(),
            subjects: vec!["events.>".to_string()],
            max_messages: 2,
            discard: jetstream::stream::DiscardPolicy::New,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .expect("creates the stream");
    let schemas = tempfile::tempdir().expect("tempdir");
    let mut config = config(&server);
    config.publish_timeout = Duration::from_secs(30);
    let publisher = Publisher::connect(config, orders_schema(schemas.path()))
        .await
        .expect("connects to the existing stream");
    let events: Vec<(&[u8], Attributes)> = (0..5)
        .map(|n| {
            let attributes = Attributes {
                id: Some(format!("event-{n}")),
                ..Attributes::default()
            };
            (VALID_ORDER.as_bytes(), attributes)
        })
        .collect();
    let results = publisher.publish_many(&orders_pin(), events).await;
    let stored: Vec<u64> = results[..2]
        .iter()
        .map(|result| result.as_ref().expect("stored").sequence)
        .collect();
    assert_eq!(stored, [1, 2]);
    for (n, result) in results.iter().enumerate().skip(2) {
        let error = result.as_ref().expect_err("the stream is full");
        assert_eq!(error.kind(), ErrorKind::Internal, "{error}");
        assert_eq!(error.event_id(), Some(format!("event-{n}").as_str()));
        // JetStream's own error, "maximum messages exceeded", is among the sources.
        let refusal = causes(error).find_map(|c| c.downcast_ref::<jetstream::Error>());
        assert!(
            refusal.is_some_and(|r| r.error_code() == jetstream::ErrorCode(10077)),
            "{:?}",
            causes(error)
                .map(|cause| cause.to_string())
                .collect::<Vec<_>>()
        );
    }
    assert_eq!(stored_count(&server).await, 2);

    context.delete_stream("EVENTS").await.expect("deleted");
    let started = Instant::now();
    let error = publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect_err("no stream");
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "answered by the server, not by the 30 s timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_existing_stream_with_a_shorter_duplicate_window_is_refused() {
    let server = NatsServer::start();
    let client = async_nats::connect(server.url()).await.expect("connects");
    jetstream::new(client)
        .create_stream(jetstream::stream::Config {
            name: "EVENTS".to_string(),
            subjects: vec!["events.>".to_string()],
            duplicate_window: Duration::from_secs(1),
            ..Default::default()
        })
        .await
        .expect("creates the stream");
    let schemas = tempfile::tempdir().expect("tempdir");
    let error = Publisher::connect(config(&server), orders_schema(schemas.path()))
        .await
        .err()
        .expect("refused");
    assert!(
        matches!(
            error,
            cuemesh_publisher::ConnectError::DuplicateWindow { .. }
        ),
        "{error}"
    );
}
