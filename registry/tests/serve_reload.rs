//! The registry service's operational side over real Git repositories: polling and webhook
//! reloads over a real socket, a broken commit and a rewritten branch keeping the last good
//! index, remotes cloned and fetched from `file://` URLs, `/metrics` and `405` (request logs:
//! `serve_logs.rs`).

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cuemesh_registry::serve::{
    github_signature, spawn_reloads, AppState, Index, Outcome, Reload, Reloader, Remote,
};
use cuemesh_registry::{Error, Repository};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::service::{header, send, state_of};
use support::Server;
use support::{identity, TestRepository};

const LATEST: &str = "/v1/sources/MySource/types/MySource:newPerson/versions/latest";
const SECRET: &[u8] = b"It's a Secret to Everybody";

/// `main` with one version of `MySource:newPerson`.
fn repository() -> TestRepository {
    TestRepository::with_module(
        "Ada",
        "Add identity",
        &[(
            "sources/identity/identity.cue",
            Some(&identity("\tfirst: string\n")),
        )],
    )
}

/// Commits version `n` of the schema (n fields) on `main`.
fn commit_version(repo: &mut TestRepository, n: usize) -> git2::Oid {
    let fields: String = (1..=n).map(|i| format!("\tfield{i}?: string\n")).collect();
    repo.commit(
        "main",
        "Linus",
        &format!("Version {n}"),
        &[(
            "sources/identity/identity.cue",
            Some(&identity(&format!("\tfirst: string\n{fields}"))),
        )],
    )
}

fn local_state(repo: &TestRepository) -> (Reloader, AppState) {
    let repository = Repository::open(repo.path()).expect("open");
    let state = AppState::new(Index::build(&repository, "main").expect("index"))
        .with_webhook_secret(SECRET);
    (
        Reloader::local(repository, "main".into(), state.clone()),
        state,
    )
}

fn latest_version(state: &AppState) -> Option<u32> {
    let index = state.index();
    let event = index.event("MySource", "MySource:newPerson")?;
    event.latest().map(|latest| latest.version.number)
}

/// What these tests ask of the registry, on top of the kit's raw requests.
trait Requests {
    async fn get_json(&self, path: &str) -> Value;
    async fn wait_for_version(&self, number: u32, within: Duration) -> Duration;
    async fn webhook(&self, event: &str, payload: &Value, signature: Option<&str>) -> (u16, Value);
}

