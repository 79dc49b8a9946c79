//! The receiving side against a real `nats-server -js`: events the publisher stored come back
//! with the same attributes and data in both content modes; data that fails its schema is
//! marked invalid with its paths; malformed messages are reported with what is wrong; filters,
//! start positions and durable consumers select what is delivered.

use cuemesh_testkit as support;

use std::pin::pin;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use async_nats::HeaderMap;
use chrono::{TimeZone, Utc};
use cuemesh_publisher::{
    read_observations, subject_for, version_url, Attributes, ConsumerRecorder, ContentMode,
    DecodeError, Delivery, ErrorKind, EventData, ExtensionValue, LocalSchema, Pin, Publisher,
    PublisherConfig, Receiver, ReceiverConfig, RegistrySchema, StartAt, SubscribeConfig, Unchecked,
    Validation,
};
use futures::{Stream, StreamExt};
use support::{
    orders_pin, orders_schema, placed_pin, NatsServer, RegistryServer, ORDERS_CUE, VALID_ORDER,
    VALID_PLACED,
};

const REGISTRY: &str = "https://registry.example";

/// A server, the orders schema in a directory, and a structured-mode publisher (which
/// creates the stream).
struct Fixture {
    server: NatsServer,
    schemas: tempfile::TempDir,
    publisher: Publisher,
}

impl Fixture {
    async fn start() -> Fixture {
        let server = NatsServer::start();
        let schemas = tempfile::tempdir().expect("tempdir");
        let publisher = publisher(
            &server,
            orders_schema(schemas.path()),
            ContentMode::Structured,
        )
        .await;
        Fixture {
            server,
            schemas,
            publisher,
        }
    }

    fn receiver(&self) -> Receiver {
        receiver(orders_schema(self.schemas.path()))
    }
}

fn receiver(schemas: LocalSchema) -> Receiver {
    Receiver::new(
        ReceiverConfig {
            registry_url: Some(REGISTRY.to_string()),
            ..ReceiverConfig::default()
        },
        schemas,
    )
}

async fn publisher(server: &NatsServer, schemas: LocalSchema, mode: ContentMode) -> Publisher {
    let mut config = PublisherConfig::new(server.url(), REGISTRY);
    config.content_mode = mode;
    Publisher::connect(config, schemas)
        .await
        .expect("connects and creates the stream")
}

async fn jetstream_context(server: &NatsServer) -> jetstream::Context {
    jetstream::new(async_nats::connect(server.url()).await.expect("connects"))
}

/// Every event of the stream `EVENTS`, from the first, through an ephemeral consumer.
async fn everything_stored<'a>(
    receiver: &'a Receiver,
    server: &NatsServer,
) -> impl Stream<Item = Result<Delivery, cuemesh_publisher::ConsumeError>> + 'a {
    let config = SubscribeConfig {
        start: StartAt::First,
        ..SubscribeConfig::default()
    };
    receiver
        .subscribe(&jetstream_context(server).await, &config)
        .await
        .expect("subscribes")
}

/// The next `count` deliveries, failing the test when they do not come within seconds.
async fn next_deliveries(
    deliveries: &mut (impl Stream<Item = Result<Delivery, cuemesh_publisher::ConsumeError>> + Unpin),
    count: usize,
) -> Vec<Delivery> {
    let mut received = Vec::new();
    while received.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(10), deliveries.next())
            .await
            .expect("a delivery within 10 s")
            .expect("the consumer goes on")
            .expect("a delivery, not a consumer error");
        received.push(next);
    }
    received
}

/// Nothing more is delivered within half a second.
async fn assert_nothing_more(
    deliveries: &mut (impl Stream<Item = Result<Delivery, cuemesh_publisher::ConsumeError>> + Unpin),
) {
    let more = tokio::time::timeout(Duration::from_millis(500), deliveries.next()).await;
    assert!(more.is_err(), "unexpected delivery: {more:?}");
}

fn sample_attributes(id: &str) -> Attributes {
    let mut attributes = Attributes {
        id: Some(id.to_string()),
        subject: Some("order o-1 é".to_string()),
        time: Utc.with_ymd_and_hms(2026, 5, 17, 9, 30, 0).single(),
        ..Attributes::default()
    };
    attributes
        .extensions
        .insert("tenant".to_string(), ExtensionValue::from("acme %x"));
    attributes
}

