//! `cuemesh check --against main --replay NATS_URL` end to end: a real Git repository (`main`
//! with version 1 of `A:x`, a pull request branch changing it), a real registry serving `main`
//! on loopback, events stored by `cuemesh publish` in a real `nats-server -js`, and the built
//! binary replaying them against the change.

mod common;
use cuemesh_testkit as support;

use common::{cuemesh, pull_request_repository, write_files as write, Run};
use serde_json::Value;
use support::{registry_app, serve_on_loopback, NatsServer};

const MODULE: &str = "module: \"schemas.example.com\"\n";

/// The source package: `A:x` is `#X`, whose `n` is bounded by `bound`.
fn source(bound: u32) -> String {
    format!(
        "package a\n\nsource: {{id: \"A\", owner: \"@acme/a\"}}\n\nevents: {{\n\t// x happened.\n\t\"A:x\": #X\n}}\n\n// X.\n#X: {{\n\t// a number.\n\tn: int & <={bound}\n\t// a label.\n\tlabel?: string\n}}\n"
    )
}

/// The test's world: the repository (on branch `pr`, whose working tree the test edits), the
/// registry serving its `main`, and the NATS server holding the events.
struct World {
    repository: tempfile::TempDir,
    nats: NatsServer,
    runtime: tokio::runtime::Runtime,
    _registry: tokio::sync::oneshot::Sender<()>,
}

/// `main` holds `#X` with `n <= 100` (version 1); the events with these `n`, ids `e-1`...,
/// are published in order through `cuemesh publish` (stream sequences 1, 2, ...).
fn world(settings: &str, values: &[u32]) -> World {
    let repository = pull_request_repository(&[
        ("cue.mod/module.cue", MODULE),
        ("cuemesh.cue", settings),
        ("sources/a/a.cue", &source(100)),
    ]);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let app = registry_app(repository.path());
    let (registry_url, registry) = runtime.block_on(serve_on_loopback(app));
    let nats = NatsServer::start();
    let payloads = tempfile::tempdir().expect("a directory");
    for (index, n) in values.iter().enumerate() {
        let data = payloads.path().join(format!("{index}.json"));
        std::fs::write(
            &data,
            format!("{{\"n\": {n}, \"label\": \"event {index}\"}}"),
        )
        .expect("writes the payload");
        let id = format!("e-{}", index + 1);
        let published = cuemesh(
            payloads.path(),
            &[
                "publish",
                "--registry",
                &registry_url,
                "--nats",
                &nats.url(),
                "A",
                "A:x",
                "1",
                &data.display().to_string(),
                "--id",
                &id,
            ],
        );
        assert_eq!(
            published.code, 0,
            "{}{}",
            published.stdout, published.stderr
        );
    }
    World {
        repository,
        nats,
        runtime,
        _registry: registry,
    }
}

impl World {
    /// Changes the bound in the working tree (the pull request).
    fn bound(&self, bound: u32) {
        write(
            self.repository.path(),
            &[("sources/a/a.cue", &source(bound))],
        );
    }

    fn check(&self, args: &[&str]) -> Run {
        let url = self.nats.url();
        let mut all = vec!["--format", "json", "check", "--against", "main"];
        all.extend_from_slice(&["--replay", &url]);
        all.extend_from_slice(args);
        cuemesh(self.repository.path(), &all)
    }

    /// How many consumers the stream has: replay leaves none behind.
    fn consumers(&self) -> usize {
        let url = self.nats.url();
        self.runtime.block_on(async move {
            let client = async_nats::connect(url).await.expect("connects");
            let jetstream = async_nats::jetstream::new(client);
            let mut stream = jetstream.get_stream("EVENTS").await.expect("the stream");
            stream
                .info()
                .await
                .expect("stream info")
                .state
                .consumer_count
        })
    }
}

/// The JSON lines of `kind`.
fn lines(run: &Run, kind: &str) -> Vec<Value> {
    run.stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .filter(|line| line["kind"] == kind)
        .collect()
}

/// The `(sequence, id)` of each sample of a replay line.
fn samples(replay: &Value) -> Vec<(u64, String)> {
    replay["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|sample| {
            (
                sample["sequence"].as_u64().expect("a sequence"),
                sample["id"].as_str().expect("an id").to_string(),
            )
        })
        .collect()
}

/// Validates `value` against `#X` with the given bound, with the engine.
fn accepted_with_bound(bound: u32, value: &Value) -> bool {
    let package = cue::Package::load(
        cue::PackageFiles {
            files: vec![("a.cue".to_string(), source(bound))],
        },
        &cue::NoImports,
    );
    let schema = package.schema(Some("#X")).expect("#X compiles");
    schema
        .validate_json("counterexample.json", &value.to_string())
        .is_valid()
}

