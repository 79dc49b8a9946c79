//! Every command that connects to NATS (`publish`, `publisher`, `tail`, `dev`) against secured
//! `nats-server`s started with configuration files: TLS with a CA and certificates made here
//! and client certificates required, user and password (flags, environment, URL), an nkey, a
//! token, a credentials file of an operator-mode account; and a user allowed one source only,
//! whose publish on another is refused (`publish` exits 1, the sidecar answers 403) and stores
//! nothing.

mod common;
use cuemesh_testkit as support;

use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use support::secure::{
    stored_count_as, tls_url, token_server, user_config, users_server, OperatorMode, Pki, ADMIN,
    ORDERS, TOKEN,
};
use support::{RegistryServer, VALID_PLACED};

/// Every variable the NATS options read: the test's own environment never leaks in.
const NATS_VARIABLES: [&str; 9] = [
    "NATS_URL",
    "NATS_CREDS",
    "NATS_NKEY",
    "NATS_USER",
    "NATS_PASSWORD",
    "NATS_TOKEN",
    "NATS_CA",
    "NATS_CERT",
    "NATS_KEY",
];

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cuemesh"));
    command.args(args).stdin(Stdio::null());
    for name in NATS_VARIABLES {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command(args, env).output().expect("runs cuemesh");
    (
        status.code().expect("an exit code"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The TLS options for `pki`'s CA and client certificate, as environment variables.
fn tls_environment(pki: &Pki) -> Vec<(&'static str, String)> {
    vec![
        ("NATS_CA", pki.ca.display().to_string()),
        ("NATS_CERT", pki.client_cert.display().to_string()),
        ("NATS_KEY", pki.client_key.display().to_string()),
    ]
}

fn borrowed<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    registry: RegistryServer,
    directory: tempfile::TempDir,
    placed: String,
    captured: String,
}

impl Fixture {
    fn new() -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let registry = runtime.block_on(RegistryServer::template());
        let directory = tempfile::tempdir().expect("a directory");
        let placed = directory.path().join("placed.json");
        std::fs::write(&placed, VALID_PLACED).expect("writing");
        let captured = directory.path().join("captured.json");
        std::fs::copy(
            support::template_directory()
                .join("sources/payments/examples/com.acme.payments.captured/card.json"),
            &captured,
        )
        .expect("copying the payments example");
        Fixture {
            runtime,
            registry,
            placed: placed.display().to_string(),
            captured: captured.display().to_string(),
            directory,
        }
    }

    /// `cuemesh publish` of the placed order (or the captured payment) to `url`.
    fn publish(
        &self,
        url: &str,
        payment: bool,
        flags: &[&str],
        env: &[(&str, &str)],
    ) -> (i32, String, String) {
        let (source, event_type, data) = if payment {
            (
                "com.acme.payments",
                "com.acme.payments.captured",
                &self.captured,
            )
        } else {
            ("com.acme.orders", "com.acme.orders.placed", &self.placed)
        };
        let mut args = vec!["publish", "--registry", &self.registry.url, "--nats", url];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[source, event_type, "1", data]);
        run(&args, env)
    }
}

const PAYMENTS_SUBJECT: &str = "events.com%2Eacme%2Epayments.com%2Eacme%2Epayments%2Ecaptured";

