//! Observed consumers end to end: `cuemesh tail --as CONSUMER` records the versions it decodes
//! in the `cuemesh-consumers` bucket of a real `nats-server -js`; `cuemesh serve --nats` (as a
//! user that may only read) shows them beside the declared consumers, in the API and on the
//! type's page, and follows new ones as they are recorded; `check --replay` warns about the
//! observed consumers no file declares; and a read-only user's `tail --as` prints its events
//! all the same, saying that nothing could be recorded.

mod common;
use cuemesh_testkit as support;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{cuemesh, http, pull_request_repository, write_files as write, Daemon, Run};
use serde_json::{json, Value};
use support::NatsServer;

const MODULE: &str = "module: \"schemas.example.com\"\n";
const SOURCE: &str = "package a\n\nsource: {id: \"A\", owner: \"@acme/a\"}\n\nevents: {\n\t// x happened.\n\t\"A:x\": #X\n}\n\n// X.\n#X: {\n\t// a number.\n\tn: int & <=100\n}\n";
const BILLING: &str = "package billing\n\nconsumer: {id: \"billing\", owner: \"@acme/billing\"}\n\nreads: \"A\": \"A:x\": version: 1\n";

const ADMIN: [&str; 4] = ["--nats-user", "admin", "--nats-password", "admin-pw"];
/// May read streams and buckets (create consumers, acknowledge, ask for information), and
/// may neither publish events, write keys, nor create, change or delete streams.
const VIEWER: [&str; 4] = ["--nats-user", "viewer", "--nats-password", "viewer-pw"];

fn server() -> NatsServer {
    let config = concat!(
        "authorization {\n  users: [\n",
        "    {user: \"admin\", password: \"admin-pw\"}\n",
        "    {user: \"viewer\", password: \"viewer-pw\", permissions: {",
        "publish: {allow: [\"$JS.API.>\", \"$JS.ACK.>\"], deny: [\"$JS.API.STREAM.CREATE.>\", ",
        "\"$JS.API.STREAM.UPDATE.>\", \"$JS.API.STREAM.DELETE.>\", \"$JS.API.STREAM.PURGE.>\", ",
        "\"$JS.API.STREAM.MSG.DELETE.>\", \"$KV.>\"]}, subscribe: {allow: [\"_INBOX.>\"]}}}\n",
        "  ]\n}\n"
    );
    NatsServer::start_with_config(Some(config))
}

/// `main` holds `A:x` version 1 and the consumer `billing` reading it; the working tree is
/// the branch `pr`.
fn repository() -> tempfile::TempDir {
    pull_request_repository(&[
        ("cue.mod/module.cue", MODULE),
        ("sources/a/a.cue", SOURCE),
        ("consumers/billing.cue", BILLING),
    ])
}

fn with(first: &[&str], second: &[&str]) -> Vec<String> {
    first
        .iter()
        .chain(second)
        .map(|argument| argument.to_string())
        .collect()
}

fn run(directory: &Path, arguments: &[String]) -> Run {
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    cuemesh(directory, &arguments)
}

/// `cuemesh tail` of the two stored events, as `consumer`, with `user`'s credentials.
fn tail_as(directory: &Path, nats: &str, registry: &str, consumer: &str, user: [&str; 4]) -> Run {
    let arguments = with(
        &[
            "--format",
            "json",
            "tail",
            "--nats",
            nats,
            "--registry",
            registry,
            "--from-start",
            "--count",
            "2",
            "--as",
            consumer,
        ],
        &user,
    );
    run(directory, &arguments)
}

/// The consumers `GET .../types/A:x/consumers` lists.
fn consumers(address: &str) -> Vec<Value> {
    let (status, body) = http(
        address,
        "GET",
        "/v1/sources/A/types/A%3Ax/consumers",
        &[],
        "",
    );
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("JSON");
    body["consumers"].as_array().expect("consumers").clone()
}

