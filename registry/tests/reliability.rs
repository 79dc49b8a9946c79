//! The registry under load while commits land, two broken commits are pushed and a fix
//! follows: the service on a real loopback socket over a real Git repository, reloading by
//! polling, with concurrent clients that must never see a failed request or a half-loaded
//! index. It prints its counts:
//! `cargo test -p cuemesh-registry --test reliability -- --nocapture`.

mod support;

use cuemesh_registry::serve::{spawn_reloads, AppState, Index, Outcome, Reloader};
use cuemesh_registry::{HistoryCache, HistoryProgress, Repository};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use support::service::{orders, MONEY};
use support::Server;
use support::{identity, TestRepository, MODULE};

const IDENTITY: &str = "sources/identity/identity.cue";
const ORDERS: &str = "sources/orders/orders.cue";
const PAYMENTS: &str = "sources/payments/payments.cue";
const LATEST: &str = "/v1/sources/MySource/types/MySource:newPerson/versions/latest";
const FIRST: &str = "/v1/sources/MySource/types/MySource:newPerson/versions/1";

/// What `/v1/sources` says: each `source/type` with its latest version number.
type Served = BTreeMap<String, u64>;

/// The governance repository, and every state of it that has been committed and indexes.
struct Governance {
    repo: TestRepository,
    identity: u64,
    orders: u64,
    payments: bool,
    /// The states of the good commits, oldest first; a state is recorded before its commit
    /// lands, so a client never sees one that is not listed.
    states: Arc<RwLock<Vec<Served>>>,
}

impl Governance {
    fn new() -> Governance {
        let mut governance = Governance {
            repo: TestRepository::new(),
            identity: 1,
            orders: 1,
            payments: false,
            states: Arc::default(),
        };
        governance.record();
        let (identity, orders) = (governance.identity_text(), governance.orders_text());
        governance.repo.commit(
            "main",
            "Ada",
            "Add identity and orders",
            &[
                ("cue.mod/module.cue", Some(MODULE)),
                ("sources/common/money.cue", Some(MONEY)),
                (IDENTITY, Some(&identity)),
                (ORDERS, Some(&orders)),
            ],
        );
        governance
    }

    /// Identity's version n has the required `first` and n - 1 optional fields.
    fn identity_text(&self) -> String {
        let fields: String = (2..=self.identity)
            .map(|i| format!("\tfield{i}?: string\n"))
            .collect();
        identity(&format!("\tfirst: string\n{fields}"))
    }

    fn orders_text(&self) -> String {
        let fields: String = (2..=self.orders)
            .map(|i| format!("\tnote{i}?: string\n"))
            .collect();
        orders(&format!(
            "\tid:    string\n\ttotal: common.#Money\n{fields}"
        ))
    }

    fn state(&self) -> Served {
        let mut state = Served::from([
            ("MySource/MySource:newPerson".to_string(), self.identity),
            ("Orders/Orders.placed".to_string(), self.orders),
        ]);
        if self.payments {
            state.insert("Payments/Payments.settled".into(), 1);
        }
        state
    }

    fn record(&mut self) {
        let state = self.state();
        self.states.write().expect("states").push(state);
    }

    fn last_good(&self) -> Served {
        self.states
            .read()
            .expect("states")
            .last()
            .expect("a state")
            .clone()
    }

    fn next_identity(&mut self) -> git2::Oid {
        self.identity += 1;
        self.record();
        let text = self.identity_text();
        let message = format!("Identity version {}", self.identity);
        self.repo
            .commit("main", "Linus", &message, &[(IDENTITY, Some(&text))])
    }

    fn next_orders(&mut self) -> git2::Oid {
        self.orders += 1;
        self.record();
        let text = self.orders_text();
        let message = format!("Orders version {}", self.orders);
        self.repo
            .commit("main", "Grace", &message, &[(ORDERS, Some(&text))])
    }

    fn add_payments(&mut self) -> git2::Oid {
        self.payments = true;
        self.record();
        let text = "package payments\n\nsource: {\n\tid:          \"Payments\"\n\towner:       \"@acme/payments\"\n\tdescription: \"Payments received.\"\n}\n\nevents: {\n\t// A payment was settled.\n\t\"Payments.settled\": #Settled\n}\n\n#Settled: {\n\tid: string\n}\n";
        self.repo
            .commit("main", "Edsger", "Add payments", &[(PAYMENTS, Some(text))])
    }