/// Publishes `body` with `headers` to `subject`, bypassing every check of the publisher.
async fn publish_raw(server: &NatsServer, subject: String, headers: HeaderMap, body: &str) {
    let context = jetstream_context(server).await;
    context
        .publish_with_headers(subject, headers, body.to_string().into())
        .await
        .expect("sent")
        .await
        .expect("stored");
}

fn structured_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("Content-Type", "application/cloudevents+json");
    headers
}

fn orders_subject() -> String {
    subject_for("events", &orders_pin().source, &orders_pin().event_type)
}

fn orders_dataschema() -> String {
    let pin = orders_pin();
    version_url(REGISTRY, &pin.source, &pin.event_type, pin.version)
}

#[tokio::test]
async fn events_published_in_both_modes_come_back_with_identical_attributes_and_data() {
    let server = &NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    let structured = publisher(
        server,
        orders_schema(schemas.path()),
        ContentMode::Structured,
    )
    .await;
    let binary = publisher(server, orders_schema(schemas.path()), ContentMode::Binary).await;
    structured
        .publish(
            &orders_pin(),
            VALID_ORDER.as_bytes(),
            sample_attributes("e-structured"),
        )
        .await
        .expect("published");
    binary
        .publish(
            &orders_pin(),
            VALID_ORDER.as_bytes(),
            sample_attributes("e-binary"),
        )
        .await
        .expect("published");

    let receiver = receiver(orders_schema(schemas.path()));
    let mut deliveries = pin!(everything_stored(&receiver, server).await);
    let received = next_deliveries(&mut deliveries, 2).await;

    let expected_data: serde_json::Value = serde_json::from_str(VALID_ORDER).expect("JSON");
    let mut decoded = Vec::new();
    for (delivery, (mode, id)) in received.iter().zip([
        (ContentMode::Structured, "e-structured"),
        (ContentMode::Binary, "e-binary"),
    ]) {
        assert_eq!(delivery.subject, orders_subject());
        let event = delivery.event.as_ref().expect("a CloudEvent");
        assert_eq!(event.mode, mode);
        assert_eq!(event.attributes.id, id);
        assert_eq!(event.attributes.specversion, "1.0");
        assert_eq!(event.attributes.source, "com.example.orders");
        assert_eq!(event.attributes.event_type, "OrderCreated");
        assert_eq!(
            event.attributes.time,
            Utc.with_ymd_and_hms(2026, 5, 17, 9, 30, 0).single()
        );
        assert_eq!(event.attributes.subject.as_deref(), Some("order o-1 é"));
        assert_eq!(
            event.attributes.datacontenttype.as_deref(),
            Some("application/json")
        );
        assert_eq!(
            event.attributes.dataschema.as_deref(),
            Some(orders_dataschema().as_str())
        );
        assert_eq!(
            event.attributes.extensions.get("tenant"),
            Some(&ExtensionValue::from("acme %x"))
        );
        assert_eq!(event.data, Some(EventData::Json(expected_data.clone())));
        assert!(
            matches!(event.validation, Validation::Valid),
            "{:?}",
            event.validation
        );
        let mut attributes = event.attributes.clone();
        attributes.id = String::new();
        decoded.push(attributes);
    }
    assert_eq!(received[0].stream_sequence, 1);
    assert_eq!(received[1].stream_sequence, 2);
    // Apart from the id, both modes decode to the very same attributes.
    assert_eq!(decoded[0], decoded[1]);
}