impl Requests for Server {
    async fn get_json(&self, path: &str) -> Value {
        let (status, _, body) = self.send("GET", path, &[], b"").await;
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// Waits until `latest` is version `number`.
    async fn wait_for_version(&self, number: u32, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let (status, _, body) = self.send("GET", LATEST, &[], b"").await;
            if status == 200
                && serde_json::from_str::<Value>(&body).expect("JSON")["version"] == number
            {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "version {number} not served within {within:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn webhook(&self, event: &str, payload: &Value, signature: Option<&str>) -> (u16, Value) {
        let body = serde_json::to_vec(payload).expect("JSON");
        let signed = github_signature(SECRET, &body);
        let mut headers = vec![
            ("X-GitHub-Event", event),
            ("Content-Type", "application/json"),
        ];
        headers.push(("X-Hub-Signature-256", signature.unwrap_or(&signed)));
        if signature == Some("") {
            headers.pop();
        }
        let (status, _, body) = self.send("POST", "/v1/hooks/github", &headers, &body).await;
        (status, serde_json::from_str(&body).expect("JSON"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_commit_is_served_within_one_poll_interval() {
    let mut repo = repository();
    let (reloader, state) = local_state(&repo);
    let server = Server::start(state.clone()).await;
    let poll = Duration::from_millis(300);
    let reloads = spawn_reloads(Arc::new(reloader), Some(poll));
    server.wait_for_version(1, Duration::from_secs(5)).await;

    commit_version(&mut repo, 2);
    // One interval, plus the time to build the index on a loaded machine.
    let waited = server
        .wait_for_version(2, poll + Duration::from_secs(10))
        .await;
    eprintln!("version 2 served {waited:?} after its commit (poll {poll:?})");
    let ready = server.get_json("/readyz").await;
    assert_eq!(ready["generation"], 2, "{ready}");
    assert_eq!(ready["last_reload"]["ok"], true, "{ready}");
    assert_eq!(ready["last_reload"]["outcome"], "swapped", "{ready}");
    assert_eq!(
        ready["last_reload"]["commit"],
        repo.tip("main").expect("tip").to_string()
    );
    reloads.abort();
}

#[tokio::test]
async fn a_broken_commit_keeps_the_last_good_index_and_shows_in_readyz_and_metrics() {
    let mut repo = repository();
    let (reloader, state) = local_state(&repo);
    let broken = repo.commit(
        "main",
        "Grace",
        "Break the schema",
        &[(
            "sources/identity/identity.cue",
            Some("package identity\n\nsource: {\n\tid: \"MySource\"\n"),
        )],
    );
    let error = reloader.reload_now().expect_err("a broken tip is refused");
    assert!(matches!(error, Error::BrokenTip { .. }), "{error}");
    // Polls while the tip stays broken say so again without rebuilding.
    let again = reloader.reload_now().expect_err("still broken");
    assert_eq!(again.to_string(), error.to_string());
    assert_eq!(state.reload_status().builds(), 1);
    assert_eq!(latest_version(&state), Some(1));
    assert_eq!(state.reload_status().generation(), 1);

    let ready = answer(&state, Request::get("/readyz")).await;
    assert_eq!(
        ready.0,
        StatusCode::OK,
        "still ready: a good index is served"
    );
    let last = &ready.1["last_reload"];
    assert_eq!(last["ok"], false, "{last}");
    assert_eq!(last["outcome"], "failed", "{last}");
    assert_eq!(last["commit"], broken.to_string());
    let message = last["error"].as_str().expect("error");
    assert!(message.contains("sources/identity"), "{message}");

    let metrics = scrape(&state).await;
    assert_eq!(
        sample(&metrics, "cuemesh_reloads_total", &[("outcome", "failed")]),
        2.0
    );
    assert_eq!(sample(&metrics, "cuemesh_index_builds_total", &[]), 1.0);
    assert_eq!(sample(&metrics, "cuemesh_last_reload_success", &[]), 0.0);
    assert_eq!(sample(&metrics, "cuemesh_index_generation", &[]), 1.0);

    // The fix is served.
    commit_version(&mut repo, 2);
    assert!(matches!(
        reloader.reload_now().expect("reload"),
        Reload::Swapped { .. }
    ));
    assert_eq!(latest_version(&state), Some(2));
    let metrics = scrape(&state).await;
    assert_eq!(sample(&metrics, "cuemesh_last_reload_success", &[]), 1.0);
    assert_eq!(sample(&metrics, "cuemesh_index_generation", &[]), 2.0);
    assert!(sample(&metrics, "cuemesh_last_reload_timestamp_seconds", &[]) > 1.7e9);
}

#[tokio::test]
async fn a_rewritten_local_branch_is_refused() {
    let mut repo = repository();
    let first = repo.tip("main").expect("tip");
    commit_version(&mut repo, 2);
    let (reloader, state) = local_state(&repo);
    assert_eq!(latest_version(&state), Some(2));

    // A force push: main back to the first commit, then another change on top.
    repo.git
        .reference("refs/heads/main", first, true, "rewrite")
        .expect("reset");
    let rewritten = commit_version(&mut repo, 5);
    let error = reloader.reload_now().expect_err("refused");
    assert!(
        matches!(&error, Error::NonFastForward { new, .. } if *new == rewritten.to_string()),
        "{error}"
    );
    assert_eq!(latest_version(&state), Some(2), "the served versions stay");
    let status = state.reload_status();
    assert_eq!(status.count(Outcome::Refused), 1);
    let last = status.last().expect("recorded");
    assert!(!last.ok());
    assert!(
        last.error
            .as_deref()
            .unwrap_or_default()
            .contains("versions are immutable"),
        "{last:?}"
    );
}

/// A remote built in the test, served from a cache through a `file://` URL.
fn remote_of(origin: &TestRepository, cache: &std::path::Path) -> (Remote, Repository) {
    let url = format!("file://{}", origin.path().display());
    assert!(cuemesh_registry::serve::is_remote(&url));
    Remote::open(&url, None, cache).expect("open the cache")
}

#[tokio::test]
async fn a_remote_is_cloned_fetched_and_a_force_push_refused() {
    let mut origin = repository();
    let cache = tempfile::tempdir().expect("cache");
    let (remote, repository) = remote_of(&origin, cache.path());
    assert_eq!(remote.branch(), "main", "the remote's default branch");
    assert!(!remote.has_branch(&repository));
    remote.fetch(&repository).expect("first fetch");
    assert!(remote.directory().starts_with(cache.path()));
    let state = AppState::new(Index::build(&repository, "main").expect("index"));
    let reloader = Reloader::remote(remote, repository, state.clone());
    assert_eq!(latest_version(&state), Some(1));

    commit_version(&mut origin, 2);
    assert!(matches!(
        reloader.reload_now().expect("fetch and reload"),
        Reload::Swapped { .. }
    ));
    assert_eq!(latest_version(&state), Some(2));
    assert_eq!(reloader.reload_now().expect("again"), Reload::Unchanged);

    // The remote rewrites main: the fetch is refused and the cache keeps the served history.
    let served = origin.tip("main").expect("tip");
    let first = origin
        .git
        .find_commit(served)
        .expect("commit")
        .parent_id(0)
        .expect("parent");
    origin
        .git
        .reference("refs/heads/main", first, true, "force push")
        .expect("reset");
    commit_version(&mut origin, 7);
    let error = reloader.reload_now().expect_err("refused");
    assert!(matches!(error, Error::NonFastForward { .. }), "{error}");
    assert_eq!(latest_version(&state), Some(2));
    assert_eq!(state.reload_status().count(Outcome::Refused), 1);

    // A server restarted on the same cache still serves the history it published.
    let (remote, repository) = remote_of(&origin, cache.path());
    assert!(remote.has_branch(&repository));
    assert!(matches!(
        remote.fetch(&repository),
        Err(Error::NonFastForward { .. })
    ));
    let index = Index::build(&repository, "main").expect("index");
    assert_eq!(index.head.expect("head").id, served.to_string());
}

#[tokio::test]
async fn an_unreachable_remote_is_a_clear_error() {
    let cache = tempfile::tempdir().expect("cache");
    let missing = cache.path().join("no-such-repository");
    let url = format!("file://{}", missing.display());
    let (remote, repository) =
        Remote::open(&url, Some("main"), cache.path()).expect("the cache opens offline");
    let error = remote.fetch(&repository).expect_err("nothing to fetch");
    let message = error.with_causes();
    assert!(message.contains("cannot fetch from file://"), "{message}");
    assert!(message.contains("no-such-repository"), "{message}");
    assert!(Remote::open("file:///x", Some("bad..name"), cache.path()).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_and_a_push_to_the_branch_reloads() {
    let mut repo = repository();
    let (reloader, state) = local_state(&repo);
    let server = Server::start(state.clone()).await;
    // No polling: only webhooks reload.
    let reloads = spawn_reloads(Arc::new(reloader), None);
    let push_main = json!({"ref": "refs/heads/main", "after": "0"});

    let (status, body) = server.webhook("push", &push_main, Some("")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "signature_missing");
    let wrong = github_signature(
        b"another secret",
        &serde_json::to_vec(&push_main).expect("JSON"),
    );
    let (status, body) = server.webhook("push", &push_main, Some(&wrong)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "signature_invalid");
    let (status, body) = server.webhook("push", &push_main, Some("sha256=zz")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "signature_invalid");

    let (status, body) = server
        .webhook("ping", &json!({"zen": "Keep it simple."}), None)
        .await;
    assert_eq!((status, &body["outcome"]), (200, &json!("pong")), "{body}");
    let (status, body) = server
        .webhook("push", &json!({"ref": "refs/heads/feature"}), None)
        .await;
    assert_eq!(
        (status, &body["outcome"]),
        (200, &json!("ignored")),
        "{body}"
    );
    let (status, body) = server.webhook("push", &json!({"no": "ref"}), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_payload");

    let form = b"payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D";
    let signature = github_signature(SECRET, form);
    let headers = [
        ("X-GitHub-Event", "push"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Hub-Signature-256", signature.as_str()),
    ];
    let (status, _, body) = server
        .send("POST", "/v1/hooks/github", &headers, form)
        .await;
    assert_eq!(status, 415, "{body}");
    assert!(body.contains("unsupported_media_type"), "{body}");

    // Refused (and ignored) webhooks asked for no reload; the accepted one asks for one.
    assert_eq!(state.reload_status().requests(), 0);
    commit_version(&mut repo, 2);
    assert_eq!(latest_version(&state), Some(1));
    let (status, body) = server.webhook("push", &push_main, None).await;
    assert_eq!(state.reload_status().requests(), 1);
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["outcome"], "reload_requested");
    server.wait_for_version(2, Duration::from_secs(15)).await;
    reloads.abort();
}

#[tokio::test]
async fn without_a_secret_the_webhook_is_not_found() {
    let state = state_of(&repository());
    let body = br#"{"ref": "refs/heads/main"}"#;
    let (status, answer) = answer(
        &state,
        Request::post("/v1/hooks/github")
            .header("X-GitHub-Event", "push")
            .header("X-Hub-Signature-256", github_signature(SECRET, body)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(answer["error"]["code"], "webhook_not_configured");
}

/// Requests made while no reload can run (this runtime has one thread, busy here) make one.
#[tokio::test]
async fn a_burst_of_reload_requests_makes_one_reload() {
    let mut repo = repository();
    let (reloader, state) = local_state(&repo);
    commit_version(&mut repo, 2);
    let reloads = spawn_reloads(Arc::new(reloader), None);
    for _ in 0..20 {
        state.request_reload();
    }
    let status = state.reload_status();
    let deadline = Instant::now() + Duration::from_secs(15);
    // Once a finished reload has answered all 20 requests, no further reload is owed: the
    // count below is final.
    while status.answered_requests() < 20 {
        assert!(Instant::now() < deadline, "the requests were not answered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status.requests(), 20);
    let total: u64 = Outcome::ALL
        .iter()
        .map(|outcome| status.count(*outcome))
        .sum();
    assert_eq!(total, 1, "one reload for the whole burst");
    assert_eq!(latest_version(&state), Some(2));
    reloads.abort();
}

async fn answer(state: &AppState, request: axum::http::request::Builder) -> (StatusCode, Value) {
    let answer = send(state, request.body(Body::empty()).expect("request")).await;
    (answer.status, answer.body)
}

/// One sample of the exposition.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// `/metrics`, parsed strictly by the text format's grammar (version 0.0.4): every line a
/// comment, `# HELP`/`# TYPE`, or `name{label="value",...} value` of a family whose type was
/// declared before it.
async fn scrape(state: &AppState) -> Vec<Sample> {
    let answer = send(
        state,
        Request::get("/metrics")
            .body(Body::empty())
            .expect("request"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    let content_type = header(&answer, "content-type");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = answer.body.as_str().expect("a text body").to_string();
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.into(), kind.into()).is_none(),
                "twice: {line}"
            );
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let sample = parse_sample(line).unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        let family = match types.get(&sample.name) {
            Some(_) => sample.name.clone(),
            None => ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| sample.name.strip_suffix(suffix))
                .filter(|family| types.get(*family).map(String::as_str) == Some("histogram"))
                .unwrap_or_else(|| panic!("no # TYPE before {line:?}"))
                .to_string(),
        };
        if sample.name.ends_with("_bucket") {
            assert!(sample.labels.contains_key("le"), "{line}");
        }
        assert!(types.contains_key(&family));
        samples.push(sample);
    }
    samples
}

fn parse_sample(line: &str) -> Option<Sample> {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':';
    let end = line.find(|c: char| !is_name(c))?;
    let (name, mut rest) = line.split_at(end);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut labels = BTreeMap::new();
    if let Some(inner) = rest.strip_prefix('{') {
        rest = inner;
        loop {
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let end = rest.find(|c: char| !is_name(c))?;
            let (label, after) = rest.split_at(end);
            let mut chars = after.strip_prefix("=\"")?.char_indices();
            let mut value = String::new();
            let closing = loop {
                match chars.next()? {
                    (at, '"') => break at,
                    (_, '\\') => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        _ => return None,
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.insert(label.to_string(), value);
            rest = &after["=\"".len() + closing + 1..];
            rest = rest.strip_prefix(',').unwrap_or(rest);
        }
    }
    let value = rest.strip_prefix(' ')?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => value.parse().ok()?,
    };
    Some(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// The value of the one sample of `name` with `labels`.
fn sample(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = samples
        .iter()
        .filter(|sample| sample.name == name)
        .filter(|sample| {
            labels
                .iter()
                .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
        })
        .map(|sample| sample.value)
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0]
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_status() {
    let repo = repository();
    let (_, state) = local_state(&repo);
    let version = "/v1/sources/{source}/types/{type}/versions/{version}";
    for uri in [
        "/v1/sources/MySource/types/MySource:newPerson/versions/1",
        "/v1/sources/MySource/types/MySource:newPerson/versions/latest",
        "/v1/sources/MySource/types/MySource:newPerson/versions/9",
        "/nowhere",
        "/v1/sources",
    ] {
        answer(&state, Request::get(uri)).await;
    }
    let metrics = scrape(&state).await;
    let requests = |route: &str, status: &str| {
        sample(
            &metrics,
            "cuemesh_http_requests_total",
            &[("route", route), ("method", "GET"), ("status", status)],
        )
    };
    assert_eq!(requests(version, "200"), 2.0);
    assert_eq!(requests(version, "404"), 1.0);
    assert_eq!(requests("unmatched", "404"), 1.0);
    assert_eq!(requests("/v1/sources", "200"), 1.0);
    let buckets: Vec<(f64, f64)> = metrics
        .iter()
        .filter(|sample| {
            sample.name == "cuemesh_http_request_duration_seconds_bucket"
                && sample.labels["route"] == version
        })
        .map(|sample| {
            let bound = match sample.labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                bound => bound.parse().expect("a bound"),
            };
            (bound, sample.value)
        })
        .collect();
    assert!(buckets.len() > 2, "{buckets:?}");
    assert!(buckets
        .windows(2)
        .all(|pair| pair[0].0 < pair[1].0 && pair[0].1 <= pair[1].1));
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, 3.0)));
    let route = [("route", version)];
    assert_eq!(
        sample(
            &metrics,
            "cuemesh_http_request_duration_seconds_count",
            &route
        ),
        3.0
    );
    assert!(
        sample(
            &metrics,
            "cuemesh_http_request_duration_seconds_sum",
            &route
        ) > 0.0
    );
    assert_eq!(sample(&metrics, "cuemesh_versions_served", &[]), 1.0);
    assert_eq!(sample(&metrics, "cuemesh_index_generation", &[]), 1.0);
}

#[tokio::test]
async fn a_known_route_with_another_method_is_405_with_allow() {
    let repo = repository();
    let (_, state) = local_state(&repo);
    for (request, allowed) in [
        (Request::post("/v1/sources"), "GET,HEAD"),
        (Request::delete(LATEST), "GET,HEAD"),
        (Request::get("/v1/hooks/github"), "POST"),
    ] {
        let answer = send(&state, request.body(Body::empty()).expect("request")).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(header(&answer, "allow").replace(' ', ""), allowed);
        assert_eq!(answer.body["error"]["code"], "method_not_allowed");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_changing_one_source_reads_and_evaluates_that_source_only() {
    let orders = identity("\tfirst: string\n")
        .replace("package identity", "package orders")
        .replace("MySource", "Orders")
        .replace("@acme/identity", "@acme/orders");
    let mut repo = repository();
    repo.commit(
        "main",
        "Grace",
        "Add orders",
        &[("sources/orders/orders.cue", Some(&orders))],
    );
    let (reloader, state) = local_state(&repo);
    let server = Server::start(state.clone()).await;
    server.wait_for_version(1, Duration::from_secs(5)).await;
    let before = state.index();
    assert_eq!(before.build.states_made, 2, "{:?}", before.build);

    let reloader = Arc::new(reloader);
    let reload = |reloader: Arc<Reloader>| async move {
        let reload = tokio::task::spawn_blocking(move || reloader.reload_now())
            .await
            .expect("the reload ends");
        assert!(matches!(reload, Ok(Reload::Swapped { .. })), "{reload:?}");
    };
    commit_version(&mut repo, 2);
    reload(reloader.clone()).await;
    server.wait_for_version(2, Duration::from_secs(5)).await;
    let second = state.index();
    commit_version(&mut repo, 3);
    reload(reloader).await;
    server.wait_for_version(3, Duration::from_secs(5)).await;

    // Each time, only the changed source's new package state was read and evaluated; the other
    // source's state (evaluated by the first build) is the same one, and a version that was
    // not the latest one (version 1 at the second reload) is kept whole.
    let third = state.index();
    for (index, kept) in [(&second, 0), (&third, 1)] {
        assert_eq!(index.build.states_made, 1, "{:?}", index.build);
        assert_eq!(index.build.states_evaluated, 1, "{:?}", index.build);
        assert_eq!(index.build.versions_kept, kept, "{:?}", index.build);
    }
    // Read from Git: the two latest states of the first build, then the changed one per
    // reload; no state of an older version.
    assert_eq!(third.states_read(), 4);
    let orders_state = |index: &Index| {
        let event = index.event("Orders", "Orders:newPerson").expect("orders");
        event.latest().expect("a version").state().clone()
    };
    assert!(Arc::ptr_eq(&orders_state(&before), &orders_state(&third)));
    let first = |index: &Index| {
        index
            .event("MySource", "MySource:newPerson")
            .expect("identity")
            .versions[0]
            .clone()
    };
    assert!(Arc::ptr_eq(&first(&second), &first(&third)));
    let served = server
        .get_json("/v1/sources/Orders/types/Orders:newPerson/versions/1/jsonschema")
        .await;
    assert_eq!(served["$defs"]["Identity"]["type"], "object", "{served}");
}