    /// A commit that replaces identity's schema with `text`, which does not index: no state.
    fn break_identity(&mut self, message: &str, text: &str) -> git2::Oid {
        self.repo
            .commit("main", "Mallory", message, &[(IDENTITY, Some(text))])
    }
}

/// What one client counted.
#[derive(Default)]
struct Counts {
    /// By request kind, then status (0 = no answer).
    statuses: BTreeMap<&'static str, BTreeMap<u16, u64>>,
    /// Requests that failed to connect or to be read, with why.
    failures: Vec<String>,
    /// Answers inconsistent with every committed state, or going backwards.
    violations: Vec<String>,
    generations: BTreeSet<u64>,
    /// The commits `/readyz` named as failed reloads.
    failed_reloads: BTreeSet<String>,
}

/// One client: `/v1/sources`, `latest`, version 1 (revalidated with its `ETag`) and
/// `/readyz` in turn, until `stop`; it checks every answer against the committed states.
async fn client(
    server: Arc<Server>,
    states: Arc<RwLock<Vec<Served>>>,
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
) -> Counts {
    let mut counts = Counts::default();
    let (mut state_seen, mut latest_seen, mut generation_seen) = (0, 0, 0);
    let mut etag: Option<String> = None;
    let mut turn = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let kind = ["sources", "latest", "numbered", "readyz"][turn % 4];
        turn += 1;
        let path = match kind {
            "sources" => "/v1/sources",
            "latest" => LATEST,
            "numbered" => FIRST,
            _ => "/readyz",
        };
        let headers: Vec<(&str, &str)> = match (&etag, kind) {
            (Some(etag), "numbered") => vec![("If-None-Match", etag.as_str())],
            _ => vec![],
        };
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            server.try_send("GET", path, &headers, b""),
        )
        .await
        .unwrap_or_else(|_| Err("no answer within 10 s".into()));
        answered.fetch_add(1, Ordering::Relaxed);
        let (status, head, body) = match answer {
            Ok(answer) => answer,
            Err(error) => {
                *counts
                    .statuses
                    .entry(kind)
                    .or_default()
                    .entry(0)
                    .or_default() += 1;
                counts.failures.push(format!("{path}: {error}"));
                continue;
            }
        };
        *counts
            .statuses
            .entry(kind)
            .or_default()
            .entry(status)
            .or_default() += 1;
        if status == 304 && kind == "numbered" && etag.is_some() {
            continue;
        }
        if status != 200 {
            counts
                .violations
                .push(format!("{path}: status {status}: {body}"));
            continue;
        }
        let Ok(json) = serde_json::from_str::<Value>(&body) else {
            counts.violations.push(format!("{path}: not JSON: {body}"));
            continue;
        };
        match kind {
            "sources" => {
                let served = served(&json);
                let position = states
                    .read()
                    .expect("states")
                    .iter()
                    .position(|state| *state == served);
                match position {
                    None => counts
                        .violations
                        .push(format!("/v1/sources is no committed state: {served:?}")),
                    Some(position) if position < state_seen => counts.violations.push(format!(
                        "/v1/sources went back from state {state_seen} to {position}"
                    )),
                    Some(position) => state_seen = position,
                }
            }
            "latest" => {
                let version = json["version"].as_u64().unwrap_or(0);
                if version < latest_seen.max(1) {
                    counts.violations.push(format!(
                        "latest went back from {latest_seen} to {version}: {body}"
                    ));
                }
                latest_seen = latest_seen.max(version);
            }
            "numbered" => {
                if json["version"] != 1 {
                    counts.violations.push(format!("{FIRST}: {body}"));
                }
                etag = head
                    .lines()
                    .find_map(|line| line.strip_prefix("etag: "))
                    .map(str::to_string);
                if etag.is_none() {
                    counts
                        .violations
                        .push(format!("{FIRST} has no ETag: {head}"));
                }
            }
            _ => {
                let generation = json["generation"].as_u64().unwrap_or(0);
                if generation < generation_seen {
                    counts.violations.push(format!(
                        "/readyz generation went back from {generation_seen} to {generation}"
                    ));
                }
                generation_seen = generation_seen.max(generation);
                counts.generations.insert(generation);
                if json["last_reload"]["ok"] == false {
                    let commit = json["last_reload"]["commit"].as_str().unwrap_or("");
                    counts.failed_reloads.insert(commit.to_string());
                }
            }
        }
    }
    counts
}

