//! `cuemesh serve` and `cuemesh publisher` with `--tls-cert`/`--tls-key`: HTTPS over real
//! sockets with a certificate a test CA signed, checked by a rustls client that trusts that CA
//! alone; plain HTTP and clients that do not trust the certificate get no answer, and files
//! that cannot be used are named at start.

mod common;
use cuemesh_testkit as support;

use std::io::{Read, Write};
use std::process::Command;

use common::{cuemesh, Daemon};
use support::secure::{https, tls_connect, Pki};
use support::{NatsServer, RegistryServer, VALID_PLACED};

fn binary(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cuemesh"));
    command.args(args);
    command
}

/// What a plain-HTTP request to `address` gets back: never an HTTP answer from a TLS port.
fn plain_http_answer(address: &str) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(address).expect("connects");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .expect("a timeout");
    let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer
}

#[test]
fn the_registry_and_the_sidecar_serve_https_with_the_given_certificate() {
    let pki = Pki::generate();
    let directory = tempfile::tempdir().expect("a directory");
    let repository = common::template_repository(directory.path());
    let (cert, key) = (
        pki.server_cert.display().to_string(),
        pki.server_key.display().to_string(),
    );
    let (_registry, registry_address) = Daemon::spawn(
        binary(&[
            "serve",
            "--poll",
            "0",
            "--listen",
            "127.0.0.1:0",
            "--repo",
            &repository.display().to_string(),
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ]),
        "https",
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let (status, body) = https(&registry_address, &pki.ca, "GET", "/v1/sources", "")
            .await
            .expect("an HTTPS answer");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("com.acme.orders"), "{body}");
        // The registry offers HTTP/2 to clients that ask for it.
        let (_, protocol) = tls_connect(&registry_address, &pki.ca, &["h2", "http/1.1"])
            .await
            .expect("a handshake");
        assert_eq!(protocol.as_deref(), Some("h2"));
        // A client that does not trust the certificate's CA stops at the handshake.
        let Err(error) = tls_connect(&registry_address, &pki.other_ca, &["http/1.1"]).await else {
            panic!("a client trusting another CA connected");
        };
        assert!(error.to_string().contains("UnknownIssuer"), "{error}");
    });
    let answer = plain_http_answer(&registry_address);
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");

    // The sidecar, reading versions from a registry over plain HTTP on loopback.
    let registry = runtime.block_on(RegistryServer::template());
    let nats = NatsServer::start();
    let (_sidecar, sidecar_address) = Daemon::spawn(
        binary(&[
            "publisher",
            "--registry",
            &registry.url,
            "--nats",
            &nats.url(),
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ]),
        "https",
    );
    runtime.block_on(async {
        let (status, body) = https(
            &sidecar_address,
            &pki.ca,
            "POST",
            "/v1/events/com.acme.orders/com.acme.orders.placed/versions/1",
            VALID_PLACED,
        )
        .await
        .expect("an HTTPS answer");
        assert_eq!(status, 201, "{body}");
        assert!(body.contains("\"stream\":\"EVENTS\""), "{body}");
        // The sidecar speaks HTTP/1.1 only.
        let (_, protocol) = tls_connect(&sidecar_address, &pki.ca, &["h2", "http/1.1"])
            .await
            .expect("a handshake");
        assert_eq!(protocol.as_deref(), Some("http/1.1"));
        assert_eq!(support::stored_count(&nats).await, 1);
    });
    let answer = plain_http_answer(&sidecar_address);
    assert!(!answer.starts_with(b"HTTP/"), "{answer:?}");
}

#[test]
fn certificate_files_that_cannot_be_used_are_named_at_start() {
    let pki = Pki::generate();
    let directory = tempfile::tempdir().expect("a directory");
    let missing = directory.path().join("missing.pem").display().to_string();
    let (cert, key, other_key) = (
        pki.server_cert.display().to_string(),
        pki.server_key.display().to_string(),
        pki.client_key.display().to_string(),
    );
    let serve = |tls: &[&str]| {
        let mut args = vec!["serve", "--repo", "nowhere", "--listen", "127.0.0.1:0"];
        args.extend_from_slice(tls);
        cuemesh(directory.path(), &args)
    };
    let run = serve(&["--tls-cert", &missing, "--tls-key", &key]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the TLS certificate file")
            && run.stderr.contains("missing.pem"),
        "{}",
        run.stderr
    );
    let run = serve(&["--tls-cert", &cert, "--tls-key", &other_key]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("does not go with the certificate"),
        "{}",
        run.stderr
    );
    let run = serve(&["--tls-cert", &cert]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--tls-key"), "{}", run.stderr);

    let run = cuemesh(
        directory.path(),
        &[
            "publisher",
            "--registry",
            "http://127.0.0.1:9",
            "--nats",
            "nats://127.0.0.1:9",
            "--tls-cert",
            &key,
            "--tls-key",
            &key,
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("holds no PEM certificate"),
        "{}",
        run.stderr
    );
}