#[tokio::test]
async fn data_that_fails_its_schema_is_marked_invalid_with_every_path() {
    let fixture = Fixture::start().await;
    let server = &fixture.server;
    let bad_data = r#"{"orderId": "x-1", "total": -1, "currency": "EUR", "items": []}"#;
    let structured_event = format!(
        r#"{{"specversion": "1.0", "id": "bad-1", "source": "com.example.orders",
            "type": "OrderCreated", "datacontenttype": "application/json",
            "dataschema": "{}", "data": {bad_data}}}"#,
        orders_dataschema()
    );
    publish_raw(
        server,
        orders_subject(),
        structured_headers(),
        &structured_event,
    )
    .await;
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("ce-specversion", "1.0"),
        ("ce-id", "bad-2"),
        ("ce-source", "com.example.orders"),
        ("ce-type", "OrderCreated"),
        ("Content-Type", "application/json"),
    ] {
        headers.insert(name, value);
    }
    headers.insert("ce-dataschema", orders_dataschema().as_str());
    publish_raw(server, orders_subject(), headers, bad_data).await;

    let receiver = fixture.receiver();
    let mut deliveries = pin!(everything_stored(&receiver, server).await);
    for delivery in next_deliveries(&mut deliveries, 2).await {
        let event = delivery.event.expect("a CloudEvent");
        let Validation::Invalid(violations) = &event.validation else {
            panic!(
                "{} should be invalid: {:?}",
                event.attributes.id, event.validation
            );
        };
        let mut paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, ["orderId", "total"], "{violations:?}");
        assert!(
            violations.iter().any(|v| v.message.contains(">=0")),
            "{violations:?}"
        );
    }
}

#[tokio::test]
async fn malformed_messages_are_reported_and_the_consumer_goes_on() {
    let fixture = Fixture::start().await;
    let server = &fixture.server;
    publish_raw(
        server,
        orders_subject(),
        structured_headers(),
        r#"{"id": "e", "source": "s", "type": "t"}"#,
    )
    .await;
    publish_raw(
        server,
        orders_subject(),
        structured_headers(),
        "{\"specversion\": \"1.0\",\n \"id\": \"e\",, }",
    )
    .await;
    publish_raw(
        server,
        orders_subject(),
        structured_headers(),
        r#"{"specversion": "0.3", "id": "e", "source": "s", "type": "t"}"#,
    )
    .await;
    publish_raw(server, orders_subject(), HeaderMap::new(), "plain bytes").await;
    fixture
        .publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect("published");

    let receiver = fixture.receiver();
    let mut deliveries = pin!(everything_stored(&receiver, server).await);
    let received = next_deliveries(&mut deliveries, 5).await;
    let errors: Vec<DecodeError> = received[..4]
        .iter()
        .map(|d| d.event.clone().expect_err("malformed"))
        .collect();
    assert!(matches!(
        errors[0],
        DecodeError::MissingAttribute {
            attribute: "specversion",
            ..
        }
    ));
    assert!(
        matches!(
            errors[1],
            DecodeError::EventJson {
                line: 2,
                column: 12,
                ..
            }
        ),
        "{}",
        errors[1]
    );
    assert_eq!(
        errors[2].to_string(),
        "unsupported specversion \"0.3\": only 1.0 is read"
    );
    assert!(matches!(
        errors[3],
        DecodeError::NotACloudEvent { content_type: None }
    ));
    assert_eq!(received[4].stream_sequence, 5);
    let valid = received[4].event.as_ref().expect("a CloudEvent");
    assert!(matches!(valid.validation, Validation::Valid));
}

#[tokio::test]
async fn events_without_a_resolvable_schema_are_unchecked_not_dropped() {
    let fixture = Fixture::start().await;
    let server = &fixture.server;
    let event = |id: &str, dataschema: Option<String>| {
        let mut event = serde_json::json!({
            "specversion": "1.0", "id": id, "source": "com.example.orders",
            "type": "OrderCreated", "data": {"orderId": "o-1"}
        });
        if let Some(dataschema) = dataschema {
            event["dataschema"] = dataschema.into();
        }
        event.to_string()
    };
    let unknown_version = version_url(REGISTRY, "com.example.orders", "OrderCreated", 9);
    let other_registry = version_url("https://elsewhere.example", "s", "t", 1);
    for body in [
        event("no-schema", None),
        event("unknown", Some(unknown_version.clone())),
        event("other", Some(other_registry)),
        event(
            "not-a-version",
            Some("https://schemas.example/order.json".into()),
        ),
    ] {
        publish_raw(server, orders_subject(), structured_headers(), &body).await;
    }

    let receiver = fixture.receiver();
    let mut deliveries = pin!(everything_stored(&receiver, server).await);
    let reasons: Vec<Unchecked> = next_deliveries(&mut deliveries, 4)
        .await
        .into_iter()
        .map(
            |delivery| match delivery.event.expect("a CloudEvent").validation {
                Validation::Unchecked(reason) => reason,
                other => panic!("expected unchecked, got {other:?}"),
            },
        )
        .collect();
    assert!(matches!(reasons[0], Unchecked::NoDataschema));
    assert_eq!(
        reasons[1].to_string(),
        "the schema is unavailable: no schema is known for com.example.orders OrderCreated v9"
    );
    assert!(matches!(reasons[2], Unchecked::OtherRegistry { .. }));
    assert_eq!(
        reasons[3].to_string(),
        "the dataschema is unusable: \"https://schemas.example/order.json\" is not the registry \
         URL of a version: its path has no /v1/sources/"
    );
}

