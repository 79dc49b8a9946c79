//! The publisher against secured NATS servers, started with configuration files: TLS with a
//! CA and certificates made here and client certificates required, users with and without
//! permissions, an nkey user, a token, and an operator-mode account with a credentials file.
//! Each connects, publishes or is refused as expected; a refused publish stores nothing and is
//! refused at once, not after the publish timeout.

use cuemesh_testkit as support;

use std::sync::Arc;
use std::time::Duration;

use cuemesh_publisher::sidecar::{app, SidecarConfig};
use cuemesh_publisher::tls::TlsFileError;
use cuemesh_publisher::{
    Attributes, ConnectError, ErrorKind, LocalSchema, NatsConfig, NatsError, Pin, PublishError,
    Publisher, PublisherConfig, Secret,
};
use support::secure::{
    stored_count_as, token_server, user_config, users_server, OperatorMode, Pki, ADMIN, ORDERS,
    READER, TOKEN,
};
use support::{NatsServer, ORDERS_CUE, VALID_ORDER};

const REGISTRY: &str = "https://registry.example";

/// The orders schema pinned for the orders source (which the `orders` user may publish) and
/// for the payments source (which it may not).
fn pins(directory: &std::path::Path) -> (LocalSchema, Pin, Pin) {
    std::fs::write(directory.join("orders.cue"), ORDERS_CUE).expect("writing the schema");
    let allowed = Pin::new("com.acme.orders", "OrderCreated", 1);
    let refused = Pin::new("com.acme.payments", "OrderCreated", 1);
    let schemas = LocalSchema::new()
        .with_version(allowed.clone(), directory, "#OrderCreated", None)
        .with_version(refused.clone(), directory, "#OrderCreated", None);
    (schemas, allowed, refused)
}

/// A publisher configuration that would wait a minute for a PubAck that does not come: a
/// refusal answered before that is answered by the server's refusal itself.
fn patient(nats: NatsConfig) -> PublisherConfig {
    let mut config = PublisherConfig::new(nats, REGISTRY);
    config.publish_timeout = Duration::from_secs(60);
    config.retry.retries = 0;
    config
}

async fn connect(nats: NatsConfig) -> Result<Publisher, ConnectError> {
    // One schema folder for the whole file, written once: tests run in parallel, and a test
    // rewriting the file while another loads it would read it empty.
    static SCHEMAS: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let directory = SCHEMAS.get_or_init(|| {
        let directory = tempfile::tempdir().expect("a directory");
        std::fs::write(directory.path().join("orders.cue"), ORDERS_CUE).expect("the schema");
        directory
    });
    let allowed = Pin::new("com.acme.orders", "OrderCreated", 1);
    let schemas = LocalSchema::new().with_version(allowed, directory.path(), "#OrderCreated", None);
    Publisher::connect(patient(nats), schemas).await
}

async fn publishes(nats: NatsConfig) {
    let publisher = connect(nats).await.expect("connects");
    let receipt = publisher
        .publish(
            &Pin::new("com.acme.orders", "OrderCreated", 1),
            VALID_ORDER.as_bytes(),
            Attributes::default(),
        )
        .await
        .expect("stored");
    assert_eq!(receipt.stream, "EVENTS");
}

fn nats_error(result: Result<Publisher, ConnectError>) -> NatsError {
    match result {
        Err(ConnectError::Nats(error)) => error,
        Err(other) => panic!("not a NATS connection error: {other:#?}"),
        Ok(_) => panic!("connected"),
    }
}