#[test]
fn a_tightened_bound_that_stored_events_cross_fails_naming_exactly_them() {
    let world = world("package cuemesh\n", &[10, 20, 75, 30, 90, 50]);
    world.bound(50);
    let run = world.check(&[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let replays = lines(&run, "replay");
    assert_eq!(replays.len(), 1, "{}", run.stdout);
    let replay = &replays[0];
    assert_eq!(replay["source"], "A");
    assert_eq!(replay["type"], "A:x");
    assert_eq!(replay["version"], 2);
    assert_eq!(
        (&replay["read"], &replay["valid"], &replay["rejected"]),
        (&Value::from(6), &Value::from(4), &Value::from(2))
    );
    assert_eq!(
        samples(replay),
        [(3, "e-3".to_string()), (5, "e-5".to_string())]
    );
    let violation = &replay["samples"][0]["violations"][0];
    assert_eq!(violation["path"], "n", "{replay}");
    assert!(
        violation["message"]
            .as_str()
            .expect("a message")
            .contains("75"),
        "{replay}"
    );
    let findings = lines(&run, "finding");
    let rejected: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "REPLAY_REJECTED")
        .collect();
    assert_eq!(rejected.len(), 1, "{}", run.stdout);
    assert_eq!(rejected[0]["severity"], "error");
    let message = rejected[0]["message"].as_str().expect("a message");
    assert!(message.contains("sequence 3, id e-3: n: "), "{message}");
    assert!(message.contains("sequence 5, id e-5: n: "), "{message}");
    assert!(!message.contains("e-6"), "{message}");
    assert_eq!(world.consumers(), 0, "replay left a consumer behind");
    // The structural finding of the same change, proven by a counterexample that the test
    // validates against both versions itself.
    let structural: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] != "REPLAY_REJECTED" && f["severity"] == "error")
        .collect();
    assert_eq!(structural.len(), 1, "{}", run.stdout);
    let counterexample = &structural[0]["counterexample"];
    assert_eq!(counterexample["accepted_by"], "previous", "{}", run.stdout);
    assert!(
        accepted_with_bound(100, &counterexample["value"]),
        "{counterexample}"
    );
    assert!(
        !accepted_with_bound(50, &counterexample["value"]),
        "{counterexample}"
    );
    // Without a terminal there is no progress line.
    assert!(!run.stderr.contains("replaying"), "{}", run.stderr);

    // The last 3 events only: sequences 4, 5 and 6, of which 5 is rejected.
    let last = world.check(&["--last", "3"]);
    assert_eq!(last.code, 1, "{}{}", last.stdout, last.stderr);
    let replay = &lines(&last, "replay")[0];
    assert_eq!(
        (&replay["read"], &replay["rejected"]),
        (&Value::from(3), &Value::from(1))
    );
    assert_eq!(samples(replay), [(5, "e-5".to_string())]);
    assert_eq!(world.consumers(), 0, "replay left a consumer behind");

    // The text format says the same.
    let url = world.nats.url();
    let text = cuemesh(
        world.repository.path(),
        &["check", "--against", "main", "--replay", &url],
    );
    assert_eq!(text.code, 1, "{}{}", text.stdout, text.stderr);
    assert!(
        text.stdout
            .contains("replay A:x version 2: 6 read, 4 valid, 2 rejected"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("REPLAY_REJECTED"), "{}", text.stdout);
}

#[test]
fn a_change_no_stored_event_violates_passes_replay_but_keeps_its_structural_finding() {
    let world = world("package cuemesh\n", &[10, 20, 75, 30]);
    world.bound(80);
    let run = world.check(&[]);
    let replay = &lines(&run, "replay")[0];
    assert_eq!(
        (&replay["read"], &replay["valid"], &replay["rejected"]),
        (&Value::from(4), &Value::from(4), &Value::from(0))
    );
    assert_eq!(replay["samples"], Value::Array(Vec::new()));
    let findings = lines(&run, "finding");
    assert!(
        findings.iter().all(|f| f["code"] != "REPLAY_REJECTED"),
        "{}",
        run.stdout
    );
    // The tightened bound is still a structural break, proven by a counterexample that the
    // test validates against both versions itself.
    let structural: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert_eq!(structural.len(), 1, "{}", run.stdout);
    let counterexample = &structural[0]["counterexample"];
    assert_eq!(counterexample["accepted_by"], "previous", "{}", run.stdout);
    let value = &counterexample["value"];
    assert!(accepted_with_bound(100, value), "{value}");
    assert!(!accepted_with_bound(80, value), "{value}");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
}