#[test]
fn publish_connects_with_every_kind_of_credentials_and_tls_from_flags_or_the_environment() {
    let fixture = Fixture::new();
    let pki = Pki::generate();
    let (secured, users) = users_server(&pki);
    let url = tls_url(&secured);

    // TLS and a user from the environment only: nothing secret on the command line.
    let mut env = tls_environment(&pki);
    env.push(("NATS_USER", ADMIN.0.to_string()));
    env.push(("NATS_PASSWORD", ADMIN.1.to_string()));
    let (code, stdout, stderr) = fixture.publish(&url, false, &[], &borrowed(&env));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("as EVENTS #1"), "{stdout}");

    // The nkey user, and TLS, from flags.
    let seed = fixture.directory.path().join("user.nk");
    std::fs::write(&seed, &users.nkey.seed).expect("writing the seed");
    let (ca, cert, key, seed) = (
        pki.ca.display().to_string(),
        pki.client_cert.display().to_string(),
        pki.client_key.display().to_string(),
        seed.display().to_string(),
    );
    let flags = [
        "--nats-tls-ca",
        &ca,
        "--nats-tls-cert",
        &cert,
        "--nats-tls-key",
        &key,
        "--nats-nkey",
        &seed,
    ];
    let (code, stdout, stderr) = fixture.publish(&url, false, &flags, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A wrong password: exit 2, saying authentication failed, never printing the password.
    let mut wrong = tls_environment(&pki);
    wrong.push(("NATS_USER", ADMIN.0.to_string()));
    wrong.push(("NATS_PASSWORD", "wrong-password-5e1".to_string()));
    let (code, stdout, stderr) = fixture.publish(&url, false, &[], &borrowed(&wrong));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(
        !stderr.contains("wrong-password-5e1") && !stdout.contains("wrong-password-5e1"),
        "{stderr}"
    );
    // The password in the URL is not printed either.
    let in_url = format!(
        "tls://{}:wrong-password-5e1@127.0.0.1:{}",
        ADMIN.0, secured.port
    );
    let (code, _, stderr) = fixture.publish(&in_url, false, &[], &borrowed(&tls_environment(&pki)));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("tls://admin:***@127.0.0.1"), "{stderr}");
    assert!(!stderr.contains("wrong-password-5e1"), "{stderr}");

    // A token, from the environment and in the URL.
    let token = token_server();
    let (code, stdout, stderr) =
        fixture.publish(&token.url(), false, &[], &[("NATS_TOKEN", TOKEN)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let token_url = format!("nats://{TOKEN}@127.0.0.1:{}", token.port);
    let (code, stdout, stderr) = fixture.publish(&token_url, false, &[], &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A credentials file of an operator-mode account.
    let operator = OperatorMode::start();
    let creds = operator.credentials.display().to_string();
    let (code, stdout, stderr) = fixture.publish(
        &operator.server.url(),
        false,
        &["--nats-creds", &creds],
        &[],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");

    fixture.runtime.block_on(async {
        assert_eq!(
            stored_count_as(&user_config(&secured, &pki, ADMIN)).await,
            2
        );
    });
}

#[test]
fn a_source_the_user_may_not_publish_exits_1_from_publish_and_is_403_from_the_sidecar() {
    let fixture = Fixture::new();
    let pki = Pki::generate();
    let (secured, _) = users_server(&pki);
    let url = tls_url(&secured);
    let mut env = tls_environment(&pki);
    env.push(("NATS_USER", ORDERS.0.to_string()));
    env.push(("NATS_PASSWORD", ORDERS.1.to_string()));
    let env = borrowed(&env);

    let (code, stdout, stderr) = fixture.publish(&url, true, &[], &env);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let refusal = format!("this user may not publish to {PAYMENTS_SUBJECT}");
    assert!(stderr.contains(&refusal), "{stderr}");
    let (code, stdout, stderr) = fixture.publish(&url, false, &[], &env);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let (_sidecar, address) = common::Daemon::spawn(
        command(
            &[
                "publisher",
                "--registry",
                &fixture.registry.url,
                "--nats",
                &url,
                "--listen",
                "127.0.0.1:0",
            ],
            &env,
        ),
        "http",
    );
    let json = [("Content-Type", "application/json")];
    let (status, body) = common::http(
        &address,
        "POST",
        "/v1/events/com.acme.payments/com.acme.payments.captured/versions/1",
        &json,
        &std::fs::read_to_string(&fixture.captured).expect("reads"),
    );
    assert_eq!(status, 403, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "forbidden");
    assert_eq!(body["error"]["subject"], PAYMENTS_SUBJECT);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains(&refusal)),
        "{body}"
    );
    let (status, body) = common::http(
        &address,
        "POST",
        "/v1/events/com.acme.orders/com.acme.orders.placed/versions/1",
        &json,
        VALID_PLACED,
    );
    assert_eq!(status, 201, "{body}");

    fixture.runtime.block_on(async {
        assert_eq!(
            stored_count_as(&user_config(&secured, &pki, ADMIN)).await,
            2,
            "the refused events stored nothing"
        );
    });
}

#[test]
fn tail_reads_a_tls_stream_as_an_nkey_user_and_dev_publishes_through_one() {
    let fixture = Fixture::new();
    let pki = Pki::generate();
    let (secured, users) = users_server(&pki);
    let seed = fixture.directory.path().join("user.nk");
    std::fs::write(&seed, &users.nkey.seed).expect("writing the seed");
    let mut env = tls_environment(&pki);
    env.push(("NATS_NKEY", seed.display().to_string()));
    let env = borrowed(&env);

    // `dev` with credentials in the URL: its banner shows the URL without the password.
    let url_with_password = format!("tls://{}:{}@127.0.0.1:{}", ADMIN.0, ADMIN.1, secured.port);
    let mut dev_env = tls_environment(&pki);
    dev_env.push(("NATS_URL", url_with_password));
    let mut dev = command(
        &[
            "dev",
            "--listen",
            "127.0.0.1:0",
            "--publisher-listen",
            "127.0.0.1:0",
        ],
        &borrowed(&dev_env),
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("starts cuemesh dev");
    let stdout = common::lines_on_a_thread(dev.stdout.take().expect("stdout"));
    let stderr = common::lines_on_a_thread(dev.stderr.take().expect("stderr"));
    let banner = until(&stdout, "cuemesh tail", &stderr);
    let _ = dev.kill();
    let _ = dev.wait();
    let nats_line = banner
        .iter()
        .find(|line| line.trim_start().starts_with("NATS"))
        .expect("a NATS line");
    assert!(
        nats_line.contains("tls://admin:***@127.0.0.1"),
        "{nats_line}"
    );
    assert!(!banner.join("\n").contains(ADMIN.1), "{banner:?}");

    let (code, stdout, stderr) = fixture.publish(&tls_url(&secured), false, &[], &env);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mut tail = command(
        &[
            "--format",
            "json",
            "tail",
            "--nats",
            &tls_url(&secured),
            "--from-start",
        ],
        &env,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("starts cuemesh tail");
    let lines = common::lines_on_a_thread(tail.stdout.take().expect("stdout"));
    let errors = common::lines_on_a_thread(tail.stderr.take().expect("stderr"));
    let line = lines.recv_timeout(Duration::from_secs(30));
    let _ = tail.kill();
    let _ = tail.wait();
    let line = line.unwrap_or_else(|error| {
        panic!(
            "no event from tail ({error}): {:?}",
            errors.try_iter().collect::<Vec<_>>()
        )
    });
    let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(
        event["attributes"]["type"], "com.acme.orders.placed",
        "{event}"
    );
}

/// Lines of `lines` up to the first with `needle`, failing with `stderr` after 60 s.
fn until(
    lines: &mpsc::Receiver<String>,
    needle: &str,
    stderr: &mpsc::Receiver<String>,
) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let done = line.contains(needle);
                seen.push(line);
                if done {
                    return seen;
                }
            }
            Err(error) => panic!(
                "no line with {needle:?} ({error}): {seen:?} {:?}",
                stderr.try_iter().collect::<Vec<_>>()
            ),
        }
    }
}