#[tokio::test]
async fn tls_with_a_client_certificate_and_users_connects_and_failures_say_what_failed() {
    let pki = Pki::generate();
    let (server, users) = users_server(&pki);
    publishes(user_config(&server, &pki, ADMIN)).await;

    // The nkey user, its seed in a file as `nsc` decorates it.
    let seed_file = pki.directory.path().join("user.nk");
    std::fs::write(
        &seed_file,
        format!(
            "-----BEGIN USER NKEY SEED-----\n{}\n------END USER NKEY SEED------\n",
            users.nkey.seed
        ),
    )
    .expect("writing the seed");
    let mut nkey = pki.client(NatsConfig::new(support::secure::tls_url(&server)));
    nkey.nkey_file = Some(seed_file);
    publishes(nkey.clone()).await;

    // The user and password in the URL, on a nats:// URL that the server upgrades to TLS.
    let in_url = pki.client(NatsConfig::new(format!(
        "nats://{}:{}@127.0.0.1:{}",
        ADMIN.0, ADMIN.1, server.port
    )));
    publishes(in_url).await;

    // A wrong password: authentication, naming the user and never the password.
    let wrong = user_config(&server, &pki, (ADMIN.0, "not-the-password"));
    let error = nats_error(connect(wrong).await);
    assert!(
        matches!(error, NatsError::Authentication { .. }),
        "{error:?}"
    );
    let message = format!("{error:#}");
    assert!(message.contains("\"admin\""), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");

    // An nkey the server does not know: authentication, naming its public key.
    let stranger = support::secure::NkeyUser::generate();
    let stranger_file = pki.directory.path().join("stranger.nk");
    std::fs::write(&stranger_file, &stranger.seed).expect("writing the seed");
    let mut unknown = nkey.clone();
    unknown.nkey_file = Some(stranger_file);
    let message = nats_error(connect(unknown).await).to_string();
    assert!(
        message.starts_with("authentication failed") && message.contains(&stranger.public_key),
        "{message}"
    );
    assert!(!message.contains(&stranger.seed), "{message}");

    // Without the CA, the server's certificate is not trusted.
    let mut no_ca = user_config(&server, &pki, ADMIN);
    no_ca.tls_ca = None;
    let error = nats_error(connect(no_ca).await);
    assert!(matches!(error, NatsError::Certificate { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("not issued by a trusted authority"),
        "{error}"
    );

    // Another CA: the same.
    let mut other_ca = user_config(&server, &pki, ADMIN);
    other_ca.tls_ca = Some(pki.other_ca.clone());
    let error = nats_error(connect(other_ca).await);
    assert!(matches!(error, NatsError::Certificate { .. }), "{error:?}");

    // No client certificate, or one another CA signed: the server refuses it.
    for (cert, key) in [
        (None, None),
        (
            Some(pki.other_client_cert.clone()),
            Some(pki.other_client_key.clone()),
        ),
    ] {
        let mut config = user_config(&server, &pki, ADMIN);
        config.tls_cert = cert;
        config.tls_key = key;
        let error = nats_error(connect(config).await);
        assert!(
            matches!(
                error,
                NatsError::Certificate { .. } | NatsError::TlsHandshake { .. }
            ),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn files_are_checked_before_connecting_and_named() {
    let pki = Pki::generate();
    let nowhere = "nats://127.0.0.1:9";
    let mut missing = NatsConfig::new(nowhere);
    missing.tls_ca = Some(pki.directory.path().join("missing.pem"));
    let error = nats_error(connect(missing).await);
    assert!(
        matches!(
            &error,
            NatsError::TlsFile(TlsFileError::Read {
                what: "TLS CA file",
                ..
            })
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("missing.pem"), "{error}");

    let mut not_pem = NatsConfig::new(nowhere);
    not_pem.tls_ca = Some(pki.client_key.clone());
    let error = nats_error(connect(not_pem).await);
    assert!(
        error.to_string().contains("holds no PEM certificate"),
        "{error}"
    );

    let mut mismatched = NatsConfig::new(nowhere);
    mismatched.tls_cert = Some(pki.client_cert.clone());
    mismatched.tls_key = Some(pki.server_key.clone());
    let error = nats_error(connect(mismatched).await);
    assert!(
        error
            .to_string()
            .contains("does not go with the certificate"),
        "{error}"
    );

    let mut half = NatsConfig::new(nowhere);
    half.tls_cert = Some(pki.client_cert.clone());
    let error = nats_error(connect(half).await);
    assert!(
        matches!(
            error,
            NatsError::IncompleteClientCertificate {
                missing: "private key"
            }
        ),
        "{error:?}"
    );

    let mut bad_seed = NatsConfig::new(nowhere);
    let seed_file = pki.directory.path().join("bad.nk");
    std::fs::write(&seed_file, "SUAnotaseed\n").expect("writing");
    bad_seed.nkey_file = Some(seed_file);
    let error = nats_error(connect(bad_seed).await);
    assert!(matches!(error, NatsError::BadFile { .. }), "{error:?}");
}

#[tokio::test]
async fn tls_to_a_server_without_tls_is_a_failed_handshake() {
    let server = NatsServer::start();
    let error =
        nats_error(connect(NatsConfig::new(format!("tls://127.0.0.1:{}", server.port))).await);
    assert!(matches!(error, NatsError::TlsHandshake { .. }), "{error:?}");
}

#[tokio::test]
async fn a_token_from_the_options_or_the_url_connects_and_a_wrong_one_is_refused_unprinted() {
    let server = token_server();
    let mut config = NatsConfig::new(server.url());
    config.token = Some(Secret::new(TOKEN));
    publishes(config).await;
    publishes(NatsConfig::new(format!(
        "nats://{TOKEN}@127.0.0.1:{}",
        server.port
    )))
    .await;

    let mut wrong = NatsConfig::new(server.url());
    wrong.token = Some(Secret::new("wrong-token-81c2"));
    let message = format!("{:#}", nats_error(connect(wrong).await));
    assert!(message.starts_with("authentication failed"), "{message}");
    assert!(!message.contains("wrong-token-81c2"), "{message}");

    let url = format!("nats://wrong-token-81c2@127.0.0.1:{}", server.port);
    let message = format!("{:#}", nats_error(connect(NatsConfig::new(url)).await));
    assert!(!message.contains("wrong-token-81c2"), "{message}");
    assert!(message.contains("nats://***@127.0.0.1"), "{message}");

    let message = nats_error(connect(NatsConfig::new(server.url())).await).to_string();
    assert!(message.contains("without credentials"), "{message}");
}

#[tokio::test]
async fn a_credentials_file_of_an_operator_mode_account_connects() {
    let operator = OperatorMode::start();
    let mut config = NatsConfig::new(operator.server.url());
    config.credentials_file = Some(operator.credentials.clone());
    publishes(config).await;

    let mut stranger = NatsConfig::new(operator.server.url());
    stranger.credentials_file = Some(operator.stranger_credentials.clone());
    let message = nats_error(connect(stranger).await).to_string();
    assert!(message.starts_with("authentication failed"), "{message}");
    assert!(message.contains("stranger.creds"), "{message}");
}

#[tokio::test]
async fn a_publish_the_user_may_not_make_is_refused_at_once_and_stores_nothing() {
    let pki = Pki::generate();
    let (server, _) = users_server(&pki);
    let directory = tempfile::tempdir().expect("a directory");
    let (schemas, allowed, refused) = pins(directory.path());
    let publisher = Publisher::connect(patient(user_config(&server, &pki, ORDERS)), schemas)
        .await
        .expect("connects");

    publisher
        .publish(&allowed, VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect("the orders source is allowed");
    // With a minute to wait for each PubAck and no retry, an answer in the test's time is the
    // server's refusal.
    let failure = publisher
        .publish(&refused, VALID_ORDER.as_bytes(), Attributes::default())
        .await
        .expect_err("the payments source is not allowed");
    assert_eq!(failure.kind(), ErrorKind::Forbidden, "{failure}");
    assert!(
        matches!(&failure, PublishError::Forbidden { subject, .. }
            if subject == "events.com%2Eacme%2Epayments.OrderCreated"),
        "{failure:?}"
    );
    assert!(
        failure
            .to_string()
            .contains("may not publish to events.com%2Eacme%2Epayments.OrderCreated"),
        "{failure}"
    );
    // Many at once: each refused, and the allowed ones beside them stored.
    let payloads = vec![(VALID_ORDER.as_bytes(), Attributes::default()); 50];
    let results = publisher.publish_many(&refused, payloads.clone()).await;
    assert!(results
        .iter()
        .all(|result| matches!(result, Err(PublishError::Forbidden { .. }))));
    let results = publisher.publish_many(&allowed, payloads).await;
    assert!(results.iter().all(Result::is_ok));

    // Through the sidecar: 403 naming the subject, and nothing stored.
    let sidecar = app(Arc::new(publisher), SidecarConfig::default());
    let (url, _stop) = support::serve_sidecar_on_loopback(sidecar).await;
    let answer = post(&format!(
        "{url}/v1/events/com.acme.payments/OrderCreated/versions/1"
    ))
    .await;
    assert_eq!(answer.0, 403, "{}", answer.1);
    let body: serde_json::Value = serde_json::from_str(&answer.1).expect("JSON");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(
        body["error"]["subject"],
        "events.com%2Eacme%2Epayments.OrderCreated"
    );
    let answer = post(&format!(
        "{url}/v1/events/com.acme.orders/OrderCreated/versions/1"
    ))
    .await;
    assert_eq!(answer.0, 201, "{}", answer.1);

    assert_eq!(
        stored_count_as(&user_config(&server, &pki, ADMIN)).await,
        52
    );
}

/// POSTs the valid order; the status and body.
async fn post(url: &str) -> (u16, String) {
    use http_body_util::BodyExt;
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let request = hyper::Request::post(url)
        .header("content-type", "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(VALID_ORDER)))
        .expect("a request");
    let response = client.request(request).await.expect("an answer");
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.expect("a body");
    (
        status,
        String::from_utf8_lossy(&body.to_bytes()).into_owned(),
    )
}

#[tokio::test]
async fn a_user_who_may_not_use_the_jetstream_api_is_refused_at_connect_naming_the_subject() {
    let pki = Pki::generate();
    let (server, _) = users_server(&pki);
    let error = nats_error(connect(user_config(&server, &pki, READER)).await);
    match &error {
        NatsError::Authorization {
            operation: "publish to",
            subject,
            ..
        } => assert!(subject.starts_with("$JS.API."), "{subject}"),
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().starts_with("authorization failed"),
        "{error}"
    );
}