#[test]
fn an_allow_entry_accepts_rejected_events_with_its_reason() {
    let settings = "package cuemesh\n\ncheck: allow: [{type: \"A:x\", rule: \"REPLAY_REJECTED\", reason: \"the producers of big n are retired\"}]\n";
    let world = world(settings, &[10, 75]);
    world.bound(50);
    let run = world.check(&[]);
    let findings = lines(&run, "finding");
    let rejected: Vec<&Value> = findings
        .iter()
        .filter(|f| f["code"] == "REPLAY_REJECTED")
        .collect();
    assert_eq!(rejected.len(), 1, "{}", run.stdout);
    assert_eq!(rejected[0]["severity"], "warning");
    assert!(
        rejected[0]["allowed"]
            .as_str()
            .expect("allowed says why")
            .contains("the producers of big n are retired"),
        "{}",
        run.stdout
    );
    assert!(
        findings.iter().all(|f| f["code"] != "ALLOW_UNUSED"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_stream_is_a_warning_not_a_failure() {
    let world = world("package cuemesh\n", &[10]);
    world.bound(100);
    // A change that is no break at all: only the missing stream is reported.
    write(
        world.repository.path(),
        &[(
            "sources/a/a.cue",
            &source(100).replace(
                "label?: string",
                "label?: string\n\t// a note.\n\tnote?: string",
            ),
        )],
    );
    let run = world.check(&["--stream", "NOWHERE"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("there is no stream NOWHERE"),
        "{}",
        run.stderr
    );
    assert!(lines(&run, "replay").is_empty(), "{}", run.stdout);
    // The same change on the real stream replays the stored event, valid.
    let run = world.check(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let replay = &lines(&run, "replay")[0];
    assert_eq!(
        (&replay["read"], &replay["valid"]),
        (&Value::from(1), &Value::from(1))
    );
}

/// Stores more events of `A:x`, whose `n` are `values` (ids `bulk-1`...), straight into the
/// stream.
fn store_more(world: &World, values: impl Iterator<Item = u32>) {
    let url = world.nats.url();
    world.runtime.block_on(async move {
        let client = async_nats::connect(url).await.expect("connects");
        let jetstream = async_nats::jetstream::new(client);
        let defaults = cuemesh_publisher::PublisherConfig::new("", "");
        let subject =
            cuemesh_publisher::subject_for(&defaults.stream.subject_prefix, "A", "A:x");
        let mut acks = Vec::new();
        for (index, n) in (1..).zip(values) {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Content-Type", cuemesh_publisher::CLOUDEVENTS_JSON);
            let event = format!(
                r#"{{"specversion":"1.0","id":"bulk-{index}","source":"A","type":"A:x","datacontenttype":"application/json","data":{{"n":{n}}}}}"#
            );
            acks.push(
                jetstream
                    .publish_with_headers(subject.clone(), headers, event.into())
                    .await
                    .expect("published"),
            );
        }
        for ack in acks {
            ack.await.expect("stored");
        }
    });
}

#[test]
fn the_progress_line_is_drawn_on_a_terminal_only() {
    let world = world("package cuemesh\n", &[10]);
    store_more(&world, (1..=2047).map(|index| index % 50));
    world.bound(80);
    let url = world.nats.url();
    // `script` runs the command on a pseudo-terminal and copies what it prints.
    let command = format!(
        "{} check --against main --replay {url}",
        env!("CARGO_BIN_EXE_cuemesh")
    );
    let output = std::process::Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(world.repository.path())
        .output()
        .expect("runs script (util-linux), which gives the command a terminal");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(
        shown.contains("replaying \"A:x\": 1024 of 2048 events"),
        "{shown}"
    );
    assert!(
        shown.contains("replay A:x version 2: 2048 read, 2048 valid, 0 rejected"),
        "{shown}"
    );
    let piped = world.check(&[]);
    assert!(!piped.stderr.contains("replaying"), "{}", piped.stderr);
    let replay = &lines(&piped, "replay")[0];
    assert_eq!(replay["read"], 2048, "{replay}");
}

#[test]
fn events_beyond_the_first_pull_request_are_read_and_named() {
    // 1,000 valid events fill the first pull request; the 1,001st, rejected, is in the second.
    let world = world("package cuemesh\n", &[10]);
    store_more(
        &world,
        (1..=1000).map(|index| if index == 1000 { 75 } else { index % 50 }),
    );
    world.bound(50);
    let run = world.check(&[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let replay = &lines(&run, "replay")[0];
    assert_eq!(
        (&replay["read"], &replay["valid"], &replay["rejected"]),
        (&Value::from(1001), &Value::from(1000), &Value::from(1))
    );
    assert_eq!(samples(replay), [(1001, "bulk-1000".to_string())]);
    assert_eq!(world.consumers(), 0, "replay left a consumer behind");
    // The last 2 only: sequences 1000 and 1001.
    let last = world.check(&["--last", "2"]);
    let replay = &lines(&last, "replay")[0];
    assert_eq!(
        (&replay["read"], &replay["rejected"]),
        (&Value::from(2), &Value::from(1))
    );
    assert_eq!(samples(replay), [(1001, "bulk-1000".to_string())]);
}