fn served(sources: &Value) -> Served {
    let mut served = Served::new();
    for source in sources["sources"].as_array().into_iter().flatten() {
        for event in source["types"].as_array().into_iter().flatten() {
            served.insert(
                format!(
                    "{}/{}",
                    source["id"].as_str().unwrap_or(""),
                    event["type"].as_str().unwrap_or("")
                ),
                event["latest"].as_u64().unwrap_or(0),
            );
        }
    }
    served
}

async fn get(server: &Server, path: &str) -> Value {
    let (status, _, body) = server.send("GET", path, &[], b"").await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// Waits (at most 20 s) until `/readyz` satisfies `done`; returns it.
async fn wait_for(server: &Server, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let ready = get(server, "/readyz").await;
        if done(&ready) {
            return ready;
        }
        assert!(Instant::now() < deadline, "not {what} within 20 s: {ready}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// While a broken commit is the tip: the failure shows in `/readyz`, and the last good index
/// keeps serving every type at its last good version.
async fn broken_tip_keeps_serving(governance: &Governance, server: &Server, broken: git2::Oid) {
    let broken = broken.to_string();
    let ready = wait_for(server, "refusing the broken commit", |ready| {
        ready["last_reload"]["commit"] == broken.as_str()
    })
    .await;
    assert_eq!(ready["last_reload"]["ok"], false, "{ready}");
    assert_eq!(ready["last_reload"]["outcome"], "failed", "{ready}");
    let error = ready["last_reload"]["error"].as_str().unwrap_or("");
    assert!(error.contains("sources/identity"), "{ready}");
    for _ in 0..10 {
        assert_eq!(
            served(&get(server, "/v1/sources").await),
            governance.last_good()
        );
        assert_eq!(get(server, LATEST).await["version"], governance.identity);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_and_a_broken_commit_under_load_fail_no_request_and_never_half_load() {
    let mut governance = Governance::new();
    // With the history cache in play: every reload writes it after its swap.
    let cache = tempfile::tempdir().expect("cache directory");
    let mut repository = Repository::open(governance.repo.path()).expect("open");
    repository.set_history_cache(Some(HistoryCache::new(cache.path())));
    let warnings = Arc::new(RwLock::new(Vec::new()));
    let said = warnings.clone();
    repository.set_warnings(Some(Arc::new(move |warning: &str| {
        said.write().expect("warnings").push(warning.to_string());
    })));
    let state = AppState::new(Index::build(&repository, "main").expect("index"));
    repository.save_history_cache();
    let reloader = Reloader::local(repository, "main".into(), state.clone());
    let reloads = spawn_reloads(Arc::new(reloader), Some(Duration::from_millis(100)));
    let server = Arc::new(Server::start(state.clone()).await);

    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let clients: Vec<_> = (0..6)
        .map(|_| {
            tokio::spawn(client(
                server.clone(),
                governance.states.clone(),
                stop.clone(),
                answered.clone(),
            ))
        })
        .collect();
    let started = Instant::now();

    // New versions land, one commit every 250 ms (some reloads see two at once).
    for step in 0..8 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        match step % 3 {
            0 => governance.next_identity(),
            1 if step == 4 => governance.add_payments(),
            1 => governance.next_orders(),
            _ => governance.next_identity(),
        };
    }
    let good = governance.repo.tip("main").expect("tip").to_string();
    wait_for(&server, "serving the last good commit", |ready| {
        ready["commit"] == good.as_str()
    })
    .await;

    // CUE that does not parse, then CUE that parses but does not compile.
    let unparsable =
        governance.break_identity("Break the syntax", "package identity\n\nsource: {\n");
    broken_tip_keeps_serving(&governance, &server, unparsable).await;
    let undefined = identity("\tfirst: #Missing\n");
    let uncompilable = governance.break_identity("Refer to nothing", &undefined);
    broken_tip_keeps_serving(&governance, &server, uncompilable).await;

    // The fix is picked up.
    let fix = governance.next_identity().to_string();
    let ready = wait_for(&server, "serving the fix", |ready| {
        ready["commit"] == fix.as_str()
    })
    .await;
    assert_eq!(ready["last_reload"]["ok"], true, "{ready}");
    assert_eq!(
        served(&get(&server, "/v1/sources").await),
        governance.last_good()
    );
    // The load goes on against the fix for 48 more answers (as many as 6 clients asking each of
    // their 4 routes twice) before it stops, instead of for a guessed time.
    let at_fix = answered.load(Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(20);
    while answered.load(Ordering::Relaxed) < at_fix + 6 * 4 * 2 {
        assert!(Instant::now() < deadline, "the clients stopped asking");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);

    let mut total = Counts::default();
    for client in clients {
        let counts = client.await.expect("a client");
        for (kind, statuses) in counts.statuses {
            for (status, count) in statuses {
                *total
                    .statuses
                    .entry(kind)
                    .or_default()
                    .entry(status)
                    .or_default() += count;
            }
        }
        total.failures.extend(counts.failures);
        total.violations.extend(counts.violations);
        total.generations.extend(counts.generations);
        total.failed_reloads.extend(counts.failed_reloads);
    }
    reloads.abort();
    let requests: u64 = total.statuses.values().flat_map(BTreeMap::values).sum();
    let status = state.reload_status();
    let outcomes: Vec<String> = Outcome::ALL
        .iter()
        .map(|outcome| format!("{} {}", outcome.name(), status.count(*outcome)))
        .collect();
    support::report(&format!(
        "registry under load for {:.1} s: 6 clients, {requests} requests, statuses by request: \
         {:?}; {} failed requests, {} inconsistent answers; {} good commits and 2 broken; \
         index generations seen by clients {:?}; reloads: {}; broken commits clients saw in \
         /readyz: {}",
        started.elapsed().as_secs_f64(),
        total.statuses,
        total.failures.len(),
        total.violations.len(),
        governance.states.read().expect("states").len(),
        total.generations,
        outcomes.join(", "),
        total.failed_reloads.len(),
    ));
    assert!(total.failures.is_empty(), "failed: {:?}", total.failures);
    assert!(total.violations.is_empty(), "{:?}", total.violations);
    assert!(requests > 200, "too little load: {requests}");
    for kind in ["sources", "latest", "numbered", "readyz"] {
        let statuses = &total.statuses[kind];
        assert!(
            statuses.keys().all(|status| [200, 304].contains(status)),
            "{kind}: {statuses:?}"
        );
    }
    assert!(total.statuses["numbered"].contains_key(&304));
    // The clients saw reloads happen, and a failure while a broken commit was the tip.
    assert!(total.generations.len() > 2, "{:?}", total.generations);
    assert!(
        total.failed_reloads.contains(&unparsable.to_string())
            || total.failed_reloads.contains(&uncompilable.to_string()),
        "{:?}",
        total.failed_reloads
    );
    assert!(status.count(Outcome::Failed) >= 2);

    // What the reloads cached is the branch's numbering: a restart from it numbers what one
    // from the first commit numbers, evaluating fewer package states, without a warning.
    let numbered = |cached: bool| {
        let mut repository = Repository::open(governance.repo.path()).expect("open");
        if cached {
            repository.set_history_cache(Some(HistoryCache::new(cache.path())));
        }
        let states = Arc::new(RwLock::new(0));
        let seen = states.clone();
        repository.set_progress(Some(Arc::new(move |progress: HistoryProgress| {
            let mut seen = seen.write().expect("states");
            *seen = (*seen).max(progress.states);
        })));
        let history = repository.history("main").expect("history");
        let versions: Vec<(String, String, u32, String, String)> = history
            .events
            .iter()
            .flat_map(|event| {
                event.versions.iter().map(|version| {
                    (
                        event.source.clone(),
                        event.event_type.clone(),
                        version.number,
                        version.digest.to_string(),
                        version.commit.id.clone(),
                    )
                })
            })
            .collect();
        let problems: Vec<(String, String)> = history
            .problems
            .iter()
            .map(|problem| (problem.commit.id.clone(), problem.directory.clone()))
            .collect();
        let states = *states.read().expect("states");
        (versions, problems, states)
    };
    let (cached_versions, cached_problems, cached_states) = numbered(true);
    let (versions, problems, states) = numbered(false);
    assert_eq!(cached_versions, versions);
    assert_eq!(cached_problems, problems);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(cached_states < states, "{cached_states} of {states}");
    assert!(warnings.read().expect("warnings").is_empty());
}