/// Asks until `condition` holds of the consumers listed, for at most 20 seconds.
fn consumers_when(address: &str, condition: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = consumers(address);
        if condition(&listed) {
            return listed;
        }
        assert!(Instant::now() < deadline, "never listed so: {listed:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn find<'v>(listed: &'v [Value], id: &str) -> Option<&'v Value> {
    listed.iter().find(|consumer| consumer["id"] == id)
}

#[test]
fn recorded_consumers_are_served_checked_and_a_read_only_user_records_nothing() {
    let nats = server();
    let nats_url = nats.url();
    let repository = repository();
    let root = repository.path();
    let serve = with(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--poll",
            "0",
            "--branch",
            "main",
            "--repo",
            &root.display().to_string(),
            "--nats",
            &nats_url,
        ],
        &VIEWER,
    );
    let (_registry, address) = Daemon::start(&serve);
    let registry = format!("http://{address}");

    // Nothing recorded yet: the declared consumer, observed by nobody.
    let listed = consumers(&address);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], "billing");
    assert_eq!(listed[0]["declared"], true);
    assert_eq!(listed[0]["observed"], Value::Null);

    let payload = root.join("event.json");
    std::fs::write(&payload, "{\"n\": 7}").expect("a payload");
    for id in ["e-1", "e-2"] {
        let publish = with(
            &[
                "publish",
                "--registry",
                &registry,
                "--nats",
                &nats_url,
                "A",
                "A:x",
                "1",
                &payload.display().to_string(),
                "--id",
                id,
            ],
            &ADMIN,
        );
        let published = run(root, &publish);
        assert_eq!(
            published.code, 0,
            "{}{}",
            published.stdout, published.stderr
        );
    }

    // `tail --as` records the version it decoded with, for the declared consumer and another.
    for consumer in ["billing", "audit"] {
        let tailed = tail_as(root, &nats_url, &registry, consumer, ADMIN);
        assert_eq!(tailed.code, 0, "{}{}", tailed.stdout, tailed.stderr);
        assert_eq!(tailed.stdout.lines().count(), 2, "{}", tailed.stdout);
        assert!(!tailed.stderr.contains("warning"), "{}", tailed.stderr);
    }

    // The registry, reading as a user that may not write, shows both, declared or not.
    let listed = consumers_when(&address, |listed| {
        find(listed, "billing").is_some_and(|c| !c["observed"].is_null())
            && find(listed, "audit").is_some()
    });
    let billing = find(&listed, "billing").expect("billing");
    assert_eq!(billing["declared"], true);
    assert_eq!(billing["owner"], "@acme/billing");
    assert_eq!(billing["version"], 1);
    assert_eq!(
        billing["observed"]["versions"][0]["version"], 1,
        "{billing}"
    );
    let audit = find(&listed, "audit").expect("audit");
    assert_eq!(audit["declared"], false, "{audit}");
    assert_eq!(audit["owner"], Value::Null, "{audit}");
    assert_eq!(audit["version"], 1, "{audit}");
    assert!(
        audit["observed"]["last_seen"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z')),
        "{audit}"
    );
    // The whole catalog's list says the same, read by read: billing's declared read with what
    // was recorded of it, then audit, which no file declares.
    let (status, body) = http(&address, "GET", "/v1/consumers", &[], "");
    assert_eq!(status, 200, "{body}");
    let all: Value = serde_json::from_str(&body).expect("JSON");
    let all = all["consumers"].as_array().expect("consumers");
    let ids: Vec<&Value> = all.iter().map(|consumer| &consumer["id"]).collect();
    assert_eq!(ids, ["billing", "audit"], "{body}");
    assert_eq!(all[0]["declared"], true, "{body}");
    assert_eq!(all[0]["file"], "consumers/billing.cue", "{body}");
    let read = &all[0]["reads"][0];
    assert_eq!(
        (&read["source"], &read["type"]),
        (&json!("A"), &json!("A:x"))
    );
    assert_eq!(read["observed"]["versions"][0]["version"], 1, "{body}");
    assert_eq!(all[1]["declared"], false, "{body}");
    assert_eq!(all[1]["owner"], Value::Null, "{body}");
    assert_eq!(all[1]["file"], Value::Null, "{body}");
    assert_eq!(
        all[1]["reads"],
        json!([{
            "source": "A",
            "type": "A:x",
            "version": 1,
            "observed": audit["observed"],
        }]),
        "{body}"
    );

    let (status, page) = http(&address, "GET", "/sources/A/types/A%3Ax", &[], "");
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("<th>Observed decoding</th>"), "{page}");
    assert!(
        page.contains("audit <span class=\"muted\">(not declared)</span>"),
        "{page}"
    );
    assert!(page.contains("1 (last seen "), "{page}");

    // A read-only user's tail prints its events and says the recording failed.
    let refused = tail_as(root, &nats_url, &registry, "intruder", VIEWER);
    assert_eq!(refused.code, 0, "{}{}", refused.stdout, refused.stderr);
    assert_eq!(refused.stdout.lines().count(), 2, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("cannot record") && refused.stderr.contains("intruder"),
        "{}",
        refused.stderr
    );

    // A consumer recorded while the registry runs appears without a restart.
    let tailed = tail_as(root, &nats_url, &registry, "warehouse", ADMIN);
    assert_eq!(tailed.code, 0, "{}{}", tailed.stdout, tailed.stderr);
    let listed = consumers_when(&address, |listed| find(listed, "warehouse").is_some());
    assert!(find(&listed, "intruder").is_none(), "{listed:?}");

    // A change of A:x, replayed by the read-only user: the observed consumers no file
    // declares are warnings, the declared one is not.
    write(
        root,
        &[("sources/a/a.cue", &SOURCE.replace("<=100", "<=90"))],
    );
    let mut check = with(&["--format", "json", "check", "--against", "main"], &VIEWER);
    check.extend(["--replay".to_string(), nats_url.clone()]);
    let checked = run(root, &check);
    let undeclared: Vec<Value> = checked
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .filter(|line| line["code"] == "CONSUMER_UNDECLARED")
        .collect();
    let named: Vec<&str> = undeclared
        .iter()
        .map(|finding| {
            assert_eq!(finding["severity"], "warning", "{finding}");
            assert_eq!(finding["type"], "A:x", "{finding}");
            let message = finding["message"].as_str().expect("a message");
            ["audit", "warehouse"]
                .into_iter()
                .find(|id| message.contains(&format!("consumer {id:?}")))
                .unwrap_or_else(|| panic!("names no undeclared consumer: {message}"))
        })
        .collect();
    assert_eq!(named, ["audit", "warehouse"], "{}", checked.stdout);
    assert!(
        !checked
            .stdout
            .contains("consumer \\\"billing\\\" was observed"),
        "{}",
        checked.stdout
    );
    // The tightened bound is the only error (no stored event crosses it).
    assert_eq!(checked.code, 1, "{}{}", checked.stdout, checked.stderr);
}