#[tokio::test]
async fn filters_start_positions_and_durable_consumers_select_what_is_delivered() {
    let server = &NatsServer::start();
    let schemas = tempfile::tempdir().expect("tempdir");
    std::fs::write(schemas.path().join("orders.cue"), ORDERS_CUE).expect("schema");
    let shipped = Pin::new("com.example.shipping", "OrderCreated", 1);
    let local = LocalSchema::new()
        .with_version(orders_pin(), schemas.path(), "#OrderCreated", None)
        .with_version(shipped.clone(), schemas.path(), "#OrderCreated", None);
    let publisher = publisher(server, local.clone(), ContentMode::Binary).await;
    let publish = |pin: Pin, id: &'static str| {
        let publisher = &publisher;
        async move {
            let attributes = Attributes {
                id: Some(id.to_string()),
                ..Attributes::default()
            };
            publisher
                .publish(&pin, VALID_ORDER.as_bytes(), attributes)
                .await
                .expect("published");
        }
    };
    publish(orders_pin(), "o-1").await;
    publish(shipped.clone(), "s-1").await;
    publish(orders_pin(), "o-2").await;
    publish(shipped.clone(), "s-2").await;
    publish(orders_pin(), "o-3").await;

    let receiver = receiver(local);
    let context = jetstream_context(server).await;
    let ids = |deliveries: Vec<Delivery>| -> Vec<String> {
        deliveries
            .into_iter()
            .map(|d| d.event.expect("a CloudEvent").attributes.id)
            .collect()
    };

    // A source filter, from the start.
    let config = SubscribeConfig {
        source: Some("com.example.shipping".to_string()),
        start: StartAt::First,
        ..SubscribeConfig::default()
    };
    let mut deliveries = pin!(receiver
        .subscribe(&context, &config)
        .await
        .expect("subscribes"));
    assert_eq!(
        ids(next_deliveries(&mut deliveries, 2).await),
        ["s-1", "s-2"]
    );
    assert_nothing_more(&mut deliveries).await;

    // The last two of one source and type, then what is new.
    let config = SubscribeConfig {
        source: Some("com.example.orders".to_string()),
        event_type: Some("OrderCreated".to_string()),
        start: StartAt::Last(2),
        ..SubscribeConfig::default()
    };
    let mut last_two = pin!(receiver
        .subscribe(&context, &config)
        .await
        .expect("subscribes"));
    assert_eq!(ids(next_deliveries(&mut last_two, 2).await), ["o-2", "o-3"]);

    // The last one of the whole stream.
    let config = SubscribeConfig {
        start: StartAt::Last(1),
        ..SubscribeConfig::default()
    };
    let mut last_one = pin!(receiver
        .subscribe(&context, &config)
        .await
        .expect("subscribes"));
    assert_eq!(ids(next_deliveries(&mut last_one, 1).await), ["o-3"]);

    // Only new events, and a durable consumer that resumes where it was.
    let config = SubscribeConfig {
        start: StartAt::New,
        ..SubscribeConfig::default()
    };
    let mut new_only = pin!(receiver
        .subscribe(&context, &config)
        .await
        .expect("subscribes"));
    let durable = SubscribeConfig {
        durable_name: Some("audit".to_string()),
        start: StartAt::First,
        ..SubscribeConfig::default()
    };
    // The first run, on its own connection, closed when the run ends.
    let own_client = async_nats::connect(server.url()).await.expect("connects");
    {
        let own_context = jetstream::new(own_client.clone());
        let mut first_run = pin!(receiver
            .subscribe(&own_context, &durable)
            .await
            .expect("subscribes"));
        assert_eq!(
            ids(next_deliveries(&mut first_run, 5).await),
            ["o-1", "s-1", "o-2", "s-2", "o-3"]
        );
    }
    // Closed, and its pull request gone from the server, before the next event: a pull
    // request the server still holds would take the event, to be redelivered only after the
    // ack wait (on a loaded machine that happened).
    own_client.drain().await.expect("closes");
    let stream = context.get_stream("EVENTS").await.expect("the stream");
    let deadline = Instant::now() + Duration::from_secs(10);
    while stream
        .consumer_info("audit")
        .await
        .expect("the durable consumer")
        .num_waiting
        > 0
    {
        assert!(
            Instant::now() < deadline,
            "the first run's pull request stays"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    publish(shipped.clone(), "s-3").await;
    assert_eq!(ids(next_deliveries(&mut new_only, 1).await), ["s-3"]);
    assert_nothing_more(&mut last_two).await;
    let mut second_run = pin!(receiver
        .subscribe(&context, &durable)
        .await
        .expect("subscribes"));
    assert_eq!(ids(next_deliveries(&mut second_run, 1).await), ["s-3"]);
    assert_nothing_more(&mut second_run).await;
}

#[tokio::test]
async fn events_are_validated_against_the_registry_version_their_dataschema_names() {
    let registry = RegistryServer::template().await;
    let server = &NatsServer::start();
    let mut config = PublisherConfig::new(server.url(), &registry.url);
    config.content_mode = ContentMode::Binary;
    let publisher = Publisher::connect(config, RegistrySchema::new(&registry.url))
        .await
        .expect("connects");
    publisher
        .publish(
            &placed_pin(),
            VALID_PLACED.as_bytes(),
            Attributes::default(),
        )
        .await
        .expect("published");
    // Invalid through the imported package (`common.#Money`) and in the event's own fields.
    let invalid = VALID_PLACED
        .replace("EUR", "XXX")
        .replace("order-1042", "Bad Id");
    let pin = placed_pin();
    let event = serde_json::json!({
        "specversion": "1.0", "id": "bad-placed", "source": pin.source, "type": pin.event_type,
        "dataschema": version_url(&registry.url, &pin.source, &pin.event_type, pin.version),
        "data": serde_json::from_str::<serde_json::Value>(&invalid).expect("JSON"),
    });
    let subject = subject_for("events", &pin.source, &pin.event_type);
    publish_raw(server, subject, structured_headers(), &event.to_string()).await;

    let receiver = Receiver::new(
        ReceiverConfig {
            registry_url: Some(registry.url.clone()),
            ..ReceiverConfig::default()
        },
        RegistrySchema::new(&registry.url),
    );
    let mut deliveries = pin!(everything_stored(&receiver, server).await);
    let received = next_deliveries(&mut deliveries, 2).await;
    let valid = received[0].event.as_ref().expect("a CloudEvent");
    assert!(
        matches!(valid.validation, Validation::Valid),
        "{:?}",
        valid.validation
    );
    let invalid = received[1].event.as_ref().expect("a CloudEvent");
    let Validation::Invalid(violations) = &invalid.validation else {
        panic!("expected invalid, got {:?}", invalid.validation);
    };
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    assert!(paths.contains(&"total.currency"), "{paths:?}");
    assert!(paths.contains(&"orderId"), "{paths:?}");

    // A registry that cannot be reached leaves the events unchecked, with the reason.
    let unreachable = Receiver::new(
        ReceiverConfig::default(),
        RegistrySchema::with_timeout("http://127.0.0.1:9", Duration::from_secs(2)),
    );
    let mut deliveries = pin!(everything_stored(&unreachable, server).await);
    for delivery in next_deliveries(&mut deliveries, 2).await {
        match delivery.event.expect("a CloudEvent").validation {
            Validation::Unchecked(Unchecked::SchemaUnavailable(error)) => {
                assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
            }
            other => panic!("expected unchecked, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_consumer_goes_on_after_the_server_is_gone_for_a_while() {
    let mut fixture = Fixture::start().await;
    let receiver = fixture.receiver();
    let context = jetstream_context(&fixture.server).await;
    let config = SubscribeConfig {
        start: StartAt::First,
        idle_heartbeat: Duration::from_millis(500),
        ..SubscribeConfig::default()
    };
    fixture
        .publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect("published");
    let mut deliveries = pin!(receiver
        .subscribe(&context, &config)
        .await
        .expect("subscribes"));
    assert_eq!(next_deliveries(&mut deliveries, 1).await.len(), 1);

    fixture.server.stop();
    let missed = tokio::time::timeout(Duration::from_secs(10), deliveries.next())
        .await
        .expect("a missed heartbeat is reported")
        .expect("the consumer goes on");
    let error = missed.expect_err("an error while the server is gone");
    assert!(error.is_transient(), "{error:?}");

    fixture.server.restart();
    let attributes = Attributes {
        id: Some("after-restart".to_string()),
        ..Attributes::default()
    };
    fixture
        .publisher
        .publish(&orders_pin(), VALID_ORDER.as_bytes(), attributes)
        .await
        .expect("published after the restart");
    // Further missed heartbeats may come first, while the client reconnects, and so may the
    // first event again (delivery is at least once: its ack may not have reached the server
    // before it went away).
    let delivery = loop {
        let next = tokio::time::timeout(Duration::from_secs(15), deliveries.next())
            .await
            .expect("a delivery after the restart")
            .expect("the consumer goes on");
        match next {
            Ok(delivery) if delivery.stream_sequence == 1 => {}
            Ok(delivery) => break delivery,
            Err(error) => assert!(error.is_transient(), "{error:?}"),
        }
    };
    let event = delivery.event.expect("a CloudEvent");
    assert_eq!(event.attributes.id, "after-restart");
    assert_eq!(delivery.stream_sequence, 2);
}

#[tokio::test]
async fn a_recorder_records_each_version_decoded_at_most_once_a_minute() {
    let fixture = Fixture::start().await;
    let jetstream = jetstream_context(&fixture.server).await;
    assert!(
        read_observations(&jetstream)
            .await
            .expect("reads")
            .is_none(),
        "no bucket before anything is recorded"
    );
    let recorder = ConsumerRecorder::open(&jetstream, "billing")
        .await
        .expect("creates the bucket");
    let receiver = fixture.receiver().with_recorder(recorder);
    let event = |id: &str, data: &str| {
        format!(
            r#"{{"specversion": "1.0", "id": "{id}", "source": "com.example.orders",
                "type": "OrderCreated", "dataschema": "{}", "data": {data}}}"#,
            orders_dataschema()
        )
    };
    // An invalid event is not a decoded one: nothing is recorded.
    let invalid = event("bad", r#"{"orderId": "x-1", "total": -1}"#);
    let received = receiver
        .receive(Some(&structured_headers()), invalid.as_bytes())
        .await
        .expect("a CloudEvent");
    assert!(matches!(received.validation, Validation::Invalid(_)));
    let (observations, problems) = read_observations(&jetstream)
        .await
        .expect("reads")
        .expect("the bucket");
    assert_eq!((observations.len(), problems.len()), (0, 0));

    let valid = event("good", VALID_ORDER);
    let received = receiver
        .receive(Some(&structured_headers()), valid.as_bytes())
        .await
        .expect("a CloudEvent");
    assert!(
        matches!(received.validation, Validation::Valid),
        "{:?}",
        received.validation
    );
    let (observations, _) = read_observations(&jetstream)
        .await
        .expect("reads")
        .expect("the bucket");
    assert_eq!(observations.len(), 1, "{observations:?}");
    let observation = &observations[0];
    let pin = orders_pin();
    assert_eq!(
        (
            observation.consumer.as_str(),
            observation.source.as_str(),
            observation.event_type.as_str(),
            observation.version
        ),
        (
            "billing",
            pin.source.as_str(),
            pin.event_type.as_str(),
            pin.version
        )
    );
    assert!(observation.last_seen.ends_with('Z'), "{observation:?}");

    // Within the minute the same version is not written again; another version is.
    let recorder = receiver.recorder().expect("the recorder");
    assert!(!recorder.record(&pin).await.expect("records"));
    let next = Pin::new(&pin.source, &pin.event_type, pin.version + 1);
    assert!(recorder.record(&next).await.expect("records"));
    let (observations, _) = read_observations(&jetstream)
        .await
        .expect("reads")
        .expect("the bucket");
    let versions: Vec<u32> = observations.iter().map(|o| o.version).collect();
    assert_eq!(versions, [pin.version, pin.version + 1]);
    assert!(recorder.take_failure().is_none());
}
